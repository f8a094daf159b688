/* Organizations and their members (/api/v1/orgs…): create, list, read,
 * change and delete orgs; a partner's customer numbers and roles; members
 * with the last-ADMIN rule.  Permissions (docs/permissions.md):
 *  - platform admins do everything;
 *  - a person with a verified email creates partner orgs and becomes their ADMIN;
 *  - an org's ADMINs change its name, description, contact and responsible
 *    person and manage its members; DEVELOPERs read;
 *  - everyone else gets 404 for an org, whether it exists or not. */
#include <ctype.h>
#include <string.h>

#include "domain/id.h"
#include "domain/roles.h"
#include "domain/validate.h"
#include "portal/call.h"

#define ORG_Q_MAX 200

/* ---- input helpers --------------------------------------------------------- */

/* Answers a failed domain validation: 422 naming the field ("'field' is …"). */
static void field_fail(struct gh_call *c, const struct gh_field_error *err)
{
    if (err->field)
        gh_call_failf(c, 422, err->field, "'%s' %s", err->field, err->message);
    else
        gh_call_fail(c, 422, NULL, err->message);
}

/* gh_call_fields, but the refused field's name is copied before the body
 * it points into is freed (gh_call_fields answers with the freed name). */
static bool check_fields(struct gh_call *c, const char *const allowed[])
{
    struct gh_json_error err = {0};
    if (gh_json_check_fields(c->body, allowed, &err))
        return true;
    const char *field = err.field ? gh_arena_strdup(c->req->arena, err.field) : NULL;
    gh_call_fail(c, 400, field, err.message);
    return false;
}

/* gh_org_validate speaks in struct member names; the API in JSON names. */
static const char *org_field_json_name(const char *field)
{
    static const struct {
        const char *member, *json;
    } map[] = {
        {"contact_address", "contact.address"},
        {"contact_phone", "contact.phone"},
        {"contact_email", "contact.email"},
        {"partner_roles", "roles"},
    };
    if (!field)
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(field, map[i].member) == 0)
            return map[i].json;
    return field;
}

struct contact_in {
    bool present; /* "contact" was sent (an object or null) */
    bool has_address, has_phone, has_email;
    char *address, *phone, *email;
};

/* The "contact" member: null clears all three parts, an object sets the
 * parts it names (null clears one).  Each part is validated here so that
 * errors name "contact.<part>". */
static bool contact_member(struct gh_call *c, const json_t *body, struct contact_in *in)
{
    memset(in, 0, sizeof *in);
    json_t *v = json_object_get(body, "contact");
    if (!v)
        return true;
    in->present = true;
    if (json_is_null(v)) {
        in->has_address = in->has_phone = in->has_email = true;
        return true;
    }
    if (!json_is_object(v)) {
        gh_call_fail(c, 422, "contact",
                     "'contact' must be an object with address, phone and email");
        return false;
    }
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        if (strcmp(key, "address") != 0 && strcmp(key, "phone") != 0 && strcmp(key, "email") != 0) {
            char *f = gh_arena_printf(c->req->arena, "contact.%.100s", key);
            gh_call_failf(c, 400, f, "unknown field '%s'", f);
            return false;
        }
    }
    struct gh_field_error err = {0};
    if (!gh_call_text_member(c, v, "address", "contact.address", &in->has_address, &in->address) ||
        !gh_call_text_member(c, v, "phone", "contact.phone", &in->has_phone, &in->phone) ||
        !gh_call_text_member(c, v, "email", "contact.email", &in->has_email, &in->email))
        return false;
    if (in->email)
        gh_email_normalize(in->email);
    if (!gh_validate_address("contact.address", in->address, &err) ||
        !gh_validate_phone("contact.phone", in->phone, &err) ||
        (in->email && !gh_validate_email("contact.email", in->email, &err))) {
        field_fail(c, &err);
        return false;
    }
    return true;
}

/* A required JSON array of strings, each checked by item, at most max
 * entries, no duplicates; copied into the arena. */
