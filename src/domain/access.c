#include "domain/access.h"

#include <stdio.h>
#include <string.h>

#include "domain/subscription.h"

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

enum gh_access_status gh_access_effective(const struct gh_access_status_rec *rec)
{
    return rec && rec->status == GH_ACCESS_RED ? GH_ACCESS_RED : GH_ACCESS_GREEN;
}

const struct gh_access_status_rec *gh_access_find(const struct gh_access_status_rec *recs, size_t n,
                                                  const char *app_id, const char *provider_org_id)
{
    for (size_t i = 0; i < n; i++) {
        if (str_eq(recs[i].app_id, app_id) && str_eq(recs[i].provider_org_id, provider_org_id))
            return &recs[i];
    }
    return NULL;
}

bool gh_access_allows(const struct gh_access_status_rec *rec, const char *app_id,
                      const char *provider_org_id)
{
    if (!rec || !str_eq(rec->app_id, app_id) || !str_eq(rec->provider_org_id, provider_org_id))
        return true;
    return gh_access_effective(rec) == GH_ACCESS_GREEN;
}

enum gh_access_notice gh_access_change_notice(const struct gh_access_status_rec *old,
                                              enum gh_access_status new_status,
                                              const char *new_reason)
{
    enum gh_access_status before = gh_access_effective(old);
    if (new_status == GH_ACCESS_RED) {
        /* Newly red, or red with a new reason: the partner learns the reason. */
        if (before != GH_ACCESS_RED)
            return GH_ACCESS_NOTICE_BLOCKED;
        const char *old_reason = old->reason ? old->reason : "";
        return strcmp(old_reason, new_reason ? new_reason : "") != 0 ? GH_ACCESS_NOTICE_BLOCKED
                                                                     : GH_ACCESS_NOTICE_NONE;
    }
    return before == GH_ACCESS_RED ? GH_ACCESS_NOTICE_RESTORED : GH_ACCESS_NOTICE_NONE;
}

static bool has_role(const struct gh_org *partner, const char *role)
{
    return partner && role && gh_strlist_has(&partner->partner_roles, gh_str_c(role));
}

static enum gh_access_verdict decide(struct gh_access_decision *out, enum gh_access_verdict v,
                                     const char *message)
{
    out->verdict = v;
    snprintf(out->message, sizeof out->message, "%s", message);
    return v;
}

enum gh_access_verdict gh_access_decide(const struct gh_api *api, const struct gh_org *partner,
                                        const struct gh_access_status_rec *status,
                                        const struct gh_subscription *sub,
                                        struct gh_access_decision *out)
{
    /* A red record of another provider never blocks this API (seed 000: red
     * blocks that provider's APIs only); a record that names no provider is
     * taken as the API's own, so missing data fails closed. */
    bool status_applies = !status || !status->provider_org_id || !api->org_id ||
                          strcmp(status->provider_org_id, api->org_id) == 0;
    if (status_applies && gh_access_effective(status) == GH_ACCESS_RED)
        return decide(out, GH_ACCESS_APP_BLOCKED, "The provider has blocked this app");
    if (sub) {
        if (api->subscription_required ? !gh_subscription_grants_access(sub->status)
                                       : sub->status == GH_SUB_INACTIVE) {
            out->verdict = GH_ACCESS_SUBSCRIPTION_INACTIVE;
            snprintf(out->message, sizeof out->message, "The app's subscription to this API is %s",
                     gh_sub_status_name(sub->status));
            return out->verdict;
        }
    } else if (api->subscription_required) {
        return decide(out, GH_ACCESS_NOT_SUBSCRIBED, "The app has no subscription to this API");
    }
    for (size_t i = 0; i < api->required_roles.n; i++) {
        if (!has_role(partner, api->required_roles.items[i])) {
            out->verdict = GH_ACCESS_MISSING_ROLE;
            snprintf(out->message, sizeof out->message,
                     "The partner lacks the role %.200s, which this API requires",
                     api->required_roles.items[i]);
            return out->verdict;
        }
    }
    return decide(out, GH_ACCESS_ALLOWED, "");
}
