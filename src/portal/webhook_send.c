/* One signed webhook POST with libcurl (portal/webhook_send.h). */
#include "portal/webhook_send.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crypto/base64.h"
#include "crypto/hash.h"

#define SECRET_PREFIX "whsec_"
#define SECRET_MAX_BYTES 128

char *gh_webhook_signature(struct gh_arena *a, const char *secret, const char *msg_id,
                           int64_t timestamp, const char *body)
{
    size_t plen = strlen(SECRET_PREFIX);
    if (!secret || strncmp(secret, SECRET_PREFIX, plen) != 0 || !msg_id || !body)
        return NULL;
    uint8_t key[SECRET_MAX_BYTES];
    size_t key_len = 0;
    const char *b64 = secret + plen;
    if (!gh_base64_decode(b64, strlen(b64), key, sizeof key, &key_len) || key_len == 0)
        return NULL;
    char *signed_content = gh_arena_printf(a, "%s.%" PRId64 ".%s", msg_id, timestamp, body);
    uint8_t mac[GH_SHA256_LEN];
    gh_hmac_sha256(key, key_len, signed_content, strlen(signed_content), mac);
    explicit_bzero(key, sizeof key);
    char enc[GH_BASE64_LEN(GH_SHA256_LEN) + 1];
    gh_base64_encode(mac, sizeof mac, enc);
    return gh_arena_printf(a, "v1,%s", enc);
}

/* The answer's body is not wanted: taken and dropped. */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

bool gh_webhook_send(const struct gh_webhook_send_config *cfg, const char *url, const char *secret,
                     const char *msg_id, int64_t timestamp, const char *body, char *err,
                     size_t errlen)
{
    struct gh_arena *a = gh_arena_new(1024);
    char *sig = gh_webhook_signature(a, secret, msg_id, timestamp, body);
    CURL *c = sig ? curl_easy_init() : NULL;
    if (!c) {
        snprintf(err, errlen,
                 sig ? "webhook: cannot initialise libcurl"
                     : "webhook: the stored secret is not usable");
        gh_arena_free(a);
        return false;
    }
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, gh_arena_printf(a, "webhook-id: %s", msg_id));
    h = curl_slist_append(h, gh_arena_printf(a, "webhook-timestamp: %" PRId64, timestamp));
    h = curl_slist_append(h, gh_arena_printf(a, "webhook-signature: %s", sig));
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    char curl_err[CURL_ERROR_SIZE] = "";
    int64_t connect_secs = cfg && cfg->connect_timeout_secs > 0 ? cfg->connect_timeout_secs
                                                                : GH_WEBHOOK_CONNECT_TIMEOUT_SECS;
    int64_t total_secs = cfg && cfg->timeout_secs > 0 ? cfg->timeout_secs : GH_WEBHOOK_TIMEOUT_SECS;

    curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "gatehouse");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_secs * 1000));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(total_secs * 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* a worker thread: no SIGALRM */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);

    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    bool ok = false;
    if (rc != CURLE_OK) {
        int w = snprintf(err, errlen, "webhook: %s (curl %d)", curl_easy_strerror(rc), (int)rc);
        if (curl_err[0] && w >= 0 && (size_t)w < errlen)
            snprintf(err + w, errlen - (size_t)w, ": %s", curl_err);
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        ok = status >= 200 && status <= 299;
        if (!ok && status >= 300 && status <= 399)
            snprintf(err, errlen, "HTTP %ld: redirect not followed", status);
        else if (!ok)
            snprintf(err, errlen, "HTTP %ld", status);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    gh_arena_free(a);
    return ok;
}
