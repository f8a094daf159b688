/* The built-in mail templates (portal/notify.h), one entry per event: a
 * subject, a plain-text body and an HTML body with {{name}} placeholders.
 * docs/notifications.md lists the placeholders; an operator overrides any
 * template with a file in --mail-templates. */
#include "portal/notify.h"

const char *const gh_notify_common_placeholders[] = {"product", "portal_url", "recipient_name",
                                                     "recipient_email", NULL};

/* ---- pieces shared by several templates ---------------------------------- */

#define SIG_TEXT "\n-- \n{{product}}\n"
#define HTML_BEGIN                                                                                 \
    "<!DOCTYPE html>\n"                                                                            \
    "<html>\n<head><meta charset=\"utf-8\"><title>{{product}}</title></head>\n"                    \
    "<body style=\"font-family: sans-serif; line-height: 1.4\">\n"
#define HTML_END "<p style=\"color: #666\">&mdash; {{product}}</p>\n</body>\n</html>\n"
#define ROW(label, value) "<tr><th align=\"left\">" label "</th><td>" value "</td></tr>\n"

/* ---- accounts --------------------------------------------------------------- */

static const char *const user_vars[] = {"name",       "email",      "link", "token",
                                        "expires_in", "expires_at", "note", NULL};

static const char verify_text[] =
    "Hello {{name}},\n\n"
    "welcome to {{product}}, the API developer portal. To finish your registration,\n"
    "confirm that this email address is yours by opening this link:\n\n"
    "{{link}}\n\n"
    "If the link does not open, send this code to POST /api/v1/verify-email:\n\n"
    "    {{token}}\n\n"
    "The link works once and expires in {{expires_in}}, at {{expires_at}}.\n"
    "You can log in once your address is confirmed.\n\n"
    "If you did not register, ignore this mail: without the link nothing happens.\n" SIG_TEXT;

static const char verify_html[] =
    HTML_BEGIN "<p>Hello {{name}},</p>\n"
               "<p>welcome to {{product}}, the API developer portal. To finish your "
               "registration, confirm that this email address is yours by opening this link:</p>\n"
               "<p><a href=\"{{link}}\">Confirm {{email}}</a></p>\n"
               "<p>If the link does not open, send this code to "
               "<code>POST /api/v1/verify-email</code>:</p>\n"
               "<pre>{{token}}</pre>\n"
               "<p>The link works once and expires in {{expires_in}}, at {{expires_at}}. You can "
               "log in once your address is confirmed.</p>\n"
               "<p>If you did not register, ignore this mail: without the link nothing "
               "happens.</p>\n" HTML_END;

static const char reset_text[] =
    "Hello {{name}},\n\n"
    "someone (hopefully you) asked to reset the password of your {{product}}\n"
    "account. To choose a new password, open this link:\n\n"
    "{{link}}\n\n"
    "If the link does not open, send this code with your new password to\n"
    "POST /api/v1/password-reset/confirm:\n\n"
    "    {{token}}\n\n"
    "The link works once and expires in {{expires_in}}, at {{expires_at}}.\n"
    "Setting a new password logs you out everywhere; your personal API\n"
    "tokens keep working.\n\n"
    "If you did not ask for this, ignore this mail: your password stays as it is.\n" SIG_TEXT;

static const char reset_html[] =
    HTML_BEGIN "<p>Hello {{name}},</p>\n"
               "<p>someone (hopefully you) asked to reset the password of your {{product}} "
               "account. To choose a new password, open this link:</p>\n"
               "<p><a href=\"{{link}}\">Choose a new password</a></p>\n"
               "<p>If the link does not open, send this code with your new password to "
               "<code>POST /api/v1/password-reset/confirm</code>:</p>\n"
               "<pre>{{token}}</pre>\n"
               "<p>The link works once and expires in {{expires_in}}, at {{expires_at}}. Setting "
               "a new password logs you out everywhere; your personal API tokens keep "
               "working.</p>\n"
               "<p>If you did not ask for this, ignore this mail: your password stays as it "
               "is.</p>\n" HTML_END;

static const char existing_text[] =
    "Hello {{name}},\n\n"
    "someone (perhaps you) just tried to register a new {{product}} account with\n"
    "this email address. You already have an account, so nothing was created\n"
    "or changed.\n\n"
    "If you forgot your password, you can choose a new one here:\n\n"
    "{{link}}\n\n"
    "{{note}}"
    "If it was not you, ignore this mail: your account stays as it is.\n" SIG_TEXT;

