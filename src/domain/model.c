#include "domain/model.h"

#include <string.h>

/* One table per enum, indexed by value; name and parse share it so the two
 * spellings cannot drift apart. */
#define GH_ENUM_TABLE(type, prefix, ...)                                                           \
    static const char *const prefix##_names[] = {__VA_ARGS__};                                     \
    const char *gh_##prefix##_name(enum type v)                                                    \
    {                                                                                              \
        size_t i = (size_t)v;                                                                      \
        return i < sizeof prefix##_names / sizeof prefix##_names[0] ? prefix##_names[i] : "?";     \
    }                                                                                              \
    bool gh_##prefix##_parse(const char *s, enum type *out)                                        \
    {                                                                                              \
        for (size_t i = 0; s && i < sizeof prefix##_names / sizeof prefix##_names[0]; i++) {       \
            if (strcmp(s, prefix##_names[i]) == 0) {                                               \
                *out = (enum type)i;                                                               \
                return true;                                                                       \
            }                                                                                      \
        }                                                                                          \
        return false;                                                                              \
    }

GH_ENUM_TABLE(gh_org_role, org_role, "ADMIN", "DEVELOPER")
GH_ENUM_TABLE(gh_auth_method, auth_method, "manual_handover", "access_token", "api_key", "oauth2",
              "basic", "mtls")
GH_ENUM_TABLE(gh_hash_method, hash_method, "sha256", "sha512")
GH_ENUM_TABLE(gh_customer_number_in, customer_number_in, "none", "query", "header", "path")
GH_ENUM_TABLE(gh_plan_approval, plan_approval, "provider", "auto")
GH_ENUM_TABLE(gh_quota_period, quota_period, "none", "day", "month")
GH_ENUM_TABLE(gh_token_type, token_type, "jwt", "uuid")
GH_ENUM_TABLE(gh_app_role, app_role, "OWNER", "DEVELOPER", "READ_ONLY")
GH_ENUM_TABLE(gh_sub_status, sub_status, "activation-requested", "active", "deactivation-requested",
              "inactive")
GH_ENUM_TABLE(gh_access_status, access_status, "green", "red")
GH_ENUM_TABLE(gh_key_state, key_state, "next", "active", "retired")
GH_ENUM_TABLE(gh_api_token_kind, api_token_kind, "admin", "personal")
GH_ENUM_TABLE(gh_user_token_purpose, user_token_purpose, "verify_email", "password_reset")
GH_ENUM_TABLE(gh_outbox_channel, outbox_channel, "email", "webhook")
GH_ENUM_TABLE(gh_outbox_state, outbox_state, "pending", "sent", "failed")

bool gh_strlist_has(const struct gh_strlist *l, struct gh_str s)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (l->items[i] && gh_str_eq_c(s, l->items[i]))
            return true;
    return false;
}
