/* The management API (/api/v1): developers, sessions, organizations,
 * members, personal and admin tokens, audit log.  See README "Management
 * API", docs/permissions.md and the OpenAPI document it serves.
 *
 * main.c fills a struct gh_portal and registers the routes; handlers find it
 * as their route context.  Everything in it is shared by all HTTP threads
 * and must outlive the server. */
#ifndef GH_PORTAL_PORTAL_H
#define GH_PORTAL_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/router.h"
#include "store/store.h"

struct gh_throttle;
struct gh_mailer;
struct gh_notify_templates;

struct gh_portal_config {
    const char *public_url;    /* base of links in mails ("http://127.0.0.1:8080") */
    const char *mail_from;     /* From: of every mail */
    int64_t session_idle_secs; /* a session unused this long ends */
    int64_t session_max_secs;  /* and every session ends this long after login */
    int64_t verify_token_secs; /* lifetime of an email-verification link */
    int64_t reset_token_secs;  /* lifetime of a password-reset link */
    int64_t max_token_days;    /* longest personal-token lifetime; 0: no limit */
};

struct gh_portal {
    struct gh_store *store;
    const uint8_t *key; /* the server key secrets are hashed under */
    size_t key_len;
    struct gh_portal_config cfg;
    struct gh_throttle *throttle_account; /* login failures per email */
    struct gh_throttle *throttle_addr;    /* login failures per client address */
    struct gh_mailer *mailer;             /* nudged after a commit that queued mail; may be NULL */
    /* mail templates (portal/notify.h); NULL: the built-in defaults */
    const struct gh_notify_templates *templates;
};

/* Adds every /api/v1 route (and the OpenAPI document) to r; false on a
 * route-table conflict (a programming error). */
bool gh_portal_register(struct gh_router *r, struct gh_portal *p);

#endif
