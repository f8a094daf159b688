/* Accounts: self-registration with a verified email, password reset, and
 * the platform admins' view of developers (seed 002: "API Developers need
 * to self-register … verified email"; "You can list, view or delete API
 * developer information here").
 *
 *   POST   /api/v1/register                 {email,password,name}  202
 *   POST   /api/v1/verify-email             {token}                200 user
 *   POST   /api/v1/password-reset           {email}                202
 *   POST   /api/v1/password-reset/confirm   {token,password}       200 user
 *   GET    /api/v1/developers?q=&page=&per_page=                    admins
 *   GET    /api/v1/developers/{id}                                  admins
 *   DELETE /api/v1/developers/{id}                                  admins
 *
 * No answer reveals whether an email is registered: registration and reset
 * requests answer the same whatever the address (registration spends the
 * same argon2 work either way, a reset waits for the same answer floor) and
 * tell the mailbox's owner what happened instead.  Mail-link tokens are
 * secrets (crypto/secret.h) stored only as their keyed hash, single use and
 * expiring.  Argon2 runs before the write transaction begins, so the
 * database's write lock is never held for a password hash. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/password.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "domain/id.h"
#include "domain/validate.h"
#include "portal/call.h"
#include "portal/notify.h"

#define VERIFY_TOKEN_PREFIX "ghv_"
#define RESET_TOKEN_PREFIX "ghr_"
#define MAIL_TOKEN_SIZE GH_SECRET_SIZE(4)
#define INVALID_TOKEN "invalid or expired token"
#define SEARCH_MAX GH_EMAIL_MAX /* characters of a developer search */
/* A password-reset request answers no sooner than this after it arrived,
 * registered address or not (wait_answer_floor). */
#define RESET_ANSWER_FLOOR_MS 100

/* ---- helpers -------------------------------------------------------------- */

/* A required string member; 422 naming it when absent or not a string.
 * Lengths are the validators' business (their messages are the clearer),
 * so only an upper bound that no valid value reaches is applied here. */
static bool body_string(struct gh_call *c, const char *name, size_t max_chars, char **out)
{
    struct gh_json_error err = {0};
    if (!gh_json_string(c->body, name, GH_JSON_REQUIRED, 0, max_chars, c->req->arena, out, &err)) {
        gh_call_json_fail(c, &err);
        return false;
    }
    return true;
}

static bool field_ok(struct gh_call *c, bool ok, const struct gh_field_error *err)
{
    if (!ok)
        gh_call_fail(c, 422, err->field, err->message);
    return ok;
}

/* public_url + path, without a doubled '/'. */
static const char *portal_link(struct gh_call *c, const char *path, const char *token)
{
    const char *base = c->p->cfg.public_url ? c->p->cfg.public_url : "";
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (token)
        return gh_arena_printf(c->req->arena, "%.*s%s?token=%s", (int)n, base, path, token);
    return gh_arena_printf(c->req->arena, "%.*s%s", (int)n, base, path);
}

/* Creates a single-use mail-link token for u and writes the secret (prefix
 * + 43 characters) into out; only its hash is stored. */
static bool new_user_token(struct gh_call *c, const struct gh_user *u,
                           enum gh_user_token_purpose purpose, const char *prefix, int64_t ttl,
                           char out[MAIL_TOKEN_SIZE])
{
    if (gh_secret_generate(prefix, out, MAIL_TOKEN_SIZE) == 0) {
        gh_call_fail(c, 500, NULL, "internal error: cannot generate a token");
        return false;
    }
    char hash[GH_SECRET_HASH_HEX_LEN + 1];
    gh_call_secret_hash(c, out, hash);
    struct gh_user_token t = {
        .token_hash = hash,
        .user_id = u->id,
        .purpose = purpose,
        .created_at = c->now,
        .expires_at = c->now + ttl,
    };
    enum gh_store_rc rc = gh_store_user_token_insert(c->tx, &t);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "token");
        return false;
    }
    return true;
}

