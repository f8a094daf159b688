/* The outbox delivery worker, mail and webhooks (portal/mailer.h). */
#include "portal/mailer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/log.h"
#include "crypto/random.h"
#include "domain/id.h"
#include "portal/webhooks.h"

#define BATCH 32 /* messages claimed per transaction */

struct gh_mailer {
    struct gh_store *store;
    char *dir;
    bool smtp; /* cfg.smtp.url set: send through SMTP, else write files */
    /* copies behind cfg.smtp's strings */
    char *smtp_url, *smtp_from, *smtp_user, *smtp_password;
    struct gh_mailer_config cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    bool nudged;
    bool stopping;
    bool have_seal_key;
    uint8_t seal_key[GH_AEAD_KEY_BYTES]; /* opens webhook secrets */
    /* gh_mailer_get_stats */
    _Atomic uint64_t sent, attempt_failures, failed;
    _Atomic uint64_t wh_sent, wh_attempt_failures, wh_failed;
};

static int64_t now_of(const struct gh_mailer *m)
{
    return m->cfg.clock ? m->cfg.clock(m->cfg.clock_ctx) : (int64_t)time(NULL);
}

/* mkdir -p with mode 0700 for each directory made; existing ones are kept
 * as they are. */
static bool make_dirs(const char *path, char *err, size_t errlen)
{
    char *p = gh_xstrdup(path);
    bool ok = true;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            char why[128];
            snprintf(err, errlen, "cannot create the mail directory %s: %s", p,
                     strerror_r(errno, why, sizeof why));
            ok = false;
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (ok && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))) {
        snprintf(err, errlen, "the mail directory %s is not a directory", path);
        ok = false;
    }
    free(p);
    return ok;
}

/* "20261123T160509Z" */
static void utc_stamp(int64_t t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Writes msg's body to its file atomically: a dot-file in the same
 * directory, fsynced, renamed over the final name, then the directory
 * fsynced so the rename survives a crash.  On failure err says what
 * failed (the step, a path and the errno text). */
static bool write_message(const struct gh_mailer *m, const struct gh_outbox_msg *msg, char *name,
                          size_t namelen, char *err, size_t errlen)
{
    char stamp[17];
    utc_stamp(msg->created_at, stamp);
    snprintf(name, namelen, "%s-%s.eml", stamp, msg->id);
    size_t n = strlen(m->dir) + strlen(name) + 8;
    char *final = gh_xmalloc(n), *tmp = gh_xmalloc(n);
    snprintf(final, n, "%s/%s", m->dir, name);
    snprintf(tmp, n, "%s/.%s.tmp", m->dir, name);
    const char *body = msg->body ? msg->body : "";
    const char *failed = NULL; /* the step that failed */
    const char *path = tmp;
    int saved;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        failed = "open";
    } else {
        if (!write_all(fd, body, strlen(body)))
            failed = "write";
        else if (fsync(fd) != 0)
            failed = "fsync";
        saved = errno;
        if (close(fd) != 0 && !failed)
            failed = "close";
        else
            errno = saved;
        if (!failed && rename(tmp, final) != 0)
            failed = "rename";
        if (failed) {
            saved = errno;
            unlink(tmp);
            errno = saved;
        }
    }
    if (!failed) {
        path = m->dir;
        int dfd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0)
            failed = "fsync";
        saved = errno;
        if (dfd >= 0)
            close(dfd);
        errno = saved;
    }
    if (failed) {
        char why[128];
        snprintf(err, errlen, "%s %s: %s", failed, path, strerror_r(errno, why, sizeof why));
    }
    free(final);
    free(tmp);
    return !failed;
}

/* Seconds until the next try after a message's attempts-th failure: the
 * nominal delay retry_base_secs * 2^(attempts-1), capped at retry_max_secs,
 * moved by a random amount of up to a quarter of it either way (whole
 * seconds, from the kernel's CSPRNG) so that mail that failed together (an
 * SMTP server down) does not come back in one burst; then held within
 * [1, retry_max_secs].  The injected clock does not come into it: tests
 * step the clock to the stored next_attempt_at. */
static int64_t retry_delay(const struct gh_mailer *m, int attempts)
{
    int64_t cap = m->cfg.retry_max_secs;
    int64_t d = m->cfg.retry_base_secs;
    for (int i = 1; i < attempts && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    int64_t span = d / 4;
    if (span > 0)
        d += (int64_t)(gh_random_u64() % (uint64_t)(2 * span + 1)) - span;
    if (d > cap)
        d = cap;
    return d < 1 ? 1 : d;
}

static void log_store_problem(const char *what, enum gh_store_rc rc, struct gh_tx *tx)
{
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_WARN, "mail.store_error")) {
        gh_log_str(&l, "step", what);
        gh_log_str(&l, "rc", gh_store_rc_name(rc));
        if (tx)
            gh_log_str(&l, "error", gh_store_tx_error(tx));
        gh_log_end(&l);
    }
}

