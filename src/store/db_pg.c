/* The PostgreSQL driver (see store/db.h), on libpq.
 *
 * URL: postgres://… or postgresql://…, parsed by libpq itself (every libpq
 * parameter works, e.g. ?sslmode=require); connect_timeout defaults to 5 s.
 *
 * Statements: the portable SQL's `?` placeholders are rewritten to $1, $2, …
 * (skipping string literals, quoted identifiers, comments and dollar
 * quotes), prepared once per connection (PQprepare, named by a counter) and
 * run with PQexecPrepared; parameters and results are in text format
 * (integer parameters declared int8, the others' types inferred by the
 * server from their use; the first step prepares, once they are bound).
 *
 * Transactions keep the guarantees of SQLite's BEGIN IMMEDIATE under WAL:
 *  - a read transaction is REPEATABLE READ READ ONLY: one consistent
 *    snapshot for its whole life, never a serialization failure;
 *  - a write transaction is READ COMMITTED and first takes one cluster-wide
 *    advisory lock (pg_advisory_xact_lock, released at COMMIT/ROLLBACK), so
 *    writers of every node take turns: each sees every earlier commit and
 *    nothing changes under it, like SQLite's single writer.  This also
 *    serializes migrations of nodes starting at once (they run in write
 *    transactions).  lock_timeout is the store's busy timeout; a lock not
 *    obtained in time (55P03), a serialization failure (40001) or a
 *    deadlock (40P01) is GH_STORE_BUSY.
 *
 * Change announcement: announce() runs
 *   SELECT pg_notify('gatehouse_changes', '')
 * inside the transaction, just before COMMIT (the store calls it for
 * transactions that touched hot-path data); PostgreSQL delivers it to
 * listeners only if the transaction commits.  GH_STORE_CHANGES_CHANNEL in
 * store/store.h is the channel name.
 *
 * A connection that broke (server restart, network) reports !alive();
 * reconnect() re-establishes it (PQreset) and forgets which statements were
 * prepared on the old session. */
#include "store/db.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store/schema.h"
#include "store/stmt_cache.h"

/* The key of the cluster-wide writer lock: "gatehous" in ASCII. */
#define WRITER_LOCK_KEY "7449363237540164979"
#define DEFAULT_CONNECT_TIMEOUT "5"
#define INT8_OID 20 /* pg_type.h's INT8OID, not in libpq-fe.h */

struct gh_db_stmt {
    struct gh_db *db;
    char *sql;     /* the cache key (portable SQL); NULL for an uncached twin */
    char *pg_sql;  /* with $n placeholders */
    char name[24]; /* the server-side prepared statement's name */
    bool prepared; /* on the current session */
    bool in_use;
    int nparams;
    const char **values; /* NULL: SQL NULL */
    Oid *types;          /* INT8OID for an integer parameter; 0: inferred */
    char **own;          /* per-parameter copies (text is not NUL-terminated) */
    size_t *own_cap;
    PGresult *res;
    int row;
    int nrows;
};

struct gh_db {
    PGconn *conn;
    char sqlstate[6]; /* of the last failure; "" when not from the server */
    char err[256];
    int64_t changes;
    int busy_timeout_ms; /* also the session's lock_timeout */
    unsigned next_name;
    struct gh_stmt_cache cache;
};

/* ---- errors ------------------------------------------------------------- */

/* Copies msg into db->err on one line (libpq's messages end in newlines and
 * may continue on indented lines). */
static void set_err(struct gh_db *db, const char *sqlstate, const char *msg)
{
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", sqlstate ? sqlstate : "");
    size_t j = 0;
    bool space = false;
    for (const char *p = msg ? msg : "unknown error"; *p && j + 1 < sizeof db->err; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            space = j > 0;
            continue;
        }
        if (space) {
            db->err[j++] = ' ';
            space = false;
            if (j + 1 >= sizeof db->err)
                break;
        }
        db->err[j++] = *p;
    }
    while (j > 0 && db->err[j - 1] == ' ')
        j--;
    db->err[j] = '\0';
}

/* Records the failure a result reports.  Only the primary message is kept:
 * the detail can quote row values ("Key (email)=(…) already exists"). */
static void set_result_err(struct gh_db *db, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    set_err(db, state, msg ? msg : PQerrorMessage(db->conn));
}

/* "connection to server at "h" (…), port p failed: Connection refused Is
 * the server running…" → "connection refused": the reason after the last
 * "failed:", its first line, without a FATAL: prefix, first letter small. */
