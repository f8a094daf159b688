/* The edge of /authz/check, as data: request targets normalised the way
 * nginx routes them (dot segments, merged slashes, escapes) and the ones
 * refused with the reason; query parameter values; path-template
 * captures; Authorization values and Basic credentials; forwarded client
 * certificates (hex thumbprints and a PEM made here with OpenSSL, plain
 * and URL-escaped, against an independently computed SHA-256 of its DER);
 * the trusted-proxy list and addresses matched against it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz/edge.h"

/* What a test allocates, freed by the teardown even when an assertion
 * fails half way (cmocka leaves a failing test by longjmp). */
struct fixture {
    struct gh_arena *a;
    struct gh_authz_proxies p;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->a = gh_arena_new(4096);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    gh_authz_proxies_free(&f->p);
    gh_arena_free(f->a);
    free(f);
    return 0;
}

/* ---- request targets ----------------------------------------------------- */

struct target_case {
    const char *target;
    const char *path;  /* NULL: refused */
    const char *query; /* the raw query, or the reason when refused */
};

static void check_target(struct gh_arena *a, struct gh_str target, const char *want_path,
                         const char *want_query_or_why)
{
    struct gh_str path, query;
    const char *why = NULL;
    bool ok = gh_authz_target_parse(a, target, &path, &query, &why);
    if (want_path) {
        if (!ok)
            fail_msg("target \"%.*s\" refused (%s), want path \"%s\"", (int)target.len, target.ptr,
                     why ? why : "?", want_path);
        if (!gh_str_eq_c(path, want_path))
            fail_msg("target \"%.*s\": path \"%.*s\", want \"%s\"", (int)target.len, target.ptr,
                     (int)path.len, path.ptr, want_path);
        assert_int_equal(path.ptr[path.len], '\0'); /* NUL-terminated in the arena */
        if (!gh_str_eq_c(query, want_query_or_why))
            fail_msg("target \"%.*s\": query \"%.*s\", want \"%s\"", (int)target.len, target.ptr,
                     (int)query.len, query.ptr ? query.ptr : "", want_query_or_why);
    } else {
        if (ok)
            fail_msg("target \"%.*s\" accepted as \"%.*s\", want refused (%s)", (int)target.len,
                     target.ptr, (int)path.len, path.ptr, want_query_or_why);
        assert_non_null(why);
        if (!strstr(why, want_query_or_why))
            fail_msg("target \"%.*s\": reason \"%s\", want one containing \"%s\"", (int)target.len,
                     target.ptr, why, want_query_or_why);
    }
}

static void run_target_cases(void **state, const struct target_case *cases, size_t n)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < n; i++)
        check_target(f->a, gh_str_c(cases[i].target), cases[i].path, cases[i].query);
}

static void test_target_dot_segments(void **state)
{
    static const struct target_case cases[] = {
        {"/", "/", ""},
        {"/a/b", "/a/b", ""},
        {"/a/b/../c", "/a/c", ""},
        {"/a/b/../../../c", "/c", ""},
        {"/../../etc/passwd", "/etc/passwd", ""},
        {"/..", "/", ""},
        {"/.", "/", ""},
        {"/./", "/", ""},
        {"/a/./b", "/a/b", ""},
        {"/a/.", "/a/", ""},
        {"/a/..", "/", ""},
        {"/a/b/..", "/a/", ""},
        {"/a/b/../", "/a/", ""},
        {"/a/./", "/a/", ""},
        /* only whole segments are dots */
        {"/a/..b/c", "/a/..b/c", ""},
        {"/a/.../c", "/a/.../c", ""},
        {"/a./b", "/a./b", ""},
        {"/.a/b", "/.a/b", ""},
    };
    run_target_cases(state, cases, sizeof cases / sizeof cases[0]);
}

static void test_target_slashes(void **state)
{
    static const struct target_case cases[] = {
        {"/a/", "/a/", ""},         {"/a/b/", "/a/b/", ""}, {"//a///b", "/a/b", ""},
        {"//a///b//", "/a/b/", ""}, {"///", "/", ""},       {"/a//../b", "/b", ""},
    };
    run_target_cases(state, cases, sizeof cases / sizeof cases[0]);
}

