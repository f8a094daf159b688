/* Every entity operation of store/entities.h against a real database: a
 * fresh SQLite file per test, or GATEHOUSE_TEST_DB_URL (emptied first).
 * Each group checks the round trip of every column, unique keys answering
 * GH_STORE_CONFLICT, missing rows answering GH_STORE_NOT_FOUND, cascades,
 * list order and paging, and whether a write refreshes the snapshot (the
 * store generation). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/store_fixture.h"
#include "core/log.h"
#include "store/store.h"

/* ---- harness -------------------------------------------------------------- */

struct env {
    struct gh_fixture_db db;
    struct gh_store *store;
    struct gh_arena *a;
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_true(gh_fixture_db_init(&e->db));
    char err[512] = "";
    e->store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!e->store)
        fail_msg("cannot open the test store %s: %s", e->db.url, err);
    e->a = gh_arena_new(8192);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    gh_store_close(e->store);
    gh_fixture_db_done(&e->db);
    gh_arena_free(e->a);
    free(e);
    return 0;
}

/* Checks an entity call's answer; on a mismatch names the call, both codes
 * and the transaction's last error. */
#define EXPECT(tx, want, call)                                                                     \
    do {                                                                                           \
        enum gh_store_rc rc_ = (call);                                                             \
        if (rc_ != (want))                                                                         \
            fail_msg("%s: %s, expected %s (%s)", #call, gh_store_rc_name(rc_),                     \
                     gh_store_rc_name(want), gh_store_tx_error(tx));                               \
    } while (0)
#define OK(tx, call) EXPECT(tx, GH_STORE_OK, call)

static struct gh_tx *wtx(struct env *e)
{
    struct gh_tx *tx = NULL;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    return tx;
}

static struct gh_tx *rtx(struct env *e)
{
    struct gh_tx *tx = NULL;
    assert_int_equal(gh_store_begin(e->store, GH_TX_READ, &tx), GH_STORE_OK);
    return tx;
}

static void commit(struct gh_tx *tx)
{
    enum gh_store_rc rc = gh_store_commit(tx);
    if (rc != GH_STORE_OK)
        fail_msg("commit: %s", gh_store_rc_name(rc));
}

static struct gh_strlist strlist(char **items, size_t n)
{
    return (struct gh_strlist){n, items};
}

static void assert_strlist(const struct gh_strlist *got, char *const *want, size_t n)
{
    assert_int_equal(got->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(got->items[i], want[i]);
}

/* A string field that must be unset. */
#define assert_unset(p) assert_null(p)

static const struct gh_page page_all = {0, 0};

/* ---- a small world, written through the store ----------------------------- */

static void put_user(struct gh_tx *tx, const char *id, const char *email, int64_t created)
{
    struct gh_user u = {
        .id = (char *)id, .email = (char *)email, .created_at = created, .updated_at = created};
    OK(tx, gh_store_user_insert(tx, &u));
}

static void put_org(struct gh_tx *tx, const char *id, const char *tenant, int64_t created)
{
    struct gh_org o = {.id = (char *)id,
                       .name = (char *)id,
                       .tenant = (char *)tenant,
                       .created_at = created,
                       .updated_at = created};
    OK(tx, gh_store_org_insert(tx, &o));
}

static void put_api(struct gh_tx *tx, const char *id, const char *org_id, int64_t created)
{
    struct gh_api a = {.id = (char *)id,
                       .org_id = (char *)org_id,
                       .name = (char *)id,
                       .subscription_required = true,
                       .created_at = created,
                       .updated_at = created};
    OK(tx, gh_store_api_insert(tx, &a));
}

static void put_plan(struct gh_tx *tx, const char *id, const char *api_id, int64_t created)
{
    struct gh_plan p = {.id = (char *)id,
                        .api_id = (char *)api_id,
                        .name = (char *)id,
                        .created_at = created,
                        .updated_at = created};
    OK(tx, gh_store_plan_insert(tx, &p));
}

static void put_app(struct gh_tx *tx, const char *id, const char *org_id, const char *client_id,
                    int64_t created)
{
    struct gh_app a = {.id = (char *)id,
                       .org_id = (char *)org_id,
                       .name = (char *)id,
                       .client_id = (char *)client_id,
                       .confidential = true,
                       .created_at = created,
                       .updated_at = created};
    OK(tx, gh_store_app_insert(tx, &a));
}

static void put_key(struct gh_tx *tx, const char *id, const char *app_id, const char *hash,
                    int64_t created)
{
    struct gh_api_key k = {.id = (char *)id,
                           .app_id = (char *)app_id,
                           .key_hash = (char *)hash,
                           .created_at = created};
    OK(tx, gh_store_api_key_insert(tx, &k));
}

static void put_cert(struct gh_tx *tx, const char *id, const char *app_id, const char *thumb,
                     int64_t created)
{
    struct gh_certificate c = {.id = (char *)id,
                               .app_id = (char *)app_id,
                               .thumbprint_sha256 = (char *)thumb,
                               .pem = "PEM",
                               .created_at = created};
    OK(tx, gh_store_certificate_insert(tx, &c));
}

static void put_sub(struct gh_tx *tx, const char *id, const char *app_id, const char *api_id,
                    const char *plan_id, enum gh_sub_status status, int64_t created)
{
    struct gh_subscription s = {.id = (char *)id,
                                .app_id = (char *)app_id,
                                .api_id = (char *)api_id,
                                .plan_id = (char *)plan_id,
                                .status = status,
                                .created_at = created,
                                .updated_at = created};
    OK(tx, gh_store_subscription_insert(tx, &s));
}

/* Users u1, u2; provider org_prov with api_1 and plan pln_1; partner
 * org_part (tenant "acme") with app_1 (client "client-1"). */
static void seed(struct env *e)
{
    struct gh_tx *tx = wtx(e);
    put_user(tx, "usr_1", "one@example.com", 100);
    put_user(tx, "usr_2", "two@example.com", 101);
    put_org(tx, "org_prov", NULL, 100);
    put_org(tx, "org_part", "acme", 101);
    put_api(tx, "api_1", "org_prov", 100);
    put_plan(tx, "pln_1", "api_1", 100);
    put_app(tx, "app_1", "org_part", "client-1", 100);
    commit(tx);
}

/* ---- users ---------------------------------------------------------------- */

static void test_user_crud(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    struct gh_user u = {.id = "usr_a",
                        .email = "Alice.Smith@Example.COM",
                        .name = "Alice Smith",
                        .password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA",
                        .email_verified_at = 1700000000,
                        .platform_admin = true,
                        .created_at = 10,
                        .updated_at = 11};
    OK(tx, gh_store_user_insert(tx, &u));
    struct gh_user bare = {
        .id = "usr_b", .email = "bob@example.com", .created_at = 12, .updated_at = 12};
    OK(tx, gh_store_user_insert(tx, &bare));
    commit(tx);

    tx = rtx(e);
    struct gh_user got;
    OK(tx, gh_store_user_get(tx, "usr_a", e->a, &got));
    assert_string_equal(got.id, "usr_a");
    assert_string_equal(got.email, "alice.smith@example.com"); /* stored lower-cased */
    assert_string_equal(got.name, "Alice Smith");
    assert_string_equal(got.password_hash, u.password_hash);
    assert_int_equal(got.email_verified_at, 1700000000);
    assert_true(got.platform_admin);
    assert_int_equal(got.created_at, 10);
    assert_int_equal(got.updated_at, 11);

    OK(tx, gh_store_user_get(tx, "usr_b", e->a, &got));
    assert_unset(got.name);
    assert_unset(got.password_hash);
    assert_false(got.platform_admin);
    assert_int_equal(got.email_verified_at, 0);

    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_user_get(tx, "usr_missing", e->a, &got));
    commit(tx);

    /* Update: whole row by id, created_at kept, email lower-cased. */
    tx = wtx(e);
    struct gh_user changed = {.id = "usr_b",
                              .email = "Robert@Example.com",
                              .name = "Robert",
                              .platform_admin = true,
                              .created_at = 999,
                              .updated_at = 50};
    OK(tx, gh_store_user_update(tx, &changed));
    struct gh_user ghost = {.id = "usr_ghost", .email = "ghost@example.com"};
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_user_update(tx, &ghost));
    commit(tx);

    tx = rtx(e);
    OK(tx, gh_store_user_get(tx, "usr_b", e->a, &got));
    assert_string_equal(got.email, "robert@example.com");
    assert_string_equal(got.name, "Robert");
    assert_true(got.platform_admin);
    assert_int_equal(got.created_at, 12);
    assert_int_equal(got.updated_at, 50);
    commit(tx);

    tx = wtx(e);
    OK(tx, gh_store_user_delete(tx, "usr_b"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_user_delete(tx, "usr_b"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_user_get(tx, "usr_b", e->a, &got));
    commit(tx);
}

static void test_user_unique_email_any_case(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    put_user(tx, "usr_1", "Dup@Example.com", 1);
    commit(tx);

    tx = wtx(e);
    struct gh_user same = {.id = "usr_2", .email = "dup@example.COM", .created_at = 2};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_user_insert(tx, &same));
    gh_store_rollback(tx);

    tx = wtx(e);
    struct gh_user same_id = {.id = "usr_1", .email = "other@example.com", .created_at = 2};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_user_insert(tx, &same_id));
    gh_store_rollback(tx);

    /* Taking another user's email by update is refused too. */
    tx = wtx(e);
    put_user(tx, "usr_3", "three@example.com", 3);
    commit(tx);
    tx = wtx(e);
    struct gh_user steal = {.id = "usr_3", .email = "DUP@EXAMPLE.COM", .created_at = 3};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_user_update(tx, &steal));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_user got;
    OK(tx, gh_store_user_get(tx, "usr_3", e->a, &got));
    assert_string_equal(got.email, "three@example.com");
    commit(tx);
}

static void test_user_by_email(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    put_user(tx, "usr_1", "Mixed.Case@Example.org", 1);
    commit(tx);

    tx = rtx(e);
    struct gh_user got;
    OK(tx, gh_store_user_by_email(tx, "mixed.case@example.org", e->a, &got));
    assert_string_equal(got.id, "usr_1");
    OK(tx, gh_store_user_by_email(tx, "MIXED.CASE@EXAMPLE.ORG", e->a, &got));
    assert_string_equal(got.id, "usr_1");
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_user_by_email(tx, "mixed@example.org", e->a, &got));
    commit(tx);
}

