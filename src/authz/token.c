/* Bearer tokens for the check: verifying a JWT or reading an opaque token
 * once, and what must be true of its claims on every request. */
#include "authz/token.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/jws.h"
#include "store/entities.h"

#define OPAQUE_PREFIX "ghot_" /* the token service's opaque tokens (oauth/token.h) */

/* ---- verifying keys ---------------------------------------------------------- */

/* Public keys parsed from the snapshot's JWKs, by kid.  A key is parsed
 * once and kept until gh_authz_keys_free (kids are few and never reused
 * with other material: a kid whose JWK text changed is parsed again). */
struct vkey {
    char *kid;
    char *jwk;
    struct gh_jws_key *key;
};

struct gh_authz_keys {
    pthread_mutex_t mu;
    struct vkey *items;
    size_t n, cap;
};

struct gh_authz_keys *gh_authz_keys_new(void)
{
    struct gh_authz_keys *k = gh_xcalloc(1, sizeof *k);
    pthread_mutex_init(&k->mu, NULL);
    return k;
}

void gh_authz_keys_free(struct gh_authz_keys *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        free(k->items[i].kid);
        free(k->items[i].jwk);
        gh_jws_key_free(k->items[i].key);
    }
    free(k->items);
    pthread_mutex_destroy(&k->mu);
    free(k);
}

/* The parsed public key of sk; NULL when its JWK does not parse. */
static const struct gh_jws_key *vkey_get(struct gh_authz_keys *k, const struct gh_signing_key *sk)
{
    if (!sk->kid || !sk->public_jwk)
        return NULL;
    const struct gh_jws_key *found = NULL;
    pthread_mutex_lock(&k->mu);
    for (size_t i = 0; i < k->n; i++) {
        if (strcmp(k->items[i].kid, sk->kid) == 0 && strcmp(k->items[i].jwk, sk->public_jwk) == 0) {
            found = k->items[i].key;
            break;
        }
    }
    if (!found) {
        struct gh_jws_key *key = gh_jws_key_from_jwk(sk->public_jwk, strlen(sk->public_jwk));
        if (key) {
            if (k->n == k->cap) {
                k->cap = k->cap ? k->cap * 2 : 8;
                k->items = gh_xrealloc(k->items, k->cap * sizeof *k->items);
            }
            k->items[k->n++] = (struct vkey){gh_xstrdup(sk->kid), gh_xstrdup(sk->public_jwk), key};
            found = key;
        }
    }
    pthread_mutex_unlock(&k->mu);
    return found;
}

/* ---- claims ------------------------------------------------------------------ */

static struct gh_str json_text(struct gh_arena *a, json_t *v)
{
    if (!json_is_string(v))
        return GH_STR_NULL;
    size_t n = json_string_length(v);
    return gh_str_n(gh_arena_strndup(a, json_string_value(v), n), n);
}

/* A string or an array of strings (aud); false for anything else. */
static bool json_texts(struct gh_arena *a, json_t *v, struct gh_str **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!v)
        return true;
    if (json_is_string(v)) {
        *out = gh_arena_alloc(a, sizeof **out);
        (*out)[0] = json_text(a, v);
        *n = 1;
        return true;
    }
    if (!json_is_array(v))
        return false;
    size_t len = json_array_size(v);
    *out = len ? gh_arena_alloc(a, len * sizeof **out) : NULL;
    for (size_t i = 0; i < len; i++) {
        json_t *item = json_array_get(v, i);
        if (!json_is_string(item))
            return false;
        (*out)[i] = json_text(a, item);
    }
    *n = len;
    return true;
}

