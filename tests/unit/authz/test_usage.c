/* API keys' last use: noted by the check, written in batches that do not
 * rebuild the snapshot, at most once a minute per key (authz/usage.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz/usage.h"
#include "core/arena.h"
#include "store/entities.h"
#include "../support/store_fixture.h"

struct fixture {
    struct gh_fixture_db db;
    struct gh_store *store;
    struct gh_authz_usage *usage;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];
    assert_true(gh_fixture_db_init(&f->db));
    f->store = gh_fixture_store_open(&f->db, NULL, err, sizeof err);
    assert_non_null(f->store);
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(f->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    struct gh_org o = {.id = "org_u", .name = "U", .partner = true, .created_at = 1};
    assert_int_equal(gh_store_org_insert(tx, &o), GH_STORE_OK);
    struct gh_app a = {.id = "app_u",
                       .org_id = "org_u",
                       .name = "U",
                       .client_id = "cu",
                       .confidential = true,
                       .created_at = 1};
    assert_int_equal(gh_store_app_insert(tx, &a), GH_STORE_OK);
    struct gh_api_key k = {.id = "key_u", .app_id = "app_u", .key_hash = "hu", .created_at = 1};
    assert_int_equal(gh_store_api_key_insert(tx, &k), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    f->usage = gh_authz_usage_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    gh_authz_usage_free(f->usage);
    gh_store_close(f->store);
    gh_fixture_db_done(&f->db);
    free(f);
    return 0;
}

static int64_t last_used(struct fixture *f, const char *id)
{
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(f->store, GH_TX_READ, &tx), GH_STORE_OK);
    struct gh_arena *a = gh_arena_new(1024);
    struct gh_api_key k;
    assert_int_equal(gh_store_api_key_get(tx, id, a, &k), GH_STORE_OK);
    gh_store_rollback(tx);
    int64_t at = k.last_used_at;
    gh_arena_free(a);
    return at;
}

static void test_flush_writes_noted_uses_once_a_minute(void **state)
{
    struct fixture *f = *state;
    uint64_t gen = gh_store_generation(f->store);
    assert_int_equal(gh_authz_usage_flush(f->usage, f->store), 0); /* nothing noted */

    gh_authz_usage_note(f->usage, GH_STR("key_u"), 1000);
    gh_authz_usage_note(f->usage, GH_STR("key_u"), 1001); /* same minute: not again */
    assert_int_equal(last_used(f, "key_u"), 0);           /* not before the flush */
    assert_int_equal(gh_authz_usage_flush(f->usage, f->store), 1);
    assert_int_equal(last_used(f, "key_u"), 1000);
    assert_int_equal(gh_authz_usage_flush(f->usage, f->store), 0); /* written once */

    gh_authz_usage_note(f->usage, GH_STR("key_u"), 1000 + GH_AUTHZ_USAGE_GRANULARITY - 1);
    assert_int_equal(gh_authz_usage_flush(f->usage, f->store), 0);
    gh_authz_usage_note(f->usage, GH_STR("key_u"), 1000 + GH_AUTHZ_USAGE_GRANULARITY);
    assert_int_equal(gh_authz_usage_flush(f->usage, f->store), 1);
    assert_int_equal(last_used(f, "key_u"), 1000 + GH_AUTHZ_USAGE_GRANULARITY);

    /* usage statistics never rebuild the snapshot */
    assert_int_equal(gh_store_generation(f->store), gen);
}

static void test_deleted_and_odd_keys_are_skipped(void **state)
{
    struct fixture *f = *state;
    gh_authz_usage_note(f->usage, GH_STR("key_gone"), 2000); /* deleted meanwhile */
    gh_authz_usage_note(f->usage, GH_STR(""), 2000);         /* ignored */
    char longid[100];
    memset(longid, 'k', sizeof longid);
    gh_authz_usage_note(f->usage, gh_str_n(longid, sizeof longid), 2000); /* ignored */
    gh_authz_usage_note(f->usage, GH_STR("key_u"), 2000);
    assert_int_equal(gh_authz_usage_flush(f->usage, f->store), 1);
    assert_int_equal(last_used(f, "key_u"), 2000);
}

/* Many keys: the table grows and every one is written. */
static void test_many_keys(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 500; i++) {
        char id[32];
        snprintf(id, sizeof id, "key_n%d", i);
        gh_authz_usage_note(f->usage, gh_str_c(id), 3000);
    }
    gh_authz_usage_note(f->usage, GH_STR("key_u"), 3000);
    assert_int_equal(gh_authz_usage_flush(f->usage, f->store), 1); /* only key_u exists */
    assert_int_equal(last_used(f, "key_u"), 3000);
    assert_int_equal(gh_authz_usage_flush(f->usage, f->store), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flush_writes_noted_uses_once_a_minute, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deleted_and_odd_keys_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
