#include "http/server.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"
#include "crypto/random.h"
#include "http/request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum req_state {
    REQ_NEW = 0,   /* first access-handler call not seen yet */
    REQ_READING,   /* collecting the body */
    REQ_TOO_LARGE, /* 413 queued mid-upload */
    REQ_DONE,      /* answered */
};

struct gh_server {
    struct gh_server_config cfg;
    struct gh_router *router;
    void *app;
    struct gh_metrics *metrics;
    struct MHD_Daemon *daemon;
    int listen_fd;
    uint16_t port;
    _Atomic long inflight;
};

#define ARENA_BLOCK 16384

/* ---- per-thread arena cache ------------------------------------------- */

static pthread_key_t arena_key;
static pthread_once_t arena_key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct gh_arena *spare_arena;

static void arena_thread_exit(void *p)
{
    gh_arena_free(p);
}

static void arena_key_init(void)
{
    pthread_key_create(&arena_key, arena_thread_exit);
}

static struct gh_arena *arena_take(void)
{
    struct gh_arena *a = spare_arena;
    if (a) {
        spare_arena = NULL;
        pthread_setspecific(arena_key, NULL);
        return a;
    }
    return gh_arena_new(ARENA_BLOCK);
}

static void arena_give_back(struct gh_arena *a)
{
    if (spare_arena) {
        gh_arena_free(a);
        return;
    }
    gh_arena_reset(a);
    spare_arena = a;
    pthread_once(&arena_key_once, arena_key_init);
    pthread_setspecific(arena_key, a); /* freed by the destructor at thread exit */
}

/* ---- request ids ------------------------------------------------------- */

static _Thread_local uint64_t rid_state;

/* xorshift64*: ids need to be unique, not secret; seeded per thread from
 * the kernel so two nodes or restarts do not repeat each other. */
static void request_id_generate(char out[17])
{
    static const char hex[] = "0123456789abcdef";
    if (rid_state == 0)
        rid_state = gh_random_u64() | 1;
    rid_state ^= rid_state >> 12;
    rid_state ^= rid_state << 25;
    rid_state ^= rid_state >> 27;
    uint64_t v = rid_state * 2685821657736338717ULL;
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[v & 15];
        v >>= 4;
    }
    out[16] = '\0';
}

