"""Apps of partner organizations through HTTP (/api/v1/orgs/{org}/apps,
/api/v1/apps/{app}…): every route, who may and may not, every refusal; the
client secret shown once and never again (not in GET, the audit log, the
server's log or the database file); rotation with a grace period; custom
client credentials for platform admins; app members with the last-OWNER
rule; isolation between two partners."""

import glob
import itertools
import os
import re
import sqlite3
import time
import urllib.parse

import api

_n = itertools.count(1)

APP_ID_RE = re.compile(r"^app_[a-z2-7]{26}$")
CLIENT_ID_RE = re.compile(r"^app-[a-z2-7]{26}$")
SECRET_RE = re.compile(r"^ghcs_[A-Za-z0-9_-]{43}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class AppsBase(api.ApiTestCase):
    """One partner org P with an ADMIN and two DEVELOPERs, and a second
    partner org Q with its own ADMIN, made once per class."""

    world = None

    def setUp(self):
        super().setUp()
        cls = type(self)
        if cls.world is None:
            w = {}
            w["padmin"] = self.new_person("p-admin", name="Pia Admin")
            w["pdev"] = self.new_person("p-dev", name="Paul Dev")
            w["pdev2"] = self.new_person("p-dev2", name="Petra Dev")
            w["p"] = self.new_partner_org(w["padmin"])
            for who in ("pdev", "pdev2"):
                self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % w["p"]["id"],
                                       {"email": w[who].email, "role": "DEVELOPER"},
                                       as_=w["padmin"]))
            w["qadmin"] = self.new_person("q-admin", name="Quinn Admin")
            w["q"] = self.new_partner_org(w["qadmin"])
            cls.world = w
        for k, v in cls.world.items():
            setattr(self, k, v)

    # --- helpers ------------------------------------------------------------

    def create_app(self, org_id=None, as_=None, status=201, **fields):
        body = {"name": "App %d" % next(_n)}
        body.update(fields)
        r = self.call("POST", "/api/v1/orgs/%s/apps" % (org_id or self.p["id"]), body,
                      as_=as_ or self.pdev)
        if status == 201:
            return self.ok(201, r)
        return r

    def app_url(self, app, rest=""):
        return "/api/v1/apps/%s%s" % (app["id"] if isinstance(app, dict) else app, rest)

    def add_member(self, app, person, role, as_=None):
        return self.call("POST", self.app_url(app, "/members"),
                         {"email": person.email, "role": role}, as_=as_ or self.pdev)

    def events(self, **query):
        q = urllib.parse.urlencode(query)
        return self.ok(200, self.call("GET", "/api/v1/audit?" + q, as_=self.admin))["items"]

    def db_row(self, app_id):
        con = sqlite3.connect(self.server.db, timeout=10)
        try:
            con.row_factory = sqlite3.Row
            row = con.execute("SELECT * FROM apps WHERE id = ?", (app_id,)).fetchone()
            return dict(row) if row else None
        finally:
            con.close()

    def db_bytes(self):
        """The raw bytes of the database and its WAL / shared-memory files."""
        out = b""
        for path in sorted(glob.glob(self.server.db + "*")):
            with open(path, "rb") as f:
                out += f.read()
        return out

    def assert_secret_nowhere(self, secret):
        """secret is in no later answer, audit event, log line or database file."""
        s = secret.encode()
        raw = self.db_bytes()
        self.assertIn(b"CREATE TABLE apps", raw)  # the grep looks at the real file
        self.assertNotIn(s, raw, "the secret is in the database file")
        self.assertNotIn(secret, self.server.stderr_text(), "the secret is in the server's log")
        with open(self.server.stdout_path, "rb") as f:
            self.assertNotIn(s, f.read())
        audit = self.call("GET", "/api/v1/audit?per_page=100", as_=self.admin)
        self.assertEqual(audit.status, 200)
        self.assertNotIn(s, audit.body)


