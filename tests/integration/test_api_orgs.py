"""Organizations, members and the audit log through HTTP (/api/v1/orgs…,
/api/v1/audit): every route, who may and may not, every refusal, isolation
between orgs, and the new developer's flow from registration to membership."""

import itertools
import os
import re
import time
import urllib.parse

import api

_n = itertools.count(1)

ID_RE = re.compile(r"^org_[a-z2-7]{26}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def tenant():
    return "t-%d-%d" % (os.getpid(), next(_n))


class OrgsBase(api.ApiTestCase):

    def partner_body(self, **extra):
        body = {"name": "Partner %d" % next(_n), "partner": True, "tenant": tenant()}
        body.update(extra)
        return body

    def create(self, body, as_=None, status=201):
        r = self.call("POST", "/api/v1/orgs", body, as_=as_ or self.admin)
        if status == 201:
            return self.ok(201, r)
        return r

    def add(self, org_id, email_addr, role="DEVELOPER", as_=None):
        return self.call("POST", "/api/v1/orgs/%s/members" % org_id,
                         {"email": email_addr, "role": role}, as_=as_ or self.admin)

    def org_with_admin_and_dev(self):
        """(org, its ADMIN, its DEVELOPER)."""
        owner = self.new_person("owner", name="Olga Owner")
        dev = self.new_person("dev", name="Dirk Dev")
        org = self.new_partner_org(owner)
        self.ok(201, self.add(org["id"], dev.email, "DEVELOPER", as_=owner))
        return org, owner, dev

    def audit(self, as_=None, **query):
        q = urllib.parse.urlencode(query)
        return self.call("GET", "/api/v1/audit" + ("?" + q if q else ""), as_=as_ or self.admin)

    def events(self, **query):
        return self.ok(200, self.audit(**query))["items"]


class OrgCreateTest(OrgsBase):

    def test_person_creates_partner_org_and_becomes_its_admin(self):
        alice = self.new_person("alice", name="Alice Partner")
        t = tenant()
        body = {"name": "Acme Partner", "description": "We build apps", "partner": True,
                "tenant": t, "contact": {"address": "1 Main St\nTown", "phone": "+45 1234 5678",
                                         "email": "Office@Acme.example"},
                "responsible_email": "Boss@Acme.example"}
        org = self.create(body, as_=alice)
        self.assertRegex(org["id"], ID_RE)
        self.assertEqual(org["name"], "Acme Partner")
        self.assertEqual(org["description"], "We build apps")
        self.assertIs(org["partner"], True)
        self.assertIs(org["provider"], False)
        self.assertEqual(org["tenant"], t)
        self.assertEqual(org["contact"], {"address": "1 Main St\nTown", "phone": "+45 1234 5678",
                                          "email": "office@acme.example"})
        self.assertEqual(org["responsible_email"], "boss@acme.example")
        self.assertEqual(org["customer_numbers"], [])
        self.assertEqual(org["roles"], [])
        self.assertRegex(org["created_at"], TIME_RE)
        self.assertRegex(org["updated_at"], TIME_RE)
        members = self.ok(200, self.call("GET", "/api/v1/orgs/%s/members" % org["id"], as_=alice))
        self.assertEqual([(m["user_id"], m["role"], m["email"], m["name"]) for m in members["items"]],
                         [(alice.id, "ADMIN", alice.email, "Alice Partner")])
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=alice))
        self.assertIn({"id": org["id"], "name": "Acme Partner", "provider": False, "partner": True,
                       "role": "ADMIN"}, me["orgs"])
        actions = [(e["action"], e["object"]["id"]) for e in self.events(org=org["id"])]
        self.assertIn(("org.create", org["id"]), actions)
        self.assertIn(("org.member.add", alice.id), actions)
        created = [e for e in self.events(org=org["id"]) if e["action"] == "org.create"][0]
        self.assertEqual(created["actor"], {"id": alice.id, "kind": "user"})
        self.assertEqual(created["changes"]["tenant"], t)

    def test_person_may_not_create_provider_or_non_partner_orgs(self):
        bob = self.new_person("bob")
        self.refused(403, self.create(self.partner_body(provider=True), as_=bob, status=403),
                     "provider")
        self.refused(403, self.create({"name": "Plain", "partner": False}, as_=bob, status=403),
                     "partner")
        self.refused(403, self.create({"name": "Plain"}, as_=bob, status=403), "partner")
        orgs = self.ok(200, self.call("GET", "/api/v1/orgs", as_=bob))
        self.assertEqual(orgs["total"], 0)

    def test_personal_token_creates_partner_org(self):
        carl = self.new_person("carl")
        tok = self.ok(201, self.call("POST", "/api/v1/me/tokens", {"name": "ci"}, as_=carl))
        org = self.create(self.partner_body(), as_=api.Bearer(tok["token"]))
        members = self.ok(200, self.call("GET", "/api/v1/orgs/%s/members" % org["id"], as_=carl))
        self.assertEqual([m["user_id"] for m in members["items"]], [carl.id])

    def test_admin_creates_provider_org_without_members(self):
        org = self.create({"name": "API Provider", "provider": True})
        self.assertIs(org["provider"], True)
        self.assertIs(org["partner"], False)
        self.assertIsNone(org["tenant"])
        self.assertEqual(org["contact"], {"address": None, "phone": None, "email": None})
        self.assertIsNone(org["responsible_email"])
        members = self.ok(200, self.call("GET", "/api/v1/orgs/%s/members" % org["id"], as_=self.admin))
        self.assertEqual(members["items"], [])
        both = self.create({"name": "Both", "provider": True, "partner": True, "tenant": tenant()})
        self.assertTrue(both["provider"] and both["partner"])

    def test_tenant_rules(self):
        self.refused(422, self.create({"name": "P", "partner": True}, status=422), "tenant")
        self.refused(422, self.create({"name": "P", "provider": True, "tenant": tenant()}, status=422),
                     "tenant")
        self.refused(422, self.create(self.partner_body(tenant="Bad_Tenant"), status=422), "tenant")
        self.refused(422, self.create(self.partner_body(tenant="-x"), status=422), "tenant")
        self.refused(422, self.create({"name": "Neither"}, status=422))
        t = tenant()
        self.create(self.partner_body(tenant=t))
        err = self.refused(409, self.create(self.partner_body(tenant=t), status=409), "tenant")
        self.assertIn("tenant", err["errors"][0]["message"])

    def test_field_validation(self):
        self.refused(422, self.create({"partner": True, "tenant": tenant()}, status=422), "name")
        self.refused(422, self.create(self.partner_body(name=""), status=422), "name")
        self.refused(422, self.create(self.partner_body(name="x" * 201), status=422), "name")
        self.refused(422, self.create(self.partner_body(name=5), status=422), "name")
        self.refused(422, self.create(self.partner_body(description="d" * 2001), status=422),
                     "description")
        self.refused(422, self.create(self.partner_body(partner="yes"), status=422), "partner")
        self.refused(422, self.create(self.partner_body(contact={"phone": "abc"}), status=422),
                     "contact.phone")
        self.refused(422, self.create(self.partner_body(contact={"email": "nope"}), status=422),
                     "contact.email")
        self.refused(422, self.create(self.partner_body(contact="street"), status=422), "contact")
        self.refused(422, self.create(self.partner_body(responsible_email="a@b"), status=422),
                     "responsible_email")
        org = self.create(self.partner_body(name="  Trimmed Name  "))
        self.assertEqual(org["name"], "Trimmed Name")

    def test_unknown_fields_malformed_json_and_content_type(self):
        err = self.refused(400, self.create(self.partner_body(owner="me"), status=400), "owner")
        self.assertIn("unknown field 'owner'", err["errors"][0]["message"])
        self.refused(400, self.create(self.partner_body(contact={"fax": "1"}), status=400),
                     "contact.fax")
        self.refused(400, self.call("POST", "/api/v1/orgs", raw=b'{"name": ', as_=self.admin))
        self.refused(415, self.call("POST", "/api/v1/orgs", raw=b'{"name":"x"}', as_=self.admin,
                                    headers={"Content-Type": "text/plain"}))

    def test_authentication_and_csrf(self):
        r = self.call("POST", "/api/v1/orgs", self.partner_body())
        self.refused(401, r)
        self.assertTrue(r.header("WWW-Authenticate"))
        dana = self.new_person("dana")
        self.refused(403, self.call("POST", "/api/v1/orgs", self.partner_body(), as_=dana, csrf=False))
        self.refused(401, self.call("POST", "/api/v1/orgs", self.partner_body(),
                                    as_=api.Bearer("ghadm_" + "A" * 43)))
        self.assertEqual(self.ok(200, self.call("GET", "/api/v1/orgs", as_=dana))["total"], 0)


