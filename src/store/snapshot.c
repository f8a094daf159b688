/* The snapshot itself: builder, indexes and lookups (see snapshot.h).
 *
 * Layout.  Every entity is copied into the snapshot's arena as a record: the
 * model struct first, followed by the links finish resolves (an app's org and
 * services, a key's app).  Because the model struct is the record's first
 * member, a `const struct gh_app *` handed out by a lookup converts back to
 * its record in O(1), which is how the _app_org/_app_services links work.
 *
 * Indexes.  Open addressing with linear probing, capacity a power of two at
 * least twice the entry count (load <= 0.5, so a miss ends at an empty slot
 * within a probe or two).  A slot is 8 bytes: 32 bits of the key's hash as a
 * tag and the index of an entry (key views + value) plus one, 0 meaning empty.
 * Small slots keep a 50k-entry table around 1 MiB, so probes mostly hit cache;
 * the tag filters out nearly every foreign entry before a key compare.
 *
 * Exact keys are hashed with a seeded 64-bit multiply-mix hash that consumes
 * 16 bytes a step (wyhash's construction): API key hashes and thumbprints are
 * 64 hex digits, where byte-at-a-time FNV-1a costs several times more.  The
 * seed is random per snapshot so that nobody can precompute colliding keys.
 *
 * Paths.  The prefix index is a hash table of normalised prefixes ("/ola/" is
 * stored as "/ola", "/" as "").  A lookup walks the request path once,
 * updating an FNV-1a hash byte by byte; at every segment boundary ('/', the
 * query, the end) whose length some prefix has, it probes the table with the
 * running hash and keeps the last (longest) hit.  Cost is O(min(path length,
 * longest prefix)) byte steps plus one probe per candidate boundary, whatever
 * the number of prefixes or how many share a first segment; a sorted array
 * with a per-first-segment hash degrades when many APIs live under one
 * segment ("/api/…").  bench/snapshot measures both. */
#include "store/snapshot.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "crypto/random.h"

/* ---- records -------------------------------------------------------------- */

/* An app's subscription to one API, the winner of its (app, API) pair. */
struct sn_app_sub {
    const struct gh_api *api;
    const struct gh_subscription *sub;
};

struct sn_app {
    struct gh_app app; /* first: see the layout note above */
    const struct gh_org *org;
    struct gh_strlist services;
    /* By link, for the authz path: sorted by api address; statuses unsorted
     * (an app has a status towards few providers). */
    const struct sn_app_sub *subs;
    const struct gh_access_status_rec *const *statuses;
    uint32_t n_subs, n_statuses;
};

struct sn_api_key {
    struct gh_api_key key;
    const struct gh_app *app;
};

struct sn_cert {
    struct gh_certificate cert;
    const struct gh_app *app;
};

/* ---- hash tables ------------------------------------------------------------ */

struct sn_slot {
    uint32_t tag; /* high half of the key's hash */
    uint32_t ref; /* entry index + 1; 0: empty */
};

struct sn_entry {
    struct gh_str k1;
    struct gh_str k2; /* second half of a pair key; empty for single keys */
    const void *val;
};

struct sn_table {
    struct sn_slot *slots;
    struct sn_entry *entries;
    uint32_t mask; /* slot count - 1 */
    uint32_t n;
};

static const uint64_t K0 = 0xa0761d6478bd642fULL, K1 = 0xe7037ed1a0b428dbULL,
                      K2 = 0x8ebc6af09c88c6e3ULL, K3 = 0x589965cc75374cc3ULL;

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Seeded hash of exact keys; all bytes and the length take part. */
static inline uint64_t key_hash(uint64_t seed, struct gh_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t n = s.len;
    uint64_t h = seed ^ mix(n ^ K0, K1);
    uint64_t a, b;
    while (n > 16) {
        h = mix(load64(p) ^ K1, load64(p + 8) ^ h);
        p += 16;
        n -= 16;
    }
    if (n >= 8) {
        a = load64(p);
        b = load64(p + n - 8);
    } else if (n >= 4) {
        a = load32(p);
        b = load32(p + n - 4);
    } else if (n > 0) {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
        b = 0;
    } else {
        a = b = 0;
    }
    return mix(K1 ^ s.len, mix(a ^ K2, b ^ h ^ K3));
}

static inline uint64_t pair_hash(uint64_t seed, struct gh_str a, struct gh_str b)
{
    return mix(key_hash(seed, a) ^ K2, key_hash(seed ^ K3, b) ^ K0);
}

/* FNV-1a, kept incremental for the path walk; finished by fnv_final so that
 * the low bits used as the slot index depend on every byte. */
#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static inline uint64_t fnv_final(uint64_t h)
{
    return mix(h ^ K0, K1);
}

static uint32_t table_capacity(size_t n)
{
    size_t cap = 2;
    while (cap < 2 * n)
        cap <<= 1;
    if (cap > (size_t)UINT32_MAX) {
        gh_log_msg(GH_LOG_ERROR, "snapshot.too_large");
        abort();
    }
    return (uint32_t)cap;
}

