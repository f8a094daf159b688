/* libFuzzer harness: the x-www-form-urlencoded parser on arbitrary bytes.
 * Besides not crashing, every parse must keep the parser's promises: on
 * success at most max_pairs pairs, NUL-terminated copies no longer than the
 * input, lookups that agree with the pairs; on failure an empty form and a
 * message (naming a NUL-terminated field when there is one). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/form.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every pair's name and value are copies within the input's size, and the
 * lookups by name find the first pair of that name and count them all. */
static void check_form(const struct gh_form *form, size_t size, size_t max_pairs)
{
    CHECK(form->count <= max_pairs);
    size_t total = 0;
    for (size_t i = 0; i < form->count; i++) {
        const struct gh_form_pair *p = &form->pairs[i];
        CHECK(p->name.ptr[p->name.len] == '\0');
        CHECK(p->value.ptr[p->value.len] == '\0');
        total += p->name.len + p->value.len;

        /* Lookups take C-string names: only names without NUL can be asked for. */
        if (memchr(p->name.ptr, '\0', p->name.len))
            continue;
        const struct gh_str *first = gh_form_get(form, p->name.ptr);
        CHECK(first != NULL);
        size_t n = 0, first_index = form->count;
        for (size_t j = 0; j < form->count; j++) {
            if (gh_str_eq(form->pairs[j].name, p->name)) {
                if (n++ == 0)
                    first_index = j;
            }
        }
        CHECK(first == &form->pairs[first_index].value);
        CHECK(gh_form_count(form, p->name.ptr) == n);
        const char *c = gh_form_get_cstr(form, p->name.ptr);
        CHECK((c == NULL) == (memchr(first->ptr, '\0', first->len) != NULL));
        if (n > 1)
            CHECK(gh_form_first_repeated(form) != NULL);
    }
    CHECK(total <= size);
    const struct gh_str *rep = gh_form_first_repeated(form);
    if (rep) {
        size_t n = 0;
        for (size_t j = 0; j < form->count; j++)
            n += gh_str_eq(form->pairs[j].name, *rep);
        CHECK(n >= 2);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct gh_arena *arena;
    if (!arena)
        arena = gh_arena_new(4096);
    gh_arena_reset(arena); /* as a server reuses a request's arena */

    /* The first byte picks a pair limit (small ones reach the limit path);
     * the rest is the body. */
    size_t max_pairs = GH_FORM_MAX_PAIRS;
    if (size > 0) {
        if (data[0] < 16)
            max_pairs = data[0];
        data++;
        size--;
    }
    /* An exact-size copy: ASan sees any read past the end. */
    char *body = size ? malloc(size) : NULL;
    if (size)
        memcpy(body, data, size);

    struct gh_form form;
    struct gh_form_error err;
    if (gh_form_parse(arena, body, size, max_pairs, &form, &err)) {
        CHECK(err.field == NULL);
        check_form(&form, size, max_pairs);
    } else {
        CHECK(form.count == 0 && form.pairs == NULL);
        CHECK(err.message[0] != '\0');
        CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
        if (err.field)
            CHECK(strlen(err.field) <= size);
    }
    free(body);
    return 0;
}
