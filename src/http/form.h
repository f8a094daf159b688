/* application/x-www-form-urlencoded bodies and URL query strings.
 *
 * "a=1&b=x+y%21" parses into the pairs (a, "1") and (b, "x y!"): '+' is a
 * space, %XX a byte, in names and values alike.  Parsing is strict where
 * leniency would hide client bugs (a '%' not followed by two hex digits is an
 * error naming the parameter) and lenient where browsers and the WHATWG URL
 * standard are: empty pairs ("a=1&&b=2") are skipped and a name without '='
 * has the empty value.  Decoded names and values are copies in the caller's
 * arena, NUL-terminated, but may contain NUL bytes themselves ("%00"): use
 * their length, or gh_form_get_cstr, which refuses such values.  Repeated
 * names are kept in order; RFC 6749 §3.2 forbids them on OAuth endpoints,
 * which check gh_form_count / gh_form_first_repeated. */
#ifndef GH_HTTP_FORM_H
#define GH_HTTP_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/str.h"

/* A sensible default for max_pairs: OAuth requests carry about ten. */
#define GH_FORM_MAX_PAIRS 64

struct gh_form_pair {
    struct gh_str name;
    struct gh_str value;
};

struct gh_form {
    struct gh_form_pair *pairs; /* in the arena, in input order */
    size_t count;
};

/* Why parsing failed, ready for gh_resp_error(req, 400, err.field, err.message). */
struct gh_form_error {
    const char *field; /* the parameter to blame (in the arena), or NULL */
    char message[200];
};

/* Parses len bytes of data (need not be NUL-terminated; NULL with len 0 is an
 * empty form) into *form, allocating from arena.  More than max_pairs
 * non-empty pairs, or bad percent-encoding, fail with *err filled; *form is
 * then empty. */
bool gh_form_parse(struct gh_arena *arena, const char *data, size_t len, size_t max_pairs,
                   struct gh_form *form, struct gh_form_error *err);

/* The value of the first parameter called name, or NULL if there is none. */
const struct gh_str *gh_form_get(const struct gh_form *form, const char *name);
/* The same value as a C string; NULL when absent or when it contains a NUL
 * byte (gh_form_get tells the two apart). */
const char *gh_form_get_cstr(const struct gh_form *form, const char *name);
/* How many parameters are called name. */
size_t gh_form_count(const struct gh_form *form, const char *name);
/* The name of the first parameter that occurs more than once (in the order
 * of their second occurrence), or NULL when every name is unique. */
const struct gh_str *gh_form_first_repeated(const struct gh_form *form);

#endif
