/* AES-256-GCM sealing of secrets at rest: round trips (empty, small, large,
 * without AAD), the output shape (base64url of nonce, ciphertext and tag),
 * fresh nonces per seal, and refusal of a wrong key, wrong AAD, every
 * tampered character, truncation, extension and malformed text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/base64.h"

static const uint8_t key[GH_AEAD_KEY_BYTES] = {
    0x0b, 0x30, 0x55, 0x7a, 0x9f, 0xc4, 0xe9, 0x0e, 0x33, 0x58, 0x7d, 0xa2, 0xc7, 0xec, 0x11, 0x36,
    0x5b, 0x80, 0xa5, 0xca, 0xef, 0x14, 0x39, 0x5e, 0x83, 0xa8, 0xcd, 0xf2, 0x17, 0x3c, 0x61, 0x86};
static const uint8_t secret[] = "-----PKCS#8 private key bytes-----";
#define SECRET_LEN (sizeof secret - 1)
static const char aad[] = "kid-2026-11";

static bool opens_to(const uint8_t *k, const void *a, size_t alen, const char *sealed,
                     const uint8_t *want, size_t want_len)
{
    uint8_t *plain = NULL;
    size_t n = 0;
    if (!gh_aead_open(k, a, alen, sealed, &plain, &n))
        return false;
    bool same = n == want_len && (n == 0 || memcmp(plain, want, n) == 0);
    free(plain);
    return same;
}

static void test_round_trip(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 15, 16, 17, SECRET_LEN, 4096};
    uint8_t *big = malloc(4096);
    for (size_t i = 0; i < 4096; i++)
        big[i] = (uint8_t)(i * 7);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        const uint8_t *p = n <= SECRET_LEN ? secret : big;
        char *s = gh_aead_seal(key, aad, strlen(aad), p, n);
        assert_non_null(s);
        /* base64url (no padding) of 12-byte nonce, n bytes, 16-byte tag */
        assert_int_equal(strlen(s), GH_BASE64URL_LEN(12 + n + 16));
        assert_int_equal(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_"),
                         strlen(s));
        assert_true(opens_to(key, aad, strlen(aad), s, p, n));
        free(s);
    }
    free(big);
    /* Without associated data. */
    char *s = gh_aead_seal(key, NULL, 0, secret, SECRET_LEN);
    assert_non_null(s);
    assert_true(opens_to(key, NULL, 0, s, secret, SECRET_LEN));
    assert_false(opens_to(key, aad, strlen(aad), s, secret, SECRET_LEN));
    free(s);
}

/* The ciphertext does not contain the plaintext, and two seals of the same
 * input differ from their first (nonce) bytes on. */
static void test_nonces_differ(void **state)
{
    (void)state;
    enum { N = 64 };
    uint8_t nonces[N][12];
    for (int i = 0; i < N; i++) {
        char *s = gh_aead_seal(key, aad, strlen(aad), secret, SECRET_LEN);
        uint8_t raw[128];
        size_t n;
        assert_true(gh_base64url_decode(s, strlen(s), raw, sizeof raw, &n));
        assert_int_equal(n, 12 + SECRET_LEN + 16);
        assert_null(memmem(raw, n, "PKCS#8", 6));
        memcpy(nonces[i], raw, 12);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(nonces[i], nonces[j], 12);
        free(s);
    }
}

static void test_wrong_key_or_aad_refused(void **state)
{
    (void)state;
    char *s = gh_aead_seal(key, aad, strlen(aad), secret, SECRET_LEN);
    assert_true(opens_to(key, aad, strlen(aad), s, secret, SECRET_LEN));
    uint8_t other[GH_AEAD_KEY_BYTES];
    memcpy(other, key, sizeof other);
    other[31] ^= 1;
    assert_false(opens_to(other, aad, strlen(aad), s, secret, SECRET_LEN));
    /* Another kid, a prefix of it, none at all. */
    assert_false(opens_to(key, "kid-2026-12", 11, s, secret, SECRET_LEN));
    assert_false(opens_to(key, aad, strlen(aad) - 1, s, secret, SECRET_LEN));
    assert_false(opens_to(key, NULL, 0, s, secret, SECRET_LEN));
    free(s);
}

static void test_tampering_refused(void **state)
{
    (void)state;
    char *s = gh_aead_seal(key, aad, strlen(aad), secret, SECRET_LEN);
    size_t n = strlen(s);
    char *bad = malloc(n + 2);
    /* Every character of nonce, ciphertext and tag changed in turn. */
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, s, n + 1);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        uint8_t *plain = (uint8_t *)"untouched";
        size_t pn = 99;
        assert_false(gh_aead_open(key, aad, strlen(aad), bad, &plain, &pn));
        assert_string_equal((char *)plain, "untouched");
        assert_int_equal(pn, 99);
    }
    /* Truncated (down to shorter than nonce + tag) and extended. */
    for (size_t cut = 0; cut < n; cut++) {
        memcpy(bad, s, cut);
        bad[cut] = '\0';
        assert_false(opens_to(key, aad, strlen(aad), bad, secret, SECRET_LEN));
    }
    memcpy(bad, s, n);
    memcpy(bad + n, "A", 2);
    assert_false(opens_to(key, aad, strlen(aad), bad, secret, SECRET_LEN));
    free(bad);
    free(s);
    /* Not base64url at all, padded, or only a nonce and tag of zeros. */
    assert_false(opens_to(key, aad, strlen(aad), "not base64!", secret, 0));
    assert_false(opens_to(key, aad, strlen(aad), "", secret, 0));
    char zeros[GH_BASE64URL_LEN(28) + 1];
    uint8_t z[28] = {0};
    gh_base64url_encode(z, sizeof z, zeros);
    assert_false(opens_to(key, aad, strlen(aad), zeros, secret, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_nonces_differ),
        cmocka_unit_test(test_wrong_key_or_aad_refused),
        cmocka_unit_test(test_tampering_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
