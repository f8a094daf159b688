/* libFuzzer harness: the token request decoder (oauth/token.h) on arbitrary
 * bodies and Authorization headers.  Besides not crashing, every decode must
 * keep its promises: on success client credentials are present and free of
 * NUL bytes, grant_type is client_credentials, scopes are distinct, valid
 * RFC 6749 §3.3 tokens, a tenant is non-empty; on failure an error code and a
 * description are set, and invalid_client is the only 401-class answer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "oauth/token.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_view(struct gh_str s)
{
    CHECK(s.len == 0 || s.ptr != NULL);
    CHECK(s.len == 0 || memchr(s.ptr, '\0', s.len) == NULL);
}

static void check_ok(const struct gh_token_request *tr)
{
    CHECK(gh_str_eq_c(tr->grant_type, "client_credentials"));
    CHECK(tr->client_id.len > 0 && tr->client_secret.len > 0);
    check_view(tr->client_id);
    check_view(tr->client_secret);
    check_view(tr->resource);
    CHECK(!tr->has_resource || tr->resource.len > 0);
    CHECK(!tr->has_tenant || tr->tenant.len > 0);
    if (tr->has_tenant)
        CHECK(memchr(tr->tenant.ptr, ' ', tr->tenant.len) == NULL);
    CHECK(tr->has_scope || tr->nscopes == 0);
    if (tr->has_scope)
        CHECK(tr->nscopes > 0);
    for (size_t i = 0; i < tr->nscopes; i++) {
        struct gh_str s = tr->scopes[i];
        CHECK(s.len > 0);
        CHECK(s.ptr >= tr->scope.ptr && s.ptr + s.len <= tr->scope.ptr + tr->scope.len);
        for (size_t k = 0; k < s.len; k++) {
            unsigned char c = (unsigned char)s.ptr[k];
            CHECK(c >= 0x21 && c <= 0x7e && c != '"' && c != '\\');
        }
        for (size_t j = 0; j < i; j++)
            CHECK(!gh_str_eq(tr->scopes[j], s));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct gh_arena *arena;
    if (!arena)
        arena = gh_arena_new(4096);
    gh_arena_reset(arena);

    /* Input: flags byte, then the Authorization value up to the first
     * '\n', then the body.  Flag bit 0: a wrong media type. */
    bool wrong_type = false;
    if (size > 0) {
        wrong_type = data[0] & 1;
        data++;
        size--;
    }
    const uint8_t *nl = memchr(data, '\n', size);
    size_t alen = nl ? (size_t)(nl - data) : 0;
    size_t boff = nl ? alen + 1 : 0;
    /* exact-size copies: ASan sees any read past the end */
    char *auth = alen ? malloc(alen) : NULL;
    if (alen)
        memcpy(auth, data, alen);
    size_t blen = size - boff;
    char *body = malloc(blen + 1); /* request bodies are NUL-terminated */
    memcpy(body, data + boff, blen);
    body[blen] = '\0';

    struct gh_str media =
        wrong_type ? GH_STR("application/json") : GH_STR("application/x-www-form-urlencoded");
    struct gh_token_request tr;
    struct gh_token_error err;
    bool ok =
        gh_token_request_parse(arena, media, gh_str_n(body, blen), gh_str_n(auth, alen), &tr, &err);
    CHECK(tr.header_auth == (alen > 0));
    if (ok) {
        CHECK(!wrong_type);
        CHECK(err.code == GH_TOKEN_OK);
        check_ok(&tr);
    } else {
        CHECK(err.code != GH_TOKEN_OK && err.code != GH_TOKEN_SERVER_ERROR);
        CHECK(err.description[0] != '\0');
        CHECK(memchr(err.description, '\0', sizeof err.description) != NULL);
        CHECK(strcmp(gh_token_error_name(err.code), "server_error") != 0);
    }
    free(auth);
    free(body);
    return 0;
}
