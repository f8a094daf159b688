/* The in-memory read model of the hot paths (/connect/token, /authz/check).
 *
 * A snapshot is an immutable copy of what those paths need (orgs, APIs, plans,
 * apps, API keys, certificates, subscriptions, access statuses, signing keys,
 * revoked jtis) with its indexes, all in one arena: built once, read by any
 * number of threads without locks, freed with one call.  Lookups take
 * struct gh_str keys so callers pass request bytes without copying; they never
 * allocate; exact-key lookups are one open-addressing probe sequence, the
 * path-prefix lookup is O(path length).
 *
 *   struct gh_snapshot_builder *b = gh_snapshot_builder_new();
 *   gh_snapshot_builder_add_app(b, &app);          (copies; any order)
 *   …
 *   struct gh_snapshot *s = gh_snapshot_builder_finish(b);   (b is consumed)
 *
 * A holder publishes the current snapshot to reader threads:
 *
 *   const struct gh_snapshot *s = gh_snapshot_acquire(holder);
 *   app = gh_snapshot_app_by_client_id(s, client_id);   (valid until release)
 *   gh_snapshot_release(holder, s);
 *
 * gh_snapshot_refresh() loads from the store and publishes; with
 * gh_snapshot_holder_watch() it runs after every committed change.
 *
 * Pointers returned by lookups point into the snapshot and stay valid until
 * the reader releases it.  A thread holds at most one snapshot of a given
 * holder at a time (acquire, use, release; no nesting). */
#ifndef GH_STORE_SNAPSHOT_H
#define GH_STORE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "domain/model.h"

struct gh_snapshot;
struct gh_snapshot_builder;
struct gh_snapshot_holder;

/* ---- building ----------------------------------------------------------- */

/* A new, empty builder; gh_snapshot_builder_finish() or _free() disposes of it. */
struct gh_snapshot_builder *gh_snapshot_builder_new(void);
/* Discards a builder that will not be finished (error paths). */
void gh_snapshot_builder_free(struct gh_snapshot_builder *b);
/* The store generation the data was read at (see gh_store_generation); 0 by default. */
void gh_snapshot_builder_set_generation(struct gh_snapshot_builder *b, uint64_t generation);

/* Each _add_ deep-copies the entity into the snapshot's arena; the caller keeps
 * ownership of its argument.  Entities may be added in any order: references
 * between them (an app's org, a key's app) are resolved by finish.  Where a
 * unique key appears twice the first entity added keeps it, except for
 * subscriptions of one (app, API) pair, where the one that grants the most
 * (active > deactivation-requested > activation-requested > inactive, then the
 * most recently updated) wins.  Certificates are copied without their PEM
 * (the hot paths match thumbprints; the store has the PEM). */
void gh_snapshot_builder_add_org(struct gh_snapshot_builder *b, const struct gh_org *org);
void gh_snapshot_builder_add_api(struct gh_snapshot_builder *b, const struct gh_api *api);
void gh_snapshot_builder_add_plan(struct gh_snapshot_builder *b, const struct gh_plan *plan);
void gh_snapshot_builder_add_app(struct gh_snapshot_builder *b, const struct gh_app *app);
void gh_snapshot_builder_add_api_key(struct gh_snapshot_builder *b, const struct gh_api_key *key);
void gh_snapshot_builder_add_certificate(struct gh_snapshot_builder *b,
                                         const struct gh_certificate *cert);
void gh_snapshot_builder_add_subscription(struct gh_snapshot_builder *b,
                                          const struct gh_subscription *sub);
void gh_snapshot_builder_add_access_status(struct gh_snapshot_builder *b,
                                           const struct gh_access_status_rec *rec);
void gh_snapshot_builder_add_signing_key(struct gh_snapshot_builder *b,
                                         const struct gh_signing_key *key);
void gh_snapshot_builder_add_revoked_jti(struct gh_snapshot_builder *b,
                                         const struct gh_revoked_jti *jti);

/* Builds every index and returns the snapshot; frees the builder.  The caller
 * owns the result: gh_snapshot_free(), or hand it to gh_snapshot_publish(). */
struct gh_snapshot *gh_snapshot_builder_finish(struct gh_snapshot_builder *b);
void gh_snapshot_free(struct gh_snapshot *s);

/* ---- reading (any thread, no locks, no allocation) --------------------- */

const struct gh_app *gh_snapshot_app_by_client_id(const struct gh_snapshot *s,
                                                  struct gh_str client_id);
const struct gh_app *gh_snapshot_app_by_id(const struct gh_snapshot *s, struct gh_str id);
const struct gh_org *gh_snapshot_org_by_id(const struct gh_snapshot *s, struct gh_str id);
/* Partner orgs by tenant key (acr_values=tenant:<key>). */
const struct gh_org *gh_snapshot_org_by_tenant(const struct gh_snapshot *s, struct gh_str tenant);
const struct gh_api *gh_snapshot_api_by_id(const struct gh_snapshot *s, struct gh_str id);
/* The API owning the longest path prefix that matches the request target
 * (path with optional "?query"): prefix "/ola" matches "/ola", "/ola/x" and
 * "/ola?x" but not "/olaf"; a trailing '/' on a configured prefix is ignored
 * and "/" matches every path.  Bytes are compared as given (no percent
 * decoding or dot-segment removal: the caller normalises).  If matched is not
 * NULL it receives the matched part of target.  NULL when nothing matches. */
