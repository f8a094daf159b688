#include "domain/roles.h"

#include <stdio.h>
#include <string.h>

#define BIT(cap) (1u << (cap))

/* Capabilities per app role, indexed by enum gh_app_role. */
static const unsigned app_role_caps[] = {
    [GH_APP_OWNER] = BIT(GH_APP_CAP_READ) | BIT(GH_APP_CAP_EDIT_DETAILS) |
                     BIT(GH_APP_CAP_MANAGE_SUBSCRIPTIONS) | BIT(GH_APP_CAP_EDIT_AUTH_SETTINGS) |
                     BIT(GH_APP_CAP_MANAGE_SECRET) | BIT(GH_APP_CAP_MANAGE_API_KEYS) |
                     BIT(GH_APP_CAP_MANAGE_CERTIFICATES) | BIT(GH_APP_CAP_MANAGE_MEMBERS) |
                     BIT(GH_APP_CAP_DELETE),
    [GH_APP_DEVELOPER] =
        BIT(GH_APP_CAP_READ) | BIT(GH_APP_CAP_EDIT_DETAILS) | BIT(GH_APP_CAP_MANAGE_SUBSCRIPTIONS),
    [GH_APP_READ_ONLY] = BIT(GH_APP_CAP_READ),
};

/* Org capabilities per role, split by the org kind that has them. */
struct org_caps {
    unsigned any, partner, provider;
};

static const struct org_caps org_role_caps[] = {
    [GH_ORG_ADMIN] = {BIT(GH_ORG_CAP_READ) | BIT(GH_ORG_CAP_EDIT) | BIT(GH_ORG_CAP_MANAGE_MEMBERS),
                      BIT(GH_ORG_CAP_CREATE_APPS),
                      BIT(GH_ORG_CAP_MANAGE_APIS) | BIT(GH_ORG_CAP_DECIDE_SUBSCRIPTIONS) |
                          BIT(GH_ORG_CAP_SET_ACCESS_STATUS) | BIT(GH_ORG_CAP_READ_TOKEN_HASHES)},
    [GH_ORG_DEVELOPER] = {BIT(GH_ORG_CAP_READ), BIT(GH_ORG_CAP_CREATE_APPS), 0},
};

static const char *const app_cap_names[GH_APP_CAP_COUNT] = {
    "read",          "edit_details",           "manage_subscriptions", "edit_auth_settings",
    "manage_secret", "manage_api_keys",        "manage_certificates",  "manage_members",
    "delete",        "set_custom_credentials",
};

static const char *const org_cap_names[GH_ORG_CAP_COUNT] = {
    "read",
    "edit",
    "manage_members",
    "create_apps",
    "manage_apis",
    "decide_subscriptions",
    "set_access_status",
    "read_token_hashes",
};

const char *gh_app_cap_name(enum gh_app_cap cap)
{
    return (size_t)cap < GH_APP_CAP_COUNT ? app_cap_names[cap] : "?";
}

const char *gh_org_cap_name(enum gh_org_cap cap)
{
    return (size_t)cap < GH_ORG_CAP_COUNT ? org_cap_names[cap] : "?";
}

bool gh_app_role_can(enum gh_app_role role, enum gh_app_cap cap)
{
    if ((size_t)role >= sizeof app_role_caps / sizeof app_role_caps[0] ||
        (size_t)cap >= GH_APP_CAP_COUNT)
        return false;
    return (app_role_caps[role] & BIT(cap)) != 0;
}

bool gh_org_role_can(enum gh_org_role role, const struct gh_org *org, enum gh_org_cap cap)
{
    if ((size_t)role >= sizeof org_role_caps / sizeof org_role_caps[0] ||
        (size_t)cap >= GH_ORG_CAP_COUNT)
        return false;
    const struct org_caps *c = &org_role_caps[role];
    unsigned caps = c->any | (org->partner ? c->partner : 0) | (org->provider ? c->provider : 0);
    return (caps & BIT(cap)) != 0;
}

bool gh_app_effective_role(bool is_org_admin, bool has_app_role, enum gh_app_role app_role,
                           enum gh_app_role *out)
{
    if (is_org_admin) {
        *out = GH_APP_OWNER;
        return true;
    }
    if (!has_app_role)
        return false;
    *out = app_role;
    return true;
}

