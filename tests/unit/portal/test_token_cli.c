#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "crypto/secret.h"
#include "portal/token_cli.h"

/* A token and its digests, as the management API would show them. */
static const char token[] = "ghat_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

static int run(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4)
{
    char *argv[6] = {(char *)a0, (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    int argc = 0;
    while (argc < 5 && argv[argc])
        argc++;
    return gh_cli_token_verify_hash(argc, argv);
}

static void test_sha256_match_and_mismatch(void **state)
{
    (void)state;
    char hex[65];
    gh_sha256_hex(token, strlen(token), hex);
    assert_int_equal(run("--method", "sha256", "--hash", hex, token), 0);
    /* the hash is compared ignoring case */
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(run("--method", "sha256", "--hash", hex, token), 0);
    assert_int_equal(run("--method", "sha256", "--hash", hex, "ghat_other"), 1);
    /* flipping one digit is a mismatch, not a usage error */
    hex[63] = hex[63] == '0' ? '1' : '0';
    assert_int_equal(run("--method", "sha256", "--hash", hex, token), 1);
}

static void test_sha512_match_and_mismatch(void **state)
{
    (void)state;
    char hex[129];
    gh_sha512_hex(token, strlen(token), hex);
    assert_int_equal(run("--method", "sha512", "--hash", hex, token), 0);
    assert_int_equal(run("--method", "sha512", "--hash", hex, "ghat_x"), 1);
}

static void test_usage_errors_exit_2(void **state)
{
    (void)state;
    char h256[65], h512[129];
    gh_sha256_hex(token, strlen(token), h256);
    gh_sha512_hex(token, strlen(token), h512);
    assert_int_equal(run("--hash", h256, token, NULL, NULL), 2);           /* no method */
    assert_int_equal(run("--method", "sha256", token, NULL, NULL), 2);     /* no hash */
    assert_int_equal(run("--method", "md5", "--hash", h256, token), 2);    /* unknown */
    assert_int_equal(run("--method", "sha512", "--hash", h256, token), 2); /* too short */
    assert_int_equal(run("--method", "sha256", "--hash", h512, token), 2); /* too long */
    assert_int_equal(run("--method", "sha256", "--hash", h256, NULL), 2);  /* no token */
    char bad[65];
    memcpy(bad, h256, sizeof bad);
    bad[0] = 'g';
    assert_int_equal(run("--method", "sha256", "--hash", bad, token), 2); /* not hex */
    assert_int_equal(run("--bogus", "x", NULL, NULL, NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_match_and_mismatch),
        cmocka_unit_test(test_sha512_match_and_mismatch),
        cmocka_unit_test(test_usage_errors_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
