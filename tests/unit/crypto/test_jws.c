/* JWS and JWK: the RFC 7515 A.2 (RS256) and A.3 (ES256) examples verify
 * with their published keys; RFC 8037 A.4/A.5 (Ed25519) signs to the exact
 * published token and verifies; round trips of every alg through signing,
 * PKCS#8 DER and the public JWK; every tampered part, alg confusion ("none",
 * HS256 keyed with the public key, another asymmetric alg), malformed
 * compact text, headers and JWKs are refused; buffer contracts; and four
 * threads signing with one key produce only valid tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base64.h"
#include "crypto/jws.h"

/* RFC 7515 A.1–A.3: the payload shared by the examples (with its CR LFs). */
#define RFC7515_PAYLOAD                                                                            \
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
#define RFC7515_PAYLOAD_B64                                                                        \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl" \
    "fQ"

/* RFC 7515 A.3: ES256 key (with its private d, which a public JWK import
 * ignores) and the JWS. */
static const char es256_jwk[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                                "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                                "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
                                "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}";
static const char es256_jws[] =
    "eyJhbGciOiJFUzI1NiJ9." RFC7515_PAYLOAD_B64
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

/* RFC 7515 A.2: RS256 public key and JWS. */
static const char rs256_jwk[] =
    "{\"kty\":\"RSA\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
    "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
    "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
    "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\",\"e\":\"AQAB\"}";
static const char rs256_jws[] = "eyJhbGciOiJSUzI1NiJ9." RFC7515_PAYLOAD_B64
                                ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
                                "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
                                "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
                                "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
                                "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
                                "p0igcN_IoypGlUPQGe77Rw";

/* RFC 8037 A.1–A.4: the Ed25519 private key d, its public x, and the JWS of
 * "Example of Ed25519 signing" under {"alg":"EdDSA"}. */
static const char ed25519_d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
static const char ed25519_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
static const char ed25519_payload[] = "Example of Ed25519 signing";
static const char ed25519_jws[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

static const enum gh_jws_alg all_algs[] = {GH_JWS_ES256, GH_JWS_EDDSA, GH_JWS_RS256};
#define N_ALGS (sizeof all_algs / sizeof all_algs[0])

static const char claims[] =
    "{\"iss\":\"https://gatehouse.example\",\"sub\":\"app-1\",\"aud\":\"connectapi\","
    "\"exp\":1900000000,\"iat\":1899913600,\"jti\":\"6f1c\",\"scope\":\"profile\"}";

static bool verify_str(const char *jws, const struct gh_jws_key *k)
{
    char payload[4096];
    size_t n;
    return gh_jws_verify(jws, strlen(jws), k, payload, sizeof payload, &n);
}

/* The RFC 8037 Ed25519 private key as PKCS#8 DER (RFC 8410 §7 prefix). */
static struct gh_jws_key *rfc8037_key(const char *kid)
{
    uint8_t der[48] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                       0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
    size_t n;
    assert_true(gh_base64url_decode(ed25519_d, strlen(ed25519_d), der + 16, 32, &n));
    assert_int_equal(n, 32);
    return gh_jws_key_from_der(GH_JWS_EDDSA, kid, der, sizeof der);
}

/* "header-json" signed by nobody: base64url(header).payload-b64.sig-b64. */
static void compose(char *out, size_t cap, const char *header, const char *payload_b64,
                    const uint8_t *sig, size_t sig_len)
{
    size_t hl = GH_BASE64URL_LEN(strlen(header)), pl = strlen(payload_b64);
    assert_true(hl + 1 + pl + 1 + GH_BASE64URL_LEN(sig_len) < cap);
    size_t n = gh_base64url_encode(header, strlen(header), out);
    out[n++] = '.';
    memcpy(out + n, payload_b64, pl);
    n += pl;
    out[n++] = '.';
    gh_base64url_encode(sig, sig_len, out + n);
}

/* A correctly signed token with an arbitrary protected header: signs
 * base64url(header).base64url(payload) with k's private key through plain
 * EVP (ES256's DER signature converted to r || s), bypassing gh_jws_sign's
 * header.  Used to show the header checks hold even when the signature is
 * valid. */
static void sign_any_header(const struct gh_jws_key *k, const char *header, const char *payload,
                            char *out, size_t cap)
{
    uint8_t *der = NULL;
    size_t der_len = 0;
    assert_true(gh_jws_key_to_der(k, &der, &der_len));
    const unsigned char *p = der;
    EVP_PKEY *pkey = d2i_AutoPrivateKey(NULL, &p, (long)der_len);
    assert_non_null(pkey);
    OPENSSL_cleanse(der, der_len);
    free(der);

    size_t hl = GH_BASE64URL_LEN(strlen(header)), pl = GH_BASE64URL_LEN(strlen(payload));
    assert_true(hl + pl + 2 + GH_BASE64URL_LEN(512) < cap);
    size_t n = gh_base64url_encode(header, strlen(header), out);
    out[n++] = '.';
    n += gh_base64url_encode(payload, strlen(payload), out + n);

    EVP_MD_CTX *m = EVP_MD_CTX_new();
    const EVP_MD *md = gh_jws_key_alg(k) == GH_JWS_EDDSA ? NULL : EVP_sha256();
    uint8_t sig[512], raw[64];
    size_t sl = sizeof sig;
    assert_int_equal(EVP_DigestSignInit(m, NULL, md, NULL, pkey), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &sl, (const uint8_t *)out, n), 1);
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(pkey);
    if (gh_jws_key_alg(k) == GH_JWS_ES256) {
        const unsigned char *q = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)sl);
        assert_non_null(es);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32), 32);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32), 32);
        ECDSA_SIG_free(es);
        memcpy(sig, raw, 64);
        sl = 64;
    }
    out[n++] = '.';
    gh_base64url_encode(sig, sl, out + n);
}