class AppCreateTest(AppsBase):

    def test_org_developer_creates_app_and_becomes_owner(self):
        app = self.create_app(name="Mobile Bank", description="Our app")
        self.assertRegex(app["id"], APP_ID_RE)
        self.assertEqual(app["org_id"], self.p["id"])
        self.assertEqual(app["name"], "Mobile Bank")
        self.assertEqual(app["description"], "Our app")
        self.assertRegex(app["client_id"], CLIENT_ID_RE)
        self.assertRegex(app["client_secret"], SECRET_RE)
        self.assertIs(app["confidential"], True)
        self.assertIs(app["disabled"], False)
        self.assertEqual(app["token_type"], "jwt")
        self.assertIsNone(app["token_name"])
        for k in ("redirect_uris", "logout_uris", "grant_types", "scopes"):
            self.assertEqual(app[k], [], k)
        self.assertEqual(app["access_token_validity_secs"], 86400)
        self.assertEqual(app["refresh_token_validity_secs"], 0)
        self.assertEqual(app["id_token_validity_mins"], 0)
        self.assertIsNone(app["previous_secret_expires_at"])
        self.assertRegex(app["created_at"], TIME_RE)
        members = self.ok(200, self.call("GET", self.app_url(app, "/members"), as_=self.pdev))
        self.assertEqual([(m["user_id"], m["role"], m["email"], m["name"])
                          for m in members["items"]],
                         [(self.pdev.id, "OWNER", self.pdev.email, "Paul Dev")])
        actions = [e["action"] for e in self.events(object=app["id"])]
        self.assertIn("app.create", actions)
        self.assertIn("app.member.add", actions)

    def test_secret_is_shown_once_and_never_again(self):
        app = self.create_app()
        secret = app["client_secret"]
        got = self.ok(200, self.call("GET", self.app_url(app), as_=self.pdev))
        self.assertNotIn("client_secret", got)
        self.assertNotIn(secret, str(got))
        self.assertEqual({k: v for k, v in app.items() if k != "client_secret"}, got)
        listed = self.call("GET", "/api/v1/orgs/%s/apps" % self.p["id"], as_=self.padmin)
        self.assertNotIn(secret.encode(), listed.body)
        # what the store keeps is a hash of the secret, not the secret
        row = self.db_row(app["id"])
        self.assertRegex(row["client_secret_hash"], r"^[0-9a-f]{64}$")
        self.assertNotIn(secret, str(row))
        self.assert_secret_nowhere(secret)
        created = [e for e in self.events(object=app["id"]) if e["action"] == "app.create"][0]
        self.assertEqual(created["changes"]["client_secret"], "generated")
        self.assertEqual(created["changes"]["client_id"], app["client_id"])
        self.assertEqual(created["actor"], {"id": self.pdev.id, "kind": "user"})

    def test_all_fields_are_stored_and_shown(self):
        body = {"name": "Full", "description": "All of it", "confidential": False,
                "token_type": "uuid", "token_name": "partner-token",
                "redirect_uris": ["https://app.example/cb", "http://localhost:8080/cb"],
                "logout_uris": ["https://app.example/bye"],
                "grant_types": ["authorization_code", "refresh_token"],
                "scopes": ["openid", "accounts:read"],
                "access_token_validity_secs": 600, "refresh_token_validity_secs": 3600,
                "id_token_validity_mins": 15}
        app = self.create_app(**body)
        got = self.ok(200, self.call("GET", self.app_url(app), as_=self.padmin))
        for k, v in body.items():
            self.assertEqual(got[k], v, k)

    def test_client_ids_and_secrets_differ_between_apps(self):
        a, b = self.create_app(), self.create_app()
        self.assertNotEqual(a["client_id"], b["client_id"])
        self.assertNotEqual(a["client_secret"], b["client_secret"])

    def test_org_admin_and_platform_admin_create(self):
        by_admin = self.create_app(as_=self.padmin)
        members = self.ok(200, self.call("GET", self.app_url(by_admin, "/members"), as_=self.padmin))
        self.assertEqual([(m["user_id"], m["role"]) for m in members["items"]],
                         [(self.padmin.id, "OWNER")])
        by_platform = self.create_app(as_=self.admin)
        members = self.ok(200, self.call("GET", self.app_url(by_platform, "/members"),
                                         as_=self.admin))
        self.assertEqual(members["items"], [])  # a token is nobody: no OWNER row
        # the org's ADMIN acts as OWNER of it all the same
        self.ok(200, self.call("PATCH", self.app_url(by_platform), {"redirect_uris": []},
                               as_=self.padmin))

    def test_validation_names_the_field(self):
        cases = [
            ({"name": ""}, "name"),
            ({"name": None}, "name"),
            ({"name": 5}, "name"),
            ({"description": "x" * 2001}, "description"),
            ({"redirect_uris": ["http://app.example/cb"]}, "redirect_uris"),
            ({"redirect_uris": ["https://app.example/cb#frag"]}, "redirect_uris"),
            ({"redirect_uris": ["/relative"]}, "redirect_uris"),
            ({"redirect_uris": "https://app.example/cb"}, "redirect_uris"),
            ({"redirect_uris": [1]}, "redirect_uris"),
            ({"logout_uris": ["ftp://app.example/x"]}, "logout_uris"),
            ({"grant_types": ["password"]}, "grant_types"),
            ({"grant_types": ["client_credentials", "client_credentials"]}, "grant_types"),
            ({"scopes": ["has space"]}, "scopes"),
            ({"token_type": "opaque"}, "token_type"),
            ({"token_name": "bad name!"}, "token_name"),
            ({"access_token_validity_secs": -1}, "access_token_validity_secs"),
            ({"access_token_validity_secs": 366 * 86400}, "access_token_validity_secs"),
            ({"access_token_validity_secs": "600"}, "access_token_validity_secs"),
            ({"refresh_token_validity_secs": 366 * 86400}, "refresh_token_validity_secs"),
            ({"id_token_validity_mins": 24 * 60 + 1}, "id_token_validity_mins"),
            ({"confidential": "yes"}, "confidential"),
        ]
        for fields, field in cases:
            body = {"name": "Valid"}
            body.update(fields)
            r = self.call("POST", "/api/v1/orgs/%s/apps" % self.p["id"], body, as_=self.pdev)
            self.refused(422, r, field)
        self.refused(422, self.call("POST", "/api/v1/orgs/%s/apps" % self.p["id"],
                                    {"description": "no name"}, as_=self.pdev), "name")
        listed = self.ok(200, self.call("GET", "/api/v1/orgs/%s/apps" % self.p["id"],
                                        as_=self.padmin))
        self.assertNotIn("Valid", [a["name"] for a in listed["items"]])

    def test_refusals(self):
        url = "/api/v1/orgs/%s/apps" % self.p["id"]
        self.refused(400, self.call("POST", url, {"name": "X", "client_id": "mine"},
                                    as_=self.pdev), "client_id")
        self.refused(400, self.call("POST", url, {"name": "X", "colour": "red"}, as_=self.pdev),
                     "colour")
        self.refused(400, self.call("POST", url, raw=b"{nope", as_=self.pdev))
        self.refused(415, self.call("POST", url, raw=b'{"name":"X"}', as_=self.pdev,
                                    headers={"Content-Type": "text/plain"}))
        r = self.call("POST", url, {"name": "X"})
        self.refused(401, r)
        self.assertTrue(r.header("WWW-Authenticate", "").startswith("Bearer"))
        self.refused(403, self.call("POST", url, {"name": "X"}, as_=self.pdev, csrf=False))
        # another partner's org and an unknown one: 404
        self.refused(404, self.call("POST", url, {"name": "X"}, as_=self.qadmin))
        self.refused(404, self.call("POST", "/api/v1/orgs/org_aaaaaaaaaaaaaaaaaaaaaaaaaa/apps",
                                    {"name": "X"}, as_=self.admin))
        # apps belong to partners: a provider org has none
        prov = self.ok(201, self.call("POST", "/api/v1/orgs", {"name": "Prov", "provider": True},
                                      as_=self.admin))
        self.refused(422, self.call("POST", "/api/v1/orgs/%s/apps" % prov["id"], {"name": "X"},
                                    as_=self.admin))

    def test_personal_token_creates_without_csrf(self):
        tok = self.ok(201, self.call("POST", "/api/v1/me/tokens", {"name": "ci"}, as_=self.pdev2))
        app = self.create_app(as_=api.Bearer(tok["token"]))
        members = self.ok(200, self.call("GET", self.app_url(app, "/members"), as_=self.pdev2))
        self.assertEqual([m["user_id"] for m in members["items"]], [self.pdev2.id])


