/* The table-driven row mapper (store/rowmap.c) on a table of its own that
 * has one column of every mapped type: what the generated statements write,
 * what the stored text looks like (enum spellings, JSON lists, 0/1
 * booleans), how rows read back, and how refusals map to store codes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/rowmap.h"
#include "../support/store_fixture.h"

struct widget {
    char *id;
    char *label; /* UNIQUE */
    int64_t big;
    int small;
    bool flag;
    enum gh_sub_status status;
    bool has_role;
    enum gh_org_role role; /* NULL in SQL when has_role is false */
    struct gh_strlist tags;
    int64_t created_at;
};

static const struct gh_col widget_cols[] = {
    GH_COL_KEY_TEXT(struct widget, id),
    GH_COL_TEXT(struct widget, label),
    GH_COL_INT64(struct widget, big),
    GH_COL_INT(struct widget, small),
    GH_COL_BOOL(struct widget, flag),
    GH_COL_ENUM(struct widget, status, gh_rowmap_enum_sub_status),
    GH_COL_ENUM_OPT(struct widget, role, gh_rowmap_enum_org_role, has_role),
    GH_COL_STRLIST(struct widget, tags),
    GH_COL_CREATED(struct widget, created_at),
};
static struct gh_table widgets = GH_TABLE("widgets", struct widget, widget_cols, "created_at, id");

/* The same table seen as raw text, to check the stored spelling. */
struct widget_raw {
    char *id;
    char *flag;
    char *status;
    char *role;
    char *tags;
};
static const struct gh_col widget_raw_cols[] = {
    GH_COL_KEY_TEXT(struct widget_raw, id),
    GH_COL_TEXT(struct widget_raw, flag), /* the column holds 0/1 */
    GH_COL_TEXT(struct widget_raw, status),
    GH_COL_TEXT(struct widget_raw, role),
    GH_COL_TEXT(struct widget_raw, tags),
};
static struct gh_table widgets_raw = GH_TABLE("widgets", struct widget_raw, widget_raw_cols, "id");

GH_ROWMAP_TYPED_LIST(list_widgets, struct widget)

struct env {
    struct gh_fixture_db db;
    struct gh_store *store;
    struct gh_arena *arena;
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    char err[256];
    if (!e || !gh_fixture_db_init(&e->db))
        return -1;
    e->store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!e->store) {
        print_error("%s\n", err);
        return -1;
    }
    struct gh_tx *tx;
    if (gh_store_begin(e->store, GH_TX_WRITE, &tx) != GH_STORE_OK)
        return -1;
    enum gh_store_rc rc = gh_rowmap_exec(tx, "DROP TABLE IF EXISTS widgets", NULL, 0, NULL);
    if (rc == GH_STORE_OK)
        rc = gh_rowmap_exec(tx,
                            "CREATE TABLE widgets (id TEXT PRIMARY KEY, label TEXT UNIQUE,"
                            " big BIGINT NOT NULL, small INTEGER NOT NULL, flag INTEGER NOT NULL,"
                            " status TEXT NOT NULL, role TEXT, tags TEXT NOT NULL,"
                            " created_at BIGINT NOT NULL)",
                            NULL, 0, NULL);
    if (rc != GH_STORE_OK || gh_store_commit(tx) != GH_STORE_OK)
        return -1;
    e->arena = gh_arena_new(4096);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    gh_arena_free(e->arena);
    gh_store_close(e->store);
    gh_fixture_db_done(&e->db);
    free(e);
    return 0;
}

static struct gh_tx *begin(struct env *e, enum gh_tx_mode mode)
{
    struct gh_tx *tx = NULL;
    assert_int_equal(gh_store_begin(e->store, mode, &tx), GH_STORE_OK);
    return tx;
}

static char *tags_a[] = {"plain", "with \"quotes\" and \\", "ünïcødé", ""};

static struct widget sample(const char *id, const char *label, int64_t created_at)
{
    struct widget w = {
        .id = (char *)id,
        .label = (char *)label,
        .big = INT64_C(9007199254740993), /* beyond a double's exact range */
        .small = -7,
        .flag = true,
        .status = GH_SUB_DEACTIVATION_REQUESTED,
        .has_role = true,
        .role = GH_ORG_DEVELOPER,
        .tags = {4, tags_a},
        .created_at = created_at,
    };
    return w;
}

