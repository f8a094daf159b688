/* API keys and TLS client certificates of an app (portal/credentials.h). */
#include "portal/credentials.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/x509.h"
#include "domain/id.h"
#include "domain/validate.h"
#include "portal/call.h"
#include "portal/notify.h"

#define API_KEY_PREFIX_LEN (sizeof GH_SECRET_PREFIX_API_KEY - 1)
#define API_KEY_HINT_RANDOM_CHARS 4
/* Longest expires_in_days: "for good", and now + days never overflows. */
#define API_KEY_DAYS_MAX 36500
/* A freshly generated 256-bit key equal to a stored one is astronomically
 * unlikely; a few more draws settle even a broken random source's luck. */
#define API_KEY_DRAWS 4

/* ---- shared ------------------------------------------------------------------------ */

/* The app in the path with the caller's role, and (when cap is not READ)
 * the check that the role allows cap.  Answers and returns false otherwise. */
static bool app_with_cap(struct gh_call *c, struct gh_app *app, enum gh_app_cap cap)
{
    enum gh_app_role role;
    return gh_call_visible_app(c, gh_req_param(c->req, "app"), app, &role) &&
           gh_call_app_can(c, role, cap);
}

/* The path parameter name as a NUL-terminated id when it has the id shape
 * of prefix; NULL otherwise. */
static char *param_id(struct gh_call *c, const char *name, const char *prefix)
{
    struct gh_str s = gh_req_param(c->req, name);
    char *id = gh_arena_strndup(c->req->arena, s.ptr, s.len);
    return gh_id_valid(id, prefix) ? id : NULL;
}

static bool two_digits(const char *s, int *out)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return false;
    *out = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

/* RFC 3339 date-time: "2027-01-31T12:00:00Z", "…T13:00:00.25+01:00"
 * ('t', 'z' and a space separator accepted).  Fractions are dropped. */
static bool parse_rfc3339(const char *s, int64_t *out)
{
    int c1, c2, M, D, h, m, sec;
    if (strlen(s) < 20 || !two_digits(s, &c1) || !two_digits(s + 2, &c2) || s[4] != '-' ||
        !two_digits(s + 5, &M) || s[7] != '-' || !two_digits(s + 8, &D) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !two_digits(s + 11, &h) || s[13] != ':' ||
        !two_digits(s + 14, &m) || s[16] != ':' || !two_digits(s + 17, &sec))
        return false;
    int Y = c1 * 100 + c2;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap) ||
        h > 23 || m > 59 || sec > 60)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        if (p[1] != '\0')
            return false;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (!two_digits(p + 1, &oh) || !two_digits(p + 4, &om) || oh > 23 || om > 59)
            return false;
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
    } else {
        return false;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm) - offset;
    return true;
}

/* ---- API keys ---------------------------------------------------------------------- */

/* An API key as the API shows it: never its hash; the key itself only in
 * the creating answer (added there). */
static json_t *render_api_key(const struct gh_api_key *k)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(k->id));
    json_object_set_new(o, "app_id", json_string(k->app_id));
    json_object_set_new(o, "name", json_string(k->name));
    json_object_set_new(o, "key_hint", gh_json_str_or_null(k->key_hint));
    json_object_set_new(o, "created_at", gh_json_time(k->created_at));
    json_object_set_new(o, "expires_at", gh_json_time(k->expires_at));
    json_object_set_new(o, "last_used_at", gh_json_time(k->last_used_at));
    return o;
}

/* An app has few keys: the whole list is read and the page cut from it,
 * which also gives the total. */
static void h_api_keys_list(struct gh_req *req)
{
    struct gh_call c;
    struct gh_app app;
    struct gh_page page;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH) || !app_with_cap(&c, &app, GH_APP_CAP_READ) ||
        !gh_call_page(&c, &page))
        return;
    struct gh_api_key *ks = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_api_key_list_by_app(c.tx, app.id, NULL, req->arena, &ks, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "API keys");
        return;
    }
    json_t *items = json_array();
    for (size_t i = (size_t)page.offset; i < n && i < (size_t)(page.offset + page.limit); i++)
        json_array_append_new(items, render_api_key(&ks[i]));
    gh_call_reply_list(&c, items, (int64_t)n);
}

