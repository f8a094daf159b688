/* Organizations' webhooks (portal/webhooks.h): the event table, queueing
 * deliveries, the signing secret, and the management routes. */
#include "portal/webhooks.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "domain/id.h"
#include "portal/call.h"

/* Every event a webhook may subscribe to: the organization events of
 * docs/notifications.md (person-only mails such as password resets are not
 * webhook events).  Kept in step with docs/webhooks.md. */
const char *const gh_webhook_events[] = {
    "subscription.created",      "subscription.activation_requested",
    "subscription.activated",    "subscription.deactivation_requested",
    "subscription.deactivated",  "subscription.rejected",
    "app.access_status.red",     "app.access_status.green",
    "app.client_secret.rotated", "app.api_key.created",
    "app.api_key.expiring",      NULL,
};

bool gh_webhook_event_known(const char *event)
{
    for (size_t i = 0; event && gh_webhook_events[i]; i++)
        if (strcmp(event, gh_webhook_events[i]) == 0)
            return true;
    return false;
}

/* The payload {"type", "timestamp", "data"} as compact JSON text in a, or
 * NULL when data_json is not a JSON object. */
static char *payload(struct gh_arena *a, const char *event, const char *data_json, int64_t now)
{
    json_t *data = data_json ? json_loads(data_json, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(data)) {
        json_decref(data);
        return NULL;
    }
    time_t t = (time_t)now;
    struct tm tm;
    char ts[32];
    if (!gmtime_r(&t, &tm) || strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        json_decref(data);
        return NULL;
    }
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(event));
    json_object_set_new(o, "timestamp", json_string(ts));
    json_object_set_new(o, "data", data);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return NULL;
    char *out = gh_arena_strdup(a, text);
    free(text);
    return out;
}

bool gh_webhooks_enqueue(struct gh_tx *tx, struct gh_arena *a, const char *org_id,
                         const char *event, const char *data_json, int64_t now, int *queued)
{
    if (queued)
        *queued = 0;
    if (!org_id || !event)
        return false;
    struct gh_webhook *hooks;
    size_t n;
    if (gh_store_webhook_list_for_event(tx, org_id, event, a, &hooks, &n) != GH_STORE_OK)
        return false;
    if (n == 0)
        return true;
    char *body = payload(a, event, data_json, now);
    if (!body)
        return false;
    for (size_t i = 0; i < n; i++) {
        struct gh_outbox_msg row = {
            .id = gh_id_new(a, GH_ID_OUTBOX_MSG),
            .channel = GH_OUTBOX_WEBHOOK,
            .event = (char *)event,
            .recipient = hooks[i].id,
            .body = body,
            .state = GH_OUTBOX_PENDING,
            .next_attempt_at = now,
            .created_at = now,
            .org_id = (char *)org_id,
        };
        if (gh_store_outbox_insert(tx, &row) != GH_STORE_OK)
            return false;
        if (queued)
            (*queued)++;
    }
    return true;
}

bool gh_webhook_url_valid(const char *url)
{
    if (!url)
        return false;
    size_t len = strlen(url);
    if (len > GH_WEBHOOK_URL_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)url[i];
        if (ch <= 0x20 || ch == 0x7f || ch >= 0x80)
            return false;
    }
    const char *rest;
    if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    else
        return false;
    size_t auth_len = strcspn(rest, "/?#");
    if (auth_len == 0 || memchr(rest, '@', auth_len))
        return false;
    /* host[:port], the host a name or an IPv4 address or [IPv6] */
    const char *end = rest + auth_len;
    const char *host_end;
    if (rest[0] == '[') {
        host_end = memchr(rest, ']', auth_len);
        if (!host_end || host_end == rest + 1)
            return false;
        host_end++;
    } else {
        host_end = memchr(rest, ':', auth_len);
        if (!host_end)
            host_end = end;
        if (host_end == rest)
            return false;
        for (const char *h = rest; h < host_end; h++)
            if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.' && *h != '_')
                return false;
    }
    if (host_end == end)
        return true;
    if (*host_end != ':' || host_end + 1 == end || end - (host_end + 1) > 5)
        return false;
    long port = 0;
    for (const char *d = host_end + 1; d < end; d++) {
        if (!isdigit((unsigned char)*d))
            return false;
        port = port * 10 + (*d - '0');
    }
    return port >= 1 && port <= 65535;
}

void gh_webhooks_derive_seal_key(const uint8_t *master, size_t master_len,
                                 uint8_t out[GH_AEAD_KEY_BYTES])
{
    static const char label[] = "gatehouse webhook-secret encryption v1";
    gh_hmac_sha256(master, master_len, label, sizeof label - 1, out);
}

