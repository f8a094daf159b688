/* Identifiers for every entity: "<prefix>_" + 26 lower-case base32 characters.
 *
 * The 26 characters are the RFC 4648 base32 encoding (lower-case alphabet
 * a-z2-7, no padding) of 128 random bits, so ids are unguessable, need no
 * coordination between nodes and sort no information out of creation order.
 * 26 characters carry 130 bits; the last character's two spare bits are zero,
 * which gh_id_valid checks, so every id has exactly one spelling. */
#ifndef GH_DOMAIN_ID_H
#define GH_DOMAIN_ID_H

#include <stdbool.h>

#include "core/arena.h"

/* The prefixes of model.h, one per entity. */
#define GH_ID_USER "usr"
#define GH_ID_ORG "org"
#define GH_ID_API "api"
#define GH_ID_PLAN "pln"
#define GH_ID_APP "app"
#define GH_ID_API_KEY "key"
#define GH_ID_CERTIFICATE "crt"
#define GH_ID_SUBSCRIPTION "sub"
#define GH_ID_SUBSCRIPTION_EVENT "sev"
#define GH_ID_API_TOKEN "tok"
#define GH_ID_OUTBOX_MSG "msg"
#define GH_ID_AUDIT_EVENT "aud"
#define GH_ID_WEBHOOK "wh"

#define GH_ID_PREFIX_MAX 8 /* a prefix is 1..8 lower-case ASCII letters */
#define GH_ID_RANDOM_CHARS 26
/* Bytes of the longest id, NUL included. */
#define GH_ID_BUF_SIZE (GH_ID_PREFIX_MAX + 1 + GH_ID_RANDOM_CHARS + 1)

/* A new id "<prefix>_<26 chars>" allocated in arena a (freed with it).
 * prefix is one of the GH_ID_* tags above (1..8 lower-case letters, no "_");
 * anything else is a programming error and fails an assertion. */
char *gh_id_new(struct gh_arena *a, const char *prefix);

/* Whether id is a well-formed id with this prefix (prefix NULL: any prefix).
 * Untrusted input (path parameters) is fine: NULL and garbage give false. */
bool gh_id_valid(const char *id, const char *prefix);

#endif
