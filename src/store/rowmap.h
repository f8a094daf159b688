/* The table-driven row mapper: one column descriptor array per table, from
 * which the SQL of insert / update / upsert / delete / select is generated
 * once and rows are bound from and read into the domain structs.
 *
 *   static const struct gh_col plan_cols[] = {
 *       GH_COL_KEY_TEXT(struct gh_plan, id),
 *       GH_COL_TEXT(struct gh_plan, api_id),
 *       GH_COL_ENUM(struct gh_plan, approval, gh_rowmap_enum_plan_approval),
 *       …
 *   };
 *   static struct gh_table plans = GH_TABLE("plans", struct gh_plan, plan_cols, "created_at, id");
 *
 * The column name is the struct field's name.  Strings read from a row are
 * copied into the caller's arena; strings bound to a statement are used in
 * place until the statement is reset.  Hand-written SQL (counts, custom
 * updates) goes through gh_rowmap_exec / gh_rowmap_query_int with the same
 * parameter type. */
#ifndef GH_STORE_ROWMAP_H
#define GH_STORE_ROWMAP_H

#include <stdatomic.h>
#include <stddef.h>

#include "store/store_int.h"

enum gh_col_type {
    GH_COLT_TEXT,    /* char *; NULL ↔ SQL NULL */
    GH_COLT_INT64,   /* int64_t */
    GH_COLT_INT,     /* int */
    GH_COLT_BOOL,    /* bool ↔ 0/1 */
    GH_COLT_ENUM,    /* an enum ↔ its contract spelling (model.h *_name/_parse) */
    GH_COLT_STRLIST, /* struct gh_strlist ↔ JSON array text */
};

#define GH_COLF_KEY 1u   /* part of the primary key */
#define GH_COLF_FIXED 2u /* written by insert only (created_at) */

/* An enum's name/parse pair with int-typed signatures, so one descriptor
 * type serves every enum without calling through a mismatched pointer. */
struct gh_enum_desc {
    const char *(*name)(int v);
    bool (*parse)(const char *s, int *out);
};

struct gh_col {
    const char *name;
    enum gh_col_type type;
    size_t offset;
    unsigned flags;
    const struct gh_enum_desc *enm;
    /* GH_COLT_ENUM: 1 + the offset of a bool saying whether the value is
     * set (SQL NULL when not); 0: always set. */
    size_t present;
};

struct gh_table_sql;

struct gh_table {
    const char *name;
    const struct gh_col *cols;
    size_t ncols;
    size_t size;                        /* sizeof the struct */
    const char *order;                  /* ORDER BY of lists */
    _Atomic(struct gh_table_sql *) sql; /* generated on first use, kept for good */
};

#define GH_COL_(st, f, t, fl, e, p)                                                                \
    {                                                                                              \
#f, t, offsetof(st, f), fl, e, p                                                           \
    }
#define GH_COL_TEXT(st, f) GH_COL_(st, f, GH_COLT_TEXT, 0, NULL, 0)
#define GH_COL_KEY_TEXT(st, f) GH_COL_(st, f, GH_COLT_TEXT, GH_COLF_KEY, NULL, 0)
#define GH_COL_INT64(st, f) GH_COL_(st, f, GH_COLT_INT64, 0, NULL, 0)
#define GH_COL_CREATED(st, f) GH_COL_(st, f, GH_COLT_INT64, GH_COLF_FIXED, NULL, 0)
#define GH_COL_INT(st, f) GH_COL_(st, f, GH_COLT_INT, 0, NULL, 0)
#define GH_COL_BOOL(st, f) GH_COL_(st, f, GH_COLT_BOOL, 0, NULL, 0)
#define GH_COL_ENUM(st, f, desc) GH_COL_(st, f, GH_COLT_ENUM, 0, &(desc), 0)
#define GH_COL_ENUM_OPT(st, f, desc, has)                                                          \
    GH_COL_(st, f, GH_COLT_ENUM, 0, &(desc), 1 + offsetof(st, has))
#define GH_COL_STRLIST(st, f) GH_COL_(st, f, GH_COLT_STRLIST, 0, NULL, 0)

#define GH_TABLE(tname, st, cols, ord)                                                             \
    {                                                                                              \
        tname, cols, sizeof(cols) / sizeof((cols)[0]), sizeof(st), ord, NULL                       \
    }

