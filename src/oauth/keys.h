/* Signing keys: their lifecycle in the store (next → active → retired), the
 * parsed keys the token service signs with, JWKS and discovery.
 *
 * Lifecycle.  On first start one active key of cfg.alg is created.
 * `gatehouse keys rotate` adds a NEXT key whose activated_at lies
 * cfg.key_lead_secs ahead: it is in JWKS at once, so clients that cache
 * JWKS learn it before any token is signed with it.  gh_keys_tick (called by
 * serve every few seconds) promotes a NEXT key whose time has come to ACTIVE
 * and retires the previous ACTIVE key with publish_until = now + the longest
 * token lifetime, after which it leaves JWKS.  `gatehouse keys retire`
 * withdraws a compromised key at once instead (gh_keys_retire).  Private
 * keys are stored sealed (crypto/aead.h) under o->seal_key with the kid as
 * associated data. */
#ifndef GH_OAUTH_KEYS_H
#define GH_OAUTH_KEYS_H

#include <stdio.h>

#include "core/arena.h"
#include "oauth/oauth.h"

struct gh_keyring *gh_keyring_new(void);
void gh_keyring_free(struct gh_keyring *kr);

/* The key that signs now: the snapshot's active key of o->cfg.alg, parsed
 * once (decrypted with o->seal_key) and cached by kid; NULL when none
 * (logged).  The pointer stays valid until gh_keyring_free. */
const struct gh_jws_key *gh_keyring_signing(struct gh_oauth *o, const struct gh_snapshot *s);
/* Any published key by kid (introspection of JWTs), cached the same way. */
const struct gh_jws_key *gh_keyring_by_kid(struct gh_oauth *o, const struct gh_snapshot *s,
                                           const char *kid);

/* Creates the first active key when the store has none; false with err. */
bool gh_keys_ensure(struct gh_oauth *o, int64_t now, char *err, size_t errlen);
/* Adds a NEXT key (alg) that becomes active at now + lead_secs; *kid_out
 * (room 64) gets its kid.  false with err. */
bool gh_keys_rotate(struct gh_oauth *o, enum gh_jws_alg alg, int64_t lead_secs, int64_t now,
                    char *kid_out, char *err, size_t errlen);
/* What gh_keys_retire did. */
struct gh_keys_retirement {
    char alg[16];          /* the retired key's algorithm */
    enum gh_key_state was; /* its state before */
    char new_kid[64];      /* the ACTIVE key made in its place; "" when none */
};

/* Stops trusting key kid now (a compromised key): RETIRED with
 * publish_until = now (an earlier publish_until stays), so it leaves JWKS
 * and the tokens it signed fail verification (introspection, the
 * authorization check).  When it was the ACTIVE key of its algorithm, a new
 * ACTIVE key of that algorithm, activated now without lead time, is stored
 * in the same transaction, so the token service always has a key to sign
 * with.  A NEXT key simply retires; a RETIRED one gets publish_until = now.
 * The commit reloads this process's snapshot; another process (a server
 * beside `gatehouse keys retire`) learns of it at its next gh_keys_tick.
 * false with err for an unknown kid or a store failure (nothing changed). */
bool gh_keys_retire(struct gh_oauth *o, const char *kid, int64_t now,
                    struct gh_keys_retirement *out, char *err, size_t errlen);
/* Promotes due NEXT keys and drops retired keys past publish_until from
 * JWKS; a no-op (no write) when nothing is due.  It reads the (few) key
 * rows and, when they differ from the snapshot's, commits an empty touched
 * transaction so the snapshot reloads: a key rotated by another process
 * (`gatehouse keys rotate` beside a running server) reaches JWKS within a
 * tick.  Retirement publishes the old key for the longest token lifetime:
 * max(cfg.default_token_secs, every app's access_token_validity_secs). */
void gh_keys_tick(struct gh_oauth *o, int64_t now);

/* `gatehouse keys list` (main.c parses the options and opens the store):
 * a header line, then one line per key, newest first: kid, alg, state,
 * created, activates, retired, published until (UTC, ISO 8601; "-" when
 * not set).  false with err when the store fails. */
bool gh_keys_print(struct gh_oauth *o, FILE *out, char *err, size_t errlen);

/* The JWKS document of snapshot s at now ({"keys":[…]}: NEXT, ACTIVE and
 * RETIRED keys until their publish_until), copied into a (NUL-terminated;
 * *len its length).  Built once per snapshot and cached in o->keyring. */
const char *gh_keys_jwks_json(struct gh_oauth *o, const struct gh_snapshot *s, int64_t now,
                              struct gh_arena *a, size_t *len);
/* The discovery document (RFC 8414 / OpenID Connect Discovery) for
 * o->cfg.issuer, built on first use and kept until gh_keyring_free; the
 * issuer must be set before that. */
const char *gh_keys_discovery_json(struct gh_oauth *o, size_t *len);

#endif
