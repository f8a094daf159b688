#include "authz/edge.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "crypto/base64.h"
#include "crypto/x509.h"

/* ---- request target ------------------------------------------------------- */

/* The byte a "%XY" escape at p (p < end, *p == '%') stands for; -1 when the
 * two hex digits are not there. */
static int unescape(const char *p, const char *end)
{
    if (end - p < 3)
        return -1;
    int hi = gh_hex_digit((unsigned char)p[1]), lo = gh_hex_digit((unsigned char)p[2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/* Drops the last segment of out[0..*n) ("/a/b" → "/a"; "/a" → ""). */
static void pop_segment(const char *out, size_t *n)
{
    size_t i = *n;
    while (i > 0 && out[i - 1] != '/')
        i--;
    *n = i > 0 ? i - 1 : 0;
}

bool gh_authz_target_parse(struct gh_arena *a, struct gh_str target, struct gh_str *path,
                           struct gh_str *query, const char **why)
{
    *path = GH_STR_NULL;
    *query = GH_STR("");
    if (target.len == 0) {
        *why = "is empty";
        return false;
    }
    if (target.len > GH_AUTHZ_TARGET_MAX) {
        *why = "is too long";
        return false;
    }
    const char *p = target.ptr, *end = target.ptr + target.len;
    /* absolute-form: skip "scheme://authority" */
    if (*p != '/') {
        const char *s = p;
        while (s < end && *s != ':' && *s != '/' && *s != '?')
            s++;
        if (s + 2 < end && s[0] == ':' && s[1] == '/' && s[2] == '/') {
            s += 3;
            while (s < end && *s != '/' && *s != '?')
                s++;
            if (s == end || *s != '/') {
                *why = "has no path";
                return false;
            }
            p = s;
        } else {
            *why = "must start with '/'";
            return false;
        }
    }
    /* a fragment ends the target, query and all (RFC 3986 §3.5) */
    const char *hash = memchr(p, '#', (size_t)(end - p));
    if (hash)
        end = hash;
    const char *q = memchr(p, '?', (size_t)(end - p));
    if (q)
        *query = gh_str_n(q + 1, (size_t)(end - q - 1));
    const char *pend = q ? q : end;

    /* Decode one segment at a time into out ("/seg" each, no trailing
     * '/'), applying the dot rules to the decoded segment as nginx does. */
    char *out = gh_arena_alloc(a, (size_t)(pend - p) + 2);
    size_t n = 0;
    bool slash_end = false; /* the result ends in '/' ("/a/", "/a/.", "/a/..") */
    const char *c = p;
    while (c < pend) {
        while (c < pend && *c == '/')
            c++;
        if (c >= pend)
            break;
        size_t seg_start = n;
        out[n++] = '/';
        while (c < pend && *c != '/') {
            unsigned char ch = (unsigned char)*c;
            if (ch == '%') {
                int v = unescape(c, pend);
                if (v < 0) {
                    *why = "has a malformed percent-escape";
                    return false;
                }
                ch = (unsigned char)v;
                if (ch == 0) {
                    *why = "has an encoded NUL";
                    return false;
                }
                if (ch == '/') {
                    *why = "has an encoded '/'";
                    return false;
                }
                c += 3;
            } else {
                if (ch < 0x20 || ch == 0x7f) {
                    *why = "has a control character";
                    return false;
                }
                c++;
            }
            out[n++] = (char)ch;
        }
        struct gh_str seg = gh_str_n(out + seg_start + 1, n - seg_start - 1);
        slash_end = c < pend;
        if (gh_str_eq(seg, GH_STR("."))) {
            n = seg_start;
            slash_end = true;
        } else if (gh_str_eq(seg, GH_STR(".."))) {
            n = seg_start;
            pop_segment(out, &n);
            slash_end = true;
        }
    }
    if (n == 0 || slash_end)
        out[n++] = '/';
    out[n] = '\0';
    *path = gh_str_n(out, n);
    return true;
}

/* ---- query ---------------------------------------------------------------- */

/* Form-decodes s into a ('+' is a space); NULL view on a bad escape or NUL. */
static struct gh_str form_decode(struct gh_arena *a, struct gh_str s)
{
    char *out = gh_arena_alloc(a, s.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.ptr[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%') {
            int v = unescape(s.ptr + i, s.ptr + s.len);
            if (v < 0)
                return GH_STR_NULL;
            ch = (unsigned char)v;
            i += 2;
        }
        if (ch == 0) /* encoded or not */
            return GH_STR_NULL;
        out[n++] = (char)ch;
    }
    out[n] = '\0';
    return gh_str_n(out, n);
}

size_t gh_authz_query_values(struct gh_arena *a, struct gh_str query, struct gh_str name,
                             struct gh_str *out, size_t max)
{
    size_t count = 0;
    const char *p = query.ptr, *end = query.ptr + query.len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        struct gh_str k = gh_str_n(p, (size_t)((eq ? eq : pe) - p));
        if (k.len > 0) {
            struct gh_str dk = form_decode(a, k);
            if (dk.ptr && gh_str_eq(dk, name)) {
                if (count < max) {
                    struct gh_str v = eq ? gh_str_n(eq + 1, (size_t)(pe - eq - 1)) : GH_STR("");
                    out[count] = form_decode(a, v);
                }
                count++;
            }
        }
        p = amp ? amp + 1 : end;
    }
    return count;
}

/* ---- path templates -------------------------------------------------------- */

/* The next '/'-separated segment of s at *i (skipping one leading '/'). */
static bool next_segment(struct gh_str s, size_t *i, struct gh_str *seg)
{
    while (*i < s.len && s.ptr[*i] == '/')
        (*i)++;
    if (*i >= s.len)
        return false;
    size_t start = *i;
    while (*i < s.len && s.ptr[*i] != '/')
        (*i)++;
    *seg = gh_str_n(s.ptr + start, *i - start);
    return true;
}

bool gh_authz_template_capture(struct gh_str tmpl, struct gh_str path, struct gh_str name,
                               struct gh_str *out)
{
    size_t ti = 0, pi = 0;
    struct gh_str ts, ps;
    bool found = false;
    *out = GH_STR_NULL;
    while (next_segment(tmpl, &ti, &ts)) {
        if (!next_segment(path, &pi, &ps))
            return false;
        if (ts.len >= 2 && ts.ptr[0] == '{' && ts.ptr[ts.len - 1] == '}') {
            struct gh_str var = gh_str_n(ts.ptr + 1, ts.len - 2);
            if (!found && gh_str_eq(var, name)) {
                *out = ps;
                found = true;
            }
        } else if (!gh_str_eq(ts, ps)) {
            return false;
        }
    }
    return found;
}

/* ---- Authorization -------------------------------------------------------- */

/* Character classes of RFC 9110: tchar (a scheme) and token68 (its
 * credentials, before any '=' padding), as a table since a bearer token is
 * hundreds of characters long and this runs on every check. */
enum { TCHAR = 1, T68 = 2 };
static const unsigned char char_class[256] = {
    ['!'] = TCHAR,
    ['#'] = TCHAR,
    ['$'] = TCHAR,
    ['%'] = TCHAR,
    ['&'] = TCHAR,
    ['\''] = TCHAR,
    ['*'] = TCHAR,
    ['+'] = TCHAR | T68,
    ['-'] = TCHAR | T68,
    ['.'] = TCHAR | T68,
    ['^'] = TCHAR,
    ['_'] = TCHAR | T68,
    ['`'] = TCHAR,
    ['|'] = TCHAR,
    ['~'] = TCHAR | T68,
    ['/'] = T68,
#define R3(c) [c] = TCHAR | T68, [c + 1] = TCHAR | T68, [c + 2] = TCHAR | T68
#define R10(c) R3(c), R3(c + 3), R3(c + 6), [c + 9] = TCHAR | T68
    R10('0'),
    R10('A'),
    R10('A' + 10),
    R3('A' + 20),
    [('A' + 23)] = TCHAR | T68,
    [('A' + 24)] = TCHAR | T68,
    [('A' + 25)] = TCHAR | T68,
    R10('a'),
    R10('a' + 10),
    R3('a' + 20),
    [('a' + 23)] = TCHAR | T68,
    [('a' + 24)] = TCHAR | T68,
    [('a' + 25)] = TCHAR | T68,
#undef R10
#undef R3
};

bool gh_authz_authorization_split(struct gh_str value, struct gh_str *scheme,
                                  struct gh_str *credentials)
{
    *scheme = *credentials = GH_STR_NULL;
    if (value.len == 0 || value.len > GH_AUTHZ_CREDENTIAL_MAX)
        return false;
    size_t i = 0;
    while (i < value.len && (char_class[(unsigned char)value.ptr[i]] & TCHAR))
        i++;
    if (i == 0 || i + 1 >= value.len || value.ptr[i] != ' ')
        return false;
    *scheme = gh_str_n(value.ptr, i);
    *credentials = gh_str_n(value.ptr + i + 1, value.len - i - 1);
    return true;
}

bool gh_authz_token68_valid(struct gh_str s)
{
    size_t i = 0;
    while (i < s.len && (char_class[(unsigned char)s.ptr[i]] & T68))
        i++;
    if (i == 0)
        return false;
    while (i < s.len && s.ptr[i] == '=')
        i++;
    return i == s.len;
}

bool gh_authz_authorization_parse(struct gh_str value, struct gh_str *scheme,
                                  struct gh_str *credentials)
{
    if (gh_authz_authorization_split(value, scheme, credentials) &&
        gh_authz_token68_valid(*credentials))
        return true;
    *scheme = *credentials = GH_STR_NULL;
    return false;
}

bool gh_authz_basic_decode(struct gh_arena *a, struct gh_str credentials, struct gh_str *user,
                           struct gh_str *password)
{
    *user = *password = GH_STR_NULL;
    if (credentials.len > GH_AUTHZ_CREDENTIAL_MAX)
        return false;
    size_t cap = credentials.len / 4 * 3 + 4;
    uint8_t *raw = gh_arena_alloc(a, cap + 1);
    size_t n = 0;
    if (!gh_base64_decode(credentials.ptr, credentials.len, raw, cap, &n))
        return false;
    raw[n] = '\0';
    const uint8_t *colon = NULL;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] < 0x20 || raw[i] == 0x7f)
            return false;
        if (!colon && raw[i] == ':')
            colon = raw + i;
    }
    if (!colon || colon == raw)
        return false;
    size_t ulen = (size_t)(colon - raw);
    *user = gh_str_n(gh_arena_strndup(a, (const char *)raw, ulen), ulen);
    *password = gh_str_n((const char *)colon + 1, n - ulen - 1);
    return true;
}

