/* People's credentials: logging in and out (POST / DELETE /api/v1/session),
 * the person's own view (GET /api/v1/me) and personal API tokens
 * (/api/v1/me/tokens).
 *
 * A session is a random cookie value ("ghs_…") the store keeps only as its
 * keyed hash, with a CSRF token the client sends back in X-CSRF-Token on
 * every state-changing request (call.c checks both).  Login answers the same
 * 401 for an unknown email as for a wrong password, after the same argon2
 * work, and is throttled per account and per client address. */
#include "portal/call.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/throttle.h"
#include "crypto/password.h"
#include "domain/id.h"
#include "domain/validate.h"

#define SESSION_COOKIE "gh_session"
#define SESSION_PREFIX "ghs_"
#define CSRF_PREFIX "ghcsrf_"
/* The longest personal-token lifetime when the server sets no limit: long
 * enough to mean "for good", short enough that now + days never overflows. */
#define TOKEN_DAYS_UNLIMITED 36500
#define WRONG_CREDENTIALS "email or password is wrong"

/* ---- POST /api/v1/session ------------------------------------------------- */

/* The longer of the two throttles' waits for this login, in milliseconds.
 * An unknown client address (empty) is not throttled by address: one shared
 * key would let anyone lock everybody out. */
static int64_t login_wait_ms(const struct gh_portal *p, const char *email, const char *addr,
                             int64_t now_ms)
{
    int64_t wait = 0;
    if (p->throttle_account)
        wait = gh_throttle_check(p->throttle_account, email, now_ms);
    if (p->throttle_addr && *addr) {
        int64_t w = gh_throttle_check(p->throttle_addr, addr, now_ms);
        if (w > wait)
            wait = w;
    }
    return wait;
}

static void login_failed(const struct gh_portal *p, const char *email, const char *addr)
{
    int64_t now_ms = gh_monotonic_ms();
    if (p->throttle_account)
        gh_throttle_fail(p->throttle_account, email, now_ms);
    if (p->throttle_addr && *addr)
        gh_throttle_fail(p->throttle_addr, addr, now_ms);
}

static void answer_throttled(struct gh_call *c, int64_t wait_ms)
{
    long long secs = (long long)gh_throttle_retry_after_secs(wait_ms);
    char value[24];
    snprintf(value, sizeof value, "%lld", secs);
    gh_resp_header(c->req, "Retry-After", value);
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_WARN, "portal.login_throttled")) {
        gh_log_str(&l, "client_addr", c->req->client_addr);
        gh_log_int(&l, "retry_after", secs);
        gh_log_end(&l);
    }
    gh_call_failf(c, 429, NULL, "too many failed logins; wait %lld s (Retry-After) and try again",
                  secs);
}

/* Reads the person with this (normalized) email in a read transaction of
 * its own.  false: answered (a store failure); *found tells whether
 * someone has the address. */
static bool login_lookup(struct gh_call *c, const char *email, struct gh_user *u, bool *found)
{
    enum gh_store_rc rc = gh_store_begin(c->p->store, GH_TX_READ, &c->tx);
    if (rc != GH_STORE_OK) {
        c->tx = NULL;
        gh_call_store_fail(c, rc, "transaction");
        return false;
    }
    rc = gh_store_user_by_email(c->tx, email, c->req->arena, u);
    if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(c, rc, "user");
        return false;
    }
    gh_store_rollback(c->tx);
    c->tx = NULL;
    *found = rc == GH_STORE_OK;
    return true;
}

static void set_session_cookie(struct gh_req *req, const char *value, bool clear)
{
    char *cookie =
        gh_arena_printf(req->arena, "%s=%s; Path=/;%s HttpOnly; SameSite=Lax%s", SESSION_COOKIE,
                        value, clear ? " Max-Age=0;" : "", req->tls ? "; Secure" : "");
    gh_resp_header(req, "Set-Cookie", cookie);
}

/* Stores a new session for u (verified, password checked) in a write
 * transaction, audits it and answers 200 with the Set-Cookie. */
