/* The x-www-form-urlencoded parser as tables: each case is an input and
 * either the pairs it decodes to or the error (field and message) it gives;
 * then the lookups, repeated-name detection and the input-boundary contract. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/form.h"

#define MAX_EXPECTED 6

/* A name or value with its length, so expected values may hold NUL bytes. */
struct bytes {
    const char *ptr;
    size_t len;
};
#define B(lit)                                                                                     \
    {                                                                                              \
        (lit), sizeof(lit) - 1                                                                     \
    }

struct ok_case {
    const char *input;
    size_t npairs;
    struct bytes pairs[MAX_EXPECTED][2];
};

static const struct ok_case ok_cases[] = {
    {"", 0, {{B(""), B("")}}},
    {"a=1", 1, {{B("a"), B("1")}}},
    {"a=1&b=x+y%21", 2, {{B("a"), B("1")}, {B("b"), B("x y!")}}},
    /* empty pairs are skipped */
    {"a=1&&b=2", 2, {{B("a"), B("1")}, {B("b"), B("2")}}},
    {"&a=1&", 1, {{B("a"), B("1")}}},
    {"&&&", 0, {{B(""), B("")}}},
    /* a name without '=' has the empty value */
    {"flag", 1, {{B("flag"), B("")}}},
    {"flag&a=", 2, {{B("flag"), B("")}, {B("a"), B("")}}},
    {"=v", 1, {{B(""), B("v")}}},
    {"=", 1, {{B(""), B("")}}},
    /* only the first '=' separates */
    {"a==b", 1, {{B("a"), B("=b")}}},
    /* names decode like values; hex digits in either case */
    {"%41%62c=%7e%7E", 1, {{B("Abc"), B("~~")}}},
    {"na+me=va%2Blue", 1, {{B("na me"), B("va+lue")}}},
    {"k=a%3Db%26c", 1, {{B("k"), B("a=b&c")}}},
    {"q=%E2%82%AC", 1, {{B("q"), B("\xe2\x82\xac")}}},
    {"sp=+%20+", 1, {{B("sp"), B("   ")}}},
    /* a decoded NUL byte is data, not the end of the value */
    {"a=%00b", 1, {{B("a"), B("\0b")}}},
    /* repeated names are kept, in order */
    {"a=1&a=2", 2, {{B("a"), B("1")}, {B("a"), B("2")}}},
    /* seed 003's token request */
    {"grant_type=client_credentials&client_id=app-1&client_secret=ghcs_x%2By&scope=profile"
     "&resource=connectapi&acr_values=tenant%3Aacme",
     6,
     {{B("grant_type"), B("client_credentials")},
      {B("client_id"), B("app-1")},
      {B("client_secret"), B("ghcs_x+y")},
      {B("scope"), B("profile")},
      {B("resource"), B("connectapi")},
      {B("acr_values"), B("tenant:acme")}}},
};

struct err_case {
    const char *input;
    size_t max_pairs;
    const char *field; /* NULL: no parameter to blame */
    struct bytes field_bytes;
    const char *message;
};

static const struct err_case err_cases[] = {
    {"a=%", 64, "a", B("a"), "invalid percent-encoding in the value of parameter 'a'"},
    {"a=%4", 64, "a", B("a"), "invalid percent-encoding in the value of parameter 'a'"},
    {"a=%4g", 64, "a", B("a"), "invalid percent-encoding in the value of parameter 'a'"},
    {"a=%%41", 64, "a", B("a"), "invalid percent-encoding in the value of parameter 'a'"},
    {"a=x%", 64, "a", B("a"), "invalid percent-encoding in the value of parameter 'a'"},
    {"a=1&scope=pro%file", 64, "scope", B("scope"),
     "invalid percent-encoding in the value of parameter 'scope'"},
    /* the parameter is named decoded when that gives a clean string */
    {"client%5Fid=%GG", 64, "client_id", B("client_id"),
     "invalid percent-encoding in the value of parameter 'client_id'"},
    {"ok=1&b%zz=1", 64, "b%zz", B("b%zz"),
     "invalid percent-encoding in the name of parameter 'b%zz'"},
    {"%=1", 64, "%", B("%"), "invalid percent-encoding in the name of parameter '%'"},
    /* ... and raw when decoding would hide part of it behind a NUL */
    {"x%00y=%", 64, "x%00y", B("x%00y"),
     "invalid percent-encoding in the value of parameter 'x%00y'"},
    {"a&b&c&d", 3, NULL, B(""), "too many parameters (at most 3 allowed)"},
    {"a=1", 0, NULL, B(""), "too many parameters (at most 0 allowed)"},
    /* the limit is checked before decoding, so it wins over bad encoding */
    {"a=%&b&c", 2, NULL, B(""), "too many parameters (at most 2 allowed)"},
};

