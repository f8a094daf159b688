/* Prepared statements by SQL text (store/stmt_cache.h). */
#include "store/stmt_cache.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/str.h"

#define INITIAL_CAP 64

static uint64_t sql_hash(const char *sql)
{
    return gh_str_hash(gh_str_c(sql));
}

void gh_stmt_cache_init(struct gh_stmt_cache *c)
{
    c->cap = INITIAL_CAP;
    c->n = 0;
    c->slots = gh_xcalloc(c->cap, sizeof *c->slots);
}

void *gh_stmt_cache_get(const struct gh_stmt_cache *c, const char *sql)
{
    uint64_t h = sql_hash(sql);
    for (size_t j = (size_t)h & (c->cap - 1); c->slots[j].sql; j = (j + 1) & (c->cap - 1)) {
        if (c->slots[j].hash == h && strcmp(c->slots[j].sql, sql) == 0)
            return c->slots[j].stmt;
    }
    return NULL;
}

/* Puts a slot into a table with room, at the end of its probe run. */
static void place(struct gh_stmt_cache_slot *slots, size_t cap, struct gh_stmt_cache_slot s)
{
    size_t j = (size_t)s.hash & (cap - 1);
    while (slots[j].sql)
        j = (j + 1) & (cap - 1);
    slots[j] = s;
}

void gh_stmt_cache_put(struct gh_stmt_cache *c, const char *sql, void *stmt)
{
    if ((c->n + 1) * 2 > c->cap) {
        size_t cap = c->cap * 2;
        struct gh_stmt_cache_slot *t = gh_xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < c->cap; i++) {
            if (c->slots[i].sql)
                place(t, cap, c->slots[i]);
        }
        free(c->slots);
        c->slots = t;
        c->cap = cap;
    }
    place(c->slots, c->cap, (struct gh_stmt_cache_slot){sql_hash(sql), sql, stmt});
    c->n++;
}

void gh_stmt_cache_each(const struct gh_stmt_cache *c, void (*fn)(void *stmt))
{
    for (size_t i = 0; i < c->cap; i++) {
        if (c->slots[i].sql)
            fn(c->slots[i].stmt);
    }
}

void gh_stmt_cache_free(struct gh_stmt_cache *c, void (*free_stmt)(void *stmt))
{
    if (!c->slots)
        return;
    if (free_stmt)
        gh_stmt_cache_each(c, free_stmt);
    free(c->slots);
    c->slots = NULL;
    c->cap = c->n = 0;
}
