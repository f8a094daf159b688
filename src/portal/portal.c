#include "portal/portal.h"
#include "portal/access.h"
#include "portal/apis.h"
#include "portal/apps.h"
#include "portal/call.h"
#include "portal/credentials.h"
#include "portal/openapi.h"
#include "portal/outbox.h"
#include "portal/subscriptions.h"
#include "portal/webhooks.h"

bool gh_portal_register(struct gh_router *r, struct gh_portal *p)
{
    return gh_openapi_register(r) && gh_portal_register_sessions(r, p) &&
           gh_portal_register_accounts(r, p) && gh_portal_register_orgs(r, p) &&
           gh_portal_register_audit(r, p) && gh_portal_register_apis(r, p) &&
           gh_portal_register_apps(r, p) && gh_portal_register_credentials(r, p) &&
           gh_portal_register_subscriptions(r, p) && gh_portal_register_access(r, p) &&
           gh_portal_register_outbox(r, p) && gh_portal_register_webhooks(r, p);
}
