/* Subscriptions (seed 000): an app subscribes to an API with one of its
 * plans and the subscription then moves through the statuses of
 * domain/subscription.h.
 *
 *   POST /api/v1/apps/{app}/subscriptions {api, plan}        app OWNER / DEVELOPER
 *   GET  /api/v1/apps/{app}/subscriptions                    the app's members
 *   GET  /api/v1/apis/{api}/subscriptions?status=            the provider's members
 *   GET  /api/v1/subscriptions/{id}                          both sides
 *   GET  /api/v1/subscriptions/{id}/history                  both sides
 *   POST /api/v1/subscriptions/{id}/<action> {reason?}       the action's side
 *
 * Sides: the partner side is whoever acts on the app (its members, the
 * partner org's ADMINs as OWNER); the provider side the members of the API's
 * org.  Platform admins hold both sides.  A caller on neither side gets 404,
 * on the wrong side (or with a role too weak) 403, and a move the status
 * does not allow 409 naming the current status and the allowed actions.
 *
 * For an API with auth_method access_token, subscribing (and requesting
 * activation again after a deactivation) creates an access token ("ghat_…")
 * that is answered once; only its unkeyed SHA-256 / SHA-512 digest is
 * stored, under the API's hash method, so the provider can verify tokens
 * itself (`gatehouse token verify-hash`).  Digests are shown to the
 * provider's ADMINs (roles.h: read_token_hashes) and platform admins.
 *
 * Every change writes a subscription event (the history), an audit event
 * (in the acting side's org) and notifications to the other side through
 * the outbox (portal/notify.h). */
#include "portal/subscriptions.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "crypto/secret.h"
#include "domain/id.h"
#include "domain/roles.h"
#include "domain/subscription.h"
#include "domain/validate.h"
#include "portal/call.h"
#include "portal/notify.h"

#define ACCESS_TOKEN_SIZE GH_SECRET_SIZE(sizeof GH_SECRET_PREFIX_ACCESS_TOKEN - 1)

/* A subscription with everything around it and what the caller may do. */
struct sub_view {
    struct gh_subscription sub;
    struct gh_app app;
    struct gh_api api;
    struct gh_plan plan;
    struct gh_org partner;  /* the app's org */
    struct gh_org provider; /* the API's org */
    bool partner_side;      /* the caller acts on the app (app_role) */
    enum gh_app_role app_role;
    bool provider_side; /* the caller belongs to the provider (org_role) */
    enum gh_org_role org_role;
};

/* ---- sides and loading ------------------------------------------------------ */

/* The role the caller acts with on app (platform admins: OWNER), or false. */
static bool caller_app_role(struct gh_call *c, const struct gh_app *app, enum gh_app_role *role)
{
    if (c->who.platform_admin) {
        *role = GH_APP_OWNER;
        return true;
    }
    if (!c->who.has_user)
        return false;
    enum gh_org_role org_role;
    bool org_admin = gh_call_org_role(c, app->org_id, &org_role) && org_role == GH_ORG_ADMIN;
    struct gh_app_member m;
    bool member =
        gh_store_app_member_get(c->tx, app->id, c->who.user.id, c->req->arena, &m) == GH_STORE_OK;
    return gh_app_effective_role(org_admin, member, member ? m.role : GH_APP_READ_ONLY, role);
}

/* The caller's role in the provider org (platform admins: ADMIN), or false. */
static bool caller_provider_role(struct gh_call *c, const char *org_id, enum gh_org_role *role)
{
    if (c->who.platform_admin) {
        *role = GH_ORG_ADMIN;
        return true;
    }
    return gh_call_org_role(c, org_id, role);
}

static bool may_decide(const struct sub_view *v)
{
    return v->provider_side &&
           gh_org_role_can(v->org_role, &v->provider, GH_ORG_CAP_DECIDE_SUBSCRIPTIONS);
}

static bool may_manage(const struct sub_view *v)
{
    return v->partner_side && gh_app_role_can(v->app_role, GH_APP_CAP_MANAGE_SUBSCRIPTIONS);
}

static bool may_read_hash(const struct sub_view *v)
{
    return v->provider_side &&
           gh_org_role_can(v->org_role, &v->provider, GH_ORG_CAP_READ_TOKEN_HASHES);
}

