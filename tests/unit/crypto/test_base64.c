/* base64url (unpadded) and standard base64 against the RFC 4648 §10 vectors,
 * round trips of every short length, and the strictness the decoders promise:
 * wrong alphabet, impossible lengths, misplaced padding, non-zero unused bits
 * and too small output buffers are all refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "crypto/base64.h"

struct vector {
    const char *plain;
    const char *std; /* RFC 4648 §4, padded */
    const char *url; /* §5, unpadded */
};

static const struct vector rfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

#define NVECTORS (sizeof rfc4648 / sizeof rfc4648[0])

/* Decodes a NUL-terminated input with a generous buffer. */
static bool url_dec(const char *in, uint8_t *out, size_t *out_len)
{
    return gh_base64url_decode(in, strlen(in), out, 64, out_len);
}

static bool std_dec(const char *in, uint8_t *out, size_t *out_len)
{
    return gh_base64_decode(in, strlen(in), out, 64, out_len);
}

static void test_url_encode_rfc4648(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVECTORS; i++) {
        char out[16];
        memset(out, 'X', sizeof out);
        size_t n = gh_base64url_encode(rfc4648[i].plain, strlen(rfc4648[i].plain), out);
        assert_string_equal(out, rfc4648[i].url);
        assert_int_equal(n, strlen(rfc4648[i].url));
        assert_int_equal(n, GH_BASE64URL_LEN(strlen(rfc4648[i].plain)));
    }
}

static void test_std_encode_rfc4648(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVECTORS; i++) {
        char out[16];
        memset(out, 'X', sizeof out);
        size_t n = gh_base64_encode(rfc4648[i].plain, strlen(rfc4648[i].plain), out);
        assert_string_equal(out, rfc4648[i].std);
        assert_int_equal(n, GH_BASE64_LEN(strlen(rfc4648[i].plain)));
    }
    /* The alphabets differ in their last two characters. */
    const uint8_t high[] = {0xfb, 0xff, 0xfe};
    char out[8];
    gh_base64_encode(high, sizeof high, out);
    assert_string_equal(out, "+//+");
}

static void test_url_decode_rfc4648(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVECTORS; i++) {
        uint8_t out[64];
        size_t n = 999;
        assert_true(url_dec(rfc4648[i].url, out, &n));
        assert_int_equal(n, strlen(rfc4648[i].plain));
        assert_memory_equal(out, rfc4648[i].plain, n);
    }
}

static void test_std_decode_rfc4648(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVECTORS; i++) {
        uint8_t out[64];
        size_t n = 999;
        assert_true(std_dec(rfc4648[i].std, out, &n));
        assert_int_equal(n, strlen(rfc4648[i].plain));
        assert_memory_equal(out, rfc4648[i].plain, n);
        /* Some clients leave the padding off; the same bytes come out. */
        n = 999;
        assert_true(std_dec(rfc4648[i].url, out, &n));
        assert_int_equal(n, strlen(rfc4648[i].plain));
        assert_memory_equal(out, rfc4648[i].plain, n);
    }
}

/* HTTP Basic credentials as RFC 7617 §2 shows them. */
static void test_std_decode_basic_credentials(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t n;
    assert_true(std_dec("QWxhZGRpbjpvcGVuIHNlc2FtZQ==", out, &n));
    assert_int_equal(n, strlen("Aladdin:open sesame"));
    assert_memory_equal(out, "Aladdin:open sesame", n);
    assert_true(std_dec("dGVzdDoxMjPCow==", out, &n)); /* "test:123£" in UTF-8 */
    assert_int_equal(n, 10);
    assert_memory_equal(out, "test:123\xc2\xa3", 10);
}

