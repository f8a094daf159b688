#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/buf.h"

static const char *json_of(struct gh_arena *a, const char *s, size_t n)
{
    struct gh_buf b;
    gh_buf_init(&b, a, 4);
    gh_buf_put_json_str(&b, s, n);
    return b.data;
}

static void test_json_escaping(void **state)
{
    struct gh_arena *a = gh_arena_new(1024);
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"plain", 5, "\"plain\""},
        {"q\"b\\", 4, "\"q\\\"b\\\\\""},
        {"a\nb\tc\r", 6, "\"a\\nb\\tc\\r\""},
        {"\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\""},
        {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},                           /* valid UTF-8 kept */
        {"bad\xff", 4, "\"bad\xef\xbf\xbd\""},                           /* invalid byte replaced */
        {"\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* surrogate refused */
        {"nul\0x", 5, "\"nul\\u0000x\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(json_of(a, cases[i].in, cases[i].len), cases[i].out);
    gh_arena_free(a);
}

static void test_growth_and_numbers(void **state)
{
    struct gh_buf b;
    gh_buf_init(&b, NULL, 2);
    for (int i = 0; i < 1000; i++)
        gh_buf_putc(&b, 'x');
    assert_int_equal(b.len, 1000);
    gh_buf_free(&b);

    gh_buf_init(&b, NULL, 2);
    gh_buf_put_i64(&b, INT64_MIN);
    gh_buf_putc(&b, ' ');
    gh_buf_put_u64(&b, UINT64_MAX);
    gh_buf_putc(&b, ' ');
    gh_buf_put_i64(&b, 0);
    gh_buf_printf(&b, " %s=%d", "k", 7);
    assert_string_equal(b.data, "-9223372036854775808 18446744073709551615 0 k=7");
    gh_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_growth_and_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
