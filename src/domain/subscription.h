/* The subscription (activation) state machine of seed 000.
 *
 *   activation-requested --activate (provider)--------------> active
 *   active --request-deactivation (partner)------------------> deactivation-requested
 *   any status but inactive --deactivate (provider)----------> inactive
 *   inactive --request-activation (partner)-----------------> activation-requested
 *
 * "deactivate" is also how a provider rejects an activation request.  A new
 * subscription starts activation-requested, or active at once when its plan's
 * approval is automatic.  Which people may act for a side is the business of
 * roles.h (partner: app OWNER or DEVELOPER; provider: org ADMIN); this module
 * only knows sides.  An app's red access status (access.h) never changes a
 * subscription's status: it blocks access on top of it. */
#ifndef GH_DOMAIN_SUBSCRIPTION_H
#define GH_DOMAIN_SUBSCRIPTION_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/model.h"

/* Actions; their wire names are "activate", "request-deactivation",
 * "deactivate" and "request-activation". */
enum gh_sub_action {
    GH_SUB_ACTIVATE = 0,
    GH_SUB_REQUEST_DEACTIVATION,
    GH_SUB_DEACTIVATE,
    GH_SUB_REQUEST_ACTIVATION,
};
#define GH_SUB_ACTION_COUNT 4

/* Who acts: the partner owning the app, or the provider owning the API.
 * Wire names "partner" and "provider". */
enum gh_sub_side { GH_SIDE_PARTNER = 0, GH_SIDE_PROVIDER };

const char *gh_sub_action_name(enum gh_sub_action a); /* "?" outside the enum */
bool gh_sub_action_parse(const char *s, enum gh_sub_action *out);
const char *gh_sub_side_name(enum gh_sub_side s);
bool gh_sub_side_parse(const char *s, enum gh_sub_side *out);

enum gh_sub_verdict {
    GH_SUB_OK = 0,    /* allowed; new_status is set */
    GH_SUB_FORBIDDEN, /* this side may never take this action (HTTP 403) */
    GH_SUB_CONFLICT,  /* not from the current status (HTTP 409) */
};

struct gh_sub_transition {
    enum gh_sub_status new_status; /* GH_SUB_OK only */
    char message[160];             /* FORBIDDEN and CONFLICT: says why, for the error body */
};

/* Decides action by side on a subscription in status from.  FORBIDDEN wins
 * over CONFLICT: a side is told it may never do something before being told
 * it cannot do it now.  The CONFLICT message names the current status and the
 * actions this side may take from it, e.g.
 * "subscription is 'activation-requested'; allowed: deactivate". */
enum gh_sub_verdict gh_subscription_transition(enum gh_sub_status from, enum gh_sub_action action,
                                               enum gh_sub_side side,
                                               struct gh_sub_transition *out);

/* The actions side may take from status, in enum order, into out; returns
 * how many (0..GH_SUB_ACTION_COUNT). */
size_t gh_subscription_allowed_actions(enum gh_sub_status status, enum gh_sub_side side,
                                       enum gh_sub_action out[GH_SUB_ACTION_COUNT]);

/* The status a new subscription starts in, given its plan's approval mode. */
enum gh_sub_status gh_subscription_initial_status(enum gh_plan_approval approval);

/* Whether a subscription in this status lets calls through: active only
 * (issue 6: a subscription "not active" is refused; deactivation-requested
 * is the customer asking to stop, honoured at once, and tokens stop carrying
 * its service as well).  The app's access status is checked on top
 * (access.h). */
bool gh_subscription_grants_access(enum gh_sub_status status);

#endif