char *gh_webhooks_new_secret(struct gh_arena *a, const uint8_t seal_key[GH_AEAD_KEY_BYTES],
                             const char *webhook_id, char **sealed)
{
    uint8_t raw[GH_WEBHOOK_SECRET_BYTES];
    gh_random_bytes(raw, sizeof raw);
    char b64[GH_BASE64_LEN(GH_WEBHOOK_SECRET_BYTES) + 1];
    gh_base64_encode(raw, sizeof raw, b64);
    explicit_bzero(raw, sizeof raw);
    char *secret = gh_arena_printf(a, "%s%s", GH_WEBHOOK_SECRET_PREFIX, b64);
    explicit_bzero(b64, sizeof b64);
    char *s = gh_aead_seal(seal_key, webhook_id, strlen(webhook_id), (const uint8_t *)secret,
                           strlen(secret));
    if (!s)
        return NULL;
    *sealed = gh_arena_strdup(a, s);
    free(s);
    return secret;
}

char *gh_webhooks_open_secret(struct gh_arena *a, const uint8_t seal_key[GH_AEAD_KEY_BYTES],
                              const struct gh_webhook *w)
{
    uint8_t *plain = NULL;
    size_t len = 0;
    if (!w->id || !w->secret_enc ||
        !gh_aead_open(seal_key, w->id, strlen(w->id), w->secret_enc, &plain, &len))
        return NULL;
    char *out = gh_arena_strndup(a, (const char *)plain, len);
    explicit_bzero(plain, len);
    free(plain);
    return out;
}

/* ---- management routes ---------------------------------------------------- */

#define DESCRIPTION_MAX 1000

static json_t *render_webhook(const struct gh_webhook *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(w->id));
    json_object_set_new(o, "org_id", json_string(w->org_id));
    json_object_set_new(o, "url", json_string(w->url));
    json_object_set_new(o, "events", gh_json_strlist(&w->events));
    json_object_set_new(o, "description", gh_json_str_or_null(w->description));
    json_object_set_new(o, "enabled", json_boolean(w->enabled));
    json_object_set_new(o, "created_at", gh_json_time(w->created_at));
    json_object_set_new(o, "created_by", gh_json_str_or_null(w->created_by));
    return o;
}

/* The org in the path, which the caller must administer: platform admins
 * and the org's ADMINs.  Members with another role get 403, anyone else 404
 * (the org's existence is not revealed). */
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

/* The webhook {id} of org; 404 when it is missing or another org's. */
static bool path_webhook(struct gh_call *c, const struct gh_org *org, struct gh_webhook *w)
{
    struct gh_str p = gh_req_param(c->req, "id");
    char *id = gh_arena_strndup(c->req->arena, p.ptr, p.len);
    enum gh_store_rc rc = gh_id_valid(id, GH_ID_WEBHOOK)
                              ? gh_store_webhook_get(c->tx, id, c->req->arena, w)
                              : GH_STORE_NOT_FOUND;
    if (rc == GH_STORE_OK && strcmp(w->org_id, org->id) != 0)
        rc = GH_STORE_NOT_FOUND;
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "webhook");
        return false;
    }
    return true;
}

static const char *const create_fields[] = {"url", "events", "description", NULL};

/* url, events and description of the creation body into w; answers 400
 * naming the field otherwise. */
static bool read_webhook(struct gh_call *c, struct gh_webhook *w)
{
    bool present = false;
    char *url = NULL;
    if (!gh_call_text_member(c, c->body, "url", "url", &present, &url))
        return false;
    if (!url || !*url) {
        gh_call_fail(c, 400, "url", "'url' is required");
        return false;
    }
    if (!gh_webhook_url_valid(url)) {
        gh_call_failf(c, 400, "url",
                      "'url' must be an absolute http:// or https:// URL with a host, without "
                      "user name or password, at most %d characters",
                      GH_WEBHOOK_URL_MAX);
        return false;
    }
    w->url = url;
    const json_t *events = json_object_get(c->body, "events");
    if (events && !json_is_null(events)) {
        if (!json_is_array(events)) {
            gh_call_fail(c, 400, "events", "'events' must be a list of event types");
            return false;
        }
        size_t max = sizeof gh_webhook_events / sizeof gh_webhook_events[0] - 1;
        if (!gh_call_strings(c, events, "events", max, &w->events))
            return false;
        for (size_t i = 0; i < w->events.n; i++) {
            if (!gh_webhook_event_known(w->events.items[i])) {
                gh_call_failf(c, 400, "events", "unknown event type '%.100s'", w->events.items[i]);
                return false;
            }
            for (size_t j = 0; j < i; j++) {
                if (strcmp(w->events.items[i], w->events.items[j]) == 0) {
                    gh_call_failf(c, 400, "events", "event type '%s' is listed twice",
                                  w->events.items[i]);
                    return false;
                }
            }
        }
    }
    if (!gh_call_text_member(c, c->body, "description", "description", &present, &w->description))
        return false;
    if (w->description && strlen(w->description) > DESCRIPTION_MAX) {
        gh_call_failf(c, 400, "description", "'description' is longer than %d characters",
                      DESCRIPTION_MAX);
        return false;
    }
    return true;
}

