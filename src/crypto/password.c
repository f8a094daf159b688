#include "crypto/password.h"

#include <argon2.h>
#include <string.h>

#include "crypto/random.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define PARAMS                                                                                     \
    "m=" STR(GH_PASSWORD_M_COST_KIB) ",t=" STR(GH_PASSWORD_T_COST) ",p=" STR(                      \
        GH_PASSWORD_PARALLELISM)

/* A well-formed PHC string with today's parameters whose salt and hash match
 * no password (22 and 43 base64 characters: 16 and 32 bytes).  Built from
 * the constants, so gh_password_burn follows any change of them. */
static const char dummy_phc[] = "$argon2id$v=19$" PARAMS "$Z2F0ZWhvdXNlLWR1bW15IQ"
                                "$bm8gcGFzc3dvcmQgaGFzaGVzIHRvIHRoaXMgdmFsdWU";

bool gh_password_hash(const char *password, size_t len, char *out, size_t outlen)
{
    if (outlen > 0)
        out[0] = '\0';
    size_t need =
        argon2_encodedlen(GH_PASSWORD_T_COST, GH_PASSWORD_M_COST_KIB, GH_PASSWORD_PARALLELISM,
                          GH_PASSWORD_SALT_LEN, GH_PASSWORD_HASH_LEN, Argon2_id);
    if (outlen < need)
        return false;
    unsigned char salt[GH_PASSWORD_SALT_LEN];
    gh_random_bytes(salt, sizeof salt);
    int rc = argon2id_hash_encoded(GH_PASSWORD_T_COST, GH_PASSWORD_M_COST_KIB,
                                   GH_PASSWORD_PARALLELISM, password ? password : "", len, salt,
                                   sizeof salt, GH_PASSWORD_HASH_LEN, out, outlen);
    if (rc != ARGON2_OK) {
        out[0] = '\0';
        return false;
    }
    return true;
}

bool gh_password_verify(const char *phc, const char *password, size_t len)
{
    static const char prefix[] = "$argon2id$";
    if (!phc || strncmp(phc, prefix, sizeof prefix - 1) != 0)
        return false;
    return argon2id_verify(phc, password ? password : "", len) == ARGON2_OK;
}

void gh_password_burn(const char *password, size_t len)
{
    (void)argon2id_verify(dummy_phc, password ? password : "", len);
}
