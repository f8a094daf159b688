"""Signing keys, JWKS and discovery: GET /jwks.json, the two RFC 8414
discovery documents, `gatehouse keys list|rotate|retire`, a rotation seen by
a client that caches the JWKS (a new key is published before it signs, the
old one stays published after), and a compromised key retired beside a
running server (gone from JWKS, its tokens refused, a new key signing)."""

import base64
import json
import os
import re
import time
import urllib.parse

import authz_world
import harness
import oauth_world

ISSUER = "https://auth.example.test"
KID = re.compile(r"^[A-Za-z0-9_-]{16}$")
# Members of a JWK that belong to the private key (RFC 7518 §6.2.2, §6.3.2, RFC 8037).
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def jws_header(jwt):
    part = jwt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class KeysTestCase(oauth_world.OAuthTestCase):
    server_args = ["--issuer", ISSUER]

    def jwks(self):
        r = self.get("/jwks.json")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0], "application/json", r)
        return r.json()

    def kids(self):
        return [k["kid"] for k in self.jwks()["keys"]]

    def keys_cli(self, *args):
        p = harness.run_cli(["keys"] + list(args) + ["--db", self.server.db],
                            cwd=self.server.tmpdir)
        self.assertEqual(p.returncode, 0, p)
        return p.stdout

    def listed(self):
        """`gatehouse keys list` as {kid: line}, checking the order (newest first)."""
        out = self.keys_cli("list")
        rows = {}
        for line in out.splitlines():
            first = line.split()[0] if line.split() else ""
            if KID.match(first):
                rows[first] = line
        return rows

    def token_kid(self, app):
        return jws_header(self.token(app)["access_token"])["kid"]


class JwksAndDiscoveryTest(KeysTestCase):
    def test_jwks_holds_the_one_signing_key_public_only(self):
        r = self.get("/jwks.json")
        self.assertEqual(r.status, 200, r)
        m = re.fullmatch(r"public, max-age=(\d+)", r.header("Cache-Control") or "")
        self.assertIsNotNone(m, r)
        self.assertGreater(int(m.group(1)), 0)
        doc = r.json()
        self.assertEqual(list(doc), ["keys"])
        self.assertEqual(len(doc["keys"]), 1, doc)  # a fresh server: its first key
        key = doc["keys"][0]
        self.assertEqual((key["kty"], key["crv"], key["alg"], key["use"]),
                         ("EC", "P-256", "ES256", "sig"))
        self.assertRegex(key["kid"], KID)
        for coord in ("x", "y"):  # 32-byte P-256 coordinates, base64url without padding
            self.assertEqual(len(base64.urlsafe_b64decode(key[coord] + "=")), 32)
        self.assertFalse(PRIVATE_MEMBERS & set(key), key)

    def test_head_answers_like_get(self):
        r = self.request("HEAD", "/jwks.json")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"")
        self.assertTrue((r.header("Cache-Control") or "").startswith("public, max-age="), r)

    def test_discovery_documents(self):
        a = self.get("/.well-known/openid-configuration")
        b = self.get("/.well-known/oauth-authorization-server")
        for r in (a, b):
            self.assertEqual(r.status, 200, r)
            self.assertEqual((r.header("Content-Type") or "").split(";")[0], "application/json")
            self.assertRegex(r.header("Cache-Control") or "", r"^public, max-age=\d+$")
        self.assertEqual(a.body, b.body)
        d = a.json()
        self.assertEqual(d["issuer"], ISSUER)
        self.assertEqual(d["token_endpoint"], ISSUER + "/connect/token")
        self.assertEqual(d["jwks_uri"], ISSUER + "/jwks.json")
        self.assertEqual(d["introspection_endpoint"], ISSUER + "/oauth2/introspect")
        self.assertEqual(d["revocation_endpoint"], ISSUER + "/oauth2/revoke")
        self.assertEqual(d["grant_types_supported"], ["client_credentials"])
        methods = ["client_secret_basic", "client_secret_post"]
        self.assertEqual(d["token_endpoint_auth_methods_supported"], methods)
        self.assertEqual(d["introspection_endpoint_auth_methods_supported"], methods)
        self.assertEqual(d["revocation_endpoint_auth_methods_supported"], methods)
        # required by OpenID Connect Discovery even without ID tokens
        self.assertEqual(d["response_types_supported"], [])
        self.assertEqual(d["subject_types_supported"], ["public"])
        self.assertEqual(d["id_token_signing_alg_values_supported"][0], "ES256")
        self.assertIn("RS256", d["id_token_signing_alg_values_supported"])

    def test_endpoints_named_by_discovery_exist(self):
        d = self.discovery()
        path = d["jwks_uri"][len(ISSUER):]
        self.assertEqual(self.get(path).status, 200)
        for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
            r = self.request("GET", d[name][len(ISSUER):])
            self.assertEqual(r.status, 405, (name, r))  # there, and POST only

    def test_tokens_are_signed_by_a_published_key(self):
        app = self.new_app()
        header = jws_header(self.token(app)["access_token"])
        self.assertEqual(header["alg"], "ES256")
        self.assertEqual(header["typ"], "at+jwt")
        self.assertEqual([header["kid"]], self.kids())

    def test_keys_list(self):
        rows = self.listed()
        (kid,) = self.kids()
        self.assertEqual(list(rows), [kid])
        self.assertIn(" active ", rows[kid])
        self.assertIn("ES256", rows[kid])
        # the private key is stored encrypted: no PEM, no DER in clear
        with open(self.server.db, "rb") as f:
            raw = f.read()
        self.assertNotIn(b"PRIVATE KEY", raw)
        self.assertNotIn(b'"d":', raw)


