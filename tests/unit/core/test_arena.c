#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/arena.h"

static void test_alloc_is_aligned_and_usable(void **state)
{
    struct gh_arena *a = gh_arena_new(256);
    for (size_t n = 1; n < 100; n += 7) {
        unsigned char *p = gh_arena_alloc(a, n);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xAB, n);
    }
    gh_arena_free(a);
}

static void test_large_allocation_gets_its_own_block(void **state)
{
    struct gh_arena *a = gh_arena_new(256);
    char *small = gh_arena_strdup(a, "kept");
    char *big = gh_arena_alloc(a, 100000);
    memset(big, 'x', 100000);
    assert_string_equal(small, "kept");
    gh_arena_free(a);
}

static void test_reset_reuses_first_block(void **state)
{
    struct gh_arena *a = gh_arena_new(4096);
    void *first = gh_arena_alloc(a, 64);
    gh_arena_alloc(a, 10000); /* forces a second block */
    gh_arena_reset(a);
    assert_int_equal(a->total, 0);
    assert_ptr_equal(gh_arena_alloc(a, 64), first);
    gh_arena_free(a);
}

static void test_string_helpers(void **state)
{
    struct gh_arena *a = gh_arena_new(256);
    assert_string_equal(gh_arena_strndup(a, "abcdef", 3), "abc");
    assert_null(gh_arena_strdup(a, NULL));
    assert_string_equal(gh_arena_printf(a, "%s-%d", "x", 42), "x-42");
    char longer[600];
    memset(longer, 'y', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_string_equal(gh_arena_printf(a, "%s", longer), longer);
    int *zeros = GH_ARENA_ARRAY(a, int, 50);
    for (int i = 0; i < 50; i++)
        assert_int_equal(zeros[i], 0);
    gh_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_is_aligned_and_usable),
        cmocka_unit_test(test_large_allocation_gets_its_own_block),
        cmocka_unit_test(test_reset_reuses_first_block),
        cmocka_unit_test(test_string_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
