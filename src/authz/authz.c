/* GET /authz/check: authenticate by the API's method, then the checks of
 * docs/authz.md in their order, answering 200 with identity headers or the
 * first refusal. */
#include "authz/authz.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "authz/cache.h"
#include "authz/limit.h"
#include "authz/token.h"
#include "authz/usage.h"
#include "core/clock.h"
#include "core/log.h"
#include "crypto/hash.h"
#include "domain/access.h"
#include "crypto/secret.h"
#include "http/request.h"

#define REALM "realm=\"gatehouse\""
#define MAX_REPEATS 8 /* occurrences of a customer-number parameter looked at */

/* One check in progress. */
struct check {
    struct gh_req *req;
    struct gh_authz *z;
    const struct gh_snapshot *s;
    int64_t now;
    struct gh_str path, query;
    const struct gh_api *api;
    const struct gh_app *app;
    const struct gh_org *org;
    const struct gh_subscription *sub; /* the access token's, else looked up */
    bool have_claims;
    struct gh_authz_claims claims;
    const char *customer_number;
};

static void count(struct gh_authz *z, enum gh_authz_outcome o)
{
    atomic_fetch_add_explicit(&z->outcomes[o], 1, memory_order_relaxed);
}

static const char *const outcome_names[GH_AUTHZ_OUTCOMES];

/* Answers a refusal and logs it (info: which API, which app, why; never
 * the credential). */
static void refuse(struct check *c, enum gh_authz_outcome o, int status, const char *field,
                   const char *message)
{
    count(c->z, o);
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_INFO, "authz.refused")) {
        gh_log_str(&l, "outcome", outcome_names[o]);
        gh_log_int(&l, "status", status);
        gh_log_str(&l, "api", c->api ? c->api->id : NULL);
        gh_log_str(&l, "app", c->app ? c->app->id : NULL);
        gh_log_str(&l, "reason", message);
        gh_log_end(&l);
    }
    gh_resp_error(c->req, status, field, message);
}

/* ---- 401 -------------------------------------------------------------------- */

/* The challenge of each method (RFC 9110 §11.6.1: a 401 carries one). */
static const char *challenge(struct check *c, const char *why, bool presented)
{
    struct gh_arena *a = c->req->arena;
    switch (c->api->auth_method) {
    case GH_AUTH_OAUTH2:
    case GH_AUTH_ACCESS_TOKEN:
        /* RFC 6750 §3.1: no error code when no token was sent */
        if (!presented)
            return "Bearer " REALM;
        return gh_arena_printf(a,
                               "Bearer " REALM ", error=\"invalid_token\", "
                               "error_description=\"%s\"",
                               why);
    case GH_AUTH_API_KEY:
        return gh_arena_printf(a, "ApiKey " REALM ", header=\"%s\"", c->z->cfg.api_key_header);
    case GH_AUTH_BASIC:
        return "Basic " REALM ", charset=\"UTF-8\"";
    case GH_AUTH_MTLS:
        return "Certificate " REALM;
    case GH_AUTH_MANUAL_HANDOVER:
        break;
    }
    return "Bearer " REALM;
}

static void unauthorized(struct check *c, const char *field, const char *why, bool presented)
{
    gh_resp_header(c->req, "WWW-Authenticate", challenge(c, why, presented));
    refuse(c, GH_AUTHZ_DENY_CREDENTIAL, 401, field, why);
}

/* ---- authentication, by method ------------------------------------------------ */

/* The credentials of "Authorization: <scheme> <credentials>"; false after
 * answering 401 when the header is missing, malformed or of another scheme.
 * check_chars false leaves the credentials' characters to the caller
 * (gh_authz_token_claims checks them when a token is not cached). */
static bool authorization(struct check *c, const char *scheme, struct gh_str *cred,
                          bool check_chars)
{
    struct gh_str values[2];
    size_t n = gh_req_header_values(c->req, "Authorization", values, 2);
    if (n == 0) {
        unauthorized(c, "Authorization",
                     strcmp(scheme, "Basic") == 0 ? "Client credentials are required"
                                                  : "An access token is required",
                     false);
        return false;
    }
    struct gh_str s;
    if (n > 1 || !gh_authz_authorization_split(values[0], &s, cred) ||
        (check_chars && !gh_authz_token68_valid(*cred)) || !gh_str_eq_nocase(s, gh_str_c(scheme))) {
        unauthorized(c, "Authorization",
                     strcmp(scheme, "Basic") == 0
                         ? "The Authorization header must hold Basic client credentials"
                         : "The Authorization header must hold one Bearer token",
                     true);
        return false;
    }
    return true;
}

