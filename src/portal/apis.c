/* APIs and plans (/api/v1/orgs/{org}/apis, /api/v1/apis…).  Permissions
 * (docs/permissions.md, second table):
 *  - an ADMIN of a provider org, or a platform admin, publishes APIs in it
 *    and changes or deletes them and their plans;
 *  - the catalog (GET /apis, GET /apis/{api}, GET /apis/{api}/plans) shows
 *    platform admins every API, a provider org's members their org's APIs,
 *    and everyone authenticated the APIs whose required roles are all held
 *    by at least one partner org they belong to (so an API without required
 *    roles is visible to every authenticated caller);
 *  - who sees an API but may not manage it gets 403 on writes; who does not
 *    see it gets 404, whether it exists or not.
 * Path prefixes are unique across all APIs (ignoring trailing slashes, as
 * the gateway check does): a path must lead to exactly one API. */
#include "portal/apis.h"

#include <ctype.h>
#include <string.h>

#include "core/str.h"
#include "domain/id.h"
#include "domain/roles.h"
#include "domain/validate.h"
#include "portal/call.h"

#define API_Q_MAX 200
#define LIMIT_MAX 1000000000000LL /* requests in a rate limit or quota */
#define CUSTOMER_NUMBER_NAME_DEFAULT "customerId"

/* ---- input helpers --------------------------------------------------------- */

/* The validators speak in struct member names; the API in JSON names. */
static const char *json_field_name(const char *field)
{
    static const struct {
        const char *member, *json;
    } map[] = {
        {"customer_number_in", "customer_number.in"},
        {"customer_number_name", "customer_number.name"},
        {"customer_number_template", "customer_number.template"},
        {"rate_limit_requests", "rate_limit.requests"},
        {"rate_limit_window_secs", "rate_limit.window_secs"},
        {"quota_requests", "quota.requests"},
        {"quota_period", "quota.period"},
    };
    if (!field)
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(field, map[i].member) == 0)
            return map[i].json;
    return field;
}

/* Answers a failed domain validation: 422 naming the field in JSON terms. */
static void field_fail(struct gh_call *c, const struct gh_field_error *err)
{
    const char *field = json_field_name(err->field);
    if (field)
        gh_call_failf(c, 422, field, "'%s' %s", field, err->message);
    else
        gh_call_fail(c, 422, NULL, err->message);
}

/* A text member that, once sent, cannot be removed (null is refused). */
static bool required_text_member(struct gh_call *c, const json_t *obj, const char *name,
                                 bool *present, char **out)
{
    if (!gh_call_text_member(c, obj, name, name, present, out))
        return false;
    if (*present && !*out) {
        gh_call_failf(c, 422, name, "'%s' is required and cannot be null", name);
        return false;
    }
    return true;
}

/* An integer member of obj in [min, max], required. */
static bool int_member(struct gh_call *c, const json_t *obj, const char *name, const char *field,
                       int64_t min, int64_t max, int64_t *out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        gh_call_failf(c, 422, field, "'%s' is required", field);
        return false;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        gh_call_failf(c, 422, field, "'%s' must be an integer from %lld to %lld", field,
                      (long long)min, (long long)max);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

/* An enum member spelled as model.c's names: parse accepts exactly those.
 * Absent keeps *out; null or anything else answers 422 listing choices. */
#define ENUM_MEMBER(fn, type, parse)                                                               \
    static bool fn(struct gh_call *c, const json_t *obj, const char *name, const char *field,      \
                   const char *choices, bool *present, enum type *out)                             \
    {                                                                                              \
        json_t *v = json_object_get(obj, name);                                                    \
        *present = v != NULL;                                                                      \
        if (!v)                                                                                    \
            return true;                                                                           \
        if (!json_is_string(v) || !parse(json_string_value(v), out)) {                             \
            gh_call_failf(c, 422, field, "'%s' must be one of %s", field, choices);                \
            return false;                                                                          \
        }                                                                                          \
        return true;                                                                               \
    }
ENUM_MEMBER(auth_method_member, gh_auth_method, gh_auth_method_parse)
ENUM_MEMBER(hash_method_member, gh_hash_method, gh_hash_method_parse)
ENUM_MEMBER(cn_in_member, gh_customer_number_in, gh_customer_number_in_parse)
ENUM_MEMBER(approval_member, gh_plan_approval, gh_plan_approval_parse)
ENUM_MEMBER(quota_period_member, gh_quota_period, gh_quota_period_parse)
#undef ENUM_MEMBER

/* An optional array-of-strings member copied into the arena (entries are
 * validated later with the whole entity).  Absent keeps *out. */
static bool strlist_member(struct gh_call *c, const char *name, bool *present,
                           struct gh_strlist *out)
{
    json_t *v = json_object_get(c->body, name);
    *present = v != NULL;
    return !v || gh_call_strings(c, v, name, GH_LIST_MAX, out);
}

/* Refuses members of a nested object other than allowed: 400 naming
 * "<parent>.<member>". */
static bool nested_fields(struct gh_call *c, const json_t *obj, const char *parent,
                          const char *const allowed[])
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            char *f = gh_arena_printf(c->req->arena, "%s.%.100s", parent, key);
            gh_call_failf(c, 400, f, "unknown field '%s'", f);
            return false;
        }
    }
    return true;
}