const struct gh_api *gh_snapshot_api_by_path(const struct gh_snapshot *s, struct gh_str target,
                                             struct gh_str *matched);
const struct gh_plan *gh_snapshot_plan_by_id(const struct gh_snapshot *s, struct gh_str id);
/* key_hash: the hex string stored in gh_api_key.key_hash. */
const struct gh_api_key *gh_snapshot_api_key_by_hash(const struct gh_snapshot *s,
                                                     struct gh_str key_hash);
const struct gh_certificate *gh_snapshot_certificate_by_thumbprint(const struct gh_snapshot *s,
                                                                   struct gh_str thumbprint);
const struct gh_subscription *gh_snapshot_subscription(const struct gh_snapshot *s,
                                                       struct gh_str app_id, struct gh_str api_id);
/* The subscription whose portal-issued access token (seed 000) hashes to
 * hash_hex (the lower-case hex digest stored in access_token_hash, by the
 * API's hash method); NULL when none. */
const struct gh_subscription *gh_snapshot_subscription_by_token_hash(const struct gh_snapshot *s,
                                                                     struct gh_str hash_hex);
/* The app's access status towards a provider: GH_ACCESS_GREEN when none is
 * recorded.  If rec is not NULL it receives the record (NULL when none). */
enum gh_access_status gh_snapshot_access_status(const struct gh_snapshot *s, struct gh_str app_id,
                                                struct gh_str provider_org_id,
                                                const struct gh_access_status_rec **rec);
bool gh_snapshot_jti_revoked(const struct gh_snapshot *s, struct gh_str jti);

/* Direct links, O(1) without hashing.  The argument must have been returned
 * by a lookup on the same snapshot. */
/* The app's partner org (NULL if the org is not in the snapshot). */
const struct gh_org *gh_snapshot_app_org(const struct gh_snapshot *s, const struct gh_app *app);
/* Service names of the APIs the app has subscriptions with status "active"
 * to: sorted, without duplicates, never NULL (empty list when none).  What a
 * token's `services` claim carries. */
const struct gh_strlist *gh_snapshot_app_services(const struct gh_snapshot *s,
                                                  const struct gh_app *app);
/* The same answers as gh_snapshot_subscription(s, app->id, api->id) and
 * gh_snapshot_access_status(s, app->id, api->org_id, rec), by following
 * links from the app instead of hashing ids: fewer cache misses on the
 * authz path (bench/snapshot).  app and api come from lookups on s. */
const struct gh_subscription *gh_snapshot_app_subscription(const struct gh_snapshot *s,
                                                           const struct gh_app *app,
                                                           const struct gh_api *api);
enum gh_access_status gh_snapshot_app_access_status(const struct gh_snapshot *s,
                                                    const struct gh_app *app,
                                                    const struct gh_api *api,
                                                    const struct gh_access_status_rec **rec);
const struct gh_app *gh_snapshot_api_key_app(const struct gh_snapshot *s,
                                             const struct gh_api_key *key);
const struct gh_app *gh_snapshot_certificate_app(const struct gh_snapshot *s,
                                                 const struct gh_certificate *cert);

/* All signing keys, in the order they were added; *n receives the count. */
const struct gh_signing_key *gh_snapshot_signing_keys(const struct gh_snapshot *s, size_t *n);
/* The active key for alg ("ES256"…); with several, the latest activated. */
const struct gh_signing_key *gh_snapshot_signing_key_active(const struct gh_snapshot *s,
                                                            struct gh_str alg);
const struct gh_signing_key *gh_snapshot_signing_key_by_kid(const struct gh_snapshot *s,
                                                            struct gh_str kid);

uint64_t gh_snapshot_generation(const struct gh_snapshot *s);
/* When finish ran, Unix time in milliseconds (snapshot age for /metrics). */
int64_t gh_snapshot_built_at_ms(const struct gh_snapshot *s);

struct gh_snapshot_counts {
    size_t orgs, apis, plans, apps, api_keys, certificates, subscriptions, access_statuses,
        signing_keys, revoked_jtis, path_prefixes;
    size_t bytes; /* arena bytes handed out */
};
void gh_snapshot_get_counts(const struct gh_snapshot *s, struct gh_snapshot_counts *out);

/* ---- publishing --------------------------------------------------------- */

/* At most this many threads may use holders at the same time (a thread's
 * reader slot is returned when it exits); more is a configuration error and
 * aborts with a log line. */
#define GH_SNAPSHOT_MAX_READERS 256

/* A holder that starts with an empty snapshot (generation 0), so acquire
 * never returns NULL.  gh_snapshot_holder_free() frees it and every snapshot
 * it still holds; no reader may be active then. */
struct gh_snapshot_holder *gh_snapshot_holder_new(void);
void gh_snapshot_holder_free(struct gh_snapshot_holder *h);