class OrgListTest(OrgsBase):

    def test_admin_sees_all_people_see_their_own(self):
        owner = self.new_person("lister")
        mine = self.new_partner_org(owner)
        other = self.create({"name": "Someone Else", "provider": True})
        all_ids = [o["id"] for o in self.ok(200, self.call(
            "GET", "/api/v1/orgs?per_page=100", as_=self.admin))["items"]]
        self.assertIn(mine["id"], all_ids)
        self.assertIn(other["id"], all_ids)
        theirs = self.ok(200, self.call("GET", "/api/v1/orgs", as_=owner))
        self.assertEqual([o["id"] for o in theirs["items"]], [mine["id"]])
        self.assertEqual(theirs["total"], 1)
        self.refused(401, self.call("GET", "/api/v1/orgs"))

    def test_filters_then_pages(self):
        stem = "Filt%d" % next(_n)
        made = []
        for i in range(5):
            made.append(self.create(self.partner_body(name="%s partner %d" % (stem, i)))["id"])
        prov = self.create({"name": "%s provider" % stem, "provider": True})["id"]
        q = urllib.parse.quote(stem.lower())
        body = self.ok(200, self.call("GET", "/api/v1/orgs?q=%s" % q, as_=self.admin))
        self.assertEqual(body["total"], 6)
        full = self.ok(200, self.call("GET", "/api/v1/orgs?q=%s&partner=true" % q, as_=self.admin))
        order = [o["id"] for o in full["items"]]
        self.assertEqual(sorted(order), sorted(made))
        r = self.call("GET", "/api/v1/orgs?q=%s&partner=true&per_page=2&page=2" % q, as_=self.admin)
        body = self.ok(200, r)
        self.assertEqual(body["total"], 5)
        self.assertEqual((body["page"], body["per_page"]), (2, 2))
        self.assertEqual([o["id"] for o in body["items"]], order[2:4])
        link = r.header("Link")
        self.assertIn("page=3&per_page=2", link)
        self.assertIn('rel="next"', link)
        self.assertIn("q=%s" % q, link)
        last = self.call("GET", "/api/v1/orgs?q=%s&partner=true&per_page=2&page=3" % q, as_=self.admin)
        self.assertEqual([o["id"] for o in self.ok(200, last)["items"]], order[4:])
        self.assertIsNone(last.header("Link"))
        body = self.ok(200, self.call("GET", "/api/v1/orgs?q=%s&provider=true&partner=false" % q,
                                      as_=self.admin))
        self.assertEqual([o["id"] for o in body["items"]], [prov])
        body = self.ok(200, self.call("GET", "/api/v1/orgs?q=no-such-%s" % q, as_=self.admin))
        self.assertEqual((body["items"], body["total"]), ([], 0))

    def test_bad_query(self):
        self.refused(422, self.call("GET", "/api/v1/orgs?partner=yes", as_=self.admin), "partner")
        self.refused(422, self.call("GET", "/api/v1/orgs?provider=1", as_=self.admin), "provider")
        self.refused(422, self.call("GET", "/api/v1/orgs?per_page=101", as_=self.admin), "per_page")
        self.refused(422, self.call("GET", "/api/v1/orgs?page=0", as_=self.admin), "page")
        self.refused(422, self.call("GET", "/api/v1/orgs?q=" + "x" * 201, as_=self.admin), "q")
        self.refused(400, self.call("GET", "/api/v1/orgs?q=a&q=b", as_=self.admin), "q")


