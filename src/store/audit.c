/* The audit trail (store/entities.h): who did what to which object, when
 * and from where.  Append-only; lists are newest first. */
#include <stdio.h>

#include "store/rowmap.h"

static const struct gh_col audit_cols[] = {
    GH_COL_KEY_TEXT(struct gh_audit_event, id),
    GH_COL_CREATED(struct gh_audit_event, at),
    GH_COL_TEXT(struct gh_audit_event, actor_id),
    GH_COL_TEXT(struct gh_audit_event, actor_kind),
    GH_COL_TEXT(struct gh_audit_event, action),
    GH_COL_TEXT(struct gh_audit_event, object_type),
    GH_COL_TEXT(struct gh_audit_event, object_id),
    GH_COL_TEXT(struct gh_audit_event, org_id),
    GH_COL_TEXT(struct gh_audit_event, changes_json),
    GH_COL_TEXT(struct gh_audit_event, request_id),
    GH_COL_TEXT(struct gh_audit_event, client_addr),
};
static struct gh_table audit_events =
    GH_TABLE("audit_events", struct gh_audit_event, audit_cols, "at DESC, id DESC");

GH_ROWMAP_TYPED_LIST(list_audit, struct gh_audit_event)

enum gh_store_rc gh_store_audit_insert(struct gh_tx *tx, const struct gh_audit_event *e)
{
    return gh_rowmap_insert(tx, &audit_events, e);
}

/* Each filter member adds one condition; the WHERE text therefore takes one
 * of 16 shapes, which keeps the statement cache small. */
enum gh_store_rc gh_store_audit_list(struct gh_tx *tx, const struct gh_audit_filter *f,
                                     const struct gh_page *page, struct gh_arena *a,
                                     struct gh_audit_event **out, size_t *n)
{
    static const struct gh_audit_filter none = {0};
    if (!f)
        f = &none;
    char where[160] = "";
    struct gh_param p[4];
    size_t np = 0;
    const char *conds[4];
    size_t nc = 0;
    if (f->object_id) {
        conds[nc++] = "object_id = ?";
        p[np++] = GH_PTEXT(f->object_id);
    }
    if (f->actor_id) {
        conds[nc++] = "actor_id = ?";
        p[np++] = GH_PTEXT(f->actor_id);
    }
    if (f->org_id) {
        conds[nc++] = "org_id = ?";
        p[np++] = GH_PTEXT(f->org_id);
    }
    if (f->since) {
        conds[nc++] = "at >= ?";
        p[np++] = GH_PINT(f->since);
    }
    size_t len = 0;
    for (size_t i = 0; i < nc; i++)
        len +=
            (size_t)snprintf(where + len, sizeof where - len, "%s%s", i ? " AND " : "", conds[i]);
    return list_audit(tx, &audit_events, nc ? where : NULL, NULL, p, np, page, a, out, n);
}