static void test_user_list_search_count(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    /* Inserted out of order; usr_c and usr_b share a created_at (id breaks the tie). */
    struct gh_user users[] = {
        {.id = "usr_c", .email = "carol@x.org", .name = "Carol Alicesson", .created_at = 20},
        {.id = "usr_a", .email = "alice@example.com", .name = "Alice", .created_at = 10},
        {.id = "usr_b", .email = "bob@corp.test", .name = "Bob", .created_at = 20},
        {.id = "usr_d", .email = "dan_d@x.org", .created_at = 30},
    };
    for (size_t i = 0; i < 4; i++)
        OK(tx, gh_store_user_insert(tx, &users[i]));
    commit(tx);

    tx = rtx(e);
    struct gh_user *list;
    size_t n;
    OK(tx, gh_store_user_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 4);
    assert_string_equal(list[0].id, "usr_a");
    assert_string_equal(list[1].id, "usr_b");
    assert_string_equal(list[2].id, "usr_c");
    assert_string_equal(list[3].id, "usr_d");
    assert_string_equal(list[2].name, "Carol Alicesson");

    struct gh_page p = {.offset = 1, .limit = 2};
    OK(tx, gh_store_user_list(tx, &p, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "usr_b");
    assert_string_equal(list[1].id, "usr_c");
    p = (struct gh_page){.offset = 3, .limit = 10};
    OK(tx, gh_store_user_list(tx, &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "usr_d");
    p = (struct gh_page){.offset = 2, .limit = 0}; /* no limit, from the third */
    OK(tx, gh_store_user_list(tx, &p, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "usr_c");
    p = (struct gh_page){.offset = 10, .limit = 5};
    OK(tx, gh_store_user_list(tx, &p, e->a, &list, &n));
    assert_int_equal(n, 0);

    /* Search: case-insensitive substring of email or name. */
    OK(tx, gh_store_user_search(tx, "ALICE", NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "usr_a");
    assert_string_equal(list[1].id, "usr_c");
    int64_t count = -1;
    OK(tx, gh_store_user_count(tx, "ALICE", &count));
    assert_int_equal(count, 2);

    p = (struct gh_page){.offset = 1, .limit = 1};
    OK(tx, gh_store_user_search(tx, "alice", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "usr_c");

    OK(tx, gh_store_user_search(tx, "corp.TEST", NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "usr_b");

    /* LIKE wildcards in q are plain characters. */
    OK(tx, gh_store_user_search(tx, "_", NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "usr_d");
    OK(tx, gh_store_user_count(tx, "%", &count));
    assert_int_equal(count, 0);

    OK(tx, gh_store_user_search(tx, NULL, NULL, e->a, &list, &n));
    assert_int_equal(n, 4);
    OK(tx, gh_store_user_search(tx, "", NULL, e->a, &list, &n));
    assert_int_equal(n, 4);
    OK(tx, gh_store_user_count(tx, NULL, &count));
    assert_int_equal(count, 4);
    OK(tx, gh_store_user_count(tx, "nobody", &count));
    assert_int_equal(count, 0);
    OK(tx, gh_store_user_search(tx, "nobody", NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    assert_null(list);
    commit(tx);
}

/* Deleting a user takes its memberships, app memberships, API tokens,
 * sessions and mail tokens with it. */
static void test_user_delete_cascades(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    struct gh_membership m = {
        .org_id = "org_part", .user_id = "usr_1", .role = GH_ORG_ADMIN, .created_at = 1};
    OK(tx, gh_store_membership_put(tx, &m));
    struct gh_app_member am = {
        .app_id = "app_1", .user_id = "usr_1", .role = GH_APP_OWNER, .created_at = 1};
    OK(tx, gh_store_app_member_put(tx, &am));
    struct gh_api_token t = {.id = "tok_1",
                             .kind = GH_TOKEN_KIND_PERSONAL,
                             .user_id = "usr_1",
                             .token_hash = "th1",
                             .created_at = 1};
    OK(tx, gh_store_api_token_insert(tx, &t));
    struct gh_session s = {.id_hash = "sh1",
                           .user_id = "usr_1",
                           .csrf_token = "c",
                           .created_at = 1,
                           .last_seen_at = 1,
                           .expires_at = 100};
    OK(tx, gh_store_session_insert(tx, &s));
    struct gh_user_token ut = {.token_hash = "uh1",
                               .user_id = "usr_1",
                               .purpose = GH_UTOKEN_VERIFY_EMAIL,
                               .created_at = 1,
                               .expires_at = 100};
    OK(tx, gh_store_user_token_insert(tx, &ut));
    commit(tx);

    tx = wtx(e);
    OK(tx, gh_store_user_delete(tx, "usr_1"));
    commit(tx);

    tx = rtx(e);
    struct gh_membership gm;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_membership_get(tx, "org_part", "usr_1", e->a, &gm));
    struct gh_app_member gam;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_member_get(tx, "app_1", "usr_1", e->a, &gam));
    struct gh_api_token gt;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_token_get(tx, "tok_1", e->a, &gt));
    struct gh_session gs;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_session_get(tx, "sh1", e->a, &gs));
    struct gh_user_token gut;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_user_token_get(tx, "uh1", e->a, &gut));
    /* The org and the app stay. */
    struct gh_org go;
    OK(tx, gh_store_org_get(tx, "org_part", e->a, &go));
    struct gh_app ga;
    OK(tx, gh_store_app_get(tx, "app_1", e->a, &ga));
    commit(tx);
}

/* ---- organizations and memberships ---------------------------------------- */

static void test_org_crud(void **state)
{
    struct env *e = *state;
    char *customers[] = {"100200", "100201", "with \"quotes\" and \\ and ünïcode"};
    char *roles[] = {"b2b"};
    struct gh_org o = {.id = "org_1",
                       .name = "Acme Partner",
                       .description = "A partner",
                       .provider = false,
                       .partner = true,
                       .tenant = "acme",
                       .contact_address = "1 Road, Town",
                       .contact_phone = "+49 1",
                       .contact_email = "contact@acme.test",
                       .responsible_email = "boss@acme.test",
                       .customer_numbers = strlist(customers, 3),
                       .partner_roles = strlist(roles, 1),
                       .created_at = 5,
                       .updated_at = 6};
    struct gh_tx *tx = wtx(e);
    OK(tx, gh_store_org_insert(tx, &o));
    struct gh_org prov = {.id = "org_2", .name = "Provider", .provider = true, .created_at = 7};
    OK(tx, gh_store_org_insert(tx, &prov));
    commit(tx);

    tx = rtx(e);
    struct gh_org got;
    OK(tx, gh_store_org_get(tx, "org_1", e->a, &got));
    assert_string_equal(got.name, "Acme Partner");
    assert_string_equal(got.description, "A partner");
    assert_false(got.provider);
    assert_true(got.partner);
    assert_string_equal(got.tenant, "acme");
    assert_string_equal(got.contact_address, "1 Road, Town");
    assert_string_equal(got.contact_phone, "+49 1");
    assert_string_equal(got.contact_email, "contact@acme.test");
    assert_string_equal(got.responsible_email, "boss@acme.test");
    assert_strlist(&got.customer_numbers, customers, 3);
    assert_strlist(&got.partner_roles, roles, 1);
    assert_int_equal(got.created_at, 5);
    assert_int_equal(got.updated_at, 6);

    OK(tx, gh_store_org_get(tx, "org_2", e->a, &got));
    assert_true(got.provider);
    assert_unset(got.tenant);
    assert_int_equal(got.customer_numbers.n, 0);
    assert_int_equal(got.partner_roles.n, 0);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_org_get(tx, "org_x", e->a, &got));

    OK(tx, gh_store_org_by_tenant(tx, "acme", e->a, &got));
    assert_string_equal(got.id, "org_1");
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_org_by_tenant(tx, "nobody", e->a, &got));
    commit(tx);

    tx = wtx(e);
    char *fewer[] = {"100200"};
    o.customer_numbers = strlist(fewer, 1);
    o.partner_roles = strlist(NULL, 0);
    o.tenant = "acme2";
    o.name = "Acme Renamed";
    o.updated_at = 60;
    OK(tx, gh_store_org_update(tx, &o));
    struct gh_org ghost = {.id = "org_ghost", .name = "G", .created_at = 1};
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_org_update(tx, &ghost));
    commit(tx);

    tx = rtx(e);
    OK(tx, gh_store_org_get(tx, "org_1", e->a, &got));
    assert_string_equal(got.name, "Acme Renamed");
    assert_strlist(&got.customer_numbers, fewer, 1);
    assert_int_equal(got.partner_roles.n, 0);
    assert_int_equal(got.updated_at, 60);
    OK(tx, gh_store_org_by_tenant(tx, "acme2", e->a, &got));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_org_by_tenant(tx, "acme", e->a, &got));
    commit(tx);

    tx = wtx(e);
    OK(tx, gh_store_org_delete(tx, "org_2"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_org_delete(tx, "org_2"));
    commit(tx);
}

static void test_org_tenant_unique_and_list(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    put_org(tx, "org_b", "tenant-b", 20);
    put_org(tx, "org_a", NULL, 20); /* many orgs have no tenant */
    put_org(tx, "org_c", NULL, 10);
    commit(tx);

    tx = wtx(e);
    struct gh_org dup = {.id = "org_d", .name = "D", .tenant = "tenant-b", .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_org_insert(tx, &dup));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_org dup_id = {.id = "org_a", .name = "A again", .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_org_insert(tx, &dup_id));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_org steal = {.id = "org_c", .name = "C", .tenant = "tenant-b", .created_at = 10};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_org_update(tx, &steal));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_org *list;
    size_t n;
    OK(tx, gh_store_org_list(tx, &page_all, e->a, &list, &n));
    assert_int_equal(n, 3);
    assert_string_equal(list[0].id, "org_c");
    assert_string_equal(list[1].id, "org_a");
    assert_string_equal(list[2].id, "org_b");
    assert_string_equal(list[2].tenant, "tenant-b");
    struct gh_page p = {.offset = 0, .limit = 1};
    OK(tx, gh_store_org_list(tx, &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "org_c");
    commit(tx);
}

static void test_memberships(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    put_user(tx, "usr_1", "one@x.org", 1);
    put_user(tx, "usr_2", "two@x.org", 2);
    put_user(tx, "usr_3", "three@x.org", 3);
    put_org(tx, "org_a", NULL, 1);
    put_org(tx, "org_b", NULL, 2);
    put_org(tx, "org_c", NULL, 3);
    struct gh_membership ms[] = {
        {.org_id = "org_a", .user_id = "usr_2", .role = GH_ORG_ADMIN, .created_at = 10},
        {.org_id = "org_a", .user_id = "usr_1", .role = GH_ORG_DEVELOPER, .created_at = 10},
        {.org_id = "org_a", .user_id = "usr_3", .role = GH_ORG_ADMIN, .created_at = 5},
        {.org_id = "org_b", .user_id = "usr_1", .role = GH_ORG_ADMIN, .created_at = 7},
    };
    for (size_t i = 0; i < 4; i++)
        OK(tx, gh_store_membership_put(tx, &ms[i]));
    commit(tx);

    tx = rtx(e);
    struct gh_membership got;
    OK(tx, gh_store_membership_get(tx, "org_a", "usr_1", e->a, &got));
    assert_string_equal(got.org_id, "org_a");
    assert_string_equal(got.user_id, "usr_1");
    assert_int_equal(got.role, GH_ORG_DEVELOPER);
    assert_int_equal(got.created_at, 10);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_membership_get(tx, "org_c", "usr_1", e->a, &got));

    struct gh_membership *list;
    size_t n;
    OK(tx, gh_store_membership_list_by_org(tx, "org_a", NULL, e->a, &list, &n));
    assert_int_equal(n, 3); /* created_at, then user_id */
    assert_string_equal(list[0].user_id, "usr_3");
    assert_string_equal(list[1].user_id, "usr_1");
    assert_string_equal(list[2].user_id, "usr_2");
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_membership_list_by_org(tx, "org_a", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].user_id, "usr_1");
    OK(tx, gh_store_membership_list_by_user(tx, "usr_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].org_id, "org_b");
    assert_int_equal(list[0].role, GH_ORG_ADMIN);
    assert_string_equal(list[1].org_id, "org_a");
    OK(tx, gh_store_membership_list_by_org(tx, "org_c", NULL, e->a, &list, &n));
    assert_int_equal(n, 0);

    int64_t admins = -1;
    OK(tx, gh_store_membership_count_admins(tx, "org_a", &admins));
    assert_int_equal(admins, 2);
    OK(tx, gh_store_membership_count_admins(tx, "org_unknown", &admins));
    assert_int_equal(admins, 0);

    struct gh_org *orgs;
    OK(tx, gh_store_org_list_by_user(tx, "usr_1", NULL, e->a, &orgs, &n));
    assert_int_equal(n, 2); /* created_at of the org, then id */
    assert_string_equal(orgs[0].id, "org_a");
    assert_string_equal(orgs[1].id, "org_b");
    p = (struct gh_page){.offset = 1, .limit = 5};
    OK(tx, gh_store_org_list_by_user(tx, "usr_1", &p, e->a, &orgs, &n));
    assert_int_equal(n, 1);
    assert_string_equal(orgs[0].id, "org_b");
    OK(tx, gh_store_org_list_by_user(tx, "usr_nobody", NULL, e->a, &orgs, &n));
    assert_int_equal(n, 0);
    commit(tx);

    /* put again: the role changes, created_at stays. */
    tx = wtx(e);
    struct gh_membership promote = {
        .org_id = "org_a", .user_id = "usr_1", .role = GH_ORG_ADMIN, .created_at = 99};
    OK(tx, gh_store_membership_put(tx, &promote));
    struct gh_membership orphan = {
        .org_id = "org_missing", .user_id = "usr_1", .role = GH_ORG_ADMIN, .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_membership_put(tx, &orphan));
    gh_store_rollback(tx);
    tx = wtx(e);
    OK(tx, gh_store_membership_put(tx, &promote));
    commit(tx);

    tx = wtx(e);
    OK(tx, gh_store_membership_get(tx, "org_a", "usr_1", e->a, &got));
    assert_int_equal(got.role, GH_ORG_ADMIN);
    assert_int_equal(got.created_at, 10);
    OK(tx, gh_store_membership_count_admins(tx, "org_a", &admins));
    assert_int_equal(admins, 3);

    OK(tx, gh_store_membership_delete(tx, "org_a", "usr_2"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_membership_delete(tx, "org_a", "usr_2"));
    OK(tx, gh_store_membership_count_admins(tx, "org_a", &admins));
    assert_int_equal(admins, 2);
    commit(tx);
}

/* Deleting an org takes its memberships, APIs (with plans and the
 * subscriptions to them), apps (with everything of theirs) and the access
 * statuses it set as a provider. */
static void test_org_delete_cascades(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    struct gh_membership m = {
        .org_id = "org_prov", .user_id = "usr_1", .role = GH_ORG_ADMIN, .created_at = 1};
    OK(tx, gh_store_membership_put(tx, &m));
    put_org(tx, "org_part2", NULL, 200);
    put_app(tx, "app_2", "org_part2", "client-2", 200);
    /* Both partner apps use a plan of the provider's API. */
    put_sub(tx, "sub_1", "app_1", "api_1", "pln_1", GH_SUB_ACTIVE, 1);
    put_sub(tx, "sub_2", "app_2", "api_1", "pln_1", GH_SUB_ACTIVE, 1);
    struct gh_access_status_rec red = {
        .app_id = "app_2", .provider_org_id = "org_prov", .status = GH_ACCESS_RED, .set_at = 5};
    OK(tx, gh_store_access_status_put(tx, &red));
    commit(tx);

    tx = wtx(e);
    OK(tx, gh_store_org_delete(tx, "org_prov"));
    commit(tx);

    tx = rtx(e);
    struct gh_membership gm;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_membership_get(tx, "org_prov", "usr_1", e->a, &gm));
    struct gh_api ga;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_get(tx, "api_1", e->a, &ga));
    struct gh_plan gp;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_plan_get(tx, "pln_1", e->a, &gp));
    struct gh_subscription gs;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_subscription_get(tx, "sub_1", e->a, &gs));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_subscription_get(tx, "sub_2", e->a, &gs));
    struct gh_access_status_rec gr;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_access_status_get(tx, "app_2", "org_prov", e->a, &gr));
    /* The partners' apps are theirs and stay. */
    struct gh_app gapp;
    OK(tx, gh_store_app_get(tx, "app_1", e->a, &gapp));
    OK(tx, gh_store_app_get(tx, "app_2", e->a, &gapp));
    struct gh_user gu;
    OK(tx, gh_store_user_get(tx, "usr_1", e->a, &gu));
    commit(tx);

    /* A partner org takes its apps along. */
    tx = wtx(e);
    put_key(tx, "key_1", "app_2", "kh-1", 1);
    commit(tx);
    tx = wtx(e);
    OK(tx, gh_store_org_delete(tx, "org_part2"));
    commit(tx);
    tx = rtx(e);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_get(tx, "app_2", e->a, &gapp));
    struct gh_api_key gk;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_key_get(tx, "key_1", e->a, &gk));
    commit(tx);
}

/* ---- APIs and plans ------------------------------------------------------- */

