/* libFuzzer harness: the router against arbitrary paths and methods.  A fixed
 * route table; any input must match or not without crashing, and a match
 * must return parameter views inside the input. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/router.h"

static void h(struct gh_req *req)
{
    (void)req;
}

static struct gh_router *router(void)
{
    static struct gh_router *r;
    if (!r) {
        r = gh_router_new();
        gh_router_add(r, GH_GET, "/healthz", h, NULL);
        gh_router_add(r, GH_GET | GH_POST, "/api/v1/orgs/{org}/apps", h, NULL);
        gh_router_add(r, GH_GET, "/api/v1/orgs/mine/apps", h, NULL);
        gh_router_add(r, GH_POST, "/api/v1/subscriptions/{id}/{action}", h, NULL);
        gh_router_add(r, GH_GET, "/console/{path...}", h, NULL);
        gh_router_add(r, GH_GET, "/", h, NULL);
    }
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum gh_method method = (enum gh_method)(1u << (data[0] % 8));
    struct gh_str path = gh_str_n((const char *)data + 1, size - 1);
    struct gh_route_match m;
    enum gh_route_result r = gh_router_match(router(), method, path, &m);
    if (r == GH_ROUTE_FOUND) {
        assert(m.route != NULL);
        for (size_t i = 0; i < m.nparams; i++)
            assert(m.values[i].ptr >= path.ptr &&
                   m.values[i].ptr + m.values[i].len <= path.ptr + path.len);
    }
    return 0;
}