/* Case-insensitive (ASCII) substring test. */
static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return true;
    for (; hay && *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* ---- who sees and manages which API -------------------------------------------- */

/* The caller's standing for the catalog: platform admins see everything;
 * a person sees through the orgs they belong to. */
struct viewer {
    bool all;
    size_t n;
    struct gh_org *orgs;     /* the person's orgs */
    enum gh_org_role *roles; /* their role in orgs[i] */
};

/* Loads the caller's orgs; answers on a store error. */
static bool load_viewer(struct gh_call *c, struct viewer *v)
{
    memset(v, 0, sizeof *v);
    v->all = c->who.platform_admin;
    if (v->all || !c->who.has_user)
        return true;
    struct gh_membership *ms = NULL;
    size_t n = 0;
    enum gh_store_rc rc =
        gh_store_membership_list_by_user(c->tx, c->who.user.id, NULL, c->req->arena, &ms, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "memberships");
        return false;
    }
    v->orgs = n ? gh_arena_calloc(c->req->arena, n, sizeof *v->orgs) : NULL;
    v->roles = n ? gh_arena_calloc(c->req->arena, n, sizeof *v->roles) : NULL;
    for (size_t i = 0; i < n; i++) {
        rc = gh_store_org_get(c->tx, ms[i].org_id, c->req->arena, &v->orgs[v->n]);
        if (rc == GH_STORE_NOT_FOUND)
            continue;
        if (rc != GH_STORE_OK) {
            gh_call_store_fail(c, rc, "organization");
            return false;
        }
        v->roles[v->n++] = ms[i].role;
    }
    return true;
}

static bool has_role(const struct gh_org *org, const char *role)
{
    return gh_strlist_has(&org->partner_roles, gh_str_c(role));
}

/* Seed 002: an API that requires roles is available to a partner only if
 * the partner holds every one of them. */
static bool partner_qualifies(const struct gh_org *org, const struct gh_api *api)
{
    if (!org->partner)
        return false;
    for (size_t i = 0; i < api->required_roles.n; i++)
        if (!has_role(org, api->required_roles.items[i]))
            return false;
    return true;
}

static bool api_visible(const struct viewer *v, const struct gh_api *api)
{
    if (v->all || api->required_roles.n == 0)
        return true;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->orgs[i].id, api->org_id) == 0 || partner_qualifies(&v->orgs[i], api))
            return true;
    return false;
}

static bool api_manageable(const struct viewer *v, const struct gh_api *api)
{
    if (v->all)
        return true;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->orgs[i].id, api->org_id) == 0)
            return gh_org_role_can(v->roles[i], &v->orgs[i], GH_ORG_CAP_MANAGE_APIS);
    return false;
}

/* The API named by {api} that the caller sees; 404 otherwise.  *manage
 * tells whether the caller may change it. */