static const char existing_html[] = HTML_BEGIN
    "<p>Hello {{name}},</p>\n"
    "<p>someone (perhaps you) just tried to register a new {{product}} account with "
    "this email address. You already have an account, so nothing was created or "
    "changed.</p>\n"
    "<p>If you forgot your password, you can choose a new one here: "
    "<a href=\"{{link}}\">{{link}}</a></p>\n"
    "<p>{{note}}</p>\n"
    "<p>If it was not you, ignore this mail: your account stays as it is.</p>\n" HTML_END;

/* ---- subscriptions ------------------------------------------------------------ */

static const char *const sub_vars[] = {"subscription_id",
                                       "app_name",
                                       "app_id",
                                       "partner_name",
                                       "partner_id",
                                       "api_name",
                                       "api_id",
                                       "provider_name",
                                       "provider_id",
                                       "plan_name",
                                       "plan_id",
                                       "old_status",
                                       "status",
                                       "status_change",
                                       "reason",
                                       "actor",
                                       "details_url",
                                       "activate_url",
                                       "deactivate_url",
                                       "request_activation_url",
                                       NULL};

#define SUB_FACTS_TEXT                                                                             \
    "  Subscription: {{subscription_id}}\n"                                                        \
    "  App:          {{app_name}} ({{app_id}}) of {{partner_name}}\n"                              \
    "  API:          {{api_name}} ({{api_id}}) of {{provider_name}}\n"                             \
    "  Plan:         {{plan_name}}\n"                                                              \
    "  Status:       {{status_change}}\n"                                                          \
    "  Reason:       {{reason}}\n"                                                                 \
    "  By:           {{actor}}\n\n"

#define SUB_FACTS_HTML                                                                             \
    "<table cellpadding=\"4\">\n" ROW("Subscription", "{{subscription_id}}")                       \
        ROW("App", "{{app_name}} ({{app_id}}) of {{partner_name}}")                                \
            ROW("API", "{{api_name}} ({{api_id}}) of {{provider_name}}")                           \
                ROW("Plan", "{{plan_name}}") ROW("Status", "{{status_change}}")                    \
                    ROW("Reason", "{{reason}}") ROW("By", "{{actor}}") "</table>\n"

#define SUB_TEXT(headline, next)                                                                   \
    "Hello {{recipient_name}},\n\n" headline "\n\n" SUB_FACTS_TEXT next                            \
    "\n\nDetails and history: {{details_url}}\n" SIG_TEXT
#define SUB_HTML(headline, next)                                                                   \
    HTML_BEGIN                                                                                     \
    "<p>Hello {{recipient_name}},</p>\n<p>" headline "</p>\n" SUB_FACTS_HTML "<p>" next "</p>\n"   \
    "<p>Details and history: <a href=\"{{details_url}}\">{{details_url}}</a></p>\n" HTML_END

/* ---- app access status -------------------------------------------------------- */

static const char *const access_vars[] = {
    "app_name",    "app_id", "partner_name", "partner_id", "provider_name",
    "provider_id", "status", "reason",       "actor",      NULL};

static const char red_text[] =
    "Hello {{recipient_name}},\n\n"
    "{{provider_name}} has set the access status of your app {{app_name}} ({{app_id}})\n"
    "to red: the app is blocked from all of {{provider_name}}'s APIs.\n\n"
    "Reason given by the provider:\n\n  {{reason}}\n\n"
    "Set by: {{actor}}\n\n"
    "Subscriptions and credentials of the app keep their own status; access\n"
    "returns as it was when the provider sets the status back to green.\n"
    "Contact the provider to resolve this.\n" SIG_TEXT;

static const char red_html[] =
    HTML_BEGIN "<p>Hello {{recipient_name}},</p>\n"
               "<p>{{provider_name}} has set the access status of your app <b>{{app_name}}</b> "
               "({{app_id}}) to <b>red</b>: the app is blocked from all of {{provider_name}}'s "
               "APIs.</p>\n"
               "<p>Reason given by the provider:</p>\n<blockquote>{{reason}}</blockquote>\n"
               "<p>Set by: {{actor}}</p>\n"
               "<p>Subscriptions and credentials of the app keep their own status; access "
               "returns as it was when the provider sets the status back to green. Contact the "
               "provider to resolve this.</p>\n" HTML_END;

static const char green_text[] =
    "Hello {{recipient_name}},\n\n"
    "{{provider_name}} has set the access status of your app {{app_name}} ({{app_id}})\n"
    "back to green: the app may use {{provider_name}}'s APIs again, as before the block.\n\n"
    "Reason given: {{reason}}\n"
    "Set by: {{actor}}\n\n"
    "Nothing to do: the app's subscriptions and credentials work as they did.\n" SIG_TEXT;