/* Sends msg through SMTP to its recipient. */
static bool send_message(const struct gh_mailer *m, const struct gh_outbox_msg *msg, char *err,
                         size_t errlen)
{
    if (!msg->recipient || !*msg->recipient) {
        snprintf(err, errlen, "the message has no recipient");
        return false;
    }
    const char *body = msg->body ? msg->body : "";
    return gh_smtp_send(&m->cfg.smtp, msg->recipient, body, strlen(body), err, errlen);
}

/* POSTs a webhook message to its webhook.  *gone is set when the webhook
 * was deleted or disabled (no attempt can succeed). */
static bool send_webhook(const struct gh_mailer *m, const struct gh_outbox_msg *msg, bool *gone,
                         char *err, size_t errlen)
{
    *gone = false;
    if (!m->have_seal_key) {
        snprintf(err, errlen, "no key to open webhook secrets");
        return false;
    }
    struct gh_arena *a = gh_arena_new(4096);
    struct gh_tx *tx = NULL;
    struct gh_webhook w;
    enum gh_store_rc rc = gh_store_begin(m->store, GH_TX_READ, &tx);
    if (rc == GH_STORE_OK) {
        rc = msg->recipient ? gh_store_webhook_get(tx, msg->recipient, a, &w) : GH_STORE_NOT_FOUND;
        gh_store_rollback(tx);
    }
    bool ok = false;
    if (rc == GH_STORE_NOT_FOUND || (rc == GH_STORE_OK && !w.enabled)) {
        *gone = true;
        snprintf(err, errlen, "webhook deleted");
    } else if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "store: cannot read the webhook (%s)", gh_store_rc_name(rc));
    } else {
        char *secret = gh_webhooks_open_secret(a, m->seal_key, &w);
        if (!secret)
            snprintf(err, errlen, "the webhook's secret cannot be opened with this master key");
        else
            ok = gh_webhook_send(&m->cfg.webhook, w.url, secret, msg->id, (int64_t)time(NULL),
                                 msg->body ? msg->body : "", err, errlen);
        if (secret)
            explicit_bzero(secret, strlen(secret));
    }
    gh_arena_free(a);
    return ok;
}

/* Delivers one claimed message (SMTP, file or webhook POST) and settles it
 * in its own transaction. */
static void deliver(struct gh_mailer *m, const struct gh_outbox_msg *msg)
{
    char name[128] = "", err[512] = "";
    bool webhook = msg->channel == GH_OUTBOX_WEBHOOK;
    /* the id becomes a file name and a header: nothing but a well-formed id may */
    bool bad_id = !gh_id_valid(msg->id, GH_ID_OUTBOX_MSG);
    bool gone = false;
    bool ok = false;
    if (bad_id)
        snprintf(err, sizeof err, "the message id is not a well-formed msg_ id");
    else if (webhook)
        ok = send_webhook(m, msg, &gone, err, sizeof err);
    else if (m->smtp)
        ok = send_message(m, msg, err, sizeof err);
    else
        ok = write_message(m, msg, name, sizeof name, err, sizeof err);
    int attempts = msg->attempts + 1;
    bool final = !ok && (bad_id || gone || attempts >= m->cfg.max_attempts);
    int64_t now = now_of(m);
    struct gh_tx *tx = NULL;
    enum gh_store_rc rc = gh_store_begin(m->store, GH_TX_WRITE, &tx);
    if (rc != GH_STORE_OK)
        tx = NULL;
    if (rc == GH_STORE_OK) {
        rc = ok ? gh_store_outbox_mark_sent(tx, msg->id, now)
                : gh_store_outbox_mark_attempt_failed(tx, msg->id, err,
                                                      now + retry_delay(m, attempts), final);
        if (rc == GH_STORE_OK) {
            rc = gh_store_commit(tx);
            tx = NULL;
        }
    }
    /* Unsettled, the message stays leased and is delivered again (to the
     * same file; by SMTP with the same Message-ID) when the lease ends. */
    if (rc != GH_STORE_OK)
        log_store_problem(ok ? "mark_sent" : "mark_attempt_failed", rc, tx);
    if (rc != GH_STORE_OK && tx)
        gh_store_rollback(tx);

    if (webhook) {
        atomic_fetch_add(ok ? &m->wh_sent : &m->wh_attempt_failures, 1);
        if (final)
            atomic_fetch_add(&m->wh_failed, 1);
    } else {
        atomic_fetch_add(ok ? &m->sent : &m->attempt_failures, 1);
        if (final)
            atomic_fetch_add(&m->failed, 1);
    }
    struct gh_log_line l;
    if (webhook) {
        if (gh_log_begin(&l,
                         ok      ? GH_LOG_INFO
                         : final ? GH_LOG_ERROR
                                 : GH_LOG_WARN,
                         ok ? "webhook.sent" : "webhook.attempt_failed")) {
            gh_log_str(&l, "msg_id", msg->id);
            gh_log_str(&l, "event", msg->event ? msg->event : "");
            gh_log_str(&l, "webhook_id", msg->recipient ? msg->recipient : "");
            gh_log_int(&l, "attempts", attempts);
            if (!ok) {
                gh_log_bool(&l, "final", final);
                gh_log_str(&l, "error", err);
            }
            gh_log_end(&l);
        }
    } else if (ok) {
        if (gh_log_begin(&l, GH_LOG_INFO, "mail.sent")) {
            gh_log_str(&l, "msg_id", msg->id);
            gh_log_str(&l, "event", msg->event ? msg->event : "");
            gh_log_str(&l, "transport", m->smtp ? "smtp" : "file");
            gh_log_int(&l, "attempts", attempts);
            if (!m->smtp)
                gh_log_str(&l, "file", name);
            gh_log_end(&l);
        }
    } else if (gh_log_begin(&l, final ? GH_LOG_ERROR : GH_LOG_WARN, "mail.attempt_failed")) {
        gh_log_str(&l, "msg_id", msg->id);
        gh_log_str(&l, "event", msg->event ? msg->event : "");
        gh_log_int(&l, "attempts", attempts);
        gh_log_bool(&l, "final", final);
        gh_log_str(&l, "transport", m->smtp ? "smtp" : "file");
        gh_log_str(&l, "error", err);
        gh_log_end(&l);
    }
}

