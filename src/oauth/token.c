/* The token endpoint (see token.h): request decoding, the client_credentials
 * rules, the claims, JWT signing or opaque storage, and the group-commit
 * writer.  The hot path reads only the snapshot; the one exception is the
 * resource → API index, rebuilt from the store once per store generation. */
#include "oauth/token.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "crypto/base64.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "http/form.h"
#include "http/request.h"
#include "oauth/keys.h"
#include "store/entities.h"

#define FORM_MEDIA_TYPE "application/x-www-form-urlencoded"
#define GRANT_CLIENT_CREDENTIALS "client_credentials"
#define JTI_RANDOM_BYTES 16
#define BASIC_MAX 1024 /* decoded Basic credentials: ids and secrets are short */

const char *gh_token_error_name(enum gh_token_error_code code)
{
    switch (code) {
    case GH_TOKEN_OK:
        return "ok";
    case GH_TOKEN_INVALID_REQUEST:
        return "invalid_request";
    case GH_TOKEN_INVALID_CLIENT:
        return "invalid_client";
    case GH_TOKEN_INVALID_GRANT:
        return "invalid_grant";
    case GH_TOKEN_UNAUTHORIZED_CLIENT:
        return "unauthorized_client";
    case GH_TOKEN_UNSUPPORTED_GRANT_TYPE:
        return "unsupported_grant_type";
    case GH_TOKEN_INVALID_SCOPE:
        return "invalid_scope";
    case GH_TOKEN_INVALID_TARGET:
        return "invalid_target";
    case GH_TOKEN_SERVER_ERROR:
        break;
    }
    return "server_error";
}

/* Sets *err and yields false, for "return FAIL(err, code, fmt, ...)".  A
 * macro rather than a variadic function so that static analysers see the
 * false on every failure path. */
#define FAIL(e, c, ...)                                                                            \
    ((e)->code = (c), snprintf((e)->description, sizeof(e)->description, __VA_ARGS__), false)

/* A parameter name fit to quote in a description: printable ASCII, cut short. */
static const char *printable(struct gh_arena *a, struct gh_str s)
{
    size_t n = s.len < 40 ? s.len : 40;
    char *out = gh_arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        out[i] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
    }
    out[n] = '\0';
    return out;
}

/* ---- request decoding --------------------------------------------------------- */

/* Decodes application/x-www-form-urlencoded text (RFC 6749 §2.3.1 applies it
 * to Basic credentials): '+' is a space, %XX a byte.  False when a '%' is not
 * followed by two hex digits or the result holds a NUL byte. */
static bool form_decode(struct gh_arena *a, const char *in, size_t n, struct gh_str *out)
{
    char *d = gh_arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return false;
            int hi = gh_hex_digit((unsigned char)in[i + 1]);
            int lo = gh_hex_digit((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0')
            return false;
        d[k++] = c;
    }
    d[k] = '\0';
    *out = gh_str_n(d, k);
    return true;
}

/* Authorization: Basic <base64(urlencode(id) ":" urlencode(secret))>. */
static bool parse_basic(struct gh_arena *a, struct gh_str auth, struct gh_token_request *out,
                        struct gh_token_error *err)
{
    static const char scheme[] = "Basic";
    const size_t sl = sizeof scheme - 1;
    if (auth.len <= sl || !gh_str_eq_nocase(gh_str_n(auth.ptr, sl), GH_STR(scheme)) ||
        (auth.ptr[sl] != ' ' && auth.ptr[sl] != '\t'))
        return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                    "the Authorization header must use the Basic scheme (client_secret_basic); "
                    "or send client_id and client_secret in the body instead");
    size_t i = sl;
    while (i < auth.len && (auth.ptr[i] == ' ' || auth.ptr[i] == '\t'))
        i++;
    size_t end = auth.len;
    while (end > i && (auth.ptr[end - 1] == ' ' || auth.ptr[end - 1] == '\t'))
        end--;
    size_t n = end - i;
    if (n == 0 || n > BASIC_MAX * 4 / 3 + 4)
        return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                    "the Basic credentials are empty or too long; send "
                    "base64(client_id \":\" client_secret)");
    uint8_t *raw = gh_arena_alloc(a, GH_BASE64_DECODED_MAX(n) + 1);
    size_t rawlen = 0;
    if (!gh_base64_decode(auth.ptr + i, n, raw, GH_BASE64_DECODED_MAX(n), &rawlen))
        return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                    "the Basic credentials are not valid base64; send "
                    "base64(client_id \":\" client_secret)");
    const uint8_t *colon = memchr(raw, ':', rawlen);
    if (!colon)
        return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                    "the Basic credentials have no ':' between client_id and client_secret");
    size_t idlen = (size_t)(colon - raw);
    if (!form_decode(a, (const char *)raw, idlen, &out->client_id) ||
        !form_decode(a, (const char *)colon + 1, rawlen - idlen - 1, &out->client_secret))
        return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                    "the Basic credentials are not correctly form-urlencoded (RFC 6749 2.3.1: "
                    "encode client_id and client_secret before base64)");
    if (out->client_id.len == 0 || out->client_secret.len == 0)
        return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                    "the Basic credentials need both a client_id and a client_secret");
    return true;
}