static bool auth_oauth2(struct check *c)
{
    struct gh_str token;
    if (!authorization(c, "Bearer", &token, false))
        return false;
    const char *why = NULL;
    switch (gh_authz_token_claims(c->z, c->s, token, c->now, c->req->arena, &c->claims, &why)) {
    case GH_AUTHZ_TOKEN_OK:
        break;
    case GH_AUTHZ_TOKEN_BAD:
        unauthorized(c, "Authorization", why, true);
        return false;
    case GH_AUTHZ_TOKEN_ERROR:
        gh_resp_header(c->req, "Retry-After", "1");
        refuse(c, GH_AUTHZ_ERROR, 503, NULL, why);
        return false;
    }
    why = gh_authz_token_current(c->z, c->s, &c->claims, c->api, c->now, &c->app);
    if (why) {
        unauthorized(c, "Authorization", why, true);
        return false;
    }
    c->have_claims = true;
    return true;
}

static bool auth_access_token(struct check *c)
{
    struct gh_str token;
    if (!authorization(c, "Bearer", &token, true))
        return false;
    char hex[129];
    if (c->api->access_token_hash_method == GH_HASH_SHA512)
        gh_sha512_hex(token.ptr, token.len, hex);
    else
        gh_sha256_hex(token.ptr, token.len, hex);
    const struct gh_subscription *sub = gh_snapshot_subscription_by_token_hash(c->s, gh_str_c(hex));
    if (!sub || !sub->api_id || strcmp(sub->api_id, c->api->id) != 0) {
        unauthorized(c, "Authorization", "Unknown access token", true);
        return false;
    }
    c->app = sub->app_id ? gh_snapshot_app_by_id(c->s, gh_str_c(sub->app_id)) : NULL;
    if (!c->app) {
        unauthorized(c, "Authorization", "The access token's app no longer exists", true);
        return false;
    }
    c->sub = sub;
    return true;
}

static bool auth_api_key(struct check *c)
{
    const char *header = c->z->cfg.api_key_header;
    struct gh_str values[2];
    size_t n = gh_req_header_values(c->req, header, values, 2);
    if (n == 0) {
        unauthorized(c, header, "An API key is required", false);
        return false;
    }
    if (n > 1 || values[0].len == 0 || values[0].len > 512) {
        unauthorized(c, header, "The API key header must hold one API key", true);
        return false;
    }
    char hex[GH_SECRET_HASH_HEX_LEN + 1];
    gh_secret_hash(c->z->key, c->z->key_len, values[0].ptr, values[0].len, hex);
    const struct gh_api_key *key = gh_snapshot_api_key_by_hash(c->s, gh_str_c(hex));
    if (!key) {
        unauthorized(c, header, "Unknown API key", true);
        return false;
    }
    if (key->expires_at && c->now >= key->expires_at) {
        unauthorized(c, header, "The API key has expired", true);
        return false;
    }
    c->app = gh_snapshot_api_key_app(c->s, key);
    if (!c->app) {
        unauthorized(c, header, "The API key's app no longer exists", true);
        return false;
    }
    gh_authz_usage_note(c->z->usage, gh_str_c(key->id), c->now);
    return true;
}

static bool auth_basic(struct check *c)
{
    struct gh_str cred, user, password;
    if (!authorization(c, "Basic", &cred, true))
        return false;
    if (!gh_authz_basic_decode(c->req->arena, cred, &user, &password)) {
        unauthorized(c, "Authorization", "The Basic credentials are malformed", true);
        return false;
    }
    const struct gh_app *app = gh_snapshot_app_by_client_id(c->s, user);
    bool ok = app && app->confidential && app->client_secret_hash &&
              gh_secret_verify(c->z->key, c->z->key_len, password.ptr, password.len,
                               app->client_secret_hash);
    if (!ok && app && app->previous_secret_hash && c->now < app->previous_secret_expires_at)
        ok = gh_secret_verify(c->z->key, c->z->key_len, password.ptr, password.len,
                              app->previous_secret_hash);
    if (!ok) {
        unauthorized(c, "Authorization", "Invalid client credentials", true);
        return false;
    }
    c->app = app;
    return true;
}

