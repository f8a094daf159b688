/* APIs and their plans (store/entities.h); both are snapshot data. */
#include "store/rowmap.h"

static const struct gh_col api_cols[] = {
    GH_COL_KEY_TEXT(struct gh_api, id),
    GH_COL_TEXT(struct gh_api, org_id),
    GH_COL_TEXT(struct gh_api, name),
    GH_COL_TEXT(struct gh_api, description),
    GH_COL_TEXT(struct gh_api, service),
    GH_COL_TEXT(struct gh_api, audience),
    GH_COL_STRLIST(struct gh_api, path_prefixes),
    GH_COL_ENUM(struct gh_api, auth_method, gh_rowmap_enum_auth_method),
    GH_COL_ENUM(struct gh_api, access_token_hash_method, gh_rowmap_enum_hash_method),
    GH_COL_BOOL(struct gh_api, subscription_required),
    GH_COL_STRLIST(struct gh_api, required_roles),
    GH_COL_ENUM(struct gh_api, customer_number_in, gh_rowmap_enum_customer_number_in),
    GH_COL_TEXT(struct gh_api, customer_number_name),
    GH_COL_TEXT(struct gh_api, customer_number_template),
    GH_COL_CREATED(struct gh_api, created_at),
    GH_COL_INT64(struct gh_api, updated_at),
};
static struct gh_table apis = GH_TABLE("apis", struct gh_api, api_cols, "created_at, id");

static const struct gh_col plan_cols[] = {
    GH_COL_KEY_TEXT(struct gh_plan, id),
    GH_COL_TEXT(struct gh_plan, api_id),
    GH_COL_TEXT(struct gh_plan, name),
    GH_COL_TEXT(struct gh_plan, description),
    GH_COL_INT64(struct gh_plan, rate_limit_requests),
    GH_COL_INT64(struct gh_plan, rate_limit_window_secs),
    GH_COL_INT64(struct gh_plan, quota_requests),
    GH_COL_ENUM(struct gh_plan, quota_period, gh_rowmap_enum_quota_period),
    GH_COL_ENUM(struct gh_plan, approval, gh_rowmap_enum_plan_approval),
    GH_COL_CREATED(struct gh_plan, created_at),
    GH_COL_INT64(struct gh_plan, updated_at),
};
static struct gh_table plans = GH_TABLE("plans", struct gh_plan, plan_cols, "created_at, id");

GH_ROWMAP_TYPED_LIST(list_apis, struct gh_api)
GH_ROWMAP_TYPED_LIST(list_plans, struct gh_plan)

enum gh_store_rc gh_store_api_insert(struct gh_tx *tx, const struct gh_api *api)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_insert(tx, &apis, api));
}

enum gh_store_rc gh_store_api_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                  struct gh_api *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &apis, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_api_update(struct gh_tx *tx, const struct gh_api *api)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_update(tx, &apis, api));
}

enum gh_store_rc gh_store_api_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_store_touch_if_ok(tx, gh_rowmap_delete(tx, &apis, key));
}

enum gh_store_rc gh_store_api_list(struct gh_tx *tx, const struct gh_page *page, struct gh_arena *a,
                                   struct gh_api **out, size_t *n)
{
    return list_apis(tx, &apis, NULL, NULL, NULL, 0, page, a, out, n);
}

enum gh_store_rc gh_store_api_list_by_org(struct gh_tx *tx, const char *org_id,
                                          const struct gh_page *page, struct gh_arena *a,
                                          struct gh_api **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(org_id)};
    return list_apis(tx, &apis, "org_id = ?", NULL, p, GH_NPARAMS(p), page, a, out, n);
}

/* ---- plans -------------------------------------------------------------------- */

enum gh_store_rc gh_store_plan_insert(struct gh_tx *tx, const struct gh_plan *p)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_insert(tx, &plans, p));
}

enum gh_store_rc gh_store_plan_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                   struct gh_plan *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &plans, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_plan_update(struct gh_tx *tx, const struct gh_plan *p)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_update(tx, &plans, p));
}

enum gh_store_rc gh_store_plan_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_store_touch_if_ok(tx, gh_rowmap_delete(tx, &plans, key));
}

enum gh_store_rc gh_store_plan_list(struct gh_tx *tx, const struct gh_page *page,
                                    struct gh_arena *a, struct gh_plan **out, size_t *n)
{
    return list_plans(tx, &plans, NULL, NULL, NULL, 0, page, a, out, n);
}

enum gh_store_rc gh_store_plan_list_by_api(struct gh_tx *tx, const char *api_id,
                                           const struct gh_page *page, struct gh_arena *a,
                                           struct gh_plan **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(api_id)};
    return list_plans(tx, &plans, "api_id = ?", NULL, p, GH_NPARAMS(p), page, a, out, n);
}
