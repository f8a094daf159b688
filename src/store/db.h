/* The database driver interface: what the store needs from a SQL engine.
 *
 * curl's vtls is the model: entity code (store/users.c, store/apps.c, …) is
 * written once against this vtable, and each backend (db_sqlite.c, db_pg.c
 * with libpq) fills one in.  Callers above the store never see
 * it.  The SQL handed to a driver is the portable subset both engines speak:
 * `?` placeholders (the PostgreSQL driver rewrites them to $1, $2, …), text
 * ids, BIGINT integers, booleans as 0/1, lists as JSON text, upserts as
 * `INSERT … ON CONFLICT (…) DO UPDATE`.
 *
 * A connection (struct gh_db) is used by one thread at a time (the store's
 * pool guarantees it).  prepare() returns a statement from the connection's
 * cache, keyed by the SQL text, ready for binding; reset() hands it back.
 * Bound text must stay valid until the statement is reset: drivers do not
 * copy it.  Column values read from a row are valid until the next step() or
 * reset(). */
#ifndef GH_STORE_DB_H
#define GH_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct gh_db;      /* one connection */
struct gh_db_stmt; /* one prepared statement, owned by its connection */

enum gh_db_step {
    GH_DB_DONE = 0, /* no (more) rows */
    GH_DB_ROW,      /* a row is ready for the column_* calls */
    GH_DB_FAIL,     /* see errmsg() and the is_* classifiers */
};

struct gh_db_driver {
    const char *name; /* "sqlite", "postgres" */
    /* The engine admits one writer at a time (SQLite): the store queues its
     * write transactions in-process instead of letting them spin in the
     * engine's busy handler. */
    bool single_writer;
    /* The numbered migrations of this backend: migrations[0] is version 1.
     * Every backend has the same count with the same meaning. */
    const char *const *migrations;
    int n_migrations;

    /* target is the backend's part of the store URL (a path for SQLite).
     * NULL on failure, with one line for a person in err. */
    struct gh_db *(*connect)(const char *target, int busy_timeout_ms, char *err, size_t errlen);
    void (*close)(struct gh_db *db);

    enum gh_store_rc (*begin)(struct gh_db *db, bool write);
    enum gh_store_rc (*commit)(struct gh_db *db);
    void (*rollback)(struct gh_db *db);
    /* Runs a script of one or more statements without parameters (migrations). */
    enum gh_store_rc (*exec)(struct gh_db *db, const char *sql);

    /* NULL on failure (errmsg() says why). */
    struct gh_db_stmt *(*prepare)(struct gh_db *db, const char *sql);
    /* Parameters are numbered from 1 in placeholder order. */
    enum gh_store_rc (*bind_text)(struct gh_db_stmt *st, int idx, const char *s, size_t n);
    enum gh_store_rc (*bind_int64)(struct gh_db_stmt *st, int idx, int64_t v);
    enum gh_store_rc (*bind_null)(struct gh_db_stmt *st, int idx);
    enum gh_db_step (*step)(struct gh_db_stmt *st);
    /* Columns are numbered from 0 in select-list order. */
    const char *(*column_text)(struct gh_db_stmt *st, int col, size_t *len);
    int64_t (*column_int64)(struct gh_db_stmt *st, int col);
    bool (*column_is_null)(struct gh_db_stmt *st, int col);
    /* Done with the statement: clears bindings and returns it to the cache. */
    void (*reset)(struct gh_db_stmt *st);

    /* Rows changed by the last INSERT/UPDATE/DELETE of this connection. */
    int64_t (*changes)(struct gh_db *db);
    /* The last error, for logs; never contains bound values. */
    const char *(*errmsg)(struct gh_db *db);
    /* Classifiers of the last error. */
    bool (*is_unique_violation)(struct gh_db *db); /* UNIQUE or PRIMARY KEY */
    bool (*is_foreign_key_violation)(struct gh_db *db);
    bool (*is_busy)(struct gh_db *db); /* lock not obtained in time */

    /* Tells other processes sharing the database that this write
     * transaction changed hot-path data.  The store calls it inside the
     * transaction, just before COMMIT, when the transaction is touched; the
     * announcement must be delivered only if the transaction commits, and
     * carry origin (hex digits: the committing store, see store.h).  NULL
     * when the backend has no other process to tell (SQLite: one node). */
    enum gh_store_rc (*announce)(struct gh_db *db, const char *origin);
    /* True when the connection is still usable; a pool slot whose
     * connection broke is reconnected before reuse.  NULL: never breaks. */
    bool (*alive)(struct gh_db *db);
    /* Re-establishes a broken connection (the prepared statements of the
     * old one are gone).  GH_STORE_OK or GH_STORE_ERROR; NULL with alive. */
    enum gh_store_rc (*reconnect)(struct gh_db *db);
};

extern const struct gh_db_driver gh_db_sqlite_driver;
extern const struct gh_db_driver gh_db_pg_driver;

/* The store's answer for the driver's last error: CONFLICT for a unique or
 * foreign-key violation, BUSY for a lock timeout, ERROR otherwise. */
static inline enum gh_store_rc gh_db_error_rc(const struct gh_db_driver *drv, struct gh_db *db)
{
    if (drv->is_unique_violation(db) || drv->is_foreign_key_violation(db))
        return GH_STORE_CONFLICT;
    return drv->is_busy(db) ? GH_STORE_BUSY : GH_STORE_ERROR;
}

#endif
