/* Seed 000's subscription state machine: every status x action x side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "domain/subscription.h"

#define AR GH_SUB_ACTIVATION_REQUESTED
#define ACT GH_SUB_ACTIVE
#define DR GH_SUB_DEACTIVATION_REQUESTED
#define INA GH_SUB_INACTIVE
#define PARTNER GH_SIDE_PARTNER
#define PROVIDER GH_SIDE_PROVIDER

static const char only_provider_activate[] = "only the provider may activate a subscription";
static const char only_provider_deactivate[] = "only the provider may deactivate a subscription";
static const char only_partner_req_deact[] =
    "only the partner may request deactivation of a subscription";
static const char only_partner_req_act[] =
    "only the partner may request activation of a subscription";

static const struct transition_row {
    enum gh_sub_status from;
    enum gh_sub_action action;
    enum gh_sub_side side;
    enum gh_sub_verdict verdict;
    enum gh_sub_status to; /* GH_SUB_OK only */
    const char *message;   /* FORBIDDEN and CONFLICT: the exact text */
} transitions[] = {
    /* activation-requested: the provider activates or rejects; the partner waits. */
    {AR, GH_SUB_ACTIVATE, PARTNER, GH_SUB_FORBIDDEN, 0, only_provider_activate},
    {AR, GH_SUB_ACTIVATE, PROVIDER, GH_SUB_OK, ACT, ""},
    {AR, GH_SUB_REQUEST_DEACTIVATION, PARTNER, GH_SUB_CONFLICT, 0,
     "subscription is 'activation-requested'; allowed: none"},
    {AR, GH_SUB_REQUEST_DEACTIVATION, PROVIDER, GH_SUB_FORBIDDEN, 0, only_partner_req_deact},
    {AR, GH_SUB_DEACTIVATE, PARTNER, GH_SUB_FORBIDDEN, 0, only_provider_deactivate},
    {AR, GH_SUB_DEACTIVATE, PROVIDER, GH_SUB_OK, INA, ""},
    {AR, GH_SUB_REQUEST_ACTIVATION, PARTNER, GH_SUB_CONFLICT, 0,
     "subscription is 'activation-requested'; allowed: none"},
    {AR, GH_SUB_REQUEST_ACTIVATION, PROVIDER, GH_SUB_FORBIDDEN, 0, only_partner_req_act},

    /* active: the partner may ask for deactivation, the provider may block. */
    {ACT, GH_SUB_ACTIVATE, PARTNER, GH_SUB_FORBIDDEN, 0, only_provider_activate},
    {ACT, GH_SUB_ACTIVATE, PROVIDER, GH_SUB_CONFLICT, 0,
     "subscription is 'active'; allowed: deactivate"},
    {ACT, GH_SUB_REQUEST_DEACTIVATION, PARTNER, GH_SUB_OK, DR, ""},
    {ACT, GH_SUB_REQUEST_DEACTIVATION, PROVIDER, GH_SUB_FORBIDDEN, 0, only_partner_req_deact},
    {ACT, GH_SUB_DEACTIVATE, PARTNER, GH_SUB_FORBIDDEN, 0, only_provider_deactivate},
    {ACT, GH_SUB_DEACTIVATE, PROVIDER, GH_SUB_OK, INA, ""},
    {ACT, GH_SUB_REQUEST_ACTIVATION, PARTNER, GH_SUB_CONFLICT, 0,
     "subscription is 'active'; allowed: request-deactivation"},
    {ACT, GH_SUB_REQUEST_ACTIVATION, PROVIDER, GH_SUB_FORBIDDEN, 0, only_partner_req_act},

    /* deactivation-requested: only the provider's block moves it. */
    {DR, GH_SUB_ACTIVATE, PARTNER, GH_SUB_FORBIDDEN, 0, only_provider_activate},
    {DR, GH_SUB_ACTIVATE, PROVIDER, GH_SUB_CONFLICT, 0,
     "subscription is 'deactivation-requested'; allowed: deactivate"},
    {DR, GH_SUB_REQUEST_DEACTIVATION, PARTNER, GH_SUB_CONFLICT, 0,
     "subscription is 'deactivation-requested'; allowed: none"},
    {DR, GH_SUB_REQUEST_DEACTIVATION, PROVIDER, GH_SUB_FORBIDDEN, 0, only_partner_req_deact},
    {DR, GH_SUB_DEACTIVATE, PARTNER, GH_SUB_FORBIDDEN, 0, only_provider_deactivate},
    {DR, GH_SUB_DEACTIVATE, PROVIDER, GH_SUB_OK, INA, ""},
    {DR, GH_SUB_REQUEST_ACTIVATION, PARTNER, GH_SUB_CONFLICT, 0,
     "subscription is 'deactivation-requested'; allowed: none"},
    {DR, GH_SUB_REQUEST_ACTIVATION, PROVIDER, GH_SUB_FORBIDDEN, 0, only_partner_req_act},

    /* inactive: only the partner's new request moves it. */
    {INA, GH_SUB_ACTIVATE, PARTNER, GH_SUB_FORBIDDEN, 0, only_provider_activate},
    {INA, GH_SUB_ACTIVATE, PROVIDER, GH_SUB_CONFLICT, 0,
     "subscription is 'inactive'; allowed: none"},
    {INA, GH_SUB_REQUEST_DEACTIVATION, PARTNER, GH_SUB_CONFLICT, 0,
     "subscription is 'inactive'; allowed: request-activation"},
    {INA, GH_SUB_REQUEST_DEACTIVATION, PROVIDER, GH_SUB_FORBIDDEN, 0, only_partner_req_deact},
    {INA, GH_SUB_DEACTIVATE, PARTNER, GH_SUB_FORBIDDEN, 0, only_provider_deactivate},
    {INA, GH_SUB_DEACTIVATE, PROVIDER, GH_SUB_CONFLICT, 0,
     "subscription is 'inactive'; allowed: none"},
    {INA, GH_SUB_REQUEST_ACTIVATION, PARTNER, GH_SUB_OK, AR, ""},
    {INA, GH_SUB_REQUEST_ACTIVATION, PROVIDER, GH_SUB_FORBIDDEN, 0, only_partner_req_act},
};
#define NTRANSITIONS (sizeof transitions / sizeof transitions[0])

