/* Apps and what hangs off them: members, API keys, certificates
 * (store/entities.h).  Apps, keys and certificates are snapshot data;
 * members are not, and neither is a key's last use. */
#include "store/rowmap.h"

static const struct gh_col app_cols[] = {
    GH_COL_KEY_TEXT(struct gh_app, id),
    GH_COL_TEXT(struct gh_app, org_id),
    GH_COL_TEXT(struct gh_app, name),
    GH_COL_TEXT(struct gh_app, description),
    GH_COL_TEXT(struct gh_app, client_id),
    GH_COL_TEXT(struct gh_app, client_secret_hash),
    GH_COL_TEXT(struct gh_app, previous_secret_hash),
    GH_COL_INT64(struct gh_app, previous_secret_expires_at),
    GH_COL_BOOL(struct gh_app, confidential),
    GH_COL_BOOL(struct gh_app, disabled),
    GH_COL_ENUM(struct gh_app, token_type, gh_rowmap_enum_token_type),
    GH_COL_TEXT(struct gh_app, token_name),
    GH_COL_STRLIST(struct gh_app, redirect_uris),
    GH_COL_STRLIST(struct gh_app, logout_uris),
    GH_COL_STRLIST(struct gh_app, grant_types),
    GH_COL_STRLIST(struct gh_app, scopes),
    GH_COL_INT64(struct gh_app, access_token_validity_secs),
    GH_COL_INT64(struct gh_app, refresh_token_validity_secs),
    GH_COL_INT64(struct gh_app, id_token_validity_mins),
    GH_COL_CREATED(struct gh_app, created_at),
    GH_COL_INT64(struct gh_app, updated_at),
};
static struct gh_table apps = GH_TABLE("apps", struct gh_app, app_cols, "created_at, id");

static const struct gh_col app_member_cols[] = {
    GH_COL_KEY_TEXT(struct gh_app_member, app_id),
    GH_COL_KEY_TEXT(struct gh_app_member, user_id),
    GH_COL_ENUM(struct gh_app_member, role, gh_rowmap_enum_app_role),
    GH_COL_CREATED(struct gh_app_member, created_at),
};
static struct gh_table app_members =
    GH_TABLE("app_members", struct gh_app_member, app_member_cols, "created_at, app_id, user_id");

static const struct gh_col api_key_cols[] = {
    GH_COL_KEY_TEXT(struct gh_api_key, id),
    GH_COL_TEXT(struct gh_api_key, app_id),
    GH_COL_TEXT(struct gh_api_key, name),
    GH_COL_TEXT(struct gh_api_key, key_hash), /* UNIQUE */
    GH_COL_TEXT(struct gh_api_key, key_hint),
    GH_COL_CREATED(struct gh_api_key, created_at),
    GH_COL_INT64(struct gh_api_key, expires_at),
    GH_COL_INT64(struct gh_api_key, last_used_at),
};
static struct gh_table api_keys =
    GH_TABLE("api_keys", struct gh_api_key, api_key_cols, "created_at, id");

static const struct gh_col certificate_cols[] = {
    GH_COL_KEY_TEXT(struct gh_certificate, id),
    GH_COL_TEXT(struct gh_certificate, app_id),
    GH_COL_TEXT(struct gh_certificate, subject),
    GH_COL_TEXT(struct gh_certificate, issuer),
    GH_COL_INT64(struct gh_certificate, not_before),
    GH_COL_INT64(struct gh_certificate, not_after),
    GH_COL_TEXT(struct gh_certificate, thumbprint_sha256),
    GH_COL_TEXT(struct gh_certificate, pem),
    GH_COL_CREATED(struct gh_certificate, created_at),
};
static struct gh_table certificates =
    GH_TABLE("certificates", struct gh_certificate, certificate_cols, "created_at, id");

GH_ROWMAP_TYPED_LIST(list_apps, struct gh_app)
GH_ROWMAP_TYPED_LIST(list_app_members, struct gh_app_member)
GH_ROWMAP_TYPED_LIST(list_api_keys, struct gh_api_key)
GH_ROWMAP_TYPED_LIST(list_certificates, struct gh_certificate)

/* ---- apps ---------------------------------------------------------------------- */

