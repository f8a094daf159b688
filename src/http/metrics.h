/* Request metrics for /metrics (Prometheus text format 0.0.4).
 *
 * Counters live in per-thread shards written only by their own thread (no
 * shared cache line, no lock prefix on the hot path) and summed when scraped. */
#ifndef GH_HTTP_METRICS_H
#define GH_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "http/router.h"

struct gh_metrics;

/* nroutes: the router's route count; index nroutes counts unmatched requests. */
struct gh_metrics *gh_metrics_new(size_t nroutes);
void gh_metrics_free(struct gh_metrics *m);
void gh_metrics_observe(struct gh_metrics *m, size_t route_index, int status, int64_t duration_ns);
/* Appends gatehouse_http_requests_total and gatehouse_http_request_duration_seconds. */
void gh_metrics_render(struct gh_metrics *m, const struct gh_router *r, struct gh_buf *out);

#endif
