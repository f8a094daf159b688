/* Apps and their members (/api/v1/orgs/{org}/apps, /api/v1/apps/{app}…).
 * Permissions (docs/permissions.md, domain/roles.h):
 *  - an app is created in a partner org by its ADMINs and DEVELOPERs
 *    (GH_ORG_CAP_CREATE_APPS) or by platform admins; the person creating it
 *    becomes its OWNER;
 *  - on an app, people act with their effective role (gh_call_visible_app):
 *    READ_ONLY reads, DEVELOPER also edits details, OWNER (and the org's
 *    ADMINs and platform admins) everything; only platform admins set a
 *    custom client_id / client_secret;
 *  - anyone else gets 404 for an app or org, whether it exists or not.
 * Client secrets appear only in the answer that creates them: the store
 * keeps their HMAC under the server pepper, audit events say only that a
 * secret changed. */
#include "portal/apps.h"

#include <string.h>

#include "crypto/random.h"
#include "domain/id.h"
#include "domain/roles.h"
#include "domain/validate.h"
#include "portal/call.h"
#include "portal/notify.h"

#define DEFAULT_ACCESS_TOKEN_VALIDITY_SECS 86400
#define GRACE_SECONDS_MAX (7 * 86400) /* a week */
#define CUSTOM_SECRET_MIN 32
#define CUSTOM_SECRET_MAX 256
#define CLIENT_ID_PREFIX "app-"
#define CLIENT_ID_RANDOM_BYTES 16 /* 128 bits: 26 base32 characters */

/* ---- input helpers ------------------------------------------------------------ */

/* Answers a failed domain validation: 422 naming the field ("'field' is …"). */
static void field_fail(struct gh_call *c, const struct gh_field_error *err)
{
    if (err->field)
        gh_call_failf(c, 422, err->field, "'%s' %s", err->field, err->message);
    else
        gh_call_fail(c, 422, NULL, err->message);
}

