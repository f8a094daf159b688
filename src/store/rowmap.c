#include "store/rowmap.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"

/* ---- enum descriptors ---------------------------------------------------- */

/* Enum fields are read and written through int lvalues: every model enum
 * must be int-sized (it is with gcc and clang: no negative or huge values). */
#define GH_ROWMAP_ENUM(prefix, type)                                                               \
    _Static_assert(sizeof(enum type) == sizeof(int), #type " must be int-sized");                  \
    static const char *prefix##_name_int(int v)                                                    \
    {                                                                                              \
        return gh_##prefix##_name((enum type)v);                                                   \
    }                                                                                              \
    static bool prefix##_parse_int(const char *s, int *out)                                        \
    {                                                                                              \
        enum type e;                                                                               \
        if (!gh_##prefix##_parse(s, &e))                                                           \
            return false;                                                                          \
        *out = (int)e;                                                                             \
        return true;                                                                               \
    }                                                                                              \
    const struct gh_enum_desc gh_rowmap_enum_##prefix = {prefix##_name_int, prefix##_parse_int};

GH_ROWMAP_ENUM(org_role, gh_org_role)
GH_ROWMAP_ENUM(auth_method, gh_auth_method)
GH_ROWMAP_ENUM(hash_method, gh_hash_method)
GH_ROWMAP_ENUM(customer_number_in, gh_customer_number_in)
GH_ROWMAP_ENUM(plan_approval, gh_plan_approval)
GH_ROWMAP_ENUM(quota_period, gh_quota_period)
GH_ROWMAP_ENUM(token_type, gh_token_type)
GH_ROWMAP_ENUM(app_role, gh_app_role)
GH_ROWMAP_ENUM(sub_status, gh_sub_status)
GH_ROWMAP_ENUM(access_status, gh_access_status)
GH_ROWMAP_ENUM(key_state, gh_key_state)
GH_ROWMAP_ENUM(api_token_kind, gh_api_token_kind)
GH_ROWMAP_ENUM(user_token_purpose, gh_user_token_purpose)
GH_ROWMAP_ENUM(outbox_channel, gh_outbox_channel)
GH_ROWMAP_ENUM(outbox_state, gh_outbox_state)

/* ---- generated SQL -------------------------------------------------------- */

struct gh_table_sql {
    char *select;        /* SELECT c1, c2 FROM t */
    char *insert;        /* INSERT INTO t (c1, c2) VALUES (?, ?) */
    char *upsert;        /* insert ON CONFLICT (keys) DO UPDATE SET c = excluded.c */
    char *insert_ignore; /* insert ON CONFLICT (keys) DO NOTHING */
    char *update;        /* UPDATE t SET c = ? … WHERE k = ? … */
    char *delete;        /* DELETE FROM t WHERE k = ? … */
    char *key_where;     /* k1 = ? AND k2 = ? */
    size_t nkeys;
};

static pthread_mutex_t sql_mu = PTHREAD_MUTEX_INITIALIZER;

static bool updatable(const struct gh_col *c)
{
    return !(c->flags & (GH_COLF_KEY | GH_COLF_FIXED));
}

/* How put_list writes each column: "c", "c = ?" or "c = excluded.c". */
enum list_form { FORM_NAME, FORM_ASSIGN, FORM_EXCLUDED };

static char *put_list(struct gh_buf *b, const struct gh_table *t,
                      bool (*want)(const struct gh_col *), enum list_form form, const char *sep)
{
    bool first = true;
    for (size_t i = 0; i < t->ncols; i++) {
        const char *name = t->cols[i].name;
        if (want && !want(&t->cols[i]))
            continue;
        if (!first)
            gh_buf_puts(b, sep);
        gh_buf_puts(b, name);
        if (form == FORM_ASSIGN)
            gh_buf_puts(b, " = ?");
        else if (form == FORM_EXCLUDED)
            gh_buf_printf(b, " = excluded.%s", name);
        first = false;
    }
    return b->data;
}

static bool is_key(const struct gh_col *c)
{
    return (c->flags & GH_COLF_KEY) != 0;
}

static char *take(struct gh_buf *b)
{
    char *s = gh_xstrdup(b->data ? b->data : "");
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
    return s;
}

/* Generates a table's SQL once; the strings live as long as the process
 * (reachable from the static table, so not leaks). */
static struct gh_table_sql *table_sql(struct gh_table *t)
{
    struct gh_table_sql *q = atomic_load_explicit(&t->sql, memory_order_acquire);
    if (q)
        return q;
    pthread_mutex_lock(&sql_mu);
    q = atomic_load_explicit(&t->sql, memory_order_relaxed);
    if (!q) {
        q = gh_xcalloc(1, sizeof *q);
        struct gh_buf b;
        gh_buf_init(&b, NULL, 512);
        for (size_t i = 0; i < t->ncols; i++)
            q->nkeys += is_key(&t->cols[i]);

        put_list(&b, t, is_key, FORM_ASSIGN, " AND ");
        q->key_where = take(&b);

        gh_buf_puts(&b, "SELECT ");
        put_list(&b, t, NULL, FORM_NAME, ", ");
        gh_buf_printf(&b, " FROM %s", t->name);
        q->select = take(&b);

        gh_buf_printf(&b, "INSERT INTO %s (", t->name);
        put_list(&b, t, NULL, FORM_NAME, ", ");
        gh_buf_puts(&b, ") VALUES (");
        for (size_t i = 0; i < t->ncols; i++)
            gh_buf_puts(&b, i ? ", ?" : "?");
        gh_buf_puts(&b, ")");
        q->insert = take(&b);

        gh_buf_printf(&b, "%s ON CONFLICT (", q->insert);
        put_list(&b, t, is_key, FORM_NAME, ", ");
        gh_buf_puts(&b, ") DO NOTHING");
        q->insert_ignore = take(&b);

        bool any_updatable = false;
        for (size_t i = 0; i < t->ncols; i++)
            any_updatable |= updatable(&t->cols[i]);
        gh_buf_printf(&b, "%s ON CONFLICT (", q->insert);
        put_list(&b, t, is_key, FORM_NAME, ", ");
        if (any_updatable) {
            gh_buf_puts(&b, ") DO UPDATE SET ");
            put_list(&b, t, updatable, FORM_EXCLUDED, ", ");
        } else {
            gh_buf_puts(&b, ") DO NOTHING");
        }
        q->upsert = take(&b);

        gh_buf_printf(&b, "UPDATE %s SET ", t->name);
        put_list(&b, t, updatable, FORM_ASSIGN, ", ");
        gh_buf_printf(&b, " WHERE %s", q->key_where);
        q->update = take(&b);

        gh_buf_printf(&b, "DELETE FROM %s WHERE %s", t->name, q->key_where);
        q->delete = take(&b);
        gh_buf_free(&b);
        atomic_store_explicit(&t->sql, q, memory_order_release);
    }
    pthread_mutex_unlock(&sql_mu);
    return q;
}

/* ---- binding ---------------------------------------------------------------- */

#define FIELD(row, c, type) ((type *)((char *)(row) + (c)->offset))
#define CFIELD(row, c, type) ((const type *)((const char *)(row) + (c)->offset))

/* A gh_strlist as JSON array text in the transaction's scratch arena. */
static enum gh_store_rc encode_list(struct gh_tx *tx, const struct gh_col *c,
                                    const struct gh_strlist *l, const char **out)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < l->n; i++) {
        json_t *s = l->items[i] ? json_string(l->items[i]) : NULL;
        if (!s) {
            json_decref(arr);
            return gh_store_tx_fail(tx, GH_STORE_ERROR,
                                    "%s: list item %zu is missing or not UTF-8 text", c->name, i);
        }
        json_array_append_new(arr, s);
    }
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    *out = gh_arena_strdup(tx->scratch, text);
    free(text);
    return GH_STORE_OK;
}