static bool strlist_member(struct gh_call *c, const char *name, size_t max, gh_validator_fn item,
                           struct gh_strlist *out)
{
    json_t *v = json_object_get(c->body, name);
    if (!v) {
        gh_call_failf(c, 422, name, "'%s' is required", name);
        return false;
    }
    if (!gh_call_strings(c, v, name, max, out))
        return false;
    struct gh_field_error err = {0};
    if (!gh_validate_list(name, out, max, item, &err)) {
        field_fail(c, &err);
        return false;
    }
    return true;
}

/* ---- rendering and lookups --------------------------------------------------- */

static json_t *render_member(const struct gh_membership *m, const struct gh_user *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "user_id", json_string(m->user_id));
    json_object_set_new(o, "email", json_string(u->email));
    json_object_set_new(o, "name", json_string(u->name));
    json_object_set_new(o, "role", json_string(gh_org_role_name(m->role)));
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

static bool str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether another org than self_id has this tenant key; answers on a store
 * error.  *taken tells. */
static bool tenant_taken(struct gh_call *c, const char *tenant, const char *self_id, bool *taken)
{
    struct gh_org other;
    enum gh_store_rc rc = gh_store_org_by_tenant(c->tx, tenant, c->req->arena, &other);
    if (rc == GH_STORE_NOT_FOUND) {
        *taken = false;
        return true;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "organization");
        return false;
    }
    *taken = !self_id || strcmp(other.id, self_id) != 0;
    return true;
}

static void tenant_conflict(struct gh_call *c)
{
    gh_call_fail(c, 409, "tenant", "the tenant key is taken by another organization");
}

/* The org in the path, visible to the caller, with the caller's role
 * (GH_ORG_ADMIN for platform admins).  404 otherwise. */
static bool path_org(struct gh_call *c, struct gh_org *org, enum gh_org_role *role)
{
    return gh_call_visible_org(c, gh_req_param(c->req, "org"), org, role);
}

/* 403 unless the caller is a platform admin or an ADMIN of the org. */
static bool need_org_admin(struct gh_call *c, enum gh_org_role role)
{
    if (c->who.platform_admin || role == GH_ORG_ADMIN)
        return true;
    gh_call_fail(c, 403, NULL, "only the organization's ADMINs and platform admins can do this");
    return false;
}

static bool need_platform_admin(struct gh_call *c)
{
    if (c->who.platform_admin)
        return true;
    gh_call_fail(c, 403, NULL, "only platform admins can do this");
    return false;
}

/* The role member of body: required, "ADMIN" or "DEVELOPER". */
static bool role_member(struct gh_call *c, enum gh_org_role *role)
{
    json_t *v = json_object_get(c->body, "role");
    if (!v || json_is_null(v)) {
        gh_call_fail(c, 422, "role", "'role' is required: ADMIN or DEVELOPER");
        return false;
    }
    if (!json_is_string(v) || !gh_org_role_parse(json_string_value(v), role)) {
        gh_call_fail(c, 422, "role", "'role' must be ADMIN or DEVELOPER");
        return false;
    }
    return true;
}

/* ---- POST /api/v1/orgs ----------------------------------------------------------- */

