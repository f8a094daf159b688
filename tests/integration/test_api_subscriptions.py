"""Subscriptions (seed 000's activation requests) and app access status
through HTTP: subscribing with a plan, every allowed and refused transition,
the access token shown once and its hash for the provider (checked against
Python's hashlib and `gatehouse token verify-hash`), the history, the mails
to the other side, red/green access status leaving subscriptions untouched,
and isolation between two partners and two providers."""

import hashlib
import itertools
import os
import re
import subprocess
import time

import api
import harness

_n = itertools.count(1)

SUB_ID = re.compile(r"^sub_[a-z2-7]{26}$")
TOKEN = re.compile(r"^ghat_[A-Za-z0-9_-]{43}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
STATUSES = ["activation-requested", "active", "deactivation-requested", "inactive"]
ACTIONS = ["activate", "request-deactivation", "deactivate", "request-activation"]
PROVIDER_ACTIONS = {"activate", "deactivate"}
# (status, action) -> new status; every other pair is a 409 for the action's side
ALLOWED = {
    ("activation-requested", "activate"): "active",
    ("active", "request-deactivation"): "deactivation-requested",
    ("activation-requested", "deactivate"): "inactive",
    ("active", "deactivate"): "inactive",
    ("deactivation-requested", "deactivate"): "inactive",
    ("inactive", "request-activation"): "activation-requested",
}


def seq():
    return "%d-%d" % (os.getpid(), next(_n))


class World:
    """A provider (ADMIN + DEVELOPER members) with APIs and plans, and a
    partner (ADMIN) with an app that has an OWNER, a DEVELOPER and a
    READ_ONLY member."""


class SubsBase(api.ApiTestCase):

    # --- building blocks ----------------------------------------------------

    def add_org_member(self, org_id, person, role):
        return self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % org_id,
                                      {"email": person.email, "role": role}, as_=self.admin))

    def new_provider(self):
        w = World()
        w.admin = self.new_person("padmin", name="Paula Provider")
        w.dev = self.new_person("pdev", name="Pete Provider")
        w.org = self.ok(201, self.call("POST", "/api/v1/orgs", {
            "name": "Provider %s" % seq(), "provider": True, "partner": False,
            "responsible_email": w.admin.email}, as_=self.admin))
        self.add_org_member(w.org["id"], w.admin, "ADMIN")
        self.add_org_member(w.org["id"], w.dev, "DEVELOPER")
        return w

    def new_api(self, provider, **fields):
        n = seq()
        body = {"name": "API %s" % n, "service": "svc-%s" % n, "path_prefixes": ["/p-%s" % n]}
        body.update(fields)
        return self.ok(201, self.call("POST", "/api/v1/orgs/%s/apis" % provider.org["id"], body,
                                      as_=provider.admin))

    def new_plan(self, provider, api_obj, **fields):
        body = {"name": "Plan %s" % seq()}
        body.update(fields)
        return self.ok(201, self.call("POST", "/api/v1/apis/%s/plans" % api_obj["id"], body,
                                      as_=provider.admin))

    def new_partner(self):
        w = World()
        w.admin = self.new_person("qadmin", name="Quinn Partner")
        w.org = self.new_partner_org(w.admin)
        w.owner = self.new_person("owner", name="Olga Owner")
        w.dev = self.new_person("adev", name="Dev Eloper")
        w.ro = self.new_person("ro", name="Rudi Reader")
        for person in (w.owner, w.dev, w.ro):
            self.add_org_member(w.org["id"], person, "DEVELOPER")
        w.app = self.new_app(w)
        return w

    def new_app(self, partner):
        """An app of partner: its owner is OWNER, dev DEVELOPER, ro READ_ONLY."""
        app = self.ok(201, self.call("POST", "/api/v1/orgs/%s/apps" % partner.org["id"],
                                     {"name": "App %s" % seq()}, as_=partner.owner))
        for person, role in ((partner.dev, "DEVELOPER"), (partner.ro, "READ_ONLY")):
            self.ok(201, self.call("POST", "/api/v1/apps/%s/members" % app["id"],
                                   {"email": person.email, "role": role}, as_=partner.owner))
        return app

    def subscribe(self, app_id, api_id, plan_id, as_, status=201):
        r = self.call("POST", "/api/v1/apps/%s/subscriptions" % app_id,
                      {"api": api_id, "plan": plan_id}, as_=as_)
        return self.ok(201, r) if status == 201 else r

    def act(self, sub_id, action, as_, body=None, raw=None, headers=None):
        return self.call("POST", "/api/v1/subscriptions/%s/%s" % (sub_id, action), body,
                         as_=as_, raw=raw, headers=headers)

    def get_sub(self, sub_id, as_):
        return self.call("GET", "/api/v1/subscriptions/%s" % sub_id, as_=as_)

    def history(self, sub_id, as_):
        return self.ok(200, self.call("GET", "/api/v1/subscriptions/%s/history" % sub_id,
                                      as_=as_))["items"]

    def provider_view(self, api_id, as_, query=""):
        return self.ok(200, self.call("GET", "/api/v1/apis/%s/subscriptions%s" % (api_id, query),
                                      as_=as_))

    def wait_mail_with(self, address, subject, text=None, timeout=5.0):
        """The first mail to address whose subject contains subject (and
        whose text contains text); mails are delivered asynchronously."""
        deadline = time.monotonic() + timeout
        while True:
            for msg in self.mails_to(address):
                if subject in str(msg["Subject"]) and (text is None or
                                                       text in self.mail_text(msg)):
                    return msg
            if time.monotonic() > deadline:
                self.fail("no mail to %s with subject %r%s within %.0fs; have %r" % (
                    address, subject, " and text %r" % text if text else "", timeout,
                    [str(m["Subject"]) for m in self.mails_to(address)]))
            time.sleep(0.02)

    def setUp(self):
        self.prov = self.new_provider()
        self.api_tok = self.new_api(self.prov, auth_method="access_token")
        self.plan_tok = self.new_plan(self.prov, self.api_tok)
        self.part = self.new_partner()

    def token_sub(self, partner=None, as_=None):
        """A new access-token subscription (activation-requested) of a new app."""
        partner = partner or self.part
        app = self.new_app(partner)
        sub = self.subscribe(app["id"], self.api_tok["id"], self.plan_tok["id"],
                             as_=as_ or partner.owner)
        return app, sub

    def sub_in(self, status):
        """A subscription of a fresh app brought into status through HTTP."""
        _, sub = self.token_sub()
        steps = {
            "activation-requested": [],
            "active": [("activate", self.prov.admin)],
            "deactivation-requested": [("activate", self.prov.admin),
                                       ("request-deactivation", self.part.owner)],
            "inactive": [("deactivate", self.prov.admin)],
        }[status]
        for action, who in steps:
            sub = self.ok(200, self.act(sub["id"], action, who))
        self.assertEqual(sub["status"], status)
        return sub


