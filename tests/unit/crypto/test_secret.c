/* Generated secrets: shape (prefix + 43 base64url characters carrying 32
 * bytes), uniqueness, the buffer-size contract; the peppered hash against an
 * independently computed HMAC-SHA-256 and verification that refuses every
 * near miss; the plain digests providers use for access-token hashes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "crypto/base64.h"
#include "crypto/secret.h"

static const uint8_t pepper[] = "server-pepper-0123456789abcdef!!";
#define PEPPER_LEN (sizeof pepper - 1)

/* "ghcs_" + 43 x 'Q' and its HMAC-SHA-256 under pepper (Python hmac module). */
#define SAMPLE_SECRET "ghcs_QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
#define SAMPLE_HASH "c38fa5bcfc24a346383635aa7749c42a080bd666ee15343913f4ae921ab8d2ed"

static void test_generate_shape(void **state)
{
    (void)state;
    static const char *const prefixes[] = {
        GH_SECRET_PREFIX_CLIENT_SECRET,
        GH_SECRET_PREFIX_API_KEY,
        GH_SECRET_PREFIX_ACCESS_TOKEN,
        GH_SECRET_PREFIX_PERSONAL_TOKEN,
        "",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        const char *prefix = prefixes[i];
        size_t plen = strlen(prefix);
        char out[GH_SECRET_SIZE(5)];
        size_t n = gh_secret_generate(prefix, out, sizeof out);
        assert_int_equal(n, plen + 43);
        assert_int_equal(strlen(out), n);
        assert_memory_equal(out, prefix, plen);
        const char *rnd = out + plen;
        assert_int_equal(strspn(rnd, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_"),
                         43);
        uint8_t raw[GH_BASE64_DECODED_MAX(43)];
        size_t raw_len;
        assert_true(gh_base64url_decode(rnd, 43, raw, sizeof raw, &raw_len));
        assert_int_equal(raw_len, 32);
    }
    assert_string_equal(GH_SECRET_PREFIX_CLIENT_SECRET, "ghcs_");
    assert_string_equal(GH_SECRET_PREFIX_API_KEY, "ghak_");
    assert_string_equal(GH_SECRET_PREFIX_ACCESS_TOKEN, "ghat_");
    assert_string_equal(GH_SECRET_PREFIX_PERSONAL_TOKEN, "ghpt_");
}

static void test_generate_buffer_contract(void **state)
{
    (void)state;
    char out[GH_SECRET_SIZE(5) + 8];
    memset(out, '#', sizeof out);
    assert_int_equal(gh_secret_generate("ghak_", out, GH_SECRET_SIZE(5) - 1), 0);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], '#'); /* untouched */
    assert_int_equal(gh_secret_generate("ghak_", out, GH_SECRET_SIZE(5)), 48);
    assert_int_equal(out[48], '\0');
    assert_int_equal(out[49], '#'); /* nothing written past the NUL */
}

