/* What the token service keeps (store/entities.h): signing keys, opaque
 * access tokens and the jti deny-list of revoked JWTs.  Signing keys and
 * revoked jtis are snapshot data, so their writes touch the transaction.
 * Opaque tokens are not: one is written per token issued, and reloading the
 * snapshot for each would put a full reload on the token endpoint's path. */
#include "store/rowmap.h"

static const struct gh_col signing_key_cols[] = {
    GH_COL_KEY_TEXT(struct gh_signing_key, kid),
    GH_COL_TEXT(struct gh_signing_key, alg),
    GH_COL_ENUM(struct gh_signing_key, state, gh_rowmap_enum_key_state),
    GH_COL_TEXT(struct gh_signing_key, private_key_enc),
    GH_COL_TEXT(struct gh_signing_key, public_jwk),
    GH_COL_CREATED(struct gh_signing_key, created_at),
    GH_COL_INT64(struct gh_signing_key, activated_at),
    GH_COL_INT64(struct gh_signing_key, retired_at),
    GH_COL_INT64(struct gh_signing_key, publish_until),
};
static struct gh_table signing_keys =
    GH_TABLE("signing_keys", struct gh_signing_key, signing_key_cols, "created_at, kid");

static const struct gh_col opaque_cols[] = {
    GH_COL_KEY_TEXT(struct gh_opaque_token, token_hash),
    GH_COL_TEXT(struct gh_opaque_token, app_id),
    GH_COL_TEXT(struct gh_opaque_token, client_id),
    GH_COL_TEXT(struct gh_opaque_token, claims_json),
    GH_COL_CREATED(struct gh_opaque_token, issued_at),
    GH_COL_INT64(struct gh_opaque_token, expires_at),
    GH_COL_INT64(struct gh_opaque_token, revoked_at),
};
static struct gh_table opaque_tokens =
    GH_TABLE("opaque_tokens", struct gh_opaque_token, opaque_cols, "issued_at, token_hash");

static const struct gh_col revoked_cols[] = {
    GH_COL_KEY_TEXT(struct gh_revoked_jti, jti),
    GH_COL_INT64(struct gh_revoked_jti, expires_at),
    GH_COL_CREATED(struct gh_revoked_jti, revoked_at),
};
static struct gh_table revoked_jtis =
    GH_TABLE("revoked_jtis", struct gh_revoked_jti, revoked_cols, "revoked_at, jti");

GH_ROWMAP_TYPED_LIST(list_signing_keys, struct gh_signing_key)
GH_ROWMAP_TYPED_LIST(list_opaque, struct gh_opaque_token)
GH_ROWMAP_TYPED_LIST(list_revoked, struct gh_revoked_jti)

/* A statement that deletes or updates rows of snapshot data: touches tx
 * when it changed any; *changes (may be NULL) gets how many. */
static enum gh_store_rc exec_touching(struct gh_tx *tx, const char *sql, const struct gh_param *p,
                                      size_t np, int64_t *changes)
{
    int64_t n = 0;
    enum gh_store_rc rc = gh_rowmap_exec(tx, sql, p, np, &n);
    if (rc == GH_STORE_OK && n > 0)
        gh_store_tx_touch(tx);
    if (changes)
        *changes = rc == GH_STORE_OK ? n : 0;
    return rc;
}

/* ---- signing keys ----------------------------------------------------------------- */

enum gh_store_rc gh_store_signing_key_insert(struct gh_tx *tx, const struct gh_signing_key *k)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_insert(tx, &signing_keys, k));
}

