/* The OpenAPI 3.1 document of the management API (src/portal/openapi.json),
 * compiled into the binary and served at GET /api/v1/openapi.json.
 *
 * The document is the contract: it lists every route the router knows (a
 * unit test compares the two) and is validated against the official OpenAPI
 * 3.1 schema by scripts/validate-openapi.sh.  Edit the JSON file; make
 * rebuilds openapi.o when it changes. */
#ifndef GH_PORTAL_OPENAPI_H
#define GH_PORTAL_OPENAPI_H

#include <stdbool.h>
#include <stddef.h>

#include "http/router.h"

/* The document: static, read-only, NUL-terminated; *len (if len is not NULL)
 * is its length without the NUL. */
const char *gh_openapi_json(size_t *len);

/* Adds GET (and so HEAD) /api/v1/openapi.json, answering the document with
 * Content-Type application/json and Cache-Control public, max-age=300.
 * False when the router refuses the route (already registered). */
bool gh_openapi_register(struct gh_router *r);

#endif