/* gh_call_fields with the refused name copied before the body is freed. */
static bool check_fields(struct gh_call *c, const char *const allowed[])
{
    struct gh_json_error err = {0};
    if (gh_json_check_fields(c->body, allowed, &err))
        return true;
    const char *field = err.field ? gh_arena_strdup(c->req->arena, err.field) : NULL;
    gh_call_fail(c, 400, field, err.message);
    return false;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* An optional text member: *out gets the trimmed text in the arena, or NULL
 * for null and (when empty_is_null) for "".  Absent members leave *out. */
static bool text_member(struct gh_call *c, const char *name, bool empty_is_null, char **out)
{
    json_t *v = json_object_get(c->body, name);
    if (!v)
        return true;
    if (json_is_null(v)) {
        *out = NULL;
        return true;
    }
    if (!json_is_string(v)) {
        gh_call_failf(c, 422, name, "'%s' must be a string or null", name);
        return false;
    }
    char *s = trim(gh_arena_strndup(c->req->arena, json_string_value(v), json_string_length(v)));
    *out = empty_is_null && !*s ? NULL : s;
    return true;
}

/* An optional boolean member; absent keeps *out, null is refused. */
static bool bool_member(struct gh_call *c, const char *name, bool *out)
{
    json_t *v = json_object_get(c->body, name);
    if (!v)
        return true;
    if (!json_is_boolean(v)) {
        gh_call_failf(c, 422, name, "'%s' must be true or false", name);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

/* An optional integer member in [0, max]; null means 0 ("the default").
 * Absent keeps *out.  The range itself is checked by gh_app_validate. */
static bool int_member(struct gh_call *c, const char *name, int64_t *out)
{
    json_t *v = json_object_get(c->body, name);
    if (!v)
        return true;
    if (json_is_null(v)) {
        *out = 0;
        return true;
    }
    if (!json_is_integer(v)) {
        gh_call_failf(c, 422, name, "'%s' must be an integer or null", name);
        return false;
    }
    *out = (int64_t)json_integer_value(v);
    return true;
}

/* An optional array of strings (null: empty), copied into the arena;
 * entries are checked by gh_app_validate.  Absent keeps *out. */
static bool list_member(struct gh_call *c, const char *name, struct gh_strlist *out)
{
    json_t *v = json_object_get(c->body, name);
    if (!v)
        return true;
    if (json_is_null(v)) {
        out->n = 0;
        out->items = NULL;
        return true;
    }
    return gh_call_strings(c, v, name, GH_LIST_MAX, out);
}

/* The settable app fields of POST (create) and PATCH (also "disabled"). */
static const char *const create_fields[] = {"name",
                                            "description",
                                            "confidential",
                                            "token_type",
                                            "token_name",
                                            "redirect_uris",
                                            "logout_uris",
                                            "grant_types",
                                            "scopes",
                                            "access_token_validity_secs",
                                            "refresh_token_validity_secs",
                                            "id_token_validity_mins",
                                            NULL};
static const char *const patch_fields[] = {"name",
                                           "description",
                                           "confidential",
                                           "disabled",
                                           "token_type",
                                           "token_name",
                                           "redirect_uris",
                                           "logout_uris",
                                           "grant_types",
                                           "scopes",
                                           "access_token_validity_secs",
                                           "refresh_token_validity_secs",
                                           "id_token_validity_mins",
                                           "client_id",
                                           "client_secret",
                                           NULL};

/* Applies the body's app fields to *app and validates the result. */
static bool read_app_fields(struct gh_call *c, struct gh_app *app)
{
    if (json_is_null(json_object_get(c->body, "name"))) {
        gh_call_fail(c, 422, "name", "'name' cannot be null; send a name");
        return false;
    }
    if (!text_member(c, "name", false, &app->name) ||
        !text_member(c, "description", true, &app->description) ||
        !bool_member(c, "confidential", &app->confidential) ||
        !bool_member(c, "disabled", &app->disabled) ||
        !text_member(c, "token_name", true, &app->token_name) ||
        !list_member(c, "redirect_uris", &app->redirect_uris) ||
        !list_member(c, "logout_uris", &app->logout_uris) ||
        !list_member(c, "grant_types", &app->grant_types) ||
        !list_member(c, "scopes", &app->scopes) ||
        !int_member(c, "access_token_validity_secs", &app->access_token_validity_secs) ||
        !int_member(c, "refresh_token_validity_secs", &app->refresh_token_validity_secs) ||
        !int_member(c, "id_token_validity_mins", &app->id_token_validity_mins))
        return false;
    json_t *tt = json_object_get(c->body, "token_type");
    if (tt &&
        (!json_is_string(tt) || !gh_token_type_parse(json_string_value(tt), &app->token_type))) {
        gh_call_fail(c, 422, "token_type", "'token_type' must be jwt or uuid");
        return false;
    }
    if (app->access_token_validity_secs == 0)
        app->access_token_validity_secs = DEFAULT_ACCESS_TOKEN_VALIDITY_SECS;
    struct gh_field_error err = {0};
    if (!app->name) {
        gh_call_fail(c, 422, "name", "'name' is required");
        return false;
    }
    if (!gh_app_validate(app, &err)) {
        field_fail(c, &err);
        return false;
    }
    return true;
}

/* ---- rendering -------------------------------------------------------------------- */

/* The app as the API shows it: never a secret or a secret's hash. */
static json_t *render_app(const struct gh_app *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(a->id));
    json_object_set_new(o, "org_id", json_string(a->org_id));
    json_object_set_new(o, "name", json_string(a->name));
    json_object_set_new(o, "description", json_string(a->description ? a->description : ""));
    json_object_set_new(o, "client_id", json_string(a->client_id));
    json_object_set_new(o, "confidential", json_boolean(a->confidential));
    json_object_set_new(o, "disabled", json_boolean(a->disabled));
    json_object_set_new(o, "token_type", json_string(gh_token_type_name(a->token_type)));
    json_object_set_new(o, "token_name", gh_json_str_or_null(a->token_name));
    json_object_set_new(o, "redirect_uris", gh_json_strlist(&a->redirect_uris));
    json_object_set_new(o, "logout_uris", gh_json_strlist(&a->logout_uris));
    json_object_set_new(o, "grant_types", gh_json_strlist(&a->grant_types));
    json_object_set_new(o, "scopes", gh_json_strlist(&a->scopes));
    json_object_set_new(o, "access_token_validity_secs",
                        json_integer(a->access_token_validity_secs
                                         ? a->access_token_validity_secs
                                         : DEFAULT_ACCESS_TOKEN_VALIDITY_SECS));
    json_object_set_new(o, "refresh_token_validity_secs",
                        json_integer(a->refresh_token_validity_secs));
    json_object_set_new(o, "id_token_validity_mins", json_integer(a->id_token_validity_mins));
    /* when the previous secret stops working after a rotation (null: none) */
    json_object_set_new(o, "previous_secret_expires_at",
                        gh_json_time(a->previous_secret_hash ? a->previous_secret_expires_at : 0));
    json_object_set_new(o, "created_at", gh_json_time(a->created_at));
    json_object_set_new(o, "updated_at", gh_json_time(a->updated_at));
    return o;
}

/* The app with its new client secret: only ever the answer that made it. */
static json_t *render_app_with_secret(const struct gh_app *a, const char *secret)
{
    json_t *o = render_app(a);
    json_object_set_new(o, "client_secret", json_string(secret));
    return o;
}

static json_t *render_member(const struct gh_app_member *m, const struct gh_user *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "user_id", json_string(m->user_id));
    json_object_set_new(o, "email", json_string(u->email));
    json_object_set_new(o, "name", json_string(u->name));
    json_object_set_new(o, "role", json_string(gh_app_role_name(m->role)));
    json_object_set_new(o, "created_at", gh_json_time(m->created_at));
    return o;
}

/* {"old":…, "new":…} for the audit trail (both stolen). */
static json_t *change(json_t *old_value, json_t *new_value)
{
    json_t *o = json_object();
    json_object_set_new(o, "old", old_value);
    json_object_set_new(o, "new", new_value);
    return o;
}

/* The fields whose rendering differs between before and after (both
 * borrowed), as {"field": {"old","new"}}; timestamps are left out. */
static json_t *diff(const json_t *before, const json_t *after)
{
    json_t *changes = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)after, key, v)
    {
        if (strcmp(key, "updated_at") == 0 || strcmp(key, "created_at") == 0)
            continue;
        json_t *old = json_object_get(before, key);
        if (!old || !json_equal(old, v))
            json_object_set_new(changes, key,
                                change(json_incref(old ? old : json_null()), json_incref(v)));
    }
    return changes;
}