static void login_create_session(struct gh_call *c, const struct gh_user *checked)
{
    struct gh_req *req = c->req;
    struct gh_portal *p = c->p;
    enum gh_store_rc rc = gh_store_begin(p->store, GH_TX_WRITE, &c->tx);
    if (rc != GH_STORE_OK) {
        c->tx = NULL;
        gh_call_store_fail(c, rc, "transaction");
        return;
    }
    c->tx_write = true;
    /* The password was checked outside this transaction: refuse if the
     * person went away or changed the password (a reset ends sessions) since. */
    struct gh_user u;
    rc = gh_store_user_get(c->tx, checked->id, req->arena, &u);
    if (rc == GH_STORE_NOT_FOUND ||
        (rc == GH_STORE_OK &&
         (!u.password_hash || strcmp(u.password_hash, checked->password_hash) != 0))) {
        gh_call_fail(c, 401, NULL, WRONG_CREDENTIALS);
        return;
    }
    if (rc == GH_STORE_OK)
        rc = gh_store_session_purge_expired(c->tx, c->now, NULL);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "session");
        return;
    }

    char cookie[GH_SECRET_SIZE(sizeof SESSION_PREFIX - 1)];
    char csrf[GH_SECRET_SIZE(sizeof CSRF_PREFIX - 1)];
    char hash[GH_SECRET_HASH_HEX_LEN + 1];
    gh_secret_generate(SESSION_PREFIX, cookie, sizeof cookie);
    gh_secret_generate(CSRF_PREFIX, csrf, sizeof csrf);
    gh_call_secret_hash(c, cookie, hash);
    struct gh_session s = {
        .id_hash = hash,
        .user_id = u.id,
        .csrf_token = csrf,
        .created_at = c->now,
        .last_seen_at = c->now,
        .expires_at = c->now + p->cfg.session_max_secs,
        .client_addr = req->client_addr,
    };
    rc = gh_store_session_insert(c->tx, &s);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "session");
        return;
    }

    /* From here the call acts as the person who just logged in. */
    c->who.actor = GH_ACTOR_SESSION;
    c->who.actor_id = u.id;
    c->who.has_user = true;
    c->who.user = u;
    json_t *changes = json_object();
    json_object_set_new(changes, "expires_at", gh_json_time(s.expires_at));
    if (!gh_call_audit(c, "session.create", "user", u.id, NULL, changes) || !gh_call_commit(c))
        return;

    set_session_cookie(req, cookie, false);
    json_t *out = json_object();
    json_object_set_new(out, "csrf_token", json_string(csrf));
    json_object_set_new(out, "expires_at", gh_json_time(s.expires_at));
    json_object_set_new(out, "user", gh_render_user(&u));
    gh_call_reply(c, 200, out);
}

static void h_session_create(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_BODY | GH_CALL_ANONYMOUS | GH_CALL_NO_TX))
        return;
    static const char *const allowed[] = {"email", "password", NULL};
    if (!gh_call_fields(&c, allowed))
        return;
    struct gh_json_error jerr = {0};
    char *email = NULL, *password = NULL;
    if (!gh_json_string(c.body, "email", GH_JSON_REQUIRED, 1, GH_EMAIL_MAX, req->arena, &email,
                        &jerr) ||
        !gh_json_string(c.body, "password", GH_JSON_REQUIRED, 1, GH_PASSWORD_MAX, req->arena,
                        &password, &jerr)) {
        gh_call_json_fail(&c, &jerr);
        return;
    }
    struct gh_field_error ferr = {0};
    if (!gh_validate_email("email", email, &ferr)) {
        gh_call_fail(&c, 422, ferr.field, ferr.message);
        return;
    }
    gh_email_normalize(email);
    size_t password_len = strlen(password);

    int64_t wait = login_wait_ms(c.p, email, req->client_addr, gh_monotonic_ms());
    if (wait > 0) {
        answer_throttled(&c, wait);
        return;
    }

    struct gh_user u;
    bool found = false;
    if (!login_lookup(&c, email, &u, &found))
        return;
    bool right;
    if (found && u.password_hash) {
        right = gh_password_verify(u.password_hash, password, password_len);
    } else {
        gh_password_burn(password, password_len); /* as long as a wrong password takes */
        right = false;
    }
    if (!right) {
        login_failed(c.p, email, req->client_addr);
        gh_call_fail(&c, 401, NULL, WRONG_CREDENTIALS);
        return;
    }
    if (c.p->throttle_account)
        gh_throttle_succeed(c.p->throttle_account, email);
    if (!u.email_verified_at) {
        gh_call_fail(&c, 403, "email",
                     "the email address is not verified yet: follow the link in the "
                     "verification mail first");
        return;
    }
    login_create_session(&c, &u);
}

