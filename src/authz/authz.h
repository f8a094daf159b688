/* The authorization check (docs/authz.md): GET /authz/check, the decision
 * an API gateway asks for before an API call passes (seeds 000, 001, 002).
 *
 * A hot path: it reads the in-memory snapshot and its own caches only
 * (the one exception: an opaque token this process has not seen since the
 * last change is read by its hash, one primary-key lookup).
 *
 *   struct gh_authz z = {.store = …, .snapshot = …, .key = …, .cfg = …};
 *   gh_authz_init(&z, err, sizeof err);
 *   gh_authz_register(router, &z);
 *   …
 *   gh_authz_free(&z);   (after the server stopped) */
#ifndef GH_AUTHZ_AUTHZ_H
#define GH_AUTHZ_AUTHZ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authz/edge.h"
#include "core/buf.h"
#include "http/router.h"
#include "store/snapshot.h"
#include "store/store.h"

#define GH_AUTHZ_DEFAULT_LEEWAY 5
#define GH_AUTHZ_DEFAULT_API_KEY_HEADER "X-API-Key"
#define GH_AUTHZ_DEFAULT_CERT_HEADER "X-Client-Cert"
#define GH_AUTHZ_DEFAULT_CACHE_SIZE 65536
#define GH_AUTHZ_NEGATIVE_TTL 5 /* seconds a token found no good is remembered */

struct gh_authz_config {
    const char *issuer;                      /* the iss JWTs must carry (the token service's) */
    int64_t leeway_secs;                     /* exp / nbf leeway */
    const char *api_key_header;              /* where api_key APIs find the key */
    const char *cert_header;                 /* where a trusted proxy puts the client certificate */
    struct gh_authz_proxies trusted_proxies; /* owned: gh_authz_free frees it */
    size_t cache_size;                       /* verified-token cache entries */
};

struct gh_authz_cache;
struct gh_authz_keys;
struct gh_authz_limits;
struct gh_authz_usage;

/* Decisions by outcome, for /metrics. */
enum gh_authz_outcome {
    GH_AUTHZ_ALLOW = 0,
    GH_AUTHZ_DENY_CREDENTIAL, /* 401 */
    GH_AUTHZ_DENY_BLOCKED,    /* 403 access status red */
    GH_AUTHZ_DENY_SUBSCRIPTION,
    GH_AUTHZ_DENY_ROLES,
    GH_AUTHZ_DENY_SERVICE,
    GH_AUTHZ_DENY_CUSTOMER,
    GH_AUTHZ_DENY_NO_API,
    GH_AUTHZ_DENY_RATE_LIMIT, /* 429 */
    GH_AUTHZ_BAD_REQUEST,     /* 400 */
    GH_AUTHZ_ERROR,           /* 503: the store failed */
    GH_AUTHZ_OUTCOMES
};

struct gh_authz {
    struct gh_store *store;
    struct gh_snapshot_holder *snapshot;
    const uint8_t *key; /* the server key API keys and client secrets are HMAC'd under */
    size_t key_len;
    struct gh_authz_config cfg;

    /* set up by gh_authz_init */
    struct gh_authz_cache *cache;
    struct gh_authz_keys *keys;     /* verifying keys parsed from the snapshot's JWKs */
    struct gh_authz_limits *limits; /* plan rate limits */
    struct gh_authz_usage *usage;   /* API keys' last use, written in batches */
    _Atomic uint64_t outcomes[GH_AUTHZ_OUTCOMES];
    _Atomic uint64_t verifications; /* signatures verified / opaque rows read */
};

/* Fills in defaults for unset config fields and creates the caches. */
bool gh_authz_init(struct gh_authz *z, char *err, size_t errlen);
void gh_authz_free(struct gh_authz *z);

/* GET (any method) /authz/check and /authz/check/{path...}. */
bool gh_authz_register(struct gh_router *r, struct gh_authz *z);

/* Writes the API keys' uses noted since the last call (authz/usage.h);
 * serve calls it every few seconds and once more after the server stopped. */
void gh_authz_flush(struct gh_authz *z);

/* Prometheus text lines: decisions by outcome, cache counters. */
void gh_authz_metrics(struct gh_authz *z, struct gh_buf *out);

#endif
