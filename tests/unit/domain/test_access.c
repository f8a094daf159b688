/* Seed 000's app access status and the access decision built on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "domain/access.h"

static void test_effective_status(void **state)
{
    struct gh_access_status_rec red = {.app_id = "app_1",
                                       .provider_org_id = "org_p",
                                       .status = GH_ACCESS_RED,
                                       .reason = "unpaid invoices"};
    struct gh_access_status_rec green = {
        .app_id = "app_1", .provider_org_id = "org_p", .status = GH_ACCESS_GREEN};
    assert_int_equal(gh_access_effective(NULL), GH_ACCESS_GREEN); /* no record: green */
    assert_int_equal(gh_access_effective(&green), GH_ACCESS_GREEN);
    assert_int_equal(gh_access_effective(&red), GH_ACCESS_RED);
}

/* Records of two apps at two providers; red at one provider blocks nowhere else. */
static const struct gh_access_status_rec recs[] = {
    {.app_id = "app_1", .provider_org_id = "org_p1", .status = GH_ACCESS_RED, .reason = "abuse"},
    {.app_id = "app_1", .provider_org_id = "org_p2", .status = GH_ACCESS_GREEN},
    {.app_id = "app_2", .provider_org_id = "org_p2", .status = GH_ACCESS_RED, .reason = "late"},
};

static void test_find_and_allows(void **state)
{
    static const struct {
        const char *app, *provider;
        int found; /* index into recs, or -1 */
        bool allowed;
    } rows[] = {
        {"app_1", "org_p1", 0, false}, {"app_1", "org_p2", 1, true},
        {"app_1", "org_p3", -1, true},                                /* no record: green */
        {"app_2", "org_p2", 2, false}, {"app_2", "org_p1", -1, true}, /* red at p2 only */
        {"app_3", "org_p1", -1, true}, {NULL, "org_p1", -1, true},
        {"app_1", NULL, -1, true},
    };
    size_t n = sizeof recs / sizeof recs[0];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct gh_access_status_rec *rec =
            gh_access_find(recs, n, rows[i].app, rows[i].provider);
        if (rows[i].found < 0)
            assert_null(rec);
        else
            assert_ptr_equal(rec, &recs[rows[i].found]);
        assert_int_equal(gh_access_allows(rec, rows[i].app, rows[i].provider), rows[i].allowed);
    }
    assert_null(gh_access_find(recs, 0, "app_1", "org_p1"));
    /* A record handed over for the wrong app or provider never blocks. */
    assert_true(gh_access_allows(&recs[0], "app_2", "org_p1"));
    assert_true(gh_access_allows(&recs[0], "app_1", "org_p2"));
    assert_false(gh_access_allows(&recs[0], "app_1", "org_p1"));
}

static void test_change_notice(void **state)
{
    static const struct gh_access_status_rec red = {.status = GH_ACCESS_RED,
                                                    .reason = "unpaid invoices"};
    static const struct gh_access_status_rec green = {.status = GH_ACCESS_GREEN};
    static const struct {
        const struct gh_access_status_rec *old;
        enum gh_access_status next;
        const char *reason;
        enum gh_access_notice notice;
    } rows[] = {
        {NULL, GH_ACCESS_RED, "abuse", GH_ACCESS_NOTICE_BLOCKED},
        {NULL, GH_ACCESS_GREEN, NULL, GH_ACCESS_NOTICE_NONE},
        {&green, GH_ACCESS_RED, "abuse", GH_ACCESS_NOTICE_BLOCKED},
        {&green, GH_ACCESS_GREEN, "all fine", GH_ACCESS_NOTICE_NONE},
        {&red, GH_ACCESS_GREEN, NULL, GH_ACCESS_NOTICE_RESTORED},
        {&red, GH_ACCESS_RED, "unpaid invoices", GH_ACCESS_NOTICE_NONE}, /* nothing new */
        {&red, GH_ACCESS_RED, "abuse", GH_ACCESS_NOTICE_BLOCKED},        /* new reason */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        enum gh_access_notice got =
            gh_access_change_notice(rows[i].old, rows[i].next, rows[i].reason);
        if (got != rows[i].notice)
            fail_msg("row %zu: notice %d, expected %d", i, got, rows[i].notice);
    }
}

/* ---- gh_access_decide ------------------------------------------------------- */

static char *gold[] = {"gold"};
static char *gold_silver[] = {"silver", "gold"};

static const struct gh_org partner_none = {.id = "org_c", .partner = true, .tenant = "acme"};
static const struct gh_org partner_gold = {
    .id = "org_c", .partner = true, .tenant = "acme", .partner_roles = {1, gold}};

static const struct gh_access_status_rec red_p = {
    .app_id = "app_1", .provider_org_id = "org_p", .status = GH_ACCESS_RED, .reason = "abuse"};
static const struct gh_access_status_rec red_other = {
    .app_id = "app_1", .provider_org_id = "org_q", .status = GH_ACCESS_RED, .reason = "abuse"};
static const struct gh_access_status_rec red_unnamed = {.app_id = "app_1", .status = GH_ACCESS_RED};
static const struct gh_access_status_rec green_p = {
    .app_id = "app_1", .provider_org_id = "org_p", .status = GH_ACCESS_GREEN};

enum api_kind { OPEN, SUBSCRIBED, GOLD, GOLD_SILVER, GOLD_SUBSCRIBED };
enum sub_kind { NONE = -1 }; /* otherwise a gh_sub_status */

static const char msg_blocked[] = "The provider has blocked this app";
static const char msg_role[] = "The partner lacks the role gold, which this API requires";
static const char msg_no_sub[] = "The app has no subscription to this API";