/* Sizes a table for at most max_entries; the arena owns its arrays. */
static void table_init(struct sn_table *t, struct gh_arena *a, size_t max_entries)
{
    uint32_t cap = table_capacity(max_entries);
    t->slots = GH_ARENA_ARRAY(a, struct sn_slot, cap);
    t->entries = GH_ARENA_ARRAY(a, struct sn_entry, max_entries ? max_entries : 1);
    t->mask = cap - 1;
    t->n = 0;
}

static inline bool entry_matches(const struct sn_entry *e, struct gh_str k1, struct gh_str k2)
{
    return gh_str_eq(e->k1, k1) && gh_str_eq(e->k2, k2);
}

static inline const struct sn_entry *table_get(const struct sn_table *t, uint64_t h,
                                               struct gh_str k1, struct gh_str k2)
{
    uint32_t tag = (uint32_t)(h >> 32);
    for (uint32_t i = (uint32_t)h & t->mask;; i = (i + 1) & t->mask) {
        struct sn_slot s = t->slots[i];
        if (s.ref == 0)
            return NULL;
        if (s.tag == tag && entry_matches(&t->entries[s.ref - 1], k1, k2))
            return &t->entries[s.ref - 1];
    }
}

/* Inserts (k1, k2) -> val unless the key is present; returns the entry that
 * holds the key (new or old) and sets *added accordingly.  The caller makes
 * sure the table was sized for every insert. */
static struct sn_entry *table_put(struct sn_table *t, uint64_t h, struct gh_str k1,
                                  struct gh_str k2, const void *val, bool *added)
{
    uint32_t tag = (uint32_t)(h >> 32);
    uint32_t i = (uint32_t)h & t->mask;
    for (;; i = (i + 1) & t->mask) {
        struct sn_slot s = t->slots[i];
        if (s.ref == 0)
            break;
        if (s.tag == tag && entry_matches(&t->entries[s.ref - 1], k1, k2)) {
            *added = false;
            return &t->entries[s.ref - 1];
        }
    }
    assert(t->n < t->mask); /* load <= 0.5 keeps an empty slot */
    struct sn_entry *e = &t->entries[t->n];
    e->k1 = k1;
    e->k2 = k2;
    e->val = val;
    t->n++;
    t->slots[i].tag = tag;
    t->slots[i].ref = t->n;
    *added = true;
    return e;
}

/* ---- the snapshot --------------------------------------------------------- */

struct gh_snapshot {
    struct gh_arena *arena;
    uint64_t seed;
    uint64_t generation;
    int64_t built_at_ms;

    struct gh_org *orgs;
    struct gh_api *apis;
    struct gh_plan *plans;
    struct sn_app *apps;
    struct sn_api_key *keys;
    struct sn_cert *certs;
    struct gh_subscription *subs;
    struct gh_access_status_rec *statuses;
    struct gh_signing_key *signing_keys;
    struct gh_revoked_jti *jtis;
    size_t n_orgs, n_apis, n_plans, n_apps, n_keys, n_certs, n_subs, n_statuses, n_signing_keys,
        n_jtis;

    struct sn_table org_by_id, org_by_tenant, api_by_id, plan_by_id, app_by_id, app_by_client_id,
        key_by_hash, cert_by_thumbprint, sub_by_pair, sub_by_token_hash, status_by_pair, jti_set,
        signing_key_by_kid, api_by_prefix;
    /* Prefix lengths present in api_by_prefix, 0..max_prefix_len. */
    const unsigned char *prefix_len_used;
    size_t max_prefix_len;
    /* The active signing key of each alg. */
    const struct gh_signing_key **active_keys;
    size_t n_active_keys;
};

/* A growable array of records, on the heap while building. */
struct sn_vec {
    void *items;
    size_t n, cap, size;
};

struct gh_snapshot_builder {
    struct gh_arena *arena; /* becomes the snapshot's */
    uint64_t generation;
    struct sn_vec orgs, apis, plans, apps, keys, certs, subs, statuses, signing_keys, jtis;
};

static void *vec_push(struct sn_vec *v)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->items = gh_xrealloc(v->items, v->cap * v->size);
    }
    void *p = (char *)v->items + v->n * v->size;
    memset(p, 0, v->size);
    v->n++;
    return p;
}

/* Moves the records into one arena array and frees the heap copy. */
static void *vec_to_arena(struct sn_vec *v, struct gh_arena *a, size_t *n)
{
    *n = v->n;
    void *p = v->n ? gh_arena_memdup(a, v->items, v->n * v->size) : NULL;
    free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
    return p;
}

struct gh_snapshot_builder *gh_snapshot_builder_new(void)
{
    struct gh_snapshot_builder *b = gh_xcalloc(1, sizeof *b);
    b->arena = gh_arena_new(256 * 1024);
    b->orgs.size = sizeof(struct gh_org);
    b->apis.size = sizeof(struct gh_api);
    b->plans.size = sizeof(struct gh_plan);
    b->apps.size = sizeof(struct sn_app);
    b->keys.size = sizeof(struct sn_api_key);
    b->certs.size = sizeof(struct sn_cert);
    b->subs.size = sizeof(struct gh_subscription);
    b->statuses.size = sizeof(struct gh_access_status_rec);
    b->signing_keys.size = sizeof(struct gh_signing_key);
    b->jtis.size = sizeof(struct gh_revoked_jti);
    return b;
}