class AppListTest(AppsBase):

    def test_org_admin_sees_all_developers_see_their_own(self):
        mine = self.create_app(as_=self.pdev)
        theirs = self.create_app(as_=self.pdev2)
        url = "/api/v1/orgs/%s/apps?per_page=100" % self.p["id"]
        ids = lambda who: [a["id"] for a in self.ok(200, self.call("GET", url, as_=who))["items"]]
        self.assertIn(mine["id"], ids(self.padmin))
        self.assertIn(theirs["id"], ids(self.padmin))
        self.assertIn(mine["id"], ids(self.admin))
        self.assertIn(mine["id"], ids(self.pdev))
        self.assertNotIn(theirs["id"], ids(self.pdev))
        self.ok(201, self.add_member(theirs, self.pdev, "READ_ONLY", as_=self.pdev2))
        self.assertIn(theirs["id"], ids(self.pdev))
        for item in self.ok(200, self.call("GET", url, as_=self.padmin))["items"]:
            self.assertNotIn("client_secret", item)

    def test_paging_and_refusals(self):
        for _ in range(3):
            self.create_app(as_=self.padmin)
        url = "/api/v1/orgs/%s/apps" % self.p["id"]
        r = self.call("GET", url + "?per_page=2", as_=self.padmin)
        page = self.ok(200, r)
        self.assertEqual(len(page["items"]), 2)
        self.assertGreaterEqual(page["total"], 3)
        self.assertIn("page=2&per_page=2", r.header("Link"))
        self.refused(422, self.call("GET", url + "?per_page=101", as_=self.padmin), "per_page")
        self.refused(401, self.call("GET", url))
        self.refused(404, self.call("GET", url, as_=self.qadmin))


