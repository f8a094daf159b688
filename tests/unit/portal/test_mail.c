/* Mail composition: the exact message for a plain mail; quoted-printable
 * (escapes, trailing white space, soft breaks at 76, round trip through a
 * decoder); RFC 2047 encoded-words for subjects and names (whole characters
 * per word, folded lines); header injection and malformed fields refused;
 * multipart/alternative text + HTML parsed back; and enqueueing into the
 * outbox of a real store (with the org), only on commit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "crypto/base64.h"
#include "domain/id.h"
#include "portal/mail.h"
#include "../support/store_fixture.h"

#define NOV23 1795449909 /* Mon, 23 Nov 2026 16:05:09 UTC */

static struct gh_mail sample(void)
{
    return (struct gh_mail){
        .from = "noreply@gatehouse.test",
        .from_name = "gatehouse",
        .to = "ann@partner.test",
        .subject = "Verify your email address",
        .text = "Hello Ann,\n\nopen this link:\nhttps://portal.test/verify?token=abc\n",
        .message_id = "msg_abcdefghijklmnopqrstuvwxyz",
        .date = NOV23,
    };
}

static int setup_arena(void **state)
{
    *state = gh_arena_new(4096);
    return 0;
}

static int teardown_arena(void **state)
{
    gh_arena_free(*state);
    return 0;
}

static void test_compose_exact(void **state)
{
    struct gh_arena *a = *state;
    struct gh_mail m = sample();
    char *msg = gh_mail_compose(a, &m);
    assert_non_null(msg);
    assert_string_equal(msg, "Date: Mon, 23 Nov 2026 16:05:09 +0000\r\n"
                             "From: \"gatehouse\" <noreply@gatehouse.test>\r\n"
                             "To: <ann@partner.test>\r\n"
                             "Subject: Verify your email address\r\n"
                             "Message-ID: <msg_abcdefghijklmnopqrstuvwxyz@gatehouse.test>\r\n"
                             "MIME-Version: 1.0\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n"
                             "Content-Transfer-Encoding: quoted-printable\r\n"
                             "Auto-Submitted: auto-generated\r\n"
                             "\r\n"
                             "Hello Ann,\r\n"
                             "\r\n"
                             "open this link:\r\n"
                             "https://portal.test/verify?token=3Dabc\r\n");
    /* CRLF line ends only: no bare LF or CR anywhere */
    for (const char *p = msg; *p; p++) {
        if (*p == '\n')
            assert_true(p > msg && p[-1] == '\r');
        if (*p == '\r')
            assert_true(p[1] == '\n');
    }
}

static void test_date_and_names(void **state)
{
    struct gh_arena *a = *state;
    struct gh_mail m = sample();
    m.date = 0;
    m.from_name = NULL;
    m.to_name = "Ann \"The Admin\" O\\Neil";
    char *msg = gh_mail_compose(a, &m);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
    assert_non_null(strstr(msg, "\r\nFrom: <noreply@gatehouse.test>\r\n"));
    assert_non_null(
        strstr(msg, "\r\nTo: \"Ann \\\"The Admin\\\" O\\\\Neil\" <ann@partner.test>\r\n"));
    m.date = 951782400 + 86399; /* leap day 2000, last second */
    msg = gh_mail_compose(a, &m);
    assert_non_null(strstr(msg, "Date: Tue, 29 Feb 2000 23:59:59 +0000\r\n"));
}

