/* The delivery worker of the outbox, for both channels: one thread that
 * takes due messages from the outbox.  Email goes through SMTP
 * (portal/smtp.h) when an SMTP URL is configured, else is written as an
 * RFC 5322 file into the mail directory; a webhook message is POSTed,
 * signed, to its webhook's URL (portal/webhook_send.h), and fails finally
 * ("webhook deleted") when its webhook is gone or disabled.  Either way the
 * bytes are the stored message, unchanged; a mail's Message-ID and a
 * webhook's webhook-id header are the outbox id, so a message sent again
 * after a crash is recognisable as a duplicate.
 *
 *   <mail_dir>/<created UTC yyyymmddThhmmssZ>-<msg id>.eml   (mode 0600)
 *
 * A file appears whole or not at all (written to a dot-file, fsynced,
 * renamed), and its name depends only on the message, so a message written
 * again after a crash replaces itself.  Each round claims due messages in a
 * write transaction (a lease: another worker or node does not take them),
 * writes them and marks them sent; a failed write is recorded on the
 * message (gh_store_outbox_mark_attempt_failed) and retried after
 * retry_base_secs, doubling up to retry_max_secs, each delay moved by up
 * to a quarter either way at random (so failed mail does not retry in
 * lockstep), until max_attempts, when the message is marked failed.
 * Logs (mail.sent, mail.attempt_failed, webhook.sent,
 * webhook.attempt_failed) name the message id and event (and the webhook
 * id), never the recipient's mail or the body (it carries links with
 * tokens), nor the SMTP password or a webhook secret.
 *
 * Rounds run at start (mail that was committed but not delivered before a
 * restart goes out now), every poll interval, on gh_mailer_nudge and once
 * more in gh_mailer_stop. */
#ifndef GH_PORTAL_MAILER_H
#define GH_PORTAL_MAILER_H

#include <stddef.h>
#include <stdint.h>

#include "portal/smtp.h"
#include "portal/webhook_send.h"
#include "store/store.h"

#define GH_MAILER_POLL_MS 1000
#define GH_MAILER_MAX_ATTEMPTS 10
#define GH_MAILER_RETRY_BASE_SECS 30
#define GH_MAILER_RETRY_MAX_SECS 3600

struct gh_mailer_config {
    const char *mail_dir; /* created with its parents (0700) if missing; unused with SMTP */
    /* SMTP delivery when smtp.url is set (checked by gh_smtp_url_valid;
     * smtp.from is then required); the strings are copied. */
    struct gh_smtp_config smtp;
    int64_t poll_interval_ms; /* 0: GH_MAILER_POLL_MS */
    int max_attempts;         /* 0: GH_MAILER_MAX_ATTEMPTS */
    int64_t retry_base_secs;  /* 0: GH_MAILER_RETRY_BASE_SECS */
    int64_t retry_max_secs;   /* 0: GH_MAILER_RETRY_MAX_SECS */
    /* Unix seconds for claiming and settling messages; NULL: the system
     * clock.  Tests inject one to step over retry delays. */
    int64_t (*clock)(void *ctx);
    void *clock_ctx;
    /* Webhook messages: the master key their secrets are sealed under
     * (portal/webhooks.h; only the derived key is kept) and the HTTP
     * timeouts.  key NULL: webhook attempts fail ("no key to open webhook
     * secrets"). */
    const uint8_t *key;
    size_t key_len;
    struct gh_webhook_send_config webhook;
};

struct gh_mailer;

/* Creates the mail directory if needed (no SMTP) and starts the worker on
 * store, which must outlive it.  NULL with one line for a person in err
 * when the SMTP URL or sender is not usable, the directory cannot be made
 * or the thread cannot start. */
struct gh_mailer *gh_mailer_start(struct gh_store *store, const struct gh_mailer_config *cfg,
                                  char *err, size_t errlen);
/* Makes the worker run a round now (cheap; any thread, e.g. after
 * committing a transaction that queued mail). */
void gh_mailer_nudge(struct gh_mailer *m);

/* What this process's worker did since it started, for /metrics: mail
 * (channel email) and webhook deliveries counted apart. */
struct gh_mailer_stats {
    uint64_t sent;             /* mails delivered */
    uint64_t attempt_failures; /* failed attempts (each is retried or final) */
    uint64_t failed;           /* mails given up on after their last attempt */
    uint64_t webhook_sent;
    uint64_t webhook_attempt_failures;
    uint64_t webhook_failed;
};
void gh_mailer_get_stats(struct gh_mailer *m, struct gh_mailer_stats *out);
/* Runs a last round for what is due, stops the thread and frees m (NULL: no-op). */
void gh_mailer_stop(struct gh_mailer *m);

#endif