static void test_target_escapes(void **state)
{
    static const struct target_case cases[] = {
        {"/a%20b", "/a b", ""},
        {"/%61%62c", "/abc", ""},
        {"/caf%C3%A9", "/caf\xc3\xa9", ""},
        {"/%7euser", "/~user", ""},
        /* decoded first, then the dot rules: nginx does the same */
        {"/a/b/%2e%2e/c", "/a/c", ""},
        {"/a/%2E%2e/%2e/c", "/c", ""},
        {"/a/%2e", "/a/", ""},
        {"/ola/%2e%2e/admin", "/admin", ""},
        {"/a/.%2e/b", "/b", ""},
        /* a decoded '?' is part of the path, not a query */
        {"/a%3Fb=1", "/a?b=1", ""},
        /* refused */
        {"/a%2Fb", NULL, "encoded '/'"},
        {"/a%2fb", NULL, "encoded '/'"},
        {"/a/%2F../b", NULL, "encoded '/'"},
        {"/a%00b", NULL, "encoded NUL"},
        {"/a%4", NULL, "malformed percent-escape"},
        {"/a%", NULL, "malformed percent-escape"},
        {"/a%zz", NULL, "malformed percent-escape"},
        {"/a%4g/b", NULL, "malformed percent-escape"},
        {"/a%g4", NULL, "malformed percent-escape"},
        {"/%%41", NULL, "malformed percent-escape"},
    };
    run_target_cases(state, cases, sizeof cases / sizeof cases[0]);
}

static void test_target_control_characters(void **state)
{
    static const struct target_case cases[] = {
        {"/a\tb", NULL, "control character"},
        {"/a\rb", NULL, "control character"},
        {"/a\nb", NULL, "control character"},
        {"/a\x01", NULL, "control character"},
        {"/a\x1f", NULL, "control character"},
        {"/a\x7f", NULL, "control character"},
        {"/a b", "/a b", ""}, /* a space is not a control character */
    };
    run_target_cases(state, cases, sizeof cases / sizeof cases[0]);
    /* a raw NUL inside the range (the target is a byte range, not a C string) */
    struct fixture *f = *state;
    check_target(f->a, gh_str_n("/a\0b", 4), NULL, "control character");
}

static void test_target_forms_and_query(void **state)
{
    static const struct target_case cases[] = {
        {"/p?q", "/p", "q"},
        {"/a/b?x=1&y=2", "/a/b", "x=1&y=2"},
        {"/a/b?", "/a/b", ""},
        {"/a/../b?x=/../y", "/b", "x=/../y"}, /* the query is left as it is */
        {"/a?x=%zz", "/a", "x=%zz"},          /* ... even malformed */
        {"/a?b?c", "/a", "b?c"},
        {"?x=1", NULL, "must start with '/'"},
        /* absolute-form */
        {"http://h/p?q", "/p", "q"},
        {"https://api.example.com:8443/ola/../x/./y?z=1", "/x/y", "z=1"},
        {"http://h/", "/", ""},
        {"http://h", NULL, "has no path"},
        {"http://h?q=1", NULL, "has no path"},
        {"http://", NULL, "has no path"},
        /* neither form */
        {"", NULL, "is empty"},
        {"a/b", NULL, "must start with '/'"},
        {"*", NULL, "must start with '/'"},
        {"http:/h/p", NULL, "must start with '/'"},
        {"h:80", NULL, "must start with '/'"},
    };
    run_target_cases(state, cases, sizeof cases / sizeof cases[0]);
}

/* A fragment ends the target (RFC 3986 §3.5): it is neither part of the
 * path nor of the query, and a '?' inside it starts no query. */
static void test_target_fragment(void **state)
{
    static const struct target_case cases[] = {
        {"/a/b#frag", "/a/b", ""},    {"/a/b#", "/a/b", ""},
        {"/a/b/#x", "/a/b/", ""},     {"/a#/../../x", "/a", ""},
        {"/p?q=1#frag", "/p", "q=1"}, {"/p?customerId=1#&customerId=2", "/p", "customerId=1"},
        {"/p#frag?q=1", "/p", ""},    {"http://h/p#f?customerId=12345", "/p", ""},
    };
    run_target_cases(state, cases, sizeof cases / sizeof cases[0]);
}

static void test_target_length_limit(void **state)
{
    struct fixture *f = *state;
    struct gh_arena *a = f->a;
    char *buf = gh_arena_alloc(a, GH_AUTHZ_TARGET_MAX + 2);
    memset(buf, 'a', GH_AUTHZ_TARGET_MAX + 1);
    buf[0] = '/';
    struct gh_str path, query;
    const char *why = NULL;
    assert_true(gh_authz_target_parse(a, gh_str_n(buf, GH_AUTHZ_TARGET_MAX), &path, &query, &why));
    assert_int_equal(path.len, GH_AUTHZ_TARGET_MAX);
    assert_false(
        gh_authz_target_parse(a, gh_str_n(buf, GH_AUTHZ_TARGET_MAX + 1), &path, &query, &why));
    assert_string_equal(why, "is too long");
}

/* ---- query values -------------------------------------------------------- */

/* The values of name in query, joined by '|' ("<bad>" for a NULL view),
 * and the count. */
static size_t values_of(struct gh_arena *a, const char *query, const char *name, size_t max,
                        char *joined, size_t cap)
{
    struct gh_str out[8];
    assert_true(max <= 8);
    size_t n = gh_authz_query_values(a, gh_str_c(query), gh_str_c(name), out, max);
    size_t len = 0;
    joined[0] = '\0';
    for (size_t i = 0; i < n && i < max; i++) {
        int w;
        if (!out[i].ptr) {
            assert_int_equal(out[i].len, 0);
            w = snprintf(joined + len, cap - len, "%s<bad>", i ? "|" : "");
        } else {
            w = snprintf(joined + len, cap - len, "%s%.*s", i ? "|" : "", (int)out[i].len,
                         out[i].ptr);
        }
        assert_true(w >= 0 && (size_t)w < cap - len);
        len += (size_t)w;
    }
    return n;
}