/* RFC 6749 §3.3: scope = scope-token *( SP scope-token ), scope-token =
 * 1*( %x21 / %x23-5B / %x5D-7E ).  Duplicates are dropped. */
static bool parse_scope(struct gh_arena *a, struct gh_str scope, struct gh_token_request *out,
                        struct gh_token_error *err)
{
    if (scope.len == 0)
        return FAIL(err, GH_TOKEN_INVALID_SCOPE,
                    "scope is empty; leave the parameter out or name at least one scope");
    size_t max = 1;
    for (size_t i = 0; i < scope.len; i++)
        max += scope.ptr[i] == ' ';
    out->scopes = GH_ARENA_ARRAY(a, struct gh_str, max);
    out->nscopes = 0;
    size_t start = 0;
    for (size_t i = 0; i <= scope.len; i++) {
        if (i < scope.len && scope.ptr[i] != ' ') {
            unsigned char c = (unsigned char)scope.ptr[i];
            if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
                return FAIL(err, GH_TOKEN_INVALID_SCOPE,
                            "scope contains a character RFC 6749 3.3 does not allow (only "
                            "printable ASCII except '\"' and '\\', separated by single spaces)");
            continue;
        }
        if (i == start)
            return FAIL(err, GH_TOKEN_INVALID_SCOPE,
                        "scope has an empty entry; separate scopes by single spaces, without "
                        "leading or trailing spaces");
        struct gh_str tok = gh_str_n(scope.ptr + start, i - start);
        bool dup = false;
        for (size_t k = 0; k < out->nscopes && !dup; k++)
            dup = gh_str_eq(out->scopes[k], tok);
        if (!dup)
            out->scopes[out->nscopes++] = tok;
        start = i + 1;
    }
    return true;
}

/* acr_values is a space-separated list (OpenID Connect Core 3.1.2.1); the
 * one this server reads is "tenant:<key>", also written "tenant: <key>"
 * (seed 003).  Other values are voluntary and ignored. */
static bool parse_acr(struct gh_str acr, struct gh_token_request *out, struct gh_token_error *err)
{
    static const char pfx[] = "tenant:";
    const size_t pl = sizeof pfx - 1;
    size_t i = 0;
    while (i < acr.len) {
        while (i < acr.len && acr.ptr[i] == ' ')
            i++;
        size_t start = i;
        while (i < acr.len && acr.ptr[i] != ' ')
            i++;
        struct gh_str tok = gh_str_n(acr.ptr + start, i - start);
        if (tok.len < pl || memcmp(tok.ptr, pfx, pl) != 0)
            continue;
        struct gh_str key = gh_str_n(tok.ptr + pl, tok.len - pl);
        if (key.len == 0) { /* "tenant: <key>": the key is the next value */
            while (i < acr.len && acr.ptr[i] == ' ')
                i++;
            size_t ks = i;
            while (i < acr.len && acr.ptr[i] != ' ')
                i++;
            key = gh_str_n(acr.ptr + ks, i - ks);
        }
        if (key.len == 0)
            return FAIL(err, GH_TOKEN_INVALID_REQUEST,
                        "acr_values has 'tenant:' without a tenant key; send "
                        "acr_values=tenant:<your tenant key>");
        if (out->has_tenant)
            return FAIL(err, GH_TOKEN_INVALID_REQUEST,
                        "acr_values names more than one tenant; send exactly one tenant:<key>");
        out->has_tenant = true;
        out->tenant = key;
    }
    return true;
}

/* A parameter's value as a view, refusing NUL bytes (no identifier has them). */
static bool param(const struct gh_form *form, const char *name, bool *has, struct gh_str *out,
                  struct gh_token_error *err)
{
    const struct gh_str *v = gh_form_get(form, name);
    *has = v != NULL;
    if (!v) {
        *out = GH_STR_NULL;
        return true;
    }
    if (memchr(v->ptr, '\0', v->len))
        return FAIL(err, GH_TOKEN_INVALID_REQUEST, "%s contains a NUL byte (%%00); remove it",
                    name);
    *out = *v;
    return true;
}

