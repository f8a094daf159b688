#include "crypto/jws.h"
#include "core/alloc.h"
#include "crypto/base64.h"

#include <jansson.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum {
    ES256_COORD = 32,     /* bytes of one P-256 coordinate, of r and of s */
    ED25519_BYTES = 32,   /* an Ed25519 public key */
    SIG_MAX = 1024,       /* the largest signature accepted (RSA 8192) */
    RSA_MIN_BITS = 2048,  /* smaller RSA keys are refused (RFC 7518 §3.3) */
    HEADER_MAX = 2048,    /* decoded protected header */
    JWK_FIELD_MAX = 1024, /* a decoded JWK member (n of RSA 8192) */
    TCACHE_ENTRIES = 8,   /* per-thread signing/verifying contexts */
    ECDSA_DER_MAX = 80,   /* DER ECDSA-Sig-Value for P-256 (at most 72) */
};

struct gh_jws_key {
    enum gh_jws_alg alg;
    bool has_private;
    uint64_t id;    /* unique for the process' life: names the key in thread caches */
    size_t sig_len; /* JOSE signature bytes: 64, 64, or the RSA modulus size */
    EVP_PKEY *pkey;
    char *kid;
    char *jwk; /* the public JWK, compact JSON */
    size_t jwk_len;
    char *hdr_none; /* base64url protected header without typ */
    size_t hdr_none_len;
    char *hdr_at_jwt; /* … with "typ":"at+jwt" (RFC 9068) */
    size_t hdr_at_jwt_len;
};

/* ---- process-wide state, set up once ---------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t tcache_key;
static EVP_MD *sha256_md; /* fetched once: EVP_sha256() would fetch per use */
static atomic_uint_fast64_t next_key_id = 1;

/* ---- per-thread contexts ------------------------------------------------
 *
 * EVP_PKEY_CTX_new + *_init fetch the algorithm from the provider store
 * (locks, hash lookups, allocations): several microseconds per call.  Each
 * thread therefore keeps a few ready contexts keyed by the key's id.  An
 * entry holds a reference to its EVP_PKEY, so a key freed while another
 * thread still caches it costs memory until eviction, never safety; ids are
 * never reused, so a new key cannot hit an old key's entry.  The thread's
 * cache is freed by a pthread key destructor when the thread exits. */

enum tc_op { TC_SIGN = 1, TC_VERIFY = 2 };

struct tc_entry {
    uint64_t key_id;
    enum tc_op op;
    EVP_PKEY_CTX *pctx; /* ES256, RS256: sign/verify of a SHA-256 digest */
    EVP_MD_CTX *tmpl;   /* EdDSA: DigestSign/Verify initialised once */
};

struct tcache {
    EVP_MD_CTX *sha;  /* SHA-256 of the signing input */
    EVP_MD_CTX *work; /* EdDSA: copy of tmpl used for one operation */
    struct tc_entry e[TCACHE_ENTRIES];
    unsigned next; /* round-robin eviction */
};

static _Thread_local struct tcache *tcache;

static void tc_entry_clear(struct tc_entry *e)
{
    EVP_PKEY_CTX_free(e->pctx);
    EVP_MD_CTX_free(e->tmpl);
    memset(e, 0, sizeof *e);
}

static void tcache_destroy(void *p)
{
    struct tcache *c = p;
    if (!c)
        return;
    if (tcache == c)
        tcache = NULL;
    for (size_t i = 0; i < TCACHE_ENTRIES; i++)
        tc_entry_clear(&c->e[i]);
    EVP_MD_CTX_free(c->sha);
    EVP_MD_CTX_free(c->work);
    free(c);
}

static void init_once_fn(void)
{
    if (pthread_key_create(&tcache_key, tcache_destroy) != 0)
        abort();
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!sha256_md)
        abort();
}

static void jws_init(void)
{
    pthread_once(&init_once, init_once_fn);
}

void gh_jws_thread_cleanup(void)
{
    jws_init();
    struct tcache *c = tcache;
    if (!c)
        return;
    pthread_setspecific(tcache_key, NULL);
    tcache_destroy(c);
}