static int cmp_secret(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* 2000 secrets, no two alike; and the random part is not stuck: every
 * base64url character position takes many different values. */
static void test_generate_unique(void **state)
{
    (void)state;
    enum { N = 2000, SIZE = GH_SECRET_SIZE(5) };
    char(*all)[SIZE] = calloc(N, SIZE);
    assert_non_null(all);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(gh_secret_generate("ghat_", all[i], SIZE), 48);
    qsort(all, N, SIZE, cmp_secret);
    for (size_t i = 1; i < N; i++)
        assert_string_not_equal(all[i - 1], all[i]);
    for (size_t pos = 5; pos < 47; pos++) {
        bool seen[256] = {false};
        size_t distinct = 0;
        for (size_t i = 0; i < N; i++) {
            unsigned char c = (unsigned char)all[i][pos];
            distinct += !seen[c];
            seen[c] = true;
        }
        assert_true(distinct > 32); /* 64 possible; 2000 draws see nearly all */
    }
    free(all);
}

static void test_hash_known_value(void **state)
{
    (void)state;
    char hex[GH_SECRET_HASH_HEX_LEN + 1];
    gh_secret_hash(pepper, PEPPER_LEN, SAMPLE_SECRET, strlen(SAMPLE_SECRET), hex);
    assert_string_equal(hex, SAMPLE_HASH);
}

/* The length is what counts, not a NUL; and the pepper changes everything. */
static void test_hash_uses_length_and_pepper(void **state)
{
    (void)state;
    char a[65], b[65], c[65];
    gh_secret_hash(pepper, PEPPER_LEN, "abc\0def", 7, a);
    gh_secret_hash(pepper, PEPPER_LEN, "abc", 3, b);
    assert_string_not_equal(a, b);
    gh_secret_hash(pepper, PEPPER_LEN - 1, "abc", 3, c);
    assert_string_not_equal(b, c);
}

static void test_verify(void **state)
{
    (void)state;
    const char *s = SAMPLE_SECRET;
    size_t n = strlen(s);
    assert_true(gh_secret_verify(pepper, PEPPER_LEN, s, n, SAMPLE_HASH));
    /* A stored hash in upper case is the same hash. */
    assert_true(
        gh_secret_verify(pepper, PEPPER_LEN, s, n,
                         "C38FA5BCFC24A346383635AA7749C42A080BD666EE15343913F4AE921AB8D2ED"));

    /* Wrong secret: one character off, one character short, a prefix only. */
    char wrong[64];
    strcpy(wrong, s);
    wrong[n - 1] = 'R';
    assert_false(gh_secret_verify(pepper, PEPPER_LEN, wrong, n, SAMPLE_HASH));
    assert_false(gh_secret_verify(pepper, PEPPER_LEN, s, n - 1, SAMPLE_HASH));
    assert_false(gh_secret_verify(pepper, PEPPER_LEN, s, 5, SAMPLE_HASH));
    assert_false(gh_secret_verify(pepper, PEPPER_LEN, "", 0, SAMPLE_HASH));
    /* Right secret, other pepper (e.g. a database copied to another server). */
    static const uint8_t other[] = "another-pepper-0123456789abcdef!";
    assert_false(gh_secret_verify(other, sizeof other - 1, s, n, SAMPLE_HASH));
}

/* The constant-time comparison looks at every position: a stored hash that
 * differs in any single hex digit, first to last, is refused, as are stored
 * values of the wrong length or with non-hex characters. */
static void test_verify_refuses_every_near_miss(void **state)
{
    (void)state;
    const char *s = SAMPLE_SECRET;
    size_t n = strlen(s);
    char stored[65];
    for (size_t pos = 0; pos < 64; pos++) {
        strcpy(stored, SAMPLE_HASH);
        stored[pos] = stored[pos] == '0' ? '1' : '0';
        assert_false(gh_secret_verify(pepper, PEPPER_LEN, s, n, stored));
    }
    strcpy(stored, SAMPLE_HASH);
    stored[63] = '\0';
    assert_false(gh_secret_verify(pepper, PEPPER_LEN, s, n, stored));
    assert_false(gh_secret_verify(pepper, PEPPER_LEN, s, n, ""));
    assert_false(gh_secret_verify(pepper, PEPPER_LEN, s, n, SAMPLE_HASH "00"));
    strcpy(stored, SAMPLE_HASH);
    stored[10] = 'g';
    assert_false(gh_secret_verify(pepper, PEPPER_LEN, s, n, stored));
}

/* A freshly generated secret round-trips through hash and verify. */
static void test_generate_hash_verify(void **state)
{
    (void)state;
    char secret[GH_SECRET_SIZE(5)];
    size_t n = gh_secret_generate("ghcs_", secret, sizeof secret);
    char stored[GH_SECRET_HASH_HEX_LEN + 1];
    gh_secret_hash(pepper, PEPPER_LEN, secret, n, stored);
    assert_int_equal(strlen(stored), 64);
    assert_int_equal(strspn(stored, "0123456789abcdef"), 64);
    assert_true(gh_secret_verify(pepper, PEPPER_LEN, secret, n, stored));
}

/* Plain digests for provider-verified access tokens (Python hashlib). */
static void test_plain_digests(void **state)
{
    (void)state;
    char h256[65], h512[129];
    gh_sha256_hex("ghat_example", 12, h256);
    assert_string_equal(h256, "79c36af5680cd19f8719282c0e59d2492b06a51a88d1befc48c290cfcce5f5fb");
    gh_sha512_hex("ghat_example", 12, h512);
    assert_string_equal(h512, "301c395a68c75e4366e854376cf6059dbffa9515533e0986f4761b99f1ff3c5f"
                              "f2c2ea76698720ea6d372bd1d5a03563adc5332c52966e528c5e6fe573c374dc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_shape),
        cmocka_unit_test(test_generate_buffer_contract),
        cmocka_unit_test(test_generate_unique),
        cmocka_unit_test(test_hash_known_value),
        cmocka_unit_test(test_hash_uses_length_and_pepper),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_verify_refuses_every_near_miss),
        cmocka_unit_test(test_generate_hash_verify),
        cmocka_unit_test(test_plain_digests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