/* ---- secrets and client ids ---------------------------------------------------------- */

/* "app-" + 26 lower-case base32 characters of 128 random bits: unique in
 * practice, and a valid client_id (gh_validate_client_id). */
static char *new_client_id(struct gh_arena *a)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint8_t raw[CLIENT_ID_RANDOM_BYTES];
    gh_random_bytes(raw, sizeof raw);
    char out[sizeof CLIENT_ID_PREFIX + (CLIENT_ID_RANDOM_BYTES * 8 + 4) / 5];
    size_t n = strlen(CLIENT_ID_PREFIX);
    memcpy(out, CLIENT_ID_PREFIX, n);
    unsigned acc = 0, bits = 0;
    for (size_t i = 0; i < sizeof raw; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            out[n++] = alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits)
        out[n++] = alphabet[(acc << (5 - bits)) & 31];
    out[n] = '\0';
    return gh_arena_strndup(a, out, n);
}

/* A new client secret in the arena; *hash gets its stored form. */
static char *new_client_secret(struct gh_call *c, char **hash)
{
    char buf[GH_SECRET_SIZE(sizeof GH_SECRET_PREFIX_CLIENT_SECRET - 1)];
    size_t n = gh_secret_generate(GH_SECRET_PREFIX_CLIENT_SECRET, buf, sizeof buf);
    char hex[GH_SECRET_HASH_HEX_LEN + 1];
    gh_call_secret_hash(c, buf, hex);
    *hash = gh_arena_strdup(c->req->arena, hex);
    char *secret = gh_arena_strndup(c->req->arena, buf, n);
    memset(buf, 0, sizeof buf);
    return secret;
}

/* Whether another app than self_id has client_id; answers on a store error. */
static bool client_id_taken(struct gh_call *c, const char *client_id, const char *self_id,
                            bool *taken)
{
    struct gh_app other;
    enum gh_store_rc rc = gh_store_app_by_client_id(c->tx, client_id, c->req->arena, &other);
    if (rc == GH_STORE_NOT_FOUND) {
        *taken = false;
        return true;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "app");
        return false;
    }
    *taken = !self_id || strcmp(other.id, self_id) != 0;
    return true;
}

/* ---- lookups ------------------------------------------------------------------------- */

static bool path_app(struct gh_call *c, struct gh_app *app, enum gh_app_role *role)
{
    return gh_call_visible_app(c, gh_req_param(c->req, "app"), app, role);
}

/* ---- POST /api/v1/orgs/{org}/apps ------------------------------------------------------ */

