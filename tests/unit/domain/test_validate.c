/* Field and entity validation: every validator as a table of input -> expected
 * (NULL: accepted; otherwise a piece of the message a person would read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "domain/validate.h"

/* Long values as literals: A10 is 10 'a's, and so on. */
#define A10 "aaaaaaaaaa"
#define A50 A10 A10 A10 A10 A10
#define A60 A50 A10
#define A100 A50 A50
#define A200 A100 A100
#define A500 A100 A100 A100 A100 A100
#define A1000 A500 A500
#define A2000 A1000 A1000
#define E10                                                                                        \
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" /* é */
#define E50 E10 E10 E10 E10 E10
#define E200 E50 E50 E50 E50
#define P10 "abcdefgh1!" /* not a sequence, not a repetition of up to 4 */
#define P100 P10 P10 P10 P10 P10 P10 P10 P10 P10 P10
#define P1000 P100 P100 P100 P100 P100 P100 P100 P100 P100 P100
#define P1024 P1000 P10 P10 "wxyz"

struct vcase {
    const char *value;
    const char *error; /* NULL: valid; else a substring of the message */
};

/* Runs one validator over a table, blaming the field "fld": accepted values
 * leave err alone, refused ones name the field and say what to fix; a NULL
 * err gives the same verdict. */
static void run_cases(const char *what, gh_validator_fn fn, const struct vcase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct vcase *c = &cases[i];
        struct gh_field_error err = {.field = "untouched", .message = "untouched"};
        bool ok = fn("fld", c->value, &err);
        const char *shown = c->value ? c->value : "(null)";
        if (ok != (c->error == NULL))
            fail_msg("%s row %zu \"%.80s\": %s (%s)", what, i, shown,
                     ok ? "accepted, should be refused" : "refused", err.message);
        assert_int_equal(fn("fld", c->value, NULL), ok);
        if (ok) {
            assert_string_equal(err.field, "untouched");
            continue;
        }
        assert_string_equal(err.field, "fld");
        if (!strstr(err.message, c->error))
            fail_msg("%s row %zu \"%.80s\": message \"%s\" lacks \"%s\"", what, i, shown,
                     err.message, c->error);
    }
}

#define RUN(fn, cases) run_cases(#fn, fn, cases, sizeof cases / sizeof cases[0])

/* ---- email ------------------------------------------------------------------ */

static void test_email(void **state)
{
    static const struct vcase cases[] = {
        {"a@example.com", NULL},
        {"first.last+tag@sub.example.co.uk", NULL},
        {"x_y-z@xn--bcher-kva.example", NULL},
        {"o'neil@example.ie", NULL},
        {"UPPER@Example.COM", NULL},
        {"a@b.cd", NULL},
        {"a@example.com2", NULL},
        {"!#$%&'*+/=?^_`{|}~-@example.com", NULL},
        {A60 "abcd@example.com", NULL}, /* local part of 64 */
        /* 64 + 1 + 189 = 254 characters */
        {A60 "abcd@" A60 "abc." A60 "abc." A50 "abcdefg.com", NULL},
        {NULL, "is required"},
        {"", "is required"},
        {"plainaddress", "like name@example.com"},
        {"a@@example.com", "exactly one '@'"},
        {"a@b@example.com", "exactly one '@'"},
        {"@example.com", "before the '@'"},
        {"a@", "needs a domain"},
        {"a@localhost", "must contain a dot"},
        {"a b@example.com", "must not contain spaces"},
        {" a@example.com", "must not contain spaces"},
        {"a@example.com ", "must not contain spaces"},
        {"a\t@example.com", "control characters"},
        {"a@example.com\n", "control characters"},
        {"a\x7f@example.com", "control characters"},
        {"j\xc3\xb6rg@example.com", "only ASCII"},
        {"a@b\xc3\xbc"
         "cher.example",
         "only ASCII"},
        {".a@example.com", "must not begin or end with a dot"},
        {"a.@example.com", "must not begin or end with a dot"},
        {"a..b@example.com", "two dots in a row"},
        {"a(b)@example.com", "may only contain letters"},
        {"\"a\"@example.com", "may only contain letters"},
        {"a,b@example.com", "may only contain letters"},
        {"a@example..com", "two dots in a row"},
        {"a@.example.com", "must not begin or end with a dot"},
        {"a@example.com.", "must not begin or end with a dot"},
        {"a@-example.com", "must not begin or end with '-'"},
        {"a@example-.com", "must not begin or end with '-'"},
        {"a@exa_mple.com", "may only contain letters, digits, '-'"},
        {"a@[127.0.0.1]", "may only contain letters, digits, '-'"},
        {"a@example.c", "top-level domain"},
        {"a@example.123", "top-level domain"},
        {"a@127.0.0.1", "top-level domain"},
        {A60 "abcde@example.com", "at most 64"},
        {"a@" A60 "abcd.com", "at most 63"},
        {A60 "abcd@" A60 "abc." A60 "abc." A50 "abcdefgh.com", "at most 254"},
    };
    RUN(gh_validate_email, cases);
}

static void test_email_normalize(void **state)
{
    char email[] = "Jane.Doe+Tag@Example.COM";
    gh_email_normalize(email);
    assert_string_equal(email, "jane.doe+tag@example.com");
    gh_email_normalize(NULL);
}

/* ---- text ------------------------------------------------------------------- */