static void insert_ok(struct env *e, const struct widget *w)
{
    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    assert_int_equal(gh_rowmap_insert(tx, &widgets, w), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static struct widget get_ok(struct env *e, const char *id)
{
    struct widget out;
    struct gh_tx *tx = begin(e, GH_TX_READ);
    struct gh_param key[] = {GH_PTEXT(id)};
    assert_int_equal(gh_rowmap_get(tx, &widgets, NULL, key, 1, e->arena, &out), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    return out;
}

static void every_type_round_trips(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", "first", 100);
    insert_ok(e, &w);

    struct widget r = get_ok(e, "w1");
    assert_string_equal(r.id, "w1");
    assert_string_equal(r.label, "first");
    assert_true(r.big == INT64_C(9007199254740993));
    assert_int_equal(r.small, -7);
    assert_true(r.flag);
    assert_int_equal(r.status, GH_SUB_DEACTIVATION_REQUESTED);
    assert_true(r.has_role);
    assert_int_equal(r.role, GH_ORG_DEVELOPER);
    assert_int_equal(r.tags.n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(r.tags.items[i], tags_a[i]);
    assert_int_equal(r.created_at, 100);
    /* Read strings live in the caller's arena, not in the input. */
    assert_ptr_not_equal(r.label, w.label);
}

static void stored_text_uses_the_contract_spelling(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", NULL, 1);
    char *two[] = {"a", "b\"c"};
    w.tags = (struct gh_strlist){2, two};
    w.has_role = false;
    w.status = GH_SUB_ACTIVATION_REQUESTED;
    insert_ok(e, &w);

    struct widget_raw raw;
    struct gh_tx *tx = begin(e, GH_TX_READ);
    struct gh_param key[] = {GH_PTEXT("w1")};
    assert_int_equal(gh_rowmap_get(tx, &widgets_raw, NULL, key, 1, e->arena, &raw), GH_STORE_OK);
    gh_store_rollback(tx);
    assert_string_equal(raw.flag, "1");
    assert_string_equal(raw.status, "activation-requested");
    assert_null(raw.role); /* the unset optional enum is SQL NULL */
    assert_string_equal(raw.tags, "[\"a\",\"b\\\"c\"]");

    struct widget r = get_ok(e, "w1");
    assert_null(r.label);
    assert_false(r.has_role);
}

static void empty_list_and_false_bool(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", "x", 1);
    w.tags = (struct gh_strlist){0, NULL};
    w.flag = false;
    insert_ok(e, &w);
    struct widget r = get_ok(e, "w1");
    assert_int_equal(r.tags.n, 0);
    assert_false(r.flag);
}

static void update_keeps_fixed_columns_and_reports_missing_rows(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", "first", 100);
    insert_ok(e, &w);

    struct widget u = sample("w1", "renamed", 555);
    u.small = 42;
    u.status = GH_SUB_INACTIVE;
    u.has_role = false;
    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    assert_int_equal(gh_rowmap_update(tx, &widgets, &u), GH_STORE_OK);
    struct widget missing = sample("nope", "other", 1);
    assert_int_equal(gh_rowmap_update(tx, &widgets, &missing), GH_STORE_NOT_FOUND);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);

    struct widget r = get_ok(e, "w1");
    assert_string_equal(r.label, "renamed");
    assert_int_equal(r.small, 42);
    assert_int_equal(r.status, GH_SUB_INACTIVE);
    assert_false(r.has_role);
    assert_int_equal(r.created_at, 100); /* created_at is written by insert only */
}

static void upsert_inserts_then_updates(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", "first", 100);
    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    assert_int_equal(gh_rowmap_upsert(tx, &widgets, &w), GH_STORE_OK);
    w.label = "second";
    w.created_at = 999;
    assert_int_equal(gh_rowmap_upsert(tx, &widgets, &w), GH_STORE_OK);
    int64_t count = -1;
    assert_int_equal(gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM widgets", NULL, 0, &count),
                     GH_STORE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);

    struct widget r = get_ok(e, "w1");
    assert_string_equal(r.label, "second");
    assert_int_equal(r.created_at, 100);
}

static void insert_ignore_keeps_the_first_row(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", "first", 100);
    bool inserted = false;
    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    assert_int_equal(gh_rowmap_insert_ignore(tx, &widgets, &w, &inserted), GH_STORE_OK);
    assert_true(inserted);
    w.label = "second";
    assert_int_equal(gh_rowmap_insert_ignore(tx, &widgets, &w, &inserted), GH_STORE_OK);
    assert_false(inserted);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    assert_string_equal(get_ok(e, "w1").label, "first");
}

static void delete_then_not_found(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", "first", 100);
    insert_ok(e, &w);
    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    struct gh_param key[] = {GH_PTEXT("w1")};
    assert_int_equal(gh_rowmap_delete(tx, &widgets, key), GH_STORE_OK);
    assert_int_equal(gh_rowmap_delete(tx, &widgets, key), GH_STORE_NOT_FOUND);
    struct widget r;
    assert_int_equal(gh_rowmap_get(tx, &widgets, NULL, key, 1, e->arena, &r), GH_STORE_NOT_FOUND);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static void list_orders_filters_and_pages(void **state)
{
    struct env *e = *state;
    /* Inserted out of order; created_at ties are broken by id. */
    static const struct {
        const char *id;
        int64_t at;
        int small;
    } rows[] = {{"d", 30, 1}, {"a", 10, 2}, {"c", 20, 1}, {"b", 20, 2}, {"e", 40, 1}};
    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct widget w = sample(rows[i].id, rows[i].id, rows[i].at);
        w.small = rows[i].small;
        assert_int_equal(gh_rowmap_insert(tx, &widgets, &w), GH_STORE_OK);
    }
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);

    tx = begin(e, GH_TX_READ);
    struct widget *out;
    size_t n;
    assert_int_equal(list_widgets(tx, &widgets, NULL, NULL, NULL, 0, NULL, e->arena, &out, &n),
                     GH_STORE_OK);
    assert_int_equal(n, 5);
    const char *want_all[] = {"a", "b", "c", "d", "e"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(out[i].id, want_all[i]);

    struct gh_page page = {.offset = 1, .limit = 2};
    assert_int_equal(list_widgets(tx, &widgets, NULL, NULL, NULL, 0, &page, e->arena, &out, &n),
                     GH_STORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].id, "b");
    assert_string_equal(out[1].id, "c");

    struct gh_page past = {.offset = 10, .limit = 2};
    assert_int_equal(list_widgets(tx, &widgets, NULL, NULL, NULL, 0, &past, e->arena, &out, &n),
                     GH_STORE_OK);
    assert_int_equal(n, 0);
    assert_null(out);

    struct gh_param p[] = {GH_PINT(1)};
    assert_int_equal(
        list_widgets(tx, &widgets, "small = ?", "id DESC", p, 1, NULL, e->arena, &out, &n),
        GH_STORE_OK);
    assert_int_equal(n, 3);
    assert_string_equal(out[0].id, "e");
    assert_string_equal(out[1].id, "d");
    assert_string_equal(out[2].id, "c");
    gh_store_rollback(tx);
}

static void many_rows_grow_the_result_array(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    char ids[100][8];
    for (int i = 0; i < 100; i++) {
        snprintf(ids[i], sizeof ids[i], "w%03d", i);
        struct widget w = sample(ids[i], ids[i], i);
        assert_int_equal(gh_rowmap_insert(tx, &widgets, &w), GH_STORE_OK);
    }
    struct widget *out;
    size_t n;
    assert_int_equal(list_widgets(tx, &widgets, NULL, NULL, NULL, 0, NULL, e->arena, &out, &n),
                     GH_STORE_OK);
    assert_int_equal(n, 100);
    for (int i = 0; i < 100; i++) {
        assert_string_equal(out[i].id, ids[i]);
        assert_int_equal(out[i].tags.n, 4);
    }
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static void unique_violation_is_a_conflict_that_poisons_the_tx(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", "same", 1);
    insert_ok(e, &w);

    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    struct widget other = sample("w2", "before", 2);
    assert_int_equal(gh_rowmap_insert(tx, &widgets, &other), GH_STORE_OK);
    struct widget dup = sample("w3", "same", 3);
    assert_int_equal(gh_rowmap_insert(tx, &widgets, &dup), GH_STORE_CONFLICT);
    /* Like PostgreSQL: the transaction is over, whatever comes next. */
    struct widget later = sample("w4", "later", 4);
    assert_int_equal(gh_rowmap_insert(tx, &widgets, &later), GH_STORE_CONFLICT);
    assert_int_equal(gh_store_commit(tx), GH_STORE_CONFLICT);

    tx = begin(e, GH_TX_READ);
    int64_t count = -1;
    assert_int_equal(gh_rowmap_query_int(tx, "SELECT COUNT(*) FROM widgets", NULL, 0, &count),
                     GH_STORE_OK);
    assert_int_equal(count, 1); /* w2 was rolled back with the rest */
    gh_store_rollback(tx);

    tx = begin(e, GH_TX_WRITE);
    struct widget same_key = sample("w1", "fresh", 5);
    assert_int_equal(gh_rowmap_insert(tx, &widgets, &same_key), GH_STORE_CONFLICT);
    gh_store_rollback(tx);
}

static void bad_stored_values_are_errors(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", "x", 1);
    insert_ok(e, &w);
    struct widget r;
    struct gh_param key[] = {GH_PTEXT("w1")};

    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    assert_int_equal(
        gh_rowmap_exec(tx, "UPDATE widgets SET tags = '{\"not\": \"a list\"}'", NULL, 0, NULL),
        GH_STORE_OK);
    assert_int_equal(gh_rowmap_get(tx, &widgets, NULL, key, 1, e->arena, &r), GH_STORE_ERROR);
    assert_non_null(strstr(gh_store_tx_error(tx), "widgets.tags"));
    gh_store_rollback(tx);

    tx = begin(e, GH_TX_WRITE);
    assert_int_equal(gh_rowmap_exec(tx, "UPDATE widgets SET tags = '[1, 2]'", NULL, 0, NULL),
                     GH_STORE_OK);
    assert_int_equal(gh_rowmap_get(tx, &widgets, NULL, key, 1, e->arena, &r), GH_STORE_ERROR);
    gh_store_rollback(tx);

    tx = begin(e, GH_TX_WRITE);
    assert_int_equal(gh_rowmap_exec(tx, "UPDATE widgets SET status = 'ACTIVE'", NULL, 0, NULL),
                     GH_STORE_OK);
    assert_int_equal(gh_rowmap_get(tx, &widgets, NULL, key, 1, e->arena, &r), GH_STORE_ERROR);
    assert_non_null(strstr(gh_store_tx_error(tx), "widgets.status"));
    gh_store_rollback(tx);

    /* Rolled back: the row reads fine again. */
    assert_int_equal(get_ok(e, "w1").status, GH_SUB_DEACTIVATION_REQUESTED);
}

static void a_null_list_item_is_refused(void **state)
{
    struct env *e = *state;
    char *holes[] = {"ok", NULL};
    struct widget w = sample("w1", "x", 1);
    w.tags = (struct gh_strlist){2, holes};
    struct gh_tx *tx = begin(e, GH_TX_WRITE);
    assert_int_equal(gh_rowmap_insert(tx, &widgets, &w), GH_STORE_ERROR);
    gh_store_rollback(tx);
}

static void writes_need_a_write_transaction(void **state)
{
    struct env *e = *state;
    struct widget w = sample("w1", "x", 1);
    struct gh_tx *tx = begin(e, GH_TX_READ);
    assert_int_equal(gh_rowmap_insert(tx, &widgets, &w), GH_STORE_ERROR);
    assert_non_null(strstr(gh_store_tx_error(tx), "read transaction"));
    gh_store_rollback(tx);

    tx = begin(e, GH_TX_READ);
    struct gh_param key[] = {GH_PTEXT("w1")};
    struct widget r;
    assert_int_equal(gh_rowmap_get(tx, &widgets, NULL, key, 1, e->arena, &r), GH_STORE_NOT_FOUND);
    gh_store_rollback(tx);
}

static void query_int_answers_null_as_zero_and_no_row_as_not_found(void **state)
{
    struct env *e = *state;
    struct gh_tx *tx = begin(e, GH_TX_READ);
    int64_t v = -1;
    assert_int_equal(gh_rowmap_query_int(tx, "SELECT MAX(big) FROM widgets", NULL, 0, &v),
                     GH_STORE_OK);
    assert_int_equal(v, 0);
    assert_int_equal(gh_rowmap_query_int(tx, "SELECT big FROM widgets", NULL, 0, &v),
                     GH_STORE_NOT_FOUND);
    struct gh_param p[] = {GH_PINT(40), GH_PINT(2)};
    assert_int_equal(gh_rowmap_query_int(tx, "SELECT ? + ?", p, 2, &v), GH_STORE_OK);
    assert_int_equal(v, 42);
    gh_store_rollback(tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_type_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(stored_text_uses_the_contract_spelling, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_list_and_false_bool, setup, teardown),
        cmocka_unit_test_setup_teardown(update_keeps_fixed_columns_and_reports_missing_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(upsert_inserts_then_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(insert_ignore_keeps_the_first_row, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_then_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(list_orders_filters_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(many_rows_grow_the_result_array, setup, teardown),
        cmocka_unit_test_setup_teardown(unique_violation_is_a_conflict_that_poisons_the_tx, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_stored_values_are_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(a_null_list_item_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_need_a_write_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(query_int_answers_null_as_zero_and_no_row_as_not_found,
                                        setup, teardown),
    };
    gh_log_set_level(GH_LOG_OFF); /* the refusals tested here log warnings */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