static enum gh_store_rc bind_param(struct gh_tx *tx, struct gh_db_stmt *st, int idx,
                                   const struct gh_param *p)
{
    const struct gh_db_driver *drv = tx->store->drv;
    if (p->type == GH_PARAM_INT64)
        return drv->bind_int64(st, idx, p->i);
    if (!p->s)
        return drv->bind_null(st, idx);
    return drv->bind_text(st, idx, p->s, strlen(p->s));
}

static enum gh_store_rc bind_col(struct gh_tx *tx, struct gh_db_stmt *st, int idx,
                                 const struct gh_col *c, const void *row)
{
    const struct gh_db_driver *drv = tx->store->drv;
    switch (c->type) {
    case GH_COLT_TEXT:
        return bind_param(tx, st, idx, &GH_PTEXT(*CFIELD(row, c, char *)));
    case GH_COLT_INT64:
        return drv->bind_int64(st, idx, *CFIELD(row, c, int64_t));
    case GH_COLT_INT:
        return drv->bind_int64(st, idx, *CFIELD(row, c, int));
    case GH_COLT_BOOL:
        return drv->bind_int64(st, idx, *CFIELD(row, c, bool) ? 1 : 0);
    case GH_COLT_ENUM:
        if (c->present && !*(const bool *)((const char *)row + c->present - 1))
            return drv->bind_null(st, idx);
        return bind_param(tx, st, idx, &GH_PTEXT(c->enm->name(*CFIELD(row, c, int))));
    case GH_COLT_STRLIST: {
        const char *json = NULL;
        enum gh_store_rc rc = encode_list(tx, c, CFIELD(row, c, struct gh_strlist), &json);
        return rc != GH_STORE_OK ? rc : drv->bind_text(st, idx, json, strlen(json));
    }
    }
    return GH_STORE_ERROR;
}