/* The body of a composed message (after the blank line). */
static const char *body_of(const char *msg)
{
    const char *p = strstr(msg, "\r\n\r\n");
    assert_non_null(p);
    return p + 4;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes quoted-printable (strictly: upper-case hex, CRLF line ends, no
 * line over 76, no white space before a hard break) into text with \n line
 * ends; fails the test on anything malformed. */
static char *qp_decode(struct gh_arena *a, const char *qp)
{
    struct gh_buf out;
    gh_buf_init(&out, a, strlen(qp) + 1);
    gh_buf_puts(&out, "");
    const char *p = qp;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        size_t n = (size_t)(eol - p);
        assert_true(n <= 76);
        bool soft = n > 0 && p[n - 1] == '=' && (n < 3 || p[n - 3] != '=');
        if (!soft && n > 0)
            assert_true(p[n - 1] != ' ' && p[n - 1] != '\t');
        size_t limit = soft ? n - 1 : n;
        for (size_t i = 0; i < limit; i++) {
            if (p[i] == '=') {
                assert_true(i + 2 < limit);
                int hi = hexval(p[i + 1]), lo = hexval(p[i + 2]);
                assert_true(hi >= 0 && lo >= 0);
                gh_buf_putc(&out, (char)(hi * 16 + lo));
                i += 2;
            } else {
                assert_true((p[i] >= 33 && p[i] <= 126) || p[i] == ' ' || p[i] == '\t');
                gh_buf_putc(&out, p[i]);
            }
        }
        if (!soft)
            gh_buf_putc(&out, '\n');
        p = eol + 2;
    }
    return out.data;
}

static void test_qp_escapes(void **state)
{
    struct gh_arena *a = *state;
    struct gh_mail m = sample();
    m.text = "a=b\nGr\xc3\xbc\xc3\x9f"
             "e\ntrailing space \ntrailing tab\t\n"
             "in the middle\tand here \nlone\rCR\r\nend";
    const char *body = body_of(gh_mail_compose(a, &m));
    assert_string_equal(body, "a=3Db\r\n"
                              "Gr=C3=BC=C3=9Fe\r\n"
                              "trailing space=20\r\n"
                              "trailing tab=09\r\n"
                              "in the middle\tand here=20\r\n"
                              "lone=0DCR\r\n"
                              "end\r\n");
}

static void test_qp_soft_breaks(void **state)
{
    struct gh_arena *a = *state;
    struct gh_mail m = sample();
    char line[200];
    /* exactly 76 characters: fits without a break */
    memset(line, 'x', 76);
    line[76] = '\0';
    m.text = line;
    assert_string_equal(body_of(gh_mail_compose(a, &m)), gh_arena_printf(a, "%s\r\n", line));
    /* 77: 75 + "=" then 2 */
    memset(line, 'x', 77);
    line[77] = '\0';
    assert_string_equal(body_of(gh_mail_compose(a, &m)),
                        gh_arena_printf(a, "%.75s=\r\nxx\r\n", line));
    /* =XX never split: 30 "=" are 25 escapes on the first line */
    memset(line, '=', 30);
    line[30] = '\0';
    const char *body = body_of(gh_mail_compose(a, &m));
    assert_int_equal(strstr(body, "\r\n") - body, 76);
    assert_memory_equal(body + 72, "=3D=\r\n=3D", 9);
    /* a space before a soft break stays literal (the "=" follows it) */
    memset(line, 'y', 74);
    line[74] = ' ';
    memcpy(line + 75, "zz", 3);
    assert_string_equal(body_of(gh_mail_compose(a, &m)),
                        gh_arena_printf(a, "%.75s=\r\nzz\r\n", line));
}

static void test_qp_round_trip(void **state)
{
    struct gh_arena *a = *state;
    struct gh_mail m = sample();
    static const char *const texts[] = {
        "",
        "one line",
        "\n\n\n",
        "Sehr geehrte Damen und Herren,\n\nbitte best\xc3\xa4tigen Sie Ihre E-Mail-Adresse "
        "innerhalb von 24 Stunden, sonst verf\xc3\xa4llt der Link. \xe2\x82\xac\xf0\x9f\x98\x80\n",
        "==== a heading made of equals signs, long enough to need more than one line of "
        "quoted-printable ====\n",
        "tabs\t\t\tand spaces      at the end      \n\t\n \n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        m.text = texts[i];
        char *msg = gh_mail_compose(a, &m);
        assert_non_null(msg);
        char *decoded = qp_decode(a, body_of(msg));
        /* the decoder ends every line in \n, so a text without a final
         * line break gains one */
        size_t n = strlen(texts[i]);
        const char *expect =
            n == 0 || texts[i][n - 1] == '\n' ? texts[i] : gh_arena_printf(a, "%s\n", texts[i]);
        assert_string_equal(decoded, expect);
    }
    /* a long paragraph: every line within 76, decoded exactly */
    struct gh_buf long_text;
    gh_buf_init(&long_text, a, 4096);
    for (int i = 0; i < 60; i++)
        gh_buf_puts(&long_text, "W\xc3\xb6rter = words; ");
    gh_buf_puts(&long_text, "\n");
    m.text = long_text.data;
    assert_string_equal(qp_decode(a, body_of(gh_mail_compose(a, &m))), long_text.data);
}

