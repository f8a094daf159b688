"""GET /authz/check called directly over HTTP, the way nginx's auth_request
asks (docs/authz.md is the contract; issue 6, seeds 000, 001, 002).

Every auth method (oauth2 with JWTs and with opaque tokens, access_token,
api_key, basic, mtls through a trusted proxy's header, manual_handover)
meets every check in the documented order: credential (401 with the
method's challenge), access status red (403 app), subscription (403
subscription, each status), partner roles (403 roles), service (403
service), customer number (seed 001's body, from query, header or path
template); then the API by path prefix or X-Gatehouse-Api, path
normalisation, a change taking effect on the very next request, attacks on
the JWT verification and on the headers, and the plan's rate limit."""

import base64
import json
import secrets
import time

import authz_world as aw
import harness
from authz_world import b64u, b64u_json, hs256, jwt_split, tag, unb64u

NUM = "12345"  # a customer number self.partner holds (so does "A-77")


def rnd43():
    return secrets.token_urlsafe(32)


def tamper_signature(token):
    """The same token with one character in the middle of the signature changed."""
    head, _, sig = token.rpartition(".")
    i = len(sig) // 2
    return head + "." + sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]


# --- every auth method x every check ----------------------------------------------------


class MethodMatrix:
    """The checks for one auth method; subclasses say how the method's
    credential is sent.  Mixed into an aw.AuthzTestCase."""

    auth_method = None
    app_fields = {}
    # whether an app without a subscription to the API can present a credential
    # (not so for access_token: the token belongs to the subscription)
    credential_without_subscription = True

    def cred(self, app, api_obj, sub):
        raise NotImplementedError

    def bad_creds(self, app, api_obj, sub):
        """(label, headers, message regex or None) that must each get a 401;
        a label starting with "~" is not a token (Bearer: no error code needed)."""
        raise NotImplementedError

    def cred_after_activation(self, app, sub, cred):
        """The credential once a requested subscription is active (a JWT
        carries the service only if issued then)."""
        return self.cred(app, self.main, sub)

    def world_extra(self):
        m = self.auth_method
        return {
            "main": self.new_api(m),
            "nocn": self.new_api(m, customer_number=None),
            # no subscription needed; a service nobody subscribes to
            "free": self.new_api(m, subscription_required=False),
        }

    def fresh(self, api_obj=None, partner=None, manual=False):
        """A new app subscribed to api_obj (default self.main) with its credential."""
        api_obj = api_obj or self.main
        app = self.new_app(partner, **self.app_fields)
        sub = self.subscribe(app, api_obj, manual)
        return app, sub, self.cred(app, api_obj, sub)

    def uri(self, api_obj=None, number=NUM):
        return "%s/loans?customerId=%s" % ((api_obj or self.main)["prefix"], number)

    # --- 200 ----------------------------------------------------------------------------

    def test_allowed_with_a_customer_number_the_partner_holds(self):
        app, sub, cred = self.fresh()
        r = self.check(self.uri(), cred)
        self.assert_allowed(r, self.main, app, sub, customer=NUM)
        # again (a cached verification answers the same), the other number,
        # another original method, a deeper path
        r = self.check(self.uri(), cred)
        self.assert_allowed(r, self.main, app, sub, customer=NUM)
        r = self.check(self.main["prefix"] + "/a/b/c?x=1&customerId=A-77&y=2", cred,
                       original_method="DELETE")
        self.assert_allowed(r, self.main, app, sub, customer="A-77")

    def test_api_without_customer_number_needs_none(self):
        app, sub, cred = self.fresh(self.nocn)
        r = self.check(self.nocn["prefix"] + "/loans", cred)
        self.assert_allowed(r, self.nocn, app, sub)
        r = self.check(self.nocn["prefix"] + "/loans?customerId=99999", cred)
        self.assert_allowed(r, self.nocn, app, sub)

    # --- 1. the credential ------------------------------------------------------------------

    def test_missing_credential_is_401_with_the_challenge(self):
        r = self.check(self.uri(), [])
        self.assert_401(r, self.auth_method, message_re="required|missing", invalid_token=False)
        # the check comes first: no customer number either, still 401
        r = self.check(self.main["prefix"] + "/loans", [])
        self.assert_401(r, self.auth_method, invalid_token=False)

    def test_invalid_credentials_are_401_with_the_challenge(self):
        app, sub, cred = self.fresh()
        for label, headers, message_re in self.bad_creds(app, self.main, sub):
            with self.subTest(label):
                r = self.check(self.uri(), headers)
                self.assert_401(r, self.auth_method, message_re=message_re,
                                invalid_token=None if label.startswith("~") else True)
        # and the good one still passes
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)

    # --- 2. access status -------------------------------------------------------------------

    def test_red_access_status_is_403_app_with_the_reason_until_green(self):
        app, sub, cred = self.fresh()
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)
        reason = "Invoice %s unpaid" % tag()
        self.set_access(app, "red", reason)
        r = self.check(self.uri(), cred)
        self.assert_refused(r, 403, "app", "The provider has blocked this app: %s" % reason)
        # before the subscription, roles, service and customer-number checks
        r = self.check(self.uri(number="99999"), cred)
        self.assert_refused(r, 403, "app", "The provider has blocked this app: %s" % reason)
        self.set_access(app, "green")
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)

    # --- 3. subscription --------------------------------------------------------------------

    def test_no_subscription_is_403_subscription(self):
        if not self.credential_without_subscription:
            # the credential is the subscription's: another API's is no credential here
            other = self.new_api(self.auth_method)
            app, sub, cred = self.fresh(other)
            self.assert_401(self.check(self.uri(), cred), self.auth_method)
            return
        app = self.new_app(**self.app_fields)
        r = self.check(self.uri(), self.cred(app, self.main, None))
        self.assert_refused(r, 403, "subscription")

    def test_each_status_but_active_is_403_subscription_naming_it(self):
        app, sub, cred = self.fresh(manual=True)
        r = self.check(self.uri(), cred)
        self.assert_refused(r, 403, "subscription", message_re=r"\bis activation-requested\b")
        sub = self.sub_action(sub, "activate")
        cred = self.cred_after_activation(app, sub, cred)
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)
        self.sub_action(sub, "request-deactivation")
        r = self.check(self.uri(), cred)
        self.assert_refused(r, 403, "subscription", message_re=r"\bis deactivation-requested\b")
        self.sub_action(sub, "deactivate")
        r = self.check(self.uri(), cred)
        self.assert_refused(r, 403, "subscription", message_re=r"\bis inactive\b")
        sub = self.sub_action(sub, "request-activation")
        if self.auth_method == "access_token":
            # a new access token; the old one is gone with the old hash
            self.assert_401(self.check(self.uri(), cred), self.auth_method)
            cred = [("Authorization", "Bearer " + sub["access_token"])]
        r = self.check(self.uri(), cred)
        self.assert_refused(r, 403, "subscription", message_re=r"\bis activation-requested\b")
        sub = self.sub_action(sub, "activate")
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)

    # --- 4. partner roles -------------------------------------------------------------------

    def test_required_role_missing_is_403_roles(self):
        role = "gold-%s" % tag()
        api_obj = self.new_api(self.auth_method, required_roles=[role])
        partner = self.new_partner(["777"], roles=[role, "other"])
        app, sub, cred = self.fresh(api_obj, partner)
        uri = self.uri(api_obj, "777")
        self.assert_allowed(self.check(uri, cred), api_obj, app, sub, customer="777")
        self.set_roles(partner, ["other"])
        self.assert_refused(self.check(uri, cred), 403, "roles")
        # before the customer-number check
        self.assert_refused(self.check(self.uri(api_obj, "nope"), cred), 403, "roles")
        self.set_roles(partner, [role])
        self.assert_allowed(self.check(uri, cred), api_obj, app, sub, customer="777")

    # --- 5. service ---------------------------------------------------------------------------

    def test_service_not_held_is_403_service(self):
        if not self.credential_without_subscription:
            return self.assert_401(self.check(self.uri(self.free), [
                ("Authorization", "Bearer ghat_" + rnd43())]), self.auth_method)
        # subscribed to main only; free needs no subscription but its service
        app, sub, _ = self.fresh()
        r = self.check(self.uri(self.free), self.cred(app, self.free, None))
        self.assert_refused(r, 403, "service")
        # before the customer-number check
        r = self.check(self.uri(self.free, "99999"), self.cred(app, self.free, None))
        self.assert_refused(r, 403, "service")

    def test_service_held_through_another_subscription_passes_without_one(self):
        if not self.credential_without_subscription:
            return
        # same service as main, no subscription required: main's subscription grants it
        shared = self.new_api(self.auth_method, service=self.main["service"],
                              subscription_required=False)
        app, sub, _ = self.fresh()
        r = self.check(self.uri(shared), self.cred(app, shared, None))
        self.assert_allowed(r, shared, app, None, customer=NUM)

    # --- 6. customer number -----------------------------------------------------------------

    def test_customer_number_missing_is_seed_001(self):
        app, sub, cred = self.fresh()
        for uri in (self.main["prefix"] + "/loans", self.main["prefix"] + "/loans?customerId=",
                    self.main["prefix"] + "/loans?customerid=12345",
                    self.main["prefix"] + "/loans?xcustomerId=12345"):
            with self.subTest(uri):
                self.assert_seed_001(self.check(uri, cred))

    def test_customer_number_not_held_is_seed_001(self):
        app, sub, cred = self.fresh()
        for number in ("99999", "1234", "123456", "a-77", "B-999"):
            with self.subTest(number):
                self.assert_seed_001(self.check(self.uri(number=number), cred))

    def test_other_tenants_customer_number_is_seed_001(self):
        app, sub, cred = self.fresh(partner=self.partner_b)
        self.assert_allowed(self.check(self.uri(number="B-999"), cred), self.main, app, sub,
                            customer="B-999")
        for number in ("12345", "A-77"):
            with self.subTest(number):
                self.assert_seed_001(self.check(self.uri(number=number), cred))

    def test_duplicate_customer_number_must_agree(self):
        app, sub, cred = self.fresh()
        p = self.main["prefix"]
        r = self.check(p + "/l?customerId=12345&customerId=12345", cred)
        self.assert_allowed(r, self.main, app, sub, customer=NUM)
        for q in ("customerId=12345&customerId=99999", "customerId=99999&customerId=12345",
                  "customerId=12345&customerId=A-77", "customerId=12345&customerId=",
                  "customerId=12345&customerId", "customer%49d=99999&customerId=12345",
                  "customerId=12345&%63ustomerId=99999"):
            with self.subTest(q):
                self.assert_seed_001(self.check(p + "/l?" + q, cred))