/* One round: claim due email in batches until fewer than a batch is due. */
static void deliver_due(struct gh_mailer *m)
{
    struct gh_arena *a = gh_arena_new(64 * 1024);
    for (;;) {
        gh_arena_reset(a);
        struct gh_tx *tx;
        struct gh_outbox_msg *msgs = NULL;
        size_t n = 0;
        enum gh_store_rc rc = gh_store_begin(m->store, GH_TX_WRITE, &tx);
        if (rc != GH_STORE_OK) {
            log_store_problem("begin", rc, NULL);
            break;
        }
        rc = gh_store_outbox_claim_due(tx, now_of(m), BATCH, a, &msgs, &n);
        if (rc != GH_STORE_OK) {
            log_store_problem("claim_due", rc, tx);
            gh_store_rollback(tx);
            break;
        }
        rc = gh_store_commit(tx);
        if (rc != GH_STORE_OK) {
            log_store_problem("commit claim", rc, NULL);
            break;
        }
        for (size_t i = 0; i < n; i++)
            deliver(m, &msgs[i]);
        if (n < BATCH)
            break;
    }
    gh_arena_free(a);
}

static void *run(void *arg)
{
    struct gh_mailer *m = arg;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        bool last = m->stopping;
        m->nudged = false;
        pthread_mutex_unlock(&m->mu);
        deliver_due(m);
        pthread_mutex_lock(&m->mu);
        if (last)
            break;
        if (!m->nudged && !m->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += m->cfg.poll_interval_ms / 1000;
            until.tv_nsec += (m->cfg.poll_interval_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            while (!m->nudged && !m->stopping &&
                   pthread_cond_timedwait(&m->cv, &m->mu, &until) != ETIMEDOUT) {
            }
        }
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? gh_xstrdup(s) : NULL;
}

static void free_mailer(struct gh_mailer *m)
{
    if (m->smtp_password)
        explicit_bzero(m->smtp_password, strlen(m->smtp_password));
    free(m->smtp_url);
    free(m->smtp_from);
    free(m->smtp_user);
    free(m->smtp_password);
    free(m->dir);
    explicit_bzero(m->seal_key, sizeof m->seal_key);
    gh_smtp_global_cleanup();
    free(m);
}

/* The SMTP settings' own checks: a usable URL and a sender. */
static bool smtp_config_ok(const struct gh_smtp_config *s, char *err, size_t errlen)
{
    char why[256];
    if (!gh_smtp_url_valid(s->url, why, sizeof why)) {
        snprintf(err, errlen, "--smtp-url: %s", why);
        return false;
    }
    if (!s->from || !*s->from || !strchr(s->from, '@') || strpbrk(s->from, "<>\r\n \t")) {
        snprintf(err, errlen, "--smtp-from: expected an email address such as noreply@example.com");
        return false;
    }
    return true;
}

struct gh_mailer *gh_mailer_start(struct gh_store *store, const struct gh_mailer_config *cfg,
                                  char *err, size_t errlen)
{
    bool smtp = cfg->smtp.url && *cfg->smtp.url;
    if (smtp) {
        if (!smtp_config_ok(&cfg->smtp, err, errlen))
            return NULL;
    } else {
        if (!cfg->mail_dir || !*cfg->mail_dir) {
            snprintf(err, errlen, "no mail directory given");
            return NULL;
        }
        if (!make_dirs(cfg->mail_dir, err, errlen))
            return NULL;
    }
    /* libcurl serves SMTP and webhooks alike */
    if (!gh_smtp_global_init()) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return NULL;
    }
    struct gh_mailer *m = gh_xcalloc(1, sizeof *m);
    m->store = store;
    m->cfg = *cfg;
    m->smtp = smtp;
    m->dir = dup_or_null(cfg->mail_dir);
    if (m->dir) {
        size_t len = strlen(m->dir);
        while (len > 1 && m->dir[len - 1] == '/')
            m->dir[--len] = '\0';
    }
    m->cfg.mail_dir = m->dir;
    if (cfg->key && cfg->key_len) {
        gh_webhooks_derive_seal_key(cfg->key, cfg->key_len, m->seal_key);
        m->have_seal_key = true;
    }
    m->cfg.key = NULL; /* the derived key is all the worker keeps */
    m->cfg.key_len = 0;
    m->smtp_url = smtp ? gh_xstrdup(cfg->smtp.url) : NULL;
    m->smtp_from = smtp ? gh_xstrdup(cfg->smtp.from) : NULL;
    m->smtp_user = smtp && cfg->smtp.user && *cfg->smtp.user ? gh_xstrdup(cfg->smtp.user) : NULL;
    m->smtp_password = m->smtp_user ? dup_or_null(cfg->smtp.password) : NULL;
    m->cfg.smtp = (struct gh_smtp_config){
        .url = m->smtp_url,
        .from = m->smtp_from,
        .user = m->smtp_user,
        .password = m->smtp_password,
        .connect_timeout_ms = cfg->smtp.connect_timeout_ms,
        .timeout_ms = cfg->smtp.timeout_ms,
    };
    if (m->cfg.poll_interval_ms <= 0)
        m->cfg.poll_interval_ms = GH_MAILER_POLL_MS;
    if (m->cfg.max_attempts <= 0)
        m->cfg.max_attempts = GH_MAILER_MAX_ATTEMPTS;
    if (m->cfg.retry_base_secs <= 0)
        m->cfg.retry_base_secs = GH_MAILER_RETRY_BASE_SECS;
    if (m->cfg.retry_max_secs <= 0)
        m->cfg.retry_max_secs = GH_MAILER_RETRY_MAX_SECS;
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = pthread_create(&m->thread, NULL, run, m);
    if (rc != 0) {
        char why[128];
        snprintf(err, errlen, "cannot start the mail worker: %s", strerror_r(rc, why, sizeof why));
        pthread_cond_destroy(&m->cv);
        pthread_mutex_destroy(&m->mu);
        free_mailer(m);
        return NULL;
    }
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_INFO, "mail.worker_started")) {
        gh_log_str(&l, "transport", smtp ? "smtp" : "file");
        if (smtp) {
            gh_log_str(&l, "smtp_url", m->smtp_url); /* holds no credentials */
            gh_log_bool(&l, "smtp_auth", m->smtp_user != NULL);
        } else {
            gh_log_str(&l, "mail_dir", m->dir);
        }
        gh_log_int(&l, "max_attempts", m->cfg.max_attempts);
        gh_log_int(&l, "retry_base_secs", m->cfg.retry_base_secs);
        gh_log_end(&l);
    }
    return m;
}

void gh_mailer_nudge(struct gh_mailer *m)
{
    pthread_mutex_lock(&m->mu);
    m->nudged = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

void gh_mailer_stop(struct gh_mailer *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->stopping = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free_mailer(m);
}

void gh_mailer_get_stats(struct gh_mailer *m, struct gh_mailer_stats *out)
{
    out->sent = atomic_load(&m->sent);
    out->attempt_failures = atomic_load(&m->attempt_failures);
    out->failed = atomic_load(&m->failed);
    out->webhook_sent = atomic_load(&m->wh_sent);
    out->webhook_attempt_failures = atomic_load(&m->wh_attempt_failures);
    out->webhook_failed = atomic_load(&m->wh_failed);
}
