#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/log.h"
#include "http/ops.h"
#include "http/router.h"
#include "http/server.h"
#include "portal/openapi.h"
#include "oauth/oauth.h"
#include "portal/portal.h"

static void dummy_handler(struct gh_req *req)
{
    (void)req;
}

/* ---- the document ------------------------------------------------------- */

static json_t *load_document(void)
{
    size_t len = 0;
    const char *doc = gh_openapi_json(&len);
    assert_non_null(doc);
    assert_true(len > 0);
    json_error_t jerr;
    json_t *root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        fail_msg("embedded OpenAPI document does not parse: line %d: %s", jerr.line, jerr.text);
    return root;
}

static void test_document_is_openapi_3_1(void **state)
{
    (void)state;
    size_t len = 0;
    const char *doc = gh_openapi_json(&len);
    /* NUL-terminated, no NUL inside, ends like the file (a JSON object) */
    assert_int_equal(strlen(doc), len);
    assert_int_equal(doc[0], '{');
    assert_ptr_equal(gh_openapi_json(NULL), doc);

    json_t *root = load_document();
    const char *version = json_string_value(json_object_get(root, "openapi"));
    assert_non_null(version);
    assert_memory_equal(version, "3.1.", 4);
    assert_true(strlen(version) > 4);
    json_t *info = json_object_get(root, "info");
    assert_string_equal(json_string_value(json_object_get(info, "title")), "gatehouse");
    assert_string_equal(json_string_value(json_object_get(info, "version")), "0.1.0");
    json_t *schemes = json_object_get(json_object_get(root, "components"), "securitySchemes");
    assert_non_null(json_object_get(schemes, "bearerAuth"));
    assert_non_null(json_object_get(schemes, "cookieAuth"));
    json_decref(root);
}

/* ---- router ↔ document --------------------------------------------------- */

/* OpenAPI's names for the router's methods.  HEAD is left out: the router
 * adds it to every GET route and it needs no documentation of its own. */
static const struct {
    unsigned bit;
    const char *key;
} methods[] = {
    {GH_GET, "get"},       {GH_POST, "post"},       {GH_PUT, "put"},   {GH_PATCH, "patch"},
    {GH_DELETE, "delete"}, {GH_OPTIONS, "options"}, {GH_HEAD, "head"},
};

static const char *const openapi_methods[] = {"get",     "put",  "post",  "delete",
                                              "options", "head", "patch", "trace"};

static bool router_has(const struct gh_router *r, const char *pattern, const char *key)
{
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(methods[i].key, key) == 0)
            bit = methods[i].bit;
    for (size_t i = 0; i < gh_router_count(r); i++) {
        const struct gh_route *rt = gh_router_route(r, i);
        if (strcmp(rt->pattern, pattern) != 0 || !(rt->methods & bit))
            continue;
        /* a HEAD the router added to a GET route is not a HEAD operation */
        if (bit == GH_HEAD && (rt->methods & GH_GET))
            continue;
        return true;
    }
    return false;
}

/* The requirement: the (method, path) operations of the embedded
 * document are exactly the routes of r, with the router's own pattern
 * spelling (parameter names included).  Prints each difference and returns
 * how many there are (0: the document matches the router). */
