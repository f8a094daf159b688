/* The notification outbox for platform admins (/api/v1/outbox): every
 * queued, sent and failed message with its attempts and last error (never
 * its recipient or body: mails carry verification and reset links), and a
 * retry that makes a message due again; and each organization's view of
 * its own messages (outbox.org_id: its webhook deliveries and the mail
 * about it), /api/v1/orgs/{org}/deliveries, for its ADMINs.  Who may call:
 * docs/permissions.md (the outbox table). */
#ifndef GH_PORTAL_OUTBOX_H
#define GH_PORTAL_OUTBOX_H

#include <stdbool.h>

#include "http/router.h"
#include "portal/portal.h"

/* Adds the outbox routes to r (route context p); false on a route-table
 * conflict (a programming error). */
bool gh_portal_register_outbox(struct gh_router *r, struct gh_portal *p);

#endif
