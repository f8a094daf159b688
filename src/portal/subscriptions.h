/* Subscriptions of apps to APIs (seed 000's activation requests), through
 * /api/v1/apps/{app}/subscriptions, /api/v1/subscriptions/{id}… and
 * /api/v1/apis/{api}/subscriptions: subscribing with a plan, the four
 * transitions of domain/subscription.h with their history and
 * notifications, the partner's and the provider's views, and the access
 * token of access_token APIs (shown once; the provider sees its unkeyed
 * digest and hash method).  Permissions follow domain/roles.h and
 * docs/permissions.md. */
#ifndef GH_PORTAL_SUBSCRIPTIONS_H
#define GH_PORTAL_SUBSCRIPTIONS_H

#include <stdbool.h>

#include "http/router.h"
#include "portal/portal.h"

/* Adds the subscription routes to r (route context p); false if the router
 * refused one. */
bool gh_portal_register_subscriptions(struct gh_router *r, struct gh_portal *p);

#endif