class OAuth2JwtTest(MethodMatrix, aw.AuthzTestCase):
    auth_method = "oauth2"

    def cred(self, app, api_obj, sub):
        return [("Authorization", "Bearer " + self.token(app, api_obj))]

    def bad_creds(self, app, api_obj, sub):
        tok = self.token(app, api_obj)
        return [
            ("garbage", [("Authorization", "Bearer abc.def.ghi")], None),
            ("bad signature", [("Authorization", "Bearer " + tamper_signature(tok))],
             "signature"),
            ("no signature", [("Authorization", "Bearer " + tok.rpartition(".")[0] + ".")],
             None),
            ("two parts", [("Authorization", "Bearer " + tok.rpartition(".")[0])], None),
            ("unknown opaque", [("Authorization", "Bearer ghot_" + rnd43())], None),
            ("~basic scheme", [("Authorization", aw.basic_header(app.client_id, app.secret))],
             None),
            ("~in another header", [("X-API-Key", tok)], None),
        ]


class OAuth2OpaqueTest(MethodMatrix, aw.AuthzTestCase):
    auth_method = "oauth2"
    app_fields = {"token_type": "uuid"}

    def cred(self, app, api_obj, sub):
        tok = self.token(app, api_obj)
        self.assertTrue(tok.startswith("ghot_"), tok)
        return [("Authorization", "Bearer " + tok)]

    def bad_creds(self, app, api_obj, sub):
        tok = self.token(app, api_obj)
        return [
            ("unknown", [("Authorization", "Bearer ghot_" + rnd43())], None),
            ("truncated", [("Authorization", "Bearer " + tok[:-1])], None),
            ("extended", [("Authorization", "Bearer " + tok + "A")], None),
            ("other prefix", [("Authorization", "Bearer ghat_" + tok[5:])], None),
        ]

    def test_opaque_token_for_another_audience_is_401(self):
        app, sub, _ = self.fresh()
        other = self.new_api(self.auth_method)
        osub = self.subscribe(app, other)
        cred = self.cred(app, other, osub)
        self.assert_allowed(self.check(self.uri(other), cred), other, app, osub, customer=NUM)
        self.assert_401(self.check(self.uri(), cred), "oauth2",
                        message_re="not (issued )?for this api")

    def test_token_of_a_deleted_app_does_not_pass_as_a_new_app_with_its_client_id(self):
        client_id = "reused-%s" % tag()
        old, sub, _ = self.fresh()
        self.mgmt("PUT", "/api/v1/apps/%s/client-credentials" % old.id, {"client_id": client_id})
        old.client_id = client_id
        cred = self.cred(old, self.main, sub)
        self.assert_allowed(self.check(self.uri(), cred), self.main, old, sub, customer=NUM)
        self.delete_app(old)
        self.assert_401(self.check(self.uri(), cred), "oauth2")
        new, new_sub, _ = self.fresh()
        self.mgmt("PUT", "/api/v1/apps/%s/client-credentials" % new.id, {"client_id": client_id})
        new.client_id = client_id
        self.assert_allowed(self.check(self.uri(), self.cred(new, self.main, new_sub)),
                            self.main, new, new_sub, customer=NUM)
        # the old app's token is still the old app's: it must not pass as the new one
        self.assert_401(self.check(self.uri(), cred), "oauth2")

    def test_revoked_opaque_token_is_401_on_the_next_request(self):
        app, sub, cred = self.fresh()
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)
        self.revoke(app, cred[0][1].split(" ", 1)[1])
        self.assert_401(self.check(self.uri(), cred), "oauth2", message_re="revoked|unknown")


