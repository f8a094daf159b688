/* The store: URL → backend, the connection pool, transactions, migrations,
 * the generation counter and the on-change hook (see store/store.h).
 *
 * The pool is a fixed array of slots, each one connection plus the gh_tx
 * that runs on it, handed out under one mutex; a thread that finds no idle
 * slot waits on a condition variable up to the busy timeout and then gets
 * GH_STORE_BUSY.  For single-writer engines (SQLite) write transactions also
 * queue here, so writers take turns in FIFO-ish order instead of sleeping
 * in the engine's busy handler.
 *
 * Change announcement: a touched write transaction calls the driver's
 * announce() just before COMMIT (PostgreSQL: pg_notify on
 * GH_STORE_CHANGES_CHANNEL, "gatehouse_changes", delivered to listeners only
 * if the transaction commits); other nodes refresh their snapshots from it.
 * A pool slot whose connection broke is reconnected before its next use. */
#include "store/store_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "store/schema.h"

#define DEFAULT_POOL_SIZE 4
#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define SCRATCH_BLOCK 4096

const char *gh_store_rc_name(enum gh_store_rc rc)
{
    switch (rc) {
    case GH_STORE_OK:
        return "ok";
    case GH_STORE_NOT_FOUND:
        return "not_found";
    case GH_STORE_CONFLICT:
        return "conflict";
    case GH_STORE_BUSY:
        return "busy";
    case GH_STORE_ERROR:
        return "error";
    }
    return "?";
}

/* ---- opening ------------------------------------------------------------ */

/* Picks the backend for url and the part of it that backend understands.
 * Returns false with a message for a URL this build cannot serve. */
static bool parse_url(const char *url, const struct gh_db_driver **drv, const char **target,
                      char *err, size_t errlen)
{
    if (!url || !*url) {
        snprintf(err, errlen, "no database given (a path, sqlite:PATH or postgres://…)");
        return false;
    }
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        *drv = &gh_db_pg_driver;
        *target = url; /* libpq parses the whole URL */
        return true;
    }
    *drv = &gh_db_sqlite_driver;
    if (strncmp(url, "sqlite://", 9) == 0)
        *target = url + 9;
    else if (strncmp(url, "sqlite:", 7) == 0)
        *target = url + 7;
    else
        *target = url; /* a path, or file:… which SQLite reads as a URI */
    const char *scheme_end = strstr(url, "://");
    if (*target == url && scheme_end && strncmp(url, "file:", 5) != 0) {
        snprintf(err, errlen,
                 "cannot open database %s: unknown URL scheme (use a path, sqlite:PATH "
                 "or postgres://…)",
                 url);
        return false;
    }
    if (!**target) {
        snprintf(err, errlen, "cannot open database %s: no path given", url);
        return false;
    }
    return true;
}

/* url as shown in messages: a PostgreSQL URL's password (user:PASSWORD@
 * or a password= parameter) replaced by "***"; anything else as it is. */
static void url_for_people(const char *url, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", url);
    if (strncmp(url, "postgres", 8) != 0)
        return;
    char *auth = strstr(out, "://");
    if (auth) {
        auth += 3;
        size_t n = strcspn(auth, "/?#");
        char *at = memchr(auth, '@', n);
        char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon) {
            char rest[512];
            snprintf(rest, sizeof rest, "%s", at);
            snprintf(colon, outlen - (size_t)(colon - out), ":***%s", rest);
        }
    }
    for (char *p = out; (p = strstr(p, "password=")) != NULL;) {
        p += 9;
        size_t n = strcspn(p, "&#");
        char rest[512];
        snprintf(rest, sizeof rest, "%s", p + n);
        snprintf(p, outlen - (size_t)(p - out), "***%s", rest);
        p += 3;
    }
}

static bool is_memory_target(const char *target)
{
    return strcmp(target, ":memory:") == 0 || strncmp(target, "file::memory:", 13) == 0 ||
           (strncmp(target, "file:", 5) == 0 && strstr(target, "mode=memory") != NULL);
}

/* The file an SQLite target names: the path itself, or the path part of a
 * file: URI ("file:data/gh.db?mode=rwc", "file:///var/lib/gh.db"); NULL for
 * an in-memory database. */