static void test_alg_names(void **state)
{
    (void)state;
    enum gh_jws_alg a;
    assert_string_equal(gh_jws_alg_name(GH_JWS_ES256), "ES256");
    assert_string_equal(gh_jws_alg_name(GH_JWS_EDDSA), "EdDSA");
    assert_string_equal(gh_jws_alg_name(GH_JWS_RS256), "RS256");
    for (size_t i = 0; i < N_ALGS; i++) {
        assert_true(gh_jws_alg_parse(gh_jws_alg_name(all_algs[i]), &a));
        assert_int_equal(a, all_algs[i]);
    }
    assert_false(gh_jws_alg_parse("none", &a));
    assert_false(gh_jws_alg_parse("es256", &a));
    assert_false(gh_jws_alg_parse("HS256", &a));
    assert_false(gh_jws_alg_parse("ES256 ", &a));
    assert_false(gh_jws_alg_parse("", &a));
}

static void test_rfc7515_a3_es256(void **state)
{
    (void)state;
    struct gh_jws_key *k = gh_jws_key_from_jwk(es256_jwk, strlen(es256_jwk));
    assert_non_null(k);
    assert_int_equal(gh_jws_key_alg(k), GH_JWS_ES256);
    assert_string_equal(gh_jws_key_kid(k), "");
    char payload[256];
    size_t n = 0;
    assert_true(gh_jws_verify(es256_jws, strlen(es256_jws), k, payload, sizeof payload, &n));
    assert_int_equal(n, strlen(RFC7515_PAYLOAD));
    assert_string_equal(payload, RFC7515_PAYLOAD);

    /* The public JWK written back has the same coordinates and no d. */
    char jwk[512];
    assert_true(gh_jws_key_public_jwk(k, jwk, sizeof jwk) > 0);
    assert_string_equal(jwk, "{\"kty\":\"EC\",\"crv\":\"P-256\","
                             "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                             "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
                             "\"alg\":\"ES256\",\"use\":\"sig\"}");
    /* A public key cannot sign. */
    char out[512];
    assert_int_equal(gh_jws_sign(k, NULL, "{}", 2, out, sizeof out), 0);

    /* The last signature character flipped (Q → A, still canonical). */
    char bad[sizeof es256_jws];
    memcpy(bad, es256_jws, sizeof bad);
    bad[sizeof bad - 2] = 'A';
    assert_false(verify_str(bad, k));
    gh_jws_key_free(k);
}