class AppChangeTest(AppsBase):

    def app_with_roles(self):
        """An app whose OWNER is pdev, with pdev2 as DEVELOPER."""
        app = self.create_app(as_=self.pdev)
        self.ok(201, self.add_member(app, self.pdev2, "DEVELOPER"))
        return app

    def test_developer_edits_details_but_no_authentication_settings(self):
        app = self.app_with_roles()
        body = {"name": "Renamed", "description": "new words", "token_name": "tok",
                "scopes": ["a", "b"], "access_token_validity_secs": 300,
                "refresh_token_validity_secs": 7200, "id_token_validity_mins": 10}
        got = self.ok(200, self.call("PATCH", self.app_url(app), body, as_=self.pdev2))
        for k, v in body.items():
            self.assertEqual(got[k], v, k)
        auth = {"redirect_uris": ["https://x.example/cb"], "logout_uris": [],
                "grant_types": ["client_credentials"], "token_type": "uuid",
                "confidential": False, "disabled": True, "client_id": "custom-id",
                "client_secret": "s" * 40}
        for field, value in auth.items():
            r = self.call("PATCH", self.app_url(app), {"name": "Sneaky", field: value},
                          as_=self.pdev2)
            err = self.refused(403, r, field)
            self.assertIn(field, err["errors"][0]["message"])
        got = self.ok(200, self.call("GET", self.app_url(app), as_=self.pdev2))
        self.assertEqual(got["name"], "Renamed")
        self.assertEqual(got["redirect_uris"], [])
        self.assertEqual(got["token_type"], "jwt")
        self.assertIs(got["confidential"], True)

    def test_owner_edits_authentication_settings_and_audit_records_changes(self):
        app = self.app_with_roles()
        body = {"redirect_uris": ["https://x.example/cb"], "logout_uris": ["https://x.example/o"],
                "grant_types": ["client_credentials"], "token_type": "uuid",
                "confidential": False, "disabled": True}
        got = self.ok(200, self.call("PATCH", self.app_url(app), body, as_=self.pdev))
        for k, v in body.items():
            self.assertEqual(got[k], v, k)
        ev = [e for e in self.events(object=app["id"]) if e["action"] == "app.update"][0]
        self.assertEqual(ev["changes"]["token_type"], {"old": "jwt", "new": "uuid"})
        self.assertEqual(ev["changes"]["redirect_uris"],
                         {"old": [], "new": ["https://x.example/cb"]})
        self.assertNotIn("name", ev["changes"])
        # null / 0 go back to the defaults
        got = self.ok(200, self.call("PATCH", self.app_url(app),
                                     {"access_token_validity_secs": None, "token_name": None,
                                      "redirect_uris": None, "description": ""}, as_=self.pdev))
        self.assertEqual(got["access_token_validity_secs"], 86400)
        self.assertIsNone(got["token_name"])
        self.assertEqual(got["redirect_uris"], [])
        self.assertEqual(got["description"], "")

    def test_read_only_reads_only_and_org_admin_acts_as_owner(self):
        app = self.app_with_roles()
        ro = self.new_person("ro")
        self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % self.p["id"],
                               {"email": ro.email, "role": "DEVELOPER"}, as_=self.padmin))
        self.ok(201, self.add_member(app, ro, "READ_ONLY"))
        self.ok(200, self.call("GET", self.app_url(app), as_=ro))
        self.refused(403, self.call("PATCH", self.app_url(app), {"name": "No"}, as_=ro), "name")
        self.refused(403, self.call("POST", self.app_url(app, "/client-secret"), {}, as_=ro))
        self.refused(403, self.call("DELETE", self.app_url(app), as_=ro))
        self.ok(200, self.call("PATCH", self.app_url(app), {"grant_types": ["refresh_token"]},
                               as_=self.padmin))

    def test_patch_refusals(self):
        app = self.app_with_roles()
        url = self.app_url(app)
        self.refused(400, self.call("PATCH", url, {"colour": 1}, as_=self.pdev), "colour")
        self.refused(400, self.call("PATCH", url, {"id": "app_x"}, as_=self.pdev), "id")
        self.refused(422, self.call("PATCH", url, {"name": None}, as_=self.pdev), "name")
        self.refused(422, self.call("PATCH", url, {"redirect_uris": ["http://evil.example/"]},
                                    as_=self.pdev), "redirect_uris")
        self.refused(422, self.call("PATCH", url, {"client_id": "x-y-z"}, as_=self.admin),
                     "client_id")
        self.refused(415, self.call("PATCH", url, raw=b"{}", as_=self.pdev,
                                    headers={"Content-Type": "text/plain"}))
        self.refused(403, self.call("PATCH", url, {"name": "X"}, as_=self.pdev, csrf=False))
        self.refused(401, self.call("PATCH", url, {"name": "X"}))
        # no change: no audit event
        before = len(self.events(object=app["id"]))
        self.ok(200, self.call("PATCH", url, {"name": app["name"]}, as_=self.pdev))
        self.assertEqual(len(self.events(object=app["id"])), before)

    def test_delete_by_owner_only(self):
        app = self.app_with_roles()
        self.refused(403, self.call("DELETE", self.app_url(app), as_=self.pdev2))
        self.refused(403, self.call("DELETE", self.app_url(app), as_=self.pdev, csrf=False))
        self.assertEqual(self.call("DELETE", self.app_url(app), as_=self.pdev).status, 204)
        self.refused(404, self.call("GET", self.app_url(app), as_=self.pdev))
        self.refused(404, self.call("DELETE", self.app_url(app), as_=self.admin))
        self.assertIsNone(self.db_row(app["id"]))
        self.assertIn("app.delete", [e["action"] for e in self.events(object=app["id"])])
        other = self.create_app(as_=self.pdev2)
        self.assertEqual(self.call("DELETE", self.app_url(other), as_=self.padmin).status, 204)
        third = self.create_app(as_=self.pdev2)
        self.assertEqual(self.call("DELETE", self.app_url(third), as_=self.admin).status, 204)


