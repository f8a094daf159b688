/* gatehouse: the command line.  Each command is one function below that
 * declares its options, parses them and runs; see `gatehouse --help`. */
#include "authz/authz.h"
#include "core/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/version.h"
#include "crypto/hash.h"
#include "crypto/keyfile.h"
#include "crypto/secret.h"
#include "domain/id.h"
#include "http/ops.h"
#include "http/router.h"
#include "http/server.h"
#include "http/throttle.h"
#include "oauth/keys.h"
#include "oauth/oauth.h"
#include "oauth/token.h"
#include "portal/admin_cli.h"
#include "portal/mailer.h"
#include "portal/notify.h"
#include "portal/portal.h"
#include "portal/web.h"
#include "portal/token_cli.h"
#include "store/entities.h"
#include "store/listen.h"
#include "store/snapshot.h"
#include "store/store.h"

#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/opensslv.h>

#define EXIT_USAGE 2
#define SNAPSHOT_RETRY_SECONDS 5
#define SWEEP_EVERY_SECONDS 60

static const char *default_db(void)
{
    return "gatehouse.db";
}

#define DB_OPTION(dst)                                                                             \
    {                                                                                              \
        "db", "GATEHOUSE_DB", "PATH|URL",                                                          \
            "database: an SQLite file path (created if missing) or a postgres:// URL",             \
            GH_OPT_STRING, (dst), 0, 0                                                             \
    }

#define KEY_FILE_OPTION(dst)                                                                       \
    {                                                                                              \
        "key-file", "GATEHOUSE_KEY_FILE", "PATH",                                                  \
            "server key that secrets are hashed under, created if missing (none given: the "       \
            "database file + \".key\")",                                                           \
            GH_OPT_STRING, (dst), 0, 0                                                             \
    }

/* Platform-admin API tokens: "ghadm_" + 43 base64url characters. */
#define ADMIN_TOKEN_PREFIX "ghadm_"

/* The key file defaults to sit beside an SQLite database ("gatehouse.db" →
 * "gatehouse.db.key"), so a database and its key are backed up and moved
 * together but never stored in one file; other stores use ./gatehouse.key. */
static const char *key_file_for(const char *key_file, const struct gh_store *store, char *buf,
                                size_t len)
{
    if (key_file && *key_file)
        return key_file;
    const char *path = gh_store_file_path(store);
    if (!path || (size_t)snprintf(buf, len, "%s.key", path) >= len)
        return "gatehouse.key";
    return buf;
}

/* The master key: GATEHOUSE_MASTER_KEY (64 hex digits) when set, for
 * deployments that keep secrets out of files; else the key file, created on
 * first use.  It keys the hashes of generated secrets and, through a derived
 * key, the encryption of signing keys at rest. */
