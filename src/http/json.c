#include "http/json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool fail(struct gh_json_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct gh_json_error *err, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->field = field;
    return false;
}

/* The deepest nesting of arrays and objects in a JSON text, counting only
 * brackets outside strings.  Exact for valid JSON; for invalid text any
 * answer is fine since jansson refuses it anyway.  Run before jansson so a
 * deeply nested body never reaches its recursive parser. */
static size_t json_depth(const char *s, size_t n)
{
    size_t depth = 0, max = 0;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return max;
}

json_t *gh_json_parse_object(const char *body, size_t len, struct gh_json_error *err)
{
    if (len > GH_JSON_MAX_BYTES) {
        fail(err, NULL, "request body is larger than %zu bytes", GH_JSON_MAX_BYTES);
        return NULL;
    }
    if (len == 0) {
        /* jansson would say "unexpected token near end of file" */
        fail(err, NULL, "request body is empty; a JSON object is expected");
        return NULL;
    }
    if (json_depth(body, len) > GH_JSON_MAX_DEPTH) {
        fail(err, NULL, "request body nests deeper than %d levels", GH_JSON_MAX_DEPTH);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        fail(err, NULL, "request body is not valid JSON: %.120s at line %d column %d", jerr.text,
             jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        fail(err, NULL, "request body must be a JSON object");
        return NULL;
    }
    return root;
}

bool gh_json_check_fields(const json_t *obj, const char *const allowed[], struct gh_json_error *err)
{
    const char *key;
    json_t *value;
    /* jansson keeps members in insertion order, so "first" is body order. */
    json_object_foreach((json_t *)obj, key, value)
    {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            return fail(err, key, "unknown field '%.100s'", key);
    }
    return true;
}

bool gh_json_has(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    return v && !json_is_null(v);
}

/* The member, or NULL when it is absent or null; *ok = false (err filled)
 * when it is missing but required. */
static json_t *member(const json_t *obj, const char *name, enum gh_json_need need, bool *ok,
                      struct gh_json_error *err)
{
    json_t *v = json_object_get(obj, name);
    if (json_is_null(v)) /* false for NULL */
        v = NULL;
    *ok = v || need == GH_JSON_OPTIONAL;
    if (!*ok)
        fail(err, name, "'%s' is required", name);
    return v;
}

/* Code points in valid UTF-8: the bytes that do not continue a sequence. */
static size_t utf8_length(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xc0) != 0x80;
    return chars;
}

bool gh_json_string(const json_t *obj, const char *name, enum gh_json_need need, size_t min_len,
                    size_t max_len, struct gh_arena *arena, char **out, struct gh_json_error *err)
{
    bool ok;
    json_t *v = member(obj, name, need, &ok, err);
    if (!v) {
        *out = NULL;
        return ok;
    }
    if (!json_is_string(v))
        return fail(err, name, "'%s' must be a string", name);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    size_t chars = utf8_length(s, len);
    if (chars == 0 && min_len > 0)
        return fail(err, name, "'%s' must not be empty", name);
    if (chars < min_len)
        return fail(err, name, "'%s' must be at least %zu characters long", name, min_len);
    if (chars > max_len)
        return fail(err, name, "'%s' must be at most %zu characters long", name, max_len);
    *out = gh_arena_strndup(arena, s, len);
    return true;
}

bool gh_json_bool(const json_t *obj, const char *name, enum gh_json_need need, bool *out,
                  struct gh_json_error *err)
{
    bool ok;
    json_t *v = member(obj, name, need, &ok, err);
    if (!v)
        return ok;
    if (!json_is_boolean(v))
        return fail(err, name, "'%s' must be true or false", name);
    *out = json_is_true(v);
    return true;
}

bool gh_json_int64(const json_t *obj, const char *name, enum gh_json_need need, int64_t min,
                   int64_t max, int64_t *out, struct gh_json_error *err)
{
    bool ok;
    json_t *v = member(obj, name, need, &ok, err);
    if (!v)
        return ok;
    if (!json_is_integer(v))
        return fail(err, name, "'%s' must be an integer", name);
    json_int_t i = json_integer_value(v);
    if (i < min || i > max)
        return fail(err, name, "'%s' must be between %" PRId64 " and %" PRId64, name, min, max);
    *out = (int64_t)i;
    return true;
}

bool gh_json_strings(const json_t *obj, const char *name, enum gh_json_need need, size_t max_items,
                     size_t max_len, struct gh_arena *arena, size_t *n, char ***items,
                     struct gh_json_error *err)
{
    *n = 0;
    *items = NULL;
    bool ok;
    json_t *v = member(obj, name, need, &ok, err);
    if (!v)
        return ok;
    if (!json_is_array(v))
        return fail(err, name, "'%s' must be an array of strings", name);
    size_t count = json_array_size(v);
    if (count > max_items)
        return fail(err, name, "'%s' must have at most %zu items", name, max_items);
    for (size_t i = 0; i < count; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e))
            return fail(err, name, "'%s' must be an array of strings", name);
        const char *s = json_string_value(e);
        size_t len = json_string_length(e);
        if (len == 0)
            return fail(err, name, "'%s' must not contain empty strings", name);
        if (utf8_length(s, len) > max_len)
            return fail(err, name, "'%s' must contain strings of at most %zu characters", name,
                        max_len);
        for (size_t j = 0; j < i; j++) {
            json_t *prev = json_array_get(v, j);
            if (json_string_length(prev) == len && memcmp(json_string_value(prev), s, len) == 0)
                return fail(err, name, "'%s' contains '%.100s' more than once", name, s);
        }
    }
    char **out = GH_ARENA_ARRAY(arena, char *, count ? count : 1);
    for (size_t i = 0; i < count; i++) {
        json_t *e = json_array_get(v, i);
        out[i] = gh_arena_strndup(arena, json_string_value(e), json_string_length(e));
    }
    *n = count;
    *items = out;
    return true;
}