class SecretRotationTest(AppsBase):

    def test_rotation_with_grace_keeps_the_old_hash_until_expiry(self):
        app = self.create_app()
        old_hash = self.db_row(app["id"])["client_secret_hash"]
        before = int(time.time())
        r = self.call("POST", self.app_url(app, "/client-secret"), {"grace_seconds": 3600},
                      as_=self.pdev)
        rotated = self.ok(200, r)
        after = int(time.time())
        new = rotated["client_secret"]
        self.assertRegex(new, SECRET_RE)
        self.assertNotEqual(new, app["client_secret"])
        self.assertEqual(rotated["client_id"], app["client_id"])
        row = self.db_row(app["id"])
        self.assertEqual(row["previous_secret_hash"], old_hash)
        self.assertNotEqual(row["client_secret_hash"], old_hash)
        self.assertTrue(before + 3600 <= row["previous_secret_expires_at"] <= after + 3600)
        self.assertRegex(rotated["previous_secret_expires_at"], TIME_RE)
        got = self.ok(200, self.call("GET", self.app_url(app), as_=self.pdev))
        self.assertNotIn("client_secret", got)
        self.assertEqual(got["previous_secret_expires_at"], rotated["previous_secret_expires_at"])
        ev = [e for e in self.events(object=app["id"])
              if e["action"] == "app.client_secret.rotate"][0]
        self.assertEqual(ev["changes"]["grace_seconds"], 3600)
        self.assert_secret_nowhere(new)
        self.assert_secret_nowhere(app["client_secret"])

    def test_rotation_without_grace_drops_the_old_secret(self):
        app = self.create_app()
        self.call("POST", self.app_url(app, "/client-secret"), {"grace_seconds": 60},
                  as_=self.pdev)
        # no body at all: no grace, and the earlier previous secret goes too
        r = self.call("POST", self.app_url(app, "/client-secret"), as_=self.pdev)
        rotated = self.ok(200, r)
        row = self.db_row(app["id"])
        self.assertIsNone(row["previous_secret_hash"])
        self.assertEqual(row["previous_secret_expires_at"], 0)
        self.assertIsNone(rotated["previous_secret_expires_at"])
        self.ok(200, self.call("POST", self.app_url(app, "/client-secret"), {"grace_seconds": 0},
                               as_=self.pdev))
        self.assertIsNone(self.db_row(app["id"])["previous_secret_hash"])

    def test_rotation_refusals(self):
        app = self.create_app()
        self.ok(201, self.add_member(app, self.pdev2, "DEVELOPER"))
        url = self.app_url(app, "/client-secret")
        self.refused(403, self.call("POST", url, {"grace_seconds": 0}, as_=self.pdev2))
        self.refused(422, self.call("POST", url, {"grace_seconds": -1}, as_=self.pdev),
                     "grace_seconds")
        self.refused(422, self.call("POST", url, {"grace_seconds": 604801}, as_=self.pdev),
                     "grace_seconds")
        self.refused(400, self.call("POST", url, {"grace": 5}, as_=self.pdev), "grace")
        self.refused(404, self.call("POST", url, {}, as_=self.qadmin))
        self.refused(401, self.call("POST", url, {}))
        self.refused(403, self.call("POST", url, {}, as_=self.pdev, csrf=False))
        self.ok(200, self.call("POST", url, {"grace_seconds": 604800}, as_=self.padmin))
        self.ok(200, self.call("POST", url, {}, as_=self.admin))