static void test_query_values(void **state)
{
    static const struct {
        const char *query, *name;
        size_t count;
        const char *values;
    } cases[] = {
        {"customerId=12345", "customerId", 1, "12345"},
        {"a=1&customerId=12345&b=2", "customerId", 1, "12345"},
        {"customerId=1&customerId=2&customerId=1", "customerId", 3, "1|2|1"},
        {"customerId=A-77", "customerid", 0, ""}, /* names are case-sensitive */
        {"customerIdx=1&xcustomerId=2", "customerId", 0, ""},
        {"", "customerId", 0, ""},
        {"q=a+b", "q", 1, "a b"},
        {"q=a%2Bb", "q", 1, "a+b"},
        {"q=%41%62%2f%3D%26", "q", 1, "Ab/=&"},
        {"q=caf%c3%a9", "q", 1, "caf\xc3\xa9"},
        {"q=x=y", "q", 1, "x=y"},
        {"q", "q", 1, ""},
        {"q=", "q", 1, ""},
        {"q&q=2&q", "q", 3, "|2|"},
        {"&&q=1&&", "q", 1, "1"},
        {"=1&q=2", "q", 1, "2"},
        /* a value that does not decode is there, but as a NULL view */
        {"q=%zz", "q", 1, "<bad>"},
        {"q=%4", "q", 1, "<bad>"},
        {"q=1%", "q", 1, "<bad>"},
        {"q=%00", "q", 1, "<bad>"},
        {"q=ok&q=%g0&q=fine", "q", 3, "ok|<bad>|fine"},
        /* the name is decoded before it is compared */
        {"customer%49d=9", "customerId", 1, "9"},
        {"my+name=1&my%20name=2", "my name", 2, "1|2"},
        {"c%zz=1&c=2", "c", 1, "2"}, /* a name that does not decode matches nothing */
        {"c%00=1", "c", 0, ""},
    };
    struct fixture *f = *state;
    struct gh_arena *a = f->a;
    char joined[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = values_of(a, cases[i].query, cases[i].name, 8, joined, sizeof joined);
        if (n != cases[i].count || strcmp(joined, cases[i].values) != 0)
            fail_msg("query \"%s\", name \"%s\": %zu values \"%s\", want %zu \"%s\"",
                     cases[i].query, cases[i].name, n, joined, cases[i].count, cases[i].values);
    }
}

static void test_query_values_more_than_max(void **state)
{
    struct fixture *f = *state;
    struct gh_arena *a = f->a;
    char joined[256];
    /* all occurrences are counted, only max are stored */
    assert_int_equal(values_of(a, "c=1&c=2&c=3&c=4&c=5", "c", 2, joined, sizeof joined), 5);
    assert_string_equal(joined, "1|2");
    /* max 0: only the count */
    struct gh_str out[1] = {GH_STR("untouched")};
    assert_int_equal(gh_authz_query_values(a, GH_STR("c=1&c=2"), GH_STR("c"), out, 0), 2);
    assert_true(gh_str_eq_c(out[0], "untouched"));
    /* a NULL query (no '?' at all) */
    assert_int_equal(gh_authz_query_values(a, GH_STR_NULL, GH_STR("c"), out, 1), 0);
}

/* A raw NUL in a value (the query is a byte range) is no more a value
 * than an encoded one: a NULL view, as the contract says for "NUL". */
static void test_query_value_with_raw_nul(void **state)
{
    struct fixture *f = *state;
    struct gh_arena *a = f->a;
    struct gh_str out[2];
    struct gh_str query = gh_str_n("c=1\0"
                                   "2&c=3",
                                   9);
    assert_int_equal(gh_authz_query_values(a, query, GH_STR("c"), out, 2), 2);
    if (out[0].ptr)
        fail_msg("value with a raw NUL stored as \"%.*s\" (%zu bytes), want a NULL view",
                 (int)out[0].len, out[0].ptr, out[0].len);
    assert_int_equal(out[0].len, 0);
    assert_true(gh_str_eq_c(out[1], "3"));
}

/* ---- path templates ------------------------------------------------------ */

