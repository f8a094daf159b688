/* The PostgreSQL change feed (see store/listen.h).
 *
 * One thread, one libpq connection.  The thread sleeps in poll() on the
 * connection's socket and on a pipe that gh_listener_stop writes to, so it
 * stops at once; the poll timeout is the next timer (periodic reload, retry
 * of a failed catch-up, reconnection backoff), at most a second.
 *
 * Why moving the store generation is enough to reload: gh_snapshot_refresh
 * skips only when the store generation equals the one its last load was read
 * at.  A notification is delivered after its transaction committed, so the
 * generation bumped after receiving it is read by a load that begins after
 * the commit and sees the change.  A load running concurrently (a local
 * commit's on-change refresh) either began after the bump and saw the
 * change too, or is followed by ours.
 *
 * The staleness clock of a lost feed starts at its last sign of life: the
 * last wake-up that found the connection intact.  A server that shuts down
 * or a reset connection is noticed at once; a silently dead network only by
 * TCP keepalives (10 s idle, then 3 probes 5 s apart, unless the URL says
 * otherwise), so there the clock may start up to ~25 s late. */
#include "store/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/store_int.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define POLL_MAX_MS 1000

struct gh_listener {
    struct gh_store *store;
    struct gh_snapshot_holder *holder;
    int64_t refresh_ms;
    pthread_t thread;
    int wake[2]; /* pipe: a byte on wake[1] stops the thread */
    PGconn *conn;
    bool synced_at_start; /* start connected and caught up before the thread ran */

    pthread_mutex_t mu;   /* guards the readiness state below */
    bool up;              /* LISTEN active and a load after it published */
    int64_t down_since;   /* Unix ms the feed was lost; 0: never up yet, or up */
    bool ever_up;         /* the first connection succeeded once */
    char last_error[200]; /* why the feed is down (no password: libpq's message) */

    _Atomic uint64_t notifications, own, reloads, reconnects;
};

/* libpq's message, first line only (it adds hints on later lines). */
static void set_error(struct gh_listener *l, const char *what, const char *msg)
{
    char line[160];
    snprintf(line, sizeof line, "%s", msg && *msg ? msg : "unknown error");
    line[strcspn(line, "\r\n")] = '\0';
    pthread_mutex_lock(&l->mu);
    snprintf(l->last_error, sizeof l->last_error, "%s: %s", what, line);
    pthread_mutex_unlock(&l->mu);
}

/* The feed is down (or never came up): the holder's staleness clock runs
 * from last_alive (Unix ms), readiness says since when. */
static void mark_down(struct gh_listener *l, int64_t last_alive)
{
    pthread_mutex_lock(&l->mu);
    bool was_up = l->up;
    l->up = false;
    if (l->down_since == 0)
        l->down_since = gh_realtime_ms();
    char err[sizeof l->last_error];
    snprintf(err, sizeof err, "%s", l->last_error);
    pthread_mutex_unlock(&l->mu);
    gh_snapshot_holder_feed_lost(l->holder, last_alive);
    if (was_up) {
        struct gh_log_line line;
        if (gh_log_begin(&line, GH_LOG_WARN, "listener.lost")) {
            gh_log_str(&line, "error", err);
            gh_log_end(&line);
        }
    }
}

static void mark_up(struct gh_listener *l)
{
    gh_snapshot_holder_feed_restored(l->holder);
    pthread_mutex_lock(&l->mu);
    bool again = l->ever_up;
    int64_t since = l->down_since;
    l->up = true;
    l->ever_up = true;
    l->down_since = 0;
    l->last_error[0] = '\0';
    pthread_mutex_unlock(&l->mu);
    if (again)
        atomic_fetch_add(&l->reconnects, 1);
    struct gh_log_line line;
    if (gh_log_begin(&line, GH_LOG_INFO, again ? "listener.caught_up" : "listener.connected")) {
        if (again && since)
            gh_log_int(&line, "down_ms", gh_realtime_ms() - since);
        gh_log_end(&line);
    }
}

/* Moves the store generation (a change elsewhere) and reloads. */
static bool reload(struct gh_listener *l)
{
    atomic_fetch_add(&l->store->generation, 1);
    atomic_fetch_add(&l->reloads, 1);
    return gh_snapshot_refresh(l->holder, l->store);
}

