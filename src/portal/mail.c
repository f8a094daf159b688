/* Mail composition (portal/mail.h): RFC 5322 headers, RFC 2047 encoded-words
 * for non-ASCII header text, RFC 2045 quoted-printable for the body. */
#include "portal/mail.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "domain/id.h"

#define LINE_SOFT_MAX 78  /* RFC 5322 2.1.1: lines SHOULD be at most 78 characters */
#define LINE_HARD_MAX 998 /* … and MUST be at most 998 */
#define QP_LINE_MAX 76    /* RFC 2045 6.7 (5), the soft break's "=" included */
/* Bytes per encoded-word: base64 of 39 bytes is 52 characters, the word
 * "=?UTF-8?B?…?=" 64, so "Subject: " plus one word stays within 78. */
#define EW_CHUNK 39
#define NAME_PLAIN_MAX 64 /* longer display names become folded encoded-words */
#define ADDR_MAX 254
#define MSGID_MAX 64

/* ---- checks ------------------------------------------------------------- */

/* Well-formed UTF-8: no overlong forms, surrogates or code points past
 * U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        }
        i += len;
    }
    return true;
}

/* Header text: valid UTF-8 without any control character, CR and LF above
 * all (they would end the header and start another: header injection). */
static bool header_text_ok(const char *s)
{
    if (!s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            return false;
    }
    return utf8_valid((const unsigned char *)s, strlen(s));
}

static bool printable_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p > 0x7E)
            return false;
    }
    return true;
}

/* A bare addr-spec of printable ASCII without spaces or the characters
 * that would make it a group, a list or a display name; one "@" between a
 * non-empty local part and domain. */
static bool addr_ok(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n == 0 || n > ADDR_MAX || !at || at == s || at[1] == '\0' || strchr(at + 1, '@'))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7F || strchr("()<>[]:;,\\\"", *p))
            return false;
    }
    return true;
}

/* The left part of a Message-ID: dot-atom text. */
static bool msgid_ok(const char *s)
{
    if (!s || !*s || strlen(s) > MSGID_MAX || s[0] == '.' || s[strlen(s) - 1] == '.')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool alnum =
            (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!alnum && !strchr("!#$%&'*+-/=?^_`{|}~.", *p))
            return false;
    }
    return true;
}

/* ---- header encodings --------------------------------------------------- */

static void put_base64(struct gh_buf *b, const unsigned char *in, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        gh_buf_putc(b, abc[(v >> 18) & 63]);
        gh_buf_putc(b, abc[(v >> 12) & 63]);
        gh_buf_putc(b, i + 1 < n ? abc[(v >> 6) & 63] : '=');
        gh_buf_putc(b, i + 2 < n ? abc[v & 63] : '=');
    }
}

/* s as RFC 2047 "B" encoded-words of at most EW_CHUNK bytes each, never
 * splitting a UTF-8 sequence, separated by folding white space. */
static void put_encoded_words(struct gh_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n) {
        size_t end = i + EW_CHUNK < n ? i + EW_CHUNK : n;
        while (end < n && end > i && (p[end] & 0xC0) == 0x80)
            end--; /* back to the start of a character */
        if (i > 0)
            gh_buf_puts(b, "\r\n ");
        gh_buf_puts(b, "=?UTF-8?B?");
        put_base64(b, p + i, end - i);
        gh_buf_puts(b, "?=");
        i = end;
    }
}

/* Text that is printable ASCII and cannot be mistaken for an encoded-word
 * may stand as it is. */
static bool plain_text(const char *s)
{
    return printable_ascii(s) && !strstr(s, "=?");
}

/* A display name and its address: "Name" <addr>, or <addr> alone. */
static void put_mailbox(struct gh_buf *b, const char *name, const char *addr)
{
    if (name && *name) {
        if (plain_text(name) && strlen(name) <= NAME_PLAIN_MAX) {
            gh_buf_putc(b, '"');
            for (const char *p = name; *p; p++) {
                if (*p == '"' || *p == '\\')
                    gh_buf_putc(b, '\\');
                gh_buf_putc(b, *p);
            }
            gh_buf_putc(b, '"');
        } else {
            put_encoded_words(b, name);
        }
        gh_buf_putc(b, ' ');
    }
    gh_buf_printf(b, "<%s>", addr);
}

/* "Subject: " + s folded before spaces to keep lines within 78 characters
 * where the words allow; text that is not plain ASCII, or whose words do
 * not fit in 998, goes as encoded-words. */
static void put_subject(struct gh_buf *b, const char *s)
{
    static const char name[] = "Subject: ";
    gh_buf_puts(b, name);
    if (plain_text(s)) {
        struct gh_buf folded;
        gh_buf_init(&folded, b->arena, strlen(s) + 16);
        size_t line = sizeof name - 1;
        bool fits = true;
        const char *p = s;
        while (*p) {
            /* a segment: the spaces before a word and the word */
            const char *q = p;
            while (*q == ' ')
                q++;
            while (*q && *q != ' ')
                q++;
            size_t seg = (size_t)(q - p);
            if (p != s && *p == ' ' && line + seg > LINE_SOFT_MAX) {
                gh_buf_puts(&folded, "\r\n");
                line = 0;
            }
            gh_buf_put(&folded, p, seg);
            line += seg;
            if (line > LINE_HARD_MAX)
                fits = false;
            p = q;
        }
        if (fits) {
            if (folded.len)
                gh_buf_put(b, folded.data, folded.len);
            return;
        }
    }
    put_encoded_words(b, s);
}

