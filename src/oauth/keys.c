/* Signing keys: the keyring of parsed keys, their lifecycle in the store,
 * JWKS and discovery (see keys.h).
 *
 * The keyring is a fixed array of (kid, parsed key) slots filled under a
 * mutex and published by an atomic count, so lookups on the token path take
 * no lock: a reader scans the slots below the count it loaded (acquire) and
 * sees each one completely written.  Slots are never removed, so a returned
 * key stays valid until gh_keyring_free.  A key that cannot be decrypted or
 * parsed gets a slot with a NULL key: it is logged once, never retried. */
#include "oauth/keys.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/str.h"
#include "crypto/base64.h"
#include "crypto/random.h"
#include "http/request.h"
#include "store/entities.h"

/* Every key this process has used since start; rotations are rare (a key
 * per rotation), so this is years of weekly rotations. */
#define KEYRING_SLOTS 1024
#define KID_MAX 64
#define KID_RANDOM_BYTES 12 /* 16 base64url characters */
#define JWK_MAX 4096        /* an RSA-2048 public JWK is about 450 bytes */
/* Clients may cache the discovery document this long (it changes only with
 * the server's configuration). */
#define DISCOVERY_MAX_AGE_SECS 3600

struct keyring_slot {
    char kid[KID_MAX];
    struct gh_jws_key *key; /* NULL: unusable, logged when the slot was filled */
};

struct gh_keyring {
    pthread_mutex_t lock; /* slot inserts, the JWKS cache, building discovery */
    _Atomic size_t count; /* slots [0, count) are complete */
    struct keyring_slot *slots;
    _Atomic uint64_t missing_logged; /* 1 + generation of the last "no active key" line */

    /* JWKS of one snapshot, valid until jwks_until (a retired key leaves) */
    char *jwks;
    size_t jwks_len;
    const struct gh_snapshot *jwks_snapshot;
    uint64_t jwks_generation;
    int64_t jwks_built_at_ms;
    int64_t jwks_until;

    _Atomic(char *) discovery; /* built on first use: the issuer is known by then */
    size_t discovery_len;
};

struct gh_keyring *gh_keyring_new(void)
{
    struct gh_keyring *kr = gh_xcalloc(1, sizeof *kr);
    pthread_mutex_init(&kr->lock, NULL);
    kr->slots = gh_xcalloc(KEYRING_SLOTS, sizeof *kr->slots);
    atomic_init(&kr->count, 0);
    atomic_init(&kr->missing_logged, 0);
    atomic_init(&kr->discovery, NULL);
    return kr;
}

void gh_keyring_free(struct gh_keyring *kr)
{
    if (!kr)
        return;
    size_t n = atomic_load(&kr->count);
    for (size_t i = 0; i < n; i++)
        gh_jws_key_free(kr->slots[i].key);
    free(kr->slots);
    free(kr->jwks);
    free(atomic_load(&kr->discovery));
    pthread_mutex_destroy(&kr->lock);
    free(kr);
}

static void log_unusable(const struct gh_signing_key *sk, const char *why)
{
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_ERROR, "oauth.signing_key_unusable")) {
        gh_log_str(&l, "kid", sk->kid);
        gh_log_str(&l, "alg", sk->alg);
        gh_log_str(&l, "reason", why);
        gh_log_end(&l);
    }
}

/* Decrypts and parses a stored key (once per kid and process); NULL and a
 * log line when that fails. */
static struct gh_jws_key *parse_key(const struct gh_oauth *o, const struct gh_signing_key *sk)
{
    enum gh_jws_alg alg;
    if (!sk->alg || !gh_jws_alg_parse(sk->alg, &alg)) {
        log_unusable(sk, "unknown algorithm");
        return NULL;
    }
    uint8_t *der = NULL;
    size_t len = 0;
    if (!sk->private_key_enc ||
        !gh_aead_open(o->seal_key, sk->kid, strlen(sk->kid), sk->private_key_enc, &der, &len)) {
        log_unusable(sk, "the private key does not decrypt: another master key, or a damaged row");
        return NULL;
    }
    struct gh_jws_key *k = gh_jws_key_from_der(alg, sk->kid, der, len);
    explicit_bzero(der, len);
    free(der);
    if (!k)
        log_unusable(sk, "the decrypted private key is not a key of its algorithm");
    return k;
}