static void test_rfc7515_a2_rs256(void **state)
{
    (void)state;
    struct gh_jws_key *k = gh_jws_key_from_jwk(rs256_jwk, strlen(rs256_jwk));
    assert_non_null(k);
    assert_int_equal(gh_jws_key_alg(k), GH_JWS_RS256);
    char payload[256];
    size_t n = 0;
    assert_true(gh_jws_verify(rs256_jws, strlen(rs256_jws), k, payload, sizeof payload, &n));
    assert_string_equal(payload, RFC7515_PAYLOAD);
    char jwk[1024];
    assert_true(gh_jws_key_public_jwk(k, jwk, sizeof jwk) > 0);
    assert_non_null(strstr(jwk, "\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQ"));
    assert_non_null(strstr(jwk, "\"e\":\"AQAB\",\"alg\":\"RS256\",\"use\":\"sig\"}"));
    /* The ES256 example's token is not RS256. */
    assert_false(verify_str(es256_jws, k));
    gh_jws_key_free(k);
}

static void test_rfc8037_ed25519(void **state)
{
    (void)state;
    struct gh_jws_key *k = rfc8037_key("");
    assert_non_null(k);
    /* A.4: Ed25519 is deterministic, so the token is exactly the RFC's. */
    char out[512];
    size_t n = gh_jws_sign(k, NULL, ed25519_payload, strlen(ed25519_payload), out, sizeof out);
    assert_int_equal(n, strlen(ed25519_jws));
    assert_string_equal(out, ed25519_jws);
    /* A.5: it verifies, also with the public key from the JWK. */
    char payload[128];
    size_t pn = 0;
    assert_true(gh_jws_verify(ed25519_jws, strlen(ed25519_jws), k, payload, sizeof payload, &pn));
    assert_string_equal(payload, ed25519_payload);

    char jwk[256], expect[256];
    snprintf(expect, sizeof expect,
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"alg\":\"EdDSA\",\"use\":\"sig\"}",
             ed25519_x);
    assert_int_equal(gh_jws_key_public_jwk(k, jwk, sizeof jwk), strlen(expect));
    assert_string_equal(jwk, expect);
    struct gh_jws_key *pub = gh_jws_key_from_jwk(jwk, strlen(jwk));
    assert_non_null(pub);
    assert_true(verify_str(ed25519_jws, pub));
    gh_jws_key_free(pub);
    gh_jws_key_free(k);

    /* With a kid and typ the header carries them, in order alg, typ, kid. */
    k = rfc8037_key("k1");
    n = gh_jws_sign(k, "at+jwt", ed25519_payload, strlen(ed25519_payload), out, sizeof out);
    assert_true(n > 0);
    uint8_t hdr[128];
    size_t hn;
    assert_true(
        gh_base64url_decode(out, (size_t)(strchr(out, '.') - out), hdr, sizeof hdr - 1, &hn));
    hdr[hn] = 0;
    assert_string_equal((char *)hdr, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"k1\"}");
    gh_jws_key_free(k);
}

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ALGS; i++) {
        enum gh_jws_alg alg = all_algs[i];
        struct gh_jws_key *k = gh_jws_key_generate(alg, "kid-\"1\"");
        assert_non_null(k);
        assert_int_equal(gh_jws_key_alg(k), alg);
        assert_string_equal(gh_jws_key_kid(k), "kid-\"1\"");

        char jwt[2048];
        size_t n = gh_jws_sign(k, "at+jwt", claims, strlen(claims), jwt, sizeof jwt);
        assert_true(n > 0);
        assert_int_equal(strlen(jwt), n);
        char payload[1024];
        size_t pn = 0;
        assert_true(gh_jws_verify(jwt, n, k, payload, sizeof payload, &pn));
        assert_int_equal(pn, strlen(claims));
        assert_string_equal(payload, claims);

        /* The header: alg, typ, kid (JSON-escaped). */
        uint8_t hdr[256];
        size_t hn;
        assert_true(
            gh_base64url_decode(jwt, (size_t)(strchr(jwt, '.') - jwt), hdr, sizeof hdr - 1, &hn));
        hdr[hn] = 0;
        char expect[128];
        snprintf(expect, sizeof expect,
                 "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"kid-\\\"1\\\"\"}",
                 gh_jws_alg_name(alg));
        assert_string_equal((char *)hdr, expect);
        char kid[32];
        assert_true(gh_jws_peek_kid(jwt, n, kid, sizeof kid));
        assert_string_equal(kid, "kid-\"1\"");
        assert_false(gh_jws_peek_kid(jwt, n, kid, 7)); /* no room for the NUL */

        /* Another typ and none at all. */
        assert_true(gh_jws_sign(k, "JWT", claims, strlen(claims), jwt, sizeof jwt) > 0);
        assert_true(verify_str(jwt, k));
        assert_true(gh_jws_sign(k, NULL, claims, strlen(claims), jwt, sizeof jwt) > 0);
        assert_true(verify_str(jwt, k));

        /* PKCS#8 DER out and in: the reloaded key verifies the old key's
         * tokens and signs tokens the old key verifies. */
        uint8_t *der = NULL;
        size_t der_len = 0;
        assert_true(gh_jws_key_to_der(k, &der, &der_len));
        struct gh_jws_key *k2 = gh_jws_key_from_der(alg, "kid-2", der, der_len);
        assert_non_null(k2);
        assert_string_equal(gh_jws_key_kid(k2), "kid-2");
        assert_true(verify_str(jwt, k2));
        n = gh_jws_sign(k2, "at+jwt", claims, strlen(claims), jwt, sizeof jwt);
        assert_true(n > 0);
        assert_true(verify_str(jwt, k));
        char j1[2048], j2[2048];
        gh_jws_key_public_jwk(k, j1, sizeof j1);
        gh_jws_key_public_jwk(k2, j2, sizeof j2);
        assert_non_null(strstr(j2, "\"kid\":\"kid-2\""));
        /* Same key material: the JWKs differ only in the kid. */
        assert_memory_equal(j1, j2, (size_t)(strstr(j1, "\"kid\"") - j1));

        /* DER of another alg, truncated or with trailing bytes: refused. */
        for (size_t j = 0; j < N_ALGS; j++)
            if (all_algs[j] != alg)
                assert_null(gh_jws_key_from_der(all_algs[j], "x", der, der_len));
        assert_null(gh_jws_key_from_der(alg, "x", der, der_len - 1));
        uint8_t *longer = malloc(der_len + 1);
        memcpy(longer, der, der_len);
        longer[der_len] = 0;
        assert_null(gh_jws_key_from_der(alg, "x", longer, der_len + 1));
        free(longer);
        assert_null(gh_jws_key_from_der(alg, "x", der, 0));
        OPENSSL_cleanse(der, der_len);
        free(der);

        /* JWK → public key → verify; the public key cannot sign or export. */
        struct gh_jws_key *pub = gh_jws_key_from_jwk(j1, strlen(j1));
        assert_non_null(pub);
        assert_int_equal(gh_jws_key_alg(pub), alg);
        assert_string_equal(gh_jws_key_kid(pub), "kid-\"1\"");
        assert_true(verify_str(jwt, pub));
        assert_int_equal(gh_jws_sign(pub, NULL, "{}", 2, j2, sizeof j2), 0);
        assert_false(gh_jws_key_to_der(pub, &der, &der_len));
        gh_jws_key_free(pub);

        /* An empty payload is a valid JWS too. */
        n = gh_jws_sign(k, NULL, "", 0, jwt, sizeof jwt);
        assert_true(n > 0);
        assert_true(gh_jws_verify(jwt, n, k, payload, sizeof payload, &pn));
        assert_int_equal(pn, 0);
        assert_string_equal(payload, "");

        gh_jws_key_free(k2);
        gh_jws_key_free(k);
    }
}