static void test_template_capture(void **state)
{
    (void)state;
    static const struct {
        const char *tmpl, *path, *name;
        const char *want; /* NULL: no match */
    } cases[] = {
        {"/ola/customers/{customerId}/accounts", "/ola/customers/12345/accounts", "customerId",
         "12345"},
        /* the path may continue after the template */
        {"/ola/customers/{customerId}/accounts", "/ola/customers/A-77/accounts/9/x", "customerId",
         "A-77"},
        {"/ola/customers/{customerId}", "/ola/customers/12345/", "customerId", "12345"},
        {"/ola/{customerId}", "/ola/12345", "customerId", "12345"},
        {"/{a}/{b}", "/x/y", "b", "y"},
        {"/{a}/{b}", "/x/y", "a", "x"},
        /* literal segments must be equal, case and all */
        {"/ola/customers/{customerId}/accounts", "/ola/customer/12345/accounts", "customerId",
         NULL},
        {"/ola/customers/{customerId}/accounts", "/ola/customers/12345/Accounts", "customerId",
         NULL},
        {"/ola/customers/{customerId}/accounts", "/Ola/customers/12345/accounts", "customerId",
         NULL},
        {"/ola/customers/{customerId}/accounts", "/ola/customers/12345/accountsX", "customerId",
         NULL},
        /* the template is longer than the path */
        {"/ola/customers/{customerId}/accounts", "/ola/customers/12345", "customerId", NULL},
        {"/ola/customers/{customerId}", "/ola/customers", "customerId", NULL},
        {"/ola/customers/{customerId}", "/ola/customers/", "customerId", NULL},
        {"/ola/customers/{customerId}", "/", "customerId", NULL},
        /* no empty segment stands in for a variable */
        {"/ola/customers/{customerId}/accounts", "/ola/customers//accounts", "customerId", NULL},
        /* the template has no such variable */
        {"/ola/customers/{customerId}", "/ola/customers/12345", "accountId", NULL},
        {"/ola/customers/{customerId}", "/ola/customers/12345", "customerid", NULL},
        {"/ola/customers/12345", "/ola/customers/12345", "customerId", NULL},
        {"/ola/customers/{customerId", "/ola/customers/12345", "customerId", NULL},
        {"/ola/customers/customerId}", "/ola/customers/12345", "customerId", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gh_str path = gh_str_c(cases[i].path), out;
        bool ok =
            gh_authz_template_capture(gh_str_c(cases[i].tmpl), path, gh_str_c(cases[i].name), &out);
        if (!cases[i].want) {
            if (ok)
                fail_msg("template \"%s\", path \"%s\", {%s}: captured \"%.*s\", want no match",
                         cases[i].tmpl, cases[i].path, cases[i].name, (int)out.len, out.ptr);
            continue;
        }
        if (!ok || !gh_str_eq_c(out, cases[i].want))
            fail_msg("template \"%s\", path \"%s\", {%s}: %s \"%.*s\", want \"%s\"", cases[i].tmpl,
                     cases[i].path, cases[i].name, ok ? "captured" : "no match",
                     ok ? (int)out.len : 0, ok ? out.ptr : "", cases[i].want);
        /* the capture is a view into the path, not a copy */
        assert_true(out.ptr >= path.ptr && out.ptr + out.len <= path.ptr + path.len);
    }
}

/* ---- Authorization ------------------------------------------------------- */

static void test_authorization_parse(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        const char *scheme, *credentials; /* scheme NULL: refused */
    } cases[] = {
        {"Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "Bearer",
         "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"},
        {"Bearer ghot_AbC-._~+/9", "Bearer", "ghot_AbC-._~+/9"},
        {"bEaReR abc", "bEaReR", "abc"}, /* the scheme as sent; callers compare */
        {"Basic dXNlcjpwYXNz", "Basic", "dXNlcjpwYXNz"},
        {"Basic YQ==", "Basic", "YQ=="},
        {"Basic YWI=", "Basic", "YWI="},
        {"X-Custom! t", "X-Custom!", "t"},
        /* refused */
        {"", NULL, NULL},
        {"Bearer", NULL, NULL},
        {"Bearer ", NULL, NULL},
        {" abc", NULL, NULL},
        {"Bearer  abc", NULL, NULL},
        {"Bearer abc ", NULL, NULL},
        {"Bearer\tabc", NULL, NULL},
        {"Bearer abc def", NULL, NULL},
        {"Bearer ==", NULL, NULL},
        {"Bearer =abc", NULL, NULL},
        {"Bearer ab=c", NULL, NULL},
        {"Bearer ab==c", NULL, NULL},
        {"Bearer abc,def", NULL, NULL},
        {"Bearer \"abc\"", NULL, NULL},
        {"Bearer a;b", NULL, NULL},
        {"Bearer a\x01", NULL, NULL},
        {"Bearer caf\xc3\xa9", NULL, NULL},
        {"Bea(rer abc", NULL, NULL},
        {"Bea:rer abc", NULL, NULL},
        {"Bearer realm=\"x\"", NULL, NULL}, /* auth-params are not credentials */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gh_str scheme, cred, s2, c2;
        bool ok = gh_authz_authorization_parse(gh_str_c(cases[i].value), &scheme, &cred);
        /* the two-step form the check's hot path uses agrees with parse */
        bool two = gh_authz_authorization_split(gh_str_c(cases[i].value), &s2, &c2) &&
                   gh_authz_token68_valid(c2);
        if (two != ok)
            fail_msg("\"%s\": split + token68_valid says %d, parse %d", cases[i].value, two, ok);
        if (!cases[i].scheme) {
            if (ok)
                fail_msg("\"%s\" accepted, want refused", cases[i].value);
            continue;
        }
        if (!ok || !gh_str_eq_c(scheme, cases[i].scheme) ||
            !gh_str_eq_c(cred, cases[i].credentials))
            fail_msg("\"%s\": %s", cases[i].value, ok ? "wrong split" : "refused");
    }
}