/* The Subject header's value unfolded (CRLF before white space removed). */
static char *subject_of(struct gh_arena *a, const char *msg)
{
    const char *p = strstr(msg, "\r\nSubject: ");
    assert_non_null(p);
    p += 11;
    struct gh_buf v;
    gh_buf_init(&v, a, 256);
    gh_buf_puts(&v, "");
    while (!(p[0] == '\r' && p[1] == '\n' && p[2] != ' ' && p[2] != '\t')) {
        if (p[0] == '\r' && p[1] == '\n') {
            p += 2;
            continue;
        }
        gh_buf_putc(&v, *p++);
    }
    return v.data;
}

/* Decodes a run of "=?UTF-8?B?…?=" words separated by single spaces; checks
 * each word's length and that each holds whole UTF-8 characters. */
static char *ew_decode(struct gh_arena *a, const char *s)
{
    struct gh_buf out;
    gh_buf_init(&out, a, 256);
    gh_buf_puts(&out, "");
    const char *p = s;
    while (*p) {
        assert_true(strncmp(p, "=?UTF-8?B?", 10) == 0);
        const char *end = strstr(p + 10, "?=");
        assert_non_null(end);
        assert_true(end + 2 - p <= 75);
        uint8_t raw[64];
        size_t n;
        assert_true(gh_base64_decode(p + 10, (size_t)(end - p - 10), raw, sizeof raw, &n));
        assert_true(n > 0);
        assert_true((raw[0] & 0xC0) != 0x80); /* starts a character */
        size_t k = n;
        while (k > 0 && (raw[k - 1] & 0xC0) == 0x80)
            k--;
        /* the last character is complete */
        if (k > 0 && raw[k - 1] >= 0xC0) {
            size_t want = raw[k - 1] >= 0xF0 ? 4 : raw[k - 1] >= 0xE0 ? 3 : 2;
            assert_int_equal(n - (k - 1), want);
        }
        gh_buf_put(&out, raw, n);
        p = end + 2;
        if (*p == ' ')
            p++;
    }
    return out.data;
}

static void assert_lines_within(const char *msg, size_t max)
{
    const char *head_end = strstr(msg, "\r\n\r\n");
    for (const char *p = msg; p < head_end;) {
        const char *eol = strstr(p, "\r\n");
        assert_true((size_t)(eol - p) <= max);
        p = eol + 2;
    }
}

static void test_rfc2047_subject(void **state)
{
    struct gh_arena *a = *state;
    struct gh_mail m = sample();
    m.subject = "Best\xc3\xa4tigen Sie Ihre E-Mail-Adresse";
    char *msg = gh_mail_compose(a, &m);
    assert_non_null(msg);
    assert_non_null(strstr(
        msg, "\r\nSubject: =?UTF-8?B?QmVzdMOkdGlnZW4gU2llIElocmUgRS1NYWlsLUFkcmVzc2U=?=\r\n"));
    assert_string_equal(ew_decode(a, subject_of(a, msg)), m.subject);

    /* 30 four-byte characters: words of 9 whole characters, folded */
    struct gh_buf s;
    gh_buf_init(&s, a, 256);
    for (int i = 0; i < 30; i++)
        gh_buf_puts(&s, "\xf0\x9f\x98\x80");
    m.subject = s.data;
    msg = gh_mail_compose(a, &m);
    assert_string_equal(ew_decode(a, subject_of(a, msg)), m.subject);
    assert_lines_within(msg, 78);

    /* ASCII that looks like an encoded-word is encoded itself */
    m.subject = "price =?x?= 5";
    msg = gh_mail_compose(a, &m);
    assert_string_equal(ew_decode(a, subject_of(a, msg)), "price =?x?= 5");

    /* long ASCII folds at spaces */
    m.subject = "Your application \"inventory-sync\" was granted access to the Orders API "
                "(plan Gold) by Example Provider Ltd.";
    msg = gh_mail_compose(a, &m);
    assert_string_equal(subject_of(a, msg), m.subject);
    assert_non_null(strstr(msg, "\r\n "));
    assert_lines_within(msg, 78);
}

