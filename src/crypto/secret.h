/* Generated secrets: client secrets, API keys, access tokens, personal tokens.
 *
 * A secret is a short type prefix followed by base64url(32 random bytes),
 * e.g. "ghcs_3q2-7w…" (43 characters after the prefix).  256 random bits
 * need no slow password hash: the store keeps HMAC-SHA-256 under the
 * server's pepper (a key that is not in the database), so a leaked database
 * alone neither reveals nor lets anyone test secrets.  Access tokens whose
 * hash the API provider verifies itself (seed 000) use a plain, unkeyed
 * SHA-256 / SHA-512 instead, since the provider has no pepper. */
#ifndef GH_CRYPTO_SECRET_H
#define GH_CRYPTO_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_SECRET_RANDOM_BYTES 32
#define GH_SECRET_RANDOM_CHARS 43 /* GH_BASE64URL_LEN(32) */
/* Buffer size for a secret with a prefix of prefix_len characters. */
#define GH_SECRET_SIZE(prefix_len) ((prefix_len) + GH_SECRET_RANDOM_CHARS + 1)
#define GH_SECRET_HASH_HEX_LEN 64

#define GH_SECRET_PREFIX_CLIENT_SECRET "ghcs_"
#define GH_SECRET_PREFIX_API_KEY "ghak_"
#define GH_SECRET_PREFIX_ACCESS_TOKEN "ghat_"
#define GH_SECRET_PREFIX_PERSONAL_TOKEN "ghpt_"

/* Writes prefix + 43 random base64url characters + NUL into out and returns
 * the secret's length; returns 0 (out untouched) when out_len is smaller than
 * GH_SECRET_SIZE(strlen(prefix)). */
size_t gh_secret_generate(const char *prefix, char *out, size_t out_len);

/* hex_out = lower-case hex HMAC-SHA-256(pepper, secret[0..len)), NUL-terminated. */
void gh_secret_hash(const uint8_t *pepper, size_t pepper_len, const char *secret, size_t len,
                    char hex_out[GH_SECRET_HASH_HEX_LEN + 1]);

/* Whether secret hashes to stored_hex (as made by gh_secret_hash) under the
 * pepper; the comparison takes the same time wherever the hashes differ. */
bool gh_secret_verify(const uint8_t *pepper, size_t pepper_len, const char *secret, size_t len,
                      const char *stored_hex);

/* Unkeyed digests as lower-case hex, for tokens verified by API providers. */
void gh_sha256_hex(const void *data, size_t len, char hex_out[65]);
void gh_sha512_hex(const void *data, size_t len, char hex_out[129]);

#endif
