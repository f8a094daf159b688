/* Sending one complete RFC 5322 message through an SMTP server with libcurl.
 *
 * smtp://host[:port] upgrades to TLS with STARTTLS when the server offers
 * it (and goes on in clear text when it does not); smtps://host[:port] is
 * TLS from the start.  Credentials never appear in the URL: the user and
 * password are given apart (the password comes from the environment).
 * One connection per message: the mailer sends little mail, and a fresh
 * connection cannot inherit a broken session. */
#ifndef GH_PORTAL_SMTP_H
#define GH_PORTAL_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_SMTP_CONNECT_TIMEOUT_MS 10000
#define GH_SMTP_TIMEOUT_MS 30000

struct gh_smtp_config {
    const char *url;            /* smtp://host:port or smtps://host:port */
    const char *from;           /* envelope sender (MAIL FROM), an addr-spec */
    const char *user;           /* NULL or "": no authentication */
    const char *password;       /* with user; never logged */
    int64_t connect_timeout_ms; /* 0: GH_SMTP_CONNECT_TIMEOUT_MS */
    int64_t timeout_ms;         /* the whole transaction; 0: GH_SMTP_TIMEOUT_MS */
};

/* True when url is an smtp:// or smtps:// URL with a host and without
 * credentials; else false with one line for a person in err. */
bool gh_smtp_url_valid(const char *url, char *err, size_t errlen);

/* Sends message (len bytes, CRLF line ends, as gh_mail_compose makes it) to
 * the single recipient `to` (RCPT TO).  False with err set to curl's
 * account of the failure (its error text and the server's last reply
 * code), which never includes the recipient, the password or the body.
 * Blocks up to the configured timeouts; call from a worker thread.
 * gh_smtp_global_init must have run. */
bool gh_smtp_send(const struct gh_smtp_config *cfg, const char *to, const char *message, size_t len,
                  char *err, size_t errlen);

/* libcurl's process-wide set-up and tear-down, counted; call before the
 * first send and once per init when done. */
bool gh_smtp_global_init(void);
void gh_smtp_global_cleanup(void);

#endif