static size_t compare_router_with_document(const struct gh_router *r)
{
    json_t *root = load_document();
    json_t *paths = json_object_get(root, "paths");
    assert_true(json_is_object(paths));
    size_t diffs = 0;

    for (size_t i = 0; i < gh_router_count(r); i++) {
        const struct gh_route *rt = gh_router_route(r, i);
        json_t *item = json_object_get(paths, rt->pattern);
        unsigned rest = rt->methods;
        if (rest & GH_GET)
            rest &= ~(unsigned)GH_HEAD;
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            if (!(rest & methods[m].bit))
                continue;
            rest &= ~methods[m].bit;
            if (!json_is_object(json_object_get(item, methods[m].key))) {
                print_message("route not in the OpenAPI document: %s %s\n", methods[m].key,
                              rt->pattern);
                diffs++;
            }
        }
        if (rest) {
            print_message("route %s accepts methods OpenAPI cannot describe (0x%x)\n", rt->pattern,
                          rest);
            diffs++;
        }
    }

    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item)
    {
        for (size_t m = 0; m < sizeof openapi_methods / sizeof openapi_methods[0]; m++) {
            if (json_object_get(item, openapi_methods[m]) &&
                !router_has(r, path, openapi_methods[m])) {
                print_message("documented operation the router does not know: %s %s\n",
                              openapi_methods[m], path);
                diffs++;
            }
        }
    }
    json_decref(root);
    return diffs;
}

static const struct gh_ops_probes no_probes = {0};

/* The router exactly as `gatehouse serve` builds it: the operations endpoints,
 * then the management API (which adds the OpenAPI document).  Registration
 * only records the portal as the handlers' context, so an empty one will do. */
static void test_document_matches_router(void **state)
{
    (void)state;
    static struct gh_portal portal;
    struct gh_router *r = gh_router_new();
    assert_true(gh_ops_register(r, &no_probes));
    assert_true(gh_portal_register(r, &portal));
    static struct gh_oauth oauth; /* registration only records it */
    assert_true(gh_oauth_register(r, &oauth));
    assert_true(gh_router_count(r) > 3);
    assert_int_equal(compare_router_with_document(r), 0);
    gh_router_free(r);
}

/* A copy of the router `serve` builds, without the routes whose pattern is
 * skip, so the comparison's own tests below can leave single routes out and
 * add stray ones. */
static struct gh_router *literal_router(const char *skip)
{
    static struct gh_portal portal;
    struct gh_router *full = gh_router_new();
    assert_true(gh_ops_register(full, &no_probes));
    assert_true(gh_portal_register(full, &portal));
    static struct gh_oauth oauth;
    assert_true(gh_oauth_register(full, &oauth));
    struct gh_router *r = gh_router_new();
    for (size_t i = 0; i < gh_router_count(full); i++) {
        const struct gh_route *rt = gh_router_route(full, i);
        if (!skip || strcmp(skip, rt->pattern) != 0)
            assert_true(gh_router_add(r, rt->methods, rt->pattern, rt->handler, rt->ctx));
    }
    gh_router_free(full);
    return r;
}

static void test_literal_table_matches_document(void **state)
{
    (void)state;
    struct gh_router *r = literal_router(NULL);
    assert_int_equal(compare_router_with_document(r), 0);
    gh_router_free(r);
}

/* The comparison must notice each kind of drift, or the test above proves
 * nothing. */
static void test_comparison_finds_undocumented_routes(void **state)
{
    (void)state;
    struct gh_router *r = literal_router(NULL);
    assert_true(gh_router_add(r, GH_GET, "/api/v1/undocumented", dummy_handler, NULL));
    assert_int_equal(compare_router_with_document(r), 1);
    assert_true(gh_router_add(r, GH_PUT, "/api/v1/me", dummy_handler, NULL)); /* new method */
    assert_int_equal(compare_router_with_document(r), 2);
    assert_true(gh_router_add(r, GH_HEAD, "/api/v1/register", dummy_handler, NULL)); /* HEAD only */
    assert_int_equal(compare_router_with_document(r), 3);
    gh_router_free(r);

    r = literal_router(NULL);
    assert_true(gh_router_add(r, GH_ANY, "/api/v1/anything", dummy_handler, NULL));
    /* every describable method is missing, and the rest cannot be described */
    assert_int_equal(compare_router_with_document(r), 7);
    gh_router_free(r);
}

