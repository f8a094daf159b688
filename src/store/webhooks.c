/* Organizations' webhooks (store/entities.h).  Not snapshot data: the
 * delivery worker and the enqueueing transaction read them directly. */
#include "store/rowmap.h"

static const struct gh_col webhook_cols[] = {
    GH_COL_KEY_TEXT(struct gh_webhook, id),      GH_COL_TEXT(struct gh_webhook, org_id),
    GH_COL_TEXT(struct gh_webhook, url),         GH_COL_STRLIST(struct gh_webhook, events),
    GH_COL_TEXT(struct gh_webhook, description), GH_COL_TEXT(struct gh_webhook, secret_enc),
    GH_COL_BOOL(struct gh_webhook, enabled),     GH_COL_CREATED(struct gh_webhook, created_at),
    GH_COL_TEXT(struct gh_webhook, created_by),
};
static struct gh_table webhooks =
    GH_TABLE("webhooks", struct gh_webhook, webhook_cols, "created_at, id");

GH_ROWMAP_TYPED_LIST(list_webhooks, struct gh_webhook)

enum gh_store_rc gh_store_webhook_insert(struct gh_tx *tx, const struct gh_webhook *w)
{
    return gh_rowmap_insert(tx, &webhooks, w);
}

enum gh_store_rc gh_store_webhook_get(struct gh_tx *tx, const char *id, struct gh_arena *a,
                                      struct gh_webhook *out)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_get(tx, &webhooks, NULL, key, GH_NPARAMS(key), a, out);
}

enum gh_store_rc gh_store_webhook_delete(struct gh_tx *tx, const char *id)
{
    struct gh_param key[] = {GH_PTEXT(id)};
    return gh_rowmap_delete(tx, &webhooks, key);
}

enum gh_store_rc gh_store_webhook_list_by_org(struct gh_tx *tx, const char *org_id,
                                              const struct gh_page *page, struct gh_arena *a,
                                              struct gh_webhook **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(org_id)};
    return list_webhooks(tx, &webhooks, "org_id = ?", "created_at DESC, id DESC", p, GH_NPARAMS(p),
                         page, a, out, n);
}

enum gh_store_rc gh_store_webhook_count_by_org(struct gh_tx *tx, const char *org_id, int64_t *count)
{
    struct gh_param p[] = {GH_PTEXT(org_id)};
    return gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM webhooks WHERE org_id = ?", p,
                               GH_NPARAMS(p), count);
}

/* The event lists are JSON text whose matching SQL differs between the
 * engines, and an org has few webhooks: filtered here. */
enum gh_store_rc gh_store_webhook_list_for_event(struct gh_tx *tx, const char *org_id,
                                                 const char *event, struct gh_arena *a,
                                                 struct gh_webhook **out, size_t *n)
{
    struct gh_param p[] = {GH_PTEXT(org_id), GH_PINT(1)};
    struct gh_webhook *rows;
    size_t count;
    *out = NULL;
    *n = 0;
    enum gh_store_rc rc = list_webhooks(tx, &webhooks, "org_id = ? AND enabled = ?", NULL, p,
                                        GH_NPARAMS(p), NULL, a, &rows, &count);
    if (rc != GH_STORE_OK)
        return rc;
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (rows[i].events.n == 0 || gh_strlist_has(&rows[i].events, gh_str_c(event)))
            rows[kept++] = rows[i];
    *out = kept ? rows : NULL;
    *n = kept;
    return GH_STORE_OK;
}