class OrgReadChangeDeleteTest(OrgsBase):

    def test_get_by_members_and_admins_only(self):
        org, owner, dev = self.org_with_admin_and_dev()
        path = "/api/v1/orgs/%s" % org["id"]
        for who in (owner, dev, self.admin):
            self.assertEqual(self.ok(200, self.call("GET", path, as_=who))["id"], org["id"])
        outsider = self.new_person("outsider")
        err = self.refused(404, self.call("GET", path, as_=outsider))
        missing = self.refused(404, self.call("GET", "/api/v1/orgs/org_" + "a" * 26, as_=outsider))
        self.assertEqual(err["errors"][0]["message"], missing["errors"][0]["message"])
        self.refused(404, self.call("GET", "/api/v1/orgs/org_" + "a" * 26, as_=self.admin))
        self.refused(404, self.call("GET", "/api/v1/orgs/not-an-id", as_=self.admin))
        self.refused(401, self.call("GET", path))

    def test_admin_of_org_changes_allowed_fields_and_audit_records_them(self):
        org, owner, _ = self.org_with_admin_and_dev()
        path = "/api/v1/orgs/%s" % org["id"]
        changed = self.ok(200, self.call("PATCH", path, {
            "name": "Renamed", "description": "New text",
            "contact": {"phone": "+1 555 0100", "email": "Desk@Example.test"},
            "responsible_email": "Chief@Example.test"}, as_=owner))
        self.assertEqual(changed["name"], "Renamed")
        self.assertEqual(changed["description"], "New text")
        self.assertEqual(changed["contact"], {"address": None, "phone": "+1 555 0100",
                                              "email": "desk@example.test"})
        self.assertEqual(changed["responsible_email"], "chief@example.test")
        self.assertEqual(changed["tenant"], org["tenant"])
        self.assertEqual(self.ok(200, self.call("GET", path, as_=owner)), changed)
        ev = [e for e in self.events(object=org["id"]) if e["action"] == "org.update"]
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["changes"]["name"], {"old": org["name"], "new": "Renamed"})
        self.assertEqual(ev[0]["changes"]["contact.phone"], {"old": None, "new": "+1 555 0100"})
        self.assertEqual(ev[0]["org_id"], org["id"])
        self.assertNotIn("tenant", ev[0]["changes"])
        # null clears; an unchanged body writes no event
        cleared = self.ok(200, self.call("PATCH", path, {"contact": None, "description": None},
                                         as_=owner))
        self.assertEqual(cleared["contact"], {"address": None, "phone": None, "email": None})
        self.assertEqual(cleared["description"], "")
        before = len(self.events(object=org["id"]))
        self.ok(200, self.call("PATCH", path, {"name": "Renamed"}, as_=owner))
        self.assertEqual(len(self.events(object=org["id"])), before)

    def test_admin_of_org_may_not_change_platform_fields(self):
        org, owner, dev = self.org_with_admin_and_dev()
        path = "/api/v1/orgs/%s" % org["id"]
        for field, value in (("provider", True), ("partner", False), ("tenant", tenant())):
            err = self.refused(403, self.call("PATCH", path, {field: value}, as_=owner), field)
            self.assertIn(field, err["errors"][0]["message"])
        self.refused(403, self.call("PATCH", path, {"name": "Dev rename"}, as_=dev))
        self.refused(404, self.call("PATCH", path, {"name": "x"}, as_=self.new_person("stranger")))
        self.refused(403, self.call("PATCH", path, {"name": "x"}, as_=owner, csrf=False))
        self.assertEqual(self.ok(200, self.call("GET", path, as_=owner))["name"], org["name"])

    def test_platform_admin_changes_everything(self):
        org, _, _ = self.org_with_admin_and_dev()
        path = "/api/v1/orgs/%s" % org["id"]
        t = tenant()
        body = self.ok(200, self.call("PATCH", path, {"tenant": t, "provider": True}, as_=self.admin))
        self.assertEqual((body["tenant"], body["provider"]), (t, True))
        taken = self.create(self.partner_body())["tenant"]
        self.refused(409, self.call("PATCH", path, {"tenant": taken}, as_=self.admin), "tenant")
        self.refused(422, self.call("PATCH", path, {"partner": False}, as_=self.admin), "tenant")
        body = self.ok(200, self.call("PATCH", path, {"partner": False, "tenant": None},
                                      as_=self.admin))
        self.assertEqual((body["partner"], body["tenant"]), (False, None))
        self.refused(422, self.call("PATCH", path, {"provider": False}, as_=self.admin))
        self.refused(422, self.call("PATCH", path, {"name": None}, as_=self.admin), "name")
        self.refused(422, self.call("PATCH", path, {"provider": None}, as_=self.admin), "provider")
        self.refused(400, self.call("PATCH", path, {"roles": ["x"]}, as_=self.admin), "roles")
        self.refused(415, self.call("PATCH", path, raw=b"{}", as_=self.admin,
                                    headers={"Content-Type": "application/xml"}))

    def test_delete_is_for_platform_admins_and_cascades(self):
        org, owner, dev = self.org_with_admin_and_dev()
        path = "/api/v1/orgs/%s" % org["id"]
        self.refused(403, self.call("DELETE", path, as_=owner))
        self.refused(403, self.call("DELETE", path, as_=dev))
        self.refused(404, self.call("DELETE", path, as_=self.new_person("nobody")))
        self.refused(401, self.call("DELETE", path))
        r = self.call("DELETE", path, as_=self.admin)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.refused(404, self.call("GET", path, as_=self.admin))
        self.refused(404, self.call("DELETE", path, as_=self.admin))
        self.assertEqual(self.ok(200, self.call("GET", "/api/v1/me", as_=owner))["orgs"], [])
        self.assertEqual(self.ok(200, self.call("GET", "/api/v1/orgs", as_=dev))["total"], 0)
        # the tenant key is free again; the audit trail outlives the org
        self.create(self.partner_body(tenant=org["tenant"]))
        self.assertIn("org.delete", [e["action"] for e in self.events(object=org["id"])])


