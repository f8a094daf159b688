/* Publishing snapshots to reader threads with hazard pointers.
 *
 * Every thread that reads gets a process-wide reader id (0..MAX_READERS-1)
 * the first time it acquires; the id is returned by a thread-exit destructor.
 * Each holder has one cache-line-aligned hazard slot per id, so a reader
 * writes only its own line: no shared counter bounces between cores per
 * request.
 *
 * Reader (acquire):  s = current; loop { slot = s; t = current; if t == s
 *                    break; s = t }   -- then uses s; release: slot = NULL.
 * Publisher:         old = exchange(current, new); retire(old); for each
 *                    retired r: free r unless some slot == r.
 *
 * Why a reader never uses a freed snapshot.  The slot store, the re-check
 * load of current, the publisher's exchange and its loads of the slots are
 * all seq_cst, so they occur in one total order S consistent with each
 * thread's program order.  Suppose the reader returns s and a publisher
 * retired s with an exchange X.  The reader's re-check R returned s, so R
 * precedes X in S (after X, current is never s again unless s is published
 * anew, which only a live snapshot can be).  The reader's slot store W comes
 * before R in program order, hence W < R < X < the publisher's scan loads of
 * that slot, and a seq_cst load returns the last store before it in S: the
 * scan sees s (or a later store by the same reader, which is only made by
 * release after the reader is done with s), so s is kept.  Conversely a
 * reader whose slot store came after the scan re-checks current, finds the
 * new snapshot and retries, never touching s.  If the allocator hands a freed
 * snapshot's address to a newer published snapshot, the re-check that
 * compares equal is about that live snapshot, which W already protects.
 *
 * Visibility of contents: the publisher builds the snapshot before the
 * exchange (a release); the reader's re-check that returns it is an acquire,
 * so everything the builder wrote happens-before the reader's lookups.
 * Release stores NULL with release order, so the reader's last reads happen
 * before a scan (acquire) that sees the slot empty and frees the snapshot. */
#include "store/snapshot.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/log.h"
#include "store/snapshot_int.h"

/* ---- reader ids ----------------------------------------------------------- */

static _Atomic unsigned char reader_id_used[GH_SNAPSHOT_MAX_READERS];
static _Thread_local int reader_id = -1;
static pthread_key_t reader_key;
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;

/* Thread exit: the thread's slots are empty (acquire/release pair up), so its
 * id can go to the next thread. */
static void reader_id_return(void *value)
{
    int id = (int)(intptr_t)value - 1;
    atomic_store_explicit(&reader_id_used[id], 0, memory_order_release);
    reader_id = -1;
}

static void reader_key_create(void)
{
    if (pthread_key_create(&reader_key, reader_id_return) != 0) {
        gh_log_msg(GH_LOG_ERROR, "snapshot.pthread_key_create_failed");
        abort();
    }
}

/* The calling thread's reader id; the first call takes a free one (lock-free). */
static int reader_id_get(void)
{
    if (reader_id >= 0)
        return reader_id;
    pthread_once(&reader_once, reader_key_create);
    for (int i = 0; i < GH_SNAPSHOT_MAX_READERS; i++) {
        unsigned char expected = 0;
        if (atomic_load_explicit(&reader_id_used[i], memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong(&reader_id_used[i], &expected, 1)) {
            reader_id = i;
            pthread_setspecific(reader_key, (void *)(intptr_t)(i + 1));
            return i;
        }
    }
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_ERROR, "snapshot.too_many_reader_threads")) {
        gh_log_int(&l, "max", GH_SNAPSHOT_MAX_READERS);
        gh_log_end(&l);
    }
    abort();
}

/* ---- holder --------------------------------------------------------------- */

struct gh_snapshot_holder *gh_snapshot_holder_new(void)
{
    /* sizeof is a multiple of the alignment, as aligned_alloc wants */
    struct gh_snapshot_holder *h = aligned_alloc(GH_SNAPSHOT_CACHE_LINE, sizeof *h);
    if (!h) {
        gh_log_msg(GH_LOG_ERROR, "out of memory");
        abort();
    }
    for (int i = 0; i < GH_SNAPSHOT_MAX_READERS; i++)
        atomic_init(&h->slots[i].snap, NULL);
    struct gh_snapshot *empty = gh_snapshot_builder_finish(gh_snapshot_builder_new());
    atomic_init(&h->current, empty);
    atomic_init(&h->current_generation, gh_snapshot_generation(empty));
    atomic_init(&h->current_built_at_ms, gh_snapshot_built_at_ms(empty));
    pthread_mutex_init(&h->publish_mu, NULL);
    h->retired = NULL;
    h->n_retired = 0;
    pthread_mutex_init(&h->refresh_mu, NULL);
    h->loaded = false;
    h->loaded_generation = 0;
    h->watched = NULL;
    atomic_init(&h->n_loads, 0);
    atomic_init(&h->n_skips, 0);
    atomic_init(&h->n_failures, 0);
    atomic_init(&h->last_load_us, 0);
    atomic_init(&h->ever_loaded, false);
    atomic_init(&h->feed_down, false);
    atomic_init(&h->synced_at_ms, 0);
    atomic_init(&h->max_staleness_ms, 0);
    return h;
}