/* Every settable app field and the capability it needs. */
static const struct {
    const char *field;
    enum gh_app_cap cap;
} app_fields[] = {
    {"name", GH_APP_CAP_EDIT_DETAILS},
    {"description", GH_APP_CAP_EDIT_DETAILS},
    {"token_name", GH_APP_CAP_EDIT_DETAILS},
    {"scopes", GH_APP_CAP_EDIT_DETAILS},
    {"access_token_validity_secs", GH_APP_CAP_EDIT_DETAILS},
    {"refresh_token_validity_secs", GH_APP_CAP_EDIT_DETAILS},
    {"id_token_validity_mins", GH_APP_CAP_EDIT_DETAILS},
    {"grant_types", GH_APP_CAP_EDIT_AUTH_SETTINGS},
    {"token_type", GH_APP_CAP_EDIT_AUTH_SETTINGS},
    {"redirect_uris", GH_APP_CAP_EDIT_AUTH_SETTINGS},
    {"logout_uris", GH_APP_CAP_EDIT_AUTH_SETTINGS},
    {"confidential", GH_APP_CAP_EDIT_AUTH_SETTINGS},
    {"disabled", GH_APP_CAP_EDIT_AUTH_SETTINGS},
    {"api_keys", GH_APP_CAP_MANAGE_API_KEYS},
    {"certificates", GH_APP_CAP_MANAGE_CERTIFICATES},
    {"client_id", GH_APP_CAP_SET_CUSTOM_CREDENTIALS},
    {"client_secret", GH_APP_CAP_SET_CUSTOM_CREDENTIALS},
};

bool gh_app_field_cap(const char *json_field_name, enum gh_app_cap *out)
{
    for (size_t i = 0; json_field_name && i < sizeof app_fields / sizeof app_fields[0]; i++) {
        if (strcmp(json_field_name, app_fields[i].field) == 0) {
            *out = app_fields[i].cap;
            return true;
        }
    }
    return false;
}

bool gh_app_field_is_auth_setting(const char *json_field_name)
{
    enum gh_app_cap cap;
    if (!gh_app_field_cap(json_field_name, &cap))
        return false;
    return cap == GH_APP_CAP_EDIT_AUTH_SETTINGS || cap == GH_APP_CAP_MANAGE_API_KEYS ||
           cap == GH_APP_CAP_MANAGE_CERTIFICATES || cap == GH_APP_CAP_SET_CUSTOM_CREDENTIALS;
}

bool gh_org_field_is_platform_admin_only(const char *json_field_name)
{
    static const char *const fields[] = {"provider", "partner", "tenant", "customer_numbers",
                                         "partner_roles"};
    for (size_t i = 0; json_field_name && i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(json_field_name, fields[i]) == 0)
            return true;
    }
    return false;
}

/* The shared last-holder rule: a member holding the guarded role may not be
 * removed or moved to another role while they are its only holder. */
static bool last_holder_check(bool holds_role, bool remove, bool keeps_role, size_t holders,
                              const char *role, const char *where, struct gh_field_error *err)
{
    if (!holds_role || (!remove && keeps_role) || holders > 1)
        return true;
    if (err) {
        err->field = remove ? NULL : "role";
        snprintf(err->message, sizeof err->message,
                 "cannot %s the last %s of %s; make another member %s first",
                 remove ? "remove" : "change the role of", role, where, role);
    }
    return false;
}

bool gh_org_member_change_allowed(enum gh_org_role current, bool remove, enum gh_org_role new_role,
                                  size_t admin_count, struct gh_field_error *err)
{
    return last_holder_check(current == GH_ORG_ADMIN, remove, new_role == GH_ORG_ADMIN, admin_count,
                             "ADMIN", "an organization", err);
}

bool gh_app_member_change_allowed(enum gh_app_role current, bool remove, enum gh_app_role new_role,
                                  size_t owner_count, struct gh_field_error *err)
{
    return last_holder_check(current == GH_APP_OWNER, remove, new_role == GH_APP_OWNER, owner_count,
                             "OWNER", "an app", err);
}

bool gh_org_member_add_allowed(const struct gh_user *u, struct gh_field_error *err)
{
    if (u->email_verified_at != 0)
        return true;
    if (err) {
        err->field = "email";
        snprintf(err->message, sizeof err->message,
                 "this person has not verified their email address yet; they must register "
                 "and verify it before they can be added");
    }
    return false;
}

bool gh_app_member_add_allowed(const struct gh_user *u, bool is_org_member,
                               struct gh_field_error *err)
{
    if (!is_org_member) {
        if (err) {
            err->field = "email";
            snprintf(err->message, sizeof err->message,
                     "this person is not a member of the app's organization; add them to the "
                     "organization first");
        }
        return false;
    }
    return gh_org_member_add_allowed(u, err);
}
