/* The store: the one interface to persistent state (curl's vtls is the model).
 *
 * Callers never see which backend runs.  A store is opened from a URL:
 *   "gatehouse.db", "sqlite:path/to.db", "file:…"   the embedded SQLite backend
 *   "postgres://…", "postgresql://…"                 PostgreSQL (libpq; docs/postgres.md)
 *
 * All work happens in an explicit transaction on one pooled connection:
 *
 *   struct gh_tx *tx;
 *   if (gh_store_begin(store, GH_TX_WRITE, &tx) != GH_STORE_OK) …
 *   rc = gh_store_app_insert(tx, &app);
 *   rc == GH_STORE_OK ? gh_store_commit(tx) : gh_store_rollback(tx);
 *
 * Every entity operation returns an enum gh_store_rc; GH_STORE_CONFLICT means
 * a unique constraint refused the row (duplicate email, tenant, client_id…),
 * GH_STORE_NOT_FOUND a missing row.  Reads copy rows into the caller's arena.
 * A write that touches data the hot-path snapshot depends on marks the
 * transaction; committing it bumps the store generation and runs the
 * on-change hook (the snapshot rebuild) before gh_store_commit returns, so a
 * change is visible to the very next request.
 *
 * Thread safety: a gh_store is shared by all threads; a gh_tx belongs to the
 * thread that began it. */
#ifndef GH_STORE_STORE_H
#define GH_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/model.h"

struct gh_store;
struct gh_tx;

enum gh_store_rc {
    GH_STORE_OK = 0,
    GH_STORE_NOT_FOUND,
    GH_STORE_CONFLICT, /* unique or foreign-key constraint */
    GH_STORE_BUSY,     /* could not get the database lock in time */
    GH_STORE_ERROR,    /* anything else; see gh_store_tx_error() */
};

enum gh_tx_mode { GH_TX_READ = 0, GH_TX_WRITE };

struct gh_store_options {
    int pool_size;       /* connections; 0: a default */
    int busy_timeout_ms; /* 0: 5000 */
    bool migrate;        /* apply pending migrations on open (serve does) */
};

const char *gh_store_rc_name(enum gh_store_rc rc);

/* Opens the store at url.  On failure returns NULL and writes one line for a
 * person into err ("cannot open database …: reason"). */
struct gh_store *gh_store_open(const char *url, const struct gh_store_options *opt, char *err,
                               size_t errlen);
void gh_store_close(struct gh_store *s);
/* "sqlite" or "postgres". */
const char *gh_store_backend(const struct gh_store *s);
/* The database file of an embedded (SQLite) store, e.g. for files kept
 * beside it; NULL for an in-memory database or a database server. */
const char *gh_store_file_path(const struct gh_store *s);
/* True when the store runs on PostgreSQL (several nodes may share it). */
bool gh_store_is_postgres(const struct gh_store *s);
/* The URL the store was opened with (postgres://… for PostgreSQL), e.g. for
 * a listener's own connection; owned by the store. */
const char *gh_store_target(const struct gh_store *s);
/* On PostgreSQL every committed touched transaction runs
 * pg_notify(GH_STORE_CHANGES_CHANNEL, origin) just before its COMMIT, so
 * the notification reaches listeners exactly when the change committed.
 * origin is the committing store's GH_STORE_ORIGIN_LEN hex digits, random
 * per gh_store_open: a node's listener skips its own store's notifications,
 * whose change the commit already put into its snapshot. */
#define GH_STORE_CHANGES_CHANNEL "gatehouse_changes"
#define GH_STORE_ORIGIN_LEN 32

/* Schema.  gh_store_migrate applies pending numbered migrations, each in its
 * own transaction; idempotent.  A database whose version is newer than this
 * binary knows is refused (GH_STORE_ERROR with a message saying so). */
int gh_store_schema_latest(void);
enum gh_store_rc gh_store_schema_version(struct gh_store *s, int *version);
enum gh_store_rc gh_store_migrate(struct gh_store *s, int *from, int *to, char *err, size_t errlen);

/* Readiness: the database answers and the schema is current. */
bool gh_store_ready(struct gh_store *s, char *why, size_t whylen);
/* Errors seen since start (for /metrics). */
uint64_t gh_store_error_count(const struct gh_store *s);

/* Transactions. */
enum gh_store_rc gh_store_begin(struct gh_store *s, enum gh_tx_mode mode, struct gh_tx **out);
enum gh_store_rc gh_store_commit(struct gh_tx *tx);
void gh_store_rollback(struct gh_tx *tx);
/* The last error of this transaction, for logs; never contains bound values. */
const char *gh_store_tx_error(const struct gh_tx *tx);
/* Marks the transaction as changing hot-path data (entity ops do this). */
void gh_store_tx_touch(struct gh_tx *tx);

/* Change notification: fn(ctx) runs after each commit of a touched
 * transaction, on the committing thread, before gh_store_commit returns. */
void gh_store_set_on_change(struct gh_store *s, void (*fn)(void *ctx), void *ctx);
/* Incremented by every committed touched transaction. */
uint64_t gh_store_generation(const struct gh_store *s);

/* Paging for list operations. */
struct gh_page {
    int64_t offset;
    int64_t limit; /* 0: no limit (internal callers such as the snapshot) */
};

#include "store/entities.h"

#endif
