/* The SQLite driver (see store/db.h).
 *
 * Every SQLite specific lives here: the pragmas (WAL, foreign keys, busy
 * timeout, synchronous=NORMAL, which is durable enough under WAL and much
 * cheaper than FULL), BEGIN IMMEDIATE for writers so that two writers never
 * deadlock on a lock upgrade, and a per-connection cache of prepared
 * statements keyed by the SQL text (an open-addressing table), so the hot
 * statements are parsed once per connection. */
#include "store/db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/schema.h"
#include "store/stmt_cache.h"

struct gh_db_stmt {
    sqlite3_stmt *st;
    struct gh_db *db;
    char *sql; /* the cache key; NULL for an uncached statement */
    bool in_use;
};

struct gh_db {
    sqlite3 *h;
    int last_rc;   /* extended result code of the last failure */
    char err[256]; /* a failure outside sqlite3 (cache, pragmas) */
    struct gh_stmt_cache cache;
};

static void remember(struct gh_db *db, int rc)
{
    db->last_rc = rc;
    db->err[0] = '\0';
}

static enum gh_store_rc rc_of(struct gh_db *db, int rc)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
        return GH_STORE_OK;
    remember(db, sqlite3_extended_errcode(db->h));
    return gh_db_error_rc(&gh_db_sqlite_driver, db);
}

/* Runs a statement that may return rows (pragmas) and ignores them. */
static int exec_ignore_rows(sqlite3 *h, const char *sql)
{
    return sqlite3_exec(h, sql, NULL, NULL, NULL);
}

static struct gh_db *sq_connect(const char *target, int busy_timeout_ms, char *err, size_t errlen)
{
    sqlite3 *h = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (strncmp(target, "file:", 5) == 0)
        flags |= SQLITE_OPEN_URI;
    int rc = sqlite3_open_v2(target, &h, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", target,
                 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return NULL;
    }
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_timeout(h, busy_timeout_ms);
    static const char *const pragmas[] = {
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
    };
    for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
        if (exec_ignore_rows(h, pragmas[i]) != SQLITE_OK) {
            snprintf(err, errlen, "cannot open database %s: %s", target, sqlite3_errmsg(h));
            sqlite3_close(h);
            return NULL;
        }
    }
    struct gh_db *db = gh_xcalloc(1, sizeof *db);
    db->h = h;
    gh_stmt_cache_init(&db->cache);
    return db;
}

static void stmt_free(void *p)
{
    struct gh_db_stmt *s = p;
    sqlite3_finalize(s->st);
    free(s->sql);
    free(s);
}

static void sq_close(struct gh_db *db)
{
    if (!db)
        return;
    gh_stmt_cache_free(&db->cache, stmt_free);
    sqlite3_close(db->h);
    free(db);
}

static struct gh_db_stmt *stmt_new(struct gh_db *db, const char *sql, bool cached)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(db->h, sql, -1, cached ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL);
    if (rc != SQLITE_OK) {
        remember(db, sqlite3_extended_errcode(db->h));
        sqlite3_finalize(st);
        return NULL;
    }
    struct gh_db_stmt *s = gh_xcalloc(1, sizeof *s);
    s->st = st;
    s->db = db;
    s->sql = cached ? gh_xstrdup(sql) : NULL;
    return s;
}

/* A statement already handed out (the same SQL used twice at once, e.g.
 * inside a loop over its own rows) gets an uncached twin, finalized on reset. */
static struct gh_db_stmt *sq_prepare(struct gh_db *db, const char *sql)
{
    struct gh_db_stmt *s = gh_stmt_cache_get(&db->cache, sql);
    if (s && !s->in_use) {
        s->in_use = true;
        return s;
    }
    bool cache_it = s == NULL; /* not found, rather than found busy */
    s = stmt_new(db, sql, cache_it);
    if (!s)
        return NULL;
    if (cache_it)
        gh_stmt_cache_put(&db->cache, s->sql, s);
    s->in_use = true;
    return s;
}

static void sq_reset(struct gh_db_stmt *s)
{
    if (!s)
        return;
    if (!s->sql) {
        stmt_free(s);
        return;
    }
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
    s->in_use = false;
}

