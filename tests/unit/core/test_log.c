#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* Captures what the logger writes through a pipe. */
static char *capture(void (*emit)(void))
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    gh_log_set_fd(fds[1]);
    emit();
    gh_log_set_fd(-1);
    close(fds[1]);
    static char buf[16384];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void emit_fields(void)
{
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_INFO, "unit.test")) {
        gh_log_str(&l, "s", "quote\" and \n newline");
        gh_log_int(&l, "i", -5);
        gh_log_bool(&l, "b", true);
        gh_log_str(&l, "null", NULL);
        gh_log_end(&l);
    }
}

static void test_line_is_one_json_object(void **state)
{
    gh_log_set_level(GH_LOG_INFO);
    char *out = capture(emit_fields);
    assert_non_null(strchr(out, '\n'));
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "unit.test");
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "s")), "quote\" and \n newline");
    assert_int_equal(json_integer_value(json_object_get(j, "i")), -5);
    assert_true(json_is_null(json_object_get(j, "null")));
    json_decref(j);
}

static void test_filtered_levels_write_nothing(void **state)
{
    gh_log_set_level(GH_LOG_WARN);
    assert_string_equal(capture(emit_fields), "");
    gh_log_set_level(GH_LOG_INFO);
}

static void emit_huge(void)
{
    static char big[10000];
    memset(big, 'a', sizeof big - 1);
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_ERROR, "unit.huge")) {
        gh_log_str(&l, "small", "kept");
        gh_log_str(&l, "big", big);
        gh_log_end(&l);
    }
}

static void test_oversized_field_is_dropped_not_cut(void **state)
{
    char *out = capture(emit_huge);
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "small")), "kept");
    assert_null(json_object_get(j, "big"));
    assert_true(json_is_true(json_object_get(j, "truncated")));
    json_decref(j);
}

static void emit_in_request(void)
{
    gh_log_set_request_id("req-42");
    gh_log_msg(GH_LOG_WARN, "inside");
    gh_log_set_request_id(NULL);
    gh_log_msg(GH_LOG_WARN, "outside");
}

static void test_request_id_context_tags_lines(void **state)
{
    char *out = capture(emit_in_request);
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    *nl = '\0';
    json_error_t e;
    json_t *first = json_loads(out, 0, &e);
    json_t *second = json_loads(nl + 1, 0, &e);
    assert_non_null(first);
    assert_non_null(second);
    assert_string_equal(json_string_value(json_object_get(first, "msg")), "inside");
    assert_string_equal(json_string_value(json_object_get(first, "request_id")), "req-42");
    assert_string_equal(json_string_value(json_object_get(second, "msg")), "outside");
    assert_null(json_object_get(second, "request_id"));
    json_decref(first);
    json_decref(second);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_is_one_json_object),
        cmocka_unit_test(test_filtered_levels_write_nothing),
        cmocka_unit_test(test_oversized_field_is_dropped_not_cut),
        cmocka_unit_test(test_request_id_context_tags_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
