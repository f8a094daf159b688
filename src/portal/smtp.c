/* SMTP transport (portal/smtp.h). */
#include "portal/smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"

bool gh_smtp_url_valid(const char *url, char *err, size_t errlen)
{
    size_t skip = 0;
    if (url && strncasecmp(url, "smtp://", 7) == 0)
        skip = 7;
    else if (url && strncasecmp(url, "smtps://", 8) == 0)
        skip = 8;
    if (!skip) {
        snprintf(err, errlen, "expected an smtp:// or smtps:// URL, got '%s'", url ? url : "");
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7F) {
            snprintf(err, errlen, "the URL holds a space or a control or non-ASCII character");
            return false;
        }
    }
    const char *host = url + skip;
    size_t authority = strcspn(host, "/?#");
    if (memchr(host, '@', authority)) {
        /* not echoed: it may hold the password */
        snprintf(err, errlen,
                 "credentials do not belong in the URL: use --smtp-user and "
                 "GATEHOUSE_SMTP_PASSWORD");
        return false;
    }
    if (authority == 0 || host[0] == ':') {
        snprintf(err, errlen, "the URL '%s' names no host", url);
        return false;
    }
    return true;
}

struct reader {
    const char *p;
    size_t left;
};

static size_t read_message(char *buf, size_t size, size_t nitems, void *ctx)
{
    struct reader *r = ctx;
    size_t n = size * nitems;
    if (n > r->left)
        n = r->left;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

bool gh_smtp_send(const struct gh_smtp_config *cfg, const char *to, const char *message, size_t len,
                  char *err, size_t errlen)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "smtp: cannot create a libcurl handle");
        return false;
    }
    size_t n = strlen(cfg->from) + strlen(to) + 3;
    char *from = gh_xmalloc(n), *rcpt = gh_xmalloc(n);
    snprintf(from, n, "<%s>", cfg->from);
    snprintf(rcpt, n, "<%s>", to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    struct reader r = {message, len};
    char curl_err[CURL_ERROR_SIZE] = "";
    bool tls = strncasecmp(cfg->url, "smtps://", 8) == 0;

    curl_easy_setopt(c, CURLOPT_URL, cfg->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    /* smtps: TLS from the start; smtp: STARTTLS when offered */
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    if (cfg->user && *cfg->user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(c, CURLOPT_READDATA, &r);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(
        c, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : GH_SMTP_CONNECT_TIMEOUT_MS));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     (long)(cfg->timeout_ms > 0 ? cfg->timeout_ms : GH_SMTP_TIMEOUT_MS));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* a worker thread: no SIGALRM */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);

    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        long reply = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
        /* curl's detail names commands and codes; should it ever quote the
         * recipient, it is left out */
        bool detail = curl_err[0] && !strstr(curl_err, to);
        int w = snprintf(err, errlen, "smtp: %s (curl %d)", curl_easy_strerror(rc), (int)rc);
        if (detail && w >= 0 && (size_t)w < errlen)
            w += snprintf(err + w, errlen - (size_t)w, ": %s", curl_err);
        if (reply > 0 && w >= 0 && (size_t)w < errlen)
            snprintf(err + w, errlen - (size_t)w, "; last server reply %ld", reply);
    }
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(c);
    free(from);
    free(rcpt);
    return rc == CURLE_OK;
}

bool gh_smtp_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void gh_smtp_global_cleanup(void)
{
    curl_global_cleanup();
}
