#include "oauth/oauth.h"
#include "crypto/hash.h"

#include <string.h>

void gh_oauth_derive_seal_key(const uint8_t *master, size_t master_len,
                              uint8_t out[GH_AEAD_KEY_BYTES])
{
    static const char label[] = "gatehouse signing-key encryption v1";
    uint8_t mac[32];
    gh_hmac_sha256(master, master_len, label, sizeof label - 1, mac);
    memcpy(out, mac, GH_AEAD_KEY_BYTES);
}

bool gh_oauth_register(struct gh_router *r, struct gh_oauth *o)
{
    return gh_oauth_register_keys(r, o) && gh_oauth_register_token(r, o) &&
           gh_oauth_register_introspect(r, o);
}
