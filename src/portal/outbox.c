/* GET /api/v1/outbox and POST /api/v1/outbox/{id}/retry: platform admins
 * only.  GET /api/v1/orgs/{org}/deliveries and POST
 * /api/v1/orgs/{org}/deliveries/{id}/retry: the same for the messages of
 * one organization (outbox.org_id), for its ADMINs and platform admins.  A message is shown without
 * its recipient and body, which can carry secrets (verification and password-reset links); the last
 * error and the attempts say what went wrong.  A retry resets a failed (or pending) message to
 * pending with no attempts, due now, and nudges the mail worker; a sent message is not sent again
 * (409). */
#include "portal/outbox.h"

#include <string.h>

#include "domain/id.h"
#include "portal/call.h"

/* An audit change {"old", "new"} (both stolen). */
static json_t *change(json_t *old_value, json_t *new_value)
{
    json_t *o = json_object();
    json_object_set_new(o, "old", old_value);
    json_object_set_new(o, "new", new_value);
    return o;
}

static json_t *render_msg(const struct gh_outbox_msg *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(m->id));
    json_object_set_new(o, "channel", json_string(gh_outbox_channel_name(m->channel)));
    json_object_set_new(o, "event", json_string(m->event));
    json_object_set_new(o, "state", json_string(gh_outbox_state_name(m->state)));
    json_object_set_new(o, "attempts", json_integer(m->attempts));
    json_object_set_new(o, "last_error", gh_json_str_or_null(m->last_error));
    json_object_set_new(o, "created_at", gh_json_time(m->created_at));
    /* only a pending message has a next attempt; for sent and failed ones
     * the column holds a spent lease or retry time */
    json_object_set_new(o, "next_attempt_at",
                        m->state == GH_OUTBOX_PENDING ? gh_json_time(m->next_attempt_at)
                                                      : json_null());
    json_object_set_new(o, "sent_at", gh_json_time(m->sent_at));
    /* a webhook's id is no secret; a mail's recipient may be */
    json_object_set_new(o, "webhook_id",
                        m->channel == GH_OUTBOX_WEBHOOK ? gh_json_str_or_null(m->recipient)
                                                        : json_null());
    return o;
}

/* The optional state= (and below channel=) query parameters: *out stays
 * NULL when absent and points at value when valid; anything else answers
 * 400 naming the parameter. */
static bool state_param(struct gh_call *c, enum gh_outbox_state *value,
                        const enum gh_outbox_state **out)
{
    bool bad = false;
    const char *s = gh_call_query(c, "state", &bad);
    if (bad)
        return false;
    if (!s)
        return true;
    if (!gh_outbox_state_parse(s, value)) {
        gh_call_fail(c, 400, "state", "state must be pending, sent or failed");
        return false;
    }
    *out = value;
    return true;
}

static bool channel_param(struct gh_call *c, enum gh_outbox_channel *value,
                          const enum gh_outbox_channel **out)
{
    bool bad = false;
    const char *s = gh_call_query(c, "channel", &bad);
    if (bad)
        return false;
    if (!s)
        return true;
    if (!gh_outbox_channel_parse(s, value)) {
        gh_call_fail(c, 400, "channel", "channel must be email or webhook");
        return false;
    }
    *out = value;
    return true;
}

/* The org in the path for its deliveries: platform admins and the org's
 * ADMINs; other members 403, anyone else 404. */
static bool admin_org(struct gh_call *c, struct gh_org *org)
{
    enum gh_org_role role;
    if (!gh_call_visible_org(c, gh_req_param(c->req, "org"), org, &role))
        return false;
    if (c->who.platform_admin || role == GH_ORG_ADMIN)
        return true;
    gh_call_fail(c, 403, NULL, "only the organization's ADMINs and platform admins can do this");
    return false;
}