static void app_create(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_org org;
    enum gh_org_role role;
    if (!gh_call_visible_org(&c, gh_req_param(req, "org"), &org, &role))
        return;
    if (!org.partner) {
        gh_call_fail(&c, 422, NULL,
                     "apps belong to partner organizations; this organization is not a partner");
        return;
    }
    if (!c.who.platform_admin && !gh_org_role_can(role, &org, GH_ORG_CAP_CREATE_APPS)) {
        gh_call_fail(&c, 403, NULL, "your role in this organization does not allow creating apps");
        return;
    }
    if (!check_fields(&c, create_fields))
        return;
    struct gh_app app = {.org_id = org.id, .confidential = true, .token_type = GH_TOKEN_JWT};
    app.client_id = new_client_id(req->arena);
    if (!read_app_fields(&c, &app))
        return;
    bool taken = false;
    if (!client_id_taken(&c, app.client_id, NULL, &taken))
        return;
    if (taken) { /* 128 random bits: only a broken random source gets here */
        gh_call_fail(&c, 409, "client_id", "the generated client_id is taken; try again");
        return;
    }
    char *secret = new_client_secret(&c, &app.client_secret_hash);
    app.id = gh_id_new(req->arena, GH_ID_APP);
    app.created_at = app.updated_at = c.now;
    enum gh_store_rc rc = gh_store_app_insert(c.tx, &app);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "app");
        return;
    }
    json_t *changes = render_app(&app);
    json_object_del(changes, "id");
    json_object_del(changes, "created_at");
    json_object_del(changes, "updated_at");
    json_object_del(changes, "previous_secret_expires_at");
    json_object_set_new(changes, "client_secret", json_string("generated"));
    if (!gh_call_audit(&c, "app.create", "app", app.id, org.id, changes))
        return;

    /* The person who creates an app becomes its OWNER, so it has one. */
    if (c.who.has_user) {
        struct gh_app_member m = {
            .app_id = app.id, .user_id = c.who.user.id, .role = GH_APP_OWNER, .created_at = c.now};
        rc = gh_store_app_member_put(c.tx, &m);
        if (rc != GH_STORE_OK) {
            gh_call_store_fail(&c, rc, "app member");
            return;
        }
        json_t *mc = json_object();
        json_object_set_new(mc, "user_id", json_string(c.who.user.id));
        json_object_set_new(mc, "email", json_string(c.who.user.email));
        json_object_set_new(mc, "role", json_string("OWNER"));
        if (!gh_call_audit(&c, "app.member.add", "app", app.id, org.id, mc))
            return;
    }
    if (!gh_call_commit(&c))
        return;
    gh_call_reply(&c, 201, render_app_with_secret(&app, secret));
}

/* ---- GET /api/v1/orgs/{org}/apps --------------------------------------------------------- */

static bool in_memberships(const struct gh_app_member *ms, size_t n, const char *app_id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ms[i].app_id, app_id) == 0)
            return true;
    return false;
}

/* An org's ADMINs and platform admins see all its apps; other members the
 * apps they are members of. */
static void app_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_org org;
    enum gh_org_role role;
    struct gh_page page;
    if (!gh_call_visible_org(&c, gh_req_param(req, "org"), &org, &role) || !gh_call_page(&c, &page))
        return;
    struct gh_app *apps = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_app_list_by_org(c.tx, org.id, NULL, req->arena, &apps, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "apps");
        return;
    }
    bool all = c.who.platform_admin || role == GH_ORG_ADMIN;
    struct gh_app_member *mine = NULL;
    size_t nmine = 0;
    if (!all) {
        rc = gh_store_app_member_list_by_user(c.tx, c.who.user.id, NULL, req->arena, &mine, &nmine);
        if (rc != GH_STORE_OK) {
            gh_call_store_fail(&c, rc, "app memberships");
            return;
        }
    }
    json_t *items = json_array();
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!all && !in_memberships(mine, nmine, apps[i].id))
            continue;
        if (total >= page.offset && total < page.offset + page.limit)
            json_array_append_new(items, render_app(&apps[i]));
        total++;
    }
    gh_call_reply_list(&c, items, total);
}

/* ---- GET, PATCH, DELETE /api/v1/apps/{app} ------------------------------------------------- */

static void app_get(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_app app;
    enum gh_app_role role;
    if (!path_app(&c, &app, &role) || !gh_call_app_can(&c, role, GH_APP_CAP_READ))
        return;
    gh_call_reply(&c, 200, render_app(&app));
}