/* Finds the unused, unexpired token of this purpose behind secret and its
 * user; anything else answers 400 "invalid or expired token" (field token)
 * without saying which check failed.  Marks it used when mark is set (a
 * write transaction): of two redemptions racing, one wins. */
static bool redeem_token(struct gh_call *c, const char *secret, enum gh_user_token_purpose purpose,
                         bool mark, struct gh_user *user)
{
    char hash[GH_SECRET_HASH_HEX_LEN + 1];
    gh_call_secret_hash(c, secret, hash);
    struct gh_user_token t;
    enum gh_store_rc rc = gh_store_user_token_get(c->tx, hash, c->req->arena, &t);
    if (rc == GH_STORE_OK && (t.purpose != purpose || t.used_at != 0 || t.expires_at <= c->now))
        rc = GH_STORE_NOT_FOUND;
    if (rc == GH_STORE_OK && mark) {
        rc = gh_store_user_token_mark_used(c->tx, hash, c->now);
        if (rc == GH_STORE_CONFLICT)
            rc = GH_STORE_NOT_FOUND;
    }
    if (rc == GH_STORE_OK)
        rc = gh_store_user_get(c->tx, t.user_id, c->req->arena, user);
    if (rc == GH_STORE_NOT_FOUND) {
        gh_call_fail(c, 400, "token", INVALID_TOKEN);
        return false;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "token");
        return false;
    }
    return true;
}

static json_t *status_body(const char *status)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(status));
    return o;
}

/* ---- registration ------------------------------------------------------------ */

static bool mail_verification(struct gh_call *c, const struct gh_user *u)
{
    char token[MAIL_TOKEN_SIZE];
    int64_t ttl = c->p->cfg.verify_token_secs;
    if (!new_user_token(c, u, GH_UTOKEN_VERIFY_EMAIL, VERIFY_TOKEN_PREFIX, ttl, token))
        return false;
    return gh_notify_user(c, "user.verify_email", u, portal_link(c, "/verify-email", token), token,
                          c->now + ttl, NULL);
}

/* The mail for a registration attempt with an address that already has an
 * account: it names the account's own name, never the one just sent. */
static bool mail_already_registered(struct gh_call *c, const struct gh_user *u)
{
    return gh_notify_user(
        c, "user.register_existing", u, portal_link(c, "/password-reset", NULL), NULL, 0,
        u->email_verified_at ? ""
                             : "Your address is not confirmed yet; choosing a new password "
                               "confirms it too.\n\n");
}

/* One attempt at the registration's writes.  *conflict is set when another
 * registration took the address between lookup and insert (possible on
 * engines that do not serialize writers); the caller retries once. */
static bool register_writes(struct gh_call *c, const char *email, const char *name, const char *phc,
                            bool *conflict)
{
    struct gh_user existing;
    enum gh_store_rc rc = gh_store_user_by_email(c->tx, email, c->req->arena, &existing);
    if (rc == GH_STORE_OK) /* nothing changes; the audit shows the attempt */
        return mail_already_registered(c, &existing) &&
               gh_call_audit(c, "user.register_existing", "user", existing.id, NULL, NULL);
    if (rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(c, rc, "user");
        return false;
    }
    struct gh_user u = {
        .id = gh_id_new(c->req->arena, GH_ID_USER),
        .email = (char *)email,
        .name = (char *)name,
        .password_hash = (char *)phc,
        .created_at = c->now,
        .updated_at = c->now,
    };
    rc = gh_store_user_insert(c->tx, &u);
    if (rc == GH_STORE_CONFLICT) {
        *conflict = true;
        return false;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "user");
        return false;
    }
    if (!mail_verification(c, &u))
        return false;
    json_t *changes = json_object();
    json_object_set_new(changes, "email", json_string(email));
    json_object_set_new(changes, "name", json_string(name));
    return gh_call_audit(c, "user.register", "user", u.id, NULL, changes);
}