static struct tcache *tcache_get(void)
{
    if (tcache)
        return tcache;
    jws_init();
    struct tcache *c = gh_xcalloc(1, sizeof *c);
    c->sha = EVP_MD_CTX_new();
    c->work = EVP_MD_CTX_new();
    if (!c->sha || !c->work)
        abort();
    pthread_setspecific(tcache_key, c);
    tcache = c;
    return c;
}

/* A fresh context for op with k, initialised for SHA-256 digests (ES256,
 * RS256) or for one-shot EdDSA. */
static bool tc_entry_make(struct tc_entry *e, const struct gh_jws_key *k, enum tc_op op)
{
    e->key_id = k->id;
    e->op = op;
    if (k->alg == GH_JWS_EDDSA) {
        e->tmpl = EVP_MD_CTX_new();
        if (!e->tmpl)
            return false;
        int ok = op == TC_SIGN
                     ? EVP_DigestSignInit_ex(e->tmpl, NULL, NULL, NULL, NULL, k->pkey, NULL)
                     : EVP_DigestVerifyInit_ex(e->tmpl, NULL, NULL, NULL, NULL, k->pkey, NULL);
        return ok == 1;
    }
    e->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    if (!e->pctx)
        return false;
    if ((op == TC_SIGN ? EVP_PKEY_sign_init(e->pctx) : EVP_PKEY_verify_init(e->pctx)) != 1)
        return false;
    if (k->alg == GH_JWS_RS256 && EVP_PKEY_CTX_set_rsa_padding(e->pctx, RSA_PKCS1_PADDING) != 1)
        return false;
    /* RS256 wraps the digest in DigestInfo; ECDSA checks its length. */
    return EVP_PKEY_CTX_set_signature_md(e->pctx, sha256_md) == 1;
}

static struct tc_entry *tc_lookup(struct tcache *c, const struct gh_jws_key *k, enum tc_op op)
{
    for (size_t i = 0; i < TCACHE_ENTRIES; i++)
        if (c->e[i].key_id == k->id && c->e[i].op == op)
            return &c->e[i];
    struct tc_entry *e = &c->e[c->next];
    c->next = (c->next + 1) % TCACHE_ENTRIES;
    tc_entry_clear(e);
    if (!tc_entry_make(e, k, op)) {
        tc_entry_clear(e);
        ERR_clear_error();
        return NULL;
    }
    return e;
}

static bool sha256(struct tcache *c, const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    return EVP_DigestInit_ex(c->sha, sha256_md, NULL) == 1 &&
           EVP_DigestUpdate(c->sha, data, len) == 1 && EVP_DigestFinal_ex(c->sha, out, &n) == 1 &&
           n == 32;
}

/* ---- algorithms ---------------------------------------------------------- */

const char *gh_jws_alg_name(enum gh_jws_alg alg)
{
    switch (alg) {
    case GH_JWS_ES256:
        return "ES256";
    case GH_JWS_EDDSA:
        return "EdDSA";
    case GH_JWS_RS256:
        return "RS256";
    }
    return "";
}

bool gh_jws_alg_parse(const char *s, enum gh_jws_alg *out)
{
    static const enum gh_jws_alg all[] = {GH_JWS_ES256, GH_JWS_EDDSA, GH_JWS_RS256};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, gh_jws_alg_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

/* ---- keys ---------------------------------------------------------------- */

/* Whether pkey is a key alg can use: a P-256 EC key, an Ed25519 key, or an
 * RSA key of at least 2048 bits whose signatures fit SIG_MAX. */
static bool pkey_fits(const EVP_PKEY *pkey, enum gh_jws_alg alg)
{
    switch (alg) {
    case GH_JWS_ES256: {
        char group[64];
        if (!EVP_PKEY_is_a(pkey, "EC") ||
            EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           NULL) != 1)
            return false;
        return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
    }
    case GH_JWS_EDDSA:
        return EVP_PKEY_is_a(pkey, "ED25519");
    case GH_JWS_RS256:
        return EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= RSA_MIN_BITS &&
               EVP_PKEY_get_size(pkey) <= SIG_MAX;
    }
    return false;
}