/* Bytes whose encoding uses sextets 62 and 63: the two alphabets differ there. */
static void test_alphabets_62_63(void **state)
{
    (void)state;
    const uint8_t raw[] = {0xfb, 0xff, 0xbf};
    char enc[8];
    gh_base64url_encode(raw, sizeof raw, enc);
    assert_string_equal(enc, "-_-_");

    uint8_t out[8];
    size_t n;
    assert_true(url_dec("-_-_", out, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(out, raw, 3);
    assert_true(std_dec("+/+/", out, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(out, raw, 3);

    assert_false(url_dec("+/+/", out, &n)); /* standard alphabet in base64url */
    assert_false(std_dec("-_-_", out, &n)); /* and the other way round */
}

static void test_url_decode_rejects_bad_characters(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg==",       /* padding is not base64url */
        "Zm8=",       /* not even in the last quantum */
        "Zm 9",       /* whitespace */
        "Zm9\n",      /* trailing newline */
        "Zm9.",       /* punctuation */
        "Z\xc3\xa9v", /* non-ASCII (4 bytes: only the characters are wrong) */
        "*m9v",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[64];
        size_t n = 777;
        assert_false(url_dec(bad[i], out, &n));
        assert_int_equal(n, 777); /* untouched on failure */
    }
    /* An embedded NUL is a bad character, not the end of the input. */
    uint8_t out[64];
    size_t n;
    assert_false(gh_base64url_decode("Zm\0v", 4, out, sizeof out, &n));
}

/* One character short of a byte, or unused bits set: no encoder writes these. */
static void test_decode_rejects_impossible_lengths_and_bits(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t n;
    assert_false(url_dec("Z", out, &n));
    assert_false(url_dec("Zm9vY", out, &n));
    assert_false(std_dec("Zm9vY", out, &n));
    assert_false(url_dec("Zh", out, &n));  /* "f" is "Zg": the low 4 bits must be 0 */
    assert_false(url_dec("Zm9", out, &n)); /* "fo" is "Zm8": the low 2 bits must be 0 */
    assert_false(std_dec("Zh==", out, &n));
    assert_false(std_dec("Zm9=", out, &n));
    assert_true(url_dec("Zg", out, &n));
    assert_true(url_dec("Zm8", out, &n));
}

static void test_std_decode_rejects_misplaced_padding(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "=",     "==",      "===",      "====",     "Zg=",  /* only padding; not whole quanta */
        "Zg===", "Z===",    "Zm9v====", "Zg==Zg==", "Zm=v", /* too much padding; '=' inside */
        "Zm8==", "Zm9vYg=", "Zg= =",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[64];
        size_t n;
        assert_false(std_dec(bad[i], out, &n));
    }
}

static void test_decode_respects_out_cap(void **state)
{
    (void)state;
    uint8_t out[6];
    size_t n;
    assert_true(gh_base64url_decode("Zm9vYmFy", 8, out, 6, &n));
    assert_int_equal(n, 6);
    assert_false(gh_base64url_decode("Zm9vYmFy", 8, out, 5, &n));
    assert_false(gh_base64_decode("Zm9vYmE=", 8, out, 4, &n));
    assert_true(gh_base64_decode("Zm9vYmE=", 8, out, 5, &n));
    assert_int_equal(n, 5);
    assert_true(gh_base64url_decode("", 0, NULL, 0, &n));
    assert_int_equal(n, 0);
}

/* Every length 0..80 and every byte value: encode, check the alphabet and
 * length, decode within GH_BASE64_DECODED_MAX, get the input back. */
static void test_round_trip(void **state)
{
    (void)state;
    uint8_t raw[80];
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (uint8_t)(i * 37 + 200);
    for (size_t len = 0; len <= sizeof raw; len++) {
        char enc[GH_BASE64URL_LEN(sizeof raw) + 1];
        size_t elen = gh_base64url_encode(raw, len, enc);
        assert_int_equal(elen, GH_BASE64URL_LEN(len));
        assert_int_equal(strlen(enc), elen);
        assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_"),
                         elen);
        uint8_t dec[GH_BASE64_DECODED_MAX(GH_BASE64URL_LEN(sizeof raw))];
        size_t dlen;
        assert_true(gh_base64url_decode(enc, elen, dec, GH_BASE64_DECODED_MAX(elen), &dlen));
        assert_int_equal(dlen, len);
        assert_memory_equal(dec, raw, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_encode_rfc4648),
        cmocka_unit_test(test_std_encode_rfc4648),
        cmocka_unit_test(test_url_decode_rfc4648),
        cmocka_unit_test(test_std_decode_rfc4648),
        cmocka_unit_test(test_std_decode_basic_credentials),
        cmocka_unit_test(test_alphabets_62_63),
        cmocka_unit_test(test_url_decode_rejects_bad_characters),
        cmocka_unit_test(test_decode_rejects_impossible_lengths_and_bits),
        cmocka_unit_test(test_std_decode_rejects_misplaced_padding),
        cmocka_unit_test(test_decode_respects_out_cap),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