static void test_rfc2047_names(void **state)
{
    struct gh_arena *a = *state;
    struct gh_mail m = sample();
    m.to_name = "J\xc3\xbcrgen M\xc3\xbcller";
    m.from_name = "gatehouse =?no?=";
    char *msg = gh_mail_compose(a, &m);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "\r\nTo: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <ann@partner.test>\r\n"));
    assert_non_null(strstr(msg, "\r\nFrom: =?UTF-8?B?Z2F0ZWhvdXNlID0/bm8/PQ==?= "
                                "<noreply@gatehouse.test>\r\n"));
}

static void test_injection_refused(void **state)
{
    struct gh_arena *a = *state;
    struct gh_mail m;
    static const char *const bad_headers[] = {
        "Hi\r\nBcc: victim@example.com",
        "Hi\nBcc: victim@example.com",
        "Hi\rthere",
        "tab\there",
        "nul-free but \x7f",
        "bad utf-8 \xc3\x28",
        "overlong \xc0\xaf",
        "surrogate \xed\xa0\x80",
    };
    for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
        m = sample();
        m.subject = bad_headers[i];
        assert_null(gh_mail_compose(a, &m));
        m = sample();
        m.to_name = bad_headers[i];
        assert_null(gh_mail_compose(a, &m));
        m = sample();
        m.from_name = bad_headers[i];
        assert_null(gh_mail_compose(a, &m));
    }
    static const char *const bad_addrs[] = {
        "ann@partner.test\r\nBcc: victim@example.com",
        "ann@partner.test\n",
        "ann@partner.test, victim@example.com",
        "Ann <ann@partner.test>",
        "ann partner@test",
        "annpartner.test",
        "@partner.test",
        "ann@",
        "ann@partner@test",
        "\"ann\"@partner.test",
        "\xc3\xa4nn@partner.test",
        "",
    };
    for (size_t i = 0; i < sizeof bad_addrs / sizeof bad_addrs[0]; i++) {
        m = sample();
        m.to = bad_addrs[i];
        assert_null(gh_mail_compose(a, &m));
        m = sample();
        m.from = bad_addrs[i];
        assert_null(gh_mail_compose(a, &m));
    }
    static const char *const bad_ids[] = {"",     "msg_1>", "msg@x", "msg 1", "msg_1\r\nX: y",
                                          ".msg", "msg."};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        m = sample();
        m.message_id = bad_ids[i];
        assert_null(gh_mail_compose(a, &m));
    }
    m = sample();
    m.to = NULL;
    assert_null(gh_mail_compose(a, &m));
    m = sample();
    m.subject = NULL;
    assert_null(gh_mail_compose(a, &m));
    m = sample();
    m.message_id = NULL;
    assert_null(gh_mail_compose(a, &m));
    m = sample();
    m.text = NULL;
    assert_null(gh_mail_compose(a, &m));
    m = sample();
    m.text = "bad \xff utf-8";
    assert_null(gh_mail_compose(a, &m));
    /* line breaks in the body are fine: it is QP-encoded */
    m = sample();
    m.text = "Bcc: not a header\r\n\r\nstill body";
    assert_non_null(gh_mail_compose(a, &m));
}

/* ---- multipart/alternative ---------------------------------------------- */

/* One part of a multipart body: its header block and QP-decoded content. */
struct part {
    char *headers;
    char *content;
};

/* Splits msg's multipart body at its boundary (taken from the Content-Type
 * header) into parts, checking the delimiter lines and the close
 * delimiter; returns the number of parts. */