/* Two fresh keys of one alg: tokens of one never verify with the other. */
static void test_other_key_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ALGS; i++) {
        struct gh_jws_key *a = gh_jws_key_generate(all_algs[i], "a");
        struct gh_jws_key *b = gh_jws_key_generate(all_algs[i], "a");
        char jwt[2048];
        assert_true(gh_jws_sign(a, "at+jwt", claims, strlen(claims), jwt, sizeof jwt) > 0);
        assert_true(verify_str(jwt, a));
        assert_false(verify_str(jwt, b));
        gh_jws_key_free(a);
        gh_jws_key_free(b);
    }
}

static void test_tampering_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ALGS; i++) {
        struct gh_jws_key *k = gh_jws_key_generate(all_algs[i], "t");
        char jwt[2048], bad[2048];
        size_t n = gh_jws_sign(k, "at+jwt", claims, strlen(claims), jwt, sizeof jwt);
        assert_true(n > 0);
        size_t d1 = (size_t)(strchr(jwt, '.') - jwt);
        size_t d2 = (size_t)(strrchr(jwt, '.') - jwt);

        /* Every character of the header, payload and signature changed in
         * turn to another base64url character: refused (either no longer
         * canonical base64url, or the signature fails). */
        for (size_t p = 0; p < n; p++) {
            if (p == d1 || p == d2)
                continue;
            memcpy(bad, jwt, n + 1);
            bad[p] = bad[p] == 'A' ? 'B' : 'A';
            assert_false(verify_str(bad, k));
        }
        /* A re-encoded header with the same meaning (space added): the
         * signature covers the text, so it fails. */
        char hdr[128];
        snprintf(hdr, sizeof hdr, "{\"alg\": \"%s\",\"typ\":\"at+jwt\",\"kid\":\"t\"}",
                 gh_jws_alg_name(all_algs[i]));
        char hb[256];
        gh_base64url_encode(hdr, strlen(hdr), hb);
        snprintf(bad, sizeof bad, "%s%s", hb, jwt + d1);
        assert_false(verify_str(bad, k));
        /* Payload of another token, signature of this one. */
        char other[2048];
        gh_jws_sign(k, "at+jwt", "{\"sub\":\"x\"}", 11, other, sizeof other);
        size_t od1 = (size_t)(strchr(other, '.') - other);
        size_t od2 = (size_t)(strrchr(other, '.') - other);
        snprintf(bad, sizeof bad, "%.*s%.*s%s", (int)d1, jwt, (int)(od2 - od1), other + od1,
                 jwt + d2);
        assert_false(verify_str(bad, k));
        /* Signature one byte short or long (re-encoded): wrong length. */
        uint8_t sig[600];
        size_t sl;
        assert_true(gh_base64url_decode(jwt + d2 + 1, n - d2 - 1, sig, sizeof sig, &sl));
        char sb[1024];
        gh_base64url_encode(sig, sl - 1, sb);
        snprintf(bad, sizeof bad, "%.*s%s", (int)(d2 + 1), jwt, sb);
        assert_false(verify_str(bad, k));
        sig[sl] = 0;
        gh_base64url_encode(sig, sl + 1, sb);
        snprintf(bad, sizeof bad, "%.*s%s", (int)(d2 + 1), jwt, sb);
        assert_false(verify_str(bad, k));
        /* Truncations. */
        for (size_t cut = 0; cut < n; cut += 7) {
            char payload[1024];
            size_t pn;
            assert_false(gh_jws_verify(jwt, cut, k, payload, sizeof payload, &pn));
        }
        gh_jws_key_free(k);
    }
}