static char *target_file_path(const char *target)
{
    if (is_memory_target(target))
        return NULL;
    if (strncmp(target, "file:", 5) != 0)
        return gh_xstrdup(target);
    const char *p = target + 5;
    if (strncmp(p, "//", 2) == 0) { /* authority: empty or "localhost" */
        p += 2;
        if (strncmp(p, "localhost", 9) == 0)
            p += 9;
        if (*p != '/')
            return NULL;
    }
    size_t n = strcspn(p, "?#");
    return n ? gh_xstrndup(p, n) : NULL;
}

const char *gh_store_file_path(const struct gh_store *s)
{
    return s->file_path;
}

bool gh_store_is_postgres(const struct gh_store *s)
{
    return s->drv == &gh_db_pg_driver;
}

const char *gh_store_target(const struct gh_store *s)
{
    return s->url;
}

static void pool_destroy(struct gh_store *s)
{
    for (int i = 0; i < s->pool_size; i++) {
        if (s->slots[i].db)
            s->drv->close(s->slots[i].db);
        gh_arena_free(s->slots[i].scratch);
    }
    free(s->slots);
    free(s->idle);
}

void gh_store_close(struct gh_store *s)
{
    if (!s)
        return;
    pool_destroy(s);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->slot_free);
    pthread_cond_destroy(&s->writer_done);
    free(s->target);
    free(s->url);
    free(s->file_path);
    free(s);
}

static enum gh_store_rc ensure_bookkeeping(struct gh_store *s)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(s, GH_TX_WRITE, &tx);
    if (rc != GH_STORE_OK)
        return rc;
    rc = s->drv->exec(tx->db, GH_SCHEMA_MIGRATIONS_DDL);
    if (rc != GH_STORE_OK) {
        gh_store_tx_db_error(tx, "create schema_migrations");
        gh_store_rollback(tx);
        return rc;
    }
    return gh_store_commit(tx);
}

struct gh_store *gh_store_open(const char *url, const struct gh_store_options *opt, char *err,
                               size_t errlen)
{
    static const struct gh_store_options defaults = {0};
    const struct gh_db_driver *drv;
    const char *target;
    if (!opt)
        opt = &defaults;
    if (!parse_url(url, &drv, &target, err, errlen))
        return NULL;

    struct gh_store *s = gh_xcalloc(1, sizeof *s);
    s->drv = drv;
    s->target = gh_xstrdup(target);
    s->url = gh_xstrdup(url);
    s->file_path = drv == &gh_db_sqlite_driver ? target_file_path(target) : NULL;
    s->busy_timeout_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS;
    s->pool_size = opt->pool_size > 0 ? opt->pool_size : DEFAULT_POOL_SIZE;
    if (drv == &gh_db_sqlite_driver && is_memory_target(target))
        s->pool_size = 1; /* each connection would see its own empty database */
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->slot_free, &ca);
    pthread_cond_init(&s->writer_done, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&s->generation, 0);
    uint8_t origin[GH_STORE_ORIGIN_LEN / 2];
    gh_random_bytes(origin, sizeof origin);
    gh_hex_encode(origin, sizeof origin, s->origin);
    atomic_init(&s->errors, 0);

    s->slots = gh_xcalloc((size_t)s->pool_size, sizeof *s->slots);
    s->idle = gh_xcalloc((size_t)s->pool_size, sizeof *s->idle);
    for (int i = 0; i < s->pool_size; i++) {
        struct gh_tx *tx = &s->slots[i];
        tx->store = s;
        tx->scratch = gh_arena_new(SCRATCH_BLOCK);
        tx->db = drv->connect(s->target, s->busy_timeout_ms, err, errlen);
        if (!tx->db) {
            gh_store_close(s);
            return NULL;
        }
        s->idle[s->n_idle++] = tx;
    }

    char shown[512];
    url_for_people(url, shown, sizeof shown);
    int version = 0;
    enum gh_store_rc rc = ensure_bookkeeping(s);
    if (rc == GH_STORE_OK)
        rc = gh_store_schema_version(s, &version);
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "cannot open database %s: cannot read its schema version (%s)", shown,
                 gh_store_rc_name(rc));
        gh_store_close(s);
        return NULL;
    }
    if (version > gh_store_schema_latest()) {
        snprintf(err, errlen,
                 "cannot open database %s: its schema version %d is newer than this gatehouse "
                 "knows (%d); upgrade gatehouse",
                 shown, version, gh_store_schema_latest());
        gh_store_close(s);
        return NULL;
    }
    if (opt->migrate) {
        char why[256];
        if (gh_store_migrate(s, NULL, NULL, why, sizeof why) != GH_STORE_OK) {
            snprintf(err, errlen, "cannot migrate database %s: %s", shown, why);
            gh_store_close(s);
            return NULL;
        }
    }
    return s;
}

