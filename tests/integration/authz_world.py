"""What the /authz/check suites need around a server (docs/authz.md): a
provider and partners made through the management API with the platform-admin
token, APIs of every auth method with plans, apps with every kind of
credential, raw check requests (duplicate headers allowed), the assertions
of the contract (error shape, seed 001's body, WWW-Authenticate challenges,
identity headers), and tools to forge JWTs and certificates with the Python
standard library and the openssl CLI.

    class T(authz_world.AuthzTestCase):
        def test_x(self):
            a = self.new_api("api_key")
            app, sub = self.subscribed_app(a)
            key, _ = self.api_key(app)
            r = self.check(a["prefix"] + "/loans?customerId=12345", [("X-API-Key", key)])
            self.assert_allowed(r, a, app, sub, customer="12345")
"""

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import api
import harness
from oauth_world import App

_n = itertools.count(1)

# Seed 001's refusal, byte for byte once compacted (the key order matters).
SEED_001 = ('{"code":403,"errors":[{"message":"Your API user does not have access to get '
            'data for customerId provided","field":"customerId"}]}')

CHALLENGE = {
    "oauth2": 'Bearer realm="gatehouse"',
    "access_token": 'Bearer realm="gatehouse"',
    "api_key": 'ApiKey realm="gatehouse", header="X-API-Key"',
    "basic": 'Basic realm="gatehouse", charset="UTF-8"',
    "mtls": 'Certificate realm="gatehouse"',
}
# RFC 6750 §3: a token was sent and is not good.
INVALID_TOKEN = re.compile(r'^Bearer realm="gatehouse", error="invalid_token", '
                           r'error_description="(?:[^"\\]|\\.)*"$')

CREDENTIAL_FIELD = {"oauth2": "Authorization", "access_token": "Authorization",
                    "api_key": "X-API-Key", "basic": "Authorization", "mtls": "X-Client-Cert"}


def tag():
    return "%d-%d" % (os.getpid(), next(_n))


# --- HTTP -------------------------------------------------------------------------


def send(port, method, path, headers, body=None):
    """One request on a fresh connection with headers given as (name, value)
    pairs, so a header may appear twice.  Returns a harness.Response."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=harness.HTTP_TIMEOUT)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        return harness.Response(r.status, r.reason, r.getheaders(), data)
    finally:
        conn.close()


def basic_header(user, password):
    """RFC 7617: base64 of user ":" password, nothing escaped."""
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def escaped_pem(pem):
    """The PEM as nginx's $ssl_client_escaped_cert writes it (every byte but
    unreserved characters percent-encoded)."""
    return urllib.parse.quote(pem, safe="-_.~")


# --- JOSE -------------------------------------------------------------------------


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64u_json(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def jwt_split(token):
    h, p, s = token.split(".")
    return json.loads(unb64u(h)), json.loads(unb64u(p)), s


def hs256(header, claims, key):
    signing_input = "%s.%s" % (b64u_json(header), b64u_json(claims))
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64u(mac)


def der_to_raw(der):
    """An ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) as JWS's r||s, 32 bytes each."""
    if der[0] != 0x30:
        raise ValueError("not a DER SEQUENCE")
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        if der[i] != 0x02:
            raise ValueError("not a DER INTEGER")
        n = der[i + 1]
        out += der[i + 2:i + 2 + n].lstrip(b"\x00").rjust(32, b"\x00")
        i += 2 + n
    return out


def raw_to_der(raw):
    def integer(b):
        b = b.lstrip(b"\x00") or b"\x00"
        if b[0] & 0x80:
            b = b"\x00" + b
        return b"\x02" + bytes([len(b)]) + b
    body = integer(raw[:32]) + integer(raw[32:])
    return b"\x30" + bytes([len(body)]) + body


_P256_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


def p256_jwk_to_pem(jwk):
    """A P-256 public JWK as a PEM SubjectPublicKeyInfo."""
    der = _P256_SPKI_PREFIX + b"\x04" + unb64u(jwk["x"]) + unb64u(jwk["y"])
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % "\n".join(lines)


def openssl(args, data=None, cwd=None):
    p = subprocess.run(["openssl"] + list(args), input=data, cwd=cwd, capture_output=True,
                       timeout=60)
    if p.returncode != 0:
        raise AssertionError("openssl %s failed: %s" % (" ".join(args), p.stderr.decode()))
    return p.stdout