static const char green_html[] =
    HTML_BEGIN "<p>Hello {{recipient_name}},</p>\n"
               "<p>{{provider_name}} has set the access status of your app <b>{{app_name}}</b> "
               "({{app_id}}) back to <b>green</b>: the app may use {{provider_name}}'s APIs "
               "again, as before the block.</p>\n"
               "<p>Reason given: {{reason}}<br>Set by: {{actor}}</p>\n"
               "<p>Nothing to do: the app's subscriptions and credentials work as they "
               "did.</p>\n" HTML_END;

/* ---- credentials ---------------------------------------------------------------- */

static const char *const secret_vars[] = {
    "app_name", "app_id", "client_id", "partner_name", "actor", "previous_valid_until", NULL};

static const char secret_text[] =
    "Hello {{recipient_name}},\n\n"
    "the client secret of your app {{app_name}} ({{app_id}}, client_id {{client_id}})\n"
    "of {{partner_name}} was rotated by {{actor}}.\n\n"
    "The previous secret works until: {{previous_valid_until}}\n\n"
    "Whoever rotated it received the new secret once; make sure every system that\n"
    "uses the app's credentials gets it. If you did not expect this, rotate the\n"
    "secret again and check the organization's audit log.\n" SIG_TEXT;

static const char secret_html[] =
    HTML_BEGIN "<p>Hello {{recipient_name}},</p>\n"
               "<p>the client secret of your app <b>{{app_name}}</b> ({{app_id}}, client_id "
               "<code>{{client_id}}</code>) of {{partner_name}} was rotated by {{actor}}.</p>\n"
               "<p>The previous secret works until: {{previous_valid_until}}</p>\n"
               "<p>Whoever rotated it received the new secret once; make sure every system that "
               "uses the app's credentials gets it. If you did not expect this, rotate the secret "
               "again and check the organization's audit log.</p>\n" HTML_END;

static const char *const key_created_vars[] = {"app_name", "app_id",     "partner_name",
                                               "key_id",   "key_name",   "key_hint",
                                               "actor",    "expires_at", NULL};

static const char key_created_text[] =
    "Hello {{recipient_name}},\n\n"
    "{{actor}} created an API key for your app {{app_name}} ({{app_id}}) of\n"
    "{{partner_name}}:\n\n"
    "  Key:     {{key_name}} ({{key_id}}), starts with {{key_hint}}\n"
    "  Expires: {{expires_at}}\n\n"
    "The key itself was shown once to whoever created it. If you did not expect\n"
    "this key, delete it: DELETE /api/v1/apps/{{app_id}}/api-keys/{{key_id}}\n" SIG_TEXT;

static const char key_created_html[] = HTML_BEGIN
    "<p>Hello {{recipient_name}},</p>\n"
    "<p>{{actor}} created an API key for your app <b>{{app_name}}</b> ({{app_id}}) of "
    "{{partner_name}}:</p>\n"
    "<table cellpadding=\"4\">\n" ROW("Key", "{{key_name}} ({{key_id}}), starts with "
                                             "<code>{{key_hint}}</code>")
        ROW("Expires",
            "{{expires_at}}") "</table>\n"
                              "<p>The key itself was shown once to whoever created it. If you did "
                              "not expect "
                              "this key, delete it: <code>DELETE "
                              "/api/v1/apps/{{app_id}}/api-keys/{{key_id}}</code></p>\n" HTML_END;

static const char *const key_expiring_vars[] = {"app_name",   "app_id",     "partner_name",
                                                "key_id",     "key_name",   "key_hint",
                                                "expires_at", "expires_in", NULL};

static const char key_expiring_text[] =
    "Hello {{recipient_name}},\n\n"
    "an API key of your app {{app_name}} ({{app_id}}) of {{partner_name}} expires\n"
    "in {{expires_in}}, at {{expires_at}}:\n\n"
    "  Key: {{key_name}} ({{key_id}}), starts with {{key_hint}}\n\n"
    "After that, requests with it are refused. Create a new key\n"
    "(POST /api/v1/apps/{{app_id}}/api-keys), put it where the old one is used,\n"
    "then delete the old one.\n" SIG_TEXT;

static const char key_expiring_html[] =
    HTML_BEGIN "<p>Hello {{recipient_name}},</p>\n"
               "<p>an API key of your app <b>{{app_name}}</b> ({{app_id}}) of {{partner_name}} "
               "expires in {{expires_in}}, at {{expires_at}}:</p>\n"
               "<p>Key: {{key_name}} ({{key_id}}), starts with <code>{{key_hint}}</code></p>\n"
               "<p>After that, requests with it are refused. Create a new key "
               "(<code>POST /api/v1/apps/{{app_id}}/api-keys</code>), put it where the old one "
               "is used, then delete the old one.</p>\n" HTML_END;