class PartnerListsTest(OrgsBase):

    def test_customer_numbers_and_roles(self):
        org, owner, _ = self.org_with_admin_and_dev()
        base = "/api/v1/orgs/%s" % org["id"]
        body = self.ok(200, self.call("PUT", base + "/customer-numbers",
                                      {"customer_numbers": ["12345", "A-77"]}, as_=self.admin))
        self.assertEqual(body["customer_numbers"], ["12345", "A-77"])
        body = self.ok(200, self.call("PUT", base + "/roles", {"roles": ["gold", "psd2.aisp"]},
                                      as_=self.admin))
        self.assertEqual(body["roles"], ["gold", "psd2.aisp"])
        self.assertEqual(body["customer_numbers"], ["12345", "A-77"])
        body = self.ok(200, self.call("PUT", base + "/customer-numbers", {"customer_numbers": ["9"]},
                                      as_=self.admin))
        self.assertEqual(body["customer_numbers"], ["9"])
        got = self.ok(200, self.call("GET", base, as_=owner))
        self.assertEqual((got["customer_numbers"], got["roles"]), (["9"], ["gold", "psd2.aisp"]))
        ev = [e["changes"]["customer_numbers"] for e in self.events(object=org["id"])
              if e["action"] == "org.customer_numbers.set"]
        self.assertIn({"old": [], "new": ["12345", "A-77"]}, ev)
        self.assertIn({"old": ["12345", "A-77"], "new": ["9"]}, ev)
        ev = [e for e in self.events(object=org["id"]) if e["action"] == "org.roles.set"]
        self.assertEqual(ev[0]["changes"]["roles"], {"old": [], "new": ["gold", "psd2.aisp"]})
        body = self.ok(200, self.call("PUT", base + "/roles", {"roles": []}, as_=self.admin))
        self.assertEqual(body["roles"], [])

    def test_refusals(self):
        org, owner, dev = self.org_with_admin_and_dev()
        cn = "/api/v1/orgs/%s/customer-numbers" % org["id"]
        roles = "/api/v1/orgs/%s/roles" % org["id"]
        self.refused(403, self.call("PUT", cn, {"customer_numbers": ["1"]}, as_=owner))
        self.refused(403, self.call("PUT", roles, {"roles": ["a"]}, as_=dev))
        self.refused(404, self.call("PUT", roles, {"roles": ["a"]}, as_=self.new_person("x")))
        self.refused(401, self.call("PUT", roles, {"roles": ["a"]}))
        err = self.refused(422, self.call("PUT", cn, {"customer_numbers": ["1", "2", "1"]},
                                          as_=self.admin), "customer_numbers")
        self.assertIn("entry 3", err["errors"][0]["message"])
        self.refused(422, self.call("PUT", cn, {"customer_numbers": ["has space"]}, as_=self.admin),
                     "customer_numbers")
        self.refused(422, self.call("PUT", cn, {"customer_numbers": ["a,b"]}, as_=self.admin),
                     "customer_numbers")
        self.refused(422, self.call("PUT", cn, {"customer_numbers": "1"}, as_=self.admin),
                     "customer_numbers")
        self.refused(422, self.call("PUT", cn, {"customer_numbers": [1]}, as_=self.admin),
                     "customer_numbers")
        self.refused(422, self.call("PUT", cn, {}, as_=self.admin), "customer_numbers")
        self.refused(400, self.call("PUT", cn, {"customer_numbers": [], "x": 1}, as_=self.admin), "x")
        self.refused(422, self.call("PUT", roles, {"roles": ["-bad"]}, as_=self.admin), "roles")
        self.refused(422, self.call("PUT", roles, {"roles": ["r%d" % i for i in range(101)]},
                                    as_=self.admin), "roles")
        self.ok(200, self.call("PUT", roles, {"roles": ["r%d" % i for i in range(100)]},
                               as_=self.admin))
        provider = self.create({"name": "Prov", "provider": True})
        self.refused(422, self.call("PUT", "/api/v1/orgs/%s/roles" % provider["id"],
                                    {"roles": ["a"]}, as_=self.admin), "roles")
        self.refused(422, self.call("PUT", "/api/v1/orgs/%s/customer-numbers" % provider["id"],
                                    {"customer_numbers": ["1"]}, as_=self.admin), "customer_numbers")


