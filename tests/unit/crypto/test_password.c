/* Password hashing: the PHC string's shape and parameters, a round trip,
 * refusal of wrong passwords and of malformed or foreign stored strings, a
 * reference implementation's hash, fresh salts, the buffer contract, and
 * that burning costs as much as verifying. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/password.h"

#define PW "correct horse battery staple"

/* From the argon2 reference test suite (src/test.c): "password" with salt
 * "somesalt", m=65536, t=2, p=1. */
#define REFERENCE_PHC                                                                              \
    "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

static void test_round_trip(void **state)
{
    (void)state;
    char phc[GH_PASSWORD_PHC_SIZE];
    assert_true(gh_password_hash(PW, strlen(PW), phc, sizeof phc));
    assert_true(strncmp(phc, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    /* salt (22 base64 chars: 16 bytes) and hash (43 chars: 32 bytes) */
    const char *salt = phc + 31;
    const char *dollar = strchr(salt, '$');
    assert_non_null(dollar);
    assert_int_equal(dollar - salt, 22);
    assert_int_equal(strlen(dollar + 1), 43);
    assert_true(gh_password_verify(phc, PW, strlen(PW)));
}

static void test_wrong_password(void **state)
{
    (void)state;
    char phc[GH_PASSWORD_PHC_SIZE];
    assert_true(gh_password_hash(PW, strlen(PW), phc, sizeof phc));
    assert_false(gh_password_verify(phc, "correct horse battery stapl", 27));
    assert_false(gh_password_verify(phc, "Correct horse battery staple", strlen(PW)));
    assert_false(gh_password_verify(phc, PW "!", strlen(PW) + 1));
    assert_false(gh_password_verify(phc, "", 0));
    /* the length counts, not a NUL */
    assert_false(gh_password_verify(phc, PW, strlen(PW) - 1));
}

static void test_reference_hash(void **state)
{
    (void)state;
    assert_true(gh_password_verify(REFERENCE_PHC, "password", 8));
    assert_false(gh_password_verify(REFERENCE_PHC, "passwore", 8));
}

static void test_malformed_phc(void **state)
{
    (void)state;
    char phc[GH_PASSWORD_PHC_SIZE];
    assert_true(gh_password_hash(PW, strlen(PW), phc, sizeof phc));
    size_t n = strlen(phc);
    char cut[GH_PASSWORD_PHC_SIZE];
    memcpy(cut, phc, n - 10);
    cut[n - 10] = '\0';
    char badchar[GH_PASSWORD_PHC_SIZE];
    memcpy(badchar, phc, n + 1);
    badchar[n - 5] = '*';
    static const char *const bad[] = {
        "",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$$",
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ",
        "$argon2id$v=19$m=abc,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$!!!!",
        /* the same hash as argon2i, another variant: not accepted */
        "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$2b$12$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
        "plain text password",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(gh_password_verify(bad[i], "password", 8));
    assert_false(gh_password_verify(cut, PW, strlen(PW)));
    assert_false(gh_password_verify(badchar, PW, strlen(PW)));
    assert_false(gh_password_verify(NULL, PW, strlen(PW)));
}

static void test_unique_salts(void **state)
{
    (void)state;
    char a[GH_PASSWORD_PHC_SIZE], b[GH_PASSWORD_PHC_SIZE];
    assert_true(gh_password_hash(PW, strlen(PW), a, sizeof a));
    assert_true(gh_password_hash(PW, strlen(PW), b, sizeof b));
    assert_string_not_equal(a, b);
    /* the salts differ, not only the hashes */
    assert_true(memcmp(a + 31, b + 31, 22) != 0);
    assert_true(gh_password_verify(a, PW, strlen(PW)));
    assert_true(gh_password_verify(b, PW, strlen(PW)));
}

static void test_buffer_contract(void **state)
{
    (void)state;
    char phc[GH_PASSWORD_PHC_SIZE];
    assert_true(gh_password_hash(PW, strlen(PW), phc, sizeof phc));
    size_t need = strlen(phc) + 1;
    char small[GH_PASSWORD_PHC_SIZE];
    memset(small, 'x', sizeof small);
    assert_false(gh_password_hash(PW, strlen(PW), small, 40));
    assert_string_equal(small, "");
    /* the exact size is enough */
    assert_true(gh_password_hash(PW, strlen(PW), small, need));
    assert_int_equal(strlen(small), need - 1);
    /* an empty password hashes too (the validation rule refuses it earlier) */
    assert_true(gh_password_hash("", 0, phc, sizeof phc));
    assert_true(gh_password_verify(phc, "", 0));
    assert_false(gh_password_verify(phc, "x", 1));
}

static double seconds_of(void (*fn)(const char *), const char *arg)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fn(arg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static char stored[GH_PASSWORD_PHC_SIZE];

static void do_verify(const char *pw)
{
    assert_false(gh_password_verify(stored, pw, strlen(pw)));
}

static void do_burn(const char *pw)
{
    gh_password_burn(pw, strlen(pw));
}

/* An unknown email must cost what a known one with a wrong password costs:
 * a burn that did no argon2 work (say, a malformed dummy hash) would take
 * microseconds instead of milliseconds. */
static void test_burn_costs_a_verify(void **state)
{
    (void)state;
    assert_true(gh_password_hash(PW, strlen(PW), stored, sizeof stored));
    double verify = 1e9, burn = 1e9;
    for (int i = 0; i < 3; i++) {
        double v = seconds_of(do_verify, "guess one");
        double b = seconds_of(do_burn, "guess one");
        verify = v < verify ? v : verify;
        burn = b < burn ? b : burn;
    }
    assert_true(verify > 0.002);
    assert_true(burn > verify / 3);
    assert_true(burn < verify * 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),          cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_reference_hash),      cmocka_unit_test(test_malformed_phc),
        cmocka_unit_test(test_unique_salts),        cmocka_unit_test(test_buffer_contract),
        cmocka_unit_test(test_burn_costs_a_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
