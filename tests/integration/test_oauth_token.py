"""POST /connect/token and /oauth2/token (issue 5, seed 003): the
client_credentials grant with client_secret_post and client_secret_basic,
RFC 6749 §5.2 errors, RFC 9068 JWT claims, opaque tokens stored only as a
hash, token lifetimes and secret rotation with a grace period."""

import base64
import glob
import hashlib
import json
import os
import re
import subprocess
import time
import urllib.parse

import api

_n = [0]


def seq():
    _n[0] += 1
    return "%d-%d" % (os.getpid(), _n[0])


def b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def form(pairs):
    return urllib.parse.urlencode(pairs).encode()


def basic(client_id, secret):
    """RFC 6749 2.3.1: each part form-urlencoded, then base64."""
    raw = urllib.parse.quote_plus(client_id) + ":" + urllib.parse.quote_plus(secret)
    return "Basic " + base64.b64encode(raw.encode()).decode()


class TokenBase(api.ApiTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = None

    # --- the world: a provider with APIs, a partner with apps -------------------

    def admin_call(self, method, path, body=None, status=None):
        r = self.call(method, path, body, as_=self.admin)
        if status is not None:
            return self.ok(status, r)
        return r

    def setUp(self):
        if type(self).world is None:
            type(self).world = self.build_world()
        self.w = type(self).world

    def build_world(self):
        w = {}
        owner = self.new_person("towner", name="Tara Token")
        w["provider"] = self.admin_call("POST", "/api/v1/orgs", {
            "name": "Provider %s" % seq(), "provider": True, "partner": False,
            "responsible_email": owner.email}, status=201)
        w["tenant"] = "acme-%s" % seq()
        w["partner"] = self.admin_call("POST", "/api/v1/orgs", {
            "name": "Partner %s" % seq(), "partner": True, "provider": False,
            "tenant": w["tenant"], "responsible_email": owner.email}, status=201)
        self.admin_call("PUT", "/api/v1/orgs/%s/customer-numbers" % w["partner"]["id"],
                        {"customer_numbers": ["100200", "100300"]}, status=200)
        w["other_tenant"] = "other-%s" % seq()
        self.admin_call("POST", "/api/v1/orgs", {
            "name": "Other %s" % seq(), "partner": True, "provider": False,
            "tenant": w["other_tenant"], "responsible_email": owner.email}, status=201)
        prov = w["provider"]["id"]
        w["connect"] = self.new_api(prov, "connectapi-%s" % seq(), "ola")
        w["billing"] = self.new_api(prov, "billingapi-%s" % seq(), "billing")
        w["pending"] = self.new_api(prov, "pendingapi-%s" % seq(), "pendingsvc")
        w["app"] = self.new_app(w, scopes=["profile", "email"])
        for key in ("connect", "billing"):
            self.subscribe(w["app"], w[key], activate=True)
        self.subscribe(w["app"], w["pending"], activate=False)
        return w

    def new_api(self, org_id, audience, service):
        n = seq()
        a = self.admin_call("POST", "/api/v1/orgs/%s/apis" % org_id, {
            "name": "API %s" % n, "service": "%s" % service, "audience": audience,
            "path_prefixes": ["/p-%s" % n], "auth_method": "access_token"}, status=201)
        a["plan"] = self.admin_call("POST", "/api/v1/apis/%s/plans" % a["id"],
                                    {"name": "Plan %s" % n}, status=201)
        return a

    def subscribe(self, app, api_obj, activate):
        sub = self.admin_call("POST", "/api/v1/apps/%s/subscriptions" % app["id"],
                              {"api": api_obj["id"], "plan": api_obj["plan"]["id"]}, status=201)
        if activate and sub["status"] != "active":
            sub = self.admin_call("POST", "/api/v1/subscriptions/%s/activate" % sub["id"],
                                  status=200)
            self.assertEqual(sub["status"], "active")
        return sub

    def new_app(self, w=None, **fields):
        w = w or self.w
        body = {"name": "App %s" % seq()}
        body.update(fields)
        app = self.admin_call("POST", "/api/v1/orgs/%s/apps" % w["partner"]["id"], body,
                              status=201)
        self.assertTrue(app["client_secret"])
        return app

    def patch_app(self, app, **fields):
        return self.admin_call("PATCH", "/api/v1/apps/%s" % app["id"], fields, status=200)

    # --- token requests -------------------------------------------------------------

    def token(self, pairs=None, auth=None, raw=None, ctype="application/x-www-form-urlencoded",
              path="/connect/token", headers=None):
        h = dict(headers or {})
        if ctype:
            h["Content-Type"] = ctype
        if auth:
            h["Authorization"] = auth
        body = raw if raw is not None else form(pairs or [])
        return self.request("POST", path, body=body, headers=h)

    def creds(self, app, **extra):
        pairs = [("grant_type", "client_credentials"), ("client_id", app["client_id"]),
                 ("client_secret", app["client_secret"])]
        pairs += list(extra.items())
        return pairs

    def granted(self, r):
        """Asserts a successful token answer and returns its JSON."""
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0], "application/json")
        self.assertEqual(r.header("Cache-Control"), "no-store", r)
        self.assertEqual(r.header("Pragma"), "no-cache", r)
        doc = r.json()
        self.assertTrue(set(doc) in ({"access_token", "token_type", "expires_in", "scope"},
                                     {"access_token", "token_type", "expires_in"}), doc)
        self.assertEqual(doc["token_type"], "Bearer")
        self.assertIsInstance(doc["expires_in"], int)
        return doc

    def refused(self, r, error, status=400, hint=None):
        """Asserts an RFC 6749 5.2 error answer; hint must occur in the description."""
        self.assertEqual(r.status, status, r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0], "application/json")
        self.assertEqual(r.header("Cache-Control"), "no-store", r)
        doc = r.json()
        self.assertEqual(set(doc), {"error", "error_description"}, doc)
        self.assertEqual(doc["error"], error, doc)
        self.assertTrue(doc["error_description"].strip(), doc)
        if hint is not None:
            self.assertIn(hint, doc["error_description"], doc)
        return doc

    def jwt(self, token):
        parts = token.split(".")
        self.assertEqual(len(parts), 3, token)
        return b64url_json(parts[0]), b64url_json(parts[1])

    def issuer(self):
        return "http://127.0.0.1:%d" % self.server.port


