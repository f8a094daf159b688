/* JSON request bodies: what parses, every refusal with its exact message,
 * the unknown-field check, and each typed getter's accepted values, limits,
 * defaults and error (field + message). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/json.h"

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

static json_t *parse_ok(const char *text)
{
    struct gh_json_error err = {NULL, ""};
    json_t *obj = gh_json_parse_object(text, strlen(text), &err);
    if (!obj)
        fail_msg("unexpected parse error for %s: %s", text, err.message);
    return obj;
}

static void test_parse_object(void **state)
{
    (void)state;
    json_t *obj = parse_ok("{\"name\": \"app\", \"n\": 3}");
    assert_true(json_is_object(obj));
    assert_string_equal(json_string_value(json_object_get(obj, "name")), "app");
    json_decref(obj);
    obj = parse_ok(" {}\n");
    assert_int_equal(json_object_size(obj), 0);
    json_decref(obj);
    /* The length bounds the text: no NUL terminator needed. */
    struct gh_json_error err;
    obj = gh_json_parse_object("{\"a\":1}garbage", 7, &err);
    assert_non_null(obj);
    json_decref(obj);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"{", "request body is not valid JSON: string or '}' expected near end of file at line 1 "
              "column 1"},
        {"{\"a\":1,\"a\":2}",
         "request body is not valid JSON: duplicate object key near '\"a\"' at line 1 column 10"},
        {"{\n\"a\":tru}",
         "request body is not valid JSON: invalid token near 'tru' at line 2 column 7"},
        {"{\"a\":1} x", "request body is not valid JSON: end of file expected near 'x' at line 1 "
                        "column 9"},
        {"{\"a\":\"\\u0000\"}",
         "request body is not valid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near "
         "'\"\\u0000\"' at line 1 column 13"},
        {"{\"a\":\"\xff\"}",
         "request body is not valid JSON: unable to decode byte 0xff near '\"' at line 1 column 6"},
        {"{\"a\":99999999999999999999}",
         "request body is not valid JSON: too big integer near '99999999999999999999' at line 1 "
         "column 25"},
        {"", "request body is empty; a JSON object is expected"},
        {"[1, 2]", "request body must be a JSON object"},
        {"\"text\"", "request body must be a JSON object"},
        {"42", "request body must be a JSON object"},
        {"null", "request body must be a JSON object"},
        {"true", "request body must be a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gh_json_error err = {"sentinel", ""};
        assert_null(gh_json_parse_object(cases[i].text, strlen(cases[i].text), &err));
        assert_string_equal(err.message, cases[i].message);
        assert_null(err.field);
    }
    struct gh_json_error err;
    assert_null(gh_json_parse_object(NULL, 0, &err));
    assert_string_equal(err.message, "request body is empty; a JSON object is expected");
}

/* Builds {"a": [[...[]...]]} nesting depth levels in all (the object is 1). */
static char *nested(size_t depth, const char *open, const char *close)
{
    size_t n = depth - 1;
    char *s = malloc(6 + 2 * n + 2);
    assert_non_null(s);
    strcpy(s, "{\"a\":");
    size_t o = 5;
    for (size_t i = 0; i < n; i++)
        s[o++] = open[i % 2];
    for (size_t i = n; i > 0; i--)
        s[o++] = close[(i - 1) % 2];
    s[o++] = '}';
    s[o] = '\0';
    return s;
}

static void test_depth_limit(void **state)
{
    (void)state;
    struct gh_json_error err;
    char *ok = nested(GH_JSON_MAX_DEPTH, "[[", "]]");
    json_t *obj = gh_json_parse_object(ok, strlen(ok), &err);
    assert_non_null(obj);
    json_decref(obj);
    free(ok);

    char *deep = nested(GH_JSON_MAX_DEPTH + 1, "[[", "]]");
    assert_null(gh_json_parse_object(deep, strlen(deep), &err));
    assert_string_equal(err.message, "request body nests deeper than 32 levels");
    assert_null(err.field);
    free(deep);

    /* A real attack is far deeper; it never reaches jansson's recursion. */
    char *very = nested(100000, "[[", "]]");
    assert_null(gh_json_parse_object(very, strlen(very), &err));
    assert_string_equal(err.message, "request body nests deeper than 32 levels");
    free(very);

    /* Brackets inside strings, escaped quotes included, are not nesting. */
    const char *text =
        "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[\"}";
    obj = gh_json_parse_object(text, strlen(text), &err);
    assert_non_null(obj);
    json_decref(obj);
}

