/* What a gateway sends to /authz/check, parsed at the edge: the original
 * request target, query parameters, path templates, the Authorization
 * header, a forwarded client certificate and the trusted-proxy list.
 *
 * Pure functions over byte ranges (struct gh_str): no HTTP, no snapshot,
 * so each is unit-tested and fuzzed on its own (fuzz/fuzz_authz_edge.c).
 * Results that need memory go into the caller's arena. */
#ifndef GH_AUTHZ_EDGE_H
#define GH_AUTHZ_EDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"

/* Longest request target, Authorization value or forwarded certificate
 * accepted; longer ones are refused rather than parsed. */
#define GH_AUTHZ_TARGET_MAX 8192
#define GH_AUTHZ_CREDENTIAL_MAX 8192
#define GH_AUTHZ_CERT_MAX 16384

/* Splits a request target (origin-form "/a/b?q" or absolute-form
 * "http://host/a/b?q") into its normalised path and raw query, the way
 * nginx sees a path before it routes: percent-escapes decoded, "." and
 * ".." segments removed (".." never climbs above "/"), runs of '/'
 * merged.  False, with *why a sentence naming the problem, for an empty
 * target, one not starting with '/' (after the scheme and authority), a
 * malformed escape, an encoded NUL or an encoded '/' (which would make one
 * path mean two things), or a target over GH_AUTHZ_TARGET_MAX bytes.
 * *path is NUL-terminated in a; *query points into target (empty if none). */
bool gh_authz_target_parse(struct gh_arena *a, struct gh_str target, struct gh_str *path,
                           struct gh_str *query, const char **why);

/* The values of query parameter name in a raw query ("a=1&b=2"),
 * percent-decoded with '+' as space, in order; at most max are stored in
 * out (in a).  Returns how many occurrences there are (possibly more than
 * max).  An occurrence without '=' has the empty value; a value that does
 * not decode (bad escape, NUL) is stored as an empty view with ptr NULL. */
size_t gh_authz_query_values(struct gh_arena *a, struct gh_str query, struct gh_str name,
                             struct gh_str *out, size_t max);

/* Matches a normalised path against a path template such as
 * "/ola/customers/{customerId}/accounts": literal segments must be equal,
 * "{x}" matches any one non-empty segment, and the path may continue after
 * the template.  On a match, *out receives the segment in the place of
 * "{name}" and true is returned; false when the path does not match or the
 * template has no "{name}". */
bool gh_authz_template_capture(struct gh_str tmpl, struct gh_str path, struct gh_str name,
                               struct gh_str *out);

/* An Authorization header value: "<scheme> <credentials>" with exactly
 * one space, the scheme a token (RFC 9110) and the credentials token68
 * (RFC 9110 §11.2: A-Z a-z 0-9 - . _ ~ + / then '=' padding only).  False
 * for anything else (empty, no credentials, two spaces, other
 * characters, over GH_AUTHZ_CREDENTIAL_MAX). */
bool gh_authz_authorization_parse(struct gh_str value, struct gh_str *scheme,
                                  struct gh_str *credentials);
/* The same in two steps, for a hot path that checks the credentials'
 * characters only when it has not seen them before (a cached token was
 * checked when it was cached): split does all of parse's checks except
 * the credentials' characters, token68_valid those.  parse(v) holds
 * exactly when split(v) and token68_valid(credentials) do. */
bool gh_authz_authorization_split(struct gh_str value, struct gh_str *scheme,
                                  struct gh_str *credentials);
bool gh_authz_token68_valid(struct gh_str credentials);

/* Basic credentials (RFC 7617): base64 of "user:password".  Splits at the
 * first ':'; false when the base64 is malformed, there is no ':', the user
 * is empty, or the decoded text holds a control character.  Both parts are
 * NUL-terminated in a. */
bool gh_authz_basic_decode(struct gh_arena *a, struct gh_str credentials, struct gh_str *user,
                           struct gh_str *password);

/* The SHA-256 thumbprint (64 lower-case hex characters + NUL) of a client
 * certificate forwarded by a proxy: either the thumbprint itself as hex
 * (any case, optionally with ':' between bytes) or the certificate as PEM,
 * URL-escaped (nginx $ssl_client_escaped_cert) or not.  False with *why for
 * anything else. */
bool gh_authz_cert_thumbprint(struct gh_arena *a, struct gh_str value, char out[65],
                              const char **why);

/* Addresses allowed to vouch for a client certificate. */
struct gh_authz_net {
    uint8_t addr[16]; /* IPv4 in the first 4 bytes */
    uint8_t family;   /* 4 or 6 */
    uint8_t bits;     /* prefix length */
};
struct gh_authz_proxies {
    size_t n;
    struct gh_authz_net *nets; /* malloc'd; gh_authz_proxies_free */
};

/* Parses "127.0.0.1, ::1, 10.0.0.0/8" (commas and/or spaces; empty or
 * NULL: none).  False with err naming the bad item; *out is then empty. */
bool gh_authz_proxies_parse(const char *list, struct gh_authz_proxies *out, char *err,
                            size_t errlen);
void gh_authz_proxies_free(struct gh_authz_proxies *p);
/* Whether the textual address (as the server reports the peer; IPv4-mapped
 * IPv6 counts as IPv4) lies in one of the networks. */
bool gh_authz_proxies_match(const struct gh_authz_proxies *p, const char *addr);

#endif