static int setup(void **state)
{
    *state = gh_arena_new(1024);
    return 0;
}

static int teardown(void **state)
{
    gh_arena_free(*state);
    return 0;
}

static void assert_bytes(struct gh_str got, struct bytes want)
{
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.ptr, want.ptr, want.len);
    assert_int_equal(got.ptr[got.len], '\0'); /* NUL-terminated copy */
}

static void test_ok_table(void **state)
{
    struct gh_arena *arena = *state;
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const struct ok_case *c = &ok_cases[i];
        print_message("case %zu: %s\n", i, c->input);
        struct gh_form form;
        struct gh_form_error err;
        assert_true(
            gh_form_parse(arena, c->input, strlen(c->input), GH_FORM_MAX_PAIRS, &form, &err));
        assert_null(err.field);
        assert_int_equal(form.count, c->npairs);
        for (size_t p = 0; p < c->npairs; p++) {
            assert_bytes(form.pairs[p].name, c->pairs[p][0]);
            assert_bytes(form.pairs[p].value, c->pairs[p][1]);
        }
    }
}

static void test_error_table(void **state)
{
    struct gh_arena *arena = *state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const struct err_case *c = &err_cases[i];
        print_message("case %zu: %s\n", i, c->input);
        struct gh_form form;
        struct gh_form_error err;
        assert_false(gh_form_parse(arena, c->input, strlen(c->input), c->max_pairs, &form, &err));
        if (c->field) {
            assert_non_null(err.field);
            assert_string_equal(err.field, c->field);
        } else {
            assert_null(err.field);
        }
        assert_string_equal(err.message, c->message);
        /* a failed parse leaves an empty form behind */
        assert_int_equal(form.count, 0);
        assert_null(form.pairs);
        assert_null(gh_form_get(&form, "a"));
    }
}

/* Empty pairs do not count against the limit; exactly max_pairs is fine. */
static void test_pair_limit_boundary(void **state)
{
    struct gh_arena *arena = *state;
    struct gh_form form;
    struct gh_form_error err;
    assert_true(gh_form_parse(arena, "a&b&c&&&", 8, 3, &form, &err));
    assert_int_equal(form.count, 3);
    assert_false(gh_form_parse(arena, "a&b&c&d", 7, 3, &form, &err));

    /* The default limit: 64 pairs pass, 65 do not. */
    char big[65 * 4 + 1];
    size_t n = 0;
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s%c=1", i ? "&" : "", 'A' + i % 26);
    size_t len64 = (size_t)(strrchr(big, '&') - big);
    assert_true(gh_form_parse(arena, big, len64, GH_FORM_MAX_PAIRS, &form, &err));
    assert_int_equal(form.count, 64);
    assert_false(gh_form_parse(arena, big, n, GH_FORM_MAX_PAIRS, &form, &err));
    assert_string_equal(err.message, "too many parameters (at most 64 allowed)");
}

/* len bounds the input: nothing past it is read (exact-size heap copies, so
 * AddressSanitizer would catch an overread), and a '%' cut off by the end
 * is an error even when the bytes after it would complete it. */