class MembersTest(OrgsBase):

    def test_list_members(self):
        org, owner, dev = self.org_with_admin_and_dev()
        path = "/api/v1/orgs/%s/members" % org["id"]
        for who in (owner, dev, self.admin):
            body = self.ok(200, self.call("GET", path, as_=who))
            self.assertEqual(body["total"], 2)
            self.assertEqual(sorted((m["email"], m["role"]) for m in body["items"]),
                             sorted([(owner.email, "ADMIN"), (dev.email, "DEVELOPER")]))
            for m in body["items"]:
                self.assertRegex(m["created_at"], TIME_RE)
        r = self.call("GET", path + "?per_page=1", as_=owner)
        body = self.ok(200, r)
        self.assertEqual((len(body["items"]), body["total"]), (1, 2))
        self.assertIn("page=2&per_page=1", r.header("Link"))
        second = self.ok(200, self.call("GET", path + "?per_page=1&page=2", as_=owner))
        self.assertNotEqual(second["items"][0]["user_id"], body["items"][0]["user_id"])
        self.refused(404, self.call("GET", path, as_=self.new_person("peek")))
        self.refused(401, self.call("GET", path))
        self.refused(422, self.call("GET", path + "?per_page=0", as_=owner), "per_page")

    def test_add_member(self):
        org, owner, dev = self.org_with_admin_and_dev()
        newbie = self.new_person("newbie", name="Nina New")
        r = self.add(org["id"], newbie.email.upper(), "DEVELOPER", as_=owner)
        m = self.ok(201, r)
        self.assertEqual((m["user_id"], m["email"], m["name"], m["role"]),
                         (newbie.id, newbie.email, "Nina New", "DEVELOPER"))
        self.assertRegex(m["created_at"], TIME_RE)
        self.refused(409, self.add(org["id"], newbie.email, "ADMIN", as_=owner), "email")
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=newbie))
        self.assertEqual([(o["id"], o["role"]) for o in me["orgs"]], [(org["id"], "DEVELOPER")])
        ev = [e for e in self.events(org=org["id"]) if e["action"] == "org.member.add"
              and e["object"]["id"] == newbie.id]
        self.assertEqual(ev[0]["changes"], {"email": newbie.email, "role": "DEVELOPER"})
        self.assertEqual(ev[0]["actor"]["id"], owner.id)
        # the platform admin may add too
        other = self.new_person("other")
        self.assertEqual(self.ok(201, self.add(org["id"], other.email, "ADMIN"))["role"], "ADMIN")

    def test_add_member_refusals(self):
        org, owner, dev = self.org_with_admin_and_dev()
        msg = "no registered person with a verified email has this address"
        err = self.refused(422, self.add(org["id"], "nobody-%d@example.test" % next(_n), as_=owner),
                           "email")
        self.assertEqual(err["errors"][0]["message"], msg)
        unverified = self.register(self.unique_email("unverified"))
        err = self.refused(422, self.add(org["id"], unverified, as_=owner), "email")
        self.assertEqual(err["errors"][0]["message"], msg)
        someone = self.new_person("someone")
        self.refused(403, self.add(org["id"], someone.email, as_=dev))
        self.refused(404, self.add(org["id"], someone.email, as_=someone))
        self.refused(401, self.call("POST", "/api/v1/orgs/%s/members" % org["id"],
                                    {"email": someone.email, "role": "DEVELOPER"}))
        self.refused(422, self.add(org["id"], someone.email, "OWNER", as_=owner), "role")
        self.refused(422, self.call("POST", "/api/v1/orgs/%s/members" % org["id"],
                                    {"email": someone.email}, as_=owner), "role")
        self.refused(422, self.add(org["id"], "not-an-email", as_=owner), "email")
        self.refused(400, self.call("POST", "/api/v1/orgs/%s/members" % org["id"],
                                    {"email": someone.email, "role": "ADMIN", "x": 1}, as_=owner), "x")
        self.refused(403, self.call("POST", "/api/v1/orgs/%s/members" % org["id"],
                                    {"email": someone.email, "role": "ADMIN"}, as_=owner, csrf=False))
        self.assertEqual(self.ok(200, self.call("GET", "/api/v1/me", as_=someone))["orgs"], [])

    def test_change_role_and_last_admin_rule(self):
        org, owner, dev = self.org_with_admin_and_dev()
        base = "/api/v1/orgs/%s/members/" % org["id"]
        err = self.refused(409, self.call("PATCH", base + owner.id, {"role": "DEVELOPER"}, as_=owner))
        self.assertIn("an organization must keep at least one ADMIN", err["errors"][0]["message"])
        self.refused(403, self.call("PATCH", base + owner.id, {"role": "DEVELOPER"}, as_=dev))
        self.refused(403, self.call("PATCH", base + dev.id, {"role": "ADMIN"}, as_=dev))
        m = self.ok(200, self.call("PATCH", base + dev.id, {"role": "ADMIN"}, as_=owner))
        self.assertEqual((m["user_id"], m["role"]), (dev.id, "ADMIN"))
        ev = [e for e in self.events(object=dev.id) if e["action"] == "org.member.update"]
        self.assertEqual(ev[0]["changes"], {"role": {"old": "DEVELOPER", "new": "ADMIN"}})
        # two ADMINs now: one may step down
        m = self.ok(200, self.call("PATCH", base + owner.id, {"role": "DEVELOPER"}, as_=owner))
        self.assertEqual(m["role"], "DEVELOPER")
        self.refused(403, self.call("PATCH", base + dev.id, {"role": "DEVELOPER"}, as_=owner))
        self.refused(409, self.call("PATCH", base + dev.id, {"role": "DEVELOPER"}, as_=self.admin))
        self.refused(422, self.call("PATCH", base + dev.id, {"role": "BOSS"}, as_=dev), "role")
        self.refused(404, self.call("PATCH", base + "usr_" + "a" * 26, {"role": "ADMIN"}, as_=dev))
        self.refused(404, self.call("PATCH", base + "garbage", {"role": "ADMIN"}, as_=dev))
        outsider = self.new_person("outsider")
        self.refused(404, self.call("PATCH", base + outsider.id, {"role": "ADMIN"}, as_=dev))
        self.refused(404, self.call("PATCH", base + dev.id, {"role": "ADMIN"}, as_=outsider))
        self.refused(401, self.call("PATCH", base + dev.id, {"role": "ADMIN"}))

    def test_remove_members(self):
        org, owner, dev = self.org_with_admin_and_dev()
        base = "/api/v1/orgs/%s/members/" % org["id"]
        extra = self.new_person("extra")
        self.ok(201, self.add(org["id"], extra.email, as_=owner))
        self.refused(403, self.call("DELETE", base + extra.id, as_=dev))
        err = self.refused(409, self.call("DELETE", base + owner.id, as_=owner))
        self.assertIn("an organization must keep at least one ADMIN", err["errors"][0]["message"])
        self.refused(409, self.call("DELETE", base + owner.id, as_=self.admin))
        r = self.call("DELETE", base + extra.id, as_=owner)
        self.assertEqual(r.status, 204, r)
        self.refused(404, self.call("DELETE", base + extra.id, as_=owner))
        self.refused(404, self.call("GET", "/api/v1/orgs/%s" % org["id"], as_=extra))
        # a member may leave on their own
        self.assertEqual(self.call("DELETE", base + dev.id, as_=dev).status, 204)
        self.assertEqual(self.ok(200, self.call("GET", "/api/v1/me", as_=dev))["orgs"], [])
        ev = [e for e in self.events(org=org["id"]) if e["action"] == "org.member.remove"]
        self.assertEqual(sorted(e["object"]["id"] for e in ev), sorted([extra.id, dev.id]))
        self.refused(401, self.call("DELETE", base + owner.id))