static bool request_id_acceptable(const char *s, size_t n)
{
    if (n == 0 || n > GH_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

/* ---- request accessors ------------------------------------------------- */

const char *gh_req_header(struct gh_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct gh_str gh_req_header_str(struct gh_req *req, const char *name)
{
    const char *v = NULL;
    size_t n = 0;
    if (MHD_lookup_connection_value_n(req->conn, MHD_HEADER_KIND, name, strlen(name), &v, &n) !=
        MHD_YES)
        return GH_STR_NULL;
    return gh_str_n(v, n);
}

struct header_values {
    const char *name;
    size_t name_len;
    struct gh_str *out;
    size_t max, count;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    struct header_values *hv = cls;
    if (key_len == hv->name_len && strncasecmp(key, hv->name, key_len) == 0) {
        if (hv->count < hv->max)
            hv->out[hv->count] = gh_str_n(value ? value : "", value ? value_len : 0);
        hv->count++;
    }
    return MHD_YES;
}

size_t gh_req_header_values(struct gh_req *req, const char *name, struct gh_str *out, size_t max)
{
    struct header_values hv = {name, strlen(name), out, max, 0};
    MHD_get_connection_values_n(req->conn, MHD_HEADER_KIND, collect_header, &hv);
    return hv.count;
}

struct gh_str gh_req_param(const struct gh_req *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (gh_str_eq_c(req->param_names[i], name))
            return req->params[i];
    return GH_STR_NULL;
}

struct gh_str gh_req_media_type(struct gh_req *req)
{
    struct gh_str ct = gh_req_header_str(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = 0;
    while (n < ct.len && ct.ptr[n] != ';' && ct.ptr[n] != ' ' && ct.ptr[n] != '\t')
        n++;
    char *lower = gh_arena_alloc(req->arena, n + 1);
    for (size_t i = 0; i < n; i++) {
        char c = ct.ptr[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    lower[n] = '\0';
    return gh_str_n(lower, n);
}

/* ---- answers ----------------------------------------------------------- */

void gh_resp_header(struct gh_req *req, const char *name, const char *value)
{
    if (req->nheaders == GH_RESP_MAX_HEADERS) {
        gh_log_msg_str(GH_LOG_ERROR, "http.too_many_response_headers", "header", name);
        return;
    }
    req->headers[req->nheaders].name = gh_arena_strdup(req->arena, name);
    req->headers[req->nheaders].value = gh_arena_strdup(req->arena, value);
    req->nheaders++;
}

/* Counts the answer and its latency when it is queued, not when MHD reports
 * the request complete: a client that has read the answer then always finds
 * it in /metrics (the histogram is time to answer). */
static void observe(struct gh_req *req)
{
    struct gh_server *s = req->server;
    gh_metrics_observe(s->metrics, req->route ? req->route->index : gh_router_count(s->router),
                       req->status, gh_monotonic_ns() - req->start_ns);
}

void gh_resp_send(struct gh_req *req, int status, const char *content_type, const char *body,
                  size_t len)
{
    if (req->status != 0) {
        gh_log_msg_str(GH_LOG_ERROR, "http.answered_twice", "route",
                       req->route ? req->route->pattern : "-");
        return;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)(uintptr_t)(body ? body : ""), MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        req->status = 500;
        observe(req);
        return;
    }
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    for (size_t i = 0; i < req->nheaders; i++)
        MHD_add_response_header(resp, req->headers[i].name, req->headers[i].value);
    req->status = status;
    req->resp_bytes = len;
    observe(req);
    if (MHD_queue_response(req->conn, (unsigned)status, resp) != MHD_YES)
        gh_log_msg(GH_LOG_WARN, "http.queue_failed");
    MHD_destroy_response(resp);
}

void gh_resp_json(struct gh_req *req, int status, const struct gh_buf *body)
{
    gh_resp_send(req, status, "application/json", body->data, body->len);
}

void gh_resp_json_str(struct gh_req *req, int status, const char *json)
{
    gh_resp_send(req, status, "application/json", json, strlen(json));
}

void gh_resp_empty(struct gh_req *req, int status)
{
    gh_resp_send(req, status, NULL, "", 0);
}

void gh_error_body(struct gh_buf *b, int status, const struct gh_error_item *items, size_t n)
{
    gh_buf_puts(b, "{\"code\":");
    gh_buf_put_i64(b, status);
    gh_buf_puts(b, ",\"errors\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            gh_buf_putc(b, ',');
        gh_buf_puts(b, "{\"message\":");
        const char *msg = items[i].message ? items[i].message : "";
        gh_buf_put_json_str(b, msg, strlen(msg));
        if (items[i].field) {
            gh_buf_puts(b, ",\"field\":");
            gh_buf_put_json_str(b, items[i].field, strlen(items[i].field));
        }
        gh_buf_putc(b, '}');
    }
    gh_buf_puts(b, "]}");
}

void gh_resp_errors(struct gh_req *req, int status, const struct gh_error_item *items, size_t n)
{
    struct gh_buf b;
    gh_buf_init(&b, req->arena, 256);
    gh_error_body(&b, status, items, n);
    gh_resp_header(req, "Cache-Control", "no-store");
    gh_resp_json(req, status, &b);
}

void gh_resp_error(struct gh_req *req, int status, const char *field, const char *message)
{
    struct gh_error_item item = {message, field};
    gh_resp_errors(req, status, &item, 1);
}

void gh_resp_errorf(struct gh_req *req, int status, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gh_resp_error(req, status, field, msg);
}

/* ---- edge validation ---------------------------------------------------- */

/* Strict percent-decoding of one path segment into the arena; false on a
 * malformed escape or an encoded NUL. */
static bool decode_segment(struct gh_arena *a, struct gh_str in, struct gh_str *out)
{
    char *p = gh_arena_alloc(a, in.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= in.len || (hi = gh_hex_digit((unsigned char)in.ptr[i + 1])) < 0 ||
                (lo = gh_hex_digit((unsigned char)in.ptr[i + 2])) < 0)
                return false;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return false;
            i += 2;
        }
        p[n++] = c;
    }
    p[n] = '\0';
    *out = gh_str_n(p, n);
    return true;
}

/* The query is parsed by handlers that want it; every request's query is
 * checked here so that bad escapes are refused at the edge, once. */
static bool query_escapes_valid(struct gh_str q)
{
    for (size_t i = 0; i < q.len; i++) {
        if (q.ptr[i] == '%') {
            if (i + 2 >= q.len || gh_hex_digit((unsigned char)q.ptr[i + 1]) < 0 ||
                gh_hex_digit((unsigned char)q.ptr[i + 2]) < 0)
                return false;
            i += 2;
        }
    }
    return true;
}

struct header_sum {
    size_t bytes;
};

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
    struct header_sum *s = cls;
    s->bytes += key_size + value_size + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* ---- MHD callbacks ------------------------------------------------------ */

/* Runs first for every request, with the raw request target: the natural
 * place to create the request (MHD hands the return value to the access
 * handler as *req_cls). */
static void *on_request_start(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct gh_server *s = cls;
    struct gh_arena *a = arena_take();
    struct gh_req *req = GH_ARENA_NEW(a, struct gh_req);
    req->arena = a;
    req->server = s;
    req->app = s->app;
    req->conn = conn;
    req->start_ns = gh_monotonic_ns();
    size_t n = strlen(uri);
    char *copy = gh_arena_strndup(a, uri, n);
    req->uri = gh_str_n(copy, n);
    const char *q = memchr(copy, '?', n);
    req->path = gh_str_n(copy, q ? (size_t)(q - copy) : n);
    req->query = q ? gh_str_n(q + 1, n - req->path.len - 1) : gh_str_n(copy + n, 0);
    atomic_fetch_add_explicit(&s->inflight, 1, memory_order_relaxed);
    return req;
}

static void fill_client(struct gh_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    req->client_addr[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
                  req->client_addr, sizeof req->client_addr);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                  req->client_addr, sizeof req->client_addr);
}

/* First call: everything that can be decided from the request head. */
static void request_head(struct gh_server *s, struct gh_req *req, const char *method,
                         const char *version)
{
    req->http11 = strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
    fill_client(req); /* handlers need it (audit, throttling), not only the log */
    req->method_name = gh_str_c(method);
    req->method = gh_method_parse(req->method_name);
    struct gh_str rid = gh_req_header_str(req, "X-Request-Id");
    if (request_id_acceptable(rid.ptr, rid.len)) {
        memcpy(req->request_id, rid.ptr, rid.len);
        req->request_id[rid.len] = '\0';
    } else {
        request_id_generate(req->request_id);
    }
    const char *cl =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && *end == '\0') {
            req->has_content_length = true;
            req->content_length = v;
        }
    }
}

