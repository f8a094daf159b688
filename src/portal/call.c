#include "portal/call.h"
#include "core/log.h"
#include "crypto/hash.h"
#include "domain/id.h"
#include "portal/mailer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SESSION_COOKIE "gh_session"
/* last_seen / last_used are written at most this often per credential, so
 * reads stay reads. */
#define TOUCH_EVERY_SECS 60
#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX 100

/* ---- ending a call ------------------------------------------------------- */

static void release(struct gh_call *c)
{
    if (c->tx) {
        gh_store_rollback(c->tx);
        c->tx = NULL;
    }
    if (c->body) {
        json_decref(c->body);
        c->body = NULL;
    }
}

void gh_call_fail(struct gh_call *c, int status, const char *field, const char *message)
{
    release(c);
    if (status == 401)
        gh_resp_header(c->req, "WWW-Authenticate", "Bearer realm=\"gatehouse\"");
    gh_resp_error(c->req, status, field, message);
}

void gh_call_failf(struct gh_call *c, int status, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gh_call_fail(c, status, field, msg);
}

void gh_call_store_fail(struct gh_call *c, enum gh_store_rc rc, const char *what)
{
    switch (rc) {
    case GH_STORE_NOT_FOUND:
        gh_call_failf(c, 404, NULL, "%s not found", what);
        return;
    case GH_STORE_CONFLICT:
        gh_call_failf(c, 409, NULL, "%s conflicts with an existing one", what);
        return;
    case GH_STORE_BUSY:
        gh_resp_header(c->req, "Retry-After", "1");
        gh_call_fail(c, 503, NULL, "the database is busy; try again");
        return;
    default: {
        struct gh_log_line l;
        if (gh_log_begin(&l, GH_LOG_ERROR, "portal.store_error")) {
            gh_log_str(&l, "object", what);
            gh_log_str(&l, "error", c->tx ? gh_store_tx_error(c->tx) : gh_store_rc_name(rc));
            gh_log_end(&l);
        }
        gh_call_fail(c, 500, NULL, "internal error: the database refused the operation");
        return;
    }
    }
}

bool gh_call_commit(struct gh_call *c)
{
    struct gh_tx *tx = c->tx;
    c->tx = NULL;
    enum gh_store_rc rc = gh_store_commit(tx);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "the change");
        return false;
    }
    if (c->queued_mail && c->p->mailer)
        gh_mailer_nudge(c->p->mailer);
    return true;
}

static void send_json(struct gh_call *c, int status, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(obj);
    if (!text) {
        gh_resp_error(c->req, 500, NULL, "internal error: cannot render the answer");
        return;
    }
    size_t n = strlen(text);
    char *copy = gh_arena_memdup(c->req->arena, text, n + 1);
    free(text);
    gh_resp_header(c->req, "Cache-Control", "no-store");
    gh_resp_send(c->req, status, "application/json", copy, n);
}

void gh_call_reply(struct gh_call *c, int status, json_t *obj)
{
    release(c);
    send_json(c, status, obj);
}

void gh_call_reply_empty(struct gh_call *c, int status)
{
    release(c);
    gh_resp_header(c->req, "Cache-Control", "no-store");
    gh_resp_empty(c->req, status);
}

/* The request's query without page and per_page, re-encoded as received. */
static void query_without_paging(struct gh_call *c, struct gh_buf *b)
{
    struct gh_str q = c->req->query;
    size_t i = 0;
    while (i < q.len) {
        size_t j = i;
        while (j < q.len && q.ptr[j] != '&')
            j++;
        struct gh_str part = gh_str_n(q.ptr + i, j - i);
        bool paging = (part.len >= 5 && memcmp(part.ptr, "page=", 5) == 0) ||
                      (part.len >= 9 && memcmp(part.ptr, "per_page=", 9) == 0);
        if (part.len && !paging) {
            gh_buf_put(b, part.ptr, part.len);
            gh_buf_putc(b, '&');
        }
        i = j + 1;
    }
}

