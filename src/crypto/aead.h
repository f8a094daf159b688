/* Authenticated encryption of small secrets at rest (signing keys' private
 * parts) with AES-256-GCM: a random 96-bit nonce per message, the 128-bit
 * tag, and associated data binding the ciphertext to its purpose (the kid),
 * so a ciphertext cannot be swapped onto another key's row. */
#ifndef GH_CRYPTO_AEAD_H
#define GH_CRYPTO_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_AEAD_KEY_BYTES 32

/* base64url(nonce || ciphertext || tag) of plain, NUL-terminated, into a
 * malloc'd string the caller frees; NULL on failure. */
char *gh_aead_seal(const uint8_t key[GH_AEAD_KEY_BYTES], const void *aad, size_t aad_len,
                   const uint8_t *plain, size_t plain_len);
/* The plaintext of a gh_aead_seal result into a malloc'd buffer (*plain,
 * *plain_len; wipe and free it); false when the text is malformed, the key
 * or aad differ, or it was tampered with. */
bool gh_aead_open(const uint8_t key[GH_AEAD_KEY_BYTES], const void *aad, size_t aad_len,
                  const char *sealed, uint8_t **plain, size_t *plain_len);

#endif
