/* Posting one webhook delivery (Standard Webhooks): the stored JSON body,
 * unchanged, with
 *
 *   Content-Type: application/json
 *   User-Agent: gatehouse
 *   webhook-id: <outbox message id>         stable across retries
 *   webhook-timestamp: <Unix seconds at send time>
 *   webhook-signature: v1,<base64(HMAC-SHA256(secret bytes, "<id>.<timestamp>.<body>"))>
 *
 * where the secret bytes are the base64-decoded part of "whsec_…".  Only
 * http and https; redirects are not followed (a 3xx is a failed attempt);
 * the response body is discarded.  gh_smtp_global_init (portal/smtp.h) must
 * have run (it initialises libcurl for both). */
#ifndef GH_PORTAL_WEBHOOK_SEND_H
#define GH_PORTAL_WEBHOOK_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#define GH_WEBHOOK_CONNECT_TIMEOUT_SECS 5
#define GH_WEBHOOK_TIMEOUT_SECS 10

struct gh_webhook_send_config {
    int64_t connect_timeout_secs; /* 0: GH_WEBHOOK_CONNECT_TIMEOUT_SECS */
    int64_t timeout_secs;         /* whole request; 0: GH_WEBHOOK_TIMEOUT_SECS */
};

/* The webhook-signature value "v1,<base64>" for the message in a; NULL when
 * secret is not "whsec_" + base64. */
char *gh_webhook_signature(struct gh_arena *a, const char *secret, const char *msg_id,
                           int64_t timestamp, const char *body);

/* POSTs body to url signed with secret (headers above, timestamp as given).
 * True on a 2xx answer; otherwise false with a line for last_error in err
 * ("HTTP 500", "HTTP 302: redirect not followed", curl's account of a
 * connection failure), which never holds the secret. */
bool gh_webhook_send(const struct gh_webhook_send_config *cfg, const char *url, const char *secret,
                     const char *msg_id, int64_t timestamp, const char *body, char *err,
                     size_t errlen);

#endif
