#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "crypto/aead.h"
#include "crypto/jws.h"
#include "http/server.h"
#include "oauth/keys.h"
#include "oauth/oauth.h"
#include "store/snapshot.h"
#include "store/store.h"
#include "../support/store_fixture.h"

#define T0 1800000000 /* 2027-01-15: a fixed "now" */
#define LEAD 3600

struct env {
    struct gh_fixture_db db;
    struct gh_oauth o;
    struct gh_arena *arena;
};

static void init_oauth(struct gh_oauth *o, struct gh_store *store, struct gh_snapshot_holder *h,
                       uint8_t seal_byte)
{
    memset(o, 0, sizeof *o);
    o->store = store;
    o->snapshot = h;
    memset(o->seal_key, seal_byte, sizeof o->seal_key);
    o->cfg = (struct gh_oauth_config){.issuer = "http://127.0.0.1:8080",
                                      .default_token_secs = GH_OAUTH_DEFAULT_TOKEN_SECS,
                                      .alg = GH_JWS_ES256,
                                      .key_lead_secs = LEAD,
                                      .jwks_max_age_secs = 300};
    o->keyring = gh_keyring_new();
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    char err[256] = "";
    assert_true(gh_fixture_db_init(&e->db));
    struct gh_store *store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!store)
        fail_msg("store: %s", err);
    struct gh_snapshot_holder *h = gh_snapshot_holder_new();
    assert_true(gh_snapshot_refresh(h, store));
    gh_snapshot_holder_watch(h, store);
    init_oauth(&e->o, store, h, 0x5a);
    e->arena = gh_arena_new(8192);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    gh_snapshot_holder_unwatch(e->o.snapshot);
    gh_store_close(e->o.store);
    gh_snapshot_holder_free(e->o.snapshot);
    gh_keyring_free(e->o.keyring);
    gh_arena_free(e->arena);
    gh_fixture_db_done(&e->db);
    free(e);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

struct key_view {
    char kid[64];
    char alg[16];
    enum gh_key_state state;
    int64_t activated_at, retired_at, publish_until;
};

/* The snapshot's keys (copied out, so the snapshot can be released). */
static size_t snapshot_keys(struct env *e, struct key_view *out, size_t cap)
{
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    size_t n = 0;
    const struct gh_signing_key *keys = gh_snapshot_signing_keys(s, &n);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].kid, sizeof out[i].kid, "%s", keys[i].kid);
        snprintf(out[i].alg, sizeof out[i].alg, "%s", keys[i].alg);
        out[i].state = keys[i].state;
        out[i].activated_at = keys[i].activated_at;
        out[i].retired_at = keys[i].retired_at;
        out[i].publish_until = keys[i].publish_until;
    }
    gh_snapshot_release(e->o.snapshot, s);
    return n;
}

static const struct key_view *find_view(const struct key_view *v, size_t n, const char *kid)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].kid, kid) == 0)
            return &v[i];
    return NULL;
}

/* The kid gh_keyring_signing signs with now (into out), "" when none. */
static void signing_kid(struct env *e, char *out, size_t len)
{
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    const struct gh_jws_key *k = gh_keyring_signing(&e->o, s);
    snprintf(out, len, "%s", k ? gh_jws_key_kid(k) : "");
    gh_snapshot_release(e->o.snapshot, s);
}

/* The kids of the JWKS document at now, as one space-separated string. */
static void jwks_kids(struct env *e, int64_t now, char *out, size_t len)
{
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    size_t n = 0;
    const char *doc = gh_keys_jwks_json(&e->o, s, now, e->arena, &n);
    gh_snapshot_release(e->o.snapshot, s);
    assert_int_equal(strlen(doc), n);
    json_error_t jerr;
    json_t *root = json_loadb(doc, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        fail_msg("JWKS does not parse: %s: %s", jerr.text, doc);
    json_t *keys = json_object_get(root, "keys");
    assert_true(json_is_array(keys));
    assert_int_equal(json_object_size(root), 1);
    out[0] = '\0';
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        assert_string_equal(json_string_value(json_object_get(k, "use")), "sig");
        assert_null(json_object_get(k, "d")); /* never the private part */
        const char *kid = json_string_value(json_object_get(k, "kid"));
        assert_non_null(kid);
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", used ? " " : "", kid);
    }
    json_decref(root);
}