static void test_api_crud(void **state)
{
    struct env *e = *state;
    seed(e);
    char *prefixes[] = {"/ola/", "/ola-v2"};
    char *roles[] = {"b2b", "internal"};
    struct gh_api api = {.id = "api_ola",
                         .org_id = "org_prov",
                         .name = "OLA",
                         .description = "Orders",
                         .service = "ola",
                         .audience = "connectapi",
                         .path_prefixes = strlist(prefixes, 2),
                         .auth_method = GH_AUTH_ACCESS_TOKEN,
                         .access_token_hash_method = GH_HASH_SHA512,
                         .subscription_required = false,
                         .required_roles = strlist(roles, 2),
                         .customer_number_in = GH_CN_PATH,
                         .customer_number_name = "customerId",
                         .customer_number_template = "/ola/customers/{customerId}/orders",
                         .created_at = 200,
                         .updated_at = 201};
    struct gh_tx *tx = wtx(e);
    OK(tx, gh_store_api_insert(tx, &api));
    struct gh_api orphan = {.id = "api_x", .org_id = "org_missing", .name = "X", .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_api_insert(tx, &orphan));
    gh_store_rollback(tx);
    tx = wtx(e);
    OK(tx, gh_store_api_insert(tx, &api));
    commit(tx);

    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_api_insert(tx, &api));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_api got;
    OK(tx, gh_store_api_get(tx, "api_ola", e->a, &got));
    assert_string_equal(got.org_id, "org_prov");
    assert_string_equal(got.name, "OLA");
    assert_string_equal(got.description, "Orders");
    assert_string_equal(got.service, "ola");
    assert_string_equal(got.audience, "connectapi");
    assert_strlist(&got.path_prefixes, prefixes, 2);
    assert_int_equal(got.auth_method, GH_AUTH_ACCESS_TOKEN);
    assert_int_equal(got.access_token_hash_method, GH_HASH_SHA512);
    assert_false(got.subscription_required);
    assert_strlist(&got.required_roles, roles, 2);
    assert_int_equal(got.customer_number_in, GH_CN_PATH);
    assert_string_equal(got.customer_number_name, "customerId");
    assert_string_equal(got.customer_number_template, "/ola/customers/{customerId}/orders");
    assert_int_equal(got.created_at, 200);
    assert_int_equal(got.updated_at, 201);

    OK(tx, gh_store_api_get(tx, "api_1", e->a, &got)); /* seeded with defaults */
    assert_int_equal(got.auth_method, GH_AUTH_MANUAL_HANDOVER);
    assert_int_equal(got.customer_number_in, GH_CN_NONE);
    assert_true(got.subscription_required);
    assert_unset(got.audience);
    assert_int_equal(got.path_prefixes.n, 0);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_get(tx, "api_missing", e->a, &got));

    struct gh_api *list;
    size_t n;
    OK(tx, gh_store_api_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "api_1");
    assert_string_equal(list[1].id, "api_ola");
    OK(tx, gh_store_api_list_by_org(tx, "org_prov", NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_api_list_by_org(tx, "org_prov", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "api_ola");
    OK(tx, gh_store_api_list_by_org(tx, "org_part", NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    commit(tx);

    tx = wtx(e);
    api.auth_method = GH_AUTH_MTLS;
    api.path_prefixes = strlist(prefixes, 1);
    api.audience = NULL;
    api.created_at = 1; /* kept */
    OK(tx, gh_store_api_update(tx, &api));
    struct gh_api ghost = {.id = "api_ghost", .org_id = "org_prov", .name = "G"};
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_update(tx, &ghost));
    commit(tx);
    tx = rtx(e);
    OK(tx, gh_store_api_get(tx, "api_ola", e->a, &got));
    assert_int_equal(got.auth_method, GH_AUTH_MTLS);
    assert_strlist(&got.path_prefixes, prefixes, 1);
    assert_unset(got.audience);
    assert_int_equal(got.created_at, 200);
    commit(tx);
}

static void test_api_delete_cascades(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    put_plan(tx, "pln_2", "api_1", 101);
    put_sub(tx, "sub_1", "app_1", "api_1", "pln_1", GH_SUB_ACTIVE, 1);
    struct gh_subscription_event ev = {
        .id = "sev_1", .subscription_id = "sub_1", .to_status = GH_SUB_ACTIVE, .at = 1};
    OK(tx, gh_store_subscription_event_insert(tx, &ev));
    commit(tx);

    tx = wtx(e);
    OK(tx, gh_store_api_delete(tx, "api_1"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_delete(tx, "api_1"));
    commit(tx);

    tx = rtx(e);
    struct gh_plan *plans;
    size_t n;
    OK(tx, gh_store_plan_list(tx, NULL, e->a, &plans, &n));
    assert_int_equal(n, 0);
    struct gh_subscription gs;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_subscription_get(tx, "sub_1", e->a, &gs));
    struct gh_subscription_event *evs;
    OK(tx, gh_store_subscription_event_list(tx, "sub_1", NULL, e->a, &evs, &n));
    assert_int_equal(n, 0);
    struct gh_app ga;
    OK(tx, gh_store_app_get(tx, "app_1", e->a, &ga));
    commit(tx);
}

static void test_plan_crud(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_plan gold = {.id = "pln_gold",
                           .api_id = "api_1",
                           .name = "Gold",
                           .description = "Lots",
                           .rate_limit_requests = 100,
                           .rate_limit_window_secs = 60,
                           .quota_requests = 100000,
                           .quota_period = GH_QUOTA_MONTH,
                           .approval = GH_APPROVAL_AUTO,
                           .created_at = 50,
                           .updated_at = 51};
    struct gh_tx *tx = wtx(e);
    OK(tx, gh_store_plan_insert(tx, &gold));
    put_api(tx, "api_2", "org_prov", 300);
    put_plan(tx, "pln_other", "api_2", 10);
    commit(tx);

    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_plan_insert(tx, &gold));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_plan orphan = {.id = "pln_x", .api_id = "api_missing", .name = "X"};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_plan_insert(tx, &orphan));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_plan got;
    OK(tx, gh_store_plan_get(tx, "pln_gold", e->a, &got));
    assert_string_equal(got.api_id, "api_1");
    assert_string_equal(got.name, "Gold");
    assert_string_equal(got.description, "Lots");
    assert_int_equal(got.rate_limit_requests, 100);
    assert_int_equal(got.rate_limit_window_secs, 60);
    assert_int_equal(got.quota_requests, 100000);
    assert_int_equal(got.quota_period, GH_QUOTA_MONTH);
    assert_int_equal(got.approval, GH_APPROVAL_AUTO);
    assert_int_equal(got.created_at, 50);
    assert_int_equal(got.updated_at, 51);
    OK(tx, gh_store_plan_get(tx, "pln_1", e->a, &got));
    assert_int_equal(got.quota_period, GH_QUOTA_NONE);
    assert_int_equal(got.approval, GH_APPROVAL_PROVIDER);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_plan_get(tx, "pln_missing", e->a, &got));

    struct gh_plan *list;
    size_t n;
    OK(tx, gh_store_plan_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 3);
    assert_string_equal(list[0].id, "pln_other");
    assert_string_equal(list[1].id, "pln_gold");
    assert_string_equal(list[2].id, "pln_1");
    OK(tx, gh_store_plan_list_by_api(tx, "api_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "pln_gold");
    assert_string_equal(list[1].id, "pln_1");
    struct gh_page p = {.offset = 0, .limit = 1};
    OK(tx, gh_store_plan_list_by_api(tx, "api_1", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "pln_gold");
    commit(tx);

    tx = wtx(e);
    gold.rate_limit_requests = 5;
    gold.approval = GH_APPROVAL_PROVIDER;
    OK(tx, gh_store_plan_update(tx, &gold));
    struct gh_plan ghost = {.id = "pln_ghost", .api_id = "api_1", .name = "G"};
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_plan_update(tx, &ghost));
    commit(tx);
    tx = rtx(e);
    OK(tx, gh_store_plan_get(tx, "pln_gold", e->a, &got));
    assert_int_equal(got.rate_limit_requests, 5);
    assert_int_equal(got.approval, GH_APPROVAL_PROVIDER);
    commit(tx);

    /* A plan in use cannot go; once unused it can. */
    tx = wtx(e);
    put_sub(tx, "sub_1", "app_1", "api_1", "pln_gold", GH_SUB_ACTIVE, 1);
    commit(tx);
    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_plan_delete(tx, "pln_gold"));
    gh_store_rollback(tx);
    tx = wtx(e);
    OK(tx, gh_store_subscription_delete(tx, "sub_1"));
    OK(tx, gh_store_plan_delete(tx, "pln_gold"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_plan_delete(tx, "pln_gold"));
    commit(tx);
}

/* ---- apps and app members ------------------------------------------------- */

static void test_app_crud(void **state)
{
    struct env *e = *state;
    seed(e);
    char *redirects[] = {"https://shop.test/cb", "http://localhost:8080/cb"};
    char *logouts[] = {"https://shop.test/bye"};
    char *grants[] = {"client_credentials", "authorization_code", "refresh_token"};
    char *scopes[] = {"orders:read"};
    struct gh_app app = {.id = "app_shop",
                         .org_id = "org_part",
                         .name = "Shop",
                         .description = "The shop",
                         .client_id = "shop-client",
                         .client_secret_hash = "aa11",
                         .previous_secret_hash = "bb22",
                         .previous_secret_expires_at = 1800000000,
                         .confidential = false,
                         .disabled = true,
                         .token_type = GH_TOKEN_UUID,
                         .token_name = "shop-token",
                         .redirect_uris = strlist(redirects, 2),
                         .logout_uris = strlist(logouts, 1),
                         .grant_types = strlist(grants, 3),
                         .scopes = strlist(scopes, 1),
                         .access_token_validity_secs = 3600,
                         .refresh_token_validity_secs = 86400,
                         .id_token_validity_mins = 15,
                         .created_at = 300,
                         .updated_at = 301};
    struct gh_tx *tx = wtx(e);
    OK(tx, gh_store_app_insert(tx, &app));
    commit(tx);

    tx = wtx(e);
    struct gh_app dup_client = {.id = "app_other",
                                .org_id = "org_part",
                                .name = "O",
                                .client_id = "shop-client",
                                .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_app_insert(tx, &dup_client));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_app orphan = {.id = "app_orphan",
                            .org_id = "org_missing",
                            .name = "O",
                            .client_id = "orphan",
                            .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_app_insert(tx, &orphan));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_app got;
    OK(tx, gh_store_app_get(tx, "app_shop", e->a, &got));
    assert_string_equal(got.org_id, "org_part");
    assert_string_equal(got.name, "Shop");
    assert_string_equal(got.description, "The shop");
    assert_string_equal(got.client_id, "shop-client");
    assert_string_equal(got.client_secret_hash, "aa11");
    assert_string_equal(got.previous_secret_hash, "bb22");
    assert_int_equal(got.previous_secret_expires_at, 1800000000);
    assert_false(got.confidential);
    assert_true(got.disabled);
    assert_int_equal(got.token_type, GH_TOKEN_UUID);
    assert_string_equal(got.token_name, "shop-token");
    assert_strlist(&got.redirect_uris, redirects, 2);
    assert_strlist(&got.logout_uris, logouts, 1);
    assert_strlist(&got.grant_types, grants, 3);
    assert_strlist(&got.scopes, scopes, 1);
    assert_int_equal(got.access_token_validity_secs, 3600);
    assert_int_equal(got.refresh_token_validity_secs, 86400);
    assert_int_equal(got.id_token_validity_mins, 15);
    assert_int_equal(got.created_at, 300);
    assert_int_equal(got.updated_at, 301);

    OK(tx, gh_store_app_by_client_id(tx, "shop-client", e->a, &got));
    assert_string_equal(got.id, "app_shop");
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_by_client_id(tx, "SHOP-CLIENT", e->a, &got));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_get(tx, "app_missing", e->a, &got));

    struct gh_app *list;
    size_t n;
    OK(tx, gh_store_app_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "app_1");
    assert_string_equal(list[1].id, "app_shop");
    assert_strlist(&list[1].grant_types, grants, 3);
    OK(tx, gh_store_app_list_by_org(tx, "org_part", NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_app_list_by_org(tx, "org_part", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "app_shop");
    OK(tx, gh_store_app_list_by_org(tx, "org_prov", NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    commit(tx);

    /* Update: secret rotation, new client_id, lists emptied; created_at kept. */
    tx = wtx(e);
    app.client_id = "shop-client-2";
    app.client_secret_hash = "cc33";
    app.previous_secret_hash = NULL;
    app.redirect_uris = strlist(NULL, 0);
    app.disabled = false;
    app.created_at = 1;
    OK(tx, gh_store_app_update(tx, &app));
    struct gh_app steal = app;
    steal.id = "app_1";
    steal.client_id = "shop-client-2";
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_app_update(tx, &steal));
    gh_store_rollback(tx);
    tx = wtx(e);
    OK(tx, gh_store_app_update(tx, &app));
    struct gh_app ghost = {
        .id = "app_ghost", .org_id = "org_part", .name = "G", .client_id = "ghost"};
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_update(tx, &ghost));
    commit(tx);
    tx = rtx(e);
    OK(tx, gh_store_app_by_client_id(tx, "shop-client-2", e->a, &got));
    assert_string_equal(got.client_secret_hash, "cc33");
    assert_unset(got.previous_secret_hash);
    assert_int_equal(got.redirect_uris.n, 0);
    assert_false(got.disabled);
    assert_int_equal(got.created_at, 300);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_by_client_id(tx, "shop-client", e->a, &got));
    commit(tx);
}

/* Deleting an app takes its members, keys, certificates, subscriptions
 * (with their history), access statuses and opaque tokens. */