static void app_patch(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_app app;
    enum gh_app_role role;
    if (!path_app(&c, &app, &role) || !check_fields(&c, patch_fields))
        return;
    /* Each field sent needs its capability, whether or not its value changes. */
    const char *key;
    json_t *v;
    json_object_foreach(c.body, key, v)
    {
        enum gh_app_cap cap = GH_APP_CAP_EDIT_DETAILS;
        if (c.who.platform_admin &&
            (strcmp(key, "client_id") == 0 || strcmp(key, "client_secret") == 0)) {
            const char *field = gh_arena_strdup(req->arena, key);
            gh_call_failf(&c, 422, field,
                          "'%s' is set with PUT /api/v1/apps/{app}/client-credentials", field);
            return;
        }
        if (gh_app_field_cap(key, &cap) && gh_app_role_can(role, cap))
            continue;
        const char *field = gh_arena_strdup(req->arena, key);
        if (cap == GH_APP_CAP_SET_CUSTOM_CREDENTIALS)
            gh_call_failf(&c, 403, field,
                          "'%s' is an authentication setting that only platform admins set "
                          "(PUT /api/v1/apps/{app}/client-credentials)",
                          field);
        else if (gh_app_field_is_auth_setting(field))
            gh_call_failf(&c, 403, field,
                          "'%s' is an authentication setting: your role %s on this app cannot "
                          "change it (OWNERs can)",
                          field, gh_app_role_name(role));
        else
            gh_call_failf(&c, 403, field, "your role %s on this app cannot change '%s'",
                          gh_app_role_name(role), field);
        return;
    }
    json_t *before = render_app(&app);
    if (!read_app_fields(&c, &app)) {
        json_decref(before);
        return;
    }
    json_t *after = render_app(&app);
    json_t *changes = diff(before, after);
    json_decref(before);
    json_decref(after);
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        gh_call_reply(&c, 200, render_app(&app));
        return;
    }
    app.updated_at = c.now;
    enum gh_store_rc rc = gh_store_app_update(c.tx, &app);
    if (rc != GH_STORE_OK) {
        json_decref(changes);
        gh_call_store_fail(&c, rc, "app");
        return;
    }
    if (!gh_call_audit(&c, "app.update", "app", app.id, app.org_id, changes) || !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, render_app(&app));
}

static void app_delete(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE))
        return;
    struct gh_app app;
    enum gh_app_role role;
    if (!path_app(&c, &app, &role) || !gh_call_app_can(&c, role, GH_APP_CAP_DELETE))
        return;
    enum gh_store_rc rc = gh_store_app_delete(c.tx, app.id);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "app");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "name", json_string(app.name));
    json_object_set_new(changes, "client_id", json_string(app.client_id));
    if (!gh_call_audit(&c, "app.delete", "app", app.id, app.org_id, changes) || !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

/* ---- POST /api/v1/apps/{app}/client-secret ------------------------------------------------ */

/* A new generated secret; the current one keeps working for grace_seconds
 * (0, the default: it stops at once).  A secret still in an earlier grace
 * period stops now: there is at most one previous secret. */
static void secret_rotate(struct gh_req *req)
{
    static const char *const fields[] = {"grace_seconds", NULL};
    struct gh_call c;
    /* the body is optional: an empty POST rotates without grace */
    unsigned flags = GH_CALL_AUTH | GH_CALL_WRITE;
    if (req->body.len || gh_req_header(req, "Content-Type"))
        flags |= GH_CALL_BODY;
    if (!gh_call_begin(&c, req, flags))
        return;
    struct gh_app app;
    enum gh_app_role role;
    if (!path_app(&c, &app, &role) || !gh_call_app_can(&c, role, GH_APP_CAP_MANAGE_SECRET))
        return;
    int64_t grace = 0;
    if (c.body) {
        if (!check_fields(&c, fields))
            return;
        struct gh_json_error err = {0};
        if (!gh_json_int64(c.body, "grace_seconds", GH_JSON_OPTIONAL, 0, GRACE_SECONDS_MAX, &grace,
                           &err)) {
            gh_call_json_fail(&c, &err);
            return;
        }
    }
    if (grace > 0) {
        app.previous_secret_hash = app.client_secret_hash;
        app.previous_secret_expires_at = c.now + grace;
    } else {
        app.previous_secret_hash = NULL;
        app.previous_secret_expires_at = 0;
    }
    char *secret = new_client_secret(&c, &app.client_secret_hash);
    app.updated_at = c.now;
    enum gh_store_rc rc = gh_store_app_update(c.tx, &app);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "app");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "client_secret", json_string("rotated"));
    json_object_set_new(changes, "grace_seconds", json_integer(grace));
    json_object_set_new(changes, "previous_secret_expires_at",
                        gh_json_time(app.previous_secret_expires_at));
    if (!gh_call_audit(&c, "app.client_secret.rotate", "app", app.id, app.org_id, changes) ||
        !gh_notify_secret_rotated(&c, &app, app.previous_secret_expires_at) || !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, render_app_with_secret(&app, secret));
}

