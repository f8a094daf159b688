/* Apps of partner organizations (/api/v1/orgs/{org}/apps, /api/v1/apps/{app}…):
 * create, list, read, change and remove apps; the client secret (shown once,
 * rotated with a grace period); custom client credentials (platform admins);
 * the app's members with the last-OWNER rule.  Permissions follow
 * domain/roles.h and docs/permissions.md. */
#ifndef GH_PORTAL_APPS_H
#define GH_PORTAL_APPS_H

#include <stdbool.h>

#include "http/router.h"
#include "portal/portal.h"

/* Adds the app routes to r (route context p); false if the router refused one. */
bool gh_portal_register_apps(struct gh_router *r, struct gh_portal *p);

#endif
