/* The change feed (store/listen.h) and the snapshot holder's staleness.
 *
 * Staleness and the refusal of a non-PostgreSQL store run on every backend.
 * With GATEHOUSE_TEST_DB_URL naming a PostgreSQL database (the "postgres"
 * phase of scripts/test.sh), two stores on it stand for two nodes: a change
 * committed through one reaches the other's snapshot through the listener,
 * and a terminated listener connection makes the node not ready until it
 * reconnected and caught up. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../support/store_fixture.h"
#include "core/log.h"
#include "store/listen.h"
#include "store/snapshot.h"
#include "store/store.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- staleness (no database) ------------------------------------------- */

static void test_holder_without_feed_loss_is_never_stale(void **state)
{
    (void)state;
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    gh_snapshot_holder_set_max_staleness(h, 1000);
    char why[256] = "";
    /* SQLite, or a feed that is up: however old the snapshot */
    assert_false(gh_snapshot_holder_stale(h, now_ms() + 86400000, why, sizeof why));
    assert_string_equal(why, "");
    gh_snapshot_holder_free(h);
}

static void test_feed_lost_stale_only_past_the_limit_until_restored(void **state)
{
    (void)state;
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    gh_snapshot_holder_set_max_staleness(h, 2000);
    int64_t t = now_ms();
    gh_snapshot_holder_feed_lost(h, t);
    assert_int_equal(gh_snapshot_holder_synced_at_ms(h), t);
    char why[256] = "";
    assert_false(gh_snapshot_holder_stale(h, t + 2000, why, sizeof why)); /* at the limit */
    assert_true(gh_snapshot_holder_stale(h, t + 3500, why, sizeof why));
    assert_non_null(strstr(why, "unreachable for 3 s"));
    assert_non_null(strstr(why, "(2 s)"));
    gh_snapshot_holder_feed_restored(h);
    assert_false(gh_snapshot_holder_stale(h, t + 3500, NULL, 0));
    /* no limit configured: never stale */
    gh_snapshot_holder_set_max_staleness(h, 0);
    gh_snapshot_holder_feed_lost(h, t);
    assert_false(gh_snapshot_holder_stale(h, t + 86400000, NULL, 0));
    gh_snapshot_holder_free(h);
}

static void test_feed_lost_keeps_a_later_sync_time(void **state)
{
    (void)state;
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    gh_snapshot_holder_set_max_staleness(h, 1000);
    int64_t t = now_ms();
    gh_snapshot_holder_feed_lost(h, t);
    gh_snapshot_holder_feed_lost(h, t - 60000); /* an older sign of life changes nothing */
    assert_int_equal(gh_snapshot_holder_synced_at_ms(h), t);
    assert_false(gh_snapshot_holder_stale(h, t + 500, NULL, 0));
    gh_snapshot_holder_free(h);
}

/* ---- with a store --------------------------------------------------------- */

struct env {
    struct gh_fixture_db db;
    struct gh_store *store;
};

static int env_setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    gh_log_set_level(GH_LOG_ERROR); /* not the "migrated" lines */
    if (!gh_fixture_db_init(&e->db)) {
        free(e);
        return -1;
    }
    char err[256] = "";
    e->store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!e->store) {
        fprintf(stderr, "store open: %s\n", err);
        gh_fixture_db_done(&e->db);
        free(e);
        return -1;
    }
    *state = e;
    return 0;
}

static int env_teardown(void **state)
{
    struct env *e = *state;
    gh_store_close(e->store);
    gh_fixture_db_done(&e->db);
    free(e);
    gh_log_set_level(GH_LOG_INFO);
    return 0;
}