static bool path_api(struct gh_call *c, struct gh_api *api, bool *manage)
{
    struct viewer v;
    if (!load_viewer(c, &v))
        return false;
    struct gh_str p = gh_req_param(c->req, "api");
    char *id = gh_arena_strndup(c->req->arena, p.ptr, p.len);
    enum gh_store_rc rc = gh_id_valid(id, GH_ID_API)
                              ? gh_store_api_get(c->tx, id, c->req->arena, api)
                              : GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(c, rc, "API");
        return false;
    }
    if (rc == GH_STORE_NOT_FOUND || !api_visible(&v, api)) {
        gh_call_fail(c, 404, NULL, "API not found");
        return false;
    }
    *manage = api_manageable(&v, api);
    return true;
}

/* 403 for a caller who sees the API but may not change it. */
static bool need_manage(struct gh_call *c, bool manage)
{
    if (manage)
        return true;
    gh_call_fail(c, 403, NULL,
                 "only ADMINs of the API's provider organization and platform admins can do this");
    return false;
}

/* The name of org id (for the catalog), "" if it is gone. */
static const char *org_name(struct gh_call *c, const char *id, bool *ok)
{
    struct gh_org o;
    enum gh_store_rc rc = gh_store_org_get(c->tx, id, c->req->arena, &o);
    *ok = rc == GH_STORE_OK || rc == GH_STORE_NOT_FOUND;
    if (!*ok)
        gh_call_store_fail(c, rc, "organization");
    return rc == GH_STORE_OK ? o.name : "";
}

/* ---- rendering --------------------------------------------------------------------- */

static json_t *render_customer_number(const struct gh_api *a)
{
    if (a->customer_number_in == GH_CN_NONE)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "in", json_string(gh_customer_number_in_name(a->customer_number_in)));
    json_object_set_new(o, "name", gh_json_str_or_null(a->customer_number_name));
    json_object_set_new(o, "template", gh_json_str_or_null(a->customer_number_template));
    return o;
}

static json_t *render_api(const struct gh_api *a, const char *provider_name)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(a->id));
    json_object_set_new(o, "org_id", json_string(a->org_id));
    json_object_set_new(o, "org_name", json_string(provider_name ? provider_name : ""));
    json_object_set_new(o, "name", json_string(a->name));
    json_object_set_new(o, "description", json_string(a->description ? a->description : ""));
    json_object_set_new(o, "service", json_string(a->service ? a->service : ""));
    json_object_set_new(o, "audience", gh_json_str_or_null(a->audience));
    json_object_set_new(o, "path_prefixes", gh_json_strlist(&a->path_prefixes));
    json_object_set_new(o, "auth_method", json_string(gh_auth_method_name(a->auth_method)));
    json_object_set_new(o, "access_token_hash_method",
                        json_string(gh_hash_method_name(a->access_token_hash_method)));
    json_object_set_new(o, "subscription_required", json_boolean(a->subscription_required));
    json_object_set_new(o, "required_roles", gh_json_strlist(&a->required_roles));
    json_object_set_new(o, "customer_number", render_customer_number(a));
    json_object_set_new(o, "created_at", gh_json_time(a->created_at));
    json_object_set_new(o, "updated_at", gh_json_time(a->updated_at));
    return o;
}

static json_t *render_plan(const struct gh_plan *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(p->id));
    json_object_set_new(o, "api_id", json_string(p->api_id));
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "description", json_string(p->description ? p->description : ""));
    json_t *rate = json_null();
    if (p->rate_limit_requests > 0) {
        rate = json_object();
        json_object_set_new(rate, "requests", json_integer(p->rate_limit_requests));
        json_object_set_new(rate, "window_secs", json_integer(p->rate_limit_window_secs));
    }
    json_object_set_new(o, "rate_limit", rate);
    json_t *quota = json_null();
    if (p->quota_requests > 0) {
        quota = json_object();
        json_object_set_new(quota, "requests", json_integer(p->quota_requests));
        json_object_set_new(quota, "period", json_string(gh_quota_period_name(p->quota_period)));
    }
    json_object_set_new(o, "quota", quota);
    json_object_set_new(o, "approval", json_string(gh_plan_approval_name(p->approval)));
    json_object_set_new(o, "created_at", gh_json_time(p->created_at));
    json_object_set_new(o, "updated_at", gh_json_time(p->updated_at));
    return o;
}

/* The audit trail's view of a change: {"field": {"old", "new"}} for every
 * member of the two renderings that differs, bookkeeping members left out.
 * Both renderings are stolen. */