static void ensure(struct env *e, int64_t now)
{
    char err[256] = "";
    if (!gh_keys_ensure(&e->o, now, err, sizeof err))
        fail_msg("ensure: %s", err);
}

static void rotate(struct env *e, int64_t now, char kid[64])
{
    char err[256] = "";
    if (!gh_keys_rotate(&e->o, GH_JWS_ES256, LEAD, now, kid, err, sizeof err))
        fail_msg("rotate: %s", err);
}

static void capture_start(int fds[2])
{
    assert_int_equal(pipe(fds), 0);
    gh_log_set_fd(fds[1]);
}

static char *capture_end(int fds[2])
{
    gh_log_set_fd(-1);
    close(fds[1]);
    static char buf[16384];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- lifecycle ---------------------------------------------------------- */

static void test_ensure_creates_one_active_key(void **state)
{
    struct env *e = *state;
    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 0);
    char none[64];
    int fds[2];
    capture_start(fds);
    signing_kid(e, none, sizeof none);
    assert_non_null(strstr(capture_end(fds), "oauth.no_signing_key"));
    assert_string_equal(none, "");

    ensure(e, T0);
    assert_int_equal(snapshot_keys(e, v, 8), 1);
    assert_int_equal(v[0].state, GH_KEY_ACTIVE);
    assert_string_equal(v[0].alg, "ES256");
    assert_int_equal(v[0].activated_at, T0);
    assert_int_equal(strlen(v[0].kid), 16);
    char kid[64];
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, v[0].kid);

    /* idempotent: a second start adds nothing and writes nothing */
    uint64_t gen = gh_store_generation(e->o.store);
    ensure(e, T0 + 60);
    assert_int_equal(snapshot_keys(e, v, 8), 1);
    assert_int_equal(gh_store_generation(e->o.store), gen);
    char jwks[256];
    jwks_kids(e, T0, jwks, sizeof jwks);
    assert_string_equal(jwks, kid);
}

/* Parsed once: every call answers the same key object. */
static void test_keyring_parses_once(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    const struct gh_jws_key *a = gh_keyring_signing(&e->o, s);
    const struct gh_jws_key *b = gh_keyring_signing(&e->o, s);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_equal(gh_keyring_by_kid(&e->o, s, gh_jws_key_kid(a)), a);
    assert_null(gh_keyring_by_kid(&e->o, s, "no-such-kid"));
    gh_snapshot_release(e->o.snapshot, s);
}

/* The stored row: the private key sealed under the seal key with the kid as
 * associated data; the public JWK verifies what the private key signs. */
static void test_stored_key_is_sealed_and_matches_its_jwk(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->o.store, GH_TX_READ, &tx), GH_STORE_OK);
    struct gh_signing_key *rows = NULL;
    size_t n = 0;
    assert_int_equal(gh_store_signing_key_list(tx, NULL, e->arena, &rows, &n), GH_STORE_OK);
    gh_store_rollback(tx);
    assert_int_equal(n, 1);

    uint8_t *plain = NULL;
    size_t plain_len = 0;
    assert_true(gh_aead_open(e->o.seal_key, rows[0].kid, strlen(rows[0].kid),
                             rows[0].private_key_enc, &plain, &plain_len));
    struct gh_jws_key *priv = gh_jws_key_from_der(GH_JWS_ES256, rows[0].kid, plain, plain_len);
    assert_non_null(priv);
    free(plain);
    /* bound to its kid */
    assert_false(gh_aead_open(e->o.seal_key, "another-kid", 11, rows[0].private_key_enc, &plain,
                              &plain_len));

    static const char payload[] = "{\"sub\":\"x\"}";
    char jws[1024];
    size_t jn = gh_jws_sign(priv, "at+jwt", payload, sizeof payload - 1, jws, sizeof jws);
    assert_true(jn > 0);
    struct gh_jws_key *pub = gh_jws_key_from_jwk(rows[0].public_jwk, strlen(rows[0].public_jwk));
    assert_non_null(pub);
    char out[256];
    size_t out_len = 0;
    assert_true(gh_jws_verify(jws, jn, pub, out, sizeof out, &out_len));
    assert_string_equal(out, payload);
    gh_jws_key_free(pub);
    gh_jws_key_free(priv);
}