static const char *verdict_name(enum gh_sub_verdict v)
{
    return v == GH_SUB_OK ? "OK" : v == GH_SUB_FORBIDDEN ? "FORBIDDEN" : "CONFLICT";
}

static void test_every_transition(void **state)
{
    for (size_t i = 0; i < NTRANSITIONS; i++) {
        const struct transition_row *r = &transitions[i];
        struct gh_sub_transition out;
        memset(&out, 0x5A, sizeof out);
        out.message[sizeof out.message - 1] = '\0';
        enum gh_sub_verdict v = gh_subscription_transition(r->from, r->action, r->side, &out);
        if (v != r->verdict)
            fail_msg("%s %s by %s: %s, expected %s", gh_sub_status_name(r->from),
                     gh_sub_action_name(r->action), gh_sub_side_name(r->side), verdict_name(v),
                     verdict_name(r->verdict));
        if (v == GH_SUB_OK)
            assert_int_equal(out.new_status, r->to);
        assert_string_equal(out.message, r->message);
    }
}

/* The table above covers each of the 4 x 4 x 2 combinations exactly once. */
static void test_table_is_complete(void **state)
{
    assert_int_equal(NTRANSITIONS, 4 * GH_SUB_ACTION_COUNT * 2);
    for (int s = 0; s < 4; s++) {
        for (int a = 0; a < GH_SUB_ACTION_COUNT; a++) {
            for (int side = 0; side < 2; side++) {
                size_t seen = 0;
                for (size_t i = 0; i < NTRANSITIONS; i++)
                    seen += (int)transitions[i].from == s && (int)transitions[i].action == a &&
                            (int)transitions[i].side == side;
                assert_int_equal(seen, 1);
            }
        }
    }
}