class ClientCredentialsTest(AppsBase):

    def test_platform_admin_sets_custom_client_id_and_secret(self):
        app = self.create_app()
        cid = "custom.client-%d" % next(_n)
        secret = "S3cret-%d-" % next(_n) + "x" * 30
        url = self.app_url(app, "/client-credentials")
        got = self.ok(200, self.call("PUT", url, {"client_id": cid, "client_secret": secret},
                                     as_=self.admin))
        self.assertEqual(got["client_id"], cid)
        self.assertNotIn("client_secret", got)
        self.assertEqual(self.ok(200, self.call("GET", self.app_url(app), as_=self.pdev))
                         ["client_id"], cid)
        row = self.db_row(app["id"])
        self.assertRegex(row["client_secret_hash"], r"^[0-9a-f]{64}$")
        self.assertIsNone(row["previous_secret_hash"])
        self.assert_secret_nowhere(secret)
        ev = [e for e in self.events(object=app["id"])
              if e["action"] == "app.client_credentials.set"][0]
        self.assertEqual(ev["changes"]["client_id"], {"old": app["client_id"], "new": cid})
        self.assertEqual(ev["changes"]["client_secret"], "set")
        # only the id, then only the secret
        self.ok(200, self.call("PUT", url, {"client_id": cid + "-2"}, as_=self.admin))
        hash_before = self.db_row(app["id"])["client_secret_hash"]
        self.ok(200, self.call("PUT", url, {"client_secret": "y" * 32}, as_=self.admin))
        self.assertNotEqual(self.db_row(app["id"])["client_secret_hash"], hash_before)

    def test_client_id_is_unique_and_validated(self):
        a, b = self.create_app(), self.create_app()
        url = self.app_url(b, "/client-credentials")
        self.refused(409, self.call("PUT", url, {"client_id": a["client_id"]}, as_=self.admin),
                     "client_id")
        self.refused(422, self.call("PUT", url, {"client_id": "no spaces"}, as_=self.admin),
                     "client_id")
        self.refused(422, self.call("PUT", url, {"client_id": "ab"}, as_=self.admin), "client_id")
        self.refused(422, self.call("PUT", url, {"client_secret": "short"}, as_=self.admin),
                     "client_secret")
        self.refused(422, self.call("PUT", url, {"client_secret": "with space " * 4},
                                    as_=self.admin), "client_secret")
        self.refused(422, self.call("PUT", url, {}, as_=self.admin))
        self.refused(400, self.call("PUT", url, {"secret": "x"}, as_=self.admin), "secret")
        # the same id again is no conflict with itself
        self.ok(200, self.call("PUT", url, {"client_id": b["client_id"]}, as_=self.admin))

    def test_only_platform_admins(self):
        app = self.create_app()
        url = self.app_url(app, "/client-credentials")
        body = {"client_id": "mine-%d" % next(_n)}
        self.refused(403, self.call("PUT", url, body, as_=self.pdev))
        self.refused(403, self.call("PUT", url, body, as_=self.padmin))
        self.refused(404, self.call("PUT", url, body, as_=self.qadmin))
        self.refused(401, self.call("PUT", url, body))
        self.assertEqual(self.db_row(app["id"])["client_id"], app["client_id"])


