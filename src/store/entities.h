/* The entity operations of the store: one group per file (store/users.c,
 * store/orgs.c, store/apis.c, store/apps.c, store/subscriptions.c,
 * store/tokens.c, store/outbox.c, store/audit.c), all written once against
 * the driver interface (store/db.h) through the row mapper (store/rowmap.h).
 *
 * Conventions, the same for every entity:
 *   _insert(tx, row)                      CONFLICT: a unique key or a missing parent
 *   _get(tx, id, arena, out)              NOT_FOUND: no such row
 *   _update(tx, row)                      the whole row by its id (created_at is
 *                                         kept); NOT_FOUND: no such row
 *   _delete(tx, id)                       NOT_FOUND: no such row; children with
 *                                         ON DELETE CASCADE go with it
 *   _list(tx, page, arena, out, n)        page NULL: all rows; ordered by
 *                                         created_at, then id
 * Writes need a GH_TX_WRITE transaction.  Reads copy every string (and list)
 * into the caller's arena: *out lives as long as the arena.  A list answers
 * an arena array in *out (NULL when *n is 0).  Writes to data the hot-path
 * snapshot holds (orgs, apis, plans, apps, api keys, certificates,
 * subscriptions, access statuses, signing keys, revoked jtis)
 * mark the transaction touched (gh_store_tx_touch), so committing it
 * rebuilds the snapshot.  Counts and "affected rows" are int64_t.
 * When the engine refuses a statement (a constraint: CONFLICT; a lock: BUSY;
 * anything else: ERROR) the transaction can only be rolled back, as on
 * PostgreSQL: further operations answer the same code and gh_store_commit
 * rolls back and returns it.  NOT_FOUND, and the CONFLICT of
 * gh_store_user_token_mark_used (a used token), leave it usable. */
#ifndef GH_STORE_ENTITIES_H
#define GH_STORE_ENTITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/model.h"
#include "store/store.h"

/* ---- users (store/users.c) ------------------------------------------------ */

/* The email is stored lower-cased; CONFLICT if it is taken (any case). */
enum gh_store_rc gh_store_user_insert(struct gh_tx *tx, const struct gh_user *u);
enum gh_store_rc gh_store_user_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                   struct gh_user *out);
/* The email is stored lower-cased; CONFLICT if another user has it. */
enum gh_store_rc gh_store_user_update(struct gh_tx *tx, const struct gh_user *u);
/* Also deletes the user's memberships, app memberships, tokens and sessions. */
enum gh_store_rc gh_store_user_delete(struct gh_tx *tx, const char *id);
enum gh_store_rc gh_store_user_list(struct gh_tx *tx, const struct gh_page *page,
                                    struct gh_arena *a, struct gh_user **out, size_t *n);
/* Case-insensitive lookup by email; NOT_FOUND if nobody has it. */
enum gh_store_rc gh_store_user_by_email(struct gh_tx *tx, const char *email, struct gh_arena *a,
                                        struct gh_user *out);
/* Users whose email or name contains q (case-insensitive substring; NULL or
 * "" matches everyone), ordered by created_at, then id. */
enum gh_store_rc gh_store_user_search(struct gh_tx *tx, const char *q, const struct gh_page *page,
                                      struct gh_arena *a, struct gh_user **out, size_t *n);
/* How many users gh_store_user_search(q) would list without paging. */
enum gh_store_rc gh_store_user_count(struct gh_tx *tx, const char *q, int64_t *count);

/* ---- organizations and memberships (store/orgs.c) ------------------------- */

/* CONFLICT if the tenant is taken. */
enum gh_store_rc gh_store_org_insert(struct gh_tx *tx, const struct gh_org *o);
enum gh_store_rc gh_store_org_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                  struct gh_org *out);
enum gh_store_rc gh_store_org_update(struct gh_tx *tx, const struct gh_org *o);
/* Cascades to memberships, apis (and their plans, subscriptions) and apps. */
enum gh_store_rc gh_store_org_delete(struct gh_tx *tx, const char *id);
enum gh_store_rc gh_store_org_list(struct gh_tx *tx, const struct gh_page *page, struct gh_arena *a,
                                   struct gh_org **out, size_t *n);