static void builder_free_vecs(struct gh_snapshot_builder *b)
{
    struct sn_vec *vecs[] = {&b->orgs,  &b->apis, &b->plans,    &b->apps,         &b->keys,
                             &b->certs, &b->subs, &b->statuses, &b->signing_keys, &b->jtis};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
        free(vecs[i]->items);
}

void gh_snapshot_builder_free(struct gh_snapshot_builder *b)
{
    if (!b)
        return;
    builder_free_vecs(b);
    gh_arena_free(b->arena);
    free(b);
}

void gh_snapshot_builder_set_generation(struct gh_snapshot_builder *b, uint64_t generation)
{
    b->generation = generation;
}

/* ---- deep copies into the arena ------------------------------------------ */

static char *dup(struct gh_arena *a, const char *s)
{
    return gh_arena_strdup(a, s);
}

static struct gh_strlist dup_list(struct gh_arena *a, const struct gh_strlist *l)
{
    struct gh_strlist out = {0, NULL};
    if (!l->n || !l->items)
        return out;
    out.items = GH_ARENA_ARRAY(a, char *, l->n);
    for (size_t i = 0; i < l->n; i++) {
        if (l->items[i])
            out.items[out.n++] = dup(a, l->items[i]);
    }
    return out;
}

void gh_snapshot_builder_add_org(struct gh_snapshot_builder *b, const struct gh_org *org)
{
    struct gh_arena *a = b->arena;
    struct gh_org *o = vec_push(&b->orgs);
    *o = *org;
    o->id = dup(a, org->id);
    o->name = dup(a, org->name);
    o->description = dup(a, org->description);
    o->tenant = dup(a, org->tenant);
    o->contact_address = dup(a, org->contact_address);
    o->contact_phone = dup(a, org->contact_phone);
    o->contact_email = dup(a, org->contact_email);
    o->responsible_email = dup(a, org->responsible_email);
    o->customer_numbers = dup_list(a, &org->customer_numbers);
    o->partner_roles = dup_list(a, &org->partner_roles);
}

void gh_snapshot_builder_add_api(struct gh_snapshot_builder *b, const struct gh_api *api)
{
    struct gh_arena *a = b->arena;
    struct gh_api *o = vec_push(&b->apis);
    *o = *api;
    o->id = dup(a, api->id);
    o->org_id = dup(a, api->org_id);
    o->name = dup(a, api->name);
    o->description = dup(a, api->description);
    o->service = dup(a, api->service);
    o->audience = dup(a, api->audience);
    o->path_prefixes = dup_list(a, &api->path_prefixes);
    o->required_roles = dup_list(a, &api->required_roles);
    o->customer_number_name = dup(a, api->customer_number_name);
    o->customer_number_template = dup(a, api->customer_number_template);
}

void gh_snapshot_builder_add_plan(struct gh_snapshot_builder *b, const struct gh_plan *plan)
{
    struct gh_arena *a = b->arena;
    struct gh_plan *o = vec_push(&b->plans);
    *o = *plan;
    o->id = dup(a, plan->id);
    o->api_id = dup(a, plan->api_id);
    o->name = dup(a, plan->name);
    o->description = dup(a, plan->description);
}

void gh_snapshot_builder_add_app(struct gh_snapshot_builder *b, const struct gh_app *app)
{
    struct gh_arena *a = b->arena;
    struct sn_app *r = vec_push(&b->apps);
    struct gh_app *o = &r->app;
    *o = *app;
    o->id = dup(a, app->id);
    o->org_id = dup(a, app->org_id);
    o->name = dup(a, app->name);
    o->description = dup(a, app->description);
    o->client_id = dup(a, app->client_id);
    o->client_secret_hash = dup(a, app->client_secret_hash);
    o->previous_secret_hash = dup(a, app->previous_secret_hash);
    o->token_name = dup(a, app->token_name);
    o->redirect_uris = dup_list(a, &app->redirect_uris);
    o->logout_uris = dup_list(a, &app->logout_uris);
    o->grant_types = dup_list(a, &app->grant_types);
    o->scopes = dup_list(a, &app->scopes);
}

void gh_snapshot_builder_add_api_key(struct gh_snapshot_builder *b, const struct gh_api_key *key)
{
    struct gh_arena *a = b->arena;
    struct sn_api_key *r = vec_push(&b->keys);
    struct gh_api_key *o = &r->key;
    *o = *key;
    o->id = dup(a, key->id);
    o->app_id = dup(a, key->app_id);
    o->name = dup(a, key->name);
    o->key_hash = dup(a, key->key_hash);
    o->key_hint = dup(a, key->key_hint);
}

void gh_snapshot_builder_add_certificate(struct gh_snapshot_builder *b,
                                         const struct gh_certificate *cert)
{
    struct gh_arena *a = b->arena;
    struct sn_cert *r = vec_push(&b->certs);
    struct gh_certificate *o = &r->cert;
    *o = *cert;
    o->id = dup(a, cert->id);
    o->app_id = dup(a, cert->app_id);
    o->subject = dup(a, cert->subject);
    o->issuer = dup(a, cert->issuer);
    o->thumbprint_sha256 = dup(a, cert->thumbprint_sha256);
    o->pem = NULL;
}

