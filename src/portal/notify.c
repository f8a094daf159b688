/* Notifications (portal/notify.h): templates, recipients, and queueing each
 * event's mails and webhook deliveries in the caller's transaction. */
#include "portal/notify.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "portal/mail.h"
#include "portal/mailer.h"
#include "portal/webhooks.h"

#define PRODUCT "gatehouse"
#define TEMPLATE_MAX (64 * 1024) /* bytes of one override file */
#define PLACEHOLDER_MAX 64
#define VARS_MAX 32
#define NO_REASON "(no reason given)"

static const char *const part_ext[GH_NOTIFY_PARTS] = {"subject", "txt", "html"};

/* ---- templates ------------------------------------------------------------- */

struct gh_notify_templates {
    char *(*part)[GH_NOTIFY_PARTS]; /* per default, the override or NULL */
};

static const struct gh_notify_default *find_default(const char *event, size_t *index)
{
    for (size_t i = 0; event && i < gh_notify_defaults_count; i++) {
        if (strcmp(gh_notify_defaults[i].event, event) == 0) {
            if (index)
                *index = i;
            return &gh_notify_defaults[i];
        }
    }
    return NULL;
}

static bool in_list(const char *const *list, const char *name, size_t n)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && strncmp(list[i], name, n) == 0)
            return true;
    return false;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF), as the mail composer demands. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            return false;
        }
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += len;
    }
    return true;
}

/* The placeholder starting at p (just after "{{"): its name without
 * surrounding spaces in [*name, *name + *n) and the position after "}}";
 * NULL when there is no "}}" or the name is empty or too long. */
static const char *placeholder(const char *p, const char **name, size_t *n)
{
    const char *end = strstr(p, "}}");
    if (!end)
        return NULL;
    const char *s = p, *e = end;
    while (s < e && *s == ' ')
        s++;
    while (e > s && e[-1] == ' ')
        e--;
    if (e == s || (size_t)(e - s) > PLACEHOLDER_MAX)
        return NULL;
    *name = s;
    *n = (size_t)(e - s);
    return end + 2;
}

bool gh_notify_template_check(const char *event, const char *tpl, char *err, size_t errlen)
{
    const struct gh_notify_default *d = find_default(event, NULL);
    if (!d) {
        snprintf(err, errlen, "unknown event '%s'", event ? event : "");
        return false;
    }
    const char *p = tpl;
    const char *open;
    while ((open = strstr(p, "{{")) != NULL) {
        const char *name;
        size_t n;
        const char *next = placeholder(open + 2, &name, &n);
        if (!next) {
            snprintf(err, errlen, "a \"{{\" without a placeholder name and \"}}\" after it: %.20s",
                     open);
            return false;
        }
        if (!in_list(d->placeholders, name, n) &&
            !in_list(gh_notify_common_placeholders, name, n)) {
            struct gh_buf known;
            gh_buf_init(&known, NULL, 256);
            for (size_t i = 0; d->placeholders[i]; i++)
                gh_buf_printf(&known, "%s%s", i ? ", " : "", d->placeholders[i]);
            for (size_t i = 0; gh_notify_common_placeholders[i]; i++)
                gh_buf_printf(&known, ", %s", gh_notify_common_placeholders[i]);
            snprintf(err, errlen, "unknown placeholder {{%.*s}} (%s has: %s)", (int)n, name, event,
                     known.data);
            gh_buf_free(&known);
            return false;
        }
        p = next;
    }
    return true;
}

void gh_notify_templates_free(struct gh_notify_templates *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < gh_notify_defaults_count; i++)
        for (int k = 0; k < GH_NOTIFY_PARTS; k++)
            free(t->part[i][k]);
    free(t->part);
    free(t);
}

/* The whole file at path as a heap string; NULL with err set when it
 * cannot be read, is too big or holds a NUL byte. */
static char *read_template(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *data = gh_xmalloc(TEMPLATE_MAX + 2);
    size_t n = fread(data, 1, TEMPLATE_MAX + 1, f);
    bool failed = ferror(f);
    int e = errno;
    fclose(f);
    if (failed) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
    } else if (n > TEMPLATE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes", path, TEMPLATE_MAX);
        failed = true;
    } else if (memchr(data, '\0', n) || !utf8_ok((const unsigned char *)data, n)) {
        snprintf(err, errlen, "%s: not UTF-8 text", path);
        failed = true;
    }
    if (failed) {
        free(data);
        return NULL;
    }
    data[n] = '\0';
    return data;
}

