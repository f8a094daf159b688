"""Token introspection (RFC 7662) and revocation (RFC 7009) through HTTP, for
both token types: JWT access tokens and opaque "ghot_" tokens.

An app sees only its own tokens (another app's introspect as
{"active":false} and cannot be revoked by it), a platform-admin token sees
and revokes all; after revocation both types introspect as inactive, also
on a server started afresh from the same database (a node that learns the
deny-list from its snapshot load).  Authentication failures answer RFC 6749
§5.2 errors."""

import json
import time

import harness
import oauth_world
from oauth_world import App, OAuthTestCase, unverified_claims

ANSWER_KEYS = {"active", "scope", "client_id", "token_type", "exp", "iat", "sub", "aud", "iss",
               "jti", "tenant", "customer_numbers", "services"}


class IntrospectTest(OAuthTestCase):

    def setUp(self):
        super().setUp()
        if getattr(type(self), "jwt_app", None) is None:
            type(self).jwt_app = self.new_app()
            type(self).opaque_app = self.new_app(token_type="uuid")
            type(self).other_app = self.new_app(subscribe=False)
        self.issuer = self.discovery()["issuer"]

    @classmethod
    def tearDownClass(cls):
        cls.jwt_app = cls.opaque_app = cls.other_app = None
        super().tearDownClass()

    def check_active(self, doc, app, token_claims=None):
        self.assertIs(doc["active"], True, doc)
        self.assertEqual(set(doc), ANSWER_KEYS, doc)
        self.assertEqual(doc["token_type"], "Bearer")
        self.assertEqual(doc["client_id"], app.client_id)
        self.assertEqual(doc["sub"], app.client_id)
        self.assertEqual(doc["iss"], self.issuer)
        self.assertEqual(doc["aud"], "connectapi")
        self.assertEqual(doc["scope"], "profile")
        self.assertEqual(doc["tenant"], self.w.tenant)
        self.assertEqual(doc["customer_numbers"], ["12345", "A-77"])
        self.assertEqual(doc["services"], ["ola"])
        self.assertEqual(doc["exp"] - doc["iat"], 86400)
        self.assertLessEqual(abs(doc["iat"] - time.time()), 60)
        self.assertRegex(doc["jti"], r"^[A-Za-z0-9_-]{16,}$")
        if token_claims is not None:
            for k in ANSWER_KEYS - {"active", "token_type"}:
                self.assertEqual(doc[k], token_claims[k], k)

    # --- active tokens -------------------------------------------------------

    def test_jwt_of_own_app_by_post_and_basic(self):
        tok = self.token(self.jwt_app)["access_token"]
        claims = unverified_claims(tok)
        self.check_active(self.introspect(tok, self.jwt_app), self.jwt_app, claims)
        self.check_active(self.introspect(tok, ("basic", self.jwt_app), hint="access_token"),
                          self.jwt_app, claims)

    def test_opaque_of_own_app(self):
        tok = self.token(self.opaque_app)["access_token"]
        self.assertRegex(tok, r"^ghot_[A-Za-z0-9_-]{43}$")
        doc = self.introspect(tok, self.opaque_app)
        self.check_active(doc, self.opaque_app)
        # a second opaque token is a different token with its own jti
        doc2 = self.introspect(self.token(self.opaque_app)["access_token"], self.opaque_app)
        self.check_active(doc2, self.opaque_app)
        self.assertNotEqual(doc["jti"], doc2["jti"])

    def test_admin_token_sees_every_token(self):
        jwt = self.token(self.jwt_app)["access_token"]
        opaque = self.token(self.opaque_app)["access_token"]
        self.check_active(self.introspect(jwt, self.admin), self.jwt_app, unverified_claims(jwt))
        self.check_active(self.introspect(opaque, self.admin), self.opaque_app)

    def test_other_apps_tokens_are_inactive_for_an_app(self):
        jwt = self.token(self.jwt_app)["access_token"]
        opaque = self.token(self.opaque_app)["access_token"]
        for tok in (jwt, opaque):
            self.assertEqual(self.introspect(tok, self.other_app), {"active": False})
            self.assertEqual(self.introspect(tok, ("basic", self.other_app)), {"active": False})
        # while the owners still see them active
        self.assertIs(self.introspect(jwt, self.jwt_app)["active"], True)
        self.assertIs(self.introspect(opaque, self.opaque_app)["active"], True)

    def test_unknown_forged_and_tampered_tokens_are_inactive(self):
        jwt = self.token(self.jwt_app)["access_token"]
        head, payload, sig = jwt.split(".")
        claims = unverified_claims(jwt)
        claims["scope"] = "admin"
        forged_payload = oauth_world.base64.urlsafe_b64encode(
            json.dumps(claims).encode()).decode().rstrip("=")
        flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
        for tok in ("nonsense", "ghot_" + "A" * 43, "a.b.c", head + "." + forged_payload + "." + sig,
                    head + "." + payload + "." + flipped, jwt + "x"):
            self.assertEqual(self.introspect(tok, self.admin), {"active": False}, tok)
            self.assertEqual(self.introspect(tok, self.jwt_app), {"active": False}, tok)

    # --- revocation ------------------------------------------------------------

    def test_revoking_a_jwt_makes_it_inactive_and_leaves_others_active(self):
        tok = self.token(self.jwt_app)["access_token"]
        keep = self.token(self.jwt_app)["access_token"]
        r = self.revoke(tok, self.jwt_app, hint="access_token")
        self.assertEqual(r.header("Cache-Control"), "no-store", r)
        self.assertEqual(self.introspect(tok, self.jwt_app), {"active": False})
        self.assertEqual(self.introspect(tok, self.admin), {"active": False})
        self.assertIs(self.introspect(keep, self.jwt_app)["active"], True)
        self.revoke(tok, ("basic", self.jwt_app))  # again: still 200
        self.assertEqual(self.introspect(tok, self.admin), {"active": False})

    def test_revoking_an_opaque_token_makes_it_inactive(self):
        tok = self.token(self.opaque_app)["access_token"]
        keep = self.token(self.opaque_app)["access_token"]
        self.revoke(tok, ("basic", self.opaque_app))
        self.assertEqual(self.introspect(tok, self.opaque_app), {"active": False})
        self.assertEqual(self.introspect(tok, self.admin), {"active": False})
        self.assertIs(self.introspect(keep, self.opaque_app)["active"], True)
        self.revoke(tok, self.opaque_app)

    def test_an_app_cannot_revoke_another_apps_token(self):
        jwt = self.token(self.jwt_app)["access_token"]
        opaque = self.token(self.opaque_app)["access_token"]
        for tok in (jwt, opaque):
            self.oauth_error(self.revoke_raw(tok, self.other_app), 400, "invalid_request")
        self.assertIs(self.introspect(jwt, self.jwt_app)["active"], True)
        self.assertIs(self.introspect(opaque, self.opaque_app)["active"], True)

    def test_admin_revokes_any_token(self):
        jwt = self.token(self.jwt_app)["access_token"]
        opaque = self.token(self.opaque_app)["access_token"]
        self.revoke(jwt, self.admin)
        self.revoke(opaque, self.admin)
        self.assertEqual(self.introspect(jwt, self.jwt_app), {"active": False})
        self.assertEqual(self.introspect(opaque, self.opaque_app), {"active": False})

    def test_unknown_tokens_revoke_with_200(self):
        for tok in ("nonsense", "ghot_" + "B" * 43, "x.y.z"):
            self.revoke(tok, self.jwt_app)
            self.revoke(tok, self.admin)

    def test_tokens_and_secrets_stay_out_of_the_log(self):
        opaque = self.token(self.opaque_app)["access_token"]
        jwt = self.token(self.jwt_app)["access_token"]
        self.introspect(opaque, ("basic", self.opaque_app))
        self.revoke(opaque, self.opaque_app)
        self.revoke(jwt, ("basic", self.jwt_app))
        log = self.server.stderr_text()
        for secret in (opaque, jwt, jwt.split(".")[2], self.opaque_app.secret,
                       self.jwt_app.secret, self.admin.token):
            self.assertNotIn(secret, log)
        with open(self.server.db, "rb") as f:
            db = f.read()
        for secret in (opaque, self.opaque_app.secret):
            self.assertNotIn(secret.encode(), db)

    # --- refusals (RFC 6749 §5.2) -------------------------------------------------

    def test_client_authentication_failures(self):
        tok = self.token(self.jwt_app)["access_token"]
        app = self.jwt_app
        for path in ("/oauth2/introspect", "/oauth2/revoke"):
            # no credentials at all
            r = self.post_form(path, {"token": tok})
            self.oauth_error(r, 401, "invalid_client")
            # wrong secret, post
            r = self.post_form(path, {"token": tok, "client_id": app.client_id,
                                      "client_secret": app.secret[:-1] + "x"})
            self.oauth_error(r, 401, "invalid_client")
            self.assertIsNone(r.header("WWW-Authenticate"), r)
            # id without secret
            r = self.post_form(path, {"token": tok, "client_id": app.client_id})
            self.oauth_error(r, 401, "invalid_client")
            # unknown client, Basic: 401 with the challenge
            r = self.post_form(path, {"token": tok}, headers={
                "Authorization": oauth_world.basic("app-nobody", app.secret)})
            self.oauth_error(r, 401, "invalid_client")
            self.assertEqual(r.header("WWW-Authenticate"), 'Basic realm="gatehouse"', r)
            # malformed Basic
            r = self.post_form(path, {"token": tok}, headers={"Authorization": "Basic !!!"})
            self.oauth_error(r, 401, "invalid_client")
            # both methods
            r = self.post_form(path, {"token": tok, "client_secret": app.secret}, headers={
                "Authorization": oauth_world.basic(app.client_id, app.secret)})
            self.oauth_error(r, 400, "invalid_request")
            # a bearer token that is no admin token
            for bad in ("ghadm_" + "C" * 43, "ghpt_" + "D" * 43, tok):
                r = self.post_form(path, {"token": tok}, headers={"Authorization": "Bearer " + bad})
                self.oauth_error(r, 401, "invalid_token")
                self.assertIn("Bearer", r.header("WWW-Authenticate") or "", r)
        # nothing was revoked by any of that
        self.assertIs(self.introspect(tok, app)["active"], True)

    def test_request_failures(self):
        app = self.jwt_app
        for path in ("/oauth2/introspect", "/oauth2/revoke"):
            r = self.post_form(path, {"client_id": app.client_id, "client_secret": app.secret})
            self.oauth_error(r, 400, "invalid_request")  # no token
            r = self.post_form(path, {"token": "", "client_id": app.client_id,
                                      "client_secret": app.secret})
            self.oauth_error(r, 400, "invalid_request")
            r = self.post_form(path, None, raw=b"token=a&token=b&client_id=%s&client_secret=%s"
                               % (app.client_id.encode(), app.secret.encode()))
            self.oauth_error(r, 400, "invalid_request")  # repeated parameter
            r = self.request("POST", path, body=json.dumps({"token": "x"}).encode(),
                             headers={"Content-Type": "application/json",
                                      "Authorization": oauth_world.basic(app.client_id,
                                                                         app.secret)})
            self.oauth_error(r, 400, "invalid_request")  # not a form
            r = self.post_form(path, None, raw=b"token=%zz")
            self.oauth_error(r, 400, "invalid_request")
            self.assertEqual(self.get(path).status, 405)

    def test_previous_secret_works_during_the_grace_period_only(self):
        app = self.new_app()
        tok = self.token(app)["access_token"]
        old = App(dict(app.body))
        rotated = self.ok(200, self.call("POST", "/api/v1/apps/%s/client-secret" % app.id,
                                         {"grace_seconds": 3600}, as_=self.admin))
        new = App(dict(app.body, client_secret=rotated["client_secret"]))
        for who in (old, new, ("basic", old), ("basic", new)):
            self.assertIs(self.introspect(tok, who)["active"], True)
        self.ok(200, self.call("POST", "/api/v1/apps/%s/client-secret" % app.id, as_=self.admin))
        for who in (old, new):  # no grace: both are gone now
            self.oauth_error(self.introspect_raw(tok, who), 401, "invalid_client")

    def test_previous_secret_stops_when_the_grace_period_ends(self):
        app = self.new_app()
        tok = self.token(app)["access_token"]
        self.ok(200, self.call("POST", "/api/v1/apps/%s/client-secret" % app.id,
                               {"grace_seconds": 1}, as_=self.admin))
        self.assertIs(self.introspect(tok, app)["active"], True)
        time.sleep(2.1)
        self.oauth_error(self.introspect_raw(tok, app), 401, "invalid_client")

    def test_expired_tokens_are_inactive_and_revoke_with_200(self):
        jwt_app = self.new_app(access_token_validity_secs=1)
        opaque_app = self.new_app(token_type="uuid", access_token_validity_secs=1)
        jwt = self.token(jwt_app)["access_token"]
        opaque = self.token(opaque_app)["access_token"]
        self.assertIs(self.introspect(jwt, self.admin)["active"], True)
        self.assertIs(self.introspect(opaque, self.admin)["active"], True)
        time.sleep(2.1)
        self.assertEqual(self.introspect(jwt, jwt_app), {"active": False})
        self.assertEqual(self.introspect(opaque, opaque_app), {"active": False})
        self.revoke(jwt, jwt_app)
        self.revoke(opaque, opaque_app)

    def test_disabled_app_is_refused_and_its_tokens_turn_inactive(self):
        app = self.new_app()
        tok = self.token(app)["access_token"]
        self.assertIs(self.introspect(tok, self.admin)["active"], True)
        self.ok(200, self.call("PATCH", "/api/v1/apps/%s" % app.id, {"disabled": True},
                               as_=self.admin))
        self.oauth_error(self.introspect_raw(tok, app), 401, "invalid_client")
        self.assertEqual(self.introspect(tok, self.admin), {"active": False})