static void test_authorization_length_limit(void **state)
{
    size_t max = GH_AUTHZ_CREDENTIAL_MAX;
    struct fixture *f = *state;
    char *buf = gh_arena_alloc(f->a, max + 2);
    memset(buf, 'x', max + 1);
    buf[6] = ' '; /* "xxxxxx xxx…" */
    struct gh_str scheme, cred;
    assert_true(gh_authz_authorization_parse(gh_str_n(buf, max), &scheme, &cred));
    assert_int_equal(cred.len, max - 7);
    assert_false(gh_authz_authorization_parse(gh_str_n(buf, max + 1), &scheme, &cred));
}

/* ---- Basic credentials --------------------------------------------------- */

static void test_basic_decode(void **state)
{
    static const struct {
        const char *credentials;
        const char *user, *password; /* user NULL: refused */
    } cases[] = {
        {"dXNlcjpwYXNz", "user", "pass"},        /* user:pass */
        {"Y2xpZW50OmE6Yjpj", "client", "a:b:c"}, /* client:a:b:c */
        {"dTo=", "u", ""},                       /* u: */
        {"dTo", "u", ""},                        /* unpadded, as some clients send */
        {"dXNlcjpwIHc=", "user", "p w"},         /* user:p w */
        {"Y2Fmw6k6c8OpY3JldA==", "caf\xc3\xa9",
         "s\xc3\xa9"
         "cret"},                         /* UTF-8 */
        {"ZGVyP34_OnBhc3M=", NULL, NULL}, /* base64url '_' is not the standard alphabet */
        {"ZGVyP34/OnBhc3M=", "der?~?", "pass"},
        /* refused */
        {"dXNlcg==", NULL, NULL},         /* user: no colon */
        {"OnBhc3M=", NULL, NULL},         /* :pass: empty user */
        {"Og==", NULL, NULL},             /* ":" */
        {"", NULL, NULL},                 /* nothing */
        {"dXNlcjpwYXNz=", NULL, NULL},    /* bad padding */
        {"dXNlcjpwYXN", NULL, NULL},      /* non-canonical tail */
        {"dXNlcjpw!XNz", NULL, NULL},     /* not base64 */
        {"dXNl cjpwYXNz", NULL, NULL},    /* no white space */
        {"dXNlcjpwYQpzcw==", NULL, NULL}, /* user:pa\nss */
        {"dXNlcjpwYQlzcw==", NULL, NULL}, /* user:pa\tss */
        {"dXNlcjpwAHNz", NULL, NULL},     /* user:p\0ss */
        {"dQpzZXI6cGFzcw==", NULL, NULL}, /* u\nser:pass */
        {"dXNlcjp/", NULL, NULL},         /* user:DEL */
    };
    struct fixture *f = *state;
    struct gh_arena *a = f->a;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gh_str user, password;
        bool ok = gh_authz_basic_decode(a, gh_str_c(cases[i].credentials), &user, &password);
        if (!cases[i].user) {
            if (ok)
                fail_msg("\"%s\" accepted as \"%.*s\" / \"%.*s\", want refused",
                         cases[i].credentials, (int)user.len, user.ptr, (int)password.len,
                         password.ptr);
            continue;
        }
        if (!ok)
            fail_msg("\"%s\" refused, want \"%s\" / \"%s\"", cases[i].credentials, cases[i].user,
                     cases[i].password);
        /* both NUL-terminated */
        assert_string_equal(user.ptr, cases[i].user);
        assert_int_equal(user.len, strlen(cases[i].user));
        assert_string_equal(password.ptr, cases[i].password);
        assert_int_equal(password.len, strlen(cases[i].password));
    }
}