static void connect_reason(const char *msg, char *out, size_t outlen)
{
    const char *p = msg, *f;
    while ((f = strstr(p, "failed:")) != NULL)
        p = f + 7;
    while (*p == ' ')
        p++;
    if (strncmp(p, "FATAL:", 6) == 0)
        p += 6;
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, "\n");
    if (n == 0) {
        snprintf(out, outlen, "unknown error");
        return;
    }
    snprintf(out, outlen, "%.*s", (int)n, p);
    if (out[0] && out[1] && !isupper((unsigned char)out[1]))
        out[0] = (char)tolower((unsigned char)out[0]);
}

/* One line for a person about a failed connection; never the password
 * (libpq's messages name host and port, not credentials). */
static void connect_error(PGconn *conn, char *err, size_t errlen)
{
    char reason[200];
    connect_reason(conn ? PQerrorMessage(conn) : "out of memory", reason, sizeof reason);
    const char *host = conn ? PQhost(conn) : NULL;
    const char *port = conn ? PQport(conn) : NULL;
    snprintf(err, errlen, "cannot connect to PostgreSQL at %s:%s: %s",
             host && *host ? host : "localhost", port && *port ? port : "5432", reason);
}

/* ---- connections -------------------------------------------------------- */

/* Server notices (e.g. "relation already exists, skipping") are not errors
 * and must not reach stderr. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static bool session_setup(struct gh_db *db)
{
    PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SET lock_timeout = %d; SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'",
             db->busy_timeout_ms);
    PGresult *res = PQexec(db->conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        set_result_err(db, res);
    PQclear(res);
    return ok;
}

static struct gh_db *pg_connect(const char *target, int busy_timeout_ms, char *err, size_t errlen)
{
    /* Parameters later in the list win, and the URL (expanded from dbname)
     * comes last, so its own settings override these defaults.  TCP
     * keepalives notice a server that vanished without closing (about a
     * minute instead of the kernel's two hours). */
    const char *const keys[] = {"connect_timeout",
                                "application_name",
                                "keepalives_idle",
                                "keepalives_interval",
                                "keepalives_count",
                                "dbname",
                                NULL};
    const char *const vals[] = {
        DEFAULT_CONNECT_TIMEOUT, "gatehouse", "30", "10", "3", target, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        connect_error(conn, err, errlen);
        PQfinish(conn);
        return NULL;
    }
    struct gh_db *db = gh_xcalloc(1, sizeof *db);
    db->conn = conn;
    gh_stmt_cache_init(&db->cache);
    /* The busy timeout is also the lock timeout; kept in the session. */
    db->busy_timeout_ms = busy_timeout_ms;
    if (!session_setup(db)) {
        snprintf(err, errlen, "cannot set up the PostgreSQL session: %s", db->err);
        gh_stmt_cache_free(&db->cache, NULL);
        PQfinish(conn);
        free(db);
        return NULL;
    }
    return db;
}

static void stmt_free(void *p)
{
    struct gh_db_stmt *s = p;
    PQclear(s->res);
    for (int i = 0; i < s->nparams; i++)
        free(s->own[i]);
    free(s->own);
    free(s->own_cap);
    free(s->values);
    free(s->types);
    free(s->sql);
    free(s->pg_sql);
    free(s);
}

static void pg_close(struct gh_db *db)
{
    if (!db)
        return;
    gh_stmt_cache_free(&db->cache, stmt_free);
    PQfinish(db->conn);
    free(db);
}

static bool pg_alive(struct gh_db *db)
{
    return PQstatus(db->conn) == CONNECTION_OK;
}

static void forget_prepared(void *p)
{
    ((struct gh_db_stmt *)p)->prepared = false;
}

/* The session is new: nothing is prepared on it any more, and its settings
 * are set again (PQreset reuses the connection parameters only). */
static enum gh_store_rc pg_reconnect(struct gh_db *db)
{
    PQreset(db->conn);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        char msg[256];
        connect_error(db->conn, msg, sizeof msg);
        set_err(db, NULL, msg);
        return GH_STORE_ERROR;
    }
    if (!session_setup(db))
        return GH_STORE_ERROR;
    gh_stmt_cache_each(&db->cache, forget_prepared);
    return GH_STORE_OK;
}

/* ---- placeholders ------------------------------------------------------- */

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Rewrites the portable SQL's `?` to $1, $2, …, leaving string literals
 * ('…', E'…' with backslash escapes), quoted identifiers, comments and
 * dollar-quoted strings alone.  Returns a new string; *n gets the count. */
