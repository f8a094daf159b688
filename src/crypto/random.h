/* Cryptographically secure randomness from the kernel (getrandom(2)).
 * Aborts if the kernel cannot supply it: never fall back to anything weaker. */
#ifndef GH_CRYPTO_RANDOM_H
#define GH_CRYPTO_RANDOM_H

#include <stddef.h>
#include <stdint.h>

void gh_random_bytes(void *buf, size_t n);
uint64_t gh_random_u64(void);

#endif
