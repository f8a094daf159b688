/* Base64 (RFC 4648): the URL-safe alphabet without padding (§5; JWS, JWK and
 * generated secrets) and the standard alphabet with padding (§4; HTTP Basic
 * credentials).  Decoders are strict: a character outside the alphabet, a
 * length no encoder produces, misplaced padding or non-zero unused bits in
 * the last character make them fail, so every accepted input has exactly one
 * decoding and one encoding. */
#ifndef GH_CRYPTO_BASE64_H
#define GH_CRYPTO_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters base64url-encoding n bytes produces (no padding, no NUL). */
#define GH_BASE64URL_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))
/* Upper bound of the bytes decoding n characters yields (either alphabet). */
#define GH_BASE64_DECODED_MAX(n) (((n) / 4) * 3 + 2)

/* Writes GH_BASE64URL_LEN(n) characters and a NUL into out (which holds at
 * least GH_BASE64URL_LEN(n) + 1 bytes); returns the number of characters. */
size_t gh_base64url_encode(const void *in, size_t n, char *out);

/* Characters standard base64 with padding produces for n bytes (no NUL). */
#define GH_BASE64_LEN(n) ((((n) + 2) / 3) * 4)

/* Writes GH_BASE64_LEN(n) characters (standard alphabet, padded) and a NUL
 * into out (at least GH_BASE64_LEN(n) + 1 bytes); returns the characters. */
size_t gh_base64_encode(const void *in, size_t n, char *out);

/* Decodes n base64url characters (no padding) into out, which has room for
 * out_cap bytes; *out_len receives the decoded length.  False when the input
 * is not canonical unpadded base64url or out_cap is too small. */
bool gh_base64url_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len);

/* Decodes standard base64: padded ("YQ==") or, as some clients send it,
 * unpadded ("YQ").  Same strictness and out contract as gh_base64url_decode;
 * whitespace is not skipped. */
bool gh_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len);

#endif