static void route_and_run(struct gh_server *s, struct gh_req *req)
{
    struct header_sum hs = {0};
    MHD_get_connection_values_n(req->conn, MHD_HEADER_KIND, sum_header, &hs);
    if (hs.bytes > s->cfg.max_header) {
        gh_resp_errorf(req, 431, NULL, "request headers are too large: %zu bytes, the limit is %zu",
                       hs.bytes, s->cfg.max_header);
        return;
    }
    if (req->http11 && !gh_req_header(req, "Host")) {
        /* RFC 9112 3.2: a server must refuse an HTTP/1.1 request without Host */
        gh_resp_error(req, 400, NULL, "HTTP/1.1 requests must carry a Host header");
        return;
    }
    if (req->method == GH_METHOD_OTHER) {
        gh_resp_header(req, "Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        gh_resp_errorf(req, 405, NULL, "method %.*s is not supported", (int)req->method_name.len,
                       req->method_name.ptr);
        return;
    }
    if (!query_escapes_valid(req->query)) {
        gh_resp_error(req, 400, NULL, "the query string contains a malformed percent-escape (%XX)");
        return;
    }
    struct gh_route_match m;
    enum gh_route_result rr = gh_router_match(s->router, req->method, req->path, &m);
    if (rr == GH_ROUTE_NOT_FOUND) {
        gh_resp_errorf(req, 404, NULL, "no such resource: %.*s",
                       (int)(req->path.len > 200 ? 200 : req->path.len), req->path.ptr);
        return;
    }
    if (rr == GH_ROUTE_METHOD_NOT_ALLOWED) {
        char allow[96];
        gh_resp_header(req, "Allow", gh_methods_format(m.allowed, allow, sizeof allow));
        gh_resp_errorf(req, 405, NULL, "method %.*s is not allowed here; allowed: %s",
                       (int)req->method_name.len, req->method_name.ptr, allow);
        return;
    }
    req->route = m.route;
    req->nparams = m.nparams;
    for (size_t i = 0; i < m.nparams; i++) {
        req->param_names[i] = m.names[i];
        if (!decode_segment(req->arena, m.values[i], &req->params[i])) {
            gh_resp_error(req, 400, NULL,
                          "the request path contains a malformed percent-escape (%XX)");
            return;
        }
    }
    if (req->body_buf.data)
        req->body = gh_str_n(req->body_buf.data, req->body_buf.len);
    else
        req->body = gh_str_n("", 0);
    gh_log_set_request_id(req->request_id);
    m.route->handler(req);
    if (req->status == 0) {
        gh_log_msg_str(GH_LOG_ERROR, "http.no_answer", "route", m.route->pattern);
        gh_resp_error(req, 500, NULL, "internal error: the handler produced no answer");
    }
    gh_log_set_request_id(NULL);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls)
{
    struct gh_server *s = cls;
    struct gh_req *req = *req_cls;
    if (!req) /* MHD always runs the URI callback first; be safe anyway */
        return MHD_NO;
    switch (req->state) {
    case REQ_NEW:
        request_head(s, req, method, version);
        if (req->has_content_length && req->content_length > s->cfg.max_body) {
            /* refuse before reading: MHD then closes the connection, which
             * is what a client sending a huge body should get */
            gh_resp_errorf(req, 413, NULL,
                           "request body is too large: %llu bytes, the limit is %zu",
                           (unsigned long long)req->content_length, s->cfg.max_body);
            req->state = REQ_DONE;
            return MHD_YES;
        }
        req->state = REQ_READING;
        return MHD_YES;
    case REQ_READING:
        if (*upload_data_size) {
            size_t have = req->body_buf.data ? req->body_buf.len : 0;
            if (have + *upload_data_size > s->cfg.max_body) {
                /* a body without Content-Length (chunked) outgrew the limit:
                 * MHD cannot send an answer mid-upload, so discard the rest
                 * and answer 413 once the upload ends */
                req->state = REQ_TOO_LARGE;
                req->content_length = have + *upload_data_size;
                *upload_data_size = 0;
                return MHD_YES;
            }
            if (!req->body_buf.data)
                gh_buf_init(&req->body_buf, req->arena,
                            req->has_content_length ? (size_t)req->content_length + 1 : 1024);
            gh_buf_put(&req->body_buf, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        route_and_run(s, req);
        req->state = REQ_DONE;
        return MHD_YES;
    case REQ_TOO_LARGE:
        if (*upload_data_size) {
            req->content_length += *upload_data_size;
            *upload_data_size = 0;
            /* a client that keeps streaming far past the limit loses the connection */
            return req->content_length > 4 * (uint64_t)s->cfg.max_body + 65536 ? MHD_NO : MHD_YES;
        }
        gh_resp_errorf(req, 413, NULL, "request body is too large: the limit is %zu bytes",
                       s->cfg.max_body);
        req->state = REQ_DONE;
        return MHD_YES;
    default:
        *upload_data_size = 0;
        return MHD_YES;
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct gh_server *s = cls;
    struct gh_req *req = *req_cls;
    if (!req)
        return;
    *req_cls = NULL;
    int64_t dur = gh_monotonic_ns() - req->start_ns;
    int status = req->status;
    struct gh_log_line l;
    if (status && gh_log_begin(&l, GH_LOG_INFO, "http.request")) {
        gh_log_str(&l, "request_id", req->request_id);
        gh_log_strn(&l, "method", req->method_name.ptr, req->method_name.len);
        gh_log_strn(&l, "path", req->path.ptr,
                    req->path.len); /* never the query: it may carry credentials */
        gh_log_str(&l, "route", req->route ? req->route->pattern : NULL);
        gh_log_int(&l, "status", status);
        gh_log_int(&l, "bytes", (int64_t)req->resp_bytes);
        gh_log_double(&l, "duration_ms", (double)dur / 1e6);
        gh_log_str(&l, "client", req->client_addr);
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            gh_log_bool(&l, "aborted", true);
        gh_log_end(&l);
    }
    atomic_fetch_sub_explicit(&s->inflight, 1, memory_order_relaxed);
    arena_give_back(req->arena);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    gh_log_msg_str(GH_LOG_WARN, "http.mhd", "detail", msg);
}

/* ---- lifecycle ---------------------------------------------------------- */

struct gh_server *gh_server_new(const struct gh_server_config *cfg, struct gh_router *router,
                                void *app, char *err, size_t errlen)
{
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } addr;
    memset(&addr, 0, sizeof addr);
    socklen_t alen;
    int family;
    if (inet_pton(AF_INET, cfg->host, &addr.v4.sin_addr) == 1) {
        family = AF_INET;
        addr.v4.sin_family = AF_INET;
        addr.v4.sin_port = htons(cfg->port);
        alen = sizeof addr.v4;
    } else if (inet_pton(AF_INET6, cfg->host, &addr.v6.sin6_addr) == 1) {
        family = AF_INET6;
        addr.v6.sin6_family = AF_INET6;
        addr.v6.sin6_port = htons(cfg->port);
        alen = sizeof addr.v6;
    } else {
        snprintf(err, errlen, "listen address '%s' is not a numeric IPv4 or IPv6 address",
                 cfg->host);
        return NULL;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create socket: %s", strerror(errno));
        return NULL;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, alen) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, errlen, "cannot listen on %s port %u: %s", cfg->host, (unsigned)cfg->port,
                 strerror(errno));
        close(fd);
        return NULL;
    }
    struct sockaddr_storage bound = {0};
    socklen_t blen = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
        snprintf(err, errlen, "cannot read the bound address of %s: %s", cfg->host,
                 strerror(errno));
        close(fd);
        return NULL;
    }
    struct gh_server *s = gh_xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    if (s->cfg.threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s->cfg.threads = n > 0 ? (unsigned)n : 1;
    }
    s->router = router;
    s->app = app;
    s->listen_fd = fd;
    if (bound.ss_family == AF_INET6) {
        struct sockaddr_in6 a6;
        memcpy(&a6, &bound, sizeof a6);
        s->port = ntohs(a6.sin6_port);
    } else {
        struct sockaddr_in a4;
        memcpy(&a4, &bound, sizeof a4);
        s->port = ntohs(a4.sin_port);
    }
    s->metrics = gh_metrics_new(gh_router_count(router));
    return s;
}

