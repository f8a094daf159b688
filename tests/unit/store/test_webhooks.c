/* Webhooks in the store (store/webhooks.c) and the outbox's org_id column
 * and filters (store/outbox.c), against a real database (a fresh SQLite
 * file per test, or GATEHOUSE_TEST_DB_URL): the round trip of every column,
 * newest-first listing per org with paging and counts, the event match
 * (empty list = all; disabled webhooks never), delete and the cascade
 * with the org, and the outbox search / count narrowed by org and event. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/store_fixture.h"
#include "core/arena.h"
#include "core/log.h"
#include "store/store.h"

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
    struct gh_webhook w = {
        .id = (char *)id,
        .org_id = (char *)org,
        .url = "https://hooks.example/in",
        .events = {nev, events},
        .description = "ops",
        .secret_enc = "sealed",
        .enabled = enabled,
        .created_at = at,
        .created_by = "usr_x",
    };
    assert_int_equal(gh_store_webhook_insert(e->tx, &w), GH_STORE_OK);
}

static void test_round_trip_and_delete(void **state)
{
    struct env *e = *state;
    add_org(e, "org_a");
    char *evs[] = {"app.access_status.red", "app.access_status.green"};
    add_hook(e, "wh_1", "org_a", 200, true, 2, evs);
    struct gh_webhook w;
    assert_int_equal(gh_store_webhook_get(e->tx, "wh_1", e->a, &w), GH_STORE_OK);
    assert_string_equal(w.org_id, "org_a");
    assert_string_equal(w.url, "https://hooks.example/in");
    assert_int_equal(w.events.n, 2);
    assert_string_equal(w.events.items[0], "app.access_status.red");
    assert_string_equal(w.events.items[1], "app.access_status.green");
    assert_string_equal(w.description, "ops");
    assert_string_equal(w.secret_enc, "sealed");
    assert_true(w.enabled);
    assert_int_equal(w.created_at, 200);
    assert_string_equal(w.created_by, "usr_x");
    /* same id again; a missing org */
    struct gh_webhook dup = w;
    assert_int_equal(gh_store_webhook_insert(e->tx, &dup), GH_STORE_CONFLICT);
    gh_store_rollback(e->tx);
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &e->tx), GH_STORE_OK);
    add_org(e, "org_a");
    add_hook(e, "wh_1", "org_a", 200, true, 0, NULL);
    w.id = "wh_2";
    w.org_id = "org_nope";
    assert_int_equal(gh_store_webhook_insert(e->tx, &w), GH_STORE_CONFLICT);
    gh_store_rollback(e->tx);
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &e->tx), GH_STORE_OK);
    add_org(e, "org_a");
    add_hook(e, "wh_1", "org_a", 200, true, 0, NULL);
    assert_int_equal(gh_store_webhook_delete(e->tx, "wh_1"), GH_STORE_OK);
    assert_int_equal(gh_store_webhook_get(e->tx, "wh_1", e->a, &w), GH_STORE_NOT_FOUND);
    assert_int_equal(gh_store_webhook_delete(e->tx, "wh_1"), GH_STORE_NOT_FOUND);
}

static void test_list_by_org_newest_first(void **state)
{
    struct env *e = *state;
    add_org(e, "org_a");
    add_org(e, "org_b");
    add_hook(e, "wh_1", "org_a", 100, true, 0, NULL);
    add_hook(e, "wh_2", "org_a", 300, true, 0, NULL);
    add_hook(e, "wh_3", "org_a", 200, false, 0, NULL);
    add_hook(e, "wh_4", "org_b", 400, true, 0, NULL);
    struct gh_webhook *ws;
    size_t n;
    assert_int_equal(gh_store_webhook_list_by_org(e->tx, "org_a", NULL, e->a, &ws, &n),
                     GH_STORE_OK);
    assert_int_equal(n, 3);
    assert_string_equal(ws[0].id, "wh_2");
    assert_string_equal(ws[1].id, "wh_3");
    assert_string_equal(ws[2].id, "wh_1");
    struct gh_page page = {1, 1};
    assert_int_equal(gh_store_webhook_list_by_org(e->tx, "org_a", &page, e->a, &ws, &n),
                     GH_STORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ws[0].id, "wh_3");
    int64_t count = 0;
    assert_int_equal(gh_store_webhook_count_by_org(e->tx, "org_a", &count), GH_STORE_OK);
    assert_int_equal(count, 3);
    assert_int_equal(gh_store_webhook_count_by_org(e->tx, "org_c", &count), GH_STORE_OK);
    assert_int_equal(count, 0);
    /* the org's webhooks go with it */
    assert_int_equal(gh_store_org_delete(e->tx, "org_a"), GH_STORE_OK);
    assert_int_equal(gh_store_webhook_count_by_org(e->tx, "org_a", &count), GH_STORE_OK);
    assert_int_equal(count, 0);
    struct gh_webhook w;
    assert_int_equal(gh_store_webhook_get(e->tx, "wh_4", e->a, &w), GH_STORE_OK);
}