/* Fills everything of v around v->sub and the caller's sides.  Answers a
 * store failure and returns false. */
static bool load_around(struct gh_call *c, struct sub_view *v)
{
    struct gh_arena *a = c->req->arena;
    enum gh_store_rc rc = gh_store_app_get(c->tx, v->sub.app_id, a, &v->app);
    const char *what = "app";
    if (rc == GH_STORE_OK) {
        what = "API";
        rc = gh_store_api_get(c->tx, v->sub.api_id, a, &v->api);
    }
    if (rc == GH_STORE_OK) {
        what = "plan";
        rc = gh_store_plan_get(c->tx, v->sub.plan_id, a, &v->plan);
    }
    if (rc == GH_STORE_OK) {
        what = "partner organization";
        rc = gh_store_org_get(c->tx, v->app.org_id, a, &v->partner);
    }
    if (rc == GH_STORE_OK) {
        what = "provider organization";
        rc = gh_store_org_get(c->tx, v->api.org_id, a, &v->provider);
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, what);
        return false;
    }
    v->partner_side = caller_app_role(c, &v->app, &v->app_role);
    v->provider_side = caller_provider_role(c, v->api.org_id, &v->org_role);
    return true;
}

/* The subscription named by {id}, seen from a side the caller holds; 404
 * for everyone else, existing or not. */
static bool path_sub(struct gh_call *c, struct sub_view *v)
{
    memset(v, 0, sizeof *v);
    struct gh_str p = gh_req_param(c->req, "id");
    char *id = gh_arena_strndup(c->req->arena, p.ptr, p.len);
    enum gh_store_rc rc = gh_id_valid(id, GH_ID_SUBSCRIPTION)
                              ? gh_store_subscription_get(c->tx, id, c->req->arena, &v->sub)
                              : GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "subscription");
        return false;
    }
    if (!load_around(c, v))
        return false;
    if (!v->partner_side && !v->provider_side) {
        gh_call_fail(c, 404, NULL, "subscription not found");
        return false;
    }
    return true;
}

/* ---- rendering ------------------------------------------------------------------ */

/* The actions the caller may take now, from the sides they hold. */
static json_t *allowed_actions(const struct sub_view *v)
{
    bool allowed[GH_SUB_ACTION_COUNT] = {false};
    enum gh_sub_action acts[GH_SUB_ACTION_COUNT];
    if (may_manage(v)) {
        size_t n = gh_subscription_allowed_actions(v->sub.status, GH_SIDE_PARTNER, acts);
        for (size_t i = 0; i < n; i++)
            allowed[acts[i]] = true;
    }
    if (may_decide(v)) {
        size_t n = gh_subscription_allowed_actions(v->sub.status, GH_SIDE_PROVIDER, acts);
        for (size_t i = 0; i < n; i++)
            allowed[acts[i]] = true;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < GH_SUB_ACTION_COUNT; i++)
        if (allowed[i])
            json_array_append_new(arr, json_string(gh_sub_action_name((enum gh_sub_action)i)));
    return arr;
}

/* The subscription as the caller may see it: the access-token digest only
 * for those who may read token hashes; token (may be NULL) is the new
 * access token of this answer, shown this once. */
static json_t *render_sub(const struct sub_view *v, const char *token)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(v->sub.id));
    json_object_set_new(o, "status", json_string(gh_sub_status_name(v->sub.status)));
    json_object_set_new(o, "app_id", json_string(v->app.id));
    json_object_set_new(o, "app_name", json_string(v->app.name));
    json_object_set_new(o, "partner_org_id", json_string(v->partner.id));
    json_object_set_new(o, "partner_org_name", json_string(v->partner.name));
    json_object_set_new(o, "api_id", json_string(v->api.id));
    json_object_set_new(o, "api_name", json_string(v->api.name));
    json_object_set_new(o, "provider_org_id", json_string(v->provider.id));
    json_object_set_new(o, "provider_org_name", json_string(v->provider.name));
    json_object_set_new(o, "plan_id", json_string(v->plan.id));
    json_object_set_new(o, "plan_name", json_string(v->plan.name));
    json_object_set_new(o, "auth_method", json_string(gh_auth_method_name(v->api.auth_method)));
    json_object_set_new(o, "allowed_actions", allowed_actions(v));
    if (may_read_hash(v)) {
        bool has = v->sub.access_token_hash != NULL;
        json_object_set_new(o, "access_token_hash", gh_json_str_or_null(v->sub.access_token_hash));
        json_object_set_new(o, "access_token_hash_method",
                            has ? json_string(gh_hash_method_name(v->sub.access_token_hash_method))
                                : json_null());
    }
    if (token)
        json_object_set_new(o, "access_token", json_string(token));
    json_object_set_new(o, "created_at", gh_json_time(v->sub.created_at));
    json_object_set_new(o, "updated_at", gh_json_time(v->sub.updated_at));
    return o;
}

