#include "portal/openapi.h"
#include "http/request.h"

/* The JSON file is embedded by the assembler: .incbin reads it at build time
 * (the path is relative to the project root, where make runs; the Makefile
 * makes openapi.o depend on the file, since -MMD does not see .incbin).  A NUL
 * follows the data so the document is also a C string; the length symbol
 * excludes it.  .quad matches size_t on the 64-bit targets gatehouse builds
 * for (x86-64, AArch64). */
__asm__(".pushsection .rodata\n"
        ".balign 16\n"
        ".globl gh_openapi_json_data\n"
        ".type gh_openapi_json_data, @object\n"
        "gh_openapi_json_data:\n"
        ".incbin \"src/portal/openapi.json\"\n"
        "gh_openapi_json_data_end:\n"
        ".byte 0\n"
        ".size gh_openapi_json_data, . - gh_openapi_json_data\n"
        ".balign 8\n"
        ".globl gh_openapi_json_size\n"
        ".type gh_openapi_json_size, @object\n"
        "gh_openapi_json_size:\n"
        ".quad gh_openapi_json_data_end - gh_openapi_json_data\n"
        ".size gh_openapi_json_size, 8\n"
        ".popsection\n");

extern const char gh_openapi_json_data[];
extern const size_t gh_openapi_json_size;

_Static_assert(sizeof(size_t) == 8, "the embedded length is a .quad");

const char *gh_openapi_json(size_t *len)
{
    if (len)
        *len = gh_openapi_json_size;
    return gh_openapi_json_data;
}

/* The document never changes while the binary runs, so caches may keep it a
 * little; HEAD gets the same headers (the router maps it to this route). */
static void serve_openapi(struct gh_req *req)
{
    size_t len;
    const char *doc = gh_openapi_json(&len);
    gh_resp_header(req, "Cache-Control", "public, max-age=300");
    gh_resp_send(req, 200, "application/json", doc, len);
}

bool gh_openapi_register(struct gh_router *r)
{
    return gh_router_add(r, GH_GET, "/api/v1/openapi.json", serve_openapi, NULL);
}