void gh_call_reply_list(struct gh_call *c, json_t *items, int64_t total)
{
    if (c->page > 0 && c->page * c->per_page < total) {
        struct gh_buf b;
        gh_buf_init(&b, c->req->arena, 256);
        gh_buf_putc(&b, '<');
        gh_buf_put(&b, c->req->path.ptr, c->req->path.len);
        gh_buf_putc(&b, '?');
        query_without_paging(c, &b);
        gh_buf_printf(&b, "page=%lld&per_page=%lld>; rel=\"next\"", (long long)c->page + 1,
                      (long long)c->per_page);
        gh_buf_putc(&b, '\0');
        gh_resp_header(c->req, "Link", b.data);
    }
    json_t *env = json_object();
    json_object_set_new(env, "items", items);
    json_object_set_new(env, "page", json_integer(c->page > 0 ? c->page : 1));
    json_object_set_new(env, "per_page", json_integer(c->per_page > 0 ? c->per_page : total));
    json_object_set_new(env, "total", json_integer(total));
    gh_call_reply(c, 200, env);
}

/* ---- request input -------------------------------------------------------- */

bool gh_call_fields(struct gh_call *c, const char *const allowed[])
{
    struct gh_json_error err = {0};
    if (gh_json_check_fields(c->body, allowed, &err))
        return true;
    /* copy: err.field points into the body the failure frees */
    const char *field = err.field ? gh_arena_strdup(c->req->arena, err.field) : NULL;
    gh_call_fail(c, 400, field, err.message);
    return false;
}

void gh_call_json_fail(struct gh_call *c, const struct gh_json_error *err)
{
    /* copy: err->field may point into the body the failure frees */
    const char *field = err->field ? gh_arena_strdup(c->req->arena, err->field) : NULL;
    gh_call_fail(c, 422, field, err->message);
}

bool gh_call_text_member(struct gh_call *c, const json_t *obj, const char *name, const char *field,
                         bool *present, char **out)
{
    json_t *v = json_object_get(obj, name);
    *present = v != NULL;
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v)) {
        gh_call_failf(c, 422, field, "'%s' must be a string or null", field);
        return false;
    }
    *out =
        gh_str_trim(gh_arena_strndup(c->req->arena, json_string_value(v), json_string_length(v)));
    return true;
}

bool gh_call_bool_member(struct gh_call *c, const json_t *obj, const char *name, bool *present,
                         bool *out)
{
    json_t *v = json_object_get(obj, name);
    *present = v != NULL;
    if (!v)
        return true;
    if (!json_is_boolean(v)) {
        gh_call_failf(c, 422, name, "'%s' must be true or false", name);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

bool gh_call_strings(struct gh_call *c, const json_t *v, const char *name, size_t max,
                     struct gh_strlist *out)
{
    if (!json_is_array(v)) {
        gh_call_failf(c, 422, name, "'%s' must be an array of strings", name);
        return false;
    }
    size_t n = json_array_size(v);
    if (n > max) {
        gh_call_failf(c, 422, name, "'%s' must have at most %zu entries", name, max);
        return false;
    }
    char **items = n ? gh_arena_calloc(c->req->arena, n, sizeof *items) : NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            gh_call_failf(c, 422, name, "'%s' entry %zu must be a string", name, i + 1);
            return false;
        }
        items[i] = gh_arena_strndup(c->req->arena, json_string_value(e), json_string_length(e));
    }
    out->n = n;
    out->items = items;
    return true;
}

const char *gh_call_query(struct gh_call *c, const char *name, bool *bad)
{
    if (!c->query_parsed) {
        struct gh_form_error err = {0};
        if (!gh_form_parse(c->req->arena, c->req->query.ptr, c->req->query.len, GH_FORM_MAX_PAIRS,
                           &c->query, &err)) {
            gh_call_fail(c, 400, err.field, err.message);
            *bad = true;
            return NULL;
        }
        c->query_parsed = true;
    }
    if (gh_form_count(&c->query, name) > 1) {
        gh_call_failf(c, 400, name, "query parameter '%s' is repeated", name);
        *bad = true;
        return NULL;
    }
    return gh_form_get_cstr(&c->query, name);
}