class Workshop:
    """A temporary directory for keys and certificates made with openssl."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gh-authz-")
        self._n = itertools.count(1)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def p256_key(self):
        """A new P-256 private key file; returns its path."""
        path = self.path("ec-%d.pem" % next(self._n))
        openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path])
        return path

    def public_pem(self, key_path):
        return openssl(["ec", "-in", key_path, "-pubout"]).decode()

    def es256(self, key_path, header, claims):
        """A compact JWS signed by the key at key_path (ES256, raw r||s)."""
        signing_input = "%s.%s" % (b64u_json(header), b64u_json(claims))
        der = openssl(["dgst", "-sha256", "-sign", key_path], data=signing_input.encode())
        return signing_input + "." + b64u(der_to_raw(der))

    def es256_verifies(self, public_pem, token):
        """Whether openssl accepts token's ES256 signature under public_pem."""
        signing_input, _, sig = token.rpartition(".")
        pub = self.path("pub-%d.pem" % next(self._n))
        sig_path = self.path("sig-%d.der" % next(self._n))
        with open(pub, "w") as f:
            f.write(public_pem)
        with open(sig_path, "wb") as f:
            f.write(raw_to_der(unb64u(sig)))
        p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig_path],
                           input=signing_input.encode(), capture_output=True, timeout=60)
        return p.returncode == 0 and b"Verified OK" in p.stdout

    def certificate(self, cn, not_after_secs=None):
        """A self-signed P-256 client certificate; returns (pem, sha256 hex of
        its DER).  not_after_secs: valid until that many seconds from now
        (else 30 days)."""
        n = next(self._n)
        key = self.p256_key()
        out = self.path("cert-%d.pem" % n)
        if not_after_secs is None:
            openssl(["req", "-x509", "-new", "-key", key, "-subj", "/CN=%s" % cn, "-days", "30",
                     "-sha256", "-out", out])
        else:
            csr = self.path("csr-%d.pem" % n)
            openssl(["req", "-new", "-key", key, "-subj", "/CN=%s" % cn, "-out", csr])
            ca = self.path("ca-%d" % n)
            os.mkdir(ca)
            with open(os.path.join(ca, "ca.cnf"), "w") as f:
                f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n"
                        "serial = serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n"
                        "[p]\ncommonName = supplied\n")
            open(os.path.join(ca, "index.txt"), "w").close()
            with open(os.path.join(ca, "serial"), "w") as f:
                f.write("01\n")
            fmt = "%Y%m%d%H%M%SZ"
            start = time.strftime(fmt, time.gmtime(time.time() - 3600))
            end = time.strftime(fmt, time.gmtime(time.time() + not_after_secs))
            openssl(["ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", key, "-in", csr,
                     "-startdate", start, "-enddate", end, "-notext", "-out", out], cwd=ca)
        with open(out) as f:
            pem = f.read()
        der = openssl(["x509", "-in", out, "-outform", "DER"])
        return pem, hashlib.sha256(der).hexdigest()


# --- the world ------------------------------------------------------------------------


