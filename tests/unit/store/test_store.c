/* The store core: opening by URL, migrations, transactions, the pool, error
 * mapping and counting, the generation counter and the on-change hook, and
 * concurrent use from several threads and several stores ("nodes") on one
 * database; with GATEHOUSE_TEST_DB_URL naming a PostgreSQL database, a
 * second group checks its change announcements (NOTIFY) and reconnection
 * after the server dropped the store's sessions.  Entity operations are
 * tested in test_entities.c; raw SQL here goes through the row mapper's
 * exec/query, the same path entity code takes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <libpq-fe.h>

#include "../support/store_fixture.h"
#include "core/log.h"
#include "store/rowmap.h"
#include "store/store.h"

/* ---- helpers -------------------------------------------------------------- */

struct env {
    struct gh_fixture_db db;
    struct gh_store *store;
};

static struct gh_store *open_or_fail(const struct gh_fixture_db *db,
                                     const struct gh_store_options *opt)
{
    char err[512] = "";
    struct gh_store *s = gh_fixture_store_open(db, opt, err, sizeof err);
    if (!s)
        fail_msg("cannot open the test store %s: %s", db->url, err);
    return s;
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_true(gh_fixture_db_init(&e->db));
    e->store = open_or_fail(&e->db, NULL);
    *state = e;
    return 0;
}

/* The fixture only: tests that open their own store with other options. */
static int setup_db_only(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_true(gh_fixture_db_init(&e->db));
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    gh_store_close(e->store);
    if (e->db.dir)
        assert_true(access(e->db.dir, F_OK) == 0);
    char *dir = e->db.dir ? strdup(e->db.dir) : NULL;
    gh_fixture_db_done(&e->db);
    if (dir) /* the temporary directory is really gone */
        assert_true(access(dir, F_OK) != 0);
    free(dir);
    free(e);
    return 0;
}

static struct gh_tx *begin(struct gh_store *s, enum gh_tx_mode mode)
{
    struct gh_tx *tx = NULL;
    assert_int_equal(gh_store_begin(s, mode, &tx), GH_STORE_OK);
    assert_non_null(tx);
    return tx;
}

static enum gh_store_rc insert_jti(struct gh_tx *tx, const char *jti)
{
    struct gh_param p[] = {GH_PTEXT(jti), GH_PINT(2000000000), GH_PINT(1)};
    return gh_rowmap_exec(tx,
                          "INSERT INTO revoked_jtis (jti, expires_at, revoked_at) VALUES (?, ?, ?)",
                          p, GH_NPARAMS(p), NULL);
}

static int64_t count_sql(struct gh_tx *tx, const char *sql)
{
    int64_t n = -1;
    assert_int_equal(gh_rowmap_query_int(tx, sql, NULL, 0, &n), GH_STORE_OK);
    return n;
}

/* Rows of revoked_jtis in a fresh read transaction. */
static int64_t count_jtis(struct gh_store *s)
{
    struct gh_tx *tx = begin(s, GH_TX_READ);
    int64_t n = count_sql(tx, "SELECT COUNT(*) FROM revoked_jtis");
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    return n;
}

