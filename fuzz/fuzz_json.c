/* libFuzzer harness: JSON request-body decoding as a handler does it: parse,
 * refuse unknown fields, then every typed getter on every member (so each
 * getter meets every JSON type).  Besides not crashing or leaking, results
 * must keep the getters' promises: errors name the field, accepted strings
 * hold no NUL and respect the length bounds, integers the range, string
 * arrays the item limit and uniqueness. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/json.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allowed[] = {"name",          "description",           "confidential",
                                      "redirect_uris", "access_token_validity", NULL};

/* Characters (code points) of valid UTF-8. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void check_failed(const struct gh_json_error *err, const char *name)
{
    CHECK(err->field != NULL && strcmp(err->field, name) == 0);
    CHECK(err->message[0] != '\0');
}

/* All getters on one member, with limits that both pass and refuse. */
static void exercise_member(const json_t *obj, const char *name, struct gh_arena *arena)
{
    struct gh_json_error err;
    char *s;
    if (gh_json_string(obj, name, GH_JSON_REQUIRED, 1, 8, arena, &s, &err)) {
        CHECK(s != NULL);
        size_t n = chars(s);
        CHECK(n >= 1 && n <= 8);
        CHECK(strlen(s) == json_string_length(json_object_get(obj, name)));
    } else {
        check_failed(&err, name);
    }
    if (gh_json_string(obj, name, GH_JSON_OPTIONAL, 0, 1000000, arena, &s, &err))
        CHECK((s == NULL) == !gh_json_has(obj, name));
    else
        check_failed(&err, name);

    bool b = false;
    if (!gh_json_bool(obj, name, GH_JSON_OPTIONAL, &b, &err))
        check_failed(&err, name);

    int64_t v = 12345;
    if (gh_json_int64(obj, name, GH_JSON_OPTIONAL, -1000, 1000, &v, &err))
        CHECK(v == 12345 || (v >= -1000 && v <= 1000));
    else
        check_failed(&err, name);
    if (!gh_json_int64(obj, name, GH_JSON_REQUIRED, INT64_MIN, INT64_MAX, &v, &err))
        check_failed(&err, name);

    size_t count;
    char **items;
    if (gh_json_strings(obj, name, GH_JSON_OPTIONAL, 4, 16, arena, &count, &items, &err)) {
        CHECK(count <= 4);
        for (size_t i = 0; i < count; i++) {
            CHECK(items[i][0] != '\0' && chars(items[i]) <= 16);
            for (size_t j = 0; j < i; j++)
                CHECK(strcmp(items[i], items[j]) != 0);
        }
    } else {
        check_failed(&err, name);
        CHECK(count == 0 && items == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct gh_arena *arena;
    if (!arena)
        arena = gh_arena_new(4096);
    gh_arena_reset(arena);

    /* An exact-size copy: ASan sees any read past the end. */
    char *body = size ? malloc(size) : NULL;
    if (size)
        memcpy(body, data, size);
    struct gh_json_error err;
    json_t *obj = gh_json_parse_object(body, size, &err);
    free(body);
    if (!obj) {
        CHECK(err.field == NULL && err.message[0] != '\0');
        return 0;
    }
    CHECK(json_is_object(obj));

    if (!gh_json_check_fields(obj, allowed, &err)) {
        /* The named field is a member and not an allowed one. */
        CHECK(err.field != NULL && json_object_get(obj, err.field) != NULL);
        for (size_t i = 0; allowed[i]; i++)
            CHECK(strcmp(err.field, allowed[i]) != 0);
    }
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        exercise_member(obj, key, arena);
    }
    exercise_member(obj, "absent-member", arena);
    json_decref(obj);
    return 0;
}