static void test_size_limit(void **state)
{
    (void)state;
    size_t n = GH_JSON_MAX_BYTES + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    struct gh_json_error err;
    assert_null(gh_json_parse_object(big, n, &err));
    assert_string_equal(err.message, "request body is larger than 1048576 bytes");
    json_t *obj = gh_json_parse_object(big + 1, n - 1, &err); /* " ...}" is exactly the max */
    assert_null(obj);
    assert_true(strncmp(err.message, "request body is not valid JSON: ", 32) == 0);
    big[1] = '{';
    obj = gh_json_parse_object(big + 1, n - 1, &err); /* "{   ...}" at the max parses */
    assert_non_null(obj);
    json_decref(obj);
    free(big);
}

static void test_check_fields(void **state)
{
    (void)state;
    static const char *const allowed[] = {"name", "description", "confidential", NULL};
    struct gh_json_error err;

    json_t *obj = parse_ok("{\"name\":\"a\",\"confidential\":true}");
    assert_true(gh_json_check_fields(obj, allowed, &err));
    json_decref(obj);

    obj = parse_ok("{}");
    assert_true(gh_json_check_fields(obj, allowed, &err));
    static const char *const none[] = {NULL};
    assert_true(gh_json_check_fields(obj, none, &err));
    json_decref(obj);

    /* The first unknown member in body order is named. */
    obj = parse_ok("{\"name\":\"a\",\"zeta\":1,\"alpha\":2}");
    assert_false(gh_json_check_fields(obj, allowed, &err));
    assert_string_equal(err.field, "zeta");
    assert_string_equal(err.message, "unknown field 'zeta'");
    json_decref(obj);

    /* Names match exactly: no prefixes, no case folding. */
    obj = parse_ok("{\"Name\":\"a\"}");
    assert_false(gh_json_check_fields(obj, allowed, &err));
    assert_string_equal(err.field, "Name");
    json_decref(obj);
    obj = parse_ok("{\"nam\":\"a\"}");
    assert_false(gh_json_check_fields(obj, allowed, &err));
    assert_string_equal(err.message, "unknown field 'nam'");
    json_decref(obj);

    obj = parse_ok("{\"name\":1}");
    assert_false(gh_json_check_fields(obj, none, &err));
    assert_string_equal(err.message, "unknown field 'name'");
    json_decref(obj);
}

static void test_has(void **state)
{
    (void)state;
    json_t *obj = parse_ok("{\"a\":0,\"b\":null,\"c\":false,\"d\":\"\"}");
    assert_true(gh_json_has(obj, "a"));
    assert_false(gh_json_has(obj, "b")); /* null is as good as absent */
    assert_true(gh_json_has(obj, "c"));
    assert_true(gh_json_has(obj, "d"));
    assert_false(gh_json_has(obj, "e"));
    json_decref(obj);
}

