#include "authz/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define SHARDS 64
#define PROBE 8

/* Claims flattened into one allocation: the fixed fields, then every
 * string as (offset, length) into the bytes that follow, in the order
 * client_id, app_id, jti, kid, tenant, aud…, services…, customer_numbers…. */
struct span {
    uint32_t off, len;
};
struct blob {
    size_t size; /* bytes of the whole blob */
    int64_t exp, nbf;
    bool opaque;
    uint32_t n_aud, n_services, n_customer_numbers;
    uint32_t nspans;
    struct span spans[]; /* then the string bytes */
};

struct entry {
    uint8_t key[GH_AUTHZ_KEY_LEN];
    bool used;
    int64_t until;
    uint64_t generation;
    struct blob *blob; /* NULL: a negative entry */
    const char *why;
};

struct shard {
    pthread_mutex_t mu;
    struct entry *slots;
    size_t entries;
};

struct gh_authz_cache {
    struct shard shards[SHARDS];
    size_t slots_per_shard; /* a power of two */
    size_t capacity;
    _Atomic uint64_t hits, misses, inserts, evictions;
};

struct gh_authz_cache *gh_authz_cache_new(size_t capacity)
{
    struct gh_authz_cache *c = gh_xcalloc(1, sizeof *c);
    size_t per = 16;
    while (per * SHARDS < capacity && per < ((size_t)1 << 24))
        per *= 2;
    c->slots_per_shard = per;
    c->capacity = per * SHARDS;
    for (size_t i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&c->shards[i].mu, NULL);
        c->shards[i].slots = gh_xcalloc(per, sizeof(struct entry));
    }
    return c;
}

void gh_authz_cache_free(struct gh_authz_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < SHARDS; i++) {
        for (size_t j = 0; j < c->slots_per_shard; j++)
            free(c->shards[i].slots[j].blob);
        free(c->shards[i].slots);
        pthread_mutex_destroy(&c->shards[i].mu);
    }
    free(c);
}

/* The key is a SHA-256: its bytes are already uniformly distributed. */
static uint64_t key_word(const uint8_t key[GH_AUTHZ_KEY_LEN], size_t at)
{
    uint64_t w;
    memcpy(&w, key + at, sizeof w);
    return w;
}

static struct shard *shard_of(struct gh_authz_cache *c, const uint8_t *key)
{
    return &c->shards[key_word(key, 0) % SHARDS];
}

static size_t home_of(const struct gh_authz_cache *c, const uint8_t *key)
{
    return (size_t)(key_word(key, 8) & (c->slots_per_shard - 1));
}

static bool live(const struct entry *e, int64_t now, uint64_t generation)
{
    return e->used && now < e->until &&
           (e->generation == GH_AUTHZ_ANY_GENERATION || e->generation == generation);
}

static void drop(struct shard *sh, struct entry *e)
{
    free(e->blob);
    memset(e, 0, sizeof *e);
    sh->entries--;
}

static struct gh_str span_str(const struct blob *b, const char *base, uint32_t i)
{
    return gh_str_n(base + b->spans[i].off, b->spans[i].len);
}

static void unflatten(const struct blob *b, struct gh_arena *a, struct gh_authz_claims *out)
{
    struct blob *copy = gh_arena_memdup(a, b, b->size);
    const char *base = (const char *)&copy->spans[copy->nspans];
    memset(out, 0, sizeof *out);
    out->opaque = copy->opaque;
    out->exp = copy->exp;
    out->nbf = copy->nbf;
    uint32_t i = 0;
    out->client_id = span_str(copy, base, i++);
    out->app_id = span_str(copy, base, i++);
    out->jti = span_str(copy, base, i++);
    out->kid = span_str(copy, base, i++);
    out->tenant = span_str(copy, base, i++);
    struct gh_str *lists[3];
    uint32_t counts[3] = {copy->n_aud, copy->n_services, copy->n_customer_numbers};
    for (int l = 0; l < 3; l++) {
        lists[l] = counts[l] ? gh_arena_alloc(a, counts[l] * sizeof(struct gh_str)) : NULL;
        for (uint32_t k = 0; k < counts[l]; k++)
            lists[l][k] = span_str(copy, base, i++);
    }
    out->n_aud = counts[0];
    out->aud = lists[0];
    out->n_services = counts[1];
    out->services = lists[1];
    out->n_customer_numbers = counts[2];
    out->customer_numbers = lists[2];
}