enum gh_store_rc gh_store_signing_key_get(struct gh_tx *tx, const char *kid, struct gh_arena *a,
                                          struct gh_signing_key *out)
{
    struct gh_param key[] = {GH_PTEXT(kid)};
    return gh_rowmap_get(tx, &signing_keys, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_signing_key_update(struct gh_tx *tx, const struct gh_signing_key *k)
{
    return gh_store_touch_if_ok(tx, gh_rowmap_update(tx, &signing_keys, k));
}

enum gh_store_rc gh_store_signing_key_delete(struct gh_tx *tx, const char *kid)
{
    struct gh_param key[] = {GH_PTEXT(kid)};
    return gh_store_touch_if_ok(tx, gh_rowmap_delete(tx, &signing_keys, key));
}

enum gh_store_rc gh_store_signing_key_list(struct gh_tx *tx, const struct gh_page *page,
                                           struct gh_arena *a, struct gh_signing_key **out,
                                           size_t *n)
{
    return list_signing_keys(tx, &signing_keys, NULL, NULL, NULL, 0, page, a, out, n);
}

/* ---- opaque tokens ------------------------------------------------------------------ */

enum gh_store_rc gh_store_opaque_token_insert(struct gh_tx *tx, const struct gh_opaque_token *t)
{
    return gh_rowmap_insert(tx, &opaque_tokens, t);
}

enum gh_store_rc gh_store_opaque_token_get(struct gh_tx *tx, const char *token_hash,
                                           struct gh_arena *a, struct gh_opaque_token *out)
{
    struct gh_param key[] = {GH_PTEXT(token_hash)};
    return gh_rowmap_get(tx, &opaque_tokens, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_opaque_token_revoke(struct gh_tx *tx, const char *token_hash, int64_t at)
{
    struct gh_param p[] = {GH_PINT(at), GH_PTEXT(token_hash)};
    int64_t changed = 0;
    enum gh_store_rc rc = gh_rowmap_exec(
        tx, "UPDATE opaque_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at = 0", p,
        GH_NPARAMS(p), &changed);
    if (rc == GH_STORE_OK && changed > 0)
        gh_store_tx_touch(tx); /* the authorization check's token cache keys on the generation */
    if (rc != GH_STORE_OK || changed > 0)
        return rc;
    /* Nothing changed: already revoked (fine) or no such token. */
    struct gh_param key[] = {GH_PTEXT(token_hash)};
    int64_t found = 0;
    rc = gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM opaque_tokens WHERE token_hash = ?", key,
                             GH_NPARAMS(key), &found);
    if (rc != GH_STORE_OK)
        return rc;
    return found ? GH_STORE_OK : GH_STORE_NOT_FOUND;
}

enum gh_store_rc gh_store_opaque_token_purge_expired(struct gh_tx *tx, int64_t now, int64_t *purged)
{
    struct gh_param p[] = {GH_PINT(now)};
    int64_t n = 0;
    enum gh_store_rc rc =
        gh_rowmap_exec(tx, "DELETE FROM opaque_tokens WHERE expires_at <= ?", p, GH_NPARAMS(p), &n);
    if (purged)
        *purged = rc == GH_STORE_OK ? n : 0;
    return rc;
}

enum gh_store_rc gh_store_opaque_token_list(struct gh_tx *tx, const struct gh_page *page,
                                            struct gh_arena *a, struct gh_opaque_token **out,
                                            size_t *n)
{
    return list_opaque(tx, &opaque_tokens, NULL, NULL, NULL, 0, page, a, out, n);
}

/* ---- revoked jtis ------------------------------------------------------------------- */

enum gh_store_rc gh_store_revoked_jti_insert(struct gh_tx *tx, const struct gh_revoked_jti *r)
{
    bool inserted = false;
    enum gh_store_rc rc = gh_rowmap_insert_ignore(tx, &revoked_jtis, r, &inserted);
    if (rc == GH_STORE_OK && inserted)
        gh_store_tx_touch(tx);
    return rc;
}

enum gh_store_rc gh_store_revoked_jti_exists(struct gh_tx *tx, const char *jti, bool *exists)
{
    struct gh_param p[] = {GH_PTEXT(jti)};
    int64_t n = 0;
    enum gh_store_rc rc = gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM revoked_jtis WHERE jti = ?",
                                              p, GH_NPARAMS(p), &n);
    *exists = rc == GH_STORE_OK && n > 0;
    return rc;
}

enum gh_store_rc gh_store_revoked_jti_list(struct gh_tx *tx, const struct gh_page *page,
                                           struct gh_arena *a, struct gh_revoked_jti **out,
                                           size_t *n)
{
    return list_revoked(tx, &revoked_jtis, NULL, NULL, NULL, 0, page, a, out, n);
}

enum gh_store_rc gh_store_revoked_jti_purge_expired(struct gh_tx *tx, int64_t now, int64_t *purged)
{
    struct gh_param p[] = {GH_PINT(now)};
    return exec_touching(tx, "DELETE FROM revoked_jtis WHERE expires_at <= ?", p, GH_NPARAMS(p),
                         purged);
}