/* ---- PUT /api/v1/apps/{app}/client-credentials ---------------------------------------------- */

/* Seed 002: only platform admins give an app a non-generated client_id
 * and/or client_secret.  A custom secret replaces the current one and any
 * previous one at once; it is stored hashed like a generated one. */
static void credentials_put(struct gh_req *req)
{
    static const char *const fields[] = {"client_id", "client_secret", NULL};
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_app app;
    enum gh_app_role role;
    if (!path_app(&c, &app, &role))
        return;
    if (!c.who.platform_admin) {
        gh_call_fail(&c, 403, NULL,
                     "only platform admins can set a custom client_id or client_secret");
        return;
    }
    if (!check_fields(&c, fields))
        return;
    struct gh_json_error jerr = {0};
    char *client_id = NULL, *secret = NULL;
    if (!gh_json_string(c.body, "client_id", GH_JSON_OPTIONAL, 0, GH_URI_MAX, req->arena,
                        &client_id, &jerr) ||
        !gh_json_string(c.body, "client_secret", GH_JSON_OPTIONAL, 0, CUSTOM_SECRET_MAX, req->arena,
                        &secret, &jerr)) {
        gh_call_json_fail(&c, &jerr);
        return;
    }
    if (!client_id && !secret) {
        gh_call_fail(&c, 422, NULL, "send 'client_id', 'client_secret' or both");
        return;
    }
    struct gh_field_error err = {0};
    if (client_id && !gh_validate_client_id("client_id", client_id, &err)) {
        field_fail(&c, &err);
        return;
    }
    if (secret) {
        size_t len = strlen(secret);
        bool printable = len >= CUSTOM_SECRET_MIN;
        for (size_t i = 0; printable && i < len; i++)
            printable = secret[i] > 0x20 && secret[i] < 0x7f;
        if (!printable) {
            gh_call_failf(&c, 422, "client_secret",
                          "'client_secret' must be %d to %d printable ASCII characters without "
                          "spaces",
                          CUSTOM_SECRET_MIN, CUSTOM_SECRET_MAX);
            return;
        }
    }
    json_t *changes = json_object();
    if (client_id && strcmp(client_id, app.client_id) != 0) {
        bool taken = false;
        if (!client_id_taken(&c, client_id, app.id, &taken)) {
            json_decref(changes);
            return;
        }
        if (taken) {
            json_decref(changes);
            gh_call_fail(&c, 409, "client_id", "another app has this client_id");
            return;
        }
        json_object_set_new(changes, "client_id",
                            change(json_string(app.client_id), json_string(client_id)));
        app.client_id = client_id;
    }
    if (secret) {
        char hex[GH_SECRET_HASH_HEX_LEN + 1];
        gh_call_secret_hash(&c, secret, hex);
        memset(secret, 0, strlen(secret));
        app.client_secret_hash = gh_arena_strdup(req->arena, hex);
        app.previous_secret_hash = NULL;
        app.previous_secret_expires_at = 0;
        json_object_set_new(changes, "client_secret", json_string("set"));
    }
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        gh_call_reply(&c, 200, render_app(&app));
        return;
    }
    app.updated_at = c.now;
    enum gh_store_rc rc = gh_store_app_update(c.tx, &app);
    if (rc != GH_STORE_OK) {
        json_decref(changes);
        if (rc == GH_STORE_CONFLICT)
            gh_call_fail(&c, 409, "client_id", "another app has this client_id");
        else
            gh_call_store_fail(&c, rc, "app");
        return;
    }
    if (!gh_call_audit(&c, "app.client_credentials.set", "app", app.id, app.org_id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, render_app(&app));
}

/* ---- /api/v1/apps/{app}/members ---------------------------------------------------------- */

