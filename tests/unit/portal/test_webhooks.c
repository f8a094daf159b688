/* portal/webhooks.c without HTTP: queueing an event writes one outbox row
 * per enabled webhook of the org whose event list is empty or names it,
 * with the payload {"type","timestamp","data"}; data that is not a JSON
 * object is refused; the URL rules; the event table; a new secret has the
 * Standard Webhooks shape and opens only with its key and webhook id. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/store_fixture.h"
#include "core/arena.h"
#include "core/log.h"
#include "crypto/base64.h"
#include "portal/webhooks.h"

#define NOV23 1795449909 /* 2026-11-23T16:05:09Z */

struct env {
    struct gh_fixture_db db;
    struct gh_store *store;
    struct gh_arena *a;
    struct gh_tx *tx;
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    gh_log_set_level(GH_LOG_OFF);
    assert_true(gh_fixture_db_init(&e->db));
    char err[512] = "";
    e->store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!e->store)
        fail_msg("cannot open the test store %s: %s", e->db.url, err);
    e->a = gh_arena_new(8192);
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &e->tx), GH_STORE_OK);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    if (e->tx)
        gh_store_rollback(e->tx);
    gh_store_close(e->store);
    gh_fixture_db_done(&e->db);
    gh_arena_free(e->a);
    free(e);
    return 0;
}

static void add_org(struct env *e, const char *id)
{
    struct gh_org o = {.id = (char *)id, .name = (char *)id, .created_at = 100};
    assert_int_equal(gh_store_org_insert(e->tx, &o), GH_STORE_OK);
}

static void add_hook(struct env *e, const char *id, const char *org, int64_t at, bool enabled,
                     size_t nev, char **events)
{
    struct gh_webhook w = {.id = (char *)id,
                           .org_id = (char *)org,
                           .url = "http://127.0.0.1:9/hook",
                           .events = {nev, events},
                           .secret_enc = "sealed",
                           .enabled = enabled,
                           .created_at = at};
    assert_int_equal(gh_store_webhook_insert(e->tx, &w), GH_STORE_OK);
}

static void test_enqueue_matching_webhooks(void **state)
{
    struct env *e = *state;
    add_org(e, "org_a");
    add_org(e, "org_b");
    char *red[] = {"app.access_status.red"};
    char *green[] = {"app.access_status.green"};
    add_hook(e, "wh_all", "org_a", 100, true, 0, NULL);
    add_hook(e, "wh_red", "org_a", 200, true, 1, red);
    add_hook(e, "wh_green", "org_a", 300, true, 1, green);
    add_hook(e, "wh_off", "org_a", 400, false, 0, NULL);
    add_hook(e, "wh_b", "org_b", 500, true, 0, NULL);
    int queued = -1;
    assert_true(gh_webhooks_enqueue(e->tx, e->a, "org_a", "app.access_status.red",
                                    "{\"app_id\":\"app_1\",\"reason\":\"unpaid \\u00e9\"}", NOV23,
                                    &queued));
    assert_int_equal(queued, 2);
    struct gh_outbox_filter f = {.org_id = "org_a"};
    struct gh_outbox_msg *ms;
    size_t n;
    assert_int_equal(gh_store_outbox_search(e->tx, &f, NULL, e->a, &ms, &n), GH_STORE_OK);
    assert_int_equal(n, 2);
    bool seen_all = false, seen_red = false;
    for (size_t i = 0; i < n; i++) {
        assert_true(strncmp(ms[i].id, "msg_", 4) == 0);
        assert_int_equal(ms[i].channel, GH_OUTBOX_WEBHOOK);
        assert_string_equal(ms[i].event, "app.access_status.red");
        assert_int_equal(ms[i].state, GH_OUTBOX_PENDING);
        assert_int_equal(ms[i].next_attempt_at, NOV23);
        assert_int_equal(ms[i].created_at, NOV23);
        assert_string_equal(ms[i].org_id, "org_a");
        seen_all |= strcmp(ms[i].recipient, "wh_all") == 0;
        seen_red |= strcmp(ms[i].recipient, "wh_red") == 0;
        json_error_t err;
        json_t *body = json_loads(ms[i].body, 0, &err);
        assert_non_null(body);
        assert_string_equal(json_string_value(json_object_get(body, "type")),
                            "app.access_status.red");
        assert_string_equal(json_string_value(json_object_get(body, "timestamp")),
                            "2026-11-23T16:05:09Z");
        json_t *data = json_object_get(body, "data");
        assert_string_equal(json_string_value(json_object_get(data, "app_id")), "app_1");
        assert_string_equal(json_string_value(json_object_get(data, "reason")), "unpaid \xc3\xa9");
        assert_int_equal(json_object_size(body), 3);
        json_decref(body);
    }
    assert_true(seen_all && seen_red);
    assert_string_not_equal(ms[0].id, ms[1].id);
    /* nothing for org_b, whose webhook was not asked */
    f.org_id = "org_b";
    int64_t count = -1;
    assert_int_equal(gh_store_outbox_count(e->tx, &f, &count), GH_STORE_OK);
    assert_int_equal(count, 0);
}