/* ---- forwarded client certificates --------------------------------------- */

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_thumbprint_as_hex(void **state)
{
    static const struct {
        const char *value, *want; /* want NULL: refused */
    } cases[] = {
        {HEX64, HEX64},
        {"0123456789ABCDEF0123456789ABCDEF0123456789abcdef0123456789AbCdEf", HEX64},
        {"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
         "ab:cd:ef",
         HEX64},
        {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", NULL}, /* 63 */
        {HEX64 "0", NULL},                                                         /* 65 */
        {HEX64 "00", NULL},                                                        /* 66 */
        {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", NULL},
        {":" HEX64, NULL},
        {HEX64 ":", NULL},
        {"0:123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL},
        {" " HEX64, NULL},
        {"", NULL},
    };
    struct fixture *f = *state;
    struct gh_arena *a = f->a;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[65];
        const char *why = NULL;
        bool ok = gh_authz_cert_thumbprint(a, gh_str_c(cases[i].value), out, &why);
        if (!cases[i].want) {
            if (ok)
                fail_msg("\"%s\" accepted as %s, want refused", cases[i].value, out);
            assert_non_null(why);
            continue;
        }
        if (!ok)
            fail_msg("\"%s\" refused (%s)", cases[i].value, why ? why : "?");
        assert_string_equal(out, cases[i].want);
    }
}

/* A self-signed EC P-256 certificate made with OpenSSL, as
 * tests/unit/crypto/test_x509.c makes them; its PEM (in a) and the
 * lower-case hex SHA-256 of its DER, computed here with EVP_Digest. */
static char *make_cert_pem(struct gh_arena *a, char sha256_hex[65])
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    assert_non_null(key);
    X509 *x = X509_new();
    assert_non_null(x);
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 77), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(now - 86400)));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + 86400)));
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                (const unsigned char *)"edge test app", -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);

    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    unsigned char md[32];
    unsigned int mdlen = 0;
    assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
    assert_int_equal(mdlen, 32);
    for (unsigned i = 0; i < 32; i++)
        snprintf(sha256_hex + 2 * i, 3, "%02x", md[i]);
    OPENSSL_free(der);

    BIO *b = BIO_new(BIO_s_mem());
    assert_non_null(b);
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    assert_true(len > 0);
    char *pem = gh_arena_strndup(a, data, (size_t)len);
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(key);
    return pem;
}

/* s with every byte but A-Z a-z 0-9 - . _ ~ percent-escaped, as nginx's
 * $ssl_client_escaped_cert has it ("%0A" for newlines, "%2B", "%2F",
 * "%3D" in the base64); in a. */
static char *url_escape(struct gh_arena *a, const char *s, bool lower_hex)
{
    const char *digits = lower_hex ? "0123456789abcdef" : "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = gh_arena_alloc(a, 3 * n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c)) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = digits[c >> 4];
            *o++ = digits[c & 15];
        }
    }
    *o = '\0';
    return out;
}

static void test_thumbprint_of_pem(void **state)
{
    struct fixture *f = *state;
    struct gh_arena *a = f->a;
    char want[65];
    char *pem = make_cert_pem(a, want);
    char *escaped = url_escape(a, pem, false);
    char *escaped_lower = url_escape(a, pem, true);
    assert_non_null(strstr(escaped, "%0A")); /* it really is escaped */
    assert_null(strstr(escaped, "\n"));

    const char *inputs[] = {escaped, escaped_lower, pem};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char out[65];
        const char *why = NULL;
        if (!gh_authz_cert_thumbprint(a, gh_str_c(inputs[i]), out, &why))
            fail_msg("input %zu refused: %s", i, why ? why : "?");
        assert_string_equal(out, want);
    }

    /* damaged: an escape cut short, an encoded NUL, the PEM cut in half */
    char out[65];
    const char *why = NULL;
    size_t elen = strlen(escaped);
    assert_false(gh_authz_cert_thumbprint(a, gh_str_n(escaped, elen - 1), out, &why));
    assert_non_null(why);
    char *nul = gh_arena_strdup(a, escaped);
    char *newline = strstr(nul, "%0A");
    newline[2] = '0'; /* "%00" */
    why = NULL;
    assert_false(gh_authz_cert_thumbprint(a, gh_str_c(nul), out, &why));
    assert_non_null(why);
    char *half = gh_arena_strdup(a, pem);
    half[strlen(half) / 2] = '\0';
    why = NULL;
    assert_false(gh_authz_cert_thumbprint(a, gh_str_c(half), out, &why));
    assert_string_equal(why, "is neither a SHA-256 thumbprint nor a PEM certificate");
    why = NULL;
    assert_false(gh_authz_cert_thumbprint(a, GH_STR("not a certificate"), out, &why));
    assert_string_equal(why, "is neither a SHA-256 thumbprint nor a PEM certificate");
}

static void test_thumbprint_length_limit(void **state)
{
    struct fixture *f = *state;
    struct gh_arena *a = f->a;
    char *big = gh_arena_alloc(a, GH_AUTHZ_CERT_MAX + 1);
    memset(big, 'A', GH_AUTHZ_CERT_MAX + 1);
    char out[65];
    const char *why = NULL;
    assert_false(gh_authz_cert_thumbprint(a, gh_str_n(big, GH_AUTHZ_CERT_MAX + 1), out, &why));
    assert_string_equal(why, "is too long");
    why = NULL;
    assert_false(gh_authz_cert_thumbprint(a, GH_STR(""), out, &why));
    assert_string_equal(why, "is empty");
}

/* ---- trusted proxies ----------------------------------------------------- */

