/* Length+pointer strings (nginx's ngx_str_t): views into request buffers,
 * snapshot arenas or literals, compared without copying or NUL-terminating. */
#ifndef GH_CORE_STR_H
#define GH_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct gh_str {
    const char *ptr;
    size_t len;
};

#define GH_STR(lit) ((struct gh_str){(lit), sizeof(lit) - 1})
#define GH_STR_NULL ((struct gh_str){NULL, 0})

static inline struct gh_str gh_str_c(const char *s)
{
    return (struct gh_str){s, s ? strlen(s) : 0};
}

static inline struct gh_str gh_str_n(const char *s, size_t n)
{
    return (struct gh_str){s, n};
}

static inline bool gh_str_eq(struct gh_str a, struct gh_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool gh_str_eq_c(struct gh_str a, const char *b)
{
    return gh_str_eq(a, gh_str_c(b));
}

static inline bool gh_str_has_prefix(struct gh_str s, struct gh_str prefix)
{
    return s.len >= prefix.len && (prefix.len == 0 || memcmp(s.ptr, prefix.ptr, prefix.len) == 0);
}

/* ASCII case-insensitive equality (HTTP header names, auth schemes). */
bool gh_str_eq_nocase(struct gh_str a, struct gh_str b);

/* Whether one of items[0..n) equals v. */
static inline bool gh_str_in(const struct gh_str *items, size_t n, struct gh_str v)
{
    for (size_t i = 0; i < n; i++)
        if (gh_str_eq(items[i], v))
            return true;
    return false;
}

/* FNV-1a, for the in-memory hash tables. */
static inline unsigned long long gh_str_hash(struct gh_str s)
{
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < s.len; i++) {
        h ^= (unsigned char)s.ptr[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Removes leading and trailing ASCII white space (space, tab, CR, LF) of s
 * in place and returns the trimmed start; NULL stays NULL. */
char *gh_str_trim(char *s);

/* 0..15 for a hex digit of either case, -1 otherwise.  No table lookup and
 * no data-dependent branch, so constant-time comparisons of hex text may use
 * it (crypto/hash.h gh_hex_ct_equal). */
static inline int gh_hex_digit(unsigned char c)
{
    int d = c - '0';
    int l = (c | 0x20) - 'a';
    int is_digit = ((unsigned)d <= 9u);
    int is_letter = ((unsigned)l <= 5u);
    return (is_digit * d) + (is_letter * (l + 10)) - !(is_digit | is_letter);
}

#endif