/* The expiry from {expires_at} or {expires_in_days} (at most one; neither:
 * 0, never).  Answers 422 and returns false when it is not acceptable. */
static bool api_key_expiry(struct gh_call *c, int64_t *expires_at)
{
    struct gh_json_error jerr = {0};
    char *at = NULL;
    int64_t days = 0;
    if (!gh_json_string(c->body, "expires_at", GH_JSON_OPTIONAL, 1, 64, c->req->arena, &at,
                        &jerr) ||
        !gh_json_int64(c->body, "expires_in_days", GH_JSON_OPTIONAL, 1, API_KEY_DAYS_MAX, &days,
                       &jerr)) {
        gh_call_json_fail(c, &jerr);
        return false;
    }
    *expires_at = 0;
    if (at && days) {
        gh_call_fail(c, 422, "expires_in_days",
                     "give either expires_at or expires_in_days, not both");
        return false;
    }
    if (days) {
        *expires_at = c->now + days * 86400;
    } else if (at) {
        if (!parse_rfc3339(at, expires_at)) {
            gh_call_fail(c, 422, "expires_at",
                         "expires_at must be an RFC 3339 time like 2027-01-31T00:00:00Z");
            return false;
        }
        if (*expires_at <= c->now) {
            gh_call_fail(c, 422, "expires_at",
                         "expires_at must be in the future (leave it out for a key that "
                         "does not expire)");
            return false;
        }
    }
    return true;
}

/* Draws a key whose hash no stored key has (hex gets the hash).  Answers
 * and returns false on a store failure. */
static bool new_api_key(struct gh_call *c, char *secret, size_t size,
                        char hex[GH_SECRET_HASH_HEX_LEN + 1])
{
    for (int i = 0; i < API_KEY_DRAWS; i++) {
        if (!gh_secret_generate(GH_SECRET_PREFIX_API_KEY, secret, size))
            break;
        gh_call_secret_hash(c, secret, hex);
        struct gh_api_key other;
        enum gh_store_rc rc = gh_store_api_key_by_hash(c->tx, hex, c->req->arena, &other);
        if (rc == GH_STORE_NOT_FOUND)
            return true;
        if (rc != GH_STORE_OK) {
            gh_call_store_fail(c, rc, "API key");
            return false;
        }
    }
    gh_call_fail(c, 500, NULL, "internal error: cannot generate a unique API key");
    return false;
}

static void h_api_keys_create(struct gh_req *req)
{
    struct gh_call c;
    struct gh_app app;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE) ||
        !app_with_cap(&c, &app, GH_APP_CAP_MANAGE_API_KEYS))
        return;
    static const char *const allowed[] = {"name", "expires_at", "expires_in_days", NULL};
    if (!gh_call_fields(&c, allowed))
        return;
    struct gh_json_error jerr = {0};
    char *name = NULL;
    if (!gh_json_string(c.body, "name", GH_JSON_REQUIRED, 1, GH_NAME_MAX, req->arena, &name,
                        &jerr)) {
        gh_call_json_fail(&c, &jerr);
        return;
    }
    int64_t expires_at = 0;
    if (!api_key_expiry(&c, &expires_at))
        return;
    struct gh_api_key k = {
        .id = gh_id_new(req->arena, GH_ID_API_KEY),
        .app_id = app.id,
        .name = name,
        .created_at = c.now,
        .expires_at = expires_at,
    };
    struct gh_field_error ferr = {0};
    if (!gh_api_key_validate(&k, c.now, &ferr)) {
        gh_call_fail(&c, 422, ferr.field, ferr.message);
        return;
    }

    char secret[GH_SECRET_SIZE(API_KEY_PREFIX_LEN)];
    char hash[GH_SECRET_HASH_HEX_LEN + 1];
    char hint[API_KEY_PREFIX_LEN + API_KEY_HINT_RANDOM_CHARS + 1];
    if (!new_api_key(&c, secret, sizeof secret, hash))
        return;
    memcpy(hint, secret, sizeof hint - 1);
    hint[sizeof hint - 1] = '\0';
    k.key_hash = hash;
    k.key_hint = hint;
    enum gh_store_rc rc = gh_store_api_key_insert(c.tx, &k);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "API key");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "app_id", json_string(app.id));
    json_object_set_new(changes, "name", json_string(name));
    json_object_set_new(changes, "key_hint", json_string(hint));
    json_object_set_new(changes, "expires_at", gh_json_time(expires_at));
    if (!gh_call_audit(&c, "api_key.create", "api_key", k.id, app.org_id, changes) ||
        !gh_notify_api_key_created(&c, &app, &k) || !gh_call_commit(&c))
        return;
    json_t *out = render_api_key(&k);
    json_object_set_new(out, "key", json_string(secret));
    gh_call_reply(&c, 201, out);
}