static json_t *diff(json_t *before, json_t *after)
{
    static const char *const skip[] = {"id",         "org_id",     "org_name", "api_id",
                                       "created_at", "updated_at", NULL};
    json_t *changes = json_object();
    const char *key;
    json_t *val;
    json_object_foreach(after, key, val)
    {
        bool skipped = false;
        for (size_t i = 0; skip[i] && !skipped; i++)
            skipped = strcmp(key, skip[i]) == 0;
        json_t *old = json_object_get(before, key);
        if (skipped || (old && json_equal(old, val)))
            continue;
        json_t *ch = json_object();
        json_object_set(ch, "old", old ? old : json_null());
        json_object_set(ch, "new", val);
        json_object_set_new(changes, key, ch);
    }
    json_decref(before);
    json_decref(after);
    return changes;
}

/* A rendering for the audit trail of a created or deleted object. */
static json_t *snapshot_of(json_t *rendering)
{
    static const char *const skip[] = {"id", "org_name", "created_at", "updated_at", NULL};
    for (size_t i = 0; skip[i]; i++)
        json_object_del(rendering, skip[i]);
    return rendering;
}

/* ---- API input ------------------------------------------------------------------------ */

/* The customer_number member: null means the API carries none; an object
 * {"in": query|header|path, "name" (default customerId), "template" (path
 * only)}.  Absent keeps the API's current setting. */
static bool customer_number_member(struct gh_call *c, struct gh_api *api)
{
    static const char *const fields[] = {"in", "name", "template", NULL};
    json_t *v = json_object_get(c->body, "customer_number");
    if (!v)
        return true;
    if (json_is_null(v)) {
        api->customer_number_in = GH_CN_NONE;
        api->customer_number_name = NULL;
        api->customer_number_template = NULL;
        return true;
    }
    if (!json_is_object(v)) {
        gh_call_fail(c, 422, "customer_number",
                     "'customer_number' must be null or an object with in, name and template");
        return false;
    }
    if (!nested_fields(c, v, "customer_number", fields))
        return false;
    bool present;
    enum gh_customer_number_in in = GH_CN_NONE;
    char *name, *tmpl;
    if (!cn_in_member(c, v, "in", "customer_number.in", "query, header or path", &present, &in) ||
        !gh_call_text_member(c, v, "name", "customer_number.name", &present, &name) ||
        !gh_call_text_member(c, v, "template", "customer_number.template", &present, &tmpl))
        return false;
    if (in == GH_CN_NONE) {
        gh_call_fail(c, 422, "customer_number.in",
                     "'customer_number.in' must be one of query, header or path (send "
                     "\"customer_number\": null for an API without customer numbers)");
        return false;
    }
    if (tmpl && in != GH_CN_PATH) {
        gh_call_fail(c, 422, "customer_number.template",
                     "'customer_number.template' is only for \"in\": \"path\"");
        return false;
    }
    api->customer_number_in = in;
    api->customer_number_name = name ? name : CUSTOMER_NUMBER_NAME_DEFAULT;
    api->customer_number_template = tmpl;
    return true;
}

/* Applies the body's API fields onto *api (defaults or the current API). */
static bool read_api(struct gh_call *c, struct gh_api *api)
{
    static const char auth_choices[] =
        "manual_handover, access_token, api_key, oauth2, basic or mtls";
    bool present;
    char *s;
    if (!required_text_member(c, c->body, "name", &present, &s))
        return false;
    if (present)
        api->name = s;
    if (!gh_call_text_member(c, c->body, "description", "description", &present, &s))
        return false;
    if (present) /* rendered as "" when not set: keep the two alike */
        api->description = s && *s ? s : NULL;
    if (!required_text_member(c, c->body, "service", &present, &s))
        return false;
    if (present)
        api->service = s;
    if (!gh_call_text_member(c, c->body, "audience", "audience", &present, &s))
        return false;
    if (present)
        api->audience = s;
    return strlist_member(c, "path_prefixes", &present, &api->path_prefixes) &&
           auth_method_member(c, c->body, "auth_method", "auth_method", auth_choices, &present,
                              &api->auth_method) &&
           hash_method_member(c, c->body, "access_token_hash_method", "access_token_hash_method",
                              "sha256 or sha512", &present, &api->access_token_hash_method) &&
           gh_call_bool_member(c, c->body, "subscription_required", &present,
                               &api->subscription_required) &&
           strlist_member(c, "required_roles", &present, &api->required_roles) &&
           customer_number_member(c, api);
}

