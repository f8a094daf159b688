/* Store internals shared by store.c, the row mapper and the entity files.
 * Nothing outside src/store/ (and its unit tests) includes this. */
#ifndef GH_STORE_STORE_INT_H
#define GH_STORE_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/db.h"
#include "store/store.h"

/* One pooled connection and the transaction that runs on it: a gh_tx is a
 * pool slot, so beginning a transaction allocates nothing. */
struct gh_tx {
    struct gh_store *store;
    struct gh_db *db;
    struct gh_arena *scratch; /* SQL text, encoded lists; emptied at begin */
    enum gh_tx_mode mode;
    bool active;
    bool touched;
    /* The engine refused a statement: like PostgreSQL, the transaction can
     * then only be rolled back, whatever the backend. */
    enum gh_store_rc failed;
    char error[256];
};

struct gh_store {
    const struct gh_db_driver *drv;
    char *target;
    char *url;       /* as given to gh_store_open */
    char *file_path; /* the database file of an embedded store; NULL otherwise */
    int busy_timeout_ms;
    int pool_size;
    struct gh_tx *slots;
    struct gh_tx **idle; /* stack of free slots */
    int n_idle;
    bool writer_active; /* single_writer backends: a write transaction runs */
    pthread_mutex_t mu;
    pthread_cond_t slot_free;
    pthread_cond_t writer_done;
    void (*on_change)(void *ctx);
    void *on_change_ctx;
    _Atomic uint64_t generation;
    /* This store's name in change announcements (store.h), hex, random. */
    char origin[GH_STORE_ORIGIN_LEN + 1];
    _Atomic uint64_t errors;
};

/* Records the driver's last error on tx (message, error counter, log line)
 * and returns its store code.  A CONFLICT, BUSY or ERROR raised by the
 * engine marks the transaction failed. */
enum gh_store_rc gh_store_tx_db_error(struct gh_tx *tx, const char *what);
/* Records an error found by the store itself (not the engine), e.g. a bad
 * JSON list in a row; marks the transaction failed. */
enum gh_store_rc gh_store_tx_fail(struct gh_tx *tx, enum gh_store_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* GH_STORE_OK when tx may run a statement (write: a write statement). */
enum gh_store_rc gh_store_tx_usable(struct gh_tx *tx, bool write);

/* Entity writes to snapshot data: marks tx touched when the write succeeded,
 * and passes rc on. */
static inline enum gh_store_rc gh_store_touch_if_ok(struct gh_tx *tx, enum gh_store_rc rc)
{
    if (rc == GH_STORE_OK)
        gh_store_tx_touch(tx);
    return rc;
}

#endif
