/* App access status (seed 000), per provider:
 *
 *   PUT /api/v1/apps/{app}/access-status {provider_org, status, reason}
 *   GET /api/v1/apps/{app}/access-status
 *
 * The providers "concerned" with an app are those with an API the app has a
 * subscription to (any status), and those that already set a status for it.
 * A concerned provider's ADMINs (and platform admins, for any provider org)
 * set the status: red needs a reason (domain/validate.h), which the partner
 * org's responsible person and the app's OWNERs receive by mail (and the
 * partner's webhooks); green after red tells them access is back.
 * Subscriptions and credentials keep their own statuses: the red status
 * blocks on top of them (domain/access.h), so green restores exactly what
 * was there.
 *
 * Reading: the app's members (and its partner org's ADMINs, platform admins)
 * see every concerned provider's entry, green when none was set; members of
 * a concerned provider see their own provider's entry only.  Anyone else
 * gets 404, as for any other app. */
#include "portal/access.h"

#include <string.h>

#include "domain/access.h"
#include "domain/id.h"
#include "domain/roles.h"
#include "domain/validate.h"
#include "portal/call.h"
#include "portal/notify.h"

/* One concerned provider and the caller's standing there. */
struct provider_entry {
    struct gh_org org;
    bool has_rec;
    struct gh_access_status_rec rec;
    bool member; /* the caller is a member of org */
    enum gh_org_role role;
};

struct app_access {
    struct gh_app app;
    bool app_side; /* the caller acts on the app (any app role) */
    struct provider_entry *providers;
    size_t n;
};

static bool has_entry(const struct app_access *x, const char *org_id)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->providers[i].org.id, org_id) == 0)
            return true;
    return false;
}

/* Appends org_id to x's providers unless it is there; answers a store
 * failure and returns false.  cap is the array's capacity. */
static bool add_provider(struct gh_call *c, struct app_access *x, size_t cap, const char *org_id)
{
    if (has_entry(x, org_id) || x->n >= cap)
        return true;
    struct provider_entry *e = &x->providers[x->n];
    memset(e, 0, sizeof *e);
    enum gh_store_rc rc = gh_store_org_get(c->tx, org_id, c->req->arena, &e->org);
    if (rc == GH_STORE_OK) {
        rc = gh_store_access_status_get(c->tx, x->app.id, org_id, c->req->arena, &e->rec);
        e->has_rec = rc == GH_STORE_OK;
        if (rc == GH_STORE_NOT_FOUND)
            rc = GH_STORE_OK;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "provider organization");
        return false;
    }
    e->member = gh_call_org_role(c, org_id, &e->role);
    x->n++;
    return true;
}

/* The app named by {app} with its concerned providers and the caller's
 * standing; 404 for callers who are neither on the app's side nor members
 * of a concerned provider. */
static bool load_app_access(struct gh_call *c, struct app_access *x)
{
    memset(x, 0, sizeof *x);
    struct gh_arena *a = c->req->arena;
    struct gh_str p = gh_req_param(c->req, "app");
    char *id = gh_arena_strndup(a, p.ptr, p.len);
    enum gh_store_rc rc =
        gh_id_valid(id, GH_ID_APP) ? gh_store_app_get(c->tx, id, a, &x->app) : GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(c, rc, "app");
        return false;
    }
    if (rc == GH_STORE_NOT_FOUND) {
        gh_call_fail(c, 404, NULL, "app not found");
        return false;
    }
    if (c->who.platform_admin) {
        x->app_side = true;
    } else if (c->who.has_user) {
        enum gh_org_role org_role;
        bool org_admin = gh_call_org_role(c, x->app.org_id, &org_role) && org_role == GH_ORG_ADMIN;
        struct gh_app_member m;
        enum gh_app_role role;
        bool member =
            gh_store_app_member_get(c->tx, x->app.id, c->who.user.id, a, &m) == GH_STORE_OK;
        x->app_side =
            gh_app_effective_role(org_admin, member, member ? m.role : GH_APP_READ_ONLY, &role);
    }

    struct gh_subscription *subs = NULL;
    size_t nsubs = 0;
    struct gh_access_status_rec *recs = NULL;
    size_t nrecs = 0;
    rc = gh_store_subscription_list_by_app(c->tx, x->app.id, NULL, a, &subs, &nsubs);
    if (rc == GH_STORE_OK)
        rc = gh_store_access_status_list_by_app(c->tx, x->app.id, NULL, a, &recs, &nrecs);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "subscriptions");
        return false;
    }
    size_t cap = nsubs + nrecs;
    /* one spare entry: settable_entry may add a provider for platform admins */
    x->providers = gh_arena_calloc(a, cap + 1, sizeof *x->providers);
    for (size_t i = 0; i < nsubs; i++) {
        struct gh_api api;
        rc = gh_store_api_get(c->tx, subs[i].api_id, a, &api);
        if (rc != GH_STORE_OK) {
            gh_call_store_fail(c, rc, "API");
            return false;
        }
        if (!add_provider(c, x, cap, api.org_id))
            return false;
    }
    for (size_t i = 0; i < nrecs; i++)
        if (!add_provider(c, x, cap, recs[i].provider_org_id))
            return false;

    bool provider_member = false;
    for (size_t i = 0; i < x->n; i++)
        provider_member = provider_member || x->providers[i].member;
    if (!x->app_side && !provider_member) {
        gh_call_fail(c, 404, NULL, "app not found");
        return false;
    }
    return true;
}

