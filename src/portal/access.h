/* An app's access status per provider (seed 000), through
 * /api/v1/apps/{app}/access-status: a provider's ADMINs set it red (with a
 * reason, mailed to the partner's responsible person) or green; it never
 * touches a subscription's or credential's own status.  The partner's
 * members see every provider's entry, a provider's members their own. */
#ifndef GH_PORTAL_ACCESS_H
#define GH_PORTAL_ACCESS_H

#include <stdbool.h>

#include "http/router.h"
#include "portal/portal.h"

/* Adds the access-status routes to r (route context p); false if the router
 * refused one. */
bool gh_portal_register_access(struct gh_router *r, struct gh_portal *p);

#endif