static void test_input_is_length_bounded(void **state)
{
    struct gh_arena *arena = *state;
    struct gh_form form;
    struct gh_form_error err;
    assert_true(gh_form_parse(arena, "a=1&b=2XXXX", 7, GH_FORM_MAX_PAIRS, &form, &err));
    assert_int_equal(form.count, 2);
    assert_string_equal(gh_form_get_cstr(&form, "b"), "2");

    assert_false(gh_form_parse(arena, "a=%41", 4, GH_FORM_MAX_PAIRS, &form, &err));
    assert_string_equal(err.field, "a");

    static const char *const inputs[] = {"a=%4", "a=%", "a", "a=1&", "%41%4"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t len = strlen(inputs[i]);
        char *exact = malloc(len);
        assert_non_null(exact);
        memcpy(exact, inputs[i], len);
        gh_form_parse(arena, exact, len, GH_FORM_MAX_PAIRS, &form, &err);
        free(exact);
    }

    assert_true(gh_form_parse(arena, NULL, 0, GH_FORM_MAX_PAIRS, &form, &err));
    assert_int_equal(form.count, 0);
}

static void test_lookups(void **state)
{
    struct gh_arena *arena = *state;
    struct gh_form form;
    struct gh_form_error err;
    const char *in = "scope=profile&nul=a%00b&empty=&scope=openid&flag";
    assert_true(gh_form_parse(arena, in, strlen(in), GH_FORM_MAX_PAIRS, &form, &err));

    const struct gh_str *v = gh_form_get(&form, "scope");
    assert_non_null(v);
    assert_true(gh_str_eq_c(*v, "profile")); /* the first of repeated names */
    assert_null(gh_form_get(&form, "missing"));
    assert_null(gh_form_get(&form, "scop"));  /* whole names only */
    assert_null(gh_form_get(&form, "Scope")); /* case matters */

    v = gh_form_get(&form, "nul");
    assert_non_null(v);
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->ptr, "a\0b", 3);
    assert_null(gh_form_get_cstr(&form, "nul")); /* refused: would truncate */

    assert_string_equal(gh_form_get_cstr(&form, "scope"), "profile");
    assert_string_equal(gh_form_get_cstr(&form, "empty"), "");
    assert_string_equal(gh_form_get_cstr(&form, "flag"), "");
    assert_null(gh_form_get_cstr(&form, "missing"));

    assert_int_equal(gh_form_count(&form, "scope"), 2);
    assert_int_equal(gh_form_count(&form, "nul"), 1);
    assert_int_equal(gh_form_count(&form, "missing"), 0);
}

/* RFC 6749 §3.2: the token endpoint refuses repeated parameters; names are
 * compared after decoding, so "%61" repeats "a". */
static void test_first_repeated(void **state)
{
    struct gh_arena *arena = *state;
    static const struct {
        const char *input;
        const char *repeated; /* NULL: all names unique */
    } cases[] = {
        {"", NULL},
        {"a=1&b=2&c=3", NULL},
        {"a=1&b=2&c=3&b=4&a=5", "b"},
        {"a=1&b=2&a=3&b=4", "a"},
        {"a=1&%61=2", "a"},
        {"a+b=1&a%20b=2", "a b"},
        {"flag&flag=", "flag"},
        {"a=1&A=2", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gh_form form;
        struct gh_form_error err;
        assert_true(gh_form_parse(arena, cases[i].input, strlen(cases[i].input), GH_FORM_MAX_PAIRS,
                                  &form, &err));
        const struct gh_str *r = gh_form_first_repeated(&form);
        if (cases[i].repeated) {
            assert_non_null(r);
            assert_true(gh_str_eq_c(*r, cases[i].repeated));
            assert_int_equal(gh_form_count(&form, cases[i].repeated), 2);
        } else {
            assert_null(r);
        }
    }
}

/* The decoded strings are copies: the input buffer may go away. */
static void test_values_outlive_input(void **state)
{
    struct gh_arena *arena = *state;
    char *body = strdup("client_id=app%2D1&scope=profile");
    assert_non_null(body);
    struct gh_form form;
    struct gh_form_error err;
    assert_true(gh_form_parse(arena, body, strlen(body), GH_FORM_MAX_PAIRS, &form, &err));
    memset(body, 'Z', strlen(body));
    free(body);
    assert_string_equal(gh_form_get_cstr(&form, "client_id"), "app-1");
    assert_string_equal(gh_form_get_cstr(&form, "scope"), "profile");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ok_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pair_limit_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_is_length_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_repeated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_outlive_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