/* The role member of the body: required, OWNER, DEVELOPER or READ_ONLY. */
static bool role_member(struct gh_call *c, enum gh_app_role *role)
{
    json_t *v = json_object_get(c->body, "role");
    if (!v || json_is_null(v)) {
        gh_call_fail(c, 422, "role", "'role' is required: OWNER, DEVELOPER or READ_ONLY");
        return false;
    }
    if (!json_is_string(v) || !gh_app_role_parse(json_string_value(v), role)) {
        gh_call_fail(c, 422, "role", "'role' must be OWNER, DEVELOPER or READ_ONLY");
        return false;
    }
    return true;
}

static void member_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_app app;
    enum gh_app_role role;
    struct gh_page page;
    if (!path_app(&c, &app, &role) || !gh_call_app_can(&c, role, GH_APP_CAP_READ) ||
        !gh_call_page(&c, &page))
        return;
    struct gh_app_member *ms = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_app_member_list_by_app(c.tx, app.id, NULL, req->arena, &ms, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "app members");
        return;
    }
    json_t *items = json_array();
    for (size_t i = (size_t)page.offset; i < n && i < (size_t)(page.offset + page.limit); i++) {
        struct gh_user u;
        rc = gh_store_user_get(c.tx, ms[i].user_id, req->arena, &u);
        if (rc != GH_STORE_OK) {
            json_decref(items);
            gh_call_store_fail(&c, rc, "app member");
            return;
        }
        json_array_append_new(items, render_member(&ms[i], &u));
    }
    gh_call_reply_list(&c, items, (int64_t)n);
}

static void member_add(struct gh_req *req)
{
    static const char *const fields[] = {"email", "role", NULL};
    /* One answer for unknown, unverified and non-member addresses: nobody
     * learns here who registered. */
    static const char no_person[] = "no member of the app's organization with a verified email "
                                    "has this address; add the person to the organization first";
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_app app;
    enum gh_app_role caller_role;
    if (!path_app(&c, &app, &caller_role) ||
        !gh_call_app_can(&c, caller_role, GH_APP_CAP_MANAGE_MEMBERS) || !check_fields(&c, fields))
        return;
    char *email = NULL;
    if (!text_member(&c, "email", false, &email))
        return;
    if (!email) {
        gh_call_fail(&c, 422, "email", "'email' is required");
        return;
    }
    gh_email_normalize(email);
    struct gh_field_error err = {0};
    if (!gh_validate_email("email", email, &err)) {
        field_fail(&c, &err);
        return;
    }
    enum gh_app_role role;
    if (!role_member(&c, &role))
        return;
    struct gh_user u;
    enum gh_store_rc rc = gh_store_user_by_email(c.tx, email, req->arena, &u);
    if (rc != GH_STORE_OK && rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(&c, rc, "person");
        return;
    }
    struct gh_membership om;
    enum gh_store_rc orc = GH_STORE_NOT_FOUND;
    if (rc == GH_STORE_OK)
        orc = gh_store_membership_get(c.tx, app.org_id, u.id, req->arena, &om);
    if (orc != GH_STORE_OK && orc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(&c, orc, "membership");
        return;
    }
    if (rc != GH_STORE_OK || !gh_app_member_add_allowed(&u, orc == GH_STORE_OK, NULL)) {
        gh_call_fail(&c, 422, "email", no_person);
        return;
    }
    struct gh_app_member m;
    rc = gh_store_app_member_get(c.tx, app.id, u.id, req->arena, &m);
    if (rc == GH_STORE_OK) {
        gh_call_fail(&c, 409, "email", "this person is already a member of the app");
        return;
    }
    if (rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(&c, rc, "app member");
        return;
    }
    m = (struct gh_app_member){
        .app_id = app.id, .user_id = u.id, .role = role, .created_at = c.now};
    rc = gh_store_app_member_put(c.tx, &m);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "app member");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "user_id", json_string(u.id));
    json_object_set_new(changes, "email", json_string(u.email));
    json_object_set_new(changes, "role", json_string(gh_app_role_name(role)));
    if (!gh_call_audit(&c, "app.member.add", "app", app.id, app.org_id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 201, render_member(&m, &u));
}

/* The app membership named by {user}; 404 when there is none. */
static bool path_member(struct gh_call *c, const struct gh_app *app, struct gh_app_member *m,
                        struct gh_user *u)
{
    struct gh_str p = gh_req_param(c->req, "user");
    char *uid = gh_arena_strndup(c->req->arena, p.ptr, p.len);
    enum gh_store_rc rc = GH_STORE_NOT_FOUND;
    if (gh_id_valid(uid, GH_ID_USER))
        rc = gh_store_app_member_get(c->tx, app->id, uid, c->req->arena, m);
    if (rc == GH_STORE_OK)
        rc = gh_store_user_get(c->tx, uid, c->req->arena, u);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "app member");
        return false;
    }
    return true;
}