/* ---- DELETE /api/v1/session ------------------------------------------------- */

static void h_session_delete(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE))
        return;
    if (c.who.actor != GH_ACTOR_SESSION) {
        gh_call_fail(&c, 403, NULL,
                     "only a session (the gh_session cookie) can log out; revoke a personal "
                     "token with DELETE /api/v1/me/tokens/{id}");
        return;
    }
    enum gh_store_rc rc = gh_store_session_delete(c.tx, c.who.session.id_hash);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "session");
        return;
    }
    if (!gh_call_audit(&c, "session.delete", "user", c.who.user.id, NULL, NULL) ||
        !gh_call_commit(&c))
        return;
    set_session_cookie(req, "", true);
    gh_call_reply_empty(&c, 204);
}

/* ---- GET /api/v1/me ------------------------------------------------------------ */

static void h_me(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_PERSON))
        return;
    struct gh_membership *ms = NULL;
    size_t n = 0;
    enum gh_store_rc rc =
        gh_store_membership_list_by_user(c.tx, c.who.user.id, NULL, req->arena, &ms, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "memberships");
        return;
    }
    json_t *orgs = json_array();
    for (size_t i = 0; i < n; i++) {
        struct gh_org org;
        rc = gh_store_org_get(c.tx, ms[i].org_id, req->arena, &org);
        if (rc == GH_STORE_NOT_FOUND)
            continue; /* memberships go with their org; nothing to show */
        if (rc != GH_STORE_OK) {
            json_decref(orgs);
            gh_call_store_fail(&c, rc, "organization");
            return;
        }
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(org.id));
        json_object_set_new(o, "name", json_string(org.name));
        json_object_set_new(o, "provider", json_boolean(org.provider));
        json_object_set_new(o, "partner", json_boolean(org.partner));
        json_object_set_new(o, "role", json_string(gh_org_role_name(ms[i].role)));
        json_array_append_new(orgs, o);
    }
    json_t *out = json_object();
    json_object_set_new(out, "user", gh_render_user(&c.who.user));
    json_object_set_new(out, "orgs", orgs);
    gh_call_reply(&c, 200, out);
}

/* ---- /api/v1/me/tokens ------------------------------------------------------------ */

/* A personal token as the API shows it: never its hash. */
static json_t *render_token(const struct gh_api_token *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(t->id));
    json_object_set_new(o, "name", json_string(t->name));
    json_object_set_new(o, "created_at", gh_json_time(t->created_at));
    json_object_set_new(o, "expires_at", gh_json_time(t->expires_at));
    json_object_set_new(o, "last_used_at", gh_json_time(t->last_used_at));
    return o;
}

/* A person has few tokens: the whole list is read and the page cut from it,
 * which also gives the total. */
static void h_tokens_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_PERSON))
        return;
    struct gh_page page;
    if (!gh_call_page(&c, &page))
        return;
    struct gh_api_token *ts = NULL;
    size_t n = 0;
    enum gh_store_rc rc =
        gh_store_api_token_list_by_user(c.tx, c.who.user.id, NULL, req->arena, &ts, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "tokens");
        return;
    }
    json_t *items = json_array();
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ts[i].kind != GH_TOKEN_KIND_PERSONAL)
            continue;
        if (total >= page.offset && total < page.offset + page.limit)
            json_array_append_new(items, render_token(&ts[i]));
        total++;
    }
    gh_call_reply_list(&c, items, total);
}