/* The action an event records, from its from/to statuses. */
static const char *event_action(const struct gh_subscription_event *e)
{
    if (!e->has_from)
        return "create";
    switch (e->to_status) {
    case GH_SUB_ACTIVE:
        return "activate";
    case GH_SUB_DEACTIVATION_REQUESTED:
        return "request-deactivation";
    case GH_SUB_INACTIVE:
        return "deactivate";
    default:
        return "request-activation";
    }
}

static json_t *render_event(struct gh_call *c, const struct gh_subscription_event *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(e->id));
    json_object_set_new(o, "at", gh_json_time(e->at));
    const char *action = event_action(e);
    json_object_set_new(o, "action", json_string(action));
    enum gh_sub_action act;
    bool provider =
        gh_sub_action_parse(action, &act) && (act == GH_SUB_ACTIVATE || act == GH_SUB_DEACTIVATE);
    json_object_set_new(o, "side", json_string(provider ? "provider" : "partner"));
    json_object_set_new(
        o, "from", e->has_from ? json_string(gh_sub_status_name(e->from_status)) : json_null());
    json_object_set_new(o, "to", json_string(gh_sub_status_name(e->to_status)));
    json_object_set_new(o, "reason", gh_json_str_or_null(e->reason));
    json_t *actor = json_object();
    json_object_set_new(actor, "id", gh_json_str_or_null(e->actor_id));
    struct gh_user u;
    bool person = e->actor_id && gh_id_valid(e->actor_id, GH_ID_USER) &&
                  gh_store_user_get(c->tx, e->actor_id, c->req->arena, &u) == GH_STORE_OK;
    const char *kind = !e->actor_id ? "system" : person ? "user" : "admin_token";
    json_object_set_new(actor, "kind", json_string(kind));
    json_object_set_new(actor, "name", person ? json_string(u.name) : json_null());
    json_object_set_new(actor, "email", person ? json_string(u.email) : json_null());
    json_object_set_new(o, "actor", actor);
    return o;
}

/* ---- writes shared by creation and transitions ------------------------------------ */

/* Who acts, for events: the person when there is one, else the token. */
static const char *actor_id(const struct gh_call *c)
{
    return c->who.has_user ? c->who.user.id : c->who.actor_id;
}

/* Gives v->sub a new access token for v->api's hash method: the token (in
 * the arena, to answer once) into *token, its digest into the row. */
static void new_access_token(struct gh_call *c, struct sub_view *v, char **token)
{
    char buf[ACCESS_TOKEN_SIZE];
    size_t n = gh_secret_generate(GH_SECRET_PREFIX_ACCESS_TOKEN, buf, sizeof buf);
    char hex[129];
    if (v->api.access_token_hash_method == GH_HASH_SHA512)
        gh_sha512_hex(buf, n, hex);
    else
        gh_sha256_hex(buf, n, hex);
    v->sub.access_token_hash = gh_arena_strdup(c->req->arena, hex);
    v->sub.access_token_hash_method = v->api.access_token_hash_method;
    *token = gh_arena_strndup(c->req->arena, buf, n);
    memset(buf, 0, sizeof buf);
}

/* A new event id that sorts after the ids of earlier events.  The store
 * orders a history by (at, id) and at has whole seconds, so transitions made
 * within one second would come out in random order with random ids: the
 * first 13 of the 26 characters are the microseconds since the epoch, four
 * bits each as 'a'..'p' (in ASCII order and in the id alphabet); the other
 * 13 stay random, so the id is still unguessable and valid. */
