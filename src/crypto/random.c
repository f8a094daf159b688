#include "crypto/random.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

void gh_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fputs("{\"level\":\"error\",\"msg\":\"getrandom failed\"}\n", stderr);
            abort();
        }
        p += got;
        n -= (size_t)got;
    }
}

uint64_t gh_random_u64(void)
{
    uint64_t v;
    gh_random_bytes(&v, sizeof v);
    return v;
}