/* The last-OWNER rule (gh_app_member_change_allowed): answers 409. */
static bool owner_change_allowed(struct gh_call *c, const struct gh_app *app,
                                 const struct gh_app_member *m, bool remove,
                                 enum gh_app_role new_role)
{
    int64_t owners = 0;
    enum gh_store_rc rc = gh_store_app_member_count_owners(c->tx, app->id, &owners);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "app members");
        return false;
    }
    struct gh_field_error err = {0};
    if (gh_app_member_change_allowed(m->role, remove, new_role, (size_t)owners, &err))
        return true;
    gh_call_failf(c, 409, err.field, "an app must keep at least one OWNER: %s", err.message);
    return false;
}

static void member_patch(struct gh_req *req)
{
    static const char *const fields[] = {"role", NULL};
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_app app;
    enum gh_app_role caller_role;
    if (!path_app(&c, &app, &caller_role) ||
        !gh_call_app_can(&c, caller_role, GH_APP_CAP_MANAGE_MEMBERS) || !check_fields(&c, fields))
        return;
    enum gh_app_role role;
    struct gh_app_member m;
    struct gh_user u;
    if (!role_member(&c, &role) || !path_member(&c, &app, &m, &u))
        return;
    if (role == m.role) {
        gh_call_reply(&c, 200, render_member(&m, &u));
        return;
    }
    if (!owner_change_allowed(&c, &app, &m, false, role))
        return;
    enum gh_app_role old = m.role;
    m.role = role;
    enum gh_store_rc rc = gh_store_app_member_put(c.tx, &m);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "app member");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "user_id", json_string(u.id));
    json_object_set_new(changes, "email", json_string(u.email));
    json_object_set_new(
        changes, "role",
        change(json_string(gh_app_role_name(old)), json_string(gh_app_role_name(role))));
    if (!gh_call_audit(&c, "app.member.update", "app", app.id, app.org_id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, render_member(&m, &u));
}

static void member_delete(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE))
        return;
    struct gh_app app;
    enum gh_app_role caller_role;
    if (!path_app(&c, &app, &caller_role))
        return;
    /* Any member may leave an app; removing others takes MANAGE_MEMBERS. */
    bool self = c.who.has_user && gh_str_eq_c(gh_req_param(req, "user"), c.who.user.id);
    if (!self && !gh_call_app_can(&c, caller_role, GH_APP_CAP_MANAGE_MEMBERS))
        return;
    struct gh_app_member m;
    struct gh_user u;
    if (!path_member(&c, &app, &m, &u) || !owner_change_allowed(&c, &app, &m, true, m.role))
        return;
    enum gh_store_rc rc = gh_store_app_member_delete(c.tx, app.id, u.id);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "app member");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "user_id", json_string(u.id));
    json_object_set_new(changes, "email", json_string(u.email));
    json_object_set_new(changes, "role", json_string(gh_app_role_name(m.role)));
    if (!gh_call_audit(&c, "app.member.remove", "app", app.id, app.org_id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

bool gh_portal_register_apps(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_POST, "/api/v1/orgs/{org}/apps", app_create, p) &&
           gh_router_add(r, GH_GET, "/api/v1/orgs/{org}/apps", app_list, p) &&
           gh_router_add(r, GH_GET, "/api/v1/apps/{app}", app_get, p) &&
           gh_router_add(r, GH_PATCH, "/api/v1/apps/{app}", app_patch, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/apps/{app}", app_delete, p) &&
           gh_router_add(r, GH_POST, "/api/v1/apps/{app}/client-secret", secret_rotate, p) &&
           gh_router_add(r, GH_PUT, "/api/v1/apps/{app}/client-credentials", credentials_put, p) &&
           gh_router_add(r, GH_GET, "/api/v1/apps/{app}/members", member_list, p) &&
           gh_router_add(r, GH_POST, "/api/v1/apps/{app}/members", member_add, p) &&
           gh_router_add(r, GH_PATCH, "/api/v1/apps/{app}/members/{user}", member_patch, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/apps/{app}/members/{user}", member_delete, p);
}
