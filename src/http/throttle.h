/* Login throttle: exponential delays after repeated failures, per key.
 *
 * One throttle per kind of key (account email, client address), each with
 * its own budget.  A key may fail free_failures times without delay; each
 * further failure blocks the key for base_delay_ms, doubling per failure up
 * to max_delay_ms.  A success clears the key; a key idle (no failure) for
 * forget_after_ms is forgotten.  Memory is bounded: at most max_keys keys
 * are tracked, and a new key evicts the one that failed longest ago.
 * Keys longer than GH_THROTTLE_KEY_MAX bytes are tracked by their first
 * GH_THROTTLE_KEY_MAX bytes.
 *
 * A login handler:
 *   wait = max(gh_throttle_check(by_account, email, now),
 *              gh_throttle_check(by_address, addr, now));
 *   if (wait > 0) → 429, Retry-After: gh_throttle_retry_after_secs(wait)
 *   wrong password → gh_throttle_fail(by_account, …); gh_throttle_fail(by_address, …)
 *   right password → gh_throttle_succeed(by_account, email)
 *
 * State lives in this process only: each node of a cluster throttles on its
 * own.  Thread safe (one mutex; every operation is a hash lookup).  Times are
 * caller-supplied milliseconds of any monotonic-enough clock, so tests
 * inject them. */
#ifndef GH_HTTP_THROTTLE_H
#define GH_HTTP_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define GH_THROTTLE_KEY_MAX 320

struct gh_throttle_config {
    int free_failures;       /* failures without delay (>= 0) */
    int64_t base_delay_ms;   /* delay after the first failure beyond them (> 0) */
    int64_t max_delay_ms;    /* cap of the doubling (>= base_delay_ms) */
    int64_t forget_after_ms; /* a key without failures this long is dropped; raised to
                                2 * max_delay_ms if lower, so a capped key that fails
                                again when its delay ends keeps its count */
    size_t max_keys;         /* keys tracked at most (> 0) */
};

/* Per account: 5 free failures, then 1 s doubling to 15 min; forgotten
 * after an hour without failures. */
#define GH_THROTTLE_ACCOUNT_DEFAULTS                                                               \
    ((struct gh_throttle_config){5, 1000, 15 * 60 * 1000, 60 * 60 * 1000, 100000})
/* Per client address: 20 free failures (offices share addresses), then the
 * same delays. */
#define GH_THROTTLE_ADDRESS_DEFAULTS                                                               \
    ((struct gh_throttle_config){20, 1000, 15 * 60 * 1000, 60 * 60 * 1000, 100000})

struct gh_throttle;

/* A new, empty throttle (cfg is copied; invalid values are programming
 * errors and fail an assertion).  gh_throttle_free releases it. */
struct gh_throttle *gh_throttle_new(const struct gh_throttle_config *cfg);
void gh_throttle_free(struct gh_throttle *t);

/* 0 if key may try now, else the milliseconds until it may. */
int64_t gh_throttle_check(struct gh_throttle *t, const char *key, int64_t now_ms);
/* Records a failed attempt of key at now_ms. */
void gh_throttle_fail(struct gh_throttle *t, const char *key, int64_t now_ms);
/* Forgets key's failures (a successful login). */
void gh_throttle_succeed(struct gh_throttle *t, const char *key);
/* Keys tracked now (for metrics and tests). */
size_t gh_throttle_size(struct gh_throttle *t);

/* A wait in milliseconds as whole seconds for Retry-After, rounded up. */
static inline int64_t gh_throttle_retry_after_secs(int64_t wait_ms)
{
    return wait_ms <= 0 ? 0 : (wait_ms + 999) / 1000;
}

#endif