static void test_rotate_publishes_next_without_signing(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char first[64], next[64], kid[64];
    signing_kid(e, first, sizeof first);
    rotate(e, T0 + 10, next);
    assert_string_not_equal(next, first);

    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 2);
    const struct key_view *nv = find_view(v, 2, next);
    assert_non_null(nv);
    assert_int_equal(nv->state, GH_KEY_NEXT);
    assert_int_equal(nv->activated_at, T0 + 10 + LEAD);

    /* in JWKS at once (signing key first), but not signing */
    char jwks[256], want[256];
    jwks_kids(e, T0 + 10, jwks, sizeof jwks);
    snprintf(want, sizeof want, "%s %s", first, next);
    assert_string_equal(jwks, want);
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, first);

    /* before the lead time is up a tick changes nothing and writes nothing */
    uint64_t gen = gh_store_generation(e->o.store);
    gh_keys_tick(&e->o, T0 + 10 + LEAD - 1);
    assert_int_equal(gh_store_generation(e->o.store), gen);
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, first);

    char err[128] = "";
    assert_false(gh_keys_rotate(&e->o, GH_JWS_ES256, -1, T0, kid, err, sizeof err));
    assert_non_null(strstr(err, "lead time"));
}

static void put_app(struct env *e, int64_t validity)
{
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->o.store, GH_TX_WRITE, &tx), GH_STORE_OK);
    struct gh_org org = {.id = "org_p", .name = "p", .partner = true, .tenant = "p"};
    assert_int_equal(gh_store_org_insert(tx, &org), GH_STORE_OK);
    struct gh_app app = {.id = "app_a",
                         .org_id = "org_p",
                         .name = "a",
                         .client_id = "client-a",
                         .confidential = true,
                         .access_token_validity_secs = validity};
    assert_int_equal(gh_store_app_insert(tx, &app), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
}

static void test_tick_promotes_and_retires(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char first[64], next[64], kid[64];
    signing_kid(e, first, sizeof first);
    rotate(e, T0, next);

    int64_t due = T0 + LEAD;
    gh_keys_tick(&e->o, due);
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, next);

    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 2);
    const struct key_view *old = find_view(v, 2, first);
    assert_int_equal(old->state, GH_KEY_RETIRED);
    assert_int_equal(old->retired_at, due);
    /* published for the longest token lifetime: the default 24 h here */
    assert_int_equal(old->publish_until, due + GH_OAUTH_DEFAULT_TOKEN_SECS);
    assert_int_equal(find_view(v, 2, next)->state, GH_KEY_ACTIVE);

    /* the retired key still verifies its tokens and is still in JWKS */
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    assert_non_null(gh_keyring_by_kid(&e->o, s, first));
    gh_snapshot_release(e->o.snapshot, s);
    char jwks[256], want[256];
    jwks_kids(e, due, jwks, sizeof jwks);
    snprintf(want, sizeof want, "%s %s", next, first);
    assert_string_equal(jwks, want);

    /* nothing more to do: no write */
    uint64_t gen = gh_store_generation(e->o.store);
    gh_keys_tick(&e->o, due + 5);
    assert_int_equal(gh_store_generation(e->o.store), gen);
}

/* `gatehouse keys rotate` run beside a running server commits through
 * another store handle, which does not refresh this process's snapshot:
 * the next tick notices and reloads it, so the key reaches JWKS within a
 * tick, and is promoted on time. */