/* Exact match on the partner's tenant key; NOT_FOUND if none. */
enum gh_store_rc gh_store_org_by_tenant(struct gh_tx *tx, const char *tenant, struct gh_arena *a,
                                        struct gh_org *out);
/* The orgs user_id is a member of (any role), ordered by created_at, id. */
enum gh_store_rc gh_store_org_list_by_user(struct gh_tx *tx, const char *user_id,
                                           const struct gh_page *page, struct gh_arena *a,
                                           struct gh_org **out, size_t *n);

/* Inserts the membership or, if (org_id, user_id) exists, changes its role
 * (created_at kept).  CONFLICT if the org or the user does not exist. */
enum gh_store_rc gh_store_membership_put(struct gh_tx *tx, const struct gh_membership *m);
enum gh_store_rc gh_store_membership_get(struct gh_tx *tx, const char *org_id, const char *user_id,
                                         struct gh_arena *a, struct gh_membership *out);
enum gh_store_rc gh_store_membership_delete(struct gh_tx *tx, const char *org_id,
                                            const char *user_id);
/* Ordered by created_at, then user_id. */
enum gh_store_rc gh_store_membership_list_by_org(struct gh_tx *tx, const char *org_id,
                                                 const struct gh_page *page, struct gh_arena *a,
                                                 struct gh_membership **out, size_t *n);
/* Ordered by created_at, then org_id. */
enum gh_store_rc gh_store_membership_list_by_user(struct gh_tx *tx, const char *user_id,
                                                  const struct gh_page *page, struct gh_arena *a,
                                                  struct gh_membership **out, size_t *n);
/* The number of ADMIN members of org_id (0 for an unknown org). */
enum gh_store_rc gh_store_membership_count_admins(struct gh_tx *tx, const char *org_id,
                                                  int64_t *count);

/* ---- APIs and plans (store/apis.c) ---------------------------------------- */

enum gh_store_rc gh_store_api_insert(struct gh_tx *tx, const struct gh_api *api);
enum gh_store_rc gh_store_api_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                  struct gh_api *out);
enum gh_store_rc gh_store_api_update(struct gh_tx *tx, const struct gh_api *api);
/* Cascades to its plans and subscriptions. */
enum gh_store_rc gh_store_api_delete(struct gh_tx *tx, const char *id);
enum gh_store_rc gh_store_api_list(struct gh_tx *tx, const struct gh_page *page, struct gh_arena *a,
                                   struct gh_api **out, size_t *n);
/* The APIs of provider org_id, ordered by created_at, id. */
enum gh_store_rc gh_store_api_list_by_org(struct gh_tx *tx, const char *org_id,
                                          const struct gh_page *page, struct gh_arena *a,
                                          struct gh_api **out, size_t *n);

enum gh_store_rc gh_store_plan_insert(struct gh_tx *tx, const struct gh_plan *p);
enum gh_store_rc gh_store_plan_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                   struct gh_plan *out);
enum gh_store_rc gh_store_plan_update(struct gh_tx *tx, const struct gh_plan *p);
/* CONFLICT while a subscription still uses the plan. */
enum gh_store_rc gh_store_plan_delete(struct gh_tx *tx, const char *id);
enum gh_store_rc gh_store_plan_list(struct gh_tx *tx, const struct gh_page *page,
                                    struct gh_arena *a, struct gh_plan **out, size_t *n);
/* The plans of api_id, ordered by created_at, id. */
enum gh_store_rc gh_store_plan_list_by_api(struct gh_tx *tx, const char *api_id,
                                           const struct gh_page *page, struct gh_arena *a,
                                           struct gh_plan **out, size_t *n);

/* ---- apps, members, API keys, certificates (store/apps.c) ----------------- */

/* CONFLICT if the client_id is taken or the org does not exist. */
enum gh_store_rc gh_store_app_insert(struct gh_tx *tx, const struct gh_app *app);
enum gh_store_rc gh_store_app_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                  struct gh_app *out);
enum gh_store_rc gh_store_app_update(struct gh_tx *tx, const struct gh_app *app);
/* Cascades to its members, API keys, certificates, subscriptions, access
 * statuses and opaque tokens. */
