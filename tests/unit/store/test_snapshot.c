/* The hot-path snapshot: builder, every lookup, the holder under concurrent
 * readers, and loading from (and refreshing on commits to) a real SQLite
 * store in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/snapshot.h"
#include "store/store.h"
#include "../support/store_fixture.h"

#define S(lit) GH_STR(lit)

static struct gh_strlist list_of(char **items, size_t n)
{
    return (struct gh_strlist){n, items};
}

/* A copy of lit in its own heap buffer, not NUL-terminated, so that a lookup
 * that relied on strlen or on the caller's storage would be caught by ASan. */
static struct gh_str heap_key(const char *lit, char **owner)
{
    size_t n = strlen(lit);
    *owner = malloc(n ? n : 1);
    memcpy(*owner, lit, n);
    return gh_str_n(*owner, n);
}

/* ---- a small world ------------------------------------------------------- */

static char *partner_customers[] = {"100200", "100201"};
static char *partner_roles[] = {"b2b"};
static char *ola_prefixes[] = {"/ola"};
static char *ola_v2_prefixes[] = {"/ola/v2/"};
static char *billing_prefixes[] = {"/billing/", "/invoices"};
static char *root_prefixes[] = {"/"};
static char *app_scopes[] = {"profile", "orders"};

static void add_world(struct gh_snapshot_builder *b)
{
    struct gh_org provider = {.id = "org_prov", .name = "Provider", .provider = true};
    struct gh_org partner = {.id = "org_part",
                             .name = "Partner",
                             .partner = true,
                             .tenant = "acme",
                             .customer_numbers = list_of(partner_customers, 2),
                             .partner_roles = list_of(partner_roles, 1)};
    gh_snapshot_builder_add_org(b, &provider);
    gh_snapshot_builder_add_org(b, &partner);

    struct gh_api ola = {.id = "api_ola",
                         .org_id = "org_prov",
                         .name = "OLA",
                         .service = "ola",
                         .path_prefixes = list_of(ola_prefixes, 1),
                         .auth_method = GH_AUTH_OAUTH2};
    struct gh_api ola2 = {.id = "api_ola2",
                          .org_id = "org_prov",
                          .service = "ola2",
                          .path_prefixes = list_of(ola_v2_prefixes, 1)};
    struct gh_api billing = {.id = "api_bill",
                             .org_id = "org_prov",
                             .service = "billing",
                             .path_prefixes = list_of(billing_prefixes, 2)};
    struct gh_api unrouted = {.id = "api_none", .org_id = "org_prov", .service = "hidden"};
    gh_snapshot_builder_add_api(b, &ola);
    gh_snapshot_builder_add_api(b, &ola2);
    gh_snapshot_builder_add_api(b, &billing);
    gh_snapshot_builder_add_api(b, &unrouted);

    struct gh_plan gold = {.id = "pln_gold",
                           .api_id = "api_ola",
                           .name = "gold",
                           .rate_limit_requests = 100,
                           .rate_limit_window_secs = 60};
    gh_snapshot_builder_add_plan(b, &gold);

    struct gh_app app = {.id = "app_1",
                         .org_id = "org_part",
                         .name = "Shop",
                         .client_id = "shop-client",
                         .client_secret_hash = "c0ffee",
                         .scopes = list_of(app_scopes, 2),
                         .access_token_validity_secs = 3600};
    struct gh_app lonely = {.id = "app_2", .org_id = "org_gone", .client_id = "lonely"};
    gh_snapshot_builder_add_app(b, &app);
    gh_snapshot_builder_add_app(b, &lonely);

    /* app_1: active on ola and billing (twice, via two rows: must not repeat),
     * requested on ola2, inactive on the unrouted API. */
    struct gh_subscription subs[] = {
        {.id = "sub_1",
         .app_id = "app_1",
         .api_id = "api_ola",
         .plan_id = "pln_gold",
         .status = GH_SUB_ACTIVE},
        {.id = "sub_2", .app_id = "app_1", .api_id = "api_bill", .status = GH_SUB_ACTIVE},
        {.id = "sub_3",
         .app_id = "app_1",
         .api_id = "api_ola2",
         .status = GH_SUB_ACTIVATION_REQUESTED},
        {.id = "sub_4", .app_id = "app_1", .api_id = "api_none", .status = GH_SUB_INACTIVE},
        {.id = "sub_5", .app_id = "app_1", .api_id = "api_bill", .status = GH_SUB_ACTIVE},
        {.id = "sub_6", .app_id = "app_1", .api_id = "api_missing", .status = GH_SUB_ACTIVE},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        gh_snapshot_builder_add_subscription(b, &subs[i]);

    struct gh_api_key key = {.id = "key_1",
                             .app_id = "app_1",
                             .name = "ci",
                             .key_hash =
                                 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                             .key_hint = "gh_9f"};
    gh_snapshot_builder_add_api_key(b, &key);

    struct gh_certificate cert = {.id = "crt_1",
                                  .app_id = "app_1",
                                  .subject = "CN=shop",
                                  .thumbprint_sha256 = "ab12",
                                  .pem = "-----BEGIN…",
                                  .not_after = 2000000000};
    gh_snapshot_builder_add_certificate(b, &cert);

    struct gh_access_status_rec red = {.app_id = "app_1",
                                       .provider_org_id = "org_prov",
                                       .status = GH_ACCESS_RED,
                                       .reason = "unpaid invoices",
                                       .set_at = 10};
    gh_snapshot_builder_add_access_status(b, &red);

    struct gh_signing_key keys[] = {
        {.kid = "k_old", .alg = "ES256", .state = GH_KEY_RETIRED, .activated_at = 1},
        {.kid = "k_es", .alg = "ES256", .state = GH_KEY_ACTIVE, .activated_at = 5},
        {.kid = "k_es_older", .alg = "ES256", .state = GH_KEY_ACTIVE, .activated_at = 3},
        {.kid = "k_next", .alg = "ES256", .state = GH_KEY_NEXT},
        {.kid = "k_ed",
         .alg = "EdDSA",
         .state = GH_KEY_ACTIVE,
         .activated_at = 2,
         .public_jwk = "{\"kty\":\"OKP\"}"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        gh_snapshot_builder_add_signing_key(b, &keys[i]);

    struct gh_revoked_jti jti = {.jti = "jti-revoked", .expires_at = 99};
    gh_snapshot_builder_add_revoked_jti(b, &jti);
}

static struct gh_snapshot *world(void)
{
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    add_world(b);
    gh_snapshot_builder_set_generation(b, 42);
    return gh_snapshot_builder_finish(b);
}

/* ---- builder and lookups ------------------------------------------------- */

static void test_empty_snapshot(void **state)
{
    (void)state;
    struct gh_snapshot *s = gh_snapshot_builder_finish(gh_snapshot_builder_new());
    assert_null(gh_snapshot_app_by_client_id(s, S("x")));
    assert_null(gh_snapshot_app_by_id(s, S("")));
    assert_null(gh_snapshot_org_by_id(s, S("org")));
    assert_null(gh_snapshot_org_by_tenant(s, S("acme")));
    assert_null(gh_snapshot_api_by_id(s, S("api")));
    assert_null(gh_snapshot_api_by_path(s, S("/"), NULL));
    assert_null(gh_snapshot_api_by_path(s, S(""), NULL));
    assert_null(gh_snapshot_plan_by_id(s, S("p")));
    assert_null(gh_snapshot_api_key_by_hash(s, S("00")));
    assert_null(gh_snapshot_certificate_by_thumbprint(s, S("00")));
    assert_null(gh_snapshot_subscription(s, S("a"), S("b")));
    const struct gh_access_status_rec *rec = (void *)1;
    assert_int_equal(gh_snapshot_access_status(s, S("a"), S("b"), &rec), GH_ACCESS_GREEN);
    assert_null(rec);
    assert_false(gh_snapshot_jti_revoked(s, S("j")));
    size_t n = 7;
    gh_snapshot_signing_keys(s, &n);
    assert_int_equal(n, 0);
    assert_null(gh_snapshot_signing_key_active(s, S("ES256")));
    assert_null(gh_snapshot_signing_key_by_kid(s, S("k")));
    assert_int_equal(gh_snapshot_generation(s), 0);
    struct gh_snapshot_counts c;
    gh_snapshot_get_counts(s, &c);
    assert_int_equal(c.orgs + c.apis + c.apps + c.api_keys + c.path_prefixes, 0);
    gh_snapshot_free(s);
}

static void test_apps_and_orgs(void **state)
{
    (void)state;
    struct gh_snapshot *s = world();
    const struct gh_app *app = gh_snapshot_app_by_client_id(s, S("shop-client"));
    assert_non_null(app);
    assert_string_equal(app->id, "app_1");
    assert_string_equal(app->client_secret_hash, "c0ffee");
    assert_int_equal(app->access_token_validity_secs, 3600);
    assert_int_equal(app->scopes.n, 2);
    assert_string_equal(app->scopes.items[1], "orders");
    assert_ptr_equal(gh_snapshot_app_by_id(s, S("app_1")), app);
    assert_null(gh_snapshot_app_by_client_id(s, S("shop-clien")));
    assert_null(gh_snapshot_app_by_client_id(s, S("shop-client2")));
    assert_null(gh_snapshot_app_by_client_id(s, S("app_1"))); /* ids and client_ids differ */

    const struct gh_org *org = gh_snapshot_app_org(s, app);
    assert_non_null(org);
    assert_string_equal(org->tenant, "acme");
    assert_int_equal(org->customer_numbers.n, 2);
    assert_string_equal(org->customer_numbers.items[0], "100200");
    assert_string_equal(org->partner_roles.items[0], "b2b");
    assert_ptr_equal(gh_snapshot_org_by_tenant(s, S("acme")), org);
    assert_ptr_equal(gh_snapshot_org_by_id(s, S("org_part")), org);
    assert_null(gh_snapshot_org_by_tenant(s, S("ACME")));
    assert_non_null(gh_snapshot_org_by_id(s, S("org_prov")));
    assert_null(gh_snapshot_org_by_tenant(s, S(""))); /* providers have no tenant */

    /* An app whose org is not in the snapshot has no org link. */
    const struct gh_app *lonely = gh_snapshot_app_by_client_id(s, S("lonely"));
    assert_non_null(lonely);
    assert_null(gh_snapshot_app_org(s, lonely));
    assert_int_equal(gh_snapshot_app_services(s, lonely)->n, 0);
    gh_snapshot_free(s);
}

static void test_services_are_active_sorted_distinct(void **state)
{
    (void)state;
    struct gh_snapshot *s = world();
    const struct gh_app *app = gh_snapshot_app_by_id(s, S("app_1"));
    const struct gh_strlist *sv = gh_snapshot_app_services(s, app);
    /* active: ola, billing (twice); not the requested ola2, the inactive
     * hidden, nor the subscription whose API is gone. */
    assert_int_equal(sv->n, 2);
    assert_string_equal(sv->items[0], "billing");
    assert_string_equal(sv->items[1], "ola");
    gh_snapshot_free(s);
}

static void test_lookup_keys_are_views(void **state)
{
    (void)state;
    struct gh_snapshot *s = world();
    char *buf;
    struct gh_str k = heap_key("shop-client", &buf);
    assert_non_null(gh_snapshot_app_by_client_id(s, k));
    free(buf);
    /* A slice of a larger request buffer. */
    const char *header = "Basic shop-client:secret";
    assert_non_null(gh_snapshot_app_by_client_id(s, gh_str_n(header + 6, 11)));
    assert_null(gh_snapshot_app_by_client_id(s, gh_str_n(header + 6, 10)));
    gh_snapshot_free(s);
}

static void test_builder_copies_its_input(void **state)
{
    (void)state;
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    char *id = strdup("app_x"), *client = strdup("client-x"), *scope = strdup("profile");
    char *scopes[] = {scope};
    struct gh_app app = {.id = id, .client_id = client, .scopes = list_of(scopes, 1)};
    gh_snapshot_builder_add_app(b, &app);
    char *prefix = strdup("/copy");
    char *prefixes[] = {prefix};
    struct gh_api api = {.id = "api_x", .path_prefixes = list_of(prefixes, 1)};
    gh_snapshot_builder_add_api(b, &api);
    memset(client, 'z', strlen(client));
    memset(prefix, 'z', strlen(prefix));
    free(id);
    free(client);
    free(scope);
    free(prefix);
    struct gh_snapshot *s = gh_snapshot_builder_finish(b);
    const struct gh_app *got = gh_snapshot_app_by_client_id(s, S("client-x"));
    assert_non_null(got);
    assert_string_equal(got->id, "app_x");
    assert_string_equal(got->scopes.items[0], "profile");
    assert_non_null(gh_snapshot_api_by_path(s, S("/copy/1"), NULL));
    gh_snapshot_free(s);
}

static void test_builder_free_without_finish(void **state)
{
    (void)state;
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    add_world(b);
    gh_snapshot_builder_free(b); /* ASan's leak check is the assertion */
    gh_snapshot_builder_free(NULL);
}

static void test_apis_plans_keys_certs(void **state)
{
    (void)state;
    struct gh_snapshot *s = world();
    const struct gh_api *api = gh_snapshot_api_by_id(s, S("api_ola"));
    assert_non_null(api);
    assert_string_equal(api->service, "ola");
    assert_int_equal(api->auth_method, GH_AUTH_OAUTH2);
    assert_null(gh_snapshot_api_by_id(s, S("api_ol")));

    const struct gh_plan *plan = gh_snapshot_plan_by_id(s, S("pln_gold"));
    assert_non_null(plan);
    assert_int_equal(plan->rate_limit_requests, 100);
    assert_null(gh_snapshot_plan_by_id(s, S("pln_silver")));

    const struct gh_api_key *key = gh_snapshot_api_key_by_hash(
        s, S("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    assert_non_null(key);
    assert_string_equal(key->id, "key_1");
    assert_string_equal(gh_snapshot_api_key_app(s, key)->client_id, "shop-client");
    assert_null(gh_snapshot_api_key_by_hash(
        s, S("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a09")));
    assert_null(gh_snapshot_api_key_by_hash(
        s, S("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08")));

    const struct gh_certificate *cert = gh_snapshot_certificate_by_thumbprint(s, S("ab12"));
    assert_non_null(cert);
    assert_string_equal(cert->subject, "CN=shop");
    assert_int_equal(cert->not_after, 2000000000);
    assert_null(cert->pem);
    assert_string_equal(gh_snapshot_certificate_app(s, cert)->id, "app_1");
    assert_null(gh_snapshot_certificate_by_thumbprint(s, S("ab1")));
    gh_snapshot_free(s);
}

static void test_subscriptions_and_access_status(void **state)
{
    (void)state;
    struct gh_snapshot *s = world();
    const struct gh_subscription *sub = gh_snapshot_subscription(s, S("app_1"), S("api_ola"));
    assert_non_null(sub);
    assert_string_equal(sub->id, "sub_1");
    assert_int_equal(sub->status, GH_SUB_ACTIVE);
    assert_string_equal(sub->plan_id, "pln_gold");
    sub = gh_snapshot_subscription(s, S("app_1"), S("api_ola2"));
    assert_non_null(sub);
    assert_int_equal(sub->status, GH_SUB_ACTIVATION_REQUESTED);
    assert_null(gh_snapshot_subscription(s, S("app_2"), S("api_ola")));
    assert_null(gh_snapshot_subscription(s, S("api_ola"), S("app_1"))); /* order matters */
    /* The pair is two keys, not their concatenation. */
    assert_null(gh_snapshot_subscription(s, S("app_1api_"), S("ola")));
    assert_null(gh_snapshot_subscription(s, S("app_"), S("1api_ola")));

    const struct gh_access_status_rec *rec = NULL;
    assert_int_equal(gh_snapshot_access_status(s, S("app_1"), S("org_prov"), &rec), GH_ACCESS_RED);
    assert_non_null(rec);
    assert_string_equal(rec->reason, "unpaid invoices");
    assert_int_equal(gh_snapshot_access_status(s, S("app_1"), S("org_other"), &rec),
                     GH_ACCESS_GREEN);
    assert_null(rec);
    assert_int_equal(gh_snapshot_access_status(s, S("app_2"), S("org_prov"), NULL),
                     GH_ACCESS_GREEN);
    gh_snapshot_free(s);
}

/* The link variants answer exactly what the id lookups answer. */
static void test_subscription_and_status_links(void **state)
{
    (void)state;
    struct gh_snapshot *s = world();
    const struct gh_app *app = gh_snapshot_app_by_id(s, S("app_1"));
    const struct gh_app *lonely = gh_snapshot_app_by_id(s, S("app_2"));
    const struct gh_api *ola = gh_snapshot_api_by_id(s, S("api_ola"));
    const struct gh_api *ola2 = gh_snapshot_api_by_id(s, S("api_ola2"));
    const struct gh_api *bill = gh_snapshot_api_by_id(s, S("api_bill"));
    const struct gh_api *none = gh_snapshot_api_by_id(s, S("api_none"));
    assert_string_equal(gh_snapshot_app_subscription(s, app, ola)->id, "sub_1");
    assert_string_equal(gh_snapshot_app_subscription(s, app, ola2)->id, "sub_3");
    assert_ptr_equal(gh_snapshot_app_subscription(s, app, bill),
                     gh_snapshot_subscription(s, S("app_1"), S("api_bill")));
    assert_int_equal(gh_snapshot_app_subscription(s, app, none)->status, GH_SUB_INACTIVE);
    assert_null(gh_snapshot_app_subscription(s, lonely, ola));

    const struct gh_access_status_rec *rec = NULL;
    assert_int_equal(gh_snapshot_app_access_status(s, app, ola, &rec), GH_ACCESS_RED);
    assert_string_equal(rec->reason, "unpaid invoices");
    assert_int_equal(gh_snapshot_app_access_status(s, lonely, ola, &rec), GH_ACCESS_GREEN);
    assert_null(rec);
    gh_snapshot_free(s);

    /* Many apps, APIs and providers, duplicates included: every pair agrees. */
    enum { APPS = 120, APIS = 40, PROVIDERS = 5 };
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    char id[32], id2[32], org[32];
    for (int j = 0; j < APIS; j++) {
        snprintf(id, sizeof id, "api_%d", j);
        snprintf(org, sizeof org, "org_%d", j % PROVIDERS);
        struct gh_api api = {.id = id, .org_id = org};
        gh_snapshot_builder_add_api(b, &api);
    }
    for (int i = 0; i < APPS; i++) {
        snprintf(id, sizeof id, "app_%d", i);
        struct gh_app a = {.id = id, .client_id = id};
        gh_snapshot_builder_add_app(b, &a);
        for (int j = 0; j < APIS; j++) {
            snprintf(id2, sizeof id2, "api_%d", (j * 7 + i) % (APIS + 3)); /* some APIs missing */
            for (int dup = 0; dup < ((i + j) % 5 == 0 ? 2 : 1); dup++) {
                if ((i * j + dup) % 3 != 0)
                    continue;
                struct gh_subscription sub = {.id = id2,
                                              .app_id = id,
                                              .api_id = id2,
                                              .status = (enum gh_sub_status)((i + j + dup) % 4),
                                              .updated_at = dup};
                gh_snapshot_builder_add_subscription(b, &sub);
            }
        }
        for (int p = 0; p < PROVIDERS; p++) {
            if ((i + p) % 3 != 0)
                continue;
            snprintf(org, sizeof org, "org_%d", p);
            struct gh_access_status_rec st = {.app_id = id,
                                              .provider_org_id = org,
                                              .status = (enum gh_access_status)((i + p) % 2),
                                              .set_at = i};
            gh_snapshot_builder_add_access_status(b, &st);
        }
    }
    s = gh_snapshot_builder_finish(b);
    size_t subs_found = 0, red = 0;
    for (int i = 0; i < APPS; i++) {
        snprintf(id, sizeof id, "app_%d", i);
        const struct gh_app *a = gh_snapshot_app_by_id(s, gh_str_c(id));
        for (int j = 0; j < APIS; j++) {
            snprintf(id2, sizeof id2, "api_%d", j);
            const struct gh_api *api = gh_snapshot_api_by_id(s, gh_str_c(id2));
            const struct gh_subscription *by_id =
                gh_snapshot_subscription(s, gh_str_c(id), gh_str_c(id2));
            assert_ptr_equal(gh_snapshot_app_subscription(s, a, api), by_id);
            subs_found += by_id != NULL;
            const struct gh_access_status_rec *r1, *r2;
            enum gh_access_status st1 = gh_snapshot_app_access_status(s, a, api, &r1);
            enum gh_access_status st2 =
                gh_snapshot_access_status(s, gh_str_c(id), gh_str_c(api->org_id), &r2);
            assert_int_equal(st1, st2);
            assert_ptr_equal(r1, r2);
            red += st1 == GH_ACCESS_RED;
        }
    }
    assert_true(subs_found > 100); /* the comparison covered real subscriptions */
    assert_true(red > 100);
    gh_snapshot_free(s);
}

static void test_duplicate_subscriptions_prefer_access(void **state)
{
    (void)state;
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    struct gh_subscription rows[] = {
        {.id = "s_inactive",
         .app_id = "a",
         .api_id = "x",
         .status = GH_SUB_INACTIVE,
         .updated_at = 50},
        {.id = "s_active_old",
         .app_id = "a",
         .api_id = "x",
         .status = GH_SUB_ACTIVE,
         .updated_at = 10},
        {.id = "s_active_new",
         .app_id = "a",
         .api_id = "x",
         .status = GH_SUB_ACTIVE,
         .updated_at = 20},
        {.id = "s_requested",
         .app_id = "a",
         .api_id = "x",
         .status = GH_SUB_DEACTIVATION_REQUESTED,
         .updated_at = 99},
        {.id = "t_requested",
         .app_id = "a",
         .api_id = "y",
         .status = GH_SUB_ACTIVATION_REQUESTED,
         .updated_at = 1},
        {.id = "t_inactive",
         .app_id = "a",
         .api_id = "y",
         .status = GH_SUB_INACTIVE,
         .updated_at = 2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        gh_snapshot_builder_add_subscription(b, &rows[i]);
    struct gh_access_status_rec st[] = {
        {.app_id = "a", .provider_org_id = "p", .status = GH_ACCESS_RED, .set_at = 5},
        {.app_id = "a", .provider_org_id = "p", .status = GH_ACCESS_GREEN, .set_at = 9},
    };
    gh_snapshot_builder_add_access_status(b, &st[0]);
    gh_snapshot_builder_add_access_status(b, &st[1]);
    struct gh_snapshot *s = gh_snapshot_builder_finish(b);
    assert_string_equal(gh_snapshot_subscription(s, S("a"), S("x"))->id, "s_active_new");
    assert_string_equal(gh_snapshot_subscription(s, S("a"), S("y"))->id, "t_requested");
    assert_int_equal(gh_snapshot_access_status(s, S("a"), S("p"), NULL), GH_ACCESS_GREEN);
    gh_snapshot_free(s);
}

static void test_duplicate_unique_keys_first_wins(void **state)
{
    (void)state;
    gh_log_set_level(GH_LOG_OFF); /* the duplicate warning is expected */
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    struct gh_app a1 = {.id = "app_a", .client_id = "same"};
    struct gh_app a2 = {.id = "app_b", .client_id = "same"};
    gh_snapshot_builder_add_app(b, &a1);
    gh_snapshot_builder_add_app(b, &a2);
    char *p[] = {"/dup"};
    struct gh_api x = {.id = "api_x", .path_prefixes = list_of(p, 1)};
    struct gh_api y = {.id = "api_y", .path_prefixes = list_of(p, 1)};
    gh_snapshot_builder_add_api(b, &x);
    gh_snapshot_builder_add_api(b, &y);
    struct gh_snapshot *s = gh_snapshot_builder_finish(b);
    gh_log_set_level(GH_LOG_INFO);
    assert_string_equal(gh_snapshot_app_by_client_id(s, S("same"))->id, "app_a");
    assert_non_null(gh_snapshot_app_by_id(s, S("app_b"))); /* still there by id */
    assert_string_equal(gh_snapshot_api_by_path(s, S("/dup/1"), NULL)->id, "api_x");
    gh_snapshot_free(s);
}

static void expect_path(const struct gh_snapshot *s, const char *target, const char *api_id,
                        const char *matched)
{
    struct gh_str m = {(const char *)1, 99};
    const struct gh_api *api = gh_snapshot_api_by_path(s, gh_str_c(target), &m);
    if (!api_id) {
        if (api)
            fail_msg("%s: expected no API, got %s", target, api->id);
        assert_null(m.ptr);
        assert_int_equal(m.len, 0);
        return;
    }
    if (!api)
        fail_msg("%s: expected %s, got none", target, api_id);
    if (strcmp(api->id, api_id) != 0)
        fail_msg("%s: expected %s, got %s", target, api_id, api->id);
    assert_ptr_equal(m.ptr, target);
    assert_int_equal(m.len, strlen(matched));
    assert_memory_equal(m.ptr, matched, m.len);
}

static void test_path_prefix_matching(void **state)
{
    (void)state;
    struct gh_snapshot *s = world();
    expect_path(s, "/ola", "api_ola", "/ola");
    expect_path(s, "/ola/", "api_ola", "/ola");
    expect_path(s, "/ola/x", "api_ola", "/ola");
    expect_path(s, "/ola?x", "api_ola", "/ola");
    expect_path(s, "/ola?next=/billing/x", "api_ola", "/ola");
    expect_path(s, "/ola#frag", "api_ola", "/ola");
    expect_path(s, "/olaf", NULL, NULL);
    expect_path(s, "/olaf/ola", NULL, NULL);
    expect_path(s, "/ol", NULL, NULL);
    expect_path(s, "/OLA", NULL, NULL);
    expect_path(s, "ola", NULL, NULL);
    expect_path(s, "", NULL, NULL);
    expect_path(s, "?/ola", NULL, NULL);
    /* Longest wins; "/ola/v2/" was configured with a trailing slash. */
    expect_path(s, "/ola/v2", "api_ola2", "/ola/v2");
    expect_path(s, "/ola/v2/orders/7", "api_ola2", "/ola/v2");
    expect_path(s, "/ola/v2?q=1", "api_ola2", "/ola/v2");
    expect_path(s, "/ola/v2x", "api_ola", "/ola");
    expect_path(s, "/ola/v", "api_ola", "/ola");
    /* Several prefixes for one API. */
    expect_path(s, "/billing", "api_bill", "/billing");
    expect_path(s, "/billing/2024", "api_bill", "/billing");
    expect_path(s, "/invoices/1/pdf", "api_bill", "/invoices");
    /* Far longer than any prefix. */
    char longpath[4096];
    memset(longpath, 'a', sizeof longpath - 1);
    memcpy(longpath, "/ola/", 5);
    longpath[sizeof longpath - 1] = '\0';
    expect_path(s, longpath, "api_ola", "/ola");
    memset(longpath, '/', sizeof longpath - 1);
    expect_path(s, longpath, NULL, NULL);
    gh_snapshot_free(s);
}

static void test_path_root_prefix_is_the_fallback(void **state)
{
    (void)state;
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    add_world(b);
    struct gh_api root = {.id = "api_root", .path_prefixes = list_of(root_prefixes, 1)};
    gh_snapshot_builder_add_api(b, &root);
    char *bad_prefixes[] = {"/bad?x", "/frag#x"};
    struct gh_api bad = {.id = "api_bad", .path_prefixes = list_of(bad_prefixes, 2)};
    gh_log_set_level(GH_LOG_OFF); /* the skipped-prefix warning is expected */
    gh_snapshot_builder_add_api(b, &bad);
    struct gh_snapshot *s = gh_snapshot_builder_finish(b);
    gh_log_set_level(GH_LOG_INFO);
    expect_path(s, "/", "api_root", "");
    expect_path(s, "/olaf", "api_root", "");
    expect_path(s, "/anything/else?x", "api_root", "");
    expect_path(s, "/ola/x", "api_ola", "/ola");
    expect_path(s, "/bad?x", "api_root", "");
    expect_path(s, "nope", NULL, NULL);
    struct gh_snapshot_counts c;
    gh_snapshot_get_counts(s, &c);
    assert_int_equal(c.path_prefixes, 5); /* ola, ola/v2, billing, invoices, root */
    gh_snapshot_free(s);
}

static void test_signing_keys_and_jtis(void **state)
{
    (void)state;
    struct gh_snapshot *s = world();
    size_t n = 0;
    const struct gh_signing_key *all = gh_snapshot_signing_keys(s, &n);
    assert_int_equal(n, 5);
    assert_string_equal(all[0].kid, "k_old");
    assert_string_equal(all[4].kid, "k_ed");
    assert_string_equal(gh_snapshot_signing_key_active(s, S("ES256"))->kid, "k_es");
    assert_string_equal(gh_snapshot_signing_key_active(s, S("EdDSA"))->public_jwk,
                        "{\"kty\":\"OKP\"}");
    assert_null(gh_snapshot_signing_key_active(s, S("RS256")));
    assert_null(gh_snapshot_signing_key_active(s, S("ES25")));
    assert_int_equal(gh_snapshot_signing_key_by_kid(s, S("k_next"))->state, GH_KEY_NEXT);
    assert_null(gh_snapshot_signing_key_by_kid(s, S("k_nope")));

    assert_true(gh_snapshot_jti_revoked(s, S("jti-revoked")));
    assert_false(gh_snapshot_jti_revoked(s, S("jti-live")));
    assert_false(gh_snapshot_jti_revoked(s, S("")));

    assert_int_equal(gh_snapshot_generation(s), 42);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000;
    assert_true(gh_snapshot_built_at_ms(s) > now - 60000);
    assert_true(gh_snapshot_built_at_ms(s) <= now + 1000);
    struct gh_snapshot_counts c;
    gh_snapshot_get_counts(s, &c);
    assert_int_equal(c.orgs, 2);
    assert_int_equal(c.apis, 4);
    assert_int_equal(c.apps, 2);
    assert_int_equal(c.subscriptions, 6);
    assert_int_equal(c.signing_keys, 5);
    assert_int_equal(c.revoked_jtis, 1);
    assert_true(c.bytes > 0);
    gh_snapshot_free(s);
}

/* Many keys: every one found, none invented, through long probe chains. */
static void test_many_entries(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    char id[32], cid[32], hash[80], prefix[40];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "app_%d", i);
        snprintf(cid, sizeof cid, "client-%d", i);
        struct gh_app app = {.id = id, .client_id = cid};
        gh_snapshot_builder_add_app(b, &app);
        snprintf(hash, sizeof hash, "%064x", (unsigned)i * 2654435761u);
        struct gh_api_key key = {.id = cid, .app_id = id, .key_hash = hash};
        gh_snapshot_builder_add_api_key(b, &key);
        if (i % 4 == 0) {
            snprintf(prefix, sizeof prefix, "/api/p%d", i);
            char *prefixes[] = {prefix};
            struct gh_api api = {.id = cid, .path_prefixes = list_of(prefixes, 1)};
            gh_snapshot_builder_add_api(b, &api);
        }
    }
    struct gh_snapshot *s = gh_snapshot_builder_finish(b);
    for (int i = 0; i < N; i++) {
        snprintf(cid, sizeof cid, "client-%d", i);
        const struct gh_app *app = gh_snapshot_app_by_client_id(s, gh_str_c(cid));
        assert_non_null(app);
        snprintf(id, sizeof id, "app_%d", i);
        assert_string_equal(app->id, id);
        snprintf(hash, sizeof hash, "%064x", (unsigned)i * 2654435761u);
        const struct gh_api_key *key = gh_snapshot_api_key_by_hash(s, gh_str_c(hash));
        assert_non_null(key);
        assert_ptr_equal(gh_snapshot_api_key_app(s, key), app);
        snprintf(prefix, sizeof prefix, "/api/p%d/items?x=1", i);
        const struct gh_api *api = gh_snapshot_api_by_path(s, gh_str_c(prefix), NULL);
        if (i % 4 == 0) {
            assert_non_null(api);
            assert_string_equal(api->id, cid);
        } else {
            assert_null(api);
        }
        snprintf(cid, sizeof cid, "client-%d", N + i);
        assert_null(gh_snapshot_app_by_client_id(s, gh_str_c(cid)));
    }
    gh_snapshot_free(s);
}

/* ---- holder -------------------------------------------------------------- */

static void test_holder_starts_empty_and_publishes(void **state)
{
    (void)state;
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    const struct gh_snapshot *s0 = gh_snapshot_acquire(h);
    assert_non_null(s0);
    assert_int_equal(gh_snapshot_generation(s0), 0);
    assert_null(gh_snapshot_app_by_client_id(s0, S("shop-client")));
    gh_snapshot_release(h, s0);

    gh_snapshot_publish(h, world());
    const struct gh_snapshot *s1 = gh_snapshot_acquire(h);
    assert_int_equal(gh_snapshot_generation(s1), 42);
    assert_non_null(gh_snapshot_app_by_client_id(s1, S("shop-client")));

    /* s1 is held: publishing s2 must keep it alive. */
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    gh_snapshot_builder_set_generation(b, 43);
    gh_snapshot_publish(h, gh_snapshot_builder_finish(b));
    assert_int_equal(gh_snapshot_holder_retired(h), 1);
    assert_non_null(gh_snapshot_app_by_client_id(s1, S("shop-client"))); /* still readable */
    gh_snapshot_release(h, s1);

    const struct gh_snapshot *s2 = gh_snapshot_acquire(h);
    assert_int_equal(gh_snapshot_generation(s2), 43);
    gh_snapshot_release(h, s2);

    /* Nobody holds s1 or s2 now: the next publish frees both. */
    gh_snapshot_publish(h, world());
    assert_int_equal(gh_snapshot_holder_retired(h), 0);
    gh_snapshot_holder_free(h);
}

static void test_holder_free_releases_retired(void **state)
{
    (void)state;
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    const struct gh_snapshot *s = gh_snapshot_acquire(h);
    gh_snapshot_publish(h, world());
    gh_snapshot_publish(h, world());
    assert_int_equal(gh_snapshot_holder_retired(h), 1); /* the empty one, still held */
    gh_snapshot_release(h, s);
    gh_snapshot_holder_free(h); /* ASan: frees current and retired */
}

struct hammer {
    struct gh_snapshot_holder *holder;
    atomic_bool stop;
    atomic_long reads;
    atomic_int errors;
};

/* Every published snapshot of generation g holds app "app_g" with client id
 * "client_g" and an API at "/g<g>": a reader that saw a half-built or freed
 * snapshot would find a mismatch (or ASan would stop it). */
static struct gh_snapshot *generation_snapshot(uint64_t g)
{
    struct gh_snapshot_builder *b = gh_snapshot_builder_new();
    gh_snapshot_builder_set_generation(b, g);
    char id[32], cid[32], prefix[32];
    snprintf(id, sizeof id, "app_%llu", (unsigned long long)g);
    snprintf(cid, sizeof cid, "client_%llu", (unsigned long long)g);
    snprintf(prefix, sizeof prefix, "/g%llu", (unsigned long long)g);
    struct gh_app app = {.id = id, .client_id = cid};
    gh_snapshot_builder_add_app(b, &app);
    char *prefixes[] = {prefix};
    struct gh_api api = {.id = id, .path_prefixes = list_of(prefixes, 1)};
    gh_snapshot_builder_add_api(b, &api);
    for (int i = 0; i < 32; i++) {
        char filler[32];
        snprintf(filler, sizeof filler, "filler_%d", i);
        struct gh_app f = {.id = filler, .client_id = filler};
        gh_snapshot_builder_add_app(b, &f);
    }
    return gh_snapshot_builder_finish(b);
}

static void *hammer_reader(void *arg)
{
    struct hammer *hm = arg;
    uint64_t last_gen = 0;
    char cid[32], path[40];
    while (!atomic_load(&hm->stop)) {
        const struct gh_snapshot *s = gh_snapshot_acquire(hm->holder);
        uint64_t g = gh_snapshot_generation(s);
        bool ok = g >= last_gen;
        if (g > 0) {
            snprintf(cid, sizeof cid, "client_%llu", (unsigned long long)g);
            const struct gh_app *app = gh_snapshot_app_by_client_id(s, gh_str_c(cid));
            snprintf(path, sizeof path, "/g%llu/x", (unsigned long long)g);
            const struct gh_api *api = gh_snapshot_api_by_path(s, gh_str_c(path), NULL);
            ok = ok && app && api && strcmp(app->id, api->id) == 0 &&
                 gh_snapshot_app_by_client_id(s, S("filler_31")) != NULL;
            snprintf(cid, sizeof cid, "client_%llu", (unsigned long long)g + 1);
            ok = ok && gh_snapshot_app_by_client_id(s, gh_str_c(cid)) == NULL;
        }
        gh_snapshot_release(hm->holder, s);
        last_gen = g;
        if (!ok)
            atomic_fetch_add(&hm->errors, 1);
        atomic_fetch_add_explicit(&hm->reads, 1, memory_order_relaxed);
    }
    return NULL;
}

static void test_holder_concurrent_readers_and_publisher(void **state)
{
    (void)state;
    enum { READERS = 4, PUBLISHES = 3000 };
    struct hammer hm = {.holder = gh_snapshot_holder_new()};
    atomic_init(&hm.stop, false);
    atomic_init(&hm.reads, 0);
    atomic_init(&hm.errors, 0);
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer_reader, &hm), 0);
    for (uint64_t g = 1; g <= PUBLISHES; g++)
        gh_snapshot_publish(hm.holder, generation_snapshot(g));
    atomic_store(&hm.stop, true);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&hm.errors), 0);
    assert_true(atomic_load(&hm.reads) > READERS);
    const struct gh_snapshot *s = gh_snapshot_acquire(hm.holder);
    assert_int_equal(gh_snapshot_generation(s), PUBLISHES);
    gh_snapshot_release(hm.holder, s);
    /* No reader is left: one more publish reclaims every retired snapshot. */
    gh_snapshot_publish(hm.holder, generation_snapshot(PUBLISHES + 1));
    assert_int_equal(gh_snapshot_holder_retired(hm.holder), 0);
    gh_snapshot_holder_free(hm.holder);
}

static void *acquire_once(void *arg)
{
    struct gh_snapshot_holder *h = arg;
    const struct gh_snapshot *s = gh_snapshot_acquire(h);
    gh_snapshot_release(h, s);
    return (void *)(uintptr_t)(s != NULL);
}

/* Reader slots go back when threads exit: more threads than slots over time
 * (as libmicrohttpd restarts or tests churn) must not exhaust them. */
static void test_reader_slots_are_reused(void **state)
{
    (void)state;
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    for (int i = 0; i < GH_SNAPSHOT_MAX_READERS + 50; i++) {
        pthread_t t;
        void *ok = NULL;
        assert_int_equal(pthread_create(&t, NULL, acquire_once, h), 0);
        pthread_join(t, &ok);
        assert_non_null(ok);
    }
    gh_snapshot_holder_free(h);
}

/* ---- loading from a real store ------------------------------------------- */

struct db {
    char *dir;
    char path[512];
    struct gh_store *store;
};

static int db_setup(void **state)
{
    struct db *d = calloc(1, sizeof *d);
    d->dir = gh_fixture_tempdir();
    if (!d->dir) {
        free(d);
        return -1;
    }
    snprintf(d->path, sizeof d->path, "%s/t.db", d->dir);
    char err[256] = "";
    gh_log_set_level(GH_LOG_WARN); /* not the "migrated" line of every test */
    d->store = gh_store_open(d->path, &(struct gh_store_options){.migrate = true}, err, sizeof err);
    gh_log_set_level(GH_LOG_INFO);
    if (!d->store) {
        fprintf(stderr, "gh_store_open: %s\n", err);
        gh_fixture_rmtree(d->dir);
        free(d->dir);
        free(d);
        return -1;
    }
    *state = d;
    return 0;
}

static int db_teardown(void **state)
{
    struct db *d = *state;
    gh_store_close(d->store);
    bool removed = gh_fixture_rmtree(d->dir);
    free(d->dir);
    free(d);
    return removed ? 0 : -1;
}

static char *store_customers[] = {"4711"};
static char *store_prefixes[] = {"/orders", "/orders/admin/"};

/* Writes a small world through the store's entity operations. */
static void seed_store(struct gh_store *store)
{
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(store, GH_TX_WRITE, &tx), GH_STORE_OK);
    struct gh_org prov = {
        .id = "org_p", .name = "Provider", .provider = true, .created_at = 1, .updated_at = 1};
    struct gh_org part = {.id = "org_c",
                          .name = "Customer",
                          .partner = true,
                          .tenant = "cust",
                          .customer_numbers = list_of(store_customers, 1),
                          .created_at = 2,
                          .updated_at = 2};
    assert_int_equal(gh_store_org_insert(tx, &prov), GH_STORE_OK);
    assert_int_equal(gh_store_org_insert(tx, &part), GH_STORE_OK);
    struct gh_api api = {.id = "api_o",
                         .org_id = "org_p",
                         .name = "Orders",
                         .service = "orders",
                         .path_prefixes = list_of(store_prefixes, 2),
                         .auth_method = GH_AUTH_API_KEY,
                         .subscription_required = true,
                         .created_at = 3,
                         .updated_at = 3};
    assert_int_equal(gh_store_api_insert(tx, &api), GH_STORE_OK);
    struct gh_plan plan = {.id = "pln_o",
                           .api_id = "api_o",
                           .name = "basic",
                           .rate_limit_requests = 10,
                           .rate_limit_window_secs = 1,
                           .created_at = 4,
                           .updated_at = 4};
    assert_int_equal(gh_store_plan_insert(tx, &plan), GH_STORE_OK);
    struct gh_app app = {.id = "app_s",
                         .org_id = "org_c",
                         .name = "Shop",
                         .client_id = "shop",
                         .client_secret_hash = "5ec",
                         .confidential = true,
                         .access_token_validity_secs = 600,
                         .created_at = 5,
                         .updated_at = 5};
    assert_int_equal(gh_store_app_insert(tx, &app), GH_STORE_OK);
    struct gh_api_key key = {.id = "key_s",
                             .app_id = "app_s",
                             .name = "ci",
                             .key_hash = "aa11",
                             .key_hint = "gh_a",
                             .created_at = 6};
    assert_int_equal(gh_store_api_key_insert(tx, &key), GH_STORE_OK);
    struct gh_certificate cert = {.id = "crt_s",
                                  .app_id = "app_s",
                                  .subject = "CN=shop",
                                  .thumbprint_sha256 = "bb22",
                                  .pem = "PEM",
                                  .created_at = 7};
    assert_int_equal(gh_store_certificate_insert(tx, &cert), GH_STORE_OK);
    struct gh_subscription sub = {.id = "sub_s",
                                  .app_id = "app_s",
                                  .api_id = "api_o",
                                  .plan_id = "pln_o",
                                  .status = GH_SUB_ACTIVE,
                                  .created_at = 8,
                                  .updated_at = 8};
    assert_int_equal(gh_store_subscription_insert(tx, &sub), GH_STORE_OK);
    struct gh_access_status_rec red = {.app_id = "app_s",
                                       .provider_org_id = "org_p",
                                       .status = GH_ACCESS_RED,
                                       .reason = "overdue",
                                       .set_at = 9};
    assert_int_equal(gh_store_access_status_put(tx, &red), GH_STORE_OK);
    struct gh_signing_key sk = {.kid = "kid1",
                                .alg = "ES256",
                                .state = GH_KEY_ACTIVE,
                                .private_key_enc = "enc",
                                .public_jwk = "{\"kid\":\"kid1\"}",
                                .created_at = 10,
                                .activated_at = 10};
    assert_int_equal(gh_store_signing_key_insert(tx, &sk), GH_STORE_OK);
    struct gh_revoked_jti jti = {.jti = "jti-x", .expires_at = 4000000000, .revoked_at = 11};
    assert_int_equal(gh_store_revoked_jti_insert(tx, &jti), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static void test_load_from_sqlite(void **state)
{
    struct db *d = *state;
    seed_store(d->store);
    struct gh_snapshot *s = NULL;
    char err[256] = "";
    assert_true(gh_snapshot_load(d->store, &s, err, sizeof err));
    assert_non_null(s);
    assert_int_equal(gh_snapshot_generation(s), gh_store_generation(d->store));
    assert_true(gh_snapshot_generation(s) > 0);

    const struct gh_app *app = gh_snapshot_app_by_client_id(s, S("shop"));
    assert_non_null(app);
    assert_string_equal(app->id, "app_s");
    assert_string_equal(app->client_secret_hash, "5ec");
    assert_int_equal(app->access_token_validity_secs, 600);
    const struct gh_org *org = gh_snapshot_app_org(s, app);
    assert_non_null(org);
    assert_string_equal(org->tenant, "cust");
    assert_int_equal(org->customer_numbers.n, 1);
    assert_string_equal(org->customer_numbers.items[0], "4711");
    assert_ptr_equal(gh_snapshot_org_by_tenant(s, S("cust")), org);
    const struct gh_strlist *services = gh_snapshot_app_services(s, app);
    assert_int_equal(services->n, 1);
    assert_string_equal(services->items[0], "orders");

    const struct gh_api_key *key = gh_snapshot_api_key_by_hash(s, S("aa11"));
    assert_non_null(key);
    assert_ptr_equal(gh_snapshot_api_key_app(s, key), app);
    const struct gh_certificate *cert = gh_snapshot_certificate_by_thumbprint(s, S("bb22"));
    assert_non_null(cert);
    assert_ptr_equal(gh_snapshot_certificate_app(s, cert), app);

    struct gh_str matched;
    const struct gh_api *api = gh_snapshot_api_by_path(s, S("/orders/admin/7?x"), &matched);
    assert_non_null(api);
    assert_string_equal(api->id, "api_o");
    assert_int_equal(api->auth_method, GH_AUTH_API_KEY);
    assert_int_equal(matched.len, strlen("/orders/admin"));
    assert_null(gh_snapshot_api_by_path(s, S("/ordersx"), NULL));
    assert_int_equal(gh_snapshot_plan_by_id(s, S("pln_o"))->rate_limit_requests, 10);

    const struct gh_subscription *sub = gh_snapshot_subscription(s, S("app_s"), S("api_o"));
    assert_non_null(sub);
    assert_int_equal(sub->status, GH_SUB_ACTIVE);
    const struct gh_access_status_rec *rec;
    assert_int_equal(gh_snapshot_access_status(s, S("app_s"), S("org_p"), &rec), GH_ACCESS_RED);
    assert_string_equal(rec->reason, "overdue");
    assert_true(gh_snapshot_jti_revoked(s, S("jti-x")));
    assert_false(gh_snapshot_jti_revoked(s, S("jti-y")));
    const struct gh_signing_key *sk = gh_snapshot_signing_key_active(s, S("ES256"));
    assert_non_null(sk);
    assert_string_equal(sk->public_jwk, "{\"kid\":\"kid1\"}");

    struct gh_snapshot_counts c;
    gh_snapshot_get_counts(s, &c);
    assert_int_equal(c.orgs, 2);
    assert_int_equal(c.apis, 1);
    assert_int_equal(c.path_prefixes, 2);
    assert_int_equal(c.plans, 1);
    assert_int_equal(c.apps, 1);
    assert_int_equal(c.api_keys, 1);
    assert_int_equal(c.certificates, 1);
    assert_int_equal(c.subscriptions, 1);
    assert_int_equal(c.access_statuses, 1);
    assert_int_equal(c.signing_keys, 1);
    assert_int_equal(c.revoked_jtis, 1);
    gh_snapshot_free(s);
}

static void test_load_empty_store(void **state)
{
    struct db *d = *state;
    struct gh_snapshot *s = NULL;
    assert_true(gh_snapshot_load(d->store, &s, NULL, 0));
    struct gh_snapshot_counts c;
    gh_snapshot_get_counts(s, &c);
    assert_int_equal(c.orgs + c.apis + c.apps + c.api_keys + c.subscriptions + c.revoked_jtis, 0);
    assert_null(gh_snapshot_app_by_client_id(s, S("shop")));
    gh_snapshot_free(s);
}

static bool visible(struct gh_snapshot_holder *h, const char *client_id)
{
    const struct gh_snapshot *s = gh_snapshot_acquire(h);
    bool found = gh_snapshot_app_by_client_id(s, gh_str_c(client_id)) != NULL;
    gh_snapshot_release(h, s);
    return found;
}

static void insert_app(struct gh_store *store, const char *id, const char *client_id)
{
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(store, GH_TX_WRITE, &tx), GH_STORE_OK);
    struct gh_app app = {.id = (char *)id,
                         .org_id = "org_c",
                         .name = "n",
                         .client_id = (char *)client_id,
                         .created_at = 20,
                         .updated_at = 20};
    assert_int_equal(gh_store_app_insert(tx, &app), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

/* The watched holder shows a commit to the very next reader, and only
 * touched commits reload. */
static void test_refresh_on_commit(void **state)
{
    struct db *d = *state;
    seed_store(d->store);
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    struct gh_snapshot_refresh_stats st;
    gh_snapshot_refresh_stats(h, &st);
    assert_false(st.loaded);
    assert_true(gh_snapshot_refresh(h, d->store));
    gh_snapshot_holder_watch(h, d->store);
    assert_true(visible(h, "shop"));
    assert_false(visible(h, "fresh"));
    gh_snapshot_refresh_stats(h, &st);
    assert_true(st.loaded);
    assert_int_equal(st.loads, 1);

    insert_app(d->store, "app_f", "fresh");
    assert_true(visible(h, "fresh")); /* no wait, no explicit refresh */
    assert_int_equal(gh_snapshot_holder_generation(h), gh_store_generation(d->store));
    gh_snapshot_refresh_stats(h, &st);
    assert_int_equal(st.loads, 2);
    assert_int_equal(st.failures, 0);

    /* Nothing changed: a refresh is coalesced away. */
    assert_true(gh_snapshot_refresh(h, d->store));
    gh_snapshot_refresh_stats(h, &st);
    assert_int_equal(st.loads, 2);
    assert_int_equal(st.skips, 1);

    /* Users are not snapshot data: committing one does not reload. */
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(d->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    struct gh_user u = {
        .id = "usr_1", .email = "a@example.com", .name = "A", .created_at = 1, .updated_at = 1};
    assert_int_equal(gh_store_user_insert(tx, &u), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    gh_snapshot_refresh_stats(h, &st);
    assert_int_equal(st.loads, 2);

    /* A delete cascades in the database and so out of the snapshot. */
    assert_int_equal(gh_store_begin(d->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    assert_int_equal(gh_store_app_delete(tx, "app_s"), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    const struct gh_snapshot *s = gh_snapshot_acquire(h);
    assert_null(gh_snapshot_app_by_client_id(s, S("shop")));
    assert_null(gh_snapshot_api_key_by_hash(s, S("aa11")));
    assert_null(gh_snapshot_subscription(s, S("app_s"), S("api_o")));
    assert_non_null(gh_snapshot_app_by_client_id(s, S("fresh")));
    gh_snapshot_release(h, s);

    /* A rolled-back change never shows. */
    assert_int_equal(gh_store_begin(d->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    struct gh_app ghost = {.id = "app_g",
                           .org_id = "org_c",
                           .name = "g",
                           .client_id = "ghost",
                           .created_at = 1,
                           .updated_at = 1};
    assert_int_equal(gh_store_app_insert(tx, &ghost), GH_STORE_OK);
    gh_store_rollback(tx);
    assert_false(visible(h, "ghost"));

    gh_snapshot_holder_unwatch(h);
    insert_app(d->store, "app_u", "unwatched");
    assert_false(visible(h, "unwatched"));
    assert_true(gh_snapshot_refresh(h, d->store));
    assert_true(visible(h, "unwatched"));
    gh_snapshot_holder_free(h);
}

struct committer {
    struct gh_store *store;
    int index;
};

static void *commit_apps(void *arg)
{
    struct committer *c = arg;
    for (int i = 0; i < 10; i++) {
        char id[32], cid[32];
        snprintf(id, sizeof id, "app_t%d_%d", c->index, i);
        snprintf(cid, sizeof cid, "client-t%d-%d", c->index, i);
        struct gh_tx *tx;
        if (gh_store_begin(c->store, GH_TX_WRITE, &tx) != GH_STORE_OK)
            return (void *)1;
        struct gh_app app = {.id = id,
                             .org_id = "org_c",
                             .name = "t",
                             .client_id = cid,
                             .created_at = 30,
                             .updated_at = 30};
        if (gh_store_app_insert(tx, &app) != GH_STORE_OK) {
            gh_store_rollback(tx);
            return (void *)1;
        }
        if (gh_store_commit(tx) != GH_STORE_OK)
            return (void *)1;
    }
    return NULL;
}

/* Writers on several threads: every commit is visible once its commit
 * returned, and refreshes that found nothing new were coalesced. */
static void test_refresh_concurrent_commits(void **state)
{
    enum { WRITERS = 4 };
    struct db *d = *state;
    seed_store(d->store);
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    assert_true(gh_snapshot_refresh(h, d->store));
    gh_snapshot_holder_watch(h, d->store);
    pthread_t th[WRITERS];
    struct committer c[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        c[i] = (struct committer){d->store, i};
        assert_int_equal(pthread_create(&th[i], NULL, commit_apps, &c[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        void *failed = NULL;
        pthread_join(th[i], &failed);
        assert_null(failed);
    }
    const struct gh_snapshot *s = gh_snapshot_acquire(h);
    for (int t = 0; t < WRITERS; t++) {
        for (int i = 0; i < 10; i++) {
            char cid[32];
            snprintf(cid, sizeof cid, "client-t%d-%d", t, i);
            if (!gh_snapshot_app_by_client_id(s, gh_str_c(cid)))
                fail_msg("%s committed but not in the snapshot", cid);
        }
    }
    assert_int_equal(gh_snapshot_generation(s), gh_store_generation(d->store));
    gh_snapshot_release(h, s);
    struct gh_snapshot_refresh_stats st;
    gh_snapshot_refresh_stats(h, &st);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.loads + st.skips, 1 + WRITERS * 10); /* one refresh per commit */
    gh_snapshot_holder_unwatch(h);
    gh_snapshot_holder_free(h);
}

/* A load that fails keeps the current snapshot and says what failed. */
static void test_refresh_failure_keeps_snapshot(void **state)
{
    struct db *d = *state;
    seed_store(d->store);
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    assert_true(gh_snapshot_refresh(h, d->store));
    uint64_t gen = gh_snapshot_holder_generation(h);

    /* Break the schema behind the store's back. */
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(d->path, &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    assert_int_equal(sqlite3_exec(raw, "DROP TABLE revoked_jtis", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);

    gh_log_set_level(GH_LOG_OFF); /* the store's and the refresh's error lines are expected */
    struct gh_snapshot *s = (struct gh_snapshot *)1;
    char err[256] = "";
    bool loaded = gh_snapshot_load(d->store, &s, err, sizeof err);
    insert_app(d->store, "app_n", "after-break"); /* unwatched: refresh by hand */
    bool refreshed = gh_snapshot_refresh(h, d->store);
    gh_log_set_level(GH_LOG_INFO);
    assert_false(loaded);
    assert_null(s);
    assert_non_null(strstr(err, "snapshot: reading revoked_jtis"));
    assert_false(refreshed);
    struct gh_snapshot_refresh_stats st;
    gh_snapshot_refresh_stats(h, &st);
    assert_int_equal(st.failures, 1);
    assert_int_equal(st.loads, 1);
    assert_int_equal(gh_snapshot_holder_generation(h), gen);
    assert_true(visible(h, "shop"));
    assert_false(visible(h, "after-break"));
    gh_snapshot_holder_free(h);
}

static void test_holder_age_and_generation(void **state)
{
    (void)state;
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    assert_int_equal(gh_snapshot_holder_generation(h), 0);
    struct gh_snapshot *s = world();
    int64_t built = gh_snapshot_built_at_ms(s);
    gh_snapshot_publish(h, s);
    assert_int_equal(gh_snapshot_holder_generation(h), 42);
    assert_int_equal(gh_snapshot_holder_age_ms(h, built + 1500), 1500);
    assert_int_equal(gh_snapshot_holder_age_ms(h, built), 0);
    assert_int_equal(gh_snapshot_holder_age_ms(h, built - 10), 0); /* clock stepped back */
    /* Readable while this thread holds a snapshot. */
    const struct gh_snapshot *held = gh_snapshot_acquire(h);
    assert_int_equal(gh_snapshot_holder_age_ms(h, built + 7), 7);
    gh_snapshot_release(h, held);
    gh_snapshot_holder_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_snapshot),
        cmocka_unit_test(test_apps_and_orgs),
        cmocka_unit_test(test_services_are_active_sorted_distinct),
        cmocka_unit_test(test_lookup_keys_are_views),
        cmocka_unit_test(test_builder_copies_its_input),
        cmocka_unit_test(test_builder_free_without_finish),
        cmocka_unit_test(test_apis_plans_keys_certs),
        cmocka_unit_test(test_subscriptions_and_access_status),
        cmocka_unit_test(test_subscription_and_status_links),
        cmocka_unit_test(test_duplicate_subscriptions_prefer_access),
        cmocka_unit_test(test_duplicate_unique_keys_first_wins),
        cmocka_unit_test(test_path_prefix_matching),
        cmocka_unit_test(test_path_root_prefix_is_the_fallback),
        cmocka_unit_test(test_signing_keys_and_jtis),
        cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_holder_starts_empty_and_publishes),
        cmocka_unit_test(test_holder_free_releases_retired),
        cmocka_unit_test(test_holder_concurrent_readers_and_publisher),
        cmocka_unit_test(test_reader_slots_are_reused),
        cmocka_unit_test(test_holder_age_and_generation),
        cmocka_unit_test_setup_teardown(test_load_from_sqlite, db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(test_load_empty_store, db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(test_refresh_on_commit, db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(test_refresh_concurrent_commits, db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(test_refresh_failure_keeps_snapshot, db_setup, db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