/* The prefix without trailing slashes: "/ola/" and "/ola" are one prefix
 * to the gateway check (store/snapshot.c). */
static size_t prefix_len(const char *p)
{
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/')
        n--;
    return n;
}

static bool prefix_same(const char *a, const char *b)
{
    size_t n = prefix_len(a);
    return n == prefix_len(b) && memcmp(a, b, n) == 0;
}

/* Validates the whole API, then the path prefixes against each other and
 * against every other API (409: a path must lead to one API). */
static bool check_api(struct gh_call *c, const struct gh_api *api)
{
    struct gh_field_error err = {0};
    if (!gh_api_validate(api, &err)) {
        field_fail(c, &err);
        return false;
    }
    const struct gh_strlist *mine = &api->path_prefixes;
    if (mine->n == 0) {
        gh_call_fail(c, 422, "path_prefixes",
                     "'path_prefixes' needs at least one path prefix: the gateway check finds "
                     "the API by it");
        return false;
    }
    for (size_t i = 0; i < mine->n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (prefix_same(mine->items[i], mine->items[j])) {
                gh_call_failf(c, 422, "path_prefixes",
                              "'path_prefixes' entry %zu repeats entry %zu (a trailing '/' "
                              "makes no other prefix)",
                              i + 1, j + 1);
                return false;
            }
        }
    }
    struct gh_api *all = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_api_list(c->tx, NULL, c->req->arena, &all, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "APIs");
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        if (api->id && strcmp(all[k].id, api->id) == 0)
            continue;
        for (size_t i = 0; i < mine->n; i++) {
            for (size_t j = 0; j < all[k].path_prefixes.n; j++) {
                if (prefix_same(mine->items[i], all[k].path_prefixes.items[j])) {
                    gh_call_failf(c, 409, "path_prefixes",
                                  "'path_prefixes' entry %zu ('%.200s') is already used by "
                                  "another API: a path must lead to one API only",
                                  i + 1, mine->items[i]);
                    return false;
                }
            }
        }
    }
    return true;
}

static const char *const api_fields[] = {"name",
                                         "description",
                                         "service",
                                         "audience",
                                         "path_prefixes",
                                         "auth_method",
                                         "access_token_hash_method",
                                         "subscription_required",
                                         "required_roles",
                                         "customer_number",
                                         NULL};

/* ---- POST /api/v1/orgs/{org}/apis ------------------------------------------------------ */

static void api_create(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_org org;
    enum gh_org_role role;
    if (!gh_call_visible_org(&c, gh_req_param(req, "org"), &org, &role))
        return;
    if (!c.who.platform_admin && role != GH_ORG_ADMIN) {
        gh_call_fail(&c, 403, NULL,
                     "only the organization's ADMINs and platform admins can publish APIs");
        return;
    }
    if (!org.provider) {
        if (c.who.platform_admin)
            gh_call_fail(&c, 422, NULL,
                         "this organization is not a provider: only providers publish APIs "
                         "(set \"provider\": true with PATCH /api/v1/orgs/{org} first)");
        else
            gh_call_fail(&c, 403, NULL,
                         "this organization is not a provider: only providers publish APIs "
                         "(a platform admin can make it one)");
        return;
    }
    if (!gh_call_fields(&c, api_fields))
        return;

    struct gh_api api = {
        .org_id = org.id,
        .auth_method = GH_AUTH_MANUAL_HANDOVER,
        .access_token_hash_method = GH_HASH_SHA256,
        .subscription_required = true,
        .customer_number_in = GH_CN_NONE,
    };
    if (!read_api(&c, &api) || !check_api(&c, &api))
        return;
    api.id = gh_id_new(req->arena, GH_ID_API);
    api.created_at = api.updated_at = c.now;
    enum gh_store_rc rc = gh_store_api_insert(c.tx, &api);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "API");
        return;
    }
    if (!gh_call_audit(&c, "api.create", "api", api.id, org.id,
                       snapshot_of(render_api(&api, org.name))) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 201, render_api(&api, org.name));
}