static char *event_id(struct gh_arena *a)
{
    char *id = gh_id_new(a, GH_ID_SUBSCRIPTION_EVENT);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    char *digits = id + sizeof GH_ID_SUBSCRIPTION_EVENT; /* after "sev_" */
    for (int i = 12; i >= 0; i--) {
        digits[i] = (char)('a' + (us & 15u));
        us >>= 4;
    }
    assert(gh_id_valid(id, GH_ID_SUBSCRIPTION_EVENT));
    return id;
}

static bool add_event(struct gh_call *c, const struct sub_view *v, bool has_from,
                      enum gh_sub_status from, const char *reason)
{
    struct gh_subscription_event e = {
        .id = event_id(c->req->arena),
        .subscription_id = v->sub.id,
        .actor_id = (char *)actor_id(c),
        .has_from = has_from,
        .from_status = from,
        .to_status = v->sub.status,
        .reason = (char *)reason,
        .at = c->now,
    };
    enum gh_store_rc rc = gh_store_subscription_event_insert(c->tx, &e);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "subscription event");
        return false;
    }
    return true;
}

/* Tells the other side about v (portal/notify.h): the provider's ADMINs
 * and responsible person (to_provider), or the partner's responsible person
 * and the app's OWNERs; and that side's webhooks. */
static bool notify(struct gh_call *c, const struct sub_view *v, const char *event,
                   const char *from_status, const char *reason, bool to_provider)
{
    return gh_notify_subscription(c, &(struct gh_notify_sub){
                                         .event = event,
                                         .sub = &v->sub,
                                         .app = &v->app,
                                         .api = &v->api,
                                         .plan = &v->plan,
                                         .partner = &v->partner,
                                         .provider = &v->provider,
                                         .old_status = from_status,
                                         .reason = reason,
                                         .to_provider = to_provider,
                                     });
}

/* ---- POST /api/v1/apps/{app}/subscriptions ------------------------------------------ */

/* Whether the partner holds every role the API requires (seed 002: an API
 * the partner lacks a role for is not available to it at all). */
static bool api_available_to(const struct gh_api *api, const struct gh_org *partner)
{
    for (size_t i = 0; i < api->required_roles.n; i++) {
        bool found = false;
        for (size_t j = 0; j < partner->partner_roles.n && !found; j++)
            found = strcmp(api->required_roles.items[i], partner->partner_roles.items[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static bool body_id(struct gh_call *c, const char *name, char **out)
{
    struct gh_json_error err = {0};
    if (!gh_json_string(c->body, name, GH_JSON_REQUIRED, 1, GH_ID_BUF_SIZE, c->req->arena, out,
                        &err)) {
        gh_call_json_fail(c, &err);
        return false;
    }
    return true;
}

/* The API and plan of a new subscription of v->app: an API available to the
 * app's partner and one of its plans; 422 naming the field otherwise. */
static bool load_api_and_plan(struct gh_call *c, struct sub_view *v, const char *api_id,
                              const char *plan_id)
{
    struct gh_arena *a = c->req->arena;
    enum gh_store_rc rc = gh_store_org_get(c->tx, v->app.org_id, a, &v->partner);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "partner organization");
        return false;
    }
    rc = gh_id_valid(api_id, GH_ID_API) ? gh_store_api_get(c->tx, api_id, a, &v->api)
                                        : GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(c, rc, "API");
        return false;
    }
    if (rc == GH_STORE_NOT_FOUND || !api_available_to(&v->api, &v->partner)) {
        gh_call_fail(c, 422, "api",
                     "no API with this id is available to the app's organization (see GET "
                     "/api/v1/apis)");
        return false;
    }
    rc = gh_id_valid(plan_id, GH_ID_PLAN) ? gh_store_plan_get(c->tx, plan_id, a, &v->plan)
                                          : GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(c, rc, "plan");
        return false;
    }
    if (rc == GH_STORE_NOT_FOUND || strcmp(v->plan.api_id, v->api.id) != 0) {
        gh_call_fail(c, 422, "plan", "the API has no plan with this id");
        return false;
    }
    rc = gh_store_org_get(c->tx, v->api.org_id, a, &v->provider);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "provider organization");
        return false;
    }
    return true;
}

