/* The enum spellings of src/domain/model.c: the wire and storage contract
 * (seed 000's statuses, seed 002's roles, DESIGN.md's method names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "domain/model.h"

struct enum_row {
    int value;
    const char *name;
};

/* Spellings that differ from a contract name only slightly; none may parse. */
static size_t near_misses(const char *name, char out[][64])
{
    size_t n = 0, len = strlen(name);
    snprintf(out[n++], 64, "%s ", name);
    snprintf(out[n++], 64, " %s", name);
    snprintf(out[n++], 64, "%.*s", (int)(len - 1), name);
    snprintf(out[n++], 64, "%sx", name);
    /* The same word in the other case: "owner" for "OWNER", "ACTIVE" for "active". */
    snprintf(out[n], 64, "%s", name);
    for (char *p = out[n]; *p; p++)
        *p = (char)(islower((unsigned char)*p) ? toupper((unsigned char)*p)
                                               : tolower((unsigned char)*p));
    n++;
    /* '-' and '_' swapped: "activation_requested", "read-only". */
    snprintf(out[n], 64, "%s", name);
    bool changed = false;
    for (char *p = out[n]; *p; p++) {
        if (*p == '-' || *p == '_') {
            *p = *p == '-' ? '_' : '-';
            changed = true;
        }
    }
    n += changed;
    return n;
}

/* Checks one enum's table: every row's value has exactly that name, the name
 * parses back to the value, the value after the last row is "?", and near
 * misses, "", "?" and NULL do not parse and leave *out alone. */