static char *rewrite_placeholders(const char *sql, int *n)
{
    size_t len = strlen(sql), q = 0;
    for (size_t i = 0; i < len; i++)
        q += sql[i] == '?';
    char *out = gh_xmalloc(len + q * 11 + 1);
    size_t o = 0;
    int count = 0;
    for (size_t i = 0; i < len;) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            bool backslash = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                             (i < 2 || !ident_char(sql[i - 2]));
            out[o++] = sql[i++];
            while (i < len) {
                if (backslash && sql[i] == '\\' && i + 1 < len) {
                    out[o++] = sql[i++];
                    out[o++] = sql[i++];
                    continue;
                }
                if (sql[i] == c) {
                    out[o++] = sql[i++];
                    if (i < len && sql[i] == c) { /* doubled: an escaped quote */
                        out[o++] = sql[i++];
                        continue;
                    }
                    break;
                }
                out[o++] = sql[i++];
            }
        } else if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
            while (i < len && sql[i] != '\n')
                out[o++] = sql[i++];
        } else if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
            int depth = 0;
            do {
                if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
                    depth++;
                    out[o++] = sql[i++];
                } else if (sql[i] == '*' && i + 1 < len && sql[i + 1] == '/') {
                    depth--;
                    out[o++] = sql[i++];
                }
                out[o++] = sql[i++];
            } while (i < len && depth > 0);
        } else if (c == '$' && (i == 0 || !ident_char(sql[i - 1])) && i + 1 < len &&
                   !isdigit((unsigned char)sql[i + 1])) {
            /* $tag$ … $tag$, the tag possibly empty ($1 is a parameter). */
            size_t j = i + 1;
            while (j < len && (isalnum((unsigned char)sql[j]) || sql[j] == '_'))
                j++;
            size_t stop = i + 1;
            if (j < len && sql[j] == '$') {
                size_t tag = j - i + 1;
                const char *end = strstr(sql + j + 1, "$");
                stop = len;
                for (; end; end = strstr(end + 1, "$")) {
                    if (strncmp(end, sql + i, tag) == 0) {
                        stop = (size_t)(end - sql) + tag;
                        break;
                    }
                }
            }
            while (i < stop)
                out[o++] = sql[i++];
        } else if (c == '?') {
            o += (size_t)sprintf(out + o, "$%d", ++count);
            i++;
        } else {
            out[o++] = sql[i++];
        }
    }
    out[o] = '\0';
    *n = count;
    return out;
}

/* ---- statements --------------------------------------------------------- */

static struct gh_db_stmt *stmt_new(struct gh_db *db, const char *sql, bool cached)
{
    struct gh_db_stmt *s = gh_xcalloc(1, sizeof *s);
    s->db = db;
    s->sql = cached ? gh_xstrdup(sql) : NULL;
    s->pg_sql = rewrite_placeholders(sql, &s->nparams);
    size_t np = s->nparams > 0 ? (size_t)s->nparams : 1;
    s->values = gh_xcalloc(np, sizeof *s->values);
    s->types = gh_xcalloc(np, sizeof *s->types);
    s->own = gh_xcalloc(np, sizeof *s->own);
    s->own_cap = gh_xcalloc(np, sizeof *s->own_cap);
    if (cached)
        snprintf(s->name, sizeof s->name, "gh%u", db->next_name++);
    s->row = -1;
    return s;
}

/* Prepares a cached statement on the server if this session has not yet.
 * Done at the first step, once the parameters are bound: a parameter bound
 * as an integer is declared int8, so that SQL giving the server no other
 * clue (SELECT ? + ?) means what it means on SQLite; the others are left to
 * the server to infer from their use. */
static bool ensure_prepared(struct gh_db_stmt *s)
{
    if (!s->sql || s->prepared)
        return true;
    PGresult *res = PQprepare(s->db->conn, s->name, s->pg_sql, s->nparams, s->types);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (ok)
        s->prepared = true;
    else
        set_result_err(s->db, res);
    PQclear(res);
    return ok;
}

/* A statement already handed out (the same SQL used twice at once, e.g.
 * inside a loop over its own rows) gets an uncached twin, run unnamed with
 * PQexecParams and freed on reset. */
static struct gh_db_stmt *pg_prepare(struct gh_db *db, const char *sql)
{
    struct gh_db_stmt *s = gh_stmt_cache_get(&db->cache, sql);
    if (s && s->in_use) {
        s = stmt_new(db, sql, false);
    } else if (!s) {
        s = stmt_new(db, sql, true);
        gh_stmt_cache_put(&db->cache, s->sql, s);
    }
    s->in_use = true;
    return s;
}

static void pg_reset(struct gh_db_stmt *s)
{
    if (!s)
        return;
    if (!s->sql) {
        stmt_free(s);
        return;
    }
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->nrows = 0;
    for (int i = 0; i < s->nparams; i++)
        s->values[i] = NULL;
    s->in_use = false;
}

