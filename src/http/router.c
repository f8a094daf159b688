#include "http/router.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

/* A trie on path segments.  Each node has literal children (few per node in
 * practice, so a linear scan beats hashing), at most one parameter child and at
 * most one catch-all; a node that ends a pattern carries its routes. */
struct node {
    char *segment; /* literal text, or the parameter name */
    size_t seglen;
    struct node **children;
    size_t nchildren;
    struct node *param;
    struct node *rest; /* "{name...}" */
    size_t routes[8];  /* indexes into router->routes ending here, by method group */
    size_t nroutes;
    bool is_rest;
};

struct gh_router {
    struct node root;
    struct gh_route *routes;
    size_t nroutes;
};

struct gh_router *gh_router_new(void)
{
    return gh_xcalloc(1, sizeof(struct gh_router));
}

static void node_free(struct node *n)
{
    for (size_t i = 0; i < n->nchildren; i++) {
        node_free(n->children[i]);
        free(n->children[i]);
    }
    free(n->children);
    if (n->param) {
        node_free(n->param);
        free(n->param);
    }
    if (n->rest) {
        node_free(n->rest);
        free(n->rest);
    }
    free(n->segment);
}

void gh_router_free(struct gh_router *r)
{
    if (!r)
        return;
    node_free(&r->root);
    for (size_t i = 0; i < r->nroutes; i++)
        free((char *)r->routes[i].pattern);
    free(r->routes);
    free(r);
}

static bool valid_param_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

static struct node *node_new(const char *seg, size_t n)
{
    struct node *c = gh_xcalloc(1, sizeof *c);
    c->segment = gh_xstrndup(seg, n);
    c->seglen = n;
    return c;
}

bool gh_router_add(struct gh_router *r, unsigned methods, const char *pattern, gh_handler_fn fn,
                   void *ctx)
{
    if (!pattern || pattern[0] != '/' || !fn || methods == 0)
        return false;
    if (methods & GH_GET)
        methods |= GH_HEAD;
    /* validate the whole pattern before changing the trie */
    for (const char *p = pattern + 1; *p;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
            bool rest = n >= 5 && memcmp(p + n - 4, "...}", 4) == 0;
            if (!valid_param_name(p + 1, n - 2 - (rest ? 3 : 0)) || (rest && end))
                return false;
        } else {
            for (size_t i = 0; i < n; i++)
                if (p[i] == '{' || p[i] == '}' || p[i] == '?' || p[i] == '%')
                    return false;
            if (n == 0 && end) /* "//" */
                return false;
        }
        if (!end)
            break;
        p = end + 1;
    }
    struct node *cur = &r->root;
    for (const char *p = pattern + 1; *p;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n >= 2 && p[0] == '{') {
            bool rest = n >= 5 && memcmp(p + n - 4, "...}", 4) == 0;
            struct node **slot = rest ? &cur->rest : &cur->param;
            size_t name_len = n - 2 - (rest ? 3 : 0);
            if (!*slot) {
                *slot = node_new(p + 1, name_len);
                (*slot)->is_rest = rest;
            } else if (strlen((*slot)->segment) != name_len ||
                       memcmp((*slot)->segment, p + 1, name_len) != 0)
                return false; /* one parameter name per position keeps matches unambiguous */
            cur = *slot;
        } else if (n > 0) {
            struct node *next = NULL;
            for (size_t i = 0; i < cur->nchildren; i++) {
                if (strlen(cur->children[i]->segment) == n &&
                    memcmp(cur->children[i]->segment, p, n) == 0) {
                    next = cur->children[i];
                    break;
                }
            }
            if (!next) {
                next = node_new(p, n);
                cur->children =
                    gh_xrealloc(cur->children, (cur->nchildren + 1) * sizeof *cur->children);
                cur->children[cur->nchildren++] = next;
            }
            cur = next;
        }
        if (!end)
            break;
        p = end + 1;
    }
    for (size_t i = 0; i < cur->nroutes; i++)
        if (r->routes[cur->routes[i]].methods & methods)
            return false;
    if (cur->nroutes == sizeof cur->routes / sizeof cur->routes[0])
        return false;
    r->routes = gh_xrealloc(r->routes, (r->nroutes + 1) * sizeof *r->routes);
    r->routes[r->nroutes] = (struct gh_route){.pattern = gh_xstrdup(pattern),
                                              .methods = methods,
                                              .handler = fn,
                                              .ctx = ctx,
                                              .index = (unsigned)r->nroutes};
    cur->routes[cur->nroutes++] = r->nroutes++;
    return true;
}