static void h_register(struct gh_req *req)
{
    static const char *const fields[] = {"email", "password", "name", NULL};
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_BODY | GH_CALL_ANONYMOUS) || !gh_call_fields(&c, fields))
        return;
    char *email, *password, *name;
    if (!body_string(&c, "email", 4 * GH_EMAIL_MAX, &email) ||
        !body_string(&c, "password", GH_PASSWORD_MAX, &password) ||
        !body_string(&c, "name", 4 * GH_NAME_MAX, &name))
        return;
    email = gh_str_trim(email);
    name = gh_str_trim(name);
    struct gh_field_error err = {0};
    if (!field_ok(&c, gh_validate_email("email", email, &err), &err))
        return;
    gh_email_normalize(email);
    if (!field_ok(&c, gh_validate_password("password", password, email, &err), &err) ||
        !field_ok(&c, gh_validate_person_name("name", name, &err), &err))
        return;

    /* Hashed whether or not the address is taken: both answers take as long. */
    char phc[GH_PASSWORD_PHC_SIZE];
    if (!gh_password_hash(password, strlen(password), phc, sizeof phc)) {
        gh_call_fail(&c, 500, NULL, "internal error: cannot hash the password");
        return;
    }
    for (int attempt = 0;; attempt++) {
        if (!gh_call_reopen(&c, GH_TX_WRITE))
            return;
        bool conflict = false;
        if (register_writes(&c, email, name, phc, &conflict))
            break;
        if (!conflict)
            return; /* answered */
        if (attempt == 1) {
            gh_call_store_fail(&c, GH_STORE_CONFLICT, "user");
            return;
        }
    }
    if (gh_call_commit(&c))
        gh_call_reply(&c, 202, status_body("verification mail sent"));
}

static void h_verify_email(struct gh_req *req)
{
    static const char *const fields[] = {"token", NULL};
    struct gh_call c;
    char *token;
    struct gh_user u;
    if (!gh_call_begin(&c, req, GH_CALL_BODY | GH_CALL_ANONYMOUS | GH_CALL_WRITE) ||
        !gh_call_fields(&c, fields) || !body_string(&c, "token", 1024, &token) ||
        !redeem_token(&c, token, GH_UTOKEN_VERIFY_EMAIL, true, &u))
        return;
    json_t *changes = json_object();
    if (u.email_verified_at == 0) {
        u.email_verified_at = c.now;
        u.updated_at = c.now;
        enum gh_store_rc rc = gh_store_user_update(c.tx, &u);
        if (rc != GH_STORE_OK) {
            json_decref(changes);
            gh_call_store_fail(&c, rc, "user");
            return;
        }
        json_object_set_new(changes, "email_verified", json_true());
    }
    if (gh_call_audit(&c, "user.verify_email", "user", u.id, NULL, changes) && gh_call_commit(&c))
        gh_call_reply(&c, 200, gh_render_user(&u));
}

/* ---- password reset ------------------------------------------------------------ */

static bool mail_reset(struct gh_call *c, const struct gh_user *u)
{
    char token[MAIL_TOKEN_SIZE];
    int64_t ttl = c->p->cfg.reset_token_secs;
    if (!new_user_token(c, u, GH_UTOKEN_PASSWORD_RESET, RESET_TOKEN_PREFIX, ttl, token))
        return false;
    return gh_notify_user(c, "user.password_reset", u, portal_link(c, "/password-reset", token),
                          token, c->now + ttl, NULL);
}

/* Sleeps until RESET_ANSWER_FLOOR_MS after start_ns.  A reset request for
 * a registered address writes a token, a mail and an audit event; one for
 * an unknown address writes nothing and would answer measurably sooner. */