bool gh_token_request_parse(struct gh_arena *a, struct gh_str media_type, struct gh_str body,
                            struct gh_str authorization, struct gh_token_request *out,
                            struct gh_token_error *err)
{
    memset(out, 0, sizeof *out);
    err->code = GH_TOKEN_OK;
    err->description[0] = '\0';
    out->header_auth = authorization.len > 0;

    if (!gh_str_eq_c(media_type, FORM_MEDIA_TYPE))
        return FAIL(err, GH_TOKEN_INVALID_REQUEST,
                    "send the parameters as Content-Type: " FORM_MEDIA_TYPE " (RFC 6749 4.4.2)");
    struct gh_form form;
    struct gh_form_error ferr;
    if (!gh_form_parse(a, body.ptr, body.len, GH_FORM_MAX_PAIRS, &form, &ferr))
        return FAIL(err, GH_TOKEN_INVALID_REQUEST, "%s", ferr.message);
    const struct gh_str *rep = gh_form_first_repeated(&form);
    if (rep) {
        if (gh_str_eq_c(*rep, "resource"))
            return FAIL(err, GH_TOKEN_INVALID_TARGET,
                        "resource is repeated; a token is for one resource, send it once");
        return FAIL(err, GH_TOKEN_INVALID_REQUEST,
                    "parameter '%s' is repeated; send each parameter once (RFC 6749 3.2)",
                    printable(a, *rep));
    }

    bool has_grant, has_id, has_secret, has_acr;
    struct gh_str body_id, body_secret, acr;
    if (!param(&form, "grant_type", &has_grant, &out->grant_type, err) ||
        !param(&form, "client_id", &has_id, &body_id, err) ||
        !param(&form, "client_secret", &has_secret, &body_secret, err) ||
        !param(&form, "scope", &out->has_scope, &out->scope, err) ||
        !param(&form, "resource", &out->has_resource, &out->resource, err) ||
        !param(&form, "acr_values", &has_acr, &acr, err))
        return false;

    /* client authentication: exactly one method (RFC 6749 2.3) */
    if (out->header_auth) {
        if (has_secret)
            return FAIL(err, GH_TOKEN_INVALID_REQUEST,
                        "the client authenticated twice (Authorization: Basic and client_secret "
                        "in the body); use one method");
        if (!parse_basic(a, authorization, out, err))
            return false;
        if (has_id && !gh_str_eq(body_id, out->client_id))
            return FAIL(err, GH_TOKEN_INVALID_REQUEST,
                        "client_id in the body differs from the one in Authorization: Basic; "
                        "leave it out or send the same");
    } else {
        if (!has_id || body_id.len == 0)
            return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                        "no client authentication: send client_id and client_secret in the "
                        "body or as Authorization: Basic");
        if (!has_secret || body_secret.len == 0)
            return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                        "client_secret is missing; the client_credentials grant needs the "
                        "app's secret (client_secret_post or client_secret_basic)");
        out->client_id = body_id;
        out->client_secret = body_secret;
    }

    if (!has_grant || out->grant_type.len == 0)
        return FAIL(err, GH_TOKEN_INVALID_REQUEST,
                    "grant_type is missing; send grant_type=" GRANT_CLIENT_CREDENTIALS);
    if (!gh_str_eq_c(out->grant_type, GRANT_CLIENT_CREDENTIALS))
        return FAIL(err, GH_TOKEN_UNSUPPORTED_GRANT_TYPE,
                    "grant_type '%s' is not supported; this server issues tokens for "
                    "grant_type=" GRANT_CLIENT_CREDENTIALS,
                    printable(a, out->grant_type));
    if (out->has_scope && !parse_scope(a, out->scope, out, err))
        return false;
    if (out->has_resource && out->resource.len == 0)
        return FAIL(err, GH_TOKEN_INVALID_TARGET,
                    "resource is empty; name an API's audience (e.g. resource=connectapi) or "
                    "leave it out");
    if (has_acr && !parse_acr(acr, out, err))
        return false;
    return true;
}

/* ---- the resource → API index -------------------------------------------- */

struct aud_entry {
    struct gh_str audience; /* empty: free slot */
    const char *api_id;
};

struct aud_index {
    struct gh_arena *arena;
    struct aud_entry *slots;
    size_t mask;
    uint64_t generation; /* the store generation read before loading */
};