/* ---- forwarded client certificates ----------------------------------------- */

/* value as 64 hex digits, optionally "AB:CD:…"; lower-cased into out. */
static bool hex_thumbprint(struct gh_str v, char out[65])
{
    size_t k = 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        if (c == ':' && k % 2 == 0 && k > 0 && i + 1 < v.len)
            continue;
        if (gh_hex_digit(c) < 0 || k >= 64)
            return false;
        out[k++] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    out[k] = '\0';
    return k == 64;
}

bool gh_authz_cert_thumbprint(struct gh_arena *a, struct gh_str value, char out[65],
                              const char **why)
{
    out[0] = '\0';
    if (value.len == 0) {
        *why = "is empty";
        return false;
    }
    if (value.len > GH_AUTHZ_CERT_MAX) {
        *why = "is too long";
        return false;
    }
    if (hex_thumbprint(value, out))
        return true;
    /* PEM, percent-escaped (nginx) or as is; '+' stays '+' (base64) */
    char *pem = gh_arena_alloc(a, value.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < value.len; i++) {
        unsigned char c = (unsigned char)value.ptr[i];
        if (c == '%') {
            int v = unescape(value.ptr + i, value.ptr + value.len);
            if (v <= 0) {
                *why = "has a malformed percent-escape";
                return false;
            }
            c = (unsigned char)v;
            i += 2;
        }
        pem[n++] = (char)c;
    }
    pem[n] = '\0';
    struct gh_x509_info *info = gh_arena_alloc(a, sizeof *info);
    char err[160];
    if (!gh_x509_parse_pem(pem, n, info, err, sizeof err)) {
        *why = "is neither a SHA-256 thumbprint nor a PEM certificate";
        return false;
    }
    memcpy(out, info->thumbprint, 65);
    return true;
}

