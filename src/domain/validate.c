#include "domain/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- helpers -------------------------------------------------------------- */

/* Fills err (if any) and returns false, so every refusal is one statement. */
static bool fail(struct gh_field_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct gh_field_error *err, const char *field, const char *fmt, ...)
{
    if (!err)
        return false;
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}
static bool is_lower(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}
static bool is_alpha(unsigned char c)
{
    return is_lower(c) || (c >= 'A' && c <= 'Z');
}
static bool is_alnum(unsigned char c)
{
    return is_alpha(c) || is_digit(c);
}
static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* RFC 3986 unreserved and sub-delims. */
static bool is_unreserved(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
static bool is_sub_delim(unsigned char c)
{
    return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/* What a scan of UTF-8 text found. */
struct text_scan {
    size_t chars;    /* code points */
    bool bad_utf8;   /* malformed, overlong, surrogate or > U+10FFFF */
    bool control;    /* C0 (except \t \n \r), DEL or C1 */
    bool line_break; /* \t, \n or \r */
};

/* Strict UTF-8 decoding (RFC 3629): stops at the first malformed sequence. */
static void scan_text(const char *text, struct text_scan *t)
{
    const unsigned char *s = (const unsigned char *)text;
    *t = (struct text_scan){0};
    while (*s) {
        unsigned char c = *s;
        size_t len;
        unsigned char lo = 0x80, hi = 0xBF; /* range of the first continuation byte */
        if (c < 0x80) {
            if (c == '\t' || c == '\n' || c == '\r')
                t->line_break = true;
            else if (c < 0x20 || c == 0x7F)
                t->control = true;
            len = 1;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            if (c == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)
                t->control = true; /* U+0080..U+009F */
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; /* no overlongs */
            else if (c == 0xED)
                hi = 0x9F; /* no surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F; /* nothing above U+10FFFF */
        } else {
            t->bad_utf8 = true;
            return;
        }
        for (size_t i = 1; i < len; i++) {
            unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
            if (s[i] < min || s[i] > max) {
                t->bad_utf8 = true;
                return;
            }
        }
        s += len;
        t->chars++;
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A value made of one character class: min..max characters, the first one
 * from first(), the others from rest(); rule completes "must be …". */
static bool check_charset(const char *field, const char *value, size_t min, size_t max,
                          bool (*first)(unsigned char), bool (*rest)(unsigned char),
                          const char *rule, struct gh_field_error *err)
{
    if (!value || !*value)
        return fail(err, field, "is required");
    size_t n = strlen(value);
    if (n < min || n > max || !first((unsigned char)value[0]))
        return fail(err, field, "must be %s", rule);
    for (size_t i = 1; i < n; i++) {
        if (!rest((unsigned char)value[i]))
            return fail(err, field, "must be %s", rule);
    }
    return true;
}

/* Generates check_<prefix>(field, value, err): the value is one of the enum's
 * spellings in model.c (whose *_name gives "?" outside the enum), and the
 * message lists them all, so the two cannot drift apart. */
#define ENUM_CHECK(type, prefix)                                                                   \
    static bool check_##prefix(const char *field, enum type v, struct gh_field_error *err)         \
    {                                                                                              \
        if (strcmp(gh_##prefix##_name(v), "?") != 0)                                               \
            return true;                                                                           \
        char names[160] = "";                                                                      \
        size_t o = 0;                                                                              \
        for (int i = 0; o < sizeof names; i++) {                                                   \
            const char *name = gh_##prefix##_name((enum type)i);                                   \
            if (strcmp(name, "?") == 0)                                                            \
                break;                                                                             \
            o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", i ? ", " : "", name);       \
        }                                                                                          \
        return fail(err, field, "must be one of %s", names);                                       \
    }

ENUM_CHECK(gh_auth_method, auth_method)
ENUM_CHECK(gh_hash_method, hash_method)
ENUM_CHECK(gh_customer_number_in, customer_number_in)
ENUM_CHECK(gh_plan_approval, plan_approval)
ENUM_CHECK(gh_quota_period, quota_period)
ENUM_CHECK(gh_token_type, token_type)
ENUM_CHECK(gh_access_status, access_status)

/* ---- text ----------------------------------------------------------------- */

bool gh_validate_text(const char *field, const char *value, size_t min_chars, size_t max_chars,
                      bool multiline, struct gh_field_error *err)
{
    if (!value)
        return min_chars == 0 ? true : fail(err, field, "is required");
    struct text_scan t;
    scan_text(value, &t);
    if (t.bad_utf8)
        return fail(err, field, "must be valid UTF-8 text");
    if (t.control)
        return fail(err, field,
                    multiline ? "must not contain control characters other than line breaks "
                                "and tabs"
                              : "must not contain control characters");
    if (!multiline && t.line_break)
        return fail(err, field, "must be a single line (no line breaks or tabs)");
    if (t.chars < min_chars)
        return min_chars == 1 ? fail(err, field, "must not be empty")
                              : fail(err, field, "must be at least %zu characters", min_chars);
    if (t.chars > max_chars)
        return fail(err, field, "must be at most %zu characters", max_chars);
    size_t n = strlen(value);
    if (!multiline && n > 0 && (is_space(value[0]) || is_space(value[n - 1])))
        return fail(err, field, "must not begin or end with spaces");
    return true;
}

bool gh_validate_name(const char *field, const char *value, struct gh_field_error *err)
{
    return gh_validate_text(field, value, 1, GH_NAME_MAX, false, err);
}

bool gh_validate_person_name(const char *field, const char *value, struct gh_field_error *err)
{
    if (!gh_validate_text(field, value, 1, GH_NAME_MAX, false, err))
        return false;
    if (strpbrk(value, "<>\""))
        return fail(err, field, "must not contain '<', '>' or '\"'");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (is_alpha(*p) || *p >= 0x80) /* non-ASCII: letters of other scripts */
            return true;
    }
    return fail(err, field, "must contain at least one letter");
}

bool gh_validate_description(const char *field, const char *value, struct gh_field_error *err)
{
    return gh_validate_text(field, value, 0, GH_DESCRIPTION_MAX, true, err);
}

bool gh_validate_address(const char *field, const char *value, struct gh_field_error *err)
{
    return gh_validate_text(field, value, 0, GH_ADDRESS_MAX, true, err);
}

bool gh_validate_phone(const char *field, const char *value, struct gh_field_error *err)
{
    if (!value)
        return true;
    size_t n = strlen(value), digits = 0;
    bool ok = n >= 3 && n <= 32;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if (is_digit(c))
            digits++;
        else if (!strchr(" +()-./", c))
            ok = false;
    }
    if (!ok || digits < 3 || value[0] == ' ' || value[n - 1] == ' ')
        return fail(err, field,
                    "must be a phone number: 3 to 32 characters of digits, spaces and + ( ) - . /"
                    " with at least 3 digits");
    return true;
}

/* ---- email ---------------------------------------------------------------- */

static bool is_atext(unsigned char c)
{
    return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

bool gh_validate_email(const char *field, const char *value, struct gh_field_error *err)
{
    if (!value || !*value)
        return fail(err, field, "is required");
    size_t n = strlen(value);
    if (n > GH_EMAIL_MAX)
        return fail(err, field, "must be at most %d characters", GH_EMAIL_MAX);
    const char *at = NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == ' ')
            return fail(err, field, "must not contain spaces");
        if (c < 0x20 || c == 0x7F)
            return fail(err, field, "must not contain control characters");
        if (c >= 0x80)
            return fail(err, field,
                        "must contain only ASCII characters (write an international domain in "
                        "its xn-- form)");
        if (c == '@') {
            if (at)
                return fail(err, field, "must contain exactly one '@'");
            at = value + i;
        }
    }
    if (!at)
        return fail(err, field, "must be an email address like name@example.com");

    size_t local_len = (size_t)(at - value);
    if (local_len == 0)
        return fail(err, field, "needs a name before the '@', like name@example.com");
    if (local_len > GH_EMAIL_LOCAL_MAX)
        return fail(err, field, "the part before '@' must be at most %d characters",
                    GH_EMAIL_LOCAL_MAX);
    for (size_t i = 0; i < local_len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == '.') {
            if (i == 0 || i + 1 == local_len || value[i + 1] == '.')
                return fail(err, field,
                            "the part before '@' must not begin or end with a dot or contain "
                            "two dots in a row");
        } else if (!is_atext(c)) {
            return fail(err, field,
                        "the part before '@' may only contain letters, digits, dots and "
                        "!#$%%&'*+/=?^_`{|}~-");
        }
    }

    const char *domain = at + 1;
    if (!*domain)
        return fail(err, field, "needs a domain after the '@', like example.com");
    if (!strchr(domain, '.'))
        return fail(err, field, "the domain must contain a dot, like example.com");
    const char *label = domain;
    for (;;) {
        size_t len = strcspn(label, ".");
        if (len == 0)
            return fail(err, field,
                        "the domain must not begin or end with a dot or contain two dots in a "
                        "row");
        if (len > 63)
            return fail(err, field, "each part of the domain must be at most 63 characters");
        bool all_digits = true;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)label[i];
            if (!is_alnum(c) && c != '-')
                return fail(err, field,
                            "the domain may only contain letters, digits, '-' and "
                            "dots");
            all_digits = all_digits && is_digit(c);
        }
        if (label[0] == '-' || label[len - 1] == '-')
            return fail(err, field, "parts of the domain must not begin or end with '-'");
        if (label[len] == '\0') {
            if (len < 2 || all_digits)
                return fail(err, field, "the domain must end in a top-level domain such as .com");
            break;
        }
        label += len + 1;
    }
    return true;
}

void gh_email_normalize(char *email)
{
    for (unsigned char *p = (unsigned char *)email; p && *p; p++)
        *p = ascii_lower(*p);
}

/* ---- password --------------------------------------------------------------- */

/* The most common passwords of 10 or more characters (shorter ones fail the
 * length rule anyway), lower case; compiled from public breach-corpus top
 * lists.  Runs and repetitions ("1234567890", "aaaaaaaaaa") are caught by the
 * pattern rules instead. */
static const char *const common_passwords[] = {
    "1234567891",   "12345678910",  "123456789a",   "a123456789",       "1q2w3e4r5t",
    "1q2w3e4r5t6y", "1qaz2wsx3edc", "q1w2e3r4t5",   "q1w2e3r4t5y6",     "1qaz2wsx3e",
    "qwerty1234",   "qwerty12345",  "qwerty123456", "qwertyuiop1",      "qwertyuiop123",
    "qazwsxedc123", "qazwsxedcrfv", "zaq12wsxcde3", "123qweasdzxc",     "qweasdzxc123",
    "password12",   "password123",  "password1234", "password1!",       "password123!",
    "passw0rd123",  "p@ssw0rd123",  "p@ssword123",  "passwordpassword", "iloveyou12",
    "iloveyou123",  "princess123",  "sunshine123",  "football123",      "baseball123",
    "superman123",  "computer123",  "internet123",  "welcome123",       "welcome1234",
    "letmein123",   "changeme123",  "changeme1234", "administrator",    "admin12345",
    "admin123456",  "abc1234567",   "abcd123456",   "a1b2c3d4e5",       "1a2b3c4d5e",
    "trustno1234",  "monkey1234",   "dragon1234",   "michael123",       "jordan2323",
    "charlie123",   "1234567890a",  "1234qwerasdf", "asdfghjkl1",       "gatehouse1",
    "gatehouse123",
};

/* Keyboard and alphabet walks; a password that is a piece of one of these (or
 * of one reversed) is a sequence. */
static const char *const sequences[] = {
    "0123456789012345678901234567890123456789", /* digits wrap around: "5678901234" */
    "abcdefghijklmnopqrstuvwxyz",
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
};

/* Whether the (lower-cased) password of n bytes is a piece of seq or of seq reversed. */
static bool in_sequence(const char *lower, size_t n, const char *seq)
{
    size_t m = strlen(seq);
    for (size_t start = 0; start + n <= m; start++) {
        bool fwd = true, rev = true;
        for (size_t i = 0; i < n && (fwd || rev); i++) {
            fwd = fwd && lower[i] == seq[start + i];
            rev = rev && lower[i] == seq[m - 1 - start - i];
        }
        if (fwd || rev)
            return true;
    }
    return false;
}

/* Whether s (n bytes) is a group of 1..4 bytes repeated, ignoring ASCII case;
 * the last copy may be cut short ("abcabcabca"). */
static bool is_repetition(const char *s, size_t n)
{
    for (size_t unit = 1; unit <= 4 && unit * 2 <= n; unit++) {
        size_t i = unit;
        while (i < n && ascii_lower((unsigned char)s[i]) == ascii_lower((unsigned char)s[i - unit]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

bool gh_validate_password(const char *field, const char *password, const char *email,
                          struct gh_field_error *err)
{
    if (!password || !*password)
        return fail(err, field, "is required");
    struct text_scan t;
    scan_text(password, &t);
    if (t.bad_utf8)
        return fail(err, field, "must be valid UTF-8 text");
    if (t.control || t.line_break)
        return fail(err, field, "must not contain control characters, tabs or line breaks");
    if (t.chars < GH_PASSWORD_MIN)
        return fail(err, field, "must be at least %d characters long", GH_PASSWORD_MIN);
    if (t.chars > GH_PASSWORD_MAX)
        return fail(err, field, "must be at most %d characters long", GH_PASSWORD_MAX);

    for (size_t i = 0; i < sizeof common_passwords / sizeof common_passwords[0]; i++) {
        if (strcasecmp(password, common_passwords[i]) == 0)
            return fail(err, field, "is one of the most commonly used passwords; choose another");
    }
    if (email) {
        if (strcasecmp(password, email) == 0)
            return fail(err, field, "must not be your email address");
        const char *at = strchr(email, '@');
        if (at && strlen(password) == (size_t)(at - email) &&
            strncasecmp(password, email, (size_t)(at - email)) == 0)
            return fail(err, field, "must not be the name part of your email address");
    }

    size_t n = strlen(password);
    if (is_repetition(password, n))
        return fail(err, field,
                    "must not be one character or a short group of characters repeated");
    /* A sequence is at most 40 characters long, so a bounded lower-cased copy
     * is enough to look for one. */
    char lower[41];
    if (n < sizeof lower) {
        for (size_t i = 0; i < n; i++)
            lower[i] = (char)ascii_lower((unsigned char)password[i]);
        lower[n] = '\0';
        for (size_t i = 0; i < sizeof sequences / sizeof sequences[0]; i++) {
            if (in_sequence(lower, n, sequences[i]))
                return fail(err, field,
                            "must not be a simple sequence of characters or keyboard keys, "
                            "like 12345 or qwerty");
        }
    }
    return true;
}

/* ---- identifiers ------------------------------------------------------------- */

static bool tenant_first(unsigned char c)
{
    return is_lower(c) || is_digit(c);
}
static bool tenant_rest(unsigned char c)
{
    return is_lower(c) || is_digit(c) || c == '-';
}

bool gh_validate_tenant(const char *field, const char *value, struct gh_field_error *err)
{
    static const char rule[] = "2 to 63 characters of lower-case letters, digits and '-', "
                               "starting with a letter or digit and not ending with '-'";
    if (!check_charset(field, value, 2, GH_TENANT_MAX, tenant_first, tenant_rest, rule, err))
        return false;
    if (value[strlen(value) - 1] == '-')
        return fail(err, field, "must be %s", rule);
    return true;
}

static bool slug_rest(unsigned char c)
{
    return is_lower(c) || is_digit(c) || c == '.' || c == '_' || c == '-';
}

bool gh_validate_slug(const char *field, const char *value, struct gh_field_error *err)
{
    return check_charset(field, value, 1, GH_SLUG_MAX, tenant_first, slug_rest,
                         "1 to 64 characters of lower-case letters, digits, '.', '_' and '-', "
                         "starting with a letter or digit",
                         err);
}

static bool ident_rest(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-';
}

bool gh_validate_identifier(const char *field, const char *value, struct gh_field_error *err)
{
    return check_charset(field, value, 1, GH_IDENTIFIER_MAX, is_alnum, ident_rest,
                         "1 to 64 characters of letters, digits, '.', '_' and '-', starting "
                         "with a letter or digit",
                         err);
}

/* RFC 6749 NQCHAR without the space: %x21 / %x23-5B / %x5D-7E. */
static bool scope_char(unsigned char c)
{
    return c >= 0x21 && c <= 0x7E && c != '"' && c != '\\';
}

bool gh_validate_scope(const char *field, const char *value, struct gh_field_error *err)
{
    return check_charset(field, value, 1, GH_SCOPE_MAX, scope_char, scope_char,
                         "1 to 128 printable ASCII characters without spaces, '\"' or '\\'", err);
}

static bool audience_rest(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '~' || c == ':' || c == '/' || c == '-';
}

bool gh_validate_audience(const char *field, const char *value, struct gh_field_error *err)
{
    return check_charset(field, value, 1, GH_AUDIENCE_MAX, is_alnum, audience_rest,
                         "1 to 255 characters of letters, digits and . _ ~ : / -, starting with "
                         "a letter or digit (a name, URN or URL without query or fragment)",
                         err);
}

bool gh_validate_client_id(const char *field, const char *value, struct gh_field_error *err)
{
    return check_charset(field, value, GH_CLIENT_ID_MIN, GH_CLIENT_ID_MAX, is_unreserved,
                         is_unreserved, "3 to 128 characters of letters, digits and . _ ~ -", err);
}

bool gh_validate_customer_number(const char *field, const char *value, struct gh_field_error *err)
{
    if (!value || !*value)
        return fail(err, field, "is required");
    size_t n = strlen(value);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c <= 0x20 || c >= 0x7F || c == ',')
            return fail(err, field, "must be printable ASCII characters without spaces or commas");
    }
    if (n > GH_CUSTOMER_NUMBER_MAX)
        return fail(err, field, "must be at most %d characters", GH_CUSTOMER_NUMBER_MAX);
    return true;
}

/* ---- grant types and numbers -------------------------------------------------- */

static const char *const known_grant_types[] = {
    "client_credentials",
    "authorization_code",
    "refresh_token",
};

bool gh_grant_type_known(const char *value)
{
    for (size_t i = 0; value && i < sizeof known_grant_types / sizeof known_grant_types[0]; i++) {
        if (strcmp(value, known_grant_types[i]) == 0)
            return true;
    }
    return false;
}

bool gh_validate_grant_type(const char *field, const char *value, struct gh_field_error *err)
{
    if (!value || !*value)
        return fail(err, field, "is required");
    if (!gh_grant_type_known(value))
        return fail(err, field,
                    "must be one of client_credentials, authorization_code, "
                    "refresh_token");
    return true;
}

bool gh_validate_validity(const char *field, int64_t value, int64_t max, const char *unit,
                          struct gh_field_error *err)
{
    if (value < 0)
        return fail(err, field, "must not be negative (0 means the default)");
    if (value > max)
        return fail(err, field, "must be at most %lld %s", (long long)max, unit);
    return true;
}

bool gh_validate_plan_limits(const struct gh_plan *p, struct gh_field_error *err)
{
    if (p->rate_limit_requests < 0)
        return fail(err, "rate_limit_requests", "must not be negative (0 means unlimited)");
    if (p->rate_limit_window_secs < 0)
        return fail(err, "rate_limit_window_secs", "must not be negative");
    if (p->rate_limit_requests > 0 && p->rate_limit_window_secs == 0)
        return fail(err, "rate_limit_window_secs",
                    "must be greater than 0 when rate_limit_requests is set");
    if (p->rate_limit_window_secs > GH_RATE_WINDOW_MAX_SECS)
        return fail(err, "rate_limit_window_secs",
                    "must be at most %lld seconds (1 day); use a quota for longer periods",
                    (long long)GH_RATE_WINDOW_MAX_SECS);
    if (p->quota_requests < 0)
        return fail(err, "quota_requests", "must not be negative (0 means unlimited)");
    if (!check_quota_period("quota_period", p->quota_period, err))
        return false;
    if (p->quota_requests > 0 && p->quota_period == GH_QUOTA_NONE)
        return fail(err, "quota_period", "must be day or month when quota_requests is set");
    return true;
}

/* ---- URLs and paths ------------------------------------------------------------- */

static const char msg_bad_chars[] =
    "must not contain spaces, control or non-ASCII characters (percent-encode them)";
static const char msg_bad_escape[] =
    "contains a malformed percent-escape ('%' must be followed by two hex digits)";

/* Whether p[0] starts a well-formed percent-escape. */
static bool escape_ok(const char *p)
{
    return is_hex((unsigned char)p[1]) && is_hex((unsigned char)p[2]);
}

/* RFC 3986 pchar, without the percent-escape (checked apart). */
static bool is_pchar(unsigned char c)
{
    return is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@';
}

/* Path rules shared by path prefixes and customer-number templates (which
 * may contain braces; the template checks place them). */
static bool check_path(const char *field, const char *value, bool allow_braces,
                       struct gh_field_error *err)
{
    if (!value || !*value)
        return fail(err, field, "is required");
    size_t n = strlen(value);
    if (n > GH_PATH_PREFIX_MAX)
        return fail(err, field, "must be at most %d characters", GH_PATH_PREFIX_MAX);
    if (value[0] != '/')
        return fail(err, field, "must start with '/'");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c <= 0x20 || c >= 0x7F)
            return fail(err, field, "%s", msg_bad_chars);
        if (c == '?')
            return fail(err, field, "must not contain a query ('?')");
        if (c == '#')
            return fail(err, field, "must not contain a fragment ('#')");
        if (c == '%') {
            if (!escape_ok(value + i))
                return fail(err, field, "%s", msg_bad_escape);
            if (value[i + 1] == '2' && (value[i + 2] == 'e' || value[i + 2] == 'E'))
                return fail(err, field, "must not contain a percent-encoded dot ('%%2e')");
            continue;
        }
        if (c != '/' && !is_pchar(c) && !(allow_braces && (c == '{' || c == '}')))
            return fail(err, field,
                        "contains a character that is not allowed in a URL path "
                        "(percent-encode it)");
    }
    if (strstr(value, ".."))
        return fail(err, field, "must not contain '..'");
    if (strstr(value, "/./") || (n >= 2 && strcmp(value + n - 2, "/.") == 0))
        return fail(err, field, "must not contain a '.' segment");
    return true;
}

bool gh_validate_path_prefix(const char *field, const char *value, struct gh_field_error *err)
{
    return check_path(field, value, false, err);
}

/* Host part of an http(s) URL, [host, end): a DNS name, an IPv4 address or
 * an IPv6 literal in brackets. */
static bool host_ok(const char *host, const char *end)
{
    size_t n = (size_t)(end - host);
    if (n == 0)
        return false;
    if (host[0] == '[') {
        if (n < 4 || host[n - 1] != ']')
            return false;
        bool colon = false;
        for (const char *p = host + 1; p < end - 1; p++) {
            if (*p == ':')
                colon = true;
            else if (!is_hex((unsigned char)*p) && *p != '.')
                return false;
        }
        return colon;
    }
    if (n > 253)
        return false;
    const char *label = host;
    for (const char *p = host; p <= end; p++) {
        if (p == end || *p == '.') {
            size_t len = (size_t)(p - label);
            if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
                return false;
            label = p + 1;
        } else if (!is_alnum((unsigned char)*p) && *p != '-') {
            return false;
        }
    }
    return true;
}

static bool host_is_loopback(const char *host, size_t n)
{
    return (n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
           (n == 9 && memcmp(host, "127.0.0.1", 9) == 0) ||
           (n == 5 && memcmp(host, "[::1]", 5) == 0);
}

bool gh_validate_redirect_uri(const char *field, const char *value, struct gh_field_error *err)
{
    if (!value || !*value)
        return fail(err, field, "is required");
    size_t n = strlen(value);
    if (n > GH_URI_MAX)
        return fail(err, field, "must be at most %d characters", GH_URI_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c <= 0x20 || c >= 0x7F)
            return fail(err, field, "%s", msg_bad_chars);
    }
    if (strchr(value, '#'))
        return fail(err, field, "must not contain a fragment ('#…')");

    bool https;
    const char *authority;
    if (strncmp(value, "https://", 8) == 0) {
        https = true;
        authority = value + 8;
    } else if (strncmp(value, "http://", 7) == 0) {
        https = false;
        authority = value + 7;
    } else {
        return fail(err, field,
                    "must be an absolute https URL (http only for localhost, 127.0.0.1 or "
                    "[::1]) without a fragment");
    }
    const char *rest = authority + strcspn(authority, "/?");
    const char *at = memchr(authority, '@', (size_t)(rest - authority));
    if (at)
        return fail(err, field, "must not contain a user name or password ('user@host')");

    /* Split host and port: an IPv6 literal ends at ']', a name at ':'. */
    const char *host_end;
    if (authority[0] == '[') {
        const char *close = memchr(authority, ']', (size_t)(rest - authority));
        host_end = close ? close + 1 : rest;
    } else {
        const char *colon = memchr(authority, ':', (size_t)(rest - authority));
        host_end = colon ? colon : rest;
    }
    if (host_end == authority)
        return fail(err, field, "must name a host, like https://app.example.com/callback");
    if (!host_ok(authority, host_end))
        return fail(err, field, "has an invalid host name");
    if (host_end < rest) {
        const char *port = host_end + 1;
        size_t digits = (size_t)(rest - port);
        long v = 0;
        bool ok = *host_end == ':' && digits >= 1 && digits <= 5;
        for (const char *p = port; ok && p < rest; p++) {
            ok = is_digit((unsigned char)*p);
            v = v * 10 + (*p - '0');
        }
        if (!ok || v < 1 || v > 65535)
            return fail(err, field, "has an invalid port (1 to 65535)");
    }
    if (!https && !host_is_loopback(authority, (size_t)(host_end - authority)))
        return fail(err, field,
                    "must use https (http is only allowed for localhost, 127.0.0.1 or [::1])");

    for (const char *p = rest; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%') {
            if (!escape_ok(p))
                return fail(err, field, "%s", msg_bad_escape);
        } else if (c != '/' && c != '?' && !is_pchar(c)) {
            return fail(err, field,
                        "contains a character that is not allowed in a URL path or query "
                        "(percent-encode it)");
        }
    }
    return true;
}

/* ---- customer numbers ------------------------------------------------------------ */

bool gh_validate_customer_number_location(enum gh_customer_number_in in, const char *name,
                                          const char *tmpl, struct gh_field_error *err)
{
    if (!check_customer_number_in("customer_number_in", in, err))
        return false;
    if (in == GH_CN_NONE)
        return true;
    if (!gh_validate_identifier("customer_number_name", name, err))
        return false;
    if (in != GH_CN_PATH)
        return true;

    static const char field[] = "customer_number_template";
    if (!check_path(field, tmpl, true, err))
        return false;
    size_t name_len = strlen(name), count = 0;
    const char *place = NULL;
    for (const char *p = strchr(tmpl, '{'); p; p = strchr(p + 1, '{')) {
        if (strncmp(p + 1, name, name_len) == 0 && p[1 + name_len] == '}') {
            count++;
            place = p;
        }
    }
    if (count != 1)
        return fail(err, field, "must contain {%s} exactly once", name);
    size_t braces = 0;
    for (const char *p = tmpl; *p; p++)
        braces += *p == '{' || *p == '}';
    if (braces != 2)
        return fail(err, field, "must not contain braces other than those of {%s}", name);
    char after = place[name_len + 2];
    if (place[-1] != '/' || (after != '/' && after != '\0'))
        return fail(err, field, "{%s} must be a whole path segment, like /customers/{%s}/orders",
                    name, name);
    return true;
}

/* ---- lists ------------------------------------------------------------------------- */

bool gh_validate_list(const char *field, const struct gh_strlist *list, size_t max_items,
                      gh_validator_fn item, struct gh_field_error *err)
{
    if (list->n > max_items)
        return fail(err, field, "must have at most %zu entries", max_items);
    for (size_t i = 0; i < list->n; i++) {
        struct gh_field_error e;
        if (!item(field, list->items[i], &e))
            return fail(err, field, "entry %zu: %s", i + 1, e.message);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(list->items[i], list->items[j]) == 0)
                return fail(err, field, "entry %zu repeats entry %zu", i + 1, j + 1);
        }
    }
    return true;
}