struct pending {
    const struct gh_opaque_token *tok;
    struct pending *next;
    enum gh_store_rc rc;
    bool done;
};

struct gh_token_writer {
    struct gh_store *store;
    pthread_mutex_t mu;
    pthread_cond_t work; /* the thread waits for tokens */
    pthread_cond_t done; /* requests wait for their batch */
    struct pending *head, *tail;
    bool stopping;
    pthread_t thread;
    uint64_t batches, tokens;

    pthread_rwlock_t aud_lock;
    struct aud_index *aud; /* NULL until first needed */
};

static void aud_free(struct aud_index *ix)
{
    if (ix) {
        gh_arena_free(ix->arena);
        free(ix);
    }
}

static const char *aud_find(const struct aud_index *ix, struct gh_str audience)
{
    for (size_t i = gh_str_hash(audience) & ix->mask;; i = (i + 1) & ix->mask) {
        const struct aud_entry *e = &ix->slots[i];
        if (e->audience.len == 0)
            return NULL;
        if (gh_str_eq(e->audience, audience))
            return e->api_id;
    }
}

/* Reads every API's audience from the store.  Audiences are not unique in
 * the store: where two APIs share one, the first the store lists keeps it. */
static struct aud_index *aud_load(struct gh_store *store, char *why, size_t whylen)
{
    uint64_t gen = gh_store_generation(store);
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(store, GH_TX_READ, &tx);
    if (rc != GH_STORE_OK) {
        snprintf(why, whylen, "%s", gh_store_rc_name(rc));
        return NULL;
    }
    struct aud_index *ix = gh_xcalloc(1, sizeof *ix);
    ix->arena = gh_arena_new(4096);
    ix->generation = gen;
    struct gh_api *apis = NULL;
    size_t n = 0;
    rc = gh_store_api_list(tx, &(struct gh_page){0}, ix->arena, &apis, &n);
    if (rc != GH_STORE_OK) {
        snprintf(why, whylen, "%s", gh_store_tx_error(tx));
        gh_store_rollback(tx);
        aud_free(ix);
        return NULL;
    }
    gh_store_rollback(tx); /* read-only: nothing to commit */
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    ix->slots = GH_ARENA_ARRAY(ix->arena, struct aud_entry, cap);
    ix->mask = cap - 1;
    for (size_t k = 0; k < n; k++) {
        if (!apis[k].audience || !apis[k].audience[0])
            continue;
        struct gh_str aud = gh_str_c(apis[k].audience);
        size_t i = gh_str_hash(aud) & ix->mask;
        while (ix->slots[i].audience.len && !gh_str_eq(ix->slots[i].audience, aud))
            i = (i + 1) & ix->mask;
        if (ix->slots[i].audience.len == 0)
            ix->slots[i] = (struct aud_entry){aud, apis[k].id};
    }
    return ix;
}

/* The API of snapshot s whose audience is resource: *api NULL when none.
 * False when the index could not be (re)built (logged). */
static bool api_by_audience(struct gh_token_writer *w, const struct gh_snapshot *s,
                            struct gh_str resource, const struct gh_api **api)
{
    uint64_t want = gh_snapshot_generation(s);
    *api = NULL;
    pthread_rwlock_rdlock(&w->aud_lock);
    if (w->aud && w->aud->generation >= want) {
        const char *id = aud_find(w->aud, resource);
        if (id)
            *api = gh_snapshot_api_by_id(s, gh_str_c(id));
        pthread_rwlock_unlock(&w->aud_lock);
        return true;
    }
    pthread_rwlock_unlock(&w->aud_lock);

    pthread_rwlock_wrlock(&w->aud_lock);
    bool ok = true;
    if (!w->aud || w->aud->generation < want) {
        char why[256];
        struct aud_index *fresh = aud_load(w->store, why, sizeof why);
        if (fresh) {
            aud_free(w->aud);
            w->aud = fresh;
        } else {
            gh_log_msg_str(GH_LOG_ERROR, "oauth.audience_index_failed", "error", why);
            ok = false;
        }
    }
    if (ok) {
        const char *id = aud_find(w->aud, resource);
        if (id)
            *api = gh_snapshot_api_by_id(s, gh_str_c(id));
    }
    pthread_rwlock_unlock(&w->aud_lock);
    return ok;
}

/* ---- group commit ----------------------------------------------------------------- */

/* One transaction for the batch; when it fails, each token gets its own so
 * one bad row does not cost the others theirs. */
