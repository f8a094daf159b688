#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Noreturn void out_of_memory(size_t n)
{
    char line[96];
    int len = snprintf(line, sizeof line,
                       "{\"level\":\"error\",\"msg\":\"out of memory\",\"bytes\":%zu}\n", n);
    if (len > 0)
        (void)!write(STDERR_FILENO, line, (size_t)len);
    abort();
}

void *gh_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *gh_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *gh_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *gh_xstrdup(const char *s)
{
    return gh_xstrndup(s, strlen(s));
}

char *gh_xstrndup(const char *s, size_t n)
{
    char *p = gh_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
