#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "crypto/hash.h"
#include "http/router.h"
#include "portal/web.h"

/* ---- the embedded table ------------------------------------------------- */

static void test_table_is_sorted_and_complete(void **state)
{
    (void)state;
    assert_true(gh_web_nassets >= 2);
    assert_null(gh_web_assets[gh_web_nassets].path); /* the all-zero end */
    for (size_t i = 1; i < gh_web_nassets; i++)
        assert_true(strcmp(gh_web_assets[i - 1].path, gh_web_assets[i].path) < 0);
    for (size_t i = 0; i < gh_web_nassets; i++) {
        const struct gh_web_asset *a = &gh_web_assets[i];
        assert_ptr_equal(gh_web_find(gh_str_c(a->path)), a);
        assert_int_equal(a->data[a->size], '\0');
        assert_non_null(a->content_type);
    }
    assert_non_null(gh_web_find(gh_str_c("portal/index.html")));
    assert_non_null(gh_web_find(gh_str_c("console/index.html")));
}

/* The ETag is the SHA-256 of exactly the bytes served. */
static void test_etags_are_sha256_of_the_content(void **state)
{
    (void)state;
    for (size_t i = 0; i < gh_web_nassets; i++) {
        const struct gh_web_asset *a = &gh_web_assets[i];
        uint8_t d[GH_SHA256_LEN];
        char hex[2 * GH_SHA256_LEN + 1];
        char want[2 * GH_SHA256_LEN + 3];
        gh_sha256(a->data, a->size, d);
        gh_hex_encode(d, sizeof d, hex);
        snprintf(want, sizeof want, "\"%s\"", hex);
        assert_string_equal(a->etag, want);
    }
}

static void test_content_types_follow_the_extension(void **state)
{
    (void)state;
    for (size_t i = 0; i < gh_web_nassets; i++) {
        const struct gh_web_asset *a = &gh_web_assets[i];
        const char *dot = strrchr(a->path, '.');
        assert_non_null(dot);
        if (strcmp(dot, ".html") == 0)
            assert_string_equal(a->content_type, "text/html; charset=utf-8");
        else if (strcmp(dot, ".js") == 0)
            assert_string_equal(a->content_type, "text/javascript; charset=utf-8");
        else if (strcmp(dot, ".css") == 0)
            assert_string_equal(a->content_type, "text/css; charset=utf-8");
    }
}

/* HTML has the versioned prefix where the source had {{static}}; scripts
 * are loaded as modules from that prefix (the CSP allows no inline code). */
