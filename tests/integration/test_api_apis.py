"""APIs and plans through HTTP (/api/v1/orgs/{org}/apis, /api/v1/apis…):
every route, who may and may not, every refusal, isolation between two
providers, the catalog filtered by partner roles, unique path prefixes and
the audit trail of every change."""

import itertools
import os
import re
import secrets
import sqlite3
import time
import urllib.parse

import api

_n = itertools.count(1)

API_ID_RE = re.compile(r"^api_[a-z2-7]{26}$")
PLAN_ID_RE = re.compile(r"^pln_[a-z2-7]{26}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
B32 = "abcdefghijklmnopqrstuvwxyz234567"


def uniq():
    return "%d-%d" % (os.getpid(), next(_n))


def fake_id(prefix):
    """A well-formed id nobody has (the last character's spare bits are zero)."""
    return prefix + "_" + "".join(secrets.choice(B32) for _ in range(25)) + "a"


class ApisBase(api.ApiTestCase):

    def provider(self):
        """(provider org, its ADMIN, its DEVELOPER)."""
        admin_p = self.new_person("prov-admin", name="Paula Provider")
        dev_p = self.new_person("prov-dev", name="Pete Provider")
        org = self.ok(201, self.call("POST", "/api/v1/orgs",
                                     {"name": "Provider %s" % uniq(), "provider": True},
                                     as_=self.admin))
        for person, role in ((admin_p, "ADMIN"), (dev_p, "DEVELOPER")):
            self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % org["id"],
                                   {"email": person.email, "role": role}, as_=self.admin))
        return org, admin_p, dev_p

    def partner(self, roles=()):
        """(partner org with these roles, its ADMIN)."""
        person = self.new_person("partner", name="Parker Partner")
        org = self.new_partner_org(person)
        if roles:
            self.set_roles(org["id"], roles)
        return org, person

    def set_roles(self, org_id, roles):
        self.ok(200, self.call("PUT", "/api/v1/orgs/%s/roles" % org_id, {"roles": list(roles)},
                               as_=self.admin))

    def api_body(self, **extra):
        u = uniq()
        body = {"name": "Open Lending API %s" % u, "service": "ola",
                "path_prefixes": ["/ola-%s" % u]}
        body.update(extra)
        return body

    def create_api(self, org_id, as_, **extra):
        return self.ok(201, self.call("POST", "/api/v1/orgs/%s/apis" % org_id,
                                      self.api_body(**extra), as_=as_))

    def create_plan(self, api_id, as_, **extra):
        body = {"name": "Gold %s" % uniq()}
        body.update(extra)
        return self.ok(201, self.call("POST", "/api/v1/apis/%s/plans" % api_id, body, as_=as_))

    def catalog(self, as_, **query):
        q = urllib.parse.urlencode(query)
        return self.call("GET", "/api/v1/apis" + ("?" + q if q else ""), as_=as_)

    def catalog_ids(self, as_, **query):
        query.setdefault("per_page", 100)
        body = self.ok(200, self.catalog(as_, **query))
        return {a["id"] for a in body["items"]}

    def events(self, object_id):
        r = self.call("GET", "/api/v1/audit?object=%s" % object_id, as_=self.admin)
        return self.ok(200, r)["items"]

    def event(self, object_id, action):
        """The one audit event of object_id with this action (events of one
        second have no order among themselves)."""
        found = [e for e in self.events(object_id) if e["action"] == action]
        self.assertEqual(len(found), 1, (action, self.events(object_id)))
        return found[0]

    def insert_subscription(self, partner_org_id, api_id, plan_id):
        """An app of the partner subscribed to the API with the plan, written
        straight into the database: the subscription routes are another
        area's, and this file tests what a subscription does to plans."""
        app_id, sub_id = fake_id("app"), fake_id("sub")
        now = int(time.time())
        db = sqlite3.connect(self.server.db, timeout=10)
        try:
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("INSERT INTO apps (id, org_id, name, client_id, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       (app_id, partner_org_id, "App " + uniq(), "client-" + uniq(), now, now))
            db.execute("INSERT INTO subscriptions (id, app_id, api_id, plan_id, status,"
                       " created_at, updated_at) VALUES (?, ?, ?, ?, 'active', ?, ?)",
                       (sub_id, app_id, api_id, plan_id, now, now))
            db.commit()
        finally:
            db.close()
        return sub_id


class ApiCreateTest(ApisBase):

    def test_provider_admin_creates_api_with_every_field(self):
        org, padmin, _ = self.provider()
        u = uniq()
        body = {"name": "Open Lending %s" % u, "description": "Loans\nand more",
                "service": "ola", "audience": "connectapi",
                "path_prefixes": ["/ola-%s/v1" % u, "/ola-%s/v2" % u],
                "auth_method": "access_token", "access_token_hash_method": "sha512",
                "subscription_required": False, "required_roles": ["gold", "silver.2"],
                "customer_number": {"in": "path", "name": "customerId",
                                    "template": "/ola-%s/customers/{customerId}/loans" % u}}
        a = self.ok(201, self.call("POST", "/api/v1/orgs/%s/apis" % org["id"], body, as_=padmin))
        self.assertRegex(a["id"], API_ID_RE)
        self.assertEqual(a["org_id"], org["id"])
        self.assertEqual(a["org_name"], org["name"])
        for k, v in body.items():
            self.assertEqual(a[k], v, k)
        self.assertRegex(a["created_at"], TIME_RE)
        self.assertEqual(a["created_at"], a["updated_at"])
        got = self.ok(200, self.call("GET", "/api/v1/apis/%s" % a["id"], as_=padmin))
        self.assertEqual(got, a)
        ev = self.events(a["id"])
        self.assertEqual([e["action"] for e in ev], ["api.create"])
        self.assertEqual(ev[0]["org_id"], org["id"])
        self.assertEqual(ev[0]["object"], {"type": "api", "id": a["id"]})
        self.assertEqual(ev[0]["actor"]["id"], padmin.id)
        self.assertEqual(ev[0]["changes"]["path_prefixes"], body["path_prefixes"])
        self.assertEqual(ev[0]["changes"]["auth_method"], "access_token")

    def test_defaults(self):
        org, padmin, _ = self.provider()
        a = self.create_api(org["id"], padmin)
        self.assertEqual(a["auth_method"], "manual_handover")
        self.assertEqual(a["access_token_hash_method"], "sha256")
        self.assertIs(a["subscription_required"], True)
        self.assertEqual(a["required_roles"], [])
        self.assertIsNone(a["customer_number"])
        self.assertIsNone(a["audience"])
        self.assertEqual(a["description"], "")

    def test_customer_number_in_query_and_header_default_name(self):
        org, padmin, _ = self.provider()
        a = self.create_api(org["id"], padmin, customer_number={"in": "query"})
        self.assertEqual(a["customer_number"], {"in": "query", "name": "customerId",
                                                "template": None})
        b = self.create_api(org["id"], padmin,
                            customer_number={"in": "header", "name": "X-Customer"})
        self.assertEqual(b["customer_number"], {"in": "header", "name": "X-Customer",
                                                "template": None})

    def test_platform_admin_creates_api(self):
        org, _, _ = self.provider()
        a = self.create_api(org["id"], self.admin)
        self.assertEqual(a["org_id"], org["id"])
        self.assertEqual(self.events(a["id"])[0]["actor"]["kind"], "admin_token")

    def test_who_may_not_create(self):
        org, padmin, pdev = self.provider()
        partner, partner_admin = self.partner()
        outsider = self.new_person("outsider")
        path = "/api/v1/orgs/%s/apis" % org["id"]
        self.refused(401, self.call("POST", path, self.api_body()))
        self.refused(403, self.call("POST", path, self.api_body(), as_=padmin, csrf=False))
        self.refused(403, self.call("POST", path, self.api_body(), as_=pdev))
        self.refused(404, self.call("POST", path, self.api_body(), as_=outsider))
        self.refused(404, self.call("POST", path, self.api_body(), as_=partner_admin))
        self.refused(404, self.call("POST", "/api/v1/orgs/%s/apis" % fake_id("org"),
                                    self.api_body(), as_=self.admin))
        self.refused(404, self.call("POST", "/api/v1/orgs/nonsense/apis", self.api_body(),
                                    as_=self.admin))
        # a partner org is no provider: its ADMIN is refused, a platform admin told why
        ppath = "/api/v1/orgs/%s/apis" % partner["id"]
        e = self.refused(403, self.call("POST", ppath, self.api_body(), as_=partner_admin))
        self.assertIn("not a provider", e["errors"][0]["message"])
        e = self.refused(422, self.call("POST", ppath, self.api_body(), as_=self.admin))
        self.assertIn("not a provider", e["errors"][0]["message"])
        ids = self.catalog_ids(self.admin, org=partner["id"])
        self.assertEqual(ids, set())

    def test_malformed_requests(self):
        org, padmin, _ = self.provider()
        path = "/api/v1/orgs/%s/apis" % org["id"]
        self.refused(415, self.call("POST", path, raw=b'{"name":"x"}', as_=padmin,
                                    headers={"Content-Type": "text/plain"}))
        self.refused(400, self.call("POST", path, raw=b'{"name":', as_=padmin))
        self.refused(400, self.call("POST", path, self.api_body(colour="blue"), as_=padmin),
                     "colour")
        self.refused(400, self.call("POST", path,
                                    self.api_body(customer_number={"in": "query", "x": 1}),
                                    as_=padmin), "customer_number.x")

    def test_validation(self):
        org, padmin, _ = self.provider()
        path = "/api/v1/orgs/%s/apis" % org["id"]
        u = uniq()
        cases = [
            ({"name": None}, "name"),
            ({"name": ""}, "name"),
            ({"name": 7}, "name"),
            ({"service": None}, "service"),
            ({"service": "Has Space"}, "service"),
            ({"audience": "bad audience"}, "audience"),
            ({"path_prefixes": []}, "path_prefixes"),
            ({"path_prefixes": "/x"}, "path_prefixes"),
            ({"path_prefixes": [3]}, "path_prefixes"),
            ({"path_prefixes": ["no-slash"]}, "path_prefixes"),
            ({"path_prefixes": ["/a/../b"]}, "path_prefixes"),
            ({"path_prefixes": ["/q?x=1"]}, "path_prefixes"),
            ({"path_prefixes": ["/d-%s" % u, "/d-%s" % u]}, "path_prefixes"),
            ({"path_prefixes": ["/e-%s" % u, "/e-%s/" % u]}, "path_prefixes"),
            ({"auth_method": "password"}, "auth_method"),
            ({"auth_method": None}, "auth_method"),
            ({"access_token_hash_method": "md5"}, "access_token_hash_method"),
            ({"subscription_required": "yes"}, "subscription_required"),
            ({"required_roles": ["has space"]}, "required_roles"),
            ({"required_roles": ["gold", "gold"]}, "required_roles"),
            ({"customer_number": "query"}, "customer_number"),
            ({"customer_number": {}}, "customer_number.in"),
            ({"customer_number": {"in": "cookie"}}, "customer_number.in"),
            ({"customer_number": {"in": "none"}}, "customer_number.in"),
            ({"customer_number": {"in": "query", "name": "bad name"}}, "customer_number.name"),
            ({"customer_number": {"in": "path"}}, "customer_number.template"),
            ({"customer_number": {"in": "path", "template": "/c/{other}"}},
             "customer_number.template"),
            ({"customer_number": {"in": "path", "template": "/c/x{customerId}"}},
             "customer_number.template"),
            ({"customer_number": {"in": "query", "template": "/c/{customerId}"}},
             "customer_number.template"),
        ]
        for extra, field in cases:
            with self.subTest(extra=extra):
                e = self.refused(422, self.call("POST", path, self.api_body(**extra), as_=padmin),
                                 field)
                self.assertTrue(e["errors"][0]["message"], e)
        self.assertEqual(self.catalog_ids(padmin, org=org["id"]), set())

    def test_path_prefix_taken_by_another_api_is_a_conflict(self):
        org_a, admin_a, _ = self.provider()
        org_b, admin_b, _ = self.provider()
        u = uniq()
        first = self.create_api(org_a["id"], admin_a, path_prefixes=["/shared-%s" % u])
        # the same provider, another provider, with or without a trailing slash
        for org, who, prefix in ((org_a, admin_a, "/shared-%s" % u),
                                 (org_b, admin_b, "/shared-%s/" % u),
                                 (org_b, self.admin, "/shared-%s" % u)):
            body = self.api_body(path_prefixes=["/free-%s" % uniq(), prefix])
            e = self.refused(409, self.call("POST", "/api/v1/orgs/%s/apis" % org["id"], body,
                                            as_=who), "path_prefixes")
            self.assertIn("entry 2", e["errors"][0]["message"])
        # a longer prefix below it is another prefix (the longest one wins)
        self.create_api(org_b["id"], admin_b, path_prefixes=["/shared-%s/v2" % u])
        # after the first API is gone, its prefix is free again
        self.ok(204, self.call("DELETE", "/api/v1/apis/%s" % first["id"], as_=admin_a))
        self.create_api(org_b["id"], admin_b, path_prefixes=["/shared-%s" % u])


class CatalogTest(ApisBase):

    def setUp(self):
        self.org_a, self.admin_a, self.dev_a = self.provider()
        self.org_b, self.admin_b, _ = self.provider()
        self.open_a = self.create_api(self.org_a["id"], self.admin_a)
        self.gold_a = self.create_api(self.org_a["id"], self.admin_a, required_roles=["gold"])
        self.both_a = self.create_api(self.org_a["id"], self.admin_a,
                                      required_roles=["gold", "silver"])
        self.open_b = self.create_api(self.org_b["id"], self.admin_b)
        self.gold_b = self.create_api(self.org_b["id"], self.admin_b, required_roles=["gold"])
        self.mine = {a["id"] for a in (self.open_a, self.gold_a, self.both_a, self.open_b,
                                       self.gold_b)}

    def seen(self, who):
        return self.catalog_ids(who) & self.mine

    def test_partner_sees_what_its_roles_allow(self):
        partner, person = self.partner(roles=["gold"])
        self.assertEqual(self.seen(person),
                         {self.open_a["id"], self.gold_a["id"], self.open_b["id"],
                          self.gold_b["id"]})
        self.set_roles(partner["id"], ["gold", "silver"])
        self.assertEqual(self.seen(person), self.mine)
        self.set_roles(partner["id"], ["silver"])
        self.assertEqual(self.seen(person), {self.open_a["id"], self.open_b["id"]})

    def test_roles_held_by_one_partner_each_do_not_add_up(self):
        person = self.new_person("two-partners")
        p1 = self.new_partner_org(person)
        p2 = self.new_partner_org(person)
        self.set_roles(p1["id"], ["gold"])
        self.set_roles(p2["id"], ["silver"])
        self.assertNotIn(self.both_a["id"], self.seen(person))
        self.assertIn(self.gold_a["id"], self.seen(person))

    def test_person_without_org_sees_only_open_apis(self):
        loner = self.new_person("loner")
        self.assertEqual(self.seen(loner), {self.open_a["id"], self.open_b["id"]})

    def test_provider_members_see_all_their_apis_and_others_open_ones(self):
        expected = {self.open_a["id"], self.gold_a["id"], self.both_a["id"], self.open_b["id"]}
        self.assertEqual(self.seen(self.admin_a), expected)
        self.assertEqual(self.seen(self.dev_a), expected)

    def test_platform_admin_sees_all(self):
        self.assertEqual(self.seen(self.admin), self.mine)

    def test_personal_token_sees_like_its_person(self):
        tok = self.ok(201, self.call("POST", "/api/v1/me/tokens", {"name": "cli"},
                                     as_=self.dev_a))["token"]
        self.assertEqual(self.seen(api.Bearer(tok)), self.seen(self.dev_a))

    def test_anonymous_is_refused(self):
        self.refused(401, self.catalog(None))
        self.refused(401, self.call("GET", "/api/v1/apis/%s" % self.open_a["id"]))

    def test_filters_q_and_org(self):
        ids = self.catalog_ids(self.admin, org=self.org_a["id"])
        self.assertEqual(ids, {self.open_a["id"], self.gold_a["id"], self.both_a["id"]})
        name = self.gold_b["name"]
        self.assertEqual(self.catalog_ids(self.admin, q=name.upper()), {self.gold_b["id"]})
        # the service name matches too
        svc = self.create_api(self.org_b["id"], self.admin_b, service="svc-%s" % uniq())
        self.assertEqual(self.catalog_ids(self.admin, q=svc["service"][2:]), {svc["id"]})
        # filters narrow what the caller sees, never widen it
        loner = self.new_person("loner")
        self.assertEqual(self.catalog_ids(loner, org=self.org_a["id"]), {self.open_a["id"]})
        self.refused(422, self.catalog(self.admin, org="nonsense"), "org")
        self.refused(422, self.catalog(self.admin, q="x" * 201), "q")
        self.refused(400, self.call("GET", "/api/v1/apis?q=a&q=b", as_=self.admin), "q")

    def test_paging(self):
        org = self.org_a["id"]
        first = self.ok(200, self.catalog(self.admin, org=org, per_page=2))
        self.assertEqual((first["page"], first["per_page"], first["total"]), (1, 2, 3))
        self.assertEqual(len(first["items"]), 2)
        r = self.catalog(self.admin, org=org, per_page=2)
        self.assertIn("page=2&per_page=2>; rel=\"next\"", r.header("Link"))
        self.assertIn("org=%s" % org, r.header("Link"))
        second = self.ok(200, self.catalog(self.admin, org=org, per_page=2, page=2))
        self.assertEqual(len(second["items"]), 1)
        self.assertIsNone(self.catalog(self.admin, org=org, per_page=2, page=2).header("Link"))
        # ordered by creation time, then id; every API on exactly one page
        ids = [a["id"] for a in first["items"] + second["items"]]
        mine = sorted((self.open_a, self.gold_a, self.both_a),
                      key=lambda a: (a["created_at"], a["id"]))
        self.assertEqual(ids, [a["id"] for a in mine])
        self.refused(422, self.catalog(self.admin, per_page=101), "per_page")
        self.refused(422, self.catalog(self.admin, page=0), "page")

    def test_get_one_follows_the_catalog(self):
        partner, person = self.partner(roles=["gold"])
        for a in (self.open_a, self.gold_a, self.gold_b):
            got = self.ok(200, self.call("GET", "/api/v1/apis/%s" % a["id"], as_=person))
            self.assertEqual(got["id"], a["id"])
            self.assertEqual(got["org_name"], self.org_a["name"] if a is not self.gold_b
                             else self.org_b["name"])
        self.refused(404, self.call("GET", "/api/v1/apis/%s" % self.both_a["id"], as_=person))
        self.refused(404, self.call("GET", "/api/v1/apis/%s" % self.gold_b["id"],
                                    as_=self.dev_a))
        self.refused(404, self.call("GET", "/api/v1/apis/%s" % fake_id("api"), as_=self.admin))
        self.refused(404, self.call("GET", "/api/v1/apis/nonsense", as_=self.admin))


class ApiChangeTest(ApisBase):

    def setUp(self):
        self.org, self.padmin, self.pdev = self.provider()
        self.a = self.create_api(self.org["id"], self.padmin, required_roles=["gold"],
                                 customer_number={"in": "query"})
        self.path = "/api/v1/apis/%s" % self.a["id"]

    def test_provider_admin_patches_and_the_change_is_audited(self):
        u = uniq()
        body = {"description": "New words", "auth_method": "api_key",
                "path_prefixes": self.a["path_prefixes"] + ["/more-%s" % u],
                "subscription_required": False, "customer_number": None, "audience": "urn:x"}
        got = self.ok(200, self.call("PATCH", self.path, body, as_=self.padmin))
        for k, v in body.items():
            self.assertEqual(got[k], v, k)
        self.assertEqual(got["name"], self.a["name"])
        self.assertEqual(got["required_roles"], ["gold"])
        self.assertEqual(self.ok(200, self.call("GET", self.path, as_=self.padmin)), got)
        ch = self.event(self.a["id"], "api.update")["changes"]
        self.assertEqual(ch["auth_method"], {"old": "manual_handover", "new": "api_key"})
        self.assertEqual(ch["customer_number"]["new"], None)
        self.assertEqual(ch["customer_number"]["old"]["in"], "query")
        self.assertEqual(set(ch), set(body))

    def test_patch_without_change_writes_no_event(self):
        got = self.ok(200, self.call("PATCH", self.path, {"name": self.a["name"]},
                                     as_=self.padmin))
        self.assertEqual(got, self.a)
        self.assertEqual([e["action"] for e in self.events(self.a["id"])], ["api.create"])

    def test_platform_admin_patches(self):
        got = self.ok(200, self.call("PATCH", self.path, {"required_roles": []}, as_=self.admin))
        self.assertEqual(got["required_roles"], [])

    def test_patch_keeps_its_own_prefixes(self):
        got = self.ok(200, self.call("PATCH", self.path,
                                     {"path_prefixes": [self.a["path_prefixes"][0] + "/"]},
                                     as_=self.padmin))
        self.assertEqual(got["path_prefixes"], [self.a["path_prefixes"][0] + "/"])

    def test_patch_refusals(self):
        other = self.create_api(self.org["id"], self.padmin)
        gold, gold_person = self.partner(roles=["gold"])
        _, plain_person = self.partner()
        self.refused(401, self.call("PATCH", self.path, {"description": "x"}))
        self.refused(403, self.call("PATCH", self.path, {"description": "x"}, as_=self.padmin,
                                    csrf=False))
        self.refused(403, self.call("PATCH", self.path, {"description": "x"}, as_=self.pdev))
        self.refused(403, self.call("PATCH", self.path, {"description": "x"}, as_=gold_person))
        self.refused(404, self.call("PATCH", self.path, {"description": "x"}, as_=plain_person))
        self.refused(404, self.call("PATCH", "/api/v1/apis/%s" % fake_id("api"),
                                    {"description": "x"}, as_=self.admin))
        self.refused(415, self.call("PATCH", self.path, raw=b"{}", as_=self.padmin,
                                    headers={"Content-Type": "text/plain"}))
        self.refused(400, self.call("PATCH", self.path, {"id": "x"}, as_=self.padmin), "id")
        self.refused(422, self.call("PATCH", self.path, {"name": None}, as_=self.padmin), "name")
        self.refused(422, self.call("PATCH", self.path, {"service": None}, as_=self.padmin),
                     "service")
        self.refused(422, self.call("PATCH", self.path, {"path_prefixes": []}, as_=self.padmin),
                     "path_prefixes")
        self.refused(409, self.call("PATCH", self.path,
                                    {"path_prefixes": other["path_prefixes"]}, as_=self.padmin),
                     "path_prefixes")
        self.assertEqual(self.ok(200, self.call("GET", self.path, as_=self.padmin)), self.a)

    def test_delete(self):
        gold, gold_person = self.partner(roles=["gold"])
        _, plain_person = self.partner()
        self.refused(401, self.call("DELETE", self.path))
        self.refused(403, self.call("DELETE", self.path, as_=self.padmin, csrf=False))
        self.refused(403, self.call("DELETE", self.path, as_=self.pdev))
        self.refused(403, self.call("DELETE", self.path, as_=gold_person))
        self.refused(404, self.call("DELETE", self.path, as_=plain_person))
        plan = self.create_plan(self.a["id"], self.padmin)
        self.insert_subscription(gold["id"], self.a["id"], plan["id"])
        self.ok(204, self.call("DELETE", self.path, as_=self.padmin))
        self.refused(404, self.call("GET", self.path, as_=self.padmin))
        self.refused(404, self.call("DELETE", self.path, as_=self.padmin))
        ch = self.event(self.a["id"], "api.delete")["changes"]
        self.assertEqual(ch["plans_removed"], 1)
        self.assertEqual(ch["subscriptions_removed"], 1)
        self.assertEqual(ch["name"], self.a["name"])

    def test_platform_admin_deletes(self):
        self.ok(204, self.call("DELETE", self.path, as_=self.admin))
        self.refused(404, self.call("GET", self.path, as_=self.admin))


class ProviderIsolationTest(ApisBase):

    def test_one_provider_cannot_touch_the_others_apis(self):
        org_a, admin_a, dev_a = self.provider()
        org_b, admin_b, _ = self.provider()
        open_b = self.create_api(org_b["id"], admin_b)
        hidden_b = self.create_api(org_b["id"], admin_b, required_roles=["internal"])
        plan_b = self.create_plan(open_b["id"], admin_b)
        hplan_b = self.create_plan(hidden_b["id"], admin_b)
        for who in (admin_a, dev_a):
            # B's org is not theirs
            self.refused(404, self.call("POST", "/api/v1/orgs/%s/apis" % org_b["id"],
                                        self.api_body(), as_=who))
            # the open API is in their catalog: writes are refused
            p = "/api/v1/apis/%s" % open_b["id"]
            self.refused(403, self.call("PATCH", p, {"name": "mine"}, as_=who))
            self.refused(403, self.call("DELETE", p, as_=who))
            self.refused(403, self.call("POST", p + "/plans", {"name": "x"}, as_=who))
            self.refused(403, self.call("PATCH", p + "/plans/%s" % plan_b["id"], {"name": "x"},
                                        as_=who))
            self.refused(403, self.call("DELETE", p + "/plans/%s" % plan_b["id"], as_=who))
            # the role-gated one does not exist for them
            h = "/api/v1/apis/%s" % hidden_b["id"]
            self.refused(404, self.call("GET", h, as_=who))
            self.refused(404, self.call("GET", h + "/plans", as_=who))
            self.refused(404, self.call("PATCH", h, {"name": "mine"}, as_=who))
            self.refused(404, self.call("DELETE", h, as_=who))
            self.refused(404, self.call("POST", h + "/plans", {"name": "x"}, as_=who))
            self.refused(404, self.call("PATCH", h + "/plans/%s" % hplan_b["id"], {"name": "x"},
                                        as_=who))
            self.refused(404, self.call("DELETE", h + "/plans/%s" % hplan_b["id"], as_=who))
        # B's plan is not found under A's API either
        a_api = self.create_api(org_a["id"], admin_a)
        self.refused(404, self.call("PATCH", "/api/v1/apis/%s/plans/%s" % (a_api["id"],
                                                                          plan_b["id"]),
                                    {"name": "x"}, as_=admin_a))
        self.refused(404, self.call("DELETE", "/api/v1/apis/%s/plans/%s" % (a_api["id"],
                                                                           plan_b["id"]),
                                    as_=admin_a))
        got = self.ok(200, self.call("GET", "/api/v1/apis/%s" % open_b["id"], as_=admin_b))
        self.assertEqual(got, open_b)
        plans = self.ok(200, self.call("GET", "/api/v1/apis/%s/plans" % open_b["id"],
                                       as_=admin_b))
        self.assertEqual(plans["items"], [plan_b])


class PlanTest(ApisBase):

    def setUp(self):
        self.org, self.padmin, self.pdev = self.provider()
        self.a = self.create_api(self.org["id"], self.padmin, required_roles=["gold"])
        self.plans = "/api/v1/apis/%s/plans" % self.a["id"]

    def test_create_with_limits_and_defaults(self):
        p = self.create_plan(self.a["id"], self.padmin, description="For big users",
                             rate_limit={"requests": 100, "window_secs": 60},
                             quota={"requests": 100000, "period": "month"}, approval="auto")
        self.assertRegex(p["id"], PLAN_ID_RE)
        self.assertEqual(p["api_id"], self.a["id"])
        self.assertEqual(p["rate_limit"], {"requests": 100, "window_secs": 60})
        self.assertEqual(p["quota"], {"requests": 100000, "period": "month"})
        self.assertEqual(p["approval"], "auto")
        self.assertEqual(p["description"], "For big users")
        self.assertRegex(p["created_at"], TIME_RE)
        d = self.create_plan(self.a["id"], self.admin)
        self.assertIsNone(d["rate_limit"])
        self.assertIsNone(d["quota"])
        self.assertEqual(d["approval"], "provider")
        self.assertEqual(d["description"], "")
        ev = self.events(p["id"])
        self.assertEqual([e["action"] for e in ev], ["plan.create"])
        self.assertEqual(ev[0]["org_id"], self.org["id"])
        self.assertEqual(ev[0]["changes"]["quota"], {"requests": 100000, "period": "month"})

    def test_list_by_whoever_sees_the_api(self):
        p1 = self.create_plan(self.a["id"], self.padmin)
        p2 = self.create_plan(self.a["id"], self.padmin, quota={"requests": 5, "period": "day"})
        _, gold_person = self.partner(roles=["gold"])
        _, plain_person = self.partner()
        both = sorted((p1, p2), key=lambda p: (p["created_at"], p["id"]))
        for who in (self.padmin, self.pdev, gold_person, self.admin):
            body = self.ok(200, self.call("GET", self.plans, as_=who))
            self.assertEqual(body["items"], both)
            self.assertEqual(body["total"], 2)
        page = self.ok(200, self.call("GET", self.plans + "?per_page=1&page=2", as_=gold_person))
        self.assertEqual(page["items"], both[1:])
        self.refused(404, self.call("GET", self.plans, as_=plain_person))
        self.refused(401, self.call("GET", self.plans))
        self.refused(404, self.call("GET", "/api/v1/apis/%s/plans" % fake_id("api"),
                                    as_=self.admin))

    def test_create_refusals(self):
        _, gold_person = self.partner(roles=["gold"])
        _, plain_person = self.partner()
        self.refused(401, self.call("POST", self.plans, {"name": "x"}))
        self.refused(403, self.call("POST", self.plans, {"name": "x"}, as_=self.padmin,
                                    csrf=False))
        self.refused(403, self.call("POST", self.plans, {"name": "x"}, as_=self.pdev))
        self.refused(403, self.call("POST", self.plans, {"name": "x"}, as_=gold_person))
        self.refused(404, self.call("POST", self.plans, {"name": "x"}, as_=plain_person))
        self.refused(415, self.call("POST", self.plans, raw=b'{"name":"x"}', as_=self.padmin,
                                    headers={"Content-Type": "text/plain"}))
        self.refused(400, self.call("POST", self.plans, raw=b"[", as_=self.padmin))
        self.refused(400, self.call("POST", self.plans, {"name": "x", "price": 1},
                                    as_=self.padmin), "price")
        self.refused(400, self.call("POST", self.plans,
                                    {"name": "x", "rate_limit": {"requests": 1, "window_secs": 1,
                                                                 "burst": 2}},
                                    as_=self.padmin), "rate_limit.burst")
        cases = [
            ({}, "name"),
            ({"name": " "}, "name"),
            ({"name": "x", "description": 5}, "description"),
            ({"name": "x", "rate_limit": 10}, "rate_limit"),
            ({"name": "x", "rate_limit": {"requests": 10}}, "rate_limit.window_secs"),
            ({"name": "x", "rate_limit": {"window_secs": 10}}, "rate_limit.requests"),
            ({"name": "x", "rate_limit": {"requests": 0, "window_secs": 10}},
             "rate_limit.requests"),
            ({"name": "x", "rate_limit": {"requests": 1.5, "window_secs": 10}},
             "rate_limit.requests"),
            ({"name": "x", "rate_limit": {"requests": 10, "window_secs": 86401}},
             "rate_limit.window_secs"),
            ({"name": "x", "rate_limit": {"requests": 10, "window_secs": 0}},
             "rate_limit.window_secs"),
            ({"name": "x", "quota": {"requests": 10}}, "quota.period"),
            ({"name": "x", "quota": {"requests": 10, "period": "week"}}, "quota.period"),
            ({"name": "x", "quota": {"requests": 10, "period": "none"}}, "quota.period"),
            ({"name": "x", "quota": {"requests": -1, "period": "day"}}, "quota.requests"),
            ({"name": "x", "approval": "manual"}, "approval"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.refused(422, self.call("POST", self.plans, body, as_=self.padmin), field)
        self.assertEqual(self.ok(200, self.call("GET", self.plans, as_=self.padmin))["total"], 0)

    def test_patch(self):
        p = self.create_plan(self.a["id"], self.padmin,
                             rate_limit={"requests": 10, "window_secs": 1})
        path = "%s/%s" % (self.plans, p["id"])
        got = self.ok(200, self.call("PATCH", path,
                                     {"rate_limit": None, "quota": {"requests": 9,
                                                                    "period": "day"},
                                      "approval": "auto"}, as_=self.padmin))
        self.assertIsNone(got["rate_limit"])
        self.assertEqual(got["quota"], {"requests": 9, "period": "day"})
        self.assertEqual(got["approval"], "auto")
        self.assertEqual(got["name"], p["name"])
        listed = self.ok(200, self.call("GET", self.plans, as_=self.padmin))["items"]
        self.assertEqual(listed, [got])
        ch = self.event(p["id"], "plan.update")["changes"]
        self.assertEqual(ch["rate_limit"], {"old": {"requests": 10, "window_secs": 1}, "new": None})
        self.assertEqual(set(ch), {"rate_limit", "quota", "approval"})
        got = self.ok(200, self.call("PATCH", path, {"name": "Renamed"}, as_=self.admin))
        self.assertEqual(got["name"], "Renamed")

    def test_patch_refusals(self):
        p = self.create_plan(self.a["id"], self.padmin)
        path = "%s/%s" % (self.plans, p["id"])
        _, gold_person = self.partner(roles=["gold"])
        _, plain_person = self.partner()
        self.refused(401, self.call("PATCH", path, {"name": "y"}))
        self.refused(403, self.call("PATCH", path, {"name": "y"}, as_=self.pdev))
        self.refused(403, self.call("PATCH", path, {"name": "y"}, as_=gold_person))
        self.refused(404, self.call("PATCH", path, {"name": "y"}, as_=plain_person))
        self.refused(404, self.call("PATCH", "%s/%s" % (self.plans, fake_id("pln")),
                                    {"name": "y"}, as_=self.padmin))
        self.refused(404, self.call("PATCH", "%s/nonsense" % self.plans, {"name": "y"},
                                    as_=self.padmin))
        self.refused(422, self.call("PATCH", path, {"name": None}, as_=self.padmin), "name")
        self.refused(422, self.call("PATCH", path, {"quota": {"requests": 1, "period": "year"}},
                                    as_=self.padmin), "quota.period")
        self.refused(400, self.call("PATCH", path, {"api_id": "x"}, as_=self.padmin), "api_id")
        self.assertEqual(self.ok(200, self.call("GET", self.plans, as_=self.padmin))["items"], [p])

    def test_delete_and_plan_in_use(self):
        free = self.create_plan(self.a["id"], self.padmin)
        used = self.create_plan(self.a["id"], self.padmin)
        gold, gold_person = self.partner(roles=["gold"])
        _, plain_person = self.partner()
        fp = "%s/%s" % (self.plans, free["id"])
        self.refused(401, self.call("DELETE", fp))
        self.refused(403, self.call("DELETE", fp, as_=self.padmin, csrf=False))
        self.refused(403, self.call("DELETE", fp, as_=self.pdev))
        self.refused(403, self.call("DELETE", fp, as_=gold_person))
        self.refused(404, self.call("DELETE", fp, as_=plain_person))
        self.ok(204, self.call("DELETE", fp, as_=self.padmin))
        self.refused(404, self.call("DELETE", fp, as_=self.padmin))
        self.assertEqual(self.event(free["id"], "plan.delete")["changes"]["name"], free["name"])

        self.insert_subscription(gold["id"], self.a["id"], used["id"])
        up = "%s/%s" % (self.plans, used["id"])
        e = self.refused(409, self.call("DELETE", up, as_=self.padmin))
        self.assertIn("1 subscription", e["errors"][0]["message"])
        self.refused(409, self.call("DELETE", up, as_=self.admin))
        self.assertEqual(self.ok(200, self.call("GET", self.plans, as_=self.padmin))["items"],
                         [used])
