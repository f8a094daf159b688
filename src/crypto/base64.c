#include "crypto/base64.h"

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encodes n bytes with alphabet; pads to a multiple of four when pad. */
static size_t encode(const void *in, size_t n, char *out, const char *alphabet, bool pad)
{
    const unsigned char *p = in;
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

size_t gh_base64url_encode(const void *in, size_t n, char *out)
{
    return encode(in, n, out, url_alphabet, false);
}

size_t gh_base64_encode(const void *in, size_t n, char *out)
{
    return encode(in, n, out, std_alphabet, true);
}

/* Value of c in the chosen alphabet, or -1. */
static int sextet(unsigned char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

/* Decodes n unpadded characters of one alphabet. */
static bool decode(const char *in, size_t n, bool url, uint8_t *out, size_t out_cap,
                   size_t *out_len)
{
    size_t rem = n % 4;
    if (rem == 1)
        return false; /* 6 bits cannot make a byte */
    size_t need = n / 4 * 3 + (rem ? rem - 1 : 0);
    if (need > out_cap)
        return false;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = sextet((unsigned char)in[i], url);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return false; /* non-zero unused bits: not what an encoder writes */
    *out_len = o;
    return true;
}

bool gh_base64url_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len)
{
    return decode(in, n, true, out, out_cap, out_len);
}

bool gh_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len)
{
    size_t pad = 0;
    if (n >= 1 && in[n - 1] == '=')
        pad = (n >= 2 && in[n - 2] == '=') ? 2 : 1;
    if (pad) {
        /* Padding only completes the last quantum ("YQ==", "YWI="), so the
         * whole input is quanta; any '=' left before it is refused below. */
        if (n % 4 != 0)
            return false;
        n -= pad;
    }
    return decode(in, n, false, out, out_cap, out_len);
}
