/* The HTTP server: libmicrohttpd in epoll mode with an internal thread pool.
 *
 * Each request gets an arena from a per-thread cache (no malloc on the hot
 * path once warm), its headers and body checked against the limits before any
 * handler runs, a route from the router, and exactly one answer.  The server
 * answers on the access handler's second call, never the first: answering on
 * the first makes MHD close keep-alive connections. */
#ifndef GH_HTTP_SERVER_H
#define GH_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/metrics.h"
#include "http/router.h"

struct gh_server_config {
    const char *host;      /* numeric IPv4 or IPv6 address */
    uint16_t port;         /* 0: any free port (see gh_server_port) */
    unsigned threads;      /* worker threads; 0: one per core */
    size_t max_body;       /* bytes; larger bodies get 413 */
    size_t max_header;     /* total request header bytes; more gets 431 */
    unsigned conn_timeout; /* idle seconds before a connection is closed */
    unsigned max_connections;
};

struct gh_server;

/* Binds the listening socket (so a bad address fails here, before start).
 * The router and app outlive the server.  NULL and err filled on failure. */
struct gh_server *gh_server_new(const struct gh_server_config *cfg, struct gh_router *router,
                                void *app, char *err, size_t errlen);
bool gh_server_start(struct gh_server *s, char *err, size_t errlen);
uint16_t gh_server_port(const struct gh_server *s);
unsigned gh_server_threads(const struct gh_server *s);
struct gh_metrics *gh_server_metrics(struct gh_server *s);
const struct gh_router *gh_server_router(const struct gh_server *s);
/* Graceful stop: stop accepting, let requests in flight finish (up to
 * grace_ms), then close every connection and join the workers. */
void gh_server_shutdown(struct gh_server *s, unsigned grace_ms);
void gh_server_free(struct gh_server *s);

#endif