static void test_tick_learns_rotation_by_another_process(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char first[64], next[64], jwks[256], kid[64];
    signing_kid(e, first, sizeof first);

    char err[256] = "";
    struct gh_store *cli_store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!cli_store)
        fail_msg("store: %s", err);
    struct gh_oauth cli = e->o;
    cli.store = cli_store;
    cli.keyring = NULL;
    if (!gh_keys_rotate(&cli, GH_JWS_ES256, LEAD, T0, next, err, sizeof err))
        fail_msg("rotate: %s", err);
    gh_store_close(cli_store);

    jwks_kids(e, T0, jwks, sizeof jwks);
    assert_string_equal(jwks, first); /* not seen yet */
    gh_keys_tick(&e->o, T0 + 5);
    jwks_kids(e, T0 + 5, jwks, sizeof jwks);
    char want[256];
    snprintf(want, sizeof want, "%s %s", first, next);
    assert_string_equal(jwks, want);
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, first);

    /* in step again: further ticks write nothing */
    uint64_t gen = gh_store_generation(e->o.store);
    gh_keys_tick(&e->o, T0 + 10);
    assert_int_equal(gh_store_generation(e->o.store), gen);

    gh_keys_tick(&e->o, T0 + LEAD);
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, next);
}

/* An app whose tokens live longer than the default keeps retired keys
 * published that much longer. */
static void test_retirement_covers_longest_app_lifetime(void **state)
{
    struct env *e = *state;
    put_app(e, 3 * 86400);
    ensure(e, T0);
    char first[64], next[64];
    signing_kid(e, first, sizeof first);
    rotate(e, T0, next);
    gh_keys_tick(&e->o, T0 + LEAD + 2);
    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 2);
    assert_int_equal(find_view(v, 2, first)->publish_until, T0 + LEAD + 2 + 3 * 86400);
}

static void test_retired_key_leaves_jwks_after_publish_until(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char first[64], next[64], jwks[256];
    signing_kid(e, first, sizeof first);
    rotate(e, T0, next);
    gh_keys_tick(&e->o, T0 + LEAD);
    int64_t until = T0 + LEAD + GH_OAUTH_DEFAULT_TOKEN_SECS;

    jwks_kids(e, until - 1, jwks, sizeof jwks);
    assert_non_null(strstr(jwks, first));
    /* gone from the document at publish_until even before a tick (same
     * snapshot: the cached document expires with the key) */
    jwks_kids(e, until, jwks, sizeof jwks);
    assert_string_equal(jwks, next);

    /* and the tick removes its row */
    gh_keys_tick(&e->o, until);
    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 1);
    assert_string_equal(v[0].kid, next);
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    assert_null(gh_keyring_by_kid(&e->o, s, first));
    gh_snapshot_release(e->o.snapshot, s);
    jwks_kids(e, until, jwks, sizeof jwks);
    assert_string_equal(jwks, next);
}

/* A server started with another master key cannot use the stored key: it
 * says so once in the log (with the kid, never key material) and signs
 * nothing. */
static void test_wrong_seal_key_makes_key_unusable(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char kid[64];
    signing_kid(e, kid, sizeof kid);

    struct gh_oauth other;
    init_oauth(&other, e->o.store, e->o.snapshot, 0x77);
    int fds[2];
    capture_start(fds);
    const struct gh_snapshot *s = gh_snapshot_acquire(other.snapshot);
    const struct gh_jws_key *k1 = gh_keyring_signing(&other, s);
    const struct gh_jws_key *k2 = gh_keyring_signing(&other, s);
    const struct gh_jws_key *k3 = gh_keyring_by_kid(&other, s, kid);
    gh_snapshot_release(other.snapshot, s);
    char *log = capture_end(fds);
    assert_null(k1);
    assert_null(k2);
    assert_null(k3);
    assert_int_equal(count(log, "oauth.signing_key_unusable"), 1);
    assert_non_null(strstr(log, kid));
    assert_non_null(strstr(log, "decrypt"));
    gh_keyring_free(other.keyring);

    /* the right key still works */
    char again[64];
    signing_kid(e, again, sizeof again);
    assert_string_equal(again, kid);
}

/* No active key of the configured algorithm: NULL, logged once per snapshot
 * rather than once per request. */