/* A subject file: one line, its line break (if any) removed; false when
 * it is empty or has another control character. */
static bool subject_line(char *s)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '\n')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '\r')
        s[--n] = '\0';
    if (n == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return false;
    return true;
}

/* Loads one override file name (in dir) into t; false with err set. */
static bool load_file(struct gh_notify_templates *t, const char *dir, const char *name, char *err,
                      size_t errlen)
{
    const char *dot = strrchr(name, '.');
    int part = -1;
    for (int k = 0; dot && k < GH_NOTIFY_PARTS; k++)
        if (strcmp(dot + 1, part_ext[k]) == 0)
            part = k;
    if (part < 0)
        return true; /* not a template: README, backups, … */
    char event[128];
    size_t elen = (size_t)(dot - name);
    size_t index;
    if (elen >= sizeof event) {
        snprintf(err, errlen, "%s/%s: not a known event's template", dir, name);
        return false;
    }
    memcpy(event, name, elen);
    event[elen] = '\0';
    if (!find_default(event, &index)) {
        snprintf(err, errlen,
                 "%s/%s: unknown event '%s' (docs/notifications.md lists the events; names are "
                 "<event>.subject, <event>.txt, <event>.html)",
                 dir, name, event);
        return false;
    }
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        snprintf(err, errlen, "%s/%s: path too long", dir, name);
        return false;
    }
    char *text = read_template(path, err, errlen);
    if (!text)
        return false;
    char why[512];
    if (part == GH_NOTIFY_SUBJECT && !subject_line(text)) {
        snprintf(err, errlen, "%s: a subject is one non-empty line without control characters",
                 path);
        free(text);
        return false;
    }
    if (!gh_notify_template_check(event, text, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        free(text);
        return false;
    }
    free(t->part[index][part]);
    t->part[index][part] = text;
    return true;
}

struct gh_notify_templates *gh_notify_templates_load(const char *dir, char *err, size_t errlen)
{
    struct gh_notify_templates *t = gh_xcalloc(1, sizeof *t);
    t->part = gh_xcalloc(gh_notify_defaults_count, sizeof *t->part);
    if (!dir || !*dir)
        return t;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open the mail template directory %s: %s", dir,
                 strerror(errno));
        gh_notify_templates_free(t);
        return NULL;
    }
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        ok = load_file(t, dir, e->d_name, err, errlen);
    }
    closedir(d);
    if (!ok) {
        gh_notify_templates_free(t);
        return NULL;
    }
    return t;
}

const char *gh_notify_template(const struct gh_notify_templates *t, const char *event,
                               enum gh_notify_part part)
{
    size_t i;
    const struct gh_notify_default *d = find_default(event, &i);
    if (!d || (int)part < 0 || part >= GH_NOTIFY_PARTS)
        return NULL;
    if (t && t->part[i][part])
        return t->part[i][part];
    return d->part[part];
}

static void put_value(struct gh_buf *b, const char *v, enum gh_notify_part part)
{
    for (const char *p = v ? v : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (part == GH_NOTIFY_HTML) {
            switch (c) {
            case '&':
                gh_buf_puts(b, "&amp;");
                continue;
            case '<':
                gh_buf_puts(b, "&lt;");
                continue;
            case '>':
                gh_buf_puts(b, "&gt;");
                continue;
            case '"':
                gh_buf_puts(b, "&quot;");
                continue;
            case '\'':
                gh_buf_puts(b, "&#39;");
                continue;
            default:
                break;
            }
        } else if (part == GH_NOTIFY_SUBJECT && (c < 0x20 || c == 0x7F)) {
            gh_buf_putc(b, ' '); /* one line, whatever the value holds */
            continue;
        }
        gh_buf_putc(b, (char)c);
    }
}