static json_t *render_entry(const struct provider_entry *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "provider_org", json_string(e->org.id));
    json_object_set_new(o, "provider_org_name", json_string(e->org.name));
    enum gh_access_status st = gh_access_effective(e->has_rec ? &e->rec : NULL);
    json_object_set_new(o, "status", json_string(gh_access_status_name(st)));
    json_object_set_new(o, "reason", gh_json_str_or_null(e->has_rec ? e->rec.reason : NULL));
    json_object_set_new(o, "set_by", gh_json_str_or_null(e->has_rec ? e->rec.set_by : NULL));
    json_object_set_new(o, "set_at", gh_json_time(e->has_rec ? e->rec.set_at : 0));
    return o;
}

/* ---- GET /api/v1/apps/{app}/access-status ------------------------------------------ */

static void access_get(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct app_access x;
    struct gh_page page;
    if (!load_app_access(&c, &x) || !gh_call_page(&c, &page))
        return;
    json_t *items = json_array();
    int64_t total = 0;
    for (size_t i = 0; i < x.n; i++) {
        if (!x.app_side && !x.providers[i].member)
            continue;
        if (total >= page.offset && total < page.offset + page.limit)
            json_array_append_new(items, render_entry(&x.providers[i]));
        total++;
    }
    gh_call_reply_list(&c, items, total);
}

/* ---- PUT /api/v1/apps/{app}/access-status ------------------------------------------ */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* The body of a PUT: provider_org (an id), status and the optional reason. */
static bool access_body(struct gh_call *c, char **provider_org, enum gh_access_status *status,
                        char **reason)
{
    static const char *const fields[] = {"provider_org", "status", "reason", NULL};
    if (!gh_call_fields(c, fields))
        return false;
    struct gh_json_error jerr = {0};
    char *status_text;
    if (!gh_json_string(c->body, "provider_org", GH_JSON_REQUIRED, 1, GH_ID_BUF_SIZE, c->req->arena,
                        provider_org, &jerr) ||
        !gh_json_string(c->body, "status", GH_JSON_REQUIRED, 1, 16, c->req->arena, &status_text,
                        &jerr) ||
        !gh_json_string(c->body, "reason", GH_JSON_OPTIONAL, 0, GH_REASON_MAX, c->req->arena,
                        reason, &jerr)) {
        gh_call_json_fail(c, &jerr);
        return false;
    }
    if (!gh_access_status_parse(status_text, status)) {
        gh_call_fail(c, 422, "status", "'status' must be red or green");
        return false;
    }
    if (*reason) {
        *reason = trim(*reason);
        if (!**reason)
            *reason = NULL;
    }
    return true;
}

/* The concerned provider entry for org_id the caller may set the status
 * of, or NULL after answering: platform admins any provider org (added to
 * the entries if new), members of it 403 unless ADMIN; a provider org the
 * app has nothing to do with is a 422 on provider_org; everyone else 403. */
