/* JSON request bodies (jansson), decoded into typed values at the edge.
 *
 *   json_t *body = gh_json_parse_object(req->body.ptr, req->body.len, &err);
 *   if (!body || !gh_json_check_fields(body, allowed, &err) ||
 *       !gh_json_string(body, "name", GH_JSON_REQUIRED, 1, 100, req->arena, &name, &err) ||
 *       !gh_json_bool(body, "confidential", GH_JSON_OPTIONAL, &confidential, &err))
 *       → gh_resp_error(req, 400, err.field, err.message), json_decref(body)
 *
 * Duplicate keys, "\u0000", nesting deeper than GH_JSON_MAX_DEPTH and bodies
 * over GH_JSON_MAX_BYTES are refused; strings are valid UTF-8 (jansson checks).
 * Getters leave *out untouched when an optional field is absent or null (so
 * *out holds the default), except the string getters, which store NULL /
 * zero items.  Every error names its field in err->field and says what is
 * wrong in err->message; err->field points at the caller's name or, for
 * unknown fields, into the object (valid while the object lives). */
#ifndef GH_HTTP_JSON_H
#define GH_HTTP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#define GH_JSON_MAX_DEPTH 32
#define GH_JSON_MAX_BYTES ((size_t)1024 * 1024)

struct gh_json_error {
    const char *field; /* NULL when no single field is to blame */
    char message[200];
};

enum gh_json_need { GH_JSON_OPTIONAL = 0, GH_JSON_REQUIRED = 1 };

/* Parses a request body that must be one JSON object.  Returns a new
 * reference (the caller json_decref()s it), or NULL with *err filled:
 * "request body is not valid JSON: <reason> at line L column C", or that it
 * is empty, nests too deep, is too large or is not an object (err->field
 * NULL).  body may be NULL when len is 0. */
json_t *gh_json_parse_object(const char *body, size_t len, struct gh_json_error *err);

/* Refuses the first member (in body order) whose name is not in allowed, a
 * NULL-terminated list: "unknown field 'x'". */
bool gh_json_check_fields(const json_t *obj, const char *const allowed[],
                          struct gh_json_error *err);

/* Whether obj has member name with a non-null value. */
bool gh_json_has(const json_t *obj, const char *name);

/* A string of min_len..max_len characters (Unicode code points), copied
 * NUL-terminated into arena.  *out = NULL when optional and absent. */
bool gh_json_string(const json_t *obj, const char *name, enum gh_json_need need, size_t min_len,
                    size_t max_len, struct gh_arena *arena, char **out, struct gh_json_error *err);

bool gh_json_bool(const json_t *obj, const char *name, enum gh_json_need need, bool *out,
                  struct gh_json_error *err);

/* An integer (not a real: 1.0 is refused) in [min, max]. */
bool gh_json_int64(const json_t *obj, const char *name, enum gh_json_need need, int64_t min,
                   int64_t max, int64_t *out, struct gh_json_error *err);

/* An array of at most max_items distinct, non-empty strings of at most
 * max_len characters each, copied into arena: *items[0..*n).  Absent and
 * optional: *n = 0, *items = NULL. */
bool gh_json_strings(const json_t *obj, const char *name, enum gh_json_need need, size_t max_items,
                     size_t max_len, struct gh_arena *arena, size_t *n, char ***items,
                     struct gh_json_error *err);

#endif