static bool query_int(struct gh_call *c, const char *name, int64_t min, int64_t max, int64_t *out)
{
    bool bad = false;
    const char *s = gh_call_query(c, name, &bad);
    if (bad)
        return false;
    if (!s)
        return true;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < min || v > max) {
        gh_call_failf(c, 422, name, "%s must be an integer from %lld to %lld", name, (long long)min,
                      (long long)max);
        return false;
    }
    *out = v;
    return true;
}

bool gh_call_page(struct gh_call *c, struct gh_page *page)
{
    c->page = 1;
    c->per_page = PER_PAGE_DEFAULT;
    if (!query_int(c, "page", 1, 1000000, &c->page) ||
        !query_int(c, "per_page", 1, PER_PAGE_MAX, &c->per_page))
        return false;
    page->offset = (c->page - 1) * c->per_page;
    page->limit = c->per_page;
    return true;
}

/* ---- authentication ----------------------------------------------------- */

void gh_call_secret_hash(const struct gh_call *c, const char *secret,
                         char hex[GH_SECRET_HASH_HEX_LEN + 1])
{
    gh_secret_hash(c->p->key, c->p->key_len, secret, strlen(secret), hex);
}

/* The value of cookie name in the Cookie header, copied into the arena. */
static char *cookie_value(struct gh_req *req, const char *name)
{
    const char *h = gh_req_header(req, "Cookie");
    size_t nlen = strlen(name);
    while (h && *h) {
        while (*h == ' ' || *h == ';')
            h++;
        const char *end = strchr(h, ';');
        size_t len = end ? (size_t)(end - h) : strlen(h);
        if (len > nlen && h[nlen] == '=' && memcmp(h, name, nlen) == 0)
            return gh_arena_strndup(req->arena, h + nlen + 1, len - nlen - 1);
        h = end;
    }
    return NULL;
}

static bool state_changing(const struct gh_req *req)
{
    return !(req->method == GH_GET || req->method == GH_HEAD || req->method == GH_OPTIONS);
}

/* Writes last-seen / last-used times.  Inside a write call it joins the
 * call's transaction; a read call holds only a read transaction, so a short
 * write transaction of its own cannot deadlock with it. */
static void touch_credential(struct gh_call *c, bool session, const char *key)
{
    struct gh_tx *tx = c->tx;
    bool own = !c->tx_write;
    if (own && gh_store_begin(c->p->store, GH_TX_WRITE, &tx) != GH_STORE_OK)
        return; /* only bookkeeping: never fail a call for it */
    enum gh_store_rc rc = session ? gh_store_session_touch(tx, key, c->now)
                                  : gh_store_api_token_touch_last_used(tx, key, c->now);
    if (own) {
        if (rc == GH_STORE_OK)
            gh_store_commit(tx);
        else
            gh_store_rollback(tx);
    }
}

static bool load_person(struct gh_call *c, const char *user_id)
{
    enum gh_store_rc rc = gh_store_user_get(c->tx, user_id, c->req->arena, &c->who.user);
    if (rc != GH_STORE_OK)
        return false;
    c->who.has_user = true;
    c->who.platform_admin = c->who.user.platform_admin;
    return true;
}

/* Resolves the caller's credentials into c->who.  Returns false after
 * answering 401/403 for credentials that are present but not good. */
