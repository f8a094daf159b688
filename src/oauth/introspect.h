/* Token introspection (RFC 7662) and revocation (RFC 7009) for both token
 * types the token service issues: JWT access tokens (RFC 9068) and opaque
 * "ghot_" tokens stored as a SHA-256 hash with their claims.
 *
 *   POST /oauth2/introspect   token=…[&token_type_hint=…]
 *   POST /oauth2/revoke       token=…[&token_type_hint=…]
 *
 * Callers authenticate as an app (client_secret_basic or client_secret_post,
 * checked exactly like the token endpoint: confidential, enabled, the secret
 * or, during a rotation's grace period, the previous one) or with a
 * platform-admin bearer token ("ghadm_…").  An app sees and revokes only the
 * tokens issued to it: another app's token introspects as {"active":false}
 * and its revocation is refused with invalid_request.  Admin tokens see and
 * revoke every token.
 *
 * A JWT is active when its signature verifies under a published key (by its
 * kid), iss is the configured issuer, exp lies ahead, its jti is not on the
 * deny-list and its app still exists and is enabled.  Revoking a JWT adds
 * its jti to the deny-list (store/entities.h revoked_jti) until the token's
 * exp; the commit refreshes the snapshot, which every node reloads, so every
 * node's introspection and authz learn it.  An opaque token is active while
 * its row exists, is not revoked and has not expired; revocation marks the
 * row.  Revoking an unknown, expired or malformed token answers 200 as
 * RFC 7009 §2.2 asks.
 *
 * Errors are RFC 6749 §5.2 JSON ({"error","error_description"}) with
 * Cache-Control: no-store: invalid_request (400), invalid_client (401, with
 * WWW-Authenticate: Basic when Basic was used), invalid_token (401, a bad
 * bearer token, RFC 6750), server_error / temporarily_unavailable (500/503)
 * when the store fails. */
#ifndef GH_OAUTH_INTROSPECT_H
#define GH_OAUTH_INTROSPECT_H

#include <stdbool.h>

#include "http/router.h"
#include "oauth/oauth.h"

/* Prefix of platform-admin API tokens (gatehouse admin-token create). */
#define GH_OAUTH_ADMIN_TOKEN_PREFIX "ghadm_"

/* Registers POST /oauth2/introspect and POST /oauth2/revoke with o as their
 * context (o must outlive the router).  false on a route-table conflict. */
bool gh_oauth_register_introspect(struct gh_router *r, struct gh_oauth *o);

#endif
