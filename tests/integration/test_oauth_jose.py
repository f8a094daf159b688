"""gatehouse's JWT access tokens verified by an independent implementation:
panva's `jose` from npm (pinned in tests/oauth/package-lock.json) fetches
/jwks.json with createRemoteJWKSet and checks the signature, typ "at+jwt"
(RFC 9068), issuer, audience and expiry (tests/oauth/verify.mjs).

Node.js and npm are installed the way scripts/validate-openapi.sh does it
when missing (scripts/deps.sh test; apt-get install npm), and the pinned
packages with `npm ci` when tests/oauth/node_modules does not match the lock
file.  Nothing is skipped: a missing tool fails the suite."""

import json
import os
import shutil
import subprocess

import harness
from oauth_world import OAuthTestCase, unverified_claims

OAUTH_DIR = os.path.join(harness.REPO, "tests", "oauth")
STAMP = os.path.join(OAUTH_DIR, "node_modules", ".gatehouse-package-lock.json")


def _run(argv, timeout=600):
    return subprocess.run(argv, cwd=harness.REPO, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def ensure_jose():
    """Installs node, npm and the pinned jose when missing; raises on failure."""
    if shutil.which("node") is None:
        p = _run([os.path.join(harness.REPO, "scripts", "deps.sh"), "test"])
        if p.returncode != 0 or shutil.which("node") is None:
            raise AssertionError("Node.js is missing and scripts/deps.sh test could not "
                                 "install it:\n%s%s" % (p.stdout, p.stderr))
    if shutil.which("npm") is None:
        if os.geteuid() != 0:
            raise AssertionError("npm is missing: run 'apt-get install npm' as root")
        p = _run(["apt-get", "-q", "-y", "-o", "DPkg::Lock::Timeout=300", "install", "npm"])
        if p.returncode != 0 or shutil.which("npm") is None:
            raise AssertionError("apt-get install npm failed:\n%s%s" % (p.stdout, p.stderr))
    lock = os.path.join(OAUTH_DIR, "package-lock.json")
    with open(lock, "rb") as f:
        want = f.read()
    try:
        with open(STAMP, "rb") as f:
            have = f.read()
    except OSError:
        have = None
    if have != want:
        p = _run(["npm", "ci", "--prefix", OAUTH_DIR, "--no-audit", "--no-fund"])
        if p.returncode != 0:
            raise AssertionError("npm ci --prefix tests/oauth failed:\n%s%s"
                                 % (p.stdout, p.stderr))
        with open(STAMP, "wb") as f:
            f.write(want)


class JoseVerifiesTokensTest(OAuthTestCase):

    @classmethod
    def setUpClass(cls):
        ensure_jose()
        super().setUpClass()

    def verify(self, tokens, issuer, audience="connectapi", rounds=1):
        argv = ["node", os.path.join(OAUTH_DIR, "verify.mjs"),
                "--jwks", "http://127.0.0.1:%d/jwks.json" % self.server.port,
                "--issuer", issuer, "--repeat", str(rounds)]
        if audience is not None:
            argv += ["--audience", audience]
        p = _run(argv + list(tokens), timeout=60)
        self.assertIn(p.returncode, (0, 1), p)
        lines = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        self.assertEqual(len(lines), len(tokens) * rounds, p)
        return p.returncode, lines

    def test_seed_003_token_verifies_with_jose(self):
        app = self.new_app()
        answer = self.token(app)
        self.assertEqual(answer["token_type"], "Bearer")
        tok = answer["access_token"]
        issuer = self.discovery()["issuer"]
        rc, [res] = self.verify([tok], issuer)
        self.assertEqual(rc, 0, res)
        self.assertIs(res["ok"], True, res)
        self.assertEqual(res["header"]["typ"], "at+jwt")
        self.assertEqual(res["header"]["alg"], "ES256")
        self.assertTrue(res["header"]["kid"])
        p = res["payload"]
        self.assertEqual(p, unverified_claims(tok))
        self.assertEqual(p["iss"], issuer)
        self.assertEqual(p["aud"], "connectapi")
        self.assertEqual(p["client_id"], app.client_id)
        self.assertEqual(p["sub"], app.client_id)
        self.assertEqual(p["scope"], "profile")
        self.assertEqual(p["tenant"], self.w.tenant)
        self.assertEqual(p["customer_numbers"], ["12345", "A-77"])
        self.assertEqual(p["services"], ["ola"])
        self.assertEqual(p["exp"] - p["iat"], 86400)

    def test_jose_refuses_what_it_must(self):
        app = self.new_app()
        tok = self.token(app)["access_token"]
        issuer = self.discovery()["issuer"]
        head, payload, sig = tok.split(".")
        flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
        rc, res = self.verify([head + "." + payload + "." + flipped], issuer)
        self.assertEqual((rc, res[0]["ok"]), (1, False), res)
        self.assertEqual(res[0]["code"], "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", res)
        rc, res = self.verify([tok], issuer, audience="someone-else")
        self.assertEqual((rc, res[0]["code"]), (1, "ERR_JWT_CLAIM_VALIDATION_FAILED"), res)
        rc, res = self.verify([tok], issuer + "/elsewhere")
        self.assertEqual((rc, res[0]["code"]), (1, "ERR_JWT_CLAIM_VALIDATION_FAILED"), res)

    def test_one_cached_jwks_verifies_many_tokens(self):
        apps = [self.new_app(), self.new_app(subscribe=False)]
        toks = [self.token(a)["access_token"] for a in apps for _ in range(3)]
        rc, res = self.verify(toks, self.discovery()["issuer"], rounds=2)
        self.assertEqual(rc, 0, res)
        self.assertTrue(all(r["ok"] for r in res), res)
        self.assertEqual(res[3]["payload"]["services"], [])
        self.assertEqual(len({r["payload"]["jti"] for r in res}), len(toks))