/* The header's alg must be the key's: "none", HS256 keyed with the public
 * JWK text (the classic confusion), and each other asymmetric alg are
 * refused even when their signature is valid for what they claim. */
static void test_alg_confusion_refused(void **state)
{
    (void)state;
    struct gh_jws_key *keys[N_ALGS];
    for (size_t i = 0; i < N_ALGS; i++)
        keys[i] = gh_jws_key_generate(all_algs[i], "c");
    char tok[4096];
    for (size_t i = 0; i < N_ALGS; i++) {
        struct gh_jws_key *k = keys[i];
        /* alg none, with an empty and with a copied signature. */
        compose(tok, sizeof tok, "{\"alg\":\"none\"}", RFC7515_PAYLOAD_B64, NULL, 0);
        assert_false(verify_str(tok, k));
        compose(tok, sizeof tok, "{\"alg\":\"none\",\"kid\":\"c\"}", RFC7515_PAYLOAD_B64, NULL, 0);
        tok[strlen(tok) - 1] = '\0'; /* no trailing dot at all */
        assert_false(verify_str(tok, k));

        /* HS256 with the public key as the HMAC secret. */
        char jwk[1024];
        gh_jws_key_public_jwk(k, jwk, sizeof jwk);
        char input[512], hb[128];
        gh_base64url_encode("{\"alg\":\"HS256\"}", 15, hb);
        snprintf(input, sizeof input, "%s.%s", hb, RFC7515_PAYLOAD_B64);
        uint8_t mac[32];
        unsigned ml = 0;
        HMAC(EVP_sha256(), jwk, (int)strlen(jwk), (const uint8_t *)input, strlen(input), mac, &ml);
        compose(tok, sizeof tok, "{\"alg\":\"HS256\"}", RFC7515_PAYLOAD_B64, mac, ml);
        assert_false(verify_str(tok, k));

        /* A valid token of every other alg. */
        for (size_t j = 0; j < N_ALGS; j++) {
            if (j == i)
                continue;
            assert_true(gh_jws_sign(keys[j], NULL, claims, strlen(claims), tok, sizeof tok) > 0);
            assert_true(verify_str(tok, keys[j]));
            assert_false(verify_str(tok, k));
        }
        /* Its own alg name in another case. */
        char lower[16];
        snprintf(lower, sizeof lower, "%s", gh_jws_alg_name(all_algs[i]));
        lower[0] = (char)(lower[0] + 32);
        char hdr[64];
        snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\"}", lower);
        uint8_t zero[256] = {0};
        compose(tok, sizeof tok, hdr, RFC7515_PAYLOAD_B64, zero, 64);
        assert_false(verify_str(tok, k));
    }
    for (size_t i = 0; i < N_ALGS; i++)
        gh_jws_key_free(keys[i]);
}