/* ---- the table -------------------------------------------------------------------- */

#define SUB_NEXT_ACTIVATE                                                                          \
    "To activate it: POST {{activate_url}}\n"                                                      \
    "To reject it:   POST {{deactivate_url}} with {\"reason\": \"...\"}"
#define SUB_NEXT_ACTIVATE_HTML                                                                     \
    "To activate it: <code>POST {{activate_url}}</code><br>\n"                                     \
    "To reject it: <code>POST {{deactivate_url}}</code> with "                                     \
    "<code>{&quot;reason&quot;: &quot;...&quot;}</code>"

const struct gh_notify_default gh_notify_defaults[] = {
    {"user.verify_email",
     user_vars,
     {"Confirm your email address for {{product}}", verify_text, verify_html}},
    {"user.password_reset", user_vars, {"Reset your {{product}} password", reset_text, reset_html}},
    {"user.register_existing",
     user_vars,
     {"Your email address is already registered at {{product}}", existing_text, existing_html}},
    {"subscription.activation_requested",
     sub_vars,
     {"Activation requested: {{app_name}} for {{api_name}}",
      SUB_TEXT("An app requests activation of its subscription to your API.", SUB_NEXT_ACTIVATE),
      SUB_HTML("An app requests activation of its subscription to your API.",
               SUB_NEXT_ACTIVATE_HTML)}},
    {"subscription.created",
     sub_vars,
     {"New subscription (approved automatically): {{app_name}} for {{api_name}}",
      SUB_TEXT("An app subscribed to your API with a plan that is approved automatically; the "
               "subscription is active.",
               "To block it: POST {{deactivate_url}}"),
      SUB_HTML("An app subscribed to your API with a plan that is approved automatically; the "
               "subscription is active.",
               "To block it: <code>POST {{deactivate_url}}</code>")}},
    {"subscription.activated",
     sub_vars,
     {"Subscription activated: {{app_name}} for {{api_name}}",
      SUB_TEXT("The provider activated your app's subscription.",
               "The app can now use the API with the credentials of its authentication method."),
      SUB_HTML("The provider activated your app's subscription.",
               "The app can now use the API with the credentials of its authentication "
               "method.")}},
    {"subscription.deactivation_requested",
     sub_vars,
     {"Deactivation requested: {{app_name}} for {{api_name}}",
      SUB_TEXT("A partner asks you to deactivate (block) its app's subscription to your API.",
               "To block it: POST {{deactivate_url}}"),
      SUB_HTML("A partner asks you to deactivate (block) its app's subscription to your API.",
               "To block it: <code>POST {{deactivate_url}}</code>")}},
    {"subscription.deactivated",
     sub_vars,
     {"Subscription deactivated: {{app_name}} for {{api_name}}",
      SUB_TEXT("The provider deactivated your app's subscription.",
               "To ask for access again: POST {{request_activation_url}}"),
      SUB_HTML("The provider deactivated your app's subscription.",
               "To ask for access again: <code>POST {{request_activation_url}}</code>")}},
    {"subscription.rejected",
     sub_vars,
     {"Subscription rejected: {{app_name}} for {{api_name}}",
      SUB_TEXT("The provider rejected your app's activation request.",
               "To ask for access again: POST {{request_activation_url}}"),
      SUB_HTML("The provider rejected your app's activation request.",
               "To ask for access again: <code>POST {{request_activation_url}}</code>")}},
    {"app.access_status.red",
     access_vars,
     {"Access blocked: app {{app_name}} is blocked by {{provider_name}}", red_text, red_html}},
    {"app.access_status.green",
     access_vars,
     {"Access restored: app {{app_name}} may use the APIs of {{provider_name}}", green_text,
      green_html}},
    {"app.client_secret.rotated",
     secret_vars,
     {"Client secret rotated: app {{app_name}}", secret_text, secret_html}},
    {"app.api_key.created",
     key_created_vars,
     {"API key created: {{key_name}} for app {{app_name}}", key_created_text, key_created_html}},
    {"app.api_key.expiring",
     key_expiring_vars,
     {"API key expires in {{expires_in}}: {{key_name}} of app {{app_name}}", key_expiring_text,
      key_expiring_html}},
};

const size_t gh_notify_defaults_count = sizeof gh_notify_defaults / sizeof gh_notify_defaults[0];