/* ---- reading ------------------------------------------------------------------ */

static enum gh_store_rc decode_list(struct gh_tx *tx, const struct gh_table *t,
                                    const struct gh_col *c, const char *text, size_t len,
                                    struct gh_arena *a, struct gh_strlist *out)
{
    out->n = 0;
    out->items = NULL;
    if (!text || len == 0)
        return GH_STORE_OK;
    json_error_t jerr;
    json_t *arr = json_loadb(text, len, 0, &jerr);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return gh_store_tx_fail(tx, GH_STORE_ERROR, "%s.%s: not a JSON array", t->name, c->name);
    }
    size_t n = json_array_size(arr);
    out->items = GH_ARENA_ARRAY(a, char *, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(arr, i);
        if (!json_is_string(s)) {
            json_decref(arr);
            return gh_store_tx_fail(tx, GH_STORE_ERROR, "%s.%s: a list item is not a string",
                                    t->name, c->name);
        }
        out->items[i] = gh_arena_strndup(a, json_string_value(s), json_string_length(s));
    }
    out->n = n;
    json_decref(arr);
    return GH_STORE_OK;
}

static enum gh_store_rc read_row(struct gh_tx *tx, const struct gh_table *t, struct gh_db_stmt *st,
                                 struct gh_arena *a, void *row)
{
    const struct gh_db_driver *drv = tx->store->drv;
    memset(row, 0, t->size);
    for (size_t i = 0; i < t->ncols; i++) {
        const struct gh_col *c = &t->cols[i];
        int col = (int)i;
        size_t len = 0;
        const char *text;
        switch (c->type) {
        case GH_COLT_TEXT:
            text = drv->column_text(st, col, &len);
            *FIELD(row, c, char *) = text ? gh_arena_strndup(a, text, len) : NULL;
            break;
        case GH_COLT_INT64:
            *FIELD(row, c, int64_t) = drv->column_int64(st, col);
            break;
        case GH_COLT_INT:
            *FIELD(row, c, int) = (int)drv->column_int64(st, col);
            break;
        case GH_COLT_BOOL:
            *FIELD(row, c, bool) = drv->column_int64(st, col) != 0;
            break;
        case GH_COLT_ENUM:
            text = drv->column_text(st, col, &len);
            if (!text && c->present)
                break; /* the presence flag stays false */
            if (!text || !c->enm->parse(text, FIELD(row, c, int)))
                return gh_store_tx_fail(tx, GH_STORE_ERROR, "%s.%s: unknown value", t->name,
                                        c->name);
            if (c->present)
                *(bool *)((char *)row + c->present - 1) = true;
            break;
        case GH_COLT_STRLIST: {
            text = drv->column_text(st, col, &len);
            enum gh_store_rc rc =
                decode_list(tx, t, c, text, len, a, FIELD(row, c, struct gh_strlist));
            if (rc != GH_STORE_OK)
                return rc;
            break;
        }
        }
    }
    return GH_STORE_OK;
}