class SeedRequestTest(TokenBase):

    def test_seed_003_request_with_curl_exactly_as_written(self):
        # Postman's x-www-form-urlencoded body with seed 003's keys and values,
        # "tenant: <key>" with its space, sent by curl as written.
        app = self.w["app"]
        cmd = ["curl", "-sS", "-i", "http://127.0.0.1:%d/connect/token" % self.server.port,
               "-H", "Content-Type: application/x-www-form-urlencoded",
               "--data-urlencode", "grant_type=client_credentials",
               "--data-urlencode", "client_id=%s" % app["client_id"],
               "--data-urlencode", "client_secret=%s" % app["client_secret"],
               "--data-urlencode", "scope=profile",
               "--data-urlencode", "acr_values=tenant: %s" % self.w["tenant"],
               "--data-urlencode", "resource=%s" % self.w["connect"]["audience"]]
        out = subprocess.run(cmd, capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        head, _, body = out.stdout.decode().partition("\r\n\r\n")
        self.assertRegex(head, r"^HTTP/1\.1 200")
        self.assertRegex(head, r"(?im)^cache-control: no-store\r?$")
        doc = json.loads(body)
        self.assertEqual(doc["token_type"], "Bearer")
        self.assertEqual(doc["expires_in"], 86400)  # seed 003: valid for 24 hours
        self.assertEqual(doc["scope"], "profile")
        header, claims = self.jwt(doc["access_token"])
        self.assertEqual(header["typ"], "at+jwt")
        self.assertEqual(header["alg"], "ES256")
        self.assertTrue(header["kid"])
        self.assertEqual(claims["aud"], self.w["connect"]["audience"])
        self.assertEqual(claims["tenant"], self.w["tenant"])
        self.assertEqual(claims["services"], ["ola"])

    def test_raw_body_with_literal_space_as_postman_sends_it(self):
        app = self.w["app"]
        raw = ("grant_type=client_credentials&client_id=%s&client_secret=%s&scope=profile"
               "&resource=%s&acr_values=tenant:+%s" % (
                   app["client_id"], app["client_secret"], self.w["connect"]["audience"],
                   self.w["tenant"])).encode()
        doc = self.granted(self.token(raw=raw))
        self.assertEqual(self.jwt(doc["access_token"])[1]["tenant"], self.w["tenant"])

    def test_both_paths_answer(self):
        for path in ("/connect/token", "/oauth2/token"):
            self.granted(self.token(self.creds(self.w["app"]), path=path))
        r = self.request("GET", "/connect/token")
        self.assertEqual(r.status, 405, r)


class ClaimsTest(TokenBase):

    def test_rfc9068_claims_and_seed_001_fields(self):
        app = self.w["app"]
        before = int(time.time())
        doc = self.granted(self.token(self.creds(app, scope="profile email")))
        after = int(time.time())
        header, c = self.jwt(doc["access_token"])
        self.assertEqual(header["typ"], "at+jwt")
        self.assertEqual(c["iss"], self.issuer())
        self.assertEqual(c["sub"], app["client_id"])
        self.assertEqual(c["client_id"], app["client_id"])
        self.assertNotIn("aud", c)  # no resource and no --default-audience
        self.assertTrue(before <= c["iat"] <= after, c)
        self.assertEqual(c["exp"] - c["iat"], 86400)
        self.assertEqual(c["scope"], "profile email")
        self.assertEqual(doc["scope"], "profile email")
        self.assertRegex(c["jti"], r"^[A-Za-z0-9_-]{22}$")
        self.assertEqual(c["tenant"], self.w["tenant"])
        self.assertEqual(c["customer_numbers"], ["100200", "100300"])
        # active subscriptions only, sorted: not the activation-requested one
        self.assertEqual(c["services"], ["billing", "ola"])

    def test_each_token_has_its_own_jti(self):
        jtis = {self.jwt(self.granted(self.token(self.creds(self.w["app"])))["access_token"])[1]
                ["jti"] for _ in range(5)}
        self.assertEqual(len(jtis), 5)

    def test_resource_limits_aud_and_services(self):
        doc = self.granted(self.token(self.creds(
            self.w["app"], resource=self.w["billing"]["audience"])))
        c = self.jwt(doc["access_token"])[1]
        self.assertEqual(c["aud"], self.w["billing"]["audience"])
        self.assertEqual(c["services"], ["billing"])
        # an API the app has no active subscription to: the token names no service
        doc = self.granted(self.token(self.creds(
            self.w["app"], resource=self.w["pending"]["audience"])))
        c = self.jwt(doc["access_token"])[1]
        self.assertEqual(c["aud"], self.w["pending"]["audience"])
        self.assertEqual(c["services"], [])

    def test_new_api_audience_is_found_after_a_change(self):
        a = self.new_api(self.w["provider"]["id"], "fresh-%s" % seq(), "freshsvc")
        doc = self.granted(self.token(self.creds(self.w["app"], resource=a["audience"])))
        self.assertEqual(self.jwt(doc["access_token"])[1]["aud"], a["audience"])

    def test_scope_rules(self):
        app = self.w["app"]  # scopes profile, email
        # no scope requested: the app's whole scope list
        doc = self.granted(self.token(self.creds(app)))
        self.assertEqual(doc["scope"], "profile email")
        self.assertEqual(self.jwt(doc["access_token"])[1]["scope"], "profile email")
        # a duplicate is granted once
        doc = self.granted(self.token(self.creds(app, scope="email email")))
        self.assertEqual(doc["scope"], "email")
        # an app without a scope list: anything requested, nothing unrequested
        free = self.new_app()
        doc = self.granted(self.token(self.creds(free, scope="anything:read x")))
        self.assertEqual(doc["scope"], "anything:read x")
        doc = self.granted(self.token(self.creds(free)))
        self.assertNotIn("scope", doc)
        self.assertNotIn("scope", self.jwt(doc["access_token"])[1])

    def test_acr_tenant_absent_means_the_apps_own(self):
        doc = self.granted(self.token(self.creds(self.w["app"])))
        self.assertEqual(self.jwt(doc["access_token"])[1]["tenant"], self.w["tenant"])
        doc = self.granted(self.token(self.creds(
            self.w["app"], acr_values="urn:other tenant:%s" % self.w["tenant"])))
        self.assertEqual(self.jwt(doc["access_token"])[1]["tenant"], self.w["tenant"])


class ClientAuthTest(TokenBase):

    def test_client_secret_basic(self):
        app = self.w["app"]
        r = self.token([("grant_type", "client_credentials")],
                       auth=basic(app["client_id"], app["client_secret"]))
        c = self.jwt(self.granted(r)["access_token"])[1]
        self.assertEqual(c["client_id"], app["client_id"])
        # the same client_id may also be in the body
        r = self.token([("grant_type", "client_credentials"), ("client_id", app["client_id"])],
                       auth=basic(app["client_id"], app["client_secret"]))
        self.granted(r)

    def test_basic_credentials_are_form_urlencoded_before_base64(self):
        app = self.new_app()
        secret = "s3cr:et+with%%/&=chars-%s-0123456789abcdef" % seq()
        cid = "client.id-%s" % seq()
        self.admin_call("PUT", "/api/v1/apps/%s/client-credentials" % app["id"],
                        {"client_id": cid, "client_secret": secret}, status=200)
        r = self.token([("grant_type", "client_credentials")], auth=basic(cid, secret))
        self.assertEqual(self.jwt(self.granted(r)["access_token"])[1]["client_id"], cid)
        # without the encoding, "%/" and '+' in the secret do not decode to it
        raw = "Basic " + base64.b64encode(("%s:%s" % (cid, secret)).encode()).decode()
        self.refused(self.token([("grant_type", "client_credentials")], auth=raw),
                     "invalid_client", 401)
        # and as client_secret_post
        self.granted(self.token([("grant_type", "client_credentials"), ("client_id", cid),
                                 ("client_secret", secret)]))

    def test_wrong_secret_basic_has_challenge_post_has_none(self):
        app = self.w["app"]
        r = self.token([("grant_type", "client_credentials")],
                       auth=basic(app["client_id"], "ghcs_wrong"))
        self.refused(r, "invalid_client", 401, "client_secret")
        self.assertEqual(r.header("WWW-Authenticate"), 'Basic realm="gatehouse"')
        r = self.token([("grant_type", "client_credentials"), ("client_id", app["client_id"]),
                        ("client_secret", "ghcs_wrong")])
        self.refused(r, "invalid_client", 401, "client_secret")
        self.assertIsNone(r.header("WWW-Authenticate"))
        # an unknown client gets the same answer as a wrong secret
        r2 = self.token([("grant_type", "client_credentials"), ("client_id", "nobody"),
                         ("client_secret", "ghcs_wrong")])
        self.assertEqual(self.refused(r2, "invalid_client", 401), r.json())


class ErrorsTest(TokenBase):

    def test_invalid_request(self):
        app = self.w["app"]
        cases = [
            (self.token(self.creds(app), ctype="application/json"), "x-www-form-urlencoded"),
            (self.token(self.creds(app), ctype=None), "x-www-form-urlencoded"),
            (self.token(self.creds(app, scope="email") + [("scope", "profile")]),
             "'scope' is repeated"),
            (self.token(self.creds(app) + [("client_id", app["client_id"])]),
             "'client_id' is repeated"),
            (self.token(self.creds(app)[1:]), "grant_type is missing"),
            (self.token(self.creds(app), auth=basic(app["client_id"], app["client_secret"])),
             "one method"),
            (self.token([("grant_type", "client_credentials"), ("client_id", "someone-else")],
                        auth=basic(app["client_id"], app["client_secret"])),
             "differs"),
            (self.token(self.creds(app, acr_values="tenant:")), "tenant key"),
            (self.token(self.creds(app, acr_values="tenant:a tenant:b")), "more than one"),
            (self.token(raw=b"grant_type=client_credentials&client_id=%zz"), "client_id"),
            (self.token(raw=b"grant_type=client_credentials&client_id=a%00b&client_secret=x"),
             "NUL"),
        ]
        for r, hint in cases:
            self.refused(r, "invalid_request", 400, hint)

    def test_invalid_client(self):
        app = self.w["app"]
        cases = [
            (self.token([("grant_type", "client_credentials")]), "no client authentication"),
            (self.token([("grant_type", "client_credentials"), ("client_id", app["client_id"])]),
             "client_secret is missing"),
            (self.token([("grant_type", "client_credentials")], auth="Bearer abc"), "Basic"),
            (self.token([("grant_type", "client_credentials")], auth="Basic !!!"), "base64"),
            (self.token([("grant_type", "client_credentials")],
                        auth="Basic " + base64.b64encode(b"nocolon").decode()), "':'"),
        ]
        for r, hint in cases:
            self.refused(r, "invalid_client", 401, hint)
        for r, _ in cases[2:]:
            self.assertEqual(r.header("WWW-Authenticate"), 'Basic realm="gatehouse"')

    def test_unsupported_grant_type(self):
        r = self.token([("grant_type", "password")] + self.creds(self.w["app"])[1:])
        self.refused(r, "unsupported_grant_type", 400, "client_credentials")

    def test_unauthorized_client_when_grant_not_allowed(self):
        app = self.new_app(grant_types=["authorization_code"])
        self.refused(self.token(self.creds(app)), "unauthorized_client", 400, "grant_types")
        self.patch_app(app, grant_types=["authorization_code", "client_credentials"])
        self.granted(self.token(self.creds(app)))

    def test_invalid_scope(self):
        app = self.w["app"]
        self.refused(self.token(self.creds(app, scope="profile admin")), "invalid_scope", 400,
                     "'admin'")
        self.refused(self.token(self.creds(app, scope="")), "invalid_scope", 400, "empty")
        self.refused(self.token(self.creds(app, scope="profile  email")), "invalid_scope", 400,
                     "single spaces")
        self.refused(self.token(self.creds(app, scope='a"b')), "invalid_scope", 400, "3.3")

    def test_invalid_target(self):
        app = self.w["app"]
        self.refused(self.token(self.creds(app, resource="nosuchapi")), "invalid_target", 400,
                     "'nosuchapi'")
        self.refused(self.token(self.creds(app, resource="")), "invalid_target", 400, "empty")
        r = self.token(self.creds(app) + [("resource", self.w["connect"]["audience"]),
                                          ("resource", self.w["billing"]["audience"])])
        self.refused(r, "invalid_target", 400, "one resource")

    def test_invalid_grant_for_another_tenant(self):
        app = self.w["app"]
        self.refused(self.token(self.creds(app, acr_values="tenant:%s" % self.w["other_tenant"])),
                     "invalid_grant", 400, self.w["other_tenant"])
        self.refused(self.token(self.creds(app, acr_values="tenant:nosuch")),
                     "invalid_grant", 400, "partner tenant")

    def test_disabled_and_public_apps_are_refused(self):
        app = self.new_app()
        self.granted(self.token(self.creds(app)))
        self.patch_app(app, disabled=True)
        self.refused(self.token(self.creds(app)), "invalid_client", 401, "disabled")
        self.patch_app(app, disabled=False)
        self.granted(self.token(self.creds(app)))
        self.patch_app(app, confidential=False)
        self.refused(self.token(self.creds(app)), "unauthorized_client", 400, "confidential")

    def test_garbage_bodies_never_crash(self):
        for raw in (b"", b"&&&", b"=", b"%", b"a" * 5000, bytes(range(256)),
                    b"grant_type=client_credentials&" * 70):
            r = self.token(raw=raw)
            self.assertIn(r.status, (400, 401), r)
            self.assertIn(r.json()["error"], ("invalid_request", "invalid_client"))
        self.assert_still_serving()


class LifetimeAndRotationTest(TokenBase):

    def test_default_and_app_lifetime(self):
        doc = self.granted(self.token(self.creds(self.w["app"])))
        self.assertEqual(doc["expires_in"], 86400)
        app = self.new_app(access_token_validity_secs=600)
        doc = self.granted(self.token(self.creds(app)))
        self.assertEqual(doc["expires_in"], 600)
        c = self.jwt(doc["access_token"])[1]
        self.assertEqual(c["exp"] - c["iat"], 600)

    def rotate(self, app, grace):
        new = self.admin_call("POST", "/api/v1/apps/%s/client-secret" % app["id"],
                              {"grace_seconds": grace}, status=200)
        self.assertNotEqual(new["client_secret"], app["client_secret"])
        return dict(app, client_secret=new["client_secret"])

    def test_old_secret_works_during_grace_only(self):
        old = self.new_app()
        new = self.rotate(old, 2)
        self.granted(self.token(self.creds(new)))
        self.granted(self.token(self.creds(old)))  # within the grace period
        self.granted(self.token([("grant_type", "client_credentials")],
                                auth=basic(old["client_id"], old["client_secret"])))
        time.sleep(2.2)
        self.refused(self.token(self.creds(old)), "invalid_client", 401)
        self.granted(self.token(self.creds(new)))

    def test_rotation_without_grace_stops_old_secret_at_once(self):
        old = self.new_app()
        new = self.rotate(old, 0)
        self.refused(self.token(self.creds(old)), "invalid_client", 401)
        self.granted(self.token(self.creds(new)))


class OpaqueTokenTest(TokenBase):

    def db_bytes(self):
        data = b""
        for path in glob.glob(self.server.db + "*"):
            if not path.endswith(".key"):
                with open(path, "rb") as f:
                    data += f.read()
        return data

    def test_opaque_token_is_stored_only_hashed(self):
        app = self.new_app(token_type="uuid", scopes=["profile"])
        doc = self.granted(self.token(self.creds(app, resource=self.w["connect"]["audience"])))
        tok = doc["access_token"]
        self.assertRegex(tok, r"^ghot_[A-Za-z0-9_-]{43}$")
        self.assertEqual(doc["expires_in"], 86400)
        self.assertEqual(doc["scope"], "profile")
        data = self.db_bytes()
        self.assertNotIn(tok.encode(), data)
        self.assertNotIn(tok[5:].encode(), data)
        self.assertIn(hashlib.sha256(tok.encode()).hexdigest().encode(), data)
        # with its claims, as a JWT would carry them
        self.assertIn(b'"aud":"%s"' % self.w["connect"]["audience"].encode(), data)

    def test_many_concurrent_opaque_tokens_are_all_stored(self):
        import threading
        app = self.new_app(token_type="uuid")
        tokens, errors = [], []

        def worker():
            try:
                for _ in range(10):
                    r = self.token(self.creds(app))
                    tokens.append(self.granted(r)["access_token"])
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(set(tokens)), 80)
        data = self.db_bytes()
        for tok in tokens:
            self.assertIn(hashlib.sha256(tok.encode()).hexdigest().encode(), data)

    def test_secrets_and_tokens_never_logged(self):
        app = self.new_app(token_type="uuid")
        jwt_app = self.new_app()
        opaque = self.granted(self.token(self.creds(app)))["access_token"]
        jwt = self.granted(self.token(self.creds(jwt_app)))["access_token"]
        self.refused(self.token([("grant_type", "client_credentials"),
                                 ("client_id", app["client_id"]),
                                 ("client_secret", "ghcs_not-the-secret-xyz")]),
                     "invalid_client", 401)
        log = self.server.stderr_text()
        for s in (app["client_secret"], jwt_app["client_secret"], opaque, jwt,
                  "ghcs_not-the-secret-xyz"):
            self.assertNotIn(s, log)
        self.assertTrue(re.search(r'"oauth.token_refused"', log), "refusals are logged")


if __name__ == "__main__":
    import unittest
    unittest.main()