static const struct gh_jws_key *scan(struct gh_keyring *kr, size_t from, size_t to, const char *kid,
                                     bool *found)
{
    for (size_t i = from; i < to; i++) {
        if (strcmp(kr->slots[i].kid, kid) == 0) {
            *found = true;
            return kr->slots[i].key;
        }
    }
    *found = false;
    return NULL;
}

/* The parsed key of a snapshot key: a lock-free scan, and on a miss the one
 * parse of this kid under the lock. */
static const struct gh_jws_key *keyring_get(struct gh_oauth *o, const struct gh_signing_key *sk)
{
    struct gh_keyring *kr = o->keyring;
    bool found;
    size_t n = atomic_load_explicit(&kr->count, memory_order_acquire);
    const struct gh_jws_key *k = scan(kr, 0, n, sk->kid, &found);
    if (found)
        return k;
    if (strlen(sk->kid) >= KID_MAX) {
        log_unusable(sk, "the kid is too long");
        return NULL;
    }
    pthread_mutex_lock(&kr->lock);
    size_t now_n = atomic_load_explicit(&kr->count, memory_order_relaxed);
    k = scan(kr, n, now_n, sk->kid, &found);
    if (!found) {
        if (now_n == KEYRING_SLOTS) {
            log_unusable(sk, "the keyring is full: restart the server");
        } else {
            struct keyring_slot *slot = &kr->slots[now_n];
            snprintf(slot->kid, sizeof slot->kid, "%s", sk->kid);
            slot->key = parse_key(o, sk);
            k = slot->key;
            atomic_store_explicit(&kr->count, now_n + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&kr->lock);
    return k;
}

const struct gh_jws_key *gh_keyring_signing(struct gh_oauth *o, const struct gh_snapshot *s)
{
    const char *alg = gh_jws_alg_name(o->cfg.alg);
    const struct gh_signing_key *sk = gh_snapshot_signing_key_active(s, gh_str_c(alg));
    if (sk)
        return keyring_get(o, sk);
    /* once per snapshot, not once per token request */
    uint64_t mark = gh_snapshot_generation(s) + 1;
    if (atomic_exchange(&o->keyring->missing_logged, mark) != mark)
        gh_log_msg_str(GH_LOG_ERROR, "oauth.no_signing_key", "alg", alg);
    return NULL;
}

const struct gh_jws_key *gh_keyring_by_kid(struct gh_oauth *o, const struct gh_snapshot *s,
                                           const char *kid)
{
    const struct gh_signing_key *sk = gh_snapshot_signing_key_by_kid(s, gh_str_c(kid));
    if (!sk)
        return NULL;
    if (sk->state == GH_KEY_RETIRED && sk->publish_until <= (int64_t)time(NULL))
        return NULL;
    return keyring_get(o, sk);
}

/* ---- lifecycle in the store --------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *what, struct gh_tx *tx,
                    enum gh_store_rc rc)
{
    const char *detail = tx ? gh_store_tx_error(tx) : NULL;
    snprintf(err, errlen, "%s: %s%s%s", what, gh_store_rc_name(rc), detail && *detail ? ": " : "",
             detail && *detail ? detail : "");
}

/* A new key of alg as a store row (strings in a): random kid, the private
 * key sealed under o->seal_key with the kid as associated data, the public
 * JWK as JSON text.  false with err. */
static bool new_key(const struct gh_oauth *o, enum gh_jws_alg alg, struct gh_arena *a,
                    struct gh_signing_key *row, char *err, size_t errlen)
{
    uint8_t rnd[KID_RANDOM_BYTES];
    char kid[GH_BASE64URL_LEN(KID_RANDOM_BYTES) + 1];
    gh_random_bytes(rnd, sizeof rnd);
    gh_base64url_encode(rnd, sizeof rnd, kid);

    struct gh_jws_key *k = gh_jws_key_generate(alg, kid);
    if (!k) {
        snprintf(err, errlen, "cannot generate a %s key", gh_jws_alg_name(alg));
        return false;
    }
    uint8_t *der = NULL;
    size_t len = 0;
    char *jwk = gh_arena_alloc(a, JWK_MAX);
    size_t jwk_len = gh_jws_key_public_jwk(k, jwk, JWK_MAX);
    bool ok = jwk_len > 0 && gh_jws_key_to_der(k, &der, &len);
    char *sealed = ok ? gh_aead_seal(o->seal_key, kid, strlen(kid), der, len) : NULL;
    if (der) {
        explicit_bzero(der, len);
        free(der);
    }
    gh_jws_key_free(k);
    if (!sealed) {
        snprintf(err, errlen, "cannot encode or encrypt the new %s key", gh_jws_alg_name(alg));
        return false;
    }
    memset(row, 0, sizeof *row);
    row->kid = gh_arena_strdup(a, kid);
    row->alg = gh_arena_strdup(a, gh_jws_alg_name(alg));
    row->private_key_enc = gh_arena_strdup(a, sealed);
    row->public_jwk = jwk;
    free(sealed);
    return true;
}

static bool insert_key(struct gh_oauth *o, const struct gh_signing_key *row, char *err,
                       size_t errlen)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(o->store, GH_TX_WRITE, &tx);
    if (rc != GH_STORE_OK) {
        set_err(err, errlen, "cannot store the signing key", NULL, rc);
        return false;
    }
    rc = gh_store_signing_key_insert(tx, row);
    if (rc != GH_STORE_OK) {
        set_err(err, errlen, "cannot store the signing key", tx, rc);
        gh_store_rollback(tx);
        return false;
    }
    rc = gh_store_commit(tx);
    if (rc != GH_STORE_OK) {
        set_err(err, errlen, "cannot store the signing key", NULL, rc);
        return false;
    }
    return true;
}

static void log_key(const char *msg, const struct gh_signing_key *k)
{
    struct gh_log_line l;
    if (gh_log_begin(&l, GH_LOG_INFO, msg)) {
        gh_log_str(&l, "kid", k->kid);
        gh_log_str(&l, "alg", k->alg);
        if (k->state == GH_KEY_NEXT)
            gh_log_int(&l, "activates_at", k->activated_at);
        if (k->state == GH_KEY_RETIRED)
            gh_log_int(&l, "published_until", k->publish_until);
        gh_log_end(&l);
    }
}

static enum gh_store_rc list_keys(struct gh_store *store, struct gh_arena *a,
                                  struct gh_signing_key **keys, size_t *n, char *err, size_t errlen)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(store, GH_TX_READ, &tx);
    if (rc != GH_STORE_OK) {
        set_err(err, errlen, "cannot read the signing keys", NULL, rc);
        return rc;
    }
    rc = gh_store_signing_key_list(tx, NULL, a, keys, n);
    if (rc != GH_STORE_OK)
        set_err(err, errlen, "cannot read the signing keys", tx, rc);
    gh_store_rollback(tx);
    return rc;
}

