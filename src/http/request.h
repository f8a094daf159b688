/* One HTTP request as handlers see it, and the ways to answer it.
 *
 * Everything hangs off req->arena, which lives until the response has been
 * sent: allocate freely, never free.  A handler answers exactly once through
 * one of the gh_resp_* functions; a handler that returns without answering is
 * a bug the server turns into a 500.  Errors use the project's one shape (seed
 * 001): {"code":N,"errors":[{"message":"…","field":"…"}]}. */
#ifndef GH_HTTP_REQUEST_H
#define GH_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/str.h"
#include "http/router.h"

struct MHD_Connection;
struct MHD_Response;
struct gh_server;

#define GH_REQUEST_ID_MAX 64
#define GH_RESP_MAX_HEADERS 16

struct gh_resp_header {
    const char *name;
    const char *value;
};

struct gh_req {
    /* for handlers */
    struct gh_arena *arena;
    struct gh_server *server;
    void *app; /* the application context given to gh_server_new */
    enum gh_method method;
    struct gh_str method_name;
    struct gh_str uri;            /* raw request target, as sent */
    struct gh_str path;           /* raw path, before '?' */
    struct gh_str query;          /* raw query, after '?' (empty if none) */
    struct gh_str body;           /* complete request body (NUL-terminated), empty if none */
    const struct gh_route *route; /* NULL when no route matched */
    size_t nparams;
    struct gh_str param_names[GH_ROUTE_MAX_PARAMS];
    struct gh_str params[GH_ROUTE_MAX_PARAMS]; /* percent-decoded */
    char request_id[GH_REQUEST_ID_MAX + 1];
    char client_addr[48]; /* textual peer address */
    bool tls;

    /* server internals */
    struct MHD_Connection *conn;
    int state;
    int64_t start_ns;
    uint64_t content_length; /* declared, if has_content_length */
    bool has_content_length;
    bool http11; /* HTTP/1.1 (else 1.0) */
    struct gh_buf body_buf;
    int status; /* 0 until answered */
    size_t resp_bytes;
    size_t nheaders;
    struct gh_resp_header headers[GH_RESP_MAX_HEADERS];
};

/* Request headers (case-insensitive name); NULL / empty view when absent. */
const char *gh_req_header(struct gh_req *req, const char *name);
struct gh_str gh_req_header_str(struct gh_req *req, const char *name);
/* Every value of a header that may appear more than once, in order: at
 * most max into out; returns how many there are. */
size_t gh_req_header_values(struct gh_req *req, const char *name, struct gh_str *out, size_t max);
/* A path parameter by its pattern name; empty view when absent. */
struct gh_str gh_req_param(const struct gh_req *req, const char *name);
/* The content type's media type without parameters, lower-cased ("" if none). */
struct gh_str gh_req_media_type(struct gh_req *req);

/* Adds a response header (copied into the arena) to the answer to come. */
void gh_resp_header(struct gh_req *req, const char *name, const char *value);

/* Answers.  body is used in place and must live in req->arena or be static. */
void gh_resp_send(struct gh_req *req, int status, const char *content_type, const char *body,
                  size_t len);
void gh_resp_json(struct gh_req *req, int status, const struct gh_buf *body);
void gh_resp_json_str(struct gh_req *req, int status, const char *json);
void gh_resp_empty(struct gh_req *req, int status);

/* The error shape.  field may be NULL; message is copied and JSON-escaped. */
struct gh_error_item {
    const char *message;
    const char *field;
};
void gh_resp_error(struct gh_req *req, int status, const char *field, const char *message);
void gh_resp_errorf(struct gh_req *req, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void gh_resp_errors(struct gh_req *req, int status, const struct gh_error_item *items, size_t n);
/* Renders the error shape into b (for callers that need the body elsewhere). */
void gh_error_body(struct gh_buf *b, int status, const struct gh_error_item *items, size_t n);

#endif