static bool load_key(const char *cmd, const char *key_file, uint8_t key[GH_KEY_BYTES])
{
    char err[512];
    bool created;
    const char *env = getenv("GATEHOUSE_MASTER_KEY");
    if (env && *env) {
        if (strlen(env) != 2 * GH_KEY_BYTES ||
            !gh_hex_decode(env, strlen(env), key, GH_KEY_BYTES)) {
            fprintf(stderr,
                    "%s: GATEHOUSE_MASTER_KEY must be %d hex digits (e.g. from: openssl rand -hex "
                    "32)\n",
                    cmd, 2 * GH_KEY_BYTES);
            return false;
        }
        return true;
    }
    if (!gh_keyfile_load(key_file, true, key, &created, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return false;
    }
    if (created) {
        struct gh_log_line l;
        /* warn: an operator must notice a new key and back it up */
        if (gh_log_begin(&l, GH_LOG_WARN, "key.created")) {
            gh_log_str(&l, "path", key_file);
            gh_log_str(&l, "note",
                       "back this file up with the database; secrets cannot be checked without it");
            gh_log_end(&l);
        }
    }
    return true;
}

static int cli_status(enum gh_cli_result r)
{
    return r == GH_CLI_HELP ? EXIT_SUCCESS : EXIT_USAGE;
}

/* ---- serve -------------------------------------------------------------- */

struct serve_config {
    struct gh_listen listen;
    const char *db;
    long long threads;
    enum gh_log_level log_level;
    size_t max_body;
    size_t max_header;
    long long conn_timeout;
    long long max_connections;
    long long shutdown_grace_ms;
    const char *key_file;
    const char *public_url;
    const char *mail_dir;
    const char *mail_from;
    const char *smtp_url;
    const char *smtp_from;
    const char *smtp_user;
    long long mail_retry_base;
    long long mail_max_attempts;
    long long webhook_connect_timeout;
    long long webhook_timeout;
    const char *mail_templates;
    long long session_idle;
    long long session_max;
    long long verify_ttl;
    long long reset_ttl;
    long long max_token_days;
    const char *issuer;
    const char *default_audience;
    const char *token_alg;
    long long key_lead;
    long long token_lifetime;
    long long authz_leeway;
    const char *authz_api_key_header;
    const char *authz_cert_header;
    const char *trusted_proxies;
    long long authz_cache_size;
    long long max_staleness;
    long long snapshot_refresh;
};

struct app {
    struct gh_store *store;
    struct gh_snapshot_holder *snapshot;
    uint8_t key[GH_KEY_BYTES];
    struct gh_ops_probes probes;
    struct gh_authz *authz;   /* its counters join /metrics */
    struct gh_mailer *mailer; /* likewise */
    struct gh_web *web;       /* likewise (CSP reports) */
    /* PostgreSQL: follows other nodes' changes; readiness and /metrics */
    struct gh_listener *listener;
};

static bool app_ready(void *ctx, char *why, size_t whylen)
{
    struct app *a = ctx;
    if (a->listener && !gh_listener_ready(a->listener, why, whylen))
        return false;
    if (!gh_store_ready(a->store, why, whylen))
        return false;
    struct gh_snapshot_refresh_stats st;
    gh_snapshot_refresh_stats(a->snapshot, &st);
    if (!st.loaded)
        snprintf(why, whylen, "the in-memory read model has not been loaded from the store");
    return st.loaded;
}

/* The outbox as the store has it (every node's messages) and what this
 * process's mail worker did. */
static void outbox_metrics(struct app *a, struct gh_buf *out)
{
    static const enum gh_outbox_state states[] = {GH_OUTBOX_PENDING, GH_OUTBOX_SENT,
                                                  GH_OUTBOX_FAILED};
    int64_t counts[3] = {0, 0, 0}, oldest = 0;
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(a->store, GH_TX_READ, &tx);
    if (rc == GH_STORE_OK) {
        for (size_t i = 0; rc == GH_STORE_OK && i < 3; i++)
            rc = gh_store_outbox_count_by_state(tx, states[i], &counts[i]);
        if (rc == GH_STORE_OK)
            rc = gh_store_outbox_oldest_pending(tx, &oldest);
        gh_store_rollback(tx);
    }
    if (rc == GH_STORE_OK) {
        gh_buf_puts(out, "# HELP gatehouse_outbox_messages Outgoing messages in the outbox by "
                         "state.\n# TYPE gatehouse_outbox_messages gauge\n");
        for (size_t i = 0; i < 3; i++)
            gh_buf_printf(out, "gatehouse_outbox_messages{state=\"%s\"} %lld\n",
                          gh_outbox_state_name(states[i]), (long long)counts[i]);
        int64_t age = oldest ? (int64_t)time(NULL) - oldest : 0;
        gh_buf_printf(out,
                      "# HELP gatehouse_outbox_oldest_pending_age_seconds Age of the oldest "
                      "message not delivered yet (0: none).\n"
                      "# TYPE gatehouse_outbox_oldest_pending_age_seconds gauge\n"
                      "gatehouse_outbox_oldest_pending_age_seconds %lld\n",
                      (long long)(age > 0 ? age : 0));
    }
    if (a->mailer) {
        struct gh_mailer_stats st;
        gh_mailer_get_stats(a->mailer, &st);
        gh_buf_printf(out,
                      "# HELP gatehouse_mail_sent_total Mails this process delivered.\n"
                      "# TYPE gatehouse_mail_sent_total counter\n"
                      "gatehouse_mail_sent_total %llu\n"
                      "# HELP gatehouse_mail_attempt_failures_total Delivery attempts that failed "
                      "(retried later, or final).\n"
                      "# TYPE gatehouse_mail_attempt_failures_total counter\n"
                      "gatehouse_mail_attempt_failures_total %llu\n"
                      "# HELP gatehouse_mail_failed_total Mails given up on after their last "
                      "attempt.\n"
                      "# TYPE gatehouse_mail_failed_total counter\n"
                      "gatehouse_mail_failed_total %llu\n",
                      (unsigned long long)st.sent, (unsigned long long)st.attempt_failures,
                      (unsigned long long)st.failed);
        gh_buf_printf(out,
                      "# HELP gatehouse_webhook_sent_total Webhook deliveries this process "
                      "made (2xx answers).\n"
                      "# TYPE gatehouse_webhook_sent_total counter\n"
                      "gatehouse_webhook_sent_total %llu\n"
                      "# HELP gatehouse_webhook_attempt_failures_total Webhook delivery attempts "
                      "that failed (retried later, or final).\n"
                      "# TYPE gatehouse_webhook_attempt_failures_total counter\n"
                      "gatehouse_webhook_attempt_failures_total %llu\n"
                      "# HELP gatehouse_webhook_failed_total Webhook deliveries given up on "
                      "(last attempt failed, or webhook deleted).\n"
                      "# TYPE gatehouse_webhook_failed_total counter\n"
                      "gatehouse_webhook_failed_total %llu\n",
                      (unsigned long long)st.webhook_sent,
                      (unsigned long long)st.webhook_attempt_failures,
                      (unsigned long long)st.webhook_failed);
    }
}

static void app_metrics(void *ctx, struct gh_buf *out)
{
    struct app *a = ctx;
    struct gh_snapshot_refresh_stats st;
    gh_snapshot_refresh_stats(a->snapshot, &st);
    gh_buf_printf(
        out,
        "# HELP gatehouse_snapshot_age_seconds Time since the in-memory read model was built; a "
        "quiet "
        "system keeps its snapshot, see gatehouse_snapshot_refresh_failures_total.\n"
        "# TYPE gatehouse_snapshot_age_seconds gauge\n"
        "gatehouse_snapshot_age_seconds %.3f\n"
        "# HELP gatehouse_snapshot_generation Store generation the read model reflects.\n"
        "# TYPE gatehouse_snapshot_generation gauge\n"
        "gatehouse_snapshot_generation %llu\n"
        "# HELP gatehouse_snapshot_loads_total Snapshots loaded from the store and published.\n"
        "# TYPE gatehouse_snapshot_loads_total counter\n"
        "gatehouse_snapshot_loads_total %llu\n"
        "# HELP gatehouse_snapshot_refresh_failures_total Snapshot refreshes whose load failed.\n"
        "# TYPE gatehouse_snapshot_refresh_failures_total counter\n"
        "gatehouse_snapshot_refresh_failures_total %llu\n"
        "# HELP gatehouse_snapshot_last_load_seconds Duration of the last snapshot load and "
        "publish.\n"
        "# TYPE gatehouse_snapshot_last_load_seconds gauge\n"
        "gatehouse_snapshot_last_load_seconds %.6f\n",
        (double)gh_snapshot_holder_age_ms(a->snapshot, gh_realtime_ms()) / 1000.0,
        (unsigned long long)gh_snapshot_holder_generation(a->snapshot),
        (unsigned long long)st.loads, (unsigned long long)st.failures,
        (double)st.last_load_us / 1e6);
    gh_buf_printf(
        out,
        "# HELP gatehouse_store_errors_total Store operations that failed.\n"
        "# TYPE gatehouse_store_errors_total counter\n"
        "gatehouse_store_errors_total %llu\n"
        "# HELP gatehouse_store_generation Committed changes to hot-path data since start.\n"
        "# TYPE gatehouse_store_generation gauge\n"
        "gatehouse_store_generation %llu\n"
        "# HELP gatehouse_build_info Build information.\n"
        "# TYPE gatehouse_build_info gauge\n"
        "gatehouse_build_info{version=\"%s\",store=\"%s\"} 1\n",
        (unsigned long long)gh_store_error_count(a->store),
        (unsigned long long)gh_store_generation(a->store), GH_VERSION, gh_store_backend(a->store));
    if (a->authz)
        gh_authz_metrics(a->authz, out);
    outbox_metrics(a, out);
    if (a->listener) {
        struct gh_listener_stats ls;
        gh_listener_get_stats(a->listener, &ls);
        gh_buf_printf(out,
                      "# HELP gatehouse_change_feed_up 1 while this node follows PostgreSQL's "
                      "change notifications and its snapshot has caught up.\n"
                      "# TYPE gatehouse_change_feed_up gauge\n"
                      "gatehouse_change_feed_up %d\n"
                      "# HELP gatehouse_change_notifications_total Change notifications received.\n"
                      "# TYPE gatehouse_change_notifications_total counter\n"
                      "gatehouse_change_notifications_total %llu\n"
                      "# HELP gatehouse_change_feed_reconnects_total Times the change feed came "
                      "back after losing the database.\n"
                      "# TYPE gatehouse_change_feed_reconnects_total counter\n"
                      "gatehouse_change_feed_reconnects_total %llu\n",
                      ls.connected ? 1 : 0, (unsigned long long)ls.notifications,
                      (unsigned long long)ls.reconnects);
    }
    if (a->web)
        gh_web_metrics(a->web, out);
}

/* Deletes what has expired and is no longer needed: opaque tokens, revoked
 * JWT ids (kept only until the token itself would have expired) and login
 * sessions.  One short write transaction; failures are logged and retried
 * at the next sweep. */
static void sweep_expired(struct gh_store *store, int64_t now)
{
    struct gh_tx *tx;
    if (gh_store_begin(store, GH_TX_WRITE, &tx) != GH_STORE_OK)
        return;
    int64_t tokens = 0, jtis = 0, sessions = 0;
    enum gh_store_rc rc = gh_store_opaque_token_purge_expired(tx, now, &tokens);
    if (rc == GH_STORE_OK)
        rc = gh_store_revoked_jti_purge_expired(tx, now, &jtis);
    if (rc == GH_STORE_OK)
        rc = gh_store_session_purge_expired(tx, now, &sessions);
    if (rc != GH_STORE_OK) {
        gh_log_msg_str(GH_LOG_ERROR, "store.sweep_failed", "error", gh_store_tx_error(tx));
        gh_store_rollback(tx);
        return;
    }
    if (gh_store_commit(tx) != GH_STORE_OK)
        return;
    struct gh_log_line l;
    if ((tokens || jtis || sessions) && gh_log_begin(&l, GH_LOG_INFO, "store.swept")) {
        gh_log_int(&l, "opaque_tokens", tokens);
        gh_log_int(&l, "revoked_jtis", jtis);
        gh_log_int(&l, "sessions", sessions);
        gh_log_end(&l);
    }
}

static int cmd_serve(int argc, char **argv)
{
    struct serve_config c = {
        .db = default_db(),
        .threads = 0,
        .log_level = GH_LOG_INFO,
        .max_body = 1024 * 1024,
        .max_header = 16 * 1024,
        .conn_timeout = 30,
        .max_connections = 10000,
        .shutdown_grace_ms = 10000,
        .mail_dir = "mail",
        .mail_from = "gatehouse@localhost",
        .mail_retry_base = GH_MAILER_RETRY_BASE_SECS,
        .mail_max_attempts = GH_MAILER_MAX_ATTEMPTS,
        .webhook_connect_timeout = GH_WEBHOOK_CONNECT_TIMEOUT_SECS,
        .webhook_timeout = GH_WEBHOOK_TIMEOUT_SECS,
        .session_idle = 2 * 3600,
        .session_max = 24 * 3600,
        .verify_ttl = 48 * 3600,
        .reset_ttl = 3600,
        .max_token_days = 365,
        .token_alg = "ES256",
        .key_lead = 3600,
        .token_lifetime = GH_OAUTH_DEFAULT_TOKEN_SECS,
        .authz_leeway = GH_AUTHZ_DEFAULT_LEEWAY,
        .authz_api_key_header = GH_AUTHZ_DEFAULT_API_KEY_HEADER,
        .authz_cert_header = GH_AUTHZ_DEFAULT_CERT_HEADER,
        .authz_cache_size = GH_AUTHZ_DEFAULT_CACHE_SIZE,
        .max_staleness = 300,
        .snapshot_refresh = GH_LISTENER_DEFAULT_REFRESH_SECS,
    };
    strcpy(c.listen.host, "127.0.0.1");
    c.listen.port = 8080;
    const struct gh_opt opts[] = {
        {"listen", "GATEHOUSE_LISTEN", "HOST:PORT",
         "address to listen on; port 0 picks a free port", GH_OPT_LISTEN, &c.listen, 0, 0},
        DB_OPTION(&c.db),
        KEY_FILE_OPTION(&c.key_file),
        {"threads", "GATEHOUSE_THREADS", "N", "HTTP worker threads; 0 = one per CPU core",
         GH_OPT_INT, &c.threads, 0, 1024},
        {"log-level", "GATEHOUSE_LOG_LEVEL", "LEVEL",
         "debug, info (logs every request), warn, error or off", GH_OPT_LOG_LEVEL, &c.log_level, 0,
         0},
        {"max-body", "GATEHOUSE_MAX_BODY", "BYTES", "largest request body accepted (413 beyond)",
         GH_OPT_SIZE, &c.max_body, 1, 1LL << 30},
        {"max-header-size", "GATEHOUSE_MAX_HEADER_SIZE", "BYTES",
         "largest total of request headers (431 beyond)", GH_OPT_SIZE, &c.max_header, 1024,
         1 << 20},
        {"conn-timeout", "GATEHOUSE_CONN_TIMEOUT", "SECONDS", "close connections idle this long",
         GH_OPT_INT, &c.conn_timeout, 1, 3600},
        {"max-connections", "GATEHOUSE_MAX_CONNECTIONS", "N", "concurrent connections accepted",
         GH_OPT_INT, &c.max_connections, 1, 1000000},
        {"shutdown-grace", "GATEHOUSE_SHUTDOWN_GRACE", "MS",
         "on SIGTERM/SIGINT, how long requests in flight may take to finish", GH_OPT_INT,
         &c.shutdown_grace_ms, 0, 600000},
        {"public-url", "GATEHOUSE_PUBLIC_URL", "URL",
         "the address people reach gatehouse at, for links in mails; default: http://LISTEN",
         GH_OPT_STRING, &c.public_url, 0, 0},
        {"mail-dir", "GATEHOUSE_MAIL_DIR", "DIR",
         "outgoing mails are written here as .eml files (created if missing)", GH_OPT_STRING,
         &c.mail_dir, 0, 0},
        {"mail-from", "GATEHOUSE_MAIL_FROM", "ADDRESS", "sender address of outgoing mails",
         GH_OPT_STRING, &c.mail_from, 0, 0},
        {"smtp-url", "GATEHOUSE_SMTP_URL", "URL",
         "send mail through this SMTP server instead of --mail-dir: smtp://HOST:PORT (STARTTLS "
         "when offered) or smtps://HOST:PORT (TLS); password from GATEHOUSE_SMTP_PASSWORD",
         GH_OPT_STRING, &c.smtp_url, 0, 0},
        {"smtp-from", "GATEHOUSE_SMTP_FROM", "ADDRESS",
         "envelope sender (MAIL FROM) for SMTP; default: --mail-from", GH_OPT_STRING, &c.smtp_from,
         0, 0},
        {"smtp-user", "GATEHOUSE_SMTP_USER", "USER",
         "SMTP login; its password only from the environment variable GATEHOUSE_SMTP_PASSWORD",
         GH_OPT_STRING, &c.smtp_user, 0, 0},
        {"mail-templates", "GATEHOUSE_MAIL_TEMPLATES", "DIR",
         "mail templates overriding the built-in ones: <event>.subject, <event>.txt, "
         "<event>.html (docs/notifications.md)",
         GH_OPT_STRING, &c.mail_templates, 0, 0},
        {"mail-retry-base", "GATEHOUSE_MAIL_RETRY_BASE", "SECONDS",
         "delay before a failed mail's first retry, doubling each time up to an hour, +-25% at "
         "random",
         GH_OPT_INT, &c.mail_retry_base, 1, GH_MAILER_RETRY_MAX_SECS},
        {"mail-max-attempts", "GATEHOUSE_MAIL_MAX_ATTEMPTS", "N",
         "attempts to deliver a mail before it is marked failed", GH_OPT_INT, &c.mail_max_attempts,
         1, 1000},
        {"webhook-connect-timeout", "GATEHOUSE_WEBHOOK_CONNECT_TIMEOUT", "SECONDS",
         "time to connect to a webhook's URL before the attempt fails", GH_OPT_INT,
         &c.webhook_connect_timeout, 1, 300},
        {"webhook-timeout", "GATEHOUSE_WEBHOOK_TIMEOUT", "SECONDS",
         "whole time of one webhook delivery (connect, send, answer) before it fails", GH_OPT_INT,
         &c.webhook_timeout, 1, 600},
        {"session-idle", "GATEHOUSE_SESSION_IDLE", "SECONDS",
         "a login session unused this long ends", GH_OPT_INT, &c.session_idle, 1, 30 * 86400},
        {"session-max", "GATEHOUSE_SESSION_MAX", "SECONDS",
         "every login session ends this long after login", GH_OPT_INT, &c.session_max, 1,
         365 * 86400},
        {"verify-ttl", "GATEHOUSE_VERIFY_TTL", "SECONDS",
         "how long an email-verification link works", GH_OPT_INT, &c.verify_ttl, 1, 30 * 86400},
        {"reset-ttl", "GATEHOUSE_RESET_TTL", "SECONDS", "how long a password-reset link works",
         GH_OPT_INT, &c.reset_ttl, 1, 7 * 86400},
        {"max-token-days", "GATEHOUSE_MAX_TOKEN_DAYS", "DAYS",
         "longest lifetime of a personal API token; 0 = no limit", GH_OPT_INT, &c.max_token_days, 0,
         36500},
        {"issuer", "GATEHOUSE_ISSUER", "URL",
         "the token issuer (iss, discovery); default: the public URL", GH_OPT_STRING, &c.issuer, 0,
         0},
        {"default-audience", "GATEHOUSE_DEFAULT_AUDIENCE", "AUD",
         "aud of tokens whose request names no resource; default: none", GH_OPT_STRING,
         &c.default_audience, 0, 0},
        {"token-alg", "GATEHOUSE_TOKEN_ALG", "ALG",
         "algorithm of new signing keys: ES256, EdDSA or RS256", GH_OPT_STRING, &c.token_alg, 0, 0},
        {"key-lead", "GATEHOUSE_KEY_LEAD", "SECONDS",
         "a rotated key is published in JWKS this long before it signs", GH_OPT_INT, &c.key_lead, 5,
         30 * 86400},
        {"token-lifetime", "GATEHOUSE_TOKEN_LIFETIME", "SECONDS",
         "access-token lifetime unless the app sets its own", GH_OPT_INT, &c.token_lifetime, 60,
         366 * 86400},
        {"authz-leeway", "GATEHOUSE_AUTHZ_LEEWAY", "SECONDS",
         "clock leeway of /authz/check for a JWT's exp and nbf", GH_OPT_INT, &c.authz_leeway, 0,
         300},
        {"authz-api-key-header", "GATEHOUSE_AUTHZ_API_KEY_HEADER", "NAME",
         "request header carrying the API key of api_key APIs", GH_OPT_STRING,
         &c.authz_api_key_header, 0, 0},
        {"authz-cert-header", "GATEHOUSE_AUTHZ_CERT_HEADER", "NAME",
         "header in which a trusted proxy forwards the client certificate (escaped PEM or "
         "SHA-256 thumbprint)",
         GH_OPT_STRING, &c.authz_cert_header, 0, 0},
        {"trusted-proxies", "GATEHOUSE_TRUSTED_PROXIES", "LIST",
         "addresses or CIDR networks allowed to forward client certificates, comma-separated; "
         "default: none",
         GH_OPT_STRING, &c.trusted_proxies, 0, 0},
        {"authz-cache-size", "GATEHOUSE_AUTHZ_CACHE_SIZE", "N",
         "verified tokens /authz/check keeps in memory", GH_OPT_INT, &c.authz_cache_size, 1024,
         1LL << 26},
        {"max-staleness", "GATEHOUSE_MAX_STALENESS", "SECONDS",
         "on PostgreSQL, how long a node that lost the database keeps answering tokens and checks "
         "from its in-memory copy (503 beyond)",
         GH_OPT_INT, &c.max_staleness, 1, 30 * 86400},
        {"snapshot-refresh", "GATEHOUSE_SNAPSHOT_REFRESH", "SECONDS",
         "on PostgreSQL, the in-memory copy is also re-read this often (changes are pushed at "
         "once; this is the safety net)",
         GH_OPT_INT, &c.snapshot_refresh, 1, 86400},
    };
    char *pos[1];
    size_t npos;
    enum gh_cli_result r = gh_cli_parse(
        "gatehouse serve", "gatehouse serve [options]",
        "Runs the gatehouse server: management API, token service and authorization check.\n"
        "With no options it listens on 127.0.0.1:8080 with the SQLite database ./gatehouse.db.",
        opts, sizeof opts / sizeof opts[0], argc, argv, pos, 0, &npos);
    if (r != GH_CLI_OK)
        return cli_status(r);
    if (c.public_url && strncmp(c.public_url, "http://", 7) != 0 &&
        strncmp(c.public_url, "https://", 8) != 0) {
        fprintf(stderr,
                "gatehouse serve: --public-url: expected an http:// or https:// URL, got '%s'\n",
                c.public_url);
        return EXIT_USAGE;
    }
    if (c.smtp_url && *c.smtp_url) {
        char why[256];
        if (!gh_smtp_url_valid(c.smtp_url, why, sizeof why)) {
            fprintf(stderr, "gatehouse serve: --smtp-url: %s\n", why);
            return EXIT_USAGE;
        }
    }
    enum gh_jws_alg token_alg;
    if (!gh_jws_alg_parse(c.token_alg, &token_alg)) {
        fprintf(stderr, "gatehouse serve: --token-alg: expected ES256, EdDSA or RS256, got '%s'\n",
                c.token_alg);
        return EXIT_USAGE;
    }
    char tplerr[1024];
    struct gh_notify_templates *templates =
        gh_notify_templates_load(c.mail_templates, tplerr, sizeof tplerr);
    if (!templates) {
        fprintf(stderr, "gatehouse serve: --mail-templates: %s\n", tplerr);
        return EXIT_USAGE;
    }
    gh_log_set_level(c.log_level);

    /* Block the stop signals before any thread exists so every thread
     * inherits the mask and only sigtimedwait() below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    int status = EXIT_FAILURE;
    struct app app = {0};
    struct gh_portal portal = {0};
    struct gh_oauth oauth = {0};
    struct gh_authz authz = {0};
    struct gh_web web = {0};
    struct gh_router *router = NULL;
    struct gh_server *server = NULL;
    char keybuf[4096];
    char public_url[256];
    char issuer[256];
    int version = 0;

    app.store = gh_store_open(c.db, &(struct gh_store_options){.migrate = true}, err, sizeof err);
    if (!app.store) {
        fprintf(stderr, "gatehouse serve: %s\n", err);
        gh_notify_templates_free(templates);
        return EXIT_FAILURE;
    }
    gh_store_schema_version(app.store, &version);
    if (!load_key("gatehouse serve", key_file_for(c.key_file, app.store, keybuf, sizeof keybuf),
                  app.key))
        goto out;
    app.snapshot = gh_snapshot_holder_new();
    if (!gh_snapshot_refresh(app.snapshot, app.store)) {
        fprintf(
            stderr,
            "gatehouse serve: cannot load the store into memory (the log line above says why)\n");
        goto out;
    }
    gh_snapshot_holder_watch(app.snapshot, app.store);
    gh_snapshot_holder_set_max_staleness(app.snapshot, (int64_t)c.max_staleness * 1000);
    if (gh_store_is_postgres(app.store)) {
        app.listener =
            gh_listener_start(app.store, app.snapshot, (int)c.snapshot_refresh, err, sizeof err);
        if (!app.listener) {
            fprintf(stderr, "gatehouse serve: %s\n", err);
            goto out;
        }
    }
    app.probes = (struct gh_ops_probes){.ctx = &app, .ready = app_ready, .metrics = app_metrics};

    portal.store = app.store;
    portal.key = app.key;
    portal.key_len = sizeof app.key;
    portal.cfg = (struct gh_portal_config){
        .mail_from = c.mail_from,
        .session_idle_secs = c.session_idle,
        .session_max_secs = c.session_max,
        .verify_token_secs = c.verify_ttl,
        .reset_token_secs = c.reset_ttl,
        .max_token_days = c.max_token_days,
    };
    portal.templates = templates;
    portal.throttle_account = gh_throttle_new(&GH_THROTTLE_ACCOUNT_DEFAULTS);
    portal.throttle_addr = gh_throttle_new(&GH_THROTTLE_ADDRESS_DEFAULTS);
    portal.mailer = gh_mailer_start(
        app.store,
        &(struct gh_mailer_config){
            .mail_dir = c.mail_dir,
            .smtp = {.url = c.smtp_url && *c.smtp_url ? c.smtp_url : NULL,
                     .from = c.smtp_from && *c.smtp_from ? c.smtp_from : c.mail_from,
                     .user = c.smtp_user,
                     .password = getenv("GATEHOUSE_SMTP_PASSWORD")},
            .max_attempts = (int)c.mail_max_attempts,
            .retry_base_secs = c.mail_retry_base,
            .key = app.key,
            .key_len = sizeof app.key,
            .webhook = {.connect_timeout_secs = c.webhook_connect_timeout,
                        .timeout_secs = c.webhook_timeout},
        },
        err, sizeof err);
    if (!portal.mailer) {
        fprintf(stderr, "gatehouse serve: %s\n", err);
        goto out;
    }
    app.mailer = portal.mailer;
    app.web = &web;

    oauth.store = app.store;
    oauth.snapshot = app.snapshot;
    oauth.key = app.key;
    oauth.key_len = sizeof app.key;
    gh_oauth_derive_seal_key(app.key, sizeof app.key, oauth.seal_key);
    oauth.cfg = (struct gh_oauth_config){
        .default_audience = c.default_audience && *c.default_audience ? c.default_audience : NULL,
        .default_token_secs = c.token_lifetime,
        .alg = token_alg,
        .key_lead_secs = c.key_lead,
        /* clients refetch JWKS well within the lead time of a new key */
        .jwks_max_age_secs = c.key_lead / 4 < 300 ? c.key_lead / 4 : 300,
    };
    oauth.keyring = gh_keyring_new();
    if (!gh_keys_ensure(&oauth, (int64_t)time(NULL), err, sizeof err)) {
        fprintf(stderr, "gatehouse serve: signing keys: %s\n", err);
        goto out;
    }
    oauth.writer = gh_token_writer_start(&oauth, err, sizeof err);
    if (!oauth.writer) {
        fprintf(stderr, "gatehouse serve: %s\n", err);
        goto out;
    }

    authz.store = app.store;
    authz.snapshot = app.snapshot;
    authz.key = app.key;
    authz.key_len = sizeof app.key;
    authz.cfg = (struct gh_authz_config){
        .leeway_secs = c.authz_leeway,
        .api_key_header = c.authz_api_key_header,
        .cert_header = c.authz_cert_header,
        .cache_size = (size_t)c.authz_cache_size,
    };
    if (!gh_authz_proxies_parse(c.trusted_proxies, &authz.cfg.trusted_proxies, err, sizeof err)) {
        fprintf(stderr, "gatehouse serve: --trusted-proxies: %s\n", err);
        goto out;
    }
    if (!gh_authz_init(&authz, err, sizeof err)) {
        fprintf(stderr, "gatehouse serve: %s\n", err);
        goto out;
    }
    app.authz = &authz;

    router = gh_router_new();
    if (!gh_ops_register(router, &app.probes) || !gh_portal_register(router, &portal) ||
        !gh_oauth_register(router, &oauth) || !gh_authz_register(router, &authz) ||
        !gh_web_register(router, &web)) {
        fprintf(stderr, "gatehouse serve: internal error: route table conflict\n");
        goto out;
    }
    struct gh_server_config sc = {
        .host = c.listen.host,
        .port = c.listen.port,
        .threads = (unsigned)c.threads,
        .max_body = c.max_body,
        .max_header = c.max_header,
        .conn_timeout = (unsigned)c.conn_timeout,
        .max_connections = (unsigned)c.max_connections,
    };
    server = gh_server_new(&sc, router, &app, err, sizeof err);
    if (!server) {
        fprintf(stderr, "gatehouse serve: %s\n", err);
        goto out;
    }
    /* The socket is bound now, so the default link base knows the port. */
    if (c.public_url) {
        snprintf(public_url, sizeof public_url, "%s", c.public_url);
        size_t n = strlen(public_url);
        while (n > 0 && public_url[n - 1] == '/')
            public_url[--n] = '\0';
    } else {
        bool v6 = strchr(c.listen.host, ':') != NULL;
        snprintf(public_url, sizeof public_url, "http://%s%s%s:%u", v6 ? "[" : "", c.listen.host,
                 v6 ? "]" : "", (unsigned)gh_server_port(server));
    }
    portal.cfg.public_url = public_url;
    if (c.issuer && *c.issuer) {
        snprintf(issuer, sizeof issuer, "%s", c.issuer);
        size_t n = strlen(issuer);
        while (n > 0 && issuer[n - 1] == '/')
            issuer[--n] = '\0';
    } else {
        snprintf(issuer, sizeof issuer, "%s", public_url);
    }
    oauth.cfg.issuer = issuer;
    authz.cfg.issuer = issuer;
    if (!gh_server_start(server, err, sizeof err)) {
        fprintf(stderr, "gatehouse serve: %s\n", err);
        goto out;
    }
    struct gh_log_line l;
    if (gh_log_begin_lifecycle(&l, "server.listening")) {
        gh_log_str(&l, "host", c.listen.host);
        gh_log_int(&l, "port", gh_server_port(server));
        gh_log_int(&l, "threads", gh_server_threads(server));
        gh_log_str(&l, "store", gh_store_backend(app.store));
        gh_log_int(&l, "schema_version", version);
        gh_log_str(&l, "public_url", public_url);
        gh_log_str(&l, "mail_dir", c.mail_dir);
        gh_log_str(&l, "version", GH_VERSION);
        gh_log_end(&l);
    }

    /* The main thread waits for a stop signal and, every few seconds,
     * refreshes the snapshot: a no-op while the store generation is
     * unchanged, and the retry after a refresh that failed (the failed
     * commit's change would otherwise wait for the next commit). */
    int sig;
    const struct timespec tick = {.tv_sec = SNAPSHOT_RETRY_SECONDS};
    int64_t last_sweep = 0; /* the first tick sweeps */
    while ((sig = sigtimedwait(&stop, NULL, &tick)) < 0) {
        if (errno == EAGAIN) {
            int64_t now = (int64_t)time(NULL);
            gh_snapshot_refresh(app.snapshot, app.store);
            gh_keys_tick(&oauth, now);
            gh_authz_flush(&authz);
            if (now - last_sweep >= SWEEP_EVERY_SECONDS) {
                sweep_expired(app.store, now);
                gh_notify_scan_expiring(&portal, now, NULL); /* API keys about to expire */
                last_sweep = now;
            }
        }
    }
    if (gh_log_begin_lifecycle(&l, "server.stopping")) {
        gh_log_str(&l, "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        gh_log_end(&l);
    }
    gh_server_shutdown(server, (unsigned)c.shutdown_grace_ms);
    status = EXIT_SUCCESS;

out:
    /* reverse order of creation; each piece may be missing */
    gh_server_free(server);
    gh_router_free(router);
    app.authz = NULL;
    gh_authz_flush(&authz); /* the uses of the last seconds */
    gh_authz_free(&authz);
    if (oauth.writer)
        gh_token_writer_stop(oauth.writer); /* commits what is queued first */
    if (oauth.keyring)
        gh_keyring_free(oauth.keyring);
    explicit_bzero(oauth.seal_key, sizeof oauth.seal_key);
    if (portal.mailer)
        gh_mailer_stop(portal.mailer); /* delivers what is due first */
    gh_notify_templates_free(templates);
    app.mailer = NULL;
    if (portal.throttle_account)
        gh_throttle_free(portal.throttle_account);
    if (portal.throttle_addr)
        gh_throttle_free(portal.throttle_addr);
    gh_listener_stop(app.listener);
    app.listener = NULL;
    if (app.snapshot) {
        gh_snapshot_holder_unwatch(app.snapshot);
        gh_snapshot_holder_free(app.snapshot);
    }
    gh_store_close(app.store);
    explicit_bzero(app.key, sizeof app.key);
    if (status == EXIT_SUCCESS && gh_log_begin_lifecycle(&l, "server.stopped"))
        gh_log_end(&l);
    return status;
}

/* ---- migrate ------------------------------------------------------------ */

static int cmd_migrate(int argc, char **argv)
{
    const char *db = default_db();
    const struct gh_opt opts[] = {DB_OPTION(&db)};
    char *pos[1];
    size_t npos;
    enum gh_cli_result r =
        gh_cli_parse("gatehouse migrate", "gatehouse migrate [--db PATH|URL]",
                     "Creates the database if needed and applies pending schema migrations.\n"
                     "Safe to run repeatedly; refuses a database newer than this binary.",
                     opts, 1, argc, argv, pos, 0, &npos);
    if (r != GH_CLI_OK)
        return cli_status(r);
    char err[512];
    struct gh_store *s =
        gh_store_open(db, &(struct gh_store_options){.migrate = false}, err, sizeof err);
    if (!s) {
        fprintf(stderr, "gatehouse migrate: %s\n", err);
        return EXIT_FAILURE;
    }
    int from = 0, to = 0;
    enum gh_store_rc rc = gh_store_migrate(s, &from, &to, err, sizeof err);
    gh_store_close(s);
    if (rc != GH_STORE_OK) {
        fprintf(stderr, "gatehouse migrate: %s\n", err);
        return EXIT_FAILURE;
    }
    if (from == to)
        printf("schema is current (version %d)\n", to);
    else
        printf("migrated schema from version %d to %d\n", from, to);
    return EXIT_SUCCESS;
}

/* ---- keys ----------------------------------------------------------------- */

/* `gatehouse keys list|rotate|retire`: the signing keys of the token
 * service.  Each is safe beside a running server: it notices the change
 * within seconds (gh_keys_tick).  Rotation publishes the new key in JWKS
 * for the lead time before it signs; retirement withdraws a compromised key
 * at once and, if it was signing, puts a new key in its place. */
static int cmd_keys(int argc, char **argv)
{
    bool list = argc >= 1 && strcmp(argv[0], "list") == 0;
    bool rotate = argc >= 1 && strcmp(argv[0], "rotate") == 0;
    bool retire = argc >= 1 && strcmp(argv[0], "retire") == 0;
    if (!list && !rotate && !retire) {
        bool help = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
        fprintf(
            help ? stdout : stderr,
            "usage: gatehouse keys list [--db PATH|URL] [--key-file PATH]\n"
            "       gatehouse keys rotate [--db PATH|URL] [--key-file PATH] [--alg ALG] [--lead "
            "SECONDS]\n"
            "       gatehouse keys retire KID [--db PATH|URL] [--key-file PATH]\n");
        return help ? EXIT_SUCCESS : EXIT_USAGE;
    }
    const char *db = default_db();
    const char *key_file = NULL;
    const char *alg_name = "ES256";
    long long lead = 3600;
    const struct gh_opt opts[] = {
        DB_OPTION(&db),
        KEY_FILE_OPTION(&key_file),
        {"alg", "GATEHOUSE_TOKEN_ALG", "ALG", "algorithm of the new key: ES256, EdDSA or RS256",
         GH_OPT_STRING, &alg_name, 0, 0},
        {"lead", "GATEHOUSE_KEY_LEAD", "SECONDS",
         "the new key is published this long before it signs", GH_OPT_INT, &lead, 5, 30 * 86400},
    };
    const char *cmd = list     ? "gatehouse keys list"
                      : rotate ? "gatehouse keys rotate"
                               : "gatehouse keys retire";
    const char *usage =
        list     ? "gatehouse keys list [--db PATH|URL] [--key-file PATH]"
        : rotate ? "gatehouse keys rotate [--db PATH|URL] [--key-file PATH] [--alg ALG] [--lead "
                   "SECONDS]"
                 : "gatehouse keys retire KID [--db PATH|URL] [--key-file PATH]";
    const char *description =
        list     ? "Lists the token service's signing keys, newest first."
        : rotate ? "Adds a signing key that is published in JWKS now and signs tokens after the\n"
                   "lead time; the current key then retires and stays published until the\n"
                   "last token it signed has expired."
                 : "Stops trusting a signing key now, e.g. when it is compromised: it leaves\n"
                   "JWKS and the tokens it signed are refused (a running server follows within\n"
                   "seconds).  If it was the active key, a new key of its algorithm signs from\n"
                   "now on, without the lead time of a rotation: clients that cache the JWKS\n"
                   "refetch it when they meet the new kid.";
    char *pos[1];
    size_t npos;
    enum gh_cli_result r =
        gh_cli_parse(cmd, usage, description, opts, rotate ? sizeof opts / sizeof opts[0] : 2,
                     argc - 1, argv + 1, pos, retire ? 1 : 0, &npos);
    if (r != GH_CLI_OK)
        return cli_status(r);
    if (retire && npos != 1) {
        fprintf(stderr, "%s: expected the kid of the key to retire (see gatehouse keys list)\n",
                cmd);
        return EXIT_USAGE;
    }
    enum gh_jws_alg alg;
    if (!gh_jws_alg_parse(alg_name, &alg)) {
        fprintf(stderr, "%s: --alg: expected ES256, EdDSA or RS256, got '%s'\n", cmd, alg_name);
        return EXIT_USAGE;
    }
    char err[512];
    struct gh_store *s =
        gh_store_open(db, &(struct gh_store_options){.migrate = true}, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return EXIT_FAILURE;
    }
    char keybuf[4096];
    uint8_t key[GH_KEY_BYTES];
    int status = EXIT_FAILURE;
    struct gh_oauth o = {.store = s, .key = key, .key_len = sizeof key};
    o.cfg.alg = alg;
    o.cfg.default_token_secs = GH_OAUTH_DEFAULT_TOKEN_SECS;
    o.cfg.key_lead_secs = lead;
    if (!load_key(cmd, key_file_for(key_file, s, keybuf, sizeof keybuf), key))
        goto done;
    gh_oauth_derive_seal_key(key, sizeof key, o.seal_key);
    if (list) {
        if (!gh_keys_print(&o, stdout, err, sizeof err)) {
            fprintf(stderr, "%s: %s\n", cmd, err);
            goto done;
        }
    } else if (rotate) {
        char kid[64];
        /* no gh_keys_ensure here: it would make a key of --alg active at
         * once; the server creates the first key of its own algorithm */
        if (!gh_keys_rotate(&o, alg, lead, (int64_t)time(NULL), kid, err, sizeof err)) {
            fprintf(stderr, "%s: %s\n", cmd, err);
            goto done;
        }
        printf("%s\n", kid);
        fprintf(stderr, "new %s key %s: published now, signs from %lld seconds on\n",
                gh_jws_alg_name(alg), kid, lead);
    } else {
        struct gh_keys_retirement ret;
        if (!gh_keys_retire(&o, pos[0], (int64_t)time(NULL), &ret, err, sizeof err)) {
            fprintf(stderr, "%s: %s\n", cmd, err);
            goto done;
        }
        if (ret.new_kid[0])
            printf("retired %s key %s (was active): no longer trusted or published; new active "
                   "key %s signs from now, without lead time, as the old key is compromised\n",
                   ret.alg, pos[0], ret.new_kid);
        else
            printf("retired %s key %s (was %s): no longer trusted or published\n", ret.alg, pos[0],
                   gh_key_state_name(ret.was));
    }
    status = EXIT_SUCCESS;
done:
    explicit_bzero(key, sizeof key);
    explicit_bzero(o.seal_key, sizeof o.seal_key);
    gh_store_close(s);
    return status;
}

/* ---- admin-token ---------------------------------------------------------- */

/* Creates a platform-admin API token: prints it alone on stdout (so
 * `TOKEN=$(gatehouse admin-token create)` works) and stores only its keyed
 * hash; what was done goes to stderr. */
static int cmd_admin_token(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "create") != 0) {
        if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
            printf("usage: gatehouse admin-token create [--db PATH|URL] [--key-file PATH] [--name "
                   "NAME]\n\n"
                   "Platform-admin API tokens authenticate operators to the management API\n"
                   "(Authorization: Bearer <token>).  `gatehouse admin-token create --help` for "
                   "options.\n");
            return EXIT_SUCCESS;
        }
        fprintf(stderr, "gatehouse admin-token: expected the subcommand 'create' (see gatehouse "
                        "admin-token --help)\n");
        return EXIT_USAGE;
    }
    const char *db = default_db();
    const char *name = "admin";
    const char *key_file = NULL;
    const struct gh_opt opts[] = {
        DB_OPTION(&db),
        KEY_FILE_OPTION(&key_file),
        {"name", NULL, "NAME", "a label for the token, shown in listings (1-100 characters)",
         GH_OPT_STRING, &name, 0, 0},
    };
    char *pos[1];
    size_t npos;
    enum gh_cli_result r =
        gh_cli_parse("gatehouse admin-token create",
                     "gatehouse admin-token create [--db PATH|URL] [--key-file PATH] [--name NAME]",
                     "Creates a platform-admin API token and prints it once on stdout; only its\n"
                     "hash is stored, so keep it now.  Use it as `Authorization: Bearer <token>`.",
                     opts, sizeof opts / sizeof opts[0], argc - 1, argv + 1, pos, 0, &npos);
    if (r != GH_CLI_OK)
        return cli_status(r);
    size_t name_len = strlen(name);
    if (name_len < 1 || name_len > 100) {
        fprintf(stderr, "gatehouse admin-token create: --name must be 1 to 100 characters\n");
        return EXIT_USAGE;
    }

    char err[512];
    struct gh_store *s =
        gh_store_open(db, &(struct gh_store_options){.migrate = true}, err, sizeof err);
    if (!s) {
        fprintf(stderr, "gatehouse admin-token create: %s\n", err);
        return EXIT_FAILURE;
    }
    char keybuf[4096];
    uint8_t key[GH_KEY_BYTES];
    if (!load_key("gatehouse admin-token create", key_file_for(key_file, s, keybuf, sizeof keybuf),
                  key)) {
        gh_store_close(s);
        return EXIT_FAILURE;
    }
    char secret[GH_SECRET_SIZE(sizeof ADMIN_TOKEN_PREFIX - 1)];
    size_t secret_len = gh_secret_generate(ADMIN_TOKEN_PREFIX, secret, sizeof secret);
    char hash[GH_SECRET_HASH_HEX_LEN + 1];
    gh_secret_hash(key, sizeof key, secret, secret_len, hash);

    struct gh_arena *arena = gh_arena_new(4096);
    struct gh_api_token tok = {
        .id = gh_id_new(arena, GH_ID_API_TOKEN),
        .kind = GH_TOKEN_KIND_ADMIN,
        .name = (char *)name,
        .token_hash = hash,
        .created_at = (int64_t)time(NULL),
    };
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(s, GH_TX_WRITE, &tx);
    if (rc == GH_STORE_OK) {
        rc = gh_store_api_token_insert(tx, &tok);
        if (rc == GH_STORE_OK)
            rc = gh_store_commit(tx);
        else {
            snprintf(err, sizeof err, "%s", gh_store_tx_error(tx));
            gh_store_rollback(tx);
        }
    } else {
        snprintf(err, sizeof err, "cannot begin a transaction");
    }
    int status = EXIT_SUCCESS;
    if (rc != GH_STORE_OK) {
        fprintf(stderr, "gatehouse admin-token create: cannot store the token: %s (%s)\n", err,
                gh_store_rc_name(rc));
        status = EXIT_FAILURE;
    } else {
        printf("%s\n", secret);
        fflush(stdout);
        fprintf(stderr,
                "created platform-admin token %s (name \"%s\"); it is shown only this once\n",
                tok.id, name);
    }
    explicit_bzero(secret, sizeof secret);
    explicit_bzero(key, sizeof key);
    gh_arena_free(arena);
    gh_store_close(s);
    return status;
}