class AuditTest(OrgsBase):

    def test_platform_admin_filters(self):
        org, owner, dev = self.org_with_admin_and_dev()
        path = "/api/v1/orgs/%s" % org["id"]
        self.ok(200, self.call("PATCH", path, {"description": "one"}, as_=owner))
        self.ok(200, self.call("PATCH", path, {"description": "two"}, as_=self.admin))
        everything = self.ok(200, self.audit())
        self.assertGreaterEqual(everything["total"], 4)
        by_org = self.events(org=org["id"])
        self.assertTrue(all(e["org_id"] == org["id"] for e in by_org))
        ats = [e["at"] for e in by_org]
        self.assertEqual(ats, sorted(ats, reverse=True))  # newest first
        updates = [e for e in by_org if e["action"] == "org.update"]
        self.assertEqual(sorted(e["changes"]["description"]["new"] for e in updates), ["one", "two"])
        by_token = [e for e in updates if e["changes"]["description"]["new"] == "two"][0]
        self.assertEqual(by_token["actor"]["kind"], "admin_token")
        self.assertTrue(by_token["actor"]["id"].startswith("tok_"))
        by_actor = self.events(actor=owner.id)
        self.assertTrue(by_actor)
        self.assertTrue(all(e["actor"]["id"] == owner.id for e in by_actor))
        by_object = self.events(object=dev.id)
        self.assertTrue(all(e["object"]["id"] == dev.id for e in by_object))
        e = by_token
        self.assertEqual(set(e), {"id", "at", "actor", "action", "object", "org_id", "changes",
                                  "request_id", "client_addr"})
        self.assertRegex(e["id"], r"^aud_[a-z2-7]{26}$")
        self.assertRegex(e["at"], TIME_RE)
        self.assertEqual(e["object"], {"type": "org", "id": org["id"]})
        self.assertEqual(e["client_addr"], "127.0.0.1")
        self.assertTrue(e["request_id"])
        future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        self.assertEqual(self.events(org=org["id"], since=future), [])
        self.assertEqual(self.events(org=org["id"], since=str(int(time.time()) + 3600)), [])
        past = time.strftime("%Y-%m-%dT%H:%M:%S+02:00", time.gmtime(time.time() - 3600 + 7200))
        self.assertEqual(len(self.events(org=org["id"], since=past)), len(by_org))
        self.assertEqual(len(self.events(org=org["id"], since=str(int(time.time()) - 3600))),
                         len(by_org))
        r = self.audit(org=org["id"], per_page=1)
        page = self.ok(200, r)
        self.assertEqual((len(page["items"]), page["total"]), (1, len(by_org)))
        self.assertIn("org=%s" % org["id"], r.header("Link"))

    def test_bad_filters(self):
        self.refused(422, self.audit(since="yesterday"), "since")
        self.refused(422, self.audit(since="2026-02-30T00:00:00Z"), "since")
        self.refused(422, self.audit(org="acme"), "org")
        self.refused(422, self.audit(object="x" * 65), "object")
        self.refused(422, self.audit(per_page=101), "per_page")
        self.refused(401, self.call("GET", "/api/v1/audit"))

    def test_org_admins_see_their_org_only(self):
        org, owner, dev = self.org_with_admin_and_dev()
        other, other_owner, _ = self.org_with_admin_and_dev()
        err = self.refused(403, self.audit(as_=owner), "org")
        self.assertIn("org= is required", err["errors"][0]["message"])
        self.refused(404, self.audit(as_=owner, org=other["id"]), "org")
        self.refused(404, self.audit(as_=owner, org="org_" + "a" * 26))
        self.refused(403, self.audit(as_=dev, org=org["id"]))
        events = self.ok(200, self.audit(as_=owner, org=org["id"]))["items"]
        self.assertTrue(events)
        self.assertTrue(all(e["org_id"] == org["id"] for e in events))
        # the actor filter cannot reach past the org
        leaked = self.ok(200, self.audit(as_=owner, org=org["id"], actor=other_owner.id))
        self.assertEqual(leaked["items"], [])


