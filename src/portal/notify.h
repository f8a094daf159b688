/* Notifications: every event the portal announces, who hears of it, and
 * the templates the mails are made from (docs/notifications.md).
 *
 * Each event is a mail to every recipient (one per address, de-duplicated)
 * plus, for events about an organization's apps or APIs, a delivery to
 * each of that organization's webhooks — all rows of the outbox written in
 * the caller's transaction, so they go out only if the change commits.
 * Every notice says what happened, to what (names and ids), by whom, why
 * (the reason given) and what to do next.  Webhook data carries the same
 * facts as JSON, never a secret or a token.
 *
 * Templates: for each event a subject, a plain-text body and an HTML body
 * with {{name}} placeholders.  Values are inserted as they are into text,
 * HTML-escaped into HTML, and with control characters turned into spaces
 * into the one-line subject.  Defaults are compiled in
 * (portal/templates/defaults.c); an operator's directory overrides any of
 * them by file name: <event>.subject, <event>.txt, <event>.html. */
#ifndef GH_PORTAL_NOTIFY_H
#define GH_PORTAL_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/model.h"
#include "portal/call.h"
#include "portal/portal.h"

/* ---- templates ------------------------------------------------------------ */

enum gh_notify_part { GH_NOTIFY_SUBJECT = 0, GH_NOTIFY_TEXT, GH_NOTIFY_HTML, GH_NOTIFY_PARTS };

/* One event's built-in templates and the placeholders they (and overrides)
 * may use besides the common ones (gh_notify_common_placeholders). */
struct gh_notify_default {
    const char *event;
    const char *const *placeholders; /* NULL-terminated */
    const char *part[GH_NOTIFY_PARTS];
};

/* The built-in templates (portal/templates/defaults.c). */
extern const struct gh_notify_default gh_notify_defaults[];
extern const size_t gh_notify_defaults_count;
/* Placeholders every event has: product, portal_url, recipient_name,
 * recipient_email.  NULL-terminated. */
extern const char *const gh_notify_common_placeholders[];

/* A template set: the defaults with an operator's overrides. */
struct gh_notify_templates;

/* Loads the overrides in dir (NULL: none, the defaults alone).  Each file
 * named <event>.subject, <event>.txt or <event>.html replaces that
 * template; files whose names start with "." or have another extension
 * are ignored.  Fails, with one line for a person in err, on an unreadable
 * directory or file, an unknown event, a file over 64 KiB or not UTF-8, a
 * subject of more than one line, an unclosed "{{" or a placeholder the
 * event does not have.  The caller frees the result with
 * gh_notify_templates_free. */
struct gh_notify_templates *gh_notify_templates_load(const char *dir, char *err, size_t errlen);
void gh_notify_templates_free(struct gh_notify_templates *t);

/* The template of event's part in t (NULL t: the defaults); NULL for an
 * unknown event. */
const char *gh_notify_template(const struct gh_notify_templates *t, const char *event,
                               enum gh_notify_part part);

/* Checks tpl's placeholders against event's (and the common ones); false
 * with the reason in err (e.g. "unknown placeholder {{x}}"). */
bool gh_notify_template_check(const char *event, const char *tpl, char *err, size_t errlen);

struct gh_notify_var {
    const char *name;
    const char *value; /* NULL: empty */
};

/* tpl with each {{name}} replaced by its value, encoded for part, in a.
 * A placeholder without a value becomes empty.  Never NULL. */
char *gh_notify_render(struct gh_arena *a, const char *tpl, enum gh_notify_part part,
                       const struct gh_notify_var *vars, size_t nvars);

/* ---- events --------------------------------------------------------------- */

/* Each function queues an event's mails and webhook deliveries in c's
 * transaction, with c's caller as the actor ("Name <email>", or "a
 * platform admin" for a token without a person).  On failure it answers
 * the call (500, or the store's error) and returns false; the caller then
 * returns without committing. */

/* user.verify_email, user.password_reset, user.register_existing: a mail to
 * u alone, no webhook.  link: the page to open; token: the code to send
 * instead (NULL for register_existing); expires_at: the link's end (0:
 * none); note: an extra paragraph (register_existing: whether the address
 * is confirmed yet; NULL: none). */
bool gh_notify_user(struct gh_call *c, const char *event, const struct gh_user *u, const char *link,
                    const char *token, int64_t expires_at, const char *note);

/* A subscription event.  to_provider: the provider side is told (its
 * ADMINs and responsible person, and its webhooks); else the partner side
 * (the partner's responsible person and the app's OWNERs, and the
 * partner's webhooks). */
struct gh_notify_sub {
    const char *event; /* "subscription.activated", … */
    const struct gh_subscription *sub;
    const struct gh_app *app;
    const struct gh_api *api;
    const struct gh_plan *plan;
    const struct gh_org *partner;
    const struct gh_org *provider;
    const char *old_status; /* NULL: a new subscription */
    const char *reason;     /* NULL: none given */
    bool to_provider;
};
bool gh_notify_subscription(struct gh_call *c, const struct gh_notify_sub *s);

/* app.access_status.red / .green set by provider for app: the partner's
 * responsible person and the app's OWNERs; the partner's webhooks. */
bool gh_notify_access_status(struct gh_call *c, const struct gh_app *app,
                             const struct gh_org *provider, bool red, const char *reason);

/* app.client_secret.rotated: the app's OWNERs; the partner's webhooks.
 * previous_valid_until: when the old secret stops (0: it stopped now). */
bool gh_notify_secret_rotated(struct gh_call *c, const struct gh_app *app,
                              int64_t previous_valid_until);

/* app.api_key.created: the app's OWNERs; the partner's webhooks. */
bool gh_notify_api_key_created(struct gh_call *c, const struct gh_app *app,
                               const struct gh_api_key *k);

/* How far ahead of its expiry an API key's OWNERs are told. */
#define GH_NOTIFY_EXPIRING_AHEAD_SECS (7 * 86400)

/* app.api_key.expiring: for every API key that expires after now and
 * within GH_NOTIFY_EXPIRING_AHEAD_SECS and was not announced yet, mails the
 * app's OWNERs and posts to the partner's webhooks, marking the key
 * (api_keys.expiry_notified_at) in the same transaction, so each key is
 * announced once.  Meant to be called about every minute by the serve
 * loop; nudges p->mailer when it queued anything.  *notified (if not NULL)
 * gets the number of keys announced.  False on a store failure (logged;
 * the next call tries again). */
bool gh_notify_scan_expiring(struct gh_portal *p, int64_t now, int *notified);

#endif
