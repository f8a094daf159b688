"""What the token-service suites need around a server: a provider with an API
(audience "connectapi", service "ola") and an auto-approved plan, a partner
with a tenant and customer numbers, and apps subscribed to the API, all made
through the management API with the platform-admin token from the CLI; plus
form-encoded calls to /connect/token, /oauth2/introspect and /oauth2/revoke.

    class T(oauth_world.OAuthTestCase):
        def test_x(self):
            app = self.new_app(token_type="uuid")
            tok = self.token(app)["access_token"]
            self.introspect(tok, auth=app)
"""

import base64
import itertools
import json
import os
import urllib.parse

import api
import harness

_n = itertools.count(1)


class App:
    """A confidential app with its one-time secret."""

    def __init__(self, body):
        self.body = body
        self.id = body["id"]
        self.client_id = body["client_id"]
        self.secret = body["client_secret"]


def form(fields):
    return urllib.parse.urlencode(fields).encode()


def basic(client_id, secret):
    raw = "%s:%s" % (urllib.parse.quote_plus(client_id), urllib.parse.quote_plus(secret))
    return "Basic " + base64.b64encode(raw.encode()).decode()


def unverified_claims(jwt):
    """The payload of a compact JWS, decoded without checking anything."""
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class World:
    """The provider, API, plan and partner every app of a suite shares."""

    def __init__(self, case):
        n = next(_n)
        tag = "%d-%d" % (os.getpid(), n)
        self.provider = case.ok(201, case.call("POST", "/api/v1/orgs",
                                               {"name": "Provider %s" % tag, "provider": True},
                                               as_=case.admin))
        self.api = case.ok(201, case.call(
            "POST", "/api/v1/orgs/%s/apis" % self.provider["id"],
            {"name": "Open Lending %s" % tag, "service": "ola", "audience": "connectapi",
             "path_prefixes": ["/ola-%s" % tag]}, as_=case.admin))
        self.plan = case.ok(201, case.call("POST", "/api/v1/apis/%s/plans" % self.api["id"],
                                           {"name": "Gold %s" % tag, "approval": "auto"},
                                           as_=case.admin))
        self.tenant = "partner-%s" % tag
        self.partner = case.ok(201, case.call(
            "POST", "/api/v1/orgs",
            {"name": "Partner %s" % tag, "partner": True, "tenant": self.tenant},
            as_=case.admin))
        case.ok(200, case.call("PUT", "/api/v1/orgs/%s/customer-numbers" % self.partner["id"],
                               {"customer_numbers": ["12345", "A-77"]}, as_=case.admin))


class OAuthTestCase(api.ApiTestCase):
    """An ApiTestCase with one World per class and OAuth form calls."""

    world = None

    def setUp(self):
        super().setUp()
        if type(self).world is None:
            type(self).world = World(self)
        self.w = type(self).world

    @classmethod
    def tearDownClass(cls):
        cls.world = None
        super().tearDownClass()

    def new_app(self, subscribe=True, **fields):
        body = {"name": "App %d-%d" % (os.getpid(), next(_n))}
        body.update(fields)
        app = App(self.ok(201, self.call("POST", "/api/v1/orgs/%s/apps" % self.w.partner["id"],
                                         body, as_=self.admin)))
        if subscribe:
            sub = self.ok(201, self.call("POST", "/api/v1/apps/%s/subscriptions" % app.id,
                                         {"api": self.w.api["id"], "plan": self.w.plan["id"]},
                                         as_=self.admin))
            self.assertEqual(sub["status"], "active", sub)
        return app

    def discovery(self):
        r = self.get("/.well-known/openid-configuration")
        self.assertEqual(r.status, 200, r)
        return r.json()

    def post_form(self, path, fields, headers=None, raw=None):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", path, body=raw if raw is not None else form(fields),
                            headers=h)

    def token(self, app, **extra):
        """Seed 003's request for app; asserts 200 and returns the answer."""
        fields = {"grant_type": "client_credentials", "client_id": app.client_id,
                  "client_secret": app.secret, "scope": "profile", "resource": "connectapi",
                  "acr_values": "tenant:%s" % self.w.tenant}
        fields.update(extra)
        fields = {k: v for k, v in fields.items() if v is not None}
        r = self.post_form("/connect/token", fields)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def _auth(self, fields, auth):
        """auth: an App (client_secret_post), ("basic", App), an api.Admin, or None."""
        headers = {}
        if isinstance(auth, App):
            fields["client_id"] = auth.client_id
            fields["client_secret"] = auth.secret
        elif isinstance(auth, tuple) and auth[0] == "basic":
            headers["Authorization"] = basic(auth[1].client_id, auth[1].secret)
        elif isinstance(auth, (api.Admin, api.Bearer)):
            headers["Authorization"] = "Bearer " + auth.token
        return headers

    def introspect_raw(self, token, auth, hint=None):
        fields = {"token": token}
        if hint:
            fields["token_type_hint"] = hint
        headers = self._auth(fields, auth)
        return self.post_form("/oauth2/introspect", fields, headers)

    def introspect(self, token, auth, hint=None):
        r = self.introspect_raw(token, auth, hint)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Cache-Control"), "no-store", r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0], "application/json", r)
        return r.json()

    def revoke_raw(self, token, auth, hint=None):
        fields = {"token": token}
        if hint:
            fields["token_type_hint"] = hint
        headers = self._auth(fields, auth)
        return self.post_form("/oauth2/revoke", fields, headers)

    def revoke(self, token, auth, hint=None):
        r = self.revoke_raw(token, auth, hint)
        self.assertEqual(r.status, 200, r)
        return r

    def oauth_error(self, r, status, error):
        """RFC 6749 §5.2: {"error","error_description"}, no-store, this status."""
        self.assertEqual(r.status, status, r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0], "application/json", r)
        self.assertEqual(r.header("Cache-Control"), "no-store", r)
        doc = r.json()
        self.assertEqual(set(doc), {"error", "error_description"}, r)
        self.assertEqual(doc["error"], error, r)
        self.assertTrue(doc["error_description"].strip(), r)
        return doc


__all__ = ["App", "World", "OAuthTestCase", "form", "basic", "unverified_claims", "harness"]
