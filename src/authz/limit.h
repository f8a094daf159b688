/* Plan rate limits at the check: at most `requests` per `window` seconds
 * per subscription, counted in this process (each node of a cluster
 * counts its own share).
 *
 * A sliding window estimated from two fixed windows (the previous
 * window's count weighted by how much of it still overlaps the sliding
 * window, plus the current count), so there is no burst of twice the
 * limit at a window boundary; memory is one small record per subscription
 * that has been rate-limited recently.  Thread safe. */
#ifndef GH_AUTHZ_LIMIT_H
#define GH_AUTHZ_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

struct gh_authz_limits;

struct gh_authz_limits *gh_authz_limits_new(void);
void gh_authz_limits_free(struct gh_authz_limits *l);

/* Counts one request of key (a subscription id) at now_ms against
 * requests per window_secs.  True when it is within the limit; false when
 * the limit is spent, with *retry_after_secs (>= 1) until one more request
 * fits.  A request refused is not counted. */
bool gh_authz_limits_take(struct gh_authz_limits *l, struct gh_str key, int64_t requests,
                          int64_t window_secs, int64_t now_ms, int64_t *retry_after_secs);

#endif