static void commit_batch(struct gh_token_writer *w, struct pending *batch)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(w->store, GH_TX_WRITE, &tx);
    if (rc == GH_STORE_OK) {
        for (struct pending *p = batch; p && rc == GH_STORE_OK; p = p->next)
            rc = gh_store_opaque_token_insert(tx, p->tok);
        if (rc == GH_STORE_OK) {
            rc = gh_store_commit(tx);
        } else {
            gh_store_rollback(tx);
        }
    }
    if (rc == GH_STORE_OK) {
        for (struct pending *p = batch; p; p = p->next)
            p->rc = GH_STORE_OK;
        return;
    }
    for (struct pending *p = batch; p; p = p->next) {
        p->rc = gh_store_begin(w->store, GH_TX_WRITE, &tx);
        if (p->rc != GH_STORE_OK)
            continue;
        p->rc = gh_store_opaque_token_insert(tx, p->tok);
        if (p->rc == GH_STORE_OK) {
            p->rc = gh_store_commit(tx);
        } else {
            gh_store_rollback(tx);
        }
    }
}

/* Takes everything pending (up to GH_TOKEN_WRITER_MAX_BATCH) as one batch.
 * No timed linger: while one batch commits the next one fills, so batches
 * grow with the load and a lone request is not delayed. */
