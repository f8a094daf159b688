#include "authz/usage.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "store/entities.h"

#define SHARDS 16
#define ID_MAX 63

struct rec {
    char id[ID_MAX + 1];
    bool used;
    int64_t noted_at; /* the last use noted */
    int64_t pending;  /* a use not written yet (0: none) */
};

struct shard {
    pthread_mutex_t mu;
    struct rec *recs; /* open addressing, linear probing; never shrinks */
    size_t cap, n;
};

struct gh_authz_usage {
    struct shard shards[SHARDS];
    pthread_mutex_t flush_mu; /* one flush at a time */
};

/* The shard comes from the hash's top bits, the slot from its low bits,
 * so the keys of one shard spread over all of its slots (gh_str_hash). */
static size_t shard_of(uint64_t h)
{
    return (size_t)(h >> 60) % SHARDS;
}

struct gh_authz_usage *gh_authz_usage_new(void)
{
    struct gh_authz_usage *u = gh_xcalloc(1, sizeof *u);
    for (size_t i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&u->shards[i].mu, NULL);
        u->shards[i].cap = 16;
        u->shards[i].recs = gh_xcalloc(16, sizeof(struct rec));
    }
    pthread_mutex_init(&u->flush_mu, NULL);
    return u;
}

void gh_authz_usage_free(struct gh_authz_usage *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < SHARDS; i++) {
        free(u->shards[i].recs);
        pthread_mutex_destroy(&u->shards[i].mu);
    }
    pthread_mutex_destroy(&u->flush_mu);
    free(u);
}

static struct rec *slot(struct rec *recs, size_t cap, struct gh_str id, uint64_t h)
{
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        struct rec *r = &recs[i];
        if (!r->used || (strlen(r->id) == id.len && memcmp(r->id, id.ptr, id.len) == 0))
            return r;
    }
}

static void grow(struct shard *sh)
{
    size_t cap = sh->cap * 2;
    struct rec *recs = gh_xcalloc(cap, sizeof *recs);
    for (size_t i = 0; i < sh->cap; i++) {
        if (!sh->recs[i].used)
            continue;
        struct gh_str id = gh_str_c(sh->recs[i].id);
        *slot(recs, cap, id, gh_str_hash(id)) = sh->recs[i];
    }
    free(sh->recs);
    sh->recs = recs;
    sh->cap = cap;
}

void gh_authz_usage_note(struct gh_authz_usage *u, struct gh_str key_id, int64_t now)
{
    if (key_id.len == 0 || key_id.len > ID_MAX)
        return;
    uint64_t h = gh_str_hash(key_id);
    struct shard *sh = &u->shards[shard_of(h)];
    pthread_mutex_lock(&sh->mu);
    if ((sh->n + 1) * 4 > sh->cap * 3)
        grow(sh);
    struct rec *r = slot(sh->recs, sh->cap, key_id, h);
    if (!r->used) {
        memcpy(r->id, key_id.ptr, key_id.len);
        r->id[key_id.len] = '\0';
        r->used = true;
        sh->n++;
    }
    if (r->noted_at == 0 || now - r->noted_at >= GH_AUTHZ_USAGE_GRANULARITY) {
        r->noted_at = now;
        r->pending = now;
    }
    pthread_mutex_unlock(&sh->mu);
}

struct pending {
    char id[ID_MAX + 1];
    int64_t at;
};

/* A use whose write failed goes back, unless a newer one was noted. */
static void requeue(struct gh_authz_usage *u, const char *id, int64_t at)
{
    struct gh_str k = gh_str_c(id);
    uint64_t h = gh_str_hash(k);
    struct shard *sh = &u->shards[shard_of(h)];
    pthread_mutex_lock(&sh->mu);
    struct rec *r = slot(sh->recs, sh->cap, k, h);
    if (r->used && r->pending < at)
        r->pending = at;
    pthread_mutex_unlock(&sh->mu);
}

int gh_authz_usage_flush(struct gh_authz_usage *u, struct gh_store *store)
{
    pthread_mutex_lock(&u->flush_mu);
    struct pending *todo = NULL;
    size_t n = 0, cap = 0;
    for (size_t s = 0; s < SHARDS; s++) {
        struct shard *sh = &u->shards[s];
        pthread_mutex_lock(&sh->mu);
        for (size_t i = 0; i < sh->cap; i++) {
            struct rec *r = &sh->recs[i];
            if (!r->used || !r->pending)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                todo = gh_xrealloc(todo, cap * sizeof *todo);
            }
            memcpy(todo[n].id, r->id, sizeof r->id);
            todo[n].at = r->pending;
            n++;
            r->pending = 0;
        }
        pthread_mutex_unlock(&sh->mu);
    }
    int written = 0;
    if (n > 0) {
        struct gh_tx *tx = NULL;
        enum gh_store_rc rc = gh_store_begin(store, GH_TX_WRITE, &tx);
        for (size_t i = 0; rc == GH_STORE_OK && i < n; i++) {
            enum gh_store_rc r1 = gh_store_api_key_touch_last_used(tx, todo[i].id, todo[i].at);
            if (r1 == GH_STORE_OK)
                written++;
            else if (r1 != GH_STORE_NOT_FOUND) /* a key deleted meanwhile is fine */
                rc = r1;
        }
        if (rc == GH_STORE_OK)
            rc = gh_store_commit(tx);
        else if (tx)
            gh_store_rollback(tx);
        if (rc != GH_STORE_OK) {
            gh_log_msg_str(GH_LOG_WARN, "authz.usage_flush_failed", "error", gh_store_rc_name(rc));
            /* put them back for the next flush, unless a newer use came */
            for (size_t i = 0; i < n; i++)
                requeue(u, todo[i].id, todo[i].at);
            written = -1;
        }
    }
    free(todo);
    pthread_mutex_unlock(&u->flush_mu);
    return written;
}