void gh_snapshot_builder_add_subscription(struct gh_snapshot_builder *b,
                                          const struct gh_subscription *sub)
{
    struct gh_arena *a = b->arena;
    struct gh_subscription *o = vec_push(&b->subs);
    *o = *sub;
    o->id = dup(a, sub->id);
    o->app_id = dup(a, sub->app_id);
    o->api_id = dup(a, sub->api_id);
    o->plan_id = dup(a, sub->plan_id);
    o->access_token_hash = dup(a, sub->access_token_hash);
}

void gh_snapshot_builder_add_access_status(struct gh_snapshot_builder *b,
                                           const struct gh_access_status_rec *rec)
{
    struct gh_arena *a = b->arena;
    struct gh_access_status_rec *o = vec_push(&b->statuses);
    *o = *rec;
    o->app_id = dup(a, rec->app_id);
    o->provider_org_id = dup(a, rec->provider_org_id);
    o->reason = dup(a, rec->reason);
    o->set_by = dup(a, rec->set_by);
}

void gh_snapshot_builder_add_signing_key(struct gh_snapshot_builder *b,
                                         const struct gh_signing_key *key)
{
    struct gh_arena *a = b->arena;
    struct gh_signing_key *o = vec_push(&b->signing_keys);
    *o = *key;
    o->kid = dup(a, key->kid);
    o->alg = dup(a, key->alg);
    o->private_key_enc = dup(a, key->private_key_enc);
    o->public_jwk = dup(a, key->public_jwk);
}

void gh_snapshot_builder_add_revoked_jti(struct gh_snapshot_builder *b,
                                         const struct gh_revoked_jti *jti)
{
    struct gh_revoked_jti *o = vec_push(&b->jtis);
    *o = *jti;
    o->jti = dup(b->arena, jti->jti);
}

/* ---- finish: indexes and links -------------------------------------------- */

struct sn_dups {
    size_t count;
    const char *first_index; /* the index the first duplicate was found in */
};

/* Indexes val under a single key; NULL keys are not indexed. */
static void index1(const struct gh_snapshot *s, struct sn_table *t, const char *key,
                   const void *val, struct sn_dups *dups, const char *index_name)
{
    if (!key)
        return;
    struct gh_str k = gh_str_c(key);
    bool added;
    table_put(t, key_hash(s->seed, k), k, GH_STR_NULL, val, &added);
    if (!added && dups->count++ == 0)
        dups->first_index = index_name;
}

/* How much access a subscription status grants, for choosing between two
 * subscriptions of the same (app, API). */
static int sub_rank(enum gh_sub_status st)
{
    switch (st) {
    case GH_SUB_ACTIVE:
        return 3;
    case GH_SUB_DEACTIVATION_REQUESTED:
        return 2;
    case GH_SUB_ACTIVATION_REQUESTED:
        return 1;
    case GH_SUB_INACTIVE:
        break;
    }
    return 0;
}

static bool sub_better(const struct gh_subscription *x, const struct gh_subscription *y)
{
    int rx = sub_rank(x->status), ry = sub_rank(y->status);
    return rx != ry ? rx > ry : x->updated_at > y->updated_at;
}

/* Strips trailing slashes: "/ola/" and "/ola" mean the same prefix, "/" is "". */
static struct gh_str normalise_prefix(const char *p)
{
    struct gh_str s = gh_str_c(p);
    while (s.len > 0 && s.ptr[s.len - 1] == '/')
        s.len--;
    return s;
}

static bool prefix_valid(struct gh_str p)
{
    return memchr(p.ptr, '?', p.len) == NULL && memchr(p.ptr, '#', p.len) == NULL;
}

static uint64_t prefix_hash(struct gh_str p)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < p.len; i++) {
        h ^= (unsigned char)p.ptr[i];
        h *= FNV_PRIME;
    }
    return fnv_final(h);
}

static void build_prefix_index(struct gh_snapshot *s, struct sn_dups *dups)
{
    size_t n = 0, skipped = 0;
    for (size_t i = 0; i < s->n_apis; i++)
        n += s->apis[i].path_prefixes.n;
    table_init(&s->api_by_prefix, s->arena, n);
    s->max_prefix_len = 0;
    for (size_t i = 0; i < s->n_apis; i++) {
        const struct gh_strlist *l = &s->apis[i].path_prefixes;
        for (size_t j = 0; j < l->n; j++) {
            struct gh_str p = normalise_prefix(l->items[j]);
            if (!prefix_valid(p)) {
                skipped++;
                continue;
            }
            bool added;
            table_put(&s->api_by_prefix, prefix_hash(p), p, GH_STR_NULL, &s->apis[i], &added);
            if (!added && dups->count++ == 0)
                dups->first_index = "api_by_prefix";
            if (p.len > s->max_prefix_len)
                s->max_prefix_len = p.len;
        }
    }
    unsigned char *used = gh_arena_calloc(s->arena, s->max_prefix_len + 1, 1);
    for (uint32_t i = 0; i < s->api_by_prefix.n; i++)
        used[s->api_by_prefix.entries[i].k1.len] = 1;
    s->prefix_len_used = used;
    if (skipped)
        gh_log_msg_str(GH_LOG_WARN, "snapshot.path_prefix_skipped", "reason",
                       "prefix contains '?' or '#'");
}