static enum gh_store_rc bind_range(struct gh_db_stmt *s, int idx)
{
    if (idx >= 1 && idx <= s->nparams)
        return GH_STORE_OK;
    char msg[96];
    snprintf(msg, sizeof msg, "parameter %d out of range (the statement has %d)", idx, s->nparams);
    set_err(s->db, NULL, msg);
    return GH_STORE_ERROR;
}

/* The parameter's own buffer with room for n bytes and a NUL. */
static char *param_buf(struct gh_db_stmt *s, int i, size_t n)
{
    if (s->own_cap[i] < n + 1) {
        size_t cap = n + 1 < 32 ? 32 : n + 1;
        free(s->own[i]);
        s->own[i] = gh_xmalloc(cap);
        s->own_cap[i] = cap;
    }
    return s->own[i];
}

/* Text parameters are copied: libpq's text format needs NUL-terminated
 * values, and the store's strings are length-delimited. */
static enum gh_store_rc pg_bind_text(struct gh_db_stmt *s, int idx, const char *p, size_t n)
{
    enum gh_store_rc rc = bind_range(s, idx);
    if (rc != GH_STORE_OK)
        return rc;
    if (!p) {
        s->values[idx - 1] = NULL;
        return GH_STORE_OK;
    }
    if (memchr(p, '\0', n)) {
        set_err(s->db, NULL, "text parameter contains a NUL byte");
        return GH_STORE_ERROR;
    }
    char *b = param_buf(s, idx - 1, n);
    memcpy(b, p, n);
    b[n] = '\0';
    s->values[idx - 1] = b;
    return GH_STORE_OK;
}

static enum gh_store_rc pg_bind_int64(struct gh_db_stmt *s, int idx, int64_t v)
{
    enum gh_store_rc rc = bind_range(s, idx);
    if (rc != GH_STORE_OK)
        return rc;
    char *b = param_buf(s, idx - 1, 24);
    snprintf(b, 24, "%lld", (long long)v);
    s->values[idx - 1] = b;
    if (!s->prepared)
        s->types[idx - 1] = INT8_OID;
    return GH_STORE_OK;
}

static enum gh_store_rc pg_bind_null(struct gh_db_stmt *s, int idx)
{
    enum gh_store_rc rc = bind_range(s, idx);
    if (rc == GH_STORE_OK)
        s->values[idx - 1] = NULL;
    return rc;
}

static void note_changes(struct gh_db *db, const PGresult *res)
{
    const char *status = PQcmdStatus((PGresult *)res);
    if (strncmp(status, "INSERT", 6) == 0 || strncmp(status, "UPDATE", 6) == 0 ||
        strncmp(status, "DELETE", 6) == 0 || strncmp(status, "MERGE", 5) == 0)
        db->changes = strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

/* The first step runs the statement and keeps its whole result; later
 * steps walk its rows. */
static enum gh_db_step pg_step(struct gh_db_stmt *s)
{
    if (!s->res) {
        struct gh_db *db = s->db;
        if (!ensure_prepared(s))
            return GH_DB_FAIL;
        if (s->sql)
            s->res = PQexecPrepared(db->conn, s->name, s->nparams, s->values, NULL, NULL, 0);
        else
            s->res =
                PQexecParams(db->conn, s->pg_sql, s->nparams, s->types, s->values, NULL, NULL, 0);
        ExecStatusType st = PQresultStatus(s->res);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            set_result_err(db, s->res);
            PQclear(s->res);
            s->res = NULL;
            return GH_DB_FAIL;
        }
        note_changes(db, s->res);
        s->nrows = st == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
        s->row = -1;
    }
    if (s->row + 1 < s->nrows) {
        s->row++;
        return GH_DB_ROW;
    }
    s->row = s->nrows;
    return GH_DB_DONE;
}

static bool has_row(const struct gh_db_stmt *s, int col)
{
    return s->res && s->row >= 0 && s->row < s->nrows && col >= 0 && col < PQnfields(s->res);
}

static const char *pg_column_text(struct gh_db_stmt *s, int col, size_t *len)
{
    if (!has_row(s, col) || PQgetisnull(s->res, s->row, col)) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = (size_t)PQgetlength(s->res, s->row, col);
    return PQgetvalue(s->res, s->row, col);
}

/* Integers arrive as decimal text; a boolean expression as t/f. */
static int64_t pg_column_int64(struct gh_db_stmt *s, int col)
{
    const char *v = pg_column_text(s, col, NULL);
    if (!v)
        return 0;
    if (v[0] == 't' && v[1] == '\0')
        return 1;
    if (v[0] == 'f' && v[1] == '\0')
        return 0;
    return strtoll(v, NULL, 10);
}