/* The list of both views; org_id NULL: the whole outbox. */
static void list_messages(struct gh_call *c, const char *org_id)
{
    struct gh_req *req = c->req;
    enum gh_outbox_state state;
    enum gh_outbox_channel channel;
    struct gh_outbox_filter f = {.org_id = org_id};
    struct gh_page page;
    bool bad = false;
    f.event = gh_call_query(c, "event", &bad);
    if (bad || !state_param(c, &state, &f.state) || !channel_param(c, &channel, &f.channel) ||
        !gh_call_page(c, &page))
        return;
    struct gh_outbox_msg *msgs = NULL;
    size_t n = 0;
    int64_t total = 0;
    enum gh_store_rc rc = gh_store_outbox_count(c->tx, &f, &total);
    if (rc == GH_STORE_OK)
        rc = gh_store_outbox_search(c->tx, &f, &page, req->arena, &msgs, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, org_id ? "deliveries" : "outbox messages");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, render_msg(&msgs[i]));
    gh_call_reply_list(c, items, total);
}

static void h_outbox_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_ADMIN))
        return;
    list_messages(&c, NULL);
}

static void h_deliveries_list(struct gh_req *req)
{
    struct gh_call c;
    struct gh_org org;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH) || !admin_org(&c, &org))
        return;
    list_messages(&c, org.id);
}

/* The retry of both views; org_id NULL: any message, else only that org's
 * (another org's message is 404). */
static void retry_message(struct gh_call *c, const char *org_id)
{
    struct gh_req *req = c->req;
    const char *what = org_id ? "delivery" : "outbox message";
    struct gh_str p = gh_req_param(req, "id");
    char *id = gh_arena_strndup(req->arena, p.ptr, p.len);
    struct gh_outbox_msg m;
    enum gh_store_rc rc = gh_id_valid(id, GH_ID_OUTBOX_MSG)
                              ? gh_store_outbox_get(c->tx, id, req->arena, &m)
                              : GH_STORE_NOT_FOUND;
    if (rc == GH_STORE_OK && org_id && (!m.org_id || strcmp(m.org_id, org_id) != 0))
        rc = GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, what);
        return;
    }
    rc = gh_store_outbox_retry(c->tx, m.id, c->now);
    if (rc == GH_STORE_CONFLICT) {
        gh_call_failf(c, 409, NULL, "%s %s was sent already; it is not sent again", what, m.id);
        return;
    }
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, what);
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "event", json_string(m.event));
    json_object_set_new(changes, "state",
                        change(json_string(gh_outbox_state_name(m.state)),
                               json_string(gh_outbox_state_name(GH_OUTBOX_PENDING))));
    json_object_set_new(changes, "attempts", change(json_integer(m.attempts), json_integer(0)));
    json_object_set_new(changes, "last_error", gh_json_str_or_null(m.last_error));
    m.state = GH_OUTBOX_PENDING;
    m.attempts = 0;
    m.next_attempt_at = c->now;
    c->queued_mail = true; /* the worker need not wait for its next round */
    if (gh_call_audit(c, "outbox.retry", "outbox_message", m.id, m.org_id, changes) &&
        gh_call_commit(c))
        gh_call_reply(c, 200, render_msg(&m));
}

static void h_outbox_retry(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_ADMIN | GH_CALL_WRITE))
        return;
    retry_message(&c, NULL);
}

static void h_deliveries_retry(struct gh_req *req)
{
    struct gh_call c;
    struct gh_org org;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE) || !admin_org(&c, &org))
        return;
    retry_message(&c, org.id);
}

bool gh_portal_register_outbox(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_GET, "/api/v1/outbox", h_outbox_list, p) &&
           gh_router_add(r, GH_POST, "/api/v1/outbox/{id}/retry", h_outbox_retry, p) &&
           gh_router_add(r, GH_GET, "/api/v1/orgs/{org}/deliveries", h_deliveries_list, p) &&
           gh_router_add(r, GH_POST, "/api/v1/orgs/{org}/deliveries/{id}/retry", h_deliveries_retry,
                         p);
}