/* Validly signed by the right key, but the header names another alg, none,
 * or a critical extension: refused.  The same header with the right alg
 * verifies, so the refusals come from the header checks alone. */
static void test_header_checked_even_when_signature_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ALGS; i++) {
        struct gh_jws_key *k = gh_jws_key_generate(all_algs[i], "h");
        const char *name = gh_jws_alg_name(all_algs[i]);
        char hdr[128], tok[2048];
        snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\",\"kid\":\"h\"}", name);
        sign_any_header(k, hdr, claims, tok, sizeof tok);
        assert_true(verify_str(tok, k));

        static const char *const wrong[] = {"none",  "None",  "ES384",  "Ed25519", "PS256",
                                            "HS256", "es256", "EdDSA ", ""};
        for (size_t j = 0; j < sizeof wrong / sizeof wrong[0]; j++) {
            snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\",\"kid\":\"h\"}", wrong[j]);
            sign_any_header(k, hdr, claims, tok, sizeof tok);
            assert_false(verify_str(tok, k));
        }
        snprintf(hdr, sizeof hdr, "{\"kid\":\"h\"}");
        sign_any_header(k, hdr, claims, tok, sizeof tok);
        assert_false(verify_str(tok, k));
        snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\",\"crit\":[\"exp\"],\"exp\":1}", name);
        sign_any_header(k, hdr, claims, tok, sizeof tok);
        assert_false(verify_str(tok, k));
        snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\",\"b64\":false,\"crit\":[\"b64\"]}", name);
        sign_any_header(k, hdr, claims, tok, sizeof tok);
        assert_false(verify_str(tok, k));
        /* A kid with an embedded NUL cannot be peeked as a C string. */
        snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\",\"kid\":\"h\\u0000x\"}", name);
        sign_any_header(k, hdr, claims, tok, sizeof tok);
        char kid[16];
        assert_false(gh_jws_peek_kid(tok, strlen(tok), kid, sizeof kid));
        gh_jws_key_free(k);
    }
}

/* Headers that are not one JSON object naming the alg once: refused before
 * any signature work, including a "crit" we cannot honour. */
static void test_malformed_refused(void **state)
{
    (void)state;
    struct gh_jws_key *k = rfc8037_key("");
    const char *sig_b64 = strrchr(ed25519_jws, '.') + 1;
    uint8_t sig[64];
    size_t sl;
    assert_true(gh_base64url_decode(sig_b64, strlen(sig_b64), sig, sizeof sig, &sl));
    const char *pb = "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    static const char *const headers[] = {
        "{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\"}",
        "{\"alg\":\"EdDSA\",\"crit\":[\"exp\"],\"exp\":1}",
        "[\"EdDSA\"]",
        "\"EdDSA\"",
        "{\"alg\":\"EdDSA\"",
        "{\"alg\":[\"EdDSA\"]}",
        "{\"alg\":null}",
        "{\"typ\":\"JWT\"}",
        "{\"alg\":\"EdDSA\\u0000\"}",
        "",
    };
    char tok[1024];
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        compose(tok, sizeof tok, headers[i], pb, sig, sl);
        assert_false(verify_str(tok, k));
    }
    /* The genuine token still verifies; structural damage does not. */
    assert_true(verify_str(ed25519_jws, k));
    static const char *const broken[] = {
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
        "eyJhbGciOiJFZERTQSJ9..RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
        ".RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY",
        "",
        "..",
        "eyJhbGciOiJFZERTQSJ9=.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY",
        "eyJhbGciOiJFZERTQSJ9 .RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++)
        assert_false(verify_str(broken[i], k));
    /* Extra segment, standard-alphabet or padded signature. */
    snprintf(tok, sizeof tok, "%s.", ed25519_jws);
    assert_false(verify_str(tok, k));
    snprintf(tok, sizeof tok, "%s==", ed25519_jws);
    assert_false(verify_str(tok, k));
    snprintf(tok, sizeof tok, "%s", ed25519_jws);
    *strchr(strrchr(tok, '.'), '_') = '/';
    assert_false(verify_str(tok, k));
    /* peek_kid refuses the same damage and headers without a kid. */
    char kid[16];
    assert_false(gh_jws_peek_kid(ed25519_jws, strlen(ed25519_jws), kid, sizeof kid));
    assert_false(gh_jws_peek_kid(broken[0], strlen(broken[0]), kid, sizeof kid));
    compose(tok, sizeof tok, "{\"alg\":\"EdDSA\",\"kid\":7}", pb, sig, sl);
    assert_false(gh_jws_peek_kid(tok, strlen(tok), kid, sizeof kid));
    compose(tok, sizeof tok, "{\"alg\":\"EdDSA\",\"kid\":\"k\",\"kid\":\"j\"}", pb, sig, sl);
    assert_false(gh_jws_peek_kid(tok, strlen(tok), kid, sizeof kid));
    compose(tok, sizeof tok, "{\"alg\":\"EdDSA\",\"kid\":\"k-9\"}", pb, sig, sl);
    assert_true(gh_jws_peek_kid(tok, strlen(tok), kid, sizeof kid));
    assert_string_equal(kid, "k-9");
    gh_jws_key_free(k);
}