static bool has_active(const struct gh_signing_key *keys, size_t n, const char *alg)
{
    for (size_t i = 0; i < n; i++)
        if (keys[i].state == GH_KEY_ACTIVE && keys[i].alg && strcmp(keys[i].alg, alg) == 0)
            return true;
    return false;
}

bool gh_keys_ensure(struct gh_oauth *o, int64_t now, char *err, size_t errlen)
{
    const char *alg = gh_jws_alg_name(o->cfg.alg);
    struct gh_arena *a = gh_arena_new(8192);
    struct gh_signing_key *keys = NULL;
    size_t n = 0;
    bool ok = list_keys(o->store, a, &keys, &n, err, errlen) == GH_STORE_OK;
    if (ok && !has_active(keys, n, alg)) {
        /* generated outside any transaction: RSA takes a while */
        struct gh_signing_key row;
        ok = new_key(o, o->cfg.alg, a, &row, err, errlen);
        if (ok) {
            row.state = GH_KEY_ACTIVE;
            row.created_at = row.activated_at = now;
            ok = insert_key(o, &row, err, errlen);
        }
        if (ok)
            log_key("oauth.key_created", &row);
    }
    gh_arena_free(a);
    return ok;
}

bool gh_keys_rotate(struct gh_oauth *o, enum gh_jws_alg alg, int64_t lead_secs, int64_t now,
                    char *kid_out, char *err, size_t errlen)
{
    if (lead_secs < 0) {
        snprintf(err, errlen, "the lead time must not be negative");
        return false;
    }
    struct gh_arena *a = gh_arena_new(8192);
    struct gh_signing_key row;
    bool ok = new_key(o, alg, a, &row, err, errlen);
    if (ok) {
        row.state = GH_KEY_NEXT;
        row.created_at = now;
        row.activated_at = now + lead_secs;
        ok = insert_key(o, &row, err, errlen);
    }
    if (ok) {
        snprintf(kid_out, 64, "%s", row.kid);
        log_key("oauth.key_next", &row);
    }
    gh_arena_free(a);
    return ok;
}

