/* The notification outbox (store/entities.h): messages are written in the
 * same transaction as the change they announce, and a sender claims,
 * delivers and settles them later.  A claim is a lease (next_attempt_at
 * pushed forward), so two senders — threads or nodes — never take the same
 * message at once, and a sender that dies mid-way only delays it. */
#include <stdio.h>

#include "store/rowmap.h"

static const struct gh_col outbox_cols[] = {
    GH_COL_KEY_TEXT(struct gh_outbox_msg, id),
    GH_COL_ENUM(struct gh_outbox_msg, channel, gh_rowmap_enum_outbox_channel),
    GH_COL_TEXT(struct gh_outbox_msg, event),
    GH_COL_TEXT(struct gh_outbox_msg, recipient),
    GH_COL_TEXT(struct gh_outbox_msg, subject),
    GH_COL_TEXT(struct gh_outbox_msg, body),
    GH_COL_ENUM(struct gh_outbox_msg, state, gh_rowmap_enum_outbox_state),
    GH_COL_INT(struct gh_outbox_msg, attempts),
    GH_COL_INT64(struct gh_outbox_msg, next_attempt_at),
    GH_COL_TEXT(struct gh_outbox_msg, last_error),
    GH_COL_CREATED(struct gh_outbox_msg, created_at),
    GH_COL_INT64(struct gh_outbox_msg, sent_at),
    GH_COL_TEXT(struct gh_outbox_msg, org_id),
};
static struct gh_table outbox =
    GH_TABLE("outbox", struct gh_outbox_msg, outbox_cols, "created_at, id");

GH_ROWMAP_TYPED_LIST(list_outbox, struct gh_outbox_msg)

/* An UPDATE by id: NOT_FOUND when it changed no row. */
static enum gh_store_rc update_one(struct gh_tx *tx, const char *sql, const struct gh_param *p,
                                   size_t np)
{
    int64_t changes = 0;
    enum gh_store_rc rc = gh_rowmap_exec(tx, sql, p, np, &changes);
    return rc == GH_STORE_OK && changes == 0 ? GH_STORE_NOT_FOUND : rc;
}

enum gh_store_rc gh_store_outbox_insert(struct gh_tx *tx, const struct gh_outbox_msg *m)
{
    return gh_rowmap_insert(tx, &outbox, m);
}

enum gh_store_rc gh_store_outbox_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                     struct gh_outbox_msg *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &outbox, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_outbox_claim_due(struct gh_tx *tx, int64_t now, int64_t limit,
                                           struct gh_arena *a, struct gh_outbox_msg **out,
                                           size_t *n)
{
    *out = NULL;
    *n = 0;
    enum gh_store_rc rc = gh_store_tx_usable(tx, true);
    if (rc != GH_STORE_OK || limit <= 0)
        return rc;
    struct gh_page page = {0, limit};
    struct gh_param p[] = {GH_PTEXT(gh_outbox_state_name(GH_OUTBOX_PENDING)), GH_PINT(now)};
    struct gh_outbox_msg *rows;
    size_t count;
    rc = list_outbox(tx, &outbox, "state = ? AND next_attempt_at <= ?",
                     "next_attempt_at, created_at, id", p, GH_NPARAMS(p), &page, a, &rows, &count);
    if (rc != GH_STORE_OK)
        return rc;
    int64_t lease_until = now + GH_STORE_OUTBOX_LEASE_SECS;
    for (size_t i = 0; i < count; i++) {
        struct gh_param u[] = {GH_PINT(lease_until), GH_PTEXT(rows[i].id)};
        rc = update_one(tx, "UPDATE outbox SET next_attempt_at = ? WHERE id = ?", u, GH_NPARAMS(u));
        if (rc != GH_STORE_OK)
            return rc;
        rows[i].next_attempt_at = lease_until;
    }
    *out = rows;
    *n = count;
    return GH_STORE_OK;
}

enum gh_store_rc gh_store_outbox_mark_sent(struct gh_tx *tx, const char *id, int64_t now)
{
    struct gh_param p[] = {GH_PTEXT(gh_outbox_state_name(GH_OUTBOX_SENT)), GH_PINT(now),
                           GH_PTEXT(id)};
    return update_one(tx,
                      "UPDATE outbox SET state = ?, sent_at = ?, attempts = attempts + 1, "
                      "last_error = NULL WHERE id = ?",
                      p, GH_NPARAMS(p));
}

enum gh_store_rc gh_store_outbox_mark_attempt_failed(struct gh_tx *tx, const char *id,
                                                     const char *error, int64_t next_attempt_at,
                                                     bool final)
{
    enum gh_outbox_state state = final ? GH_OUTBOX_FAILED : GH_OUTBOX_PENDING;
    struct gh_param p[] = {GH_PTEXT(gh_outbox_state_name(state)), GH_PTEXT(error),
                           GH_PINT(next_attempt_at), GH_PTEXT(id)};
    return update_one(tx,
                      "UPDATE outbox SET state = ?, last_error = ?, next_attempt_at = ?, "
                      "attempts = attempts + 1 WHERE id = ?",
                      p, GH_NPARAMS(p));
}

