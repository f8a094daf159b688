/* Message digests, HMAC and hex on OpenSSL 3 EVP.
 *
 * One-shot functions writing into caller buffers; none of them allocates on
 * our side.  Each thread keeps its own EVP_MD_CTX / EVP_MAC_CTX (made on the
 * thread's first call, freed when it exits) and the algorithms are fetched
 * once per process: measured on OpenSSL 3.0 this is ~3x cheaper than
 * EVP_Digest/EVP_Q_digest and ~5x cheaper than HMAC()/EVP_Q_mac, which fetch
 * the algorithm and build a context on every call.  A library failure here
 * can only mean memory exhaustion or a broken OpenSSL install, so it logs one
 * line and aborts, like gh_xmalloc. */
#ifndef GH_CRYPTO_HASH_H
#define GH_CRYPTO_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_SHA256_LEN 32
#define GH_SHA512_LEN 64

void gh_sha256(const void *data, size_t len, uint8_t out[GH_SHA256_LEN]);
void gh_sha512(const void *data, size_t len, uint8_t out[GH_SHA512_LEN]);
/* HMAC-SHA-256 (RFC 2104); any key length, including 0. */
void gh_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    uint8_t out[GH_SHA256_LEN]);

/* Writes 2*n lower-case hex digits and a NUL: out holds 2*n + 1 bytes. */
void gh_hex_encode(const void *in, size_t n, char *out);
/* Decodes exactly hex_len digits (either case) into hex_len / 2 bytes.
 * False, with out unspecified, when hex_len is odd, out_len != hex_len / 2,
 * or a character is not a hex digit. */
bool gh_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len);

/* Constant-time equality of n bytes (CRYPTO_memcmp): the time taken does not
 * depend on where the buffers differ. */
bool gh_ct_equal(const void *a, const void *b, size_t n);
/* Constant-time equality of two NUL-terminated hex strings, case-insensitive.
 * Only the lengths (public for digests) are compared early; both strings must
 * be non-empty and consist of hex digits only, else false. */
bool gh_hex_ct_equal(const char *a, const char *b);

#endif
