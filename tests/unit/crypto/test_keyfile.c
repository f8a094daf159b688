#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/keyfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fx {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/gh-keyfile-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/server.key", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    chmod(path, mode);
}

static void creates_then_reloads_same_key(void **state)
{
    struct fx *f = *state;
    uint8_t k1[GH_KEY_BYTES], k2[GH_KEY_BYTES];
    bool created;
    char err[256];
    assert_true(gh_keyfile_load(f->path, true, k1, &created, err, sizeof err));
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
    assert_true(gh_keyfile_load(f->path, true, k2, &created, err, sizeof err));
    assert_false(created);
    assert_memory_equal(k1, k2, GH_KEY_BYTES);
    uint8_t zero[GH_KEY_BYTES] = {0};
    assert_memory_not_equal(k1, zero, GH_KEY_BYTES);
}

static void missing_without_create_is_an_error(void **state)
{
    struct fx *f = *state;
    uint8_t k[GH_KEY_BYTES];
    bool created;
    char err[256] = "";
    assert_false(gh_keyfile_load(f->path, false, k, &created, err, sizeof err));
    assert_non_null(strstr(err, f->path));
    assert_int_not_equal(access(f->path, F_OK), 0);
}

static void reads_hex_key_with_or_without_newline(void **state)
{
    struct fx *f = *state;
    uint8_t k[GH_KEY_BYTES];
    bool created;
    char err[256];
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
    write_file(f->path, hex, 0600);
    assert_true(gh_keyfile_load(f->path, true, k, &created, err, sizeof err));
    assert_false(created);
    for (int i = 0; i < GH_KEY_BYTES; i++)
        assert_int_equal(k[i], i);
    char line[80];
    snprintf(line, sizeof line, "%s\n", hex);
    write_file(f->path, line, 0600);
    assert_true(gh_keyfile_load(f->path, true, k, &created, err, sizeof err));
    assert_int_equal(k[31], 31);
}

static void refuses_bad_content(void **state)
{
    struct fx *f = *state;
    static const char *bad[] = {
        "",
        "00",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1", /* 63 */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00",
        "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t k[GH_KEY_BYTES];
        bool created;
        char err[256] = "";
        write_file(f->path, bad[i], 0600);
        assert_false(gh_keyfile_load(f->path, true, k, &created, err, sizeof err));
        assert_non_null(strstr(err, "hex characters"));
    }
}

static void refuses_group_or_world_readable(void **state)
{
    struct fx *f = *state;
    uint8_t k[GH_KEY_BYTES];
    bool created;
    char err[256] = "";
    write_file(f->path, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0644);
    assert_false(gh_keyfile_load(f->path, true, k, &created, err, sizeof err));
    assert_non_null(strstr(err, "chmod 600"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(creates_then_reloads_same_key, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_without_create_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_hex_key_with_or_without_newline, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_bad_content, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_group_or_world_readable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