/* Exactly the four arrows of seed 000 (plus the provider's rejection of a
 * request and block of a deactivation request) are allowed. */
static void test_allowed_edges_are_the_seed_000_graph(void **state)
{
    size_t ok = 0;
    for (size_t i = 0; i < NTRANSITIONS; i++)
        ok += transitions[i].verdict == GH_SUB_OK;
    assert_int_equal(ok, 6);
}

static const struct allowed_row {
    enum gh_sub_status status;
    enum gh_sub_side side;
    size_t n;
    enum gh_sub_action actions[GH_SUB_ACTION_COUNT];
} allowed[] = {
    {AR, PARTNER, 0, {0}},
    {AR, PROVIDER, 2, {GH_SUB_ACTIVATE, GH_SUB_DEACTIVATE}},
    {ACT, PARTNER, 1, {GH_SUB_REQUEST_DEACTIVATION}},
    {ACT, PROVIDER, 1, {GH_SUB_DEACTIVATE}},
    {DR, PARTNER, 0, {0}},
    {DR, PROVIDER, 1, {GH_SUB_DEACTIVATE}},
    {INA, PARTNER, 1, {GH_SUB_REQUEST_ACTIVATION}},
    {INA, PROVIDER, 0, {0}},
};

static void test_allowed_actions(void **state)
{
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        const struct allowed_row *r = &allowed[i];
        enum gh_sub_action out[GH_SUB_ACTION_COUNT];
        size_t n = gh_subscription_allowed_actions(r->status, r->side, out);
        if (n != r->n)
            fail_msg("%s for %s: %zu actions, expected %zu", gh_sub_status_name(r->status),
                     gh_sub_side_name(r->side), n, r->n);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(out[k], r->actions[k]);
    }
    enum gh_sub_action out[GH_SUB_ACTION_COUNT];
    assert_int_equal(gh_subscription_allowed_actions((enum gh_sub_status)4, PROVIDER, out), 0);
}

/* The listing and the decision agree: an action is listed iff it is OK. */
static void test_allowed_actions_match_transitions(void **state)
{
    for (size_t i = 0; i < NTRANSITIONS; i++) {
        const struct transition_row *r = &transitions[i];
        enum gh_sub_action out[GH_SUB_ACTION_COUNT];
        size_t n = gh_subscription_allowed_actions(r->from, r->side, out);
        bool listed = false;
        for (size_t k = 0; k < n; k++)
            listed = listed || out[k] == r->action;
        assert_int_equal(listed, r->verdict == GH_SUB_OK);
    }
}

static void test_out_of_range_input_is_refused(void **state)
{
    struct gh_sub_transition out;
    assert_int_equal(gh_subscription_transition(AR, (enum gh_sub_action)4, PROVIDER, &out),
                     GH_SUB_FORBIDDEN);
    assert_string_equal(out.message, "unknown subscription action");
    assert_int_equal(gh_subscription_transition(AR, GH_SUB_ACTIVATE, (enum gh_sub_side)2, &out),
                     GH_SUB_FORBIDDEN);
    assert_int_equal(
        gh_subscription_transition((enum gh_sub_status)9, GH_SUB_DEACTIVATE, PROVIDER, &out),
        GH_SUB_CONFLICT);
    assert_string_equal(out.message, "subscription is '?'; allowed: none");
}