char *gh_notify_render(struct gh_arena *a, const char *tpl, enum gh_notify_part part,
                       const struct gh_notify_var *vars, size_t nvars)
{
    struct gh_buf b;
    gh_buf_init(&b, a, strlen(tpl) + 256);
    gh_buf_puts(&b, "");
    const char *p = tpl;
    const char *open;
    while ((open = strstr(p, "{{")) != NULL) {
        const char *name;
        size_t n;
        const char *next = placeholder(open + 2, &name, &n);
        if (!next) {
            gh_buf_put(&b, p, (size_t)(open + 2 - p)); /* not a placeholder: as written */
            p = open + 2;
            continue;
        }
        gh_buf_put(&b, p, (size_t)(open - p));
        for (size_t i = 0; i < nvars; i++) {
            if (strlen(vars[i].name) == n && strncmp(vars[i].name, name, n) == 0) {
                put_value(&b, vars[i].value, part);
                break;
            }
        }
        p = next;
    }
    gh_buf_puts(&b, p);
    return b.data;
}

/* ---- facts ------------------------------------------------------------------ */

static const char *utc_text(struct gh_arena *a, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return gh_arena_strdup(a, buf);
}

/* "24 hours", "1 day", "30 minutes", … for mail texts: the largest unit
 * that divides secs exactly or, when !exact, the largest unit secs reaches,
 * rounded to the nearest (the exact time is stated beside it). */
static const char *duration_text(struct gh_arena *a, int64_t secs, bool exact)
{
    static const struct {
        int64_t secs;
        const char *one, *many;
    } units[] = {{86400, "day", "days"}, {3600, "hour", "hours"}, {60, "minute", "minutes"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (secs >= units[i].secs && (!exact || secs % units[i].secs == 0)) {
            int64_t n = exact ? secs / units[i].secs : (secs + units[i].secs / 2) / units[i].secs;
            return gh_arena_printf(a, "%lld %s", (long long)n,
                                   n == 1 ? units[i].one : units[i].many);
        }
    }
    return gh_arena_printf(a, "%lld %s", (long long)secs, secs == 1 ? "second" : "seconds");
}

/* The configured public URL without a trailing '/'. */
static const char *base_url(struct gh_arena *a, const struct gh_portal *p)
{
    const char *base = p->cfg.public_url ? p->cfg.public_url : "";
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    return gh_arena_strndup(a, base, n);
}

static const char *actor_text(const struct gh_call *c)
{
    if (c->who.has_user)
        return gh_arena_printf(c->req->arena, "%s <%s>", c->who.user.name, c->who.user.email);
    return "a platform admin";
}

/* The actor as webhook data: {"type": "user", "id", "name", "email"} or
 * {"type": "platform_admin"}. */
static json_t *actor_json(const struct gh_call *c)
{
    json_t *o = json_object();
    if (c->who.has_user) {
        json_object_set_new(o, "type", json_string("user"));
        json_object_set_new(o, "id", json_string(c->who.user.id));
        json_object_set_new(o, "name", json_string(c->who.user.name));
        json_object_set_new(o, "email", json_string(c->who.user.email));
    } else {
        json_object_set_new(o, "type", json_string("platform_admin"));
    }
    return o;
}

static json_t *ref_json(const char *id, const char *name)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "name", json_string(name));
    return o;
}

/* ---- one notice ---------------------------------------------------------------- */

struct rcpt {
    const char *email;
    const char *name; /* NULL: none known */
};

/* Everything one event queues. */
struct notice {
    struct gh_tx *tx;
    struct gh_arena *a;
    const struct gh_portal *p;
    int64_t now;
    const char *event;
    struct gh_notify_var vars[VARS_MAX];
    size_t nvars;
    struct rcpt *rcpts;
    size_t n, cap;
    const char *org_id; /* whose deliveries view lists the mails; whose webhooks get it */
    bool webhooks;      /* also to org_id's webhooks */
    json_t *data;       /* webhook data (owned) */
    int queued;         /* rows written */
};

static void notice_init(struct notice *n, struct gh_tx *tx, struct gh_arena *a,
                        const struct gh_portal *p, int64_t now, const char *event)
{
    *n = (struct notice){.tx = tx, .a = a, .p = p, .now = now, .event = event};
    n->data = json_object();
}

