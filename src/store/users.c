/* Users (store/entities.h).  Emails are stored lower-cased so that the
 * UNIQUE constraint and the lookups are case-insensitive on every backend
 * without engine-specific collations. */
#include <ctype.h>
#include <string.h>

#include "store/rowmap.h"

static const struct gh_col user_cols[] = {
    GH_COL_KEY_TEXT(struct gh_user, id),
    GH_COL_TEXT(struct gh_user, email),
    GH_COL_TEXT(struct gh_user, name),
    GH_COL_TEXT(struct gh_user, password_hash),
    GH_COL_INT64(struct gh_user, email_verified_at),
    GH_COL_BOOL(struct gh_user, platform_admin),
    GH_COL_CREATED(struct gh_user, created_at),
    GH_COL_INT64(struct gh_user, updated_at),
};
static struct gh_table users = GH_TABLE("users", struct gh_user, user_cols, "created_at, id");

GH_ROWMAP_TYPED_LIST(list_users, struct gh_user)

/* An ASCII-lower-cased copy in the transaction's scratch arena. */
static char *lower_copy(struct gh_tx *tx, const char *s)
{
    if (!s)
        return NULL;
    char *out = gh_arena_strdup(tx->scratch, s);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* The row with its email lower-cased, for writing. */
static struct gh_user lowered(struct gh_tx *tx, const struct gh_user *u)
{
    struct gh_user c = *u;
    c.email = lower_copy(tx, u->email);
    return c;
}

enum gh_store_rc gh_store_user_insert(struct gh_tx *tx, const struct gh_user *u)
{
    struct gh_user c = lowered(tx, u);
    return gh_rowmap_insert(tx, &users, &c);
}

enum gh_store_rc gh_store_user_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                   struct gh_user *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &users, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_user_update(struct gh_tx *tx, const struct gh_user *u)
{
    struct gh_user c = lowered(tx, u);
    return gh_rowmap_update(tx, &users, &c);
}

enum gh_store_rc gh_store_user_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_delete(tx, &users, key);
}

enum gh_store_rc gh_store_user_list(struct gh_tx *tx, const struct gh_page *page,
                                    struct gh_arena *a, struct gh_user **out, size_t *n)
{
    return list_users(tx, &users, NULL, NULL, NULL, 0, page, a, out, n);
}

enum gh_store_rc gh_store_user_by_email(struct gh_tx *tx, const char *email, struct gh_arena *a,
                                        struct gh_user *out)
{
    struct gh_param p[] = {GH_PTEXT(lower_copy(tx, email))};
    return gh_rowmap_get(tx, &users, "email = ?", p, GH_NPARAMS(p), a, out);
}

/* "%q%" for LIKE … ESCAPE '\', lower-cased, with q's own %, _ and \ escaped;
 * NULL when q is empty (no filter). */
static char *like_pattern(struct gh_tx *tx, const char *q)
{
    if (!q || !*q)
        return NULL;
    size_t n = strlen(q);
    char *out = gh_arena_alloc(tx->scratch, 2 * n + 3);
    char *w = out;
    *w++ = '%';
    for (const char *p = q; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            *w++ = '\\';
        *w++ = (char)tolower((unsigned char)*p);
    }
    *w++ = '%';
    *w = '\0';
    return out;
}

#define USER_SEARCH_WHERE                                                                          \
    "(LOWER(email) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(name, '')) LIKE ? ESCAPE '\\')"

enum gh_store_rc gh_store_user_search(struct gh_tx *tx, const char *q, const struct gh_page *page,
                                      struct gh_arena *a, struct gh_user **out, size_t *n)
{
    char *pat = like_pattern(tx, q);
    if (!pat)
        return gh_store_user_list(tx, page, a, out, n);
    struct gh_param p[] = {GH_PTEXT(pat), GH_PTEXT(pat)};
    return list_users(tx, &users, USER_SEARCH_WHERE, NULL, p, GH_NPARAMS(p), page, a, out, n);
}

enum gh_store_rc gh_store_user_count(struct gh_tx *tx, const char *q, int64_t *count)
{
    char *pat = like_pattern(tx, q);
    if (!pat)
        return gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM users", NULL, 0, count);
    struct gh_param p[] = {GH_PTEXT(pat), GH_PTEXT(pat)};
    return gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM users WHERE " USER_SEARCH_WHERE, p,
                               GH_NPARAMS(p), count);
}