class SubscribeTest(SubsBase):

    def test_access_token_shown_once_and_provider_hash_is_sha256_of_it(self):
        sub = self.subscribe(self.part.app["id"], self.api_tok["id"], self.plan_tok["id"],
                             as_=self.part.dev)
        self.assertRegex(sub["id"], SUB_ID)
        self.assertEqual(sub["status"], "activation-requested")
        self.assertEqual(sub["app_id"], self.part.app["id"])
        self.assertEqual(sub["api_id"], self.api_tok["id"])
        self.assertEqual(sub["plan_id"], self.plan_tok["id"])
        self.assertEqual(sub["auth_method"], "access_token")
        self.assertEqual(sub["allowed_actions"], [])  # a DEVELOPER waits for the provider
        self.assertRegex(sub["created_at"], TIME_RE)
        token = sub["access_token"]
        self.assertRegex(token, TOKEN)
        self.assertNotIn("access_token_hash", sub)  # the partner never sees the hash

        # never again for the partner
        again = self.ok(200, self.get_sub(sub["id"], self.part.owner))
        self.assertNotIn("access_token", again)
        self.assertNotIn("access_token_hash", again)
        listed = self.ok(200, self.call("GET", "/api/v1/apps/%s/subscriptions"
                                        % self.part.app["id"], as_=self.part.ro))
        self.assertEqual([s["id"] for s in listed["items"]], [sub["id"]])
        self.assertNotIn(token, repr(listed))

        # the provider sees the digest, computed independently here
        view = self.provider_view(self.api_tok["id"], self.prov.admin)
        self.assertEqual(view["total"], 1)
        item = view["items"][0]
        self.assertEqual(item["access_token_hash"], hashlib.sha256(token.encode()).hexdigest())
        self.assertEqual(item["access_token_hash_method"], "sha256")
        self.assertNotIn("access_token", item)
        self.assertEqual(item["allowed_actions"], ["activate", "deactivate"])
        one = self.ok(200, self.get_sub(sub["id"], self.prov.admin))
        self.assertEqual(one["access_token_hash"], item["access_token_hash"])

        # the provider's DEVELOPER reads subscriptions but not token hashes
        dev_view = self.provider_view(self.api_tok["id"], self.prov.dev)
        self.assertEqual(dev_view["items"][0]["id"], sub["id"])
        self.assertNotIn("access_token_hash", dev_view["items"][0])
        self.assertEqual(dev_view["items"][0]["allowed_actions"], [])

        # not in the audit log, nor in the database file
        audit = self.ok(200, self.call("GET", "/api/v1/audit?object=%s" % sub["id"],
                                       as_=self.admin))
        self.assertEqual([e["action"] for e in audit["items"]], ["subscription.create"])
        self.assertNotIn(token, repr(audit))
        with open(self.server.db, "rb") as f:
            self.assertNotIn(token.encode(), f.read())
        for suffix in ("-wal", "-journal"):
            if os.path.exists(self.server.db + suffix):
                with open(self.server.db + suffix, "rb") as f:
                    self.assertNotIn(token.encode(), f.read())
        self.assertNotIn(token, self.server.stderr_text())

    def test_sha512_api_stores_sha512_digest(self):
        api512 = self.new_api(self.prov, auth_method="access_token",
                              access_token_hash_method="sha512")
        plan = self.new_plan(self.prov, api512)
        sub = self.subscribe(self.part.app["id"], api512["id"], plan["id"], as_=self.part.owner)
        item = self.provider_view(api512["id"], self.prov.admin)["items"][0]
        self.assertEqual(item["access_token_hash_method"], "sha512")
        self.assertEqual(item["access_token_hash"],
                         hashlib.sha512(sub["access_token"].encode()).hexdigest())

    def test_manual_handover_api_issues_no_token(self):
        manual = self.new_api(self.prov)  # manual_handover is the default (seed 000)
        plan = self.new_plan(self.prov, manual)
        sub = self.subscribe(self.part.app["id"], manual["id"], plan["id"], as_=self.part.owner)
        self.assertEqual(sub["auth_method"], "manual_handover")
        self.assertNotIn("access_token", sub)
        item = self.provider_view(manual["id"], self.prov.admin)["items"][0]
        self.assertIsNone(item["access_token_hash"])
        self.assertIsNone(item["access_token_hash_method"])

    def test_auto_approval_plan_is_active_at_once_and_tells_the_provider(self):
        plan = self.new_plan(self.prov, self.api_tok, approval="auto")
        sub = self.subscribe(self.part.app["id"], self.api_tok["id"], plan["id"],
                             as_=self.part.owner)
        self.assertEqual(sub["status"], "active")
        self.assertEqual(sub["allowed_actions"], ["request-deactivation"])
        hist = self.history(sub["id"], self.part.owner)
        self.assertEqual([(h["action"], h["from"], h["to"]) for h in hist],
                         [("create", None, "active")])
        self.wait_mail_with(self.prov.admin.email, "approved automatically", sub["id"])

    def test_provider_is_mailed_about_the_activation_request(self):
        sub = self.subscribe(self.part.app["id"], self.api_tok["id"], self.plan_tok["id"],
                             as_=self.part.owner)
        mail = self.wait_mail_with(self.prov.admin.email, "Activation requested", sub["id"])
        text = self.mail_text(mail)
        self.assertIn(sub["id"], text)
        self.assertIn(self.part.app["name"], text)
        self.assertIn("/api/v1/subscriptions/%s/activate" % sub["id"], text)
        self.assertNotIn(sub["access_token"], text)

    def test_create_refusals(self):
        app_id = self.part.app["id"]
        path = "/api/v1/apps/%s/subscriptions" % app_id
        body = {"api": self.api_tok["id"], "plan": self.plan_tok["id"]}
        self.refused(401, self.call("POST", path, body))
        self.refused(404, self.call("POST", path, body, as_=self.new_person("out")))
        self.refused(404, self.call("POST", path, body, as_=self.prov.admin))
        self.refused(403, self.call("POST", path, body, as_=self.part.ro))
        self.refused(403, self.call("POST", path, body, as_=self.part.owner, csrf=False))
        self.refused(415, self.call("POST", path, as_=self.part.owner, raw=b"api=x",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}))
        self.refused(400, self.call("POST", path, as_=self.part.owner, raw=b"{\"api\":"))
        self.refused(400, self.call("POST", path, dict(body, status="active"),
                                    as_=self.part.owner), "status")
        self.refused(422, self.call("POST", path, {"plan": self.plan_tok["id"]},
                                    as_=self.part.owner), "api")
        self.refused(422, self.call("POST", path, {"api": self.api_tok["id"]},
                                    as_=self.part.owner), "plan")
        self.refused(422, self.call("POST", path, dict(body, api="api_nonexistent"),
                                    as_=self.part.owner), "api")
        other_api = self.new_api(self.prov)
        other_plan = self.new_plan(self.prov, other_api)
        self.refused(422, self.call("POST", path, dict(body, plan=other_plan["id"]),
                                    as_=self.part.owner), "plan")
        # an API requiring a partner role the partner lacks is not available to it
        gold = self.new_api(self.prov, required_roles=["gold"])
        gold_plan = self.new_plan(self.prov, gold)
        self.refused(422, self.call("POST", path, {"api": gold["id"], "plan": gold_plan["id"]},
                                    as_=self.part.owner), "api")
        self.ok(200, self.call("PUT", "/api/v1/orgs/%s/roles" % self.part.org["id"],
                               {"roles": ["gold"]}, as_=self.admin))
        self.subscribe(app_id, gold["id"], gold_plan["id"], as_=self.part.owner)
        # one subscription per app and API
        self.subscribe(app_id, self.api_tok["id"], self.plan_tok["id"], as_=self.part.admin)
        doc = self.refused(409, self.call("POST", path, body, as_=self.part.owner), "api")
        self.assertIn("already has a subscription", doc["errors"][0]["message"])


