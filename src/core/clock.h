/* The two clocks, in the units the code uses: the monotonic clock for
 * durations, waits and rate limits (never jumps), the real-time clock for
 * timestamps people and other nodes read (Unix time). */
#ifndef GH_CORE_CLOCK_H
#define GH_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t gh_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t gh_monotonic_us(void)
{
    return gh_monotonic_ns() / 1000;
}

static inline int64_t gh_monotonic_ms(void)
{
    return gh_monotonic_ns() / 1000000;
}

/* Unix time in milliseconds. */
static inline int64_t gh_realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
