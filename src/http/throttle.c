/* Login throttle (http/throttle.h): a hash table of keys, each also on a
 * list ordered by last failure, so the key to evict and the keys to forget
 * are at its head.  Keys are hashed with SipHash-2-4 under a random key:
 * they come from clients, who must not be able to pile them into one bucket. */
#include "http/throttle.h"
#include "crypto/random.h"

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

struct entry {
    struct entry *next;          /* in its bucket */
    struct entry *older, *newer; /* by last failure */
    uint64_t hash;
    int failures;
    int64_t last_failure_ms;
    int64_t blocked_until_ms;
    size_t key_len;
    char key[];
};

struct gh_throttle {
    pthread_mutex_t mu;
    struct gh_throttle_config cfg;
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    struct entry *oldest, *newest;
    uint64_t sip_k0, sip_k1;
};

#define MIN_BUCKETS 64

/* ---- SipHash-2-4 (Aumasson, Bernstein), 64-bit output ------------------- */

static inline uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = rotl(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = rotl(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = rotl(v2, 32);                                                                         \
    } while (0)

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
    const unsigned char *in = data;
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    uint64_t v3 = 0x7465646279746573ULL ^ k1;
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)in[full + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static void random_key(uint64_t k[2])
{
    gh_random_bytes(k, 2 * sizeof k[0]);
}

/* ---- table and age list -------------------------------------------------- */

struct gh_throttle *gh_throttle_new(const struct gh_throttle_config *cfg)
{
    assert(cfg->free_failures >= 0);
    assert(cfg->base_delay_ms > 0);
    assert(cfg->max_delay_ms >= cfg->base_delay_ms);
    assert(cfg->max_keys > 0);
    struct gh_throttle *t = gh_xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    t->cfg = *cfg;
    if (t->cfg.forget_after_ms < 2 * t->cfg.max_delay_ms)
        t->cfg.forget_after_ms = 2 * t->cfg.max_delay_ms;
    t->nbuckets = MIN_BUCKETS;
    t->buckets = gh_xcalloc(t->nbuckets, sizeof *t->buckets);
    uint64_t k[2];
    random_key(k);
    t->sip_k0 = k[0];
    t->sip_k1 = k[1];
    return t;
}

void gh_throttle_free(struct gh_throttle *t)
{
    if (!t)
        return;
    struct entry *e = t->oldest;
    while (e) {
        struct entry *next = e->newer;
        free(e);
        e = next;
    }
    free(t->buckets);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static size_t key_len_of(const char *key)
{
    return strnlen(key, GH_THROTTLE_KEY_MAX);
}

static struct entry *find(struct gh_throttle *t, const char *key, size_t len, uint64_t hash)
{
    for (struct entry *e = t->buckets[hash & (t->nbuckets - 1)]; e; e = e->next) {
        if (e->hash == hash && e->key_len == len && memcmp(e->key, key, len) == 0)
            return e;
    }
    return NULL;
}

static void unlink_age(struct gh_throttle *t, struct entry *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        t->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        t->newest = e->older;
    e->older = e->newer = NULL;
}

static void append_age(struct gh_throttle *t, struct entry *e)
{
    e->older = t->newest;
    e->newer = NULL;
    if (t->newest)
        t->newest->newer = e;
    else
        t->oldest = e;
    t->newest = e;
}

static void remove_entry(struct gh_throttle *t, struct entry *e)
{
    struct entry **pp = &t->buckets[e->hash & (t->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    unlink_age(t, e);
    t->count--;
    free(e);
}

/* Doubles the bucket array once the table holds more keys than buckets. */
static void grow(struct gh_throttle *t)
{
    size_t n = t->nbuckets * 2;
    struct entry **b = gh_xcalloc(n, sizeof *b);
    for (struct entry *e = t->oldest; e; e = e->newer) {
        size_t i = e->hash & (n - 1);
        e->next = b[i];
        b[i] = e;
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

static bool forgotten(const struct gh_throttle *t, const struct entry *e, int64_t now_ms)
{
    return now_ms - e->last_failure_ms >= t->cfg.forget_after_ms;
}

/* base * 2^(n-1) for the n-th failure beyond the free ones, capped. */
static int64_t delay_for(const struct gh_throttle_config *cfg, int failures)
{
    if (failures <= cfg->free_failures)
        return 0;
    int64_t d = cfg->base_delay_ms;
    for (int n = failures - cfg->free_failures; n > 1 && d < cfg->max_delay_ms; n--)
        d *= 2;
    return d < cfg->max_delay_ms ? d : cfg->max_delay_ms;
}

int64_t gh_throttle_check(struct gh_throttle *t, const char *key, int64_t now_ms)
{
    size_t len = key_len_of(key);
    uint64_t hash = siphash24(t->sip_k0, t->sip_k1, key, len);
    int64_t wait = 0;
    pthread_mutex_lock(&t->mu);
    struct entry *e = find(t, key, len, hash);
    if (e && forgotten(t, e, now_ms))
        remove_entry(t, e);
    else if (e && e->blocked_until_ms > now_ms)
        wait = e->blocked_until_ms - now_ms;
    pthread_mutex_unlock(&t->mu);
    return wait;
}

void gh_throttle_fail(struct gh_throttle *t, const char *key, int64_t now_ms)
{
    size_t len = key_len_of(key);
    uint64_t hash = siphash24(t->sip_k0, t->sip_k1, key, len);
    pthread_mutex_lock(&t->mu);
    struct entry *e = find(t, key, len, hash);
    if (e && forgotten(t, e, now_ms)) {
        e->failures = 0;
        e->blocked_until_ms = 0;
    }
    if (!e) {
        /* The oldest keys are at the head: drop the forgotten ones, then
         * make room by evicting the one that failed longest ago. */
        while (t->oldest && forgotten(t, t->oldest, now_ms))
            remove_entry(t, t->oldest);
        if (t->count >= t->cfg.max_keys)
            remove_entry(t, t->oldest);
        e = gh_xcalloc(1, sizeof *e + len + 1);
        e->hash = hash;
        e->key_len = len;
        memcpy(e->key, key, len);
        size_t i = hash & (t->nbuckets - 1);
        e->next = t->buckets[i];
        t->buckets[i] = e;
        append_age(t, e);
        t->count++;
        if (t->count > t->nbuckets)
            grow(t);
    } else {
        unlink_age(t, e);
        append_age(t, e);
    }
    if (e->failures < INT_MAX)
        e->failures++;
    e->last_failure_ms = now_ms;
    int64_t delay = delay_for(&t->cfg, e->failures);
    e->blocked_until_ms = delay > 0 ? now_ms + delay : 0;
    pthread_mutex_unlock(&t->mu);
}

void gh_throttle_succeed(struct gh_throttle *t, const char *key)
{
    size_t len = key_len_of(key);
    uint64_t hash = siphash24(t->sip_k0, t->sip_k1, key, len);
    pthread_mutex_lock(&t->mu);
    struct entry *e = find(t, key, len, hash);
    if (e)
        remove_entry(t, e);
    pthread_mutex_unlock(&t->mu);
}

size_t gh_throttle_size(struct gh_throttle *t)
{
    pthread_mutex_lock(&t->mu);
    size_t n = t->count;
    pthread_mutex_unlock(&t->mu);
    return n;
}
