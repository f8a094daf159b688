/* Login throttle with injected clocks: free failures, doubling delays and
 * their cap, success clearing a key, idle keys forgotten, bounded memory
 * with eviction of the key that failed longest ago, long keys, concurrent
 * failures counted exactly, and the Retry-After rounding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http/throttle.h"

#define T0 1700000000000LL /* an arbitrary "now" in ms */

static void test_free_failures_then_doubling(void **state)
{
    (void)state;
    struct gh_throttle *t = gh_throttle_new(&GH_THROTTLE_ACCOUNT_DEFAULTS);
    int64_t now = T0;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(gh_throttle_check(t, "ann@example.com", now), 0);
        gh_throttle_fail(t, "ann@example.com", now);
    }
    assert_int_equal(gh_throttle_check(t, "ann@example.com", now), 0);
    gh_throttle_fail(t, "ann@example.com", now); /* 6th: 1 s */
    assert_int_equal(gh_throttle_check(t, "ann@example.com", now), 1000);
    assert_int_equal(gh_throttle_check(t, "ann@example.com", now + 999), 1);
    assert_int_equal(gh_throttle_check(t, "ann@example.com", now + 1000), 0);
    int64_t expect = 2000;
    for (int i = 0; i < 12; i++) {
        now += 1000;
        gh_throttle_fail(t, "ann@example.com", now);
        assert_int_equal(gh_throttle_check(t, "ann@example.com", now), expect);
        expect = expect * 2 > 15 * 60 * 1000 ? 15 * 60 * 1000 : expect * 2;
    }
    /* capped at 15 minutes */
    assert_int_equal(gh_throttle_check(t, "ann@example.com", now), 15 * 60 * 1000);
    /* others are not affected */
    assert_int_equal(gh_throttle_check(t, "bob@example.com", now), 0);
    assert_int_equal(gh_throttle_size(t), 1);
    gh_throttle_free(t);
}

static void test_address_defaults(void **state)
{
    (void)state;
    struct gh_throttle *t = gh_throttle_new(&GH_THROTTLE_ADDRESS_DEFAULTS);
    for (int i = 0; i < 20; i++)
        gh_throttle_fail(t, "192.0.2.7", T0);
    assert_int_equal(gh_throttle_check(t, "192.0.2.7", T0), 0);
    gh_throttle_fail(t, "192.0.2.7", T0);
    assert_int_equal(gh_throttle_check(t, "192.0.2.7", T0), 1000);
    gh_throttle_free(t);
}

static void test_success_clears(void **state)
{
    (void)state;
    struct gh_throttle_config c = {.free_failures = 1,
                                   .base_delay_ms = 500,
                                   .max_delay_ms = 8000,
                                   .forget_after_ms = 60000,
                                   .max_keys = 10};
    struct gh_throttle *t = gh_throttle_new(&c);
    gh_throttle_fail(t, "k", T0);
    gh_throttle_fail(t, "k", T0);
    gh_throttle_fail(t, "k", T0);
    assert_int_equal(gh_throttle_check(t, "k", T0), 1000);
    gh_throttle_succeed(t, "k");
    assert_int_equal(gh_throttle_check(t, "k", T0), 0);
    assert_int_equal(gh_throttle_size(t), 0);
    /* counting starts over: one free failure again */
    gh_throttle_fail(t, "k", T0);
    assert_int_equal(gh_throttle_check(t, "k", T0), 0);
    gh_throttle_fail(t, "k", T0);
    assert_int_equal(gh_throttle_check(t, "k", T0), 500);
    gh_throttle_succeed(t, "never-seen"); /* harmless */
    assert_int_equal(gh_throttle_size(t), 1);
    gh_throttle_free(t);
}

static void test_idle_keys_forgotten(void **state)
{
    (void)state;
    struct gh_throttle_config c = {.free_failures = 0,
                                   .base_delay_ms = 100,
                                   .max_delay_ms = 1000,
                                   .forget_after_ms = 5000,
                                   .max_keys = 10};
    struct gh_throttle *t = gh_throttle_new(&c);
    for (int i = 0; i < 6; i++)
        gh_throttle_fail(t, "k", T0);
    assert_int_equal(gh_throttle_check(t, "k", T0), 1000);
    assert_int_equal(gh_throttle_check(t, "k", T0 + 4999), 0);
    assert_int_equal(gh_throttle_size(t), 1);
    assert_int_equal(gh_throttle_check(t, "k", T0 + 5000), 0);
    assert_int_equal(gh_throttle_size(t), 0);
    /* a failure after the idle time counts from one again */
    for (int i = 0; i < 6; i++)
        gh_throttle_fail(t, "j", T0);
    gh_throttle_fail(t, "j", T0 + 6000);
    assert_int_equal(gh_throttle_check(t, "j", T0 + 6000), 100);
    /* new keys sweep forgotten ones out */
    gh_throttle_fail(t, "a", T0 + 6000);
    gh_throttle_fail(t, "b", T0 + 20000);
    assert_int_equal(gh_throttle_size(t), 1);
    gh_throttle_free(t);
}

static void test_forget_not_before_cap(void **state)
{
    (void)state;
    /* forget_after below twice the cap is raised to that: a capped key
     * stays blocked for its whole delay and keeps its count after it */
    struct gh_throttle_config c = {.free_failures = 0,
                                   .base_delay_ms = 100,
                                   .max_delay_ms = 1000,
                                   .forget_after_ms = 10,
                                   .max_keys = 10};
    struct gh_throttle *t = gh_throttle_new(&c);
    for (int i = 0; i < 5; i++)
        gh_throttle_fail(t, "k", T0);
    assert_int_equal(gh_throttle_check(t, "k", T0 + 500), 500);
    gh_throttle_fail(t, "k", T0 + 1000);
    assert_int_equal(gh_throttle_check(t, "k", T0 + 1000), 1000);
    assert_int_equal(gh_throttle_check(t, "k", T0 + 2999), 0);
    assert_int_equal(gh_throttle_size(t), 1);
    assert_int_equal(gh_throttle_check(t, "k", T0 + 3000), 0);
    assert_int_equal(gh_throttle_size(t), 0);
    gh_throttle_free(t);
}

