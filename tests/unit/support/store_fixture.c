/* Store test fixtures (see store_fixture.h). */
#include "store_fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "store/store_int.h"

char *gh_fixture_tempdir(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    size_t n = strlen(base) + sizeof "/gatehouse-test-XXXXXX";
    char *path = gh_xmalloc(n);
    snprintf(path, n, "%s/gatehouse-test-XXXXXX", base);
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

bool gh_fixture_rmtree(const char *path)
{
    /* Depth first, without following symlinks out of the tree. */
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return false;
    return access(path, F_OK) != 0;
}

bool gh_fixture_db_external(const struct gh_fixture_db *f)
{
    return f->dir == NULL;
}

/* SQLite: children before parents, so the deletes never trip a foreign key. */
static const char empty_sqlite_tables[] = "DELETE FROM webhooks;"
                                          "DELETE FROM audit_events;"
                                          "DELETE FROM outbox;"
                                          "DELETE FROM user_tokens;"
                                          "DELETE FROM sessions;"
                                          "DELETE FROM api_tokens;"
                                          "DELETE FROM revoked_jtis;"
                                          "DELETE FROM opaque_tokens;"
                                          "DELETE FROM signing_keys;"
                                          "DELETE FROM access_statuses;"
                                          "DELETE FROM subscription_events;"
                                          "DELETE FROM subscriptions;"
                                          "DELETE FROM certificates;"
                                          "DELETE FROM api_keys;"
                                          "DELETE FROM app_members;"
                                          "DELETE FROM apps;"
                                          "DELETE FROM plans;"
                                          "DELETE FROM apis;"
                                          "DELETE FROM memberships;"
                                          "DELETE FROM orgs;"
                                          "DELETE FROM users;";

/* PostgreSQL: every table of the schema but the migrations' bookkeeping, in
 * one TRUNCATE (whatever tables later migrations add). */
static const char pg_tables_sql[] =
    "SELECT string_agg(quote_ident(tablename), ', ' ORDER BY tablename) FROM pg_tables "
    "WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'";

/* The statement that empties s's database, in the transaction's scratch
 * arena; NULL on failure (err says why). */
static const char *empty_sql(struct gh_store *s, struct gh_tx *tx, char *err, size_t errlen)
{
    if (!gh_store_is_postgres(s))
        return empty_sqlite_tables;
    struct gh_db_stmt *st = s->drv->prepare(tx->db, pg_tables_sql);
    if (!st || s->drv->step(st) != GH_DB_ROW) {
        snprintf(err, errlen, "cannot list the tables of the test database: %s",
                 s->drv->errmsg(tx->db));
        if (st)
            s->drv->reset(st);
        return NULL;
    }
    size_t n = 0;
    const char *list = s->drv->column_text(st, 0, &n);
    char *sql = NULL;
    if (list && n > 0) {
        size_t len = n + sizeof "TRUNCATE  CASCADE";
        sql = gh_arena_alloc(tx->scratch, len);
        snprintf(sql, len, "TRUNCATE %.*s CASCADE", (int)n, list);
    } else {
        snprintf(err, errlen, "the test database has no tables");
    }
    s->drv->reset(st);
    return sql;
}

static bool empty_store(struct gh_store *s, char *err, size_t errlen)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(s, GH_TX_WRITE, &tx);
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "cannot empty the test database: %s", gh_store_rc_name(rc));
        return false;
    }
    const char *sql = empty_sql(s, tx, err, errlen);
    if (!sql) {
        gh_store_rollback(tx);
        return false;
    }
    rc = s->drv->exec(tx->db, sql);
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "cannot empty the test database: %s", s->drv->errmsg(tx->db));
        gh_store_rollback(tx);
        return false;
    }
    rc = gh_store_commit(tx);
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "cannot empty the test database: %s", gh_store_rc_name(rc));
        return false;
    }
    return true;
}

/* An external database is migrated and emptied here, once per test, so that
 * every store the test then opens on it (several "processes") sees the
 * same rows. */
bool gh_fixture_db_init(struct gh_fixture_db *f)
{
    const char *env = getenv("GATEHOUSE_TEST_DB_URL");
    f->url = NULL;
    f->dir = NULL;
    if (env && *env) {
        char err[512] = "";
        struct gh_store_options opt = {.migrate = true, .pool_size = 1};
        struct gh_store *s = gh_store_open(env, &opt, err, sizeof err);
        bool ok = s && empty_store(s, err, sizeof err);
        gh_store_close(s);
        if (!ok) {
            fprintf(stderr, "store fixture: %s\n", err);
            return false;
        }
        f->url = gh_xstrdup(env);
        return true;
    }
    f->dir = gh_fixture_tempdir();
    if (!f->dir)
        return false;
    size_t n = strlen(f->dir) + sizeof "/gatehouse.db";
    f->url = gh_xmalloc(n);
    snprintf(f->url, n, "%s/gatehouse.db", f->dir);
    return true;
}

struct gh_store *gh_fixture_store_open(const struct gh_fixture_db *f,
                                       const struct gh_store_options *opt, char *err, size_t errlen)
{
    static const struct gh_store_options migrated = {.migrate = true};
    return gh_store_open(f->url, opt ? opt : &migrated, err, errlen);
}

void gh_fixture_db_done(struct gh_fixture_db *f)
{
    if (f->dir) {
        gh_fixture_rmtree(f->dir);
        free(f->dir);
    }
    free(f->url);
    f->url = NULL;
    f->dir = NULL;
}