class AccessTokenTest(MethodMatrix, aw.AuthzTestCase):
    auth_method = "access_token"
    credential_without_subscription = False

    def cred(self, app, api_obj, sub):
        self.assertRegex(sub["access_token"], r"^ghat_[A-Za-z0-9_-]{43}$", sub)
        return [("Authorization", "Bearer " + sub["access_token"])]

    def cred_after_activation(self, app, sub, cred):
        return cred  # the token issued with the request stays

    def bad_creds(self, app, api_obj, sub):
        tok = sub["access_token"]
        other = self.new_api(self.auth_method)
        osub = self.subscribe(app, other)
        return [
            ("unknown", [("Authorization", "Bearer ghat_" + rnd43())], None),
            ("altered", [("Authorization", "Bearer " + tok[:-2] + ("AA" if tok[-2:] != "AA"
                                                                    else "BB"))], None),
            ("another API's token", [("Authorization", "Bearer " + osub["access_token"])],
             None),
            ("~basic scheme", [("Authorization", aw.basic_header(app.client_id, app.secret))],
             None),
        ]


class ApiKeyTest(MethodMatrix, aw.AuthzTestCase):
    auth_method = "api_key"

    def cred(self, app, api_obj, sub):
        if not hasattr(app, "key"):
            app.key, app.key_id = self.api_key(app)
        return [("X-API-Key", app.key)]

    def bad_creds(self, app, api_obj, sub):
        key = self.cred(app, api_obj, sub)[0][1]
        return [
            ("unknown", [("X-API-Key", "ghak_" + rnd43())], None),
            ("altered", [("X-API-Key", key[:-1] + ("A" if key[-1] != "A" else "B"))], None),
            ("truncated", [("X-API-Key", key[:-1])], None),
            ("client secret", [("X-API-Key", app.secret)], None),
            ("in Authorization", [("Authorization", "Bearer " + key)], None),
        ]

    def test_revoked_key_is_401_on_the_next_request_and_others_still_work(self):
        app, sub, cred = self.fresh()
        key2, key2_id = self.api_key(app)
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)
        self.assert_allowed(self.check(self.uri(), [("X-API-Key", key2)]), self.main, app, sub,
                            customer=NUM)
        self.mgmt("DELETE", "/api/v1/apps/%s/api-keys/%s" % (app.id, key2_id), status=204)
        self.assert_401(self.check(self.uri(), [("X-API-Key", key2)]), "api_key")
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)


class BasicTest(MethodMatrix, aw.AuthzTestCase):
    auth_method = "basic"

    def cred(self, app, api_obj, sub):
        return [("Authorization", aw.basic_header(app.client_id, app.secret))]

    def bad_creds(self, app, api_obj, sub):
        other = self.new_app()
        def b64(text):
            return base64.b64encode(text.encode()).decode()

        return [
            ("wrong secret", [("Authorization", aw.basic_header(app.client_id, other.secret))],
             None),
            ("unknown client", [("Authorization", aw.basic_header("nobody-" + tag(),
                                                                  app.secret))], None),
            ("no colon", [("Authorization", "Basic " + b64(app.client_id + app.secret))], None),
            ("empty secret", [("Authorization", "Basic " + b64(app.client_id + ":"))], None),
            ("malformed base64", [("Authorization", "Basic !!!notbase64!!!")], None),
            ("bearer scheme", [("Authorization", "Bearer " + app.secret)], None),
        ]

    def test_previous_secret_works_only_during_its_grace_period(self):
        app, sub, cred = self.fresh()
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)
        doc = self.mgmt("POST", "/api/v1/apps/%s/client-secret" % app.id, {"grace_seconds": 600})
        new = [("Authorization", aw.basic_header(app.client_id, doc["client_secret"]))]
        self.assert_allowed(self.check(self.uri(), new), self.main, app, sub, customer=NUM)
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)
        # a rotation without grace ends the (now previous) secret at once
        doc2 = self.mgmt("POST", "/api/v1/apps/%s/client-secret" % app.id, {"grace_seconds": 0})
        self.assert_401(self.check(self.uri(), cred), "basic")
        self.assert_401(self.check(self.uri(), new), "basic")
        newest = [("Authorization", aw.basic_header(app.client_id, doc2["client_secret"]))]
        self.assert_allowed(self.check(self.uri(), newest), self.main, app, sub, customer=NUM)


