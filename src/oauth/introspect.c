#include "oauth/introspect.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/str.h"
#include "crypto/base64.h"
#include "crypto/jws.h"
#include "crypto/secret.h"
#include "http/form.h"
#include "http/request.h"
#include "oauth/keys.h"
#include "oauth/token.h"
#include "store/entities.h"
#include "store/snapshot.h"
#include "store/store.h"

/* Room for a decoded JWT payload; our tokens carry a few hundred bytes. */
#define PAYLOAD_MAX 8192
/* Longest token we look at; anything longer is not ours (inactive). */
#define TOKEN_MAX 8192
#define KID_MAX 128

/* Who is asking: an app (by its client_id) or a platform admin. */
struct caller {
    bool admin;
    const char *client_id; /* in the request arena; NULL for admins */
};

/* What a token turned out to be. */
struct found {
    bool active;
    const char *client_id; /* the app it was issued to */
    json_t *claims;        /* owned (json_decref); NULL when not ours */
    /* for revocation */
    bool jwt;
    const char *jti;
    int64_t exp;
    char hash[65]; /* opaque: hex SHA-256 of the token */
};

/* ---- RFC 6749 §5.2 answers ---------------------------------------------- */

static void no_store(struct gh_req *req)
{
    gh_resp_header(req, "Cache-Control", "no-store");
    gh_resp_header(req, "Pragma", "no-cache");
}

static void oauth_error(struct gh_req *req, int status, const char *error, const char *description)
{
    struct gh_buf b;
    gh_buf_init(&b, req->arena, 256);
    gh_buf_puts(&b, "{\"error\":");
    gh_buf_put_json_str(&b, error, strlen(error));
    gh_buf_puts(&b, ",\"error_description\":");
    gh_buf_put_json_str(&b, description, strlen(description));
    gh_buf_putc(&b, '}');
    no_store(req);
    gh_resp_json(req, status, &b);
}

static void store_error(struct gh_req *req, enum gh_store_rc rc, const char *what)
{
    gh_log_msg_str(GH_LOG_ERROR, "oauth.store_failed", "op", what);
    if (rc == GH_STORE_BUSY)
        oauth_error(req, 503, "temporarily_unavailable",
                    "the token store is busy; retry the request in a moment");
    else
        oauth_error(req, 500, "server_error", "the token store failed; see the server log");
}

/* ---- client authentication ---------------------------------------------- */

/* Percent-decodes s[0..n) into the arena ('+' is a space): RFC 6749 §2.3.1
 * form-encodes client_id and secret before Basic encoding.  NULL on bad
 * escapes or a NUL byte. */