static bool set_b64(json_t *obj, const char *name, const uint8_t *data, size_t n)
{
    char *s = gh_xmalloc(GH_BASE64URL_LEN(n) + 1);
    gh_base64url_encode(data, n, s);
    bool ok = json_object_set_new(obj, name, json_string(s)) == 0;
    free(s);
    return ok;
}

/* A BIGNUM parameter of pkey, big-endian, unpadded (pad 0) or left-padded
 * to pad bytes, as a base64url member of obj. */
static bool set_bn_b64(json_t *obj, const char *name, const EVP_PKEY *pkey, const char *param,
                       int pad)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
        return false;
    int n = pad ? pad : BN_num_bytes(bn);
    uint8_t buf[SIG_MAX];
    bool ok = n > 0 && n <= (int)sizeof buf &&
              (pad ? BN_bn2binpad(bn, buf, pad) == pad : BN_bn2bin(bn, buf) == n) &&
              set_b64(obj, name, buf, (size_t)n);
    BN_free(bn);
    return ok;
}

/* The public JWK members in the order kty, crv, x, y | n, e. */
static json_t *public_jwk_object(const struct gh_jws_key *k)
{
    json_t *o = json_object();
    bool ok = false;
    switch (k->alg) {
    case GH_JWS_ES256:
        ok = json_object_set_new(o, "kty", json_string("EC")) == 0 &&
             json_object_set_new(o, "crv", json_string("P-256")) == 0 &&
             set_bn_b64(o, "x", k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, ES256_COORD) &&
             set_bn_b64(o, "y", k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, ES256_COORD);
        break;
    case GH_JWS_EDDSA: {
        uint8_t pub[ED25519_BYTES];
        size_t n = sizeof pub;
        ok = EVP_PKEY_get_raw_public_key(k->pkey, pub, &n) == 1 && n == sizeof pub &&
             json_object_set_new(o, "kty", json_string("OKP")) == 0 &&
             json_object_set_new(o, "crv", json_string("Ed25519")) == 0 && set_b64(o, "x", pub, n);
        break;
    }
    case GH_JWS_RS256:
        ok = json_object_set_new(o, "kty", json_string("RSA")) == 0 &&
             set_bn_b64(o, "n", k->pkey, OSSL_PKEY_PARAM_RSA_N, 0) &&
             set_bn_b64(o, "e", k->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        break;
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static char *dump_compact(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

/* base64url of the protected header {"alg":…[,"typ":…][,"kid":…]} into a
 * malloc'd string (*len its length); NULL when typ or kid is not UTF-8. */
static char *header_b64(const struct gh_jws_key *k, const char *typ, size_t *len)
{
    json_t *h = json_object();
    json_object_set_new(h, "alg", json_string(gh_jws_alg_name(k->alg)));
    if (typ && json_object_set_new(h, "typ", json_string(typ)) != 0) {
        json_decref(h);
        return NULL;
    }
    if (k->kid[0] && json_object_set_new(h, "kid", json_string(k->kid)) != 0) {
        json_decref(h);
        return NULL;
    }
    char *text = dump_compact(h);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *out = gh_xmalloc(GH_BASE64URL_LEN(n) + 1);
    *len = gh_base64url_encode(text, n, out);
    free(text);
    return out;
}

/* Wraps pkey (ownership passes) into a key with everything precomputed that
 * signing and JWKS need; NULL (pkey freed) when kid is not UTF-8. */
static struct gh_jws_key *key_new(enum gh_jws_alg alg, const char *kid, EVP_PKEY *pkey,
                                  bool has_private)
{
    jws_init();
    struct gh_jws_key *k = gh_xcalloc(1, sizeof *k);
    k->alg = alg;
    k->has_private = has_private;
    k->id = atomic_fetch_add(&next_key_id, 1);
    k->pkey = pkey;
    k->kid = gh_xstrdup(kid ? kid : "");
    k->sig_len = alg == GH_JWS_RS256 ? (size_t)EVP_PKEY_get_size(pkey) : 2 * ES256_COORD;

    json_t *jwk = public_jwk_object(k);
    if (!jwk || (k->kid[0] && json_object_set_new(jwk, "kid", json_string(k->kid)) != 0)) {
        json_decref(jwk);
        gh_jws_key_free(k);
        ERR_clear_error();
        return NULL;
    }
    json_object_set_new(jwk, "alg", json_string(gh_jws_alg_name(alg)));
    json_object_set_new(jwk, "use", json_string("sig"));
    k->jwk = dump_compact(jwk);
    k->hdr_none = header_b64(k, NULL, &k->hdr_none_len);
    k->hdr_at_jwt = header_b64(k, "at+jwt", &k->hdr_at_jwt_len);
    if (!k->jwk || !k->hdr_none || !k->hdr_at_jwt) {
        gh_jws_key_free(k);
        return NULL;
    }
    k->jwk_len = strlen(k->jwk);
    return k;
}

struct gh_jws_key *gh_jws_key_generate(enum gh_jws_alg alg, const char *kid)
{
    EVP_PKEY *pkey = NULL;
    switch (alg) {
    case GH_JWS_ES256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case GH_JWS_EDDSA:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case GH_JWS_RS256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_MIN_BITS);
        break;
    }
    if (!pkey) {
        ERR_clear_error();
        return NULL;
    }
    return key_new(alg, kid, pkey, true);
}

bool gh_jws_key_to_der(const struct gh_jws_key *k, uint8_t **der, size_t *len)
{
    if (!k->has_private)
        return false;
    OSSL_ENCODER_CTX *ectx =
        OSSL_ENCODER_CTX_new_for_pkey(k->pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
    unsigned char *data = NULL;
    size_t n = 0;
    bool ok = ectx && OSSL_ENCODER_to_data(ectx, &data, &n) == 1 && data && n > 0;
    OSSL_ENCODER_CTX_free(ectx);
    if (!ok) {
        OPENSSL_clear_free(data, n);
        ERR_clear_error();
        return false;
    }
    /* The caller frees with free(); OpenSSL's allocator need not be malloc. */
    *der = gh_xmalloc(n);
    memcpy(*der, data, n);
    *len = n;
    OPENSSL_clear_free(data, n);
    return true;
}

struct gh_jws_key *gh_jws_key_from_der(enum gh_jws_alg alg, const char *kid, const uint8_t *der,
                                       size_t len)
{
    if (len == 0 || len > LONG_MAX)
        return NULL;
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
    EVP_PKEY *pkey = NULL;
    if (p8 && p == der + len)
        pkey = EVP_PKCS82PKEY(p8);
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (!pkey || !pkey_fits(pkey, alg)) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return NULL;
    }
    return key_new(alg, kid, pkey, true);
}

/* A string member of o, or NULL when absent or not a string. */
static const char *json_str(const json_t *o, const char *name, size_t *len)
{
    const json_t *v = json_object_get(o, name);
    if (!json_is_string(v))
        return NULL;
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

/* The base64url member name of o decoded into out; its length must be
 * exactly want bytes (want 0: anything from 1 to cap). */
static bool json_b64(const json_t *o, const char *name, uint8_t *out, size_t cap, size_t want,
                     size_t *got)
{
    size_t n;
    const char *s = json_str(o, name, &n);
    if (!s || !gh_base64url_decode(s, n, out, cap, got) || *got == 0)
        return false;
    return want == 0 || *got == want;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;
    if (!c || EVP_PKEY_fromdata_init(c) != 1 ||
        EVP_PKEY_fromdata(c, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(c);
    return pkey;
}

/* The public key a JWK object describes and its alg; NULL when malformed,
 * of an unsupported curve or key type, or the point is not on P-256. */
static EVP_PKEY *pkey_from_jwk(const json_t *o, enum gh_jws_alg *alg)
{
    const char *kty = json_str(o, "kty", NULL);
    const char *crv = json_str(o, "crv", NULL);
    uint8_t a[JWK_FIELD_MAX], b[JWK_FIELD_MAX];
    size_t an, bn;
    if (!kty)
        return NULL;
    if (strcmp(kty, "EC") == 0) {
        uint8_t point[1 + 2 * ES256_COORD];
        if (!crv || strcmp(crv, "P-256") != 0 || !json_b64(o, "x", a, sizeof a, ES256_COORD, &an) ||
            !json_b64(o, "y", b, sizeof b, ES256_COORD, &bn))
            return NULL;
        point[0] = POINT_CONVERSION_UNCOMPRESSED;
        memcpy(point + 1, a, ES256_COORD);
        memcpy(point + 1 + ES256_COORD, b, ES256_COORD);
        char group[] = "prime256v1";
        OSSL_PARAM params[] = {
            OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
            OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
            OSSL_PARAM_END,
        };
        *alg = GH_JWS_ES256;
        return pkey_from_params("EC", params);
    }
    if (strcmp(kty, "OKP") == 0) {
        if (!crv || strcmp(crv, "Ed25519") != 0 ||
            !json_b64(o, "x", a, sizeof a, ED25519_BYTES, &an))
            return NULL;
        *alg = GH_JWS_EDDSA;
        return EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, a, an);
    }
    if (strcmp(kty, "RSA") == 0) {
        if (!json_b64(o, "n", a, sizeof a, 0, &an) || !json_b64(o, "e", b, sizeof b, 0, &bn) ||
            a[0] == 0 || b[0] == 0) /* RFC 7518 §6.3.1: minimal big-endian integers */
            return NULL;
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        BIGNUM *n = BN_bin2bn(a, (int)an, NULL), *e = BN_bin2bn(b, (int)bn, NULL);
        OSSL_PARAM *params = NULL;
        EVP_PKEY *pkey = NULL;
        if (bld && n && e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1 &&
            (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
            pkey = pkey_from_params("RSA", params);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        BN_free(n);
        BN_free(e);
        *alg = GH_JWS_RS256;
        return pkey;
    }
    return NULL;
}

struct gh_jws_key *gh_jws_key_from_jwk(const char *jwk_json, size_t len)
{
    /* Without JSON_ALLOW_NUL jansson refuses "\u0000", so every string
     * member is a proper C string. */
    json_t *o = json_loadb(jwk_json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    enum gh_jws_alg alg = GH_JWS_ES256, named;
    EVP_PKEY *pkey = pkey_from_jwk(o, &alg);
    const json_t *alg_v = json_object_get(o, "alg"), *use_v = json_object_get(o, "use"),
                 *kid_v = json_object_get(o, "kid");
    /* "alg", "use" and "kid" are optional; present, they must agree. */
    bool ok = pkey && pkey_fits(pkey, alg) &&
              (!alg_v || (json_is_string(alg_v) &&
                          gh_jws_alg_parse(json_string_value(alg_v), &named) && named == alg)) &&
              (!use_v || (json_is_string(use_v) && strcmp(json_string_value(use_v), "sig") == 0)) &&
              (!kid_v || json_is_string(kid_v));
    struct gh_jws_key *k = NULL;
    if (ok)
        k = key_new(alg, kid_v ? json_string_value(kid_v) : "", pkey, false);
    else
        EVP_PKEY_free(pkey);
    json_decref(o);
    ERR_clear_error();
    return k;
}

void gh_jws_key_free(struct gh_jws_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k->kid);
    free(k->jwk);
    free(k->hdr_none);
    free(k->hdr_at_jwt);
    free(k);
}

enum gh_jws_alg gh_jws_key_alg(const struct gh_jws_key *k)
{
    return k->alg;
}

const char *gh_jws_key_kid(const struct gh_jws_key *k)
{
    return k->kid;
}

size_t gh_jws_key_public_jwk(const struct gh_jws_key *k, char *out, size_t outlen)
{
    if (outlen <= k->jwk_len)
        return 0;
    memcpy(out, k->jwk, k->jwk_len + 1);
    return k->jwk_len;
}

/* ---- signing ------------------------------------------------------------- */

/* ECDSA's DER Ecdsa-Sig-Value → JOSE's fixed-width r || s (RFC 7518 §3.4). */
static bool ecdsa_der_to_raw(const uint8_t *der, size_t der_len, uint8_t raw[2 * ES256_COORD])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!sig)
        return false;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    bool ok = BN_bn2binpad(r, raw, ES256_COORD) == ES256_COORD &&
              BN_bn2binpad(s, raw + ES256_COORD, ES256_COORD) == ES256_COORD;
    ECDSA_SIG_free(sig);
    return ok;
}

/* JOSE's r || s → DER into der (ECDSA_DER_MAX bytes); its length, 0 on error. */
static size_t ecdsa_raw_to_der(const uint8_t raw[2 * ES256_COORD], uint8_t *der)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, ES256_COORD, NULL);
    BIGNUM *s = BN_bin2bn(raw + ES256_COORD, ES256_COORD, NULL);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
        ECDSA_SIG_free(sig);
        BN_free(r);
        BN_free(s);
        return 0;
    }
    int n = i2d_ECDSA_SIG(sig, NULL);
    unsigned char *p = der;
    if (n <= 0 || n > ECDSA_DER_MAX || i2d_ECDSA_SIG(sig, &p) != n)
        n = 0;
    ECDSA_SIG_free(sig);
    return (size_t)n;
}

/* The JOSE signature of input[0, n) with k into sig (k->sig_len bytes). */
static bool sign_raw(const struct gh_jws_key *k, const char *input, size_t n, uint8_t *sig)
{
    struct tcache *c = tcache_get();
    struct tc_entry *e = tc_lookup(c, k, TC_SIGN);
    if (!e)
        return false;
    if (k->alg == GH_JWS_EDDSA) {
        size_t siglen = 2 * ED25519_BYTES;
        return EVP_MD_CTX_copy_ex(c->work, e->tmpl) == 1 &&
               EVP_DigestSign(c->work, sig, &siglen, (const unsigned char *)input, n) == 1 &&
               siglen == k->sig_len;
    }
    uint8_t digest[32];
    if (!sha256(c, input, n, digest))
        return false;
    if (k->alg == GH_JWS_RS256) {
        size_t siglen = k->sig_len;
        return EVP_PKEY_sign(e->pctx, sig, &siglen, digest, sizeof digest) == 1 &&
               siglen == k->sig_len;
    }
    uint8_t der[ECDSA_DER_MAX];
    size_t der_len = sizeof der;
    return EVP_PKEY_sign(e->pctx, der, &der_len, digest, sizeof digest) == 1 &&
           ecdsa_der_to_raw(der, der_len, sig);
}

size_t gh_jws_sign(const struct gh_jws_key *k, const char *typ, const char *payload, size_t len,
                   char *out, size_t outlen)
{
    if (!k->has_private)
        return 0;
    char *own_hdr = NULL;
    const char *hdr;
    size_t hdr_len;
    if (!typ) {
        hdr = k->hdr_none;
        hdr_len = k->hdr_none_len;
    } else if (strcmp(typ, "at+jwt") == 0) {
        hdr = k->hdr_at_jwt;
        hdr_len = k->hdr_at_jwt_len;
    } else {
        hdr = own_hdr = header_b64(k, typ, &hdr_len);
        if (!hdr)
            return 0;
    }
    size_t total = 0;
    if (len <= SIZE_MAX / 2)
        total = hdr_len + 1 + GH_BASE64URL_LEN(len) + 1 + GH_BASE64URL_LEN(k->sig_len);
    if (total == 0 || total >= outlen) {
        free(own_hdr);
        return 0;
    }
    memcpy(out, hdr, hdr_len);
    free(own_hdr);
    size_t n = hdr_len;
    out[n++] = '.';
    n += gh_base64url_encode(payload, len, out + n);
    uint8_t sig[SIG_MAX];
    if (!sign_raw(k, out, n, sig)) {
        ERR_clear_error();
        out[0] = '\0';
        return 0;
    }
    out[n++] = '.';
    n += gh_base64url_encode(sig, k->sig_len, out + n);
    return n;
}

/* ---- verifying ----------------------------------------------------------- */

static bool verify_raw(const struct gh_jws_key *k, const char *input, size_t n, const uint8_t *sig)
{
    struct tcache *c = tcache_get();
    struct tc_entry *e = tc_lookup(c, k, TC_VERIFY);
    if (!e)
        return false;
    if (k->alg == GH_JWS_EDDSA)
        return EVP_MD_CTX_copy_ex(c->work, e->tmpl) == 1 &&
               EVP_DigestVerify(c->work, sig, k->sig_len, (const unsigned char *)input, n) == 1;
    uint8_t digest[32];
    if (!sha256(c, input, n, digest))
        return false;
    if (k->alg == GH_JWS_RS256)
        return EVP_PKEY_verify(e->pctx, sig, k->sig_len, digest, sizeof digest) == 1;
    uint8_t der[ECDSA_DER_MAX];
    size_t der_len = ecdsa_raw_to_der(sig, der);
    return der_len > 0 && EVP_PKEY_verify(e->pctx, der, der_len, digest, sizeof digest) == 1;
}

/* The protected header of a compact JWS as a JSON object (the caller
 * decrefs it); *dot1 and *dot2 receive the two separators' offsets.  NULL when
 * the text is not three base64url parts or the header is not an object. */
static json_t *split_and_parse_header(const char *jws, size_t len, size_t *dot1, size_t *dot2)
{
    const char *d1 = memchr(jws, '.', len);
    if (!d1)
        return NULL;
    const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jws));
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jws)))
        return NULL;
    *dot1 = (size_t)(d1 - jws);
    *dot2 = (size_t)(d2 - jws);
    uint8_t hdr[HEADER_MAX];
    size_t hdr_len;
    if (*dot1 == 0 || !gh_base64url_decode(jws, *dot1, hdr, sizeof hdr, &hdr_len))
        return NULL;
    /* Duplicate members are refused (RFC 7515 §4 allows that or last-wins;
     * refusing means the verifier and a kid lookup cannot see different
     * values), and so is "\u0000" (jansson without JSON_ALLOW_NUL). */
    json_t *h = json_loadb((const char *)hdr, hdr_len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(h)) {
        json_decref(h);
        return NULL;
    }
    return h;
}