enum gh_store_rc gh_store_app_delete(struct gh_tx *tx, const char *id);
enum gh_store_rc gh_store_app_list(struct gh_tx *tx, const struct gh_page *page, struct gh_arena *a,
                                   struct gh_app **out, size_t *n);
/* Exact match on client_id; NOT_FOUND if none. */
enum gh_store_rc gh_store_app_by_client_id(struct gh_tx *tx, const char *client_id,
                                           struct gh_arena *a, struct gh_app *out);
/* The apps of partner org_id, ordered by created_at, id. */
enum gh_store_rc gh_store_app_list_by_org(struct gh_tx *tx, const char *org_id,
                                          const struct gh_page *page, struct gh_arena *a,
                                          struct gh_app **out, size_t *n);

/* Inserts the member or, if (app_id, user_id) exists, changes its role
 * (created_at kept).  CONFLICT if the app or the user does not exist. */
enum gh_store_rc gh_store_app_member_put(struct gh_tx *tx, const struct gh_app_member *m);
enum gh_store_rc gh_store_app_member_get(struct gh_tx *tx, const char *app_id, const char *user_id,
                                         struct gh_arena *a, struct gh_app_member *out);
enum gh_store_rc gh_store_app_member_delete(struct gh_tx *tx, const char *app_id,
                                            const char *user_id);
/* Ordered by created_at, then user_id. */
enum gh_store_rc gh_store_app_member_list_by_app(struct gh_tx *tx, const char *app_id,
                                                 const struct gh_page *page, struct gh_arena *a,
                                                 struct gh_app_member **out, size_t *n);
/* Ordered by created_at, then app_id. */
enum gh_store_rc gh_store_app_member_list_by_user(struct gh_tx *tx, const char *user_id,
                                                  const struct gh_page *page, struct gh_arena *a,
                                                  struct gh_app_member **out, size_t *n);
/* The number of OWNER members of app_id (0 for an unknown app). */
enum gh_store_rc gh_store_app_member_count_owners(struct gh_tx *tx, const char *app_id,
                                                  int64_t *count);

/* CONFLICT if the key_hash is taken or the app does not exist. */
enum gh_store_rc gh_store_api_key_insert(struct gh_tx *tx, const struct gh_api_key *k);
enum gh_store_rc gh_store_api_key_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                      struct gh_api_key *out);
enum gh_store_rc gh_store_api_key_update(struct gh_tx *tx, const struct gh_api_key *k);
enum gh_store_rc gh_store_api_key_delete(struct gh_tx *tx, const char *id);
enum gh_store_rc gh_store_api_key_list(struct gh_tx *tx, const struct gh_page *page,
                                       struct gh_arena *a, struct gh_api_key **out, size_t *n);
/* Exact match on key_hash; NOT_FOUND if none. */
enum gh_store_rc gh_store_api_key_by_hash(struct gh_tx *tx, const char *key_hash,
                                          struct gh_arena *a, struct gh_api_key *out);
/* The keys of app_id, ordered by created_at, id. */
enum gh_store_rc gh_store_api_key_list_by_app(struct gh_tx *tx, const char *app_id,
                                              const struct gh_page *page, struct gh_arena *a,
                                              struct gh_api_key **out, size_t *n);
/* Sets last_used_at = at.  Does NOT mark the transaction touched: usage
 * statistics must not rebuild the snapshot.  NOT_FOUND if no such key. */
enum gh_store_rc gh_store_api_key_touch_last_used(struct gh_tx *tx, const char *id, int64_t at);
/* Keys with after < expires_at <= before (and an expiry) and no expiry notice yet
 * (expiry_notified_at = 0), ordered by expires_at, id (portal/notify.h). */
enum gh_store_rc gh_store_api_key_list_expiring(struct gh_tx *tx, int64_t after, int64_t before,
                                                struct gh_arena *a, struct gh_api_key **out,
                                                size_t *n);
/* Sets expiry_notified_at = at if it is 0; NOT_FOUND if no such key or it
 * was set already (another scan won).  Does not mark the transaction
 * touched (nothing the snapshot holds changes). */