const char *gh_store_backend(const struct gh_store *s)
{
    return s->drv->name;
}

/* ---- errors ------------------------------------------------------------- */

static void count_error(struct gh_tx *tx, enum gh_store_rc rc, const char *what)
{
    if (rc != GH_STORE_BUSY && rc != GH_STORE_ERROR)
        return;
    atomic_fetch_add(&tx->store->errors, 1);
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_WARN, "store.error")) {
        gh_log_str(&l, "op", what);
        gh_log_str(&l, "rc", gh_store_rc_name(rc));
        gh_log_str(&l, "error", tx->error);
        gh_log_end(&l);
    }
}

enum gh_store_rc gh_store_tx_db_error(struct gh_tx *tx, const char *what)
{
    enum gh_store_rc rc = gh_db_error_rc(tx->store->drv, tx->db);
    snprintf(tx->error, sizeof tx->error, "%s: %s", what, tx->store->drv->errmsg(tx->db));
    if (tx->failed == GH_STORE_OK)
        tx->failed = rc;
    count_error(tx, rc, what);
    return rc;
}

enum gh_store_rc gh_store_tx_fail(struct gh_tx *tx, enum gh_store_rc rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tx->error, sizeof tx->error, fmt, ap);
    va_end(ap);
    if (tx->failed == GH_STORE_OK)
        tx->failed = rc;
    count_error(tx, rc, "store");
    return rc;
}

enum gh_store_rc gh_store_tx_usable(struct gh_tx *tx, bool write)
{
    if (tx->failed != GH_STORE_OK)
        return tx->failed;
    if (write && tx->mode != GH_TX_WRITE)
        return gh_store_tx_fail(tx, GH_STORE_ERROR, "a write in a read transaction");
    return GH_STORE_OK;
}

uint64_t gh_store_error_count(const struct gh_store *s)
{
    return atomic_load(&((struct gh_store *)s)->errors);
}

const char *gh_store_tx_error(const struct gh_tx *tx)
{
    return tx->error;
}

/* ---- the pool and transactions ------------------------------------------ */

static struct timespec deadline_after(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static void release_slot(struct gh_tx *tx)
{
    struct gh_store *s = tx->store;
    tx->active = false;
    pthread_mutex_lock(&s->mu);
    /* Broadcasts: a woken thread may find it needs the other condition
     * (a writer waits for both), so a single signal could be lost on it. */
    if (tx->mode == GH_TX_WRITE && s->drv->single_writer) {
        s->writer_active = false;
        pthread_cond_broadcast(&s->writer_done);
    }
    s->idle[s->n_idle++] = tx;
    pthread_cond_broadcast(&s->slot_free);
    pthread_mutex_unlock(&s->mu);
}

/* Waits (up to the busy timeout) until a slot is idle and, for a queued
 * writer, no other write transaction runs; both are re-checked after every
 * wake-up, since another thread may have taken what the signal announced. */
static enum gh_store_rc take_slot(struct gh_store *s, enum gh_tx_mode mode, struct gh_tx **out)
{
    struct timespec deadline = deadline_after(s->busy_timeout_ms);
    bool queue_writer = mode == GH_TX_WRITE && s->drv->single_writer;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        bool writer_blocked = queue_writer && s->writer_active;
        if (!writer_blocked && s->n_idle > 0)
            break;
        int err = pthread_cond_timedwait(writer_blocked ? &s->writer_done : &s->slot_free, &s->mu,
                                         &deadline);
        if (err == ETIMEDOUT && ((queue_writer && s->writer_active) || s->n_idle == 0)) {
            pthread_mutex_unlock(&s->mu);
            return GH_STORE_BUSY;
        }
    }
    if (queue_writer)
        s->writer_active = true;
    struct gh_tx *tx = s->idle[--s->n_idle];
    pthread_mutex_unlock(&s->mu);
    tx->mode = mode;
    *out = tx;
    return GH_STORE_OK;
}

/* Begins on tx's connection.  A connection found broken (the server
 * restarted, the network dropped) is re-established first; one that turns
 * out broken only when BEGIN fails is re-established and BEGIN retried once,
 * so the first request after a database restart does not fail needlessly. */