static bool auth_mtls(struct check *c)
{
    const char *header = c->z->cfg.cert_header;
    struct gh_str values[2];
    size_t n = 0;
    /* only a trusted proxy vouches for a certificate; from anyone else the
     * header is not a credential at all */
    if (gh_authz_proxies_match(&c->z->cfg.trusted_proxies, c->req->client_addr))
        n = gh_req_header_values(c->req, header, values, 2);
    if (n == 0) {
        unauthorized(c, header, "A client certificate is required", false);
        return false;
    }
    char thumb[65];
    const char *why = NULL;
    if (n > 1 || !gh_authz_cert_thumbprint(c->req->arena, values[0], thumb, &why)) {
        unauthorized(c, header, "The client certificate header is malformed", true);
        return false;
    }
    const struct gh_certificate *cert =
        gh_snapshot_certificate_by_thumbprint(c->s, gh_str_c(thumb));
    if (!cert) {
        unauthorized(c, header, "Unknown client certificate", true);
        return false;
    }
    if (c->now < cert->not_before) {
        unauthorized(c, header, "The client certificate is not valid yet", true);
        return false;
    }
    if (c->now >= cert->not_after) {
        unauthorized(c, header, "The client certificate has expired", true);
        return false;
    }
    c->app = gh_snapshot_certificate_app(c->s, cert);
    if (!c->app) {
        unauthorized(c, header, "The client certificate's app no longer exists", true);
        return false;
    }
    return true;
}

static bool authenticate(struct check *c)
{
    bool ok = false;
    switch (c->api->auth_method) {
    case GH_AUTH_OAUTH2:
        ok = auth_oauth2(c);
        break;
    case GH_AUTH_ACCESS_TOKEN:
        ok = auth_access_token(c);
        break;
    case GH_AUTH_API_KEY:
        ok = auth_api_key(c);
        break;
    case GH_AUTH_BASIC:
        ok = auth_basic(c);
        break;
    case GH_AUTH_MTLS:
        ok = auth_mtls(c);
        break;
    case GH_AUTH_MANUAL_HANDOVER:
        return true;
    }
    if (!ok)
        return false;
    if (c->app->disabled) {
        const char *field = c->api->auth_method == GH_AUTH_API_KEY ? c->z->cfg.api_key_header
                            : c->api->auth_method == GH_AUTH_MTLS  ? c->z->cfg.cert_header
                                                                   : "Authorization";
        unauthorized(c, field, "The app is disabled", true);
        return false;
    }
    c->org = gh_snapshot_app_org(c->s, c->app);
    return true;
}

/* ---- the checks after authentication ------------------------------------------ */

/* Access status, subscription and partner roles: the domain's rules
 * (domain/access.h), in the check's order. */
static bool check_access(struct check *c)
{
    const struct gh_access_status_rec *rec = NULL;
    gh_snapshot_app_access_status(c->s, c->app, c->api, &rec);
    if (!c->sub)
        c->sub = gh_snapshot_app_subscription(c->s, c->app, c->api);
    struct gh_api api = *c->api;
    if (api.auth_method == GH_AUTH_ACCESS_TOKEN)
        api.subscription_required = true; /* the token is the subscription's */
    struct gh_access_decision d;
    switch (gh_access_decide(&api, c->org, rec, c->sub, &d)) {
    case GH_ACCESS_ALLOWED:
        return true;
    case GH_ACCESS_APP_BLOCKED:
        refuse(c, GH_AUTHZ_DENY_BLOCKED, 403, "app",
               rec && rec->reason && *rec->reason
                   ? gh_arena_printf(c->req->arena, "%s: %s", d.message, rec->reason)
                   : d.message);
        return false;
    case GH_ACCESS_NOT_SUBSCRIBED:
    case GH_ACCESS_SUBSCRIPTION_INACTIVE:
        refuse(c, GH_AUTHZ_DENY_SUBSCRIPTION, 403, "subscription", d.message);
        return false;
    case GH_ACCESS_MISSING_ROLE:
        refuse(c, GH_AUTHZ_DENY_ROLES, 403, "roles", d.message);
        return false;
    }
    return false;
}

