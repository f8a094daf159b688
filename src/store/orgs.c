/* Organizations and their memberships (store/entities.h).  Orgs are
 * snapshot data (tenant keys, customer numbers, partner roles), so their
 * writes touch the transaction; memberships are not. */
#include "store/rowmap.h"

static const struct gh_col org_cols[] = {
    GH_COL_KEY_TEXT(struct gh_org, id),
    GH_COL_TEXT(struct gh_org, name),
    GH_COL_TEXT(struct gh_org, description),
    GH_COL_BOOL(struct gh_org, provider),
    GH_COL_BOOL(struct gh_org, partner),
    GH_COL_TEXT(struct gh_org, tenant),
    GH_COL_TEXT(struct gh_org, contact_address),
    GH_COL_TEXT(struct gh_org, contact_phone),
    GH_COL_TEXT(struct gh_org, contact_email),
    GH_COL_TEXT(struct gh_org, responsible_email),
    GH_COL_STRLIST(struct gh_org, customer_numbers),
    GH_COL_STRLIST(struct gh_org, partner_roles),
    GH_COL_CREATED(struct gh_org, created_at),
    GH_COL_INT64(struct gh_org, updated_at),
};
static struct gh_table orgs = GH_TABLE("orgs", struct gh_org, org_cols, "created_at, id");

static const struct gh_col membership_cols[] = {
    GH_COL_KEY_TEXT(struct gh_membership, org_id),
    GH_COL_KEY_TEXT(struct gh_membership, user_id),
    GH_COL_ENUM(struct gh_membership, role, gh_rowmap_enum_org_role),
    GH_COL_CREATED(struct gh_membership, created_at),
};
static struct gh_table memberships =
    GH_TABLE("memberships", struct gh_membership, membership_cols, "created_at, org_id, user_id");

GH_ROWMAP_TYPED_LIST(list_orgs, struct gh_org)
GH_ROWMAP_TYPED_LIST(list_memberships, struct gh_membership)

enum gh_store_rc gh_store_org_insert(struct gh_tx *tx, const struct gh_org *o)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_insert(tx, &orgs, o));
}

enum gh_store_rc gh_store_org_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                  struct gh_org *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &orgs, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_org_update(struct gh_tx *tx, const struct gh_org *o)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_update(tx, &orgs, o));
}

enum gh_store_rc gh_store_org_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_store_touch_if_ok(tx, gh_rowmap_delete(tx, &orgs, key));
}

enum gh_store_rc gh_store_org_list(struct gh_tx *tx, const struct gh_page *page, struct gh_arena *a,
                                   struct gh_org **out, size_t *n)
{
    return list_orgs(tx, &orgs, NULL, NULL, NULL, 0, page, a, out, n);
}

enum gh_store_rc gh_store_org_by_tenant(struct gh_tx *tx, const char *tenant, struct gh_arena *a,
                                        struct gh_org *out)
{
    struct gh_param p[] = {GH_PTEXT(tenant)};
    return gh_rowmap_get(tx, &orgs, "tenant = ?", p, GH_NPARAMS(p), a, out);
}

enum gh_store_rc gh_store_org_list_by_user(struct gh_tx *tx, const char *user_id,
                                           const struct gh_page *page, struct gh_arena *a,
                                           struct gh_org **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(user_id)};
    return list_orgs(tx, &orgs, "id IN (SELECT org_id FROM memberships WHERE user_id = ?)", NULL, p,
                     GH_NPARAMS(p), page, a, out, n);
}

/* ---- memberships ------------------------------------------------------------ */

enum gh_store_rc gh_store_membership_put(struct gh_tx *tx, const struct gh_membership *m)
{
    return gh_rowmap_upsert(tx, &memberships, m);
}

enum gh_store_rc gh_store_membership_get(struct gh_tx *tx, const char *org_id, const char *user_id,
                                         struct gh_arena *a, struct gh_membership *out)
{
    struct gh_param key[] = {GH_PTEXT(org_id), GH_PTEXT(user_id)};
    return gh_rowmap_get(tx, &memberships, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_membership_delete(struct gh_tx *tx, const char *org_id,
                                            const char *user_id)
{
    struct gh_param key[] = {GH_PTEXT(org_id), GH_PTEXT(user_id)};
    return gh_rowmap_delete(tx, &memberships, key);
}

enum gh_store_rc gh_store_membership_list_by_org(struct gh_tx *tx, const char *org_id,
                                                 const struct gh_page *page, struct gh_arena *a,
                                                 struct gh_membership **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(org_id)};
    return list_memberships(tx, &memberships, "org_id = ?", "created_at, user_id", p, GH_NPARAMS(p),
                            page, a, out, n);
}

enum gh_store_rc gh_store_membership_list_by_user(struct gh_tx *tx, const char *user_id,
                                                  const struct gh_page *page, struct gh_arena *a,
                                                  struct gh_membership **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(user_id)};
    return list_memberships(tx, &memberships, "user_id = ?", "created_at, org_id", p, GH_NPARAMS(p),
                            page, a, out, n);
}

enum gh_store_rc gh_store_membership_count_admins(struct gh_tx *tx, const char *org_id,
                                                  int64_t *count)
{
    struct gh_param p[] = {GH_PTEXT(org_id), GH_PTEXT(gh_org_role_name(GH_ORG_ADMIN))};
    return gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM memberships WHERE org_id = ? AND role = ?",
                               p, GH_NPARAMS(p), count);
}