static void test_proxies_parse(void **state)
{
    struct fixture *f = *state;
    char err[128] = "";
    assert_true(gh_authz_proxies_parse("127.0.0.1, ::1 10.0.0.0/8", &f->p, err, sizeof err));
    assert_int_equal(f->p.n, 3);
    assert_int_equal(f->p.nets[0].family, 4);
    assert_int_equal(f->p.nets[0].bits, 32);
    assert_memory_equal(f->p.nets[0].addr, "\x7f\x00\x00\x01", 4);
    assert_int_equal(f->p.nets[1].family, 6);
    assert_int_equal(f->p.nets[1].bits, 128);
    assert_memory_equal(f->p.nets[1].addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
    assert_int_equal(f->p.nets[2].family, 4);
    assert_int_equal(f->p.nets[2].bits, 8);
    assert_int_equal(f->p.nets[2].addr[0], 10);
    gh_authz_proxies_free(&f->p);
    assert_null(f->p.nets);
    assert_int_equal(f->p.n, 0);

    /* separators in any number; more than the first allocation */
    assert_true(gh_authz_proxies_parse(" ,1.1.1.1,,2.2.2.2 ,\t3.3.3.3, 4.4.4.4 5.5.5.5, "
                                       "2001:db8::/32,fe80::/10,",
                                       &f->p, err, sizeof err));
    assert_int_equal(f->p.n, 7);
    assert_int_equal(f->p.nets[4].addr[0], 5);
    assert_int_equal(f->p.nets[5].bits, 32);
    assert_int_equal(f->p.nets[6].bits, 10);
    gh_authz_proxies_free(&f->p);

    /* empty, NULL and separators only: no proxy */
    const char *empties[] = {"", " ", ", ,", NULL};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        assert_true(gh_authz_proxies_parse(empties[i], &f->p, err, sizeof err));
        assert_int_equal(f->p.n, 0);
        gh_authz_proxies_free(&f->p);
    }
}