static void org_create(struct gh_req *req)
{
    static const char *const fields[] = {"name",   "description", "provider",          "partner",
                                         "tenant", "contact",     "responsible_email", NULL};
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    if (!check_fields(&c, fields))
        return;

    struct gh_org o = {0};
    bool present, has_provider = false;
    struct contact_in contact;
    if (!gh_call_text_member(&c, c.body, "name", "name", &present, &o.name) ||
        !gh_call_text_member(&c, c.body, "description", "description", &present, &o.description) ||
        !gh_call_bool_member(&c, c.body, "provider", &has_provider, &o.provider) ||
        !gh_call_bool_member(&c, c.body, "partner", &present, &o.partner) ||
        !gh_call_text_member(&c, c.body, "tenant", "tenant", &present, &o.tenant) ||
        !gh_call_text_member(&c, c.body, "responsible_email", "responsible_email", &present,
                             &o.responsible_email) ||
        !contact_member(&c, c.body, &contact))
        return;

    if (!c.who.platform_admin) {
        if (!c.who.user.email_verified_at) {
            gh_call_fail(&c, 403, NULL,
                         "verify your email address before creating an organization");
            return;
        }
        if (o.provider) {
            gh_call_fail(&c, 403, "provider",
                         "only platform admins can create provider organizations");
            return;
        }
        if (!o.partner) {
            gh_call_fail(&c, 403, "partner",
                         "you can create partner organizations only: set 'partner' to true");
            return;
        }
    }

    o.contact_address = contact.address;
    o.contact_phone = contact.phone;
    o.contact_email = contact.email;
    if (o.responsible_email)
        gh_email_normalize(o.responsible_email);
    struct gh_field_error err = {0};
    if (!gh_org_validate(&o, &err)) {
        err.field = org_field_json_name(err.field);
        field_fail(&c, &err);
        return;
    }
    bool taken = false;
    if (o.tenant && !tenant_taken(&c, o.tenant, NULL, &taken))
        return;
    if (taken) {
        tenant_conflict(&c);
        return;
    }

    o.id = gh_id_new(req->arena, GH_ID_ORG);
    o.created_at = o.updated_at = c.now;
    enum gh_store_rc rc = gh_store_org_insert(c.tx, &o);
    if (rc == GH_STORE_CONFLICT) {
        tenant_conflict(&c);
        return;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "organization");
        return;
    }
    json_t *changes = gh_render_org(&o);
    json_object_del(changes, "id");
    json_object_del(changes, "created_at");
    json_object_del(changes, "updated_at");
    if (!gh_call_audit(&c, "org.create", "org", o.id, o.id, changes))
        return;

    /* The person who creates an org becomes its ADMIN, so it never lacks one. */
    if (c.who.has_user) {
        struct gh_membership m = {
            .org_id = o.id, .user_id = c.who.user.id, .role = GH_ORG_ADMIN, .created_at = c.now};
        rc = gh_store_membership_put(c.tx, &m);
        if (rc != GH_STORE_OK) {
            gh_call_store_fail(&c, rc, "membership");
            return;
        }
        json_t *mc = json_object();
        json_object_set_new(mc, "email", json_string(c.who.user.email));
        json_object_set_new(mc, "role", json_string("ADMIN"));
        if (!gh_call_audit(&c, "org.member.add", "user", c.who.user.id, o.id, mc))
            return;
    }
    if (!gh_call_commit(&c))
        return;
    gh_call_reply(&c, 201, gh_render_org(&o));
}

/* ---- GET /api/v1/orgs ---------------------------------------------------------------- */

/* "true" / "false" query flags; *set false when absent. */
static bool query_bool(struct gh_call *c, const char *name, bool *set, bool *value)
{
    bool bad = false;
    const char *s = gh_call_query(c, name, &bad);
    if (bad)
        return false;
    *set = s != NULL;
    if (!s)
        return true;
    if (strcmp(s, "true") == 0)
        *value = true;
    else if (strcmp(s, "false") == 0)
        *value = false;
    else {
        gh_call_failf(c, 422, name, "%s must be true or false", name);
        return false;
    }
    return true;
}