/* RFC 5322 3.3 date-time in UTC, with English names whatever the locale. */
static void put_date(struct gh_buf *b, int64_t when)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)when;
    struct tm tm;
    gmtime_r(&t, &tm);
    gh_buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- quoted-printable body ---------------------------------------------- */

/* One line of text (no line break) as quoted-printable: "=" and bytes
 * outside printable ASCII as =XX, a space or tab that ends the line too,
 * soft line breaks ("=" CRLF) keeping each line within 76 characters and
 * never splitting an =XX. */
static void put_qp_line(struct gh_buf *b, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        bool last = i + 1 == n;
        bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
        size_t width = literal ? 1 : 3;
        /* the last token may reach 76; others leave room for the "=" */
        if (col + width > (last ? QP_LINE_MAX : QP_LINE_MAX - 1)) {
            gh_buf_puts(b, "=\r\n");
            col = 0;
        }
        if (literal) {
            gh_buf_putc(b, (char)c);
        } else {
            gh_buf_putc(b, '=');
            gh_buf_putc(b, hex[c >> 4]);
            gh_buf_putc(b, hex[c & 15]);
        }
        col += width;
    }
}

/* The body: each line of text (ended by \n or \r\n; a last line without one
 * counts) quoted-printable and ended by CRLF. */
static void put_qp_body(struct gh_buf *b, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t content = n > 0 && p[n - 1] == '\r' && nl ? n - 1 : n;
        put_qp_line(b, (const unsigned char *)p, content);
        gh_buf_puts(b, "\r\n");
        p += nl ? n + 1 : n;
    }
}

/* ---- the message -------------------------------------------------------- */

/* The multipart boundary: "=_gh_" and the id's letters, digits and "_".
 * Quoted-printable never produces "=_" (an "=" is followed by hex digits
 * or a line break), so no body line can contain the boundary. */
static void put_boundary(struct gh_buf *b, const char *message_id)
{
    gh_buf_puts(b, "=_gh_");
    for (const char *p = message_id; *p; p++) {
        bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '_';
        if (alnum)
            gh_buf_putc(b, *p);
    }
}

static void put_part(struct gh_buf *b, const char *message_id, const char *type, const char *body)
{
    gh_buf_puts(b, "--");
    put_boundary(b, message_id);
    gh_buf_printf(b,
                  "\r\nContent-Type: %s; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n"
                  "\r\n",
                  type);
    put_qp_body(b, body);
    if (!*body)
        gh_buf_puts(b, "\r\n"); /* the CRLF that belongs to the next delimiter */
}

char *gh_mail_compose(struct gh_arena *a, const struct gh_mail *m)
{
    if (!addr_ok(m->from) || !addr_ok(m->to) || !msgid_ok(m->message_id) || m->date < 0 ||
        !header_text_ok(m->subject) || !m->text ||
        !utf8_valid((const unsigned char *)m->text, strlen(m->text)))
        return NULL;
    if ((m->from_name && !header_text_ok(m->from_name)) ||
        (m->to_name && !header_text_ok(m->to_name)) ||
        (m->html && !utf8_valid((const unsigned char *)m->html, strlen(m->html))))
        return NULL;
    struct gh_buf b;
    gh_buf_init(&b, a, 1024 + (strlen(m->text) + (m->html ? strlen(m->html) : 0)) * 3 / 2);
    gh_buf_puts(&b, "Date: ");
    put_date(&b, m->date);
    gh_buf_puts(&b, "\r\nFrom: ");
    put_mailbox(&b, m->from_name, m->from);
    gh_buf_puts(&b, "\r\nTo: ");
    put_mailbox(&b, m->to_name, m->to);
    gh_buf_puts(&b, "\r\n");
    put_subject(&b, m->subject);
    gh_buf_printf(&b, "\r\nMessage-ID: <%s@%s>\r\n", m->message_id, strchr(m->from, '@') + 1);
    if (!m->html) {
        gh_buf_puts(&b, "MIME-Version: 1.0\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: quoted-printable\r\n"
                        "Auto-Submitted: auto-generated\r\n"
                        "\r\n");
        put_qp_body(&b, m->text);
        return b.data;
    }
    gh_buf_puts(&b, "MIME-Version: 1.0\r\n"
                    "Content-Type: multipart/alternative;\r\n boundary=\"");
    put_boundary(&b, m->message_id);
    gh_buf_puts(&b, "\"\r\n"
                    "Auto-Submitted: auto-generated\r\n"
                    "\r\n");
    put_part(&b, m->message_id, "text/plain", m->text);
    put_part(&b, m->message_id, "text/html", m->html);
    gh_buf_puts(&b, "--");
    put_boundary(&b, m->message_id);
    gh_buf_puts(&b, "--\r\n");
    return b.data;
}

bool gh_mail_enqueue(struct gh_tx *tx, struct gh_arena *a, const struct gh_mail *m,
                     const char *event, int64_t now, char **id_out)
{
    struct gh_mail copy = *m;
    copy.message_id = gh_id_new(a, GH_ID_OUTBOX_MSG);
    copy.date = now;
    char *body = gh_mail_compose(a, &copy);
    if (!body || !event)
        return false;
    struct gh_outbox_msg row = {
        .id = (char *)copy.message_id,
        .channel = GH_OUTBOX_EMAIL,
        .event = (char *)event,
        .recipient = (char *)m->to,
        .subject = (char *)m->subject,
        .body = body,
        .state = GH_OUTBOX_PENDING,
        .next_attempt_at = now,
        .created_at = now,
        .org_id = (char *)m->org_id,
    };
    if (gh_store_outbox_insert(tx, &row) != GH_STORE_OK)
        return false;
    if (id_out)
        *id_out = row.id;
    return true;
}
