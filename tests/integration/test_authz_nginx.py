"""gatehouse behind real nginx, configured by the shipped
contrib/nginx/gatehouse.conf (only its addresses replaced), in front of a
small recording upstream: what a user who follows the example gets.

An allowed call reaches the upstream with gatehouse's identity headers (and
none of the X-Gatehouse-* headers the caller forged), its body and method
intact, after exactly one check; every refusal reaches the caller as
gatehouse gives it (status, JSON body byte for byte, WWW-Authenticate,
Retry-After), the 429 included, without the upstream being called; the
API's own refusals pass through untouched; a change made through the
management API (the app set red, then green) takes effect on the very next
request through nginx.

NginxTest's world: the suite's provider API (oauth2, service "ola",
audience "connectapi", customer number in the query parameter customerId),
an API with service "othersvc" that needs no subscription (for the service
check), and an API whose plan allows two requests an hour (for the 429).
NginxMtlsTest switches on the file's commented mTLS lines in front of an
API with auth_method mtls (gatehouse trusting 127.0.0.1).
NginxWithoutGatehouseTest: nginx whose gatehouse does not answer fails
closed.
"""

import hashlib
import json
import os
import shutil
import ssl
import sys
import tempfile
import unittest
import urllib.parse

import harness
import nginx_world
from oauth_world import OAuthTestCase

SEED_001_BODY = {"code": 403, "errors": [{
    "message": "Your API user does not have access to get data for customerId provided",
    "field": "customerId"}]}

IDENTITY = ("Api", "Auth", "App", "Client-Id", "Partner", "Tenant", "Customer-Number",
            "Subscription", "Plan")


def upstream_header(rec, name):
    """Every value of header name the upstream received, in order."""
    return [v for k, v in rec["headers"] if k.lower() == name.lower()]


class NginxCase(OAuthTestCase):
    """gatehouse (one per class, harness) behind nginx and the upstream; the
    world is built by build_world() before the first test."""

    tls = False
    nginx = None
    upstream = None
    built = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.upstream = nginx_world.Upstream().start()
            cls.nginx = nginx_world.Nginx(cls.server.port, cls.upstream.port, tls=cls.tls).start()
        except BaseException:
            cls._stop_world()
            super().tearDownClass()
            raise

    @classmethod
    def _stop_world(cls):
        if cls.nginx is not None:
            cls.nginx.stop()
            cls.nginx.cleanup()
            cls.nginx = None
        if cls.upstream is not None:
            cls.upstream.stop()
            cls.upstream = None

    @classmethod
    def tearDownClass(cls):
        cls._stop_world()
        cls.built = False
        super().tearDownClass()

    def run(self, result=None):
        # Show what nginx logged during a failing test (the server's stderr is
        # shown by harness.ServerTestCase).
        ngx = type(self).nginx
        start = ngx.error_log_size() if ngx else 0
        before = len(result.failures) + len(result.errors) if result is not None else 0
        result = super().run(result)
        if result is not None and ngx is not None and \
                len(result.failures) + len(result.errors) > before:
            sys.stderr.write("\n%s failed; nginx during the test:\n%s\n" % (
                self.id(), ngx.describe(start)))
        return result

    def setUp(self):
        super().setUp()
        if not type(self).built:
            self.build_world()
            type(self).built = True

    # --- requests -------------------------------------------------------------

    def connect(self, client_cert=None):
        if self.tls:
            return nginx_world.TlsClient(self.nginx.port, client_cert)
        return harness.Client(self.nginx.port)

    def via_nginx(self, method, target, headers=None, body=None, client_cert=None):
        c = self.connect(client_cert)
        try:
            return c.request(method, target, body=body, headers=headers or {})
        finally:
            c.close()

    def direct_check(self, method, target, headers=None):
        """gatehouse's own answer to the question nginx asks for this request."""
        h = {"X-Original-URI": target, "X-Original-Method": method,
             "X-Forwarded-Host": "127.0.0.1"}
        h.update(headers or {})
        return self.request("GET", "/authz/check", headers=h)

    def assert_carried(self, method, target, headers, status, field=None, client_cert=None,
                       direct_headers=None):
        """Through nginx: status, gatehouse's JSON body byte for byte (the same
        bytes gatehouse answers when asked directly with the headers nginx
        sends it: direct_headers, default headers), its challenge; the
        upstream not called.  Returns nginx's answer and its decoded body."""
        seen = self.upstream.count()
        r = self.via_nginx(method, target, headers, client_cert=client_cert)
        self.assertEqual(self.upstream.since(seen), [], "a refused call reached the upstream")
        doc = self.refused(status, r, field)
        direct = self.direct_check(method, target,
                                   headers if direct_headers is None else direct_headers)
        self.assertEqual(direct.status, status, direct)
        self.assertEqual(r.body, direct.body, "nginx changed gatehouse's body")
        self.assertEqual(r.header_all("WWW-Authenticate"), direct.header_all("WWW-Authenticate"),
                         r)
        self.assertEqual(r.header("Content-Type"), direct.header("Content-Type"), r)
        for name in IDENTITY:
            self.assertIsNone(r.header("X-Gatehouse-" + name), r)
        return r, doc


