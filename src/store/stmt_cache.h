/* A database connection's prepared statements, found by their SQL text:
 * the one cache both drivers (db_sqlite.c, db_pg.c) keep per connection.
 *
 * Open addressing with linear probing over a power-of-two table that
 * doubles before it is half full; statements are never removed until the
 * connection closes.  The cache holds pointers only: the key text belongs
 * to the driver's statement (it must live as long as the statement does)
 * and the driver frees its statements (gh_stmt_cache_free's callback).
 * One thread at a time, like the connection. */
#ifndef GH_STORE_STMT_CACHE_H
#define GH_STORE_STMT_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct gh_stmt_cache_slot {
    uint64_t hash;
    const char *sql; /* NULL: empty slot */
    void *stmt;
};

struct gh_stmt_cache {
    struct gh_stmt_cache_slot *slots;
    size_t cap; /* a power of two */
    size_t n;
};

void gh_stmt_cache_init(struct gh_stmt_cache *c);
/* The statement cached for sql, or NULL. */
void *gh_stmt_cache_get(const struct gh_stmt_cache *c, const char *sql);
/* Caches stmt under sql (not cached yet; sql lives as long as stmt). */
void gh_stmt_cache_put(struct gh_stmt_cache *c, const char *sql, void *stmt);
/* Calls fn on every cached statement (e.g. "not prepared on the new
 * session" after a reconnect). */
void gh_stmt_cache_each(const struct gh_stmt_cache *c, void (*fn)(void *stmt));
/* Calls free_stmt (unless NULL) on every cached statement and frees the
 * table; c may then be initialised again. */
void gh_stmt_cache_free(struct gh_stmt_cache *c, void (*free_stmt)(void *stmt));

#endif