enum gh_store_rc gh_store_api_key_mark_expiry_notified(struct gh_tx *tx, const char *id,
                                                       int64_t at);

/* CONFLICT if the thumbprint is taken or the app does not exist. */
enum gh_store_rc gh_store_certificate_insert(struct gh_tx *tx, const struct gh_certificate *c);
enum gh_store_rc gh_store_certificate_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                          struct gh_certificate *out);
enum gh_store_rc gh_store_certificate_update(struct gh_tx *tx, const struct gh_certificate *c);
enum gh_store_rc gh_store_certificate_delete(struct gh_tx *tx, const char *id);
enum gh_store_rc gh_store_certificate_list(struct gh_tx *tx, const struct gh_page *page,
                                           struct gh_arena *a, struct gh_certificate **out,
                                           size_t *n);
/* Exact match on thumbprint_sha256 (lower-case hex); NOT_FOUND if none. */
enum gh_store_rc gh_store_certificate_by_thumbprint(struct gh_tx *tx, const char *thumbprint,
                                                    struct gh_arena *a, struct gh_certificate *out);
/* The certificates of app_id, ordered by created_at, id. */
enum gh_store_rc gh_store_certificate_list_by_app(struct gh_tx *tx, const char *app_id,
                                                  const struct gh_page *page, struct gh_arena *a,
                                                  struct gh_certificate **out, size_t *n);

/* ---- subscriptions and access statuses (store/subscriptions.c) ------------ */

/* CONFLICT if the app already has a subscription to the API, or the app,
 * API or plan does not exist. */
enum gh_store_rc gh_store_subscription_insert(struct gh_tx *tx, const struct gh_subscription *s);
enum gh_store_rc gh_store_subscription_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                           struct gh_subscription *out);
enum gh_store_rc gh_store_subscription_update(struct gh_tx *tx, const struct gh_subscription *s);
/* Cascades to its events. */
enum gh_store_rc gh_store_subscription_delete(struct gh_tx *tx, const char *id);
enum gh_store_rc gh_store_subscription_list(struct gh_tx *tx, const struct gh_page *page,
                                            struct gh_arena *a, struct gh_subscription **out,
                                            size_t *n);
/* The one subscription of app_id to api_id; NOT_FOUND if none. */
enum gh_store_rc gh_store_subscription_by_app_api(struct gh_tx *tx, const char *app_id,
                                                  const char *api_id, struct gh_arena *a,
                                                  struct gh_subscription *out);
/* The subscriptions of app_id, ordered by created_at, id. */
enum gh_store_rc gh_store_subscription_list_by_app(struct gh_tx *tx, const char *app_id,
                                                   const struct gh_page *page, struct gh_arena *a,
                                                   struct gh_subscription **out, size_t *n);
/* The subscriptions to api_id, only those in *status when status is not
 * NULL, ordered by created_at, id. */
enum gh_store_rc gh_store_subscription_list_by_api(struct gh_tx *tx, const char *api_id,
                                                   const enum gh_sub_status *status,
                                                   const struct gh_page *page, struct gh_arena *a,
                                                   struct gh_subscription **out, size_t *n);

/* Appends to a subscription's history; CONFLICT if the subscription does
 * not exist (or the id is taken).  has_from false stores no from_status. */
enum gh_store_rc gh_store_subscription_event_insert(struct gh_tx *tx,
                                                    const struct gh_subscription_event *e);
/* The history of subscription_id, oldest first (at, then id). */
enum gh_store_rc gh_store_subscription_event_list(struct gh_tx *tx, const char *subscription_id,
                                                  const struct gh_page *page, struct gh_arena *a,
                                                  struct gh_subscription_event **out, size_t *n);

/* Sets the status of (app_id, provider_org_id): inserts it or replaces
 * status, reason, set_by and set_at.  CONFLICT if the app or org does not
 * exist. */
enum gh_store_rc gh_store_access_status_put(struct gh_tx *tx, const struct gh_access_status_rec *r);
/* NOT_FOUND if that provider never set a status for the app (green). */
enum gh_store_rc gh_store_access_status_get(struct gh_tx *tx, const char *app_id,
                                            const char *provider_org_id, struct gh_arena *a,
                                            struct gh_access_status_rec *out);