class TransitionTest(SubsBase):

    def test_full_lifecycle_with_history_and_mails(self):
        _, sub = self.token_sub()
        first_token = sub["access_token"]
        sid = sub["id"]
        partner_mail = self.part.admin.email  # the partner org's responsible_email
        provider_mail = self.prov.admin.email

        s = self.ok(200, self.act(sid, "activate", self.prov.admin, {"reason": "welcome"}))
        self.assertEqual(s["status"], "active")
        self.assertNotIn("access_token", s)
        self.wait_mail_with(partner_mail, "Subscription activated", "welcome")

        s = self.ok(200, self.act(sid, "request-deactivation", self.part.dev))
        self.assertEqual(s["status"], "deactivation-requested")
        mail = self.wait_mail_with(provider_mail, "Deactivation requested", sid)
        self.assertIn("/api/v1/subscriptions/%s/deactivate" % sid, self.mail_text(mail))

        s = self.ok(200, self.act(sid, "deactivate", self.prov.admin,
                                  {"reason": "contract ended"}))
        self.assertEqual(s["status"], "inactive")
        mail = self.wait_mail_with(partner_mail, "Subscription deactivated", "contract ended")
        self.assertIn("/api/v1/subscriptions/%s/request-activation" % sid, self.mail_text(mail))

        s = self.ok(200, self.act(sid, "request-activation", self.part.owner,
                                  {"reason": "new contract"}))
        self.assertEqual(s["status"], "activation-requested")
        new_token = s["access_token"]
        self.assertRegex(new_token, TOKEN)
        self.assertNotEqual(new_token, first_token)
        item = self.ok(200, self.get_sub(sid, self.prov.admin))
        self.assertEqual(item["access_token_hash"], hashlib.sha256(new_token.encode()).hexdigest())
        mail = self.wait_mail_with(provider_mail, "Activation requested", "new contract")
        self.assertNotIn(new_token, self.mail_text(mail))

        s = self.ok(200, self.act(sid, "deactivate", self.admin, {"reason": "rejected"}))
        self.assertEqual(s["status"], "inactive")

        hist = self.history(sid, self.prov.dev)
        self.assertEqual(
            [(h["action"], h["side"], h["from"], h["to"], h["reason"]) for h in hist],
            [("create", "partner", None, "activation-requested", None),
             ("activate", "provider", "activation-requested", "active", "welcome"),
             ("request-deactivation", "partner", "active", "deactivation-requested", None),
             ("deactivate", "provider", "deactivation-requested", "inactive", "contract ended"),
             ("request-activation", "partner", "inactive", "activation-requested",
              "new contract"),
             ("deactivate", "provider", "activation-requested", "inactive", "rejected")])
        self.assertEqual(hist[1]["actor"]["email"], self.prov.admin.email)
        self.assertEqual(hist[2]["actor"]["id"], self.part.dev.id)
        self.assertEqual(hist[5]["actor"]["kind"], "admin_token")
        for h in hist:
            self.assertRegex(h["at"], TIME_RE)
        self.assertEqual(self.history(sid, self.part.ro), hist)
        page = self.ok(200, self.call("GET", "/api/v1/subscriptions/%s/history?per_page=2&page=3"
                                      % sid, as_=self.part.owner))
        self.assertEqual(page["total"], 6)
        self.assertEqual([h["id"] for h in page["items"]], [h["id"] for h in hist[4:6]])

        audit = self.ok(200, self.call("GET", "/api/v1/audit?object=%s&per_page=100" % sid,
                                       as_=self.admin))["items"]
        self.assertEqual(sorted(e["action"] for e in audit), sorted([
            "subscription.create", "subscription.activate", "subscription.request_deactivation",
            "subscription.deactivate", "subscription.request_activation",
            "subscription.deactivate"]))
        self.assertNotIn(first_token, repr(audit))
        self.assertNotIn(new_token, repr(audit))

    def test_every_status_and_action_for_the_acting_side(self):
        for status in STATUSES:
            for action in ACTIONS:
                with self.subTest(status=status, action=action):
                    sub = self.sub_in(status)
                    who = self.prov.admin if action in PROVIDER_ACTIONS else self.part.owner
                    r = self.act(sub["id"], action, who)
                    if (status, action) in ALLOWED:
                        got = self.ok(200, r)
                        self.assertEqual(got["status"], ALLOWED[(status, action)])
                        self.assertEqual(self.ok(200, self.get_sub(sub["id"], who))["status"],
                                         got["status"])
                    else:
                        doc = self.refused(409, r)
                        msg = doc["errors"][0]["message"]
                        self.assertIn("'%s'" % status, msg)
                        self.assertIn("allowed:", msg)
                        self.assertEqual(self.ok(200, self.get_sub(sub["id"], who))["status"],
                                         status)
        # the 409 names what this side may do instead
        sub = self.sub_in("activation-requested")
        msg = self.refused(409, self.act(sub["id"], "request-deactivation",
                                         self.part.owner))["errors"][0]["message"]
        self.assertEqual(msg, "subscription is 'activation-requested'; allowed: none")
        msg = self.refused(409, self.act(sub["id"], "request-deactivation", self.admin)
                           )["errors"][0]["message"]
        self.assertEqual(msg, "subscription is 'activation-requested'; allowed: none")
        sub = self.sub_in("active")
        msg = self.refused(409, self.act(sub["id"], "activate", self.prov.admin)
                           )["errors"][0]["message"]
        self.assertEqual(msg, "subscription is 'active'; allowed: deactivate")

    def test_wrong_side_and_weak_roles_are_403_outsiders_404(self):
        sub = self.sub_in("activation-requested")
        sid = sub["id"]
        # the partner may not activate, the provider may not request
        doc = self.refused(403, self.act(sid, "activate", self.part.owner))
        self.assertIn("only the provider", doc["errors"][0]["message"])
        self.refused(403, self.act(sid, "deactivate", self.part.admin))
        active = self.sub_in("active")
        doc = self.refused(403, self.act(active["id"], "request-deactivation", self.prov.admin))
        self.assertIn("only the partner", doc["errors"][0]["message"])
        # READ_ONLY app members and provider DEVELOPERs see but may not act
        self.refused(403, self.act(active["id"], "request-deactivation", self.part.ro))
        self.refused(403, self.act(sid, "activate", self.prov.dev))
        # the wrong side wins over the wrong status
        self.refused(403, self.act(active["id"], "activate", self.part.owner))
        # neither side: 404, existing or not
        outsider = self.new_person("out")
        self.refused(404, self.act(sid, "activate", outsider))
        self.refused(404, self.get_sub(sid, outsider))
        self.refused(404, self.act("sub_" + "a" * 26, "activate", self.prov.admin))
        self.refused(404, self.get_sub("nonsense", self.prov.admin))
        self.refused(401, self.act(sid, "activate", None))
        self.refused(403, self.call("POST", "/api/v1/subscriptions/%s/activate" % sid,
                                    as_=self.prov.admin, csrf=False))
        # nothing changed
        self.assertEqual(self.ok(200, self.get_sub(sid, self.prov.admin))["status"],
                         "activation-requested")

    def test_reason_body_is_optional_and_checked(self):
        sub = self.sub_in("activation-requested")
        sid = sub["id"]
        self.refused(400, self.act(sid, "activate", self.prov.admin, {"why": "x"}), "why")
        self.refused(400, self.act(sid, "activate", self.prov.admin, raw=b"{"))
        self.refused(415, self.act(sid, "activate", self.prov.admin, raw=b"reason=x",
                                   headers={"Content-Type": "text/plain"}))
        self.refused(422, self.act(sid, "activate", self.prov.admin, {"reason": 5}), "reason")
        self.refused(422, self.act(sid, "activate", self.prov.admin, {"reason": "x" * 1001}),
                     "reason")
        s = self.ok(200, self.act(sid, "activate", self.prov.admin, {"reason": "  "}))
        self.assertEqual(s["status"], "active")
        self.assertIsNone(self.history(sid, self.prov.admin)[-1]["reason"])