static char *form_decode(struct gh_arena *a, const char *s, size_t n)
{
    char *out = gh_arena_alloc(a, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return NULL;
            int hi = gh_hex_digit((unsigned char)s[i + 1]);
            int lo = gh_hex_digit((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (c == 0)
            return NULL;
        out[j++] = (char)c;
    }
    out[j] = 0;
    return out;
}

static void invalid_client(struct gh_req *req, bool basic, const char *description)
{
    if (basic)
        gh_resp_header(req, "WWW-Authenticate", "Basic realm=\"gatehouse\"");
    oauth_error(req, 401, "invalid_client", description);
}

/* Whether secret is the app's current secret or its previous one within the
 * rotation grace period; both compared in constant time. */
static bool app_secret_ok(const struct gh_oauth *o, const struct gh_app *app, const char *secret,
                          int64_t now)
{
    size_t len = strlen(secret);
    bool ok = app->client_secret_hash &&
              gh_secret_verify(o->key, o->key_len, secret, len, app->client_secret_hash);
    if (!ok && app->previous_secret_hash && app->previous_secret_expires_at > now)
        ok = gh_secret_verify(o->key, o->key_len, secret, len, app->previous_secret_hash);
    return ok;
}

/* A platform-admin bearer token: its HMAC under o->key names an admin
 * api_token row that has not expired.  Answers and returns false otherwise. */
static bool admin_ok(struct gh_req *req, struct gh_oauth *o, const char *token, int64_t now)
{
    if (strncmp(token, GH_OAUTH_ADMIN_TOKEN_PREFIX, sizeof GH_OAUTH_ADMIN_TOKEN_PREFIX - 1) != 0) {
        gh_resp_header(req, "WWW-Authenticate",
                       "Bearer realm=\"gatehouse\", error=\"invalid_token\"");
        oauth_error(req, 401, "invalid_token",
                    "only platform-admin tokens (ghadm_…) may be used as a bearer token here; "
                    "apps authenticate with their client_id and client_secret");
        return false;
    }
    char hash[GH_SECRET_HASH_HEX_LEN + 1];
    gh_secret_hash(o->key, o->key_len, token, strlen(token), hash);
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(o->store, GH_TX_READ, &tx);
    struct gh_api_token t;
    if (rc == GH_STORE_OK) {
        rc = gh_store_api_token_by_hash(tx, hash, req->arena, &t);
        gh_store_rollback(tx);
    }
    if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
        store_error(req, rc, "admin token lookup");
        return false;
    }
    if (rc == GH_STORE_NOT_FOUND || t.kind != GH_TOKEN_KIND_ADMIN ||
        (t.expires_at && t.expires_at <= now)) {
        gh_resp_header(req, "WWW-Authenticate",
                       "Bearer realm=\"gatehouse\", error=\"invalid_token\"");
        oauth_error(req, 401, "invalid_token",
                    "the admin token is not valid (unknown, deleted or expired)");
        return false;
    }
    return true;
}

/* Authenticates the caller (Basic, post or admin bearer) into *who.  Answers
 * and returns false when the request or the credentials are not good. */
static bool authenticate(struct gh_req *req, struct gh_oauth *o, const struct gh_form *form,
                         int64_t now, struct caller *who)
{
    memset(who, 0, sizeof *who);
    const char *auth = gh_req_header(req, "Authorization");
    bool post = gh_form_get(form, "client_secret") != NULL;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        if (post || gh_form_get(form, "client_id")) {
            oauth_error(req, 400, "invalid_request",
                        "use one authentication method: a bearer token or client credentials, "
                        "not both");
            return false;
        }
        const char *token = auth + 7;
        while (*token == ' ')
            token++;
        if (!admin_ok(req, o, token, now))
            return false;
        who->admin = true;
        return true;
    }

    bool basic = false;
    const char *id = NULL, *secret = NULL;
    if (auth) {
        if (strncasecmp(auth, "Basic ", 6) != 0) {
            invalid_client(req, true,
                           "unsupported Authorization scheme: use Basic (client_secret_basic), "
                           "client_id and client_secret in the body, or an admin bearer token");
            return false;
        }
        basic = true;
        if (post) {
            oauth_error(req, 400, "invalid_request",
                        "use one client authentication method: HTTP Basic or client_secret in "
                        "the body, not both");
            return false;
        }
        const char *b64 = auth + 6;
        while (*b64 == ' ')
            b64++;
        size_t n = strlen(b64);
        uint8_t *raw = gh_arena_alloc(req->arena, GH_BASE64_DECODED_MAX(n) + 1);
        size_t rawlen = 0;
        char *colon = NULL;
        if (gh_base64_decode(b64, n, raw, GH_BASE64_DECODED_MAX(n), &rawlen))
            colon = memchr(raw, ':', rawlen);
        if (colon) {
            id = form_decode(req->arena, (const char *)raw, (size_t)(colon - (char *)raw));
            secret = form_decode(req->arena, colon + 1, rawlen - (size_t)(colon + 1 - (char *)raw));
        }
        if (!id || !secret) {
            invalid_client(req, true,
                           "the Basic credentials must be base64(client_id \":\" client_secret)");
            return false;
        }
        const char *form_id = gh_form_get_cstr(form, "client_id");
        if (form_id && strcmp(form_id, id) != 0) {
            oauth_error(req, 400, "invalid_request",
                        "client_id in the body differs from the one in the Basic credentials");
            return false;
        }
    } else {
        id = gh_form_get_cstr(form, "client_id");
        secret = gh_form_get_cstr(form, "client_secret");
        if (!id && !secret) {
            invalid_client(req, false,
                           "client authentication is required: HTTP Basic, client_id and "
                           "client_secret in the body, or an admin bearer token");
            return false;
        }
        if (!id || !secret || !*id) {
            invalid_client(req, false, "both client_id and client_secret are required");
            return false;
        }
    }

    const struct gh_snapshot *s = gh_snapshot_acquire(o->snapshot);
    const struct gh_app *app = gh_snapshot_app_by_client_id(s, gh_str_c(id));
    bool ok = app && app->confidential && !app->disabled && app_secret_ok(o, app, secret, now);
    gh_snapshot_release(o->snapshot, s);
    if (!ok) {
        invalid_client(req, basic,
                       "client authentication failed: unknown client, wrong secret, public or "
                       "disabled app");
        return false;
    }
    who->client_id = id;
    return true;
}