static void test_bad_jwk_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{\"kty\":\"EC\"}",
        "{\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
        /* y changed: the point is not on P-256. */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"y_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
        /* x one byte short. */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVA\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
        /* alg or use disagreeing with the key. */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"alg\":\"RS256\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"use\":\"enc\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"kid\":5}",
        "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_"
        "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
        "7TyWQHOg7hcvPapiMlrwIaaPcHUR\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        "\"}",
        /* RSA: 1024-bit modulus, leading zero byte, missing e. */
        "{\"kty\":\"RSA\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
        "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ4"
        "7soMZo9wGzjb_7OMg0LOL-bSf63ko\",\"e\":\"AQAB\"}",
        /* The A.2 modulus (2048 bits) with a 0x00 byte in front. */
        "{\"kty\":\"RSA\",\"n\":\"AKH4Fgri48m0Zc6NLWViYzYrkn2-KeHwJHf8FiXMkKE244vZNJfFtupj3XcR"
        "5nx0KflWsPuKjwia3EtpiTzBMz9T7dAZuHeEJS_skU_"
        "khXdpWUvqQoDTLA9Vv2KUTxMDlrxum99uvdK9o2eO7KDGaPc"
        "Bs42_-zjINCzi_m0n-t5KWkh0l53Uuc-"
        "a3sTHWwWFLCwPXvilwXUDkvlE6O1kwRDGtkdgmqR4OuucbJrXVTEwUGOLg2Z"
        "cb296gqOWcCofZBuC0-vyOSIZSR-2hocsVxb1Cvg1jZqLnRfDQHKPf4fYmhjY_KtnrYRZDC7PdZM5NjwHA01vYG-"
        "eIeB"
        "UVsrl6aE\",\"e\":\"AQAB\"}",
        "{\"kty\":\"RSA\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx\"}",
        "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gh_jws_key *k = gh_jws_key_from_jwk(bad[i], strlen(bad[i]));
        if (k)
            fail_msg("JWK %zu accepted: %s", i, bad[i]);
    }
    /* Matching alg, use and kid are fine. */
    static const char good[] =
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"alg\":\"ES256\",\"use\":\"sig\","
        "\"kid\":\"a3\"}";
    struct gh_jws_key *k = gh_jws_key_from_jwk(good, strlen(good));
    assert_non_null(k);
    assert_string_equal(gh_jws_key_kid(k), "a3");
    assert_true(verify_str(es256_jws, k));
    gh_jws_key_free(k);
}