static bool json_time(json_t *v, int64_t *out)
{
    *out = 0;
    if (!v)
        return true;
    if (!json_is_integer(v))
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

/* Reads the claims of a token's payload into out; the issuer must be
 * ours.  NULL on success, else why. */
static const char *read_claims(struct gh_authz *z, const char *json, size_t len, struct gh_arena *a,
                               struct gh_authz_claims *out)
{
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    const char *why = NULL;
    if (!json_is_object(root)) {
        why = "The access token is malformed";
        goto done;
    }
    json_t *iss = json_object_get(root, "iss");
    if (!json_is_string(iss) || !z->cfg.issuer ||
        strcmp(json_string_value(iss), z->cfg.issuer) != 0) {
        why = "The access token was not issued by this server";
        goto done;
    }
    out->client_id = json_text(a, json_object_get(root, "client_id"));
    out->app_id = json_text(a, json_object_get(root, "app_id"));
    out->jti = json_text(a, json_object_get(root, "jti"));
    out->tenant = json_text(a, json_object_get(root, "tenant"));
    if (!out->client_id.len || !json_time(json_object_get(root, "exp"), &out->exp) ||
        out->exp <= 0 || !json_time(json_object_get(root, "nbf"), &out->nbf) ||
        !json_texts(a, json_object_get(root, "aud"), &out->aud, &out->n_aud) ||
        !json_texts(a, json_object_get(root, "services"), &out->services, &out->n_services) ||
        !json_texts(a, json_object_get(root, "customer_numbers"), &out->customer_numbers,
                    &out->n_customer_numbers)) {
        why = "The access token is malformed";
        goto done;
    }
done:
    json_decref(root);
    return why;
}

/* ---- verifying once ---------------------------------------------------------- */

/* RFC 9068 §4: an access token's header says typ "at+jwt" (or its media
 * type), so another JWT signed with the same keys is not taken for one. */
static bool header_typ_ok(struct gh_str token, struct gh_arena *a)
{
    const char *dot = memchr(token.ptr, '.', token.len);
    if (!dot)
        return false;
    size_t n = (size_t)(dot - token.ptr);
    uint8_t *raw = gh_arena_alloc(a, n + 1);
    size_t len = 0;
    if (n > 1024 || !gh_base64url_decode(token.ptr, n, raw, n + 1, &len))
        return false;
    json_t *h = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *typ = json_object_get(h, "typ");
    bool ok =
        json_is_string(typ) && (strcasecmp(json_string_value(typ), "at+jwt") == 0 ||
                                strcasecmp(json_string_value(typ), "application/at+jwt") == 0);
    json_decref(h);
    return ok;
}

/* A JWT: the key named by its kid (from the snapshot), the signature with
 * the algorithm pinned to that key, then the claims. */
static enum gh_authz_token_rc verify_jwt(struct gh_authz *z, const struct gh_snapshot *s,
                                         struct gh_str token, struct gh_arena *a,
                                         struct gh_authz_claims *out, const char **why,
                                         bool *generation_bound)
{
    char kid[128];
    if (!gh_jws_peek_kid(token.ptr, token.len, kid, sizeof kid)) {
        *why = "The access token is malformed";
        return GH_AUTHZ_TOKEN_BAD;
    }
    const struct gh_signing_key *sk = gh_snapshot_signing_key_by_kid(s, gh_str_c(kid));
    const struct gh_jws_key *key = sk ? vkey_get(z->keys, sk) : NULL;
    if (!key) {
        *why = "The access token was signed by an unknown key";
        *generation_bound = true; /* the key may arrive with the next snapshot */
        return GH_AUTHZ_TOKEN_BAD;
    }
    char *payload = gh_arena_alloc(a, token.len + 1);
    size_t plen = 0;
    atomic_fetch_add_explicit(&z->verifications, 1, memory_order_relaxed);
    if (!gh_jws_verify(token.ptr, token.len, key, payload, token.len + 1, &plen)) {
        *why = "The access token's signature does not verify";
        return GH_AUTHZ_TOKEN_BAD;
    }
    if (!header_typ_ok(token, a)) {
        *why = "The token is not an access token";
        return GH_AUTHZ_TOKEN_BAD;
    }
    *why = read_claims(z, payload, plen, a, out);
    if (*why)
        return GH_AUTHZ_TOKEN_BAD;
    out->opaque = false;
    out->kid = gh_str_n(gh_arena_strdup(a, kid), strlen(kid));
    return GH_AUTHZ_TOKEN_OK;
}

/* An opaque token: its row, by hash. */
static enum gh_authz_token_rc read_opaque(struct gh_authz *z, const uint8_t hash[32], int64_t now,
                                          struct gh_arena *a, struct gh_authz_claims *out,
                                          const char **why)
{
    char hex[65];
    gh_hex_encode(hash, 32, hex);
    struct gh_tx *tx;
    struct gh_opaque_token t;
    atomic_fetch_add_explicit(&z->verifications, 1, memory_order_relaxed);
    enum gh_store_rc rc = gh_store_begin(z->store, GH_TX_READ, &tx);
    if (rc == GH_STORE_OK) {
        rc = gh_store_opaque_token_get(tx, hex, a, &t);
        gh_store_rollback(tx);
    }
    if (rc == GH_STORE_NOT_FOUND) {
        *why = "Unknown access token";
        return GH_AUTHZ_TOKEN_BAD;
    }
    if (rc != GH_STORE_OK) {
        *why = "The token store is unavailable";
        return GH_AUTHZ_TOKEN_ERROR;
    }
    if (t.revoked_at) {
        *why = "The access token has been revoked";
        return GH_AUTHZ_TOKEN_BAD;
    }
    if (t.expires_at <= now) {
        *why = "The access token has expired";
        return GH_AUTHZ_TOKEN_BAD;
    }
    const char *claims = t.claims_json ? t.claims_json : "";
    *why = read_claims(z, claims, strlen(claims), a, out);
    if (*why)
        return GH_AUTHZ_TOKEN_BAD;
    out->opaque = true;
    out->exp = t.expires_at; /* the row decides, whatever the claims say */
    if (t.client_id)
        out->client_id = gh_str_c(t.client_id);
    if (t.app_id)
        out->app_id = gh_str_c(t.app_id);
    return GH_AUTHZ_TOKEN_OK;
}

enum gh_authz_token_rc gh_authz_token_claims(struct gh_authz *z, const struct gh_snapshot *s,
                                             struct gh_str token, int64_t now, struct gh_arena *a,
                                             struct gh_authz_claims *out, const char **why)
{
    uint8_t key[GH_AUTHZ_KEY_LEN];
    gh_sha256(token.ptr, token.len, key);
    uint64_t gen = gh_snapshot_generation(s);
    memset(out, 0, sizeof *out);
    switch (gh_authz_cache_get(z->cache, key, now, gen, a, out, why)) {
    case GH_AUTHZ_HIT_OK:
        return GH_AUTHZ_TOKEN_OK;
    case GH_AUTHZ_HIT_BAD:
        return GH_AUTHZ_TOKEN_BAD;
    case GH_AUTHZ_MISS:
        break;
    }
    enum gh_authz_token_rc rc;
    bool bound = false;
    if (!gh_authz_token68_valid(token)) {
        *why = "The access token is malformed";
        rc = GH_AUTHZ_TOKEN_BAD;
    } else if (gh_str_has_prefix(token, GH_STR(OPAQUE_PREFIX))) {
        rc = read_opaque(z, key, now, a, out, why);
        bound = true; /* a revocation moves the generation */
    } else {
        rc = verify_jwt(z, s, token, a, out, why, &bound);
    }
    uint64_t for_gen = bound ? gen : GH_AUTHZ_ANY_GENERATION;
    if (rc == GH_AUTHZ_TOKEN_OK) {
        int64_t until = out->exp + z->cfg.leeway_secs;
        if (until > now)
            gh_authz_cache_put_ok(z->cache, key, out, now, until, for_gen);
    } else if (rc == GH_AUTHZ_TOKEN_BAD) {
        gh_authz_cache_put_bad(z->cache, key, *why, now, now + GH_AUTHZ_NEGATIVE_TTL, for_gen);
    }
    return rc;
}

/* ---- on every request ---------------------------------------------------------- */

const char *gh_authz_token_current(struct gh_authz *z, const struct gh_snapshot *s,
                                   const struct gh_authz_claims *c, const struct gh_api *api,
                                   int64_t now, const struct gh_app **app_out)
{
    *app_out = NULL;
    int64_t leeway = z->cfg.leeway_secs;
    if (now >= c->exp + leeway)
        return "The access token has expired";
    if (c->nbf && now + leeway < c->nbf)
        return "The access token is not valid yet";
    if (!c->opaque) {
        const struct gh_signing_key *sk = gh_snapshot_signing_key_by_kid(s, c->kid);
        if (!sk || (sk->state == GH_KEY_RETIRED && sk->publish_until <= now))
            return "The access token was signed by a retired key";
        if (c->jti.len && gh_snapshot_jti_revoked(s, c->jti))
            return "The access token has been revoked";
    }
    const struct gh_app *app = gh_snapshot_app_by_client_id(s, c->client_id);
    /* the client_id may have passed to another app since the token was issued */
    if (!app || (c->app_id.len && !gh_str_eq_c(c->app_id, app->id)))
        return "The access token's app no longer exists";
    if (app->disabled)
        return "The access token's app is disabled";
    if (c->tenant.len) {
        const struct gh_org *org = gh_snapshot_app_org(s, app);
        if (!org || !org->tenant || !gh_str_eq_c(c->tenant, org->tenant))
            return "The access token was issued for another tenant";
    }
    if (api->audience && *api->audience && !gh_str_in(c->aud, c->n_aud, gh_str_c(api->audience)))
        return "The access token was not issued for this API";
    *app_out = app;
    return NULL;
}