/* Frees every retired snapshot no slot points to.  publish_mu held. */
static void reclaim_locked(struct gh_snapshot_holder *h)
{
    if (!h->retired)
        return;
    const struct gh_snapshot *hazards[GH_SNAPSHOT_MAX_READERS] = {0};
    size_t n = 0;
    for (int i = 0; i < GH_SNAPSHOT_MAX_READERS; i++) {
        const struct gh_snapshot *s = atomic_load(&h->slots[i].snap);
        if (s)
            hazards[n++] = s;
    }
    struct gh_snapshot_retired **pp = &h->retired;
    while (*pp) {
        struct gh_snapshot_retired *r = *pp;
        bool held = false;
        for (size_t i = 0; i < n && !held; i++)
            held = hazards[i] == r->snap;
        if (held) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        gh_snapshot_free(r->snap);
        free(r);
        h->n_retired--;
    }
}

void gh_snapshot_publish(struct gh_snapshot_holder *h, struct gh_snapshot *snap)
{
    assert(snap);
    pthread_mutex_lock(&h->publish_mu);
    struct gh_snapshot *old = atomic_exchange(&h->current, snap);
    atomic_store(&h->current_generation, gh_snapshot_generation(snap));
    atomic_store(&h->current_built_at_ms, gh_snapshot_built_at_ms(snap));
    struct gh_snapshot_retired *r = gh_xmalloc(sizeof *r);
    r->snap = old;
    r->next = h->retired;
    h->retired = r;
    h->n_retired++;
    reclaim_locked(h);
    pthread_mutex_unlock(&h->publish_mu);
}

const struct gh_snapshot *gh_snapshot_acquire(struct gh_snapshot_holder *h)
{
    _Atomic(const struct gh_snapshot *) *slot = &h->slots[reader_id_get()].snap;
    assert(atomic_load_explicit(slot, memory_order_relaxed) == NULL); /* no nesting */
    const struct gh_snapshot *s = atomic_load_explicit(&h->current, memory_order_relaxed);
    for (;;) {
        atomic_store_explicit(slot, s, memory_order_seq_cst);
        const struct gh_snapshot *again = atomic_load_explicit(&h->current, memory_order_seq_cst);
        if (again == s)
            return s;
        s = again;
    }
}

void gh_snapshot_release(struct gh_snapshot_holder *h, const struct gh_snapshot *s)
{
    _Atomic(const struct gh_snapshot *) *slot = &h->slots[reader_id_get()].snap;
    assert(atomic_load_explicit(slot, memory_order_relaxed) == s);
    (void)s;
    atomic_store_explicit(slot, NULL, memory_order_release);
}

size_t gh_snapshot_holder_retired(struct gh_snapshot_holder *h)
{
    pthread_mutex_lock(&h->publish_mu);
    size_t n = h->n_retired;
    pthread_mutex_unlock(&h->publish_mu);
    return n;
}

uint64_t gh_snapshot_holder_generation(struct gh_snapshot_holder *h)
{
    return atomic_load(&h->current_generation);
}

int64_t gh_snapshot_holder_age_ms(struct gh_snapshot_holder *h, int64_t now_ms)
{
    int64_t age = now_ms - atomic_load(&h->current_built_at_ms);
    return age > 0 ? age : 0;
}

/* ---- staleness ------------------------------------------------------------ */

void gh_snapshot_holder_set_max_staleness(struct gh_snapshot_holder *h, int64_t max_ms)
{
    atomic_store(&h->max_staleness_ms, max_ms > 0 ? max_ms : 0);
}

/* Raises synced_at to t (a later load may already have raised it further). */
void gh_snapshot_holder_synced_at_least(struct gh_snapshot_holder *h, int64_t t)
{
    int64_t cur = atomic_load(&h->synced_at_ms);
    while (cur < t && !atomic_compare_exchange_weak(&h->synced_at_ms, &cur, t)) {
    }
}

void gh_snapshot_holder_feed_lost(struct gh_snapshot_holder *h, int64_t synced_at_ms)
{
    gh_snapshot_holder_synced_at_least(h, synced_at_ms);
    atomic_store(&h->feed_down, true);
}

void gh_snapshot_holder_feed_restored(struct gh_snapshot_holder *h)
{
    atomic_store(&h->feed_down, false);
}

bool gh_snapshot_holder_stale(struct gh_snapshot_holder *h, int64_t now_ms, char *why,
                              size_t whylen)
{
    if (!atomic_load_explicit(&h->feed_down, memory_order_relaxed))
        return false;
    int64_t max = atomic_load_explicit(&h->max_staleness_ms, memory_order_relaxed);
    int64_t age = now_ms - atomic_load_explicit(&h->synced_at_ms, memory_order_relaxed);
    if (max <= 0 || age <= max)
        return false;
    if (why && whylen)
        snprintf(why, whylen,
                 "The database has been unreachable for %lld s, longer than this node may answer "
                 "from its copy of the access data (%lld s); retry later",
                 (long long)(age / 1000), (long long)(max / 1000));
    return true;
}

int64_t gh_snapshot_holder_synced_at_ms(struct gh_snapshot_holder *h)
{
    return atomic_load(&h->synced_at_ms);
}

void gh_snapshot_holder_free(struct gh_snapshot_holder *h)
{
    if (!h)
        return;
    for (int i = 0; i < GH_SNAPSHOT_MAX_READERS; i++)
        assert(atomic_load(&h->slots[i].snap) == NULL);
    struct gh_snapshot_retired *r = h->retired;
    while (r) {
        struct gh_snapshot_retired *next = r->next;
        gh_snapshot_free(r->snap);
        free(r);
        r = next;
    }
    gh_snapshot_free(atomic_load(&h->current));
    pthread_mutex_destroy(&h->publish_mu);
    pthread_mutex_destroy(&h->refresh_mu);
    free(h);
}
