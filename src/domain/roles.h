/* Who may do what: app member roles (seed 002) and org roles, as capabilities.
 *
 * App roles (seed 002):
 *  - OWNER: full access: everything below, manages the app's members and may
 *    remove the app;
 *  - DEVELOPER: reads the app, edits its details (name, description,
 *    token_name, scopes, validity settings) and manages its subscriptions
 *    (request activation / deactivation), but no authentication settings
 *    (client secret, API keys, certificates, grant types, token type,
 *    redirect and logout URIs, confidential), no members, no removal;
 *  - READ_ONLY: reads only.
 * Setting a custom (non-generated) client_id or client_secret is no app
 * role's business at all: seed 002 reserves it to platform admins.
 *
 * Org roles: ADMIN manages the org and its members, and in a provider org its
 * APIs and plans, the provider's side of subscriptions (activate, deactivate),
 * app access status and access-token hashes; an ADMIN of a partner org acts
 * as OWNER on every app of the org.  DEVELOPER reads the org and, in a partner
 * org, may create apps (and becomes OWNER of each app it creates).
 *
 * Platform admins stand above both (DESIGN.md); the faces check that flag
 * before consulting these tables. */
#ifndef GH_DOMAIN_ROLES_H
#define GH_DOMAIN_ROLES_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/model.h"
#include "domain/validate.h"

enum gh_app_cap {
    GH_APP_CAP_READ = 0,     /* the app, its settings, members, subscriptions, key metadata */
    GH_APP_CAP_EDIT_DETAILS, /* name, description, token_name, scopes, validity overrides */
    GH_APP_CAP_MANAGE_SUBSCRIPTIONS, /* subscribe, request activation / deactivation */
    GH_APP_CAP_EDIT_AUTH_SETTINGS, /* grant types, token type, redirect/logout URIs, confidential */
    GH_APP_CAP_MANAGE_SECRET,      /* rotate the client secret (to a generated one) */
    GH_APP_CAP_MANAGE_API_KEYS,    /* create and remove API keys */
    GH_APP_CAP_MANAGE_CERTIFICATES,    /* add and remove TLS client certificates */
    GH_APP_CAP_MANAGE_MEMBERS,         /* add, remove and change app members */
    GH_APP_CAP_DELETE,                 /* remove the app */
    GH_APP_CAP_SET_CUSTOM_CREDENTIALS, /* choose client_id / client_secret: platform admins only */
};
#define GH_APP_CAP_COUNT 10

enum gh_org_cap {
    GH_ORG_CAP_READ = 0,             /* the org and its members; a provider's APIs and plans */
    GH_ORG_CAP_EDIT,                 /* name, description, contact, responsible person */
    GH_ORG_CAP_MANAGE_MEMBERS,       /* add, remove and change org members */
    GH_ORG_CAP_CREATE_APPS,          /* partner orgs */
    GH_ORG_CAP_MANAGE_APIS,          /* provider orgs: APIs and plans */
    GH_ORG_CAP_DECIDE_SUBSCRIPTIONS, /* provider orgs: activate / deactivate */
    GH_ORG_CAP_SET_ACCESS_STATUS,    /* provider orgs: an app's access status red / green */
    GH_ORG_CAP_READ_TOKEN_HASHES,    /* provider orgs: access-token hashes and hash method */
};
#define GH_ORG_CAP_COUNT 8

/* Snake-case names ("edit_details", "manage_subscriptions", …); "?" outside the enum. */
const char *gh_app_cap_name(enum gh_app_cap cap);
const char *gh_org_cap_name(enum gh_org_cap cap);

bool gh_app_role_can(enum gh_app_role role, enum gh_app_cap cap);

/* Whether an org member with this role may use cap in org (whose provider and
 * partner flags decide which capabilities exist there at all). */
bool gh_org_role_can(enum gh_org_role role, const struct gh_org *org, enum gh_org_cap cap);

/* The role a person acts with on an app of their org: a partner org ADMIN
 * acts as OWNER on every app of that org; anyone else has their app
 * membership role (has_app_role, app_role).  Returns false when the person
 * has no access to the app; *out is set otherwise. */
bool gh_app_effective_role(bool is_org_admin, bool has_app_role, enum gh_app_role app_role,
                           enum gh_app_role *out);

/* Whether an app field (its JSON name in the management API) is an
 * authentication setting: client_id, client_secret, api_keys, certificates,
 * grant_types, token_type, redirect_uris, logout_uris, confidential, disabled. */
bool gh_app_field_is_auth_setting(const char *json_field_name);

/* The capability changing an app field needs; false for a field nobody may
 * set (unknown, or read-only like id, org_id, created_at). */
bool gh_app_field_cap(const char *json_field_name, enum gh_app_cap *out);

/* Org fields only platform admins may set (seed 002, DESIGN.md): provider,
 * partner, tenant, customer_numbers and partner_roles. */
bool gh_org_field_is_platform_admin_only(const char *json_field_name);

/* Last-ADMIN rule: may a member whose role is current be removed (remove) or
 * given new_role, when the org has admin_count ADMINs in all (this member
 * included)?  An org never loses its last ADMIN.  On false, err says so. */
bool gh_org_member_change_allowed(enum gh_org_role current, bool remove, enum gh_org_role new_role,
                                  size_t admin_count, struct gh_field_error *err);

/* Last-OWNER rule, the same for app members: an app never loses its last OWNER. */
bool gh_app_member_change_allowed(enum gh_app_role current, bool remove, enum gh_app_role new_role,
                                  size_t owner_count, struct gh_field_error *err);

/* Seed 002: a person must have registered and verified their email address
 * before an org can add them as a member. */
bool gh_org_member_add_allowed(const struct gh_user *u, struct gh_field_error *err);

/* An app member must also be a member of the app's org (is_org_member), with
 * a verified email like any org member. */
bool gh_app_member_add_allowed(const struct gh_user *u, bool is_org_member,
                               struct gh_field_error *err);

#endif