static void commit_one_jti(struct gh_store *s, const char *jti, bool touch)
{
    struct gh_tx *tx = begin(s, GH_TX_WRITE);
    assert_int_equal(insert_jti(tx, jti), GH_STORE_OK);
    if (touch)
        gh_store_tx_touch(tx);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

/* The test database is a PostgreSQL one (GATEHOUSE_TEST_DB_URL). */
static bool testing_postgres(void)
{
    const char *url = getenv("GATEHOUSE_TEST_DB_URL");
    return url && (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0);
}

/* A loopback TCP port nothing listens on (bound, then released). */
static int unused_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- return codes and URLs ------------------------------------------------ */

static void test_rc_names(void **state)
{
    (void)state;
    assert_string_equal(gh_store_rc_name(GH_STORE_OK), "ok");
    assert_string_equal(gh_store_rc_name(GH_STORE_NOT_FOUND), "not_found");
    assert_string_equal(gh_store_rc_name(GH_STORE_CONFLICT), "conflict");
    assert_string_equal(gh_store_rc_name(GH_STORE_BUSY), "busy");
    assert_string_equal(gh_store_rc_name(GH_STORE_ERROR), "error");
}

static void expect_refused(const char *url, const char *needle)
{
    char err[512] = "";
    struct gh_store *s = gh_store_open(url, NULL, err, sizeof err);
    if (s) {
        gh_store_close(s);
        fail_msg("store URL %s was accepted", url ? url : "(null)");
    }
    if (!strstr(err, needle))
        fail_msg("error for %s is \"%s\", expected it to say \"%s\"", url ? url : "(null)", err,
                 needle);
}

/* A PostgreSQL server that is not there: one line saying where and why,
 * without the password of the URL. */
static void test_url_postgres_unreachable(void **state)
{
    (void)state;
    int port = unused_port();
    for (int i = 0; i < 2; i++) {
        char url[160], needle[160];
        if (i == 0)
            snprintf(url, sizeof url, "postgres://gatehouse:pw-secret-77@127.0.0.1:%d/gatehouse",
                     port);
        else
            snprintf(url, sizeof url, "postgresql://127.0.0.1:%d/gh?connect_timeout=2", port);
        snprintf(needle, sizeof needle,
                 "cannot connect to PostgreSQL at 127.0.0.1:%d: connection refused", port);
        expect_refused(url, needle);
        char err[512] = "";
        assert_null(gh_store_open(url, NULL, err, sizeof err));
        assert_null(strstr(err, "pw-secret-77"));
        assert_null(strchr(err, '\n'));
    }
}

/* What the change listener of a node needs: the backend and the URL. */
static void test_backend_and_target(void **state)
{
    struct env *e = *state;
    assert_string_equal(gh_store_target(e->store), e->db.url);
    assert_int_equal(gh_store_is_postgres(e->store), testing_postgres());
    assert_string_equal(gh_store_backend(e->store), testing_postgres() ? "postgres" : "sqlite");
    if (testing_postgres())
        assert_null(gh_store_file_path(e->store));
    else
        assert_non_null(gh_store_file_path(e->store));
}

/* A `?` inside a string literal or quoted identifier is text, not a
 * parameter (the PostgreSQL driver numbers the others $1, $2, …). */
static void test_placeholder_in_literal(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(tx, "why?"), GH_STORE_OK);
    assert_int_equal(insert_jti(tx, "it's?"), GH_STORE_OK);
    struct gh_param p[] = {GH_PTEXT("it's?"), GH_PINT(1)};
    int64_t n = -1;
    assert_int_equal(
        gh_rowmap_query_int(tx,
                            "SELECT COUNT(*) /* not ? a parameter */ AS \"n?\" -- nor ?\n"
                            "FROM revoked_jtis "
                            "WHERE (jti = 'why?' OR jti = ?) AND revoked_at = ? "
                            "AND jti <> 'it''s?'' ?'",
                            p, GH_NPARAMS(p), &n),
        GH_STORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static void test_url_refusals(void **state)
{
    (void)state;
    expect_refused(NULL, "no database given");
    expect_refused("", "no database given");
    expect_refused("mysql://localhost/db", "unknown URL scheme");
    expect_refused("sqlite:", "no path given");

    char *dir = gh_fixture_tempdir();
    assert_non_null(dir);
    char url[1024];
    snprintf(url, sizeof url, "%s/no/such/dir/x.db", dir);
    expect_refused(url, "cannot open database");
    assert_true(gh_fixture_rmtree(dir));
    free(dir);
}

/* Opens url, migrates, writes one row, reopens and reads it back: the URL
 * form reaches a real file at path. */
static void check_url_opens_file(const char *url, const char *path)
{
    char err[512] = "";
    struct gh_store_options opt = {.migrate = true};
    struct gh_store *s = gh_store_open(url, &opt, err, sizeof err);
    if (!s)
        fail_msg("cannot open %s: %s", url, err);
    assert_string_equal(gh_store_backend(s), "sqlite");
    assert_string_equal(gh_store_file_path(s), path);
    commit_one_jti(s, "jti-url", false);
    gh_store_close(s);
    assert_true(access(path, F_OK) == 0);

    s = gh_store_open(url, &opt, err, sizeof err);
    if (!s)
        fail_msg("cannot reopen %s: %s", url, err);
    assert_int_equal(count_jtis(s), 1);
    gh_store_close(s);
}

static void test_url_sqlite_forms(void **state)
{
    (void)state;
    char *dir = gh_fixture_tempdir();
    assert_non_null(dir);
    char url[1200], path[1024];

    snprintf(path, sizeof path, "%s/plain.db", dir);
    check_url_opens_file(path, path);

    snprintf(path, sizeof path, "%s/prefixed.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    check_url_opens_file(url, path);

    snprintf(path, sizeof path, "%s/slashes.db", dir);
    snprintf(url, sizeof url, "sqlite://%s", path); /* sqlite:///abs/path */
    check_url_opens_file(url, path);

    snprintf(path, sizeof path, "%s/uri.db", dir);
    snprintf(url, sizeof url, "file:%s", path);
    check_url_opens_file(url, path);

    snprintf(path, sizeof path, "%s/uri-query.db", dir);
    snprintf(url, sizeof url, "file:%s?mode=rwc", path);
    check_url_opens_file(url, path);

    snprintf(path, sizeof path, "%s/uri-authority.db", dir);
    snprintf(url, sizeof url, "file://%s", path); /* file:///abs/path */
    check_url_opens_file(url, path);

    assert_true(gh_fixture_rmtree(dir));
    free(dir);
}

/* An in-memory database works as long as every transaction sees the same
 * one (the store keeps a single connection for it). */
static void test_url_memory(void **state)
{
    (void)state;
    char err[512] = "";
    struct gh_store_options opt = {.migrate = true, .pool_size = 4};
    struct gh_store *s = gh_store_open(":memory:", &opt, err, sizeof err);
    if (!s)
        fail_msg("cannot open :memory:: %s", err);
    assert_null(gh_store_file_path(s));
    commit_one_jti(s, "jti-mem-1", false);
    commit_one_jti(s, "jti-mem-2", false);
    assert_int_equal(count_jtis(s), 2);
    /* One connection only: a second transaction waits for the first. */
    gh_store_close(s);
    opt.busy_timeout_ms = 100;
    s = gh_store_open(":memory:", &opt, err, sizeof err);
    assert_non_null(s);
    struct gh_tx *held = begin(s, GH_TX_READ);
    struct gh_tx *second = NULL;
    assert_int_equal(gh_store_begin(s, GH_TX_READ, &second), GH_STORE_BUSY);
    gh_store_rollback(held);
    char why[256];
    assert_true(gh_store_ready(s, why, sizeof why));
    gh_store_close(s);
    gh_store_close(NULL);
}

/* ---- migrations ----------------------------------------------------------- */

static void test_open_with_migrate_is_ready(void **state)
{
    struct env *e = *state;
    int version = -1;
    assert_int_equal(gh_store_schema_version(e->store, &version), GH_STORE_OK);
    assert_true(gh_store_schema_latest() >= 1);
    assert_int_equal(version, gh_store_schema_latest());
    char why[256] = "unset";
    assert_true(gh_store_ready(e->store, why, sizeof why));
    assert_string_equal(why, "");

    /* Every table of the domain model exists. */
    static const char *const tables[] = {
        "users",
        "orgs",
        "memberships",
        "apis",
        "plans",
        "apps",
        "app_members",
        "api_keys",
        "certificates",
        "subscriptions",
        "subscription_events",
        "access_statuses",
        "signing_keys",
        "opaque_tokens",
        "revoked_jtis",
        "api_tokens",
        "sessions",
        "user_tokens",
        "outbox",
        "audit_events",
    };
    struct gh_tx *tx = begin(e->store, GH_TX_READ);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", tables[i]);
        int64_t n = -1;
        if (gh_rowmap_query_int(tx, sql, NULL, 0, &n) != GH_STORE_OK)
            fail_msg("table %s: %s", tables[i], gh_store_tx_error(tx));
        assert_int_equal(n, 0);
    }
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static void test_migrate_twice_is_a_no_op(void **state)
{
    struct env *e = *state;
    struct gh_store_options opt = {.migrate = false};
    e->store = open_or_fail(&e->db, &opt);
    int latest = gh_store_schema_latest();

    int version = -1;
    assert_int_equal(gh_store_schema_version(e->store, &version), GH_STORE_OK);
    char why[256] = "";
    if (!gh_fixture_db_external(&e->db)) {
        /* A fresh file: nothing applied yet, and readiness says what to do. */
        assert_int_equal(version, 0);
        assert_false(gh_store_ready(e->store, why, sizeof why));
        assert_non_null(strstr(why, "gatehouse migrate"));
        struct gh_tx *tx = begin(e->store, GH_TX_READ);
        int64_t n;
        assert_int_equal(gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM users", NULL, 0, &n),
                         GH_STORE_ERROR);
        gh_store_rollback(tx);
    }

    int from = -1, to = -1;
    char err[256] = "";
    assert_int_equal(gh_store_migrate(e->store, &from, &to, err, sizeof err), GH_STORE_OK);
    assert_int_equal(from, version);
    assert_int_equal(to, latest);
    assert_true(gh_store_ready(e->store, why, sizeof why));

    from = to = -1;
    assert_int_equal(gh_store_migrate(e->store, &from, &to, err, sizeof err), GH_STORE_OK);
    assert_int_equal(from, latest);
    assert_int_equal(to, latest);

    struct gh_tx *tx = begin(e->store, GH_TX_READ);
    assert_int_equal(count_sql(tx, "SELECT COUNT(*) FROM schema_migrations"), latest);
    assert_int_equal(count_sql(tx, "SELECT MAX(version) FROM schema_migrations"), latest);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);

    /* Data survives a reopen that migrates again. */
    commit_one_jti(e->store, "jti-survives", false);
    gh_store_close(e->store);
    e->store = open_or_fail(&e->db, &(struct gh_store_options){.migrate = true});
    if (!gh_fixture_db_external(&e->db))
        assert_int_equal(count_jtis(e->store), 1);
    tx = begin(e->store, GH_TX_READ);
    assert_int_equal(count_sql(tx, "SELECT COUNT(*) FROM schema_migrations"), latest);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

/* A database migrated by a newer gatehouse is refused by open, migrate and
 * readiness, each naming both versions. */
static void test_newer_schema_is_refused(void **state)
{
    struct env *e = *state;
    int latest = gh_store_schema_latest();
    struct gh_tx *tx = begin(e->store, GH_TX_WRITE);
    struct gh_param p[] = {GH_PINT(latest + 1), GH_PINT(time(NULL))};
    assert_int_equal(
        gh_rowmap_exec(tx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", p,
                       GH_NPARAMS(p), NULL),
        GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);

    char newer[32], known[32];
    snprintf(newer, sizeof newer, "version %d", latest + 1);
    snprintf(known, sizeof known, "(%d)", latest);

    int version = 0;
    assert_int_equal(gh_store_schema_version(e->store, &version), GH_STORE_OK);
    assert_int_equal(version, latest + 1);

    char err[512] = "";
    struct gh_store_options opt = {.migrate = true};
    struct gh_store *other = gh_store_open(e->db.url, &opt, err, sizeof err);
    assert_null(other);
    assert_non_null(strstr(err, "newer"));
    assert_non_null(strstr(err, newer));
    assert_non_null(strstr(err, known));

    opt.migrate = false; /* refused even when not asked to migrate */
    err[0] = '\0';
    assert_null(gh_store_open(e->db.url, &opt, err, sizeof err));
    assert_non_null(strstr(err, newer));

    if (testing_postgres()) { /* the message names the database, not its password */
        char url[600];
        const char *at = strchr(e->db.url, '@');
        const char *sep = strchr(e->db.url, '?') ? "&" : "?";
        if (at)
            snprintf(url, sizeof url, "%.*s:pw-secret-91%s%spassword=pw-secret-92",
                     (int)(at - e->db.url), e->db.url, at, sep);
        else
            snprintf(url, sizeof url, "%s%spassword=pw-secret-92", e->db.url, sep);
        err[0] = '\0';
        assert_null(gh_store_open(url, &opt, err, sizeof err));
        assert_non_null(strstr(err, newer));
        if (at)
            assert_non_null(strstr(err, ":***@"));
        assert_non_null(strstr(err, "password=***"));
        assert_null(strstr(err, "pw-secret"));
    }

    err[0] = '\0';
    int from = -1, to = -1;
    assert_int_equal(gh_store_migrate(e->store, &from, &to, err, sizeof err), GH_STORE_ERROR);
    assert_int_equal(from, latest + 1);
    assert_non_null(strstr(err, newer));
    assert_non_null(strstr(err, known));

    char why[256] = "";
    assert_false(gh_store_ready(e->store, why, sizeof why));
    assert_true(strlen(why) > 0);

    /* Put the database back for an external backend's next test. */
    tx = begin(e->store, GH_TX_WRITE);
    struct gh_param v[] = {GH_PINT(latest)};
    assert_int_equal(
        gh_rowmap_exec(tx, "DELETE FROM schema_migrations WHERE version > ?", v, 1, NULL),
        GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    assert_true(gh_store_ready(e->store, why, sizeof why));
}

struct opener {
    const char *url;
    pthread_barrier_t *go;
    struct gh_store *store;
    char err[512];
};

static void *open_migrating(void *arg)
{
    struct opener *o = arg;
    struct gh_store_options opt = {.migrate = true, .pool_size = 2, .busy_timeout_ms = 20000};
    pthread_barrier_wait(o->go);
    o->store = gh_store_open(o->url, &opt, o->err, sizeof o->err);
    return NULL;
}

/* Nodes starting at once on an empty database: each migration is applied
 * once, every node opens.  On PostgreSQL the empty database is a new schema
 * (search_path set through the URL's options); on SQLite a new file at
 * version 0. */
static void test_concurrent_first_start(void **state)
{
    struct env *e = *state;
    char url[700];
    char *dir = NULL;
    PGconn *admin = NULL;
    if (testing_postgres()) {
        admin = PQconnectdb(e->db.url);
        assert_int_equal(PQstatus(admin), CONNECTION_OK);
        PGresult *r = PQexec(admin, "DROP SCHEMA IF EXISTS gh_race CASCADE; CREATE SCHEMA gh_race");
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
        snprintf(url, sizeof url, "%s%soptions=-csearch_path%%3Dgh_race", e->db.url,
                 strchr(e->db.url, '?') ? "&" : "?");
    } else {
        dir = gh_fixture_tempdir();
        assert_non_null(dir);
        snprintf(url, sizeof url, "%s/race.db", dir);
        /* Created (WAL mode, no migration) before the race: switching a new
         * file to WAL is not what is tested here. */
        char err[512] = "";
        struct gh_store *s = gh_store_open(url, NULL, err, sizeof err);
        if (!s)
            fail_msg("cannot create %s: %s", url, err);
        gh_store_close(s);
    }
    enum { NODES = 3 };
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, NODES);
    struct opener o[NODES];
    pthread_t t[NODES];
    for (int i = 0; i < NODES; i++) {
        o[i] = (struct opener){.url = url, .go = &go};
        assert_int_equal(pthread_create(&t[i], NULL, open_migrating, &o[i]), 0);
    }
    for (int i = 0; i < NODES; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < NODES; i++) {
        if (!o[i].store)
            fail_msg("node %d did not open: %s", i, o[i].err);
    }
    int latest = gh_store_schema_latest();
    struct gh_tx *tx = begin(o[0].store, GH_TX_READ);
    assert_int_equal(count_sql(tx, "SELECT COUNT(*) FROM schema_migrations"), latest);
    assert_int_equal(count_sql(tx, "SELECT MAX(version) FROM schema_migrations"), latest);
    assert_int_equal(count_sql(tx, "SELECT COUNT(*) FROM users"), 0);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    for (int i = 0; i < NODES; i++)
        gh_store_close(o[i].store);
    if (admin) {
        PGresult *r = PQexec(admin, "DROP SCHEMA gh_race CASCADE");
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
        PQfinish(admin);
    } else {
        assert_true(gh_fixture_rmtree(dir));
        free(dir);
    }
}

/* A migration that fails leaves nothing half-applied: here a foreign table
 * named like one of ours makes migration 1 fail.  Always a SQLite file, as
 * it needs a database of its own. */
static void test_failed_migration_is_atomic(void **state)
{
    (void)state;
    char *dir = gh_fixture_tempdir();
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/foreign.db", dir);
    char err[512] = "";
    struct gh_store *s = gh_store_open(path, NULL, err, sizeof err);
    if (!s)
        fail_msg("cannot open %s: %s", path, err);
    struct gh_tx *tx = begin(s, GH_TX_WRITE);
    assert_int_equal(gh_rowmap_exec(tx, "CREATE TABLE users (x INTEGER)", NULL, 0, NULL),
                     GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);

    int from = -1, to = -1;
    assert_int_equal(gh_store_migrate(s, &from, &to, err, sizeof err), GH_STORE_ERROR);
    assert_non_null(strstr(err, "migration 1"));
    assert_int_equal(from, 0);
    assert_int_equal(to, 0);
    int version = -1;
    assert_int_equal(gh_store_schema_version(s, &version), GH_STORE_OK);
    assert_int_equal(version, 0);
    tx = begin(s, GH_TX_READ);
    int64_t n;
    assert_int_equal(gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM orgs", NULL, 0, &n),
                     GH_STORE_ERROR); /* created before the failure, rolled back */
    gh_store_rollback(tx);
    gh_store_close(s);

    /* Opening with migrations on refuses the database, saying why. */
    struct gh_store_options opt = {.migrate = true};
    err[0] = '\0';
    assert_null(gh_store_open(path, &opt, err, sizeof err));
    assert_non_null(strstr(err, "cannot migrate database"));
    assert_true(gh_fixture_rmtree(dir));
    free(dir);
}

/* ---- transactions and errors ---------------------------------------------- */

static void test_commit_and_rollback(void **state)
{
    struct env *e = *state;
    commit_one_jti(e->store, "jti-committed", false);

    struct gh_tx *tx = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(tx, "jti-rolled-back"), GH_STORE_OK);
    /* The transaction sees its own write… */
    assert_int_equal(count_sql(tx, "SELECT COUNT(*) FROM revoked_jtis"), 2);
    gh_store_rollback(tx);
    /* …nobody does after the rollback. */
    assert_int_equal(count_jtis(e->store), 1);

    gh_store_rollback(NULL); /* harmless */
}

static void test_write_in_read_tx_fails(void **state)
{
    struct env *e = *state;
    uint64_t errors = gh_store_error_count(e->store);
    struct gh_tx *tx = begin(e->store, GH_TX_READ);
    assert_int_equal(insert_jti(tx, "jti-ro"), GH_STORE_ERROR);
    assert_non_null(strstr(gh_store_tx_error(tx), "read transaction"));
    /* The transaction is spoilt: reads now fail too, and commit says so. */
    int64_t n;
    assert_int_equal(gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM revoked_jtis", NULL, 0, &n),
                     GH_STORE_ERROR);
    assert_int_equal(gh_store_commit(tx), GH_STORE_ERROR);
    assert_true(gh_store_error_count(e->store) > errors);
    assert_int_equal(count_jtis(e->store), 0);
}

/* A failed statement spoils the transaction like PostgreSQL does: what it
 * wrote before is rolled back by commit, which reports the failure. */
static void test_failed_statement_spoils_tx(void **state)
{
    struct env *e = *state;
    uint64_t errors = gh_store_error_count(e->store);
    struct gh_tx *tx = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(tx, "jti-before"), GH_STORE_OK);
    assert_int_equal(gh_rowmap_exec(tx, "UPDATE no_such_table SET x = 1", NULL, 0, NULL),
                     GH_STORE_ERROR);
    assert_true(strlen(gh_store_tx_error(tx)) > 0);
    assert_int_equal(gh_store_error_count(e->store), errors + 1);
    assert_int_equal(insert_jti(tx, "jti-after"), GH_STORE_ERROR);
    gh_store_tx_touch(tx);
    uint64_t gen = gh_store_generation(e->store);
    assert_int_equal(gh_store_commit(tx), GH_STORE_ERROR);
    assert_int_equal(gh_store_generation(e->store), gen);
    assert_int_equal(count_jtis(e->store), 0);

    /* The connection is clean for the next transaction. */
    commit_one_jti(e->store, "jti-next", false);
    assert_int_equal(count_jtis(e->store), 1);
}

static void test_unique_violation_is_conflict(void **state)
{
    struct env *e = *state;
    commit_one_jti(e->store, "jti-secret-value-42", false);
    uint64_t errors = gh_store_error_count(e->store);

    struct gh_tx *tx = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(tx, "jti-other"), GH_STORE_OK);
    assert_int_equal(insert_jti(tx, "jti-secret-value-42"), GH_STORE_CONFLICT);
    const char *msg = gh_store_tx_error(tx);
    assert_true(strlen(msg) > 0);
    assert_null(strstr(msg, "secret-value-42")); /* never the bound values */
    assert_int_equal(gh_store_commit(tx), GH_STORE_CONFLICT);
    /* A conflict is an answer, not a store failure. */
    assert_int_equal(gh_store_error_count(e->store), errors);
    assert_int_equal(count_jtis(e->store), 1);
}