enum gh_store_rc gh_store_outbox_list(struct gh_tx *tx, const enum gh_outbox_state *state,
                                      const struct gh_page *page, struct gh_arena *a,
                                      struct gh_outbox_msg **out, size_t *n)
{
    if (!state)
        return list_outbox(tx, &outbox, NULL, NULL, NULL, 0, page, a, out, n);
    struct gh_param p[] = {GH_PTEXT(gh_outbox_state_name(*state))};
    return list_outbox(tx, &outbox, "state = ?", NULL, p, GH_NPARAMS(p), page, a, out, n);
}

enum gh_store_rc gh_store_outbox_count_by_state(struct gh_tx *tx, enum gh_outbox_state state,
                                                int64_t *count)
{
    struct gh_param p[] = {GH_PTEXT(gh_outbox_state_name(state))};
    return gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM outbox WHERE state = ?", p, GH_NPARAMS(p),
                               count);
}

enum gh_store_rc gh_store_outbox_oldest_pending(struct gh_tx *tx, int64_t *created_at)
{
    struct gh_param p[] = {GH_PTEXT(gh_outbox_state_name(GH_OUTBOX_PENDING))};
    *created_at = 0;
    return gh_rowmap_query_int(tx, "SELECT MIN(created_at) FROM outbox WHERE state = ?", p,
                               GH_NPARAMS(p), created_at);
}

#define OUTBOX_WHERE_MAX 4

/* The WHERE clause of f into where (a buffer of at least 96 bytes; "" when
 * f narrows nothing) and its parameters into p (at most OUTBOX_WHERE_MAX);
 * *np their count. */
static void outbox_where(const struct gh_outbox_filter *f, char *where, size_t wlen,
                         struct gh_param p[OUTBOX_WHERE_MAX], size_t *np)
{
    *np = 0;
    where[0] = '\0';
    if (!f)
        return;
    size_t used = 0;
    struct {
        bool on;
        const char *sql;
        const char *value;
    } terms[OUTBOX_WHERE_MAX] = {
        {f->state != NULL, "state = ?", f->state ? gh_outbox_state_name(*f->state) : NULL},
        {f->channel != NULL, "channel = ?",
         f->channel ? gh_outbox_channel_name(*f->channel) : NULL},
        {f->org_id != NULL, "org_id = ?", f->org_id},
        {f->event != NULL, "event = ?", f->event},
    };
    for (size_t i = 0; i < OUTBOX_WHERE_MAX; i++) {
        if (!terms[i].on)
            continue;
        int w = snprintf(where + used, wlen - used, "%s%s", *np ? " AND " : "", terms[i].sql);
        used += (size_t)w;
        p[(*np)++] = GH_PTEXT(terms[i].value);
    }
}

enum gh_store_rc gh_store_outbox_search(struct gh_tx *tx, const struct gh_outbox_filter *f,
                                        const struct gh_page *page, struct gh_arena *a,
                                        struct gh_outbox_msg **out, size_t *n)
{
    struct gh_param p[OUTBOX_WHERE_MAX];
    char where[96];
    size_t np;
    outbox_where(f, where, sizeof where, p, &np);
    return list_outbox(tx, &outbox, np ? where : NULL, "created_at DESC, id DESC", np ? p : NULL,
                       np, page, a, out, n);
}

enum gh_store_rc gh_store_outbox_count(struct gh_tx *tx, const struct gh_outbox_filter *f,
                                       int64_t *count)
{
    struct gh_param p[OUTBOX_WHERE_MAX];
    char where[96];
    size_t np;
    outbox_where(f, where, sizeof where, p, &np);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM outbox%s%s", np ? " WHERE " : "", where);
    return gh_rowmap_query_int(tx, sql, np ? p : NULL, np, count);
}

enum gh_store_rc gh_store_outbox_retry(struct gh_tx *tx, const char *id, int64_t now)
{
    struct gh_param p[] = {GH_PTEXT(gh_outbox_state_name(GH_OUTBOX_PENDING)), GH_PINT(now),
                           GH_PTEXT(id), GH_PTEXT(gh_outbox_state_name(GH_OUTBOX_SENT))};
    enum gh_store_rc rc = update_one(tx,
                                     "UPDATE outbox SET state = ?, attempts = 0, "
                                     "next_attempt_at = ? WHERE id = ? AND state <> ?",
                                     p, GH_NPARAMS(p));
    if (rc != GH_STORE_NOT_FOUND)
        return rc;
    struct gh_param key[] = {GH_PTEXT(id)};
    int64_t found = 0;
    rc = gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM outbox WHERE id = ?", key, GH_NPARAMS(key),
                             &found);
    if (rc != GH_STORE_OK)
        return rc;
    return found ? GH_STORE_CONFLICT : GH_STORE_NOT_FOUND;
}