class RotationTest(KeysTestCase):
    # Three ticks of the server's key check (every 5 s): the key is in JWKS
    # well before it signs, and the test stays short.
    LEAD = 15

    def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.25)
        self.fail("timed out waiting for " + what)

    def test_rotation_while_a_client_caches_the_jwks(self):
        app = self.new_app()
        (old,) = self.kids()
        self.assertEqual(self.token_kid(app), old)

        out = self.keys_cli("rotate", "--lead", str(self.LEAD))
        started = time.monotonic()
        new = self.wait_for("the new kid on stdout",
                            lambda: next((w for w in out.split() if KID.match(w)), None), 1)
        self.assertNotEqual(new, old)
        rows = self.listed()
        self.assertIn(" next ", rows[new])
        self.assertIn(" active ", rows[old])
        self.assertEqual(list(rows), [new, old])  # newest first

        # published before it signs anything: a client caching JWKS now
        # knows the key every later token names
        cached = self.wait_for("the next key in JWKS",
                               lambda: (lambda ks: ks if new in ks else None)(self.kids()), 10)
        self.assertLess(time.monotonic() - started, self.LEAD)
        self.assertEqual(self.token_kid(app), old)
        self.assertEqual(set(cached), {old, new})

        self.wait_for("the new key to sign", lambda: self.token_kid(app) == new, self.LEAD + 8)
        for _ in range(3):
            self.assertIn(self.token_kid(app), cached)
        # the old key stays published for tokens it signed before
        self.assertEqual(set(self.kids()), {old, new})
        rows = self.listed()
        self.assertIn(" active ", rows[new])
        self.assertIn(" retired ", rows[old])
        self.assertRegex(rows[old], r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s*$")  # published until


class RetireTest(authz_world.AuthzTestCase):
    """`gatehouse keys retire` beside the running server of this class."""

    # The server compares its snapshot with the key rows every 5 s.
    NOTICE_SECS = 7

    def keys_cli(self, *args, db=None, code=0):
        p = harness.run_cli(["keys"] + list(args) + ["--db", db or self.server.db],
                            cwd=self.server.tmpdir)
        self.assertEqual(p.returncode, code, p)
        return p

    def listed(self, db=None):
        """`gatehouse keys list` as {kid: line}."""
        rows = {}
        for line in self.keys_cli("list", db=db).stdout.splitlines()[1:]:
            rows[line.split()[0]] = line
        return rows

    def kids(self):
        return [k["kid"] for k in self.jwks()["keys"]]

    def introspect_active(self, app, token):
        r = authz_world.send(self.server.port, "POST", "/oauth2/introspect",
                             [("Content-Type", "application/x-www-form-urlencoded")],
                             urllib.parse.urlencode({"token": token, "client_id": app.client_id,
                                                     "client_secret": app.secret}).encode())
        self.assertEqual(r.status, 200, r)
        return r.json()["active"]

    def test_retire_the_active_key_while_serving(self):
        a = self.new_api("oauth2")
        app, sub = self.subscribed_app(a)
        uri = a["prefix"] + "/loans?customerId=12345"
        old_token = self.token(app, a)
        (old,) = self.kids()
        self.assertEqual(jws_header(old_token)["kid"], old)
        # allowed, and so in the check's verified-token cache
        for _ in range(2):
            self.assert_allowed(self.check(uri, [("Authorization", "Bearer " + old_token)]), a,
                                app, sub, customer="12345")
        self.assertTrue(self.introspect_active(app, old_token))

        p = self.keys_cli("retire", old)
        started = time.monotonic()
        self.assertEqual(len(p.stdout.splitlines()), 1, p)
        new = next((w for w in re.findall(r"[A-Za-z0-9_-]{16}", p.stdout) if w != old), None)
        self.assertIsNotNone(new, p)
        self.assertIn(old, p.stdout)
        self.assertIn("lead time", p.stdout)  # the new key signs without one, and says so
        rows = self.listed()
        self.assertIn(" active ", rows[new])
        self.assertIn("ES256", rows[new])
        if old in rows:  # unless the server's tick has removed it already
            self.assertIn(" retired ", rows[old])

        while self.kids() != [new]:
            self.assertLess(time.monotonic() - started, self.NOTICE_SECS,
                            "JWKS still %r" % self.kids())
            time.sleep(0.2)
        # from the same snapshot on: the old key neither verifies nor signs
        r = self.check(uri, [("Authorization", "Bearer " + old_token)])
        self.assert_401(r, "oauth2")
        self.assertFalse(self.introspect_active(app, old_token))
        new_token = self.token(app, a)
        self.assertEqual(jws_header(new_token)["kid"], new)
        self.assert_allowed(self.check(uri, [("Authorization", "Bearer " + new_token)]), a, app,
                            sub, customer="12345")
        self.assertTrue(self.introspect_active(app, new_token))
        self.assertEqual(list(self.listed()), [new])  # the tick removed the old row

    def test_retire_unknown_kid(self):
        before = self.listed()
        p = self.keys_cli("retire", "NoSuchKid0000000", code=1)
        self.assertEqual(p.stdout, "")
        self.assertIn("NoSuchKid0000000", p.stderr)
        self.assertIn("no signing key", p.stderr)
        self.assertEqual(self.listed(), before)
        p = self.keys_cli("retire", code=2)  # the kid is required
        self.assertIn("kid", p.stderr)

    def test_retire_a_next_key_and_list_it(self):
        # a database no server watches, so no tick removes the retired row
        db = os.path.join(self.server.tmpdir, "idle.db")
        nxt = self.keys_cli("rotate", "--lead", "600", db=db).stdout.strip()
        self.assertRegex(nxt, KID)
        self.assertIn(" next ", self.listed(db)[nxt])
        p = self.keys_cli("retire", nxt, db=db)
        self.assertEqual(p.stdout.strip(),
                         "retired ES256 key %s (was next): no longer trusted or published" % nxt)
        rows = self.listed(db)
        self.assertEqual(list(rows), [nxt])  # no replacement: it was not signing
        cols = rows[nxt].split()
        self.assertEqual(cols[1:3], ["ES256", "retired"])
        stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
        self.assertRegex(cols[5], stamp)
        self.assertEqual(cols[6], cols[5])  # published until: the moment it retired
        # again: still retired, still exit 0
        p = self.keys_cli("retire", nxt, db=db)
        self.assertIn("(was retired)", p.stdout)
        self.assertIn(" retired ", self.listed(db)[nxt])


if __name__ == "__main__":
    import unittest

    unittest.main()