static struct blob *flatten(const struct gh_authz_claims *c)
{
    uint32_t nspans = (uint32_t)(5 + c->n_aud + c->n_services + c->n_customer_numbers);
    struct gh_str *all = gh_xmalloc(nspans * sizeof *all);
    uint32_t i = 0;
    all[i++] = c->client_id;
    all[i++] = c->app_id;
    all[i++] = c->jti;
    all[i++] = c->kid;
    all[i++] = c->tenant;
    for (size_t k = 0; k < c->n_aud; k++)
        all[i++] = c->aud[k];
    for (size_t k = 0; k < c->n_services; k++)
        all[i++] = c->services[k];
    for (size_t k = 0; k < c->n_customer_numbers; k++)
        all[i++] = c->customer_numbers[k];
    size_t bytes = 0;
    for (uint32_t k = 0; k < nspans; k++)
        bytes += all[k].len;
    size_t head = sizeof(struct blob) + nspans * sizeof(struct span);
    struct blob *b = gh_xmalloc(head + bytes);
    b->size = head + bytes;
    b->exp = c->exp;
    b->nbf = c->nbf;
    b->opaque = c->opaque;
    b->n_aud = (uint32_t)c->n_aud;
    b->n_services = (uint32_t)c->n_services;
    b->n_customer_numbers = (uint32_t)c->n_customer_numbers;
    b->nspans = nspans;
    char *base = (char *)&b->spans[nspans];
    uint32_t off = 0;
    for (uint32_t k = 0; k < nspans; k++) {
        b->spans[k] = (struct span){off, (uint32_t)all[k].len};
        if (all[k].len)
            memcpy(base + off, all[k].ptr, all[k].len);
        off += (uint32_t)all[k].len;
    }
    free(all);
    return b;
}

enum gh_authz_cache_result gh_authz_cache_get(struct gh_authz_cache *c,
                                              const uint8_t key[GH_AUTHZ_KEY_LEN], int64_t now,
                                              uint64_t generation, struct gh_arena *a,
                                              struct gh_authz_claims *out, const char **why)
{
    struct shard *sh = shard_of(c, key);
    size_t home = home_of(c, key), mask = c->slots_per_shard - 1;
    enum gh_authz_cache_result r = GH_AUTHZ_MISS;
    pthread_mutex_lock(&sh->mu);
    for (size_t p = 0; p < PROBE; p++) {
        struct entry *e = &sh->slots[(home + p) & mask];
        if (!e->used || memcmp(e->key, key, GH_AUTHZ_KEY_LEN) != 0)
            continue;
        if (!live(e, now, generation)) {
            drop(sh, e);
            break;
        }
        if (e->blob) {
            unflatten(e->blob, a, out);
            r = GH_AUTHZ_HIT_OK;
        } else {
            *why = e->why;
            r = GH_AUTHZ_HIT_BAD;
        }
        break;
    }
    pthread_mutex_unlock(&sh->mu);
    atomic_fetch_add_explicit(r == GH_AUTHZ_MISS ? &c->misses : &c->hits, 1, memory_order_relaxed);
    return r;
}

/* Stores (blob, why) under key, replacing an entry of the same key, else
 * taking a free or dead slot of the probe window, else evicting the entry
 * of the window that expires first.  Takes ownership of blob. */
static void put(struct gh_authz_cache *c, const uint8_t *key, struct blob *blob, const char *why,
                int64_t until, uint64_t generation, int64_t now)
{
    struct shard *sh = shard_of(c, key);
    size_t home = home_of(c, key), mask = c->slots_per_shard - 1;
    pthread_mutex_lock(&sh->mu);
    struct entry *target = NULL, *free_slot = NULL, *oldest = NULL;
    for (size_t p = 0; p < PROBE; p++) {
        struct entry *e = &sh->slots[(home + p) & mask];
        if (e->used && memcmp(e->key, key, GH_AUTHZ_KEY_LEN) == 0) {
            target = e;
            break;
        }
        if (e->used && now >= e->until)
            drop(sh, e);
        if (!e->used) {
            if (!free_slot)
                free_slot = e;
        } else if (!oldest || e->until < oldest->until) {
            oldest = e;
        }
    }
    bool evicted = false;
    if (!target) {
        target = free_slot;
        if (!target) {
            target = oldest;
            evicted = true;
        }
    }
    if (target->used)
        drop(sh, target);
    memcpy(target->key, key, GH_AUTHZ_KEY_LEN);
    target->used = true;
    target->until = until;
    target->generation = generation;
    target->blob = blob;
    target->why = why;
    sh->entries++;
    pthread_mutex_unlock(&sh->mu);
    atomic_fetch_add_explicit(&c->inserts, 1, memory_order_relaxed);
    if (evicted)
        atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
}

void gh_authz_cache_put_ok(struct gh_authz_cache *c, const uint8_t key[GH_AUTHZ_KEY_LEN],
                           const struct gh_authz_claims *claims, int64_t now, int64_t until,
                           uint64_t generation)
{
    put(c, key, flatten(claims), NULL, until, generation, now);
}

void gh_authz_cache_put_bad(struct gh_authz_cache *c, const uint8_t key[GH_AUTHZ_KEY_LEN],
                            const char *why, int64_t now, int64_t until, uint64_t generation)
{
    put(c, key, NULL, why, until, generation, now);
}

void gh_authz_cache_stats(struct gh_authz_cache *c, struct gh_authz_cache_stats *out)
{
    memset(out, 0, sizeof *out);
    out->hits = atomic_load(&c->hits);
    out->misses = atomic_load(&c->misses);
    out->inserts = atomic_load(&c->inserts);
    out->evictions = atomic_load(&c->evictions);
    out->capacity = c->capacity;
    for (size_t i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].mu);
        out->entries += c->shards[i].entries;
        pthread_mutex_unlock(&c->shards[i].mu);
    }
}