/* Depth-first with backtracking: literal, then parameter, then catch-all. */
static const struct node *match_node(const struct node *n, const char *p, const char *end,
                                     struct gh_route_match *m)
{
    if (p == end) {
        if (n->nroutes)
            return n;
        if (n->rest && n->rest->nroutes && m->nparams < GH_ROUTE_MAX_PARAMS) {
            m->names[m->nparams] = gh_str_c(n->rest->segment);
            m->values[m->nparams++] = gh_str_n(p, 0);
            return n->rest;
        }
        return NULL;
    }
    /* p points just past a '/' */
    const char *seg_end = memchr(p, '/', (size_t)(end - p));
    if (!seg_end)
        seg_end = end;
    size_t len = (size_t)(seg_end - p);
    const char *next = seg_end == end ? end : seg_end + 1;
    if (seg_end != end && next == end) /* trailing slash: "/a/" is its own path */
        next = end;
    if (len > 0) {
        for (size_t i = 0; i < n->nchildren; i++) {
            const struct node *c = n->children[i];
            /* lengths first: a request path may contain NUL bytes (a decoded
             * %00), so the segment is not a C string */
            if (c->seglen == len && memcmp(c->segment, p, len) == 0) {
                const struct node *hit = match_node(c, next, end, m);
                if (hit)
                    return hit;
            }
        }
        if (n->param && m->nparams < GH_ROUTE_MAX_PARAMS) {
            size_t k = m->nparams++;
            m->names[k] = gh_str_c(n->param->segment);
            m->values[k] = gh_str_n(p, len);
            const struct node *hit = match_node(n->param, next, end, m);
            if (hit)
                return hit;
            m->nparams--;
        }
    }
    if (n->rest && n->rest->nroutes && m->nparams < GH_ROUTE_MAX_PARAMS) {
        size_t k = m->nparams++;
        m->names[k] = gh_str_c(n->rest->segment);
        m->values[k] = gh_str_n(p, (size_t)(end - p));
        return n->rest;
    }
    return NULL;
}

enum gh_route_result gh_router_match(const struct gh_router *r, enum gh_method method,
                                     struct gh_str path, struct gh_route_match *m)
{
    m->route = NULL;
    m->allowed = 0;
    m->nparams = 0;
    if (path.len == 0 || path.ptr[0] != '/')
        return GH_ROUTE_NOT_FOUND;
    const struct node *n = match_node(&r->root, path.ptr + 1, path.ptr + path.len, m);
    /* "/a/" must not match "/a": only the root may end in a slash */
    if (!n || (path.len > 1 && path.ptr[path.len - 1] == '/' && !n->is_rest))
        return GH_ROUTE_NOT_FOUND;
    for (size_t i = 0; i < n->nroutes; i++) {
        const struct gh_route *rt = &r->routes[n->routes[i]];
        m->allowed |= rt->methods;
        if (rt->methods & method)
            m->route = rt;
    }
    return m->route ? GH_ROUTE_FOUND : GH_ROUTE_METHOD_NOT_ALLOWED;
}

size_t gh_router_count(const struct gh_router *r)
{
    return r->nroutes;
}

const struct gh_route *gh_router_route(const struct gh_router *r, size_t index)
{
    return index < r->nroutes ? &r->routes[index] : NULL;
}

static const struct {
    enum gh_method m;
    const char *name;
} method_names[] = {{GH_GET, "GET"},        {GH_HEAD, "HEAD"},   {GH_POST, "POST"},
                    {GH_PUT, "PUT"},        {GH_PATCH, "PATCH"}, {GH_DELETE, "DELETE"},
                    {GH_OPTIONS, "OPTIONS"}};

enum gh_method gh_method_parse(struct gh_str s)
{
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (gh_str_eq_c(s, method_names[i].name))
            return method_names[i].m;
    return GH_METHOD_OTHER;
}

const char *gh_method_name(enum gh_method m)
{
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (method_names[i].m == m)
            return method_names[i].name;
    return "OTHER";
}

char *gh_methods_format(unsigned methods, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
        if (!(methods & method_names[i].m))
            continue;
        size_t n = strlen(method_names[i].name);
        if (used + n + 3 > len)
            break;
        if (used) {
            memcpy(buf + used, ", ", 2);
            used += 2;
        }
        memcpy(buf + used, method_names[i].name, n + 1);
        used += n;
    }
    return buf;
}
