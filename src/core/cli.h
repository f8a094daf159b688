/* Command-line options with environment fallbacks, and their --help.
 *
 * Each command declares a table of options; a flag's value wins over its
 * environment variable, which wins over the default already in *dst.  A bad
 * value is one line on stderr ("gatehouse serve: --threads: …") and exit code
 * 2, so scripts and service managers see a clear failure. */
#ifndef GH_CORE_CLI_H
#define GH_CORE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gh_opt_type {
    GH_OPT_STRING,    /* char ** (points into argv/environ; not copied) */
    GH_OPT_INT,       /* long long *, within [min, max] */
    GH_OPT_SIZE,      /* size_t *, bytes; accepts k/K, m/M suffixes (1024-based) */
    GH_OPT_FLAG,      /* bool *; env accepts 1/0/true/false/yes/no */
    GH_OPT_LOG_LEVEL, /* enum gh_log_level * */
    GH_OPT_LISTEN,    /* struct gh_listen * */
};

struct gh_listen {
    char host[64]; /* numeric address */
    uint16_t port;
};

struct gh_opt {
    const char *name; /* long flag without dashes */
    const char *env;  /* environment variable or NULL */
    const char *metavar;
    const char *help;
    enum gh_opt_type type;
    void *dst;
    long long min, max; /* GH_OPT_INT / GH_OPT_SIZE bounds (0,0: unbounded) */
};

enum gh_cli_result { GH_CLI_OK = 0, GH_CLI_HELP, GH_CLI_ERROR };

/* Parses argv[0..argc) (argv[0] is the first argument after the command
 * words).  Positional arguments are collected into pos (up to max_pos);
 * --help prints usage + description + the option table to stdout. */
enum gh_cli_result gh_cli_parse(const char *cmd, const char *usage, const char *description,
                                const struct gh_opt *opts, size_t nopts, int argc, char **argv,
                                char **pos, size_t max_pos, size_t *npos);
/* Parses "HOST:PORT", "[v6]:PORT" or "PORT" (host 127.0.0.1). */
bool gh_listen_parse(const char *s, struct gh_listen *out, char *err, size_t errlen);

#endif