static bool check_service(struct check *c)
{
    const char *svc = c->api->service;
    if (!svc || !*svc)
        return true;
    bool ok = c->have_claims
                  ? gh_str_in(c->claims.services, c->claims.n_services, gh_str_c(svc))
                  : gh_strlist_has(gh_snapshot_app_services(c->s, c->app), gh_str_c(svc));
    if (!ok) {
        refuse(c, GH_AUTHZ_DENY_SERVICE, 403, "service",
               gh_arena_printf(c->req->arena,
                               "Your API user does not have access to the service %s", svc));
        return false;
    }
    return true;
}

/* The customer number of the request, where the API says it is; NULL view
 * when it is missing or ambiguous (repeated with different values). */
static struct gh_str customer_number(struct check *c, const char *name)
{
    struct gh_str vals[MAX_REPEATS];
    size_t n = 0;
    switch (c->api->customer_number_in) {
    case GH_CN_QUERY:
        n = gh_authz_query_values(c->req->arena, c->query, gh_str_c(name), vals, MAX_REPEATS);
        break;
    case GH_CN_HEADER:
        n = gh_req_header_values(c->req, name, vals, MAX_REPEATS);
        break;
    case GH_CN_PATH:
        if (c->api->customer_number_template &&
            gh_authz_template_capture(gh_str_c(c->api->customer_number_template), c->path,
                                      gh_str_c(name), &vals[0]))
            n = 1;
        break;
    case GH_CN_NONE:
        break;
    }
    if (n == 0 || n > MAX_REPEATS)
        return GH_STR_NULL;
    for (size_t i = 0; i < n; i++)
        if (!vals[i].ptr || vals[i].len == 0 || !gh_str_eq(vals[i], vals[0]))
            return GH_STR_NULL;
    return vals[0];
}

static bool check_customer_number(struct check *c)
{
    if (c->api->customer_number_in == GH_CN_NONE)
        return true;
    const char *name = c->api->customer_number_name && *c->api->customer_number_name
                           ? c->api->customer_number_name
                           : "customerId";
    struct gh_str cn = customer_number(c, name);
    bool ok = cn.ptr && c->org && gh_strlist_has(&c->org->customer_numbers, cn) &&
              (!c->have_claims ||
               gh_str_in(c->claims.customer_numbers, c->claims.n_customer_numbers, cn));
    if (!ok) {
        /* seed 001's body, word for word */
        refuse(c, GH_AUTHZ_DENY_CUSTOMER, 403, name,
               gh_arena_printf(c->req->arena,
                               "Your API user does not have access to get data for %s provided",
                               name));
        return false;
    }
    c->customer_number = gh_arena_strndup(c->req->arena, cn.ptr, cn.len);
    return true;
}

static bool check_rate(struct check *c)
{
    if (!c->sub || !c->sub->plan_id || !c->sub->id)
        return true;
    const struct gh_plan *plan = gh_snapshot_plan_by_id(c->s, gh_str_c(c->sub->plan_id));
    if (!plan || plan->rate_limit_requests <= 0 || plan->rate_limit_window_secs <= 0)
        return true;
    int64_t retry = 0;
    if (gh_authz_limits_take(c->z->limits, gh_str_c(c->sub->id), plan->rate_limit_requests,
                             plan->rate_limit_window_secs, gh_monotonic_ms(), &retry))
        return true;
    gh_resp_header(c->req, "Retry-After", gh_arena_printf(c->req->arena, "%" PRId64, retry));
    refuse(c, GH_AUTHZ_DENY_RATE_LIMIT, 429, "plan",
           gh_arena_printf(c->req->arena,
                           "The plan's rate limit of %" PRId64 " requests per %" PRId64
                           " seconds is spent; retry in %" PRId64 " seconds",
                           plan->rate_limit_requests, plan->rate_limit_window_secs, retry));
    return false;
}

/* ---- the answer ------------------------------------------------------------------ */

static void allow(struct check *c)
{
    struct gh_req *req = c->req;
    gh_resp_header(req, "X-Gatehouse-Api", c->api->id);
    gh_resp_header(req, "X-Gatehouse-Auth", gh_auth_method_name(c->api->auth_method));
    if (c->app) {
        gh_resp_header(req, "X-Gatehouse-App", c->app->id);
        gh_resp_header(req, "X-Gatehouse-Client-Id", c->app->client_id);
        if (c->org) {
            gh_resp_header(req, "X-Gatehouse-Partner", c->org->id);
            if (c->org->tenant)
                gh_resp_header(req, "X-Gatehouse-Tenant", c->org->tenant);
        }
        if (c->customer_number)
            gh_resp_header(req, "X-Gatehouse-Customer-Number", c->customer_number);
        if (c->sub) {
            gh_resp_header(req, "X-Gatehouse-Subscription", c->sub->id);
            if (c->sub->plan_id)
                gh_resp_header(req, "X-Gatehouse-Plan", c->sub->plan_id);
        }
    }
    gh_resp_header(req, "Cache-Control", "no-store"); /* refusals carry it already */
    count(c->z, GH_AUTHZ_ALLOW);
    gh_resp_empty(req, 200);
}