class IsolationTest(OrgsBase):

    def test_another_orgs_objects_are_404(self):
        mine, me, _ = self.org_with_admin_and_dev()
        theirs, them, their_dev = self.org_with_admin_and_dev()
        base = "/api/v1/orgs/%s" % theirs["id"]
        checks = [
            ("GET", base, None), ("PATCH", base, {"name": "Hijacked"}), ("DELETE", base, None),
            ("PUT", base + "/roles", {"roles": ["x"]}),
            ("PUT", base + "/customer-numbers", {"customer_numbers": ["1"]}),
            ("GET", base + "/members", None),
            ("POST", base + "/members", {"email": me.email, "role": "ADMIN"}),
            ("PATCH", base + "/members/" + their_dev.id, {"role": "ADMIN"}),
            ("DELETE", base + "/members/" + their_dev.id, None),
            ("DELETE", base + "/members/" + me.id, None),
            ("GET", "/api/v1/audit?org=" + theirs["id"], None),
        ]
        for method, path, body in checks:
            with self.subTest(method=method, path=path):
                self.refused(404, self.call(method, path, body, as_=me))
        listed = self.ok(200, self.call("GET", "/api/v1/orgs", as_=me))
        self.assertEqual([o["id"] for o in listed["items"]], [mine["id"]])
        after = self.ok(200, self.call("GET", base, as_=them))
        self.assertEqual(after["name"], theirs["name"])
        self.assertEqual(self.ok(200, self.call("GET", base + "/members", as_=them))["total"], 2)