static void already_subscribed(struct gh_call *c, const struct gh_subscription *s)
{
    gh_call_failf(c, 409, "api",
                  "the app already has a subscription to this API (%s, status '%s'); an app "
                  "subscribes to an API once%s",
                  s->id, gh_sub_status_name(s->status),
                  s->status == GH_SUB_INACTIVE ? ": use its request-activation action" : "");
}

static void sub_create(struct gh_req *req)
{
    static const char *const fields[] = {"api", "plan", NULL};
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct sub_view v;
    memset(&v, 0, sizeof v);
    if (!gh_call_visible_app(&c, gh_req_param(req, "app"), &v.app, &v.app_role) ||
        !gh_call_app_can(&c, v.app_role, GH_APP_CAP_MANAGE_SUBSCRIPTIONS) ||
        !gh_call_fields(&c, fields))
        return;
    v.partner_side = true;
    char *api_id, *plan_id;
    if (!body_id(&c, "api", &api_id) || !body_id(&c, "plan", &plan_id) ||
        !load_api_and_plan(&c, &v, api_id, plan_id))
        return;
    struct gh_subscription existing;
    enum gh_store_rc rc =
        gh_store_subscription_by_app_api(c.tx, v.app.id, v.api.id, req->arena, &existing);
    if (rc == GH_STORE_OK) {
        already_subscribed(&c, &existing);
        return;
    }
    if (rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(&c, rc, "subscription");
        return;
    }
    v.provider_side = caller_provider_role(&c, v.api.org_id, &v.org_role);

    v.sub = (struct gh_subscription){
        .id = gh_id_new(req->arena, GH_ID_SUBSCRIPTION),
        .app_id = v.app.id,
        .api_id = v.api.id,
        .plan_id = v.plan.id,
        .status = gh_subscription_initial_status(v.plan.approval),
        .access_token_hash_method = v.api.access_token_hash_method,
        .created_at = c.now,
        .updated_at = c.now,
    };
    char *token = NULL;
    if (v.api.auth_method == GH_AUTH_ACCESS_TOKEN)
        new_access_token(&c, &v, &token);
    rc = gh_store_subscription_insert(c.tx, &v.sub);
    if (rc == GH_STORE_CONFLICT) {
        gh_call_fail(&c, 409, "api", "the app already has a subscription to this API");
        return;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "subscription");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "app_id", json_string(v.app.id));
    json_object_set_new(changes, "api_id", json_string(v.api.id));
    json_object_set_new(changes, "plan_id", json_string(v.plan.id));
    json_object_set_new(changes, "status", json_string(gh_sub_status_name(v.sub.status)));
    json_object_set_new(changes, "access_token_issued", json_boolean(token != NULL));
    bool active = v.sub.status == GH_SUB_ACTIVE;
    if (!add_event(&c, &v, false, v.sub.status, NULL) ||
        !gh_call_audit(&c, "subscription.create", "subscription", v.sub.id, v.app.org_id,
                       changes) ||
        !notify(&c, &v, active ? "subscription.created" : "subscription.activation_requested", NULL,
                NULL, true) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 201, render_sub(&v, token));
}

/* ---- POST /api/v1/subscriptions/{id}/<action> ------------------------------------------ */

/* The optional {"reason"} body of a transition; *reason NULL when none. */
static bool reason_member(struct gh_call *c, char **reason)
{
    static const char *const fields[] = {"reason", NULL};
    *reason = NULL;
    if (!c->body)
        return true;
    if (!gh_call_fields(c, fields))
        return false;
    struct gh_json_error jerr = {0};
    if (!gh_json_string(c->body, "reason", GH_JSON_OPTIONAL, 0, GH_REASON_MAX, c->req->arena,
                        reason, &jerr)) {
        gh_call_json_fail(c, &jerr);
        return false;
    }
    if (!*reason)
        return true;
    char *s = *reason;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    *reason = n ? s : NULL;
    struct gh_field_error err = {0};
    if (*reason && !gh_validate_text("reason", *reason, 0, GH_REASON_MAX, true, &err)) {
        gh_call_failf(c, 422, "reason", "'reason' %s", err.message);
        return false;
    }
    return true;
}

/* The event the other side is told of after an action (a deactivation of
 * a subscription whose activation was requested is a rejection). */
