/* Field and entity validation: the rules every input must pass before the
 * store sees it, whichever face (portal, admin API, CLI) it came through.
 *
 * Each validator returns true when the value is acceptable.  On false it
 * fills *err (when err is not NULL) with the field to blame and a message
 * that tells a person what to change, in the words of the API: the faces put
 * both into the one JSON error shape ({"message":…,"field":…}).  Messages
 * never repeat the value itself (it may be long, or a password).
 *
 * Text lengths are counted in Unicode characters, not bytes; text must be
 * valid UTF-8 without control characters (descriptions and addresses may
 * contain line breaks and tabs).  Single-line values must not begin or end
 * with whitespace: the faces trim what people type before validating.
 *
 * Optional fields are NULL when not set; an empty string counts as set. */
#ifndef GH_DOMAIN_VALIDATE_H
#define GH_DOMAIN_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/model.h"

struct gh_field_error {
    const char *field; /* the input to blame (a static string); NULL: no single field */
    char message[256];
};

/* ---- limits ------------------------------------------------------------- */

#define GH_EMAIL_MAX 254 /* RFC 5321 path limit, minus the angle brackets */
#define GH_EMAIL_LOCAL_MAX 64
#define GH_NAME_MAX 200 /* names of people, orgs, APIs, plans, apps, keys */
#define GH_DESCRIPTION_MAX 2000
#define GH_ADDRESS_MAX 500
#define GH_PASSWORD_MIN 10
#define GH_PASSWORD_MAX 1024
#define GH_TENANT_MAX 63
#define GH_SLUG_MAX 64       /* service names */
#define GH_IDENTIFIER_MAX 64 /* role names, token names, customer-number names */
#define GH_SCOPE_MAX 128
#define GH_AUDIENCE_MAX 255
#define GH_CLIENT_ID_MIN 3
#define GH_CLIENT_ID_MAX 128
#define GH_URI_MAX 2048
#define GH_PATH_PREFIX_MAX 1024
#define GH_CUSTOMER_NUMBER_MAX 64
#define GH_REASON_MAX 1000
#define GH_LIST_MAX 100 /* entries in any list field (URIs, scopes, roles, …) */
#define GH_CUSTOMER_NUMBERS_MAX 1000

#define GH_ACCESS_TOKEN_VALIDITY_MAX_SECS (365 * 86400LL)  /* 1 year */
#define GH_REFRESH_TOKEN_VALIDITY_MAX_SECS (365 * 86400LL) /* 1 year */
#define GH_ID_TOKEN_VALIDITY_MAX_MINS (24 * 60LL)          /* 1 day */
#define GH_RATE_WINDOW_MAX_SECS 86400LL /* longer periods are what quotas are for */

/* The signature every single-value validator shares (see gh_validate_list). */
typedef bool (*gh_validator_fn)(const char *field, const char *value, struct gh_field_error *err);

/* ---- single values ------------------------------------------------------- */

/* Email address, a pragmatic subset of RFC 5321: at most 254 ASCII characters,
 * exactly one '@'; the local part is 1..64 characters of letters, digits and
 * !#$%&'*+/=?^_`{|}~.- without leading, trailing or doubled dots (no quoted
 * local parts); the domain has at least two dot-separated labels of letters,
 * digits and '-' (1..63 each, no '-' at either end) and a top-level label of
 * at least two characters that is not all digits.  International domains are
 * accepted in their punycode (xn--) form. */
bool gh_validate_email(const char *field, const char *value, struct gh_field_error *err);

/* Lower-cases an email address in place (ASCII): addresses are stored and
 * compared lower-cased (model.h). */
void gh_email_normalize(char *email);

/* Generic text: min_chars..max_chars characters (min 0 also accepts NULL),
 * valid UTF-8, no control characters; multiline allows \n, \r and \t. */
bool gh_validate_text(const char *field, const char *value, size_t min_chars, size_t max_chars,
                      bool multiline, struct gh_field_error *err);

/* A name (org, API, plan, app, API key): required, 1..200 characters, one line,
 * no leading/trailing whitespace. */
bool gh_validate_name(const char *field, const char *value, struct gh_field_error *err);

/* A person's name: the same rules as gh_validate_name, plus no '<', '>' or '"'
 * (it is put into mail headers as a display name) and at least one character
 * that is neither punctuation nor a digit. */
bool gh_validate_person_name(const char *field, const char *value, struct gh_field_error *err);

/* A description: optional, at most 2000 characters, line breaks allowed. */
bool gh_validate_description(const char *field, const char *value, struct gh_field_error *err);

/* A postal address: optional, at most 500 characters, line breaks allowed. */
bool gh_validate_address(const char *field, const char *value, struct gh_field_error *err);

/* A phone number: optional; 3..32 characters of digits, spaces and + ( ) - . /,
 * with at least 3 digits. */
bool gh_validate_phone(const char *field, const char *value, struct gh_field_error *err);

/* A new password.  The rule (NIST SP 800-63B style: length and a blocklist
 * instead of composition rules):
 *  - 10..1024 characters, valid UTF-8, no control characters (spaces are fine:
 *    passphrases are welcome);
 *  - not one of the most common passwords (compared ignoring case);
 *  - not one character or one short group (up to 4 characters) repeated,
 *    like "aaaaaaaaaa" or "abcabcabcabc";
 *  - not a plain run of consecutive characters or keys, forwards or
 *    backwards, such as "0123456789", "7890123456", "abcdefghijk",
 *    "9876543210" or "qwertyuiop";
 *  - not the account's email address or the part of it before '@' (ignoring
 *    case); email may be NULL. */
bool gh_validate_password(const char *field, const char *password, const char *email,
                          struct gh_field_error *err);