static void test_html_refers_to_the_versioned_prefix(void **state)
{
    (void)state;
    assert_int_equal(strlen(gh_web_static_prefix), strlen("/static/") + 16);
    assert_memory_equal(gh_web_static_prefix, "/static/", 8);
    for (const char *p = gh_web_static_prefix + 8; *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    const char *pages[] = {"portal/index.html", "console/index.html"};
    for (size_t i = 0; i < 2; i++) {
        const struct gh_web_asset *a = gh_web_find(gh_str_c(pages[i]));
        assert_non_null(a);
        assert_null(strstr(a->data, "{{static}}"));
        char want[128];
        snprintf(want, sizeof want, "<script type=\"module\" src=\"%s/", gh_web_static_prefix);
        assert_non_null(strstr(a->data, want));
        assert_null(strstr(a->data, "<script>"));
        assert_null(strstr(a->data, " style=\""));
    }
}

static void test_find_refuses_what_is_not_a_file_name(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "/portal/index.html",
                         "portal//index.html",
                         "portal/index.html/",
                         "portal/../portal/index.html",
                         "./portal/index.html",
                         "portal/./index.html",
                         "..",
                         "portal\\index.html",
                         "portal/index.html?x",
                         "portal/.index.html",
                         "portal/INDEX.html",
                         "portal/index.htm",
                         "portal/index.html.",
                         "zzz"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(gh_web_find(gh_str_c(bad[i])));
    /* not NUL-terminated: only the view's bytes count */
    assert_non_null(gh_web_find(gh_str_n("portal/index.html!", 17)));
    assert_null(gh_web_find(gh_str_n("portal/index.html", 16)));
    assert_null(gh_web_find(gh_str_n("portal/index.html\0", 18)));
}

/* ---- conditional requests ------------------------------------------------ */

static void test_etag_matching(void **state)
{
    (void)state;
    const char *e = "\"abc\"";
    assert_true(gh_web_etag_matches(gh_str_c("\"abc\""), e));
    assert_true(gh_web_etag_matches(gh_str_c("W/\"abc\""), e));
    assert_true(gh_web_etag_matches(gh_str_c("\"x\", \"abc\""), e));
    assert_true(gh_web_etag_matches(gh_str_c("\"x\",W/\"abc\" , \"y\""), e));
    assert_true(gh_web_etag_matches(gh_str_c("*"), e));
    assert_true(gh_web_etag_matches(gh_str_c("  *"), e));
    assert_false(gh_web_etag_matches(gh_str_c(""), e));
    assert_false(gh_web_etag_matches(gh_str_c("\"abcd\""), e));
    assert_false(gh_web_etag_matches(gh_str_c("\"ab\""), e));
    assert_false(gh_web_etag_matches(gh_str_c("abc"), e));
    assert_false(gh_web_etag_matches(gh_str_c("\"abc"), e));
    assert_false(gh_web_etag_matches(gh_str_c("w/\"abc\""), e));
    assert_false(gh_web_etag_matches(gh_str_c("\"x\", abc"), e));
    /* a view: bytes past its length do not count */
    assert_false(gh_web_etag_matches(gh_str_n("\"abc\"", 4), e));
}

/* ---- routes and metrics -------------------------------------------------- */

static void test_routes(void **state)
{
    (void)state;
    struct gh_router *r = gh_router_new();
    struct gh_web w = {0};
    assert_true(gh_web_register(r, &w));
    struct gh_route_match m;
    const char *pages[] = {"/", "/verify-email", "/password-reset", "/console", "/console/"};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        assert_int_equal(gh_router_match(r, GH_GET, gh_str_c(pages[i]), &m), GH_ROUTE_FOUND);
    assert_int_equal(gh_router_match(r, GH_GET, gh_str_c("/console"), &m), GH_ROUTE_FOUND);
    const struct gh_route *console = m.route;
    assert_int_equal(gh_router_match(r, GH_GET, gh_str_c("/console/"), &m), GH_ROUTE_FOUND);
    assert_ptr_equal(m.route, console);
    assert_int_equal(gh_router_match(r, GH_HEAD, gh_str_c("/static/0123/lib/api.js"), &m),
                     GH_ROUTE_FOUND);
    assert_string_equal(m.route->pattern, "/static/{hash}/{path...}");
    assert_int_equal(gh_router_match(r, GH_POST, gh_str_c("/csp-report"), &m), GH_ROUTE_FOUND);
    assert_ptr_equal(m.route->ctx, &w);
    assert_int_equal(gh_router_match(r, GH_GET, gh_str_c("/csp-report"), &m),
                     GH_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(gh_router_match(r, GH_POST, gh_str_c("/"), &m), GH_ROUTE_METHOD_NOT_ALLOWED);
    /* registering twice is a conflict the caller sees */
    assert_false(gh_web_register(r, &w));
    gh_router_free(r);
}

static void test_metrics(void **state)
{
    (void)state;
    struct gh_arena *a = gh_arena_new(4096);
    struct gh_buf b;
    struct gh_web w = {0};
    gh_buf_init(&b, a, 256);
    gh_web_metrics(&w, &b);
    gh_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "# TYPE gatehouse_csp_violations_total counter\n"));
    assert_non_null(strstr(b.data, "\ngatehouse_csp_violations_total 0\n"));
    atomic_store(&w.csp_violations, 12345678901ULL);
    gh_buf_init(&b, a, 256);
    gh_web_metrics(&w, &b);
    gh_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "\ngatehouse_csp_violations_total 12345678901\n"));
    gh_arena_free(a);
}

static void test_csp_is_strict(void **state)
{
    (void)state;
    assert_string_equal(gh_web_csp,
                        "default-src 'self'; script-src 'self'; style-src 'self'; "
                        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                        "base-uri 'none'; form-action 'self'; report-uri /csp-report");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_sorted_and_complete),
        cmocka_unit_test(test_etags_are_sha256_of_the_content),
        cmocka_unit_test(test_content_types_follow_the_extension),
        cmocka_unit_test(test_html_refers_to_the_versioned_prefix),
        cmocka_unit_test(test_find_refuses_what_is_not_a_file_name),
        cmocka_unit_test(test_etag_matching),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_csp_is_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