class AuthzTestCase(api.ApiTestCase):
    """An ApiTestCase with a provider, two partners and helpers for the check.

    self.provider, self.partner (tenant self.tenant, customer numbers
    12345 and A-77) and self.partner_b (tenant_b, customer number B-999) are
    made once per class."""

    server_args = ["--trusted-proxies", "127.0.0.1"]
    _world = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._world = None
        cls.shop = Workshop()

    @classmethod
    def tearDownClass(cls):
        cls.shop.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if type(self)._world is None:
            w = self.build_world()
            self.__dict__.update(w)
            w.update(self.world_extra())
            type(self)._world = w
        self.__dict__.update(type(self)._world)

    def world_extra(self):
        """More of the class's world (APIs...), made once after the base."""
        return {}

    def build_world(self):
        t = tag()
        w = {}
        w["provider"] = self.mgmt("POST", "/api/v1/orgs",
                                   {"name": "Provider %s" % t, "provider": True}, 201)
        w["tenant"] = "pa-%s" % t
        w["partner"] = self.new_partner(["12345", "A-77"], tenant=w["tenant"])
        w["tenant_b"] = "pb-%s" % t
        w["partner_b"] = self.new_partner(["B-999"], tenant=w["tenant_b"])
        return w

    # --- management API ---------------------------------------------------------------

    def mgmt(self, method, path, body=None, status=200):
        """A management-API call as platform admin; asserts status, returns the JSON."""
        return self.ok(status, self.call(method, path, body, as_=self.admin))

    def new_partner(self, numbers=("12345", "A-77"), roles=(), tenant=None):
        t = tag()
        org = self.mgmt("POST", "/api/v1/orgs",
                         {"name": "Partner %s" % t, "partner": True,
                          "tenant": tenant or "px-%s" % t}, 201)
        self.mgmt("PUT", "/api/v1/orgs/%s/customer-numbers" % org["id"],
                   {"customer_numbers": list(numbers)})
        if roles:
            self.mgmt("PUT", "/api/v1/orgs/%s/roles" % org["id"], {"roles": list(roles)})
        return org

    def new_api(self, auth_method, service=None, audience=True, customer_number=("query",),
                subscription_required=True, required_roles=(), prefix=None, rate_limit=None,
                extra_prefixes=()):
        """A new API of self.provider with an auto plan (api["plan"]) and a
        provider-approval plan (api["manual_plan"]).  customer_number: None,
        or (in, name, template) with name/template optional.  api["prefix"]
        is its first path prefix."""
        t = tag()
        prefix = prefix or "/%s-%s" % (auth_method.replace("_", ""), t)
        body = {"name": "API %s %s" % (auth_method, t), "service": service or "svc-%s" % t,
                "path_prefixes": [prefix] + list(extra_prefixes), "auth_method": auth_method,
                "subscription_required": subscription_required,
                "required_roles": list(required_roles)}
        if audience:
            body["audience"] = audience if isinstance(audience, str) else "aud-%s" % t
        if customer_number:
            loc = {"in": customer_number[0]}
            if len(customer_number) > 1 and customer_number[1]:
                loc["name"] = customer_number[1]
            if len(customer_number) > 2:
                loc["template"] = customer_number[2]
            body["customer_number"] = loc
        a = self.mgmt("POST", "/api/v1/orgs/%s/apis" % self.provider["id"], body, 201)
        a["prefix"] = prefix
        plan = {"name": "Auto %s" % t, "approval": "auto"}
        if rate_limit:
            plan["rate_limit"] = {"requests": rate_limit[0], "window_secs": rate_limit[1]}
        a["plan"] = self.mgmt("POST", "/api/v1/apis/%s/plans" % a["id"], plan, 201)
        a["manual_plan"] = self.mgmt("POST", "/api/v1/apis/%s/plans" % a["id"],
                                      {"name": "Manual %s" % t, "approval": "provider"}, 201)
        return a

    def new_app(self, partner=None, **fields):
        body = {"name": "App %s" % tag()}
        body.update(fields)
        org = partner or self.partner
        app = App(self.mgmt("POST", "/api/v1/orgs/%s/apps" % org["id"], body, 201))
        app.org = org
        return app

    def subscribe(self, app, api_obj, manual=False):
        plan = api_obj["manual_plan"] if manual else api_obj["plan"]
        sub = self.mgmt("POST", "/api/v1/apps/%s/subscriptions" % app.id,
                         {"api": api_obj["id"], "plan": plan["id"]}, 201)
        self.assertEqual(sub["status"], "activation-requested" if manual else "active", sub)
        return sub

    def subscribed_app(self, api_obj, partner=None, **fields):
        app = self.new_app(partner, **fields)
        return app, self.subscribe(app, api_obj)

    def sub_action(self, sub, action):
        return self.mgmt("POST", "/api/v1/subscriptions/%s/%s" % (sub["id"], action), {})

    def set_access(self, app, status, reason=None):
        body = {"provider_org": self.provider["id"], "status": status}
        if reason is not None:
            body["reason"] = reason
        return self.mgmt("PUT", "/api/v1/apps/%s/access-status" % app.id, body)

    def set_numbers(self, org, numbers):
        self.mgmt("PUT", "/api/v1/orgs/%s/customer-numbers" % org["id"],
                   {"customer_numbers": list(numbers)})

    def set_roles(self, org, roles):
        self.mgmt("PUT", "/api/v1/orgs/%s/roles" % org["id"], {"roles": list(roles)})

    def patch_app(self, app, **fields):
        return self.mgmt("PATCH", "/api/v1/apps/%s" % app.id, fields)

    def delete_app(self, app):
        self.mgmt("DELETE", "/api/v1/apps/%s" % app.id, status=204)

    # --- credentials ------------------------------------------------------------------

    def token_raw(self, app, resource=None, port=None):
        fields = {"grant_type": "client_credentials", "client_id": app.client_id,
                  "client_secret": app.secret, "acr_values": "tenant:%s" % app.org["tenant"]}
        if resource:
            fields["resource"] = resource
        return send(port or self.server.port, "POST", "/connect/token",
                    [("Content-Type", "application/x-www-form-urlencoded")],
                    urllib.parse.urlencode(fields).encode())

    def token(self, app, api_obj=None, port=None):
        """An access token (JWT or ghot_) for app, with resource = the API's audience."""
        r = self.token_raw(app, api_obj["audience"] if api_obj else None, port)
        self.assertEqual(r.status, 200, r)
        return r.json()["access_token"]

    def revoke(self, app, token):
        r = send(self.server.port, "POST", "/oauth2/revoke",
                 [("Content-Type", "application/x-www-form-urlencoded")],
                 urllib.parse.urlencode({"token": token, "client_id": app.client_id,
                                         "client_secret": app.secret}).encode())
        self.assertEqual(r.status, 200, r)

    def api_key(self, app):
        """A new API key of app: (key, key id)."""
        doc = self.mgmt("POST", "/api/v1/apps/%s/api-keys" % app.id, {"name": "gw"}, 201)
        return doc["key"], doc["id"]

    def certificate(self, app, not_after_secs=None):
        """A new client certificate registered for app: (pem, thumbprint)."""
        pem, thumb = self.shop.certificate("app-%s.example" % tag(), not_after_secs)
        doc = self.mgmt("POST", "/api/v1/apps/%s/certificates" % app.id, {"pem": pem}, 201)
        self.assertEqual(doc["thumbprint_sha256"], thumb, doc)
        return pem, thumb

    def jwks(self):
        r = self.get("/jwks.json")
        self.assertEqual(r.status, 200, r)
        return r.json()

    def issuer(self):
        r = self.get("/.well-known/openid-configuration")
        self.assertEqual(r.status, 200, r)
        return r.json()["issuer"]

    # --- the check --------------------------------------------------------------------

    def check(self, uri, headers=(), method="GET", original_method="GET", api_id=None):
        """GET /authz/check as nginx's auth_request sends it: X-Original-URI
        and X-Original-Method, then the caller's headers (pairs)."""
        hs = [("X-Original-URI", uri), ("X-Original-Method", original_method)]
        if api_id:
            hs.append(("X-Gatehouse-Api", api_id))
        return send(self.server.port, method, "/authz/check", hs + list(headers))

    def assert_refused(self, r, status, field, message=None, message_re=None):
        """The error shape with exactly one error naming field."""
        doc = harness.check_error_shape(self, r, status)
        self.assertEqual(len(doc["errors"]), 1, r)
        self.assertEqual(doc["errors"][0].get("field"), field, r)
        if message is not None:
            self.assertEqual(doc["errors"][0]["message"], message, r)
        if message_re is not None:
            self.assertRegex(doc["errors"][0]["message"], re.compile(message_re, re.I), r)
        self.assertIsNone(r.header("X-Gatehouse-App"), r)
        return doc["errors"][0]["message"]

    def assert_seed_001(self, r, name="customerId"):
        """Seed 001's body exactly (the configured name in place of customerId)."""
        harness.check_error_shape(self, r, 403)
        want = SEED_001.replace("customerId", name)
        got = json.dumps(json.loads(r.body), separators=(",", ":"), ensure_ascii=False)
        self.assertEqual(got, want, r)
        self.assertIsNone(r.header("X-Gatehouse-App"), r)

    def assert_401(self, r, auth_method, field=None, message_re=None, invalid_token=True):
        """401 with the method's challenge.  Bearer: invalid_token=True
        wants error="invalid_token", False no error (nothing was sent),
        None either."""
        self.assert_refused(r, 401, field or CREDENTIAL_FIELD[auth_method], message_re=message_re)
        got = r.header_all("WWW-Authenticate")
        self.assertEqual(len(got), 1, r)
        if auth_method in ("oauth2", "access_token"):
            if invalid_token is True:
                self.assertRegex(got[0], INVALID_TOKEN, r)
            elif invalid_token is False:
                self.assertEqual(got[0], CHALLENGE[auth_method], r)
            elif got[0] != CHALLENGE[auth_method]:
                self.assertRegex(got[0], INVALID_TOKEN, r)
        else:
            self.assertEqual(got[0], CHALLENGE[auth_method], r)

    def assert_allowed(self, r, api_obj, app=None, sub=None, customer=None, auth=None):
        """200 with exactly the identity headers docs/authz.md lists."""
        self.assertEqual(r.status, 200, r)
        want = {"X-Gatehouse-Api": api_obj["id"],
                "X-Gatehouse-Auth": auth or api_obj["auth_method"]}
        if app is not None:
            want.update({"X-Gatehouse-App": app.id, "X-Gatehouse-Client-Id": app.client_id,
                         "X-Gatehouse-Partner": app.org["id"],
                         "X-Gatehouse-Tenant": app.org["tenant"]})
        if customer is not None:
            want["X-Gatehouse-Customer-Number"] = customer
        if sub is not None:
            want["X-Gatehouse-Subscription"] = sub["id"]
            want["X-Gatehouse-Plan"] = sub["plan_id"]
        got = {}
        for k, v in r.headers:
            if k.lower().startswith("x-gatehouse-"):
                canon = "-".join(p.capitalize() for p in k.split("-"))
                self.assertNotIn(canon, got, "header %s twice: %r" % (k, r))
                got[canon] = v
        self.assertEqual(got, want, r)
        self.assertIsNone(r.header("WWW-Authenticate"), r)


__all__ = ["AuthzTestCase", "Workshop", "SEED_001", "CHALLENGE", "INVALID_TOKEN", "send",
           "basic_header", "escaped_pem", "b64u", "b64u_json", "unb64u", "jwt_split", "hs256",
           "p256_jwk_to_pem", "der_to_raw", "raw_to_der", "tag"]
