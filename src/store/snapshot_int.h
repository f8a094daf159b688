/* Internals shared by snapshot_holder.c (publishing) and snapshot_load.c
 * (refresh from the store); not for other modules. */
#ifndef GH_STORE_SNAPSHOT_INT_H
#define GH_STORE_SNAPSHOT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/snapshot.h"

#define GH_SNAPSHOT_CACHE_LINE 64

struct gh_snapshot_reader_slot {
    _Alignas(GH_SNAPSHOT_CACHE_LINE) _Atomic(const struct gh_snapshot *) snap;
};

struct gh_snapshot_retired {
    struct gh_snapshot_retired *next;
    struct gh_snapshot *snap;
};

struct gh_snapshot_holder {
    /* One hazard slot per reader id (see snapshot_holder.c). */
    struct gh_snapshot_reader_slot slots[GH_SNAPSHOT_MAX_READERS];
    _Alignas(GH_SNAPSHOT_CACHE_LINE) _Atomic(struct gh_snapshot *) current;
    /* Copies of the current snapshot's generation and build time, so that
     * /metrics reads them without acquiring (written under publish_mu). */
    _Atomic uint64_t current_generation;
    _Atomic int64_t current_built_at_ms;

    _Alignas(GH_SNAPSHOT_CACHE_LINE) pthread_mutex_t publish_mu; /* publishers, retired list */
    struct gh_snapshot_retired *retired;
    size_t n_retired;

    /* Refresh from the store (snapshot_load.c). */
    pthread_mutex_t refresh_mu; /* one load+publish at a time */
    bool loaded;                /* refresh_mu: a refresh has published a load */
    uint64_t loaded_generation; /* refresh_mu: the store generation it was read at */
    struct gh_store *watched;   /* set before the on-change hook is registered */
    _Atomic uint64_t n_loads, n_skips, n_failures;
    _Atomic int64_t last_load_us;
    _Atomic bool ever_loaded;

    /* Staleness (snapshot.h): the feed's state and the last moment the
     * snapshot was known to match the database. */
    _Atomic bool feed_down;
    _Atomic int64_t synced_at_ms;
    _Atomic int64_t max_staleness_ms;
};

/* Raises the holder's synced_at_ms to t_ms unless it is later already
 * (a successful load begun at t_ms saw every commit before it). */
void gh_snapshot_holder_synced_at_least(struct gh_snapshot_holder *h, int64_t t_ms);

#endif