/* ---- statements ---------------------------------------------------------------- */

static struct gh_db_stmt *prepare(struct gh_tx *tx, const char *sql)
{
    struct gh_db_stmt *st = tx->store->drv->prepare(tx->db, sql);
    if (!st)
        gh_store_tx_db_error(tx, "prepare");
    return st;
}

static enum gh_store_rc bind_params(struct gh_tx *tx, struct gh_db_stmt *st, int first,
                                    const struct gh_param *p, size_t np)
{
    for (size_t i = 0; i < np; i++) {
        enum gh_store_rc rc = bind_param(tx, st, first + (int)i, &p[i]);
        if (rc != GH_STORE_OK)
            return rc;
    }
    return GH_STORE_OK;
}

/* Steps a statement that returns no rows; reports the rows it changed. */
static enum gh_store_rc run_write(struct gh_tx *tx, struct gh_db_stmt *st, const char *what,
                                  int64_t *changes)
{
    const struct gh_db_driver *drv = tx->store->drv;
    enum gh_store_rc rc = GH_STORE_OK;
    if (drv->step(st) == GH_DB_FAIL)
        rc = gh_store_tx_db_error(tx, what);
    else if (changes)
        *changes = drv->changes(tx->db);
    drv->reset(st);
    return rc;
}

/* Binding failed (the engine said why) or a list could not be encoded (the
 * tx already carries the error). */
static enum gh_store_rc bind_failed(struct gh_tx *tx, struct gh_db_stmt *st, enum gh_store_rc rc,
                                    const char *what)
{
    if (tx->failed == GH_STORE_OK)
        rc = gh_store_tx_db_error(tx, what);
    tx->store->drv->reset(st);
    return rc;
}

static enum gh_store_rc write_row(struct gh_tx *tx, struct gh_table *t, const char *sql,
                                  const void *row, int64_t *changes)
{
    enum gh_store_rc rc = gh_store_tx_usable(tx, true);
    if (rc != GH_STORE_OK)
        return rc;
    struct gh_db_stmt *st = prepare(tx, sql);
    if (!st)
        return tx->failed;
    for (size_t i = 0; i < t->ncols; i++) {
        rc = bind_col(tx, st, (int)i + 1, &t->cols[i], row);
        if (rc != GH_STORE_OK)
            return bind_failed(tx, st, rc, t->name);
    }
    return run_write(tx, st, t->name, changes);
}

enum gh_store_rc gh_rowmap_insert(struct gh_tx *tx, struct gh_table *t, const void *row)
{
    return write_row(tx, t, table_sql(t)->insert, row, NULL);
}

enum gh_store_rc gh_rowmap_upsert(struct gh_tx *tx, struct gh_table *t, const void *row)
{
    return write_row(tx, t, table_sql(t)->upsert, row, NULL);
}

