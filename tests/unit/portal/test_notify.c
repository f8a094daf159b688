/* Notifications: the built-in templates are complete and valid for every
 * event; rendering escapes for HTML, keeps text as is and subjects on one
 * line; an override directory replaces single templates and is refused on
 * unknown events and placeholders, unreadable files, multi-line subjects;
 * the expiring-key scan mails the app's OWNERs (only), posts to the
 * partner's webhooks, and announces each key once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "portal/notify.h"
#include "portal/webhooks.h"
#include "../support/store_fixture.h"

#define NOW 1795449909 /* Mon, 23 Nov 2026 16:05:09 UTC */
#define DAY 86400

/* ---- built-in templates -------------------------------------------------- */

static void test_defaults_complete_and_valid(void **state)
{
    (void)state;
    char err[512];
    for (size_t i = 0; i < gh_notify_defaults_count; i++) {
        const struct gh_notify_default *d = &gh_notify_defaults[i];
        for (int k = 0; k < GH_NOTIFY_PARTS; k++) {
            assert_non_null(d->part[k]);
            assert_true(strlen(d->part[k]) > 0);
            if (!gh_notify_template_check(d->event, d->part[k], err, sizeof err))
                fail_msg("%s part %d: %s", d->event, k, err);
        }
        assert_null(strchr(d->part[GH_NOTIFY_SUBJECT], '\n'));
        assert_non_null(strstr(d->part[GH_NOTIFY_HTML], "<html>"));
        assert_ptr_equal(gh_notify_template(NULL, d->event, GH_NOTIFY_TEXT), d->part[1]);
    }
    /* every event a webhook may subscribe to has its mail templates */
    for (size_t i = 0; gh_webhook_events[i]; i++)
        assert_non_null(gh_notify_template(NULL, gh_webhook_events[i], GH_NOTIFY_SUBJECT));
    assert_null(gh_notify_template(NULL, "app.nonexistent", GH_NOTIFY_TEXT));
}

/* ---- rendering -------------------------------------------------------------- */

static int setup_arena(void **state)
{
    *state = gh_arena_new(4096);
    return 0;
}

static int teardown_arena(void **state)
{
    gh_arena_free(*state);
    return 0;
}