static void test_app_delete_cascades(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    struct gh_app_member am = {
        .app_id = "app_1", .user_id = "usr_1", .role = GH_APP_OWNER, .created_at = 1};
    OK(tx, gh_store_app_member_put(tx, &am));
    put_key(tx, "key_1", "app_1", "kh-1", 1);
    put_cert(tx, "crt_1", "app_1", "ab01", 1);
    put_sub(tx, "sub_1", "app_1", "api_1", "pln_1", GH_SUB_ACTIVE, 1);
    struct gh_subscription_event ev = {
        .id = "sev_1", .subscription_id = "sub_1", .to_status = GH_SUB_ACTIVE, .at = 1};
    OK(tx, gh_store_subscription_event_insert(tx, &ev));
    struct gh_access_status_rec red = {
        .app_id = "app_1", .provider_org_id = "org_prov", .status = GH_ACCESS_RED, .set_at = 5};
    OK(tx, gh_store_access_status_put(tx, &red));
    struct gh_opaque_token ot = {.token_hash = "oh1",
                                 .app_id = "app_1",
                                 .client_id = "client-1",
                                 .claims_json = "{}",
                                 .issued_at = 1,
                                 .expires_at = 100};
    OK(tx, gh_store_opaque_token_insert(tx, &ot));
    commit(tx);

    tx = wtx(e);
    OK(tx, gh_store_app_delete(tx, "app_1"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_delete(tx, "app_1"));
    commit(tx);

    tx = rtx(e);
    struct gh_app_member gam;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_member_get(tx, "app_1", "usr_1", e->a, &gam));
    struct gh_api_key gk;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_key_by_hash(tx, "kh-1", e->a, &gk));
    struct gh_certificate gc;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_certificate_by_thumbprint(tx, "ab01", e->a, &gc));
    struct gh_subscription gs;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_subscription_get(tx, "sub_1", e->a, &gs));
    struct gh_subscription_event *evs;
    size_t n;
    OK(tx, gh_store_subscription_event_list(tx, "sub_1", NULL, e->a, &evs, &n));
    assert_int_equal(n, 0);
    struct gh_access_status_rec gr;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_access_status_get(tx, "app_1", "org_prov", e->a, &gr));
    struct gh_opaque_token got;
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_opaque_token_get(tx, "oh1", e->a, &got));
    /* The user, the API and its plan stay. */
    struct gh_user gu;
    OK(tx, gh_store_user_get(tx, "usr_1", e->a, &gu));
    struct gh_plan gp;
    OK(tx, gh_store_plan_get(tx, "pln_1", e->a, &gp));
    commit(tx);
}

