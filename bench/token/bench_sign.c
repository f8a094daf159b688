/* Microbenchmark of JWT signing (src/crypto/jws.h), the token endpoint's
 * main CPU cost.
 *
 *   build/bench/token/bench_sign [SECONDS] [THREADS]
 *
 * For each alg (ES256, EdDSA, RS256) it prints, single-threaded, the
 * compact JWSs per second gh_jws_sign produces from an RFC 9068 claim set
 * of typical size, gh_jws_verify's rate, and for comparison the rate of a
 * naive EVP signer that creates and initialises a fresh EVP_MD_CTX per
 * token (what gh_jws's per-thread contexts avoid).  With THREADS > 1 it
 * also prints the aggregate signing rate of that many threads sharing one
 * key.  SECONDS (default 1) is the measuring time of each figure.
 *
 * Rates are per second of the measuring thread's CPU time, so that they
 * show what one core does even when other processes share the machine; the
 * wall-clock rate is printed beside the signing rate, and the THREADS
 * figure is wall-clock (the two are close on an idle machine). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/jws.h"

static const char claims[] =
    "{\"iss\":\"https://gatehouse.example.com\",\"sub\":\"3f2c9a1e-7b4d-4c1a-9e0f-2d6b8a5c4e13\","
    "\"aud\":\"connectapi\",\"exp\":1795000000,\"iat\":1794913600,"
    "\"jti\":\"b1f0a6f2-41a7-4d56-a3e9-0c5d7e2f9b84\","
    "\"client_id\":\"3f2c9a1e-7b4d-4c1a-9e0f-2d6b8a5c4e13\",\"scope\":\"profile\","
    "\"tenant\":\"acme\",\"customer_numbers\":[\"100234\",\"100235\"],"
    "\"services\":[\"orders\",\"invoices\",\"shipping\"]}";

static double seconds = 1.0;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef bool (*op_fn)(void *arg);

/* Runs op in batches until `seconds` of this thread's CPU time have passed;
 * operations per CPU second, and per wall second into *wall_rate. */
static double rate(op_fn op, void *arg, double *wall_rate)
{
    for (int i = 0; i < 16; i++) /* warm caches and per-thread contexts */
        if (!op(arg)) {
            fprintf(stderr, "bench_sign: operation failed\n");
            exit(1);
        }
    double start = clock_s(CLOCK_THREAD_CPUTIME_ID), wall = clock_s(CLOCK_MONOTONIC), elapsed;
    long n = 0;
    do {
        for (int i = 0; i < 64; i++)
            if (!op(arg)) {
                fprintf(stderr, "bench_sign: operation failed\n");
                exit(1);
            }
        n += 64;
        elapsed = clock_s(CLOCK_THREAD_CPUTIME_ID) - start;
    } while (elapsed < seconds);
    if (wall_rate)
        *wall_rate = (double)n / (clock_s(CLOCK_MONOTONIC) - wall);
    return (double)n / elapsed;
}

struct ctx {
    const struct gh_jws_key *k;
    EVP_PKEY *pkey; /* the same key, for the naive signer */
    const EVP_MD *md;
    char jwt[2048];
    size_t jwt_len;
};

static bool op_sign(void *arg)
{
    struct ctx *c = arg;
    c->jwt_len = gh_jws_sign(c->k, "at+jwt", claims, sizeof claims - 1, c->jwt, sizeof c->jwt);
    return c->jwt_len > 0;
}

static bool op_verify(void *arg)
{
    struct ctx *c = arg;
    char payload[1024];
    size_t n;
    return gh_jws_verify(c->jwt, c->jwt_len, c->k, payload, sizeof payload, &n);
}

/* Fetch, context creation and key setup on every call; signs the same
 * bytes but produces only the raw signature (no JWS framing). */
static bool op_naive(void *arg)
{
    struct ctx *c = arg;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t sl = sizeof sig;
    bool ok = m && EVP_DigestSignInit(m, NULL, c->md, NULL, c->pkey) == 1 &&
              EVP_DigestSign(m, sig, &sl, (const unsigned char *)claims, sizeof claims - 1) == 1;
    EVP_MD_CTX_free(m);
    return ok;
}

struct worker {
    struct ctx c;
    double rate;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    rate(op_sign, &w->c, &w->rate);
    gh_jws_thread_cleanup();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        seconds = atof(argv[1]);
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (seconds <= 0 || threads < 1 || threads > 64) {
        fprintf(stderr, "usage: %s [SECONDS] [THREADS]\n", argv[0]);
        return 2;
    }
    static const enum gh_jws_alg algs[] = {GH_JWS_ES256, GH_JWS_EDDSA, GH_JWS_RS256};
    printf("claims: %zu bytes; %.1f s per figure; %s\n", sizeof claims - 1, seconds,
           OpenSSL_version(OPENSSL_VERSION));
    printf("%-6s %10s %9s %11s %10s %13s %8s", "alg", "sign/s", "us/sign", "sign/s wall",
           "verify/s", "naive sign/s", "jwt len");
    if (threads > 1)
        printf(" %10s/%d thr", "wall sign/s", threads);
    printf("\n");
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        struct ctx c = {0};
        struct gh_jws_key *k = gh_jws_key_generate(algs[i], "bench-kid-1");
        uint8_t *der = NULL;
        size_t der_len = 0;
        if (!k || !gh_jws_key_to_der(k, &der, &der_len)) {
            fprintf(stderr, "bench_sign: no key\n");
            return 1;
        }
        const unsigned char *p = der;
        c.k = k;
        c.pkey = d2i_AutoPrivateKey(NULL, &p, (long)der_len);
        c.md = algs[i] == GH_JWS_EDDSA ? NULL : EVP_sha256();
        OPENSSL_cleanse(der, der_len);
        free(der);

        double wall_s;
        double s = rate(op_sign, &c, &wall_s);
        double v = rate(op_verify, &c, NULL);
        double naive = rate(op_naive, &c, NULL);
        printf("%-6s %10.0f %9.2f %11.0f %10.0f %13.0f %8zu", gh_jws_alg_name(algs[i]), s, 1e6 / s,
               wall_s, v, naive, c.jwt_len);
        if (threads > 1) {
            struct worker *w = calloc((size_t)threads, sizeof *w);
            pthread_t *t = calloc((size_t)threads, sizeof *t);
            for (int j = 0; j < threads; j++) {
                w[j].c.k = k;
                pthread_create(&t[j], NULL, worker_main, &w[j]);
            }
            double total = 0;
            for (int j = 0; j < threads; j++) {
                pthread_join(t[j], NULL);
                total += w[j].rate;
            }
            printf(" %17.0f", total);
            free(w);
            free(t);
        }
        printf("\n");
        fflush(stdout);
        EVP_PKEY_free(c.pkey);
        gh_jws_key_free(k);
    }
    gh_jws_thread_cleanup();
    return 0;
}