static size_t parse_multipart(struct gh_arena *a, const char *msg, struct part *parts, size_t max)
{
    static const char head[] = "\r\nContent-Type: multipart/alternative;\r\n boundary=\"";
    const char *ct = strstr(msg, head);
    assert_non_null(ct);
    ct += strlen(head);
    const char *q = strchr(ct, '"');
    assert_non_null(q);
    assert_true(q - ct > 0 && q - ct <= 70);
    char *delim = gh_arena_printf(a, "\r\n--%.*s", (int)(q - ct), ct);
    const char *body = body_of(msg);
    /* the body starts with the first delimiter (no preamble) */
    assert_true(strncmp(body, delim + 2, strlen(delim) - 2) == 0);
    const char *p = body + strlen(delim) - 2;
    size_t n = 0;
    for (;;) {
        if (strcmp(p, "--\r\n") == 0)
            break; /* the close delimiter ends the message */
        assert_true(strncmp(p, "\r\n", 2) == 0);
        p += 2;
        const char *next = strstr(p, delim);
        assert_non_null(next);
        const char *sep = strstr(p, "\r\n\r\n");
        assert_true(sep && sep < next);
        assert_true(n < max);
        parts[n].headers = gh_arena_strndup(a, p, (size_t)(sep - p));
        /* the CRLF before the delimiter belongs to it */
        char *qp = gh_arena_printf(a, "%.*s\r\n", (int)(next - sep - 4), sep + 4);
        parts[n].content = qp_decode(a, qp);
        n++;
        p = next + strlen(delim);
    }
    return n;
}

static void test_multipart_alternative(void **state)
{
    struct gh_arena *a = *state;
    struct gh_mail m = sample();
    m.text = "Reason: <script>alert(1)</script>\nGr\xc3\xbc\xc3\x9f"
             "e = hello\n";
    m.html = "<!DOCTYPE html>\n<p>Reason: &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
             "<p>Gr\xc3\xbc\xc3\x9f"
             "e</p>\n";
    char *msg = gh_mail_compose(a, &m);
    assert_non_null(msg);
    /* the headers are those of a plain mail but for the content type */
    assert_non_null(strstr(msg, "\r\nSubject: Verify your email address\r\n"));
    assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"));
    assert_null(strstr(msg, "\r\nContent-Transfer-Encoding: quoted-printable\r\nAuto"));
    assert_non_null(strstr(msg, "boundary=\"=_gh_msg_abcdefghijklmnopqrstuvwxyz\"\r\n"));
    struct part parts[4];
    size_t n = parse_multipart(a, msg, parts, 4);
    assert_int_equal(n, 2);
    assert_string_equal(parts[0].headers, "Content-Type: text/plain; charset=utf-8\r\n"
                                          "Content-Transfer-Encoding: quoted-printable");
    assert_string_equal(parts[1].headers, "Content-Type: text/html; charset=utf-8\r\n"
                                          "Content-Transfer-Encoding: quoted-printable");
    assert_string_equal(parts[0].content, m.text);
    assert_string_equal(parts[1].content, m.html);
    assert_lines_within(msg, 78);
    for (const char *p = msg; *p; p++) {
        if (*p == '\n')
            assert_true(p > msg && p[-1] == '\r');
    }

    /* an empty text part still has its line before the next delimiter */
    m.text = "";
    n = parse_multipart(a, gh_mail_compose(a, &m), parts, 4);
    assert_int_equal(n, 2);
    assert_string_equal(parts[0].content, "\n");
    /* a body line that looks like the boundary cannot end the part: "=" is
     * always encoded */
    m.text = "--=_gh_msg_abcdefghijklmnopqrstuvwxyz--\n";
    n = parse_multipart(a, gh_mail_compose(a, &m), parts, 4);
    assert_int_equal(n, 2);
    assert_string_equal(parts[0].content, m.text);
    /* HTML that is not UTF-8 is refused like text */
    m.html = "bad \xff";
    assert_null(gh_mail_compose(a, &m));
}

/* ---- enqueue into a real store ------------------------------------------ */

