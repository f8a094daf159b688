/* X.509 certificate parsing: certificates made here with the OpenSSL API
 * (self-signed, EC P-256) are read back with their subject, issuer,
 * validity and thumbprint (compared with an independently computed SHA-256
 * of the DER); expired and future certificates are told apart; garbage,
 * damaged base64, two certificates, other PEM blocks and anything with
 * private-key material in it are refused with the right sentence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/secret.h"
#include "crypto/x509.h"

#define DAY 86400

struct made {
    EVP_PKEY *key;
    X509 *cert;
    char *pem; /* malloc'd */
    size_t len;
};

static char *bio_text(BIO *b, size_t *len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    assert_true(n >= 0);
    char *out = malloc((size_t)n + 1);
    assert_non_null(out);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    *len = (size_t)n;
    return out;
}

/* A self-signed certificate valid from not_before to not_after. */
static void make_cert(struct made *m, const char *cn, int64_t not_before, int64_t not_after)
{
    m->key = EVP_EC_gen("P-256");
    assert_non_null(m->key);
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after));
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                                (const unsigned char *)"Partner A", -1, -1, 0),
                     1);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
        1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_int_equal(X509_set_pubkey(x, m->key), 1);
    assert_true(X509_sign(x, m->key, EVP_sha256()) > 0);
    m->cert = x;
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    m->pem = bio_text(b, &m->len);
    BIO_free(b);
}

static void free_made(struct made *m)
{
    X509_free(m->cert);
    EVP_PKEY_free(m->key);
    free(m->pem);
}

/* The PEM of m's private key: PKCS#8 ("PRIVATE KEY") or the traditional
 * "EC PRIVATE KEY" form. */
static char *key_pem(const struct made *m, bool traditional, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (traditional)
        assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, m->key, NULL, NULL, 0, NULL, NULL),
                         1);
    else
        assert_int_equal(PEM_write_bio_PrivateKey(b, m->key, NULL, NULL, 0, NULL, NULL), 1);
    char *out = bio_text(b, len);
    BIO_free(b);
    return out;
}

static char *concat(const char *a, const char *b, size_t *len)
{
    size_t na = strlen(a), nb = strlen(b);
    char *out = malloc(na + nb + 1);
    assert_non_null(out);
    memcpy(out, a, na);
    memcpy(out + na, b, nb + 1);
    *len = na + nb;
    return out;
}

static void assert_refused(const char *pem, size_t len, const char *expect)
{
    struct gh_x509_info info;
    char err[256] = "";
    assert_false(gh_x509_parse_pem(pem, len, &info, err, sizeof err));
    if (!strstr(err, expect))
        fail_msg("error \"%s\" does not contain \"%s\"", err, expect);
    assert_string_equal(info.thumbprint, ""); /* nothing half-filled */
}

static void test_valid_certificate(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct made m;
    make_cert(&m, "test app", now - DAY, now + 30 * DAY);
    struct gh_x509_info info;
    char err[256] = "";
    assert_true(gh_x509_parse_pem(m.pem, m.len, &info, err, sizeof err));
    assert_string_equal(info.subject, "CN=test app,O=Partner A");
    assert_string_equal(info.issuer, "CN=test app,O=Partner A");
    assert_int_equal(info.not_before, now - DAY);
    assert_int_equal(info.not_after, now + 30 * DAY);

    /* the thumbprint is SHA-256 over the DER encoding */
    unsigned char *der = NULL;
    int n = i2d_X509(m.cert, &der);
    assert_true(n > 0);
    char hex[65];
    gh_sha256_hex(der, (size_t)n, hex);
    OPENSSL_free(der);
    assert_string_equal(info.thumbprint, hex);
    assert_true(gh_x509_valid_at(&info, now, err, sizeof err));
    free_made(&m);
}

static void test_text_around_the_block_is_fine(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct made m;
    make_cert(&m, "annotated", now - DAY, now + DAY);
    size_t len;
    char *front = concat("Subject: CN=annotated\nsome explanation\n", m.pem, &len);
    char *text = concat(front, "\ntrailing words\n", &len);
    struct gh_x509_info a, b;
    char err[256] = "";
    assert_true(gh_x509_parse_pem(text, len, &a, err, sizeof err));
    assert_true(gh_x509_parse_pem(m.pem, m.len, &b, err, sizeof err));
    assert_string_equal(a.thumbprint, b.thumbprint);
    free(front);
    free(text);
    free_made(&m);
}

static void test_expired_and_future(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct made old, future, far;
    make_cert(&old, "old", now - 30 * DAY, now - DAY);
    make_cert(&future, "future", now + DAY, now + 30 * DAY);
    /* after 2049 the validity is a GeneralizedTime */
    make_cert(&far, "far", now - DAY, 2871763200); /* 2061-01-01 */
    struct gh_x509_info info;
    char err[256] = "";

    assert_true(gh_x509_parse_pem(old.pem, old.len, &info, err, sizeof err));
    assert_int_equal(info.not_after, now - DAY);
    assert_false(gh_x509_valid_at(&info, now, err, sizeof err));
    assert_non_null(strstr(err, "has expired"));
    /* the last second of validity is not valid any more */
    assert_false(gh_x509_valid_at(&info, now - DAY, err, sizeof err));
    assert_true(gh_x509_valid_at(&info, now - DAY - 1, err, sizeof err));

    assert_true(gh_x509_parse_pem(future.pem, future.len, &info, err, sizeof err));
    assert_false(gh_x509_valid_at(&info, now, err, sizeof err));
    assert_non_null(strstr(err, "not valid yet"));
    assert_true(gh_x509_valid_at(&info, now + DAY, err, sizeof err));

    assert_true(gh_x509_parse_pem(far.pem, far.len, &info, err, sizeof err));
    assert_int_equal(info.not_after, 2871763200);
    assert_true(gh_x509_valid_at(&info, now, err, sizeof err));
    free_made(&old);
    free_made(&future);
    free_made(&far);
}

