/* libFuzzer harness: the edge parsers of /authz/check (src/authz/edge.h)
 * on arbitrary bytes.  The first byte picks the parser; the rest is its
 * input, split at '\n' where a parser takes several.  Besides not
 * crashing, each keeps its promises:
 *   target     a normalised path starts with '/', holds no "//", no "."
 *              or ".." segment and no NUL, is NUL-terminated, parses to
 *              itself again, and the query is a view into the target;
 *   query      values are NUL-terminated, NUL-free and no longer than the
 *              query; a NULL view is empty;
 *   template   a capture is a non-empty segment inside the path;
 *   header     scheme " " credentials is the whole value, in place;
 *   basic      the user is non-empty and colon-free, neither part has a
 *              control character, and they encode back to the input;
 *   thumbprint 64 lower-case hex digits, or a reason;
 *   proxies    networks of family 4 or 6 within their prefix lengths,
 *              each matching its own address; an error leaves none;
 *   check      what authz.c does in a row: a target, then a template and
 *              a query value taken from it. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz/edge.h"
#include "core/arena.h"
#include "crypto/base64.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(struct gh_str part, struct gh_str whole)
{
    return part.ptr >= whole.ptr && part.ptr + part.len <= whole.ptr + whole.len;
}

/* The part of *rest before the first '\n' (all of it if none); *rest
 * moves past the '\n'. */
static struct gh_str split(struct gh_str *rest)
{
    const char *nl = rest->len ? memchr(rest->ptr, '\n', rest->len) : NULL;
    if (!nl) {
        struct gh_str all = *rest;
        *rest = gh_str_n(rest->ptr + rest->len, 0);
        return all;
    }
    struct gh_str head = gh_str_n(rest->ptr, (size_t)(nl - rest->ptr));
    *rest = gh_str_n(nl + 1, rest->len - head.len - 1);
    return head;
}

static bool has(struct gh_str s, const char *needle)
{
    return memmem(s.ptr, s.len, needle, strlen(needle)) != NULL;
}

static bool ends_with(struct gh_str s, const char *suffix)
{
    size_t n = strlen(suffix);
    return s.len >= n && memcmp(s.ptr + s.len - n, suffix, n) == 0;
}

static void check_normalised(struct gh_str path)
{
    CHECK(path.ptr && path.len >= 1 && path.ptr[0] == '/');
    CHECK(path.ptr[path.len] == '\0');
    CHECK(!memchr(path.ptr, '\0', path.len));
    CHECK(!has(path, "//") && !has(path, "/./") && !has(path, "/../"));
    CHECK(!ends_with(path, "/.") && !ends_with(path, "/.."));
}

static void fuzz_target(struct gh_arena *a, struct gh_str in)
{
    struct gh_str path = GH_STR("x"), query = GH_STR("x");
    const char *why = NULL;
    if (!gh_authz_target_parse(a, in, &path, &query, &why)) {
        CHECK(why != NULL && *why != '\0');
        return;
    }
    check_normalised(path);
    CHECK(path.len <= in.len + 1);
    CHECK(query.len == 0 || inside(query, in));
    /* a normalised path with nothing left to decode or split is a fixed point */
    bool plain = true;
    for (size_t i = 0; i < path.len; i++) {
        unsigned char c = (unsigned char)path.ptr[i];
        if (c == '%' || c == '?' || c == '#' || c < 0x20 || c == 0x7f)
            plain = false;
    }
    if (plain) {
        struct gh_str again, q2;
        CHECK(gh_authz_target_parse(a, path, &again, &q2, &why));
        CHECK(gh_str_eq(again, path));
        CHECK(q2.len == 0);
    }
}

static void check_values(struct gh_str query, const struct gh_str *out, size_t stored)
{
    for (size_t i = 0; i < stored; i++) {
        if (!out[i].ptr) {
            CHECK(out[i].len == 0);
            continue;
        }
        CHECK(out[i].len <= query.len);
        CHECK(out[i].ptr[out[i].len] == '\0');
        CHECK(!memchr(out[i].ptr, '\0', out[i].len));
    }
}

