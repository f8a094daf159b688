#include "portal/portal.h"
#include "portal/call.h"
#include "portal/openapi.h"

bool gh_portal_register(struct gh_router *r, struct gh_portal *p)
{
    return gh_openapi_register(r) && gh_portal_register_sessions(r, p) &&
           gh_portal_register_accounts(r, p) && gh_portal_register_orgs(r, p) &&
           gh_portal_register_audit(r, p);
}