class MtlsTest(MethodMatrix, aw.AuthzTestCase):
    auth_method = "mtls"

    def cred(self, app, api_obj, sub):
        if not hasattr(app, "pem"):
            app.pem, app.thumb = self.certificate(app)
        return [("X-Client-Cert", aw.escaped_pem(app.pem))]

    def bad_creds(self, app, api_obj, sub):
        self.cred(app, api_obj, sub)
        pem, thumb = self.shop.certificate("stranger.example")
        return [
            ("unregistered certificate", [("X-Client-Cert", aw.escaped_pem(pem))], None),
            ("unregistered thumbprint", [("X-Client-Cert", thumb)], None),
            ("garbage", [("X-Client-Cert", "hello")], None),
            ("short thumbprint", [("X-Client-Cert", app.thumb[:-1])], None),
            ("truncated PEM", [("X-Client-Cert", aw.escaped_pem(app.pem[:len(app.pem) // 2]))],
             None),
        ]

    def test_thumbprint_as_hex_is_accepted(self):
        app, sub, _ = self.fresh()
        for value in (app.thumb, app.thumb.upper()):
            with self.subTest(value):
                r = self.check(self.uri(), [("X-Client-Cert", value)])
                self.assert_allowed(r, self.main, app, sub, customer=NUM)

    def test_removed_certificate_is_401_on_the_next_request(self):
        app, sub, cred = self.fresh()
        self.assert_allowed(self.check(self.uri(), cred), self.main, app, sub, customer=NUM)
        certs = self.mgmt("GET", "/api/v1/apps/%s/certificates" % app.id)
        items = certs["items"] if isinstance(certs, dict) else certs
        self.assertEqual(len(items), 1, certs)
        self.mgmt("DELETE", "/api/v1/apps/%s/certificates/%s" % (app.id, items[0]["id"]),
                  status=204)
        self.assert_401(self.check(self.uri(), cred), "mtls")
        self.assert_401(self.check(self.uri(), [("X-Client-Cert", app.thumb)]), "mtls")


class ManualHandoverTest(aw.AuthzTestCase):
    """manual_handover: gatehouse does not authenticate and never refuses."""

    def world_extra(self):
        return {"mh": self.new_api("manual_handover"),
                "mh_roles": self.new_api("manual_handover", required_roles=["nobody-has-it"])}

    def test_never_refused_and_says_so(self):
        app = self.new_app()
        for label, uri, headers in (
                ("nothing", "/loans", []),
                ("customer number", "/loans?customerId=12345", []),
                ("number not held", "/loans?customerId=99999", []),
                ("garbage Authorization", "/x", [("Authorization", "Bearer nonsense")]),
                ("basic of an app", "/x", [("Authorization",
                                            aw.basic_header(app.client_id, app.secret))]),
                ("duplicate numbers", "/x?customerId=1&customerId=2", [])):
            with self.subTest(label):
                r = self.check(self.mh["prefix"] + uri, headers)
                self.assert_allowed(r, self.mh)
                self.assertEqual(r.header("X-Gatehouse-Auth"), "manual_handover", r)
        r = self.check(self.mh_roles["prefix"] + "/x", [])
        self.assert_allowed(r, self.mh_roles)


# --- routing, normalisation, locations, freshness, attacks, rate limit -------------------


class AuthzCheckTest(aw.AuthzTestCase):

    def world_extra(self):
        t = tag()
        w = {}
        w["main"] = self.new_api("oauth2")
        w["other"] = self.new_api("oauth2")  # another audience
        w["keyapi"] = self.new_api("api_key")
        w["outer"] = self.new_api("manual_handover", prefix="/lp-%s" % t, customer_number=None)
        w["inner"] = self.new_api("manual_handover", prefix="/lp-%s/inner" % t,
                                  customer_number=None)
        w["hdr"] = self.new_api("oauth2", customer_number=("header", "X-Customer-Number"))
        w["named"] = self.new_api("oauth2", customer_number=("query", "kdnr"))
        w["path"] = self.new_api("oauth2", prefix="/pt-%s" % t, customer_number=(
            "path", "customerNo", "/pt-%s/customers/{customerNo}/loans" % t))
        w["limited"] = self.new_api("api_key", rate_limit=(3, 60))
        return w

    def jwt_app(self, *apis, partner=None, **fields):
        """A new app subscribed to each API (default main)."""
        app = self.new_app(partner, **fields)
        app.subs = {a["id"]: self.subscribe(app, a) for a in (apis or (self.main,))}
        return app

    def bearer(self, token):
        return [("Authorization", "Bearer " + token)]

    def uri(self, api_obj=None, number=NUM):
        return "%s/loans?customerId=%s" % ((api_obj or self.main)["prefix"], number)

    def ok_main(self, r, app, number=NUM):
        self.assert_allowed(r, self.main, app, app.subs[self.main["id"]], customer=number)

    # --- which API ---------------------------------------------------------------------

    def test_longest_prefix_picks_the_api(self):
        o, i = self.outer["prefix"], self.inner["prefix"]
        for uri, want in ((o, self.outer), (o + "/", self.outer), (o + "/x", self.outer),
                          (o + "/x/inner", self.outer), (i, self.inner), (i + "/", self.inner),
                          (i + "/x?y=1", self.inner), (i + "?y=1", self.inner),
                          # a prefix ends at a segment boundary
                          (i + "x/y", self.outer), (i + "-2", self.outer)):
            with self.subTest(uri):
                self.assert_allowed(self.check(uri), want)

    def test_x_gatehouse_api_picks_the_api(self):
        r = self.check(self.outer["prefix"] + "/x", api_id=self.inner["id"])
        self.assert_allowed(r, self.inner)
        # even at a path no API owns
        r = self.check("/nowhere-%s/x" % tag(), api_id=self.outer["id"])
        self.assert_allowed(r, self.outer)
        # and it is then that API's rules that apply
        r = self.check(self.outer["prefix"] + "/x", api_id=self.keyapi["id"])
        self.assert_401(r, "api_key", invalid_token=False)

    def test_unknown_x_gatehouse_api_is_403_api(self):
        for value in ("api_" + "a" * 26, "nonsense", self.provider["id"]):
            with self.subTest(value):
                r = self.check(self.outer["prefix"] + "/x", api_id=value)
                self.assert_refused(r, 403, "api")

    def test_no_api_at_the_path_is_403_uri(self):
        for uri in ("/nowhere-%s" % tag(), "/", "/nowhere/x?customerId=12345",
                    self.outer["prefix"][:-1], self.outer["prefix"] + "x",
                    self.outer["prefix"] + "-1/x"):
            with self.subTest(uri):
                self.assert_refused(self.check(uri), 403, "uri")

    def test_without_x_original_uri_the_check_path_is_the_target(self):
        # Envoy ext_authz with path_prefix /authz/check
        r = aw.send(self.server.port, "GET", "/authz/check" + self.inner["prefix"] + "/x?a=b",
                    [])
        self.assert_allowed(r, self.inner)
        app = self.jwt_app()
        r = aw.send(self.server.port, "GET", "/authz/check" + self.uri(),
                    self.bearer(self.token(app, self.main)))
        self.ok_main(r, app)
        r = aw.send(self.server.port, "GET", "/authz/check" + self.uri(number="99999"),
                    self.bearer(self.token(app, self.main)))
        self.assert_seed_001(r)

    def test_any_method_of_the_check_request_is_accepted(self):
        app = self.jwt_app()
        cred = self.bearer(self.token(app, self.main))
        for method in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            with self.subTest(method):
                r = self.check(self.uri(), cred, method=method, original_method=method)
                self.ok_main(r, app)
        r = self.check(self.uri(number="99999"), cred, method="HEAD")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.body, b"", r)
        r = aw.send(self.server.port, "POST", "/authz/check",
                    [("X-Original-URI", self.uri())] + cred, body=b'{"some":"body"}')
        self.ok_main(r, app)

    # --- normalisation ----------------------------------------------------------------

    def test_path_is_normalised_before_matching(self):
        app = self.jwt_app()
        cred = self.bearer(self.token(app, self.main))
        p = self.main["prefix"]
        escaped = "/%" + "%02X" % ord(p[1]) + p[2:]  # first letter percent-encoded
        for uri in ("/x/.." + p + "/loans?customerId=12345",
                    "/x/y/../../../.." + p + "/loans?customerId=12345",
                    "/." + p + "/./loans?customerId=12345",
                    "//" + p.lstrip("/") + "//loans?customerId=12345",
                    escaped + "/loans?customerId=12345",
                    p + "/loans/%2e%2e/loans?customerId=12345",
                    p + "/loans?customerId=%31%32%33%34%35",
                    "http://api.example.com" + p + "/loans?customerId=12345"):
            with self.subTest(uri):
                self.ok_main(self.check(uri, cred), app)

    def test_dot_dot_leads_where_the_upstream_goes(self):
        # the main API's prefix, then up and into the manual_handover API
        r = self.check(self.main["prefix"] + "/../" + self.outer["prefix"].lstrip("/") + "/x")
        self.assert_allowed(r, self.outer)
        r = self.check(self.outer["prefix"] + "/%2e%2e" + self.main["prefix"] + "/loans")
        self.assert_401(r, "oauth2", invalid_token=False)

    def test_bad_escapes_in_the_path_are_400(self):
        p = self.main["prefix"]
        for uri in (p + "/a%2Fb", p + "%2f..%2f" + self.outer["prefix"], p + "/a%00b",
                    p + "/a%zzb", p + "/a%4", p + "/a%", "/%2F" + p.lstrip("/")):
            with self.subTest(uri):
                r = self.check(uri + "?customerId=12345")
                self.assert_refused(r, 400, "X-Original-URI")
        for uri in ("", "loans", p + "/" + "a" * 9000):
            with self.subTest(uri=uri[:20]):
                self.assert_refused(self.check(uri), 400, "X-Original-URI")
        # no X-Original-URI and nothing after /authz/check
        r = aw.send(self.server.port, "GET", "/authz/check", [])
        self.assert_refused(r, 400, "X-Original-URI")

    # --- where the customer number is ---------------------------------------------------------

    def test_customer_number_in_a_header(self):
        app = self.jwt_app(self.hdr)
        cred = self.bearer(self.token(app, self.hdr))
        sub = app.subs[self.hdr["id"]]
        uri = self.hdr["prefix"] + "/loans"
        for name in ("X-Customer-Number", "x-customer-number"):
            with self.subTest(name):
                r = self.check(uri, cred + [(name, "A-77")])
                self.assert_allowed(r, self.hdr, app, sub, customer="A-77")
        # a query parameter is not the header
        self.assert_seed_001(self.check(uri + "?customerId=12345&X-Customer-Number=12345",
                                        cred), "X-Customer-Number")
        self.assert_seed_001(self.check(uri, cred), "X-Customer-Number")
        self.assert_seed_001(self.check(uri, cred + [("X-Customer-Number", "99999")]),
                             "X-Customer-Number")
        r = self.check(uri, cred + [("X-Customer-Number", "12345"),
                                    ("X-Customer-Number", "12345")])
        self.assert_allowed(r, self.hdr, app, sub, customer="12345")
        for pair in (("12345", "99999"), ("99999", "12345"), ("12345", "A-77")):
            with self.subTest(pair):
                r = self.check(uri, cred + [("X-Customer-Number", pair[0]),
                                            ("X-Customer-Number", pair[1])])
                self.assert_seed_001(r, "X-Customer-Number")

    def test_customer_number_in_a_named_query_parameter(self):
        app = self.jwt_app(self.named)
        cred = self.bearer(self.token(app, self.named))
        sub = app.subs[self.named["id"]]
        p = self.named["prefix"]
        r = self.check(p + "/x?kdnr=A%2D77", cred)
        self.assert_allowed(r, self.named, app, sub, customer="A-77")
        self.assert_seed_001(self.check(p + "/x?customerId=12345", cred), "kdnr")
        self.assert_seed_001(self.check(p + "/x?kdnr=99999", cred), "kdnr")
        self.assert_seed_001(self.check(p + "/x?kdnr=12345&kdnr=A-77", cred), "kdnr")

    def test_customer_number_in_a_path_template(self):
        app = self.jwt_app(self.path)
        cred = self.bearer(self.token(app, self.path))
        sub = app.subs[self.path["id"]]
        p = self.path["prefix"]
        for uri, number in ((p + "/customers/12345/loans", "12345"),
                            (p + "/customers/A-77/loans/9?customerNo=99999", "A-77"),
                            (p + "/customers/A%2D77/loans", "A-77"),
                            (p + "/x/../customers/12345/./loans", "12345")):
            with self.subTest(uri):
                self.assert_allowed(self.check(uri, cred), self.path, app, sub, customer=number)
        for uri in (p + "/customers/99999/loans", p + "/customers/B-999/loans",
                    p + "/customers//loans", p + "/customers", p + "/other?customerNo=12345",
                    p + "/customers/12345/accounts"):
            with self.subTest(uri):
                self.assert_seed_001(self.check(uri, cred), "customerNo")

    # --- a change takes effect on the very next request ------------------------------------

    def test_red_then_green_with_a_cached_token(self):
        app = self.jwt_app()
        cred = self.bearer(self.token(app, self.main))
        for _ in range(3):
            self.ok_main(self.check(self.uri(), cred), app)
        self.set_access(app, "red", "fraud suspected")
        self.assert_refused(self.check(self.uri(), cred), 403, "app",
                            "The provider has blocked this app: fraud suspected")
        self.set_access(app, "green")
        self.ok_main(self.check(self.uri(), cred), app)
        # red towards another provider does not block this one's APIs
        t = tag()
        prov2 = self.mgmt("POST", "/api/v1/orgs", {"name": "Provider %s" % t, "provider": True},
                          201)
        api2 = self.mgmt("POST", "/api/v1/orgs/%s/apis" % prov2["id"],
                         {"name": "Elsewhere %s" % t, "service": "else", "auth_method": "oauth2",
                          "path_prefixes": ["/else-%s" % t]}, 201)
        plan2 = self.mgmt("POST", "/api/v1/apis/%s/plans" % api2["id"],
                          {"name": "Auto", "approval": "auto"}, 201)
        self.mgmt("POST", "/api/v1/apps/%s/subscriptions" % app.id,
                  {"api": api2["id"], "plan": plan2["id"]}, 201)
        self.mgmt("PUT", "/api/v1/apps/%s/access-status" % app.id,
                  {"provider_org": prov2["id"], "status": "red", "reason": "elsewhere"})
        self.ok_main(self.check(self.uri(), cred), app)
        self.set_access(app, "red", "here")
        self.assert_refused(self.check(self.uri(), cred), 403, "app",
                            "The provider has blocked this app: here")

    def test_subscription_deactivated(self):
        app = self.jwt_app()
        cred = self.bearer(self.token(app, self.main))
        self.ok_main(self.check(self.uri(), cred), app)
        self.sub_action(app.subs[self.main["id"]], "deactivate")
        self.assert_refused(self.check(self.uri(), cred), 403, "subscription",
                            message_re=r"\bis inactive\b")

    def test_revoked_jwt(self):
        app = self.jwt_app()
        tok = self.token(app, self.main)
        tok2 = self.token(app, self.main)
        self.ok_main(self.check(self.uri(), self.bearer(tok)), app)
        self.ok_main(self.check(self.uri(), self.bearer(tok2)), app)
        self.revoke(app, tok)
        self.assert_401(self.check(self.uri(), self.bearer(tok)), "oauth2",
                        message_re="revoked")
        # only that token
        self.ok_main(self.check(self.uri(), self.bearer(tok2)), app)

    def test_app_disabled_then_enabled(self):
        app = self.jwt_app()
        cred = self.bearer(self.token(app, self.main))
        self.ok_main(self.check(self.uri(), cred), app)
        self.patch_app(app, disabled=True)
        self.assert_401(self.check(self.uri(), cred), "oauth2", message_re="disabled")
        self.patch_app(app, disabled=False)
        self.ok_main(self.check(self.uri(), cred), app)

    def test_app_deleted(self):
        app = self.jwt_app(self.main, self.keyapi)
        cred = self.bearer(self.token(app, self.main))
        key, _ = self.api_key(app)
        self.ok_main(self.check(self.uri(), cred), app)
        r = self.check(self.uri(self.keyapi), [("X-API-Key", key)])
        self.assert_allowed(r, self.keyapi, app, app.subs[self.keyapi["id"]], customer=NUM)
        self.delete_app(app)
        self.assert_401(self.check(self.uri(), cred), "oauth2")
        self.assert_401(self.check(self.uri(self.keyapi), [("X-API-Key", key)]), "api_key")

    def test_token_of_a_deleted_app_does_not_pass_as_a_new_app_with_its_client_id(self):
        client_id = "reused-%s" % tag()
        old = self.jwt_app(self.main, token_type="jwt")
        self.mgmt("PUT", "/api/v1/apps/%s/client-credentials" % old.id, {"client_id": client_id})
        old.client_id = client_id
        jwt = self.token(old, self.main)
        self.ok_main(self.check(self.uri(), self.bearer(jwt)), old)
        self.delete_app(old)
        self.assert_401(self.check(self.uri(), self.bearer(jwt)), "oauth2")
        # an admin gives a new app of the same partner the freed client_id
        new = self.jwt_app(self.main)
        self.mgmt("PUT", "/api/v1/apps/%s/client-credentials" % new.id, {"client_id": client_id})
        new.client_id = client_id
        self.ok_main(self.check(self.uri(), self.bearer(self.token(new, self.main))), new)
        # the old app's token is still the old app's: it must not pass as the new one
        self.assert_401(self.check(self.uri(), self.bearer(jwt)), "oauth2")

    def test_partner_tenant_changed(self):
        partner = self.new_partner(["9"])
        app = self.jwt_app(partner=partner)
        jwt = self.token(app, self.main)
        self.ok_main(self.check(self.uri(number="9"), self.bearer(jwt)), app, "9")
        tenant = "renamed-%s" % tag()
        self.mgmt("PATCH", "/api/v1/orgs/%s" % partner["id"], {"tenant": tenant})
        self.assert_401(self.check(self.uri(number="9"), self.bearer(jwt)), "oauth2",
                        message_re="tenant")
        partner["tenant"] = tenant
        self.ok_main(self.check(self.uri(number="9"), self.bearer(self.token(app, self.main))),
                     app, "9")

    def test_api_key_revoked(self):
        app = self.jwt_app(self.keyapi)
        key, key_id = self.api_key(app)
        r = self.check(self.uri(self.keyapi), [("X-API-Key", key)])
        self.assert_allowed(r, self.keyapi, app, app.subs[self.keyapi["id"]], customer=NUM)
        self.mgmt("DELETE", "/api/v1/apps/%s/api-keys/%s" % (app.id, key_id), status=204)
        self.assert_401(self.check(self.uri(self.keyapi), [("X-API-Key", key)]), "api_key")

    def test_api_key_last_use_reaches_the_portal(self):
        app = self.jwt_app(self.keyapi)
        key, key_id = self.api_key(app)

        def listed():
            doc = self.mgmt("GET", "/api/v1/apps/%s/api-keys" % app.id, None, 200)
            return [k for k in doc["items"] if k["id"] == key_id][0]

        self.assertIsNone(listed()["last_used_at"])
        r = self.check(self.uri(self.keyapi), [("X-API-Key", key)])
        self.assert_allowed(r, self.keyapi, app, app.subs[self.keyapi["id"]], customer=NUM)
        # written by the serve loop's next flush (every 5 s), not per request
        deadline = time.time() + 8
        while listed()["last_used_at"] is None and time.time() < deadline:
            time.sleep(0.25)
        self.assertIsNotNone(listed()["last_used_at"], "last_used_at never written")

    def test_customer_number_removed_from_the_partner(self):
        partner = self.new_partner(["111", "222"])
        app = self.jwt_app(self.main, self.keyapi, partner=partner)
        cred = self.bearer(self.token(app, self.main))
        key, _ = self.api_key(app)
        self.ok_main(self.check(self.uri(number="222"), cred), app, "222")
        self.set_numbers(partner, ["111"])
        # the token still lists 222, the partner no longer holds it
        self.assert_seed_001(self.check(self.uri(number="222"), cred))
        self.assert_seed_001(self.check(self.uri(self.keyapi, "222"), [("X-API-Key", key)]))
        self.ok_main(self.check(self.uri(number="111"), cred), app, "111")
        # a number added later is the partner's, but not in the token
        self.set_numbers(partner, ["111", "333"])
        self.assert_seed_001(self.check(self.uri(number="333"), cred))
        r = self.check(self.uri(self.keyapi, "333"), [("X-API-Key", key)])
        self.assert_allowed(r, self.keyapi, app, app.subs[self.keyapi["id"]], customer="333")
        self.ok_main(self.check(self.uri(number="333"), self.bearer(self.token(app, self.main))),
                     app, "333")

    def test_partner_role_removed(self):
        role = "vip-%s" % tag()
        api_obj = self.new_api("oauth2", required_roles=[role])
        partner = self.new_partner(["5"], roles=[role])
        app = self.jwt_app(api_obj, partner=partner)
        cred = self.bearer(self.token(app, api_obj))
        r = self.check(self.uri(api_obj, "5"), cred)
        self.assert_allowed(r, api_obj, app, app.subs[api_obj["id"]], customer="5")
        self.set_roles(partner, [])
        self.assert_refused(self.check(self.uri(api_obj, "5"), cred), 403, "roles")

    # --- attacks on the JWT ---------------------------------------------------------------

    def real(self):
        app = self.jwt_app()
        tok = self.token(app, self.main)
        self.ok_main(self.check(self.uri(), self.bearer(tok)), app)
        return app, tok

    def test_alg_none_is_401(self):
        app, tok = self.real()
        header, claims, _ = jwt_split(tok)
        for alg in ("none", "None", "NONE", "nOnE"):
            for sig in ("", tok.rpartition(".")[2]):
                with self.subTest(alg=alg, sig=bool(sig)):
                    h = dict(header, alg=alg)
                    forged = "%s.%s.%s" % (b64u_json(h), b64u_json(claims), sig)
                    self.assert_401(self.check(self.uri(), self.bearer(forged)), "oauth2")
        # no alg at all
        h = {k: v for k, v in header.items() if k != "alg"}
        forged = "%s.%s." % (b64u_json(h), b64u_json(claims))
        self.assert_401(self.check(self.uri(), self.bearer(forged)), "oauth2")

    def test_hs256_with_our_public_key_as_secret_is_401(self):
        app, tok = self.real()
        header, claims, _ = jwt_split(tok)
        jwks = self.jwks()
        jwk = [k for k in jwks["keys"] if k["kid"] == header["kid"]][0]
        self.assertEqual(jwk["kty"], "EC", jwk)
        pem = aw.p256_jwk_to_pem(jwk)
        # the PEM really is the key that signs (openssl agrees)
        self.assertTrue(self.shop.es256_verifies(pem, tok), "JWKS key does not verify %s" % tok)
        raw_jwks = self.get("/jwks.json").body
        secrets_to_try = {
            "PEM": pem.encode(),
            "PEM without final newline": pem.rstrip("\n").encode(),
            "JWK JSON": json.dumps(jwk).encode(),
            "JWK compact": json.dumps(jwk, separators=(",", ":")).encode(),
            "JWKS as served": raw_jwks,
            "DER": base64.b64decode("".join(pem.splitlines()[1:-1])),
            "x||y": unb64u(jwk["x"]) + unb64u(jwk["y"]),
        }
        for label, key in secrets_to_try.items():
            for alg in ("HS256",):
                with self.subTest(label):
                    forged = hs256(dict(header, alg=alg), claims, key)
                    self.assert_401(self.check(self.uri(), self.bearer(forged)), "oauth2")

    def test_unknown_kid_is_401(self):
        app, tok = self.real()
        header, claims, sig = jwt_split(tok)
        key = self.shop.p256_key()
        for kid in ("unknown-" + tag(), header["kid"] + "x", "", "../" + header["kid"]):
            with self.subTest(kid=kid):
                # our signature under another kid, and a foreign signature under it
                moved = "%s.%s.%s" % (b64u_json(dict(header, kid=kid)), b64u_json(claims), sig)
                self.assert_401(self.check(self.uri(), self.bearer(moved)), "oauth2")
                foreign = self.shop.es256(key, dict(header, kid=kid), claims)
                self.assert_401(self.check(self.uri(), self.bearer(foreign)), "oauth2",
                                message_re="unknown|retired" if kid else None)
        no_kid = {k: v for k, v in header.items() if k != "kid"}
        foreign = self.shop.es256(key, no_kid, claims)
        self.assert_401(self.check(self.uri(), self.bearer(foreign)), "oauth2")

    def test_foreign_p256_key_with_our_kid_is_401(self):
        app, tok = self.real()
        header, claims, _ = jwt_split(tok)
        key = self.shop.p256_key()
        forged = self.shop.es256(key, header, claims)
        # a good ES256 signature, just not ours
        self.assertTrue(self.shop.es256_verifies(self.shop.public_pem(key), forged))
        self.assert_401(self.check(self.uri(), self.bearer(forged)), "oauth2",
                        message_re="signature")
        # also with claims the attacker would like
        forged = self.shop.es256(key, header, dict(claims, customer_numbers=["B-999", NUM],
                                                   exp=claims["exp"] + 86400))
        self.assert_401(self.check(self.uri(number="B-999"), self.bearer(forged)), "oauth2")

    def test_tampered_payload_is_401(self):
        app, tok = self.real()
        h, _, s = tok.split(".")
        header, claims, _ = jwt_split(tok)
        for label, c in (("more customer numbers", dict(claims, customer_numbers=[NUM, "B-999"])),
                         ("later exp", dict(claims, exp=claims["exp"] + 1)),
                         ("other tenant", dict(claims, tenant=self.tenant_b)),
                         ("same claims re-encoded", dict(claims))):
            with self.subTest(label):
                payload = b64u(json.dumps(c, indent=1).encode())
                forged = "%s.%s.%s" % (h, payload, s)
                self.assert_401(self.check(self.uri(number="B-999"), self.bearer(forged)),
                                "oauth2", message_re="signature")

    def test_token_for_another_audience_is_401(self):
        app = self.jwt_app(self.main, self.other)
        tok = self.token(app, self.other)
        r = self.check(self.uri(self.other), self.bearer(tok))
        self.assert_allowed(r, self.other, app, app.subs[self.other["id"]], customer=NUM)
        self.assert_401(self.check(self.uri(), self.bearer(tok)), "oauth2",
                        message_re="not (issued )?for this api")
        # a token with no aud at all
        no_aud = self.token(app)
        self.assertNotIn("aud", jwt_split(no_aud)[1])
        self.assert_401(self.check(self.uri(), self.bearer(no_aud)), "oauth2")

    def test_token_from_another_issuer_is_401(self):
        app = self.jwt_app()
        # the same database and signing key, another issuer
        twin = harness.Server(args=["--issuer", "https://evil.example"], db=self.server.db)
        twin.start()
        try:
            tok = self.token(app, self.main, port=twin.port)
        finally:
            twin.stop()
            twin.cleanup()
        header, claims, _ = jwt_split(tok)
        self.assertEqual(claims["iss"], "https://evil.example", claims)
        self.assertIn(header["kid"], [k["kid"] for k in self.jwks()["keys"]])
        self.assert_401(self.check(self.uri(), self.bearer(tok)), "oauth2",
                        message_re="issuer|not issued by this server")
        # and our own token for the same app passes
        self.ok_main(self.check(self.uri(), self.bearer(self.token(app, self.main))), app)

    def test_tenant_a_token_with_tenant_b_customer_number_is_seed_001(self):
        app, tok = self.real()
        self.assertEqual(jwt_split(tok)[1]["tenant"], self.tenant)
        self.assert_seed_001(self.check(self.uri(number="B-999"), self.bearer(tok)))
        key, _ = self.api_key(self.jwt_app(self.keyapi))
        self.assert_seed_001(self.check(self.uri(self.keyapi, "B-999"), [("X-API-Key", key)]))

    def test_malformed_authorization_headers_are_401(self):
        app, tok = self.real()
        cases = [
            ("no scheme", tok, None),
            ("Bearer alone", "Bearer", None),
            ("Bearer and a space", "Bearer ", None),
            ("two spaces", "Bearer  " + tok, True),
            ("trailing space", "Bearer " + tok + " ", True),
            ("tab", "Bearer\t" + tok, None),
            ("comma", "Bearer " + tok + ",x", True),
            ("quote", 'Bearer "' + tok + '"', True),
            ("dollar", "Bearer ab$cd", True),
            ("padding inside", "Bearer ab=cd", True),
            ("two tokens", "Bearer " + tok + " " + tok, True),
            ("very long", "Bearer " + "A" * 9000, True),
            ("very long JWT", "Bearer " + tok + "A" * 9000, True),
            ("control character", "Bearer ab\x01cd", True),
            ("Latin-1", "Bearer ab\xe9cd", True),
        ]
        for label, value, invalid in cases:
            with self.subTest(label):
                r = self.check(self.uri(), [("Authorization", value)])
                self.assert_401(r, "oauth2", invalid_token=invalid)
        # two Authorization headers: refused, not the first or the last picked
        r = self.check(self.uri(), [("Authorization", "Bearer " + tok),
                                    ("Authorization", "Bearer " + tok)])
        self.assertIn(r.status, (400, 401), r)
        r = self.check(self.uri(), [("Authorization", "Bearer garbage"),
                                    ("Authorization", "Bearer " + tok)])
        self.assertIn(r.status, (400, 401), r)
        # the scheme is case-insensitive (RFC 9110 §11.1)
        for scheme in ("bearer", "BEARER"):
            self.ok_main(self.check(self.uri(), [("Authorization", scheme + " " + tok)]), app)
        # the server is fine afterwards
        self.ok_main(self.check(self.uri(), self.bearer(tok)), app)

    def test_identity_headers_sent_by_the_caller_are_not_believed(self):
        app, tok = self.real()
        r = self.check(self.uri(), self.bearer(tok) + [
            ("X-Gatehouse-App", "app_" + "a" * 26), ("X-Gatehouse-Tenant", self.tenant_b),
            ("X-Gatehouse-Customer-Number", "B-999")])
        self.ok_main(r, app)
        r = self.check(self.uri(), [("X-Gatehouse-App", app.id),
                                    ("X-Gatehouse-Client-Id", app.client_id)])
        self.assert_401(r, "oauth2", invalid_token=False)

    # --- plan limits ------------------------------------------------------------------------

    def test_plan_rate_limit_is_429_with_retry_after(self):
        app = self.jwt_app(self.limited)
        key, _ = self.api_key(app)
        sub = app.subs[self.limited["id"]]
        uri = self.uri(self.limited)
        for _ in range(3):
            self.assert_allowed(self.check(uri, [("X-API-Key", key)]), self.limited, app, sub,
                                customer=NUM)
        r = self.check(uri, [("X-API-Key", key)])
        self.assert_refused(r, 429, "plan")
        retry = r.header("Retry-After")
        self.assertIsNotNone(retry, r)
        self.assertRegex(retry, r"^[0-9]+$", r)
        # 3 per 60 s, spent: the next fits once the sliding window has shed
        # one request, at most a window plus a third of one away
        self.assertTrue(1 <= int(retry) <= 60 + 20, r)
        self.assert_refused(self.check(uri, [("X-API-Key", key)]), 429, "plan")
        # per subscription: another app on the same plan still passes
        app2 = self.jwt_app(self.limited)
        key2, _ = self.api_key(app2)
        self.assert_allowed(self.check(uri, [("X-API-Key", key2)]), self.limited, app2,
                            app2.subs[self.limited["id"]], customer=NUM)
        # the earlier checks still come first
        self.assert_seed_001(self.check(self.uri(self.limited, "99999"), [("X-API-Key", key)]))
        self.assert_401(self.check(uri, []), "api_key", invalid_token=False)


# --- server flags -------------------------------------------------------------------------


class FreshnessAndFlagsTest(aw.AuthzTestCase):
    """--authz-leeway 0 (credentials expiring while cached), custom header
    names, and trusted proxies given as a list with CIDRs."""

    server_args = ["--authz-leeway", "0", "--authz-api-key-header", "X-Partner-Key",
                   "--authz-cert-header", "X-SSL-Client-Cert",
                   "--trusted-proxies", "10.0.0.0/8, 127.0.0.0/8"]

    def world_extra(self):
        return {"jwtapi": self.new_api("oauth2"), "keyapi": self.new_api("api_key"),
                "certapi": self.new_api("mtls")}

    def uri(self, api_obj, number=NUM):
        return "%s/loans?customerId=%s" % (api_obj["prefix"], number)

    def test_credentials_expiring_while_cached_are_refused_after_expiry(self):
        jwt_app = self.new_app(access_token_validity_secs=3)
        jwt_sub = self.subscribe(jwt_app, self.jwtapi)
        opaque_app = self.new_app(access_token_validity_secs=3, token_type="uuid")
        opaque_sub = self.subscribe(opaque_app, self.jwtapi)
        cert_app = self.new_app()
        cert_sub = self.subscribe(cert_app, self.certapi)
        pem, _ = self.certificate(cert_app, not_after_secs=3)
        cert_until = time.time() + 3
        jwt = self.token(jwt_app, self.jwtapi)
        opaque = self.token(opaque_app, self.jwtapi)
        exp = jwt_split(jwt)[1]["exp"]
        self.assertLessEqual(exp - time.time(), 3.5)
        cert_cred = [("X-SSL-Client-Cert", aw.escaped_pem(pem))]
        for _ in range(2):
            self.assert_allowed(self.check(self.uri(self.jwtapi), [
                ("Authorization", "Bearer " + jwt)]), self.jwtapi, jwt_app, jwt_sub,
                customer=NUM)
            self.assert_allowed(self.check(self.uri(self.jwtapi), [
                ("Authorization", "Bearer " + opaque)]), self.jwtapi, opaque_app, opaque_sub,
                customer=NUM)
            self.assert_allowed(self.check(self.uri(self.certapi), cert_cred), self.certapi,
                                cert_app, cert_sub, customer=NUM)
        # past exp by a whole second (exp is in whole seconds), and past notAfter
        wait = max(exp + 1.1, cert_until + 1.1) - time.time()
        if wait > 0:
            time.sleep(wait)
        self.assert_401(self.check(self.uri(self.jwtapi), [("Authorization", "Bearer " + jwt)]),
                        "oauth2", message_re="expired")
        self.assert_401(self.check(self.uri(self.jwtapi), [
            ("Authorization", "Bearer " + opaque)]), "oauth2")
        r = self.check(self.uri(self.certapi), cert_cred)
        self.assert_refused(r, 401, "X-SSL-Client-Cert")
        self.assertEqual(r.header("WWW-Authenticate"), aw.CHALLENGE["mtls"], r)

    def test_api_key_in_the_configured_header(self):
        app = self.new_app()
        sub = self.subscribe(app, self.keyapi)
        key, _ = self.api_key(app)
        r = self.check(self.uri(self.keyapi), [("X-Partner-Key", key)])
        self.assert_allowed(r, self.keyapi, app, sub, customer=NUM)
        for headers in ([("X-API-Key", key)], []):
            with self.subTest(headers=bool(headers)):
                r = self.check(self.uri(self.keyapi), headers)
                self.assert_refused(r, 401, "X-Partner-Key")
                self.assertEqual(r.header_all("WWW-Authenticate"),
                                 ['ApiKey realm="gatehouse", header="X-Partner-Key"'], r)

    def test_certificate_in_the_configured_header_from_a_trusted_network(self):
        app = self.new_app()
        sub = self.subscribe(app, self.certapi)
        pem, thumb = self.certificate(app)
        for value in (aw.escaped_pem(pem), thumb):
            r = self.check(self.uri(self.certapi), [("X-SSL-Client-Cert", value)])
            self.assert_allowed(r, self.certapi, app, sub, customer=NUM)
        r = self.check(self.uri(self.certapi), [("X-Client-Cert", thumb)])
        self.assert_refused(r, 401, "X-SSL-Client-Cert")
        self.assertEqual(r.header("WWW-Authenticate"), aw.CHALLENGE["mtls"], r)


class UntrustedProxyTest(aw.AuthzTestCase):
    """No --trusted-proxies: nobody may vouch for a client certificate."""

    server_args = []

    def world_extra(self):
        return {"certapi": self.new_api("mtls")}

    def test_certificate_header_from_an_untrusted_address_is_ignored(self):
        app = self.new_app()
        self.subscribe(app, self.certapi)
        pem, thumb = self.certificate(app)
        uri = "%s/loans?customerId=%s" % (self.certapi["prefix"], NUM)
        for label, headers in (
                ("PEM", [("X-Client-Cert", aw.escaped_pem(pem))]),
                ("thumbprint", [("X-Client-Cert", thumb)]),
                ("with X-Forwarded-For", [("X-Client-Cert", thumb),
                                          ("X-Forwarded-For", "10.1.2.3"),
                                          ("X-Real-IP", "10.1.2.3"),
                                          ("Forwarded", "for=10.1.2.3")])):
            with self.subTest(label):
                r = self.check(uri, headers)
                self.assert_401(r, "mtls")


class OtherProxiesTest(UntrustedProxyTest):
    """--trusted-proxies naming other networks only."""

    server_args = ["--trusted-proxies", "10.0.0.0/8,192.0.2.1, ::1"]