bool gh_server_start(struct gh_server *s, char *err, size_t errlen)
{
    /* MHD's per-connection pool must hold the headers we then measure
     * against max_header, so headers up to about twice the limit get our
     * JSON 431; beyond the pool, MHD answers 431 itself and closes.  The
     * pool is not bigger because MHD zeroes all of it for every request on
     * a kept-alive connection: at 80 KiB that memset was 20% of the CPU time
     * of a /healthz benchmark, at 32 KiB (MHD's default) 7%. */
    size_t pool = s->cfg.max_header * 2;
    if (pool < 32768)
        pool = 32768;
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    if (strchr(s->cfg.host, ':'))
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem opts[12];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, s->listen_fd, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_request_start, s};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)s->cfg.conn_timeout, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                        (intptr_t)s->cfg.max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool, NULL};
    if (s->cfg.threads > 1)
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)s->cfg.threads, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    /* the logger goes first so MHD routes even option errors through it */
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER,
                                 on_mhd_log, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen,
                 "cannot start the HTTP server (libmicrohttpd refused the configuration)");
        return false;
    }
    return true;
}

uint16_t gh_server_port(const struct gh_server *s)
{
    return s->port;
}

unsigned gh_server_threads(const struct gh_server *s)
{
    return s->cfg.threads;
}

struct gh_metrics *gh_server_metrics(struct gh_server *s)
{
    return s->metrics;
}

const struct gh_router *gh_server_router(const struct gh_server *s)
{
    return s->router;
}

void gh_server_shutdown(struct gh_server *s, unsigned grace_ms)
{
    if (!s->daemon)
        return;
    /* stop accepting: MHD hands the listening socket back, and we close it */
    MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
    if (lfd != MHD_INVALID_SOCKET) {
        close(lfd);
        s->listen_fd = -1;
    }
    int64_t deadline = gh_monotonic_ns() + (int64_t)grace_ms * 1000000;
    while (atomic_load(&s->inflight) > 0 && gh_monotonic_ns() < deadline) {
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    long left = atomic_load(&s->inflight);
    if (left > 0)
        gh_log_msg(GH_LOG_WARN, "server.shutdown_grace_expired");
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
}

void gh_server_free(struct gh_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    gh_metrics_free(s->metrics);
    free(s);
}