static bool authenticate(struct gh_call *c)
{
    struct gh_req *req = c->req;
    const char *auth = gh_req_header(req, "Authorization");
    if (auth) {
        if (strncasecmp(auth, "Bearer ", 7) != 0) {
            gh_call_fail(c, 401, NULL, "the Authorization header must be 'Bearer <token>'");
            return false;
        }
        const char *token = auth + 7;
        while (*token == ' ')
            token++;
        bool admin = strncmp(token, "ghadm_", 6) == 0;
        bool personal = strncmp(token, GH_SECRET_PREFIX_PERSONAL_TOKEN, 5) == 0;
        char hash[GH_SECRET_HASH_HEX_LEN + 1];
        struct gh_api_token t;
        enum gh_store_rc rc = GH_STORE_NOT_FOUND;
        if (admin || personal) {
            gh_call_secret_hash(c, token, hash);
            rc = gh_store_api_token_by_hash(c->tx, hash, req->arena, &t);
        }
        if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
            gh_call_store_fail(c, rc, "token");
            return false;
        }
        if (rc == GH_STORE_NOT_FOUND || (t.kind == GH_TOKEN_KIND_ADMIN) != admin ||
            (t.expires_at && t.expires_at <= c->now)) {
            gh_call_fail(c, 401, NULL,
                         "the bearer token is not valid (unknown, revoked or expired)");
            return false;
        }
        if (admin) {
            c->who.actor = GH_ACTOR_ADMIN_TOKEN;
            c->who.platform_admin = true;
        } else {
            if (!t.user_id || !load_person(c, t.user_id)) {
                gh_call_fail(c, 401, NULL,
                             "the bearer token is not valid (unknown, revoked or expired)");
                return false;
            }
            c->who.actor = GH_ACTOR_PERSONAL_TOKEN;
        }
        c->who.actor_id = t.id;
        if (c->now - t.last_used_at >= TOUCH_EVERY_SECS)
            touch_credential(c, false, t.id);
        return true;
    }

    char *cookie = cookie_value(req, SESSION_COOKIE);
    if (!cookie)
        return true; /* anonymous */
    char hash[GH_SECRET_HASH_HEX_LEN + 1];
    gh_call_secret_hash(c, cookie, hash);
    struct gh_session *s = &c->who.session;
    enum gh_store_rc rc = gh_store_session_get(c->tx, hash, req->arena, s);
    if (rc == GH_STORE_NOT_FOUND ||
        (rc == GH_STORE_OK &&
         (s->expires_at <= c->now || c->now - s->last_seen_at > c->p->cfg.session_idle_secs))) {
        gh_call_fail(c, 401, NULL, "the session has ended; log in again");
        return false;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "session");
        return false;
    }
    if (state_changing(req)) {
        const char *csrf = gh_req_header(req, "X-CSRF-Token");
        size_t n = strlen(s->csrf_token);
        if (!csrf || strlen(csrf) != n || !gh_ct_equal(csrf, s->csrf_token, n)) {
            gh_call_fail(
                c, 403, NULL,
                "missing or wrong X-CSRF-Token header (the csrf_token from POST /api/v1/session)");
            return false;
        }
    }
    if (!load_person(c, s->user_id)) {
        gh_call_fail(c, 401, NULL, "the session has ended; log in again");
        return false;
    }
    c->who.actor = GH_ACTOR_SESSION;
    c->who.actor_id = c->who.user.id;
    /* a short idle limit needs fresher last-seen times */
    int64_t every = c->p->cfg.session_idle_secs / 2;
    if (every > TOUCH_EVERY_SECS)
        every = TOUCH_EVERY_SECS;
    if (c->now - s->last_seen_at >= every)
        touch_credential(c, true, s->id_hash);
    return true;
}

bool gh_call_begin(struct gh_call *c, struct gh_req *req, unsigned flags)
{
    memset(c, 0, sizeof *c);
    c->req = req;
    c->p = req->route->ctx;
    c->now = (int64_t)time(NULL);
    if (flags & GH_CALL_BODY) {
        struct gh_str mt = gh_req_media_type(req);
        if (!gh_str_eq(mt, GH_STR("application/json"))) {
            gh_call_fail(c, 415, NULL,
                         "the request body must be JSON (Content-Type: application/json)");
            return false;
        }
        struct gh_json_error err = {0};
        c->body = gh_json_parse_object(req->body.ptr, req->body.len, &err);
        if (!c->body) {
            gh_call_fail(c, 400, err.field, err.message);
            return false;
        }
    }
    if (!(flags & GH_CALL_NO_TX) &&
        !gh_call_reopen(c, (flags & GH_CALL_WRITE) ? GH_TX_WRITE : GH_TX_READ))
        return false;
    if (flags & GH_CALL_ANONYMOUS)
        return true;
    if (!authenticate(c))
        return false;
    if ((flags & (GH_CALL_AUTH | GH_CALL_PERSON | GH_CALL_ADMIN)) &&
        c->who.actor == GH_ACTOR_NONE) {
        gh_call_fail(c, 401, NULL,
                     "authentication required: a bearer token or a session (POST /api/v1/session)");
        return false;
    }
    if ((flags & GH_CALL_PERSON) && !c->who.has_user) {
        gh_call_fail(c, 403, NULL,
                     "only a person can do this (log in, or use a personal API token)");
        return false;
    }
    if ((flags & GH_CALL_ADMIN) && !c->who.platform_admin) {
        gh_call_fail(c, 403, NULL, "only platform admins can do this");
        return false;
    }
    return true;
}

