#include "portal/token_cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/cli.h"
#include "crypto/hash.h"
#include "crypto/secret.h"

#define CMD "gatehouse token verify-hash"
#define EXIT_MATCH 0
#define EXIT_MISMATCH 1
#define EXIT_USAGE 2
#define TOKEN_LINE_MAX 4096

/* The first line of stdin without its line end into buf; false when there
 * is none or it does not fit. */
static bool read_token_line(char *buf, size_t size)
{
    if (!fgets(buf, (int)size, stdin))
        return false;
    size_t n = strlen(buf);
    bool whole = n > 0 && buf[n - 1] == '\n';
    if (!whole && !feof(stdin))
        return false; /* longer than the buffer */
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return n > 0;
}

static bool all_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
            return false;
    return true;
}

int gh_cli_token_verify_hash(int argc, char **argv)
{
    const char *method = NULL;
    const char *hash = NULL;
    const struct gh_opt opts[] = {
        {"method", NULL, "sha256|sha512", "the hash method the management API shows with the hash",
         GH_OPT_STRING, &method, 0, 0},
        {"hash", NULL, "HEX", "the access_token_hash the management API shows (hex)", GH_OPT_STRING,
         &hash, 0, 0},
    };
    char *pos[1];
    size_t npos = 0;
    enum gh_cli_result r = gh_cli_parse(
        CMD, CMD " --method sha256|sha512 --hash HEX TOKEN",
        "Checks an access token a partner presents against the access_token_hash and\n"
        "access_token_hash_method of its subscription (GET /api/v1/apis/{api}/subscriptions).\n"
        "TOKEN '-' reads the token from standard input.  Prints 'match' and exits 0 when\n"
        "the token hashes to HEX, prints 'mismatch' and exits 1 when it does not; usage\n"
        "errors exit 2.",
        opts, sizeof opts / sizeof opts[0], argc, argv, pos, 1, &npos);
    if (r == GH_CLI_HELP)
        return EXIT_MATCH;
    if (r != GH_CLI_OK)
        return EXIT_USAGE;
    if (!method || (strcmp(method, "sha256") != 0 && strcmp(method, "sha512") != 0)) {
        fprintf(stderr, "%s: --method must be sha256 or sha512\n", CMD);
        return EXIT_USAGE;
    }
    bool sha512 = strcmp(method, "sha512") == 0;
    size_t hex_len = sha512 ? 2 * GH_SHA512_LEN : 2 * GH_SHA256_LEN;
    if (!hash || strlen(hash) != hex_len || !all_hex(hash)) {
        fprintf(stderr, "%s: --hash must be the %zu hex digits of a %s digest\n", CMD, hex_len,
                method);
        return EXIT_USAGE;
    }
    if (npos != 1) {
        fprintf(stderr, "%s: expected the TOKEN to check (or '-' to read it from stdin)\n", CMD);
        return EXIT_USAGE;
    }
    char line[TOKEN_LINE_MAX];
    const char *token = pos[0];
    if (strcmp(token, "-") == 0) {
        if (!read_token_line(line, sizeof line)) {
            fprintf(stderr, "%s: no token on standard input\n", CMD);
            return EXIT_USAGE;
        }
        token = line;
    }
    char digest[2 * GH_SHA512_LEN + 1];
    if (sha512)
        gh_sha512_hex(token, strlen(token), digest);
    else
        gh_sha256_hex(token, strlen(token), digest);
    bool match = gh_hex_ct_equal(digest, hash);
    explicit_bzero(line, sizeof line);
    puts(match ? "match" : "mismatch");
    return match ? EXIT_MATCH : EXIT_MISMATCH;
}
