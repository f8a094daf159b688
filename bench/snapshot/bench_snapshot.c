/* Microbenchmark of the hot-path snapshot (src/store/snapshot.h).
 *
 * Builds a snapshot of a large deployment (10k apps, 50k API keys, 10k
 * certificates, 30k subscriptions, 1k APIs with 5k path prefixes, 10k revoked
 * jtis), then measures the cost of each lookup kind, of acquire+release on
 * one and two threads (also while a publisher swaps snapshots), of the read
 * set of one /authz/check, and of building.  It also compares the snapshot's
 * path index (a hash of every prefix probed at each '/' of the request path)
 * with the alternative the design named: prefixes sorted longest first,
 * grouped by a hash of their first segment.
 *
 *   build/bench/snapshot/bench_snapshot [SCALE]
 *
 * SCALE (default 1) multiplies the iteration counts, not the data set.
 * Queries are drawn at random from the whole data set so that the numbers
 * include cache misses, as a server's would. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/str.h"
#include "store/snapshot.h"
#include "store/store.h"

enum {
    N_PARTNERS = 1000,
    N_PROVIDERS = 20,
    N_APIS = 1000,
    PREFIXES_PER_API = 5,
    N_APPS = 10000,
    KEYS_PER_APP = 5,
    SUBS_PER_APP = 3,
    N_RED = 2000,
    N_JTIS = 10000,
    N_QUERIES = 1 << 16, /* power of two: the query index is masked */
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* splitmix64: deterministic data, so runs are comparable. */
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Every string the data set and the queries need, owned here. */
struct strings {
    char **v;
    size_t n, cap;
};

static struct strings pool;