class AppMembersTest(AppsBase):

    def test_owner_manages_members(self):
        app = self.create_app(as_=self.pdev)
        m = self.ok(201, self.add_member(app, self.pdev2, "READ_ONLY"))
        self.assertEqual((m["user_id"], m["email"], m["role"], m["name"]),
                         (self.pdev2.id, self.pdev2.email, "READ_ONLY", "Petra Dev"))
        self.assertRegex(m["created_at"], TIME_RE)
        url = self.app_url(app, "/members/%s" % self.pdev2.id)
        m = self.ok(200, self.call("PATCH", url, {"role": "DEVELOPER"}, as_=self.pdev))
        self.assertEqual(m["role"], "DEVELOPER")
        listed = self.ok(200, self.call("GET", self.app_url(app, "/members"), as_=self.pdev2))
        self.assertEqual(sorted((x["user_id"], x["role"]) for x in listed["items"]),
                         sorted([(self.pdev.id, "OWNER"), (self.pdev2.id, "DEVELOPER")]))
        self.assertEqual(self.call("DELETE", url, as_=self.pdev).status, 204)
        self.refused(404, self.call("GET", self.app_url(app), as_=self.pdev2))
        actions = [e["action"] for e in self.events(object=app["id"])]
        for a in ("app.member.add", "app.member.update", "app.member.remove"):
            self.assertIn(a, actions)

    def test_member_must_be_a_verified_member_of_the_org(self):
        app = self.create_app(as_=self.pdev)
        # another partner's admin, a stranger and an unknown address: one answer
        err = self.refused(422, self.add_member(app, self.qadmin, "DEVELOPER"), "email")
        self.assertIn("organization", err["errors"][0]["message"])
        self.refused(422, self.call("POST", self.app_url(app, "/members"),
                                    {"email": "nobody-%d@example.test" % next(_n),
                                     "role": "OWNER"}, as_=self.pdev), "email")
        self.refused(422, self.call("POST", self.app_url(app, "/members"),
                                    {"email": "not an email", "role": "OWNER"}, as_=self.pdev),
                     "email")
        self.refused(422, self.add_member(app, self.pdev2, "ADMIN"), "role")
        self.refused(422, self.call("POST", self.app_url(app, "/members"),
                                    {"email": self.pdev2.email}, as_=self.pdev), "role")
        self.refused(400, self.call("POST", self.app_url(app, "/members"),
                                    {"email": self.pdev2.email, "role": "OWNER", "x": 1},
                                    as_=self.pdev), "x")
        self.refused(409, self.add_member(app, self.pdev, "DEVELOPER"), "email")

    def test_an_app_never_loses_its_last_owner(self):
        app = self.create_app(as_=self.pdev)
        me = self.app_url(app, "/members/%s" % self.pdev.id)
        self.refused(409, self.call("PATCH", me, {"role": "DEVELOPER"}, as_=self.pdev), "role")
        self.refused(409, self.call("DELETE", me, as_=self.pdev))
        self.refused(409, self.call("DELETE", me, as_=self.padmin))
        self.ok(201, self.add_member(app, self.pdev2, "OWNER"))
        self.ok(200, self.call("PATCH", me, {"role": "READ_ONLY"}, as_=self.pdev))
        other = self.app_url(app, "/members/%s" % self.pdev2.id)
        self.refused(409, self.call("DELETE", other, as_=self.pdev2))
        # a member may leave (here the READ_ONLY one)
        self.assertEqual(self.call("DELETE", me, as_=self.pdev).status, 204)

    def test_members_refusals(self):
        app = self.create_app(as_=self.pdev)
        self.ok(201, self.add_member(app, self.pdev2, "DEVELOPER"))
        members = self.app_url(app, "/members")
        dev = self.app_url(app, "/members/%s" % self.pdev2.id)
        owner = self.app_url(app, "/members/%s" % self.pdev.id)
        self.refused(403, self.add_member(app, self.padmin, "OWNER", as_=self.pdev2))
        self.refused(403, self.call("PATCH", owner, {"role": "READ_ONLY"}, as_=self.pdev2))
        self.refused(403, self.call("DELETE", owner, as_=self.pdev2))
        self.refused(404, self.call("GET", members, as_=self.qadmin))
        self.refused(404, self.call("PATCH", dev, {"role": "OWNER"}, as_=self.qadmin))
        self.refused(401, self.call("GET", members))
        self.refused(404, self.call("PATCH", self.app_url(app, "/members/usr_nope"),
                                    {"role": "OWNER"}, as_=self.pdev))
        self.refused(404, self.call("DELETE", self.app_url(app, "/members/%s" % self.padmin.id),
                                    as_=self.pdev))
        self.refused(422, self.call("PATCH", dev, {"role": "BOSS"}, as_=self.pdev), "role")
        self.refused(403, self.call("PATCH", dev, {"role": "OWNER"}, as_=self.pdev, csrf=False))
        # the org's ADMIN and platform admins manage members without being members
        self.ok(200, self.call("PATCH", dev, {"role": "READ_ONLY"}, as_=self.padmin))
        self.ok(200, self.call("PATCH", dev, {"role": "DEVELOPER"}, as_=self.admin))