/* ---- GET /api/v1/apis ------------------------------------------------------------------- */

static void api_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    bool bad = false;
    const char *q = gh_call_query(&c, "q", &bad);
    if (bad)
        return;
    const char *org = gh_call_query(&c, "org", &bad);
    if (bad)
        return;
    struct gh_field_error err = {0};
    if (q && !gh_validate_text("q", q, 0, API_Q_MAX, false, &err)) {
        field_fail(&c, &err);
        return;
    }
    if (org && !gh_id_valid(org, GH_ID_ORG)) {
        gh_call_fail(&c, 422, "org", "'org' must be an organization id (org_…)");
        return;
    }
    struct gh_page page;
    struct viewer v;
    if (!gh_call_page(&c, &page) || !load_viewer(&c, &v))
        return;

    /* The store has no catalog query: filter every API here, then page. */
    struct gh_api *apis = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_api_list(c.tx, NULL, req->arena, &apis, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "APIs");
        return;
    }
    json_t *items = json_array();
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const struct gh_api *a = &apis[i];
        if (!api_visible(&v, a) || (org && strcmp(a->org_id, org) != 0) ||
            (q && !contains_nocase(a->name, q) && !contains_nocase(a->service, q)))
            continue;
        if (total >= page.offset && total < page.offset + page.limit) {
            bool ok;
            const char *name = org_name(&c, a->org_id, &ok);
            if (!ok) {
                json_decref(items);
                return;
            }
            json_array_append_new(items, render_api(a, name));
        }
        total++;
    }
    gh_call_reply_list(&c, items, total);
}

/* ---- GET, PATCH, DELETE /api/v1/apis/{api} ----------------------------------------------- */

static void api_get(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_api api;
    bool manage, ok;
    if (!path_api(&c, &api, &manage))
        return;
    const char *name = org_name(&c, api.org_id, &ok);
    if (!ok)
        return;
    gh_call_reply(&c, 200, render_api(&api, name));
}

static void api_patch(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_api api;
    bool manage, ok;
    if (!path_api(&c, &api, &manage) || !need_manage(&c, manage) || !gh_call_fields(&c, api_fields))
        return;
    const char *name = org_name(&c, api.org_id, &ok);
    if (!ok)
        return;
    json_t *before = render_api(&api, name);
    if (!read_api(&c, &api) || !check_api(&c, &api)) {
        json_decref(before);
        return;
    }
    json_t *changes = diff(before, render_api(&api, name));
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        gh_call_reply(&c, 200, render_api(&api, name));
        return;
    }
    api.updated_at = c.now;
    enum gh_store_rc rc = gh_store_api_update(c.tx, &api);
    if (rc != GH_STORE_OK) {
        json_decref(changes);
        gh_call_store_fail(&c, rc, "API");
        return;
    }
    if (!gh_call_audit(&c, "api.update", "api", api.id, api.org_id, changes) || !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, render_api(&api, name));
}

/* Deleting an API takes its plans and subscriptions with it (the store
 * cascades); the audit event records how many subscriptions went. */