/* ---- trusted proxies ------------------------------------------------------- */

static bool parse_net(const char *item, struct gh_authz_net *net)
{
    char buf[64];
    size_t len = strlen(item);
    if (len >= sizeof buf)
        return false;
    memcpy(buf, item, len + 1);
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        *slash = '\0';
        char *endp = NULL;
        if (!slash[1] || slash[1] == '-' || slash[1] == '+')
            return false;
        bits = strtol(slash + 1, &endp, 10);
        if (*endp)
            return false;
    }
    memset(net, 0, sizeof *net);
    if (inet_pton(AF_INET, buf, net->addr) == 1) {
        net->family = 4;
        if (bits < 0)
            bits = 32;
        if (bits > 32)
            return false;
    } else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
        net->family = 6;
        if (bits < 0)
            bits = 128;
        if (bits > 128)
            return false;
        /* "::ffff:a.b.c.d[/96+n]" is the IPv4 network a.b.c.d/n: addresses
         * are matched that way (gh_authz_proxies_match) */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (bits >= 96 && memcmp(net->addr, mapped, 12) == 0) {
            memmove(net->addr, net->addr + 12, 4);
            memset(net->addr + 4, 0, 12);
            net->family = 4;
            bits -= 96;
        }
    } else {
        return false;
    }
    net->bits = (uint8_t)bits;
    return true;
}