enum gh_store_rc gh_rowmap_insert_ignore(struct gh_tx *tx, struct gh_table *t, const void *row,
                                         bool *inserted)
{
    int64_t changes = 0;
    enum gh_store_rc rc = write_row(tx, t, table_sql(t)->insert_ignore, row, &changes);
    if (inserted)
        *inserted = rc == GH_STORE_OK && changes > 0;
    return rc;
}

enum gh_store_rc gh_rowmap_update(struct gh_tx *tx, struct gh_table *t, const void *row)
{
    enum gh_store_rc rc = gh_store_tx_usable(tx, true);
    if (rc != GH_STORE_OK)
        return rc;
    struct gh_db_stmt *st = prepare(tx, table_sql(t)->update);
    if (!st)
        return tx->failed;
    int idx = 1;
    for (int pass = 0; pass < 2; pass++) { /* SET columns, then the key */
        for (size_t i = 0; i < t->ncols; i++) {
            const struct gh_col *c = &t->cols[i];
            if (pass == 0 ? !updatable(c) : !is_key(c))
                continue;
            rc = bind_col(tx, st, idx++, c, row);
            if (rc != GH_STORE_OK)
                return bind_failed(tx, st, rc, t->name);
        }
    }
    int64_t changes = 0;
    rc = run_write(tx, st, t->name, &changes);
    return rc == GH_STORE_OK && changes == 0 ? GH_STORE_NOT_FOUND : rc;
}

enum gh_store_rc gh_rowmap_delete(struct gh_tx *tx, struct gh_table *t, const struct gh_param *key)
{
    int64_t changes = 0;
    enum gh_store_rc rc =
        gh_rowmap_exec(tx, table_sql(t)->delete, key, table_sql(t)->nkeys, &changes);
    return rc == GH_STORE_OK && changes == 0 ? GH_STORE_NOT_FOUND : rc;
}

enum gh_store_rc gh_rowmap_exec(struct gh_tx *tx, const char *sql, const struct gh_param *p,
                                size_t np, int64_t *changes)
{
    enum gh_store_rc rc = gh_store_tx_usable(tx, true);
    if (rc != GH_STORE_OK)
        return rc;
    struct gh_db_stmt *st = prepare(tx, sql);
    if (!st)
        return tx->failed;
    rc = bind_params(tx, st, 1, p, np);
    if (rc != GH_STORE_OK)
        return bind_failed(tx, st, rc, "bind");
    return run_write(tx, st, "exec", changes);
}

/* Composes SELECT … WHERE … ORDER BY … LIMIT ? OFFSET ? into buf.  The SQL
 * text depends only on the shape of the query, never on values, so the
 * driver's statement cache sees a handful of distinct strings per table. */
static bool compose_select(char *buf, size_t size, struct gh_table *t, const char *where,
                           const char *order, bool paged)
{
    int n = snprintf(buf, size, "%s%s%s%s%s%s", table_sql(t)->select, where ? " WHERE " : "",
                     where ? where : "", order ? " ORDER BY " : "", order ? order : "",
                     paged ? " LIMIT ? OFFSET ?" : "");
    return n > 0 && (size_t)n < size;
}

static struct gh_db_stmt *select_stmt(struct gh_tx *tx, struct gh_table *t, const char *where,
                                      const char *order, const struct gh_param *p, size_t np,
                                      const struct gh_page *page, enum gh_store_rc *rc)
{
    char sql[4096];
    bool paged = page && (page->limit > 0 || page->offset > 0);
    *rc = gh_store_tx_usable(tx, false);
    if (*rc != GH_STORE_OK)
        return NULL;
    if (!compose_select(sql, sizeof sql, t, where, order, paged)) {
        *rc = gh_store_tx_fail(tx, GH_STORE_ERROR, "%s: query too long", t->name);
        return NULL;
    }
    struct gh_db_stmt *st = prepare(tx, sql);
    if (!st) {
        *rc = tx->failed;
        return NULL;
    }
    *rc = bind_params(tx, st, 1, p, np);
    if (*rc == GH_STORE_OK && paged) {
        const struct gh_db_driver *drv = tx->store->drv;
        *rc = drv->bind_int64(st, (int)np + 1, page->limit > 0 ? page->limit : INT64_MAX);
        if (*rc == GH_STORE_OK)
            *rc = drv->bind_int64(st, (int)np + 2, page->offset > 0 ? page->offset : 0);
    }
    if (*rc != GH_STORE_OK) {
        *rc = bind_failed(tx, st, *rc, t->name);
        return NULL;
    }
    return st;
}