static void test_render_escapes_per_part(void **state)
{
    struct gh_arena *a = *state;
    const struct gh_notify_var vars[] = {
        {"reason", "<script>alert('x')</script> & \"more\"\nline two"},
        {"app_name", "Shop"},
        {"empty", NULL},
    };
    const char *tpl = "App {{app_name}}: {{ reason }}.{{empty}}|{{missing}}|";
    assert_string_equal(gh_notify_render(a, tpl, GH_NOTIFY_TEXT, vars, 3),
                        "App Shop: <script>alert('x')</script> & \"more\"\nline two.||");
    assert_string_equal(gh_notify_render(a, tpl, GH_NOTIFY_HTML, vars, 3),
                        "App Shop: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                        "&quot;more&quot;\nline two.||");
    assert_string_equal(gh_notify_render(a, tpl, GH_NOTIFY_SUBJECT, vars, 3),
                        "App Shop: <script>alert('x')</script> & \"more\" line two.||");
    /* template text itself is never escaped; a lone "{{" stays as written */
    assert_string_equal(gh_notify_render(a, "<b>{{app_name}}</b> {{ {x", GH_NOTIFY_HTML, vars, 3),
                        "<b>Shop</b> {{ {x");
    assert_string_equal(gh_notify_render(a, "", GH_NOTIFY_TEXT, vars, 3), "");
}

static void test_check_placeholders(void **state)
{
    (void)state;
    char err[512];
    assert_true(gh_notify_template_check("app.access_status.red",
                                         "{{reason}} {{ app_name }} {{product}} {{recipient_name}}",
                                         err, sizeof err));
    assert_false(gh_notify_template_check("app.access_status.red", "{{token}}", err, sizeof err));
    assert_non_null(strstr(err, "unknown placeholder {{token}}"));
    assert_non_null(strstr(err, "reason")); /* the known ones are listed */
    assert_false(gh_notify_template_check("app.access_status.red", "a {{reason", err, sizeof err));
    assert_non_null(strstr(err, "}}"));
    assert_false(gh_notify_template_check("app.access_status.red", "{{}}", err, sizeof err));
    assert_false(gh_notify_template_check("no.such.event", "x", err, sizeof err));
    assert_non_null(strstr(err, "no.such.event"));
}

/* ---- override directory ----------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *content)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(remove(path), 0);
}

static void test_override_dir(void **state)
{
    (void)state;
    char *dir = gh_fixture_tempdir();
    assert_non_null(dir);
    char err[1024];
    write_file(dir, "app.access_status.red.subject", "Blocked: {{app_name}}\r\n");
    write_file(dir, "app.access_status.red.html", "<p>{{reason}}</p>");
    write_file(dir, "README", "not a template");
    write_file(dir, ".app.access_status.red.txt.swp", "{{bogus}}");
    struct gh_notify_templates *t = gh_notify_templates_load(dir, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    assert_string_equal(gh_notify_template(t, "app.access_status.red", GH_NOTIFY_SUBJECT),
                        "Blocked: {{app_name}}");
    assert_string_equal(gh_notify_template(t, "app.access_status.red", GH_NOTIFY_HTML),
                        "<p>{{reason}}</p>");
    /* what is not overridden stays the default */
    assert_ptr_equal(gh_notify_template(t, "app.access_status.red", GH_NOTIFY_TEXT),
                     gh_notify_template(NULL, "app.access_status.red", GH_NOTIFY_TEXT));
    assert_ptr_equal(gh_notify_template(t, "user.verify_email", GH_NOTIFY_SUBJECT),
                     gh_notify_template(NULL, "user.verify_email", GH_NOTIFY_SUBJECT));
    gh_notify_templates_free(t);

    /* refusals, each naming the file */
    static const struct {
        const char *name, *content, *expect;
    } bad[] = {
        {"app.access_status.red.txt", "{{token}}", "unknown placeholder {{token}}"},
        {"app.access_status.purple.txt", "x", "unknown event 'app.access_status.purple'"},
        {"user.verify_email.subject", "two\nlines", "one non-empty line"},
        {"user.verify_email.subject", "\n", "one non-empty line"},
        {"user.verify_email.txt", "bad \xff utf-8", "not UTF-8"},
        {"user.verify_email.html", "open {{link", "}}"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(dir, bad[i].name, bad[i].content);
        assert_null(gh_notify_templates_load(dir, err, sizeof err));
        if (!strstr(err, bad[i].expect) || !strstr(err, bad[i].name))
            fail_msg("%s: got '%s'", bad[i].name, err);
        remove_file(dir, bad[i].name);
    }
    /* a file that cannot be read (a directory by a template's name) */
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/app.api_key.created.txt", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_null(gh_notify_templates_load(dir, err, sizeof err));
    assert_non_null(strstr(err, "cannot read"));
    assert_int_equal(rmdir(sub), 0);
    /* a directory that does not exist */
    snprintf(sub, sizeof sub, "%s/nope", dir);
    assert_null(gh_notify_templates_load(sub, err, sizeof err));
    assert_non_null(strstr(err, "nope"));
    /* no directory: the defaults */
    t = gh_notify_templates_load(NULL, err, sizeof err);
    assert_non_null(t);
    assert_ptr_equal(gh_notify_template(t, "app.api_key.created", GH_NOTIFY_HTML),
                     gh_notify_template(NULL, "app.api_key.created", GH_NOTIFY_HTML));
    gh_notify_templates_free(t);
    assert_true(gh_fixture_rmtree(dir));
    free(dir);
}

/* ---- the expiring-key scan against a real store ------------------------------ */

struct env {
    struct gh_fixture_db db;
    struct gh_store *store;
    struct gh_arena *a;
    struct gh_portal portal;
};

static int setup_store(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    char err[256];
    if (!gh_fixture_db_init(&e->db))
        return -1;
    e->store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!e->store) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    e->a = gh_arena_new(4096);
    e->portal.store = e->store;
    e->portal.cfg.mail_from = "noreply@gatehouse.test";
    e->portal.cfg.public_url = "https://portal.test/";
    *state = e;
    return 0;
}

static int teardown_store(void **state)
{
    struct env *e = *state;
    gh_arena_free(e->a);
    gh_store_close(e->store);
    gh_fixture_db_done(&e->db);
    free(e);
    return 0;
}

