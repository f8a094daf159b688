/* Region allocator: allocate freely, free everything at once.
 *
 * Every request gets one (nginx's ngx_pool_t is the model); snapshots and
 * store reads use them too.  Allocation is a pointer bump inside the current
 * block; a block that is too small is chained and a new one, at least twice
 * the request, is taken from the heap.  gh_arena_reset() keeps the first
 * block so a recycled arena serves the next request without touching malloc. */
#ifndef GH_CORE_ARENA_H
#define GH_CORE_ARENA_H

#include <stddef.h>

struct gh_arena_block;

struct gh_arena {
    struct gh_arena_block *head;  /* block being filled */
    struct gh_arena_block *first; /* kept across resets */
    size_t block_size;            /* size of new blocks */
    size_t total;                 /* bytes handed out since the last reset */
};

/* A new arena whose first block holds block_size bytes; gh_arena_free() frees it. */
struct gh_arena *gh_arena_new(size_t block_size);
void gh_arena_free(struct gh_arena *a);
/* Frees every block but the first and empties it. */
void gh_arena_reset(struct gh_arena *a);

/* 16-byte aligned, never NULL, uninitialised. */
void *gh_arena_alloc(struct gh_arena *a, size_t n);
void *gh_arena_calloc(struct gh_arena *a, size_t count, size_t size);
char *gh_arena_strdup(struct gh_arena *a, const char *s);
char *gh_arena_strndup(struct gh_arena *a, const char *s, size_t n);
void *gh_arena_memdup(struct gh_arena *a, const void *p, size_t n);
/* printf into the arena. */
char *gh_arena_printf(struct gh_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define GH_ARENA_NEW(a, type) ((type *)gh_arena_calloc((a), 1, sizeof(type)))
#define GH_ARENA_ARRAY(a, type, n) ((type *)gh_arena_calloc((a), (n), sizeof(type)))

#endif
