/* JSON Web Signatures (RFC 7515) and keys (RFC 7517, RFC 8037) on OpenSSL 3
 * EVP, for the token service's JWT access tokens (RFC 9068).
 *
 * Algorithms: ES256 (P-256, the default), EdDSA (Ed25519) and RS256
 * (RSA 2048+).  Keys are parsed once (gh_jws_key_from_der) and shared by all
 * threads; a signer keeps per-thread state so signing takes no lock.
 *
 *   struct gh_jws_key *k = gh_jws_key_generate(GH_JWS_ES256, "kid-1");
 *   char jwt[2048];
 *   size_t n = gh_jws_sign(k, "at+jwt", payload, payload_len, jwt, sizeof jwt);
 *   gh_jws_verify(jwt, n, k, &payload_out …)
 */
#ifndef GH_CRYPTO_JWS_H
#define GH_CRYPTO_JWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gh_jws_alg { GH_JWS_ES256 = 0, GH_JWS_EDDSA, GH_JWS_RS256 };

/* "ES256", "EdDSA", "RS256"; parse accepts exactly those. */
const char *gh_jws_alg_name(enum gh_jws_alg alg);
bool gh_jws_alg_parse(const char *s, enum gh_jws_alg *out);

/* A private (or, from a JWK, public-only) key with its alg and kid.
 * Immutable after creation and safe to use from any thread. */
struct gh_jws_key;

/* A new random key (RS256: 2048 bits).  kid is copied. */
struct gh_jws_key *gh_jws_key_generate(enum gh_jws_alg alg, const char *kid);
/* The private key as PKCS#8 DER into a malloc'd buffer (*der, *len; the
 * caller frees it after wiping it with OPENSSL_cleanse). */
bool gh_jws_key_to_der(const struct gh_jws_key *k, uint8_t **der, size_t *len);
/* A key from PKCS#8 DER; NULL when malformed or not of alg. */
struct gh_jws_key *gh_jws_key_from_der(enum gh_jws_alg alg, const char *kid, const uint8_t *der,
                                       size_t len);
/* A public key from its JWK JSON text (kty EC/OKP/RSA); NULL when malformed. */
struct gh_jws_key *gh_jws_key_from_jwk(const char *jwk_json, size_t len);
void gh_jws_key_free(struct gh_jws_key *k);
enum gh_jws_alg gh_jws_key_alg(const struct gh_jws_key *k);
const char *gh_jws_key_kid(const struct gh_jws_key *k);

/* The public JWK as compact JSON text ({"kty","crv","x","y","kid","alg","use":"sig"}),
 * NUL-terminated, into out; returns its length, 0 if out is too small. */
size_t gh_jws_key_public_jwk(const struct gh_jws_key *k, char *out, size_t outlen);

/* Compact JWS of payload (JSON text) with the protected header
 * {"alg":…,"typ":typ,"kid":…} (typ NULL: omitted), NUL-terminated into out;
 * returns its length, 0 on failure or when out is too small. */
size_t gh_jws_sign(const struct gh_jws_key *k, const char *typ, const char *payload, size_t len,
                   char *out, size_t outlen);

/* Verifies compact JWS text with k (its alg must match the header's; "none"
 * and every other alg are refused).  On success the decoded payload, NUL-
 * terminated, is written to payload (room for payload_cap bytes) and its
 * length to *payload_len. */
bool gh_jws_verify(const char *jws, size_t len, const struct gh_jws_key *k, char *payload,
                   size_t payload_cap, size_t *payload_len);
/* The kid of a compact JWS's protected header without verifying anything
 * (to pick the key); false when absent or malformed. */
bool gh_jws_peek_kid(const char *jws, size_t len, char *kid, size_t kid_cap);

/* Frees the calling thread's cached signing/verifying contexts.  Threads
 * that exit free theirs automatically; this is for a thread that stops
 * using JWS for good (or the main thread before a leak check). */
void gh_jws_thread_cleanup(void);

#endif