static void webhook_create(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_BODY | GH_CALL_WRITE))
        return;
    struct gh_org org;
    if (!admin_org(&c, &org) || !gh_call_fields(&c, create_fields))
        return;
    struct gh_webhook w = {.org_id = org.id, .enabled = true, .created_at = c.now};
    if (!read_webhook(&c, &w))
        return;
    w.id = gh_id_new(req->arena, GH_ID_WEBHOOK);
    w.created_by = c.who.has_user ? c.who.user.id : NULL;
    uint8_t key[GH_AEAD_KEY_BYTES];
    gh_webhooks_derive_seal_key(c.p->key, c.p->key_len, key);
    char *secret = gh_webhooks_new_secret(req->arena, key, w.id, &w.secret_enc);
    explicit_bzero(key, sizeof key);
    if (!secret) {
        gh_call_fail(&c, 500, NULL, "cannot seal the webhook secret");
        return;
    }
    enum gh_store_rc rc = gh_store_webhook_insert(c.tx, &w);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "webhook");
        return;
    }
    json_t *changes = render_webhook(&w); /* never the secret */
    json_object_del(changes, "id");
    json_object_del(changes, "created_at");
    if (!gh_call_audit(&c, "webhook.create", "webhook", w.id, org.id, changes) ||
        !gh_call_commit(&c)) {
        explicit_bzero(secret, strlen(secret));
        return;
    }
    json_t *out = render_webhook(&w);
    json_object_set_new(out, "secret", json_string(secret));
    explicit_bzero(secret, strlen(secret));
    gh_call_reply(&c, 201, out);
}

static void webhook_list(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_org org;
    struct gh_page page;
    if (!admin_org(&c, &org) || !gh_call_page(&c, &page))
        return;
    struct gh_webhook *ws = NULL;
    size_t n = 0;
    int64_t total = 0;
    enum gh_store_rc rc = gh_store_webhook_count_by_org(c.tx, org.id, &total);
    if (rc == GH_STORE_OK)
        rc = gh_store_webhook_list_by_org(c.tx, org.id, &page, req->arena, &ws, &n);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "webhooks");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, render_webhook(&ws[i]));
    gh_call_reply_list(&c, items, total);
}

static void webhook_get(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH))
        return;
    struct gh_org org;
    struct gh_webhook w;
    if (!admin_org(&c, &org) || !path_webhook(&c, &org, &w))
        return;
    gh_call_reply(&c, 200, render_webhook(&w));
}

/* Its pending deliveries stay in the outbox; the worker fails each for good
 * ("webhook deleted") when it comes due. */
static void webhook_delete(struct gh_req *req)
{
    struct gh_call c;
    if (!gh_call_begin(&c, req, GH_CALL_AUTH | GH_CALL_WRITE))
        return;
    struct gh_org org;
    struct gh_webhook w;
    if (!admin_org(&c, &org) || !path_webhook(&c, &org, &w))
        return;
    enum gh_store_rc rc = gh_store_webhook_delete(c.tx, w.id);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(&c, rc, "webhook");
        return;
    }
    json_t *changes = json_object();
    json_object_set_new(changes, "url", json_string(w.url));
    json_object_set_new(changes, "events", gh_json_strlist(&w.events));
    if (!gh_call_audit(&c, "webhook.delete", "webhook", w.id, org.id, changes) ||
        !gh_call_commit(&c))
        return;
    gh_call_reply_empty(&c, 204);
}

bool gh_portal_register_webhooks(struct gh_router *r, struct gh_portal *p)
{
    return gh_router_add(r, GH_POST, "/api/v1/orgs/{org}/webhooks", webhook_create, p) &&
           gh_router_add(r, GH_GET, "/api/v1/orgs/{org}/webhooks", webhook_list, p) &&
           gh_router_add(r, GH_GET, "/api/v1/orgs/{org}/webhooks/{id}", webhook_get, p) &&
           gh_router_add(r, GH_DELETE, "/api/v1/orgs/{org}/webhooks/{id}", webhook_delete, p);
}