/* The stored row of kid (strings in a); false with err, naming the kid when
 * there is none. */
static bool read_key(struct gh_store *store, const char *kid, struct gh_arena *a,
                     struct gh_signing_key *out, char *err, size_t errlen)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(store, GH_TX_READ, &tx);
    if (rc != GH_STORE_OK) {
        set_err(err, errlen, "cannot read the signing keys", NULL, rc);
        return false;
    }
    rc = gh_store_signing_key_get(tx, kid, a, out);
    if (rc == GH_STORE_NOT_FOUND)
        snprintf(err, errlen, "no signing key has the kid '%s' (see gatehouse keys list)", kid);
    else if (rc != GH_STORE_OK)
        set_err(err, errlen, "cannot read the signing key", tx, rc);
    gh_store_rollback(tx);
    return rc == GH_STORE_OK;
}

/* The replacement of an ACTIVE key: a new key of its algorithm (strings in
 * a), ACTIVE from now. */
static bool replacement_key(const struct gh_oauth *o, const struct gh_signing_key *old, int64_t now,
                            struct gh_arena *a, struct gh_signing_key *row, char *err,
                            size_t errlen)
{
    enum gh_jws_alg alg;
    if (!old->alg || !gh_jws_alg_parse(old->alg, &alg)) {
        snprintf(err, errlen, "the key '%s' has an unknown algorithm", old->kid);
        return false;
    }
    if (!new_key(o, alg, a, row, err, errlen))
        return false;
    row->state = GH_KEY_ACTIVE;
    row->created_at = row->activated_at = now;
    return true;
}

/* The write transaction of gh_keys_retire.  The row is read again inside
 * it: a tick (here or on another node) may have promoted or retired keys
 * since.  *fresh is the replacement made beforehand when the key was ACTIVE
 * (NULL otherwise); *need_fresh is set (and nothing written) when the key
 * has become ACTIVE in between and needs one. */
static bool retire_tx(struct gh_oauth *o, const char *kid, int64_t now,
                      const struct gh_signing_key *fresh, struct gh_arena *a,
                      struct gh_keys_retirement *out, bool *need_fresh, char *err, size_t errlen)
{
    *need_fresh = false;
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(o->store, GH_TX_WRITE, &tx);
    if (rc != GH_STORE_OK) {
        set_err(err, errlen, "cannot retire the signing key", NULL, rc);
        return false;
    }
    struct gh_signing_key k;
    rc = gh_store_signing_key_get(tx, kid, a, &k);
    if (rc == GH_STORE_NOT_FOUND) {
        snprintf(err, errlen, "no signing key has the kid '%s' (see gatehouse keys list)", kid);
        gh_store_rollback(tx);
        return false;
    }
    if (rc != GH_STORE_OK) {
        set_err(err, errlen, "cannot read the signing key", tx, rc);
        gh_store_rollback(tx);
        return false;
    }
    if (k.state == GH_KEY_ACTIVE && !fresh) {
        *need_fresh = true;
        gh_store_rollback(tx);
        return false;
    }
    enum gh_key_state was = k.state;
    if (k.state != GH_KEY_RETIRED || k.retired_at <= 0)
        k.retired_at = now;
    if (k.state != GH_KEY_RETIRED || k.publish_until > now)
        k.publish_until = now;
    k.state = GH_KEY_RETIRED;
    rc = gh_store_signing_key_update(tx, &k);
    if (rc == GH_STORE_OK && was == GH_KEY_ACTIVE)
        rc = gh_store_signing_key_insert(tx, fresh);
    if (rc != GH_STORE_OK) {
        set_err(err, errlen, "cannot retire the signing key", tx, rc);
        gh_store_rollback(tx);
        return false;
    }
    rc = gh_store_commit(tx); /* touched by the update: this process's snapshot reloads */
    if (rc != GH_STORE_OK) {
        set_err(err, errlen, "cannot retire the signing key", NULL, rc);
        return false;
    }
    out->was = was;
    snprintf(out->alg, sizeof out->alg, "%s", k.alg ? k.alg : "");
    log_key("oauth.key_retired", &k);
    if (was == GH_KEY_ACTIVE) {
        snprintf(out->new_kid, sizeof out->new_kid, "%s", fresh->kid);
        log_key("oauth.key_activated", fresh);
    }
    return true;
}

