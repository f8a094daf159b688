/* People's passwords: argon2id (RFC 9106) through libargon2.
 *
 * A stored password is the PHC string libargon2 encodes,
 *   $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
 * which carries its own parameters, so hashes made with older parameters
 * still verify after the constants below change.  The parameters are OWASP's
 * recommendation for argon2id (19 MiB, two passes, one lane): about 20-40 ms
 * of one core, which a 2-core server can afford per login while an attacker
 * holding the database pays the same per guess. */
#ifndef GH_CRYPTO_PASSWORD_H
#define GH_CRYPTO_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define GH_PASSWORD_M_COST_KIB 19456 /* memory per hash, KiB */
#define GH_PASSWORD_T_COST 2         /* passes over the memory */
#define GH_PASSWORD_PARALLELISM 1    /* lanes (threads) */
#define GH_PASSWORD_SALT_LEN 16      /* random bytes per hash */
#define GH_PASSWORD_HASH_LEN 32      /* bytes of derived key */
/* A buffer that holds any PHC string gh_password_hash writes (NUL included). */
#define GH_PASSWORD_PHC_SIZE 128

/* Hashes password[0..len) with a fresh random salt and writes the PHC string
 * (NUL-terminated) into out.  False when outlen is too small (out is then an
 * empty string) or libargon2 fails; never logs the password. */
bool gh_password_hash(const char *password, size_t len, char *out, size_t outlen);

/* Whether password[0..len) matches the stored PHC string.  The comparison is
 * libargon2's constant-time one; a NULL, malformed or non-argon2id stored
 * string gives false. */
bool gh_password_verify(const char *phc, const char *password, size_t len);

/* Spends the time of one gh_password_verify against a hash made with the
 * current parameters, and answers nothing: a login for an unknown email
 * calls it so that the answer takes as long as for a known email with a
 * wrong password, and timing does not reveal who is registered. */
void gh_password_burn(const char *password, size_t len);

#endif