static void seed(struct env *e)
{
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    static const char *const users[][3] = {{"usr_owner1", "owner1@partner.test", "Olga Owner"},
                                           {"usr_owner2", "OWNER2@partner.test", "Otto Owner"},
                                           {"usr_dev", "dev@partner.test", "Dora Dev"}};
    for (size_t i = 0; i < 3; i++) {
        struct gh_user u = {.id = (char *)users[i][0],
                            .email = (char *)users[i][1],
                            .name = (char *)users[i][2],
                            .created_at = 1,
                            .updated_at = 1};
        assert_int_equal(gh_store_user_insert(tx, &u), GH_STORE_OK);
    }
    struct gh_org org = {.id = "org_part",
                         .name = "Partner & Co",
                         .partner = true,
                         .responsible_email = "resp@partner.test",
                         .created_at = 1,
                         .updated_at = 1};
    assert_int_equal(gh_store_org_insert(tx, &org), GH_STORE_OK);
    struct gh_app app = {.id = "app_shop",
                         .org_id = "org_part",
                         .name = "Shop <1>",
                         .client_id = "shop",
                         .created_at = 1,
                         .updated_at = 1};
    assert_int_equal(gh_store_app_insert(tx, &app), GH_STORE_OK);
    static const struct {
        const char *user;
        enum gh_app_role role;
    } members[] = {
        {"usr_owner1", GH_APP_OWNER}, {"usr_owner2", GH_APP_OWNER}, {"usr_dev", GH_APP_DEVELOPER}};
    for (size_t i = 0; i < 3; i++) {
        struct gh_app_member m = {.app_id = "app_shop",
                                  .user_id = (char *)members[i].user,
                                  .role = members[i].role,
                                  .created_at = 1};
        assert_int_equal(gh_store_app_member_put(tx, &m), GH_STORE_OK);
    }
    static const struct {
        const char *id, *name, *hash;
        int64_t expires_at;
    } keys[] = {
        {"key_soon", "ci-key", "h1", NOW + 3 * DAY},    /* within 7 days: announced */
        {"key_late", "late-key", "h2", NOW + 30 * DAY}, /* not yet */
        {"key_gone", "old-key", "h3", NOW - 10},        /* expired already */
        {"key_never", "forever", "h4", 0},              /* never expires */
    };
    for (size_t i = 0; i < 4; i++) {
        struct gh_api_key k = {.id = (char *)keys[i].id,
                               .app_id = "app_shop",
                               .name = (char *)keys[i].name,
                               .key_hash = (char *)keys[i].hash,
                               .key_hint = "ghk_abcd",
                               .created_at = 1,
                               .expires_at = keys[i].expires_at};
        assert_int_equal(gh_store_api_key_insert(tx, &k), GH_STORE_OK);
    }
    struct gh_webhook w = {.id = "wh_part",
                           .org_id = "org_part",
                           .url = "https://hooks.partner.test/in",
                           .secret_enc = "sealed",
                           .enabled = true,
                           .created_at = 1};
    assert_int_equal(gh_store_webhook_insert(tx, &w), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static struct gh_outbox_msg *outbox(struct env *e, size_t *n)
{
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->store, GH_TX_READ, &tx), GH_STORE_OK);
    struct gh_outbox_msg *list;
    assert_int_equal(gh_store_outbox_list(tx, NULL, NULL, e->a, &list, n), GH_STORE_OK);
    gh_store_rollback(tx);
    return list;
}

static void test_scan_expiring_once(void **state)
{
    struct env *e = *state;
    seed(e);
    int notified = -1;
    assert_true(gh_notify_scan_expiring(&e->portal, NOW, &notified));
    assert_int_equal(notified, 1);
    size_t n;
    struct gh_outbox_msg *m = outbox(e, &n);
    assert_int_equal(n, 3); /* two OWNERs, one webhook */
    bool owner1 = false, owner2 = false, hook = false;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(m[i].event, "app.api_key.expiring");
        assert_string_equal(m[i].org_id, "org_part");
        if (m[i].channel == GH_OUTBOX_WEBHOOK) {
            hook = true;
            assert_string_equal(m[i].recipient, "wh_part");
            assert_non_null(strstr(m[i].body, "\"key_soon\""));
            assert_non_null(strstr(m[i].body, "\"ci-key\""));
            assert_null(strstr(m[i].body, "h1")); /* never the key's hash */
            continue;
        }
        owner1 |= strcmp(m[i].recipient, "owner1@partner.test") == 0;
        owner2 |= strcmp(m[i].recipient, "owner2@partner.test") == 0;
        assert_string_equal(m[i].subject, "API key expires in 3 days: ci-key of app Shop <1>");
        assert_non_null(strstr(m[i].body, "multipart/alternative"));
        assert_non_null(strstr(m[i].body, "Shop &lt;1&gt;")); /* HTML part escaped */
        assert_non_null(strstr(m[i].body, "Partner & Co"));   /* text part as is */
        assert_non_null(strstr(m[i].body, "key_soon"));
        assert_null(strstr(m[i].body, "late-key"));
    }
    assert_true(owner1 && owner2 && hook); /* the DEVELOPER and the responsible: not */

    /* once per key: a later scan finds nothing new */
    assert_true(gh_notify_scan_expiring(&e->portal, NOW + 60, &notified));
    assert_int_equal(notified, 0);
    outbox(e, &n);
    assert_int_equal(n, 3);
    /* the 30-day key is announced when it comes within 7 days */
    assert_true(gh_notify_scan_expiring(&e->portal, NOW + 24 * DAY, &notified));
    assert_int_equal(notified, 1);
    m = outbox(e, &n);
    assert_int_equal(n, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_complete_and_valid),
        cmocka_unit_test_setup_teardown(test_render_escapes_per_part, setup_arena, teardown_arena),
        cmocka_unit_test(test_check_placeholders),
        cmocka_unit_test(test_override_dir),
        cmocka_unit_test_setup_teardown(test_scan_expiring_once, setup_store, teardown_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