static void test_app_members(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    put_user(tx, "usr_3", "three@example.com", 102);
    put_app(tx, "app_2", "org_part", "client-2", 200);
    struct gh_app_member ms[] = {
        {.app_id = "app_1", .user_id = "usr_2", .role = GH_APP_OWNER, .created_at = 5},
        {.app_id = "app_1", .user_id = "usr_1", .role = GH_APP_DEVELOPER, .created_at = 5},
        {.app_id = "app_1", .user_id = "usr_3", .role = GH_APP_READ_ONLY, .created_at = 1},
        {.app_id = "app_2", .user_id = "usr_1", .role = GH_APP_OWNER, .created_at = 2},
    };
    for (size_t i = 0; i < 4; i++)
        OK(tx, gh_store_app_member_put(tx, &ms[i]));
    commit(tx);

    tx = wtx(e);
    struct gh_app_member ghost_user = {
        .app_id = "app_1", .user_id = "usr_missing", .role = GH_APP_OWNER, .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_app_member_put(tx, &ghost_user));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_app_member ghost_app = {
        .app_id = "app_missing", .user_id = "usr_1", .role = GH_APP_OWNER, .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_app_member_put(tx, &ghost_app));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_app_member got;
    OK(tx, gh_store_app_member_get(tx, "app_1", "usr_3", e->a, &got));
    assert_string_equal(got.app_id, "app_1");
    assert_string_equal(got.user_id, "usr_3");
    assert_int_equal(got.role, GH_APP_READ_ONLY);
    assert_int_equal(got.created_at, 1);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_member_get(tx, "app_2", "usr_2", e->a, &got));

    struct gh_app_member *list;
    size_t n;
    OK(tx, gh_store_app_member_list_by_app(tx, "app_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 3); /* created_at, then user_id */
    assert_string_equal(list[0].user_id, "usr_3");
    assert_string_equal(list[1].user_id, "usr_1");
    assert_string_equal(list[2].user_id, "usr_2");
    struct gh_page p = {.offset = 2, .limit = 5};
    OK(tx, gh_store_app_member_list_by_app(tx, "app_1", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].user_id, "usr_2");
    OK(tx, gh_store_app_member_list_by_user(tx, "usr_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 2); /* created_at, then app_id */
    assert_string_equal(list[0].app_id, "app_2");
    assert_int_equal(list[0].role, GH_APP_OWNER);
    assert_string_equal(list[1].app_id, "app_1");

    int64_t owners = -1;
    OK(tx, gh_store_app_member_count_owners(tx, "app_1", &owners));
    assert_int_equal(owners, 1);
    OK(tx, gh_store_app_member_count_owners(tx, "app_missing", &owners));
    assert_int_equal(owners, 0);
    commit(tx);

    tx = wtx(e);
    struct gh_app_member promote = {
        .app_id = "app_1", .user_id = "usr_1", .role = GH_APP_OWNER, .created_at = 77};
    OK(tx, gh_store_app_member_put(tx, &promote));
    OK(tx, gh_store_app_member_get(tx, "app_1", "usr_1", e->a, &got));
    assert_int_equal(got.role, GH_APP_OWNER);
    assert_int_equal(got.created_at, 5);
    OK(tx, gh_store_app_member_count_owners(tx, "app_1", &owners));
    assert_int_equal(owners, 2);
    OK(tx, gh_store_app_member_delete(tx, "app_1", "usr_2"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_app_member_delete(tx, "app_1", "usr_2"));
    OK(tx, gh_store_app_member_count_owners(tx, "app_1", &owners));
    assert_int_equal(owners, 1);
    commit(tx);
}

/* ---- API keys and certificates -------------------------------------------- */

static void test_api_keys(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    put_app(tx, "app_2", "org_part", "client-2", 200);
    struct gh_api_key k = {.id = "key_ci",
                           .app_id = "app_1",
                           .name = "ci",
                           .key_hash = "9f86d081884c7d65",
                           .key_hint = "gh_9f",
                           .created_at = 20,
                           .expires_at = 2000000000,
                           .last_used_at = 0};
    OK(tx, gh_store_api_key_insert(tx, &k));
    put_key(tx, "key_b", "app_1", "hash-b", 10);
    put_key(tx, "key_a", "app_1", "hash-a", 20);
    put_key(tx, "key_z", "app_2", "hash-z", 5);
    commit(tx);

    tx = wtx(e);
    struct gh_api_key dup_hash = {
        .id = "key_new", .app_id = "app_2", .key_hash = "hash-b", .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_api_key_insert(tx, &dup_hash));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_api_key orphan = {
        .id = "key_o", .app_id = "app_missing", .key_hash = "hash-o", .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_api_key_insert(tx, &orphan));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_api_key got;
    OK(tx, gh_store_api_key_get(tx, "key_ci", e->a, &got));
    assert_string_equal(got.app_id, "app_1");
    assert_string_equal(got.name, "ci");
    assert_string_equal(got.key_hash, "9f86d081884c7d65");
    assert_string_equal(got.key_hint, "gh_9f");
    assert_int_equal(got.created_at, 20);
    assert_int_equal(got.expires_at, 2000000000);
    assert_int_equal(got.last_used_at, 0);
    OK(tx, gh_store_api_key_by_hash(tx, "hash-a", e->a, &got));
    assert_string_equal(got.id, "key_a");
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_key_by_hash(tx, "hash-none", e->a, &got));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_key_get(tx, "key_none", e->a, &got));

    struct gh_api_key *list;
    size_t n;
    OK(tx, gh_store_api_key_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 4);
    assert_string_equal(list[0].id, "key_z");
    assert_string_equal(list[1].id, "key_b");
    assert_string_equal(list[2].id, "key_a");
    assert_string_equal(list[3].id, "key_ci");
    OK(tx, gh_store_api_key_list_by_app(tx, "app_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 3);
    assert_string_equal(list[0].id, "key_b");
    assert_string_equal(list[2].id, "key_ci");
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_api_key_list_by_app(tx, "app_1", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "key_a");
    commit(tx);

    /* Usage statistics do not rebuild the snapshot. */
    uint64_t gen = gh_store_generation(e->store);
    tx = wtx(e);
    OK(tx, gh_store_api_key_touch_last_used(tx, "key_ci", 1700000123));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_key_touch_last_used(tx, "key_none", 1));
    commit(tx);
    assert_int_equal(gh_store_generation(e->store), gen);

    tx = wtx(e);
    OK(tx, gh_store_api_key_get(tx, "key_ci", e->a, &got));
    assert_int_equal(got.last_used_at, 1700000123);
    k.name = "renamed";
    k.expires_at = 0;
    k.last_used_at = 1700000123;
    OK(tx, gh_store_api_key_update(tx, &k));
    struct gh_api_key ghost = {.id = "key_ghost", .app_id = "app_1", .key_hash = "g"};
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_key_update(tx, &ghost));
    OK(tx, gh_store_api_key_get(tx, "key_ci", e->a, &got));
    assert_string_equal(got.name, "renamed");
    assert_int_equal(got.expires_at, 0);
    OK(tx, gh_store_api_key_delete(tx, "key_ci"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_key_delete(tx, "key_ci"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_key_by_hash(tx, "9f86d081884c7d65", e->a, &got));
    commit(tx);
}

static void test_certificates(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    struct gh_certificate c = {.id = "crt_1",
                               .app_id = "app_1",
                               .subject = "CN=shop",
                               .issuer = "CN=Test CA",
                               .not_before = 1600000000,
                               .not_after = 1900000000,
                               .thumbprint_sha256 = "ab12cd34",
                               .pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END "
                                      "CERTIFICATE-----\n",
                               .created_at = 30};
    OK(tx, gh_store_certificate_insert(tx, &c));
    put_cert(tx, "crt_0", "app_1", "ef56", 30);
    commit(tx);

    tx = wtx(e);
    struct gh_certificate dup = {.id = "crt_2",
                                 .app_id = "app_1",
                                 .thumbprint_sha256 = "ab12cd34",
                                 .pem = "P",
                                 .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_certificate_insert(tx, &dup));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_certificate orphan = {.id = "crt_3",
                                    .app_id = "app_none",
                                    .thumbprint_sha256 = "99",
                                    .pem = "P",
                                    .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_certificate_insert(tx, &orphan));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_certificate got;
    OK(tx, gh_store_certificate_get(tx, "crt_1", e->a, &got));
    assert_string_equal(got.app_id, "app_1");
    assert_string_equal(got.subject, "CN=shop");
    assert_string_equal(got.issuer, "CN=Test CA");
    assert_int_equal(got.not_before, 1600000000);
    assert_int_equal(got.not_after, 1900000000);
    assert_string_equal(got.thumbprint_sha256, "ab12cd34");
    assert_string_equal(got.pem, c.pem);
    assert_int_equal(got.created_at, 30);
    OK(tx, gh_store_certificate_by_thumbprint(tx, "ef56", e->a, &got));
    assert_string_equal(got.id, "crt_0");
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_certificate_by_thumbprint(tx, "00", e->a, &got));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_certificate_get(tx, "crt_none", e->a, &got));

    struct gh_certificate *list;
    size_t n;
    OK(tx, gh_store_certificate_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "crt_0"); /* same created_at: by id */
    assert_string_equal(list[1].id, "crt_1");
    OK(tx, gh_store_certificate_list_by_app(tx, "app_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_certificate_list_by_app(tx, "app_1", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "crt_1");
    OK(tx, gh_store_certificate_list_by_app(tx, "app_none", NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    commit(tx);

    tx = wtx(e);
    c.subject = "CN=shop2";
    c.not_after = 1950000000;
    OK(tx, gh_store_certificate_update(tx, &c));
    struct gh_certificate ghost = {
        .id = "crt_ghost", .app_id = "app_1", .thumbprint_sha256 = "gg", .pem = "P"};
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_certificate_update(tx, &ghost));
    OK(tx, gh_store_certificate_get(tx, "crt_1", e->a, &got));
    assert_string_equal(got.subject, "CN=shop2");
    assert_int_equal(got.not_after, 1950000000);
    OK(tx, gh_store_certificate_delete(tx, "crt_1"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_certificate_delete(tx, "crt_1"));
    commit(tx);
}

/* ---- subscriptions, history, access statuses ------------------------------ */

static void test_subscriptions(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    put_api(tx, "api_2", "org_prov", 101);
    put_api(tx, "api_3", "org_prov", 102);
    put_app(tx, "app_2", "org_part", "client-2", 200);
    struct gh_subscription s = {.id = "sub_1",
                                .app_id = "app_1",
                                .api_id = "api_1",
                                .plan_id = "pln_1",
                                .status = GH_SUB_ACTIVATION_REQUESTED,
                                .access_token_hash = "deadbeef",
                                .access_token_hash_method = GH_HASH_SHA512,
                                .created_at = 40,
                                .updated_at = 41};
    OK(tx, gh_store_subscription_insert(tx, &s));
    put_sub(tx, "sub_2", "app_1", "api_2", NULL, GH_SUB_ACTIVE, 30);
    put_sub(tx, "sub_3", "app_2", "api_1", NULL, GH_SUB_ACTIVE, 30);
    put_sub(tx, "sub_4", "app_1", "api_3", NULL, GH_SUB_INACTIVE, 50);
    commit(tx);

    /* One subscription per (app, API); parents must exist. */
    tx = wtx(e);
    struct gh_subscription again = {.id = "sub_9",
                                    .app_id = "app_1",
                                    .api_id = "api_1",
                                    .status = GH_SUB_ACTIVE,
                                    .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_subscription_insert(tx, &again));
    gh_store_rollback(tx);
    const char *parents[][3] = {
        {"app_none", "api_1", NULL}, {"app_2", "api_none", NULL}, {"app_2", "api_2", "pln_none"}};
    for (size_t i = 0; i < 3; i++) {
        tx = wtx(e);
        struct gh_subscription bad = {.id = "sub_bad",
                                      .app_id = (char *)parents[i][0],
                                      .api_id = (char *)parents[i][1],
                                      .plan_id = (char *)parents[i][2],
                                      .status = GH_SUB_ACTIVE,
                                      .created_at = 1};
        EXPECT(tx, GH_STORE_CONFLICT, gh_store_subscription_insert(tx, &bad));
        gh_store_rollback(tx);
    }

    tx = rtx(e);
    struct gh_subscription got;
    OK(tx, gh_store_subscription_get(tx, "sub_1", e->a, &got));
    assert_string_equal(got.app_id, "app_1");
    assert_string_equal(got.api_id, "api_1");
    assert_string_equal(got.plan_id, "pln_1");
    assert_int_equal(got.status, GH_SUB_ACTIVATION_REQUESTED);
    assert_string_equal(got.access_token_hash, "deadbeef");
    assert_int_equal(got.access_token_hash_method, GH_HASH_SHA512);
    assert_int_equal(got.created_at, 40);
    assert_int_equal(got.updated_at, 41);
    OK(tx, gh_store_subscription_get(tx, "sub_2", e->a, &got));
    assert_unset(got.plan_id);
    assert_unset(got.access_token_hash);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_subscription_get(tx, "sub_none", e->a, &got));

    OK(tx, gh_store_subscription_by_app_api(tx, "app_2", "api_1", e->a, &got));
    assert_string_equal(got.id, "sub_3");
    EXPECT(tx, GH_STORE_NOT_FOUND,
           gh_store_subscription_by_app_api(tx, "app_2", "api_2", e->a, &got));

    struct gh_subscription *list;
    size_t n;
    OK(tx, gh_store_subscription_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 4);
    assert_string_equal(list[0].id, "sub_2");
    assert_string_equal(list[1].id, "sub_3");
    assert_string_equal(list[2].id, "sub_1");
    assert_string_equal(list[3].id, "sub_4");
    OK(tx, gh_store_subscription_list_by_app(tx, "app_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 3);
    assert_string_equal(list[0].id, "sub_2");
    assert_string_equal(list[1].id, "sub_1");
    assert_string_equal(list[2].id, "sub_4");
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_subscription_list_by_app(tx, "app_1", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "sub_1");

    OK(tx, gh_store_subscription_list_by_api(tx, "api_1", NULL, NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "sub_3");
    assert_string_equal(list[1].id, "sub_1");
    enum gh_sub_status want = GH_SUB_ACTIVATION_REQUESTED;
    OK(tx, gh_store_subscription_list_by_api(tx, "api_1", &want, NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "sub_1");
    want = GH_SUB_DEACTIVATION_REQUESTED;
    OK(tx, gh_store_subscription_list_by_api(tx, "api_1", &want, NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    p = (struct gh_page){.offset = 0, .limit = 1};
    OK(tx, gh_store_subscription_list_by_api(tx, "api_1", NULL, &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "sub_3");
    commit(tx);

    tx = wtx(e);
    s.status = GH_SUB_ACTIVE;
    s.plan_id = NULL;
    s.updated_at = 99;
    OK(tx, gh_store_subscription_update(tx, &s));
    struct gh_subscription ghost = {
        .id = "sub_ghost", .app_id = "app_1", .api_id = "api_1", .status = GH_SUB_ACTIVE};
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_subscription_update(tx, &ghost));
    OK(tx, gh_store_subscription_get(tx, "sub_1", e->a, &got));
    assert_int_equal(got.status, GH_SUB_ACTIVE);
    assert_unset(got.plan_id);
    assert_int_equal(got.updated_at, 99);
    assert_int_equal(got.created_at, 40);
    OK(tx, gh_store_subscription_delete(tx, "sub_4"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_subscription_delete(tx, "sub_4"));
    commit(tx);
}

static void test_subscription_events(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    put_sub(tx, "sub_1", "app_1", "api_1", "pln_1", GH_SUB_ACTIVE, 1);
    struct gh_subscription_event evs[] = {
        {.id = "sev_c",
         .subscription_id = "sub_1",
         .actor_id = "usr_2",
         .has_from = true,
         .from_status = GH_SUB_ACTIVATION_REQUESTED,
         .to_status = GH_SUB_ACTIVE,
         .reason = "approved",
         .at = 20},
        {.id = "sev_a",
         .subscription_id = "sub_1",
         .actor_id = "usr_1",
         .has_from = false,
         .to_status = GH_SUB_ACTIVATION_REQUESTED,
         .at = 10},
        {.id = "sev_b",
         .subscription_id = "sub_1",
         .has_from = true,
         .from_status = GH_SUB_ACTIVE,
         .to_status = GH_SUB_DEACTIVATION_REQUESTED,
         .at = 20},
    };
    for (size_t i = 0; i < 3; i++)
        OK(tx, gh_store_subscription_event_insert(tx, &evs[i]));
    commit(tx);

    tx = wtx(e);
    struct gh_subscription_event orphan = {
        .id = "sev_x", .subscription_id = "sub_none", .to_status = GH_SUB_ACTIVE, .at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_subscription_event_insert(tx, &orphan));
    gh_store_rollback(tx);
    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_subscription_event_insert(tx, &evs[0]));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_subscription_event *list;
    size_t n;
    OK(tx, gh_store_subscription_event_list(tx, "sub_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 3); /* at, then id */
    assert_string_equal(list[0].id, "sev_a");
    assert_false(list[0].has_from);
    assert_int_equal(list[0].to_status, GH_SUB_ACTIVATION_REQUESTED);
    assert_string_equal(list[0].actor_id, "usr_1");
    assert_unset(list[0].reason);
    assert_string_equal(list[1].id, "sev_b");
    assert_unset(list[1].actor_id);
    assert_true(list[1].has_from);
    assert_int_equal(list[1].from_status, GH_SUB_ACTIVE);
    assert_int_equal(list[1].to_status, GH_SUB_DEACTIVATION_REQUESTED);
    assert_string_equal(list[2].id, "sev_c");
    assert_string_equal(list[2].subscription_id, "sub_1");
    assert_true(list[2].has_from);
    assert_int_equal(list[2].from_status, GH_SUB_ACTIVATION_REQUESTED);
    assert_int_equal(list[2].to_status, GH_SUB_ACTIVE);
    assert_string_equal(list[2].reason, "approved");
    assert_int_equal(list[2].at, 20);
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_subscription_event_list(tx, "sub_1", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "sev_b");
    OK(tx, gh_store_subscription_event_list(tx, "sub_none", NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    commit(tx);

    /* The history goes with its subscription. */
    tx = wtx(e);
    OK(tx, gh_store_subscription_delete(tx, "sub_1"));
    OK(tx, gh_store_subscription_event_list(tx, "sub_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    commit(tx);
}

static void test_access_statuses(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    put_org(tx, "org_prov2", NULL, 102);
    put_app(tx, "app_0", "org_part", "client-0", 99);
    struct gh_access_status_rec red = {.app_id = "app_1",
                                       .provider_org_id = "org_prov2",
                                       .status = GH_ACCESS_RED,
                                       .reason = "unpaid invoices",
                                       .set_by = "usr_1",
                                       .set_at = 10};
    OK(tx, gh_store_access_status_put(tx, &red));
    struct gh_access_status_rec green = {
        .app_id = "app_1", .provider_org_id = "org_prov", .status = GH_ACCESS_GREEN, .set_at = 10};
    OK(tx, gh_store_access_status_put(tx, &green));
    struct gh_access_status_rec other = {
        .app_id = "app_0", .provider_org_id = "org_prov2", .status = GH_ACCESS_RED, .set_at = 1};
    OK(tx, gh_store_access_status_put(tx, &other));
    commit(tx);

    const char *bad[][2] = {{"app_none", "org_prov"}, {"app_1", "org_none"}};
    for (size_t i = 0; i < 2; i++) {
        tx = wtx(e);
        struct gh_access_status_rec r = {.app_id = (char *)bad[i][0],
                                         .provider_org_id = (char *)bad[i][1],
                                         .status = GH_ACCESS_RED,
                                         .set_at = 1};
        EXPECT(tx, GH_STORE_CONFLICT, gh_store_access_status_put(tx, &r));
        gh_store_rollback(tx);
    }

    tx = rtx(e);
    struct gh_access_status_rec got;
    OK(tx, gh_store_access_status_get(tx, "app_1", "org_prov2", e->a, &got));
    assert_string_equal(got.app_id, "app_1");
    assert_string_equal(got.provider_org_id, "org_prov2");
    assert_int_equal(got.status, GH_ACCESS_RED);
    assert_string_equal(got.reason, "unpaid invoices");
    assert_string_equal(got.set_by, "usr_1");
    assert_int_equal(got.set_at, 10);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_access_status_get(tx, "app_0", "org_prov", e->a, &got));

    struct gh_access_status_rec *list;
    size_t n;
    OK(tx, gh_store_access_status_list_by_app(tx, "app_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 2); /* set_at, then provider_org_id */
    assert_string_equal(list[0].provider_org_id, "org_prov");
    assert_string_equal(list[1].provider_org_id, "org_prov2");
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_access_status_list_by_app(tx, "app_1", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].provider_org_id, "org_prov2");
    OK(tx, gh_store_access_status_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 3); /* app_id, then provider_org_id */
    assert_string_equal(list[0].app_id, "app_0");
    assert_string_equal(list[1].app_id, "app_1");
    assert_string_equal(list[1].provider_org_id, "org_prov");
    assert_string_equal(list[2].provider_org_id, "org_prov2");
    commit(tx);

    /* put again replaces status, reason, set_by and set_at. */
    tx = wtx(e);
    struct gh_access_status_rec cleared = {.app_id = "app_1",
                                           .provider_org_id = "org_prov2",
                                           .status = GH_ACCESS_GREEN,
                                           .reason = NULL,
                                           .set_by = "usr_2",
                                           .set_at = 30};
    OK(tx, gh_store_access_status_put(tx, &cleared));
    OK(tx, gh_store_access_status_get(tx, "app_1", "org_prov2", e->a, &got));
    assert_int_equal(got.status, GH_ACCESS_GREEN);
    assert_unset(got.reason);
    assert_string_equal(got.set_by, "usr_2");
    assert_int_equal(got.set_at, 30);
    OK(tx, gh_store_access_status_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 3);
    commit(tx);
}

/* ---- token service -------------------------------------------------------- */

static void test_signing_keys(void **state)
{
    struct env *e = *state;
    struct gh_signing_key k = {.kid = "kid-2",
                               .alg = "ES256",
                               .state = GH_KEY_NEXT,
                               .private_key_enc = "c2VhbGVk",
                               .public_jwk = "{\"kty\":\"EC\",\"crv\":\"P-256\"}",
                               .created_at = 20};
    struct gh_signing_key old = {.kid = "kid-1",
                                 .alg = "EdDSA",
                                 .state = GH_KEY_RETIRED,
                                 .private_key_enc = "b2xk",
                                 .public_jwk = "{}",
                                 .created_at = 10,
                                 .activated_at = 11,
                                 .retired_at = 12,
                                 .publish_until = 13};
    struct gh_tx *tx = wtx(e);
    OK(tx, gh_store_signing_key_insert(tx, &k));
    OK(tx, gh_store_signing_key_insert(tx, &old));
    commit(tx);
    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_signing_key_insert(tx, &k));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_signing_key got;
    OK(tx, gh_store_signing_key_get(tx, "kid-1", e->a, &got));
    assert_string_equal(got.kid, "kid-1");
    assert_string_equal(got.alg, "EdDSA");
    assert_int_equal(got.state, GH_KEY_RETIRED);
    assert_string_equal(got.private_key_enc, "b2xk");
    assert_string_equal(got.public_jwk, "{}");
    assert_int_equal(got.created_at, 10);
    assert_int_equal(got.activated_at, 11);
    assert_int_equal(got.retired_at, 12);
    assert_int_equal(got.publish_until, 13);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_signing_key_get(tx, "kid-x", e->a, &got));
    struct gh_signing_key *list;
    size_t n;
    OK(tx, gh_store_signing_key_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].kid, "kid-1");
    assert_string_equal(list[1].kid, "kid-2");
    assert_string_equal(list[1].public_jwk, k.public_jwk);
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_signing_key_list(tx, &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].kid, "kid-2");
    commit(tx);

    tx = wtx(e);
    k.state = GH_KEY_ACTIVE;
    k.activated_at = 25;
    OK(tx, gh_store_signing_key_update(tx, &k));
    struct gh_signing_key ghost = {
        .kid = "kid-ghost", .alg = "ES256", .private_key_enc = "x", .public_jwk = "{}"};
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_signing_key_update(tx, &ghost));
    OK(tx, gh_store_signing_key_get(tx, "kid-2", e->a, &got));
    assert_int_equal(got.state, GH_KEY_ACTIVE);
    assert_int_equal(got.activated_at, 25);
    OK(tx, gh_store_signing_key_delete(tx, "kid-1"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_signing_key_delete(tx, "kid-1"));
    OK(tx, gh_store_signing_key_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    commit(tx);
}

static void test_opaque_tokens(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    struct gh_opaque_token t = {.token_hash = "oh-b",
                                .app_id = "app_1",
                                .client_id = "client-1",
                                .claims_json = "{\"sub\":\"client-1\",\"scope\":\"a b\"}",
                                .issued_at = 100,
                                .expires_at = 200};
    OK(tx, gh_store_opaque_token_insert(tx, &t));
    struct gh_opaque_token t2 = {.token_hash = "oh-a",
                                 .app_id = "app_1",
                                 .client_id = "client-1",
                                 .claims_json = "{}",
                                 .issued_at = 100,
                                 .expires_at = 150};
    OK(tx, gh_store_opaque_token_insert(tx, &t2));
    struct gh_opaque_token t3 = {.token_hash = "oh-c",
                                 .app_id = "app_1",
                                 .client_id = "client-1",
                                 .claims_json = "{}",
                                 .issued_at = 50,
                                 .expires_at = 300};
    OK(tx, gh_store_opaque_token_insert(tx, &t3));
    commit(tx);

    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_opaque_token_insert(tx, &t));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_opaque_token orphan = {.token_hash = "oh-x",
                                     .app_id = "app_none",
                                     .client_id = "c",
                                     .claims_json = "{}",
                                     .issued_at = 1,
                                     .expires_at = 2};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_opaque_token_insert(tx, &orphan));
    gh_store_rollback(tx);

    tx = wtx(e);
    struct gh_opaque_token got;
    OK(tx, gh_store_opaque_token_get(tx, "oh-b", e->a, &got));
    assert_string_equal(got.token_hash, "oh-b");
    assert_string_equal(got.app_id, "app_1");
    assert_string_equal(got.client_id, "client-1");
    assert_string_equal(got.claims_json, t.claims_json);
    assert_int_equal(got.issued_at, 100);
    assert_int_equal(got.expires_at, 200);
    assert_int_equal(got.revoked_at, 0);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_opaque_token_get(tx, "oh-none", e->a, &got));

    struct gh_opaque_token *list;
    size_t n;
    OK(tx, gh_store_opaque_token_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 3); /* issued_at, then token_hash */
    assert_string_equal(list[0].token_hash, "oh-c");
    assert_string_equal(list[1].token_hash, "oh-a");
    assert_string_equal(list[2].token_hash, "oh-b");
    struct gh_page p = {.offset = 2, .limit = 1};
    OK(tx, gh_store_opaque_token_list(tx, &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].token_hash, "oh-b");

    /* Revoking keeps the first revocation time. */
    OK(tx, gh_store_opaque_token_revoke(tx, "oh-b", 120));
    OK(tx, gh_store_opaque_token_revoke(tx, "oh-b", 130));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_opaque_token_revoke(tx, "oh-none", 130));
    OK(tx, gh_store_opaque_token_get(tx, "oh-b", e->a, &got));
    assert_int_equal(got.revoked_at, 120);

    /* Purge: expires_at <= now goes, revoked or not. */
    int64_t purged = -1;
    OK(tx, gh_store_opaque_token_purge_expired(tx, 200, &purged));
    assert_int_equal(purged, 2);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_opaque_token_get(tx, "oh-a", e->a, &got));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_opaque_token_get(tx, "oh-b", e->a, &got));
    OK(tx, gh_store_opaque_token_get(tx, "oh-c", e->a, &got));
    OK(tx, gh_store_opaque_token_purge_expired(tx, 200, NULL));
    OK(tx, gh_store_opaque_token_purge_expired(tx, 200, &purged));
    assert_int_equal(purged, 0);
    commit(tx);
}

static void test_revoked_jtis(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    struct gh_revoked_jti a = {.jti = "jti-a", .expires_at = 500, .revoked_at = 20};
    struct gh_revoked_jti b = {.jti = "jti-b", .expires_at = 100, .revoked_at = 10};
    struct gh_revoked_jti c = {.jti = "jti-c", .expires_at = 100, .revoked_at = 20};
    OK(tx, gh_store_revoked_jti_insert(tx, &c));
    OK(tx, gh_store_revoked_jti_insert(tx, &a));
    OK(tx, gh_store_revoked_jti_insert(tx, &b));
    commit(tx);

    /* Idempotent: a second revocation is OK and keeps the first row. */
    tx = wtx(e);
    struct gh_revoked_jti again = {.jti = "jti-a", .expires_at = 900, .revoked_at = 90};
    OK(tx, gh_store_revoked_jti_insert(tx, &again));
    commit(tx);

    tx = rtx(e);
    bool exists = false;
    OK(tx, gh_store_revoked_jti_exists(tx, "jti-a", &exists));
    assert_true(exists);
    exists = true;
    OK(tx, gh_store_revoked_jti_exists(tx, "jti-zzz", &exists));
    assert_false(exists);
    struct gh_revoked_jti *list;
    size_t n;
    OK(tx, gh_store_revoked_jti_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 3); /* revoked_at, then jti */
    assert_string_equal(list[0].jti, "jti-b");
    assert_string_equal(list[1].jti, "jti-a");
    assert_int_equal(list[1].expires_at, 500);
    assert_int_equal(list[1].revoked_at, 20);
    assert_string_equal(list[2].jti, "jti-c");
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_revoked_jti_list(tx, &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].jti, "jti-a");
    commit(tx);

    tx = wtx(e);
    int64_t purged = -1;
    OK(tx, gh_store_revoked_jti_purge_expired(tx, 99, &purged));
    assert_int_equal(purged, 0);
    OK(tx, gh_store_revoked_jti_purge_expired(tx, 100, &purged));
    assert_int_equal(purged, 2);
    OK(tx, gh_store_revoked_jti_exists(tx, "jti-b", &exists));
    assert_false(exists);
    OK(tx, gh_store_revoked_jti_exists(tx, "jti-a", &exists));
    assert_true(exists);
    OK(tx, gh_store_revoked_jti_purge_expired(tx, 1000, NULL));
    OK(tx, gh_store_revoked_jti_list(tx, NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    commit(tx);
}

/* Every write to data the hot-path snapshot holds bumps the generation once
 * its transaction commits. */
static void test_snapshot_writes_bump_generation(void **state)
{
    struct env *e = *state;
    seed(e);
    uint64_t gen = gh_store_generation(e->store);
    struct gh_tx *tx;
#define BUMPS(call)                                                                                \
    do {                                                                                           \
        tx = wtx(e);                                                                               \
        OK(tx, call);                                                                              \
        commit(tx);                                                                                \
        if (gh_store_generation(e->store) != gen + 1)                                              \
            fail_msg("%s did not refresh the snapshot", #call);                                    \
        gen++;                                                                                     \
    } while (0)

    struct gh_org org = {.id = "org_g", .name = "G", .created_at = 1};
    BUMPS(gh_store_org_insert(tx, &org));
    org.name = "G2";
    BUMPS(gh_store_org_update(tx, &org));
    struct gh_api api = {.id = "api_g", .org_id = "org_g", .name = "A", .created_at = 1};
    BUMPS(gh_store_api_insert(tx, &api));
    BUMPS(gh_store_api_update(tx, &api));
    struct gh_plan plan = {.id = "pln_g", .api_id = "api_g", .name = "P", .created_at = 1};
    BUMPS(gh_store_plan_insert(tx, &plan));
    BUMPS(gh_store_plan_update(tx, &plan));
    struct gh_app app = {
        .id = "app_g", .org_id = "org_g", .name = "A", .client_id = "cg", .created_at = 1};
    BUMPS(gh_store_app_insert(tx, &app));
    BUMPS(gh_store_app_update(tx, &app));
    struct gh_api_key key = {.id = "key_g", .app_id = "app_g", .key_hash = "kg", .created_at = 1};
    BUMPS(gh_store_api_key_insert(tx, &key));
    BUMPS(gh_store_api_key_update(tx, &key));
    struct gh_certificate cert = {
        .id = "crt_g", .app_id = "app_g", .thumbprint_sha256 = "tg", .pem = "P", .created_at = 1};
    BUMPS(gh_store_certificate_insert(tx, &cert));
    BUMPS(gh_store_certificate_update(tx, &cert));
    struct gh_subscription sub = {.id = "sub_g",
                                  .app_id = "app_g",
                                  .api_id = "api_g",
                                  .status = GH_SUB_ACTIVE,
                                  .created_at = 1};
    BUMPS(gh_store_subscription_insert(tx, &sub));
    sub.status = GH_SUB_INACTIVE;
    BUMPS(gh_store_subscription_update(tx, &sub));
    struct gh_access_status_rec st = {
        .app_id = "app_g", .provider_org_id = "org_g", .status = GH_ACCESS_RED, .set_at = 1};
    BUMPS(gh_store_access_status_put(tx, &st));
    struct gh_signing_key sk = {.kid = "kid-g",
                                .alg = "ES256",
                                .private_key_enc = "x",
                                .public_jwk = "{}",
                                .created_at = 1};
    BUMPS(gh_store_signing_key_insert(tx, &sk));
    sk.state = GH_KEY_ACTIVE;
    BUMPS(gh_store_signing_key_update(tx, &sk));
    struct gh_opaque_token ot = {.token_hash = "oh-g",
                                 .app_id = "app_g",
                                 .client_id = "cg",
                                 .claims_json = "{}",
                                 .issued_at = 1,
                                 .expires_at = 2};
    /* Issuing opaque tokens must not cost a snapshot reload (one is written
     * per token); revoking one does move the generation, which the
     * authorization check's token cache keys on. */
#define KEEPS(call)                                                                                \
    do {                                                                                           \
        tx = wtx(e);                                                                               \
        OK(tx, call);                                                                              \
        commit(tx);                                                                                \
        if (gh_store_generation(e->store) != gen)                                                  \
            fail_msg("%s refreshed the snapshot", #call);                                          \
    } while (0)
    KEEPS(gh_store_opaque_token_insert(tx, &ot));
    BUMPS(gh_store_opaque_token_revoke(tx, "oh-g", 2));
    KEEPS(gh_store_opaque_token_revoke(tx, "oh-g", 2)); /* already revoked: no change */
    KEEPS(gh_store_opaque_token_purge_expired(tx, 3, NULL));
#undef KEEPS
    struct gh_revoked_jti rj = {.jti = "jti-g", .expires_at = 2, .revoked_at = 1};
    BUMPS(gh_store_revoked_jti_insert(tx, &rj));

    BUMPS(gh_store_certificate_delete(tx, "crt_g"));
    BUMPS(gh_store_api_key_delete(tx, "key_g"));
    BUMPS(gh_store_subscription_delete(tx, "sub_g"));
    BUMPS(gh_store_plan_delete(tx, "pln_g"));
    BUMPS(gh_store_app_delete(tx, "app_g"));
    BUMPS(gh_store_api_delete(tx, "api_g"));
    BUMPS(gh_store_signing_key_delete(tx, "kid-g"));
    BUMPS(gh_store_org_delete(tx, "org_g"));
#undef BUMPS

    /* A rolled-back snapshot write does not. */
    tx = wtx(e);
    struct gh_org gone = {.id = "org_gone", .name = "G", .created_at = 1};
    OK(tx, gh_store_org_insert(tx, &gone));
    gh_store_rollback(tx);
    assert_int_equal(gh_store_generation(e->store), gen);
}

/* ---- people's credentials and sessions ------------------------------------ */

static void test_api_tokens(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    struct gh_api_token admin = {.id = "tok_admin",
                                 .kind = GH_TOKEN_KIND_ADMIN,
                                 .name = "ops",
                                 .token_hash = "hash-admin",
                                 .created_at = 5,
                                 .expires_at = 0};
    OK(tx, gh_store_api_token_insert(tx, &admin));
    struct gh_api_token mine = {.id = "tok_p1",
                                .kind = GH_TOKEN_KIND_PERSONAL,
                                .user_id = "usr_1",
                                .name = "laptop",
                                .token_hash = "hash-p1",
                                .created_at = 10,
                                .expires_at = 2000000000};
    OK(tx, gh_store_api_token_insert(tx, &mine));
    struct gh_api_token mine2 = {.id = "tok_p0",
                                 .kind = GH_TOKEN_KIND_PERSONAL,
                                 .user_id = "usr_1",
                                 .token_hash = "hash-p0",
                                 .created_at = 10};
    OK(tx, gh_store_api_token_insert(tx, &mine2));
    struct gh_api_token theirs = {.id = "tok_p2",
                                  .kind = GH_TOKEN_KIND_PERSONAL,
                                  .user_id = "usr_2",
                                  .token_hash = "hash-p2",
                                  .created_at = 1};
    OK(tx, gh_store_api_token_insert(tx, &theirs));
    commit(tx);

    tx = wtx(e);
    struct gh_api_token dup = {
        .id = "tok_dup", .kind = GH_TOKEN_KIND_ADMIN, .token_hash = "hash-p1", .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_api_token_insert(tx, &dup));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_api_token orphan = {.id = "tok_o",
                                  .kind = GH_TOKEN_KIND_PERSONAL,
                                  .user_id = "usr_none",
                                  .token_hash = "hash-o",
                                  .created_at = 1};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_api_token_insert(tx, &orphan));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_api_token got;
    OK(tx, gh_store_api_token_get(tx, "tok_p1", e->a, &got));
    assert_int_equal(got.kind, GH_TOKEN_KIND_PERSONAL);
    assert_string_equal(got.user_id, "usr_1");
    assert_string_equal(got.name, "laptop");
    assert_string_equal(got.token_hash, "hash-p1");
    assert_int_equal(got.created_at, 10);
    assert_int_equal(got.expires_at, 2000000000);
    assert_int_equal(got.last_used_at, 0);
    OK(tx, gh_store_api_token_by_hash(tx, "hash-admin", e->a, &got));
    assert_string_equal(got.id, "tok_admin");
    assert_int_equal(got.kind, GH_TOKEN_KIND_ADMIN);
    assert_unset(got.user_id);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_token_by_hash(tx, "hash-none", e->a, &got));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_token_get(tx, "tok_none", e->a, &got));

    struct gh_api_token *list;
    size_t n;
    OK(tx, gh_store_api_token_list_by_user(tx, "usr_1", NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "tok_p0");
    assert_string_equal(list[1].id, "tok_p1");
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_api_token_list_by_user(tx, "usr_1", &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "tok_p1");
    OK(tx, gh_store_api_token_list(tx, NULL, NULL, e->a, &list, &n));
    assert_int_equal(n, 4);
    assert_string_equal(list[0].id, "tok_p2");
    assert_string_equal(list[1].id, "tok_admin");
    enum gh_api_token_kind kind = GH_TOKEN_KIND_ADMIN;
    OK(tx, gh_store_api_token_list(tx, &kind, NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "tok_admin");
    kind = GH_TOKEN_KIND_PERSONAL;
    OK(tx, gh_store_api_token_list(tx, &kind, NULL, e->a, &list, &n));
    assert_int_equal(n, 3);
    p = (struct gh_page){.offset = 0, .limit = 2};
    OK(tx, gh_store_api_token_list(tx, &kind, &p, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "tok_p2");
    assert_string_equal(list[1].id, "tok_p0");
    commit(tx);

    tx = wtx(e);
    OK(tx, gh_store_api_token_touch_last_used(tx, "tok_p1", 1234));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_token_touch_last_used(tx, "tok_none", 1));
    OK(tx, gh_store_api_token_get(tx, "tok_p1", e->a, &got));
    assert_int_equal(got.last_used_at, 1234);
    OK(tx, gh_store_api_token_delete(tx, "tok_p1"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_token_delete(tx, "tok_p1"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_api_token_by_hash(tx, "hash-p1", e->a, &got));
    commit(tx);
}

static void test_sessions(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    struct gh_session s = {.id_hash = "sess-1",
                           .user_id = "usr_1",
                           .csrf_token = "csrf-abc",
                           .created_at = 100,
                           .last_seen_at = 100,
                           .expires_at = 1000,
                           .client_addr = "127.0.0.1"};
    OK(tx, gh_store_session_insert(tx, &s));
    struct gh_session s2 = {.id_hash = "sess-2",
                            .user_id = "usr_1",
                            .csrf_token = "c2",
                            .created_at = 100,
                            .last_seen_at = 100,
                            .expires_at = 200};
    OK(tx, gh_store_session_insert(tx, &s2));
    struct gh_session s3 = {.id_hash = "sess-3",
                            .user_id = "usr_2",
                            .csrf_token = "c3",
                            .created_at = 100,
                            .last_seen_at = 100,
                            .expires_at = 150};
    OK(tx, gh_store_session_insert(tx, &s3));
    struct gh_session s4 = {.id_hash = "sess-4",
                            .user_id = "usr_2",
                            .csrf_token = "c4",
                            .created_at = 100,
                            .last_seen_at = 100,
                            .expires_at = 5000};
    OK(tx, gh_store_session_insert(tx, &s4));
    commit(tx);

    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_session_insert(tx, &s));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_session orphan = {.id_hash = "sess-o",
                                .user_id = "usr_none",
                                .csrf_token = "c",
                                .created_at = 1,
                                .last_seen_at = 1,
                                .expires_at = 2};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_session_insert(tx, &orphan));
    gh_store_rollback(tx);

    tx = wtx(e);
    struct gh_session got;
    OK(tx, gh_store_session_get(tx, "sess-1", e->a, &got));
    assert_string_equal(got.id_hash, "sess-1");
    assert_string_equal(got.user_id, "usr_1");
    assert_string_equal(got.csrf_token, "csrf-abc");
    assert_int_equal(got.created_at, 100);
    assert_int_equal(got.last_seen_at, 100);
    assert_int_equal(got.expires_at, 1000);
    assert_string_equal(got.client_addr, "127.0.0.1");
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_session_get(tx, "sess-none", e->a, &got));

    OK(tx, gh_store_session_touch(tx, "sess-1", 150));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_session_touch(tx, "sess-none", 150));
    OK(tx, gh_store_session_get(tx, "sess-1", e->a, &got));
    assert_int_equal(got.last_seen_at, 150);
    assert_int_equal(got.expires_at, 1000);

    int64_t purged = -1;
    OK(tx, gh_store_session_purge_expired(tx, 150, &purged)); /* sess-3 (150) */
    assert_int_equal(purged, 1);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_session_get(tx, "sess-3", e->a, &got));
    OK(tx, gh_store_session_get(tx, "sess-2", e->a, &got));
    OK(tx, gh_store_session_purge_expired(tx, 150, NULL));

    int64_t deleted = -1;
    OK(tx, gh_store_session_delete_by_user(tx, "usr_1", &deleted));
    assert_int_equal(deleted, 2);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_session_get(tx, "sess-1", e->a, &got));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_session_get(tx, "sess-2", e->a, &got));
    OK(tx, gh_store_session_delete_by_user(tx, "usr_1", &deleted));
    assert_int_equal(deleted, 0);
    OK(tx, gh_store_session_delete_by_user(tx, "usr_1", NULL));
    OK(tx, gh_store_session_get(tx, "sess-4", e->a, &got)); /* the other user's */

    OK(tx, gh_store_session_delete(tx, "sess-4"));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_session_delete(tx, "sess-4"));
    commit(tx);
}

static void test_user_tokens_single_use(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = wtx(e);
    struct gh_user_token t = {.token_hash = "ut-1",
                              .user_id = "usr_1",
                              .purpose = GH_UTOKEN_PASSWORD_RESET,
                              .created_at = 10,
                              .expires_at = 3610};
    OK(tx, gh_store_user_token_insert(tx, &t));
    commit(tx);

    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_user_token_insert(tx, &t));
    gh_store_rollback(tx);
    tx = wtx(e);
    struct gh_user_token orphan = {.token_hash = "ut-o",
                                   .user_id = "usr_none",
                                   .purpose = GH_UTOKEN_VERIFY_EMAIL,
                                   .created_at = 1,
                                   .expires_at = 2};
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_user_token_insert(tx, &orphan));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_user_token got;
    OK(tx, gh_store_user_token_get(tx, "ut-1", e->a, &got));
    assert_string_equal(got.token_hash, "ut-1");
    assert_string_equal(got.user_id, "usr_1");
    assert_int_equal(got.purpose, GH_UTOKEN_PASSWORD_RESET);
    assert_int_equal(got.created_at, 10);
    assert_int_equal(got.expires_at, 3610);
    assert_int_equal(got.used_at, 0);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_user_token_get(tx, "ut-none", e->a, &got));
    commit(tx);

    tx = wtx(e);
    OK(tx, gh_store_user_token_mark_used(tx, "ut-1", 20));
    commit(tx);
    /* The second use is refused and the first time kept. */
    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_user_token_mark_used(tx, "ut-1", 30));
    gh_store_rollback(tx);
    tx = wtx(e);
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_user_token_mark_used(tx, "ut-none", 30));
    gh_store_rollback(tx);
    tx = rtx(e);
    OK(tx, gh_store_user_token_get(tx, "ut-1", e->a, &got));
    assert_int_equal(got.used_at, 20);
    commit(tx);
}