/* The original request target: X-Original-URI, else what follows
 * /authz/check in this request's own target (Envoy's path_prefix style). */
static bool original_target(struct gh_req *req, struct gh_str *out)
{
    struct gh_str v = gh_req_header_str(req, "X-Original-URI");
    if (v.ptr) {
        *out = v;
        return true;
    }
    static const struct gh_str base = GH_STR("/authz/check");
    if (req->uri.len > base.len && memcmp(req->uri.ptr, base.ptr, base.len) == 0 &&
        req->uri.ptr[base.len] == '/') {
        *out = gh_str_n(req->uri.ptr + base.len, req->uri.len - base.len);
        return true;
    }
    return false;
}

static void check_handler(struct gh_req *req)
{
    struct gh_authz *z = req->route->ctx;
    struct check c = {.req = req, .z = z};

    struct gh_str target;
    const char *why = NULL;
    if (!original_target(req, &target)) {
        count(z, GH_AUTHZ_BAD_REQUEST);
        gh_resp_error(req, 400, "X-Original-URI",
                      "X-Original-URI is missing: the gateway must pass the original request "
                      "target");
        return;
    }
    if (!gh_authz_target_parse(req->arena, target, &c.path, &c.query, &why)) {
        count(z, GH_AUTHZ_BAD_REQUEST);
        gh_resp_errorf(req, 400, "X-Original-URI", "The original request target %s", why);
        return;
    }

    c.now = (int64_t)time(NULL);
    c.s = gh_snapshot_acquire(z->snapshot);
    char stale[256];
    if (gh_snapshot_holder_stale(z->snapshot, c.now * 1000, stale, sizeof stale)) {
        /* several nodes: this one lost the database too long ago */
        gh_resp_header(req, "Retry-After", "5");
        refuse(&c, GH_AUTHZ_ERROR, 503, NULL, stale);
        goto out;
    }
    struct gh_str api_id = gh_req_header_str(req, "X-Gatehouse-Api");
    if (api_id.ptr) {
        c.api = gh_snapshot_api_by_id(c.s, api_id);
        if (!c.api) {
            refuse(&c, GH_AUTHZ_DENY_NO_API, 403, "api",
                   "X-Gatehouse-Api names no API published here");
            goto out;
        }
    } else {
        c.api = gh_snapshot_api_by_path(c.s, c.path, NULL);
        if (!c.api) {
            refuse(&c, GH_AUTHZ_DENY_NO_API, 403, "uri", "No API is published at this path");
            goto out;
        }
    }
    if (!authenticate(&c))
        goto out;
    if (c.api->auth_method == GH_AUTH_MANUAL_HANDOVER) {
        allow(&c);
        goto out;
    }
    if (check_access(&c) && check_service(&c) && check_customer_number(&c) && check_rate(&c))
        allow(&c);
out:
    gh_snapshot_release(z->snapshot, c.s);
}

/* ---- set-up ---------------------------------------------------------------------- */

bool gh_authz_init(struct gh_authz *z, char *err, size_t errlen)
{
    if (!z->store || !z->snapshot || !z->key || !z->key_len) {
        snprintf(err, errlen, "authz: store, snapshot and server key are required");
        return false;
    }
    if (z->cfg.leeway_secs < 0)
        z->cfg.leeway_secs = 0;
    if (!z->cfg.api_key_header || !*z->cfg.api_key_header)
        z->cfg.api_key_header = GH_AUTHZ_DEFAULT_API_KEY_HEADER;
    if (!z->cfg.cert_header || !*z->cfg.cert_header)
        z->cfg.cert_header = GH_AUTHZ_DEFAULT_CERT_HEADER;
    if (!z->cfg.cache_size)
        z->cfg.cache_size = GH_AUTHZ_DEFAULT_CACHE_SIZE;
    z->cache = gh_authz_cache_new(z->cfg.cache_size);
    z->keys = gh_authz_keys_new();
    z->limits = gh_authz_limits_new();
    z->usage = gh_authz_usage_new();
    return true;
}