static enum gh_store_rc begin_on_live_connection(struct gh_tx *tx, enum gh_tx_mode mode)
{
    const struct gh_db_driver *drv = tx->store->drv;
    bool write = mode == GH_TX_WRITE;
    if (!drv->alive)
        return drv->begin(tx->db, write);
    if (!drv->alive(tx->db) && drv->reconnect(tx->db) != GH_STORE_OK)
        return GH_STORE_ERROR;
    enum gh_store_rc rc = drv->begin(tx->db, write);
    if (rc == GH_STORE_OK || drv->alive(tx->db))
        return rc;
    if (drv->reconnect(tx->db) != GH_STORE_OK)
        return GH_STORE_ERROR;
    return drv->begin(tx->db, write);
}

enum gh_store_rc gh_store_begin(struct gh_store *s, enum gh_tx_mode mode, struct gh_tx **out)
{
    struct gh_tx *tx;
    *out = NULL;
    enum gh_store_rc rc = take_slot(s, mode, &tx);
    if (rc != GH_STORE_OK) {
        atomic_fetch_add(&s->errors, 1);
        gh_log_msg_str(GH_LOG_WARN, "store.error", "error", "no database connection free in time");
        return rc;
    }
    gh_arena_reset(tx->scratch);
    tx->touched = false;
    tx->failed = GH_STORE_OK;
    tx->error[0] = '\0';
    rc = begin_on_live_connection(tx, mode);
    if (rc != GH_STORE_OK) {
        gh_store_tx_db_error(tx, "begin");
        release_slot(tx);
        return rc;
    }
    tx->active = true;
    *out = tx;
    return GH_STORE_OK;
}

/* The hook runs after the slot went back to the pool: it usually begins a
 * read transaction of its own (the snapshot rebuild), which must not find
 * the pool exhausted by its own caller. */
enum gh_store_rc gh_store_commit(struct gh_tx *tx)
{
    struct gh_store *s = tx->store;
    if (tx->failed != GH_STORE_OK) {
        enum gh_store_rc rc = tx->failed;
        s->drv->rollback(tx->db);
        release_slot(tx);
        return rc;
    }
    enum gh_store_rc rc = GH_STORE_OK;
    if (tx->touched && tx->mode == GH_TX_WRITE && s->drv->announce) {
        rc = s->drv->announce(tx->db, s->origin);
        if (rc != GH_STORE_OK) {
            gh_store_tx_db_error(tx, "announce");
            s->drv->rollback(tx->db);
            release_slot(tx);
            return rc;
        }
    }
    rc = s->drv->commit(tx->db);
    if (rc != GH_STORE_OK) {
        gh_store_tx_db_error(tx, "commit");
        s->drv->rollback(tx->db);
        release_slot(tx);
        return rc;
    }
    bool changed = tx->touched;
    if (changed)
        atomic_fetch_add(&s->generation, 1);
    release_slot(tx);
    if (changed) {
        pthread_mutex_lock(&s->mu);
        void (*fn)(void *) = s->on_change;
        void *ctx = s->on_change_ctx;
        pthread_mutex_unlock(&s->mu);
        if (fn)
            fn(ctx);
    }
    return GH_STORE_OK;
}

void gh_store_rollback(struct gh_tx *tx)
{
    if (!tx)
        return;
    tx->store->drv->rollback(tx->db);
    release_slot(tx);
}

void gh_store_tx_touch(struct gh_tx *tx)
{
    tx->touched = true;
}

void gh_store_set_on_change(struct gh_store *s, void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&s->mu);
    s->on_change = fn;
    s->on_change_ctx = ctx;
    pthread_mutex_unlock(&s->mu);
}

uint64_t gh_store_generation(const struct gh_store *s)
{
    return atomic_load(&((struct gh_store *)s)->generation);
}

/* ---- schema ------------------------------------------------------------- */

int gh_store_schema_latest(void)
{
    return GH_SCHEMA_VERSION;
}