class RevocationSurvivesRestartTest(OAuthTestCase):
    """A node that starts after a revocation learns it from its snapshot."""

    old_servers = []

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            for srv in cls.old_servers:
                srv.cleanup()
            cls.old_servers = []

    def test_both_types_stay_revoked_on_a_fresh_server(self):
        jwt_app = self.new_app()
        opaque_app = self.new_app(token_type="uuid")
        jwt, jwt_live = (self.token(jwt_app)["access_token"] for _ in range(2))
        opaque, opaque_live = (self.token(opaque_app)["access_token"] for _ in range(2))
        self.revoke(jwt, jwt_app)
        self.revoke(opaque, opaque_app)

        old = type(self).server
        self.assertEqual(old.stop(), 0, old.describe())
        type(self).old_servers.append(old)
        # same port: the default issuer is derived from the listen address
        fresh = harness.Server(db=old.db, listen="127.0.0.1:%d" % old.port)
        fresh.start()
        type(self).server = fresh

        self.assertEqual(self.introspect(jwt, self.admin), {"active": False})
        self.assertEqual(self.introspect(opaque, self.admin), {"active": False})
        self.assertEqual(self.introspect(jwt, jwt_app), {"active": False})
        self.assertEqual(self.introspect(opaque, opaque_app), {"active": False})
        self.assertIs(self.introspect(jwt_live, jwt_app)["active"], True)
        self.assertIs(self.introspect(opaque_live, opaque_app)["active"], True)

        # Under another issuer (the default one follows the listen address)
        # the same signing keys no longer make the JWT ours.
        self.assertEqual(fresh.stop(), 0, fresh.describe())
        type(self).old_servers.append(fresh)
        other = harness.Server(db=old.db)
        other.start()
        type(self).server = other
        self.assertNotEqual(self.discovery()["issuer"], unverified_claims(jwt_live)["iss"])
        self.assertEqual(self.introspect(jwt_live, jwt_app), {"active": False})
        self.assertIs(self.introspect(opaque_live, opaque_app)["active"], True)


__all__ = ["App"]