static void test_missing_key_logged_once(void **state)
{
    struct env *e = *state;
    int fds[2];
    capture_start(fds);
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    assert_null(gh_keyring_signing(&e->o, s));
    assert_null(gh_keyring_signing(&e->o, s));
    gh_snapshot_release(e->o.snapshot, s);
    char *log = capture_end(fds);
    assert_int_equal(count(log, "oauth.no_signing_key"), 1);
}

/* Another configured algorithm gets its own active key at start. */
static void test_ensure_per_algorithm(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    e->o.cfg.alg = GH_JWS_EDDSA;
    ensure(e, T0 + 1);
    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 2);
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    const struct gh_jws_key *k = gh_keyring_signing(&e->o, s);
    assert_non_null(k);
    assert_int_equal(gh_jws_key_alg(k), GH_JWS_EDDSA);
    gh_snapshot_release(e->o.snapshot, s);
}

static void test_print_lists_newest_first(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char first[64], next[64];
    signing_kid(e, first, sizeof first);
    rotate(e, T0 + 60, next);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char err[128] = "";
    assert_true(gh_keys_print(&e->o, f, err, sizeof err));
    fclose(f);
    char *l1 = strchr(text, '\n') + 1; /* after the header line */
    char *l2 = strchr(l1, '\n') + 1;
    assert_memory_equal(text, "KID", 3);
    assert_memory_equal(l1, next, strlen(next));
    assert_non_null(strstr(l1, " next "));
    assert_non_null(strstr(l1, "2027-01-15T08:01:00Z")); /* created at T0 + 60 */
    assert_memory_equal(l2, first, strlen(first));
    assert_non_null(strstr(l2, " active "));
    assert_int_equal(count(text, "\n"), 3);
    free(text);
}

/* ---- retire ------------------------------------------------------------- */

static void retire(struct env *e, const char *kid, int64_t now, struct gh_keys_retirement *r)
{
    char err[256] = "";
    if (!gh_keys_retire(&e->o, kid, now, r, err, sizeof err))
        fail_msg("retire: %s", err);
}

/* The active key retired now: out of JWKS, not verifying, not signing; a
 * new active key of its algorithm signs at once. */
static void test_retire_active_replaces_it_at_once(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char old[64], kid[64], jwks[256];
    signing_kid(e, old, sizeof old);
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    assert_non_null(gh_keyring_by_kid(&e->o, s, old)); /* parsed and cached before */
    gh_snapshot_release(e->o.snapshot, s);

    uint64_t gen = gh_store_generation(e->o.store);
    struct gh_keys_retirement r;
    int64_t now = (int64_t)time(NULL); /* gh_keyring_by_kid compares with the clock */
    retire(e, old, now, &r);
    assert_true(gh_store_generation(e->o.store) > gen);
    assert_int_equal(r.was, GH_KEY_ACTIVE);
    assert_string_equal(r.alg, "ES256");
    assert_int_equal(strlen(r.new_kid), 16);
    assert_string_not_equal(r.new_kid, old);

    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 2);
    const struct key_view *ov = find_view(v, 2, old), *nv = find_view(v, 2, r.new_kid);
    assert_int_equal(ov->state, GH_KEY_RETIRED);
    assert_int_equal(ov->retired_at, now);
    assert_int_equal(ov->publish_until, now);
    assert_int_equal(nv->state, GH_KEY_ACTIVE);
    assert_string_equal(nv->alg, "ES256");
    assert_int_equal(nv->activated_at, now); /* no lead time */

    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, r.new_kid);
    jwks_kids(e, now, jwks, sizeof jwks);
    assert_string_equal(jwks, r.new_kid);
    s = gh_snapshot_acquire(e->o.snapshot);
    assert_null(gh_keyring_by_kid(&e->o, s, old));
    assert_non_null(gh_keyring_by_kid(&e->o, s, r.new_kid));
    gh_snapshot_release(e->o.snapshot, s);

    /* the next tick removes the row: its tokens cannot verify any more */
    gh_keys_tick(&e->o, now);
    assert_int_equal(snapshot_keys(e, v, 8), 1);
    assert_string_equal(v[0].kid, r.new_kid);
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, r.new_kid);
}