static enum gh_store_rc sq_bind_text(struct gh_db_stmt *s, int idx, const char *p, size_t n)
{
    return rc_of(s->db, sqlite3_bind_text64(s->st, idx, p, n, SQLITE_STATIC, SQLITE_UTF8));
}

static enum gh_store_rc sq_bind_int64(struct gh_db_stmt *s, int idx, int64_t v)
{
    return rc_of(s->db, sqlite3_bind_int64(s->st, idx, v));
}

static enum gh_store_rc sq_bind_null(struct gh_db_stmt *s, int idx)
{
    return rc_of(s->db, sqlite3_bind_null(s->st, idx));
}

static enum gh_db_step sq_step(struct gh_db_stmt *s)
{
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_ROW)
        return GH_DB_ROW;
    if (rc == SQLITE_DONE)
        return GH_DB_DONE;
    remember(s->db, sqlite3_extended_errcode(s->db->h));
    return GH_DB_FAIL;
}

static const char *sq_column_text(struct gh_db_stmt *s, int col, size_t *len)
{
    const char *p = (const char *)sqlite3_column_text(s->st, col);
    if (len)
        *len = p ? (size_t)sqlite3_column_bytes(s->st, col) : 0;
    return p;
}

static int64_t sq_column_int64(struct gh_db_stmt *s, int col)
{
    return sqlite3_column_int64(s->st, col);
}

static bool sq_column_is_null(struct gh_db_stmt *s, int col)
{
    return sqlite3_column_type(s->st, col) == SQLITE_NULL;
}

/* Runs one parameterless statement through the cache (BEGIN, COMMIT, …). */
static enum gh_store_rc run_cached(struct gh_db *db, const char *sql)
{
    struct gh_db_stmt *s = sq_prepare(db, sql);
    if (!s)
        return gh_db_error_rc(&gh_db_sqlite_driver, db);
    enum gh_store_rc rc =
        sq_step(s) == GH_DB_FAIL ? gh_db_error_rc(&gh_db_sqlite_driver, db) : GH_STORE_OK;
    sq_reset(s);
    return rc;
}

static enum gh_store_rc sq_begin(struct gh_db *db, bool write)
{
    return run_cached(db, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static enum gh_store_rc sq_commit(struct gh_db *db)
{
    return run_cached(db, "COMMIT");
}

static void sq_rollback(struct gh_db *db)
{
    if (!sqlite3_get_autocommit(db->h)) {
        int saved = db->last_rc;
        run_cached(db, "ROLLBACK");
        db->last_rc = saved;
    }
}

static enum gh_store_rc sq_exec(struct gh_db *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
    enum gh_store_rc out = GH_STORE_OK;
    if (rc != SQLITE_OK) {
        out = rc_of(db, rc);
        if (msg)
            snprintf(db->err, sizeof db->err, "%s", msg);
    }
    sqlite3_free(msg);
    return out;
}

static int64_t sq_changes(struct gh_db *db)
{
    return sqlite3_changes64(db->h);
}

static const char *sq_errmsg(struct gh_db *db)
{
    return db->err[0] ? db->err : sqlite3_errmsg(db->h);
}

static bool sq_is_unique_violation(struct gh_db *db)
{
    return db->last_rc == SQLITE_CONSTRAINT_UNIQUE || db->last_rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

static bool sq_is_foreign_key_violation(struct gh_db *db)
{
    return db->last_rc == SQLITE_CONSTRAINT_FOREIGNKEY;
}

static bool sq_is_busy(struct gh_db *db)
{
    int primary = db->last_rc & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

const struct gh_db_driver gh_db_sqlite_driver = {
    .name = "sqlite",
    .single_writer = true,
    .migrations = gh_schema_sqlite,
    .n_migrations = GH_SCHEMA_VERSION,
    .connect = sq_connect,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .bind_text = sq_bind_text,
    .bind_int64 = sq_bind_int64,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .column_text = sq_column_text,
    .column_int64 = sq_column_int64,
    .column_is_null = sq_column_is_null,
    .reset = sq_reset,
    .changes = sq_changes,
    .errmsg = sq_errmsg,
    .is_unique_violation = sq_is_unique_violation,
    .is_foreign_key_violation = sq_is_foreign_key_violation,
    .is_busy = sq_is_busy,
};