static enum gh_store_rc read_version(struct gh_tx *tx, int *version)
{
    const struct gh_db_driver *drv = tx->store->drv;
    struct gh_db_stmt *st = drv->prepare(tx->db, "SELECT MAX(version) FROM schema_migrations");
    if (!st)
        return gh_store_tx_db_error(tx, "read schema version");
    enum gh_store_rc rc = GH_STORE_OK;
    switch (drv->step(st)) {
    case GH_DB_ROW:
        *version = drv->column_is_null(st, 0) ? 0 : (int)drv->column_int64(st, 0);
        break;
    case GH_DB_DONE:
        *version = 0;
        break;
    case GH_DB_FAIL:
        rc = gh_store_tx_db_error(tx, "read schema version");
        break;
    }
    drv->reset(st);
    return rc;
}

enum gh_store_rc gh_store_schema_version(struct gh_store *s, int *version)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(s, GH_TX_READ, &tx);
    if (rc != GH_STORE_OK)
        return rc;
    rc = read_version(tx, version);
    if (rc != GH_STORE_OK) {
        gh_store_rollback(tx);
        return rc;
    }
    return gh_store_commit(tx);
}

static enum gh_store_rc record_version(struct gh_tx *tx, int version)
{
    const struct gh_db_driver *drv = tx->store->drv;
    struct gh_db_stmt *st =
        drv->prepare(tx->db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
    if (!st)
        return gh_store_tx_db_error(tx, "record migration");
    enum gh_store_rc rc = drv->bind_int64(st, 1, version);
    if (rc == GH_STORE_OK)
        rc = drv->bind_int64(st, 2, (int64_t)time(NULL));
    if (rc != GH_STORE_OK || drv->step(st) == GH_DB_FAIL)
        rc = gh_store_tx_db_error(tx, "record migration");
    drv->reset(st);
    return rc;
}

/* Applies one migration unless another process got there first (the write
 * transaction serializes us with it, so the re-read version is current). */
static enum gh_store_rc apply_one(struct gh_store *s, int version, char *err, size_t errlen)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(s, GH_TX_WRITE, &tx);
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "migration %d: cannot begin a transaction (%s)", version,
                 gh_store_rc_name(rc));
        return rc;
    }
    int current = 0;
    rc = read_version(tx, &current);
    if (rc == GH_STORE_OK && current < version) {
        rc = s->drv->exec(tx->db, s->drv->migrations[version - 1]);
        if (rc != GH_STORE_OK)
            rc = gh_store_tx_db_error(tx, "migration");
        else
            rc = record_version(tx, version);
    }
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "migration %d failed: %s", version, tx->error);
        gh_store_rollback(tx);
        return rc;
    }
    rc = gh_store_commit(tx);
    if (rc != GH_STORE_OK)
        snprintf(err, errlen, "migration %d: commit failed (%s)", version, gh_store_rc_name(rc));
    return rc;
}

enum gh_store_rc gh_store_migrate(struct gh_store *s, int *from, int *to, char *err, size_t errlen)
{
    int version = 0;
    int latest = gh_store_schema_latest();
    enum gh_store_rc rc = gh_store_schema_version(s, &version);
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "cannot read the schema version (%s)", gh_store_rc_name(rc));
        return rc;
    }
    if (from)
        *from = version;
    if (to)
        *to = version;
    if (version > latest) {
        snprintf(err, errlen,
                 "database schema version %d is newer than this gatehouse knows (%d); upgrade "
                 "gatehouse",
                 version, latest);
        return GH_STORE_ERROR;
    }
    for (int v = version + 1; v <= latest; v++) {
        rc = apply_one(s, v, err, errlen);
        if (rc != GH_STORE_OK)
            return rc;
        if (to)
            *to = v;
        struct gh_log_line l;
        if (gh_log_begin(&l, GH_LOG_INFO, "store.migrated")) {
            gh_log_int(&l, "version", v);
            gh_log_end(&l);
        }
    }
    return GH_STORE_OK;
}

bool gh_store_ready(struct gh_store *s, char *why, size_t whylen)
{
    int version = 0;
    enum gh_store_rc rc = gh_store_schema_version(s, &version);
    if (rc != GH_STORE_OK) {
        snprintf(why, whylen, "database not reachable (%s)", gh_store_rc_name(rc));
        return false;
    }
    if (version != gh_store_schema_latest()) {
        snprintf(why, whylen, "database schema version %d, this gatehouse needs %d%s", version,
                 gh_store_schema_latest(),
                 version < gh_store_schema_latest() ? ": run gatehouse migrate" : "");
        return false;
    }
    if (whylen)
        why[0] = '\0';
    return true;
}