/* The replacement has the retired key's algorithm, not the configured one. */
static void test_retire_keeps_the_algorithm(void **state)
{
    struct env *e = *state;
    e->o.cfg.alg = GH_JWS_EDDSA;
    ensure(e, T0);
    char old[64];
    signing_kid(e, old, sizeof old);
    e->o.cfg.alg = GH_JWS_ES256; /* e.g. the CLI's default */
    struct gh_keys_retirement r;
    retire(e, old, T0 + 5, &r);
    assert_string_equal(r.alg, "EdDSA");
    e->o.cfg.alg = GH_JWS_EDDSA;
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    const struct gh_jws_key *k = gh_keyring_signing(&e->o, s);
    assert_non_null(k);
    assert_string_equal(gh_jws_key_kid(k), r.new_kid);
    assert_int_equal(gh_jws_key_alg(k), GH_JWS_EDDSA);
    gh_snapshot_release(e->o.snapshot, s);
}

/* A NEXT key retires without a replacement and is never promoted; an
 * already retired key only loses the rest of its publication. */
static void test_retire_next_and_retired_keys(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char first[64], next[64], kid[64], jwks[256];
    signing_kid(e, first, sizeof first);
    rotate(e, T0, next);
    struct gh_keys_retirement r;
    retire(e, next, T0 + 10, &r);
    assert_int_equal(r.was, GH_KEY_NEXT);
    assert_string_equal(r.new_kid, "");
    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 2);
    assert_int_equal(find_view(v, 2, next)->state, GH_KEY_RETIRED);
    assert_int_equal(find_view(v, 2, next)->publish_until, T0 + 10);
    assert_int_equal(find_view(v, 2, first)->state, GH_KEY_ACTIVE);
    jwks_kids(e, T0 + 10, jwks, sizeof jwks);
    assert_string_equal(jwks, first);
    gh_keys_tick(&e->o, T0 + LEAD); /* its activation time: nothing to promote */
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, first);
    assert_int_equal(snapshot_keys(e, v, 8), 1);

    /* a rotation retires first with a day's publication; retire cuts it */
    rotate(e, T0 + LEAD, next);
    gh_keys_tick(&e->o, T0 + 2 * LEAD);
    assert_int_equal(snapshot_keys(e, v, 8), 2);
    assert_int_equal(find_view(v, 2, first)->publish_until,
                     T0 + 2 * LEAD + GH_OAUTH_DEFAULT_TOKEN_SECS);
    retire(e, first, T0 + 2 * LEAD + 30, &r);
    assert_int_equal(r.was, GH_KEY_RETIRED);
    assert_string_equal(r.new_kid, "");
    assert_int_equal(snapshot_keys(e, v, 8), 2);
    const struct key_view *fv = find_view(v, 2, first);
    assert_int_equal(fv->state, GH_KEY_RETIRED);
    assert_int_equal(fv->retired_at, T0 + 2 * LEAD); /* unchanged */
    assert_int_equal(fv->publish_until, T0 + 2 * LEAD + 30);
    jwks_kids(e, T0 + 2 * LEAD + 30, jwks, sizeof jwks);
    assert_string_equal(jwks, next);
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, next);
}

static void test_retire_unknown_kid_changes_nothing(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char kid[64];
    signing_kid(e, kid, sizeof kid);
    uint64_t gen = gh_store_generation(e->o.store);
    struct gh_keys_retirement r;
    char err[256] = "";
    assert_false(gh_keys_retire(&e->o, "no-such-kid", T0, &r, err, sizeof err));
    assert_non_null(strstr(err, "no-such-kid"));
    assert_non_null(strstr(err, "no signing key"));
    assert_int_equal(gh_store_generation(e->o.store), gen);
    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 1);
    assert_int_equal(v[0].state, GH_KEY_ACTIVE);
}

/* `gatehouse keys retire` beside a running server: the server's tick sees
 * the changed rows, reloads its snapshot and signs with the new key. */