static int cmp_cstr(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Each app's services: sorted, distinct service names of the APIs it has an
 * active subscription to. */
static void build_services(struct gh_snapshot *s)
{
    size_t *count = gh_xcalloc(s->n_apps ? s->n_apps : 1, sizeof *count);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->n_subs; i++) {
            const struct gh_subscription *sub = &s->subs[i];
            if (sub->status != GH_SUB_ACTIVE || !sub->app_id || !sub->api_id)
                continue;
            const struct gh_app *app = gh_snapshot_app_by_id(s, gh_str_c(sub->app_id));
            const struct gh_api *api = gh_snapshot_api_by_id(s, gh_str_c(sub->api_id));
            if (!app || !api || !api->service)
                continue;
            struct sn_app *r = &s->apps[(const struct sn_app *)(const void *)app - s->apps];
            if (pass == 0)
                count[r - s->apps]++;
            else
                r->services.items[r->services.n++] = api->service;
        }
        if (pass == 0) {
            for (size_t i = 0; i < s->n_apps; i++) {
                if (count[i])
                    s->apps[i].services.items = GH_ARENA_ARRAY(s->arena, char *, count[i]);
            }
        }
    }
    free(count);
    for (size_t i = 0; i < s->n_apps; i++) {
        struct gh_strlist *l = &s->apps[i].services;
        if (l->n < 2)
            continue;
        qsort(l->items, l->n, sizeof l->items[0], cmp_cstr);
        size_t w = 1;
        for (size_t j = 1; j < l->n; j++) {
            if (strcmp(l->items[j], l->items[w - 1]) != 0)
                l->items[w++] = l->items[j];
        }
        l->n = w;
    }
}

static int cmp_app_sub(const void *x, const void *y)
{
    uintptr_t a = (uintptr_t)((const struct sn_app_sub *)x)->api;
    uintptr_t b = (uintptr_t)((const struct sn_app_sub *)y)->api;
    return a < b ? -1 : a > b;
}

static struct sn_app *app_record(struct gh_snapshot *s, struct gh_str id)
{
    const struct gh_app *app = gh_snapshot_app_by_id(s, id);
    return app ? &s->apps[(const struct sn_app *)(const void *)app - s->apps] : NULL;
}

/* Each app's subscriptions (the winner of each pair, API resolved) and
 * access statuses as arrays hung off the app record, so that the authz path
 * follows links instead of hashing id strings. */
static void build_app_links(struct gh_snapshot *s)
{
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < s->sub_by_pair.n; i++) {
            const struct sn_entry *e = &s->sub_by_pair.entries[i];
            struct sn_app *r = app_record(s, e->k1);
            const struct gh_api *api = gh_snapshot_api_by_id(s, e->k2);
            if (!r || !api)
                continue;
            if (pass == 0) {
                r->n_subs++;
            } else {
                struct sn_app_sub *v = (struct sn_app_sub *)r->subs;
                v[r->n_subs++] = (struct sn_app_sub){api, e->val};
            }
        }
        for (uint32_t i = 0; i < s->status_by_pair.n; i++) {
            const struct sn_entry *e = &s->status_by_pair.entries[i];
            struct sn_app *r = app_record(s, e->k1);
            if (!r)
                continue;
            if (pass == 0)
                r->n_statuses++;
            else
                ((const struct gh_access_status_rec **)r->statuses)[r->n_statuses++] = e->val;
        }
        if (pass == 1)
            break;
        for (size_t i = 0; i < s->n_apps; i++) {
            struct sn_app *r = &s->apps[i];
            if (r->n_subs)
                r->subs = GH_ARENA_ARRAY(s->arena, struct sn_app_sub, r->n_subs);
            if (r->n_statuses)
                r->statuses =
                    GH_ARENA_ARRAY(s->arena, const struct gh_access_status_rec *, r->n_statuses);
            r->n_subs = r->n_statuses = 0; /* recounted while filling */
        }
    }
    for (size_t i = 0; i < s->n_apps; i++) {
        if (s->apps[i].n_subs > 1)
            qsort((void *)s->apps[i].subs, s->apps[i].n_subs, sizeof(struct sn_app_sub),
                  cmp_app_sub);
    }
}

static void build_active_keys(struct gh_snapshot *s)
{
    s->active_keys = GH_ARENA_ARRAY(s->arena, const struct gh_signing_key *,
                                    s->n_signing_keys ? s->n_signing_keys : 1);
    s->n_active_keys = 0;
    for (size_t i = 0; i < s->n_signing_keys; i++) {
        const struct gh_signing_key *k = &s->signing_keys[i];
        if (k->state != GH_KEY_ACTIVE || !k->alg)
            continue;
        size_t j = 0;
        while (j < s->n_active_keys && strcmp(s->active_keys[j]->alg, k->alg) != 0)
            j++;
        if (j == s->n_active_keys)
            s->active_keys[s->n_active_keys++] = k;
        else if (k->activated_at > s->active_keys[j]->activated_at)
            s->active_keys[j] = k;
    }
}

