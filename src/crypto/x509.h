/* X.509 client certificates as apps upload them (seed 002: TLS client
 * certificates that identify a partner application), parsed with OpenSSL.
 *
 * The input is PEM text that must hold exactly one certificate and nothing
 * else; anything with private-key material in it is refused outright (the
 * error says so), so a key pasted by mistake is never parsed or stored.
 * The facts kept are what a person recognises a certificate by and what the
 * gateway matches it with: subject and issuer (RFC 2253 one-line form, with
 * non-ASCII escaped, so always printable ASCII), the validity period and the
 * SHA-256 thumbprint of the DER encoding. */
#ifndef GH_CRYPTO_X509_H
#define GH_CRYPTO_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_X509_NAME_MAX 2048 /* longest subject / issuer kept, in bytes */
#define GH_X509_PEM_MAX ((size_t)64 * 1024)
#define GH_X509_THUMBPRINT_HEX_LEN 64

struct gh_x509_info {
    char subject[GH_X509_NAME_MAX + 1]; /* RFC 2253, e.g. "CN=app,O=Partner" */
    char issuer[GH_X509_NAME_MAX + 1];
    int64_t not_before; /* Unix seconds */
    int64_t not_after;
    char thumbprint[GH_X509_THUMBPRINT_HEX_LEN + 1]; /* lower-case hex SHA-256 of the DER */
};

/* Parses pem[0..len) (at most GH_X509_PEM_MAX bytes; no NUL needed).  True
 * with *out filled when it is exactly one PEM "CERTIFICATE" block holding a
 * well-formed X.509 certificate.  On false, err (errlen bytes) gets a
 * sentence for a person: private-key material, no certificate, more than one
 * PEM block, a malformed certificate, a name too long.  Does not look at
 * the validity period (see gh_x509_valid_at). */
bool gh_x509_parse_pem(const char *pem, size_t len, struct gh_x509_info *out, char *err,
                       size_t errlen);

/* Whether the certificate is valid at now (not_before <= now < not_after);
 * on false err says whether it has expired or is not valid yet, and when. */
bool gh_x509_valid_at(const struct gh_x509_info *info, int64_t now, char *err, size_t errlen);

#endif
