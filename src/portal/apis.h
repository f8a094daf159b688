/* APIs and their plans in the management API (/api/v1/orgs/{org}/apis,
 * /api/v1/apis…): a provider publishes APIs with their path prefixes,
 * authentication method and customer-number location, and offers plans
 * (rate limit, quota, approval); everyone authenticated browses the catalog
 * of the APIs their partner roles allow.  Who may do what:
 * docs/permissions.md (second table) and the comment atop apis.c. */
#ifndef GH_PORTAL_APIS_H
#define GH_PORTAL_APIS_H

#include <stdbool.h>

#include "http/router.h"
#include "portal/portal.h"

/* Adds the API and plan routes to r (route context p); false on a
 * route-table conflict (a programming error). */
bool gh_portal_register_apis(struct gh_router *r, struct gh_portal *p);

#endif
