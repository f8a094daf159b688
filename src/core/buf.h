/* Growable byte buffer, backed by an arena (request work) or the heap
 * (arena == NULL; the owner calls gh_buf_free).  Used to build response
 * bodies and log lines without a JSON library round trip on hot paths. */
#ifndef GH_CORE_BUF_H
#define GH_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

struct gh_buf {
    char *data; /* always NUL-terminated once anything was written */
    size_t len;
    size_t cap;
    struct gh_arena *arena;
};

void gh_buf_init(struct gh_buf *b, struct gh_arena *arena, size_t cap);
void gh_buf_free(struct gh_buf *b);
void gh_buf_reserve(struct gh_buf *b, size_t extra);
void gh_buf_put(struct gh_buf *b, const void *p, size_t n);
void gh_buf_puts(struct gh_buf *b, const char *s);
void gh_buf_putc(struct gh_buf *b, char c);
void gh_buf_put_i64(struct gh_buf *b, int64_t v);
void gh_buf_put_u64(struct gh_buf *b, uint64_t v);
void gh_buf_printf(struct gh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included; control characters,
 * quotes and backslashes escaped, invalid UTF-8 bytes replaced by U+FFFD. */
void gh_buf_put_json_str(struct gh_buf *b, const char *s, size_t n);

#endif