/* ---- whole entities ----------------------------------------------------------------- */

bool gh_user_validate(const struct gh_user *u, struct gh_field_error *err)
{
    return gh_validate_email("email", u->email, err) &&
           gh_validate_person_name("name", u->name, err);
}

bool gh_org_validate(const struct gh_org *o, struct gh_field_error *err)
{
    if (!gh_validate_name("name", o->name, err) ||
        !gh_validate_description("description", o->description, err))
        return false;
    if (!o->provider && !o->partner)
        return fail(err, NULL, "an organization must be a provider, a partner or both");
    if (o->partner) {
        if (!o->tenant)
            return fail(err, "tenant", "is required for a partner organization");
        if (!gh_validate_tenant("tenant", o->tenant, err))
            return false;
    } else {
        if (o->tenant)
            return fail(err, "tenant", "is only for partner organizations");
        if (o->customer_numbers.n > 0)
            return fail(err, "customer_numbers", "are only for partner organizations");
        if (o->partner_roles.n > 0)
            return fail(err, "partner_roles", "are only for partner organizations");
    }
    if (!gh_validate_address("contact_address", o->contact_address, err) ||
        !gh_validate_phone("contact_phone", o->contact_phone, err))
        return false;
    if (o->contact_email && !gh_validate_email("contact_email", o->contact_email, err))
        return false;
    if (o->responsible_email && !gh_validate_email("responsible_email", o->responsible_email, err))
        return false;
    return gh_validate_list("customer_numbers", &o->customer_numbers, GH_CUSTOMER_NUMBERS_MAX,
                            gh_validate_customer_number, err) &&
           gh_validate_list("partner_roles", &o->partner_roles, GH_LIST_MAX, gh_validate_identifier,
                            err);
}