static void var(struct notice *n, const char *name, const char *value)
{
    if (n->nvars < VARS_MAX)
        n->vars[n->nvars++] = (struct gh_notify_var){name, value};
}

/* Adds a recipient unless the address (case-insensitively) is there. */
static void add_rcpt(struct notice *n, const char *email, const char *name)
{
    if (!email || !*email)
        return;
    for (size_t i = 0; i < n->n; i++)
        if (strcasecmp(n->rcpts[i].email, email) == 0)
            return;
    if (n->n == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 8;
        struct rcpt *r = GH_ARENA_ARRAY(n->a, struct rcpt, cap);
        if (n->n)
            memcpy(r, n->rcpts, n->n * sizeof *r);
        n->rcpts = r;
        n->cap = cap;
    }
    n->rcpts[n->n++] = (struct rcpt){email, name};
}

static enum gh_store_rc add_user(struct notice *n, const char *user_id)
{
    struct gh_user u;
    enum gh_store_rc rc = gh_store_user_get(n->tx, user_id, n->a, &u);
    if (rc == GH_STORE_NOT_FOUND)
        return GH_STORE_OK;
    if (rc == GH_STORE_OK)
        add_rcpt(n, u.email, u.name);
    return rc;
}

/* The ADMINs of org_id. */
static enum gh_store_rc add_org_admins(struct notice *n, const char *org_id)
{
    struct gh_membership *m;
    size_t count;
    enum gh_store_rc rc =
        gh_store_membership_list_by_org(n->tx, org_id, &(struct gh_page){0}, n->a, &m, &count);
    for (size_t i = 0; rc == GH_STORE_OK && i < count; i++)
        if (m[i].role == GH_ORG_ADMIN)
            rc = add_user(n, m[i].user_id);
    return rc;
}

/* The OWNERs of app_id. */
static enum gh_store_rc add_app_owners(struct notice *n, const char *app_id)
{
    struct gh_app_member *m;
    size_t count;
    enum gh_store_rc rc =
        gh_store_app_member_list_by_app(n->tx, app_id, &(struct gh_page){0}, n->a, &m, &count);
    for (size_t i = 0; rc == GH_STORE_OK && i < count; i++)
        if (m[i].role == GH_APP_OWNER)
            rc = add_user(n, m[i].user_id);
    return rc;
}

/* Queues a mail per recipient and, if asked, the webhook deliveries; frees
 * n->data.  False when a mail cannot be composed or a row not written. */
static bool notice_send(struct notice *n)
{
    bool ok = true;
    var(n, "product", PRODUCT);
    var(n, "portal_url", base_url(n->a, n->p));
    const struct gh_notify_templates *t = n->p->templates;
    const char *tpl[GH_NOTIFY_PARTS];
    for (int k = 0; k < GH_NOTIFY_PARTS; k++) {
        tpl[k] = gh_notify_template(t, n->event, (enum gh_notify_part)k);
        if (!tpl[k])
            ok = false;
    }
    size_t base = n->nvars;
    for (size_t i = 0; ok && i < n->n; i++) {
        n->nvars = base;
        var(n, "recipient_name",
            n->rcpts[i].name && *n->rcpts[i].name ? n->rcpts[i].name : n->rcpts[i].email);
        var(n, "recipient_email", n->rcpts[i].email);
        struct gh_mail m = {
            .from = n->p->cfg.mail_from,
            .from_name = PRODUCT,
            .to = n->rcpts[i].email,
            .to_name = n->rcpts[i].name,
            .subject = gh_notify_render(n->a, tpl[0], GH_NOTIFY_SUBJECT, n->vars, n->nvars),
            .text = gh_notify_render(n->a, tpl[1], GH_NOTIFY_TEXT, n->vars, n->nvars),
            .html = gh_notify_render(n->a, tpl[2], GH_NOTIFY_HTML, n->vars, n->nvars),
            .org_id = n->org_id,
        };
        ok = gh_mail_enqueue(n->tx, n->a, &m, n->event, n->now, NULL);
        if (ok)
            n->queued++;
    }
    if (ok && n->webhooks && n->org_id) {
        char *data = json_dumps(n->data, JSON_COMPACT);
        int hooks = 0;
        ok = data && gh_webhooks_enqueue(n->tx, n->a, n->org_id, n->event, data, n->now, &hooks);
        free(data);
        n->queued += hooks;
    }
    json_decref(n->data);
    n->data = NULL;
    return ok;
}