static void fuzz_query(struct gh_arena *a, struct gh_str in)
{
    struct gh_str name = split(&in);
    struct gh_str out[4];
    size_t n = gh_authz_query_values(a, in, name, out, 4);
    size_t amps = 0;
    for (size_t i = 0; i < in.len; i++)
        amps += in.ptr[i] == '&';
    CHECK(n <= amps + 1);
    check_values(in, out, n < 4 ? n : 4);
    /* storing fewer changes nothing but how many are stored */
    struct gh_str one[1];
    CHECK(gh_authz_query_values(a, in, name, one, 1) == n);
    if (n)
        CHECK((one[0].ptr == NULL) == (out[0].ptr == NULL) && gh_str_eq(one[0], out[0]));
}

static void fuzz_template(struct gh_str in)
{
    struct gh_str tmpl = split(&in);
    struct gh_str name = split(&in);
    struct gh_str path = in, out;
    if (gh_authz_template_capture(tmpl, path, name, &out)) {
        CHECK(out.len > 0 && inside(out, path));
        CHECK(!memchr(out.ptr, '/', out.len));
        /* the template names the variable */
        CHECK(name.len + 2 <= tmpl.len);
    }
}

static bool token68_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~+/", c) != NULL;
}

static void fuzz_authorization(struct gh_str in)
{
    struct gh_str scheme, cred, s2, c2;
    bool ok = gh_authz_authorization_parse(in, &scheme, &cred);
    /* the check's two-step form agrees with parse */
    CHECK(ok == (gh_authz_authorization_split(in, &s2, &c2) && gh_authz_token68_valid(c2)));
    if (!ok)
        return;
    CHECK(in.len <= GH_AUTHZ_CREDENTIAL_MAX);
    CHECK(scheme.len > 0 && cred.len > 0);
    CHECK(scheme.ptr == in.ptr && in.ptr[scheme.len] == ' ');
    CHECK(cred.ptr == in.ptr + scheme.len + 1 && scheme.len + 1 + cred.len == in.len);
    CHECK(!memchr(scheme.ptr, ' ', scheme.len));
    /* token68: at least one character, then '=' padding only */
    size_t i = 0;
    while (i < cred.len && token68_char((unsigned char)cred.ptr[i]))
        i++;
    CHECK(i > 0);
    while (i < cred.len)
        CHECK(cred.ptr[i++] == '=');
}

static void fuzz_basic(struct gh_arena *a, struct gh_str in)
{
    struct gh_str user, password;
    if (!gh_authz_basic_decode(a, in, &user, &password))
        return;
    CHECK(user.len > 0 && !memchr(user.ptr, ':', user.len));
    CHECK(user.ptr[user.len] == '\0' && password.ptr[password.len] == '\0');
    for (size_t i = 0; i < user.len; i++)
        CHECK((unsigned char)user.ptr[i] >= 0x20 && user.ptr[i] != 0x7f);
    for (size_t i = 0; i < password.len; i++)
        CHECK((unsigned char)password.ptr[i] >= 0x20 && password.ptr[i] != 0x7f);
    /* strict base64 has one encoding: "user:password" encodes back to the
     * input (padded or not) */
    size_t n = user.len + 1 + password.len;
    char *raw = gh_arena_alloc(a, n);
    memcpy(raw, user.ptr, user.len);
    raw[user.len] = ':';
    memcpy(raw + user.len + 1, password.ptr, password.len);
    char *enc = gh_arena_alloc(a, GH_BASE64URL_LEN(n) + 3);
    size_t len = gh_base64url_encode(raw, n, enc);
    for (size_t i = 0; i < len; i++)
        enc[i] = enc[i] == '-' ? '+' : enc[i] == '_' ? '/' : enc[i];
    size_t unpadded = in.len;
    while (unpadded > 0 && in.ptr[unpadded - 1] == '=')
        unpadded--;
    CHECK(unpadded == len && memcmp(in.ptr, enc, len) == 0);
    CHECK(in.len == len || in.len == (len + 3) / 4 * 4);
}

