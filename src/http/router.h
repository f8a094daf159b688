/* Request router: method + path pattern → handler.
 *
 * Patterns are literal segments and parameters: "/api/v1/orgs/{org}/apps/{app}".
 * A final "{name...}" captures the rest of the path (static files).  Literal
 * segments win over parameters, with backtracking, so "/apps/new" and
 * "/apps/{id}" can coexist.  Matching allocates nothing: parameter values are
 * views into the raw request path (still percent-encoded; the server decodes
 * them into the request arena).  A path that matches a pattern but not its
 * method answers 405 with the Allow header built from the route's methods. */
#ifndef GH_HTTP_ROUTER_H
#define GH_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

enum gh_method {
    GH_GET = 1u << 0,
    GH_HEAD = 1u << 1,
    GH_POST = 1u << 2,
    GH_PUT = 1u << 3,
    GH_PATCH = 1u << 4,
    GH_DELETE = 1u << 5,
    GH_OPTIONS = 1u << 6,
    GH_METHOD_OTHER = 1u << 7, /* anything else (answered 405 or by GH_ANY routes) */
};
#define GH_ANY 0xffu

#define GH_ROUTE_MAX_PARAMS 8

struct gh_req;
typedef void (*gh_handler_fn)(struct gh_req *req);

struct gh_route {
    const char *pattern; /* also the route's label in metrics and logs */
    unsigned methods;    /* GH_GET | GH_POST …; GET routes answer HEAD too */
    gh_handler_fn handler;
    void *ctx;      /* handler's own state */
    unsigned index; /* dense 0..n-1, for per-route metrics */
};

struct gh_route_match {
    const struct gh_route *route; /* NULL: no route for this method */
    unsigned allowed;             /* methods the path accepts (for 405's Allow) */
    size_t nparams;
    struct gh_str names[GH_ROUTE_MAX_PARAMS];
    struct gh_str values[GH_ROUTE_MAX_PARAMS]; /* raw, percent-encoded */
};

enum gh_route_result { GH_ROUTE_FOUND = 0, GH_ROUTE_NOT_FOUND, GH_ROUTE_METHOD_NOT_ALLOWED };

struct gh_router;

struct gh_router *gh_router_new(void);
void gh_router_free(struct gh_router *r);
/* Registers a route; the pattern is copied.  Returns false (and changes
 * nothing) for a malformed pattern or one that duplicates a method already
 * registered on an equivalent pattern: both are programming errors callers
 * assert on at start-up. */
bool gh_router_add(struct gh_router *r, unsigned methods, const char *pattern, gh_handler_fn fn,
                   void *ctx);
enum gh_route_result gh_router_match(const struct gh_router *r, enum gh_method method,
                                     struct gh_str path, struct gh_route_match *m);
size_t gh_router_count(const struct gh_router *r);
const struct gh_route *gh_router_route(const struct gh_router *r, size_t index);

enum gh_method gh_method_parse(struct gh_str s);
const char *gh_method_name(enum gh_method m);
/* "GET, HEAD, POST" into buf; returns buf. */
char *gh_methods_format(unsigned methods, char *buf, size_t len);

#endif