bool gh_keys_retire(struct gh_oauth *o, const char *kid, int64_t now,
                    struct gh_keys_retirement *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct gh_arena *a = gh_arena_new(8192);
    struct gh_signing_key cur, fresh;
    bool ok = read_key(o->store, kid, a, &cur, err, errlen);
    bool need_fresh = ok && cur.state == GH_KEY_ACTIVE, have_fresh = false;
    /* The replacement is generated outside the transaction (RSA takes a
     * while).  retire_tx asks for one only while there is none, so this
     * runs at most twice. */
    while (ok) {
        if (need_fresh) {
            ok = have_fresh = replacement_key(o, &cur, now, a, &fresh, err, errlen);
            if (!ok)
                break;
        }
        ok = retire_tx(o, kid, now, have_fresh ? &fresh : NULL, a, out, &need_fresh, err, errlen);
        if (ok || !need_fresh)
            break;
        ok = true;
    }
    gh_arena_free(a);
    return ok;
}

/* The longest lifetime a token may have been given: the default or the
 * largest app override.  A retired key stays in JWKS this long. */
static int64_t longest_token_secs(const struct gh_oauth *o, struct gh_tx *tx, struct gh_arena *a,
                                  enum gh_store_rc *rc)
{
    int64_t longest =
        o->cfg.default_token_secs > 0 ? o->cfg.default_token_secs : GH_OAUTH_DEFAULT_TOKEN_SECS;
    struct gh_app *apps = NULL;
    size_t n = 0;
    *rc = gh_store_app_list(tx, NULL, a, &apps, &n);
    for (size_t i = 0; i < n; i++)
        if (apps[i].access_token_validity_secs > longest)
            longest = apps[i].access_token_validity_secs;
    return longest;
}

/* Whether the store's keys differ from the snapshot's.  Another process
 * (`gatehouse keys rotate` beside a running server on SQLite) commits
 * without this process's change hook, so its snapshot would not learn the
 * new key until some local change. */
static bool snapshot_stale(struct gh_oauth *o, const struct gh_signing_key *keys, size_t n)
{
    const struct gh_snapshot *s = gh_snapshot_acquire(o->snapshot);
    size_t sn = 0;
    gh_snapshot_signing_keys(s, &sn);
    bool stale = sn != n;
    for (size_t i = 0; i < n && !stale; i++) {
        const struct gh_signing_key *k = gh_snapshot_signing_key_by_kid(s, gh_str_c(keys[i].kid));
        stale = !k || k->state != keys[i].state || k->activated_at != keys[i].activated_at ||
                k->publish_until != keys[i].publish_until;
    }
    gh_snapshot_release(o->snapshot, s);
    return stale;
}

/* Whether tick has work: a NEXT key due, or a retired key past
 * publish_until. */
static bool tick_due(const struct gh_signing_key *keys, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++)
        if ((keys[i].state == GH_KEY_NEXT && keys[i].activated_at <= now) ||
            (keys[i].state == GH_KEY_RETIRED && keys[i].publish_until <= now))
            return true;
    return false;
}

/* Of the NEXT keys of alg due at now, the one to promote: the latest due. */
static struct gh_signing_key *due_next(struct gh_signing_key *keys, size_t n, const char *alg,
                                       int64_t now)
{
    struct gh_signing_key *best = NULL;
    for (size_t i = 0; i < n; i++) {
        struct gh_signing_key *k = &keys[i];
        if (k->state != GH_KEY_NEXT || k->activated_at > now || !k->alg || strcmp(k->alg, alg) != 0)
            continue;
        if (!best || k->activated_at > best->activated_at ||
            (k->activated_at == best->activated_at && k->created_at >= best->created_at))
            best = k;
    }
    return best;
}

/* In one write transaction: for each algorithm with a NEXT key due, that key
 * becomes ACTIVE and the other ACTIVE (and due NEXT) keys of the algorithm
 * retire, published for the longest token lifetime; retired keys past
 * publish_until are deleted (their tokens have all expired).  The rows are
 * re-read inside the transaction, so concurrent ticks (several nodes) agree. */