static void test_foreign_key_violation_is_conflict(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = begin(e->store, GH_TX_WRITE);
    struct gh_param p[] = {GH_PTEXT("org_missing"), GH_PTEXT("usr_missing"), GH_PTEXT("ADMIN"),
                           GH_PINT(1)};
    assert_int_equal(gh_rowmap_exec(tx,
                                    "INSERT INTO memberships (org_id, user_id, role, created_at) "
                                    "VALUES (?, ?, ?, ?)",
                                    p, GH_NPARAMS(p), NULL),
                     GH_STORE_CONFLICT);
    gh_store_rollback(tx);
}

/* ---- generation and the on-change hook ------------------------------------ */

struct hook_state {
    atomic_int calls;
    pthread_t thread;
    struct gh_store *store; /* non-NULL: the hook reads through it */
    int64_t rows_seen;
    enum gh_store_rc read_rc;
};

static void on_change(void *ctx)
{
    struct hook_state *h = ctx;
    atomic_fetch_add(&h->calls, 1);
    h->thread = pthread_self();
    if (h->store) {
        /* What the snapshot rebuild does: a read transaction of its own. */
        struct gh_tx *tx = NULL;
        h->read_rc = gh_store_begin(h->store, GH_TX_READ, &tx);
        if (h->read_rc == GH_STORE_OK) {
            h->read_rc = gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM revoked_jtis", NULL, 0,
                                             &h->rows_seen);
            gh_store_rollback(tx);
        }
    }
}