static void h_tokens_create(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_PERSON | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    static const char *const allowed[] = {"name", "expires_in_days", NULL};
    if (!gh_call_fields(&c, allowed))
        return;
    int64_t max_days = c.p->cfg.max_token_days > 0 ? c.p->cfg.max_token_days : TOKEN_DAYS_UNLIMITED;
    /* With a server limit, a token without expires_in_days gets the longest
     * lifetime allowed; without one it never expires. */
    int64_t days = c.p->cfg.max_token_days > 0 ? max_days : 0;
    struct gh_json_error jerr = {0};
    char *name = NULL;
    if (!gh_json_string(c.body, "name", GH_JSON_REQUIRED, 1, GH_IDENTIFIER_MAX, req->arena, &name,
                        &jerr) ||
        !gh_json_int64(c.body, "expires_in_days", GH_JSON_OPTIONAL, 1, max_days, &days, &jerr)) {
        gh_call_json_fail(&c, &jerr);
        return;
    }
    struct gh_field_error ferr = {0};
    if (!gh_validate_identifier("name", name, &ferr)) {
        gh_call_fail(&c, 422, ferr.field, ferr.message);
        return;
    }

    char secret[GH_SECRET_SIZE(sizeof GH_SECRET_PREFIX_PERSONAL_TOKEN - 1)];
    char hash[GH_SECRET_HASH_HEX_LEN + 1];
    gh_secret_generate(GH_SECRET_PREFIX_PERSONAL_TOKEN, secret, sizeof secret);
    gh_call_secret_hash(&c, secret, hash);
    struct gh_api_token t = {
        .id = gh_id_new(req->arena, GH_ID_API_TOKEN),
        .kind = GH_TOKEN_KIND_PERSONAL,
        .user_id = c.who.user.id,
        .name = name,
        .token_hash = hash,
        .created_at = c.now,
        .expires_at = days ? c.now + days * 86400 : 0,
    };
    enum gh_store_rc rc = gh_store_api_token_insert(c.tx, &t);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "token");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "name", json_string(name));
    json_object_set_new(changes, "expires_at", gh_json_time(t.expires_at));
    if (!gh_call_audit(&c, "personal_token.create", "personal_token", t.id, NULL, changes) ||
        !gh_call_commit(&c))
        return;
    json_t *out = render_token(&t);
    json_object_set_new(out, "token", json_string(secret));
    gh_call_reply(&c, 201, out);
}

static void h_tokens_delete(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_PERSON | GH_CALL_WRITE))
        return;
    struct gh_str param = gh_req_param(req, "id");
    char *id = gh_arena_strndup(req->arena, param.ptr, param.len);
    struct gh_api_token t;
    enum gh_store_rc rc = GH_STORE_NOT_FOUND;
    if (gh_id_valid(id, GH_ID_API_TOKEN))
        rc = gh_store_api_token_get(c.tx, id, req->arena, &t);
    /* Someone else's token, or an admin token, is not there for this caller. */
    if (rc == GH_STORE_OK &&
        (t.kind != GH_TOKEN_KIND_PERSONAL || !t.user_id || strcmp(t.user_id, c.who.user.id) != 0))
        rc = GH_STORE_NOT_FOUND;
    if (rc == GH_STORE_OK)
        rc = gh_store_api_token_delete(c.tx, id);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "token");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "name", json_string(t.name));
    if (!gh_call_audit(&c, "personal_token.delete", "personal_token", id, NULL, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

bool gh_portal_register_sessions(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_POST, "/api/v1/session", h_session_create, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/session", h_session_delete, p) &&
           gh_router_add(r, GH_GET, "/api/v1/me", h_me, p) &&
           gh_router_add(r, GH_GET, "/api/v1/me/tokens", h_tokens_list, p) &&
           gh_router_add(r, GH_POST, "/api/v1/me/tokens", h_tokens_create, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/me/tokens/{id}", h_tokens_delete, p);
}
