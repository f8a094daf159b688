#include "portal/web.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "core/log.h"
#include "http/request.h"

const char gh_web_csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                          "base-uri 'none'; form-action 'self'; report-uri /csp-report";

/* A report larger than this is not a browser's violation report. */
#define CSP_REPORT_MAX 16384
/* Longest URI or directive a log line keeps. */
#define LOG_FIELD_MAX 200

/* ---- lookup ------------------------------------------------------------- */

/* Refuses what a file name under web/ can never be (embed-web.sh checks the
 * names it embeds the same way), so "..", "." and empty segments cannot
 * reach the table even by accident. */
static bool path_acceptable(struct gh_str p)
{
    if (p.len == 0)
        return false;
    size_t seg = 0; /* start of the current segment */
    for (size_t i = 0; i <= p.len; i++) {
        if (i == p.len || p.ptr[i] == '/') {
            if (i == seg || p.ptr[seg] == '.')
                return false;
            seg = i + 1;
            continue;
        }
        char c = p.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Byte order, as the generator sorted with LC_ALL=C. */
static int path_cmp(struct gh_str a, const char *b)
{
    size_t blen = strlen(b);
    size_t n = a.len < blen ? a.len : blen;
    int c = memcmp(a.ptr, b, n);
    if (c)
        return c;
    return a.len < blen ? -1 : a.len > blen ? 1 : 0;
}

const struct gh_web_asset *gh_web_find(struct gh_str path)
{
    if (!path_acceptable(path))
        return NULL;
    size_t lo = 0, hi = gh_web_nassets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = path_cmp(path, gh_web_assets[mid].path);
        if (c == 0)
            return &gh_web_assets[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ---- conditional requests ------------------------------------------------ */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

bool gh_web_etag_matches(struct gh_str inm, const char *etag)
{
    struct gh_str want = gh_str_c(etag);
    size_t i = 0;
    while (i < inm.len) {
        while (i < inm.len && (is_space(inm.ptr[i]) || inm.ptr[i] == ','))
            i++;
        if (i == inm.len)
            break;
        if (inm.ptr[i] == '*')
            return true;
        if (inm.len - i >= 2 && inm.ptr[i] == 'W' && inm.ptr[i + 1] == '/')
            i += 2; /* weak comparison: W/"x" matches "x" */
        if (i == inm.len || inm.ptr[i] != '"')
            return false; /* not a list of entity tags: never a match */
        const char *close = memchr(inm.ptr + i + 1, '"', inm.len - i - 1);
        if (!close)
            return false;
        size_t end = (size_t)(close - inm.ptr) + 1;
        if (gh_str_eq(gh_str_n(inm.ptr + i, end - i), want))
            return true;
        i = end;
    }
    return false;
}

/* ---- answers ------------------------------------------------------------ */

static void security_headers(struct gh_req *req)
{
    gh_resp_header(req, "Content-Security-Policy", gh_web_csp);
    gh_resp_header(req, "X-Content-Type-Options", "nosniff");
    gh_resp_header(req, "Referrer-Policy", "no-referrer");
    gh_resp_header(req, "X-Frame-Options", "DENY");
}

/* The file with its validators; 304 when the client already has it.  The
 * 304 repeats ETag and Cache-Control (RFC 9110 15.4.5). */
static void send_asset(struct gh_req *req, const struct gh_web_asset *a, const char *cache_control)
{
    security_headers(req);
    gh_resp_header(req, "Cache-Control", cache_control);
    gh_resp_header(req, "ETag", a->etag);
    struct gh_str inm = gh_req_header_str(req, "If-None-Match");
    if (inm.len && gh_web_etag_matches(inm, a->etag)) {
        gh_resp_empty(req, 304);
        return;
    }
    gh_resp_send(req, 200, a->content_type, a->data, a->size);
}

static void not_found(struct gh_req *req, const char *what)
{
    security_headers(req);
    gh_resp_header(req, "Cache-Control", "no-cache");
    gh_resp_errorf(req, 404, NULL, "no such file: %s", what);
}

/* Route context of a page: which file it shows. */
struct page {
    const char *pattern;
    const char *file;
};

static const struct page pages[] = {
    {"/", "portal/index.html"},
    {"/verify-email", "portal/index.html"},
    {"/password-reset", "portal/index.html"},
};

/* "/console" and "/console/": one catch-all route matches both (the router
 * keeps "/console/" apart from a "/console" route). */
static const struct page console_page = {"/console/{rest...}", "console/index.html"};

static void serve_page(struct gh_req *req)
{
    const struct page *pg = req->route->ctx;
    const struct gh_web_asset *a = gh_web_find(gh_str_c(pg->file));
    if (!a) {
        not_found(req, pg->file);
        return;
    }
    send_asset(req, a, "no-cache");
}

/* "/console" or "/console/" (the rest is empty); anything longer under
 * /console/ is not a page: the console routes inside the page with #/… */
static void serve_console_dir(struct gh_req *req)
{
    if (gh_req_param(req, "rest").len) {
        not_found(req, "the console has no pages of its own below /console/");
        return;
    }
    serve_page(req);
}

/* Files under the current prefix never change: a year, immutable.  A
 * request for another hash (a page from an older or newer binary, e.g.
 * while the nodes of a cluster are upgraded one by one) gets today's file
 * but must revalidate, so nothing wrong is cached for long. */
static void serve_static(struct gh_req *req)
{
    struct gh_str hash = gh_req_param(req, "hash");
    struct gh_str path = gh_req_param(req, "path");
    const struct gh_web_asset *a = gh_web_find(path);
    if (!a) {
        not_found(req, "not an embedded web file");
        return;
    }
    const char *current = gh_web_static_prefix + strlen("/static/");
    send_asset(req, a,
               gh_str_eq_c(hash, current) ? "public, max-age=31536000, immutable" : "no-cache");
}

/* ---- CSP reports ---------------------------------------------------------- */

/* How much of a report's string the log keeps: at most LOG_FIELD_MAX
 * bytes, never half a UTF-8 character, and for a URI nothing from the query
 * or fragment on (a verification link's token must not reach the log). */
static size_t log_len(const char *s, bool uri)
{
    size_t n = uri ? strcspn(s, "?#") : strlen(s);
    if (n > LOG_FIELD_MAX) {
        n = LOG_FIELD_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    return n;
}

static const char *member(const json_t *obj, const char *a, const char *b)
{
    const char *v = json_string_value(json_object_get(obj, a));
    if (!v && b)
        v = json_string_value(json_object_get(obj, b));
    return v ? v : "";
}

static void log_violation(const char *directive, const char *blocked, const char *document)
{
    struct gh_log_line l;
    if (!gh_log_begin(&l, GH_LOG_WARN, "web.csp_violation"))
        return;
    gh_log_strn(&l, "directive", directive, log_len(directive, false));
    gh_log_strn(&l, "blocked_uri", blocked, log_len(blocked, true));
    gh_log_strn(&l, "document_uri", document, log_len(document, true));
    gh_log_end(&l);
}

/* Counts and logs the violations in a parsed report; returns how many there
 * were.  application/csp-report (the report-uri format):
 *   {"csp-report": {"effective-directive", "violated-directive", "blocked-uri",
 *   "document-uri", …}}; application/reports+json (the Reporting API): an
 *   array of {"type": "csp-violation", "body": {"effectiveDirective",
 *   "blockedURL", "documentURL", …}}, other report types ignored. */
static size_t take_reports(struct gh_web *w, const json_t *doc, bool reporting_api)
{
    size_t n = 0;
    if (!reporting_api) {
        const json_t *r = json_object_get(doc, "csp-report");
        if (!json_is_object(r))
            return 0;
        log_violation(member(r, "effective-directive", "violated-directive"),
                      member(r, "blocked-uri", NULL), member(r, "document-uri", NULL));
        n = 1;
    } else if (json_is_array(doc)) {
        size_t i;
        const json_t *r;
        json_array_foreach(doc, i, r)
        {
            const json_t *body = json_object_get(r, "body");
            if (strcmp(member(r, "type", NULL), "csp-violation") != 0 || !json_is_object(body))
                continue;
            log_violation(member(body, "effectiveDirective", NULL),
                          member(body, "blockedURL", NULL), member(body, "documentURL", NULL));
            n++;
        }
    }
    atomic_fetch_add(&w->csp_violations, (uint_least64_t)n);
    return n;
}

static void csp_report(struct gh_req *req)
{
    struct gh_web *w = req->route->ctx;
    struct gh_str type = gh_req_media_type(req);
    bool reporting_api = gh_str_eq_c(type, "application/reports+json");
    if (!reporting_api && !gh_str_eq_c(type, "application/csp-report")) {
        gh_resp_error(req, 415, NULL,
                      "a CSP report is sent as application/csp-report or "
                      "application/reports+json");
        return;
    }
    if (req->body.len > CSP_REPORT_MAX) {
        gh_resp_errorf(req, 413, NULL, "a CSP report may have at most %d bytes", CSP_REPORT_MAX);
        return;
    }
    json_t *doc = json_loadb(req->body.ptr, req->body.len, 0, NULL);
    size_t n = doc ? take_reports(w, doc, reporting_api) : 0;
    /* a Reporting API batch may hold only reports of other types */
    bool understood = n > 0 || (reporting_api && json_is_array(doc));
    json_decref(doc);
    if (!understood) {
        gh_resp_error(req, 400, NULL, "the body is not a CSP violation report");
        return;
    }
    gh_resp_empty(req, 204);
}

/* ---- wiring ------------------------------------------------------------ */

bool gh_web_register(struct gh_router *r, struct gh_web *w)
{
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        if (!gh_router_add(r, GH_GET, pages[i].pattern, serve_page, (void *)(uintptr_t)&pages[i]))
            return false;
    return gh_router_add(r, GH_GET, console_page.pattern, serve_console_dir,
                         (void *)(uintptr_t)&console_page) &&
           gh_router_add(r, GH_GET, "/static/{hash}/{path...}", serve_static, NULL) &&
           gh_router_add(r, GH_POST, "/csp-report", csp_report, w);
}

void gh_web_metrics(struct gh_web *w, struct gh_buf *out)
{
    gh_buf_printf(out,
                  "# HELP gatehouse_csp_violations_total Content-Security-Policy violations "
                  "browsers reported to /csp-report.\n"
                  "# TYPE gatehouse_csp_violations_total counter\n"
                  "gatehouse_csp_violations_total %llu\n",
                  (unsigned long long)atomic_load(&w->csp_violations));
}