/* Case-insensitive (ASCII) substring test. */
static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return true;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static void org_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    bool bad = false, has_partner = false, has_provider = false, partner = false, provider = false;
    const char *q = gh_call_query(&c, "q", &bad);
    if (bad || !query_bool(&c, "partner", &has_partner, &partner) ||
        !query_bool(&c, "provider", &has_provider, &provider))
        return;
    struct gh_field_error err = {0};
    if (q && !gh_validate_text("q", q, 0, ORG_Q_MAX, false, &err)) {
        field_fail(&c, &err);
        return;
    }
    struct gh_page page;
    if (!gh_call_page(&c, &page))
        return;

    /* The store has no filtered org query: filter the caller's orgs here,
     * then page the matches. */
    struct gh_org *orgs = NULL;
    size_t n = 0;
    enum gh_store_rc rc =
        c.who.platform_admin
            ? gh_store_org_list(c.tx, NULL, req->arena, &orgs, &n)
            : gh_store_org_list_by_user(c.tx, c.who.user.id, NULL, req->arena, &orgs, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "organizations");
        return;
    }
    json_t *items = json_array();
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const struct gh_org *o = &orgs[i];
        if ((has_partner && o->partner != partner) || (has_provider && o->provider != provider) ||
            (q && !contains_nocase(o->name, q)))
            continue;
        if (total >= page.offset && total < page.offset + page.limit)
            json_array_append_new(items, gh_render_org(o));
        total++;
    }
    gh_call_reply_list(&c, items, total);
}

/* ---- GET, PATCH, DELETE /api/v1/orgs/{org} ----------------------------------------- */

static void org_get(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_org org;
    if (!path_org(&c, &org, NULL))
        return;
    gh_call_reply(&c, 200, gh_render_org(&org));
}

/* Applies one optional text field of a PATCH to *slot, recording the change. */
static void patch_text(json_t *changes, const char *field, bool present, char *value, char **slot)
{
    if (!present || str_same(*slot, value))
        return;
    json_object_set_new(changes, field,
                        change(gh_json_str_or_null(*slot), gh_json_str_or_null(value)));
    *slot = value;
}

static void org_patch(struct gh_req *req)
{
    static const char *const fields[] = {"name",   "description", "provider",          "partner",
                                         "tenant", "contact",     "responsible_email", NULL};
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_org org;
    enum gh_org_role role;
    if (!path_org(&c, &org, &role) || !need_org_admin(&c, role) || !check_fields(&c, fields))
        return;
    if (!c.who.platform_admin) {
        for (size_t i = 0; fields[i]; i++) {
            if (json_object_get(c.body, fields[i]) &&
                gh_org_field_is_platform_admin_only(fields[i])) {
                gh_call_failf(&c, 403, fields[i], "only platform admins can change '%s'",
                              fields[i]);
                return;
            }
        }
    }

    bool has_name, has_description, has_provider, has_partner, has_tenant, has_responsible;
    char *name, *description, *tenant, *responsible;
    bool provider = org.provider, partner = org.partner;
    struct contact_in contact;
    if (!gh_call_text_member(&c, c.body, "name", "name", &has_name, &name) ||
        !gh_call_text_member(&c, c.body, "description", "description", &has_description,
                             &description) ||
        !gh_call_bool_member(&c, c.body, "provider", &has_provider, &provider) ||
        !gh_call_bool_member(&c, c.body, "partner", &has_partner, &partner) ||
        !gh_call_text_member(&c, c.body, "tenant", "tenant", &has_tenant, &tenant) ||
        !gh_call_text_member(&c, c.body, "responsible_email", "responsible_email", &has_responsible,
                             &responsible) ||
        !contact_member(&c, c.body, &contact))
        return;
    if (has_name && !name) {
        gh_call_fail(&c, 422, "name", "'name' cannot be removed; send a new name");
        return;
    }
    if (responsible)
        gh_email_normalize(responsible);
    /* gh_render_org prints a missing description as ""; keep the two alike. */
    if (has_description && description && !*description)
        description = NULL;

    json_t *changes = json_object();
    patch_text(changes, "name", has_name, name, &org.name);
    patch_text(changes, "description", has_description, description, &org.description);
    patch_text(changes, "tenant", has_tenant, tenant, &org.tenant);
    patch_text(changes, "responsible_email", has_responsible, responsible, &org.responsible_email);
    patch_text(changes, "contact.address", contact.has_address, contact.address,
               &org.contact_address);
    patch_text(changes, "contact.phone", contact.has_phone, contact.phone, &org.contact_phone);
    patch_text(changes, "contact.email", contact.has_email, contact.email, &org.contact_email);
    if (has_provider && provider != org.provider) {
        json_object_set_new(changes, "provider",
                            change(json_boolean(org.provider), json_boolean(provider)));
        org.provider = provider;
    }
    if (has_partner && partner != org.partner) {
        json_object_set_new(changes, "partner",
                            change(json_boolean(org.partner), json_boolean(partner)));
        org.partner = partner;
    }

    struct gh_field_error err = {0};
    if (!gh_org_validate(&org, &err)) {
        json_decref(changes);
        err.field = org_field_json_name(err.field);
        field_fail(&c, &err);
        return;
    }
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        gh_call_reply(&c, 200, gh_render_org(&org));
        return;
    }
    bool taken = false;
    if (json_object_get(changes, "tenant") && org.tenant &&
        !tenant_taken(&c, org.tenant, org.id, &taken)) {
        json_decref(changes);
        return;
    }
    if (taken) {
        json_decref(changes);
        tenant_conflict(&c);
        return;
    }
    org.updated_at = c.now;
    enum gh_store_rc rc = gh_store_org_update(c.tx, &org);
    if (rc != GH_STORE_OK) {
        json_decref(changes);
        if (rc == GH_STORE_CONFLICT)
            tenant_conflict(&c);
        else
            gh_call_store_fail(&c, rc, "organization");
        return;
    }
    if (!gh_call_audit(&c, "org.update", "org", org.id, org.id, changes) || !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, gh_render_org(&org));
}

