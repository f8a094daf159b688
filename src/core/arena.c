#include "core/arena.h"
#include "core/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16u

struct gh_arena_block {
    struct gh_arena_block *next; /* older block */
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

static struct gh_arena_block *block_new(size_t size)
{
    struct gh_arena_block *b = gh_xmalloc(sizeof *b + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct gh_arena *gh_arena_new(size_t block_size)
{
    struct gh_arena *a = gh_xmalloc(sizeof *a);
    if (block_size < 256)
        block_size = 256;
    a->block_size = block_size;
    a->first = a->head = block_new(block_size);
    a->total = 0;
    return a;
}

void gh_arena_free(struct gh_arena *a)
{
    if (!a)
        return;
    struct gh_arena_block *b = a->head;
    while (b) {
        struct gh_arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void gh_arena_reset(struct gh_arena *a)
{
    struct gh_arena_block *b = a->head;
    while (b != a->first) {
        struct gh_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->first->used = 0;
    a->first->next = NULL;
    a->head = a->first;
    a->total = 0;
}

void *gh_arena_alloc(struct gh_arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < n)
        need = SIZE_MAX; /* overflow: let block_new abort */
    struct gh_arena_block *b = a->head;
    if (b->size - b->used < need) {
        size_t size = a->block_size;
        if (size < need * 2)
            size = need > SIZE_MAX / 2 ? need : need * 2;
        b = block_new(size);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->total += need;
    return p;
}

void *gh_arena_calloc(struct gh_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        count = SIZE_MAX / size; /* absurd request: block_new aborts */
    void *p = gh_arena_alloc(a, count * size);
    memset(p, 0, count * size);
    return p;
}

char *gh_arena_strndup(struct gh_arena *a, const char *s, size_t n)
{
    char *p = gh_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gh_arena_strdup(struct gh_arena *a, const char *s)
{
    return s ? gh_arena_strndup(a, s, strlen(s)) : NULL;
}

void *gh_arena_memdup(struct gh_arena *a, const void *p, size_t n)
{
    void *q = gh_arena_alloc(a, n);
    if (n)
        memcpy(q, p, n);
    return q;
}

char *gh_arena_printf(struct gh_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return gh_arena_strndup(a, "", 0);
    if ((size_t)n < sizeof small)
        return gh_arena_strndup(a, small, (size_t)n);
    char *p = gh_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
