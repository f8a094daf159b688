/* An app's further credentials (seed 002): API keys and TLS client
 * certificates.
 *
 *   GET, POST /api/v1/apps/{app}/api-keys {name, expires_at?|expires_in_days?}
 *   DELETE    /api/v1/apps/{app}/api-keys/{key}
 *   GET, POST /api/v1/apps/{app}/certificates {pem}
 *   DELETE    /api/v1/apps/{app}/certificates/{cert}
 *
 * Every app role reads the lists; creating and removing need the OWNER's
 * capabilities manage_api_keys / manage_certificates (domain/roles.h).  An
 * API key ("ghak_…") is shown once, in the 201 answer, and kept only as its
 * keyed hash plus a short hint; a certificate is parsed (crypto/x509.h) and
 * kept with its subject, issuer, validity and SHA-256 thumbprint, which is
 * unique across all apps. */
#ifndef GH_PORTAL_CREDENTIALS_H
#define GH_PORTAL_CREDENTIALS_H

#include <stdbool.h>

#include "http/router.h"
#include "portal/portal.h"

/* Adds the API-key and certificate routes to r (route context p); false if
 * the router refused one. */
bool gh_portal_register_credentials(struct gh_router *r, struct gh_portal *p);

#endif