class NginxTest(NginxCase):
    """oauth2 JWTs through nginx: allowed, every refusal, a change."""

    def build_world(self):
        cls = type(self)
        w = self.w
        self.ok(200, self.call("PATCH", "/api/v1/apis/%s" % w.api["id"],
                               {"auth_method": "oauth2", "customer_number": {"in": "query"}},
                               as_=self.admin))
        cls.prefix = w.api["path_prefixes"][0]
        cls.app = self.new_app()
        subs = self.ok(200, self.call("GET", "/api/v1/apps/%s/subscriptions" % cls.app.id,
                                      as_=self.admin))["items"]
        self.assertEqual([s["api_id"] for s in subs], [w.api["id"]], subs)
        cls.sub_id = subs[0]["id"]
        tag = "%d-%s" % (os.getpid(), cls.prefix.rsplit("-", 1)[-1])
        # service check: an API the token's services do not name
        cls.svc_api = self.ok(201, self.call(
            "POST", "/api/v1/orgs/%s/apis" % w.provider["id"],
            {"name": "Other %s" % tag, "service": "othersvc", "auth_method": "oauth2",
             "subscription_required": False, "path_prefixes": ["/othersvc-%s" % tag]},
            as_=self.admin))
        # rate limit: 2 requests an hour
        rl_api = self.ok(201, self.call(
            "POST", "/api/v1/orgs/%s/apis" % w.provider["id"],
            {"name": "Limited %s" % tag, "service": "limited", "auth_method": "oauth2",
             "audience": "limitedapi-%s" % tag, "path_prefixes": ["/limited-%s" % tag]},
            as_=self.admin))
        rl_plan = self.ok(201, self.call(
            "POST", "/api/v1/apis/%s/plans" % rl_api["id"],
            {"name": "Two %s" % tag, "approval": "auto",
             "rate_limit": {"requests": 2, "window_secs": 3600}}, as_=self.admin))
        rl_app = self.new_app(subscribe=False)
        sub = self.ok(201, self.call("POST", "/api/v1/apps/%s/subscriptions" % rl_app.id,
                                     {"api": rl_api["id"], "plan": rl_plan["id"]},
                                     as_=self.admin))
        self.assertEqual(sub["status"], "active", sub)
        cls.rl = {"api": rl_api, "app": rl_app, "audience": rl_api["audience"],
                  "prefix": rl_api["path_prefixes"][0]}

    def bearer(self, app=None, **extra):
        return {"Authorization": "Bearer " + self.token(app or self.app, **extra)["access_token"]}

    # --- allowed ----------------------------------------------------------------

    def test_allowed_call_reaches_upstream_with_identity_not_forged_headers(self):
        h = self.bearer()
        h.update({"X-Gatehouse-App": "forged-app", "X-Gatehouse-Tenant": "forged-tenant",
                  "X-Gatehouse-Customer-Number": "99999", "X-Gatehouse-Api": "forged-api"})
        target = "%s/customers/loans?customerId=12345&x=%%41" % self.prefix
        seen = self.upstream.count()
        r = self.via_nginx("GET", target, h)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"upstream": "ok", "target": target}, r)
        got = self.upstream.since(seen)
        self.assertEqual(len(got), 1, got)
        rec = got[0]
        self.assertEqual(rec["target"], target)  # the target gatehouse checked, unchanged
        want = {"Api": self.w.api["id"], "Auth": "oauth2", "App": self.app.id,
                "Client-Id": self.app.client_id, "Partner": self.w.partner["id"],
                "Tenant": self.w.tenant, "Customer-Number": "12345",
                "Subscription": self.sub_id, "Plan": self.w.plan["id"]}
        for name in IDENTITY:
            self.assertEqual(upstream_header(rec, "X-Gatehouse-" + name), [want[name]],
                             (name, rec["headers"]))
        # gatehouse's own direct answer names the same identity
        direct = self.direct_check("GET", target, self.bearer())
        self.assertEqual(direct.status, 200, direct)
        for name in IDENTITY:
            self.assertEqual(upstream_header(rec, "X-Gatehouse-" + name),
                             [direct.header("X-Gatehouse-" + name)], name)

    def test_post_body_and_method_reach_upstream(self):
        body = json.dumps({"amount": 1200, "term": 24}).encode()
        h = self.bearer()
        h["Content-Type"] = "application/json"
        target = "%s/loans?customerId=A-77" % self.prefix
        seen = self.upstream.count()
        r = self.via_nginx("POST", target, h, body)
        self.assertEqual(r.status, 200, r)
        got = self.upstream.since(seen)
        self.assertEqual(len(got), 1, got)
        self.assertEqual((got[0]["method"], got[0]["target"], got[0]["body"]),
                         ("POST", target, body))
        self.assertEqual(upstream_header(got[0], "X-Gatehouse-Customer-Number"), ["A-77"])

    def test_api_own_refusal_passes_through_untouched(self):
        r = self.via_nginx("GET", "%s/own-403?customerId=12345" % self.prefix, self.bearer())
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.body, nginx_world.Upstream.OWN_REFUSAL, r)
        self.assertEqual(r.header_all("WWW-Authenticate"), ['Upstream realm="api"'], r)

    # --- refusals, carried unchanged ----------------------------------------------

    def test_missing_token_is_401_with_bearer_challenge(self):
        r, _ = self.assert_carried("GET", "%s/loans?customerId=12345" % self.prefix, {}, 401,
                                   "Authorization")
        challenge = r.header_all("WWW-Authenticate")
        self.assertEqual(len(challenge), 1, r)
        self.assertTrue(challenge[0].startswith('Bearer realm="gatehouse"'), r)
        self.assertNotIn("error=", challenge[0], r)  # RFC 6750 §3.1: no token, no error

    def test_bad_token_is_401_invalid_token(self):
        tok = self.token(self.app)["access_token"]
        head, payload, sig = tok.split(".")
        forged = "%s.%s.%s" % (head, payload, ("A" if sig[0] != "A" else "B") + sig[1:])
        for bad in (forged, "not-a-token"):
            r, _ = self.assert_carried("GET", "%s/loans?customerId=12345" % self.prefix,
                                       {"Authorization": "Bearer " + bad}, 401, "Authorization")
            challenge = r.header_all("WWW-Authenticate")
            self.assertEqual(len(challenge), 1, r)
            self.assertIn('error="invalid_token"', challenge[0], r)

    def test_seed_001_customer_number_refusal(self):
        h = self.bearer()
        for target in ("%s/loans?customerId=99999" % self.prefix,  # not the partner's
                       "%s/loans" % self.prefix):                   # none at all
            r, doc = self.assert_carried("GET", target, h, 403, "customerId")
            self.assertEqual(doc, SEED_001_BODY, r)

    def test_service_not_in_token_is_403(self):
        target = "%s/x?customerId=12345" % self.svc_api["path_prefixes"][0]
        self.assert_carried("GET", target, self.bearer(), 403, "service")

    def test_caller_cannot_pick_the_api(self):
        # The token may use the suite's API, not the "othersvc" one; naming the
        # former in X-Gatehouse-Api would pass if gatehouse saw the header.
        target = "%s/x?customerId=12345" % self.svc_api["path_prefixes"][0]
        h = self.bearer()
        forged = dict(h, **{"X-Gatehouse-Api": self.w.api["id"]})
        direct = self.direct_check("GET", target, forged)
        self.assertEqual(direct.status, 200, direct)
        self.assert_carried("GET", target, forged, 403, "service", direct_headers=h)

    def test_no_api_at_path_is_403(self):
        self.assert_carried("GET", "/nothing-%d/here" % os.getpid(), self.bearer(), 403, "uri")

    def test_malformed_target_is_400(self):
        # an encoded "/" could name one path to gatehouse and another upstream
        self.assert_carried("GET", "%s/a%%2Fb?customerId=12345" % self.prefix, self.bearer(),
                            400, "X-Original-URI")

    def test_rate_limit_429_with_retry_after(self):
        h = self.bearer(self.rl["app"], resource=self.rl["audience"])
        target = "%s/items" % self.rl["prefix"]
        seen = self.upstream.count()
        # two allowed: nginx asks once per allowed request, or the second would be refused
        for _ in range(2):
            r = self.via_nginx("GET", target, h)
            self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.upstream.since(seen)), 2)
        r, _ = self.assert_carried("GET", target, h, 429, "plan")
        retry = r.header_all("Retry-After")
        self.assertEqual(len(retry), 1, r)
        # 2 per hour, spent: at most a window plus half of one (docs/authz.md)
        self.assertTrue(retry[0].isdigit() and 0 < int(retry[0]) <= 3600 + 1800, r)

    # --- changes --------------------------------------------------------------------

    def test_red_status_takes_effect_at_once(self):
        app = self.new_app()
        h = self.bearer(app)
        target = "%s/loans?customerId=12345" % self.prefix
        self.assertEqual(self.via_nginx("GET", target, h).status, 200)
        reason = "Invoices unpaid since March"
        self.ok(200, self.call("PUT", "/api/v1/apps/%s/access-status" % app.id,
                               {"provider_org": self.w.provider["id"], "status": "red",
                                "reason": reason}, as_=self.admin))
        r, doc = self.assert_carried("GET", target, h, 403, "app")
        self.assertIn(reason, doc["errors"][0]["message"], r)
        self.ok(200, self.call("PUT", "/api/v1/apps/%s/access-status" % app.id,
                               {"provider_org": self.w.provider["id"], "status": "green"},
                               as_=self.admin))
        r = self.via_nginx("GET", target, h)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["upstream"], "ok", r)


