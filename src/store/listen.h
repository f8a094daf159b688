/* The change feed of a node on PostgreSQL: other nodes' commits reach this
 * node's snapshot.
 *
 * Every write transaction that changed hot-path data runs
 * pg_notify(GH_STORE_CHANGES_CHANNEL, '') before its COMMIT (store.c), so
 * the notification is delivered exactly when the change is visible.  The
 * listener keeps its own libpq connection (not a pool slot) with
 * `LISTEN gatehouse_changes` and a thread that waits on its socket; each
 * batch of notifications moves the store generation and reloads the
 * snapshot (a burst arriving during a reload costs one more reload, not one
 * each).  A full reload also runs every refresh_secs whatever happens (the
 * safety net) and after every reconnection (changes made meanwhile were not
 * announced to this node).
 *
 * Connection lost: the holder is told (gh_snapshot_holder_feed_lost: the
 * staleness clock runs), readiness reports "database unreachable since …",
 * and the thread reconnects with a backoff of 100 ms doubling to 5 s.  Once
 * LISTEN is back and a full load begun after it succeeded, the holder is
 * told the feed is restored and the node is ready again.
 *
 *   struct gh_listener *l = gh_listener_start(store, holder, 30, err, sizeof err);
 *   …
 *   gh_listener_stop(l);     (before the holder and the store go)
 */
#ifndef GH_STORE_LISTEN_H
#define GH_STORE_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/snapshot.h"
#include "store/store.h"

#define GH_LISTENER_DEFAULT_REFRESH_SECS 30

struct gh_listener;

/* Starts the listener of a PostgreSQL store (gh_store_is_postgres) feeding
 * holder, which must already be watching store.  refresh_secs: the periodic
 * full reload (<= 0: GH_LISTENER_DEFAULT_REFRESH_SECS).  It connects,
 * listens and reloads once before returning, so the node is ready when it
 * starts serving; if that fails the thread keeps trying (the node is not
 * ready meanwhile).  NULL with err filled when the thread cannot start or
 * the store is not PostgreSQL.  Stop it with gh_listener_stop. */
struct gh_listener *gh_listener_start(struct gh_store *store, struct gh_snapshot_holder *holder,
                                      int refresh_secs, char *err, size_t errlen);
/* Stops the thread (within one poll interval, or a connect attempt's
 * timeout), closes the connection, frees l.  NULL is ignored. */
void gh_listener_stop(struct gh_listener *l);

/* Readiness: true when the feed is up and the snapshot has caught up with
 * it; otherwise why receives one line ("database unreachable since
 * 2026-11-23T22:01:02Z: connection refused…"). */
bool gh_listener_ready(struct gh_listener *l, char *why, size_t whylen);

struct gh_listener_stats {
    bool connected;         /* LISTEN is active and the snapshot caught up */
    int64_t down_since_ms;  /* Unix ms the feed was lost; 0 while up */
    uint64_t notifications; /* notifications received */
    uint64_t own;           /* of them, this store's own commits (no reload) */
    uint64_t reloads;       /* reloads the listener ran (notifications, timer, reconnects) */
    uint64_t reconnects;    /* connections re-established after a loss */
};
void gh_listener_get_stats(struct gh_listener *l, struct gh_listener_stats *out);

#endif
