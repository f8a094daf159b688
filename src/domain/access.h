/* App access status (seed 000) and the access decision built on it.
 *
 * A provider admin sets an app's access status red (with a reason) or green,
 * per provider.  Red blocks the app from every API of that provider and only
 * of that provider; it changes no subscription's and no credential's own
 * status, so green restores access exactly as it was.  An app with no record
 * for a provider is green there. */
#ifndef GH_DOMAIN_ACCESS_H
#define GH_DOMAIN_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/model.h"

/* The app's effective status towards the provider this record is for; NULL
 * (no record) is green. */
enum gh_access_status gh_access_effective(const struct gh_access_status_rec *rec);

/* The record among recs[0..n) that applies to app_id calling an API of
 * provider_org_id, or NULL (then the app is green there). */
const struct gh_access_status_rec *gh_access_find(const struct gh_access_status_rec *recs, size_t n,
                                                  const char *app_id, const char *provider_org_id);

/* Whether the access status lets app_id reach an API of provider_org_id: a
 * record for another app or another provider never blocks. */
bool gh_access_allows(const struct gh_access_status_rec *rec, const char *app_id,
                      const char *provider_org_id);

/* What the partner's responsible person is told when a provider sets the
 * status to new_status (old: the current record, NULL if none). */
enum gh_access_notice {
    GH_ACCESS_NOTICE_NONE = 0,
    GH_ACCESS_NOTICE_BLOCKED,  /* now red: the mail carries the reason (seed 000) */
    GH_ACCESS_NOTICE_RESTORED, /* red before, green now */
};
enum gh_access_notice gh_access_change_notice(const struct gh_access_status_rec *old,
                                              enum gh_access_status new_status,
                                              const char *new_reason);

/* May this app use this API at all (before credentials, which come first,
 * and service, customer numbers and plan limits, which come after)?  In
 * the order of the authorization check (docs/authz.md):
 *  1. the app's access status towards the API's provider is not red;
 *  2. subscription: if the API requires one, sub must exist and be active
 *     (deactivation-requested means the partner asked to stop: honoured at
 *     once); if not, access is open unless the provider made the
 *     subscription inactive;
 *  3. the partner org has every role the API requires (seed 002).
 * status is the app's record for the API's provider (NULL: green; a record
 * for another provider is ignored); sub is the app's subscription to the
 * API (NULL: none).  out->message is the sentence for the error body. */
enum gh_access_verdict {
    GH_ACCESS_ALLOWED = 0,
    GH_ACCESS_APP_BLOCKED,           /* red access status */
    GH_ACCESS_MISSING_ROLE,          /* partner lacks a required role */
    GH_ACCESS_NOT_SUBSCRIBED,        /* subscription required, none exists */
    GH_ACCESS_SUBSCRIPTION_INACTIVE, /* the subscription's status grants no access */
};

struct gh_access_decision {
    enum gh_access_verdict verdict;
    char message[256]; /* why, for the error body; empty when allowed */
};

enum gh_access_verdict gh_access_decide(const struct gh_api *api, const struct gh_org *partner,
                                        const struct gh_access_status_rec *status,
                                        const struct gh_subscription *sub,
                                        struct gh_access_decision *out);

#endif