struct gh_snapshot *gh_snapshot_builder_finish(struct gh_snapshot_builder *b)
{
    struct gh_arena *a = b->arena;
    struct gh_snapshot *s = GH_ARENA_NEW(a, struct gh_snapshot);
    s->arena = a;
    s->seed = gh_random_u64();
    s->generation = b->generation;

    s->orgs = vec_to_arena(&b->orgs, a, &s->n_orgs);
    s->apis = vec_to_arena(&b->apis, a, &s->n_apis);
    s->plans = vec_to_arena(&b->plans, a, &s->n_plans);
    s->apps = vec_to_arena(&b->apps, a, &s->n_apps);
    s->keys = vec_to_arena(&b->keys, a, &s->n_keys);
    s->certs = vec_to_arena(&b->certs, a, &s->n_certs);
    s->subs = vec_to_arena(&b->subs, a, &s->n_subs);
    s->statuses = vec_to_arena(&b->statuses, a, &s->n_statuses);
    s->signing_keys = vec_to_arena(&b->signing_keys, a, &s->n_signing_keys);
    s->jtis = vec_to_arena(&b->jtis, a, &s->n_jtis);
    free(b);

    struct sn_dups dups = {0, NULL};
    table_init(&s->org_by_id, a, s->n_orgs);
    table_init(&s->org_by_tenant, a, s->n_orgs);
    for (size_t i = 0; i < s->n_orgs; i++) {
        index1(s, &s->org_by_id, s->orgs[i].id, &s->orgs[i], &dups, "org_by_id");
        index1(s, &s->org_by_tenant, s->orgs[i].tenant, &s->orgs[i], &dups, "org_by_tenant");
    }
    table_init(&s->api_by_id, a, s->n_apis);
    for (size_t i = 0; i < s->n_apis; i++)
        index1(s, &s->api_by_id, s->apis[i].id, &s->apis[i], &dups, "api_by_id");
    table_init(&s->plan_by_id, a, s->n_plans);
    for (size_t i = 0; i < s->n_plans; i++)
        index1(s, &s->plan_by_id, s->plans[i].id, &s->plans[i], &dups, "plan_by_id");
    table_init(&s->app_by_id, a, s->n_apps);
    table_init(&s->app_by_client_id, a, s->n_apps);
    for (size_t i = 0; i < s->n_apps; i++) {
        struct sn_app *r = &s->apps[i];
        index1(s, &s->app_by_id, r->app.id, r, &dups, "app_by_id");
        index1(s, &s->app_by_client_id, r->app.client_id, r, &dups, "app_by_client_id");
        r->org = r->app.org_id ? gh_snapshot_org_by_id(s, gh_str_c(r->app.org_id)) : NULL;
    }
    table_init(&s->key_by_hash, a, s->n_keys);
    for (size_t i = 0; i < s->n_keys; i++) {
        struct sn_api_key *r = &s->keys[i];
        index1(s, &s->key_by_hash, r->key.key_hash, r, &dups, "api_key_by_hash");
        r->app = r->key.app_id ? gh_snapshot_app_by_id(s, gh_str_c(r->key.app_id)) : NULL;
    }
    table_init(&s->cert_by_thumbprint, a, s->n_certs);
    for (size_t i = 0; i < s->n_certs; i++) {
        struct sn_cert *r = &s->certs[i];
        index1(s, &s->cert_by_thumbprint, r->cert.thumbprint_sha256, r, &dups,
               "certificate_by_thumbprint");
        r->app = r->cert.app_id ? gh_snapshot_app_by_id(s, gh_str_c(r->cert.app_id)) : NULL;
    }
    table_init(&s->sub_by_pair, a, s->n_subs);
    for (size_t i = 0; i < s->n_subs; i++) {
        const struct gh_subscription *sub = &s->subs[i];
        if (!sub->app_id || !sub->api_id)
            continue;
        struct gh_str k1 = gh_str_c(sub->app_id), k2 = gh_str_c(sub->api_id);
        bool added;
        struct sn_entry *e =
            table_put(&s->sub_by_pair, pair_hash(s->seed, k1, k2), k1, k2, sub, &added);
        if (!added && sub_better(sub, e->val))
            e->val = sub;
    }
    table_init(&s->sub_by_token_hash, a, s->n_subs);
    for (size_t i = 0; i < s->n_subs; i++)
        index1(s, &s->sub_by_token_hash, s->subs[i].access_token_hash, &s->subs[i], &dups,
               "subscription_by_access_token_hash");
    table_init(&s->status_by_pair, a, s->n_statuses);
    for (size_t i = 0; i < s->n_statuses; i++) {
        const struct gh_access_status_rec *rec = &s->statuses[i];
        if (!rec->app_id || !rec->provider_org_id)
            continue;
        struct gh_str k1 = gh_str_c(rec->app_id), k2 = gh_str_c(rec->provider_org_id);
        bool added;
        struct sn_entry *e =
            table_put(&s->status_by_pair, pair_hash(s->seed, k1, k2), k1, k2, rec, &added);
        if (!added && rec->set_at > ((const struct gh_access_status_rec *)e->val)->set_at)
            e->val = rec;
    }
    table_init(&s->jti_set, a, s->n_jtis);
    for (size_t i = 0; i < s->n_jtis; i++) {
        struct sn_dups ignored = {0, NULL}; /* a jti revoked twice is still revoked */
        index1(s, &s->jti_set, s->jtis[i].jti, &s->jtis[i], &ignored, "jti");
    }
    table_init(&s->signing_key_by_kid, a, s->n_signing_keys);
    for (size_t i = 0; i < s->n_signing_keys; i++)
        index1(s, &s->signing_key_by_kid, s->signing_keys[i].kid, &s->signing_keys[i], &dups,
               "signing_key_by_kid");
    build_prefix_index(s, &dups);
    build_services(s);
    build_app_links(s);
    build_active_keys(s);

