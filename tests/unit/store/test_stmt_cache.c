/* The prepared-statement cache both database drivers use: every statement
 * put is found again by its SQL text (also after the table grew), other
 * text is not found, and freeing hands every statement back once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/stmt_cache.h"

#define N 1000

struct fake_stmt {
    char sql[64];
    int visits;
};

static struct fake_stmt stmts[N];
static int freed;

static void count_free(void *p)
{
    ((struct fake_stmt *)p)->visits += 100;
    freed++;
}

static void visit(void *p)
{
    ((struct fake_stmt *)p)->visits++;
}

static void test_put_get_grow_each_free(void **state)
{
    (void)state;
    struct gh_stmt_cache c;
    gh_stmt_cache_init(&c);
    assert_null(gh_stmt_cache_get(&c, "SELECT 1"));
    for (int i = 0; i < N; i++) {
        snprintf(stmts[i].sql, sizeof stmts[i].sql, "SELECT * FROM t WHERE id = ? -- %d", i);
        stmts[i].visits = 0;
        gh_stmt_cache_put(&c, stmts[i].sql, &stmts[i]);
    }
    assert_true(c.cap >= 2 * N); /* grew, and stays at most half full */
    for (int i = 0; i < N; i++) {
        char probe[64];
        snprintf(probe, sizeof probe, "SELECT * FROM t WHERE id = ? -- %d", i);
        assert_ptr_equal(gh_stmt_cache_get(&c, probe), &stmts[i]);
    }
    assert_null(gh_stmt_cache_get(&c, "SELECT * FROM t WHERE id = ? -- 1000"));
    assert_null(gh_stmt_cache_get(&c, "SELECT * FROM t WHERE id = ? -- "));

    gh_stmt_cache_each(&c, visit);
    for (int i = 0; i < N; i++)
        assert_int_equal(stmts[i].visits, 1);

    freed = 0;
    gh_stmt_cache_free(&c, count_free);
    assert_int_equal(freed, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(stmts[i].visits, 101);
    assert_null(c.slots);
    gh_stmt_cache_free(&c, count_free); /* twice is harmless */
    assert_int_equal(freed, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_grow_each_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