static struct provider_entry *settable_entry(struct gh_call *c, struct app_access *x,
                                             const char *org_id)
{
    struct provider_entry *e = NULL;
    for (size_t i = 0; i < x->n && !e; i++)
        if (strcmp(x->providers[i].org.id, org_id) == 0)
            e = &x->providers[i];
    if (!e && c->who.platform_admin && gh_id_valid(org_id, GH_ID_ORG)) {
        memset(&x->providers[x->n], 0, sizeof x->providers[x->n]);
        enum gh_store_rc rc =
            gh_store_org_get(c->tx, org_id, c->req->arena, &x->providers[x->n].org);
        if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
            gh_call_store_fail(c, rc, "provider organization");
            return NULL;
        }
        if (rc == GH_STORE_OK && x->providers[x->n].org.provider)
            e = &x->providers[x->n++];
    }
    if (!e) {
        if (c->who.platform_admin)
            gh_call_fail(c, 422, "provider_org", "no provider organization has this id");
        else if (gh_id_valid(org_id, GH_ID_ORG) &&
                 gh_call_org_role(c, org_id, &(enum gh_org_role){0}))
            gh_call_fail(c, 422, "provider_org",
                         "the app has no subscription to an API of this organization");
        else
            gh_call_fail(c, 403, "provider_org",
                         "only ADMINs of the provider organization can set its access status "
                         "for an app");
        return NULL;
    }
    if (c->who.platform_admin)
        return e;
    if (!e->member) {
        gh_call_fail(c, 403, "provider_org",
                     "only ADMINs of the provider organization can set its access status for an "
                     "app");
        return NULL;
    }
    if (!gh_org_role_can(e->role, &e->org, GH_ORG_CAP_SET_ACCESS_STATUS)) {
        gh_call_failf(c, 403, NULL,
                      "only ADMINs of the provider organization can set an app's access status "
                      "(your role: %s)",
                      gh_org_role_name(e->role));
        return NULL;
    }
    return e;
}

/* Tells the partner's responsible person and the app's OWNERs (and the
 * partner's webhooks) about a red or restored status. */
static bool notify_partner(struct gh_call *c, const struct app_access *x,
                           const struct provider_entry *e, enum gh_access_notice notice)
{
    return gh_notify_access_status(c, &x->app, &e->org, notice == GH_ACCESS_NOTICE_BLOCKED,
                                   e->rec.reason);
}

static void access_put(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct app_access x;
    char *org_id, *reason;
    enum gh_access_status status;
    if (!load_app_access(&c, &x) || !access_body(&c, &org_id, &status, &reason))
        return;
    struct provider_entry *e = settable_entry(&c, &x, org_id);
    if (!e)
        return;
    struct gh_access_status_rec rec = {
        .app_id = x.app.id,
        .provider_org_id = e->org.id,
        .status = status,
        .reason = reason,
        .set_by = (char *)(c.who.has_user ? c.who.user.id : c.who.actor_id),
        .set_at = c.now,
    };
    struct gh_field_error err = {0};
    if (!gh_access_status_validate(&rec, &err)) {
        if (err.field)
            gh_call_failf(&c, 422, err.field, "'%s' %s", err.field, err.message);
        else
            gh_call_fail(&c, 422, NULL, err.message);
        return;
    }
    enum gh_access_notice notice =
        gh_access_change_notice(e->has_rec ? &e->rec : NULL, status, reason);
    json_t *changes = json_object();
    json_object_set_new(changes, "provider_org", json_string(e->org.id));
    json_t *st = json_object();
    json_object_set_new(
        st, "old",
        json_string(gh_access_status_name(gh_access_effective(e->has_rec ? &e->rec : NULL))));
    json_object_set_new(st, "new", json_string(gh_access_status_name(status)));
    json_object_set_new(changes, "status", st);
    json_object_set_new(changes, "reason", gh_json_str_or_null(reason));

    enum gh_store_rc rc = gh_store_access_status_put(c.tx, &rec);
    if (rc != GH_STORE_OK) {
        json_decref(changes);
        gh_call_store_fail(&c, rc, "access status");
        return;
    }
    e->rec = rec;
    e->has_rec = true;
    if (!gh_call_audit(&c, "app.access_status.set", "app", x.app.id, e->org.id, changes) ||
        (notice != GH_ACCESS_NOTICE_NONE && !notify_partner(&c, &x, e, notice)) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, render_entry(e));
}

bool gh_portal_register_access(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_GET, "/api/v1/apps/{app}/access-status", access_get, p) &&
           gh_router_add(r, GH_PUT, "/api/v1/apps/{app}/access-status", access_put, p);
}
