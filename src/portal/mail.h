/* Outgoing mail: composing RFC 5322 messages and putting them in the outbox.
 *
 * A mail is composed once, completely (headers, quoted-printable UTF-8
 * body, CRLF line ends), and stored as the outbox row's body in the same
 * transaction as the change it announces: it is sent only if that change
 * commits, and a crash after the commit loses nothing.  The delivery worker
 * (portal/mailer.h) later writes the stored message out unchanged. */
#ifndef GH_PORTAL_MAIL_H
#define GH_PORTAL_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "store/store.h"

struct gh_mail {
    const char *from;      /* sender address (addr-spec), e.g. "noreply@gatehouse.example" */
    const char *from_name; /* display name or NULL */
    const char *to;        /* recipient address (addr-spec) */
    const char *to_name;   /* display name or NULL */
    const char *subject;   /* UTF-8, one line */
    const char *text;      /* UTF-8 plain-text body; lines end in \n or \r\n */
    const char *html;      /* UTF-8 HTML body or NULL: a text/plain mail only */
    const char *org_id;    /* the outbox row's organization (its deliveries view); NULL: none */
    /* Set by gh_mail_enqueue; gh_mail_compose needs them: */
    const char *message_id; /* "msg_…": Message-ID <message_id@domain of from> */
    int64_t date;           /* Unix seconds, the Date header */
};

/* The complete message as one NUL-terminated string in arena a, or NULL
 * when a field is missing or unsafe: CR, LF or another control character in
 * a header value (header injection), an address that is not a plain
 * addr-spec, a message id with characters a Message-ID cannot hold, text
 * (or html) that is not valid UTF-8.  The subject and display names are
 * RFC 2047 encoded-words when they are not plain ASCII.  With html the
 * message is multipart/alternative: the text part first, then the HTML
 * part (RFC 2046 5.1.4: the preferred last), both quoted-printable. */
char *gh_mail_compose(struct gh_arena *a, const struct gh_mail *m);

/* Composes m (with a new msg_ id and the Date now) and inserts it into the
 * outbox of the caller's write transaction: channel email, the given event
 * ("user.verify_email", …), state pending, due now.  *id_out (if id_out)
 * receives the id, allocated in a.  False when the message cannot be
 * composed or the insert fails; the caller then rolls back.  After the
 * commit, gh_mailer_nudge() makes delivery immediate. */
bool gh_mail_enqueue(struct gh_tx *tx, struct gh_arena *a, const struct gh_mail *m,
                     const char *event, int64_t now, char **id_out);

#endif