/* notice_send for a call: answers a failure, marks mail queued. */
static bool call_send(struct gh_call *c, struct notice *n)
{
    if (!notice_send(n)) {
        gh_call_fail(c, 500, NULL, "internal error: cannot queue the notification");
        return false;
    }
    if (n->queued)
        c->queued_mail = true;
    return true;
}

static bool call_store_fail(struct gh_call *c, struct notice *n, enum gh_store_rc rc)
{
    json_decref(n->data);
    n->data = NULL;
    gh_call_store_fail(c, rc, "notification recipients");
    return false;
}

/* ---- events -------------------------------------------------------------------- */

bool gh_notify_user(struct gh_call *c, const char *event, const struct gh_user *u, const char *link,
                    const char *token, int64_t expires_at, const char *note)
{
    struct notice n;
    struct gh_arena *a = c->req->arena;
    notice_init(&n, c->tx, a, c->p, c->now, event);
    var(&n, "name", u->name);
    var(&n, "email", u->email);
    var(&n, "link", link);
    var(&n, "token", token);
    var(&n, "expires_in", expires_at ? duration_text(a, expires_at - c->now, true) : "");
    var(&n, "expires_at", expires_at ? utc_text(a, expires_at) : "");
    var(&n, "note", note);
    add_rcpt(&n, u->email, u->name);
    return call_send(c, &n);
}

static const char *sub_action_url(struct gh_arena *a, const char *base, const char *id,
                                  const char *action)
{
    return gh_arena_printf(a, "%s/api/v1/subscriptions/%s/%s", base, id, action);
}

bool gh_notify_subscription(struct gh_call *c, const struct gh_notify_sub *s)
{
    struct notice n;
    struct gh_arena *a = c->req->arena;
    notice_init(&n, c->tx, a, c->p, c->now, s->event);
    const char *base = base_url(a, c->p);
    const char *status = gh_sub_status_name(s->sub->status);
    const char *reason = s->reason ? s->reason : NO_REASON;
    var(&n, "subscription_id", s->sub->id);
    var(&n, "app_name", s->app->name);
    var(&n, "app_id", s->app->id);
    var(&n, "partner_name", s->partner->name);
    var(&n, "partner_id", s->partner->id);
    var(&n, "api_name", s->api->name);
    var(&n, "api_id", s->api->id);
    var(&n, "provider_name", s->provider->name);
    var(&n, "provider_id", s->provider->id);
    var(&n, "plan_name", s->plan->name);
    var(&n, "plan_id", s->plan->id);
    var(&n, "old_status", s->old_status ? s->old_status : "");
    var(&n, "status", status);
    var(&n, "status_change",
        s->old_status ? gh_arena_printf(a, "%s -> %s", s->old_status, status) : status);
    var(&n, "reason", reason);
    var(&n, "actor", actor_text(c));
    var(&n, "details_url", sub_action_url(a, base, s->sub->id, "history"));
    var(&n, "activate_url", sub_action_url(a, base, s->sub->id, "activate"));
    var(&n, "deactivate_url", sub_action_url(a, base, s->sub->id, "deactivate"));
    var(&n, "request_activation_url", sub_action_url(a, base, s->sub->id, "request-activation"));

    json_t *sub = json_object();
    json_object_set_new(sub, "id", json_string(s->sub->id));
    json_object_set_new(n.data, "subscription", sub);
    json_object_set_new(n.data, "app", ref_json(s->app->id, s->app->name));
    json_object_set_new(n.data, "api", ref_json(s->api->id, s->api->name));
    json_object_set_new(n.data, "plan", ref_json(s->plan->id, s->plan->name));
    json_object_set_new(n.data, "partner_org", ref_json(s->partner->id, s->partner->name));
    json_object_set_new(n.data, "provider_org", ref_json(s->provider->id, s->provider->name));
    json_object_set_new(n.data, "old_status", gh_json_str_or_null(s->old_status));
    json_object_set_new(n.data, "status", json_string(status));
    json_object_set_new(n.data, "reason", gh_json_str_or_null(s->reason));
    json_object_set_new(n.data, "actor", actor_json(c));

    enum gh_store_rc rc;
    if (s->to_provider) {
        n.org_id = s->provider->id;
        add_rcpt(&n, s->provider->responsible_email, NULL);
        rc = add_org_admins(&n, s->provider->id);
    } else {
        n.org_id = s->partner->id;
        add_rcpt(&n, s->partner->responsible_email, NULL);
        rc = add_app_owners(&n, s->app->id);
    }
    if (rc != GH_STORE_OK)
        return call_store_fail(c, &n, rc);
    n.webhooks = true;
    return call_send(c, &n);
}