enum gh_store_rc gh_rowmap_get(struct gh_tx *tx, struct gh_table *t, const char *where,
                               const struct gh_param *p, size_t np, struct gh_arena *a, void *out)
{
    enum gh_store_rc rc;
    struct gh_db_stmt *st =
        select_stmt(tx, t, where ? where : table_sql(t)->key_where, NULL, p, np, NULL, &rc);
    if (!st)
        return rc;
    const struct gh_db_driver *drv = tx->store->drv;
    switch (drv->step(st)) {
    case GH_DB_ROW:
        rc = read_row(tx, t, st, a, out);
        break;
    case GH_DB_DONE:
        rc = GH_STORE_NOT_FOUND;
        break;
    case GH_DB_FAIL:
        rc = gh_store_tx_db_error(tx, t->name);
        break;
    }
    drv->reset(st);
    return rc;
}

enum gh_store_rc gh_rowmap_list(struct gh_tx *tx, struct gh_table *t, const char *where,
                                const char *order, const struct gh_param *p, size_t np,
                                const struct gh_page *page, struct gh_arena *a, void **rows,
                                size_t *n)
{
    enum gh_store_rc rc;
    *rows = NULL;
    *n = 0;
    struct gh_db_stmt *st = select_stmt(tx, t, where, order ? order : t->order, p, np, page, &rc);
    if (!st)
        return rc;
    const struct gh_db_driver *drv = tx->store->drv;
    char *arr = NULL;
    size_t count = 0, cap = 0;
    for (;;) {
        enum gh_db_step s = drv->step(st);
        if (s == GH_DB_DONE)
            break;
        if (s == GH_DB_FAIL) {
            rc = gh_store_tx_db_error(tx, t->name);
            break;
        }
        if (count == cap) { /* arena arrays cannot grow in place: double and copy */
            size_t ncap = cap ? cap * 2 : 16;
            char *narr = gh_arena_alloc(a, ncap * t->size);
            if (count)
                memcpy(narr, arr, count * t->size);
            arr = narr;
            cap = ncap;
        }
        rc = read_row(tx, t, st, a, arr + count * t->size);
        if (rc != GH_STORE_OK)
            break;
        count++;
    }
    drv->reset(st);
    if (rc != GH_STORE_OK)
        return rc;
    *rows = count ? arr : NULL;
    *n = count;
    return GH_STORE_OK;
}

enum gh_store_rc gh_rowmap_query_int(struct gh_tx *tx, const char *sql, const struct gh_param *p,
                                     size_t np, int64_t *out)
{
    enum gh_store_rc rc = gh_store_tx_usable(tx, false);
    if (rc != GH_STORE_OK)
        return rc;
    struct gh_db_stmt *st = prepare(tx, sql);
    if (!st)
        return tx->failed;
    rc = bind_params(tx, st, 1, p, np);
    if (rc != GH_STORE_OK)
        return bind_failed(tx, st, rc, "bind");
    const struct gh_db_driver *drv = tx->store->drv;
    switch (drv->step(st)) {
    case GH_DB_ROW:
        *out = drv->column_is_null(st, 0) ? 0 : drv->column_int64(st, 0);
        break;
    case GH_DB_DONE:
        rc = GH_STORE_NOT_FOUND;
        break;
    case GH_DB_FAIL:
        rc = gh_store_tx_db_error(tx, "query");
        break;
    }
    drv->reset(st);
    return rc;
}
