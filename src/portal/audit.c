/* The audit log (GET /api/v1/audit): platform admins read every event with
 * any filter; an org's ADMINs read their org's events only and must say
 * which org (org=).  Newest first, in the list envelope. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/id.h"
#include "portal/call.h"

#define FILTER_ID_MAX 64

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* RFC 3339 date-time ("2026-11-23T16:00:00Z", "…T17:00:00.5+01:00"; 't',
 * 'z' and a space separator accepted) or Unix seconds ("1795536000").
 * Fractions of a second are dropped. */
static bool parse_since(const char *s, int64_t *out)
{
    size_t len = strlen(s);
    if (len == 0)
        return false;
    bool all_digits = true;
    for (size_t i = 0; i < len; i++)
        all_digits = all_digits && s[i] >= '0' && s[i] <= '9';
    if (all_digits) {
        if (len > 12)
            return false;
        *out = strtoll(s, NULL, 10);
        return true;
    }
    int Y, M, D, h, m, sec;
    if (len < 20 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
        !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return false;
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
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
    } else {
        return false;
    }
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm) - offset;
    return true;
}

static json_t *render_event(const struct gh_audit_event *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(e->id));
    json_object_set_new(o, "at", gh_json_time(e->at));
    json_t *actor = json_object();
    json_object_set_new(actor, "id", gh_json_str_or_null(e->actor_id));
    json_object_set_new(actor, "kind", json_string(e->actor_kind ? e->actor_kind : "system"));
    json_object_set_new(o, "actor", actor);
    json_object_set_new(o, "action", json_string(e->action));
    json_t *object = json_object();
    json_object_set_new(object, "type", json_string(e->object_type ? e->object_type : ""));
    json_object_set_new(object, "id", json_string(e->object_id ? e->object_id : ""));
    json_object_set_new(o, "object", object);
    json_object_set_new(o, "org_id", gh_json_str_or_null(e->org_id));
    json_t *changes = e->changes_json ? json_loads(e->changes_json, 0, NULL) : NULL;
    if (!json_is_object(changes)) {
        json_decref(changes);
        changes = json_object();
    }
    json_object_set_new(o, "changes", changes);
    json_object_set_new(o, "request_id", json_string(e->request_id ? e->request_id : ""));
    json_object_set_new(o, "client_addr", json_string(e->client_addr ? e->client_addr : ""));
    return o;
}

/* An id filter: NULL when absent; 422 when longer than an id can be. */
static bool id_filter(struct gh_call *c, const char *name, const char **out)
{
    bool bad = false;
    *out = gh_call_query(c, name, &bad);
    if (bad)
        return false;
    if (*out && (!**out || strlen(*out) > FILTER_ID_MAX)) {
        gh_call_failf(c, 422, name, "%s must be an id of 1 to %d characters", name, FILTER_ID_MAX);
        return false;
    }
    return true;
}

static void audit_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_audit_filter f = {0};
    bool bad = false;
    if (!id_filter(&c, "object", &f.object_id) || !id_filter(&c, "actor", &f.actor_id))
        return;
    f.org_id = gh_call_query(&c, "org", &bad);
    if (bad)
        return;
    if (f.org_id && !gh_id_valid(f.org_id, GH_ID_ORG)) {
        gh_call_fail(&c, 422, "org", "org must be an organization id (org_…)");
        return;
    }
    const char *since = gh_call_query(&c, "since", &bad);
    if (bad)
        return;
    if (since && !parse_since(since, &f.since)) {
        gh_call_fail(&c, 422, "since",
                     "since must be an RFC 3339 time like 2026-11-23T16:00:00Z or Unix seconds");
        return;
    }
    struct gh_page page;
    if (!gh_call_page(&c, &page))
        return;

    if (!c.who.platform_admin) {
        if (!f.org_id) {
            gh_call_fail(&c, 403, "org",
                         "org= is required: name an organization where you are an ADMIN");
            return;
        }
        enum gh_org_role role;
        if (!gh_call_org_role(&c, f.org_id, &role)) {
            gh_call_fail(&c, 404, "org", "organization not found");
            return;
        }
        if (role != GH_ORG_ADMIN) {
            gh_call_fail(&c, 403, "org", "only the organization's ADMINs can read its audit log");
            return;
        }
    }

    /* The store has no count: read every match, answer one page of it. */
    struct gh_audit_event *ev = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_audit_list(c.tx, &f, NULL, req->arena, &ev, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "audit events");
        return;
    }
    json_t *items = json_array();
    for (size_t i = (size_t)page.offset; i < n && i < (size_t)(page.offset + page.limit); i++)
        json_array_append_new(items, render_event(&ev[i]));
    gh_call_reply_list(&c, items, (int64_t)n);
}

bool gh_portal_register_audit(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_GET, "/api/v1/audit", audit_list, p);
}
