#include "http/ops.h"
#include "http/metrics.h"
#include "http/request.h"
#include "http/server.h"

#include <string.h>

static void healthz(struct gh_req *req)
{
    gh_resp_header(req, "Cache-Control", "no-store");
    gh_resp_json_str(req, 200, "{\"status\":\"ok\"}");
}

static void readyz(struct gh_req *req)
{
    const struct gh_ops_probes *p = req->route->ctx;
    char why[256] = "";
    gh_resp_header(req, "Cache-Control", "no-store");
    if (!p->ready || p->ready(p->ctx, why, sizeof why)) {
        gh_resp_json_str(req, 200, "{\"status\":\"ready\"}");
        return;
    }
    struct gh_buf b;
    gh_buf_init(&b, req->arena, 256);
    gh_buf_puts(&b, "{\"status\":\"not ready\",\"reason\":");
    gh_buf_put_json_str(&b, why, strlen(why));
    gh_buf_putc(&b, '}');
    gh_resp_json(req, 503, &b);
}

static void metrics(struct gh_req *req)
{
    const struct gh_ops_probes *p = req->route->ctx;
    struct gh_buf b;
    gh_buf_init(&b, req->arena, 8192);
    gh_metrics_render(gh_server_metrics(req->server), gh_server_router(req->server), &b);
    if (p->metrics)
        p->metrics(p->ctx, &b);
    gh_resp_header(req, "Cache-Control", "no-store");
    gh_resp_send(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
}

bool gh_ops_register(struct gh_router *r, const struct gh_ops_probes *probes)
{
    return gh_router_add(r, GH_GET, "/healthz", healthz, (void *)probes) &&
           gh_router_add(r, GH_GET, "/readyz", readyz, (void *)probes) &&
           gh_router_add(r, GH_GET, "/metrics", metrics, (void *)probes);
}
