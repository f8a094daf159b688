/* Bearer tokens of oauth2 APIs at the check: a JWT from the token service
 * (verified once with the key its kid names, then cached) or an opaque
 * "ghot_" token (read by its hash once per store generation, then cached);
 * and the conditions that can change, checked on every request. */
#ifndef GH_AUTHZ_TOKEN_H
#define GH_AUTHZ_TOKEN_H

#include "authz/authz.h"
#include "authz/cache.h"

struct gh_authz_keys *gh_authz_keys_new(void);
void gh_authz_keys_free(struct gh_authz_keys *k);

enum gh_authz_token_rc {
    GH_AUTHZ_TOKEN_OK = 0,
    GH_AUTHZ_TOKEN_BAD,   /* *why says what is wrong with it */
    GH_AUTHZ_TOKEN_ERROR, /* the store failed: try again later */
};

/* The claims of token (the credentials of "Bearer", their characters not
 * checked yet: done here for a token not in the cache), from the cache or
 * by verifying it now (and caching the outcome).  The issuer is checked here; the rest, which can
 * change while the token lives, by gh_authz_token_current. */
enum gh_authz_token_rc gh_authz_token_claims(struct gh_authz *z, const struct gh_snapshot *s,
                                             struct gh_str token, int64_t now, struct gh_arena *a,
                                             struct gh_authz_claims *out, const char **why);

/* Whether the token is good now for api: within exp / nbf (with the
 * leeway), its key still published, its jti not revoked, its app there and
 * enabled, its tenant still the app's partner's, its aud naming the API's
 * audience (when the API has one).  NULL with *app_out set when it is,
 * else the reason (a sentence without quotes). */
const char *gh_authz_token_current(struct gh_authz *z, const struct gh_snapshot *s,
                                   const struct gh_authz_claims *c, const struct gh_api *api,
                                   int64_t now, const struct gh_app **app_out);

#endif