#define CHECK_ENUM(prefix, type, ...)                                                              \
    do {                                                                                           \
        static const struct enum_row rows[] = {__VA_ARGS__};                                       \
        size_t nrows = sizeof rows / sizeof rows[0];                                               \
        for (size_t i = 0; i < nrows; i++) {                                                       \
            assert_int_equal(rows[i].value, (int)i); /* values are dense from 0 */                 \
            assert_string_equal(gh_##prefix##_name((enum type)rows[i].value), rows[i].name);       \
            enum type got = (enum type)(nrows + 5);                                                \
            assert_true(gh_##prefix##_parse(rows[i].name, &got));                                  \
            assert_int_equal((int)got, rows[i].value);                                             \
            char miss[8][64];                                                                      \
            size_t nmiss = near_misses(rows[i].name, miss);                                        \
            for (size_t m = 0; m < nmiss; m++) {                                                   \
                got = (enum type)(nrows + 5);                                                      \
                if (gh_##prefix##_parse(miss[m], &got))                                            \
                    fail_msg("%s parsed \"%s\"", #prefix, miss[m]);                                \
                assert_int_equal((int)got, (int)(nrows + 5));                                      \
            }                                                                                      \
        }                                                                                          \
        assert_string_equal(gh_##prefix##_name((enum type)nrows), "?");                            \
        assert_string_equal(gh_##prefix##_name((enum type) - 1), "?");                             \
        enum type untouched = (enum type)(nrows + 5);                                              \
        assert_false(gh_##prefix##_parse("", &untouched));                                         \
        assert_false(gh_##prefix##_parse("?", &untouched));                                        \
        assert_false(gh_##prefix##_parse(NULL, &untouched));                                       \
        assert_int_equal((int)untouched, (int)(nrows + 5));                                        \
    } while (0)

static void test_sub_status_spelled_as_seed_000(void **state)
{
    CHECK_ENUM(sub_status, gh_sub_status, {GH_SUB_ACTIVATION_REQUESTED, "activation-requested"},
               {GH_SUB_ACTIVE, "active"}, {GH_SUB_DEACTIVATION_REQUESTED, "deactivation-requested"},
               {GH_SUB_INACTIVE, "inactive"});
}

static void test_app_role_spelled_as_seed_002(void **state)
{
    CHECK_ENUM(app_role, gh_app_role, {GH_APP_OWNER, "OWNER"}, {GH_APP_DEVELOPER, "DEVELOPER"},
               {GH_APP_READ_ONLY, "READ_ONLY"});
}

static void test_org_role(void **state)
{
    CHECK_ENUM(org_role, gh_org_role, {GH_ORG_ADMIN, "ADMIN"}, {GH_ORG_DEVELOPER, "DEVELOPER"});
}

static void test_auth_method_default_is_manual_handover(void **state)
{
    CHECK_ENUM(auth_method, gh_auth_method, {GH_AUTH_MANUAL_HANDOVER, "manual_handover"},
               {GH_AUTH_ACCESS_TOKEN, "access_token"}, {GH_AUTH_API_KEY, "api_key"},
               {GH_AUTH_OAUTH2, "oauth2"}, {GH_AUTH_BASIC, "basic"}, {GH_AUTH_MTLS, "mtls"});
    /* Seed 000: a zero-initialised API uses manual handover. */
    struct gh_api api = {0};
    assert_string_equal(gh_auth_method_name(api.auth_method), "manual_handover");
}

static void test_access_status_default_is_green(void **state)
{
    CHECK_ENUM(access_status, gh_access_status, {GH_ACCESS_GREEN, "green"}, {GH_ACCESS_RED, "red"});
    struct gh_access_status_rec rec = {0};
    assert_string_equal(gh_access_status_name(rec.status), "green");
}

static void test_plan_approval_default_is_provider(void **state)
{
    CHECK_ENUM(plan_approval, gh_plan_approval, {GH_APPROVAL_PROVIDER, "provider"},
               {GH_APPROVAL_AUTO, "auto"});
    struct gh_plan plan = {0};
    assert_string_equal(gh_plan_approval_name(plan.approval), "provider");
}

static void test_other_enums(void **state)
{
    CHECK_ENUM(hash_method, gh_hash_method, {GH_HASH_SHA256, "sha256"}, {GH_HASH_SHA512, "sha512"});
    CHECK_ENUM(customer_number_in, gh_customer_number_in, {GH_CN_NONE, "none"},
               {GH_CN_QUERY, "query"}, {GH_CN_HEADER, "header"}, {GH_CN_PATH, "path"});
    CHECK_ENUM(quota_period, gh_quota_period, {GH_QUOTA_NONE, "none"}, {GH_QUOTA_DAY, "day"},
               {GH_QUOTA_MONTH, "month"});
    CHECK_ENUM(token_type, gh_token_type, {GH_TOKEN_JWT, "jwt"}, {GH_TOKEN_UUID, "uuid"});
    CHECK_ENUM(key_state, gh_key_state, {GH_KEY_NEXT, "next"}, {GH_KEY_ACTIVE, "active"},
               {GH_KEY_RETIRED, "retired"});
    CHECK_ENUM(api_token_kind, gh_api_token_kind, {GH_TOKEN_KIND_ADMIN, "admin"},
               {GH_TOKEN_KIND_PERSONAL, "personal"});
    CHECK_ENUM(user_token_purpose, gh_user_token_purpose, {GH_UTOKEN_VERIFY_EMAIL, "verify_email"},
               {GH_UTOKEN_PASSWORD_RESET, "password_reset"});
    CHECK_ENUM(outbox_channel, gh_outbox_channel, {GH_OUTBOX_EMAIL, "email"},
               {GH_OUTBOX_WEBHOOK, "webhook"});
    CHECK_ENUM(outbox_state, gh_outbox_state, {GH_OUTBOX_PENDING, "pending"},
               {GH_OUTBOX_SENT, "sent"}, {GH_OUTBOX_FAILED, "failed"});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sub_status_spelled_as_seed_000),
        cmocka_unit_test(test_app_role_spelled_as_seed_002),
        cmocka_unit_test(test_org_role),
        cmocka_unit_test(test_auth_method_default_is_manual_handover),
        cmocka_unit_test(test_access_status_default_is_green),
        cmocka_unit_test(test_plan_approval_default_is_provider),
        cmocka_unit_test(test_other_enums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