bool gh_authz_proxies_parse(const char *list, struct gh_authz_proxies *out, char *err,
                            size_t errlen)
{
    out->n = 0;
    out->nets = NULL;
    if (!list)
        return true;
    size_t cap = 0;
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        char item[64];
        size_t len = (size_t)(p - s);
        struct gh_authz_net net;
        bool ok = len < sizeof item;
        if (ok) {
            memcpy(item, s, len);
            item[len] = '\0';
            ok = parse_net(item, &net);
        }
        if (!ok) {
            snprintf(err, errlen, "'%.*s' is not an IP address or CIDR network",
                     (int)(len > 60 ? 60 : len), s);
            gh_authz_proxies_free(out);
            return false;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 4;
            out->nets = gh_xrealloc(out->nets, cap * sizeof *out->nets);
        }
        out->nets[out->n++] = net;
    }
    return true;
}

void gh_authz_proxies_free(struct gh_authz_proxies *p)
{
    free(p->nets);
    p->nets = NULL;
    p->n = 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool gh_authz_proxies_match(const struct gh_authz_proxies *p, const char *addr)
{
    if (!p || p->n == 0 || !addr)
        return false;
    uint8_t a6[16], a4[4];
    bool is4 = inet_pton(AF_INET, addr, a4) == 1;
    if (!is4) {
        if (inet_pton(AF_INET6, addr, a6) != 1)
            return false;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a6, mapped, 12) == 0) {
            memcpy(a4, a6 + 12, 4);
            is4 = true;
        }
    }
    for (size_t i = 0; i < p->n; i++) {
        const struct gh_authz_net *net = &p->nets[i];
        if (is4 && net->family == 4 && prefix_equal(a4, net->addr, net->bits))
            return true;
        if (!is4 && net->family == 6 && prefix_equal(a6, net->addr, net->bits))
            return true;
    }
    return false;
}