struct store_env {
    struct gh_fixture_db db;
    struct gh_store *store;
    struct gh_arena *a;
};

static int setup_store(void **state)
{
    struct store_env *e = calloc(1, sizeof *e);
    char err[256];
    if (!gh_fixture_db_init(&e->db))
        return -1;
    e->store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!e->store) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    e->a = gh_arena_new(4096);
    *state = e;
    return 0;
}

static int teardown_store(void **state)
{
    struct store_env *e = *state;
    gh_arena_free(e->a);
    gh_store_close(e->store);
    gh_fixture_db_done(&e->db);
    free(e);
    return 0;
}

static void test_enqueue_commit(void **state)
{
    struct store_env *e = *state;
    struct gh_mail m = sample();
    m.message_id = NULL;
    m.date = 0;
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    char *id = NULL;
    assert_true(gh_mail_enqueue(tx, e->a, &m, "user.verify_email", NOV23, &id));
    assert_true(gh_id_valid(id, GH_ID_OUTBOX_MSG));
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);

    assert_int_equal(gh_store_begin(e->store, GH_TX_READ, &tx), GH_STORE_OK);
    struct gh_outbox_msg got;
    assert_int_equal(gh_store_outbox_get(tx, id, e->a, &got), GH_STORE_OK);
    gh_store_rollback(tx);
    assert_int_equal(got.channel, GH_OUTBOX_EMAIL);
    assert_int_equal(got.state, GH_OUTBOX_PENDING);
    assert_string_equal(got.event, "user.verify_email");
    assert_string_equal(got.recipient, "ann@partner.test");
    assert_string_equal(got.subject, "Verify your email address");
    assert_int_equal(got.next_attempt_at, NOV23);
    assert_int_equal(got.created_at, NOV23);
    assert_int_equal(got.attempts, 0);
    assert_null(got.org_id);
    /* the body is the composed message with this id and date */
    struct gh_mail expect = sample();
    expect.message_id = id;
    assert_string_equal(got.body, gh_mail_compose(e->a, &expect));
}

static void test_enqueue_org_and_html(void **state)
{
    struct store_env *e = *state;
    struct gh_mail m = sample();
    m.html = "<p>Hello Ann</p>\n";
    m.org_id = "org_partner";
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    char *id = NULL;
    assert_true(gh_mail_enqueue(tx, e->a, &m, "app.access_status.red", NOV23, &id));
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    assert_int_equal(gh_store_begin(e->store, GH_TX_READ, &tx), GH_STORE_OK);
    struct gh_outbox_msg got;
    assert_int_equal(gh_store_outbox_get(tx, id, e->a, &got), GH_STORE_OK);
    gh_store_rollback(tx);
    assert_string_equal(got.org_id, "org_partner");
    assert_non_null(strstr(got.body, "multipart/alternative"));
    assert_non_null(strstr(got.body, "<p>Hello Ann</p>"));
}

static void test_enqueue_rollback_and_refusal(void **state)
{
    struct store_env *e = *state;
    struct gh_mail m = sample();
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    assert_true(gh_mail_enqueue(tx, e->a, &m, "user.verify_email", NOV23, NULL));
    gh_store_rollback(tx);

    m.subject = "x\r\nBcc: victim@example.com";
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    char *id = "untouched";
    assert_false(gh_mail_enqueue(tx, e->a, &m, "user.verify_email", NOV23, &id));
    assert_string_equal(id, "untouched");
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);

    assert_int_equal(gh_store_begin(e->store, GH_TX_READ, &tx), GH_STORE_OK);
    struct gh_outbox_msg *list;
    size_t n = 99;
    assert_int_equal(gh_store_outbox_list(tx, NULL, NULL, e->a, &list, &n), GH_STORE_OK);
    gh_store_rollback(tx);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compose_exact, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_date_and_names, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_qp_escapes, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_qp_soft_breaks, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_qp_round_trip, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_rfc2047_subject, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_rfc2047_names, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_injection_refused, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_multipart_alternative, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_enqueue_commit, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_enqueue_org_and_html, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_enqueue_rollback_and_refusal, setup_store,
                                        teardown_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