static enum gh_store_rc tick_apply(struct gh_oauth *o, struct gh_tx *tx, struct gh_arena *a,
                                   int64_t now)
{
    struct gh_signing_key *keys = NULL;
    size_t n = 0;
    enum gh_store_rc rc = gh_store_signing_key_list(tx, NULL, a, &keys, &n);
    int64_t longest = -1;
    for (size_t i = 0; i < n && rc == GH_STORE_OK; i++) {
        struct gh_signing_key *p = &keys[i];
        if (p->state != GH_KEY_NEXT || p->activated_at > now || !p->alg ||
            due_next(keys, n, p->alg, now) != p)
            continue;
        if (longest < 0) {
            longest = longest_token_secs(o, tx, a, &rc);
            if (rc != GH_STORE_OK)
                break;
        }
        for (size_t j = 0; j < n && rc == GH_STORE_OK; j++) {
            struct gh_signing_key *k = &keys[j];
            if (k == p || !k->alg || strcmp(k->alg, p->alg) != 0)
                continue;
            if (k->state == GH_KEY_ACTIVE || (k->state == GH_KEY_NEXT && k->activated_at <= now)) {
                k->state = GH_KEY_RETIRED;
                k->retired_at = now;
                k->publish_until = now + longest;
                rc = gh_store_signing_key_update(tx, k);
                if (rc == GH_STORE_OK)
                    log_key("oauth.key_retired", k);
            }
        }
        if (rc == GH_STORE_OK) {
            p->state = GH_KEY_ACTIVE;
            rc = gh_store_signing_key_update(tx, p);
            if (rc == GH_STORE_OK)
                log_key("oauth.key_activated", p);
        }
    }
    for (size_t i = 0; i < n && rc == GH_STORE_OK; i++) {
        if (keys[i].state == GH_KEY_RETIRED && keys[i].publish_until <= now) {
            rc = gh_store_signing_key_delete(tx, keys[i].kid);
            if (rc == GH_STORE_OK)
                log_key("oauth.key_removed", &keys[i]);
        }
    }
    return rc;
}

void gh_keys_tick(struct gh_oauth *o, int64_t now)
{
    /* one small read; a write only when something is due or out of date */
    char err[256];
    struct gh_arena *a = gh_arena_new(16384);
    struct gh_signing_key *keys = NULL;
    size_t n = 0;
    if (list_keys(o->store, a, &keys, &n, err, sizeof err) != GH_STORE_OK) {
        gh_log_msg_str(GH_LOG_ERROR, "oauth.key_tick_failed", "error", err);
        gh_arena_free(a);
        return;
    }
    bool due = tick_due(keys, n, now);
    bool stale = snapshot_stale(o, keys, n);
    if (!due && !stale) {
        gh_arena_free(a);
        return;
    }
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(o->store, GH_TX_WRITE, &tx);
    if (rc != GH_STORE_OK) {
        gh_log_msg_str(GH_LOG_ERROR, "oauth.key_tick_failed", "error", gh_store_rc_name(rc));
        gh_arena_free(a);
        return;
    }
    rc = due ? tick_apply(o, tx, a, now) : GH_STORE_OK;
    if (stale)
        gh_store_tx_touch(tx); /* the commit reloads the snapshot */
    if (rc != GH_STORE_OK) {
        gh_log_msg_str(GH_LOG_ERROR, "oauth.key_tick_failed", "error", gh_store_tx_error(tx));
        gh_store_rollback(tx);
    } else if ((rc = gh_store_commit(tx)) != GH_STORE_OK) {
        gh_log_msg_str(GH_LOG_ERROR, "oauth.key_tick_failed", "error", gh_store_rc_name(rc));
    }
    gh_arena_free(a);
}

/* ---- gatehouse keys list ------------------------------------------------ */

static const char *fmt_time(int64_t t, char *buf, size_t len)
{
    if (t <= 0)
        return "-";
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
    return buf;
}

/* Newest first: by created_at, then by activation. */
static int newest_first(const void *pa, const void *pb)
{
    const struct gh_signing_key *a = pa, *b = pb;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? 1 : -1;
    if (a->activated_at != b->activated_at)
        return a->activated_at < b->activated_at ? 1 : -1;
    return strcmp(a->kid, b->kid);
}

