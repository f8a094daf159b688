#include "authz/limit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define SHARDS 16
#define KEY_MAX 64 /* subscription ids are "sub_" + 26 characters */

struct rec {
    char key[KEY_MAX + 1];
    uint8_t keylen;
    bool used;
    int64_t window_start_ms; /* start of the current fixed window */
    int64_t window_ms;
    int64_t prev, cur; /* counts of the previous and the current window */
};

struct shard {
    pthread_mutex_t mu;
    struct rec *recs; /* open addressing, linear probing */
    size_t cap, n;
};

struct gh_authz_limits {
    struct shard shards[SHARDS];
};

/* The shard comes from the hash's top bits, the slot from its low bits,
 * so the keys of one shard spread over all of its slots (gh_str_hash). */
static size_t shard_of(uint64_t h)
{
    return (size_t)(h >> 60) % SHARDS;
}

struct gh_authz_limits *gh_authz_limits_new(void)
{
    struct gh_authz_limits *l = gh_xcalloc(1, sizeof *l);
    for (size_t i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&l->shards[i].mu, NULL);
        l->shards[i].cap = 64;
        l->shards[i].recs = gh_xcalloc(64, sizeof(struct rec));
    }
    return l;
}

void gh_authz_limits_free(struct gh_authz_limits *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < SHARDS; i++) {
        free(l->shards[i].recs);
        pthread_mutex_destroy(&l->shards[i].mu);
    }
    free(l);
}

static struct rec *find(struct shard *sh, struct gh_str k, uint64_t h, bool *fresh)
{
    size_t mask = sh->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct rec *r = &sh->recs[i];
        if (!r->used) {
            *fresh = true;
            return r;
        }
        if (r->keylen == k.len && memcmp(r->key, k.ptr, k.len) == 0)
            return r;
    }
}

/* Doubles the table, dropping records idle for two windows (they would
 * start from zero anyway). */
static void grow(struct shard *sh, int64_t now_ms)
{
    struct rec *old = sh->recs;
    size_t oldcap = sh->cap;
    size_t live = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].used && now_ms - old[i].window_start_ms < 2 * old[i].window_ms)
            live++;
    size_t cap = oldcap;
    while (live * 2 >= cap)
        cap *= 2;
    sh->recs = gh_xcalloc(cap, sizeof(struct rec));
    sh->cap = cap;
    sh->n = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].used || now_ms - old[i].window_start_ms >= 2 * old[i].window_ms)
            continue;
        bool fresh = false;
        struct rec *r = find(sh, gh_str_n(old[i].key, old[i].keylen),
                             gh_str_hash(gh_str_n(old[i].key, old[i].keylen)), &fresh);
        *r = old[i];
        sh->n++;
    }
    free(old);
}

bool gh_authz_limits_take(struct gh_authz_limits *l, struct gh_str key, int64_t requests,
                          int64_t window_secs, int64_t now_ms, int64_t *retry_after_secs)
{
    *retry_after_secs = 0;
    if (requests <= 0 || window_secs <= 0)
        return true;
    if (key.len > KEY_MAX)
        key.len = KEY_MAX;
    uint64_t h = gh_str_hash(key);
    struct shard *sh = &l->shards[shard_of(h)];
    int64_t window_ms = window_secs * 1000;
    pthread_mutex_lock(&sh->mu);
    if ((sh->n + 1) * 4 > sh->cap * 3)
        grow(sh, now_ms);
    bool fresh = false;
    struct rec *r = find(sh, key, h, &fresh);
    if (fresh) {
        memset(r, 0, sizeof *r);
        memcpy(r->key, key.ptr, key.len);
        r->keylen = (uint8_t)key.len;
        r->used = true;
        r->window_start_ms = now_ms - now_ms % window_ms;
        r->window_ms = window_ms;
        sh->n++;
    }
    if (r->window_ms != window_ms) { /* the plan changed: start over */
        r->window_ms = window_ms;
        r->window_start_ms = now_ms - now_ms % window_ms;
        r->prev = r->cur = 0;
    }
    int64_t elapsed = now_ms - r->window_start_ms;
    if (elapsed >= 2 * window_ms) {
        r->prev = 0;
        r->cur = 0;
        r->window_start_ms = now_ms - now_ms % window_ms;
    } else if (elapsed >= window_ms) {
        r->prev = r->cur;
        r->cur = 0;
        r->window_start_ms += window_ms;
    }
    elapsed = now_ms - r->window_start_ms;
    /* requests counted in the sliding window [now - window, now] */
    double overlap = (double)(window_ms - elapsed) / (double)window_ms;
    double estimate = (double)r->prev * overlap + (double)r->cur;
    bool ok = estimate + 1.0 <= (double)requests;
    if (ok) {
        r->cur++;
    } else {
        /* the previous window's weight falls linearly; when does one fit? */
        int64_t wait_ms;
        if (r->cur + 1 > requests) {
            /* not in this window; in the next, this window's count weighs
             * (W - e) / W and one more fits once cur (W - e) / W + 1 <= requests */
            int64_t into_next =
                (int64_t)((double)window_ms * (double)(r->cur - requests + 1) / (double)r->cur) + 1;
            if (into_next > window_ms)
                into_next = window_ms;
            wait_ms = window_ms - elapsed + into_next;
        } else {
            double need = estimate + 1.0 - (double)requests; /* to shed */
            wait_ms = (int64_t)(need / (double)r->prev * (double)window_ms) + 1;
            if (wait_ms > window_ms - elapsed)
                wait_ms = window_ms - elapsed;
        }
        *retry_after_secs = (wait_ms + 999) / 1000;
        if (*retry_after_secs < 1)
            *retry_after_secs = 1;
    }
    pthread_mutex_unlock(&sh->mu);
    return ok;
}