static void test_generation_counts_touched_commits(void **state)
{
    struct env *e = *state;
    struct hook_state h = {0};
    gh_store_set_on_change(e->store, on_change, &h);
    uint64_t g0 = gh_store_generation(e->store);

    /* Not touched: no bump, no hook. */
    commit_one_jti(e->store, "jti-quiet", false);
    struct gh_tx *tx = begin(e->store, GH_TX_READ);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    assert_int_equal(gh_store_generation(e->store), g0);
    assert_int_equal(atomic_load(&h.calls), 0);

    /* Touched and committed: one bump, one hook call on this thread. */
    commit_one_jti(e->store, "jti-loud", true);
    assert_int_equal(gh_store_generation(e->store), g0 + 1);
    assert_int_equal(atomic_load(&h.calls), 1);
    assert_true(pthread_equal(h.thread, pthread_self()));

    /* Touched but rolled back: nothing. */
    tx = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(tx, "jti-undone"), GH_STORE_OK);
    gh_store_tx_touch(tx);
    gh_store_rollback(tx);
    assert_int_equal(gh_store_generation(e->store), g0 + 1);
    assert_int_equal(atomic_load(&h.calls), 1);

    /* A touch does not leak into the next transaction on the same slot. */
    commit_one_jti(e->store, "jti-quiet-2", false);
    assert_int_equal(gh_store_generation(e->store), g0 + 1);

    commit_one_jti(e->store, "jti-loud-2", true);
    assert_int_equal(gh_store_generation(e->store), g0 + 2);
    assert_int_equal(atomic_load(&h.calls), 2);

    /* Hook removed: the generation still counts. */
    gh_store_set_on_change(e->store, NULL, NULL);
    commit_one_jti(e->store, "jti-loud-3", true);
    assert_int_equal(gh_store_generation(e->store), g0 + 3);
    assert_int_equal(atomic_load(&h.calls), 2);
}

