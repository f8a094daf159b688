"""An app's API keys and TLS client certificates through HTTP
(/api/v1/apps/{app}/api-keys…, /api/v1/apps/{app}/certificates…): every
route, who may and may not, every refusal, isolation between two partners,
and the key that is shown once and then never again (not in GET, the audit
log, the server's log or the database file).  Certificates are made with the
`openssl` command (Debian's openssl package)."""

import datetime
import glob
import itertools
import os
import re
import shutil
import subprocess
import tempfile

import api

_n = itertools.count(1)

KEY_RE = re.compile(r"^ghak_[A-Za-z0-9_-]{43}$")
KEY_ID_RE = re.compile(r"^key_[a-z2-7]{26}$")
CERT_ID_RE = re.compile(r"^crt_[a-z2-7]{26}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PRIVATE_KEY_MSG = "this is private-key material; upload only the certificate"

CA_CONFIG = """[ ca ]
default_ca = CA_default
[ CA_default ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
[ policy_any ]
commonName = supplied
"""


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


class Certs:
    """Certificates and keys made with the openssl command in a scratch dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gh-certs-")
        with open(os.path.join(self.dir, "ca.cnf"), "w") as f:
            f.write(CA_CONFIG)
        with open(os.path.join(self.dir, "index.txt"), "w"):
            pass
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("01\n")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, *args):
        p = subprocess.run(["openssl"] + list(args), cwd=self.dir, capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=30)
        if p.returncode != 0:
            raise AssertionError("openssl %s failed: %s" % (" ".join(args), p.stderr))
        return p.stdout

    def read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def valid(self, cn=None):
        """(certificate PEM, private key PEM) valid for 30 days from now."""
        n = next(_n)
        cn = cn or "client-%d-%d.partner.test" % (os.getpid(), n)
        self.run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", "k%d.pem" % n, "-out", "c%d.pem" % n,
                 "-subj", "/CN=%s/O=Partner A" % cn, "-days", "30")
        return self.read("c%d.pem" % n), self.read("k%d.pem" % n)

    def dated(self, start, end):
        """A self-signed certificate valid from start to end (YYYYMMDDHHMMSSZ)."""
        n = next(_n)
        self.run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", "dk%d.pem" % n)
        self.run("req", "-new", "-key", "dk%d.pem" % n, "-subj", "/CN=dated-%d" % n,
                 "-out", "csr%d.pem" % n)
        self.run("ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", "dk%d.pem" % n,
                 "-in", "csr%d.pem" % n, "-startdate", start, "-enddate", end, "-notext",
                 "-out", "dc%d.pem" % n)
        return self.read("dc%d.pem" % n)

    def facts(self, pem):
        """subject (RFC 2253) and SHA-256 thumbprint as openssl computes them."""
        path = os.path.join(self.dir, "facts.pem")
        with open(path, "w") as f:
            f.write(pem)
        subject = self.run("x509", "-in", "facts.pem", "-noout", "-subject",
                           "-nameopt", "RFC2253").strip()
        fp = self.run("x509", "-in", "facts.pem", "-noout", "-fingerprint", "-sha256").strip()
        return subject.split("=", 1)[1], fp.split("=", 1)[1].replace(":", "").lower()

    def with_text(self, pem):
        """The certificate as `openssl x509 -text` prints it: a dump, then the PEM."""
        path = os.path.join(self.dir, "text.pem")
        with open(path, "w") as f:
            f.write(pem)
        return self.run("x509", "-in", "text.pem", "-text")


class CredentialsBase(api.ApiTestCase):
    """One partner with an app whose OWNER, DEVELOPER and READ_ONLY members
    are made once per class; a second partner with its own app and OWNER
    for isolation."""

    fx = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.certs = Certs()

    @classmethod
    def tearDownClass(cls):
        cls.certs.cleanup()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if type(self).fx is None:
            type(self).fx = self.make_fixture()
        for k, v in type(self).fx.items():
            setattr(self, k, v)

    def make_fixture(self):
        fx = {}
        fx["partner_admin"] = self.new_person("cr-padmin", name="Paula Partner")
        fx["owner"] = self.new_person("cr-owner", name="Olga Owner")
        fx["developer"] = self.new_person("cr-dev", name="Dev Eloper")
        fx["read_only"] = self.new_person("cr-ro", name="Rudi Reader")
        fx["outsider"] = self.new_person("cr-out", name="Otto Outsider")
        fx["owner2"] = self.new_person("cr-owner2", name="Olaf Other")
        partner = self.new_partner_org(fx["partner_admin"])
        for who in ("owner", "developer", "read_only"):
            self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % partner["id"],
                                   {"email": fx[who].email, "role": "DEVELOPER"},
                                   as_=fx["partner_admin"]))
        app = self.ok(201, self.call("POST", "/api/v1/orgs/%s/apps" % partner["id"],
                                     {"name": "Credentials App"}, as_=fx["owner"]))
        for who, role in (("developer", "DEVELOPER"), ("read_only", "READ_ONLY")):
            self.ok(201, self.call("POST", "/api/v1/apps/%s/members" % app["id"],
                                   {"email": fx[who].email, "role": role}, as_=fx["owner"]))
        partner2 = self.new_partner_org(fx["owner2"])
        app2 = self.ok(201, self.call("POST", "/api/v1/orgs/%s/apps" % partner2["id"],
                                      {"name": "Other App"}, as_=fx["owner2"]))
        fx["partner"], fx["app"], fx["partner2"], fx["app2"] = partner, app, partner2, app2
        return fx

    def keys_path(self, app=None):
        return "/api/v1/apps/%s/api-keys" % (app or self.app)["id"]

    def certs_path(self, app=None):
        return "/api/v1/apps/%s/certificates" % (app or self.app)["id"]

    def new_key(self, body=None, app=None, as_=None):
        return self.ok(201, self.call("POST", self.keys_path(app), body or {"name": "ci key"},
                                      as_=as_ or self.owner))

    def list_all(self, path, as_=None):
        return self.ok(200, self.call("GET", path + "?per_page=100",
                                      as_=as_ or self.owner))["items"]

    def db_bytes(self):
        """The database file with its WAL and shared-memory files."""
        data = b""
        for path in sorted(glob.glob(self.server.db + "*")):
            with open(path, "rb") as f:
                data += f.read()
        self.assertTrue(data, "no database file at %s" % self.server.db)
        return data

    def audit_of(self, object_id):
        return self.ok(200, self.call("GET", "/api/v1/audit?object=%s&per_page=100" % object_id,
                                      as_=self.admin))


class ApiKeyTest(CredentialsBase):

    def test_key_is_shown_once_and_never_again(self):
        before = utc_now().replace(microsecond=0)
        created = self.new_key({"name": "gateway prod"})
        key = created["key"]
        self.assertRegex(key, KEY_RE)
        self.assertRegex(created["id"], KEY_ID_RE)
        self.assertEqual(created["app_id"], self.app["id"])
        self.assertEqual(created["name"], "gateway prod")
        self.assertEqual(created["key_hint"], key[:9])
        self.assertIsNone(created["expires_at"])
        self.assertIsNone(created["last_used_at"])
        self.assertRegex(created["created_at"], TIME_RE)
        self.assertGreaterEqual(parse_time(created["created_at"]), before)

        # GET: the metadata and hint, never the key
        for who in (self.owner, self.developer, self.read_only, self.partner_admin, self.admin):
            r = self.call("GET", self.keys_path(), as_=who)
            self.assertEqual(r.status, 200, r)
            self.assertNotIn(key.encode(), r.body)
            self.assertNotIn(key[9:].encode(), r.body)
            items = {k["id"]: k for k in r.json()["items"]}
            self.assertIn(created["id"], items)
            shown = items[created["id"]]
            self.assertNotIn("key", shown)
            self.assertNotIn("key_hash", shown)
            self.assertEqual(shown["key_hint"], key[:9])
            self.assertEqual(shown["name"], "gateway prod")

        # the audit log records the creation, without the key
        audit = self.audit_of(created["id"])
        actions = [e["action"] for e in audit["items"]]
        self.assertIn("api_key.create", actions)
        ev = [e for e in audit["items"] if e["action"] == "api_key.create"][0]
        self.assertEqual(ev["object"], {"type": "api_key", "id": created["id"]})
        self.assertEqual(ev["org_id"], self.partner["id"])
        self.assertEqual(ev["changes"]["name"], "gateway prod")
        self.assertNotIn(key, str(audit))
        self.assertNotIn(key[9:], str(audit))

        # nor in the server's log, nor in the database file
        self.assertNotIn(key, self.server.stderr_text())
        self.assertNotIn(key[9:], self.server.stderr_text())
        db = self.db_bytes()
        self.assertNotIn(key.encode(), db)
        self.assertNotIn(key[9:].encode(), db)
        self.assertIn(created["id"].encode(), db)  # the grep can find what is there

    def test_delete(self):
        created = self.new_key({"name": "short lived"})
        r = self.call("DELETE", self.keys_path() + "/" + created["id"], as_=self.owner)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        ids = [k["id"] for k in self.list_all(self.keys_path())]
        self.assertNotIn(created["id"], ids)
        self.refused(404, self.call("DELETE", self.keys_path() + "/" + created["id"],
                                    as_=self.owner))
        audit = self.audit_of(created["id"])
        ev = [e for e in audit["items"] if e["action"] == "api_key.delete"]
        self.assertEqual(len(ev), 1, audit)
        self.assertEqual(ev[0]["changes"]["name"], "short lived")
        self.assertNotIn(created["key"], str(audit))
        # ids that are not key ids, or no key at all
        for bad in ("nonsense", "key_aaaaaaaaaaaaaaaaaaaaaaaaaa", created["app_id"]):
            self.refused(404, self.call("DELETE", self.keys_path() + "/" + bad, as_=self.owner))

    def test_any_number_unique(self):
        made = [self.new_key({"name": "key %d" % i}) for i in range(6)]
        self.assertEqual(len({k["key"] for k in made}), 6)
        self.assertEqual(len({k["id"] for k in made}), 6)
        for k in made:
            self.assertEqual(k["key_hint"], k["key"][:9])
        ids = [k["id"] for k in self.list_all(self.keys_path())]
        for k in made:
            self.assertIn(k["id"], ids)
        # oldest first, paged with a Link to the next page; the pages add up
        r = self.call("GET", self.keys_path() + "?per_page=2", as_=self.owner)
        body = self.ok(200, r)
        self.assertEqual(len(body["items"]), 2)
        self.assertEqual(body["per_page"], 2)
        self.assertGreaterEqual(body["total"], 6)
        self.assertIn("page=2&per_page=2", r.header("Link", ""))
        paged = []
        for page in range(1, (body["total"] + 1) // 2 + 1):
            r = self.call("GET", self.keys_path() + "?per_page=2&page=%d" % page, as_=self.owner)
            paged += self.ok(200, r)["items"]
        self.assertIsNone(r.header("Link"))
        self.assertEqual(paged, self.list_all(self.keys_path()))
        created = [k["created_at"] for k in paged]
        self.assertEqual(created, sorted(created))
        self.refused(422, self.call("GET", self.keys_path() + "?per_page=101", as_=self.owner),
                     "per_page")

    def test_expiry(self):
        now = utc_now()
        k = self.new_key({"name": "thirty days", "expires_in_days": 30})
        exp = parse_time(k["expires_at"])
        delta = (exp - now).total_seconds()
        self.assertTrue(30 * 86400 - 5 <= delta <= 30 * 86400 + 5, k)

        k = self.new_key({"name": "fixed", "expires_at": "2099-01-31T12:00:00Z"})
        self.assertEqual(k["expires_at"], "2099-01-31T12:00:00Z")
        k = self.new_key({"name": "offset", "expires_at": "2099-01-31T13:30:00.5+01:30"})
        self.assertEqual(k["expires_at"], "2099-01-31T12:00:00Z")
        k = self.new_key({"name": "explicit never", "expires_at": None})
        self.assertIsNone(k["expires_at"])
        listed = {x["id"]: x for x in self.list_all(self.keys_path())}
        self.assertEqual(listed[k["id"]]["expires_at"], None)

        past = (now - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for body, field in [
            ({"name": "x", "expires_at": past}, "expires_at"),
            ({"name": "x", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
            ({"name": "x", "expires_at": "tomorrow"}, "expires_at"),
            ({"name": "x", "expires_at": "2099-02-30T00:00:00Z"}, "expires_at"),
            ({"name": "x", "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
            ({"name": "x", "expires_at": 4102444800}, "expires_at"),
            ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
            ({"name": "x", "expires_in_days": -3}, "expires_in_days"),
            ({"name": "x", "expires_in_days": 36501}, "expires_in_days"),
            ({"name": "x", "expires_in_days": "30"}, "expires_in_days"),
            ({"name": "x", "expires_in_days": 1.5}, "expires_in_days"),
            ({"name": "x", "expires_in_days": 3, "expires_at": "2099-01-01T00:00:00Z"},
             "expires_in_days"),
        ]:
            r = self.call("POST", self.keys_path(), body, as_=self.owner)
            self.refused(422, r, field)
        err = self.refused(422, self.call("POST", self.keys_path(),
                                          {"name": "x", "expires_at": past}, as_=self.owner))
        self.assertIn("future", err["errors"][0]["message"])

    def test_refused_input(self):
        before = len(self.list_all(self.keys_path()))
        for body, field in [({}, "name"), ({"name": ""}, "name"), ({"name": " padded"}, "name"),
                            ({"name": "two\nlines"}, "name"), ({"name": "n" * 201}, "name"),
                            ({"name": 7}, "name")]:
            self.refused(422, self.call("POST", self.keys_path(), body, as_=self.owner), field)
        self.refused(400, self.call("POST", self.keys_path(), {"name": "x", "key": "ghak_mine"},
                                    as_=self.owner), "key")
        self.refused(400, self.call("POST", self.keys_path(), raw=b"{\"name\":", as_=self.owner))
        self.refused(415, self.call("POST", self.keys_path(), raw=b"name=x", as_=self.owner,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}))
        self.assertEqual(len(self.list_all(self.keys_path())), before)
        # a name of exactly 200 characters is fine
        self.new_key({"name": "n" * 200})

    def test_roles(self):
        key = self.new_key({"name": "role test"})
        path = self.keys_path()
        # DEVELOPER and READ_ONLY read but may not create or remove
        for who in (self.developer, self.read_only):
            self.ok(200, self.call("GET", path, as_=who))
            err = self.refused(403, self.call("POST", path, {"name": "nope"}, as_=who))
            self.assertIn("manage_api_keys", err["errors"][0]["message"])
            self.refused(403, self.call("DELETE", path + "/" + key["id"], as_=who))
        # the partner org's ADMIN acts as OWNER; platform admins may do everything
        k1 = self.new_key({"name": "by partner admin"}, as_=self.partner_admin)
        k2 = self.new_key({"name": "by platform admin"}, as_=self.admin)
        self.assertRegex(k2["key"], KEY_RE)
        self.ok(204, self.call("DELETE", path + "/" + k1["id"], as_=self.partner_admin))
        self.ok(204, self.call("DELETE", path + "/" + k2["id"], as_=self.admin))
        # anonymous 401; a session without its CSRF token 403
        self.refused(401, self.call("GET", path))
        self.refused(401, self.call("POST", path, {"name": "anon"}))
        self.refused(401, self.call("DELETE", path + "/" + key["id"]))
        self.refused(403, self.call("POST", path, {"name": "no csrf"}, as_=self.owner,
                                    csrf=False))
        self.refused(403, self.call("DELETE", path + "/" + key["id"], as_=self.owner, csrf=False))
        # a personal token needs no CSRF token
        tok = self.ok(201, self.call("POST", "/api/v1/me/tokens", {"name": "ci"},
                                     as_=self.owner))["token"]
        self.new_key({"name": "via personal token"}, as_=api.Bearer(tok))
        # the key still exists after all the refusals
        self.assertIn(key["id"], [k["id"] for k in self.list_all(path)])

    def test_isolation(self):
        mine = self.new_key({"name": "partner one"})
        theirs = self.new_key({"name": "partner two"}, app=self.app2, as_=self.owner2)
        # outsiders and the other partner's people do not see the app at all: 404
        for who in (self.outsider, self.owner2):
            self.refused(404, self.call("GET", self.keys_path(), as_=who))
            self.refused(404, self.call("POST", self.keys_path(), {"name": "x"}, as_=who))
            self.refused(404, self.call("DELETE", self.keys_path() + "/" + mine["id"], as_=who))
        # a key cannot be removed through another app's path
        self.refused(404, self.call("DELETE", self.keys_path(self.app2) + "/" + mine["id"],
                                    as_=self.owner2))
        self.refused(404, self.call("DELETE", self.keys_path() + "/" + theirs["id"],
                                    as_=self.owner))
        self.refused(404, self.call("GET", "/api/v1/apps/app_aaaaaaaaaaaaaaaaaaaaaaaaaa/api-keys",
                                    as_=self.owner))
        self.refused(404, self.call("GET", "/api/v1/apps/nonsense/api-keys", as_=self.admin))
        # each app lists only its own keys
        self.assertNotIn(theirs["id"], [k["id"] for k in self.list_all(self.keys_path())])
        other = self.list_all(self.keys_path(self.app2), as_=self.owner2)
        self.assertEqual([k["id"] for k in other], [theirs["id"]])
        self.assertIn(mine["id"], [k["id"] for k in self.list_all(self.keys_path())])


class CertificateTest(CredentialsBase):

    def test_upload_list_delete(self):
        pem, _ = self.certs.valid()
        subject, thumb = self.certs.facts(pem)
        cert = self.ok(201, self.call("POST", self.certs_path(), {"pem": pem}, as_=self.owner))
        self.assertRegex(cert["id"], CERT_ID_RE)
        self.assertEqual(cert["app_id"], self.app["id"])
        self.assertEqual(cert["subject"], subject)
        self.assertEqual(cert["issuer"], subject)  # self-signed
        self.assertIn("O=Partner A", cert["subject"])
        self.assertEqual(cert["thumbprint_sha256"], thumb)
        self.assertEqual(cert["pem"], pem)
        nb, na = parse_time(cert["not_before"]), parse_time(cert["not_after"])
        self.assertAlmostEqual((na - nb).total_seconds(), 30 * 86400, delta=5)
        self.assertLessEqual(nb, utc_now())

        for who in (self.owner, self.developer, self.read_only, self.partner_admin, self.admin):
            items = self.list_all(self.certs_path(), as_=who)
            self.assertIn(cert, items)

        audit = self.audit_of(cert["id"])
        ev = [e for e in audit["items"] if e["action"] == "certificate.create"]
        self.assertEqual(len(ev), 1, audit)
        self.assertEqual(ev[0]["changes"]["thumbprint_sha256"], thumb)
        self.assertEqual(ev[0]["org_id"], self.partner["id"])

        self.ok(204, self.call("DELETE", self.certs_path() + "/" + cert["id"], as_=self.owner))
        self.assertNotIn(cert["id"], [c["id"] for c in self.list_all(self.certs_path())])
        self.refused(404, self.call("DELETE", self.certs_path() + "/" + cert["id"],
                                    as_=self.owner))
        self.refused(404, self.call("DELETE", self.certs_path() + "/crt_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                                    as_=self.owner))
        audit = self.audit_of(cert["id"])
        self.assertIn("certificate.delete", [e["action"] for e in audit["items"]])
        # once removed, the same certificate may be added again
        again = self.ok(201, self.call("POST", self.certs_path(), {"pem": pem}, as_=self.owner))
        self.assertNotEqual(again["id"], cert["id"])
        self.assertEqual(again["thumbprint_sha256"], thumb)

    def test_text_dump_around_the_pem_is_accepted(self):
        pem, _ = self.certs.valid()
        _, thumb = self.certs.facts(pem)
        dump = self.certs.with_text(pem)
        self.assertIn("Certificate:", dump)
        cert = self.ok(201, self.call("POST", self.certs_path(), {"pem": dump}, as_=self.owner))
        self.assertEqual(cert["thumbprint_sha256"], thumb)

    def test_thumbprint_is_unique_across_apps(self):
        pem, _ = self.certs.valid()
        self.ok(201, self.call("POST", self.certs_path(), {"pem": pem}, as_=self.owner))
        err = self.refused(409, self.call("POST", self.certs_path(), {"pem": pem},
                                          as_=self.owner), "pem")
        self.assertIn("already registered", err["errors"][0]["message"])
        err = self.refused(409, self.call("POST", self.certs_path(self.app2), {"pem": pem},
                                          as_=self.owner2), "pem")
        self.assertIn("another app", err["errors"][0]["message"])
        self.assertEqual(self.list_all(self.certs_path(self.app2), as_=self.owner2), [])

    def test_private_key_material_is_refused(self):
        pem, key = self.certs.valid()
        self.assertIn("PRIVATE KEY", key)
        body_of_key = "".join(key.strip().splitlines()[1:-1])
        for text in (key, pem + key, key + pem):
            err = self.refused(422, self.call("POST", self.certs_path(), {"pem": text},
                                              as_=self.owner), "pem")
            self.assertEqual(err["errors"][0]["message"], PRIVATE_KEY_MSG)
        # the key went nowhere
        self.assertNotIn(body_of_key[:60], self.server.stderr_text())
        self.assertNotIn(body_of_key[:60].encode(), self.db_bytes())
        _, thumb = self.certs.facts(pem)
        self.assertNotIn(thumb, [c["thumbprint_sha256"]
                                 for c in self.list_all(self.certs_path())])

    def test_refused_certificates(self):
        pem1, _ = self.certs.valid()
        pem2, _ = self.certs.valid()
        expired = self.certs.dated("20200101000000Z", "20200201000000Z")
        future = self.certs.dated("20900101000000Z", "20910101000000Z")
        lines = pem1.strip().splitlines()
        damaged = "\n".join(lines[:2] + lines[4:]) + "\n"
        cases = [
            ("hello world", "no certificate found"),
            ("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
             "malformed"),
            ("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n", "malformed"),
            (damaged, "malformed"),
            (pem1 + pem2, "exactly one certificate"),
            (expired, "has expired"),
            (future, "not valid yet"),
        ]
        for text, expect in cases:
            err = self.refused(422, self.call("POST", self.certs_path(), {"pem": text},
                                              as_=self.owner), "pem")
            self.assertIn(expect, err["errors"][0]["message"], text[:80])
        self.refused(422, self.call("POST", self.certs_path(), {}, as_=self.owner), "pem")
        self.refused(422, self.call("POST", self.certs_path(), {"pem": ""}, as_=self.owner),
                     "pem")
        self.refused(422, self.call("POST", self.certs_path(), {"pem": 42}, as_=self.owner),
                     "pem")
        self.refused(422, self.call("POST", self.certs_path(), {"pem": "x" * 70000},
                                    as_=self.owner), "pem")
        self.refused(400, self.call("POST", self.certs_path(), {"pem": pem1, "name": "x"},
                                    as_=self.owner), "name")
        self.refused(400, self.call("POST", self.certs_path(), raw=b"[1]", as_=self.owner))
        self.refused(415, self.call("POST", self.certs_path(), raw=pem1.encode(), as_=self.owner,
                                    headers={"Content-Type": "application/x-pem-file"}))
        self.assertEqual(self.list_all(self.certs_path(self.app2), as_=self.owner2), [])

    def test_roles_and_isolation(self):
        pem, _ = self.certs.valid()
        cert = self.ok(201, self.call("POST", self.certs_path(), {"pem": pem},
                                      as_=self.partner_admin))
        path = self.certs_path()
        other, _ = self.certs.valid()
        for who in (self.developer, self.read_only):
            self.ok(200, self.call("GET", path, as_=who))
            err = self.refused(403, self.call("POST", path, {"pem": other}, as_=who))
            self.assertIn("manage_certificates", err["errors"][0]["message"])
            self.refused(403, self.call("DELETE", path + "/" + cert["id"], as_=who))
        for who in (self.outsider, self.owner2):
            self.refused(404, self.call("GET", path, as_=who))
            self.refused(404, self.call("POST", path, {"pem": other}, as_=who))
            self.refused(404, self.call("DELETE", path + "/" + cert["id"], as_=who))
        self.refused(404, self.call("DELETE", self.certs_path(self.app2) + "/" + cert["id"],
                                    as_=self.owner2))
        self.refused(401, self.call("GET", path))
        self.refused(401, self.call("POST", path, {"pem": other}))
        self.refused(403, self.call("POST", path, {"pem": other}, as_=self.owner, csrf=False))
        self.assertIn(cert["id"], [c["id"] for c in self.list_all(path)])
        # the platform admin adds and removes
        added = self.ok(201, self.call("POST", path, {"pem": other}, as_=self.admin))
        self.ok(204, self.call("DELETE", path + "/" + added["id"], as_=self.admin))
        self.ok(204, self.call("DELETE", path + "/" + cert["id"], as_=self.owner))
