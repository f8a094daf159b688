#include "crypto/hash.h"
#include "core/str.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keys up to this size are remembered per thread so that hashing under the
 * same key again (the server pepper, every request) skips the HMAC key
 * schedule; longer keys are simply set on every call. */
#define HMAC_KEY_CACHE_MAX 128

struct hash_thread {
    EVP_MD_CTX *sha256;
    EVP_MD_CTX *sha512;
    EVP_MAC_CTX *hmac;
    bool hmac_keyed; /* hmac_key holds the key the context was last set with */
    size_t hmac_key_len;
    unsigned char hmac_key[HMAC_KEY_CACHE_MAX];
};

static pthread_once_t hash_once = PTHREAD_ONCE_INIT;
static pthread_key_t hash_key; /* only for its destructor: frees a thread's state */
static EVP_MD *md_sha256;
static EVP_MD *md_sha512;
static EVP_MAC *mac_hmac;
static EVP_MAC_CTX *hmac_template; /* HMAC with SHA-256 set, no key */
static _Thread_local struct hash_thread *hash_tls;

static _Noreturn void crypto_failure(const char *what)
{
    char line[128];
    int len = snprintf(line, sizeof line,
                       "{\"level\":\"error\",\"msg\":\"crypto failure\",\"op\":\"%s\"}\n", what);
    if (len > 0)
        (void)!write(STDERR_FILENO, line, (size_t)len);
    abort();
}

static void hash_thread_free(void *p)
{
    struct hash_thread *t = p;
    EVP_MD_CTX_free(t->sha256);
    EVP_MD_CTX_free(t->sha512);
    EVP_MAC_CTX_free(t->hmac);
    OPENSSL_cleanse(t->hmac_key, sizeof t->hmac_key);
    free(t);
    hash_tls = NULL; /* a later destructor hashing again gets a fresh state */
}

static void hash_init_once(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
    mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!md_sha256 || !md_sha512 || !mac_hmac)
        crypto_failure("fetch");
    /* Threads copy this context instead of naming the digest themselves:
     * setting OSSL_MAC_PARAM_DIGEST fetches SHA-256 again, and on OpenSSL 3.0
     * that fetch, run by threads starting at the same time, was seen to fail
     * now and then (about one process in a thousand in test_threads). */
    hmac_template = EVP_MAC_CTX_new(mac_hmac);
    char digest_name[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!hmac_template || !EVP_MAC_CTX_set_params(hmac_template, params))
        crypto_failure("hmac params");
    if (pthread_key_create(&hash_key, hash_thread_free) != 0)
        crypto_failure("pthread_key_create");
}

static struct hash_thread *hash_thread_get(void)
{
    struct hash_thread *t = hash_tls;
    if (t)
        return t;
    pthread_once(&hash_once, hash_init_once);
    t = calloc(1, sizeof *t);
    if (!t)
        crypto_failure("calloc");
    t->sha256 = EVP_MD_CTX_new();
    t->sha512 = EVP_MD_CTX_new();
    t->hmac = EVP_MAC_CTX_dup(hmac_template);
    if (!t->sha256 || !t->sha512 || !t->hmac)
        crypto_failure("context");
    if (pthread_setspecific(hash_key, t) != 0)
        crypto_failure("pthread_setspecific");
    hash_tls = t;
    return t;
}

static void digest(EVP_MD_CTX *ctx, const EVP_MD *md, const void *data, size_t len,
                   unsigned char *out)
{
    if (!EVP_DigestInit_ex2(ctx, md, NULL) || !EVP_DigestUpdate(ctx, data, len) ||
        !EVP_DigestFinal_ex(ctx, out, NULL))
        crypto_failure("digest");
}

void gh_sha256(const void *data, size_t len, uint8_t out[GH_SHA256_LEN])
{
    struct hash_thread *t = hash_thread_get(); /* before reading md_sha256 */
    digest(t->sha256, md_sha256, data, len, out);
}

void gh_sha512(const void *data, size_t len, uint8_t out[GH_SHA512_LEN])
{
    struct hash_thread *t = hash_thread_get();
    digest(t->sha512, md_sha512, data, len, out);
}

void gh_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    uint8_t out[GH_SHA256_LEN])
{
    struct hash_thread *t = hash_thread_get();
    /* The cache check compares the key with itself-as-last-used: both are the
     * caller's secret, nothing an attacker controls, so memcmp is fine. */
    bool same_key = t->hmac_keyed && t->hmac_key_len == key_len &&
                    (key_len == 0 || memcmp(t->hmac_key, key, key_len) == 0);
    int ok;
    if (same_key) {
        ok = EVP_MAC_init(t->hmac, NULL, 0, NULL);
    } else {
        /* OpenSSL wants a non-NULL pointer for a zero-length key. */
        static const unsigned char empty_key[1];
        ok = EVP_MAC_init(t->hmac, key_len ? key : empty_key, key_len, NULL);
        t->hmac_keyed = ok && key_len <= sizeof t->hmac_key;
        if (t->hmac_keyed) {
            if (key_len)
                memcpy(t->hmac_key, key, key_len);
            t->hmac_key_len = key_len;
        }
    }
    size_t out_len = 0;
    if (!ok || !EVP_MAC_update(t->hmac, data, len) ||
        !EVP_MAC_final(t->hmac, out, &out_len, GH_SHA256_LEN) || out_len != GH_SHA256_LEN)
        crypto_failure("hmac");
}

void gh_hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

bool gh_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len)
{
    if (hex_len % 2 != 0 || out_len != hex_len / 2)
        return false;
    for (size_t i = 0; i < out_len; i++) {
        int hi = gh_hex_digit((unsigned char)hex[2 * i]);
        int lo = gh_hex_digit((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool gh_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

bool gh_hex_ct_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n == 0 || n != strlen(b))
        return false;
    unsigned diff = 0;
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        int va = gh_hex_digit((unsigned char)a[i]);
        int vb = gh_hex_digit((unsigned char)b[i]);
        bad |= (unsigned)(va | vb) >> 8; /* non-zero iff either is -1 */
        diff |= (unsigned)(va ^ vb);
    }
    return (diff | bad) == 0;
}
