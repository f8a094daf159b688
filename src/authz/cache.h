/* The verified-token cache of /authz/check: what verifying a bearer token
 * found out (its claims, or why it is no good), keyed by the token's
 * SHA-256, so a token is verified once and not on every request.
 *
 * Only facts that cannot change are cached (the signature verified, the
 * claims read); everything that can change (the key, revocation, the app,
 * its status and subscription) is looked up in the snapshot on every
 * request.  Entries carry an expiry (never past the token's exp) and,
 * when what they say depends on the store (an opaque token's row, a kid
 * not found), the store generation they were made at: a different
 * generation is a miss.
 *
 * Bounded: the capacity asked for, rounded up to 64 shards of a power of
 * two slots (at least 1024 in all; stats report the real figure), each
 * shard with its own lock; a full probe window evicts the entry that
 * expires first.  Thread safe. */
#ifndef GH_AUTHZ_CACHE_H
#define GH_AUTHZ_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"

#define GH_AUTHZ_KEY_LEN 32 /* SHA-256 of the token */

/* What a verified token says (RFC 9068 claims and seed 001's). */
struct gh_authz_claims {
    bool opaque; /* a "ghot_" token read from the store */
    int64_t exp; /* 0: none */
    int64_t nbf; /* 0: none */
    struct gh_str client_id;
    struct gh_str app_id; /* the app it was issued to (empty in tokens from before the claim) */
    struct gh_str jti;    /* JWTs */
    struct gh_str kid;    /* JWTs: the key that signed it */
    struct gh_str tenant;
    size_t n_aud, n_services, n_customer_numbers;
    struct gh_str *aud;
    struct gh_str *services;
    struct gh_str *customer_numbers;
};

/* Any generation (for entries that hold whatever the store does). */
#define GH_AUTHZ_ANY_GENERATION UINT64_MAX

struct gh_authz_cache;

struct gh_authz_cache *gh_authz_cache_new(size_t capacity);
void gh_authz_cache_free(struct gh_authz_cache *c);

enum gh_authz_cache_result { GH_AUTHZ_MISS = 0, GH_AUTHZ_HIT_OK, GH_AUTHZ_HIT_BAD };

/* Looks key up at now and generation.  HIT_OK: *out is a copy of the
 * claims in a.  HIT_BAD: *why is the reason stored with the entry. */
enum gh_authz_cache_result gh_authz_cache_get(struct gh_authz_cache *c,
                                              const uint8_t key[GH_AUTHZ_KEY_LEN], int64_t now,
                                              uint64_t generation, struct gh_arena *a,
                                              struct gh_authz_claims *out, const char **why);
/* Remembers claims (copied) from now until until (Unix seconds,
 * exclusive), for generation (GH_AUTHZ_ANY_GENERATION: every generation). */
void gh_authz_cache_put_ok(struct gh_authz_cache *c, const uint8_t key[GH_AUTHZ_KEY_LEN],
                           const struct gh_authz_claims *claims, int64_t now, int64_t until,
                           uint64_t generation);
/* Remembers that the token is no good, with why (a string literal: kept
 * by pointer), until until, for generation. */
void gh_authz_cache_put_bad(struct gh_authz_cache *c, const uint8_t key[GH_AUTHZ_KEY_LEN],
                            const char *why, int64_t now, int64_t until, uint64_t generation);

struct gh_authz_cache_stats {
    uint64_t hits, misses, inserts, evictions;
    size_t entries, capacity;
};
void gh_authz_cache_stats(struct gh_authz_cache *c, struct gh_authz_cache_stats *out);

#endif