bool gh_call_reopen(struct gh_call *c, enum gh_tx_mode mode)
{
    if (c->tx) {
        gh_store_rollback(c->tx);
        c->tx = NULL;
    }
    c->tx_write = mode == GH_TX_WRITE;
    enum gh_store_rc rc = gh_store_begin(c->p->store, mode, &c->tx);
    if (rc != GH_STORE_OK) {
        c->tx = NULL;
        gh_call_store_fail(c, rc, "transaction");
        return false;
    }
    return true;
}

/* ---- permissions ---------------------------------------------------------- */

bool gh_call_org_role(struct gh_call *c, const char *org_id, enum gh_org_role *role)
{
    if (!c->who.has_user)
        return false;
    struct gh_membership m;
    if (gh_store_membership_get(c->tx, org_id, c->who.user.id, c->req->arena, &m) != GH_STORE_OK)
        return false;
    *role = m.role;
    return true;
}

bool gh_call_visible_org(struct gh_call *c, struct gh_str id, struct gh_org *org,
                         enum gh_org_role *role)
{
    char *oid = gh_arena_strndup(c->req->arena, id.ptr, id.len);
    enum gh_org_role r = GH_ORG_ADMIN;
    bool member = gh_call_org_role(c, oid, &r);
    if (!gh_id_valid(oid, GH_ID_ORG) || (!member && !c->who.platform_admin)) {
        gh_call_fail(c, 404, NULL, "organization not found");
        return false;
    }
    if (!member)
        r = GH_ORG_ADMIN; /* a platform admin acts as the org's ADMIN */
    enum gh_store_rc rc = gh_store_org_get(c->tx, oid, c->req->arena, org);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "organization");
        return false;
    }
    if (role)
        *role = r;
    return true;
}

bool gh_call_visible_app(struct gh_call *c, struct gh_str id, struct gh_app *app,
                         enum gh_app_role *role)
{
    char *aid = gh_arena_strndup(c->req->arena, id.ptr, id.len);
    enum gh_store_rc rc = gh_id_valid(aid, GH_ID_APP)
                              ? gh_store_app_get(c->tx, aid, c->req->arena, app)
                              : GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(c, rc, "app");
        return false;
    }
    enum gh_app_role r = GH_APP_OWNER;
    bool ok = rc == GH_STORE_OK && c->who.platform_admin;
    if (rc == GH_STORE_OK && !ok && c->who.has_user) {
        enum gh_org_role org_role;
        bool org_admin = gh_call_org_role(c, app->org_id, &org_role) && org_role == GH_ORG_ADMIN;
        struct gh_app_member m;
        bool member = gh_store_app_member_get(c->tx, app->id, c->who.user.id, c->req->arena, &m) ==
                      GH_STORE_OK;
        ok = gh_app_effective_role(org_admin, member, member ? m.role : GH_APP_READ_ONLY, &r);
    }
    if (!ok) {
        gh_call_fail(c, 404, NULL, "app not found");
        return false;
    }
    if (role)
        *role = r;
    return true;
}

bool gh_call_app_can(struct gh_call *c, enum gh_app_role role, enum gh_app_cap cap)
{
    if (gh_app_role_can(role, cap))
        return true;
    gh_call_failf(c, 403, NULL, "your role %s on this app does not allow %s",
                  gh_app_role_name(role), gh_app_cap_name(cap));
    return false;
}

