/* One management-API call: the plumbing every /api/v1 handler shares.
 *
 *   static void org_get(struct gh_req *req)
 *   {
 *       struct gh_call c;
 *       if (!gh_call_begin(&c, req, GH_CALL_AUTH))
 *           return;                                  // already answered
 *       struct gh_org org;
 *       if (!gh_call_visible_org(&c, gh_req_param(req, "org"), &org, NULL))
 *           return;                                  // 404 answered
 *       gh_call_reply(&c, 200, gh_render_org(&org));
 *   }
 *
 * gh_call_begin checks the content type and parses the JSON body (when
 * asked), opens a transaction and authenticates the caller (admin token,
 * personal token or session cookie with its CSRF token).  From then on the
 * handler ends the call exactly once: gh_call_reply* (commits nothing; a
 * read is rolled back), gh_call_commit + gh_call_reply*, or gh_call_fail*
 * (rolls back).  Every answer path frees what the call holds. */
#ifndef GH_PORTAL_CALL_H
#define GH_PORTAL_CALL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto/secret.h"
#include "domain/roles.h"
#include "http/form.h"
#include "http/json.h"
#include "http/request.h"
#include "portal/portal.h"
#include "store/store.h"

enum {
    GH_CALL_PUBLIC = 0,       /* anyone; credentials, if sent, are still checked */
    GH_CALL_AUTH = 1u << 0,   /* an admin token or a person */
    GH_CALL_PERSON = 1u << 1, /* a person (session or personal token) */
    GH_CALL_ADMIN = 1u << 2,  /* a platform admin */
    GH_CALL_BODY = 1u << 3,   /* a JSON object body */
    GH_CALL_WRITE = 1u << 4,  /* a write transaction */
    /* credentials are ignored, not checked: logging in and password resets
     * must work whatever a browser still sends (an ended session's cookie) */
    GH_CALL_ANONYMOUS = 1u << 5,
    GH_CALL_NO_TX = 1u << 6, /* no transaction: the handler opens its own */
};

enum gh_actor {
    GH_ACTOR_NONE = 0,
    GH_ACTOR_ADMIN_TOKEN,
    GH_ACTOR_PERSONAL_TOKEN,
    GH_ACTOR_SESSION
};

struct gh_principal {
    enum gh_actor actor;
    bool platform_admin;
    const char *actor_id; /* tok_… or usr_…; NULL when anonymous */
    bool has_user;        /* personal token or session */
    struct gh_user user;
    struct gh_session session; /* GH_ACTOR_SESSION */
};

struct gh_call {
    struct gh_req *req;
    struct gh_portal *p;
    struct gh_tx *tx; /* open until the call ends */
    bool tx_write;
    struct gh_principal who;
    json_t *body; /* GH_CALL_BODY */
    int64_t now;  /* Unix seconds, fixed for the call */
    struct gh_form query;
    bool query_parsed;
    int64_t page, per_page; /* after gh_call_page */
    bool queued_mail;       /* nudge the mailer after the commit */
};

bool gh_call_begin(struct gh_call *c, struct gh_req *req, unsigned flags);
/* Ends the call's transaction (if any) and begins a new one in mode, e.g.
 * a write after slow work (argon2) done under a read or no transaction, so
 * the writers' lock is never held during it.  What was read before must be
 * read again.  Answers and returns false on failure. */
bool gh_call_reopen(struct gh_call *c, enum gh_tx_mode mode);