/* Tenant key (seed 003's acr_values=tenant:<key>): 2..63 characters of a-z,
 * 0-9 and '-', starting with a letter or digit and not ending with '-'. */
bool gh_validate_tenant(const char *field, const char *value, struct gh_field_error *err);

/* Slug, for service names that tokens carry (seed 001's "ola"): 1..64
 * characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit. */
bool gh_validate_slug(const char *field, const char *value, struct gh_field_error *err);

/* Identifier, for partner role names, token names and customer-number names:
 * 1..64 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter
 * or digit. */
bool gh_validate_identifier(const char *field, const char *value, struct gh_field_error *err);

/* One OAuth2 scope token (RFC 6749 section 3.3): 1..128 printable ASCII
 * characters except space, '"' and '\'. */
bool gh_validate_scope(const char *field, const char *value, struct gh_field_error *err);

/* An audience / RFC 8707 resource (seed 003's "connectapi"): 1..255 characters
 * of A-Z, a-z, 0-9 and . _ ~ : / -, starting with a letter or digit; so a
 * plain name, a URN or a URL without query or fragment. */
bool gh_validate_audience(const char *field, const char *value, struct gh_field_error *err);

/* A custom client_id set by a platform admin: 3..128 characters of A-Z, a-z,
 * 0-9 and . _ ~ - (RFC 3986 unreserved: safe in URLs and Basic auth). */
bool gh_validate_client_id(const char *field, const char *value, struct gh_field_error *err);

/* An OAuth2 redirect URI; logout URIs follow the same rule.  At most 2048
 * characters of printable ASCII (percent-encode the rest); absolute "https://"
 * URL, or "http://" only for the hosts localhost, 127.0.0.1 and [::1]; a
 * host is required; an optional port 1..65535; no userinfo ("user@"); no
 * fragment ('#'); path and query of RFC 3986 characters with well-formed
 * percent-escapes.  The scheme must be written in lower case because
 * redirect URIs are later compared exactly. */
bool gh_validate_redirect_uri(const char *field, const char *value, struct gh_field_error *err);

/* A path prefix an API is served under: 1..1024 characters, starts with '/',
 * RFC 3986 path characters only (no whitespace, query '?' or fragment '#'),
 * well-formed percent-escapes, no ".." anywhere and no "." segment, no
 * percent-encoded dot. */
bool gh_validate_path_prefix(const char *field, const char *value, struct gh_field_error *err);

/* A customer number (seed 001): 1..64 printable ASCII characters, no spaces
 * and no commas (tokens carry them as a list). */
bool gh_validate_customer_number(const char *field, const char *value, struct gh_field_error *err);

/* Where a request carries the customer number (struct gh_api):
 *  - GH_CN_NONE: nothing else is looked at;
 *  - GH_CN_QUERY, GH_CN_HEADER: name is required and is an identifier;
 *  - GH_CN_PATH: name as above, and the template is a path (rules of
 *    gh_validate_path_prefix) that starts with '/' and contains "{<name>}"
 *    exactly once as a whole segment, and no other braces.
 * Errors blame "customer_number_in", "customer_number_name" or
 * "customer_number_template". */
bool gh_validate_customer_number_location(enum gh_customer_number_in in, const char *name,
                                          const char *tmpl, struct gh_field_error *err);

/* An OAuth2 grant type the token service knows: client_credentials,
 * authorization_code or refresh_token. */
bool gh_validate_grant_type(const char *field, const char *value, struct gh_field_error *err);
bool gh_grant_type_known(const char *value);

/* A validity override: 0 means "the default"; otherwise 1..max (unit is the
 * word used in the message, "seconds" or "minutes"). */
bool gh_validate_validity(const char *field, int64_t value, int64_t max, const char *unit,
                          struct gh_field_error *err);

/* Plan limits: all counts >= 0 (0 = unlimited); a rate limit needs a window
 * of 1..86400 seconds; a quota needs a period (day or month); enums in range. */
bool gh_validate_plan_limits(const struct gh_plan *plan, struct gh_field_error *err);

/* Each entry of a list with item(), at most max_items entries, no duplicates.
 * An error names the entry by its 1-based position ("entry 2: …"). */
bool gh_validate_list(const char *field, const struct gh_strlist *list, size_t max_items,
                      gh_validator_fn item, struct gh_field_error *err);

/* ---- whole entities ------------------------------------------------------ */
/* Each checks every user-settable field of the struct and reports the first
 * problem.  Identifiers and timestamps are the store's and are not checked. */

/* email (required), name (a person's name). */
bool gh_user_validate(const struct gh_user *u, struct gh_field_error *err);

/* name, description, contact and responsible addresses; provider and/or
 * partner; a partner has a tenant key, a non-partner has none; customer numbers
 * and partner roles only on partners. */
bool gh_org_validate(const struct gh_org *o, struct gh_field_error *err);

/* name, description, service (slug, required), audience, path prefixes,
 * enums in range, required roles, customer-number location. */
bool gh_api_validate(const struct gh_api *api, struct gh_field_error *err);

/* name, description, limits, approval mode. */
bool gh_plan_validate(const struct gh_plan *p, struct gh_field_error *err);

/* name, description, client_id, token type and name, redirect and logout URIs,
 * grant types, scopes, validity overrides. */
bool gh_app_validate(const struct gh_app *app, struct gh_field_error *err);

/* name (required) and expiry (0 = never, else later than now). */
bool gh_api_key_validate(const struct gh_api_key *k, int64_t now, struct gh_field_error *err);

/* Status in range; red needs a reason of 1..1000 characters, green may carry
 * one of at most 1000. */
bool gh_access_status_validate(const struct gh_access_status_rec *r, struct gh_field_error *err);

#endif