/* The statuses of app_id, ordered by set_at, then provider_org_id. */
enum gh_store_rc gh_store_access_status_list_by_app(struct gh_tx *tx, const char *app_id,
                                                    const struct gh_page *page, struct gh_arena *a,
                                                    struct gh_access_status_rec **out, size_t *n);
/* Every status row, ordered by app_id, then provider_org_id. */
enum gh_store_rc gh_store_access_status_list(struct gh_tx *tx, const struct gh_page *page,
                                             struct gh_arena *a, struct gh_access_status_rec **out,
                                             size_t *n);

/* ---- token service (store/tokens.c) --------------------------------------- */

/* Signing keys: the id is the kid. */
enum gh_store_rc gh_store_signing_key_insert(struct gh_tx *tx, const struct gh_signing_key *k);
enum gh_store_rc gh_store_signing_key_get(struct gh_tx *tx, const char *kid, struct gh_arena *a,
                                          struct gh_signing_key *out);
enum gh_store_rc gh_store_signing_key_update(struct gh_tx *tx, const struct gh_signing_key *k);
enum gh_store_rc gh_store_signing_key_delete(struct gh_tx *tx, const char *kid);
/* Ordered by created_at, then kid. */
enum gh_store_rc gh_store_signing_key_list(struct gh_tx *tx, const struct gh_page *page,
                                           struct gh_arena *a, struct gh_signing_key **out,
                                           size_t *n);

/* CONFLICT if the hash is taken or the app does not exist. */
enum gh_store_rc gh_store_opaque_token_insert(struct gh_tx *tx, const struct gh_opaque_token *t);
/* By token_hash; NOT_FOUND if none (revoked and expired ones are found). */
enum gh_store_rc gh_store_opaque_token_get(struct gh_tx *tx, const char *token_hash,
                                           struct gh_arena *a, struct gh_opaque_token *out);
/* Sets revoked_at = at unless already revoked (then unchanged, still OK);
 * NOT_FOUND if no such token.  A revocation counts as a change (moves the
 * store generation), so caches keyed on the generation drop the token. */
enum gh_store_rc gh_store_opaque_token_revoke(struct gh_tx *tx, const char *token_hash, int64_t at);
/* Deletes tokens with expires_at <= now; *purged (may be NULL) gets how many. */
enum gh_store_rc gh_store_opaque_token_purge_expired(struct gh_tx *tx, int64_t now,
                                                     int64_t *purged);
/* Every stored token, ordered by issued_at, then token_hash. */
enum gh_store_rc gh_store_opaque_token_list(struct gh_tx *tx, const struct gh_page *page,
                                            struct gh_arena *a, struct gh_opaque_token **out,
                                            size_t *n);

/* Idempotent: revoking a jti again is OK and keeps the first row. */
enum gh_store_rc gh_store_revoked_jti_insert(struct gh_tx *tx, const struct gh_revoked_jti *r);
enum gh_store_rc gh_store_revoked_jti_exists(struct gh_tx *tx, const char *jti, bool *exists);
/* Every revoked jti, ordered by revoked_at, then jti. */
enum gh_store_rc gh_store_revoked_jti_list(struct gh_tx *tx, const struct gh_page *page,
                                           struct gh_arena *a, struct gh_revoked_jti **out,
                                           size_t *n);
/* Deletes rows with expires_at <= now; *purged (may be NULL) gets how many. */
enum gh_store_rc gh_store_revoked_jti_purge_expired(struct gh_tx *tx, int64_t now, int64_t *purged);

/* ---- people's credentials and sessions (store/credentials.c) -------------- */

/* Admin and personal API tokens.  CONFLICT if the hash is taken or the user
 * does not exist. */
enum gh_store_rc gh_store_api_token_insert(struct gh_tx *tx, const struct gh_api_token *t);
enum gh_store_rc gh_store_api_token_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                        struct gh_api_token *out);
/* Exact match on token_hash; NOT_FOUND if none. */
enum gh_store_rc gh_store_api_token_by_hash(struct gh_tx *tx, const char *token_hash,
                                            struct gh_arena *a, struct gh_api_token *out);