class AppIsolationTest(AppsBase):

    def test_another_partner_sees_nothing(self):
        p_app = self.create_app(as_=self.pdev)
        q_app = self.create_app(org_id=self.q["id"], as_=self.qadmin)
        for method, rest, body in [("GET", "", None), ("PATCH", "", {"name": "X"}),
                                   ("DELETE", "", None), ("POST", "/client-secret", {}),
                                   ("PUT", "/client-credentials", {"client_id": "zzz"}),
                                   ("GET", "/members", None),
                                   ("POST", "/members", {"email": self.qadmin.email,
                                                         "role": "OWNER"}),
                                   ("PATCH", "/members/%s" % self.pdev.id, {"role": "OWNER"}),
                                   ("DELETE", "/members/%s" % self.pdev.id, None)]:
            r = self.call(method, self.app_url(p_app, rest), body, as_=self.qadmin)
            self.refused(404, r)
            r = self.call(method, self.app_url(q_app, rest), body, as_=self.pdev)
            self.refused(404, r)
        # unknown and malformed app ids look the same
        self.refused(404, self.call("GET", "/api/v1/apps/app_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                                    as_=self.admin))
        self.refused(404, self.call("GET", "/api/v1/apps/nonsense", as_=self.admin))
        # an org member who is no app member sees no app of a colleague
        self.refused(404, self.call("GET", self.app_url(p_app), as_=self.pdev2))
        q_list = self.ok(200, self.call("GET", "/api/v1/orgs/%s/apps" % self.q["id"],
                                        as_=self.qadmin))
        self.assertEqual([a["id"] for a in q_list["items"]], [q_app["id"]])
        self.assertEqual(self.ok(200, self.call("GET", self.app_url(p_app), as_=self.pdev))
                         ["name"], p_app["name"])