static void h_api_keys_delete(struct gh_req *req)
{
    struct gh_call c;
    struct gh_app app;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE) ||
        !app_with_cap(&c, &app, GH_APP_CAP_MANAGE_API_KEYS))
        return;
    char *id = param_id(&c, "key", GH_ID_API_KEY);
    struct gh_api_key k;
    enum gh_store_rc rc = id ? gh_store_api_key_get(c.tx, id, req->arena, &k) : GH_STORE_NOT_FOUND;
    if (rc == GH_STORE_OK && strcmp(k.app_id, app.id) != 0)
        rc = GH_STORE_NOT_FOUND; /* another app's key is not there for this app */
    if (rc == GH_STORE_OK)
        rc = gh_store_api_key_delete(c.tx, id);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "API key");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "app_id", json_string(app.id));
    json_object_set_new(changes, "name", json_string(k.name));
    json_object_set_new(changes, "key_hint", gh_json_str_or_null(k.key_hint));
    if (!gh_call_audit(&c, "api_key.delete", "api_key", id, app.org_id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

/* ---- certificates ------------------------------------------------------------------ */

static json_t *render_certificate(const struct gh_certificate *cert)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(cert->id));
    json_object_set_new(o, "app_id", json_string(cert->app_id));
    json_object_set_new(o, "subject", json_string(cert->subject ? cert->subject : ""));
    json_object_set_new(o, "issuer", json_string(cert->issuer ? cert->issuer : ""));
    json_object_set_new(o, "not_before", gh_json_time(cert->not_before));
    json_object_set_new(o, "not_after", gh_json_time(cert->not_after));
    json_object_set_new(o, "thumbprint_sha256", json_string(cert->thumbprint_sha256));
    json_object_set_new(o, "pem", json_string(cert->pem));
    json_object_set_new(o, "created_at", gh_json_time(cert->created_at));
    return o;
}

static void h_certificates_list(struct gh_req *req)
{
    struct gh_call c;
    struct gh_app app;
    struct gh_page page;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH) || !app_with_cap(&c, &app, GH_APP_CAP_READ) ||
        !gh_call_page(&c, &page))
        return;
    struct gh_certificate *cs = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_certificate_list_by_app(c.tx, app.id, NULL, req->arena, &cs, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "certificates");
        return;
    }
    json_t *items = json_array();
    for (size_t i = (size_t)page.offset; i < n && i < (size_t)(page.offset + page.limit); i++)
        json_array_append_new(items, render_certificate(&cs[i]));
    gh_call_reply_list(&c, items, (int64_t)n);
}