/* The partner org of app (for names and its responsible person). */
static enum gh_store_rc partner_of(struct gh_call *c, const struct gh_app *app, struct gh_org *out)
{
    return gh_store_org_get(c->tx, app->org_id, c->req->arena, out);
}

static void app_facts(struct notice *n, const struct gh_app *app, const struct gh_org *partner)
{
    var(n, "app_name", app->name);
    var(n, "app_id", app->id);
    var(n, "partner_name", partner->name);
    var(n, "partner_id", partner->id);
    json_object_set_new(n->data, "app", ref_json(app->id, app->name));
    json_object_set_new(n->data, "partner_org", ref_json(partner->id, partner->name));
}

bool gh_notify_access_status(struct gh_call *c, const struct gh_app *app,
                             const struct gh_org *provider, bool red, const char *reason)
{
    struct gh_org partner;
    enum gh_store_rc rc = partner_of(c, app, &partner);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "partner organization");
        return false;
    }
    struct notice n;
    notice_init(&n, c->tx, c->req->arena, c->p, c->now,
                red ? "app.access_status.red" : "app.access_status.green");
    app_facts(&n, app, &partner);
    var(&n, "provider_name", provider->name);
    var(&n, "provider_id", provider->id);
    var(&n, "status", red ? "red" : "green");
    var(&n, "reason", reason && *reason ? reason : NO_REASON);
    var(&n, "actor", actor_text(c));
    json_object_set_new(n.data, "provider_org", ref_json(provider->id, provider->name));
    json_object_set_new(n.data, "status", json_string(red ? "red" : "green"));
    json_object_set_new(n.data, "reason", gh_json_str_or_null(reason && *reason ? reason : NULL));
    json_object_set_new(n.data, "actor", actor_json(c));
    n.org_id = partner.id;
    n.webhooks = true;
    add_rcpt(&n, partner.responsible_email, NULL);
    rc = add_app_owners(&n, app->id);
    if (rc != GH_STORE_OK)
        return call_store_fail(c, &n, rc);
    return call_send(c, &n);
}

bool gh_notify_secret_rotated(struct gh_call *c, const struct gh_app *app,
                              int64_t previous_valid_until)
{
    struct gh_org partner;
    enum gh_store_rc rc = partner_of(c, app, &partner);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "partner organization");
        return false;
    }
    struct gh_arena *a = c->req->arena;
    struct notice n;
    notice_init(&n, c->tx, a, c->p, c->now, "app.client_secret.rotated");
    app_facts(&n, app, &partner);
    var(&n, "client_id", app->client_id);
    var(&n, "actor", actor_text(c));
    var(&n, "previous_valid_until",
        previous_valid_until > c->now ? utc_text(a, previous_valid_until)
                                      : "(it stopped working at once)");
    json_object_set_new(n.data, "client_id", json_string(app->client_id));
    json_object_set_new(n.data, "previous_secret_expires_at",
                        gh_json_time(previous_valid_until > c->now ? previous_valid_until : 0));
    json_object_set_new(n.data, "actor", actor_json(c));
    n.org_id = partner.id;
    n.webhooks = true;
    rc = add_app_owners(&n, app->id);
    if (rc != GH_STORE_OK)
        return call_store_fail(c, &n, rc);
    return call_send(c, &n);
}

