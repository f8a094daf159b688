#include "core/buf.h"
#include "core/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gh_buf_init(struct gh_buf *b, struct gh_arena *arena, size_t cap)
{
    b->arena = arena;
    b->len = 0;
    b->cap = cap ? cap : 64;
    b->data = arena ? gh_arena_alloc(arena, b->cap) : gh_xmalloc(b->cap);
    b->data[0] = '\0';
}

void gh_buf_free(struct gh_buf *b)
{
    if (!b->arena)
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void gh_buf_reserve(struct gh_buf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return;
    size_t cap = b->cap * 2;
    while (cap - b->len <= extra)
        cap *= 2;
    if (b->arena) {
        char *p = gh_arena_alloc(b->arena, cap);
        memcpy(p, b->data, b->len + 1);
        b->data = p;
    } else {
        b->data = gh_xrealloc(b->data, cap);
    }
    b->cap = cap;
}

void gh_buf_put(struct gh_buf *b, const void *p, size_t n)
{
    gh_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void gh_buf_puts(struct gh_buf *b, const char *s)
{
    gh_buf_put(b, s, strlen(s));
}

void gh_buf_putc(struct gh_buf *b, char c)
{
    gh_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void gh_buf_put_u64(struct gh_buf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    gh_buf_put(b, tmp + i, sizeof tmp - i);
}

void gh_buf_put_i64(struct gh_buf *b, int64_t v)
{
    if (v < 0) {
        gh_buf_putc(b, '-');
        gh_buf_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        gh_buf_put_u64(b, (uint64_t)v);
    }
}

void gh_buf_printf(struct gh_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->data[b->len] = '\0';
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        gh_buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned int cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

void gh_buf_put_json_str(struct gh_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    gh_buf_reserve(b, n + 2);
    gh_buf_putc(b, '"');
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        const char *esc = NULL;
        char uesc[7];
        size_t seq = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20 || c == 0x7f) {
            uesc[0] = '\\', uesc[1] = 'u', uesc[2] = '0', uesc[3] = '0';
            uesc[4] = hex[c >> 4], uesc[5] = hex[c & 15], uesc[6] = '\0';
            esc = uesc;
        } else if (c >= 0x80) {
            seq = utf8_seq(p + i, n - i);
            if (seq == 0) {
                esc = "\xEF\xBF\xBD"; /* U+FFFD */
                seq = 1;
            }
        }
        if (esc) {
            gh_buf_put(b, s + run, i - run);
            gh_buf_puts(b, esc);
            i += seq;
            run = i;
        } else {
            i += seq;
        }
    }
    gh_buf_put(b, s + run, n - run);
    gh_buf_putc(b, '"');
}
