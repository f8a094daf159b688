#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "domain/id.h"

#define ALPHABET "abcdefghijklmnopqrstuvwxyz234567"

static void test_new_id_has_prefix_and_26_base32_chars(void **state)
{
    static const char *const prefixes[] = {
        GH_ID_USER,        GH_ID_ORG,          GH_ID_API,
        GH_ID_PLAN,        GH_ID_APP,          GH_ID_API_KEY,
        GH_ID_CERTIFICATE, GH_ID_SUBSCRIPTION, GH_ID_SUBSCRIPTION_EVENT,
        GH_ID_API_TOKEN,   GH_ID_OUTBOX_MSG,   GH_ID_AUDIT_EVENT,
        "abcdefgh", /* the longest prefix allowed */
    };
    struct gh_arena *a = gh_arena_new(1024);
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        const char *p = prefixes[i];
        size_t plen = strlen(p);
        char *id = gh_id_new(a, p);
        assert_int_equal(strlen(id), plen + 1 + GH_ID_RANDOM_CHARS);
        assert_true(strlen(id) < GH_ID_BUF_SIZE);
        assert_memory_equal(id, p, plen);
        assert_int_equal(id[plen], '_');
        assert_int_equal(strspn(id + plen + 1, ALPHABET), GH_ID_RANDOM_CHARS);
        assert_true(gh_id_valid(id, p));
        assert_true(gh_id_valid(id, NULL));
    }
    char *app = gh_id_new(a, GH_ID_APP);
    assert_memory_equal(app, "app_", 4);
    assert_false(gh_id_valid(app, GH_ID_USER)); /* another entity's prefix */
    gh_arena_free(a);
}

/* Decodes the 26 characters back into 16 bytes (the test's own base32). */
static void decode(const char *chars, unsigned char out[16])
{
    memset(out, 0, 16);
    for (size_t i = 0; i < 130; i++) {
        size_t ci = i / 5;
        int v = (int)(strchr(ALPHABET, chars[ci]) - ALPHABET);
        int bit = (v >> (4 - (int)(i % 5))) & 1;
        if (i < 128)
            out[i / 8] |= (unsigned char)(bit << (7 - (int)(i % 8)));
        else
            assert_int_equal(bit, 0); /* the two padding bits */
    }
}

static int compare_strings(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* 128 random bits: over 1000 ids every bit is set about half the time (a bit
 * stuck at 0 or 1, or lost in the encoding, would be far outside 350..650:
 * the standard deviation is about 16) and no id repeats. */
static void test_ids_carry_128_random_bits_and_do_not_repeat(void **state)
{
    enum { N = 1000 };
    struct gh_arena *a = gh_arena_new(64 * 1024);
    static char *ids[N];
    static unsigned ones[128];
    memset(ones, 0, sizeof ones);
    for (size_t i = 0; i < N; i++) {
        ids[i] = gh_id_new(a, GH_ID_APP);
        unsigned char raw[16];
        decode(ids[i] + 4, raw);
        for (size_t b = 0; b < 128; b++)
            ones[b] += (raw[b / 8] >> (7 - b % 8)) & 1;
    }
    for (size_t b = 0; b < 128; b++) {
        if (ones[b] < 350 || ones[b] > 650)
            fail_msg("bit %zu set in %u of %d ids", b, ones[b], N);
    }
    qsort(ids, N, sizeof ids[0], compare_strings);
    for (size_t i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    gh_arena_free(a);
}

/* ids from outside (path parameters): a table of input, prefix, expected. */
static void test_valid_table(void **state)
{
    static const struct {
        const char *id, *prefix;
        bool ok;
    } rows[] = {
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaaa", "app", true},
        {"app_abcdefghijklmnopqrstuvwxy4", "app", true},
        {"app_234567zzzzzzzzzzzzzzzzzzzq", "app", true},
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, true},
        {"abcdefgh_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, true},
        {"usr_aaaaaaaaaaaaaaaaaaaaaaaaaa", "app", false}, /* other entity */
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaaa", "ap", false},  /* prefix must be whole */
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaaa", "appx", false},
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaa", "app", false},   /* 25 chars */
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaaaa", "app", false}, /* 27 chars */
        {"app_Aaaaaaaaaaaaaaaaaaaaaaaaaa", "app", false},  /* upper case */
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaa1", "app", false},  /* 1 is not base32 */
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaa8", "app", false},  /* nor 8 */
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaab", "app", false},  /* padding bits set */
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaa7", "app", false},
        {"app-aaaaaaaaaaaaaaaaaaaaaaaaaa", "app", false},
        {"appaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, false},
        {"_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, false},          /* no prefix */
        {"abcdefghi_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, false}, /* prefix too long */
        {"APP_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, false},
        {"app_aaaaaaaaaaaaa/aaaaaaaaaaaa", "app", false},
        {"app_aaaaaaaaaaaaaaaaaaaaaaaaaa ", "app", false},
        {"app_", "app", false},
        {"", "app", false},
        {"", NULL, false},
        {NULL, "app", false},
        {NULL, NULL, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (gh_id_valid(rows[i].id, rows[i].prefix) != rows[i].ok)
            fail_msg("row %zu: gh_id_valid(\"%s\", \"%s\") should be %s", i,
                     rows[i].id ? rows[i].id : "(null)", rows[i].prefix ? rows[i].prefix : "(null)",
                     rows[i].ok ? "true" : "false");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_id_has_prefix_and_26_base32_chars),
        cmocka_unit_test(test_ids_carry_128_random_bits_and_do_not_repeat),
        cmocka_unit_test(test_valid_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