static void test_tick_learns_retirement_by_another_process(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char old[64], kid[64], jwks[256];
    signing_kid(e, old, sizeof old);

    char err[256] = "";
    struct gh_store *cli_store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!cli_store)
        fail_msg("store: %s", err);
    struct gh_oauth cli = e->o;
    cli.store = cli_store;
    cli.keyring = NULL;
    struct gh_keys_retirement r;
    if (!gh_keys_retire(&cli, old, T0 + 100, &r, err, sizeof err))
        fail_msg("retire: %s", err);
    gh_store_close(cli_store);

    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, old); /* not seen yet */
    gh_keys_tick(&e->o, T0 + 100);
    signing_kid(e, kid, sizeof kid);
    assert_string_equal(kid, r.new_kid);
    jwks_kids(e, T0 + 100, jwks, sizeof jwks);
    assert_string_equal(jwks, r.new_kid);
    const struct gh_snapshot *s = gh_snapshot_acquire(e->o.snapshot);
    assert_null(gh_snapshot_signing_key_by_kid(s, gh_str_c(old)));
    gh_snapshot_release(e->o.snapshot, s);
}

/* A retirement whose only change is publish_until (an already retired key,
 * seen by a server whose clock is behind) still reloads the snapshot. */
static void test_tick_notices_publish_until_change(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char first[64], next[64], jwks[256];
    signing_kid(e, first, sizeof first);
    rotate(e, T0, next);
    gh_keys_tick(&e->o, T0 + LEAD);

    char err[256] = "";
    struct gh_store *cli_store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!cli_store)
        fail_msg("store: %s", err);
    struct gh_oauth cli = e->o;
    cli.store = cli_store;
    cli.keyring = NULL;
    struct gh_keys_retirement r;
    if (!gh_keys_retire(&cli, first, T0 + LEAD + 60, &r, err, sizeof err))
        fail_msg("retire: %s", err);
    gh_store_close(cli_store);

    uint64_t gen = gh_store_generation(e->o.store);
    gh_keys_tick(&e->o, T0 + LEAD + 30);
    assert_true(gh_store_generation(e->o.store) > gen);
    struct key_view v[8];
    assert_int_equal(snapshot_keys(e, v, 8), 2);
    assert_int_equal(find_view(v, 2, first)->publish_until, T0 + LEAD + 60);
    jwks_kids(e, T0 + LEAD + 60, jwks, sizeof jwks);
    assert_string_equal(jwks, next);
}

/* ---- documents ---------------------------------------------------------- */

static void test_discovery_document(void **state)
{
    struct env *e = *state;
    size_t len = 0;
    const char *doc = gh_keys_discovery_json(&e->o, &len);
    assert_ptr_equal(gh_keys_discovery_json(&e->o, &len), doc); /* built once */
    json_t *d = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(d);
    static const struct {
        const char *name, *value;
    } urls[] = {{"issuer", "http://127.0.0.1:8080"},
                {"token_endpoint", "http://127.0.0.1:8080/connect/token"},
                {"jwks_uri", "http://127.0.0.1:8080/jwks.json"},
                {"introspection_endpoint", "http://127.0.0.1:8080/oauth2/introspect"},
                {"revocation_endpoint", "http://127.0.0.1:8080/oauth2/revoke"}};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        assert_string_equal(json_string_value(json_object_get(d, urls[i].name)), urls[i].value);
    json_t *grants = json_object_get(d, "grant_types_supported");
    assert_int_equal(json_array_size(grants), 1);
    assert_string_equal(json_string_value(json_array_get(grants, 0)), "client_credentials");
    json_t *methods = json_object_get(d, "token_endpoint_auth_methods_supported");
    assert_string_equal(json_string_value(json_array_get(methods, 0)), "client_secret_basic");
    assert_string_equal(json_string_value(json_array_get(methods, 1)), "client_secret_post");
    assert_true(json_is_array(json_object_get(d, "response_types_supported")));
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(d, "subject_types_supported"), 0)),
        "public");
    json_t *algs = json_object_get(d, "id_token_signing_alg_values_supported");
    assert_int_equal(json_array_size(algs), 3);
    assert_string_equal(json_string_value(json_array_get(algs, 0)), "ES256");
    json_decref(d);
}