/* The hook runs after the commit released its connection: with a pool of
 * one it can still read, and it sees the committed row. */
static void test_hook_can_read_with_pool_of_one(void **state)
{
    struct env *e = *state;
    struct gh_store_options opt = {.migrate = true, .pool_size = 1, .busy_timeout_ms = 300};
    e->store = open_or_fail(&e->db, &opt);
    struct hook_state h = {.store = e->store, .read_rc = GH_STORE_ERROR, .rows_seen = -1};
    gh_store_set_on_change(e->store, on_change, &h);
    commit_one_jti(e->store, "jti-seen-by-hook", true);
    assert_int_equal(atomic_load(&h.calls), 1);
    assert_int_equal(h.read_rc, GH_STORE_OK);
    assert_int_equal(h.rows_seen, 1);
}

/* ---- the pool ------------------------------------------------------------- */

static void test_pool_exhausted_is_busy(void **state)
{
    struct env *e = *state;
    struct gh_store_options opt = {.migrate = true, .pool_size = 2, .busy_timeout_ms = 150};
    e->store = open_or_fail(&e->db, &opt);
    uint64_t errors = gh_store_error_count(e->store);

    struct gh_tx *a = begin(e->store, GH_TX_READ);
    struct gh_tx *b = begin(e->store, GH_TX_READ);
    assert_ptr_not_equal(a, b);
    struct gh_tx *c = (struct gh_tx *)&c; /* must be cleared */
    double t0 = now_ms();
    assert_int_equal(gh_store_begin(e->store, GH_TX_READ, &c), GH_STORE_BUSY);
    double waited = now_ms() - t0;
    assert_null(c);
    assert_true(waited >= 140.0); /* it waited the busy timeout… */
    assert_true(waited < 3000.0); /* …and not much longer */
    assert_int_equal(gh_store_error_count(e->store), errors + 1);

    gh_store_rollback(a);
    c = begin(e->store, GH_TX_READ); /* a slot is free again */
    assert_int_equal(gh_store_commit(c), GH_STORE_OK);
    assert_int_equal(gh_store_commit(b), GH_STORE_OK);
}