static void *writer_main(void *arg)
{
    struct gh_token_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->work, &w->mu);
        if (!w->head)
            break; /* stopping and nothing left */
        struct pending *batch = w->head, *last = batch;
        size_t n = 1;
        while (last->next && n < GH_TOKEN_WRITER_MAX_BATCH) {
            last = last->next;
            n++;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->mu);

        commit_batch(w, batch);

        pthread_mutex_lock(&w->mu);
        size_t ok = 0;
        for (struct pending *p = batch; p;) {
            struct pending *next = p->next; /* p lives on its waiter's stack */
            ok += p->rc == GH_STORE_OK;
            p->done = true;
            p = next;
        }
        w->batches++;
        w->tokens += ok;
        pthread_cond_broadcast(&w->done);
        if (ok < n) {
            struct gh_log_line l;
            if (gh_log_begin(&l, GH_LOG_ERROR, "oauth.token_write_failed")) {
                gh_log_int(&l, "failed", (int64_t)(n - ok));
                gh_log_int(&l, "batch", (int64_t)n);
                gh_log_end(&l);
            }
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct gh_token_writer *gh_token_writer_start(struct gh_oauth *o, char *err, size_t errlen)
{
    struct gh_token_writer *w = gh_xcalloc(1, sizeof *w);
    w->store = o->store;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->done, NULL);
    pthread_rwlock_init(&w->aud_lock, NULL);
    int e = pthread_create(&w->thread, NULL, writer_main, w);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the token writer thread: %s", strerror(e));
        pthread_rwlock_destroy(&w->aud_lock);
        pthread_cond_destroy(&w->done);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void gh_token_writer_stop(struct gh_token_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    aud_free(w->aud);
    pthread_rwlock_destroy(&w->aud_lock);
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

enum gh_store_rc gh_token_writer_put(struct gh_token_writer *w, const struct gh_opaque_token *t)
{
    struct pending p = {.tok = t, .rc = GH_STORE_ERROR};
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        return GH_STORE_ERROR;
    }
    /* p lives on this stack until the writer marks it done, below */
    if (w->tail)
        w->tail->next = &p;
    else
        w->head = &p; // cppcheck-suppress autoVariables
    w->tail = &p;     // cppcheck-suppress autoVariables
    pthread_cond_signal(&w->work);
    while (!p.done)
        pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
    return p.rc;
}

void gh_token_writer_stats(struct gh_token_writer *w, uint64_t *batches, uint64_t *tokens)
{
    pthread_mutex_lock(&w->mu);
    *batches = w->batches;
    *tokens = w->tokens;
    pthread_mutex_unlock(&w->mu);
}

/* ---- answers ----------------------------------------------------------------- */

static void no_store(struct gh_req *req)
{
    gh_resp_header(req, "Cache-Control", "no-store");
    gh_resp_header(req, "Pragma", "no-cache");
}

/* RFC 6749 §5.2: 400, or 401 for invalid_client (with a Basic challenge when
 * the client tried the Authorization header), 500 for server_error. */
static void send_error(struct gh_req *req, const struct gh_token_error *err, bool header_auth,
                       struct gh_str client_id)
{
    int status = 400;
    if (err->code == GH_TOKEN_INVALID_CLIENT) {
        status = 401;
        if (header_auth)
            gh_resp_header(req, "WWW-Authenticate", "Basic realm=\"gatehouse\"");
    } else if (err->code == GH_TOKEN_SERVER_ERROR) {
        status = 500;
    }
    no_store(req);
    struct gh_buf b;
    gh_buf_init(&b, req->arena, 256);
    gh_buf_puts(&b, "{\"error\":");
    const char *name = gh_token_error_name(err->code);
    gh_buf_put_json_str(&b, name, strlen(name));
    gh_buf_puts(&b, ",\"error_description\":");
    gh_buf_put_json_str(&b, err->description, strlen(err->description));
    gh_buf_putc(&b, '}');
    gh_resp_json(req, status, &b);

    struct gh_log_line l;
    if (gh_log_begin(&l, status == 500 ? GH_LOG_ERROR : GH_LOG_INFO, "oauth.token_refused")) {
        gh_log_str(&l, "error", name);
        if (client_id.len)
            gh_log_strn(&l, "client_id", client_id.ptr, client_id.len);
        gh_log_end(&l);
    }
}

static void put_json_list(struct gh_buf *b, const struct gh_strlist *l)
{
    gh_buf_putc(b, '[');
    for (size_t i = 0; l && i < l->n; i++) {
        if (i)
            gh_buf_putc(b, ',');
        gh_buf_put_json_str(b, l->items[i], strlen(l->items[i]));
    }
    gh_buf_putc(b, ']');
}

/* What the token grants, decided against the snapshot. */
struct grant {
    const struct gh_app *app;
    const struct gh_org *org;
    const struct gh_api *api; /* the requested resource's API, or NULL */
    struct gh_str scope;      /* space-separated; empty: none */
    const char *audience;     /* NULL: none */
};

/* The rules of issue 5 in order: client authentication, client type and
 * state, grant type, tenant, scopes, resource. */
static bool decide(struct gh_oauth *o, struct gh_req *req, const struct gh_snapshot *s,
                   const struct gh_token_request *tr, int64_t now, struct grant *g,
                   struct gh_token_error *err)
{
    const struct gh_app *app = gh_snapshot_app_by_client_id(s, tr->client_id);
    if (!app)
        return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                    "client authentication failed: unknown client_id or wrong client_secret");
    if (!app->confidential)
        return FAIL(err, GH_TOKEN_UNAUTHORIZED_CLIENT,
                    "the app is public (not confidential); client_credentials needs a "
                    "confidential app with a client secret");
    const char *secret = tr->client_secret.ptr;
    size_t slen = tr->client_secret.len;
    bool ok = app->client_secret_hash &&
              gh_secret_verify(o->key, o->key_len, secret, slen, app->client_secret_hash);
    if (!ok && app->previous_secret_hash && now < app->previous_secret_expires_at)
        ok = gh_secret_verify(o->key, o->key_len, secret, slen, app->previous_secret_hash);
    if (!ok)
        return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                    "client authentication failed: unknown client_id or wrong client_secret");
    if (app->disabled)
        return FAIL(err, GH_TOKEN_INVALID_CLIENT,
                    "the app is disabled; an admin of the app must enable it again");
    if (app->grant_types.n > 0 &&
        !gh_strlist_has(&app->grant_types, GH_STR(GRANT_CLIENT_CREDENTIALS)))
        return FAIL(err, GH_TOKEN_UNAUTHORIZED_CLIENT,
                    "the app may not use the client_credentials grant; add it to the app's "
                    "grant_types");

    const struct gh_org *org = gh_snapshot_app_org(s, app);
    /* A tenant that is not the app's partner: the request is well-formed,
     * but the client's credentials grant nothing for that tenant, which is
     * RFC 6749's invalid_grant rather than invalid_request. */
    if (tr->has_tenant && (!org || !org->tenant || !gh_str_eq_c(tr->tenant, org->tenant)))
        return FAIL(err, GH_TOKEN_INVALID_GRANT,
                    "acr_values tenant '%s' is not this app's partner tenant; send "
                    "acr_values=tenant:<the tenant key of the app's organisation>",
                    printable(req->arena, tr->tenant));

    struct gh_buf sc;
    gh_buf_init(&sc, req->arena, 64);
    if (tr->has_scope) {
        for (size_t i = 0; i < tr->nscopes; i++) {
            if (app->scopes.n > 0 && !gh_strlist_has(&app->scopes, tr->scopes[i]))
                return FAIL(err, GH_TOKEN_INVALID_SCOPE,
                            "scope '%s' is not among the app's scopes; request only scopes "
                            "the app has",
                            printable(req->arena, tr->scopes[i]));
            if (i)
                gh_buf_putc(&sc, ' ');
            gh_buf_put(&sc, tr->scopes[i].ptr, tr->scopes[i].len);
        }
    } else {
        for (size_t i = 0; i < app->scopes.n; i++) {
            if (i)
                gh_buf_putc(&sc, ' ');
            gh_buf_puts(&sc, app->scopes.items[i]);
        }
    }

    g->api = NULL;
    g->audience = o->cfg.default_audience;
    if (tr->has_resource) {
        if (!o->writer || !api_by_audience(o->writer, s, tr->resource, &g->api))
            return FAIL(err, GH_TOKEN_SERVER_ERROR,
                        "the server cannot look up resources now; try again later");
        if (!g->api)
            return FAIL(err, GH_TOKEN_INVALID_TARGET,
                        "resource '%s' is not the audience of any API; ask the API provider "
                        "for its audience (e.g. connectapi)",
                        printable(req->arena, tr->resource));
        g->audience = g->api->audience;
    }
    g->app = app;
    g->org = org;
    g->scope = gh_str_n(sc.data ? sc.data : "", sc.len);
    return true;
}