bool gh_api_validate(const struct gh_api *api, struct gh_field_error *err)
{
    if (!gh_validate_name("name", api->name, err) ||
        !gh_validate_description("description", api->description, err) ||
        !gh_validate_slug("service", api->service, err))
        return false;
    if (api->audience && !gh_validate_audience("audience", api->audience, err))
        return false;
    return gh_validate_list("path_prefixes", &api->path_prefixes, GH_LIST_MAX,
                            gh_validate_path_prefix, err) &&
           check_auth_method("auth_method", api->auth_method, err) &&
           check_hash_method("access_token_hash_method", api->access_token_hash_method, err) &&
           gh_validate_list("required_roles", &api->required_roles, GH_LIST_MAX,
                            gh_validate_identifier, err) &&
           gh_validate_customer_number_location(api->customer_number_in, api->customer_number_name,
                                                api->customer_number_template, err);
}

bool gh_plan_validate(const struct gh_plan *p, struct gh_field_error *err)
{
    return gh_validate_name("name", p->name, err) &&
           gh_validate_description("description", p->description, err) &&
           gh_validate_plan_limits(p, err) && check_plan_approval("approval", p->approval, err);
}

bool gh_app_validate(const struct gh_app *app, struct gh_field_error *err)
{
    if (!gh_validate_name("name", app->name, err) ||
        !gh_validate_description("description", app->description, err) ||
        !gh_validate_client_id("client_id", app->client_id, err) ||
        !check_token_type("token_type", app->token_type, err))
        return false;
    if (app->token_name && !gh_validate_identifier("token_name", app->token_name, err))
        return false;
    return gh_validate_list("redirect_uris", &app->redirect_uris, GH_LIST_MAX,
                            gh_validate_redirect_uri, err) &&
           gh_validate_list("logout_uris", &app->logout_uris, GH_LIST_MAX, gh_validate_redirect_uri,
                            err) &&
           gh_validate_list("grant_types", &app->grant_types, GH_LIST_MAX, gh_validate_grant_type,
                            err) &&
           gh_validate_list("scopes", &app->scopes, GH_LIST_MAX, gh_validate_scope, err) &&
           gh_validate_validity("access_token_validity_secs", app->access_token_validity_secs,
                                GH_ACCESS_TOKEN_VALIDITY_MAX_SECS, "seconds", err) &&
           gh_validate_validity("refresh_token_validity_secs", app->refresh_token_validity_secs,
                                GH_REFRESH_TOKEN_VALIDITY_MAX_SECS, "seconds", err) &&
           gh_validate_validity("id_token_validity_mins", app->id_token_validity_mins,
                                GH_ID_TOKEN_VALIDITY_MAX_MINS, "minutes", err);
}

bool gh_api_key_validate(const struct gh_api_key *k, int64_t now, struct gh_field_error *err)
{
    if (!gh_validate_name("name", k->name, err))
        return false;
    if (k->expires_at < 0)
        return fail(err, "expires_at", "must not be negative (0 means never)");
    if (k->expires_at != 0 && k->expires_at <= now)
        return fail(err, "expires_at", "must be in the future (or 0 for never)");
    return true;
}

bool gh_access_status_validate(const struct gh_access_status_rec *r, struct gh_field_error *err)
{
    if (!check_access_status("status", r->status, err))
        return false;
    if (r->status == GH_ACCESS_RED &&
        (!r->reason || r->reason[strspn(r->reason, " \t\r\n")] == '\0'))
        return fail(err, "reason",
                    "is required when the access status is red (it is sent to the partner)");
    return gh_validate_text("reason", r->reason, 0, GH_REASON_MAX, true, err);
}