static void test_string(void **state)
{
    struct gh_arena *arena = *state;
    struct gh_json_error err;
    json_t *obj = parse_ok("{\"name\":\"My App\",\"euro\":\"\\u20ac\xe2\x82\xac\xe2\x82\xac\","
                           "\"empty\":\"\",\"num\":5,\"nul\":null}");
    char *s = (char *)"untouched";

    assert_true(gh_json_string(obj, "name", GH_JSON_REQUIRED, 1, 100, arena, &s, &err));
    assert_string_equal(s, "My App");

    /* Lengths count characters (code points), not bytes: "€€€" is 9 bytes. */
    assert_true(gh_json_string(obj, "euro", GH_JSON_REQUIRED, 3, 3, arena, &s, &err));
    assert_string_equal(s, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
    assert_false(gh_json_string(obj, "euro", GH_JSON_REQUIRED, 0, 2, arena, &s, &err));
    assert_string_equal(err.field, "euro");
    assert_string_equal(err.message, "'euro' must be at most 2 characters long");
    assert_false(gh_json_string(obj, "euro", GH_JSON_REQUIRED, 4, 10, arena, &s, &err));
    assert_string_equal(err.message, "'euro' must be at least 4 characters long");

    assert_true(gh_json_string(obj, "empty", GH_JSON_REQUIRED, 0, 10, arena, &s, &err));
    assert_string_equal(s, "");
    assert_false(gh_json_string(obj, "empty", GH_JSON_OPTIONAL, 1, 10, arena, &s, &err));
    assert_string_equal(err.field, "empty");
    assert_string_equal(err.message, "'empty' must not be empty");

    assert_false(gh_json_string(obj, "num", GH_JSON_OPTIONAL, 0, 10, arena, &s, &err));
    assert_string_equal(err.field, "num");
    assert_string_equal(err.message, "'num' must be a string");

    /* Absent or null: an error when required, NULL when optional. */
    assert_false(gh_json_string(obj, "missing", GH_JSON_REQUIRED, 0, 10, arena, &s, &err));
    assert_string_equal(err.field, "missing");
    assert_string_equal(err.message, "'missing' is required");
    assert_false(gh_json_string(obj, "nul", GH_JSON_REQUIRED, 0, 10, arena, &s, &err));
    assert_string_equal(err.message, "'nul' is required");
    s = (char *)"untouched";
    assert_true(gh_json_string(obj, "missing", GH_JSON_OPTIONAL, 1, 10, arena, &s, &err));
    assert_null(s);
    s = (char *)"untouched";
    assert_true(gh_json_string(obj, "nul", GH_JSON_OPTIONAL, 1, 10, arena, &s, &err));
    assert_null(s);

    /* The copy lives in the arena, not in the object. */
    assert_true(gh_json_string(obj, "name", GH_JSON_REQUIRED, 1, 100, arena, &s, &err));
    json_decref(obj);
    assert_string_equal(s, "My App");
}

static void test_bool(void **state)
{
    (void)state;
    struct gh_json_error err;
    json_t *obj = parse_ok("{\"t\":true,\"f\":false,\"one\":1,\"str\":\"true\",\"nul\":null}");
    bool b = false;
    assert_true(gh_json_bool(obj, "t", GH_JSON_REQUIRED, &b, &err));
    assert_true(b);
    assert_true(gh_json_bool(obj, "f", GH_JSON_REQUIRED, &b, &err));
    assert_false(b);

    assert_false(gh_json_bool(obj, "one", GH_JSON_OPTIONAL, &b, &err));
    assert_string_equal(err.field, "one");
    assert_string_equal(err.message, "'one' must be true or false");
    assert_false(gh_json_bool(obj, "str", GH_JSON_OPTIONAL, &b, &err));
    assert_string_equal(err.message, "'str' must be true or false");

    /* Optional and absent (or null): the caller's default stays. */
    b = true;
    assert_true(gh_json_bool(obj, "missing", GH_JSON_OPTIONAL, &b, &err));
    assert_true(b);
    assert_true(gh_json_bool(obj, "nul", GH_JSON_OPTIONAL, &b, &err));
    assert_true(b);
    assert_false(gh_json_bool(obj, "missing", GH_JSON_REQUIRED, &b, &err));
    assert_string_equal(err.field, "missing");
    assert_string_equal(err.message, "'missing' is required");
    json_decref(obj);
}

static void test_int64(void **state)
{
    (void)state;
    struct gh_json_error err;
    json_t *obj = parse_ok("{\"ttl\":3600,\"neg\":-5,\"big\":9223372036854775807,\"real\":1.0,"
                           "\"exp\":1e3,\"str\":\"5\",\"nul\":null}");
    int64_t v = 0;
    assert_true(gh_json_int64(obj, "ttl", GH_JSON_REQUIRED, 1, 86400, &v, &err));
    assert_int_equal(v, 3600);
    assert_true(gh_json_int64(obj, "ttl", GH_JSON_REQUIRED, 3600, 3600, &v, &err)); /* inclusive */
    assert_true(gh_json_int64(obj, "neg", GH_JSON_REQUIRED, -10, -1, &v, &err));
    assert_int_equal(v, -5);
    assert_true(gh_json_int64(obj, "big", GH_JSON_REQUIRED, 0, INT64_MAX, &v, &err));
    assert_true(v == INT64_MAX);

    v = 7;
    assert_false(gh_json_int64(obj, "ttl", GH_JSON_REQUIRED, 1, 3599, &v, &err));
    assert_string_equal(err.field, "ttl");
    assert_string_equal(err.message, "'ttl' must be between 1 and 3599");
    assert_int_equal(v, 7); /* untouched on error */
    assert_false(gh_json_int64(obj, "neg", GH_JSON_REQUIRED, 0, 10, &v, &err));
    assert_string_equal(err.message, "'neg' must be between 0 and 10");

    static const char *const not_ints[] = {"real", "exp", "str"};
    for (size_t i = 0; i < 3; i++) {
        assert_false(gh_json_int64(obj, not_ints[i], GH_JSON_OPTIONAL, 0, 10000, &v, &err));
        assert_string_equal(err.field, not_ints[i]);
        assert_true(strstr(err.message, "must be an integer") != NULL);
    }

    v = 42;
    assert_true(gh_json_int64(obj, "missing", GH_JSON_OPTIONAL, 0, 10, &v, &err));
    assert_true(gh_json_int64(obj, "nul", GH_JSON_OPTIONAL, 0, 10, &v, &err));
    assert_int_equal(v, 42);
    assert_false(gh_json_int64(obj, "missing", GH_JSON_REQUIRED, 0, 10, &v, &err));
    assert_string_equal(err.message, "'missing' is required");
    json_decref(obj);
}

static void test_strings(void **state)
{
    struct gh_arena *arena = *state;
    struct gh_json_error err;
    json_t *obj = parse_ok(
        "{\"uris\":[\"https://a.example/cb\",\"https://b.example/cb\"],\"none\":[],"
        "\"dup\":[\"x\",\"y\",\"x\"],\"mixed\":[\"x\",1],\"emptystr\":[\"x\",\"\"],"
        "\"long\":[\"abc\",\"\\u20ac\\u20ac\\u20ac\\u20ac\"],\"obj\":{\"a\":\"b\"},\"nul\":null}");
    size_t n = 99;
    char **items = NULL;

    assert_true(gh_json_strings(obj, "uris", GH_JSON_REQUIRED, 10, 100, arena, &n, &items, &err));
    assert_int_equal(n, 2);
    assert_string_equal(items[0], "https://a.example/cb");
    assert_string_equal(items[1], "https://b.example/cb");

    assert_true(gh_json_strings(obj, "none", GH_JSON_REQUIRED, 10, 100, arena, &n, &items, &err));
    assert_int_equal(n, 0);

    assert_false(gh_json_strings(obj, "uris", GH_JSON_REQUIRED, 1, 100, arena, &n, &items, &err));
    assert_string_equal(err.field, "uris");
    assert_string_equal(err.message, "'uris' must have at most 1 items");

    assert_false(gh_json_strings(obj, "dup", GH_JSON_REQUIRED, 10, 100, arena, &n, &items, &err));
    assert_string_equal(err.field, "dup");
    assert_string_equal(err.message, "'dup' contains 'x' more than once");

    assert_false(gh_json_strings(obj, "mixed", GH_JSON_REQUIRED, 10, 100, arena, &n, &items, &err));
    assert_string_equal(err.message, "'mixed' must be an array of strings");
    assert_false(gh_json_strings(obj, "obj", GH_JSON_REQUIRED, 10, 100, arena, &n, &items, &err));
    assert_string_equal(err.message, "'obj' must be an array of strings");
    assert_false(
        gh_json_strings(obj, "emptystr", GH_JSON_REQUIRED, 10, 100, arena, &n, &items, &err));
    assert_string_equal(err.message, "'emptystr' must not contain empty strings");

    /* Item length in characters: "€€€€" is 4 characters, 12 bytes. */
    assert_true(gh_json_strings(obj, "long", GH_JSON_REQUIRED, 10, 4, arena, &n, &items, &err));
    assert_int_equal(n, 2);
    assert_string_equal(items[1], "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
    assert_false(gh_json_strings(obj, "long", GH_JSON_REQUIRED, 10, 3, arena, &n, &items, &err));
    assert_string_equal(err.field, "long");
    assert_string_equal(err.message, "'long' must contain strings of at most 3 characters");
    assert_int_equal(n, 0); /* nothing half-filled on error */
    assert_null(items);

    n = 5;
    items = (char **)&n;
    assert_true(gh_json_strings(obj, "missing", GH_JSON_OPTIONAL, 10, 10, arena, &n, &items, &err));
    assert_int_equal(n, 0);
    assert_null(items);
    assert_true(gh_json_strings(obj, "nul", GH_JSON_OPTIONAL, 10, 10, arena, &n, &items, &err));
    assert_int_equal(n, 0);
    assert_false(
        gh_json_strings(obj, "missing", GH_JSON_REQUIRED, 10, 10, arena, &n, &items, &err));
    assert_string_equal(err.field, "missing");
    assert_string_equal(err.message, "'missing' is required");

    /* Copies survive the object. */
    assert_true(gh_json_strings(obj, "uris", GH_JSON_REQUIRED, 10, 100, arena, &n, &items, &err));
    json_decref(obj);
    assert_string_equal(items[0], "https://a.example/cb");
}

/* The flow a handler follows, as json.h shows it, on a realistic body. */
static void test_handler_flow(void **state)
{
    struct gh_arena *arena = *state;
    static const char *const allowed[] = {"name",          "description",           "confidential",
                                          "redirect_uris", "access_token_validity", NULL};
    const char *body = "{\"name\":\"Billing\",\"confidential\":false,"
                       "\"redirect_uris\":[\"https://billing.example/cb\"],"
                       "\"access_token_validity\":600}";
    struct gh_json_error err;
    json_t *obj = gh_json_parse_object(body, strlen(body), &err);
    assert_non_null(obj);
    char *name, *description;
    bool confidential = true;
    int64_t validity = 86400;
    size_t nuris;
    char **uris;
    assert_true(gh_json_check_fields(obj, allowed, &err));
    assert_true(gh_json_string(obj, "name", GH_JSON_REQUIRED, 1, 100, arena, &name, &err));
    assert_true(
        gh_json_string(obj, "description", GH_JSON_OPTIONAL, 0, 1000, arena, &description, &err));
    assert_true(gh_json_bool(obj, "confidential", GH_JSON_OPTIONAL, &confidential, &err));
    assert_true(gh_json_strings(obj, "redirect_uris", GH_JSON_OPTIONAL, 20, 2000, arena, &nuris,
                                &uris, &err));
    assert_true(gh_json_int64(obj, "access_token_validity", GH_JSON_OPTIONAL, 60, 31536000,
                              &validity, &err));
    json_decref(obj);
    assert_string_equal(name, "Billing");
    assert_null(description);
    assert_false(confidential);
    assert_int_equal(nuris, 1);
    assert_string_equal(uris[0], "https://billing.example/cb");
    assert_int_equal(validity, 600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_object),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_check_fields),
        cmocka_unit_test(test_has),
        cmocka_unit_test_setup_teardown(test_string, setup, teardown),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_int64),
        cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_flow, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
