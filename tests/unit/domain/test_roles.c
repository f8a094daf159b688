/* Seed 002's app roles and the org roles, as capability tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "domain/roles.h"

/* ---- app roles: every capability x role ---------------------------------- */

static const struct app_cap_row {
    enum gh_app_cap cap;
    const char *name;
    bool owner, developer, read_only;
} app_caps[] = {
    {GH_APP_CAP_READ, "read", true, true, true},
    {GH_APP_CAP_EDIT_DETAILS, "edit_details", true, true, false},
    {GH_APP_CAP_MANAGE_SUBSCRIPTIONS, "manage_subscriptions", true, true, false},
    /* seed 002: a DEVELOPER may not change "any authentication settings" */
    {GH_APP_CAP_EDIT_AUTH_SETTINGS, "edit_auth_settings", true, false, false},
    {GH_APP_CAP_MANAGE_SECRET, "manage_secret", true, false, false},
    {GH_APP_CAP_MANAGE_API_KEYS, "manage_api_keys", true, false, false},
    {GH_APP_CAP_MANAGE_CERTIFICATES, "manage_certificates", true, false, false},
    {GH_APP_CAP_MANAGE_MEMBERS, "manage_members", true, false, false},
    /* seed 002: "he cannot remove the application" */
    {GH_APP_CAP_DELETE, "delete", true, false, false},
    /* seed 002: custom client_id / client_secret are set in the console only */
    {GH_APP_CAP_SET_CUSTOM_CREDENTIALS, "set_custom_credentials", false, false, false},
};

static void test_app_role_capabilities(void **state)
{
    assert_int_equal(sizeof app_caps / sizeof app_caps[0], GH_APP_CAP_COUNT);
    for (size_t i = 0; i < GH_APP_CAP_COUNT; i++) {
        const struct app_cap_row *r = &app_caps[i];
        assert_int_equal(r->cap, i);
        assert_string_equal(gh_app_cap_name(r->cap), r->name);
        if (gh_app_role_can(GH_APP_OWNER, r->cap) != r->owner ||
            gh_app_role_can(GH_APP_DEVELOPER, r->cap) != r->developer ||
            gh_app_role_can(GH_APP_READ_ONLY, r->cap) != r->read_only)
            fail_msg("capability %s: OWNER %d DEVELOPER %d READ_ONLY %d", r->name,
                     gh_app_role_can(GH_APP_OWNER, r->cap),
                     gh_app_role_can(GH_APP_DEVELOPER, r->cap),
                     gh_app_role_can(GH_APP_READ_ONLY, r->cap));
    }
    assert_string_equal(gh_app_cap_name((enum gh_app_cap)GH_APP_CAP_COUNT), "?");
    assert_false(gh_app_role_can(GH_APP_OWNER, (enum gh_app_cap)GH_APP_CAP_COUNT));
    assert_false(gh_app_role_can((enum gh_app_role)3, GH_APP_CAP_READ));
}

/* ---- app fields ----------------------------------------------------------- */

static const struct field_row {
    const char *field;
    bool settable;
    enum gh_app_cap cap;
    bool auth;
} app_fields[] = {
    {"name", true, GH_APP_CAP_EDIT_DETAILS, false},
    {"description", true, GH_APP_CAP_EDIT_DETAILS, false},
    {"token_name", true, GH_APP_CAP_EDIT_DETAILS, false},
    {"scopes", true, GH_APP_CAP_EDIT_DETAILS, false},
    {"access_token_validity_secs", true, GH_APP_CAP_EDIT_DETAILS, false},
    {"refresh_token_validity_secs", true, GH_APP_CAP_EDIT_DETAILS, false},
    {"id_token_validity_mins", true, GH_APP_CAP_EDIT_DETAILS, false},
    {"grant_types", true, GH_APP_CAP_EDIT_AUTH_SETTINGS, true},
    {"token_type", true, GH_APP_CAP_EDIT_AUTH_SETTINGS, true},
    {"redirect_uris", true, GH_APP_CAP_EDIT_AUTH_SETTINGS, true},
    {"logout_uris", true, GH_APP_CAP_EDIT_AUTH_SETTINGS, true},
    {"confidential", true, GH_APP_CAP_EDIT_AUTH_SETTINGS, true},
    {"disabled", true, GH_APP_CAP_EDIT_AUTH_SETTINGS, true},
    {"api_keys", true, GH_APP_CAP_MANAGE_API_KEYS, true},
    {"certificates", true, GH_APP_CAP_MANAGE_CERTIFICATES, true},
    {"client_id", true, GH_APP_CAP_SET_CUSTOM_CREDENTIALS, true},
    {"client_secret", true, GH_APP_CAP_SET_CUSTOM_CREDENTIALS, true},
    /* read-only or unknown: nobody sets them */
    {"id", false, 0, false},
    {"org_id", false, 0, false},
    {"created_at", false, 0, false},
    {"client_secret_hash", false, 0, false},
    {"Name", false, 0, false},
    {"name ", false, 0, false},
    {"", false, 0, false},
    {NULL, false, 0, false},
};

