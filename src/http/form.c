#include "http/form.h"

#include <stdio.h>
#include <string.h>

/* Decodes in[0..n) into out (room for n bytes), NUL-terminating it; returns
 * the decoded length, or -1 on a '%' without two hex digits after it. */
static long decode(const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '+') {
            out[o++] = ' ';
        } else if (c == '%') {
            if (n - i < 3)
                return -1;
            int hi = gh_hex_digit((unsigned char)in[i + 1]);
            int lo = gh_hex_digit((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return (long)o;
}

/* A name for error messages: the decoded one when it decodes to a C string,
 * else the raw text (arena copies either way; messages are bounded anyway). */
static const char *error_field(struct gh_arena *arena, const char *raw, size_t n)
{
    char *decoded = gh_arena_alloc(arena, n + 1);
    long dlen = decode(raw, n, decoded);
    if (dlen >= 0 && memchr(decoded, '\0', (size_t)dlen) == NULL)
        return decoded;
    return gh_arena_strndup(arena, raw, n);
}

bool gh_form_parse(struct gh_arena *arena, const char *data, size_t len, size_t max_pairs,
                   struct gh_form *form, struct gh_form_error *err)
{
    form->pairs = NULL;
    form->count = 0;
    err->field = NULL;
    err->message[0] = '\0';
    if (len == 0)
        return true;

    /* First pass: count the non-empty pairs, so the limit is checked before
     * any decoding and the pair array is allocated once. */
    size_t npairs = 0;
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(data + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - data) : len;
        if (end > i)
            npairs++;
        i = end + 1;
    }
    if (npairs > max_pairs) {
        snprintf(err->message, sizeof err->message, "too many parameters (at most %zu allowed)",
                 max_pairs);
        return false;
    }
    if (npairs == 0)
        return true;

    /* Decoding never grows text; each pair adds two NULs. */
    struct gh_form_pair *pairs = GH_ARENA_ARRAY(arena, struct gh_form_pair, npairs);
    char *out = gh_arena_alloc(arena, len + 2 * npairs);
    size_t count = 0;
    for (size_t i = 0; i < len;) {
        const char *seg = data + i;
        const char *amp = memchr(seg, '&', len - i);
        size_t seg_len = amp ? (size_t)(amp - seg) : len - i;
        i += seg_len + 1;
        if (seg_len == 0)
            continue;
        const char *eq = memchr(seg, '=', seg_len);
        size_t name_len = eq ? (size_t)(eq - seg) : seg_len;
        const char *val = eq ? eq + 1 : seg + seg_len;
        size_t val_len = eq ? seg_len - name_len - 1 : 0;

        long n = decode(seg, name_len, out);
        if (n < 0) {
            err->field = error_field(arena, seg, name_len);
            snprintf(err->message, sizeof err->message,
                     "invalid percent-encoding in the name of parameter '%.100s'", err->field);
            return false;
        }
        pairs[count].name = gh_str_n(out, (size_t)n);
        out += n + 1;
        long v = decode(val, val_len, out);
        if (v < 0) {
            err->field = error_field(arena, seg, name_len);
            snprintf(err->message, sizeof err->message,
                     "invalid percent-encoding in the value of parameter '%.100s'", err->field);
            return false;
        }
        pairs[count].value = gh_str_n(out, (size_t)v);
        out += v + 1;
        count++;
    }
    form->pairs = pairs;
    form->count = count;
    return true;
}

const struct gh_str *gh_form_get(const struct gh_form *form, const char *name)
{
    struct gh_str key = gh_str_c(name);
    for (size_t i = 0; i < form->count; i++) {
        if (gh_str_eq(form->pairs[i].name, key))
            return &form->pairs[i].value;
    }
    return NULL;
}

const char *gh_form_get_cstr(const struct gh_form *form, const char *name)
{
    const struct gh_str *v = gh_form_get(form, name);
    if (!v || memchr(v->ptr, '\0', v->len) != NULL)
        return NULL;
    return v->ptr;
}

size_t gh_form_count(const struct gh_form *form, const char *name)
{
    struct gh_str key = gh_str_c(name);
    size_t n = 0;
    for (size_t i = 0; i < form->count; i++)
        n += gh_str_eq(form->pairs[i].name, key);
    return n;
}

const struct gh_str *gh_form_first_repeated(const struct gh_form *form)
{
    for (size_t i = 1; i < form->count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (gh_str_eq(form->pairs[i].name, form->pairs[j].name))
                return &form->pairs[i].name;
        }
    }
    return NULL;
}