class NginxMtlsTest(NginxCase):
    """The file's commented mTLS variant switched on: the partner presents a
    client certificate to nginx, gatehouse (trusting 127.0.0.1) matches its
    thumbprint; a caller's own X-Client-Cert header never reaches gatehouse."""

    tls = True
    server_args = ["--trusted-proxies", "127.0.0.1"]

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "certdir", None):
            shutil.rmtree(cls.certdir, ignore_errors=True)
            cls.certdir = None
        super().tearDownClass()

    def build_world(self):
        cls = type(self)
        w = self.w
        self.ok(200, self.call("PATCH", "/api/v1/apis/%s" % w.api["id"], {"auth_method": "mtls"},
                               as_=self.admin))
        cls.prefix = w.api["path_prefixes"][0]
        cls.certdir = tempfile.mkdtemp(prefix="gh-nginx-certs-")
        cls.cert = nginx_world.self_signed(cls.certdir, "partner", "client.partner.test")
        cls.stranger = nginx_world.self_signed(cls.certdir, "stranger", "stranger.test")
        cls.app = self.new_app()
        with open(cls.cert[0]) as f:
            cls.cert_pem = f.read()
        self.ok(201, self.call("POST", "/api/v1/apps/%s/certificates" % cls.app.id,
                               {"pem": cls.cert_pem}, as_=self.admin))
        cls.thumbprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(cls.cert_pem)).hexdigest()

    def test_registered_certificate_passes_with_identity(self):
        target = "%s/loans" % self.prefix
        seen = self.upstream.count()
        r = self.via_nginx("GET", target, {"X-Gatehouse-App": "forged"}, client_cert=self.cert)
        self.assertEqual(r.status, 200, r)
        got = self.upstream.since(seen)
        self.assertEqual(len(got), 1, got)
        self.assertEqual(upstream_header(got[0], "X-Gatehouse-App"), [self.app.id])
        self.assertEqual(upstream_header(got[0], "X-Gatehouse-Client-Id"), [self.app.client_id])
        self.assertEqual(upstream_header(got[0], "X-Gatehouse-Auth"), ["mtls"])

    def test_no_certificate_is_401_with_certificate_challenge(self):
        r, _ = self.assert_carried("GET", "%s/loans" % self.prefix, {}, 401, "X-Client-Cert")
        self.assertEqual(r.header_all("WWW-Authenticate"), ['Certificate realm="gatehouse"'], r)

    def test_unregistered_certificate_is_401(self):
        with open(self.stranger[0]) as f:
            escaped = urllib.parse.quote(f.read(), safe="")
        self.assert_carried("GET", "%s/loans" % self.prefix, {}, 401, "X-Client-Cert",
                            client_cert=self.stranger, direct_headers={"X-Client-Cert": escaped})

    def test_caller_sent_certificate_header_is_dropped(self):
        forged = {"X-Client-Cert": self.thumbprint}
        # the header alone would pass, coming from the trusted proxy address...
        direct = self.direct_check("GET", "%s/loans" % self.prefix, forged)
        self.assertEqual(direct.status, 200, direct)
        # ...but nginx replaces it with the TLS connection's (here: no) certificate
        self.assert_carried("GET", "%s/loans" % self.prefix, forged, 401, "X-Client-Cert",
                            direct_headers={})


class NginxWithoutGatehouseTest(unittest.TestCase):
    """nginx whose gatehouse does not answer: the call fails closed (500),
    the upstream is never called."""

    def test_unreachable_gatehouse_fails_closed(self):
        up = nginx_world.Upstream().start()
        self.addCleanup(up.stop)
        ngx = nginx_world.Nginx(harness.free_port(), up.port).start()
        self.addCleanup(ngx.cleanup)
        self.addCleanup(ngx.stop)
        c = harness.Client(ngx.port)
        self.addCleanup(c.close)
        r = c.request("GET", "/ola/loans?customerId=12345",
                      headers={"Authorization": "Bearer whatever"})
        self.assertEqual(r.status, 500, r)
        self.assertEqual(up.count(), 0)