static const char *transition_event(enum gh_sub_action action, enum gh_sub_status from)
{
    switch (action) {
    case GH_SUB_ACTIVATE:
        return "subscription.activated";
    case GH_SUB_REQUEST_DEACTIVATION:
        return "subscription.deactivation_requested";
    case GH_SUB_DEACTIVATE:
        return from == GH_SUB_ACTIVATION_REQUESTED ? "subscription.rejected"
                                                   : "subscription.deactivated";
    case GH_SUB_REQUEST_ACTIVATION:
    default:
        return "subscription.activation_requested";
    }
}

/* "subscription.request_activation" for the audit log. */
static const char *audit_action(struct gh_arena *a, enum gh_sub_action action)
{
    char *s = gh_arena_printf(a, "subscription.%s", gh_sub_action_name(action));
    for (char *p = s; *p; p++)
        if (*p == '-')
            *p = '_';
    return s;
}

static void sub_transition(struct gh_req *req, enum gh_sub_action action)
{
    /* the body is optional: a bare POST carries no reason */
    unsigned flags = GH_CALL_AUTH | GH_CALL_WRITE | (req->body.len ? GH_CALL_BODY : 0);
    struct gh_call c;
    if (!gh_call_begin(&c, req, flags))
        return;
    struct sub_view v;
    if (!path_sub(&c, &v))
        return;

    /* The side the action belongs to is the one the rules do not forbid. */
    struct gh_sub_transition as_partner, as_provider;
    enum gh_sub_verdict vp =
        gh_subscription_transition(v.sub.status, action, GH_SIDE_PARTNER, &as_partner);
    enum gh_sub_verdict vq =
        gh_subscription_transition(v.sub.status, action, GH_SIDE_PROVIDER, &as_provider);
    bool provider_action = vp == GH_SUB_FORBIDDEN;
    bool holds = provider_action ? v.provider_side : v.partner_side;
    if (!holds) {
        gh_call_fail(&c, 403, NULL, provider_action ? as_partner.message : as_provider.message);
        return;
    }
    if (provider_action && !may_decide(&v)) {
        gh_call_failf(&c, 403, NULL,
                      "only ADMINs of the provider organization can %s a subscription (your "
                      "role: %s)",
                      gh_sub_action_name(action), gh_org_role_name(v.org_role));
        return;
    }
    if (!provider_action && !gh_call_app_can(&c, v.app_role, GH_APP_CAP_MANAGE_SUBSCRIPTIONS))
        return;
    const struct gh_sub_transition *t = provider_action ? &as_provider : &as_partner;
    if ((provider_action ? vq : vp) != GH_SUB_OK) {
        gh_call_fail(&c, 409, NULL, t->message);
        return;
    }
    char *reason;
    if (!reason_member(&c, &reason))
        return;

    enum gh_sub_status from = v.sub.status;
    v.sub.status = t->new_status;
    v.sub.updated_at = c.now;
    char *token = NULL;
    if (action == GH_SUB_REQUEST_ACTIVATION && v.api.auth_method == GH_AUTH_ACCESS_TOKEN)
        new_access_token(&c, &v, &token);
    enum gh_store_rc rc = gh_store_subscription_update(c.tx, &v.sub);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "subscription");
        return;
    }
    json_t *changes = json_object();
    json_t *st = json_object();
    json_object_set_new(st, "old", json_string(gh_sub_status_name(from)));
    json_object_set_new(st, "new", json_string(gh_sub_status_name(v.sub.status)));
    json_object_set_new(changes, "status", st);
    json_object_set_new(changes, "reason", gh_json_str_or_null(reason));
    if (token)
        json_object_set_new(changes, "access_token_issued", json_true());
    if (!add_event(&c, &v, true, from, reason) ||
        !gh_call_audit(&c, audit_action(req->arena, action), "subscription", v.sub.id,
                       provider_action ? v.provider.id : v.partner.id, changes) ||
        !notify(&c, &v, transition_event(action, from), gh_sub_status_name(from), reason,
                !provider_action) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, render_sub(&v, token));
}

static void sub_activate(struct gh_req *req)
{
    sub_transition(req, GH_SUB_ACTIVATE);
}

static void sub_request_deactivation(struct gh_req *req)
{
    sub_transition(req, GH_SUB_REQUEST_DEACTIVATION);
}

static void sub_deactivate(struct gh_req *req)
{
    sub_transition(req, GH_SUB_DEACTIVATE);
}