static void api_delete(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE))
        return;
    struct gh_api api;
    bool manage;
    if (!path_api(&c, &api, &manage) || !need_manage(&c, manage))
        return;
    struct gh_subscription *subs = NULL;
    struct gh_plan *plans = NULL;
    size_t nsubs = 0, nplans = 0;
    enum gh_store_rc rc =
        gh_store_subscription_list_by_api(c.tx, api.id, NULL, NULL, req->arena, &subs, &nsubs);
    if (rc == GH_STORE_OK)
        rc = gh_store_plan_list_by_api(c.tx, api.id, NULL, req->arena, &plans, &nplans);
    if (rc == GH_STORE_OK)
        rc = gh_store_api_delete(c.tx, api.id);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "API");
        return;
    }
    json_t *changes = snapshot_of(render_api(&api, NULL));
    json_object_set_new(changes, "plans_removed", json_integer((json_int_t)nplans));
    json_object_set_new(changes, "subscriptions_removed", json_integer((json_int_t)nsubs));
    if (!gh_call_audit(&c, "api.delete", "api", api.id, api.org_id, changes) || !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

/* ---- plans ----------------------------------------------------------------------------------- */

static const char *const plan_fields[] = {"name",  "description", "rate_limit",
                                          "quota", "approval",    NULL};

/* rate_limit: null (unlimited) or {"requests" >= 1, "window_secs"}. */
static bool rate_limit_member(struct gh_call *c, struct gh_plan *p)
{
    static const char *const fields[] = {"requests", "window_secs", NULL};
    json_t *v = json_object_get(c->body, "rate_limit");
    if (!v)
        return true;
    if (json_is_null(v)) {
        p->rate_limit_requests = 0;
        p->rate_limit_window_secs = 0;
        return true;
    }
    if (!json_is_object(v)) {
        gh_call_fail(c, 422, "rate_limit",
                     "'rate_limit' must be null (unlimited) or {\"requests\", \"window_secs\"}");
        return false;
    }
    return nested_fields(c, v, "rate_limit", fields) &&
           int_member(c, v, "requests", "rate_limit.requests", 1, LIMIT_MAX,
                      &p->rate_limit_requests) &&
           int_member(c, v, "window_secs", "rate_limit.window_secs", 1, GH_RATE_WINDOW_MAX_SECS,
                      &p->rate_limit_window_secs);
}

/* quota: null (unlimited) or {"requests" >= 1, "period": day|month}. */
static bool quota_member(struct gh_call *c, struct gh_plan *p)
{
    static const char *const fields[] = {"requests", "period", NULL};
    json_t *v = json_object_get(c->body, "quota");
    if (!v)
        return true;
    if (json_is_null(v)) {
        p->quota_requests = 0;
        p->quota_period = GH_QUOTA_NONE;
        return true;
    }
    if (!json_is_object(v)) {
        gh_call_fail(c, 422, "quota",
                     "'quota' must be null (unlimited) or {\"requests\", \"period\"}");
        return false;
    }
    bool present;
    enum gh_quota_period period = GH_QUOTA_NONE;
    if (!nested_fields(c, v, "quota", fields) ||
        !int_member(c, v, "requests", "quota.requests", 1, LIMIT_MAX, &p->quota_requests) ||
        !quota_period_member(c, v, "period", "quota.period", "day or month", &present, &period))
        return false;
    if (period == GH_QUOTA_NONE) {
        gh_call_fail(c, 422, "quota.period", "'quota.period' must be one of day or month");
        return false;
    }
    p->quota_period = period;
    return true;
}

/* Applies the body's plan fields onto *p and validates the whole plan. */
static bool read_plan(struct gh_call *c, struct gh_plan *p)
{
    bool present;
    char *s;
    if (!required_text_member(c, c->body, "name", &present, &s))
        return false;
    if (present)
        p->name = s;
    if (!gh_call_text_member(c, c->body, "description", "description", &present, &s))
        return false;
    if (present)
        p->description = s && *s ? s : NULL;
    if (!rate_limit_member(c, p) || !quota_member(c, p) ||
        !approval_member(c, c->body, "approval", "approval", "provider or auto", &present,
                         &p->approval))
        return false;
    struct gh_field_error err = {0};
    if (!gh_plan_validate(p, &err)) {
        field_fail(c, &err);
        return false;
    }
    return true;
}

/* The plan named by {plan}, of api; 404 otherwise. */
static bool path_plan(struct gh_call *c, const struct gh_api *api, struct gh_plan *plan)
{
    struct gh_str p = gh_req_param(c->req, "plan");
    char *id = gh_arena_strndup(c->req->arena, p.ptr, p.len);
    enum gh_store_rc rc = gh_id_valid(id, GH_ID_PLAN)
                              ? gh_store_plan_get(c->tx, id, c->req->arena, plan)
                              : GH_STORE_NOT_FOUND;
    if (rc == GH_STORE_OK && strcmp(plan->api_id, api->id) != 0)
        rc = GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "plan");
        return false;
    }
    return true;
}