/* ---- finding tokens ----------------------------------------------------- */

static bool looks_like_jwt(const char *t, size_t n)
{
    size_t dots = 0;
    for (size_t i = 0; i < n; i++)
        dots += t[i] == '.';
    return dots == 2;
}

static int64_t claim_int(const json_t *claims, const char *name)
{
    const json_t *v = json_object_get(claims, name);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static const char *claim_str(const json_t *claims, const char *name)
{
    const json_t *v = json_object_get(claims, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The JWT's claims when its signature verifies under a published key, its
 * issuer is ours, it has not expired and its jti is not revoked.  Also
 * requires its app to exist and be enabled. */
static void find_jwt(struct gh_req *req, struct gh_oauth *o, const char *token, size_t n,
                     int64_t now, struct found *f)
{
    char kid[KID_MAX];
    if (!gh_jws_peek_kid(token, n, kid, sizeof kid))
        return;
    char *payload = gh_arena_alloc(req->arena, PAYLOAD_MAX);
    size_t plen = 0;
    const struct gh_snapshot *s = gh_snapshot_acquire(o->snapshot);
    const struct gh_jws_key *k = gh_keyring_by_kid(o, s, kid);
    bool ok = k && gh_jws_verify(token, n, k, payload, PAYLOAD_MAX, &plen);
    json_t *claims = ok ? json_loadb(payload, plen, 0, NULL) : NULL;
    const char *iss = claim_str(claims, "iss");
    const char *jti = claim_str(claims, "jti");
    const char *client_id = claim_str(claims, "client_id");
    int64_t exp = claim_int(claims, "exp");
    ok = json_is_object(claims) && iss && o->cfg.issuer && strcmp(iss, o->cfg.issuer) == 0 && jti &&
         *jti && client_id;
    const struct gh_app *app = ok ? gh_snapshot_app_by_client_id(s, gh_str_c(client_id)) : NULL;
    /* the client_id may have passed to another app since (tokens from
     * before app_id was a claim lack it) */
    const char *app_id = claim_str(claims, "app_id");
    if (app && app_id && strcmp(app->id, app_id) != 0)
        app = NULL;
    bool revoked = ok && gh_snapshot_jti_revoked(s, gh_str_c(jti));
    gh_snapshot_release(o->snapshot, s);
    if (!ok) {
        json_decref(claims);
        return;
    }
    f->jwt = true;
    f->jti = gh_arena_strdup(req->arena, jti);
    f->client_id = gh_arena_strdup(req->arena, client_id);
    f->exp = exp;
    f->active = exp > now && !revoked && app && !app->disabled;
    f->claims = claims;
}

/* The opaque token's row: active while neither revoked nor expired and its
 * app exists and is enabled.  false after answering a store failure. */
static bool find_opaque(struct gh_req *req, struct gh_oauth *o, const char *token, size_t n,
                        int64_t now, struct found *f)
{
    gh_sha256_hex(token, n, f->hash);
    struct gh_tx *tx;
    struct gh_opaque_token t;
    enum gh_store_rc rc = gh_store_begin(o->store, GH_TX_READ, &tx);
    if (rc == GH_STORE_OK) {
        rc = gh_store_opaque_token_get(tx, f->hash, req->arena, &t);
        gh_store_rollback(tx);
    }
    if (rc == GH_STORE_NOT_FOUND)
        return true;
    if (rc != GH_STORE_OK) {
        store_error(req, rc, "opaque token lookup");
        return false;
    }
    json_t *claims = t.claims_json ? json_loads(t.claims_json, 0, NULL) : NULL;
    if (!json_is_object(claims)) {
        json_decref(claims);
        claims = json_object();
    }
    const struct gh_snapshot *s = gh_snapshot_acquire(o->snapshot);
    const struct gh_app *app =
        t.client_id ? gh_snapshot_app_by_client_id(s, gh_str_c(t.client_id)) : NULL;
    bool app_ok = app && !app->disabled;
    gh_snapshot_release(o->snapshot, s);
    f->client_id = t.client_id;
    f->exp = t.expires_at;
    f->active = t.revoked_at == 0 && t.expires_at > now && app_ok;
    f->claims = claims;
    return true;
}

/* Looks the token up by its form; false after answering a store failure.
 * f->claims is the caller's to json_decref. */
static bool find_token(struct gh_req *req, struct gh_oauth *o, const struct gh_str *token,
                       int64_t now, struct found *f)
{
    memset(f, 0, sizeof *f);
    if (token->len == 0 || token->len > TOKEN_MAX || memchr(token->ptr, 0, token->len))
        return true;
    if (gh_str_has_prefix(*token, GH_STR(GH_OPAQUE_TOKEN_PREFIX)))
        return find_opaque(req, o, token->ptr, token->len, now, f);
    if (looks_like_jwt(token->ptr, token->len))
        find_jwt(req, o, token->ptr, token->len, now, f);
    return true;
}

/* ---- the endpoints ------------------------------------------------------ */

/* Parses the form body and authenticates; answers and returns false on any
 * failure.  *token is the token parameter. */
static bool begin(struct gh_req *req, struct gh_oauth *o, int64_t now, struct gh_form *form,
                  struct caller *who, const struct gh_str **token)
{
    if (!gh_str_eq_c(gh_req_media_type(req), "application/x-www-form-urlencoded")) {
        oauth_error(req, 400, "invalid_request",
                    "the body must be application/x-www-form-urlencoded");
        return false;
    }
    struct gh_form_error ferr;
    if (!gh_form_parse(req->arena, req->body.ptr, req->body.len, GH_FORM_MAX_PAIRS, form, &ferr)) {
        oauth_error(req, 400, "invalid_request", ferr.message);
        return false;
    }
    const struct gh_str *rep = gh_form_first_repeated(form);
    if (rep) {
        char *msg = gh_arena_printf(req->arena, "parameter '%.*s' is repeated; send it once",
                                    (int)(rep->len > 64 ? 64 : rep->len), rep->ptr);
        oauth_error(req, 400, "invalid_request", msg);
        return false;
    }
    if (!authenticate(req, o, form, now, who))
        return false;
    *token = gh_form_get(form, "token");
    if (!*token || (*token)->len == 0) {
        oauth_error(req, 400, "invalid_request", "the token parameter is required");
        return false;
    }
    return true;
}

static bool caller_owns(const struct caller *who, const struct found *f)
{
    return who->admin || (f->client_id && strcmp(f->client_id, who->client_id) == 0);
}

static int64_t now_secs(void)
{
    return (int64_t)time(NULL);
}

/* The members of an active answer, in this order: RFC 7662 §2.2's and seed
 * 001's claims, copied from the token's claims when present, and token_type. */
static const char *const ANSWER_MEMBERS[] = {
    "scope", "client_id", "token_type",       "exp",     "iat", "sub", "aud", "iss",
    "jti",   "tenant",    "customer_numbers", "services"};

static void answer_active(struct gh_req *req, const json_t *claims)
{
    json_t *out = json_object();
    json_object_set_new(out, "active", json_true());
    for (size_t i = 0; i < sizeof ANSWER_MEMBERS / sizeof ANSWER_MEMBERS[0]; i++) {
        const char *name = ANSWER_MEMBERS[i];
        json_t *v = strcmp(name, "token_type") == 0 ? json_string("Bearer")
                                                    : json_incref(json_object_get(claims, name));
        if (v)
            json_object_set_new(out, name, v);
    }
    char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(out);
    if (!text) {
        oauth_error(req, 500, "server_error", "could not encode the answer");
        return;
    }
    char *body = gh_arena_strdup(req->arena, text);
    free(text);
    no_store(req);
    gh_resp_send(req, 200, "application/json", body, strlen(body));
}

static void handle_introspect(struct gh_req *req)
{
    struct gh_oauth *o = req->route->ctx;
    int64_t now = now_secs();
    char stale[256];
    if (gh_snapshot_holder_stale(o->snapshot, now * 1000, stale, sizeof stale)) {
        /* several nodes: this one lost the database too long ago */
        gh_resp_header(req, "Retry-After", "5");
        oauth_error(req, 503, "temporarily_unavailable", stale);
        return;
    }
    struct gh_form form;
    struct caller who;
    const struct gh_str *token;
    if (!begin(req, o, now, &form, &who, &token))
        return;
    struct found f;
    if (!find_token(req, o, token, now, &f))
        return;
    if (f.active && caller_owns(&who, &f)) {
        answer_active(req, f.claims);
    } else {
        no_store(req);
        gh_resp_json_str(req, 200, "{\"active\":false}");
    }
    json_decref(f.claims);
}

/* Records the revocation: the jti on the deny-list until exp, or the opaque
 * row marked.  false after answering a store failure. */
static bool revoke(struct gh_req *req, struct gh_oauth *o, const struct found *f, int64_t now)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(o->store, GH_TX_WRITE, &tx);
    if (rc == GH_STORE_OK) {
        if (f->jwt) {
            struct gh_revoked_jti r = {
                .jti = (char *)f->jti, .expires_at = f->exp, .revoked_at = now};
            rc = gh_store_revoked_jti_insert(tx, &r);
        } else {
            rc = gh_store_opaque_token_revoke(tx, f->hash, now);
            if (rc == GH_STORE_NOT_FOUND) /* purged meanwhile: nothing to revoke */
                rc = GH_STORE_OK;
        }
        if (rc == GH_STORE_OK)
            rc = gh_store_commit(tx);
        else
            gh_store_rollback(tx);
    }
    if (rc != GH_STORE_OK) {
        store_error(req, rc, f->jwt ? "revoke jti" : "revoke opaque token");
        return false;
    }
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_INFO, "oauth.token_revoked")) {
        gh_log_str(&l, "type", f->jwt ? "jwt" : "opaque");
        if (f->jwt)
            gh_log_str(&l, "jti", f->jti);
        gh_log_str(&l, "client_id", f->client_id ? f->client_id : "");
        gh_log_end(&l);
    }
    return true;
}

static void handle_revoke(struct gh_req *req)
{
    struct gh_oauth *o = req->route->ctx;
    int64_t now = now_secs();
    struct gh_form form;
    struct caller who;
    const struct gh_str *token;
    if (!begin(req, o, now, &form, &who, &token))
        return;
    struct found f;
    if (!find_token(req, o, token, now, &f))
        return;
    json_decref(f.claims);
    /* RFC 7009 §2.2: an invalid, unknown or already expired token needs no
     * revocation and is answered 200 like a revoked one. */
    bool known = f.client_id != NULL && f.exp > now;
    if (known && !caller_owns(&who, &f)) {
        oauth_error(req, 400, "invalid_request",
                    "the token was issued to another client; only that client (or a platform "
                    "admin) may revoke it");
        return;
    }
    if (known && !revoke(req, o, &f, now))
        return;
    no_store(req);
    gh_resp_send(req, 200, "application/json", "{}", 2);
}

bool gh_oauth_register_introspect(struct gh_router *r, struct gh_oauth *o)
{
    return gh_router_add(r, GH_POST, "/oauth2/introspect", handle_introspect, o) &&
           gh_router_add(r, GH_POST, "/oauth2/revoke", handle_revoke, o);
}