static void test_enqueue_without_webhooks_and_bad_data(void **state)
{
    struct env *e = *state;
    add_org(e, "org_a");
    int queued = -1;
    assert_true(
        gh_webhooks_enqueue(e->tx, e->a, "org_a", "app.api_key.created", "{}", NOV23, &queued));
    assert_int_equal(queued, 0);
    add_hook(e, "wh_all", "org_a", 100, true, 0, NULL);
    assert_false(
        gh_webhooks_enqueue(e->tx, e->a, "org_a", "app.api_key.created", "[1]", NOV23, &queued));
    assert_false(
        gh_webhooks_enqueue(e->tx, e->a, "org_a", "app.api_key.created", "{\"a\":", NOV23, NULL));
    assert_false(
        gh_webhooks_enqueue(e->tx, e->a, "org_a", "app.api_key.created", NULL, NOV23, NULL));
    int64_t count = -1;
    assert_int_equal(gh_store_outbox_count(e->tx, NULL, &count), GH_STORE_OK);
    assert_int_equal(count, 0);
    assert_true(
        gh_webhooks_enqueue(e->tx, e->a, "org_a", "app.api_key.created", "{}", NOV23, NULL));
    assert_int_equal(gh_store_outbox_count(e->tx, NULL, &count), GH_STORE_OK);
    assert_int_equal(count, 1);
}

static void test_url_rules(void **state)
{
    (void)state;
    assert_true(gh_webhook_url_valid("https://hooks.example.com/in?x=1"));
    assert_true(gh_webhook_url_valid("http://127.0.0.1:8080/hook"));
    assert_true(gh_webhook_url_valid("HTTPS://Example.com"));
    assert_true(gh_webhook_url_valid("http://[::1]:9000/x"));
    assert_false(gh_webhook_url_valid("ftp://example.com/x"));
    assert_false(gh_webhook_url_valid("http://user:pw@example.com/x"));
    assert_false(gh_webhook_url_valid("http://user@example.com"));
    assert_false(gh_webhook_url_valid("http:///path"));
    assert_false(gh_webhook_url_valid("http://:80/path"));
    assert_false(gh_webhook_url_valid("http://example.com:0/"));
    assert_false(gh_webhook_url_valid("http://example.com:99999/"));
    assert_false(gh_webhook_url_valid("http://example.com:/"));
    assert_false(gh_webhook_url_valid("http://exa mple.com/"));
    assert_false(gh_webhook_url_valid("http://example.com/\r\nX: y"));
    assert_false(gh_webhook_url_valid("/relative"));
    assert_false(gh_webhook_url_valid("javascript:alert(1)"));
    assert_false(gh_webhook_url_valid(NULL));
    char longurl[GH_WEBHOOK_URL_MAX + 2];
    memset(longurl, 'a', sizeof longurl - 1);
    longurl[sizeof longurl - 1] = '\0';
    memcpy(longurl, "http://x.example/", 17);
    assert_false(gh_webhook_url_valid(longurl));
    longurl[GH_WEBHOOK_URL_MAX] = '\0';
    assert_true(gh_webhook_url_valid(longurl));
}

static void test_event_table(void **state)
{
    (void)state;
    assert_true(gh_webhook_event_known("app.access_status.red"));
    assert_true(gh_webhook_event_known("subscription.activation_requested"));
    assert_true(gh_webhook_event_known("subscription.created"));
    assert_false(gh_webhook_event_known("user.password_reset"));
    assert_false(gh_webhook_event_known("app.access_status"));
    assert_false(gh_webhook_event_known(NULL));
}

static void test_secret_seal_and_open(void **state)
{
    struct env *e = *state;
    uint8_t master[32], key[GH_AEAD_KEY_BYTES], other[GH_AEAD_KEY_BYTES];
    memset(master, 7, sizeof master);
    gh_webhooks_derive_seal_key(master, sizeof master, key);
    master[0] = 8;
    gh_webhooks_derive_seal_key(master, sizeof master, other);
    assert_memory_not_equal(key, other, sizeof key);
    char *sealed = NULL;
    char *secret = gh_webhooks_new_secret(e->a, key, "wh_1", &sealed);
    assert_non_null(secret);
    assert_non_null(sealed);
    assert_true(strncmp(secret, "whsec_", 6) == 0);
    uint8_t raw[64];
    size_t raw_len = 0;
    assert_true(gh_base64_decode(secret + 6, strlen(secret + 6), raw, sizeof raw, &raw_len));
    assert_int_equal(raw_len, 32);
    assert_null(strstr(sealed, secret + 6));
    char *again = NULL;
    char *second = gh_webhooks_new_secret(e->a, key, "wh_1", &again);
    assert_string_not_equal(secret, second);

    struct gh_webhook w = {.id = "wh_1", .secret_enc = sealed};
    char *opened = gh_webhooks_open_secret(e->a, key, &w);
    assert_non_null(opened);
    assert_string_equal(opened, secret);
    assert_null(gh_webhooks_open_secret(e->a, other, &w));
    w.id = "wh_2"; /* sealed for another webhook */
    assert_null(gh_webhooks_open_secret(e->a, key, &w));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_matching_webhooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enqueue_without_webhooks_and_bad_data, setup,
                                        teardown),
        cmocka_unit_test(test_url_rules),
        cmocka_unit_test(test_event_table),
        cmocka_unit_test_setup_teardown(test_secret_seal_and_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