/* The tokens of user_id, ordered by created_at, id. */
enum gh_store_rc gh_store_api_token_list_by_user(struct gh_tx *tx, const char *user_id,
                                                 const struct gh_page *page, struct gh_arena *a,
                                                 struct gh_api_token **out, size_t *n);
/* Tokens of *kind (NULL: every kind), ordered by created_at, id. */
enum gh_store_rc gh_store_api_token_list(struct gh_tx *tx, const enum gh_api_token_kind *kind,
                                         const struct gh_page *page, struct gh_arena *a,
                                         struct gh_api_token **out, size_t *n);
enum gh_store_rc gh_store_api_token_delete(struct gh_tx *tx, const char *id);
/* Sets last_used_at = at; NOT_FOUND if no such token. */
enum gh_store_rc gh_store_api_token_touch_last_used(struct gh_tx *tx, const char *id, int64_t at);

/* Portal sessions, keyed by the hash of the cookie value.  CONFLICT if the
 * hash is taken or the user does not exist. */
enum gh_store_rc gh_store_session_insert(struct gh_tx *tx, const struct gh_session *s);
enum gh_store_rc gh_store_session_get(struct gh_tx *tx, const char *id_hash, struct gh_arena *a,
                                      struct gh_session *out);
/* Sets last_seen_at; NOT_FOUND if no such session. */
enum gh_store_rc gh_store_session_touch(struct gh_tx *tx, const char *id_hash,
                                        int64_t last_seen_at);
enum gh_store_rc gh_store_session_delete(struct gh_tx *tx, const char *id_hash);
/* Logs user_id out everywhere; *deleted (may be NULL) gets how many. */
enum gh_store_rc gh_store_session_delete_by_user(struct gh_tx *tx, const char *user_id,
                                                 int64_t *deleted);
/* Deletes sessions with expires_at <= now; *purged (may be NULL) gets how many. */
enum gh_store_rc gh_store_session_purge_expired(struct gh_tx *tx, int64_t now, int64_t *purged);

/* Single-use mail link tokens.  CONFLICT if the hash is taken or the user
 * does not exist. */
enum gh_store_rc gh_store_user_token_insert(struct gh_tx *tx, const struct gh_user_token *t);
enum gh_store_rc gh_store_user_token_get(struct gh_tx *tx, const char *token_hash,
                                         struct gh_arena *a, struct gh_user_token *out);
/* Sets used_at = at if the token is unused; CONFLICT if it was used already,
 * NOT_FOUND if no such token.  Expiry is the caller's check. */
enum gh_store_rc gh_store_user_token_mark_used(struct gh_tx *tx, const char *token_hash,
                                               int64_t at);

/* ---- outbox (store/outbox.c) ---------------------------------------------- */

/* How long a claimed message stays invisible to other claimers. */
#define GH_STORE_OUTBOX_LEASE_SECS 300

/* CONFLICT if the id is taken. */
enum gh_store_rc gh_store_outbox_insert(struct gh_tx *tx, const struct gh_outbox_msg *m);
enum gh_store_rc gh_store_outbox_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                     struct gh_outbox_msg *out);
/* Up to limit pending messages with next_attempt_at <= now, oldest first
 * (next_attempt_at, created_at, id).  Needs a write transaction: each one
 * returned is leased (its next_attempt_at moved to now +
 * GH_STORE_OUTBOX_LEASE_SECS, also in *out) so that another sender does not
 * take it; mark_sent / mark_attempt_failed settle it. */
enum gh_store_rc gh_store_outbox_claim_due(struct gh_tx *tx, int64_t now, int64_t limit,
                                           struct gh_arena *a, struct gh_outbox_msg **out,
                                           size_t *n);
/* state sent, sent_at = now, attempts + 1, last_error cleared; NOT_FOUND if
 * no such message. */
enum gh_store_rc gh_store_outbox_mark_sent(struct gh_tx *tx, const char *id, int64_t now);
/* attempts + 1, last_error = error, next_attempt_at; state failed when
 * final (no more attempts), else stays pending.  NOT_FOUND if no such
 * message. */
