/* Heap allocation that never returns NULL.
 *
 * A server that runs out of memory mid-request cannot answer sensibly; like
 * Redis' zmalloc we log one line and abort instead of threading NULL checks
 * through every caller. */
#ifndef GH_CORE_ALLOC_H
#define GH_CORE_ALLOC_H

#include <stddef.h>

void *gh_xmalloc(size_t n);
void *gh_xcalloc(size_t count, size_t size);
void *gh_xrealloc(void *p, size_t n);
char *gh_xstrdup(const char *s);
char *gh_xstrndup(const char *s, size_t n);

#endif