static void sub_request_activation(struct gh_req *req)
{
    sub_transition(req, GH_SUB_REQUEST_ACTIVATION);
}

/* ---- reads -------------------------------------------------------------------------------- */

static void sub_get(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct sub_view v;
    if (!path_sub(&c, &v))
        return;
    gh_call_reply(&c, 200, render_sub(&v, NULL));
}

static void sub_history(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct sub_view v;
    struct gh_page page;
    if (!path_sub(&c, &v) || !gh_call_page(&c, &page))
        return;
    struct gh_subscription_event *evs = NULL;
    size_t n = 0;
    enum gh_store_rc rc =
        gh_store_subscription_event_list(c.tx, v.sub.id, NULL, req->arena, &evs, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "subscription history");
        return;
    }
    json_t *items = json_array();
    for (size_t i = (size_t)page.offset; i < n && i < (size_t)(page.offset + page.limit); i++)
        json_array_append_new(items, render_event(&c, &evs[i]));
    gh_call_reply_list(&c, items, (int64_t)n);
}

/* Answers the page of subs as the caller sees each one. */
static void reply_subs(struct gh_call *c, const struct gh_page *page, struct gh_subscription *subs,
                       size_t n)
{
    json_t *items = json_array();
    for (size_t i = (size_t)page->offset; i < n && i < (size_t)(page->offset + page->limit); i++) {
        struct sub_view v;
        memset(&v, 0, sizeof v);
        v.sub = subs[i];
        if (!load_around(c, &v)) {
            json_decref(items);
            return;
        }
        json_array_append_new(items, render_sub(&v, NULL));
    }
    gh_call_reply_list(c, items, (int64_t)n);
}

static void app_sub_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_app app;
    enum gh_app_role role;
    struct gh_page page;
    if (!gh_call_visible_app(&c, gh_req_param(req, "app"), &app, &role) ||
        !gh_call_app_can(&c, role, GH_APP_CAP_READ) || !gh_call_page(&c, &page))
        return;
    struct gh_subscription *subs = NULL;
    size_t n = 0;
    enum gh_store_rc rc =
        gh_store_subscription_list_by_app(c.tx, app.id, NULL, req->arena, &subs, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "subscriptions");
        return;
    }
    reply_subs(&c, &page, subs, n);
}

static void api_sub_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_api api;
    struct gh_org provider;
    struct gh_page page;
    if (!gh_call_provider_api(&c, gh_req_param(req, "api"), &api, &provider, NULL))
        return;
    bool bad = false;
    const char *status_text = gh_call_query(&c, "status", &bad);
    if (bad)
        return;
    enum gh_sub_status status;
    if (status_text && !gh_sub_status_parse(status_text, &status)) {
        gh_call_fail(&c, 422, "status",
                     "status must be activation-requested, active, deactivation-requested or "
                     "inactive");
        return;
    }
    if (!gh_call_page(&c, &page))
        return;
    struct gh_subscription *subs = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_subscription_list_by_api(
        c.tx, api.id, status_text ? &status : NULL, NULL, req->arena, &subs, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "subscriptions");
        return;
    }
    reply_subs(&c, &page, subs, n);
}

bool gh_portal_register_subscriptions(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_POST, "/api/v1/apps/{app}/subscriptions", sub_create, p) &&
           gh_router_add(r, GH_GET, "/api/v1/apps/{app}/subscriptions", app_sub_list, p) &&
           gh_router_add(r, GH_GET, "/api/v1/apis/{api}/subscriptions", api_sub_list, p) &&
           gh_router_add(r, GH_GET, "/api/v1/subscriptions/{id}", sub_get, p) &&
           gh_router_add(r, GH_GET, "/api/v1/subscriptions/{id}/history", sub_history, p) &&
           gh_router_add(r, GH_POST, "/api/v1/subscriptions/{id}/activate", sub_activate, p) &&
           gh_router_add(r, GH_POST, "/api/v1/subscriptions/{id}/request-deactivation",
                         sub_request_deactivation, p) &&
           gh_router_add(r, GH_POST, "/api/v1/subscriptions/{id}/deactivate", sub_deactivate, p) &&
           gh_router_add(r, GH_POST, "/api/v1/subscriptions/{id}/request-activation",
                         sub_request_activation, p);
}
