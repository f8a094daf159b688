/* Operations endpoints: GET /healthz, /readyz, /metrics.
 *
 * The HTTP layer sits below the store, so what "ready" means and which
 * application metrics exist are supplied by the caller as probes. */
#ifndef GH_HTTP_OPS_H
#define GH_HTTP_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "http/router.h"

struct gh_ops_probes {
    void *ctx;
    /* true when ready; otherwise why (one line for a person) */
    bool (*ready)(void *ctx, char *why, size_t whylen);
    /* appends Prometheus text for application metrics */
    void (*metrics)(void *ctx, struct gh_buf *out);
};

/* probes must outlive the router. */
bool gh_ops_register(struct gh_router *r, const struct gh_ops_probes *probes);

#endif
