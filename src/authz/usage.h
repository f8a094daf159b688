/* When each API key was last used, as the check sees it, written to the
 * store in batches (seed 002's API keys show "last used" in the portal).
 *
 * The check notes a use (a hash lookup; a key noted less than
 * GH_AUTHZ_USAGE_GRANULARITY seconds ago is not noted again); the serve
 * loop flushes the noted uses every few seconds in one write transaction
 * that does not rebuild the snapshot.  So the store's last_used_at lags
 * by at most a minute plus one flush, and a busy key costs one row write
 * per minute, not one per request.  Thread safe. */
#ifndef GH_AUTHZ_USAGE_H
#define GH_AUTHZ_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "store/store.h"

#define GH_AUTHZ_USAGE_GRANULARITY 60

struct gh_authz_usage;

struct gh_authz_usage *gh_authz_usage_new(void);
void gh_authz_usage_free(struct gh_authz_usage *u);

/* Notes that the API key with this id was used at now (Unix seconds). */
void gh_authz_usage_note(struct gh_authz_usage *u, struct gh_str key_id, int64_t now);

/* Writes the uses noted since the last flush (keys deleted meanwhile are
 * skipped) and returns how many rows it wrote; on a store failure the
 * uses stay noted for the next flush and -1 is returned (logged). */
int gh_authz_usage_flush(struct gh_authz_usage *u, struct gh_store *store);

#endif
