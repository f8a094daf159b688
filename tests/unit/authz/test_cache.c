/* The verified-token cache with an injected clock: every claim field comes
 * back as it went in (lists of none, one and many), negative entries keep
 * their reason, entries end at `until` (exclusive), a store generation
 * binds an entry unless it is GH_AUTHZ_ANY_GENERATION, a key put twice
 * holds the second value, the size stays bounded under far more tokens
 * than it holds (evictions counted), the counters add up, and four
 * threads hammering one cache for a second leave it consistent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "authz/cache.h"

#define NOW 1700000000LL /* an arbitrary "now" in Unix seconds */

/* A key as the check makes them is a SHA-256; any well-mixed 32 bytes do
 * here: splitmix64 of (seed, word). */
static void make_key(uint8_t key[GH_AUTHZ_KEY_LEN], uint64_t seed)
{
    for (int w = 0; w < 4; w++) {
        uint64_t z = seed * 4 + (uint64_t)w + 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        memcpy(key + 8 * w, &z, 8);
    }
}

static void assert_str(struct gh_str got, const char *want)
{
    if (!gh_str_eq_c(got, want))
        fail_msg("\"%.*s\", want \"%s\"", (int)got.len, got.ptr ? got.ptr : "", want);
}

static void assert_list(const struct gh_str *got, size_t n, const char *const *want, size_t nwant)
{
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_str(got[i], want[i]);
}