static void disconnect(struct gh_listener *l)
{
    if (l->conn) {
        PQfinish(l->conn);
        l->conn = NULL;
    }
}

/* Server notices and asynchronous errors ("terminating connection due to
 * administrator command") go to the log, not to stderr as libpq would: the
 * loss itself is reported by the caller. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    char line[200];
    snprintf(line, sizeof line, "%s", message);
    line[strcspn(line, "\r\n")] = '\0';
    gh_log_msg_str(GH_LOG_DEBUG, "listener.notice", "message", line);
}

/* A new connection with LISTEN active, or false with the error recorded.
 * connect_timeout and keepalives are defaults the URL may override (later
 * keywords win, and the URL is expanded last). */
static bool connect_and_listen(struct gh_listener *l)
{
    static const char *const keys[] = {"connect_timeout",
                                       "keepalives_idle",
                                       "keepalives_interval",
                                       "keepalives_count",
                                       "application_name",
                                       "dbname",
                                       NULL};
    const char *vals[] = {"5", "10", "5", "3", "gatehouse-listener", gh_store_target(l->store),
                          NULL};
    l->conn = PQconnectdbParams(keys, vals, 1);
    if (!l->conn || PQstatus(l->conn) != CONNECTION_OK) {
        set_error(l, "cannot connect", l->conn ? PQerrorMessage(l->conn) : "out of memory");
        disconnect(l);
        return false;
    }
    PQsetNoticeProcessor(l->conn, on_notice, NULL);
    PGresult *r = PQexec(l->conn, "LISTEN " GH_STORE_CHANGES_CHANNEL);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        set_error(l, "LISTEN failed", PQerrorMessage(l->conn));
    PQclear(r);
    if (!ok)
        disconnect(l);
    return ok;
}

/* Sleeps up to ms, or until stopped: true when stopped. */
static bool sleep_or_stop(struct gh_listener *l, int64_t ms)
{
    struct pollfd p = {.fd = l->wake[0], .events = POLLIN};
    return poll(&p, 1, (int)ms) > 0;
}

