/* Loading the snapshot from the store, and keeping a holder current.
 *
 * A load is a full rebuild: one read transaction, every _list of the
 * snapshot's entities, the builder.  Rebuilding rather than patching keeps
 * the snapshot trivially consistent with the database (one transaction is one
 * point in time) and costs tens of milliseconds for ten thousand apps, paid
 * by the writer that committed, never by readers.
 *
 * Why the generation is read before the transaction begins: the store bumps
 * its generation after the database commit, so every change counted in a
 * generation read at time t was committed before t, and a transaction that
 * begins after t sees it.  Labelling the snapshot with that generation can
 * only under-claim (a change committed meanwhile is in the data but not the
 * label, which costs one needless reload), never over-claim, and so the
 * coalescing skip in gh_snapshot_refresh never hides a change. */
#include "store/snapshot.h"

#include <stdio.h>
#include <time.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/snapshot_int.h"
#include "store/store.h"

static void load_error(char *err, size_t errlen, const char *what, enum gh_store_rc rc,
                       const char *detail)
{
    if (!err || errlen == 0)
        return;
    snprintf(err, errlen, "snapshot: reading %s: %s%s%s", what, gh_store_rc_name(rc),
             detail && *detail ? ": " : "", detail ? detail : "");
}

bool gh_snapshot_load(struct gh_store *store, struct gh_snapshot **out, char *err, size_t errlen)
{
    *out = NULL;
    uint64_t generation = gh_store_generation(store); /* before begin: see the top */
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(store, GH_TX_READ, &tx);
    if (rc != GH_STORE_OK) {
        load_error(err, errlen, "(begin)", rc, NULL);
        return false;
    }
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    gh_snapshot_builder_set_generation(b, generation);
    /* Rows live here only until the builder has copied them. */
    struct gh_arena *rows = gh_arena_new(1 << 20);
    const char *what = "";

    /* One entity kind: list every row, add each to the builder.  A macro
     * because each kind has its own row type and functions. */
#define LOAD(name, type, list_fn, add_fn)                                                          \
    if (rc == GH_STORE_OK) {                                                                       \
        type *v = NULL;                                                                            \
        size_t n = 0;                                                                              \
        what = name;                                                                               \
        rc = list_fn(tx, NULL, rows, &v, &n);                                                      \
        for (size_t i = 0; rc == GH_STORE_OK && i < n; i++)                                        \
            add_fn(b, &v[i]);                                                                      \
        gh_arena_reset(rows);                                                                      \
    }
    LOAD("orgs", struct gh_org, gh_store_org_list, gh_snapshot_builder_add_org)
    LOAD("apis", struct gh_api, gh_store_api_list, gh_snapshot_builder_add_api)
    LOAD("plans", struct gh_plan, gh_store_plan_list, gh_snapshot_builder_add_plan)
    LOAD("apps", struct gh_app, gh_store_app_list, gh_snapshot_builder_add_app)
    LOAD("api_keys", struct gh_api_key, gh_store_api_key_list, gh_snapshot_builder_add_api_key)
    LOAD("certificates", struct gh_certificate, gh_store_certificate_list,
         gh_snapshot_builder_add_certificate)
    LOAD("subscriptions", struct gh_subscription, gh_store_subscription_list,
         gh_snapshot_builder_add_subscription)
    LOAD("access_statuses", struct gh_access_status_rec, gh_store_access_status_list,
         gh_snapshot_builder_add_access_status)
    LOAD("signing_keys", struct gh_signing_key, gh_store_signing_key_list,
         gh_snapshot_builder_add_signing_key)
    LOAD("revoked_jtis", struct gh_revoked_jti, gh_store_revoked_jti_list,
         gh_snapshot_builder_add_revoked_jti)
#undef LOAD

    gh_arena_free(rows);
    if (rc != GH_STORE_OK) {
        load_error(err, errlen, what, rc, gh_store_tx_error(tx)); /* before the tx goes back */
        gh_store_rollback(tx);
        gh_snapshot_builder_free(b);
        return false;
    }
    gh_store_rollback(tx); /* read-only: ending it is all that is left */
    *out = gh_snapshot_builder_finish(b);
    return true;
}

bool gh_snapshot_refresh(struct gh_snapshot_holder *h, struct gh_store *store)
{
    pthread_mutex_lock(&h->refresh_mu);
    if (h->loaded && gh_store_generation(store) == h->loaded_generation) {
        atomic_fetch_add(&h->n_skips, 1);
        pthread_mutex_unlock(&h->refresh_mu);
        return true;
    }
    int64_t t0 = gh_monotonic_us();
    int64_t began_ms = gh_realtime_ms();
    struct gh_snapshot *s;
    char err[512];
    if (!gh_snapshot_load(store, &s, err, sizeof err)) {
        atomic_fetch_add(&h->n_failures, 1);
        pthread_mutex_unlock(&h->refresh_mu);
        gh_log_msg_str(GH_LOG_ERROR, "snapshot.refresh_failed", "error", err);
        return false;
    }
    uint64_t generation = gh_snapshot_generation(s);
    gh_snapshot_publish(h, s);
    h->loaded = true;
    h->loaded_generation = generation;
    int64_t took = gh_monotonic_us() - t0;
    atomic_store(&h->last_load_us, took);
    atomic_fetch_add(&h->n_loads, 1);
    atomic_store(&h->ever_loaded, true);
    gh_snapshot_holder_synced_at_least(h, began_ms);
    pthread_mutex_unlock(&h->refresh_mu);

    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_DEBUG, "snapshot.refreshed")) {
        gh_log_int(&l, "generation", (int64_t)generation);
        gh_log_int(&l, "load_us", took);
        gh_log_end(&l);
    }
    return true;
}

static void on_store_change(void *ctx)
{
    struct gh_snapshot_holder *h = ctx;
    gh_snapshot_refresh(h, h->watched);
}

void gh_snapshot_holder_watch(struct gh_snapshot_holder *h, struct gh_store *store)
{
    h->watched = store; /* before the hook can run: set_on_change locks the store */
    gh_store_set_on_change(store, on_store_change, h);
}

/* The caller makes sure no commit is in flight (the server has stopped). */
void gh_snapshot_holder_unwatch(struct gh_snapshot_holder *h)
{
    if (!h->watched)
        return;
    gh_store_set_on_change(h->watched, NULL, NULL);
    h->watched = NULL;
}

void gh_snapshot_refresh_stats(struct gh_snapshot_holder *h, struct gh_snapshot_refresh_stats *out)
{
    out->loaded = atomic_load(&h->ever_loaded);
    out->loads = atomic_load(&h->n_loads);
    out->skips = atomic_load(&h->n_skips);
    out->failures = atomic_load(&h->n_failures);
    out->last_load_us = atomic_load(&h->last_load_us);
}