/* Ending a call. */
void gh_call_fail(struct gh_call *c, int status, const char *field, const char *message);
void gh_call_failf(struct gh_call *c, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Maps a store result that is not OK: NOT_FOUND 404 (what names the
 * object), CONFLICT 409, BUSY 503 with Retry-After, ERROR 500 (logged). */
void gh_call_store_fail(struct gh_call *c, enum gh_store_rc rc, const char *what);
/* Commits; on failure answers (409/503/500) and returns false. */
bool gh_call_commit(struct gh_call *c);
/* Answers obj (stolen; NULL is a 500) and ends the call. */
void gh_call_reply(struct gh_call *c, int status, json_t *obj);
void gh_call_reply_empty(struct gh_call *c, int status);
/* Answers the list envelope {"items","page","per_page","total"} with a
 * Link rel="next" header when more pages exist (after gh_call_page). */
void gh_call_reply_list(struct gh_call *c, json_t *items, int64_t total);

/* Request input.  Each answers the refusal itself and returns false. */
bool gh_call_fields(struct gh_call *c, const char *const allowed[]);
/* After a failed http/json getter: 422 naming the field. */
void gh_call_json_fail(struct gh_call *c, const struct gh_json_error *err);
/* Optional members of a JSON object obj (the body or a nested object).
 * Each answers 422 naming field (or name) and returns false on a wrong type.
 * text: *present says whether it was sent, *out the trimmed arena copy or
 * NULL for null.  bool: absent keeps *out, null is refused. */
bool gh_call_text_member(struct gh_call *c, const json_t *obj, const char *name, const char *field,
                         bool *present, char **out);
bool gh_call_bool_member(struct gh_call *c, const json_t *obj, const char *name, bool *present,
                         bool *out);
/* The JSON array v (member name) as a list of at most max strings copied
 * into the arena; *out is set only on success.  Entries are not validated. */
bool gh_call_strings(struct gh_call *c, const json_t *v, const char *name, size_t max,
                     struct gh_strlist *out);
/* A query parameter (decoded, NUL-terminated) or NULL; a malformed query
 * string is answered 400 and *bad set. */
const char *gh_call_query(struct gh_call *c, const char *name, bool *bad);
/* page / per_page from the query (defaults 1 / 20, per_page at most 100). */
bool gh_call_page(struct gh_call *c, struct gh_page *page);

/* Permissions.  The role the caller holds in org_id (false: no membership;
 * platform admins hold none unless they are members). */
bool gh_call_org_role(struct gh_call *c, const char *org_id, enum gh_org_role *role);
/* Loads the org the caller may see (platform admin, or a member); anything
 * else, existing or not, answers 404 and returns false.  role (may be NULL)
 * gets the caller's role, GH_ORG_ADMIN for platform admins. */
bool gh_call_visible_org(struct gh_call *c, struct gh_str id, struct gh_org *org,
                         enum gh_org_role *role);

/* Loads the app the caller may act on and the role they act with
 * (domain/roles.h gh_app_effective_role: an app member's role; OWNER for an
 * ADMIN of the app's partner org and for platform admins).  Anyone else,
 * app existing or not, gets 404 and false.  Check the capability with
 * gh_call_app_can. */
bool gh_call_visible_app(struct gh_call *c, struct gh_str id, struct gh_app *app,
                         enum gh_app_role *role);
/* Whether role allows cap; if not answers 403 naming what is missing. */
bool gh_call_app_can(struct gh_call *c, enum gh_app_role role, enum gh_app_cap cap);
/* Loads the API the caller may manage or read as its provider: platform
 * admins (role GH_ORG_ADMIN) and members of the API's org.  Anyone else gets
 * 404 and false (the catalog view, GET /apis, is the caller's own query). */
bool gh_call_provider_api(struct gh_call *c, struct gh_str id, struct gh_api *api,
                          struct gh_org *provider, enum gh_org_role *role);

/* Audit: one event in the call's transaction (changes stolen; NULL: none). */
bool gh_call_audit(struct gh_call *c, const char *action, const char *object_type,
                   const char *object_id, const char *org_id, json_t *changes);

/* Secrets. */
void gh_call_secret_hash(const struct gh_call *c, const char *secret,
                         char hex[GH_SECRET_HASH_HEX_LEN + 1]);

/* Rendering (new references). */
json_t *gh_json_time(int64_t t); /* RFC 3339 UTC string, or null for 0 */
json_t *gh_json_str_or_null(const char *s);
json_t *gh_json_strlist(const struct gh_strlist *l);
json_t *gh_render_user(const struct gh_user *u);
json_t *gh_render_org(const struct gh_org *o);

/* The area registrations gh_portal_register calls. */
bool gh_portal_register_sessions(struct gh_router *r, struct gh_portal *p);
bool gh_portal_register_accounts(struct gh_router *r, struct gh_portal *p);
bool gh_portal_register_orgs(struct gh_router *r, struct gh_portal *p);
bool gh_portal_register_audit(struct gh_router *r, struct gh_portal *p);

#endif