    if (dups.count) {
        struct gh_log_line l;
        if (gh_log_begin(&l, GH_LOG_WARN, "snapshot.duplicate_keys")) {
            gh_log_int(&l, "count", (int64_t)dups.count);
            gh_log_str(&l, "first_index", dups.first_index);
            gh_log_end(&l);
        }
    }
    s->built_at_ms = gh_realtime_ms();
    return s;
}

void gh_snapshot_free(struct gh_snapshot *s)
{
    if (s)
        gh_arena_free(s->arena);
}

/* ---- lookups -------------------------------------------------------------- */

static inline const void *get1(const struct gh_snapshot *s, const struct sn_table *t,
                               struct gh_str k)
{
    const struct sn_entry *e = table_get(t, key_hash(s->seed, k), k, GH_STR_NULL);
    return e ? e->val : NULL;
}

static inline const void *get2(const struct gh_snapshot *s, const struct sn_table *t,
                               struct gh_str k1, struct gh_str k2)
{
    const struct sn_entry *e = table_get(t, pair_hash(s->seed, k1, k2), k1, k2);
    return e ? e->val : NULL;
}

const struct gh_app *gh_snapshot_app_by_client_id(const struct gh_snapshot *s,
                                                  struct gh_str client_id)
{
    const struct sn_app *r = get1(s, &s->app_by_client_id, client_id);
    return r ? &r->app : NULL;
}

const struct gh_app *gh_snapshot_app_by_id(const struct gh_snapshot *s, struct gh_str id)
{
    const struct sn_app *r = get1(s, &s->app_by_id, id);
    return r ? &r->app : NULL;
}

const struct gh_org *gh_snapshot_org_by_id(const struct gh_snapshot *s, struct gh_str id)
{
    return get1(s, &s->org_by_id, id);
}

const struct gh_org *gh_snapshot_org_by_tenant(const struct gh_snapshot *s, struct gh_str tenant)
{
    return get1(s, &s->org_by_tenant, tenant);
}

const struct gh_api *gh_snapshot_api_by_id(const struct gh_snapshot *s, struct gh_str id)
{
    return get1(s, &s->api_by_id, id);
}

/* One pass over the path; see "Paths" at the top of the file. */
const struct gh_api *gh_snapshot_api_by_path(const struct gh_snapshot *s, struct gh_str target,
                                             struct gh_str *matched)
{
    const struct sn_table *t = &s->api_by_prefix;
    const struct gh_api *best = NULL;
    size_t best_len = 0;
    if (t->n == 0)
        goto out;
    const char *p = target.ptr;
    size_t end = 0; /* length of the path part: up to '?' or '#' */
    while (end < target.len && p[end] != '?' && p[end] != '#')
        end++;
    size_t limit = end < s->max_prefix_len ? end : s->max_prefix_len;
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0;; i++) {
        /* h is the FNV-1a of p[0..i) */
        if ((i == end || p[i] == '/') && s->prefix_len_used[i]) {
            struct gh_str k = {p, i};
            const struct sn_entry *e = table_get(t, fnv_final(h), k, GH_STR_NULL);
            if (e) {
                best = e->val;
                best_len = i;
            }
        }
        if (i == limit)
            break;
        h ^= (unsigned char)p[i];
        h *= FNV_PRIME;
    }
out:
    if (matched)
        *matched = best ? gh_str_n(target.ptr, best_len) : GH_STR_NULL;
    return best;
}

const struct gh_plan *gh_snapshot_plan_by_id(const struct gh_snapshot *s, struct gh_str id)
{
    return get1(s, &s->plan_by_id, id);
}

const struct gh_api_key *gh_snapshot_api_key_by_hash(const struct gh_snapshot *s,
                                                     struct gh_str key_hash_hex)
{
    const struct sn_api_key *r = get1(s, &s->key_by_hash, key_hash_hex);
    return r ? &r->key : NULL;
}

const struct gh_certificate *gh_snapshot_certificate_by_thumbprint(const struct gh_snapshot *s,
                                                                   struct gh_str thumbprint)
{
    const struct sn_cert *r = get1(s, &s->cert_by_thumbprint, thumbprint);
    return r ? &r->cert : NULL;
}

