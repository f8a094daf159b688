#include "domain/subscription.h"

#include <stdio.h>
#include <string.h>

/* Every transition there is: one row per action, the side that takes it, and
 * the statuses it applies from.  Everything not in this table is refused. */
struct rule {
    enum gh_sub_side side;
    bool from[4]; /* indexed by enum gh_sub_status */
    enum gh_sub_status to;
};

static const struct rule rules[GH_SUB_ACTION_COUNT] = {
    [GH_SUB_ACTIVATE] = {GH_SIDE_PROVIDER, {[GH_SUB_ACTIVATION_REQUESTED] = true}, GH_SUB_ACTIVE},
    [GH_SUB_REQUEST_DEACTIVATION] = {GH_SIDE_PARTNER,
                                     {[GH_SUB_ACTIVE] = true},
                                     GH_SUB_DEACTIVATION_REQUESTED},
    [GH_SUB_DEACTIVATE] = {GH_SIDE_PROVIDER,
                           {[GH_SUB_ACTIVATION_REQUESTED] = true,
                            [GH_SUB_ACTIVE] = true,
                            [GH_SUB_DEACTIVATION_REQUESTED] = true},
                           GH_SUB_INACTIVE},
    [GH_SUB_REQUEST_ACTIVATION] = {GH_SIDE_PARTNER,
                                   {[GH_SUB_INACTIVE] = true},
                                   GH_SUB_ACTIVATION_REQUESTED},
};

static const char *const action_names[GH_SUB_ACTION_COUNT] = {
    "activate",
    "request-deactivation",
    "deactivate",
    "request-activation",
};

/* For refusals: "only the provider may <verb> a subscription". */
static const char *const action_verbs[GH_SUB_ACTION_COUNT] = {
    "activate",
    "request deactivation of",
    "deactivate",
    "request activation of",
};

static const char *const side_names[] = {"partner", "provider"};

const char *gh_sub_action_name(enum gh_sub_action a)
{
    return (size_t)a < GH_SUB_ACTION_COUNT ? action_names[a] : "?";
}

bool gh_sub_action_parse(const char *s, enum gh_sub_action *out)
{
    for (size_t i = 0; s && i < GH_SUB_ACTION_COUNT; i++) {
        if (strcmp(s, action_names[i]) == 0) {
            *out = (enum gh_sub_action)i;
            return true;
        }
    }
    return false;
}

const char *gh_sub_side_name(enum gh_sub_side s)
{
    return (size_t)s < sizeof side_names / sizeof side_names[0] ? side_names[s] : "?";
}

bool gh_sub_side_parse(const char *s, enum gh_sub_side *out)
{
    for (size_t i = 0; s && i < sizeof side_names / sizeof side_names[0]; i++) {
        if (strcmp(s, side_names[i]) == 0) {
            *out = (enum gh_sub_side)i;
            return true;
        }
    }
    return false;
}

static bool status_valid(enum gh_sub_status s)
{
    return (size_t)s <= GH_SUB_INACTIVE;
}

size_t gh_subscription_allowed_actions(enum gh_sub_status status, enum gh_sub_side side,
                                       enum gh_sub_action out[GH_SUB_ACTION_COUNT])
{
    size_t n = 0;
    if (!status_valid(status))
        return 0;
    for (size_t a = 0; a < GH_SUB_ACTION_COUNT; a++) {
        if (rules[a].side == side && rules[a].from[status])
            out[n++] = (enum gh_sub_action)a;
    }
    return n;
}

enum gh_sub_verdict gh_subscription_transition(enum gh_sub_status from, enum gh_sub_action action,
                                               enum gh_sub_side side, struct gh_sub_transition *out)
{
    if ((size_t)action >= GH_SUB_ACTION_COUNT) {
        snprintf(out->message, sizeof out->message, "unknown subscription action");
        return GH_SUB_FORBIDDEN;
    }
    const struct rule *r = &rules[action];
    if (r->side != side) {
        snprintf(out->message, sizeof out->message, "only the %s may %s a subscription",
                 gh_sub_side_name(r->side), action_verbs[action]);
        return GH_SUB_FORBIDDEN;
    }
    if (status_valid(from) && r->from[from]) {
        out->new_status = r->to;
        out->message[0] = '\0';
        return GH_SUB_OK;
    }

    enum gh_sub_action allowed[GH_SUB_ACTION_COUNT];
    size_t n = gh_subscription_allowed_actions(from, side, allowed);
    int len = snprintf(out->message, sizeof out->message,
                       "subscription is '%s'; allowed: ", gh_sub_status_name(from));
    size_t o = len > 0 ? (size_t)len : 0;
    if (n == 0 && o < sizeof out->message)
        snprintf(out->message + o, sizeof out->message - o, "none");
    for (size_t i = 0; i < n && o < sizeof out->message; i++) {
        len = snprintf(out->message + o, sizeof out->message - o, "%s%s", i ? ", " : "",
                       gh_sub_action_name(allowed[i]));
        o += len > 0 ? (size_t)len : 0;
    }
    return GH_SUB_CONFLICT;
}

enum gh_sub_status gh_subscription_initial_status(enum gh_plan_approval approval)
{
    return approval == GH_APPROVAL_AUTO ? GH_SUB_ACTIVE : GH_SUB_ACTIVATION_REQUESTED;
}

bool gh_subscription_grants_access(enum gh_sub_status status)
{
    return status == GH_SUB_ACTIVE;
}
