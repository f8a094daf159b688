/* Plan rate limits with an injected clock: n requests fit, the (n+1)th is
 * refused with a Retry-After after which a request does fit again, the
 * window slides (no burst of 2n at a fixed-window boundary), two idle
 * windows forget everything, keys count apart, a plan whose window
 * changes starts over, requests <= 0 is no limit, refusals are not
 * counted, many keys survive the table growing, and concurrent takes on
 * one key never let more than n through. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "authz/limit.h"

/* An arbitrary "now" in ms that is a multiple of every window used here, so
 * T0 starts a fixed window. */
#define T0 1700000040000LL
#define SUB GH_STR("sub_01HZX3Q8J5V2N7K4M6P9R0S1T2")

/* Each test's limits, freed by the teardown even when an assertion fails
 * half way (cmocka leaves a failing test by longjmp). */
static int setup(void **state)
{
    *state = gh_authz_limits_new();
    return 0;
}

static int teardown(void **state)
{
    gh_authz_limits_free(*state);
    return 0;
}

/* How many of tries requests of key at now fit. */
static int take_n(struct gh_authz_limits *l, struct gh_str key, int64_t requests, int64_t window,
                  int64_t now, int tries)
{
    int ok = 0;
    for (int i = 0; i < tries; i++) {
        int64_t retry = -1;
        if (gh_authz_limits_take(l, key, requests, window, now, &retry)) {
            assert_int_equal(retry, 0);
            ok++;
        } else {
            assert_true(retry >= 1);
        }
    }
    return ok;
}

/* The Retry-After of a refused request of key at now. */
static int64_t refused_retry(struct gh_authz_limits *l, struct gh_str key, int64_t requests,
                             int64_t window, int64_t now)
{
    int64_t retry = -1;
    if (gh_authz_limits_take(l, key, requests, window, now, &retry))
        fail_msg("a request at T0%+lld ms was allowed, want refused", (long long)(now - T0));
    assert_true(retry >= 1);
    return retry;
}

static void test_within_the_limit_then_refused(void **state)
{
    struct gh_authz_limits *l = *state;
    assert_int_equal(take_n(l, SUB, 10, 60, T0 + 100, 10), 10);
    int64_t retry = refused_retry(l, SUB, 10, 60, T0 + 100);
    assert_true(retry <= 2 * 60);
    /* a refusal is not counted: refused ones do not push the time back */
    assert_int_equal(take_n(l, SUB, 10, 60, T0 + 200, 1000), 0);
    assert_int_equal(refused_retry(l, SUB, 10, 60, T0 + 200), retry);
    /* the limit of one */
    struct gh_str other = GH_STR("sub_one");
    assert_int_equal(take_n(l, other, 1, 1, T0, 3), 1);
}

/* After a refusal, a request at now + Retry-After seconds fits: the header
 * does not send a client back too soon.  want_retry is the wait, rounded up
 * to seconds, after which the sliding estimate leaves room for one more; a
 * second more (rounding of a fraction) is tolerated. */
static void check_retry_is_honest(struct gh_authz_limits *l, struct gh_str key, int64_t requests,
                                  int64_t window, int64_t now, int64_t want_retry)
{
    int64_t retry = refused_retry(l, key, requests, window, now);
    if (retry < want_retry || retry > want_retry + 1)
        fail_msg("refused at T0%+lld ms: Retry-After %lld, want %lld", (long long)(now - T0),
                 (long long)retry, (long long)want_retry);
    if (want_retry > 1) /* one second sooner than the truth is still too soon */
        refused_retry(l, key, requests, window, now + (want_retry - 1) * 1000);
    int64_t r2 = -1;
    if (!gh_authz_limits_take(l, key, requests, window, now + retry * 1000, &r2))
        fail_msg("refused at T0%+lld ms with Retry-After %lld; at T0%+lld ms refused again "
                 "(Retry-After %lld)",
                 (long long)(now - T0), (long long)retry, (long long)(now - T0 + retry * 1000),
                 (long long)r2);
}

static void test_retry_after_is_honest(void **state)
{
    struct gh_authz_limits *l = *state;
    /* 10 per 10 s; the previous window half spent, then this one spent
     * down to the sliding estimate: 10 · 0.5 + 5 = 10 at T0 + 15 s.  One
     * more fits once the previous window's weight has dropped by a tenth
     * of 10, i.e. 1 s later. */
    struct gh_str a = GH_STR("sub_a");
    assert_int_equal(take_n(l, a, 10, 10, T0 + 1000, 10), 10);
    assert_int_equal(take_n(l, a, 10, 10, T0 + 15000, 10), 5);
    check_retry_is_honest(l, a, 10, 10, T0 + 15000, 1);

    /* all 10 in the first moment of a window: they weigh fully at the
     * next window's start and one more fits a tenth of a window into it */
    struct gh_str b = GH_STR("sub_b");
    assert_int_equal(take_n(l, b, 10, 10, T0, 10), 10);
    check_retry_is_honest(l, b, 10, 10, T0, 11);

    /* the same, refused in the middle of the window */
    struct gh_str c = GH_STR("sub_c");
    assert_int_equal(take_n(l, c, 10, 10, T0 + 5000, 10), 10);
    check_retry_is_honest(l, c, 10, 10, T0 + 5000, 6);

    /* a limit of 1 per 60 s */
    struct gh_str d = GH_STR("sub_d");
    assert_int_equal(take_n(l, d, 1, 60, T0 + 30000, 1), 1);
    check_retry_is_honest(l, d, 1, 60, T0 + 30000, 90);
}