class ViewsTest(SubsBase):

    def test_app_list_for_app_members_only(self):
        _, sub = self.token_sub()
        app_id = sub["app_id"]
        path = "/api/v1/apps/%s/subscriptions" % app_id
        for who in (self.part.owner, self.part.admin, self.admin):
            got = self.ok(200, self.call("GET", path, as_=who))
            self.assertEqual([s["id"] for s in got["items"]], [sub["id"]])
        self.ok(200, self.call("GET", path, as_=self.part.ro))
        # a DEVELOPER of the partner org who is no member of this app sees nothing
        stranger = self.new_person("stranger")
        self.add_org_member(self.part.org["id"], stranger, "DEVELOPER")
        self.refused(404, self.call("GET", path, as_=stranger))
        self.refused(404, self.call("GET", path, as_=self.prov.admin))
        self.refused(401, self.call("GET", path))

    def test_provider_list_filters_by_status_and_pages(self):
        subs = [self.sub_in(s) for s in ("activation-requested", "active", "active")]
        path = "/api/v1/apis/%s/subscriptions" % self.api_tok["id"]
        allv = self.provider_view(self.api_tok["id"], self.prov.admin)
        self.assertEqual(allv["total"], 3)
        self.assertEqual(sorted(s["id"] for s in allv["items"]), sorted(s["id"] for s in subs))
        act = self.provider_view(self.api_tok["id"], self.prov.admin, "?status=active")
        self.assertEqual(sorted(s["id"] for s in act["items"]), sorted(s["id"] for s in subs[1:]))
        page = self.call("GET", path + "?status=active&per_page=1", as_=self.prov.admin)
        body = self.ok(200, page)
        self.assertEqual((body["total"], len(body["items"])), (2, 1))
        self.assertIn("page=2", page.header("Link") or "")
        self.assertIn("status=active", page.header("Link") or "")
        self.refused(422, self.call("GET", path + "?status=paused", as_=self.prov.admin),
                     "status")
        self.refused(404, self.call("GET", path, as_=self.part.owner))
        self.refused(404, self.call("GET", path, as_=self.new_person("out")))
        self.refused(401, self.call("GET", path))
        self.ok(200, self.call("GET", path, as_=self.admin))