static const struct decide_row {
    enum api_kind api;
    const struct gh_org *partner;
    const struct gh_access_status_rec *status;
    int sub; /* NONE or a gh_sub_status */
    enum gh_access_verdict verdict;
    const char *message;
} decide_rows[] = {
    /* an API that needs no subscription and no role */
    {OPEN, &partner_none, NULL, NONE, GH_ACCESS_ALLOWED, ""},
    {OPEN, &partner_none, &green_p, NONE, GH_ACCESS_ALLOWED, ""},
    {OPEN, &partner_none, &red_p, NONE, GH_ACCESS_APP_BLOCKED, msg_blocked},
    {OPEN, &partner_none, &red_other, NONE, GH_ACCESS_ALLOWED, ""}, /* red elsewhere */
    {OPEN, &partner_none, &red_unnamed, NONE, GH_ACCESS_APP_BLOCKED, msg_blocked},
    {OPEN, &partner_none, NULL, GH_SUB_ACTIVATION_REQUESTED, GH_ACCESS_ALLOWED, ""},
    {OPEN, &partner_none, NULL, GH_SUB_ACTIVE, GH_ACCESS_ALLOWED, ""},
    {OPEN, &partner_none, NULL, GH_SUB_DEACTIVATION_REQUESTED, GH_ACCESS_ALLOWED, ""},
    {OPEN, &partner_none, NULL, GH_SUB_INACTIVE, GH_ACCESS_SUBSCRIPTION_INACTIVE,
     "The app's subscription to this API is inactive"},

    /* an API that requires a subscription: every status */
    {SUBSCRIBED, &partner_none, NULL, NONE, GH_ACCESS_NOT_SUBSCRIBED, msg_no_sub},
    {SUBSCRIBED, &partner_none, NULL, GH_SUB_ACTIVATION_REQUESTED, GH_ACCESS_SUBSCRIPTION_INACTIVE,
     "The app's subscription to this API is activation-requested"},
    {SUBSCRIBED, &partner_none, NULL, GH_SUB_ACTIVE, GH_ACCESS_ALLOWED, ""},
    {SUBSCRIBED, &partner_none, NULL, GH_SUB_DEACTIVATION_REQUESTED,
     GH_ACCESS_SUBSCRIPTION_INACTIVE,
     "The app's subscription to this API is deactivation-requested"},
    {SUBSCRIBED, &partner_none, NULL, GH_SUB_INACTIVE, GH_ACCESS_SUBSCRIPTION_INACTIVE,
     "The app's subscription to this API is inactive"},
    /* red wins over an active subscription, and leaves its status alone */
    {SUBSCRIBED, &partner_none, &red_p, GH_SUB_ACTIVE, GH_ACCESS_APP_BLOCKED, msg_blocked},
    {SUBSCRIBED, &partner_none, &green_p, GH_SUB_ACTIVE, GH_ACCESS_ALLOWED, ""},
    {SUBSCRIBED, &partner_none, &red_other, GH_SUB_ACTIVE, GH_ACCESS_ALLOWED, ""},

    /* partner roles (seed 002) */
    {GOLD, &partner_none, NULL, NONE, GH_ACCESS_MISSING_ROLE, msg_role},
    {GOLD, NULL, NULL, NONE, GH_ACCESS_MISSING_ROLE, msg_role},
    {GOLD, &partner_gold, NULL, NONE, GH_ACCESS_ALLOWED, ""},
    {GOLD_SILVER, &partner_gold, NULL, NONE, GH_ACCESS_MISSING_ROLE,
     "The partner lacks the role silver, which this API requires"},
    {GOLD, &partner_gold, &red_p, NONE, GH_ACCESS_APP_BLOCKED, msg_blocked},
    /* the check's order: status, then subscription, then roles */
    {GOLD_SUBSCRIBED, &partner_none, NULL, NONE, GH_ACCESS_NOT_SUBSCRIBED, msg_no_sub},
    {GOLD_SUBSCRIBED, &partner_none, NULL, GH_SUB_ACTIVE, GH_ACCESS_MISSING_ROLE, msg_role},
    {GOLD_SUBSCRIBED, &partner_none, &red_p, NONE, GH_ACCESS_APP_BLOCKED, msg_blocked},
    {OPEN, NULL, NULL, NONE, GH_ACCESS_ALLOWED, ""},
};

static void test_decide(void **state)
{
    for (size_t i = 0; i < sizeof decide_rows / sizeof decide_rows[0]; i++) {
        const struct decide_row *r = &decide_rows[i];
        struct gh_api api = {.id = "api_1", .org_id = "org_p", .service = "ola"};
        api.subscription_required = r->api == SUBSCRIBED || r->api == GOLD_SUBSCRIBED;
        if (r->api == GOLD || r->api == GOLD_SUBSCRIBED)
            api.required_roles = (struct gh_strlist){1, gold};
        if (r->api == GOLD_SILVER)
            api.required_roles = (struct gh_strlist){2, gold_silver};
        struct gh_subscription sub = {.app_id = "app_1", .api_id = "api_1"};
        if (r->sub != NONE)
            sub.status = (enum gh_sub_status)r->sub;
        struct gh_access_decision out;
        memset(&out, 0x5A, sizeof out);
        enum gh_access_verdict v =
            gh_access_decide(&api, r->partner, r->status, r->sub == NONE ? NULL : &sub, &out);
        if (v != r->verdict || out.verdict != r->verdict)
            fail_msg("row %zu: verdict %d, expected %d", i, v, r->verdict);
        assert_string_equal(out.message, r->message);
        if (r->sub != NONE)
            assert_int_equal(sub.status, r->sub); /* never changed by the decision */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_effective_status),
        cmocka_unit_test(test_find_and_allows),
        cmocka_unit_test(test_change_notice),
        cmocka_unit_test(test_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