static char *keep(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *keep(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (pool.n == pool.cap) {
        pool.cap = pool.cap ? pool.cap * 2 : 4096;
        pool.v = gh_xrealloc(pool.v, pool.cap * sizeof *pool.v);
    }
    return pool.v[pool.n++] = gh_xstrdup(buf);
}

static char *hex64(void)
{
    uint64_t a = rng(), b = rng(), c = rng(), d = rng();
    return keep("%016llx%016llx%016llx%016llx", (unsigned long long)a, (unsigned long long)b,
                (unsigned long long)c, (unsigned long long)d);
}

/* The data set, kept so that queries can name its keys. */
struct world {
    char *app_id[N_APPS], *client_id[N_APPS], *key_hash[N_APPS * KEYS_PER_APP], *thumbprint[N_APPS],
        *api_id[N_APIS], *org_id[N_PARTNERS + N_PROVIDERS], *tenant[N_PARTNERS], *jti[N_JTIS],
        *plan_id[N_APIS * 2];
    /* prefixes[api][k]: the snapshot's layout and the shared-segment one */
    char *prefix[N_APIS][PREFIXES_PER_API], *prefix_shared[N_APIS][PREFIXES_PER_API];
    int sub_api[N_APPS][SUBS_PER_APP];
};

static struct world W;

static void make_world(void)
{
    for (int i = 0; i < N_PARTNERS + N_PROVIDERS; i++)
        W.org_id[i] = keep("org_%05d", i);
    for (int i = 0; i < N_PARTNERS; i++)
        W.tenant[i] = keep("tenant-%d", i);
    for (int i = 0; i < N_APIS; i++) {
        W.api_id[i] = keep("api_%05d", i);
        W.plan_id[2 * i] = keep("pln_%05d_0", i);
        W.plan_id[2 * i + 1] = keep("pln_%05d_1", i);
        /* nested prefixes, so that the longest match matters */
        W.prefix[i][0] = keep("/svc%d", i);
        W.prefix[i][1] = keep("%s/v2", W.prefix[i][0]);
        W.prefix[i][2] = keep("%s/admin", W.prefix[i][1]);
        W.prefix[i][3] = keep("/alias%d", i);
        W.prefix[i][4] = keep("%s/beta", W.prefix[i][3]);
        for (int k = 0; k < PREFIXES_PER_API; k++)
            W.prefix_shared[i][k] = keep("/api%s", W.prefix[i][k]);
    }
    for (int i = 0; i < N_APPS; i++) {
        W.app_id[i] = keep("app_%05d", i);
        W.client_id[i] =
            keep("%08llx-%04x-4%03x-a%03x-%012llx", (unsigned long long)(rng() >> 32),
                 (unsigned)(rng() & 0xffff), (unsigned)(rng() & 0xfff), (unsigned)(rng() & 0xfff),
                 (unsigned long long)(rng() & 0xffffffffffffULL));
        W.thumbprint[i] = hex64();
        for (int k = 0; k < KEYS_PER_APP; k++)
            W.key_hash[i * KEYS_PER_APP + k] = hex64();
        for (int k = 0; k < SUBS_PER_APP; k++)
            W.sub_api[i][k] = (int)((i * 7 + k * 131) % N_APIS);
    }
    for (int i = 0; i < N_JTIS; i++)
        W.jti[i] = keep("%016llx%016llx", (unsigned long long)rng(), (unsigned long long)rng());
}

/* Where add_world sends the data set: a snapshot builder, or a store's write
 * transaction (for the load measurement). */
struct sink {
    void *ctx;
    void (*org)(void *ctx, const struct gh_org *);
    void (*api)(void *ctx, const struct gh_api *);
    void (*plan)(void *ctx, const struct gh_plan *);
    void (*app)(void *ctx, const struct gh_app *);
    void (*api_key)(void *ctx, const struct gh_api_key *);
    void (*certificate)(void *ctx, const struct gh_certificate *);
    void (*subscription)(void *ctx, const struct gh_subscription *);
    void (*access_status)(void *ctx, const struct gh_access_status_rec *);
    void (*signing_key)(void *ctx, const struct gh_signing_key *);
    void (*revoked_jti)(void *ctx, const struct gh_revoked_jti *);
};

static void store_check(enum gh_store_rc rc, const char *what)
{
    if (rc != GH_STORE_OK) {
        fprintf(stderr, "bench: inserting %s: %s\n", what, gh_store_rc_name(rc));
        exit(1);
    }
}

#define SINK_FNS(kind, type, insert)                                                               \
    static void to_builder_##kind(void *ctx, const type *x)                                        \
    {                                                                                              \
        gh_snapshot_builder_add_##kind(ctx, x);                                                    \
    }                                                                                              \
    static void to_store_##kind(void *ctx, const type *x)                                          \
    {                                                                                              \
        store_check(insert(ctx, x), #kind);                                                        \
    }
SINK_FNS(org, struct gh_org, gh_store_org_insert)
SINK_FNS(api, struct gh_api, gh_store_api_insert)
SINK_FNS(plan, struct gh_plan, gh_store_plan_insert)
SINK_FNS(app, struct gh_app, gh_store_app_insert)
SINK_FNS(api_key, struct gh_api_key, gh_store_api_key_insert)
SINK_FNS(certificate, struct gh_certificate, gh_store_certificate_insert)
SINK_FNS(subscription, struct gh_subscription, gh_store_subscription_insert)
SINK_FNS(access_status, struct gh_access_status_rec, gh_store_access_status_put)
SINK_FNS(signing_key, struct gh_signing_key, gh_store_signing_key_insert)
SINK_FNS(revoked_jti, struct gh_revoked_jti, gh_store_revoked_jti_insert)
#undef SINK_FNS

#define SINK(prefix, c)                                                                            \
    ((struct sink){c, prefix##org, prefix##api, prefix##plan, prefix##app, prefix##api_key,        \
                   prefix##certificate, prefix##subscription, prefix##access_status,               \
                   prefix##signing_key, prefix##revoked_jti})

static void add_world(const struct sink *out, bool shared_prefixes)
{
    static char *roles[] = {"b2b"};
    for (int i = 0; i < N_PARTNERS + N_PROVIDERS; i++) {
        bool partner = i < N_PARTNERS;
        char *cn[2] = {"100200", "100201"};
        struct gh_org o = {.id = W.org_id[i],
                           .name = W.org_id[i],
                           .partner = partner,
                           .provider = !partner,
                           .tenant = partner ? W.tenant[i] : NULL,
                           .customer_numbers = {partner ? 2 : 0, cn},
                           .partner_roles = {partner ? 1 : 0, roles}};
        out->org(out->ctx, &o);
    }
    for (int i = 0; i < N_APIS; i++) {
        char service[32];
        snprintf(service, sizeof service, "svc%d", i);
        struct gh_api api = {
            .id = W.api_id[i],
            .org_id = W.org_id[N_PARTNERS + i % N_PROVIDERS],
            .name = service,
            .service = service,
            .path_prefixes = {PREFIXES_PER_API, shared_prefixes ? W.prefix_shared[i] : W.prefix[i]},
            .auth_method = GH_AUTH_API_KEY,
            .subscription_required = true,
            .customer_number_in = GH_CN_QUERY,
            .customer_number_name = "customerId"};
        out->api(out->ctx, &api);
        for (int k = 0; k < 2; k++) {
            char *id = W.plan_id[2 * i + k];
            struct gh_plan plan = {.id = id,
                                   .api_id = W.api_id[i],
                                   .name = id,
                                   .rate_limit_requests = 1000,
                                   .rate_limit_window_secs = 60};
            out->plan(out->ctx, &plan);
        }
    }
    for (int i = 0; i < N_APPS; i++) {
        static char *scopes[] = {"orders", "profile"};
        struct gh_app app = {.id = W.app_id[i],
                             .org_id = W.org_id[i % N_PARTNERS],
                             .name = W.app_id[i],
                             .client_id = W.client_id[i],
                             .client_secret_hash = W.thumbprint[i],
                             .confidential = true,
                             .scopes = {2, scopes}};
        out->app(out->ctx, &app);
        for (int k = 0; k < KEYS_PER_APP; k++) {
            struct gh_api_key key = {.id = W.key_hash[i * KEYS_PER_APP + k],
                                     .app_id = W.app_id[i],
                                     .name = "key",
                                     .key_hash = W.key_hash[i * KEYS_PER_APP + k],
                                     .key_hint = "gh_"};
            out->api_key(out->ctx, &key);
        }
        struct gh_certificate cert = {.id = W.thumbprint[i],
                                      .app_id = W.app_id[i],
                                      .subject = "CN=client",
                                      .thumbprint_sha256 = W.thumbprint[i],
                                      .pem = "PEM"};
        out->certificate(out->ctx, &cert);
        for (int k = 0; k < SUBS_PER_APP; k++) {
            char id[32];
            snprintf(id, sizeof id, "sub_%05d_%d", i, k);
            struct gh_subscription sub = {.id = id,
                                          .app_id = W.app_id[i],
                                          .api_id = W.api_id[W.sub_api[i][k]],
                                          .status =
                                              k == 2 ? GH_SUB_ACTIVATION_REQUESTED : GH_SUB_ACTIVE};
            out->subscription(out->ctx, &sub);
        }
    }
    for (int i = 0; i < N_RED; i++) {
        struct gh_access_status_rec rec = {.app_id = W.app_id[i * (N_APPS / N_RED)],
                                           .provider_org_id =
                                               W.org_id[N_PARTNERS + i % N_PROVIDERS],
                                           .status = GH_ACCESS_RED,
                                           .reason = "unpaid"};
        out->access_status(out->ctx, &rec);
    }
    const char *algs[] = {"ES256", "EdDSA", "RS256"};
    for (int i = 0; i < 6; i++) {
        char kid[16];
        snprintf(kid, sizeof kid, "kid-%d", i);
        struct gh_signing_key k = {.kid = kid,
                                   .alg = (char *)algs[i % 3],
                                   .state = i < 3 ? GH_KEY_ACTIVE : GH_KEY_NEXT,
                                   .private_key_enc = "enc",
                                   .public_jwk = "{}"};
        out->signing_key(out->ctx, &k);
    }
    for (int i = 0; i < N_JTIS; i++) {
        struct gh_revoked_jti j = {.jti = W.jti[i], .expires_at = 1};
        out->revoked_jti(out->ctx, &j);
    }
}

static struct gh_snapshot *build(bool shared_prefixes)
{
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    add_world(&SINK(to_builder_, b), shared_prefixes);
    return gh_snapshot_builder_finish(b);
}

/* ---- queries -------------------------------------------------------------- */

struct query {
    struct gh_str a, b;
};

static struct query Q[N_QUERIES];
static char *miss_keys[N_QUERIES];
static char *paths[N_QUERIES], *paths_shared[N_QUERIES];

static void make_paths(void)
{
    const char *tails[] = {"", "/orders/12345?customerId=100200", "/customers/100200/invoices",
                           "?customerId=100201", "/a/b/c/d/e/f"};
    for (int i = 0; i < N_QUERIES; i++) {
        int api = (int)(rng() % N_APIS), k = (int)(rng() % PREFIXES_PER_API);
        const char *tail = tails[rng() % 5];
        paths[i] = keep("%s%s", W.prefix[api][k], tail);
        paths_shared[i] = keep("%s%s", W.prefix_shared[api][k], tail);
    }
    for (int i = 0; i < N_QUERIES; i++)
        miss_keys[i] = hex64();
}

static volatile uintptr_t sink;

struct row {
    const char *name;
    double ns;
};

static struct row rows[64];
static size_t n_rows;

static void report(const char *name, double ns)
{
    rows[n_rows].name = name;
    rows[n_rows].ns = ns;
    n_rows++;
}

static long iters_base = 2000000;

/* Fills the query set with setup, then runs body `iters` times in ROUNDS
 * rounds and records the best round's ns per iteration (the minimum is the
 * estimate least disturbed by other processes on the machine).  `i` is the
 * query index inside setup and body. */
enum { ROUNDS = 5 };
#define MEASURE_N(name, iters, setup, body)                                                        \
    do {                                                                                           \
        for (int i = 0; i < N_QUERIES; i++) {                                                      \
            setup;                                                                                 \
        }                                                                                          \
        uintptr_t acc = 0;                                                                         \
        for (int i = 0; i < N_QUERIES; i++) { /* warm-up */                                        \
            acc += (uintptr_t)(body);                                                              \
        }                                                                                          \
        long n = (iters) / ROUNDS + 1;                                                             \
        double best = 1e30;                                                                        \
        for (int round = 0; round < ROUNDS; round++) {                                             \
            double t0 = now_ns();                                                                  \
            for (long r = 0; r < n; r++) {                                                         \
                int i = (int)(r & (N_QUERIES - 1));                                                \
                acc += (uintptr_t)(body);                                                          \
            }                                                                                      \
            double ns = (now_ns() - t0) / (double)n;                                               \
            best = ns < best ? ns : best;                                                          \
        }                                                                                          \
        report(name, best);                                                                        \
        sink = acc;                                                                                \
    } while (0)
#define MEASURE(name, setup, body) MEASURE_N(name, iters_base, setup, body)

#define PICK(n) ((size_t)(rng() % (n)))

/* An (app, API) pair the app is subscribed to. */
static void subscription_query(struct query *q)
{
    size_t app = PICK(N_APPS);
    q->a = gh_str_c(W.app_id[app]);
    q->b = gh_str_c(W.api_id[W.sub_api[app][PICK(SUBS_PER_APP)]]);
}

static void bench_lookups(const struct gh_snapshot *s)
{
    MEASURE("app_by_client_id (hit)", Q[i].a = gh_str_c(W.client_id[PICK(N_APPS)]),
            gh_snapshot_app_by_client_id(s, Q[i].a));
    MEASURE("app_by_client_id (miss)", Q[i].a = gh_str_c(miss_keys[i]),
            gh_snapshot_app_by_client_id(s, Q[i].a));
    MEASURE("app_by_id", Q[i].a = gh_str_c(W.app_id[PICK(N_APPS)]),
            gh_snapshot_app_by_id(s, Q[i].a));
    MEASURE("org_by_tenant", Q[i].a = gh_str_c(W.tenant[PICK(N_PARTNERS)]),
            gh_snapshot_org_by_tenant(s, Q[i].a));
    MEASURE("api_by_id", Q[i].a = gh_str_c(W.api_id[PICK(N_APIS)]),
            gh_snapshot_api_by_id(s, Q[i].a));
    MEASURE("plan_by_id", Q[i].a = gh_str_c(W.plan_id[PICK(N_APIS * 2)]),
            gh_snapshot_plan_by_id(s, Q[i].a));
    MEASURE("api_key_by_hash (hit)", Q[i].a = gh_str_c(W.key_hash[PICK(N_APPS * KEYS_PER_APP)]),
            gh_snapshot_api_key_by_hash(s, Q[i].a));
    MEASURE("api_key_by_hash (miss)", Q[i].a = gh_str_c(miss_keys[i]),
            gh_snapshot_api_key_by_hash(s, Q[i].a));
    MEASURE("certificate_by_thumbprint", Q[i].a = gh_str_c(W.thumbprint[PICK(N_APPS)]),
            gh_snapshot_certificate_by_thumbprint(s, Q[i].a));
    MEASURE("subscription(app, api)", subscription_query(&Q[i]),
            gh_snapshot_subscription(s, Q[i].a, Q[i].b));
    MEASURE("access_status(app, provider)",
            (Q[i].a = gh_str_c(W.app_id[PICK(N_APPS)]),
             Q[i].b = gh_str_c(W.org_id[N_PARTNERS + PICK(N_PROVIDERS)])),
            gh_snapshot_access_status(s, Q[i].a, Q[i].b, NULL));
    MEASURE("jti_revoked (miss)", Q[i].a = gh_str_c(miss_keys[i] + 32),
            gh_snapshot_jti_revoked(s, Q[i].a));
    MEASURE("signing_key_active", Q[i].a = GH_STR("RS256"),
            gh_snapshot_signing_key_active(s, Q[i].a));
    MEASURE("api_by_path", Q[i].a = gh_str_c(paths[i]), gh_snapshot_api_by_path(s, Q[i].a, NULL));
}

/* ---- the alternative path index: sorted array + first-segment hash -------- */

struct alt_prefix {
    struct gh_str p;
    const char *api;
};

struct alt_index {
    struct alt_prefix *items;            /* grouped by first segment, longest first in a group */
    uint32_t *bucket_start, *bucket_len; /* per first-segment hash bucket */
    uint32_t mask;
};

static struct gh_str first_segment(struct gh_str p)
{
    size_t i = p.len > 0 && p.ptr[0] == '/' ? 1 : 0;
    while (i < p.len && p.ptr[i] != '/' && p.ptr[i] != '?' && p.ptr[i] != '#')
        i++;
    return gh_str_n(p.ptr, i);
}

static uint32_t seg_bucket(const struct alt_index *x, struct gh_str seg)
{
    return (uint32_t)(gh_str_hash(seg) * 0x9e3779b97f4a7c15ULL >> 32) & x->mask;
}

static const struct alt_index *alt_sort_ctx;

static int alt_cmp(const void *l, const void *r)
{
    const struct alt_prefix *a = l, *b = r;
    uint32_t ba = seg_bucket(alt_sort_ctx, first_segment(a->p));
    uint32_t bb = seg_bucket(alt_sort_ctx, first_segment(b->p));
    if (ba != bb)
        return ba < bb ? -1 : 1;
    return a->p.len == b->p.len ? 0 : a->p.len > b->p.len ? -1 : 1;
}

static void alt_build(struct alt_index *x, char *(*prefixes)[PREFIXES_PER_API])
{
    size_t n = (size_t)N_APIS * PREFIXES_PER_API;
    x->items = gh_xcalloc(n, sizeof *x->items);
    x->mask = 4095;
    x->bucket_start = gh_xcalloc(x->mask + 1, sizeof *x->bucket_start);
    x->bucket_len = gh_xcalloc(x->mask + 1, sizeof *x->bucket_len);
    for (int i = 0; i < N_APIS; i++)
        for (int k = 0; k < PREFIXES_PER_API; k++)
            x->items[i * PREFIXES_PER_API + k] =
                (struct alt_prefix){gh_str_c(prefixes[i][k]), W.api_id[i]};
    alt_sort_ctx = x;
    qsort(x->items, n, sizeof *x->items, alt_cmp);
    for (size_t i = 0; i < n; i++) {
        uint32_t bk = seg_bucket(x, first_segment(x->items[i].p));
        if (x->bucket_len[bk]++ == 0)
            x->bucket_start[bk] = (uint32_t)i;
    }
}

static void alt_free(struct alt_index *x)
{
    free(x->items);
    free(x->bucket_start);
    free(x->bucket_len);
}

/* Longest first: the first prefix of the bucket that matches at a boundary wins. */
static const char *alt_lookup(const struct alt_index *x, struct gh_str target)
{
    uint32_t bk = seg_bucket(x, first_segment(target));
    const struct alt_prefix *it = x->items + x->bucket_start[bk];
    for (uint32_t j = 0; j < x->bucket_len[bk]; j++, it++) {
        size_t l = it->p.len;
        if (gh_str_has_prefix(target, it->p) && (l == target.len || target.ptr[l] == '/' ||
                                                 target.ptr[l] == '?' || target.ptr[l] == '#'))
            return it->api;
    }
    return NULL;
}

/* Both indexes must agree before their speed means anything. */
static void check_path_indexes(const struct gh_snapshot *s, const struct alt_index *alt,
                               char **targets)
{
    for (int i = 0; i < N_QUERIES; i++) {
        const struct gh_api *api = gh_snapshot_api_by_path(s, gh_str_c(targets[i]), NULL);
        const char *id = alt_lookup(alt, gh_str_c(targets[i]));
        if (!api || !id || strcmp(api->id, id) != 0) {
            fprintf(stderr, "bench: path indexes disagree on %s\n", targets[i]);
            exit(1);
        }
    }
}

static void bench_path_indexes(const struct gh_snapshot *main_snapshot)
{
    struct gh_snapshot *shared = build(true);
    const struct gh_snapshot *s = shared;
    MEASURE("api_by_path, all under /api", Q[i].a = gh_str_c(paths_shared[i]),
            gh_snapshot_api_by_path(s, Q[i].a, NULL));
    struct alt_index alt, alt_shared;
    alt_build(&alt, W.prefix);
    alt_build(&alt_shared, W.prefix_shared);
    check_path_indexes(main_snapshot, &alt, paths);
    check_path_indexes(shared, &alt_shared, paths_shared);
    MEASURE("  alt: sorted + first-segment hash", Q[i].a = gh_str_c(paths[i]),
            alt_lookup(&alt, Q[i].a));
    /* a linear scan of one bucket: far fewer iterations */
    MEASURE_N("  alt: sorted + first-segment hash, /api", iters_base / 100,
              Q[i].a = gh_str_c(paths_shared[i]), alt_lookup(&alt_shared, Q[i].a));
    alt_free(&alt);
    alt_free(&alt_shared);
    gh_snapshot_free(shared);
}

/* ---- acquire/release ------------------------------------------------------- */

struct reader_arg {
    struct gh_snapshot_holder *h;
    long iters;
    double ns;
    atomic_bool *go;
};

static void *reader_loop(void *p)
{
    struct reader_arg *r = p;
    while (!atomic_load(r->go))
        ;
    uintptr_t acc = 0;
    double t0 = now_ns();
    for (long i = 0; i < r->iters; i++) {
        const struct gh_snapshot *s = gh_snapshot_acquire(r->h);
        acc += (uintptr_t)gh_snapshot_generation(s);
        gh_snapshot_release(r->h, s);
    }
    r->ns = (now_ns() - t0) / (double)r->iters;
    sink = acc;
    return NULL;
}

struct publisher_arg {
    struct gh_snapshot_holder *h;
    atomic_bool *stop;
    long published;
};

static void *publisher_loop(void *p)
{
    struct publisher_arg *a = p;
    uint64_t g = 1;
    while (!atomic_load(a->stop)) {
        struct gh_snapshot_builder *b = gh_snapshot_builder_new();
        gh_snapshot_builder_set_generation(b, g++);
        gh_snapshot_publish(a->h, gh_snapshot_builder_finish(b));
        a->published++;
    }
    return NULL;
}

/* Readers in parallel; returns the mean ns per acquire+release pair. */
static double run_readers(struct gh_snapshot_holder *h, int n, long iters, long *published)
{
    pthread_t th[2], pub;
    struct reader_arg args[2];
    atomic_bool go, stop;
    atomic_init(&go, false);
    atomic_init(&stop, false);
    struct publisher_arg pa = {h, &stop, 0};
    for (int i = 0; i < n; i++) {
        args[i] = (struct reader_arg){h, iters, 0, &go};
        pthread_create(&th[i], NULL, reader_loop, &args[i]);
    }
    if (published)
        pthread_create(&pub, NULL, publisher_loop, &pa);
    atomic_store(&go, true);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        sum += args[i].ns;
    }
    if (published) {
        atomic_store(&stop, true);
        pthread_join(pub, NULL);
        *published = pa.published;
    }
    return sum / n;
}

static long publishes;

/* Best of three runs, as for the lookups. */
static double best_readers(struct gh_snapshot_holder *h, int n, long iters, long *published)
{
    double best = 1e30;
    for (int round = 0; round < 3; round++) {
        double ns = run_readers(h, n, iters, published);
        best = ns < best ? ns : best;
    }
    return best;
}

/* What one /authz/check by API key reads from the snapshot, under one
 * acquire: by id strings, or following links from the app. */
static uintptr_t authz_reads(struct gh_snapshot_holder *h, const struct query *q, bool links)
{
    uintptr_t acc = 0;
    const struct gh_snapshot *s = gh_snapshot_acquire(h);
    const struct gh_api *api = gh_snapshot_api_by_path(s, q->b, NULL);
    const struct gh_api_key *key = gh_snapshot_api_key_by_hash(s, q->a);
    const struct gh_app *app = key ? gh_snapshot_api_key_app(s, key) : NULL;
    if (api && app && links) {
        acc += (uintptr_t)gh_snapshot_app_subscription(s, app, api);
        acc += gh_snapshot_app_access_status(s, app, api, NULL);
        acc += (uintptr_t)gh_snapshot_app_org(s, app);
    } else if (api && app) {
        acc += (uintptr_t)gh_snapshot_subscription(s, gh_str_c(app->id), gh_str_c(api->id));
        acc += gh_snapshot_access_status(s, gh_str_c(app->id), gh_str_c(api->org_id), NULL);
        acc += (uintptr_t)gh_snapshot_app_org(s, app);
    }
    gh_snapshot_release(h, s);
    return acc;
}

static void bench_holder(struct gh_snapshot *big)
{
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    gh_snapshot_publish(h, big);
    MEASURE(
        "authz read set by ids (path, key, sub, status, org)",
        (Q[i].a = gh_str_c(W.key_hash[PICK(N_APPS * KEYS_PER_APP)]), Q[i].b = gh_str_c(paths[i])),
        authz_reads(h, &Q[i], false));
    MEASURE("authz read set by links", (void)0, authz_reads(h, &Q[i], true));
    /* Every query above must have found its API and key, or it measured misses. */
    const struct gh_snapshot *s = gh_snapshot_acquire(h);
    for (int i = 0; i < N_QUERIES; i++) {
        if (!gh_snapshot_api_by_path(s, Q[i].b, NULL) || !gh_snapshot_api_key_by_hash(s, Q[i].a)) {
            fprintf(stderr, "bench: authz query %d does not hit\n", i);
            exit(1);
        }
    }
    gh_snapshot_release(h, s);

    long pairs = iters_base * 5;
    report("acquire+release, 1 thread", best_readers(h, 1, pairs, NULL));
    report("acquire+release, 2 threads (each)", best_readers(h, 2, pairs, NULL));
    /* the publisher swaps in small snapshots: the big one is freed here */
    report("acquire+release, 2 threads + publisher", best_readers(h, 2, pairs / 5, &publishes));
    gh_snapshot_holder_free(h);
}

/* ---- loading from SQLite ------------------------------------------------- */

/* What every committed change pays: gh_snapshot_load of the same data set
 * from a SQLite file (in a temporary directory, removed afterwards). */
static double insert_ms, load_ms = -1;

static void bench_load(void)
{
    char dir[] = "/tmp/gh-bench-snapshot-123456";
    memset(dir + sizeof dir - 7, 'X', 6); /* mkdtemp's template */
    if (!mkdtemp(dir)) {
        perror("bench: mkdtemp");
        exit(1);
    }
    char path[128], err[256] = "";
    snprintf(path, sizeof path, "%s/bench.db", dir);
    struct gh_store *st =
        gh_store_open(path, &(struct gh_store_options){.migrate = true}, err, sizeof err);
    if (!st) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    struct gh_tx *tx;
    store_check(gh_store_begin(st, GH_TX_WRITE, &tx), "(begin)");
    double t0 = now_ns();
    add_world(&SINK(to_store_, tx), false);
    store_check(gh_store_commit(tx), "(commit)");
    insert_ms = (now_ns() - t0) / 1e6;
    for (int round = 0; round < 3; round++) {
        struct gh_snapshot *s;
        t0 = now_ns();
        if (!gh_snapshot_load(st, &s, err, sizeof err)) {
            fprintf(stderr, "bench: %s\n", err);
            exit(1);
        }
        double ms = (now_ns() - t0) / 1e6;
        if (load_ms < 0 || ms < load_ms)
            load_ms = ms;
        gh_snapshot_free(s);
    }
    gh_store_close(st);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char f[160];
        snprintf(f, sizeof f, "%s%s", path, suffixes[i]);
        unlink(f);
    }
    rmdir(dir);
}

int main(int argc, char **argv)
{
    double scale = argc > 1 ? atof(argv[1]) : 1.0;
    if (scale <= 0) {
        fprintf(stderr, "usage: %s [SCALE>0]\n", argv[0]);
        return 2;
    }
    iters_base = (long)(2000000 * scale);
    if (iters_base < N_QUERIES)
        iters_base = N_QUERIES;
    gh_log_set_level(GH_LOG_WARN);
    make_world();
    make_paths();

    /* Build time: adds (copies) + finish (indexes), best of 3. */
    double best_total = 1e30, best_finish = 1e30;
    struct gh_snapshot *s = NULL;
    for (int round = 0; round < 3; round++) {
        double t0 = now_ns();
        struct gh_snapshot_builder *b = gh_snapshot_builder_new();
        add_world(&SINK(to_builder_, b), false);
        double t1 = now_ns();
        struct gh_snapshot *x = gh_snapshot_builder_finish(b);
        double t2 = now_ns();
        if (t2 - t0 < best_total)
            best_total = t2 - t0;
        if (t2 - t1 < best_finish)
            best_finish = t2 - t1;
        gh_snapshot_free(s);
        s = x;
    }
    struct gh_snapshot_counts c;
    gh_snapshot_get_counts(s, &c);

    bench_lookups(s);
    bench_path_indexes(s);
    bench_holder(s); /* the holder takes s */
    bench_load();

    printf("snapshot: %zu orgs, %zu apis (%zu path prefixes), %zu plans, %zu apps, %zu api keys,\n"
           "          %zu certificates, %zu subscriptions, %zu access statuses, %zu revoked jtis\n",
           c.orgs, c.apis, c.path_prefixes, c.plans, c.apps, c.api_keys, c.certificates,
           c.subscriptions, c.access_statuses, c.revoked_jtis);
    printf("size:     %.1f MiB in the snapshot arena\n", (double)c.bytes / (1024.0 * 1024.0));
    printf("build:    %.1f ms (copy + index), of which finish %.1f ms  [best of 3]\n",
           best_total / 1e6, best_finish / 1e6);
    printf("load:     %.1f ms from SQLite (gh_snapshot_load, best of 3; inserting took %.0f ms)\n",
           load_ms, insert_ms);
    printf("publisher swapped %ld snapshots during the contended run\n\n", publishes);
    printf("%-56s %10s %12s\n", "operation", "ns/op", "Mops/s");
    for (size_t i = 0; i < n_rows; i++)
        printf("%-56s %10.1f %12.2f\n", rows[i].name, rows[i].ns, 1e3 / rows[i].ns);

    for (size_t i = 0; i < pool.n; i++)
        free(pool.v[i]);
    free(pool.v);
    return 0;
}
