/* The token endpoint: POST /connect/token (seed 003) and POST /oauth2/token,
 * the client_credentials grant (RFC 6749 §4.4) with JWT access tokens
 * (RFC 9068) or opaque ones, and the group-commit writer that stores the
 * opaque ones.
 *
 * Request.  application/x-www-form-urlencoded only; every parameter at most
 * once (RFC 6749 §3.2).  The client authenticates with client_secret_post
 * (client_id and client_secret in the body) or client_secret_basic
 * (Authorization: Basic base64(urlencode(id) ":" urlencode(secret)),
 * RFC 6749 §2.3.1), never both.  scope is space-delimited; resource
 * (RFC 8707) names an API's audience; acr_values "tenant:<key>" (a space
 * after the colon is tolerated, as seed 003 writes it) names the partner.
 *
 * Granted scope.  The requested scopes, which must all be among the app's
 * (an app without a scope list allows any).  Without a scope parameter the
 * token carries the app's whole scope list, or no scope when the app has
 * none; "scope" is then left out of the answer and the claims.
 *
 * Opaque tokens (apps with token_type uuid) are "ghot_" + 43 base64url
 * characters (256 random bits), stored only as their SHA-256 hex with the
 * claims a JWT would carry.  The answer is sent only after the token's row
 * has been committed, so a returned token is always valid. */
#ifndef GH_OAUTH_TOKEN_H
#define GH_OAUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"
#include "oauth/oauth.h"

#define GH_OPAQUE_TOKEN_PREFIX "ghot_"

/* RFC 6749 §5.2 error codes (and RFC 8707's invalid_target). */
enum gh_token_error_code {
    GH_TOKEN_OK = 0,
    GH_TOKEN_INVALID_REQUEST,
    GH_TOKEN_INVALID_CLIENT,
    GH_TOKEN_INVALID_GRANT,
    GH_TOKEN_UNAUTHORIZED_CLIENT,
    GH_TOKEN_UNSUPPORTED_GRANT_TYPE,
    GH_TOKEN_INVALID_SCOPE,
    GH_TOKEN_INVALID_TARGET,
    GH_TOKEN_SERVER_ERROR,
};

/* "invalid_request" …; never NULL. */
const char *gh_token_error_name(enum gh_token_error_code code);

struct gh_token_error {
    enum gh_token_error_code code;
    char description[200]; /* what to fix; never contains a secret */
};

/* A decoded token request.  Views point into the arena (or, for absent
 * parameters, are empty with the has_ flag false); every value is free of
 * NUL bytes. */
struct gh_token_request {
    struct gh_str grant_type;
    struct gh_str client_id;
    struct gh_str client_secret;
    bool header_auth; /* credentials came (or were attempted) in Authorization */
    bool has_scope;
    struct gh_str scope;   /* as sent, validated per RFC 6749 §3.3 */
    size_t nscopes;        /* distinct scope tokens, in request order */
    struct gh_str *scopes; /* in the arena */
    bool has_resource;
    struct gh_str resource;
    bool has_tenant;
    struct gh_str tenant; /* the key of acr_values' "tenant:<key>" */
};

/* Decodes a token request from its media type (lower-case, no parameters:
 * gh_req_media_type), body and Authorization header value (empty view when
 * absent), allocating from a.  Pure: no snapshot, no store, no clock.  On
 * failure returns false with *err set (invalid_request, invalid_client,
 * unsupported_grant_type, invalid_scope or invalid_target); out->header_auth
 * is set even then, so the caller can add WWW-Authenticate to a 401. */
bool gh_token_request_parse(struct gh_arena *a, struct gh_str media_type, struct gh_str body,
                            struct gh_str authorization, struct gh_token_request *out,
                            struct gh_token_error *err);

/* ---- group commit of opaque tokens -------------------------------------- */

/* Tokens waiting are committed in one write transaction, up to this many. */
#define GH_TOKEN_WRITER_MAX_BATCH 512

/* Starts the writer thread for o->store and the state the token endpoint
 * shares between requests (the resource → API index).  main.c stores the
 * result in o->writer before serving and stops it after the server: the
 * endpoint needs it.  NULL with err when the thread cannot start. */
struct gh_token_writer *gh_token_writer_start(struct gh_oauth *o, char *err, size_t errlen);
/* Commits what is still pending, joins the thread and frees the writer. */
void gh_token_writer_stop(struct gh_token_writer *w);

/* Stores t (its pointers need only live until the call returns) in the next
 * batch and waits until that batch is committed.  GH_STORE_OK once the row is
 * durable; another code (logged) when it could not be written or the writer
 * is stopping. */
enum gh_store_rc gh_token_writer_put(struct gh_token_writer *w, const struct gh_opaque_token *t);

/* How many batches (transactions) and tokens the writer has committed. */
void gh_token_writer_stats(struct gh_token_writer *w, uint64_t *batches, uint64_t *tokens);

#endif