const struct gh_subscription *gh_snapshot_subscription(const struct gh_snapshot *s,
                                                       struct gh_str app_id, struct gh_str api_id)
{
    return get2(s, &s->sub_by_pair, app_id, api_id);
}

const struct gh_subscription *gh_snapshot_subscription_by_token_hash(const struct gh_snapshot *s,
                                                                     struct gh_str hash_hex)
{
    return get1(s, &s->sub_by_token_hash, hash_hex);
}

enum gh_access_status gh_snapshot_access_status(const struct gh_snapshot *s, struct gh_str app_id,
                                                struct gh_str provider_org_id,
                                                const struct gh_access_status_rec **rec)
{
    const struct gh_access_status_rec *r = get2(s, &s->status_by_pair, app_id, provider_org_id);
    if (rec)
        *rec = r;
    return r ? r->status : GH_ACCESS_GREEN;
}

bool gh_snapshot_jti_revoked(const struct gh_snapshot *s, struct gh_str jti)
{
    return get1(s, &s->jti_set, jti) != NULL;
}

const struct gh_org *gh_snapshot_app_org(const struct gh_snapshot *s, const struct gh_app *app)
{
    const struct sn_app *r = (const struct sn_app *)(const void *)app;
    assert(r >= s->apps && r < s->apps + s->n_apps);
    return r->org;
}

const struct gh_strlist *gh_snapshot_app_services(const struct gh_snapshot *s,
                                                  const struct gh_app *app)
{
    const struct sn_app *r = (const struct sn_app *)(const void *)app;
    assert(r >= s->apps && r < s->apps + s->n_apps);
    return &r->services;
}

const struct gh_subscription *gh_snapshot_app_subscription(const struct gh_snapshot *s,
                                                           const struct gh_app *app,
                                                           const struct gh_api *api)
{
    const struct sn_app *r = (const struct sn_app *)(const void *)app;
    assert(r >= s->apps && r < s->apps + s->n_apps);
    (void)s;
    size_t lo = 0, hi = r->n_subs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)r->subs[mid].api < (uintptr_t)api)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_subs && r->subs[lo].api == api ? r->subs[lo].sub : NULL;
}

enum gh_access_status gh_snapshot_app_access_status(const struct gh_snapshot *s,
                                                    const struct gh_app *app,
                                                    const struct gh_api *api,
                                                    const struct gh_access_status_rec **rec)
{
    const struct sn_app *r = (const struct sn_app *)(const void *)app;
    assert(r >= s->apps && r < s->apps + s->n_apps);
    (void)s;
    const struct gh_access_status_rec *found = NULL;
    if (api->org_id) {
        struct gh_str provider = gh_str_c(api->org_id);
        for (uint32_t i = 0; i < r->n_statuses && !found; i++) {
            if (gh_str_eq_c(provider, r->statuses[i]->provider_org_id))
                found = r->statuses[i];
        }
    }
    if (rec)
        *rec = found;
    return found ? found->status : GH_ACCESS_GREEN;
}

const struct gh_app *gh_snapshot_api_key_app(const struct gh_snapshot *s,
                                             const struct gh_api_key *key)
{
    const struct sn_api_key *r = (const struct sn_api_key *)(const void *)key;
    assert(r >= s->keys && r < s->keys + s->n_keys);
    return r->app;
}

const struct gh_app *gh_snapshot_certificate_app(const struct gh_snapshot *s,
                                                 const struct gh_certificate *cert)
{
    const struct sn_cert *r = (const struct sn_cert *)(const void *)cert;
    assert(r >= s->certs && r < s->certs + s->n_certs);
    return r->app;
}

const struct gh_signing_key *gh_snapshot_signing_keys(const struct gh_snapshot *s, size_t *n)
{
    *n = s->n_signing_keys;
    return s->signing_keys;
}

const struct gh_signing_key *gh_snapshot_signing_key_active(const struct gh_snapshot *s,
                                                            struct gh_str alg)
{
    for (size_t i = 0; i < s->n_active_keys; i++) {
        if (gh_str_eq_c(alg, s->active_keys[i]->alg))
            return s->active_keys[i];
    }
    return NULL;
}

const struct gh_signing_key *gh_snapshot_signing_key_by_kid(const struct gh_snapshot *s,
                                                            struct gh_str kid)
{
    return get1(s, &s->signing_key_by_kid, kid);
}

uint64_t gh_snapshot_generation(const struct gh_snapshot *s)
{
    return s->generation;
}

int64_t gh_snapshot_built_at_ms(const struct gh_snapshot *s)
{
    return s->built_at_ms;
}

void gh_snapshot_get_counts(const struct gh_snapshot *s, struct gh_snapshot_counts *out)
{
    out->orgs = s->n_orgs;
    out->apis = s->n_apis;
    out->plans = s->n_plans;
    out->apps = s->n_apps;
    out->api_keys = s->n_keys;
    out->certificates = s->n_certs;
    out->subscriptions = s->n_subs;
    out->access_statuses = s->n_statuses;
    out->signing_keys = s->n_signing_keys;
    out->revoked_jtis = s->n_jtis;
    out->path_prefixes = s->api_by_prefix.n;
    out->bytes = s->arena->total;
}