static void test_names_are_escaped_ascii(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct made m;
    make_cert(&m, "Acme, Inc. \xc3\xa6\xc3\xb8\xc3\xa5", now - DAY, now + DAY);
    struct gh_x509_info info;
    char err[256] = "";
    assert_true(gh_x509_parse_pem(m.pem, m.len, &info, err, sizeof err));
    assert_non_null(strstr(info.subject, "CN=Acme\\, Inc. "));
    assert_non_null(strstr(info.subject, ",O=Partner A"));
    for (const char *p = info.subject; *p; p++)
        assert_true(*p >= 0x20 && *p <= 0x7e);
    free_made(&m);
}

static void test_garbage(void **state)
{
    (void)state;
    assert_refused("hello, world", 12, "no certificate found");
    assert_refused("", 0, "no certificate found");
    const char *bad64 =
        "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n";
    assert_refused(bad64, strlen(bad64), "malformed");
    /* well-formed base64 of bytes that are no certificate */
    const char *notder =
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    assert_refused(notder, strlen(notder), "malformed");
    /* a block without its end line */
    const char *cut = "-----BEGIN CERTIFICATE-----\nMIIB\n";
    assert_refused(cut, strlen(cut), "malformed");
}

static void test_truncated_der(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct made m;
    make_cert(&m, "cut", now - DAY, now + DAY);
    /* drop the middle of the base64 body, keeping the armour */
    char *begin = strstr(m.pem, "\n") + 1;
    char *end = strstr(m.pem, "-----END");
    size_t keep = (size_t)(end - begin) / 2;
    keep -= keep % 65; /* whole lines of 64 characters and their line break */
    memmove(begin + keep, end, strlen(end) + 1);
    assert_refused(m.pem, strlen(m.pem), "malformed");
    free_made(&m);
}

static void test_two_certificates(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct made a, b;
    make_cert(&a, "one", now - DAY, now + DAY);
    make_cert(&b, "two", now - DAY, now + DAY);
    size_t len;
    char *both = concat(a.pem, b.pem, &len);
    assert_refused(both, len, "exactly one certificate");
    free(both);
    free_made(&a);
    free_made(&b);
}

static void test_private_key_material(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct made m;
    make_cert(&m, "keyed", now - DAY, now + DAY);
    const char *msg = "this is private-key material; upload only the certificate";
    size_t klen, tlen, len;
    char *pkcs8 = key_pem(&m, false, &klen);
    char *trad = key_pem(&m, true, &tlen);
    assert_non_null(strstr(trad, "EC PRIVATE KEY"));
    assert_refused(pkcs8, klen, msg);
    assert_refused(trad, tlen, msg);
    char *cert_then_key = concat(m.pem, pkcs8, &len);
    assert_refused(cert_then_key, len, msg);
    char *key_then_cert = concat(trad, m.pem, &len);
    assert_refused(key_then_cert, len, msg);
    /* a damaged key block still gets the clear answer */
    const char *damaged = "-----BEGIN PRIVATE KEY-----\nxx\n";
    assert_refused(damaged, strlen(damaged), msg);
    free(pkcs8);
    free(trad);
    free(cert_then_key);
    free(key_then_cert);
    free_made(&m);
}

static void test_other_pem_block(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct made m;
    make_cert(&m, "pub", now - DAY, now + DAY);
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(b, m.key), 1);
    size_t len;
    char *pub = bio_text(b, &len);
    BIO_free(b);
    assert_refused(pub, len, "the PEM block is a \"PUBLIC KEY\", not a CERTIFICATE");
    free(pub);
    free_made(&m);
}

static void test_too_large(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    struct made m;
    make_cert(&m, "big", now - DAY, now + DAY);
    size_t len = GH_X509_PEM_MAX + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, '\n', len);
    memcpy(big, m.pem, m.len);
    assert_refused(big, len, "too large");
    /* the same certificate padded to exactly the limit is fine */
    struct gh_x509_info info;
    char err[256] = "";
    assert_true(gh_x509_parse_pem(big, GH_X509_PEM_MAX, &info, err, sizeof err));
    free(big);
    free_made(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_certificate),
        cmocka_unit_test(test_text_around_the_block_is_fine),
        cmocka_unit_test(test_expired_and_future),
        cmocka_unit_test(test_names_are_escaped_ascii),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_truncated_der),
        cmocka_unit_test(test_two_certificates),
        cmocka_unit_test(test_private_key_material),
        cmocka_unit_test(test_other_pem_block),
        cmocka_unit_test(test_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