static void test_comparison_finds_stale_operations(void **state)
{
    (void)state;
    struct gh_router *r = literal_router("/api/v1/orgs/{org}"); /* GET, PATCH, DELETE */
    assert_int_equal(compare_router_with_document(r), 3);
    gh_router_free(r);

    /* the same path with another parameter name is another path */
    r = literal_router("/api/v1/me/tokens/{id}");
    assert_true(gh_router_add(r, GH_DELETE, "/api/v1/me/tokens/{token}", dummy_handler, NULL));
    assert_int_equal(compare_router_with_document(r), 2);
    gh_router_free(r);

    /* fewer methods on a documented path */
    r = literal_router("/api/v1/session");
    assert_true(gh_router_add(r, GH_POST, "/api/v1/session", dummy_handler, NULL));
    assert_int_equal(compare_router_with_document(r), 1);
    gh_router_free(r);
}

/* ---- served over HTTP ---------------------------------------------------- */

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct gh_buf *b = userdata;
    gh_buf_put(b, data, size * nmemb);
    return size * nmemb;
}

struct answer {
    long status;
    char content_type[64];
    char cache_control[64];
    struct gh_buf body;
};

static size_t header_line(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct answer *a = userdata;
    size_t n = size * nmemb;
    static const struct {
        const char *name;
        size_t off;
    } wanted[] = {{"content-type:", offsetof(struct answer, content_type)},
                  {"cache-control:", offsetof(struct answer, cache_control)}};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        size_t k = strlen(wanted[i].name);
        if (n > k && strncasecmp(data, wanted[i].name, k) == 0) {
            const char *v = data + k;
            size_t vlen = n - k;
            while (vlen && (*v == ' '))
                v++, vlen--;
            while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
                vlen--;
            char *dst = (char *)a + wanted[i].off;
            snprintf(dst, 64, "%.*s", (int)vlen, v);
        }
    }
    return n;
}

static void fetch(uint16_t port, bool head, struct answer *a)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/openapi.json", (unsigned)port);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOBODY, head ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_cleanup(c);
}

static void test_served_at_api_v1_openapi_json(void **state)
{
    (void)state;
    struct gh_router *r = literal_router(NULL);
    struct gh_server_config cfg = {.host = "127.0.0.1",
                                   .port = 0,
                                   .threads = 1,
                                   .max_body = 1 << 20,
                                   .max_header = 16384,
                                   .conn_timeout = 10,
                                   .max_connections = 16};
    char err[256] = "";
    struct gh_server *s = gh_server_new(&cfg, r, NULL, err, sizeof err);
    if (!s)
        fail_msg("server: %s", err);
    if (!gh_server_start(s, err, sizeof err))
        fail_msg("server start: %s", err);

    struct gh_arena *arena = gh_arena_new(4096);
    struct answer get = {0};
    gh_buf_init(&get.body, arena, 1024);
    fetch(gh_server_port(s), false, &get);
    assert_int_equal(get.status, 200);
    assert_string_equal(get.content_type, "application/json");
    assert_string_equal(get.cache_control, "public, max-age=300");
    size_t len = 0;
    const char *doc = gh_openapi_json(&len);
    assert_int_equal(get.body.len, len);
    assert_memory_equal(get.body.data, doc, len);

    struct answer head = {0};
    gh_buf_init(&head.body, arena, 16);
    fetch(gh_server_port(s), true, &head);
    assert_int_equal(head.status, 200);
    assert_string_equal(head.content_type, "application/json");
    assert_int_equal(head.body.len, 0);

    gh_server_shutdown(s, 1000);
    gh_server_free(s);
    gh_arena_free(arena);
    gh_router_free(r);
}

int main(void)
{
    gh_log_set_level(GH_LOG_WARN); /* no access-log line per request */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_is_openapi_3_1),
        cmocka_unit_test(test_document_matches_router),
        cmocka_unit_test(test_literal_table_matches_document),
        cmocka_unit_test(test_comparison_finds_undocumented_routes),
        cmocka_unit_test(test_comparison_finds_stale_operations),
        cmocka_unit_test(test_served_at_api_v1_openapi_json),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
