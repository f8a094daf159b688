/* SHA-256 / SHA-512 against FIPS 180-2 (appendix B/C) vectors, HMAC-SHA-256
 * against RFC 4231 §4, the per-thread context reuse, hex and constant-time
 * comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "crypto/hash.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    gh_hex_encode(d, n, out);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t d[GH_SHA256_LEN];
    gh_sha256(data, len, d);
    hex(d, sizeof d, out);
}

static void sha512_hex(const void *data, size_t len, char out[129])
{
    uint8_t d[GH_SHA512_LEN];
    gh_sha512(data, len, d);
    hex(d, sizeof d, out);
}

static const char *million_a(void)
{
    static char buf[1000000];
    memset(buf, 'a', sizeof buf);
    return buf;
}

static void test_sha256_fips180(void **state)
{
    (void)state;
    char out[65];
    sha256_hex("abc", 3, out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("", 0, out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(two_blocks, strlen(two_blocks), out);
    assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha256_hex(million_a(), 1000000, out);
    assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha512_fips180(void **state)
{
    (void)state;
    char out[129];
    sha512_hex("abc", 3, out);
    assert_string_equal(out, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    sha512_hex("", 0, out);
    assert_string_equal(out, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                             "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    const char *two_blocks = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                             "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    sha512_hex(two_blocks, strlen(two_blocks), out);
    assert_string_equal(out, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                             "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
    sha512_hex(million_a(), 1000000, out);
    assert_string_equal(out, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                             "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
}

/* Interleaving the two digests must not disturb either (separate contexts). */
static void test_digests_interleaved(void **state)
{
    (void)state;
    char a[65], b[129];
    for (int i = 0; i < 3; i++) {
        sha256_hex("abc", 3, a);
        sha512_hex("abc", 3, b);
        assert_string_equal(a, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_memory_equal(b, "ddaf35a193617aba", 16);
    }
}

struct hmac_case {
    uint8_t key[131];
    size_t key_len;
    const char *data;
    size_t data_len;
    const char *mac_hex;
    size_t compare_bytes; /* case 5 is truncated to 128 bits */
};

static const char *const rfc4231_large_data =
    "This is a test using a larger than block-size key and a larger than block-size data. The "
    "key needs to be hashed before being used by the HMAC algorithm.";

/* RFC 4231 §4.2–4.8. */
static struct hmac_case *rfc4231_cases(size_t *n)
{
    static struct hmac_case c[7];
    static char dd[50], cd[50];
    memset(c, 0, sizeof c);
    memset(dd, 0xdd, sizeof dd);
    memset(cd, 0xcd, sizeof cd);

    memset(c[0].key, 0x0b, 20);
    c[0].key_len = 20;
    c[0].data = "Hi There";
    c[0].mac_hex = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";

    memcpy(c[1].key, "Jefe", 4);
    c[1].key_len = 4;
    c[1].data = "what do ya want for nothing?";
    c[1].mac_hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    memset(c[2].key, 0xaa, 20);
    c[2].key_len = 20;
    c[2].data = dd;
    c[2].data_len = sizeof dd;
    c[2].mac_hex = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";

    for (int i = 0; i < 25; i++)
        c[3].key[i] = (uint8_t)(i + 1);
    c[3].key_len = 25;
    c[3].data = cd;
    c[3].data_len = sizeof cd;
    c[3].mac_hex = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";

    memset(c[4].key, 0x0c, 20);
    c[4].key_len = 20;
    c[4].data = "Test With Truncation";
    c[4].mac_hex = "a3b6167473100ee06e0c796c2955552b";
    c[4].compare_bytes = 16;

    memset(c[5].key, 0xaa, 131);
    c[5].key_len = 131;
    c[5].data = "Test Using Larger Than Block-Size Key - Hash Key First";
    c[5].mac_hex = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";

    memset(c[6].key, 0xaa, 131);
    c[6].key_len = 131;
    c[6].data = rfc4231_large_data;
    c[6].mac_hex = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";

    for (size_t i = 0; i < 7; i++) {
        if (!c[i].data_len)
            c[i].data_len = strlen(c[i].data);
        if (!c[i].compare_bytes)
            c[i].compare_bytes = 32;
    }
    *n = 7;
    return c;
}

static void check_hmac_case(const struct hmac_case *c)
{
    uint8_t mac[GH_SHA256_LEN];
    char out[65];
    gh_hmac_sha256(c->key, c->key_len, c->data, c->data_len, mac);
    hex(mac, c->compare_bytes, out);
    assert_string_equal(out, c->mac_hex);
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    size_t n;
    struct hmac_case *c = rfc4231_cases(&n);
    for (size_t i = 0; i < n; i++)
        check_hmac_case(&c[i]);
}

/* The per-thread key cache must notice every key change, including keys of the
 * same length and keys too long to cache, in any order ("2, 5, 2": a cached
 * key again after a long one that was set but not remembered). */
static void test_hmac_key_changes(void **state)
{
    (void)state;
    size_t n;
    struct hmac_case *c = rfc4231_cases(&n);
    static const size_t order[] = {0, 0, 2, 0, 4, 4, 5, 6, 5, 1, 3, 6, 0, 2, 5, 2, 6, 2};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        check_hmac_case(&c[order[i]]);

    /* 0x0b * 20 and 0x0c * 20: same length, different key. */
    uint8_t k1[20], k2[20], m1[32], m2[32];
    memset(k1, 0x0b, sizeof k1);
    memset(k2, 0x0b, sizeof k2);
    k2[19] = 0x0c;
    gh_hmac_sha256(k1, sizeof k1, "Hi There", 8, m1);
    gh_hmac_sha256(k2, sizeof k2, "Hi There", 8, m2);
    assert_memory_not_equal(m1, m2, 32);
}

static void test_hmac_empty_key_and_data(void **state)
{
    (void)state;
    uint8_t mac[32];
    char out[65];
    gh_hmac_sha256(NULL, 0, "", 0, mac);
    hex(mac, sizeof mac, out);
    assert_string_equal(out, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

/* arg: the RFC 4231 table, filled before the threads start (rfc4231_cases
 * rewrites it, so threads must not call it). */
static void *thread_hash(void *arg)
{
    const struct hmac_case *c = arg;
    for (int round = 0; round < 200; round++) {
        const struct hmac_case *k = &c[round % 4];
        uint8_t mac[32];
        char out[65];
        gh_hmac_sha256(k->key, k->key_len, k->data, k->data_len, mac);
        hex(mac, 32, out);
        if (strcmp(out, k->mac_hex) != 0)
            return (void *)"hmac";
        sha256_hex("abc", 3, out);
        if (strcmp(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") != 0)
            return (void *)"sha256";
    }
    return NULL;
}

/* Threads each get their own contexts: concurrent use gives correct results
 * (and, under ASan, threads that exit free theirs). */
static void test_threads(void **state)
{
    (void)state;
    size_t n;
    struct hmac_case *c = rfc4231_cases(&n);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_hash, c), 0);
    for (int i = 0; i < 4; i++) {
        void *res;
        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_null(res);
    }
}

static void test_hex_encode(void **state)
{
    (void)state;
    const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[13];
    memset(out, 'X', sizeof out);
    gh_hex_encode(in, sizeof in, out);
    assert_string_equal(out, "00017f80abff");
    gh_hex_encode(in, 0, out);
    assert_string_equal(out, "");
}

static void test_hex_decode(void **state)
{
    (void)state;
    uint8_t out[6];
    assert_true(gh_hex_decode("00017f80abff", 12, out, 6));
    assert_memory_equal(out, ((uint8_t[]){0x00, 0x01, 0x7f, 0x80, 0xab, 0xff}), 6);
    assert_true(gh_hex_decode("ABFF", 4, out, 2));
    assert_memory_equal(out, ((uint8_t[]){0xab, 0xff}), 2);
    assert_true(gh_hex_decode("", 0, out, 0));

    assert_false(gh_hex_decode("abc", 3, out, 1));  /* odd length */
    assert_false(gh_hex_decode("abcd", 4, out, 1)); /* does not fit exactly */
    assert_false(gh_hex_decode("abcd", 4, out, 3)); /* nor with room to spare */
    assert_false(gh_hex_decode("ag", 2, out, 1));   /* not hex */
    assert_false(gh_hex_decode("g0", 2, out, 1));
    assert_false(gh_hex_decode("0:", 2, out, 1)); /* '9' + 1 */
    assert_false(gh_hex_decode("0/", 2, out, 1)); /* '0' - 1 */
    assert_false(gh_hex_decode("@0", 2, out, 1)); /* 'A' - 1 */
    assert_false(gh_hex_decode("`0", 2, out, 1)); /* 'a' - 1 */
    assert_false(gh_hex_decode(" 0", 2, out, 1));
    assert_false(gh_hex_decode("0\0", 2, out, 1));
}

static void test_ct_equal(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    memset(a, 0x5a, sizeof a);
    memcpy(b, a, sizeof b);
    assert_true(gh_ct_equal(a, b, 32));
    assert_true(gh_ct_equal(a, b, 0));
    b[0] ^= 1;
    assert_false(gh_ct_equal(a, b, 32));
    b[0] ^= 1;
    b[31] ^= 0x80;
    assert_false(gh_ct_equal(a, b, 32));
    assert_true(gh_ct_equal(a, b, 31));
}

static void test_hex_ct_equal(void **state)
{
    (void)state;
    const char *h = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    char other[65];
    strcpy(other, h);
    assert_true(gh_hex_ct_equal(h, other));
    assert_true(
        gh_hex_ct_equal(h, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));

    other[0] = 'c';
    assert_false(gh_hex_ct_equal(h, other));
    strcpy(other, h);
    other[63] = 'e';
    assert_false(gh_hex_ct_equal(h, other));
    other[63] = '\0';
    assert_false(gh_hex_ct_equal(h, other)); /* shorter */
    assert_false(gh_hex_ct_equal("", ""));
    assert_false(gh_hex_ct_equal("zz", "zz")); /* equal, but not hex */
    assert_false(gh_hex_ct_equal("0g", "0g"));
    /* '@' | 0x20 == '`': case folding must not make non-hex characters equal */
    assert_false(gh_hex_ct_equal("@1", "`1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_fips180),
        cmocka_unit_test(test_sha512_fips180),
        cmocka_unit_test(test_digests_interleaved),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_key_changes),
        cmocka_unit_test(test_hmac_empty_key_and_data),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_hex_encode),
        cmocka_unit_test(test_hex_decode),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_hex_ct_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