static void h_certificates_create(struct gh_req *req)
{
    struct gh_call c;
    struct gh_app app;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE) ||
        !app_with_cap(&c, &app, GH_APP_CAP_MANAGE_CERTIFICATES))
        return;
    static const char *const allowed[] = {"pem", NULL};
    if (!gh_call_fields(&c, allowed))
        return;
    struct gh_json_error jerr = {0};
    char *pem = NULL;
    if (!gh_json_string(c.body, "pem", GH_JSON_REQUIRED, 1, GH_X509_PEM_MAX, req->arena, &pem,
                        &jerr)) {
        gh_call_json_fail(&c, &jerr);
        return;
    }
    /* err is the API's message: it names no secret and quotes no input */
    struct gh_x509_info info;
    char err[256];
    if (!gh_x509_parse_pem(pem, strlen(pem), &info, err, sizeof err) ||
        !gh_x509_valid_at(&info, c.now, err, sizeof err)) {
        gh_call_fail(&c, 422, "pem", err);
        return;
    }
    struct gh_certificate other;
    enum gh_store_rc rc =
        gh_store_certificate_by_thumbprint(c.tx, info.thumbprint, req->arena, &other);
    if (rc == GH_STORE_OK) {
        gh_call_fail(&c, 409, "pem",
                     strcmp(other.app_id, app.id) == 0
                         ? "this certificate is already registered for this app"
                         : "this certificate is already registered for another app; a "
                           "certificate can identify only one app");
        return;
    }
    if (rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(&c, rc, "certificate");
        return;
    }
    struct gh_certificate cert = {
        .id = gh_id_new(req->arena, GH_ID_CERTIFICATE),
        .app_id = app.id,
        .subject = info.subject,
        .issuer = info.issuer,
        .not_before = info.not_before,
        .not_after = info.not_after,
        .thumbprint_sha256 = info.thumbprint,
        .pem = pem,
        .created_at = c.now,
    };
    rc = gh_store_certificate_insert(c.tx, &cert);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "certificate");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "app_id", json_string(app.id));
    json_object_set_new(changes, "subject", json_string(info.subject));
    json_object_set_new(changes, "issuer", json_string(info.issuer));
    json_object_set_new(changes, "not_after", gh_json_time(info.not_after));
    json_object_set_new(changes, "thumbprint_sha256", json_string(info.thumbprint));
    if (!gh_call_audit(&c, "certificate.create", "certificate", cert.id, app.org_id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 201, render_certificate(&cert));
}

static void h_certificates_delete(struct gh_req *req)
{
    struct gh_call c;
    struct gh_app app;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE) ||
        !app_with_cap(&c, &app, GH_APP_CAP_MANAGE_CERTIFICATES))
        return;
    char *id = param_id(&c, "cert", GH_ID_CERTIFICATE);
    struct gh_certificate cert;
    enum gh_store_rc rc =
        id ? gh_store_certificate_get(c.tx, id, req->arena, &cert) : GH_STORE_NOT_FOUND;
    if (rc == GH_STORE_OK && strcmp(cert.app_id, app.id) != 0)
        rc = GH_STORE_NOT_FOUND;
    if (rc == GH_STORE_OK)
        rc = gh_store_certificate_delete(c.tx, id);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "certificate");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "app_id", json_string(app.id));
    json_object_set_new(changes, "subject", gh_json_str_or_null(cert.subject));
    json_object_set_new(changes, "thumbprint_sha256", json_string(cert.thumbprint_sha256));
    if (!gh_call_audit(&c, "certificate.delete", "certificate", id, app.org_id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

bool gh_portal_register_credentials(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_GET, "/api/v1/apps/{app}/api-keys", h_api_keys_list, p) &&
           gh_router_add(r, GH_POST, "/api/v1/apps/{app}/api-keys", h_api_keys_create, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/apps/{app}/api-keys/{key}", h_api_keys_delete, p) &&
           gh_router_add(r, GH_GET, "/api/v1/apps/{app}/certificates", h_certificates_list, p) &&
           gh_router_add(r, GH_POST, "/api/v1/apps/{app}/certificates", h_certificates_create, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/apps/{app}/certificates/{cert}",
                         h_certificates_delete, p);
}