enum gh_store_rc gh_store_app_insert(struct gh_tx *tx, const struct gh_app *app)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_insert(tx, &apps, app));
}

enum gh_store_rc gh_store_app_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                  struct gh_app *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &apps, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_app_update(struct gh_tx *tx, const struct gh_app *app)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_update(tx, &apps, app));
}

enum gh_store_rc gh_store_app_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_store_touch_if_ok(tx, gh_rowmap_delete(tx, &apps, key));
}

enum gh_store_rc gh_store_app_list(struct gh_tx *tx, const struct gh_page *page, struct gh_arena *a,
                                   struct gh_app **out, size_t *n)
{
    return list_apps(tx, &apps, NULL, NULL, NULL, 0, page, a, out, n);
}

enum gh_store_rc gh_store_app_by_client_id(struct gh_tx *tx, const char *client_id,
                                           struct gh_arena *a, struct gh_app *out)
{
    struct gh_param p[] = {GH_PTEXT(client_id)};
    return gh_rowmap_get(tx, &apps, "client_id = ?", p, GH_NPARAMS(p), a, out);
}

enum gh_store_rc gh_store_app_list_by_org(struct gh_tx *tx, const char *org_id,
                                          const struct gh_page *page, struct gh_arena *a,
                                          struct gh_app **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(org_id)};
    return list_apps(tx, &apps, "org_id = ?", NULL, p, GH_NPARAMS(p), page, a, out, n);
}

/* ---- members ------------------------------------------------------------------- */

enum gh_store_rc gh_store_app_member_put(struct gh_tx *tx, const struct gh_app_member *m)
{
    return gh_rowmap_upsert(tx, &app_members, m);
}

enum gh_store_rc gh_store_app_member_get(struct gh_tx *tx, const char *app_id, const char *user_id,
                                         struct gh_arena *a, struct gh_app_member *out)
{
    struct gh_param key[] = {GH_PTEXT(app_id), GH_PTEXT(user_id)};
    return gh_rowmap_get(tx, &app_members, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_app_member_delete(struct gh_tx *tx, const char *app_id,
                                            const char *user_id)
{
    struct gh_param key[] = {GH_PTEXT(app_id), GH_PTEXT(user_id)};
    return gh_rowmap_delete(tx, &app_members, key);
}

enum gh_store_rc gh_store_app_member_list_by_app(struct gh_tx *tx, const char *app_id,
                                                 const struct gh_page *page, struct gh_arena *a,
                                                 struct gh_app_member **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(app_id)};
    return list_app_members(tx, &app_members, "app_id = ?", "created_at, user_id", p, GH_NPARAMS(p),
                            page, a, out, n);
}

enum gh_store_rc gh_store_app_member_list_by_user(struct gh_tx *tx, const char *user_id,
                                                  const struct gh_page *page, struct gh_arena *a,
                                                  struct gh_app_member **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(user_id)};
    return list_app_members(tx, &app_members, "user_id = ?", "created_at, app_id", p, GH_NPARAMS(p),
                            page, a, out, n);
}

enum gh_store_rc gh_store_app_member_count_owners(struct gh_tx *tx, const char *app_id,
                                                  int64_t *count)
{
    struct gh_param p[] = {GH_PTEXT(app_id), GH_PTEXT(gh_app_role_name(GH_APP_OWNER))};
    return gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM app_members WHERE app_id = ? AND role = ?",
                               p, GH_NPARAMS(p), count);
}

/* ---- API keys ------------------------------------------------------------------ */

enum gh_store_rc gh_store_api_key_insert(struct gh_tx *tx, const struct gh_api_key *k)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_insert(tx, &api_keys, k));
}

enum gh_store_rc gh_store_api_key_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                      struct gh_api_key *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &api_keys, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_api_key_update(struct gh_tx *tx, const struct gh_api_key *k)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_update(tx, &api_keys, k));
}

enum gh_store_rc gh_store_api_key_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_store_touch_if_ok(tx, gh_rowmap_delete(tx, &api_keys, key));
}

