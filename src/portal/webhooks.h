/* Organizations' webhooks: signed HTTP deliveries of events, Standard
 * Webhooks style (docs/webhooks.md).
 *
 * An ADMIN of an organization (or a platform admin) registers a URL and the
 * event types it wants (none: all); the answer to the creation shows the
 * signing secret ("whsec_" + base64 of 32 random bytes) once.  The secret is
 * stored sealed with a key derived from the master key (the webhook id as
 * associated data).  Events are queued as outbox rows (channel webhook) in
 * the transaction of the change they announce, one per matching webhook,
 * and the delivery worker (portal/mailer.h) posts them
 * (portal/webhook_send.h).
 *
 *   POST   /api/v1/orgs/{org}/webhooks            201, with the secret
 *   GET    /api/v1/orgs/{org}/webhooks            list, newest first
 *   GET    /api/v1/orgs/{org}/webhooks/{id}
 *   DELETE /api/v1/orgs/{org}/webhooks/{id}       204 */
#ifndef GH_PORTAL_WEBHOOKS_H
#define GH_PORTAL_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "crypto/aead.h"
#include "http/router.h"
#include "portal/portal.h"
#include "store/store.h"

#define GH_WEBHOOK_SECRET_PREFIX "whsec_"
#define GH_WEBHOOK_SECRET_BYTES 32
#define GH_WEBHOOK_URL_MAX 2048

/* Queues, in tx, one delivery per enabled webhook of org_id whose event
 * list is empty or names event: an outbox row (channel webhook, recipient =
 * webhook id, org_id, event, body = the JSON payload
 * {"type": event, "timestamp": RFC 3339 UTC, "data": <data_json>}, id msg_…,
 * state pending, due now).  data_json is a JSON object's text.  *queued
 * (if not NULL) gets the number of rows.  False on a store failure (the
 * caller fails its call and the transaction rolls back). */
bool gh_webhooks_enqueue(struct gh_tx *tx, struct gh_arena *a, const char *org_id,
                         const char *event, const char *data_json, int64_t now, int *queued);

/* The event types a webhook may name, NULL-terminated (docs/webhooks.md). */
extern const char *const gh_webhook_events[];
bool gh_webhook_event_known(const char *event);

/* Whether url is one a webhook may post to: absolute http:// or https://,
 * a host, no userinfo, no whitespace or control characters, at most
 * GH_WEBHOOK_URL_MAX bytes. */
bool gh_webhook_url_valid(const char *url);

/* The key webhook secrets are sealed with: HMAC-SHA-256(master,
 * "gatehouse webhook-secret encryption v1"). */
void gh_webhooks_derive_seal_key(const uint8_t *master, size_t master_len,
                                 uint8_t out[GH_AEAD_KEY_BYTES]);
/* A new secret "whsec_<base64>" in a, and its sealed form (*sealed, in a)
 * under seal_key bound to webhook_id. */
char *gh_webhooks_new_secret(struct gh_arena *a, const uint8_t seal_key[GH_AEAD_KEY_BYTES],
                             const char *webhook_id, char **sealed);
/* The secret of w (sealed by gh_webhooks_new_secret) as a NUL-terminated
 * "whsec_…" string in a; NULL when it does not open (wrong key, tampered). */
char *gh_webhooks_open_secret(struct gh_arena *a, const uint8_t seal_key[GH_AEAD_KEY_BYTES],
                              const struct gh_webhook *w);

/* Adds the webhook routes to r (route context p); false on a route-table
 * conflict (a programming error). */
bool gh_portal_register_webhooks(struct gh_router *r, struct gh_portal *p);

#endif