static void test_list_for_event(void **state)
{
    struct env *e = *state;
    add_org(e, "org_a");
    add_org(e, "org_b");
    char *red[] = {"app.access_status.red"};
    char *green[] = {"app.access_status.green", "subscription.activated"};
    add_hook(e, "wh_all", "org_a", 100, true, 0, NULL);
    add_hook(e, "wh_red", "org_a", 200, true, 1, red);
    add_hook(e, "wh_green", "org_a", 300, true, 2, green);
    add_hook(e, "wh_off", "org_a", 400, false, 0, NULL);
    add_hook(e, "wh_other", "org_b", 500, true, 0, NULL);
    struct gh_webhook *ws;
    size_t n;
    assert_int_equal(
        gh_store_webhook_list_for_event(e->tx, "org_a", "app.access_status.red", e->a, &ws, &n),
        GH_STORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ws[0].id, "wh_all");
    assert_string_equal(ws[1].id, "wh_red");
    assert_int_equal(
        gh_store_webhook_list_for_event(e->tx, "org_a", "subscription.activated", e->a, &ws, &n),
        GH_STORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ws[0].id, "wh_all");
    assert_string_equal(ws[1].id, "wh_green");
    assert_int_equal(
        gh_store_webhook_list_for_event(e->tx, "org_c", "subscription.activated", e->a, &ws, &n),
        GH_STORE_OK);
    assert_int_equal(n, 0);
    assert_null(ws);
}

static void add_msg(struct env *e, const char *id, const char *org, const char *event,
                    enum gh_outbox_channel ch, int64_t at)
{
    struct gh_outbox_msg m = {
        .id = (char *)id,
        .channel = ch,
        .event = (char *)event,
        .recipient = "wh_1",
        .body = "{}",
        .state = GH_OUTBOX_PENDING,
        .next_attempt_at = at,
        .created_at = at,
        .org_id = (char *)org,
    };
    assert_int_equal(gh_store_outbox_insert(e->tx, &m), GH_STORE_OK);
}

static void test_outbox_org_filter(void **state)
{
    struct env *e = *state;
    add_msg(e, "msg_1", "org_a", "app.access_status.red", GH_OUTBOX_WEBHOOK, 100);
    add_msg(e, "msg_2", "org_a", "app.access_status.green", GH_OUTBOX_EMAIL, 200);
    add_msg(e, "msg_3", "org_b", "app.access_status.red", GH_OUTBOX_WEBHOOK, 300);
    add_msg(e, "msg_4", NULL, "user.verify_email", GH_OUTBOX_EMAIL, 400);
    struct gh_outbox_msg m;
    assert_int_equal(gh_store_outbox_get(e->tx, "msg_1", e->a, &m), GH_STORE_OK);
    assert_string_equal(m.org_id, "org_a");
    assert_int_equal(gh_store_outbox_get(e->tx, "msg_4", e->a, &m), GH_STORE_OK);
    assert_null(m.org_id);

    struct gh_outbox_filter f = {.org_id = "org_a"};
    struct gh_outbox_msg *ms;
    size_t n;
    int64_t count = 0;
    assert_int_equal(gh_store_outbox_search(e->tx, &f, NULL, e->a, &ms, &n), GH_STORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ms[0].id, "msg_2");
    assert_string_equal(ms[1].id, "msg_1");
    assert_int_equal(gh_store_outbox_count(e->tx, &f, &count), GH_STORE_OK);
    assert_int_equal(count, 2);

    f.event = "app.access_status.red";
    assert_int_equal(gh_store_outbox_search(e->tx, &f, NULL, e->a, &ms, &n), GH_STORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ms[0].id, "msg_1");

    enum gh_outbox_state st = GH_OUTBOX_PENDING;
    enum gh_outbox_channel ch = GH_OUTBOX_WEBHOOK;
    struct gh_outbox_filter all4 = {&st, &ch, "org_b", "app.access_status.red"};
    assert_int_equal(gh_store_outbox_search(e->tx, &all4, NULL, e->a, &ms, &n), GH_STORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ms[0].id, "msg_3");
    assert_int_equal(gh_store_outbox_count(e->tx, &all4, &count), GH_STORE_OK);
    assert_int_equal(count, 1);
    st = GH_OUTBOX_SENT;
    assert_int_equal(gh_store_outbox_count(e->tx, &all4, &count), GH_STORE_OK);
    assert_int_equal(count, 0);
    assert_int_equal(gh_store_outbox_count(e->tx, NULL, &count), GH_STORE_OK);
    assert_int_equal(count, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_by_org_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_for_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_org_filter, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