static void wait_answer_floor(int64_t start_ns)
{
    int64_t until = start_ns + (int64_t)RESET_ANSWER_FLOOR_MS * 1000000;
    struct timespec ts = {.tv_sec = (time_t)(until / 1000000000), .tv_nsec = until % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void h_password_reset(struct gh_req *req)
{
    static const char *const fields[] = {"email", NULL};
    int64_t start_ns = gh_monotonic_ns();
    struct gh_call c;
    char *email;
    if (!gh_call_begin(&c, req, GH_CALL_BODY | GH_CALL_ANONYMOUS | GH_CALL_WRITE) ||
        !gh_call_fields(&c, fields) || !body_string(&c, "email", 4 * GH_EMAIL_MAX, &email))
        return;
    email = gh_str_trim(email);
    struct gh_field_error err = {0};
    if (!field_ok(&c, gh_validate_email("email", email, &err), &err))
        return;
    gh_email_normalize(email);

    struct gh_user u;
    enum gh_store_rc rc = gh_store_user_by_email(c.tx, email, req->arena, &u);
    if (rc == GH_STORE_OK) {
        if (!mail_reset(&c, &u) ||
            !gh_call_audit(&c, "user.password_reset_request", "user", u.id, NULL, NULL))
            return;
    } else if (rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(&c, rc, "user");
        return;
    }
    if (!gh_call_commit(&c))
        return;
    wait_answer_floor(start_ns);
    gh_call_reply(&c, 202, status_body("reset mail sent if the address is registered"));
}

static void h_password_reset_confirm(struct gh_req *req)
{
    static const char *const fields[] = {"token", "password", NULL};
    struct gh_call c;
    char *token, *password;
    struct gh_user u;
    /* Checked without using it up first, so that a refused password leaves
     * the link working. */
    if (!gh_call_begin(&c, req, GH_CALL_BODY | GH_CALL_ANONYMOUS) || !gh_call_fields(&c, fields) ||
        !body_string(&c, "token", 1024, &token) ||
        !body_string(&c, "password", GH_PASSWORD_MAX, &password) ||
        !redeem_token(&c, token, GH_UTOKEN_PASSWORD_RESET, false, &u))
        return;
    struct gh_field_error err = {0};
    if (!field_ok(&c, gh_validate_password("password", password, u.email, &err), &err))
        return;
    char phc[GH_PASSWORD_PHC_SIZE];
    if (!gh_password_hash(password, strlen(password), phc, sizeof phc)) {
        gh_call_fail(&c, 500, NULL, "internal error: cannot hash the password");
        return;
    }
    if (!gh_call_reopen(&c, GH_TX_WRITE) ||
        !redeem_token(&c, token, GH_UTOKEN_PASSWORD_RESET, true, &u))
        return;
    json_t *changes = json_object();
    json_object_set_new(changes, "password", json_string("changed"));
    if (u.email_verified_at == 0) {
        u.email_verified_at = c.now; /* the link proved the mailbox is theirs */
        json_object_set_new(changes, "email_verified", json_true());
    }
    u.password_hash = phc;
    u.updated_at = c.now;
    int64_t ended = 0;
    enum gh_store_rc rc = gh_store_user_update(c.tx, &u);
    if (rc == GH_STORE_OK)
        rc = gh_store_session_delete_by_user(c.tx, u.id, &ended);
    if (rc != GH_STORE_OK) {
        json_decref(changes);
        gh_call_store_fail(&c, rc, "user");
        return;
    }
    json_object_set_new(changes, "sessions_ended", json_integer(ended));
    if (gh_call_audit(&c, "user.password_reset", "user", u.id, NULL, changes) && gh_call_commit(&c))
        gh_call_reply(&c, 200, gh_render_user(&u));
}

/* ---- developers (platform admins) ---------------------------------------------- */

static void h_developers_list(struct gh_req *req)
{
    struct gh_call c;
    struct gh_page page;
    bool bad = false;
    if (!gh_call_begin(&c, req, GH_CALL_ADMIN))
        return;
    const char *q = gh_call_query(&c, "q", &bad);
    if (bad || !gh_call_page(&c, &page))
        return;
    struct gh_field_error err = {0};
    if (q && !field_ok(&c, gh_validate_text("q", q, 0, SEARCH_MAX, false, &err), &err))
        return;
    struct gh_user *users = NULL;
    size_t n = 0;
    int64_t total = 0;
    enum gh_store_rc rc = gh_store_user_count(c.tx, q, &total);
    if (rc == GH_STORE_OK)
        rc = gh_store_user_search(c.tx, q, &page, req->arena, &users, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "developers");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, gh_render_user(&users[i]));
    gh_call_reply_list(&c, items, total);
}

/* The developer named by the path, or 404 (also for a malformed id). */
static bool path_developer(struct gh_call *c, struct gh_user *u)
{
    struct gh_str p = gh_req_param(c->req, "id");
    char *id = gh_arena_strndup(c->req->arena, p.ptr, p.len);
    enum gh_store_rc rc = gh_id_valid(id, GH_ID_USER)
                              ? gh_store_user_get(c->tx, id, c->req->arena, u)
                              : GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "developer");
        return false;
    }
    return true;
}

