#include "http/metrics.h"
#include "core/alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const int known_status[] = {200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 406,
                                   409, 410, 413, 415, 422, 429, 431, 500, 501, 502, 503, 504};
#define NSTATUS (sizeof known_status / sizeof known_status[0] + 1) /* + "other" */

static const double bucket_le[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                   0.05,   0.1,     0.25,   0.5,   1,      2.5,   5};
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0] + 1) /* + +Inf */
#define MAX_SHARDS 256

struct route_stats {
    _Atomic uint64_t count[NSTATUS];
    _Atomic uint64_t bucket[NBUCKETS]; /* not cumulative; summed on render */
    _Atomic uint64_t sum_ns;
};

struct shard {
    struct route_stats *routes; /* nroutes + 1 */
};

struct gh_metrics {
    uint64_t id; /* never reused, so a thread's cached shard cannot outlive its owner */
    size_t nroutes;
    pthread_mutex_t lock; /* shard registration only */
    _Atomic size_t nshards;
    struct shard *shards[MAX_SHARDS];
    struct shard overflow; /* shared by threads beyond MAX_SHARDS (atomic adds) */
};

static _Atomic uint64_t next_id = 1;

static _Thread_local struct {
    uint64_t owner;
    struct shard *shard;
} tls;

struct gh_metrics *gh_metrics_new(size_t nroutes)
{
    struct gh_metrics *m = gh_xcalloc(1, sizeof *m);
    m->id = atomic_fetch_add(&next_id, 1);
    m->nroutes = nroutes;
    pthread_mutex_init(&m->lock, NULL);
    m->overflow.routes = gh_xcalloc(nroutes + 1, sizeof(struct route_stats));
    return m;
}

void gh_metrics_free(struct gh_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < atomic_load(&m->nshards); i++) {
        free(m->shards[i]->routes);
        free(m->shards[i]);
    }
    free(m->overflow.routes);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static struct shard *my_shard(struct gh_metrics *m, bool *shared)
{
    *shared = false;
    if (tls.owner == m->id)
        return tls.shard;
    pthread_mutex_lock(&m->lock);
    size_t n = atomic_load(&m->nshards);
    struct shard *s;
    if (n < MAX_SHARDS) {
        s = gh_xcalloc(1, sizeof *s);
        s->routes = gh_xcalloc(m->nroutes + 1, sizeof(struct route_stats));
        m->shards[n] = s;
        atomic_store(&m->nshards, n + 1);
    } else {
        s = &m->overflow;
    }
    pthread_mutex_unlock(&m->lock);
    if (s == &m->overflow) {
        *shared = true;
        return s;
    }
    tls.owner = m->id;
    tls.shard = s;
    return s;
}

static size_t status_index(int status)
{
    for (size_t i = 0; i < NSTATUS - 1; i++)
        if (known_status[i] == status)
            return i;
    return NSTATUS - 1;
}

/* Single-writer increment: a relaxed load and store, no locked instruction. */
static inline void bump(_Atomic uint64_t *c, uint64_t by, bool shared)
{
    if (shared)
        atomic_fetch_add_explicit(c, by, memory_order_relaxed);
    else
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                              memory_order_relaxed);
}

void gh_metrics_observe(struct gh_metrics *m, size_t route_index, int status, int64_t duration_ns)
{
    bool shared;
    struct shard *s = my_shard(m, &shared);
    if (route_index > m->nroutes)
        route_index = m->nroutes;
    struct route_stats *rs = &s->routes[route_index];
    bump(&rs->count[status_index(status)], 1, shared);
    double secs = (double)duration_ns / 1e9;
    size_t b = 0;
    while (b < NBUCKETS - 1 && secs > bucket_le[b])
        b++;
    bump(&rs->bucket[b], 1, shared);
    bump(&rs->sum_ns, duration_ns > 0 ? (uint64_t)duration_ns : 0, shared);
}

static void sum_route(struct gh_metrics *m, size_t r, struct route_stats *out)
{
    memset(out, 0, sizeof *out);
    size_t n = atomic_load(&m->nshards);
    for (size_t i = 0; i <= n; i++) {
        struct route_stats *rs = i < n ? &m->shards[i]->routes[r] : &m->overflow.routes[r];
        for (size_t k = 0; k < NSTATUS; k++)
            atomic_fetch_add_explicit(&out->count[k],
                                      atomic_load_explicit(&rs->count[k], memory_order_relaxed),
                                      memory_order_relaxed);
        for (size_t k = 0; k < NBUCKETS; k++)
            atomic_fetch_add_explicit(&out->bucket[k],
                                      atomic_load_explicit(&rs->bucket[k], memory_order_relaxed),
                                      memory_order_relaxed);
        atomic_fetch_add_explicit(&out->sum_ns,
                                  atomic_load_explicit(&rs->sum_ns, memory_order_relaxed),
                                  memory_order_relaxed);
    }
}

static const char *route_label(const struct gh_router *r, size_t i, size_t nroutes)
{
    return i < nroutes ? gh_router_route(r, i)->pattern : "unmatched";
}

void gh_metrics_render(struct gh_metrics *m, const struct gh_router *r, struct gh_buf *out)
{
    struct route_stats *sums = gh_xcalloc(m->nroutes + 1, sizeof *sums);
    for (size_t i = 0; i <= m->nroutes; i++)
        sum_route(m, i, &sums[i]);

    gh_buf_puts(
        out, "# HELP gatehouse_http_requests_total HTTP requests answered, by route and status.\n"
             "# TYPE gatehouse_http_requests_total counter\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        for (size_t k = 0; k < NSTATUS; k++) {
            uint64_t c = atomic_load(&sums[i].count[k]);
            if (!c)
                continue;
            gh_buf_printf(out, "gatehouse_http_requests_total{route=\"%s\",status=\"",
                          route_label(r, i, m->nroutes));
            if (k < NSTATUS - 1)
                gh_buf_printf(out, "%d", known_status[k]);
            else
                gh_buf_puts(out, "other");
            gh_buf_printf(out, "\"} %llu\n", (unsigned long long)c);
        }
    }
    gh_buf_puts(out, "# HELP gatehouse_http_request_duration_seconds Time from request start to "
                     "the answer being queued.\n"
                     "# TYPE gatehouse_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        uint64_t total = 0;
        for (size_t k = 0; k < NBUCKETS; k++)
            total += atomic_load(&sums[i].bucket[k]);
        if (!total)
            continue;
        const char *label = route_label(r, i, m->nroutes);
        uint64_t cum = 0;
        for (size_t k = 0; k < NBUCKETS; k++) {
            cum += atomic_load(&sums[i].bucket[k]);
            if (k < NBUCKETS - 1)
                gh_buf_printf(
                    out,
                    "gatehouse_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    label, bucket_le[k], (unsigned long long)cum);
            else
                gh_buf_printf(out,
                              "gatehouse_http_request_duration_seconds_bucket{route=\"%s\",le=\"+"
                              "Inf\"} %llu\n",
                              label, (unsigned long long)cum);
        }
        gh_buf_printf(out, "gatehouse_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                      label, (double)atomic_load(&sums[i].sum_ns) / 1e9);
        gh_buf_printf(out, "gatehouse_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                      label, (unsigned long long)total);
    }
    free(sums);
}