void gh_authz_free(struct gh_authz *z)
{
    gh_authz_cache_free(z->cache);
    gh_authz_keys_free(z->keys);
    gh_authz_limits_free(z->limits);
    gh_authz_usage_free(z->usage);
    gh_authz_proxies_free(&z->cfg.trusted_proxies);
    z->cache = NULL;
    z->keys = NULL;
    z->limits = NULL;
    z->usage = NULL;
}

void gh_authz_flush(struct gh_authz *z)
{
    if (z->usage && z->store)
        gh_authz_usage_flush(z->usage, z->store);
}

bool gh_authz_register(struct gh_router *r, struct gh_authz *z)
{
    return gh_router_add(r, GH_ANY, "/authz/check", check_handler, z) &&
           gh_router_add(r, GH_ANY, "/authz/check/{path...}", check_handler, z);
}

static const char *const outcome_names[GH_AUTHZ_OUTCOMES] = {
    [GH_AUTHZ_ALLOW] = "allow",
    [GH_AUTHZ_DENY_CREDENTIAL] = "credential",
    [GH_AUTHZ_DENY_BLOCKED] = "blocked",
    [GH_AUTHZ_DENY_SUBSCRIPTION] = "subscription",
    [GH_AUTHZ_DENY_ROLES] = "roles",
    [GH_AUTHZ_DENY_SERVICE] = "service",
    [GH_AUTHZ_DENY_CUSTOMER] = "customer_number",
    [GH_AUTHZ_DENY_NO_API] = "no_api",
    [GH_AUTHZ_DENY_RATE_LIMIT] = "rate_limit",
    [GH_AUTHZ_BAD_REQUEST] = "bad_request",
    [GH_AUTHZ_ERROR] = "error",
};

void gh_authz_metrics(struct gh_authz *z, struct gh_buf *out)
{
    char line[256];
    gh_buf_puts(out, "# HELP gatehouse_authz_decisions_total Authorization checks by outcome.\n"
                     "# TYPE gatehouse_authz_decisions_total counter\n");
    for (int i = 0; i < GH_AUTHZ_OUTCOMES; i++) {
        snprintf(line, sizeof line, "gatehouse_authz_decisions_total{outcome=\"%s\"} %" PRIu64 "\n",
                 outcome_names[i], atomic_load(&z->outcomes[i]));
        gh_buf_puts(out, line);
    }
    struct gh_authz_cache_stats st;
    gh_authz_cache_stats(z->cache, &st);
    snprintf(line, sizeof line,
             "# HELP gatehouse_authz_token_cache_hits_total Verified-token cache hits.\n"
             "# TYPE gatehouse_authz_token_cache_hits_total counter\n"
             "gatehouse_authz_token_cache_hits_total %" PRIu64 "\n",
             st.hits);
    gh_buf_puts(out, line);
    snprintf(line, sizeof line,
             "# HELP gatehouse_authz_token_cache_misses_total Verified-token cache misses.\n"
             "# TYPE gatehouse_authz_token_cache_misses_total counter\n"
             "gatehouse_authz_token_cache_misses_total %" PRIu64 "\n",
             st.misses);
    gh_buf_puts(out, line);
    snprintf(line, sizeof line,
             "# HELP gatehouse_authz_token_cache_evictions_total Entries evicted while live.\n"
             "# TYPE gatehouse_authz_token_cache_evictions_total counter\n"
             "gatehouse_authz_token_cache_evictions_total %" PRIu64 "\n",
             st.evictions);
    gh_buf_puts(out, line);
    snprintf(line, sizeof line,
             "# HELP gatehouse_authz_token_cache_entries Tokens in the verified-token cache.\n"
             "# TYPE gatehouse_authz_token_cache_entries gauge\n"
             "gatehouse_authz_token_cache_entries %zu\n",
             st.entries);
    gh_buf_puts(out, line);
    snprintf(line, sizeof line,
             "# HELP gatehouse_authz_token_verifications_total Signatures verified and opaque "
             "tokens read (cache misses that did the work).\n"
             "# TYPE gatehouse_authz_token_verifications_total counter\n"
             "gatehouse_authz_token_verifications_total %" PRIu64 "\n",
             atomic_load(&z->verifications));
    gh_buf_puts(out, line);
}