/* ---- outbox --------------------------------------------------------------- */

static void put_msg(struct gh_tx *tx, const char *id, int64_t created, int64_t next_attempt)
{
    struct gh_outbox_msg m = {.id = (char *)id,
                              .channel = GH_OUTBOX_EMAIL,
                              .event = "subscription.activated",
                              .recipient = "dev@partner.test",
                              .subject = "Activated",
                              .body = "From: gatehouse\r\n\r\nHello",
                              .state = GH_OUTBOX_PENDING,
                              .next_attempt_at = next_attempt,
                              .created_at = created};
    OK(tx, gh_store_outbox_insert(tx, &m));
}

static void test_outbox_insert_get_list(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    struct gh_outbox_msg hook = {.id = "msg_w",
                                 .channel = GH_OUTBOX_WEBHOOK,
                                 .event = "app.access_status.red",
                                 .recipient = "whk_1",
                                 .body = "{\"app\":\"app_1\"}",
                                 .state = GH_OUTBOX_PENDING,
                                 .attempts = 0,
                                 .next_attempt_at = 5,
                                 .created_at = 5};
    OK(tx, gh_store_outbox_insert(tx, &hook));
    put_msg(tx, "msg_b", 10, 10);
    put_msg(tx, "msg_a", 10, 10);
    put_msg(tx, "msg_c", 20, 20);
    commit(tx);
    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_outbox_insert(tx, &hook));
    gh_store_rollback(tx);

    tx = wtx(e);
    struct gh_outbox_msg got;
    OK(tx, gh_store_outbox_get(tx, "msg_w", e->a, &got));
    assert_int_equal(got.channel, GH_OUTBOX_WEBHOOK);
    assert_string_equal(got.event, "app.access_status.red");
    assert_string_equal(got.recipient, "whk_1");
    assert_unset(got.subject);
    assert_string_equal(got.body, "{\"app\":\"app_1\"}");
    assert_int_equal(got.state, GH_OUTBOX_PENDING);
    assert_int_equal(got.attempts, 0);
    assert_int_equal(got.next_attempt_at, 5);
    assert_unset(got.last_error);
    assert_int_equal(got.created_at, 5);
    assert_int_equal(got.sent_at, 0);
    OK(tx, gh_store_outbox_get(tx, "msg_a", e->a, &got));
    assert_int_equal(got.channel, GH_OUTBOX_EMAIL);
    assert_string_equal(got.subject, "Activated");
    assert_string_equal(got.body, "From: gatehouse\r\n\r\nHello");
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_outbox_get(tx, "msg_none", e->a, &got));

    OK(tx, gh_store_outbox_mark_sent(tx, "msg_b", 30));
    OK(tx, gh_store_outbox_mark_attempt_failed(tx, "msg_c", "550 no such user", 0, true));

    struct gh_outbox_msg *list;
    size_t n;
    OK(tx, gh_store_outbox_list(tx, NULL, NULL, e->a, &list, &n));
    assert_int_equal(n, 4); /* created_at, then id */
    assert_string_equal(list[0].id, "msg_w");
    assert_string_equal(list[1].id, "msg_a");
    assert_string_equal(list[2].id, "msg_b");
    assert_string_equal(list[3].id, "msg_c");
    enum gh_outbox_state st = GH_OUTBOX_PENDING;
    OK(tx, gh_store_outbox_list(tx, &st, NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "msg_w");
    assert_string_equal(list[1].id, "msg_a");
    struct gh_page p = {.offset = 1, .limit = 1};
    OK(tx, gh_store_outbox_list(tx, &st, &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "msg_a");
    st = GH_OUTBOX_FAILED;
    OK(tx, gh_store_outbox_list(tx, &st, NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "msg_c");
    assert_string_equal(list[0].last_error, "550 no such user");

    int64_t count = -1;
    OK(tx, gh_store_outbox_count_by_state(tx, GH_OUTBOX_PENDING, &count));
    assert_int_equal(count, 2);
    OK(tx, gh_store_outbox_count_by_state(tx, GH_OUTBOX_SENT, &count));
    assert_int_equal(count, 1);
    OK(tx, gh_store_outbox_count_by_state(tx, GH_OUTBOX_FAILED, &count));
    assert_int_equal(count, 1);

    int64_t oldest = -1;
    OK(tx, gh_store_outbox_oldest_pending(tx, &oldest));
    assert_int_equal(oldest, 5);
    OK(tx, gh_store_outbox_mark_sent(tx, "msg_w", 31));
    OK(tx, gh_store_outbox_oldest_pending(tx, &oldest));
    assert_int_equal(oldest, 10);
    OK(tx, gh_store_outbox_mark_sent(tx, "msg_a", 32));
    OK(tx, gh_store_outbox_oldest_pending(tx, &oldest));
    assert_int_equal(oldest, 0);
    commit(tx);
}

static void test_outbox_claim_and_retry(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    put_msg(tx, "msg_late", 1, 500); /* not due before 500 */
    put_msg(tx, "msg_2", 2, 100);
    put_msg(tx, "msg_1", 3, 50);   /* due first */
    put_msg(tx, "msg_3b", 4, 100); /* ties on next_attempt_at: created_at, then id */
    put_msg(tx, "msg_3a", 4, 100);
    commit(tx);

    /* Claiming needs a write transaction. */
    tx = rtx(e);
    struct gh_outbox_msg *list;
    size_t n;
    assert_int_not_equal(gh_store_outbox_claim_due(tx, 1000, 10, e->a, &list, &n), GH_STORE_OK);
    gh_store_rollback(tx);

    tx = wtx(e);
    OK(tx, gh_store_outbox_claim_due(tx, 100, 3, e->a, &list, &n));
    assert_int_equal(n, 3);
    assert_string_equal(list[0].id, "msg_1");
    assert_string_equal(list[1].id, "msg_2");
    assert_string_equal(list[2].id, "msg_3a");
    /* Leased: pushed out so that another sender does not take them. */
    assert_int_equal(list[0].next_attempt_at, 100 + GH_STORE_OUTBOX_LEASE_SECS);
    assert_string_equal(list[0].body, "From: gatehouse\r\n\r\nHello");
    commit(tx);

    tx = wtx(e);
    struct gh_outbox_msg got;
    OK(tx, gh_store_outbox_get(tx, "msg_1", e->a, &got));
    assert_int_equal(got.next_attempt_at, 100 + GH_STORE_OUTBOX_LEASE_SECS);
    assert_int_equal(got.state, GH_OUTBOX_PENDING);
    OK(tx, gh_store_outbox_claim_due(tx, 100, 10, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "msg_3b");
    OK(tx, gh_store_outbox_claim_due(tx, 100, 10, e->a, &list, &n));
    assert_int_equal(n, 0);

    /* Settle them: one sent, one retried later, one given up. */
    OK(tx, gh_store_outbox_mark_sent(tx, "msg_1", 101));
    OK(tx, gh_store_outbox_mark_attempt_failed(tx, "msg_2", "connection refused", 160, false));
    OK(tx, gh_store_outbox_mark_attempt_failed(tx, "msg_3a", "550 unknown", 0, true));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_outbox_mark_sent(tx, "msg_none", 1));
    EXPECT(tx, GH_STORE_NOT_FOUND,
           gh_store_outbox_mark_attempt_failed(tx, "msg_none", "x", 1, false));

    OK(tx, gh_store_outbox_get(tx, "msg_1", e->a, &got));
    assert_int_equal(got.state, GH_OUTBOX_SENT);
    assert_int_equal(got.sent_at, 101);
    assert_int_equal(got.attempts, 1);
    OK(tx, gh_store_outbox_get(tx, "msg_2", e->a, &got));
    assert_int_equal(got.state, GH_OUTBOX_PENDING);
    assert_int_equal(got.attempts, 1);
    assert_int_equal(got.next_attempt_at, 160);
    assert_string_equal(got.last_error, "connection refused");
    assert_int_equal(got.sent_at, 0);
    OK(tx, gh_store_outbox_get(tx, "msg_3a", e->a, &got));
    assert_int_equal(got.state, GH_OUTBOX_FAILED);
    assert_int_equal(got.attempts, 1);
    assert_string_equal(got.last_error, "550 unknown");
    commit(tx);

    /* The retry is due at 160, not before; sent and failed ones never again. */
    tx = wtx(e);
    OK(tx, gh_store_outbox_claim_due(tx, 159, 10, e->a, &list, &n));
    assert_int_equal(n, 0);
    OK(tx, gh_store_outbox_claim_due(tx, 160, 10, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "msg_2");
    assert_int_equal(list[0].attempts, 1);
    OK(tx, gh_store_outbox_mark_attempt_failed(tx, "msg_2", "timeout", 0, true));
    OK(tx, gh_store_outbox_get(tx, "msg_2", e->a, &got));
    assert_int_equal(got.state, GH_OUTBOX_FAILED);
    assert_int_equal(got.attempts, 2);
    assert_string_equal(got.last_error, "timeout");
    /* Far in the future only the late one and the unsettled lease remain. */
    OK(tx, gh_store_outbox_claim_due(tx, 100000, 10, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "msg_3b"); /* lease ended at 400 */
    assert_string_equal(list[1].id, "msg_late");
    commit(tx);
}

/* The platform admins' view: newest first, narrowed by state and channel,
 * counted the same way. */
static void test_outbox_search_and_count(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    put_msg(tx, "msg_old", 10, 10);
    put_msg(tx, "msg_mid_a", 20, 20);
    put_msg(tx, "msg_mid_b", 20, 20); /* ties on created_at: id, descending */
    put_msg(tx, "msg_new", 30, 30);
    struct gh_outbox_msg hook = {.id = "msg_hook",
                                 .channel = GH_OUTBOX_WEBHOOK,
                                 .event = "app.access_status.red",
                                 .recipient = "whk_1",
                                 .body = "{}",
                                 .state = GH_OUTBOX_PENDING,
                                 .next_attempt_at = 25,
                                 .created_at = 25};
    OK(tx, gh_store_outbox_insert(tx, &hook));
    OK(tx, gh_store_outbox_mark_sent(tx, "msg_old", 11));
    OK(tx, gh_store_outbox_mark_attempt_failed(tx, "msg_mid_a", "550 no such user", 0, true));
    OK(tx, gh_store_outbox_mark_attempt_failed(tx, "msg_hook", "connect refused", 0, true));
    commit(tx);

    tx = rtx(e);
    struct gh_outbox_msg *list;
    size_t n;
    int64_t count = -1;
    OK(tx, gh_store_outbox_search(tx, NULL, NULL, e->a, &list, &n));
    assert_int_equal(n, 5);
    assert_string_equal(list[0].id, "msg_new");
    assert_string_equal(list[1].id, "msg_hook");
    assert_string_equal(list[2].id, "msg_mid_b");
    assert_string_equal(list[3].id, "msg_mid_a");
    assert_string_equal(list[4].id, "msg_old");
    OK(tx, gh_store_outbox_count(tx, NULL, &count));
    assert_int_equal(count, 5);
    struct gh_outbox_filter none = {0};
    OK(tx, gh_store_outbox_count(tx, &none, &count));
    assert_int_equal(count, 5);

    enum gh_outbox_state failed = GH_OUTBOX_FAILED;
    struct gh_outbox_filter f = {.state = &failed};
    OK(tx, gh_store_outbox_search(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "msg_hook");
    assert_string_equal(list[0].last_error, "connect refused");
    assert_string_equal(list[1].id, "msg_mid_a");
    assert_string_equal(list[1].last_error, "550 no such user");
    OK(tx, gh_store_outbox_count(tx, &f, &count));
    assert_int_equal(count, 2);

    enum gh_outbox_channel email = GH_OUTBOX_EMAIL;
    f.channel = &email;
    OK(tx, gh_store_outbox_search(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "msg_mid_a");
    OK(tx, gh_store_outbox_count(tx, &f, &count));
    assert_int_equal(count, 1);

    f.state = NULL;
    struct gh_page page = {.offset = 1, .limit = 2};
    OK(tx, gh_store_outbox_search(tx, &f, &page, e->a, &list, &n));
    assert_int_equal(n, 2); /* email: new, mid_b, mid_a, old; page 2 of 2-wide */
    assert_string_equal(list[0].id, "msg_mid_b");
    assert_string_equal(list[1].id, "msg_mid_a");
    OK(tx, gh_store_outbox_count(tx, &f, &count));
    assert_int_equal(count, 4);

    enum gh_outbox_state pending = GH_OUTBOX_PENDING;
    enum gh_outbox_channel webhook = GH_OUTBOX_WEBHOOK;
    f = (struct gh_outbox_filter){.state = &pending, .channel = &webhook};
    OK(tx, gh_store_outbox_search(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    assert_null(list);
    OK(tx, gh_store_outbox_count(tx, &f, &count));
    assert_int_equal(count, 0);
    commit(tx);
}

/* A retry makes a failed message due now with its attempts counted afresh;
 * a sent one is a conflict that leaves the transaction usable. */
static void test_outbox_retry(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    put_msg(tx, "msg_failed", 1, 1);
    put_msg(tx, "msg_sent", 2, 2);
    put_msg(tx, "msg_waiting", 3, 900);
    OK(tx, gh_store_outbox_mark_attempt_failed(tx, "msg_failed", "550 no", 0, false));
    OK(tx, gh_store_outbox_mark_attempt_failed(tx, "msg_failed", "550 still no", 0, true));
    OK(tx, gh_store_outbox_mark_sent(tx, "msg_sent", 5));
    OK(tx, gh_store_outbox_mark_attempt_failed(tx, "msg_waiting", "timeout", 900, false));
    commit(tx);

    /* Retrying needs a write transaction. */
    tx = rtx(e);
    assert_int_not_equal(gh_store_outbox_retry(tx, "msg_failed", 100), GH_STORE_OK);
    gh_store_rollback(tx);

    tx = wtx(e);
    struct gh_outbox_msg *list;
    size_t n;
    OK(tx, gh_store_outbox_claim_due(tx, 100, 10, e->a, &list, &n));
    assert_int_equal(n, 0); /* nothing due: failed is final, waiting is at 900 */
    OK(tx, gh_store_outbox_retry(tx, "msg_failed", 100));
    OK(tx, gh_store_outbox_retry(tx, "msg_waiting", 100));
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_outbox_retry(tx, "msg_sent", 100));
    EXPECT(tx, GH_STORE_NOT_FOUND, gh_store_outbox_retry(tx, "msg_none", 100));
    struct gh_outbox_msg got;
    OK(tx, gh_store_outbox_get(tx, "msg_failed", e->a, &got));
    assert_int_equal(got.state, GH_OUTBOX_PENDING);
    assert_int_equal(got.attempts, 0);
    assert_int_equal(got.next_attempt_at, 100);
    assert_string_equal(got.last_error, "550 still no");
    OK(tx, gh_store_outbox_get(tx, "msg_sent", e->a, &got));
    assert_int_equal(got.state, GH_OUTBOX_SENT);
    assert_int_equal(got.attempts, 1);
    assert_int_equal(got.sent_at, 5);
    commit(tx); /* the conflict left the transaction usable */

    tx = wtx(e);
    OK(tx, gh_store_outbox_claim_due(tx, 100, 10, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "msg_failed");
    assert_int_equal(list[0].attempts, 0);
    assert_string_equal(list[1].id, "msg_waiting");
    OK(tx, gh_store_outbox_mark_sent(tx, "msg_failed", 101));
    OK(tx, gh_store_outbox_get(tx, "msg_failed", e->a, &got));
    assert_int_equal(got.state, GH_OUTBOX_SENT);
    assert_int_equal(got.attempts, 1);
    assert_unset(got.last_error);
    commit(tx);
}

/* ---- audit ---------------------------------------------------------------- */

static void test_audit(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = wtx(e);
    struct gh_audit_event evs[] = {
        {.id = "aud_1",
         .at = 10,
         .actor_id = "usr_1",
         .actor_kind = "user",
         .action = "app.create",
         .object_type = "app",
         .object_id = "app_1",
         .org_id = "org_part",
         .changes_json = "{\"name\":\"Shop\"}",
         .request_id = "req-1",
         .client_addr = "10.0.0.1"},
        {.id = "aud_2",
         .at = 20,
         .actor_id = "usr_2",
         .actor_kind = "user",
         .action = "app.update",
         .object_type = "app",
         .object_id = "app_1",
         .org_id = "org_part"},
        {.id = "aud_3",
         .at = 20,
         .actor_id = "usr_1",
         .actor_kind = "user",
         .action = "subscription.activate",
         .object_type = "subscription",
         .object_id = "sub_1",
         .org_id = "org_prov"},
        {.id = "aud_4", .at = 30, .actor_kind = "cli", .action = "admin_token.create"},
    };
    for (size_t i = 0; i < 4; i++)
        OK(tx, gh_store_audit_insert(tx, &evs[i]));
    commit(tx);
    tx = wtx(e);
    EXPECT(tx, GH_STORE_CONFLICT, gh_store_audit_insert(tx, &evs[0]));
    gh_store_rollback(tx);

    tx = rtx(e);
    struct gh_audit_event *list;
    size_t n;
    OK(tx, gh_store_audit_list(tx, NULL, NULL, e->a, &list, &n));
    assert_int_equal(n, 4); /* newest first: at, then id, descending */
    assert_string_equal(list[0].id, "aud_4");
    assert_unset(list[0].actor_id);
    assert_unset(list[0].object_id);
    assert_string_equal(list[0].actor_kind, "cli");
    assert_string_equal(list[1].id, "aud_3");
    assert_string_equal(list[2].id, "aud_2");
    assert_string_equal(list[3].id, "aud_1");
    assert_int_equal(list[3].at, 10);
    assert_string_equal(list[3].actor_id, "usr_1");
    assert_string_equal(list[3].actor_kind, "user");
    assert_string_equal(list[3].action, "app.create");
    assert_string_equal(list[3].object_type, "app");
    assert_string_equal(list[3].object_id, "app_1");
    assert_string_equal(list[3].org_id, "org_part");
    assert_string_equal(list[3].changes_json, "{\"name\":\"Shop\"}");
    assert_string_equal(list[3].request_id, "req-1");
    assert_string_equal(list[3].client_addr, "10.0.0.1");

    struct gh_page p = {.offset = 1, .limit = 2};
    OK(tx, gh_store_audit_list(tx, NULL, &p, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "aud_3");
    assert_string_equal(list[1].id, "aud_2");

    struct gh_audit_filter f = {.object_id = "app_1"};
    OK(tx, gh_store_audit_list(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "aud_2");
    assert_string_equal(list[1].id, "aud_1");
    f = (struct gh_audit_filter){.actor_id = "usr_1"};
    OK(tx, gh_store_audit_list(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "aud_3");
    assert_string_equal(list[1].id, "aud_1");
    f = (struct gh_audit_filter){.org_id = "org_prov"};
    OK(tx, gh_store_audit_list(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "aud_3");
    f = (struct gh_audit_filter){.since = 20};
    OK(tx, gh_store_audit_list(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 3);
    assert_string_equal(list[2].id, "aud_2");
    /* Members combine. */
    f = (struct gh_audit_filter){.actor_id = "usr_1", .since = 15};
    OK(tx, gh_store_audit_list(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "aud_3");
    f = (struct gh_audit_filter){.object_id = "app_1", .org_id = "org_part", .actor_id = "usr_2"};
    OK(tx, gh_store_audit_list(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "aud_2");
    f = (struct gh_audit_filter){.object_id = "app_1", .org_id = "org_prov"};
    OK(tx, gh_store_audit_list(tx, &f, NULL, e->a, &list, &n));
    assert_int_equal(n, 0);
    f = (struct gh_audit_filter){.object_id = "app_1"};
    p = (struct gh_page){.offset = 1, .limit = 1};
    OK(tx, gh_store_audit_list(tx, &f, &p, e->a, &list, &n));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "aud_1");
    commit(tx);
}

/* ---- reads outlive the transaction ---------------------------------------- */

/* Rows read are copies in the caller's arena: they stay intact after the
 * transaction ends and the connection serves other statements. */
static void test_reads_live_in_the_arena(void **state)
{
    struct env *e = *state;
    seed(e);
    struct gh_tx *tx = rtx(e);
    struct gh_app app;
    OK(tx, gh_store_app_get(tx, "app_1", e->a, &app));
    struct gh_org *orgs;
    size_t n;
    OK(tx, gh_store_org_list(tx, NULL, e->a, &orgs, &n));
    commit(tx);

    tx = wtx(e);
    struct gh_app other = {.id = "app_zz",
                           .org_id = "org_part",
                           .name = "zzzzzzzzzzzzzzzz",
                           .client_id = "zzzzzzzzzzzzzzzzzz",
                           .created_at = 1};
    OK(tx, gh_store_app_insert(tx, &other));
    struct gh_app again;
    OK(tx, gh_store_app_get(tx, "app_zz", e->a, &again));
    commit(tx);

    assert_string_equal(app.id, "app_1");
    assert_string_equal(app.client_id, "client-1");
    assert_string_equal(app.org_id, "org_part");
    assert_int_equal(n, 2);
    assert_string_equal(orgs[0].id, "org_prov");
    assert_string_equal(orgs[1].id, "org_part");
    assert_string_equal(orgs[1].tenant, "acme");
}

int main(void)
{
    gh_log_set_level(GH_LOG_OFF);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_user_crud),
        T(test_user_unique_email_any_case),
        T(test_user_by_email),
        T(test_user_list_search_count),
        T(test_user_delete_cascades),
        T(test_org_crud),
        T(test_org_tenant_unique_and_list),
        T(test_memberships),
        T(test_org_delete_cascades),
        T(test_api_crud),
        T(test_api_delete_cascades),
        T(test_plan_crud),
        T(test_app_crud),
        T(test_app_delete_cascades),
        T(test_app_members),
        T(test_api_keys),
        T(test_certificates),
        T(test_subscriptions),
        T(test_subscription_events),
        T(test_access_statuses),
        T(test_signing_keys),
        T(test_opaque_tokens),
        T(test_revoked_jtis),
        T(test_snapshot_writes_bump_generation),
        T(test_api_tokens),
        T(test_sessions),
        T(test_user_tokens_single_use),
        T(test_outbox_insert_get_list),
        T(test_outbox_claim_and_retry),
        T(test_outbox_search_and_count),
        T(test_outbox_retry),
        T(test_audit),
        T(test_reads_live_in_the_arena),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