static void test_app_field_capabilities(void **state)
{
    for (size_t i = 0; i < sizeof app_fields / sizeof app_fields[0]; i++) {
        const struct field_row *r = &app_fields[i];
        const char *shown = r->field ? r->field : "(null)";
        enum gh_app_cap cap = (enum gh_app_cap)99;
        if (gh_app_field_cap(r->field, &cap) != r->settable)
            fail_msg("field \"%s\": settable should be %d", shown, r->settable);
        if (r->settable && cap != r->cap)
            fail_msg("field \"%s\": needs %s, expected %s", shown, gh_app_cap_name(cap),
                     gh_app_cap_name(r->cap));
        if (gh_app_field_is_auth_setting(r->field) != r->auth)
            fail_msg("field \"%s\": auth setting should be %d", shown, r->auth);
    }
}

/* What seed 002 says in words, checked through the field table: a DEVELOPER
 * may change every detail but no authentication setting; READ_ONLY nothing. */
static void test_developer_edits_details_but_no_auth_setting(void **state)
{
    for (size_t i = 0; i < sizeof app_fields / sizeof app_fields[0]; i++) {
        const struct field_row *r = &app_fields[i];
        enum gh_app_cap cap;
        if (!gh_app_field_cap(r->field, &cap))
            continue;
        assert_int_equal(gh_app_role_can(GH_APP_DEVELOPER, cap), !r->auth);
        assert_false(gh_app_role_can(GH_APP_READ_ONLY, cap));
        if (cap != GH_APP_CAP_SET_CUSTOM_CREDENTIALS)
            assert_true(gh_app_role_can(GH_APP_OWNER, cap));
    }
}

/* ---- effective app role ---------------------------------------------------- */

