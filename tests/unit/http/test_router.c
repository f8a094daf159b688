#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/router.h"

static void h(struct gh_req *req)
{
    (void)req;
}

static struct gh_router *fixture(void)
{
    struct gh_router *r = gh_router_new();
    assert_true(gh_router_add(r, GH_GET, "/healthz", h, "healthz"));
    assert_true(gh_router_add(r, GH_GET | GH_POST, "/api/v1/orgs", h, "orgs"));
    assert_true(gh_router_add(r, GH_GET | GH_PATCH | GH_DELETE, "/api/v1/orgs/{org}", h, "org"));
    assert_true(gh_router_add(r, GH_GET | GH_POST, "/api/v1/orgs/{org}/apps", h, "org-apps"));
    assert_true(gh_router_add(r, GH_GET, "/api/v1/orgs/mine", h, "orgs-mine"));
    assert_true(gh_router_add(r, GH_POST, "/api/v1/subscriptions/{id}/activate", h, "activate"));
    assert_true(gh_router_add(r, GH_GET, "/console/{path...}", h, "console"));
    assert_true(gh_router_add(r, GH_GET, "/", h, "root"));
    return r;
}

struct match_case {
    const char *method;
    const char *path;
    enum gh_route_result result;
    const char *ctx;   /* expected route ctx when found */
    const char *param; /* expected first parameter value */
};

static void test_match_table(void **state)
{
    static const struct match_case cases[] = {
        {"GET", "/healthz", GH_ROUTE_FOUND, "healthz", NULL},
        {"HEAD", "/healthz", GH_ROUTE_FOUND, "healthz", NULL}, /* GET implies HEAD */
        {"POST", "/healthz", GH_ROUTE_METHOD_NOT_ALLOWED, NULL, NULL},
        {"GET", "/healthz/", GH_ROUTE_NOT_FOUND, NULL, NULL},
        {"GET", "/healthzz", GH_ROUTE_NOT_FOUND, NULL, NULL},
        {"GET", "/api/v1/orgs", GH_ROUTE_FOUND, "orgs", NULL},
        {"GET", "/api/v1/orgs/org_123", GH_ROUTE_FOUND, "org", "org_123"},
        {"GET", "/api/v1/orgs/mine", GH_ROUTE_FOUND, "orgs-mine",
         NULL}, /* literal beats parameter */
        {"DELETE", "/api/v1/orgs/mine", GH_ROUTE_METHOD_NOT_ALLOWED, NULL, NULL},
        {"POST", "/api/v1/orgs/mine/apps", GH_ROUTE_FOUND, "org-apps",
         "mine"}, /* backtracks to {org} */
        {"PUT", "/api/v1/orgs/x/apps", GH_ROUTE_METHOD_NOT_ALLOWED, NULL, NULL},
        {"GET", "/api/v1/orgs//apps", GH_ROUTE_NOT_FOUND, NULL, NULL}, /* empty parameter */
        {"POST", "/api/v1/subscriptions/sub_1/activate", GH_ROUTE_FOUND, "activate", "sub_1"},
        {"GET", "/console/a/b.js", GH_ROUTE_FOUND, "console", "a/b.js"},
        {"GET", "/console/", GH_ROUTE_FOUND, "console", ""},
        {"GET", "/", GH_ROUTE_FOUND, "root", NULL},
        {"GET", "", GH_ROUTE_NOT_FOUND, NULL, NULL},
        {"GET", "relative", GH_ROUTE_NOT_FOUND, NULL, NULL},
        {"BREW", "/healthz", GH_ROUTE_METHOD_NOT_ALLOWED, NULL, NULL},
    };
    struct gh_router *r = fixture();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct match_case *c = &cases[i];
        struct gh_route_match m;
        enum gh_route_result got =
            gh_router_match(r, gh_method_parse(gh_str_c(c->method)), gh_str_c(c->path), &m);
        if (got != c->result)
            fail_msg("case %zu: %s %s: got %d, want %d", i, c->method, c->path, got, c->result);
        if (c->ctx)
            assert_string_equal((const char *)m.route->ctx, c->ctx);
        if (c->param) {
            assert_true(m.nparams >= 1);
            assert_int_equal(m.values[0].len, strlen(c->param));
            assert_memory_equal(m.values[0].ptr, c->param, strlen(c->param));
        }
    }
    gh_router_free(r);
}

/* A path with a NUL byte inside a segment (a decoded %00): "/api\0…" must
 * not match the "api" node by C-string comparison, nor read past it. */
static void test_nul_byte_in_segment_does_not_match_prefix(void **state)
{
    struct gh_router *r = fixture();
    static const char path[] = "/api\0\0\0/v1/orgs";
    struct gh_route_match m;
    enum gh_route_result got = gh_router_match(r, GH_GET, gh_str_n(path, sizeof path - 1), &m);
    assert_int_equal(got, GH_ROUTE_NOT_FOUND);
    static const char path2[] = "/heal\0thz";
    got = gh_router_match(r, GH_GET, gh_str_n(path2, sizeof path2 - 1), &m);
    assert_int_equal(got, GH_ROUTE_NOT_FOUND);
    gh_router_free(r);
}

static void test_allow_lists_the_path_methods(void **state)
{
    struct gh_router *r = fixture();
    struct gh_route_match m;
    assert_int_equal(gh_router_match(r, GH_PUT, gh_str_c("/api/v1/orgs/o1"), &m),
                     GH_ROUTE_METHOD_NOT_ALLOWED);
    char allow[64];
    assert_string_equal(gh_methods_format(m.allowed, allow, sizeof allow),
                        "GET, HEAD, PATCH, DELETE");
    gh_router_free(r);
}

static void test_bad_and_duplicate_patterns_are_refused(void **state)
{
    struct gh_router *r = fixture();
    size_t before = gh_router_count(r);
    assert_false(gh_router_add(r, GH_GET, "/healthz", h, NULL)); /* duplicate method */
    assert_false(gh_router_add(r, GH_GET, "/api/v1/orgs/{other}", h,
                               NULL)); /* second name at one position */
    assert_false(gh_router_add(r, GH_GET, "no-slash", h, NULL));
    assert_false(gh_router_add(r, GH_GET, "/a//b", h, NULL));
    assert_false(gh_router_add(r, GH_GET, "/a/{bad-name}", h, NULL));
    assert_false(gh_router_add(r, GH_GET, "/a/{rest...}/b", h, NULL));
    assert_false(gh_router_add(r, GH_GET, "/a?b", h, NULL));
    assert_int_equal(gh_router_count(r), before);
    assert_true(gh_router_add(r, GH_POST, "/healthz", h, NULL)); /* another method is fine */
    for (size_t i = 0; i < gh_router_count(r); i++)
        assert_int_equal(gh_router_route(r, i)->index, i);
    gh_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_nul_byte_in_segment_does_not_match_prefix),
        cmocka_unit_test(test_allow_lists_the_path_methods),
        cmocka_unit_test(test_bad_and_duplicate_patterns_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