static void org_delete(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE))
        return;
    struct gh_org org;
    if (!path_org(&c, &org, NULL) || !need_platform_admin(&c))
        return;
    enum gh_store_rc rc = gh_store_org_delete(c.tx, org.id);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "organization");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "name", json_string(org.name));
    json_object_set_new(changes, "tenant", gh_json_str_or_null(org.tenant));
    if (!gh_call_audit(&c, "org.delete", "org", org.id, org.id, changes) || !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

/* ---- PUT /api/v1/orgs/{org}/customer-numbers and /roles ---------------------------- */

/* Replaces one of a partner's lists (platform admins only). */
static void org_put_list(struct gh_req *req, const char *name, size_t max, gh_validator_fn item,
                         const char *action)
{
    const char *const fields[] = {name, NULL};
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_org org;
    if (!path_org(&c, &org, NULL) || !need_platform_admin(&c) || !check_fields(&c, fields))
        return;
    struct gh_strlist list;
    if (!strlist_member(&c, name, max, item, &list))
        return;
    if (!org.partner) {
        gh_call_failf(&c, 422, name, "only partner organizations have %s",
                      strcmp(name, "roles") == 0 ? "roles" : "customer numbers");
        return;
    }
    bool is_roles = strcmp(name, "roles") == 0;
    struct gh_strlist *slot = is_roles ? &org.partner_roles : &org.customer_numbers;
    json_t *changes = json_object();
    json_object_set_new(changes, name, change(gh_json_strlist(slot), gh_json_strlist(&list)));
    *slot = list;
    org.updated_at = c.now;
    enum gh_store_rc rc = gh_store_org_update(c.tx, &org);
    if (rc != GH_STORE_OK) {
        json_decref(changes);
        gh_call_store_fail(&c, rc, "organization");
        return;
    }
    if (!gh_call_audit(&c, action, "org", org.id, org.id, changes) || !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, gh_render_org(&org));
}

static void org_put_customer_numbers(struct gh_req *req)
{
    org_put_list(req, "customer_numbers", GH_CUSTOMER_NUMBERS_MAX, gh_validate_customer_number,
                 "org.customer_numbers.set");
}

static void org_put_roles(struct gh_req *req)
{
    org_put_list(req, "roles", GH_LIST_MAX, gh_validate_identifier, "org.roles.set");
}

/* ---- /api/v1/orgs/{org}/members ------------------------------------------------------ */

static void member_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_org org;
    struct gh_page page;
    if (!path_org(&c, &org, NULL) || !gh_call_page(&c, &page))
        return;
    struct gh_membership *ms = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_membership_list_by_org(c.tx, org.id, NULL, req->arena, &ms, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "members");
        return;
    }
    json_t *items = json_array();
    for (size_t i = (size_t)page.offset; i < n && i < (size_t)(page.offset + page.limit); i++) {
        struct gh_user u;
        rc = gh_store_user_get(c.tx, ms[i].user_id, req->arena, &u);
        if (rc != GH_STORE_OK) {
            json_decref(items);
            gh_call_store_fail(&c, rc, "member");
            return;
        }
        json_array_append_new(items, render_member(&ms[i], &u));
    }
    gh_call_reply_list(&c, items, (int64_t)n);
}