extern const struct gh_enum_desc gh_rowmap_enum_org_role;
extern const struct gh_enum_desc gh_rowmap_enum_auth_method;
extern const struct gh_enum_desc gh_rowmap_enum_hash_method;
extern const struct gh_enum_desc gh_rowmap_enum_customer_number_in;
extern const struct gh_enum_desc gh_rowmap_enum_plan_approval;
extern const struct gh_enum_desc gh_rowmap_enum_quota_period;
extern const struct gh_enum_desc gh_rowmap_enum_token_type;
extern const struct gh_enum_desc gh_rowmap_enum_app_role;
extern const struct gh_enum_desc gh_rowmap_enum_sub_status;
extern const struct gh_enum_desc gh_rowmap_enum_access_status;
extern const struct gh_enum_desc gh_rowmap_enum_key_state;
extern const struct gh_enum_desc gh_rowmap_enum_api_token_kind;
extern const struct gh_enum_desc gh_rowmap_enum_user_token_purpose;
extern const struct gh_enum_desc gh_rowmap_enum_outbox_channel;
extern const struct gh_enum_desc gh_rowmap_enum_outbox_state;

/* Parameters of a WHERE clause or of hand-written SQL; a NULL text is NULL. */
enum gh_param_type { GH_PARAM_TEXT, GH_PARAM_INT64 };
struct gh_param {
    enum gh_param_type type;
    const char *s;
    int64_t i;
};
#define GH_PTEXT(v) ((struct gh_param){GH_PARAM_TEXT, (v), 0})
#define GH_PINT(v) ((struct gh_param){GH_PARAM_INT64, NULL, (int64_t)(v)})
#define GH_NPARAMS(arr) (sizeof(arr) / sizeof((arr)[0]))

/* Writes; each needs a write transaction. */
enum gh_store_rc gh_rowmap_insert(struct gh_tx *tx, struct gh_table *t, const void *row);
/* INSERT … ON CONFLICT (primary key) DO UPDATE SET every column that is
 * neither key nor fixed. */
enum gh_store_rc gh_rowmap_upsert(struct gh_tx *tx, struct gh_table *t, const void *row);
/* INSERT … ON CONFLICT (primary key) DO NOTHING; *inserted says which. */
enum gh_store_rc gh_rowmap_insert_ignore(struct gh_tx *tx, struct gh_table *t, const void *row,
                                         bool *inserted);
/* Every column but the key and fixed ones, by key; NOT_FOUND if no row. */
enum gh_store_rc gh_rowmap_update(struct gh_tx *tx, struct gh_table *t, const void *row);
/* key: one parameter per key column, in column order; NOT_FOUND if no row. */
enum gh_store_rc gh_rowmap_delete(struct gh_tx *tx, struct gh_table *t, const struct gh_param *key);
/* Any statement; *changes (may be NULL) gets the rows it changed. */
enum gh_store_rc gh_rowmap_exec(struct gh_tx *tx, const char *sql, const struct gh_param *p,
                                size_t np, int64_t *changes);

/* Reads.  where NULL: by primary key (p holds the key).  The first row is
 * read into *out; NOT_FOUND if none. */
enum gh_store_rc gh_rowmap_get(struct gh_tx *tx, struct gh_table *t, const char *where,
                               const struct gh_param *p, size_t np, struct gh_arena *a, void *out);
/* SELECT … [WHERE where] ORDER BY (order or the table's) [LIMIT/OFFSET of
 * page] into an arena array; *rows is NULL when *n is 0. */
enum gh_store_rc gh_rowmap_list(struct gh_tx *tx, struct gh_table *t, const char *where,
                                const char *order, const struct gh_param *p, size_t np,
                                const struct gh_page *page, struct gh_arena *a, void **rows,
                                size_t *n);
/* The first column of the first row as an integer (NULL: 0); NOT_FOUND if
 * no row. */
enum gh_store_rc gh_rowmap_query_int(struct gh_tx *tx, const char *sql, const struct gh_param *p,
                                     size_t np, int64_t *out);

/* Defines `static enum gh_store_rc fn(tx, table, where, order, p, np, page,
 * arena, type **out, size_t *n)`: gh_rowmap_list with a typed result. */
#define GH_ROWMAP_TYPED_LIST(fn, type)                                                             \
    static enum gh_store_rc fn(struct gh_tx *tx, struct gh_table *t, const char *where,            \
                               const char *order, const struct gh_param *p, size_t np,             \
                               const struct gh_page *page, struct gh_arena *a, type **out,         \
                               size_t *n)                                                          \
    {                                                                                              \
        void *rows = NULL;                                                                         \
        enum gh_store_rc rc = gh_rowmap_list(tx, t, where, order, p, np, page, a, &rows, n);       \
        *out = rows;                                                                               \
        return rc;                                                                                 \
    }

#endif