struct waiter {
    struct gh_store *store;
    atomic_bool *first_committing;
    bool saw_first_committed;
    enum gh_store_rc begin_rc;
    enum gh_store_rc commit_rc;
};

static void *second_writer(void *arg)
{
    struct waiter *w = arg;
    struct gh_tx *tx = NULL;
    w->begin_rc = gh_store_begin(w->store, GH_TX_WRITE, &tx);
    w->saw_first_committed = atomic_load(w->first_committing);
    if (w->begin_rc != GH_STORE_OK)
        return NULL;
    w->commit_rc = insert_jti(tx, "jti-second");
    if (w->commit_rc == GH_STORE_OK)
        w->commit_rc = gh_store_commit(tx);
    else
        gh_store_rollback(tx);
    return NULL;
}

/* Writers take turns on every backend (SQLite admits one writer; PostgreSQL
 * write transactions take one advisory lock): a second writer waits for the
 * first (up to the busy timeout, then BUSY) while readers carry on, and gets
 * in as soon as the first commits. */
static void test_writers_take_turns(void **state)
{
    struct env *e = *state;
    struct gh_store_options opt = {.migrate = true, .pool_size = 4, .busy_timeout_ms = 150};
    e->store = open_or_fail(&e->db, &opt);

    struct gh_tx *w1 = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(w1, "jti-first"), GH_STORE_OK);

    /* A reader is not blocked by the writer and does not see its row. */
    struct gh_tx *r = begin(e->store, GH_TX_READ);
    assert_int_equal(count_sql(r, "SELECT COUNT(*) FROM revoked_jtis"), 0);
    assert_int_equal(gh_store_commit(r), GH_STORE_OK);

    struct gh_tx *w2 = (struct gh_tx *)&w2;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &w2), GH_STORE_BUSY);
    assert_null(w2);
    assert_int_equal(gh_store_commit(w1), GH_STORE_OK);
    gh_store_close(e->store);

    /* Now with a timeout long enough for the handover (opened as is: the
     * fixture would empty an external database). */
    opt.busy_timeout_ms = 10000;
    opt.migrate = false;
    char err[512] = "";
    e->store = gh_store_open(e->db.url, &opt, err, sizeof err);
    if (!e->store)
        fail_msg("cannot reopen %s: %s", e->db.url, err);
    atomic_bool committing = false;
    struct waiter w = {.store = e->store,
                       .first_committing = &committing,
                       .begin_rc = GH_STORE_ERROR,
                       .commit_rc = GH_STORE_ERROR};
    w1 = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(w1, "jti-third"), GH_STORE_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, second_writer, &w), 0);
    usleep(100 * 1000);
    atomic_store(&committing, true);
    assert_int_equal(gh_store_commit(w1), GH_STORE_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.begin_rc, GH_STORE_OK);
    assert_int_equal(w.commit_rc, GH_STORE_OK);
    assert_true(w.saw_first_committed); /* it waited for the first writer */
    assert_int_equal(count_jtis(e->store), 3);
}

