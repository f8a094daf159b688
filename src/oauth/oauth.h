/* The token service (seed 003, DESIGN.md "Protocols"): POST /connect/token
 * and /oauth2/token (client_credentials), JWT (RFC 9068) and opaque tokens,
 * /jwks.json, discovery (RFC 8414), introspection (RFC 7662) and revocation
 * (RFC 7009), signing-key rotation.
 *
 * A hot path: token requests read only the in-memory snapshot (apps by
 * client_id, partner orgs, active subscriptions, signing keys); no database
 * read or write for a JWT. */
#ifndef GH_OAUTH_OAUTH_H
#define GH_OAUTH_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "crypto/jws.h"
#include "http/router.h"
#include "store/snapshot.h"
#include "store/store.h"

#define GH_OAUTH_DEFAULT_TOKEN_SECS 86400 /* seed 003: 24 hours */

struct gh_oauth_config {
    const char *issuer;           /* "http://127.0.0.1:8080" (no trailing slash) */
    const char *default_audience; /* aud when the request names no resource; NULL: none */
    int64_t default_token_secs;   /* GH_OAUTH_DEFAULT_TOKEN_SECS unless configured */
    enum gh_jws_alg alg;          /* the algorithm new keys use (ES256) */
    int64_t key_lead_secs;        /* a new key is in JWKS this long before it signs */
    int64_t jwks_max_age_secs;    /* Cache-Control of /jwks.json: below key_lead_secs */
};

struct gh_keyring;      /* oauth/keys.h: parsed signing keys */
struct gh_token_writer; /* oauth/token.h: group commit of opaque tokens */

struct gh_oauth {
    struct gh_store *store;
    struct gh_snapshot_holder *snapshot;
    const uint8_t *key; /* the server key client secrets are HMAC'd under */
    size_t key_len;
    uint8_t seal_key[GH_AEAD_KEY_BYTES]; /* encrypts signing keys at rest */
    struct gh_oauth_config cfg;
    struct gh_keyring *keyring;
    struct gh_token_writer *writer;
};

/* Derives the at-rest encryption key for signing keys from the master key
 * (HMAC-SHA-256(master, "gatehouse signing-key encryption v1")), so the one
 * key file serves both purposes without reusing key material. */
void gh_oauth_derive_seal_key(const uint8_t *master, size_t master_len,
                              uint8_t out[GH_AEAD_KEY_BYTES]);

/* Every route of the token service; false on a route-table conflict. */
bool gh_oauth_register(struct gh_router *r, struct gh_oauth *o);

/* The areas gh_oauth_register calls (oauth/keys.c, token.c, introspect.c). */
bool gh_oauth_register_keys(struct gh_router *r, struct gh_oauth *o);       /* jwks, discovery */
bool gh_oauth_register_token(struct gh_router *r, struct gh_oauth *o);      /* token endpoints */
bool gh_oauth_register_introspect(struct gh_router *r, struct gh_oauth *o); /* introspect, revoke */

#endif
