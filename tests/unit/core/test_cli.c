#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/log.h"

struct cfg {
    struct gh_listen listen;
    const char *db;
    long long threads;
    size_t max_body;
    bool flag;
    enum gh_log_level level;
};

static enum gh_cli_result parse(struct cfg *c, int argc, char **argv)
{
    const struct gh_opt opts[] = {
        {"listen", "GH_TEST_LISTEN", "HOST:PORT", "listen", GH_OPT_LISTEN, &c->listen, 0, 0},
        {"db", "GH_TEST_DB", "PATH", "db", GH_OPT_STRING, &c->db, 0, 0},
        {"threads", "GH_TEST_THREADS", "N", "threads", GH_OPT_INT, &c->threads, 0, 64},
        {"max-body", NULL, "BYTES", "body", GH_OPT_SIZE, &c->max_body, 1, 1 << 20},
        {"flag", NULL, NULL, "flag", GH_OPT_FLAG, &c->flag, 0, 0},
        {"log-level", NULL, "L", "level", GH_OPT_LOG_LEVEL, &c->level, 0, 0},
    };
    char *pos[2];
    size_t npos;
    /* the parser reports errors on stderr; keep test output readable */
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    enum gh_cli_result r =
        gh_cli_parse("t", "t", "t", opts, sizeof opts / sizeof opts[0], argc, argv, pos, 0, &npos);
    fclose(stderr);
    stderr = saved;
    return r;
}

static void test_flags_and_defaults(void **state)
{
    struct cfg c = {.db = "default.db", .threads = 0, .max_body = 100};
    strcpy(c.listen.host, "127.0.0.1");
    c.listen.port = 8080;
    char *argv[] = {"--listen", "[::1]:9000", "--threads=4", "--max-body",
                    "2k",       "--flag",     "--log-level", "warn"};
    assert_int_equal(parse(&c, 8, argv), GH_CLI_OK);
    assert_string_equal(c.listen.host, "::1");
    assert_int_equal(c.listen.port, 9000);
    assert_int_equal(c.threads, 4);
    assert_int_equal(c.max_body, 2048);
    assert_true(c.flag);
    assert_int_equal(c.level, GH_LOG_WARN);
    assert_string_equal(c.db, "default.db");
}

static void test_env_then_flag_precedence(void **state)
{
    struct cfg c = {.db = "default.db"};
    setenv("GH_TEST_DB", "env.db", 1);
    setenv("GH_TEST_THREADS", "3", 1);
    char *argv[] = {"--db", "flag.db"};
    assert_int_equal(parse(&c, 2, argv), GH_CLI_OK);
    assert_string_equal(c.db, "flag.db");
    assert_int_equal(c.threads, 3);
    unsetenv("GH_TEST_DB");
    unsetenv("GH_TEST_THREADS");
}

static void test_bad_values_are_errors(void **state)
{
    static char *bad[][2] = {
        {"--threads", "x"},      {"--threads", "65"},           {"--max-body", "0"},
        {"--listen", "host:80"}, {"--listen", "1.2.3.4:99999"}, {"--log-level", "loud"},
        {"--nope", "1"},         {"positional", "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cfg c = {0};
        assert_int_equal(parse(&c, 2, bad[i]), GH_CLI_ERROR);
    }
    struct cfg c = {0};
    char *missing[] = {"--db"};
    assert_int_equal(parse(&c, 1, missing), GH_CLI_ERROR);
    setenv("GH_TEST_THREADS", "many", 1);
    assert_int_equal(parse(&c, 0, NULL), GH_CLI_ERROR);
    unsetenv("GH_TEST_THREADS");
}

static void test_listen_forms(void **state)
{
    struct gh_listen l;
    char err[128];
    assert_true(gh_listen_parse("8081", &l, err, sizeof err));
    assert_string_equal(l.host, "127.0.0.1");
    assert_int_equal(l.port, 8081);
    assert_true(gh_listen_parse("0.0.0.0:0", &l, err, sizeof err));
    assert_int_equal(l.port, 0);
    assert_false(gh_listen_parse("[::1]8080", &l, err, sizeof err));
    assert_false(gh_listen_parse(":80", &l, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_and_defaults),
        cmocka_unit_test(test_env_then_flag_precedence),
        cmocka_unit_test(test_bad_values_are_errors),
        cmocka_unit_test(test_listen_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