static bool pg_column_is_null(struct gh_db_stmt *s, int col)
{
    return !has_row(s, col) || PQgetisnull(s->res, s->row, col);
}

/* ---- transactions ------------------------------------------------------- */

/* Runs one or more statements without parameters; on failure the error is
 * recorded. */
static enum gh_store_rc run_simple(struct gh_db *db, const char *sql, PGresult **keep)
{
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        note_changes(db, res);
        if (keep)
            *keep = res;
        else
            PQclear(res);
        return GH_STORE_OK;
    }
    set_result_err(db, res);
    PQclear(res);
    return gh_db_error_rc(&gh_db_pg_driver, db);
}

static void pg_rollback(struct gh_db *db)
{
    if (PQtransactionStatus(db->conn) == PQTRANS_IDLE || PQstatus(db->conn) != CONNECTION_OK)
        return;
    char saved_state[sizeof db->sqlstate], saved_err[sizeof db->err];
    memcpy(saved_state, db->sqlstate, sizeof saved_state);
    memcpy(saved_err, db->err, sizeof saved_err);
    PGresult *res = PQexec(db->conn, "ROLLBACK");
    PQclear(res);
    memcpy(db->sqlstate, saved_state, sizeof saved_state);
    memcpy(db->err, saved_err, sizeof saved_err);
}

/* See the file comment for why writers take the advisory lock.  On failure
 * no transaction is left open. */
static enum gh_store_rc pg_begin(struct gh_db *db, bool write)
{
    enum gh_store_rc rc = run_simple(db,
                                     write ? "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;"
                                             "SELECT pg_advisory_xact_lock(" WRITER_LOCK_KEY ")"
                                           : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                     NULL);
    if (rc != GH_STORE_OK)
        pg_rollback(db);
    return rc;
}

/* COMMIT of a transaction that had failed reports "ROLLBACK", not an error:
 * that is a failure here. */
static enum gh_store_rc pg_commit(struct gh_db *db)
{
    PGresult *res = NULL;
    enum gh_store_rc rc = run_simple(db, "COMMIT", &res);
    if (rc != GH_STORE_OK)
        return rc;
    if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        set_err(db, NULL, "the transaction had failed and was rolled back");
        rc = GH_STORE_ERROR;
    }
    PQclear(res);
    return rc;
}

static enum gh_store_rc pg_exec(struct gh_db *db, const char *sql)
{
    return run_simple(db, sql, NULL);
}

static enum gh_store_rc pg_announce(struct gh_db *db, const char *origin)
{
    /* origin is hex digits (store.c makes it), safe inside a literal */
    char sql[96 + GH_STORE_ORIGIN_LEN];
    snprintf(sql, sizeof sql, "SELECT pg_notify('" GH_STORE_CHANGES_CHANNEL "', '%s')", origin);
    return run_simple(db, sql, NULL);
}

static int64_t pg_changes(struct gh_db *db)
{
    return db->changes;
}

static const char *pg_errmsg(struct gh_db *db)
{
    return db->err[0] ? db->err : "no error";
}

static bool pg_is_unique_violation(struct gh_db *db)
{
    return strcmp(db->sqlstate, "23505") == 0;
}

static bool pg_is_foreign_key_violation(struct gh_db *db)
{
    return strcmp(db->sqlstate, "23503") == 0;
}

/* serialization_failure, deadlock_detected, lock_not_available */
static bool pg_is_busy(struct gh_db *db)
{
    return strcmp(db->sqlstate, "40001") == 0 || strcmp(db->sqlstate, "40P01") == 0 ||
           strcmp(db->sqlstate, "55P03") == 0;
}

const struct gh_db_driver gh_db_pg_driver = {
    .name = "postgres",
    /* Writers are serialized by the advisory lock anyway; queueing them in
     * the process as well keeps waiting writers from holding connections
     * that readers could use. */
    .single_writer = true,
    .migrations = gh_schema_pg,
    .n_migrations = GH_SCHEMA_VERSION,
    .connect = pg_connect,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .column_text = pg_column_text,
    .column_int64 = pg_column_int64,
    .column_is_null = pg_column_is_null,
    .reset = pg_reset,
    .changes = pg_changes,
    .errmsg = pg_errmsg,
    .is_unique_violation = pg_is_unique_violation,
    .is_foreign_key_violation = pg_is_foreign_key_violation,
    .is_busy = pg_is_busy,
    .announce = pg_announce,
    .alive = pg_alive,
    .reconnect = pg_reconnect,
};