bool gh_keys_print(struct gh_oauth *o, FILE *out, char *err, size_t errlen)
{
    struct gh_arena *a = gh_arena_new(8192);
    struct gh_signing_key *keys = NULL;
    size_t n = 0;
    if (list_keys(o->store, a, &keys, &n, err, errlen) != GH_STORE_OK) {
        gh_arena_free(a);
        return false;
    }
    if (n > 1)
        qsort(keys, n, sizeof *keys, newest_first);
    fprintf(out, "%-22s %-6s %-8s %-20s %-20s %-20s %s\n", "KID", "ALG", "STATE", "CREATED",
            "ACTIVATES", "RETIRED", "PUBLISHED_UNTIL");
    for (size_t i = 0; i < n; i++) {
        const struct gh_signing_key *k = &keys[i];
        char c[32], act[32], ret[32], pub[32];
        fprintf(out, "%-22s %-6s %-8s %-20s %-20s %-20s %s\n", k->kid, k->alg ? k->alg : "-",
                gh_key_state_name(k->state), fmt_time(k->created_at, c, sizeof c),
                fmt_time(k->activated_at, act, sizeof act),
                fmt_time(k->retired_at, ret, sizeof ret),
                fmt_time(k->state == GH_KEY_RETIRED ? k->publish_until : 0, pub, sizeof pub));
    }
    gh_arena_free(a);
    return true;
}

/* ---- JWKS --------------------------------------------------------------- */

/* {"keys":[…]} of the keys clients may meet: NEXT (about to sign), ACTIVE
 * and RETIRED until publish_until.  *until gets when it goes stale. */
static char *build_jwks(const struct gh_snapshot *s, int64_t now, size_t *len, int64_t *until)
{
    struct gh_buf b;
    gh_buf_init(&b, NULL, 1024);
    gh_buf_puts(&b, "{\"keys\":[");
    size_t n = 0;
    const struct gh_signing_key *keys = gh_snapshot_signing_keys(s, &n);
    bool first = true;
    *until = INT64_MAX;
    /* the signing keys first: clients that try keys in order find them soonest */
    static const enum gh_key_state order[] = {GH_KEY_ACTIVE, GH_KEY_NEXT, GH_KEY_RETIRED};
    for (size_t pass = 0; pass < sizeof order / sizeof order[0]; pass++) {
        for (size_t i = 0; i < n; i++) {
            const struct gh_signing_key *k = &keys[i];
            if (k->state != order[pass] || !k->public_jwk || !*k->public_jwk)
                continue;
            if (k->state == GH_KEY_RETIRED) {
                if (k->publish_until <= now)
                    continue;
                if (k->publish_until < *until)
                    *until = k->publish_until;
            }
            if (!first)
                gh_buf_putc(&b, ',');
            gh_buf_puts(&b, k->public_jwk);
            first = false;
        }
    }
    gh_buf_puts(&b, "]}");
    *len = b.len;
    return b.data;
}

const char *gh_keys_jwks_json(struct gh_oauth *o, const struct gh_snapshot *s, int64_t now,
                              struct gh_arena *a, size_t *len)
{
    struct gh_keyring *kr = o->keyring;
    pthread_mutex_lock(&kr->lock);
    uint64_t gen = gh_snapshot_generation(s);
    int64_t built = gh_snapshot_built_at_ms(s);
    if (!kr->jwks || kr->jwks_snapshot != s || kr->jwks_generation != gen ||
        kr->jwks_built_at_ms != built || now >= kr->jwks_until) {
        free(kr->jwks);
        kr->jwks = build_jwks(s, now, &kr->jwks_len, &kr->jwks_until);
        kr->jwks_snapshot = s;
        kr->jwks_generation = gen;
        kr->jwks_built_at_ms = built;
    }
    char *copy = gh_arena_memdup(a, kr->jwks, kr->jwks_len + 1);
    *len = kr->jwks_len;
    pthread_mutex_unlock(&kr->lock);
    return copy;
}

static void jwks_handler(struct gh_req *req)
{
    struct gh_oauth *o = req->route->ctx;
    size_t len = 0;
    const struct gh_snapshot *s = gh_snapshot_acquire(o->snapshot);
    const char *body = gh_keys_jwks_json(o, s, (int64_t)time(NULL), req->arena, &len);
    gh_snapshot_release(o->snapshot, s);
    char cc[48];
    snprintf(cc, sizeof cc, "public, max-age=%lld", (long long)o->cfg.jwks_max_age_secs);
    gh_resp_header(req, "Cache-Control", cc);
    gh_resp_send(req, 200, "application/json", body, len);
}

/* ---- discovery (RFC 8414, OpenID Connect Discovery 1.0) ----------------- */