static void test_buffer_contracts(void **state)
{
    (void)state;
    struct gh_jws_key *k = rfc8037_key("");
    size_t need = strlen(ed25519_jws);
    char out[512];
    size_t plen = strlen(ed25519_payload);
    assert_int_equal(gh_jws_sign(k, NULL, ed25519_payload, plen, out, need), 0);
    assert_int_equal(gh_jws_sign(k, NULL, ed25519_payload, plen, out, need + 1), need);
    assert_string_equal(out, ed25519_jws);

    char payload[64];
    size_t pn = 0;
    assert_false(gh_jws_verify(ed25519_jws, need, k, payload, plen, &pn));
    assert_false(gh_jws_verify(ed25519_jws, need, k, payload, 0, &pn));
    assert_true(gh_jws_verify(ed25519_jws, need, k, payload, plen + 1, &pn));
    assert_int_equal(pn, plen);

    char jwk[256];
    size_t jl = gh_jws_key_public_jwk(k, jwk, sizeof jwk);
    assert_true(jl > 0);
    assert_int_equal(gh_jws_key_public_jwk(k, jwk, jl), 0);
    assert_int_equal(gh_jws_key_public_jwk(k, jwk, jl + 1), jl);
    gh_jws_key_free(k);
}

enum { THREADS = 4, SIGNS_PER_THREAD = 150, TOKEN_MAX = 1024 };

struct signer {
    const struct gh_jws_key *k;
    int index;
    char tokens[SIGNS_PER_THREAD][TOKEN_MAX];
    int failures;
};

static void *signer_main(void *arg)
{
    struct signer *s = arg;
    for (int i = 0; i < SIGNS_PER_THREAD; i++) {
        char body[96];
        int bl = snprintf(body, sizeof body, "{\"thread\":%d,\"n\":%d}", s->index, i);
        if (gh_jws_sign(s->k, "at+jwt", body, (size_t)bl, s->tokens[i], TOKEN_MAX) == 0)
            s->failures++;
        else if (!verify_str(s->tokens[i], s->k)) /* the verifying side, concurrently */
            s->failures++;
    }
    return NULL;
}

/* Four threads share one key (each with its own cached contexts); every
 * token verifies on the main thread and carries that thread's payload. */
static void test_threads_share_a_key(void **state)
{
    (void)state;
    for (size_t a = 0; a < N_ALGS; a++) {
        struct gh_jws_key *k = gh_jws_key_generate(all_algs[a], "shared");
        struct signer *s = calloc(THREADS, sizeof *s);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++) {
            s[i].k = k;
            s[i].index = i;
            assert_int_equal(pthread_create(&t[i], NULL, signer_main, &s[i]), 0);
        }
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        for (int i = 0; i < THREADS; i++) {
            assert_int_equal(s[i].failures, 0);
            for (int j = 0; j < SIGNS_PER_THREAD; j++) {
                char payload[128], expect[96];
                size_t pn;
                assert_true(gh_jws_verify(s[i].tokens[j], strlen(s[i].tokens[j]), k, payload,
                                          sizeof payload, &pn));
                snprintf(expect, sizeof expect, "{\"thread\":%d,\"n\":%d}", i, j);
                assert_string_equal(payload, expect);
            }
        }
        free(s);
        gh_jws_key_free(k);
    }
}

/* More keys than a thread caches, used in turn, and a freed key's cached
 * context replaced by a new key's: every token still verifies. */
static void test_many_keys_one_thread(void **state)
{
    (void)state;
    enum { N = 20 };
    struct gh_jws_key *keys[N];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            char kid[8];
            snprintf(kid, sizeof kid, "m%d", i);
            keys[i] = gh_jws_key_generate(i % 2 ? GH_JWS_EDDSA : GH_JWS_ES256, kid);
        }
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < N; i++) {
                char jwt[1024];
                assert_true(gh_jws_sign(keys[i], NULL, claims, strlen(claims), jwt, sizeof jwt) >
                            0);
                assert_true(verify_str(jwt, keys[i]));
                assert_false(verify_str(jwt, keys[(i + 2) % N]));
            }
        for (int i = 0; i < N; i++)
            gh_jws_key_free(keys[i]);
        gh_jws_thread_cleanup();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alg_names),
        cmocka_unit_test(test_rfc7515_a3_es256),
        cmocka_unit_test(test_rfc7515_a2_rs256),
        cmocka_unit_test(test_rfc8037_ed25519),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_other_key_refused),
        cmocka_unit_test(test_tampering_refused),
        cmocka_unit_test(test_alg_confusion_refused),
        cmocka_unit_test(test_header_checked_even_when_signature_valid),
        cmocka_unit_test(test_malformed_refused),
        cmocka_unit_test(test_bad_jwk_refused),
        cmocka_unit_test(test_buffer_contracts),
        cmocka_unit_test(test_threads_share_a_key),
        cmocka_unit_test(test_many_keys_one_thread),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gh_jws_thread_cleanup();
    return failed;
}
