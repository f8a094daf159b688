/* People's credentials (store/entities.h): admin and personal API tokens,
 * portal sessions and single-use mail link tokens.  None of it is snapshot
 * data: the management API looks these up per request. */
#include "store/rowmap.h"

static const struct gh_col api_token_cols[] = {
    GH_COL_KEY_TEXT(struct gh_api_token, id),
    GH_COL_ENUM(struct gh_api_token, kind, gh_rowmap_enum_api_token_kind),
    GH_COL_TEXT(struct gh_api_token, user_id),
    GH_COL_TEXT(struct gh_api_token, name),
    GH_COL_TEXT(struct gh_api_token, token_hash),
    GH_COL_CREATED(struct gh_api_token, created_at),
    GH_COL_INT64(struct gh_api_token, expires_at),
    GH_COL_INT64(struct gh_api_token, last_used_at),
};
static struct gh_table api_tokens =
    GH_TABLE("api_tokens", struct gh_api_token, api_token_cols, "created_at, id");

static const struct gh_col session_cols[] = {
    GH_COL_KEY_TEXT(struct gh_session, id_hash), /* the cookie value is never stored */
    GH_COL_TEXT(struct gh_session, user_id),
    GH_COL_TEXT(struct gh_session, csrf_token),
    GH_COL_CREATED(struct gh_session, created_at),
    GH_COL_INT64(struct gh_session, last_seen_at), /* idle timeout */
    GH_COL_INT64(struct gh_session, expires_at),   /* absolute limit */
    GH_COL_TEXT(struct gh_session, client_addr),
};
static struct gh_table sessions =
    GH_TABLE("sessions", struct gh_session, session_cols, "created_at, id_hash");

static const struct gh_col user_token_cols[] = {
    GH_COL_KEY_TEXT(struct gh_user_token, token_hash),
    GH_COL_TEXT(struct gh_user_token, user_id),
    GH_COL_ENUM(struct gh_user_token, purpose, gh_rowmap_enum_user_token_purpose),
    GH_COL_CREATED(struct gh_user_token, created_at),
    GH_COL_INT64(struct gh_user_token, expires_at),
    GH_COL_INT64(struct gh_user_token, used_at),
};
static struct gh_table user_tokens =
    GH_TABLE("user_tokens", struct gh_user_token, user_token_cols, "created_at, token_hash");

GH_ROWMAP_TYPED_LIST(list_api_tokens, struct gh_api_token)

/* An UPDATE by key: NOT_FOUND when it changed no row. */
static enum gh_store_rc update_one(struct gh_tx *tx, const char *sql, const struct gh_param *p,
                                   size_t np)
{
    int64_t changes = 0;
    enum gh_store_rc rc = gh_rowmap_exec(tx, sql, p, np, &changes);
    return rc == GH_STORE_OK && changes == 0 ? GH_STORE_NOT_FOUND : rc;
}

/* ---- API tokens -------------------------------------------------------------------- */

enum gh_store_rc gh_store_api_token_insert(struct gh_tx *tx, const struct gh_api_token *t)
{
    return gh_rowmap_insert(tx, &api_tokens, t);
}

enum gh_store_rc gh_store_api_token_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                        struct gh_api_token *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &api_tokens, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_api_token_by_hash(struct gh_tx *tx, const char *token_hash,
                                            struct gh_arena *a, struct gh_api_token *out)
{
    struct gh_param p[] = {GH_PTEXT(token_hash)};
    return gh_rowmap_get(tx, &api_tokens, "token_hash = ?", p, GH_NPARAMS(p), a, out);
}

enum gh_store_rc gh_store_api_token_list_by_user(struct gh_tx *tx, const char *user_id,
                                                 const struct gh_page *page, struct gh_arena *a,
                                                 struct gh_api_token **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(user_id)};
    return list_api_tokens(tx, &api_tokens, "user_id = ?", NULL, p, GH_NPARAMS(p), page, a, out, n);
}