/* ---- version, help ------------------------------------------------------ */

/* The binary's version and schema level; with --db (or GATEHOUSE_DB), also
 * that database's schema version, read without creating or migrating it. */
static int cmd_version(int argc, char **argv)
{
    const char *db = NULL;
    const struct gh_opt opts[] = {DB_OPTION(&db)};
    char *pos[1];
    size_t npos;
    enum gh_cli_result r = gh_cli_parse(
        "gatehouse version", "gatehouse version [--db PATH|URL]",
        "Prints the version, the libraries it runs on and the database schema version it\n"
        "knows; with --db, also that database's schema version (read only).",
        opts, 1, argc, argv, pos, 0, &npos);
    if (r != GH_CLI_OK)
        return cli_status(r);
    printf("gatehouse %s (libmicrohttpd %s, sqlite %s, jansson %s, %s)\n", GH_VERSION,
           MHD_get_version(), sqlite3_libversion(), JANSSON_VERSION, OPENSSL_VERSION_TEXT);
    printf("schema version %d\n", gh_store_schema_latest());
    if (!db)
        return EXIT_SUCCESS;
    if (!strstr(db, "://") && strncmp(db, "file:", 5) != 0 && strcmp(db, ":memory:") != 0) {
        const char *path = strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db;
        if (access(path, F_OK) != 0) {
            printf("database %s: does not exist\n", db);
            return EXIT_SUCCESS;
        }
    }
    char err[512];
    struct gh_store *s =
        gh_store_open(db, &(struct gh_store_options){.migrate = false}, err, sizeof err);
    if (!s) {
        fprintf(stderr, "gatehouse version: %s\n", err);
        return EXIT_FAILURE;
    }
    int v = 0;
    enum gh_store_rc rc = gh_store_schema_version(s, &v);
    gh_store_close(s);
    if (rc != GH_STORE_OK) {
        fprintf(stderr, "gatehouse version: cannot read the schema version of %s (%s)\n", db,
                gh_store_rc_name(rc));
        return EXIT_FAILURE;
    }
    printf("database %s: schema version %d%s\n", db, v,
           v < gh_store_schema_latest() ? " (gatehouse migrate will upgrade it)" : "");
    return EXIT_SUCCESS;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gatehouse COMMAND [options]\n\n"
            "gatehouse is an API access-management server: developer portal backend, OAuth2\n"
            "token service and per-request authorization check for API gateways.\n\n"
            "commands:\n"
            "  serve                 run the server (default: 127.0.0.1:8080, ./gatehouse.db)\n"
            "  migrate               create or upgrade the database schema\n"
            "  admin-token create    print a new platform-admin API token\n"
            "  platform-admin        make a person a platform admin or not: grant, revoke, list\n"
            "  token verify-hash     check an access token against its hash (providers)\n"
            "  keys                  the token service's signing keys: list, rotate, retire\n"
            "  version               print the version\n\n"
            "`gatehouse COMMAND --help` describes a command's options.\n");
}

int main(int argc, char **argv)
{
    /* Everything gatehouse creates (database, key file, mails) is private. */
    umask(077);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc - 2, argv + 2);
    if (strcmp(cmd, "platform-admin") == 0)
        return gh_cli_platform_admin(argc - 2, argv + 2, default_db());
    if (strcmp(cmd, "token") == 0) {
        if (argc >= 3 && strcmp(argv[2], "verify-hash") == 0)
            return gh_cli_token_verify_hash(argc - 3, argv + 3);
        fprintf(stderr, "gatehouse token: expected the subcommand 'verify-hash' "
                        "(gatehouse token verify-hash --help)\n");
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "admin-token") == 0)
        return cmd_admin_token(argc - 2, argv + 2);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return cmd_version(argc - 2, argv + 2);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_SUCCESS;
    }
    fprintf(stderr, "gatehouse: unknown command '%s' (see gatehouse --help)\n", cmd);
    return EXIT_USAGE;
}
