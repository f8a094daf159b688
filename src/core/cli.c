#include "core/cli.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_ll(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return false;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    if (*end != '\0' || v > (unsigned long long)SIZE_MAX / mul)
        return false;
    *out = (size_t)(v * mul);
    return true;
}

static bool parse_flag(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no",
                                                                                "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0)
            return (*out = true), true;
        if (strcmp(s, no[i]) == 0)
            return (*out = false), true;
    }
    return false;
}

bool gh_listen_parse(const char *s, struct gh_listen *out, char *err, size_t errlen)
{
    const char *host = "127.0.0.1", *port;
    size_t hlen = strlen(host);
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "expected [IPv6]:PORT, got '%s'", s);
            return false;
        }
        host = s + 1;
        hlen = (size_t)(close - s - 1);
        port = close + 2;
    } else if ((colon = strrchr(s, ':')) != NULL) {
        host = s;
        hlen = (size_t)(colon - s);
        port = colon + 1;
    } else {
        port = s;
    }
    if (hlen == 0 || hlen >= sizeof out->host) {
        snprintf(err, errlen, "expected HOST:PORT, got '%s'", s);
        return false;
    }
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    unsigned char tmp[16];
    if (inet_pton(AF_INET, out->host, tmp) != 1 && inet_pton(AF_INET6, out->host, tmp) != 1) {
        snprintf(err, errlen, "'%s' is not a numeric IPv4 or IPv6 address", out->host);
        return false;
    }
    long long p;
    if (!parse_ll(port, &p) || p < 0 || p > 65535) {
        snprintf(err, errlen, "port must be a number 0..65535, got '%s'", port);
        return false;
    }
    out->port = (uint16_t)p;
    return true;
}

static bool apply(const struct gh_opt *o, const char *v, char *err, size_t errlen)
{
    switch (o->type) {
    case GH_OPT_STRING:
        *(const char **)o->dst = v;
        return true;
    case GH_OPT_INT: {
        long long n;
        if (!parse_ll(v, &n) || ((o->min || o->max) && (n < o->min || n > o->max))) {
            snprintf(err, errlen, "expected an integer %lld..%lld, got '%s'", o->min, o->max, v);
            return false;
        }
        *(long long *)o->dst = n;
        return true;
    }
    case GH_OPT_SIZE: {
        size_t n;
        if (!parse_size(v, &n) ||
            ((o->min || o->max) && ((long long)n < o->min || (long long)n > o->max))) {
            snprintf(err, errlen,
                     "expected a size in bytes %lld..%lld (k and m suffixes allowed), got '%s'",
                     o->min, o->max, v);
            return false;
        }
        *(size_t *)o->dst = n;
        return true;
    }
    case GH_OPT_FLAG:
        if (!parse_flag(v, (bool *)o->dst)) {
            snprintf(err, errlen, "expected true or false, got '%s'", v);
            return false;
        }
        return true;
    case GH_OPT_LOG_LEVEL:
        if (!gh_log_parse_level(v, (enum gh_log_level *)o->dst)) {
            snprintf(err, errlen, "expected debug, info, warn, error or off, got '%s'", v);
            return false;
        }
        return true;
    case GH_OPT_LISTEN:
        return gh_listen_parse(v, (struct gh_listen *)o->dst, err, errlen);
    }
    return false;
}

static void default_text(const struct gh_opt *o, char *buf, size_t len)
{
    static const char *const levels[] = {"debug", "info", "warn", "error", "off"};
    switch (o->type) {
    case GH_OPT_STRING: {
        const char *v = *(const char **)o->dst;
        snprintf(buf, len, "%s", v ? v : "");
        break;
    }
    case GH_OPT_INT:
        snprintf(buf, len, "%lld", *(long long *)o->dst);
        break;
    case GH_OPT_SIZE:
        snprintf(buf, len, "%zu", *(size_t *)o->dst);
        break;
    case GH_OPT_FLAG:
        snprintf(buf, len, "%s", *(bool *)o->dst ? "true" : "false");
        break;
    case GH_OPT_LOG_LEVEL:
        snprintf(buf, len, "%s", levels[*(enum gh_log_level *)o->dst]);
        break;
    case GH_OPT_LISTEN: {
        const struct gh_listen *l = o->dst;
        snprintf(buf, len, strchr(l->host, ':') ? "[%s]:%u" : "%s:%u", l->host, (unsigned)l->port);
        break;
    }
    }
}

static void print_help(const char *cmd, const char *usage, const char *description,
                       const struct gh_opt *opts, size_t nopts)
{
    printf("usage: %s\n\n%s\n", usage, description);
    if (nopts)
        printf("\noptions (each also read from its environment variable):\n");
    for (size_t i = 0; i < nopts; i++) {
        const struct gh_opt *o = &opts[i];
        char flag[64], def[128];
        if (o->type == GH_OPT_FLAG)
            snprintf(flag, sizeof flag, "--%s", o->name);
        else
            snprintf(flag, sizeof flag, "--%s %s", o->name, o->metavar ? o->metavar : "VALUE");
        default_text(o, def, sizeof def);
        printf("  %-26s %s\n", flag, o->help);
        printf("  %-26s %s%s%sdefault: %s\n", "", o->env ? "env " : "", o->env ? o->env : "",
               o->env ? "; " : "", def[0] ? def : "(none)");
    }
    printf("  %-26s %s\n", "--help", "show this help and exit");
}

enum gh_cli_result gh_cli_parse(const char *cmd, const char *usage, const char *description,
                                const struct gh_opt *opts, size_t nopts, int argc, char **argv,
                                char **pos, size_t max_pos, size_t *npos)
{
    char err[256];
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help(cmd, usage, description, opts, nopts);
            return GH_CLI_HELP;
        }
    }
    /* environment first, so flags override it */
    for (size_t k = 0; k < nopts; k++) {
        const char *v = opts[k].env ? getenv(opts[k].env) : NULL;
        if (v && v[0] && !apply(&opts[k], v, err, sizeof err)) {
            fprintf(stderr, "%s: %s (from %s): %s\n", cmd, opts[k].env, opts[k].name, err);
            return GH_CLI_ERROR;
        }
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (*npos == max_pos) {
                fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", cmd, a);
                return GH_CLI_ERROR;
            }
            pos[(*npos)++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct gh_opt *o = NULL;
        for (size_t k = 0; k < nopts; k++)
            if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, name, nlen) == 0)
                o = &opts[k];
        if (!o) {
            fprintf(stderr, "%s: unknown option '--%.*s' (see --help)\n", cmd, (int)nlen, name);
            return GH_CLI_ERROR;
        }
        const char *v;
        if (eq)
            v = eq + 1;
        else if (o->type == GH_OPT_FLAG)
            v = "true";
        else if (i + 1 < argc)
            v = argv[++i];
        else {
            fprintf(stderr, "%s: --%s needs a value (%s)\n", cmd, o->name,
                    o->metavar ? o->metavar : "VALUE");
            return GH_CLI_ERROR;
        }
        if (!apply(o, v, err, sizeof err)) {
            fprintf(stderr, "%s: --%s: %s\n", cmd, o->name, err);
            return GH_CLI_ERROR;
        }
    }
    return GH_CLI_OK;
}