static void h_developer_get(struct gh_req *req)
{
    struct gh_call c;
    struct gh_user u;
    if (!gh_call_begin(&c, req, GH_CALL_ADMIN) || !path_developer(&c, &u))
        return;
    gh_call_reply(&c, 200, gh_render_user(&u));
}

/* Refuses (409) when u is the only ADMIN of an org: the org would be left
 * without anyone who can manage it.  Otherwise fills *org_ids with the orgs
 * u leaves. */
static bool check_last_admin(struct gh_call *c, const struct gh_user *u, json_t **org_ids)
{
    struct gh_membership *ms = NULL;
    size_t n = 0;
    enum gh_store_rc rc =
        gh_store_membership_list_by_user(c->tx, u->id, NULL, c->req->arena, &ms, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "memberships");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (ms[i].role != GH_ORG_ADMIN)
            continue;
        int64_t admins = 0;
        rc = gh_store_membership_count_admins(c->tx, ms[i].org_id, &admins);
        if (rc != GH_STORE_OK) {
            gh_call_store_fail(c, rc, "memberships");
            return false;
        }
        if (admins <= 1) {
            struct gh_org org;
            rc = gh_store_org_get(c->tx, ms[i].org_id, c->req->arena, &org);
            if (rc != GH_STORE_OK) {
                gh_call_store_fail(c, rc, "organization");
                return false;
            }
            gh_call_failf(c, 409, NULL,
                          "%s is the last ADMIN of organization '%s' (%s); make someone else "
                          "ADMIN first, or delete the organization",
                          u->email, org.name, org.id);
            return false;
        }
    }
    *org_ids = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(*org_ids, json_string(ms[i].org_id));
    return true;
}

static void h_developer_delete(struct gh_req *req)
{
    struct gh_call c;
    struct gh_user u;
    json_t *orgs = NULL;
    if (!gh_call_begin(&c, req, GH_CALL_ADMIN | GH_CALL_WRITE) || !path_developer(&c, &u) ||
        !check_last_admin(&c, &u, &orgs))
        return;
    enum gh_store_rc rc = gh_store_user_delete(c.tx, u.id);
    if (rc != GH_STORE_OK) {
        json_decref(orgs);
        gh_call_store_fail(&c, rc, "developer");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "email", json_string(u.email));
    json_object_set_new(changes, "name", json_string(u.name));
    json_object_set_new(changes, "orgs", orgs);
    if (gh_call_audit(&c, "user.delete", "user", u.id, NULL, changes) && gh_call_commit(&c))
        gh_call_reply_empty(&c, 204);
}

/* ---- routes ----------------------------------------------------------------------- */

bool gh_portal_register_accounts(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_POST, "/api/v1/register", h_register, p) &&
           gh_router_add(r, GH_POST, "/api/v1/verify-email", h_verify_email, p) &&
           gh_router_add(r, GH_POST, "/api/v1/password-reset", h_password_reset, p) &&
           gh_router_add(r, GH_POST, "/api/v1/password-reset/confirm", h_password_reset_confirm,
                         p) &&
           gh_router_add(r, GH_GET, "/api/v1/developers", h_developers_list, p) &&
           gh_router_add(r, GH_GET, "/api/v1/developers/{id}", h_developer_get, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/developers/{id}", h_developer_delete, p);
}