static void plan_create(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_api api;
    bool manage;
    if (!path_api(&c, &api, &manage) || !need_manage(&c, manage) ||
        !gh_call_fields(&c, plan_fields))
        return;
    struct gh_plan plan = {.api_id = api.id, .approval = GH_APPROVAL_PROVIDER};
    if (!read_plan(&c, &plan))
        return;
    plan.id = gh_id_new(req->arena, GH_ID_PLAN);
    plan.created_at = plan.updated_at = c.now;
    enum gh_store_rc rc = gh_store_plan_insert(c.tx, &plan);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "plan");
        return;
    }
    if (!gh_call_audit(&c, "plan.create", "plan", plan.id, api.org_id,
                       snapshot_of(render_plan(&plan))) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 201, render_plan(&plan));
}

static void plan_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_api api;
    bool manage;
    struct gh_page page;
    if (!path_api(&c, &api, &manage) || !gh_call_page(&c, &page))
        return;
    struct gh_plan *plans = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_plan_list_by_api(c.tx, api.id, NULL, req->arena, &plans, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "plans");
        return;
    }
    json_t *items = json_array();
    for (size_t i = (size_t)page.offset; i < n && i < (size_t)(page.offset + page.limit); i++)
        json_array_append_new(items, render_plan(&plans[i]));
    gh_call_reply_list(&c, items, (int64_t)n);
}

static void plan_patch(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_api api;
    struct gh_plan plan;
    bool manage;
    if (!path_api(&c, &api, &manage) || !need_manage(&c, manage) || !path_plan(&c, &api, &plan) ||
        !gh_call_fields(&c, plan_fields))
        return;
    json_t *before = render_plan(&plan);
    if (!read_plan(&c, &plan)) {
        json_decref(before);
        return;
    }
    json_t *changes = diff(before, render_plan(&plan));
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        gh_call_reply(&c, 200, render_plan(&plan));
        return;
    }
    plan.updated_at = c.now;
    enum gh_store_rc rc = gh_store_plan_update(c.tx, &plan);
    if (rc != GH_STORE_OK) {
        json_decref(changes);
        gh_call_store_fail(&c, rc, "plan");
        return;
    }
    if (!gh_call_audit(&c, "plan.update", "plan", plan.id, api.org_id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, render_plan(&plan));
}

static void plan_in_use(struct gh_call *c, size_t n)
{
    gh_call_failf(c, 409, NULL,
                  "the plan is used by %zu subscription%s (in any status); a plan can be "
                  "deleted once no subscription uses it",
                  n, n == 1 ? "" : "s");
}

static void plan_delete(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE))
        return;
    struct gh_api api;
    struct gh_plan plan;
    bool manage;
    if (!path_api(&c, &api, &manage) || !need_manage(&c, manage) || !path_plan(&c, &api, &plan))
        return;
    struct gh_subscription *subs = NULL;
    size_t n = 0, using = 0;
    enum gh_store_rc rc =
        gh_store_subscription_list_by_api(c.tx, api.id, NULL, NULL, req->arena, &subs, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "subscriptions");
        return;
    }
    for (size_t i = 0; i < n; i++)
        using += subs[i].plan_id &&strcmp(subs[i].plan_id, plan.id) == 0;
    if (using > 0) {
        plan_in_use(&c, using);
        return;
    }
    rc = gh_store_plan_delete(c.tx, plan.id);
    if (rc == GH_STORE_CONFLICT) { /* a subscription the list above did not show */
        plan_in_use(&c, 1);
        return;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "plan");
        return;
    }
    if (!gh_call_audit(&c, "plan.delete", "plan", plan.id, api.org_id,
                       snapshot_of(render_plan(&plan))) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

bool gh_portal_register_apis(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_POST, "/api/v1/orgs/{org}/apis", api_create, p) &&
           gh_router_add(r, GH_GET, "/api/v1/apis", api_list, p) &&
           gh_router_add(r, GH_GET, "/api/v1/apis/{api}", api_get, p) &&
           gh_router_add(r, GH_PATCH, "/api/v1/apis/{api}", api_patch, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/apis/{api}", api_delete, p) &&
           gh_router_add(r, GH_GET, "/api/v1/apis/{api}/plans", plan_list, p) &&
           gh_router_add(r, GH_POST, "/api/v1/apis/{api}/plans", plan_create, p) &&
           gh_router_add(r, GH_PATCH, "/api/v1/apis/{api}/plans/{plan}", plan_patch, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/apis/{api}/plans/{plan}", plan_delete, p);
}