class IsolationTest(SubsBase):

    def test_two_partners_and_two_providers_see_only_their_own(self):
        prov_b = self.new_provider()
        api_b = self.new_api(prov_b, auth_method="access_token")
        plan_b = self.new_plan(prov_b, api_b)
        part_b = self.new_partner()
        sub_a = self.subscribe(self.part.app["id"], self.api_tok["id"], self.plan_tok["id"],
                               as_=self.part.owner)
        sub_b = self.subscribe(part_b.app["id"], api_b["id"], plan_b["id"], as_=part_b.owner)

        # partner B cannot see or touch partner A's subscription, nor subscribe A's app
        for who in (part_b.owner, part_b.admin):
            self.refused(404, self.get_sub(sub_a["id"], who))
            self.refused(404, self.act(sub_a["id"], "request-deactivation", who))
            self.refused(404, self.call("GET", "/api/v1/apps/%s/subscriptions"
                                        % self.part.app["id"], as_=who))
            self.refused(404, self.subscribe(self.part.app["id"], api_b["id"], plan_b["id"],
                                             as_=who, status=404))
        # provider B cannot see or decide provider A's subscription
        self.refused(404, self.get_sub(sub_a["id"], prov_b.admin))
        self.refused(404, self.act(sub_a["id"], "activate", prov_b.admin))
        self.refused(404, self.call("GET", "/api/v1/apis/%s/subscriptions"
                                    % self.api_tok["id"], as_=prov_b.admin))
        self.refused(404, self.call("GET", "/api/v1/subscriptions/%s/history" % sub_a["id"],
                                    as_=prov_b.admin))
        # each provider's list holds only subscriptions to its own API
        self.assertEqual([s["id"] for s in
                          self.provider_view(api_b["id"], prov_b.admin)["items"]], [sub_b["id"]])
        self.assertEqual([s["id"] for s in self.provider_view(
            self.api_tok["id"], self.prov.admin)["items"]], [sub_a["id"]])
        # A's provider activating changes nothing of B's
        self.ok(200, self.act(sub_a["id"], "activate", self.prov.admin))
        self.assertEqual(self.ok(200, self.get_sub(sub_b["id"], part_b.owner))["status"],
                         "activation-requested")


