/* Subscriptions, their history and the per-provider app access status
 * (store/entities.h).  Subscriptions and access statuses are snapshot data;
 * the history is not. */
#include "store/rowmap.h"

static const struct gh_col subscription_cols[] = {
    GH_COL_KEY_TEXT(struct gh_subscription, id),
    GH_COL_TEXT(struct gh_subscription, app_id),
    GH_COL_TEXT(struct gh_subscription, api_id),
    GH_COL_TEXT(struct gh_subscription, plan_id),
    GH_COL_ENUM(struct gh_subscription, status, gh_rowmap_enum_sub_status),
    GH_COL_TEXT(struct gh_subscription, access_token_hash),
    GH_COL_ENUM(struct gh_subscription, access_token_hash_method, gh_rowmap_enum_hash_method),
    GH_COL_CREATED(struct gh_subscription, created_at),
    GH_COL_INT64(struct gh_subscription, updated_at),
};
static struct gh_table subscriptions =
    GH_TABLE("subscriptions", struct gh_subscription, subscription_cols, "created_at, id");

static const struct gh_col event_cols[] = {
    GH_COL_KEY_TEXT(struct gh_subscription_event, id),
    GH_COL_TEXT(struct gh_subscription_event, subscription_id),
    GH_COL_TEXT(struct gh_subscription_event, actor_id),
    GH_COL_ENUM_OPT(struct gh_subscription_event, from_status, gh_rowmap_enum_sub_status, has_from),
    GH_COL_ENUM(struct gh_subscription_event, to_status, gh_rowmap_enum_sub_status),
    GH_COL_TEXT(struct gh_subscription_event, reason),
    GH_COL_CREATED(struct gh_subscription_event, at),
};
static struct gh_table events =
    GH_TABLE("subscription_events", struct gh_subscription_event, event_cols, "at, id");

/* set_at is not FIXED: putting a status again records when it was set. */
static const struct gh_col access_cols[] = {
    GH_COL_KEY_TEXT(struct gh_access_status_rec, app_id),
    GH_COL_KEY_TEXT(struct gh_access_status_rec, provider_org_id),
    GH_COL_ENUM(struct gh_access_status_rec, status, gh_rowmap_enum_access_status),
    GH_COL_TEXT(struct gh_access_status_rec, reason),
    GH_COL_TEXT(struct gh_access_status_rec, set_by),
    GH_COL_INT64(struct gh_access_status_rec, set_at),
};
static struct gh_table access_statuses = GH_TABLE("access_statuses", struct gh_access_status_rec,
                                                  access_cols, "app_id, provider_org_id");

GH_ROWMAP_TYPED_LIST(list_subscriptions, struct gh_subscription)
GH_ROWMAP_TYPED_LIST(list_events, struct gh_subscription_event)
GH_ROWMAP_TYPED_LIST(list_access, struct gh_access_status_rec)

/* ---- subscriptions ------------------------------------------------------------- */

enum gh_store_rc gh_store_subscription_insert(struct gh_tx *tx, const struct gh_subscription *s)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_insert(tx, &subscriptions, s));
}

enum gh_store_rc gh_store_subscription_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                           struct gh_subscription *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &subscriptions, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_subscription_update(struct gh_tx *tx, const struct gh_subscription *s)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_update(tx, &subscriptions, s));
}

enum gh_store_rc gh_store_subscription_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_store_touch_if_ok(tx, gh_rowmap_delete(tx, &subscriptions, key));
}

enum gh_store_rc gh_store_subscription_list(struct gh_tx *tx, const struct gh_page *page,
                                            struct gh_arena *a, struct gh_subscription **out,
                                            size_t *n)
{
    return list_subscriptions(tx, &subscriptions, NULL, NULL, NULL, 0, page, a, out, n);
}

enum gh_store_rc gh_store_subscription_by_app_api(struct gh_tx *tx, const char *app_id,
                                                  const char *api_id, struct gh_arena *a,
                                                  struct gh_subscription *out)
{
    struct gh_param p[] = {GH_PTEXT(app_id), GH_PTEXT(api_id)};
    return gh_rowmap_get(tx, &subscriptions, "app_id = ? AND api_id = ?", p, GH_NPARAMS(p), a, out);
}

enum gh_store_rc gh_store_subscription_list_by_app(struct gh_tx *tx, const char *app_id,
                                                   const struct gh_page *page, struct gh_arena *a,
                                                   struct gh_subscription **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(app_id)};
    return list_subscriptions(tx, &subscriptions, "app_id = ?", NULL, p, GH_NPARAMS(p), page, a,
                              out, n);
}

enum gh_store_rc gh_store_subscription_list_by_api(struct gh_tx *tx, const char *api_id,
                                                   const enum gh_sub_status *status,
                                                   const struct gh_page *page, struct gh_arena *a,
                                                   struct gh_subscription **out, size_t *n)
{
    if (!status) {
        struct gh_param p[] = {GH_PTEXT(api_id)};
        return list_subscriptions(tx, &subscriptions, "api_id = ?", NULL, p, GH_NPARAMS(p), page, a,
                                  out, n);
    }
    struct gh_param p[] = {GH_PTEXT(api_id), GH_PTEXT(gh_sub_status_name(*status))};
    return list_subscriptions(tx, &subscriptions, "api_id = ? AND status = ?", NULL, p,
                              GH_NPARAMS(p), page, a, out, n);
}

/* ---- history ------------------------------------------------------------------- */

enum gh_store_rc gh_store_subscription_event_insert(struct gh_tx *tx,
                                                    const struct gh_subscription_event *e)
{
    return gh_rowmap_insert(tx, &events, e);
}

enum gh_store_rc gh_store_subscription_event_list(struct gh_tx *tx, const char *subscription_id,
                                                  const struct gh_page *page, struct gh_arena *a,
                                                  struct gh_subscription_event **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(subscription_id)};
    return list_events(tx, &events, "subscription_id = ?", NULL, p, GH_NPARAMS(p), page, a, out, n);
}

/* ---- access status ------------------------------------------------------------- */

enum gh_store_rc gh_store_access_status_put(struct gh_tx *tx, const struct gh_access_status_rec *r)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_upsert(tx, &access_statuses, r));
}

enum gh_store_rc gh_store_access_status_get(struct gh_tx *tx, const char *app_id,
                                            const char *provider_org_id, struct gh_arena *a,
                                            struct gh_access_status_rec *out)
{
    struct gh_param key[] = {GH_PTEXT(app_id), GH_PTEXT(provider_org_id)};
    return gh_rowmap_get(tx, &access_statuses, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_access_status_list_by_app(struct gh_tx *tx, const char *app_id,
                                                    const struct gh_page *page, struct gh_arena *a,
                                                    struct gh_access_status_rec **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(app_id)};
    return list_access(tx, &access_statuses, "app_id = ?", "set_at, provider_org_id", p,
                       GH_NPARAMS(p), page, a, out, n);
}

enum gh_store_rc gh_store_access_status_list(struct gh_tx *tx, const struct gh_page *page,
                                             struct gh_arena *a, struct gh_access_status_rec **out,
                                             size_t *n)
{
    return list_access(tx, &access_statuses, NULL, NULL, NULL, 0, page, a, out, n);
}