static void test_bounded_eviction(void **state)
{
    (void)state;
    struct gh_throttle_config c = {.free_failures = 0,
                                   .base_delay_ms = 1000,
                                   .max_delay_ms = 1000,
                                   .forget_after_ms = 60000,
                                   .max_keys = 3};
    struct gh_throttle *t = gh_throttle_new(&c);
    gh_throttle_fail(t, "a", T0);
    gh_throttle_fail(t, "b", T0 + 1);
    gh_throttle_fail(t, "c", T0 + 2);
    gh_throttle_fail(t, "d", T0 + 3); /* evicts a */
    assert_int_equal(gh_throttle_size(t), 3);
    assert_int_equal(gh_throttle_check(t, "a", T0 + 10), 0);
    assert_int_equal(gh_throttle_check(t, "b", T0 + 10), 991);
    gh_throttle_fail(t, "b", T0 + 11); /* b is now the newest */
    gh_throttle_fail(t, "e", T0 + 12); /* evicts c, not b */
    assert_int_equal(gh_throttle_check(t, "c", T0 + 20), 0);
    assert_int_equal(gh_throttle_check(t, "b", T0 + 20), 991);
    assert_int_equal(gh_throttle_check(t, "d", T0 + 20), 983);
    assert_int_equal(gh_throttle_size(t), 3);
    gh_throttle_free(t);
}

static void test_many_keys(void **state)
{
    (void)state;
    struct gh_throttle_config c = {.free_failures = 0,
                                   .base_delay_ms = 1000,
                                   .max_delay_ms = 1000,
                                   .forget_after_ms = 60000,
                                   .max_keys = 5000};
    struct gh_throttle *t = gh_throttle_new(&c);
    char key[32];
    for (int i = 0; i < 12000; i++) {
        snprintf(key, sizeof key, "198.51.100.%d", i);
        gh_throttle_fail(t, key, T0);
    }
    assert_int_equal(gh_throttle_size(t), 5000);
    for (int i = 0; i < 12000; i++) {
        snprintf(key, sizeof key, "198.51.100.%d", i);
        assert_int_equal(gh_throttle_check(t, key, T0), i < 7000 ? 0 : 1000);
    }
    gh_throttle_free(t);
}

static void test_long_keys(void **state)
{
    (void)state;
    struct gh_throttle_config c = {.free_failures = 0,
                                   .base_delay_ms = 1000,
                                   .max_delay_ms = 1000,
                                   .forget_after_ms = 60000,
                                   .max_keys = 10};
    struct gh_throttle *t = gh_throttle_new(&c);
    char a[GH_THROTTLE_KEY_MAX + 50], b[GH_THROTTLE_KEY_MAX + 50];
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[GH_THROTTLE_KEY_MAX + 10] = 'y';
    gh_throttle_fail(t, a, T0);
    /* same first GH_THROTTLE_KEY_MAX bytes: the same record */
    assert_int_equal(gh_throttle_check(t, b, T0), 1000);
    b[GH_THROTTLE_KEY_MAX - 1] = 'y';
    assert_int_equal(gh_throttle_check(t, b, T0), 0);
    assert_int_equal(gh_throttle_size(t), 1);
    gh_throttle_free(t);
}

#define THREADS 4
#define FAILS_PER_THREAD 1000

static void *hammer(void *arg)
{
    struct gh_throttle *t = arg;
    char own[32];
    snprintf(own, sizeof own, "own-%p", (void *)own);
    for (int i = 0; i < FAILS_PER_THREAD; i++) {
        gh_throttle_fail(t, "shared", T0);
        gh_throttle_fail(t, own, T0);
        (void)gh_throttle_check(t, "shared", T0);
    }
    return NULL;
}

/* Concurrent failures are all counted: with one free failure fewer than the
 * total, the key ends up blocked only if none was lost. */
static void test_concurrent_failures_counted(void **state)
{
    (void)state;
    struct gh_throttle_config c = {.free_failures = THREADS * FAILS_PER_THREAD - 1,
                                   .base_delay_ms = 1000,
                                   .max_delay_ms = 1000,
                                   .forget_after_ms = 60000,
                                   .max_keys = 100};
    struct gh_throttle *t = gh_throttle_new(&c);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer, t), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(gh_throttle_check(t, "shared", T0), 1000);
    assert_int_equal(gh_throttle_size(t), THREADS + 1);
    gh_throttle_free(t);
}

static void test_retry_after_secs(void **state)
{
    (void)state;
    assert_int_equal(gh_throttle_retry_after_secs(0), 0);
    assert_int_equal(gh_throttle_retry_after_secs(1), 1);
    assert_int_equal(gh_throttle_retry_after_secs(1000), 1);
    assert_int_equal(gh_throttle_retry_after_secs(1001), 2);
    assert_int_equal(gh_throttle_retry_after_secs(900000), 900);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_failures_then_doubling),
        cmocka_unit_test(test_address_defaults),
        cmocka_unit_test(test_success_clears),
        cmocka_unit_test(test_idle_keys_forgotten),
        cmocka_unit_test(test_forget_not_before_cap),
        cmocka_unit_test(test_bounded_eviction),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_long_keys),
        cmocka_unit_test(test_concurrent_failures_counted),
        cmocka_unit_test(test_retry_after_secs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