static void member_add(struct gh_req *req)
{
    static const char *const fields[] = {"email", "role", NULL};
    static const char no_person[] = "no registered person with a verified email has this address";
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_org org;
    enum gh_org_role caller_role;
    if (!path_org(&c, &org, &caller_role) || !need_org_admin(&c, caller_role) ||
        !check_fields(&c, fields))
        return;
    bool present;
    char *email;
    enum gh_org_role role;
    if (!gh_call_text_member(&c, c.body, "email", "email", &present, &email))
        return;
    struct gh_field_error err = {0};
    if (!email) {
        gh_call_fail(&c, 422, "email", "'email' is required");
        return;
    }
    gh_email_normalize(email);
    if (!gh_validate_email("email", email, &err)) {
        field_fail(&c, &err);
        return;
    }
    if (!role_member(&c, &role))
        return;
    /* Unknown and unverified addresses get the same answer: an org ADMIN
     * learns nothing about who registered. */
    struct gh_user u;
    enum gh_store_rc rc = gh_store_user_by_email(c.tx, email, req->arena, &u);
    if (rc == GH_STORE_NOT_FOUND || (rc == GH_STORE_OK && !gh_org_member_add_allowed(&u, NULL))) {
        gh_call_fail(&c, 422, "email", no_person);
        return;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "person");
        return;
    }
    struct gh_membership m;
    rc = gh_store_membership_get(c.tx, org.id, u.id, req->arena, &m);
    if (rc == GH_STORE_OK) {
        gh_call_fail(&c, 409, "email", "this person is already a member of the organization");
        return;
    }
    if (rc != GH_STORE_NOT_FOUND) {
        gh_call_store_fail(&c, rc, "membership");
        return;
    }
    m = (struct gh_membership){
        .org_id = org.id, .user_id = u.id, .role = role, .created_at = c.now};
    rc = gh_store_membership_put(c.tx, &m);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "membership");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "email", json_string(u.email));
    json_object_set_new(changes, "role", json_string(gh_org_role_name(role)));
    if (!gh_call_audit(&c, "org.member.add", "user", u.id, org.id, changes) || !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 201, render_member(&m, &u));
}

/* The membership named by {user} in org; 404 when there is none. */
static bool path_member(struct gh_call *c, const struct gh_org *org, struct gh_membership *m,
                        struct gh_user *u)
{
    struct gh_str p = gh_req_param(c->req, "user");
    char *uid = gh_arena_strndup(c->req->arena, p.ptr, p.len);
    enum gh_store_rc rc = GH_STORE_NOT_FOUND;
    if (gh_id_valid(uid, GH_ID_USER))
        rc = gh_store_membership_get(c->tx, org->id, uid, c->req->arena, m);
    if (rc == GH_STORE_OK)
        rc = gh_store_user_get(c->tx, uid, c->req->arena, u);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "member");
        return false;
    }
    return true;
}

static int64_t admin_count(struct gh_call *c, const char *org_id, bool *ok)
{
    int64_t n = 0;
    enum gh_store_rc rc = gh_store_membership_count_admins(c->tx, org_id, &n);
    *ok = rc == GH_STORE_OK;
    if (!*ok)
        gh_call_store_fail(c, rc, "members");
    return n;
}