class AccessStatusTest(SubsBase):

    def status_path(self, app_id):
        return "/api/v1/apps/%s/access-status" % app_id

    def put(self, app_id, body, as_):
        return self.call("PUT", self.status_path(app_id), body, as_=as_)

    def test_red_with_reason_mails_partner_and_green_restores_without_touching_subscriptions(self):
        app_id = self.part.app["id"]
        active = self.subscribe(app_id, self.api_tok["id"], self.plan_tok["id"],
                                as_=self.part.owner)
        active = self.ok(200, self.act(active["id"], "activate", self.prov.admin))
        manual = self.new_api(self.prov)
        pending = self.subscribe(app_id, manual["id"], self.new_plan(self.prov, manual)["id"],
                                 as_=self.part.owner)
        responsible = self.part.admin.email

        got = self.ok(200, self.put(app_id, {"provider_org": self.prov.org["id"], "status": "red",
                                             "reason": "unpaid invoice 4711"}, self.prov.admin))
        self.assertEqual((got["provider_org"], got["status"], got["reason"]),
                         (self.prov.org["id"], "red", "unpaid invoice 4711"))
        self.assertEqual(got["set_by"], self.prov.admin.id)
        self.assertRegex(got["set_at"], TIME_RE)
        mail = self.wait_mail_with(responsible, "Access blocked", "unpaid invoice 4711")
        self.assertIn(self.part.app["name"], str(mail["Subject"]))

        def statuses():
            items = self.ok(200, self.call("GET", "/api/v1/apps/%s/subscriptions" % app_id,
                                           as_=self.part.owner))["items"]
            return {s["id"]: s["status"] for s in items}

        self.assertEqual(statuses(), {active["id"]: "active", pending["id"]: "activation-requested"})
        listed = self.ok(200, self.call("GET", self.status_path(app_id), as_=self.part.ro))
        self.assertEqual([(e["provider_org"], e["status"]) for e in listed["items"]],
                         [(self.prov.org["id"], "red")])

        got = self.ok(200, self.put(app_id, {"provider_org": self.prov.org["id"],
                                             "status": "green"}, self.prov.admin))
        self.assertEqual((got["status"], got["reason"]), ("green", None))
        self.wait_mail_with(responsible, "Access restored")
        self.assertEqual(statuses(), {active["id"]: "active", pending["id"]: "activation-requested"})

        audit = self.ok(200, self.call("GET", "/api/v1/audit?object=%s" % app_id,
                                       as_=self.admin))["items"]
        sets = [e for e in audit if e["action"] == "app.access_status.set"]
        self.assertEqual(len(sets), 2)
        self.assertEqual(sets[0]["org_id"], self.prov.org["id"])

    def test_who_may_set_and_what_is_refused(self):
        app_id = self.part.app["id"]
        self.subscribe(app_id, self.api_tok["id"], self.plan_tok["id"], as_=self.part.owner)
        org = self.prov.org["id"]
        red = {"provider_org": org, "status": "red", "reason": "audit pending"}
        self.refused(401, self.put(app_id, red, None))
        self.refused(404, self.put(app_id, red, self.new_person("out")))
        self.refused(404, self.put("app_" + "a" * 26, red, self.prov.admin))
        self.refused(403, self.put(app_id, red, self.prov.dev))
        for who in (self.part.owner, self.part.admin, self.part.ro):
            self.refused(403, self.put(app_id, red, who), "provider_org")
        self.refused(422, self.put(app_id, {"provider_org": org, "status": "red"},
                                   self.prov.admin), "reason")
        self.refused(422, self.put(app_id, {"provider_org": org, "status": "red", "reason": " "},
                                   self.prov.admin), "reason")
        self.refused(422, self.put(app_id, {"provider_org": org, "status": "amber"},
                                   self.prov.admin), "status")
        self.refused(422, self.put(app_id, {"status": "green"}, self.prov.admin), "provider_org")
        self.refused(400, self.put(app_id, dict(red, color="red"), self.prov.admin), "color")
        self.refused(403, self.call("PUT", self.status_path(app_id), red, as_=self.prov.admin,
                                    csrf=False))
        # a provider the app does not subscribe to cannot block it
        prov_b = self.new_provider()
        self.refused(404, self.put(app_id, dict(red, provider_org=prov_b.org["id"]),
                                   prov_b.admin))
        # platform admins may, for any provider org; not for a partner org
        self.ok(200, self.put(app_id, dict(red, provider_org=prov_b.org["id"]), self.admin))
        self.refused(422, self.put(app_id, dict(red, provider_org=self.part.org["id"]),
                                   self.admin), "provider_org")
        # nothing was set by the refused calls: only the admin's red for B
        items = self.ok(200, self.call("GET", self.status_path(app_id), as_=self.part.owner))
        self.assertEqual(sorted((e["provider_org"], e["status"]) for e in items["items"]),
                         sorted([(org, "green"), (prov_b.org["id"], "red")]))

    def test_partner_sees_every_provider_and_providers_their_own(self):
        prov_b = self.new_provider()
        api_b = self.new_api(prov_b)
        plan_b = self.new_plan(prov_b, api_b)
        app_id = self.part.app["id"]
        self.subscribe(app_id, self.api_tok["id"], self.plan_tok["id"], as_=self.part.owner)
        self.subscribe(app_id, api_b["id"], plan_b["id"], as_=self.part.owner)
        self.ok(200, self.put(app_id, {"provider_org": prov_b.org["id"], "status": "red",
                                       "reason": "security review"}, prov_b.admin))
        path = self.status_path(app_id)
        for who in (self.part.owner, self.part.dev, self.part.ro, self.part.admin, self.admin):
            items = self.ok(200, self.call("GET", path, as_=who))["items"]
            self.assertEqual(sorted((e["provider_org"], e["status"], e["reason"] or "")
                                    for e in items),
                             sorted([(self.prov.org["id"], "green", ""),
                                     (prov_b.org["id"], "red", "security review")]))
        for who, org in ((self.prov.admin, self.prov.org), (self.prov.dev, self.prov.org),
                         (prov_b.admin, prov_b.org)):
            items = self.ok(200, self.call("GET", path, as_=who))["items"]
            self.assertEqual([e["provider_org"] for e in items], [org["id"]])
        self.refused(404, self.call("GET", path, as_=self.new_person("out")))
        self.refused(404, self.call("GET", path, as_=self.new_provider().admin))
        self.refused(401, self.call("GET", path))
        # provider A cannot set B's status, though it sees the app
        self.refused(403, self.put(app_id, {"provider_org": prov_b.org["id"], "status": "green"},
                                   self.prov.admin), "provider_org")