static void test_proxies_parse_errors(void **state)
{
    struct fixture *f = *state;
    static const char *bad[][2] = {
        {"127.0.0.1, localhost", "'localhost' is not an IP address or CIDR network"},
        {"10.0.0.0/33", "'10.0.0.0/33' is not an IP address or CIDR network"},
        {"::1/129", "'::1/129' is not an IP address or CIDR network"},
        {"10.0.0.0/", "'10.0.0.0/' is not an IP address or CIDR network"},
        {"10.0.0.0/-1", "'10.0.0.0/-1' is not an IP address or CIDR network"},
        {"10.0.0.0/+8", "'10.0.0.0/+8' is not an IP address or CIDR network"},
        {"10.0.0.0/8x", "'10.0.0.0/8x' is not an IP address or CIDR network"},
        {"10.0.0.0/8/8", "'10.0.0.0/8/8' is not an IP address or CIDR network"},
        {"10.0.0.0/99999999999999999999",
         "'10.0.0.0/99999999999999999999' is not an IP address or CIDR network"},
        {"/8", "'/8' is not an IP address or CIDR network"},
        {"1.2.3", "'1.2.3' is not an IP address or CIDR network"},
        {"256.0.0.1", "'256.0.0.1' is not an IP address or CIDR network"},
        {"1.2.3.4;5.6.7.8", "'1.2.3.4;5.6.7.8' is not an IP address or CIDR network"},
        {"fe80::1%eth0", "'fe80::1%eth0' is not an IP address or CIDR network"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f->p.n = 99;
        char err[128] = "";
        if (gh_authz_proxies_parse(bad[i][0], &f->p, err, sizeof err))
            fail_msg("\"%s\" accepted", bad[i][0]);
        assert_string_equal(err, bad[i][1]);
        assert_int_equal(f->p.n, 0); /* nothing half-parsed */
        assert_null(f->p.nets);
    }
    /* a long bad item is named, shortened */
    char list[200];
    memset(list, 'x', sizeof list - 1);
    list[sizeof list - 1] = '\0';
    memcpy(list, "1.1.1.1 ", 8);
    char err[128] = "";
    assert_false(gh_authz_proxies_parse(list, &f->p, err, sizeof err));
    assert_non_null(strstr(err, "'xxxxxxxxxx"));
    assert_non_null(strstr(err, "' is not an IP address or CIDR network"));
    assert_true(strlen(err) < 120);
    assert_int_equal(f->p.n, 0);
}

static void test_proxies_match(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *list, *addr;
        bool match;
    } cases[] = {
        {"127.0.0.1, ::1 10.0.0.0/8", "127.0.0.1", true},
        {"127.0.0.1, ::1 10.0.0.0/8", "127.0.0.2", false},
        {"127.0.0.1, ::1 10.0.0.0/8", "10.0.0.0", true},
        {"127.0.0.1, ::1 10.0.0.0/8", "10.255.255.255", true},
        {"127.0.0.1, ::1 10.0.0.0/8", "11.0.0.0", false},
        {"127.0.0.1, ::1 10.0.0.0/8", "9.255.255.255", false},
        {"127.0.0.1, ::1 10.0.0.0/8", "::1", true},
        {"127.0.0.1, ::1 10.0.0.0/8", "::2", false},
        /* IPv4-mapped IPv6 counts as IPv4 */
        {"127.0.0.1, ::1 10.0.0.0/8", "::ffff:127.0.0.1", true},
        {"127.0.0.1, ::1 10.0.0.0/8", "::ffff:10.9.8.7", true},
        {"127.0.0.1, ::1 10.0.0.0/8", "::ffff:127.0.0.2", false},
        {"127.0.0.1", "::127.0.0.1", false}, /* IPv4-compatible is not mapped */
        /* IPv6 networks */
        {"2001:db8::/32", "2001:db8:ffff::1", true},
        {"2001:db8::/32", "2001:db9::1", false},
        {"fe80::/10", "febf::1", true},
        {"fe80::/10", "fec0::1", false},
        /* /0 matches every address of its family, and only that family */
        {"0.0.0.0/0", "203.0.113.9", true},
        {"0.0.0.0/0", "::ffff:203.0.113.9", true},
        {"0.0.0.0/0", "2001:db8::1", false},
        {"::/0", "2001:db8::1", true},
        {"::/0", "203.0.113.9", false},
        /* /31 boundaries */
        {"192.168.1.0/31", "192.168.1.0", true},
        {"192.168.1.0/31", "192.168.1.1", true},
        {"192.168.1.0/31", "192.168.1.2", false},
        {"192.168.1.0/31", "192.168.0.255", false},
        {"192.168.1.2/31", "192.168.1.3", true},
        {"192.168.1.2/31", "192.168.1.1", false},
        /* host bits in the network are ignored */
        {"10.1.2.3/8", "10.200.0.1", true},
        /* /32 and /128 are single hosts */
        {"192.0.2.1/32", "192.0.2.1", true},
        {"192.0.2.1/32", "192.0.2.0", false},
        {"2001:db8::1/128", "2001:db8::1", true},
        {"2001:db8::1/128", "2001:db8::", false},
        /* a /127 in IPv6 */
        {"2001:db8::2/127", "2001:db8::3", true},
        {"2001:db8::2/127", "2001:db8::4", false},
        /* what is not an address matches nothing */
        {"0.0.0.0/0 ::/0", "", false},
        {"0.0.0.0/0 ::/0", "localhost", false},
        {"0.0.0.0/0 ::/0", "10.0.0.1 ", false},
        /* an empty list matches nothing */
        {"", "127.0.0.1", false},
        {"", "::1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[128] = "";
        assert_true(gh_authz_proxies_parse(cases[i].list, &f->p, err, sizeof err));
        if (gh_authz_proxies_match(&f->p, cases[i].addr) != cases[i].match)
            fail_msg("\"%s\" in \"%s\": want %s", cases[i].addr, cases[i].list,
                     cases[i].match ? "match" : "no match");
        gh_authz_proxies_free(&f->p);
    }
    /* NULL list, NULL address */
    struct gh_authz_proxies none = {0, NULL};
    assert_false(gh_authz_proxies_match(&none, "127.0.0.1"));
    assert_false(gh_authz_proxies_match(NULL, "127.0.0.1"));
    char err[128];
    assert_true(gh_authz_proxies_parse("0.0.0.0/0", &f->p, err, sizeof err));
    assert_false(gh_authz_proxies_match(&f->p, NULL));
}

/* A proxy written as an IPv4-mapped IPv6 address or network, as a
 * dual-stack listener reports IPv4 peers: it must match that peer, however
 * the peer's address is written.  (Today the network is kept as IPv6 while
 * the mapped address is compared as IPv4, so it matches nothing.) */
static void test_proxies_v4_mapped_network(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *list, *addr;
    } cases[] = {
        {"::ffff:127.0.0.1", "::ffff:127.0.0.1"},
        {"::ffff:127.0.0.1", "127.0.0.1"},
        {"::ffff:10.0.0.0/104", "10.1.2.3"},
        {"::ffff:10.0.0.0/104", "::ffff:10.1.2.3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[128] = "";
        assert_true(gh_authz_proxies_parse(cases[i].list, &f->p, err, sizeof err));
        if (!gh_authz_proxies_match(&f->p, cases[i].addr))
            fail_msg("\"%s\" in \"%s\": no match, want a match", cases[i].addr, cases[i].list);
        gh_authz_proxies_free(&f->p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_target_dot_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_slashes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_control_characters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_forms_and_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_fragment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_length_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_values_more_than_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_value_with_raw_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_template_capture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authorization_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authorization_length_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_basic_decode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thumbprint_as_hex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thumbprint_of_pem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thumbprint_length_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proxies_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proxies_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proxies_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proxies_v4_mapped_network, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