static void key_facts(struct notice *n, const struct gh_api_key *k)
{
    var(n, "key_id", k->id);
    var(n, "key_name", k->name);
    var(n, "key_hint", k->key_hint);
    var(n, "expires_at", k->expires_at ? utc_text(n->a, k->expires_at) : "never");
    json_t *key = ref_json(k->id, k->name);
    json_object_set_new(key, "key_hint", json_string(k->key_hint));
    json_object_set_new(key, "expires_at", gh_json_time(k->expires_at));
    json_object_set_new(n->data, "api_key", key);
}

bool gh_notify_api_key_created(struct gh_call *c, const struct gh_app *app,
                               const struct gh_api_key *k)
{
    struct gh_org partner;
    enum gh_store_rc rc = partner_of(c, app, &partner);
    if (rc != GH_STORE_OK) {
        gh_call_store_fail(c, rc, "partner organization");
        return false;
    }
    struct notice n;
    notice_init(&n, c->tx, c->req->arena, c->p, c->now, "app.api_key.created");
    app_facts(&n, app, &partner);
    key_facts(&n, k);
    var(&n, "actor", actor_text(c));
    json_object_set_new(n.data, "actor", actor_json(c));
    n.org_id = partner.id;
    n.webhooks = true;
    rc = add_app_owners(&n, app->id);
    if (rc != GH_STORE_OK)
        return call_store_fail(c, &n, rc);
    return call_send(c, &n);
}

/* ---- the expiring-key scan ------------------------------------------------------ */

/* Announces key k (marking it first, so a concurrent scan's duplicate is
 * skipped); *done counts it.  False on a store or queue failure. */
static bool announce_expiring(struct gh_tx *tx, struct gh_arena *a, const struct gh_portal *p,
                              int64_t now, const struct gh_api_key *k, int *done)
{
    enum gh_store_rc rc = gh_store_api_key_mark_expiry_notified(tx, k->id, now);
    if (rc == GH_STORE_NOT_FOUND)
        return true;
    struct gh_app app;
    struct gh_org partner;
    if (rc != GH_STORE_OK || gh_store_app_get(tx, k->app_id, a, &app) != GH_STORE_OK ||
        gh_store_org_get(tx, app.org_id, a, &partner) != GH_STORE_OK)
        return false;
    struct notice n;
    notice_init(&n, tx, a, p, now, "app.api_key.expiring");
    app_facts(&n, &app, &partner);
    key_facts(&n, k);
    var(&n, "expires_in", duration_text(a, k->expires_at - now, false));
    n.org_id = partner.id;
    n.webhooks = true;
    if (add_app_owners(&n, app.id) != GH_STORE_OK) {
        json_decref(n.data);
        return false;
    }
    if (!notice_send(&n))
        return false;
    (*done)++;
    return true;
}

bool gh_notify_scan_expiring(struct gh_portal *p, int64_t now, int *notified)
{
    int done = 0;
    if (notified)
        *notified = 0;
    struct gh_arena *a = gh_arena_new(16384);
    struct gh_tx *tx = NULL;
    struct gh_api_key *keys = NULL;
    size_t count = 0;
    bool ok = gh_store_begin(p->store, GH_TX_WRITE, &tx) == GH_STORE_OK;
    if (ok)
        ok = gh_store_api_key_list_expiring(tx, now, now + GH_NOTIFY_EXPIRING_AHEAD_SECS, a, &keys,
                                            &count) == GH_STORE_OK;
    for (size_t i = 0; ok && i < count; i++)
        ok = announce_expiring(tx, a, p, now, &keys[i], &done);
    if (ok && done == 0) {
        gh_store_rollback(tx); /* nothing written */
    } else if (ok) {
        ok = gh_store_commit(tx) == GH_STORE_OK;
    } else if (tx) {
        struct gh_log_line l;
        if (gh_log_begin(&l, GH_LOG_WARN, "notify.expiring_scan_failed")) {
            gh_log_str(&l, "error", gh_store_tx_error(tx));
            gh_log_end(&l);
        }
        gh_store_rollback(tx);
    }
    gh_arena_free(a);
    if (!ok)
        done = 0;
    else if (done && p->mailer)
        gh_mailer_nudge(p->mailer);
    if (notified)
        *notified = done;
    return ok;
}