class VerifyHashCliTest(SubsBase):

    def run_verify(self, *args, stdin=None):
        return subprocess.run([harness.BIN, "token", "verify-hash"] + list(args),
                              input=stdin, capture_output=True, text=True, timeout=30)

    def test_exit_codes(self):
        sub = self.subscribe(self.part.app["id"], self.api_tok["id"], self.plan_tok["id"],
                             as_=self.part.owner)
        token = sub["access_token"]
        digest = self.provider_view(self.api_tok["id"], self.prov.admin)["items"][0][
            "access_token_hash"]
        p = self.run_verify("--method", "sha256", "--hash", digest, token)
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "match"), p)
        p = self.run_verify("--method", "sha256", "--hash", digest.upper(), token)
        self.assertEqual(p.returncode, 0, p)
        p = self.run_verify("--method", "sha256", "--hash", digest, "-", stdin=token + "\n")
        self.assertEqual(p.returncode, 0, p)
        p = self.run_verify("--method", "sha256", "--hash", digest, token[:-1] + "x")
        self.assertEqual((p.returncode, p.stdout.strip()), (1, "mismatch"), p)
        sha512 = hashlib.sha512(token.encode()).hexdigest()
        self.assertEqual(self.run_verify("--method", "sha512", "--hash", sha512, token)
                         .returncode, 0)
        self.assertEqual(self.run_verify("--method", "sha512", "--hash",
                                         hashlib.sha512(b"other").hexdigest(), token)
                         .returncode, 1)
        for args in (["--method", "sha256", token],                       # no hash
                     ["--hash", digest, token],                            # no method
                     ["--method", "md5", "--hash", digest, token],         # unknown method
                     ["--method", "sha512", "--hash", digest, token],      # sha256-long hash
                     ["--method", "sha256", "--hash", "zz" * 32, token],   # not hex
                     ["--method", "sha256", "--hash", digest],             # no token
                     ["--method", "sha256", "--hash", digest, token, token],
                     ["--colour", "--method", "sha256", "--hash", digest, token]):
            with self.subTest(args=args):
                p = self.run_verify(*args)
                self.assertEqual(p.returncode, 2, p)
                self.assertTrue(p.stderr.strip(), p)
        p = self.run_verify("--help")
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("--method", p.stdout)