/* ---- over HTTP ---------------------------------------------------------- */

struct answer {
    long status;
    char cache_control[256];
    char content_type[256];
    struct gh_buf body;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct answer *a = userdata;
    gh_buf_put(&a->body, data, size * nmemb);
    return size * nmemb;
}

static size_t header_line(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct answer *a = userdata;
    size_t n = size * nmemb;
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)n, data);
    line[strcspn(line, "\r\n")] = '\0';
    if (strncasecmp(line, "cache-control: ", 15) == 0)
        snprintf(a->cache_control, sizeof a->cache_control, "%s", line + 15);
    if (strncasecmp(line, "content-type: ", 14) == 0)
        snprintf(a->content_type, sizeof a->content_type, "%s", line + 14);
    return n;
}

static void fetch(struct env *e, uint16_t port, const char *path, struct answer *a)
{
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
    memset(a, 0, sizeof *a);
    gh_buf_init(&a->body, e->arena, 1024);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_cleanup(c);
}

static void test_routes_over_http(void **state)
{
    struct env *e = *state;
    ensure(e, T0);
    char kid[64];
    signing_kid(e, kid, sizeof kid);
    struct gh_router *r = gh_router_new();
    assert_true(gh_oauth_register_keys(r, &e->o));
    assert_false(gh_oauth_register_keys(r, &e->o)); /* a conflict is reported */
    struct gh_server_config cfg = {.host = "127.0.0.1",
                                   .threads = 2,
                                   .max_body = 1 << 16,
                                   .max_header = 16384,
                                   .conn_timeout = 10,
                                   .max_connections = 16};
    char err[256] = "";
    struct gh_server *srv = gh_server_new(&cfg, r, NULL, err, sizeof err);
    if (!srv || !gh_server_start(srv, err, sizeof err))
        fail_msg("server: %s", err);

    struct answer a;
    fetch(e, gh_server_port(srv), "/jwks.json", &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.cache_control, "public, max-age=300");
    assert_string_equal(a.content_type, "application/json");
    assert_non_null(strstr(a.body.data, kid));
    assert_memory_equal(a.body.data, "{\"keys\":[{", 10);

    size_t len = 0;
    const char *doc = gh_keys_discovery_json(&e->o, &len);
    static const char *const paths[] = {"/.well-known/openid-configuration",
                                        "/.well-known/oauth-authorization-server"};
    for (size_t i = 0; i < 2; i++) {
        fetch(e, gh_server_port(srv), paths[i], &a);
        assert_int_equal(a.status, 200);
        assert_string_equal(a.content_type, "application/json");
        assert_string_equal(a.cache_control, "public, max-age=3600");
        assert_int_equal(a.body.len, len);
        assert_memory_equal(a.body.data, doc, len);
    }
    gh_server_shutdown(srv, 1000);
    gh_server_free(srv);
    gh_router_free(r);
}

int main(void)
{
    gh_log_set_level(GH_LOG_WARN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_ensure_creates_one_active_key),
        T(test_keyring_parses_once),
        T(test_stored_key_is_sealed_and_matches_its_jwk),
        T(test_rotate_publishes_next_without_signing),
        T(test_tick_promotes_and_retires),
        T(test_tick_learns_rotation_by_another_process),
        T(test_retirement_covers_longest_app_lifetime),
        T(test_retired_key_leaves_jwks_after_publish_until),
        T(test_wrong_seal_key_makes_key_unusable),
        T(test_missing_key_logged_once),
        T(test_ensure_per_algorithm),
        T(test_print_lists_newest_first),
        T(test_retire_active_replaces_it_at_once),
        T(test_retire_keeps_the_algorithm),
        T(test_retire_next_and_retired_keys),
        T(test_retire_unknown_kid_changes_nothing),
        T(test_tick_learns_retirement_by_another_process),
        T(test_tick_notices_publish_until_change),
        T(test_discovery_document),
        T(test_routes_over_http),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