enum gh_store_rc gh_store_api_key_list(struct gh_tx *tx, const struct gh_page *page,
                                       struct gh_arena *a, struct gh_api_key **out, size_t *n)
{
    return list_api_keys(tx, &api_keys, NULL, NULL, NULL, 0, page, a, out, n);
}

enum gh_store_rc gh_store_api_key_by_hash(struct gh_tx *tx, const char *key_hash,
                                          struct gh_arena *a, struct gh_api_key *out)
{
    struct gh_param p[] = {GH_PTEXT(key_hash)};
    return gh_rowmap_get(tx, &api_keys, "key_hash = ?", p, GH_NPARAMS(p), a, out);
}

enum gh_store_rc gh_store_api_key_list_by_app(struct gh_tx *tx, const char *app_id,
                                              const struct gh_page *page, struct gh_arena *a,
                                              struct gh_api_key **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(app_id)};
    return list_api_keys(tx, &api_keys, "app_id = ?", NULL, p, GH_NPARAMS(p), page, a, out, n);
}

enum gh_store_rc gh_store_api_key_touch_last_used(struct gh_tx *tx, const char *id, int64_t at)
{
    struct gh_param p[] = {GH_PINT(at), GH_PTEXT(id)};
    int64_t changes = 0;
    enum gh_store_rc rc = gh_rowmap_exec(tx, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", p,
                                         GH_NPARAMS(p), &changes);
    return rc == GH_STORE_OK && changes == 0 ? GH_STORE_NOT_FOUND : rc;
}

enum gh_store_rc gh_store_api_key_list_expiring(struct gh_tx *tx, int64_t after, int64_t before,
                                                struct gh_arena *a, struct gh_api_key **out,
                                                size_t *n)
{
    struct gh_param p[] = {GH_PINT(after), GH_PINT(before)};
    return list_api_keys(tx, &api_keys,
                         "expires_at > 0 AND expires_at > ? AND expires_at <= ? AND "
                         "expiry_notified_at = 0",
                         "expires_at, id", p, GH_NPARAMS(p), NULL, a, out, n);
}

enum gh_store_rc gh_store_api_key_mark_expiry_notified(struct gh_tx *tx, const char *id, int64_t at)
{
    struct gh_param p[] = {GH_PINT(at), GH_PTEXT(id)};
    int64_t changes = 0;
    enum gh_store_rc rc = gh_rowmap_exec(
        tx, "UPDATE api_keys SET expiry_notified_at = ? WHERE id = ? AND expiry_notified_at = 0", p,
        GH_NPARAMS(p), &changes);
    return rc == GH_STORE_OK && changes == 0 ? GH_STORE_NOT_FOUND : rc;
}

/* ---- certificates ---------------------------------------------------------------- */

enum gh_store_rc gh_store_certificate_insert(struct gh_tx *tx, const struct gh_certificate *c)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_insert(tx, &certificates, c));
}

enum gh_store_rc gh_store_certificate_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                          struct gh_certificate *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &certificates, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_certificate_update(struct gh_tx *tx, const struct gh_certificate *c)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_update(tx, &certificates, c));
}

enum gh_store_rc gh_store_certificate_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_store_touch_if_ok(tx, gh_rowmap_delete(tx, &certificates, key));
}

enum gh_store_rc gh_store_certificate_list(struct gh_tx *tx, const struct gh_page *page,
                                           struct gh_arena *a, struct gh_certificate **out,
                                           size_t *n)
{
    return list_certificates(tx, &certificates, NULL, NULL, NULL, 0, page, a, out, n);
}

enum gh_store_rc gh_store_certificate_by_thumbprint(struct gh_tx *tx, const char *thumbprint,
                                                    struct gh_arena *a, struct gh_certificate *out)
{
    struct gh_param p[] = {GH_PTEXT(thumbprint)};
    return gh_rowmap_get(tx, &certificates, "thumbprint_sha256 = ?", p, GH_NPARAMS(p), a, out);
}

enum gh_store_rc gh_store_certificate_list_by_app(struct gh_tx *tx, const char *app_id,
                                                  const struct gh_page *page, struct gh_arena *a,
                                                  struct gh_certificate **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(app_id)};
    return list_certificates(tx, &certificates, "app_id = ?", NULL, p, GH_NPARAMS(p), page, a, out,
                             n);
}