/* Makes snap current; the holder owns it from now on.  The previous snapshot
 * is freed as soon as no reader still holds it (checked on every publish).
 * Any thread; publishers are serialised, readers never wait for them. */
void gh_snapshot_publish(struct gh_snapshot_holder *h, struct gh_snapshot *snap);
/* The current snapshot, protected until gh_snapshot_release(h, it) on this
 * thread.  Wait-free apart from a retry per concurrent publish. */
const struct gh_snapshot *gh_snapshot_acquire(struct gh_snapshot_holder *h);
void gh_snapshot_release(struct gh_snapshot_holder *h, const struct gh_snapshot *s);
/* Retired snapshots not yet freed (readers still held them at the last publish). */
size_t gh_snapshot_holder_retired(struct gh_snapshot_holder *h);
/* The current snapshot's generation, and how old it is: now_ms (Unix ms)
 * minus its build time, never negative.  Lock-free and without acquiring, so
 * /metrics and /readyz may call them on a thread that holds a snapshot.  A
 * quiet system keeps its snapshot, so a large age alone is not staleness:
 * gh_snapshot_refresh_stats() says whether refreshes are failing. */
uint64_t gh_snapshot_holder_generation(struct gh_snapshot_holder *h);
int64_t gh_snapshot_holder_age_ms(struct gh_snapshot_holder *h, int64_t now_ms);

/* ---- loading from the store (snapshot_load.c) ------------------------- */

struct gh_store;

/* Reads everything the snapshot holds in one read transaction (every
 * gh_store_*_list of the snapshot's entities) and builds it; the snapshot's
 * generation is the store generation read before the transaction began, so
 * it never claims changes it may lack.  On success *out is the caller's
 * (gh_snapshot_free or gh_snapshot_publish).  On failure returns false,
 * *out = NULL and err holds one line ("snapshot: reading api_keys: …"). */
bool gh_snapshot_load(struct gh_store *store, struct gh_snapshot **out, char *err, size_t errlen);

/* Load + publish, one at a time per holder, coalescing: when the store
 * generation has not moved since the last snapshot this holder loaded, it
 * returns at once (a concurrent refresh already published the change).  So
 * when it returns true, every change committed before the call is visible to
 * readers.  On failure the current snapshot stays, the failure is logged
 * and counted, and false is returned; the next refresh tries again. */
bool gh_snapshot_refresh(struct gh_snapshot_holder *h, struct gh_store *store);

/* Registers the holder as store's on-change hook (gh_store_set_on_change):
 * every committed change to snapshot data refreshes it before
 * gh_store_commit returns.  Unwatch before closing the store or freeing the
 * holder.  One holder per store. */
void gh_snapshot_holder_watch(struct gh_snapshot_holder *h, struct gh_store *store);
void gh_snapshot_holder_unwatch(struct gh_snapshot_holder *h);

struct gh_snapshot_refresh_stats {
    bool loaded;          /* a refresh has published a load (readiness) */
    uint64_t loads;       /* refreshes that loaded and published */
    uint64_t skips;       /* refreshes coalesced away: nothing new */
    uint64_t failures;    /* refreshes whose load failed */
    int64_t last_load_us; /* duration of the last successful load+publish */
};
void gh_snapshot_refresh_stats(struct gh_snapshot_holder *h, struct gh_snapshot_refresh_stats *out);

/* ---- staleness (several nodes on one database) ------------------------ */

/* On a database shared by several nodes the snapshot is kept current by a
 * change feed (store/listen.h: PostgreSQL LISTEN).  While that feed is down
 * the snapshot may miss other nodes' changes; it stays usable for a limited
 * time after the last moment it was known to match the database (when the
 * feed was last up, or a later successful load), then hot paths refuse with
 * 503 until the feed is back and a load has caught up.  A holder without a
 * feed (SQLite: one node) is never stale. */

/* The longest time (ms) hot paths keep answering from a snapshot that may
 * be out of date; 0 (the default): no limit. */
void gh_snapshot_holder_set_max_staleness(struct gh_snapshot_holder *h, int64_t max_ms);
/* The feed was lost: the snapshot is known current up to synced_at_ms (Unix
 * ms; the feed's last sign of life), or a later successful load. */
void gh_snapshot_holder_feed_lost(struct gh_snapshot_holder *h, int64_t synced_at_ms);
/* The feed is back and a load begun after it came back was published: the
 * snapshot follows the database again. */
void gh_snapshot_holder_feed_restored(struct gh_snapshot_holder *h);
/* True when hot paths must not answer from the snapshot: the feed is down
 * and the snapshot was last known current more than the limit ago.  Then
 * why (if not NULL) receives one line for a person.  Lock-free: for every
 * request. */
bool gh_snapshot_holder_stale(struct gh_snapshot_holder *h, int64_t now_ms, char *why,
                              size_t whylen);
/* Unix ms up to which the snapshot is known to match the database: the last
 * successful load's start, or while the feed is down the later of that and
 * the moment it was lost.  0 before the first load. */
int64_t gh_snapshot_holder_synced_at_ms(struct gh_snapshot_holder *h);

#endif