static void last_admin_fail(struct gh_call *c, const struct gh_field_error *err)
{
    gh_call_failf(c, 409, err->field, "an organization must keep at least one ADMIN: %s",
                  err->message);
}

static void member_patch(struct gh_req *req)
{
    static const char *const fields[] = {"role", NULL};
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_org org;
    enum gh_org_role caller_role;
    if (!path_org(&c, &org, &caller_role) || !need_org_admin(&c, caller_role) ||
        !check_fields(&c, fields))
        return;
    enum gh_org_role role;
    struct gh_membership m;
    struct gh_user u;
    if (!role_member(&c, &role) || !path_member(&c, &org, &m, &u))
        return;
    if (role == m.role) {
        gh_call_reply(&c, 200, render_member(&m, &u));
        return;
    }
    bool ok;
    int64_t admins = admin_count(&c, org.id, &ok);
    if (!ok)
        return;
    struct gh_field_error err = {0};
    if (!gh_org_member_change_allowed(m.role, false, role, (size_t)admins, &err)) {
        last_admin_fail(&c, &err);
        return;
    }
    enum gh_org_role old = m.role;
    m.role = role;
    enum gh_store_rc rc = gh_store_membership_put(c.tx, &m);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "membership");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(
        changes, "role",
        change(json_string(gh_org_role_name(old)), json_string(gh_org_role_name(role))));
    if (!gh_call_audit(&c, "org.member.update", "user", u.id, org.id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply(&c, 200, render_member(&m, &u));
}

static void member_delete(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE))
        return;
    struct gh_org org;
    enum gh_org_role caller_role;
    if (!path_org(&c, &org, &caller_role))
        return;
    /* Anyone may leave an org; removing others takes an ADMIN. */
    struct gh_str target = gh_req_param(req, "user");
    bool self = c.who.has_user && gh_str_eq_c(target, c.who.user.id);
    if (!self && !need_org_admin(&c, caller_role))
        return;
    struct gh_membership m;
    struct gh_user u;
    if (!path_member(&c, &org, &m, &u))
        return;
    bool ok;
    int64_t admins = admin_count(&c, org.id, &ok);
    if (!ok)
        return;
    struct gh_field_error err = {0};
    if (!gh_org_member_change_allowed(m.role, true, m.role, (size_t)admins, &err)) {
        last_admin_fail(&c, &err);
        return;
    }
    enum gh_store_rc rc = gh_store_membership_delete(c.tx, org.id, u.id);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "member");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "email", json_string(u.email));
    json_object_set_new(changes, "role", json_string(gh_org_role_name(m.role)));
    if (!gh_call_audit(&c, "org.member.remove", "user", u.id, org.id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

bool gh_portal_register_orgs(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_POST, "/api/v1/orgs", org_create, p) &&
           gh_router_add(r, GH_GET, "/api/v1/orgs", org_list, p) &&
           gh_router_add(r, GH_GET, "/api/v1/orgs/{org}", org_get, p) &&
           gh_router_add(r, GH_PATCH, "/api/v1/orgs/{org}", org_patch, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/orgs/{org}", org_delete, p) &&
           gh_router_add(r, GH_PUT, "/api/v1/orgs/{org}/customer-numbers", org_put_customer_numbers,
                         p) &&
           gh_router_add(r, GH_PUT, "/api/v1/orgs/{org}/roles", org_put_roles, p) &&
           gh_router_add(r, GH_GET, "/api/v1/orgs/{org}/members", member_list, p) &&
           gh_router_add(r, GH_POST, "/api/v1/orgs/{org}/members", member_add, p) &&
           gh_router_add(r, GH_PATCH, "/api/v1/orgs/{org}/members/{user}", member_patch, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/orgs/{org}/members/{user}", member_delete, p);
}