static void test_sliding_window_at_the_boundary(void **state)
{
    struct gh_authz_limits *l = *state;
    /* 10 per 10 s, all spent at the end of the first fixed window */
    assert_int_equal(take_n(l, SUB, 10, 10, T0 + 9900, 10), 10);
    /* a fixed window would allow 10 more at T0 + 10 s: the sliding one none */
    assert_int_equal(take_n(l, SUB, 10, 10, T0 + 10000, 10), 0);
    assert_int_equal(take_n(l, SUB, 10, 10, T0 + 10100, 10), 0);
    /* a fifth into the second window, 10 · 0.8 = 8 still count: 2 fit */
    assert_int_equal(take_n(l, SUB, 10, 10, T0 + 12000, 10), 2);
    /* half way, 10 · 0.5 + 2 = 7 count: 3 more fit */
    assert_int_equal(take_n(l, SUB, 10, 10, T0 + 15000, 10), 3);
    /* over the 6.1 s from T0 + 9.9 s: 15 requests, not 20 */
}

static void test_recovery_after_two_windows(void **state)
{
    struct gh_authz_limits *l = *state;
    assert_int_equal(take_n(l, SUB, 5, 60, T0, 10), 5);
    /* one window later the previous one still weighs almost fully */
    assert_int_equal(take_n(l, SUB, 5, 60, T0 + 60000, 10), 0);
    /* two windows later nothing is left */
    assert_int_equal(take_n(l, SUB, 5, 60, T0 + 120000, 10), 5);
    /* and long after, the same */
    assert_int_equal(take_n(l, SUB, 5, 60, T0 + 86400000, 10), 5);
}

static void test_keys_are_independent(void **state)
{
    struct gh_authz_limits *l = *state;
    assert_int_equal(take_n(l, GH_STR("sub_a"), 3, 60, T0, 5), 3);
    assert_int_equal(take_n(l, GH_STR("sub_b"), 3, 60, T0, 5), 3);
    assert_int_equal(take_n(l, GH_STR("sub_a"), 3, 60, T0 + 1, 1), 0);
    /* a key that is a prefix of another is another key */
    assert_int_equal(take_n(l, GH_STR("sub_"), 3, 60, T0, 5), 3);
    assert_int_equal(take_n(l, GH_STR("sub_aa"), 3, 60, T0, 5), 3);
    /* a key longer than any subscription id works too */
    char longkey[200];
    memset(longkey, 'k', sizeof longkey);
    assert_int_equal(take_n(l, gh_str_n(longkey, sizeof longkey), 3, 60, T0, 5), 3);
}

static void test_plan_change(void **state)
{
    struct gh_authz_limits *l = *state;
    assert_int_equal(take_n(l, SUB, 5, 60, T0, 10), 5);
    /* a plan with another window: counting starts over */
    assert_int_equal(take_n(l, SUB, 5, 120, T0 + 1000, 10), 5);
    assert_int_equal(take_n(l, SUB, 5, 120, T0 + 2000, 1), 0);
    /* the same window with more requests: what was counted still counts */
    assert_int_equal(take_n(l, SUB, 8, 120, T0 + 3000, 10), 3);
    /* fewer: nothing fits */
    assert_int_equal(take_n(l, SUB, 2, 120, T0 + 4000, 10), 0);
}

static void test_no_limit(void **state)
{
    struct gh_authz_limits *l = *state;
    assert_int_equal(take_n(l, SUB, 0, 60, T0, 10000), 10000);
    assert_int_equal(take_n(l, SUB, -1, 60, T0, 100), 100);
    /* unlimited requests were not counted against a limit set later */
    assert_int_equal(take_n(l, SUB, 3, 60, T0, 5), 3);
}

static void test_many_keys(void **state)
{
    struct gh_authz_limits *l = *state;
    char key[32];
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        int len = snprintf(key, sizeof key, "sub_%08d", i);
        assert_int_equal(take_n(l, gh_str_n(key, (size_t)len), 1, 3600, T0 + i, 1), 1);
    }
    /* every key is still remembered after the table grew */
    for (int i = 0; i < n; i++) {
        int len = snprintf(key, sizeof key, "sub_%08d", i);
        if (take_n(l, gh_str_n(key, (size_t)len), 1, 3600, T0 + n, 1) != 0)
            fail_msg("key %s forgotten", key);
    }
}

#define THREADS 4

struct taker {
    struct gh_authz_limits *l;
    int allowed;
};

static void *take_many(void *arg)
{
    struct taker *t = arg;
    for (int i = 0; i < 5000; i++) {
        int64_t retry;
        if (gh_authz_limits_take(t->l, SUB, 1000, 3600, T0 + i, &retry))
            t->allowed++;
        /* other keys in the same shards meanwhile */
        char key[32];
        int len = snprintf(key, sizeof key, "sub_t%p_%d", (void *)t, i % 300);
        gh_authz_limits_take(t->l, gh_str_n(key, (size_t)len), 1000000, 3600, T0 + i, &retry);
    }
    return NULL;
}

static void test_concurrent_takes(void **state)
{
    struct gh_authz_limits *l = *state;
    pthread_t th[THREADS];
    struct taker t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        t[i] = (struct taker){.l = l};
        assert_int_equal(pthread_create(&th[i], NULL, take_many, &t[i]), 0);
    }
    int allowed = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        allowed += t[i].allowed;
    }
    assert_int_equal(allowed, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_within_the_limit_then_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_is_honest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sliding_window_at_the_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_after_two_windows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_are_independent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_takes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