static void put_endpoint(struct gh_buf *b, const char *name, const char *issuer, const char *path)
{
    gh_buf_printf(b, ",\"%s\":", name);
    struct gh_buf url;
    gh_buf_init(&url, NULL, 128);
    gh_buf_puts(&url, issuer);
    gh_buf_puts(&url, path);
    gh_buf_put_json_str(b, url.data, url.len);
    gh_buf_free(&url);
}

/* The one document both discovery paths serve.  OpenID Connect requires
 * response_types_supported, subject_types_supported and
 * id_token_signing_alg_values_supported even from a server that, like this
 * one, has no authorization endpoint and issues no ID tokens: they say so
 * (no response types, public subjects, and the algorithms our keys may
 * have, the configured one first and RS256 among them as OIDC asks). */
static char *build_discovery(const struct gh_oauth *o, size_t *len)
{
    const char *issuer = o->cfg.issuer ? o->cfg.issuer : "";
    static const char auth_methods[] = "[\"client_secret_basic\",\"client_secret_post\"]";
    struct gh_buf b;
    gh_buf_init(&b, NULL, 1024);
    gh_buf_puts(&b, "{\"issuer\":");
    gh_buf_put_json_str(&b, issuer, strlen(issuer));
    put_endpoint(&b, "token_endpoint", issuer, "/connect/token");
    put_endpoint(&b, "jwks_uri", issuer, "/jwks.json");
    put_endpoint(&b, "introspection_endpoint", issuer, "/oauth2/introspect");
    put_endpoint(&b, "revocation_endpoint", issuer, "/oauth2/revoke");
    gh_buf_puts(&b, ",\"grant_types_supported\":[\"client_credentials\"]");
    gh_buf_printf(&b, ",\"token_endpoint_auth_methods_supported\":%s", auth_methods);
    gh_buf_printf(&b, ",\"introspection_endpoint_auth_methods_supported\":%s", auth_methods);
    gh_buf_printf(&b, ",\"revocation_endpoint_auth_methods_supported\":%s", auth_methods);
    gh_buf_puts(&b, ",\"response_types_supported\":[]");
    gh_buf_puts(&b, ",\"subject_types_supported\":[\"public\"]");
    gh_buf_printf(&b, ",\"id_token_signing_alg_values_supported\":[\"%s\"",
                  gh_jws_alg_name(o->cfg.alg));
    static const enum gh_jws_alg all[] = {GH_JWS_ES256, GH_JWS_EDDSA, GH_JWS_RS256};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i] != o->cfg.alg)
            gh_buf_printf(&b, ",\"%s\"", gh_jws_alg_name(all[i]));
    gh_buf_puts(&b, "]");
    gh_buf_puts(&b, ",\"claims_supported\":[\"iss\",\"sub\",\"aud\",\"exp\",\"iat\",\"jti\","
                    "\"client_id\",\"scope\",\"tenant\",\"customer_numbers\",\"services\"]");
    gh_buf_puts(&b, "}");
    *len = b.len;
    return b.data;
}

const char *gh_keys_discovery_json(struct gh_oauth *o, size_t *len)
{
    struct gh_keyring *kr = o->keyring;
    char *doc = atomic_load_explicit(&kr->discovery, memory_order_acquire);
    if (!doc) {
        pthread_mutex_lock(&kr->lock);
        doc = atomic_load_explicit(&kr->discovery, memory_order_relaxed);
        if (!doc) {
            doc = build_discovery(o, &kr->discovery_len);
            atomic_store_explicit(&kr->discovery, doc, memory_order_release);
        }
        pthread_mutex_unlock(&kr->lock);
    }
    *len = kr->discovery_len;
    return doc;
}

static void discovery_handler(struct gh_req *req)
{
    struct gh_oauth *o = req->route->ctx;
    size_t len = 0;
    const char *doc = gh_keys_discovery_json(o, &len); /* lives as long as the keyring */
    char cc[48];
    snprintf(cc, sizeof cc, "public, max-age=%d", DISCOVERY_MAX_AGE_SECS);
    gh_resp_header(req, "Cache-Control", cc);
    gh_resp_send(req, 200, "application/json", doc, len);
}

bool gh_oauth_register_keys(struct gh_router *r, struct gh_oauth *o)
{
    return gh_router_add(r, GH_GET, "/jwks.json", jwks_handler, o) &&
           gh_router_add(r, GH_GET, "/.well-known/openid-configuration", discovery_handler, o) &&
           gh_router_add(r, GH_GET, "/.well-known/oauth-authorization-server", discovery_handler,
                         o);
}