bool gh_jws_verify(const char *jws, size_t len, const struct gh_jws_key *k, char *payload,
                   size_t payload_cap, size_t *payload_len)
{
    size_t dot1, dot2;
    json_t *h = split_and_parse_header(jws, len, &dot1, &dot2);
    if (!h)
        return false;
    size_t alg_len;
    const char *alg = json_str(h, "alg", &alg_len);
    const char *want = gh_jws_alg_name(k->alg);
    /* The key decides the alg: the header must name exactly it ("none" and
     * every other alg fail here).  "crit" names extensions we do not
     * implement, so RFC 7515 §4.1.11 requires refusing it. */
    bool hdr_ok = alg && alg_len == strlen(want) && memcmp(alg, want, alg_len) == 0 &&
                  !json_object_get(h, "crit");
    json_decref(h);
    if (!hdr_ok || payload_cap == 0)
        return false;

    uint8_t sig[SIG_MAX];
    size_t sig_len;
    if (!gh_base64url_decode(jws + dot2 + 1, len - dot2 - 1, sig, sizeof sig, &sig_len) ||
        sig_len != k->sig_len || !verify_raw(k, jws, dot2, sig)) {
        ERR_clear_error();
        return false;
    }
    size_t n;
    if (!gh_base64url_decode(jws + dot1 + 1, dot2 - dot1 - 1, (uint8_t *)payload, payload_cap - 1,
                             &n))
        return false;
    payload[n] = '\0';
    *payload_len = n;
    return true;
}

bool gh_jws_peek_kid(const char *jws, size_t len, char *kid, size_t kid_cap)
{
    size_t dot1, dot2;
    json_t *h = split_and_parse_header(jws, len, &dot1, &dot2);
    if (!h)
        return false;
    size_t n;
    const char *v = json_str(h, "kid", &n);
    bool ok = v && n < kid_cap;
    if (ok)
        memcpy(kid, v, n + 1);
    json_decref(h);
    return ok;
}