/* Two stores on one database, like two gatehouse nodes: the writer of one
 * keeps the other's writers out (BUSY after its busy timeout), not its
 * readers, and the other writes once the first committed. */
static void test_writers_of_two_nodes_take_turns(void **state)
{
    struct env *e = *state;
    e->store = open_or_fail(&e->db, NULL);
    struct gh_store_options opt = {.pool_size = 2, .busy_timeout_ms = 200};
    char err[512] = "";
    struct gh_store *other = gh_store_open(e->db.url, &opt, err, sizeof err);
    if (!other)
        fail_msg("cannot open %s again: %s", e->db.url, err);

    struct gh_tx *w1 = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(w1, "jti-node-a"), GH_STORE_OK);
    struct gh_tx *r = begin(other, GH_TX_READ);
    assert_int_equal(count_sql(r, "SELECT COUNT(*) FROM revoked_jtis"), 0);
    assert_int_equal(gh_store_commit(r), GH_STORE_OK);
    struct gh_tx *w2 = NULL;
    double t0 = now_ms();
    enum gh_store_rc rc = gh_store_begin(other, GH_TX_WRITE, &w2);
    if (rc == GH_STORE_OK) /* SQLite begins, and refuses the first write */
        rc = insert_jti(w2, "jti-node-b");
    assert_int_equal(rc, GH_STORE_BUSY);
    assert_true(now_ms() - t0 >= 150.0);
    if (w2)
        gh_store_rollback(w2);
    assert_int_equal(gh_store_commit(w1), GH_STORE_OK);

    w2 = begin(other, GH_TX_WRITE);
    assert_int_equal(count_sql(w2, "SELECT COUNT(*) FROM revoked_jtis"), 1);
    assert_int_equal(insert_jti(w2, "jti-node-b"), GH_STORE_OK);
    assert_int_equal(gh_store_commit(w2), GH_STORE_OK);
    assert_int_equal(count_jtis(e->store), 2);
    gh_store_close(other);
}

/* ---- several threads ------------------------------------------------------ */

#define THREADS 8
#define WRITES_PER_THREAD 40

struct worker {
    struct gh_store *store;
    int index;
    int failures;
    char first_failure[300];
};

static void note_failure(struct worker *w, const char *what, enum gh_store_rc rc)
{
    if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof w->first_failure, "thread %d: %s: %s", w->index, what,
                 gh_store_rc_name(rc));
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < WRITES_PER_THREAD; i++) {
        struct gh_tx *tx = NULL;
        enum gh_store_rc rc = gh_store_begin(w->store, GH_TX_WRITE, &tx);
        if (rc != GH_STORE_OK) {
            note_failure(w, "begin write", rc);
            continue;
        }
        char jti[64];
        snprintf(jti, sizeof jti, "jti-%d-%d", w->index, i);
        rc = insert_jti(tx, jti);
        gh_store_tx_touch(tx);
        if (rc != GH_STORE_OK) {
            note_failure(w, "insert", rc);
            gh_store_rollback(tx);
            continue;
        }
        rc = gh_store_commit(tx);
        if (rc != GH_STORE_OK)
            note_failure(w, "commit", rc);

        /* Read back what this thread wrote so far. */
        rc = gh_store_begin(w->store, GH_TX_READ, &tx);
        if (rc != GH_STORE_OK) {
            note_failure(w, "begin read", rc);
            continue;
        }
        char like[32];
        snprintf(like, sizeof like, "jti-%d-%%", w->index);
        struct gh_param p[] = {GH_PTEXT(like)};
        int64_t n = -1;
        rc =
            gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM revoked_jtis WHERE jti LIKE ?", p, 1, &n);
        gh_store_rollback(tx);
        if (rc != GH_STORE_OK)
            note_failure(w, "count", rc);
        else if (n != i + 1)
            note_failure(w, "own rows not all visible", GH_STORE_ERROR);
    }
    return NULL;
}

static void test_concurrent_transactions(void **state)
{
    struct env *e = *state;
    struct hook_state h = {0};
    gh_store_set_on_change(e->store, on_change, &h);
    uint64_t g0 = gh_store_generation(e->store);
    uint64_t errors = gh_store_error_count(e->store);

    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){.store = e->store, .index = i};
        assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        if (workers[i].failures)
            fail_msg("%d failures, first: %s", workers[i].failures, workers[i].first_failure);
    }
    assert_int_equal(count_jtis(e->store), THREADS * WRITES_PER_THREAD);
    assert_int_equal(gh_store_generation(e->store), g0 + THREADS * WRITES_PER_THREAD);
    assert_int_equal(atomic_load(&h.calls), THREADS * WRITES_PER_THREAD);
    assert_int_equal(gh_store_error_count(e->store), errors);
}

/* ---- PostgreSQL only ------------------------------------------------------ */

/* A second connection of the test, as another node's listener would have. */
static PGconn *side_connection(const char *url)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("side connection to %s: %s", url, PQerrorMessage(c));
    return c;
}

static void side_exec(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(res);
}