static void *listener_main(void *arg)
{
    struct gh_listener *l = arg;
    int64_t backoff = BACKOFF_MIN_MS;
    int64_t last_alive = gh_realtime_ms(); /* the snapshot main loaded just before */
    bool first = true;
    for (;;) {
        if (!l->conn && !connect_and_listen(l)) {
            mark_down(l, last_alive);
            if (sleep_or_stop(l, backoff))
                break;
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        backoff = BACKOFF_MIN_MS;
        /* LISTEN is active: what commits from now on is announced.  A load
         * begun now catches up with what was missed; until it succeeds the
         * node is not ready (retried at the backoff pace). */
        bool synced = first && l->synced_at_start;
        first = false;
        int64_t retry_at = 0, next_full = synced ? gh_monotonic_ms() + l->refresh_ms : 0;
        bool stop = false;
        for (;;) {
            int64_t now = gh_monotonic_ms();
            if (!synced && now >= retry_at) {
                if (reload(l)) {
                    synced = true;
                    mark_up(l);
                    next_full = gh_monotonic_ms() + l->refresh_ms;
                } else {
                    set_error(l, "reloading after reconnecting",
                              "the snapshot load failed (logged)");
                    retry_at = now + backoff;
                    backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
                }
            } else if (synced && now >= next_full) {
                reload(l); /* the safety net; a failure is logged and counted */
                next_full = now + l->refresh_ms;
            }
            now = gh_monotonic_ms();
            int64_t wait = synced ? next_full - now : retry_at - now;
            if (wait > POLL_MAX_MS)
                wait = POLL_MAX_MS;
            if (wait < 0)
                wait = 0;
            struct pollfd p[2] = {{.fd = l->wake[0], .events = POLLIN},
                                  {.fd = PQsocket(l->conn), .events = POLLIN}};
            int n = poll(p, 2, (int)wait);
            if (n < 0 && errno != EINTR) {
                set_error(l, "poll", strerror(errno));
                break;
            }
            if (n > 0 && p[0].revents) {
                stop = true;
                break;
            }
            if (n > 0 && p[1].revents && !PQconsumeInput(l->conn)) {
                set_error(l, "connection lost", PQerrorMessage(l->conn));
                break;
            }
            if (PQstatus(l->conn) != CONNECTION_OK) {
                set_error(l, "connection lost", PQerrorMessage(l->conn));
                break;
            }
            last_alive = gh_realtime_ms();
            /* every notification queued now is covered by one reload */
            uint64_t got = 0, own = 0;
            PGnotify *nf;
            while ((nf = PQnotifies(l->conn)) != NULL) {
                got++;
                /* this store's own commit: its snapshot has it already */
                if (nf->extra && strcmp(nf->extra, l->store->origin) == 0)
                    own++;
                PQfreemem(nf);
            }
            if (got) {
                atomic_fetch_add(&l->notifications, got);
                atomic_fetch_add(&l->own, own);
                if (synced && got > own)
                    reload(l);
            }
        }
        disconnect(l);
        if (stop)
            break;
        mark_down(l, last_alive);
        if (sleep_or_stop(l, backoff))
            break;
    }
    disconnect(l);
    return NULL;
}

struct gh_listener *gh_listener_start(struct gh_store *store, struct gh_snapshot_holder *holder,
                                      int refresh_secs, char *err, size_t errlen)
{
    if (!gh_store_is_postgres(store)) {
        snprintf(err, errlen, "the change listener needs a PostgreSQL store");
        return NULL;
    }
    struct gh_listener *l = gh_xcalloc(1, sizeof *l);
    l->store = store;
    l->holder = holder;
    l->refresh_ms =
        (int64_t)(refresh_secs > 0 ? refresh_secs : GH_LISTENER_DEFAULT_REFRESH_SECS) * 1000;
    pthread_mutex_init(&l->mu, NULL);
    atomic_init(&l->notifications, 0);
    atomic_init(&l->reloads, 0);
    atomic_init(&l->own, 0);
    atomic_init(&l->reconnects, 0);
    if (pipe(l->wake) != 0) {
        snprintf(err, errlen, "change listener: pipe: %s", strerror(errno));
        pthread_mutex_destroy(&l->mu);
        free(l);
        return NULL;
    }
    fcntl(l->wake[0], F_SETFD, FD_CLOEXEC);
    fcntl(l->wake[1], F_SETFD, FD_CLOEXEC);
    /* The first connection and catch-up here, so that a node is ready when
     * it starts serving; whatever fails is retried by the thread. */
    if (connect_and_listen(l) && reload(l)) {
        l->synced_at_start = true;
        mark_up(l);
    } else if (!l->conn) {
        mark_down(l, gh_realtime_ms());
    }
    int rc = pthread_create(&l->thread, NULL, listener_main, l);
    if (rc != 0) {
        snprintf(err, errlen, "change listener: cannot start its thread: %s", strerror(rc));
        close(l->wake[0]);
        close(l->wake[1]);
        disconnect(l);
        pthread_mutex_destroy(&l->mu);
        free(l);
        return NULL;
    }
    return l;
}

void gh_listener_stop(struct gh_listener *l)
{
    if (!l)
        return;
    ssize_t w;
    do
        w = write(l->wake[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(l->thread, NULL);
    close(l->wake[0]);
    close(l->wake[1]);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

bool gh_listener_ready(struct gh_listener *l, char *why, size_t whylen)
{
    pthread_mutex_lock(&l->mu);
    bool up = l->up;
    int64_t since = l->down_since;
    char err[sizeof l->last_error];
    snprintf(err, sizeof err, "%s", l->last_error);
    pthread_mutex_unlock(&l->mu);
    if (up)
        return true;
    if (!since) {
        snprintf(why, whylen, "the change feed is connecting to the database");
        return false;
    }
    time_t t = (time_t)(since / 1000);
    struct tm tm;
    char when[32];
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(why, whylen, "database unreachable since %s%s%s", when, *err ? ": " : "", err);
    return false;
}

void gh_listener_get_stats(struct gh_listener *l, struct gh_listener_stats *out)
{
    pthread_mutex_lock(&l->mu);
    out->connected = l->up;
    out->down_since_ms = l->down_since;
    pthread_mutex_unlock(&l->mu);
    out->notifications = atomic_load(&l->notifications);
    out->reloads = atomic_load(&l->reloads);
    out->own = atomic_load(&l->own);
    out->reconnects = atomic_load(&l->reconnects);
}