static void insert_org(struct gh_store *store, const char *id)
{
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(store, GH_TX_WRITE, &tx), GH_STORE_OK);
    struct gh_org o = {
        .id = (char *)id, .name = "Org", .partner = true, .created_at = 1, .updated_at = 1};
    assert_int_equal(gh_store_org_insert(tx, &o), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static bool holder_has_org(struct gh_snapshot_holder *h, const char *id)
{
    const struct gh_snapshot *s = gh_snapshot_acquire(h);
    bool has = gh_snapshot_org_by_id(s, gh_str_c(id)) != NULL;
    gh_snapshot_release(h, s);
    return has;
}

/* A successful load while the feed is down moves the sync time: a node whose
 * listener alone is cut, but whose pool still reads, is not stale. */
static void test_load_while_feed_down_moves_sync_time(void **state)
{
    struct env *e = *state;
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    gh_snapshot_holder_set_max_staleness(h, 1000);
    int64_t old = now_ms() - 60000;
    gh_snapshot_holder_feed_lost(h, old);
    assert_true(gh_snapshot_holder_stale(h, now_ms(), NULL, 0));
    int64_t before = now_ms();
    assert_true(gh_snapshot_refresh(h, e->store));
    assert_true(gh_snapshot_holder_synced_at_ms(h) >= before);
    assert_false(gh_snapshot_holder_stale(h, now_ms(), NULL, 0));
    gh_snapshot_holder_free(h);
}

static void test_listener_needs_postgres_or_follows_other_nodes(void **state)
{
    struct env *e = *state;
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    assert_true(gh_snapshot_refresh(h, e->store));
    gh_snapshot_holder_watch(h, e->store);
    char err[256] = "";
    struct gh_listener *l = gh_listener_start(e->store, h, 30, err, sizeof err);
    if (!gh_store_is_postgres(e->store)) {
        /* SQLite: one node, nothing to listen to */
        assert_null(l);
        assert_non_null(strstr(err, "PostgreSQL"));
        gh_snapshot_holder_unwatch(h);
        gh_snapshot_holder_free(h);
        return;
    }
    assert_non_null(l);
    char why[256] = "";
    assert_true(gh_listener_ready(l, why, sizeof why)); /* connected before returning */

    /* another node: its own store on the same database */
    struct gh_store *other = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    assert_non_null(other);
    uint64_t gen = gh_snapshot_holder_generation(h);
    insert_org(other, "org_from_other_node");
    int waited = 0;
    while (!holder_has_org(h, "org_from_other_node") && waited < 2000) {
        sleep_ms(2);
        waited += 2;
    }
    assert_true(holder_has_org(h, "org_from_other_node"));
    assert_true(gh_snapshot_holder_generation(h) > gen);
    struct gh_listener_stats st;
    gh_listener_get_stats(l, &st);
    assert_true(st.connected);
    assert_true(st.notifications >= 1);
    assert_true(st.reloads >= 1);

    /* this node's own write: the commit reloaded the snapshot, so its
     * notification is recognised by its origin and costs no second load */
    uint64_t reloads = st.reloads, own = st.own;
    insert_org(e->store, "org_from_this_node");
    assert_true(holder_has_org(h, "org_from_this_node")); /* the commit's own reload */
    for (int i = 0; i < 1000 && st.own == own; i++) {
        sleep_ms(2);
        gh_listener_get_stats(l, &st);
    }
    assert_int_equal(st.own, own + 1);
    assert_int_equal(st.reloads, reloads);

    /* the listener's connection is killed: not ready, then back by itself,
     * having caught up with what was committed meanwhile */
    PGconn *admin = PQconnectdb(getenv("GATEHOUSE_TEST_DB_URL"));
    assert_int_equal(PQstatus(admin), CONNECTION_OK);
    PGresult *r = PQexec(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE application_name = 'gatehouse-listener'");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_true(PQntuples(r) >= 1);
    PQclear(r);
    PQfinish(admin);
    bool seen_down = false;
    for (int i = 0; i < 500 && !seen_down; i++) {
        seen_down = !gh_listener_ready(l, why, sizeof why);
        if (!seen_down)
            sleep_ms(1);
    }
    assert_true(seen_down);
    assert_non_null(strstr(why, "database unreachable since"));
    insert_org(other, "org_meanwhile");
    for (int i = 0; i < 1000 && !gh_listener_ready(l, why, sizeof why); i++)
        sleep_ms(10);
    assert_true(gh_listener_ready(l, why, sizeof why));
    /* committed while down: in the catch-up load; or, if the reconnection
     * won the race, announced like any change */
    for (int i = 0; i < 1000 && !holder_has_org(h, "org_meanwhile"); i++)
        sleep_ms(2);
    assert_true(holder_has_org(h, "org_meanwhile"));
    gh_listener_get_stats(l, &st);
    assert_true(st.reconnects >= 1);

    gh_store_close(other);
    gh_listener_stop(l);
    gh_snapshot_holder_unwatch(h);
    gh_snapshot_holder_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holder_without_feed_loss_is_never_stale),
        cmocka_unit_test(test_feed_lost_stale_only_past_the_limit_until_restored),
        cmocka_unit_test(test_feed_lost_keeps_a_later_sync_time),
        cmocka_unit_test_setup_teardown(test_load_while_feed_down_moves_sync_time, env_setup,
                                        env_teardown),
        cmocka_unit_test_setup_teardown(test_listener_needs_postgres_or_follows_other_nodes,
                                        env_setup, env_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