enum gh_store_rc gh_store_api_token_list(struct gh_tx *tx, const enum gh_api_token_kind *kind,
                                         const struct gh_page *page, struct gh_arena *a,
                                         struct gh_api_token **out, size_t *n)
{
    if (!kind)
        return list_api_tokens(tx, &api_tokens, NULL, NULL, NULL, 0, page, a, out, n);
    struct gh_param p[] = {GH_PTEXT(gh_api_token_kind_name(*kind))};
    return list_api_tokens(tx, &api_tokens, "kind = ?", NULL, p, GH_NPARAMS(p), page, a, out, n);
}

enum gh_store_rc gh_store_api_token_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_delete(tx, &api_tokens, key);
}

enum gh_store_rc gh_store_api_token_touch_last_used(struct gh_tx *tx, const char *id, int64_t at)
{
    struct gh_param p[] = {GH_PINT(at), GH_PTEXT(id)};
    return update_one(tx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", p, GH_NPARAMS(p));
}

/* ---- sessions ------------------------------------------------------------------------ */

enum gh_store_rc gh_store_session_insert(struct gh_tx *tx, const struct gh_session *s)
{
    return gh_rowmap_insert(tx, &sessions, s);
}

enum gh_store_rc gh_store_session_get(struct gh_tx *tx, const char *id_hash, struct gh_arena *a,
                                      struct gh_session *out)
{
    struct gh_param key[] = {GH_PTEXT(id_hash)};
    return gh_rowmap_get(tx, &sessions, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_session_touch(struct gh_tx *tx, const char *id_hash, int64_t last_seen_at)
{
    struct gh_param p[] = {GH_PINT(last_seen_at), GH_PTEXT(id_hash)};
    return update_one(tx, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", p,
                      GH_NPARAMS(p));
}

enum gh_store_rc gh_store_session_delete(struct gh_tx *tx, const char *id_hash)
{
    struct gh_param key[] = {GH_PTEXT(id_hash)};
    return gh_rowmap_delete(tx, &sessions, key);
}

enum gh_store_rc gh_store_session_delete_by_user(struct gh_tx *tx, const char *user_id,
                                                 int64_t *deleted)
{
    struct gh_param p[] = {GH_PTEXT(user_id)};
    return gh_rowmap_exec(tx, "DELETE FROM sessions WHERE user_id = ?", p, GH_NPARAMS(p), deleted);
}

enum gh_store_rc gh_store_session_purge_expired(struct gh_tx *tx, int64_t now, int64_t *purged)
{
    struct gh_param p[] = {GH_PINT(now)};
    return gh_rowmap_exec(tx, "DELETE FROM sessions WHERE expires_at <= ?", p, GH_NPARAMS(p),
                          purged);
}

/* ---- single-use mail link tokens -------------------------------------------------------- */

enum gh_store_rc gh_store_user_token_insert(struct gh_tx *tx, const struct gh_user_token *t)
{
    return gh_rowmap_insert(tx, &user_tokens, t);
}

enum gh_store_rc gh_store_user_token_get(struct gh_tx *tx, const char *token_hash,
                                         struct gh_arena *a, struct gh_user_token *out)
{
    struct gh_param key[] = {GH_PTEXT(token_hash)};
    return gh_rowmap_get(tx, &user_tokens, NULL, key, GH_NPARAMS(key), a, out);
}

/* The used_at = 0 condition makes the check and the mark one statement, so
 * two concurrent redemptions cannot both succeed. */
enum gh_store_rc gh_store_user_token_mark_used(struct gh_tx *tx, const char *token_hash, int64_t at)
{
    struct gh_param p[] = {GH_PINT(at), GH_PTEXT(token_hash)};
    enum gh_store_rc rc =
        update_one(tx, "UPDATE user_tokens SET used_at = ? WHERE token_hash = ? AND used_at = 0", p,
                   GH_NPARAMS(p));
    if (rc != GH_STORE_NOT_FOUND)
        return rc;
    struct gh_param key[] = {GH_PTEXT(token_hash)};
    int64_t found = 0;
    rc = gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM user_tokens WHERE token_hash = ?", key,
                             GH_NPARAMS(key), &found);
    if (rc != GH_STORE_OK)
        return rc;
    return found ? GH_STORE_CONFLICT : GH_STORE_NOT_FOUND;
}
