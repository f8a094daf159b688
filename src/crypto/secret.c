#include "crypto/secret.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/random.h"

#include <openssl/crypto.h>
#include <string.h>

_Static_assert(GH_BASE64URL_LEN(GH_SECRET_RANDOM_BYTES) == GH_SECRET_RANDOM_CHARS,
               "GH_SECRET_RANDOM_CHARS out of step with GH_SECRET_RANDOM_BYTES");

size_t gh_secret_generate(const char *prefix, char *out, size_t out_len)
{
    size_t plen = strlen(prefix);
    if (out_len < GH_SECRET_SIZE(plen))
        return 0;
    uint8_t raw[GH_SECRET_RANDOM_BYTES];
    gh_random_bytes(raw, sizeof raw);
    memcpy(out, prefix, plen + 1); /* the NUL is overwritten next */
    size_t n = gh_base64url_encode(raw, sizeof raw, out + plen);
    OPENSSL_cleanse(raw, sizeof raw);
    return plen + n;
}

void gh_secret_hash(const uint8_t *pepper, size_t pepper_len, const char *secret, size_t len,
                    char hex_out[GH_SECRET_HASH_HEX_LEN + 1])
{
    uint8_t mac[GH_SHA256_LEN];
    gh_hmac_sha256(pepper, pepper_len, secret, len, mac);
    gh_hex_encode(mac, sizeof mac, hex_out);
}

bool gh_secret_verify(const uint8_t *pepper, size_t pepper_len, const char *secret, size_t len,
                      const char *stored_hex)
{
    char hex[GH_SECRET_HASH_HEX_LEN + 1];
    gh_secret_hash(pepper, pepper_len, secret, len, hex);
    return gh_hex_ct_equal(hex, stored_hex);
}

void gh_sha256_hex(const void *data, size_t len, char hex_out[65])
{
    uint8_t d[GH_SHA256_LEN];
    gh_sha256(data, len, d);
    gh_hex_encode(d, sizeof d, hex_out);
}

void gh_sha512_hex(const void *data, size_t len, char hex_out[129])
{
    uint8_t d[GH_SHA512_LEN];
    gh_sha512(data, len, d);
    gh_hex_encode(d, sizeof d, hex_out);
}