enum gh_store_rc gh_store_outbox_mark_attempt_failed(struct gh_tx *tx, const char *id,
                                                     const char *error, int64_t next_attempt_at,
                                                     bool final);
/* Messages in *state (NULL: any), ordered by created_at, id. */
enum gh_store_rc gh_store_outbox_list(struct gh_tx *tx, const enum gh_outbox_state *state,
                                      const struct gh_page *page, struct gh_arena *a,
                                      struct gh_outbox_msg **out, size_t *n);
enum gh_store_rc gh_store_outbox_count_by_state(struct gh_tx *tx, enum gh_outbox_state state,
                                                int64_t *count);
/* created_at of the oldest pending message; 0 (and OK) when none is pending. */
enum gh_store_rc gh_store_outbox_oldest_pending(struct gh_tx *tx, int64_t *created_at);
/* Each member narrows the search; NULL does not. */
struct gh_outbox_filter {
    const enum gh_outbox_state *state;
    const enum gh_outbox_channel *channel;
    const char *org_id; /* an organization's deliveries */
    const char *event;
};
/* Messages matching f (NULL: all), newest first (created_at, then id,
 * descending): the platform admins' view of the outbox. */
enum gh_store_rc gh_store_outbox_search(struct gh_tx *tx, const struct gh_outbox_filter *f,
                                        const struct gh_page *page, struct gh_arena *a,
                                        struct gh_outbox_msg **out, size_t *n);
/* How many messages gh_store_outbox_search(f) would list without paging. */
enum gh_store_rc gh_store_outbox_count(struct gh_tx *tx, const struct gh_outbox_filter *f,
                                       int64_t *count);
/* A failed (or pending) message made due at now with its attempts counted
 * afresh: state pending, attempts 0, next_attempt_at = now; last_error is
 * kept until the next attempt settles it.  CONFLICT if the message was sent
 * already (the transaction stays usable), NOT_FOUND if no such message.
 * A pending message a sender holds leased may go out twice: the outbox
 * promises at least once, and receivers drop duplicates by id. */
enum gh_store_rc gh_store_outbox_retry(struct gh_tx *tx, const char *id, int64_t now);

/* ---- webhooks (store/webhooks.c) ------------------------------------------ */

/* CONFLICT if the id is taken or the org does not exist. */
enum gh_store_rc gh_store_webhook_insert(struct gh_tx *tx, const struct gh_webhook *w);
enum gh_store_rc gh_store_webhook_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                      struct gh_webhook *out);
enum gh_store_rc gh_store_webhook_delete(struct gh_tx *tx, const char *id);
/* The webhooks of org_id, newest first (created_at, then id, descending). */
enum gh_store_rc gh_store_webhook_list_by_org(struct gh_tx *tx, const char *org_id,
                                              const struct gh_page *page, struct gh_arena *a,
                                              struct gh_webhook **out, size_t *n);
enum gh_store_rc gh_store_webhook_count_by_org(struct gh_tx *tx, const char *org_id,
                                               int64_t *count);
/* The enabled webhooks of org_id whose event list is empty or names event,
 * oldest first. */
enum gh_store_rc gh_store_webhook_list_for_event(struct gh_tx *tx, const char *org_id,
                                                 const char *event, struct gh_arena *a,
                                                 struct gh_webhook **out, size_t *n);

/* ---- audit (store/audit.c) ------------------------------------------------ */

/* Each member narrows the list; NULL / 0 do not. */
struct gh_audit_filter {
    const char *object_id;
    const char *actor_id;
    const char *org_id;
    int64_t since; /* at >= since */
};

/* CONFLICT if the id is taken. */
enum gh_store_rc gh_store_audit_insert(struct gh_tx *tx, const struct gh_audit_event *e);
/* Events matching f (NULL: all), newest first (at, then id, descending). */
enum gh_store_rc gh_store_audit_list(struct gh_tx *tx, const struct gh_audit_filter *f,
                                     const struct gh_page *page, struct gh_arena *a,
                                     struct gh_audit_event **out, size_t *n);

#endif