/* The RFC 9068 claims (and seed 001's tenant, customer_numbers, services)
 * as compact JSON into b, and app_id, the app the token belongs to. */
static void write_claims(struct gh_oauth *o, const struct gh_snapshot *s, const struct grant *g,
                         int64_t now, int64_t lifetime, struct gh_buf *b)
{
    uint8_t rnd[JTI_RANDOM_BYTES];
    char jti[GH_BASE64URL_LEN(JTI_RANDOM_BYTES) + 1];
    gh_random_bytes(rnd, sizeof rnd);
    gh_base64url_encode(rnd, sizeof rnd, jti);

    gh_buf_puts(b, "{\"iss\":");
    gh_buf_put_json_str(b, o->cfg.issuer, strlen(o->cfg.issuer));
    gh_buf_puts(b, ",\"sub\":");
    gh_buf_put_json_str(b, g->app->client_id, strlen(g->app->client_id));
    if (g->audience) {
        gh_buf_puts(b, ",\"aud\":");
        gh_buf_put_json_str(b, g->audience, strlen(g->audience));
    }
    gh_buf_puts(b, ",\"exp\":");
    gh_buf_put_i64(b, now + lifetime);
    gh_buf_puts(b, ",\"iat\":");
    gh_buf_put_i64(b, now);
    gh_buf_puts(b, ",\"jti\":");
    gh_buf_put_json_str(b, jti, strlen(jti));
    gh_buf_puts(b, ",\"client_id\":");
    gh_buf_put_json_str(b, g->app->client_id, strlen(g->app->client_id));
    /* the app itself: a client_id can pass to another app (custom
     * credentials) after this one is deleted, its tokens must not */
    gh_buf_puts(b, ",\"app_id\":");
    gh_buf_put_json_str(b, g->app->id, strlen(g->app->id));
    if (g->scope.len) {
        gh_buf_puts(b, ",\"scope\":");
        gh_buf_put_json_str(b, g->scope.ptr, g->scope.len);
    }
    if (g->org && g->org->tenant) {
        gh_buf_puts(b, ",\"tenant\":");
        gh_buf_put_json_str(b, g->org->tenant, strlen(g->org->tenant));
    }
    gh_buf_puts(b, ",\"customer_numbers\":");
    put_json_list(b, g->org ? &g->org->customer_numbers : NULL);
    gh_buf_puts(b, ",\"services\":");
    const struct gh_strlist *services = gh_snapshot_app_services(s, g->app);
    if (g->api) {
        /* a token for one API carries that API's service only */
        bool has = g->api->service && gh_strlist_has(services, gh_str_c(g->api->service));
        struct gh_strlist one = {has ? 1 : 0, (char **)&g->api->service};
        put_json_list(b, &one);
    } else {
        put_json_list(b, services);
    }
    gh_buf_putc(b, '}');
}