static void test_action_and_side_names(void **state)
{
    static const struct {
        enum gh_sub_action action;
        const char *name;
    } actions[] = {
        {GH_SUB_ACTIVATE, "activate"},
        {GH_SUB_REQUEST_DEACTIVATION, "request-deactivation"},
        {GH_SUB_DEACTIVATE, "deactivate"},
        {GH_SUB_REQUEST_ACTIVATION, "request-activation"},
    };
    assert_int_equal(sizeof actions / sizeof actions[0], GH_SUB_ACTION_COUNT);
    for (size_t i = 0; i < GH_SUB_ACTION_COUNT; i++) {
        assert_string_equal(gh_sub_action_name(actions[i].action), actions[i].name);
        enum gh_sub_action a = (enum gh_sub_action)99;
        assert_true(gh_sub_action_parse(actions[i].name, &a));
        assert_int_equal(a, actions[i].action);
    }
    assert_string_equal(gh_sub_action_name((enum gh_sub_action)GH_SUB_ACTION_COUNT), "?");
    static const char *const bad_actions[] = {
        "Activate", "request_deactivation", "request-deactivation ", "block", "",
        "?",        "activate\n",           "deactivated",           NULL,
    };
    for (size_t i = 0; i < sizeof bad_actions / sizeof bad_actions[0]; i++) {
        enum gh_sub_action a = (enum gh_sub_action)99;
        assert_false(gh_sub_action_parse(bad_actions[i], &a));
        assert_int_equal(a, 99);
    }

    assert_string_equal(gh_sub_side_name(GH_SIDE_PARTNER), "partner");
    assert_string_equal(gh_sub_side_name(GH_SIDE_PROVIDER), "provider");
    assert_string_equal(gh_sub_side_name((enum gh_sub_side)2), "?");
    enum gh_sub_side side = (enum gh_sub_side)99;
    assert_true(gh_sub_side_parse("partner", &side));
    assert_int_equal(side, GH_SIDE_PARTNER);
    assert_true(gh_sub_side_parse("provider", &side));
    assert_int_equal(side, GH_SIDE_PROVIDER);
    side = (enum gh_sub_side)99;
    assert_false(gh_sub_side_parse("Provider", &side));
    assert_false(gh_sub_side_parse("customer", &side));
    assert_false(gh_sub_side_parse(NULL, &side));
    assert_int_equal(side, 99);
}

/* A new subscription waits for the provider unless its plan approves automatically. */
static void test_initial_status(void **state)
{
    assert_int_equal(gh_subscription_initial_status(GH_APPROVAL_PROVIDER), AR);
    assert_int_equal(gh_subscription_initial_status(GH_APPROVAL_AUTO), ACT);
}

/* Calls pass while active only: a deactivation request is honoured at once. */
static void test_grants_access(void **state)
{
    static const struct {
        enum gh_sub_status status;
        bool grants;
    } rows[] = {
        {AR, false}, {ACT, true}, {DR, false}, {INA, false}, {(enum gh_sub_status)7, false}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(gh_subscription_grants_access(rows[i].status), rows[i].grants);
}

/* A whole life: request, activation, deactivation request, block, new request. */
static void test_lifecycle_walk(void **state)
{
    static const struct {
        enum gh_sub_action action;
        enum gh_sub_side side;
        enum gh_sub_status to;
    } steps[] = {
        {GH_SUB_ACTIVATE, PROVIDER, ACT},   {GH_SUB_REQUEST_DEACTIVATION, PARTNER, DR},
        {GH_SUB_DEACTIVATE, PROVIDER, INA}, {GH_SUB_REQUEST_ACTIVATION, PARTNER, AR},
        {GH_SUB_DEACTIVATE, PROVIDER, INA}, /* the provider rejects the new request */
    };
    enum gh_sub_status s = gh_subscription_initial_status(GH_APPROVAL_PROVIDER);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct gh_sub_transition out;
        assert_int_equal(gh_subscription_transition(s, steps[i].action, steps[i].side, &out),
                         GH_SUB_OK);
        assert_int_equal(out.new_status, steps[i].to);
        s = out.new_status;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_transition),
        cmocka_unit_test(test_table_is_complete),
        cmocka_unit_test(test_allowed_edges_are_the_seed_000_graph),
        cmocka_unit_test(test_allowed_actions),
        cmocka_unit_test(test_allowed_actions_match_transitions),
        cmocka_unit_test(test_out_of_range_input_is_refused),
        cmocka_unit_test(test_action_and_side_names),
        cmocka_unit_test(test_initial_status),
        cmocka_unit_test(test_grants_access),
        cmocka_unit_test(test_lifecycle_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