static void test_effective_role(void **state)
{
    static const struct {
        bool org_admin, has_app_role;
        enum gh_app_role app_role;
        bool access;
        enum gh_app_role effective;
    } rows[] = {
        /* a partner org ADMIN acts as OWNER on every app of the org */
        {true, false, 0, true, GH_APP_OWNER},
        {true, true, GH_APP_READ_ONLY, true, GH_APP_OWNER},
        {true, true, GH_APP_DEVELOPER, true, GH_APP_OWNER},
        {true, true, GH_APP_OWNER, true, GH_APP_OWNER},
        /* everyone else has their app membership, or no access */
        {false, true, GH_APP_OWNER, true, GH_APP_OWNER},
        {false, true, GH_APP_DEVELOPER, true, GH_APP_DEVELOPER},
        {false, true, GH_APP_READ_ONLY, true, GH_APP_READ_ONLY},
        {false, false, GH_APP_OWNER, false, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        enum gh_app_role out = (enum gh_app_role)99;
        bool ok =
            gh_app_effective_role(rows[i].org_admin, rows[i].has_app_role, rows[i].app_role, &out);
        if (ok != rows[i].access)
            fail_msg("row %zu: access %d", i, ok);
        if (ok)
            assert_int_equal(out, rows[i].effective);
        else
            assert_int_equal(out, 99);
    }
}

/* ---- org roles: every capability x role x kind of org ------------------------ */

static const struct org_cap_row {
    enum gh_org_cap cap;
    const char *name;
    /* [role][kind]: role ADMIN, DEVELOPER; kind provider only, partner only, both */
    bool can[2][3];
} org_caps[] = {
    {GH_ORG_CAP_READ, "read", {{true, true, true}, {true, true, true}}},
    {GH_ORG_CAP_EDIT, "edit", {{true, true, true}, {false, false, false}}},
    {GH_ORG_CAP_MANAGE_MEMBERS, "manage_members", {{true, true, true}, {false, false, false}}},
    {GH_ORG_CAP_CREATE_APPS, "create_apps", {{false, true, true}, {false, true, true}}},
    {GH_ORG_CAP_MANAGE_APIS, "manage_apis", {{true, false, true}, {false, false, false}}},
    {GH_ORG_CAP_DECIDE_SUBSCRIPTIONS,
     "decide_subscriptions",
     {{true, false, true}, {false, false, false}}},
    {GH_ORG_CAP_SET_ACCESS_STATUS,
     "set_access_status",
     {{true, false, true}, {false, false, false}}},
    {GH_ORG_CAP_READ_TOKEN_HASHES,
     "read_token_hashes",
     {{true, false, true}, {false, false, false}}},
};

static void test_org_role_capabilities(void **state)
{
    static const struct gh_org kinds[3] = {
        {.provider = true},
        {.partner = true},
        {.provider = true, .partner = true},
    };
    static const char *const kind_names[3] = {"provider", "partner", "provider+partner"};
    static const enum gh_org_role roles[2] = {GH_ORG_ADMIN, GH_ORG_DEVELOPER};
    assert_int_equal(sizeof org_caps / sizeof org_caps[0], GH_ORG_CAP_COUNT);
    for (size_t i = 0; i < GH_ORG_CAP_COUNT; i++) {
        const struct org_cap_row *r = &org_caps[i];
        assert_int_equal(r->cap, i);
        assert_string_equal(gh_org_cap_name(r->cap), r->name);
        for (size_t role = 0; role < 2; role++) {
            for (size_t k = 0; k < 3; k++) {
                if (gh_org_role_can(roles[role], &kinds[k], r->cap) != r->can[role][k])
                    fail_msg("%s in a %s org: %s should be %d", gh_org_role_name(roles[role]),
                             kind_names[k], r->name, r->can[role][k]);
            }
        }
    }
    assert_string_equal(gh_org_cap_name((enum gh_org_cap)GH_ORG_CAP_COUNT), "?");
    assert_false(gh_org_role_can(GH_ORG_ADMIN, &kinds[2], (enum gh_org_cap)GH_ORG_CAP_COUNT));
    assert_false(gh_org_role_can((enum gh_org_role)2, &kinds[2], GH_ORG_CAP_READ));
}

static void test_org_fields_reserved_to_platform_admins(void **state)
{
    static const struct {
        const char *field;
        bool reserved;
    } rows[] = {
        {"provider", true},
        {"partner", true},
        {"tenant", true},
        {"customer_numbers", true},
        {"partner_roles", true},
        {"name", false},
        {"description", false},
        {"contact_email", false},
        {"responsible_email", false},
        {"Tenant", false},
        {"", false},
        {NULL, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (gh_org_field_is_platform_admin_only(rows[i].field) != rows[i].reserved)
            fail_msg("org field \"%s\": reserved should be %d",
                     rows[i].field ? rows[i].field : "(null)", rows[i].reserved);
    }
}

/* ---- last ADMIN / last OWNER ------------------------------------------------- */

static const char last_admin_remove[] =
    "cannot remove the last ADMIN of an organization; make another member ADMIN first";
static const char last_admin_change[] = "cannot change the role of the last ADMIN of an "
                                        "organization; make another member ADMIN first";

static void test_org_member_change(void **state)
{
    static const struct {
        enum gh_org_role current;
        bool remove;
        enum gh_org_role new_role;
        size_t admins;
        const char *refusal; /* NULL: allowed */
        const char *field;
    } rows[] = {
        {GH_ORG_ADMIN, true, GH_ORG_ADMIN, 1, last_admin_remove, NULL},
        {GH_ORG_ADMIN, false, GH_ORG_DEVELOPER, 1, last_admin_change, "role"},
        {GH_ORG_ADMIN, false, GH_ORG_ADMIN, 1, NULL, NULL}, /* no change */
        {GH_ORG_ADMIN, true, GH_ORG_ADMIN, 2, NULL, NULL},
        {GH_ORG_ADMIN, false, GH_ORG_DEVELOPER, 2, NULL, NULL},
        {GH_ORG_DEVELOPER, true, GH_ORG_DEVELOPER, 1, NULL, NULL},
        {GH_ORG_DEVELOPER, false, GH_ORG_ADMIN, 1, NULL, NULL},
        {GH_ORG_DEVELOPER, true, GH_ORG_DEVELOPER, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gh_field_error err = {.field = "untouched", .message = "untouched"};
        bool ok = gh_org_member_change_allowed(rows[i].current, rows[i].remove, rows[i].new_role,
                                               rows[i].admins, &err);
        if (ok != (rows[i].refusal == NULL))
            fail_msg("row %zu: allowed %d", i, ok);
        if (ok) {
            assert_string_equal(err.message, "untouched");
        } else {
            assert_string_equal(err.message, rows[i].refusal);
            if (rows[i].field)
                assert_string_equal(err.field, rows[i].field);
            else
                assert_null(err.field);
        }
    }
    assert_false(gh_org_member_change_allowed(GH_ORG_ADMIN, true, GH_ORG_ADMIN, 1, NULL));
}

static void test_app_member_change(void **state)
{
    static const struct {
        enum gh_app_role current;
        bool remove;
        enum gh_app_role new_role;
        size_t owners;
        const char *refusal;
    } rows[] = {
        {GH_APP_OWNER, true, GH_APP_OWNER, 1,
         "cannot remove the last OWNER of an app; make another member OWNER first"},
        {GH_APP_OWNER, false, GH_APP_DEVELOPER, 1,
         "cannot change the role of the last OWNER of an app; make another member OWNER first"},
        {GH_APP_OWNER, false, GH_APP_READ_ONLY, 1,
         "cannot change the role of the last OWNER of an app; make another member OWNER first"},
        {GH_APP_OWNER, false, GH_APP_OWNER, 1, NULL},
        {GH_APP_OWNER, true, GH_APP_OWNER, 3, NULL},
        {GH_APP_OWNER, false, GH_APP_READ_ONLY, 2, NULL},
        {GH_APP_DEVELOPER, true, GH_APP_DEVELOPER, 1, NULL},
        {GH_APP_READ_ONLY, false, GH_APP_OWNER, 1, NULL},
        {GH_APP_DEVELOPER, false, GH_APP_READ_ONLY, 1, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gh_field_error err = {.message = "untouched"};
        bool ok = gh_app_member_change_allowed(rows[i].current, rows[i].remove, rows[i].new_role,
                                               rows[i].owners, &err);
        if (ok != (rows[i].refusal == NULL))
            fail_msg("row %zu: allowed %d", i, ok);
        assert_string_equal(err.message, ok ? "untouched" : rows[i].refusal);
    }
}

/* ---- adding members ------------------------------------------------------------ */

static void test_member_add_needs_verified_email(void **state)
{
    struct gh_user verified = {.email = "dev@example.com", .email_verified_at = 1700000000};
    struct gh_user unverified = {.email = "dev@example.com"};
    struct gh_field_error err = {0};

    assert_true(gh_org_member_add_allowed(&verified, &err));
    assert_false(gh_org_member_add_allowed(&unverified, &err));
    assert_string_equal(err.field, "email");
    assert_non_null(strstr(err.message, "verify"));

    assert_true(gh_app_member_add_allowed(&verified, true, &err));
    memset(&err, 0, sizeof err);
    assert_false(gh_app_member_add_allowed(&verified, false, &err));
    assert_string_equal(err.field, "email");
    assert_non_null(strstr(err.message, "not a member of the app's organization"));
    memset(&err, 0, sizeof err);
    assert_false(gh_app_member_add_allowed(&unverified, true, &err));
    assert_non_null(strstr(err.message, "verify"));
    assert_false(gh_app_member_add_allowed(&unverified, true, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_role_capabilities),
        cmocka_unit_test(test_app_field_capabilities),
        cmocka_unit_test(test_developer_edits_details_but_no_auth_setting),
        cmocka_unit_test(test_effective_role),
        cmocka_unit_test(test_org_role_capabilities),
        cmocka_unit_test(test_org_fields_reserved_to_platform_admins),
        cmocka_unit_test(test_org_member_change),
        cmocka_unit_test(test_app_member_change),
        cmocka_unit_test(test_member_add_needs_verified_email),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
