#include "domain/id.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "crypto/random.h"

static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Value 0..31 of a base32 character, or -1. */
static int base32_value(char c)
{
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

/* Length of a well-formed prefix at the start of s (letters up to the first
 * non-letter), or 0 when it is empty or too long. */
static size_t prefix_len(const char *s)
{
    size_t n = 0;
    while (s[n] >= 'a' && s[n] <= 'z') {
        if (++n > GH_ID_PREFIX_MAX)
            return 0;
    }
    return n;
}

/* RFC 4648 base32 of 16 bytes: 26 characters, the last padded with two zero bits. */
static void base32_encode_128(const unsigned char in[16], char out[GH_ID_RANDOM_CHARS])
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = base32_alphabet[(acc >> bits) & 31];
        }
    }
    out[o++] = base32_alphabet[(acc << (5 - bits)) & 31]; /* 3 data bits + 2 zero bits */
    assert(o == GH_ID_RANDOM_CHARS);
}

char *gh_id_new(struct gh_arena *a, const char *prefix)
{
    size_t plen = prefix_len(prefix);
    assert(plen > 0 && prefix[plen] == '\0');

    unsigned char raw[16];
    gh_random_bytes(raw, sizeof raw);

    char *id = gh_arena_alloc(a, plen + 1 + GH_ID_RANDOM_CHARS + 1);
    memcpy(id, prefix, plen);
    id[plen] = '_';
    base32_encode_128(raw, id + plen + 1);
    id[plen + 1 + GH_ID_RANDOM_CHARS] = '\0';
    return id;
}

bool gh_id_valid(const char *id, const char *prefix)
{
    if (!id)
        return false;
    size_t plen;
    if (prefix) {
        plen = strlen(prefix);
        if (plen == 0 || strncmp(id, prefix, plen) != 0)
            return false;
    } else {
        plen = prefix_len(id);
        if (plen == 0)
            return false;
    }
    if (id[plen] != '_')
        return false;
    const char *r = id + plen + 1;
    for (size_t i = 0; i < GH_ID_RANDOM_CHARS; i++) {
        int v = base32_value(r[i]); /* stops at a NUL: base32_value('\0') < 0 */
        if (v < 0)
            return false;
        if (i == GH_ID_RANDOM_CHARS - 1 && (v & 3) != 0)
            return false; /* non-zero padding bits: not the canonical spelling */
    }
    return r[GH_ID_RANDOM_CHARS] == '\0';
}
