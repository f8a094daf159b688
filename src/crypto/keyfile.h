/* The server key: 32 random bytes kept in a file beside the database, never
 * in it.  Secrets (client secrets, API keys, admin and personal tokens) are
 * stored as HMAC-SHA-256 under this key (see crypto/secret.h), so a copy of
 * the database alone neither reveals a secret nor lets anyone test guesses.
 *
 * The file holds the key as 64 hex characters and a newline.  It is created
 * on first use with mode 0600 (O_EXCL, so two processes starting together
 * cannot each write a different key) and refused when other users may read
 * it. */
#ifndef GH_CRYPTO_KEYFILE_H
#define GH_CRYPTO_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_KEY_BYTES 32

/* Loads the key at path, creating it when missing and create is true.
 * On failure writes one line for a person into err and returns false;
 * *created says whether this call wrote a new file. */
bool gh_keyfile_load(const char *path, bool create, uint8_t key[GH_KEY_BYTES], bool *created,
                     char *err, size_t errlen);

#endif