static void test_text(void **state)
{
    static const struct {
        const char *value;
        size_t min, max;
        bool multiline;
        const char *error;
    } rows[] = {
        {NULL, 0, 10, false, NULL},
        {NULL, 1, 10, false, "is required"},
        {"", 0, 10, false, NULL},
        {"", 1, 10, false, "must not be empty"},
        {"ab", 3, 10, false, "must be at least 3 characters"},
        {"abc", 3, 10, false, NULL},
        {"abcdefghij", 0, 10, false, NULL},
        {"abcdefghijk", 0, 10, false, "must be at most 10 characters"},
        {E10, 0, 10, false, NULL}, /* 10 characters, 20 bytes */
        {E10 "x", 0, 10, false, "must be at most 10 characters"},
        {"\xf0\x9f\x98\x80", 1, 1, false, NULL}, /* one emoji is one character */
        {"a\nb", 0, 10, false, "must be a single line"},
        {"a\tb", 0, 10, false, "must be a single line"},
        {"a\r\nb\tc", 0, 10, true, NULL},
        {"a\x01"
         "b",
         0, 10, true, "control characters other than line breaks"},
        {"a\x01"
         "b",
         0, 10, false, "must not contain control characters"},
        {"a\x1b[31m", 0, 10, false, "must not contain control characters"},
        {"a\x7f", 0, 10, false, "must not contain control characters"},
        {"a\xc2\x85", 0, 10, false, "must not contain control characters"}, /* U+0085 */
        {"a\xc2\xa0"
         "b",
         0, 10, false, NULL}, /* U+00A0 is text */
        {"\xff", 0, 10, false, "valid UTF-8"},
        {"\x80"
         "abc",
         0, 10, false, "valid UTF-8"},                     /* stray continuation */
        {"\xc0\xaf", 0, 10, false, "valid UTF-8"},         /* overlong '/' */
        {"\xe0\x80\xaf", 0, 10, false, "valid UTF-8"},     /* overlong */
        {"\xed\xa0\x80", 0, 10, false, "valid UTF-8"},     /* surrogate */
        {"\xf4\x90\x80\x80", 0, 10, false, "valid UTF-8"}, /* above U+10FFFF */
        {"ab\xe2\x82", 0, 10, false, "valid UTF-8"},       /* cut short */
        {"\xe2\x82\xac", 1, 1, false, NULL},               /* € */
        {" a", 0, 10, false, "must not begin or end with spaces"},
        {"a ", 0, 10, false, "must not begin or end with spaces"},
        {" a\n", 0, 10, true, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gh_field_error err = {.message = "untouched"};
        bool ok = gh_validate_text("notes", rows[i].value, rows[i].min, rows[i].max,
                                   rows[i].multiline, &err);
        if (ok != (rows[i].error == NULL))
            fail_msg("row %zu: %s (%s)", i, ok ? "accepted" : "refused", err.message);
        if (!ok) {
            assert_string_equal(err.field, "notes");
            if (!strstr(err.message, rows[i].error))
                fail_msg("row %zu: \"%s\" lacks \"%s\"", i, err.message, rows[i].error);
        }
    }
}

static void test_name(void **state)
{
    static const struct vcase cases[] = {
        {"Orders API", NULL},
        {"x", NULL},
        {A200, NULL},
        {E200, NULL},
        {"\xc3\x9cn\xc3\xaf"
         "c\xc3\xb6"
         "d\xc3\xa9 App",
         NULL},
        {NULL, "is required"},
        {"", "must not be empty"},
        {A200 "a", "must be at most 200 characters"},
        {E200 "a", "must be at most 200 characters"},
        {"Shop\nApp", "single line"},
        {"  Shop", "must not begin or end with spaces"},
        {"Shop\x01", "control characters"},
        {"Shop\xff", "valid UTF-8"},
    };
    RUN(gh_validate_name, cases);
}

static void test_person_name(void **state)
{
    static const struct vcase cases[] = {
        {"Jane Doe", NULL},
        {"Jos\xc3\xa9 M\xc3\xbcller", NULL},
        {"\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99", NULL}, /* 李小龙 */
        {"O'Brien-Smith, Jr.", NULL},
        {"X", NULL},
        {NULL, "is required"},
        {"", "must not be empty"},
        {"123", "at least one letter"},
        {"...", "at least one letter"},
        {"Jane <jane@evil.example>", "must not contain '<', '>' or '\"'"},
        {"\"Jane\"", "must not contain '<', '>' or '\"'"},
        {"Jane\nBcc: x@evil.example", "single line"},
        {A200 "a", "at most 200"},
    };
    RUN(gh_validate_person_name, cases);
}

static void test_description_and_address(void **state)
{
    static const struct vcase descriptions[] = {
        {NULL, NULL},
        {"", NULL},
        {"Orders of the last year.\nPaged, 100 per page.\n", NULL},
        {A2000, NULL},
        {A2000 "a", "must be at most 2000 characters"},
        {"bell\x07", "control characters other than line breaks"},
        {"\xc3\x28", "valid UTF-8"},
    };
    RUN(gh_validate_description, descriptions);
    static const struct vcase addresses[] = {
        {NULL, NULL},
        {"Main Street 1\n1234 Town\nDenmark", NULL},
        {A500, NULL},
        {A500 "a", "must be at most 500 characters"},
        {"Main\x1fStreet", "control characters"},
    };
    RUN(gh_validate_address, addresses);
}

static void test_phone(void **state)
{
    static const char msg[] = "must be a phone number";
    static const struct vcase cases[] = {
        {NULL, NULL},
        {"+45 12 34 56 78", NULL},
        {"(555) 123-4567", NULL},
        {"123", NULL},
        {"+49.30/1234567", NULL},
        {"12345678901234567890123456789012", NULL}, /* 32 */
        {"123456789012345678901234567890123", msg}, /* 33 */
        {"", msg},
        {"12", msg},
        {"+1", msg},
        {"1-2", msg},
        {"abc123", msg},
        {"123 ext 4", msg},
        {" 123", msg},
        {"123 ", msg},
    };
    RUN(gh_validate_phone, cases);
}

/* ---- password --------------------------------------------------------------- */

static void test_password(void **state)
{
    static const struct {
        const char *password, *email;
        const char *error;
    } rows[] = {
        {"correct horse battery staple", "jane@example.com", NULL},
        {"Tr0ub4dor&3x", "jane@example.com", NULL},
        {"zyxw-9876-kite", NULL, NULL},
        {"\xc3\xbcn\xc3\xaf"
         "c\xc3\xb6"
         "d\xc3\xa9-p\xc3\xa4ss",
         NULL, NULL},                /* 10 characters */
        {"aaaaaaaaab", NULL, NULL},  /* not quite a repetition */
        {"0123456789x", NULL, NULL}, /* not quite a sequence */
        {P1024, NULL, NULL},
        {P1024 "z", NULL, "must be at most 1024 characters"},
        {NULL, NULL, "is required"},
        {"", NULL, "is required"},
        {"short1!", NULL, "must be at least 10 characters"},
        {"abcdefgh1", NULL, "must be at least 10 characters"},
        {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL, "at least 10"}, /* 10 bytes, 5 chars */
        {"password123", NULL, "most commonly used"},
        {"PassWord123", NULL, "most commonly used"},
        {"qwerty12345", NULL, "most commonly used"},
        {"1q2w3e4r5t", NULL, "most commonly used"},
        {"jane.doe@example.com", "jane.doe@example.com", "must not be your email address"},
        {"JANE.DOE@EXAMPLE.COM", "jane.doe@example.com", "must not be your email address"},
        {"jane.doe.smith", "jane.doe.smith@example.com", "name part of your email"},
        {"Jane.Doe.Smith", "jane.doe.smith@example.com", "name part of your email"},
        {"jane.doe.smith", "someone.else@example.com", NULL},
        {"aaaaaaaaaaaa", NULL, "repeated"},
        {"abcabcabcabc", NULL, "repeated"},
        {"AbAbAbAbAbAb", NULL, "repeated"},
        {"1234123412341", NULL, "repeated"},
        {"0123456789", NULL, "simple sequence"},
        {"1234567890", NULL, "simple sequence"},
        {"9876543210", NULL, "simple sequence"},
        {"5678901234", NULL, "simple sequence"},
        {"123456789012345678", NULL, "simple sequence"},
        {"abcdefghijkl", NULL, "simple sequence"},
        {"ZYXWVUTSRQ", NULL, "simple sequence"},
        {"qwertyuiop", NULL, "simple sequence"},
        {"poiuytrewq", NULL, "simple sequence"},
        {"asdfghjkl;'", NULL, "simple sequence"},
        {"1qaz2wsx3edc4rfv", NULL, "simple sequence"},
        {"pass\tword123", NULL, "control characters, tabs or line breaks"},
        {"pass\nword123", NULL, "control characters, tabs or line breaks"},
        {"pass\x01word12", NULL, "control characters"},
        {"\xff"
         "abcdefghijk",
         NULL, "valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gh_field_error err = {.message = "untouched"};
        bool ok = gh_validate_password("password", rows[i].password, rows[i].email, &err);
        if (ok != (rows[i].error == NULL))
            fail_msg("row %zu \"%.40s\": %s (%s)", i,
                     rows[i].password ? rows[i].password : "(null)", ok ? "accepted" : "refused",
                     err.message);
        assert_int_equal(gh_validate_password("password", rows[i].password, rows[i].email, NULL),
                         ok);
        if (ok)
            continue;
        assert_string_equal(err.field, "password");
        if (!strstr(err.message, rows[i].error))
            fail_msg("row %zu: \"%s\" lacks \"%s\"", i, err.message, rows[i].error);
        /* A message never repeats the password. */
        if (rows[i].password && strlen(rows[i].password) >= 5)
            assert_null(strstr(err.message, rows[i].password));
    }
}

/* ---- identifiers ---------------------------------------------------------------- */

static void test_tenant(void **state)
{
    static const char rule[] = "2 to 63 characters of lower-case letters, digits and '-'";
    static const struct vcase cases[] = {
        {"acme", NULL},     {"a1", NULL},          {"0x", NULL},          {"acme-corp-eu", NULL},
        {A60 "abc", NULL},  {NULL, "is required"}, {"", "is required"},   {"a", rule},
        {A60 "abcd", rule}, {"Acme", rule},        {"-acme", rule},       {"acme-", rule},
        {"ac_me", rule},    {"ac me", rule},       {"tenant:acme", rule}, {"acm\xc3\xa9", rule},
    };
    RUN(gh_validate_tenant, cases);
}

static void test_slug(void **state)
{
    static const char rule[] = "1 to 64 characters of lower-case letters, digits, '.', '_' and '-'";
    static const struct vcase cases[] = {
        {"ola", NULL},       {"a", NULL},         {"9lives", NULL},      {"ola-service", NULL},
        {"ola.v2", NULL},    {"x_y", NULL},       {A60 "abcd", NULL},    {NULL, "is required"},
        {"", "is required"}, {A60 "abcde", rule}, {"Ola", rule},         {"-ola", rule},
        {".ola", rule},      {"_ola", rule},      {"ola service", rule}, {"ola/x", rule},
        {"ola:x", rule},
    };
    RUN(gh_validate_slug, cases);
}

static void test_identifier(void **state)
{
    static const char rule[] = "1 to 64 characters of letters, digits, '.', '_' and '-'";
    static const struct vcase cases[] = {
        {"gold", NULL},      {"PSD2", NULL},      {"customerId", NULL}, {"X-Customer-Number", NULL},
        {"a.b_c-d", NULL},   {"X", NULL},         {A60 "abcd", NULL},   {NULL, "is required"},
        {"", "is required"}, {A60 "abcde", rule}, {"_x", rule},         {"-x", rule},
        {"a b", rule},       {"a:b", rule},       {"a{b}", rule},       {"\xc3\xa9", rule},
    };
    RUN(gh_validate_identifier, cases);
}

static void test_scope(void **state)
{
    static const char rule[] = "1 to 128 printable ASCII characters without spaces";
    static const struct vcase cases[] = {
        {"profile", NULL},
        {"openid", NULL},
        {"read:orders", NULL},
        {"https://api.example.com/orders.read", NULL},
        {"!#$%&'()*+,-./:;<=>?@[]^_`{|}~", NULL},
        {A100 "abcdefghijklmnopqrstuvwxyz01", NULL}, /* 128 */
        {NULL, "is required"},
        {"", "is required"},
        {A100 "abcdefghijklmnopqrstuvwxyz012", rule}, /* 129 */
        {"a b", rule},
        {"a\"b", rule},
        {"a\\b", rule},
        {"\xc3\xa9", rule},
        {"a\x01", rule},
        {"a\x7f", rule},
    };
    RUN(gh_validate_scope, cases);
}

static void test_audience(void **state)
{
    static const char rule[] = "1 to 255 characters of letters, digits and . _ ~ : / -";
    static const struct vcase cases[] = {
        {"connectapi", NULL},
        {"urn:example:api", NULL},
        {"https://api.example.com/v1", NULL},
        {"api_v1.x~y", NULL},
        {A200 A50 "abcde", NULL}, /* 255 */
        {NULL, "is required"},
        {"", "is required"},
        {A200 A50 "abcdef", rule},
        {"https://api.example.com/?x=1", rule},
        {"api#frag", rule},
        {"/path", rule},
        {"-x", rule},
        {"connect api", rule},
    };
    RUN(gh_validate_audience, cases);
}

static void test_client_id(void **state)
{
    static const char rule[] = "3 to 128 characters of letters, digits and . _ ~ -";
    static const struct vcase cases[] = {
        {"abc", NULL},
        {"my.client_id-1~x", NULL},
        {"-leading-dash-is-unreserved", NULL},
        {"B2B-Partner.Client", NULL},
        {A100 "abcdefghijklmnopqrstuvwxyz01", NULL}, /* 128 */
        {NULL, "is required"},
        {"", "is required"},
        {"ab", rule},
        {A100 "abcdefghijklmnopqrstuvwxyz012", rule},
        {"my client", rule},
        {"client@example", rule},
        {"client:secret", rule},
        {"client/x", rule},
        {"client%20x", rule},
        {"cli\xc3\xa9nt", rule},
    };
    RUN(gh_validate_client_id, cases);
}

/* ---- URIs and paths ---------------------------------------------------------------- */

static void test_redirect_uri(void **state)
{
    static const char absolute[] = "must be an absolute https URL (http only for localhost, "
                                   "127.0.0.1 or [::1]) without a fragment";
    static const struct vcase cases[] = {
        {"https://app.example.com/callback", NULL},
        {"https://app.example.com", NULL},
        {"https://app.example.com:8443/cb?x=1&y=%20z", NULL},
        {"https://app/cb", NULL},
        {"https://APP.Example.com/cb", NULL},
        {"https://xn--bcher-kva.example/cb", NULL},
        {"https://192.0.2.10/cb", NULL},
        {"https://[2001:db8::1]/cb", NULL},
        {"https://[2001:db8::1]:8443/cb", NULL},
        {"https://example.com/a/b;c=d/e@f:g!$&'()*+,=~", NULL},
        {"https://example.com:65535/", NULL},
        {"http://localhost/cb", NULL},
        {"http://localhost:3000/cb", NULL},
        {"http://LOCALHOST:3000/cb", NULL},
        {"http://127.0.0.1:8080/callback", NULL},
        {"http://[::1]:8080/cb", NULL},
        {"https://example.com/" A2000 A10 A10 "aaaaaaaa", NULL}, /* 2048 */
        {NULL, "is required"},
        {"", "is required"},
        {"https://example.com/" A2000 A10 A10 "aaaaaaaaa", "at most 2048"},
        {"ftp://example.com/cb", absolute},
        {"/callback", absolute},
        {"HTTPS://example.com/cb", absolute},
        {"example.com/cb", absolute},
        {"https:/example.com/cb", absolute},
        {"javascript:alert(1)", absolute},
        {"com.example.app:/oauth", absolute},
        {"http://example.com/cb", "must use https (http is only allowed for localhost"},
        {"http://localhost.example.com/cb", "must use https"},
        {"http://127.0.0.2/cb", "must use https"},
        {"http://[::2]/cb", "must use https"},
        {"https://example.com/cb#frag", "must not contain a fragment"},
        {"https://example.com/cb#", "must not contain a fragment"},
        {"https://user:pw@example.com/cb", "must not contain a user name or password"},
        {"https://user@example.com/", "must not contain a user name or password"},
        {"https:///cb", "must name a host"},
        {"https://", "must name a host"},
        {"https://:443/cb", "must name a host"},
        {"https://?x=1", "must name a host"},
        {"https://exa_mple.com/cb", "invalid host name"},
        {"https://-example.com/", "invalid host name"},
        {"https://example-.com/", "invalid host name"},
        {"https://example..com/", "invalid host name"},
        {"https://example.com./", "invalid host name"},
        {"https://" A60 "abcd.example.com/", "invalid host name"},
        {"https://[::1/cb", "invalid host name"},
        {"https://[xyz]/", "invalid host name"},
        {"https://[]/", "invalid host name"},
        {"https://[::1]x/", "invalid port"},
        {"https://example.com:0/cb", "invalid port"},
        {"https://example.com:65536/", "invalid port"},
        {"https://example.com:123456/", "invalid port"},
        {"https://example.com:/", "invalid port"},
        {"https://example.com:8a/", "invalid port"},
        {"https://example.com:-1/", "invalid port"},
        {"https://example.com/a b", "must not contain spaces, control or non-ASCII"},
        {"https://example.com/\x01", "must not contain spaces, control or non-ASCII"},
        {"https://example.com/\xc3\xa9", "must not contain spaces, control or non-ASCII"},
        {"https://example.com/%zz", "malformed percent-escape"},
        {"https://example.com/%4", "malformed percent-escape"},
        {"https://example.com/a<b", "not allowed in a URL path or query"},
        {"https://example.com/{x}", "not allowed in a URL path or query"},
        {"https://example.com/a\\b", "not allowed in a URL path or query"},
    };
    RUN(gh_validate_redirect_uri, cases);
}

static void test_path_prefix(void **state)
{
    static const struct vcase cases[] = {
        {"/", NULL},
        {"/ola", NULL},
        {"/ola/v1/", NULL},
        {"/a-b_c.d~e/f:g@h!$&'()*+,;=", NULL},
        {"/x%20y", NULL},
        {"/v1.0/x", NULL},
        {"/.well-known/x", NULL},
        {"/" A1000 A10 A10 "aaa", NULL}, /* 1024 */
        {NULL, "is required"},
        {"", "is required"},
        {"/" A1000 A10 A10 "aaaa", "at most 1024"},
        {"ola", "must start with '/'"},
        {"https://example.com/ola", "must start with '/'"},
        {"/ola?x=1", "must not contain a query"},
        {"/ola#x", "must not contain a fragment"},
        {"/ola/../admin", "must not contain '..'"},
        {"/ola/..", "must not contain '..'"},
        {"/a..b", "must not contain '..'"},
        {"/ola/./x", "must not contain a '.' segment"},
        {"/ola/.", "must not contain a '.' segment"},
        {"/%2e%2e/admin", "percent-encoded dot"},
        {"/ola/%2E", "percent-encoded dot"},
        {"/ola x", "must not contain spaces"},
        {"/ola\t", "must not contain spaces"},
        {"/\xc3\xa9", "must not contain spaces"},
        {"/%g0", "malformed percent-escape"},
        {"/ola%", "malformed percent-escape"},
        {"/a{b}", "not allowed in a URL path"},
        {"/a\\b", "not allowed in a URL path"},
        {"/a\"b", "not allowed in a URL path"},
    };
    RUN(gh_validate_path_prefix, cases);
}

/* ---- customer numbers (seed 001) ------------------------------------------------------- */

static void test_customer_number(void **state)
{
    static const char rule[] = "printable ASCII characters without spaces or commas";
    static const struct vcase cases[] = {
        {"12345", NULL},
        {"C-001/ABC", NULL},
        {"a", NULL},
        {A60 "1234", NULL},
        {NULL, "is required"},
        {"", "is required"},
        {A60 "12345", "at most 64"},
        {"12 34", rule},
        {"1,2", rule},
        {"1\x01", rule},
        {"\xc3\xa9", rule},
    };
    RUN(gh_validate_customer_number, cases);
}

static void test_customer_number_location(void **state)
{
    static const struct {
        enum gh_customer_number_in in;
        const char *name, *tmpl;
        const char *field, *error; /* NULL error: valid */
    } rows[] = {
        {GH_CN_NONE, NULL, NULL, NULL, NULL},
        {GH_CN_NONE, "bad name", "no template", NULL, NULL}, /* not looked at */
        {GH_CN_QUERY, "customerId", NULL, NULL, NULL},
        {GH_CN_HEADER, "X-Customer-Number", NULL, NULL, NULL},
        {GH_CN_PATH, "customerId", "/ola/customers/{customerId}/orders", NULL, NULL},
        {GH_CN_PATH, "customerId", "/ola/customers/{customerId}", NULL, NULL},
        {GH_CN_PATH, "id", "/{id}", NULL, NULL},
        {GH_CN_QUERY, NULL, NULL, "customer_number_name", "is required"},
        {GH_CN_HEADER, "bad name", NULL, "customer_number_name", "must be 1 to 64 characters"},
        {GH_CN_PATH, NULL, "/x/{customerId}", "customer_number_name", "is required"},
        {GH_CN_PATH, "customerId", NULL, "customer_number_template", "is required"},
        {GH_CN_PATH, "customerId", "ola/{customerId}", "customer_number_template",
         "must start with '/'"},
        {GH_CN_PATH, "customerId", "/ola/customers", "customer_number_template",
         "must contain {customerId} exactly once"},
        {GH_CN_PATH, "customerId", "/a/{customerId}/b/{customerId}", "customer_number_template",
         "must contain {customerId} exactly once"},
        {GH_CN_PATH, "customerId", "/a/{customerid}", "customer_number_template",
         "must contain {customerId} exactly once"},
        {GH_CN_PATH, "customerId", "/a/{customerId}/{x}", "customer_number_template",
         "must not contain braces other than those of {customerId}"},
        {GH_CN_PATH, "customerId", "/a/{customerId}}", "customer_number_template",
         "must not contain braces other than those of {customerId}"},
        {GH_CN_PATH, "customerId", "/a/c-{customerId}", "customer_number_template",
         "must be a whole path segment"},
        {GH_CN_PATH, "customerId", "/a/{customerId}x/b", "customer_number_template",
         "must be a whole path segment"},
        {GH_CN_PATH, "customerId", "/a/{customerId}?q=1", "customer_number_template",
         "must not contain a query"},
        {GH_CN_PATH, "customerId", "/../{customerId}", "customer_number_template",
         "must not contain '..'"},
        {(enum gh_customer_number_in)7, "customerId", NULL, "customer_number_in",
         "must be one of none, query, header, path"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gh_field_error err = {.field = "untouched", .message = "untouched"};
        bool ok =
            gh_validate_customer_number_location(rows[i].in, rows[i].name, rows[i].tmpl, &err);
        if (ok != (rows[i].error == NULL))
            fail_msg("row %zu: %s (%s)", i, ok ? "accepted" : "refused", err.message);
        if (ok)
            continue;
        assert_string_equal(err.field, rows[i].field);
        if (!strstr(err.message, rows[i].error))
            fail_msg("row %zu: \"%s\" lacks \"%s\"", i, err.message, rows[i].error);
    }
}

/* ---- grant types, validity, plan limits ------------------------------------------------- */

static void test_grant_type(void **state)
{
    static const char known[] =
        "must be one of client_credentials, authorization_code, refresh_token";
    static const struct vcase cases[] = {
        {"client_credentials", NULL},
        {"authorization_code", NULL},
        {"refresh_token", NULL},
        {NULL, "is required"},
        {"", "is required"},
        {"password", known},
        {"implicit", known},
        {"Client_Credentials", known},
        {"client_credentials ", known},
        {"urn:ietf:params:oauth:grant-type:jwt-bearer", known},
    };
    RUN(gh_validate_grant_type, cases);
    assert_true(gh_grant_type_known("client_credentials"));
    assert_false(gh_grant_type_known("password"));
    assert_false(gh_grant_type_known(NULL));
}

static void test_validity(void **state)
{
    static const struct {
        int64_t value, max;
        const char *unit, *error;
    } rows[] = {
        {0, GH_ACCESS_TOKEN_VALIDITY_MAX_SECS, "seconds", NULL}, /* the default */
        {1, GH_ACCESS_TOKEN_VALIDITY_MAX_SECS, "seconds", NULL},
        {86400, GH_ACCESS_TOKEN_VALIDITY_MAX_SECS, "seconds", NULL},
        {31536000, GH_ACCESS_TOKEN_VALIDITY_MAX_SECS, "seconds", NULL}, /* one year */
        {31536001, GH_ACCESS_TOKEN_VALIDITY_MAX_SECS, "seconds",
         "must be at most 31536000 seconds"},
        {INT64_MAX, GH_REFRESH_TOKEN_VALIDITY_MAX_SECS, "seconds",
         "must be at most 31536000 seconds"},
        {-1, GH_ACCESS_TOKEN_VALIDITY_MAX_SECS, "seconds", "must not be negative"},
        {INT64_MIN, GH_ACCESS_TOKEN_VALIDITY_MAX_SECS, "seconds", "must not be negative"},
        {1440, GH_ID_TOKEN_VALIDITY_MAX_MINS, "minutes", NULL},
        {1441, GH_ID_TOKEN_VALIDITY_MAX_MINS, "minutes", "must be at most 1440 minutes"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gh_field_error err = {.message = "untouched"};
        bool ok = gh_validate_validity("ttl", rows[i].value, rows[i].max, rows[i].unit, &err);
        if (ok != (rows[i].error == NULL))
            fail_msg("row %zu: %s (%s)", i, ok ? "accepted" : "refused", err.message);
        if (!ok) {
            assert_string_equal(err.field, "ttl");
            if (!strstr(err.message, rows[i].error))
                fail_msg("row %zu: \"%s\" lacks \"%s\"", i, err.message, rows[i].error);
        }
    }
}

static void test_plan_limits(void **state)
{
    static const struct {
        int64_t rate, window, quota;
        enum gh_quota_period period;
        const char *field, *error;
    } rows[] = {
        {0, 0, 0, GH_QUOTA_NONE, NULL, NULL}, /* unlimited */
        {100, 60, 0, GH_QUOTA_NONE, NULL, NULL},
        {100, 86400, 0, GH_QUOTA_NONE, NULL, NULL},
        {0, 60, 0, GH_QUOTA_NONE, NULL, NULL},
        {0, 0, 1000, GH_QUOTA_DAY, NULL, NULL},
        {10, 1, 100000, GH_QUOTA_MONTH, NULL, NULL},
        {0, 0, 0, GH_QUOTA_MONTH, NULL, NULL},
        {100, 0, 0, GH_QUOTA_NONE, "rate_limit_window_secs",
         "must be greater than 0 when rate_limit_requests is set"},
        {-1, 60, 0, GH_QUOTA_NONE, "rate_limit_requests", "must not be negative"},
        {0, -5, 0, GH_QUOTA_NONE, "rate_limit_window_secs", "must not be negative"},
        {100, 86401, 0, GH_QUOTA_NONE, "rate_limit_window_secs", "must be at most 86400 seconds"},
        {0, 0, -1, GH_QUOTA_DAY, "quota_requests", "must not be negative"},
        {0, 0, 1000, GH_QUOTA_NONE, "quota_period", "must be day or month"},
        {0, 0, 0, (enum gh_quota_period)9, "quota_period", "must be one of none, day, month"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gh_plan p = {.name = "Gold",
                            .rate_limit_requests = rows[i].rate,
                            .rate_limit_window_secs = rows[i].window,
                            .quota_requests = rows[i].quota,
                            .quota_period = rows[i].period};
        struct gh_field_error err = {.message = "untouched"};
        bool ok = gh_validate_plan_limits(&p, &err);
        if (ok != (rows[i].error == NULL))
            fail_msg("row %zu: %s (%s)", i, ok ? "accepted" : "refused", err.message);
        if (ok)
            continue;
        assert_string_equal(err.field, rows[i].field);
        if (!strstr(err.message, rows[i].error))
            fail_msg("row %zu: \"%s\" lacks \"%s\"", i, err.message, rows[i].error);
    }
}

/* ---- lists -------------------------------------------------------------------------------- */

static void test_list(void **state)
{
    static char *ok2[] = {"profile", "orders:read"};
    static char *dup[] = {"profile", "orders:read", "profile"};
    static char *bad[] = {"profile", "a b"};
    static char *three[] = {"a", "b", "c"};
    static const struct {
        struct gh_strlist list;
        size_t max;
        const char *error;
    } rows[] = {
        {{0, NULL}, 2, NULL},
        {{2, ok2}, 2, NULL},
        {{3, dup}, 5, "entry 3 repeats entry 1"},
        {{2, bad}, 5, "entry 2: must be 1 to 128 printable ASCII characters"},
        {{3, three}, 2, "must have at most 2 entries"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gh_field_error err = {.message = "untouched"};
        bool ok = gh_validate_list("scopes", &rows[i].list, rows[i].max, gh_validate_scope, &err);
        if (ok != (rows[i].error == NULL))
            fail_msg("row %zu: %s (%s)", i, ok ? "accepted" : "refused", err.message);
        if (ok)
            continue;
        assert_string_equal(err.field, "scopes");
        if (!strstr(err.message, rows[i].error))
            fail_msg("row %zu: \"%s\" lacks \"%s\"", i, err.message, rows[i].error);
    }
}

/* ---- whole entities ------------------------------------------------------------------------- */

/* One change to a valid entity and the error it must cause (NULL: still
 * valid).  A row either sets the char * field at offset to value, or (offset
 * NONE) calls mutate. */
#define NONE ((size_t)-1)
struct entity_row {
    size_t offset;
    const char *value;
    void (*mutate)(void *entity);
    const char *field; /* NULL: no single field to blame */
    const char *error;
};

typedef bool (*entity_validator)(const void *entity, struct gh_field_error *err);

static void run_entity(const char *what, const void *base, size_t size, entity_validator validate,
                       const struct entity_row *rows, size_t n)
{
    struct gh_field_error err = {.message = "untouched"};
    if (!validate(base, &err))
        fail_msg("%s: the base entity is refused: %s", what, err.message);
    unsigned char copy[512];
    assert_true(size <= sizeof copy);
    for (size_t i = 0; i < n; i++) {
        const struct entity_row *r = &rows[i];
        memcpy(copy, base, size);
        if (r->offset != NONE) {
            char *v = (char *)r->value;
            memcpy(copy + r->offset, &v, sizeof v);
        } else {
            r->mutate(copy);
        }
        err = (struct gh_field_error){.field = "untouched", .message = "untouched"};
        bool ok = validate(copy, &err);
        if (ok != (r->error == NULL))
            fail_msg("%s row %zu: %s (%s)", what, i, ok ? "accepted" : "refused", err.message);
        if (ok)
            continue;
        if (r->field)
            assert_string_equal(err.field, r->field);
        else
            assert_null(err.field);
        if (!strstr(err.message, r->error))
            fail_msg("%s row %zu: \"%s\" lacks \"%s\"", what, i, err.message, r->error);
    }
}

#define RUN_ENTITY(validate, base, rows)                                                           \
    run_entity(#validate, &(base), sizeof(base), validate, rows, sizeof rows / sizeof rows[0])
#define SET(type, member, value, field, error)                                                     \
    {                                                                                              \
        offsetof(type, member), value, NULL, field, error                                          \
    }
#define MUT(fn, field, error)                                                                      \
    {                                                                                              \
        NONE, NULL, fn, field, error                                                               \
    }

/* The validators take typed pointers; these adapters give them one signature. */
static bool user_validate(const void *e, struct gh_field_error *err)
{
    return gh_user_validate(e, err);
}
static bool org_validate(const void *e, struct gh_field_error *err)
{
    return gh_org_validate(e, err);
}
static bool api_validate(const void *e, struct gh_field_error *err)
{
    return gh_api_validate(e, err);
}
static bool plan_validate(const void *e, struct gh_field_error *err)
{
    return gh_plan_validate(e, err);
}
static bool app_validate(const void *e, struct gh_field_error *err)
{
    return gh_app_validate(e, err);
}
static bool access_status_validate(const void *e, struct gh_field_error *err)
{
    return gh_access_status_validate(e, err);
}

static void test_user_validate(void **state)
{
    static const struct gh_user base = {.email = "jane@example.com", .name = "Jane Doe"};
    static const struct entity_row rows[] = {
        SET(struct gh_user, email, NULL, "email", "is required"),
        SET(struct gh_user, email, "jane", "email", "like name@example.com"),
        SET(struct gh_user, name, NULL, "name", "is required"),
        SET(struct gh_user, name, "1234", "name", "at least one letter"),
        SET(struct gh_user, name, "Zo\xc3\xab", NULL, NULL),
    };
    RUN_ENTITY(user_validate, base, rows);
}

static char *two_numbers[] = {"C-100", "C-200"};
static char *dup_numbers[] = {"C-100", "C-100"};
static char *bad_number[] = {"C 100"};
static char *roles_ok[] = {"gold", "PSD2"};
static char *roles_bad[] = {"gold", "bad role"};

static void org_neither(void *e)
{
    ((struct gh_org *)e)->partner = false;
}
static void org_provider_only(void *e)
{
    struct gh_org *o = e;
    o->partner = false;
    o->provider = true;
    o->tenant = NULL;
}
static void org_provider_with_tenant(void *e)
{
    org_provider_only(e);
    ((struct gh_org *)e)->tenant = "bank";
}
static void org_provider_with_numbers(void *e)
{
    org_provider_only(e);
    ((struct gh_org *)e)->customer_numbers = (struct gh_strlist){2, two_numbers};
}
static void org_provider_with_roles(void *e)
{
    org_provider_only(e);
    ((struct gh_org *)e)->partner_roles = (struct gh_strlist){2, roles_ok};
}
static void org_both(void *e)
{
    ((struct gh_org *)e)->provider = true;
}
static void org_numbers(void *e)
{
    ((struct gh_org *)e)->customer_numbers = (struct gh_strlist){2, two_numbers};
}
static void org_dup_numbers(void *e)
{
    ((struct gh_org *)e)->customer_numbers = (struct gh_strlist){2, dup_numbers};
}
static void org_bad_number(void *e)
{
    ((struct gh_org *)e)->customer_numbers = (struct gh_strlist){1, bad_number};
}
static void org_roles(void *e)
{
    ((struct gh_org *)e)->partner_roles = (struct gh_strlist){2, roles_ok};
}
static void org_bad_roles(void *e)
{
    ((struct gh_org *)e)->partner_roles = (struct gh_strlist){2, roles_bad};
}

static void test_org_validate(void **state)
{
    static const struct gh_org base = {.name = "Acme",
                                       .description = "Buys things.",
                                       .partner = true,
                                       .tenant = "acme",
                                       .contact_email = "api@acme.example",
                                       .contact_phone = "+45 12 34 56 78",
                                       .responsible_email = "cto@acme.example"};
    static const struct entity_row rows[] = {
        SET(struct gh_org, name, NULL, "name", "is required"),
        SET(struct gh_org, name, "", "name", "must not be empty"),
        SET(struct gh_org, description, A2000 "a", "description", "at most 2000"),
        SET(struct gh_org, description, NULL, NULL, NULL),
        MUT(org_neither, NULL, "must be a provider, a partner or both"),
        SET(struct gh_org, tenant, NULL, "tenant", "is required for a partner organization"),
        SET(struct gh_org, tenant, "Acme!", "tenant", "lower-case letters"),
        MUT(org_provider_only, NULL, NULL),
        MUT(org_provider_with_tenant, "tenant", "is only for partner organizations"),
        MUT(org_provider_with_numbers, "customer_numbers", "only for partner organizations"),
        MUT(org_provider_with_roles, "partner_roles", "only for partner organizations"),
        MUT(org_both, NULL, NULL),
        MUT(org_numbers, NULL, NULL),
        MUT(org_dup_numbers, "customer_numbers", "entry 2 repeats entry 1"),
        MUT(org_bad_number, "customer_numbers", "entry 1: must be printable ASCII"),
        MUT(org_roles, NULL, NULL),
        MUT(org_bad_roles, "partner_roles", "entry 2: must be 1 to 64"),
        SET(struct gh_org, contact_email, "api", "contact_email", "like name@example.com"),
        SET(struct gh_org, contact_email, NULL, NULL, NULL),
        SET(struct gh_org, responsible_email, "cto@acme", "responsible_email", "contain a dot"),
        SET(struct gh_org, contact_phone, "call us", "contact_phone", "must be a phone number"),
        SET(struct gh_org, contact_address, "Main St\x01", "contact_address", "control"),
        SET(struct gh_org, contact_address, "Main St 1\n1234 Town", NULL, NULL),
    };
    RUN_ENTITY(org_validate, base, rows);
}

static char *prefixes_ok[] = {"/ola", "/ola/v2"};
static char *prefixes_bad[] = {"/ola", "ola"};
static char *required_dup[] = {"gold", "gold"};

static void api_prefixes(void *e)
{
    ((struct gh_api *)e)->path_prefixes = (struct gh_strlist){2, prefixes_ok};
}
static void api_bad_prefixes(void *e)
{
    ((struct gh_api *)e)->path_prefixes = (struct gh_strlist){2, prefixes_bad};
}
static void api_bad_method(void *e)
{
    ((struct gh_api *)e)->auth_method = (enum gh_auth_method)9;
}
static void api_bad_hash(void *e)
{
    ((struct gh_api *)e)->access_token_hash_method = (enum gh_hash_method)5;
}
static void api_dup_roles(void *e)
{
    ((struct gh_api *)e)->required_roles = (struct gh_strlist){2, required_dup};
}
static void api_cn_path(void *e)
{
    struct gh_api *a = e;
    a->customer_number_in = GH_CN_PATH;
    a->customer_number_template = "/ola/customers/{customerId}/orders";
}
static void api_cn_path_bad(void *e)
{
    struct gh_api *a = e;
    a->customer_number_in = GH_CN_PATH;
    a->customer_number_template = "/ola/customers/{id}";
}
static void api_cn_query_no_name(void *e)
{
    struct gh_api *a = e;
    a->customer_number_in = GH_CN_QUERY;
    a->customer_number_name = NULL;
}

static void test_api_validate(void **state)
{
    static const struct gh_api base = {.name = "Orders API",
                                       .service = "ola",
                                       .audience = "connectapi",
                                       .customer_number_in = GH_CN_HEADER,
                                       .customer_number_name = "customerId"};
    static const struct entity_row rows[] = {
        SET(struct gh_api, name, NULL, "name", "is required"),
        SET(struct gh_api, description, "bad\x02", "description", "control"),
        SET(struct gh_api, service, NULL, "service", "is required"),
        SET(struct gh_api, service, "Ola", "service", "lower-case letters"),
        SET(struct gh_api, audience, NULL, NULL, NULL),
        SET(struct gh_api, audience, "https://api.example.com/?x", "audience", "1 to 255"),
        MUT(api_prefixes, NULL, NULL),
        MUT(api_bad_prefixes, "path_prefixes", "entry 2: must start with '/'"),
        MUT(api_bad_method, "auth_method",
            "must be one of manual_handover, access_token, api_key, oauth2, basic, mtls"),
        MUT(api_bad_hash, "access_token_hash_method", "must be one of sha256, sha512"),
        MUT(api_dup_roles, "required_roles", "entry 2 repeats entry 1"),
        MUT(api_cn_path, NULL, NULL),
        MUT(api_cn_path_bad, "customer_number_template", "must contain {customerId} exactly once"),
        MUT(api_cn_query_no_name, "customer_number_name", "is required"),
    };
    RUN_ENTITY(api_validate, base, rows);
}

static void plan_bad_approval(void *e)
{
    ((struct gh_plan *)e)->approval = (enum gh_plan_approval)5;
}
static void plan_auto(void *e)
{
    ((struct gh_plan *)e)->approval = GH_APPROVAL_AUTO;
}
static void plan_no_window(void *e)
{
    ((struct gh_plan *)e)->rate_limit_window_secs = 0;
}

static void test_plan_validate(void **state)
{
    static const struct gh_plan base = {.name = "Gold",
                                        .description = "1000 calls a day",
                                        .rate_limit_requests = 10,
                                        .rate_limit_window_secs = 1,
                                        .quota_requests = 1000,
                                        .quota_period = GH_QUOTA_DAY};
    static const struct entity_row rows[] = {
        SET(struct gh_plan, name, NULL, "name", "is required"),
        SET(struct gh_plan, description, A2000 "x", "description", "at most 2000"),
        MUT(plan_no_window, "rate_limit_window_secs", "greater than 0"),
        MUT(plan_bad_approval, "approval", "must be one of provider, auto"),
        MUT(plan_auto, NULL, NULL),
    };
    RUN_ENTITY(plan_validate, base, rows);
}

static char *uris_ok[] = {"https://shop.example/cb", "http://localhost:3000/cb"};
static char *uris_http[] = {"https://shop.example/cb", "http://shop.example/cb"};
static char *uris_fragment[] = {"https://shop.example/bye#x"};
static char *grants_ok[] = {"client_credentials", "refresh_token"};
static char *grants_bad[] = {"client_credentials", "password"};
static char *scopes_bad[] = {"a b"};
static char *many_uris[101];

static void app_uris(void *e)
{
    ((struct gh_app *)e)->redirect_uris = (struct gh_strlist){2, uris_ok};
}
static void app_http_uri(void *e)
{
    ((struct gh_app *)e)->redirect_uris = (struct gh_strlist){2, uris_http};
}
static void app_logout_fragment(void *e)
{
    ((struct gh_app *)e)->logout_uris = (struct gh_strlist){1, uris_fragment};
}
static void app_grants(void *e)
{
    ((struct gh_app *)e)->grant_types = (struct gh_strlist){2, grants_ok};
}
static void app_bad_grants(void *e)
{
    ((struct gh_app *)e)->grant_types = (struct gh_strlist){2, grants_bad};
}
static void app_bad_scopes(void *e)
{
    ((struct gh_app *)e)->scopes = (struct gh_strlist){1, scopes_bad};
}
static void app_many_uris(void *e)
{
    for (size_t i = 0; i < 101; i++)
        many_uris[i] = "https://shop.example/cb"; /* the count is checked before the entries */
    ((struct gh_app *)e)->redirect_uris = (struct gh_strlist){101, many_uris};
}
static void app_bad_token_type(void *e)
{
    ((struct gh_app *)e)->token_type = (enum gh_token_type)7;
}
static void app_access_year(void *e)
{
    ((struct gh_app *)e)->access_token_validity_secs = 31536000;
}
static void app_access_too_long(void *e)
{
    ((struct gh_app *)e)->access_token_validity_secs = 31536001;
}
static void app_refresh_negative(void *e)
{
    ((struct gh_app *)e)->refresh_token_validity_secs = -1;
}
static void app_id_token_too_long(void *e)
{
    ((struct gh_app *)e)->id_token_validity_mins = 1441;
}

static void test_app_validate(void **state)
{
    static const struct gh_app base = {.name = "Shop",
                                       .description = "The web shop",
                                       .client_id = "shop-client",
                                       .confidential = true,
                                       .token_type = GH_TOKEN_UUID};
    static const struct entity_row rows[] = {
        SET(struct gh_app, name, NULL, "name", "is required"),
        SET(struct gh_app, name, A200 "a", "name", "at most 200"),
        SET(struct gh_app, description, "x\xff", "description", "valid UTF-8"),
        SET(struct gh_app, client_id, NULL, "client_id", "is required"),
        SET(struct gh_app, client_id, "my client", "client_id", "3 to 128"),
        SET(struct gh_app, token_name, "default", NULL, NULL),
        SET(struct gh_app, token_name, "bad name", "token_name", "1 to 64"),
        MUT(app_bad_token_type, "token_type", "must be one of jwt, uuid"),
        MUT(app_uris, NULL, NULL),
        MUT(app_http_uri, "redirect_uris", "entry 2: must use https"),
        MUT(app_logout_fragment, "logout_uris", "entry 1: must not contain a fragment"),
        MUT(app_many_uris, "redirect_uris", "must have at most 100 entries"),
        MUT(app_grants, NULL, NULL),
        MUT(app_bad_grants, "grant_types", "entry 2: must be one of client_credentials"),
        MUT(app_bad_scopes, "scopes", "entry 1: must be 1 to 128"),
        MUT(app_access_year, NULL, NULL),
        MUT(app_access_too_long, "access_token_validity_secs", "at most 31536000 seconds"),
        MUT(app_refresh_negative, "refresh_token_validity_secs", "must not be negative"),
        MUT(app_id_token_too_long, "id_token_validity_mins", "at most 1440 minutes"),
    };
    RUN_ENTITY(app_validate, base, rows);
}

static void test_api_key_validate(void **state)
{
    static const struct {
        const char *name;
        int64_t expires_at;
        const char *field, *error;
    } rows[] = {
        {"ci", 0, NULL, NULL}, /* never expires */
        {"ci", 1001, NULL, NULL},
        {"ci", 1000, "expires_at", "must be in the future"},
        {"ci", 500, "expires_at", "must be in the future"},
        {"ci", -1, "expires_at", "must not be negative"},
        {NULL, 0, "name", "is required"},
        {"  ci", 0, "name", "must not begin or end with spaces"},
    };
    const int64_t now = 1000;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gh_api_key k = {.name = (char *)rows[i].name, .expires_at = rows[i].expires_at};
        struct gh_field_error err = {.message = "untouched"};
        bool ok = gh_api_key_validate(&k, now, &err);
        if (ok != (rows[i].error == NULL))
            fail_msg("row %zu: %s (%s)", i, ok ? "accepted" : "refused", err.message);
        if (ok)
            continue;
        assert_string_equal(err.field, rows[i].field);
        if (!strstr(err.message, rows[i].error))
            fail_msg("row %zu: \"%s\" lacks \"%s\"", i, err.message, rows[i].error);
    }
}

static void status_red(void *e)
{
    ((struct gh_access_status_rec *)e)->status = GH_ACCESS_RED;
}
static void status_red_no_reason(void *e)
{
    status_red(e);
    ((struct gh_access_status_rec *)e)->reason = NULL;
}
static void status_red_empty(void *e)
{
    status_red(e);
    ((struct gh_access_status_rec *)e)->reason = "";
}
static void status_red_blank(void *e)
{
    status_red(e);
    ((struct gh_access_status_rec *)e)->reason = " \n\t";
}
static void status_red_long(void *e)
{
    status_red(e);
    ((struct gh_access_status_rec *)e)->reason = A1000;
}
static void status_red_too_long(void *e)
{
    status_red(e);
    ((struct gh_access_status_rec *)e)->reason = A1000 "a";
}
static void status_red_control(void *e)
{
    status_red(e);
    ((struct gh_access_status_rec *)e)->reason = "unpaid\x1b";
}
static void status_red_multiline(void *e)
{
    status_red(e);
    ((struct gh_access_status_rec *)e)->reason = "Unpaid invoices.\nContact billing.";
}
static void status_bad(void *e)
{
    ((struct gh_access_status_rec *)e)->status = (enum gh_access_status)3;
}

static void test_access_status_validate(void **state)
{
    static const struct gh_access_status_rec base = {.app_id = "app_1",
                                                     .provider_org_id = "org_p",
                                                     .status = GH_ACCESS_GREEN,
                                                     .reason = "unpaid invoices"};
    static const struct entity_row rows[] = {
        SET(struct gh_access_status_rec, reason, NULL, NULL, NULL), /* green: optional */
        SET(struct gh_access_status_rec, reason, A1000 "a", "reason", "at most 1000"),
        MUT(status_red, NULL, NULL),
        MUT(status_red_no_reason, "reason", "is required when the access status is red"),
        MUT(status_red_empty, "reason", "is required when the access status is red"),
        MUT(status_red_blank, "reason", "is required when the access status is red"),
        MUT(status_red_long, NULL, NULL),
        MUT(status_red_too_long, "reason", "at most 1000 characters"),
        MUT(status_red_control, "reason", "control characters"),
        MUT(status_red_multiline, NULL, NULL),
        MUT(status_bad, "status", "must be one of green, red"),
    };
    RUN_ENTITY(access_status_validate, base, rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_email_normalize),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_person_name),
        cmocka_unit_test(test_description_and_address),
        cmocka_unit_test(test_phone),
        cmocka_unit_test(test_password),
        cmocka_unit_test(test_tenant),
        cmocka_unit_test(test_slug),
        cmocka_unit_test(test_identifier),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_audience),
        cmocka_unit_test(test_client_id),
        cmocka_unit_test(test_redirect_uri),
        cmocka_unit_test(test_path_prefix),
        cmocka_unit_test(test_customer_number),
        cmocka_unit_test(test_customer_number_location),
        cmocka_unit_test(test_grant_type),
        cmocka_unit_test(test_validity),
        cmocka_unit_test(test_plan_limits),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_user_validate),
        cmocka_unit_test(test_org_validate),
        cmocka_unit_test(test_api_validate),
        cmocka_unit_test(test_plan_validate),
        cmocka_unit_test(test_app_validate),
        cmocka_unit_test(test_api_key_validate),
        cmocka_unit_test(test_access_status_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