static void test_round_trip_of_every_field(void **state)
{
    (void)state;
    struct gh_authz_cache *c = gh_authz_cache_new(1024);
    struct gh_arena *a = gh_arena_new(1024);
    static const char *const aud[] = {"connectapi"};
    static const char *const services[] = {"ola", "kyc", "payments", "fx", "cards"};
    struct gh_str aud_s[1], svc_s[5];
    for (size_t i = 0; i < 1; i++)
        aud_s[i] = gh_str_c(aud[i]);
    for (size_t i = 0; i < 5; i++)
        svc_s[i] = gh_str_c(services[i]);
    /* the claims live in a buffer that is overwritten after the put */
    char buf[64];
    snprintf(buf, sizeof buf, "client-%d", 42);
    struct gh_authz_claims in = {
        .opaque = false,
        .exp = NOW + 3600,
        .nbf = NOW - 10,
        .client_id = gh_str_c(buf),
        .jti = GH_STR("jti-1"),
        .kid = GH_STR("key-2024"),
        .tenant = GH_STR("tenant-a"),
        .n_aud = 1,
        .aud = aud_s,
        .n_services = 5,
        .services = svc_s,
        .n_customer_numbers = 0,
        .customer_numbers = NULL,
    };
    uint8_t key[GH_AUTHZ_KEY_LEN];
    make_key(key, 1);
    gh_authz_cache_put_ok(c, key, &in, NOW, NOW + 3600, 7);
    memset(buf, 'X', sizeof buf - 1);
    svc_s[0] = GH_STR("changed");

    struct gh_authz_claims out;
    memset(&out, 0xa5, sizeof out);
    const char *why = "untouched";
    assert_int_equal(gh_authz_cache_get(c, key, NOW + 1, 7, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_false(out.opaque);
    assert_int_equal(out.exp, NOW + 3600);
    assert_int_equal(out.nbf, NOW - 10);
    assert_str(out.client_id, "client-42");
    assert_str(out.jti, "jti-1");
    assert_str(out.kid, "key-2024");
    assert_str(out.tenant, "tenant-a");
    assert_list(out.aud, out.n_aud, aud, 1);
    assert_list(out.services, out.n_services, services, 5);
    assert_int_equal(out.n_customer_numbers, 0);

    /* an opaque token: other lists, empty strings, no exp/nbf */
    static const char *const cns[] = {"12345", "A-77", ""};
    struct gh_str cn_s[3] = {GH_STR("12345"), GH_STR("A-77"), GH_STR("")};
    struct gh_authz_claims opaque = {
        .opaque = true,
        .client_id = GH_STR("app-client"),
        .jti = GH_STR_NULL,
        .kid = GH_STR_NULL,
        .tenant = GH_STR(""),
        .n_services = 1,
        .services = svc_s + 1,
        .n_customer_numbers = 3,
        .customer_numbers = cn_s,
    };
    uint8_t key2[GH_AUTHZ_KEY_LEN];
    make_key(key2, 2);
    gh_authz_cache_put_ok(c, key2, &opaque, NOW, NOW + 60, 7);
    memset(&out, 0xa5, sizeof out);
    assert_int_equal(gh_authz_cache_get(c, key2, NOW, 7, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_true(out.opaque);
    assert_int_equal(out.exp, 0);
    assert_int_equal(out.nbf, 0);
    assert_str(out.client_id, "app-client");
    assert_int_equal(out.jti.len, 0);
    assert_int_equal(out.kid.len, 0);
    assert_int_equal(out.tenant.len, 0);
    assert_int_equal(out.n_aud, 0);
    assert_list(out.services, out.n_services, services + 1, 1);
    assert_list(out.customer_numbers, out.n_customer_numbers, cns, 3);
    assert_string_equal(why, "untouched"); /* a positive hit leaves why alone */

    /* the copy belongs to the arena: the first one is still intact after
     * another get, and after the cache entry is replaced */
    struct gh_authz_claims again;
    assert_int_equal(gh_authz_cache_get(c, key, NOW + 2, 7, a, &again, &why), GH_AUTHZ_HIT_OK);
    gh_authz_cache_put_bad(c, key, "replaced", NOW + 2, NOW + 10, 7);
    assert_str(again.client_id, "client-42");
    assert_list(again.services, again.n_services, services, 5);
    gh_arena_free(a);
    gh_authz_cache_free(c);
}

static void test_negative_entries(void **state)
{
    (void)state;
    struct gh_authz_cache *c = gh_authz_cache_new(1024);
    struct gh_arena *a = gh_arena_new(1024);
    uint8_t k1[GH_AUTHZ_KEY_LEN], k2[GH_AUTHZ_KEY_LEN];
    make_key(k1, 10);
    make_key(k2, 11);
    static const char bad_sig[] = "has a bad signature";
    gh_authz_cache_put_bad(c, k1, bad_sig, NOW, NOW + 5, GH_AUTHZ_ANY_GENERATION);
    gh_authz_cache_put_bad(c, k2, "is signed by an unknown key", NOW, NOW + 5, 3);
    struct gh_authz_claims out;
    const char *why = NULL;
    assert_int_equal(gh_authz_cache_get(c, k1, NOW + 4, 1, a, &out, &why), GH_AUTHZ_HIT_BAD);
    assert_ptr_equal(why, bad_sig); /* kept by pointer */
    why = NULL;
    assert_int_equal(gh_authz_cache_get(c, k2, NOW, 3, a, &out, &why), GH_AUTHZ_HIT_BAD);
    assert_string_equal(why, "is signed by an unknown key");
    /* remembered for its time only */
    assert_int_equal(gh_authz_cache_get(c, k1, NOW + 5, 1, a, &out, &why), GH_AUTHZ_MISS);
    gh_arena_free(a);
    gh_authz_cache_free(c);
}

static void test_expiry_is_exclusive(void **state)
{
    (void)state;
    struct gh_authz_cache *c = gh_authz_cache_new(1024);
    struct gh_arena *a = gh_arena_new(1024);
    struct gh_authz_claims in = {.client_id = GH_STR("c"), .exp = NOW + 100};
    struct gh_authz_claims out;
    const char *why = NULL;
    uint8_t key[GH_AUTHZ_KEY_LEN];
    make_key(key, 20);
    gh_authz_cache_put_ok(c, key, &in, NOW, NOW + 100, GH_AUTHZ_ANY_GENERATION);
    assert_int_equal(gh_authz_cache_get(c, key, NOW, 0, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_int_equal(gh_authz_cache_get(c, key, NOW + 99, 0, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_int_equal(gh_authz_cache_get(c, key, NOW + 100, 0, a, &out, &why), GH_AUTHZ_MISS);
    /* gone for good, not only hidden at that time */
    assert_int_equal(gh_authz_cache_get(c, key, NOW + 50, 0, a, &out, &why), GH_AUTHZ_MISS);
    struct gh_authz_cache_stats st;
    gh_authz_cache_stats(c, &st);
    assert_int_equal(st.entries, 0);

    /* an entry whose until is already past is never served */
    gh_authz_cache_put_ok(c, key, &in, NOW, NOW, GH_AUTHZ_ANY_GENERATION);
    assert_int_equal(gh_authz_cache_get(c, key, NOW, 0, a, &out, &why), GH_AUTHZ_MISS);
    gh_arena_free(a);
    gh_authz_cache_free(c);
}

static void test_generation_binding(void **state)
{
    (void)state;
    struct gh_authz_cache *c = gh_authz_cache_new(1024);
    struct gh_arena *a = gh_arena_new(1024);
    struct gh_authz_claims in = {.opaque = true, .client_id = GH_STR("c")};
    struct gh_authz_claims out;
    const char *why = NULL;
    uint8_t bound[GH_AUTHZ_KEY_LEN], any[GH_AUTHZ_KEY_LEN], bad[GH_AUTHZ_KEY_LEN];
    make_key(bound, 30);
    make_key(any, 31);
    make_key(bad, 32);
    gh_authz_cache_put_ok(c, bound, &in, NOW, NOW + 600, 5);
    gh_authz_cache_put_ok(c, any, &in, NOW, NOW + 600, GH_AUTHZ_ANY_GENERATION);
    gh_authz_cache_put_bad(c, bad, "is unknown", NOW, NOW + 600, 5);

    /* the entry made at generation 5 serves generation 5 */
    assert_int_equal(gh_authz_cache_get(c, bound, NOW, 5, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_int_equal(gh_authz_cache_get(c, bad, NOW, 5, a, &out, &why), GH_AUTHZ_HIT_BAD);
    /* ... not generation 6: the store changed since */
    assert_int_equal(gh_authz_cache_get(c, bound, NOW, 6, a, &out, &why), GH_AUTHZ_MISS);
    assert_int_equal(gh_authz_cache_get(c, bad, NOW, 6, a, &out, &why), GH_AUTHZ_MISS);
    /* the entry for any generation serves them all */
    assert_int_equal(gh_authz_cache_get(c, any, NOW, 0, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_int_equal(gh_authz_cache_get(c, any, NOW, 5, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_int_equal(gh_authz_cache_get(c, any, NOW, 1000000, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_int_equal(gh_authz_cache_get(c, any, NOW, GH_AUTHZ_ANY_GENERATION - 1, a, &out, &why),
                     GH_AUTHZ_HIT_OK);

    /* re-verified at generation 6, it serves 6 */
    gh_authz_cache_put_ok(c, bound, &in, NOW, NOW + 600, 6);
    assert_int_equal(gh_authz_cache_get(c, bound, NOW, 6, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_true(out.opaque);
    gh_arena_free(a);
    gh_authz_cache_free(c);
}

static void test_replacing_a_key(void **state)
{
    (void)state;
    struct gh_authz_cache *c = gh_authz_cache_new(1024);
    struct gh_arena *a = gh_arena_new(1024);
    struct gh_authz_claims first = {.client_id = GH_STR("first")};
    struct gh_authz_claims second = {.client_id = GH_STR("second")};
    struct gh_authz_claims out;
    const char *why = NULL;
    uint8_t key[GH_AUTHZ_KEY_LEN];
    make_key(key, 40);
    gh_authz_cache_put_ok(c, key, &first, NOW, NOW + 600, 1);
    gh_authz_cache_put_ok(c, key, &second, NOW, NOW + 300, 2);
    struct gh_authz_cache_stats st;
    gh_authz_cache_stats(c, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.evictions, 0);
    /* the second put's claims, until and generation */
    assert_int_equal(gh_authz_cache_get(c, key, NOW, 1, a, &out, &why), GH_AUTHZ_MISS);
    gh_authz_cache_put_ok(c, key, &second, NOW, NOW + 300, 2);
    assert_int_equal(gh_authz_cache_get(c, key, NOW, 2, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_str(out.client_id, "second");
    assert_int_equal(gh_authz_cache_get(c, key, NOW + 300, 2, a, &out, &why), GH_AUTHZ_MISS);

    /* good → bad → good */
    gh_authz_cache_put_ok(c, key, &first, NOW, NOW + 600, 2);
    gh_authz_cache_put_bad(c, key, "is revoked", NOW, NOW + 600, 2);
    assert_int_equal(gh_authz_cache_get(c, key, NOW, 2, a, &out, &why), GH_AUTHZ_HIT_BAD);
    assert_string_equal(why, "is revoked");
    gh_authz_cache_put_ok(c, key, &first, NOW, NOW + 600, 2);
    assert_int_equal(gh_authz_cache_get(c, key, NOW, 2, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_str(out.client_id, "first");
    gh_authz_cache_stats(c, &st);
    assert_int_equal(st.entries, 1);
    gh_arena_free(a);
    gh_authz_cache_free(c);
}

static void test_bounded_size(void **state)
{
    (void)state;
    struct gh_authz_cache *c = gh_authz_cache_new(4096);
    struct gh_authz_cache_stats st;
    gh_authz_cache_stats(c, &st);
    size_t capacity = st.capacity;
    assert_true(capacity >= 4096);
    assert_int_equal(st.entries, 0);

    struct gh_authz_claims in = {.client_id = GH_STR("client"), .tenant = GH_STR("t")};
    const uint64_t n = 20 * (uint64_t)capacity;
    uint8_t key[GH_AUTHZ_KEY_LEN];
    for (uint64_t i = 0; i < n; i++) {
        make_key(key, 1000 + i);
        /* all live for the whole test: nothing expires, so room is made by eviction */
        gh_authz_cache_put_ok(c, key, &in, NOW, NOW + 3600 + (int64_t)(i % 977), 1);
    }
    gh_authz_cache_stats(c, &st);
    assert_int_equal(st.capacity, capacity);
    assert_true(st.entries <= capacity);
    assert_true(st.entries >= capacity / 2); /* and the room is actually used */
    assert_int_equal(st.inserts, n);
    /* every insert either filled a slot or evicted a live entry */
    assert_int_equal(st.evictions, n - st.entries);

    /* recently put keys are mostly there, the earliest mostly not */
    struct gh_arena *a = gh_arena_new(4096);
    struct gh_authz_claims out;
    const char *why = NULL;
    size_t recent = 0;
    for (uint64_t i = n - 100; i < n; i++) {
        make_key(key, 1000 + i);
        if (gh_authz_cache_get(c, key, NOW, 1, a, &out, &why) == GH_AUTHZ_HIT_OK)
            recent++;
        gh_arena_reset(a);
    }
    assert_true(recent >= 90);
    gh_arena_free(a);
    gh_authz_cache_free(c);
}

static void test_expired_entries_make_room_without_eviction(void **state)
{
    (void)state;
    struct gh_authz_cache *c = gh_authz_cache_new(1024);
    struct gh_authz_cache_stats st;
    gh_authz_cache_stats(c, &st);
    struct gh_authz_claims in = {.client_id = GH_STR("client")};
    uint8_t key[GH_AUTHZ_KEY_LEN];
    /* a cache full of entries that expire at NOW + 10 */
    for (uint64_t i = 0; i < 4 * (uint64_t)st.capacity; i++) {
        make_key(key, 500000 + i);
        gh_authz_cache_put_ok(c, key, &in, NOW, NOW + 10, 1);
    }
    struct gh_authz_cache_stats before;
    gh_authz_cache_stats(c, &before);
    /* later, new entries take the place of dead ones instead of evicting */
    for (uint64_t i = 0; i < (uint64_t)st.capacity / 4; i++) {
        make_key(key, 900000 + i);
        gh_authz_cache_put_ok(c, key, &in, NOW + 10, NOW + 100, 1);
    }
    struct gh_authz_cache_stats after;
    gh_authz_cache_stats(c, &after);
    /* (were dead entries not reclaimed, every one of these puts would evict) */
    assert_true(after.entries <= after.capacity);
    assert_true(after.evictions - before.evictions < (uint64_t)st.capacity / 64);
    assert_int_equal(after.inserts - before.inserts, st.capacity / 4);
    gh_authz_cache_free(c);
}

static void test_stats_counters(void **state)
{
    (void)state;
    struct gh_authz_cache *c = gh_authz_cache_new(100);
    struct gh_authz_cache_stats st;
    gh_authz_cache_stats(c, &st);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.misses, 0);
    assert_int_equal(st.inserts, 0);
    assert_int_equal(st.evictions, 0);
    assert_int_equal(st.entries, 0);
    assert_true(st.capacity >= 100);

    struct gh_arena *a = gh_arena_new(1024);
    struct gh_authz_claims in = {.client_id = GH_STR("c")}, out;
    const char *why = NULL;
    uint8_t k[3][GH_AUTHZ_KEY_LEN];
    for (int i = 0; i < 3; i++)
        make_key(k[i], 60 + (uint64_t)i);
    assert_int_equal(gh_authz_cache_get(c, k[0], NOW, 1, a, &out, &why), GH_AUTHZ_MISS);
    gh_authz_cache_put_ok(c, k[0], &in, NOW, NOW + 10, 1);
    gh_authz_cache_put_bad(c, k[1], "bad", NOW, NOW + 10, 1);
    gh_authz_cache_put_ok(c, k[0], &in, NOW, NOW + 10, 1); /* a replacement is an insert */
    assert_int_equal(gh_authz_cache_get(c, k[0], NOW, 1, a, &out, &why), GH_AUTHZ_HIT_OK);
    assert_int_equal(gh_authz_cache_get(c, k[1], NOW, 1, a, &out, &why), GH_AUTHZ_HIT_BAD);
    assert_int_equal(gh_authz_cache_get(c, k[2], NOW, 1, a, &out, &why), GH_AUTHZ_MISS);
    assert_int_equal(gh_authz_cache_get(c, k[0], NOW + 10, 1, a, &out, &why), GH_AUTHZ_MISS);
    gh_authz_cache_stats(c, &st);
    assert_int_equal(st.hits, 2); /* a negative hit is a hit */
    assert_int_equal(st.misses, 3);
    assert_int_equal(st.inserts, 3);
    assert_int_equal(st.evictions, 0);
    assert_int_equal(st.entries, 1); /* k[0] expired and dropped, k[1] left */
    gh_arena_free(a);
    gh_authz_cache_free(c);
}

/* ---- threads ------------------------------------------------------------- */

#define THREADS 4
#define HOT_KEYS 2048

struct worker {
    struct gh_authz_cache *c;
    unsigned id;
    uint64_t ops, hits, wrong;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Gets and puts over a small key set, so threads collide on entries and
 * shards; what a hit returns must be what some thread put for that key
 * (the client_id names the key). */
static void *hammer(void *arg)
{
    struct worker *w = arg;
    struct gh_arena *a = gh_arena_new(4096);
    uint64_t x = 0x9e3779b97f4a7c15ULL * (w->id + 1);
    int64_t end = mono_ms() + 1000;
    char name[32], list0[32];
    while (mono_ms() < end) {
        for (int burst = 0; burst < 256; burst++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            uint64_t k = x % HOT_KEYS;
            uint8_t key[GH_AUTHZ_KEY_LEN];
            make_key(key, k);
            int len = snprintf(name, sizeof name, "client-%llu", (unsigned long long)k);
            snprintf(list0, sizeof list0, "cn-%llu", (unsigned long long)k);
            int64_t now = NOW + (int64_t)(x >> 60); /* 0..15 s */
            switch ((x >> 32) % 4) {
            case 0: {
                struct gh_str cn[2] = {gh_str_c(list0), GH_STR("shared")};
                struct gh_authz_claims in = {.client_id = gh_str_n(name, (size_t)len),
                                             .n_customer_numbers = 2,
                                             .customer_numbers = cn};
                gh_authz_cache_put_ok(w->c, key, &in, now, now + 8, k % 3);
                break;
            }
            case 1:
                gh_authz_cache_put_bad(w->c, key, "is bad", now, now + 4, k % 3);
                break;
            default: {
                struct gh_authz_claims out;
                const char *why = NULL;
                enum gh_authz_cache_result r =
                    gh_authz_cache_get(w->c, key, now, k % 3, a, &out, &why);
                if (r == GH_AUTHZ_HIT_OK) {
                    w->hits++;
                    if (!gh_str_eq_c(out.client_id, name) || out.n_customer_numbers != 2 ||
                        !gh_str_eq_c(out.customer_numbers[0], list0))
                        w->wrong++;
                } else if (r == GH_AUTHZ_HIT_BAD) {
                    w->hits++;
                    if (!why || strcmp(why, "is bad") != 0)
                        w->wrong++;
                }
                break;
            }
            }
            w->ops++;
        }
        gh_arena_reset(a);
    }
    gh_arena_free(a);
    return NULL;
}

static void test_threads_hammering(void **state)
{
    (void)state;
    /* smaller than the key set, so evictions run concurrently too */
    struct gh_authz_cache *c = gh_authz_cache_new(1024);
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.c = c, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
    }
    uint64_t ops = 0, hits = 0;
    for (unsigned i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].wrong, 0);
        ops += w[i].ops;
        hits += w[i].hits;
    }
    assert_true(ops > 1000);
    assert_true(hits > 0);
    struct gh_authz_cache_stats st;
    gh_authz_cache_stats(c, &st);
    assert_true(st.entries <= st.capacity);
    assert_int_equal(st.hits, hits);
    /* every operation was counted once: gets as hit or miss, puts as inserts */
    assert_int_equal(st.hits + st.misses + st.inserts, ops);
    gh_authz_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_of_every_field),
        cmocka_unit_test(test_negative_entries),
        cmocka_unit_test(test_expiry_is_exclusive),
        cmocka_unit_test(test_generation_binding),
        cmocka_unit_test(test_replacing_a_key),
        cmocka_unit_test(test_bounded_size),
        cmocka_unit_test(test_expired_entries_make_room_without_eviction),
        cmocka_unit_test(test_stats_counters),
        cmocka_unit_test(test_threads_hammering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