bool gh_call_provider_api(struct gh_call *c, struct gh_str id, struct gh_api *api,
                          struct gh_org *provider, enum gh_org_role *role)
{
    char *aid = gh_arena_strndup(c->req->arena, id.ptr, id.len);
    enum gh_store_rc rc = gh_id_valid(aid, GH_ID_API)
                              ? gh_store_api_get(c->tx, aid, c->req->arena, api)
                              : GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(c, rc, "API");
        return false;
    }
    enum gh_org_role r = GH_ORG_ADMIN;
    bool ok = rc == GH_STORE_OK && (gh_call_org_role(c, api->org_id, &r) || c->who.platform_admin);
    if (!ok) {
        gh_call_fail(c, 404, NULL, "API not found");
        return false;
    }
    if (!gh_call_org_role(c, api->org_id, &r))
        r = GH_ORG_ADMIN; /* a platform admin */
    rc = gh_store_org_get(c->tx, api->org_id, c->req->arena, provider);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "provider organization");
        return false;
    }
    if (role)
        *role = r;
    return true;
}

/* ---- audit ------------------------------------------------------------------ */

static const char *actor_kind(enum gh_actor a)
{
    switch (a) {
    case GH_ACTOR_ADMIN_TOKEN:
        return "admin_token";
    case GH_ACTOR_PERSONAL_TOKEN:
        return "personal_token";
    case GH_ACTOR_SESSION:
        return "user";
    default:
        return "anonymous";
    }
}

bool gh_call_audit(struct gh_call *c, const char *action, const char *object_type,
                   const char *object_id, const char *org_id, json_t *changes)
{
    char *changes_text = NULL;
    if (changes) {
        char *t = json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(changes);
        if (t) {
            changes_text = gh_arena_strdup(c->req->arena, t);
            free(t);
        }
    }
    struct gh_audit_event ev = {
        .id = gh_id_new(c->req->arena, GH_ID_AUDIT_EVENT),
        .at = c->now,
        .actor_id = (char *)c->who.actor_id,
        .actor_kind = (char *)actor_kind(c->who.actor),
        .action = (char *)action,
        .object_type = (char *)object_type,
        .object_id = (char *)object_id,
        .org_id = (char *)org_id,
        .changes_json = changes_text ? changes_text : "{}",
        .request_id = c->req->request_id,
        .client_addr = c->req->client_addr,
    };
    enum gh_store_rc rc = gh_store_audit_insert(c->tx, &ev);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "audit event");
        return false;
    }
    return true;
}

/* ---- rendering ---------------------------------------------------------------- */

json_t *gh_json_time(int64_t t)
{
    if (t == 0)
        return json_null();
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

json_t *gh_json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *gh_json_strlist(const struct gh_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}

json_t *gh_render_user(const struct gh_user *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(u->id));
    json_object_set_new(o, "email", json_string(u->email));
    json_object_set_new(o, "name", json_string(u->name));
    json_object_set_new(o, "email_verified", json_boolean(u->email_verified_at != 0));
    json_object_set_new(o, "platform_admin", json_boolean(u->platform_admin));
    json_object_set_new(o, "created_at", gh_json_time(u->created_at));
    json_object_set_new(o, "updated_at", gh_json_time(u->updated_at));
    return o;
}

json_t *gh_render_org(const struct gh_org *o)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(o->id));
    json_object_set_new(j, "name", json_string(o->name));
    json_object_set_new(j, "description", json_string(o->description ? o->description : ""));
    json_object_set_new(j, "provider", json_boolean(o->provider));
    json_object_set_new(j, "partner", json_boolean(o->partner));
    json_object_set_new(j, "tenant", gh_json_str_or_null(o->tenant));
    json_t *contact = json_object();
    json_object_set_new(contact, "address", gh_json_str_or_null(o->contact_address));
    json_object_set_new(contact, "phone", gh_json_str_or_null(o->contact_phone));
    json_object_set_new(contact, "email", gh_json_str_or_null(o->contact_email));
    json_object_set_new(j, "contact", contact);
    json_object_set_new(j, "responsible_email", gh_json_str_or_null(o->responsible_email));
    json_object_set_new(j, "customer_numbers", gh_json_strlist(&o->customer_numbers));
    json_object_set_new(j, "roles", gh_json_strlist(&o->partner_roles));
    json_object_set_new(j, "created_at", gh_json_time(o->created_at));
    json_object_set_new(j, "updated_at", gh_json_time(o->updated_at));
    return j;
}