static void fuzz_thumbprint(struct gh_arena *a, struct gh_str in)
{
    char out[65];
    const char *why = NULL;
    if (!gh_authz_cert_thumbprint(a, in, out, &why)) {
        CHECK(why != NULL && *why != '\0');
        return;
    }
    CHECK(strlen(out) == 64);
    for (int i = 0; i < 64; i++)
        CHECK((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f'));
}

/* The network's own address, as text. */
static void net_text(const struct gh_authz_net *net, char *buf, size_t len)
{
    CHECK(inet_ntop(net->family == 4 ? AF_INET : AF_INET6, net->addr, buf, (socklen_t)len));
}

static void fuzz_proxies(struct gh_str in)
{
    struct gh_str list = split(&in);
    char *text = malloc(list.len + 1), *addr = malloc(in.len + 1);
    CHECK(text && addr);
    memcpy(text, list.ptr, list.len);
    text[list.len] = '\0';
    memcpy(addr, in.ptr, in.len);
    addr[in.len] = '\0';
    struct gh_authz_proxies p;
    char err[128] = "";
    if (!gh_authz_proxies_parse(text, &p, err, sizeof err)) {
        CHECK(p.n == 0 && p.nets == NULL);
        CHECK(strstr(err, "is not an IP address or CIDR network") != NULL);
        CHECK(!gh_authz_proxies_match(&p, addr));
    } else {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        for (size_t i = 0; i < p.n; i++) {
            const struct gh_authz_net *net = &p.nets[i];
            CHECK(net->family == 4 || net->family == 6);
            CHECK(net->bits <= (net->family == 4 ? 32 : 128));
            /* An IPv4-mapped network ("::ffff:10.0.0.1") matches nothing
             * today: its addresses count as IPv4 (tests/unit/authz/test_edge.c
             * test_proxies_v4_mapped_network holds that case). */
            if (net->family == 6 && memcmp(net->addr, mapped, sizeof mapped) == 0)
                continue;
            char own[INET6_ADDRSTRLEN];
            net_text(net, own, sizeof own);
            CHECK(gh_authz_proxies_match(&p, own));
        }
        if (gh_authz_proxies_match(&p, addr))
            CHECK(p.n > 0);
        gh_authz_proxies_free(&p);
        CHECK(p.n == 0 && p.nets == NULL);
    }
    free(text);
    free(addr);
}

/* A target as authz.c takes it apart: normalised, then the customer
 * number from a path template and from the query. */
static void fuzz_check(struct gh_arena *a, struct gh_str in)
{
    struct gh_str path, query, cn;
    const char *why = NULL;
    if (!gh_authz_target_parse(a, in, &path, &query, &why))
        return;
    check_normalised(path);
    if (gh_authz_template_capture(GH_STR("/ola/customers/{customerId}/accounts"), path,
                                  GH_STR("customerId"), &cn))
        CHECK(cn.len > 0 && inside(cn, path) && !gh_str_eq_c(cn, ".") && !gh_str_eq_c(cn, ".."));
    struct gh_str vals[4];
    size_t n = gh_authz_query_values(a, query, GH_STR("customerId"), vals, 4);
    check_values(query, vals, n < 4 ? n : 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct gh_str in = gh_str_n((const char *)data + 1, size - 1);
    struct gh_arena *a = gh_arena_new(4096);
    switch (data[0] % 8) {
    case 0:
        fuzz_target(a, in);
        break;
    case 1:
        fuzz_query(a, in);
        break;
    case 2:
        fuzz_template(in);
        break;
    case 3:
        fuzz_authorization(in);
        break;
    case 4:
        fuzz_basic(a, in);
        break;
    case 5:
        fuzz_thumbprint(a, in);
        break;
    case 6:
        fuzz_proxies(in);
        break;
    default:
        fuzz_check(a, in);
        break;
    }
    gh_arena_free(a);
    return 0;
}