class NewDeveloperFlowTest(OrgsBase):

    def test_register_verify_login_create_org_add_member(self):
        addr = self.unique_email("flow")
        r = self.call("POST", "/api/v1/register",
                      {"email": addr, "password": api.PASSWORD, "name": "Fiona Flow"})
        self.assertEqual(r.status, 202, r)
        user = self.verify(addr)  # the link from the mail in the mail directory
        self.assertIs(user["email_verified"], True)
        fiona = self.login(addr)
        org = self.ok(201, self.call("POST", "/api/v1/orgs", {
            "name": "Fiona's Apps", "partner": True, "tenant": tenant(),
            "responsible_email": addr}, as_=fiona))
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=fiona))
        self.assertEqual([(o["id"], o["role"]) for o in me["orgs"]], [(org["id"], "ADMIN")])

        second = self.unique_email("second")
        self.register(second, name="Sam Second")
        self.refused(422, self.add(org["id"], second, as_=fiona), "email")  # not verified yet
        self.verify(second)
        m = self.ok(201, self.add(org["id"], second, "DEVELOPER", as_=fiona))
        self.assertEqual((m["email"], m["role"]), (second, "DEVELOPER"))
        sam = self.login(second)
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=sam))
        self.assertEqual(me["user"]["email"], second)
        self.assertEqual(me["orgs"], [{"id": org["id"], "name": "Fiona's Apps", "provider": False,
                                       "partner": True, "role": "DEVELOPER"}])
        self.assertEqual(self.ok(200, self.call("GET", "/api/v1/orgs/%s" % org["id"], as_=sam))["id"],
                         org["id"])