static void token_handler(struct gh_req *req)
{
    struct gh_oauth *o = req->route->ctx;
    struct gh_token_request tr;
    struct gh_token_error err;
    if (!gh_token_request_parse(req->arena, gh_req_media_type(req), req->body,
                                gh_req_header_str(req, "Authorization"), &tr, &err)) {
        send_error(req, &err, tr.header_auth, tr.client_id);
        return;
    }

    int64_t now = (int64_t)time(NULL);
    char stale[256];
    if (gh_snapshot_holder_stale(o->snapshot, now * 1000, stale, sizeof stale)) {
        /* several nodes: this one lost the database too long ago (RFC 6749
         * has no code for it; temporarily_unavailable is the authorization
         * endpoint's) */
        no_store(req);
        gh_resp_header(req, "Retry-After", "5");
        struct gh_buf b;
        gh_buf_init(&b, req->arena, 384);
        gh_buf_puts(&b, "{\"error\":\"temporarily_unavailable\",\"error_description\":");
        gh_buf_put_json_str(&b, stale, strlen(stale));
        gh_buf_putc(&b, '}');
        gh_resp_json(req, 503, &b);
        return;
    }
    const struct gh_snapshot *s = gh_snapshot_acquire(o->snapshot);
    struct grant g = {0};
    if (!decide(o, req, s, &tr, now, &g, &err)) {
        gh_snapshot_release(o->snapshot, s);
        send_error(req, &err, tr.header_auth, tr.client_id);
        return;
    }
    int64_t lifetime = g.app->access_token_validity_secs > 0 ? g.app->access_token_validity_secs
                       : o->cfg.default_token_secs > 0       ? o->cfg.default_token_secs
                                                             : GH_OAUTH_DEFAULT_TOKEN_SECS;
    struct gh_buf claims;
    gh_buf_init(&claims, req->arena, 512);
    write_claims(o, s, &g, now, lifetime, &claims);

    const char *token = NULL;
    size_t token_len = 0;
    if (g.app->token_type == GH_TOKEN_UUID) {
        char *secret =
            gh_arena_alloc(req->arena, GH_SECRET_SIZE(sizeof GH_OPAQUE_TOKEN_PREFIX - 1));
        token_len = gh_secret_generate(GH_OPAQUE_TOKEN_PREFIX, secret,
                                       GH_SECRET_SIZE(sizeof GH_OPAQUE_TOKEN_PREFIX - 1));
        char hash[65];
        gh_sha256_hex(secret, token_len, hash);
        struct gh_opaque_token row = {
            .token_hash = hash,
            .app_id = gh_arena_strdup(req->arena, g.app->id),
            .client_id = gh_arena_strdup(req->arena, g.app->client_id),
            .claims_json = claims.data,
            .issued_at = now,
            .expires_at = now + lifetime,
        };
        gh_snapshot_release(o->snapshot, s);
        if (!o->writer || gh_token_writer_put(o->writer, &row) != GH_STORE_OK) {
            (void)FAIL(&err, GH_TOKEN_SERVER_ERROR,
                       "the token could not be stored; try again later");
            send_error(req, &err, tr.header_auth, tr.client_id);
            return;
        }
        token = secret;
    } else {
        const struct gh_jws_key *key = gh_keyring_signing(o, s);
        gh_snapshot_release(o->snapshot, s);
        if (!key) {
            (void)FAIL(&err, GH_TOKEN_SERVER_ERROR, "no signing key is available; try again later");
            send_error(req, &err, tr.header_auth, tr.client_id);
            return;
        }
        /* header ≤ 200 characters plus kid, payload 4/3, signature ≤ 683 (RSA 4096) */
        size_t cap = 1024 + strlen(gh_jws_key_kid(key)) * 2 + claims.len * 4 / 3;
        char *jwt = gh_arena_alloc(req->arena, cap);
        token_len = gh_jws_sign(key, "at+jwt", claims.data, claims.len, jwt, cap);
        if (token_len == 0) {
            (void)FAIL(&err, GH_TOKEN_SERVER_ERROR, "signing the token failed; try again later");
            send_error(req, &err, tr.header_auth, tr.client_id);
            return;
        }
        token = jwt;
    }

    struct gh_buf b;
    gh_buf_init(&b, req->arena, token_len + g.scope.len + 96);
    gh_buf_puts(&b, "{\"access_token\":");
    gh_buf_put_json_str(&b, token, token_len);
    gh_buf_puts(&b, ",\"token_type\":\"Bearer\",\"expires_in\":");
    gh_buf_put_i64(&b, lifetime);
    if (g.scope.len) {
        gh_buf_puts(&b, ",\"scope\":");
        gh_buf_put_json_str(&b, g.scope.ptr, g.scope.len);
    }
    gh_buf_putc(&b, '}');
    no_store(req);
    gh_resp_json(req, 200, &b);
}

bool gh_oauth_register_token(struct gh_router *r, struct gh_oauth *o)
{
    return gh_router_add(r, GH_POST, "/connect/token", token_handler, o) &&
           gh_router_add(r, GH_POST, "/oauth2/token", token_handler, o);
}
