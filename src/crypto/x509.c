#include "crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PRIVATE_KEY_MESSAGE "this is private-key material; upload only the certificate"

static bool fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    ERR_clear_error(); /* nothing of this input may linger in the thread's queue */
    return false;
}

/* Every PEM private-key label ends in "PRIVATE KEY" ("PRIVATE KEY",
 * "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", …).  The raw
 * text is searched, so even a damaged key block gets the clear answer. */
static bool has_private_key(const char *pem, size_t len)
{
    return memmem(pem, len, "PRIVATE KEY", 11) != NULL;
}

/* name rendered in RFC 2253 form into out (at most GH_X509_NAME_MAX bytes). */
static bool name_rfc2253(const X509_NAME *name, const char *what, char *out, char *err,
                         size_t errlen)
{
    BIO *mem = BIO_new(BIO_s_mem());
    if (!mem)
        return fail(err, errlen, "out of memory reading the certificate's %s", what);
    /* XN_FLAG_RFC2253 escapes bytes >= 0x80 and control characters: the
     * result is printable ASCII whatever the certificate holds */
    int n = X509_NAME_print_ex(mem, name, 0, XN_FLAG_RFC2253);
    char *data = NULL;
    long len = BIO_get_mem_data(mem, &data);
    bool ok = n >= 0 && len >= 0 && (size_t)len <= GH_X509_NAME_MAX;
    if (ok) {
        memcpy(out, data, (size_t)len);
        out[len] = '\0';
    }
    BIO_free(mem);
    if (!ok)
        return fail(err, errlen,
                    n < 0 ? "the certificate's %s cannot be read"
                          : "the certificate's %s is too long (at most 2048 characters)",
                    what);
    return true;
}

static bool asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *out = (int64_t)timegm(&tm);
    return true;
}

/* The facts of one DER certificate. */
static bool read_cert(const unsigned char *der, long der_len, struct gh_x509_info *out, char *err,
                      size_t errlen)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, der_len);
    if (!x)
        return fail(err, errlen, "the certificate is malformed (not a valid X.509 structure)");
    bool ok = false;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (p != der + der_len) {
        fail(err, errlen, "the certificate is malformed (extra data after it)");
    } else if (!X509_get0_pubkey(x)) {
        fail(err, errlen, "the certificate is malformed (its public key cannot be read)");
    } else if (!asn1_time_unix(X509_get0_notBefore(x), &out->not_before) ||
               !asn1_time_unix(X509_get0_notAfter(x), &out->not_after)) {
        fail(err, errlen, "the certificate is malformed (its validity period cannot be read)");
    } else if (name_rfc2253(X509_get_subject_name(x), "subject", out->subject, err, errlen) &&
               name_rfc2253(X509_get_issuer_name(x), "issuer", out->issuer, err, errlen)) {
        if (X509_digest(x, EVP_sha256(), md, &md_len) != 1 || md_len != 32) {
            fail(err, errlen, "the certificate's thumbprint cannot be computed");
        } else {
            static const char hex[] = "0123456789abcdef";
            for (unsigned int i = 0; i < md_len; i++) {
                out->thumbprint[2 * i] = hex[md[i] >> 4];
                out->thumbprint[2 * i + 1] = hex[md[i] & 15];
            }
            out->thumbprint[2 * md_len] = '\0';
            ok = true;
        }
    }
    X509_free(x);
    return ok;
}

/* A PEM label quoted in an error only when it is short printable ASCII
 * without quotes; NULL otherwise. */
static const char *printable_label(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 40)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (name[i] < 0x20 || name[i] > 0x7e || name[i] == '"' || name[i] == '\\')
            return NULL;
    return name;
}

bool gh_x509_parse_pem(const char *pem, size_t len, struct gh_x509_info *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len > GH_X509_PEM_MAX)
        return fail(err, errlen, "the certificate is too large (at most %zu bytes of PEM text)",
                    GH_X509_PEM_MAX);
    if (len == 0)
        return fail(err, errlen,
                    "no certificate found: expected PEM text starting with "
                    "-----BEGIN CERTIFICATE-----");
    if (has_private_key(pem, len))
        return fail(err, errlen, PRIVATE_KEY_MESSAGE);
    ERR_clear_error();
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return fail(err, errlen, "out of memory reading the certificate");

    unsigned char *der = NULL;
    long der_len = 0;
    int blocks = 0;
    bool ok = true;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long data_len = 0;
        if (PEM_read_bio(bio, &name, &header, &data, &data_len) != 1) {
            unsigned long e = ERR_peek_last_error();
            bool at_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
            if (!at_end)
                ok = fail(err, errlen,
                          "the PEM text is malformed (a damaged or incomplete "
                          "-----BEGIN/END CERTIFICATE----- block or bad base64)");
            else if (blocks == 0)
                ok = fail(err, errlen,
                          "no certificate found: expected PEM text starting with "
                          "-----BEGIN CERTIFICATE-----");
            break;
        }
        blocks++;
        if (blocks > 1) {
            ok = fail(err, errlen,
                      "exactly one certificate is expected, but the text holds more than one "
                      "PEM block; upload each certificate separately");
        } else if (strcmp(name, "CERTIFICATE") != 0) {
            const char *label = printable_label(name);
            ok = label ? fail(err, errlen, "the PEM block is a \"%s\", not a CERTIFICATE", label)
                       : fail(err, errlen, "the PEM block is not a CERTIFICATE");
        } else {
            der = data;
            der_len = data_len;
            data = NULL;
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (!ok)
            break;
    }
    BIO_free(bio);
    ERR_clear_error();
    if (ok)
        ok = read_cert(der, der_len, out, err, errlen);
    OPENSSL_free(der);
    if (!ok)
        memset(out, 0, sizeof *out);
    return ok;
}

static void format_time(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, 32, "%lld", (long long)t);
}

bool gh_x509_valid_at(const struct gh_x509_info *info, int64_t now, char *err, size_t errlen)
{
    char when[32];
    if (info->not_after <= now) {
        format_time(info->not_after, when);
        return fail(err, errlen, "the certificate has expired (it was valid until %s)", when);
    }
    if (info->not_before > now) {
        format_time(info->not_before, when);
        return fail(err, errlen, "the certificate is not valid yet (it becomes valid at %s)", when);
    }
    return true;
}