/* Notifications on GH_STORE_CHANGES_CHANNEL that arrive within ms. */
static int notifications_within(PGconn *c, int ms)
{
    int n = 0;
    double end = now_ms() + ms;
    for (;;) {
        assert_int_equal(PQconsumeInput(c), 1);
        PGnotify *note;
        while ((note = PQnotifies(c)) != NULL) {
            assert_string_equal(note->relname, GH_STORE_CHANGES_CHANNEL);
            /* the committing store's origin: hex digits, for its own
             * listener to recognise */
            assert_int_equal(strlen(note->extra), GH_STORE_ORIGIN_LEN);
            assert_int_equal(strspn(note->extra, "0123456789abcdef"), GH_STORE_ORIGIN_LEN);
            n++;
            PQfreemem(note);
        }
        double left = end - now_ms();
        if (left <= 0)
            return n;
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(PQsocket(c), &fds);
        struct timeval tv = {.tv_sec = 0, .tv_usec = (long)(left * 1000.0)};
        if (tv.tv_usec >= 1000000) {
            tv.tv_sec = tv.tv_usec / 1000000;
            tv.tv_usec %= 1000000;
        }
        select(PQsocket(c) + 1, &fds, NULL, NULL, &tv);
    }
}

/* Exactly the committed touched transactions are announced, each once. */
static void test_pg_announces_committed_changes(void **state)
{
    struct env *e = *state;
    PGconn *listener = side_connection(e->db.url);
    side_exec(listener, "LISTEN " GH_STORE_CHANGES_CHANNEL);

    commit_one_jti(e->store, "jti-quiet", false);
    struct gh_tx *tx = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(tx, "jti-undone"), GH_STORE_OK);
    gh_store_tx_touch(tx);
    gh_store_rollback(tx);
    tx = begin(e->store, GH_TX_WRITE); /* touched, then failed: rolled back */
    assert_int_equal(insert_jti(tx, "jti-quiet"), GH_STORE_CONFLICT);
    gh_store_tx_touch(tx);
    assert_int_equal(gh_store_commit(tx), GH_STORE_CONFLICT);
    assert_int_equal(notifications_within(listener, 200), 0);

    commit_one_jti(e->store, "jti-loud", true);
    assert_int_equal(notifications_within(listener, 2000), 1);
    commit_one_jti(e->store, "jti-loud-2", true);
    commit_one_jti(e->store, "jti-loud-3", true);
    int n = notifications_within(listener, 300);
    /* PostgreSQL folds identical notifications only within a transaction. */
    assert_int_equal(n, 2);
    PQfinish(listener);
}

static int64_t backend_pid(struct gh_tx *tx)
{
    return count_sql(tx, "SELECT pg_backend_pid()");
}

/* The server ends the store's sessions (as a restart does): the next
 * transactions reconnect by themselves instead of failing. */
static void test_pg_reconnects_broken_connections(void **state)
{
    struct env *e = *state;
    struct gh_store_options opt = {.migrate = true, .pool_size = 2};
    e->store = open_or_fail(&e->db, &opt);
    struct gh_tx *a = begin(e->store, GH_TX_READ);
    struct gh_tx *b = begin(e->store, GH_TX_READ);
    int64_t pid_a = backend_pid(a), pid_b = backend_pid(b);
    assert_int_equal(gh_store_commit(a), GH_STORE_OK);
    assert_int_equal(gh_store_commit(b), GH_STORE_OK);

    PGconn *admin = side_connection(e->db.url);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld), pg_terminate_backend(%lld)",
             (long long)pid_a, (long long)pid_b);
    side_exec(admin, sql);
    PQfinish(admin);
    usleep(100 * 1000);

    a = begin(e->store, GH_TX_WRITE);
    assert_int_equal(insert_jti(a, "jti-after-restart"), GH_STORE_OK);
    int64_t new_a = backend_pid(a);
    assert_int_equal(gh_store_commit(a), GH_STORE_OK);
    a = begin(e->store, GH_TX_READ);
    b = begin(e->store, GH_TX_READ);
    assert_int_equal(count_sql(a, "SELECT COUNT(*) FROM revoked_jtis"), 1);
    assert_int_equal(count_sql(b, "SELECT COUNT(*) FROM revoked_jtis"), 1);
    int64_t new_b = backend_pid(b) == new_a ? backend_pid(a) : backend_pid(b);
    assert_true(new_a != pid_a && new_a != pid_b);
    assert_true(new_b != pid_a && new_b != pid_b);
    assert_int_equal(gh_store_commit(a), GH_STORE_OK);
    assert_int_equal(gh_store_commit(b), GH_STORE_OK);
}

int main(void)
{
    gh_log_set_level(GH_LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rc_names),
        cmocka_unit_test(test_url_postgres_unreachable),
        cmocka_unit_test_setup_teardown(test_backend_and_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_placeholder_in_literal, setup, teardown),
        cmocka_unit_test(test_url_refusals),
        cmocka_unit_test(test_url_sqlite_forms),
        cmocka_unit_test(test_url_memory),
        cmocka_unit_test_setup_teardown(test_open_with_migrate_is_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_twice_is_a_no_op, setup_db_only, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup, teardown),
        cmocka_unit_test(test_failed_migration_is_atomic),
        cmocka_unit_test_setup_teardown(test_concurrent_first_start, setup_db_only, teardown),
        cmocka_unit_test_setup_teardown(test_commit_and_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_in_read_tx_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_statement_spoils_tx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_violation_is_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_key_violation_is_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generation_counts_touched_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hook_can_read_with_pool_of_one, setup_db_only,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pool_exhausted_is_busy, setup_db_only, teardown),
        cmocka_unit_test_setup_teardown(test_writers_take_turns, setup_db_only, teardown),
        cmocka_unit_test_setup_teardown(test_writers_of_two_nodes_take_turns, setup_db_only,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_transactions, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (testing_postgres()) {
        const struct CMUnitTest pg_tests[] = {
            cmocka_unit_test_setup_teardown(test_pg_announces_committed_changes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_pg_reconnects_broken_connections, setup_db_only,
                                            teardown),
        };
        failed += cmocka_run_group_tests_name("postgres", pg_tests, NULL, NULL);
    }
    return failed;
}
