#include "crypto/aead.h"
#include "core/alloc.h"
#include "crypto/base64.h"
#include "crypto/random.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { NONCE_BYTES = 12, TAG_BYTES = 16 };

static pthread_once_t cipher_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *aes_256_gcm; /* fetched once, shared by all threads */

static void cipher_fetch(void)
{
    aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (!aes_256_gcm)
        abort();
}

/* Runs one GCM pass (encrypt or decrypt) of in[0, n) into out with nonce and
 * aad; decrypting, tag is checked, encrypting, it is written. */
static bool gcm(bool encrypt, const uint8_t key[GH_AEAD_KEY_BYTES], const uint8_t *nonce,
                const void *aad, size_t aad_len, const uint8_t *in, size_t n, uint8_t *out,
                uint8_t *tag)
{
    pthread_once(&cipher_once, cipher_fetch);
    if (n > INT_MAX || aad_len > INT_MAX)
        return false;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0;
    bool ok = c && EVP_CipherInit_ex2(c, aes_256_gcm, key, nonce, encrypt ? 1 : 0, NULL) == 1 &&
              (aad_len == 0 || EVP_CipherUpdate(c, NULL, &len, aad, (int)aad_len) == 1) &&
              (n == 0 || (EVP_CipherUpdate(c, out, &len, in, (int)n) == 1 && (size_t)len == n)) &&
              (encrypt || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1) &&
              EVP_CipherFinal_ex(c, out + n, &len) == 1 && len == 0 &&
              (!encrypt || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) == 1);
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        ERR_clear_error();
    return ok;
}

char *gh_aead_seal(const uint8_t key[GH_AEAD_KEY_BYTES], const void *aad, size_t aad_len,
                   const uint8_t *plain, size_t plain_len)
{
    if (plain_len > INT_MAX - NONCE_BYTES - TAG_BYTES)
        return NULL;
    size_t raw_len = NONCE_BYTES + plain_len + TAG_BYTES;
    uint8_t *raw = gh_xmalloc(raw_len);
    gh_random_bytes(raw, NONCE_BYTES);
    char *out = NULL;
    if (gcm(true, key, raw, aad, aad_len, plain, plain_len, raw + NONCE_BYTES,
            raw + NONCE_BYTES + plain_len)) {
        out = gh_xmalloc(GH_BASE64URL_LEN(raw_len) + 1);
        gh_base64url_encode(raw, raw_len, out);
    }
    OPENSSL_cleanse(raw, raw_len);
    free(raw);
    return out;
}

bool gh_aead_open(const uint8_t key[GH_AEAD_KEY_BYTES], const void *aad, size_t aad_len,
                  const char *sealed, uint8_t **plain, size_t *plain_len)
{
    size_t n = strlen(sealed);
    size_t cap = GH_BASE64_DECODED_MAX(n);
    uint8_t *raw = gh_xmalloc(cap);
    size_t raw_len = 0;
    if (!gh_base64url_decode(sealed, n, raw, cap, &raw_len) || raw_len < NONCE_BYTES + TAG_BYTES) {
        free(raw);
        return false;
    }
    size_t len = raw_len - NONCE_BYTES - TAG_BYTES;
    uint8_t *out = gh_xmalloc(len ? len : 1);
    if (!gcm(false, key, raw, aad, aad_len, raw + NONCE_BYTES, len, out, raw + NONCE_BYTES + len)) {
        OPENSSL_cleanse(out, len);
        free(out);
        free(raw);
        return false;
    }
    free(raw);
    *plain = out;
    *plain_len = len;
    return true;
}
