"""Notifications (src/portal/notify.c, docs/notifications.md) through the
real binary with --mail-dir.

Each event is checked twice: the outbox rows written in the change's
transaction (read from the SQLite database: exactly the right recipients,
one row per address, the organization recorded) and the .eml files the
delivery worker writes (multipart/alternative, the reason in the text part,
the HTML part present with every value escaped).  Also: the organization's
webhooks get a delivery with the same facts and no secrets; operator
templates from --mail-templates replace the built-in ones and a bad one
stops start-up with exit status 2; the expiring-API-key scan mails the
app's OWNERs once, across restarts.
"""

import itertools
import json
import os
import shutil
import sqlite3
import tempfile
import time
import unittest

import api
import harness

_seq = itertools.count(1)

SCRIPT_REASON = "unpaid <script>alert('x')</script> & more"
ESCAPED_REASON = "unpaid &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"


class World:
    pass


class NotifyBase(api.ApiTestCase):

    # --- building blocks --------------------------------------------------------

    def add_org_member(self, org_id, person, role):
        self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % org_id,
                               {"email": person.email, "role": role}, as_=self.admin))

    def world(self):
        """A provider (two ADMINs, one DEVELOPER; responsible: the first ADMIN)
        with an API and a plan needing approval; a partner (ADMIN who is the
        responsible person) with an app: two OWNERs, one DEVELOPER."""
        w = World()
        w.padmin = self.new_person("padmin", name="Paula Provider")
        w.padmin2 = self.new_person("padmin2", name="Piet Provider")
        w.pdev = self.new_person("pdev", name="Pete Provider")
        w.prov = self.ok(201, self.call("POST", "/api/v1/orgs", {
            "name": "Provider %d-%d" % (os.getpid(), next(_seq)), "provider": True, "partner": False,
            "responsible_email": w.padmin.email}, as_=self.admin))
        self.add_org_member(w.prov["id"], w.padmin, "ADMIN")
        self.add_org_member(w.prov["id"], w.padmin2, "ADMIN")
        self.add_org_member(w.prov["id"], w.pdev, "DEVELOPER")
        n = "%d-%d" % (os.getpid(), next(_seq))
        w.api = self.ok(201, self.call("POST", "/api/v1/orgs/%s/apis" % w.prov["id"], {
            "name": "Orders API %s" % n, "service": "svc-%s" % n,
            "path_prefixes": ["/p-%s" % n]}, as_=w.padmin))
        w.plan = self.ok(201, self.call("POST", "/api/v1/apis/%s/plans" % w.api["id"],
                                        {"name": "Gold"}, as_=w.padmin))
        w.qadmin = self.new_person("qadmin", name="Quinn Partner")
        w.part = self.new_partner_org(w.qadmin)
        w.owner = self.new_person("owner", name="Olga Owner")
        w.owner2 = self.new_person("owner2", name="Otto Owner")
        w.dev = self.new_person("adev", name="Dev Eloper")
        for person in (w.owner, w.owner2, w.dev):
            self.add_org_member(w.part["id"], person, "DEVELOPER")
        w.app = self.ok(201, self.call("POST", "/api/v1/orgs/%s/apps" % w.part["id"],
                                       {"name": "Shop <b>%s</b>" % n}, as_=w.owner))
        for person, role in ((w.owner2, "OWNER"), (w.dev, "DEVELOPER")):
            self.ok(201, self.call("POST", "/api/v1/apps/%s/members" % w.app["id"],
                                   {"email": person.email, "role": role}, as_=w.owner))
        return w

    def subscribe(self, w):
        return self.ok(201, self.call("POST", "/api/v1/apps/%s/subscriptions" % w.app["id"],
                                      {"api": w.api["id"], "plan": w.plan["id"]}, as_=w.owner))

    def act(self, sub_id, action, as_, reason=None):
        body = {"reason": reason} if reason is not None else None
        return self.ok(200, self.call("POST", "/api/v1/subscriptions/%s/%s" % (sub_id, action),
                                      body, as_=as_))

    def set_access(self, w, status, reason=None, as_=None):
        body = {"provider_org": w.prov["id"], "status": status}
        if reason is not None:
            body["reason"] = reason
        return self.ok(200, self.call("PUT", "/api/v1/apps/%s/access-status" % w.app["id"], body,
                                      as_=as_ or w.padmin))

    # --- the outbox and the mail directory ----------------------------------------

    def rows(self, event, org_id=None, channel="email"):
        """Outbox rows of event (for org_id), oldest first, as dicts."""
        db = sqlite3.connect("file:%s?mode=ro" % self.server.db, uri=True, timeout=5)
        db.row_factory = sqlite3.Row
        try:
            q = "SELECT * FROM outbox WHERE event = ? AND channel = ?"
            args = [event, channel]
            if org_id is not None:
                q += " AND org_id = ?"
                args.append(org_id)
            return [dict(r) for r in db.execute(q + " ORDER BY created_at, id", args)]
        finally:
            db.close()

    def recipients(self, event, org_id):
        got = [r["recipient"].lower() for r in self.rows(event, org_id)]
        self.assertEqual(len(got), len(set(got)), "one mail per address: %r" % got)
        return set(got)

    def wait_eml(self, address, subject_part, timeout=5.0):
        """The .eml written for address whose subject contains subject_part."""
        deadline = time.monotonic() + timeout
        while True:
            for msg in self.mails_to(address):
                if subject_part in str(msg["Subject"]):
                    return msg
            if time.monotonic() > deadline:
                self.fail("no mail to %s with %r in its subject within %.0fs" % (
                    address, subject_part, timeout))
            time.sleep(0.05)

    def parts(self, msg):
        """(text, html) of a multipart/alternative mail."""
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        text = msg.get_body(preferencelist=("plain",)).get_content()
        html = msg.get_body(preferencelist=("html",)).get_content()
        return text, html


class EventsTest(NotifyBase):

    def test_red_and_green_reach_responsible_and_owners_with_the_reason(self):
        w = self.world()
        self.subscribe(w)
        self.set_access(w, "red", SCRIPT_REASON)
        expect = {w.qadmin.email, w.owner.email, w.owner2.email}
        self.assertEqual(self.recipients("app.access_status.red", w.part["id"]), expect)
        msg = self.wait_eml(w.owner2.email, "Access blocked")
        text, html = self.parts(msg)
        self.assertIn(SCRIPT_REASON, text)
        self.assertIn(w.app["id"], text)
        self.assertIn(w.prov["name"], text)
        self.assertIn("Paula Provider <%s>" % w.padmin.email, text)  # by whom
        self.assertIn(ESCAPED_REASON, html)
        self.assertNotIn("<script>", html)
        self.assertIn("&lt;b&gt;", html)  # the app's name escaped too
        self.assertIn("Hello Otto Owner", text)
        # the DEVELOPER and the provider side get nothing
        for person in (w.dev, w.pdev, w.padmin):
            self.assertEqual([m for m in self.mails_to(person.email)
                              if "Access blocked" in str(m["Subject"])], [])

        self.set_access(w, "green", as_=self.admin)
        self.assertEqual(self.recipients("app.access_status.green", w.part["id"]), expect)
        text, html = self.parts(self.wait_eml(w.qadmin.email, "Access restored"))
        self.assertIn("(no reason given)", text)
        self.assertIn("a platform admin", text)

    def test_subscription_events_go_to_the_other_side(self):
        w = self.world()
        sub = self.subscribe(w)
        provider_side = {w.padmin.email, w.padmin2.email}
        partner_side = {w.qadmin.email, w.owner.email, w.owner2.email}
        self.assertEqual(
            self.recipients("subscription.activation_requested", w.prov["id"]), provider_side)
        text, html = self.parts(self.wait_eml(w.padmin2.email, "Activation requested"))
        self.assertIn("/api/v1/subscriptions/%s/activate" % sub["id"], text)
        self.assertIn("Olga Owner", text)
        self.assertNotIn(sub.get("access_token") or "ghat_", text)

        self.act(sub["id"], "deactivate", w.padmin, reason="no <contract> yet")
        self.assertEqual(self.recipients("subscription.rejected", w.part["id"]), partner_side)
        text, html = self.parts(self.wait_eml(w.owner.email, "Subscription rejected"))
        self.assertIn("no <contract> yet", text)
        self.assertIn("no &lt;contract&gt; yet", html)
        self.assertIn("/api/v1/subscriptions/%s/request-activation" % sub["id"], text)

        self.act(sub["id"], "request-activation", w.owner, reason="contract signed")
        self.assertEqual(len(self.rows("subscription.activation_requested", w.prov["id"])), 4)
        self.act(sub["id"], "activate", w.padmin2, reason="welcome")
        self.assertEqual(self.recipients("subscription.activated", w.part["id"]), partner_side)
        text, _ = self.parts(self.wait_eml(w.owner2.email, "Subscription activated"))
        self.assertIn("welcome", text)
        self.assertIn("Piet Provider", text)

        self.act(sub["id"], "request-deactivation", w.dev)
        self.assertEqual(self.recipients("subscription.deactivation_requested", w.prov["id"]),
                         provider_side)
        text, _ = self.parts(self.wait_eml(w.padmin.email, "Deactivation requested"))
        self.assertIn("(no reason given)", text)
        self.assertIn("Dev Eloper", text)

        self.act(sub["id"], "deactivate", w.padmin, reason="contract ended")
        self.assertEqual(self.recipients("subscription.deactivated", w.part["id"]), partner_side)
        # nobody on the acting side was told about their own actions
        self.assertEqual(self.rows("subscription.activated", w.prov["id"]), [])
        self.assertEqual(self.rows("subscription.deactivated", w.prov["id"]), [])

    def test_secret_rotation_and_api_key_go_to_the_owners(self):
        w = self.world()
        owners = {w.owner.email, w.owner2.email}
        rotated = self.ok(200, self.call("POST", "/api/v1/apps/%s/client-secret" % w.app["id"],
                                         {"grace_seconds": 3600}, as_=w.owner2))
        self.assertEqual(self.recipients("app.client_secret.rotated", w.part["id"]), owners)
        text, _ = self.parts(self.wait_eml(w.owner.email, "Client secret rotated"))
        self.assertIn("Otto Owner", text)
        self.assertIn(w.app["client_id"], text)
        self.assertNotIn(rotated["client_secret"], text)

        key = self.ok(201, self.call("POST", "/api/v1/apps/%s/api-keys" % w.app["id"],
                                     {"name": "ci <key>", "expires_in_days": 90}, as_=w.owner))
        self.assertEqual(self.recipients("app.api_key.created", w.part["id"]), owners)
        msg = self.wait_eml(w.owner2.email, "API key created")
        text, html = self.parts(msg)
        self.assertIn(key["id"], text)
        self.assertIn("ci <key>", text)
        self.assertIn("ci &lt;key&gt;", html)
        self.assertNotIn(key["key"], msg.as_string())
        self.assertEqual(self.rows("app.api_key.created", None, channel="email")[-1]["org_id"],
                         w.part["id"])

    def test_a_responsible_person_who_is_also_an_owner_gets_one_mail(self):
        w = self.world()
        self.ok(200, self.call("PATCH", "/api/v1/orgs/%s" % w.part["id"],
                               {"responsible_email": w.owner.email.upper()}, as_=self.admin))
        self.subscribe(w)
        self.set_access(w, "red", "once only")
        self.assertEqual(self.recipients("app.access_status.red", w.part["id"]),
                         {w.owner.email, w.owner2.email})

    def test_webhooks_of_the_told_org_get_the_same_facts(self):
        w = self.world()
        hook = self.ok(201, self.call("POST", "/api/v1/orgs/%s/webhooks" % w.part["id"],
                                      {"url": "http://127.0.0.1:9/hook"}, as_=w.qadmin))
        self.subscribe(w)
        self.set_access(w, "red", SCRIPT_REASON)
        rows = self.rows("app.access_status.red", w.part["id"], channel="webhook")
        self.assertEqual([r["recipient"] for r in rows], [hook["id"]])
        body = json.loads(rows[0]["body"])
        self.assertEqual(body["type"], "app.access_status.red")
        data = body["data"]
        self.assertEqual(data["app"], {"id": w.app["id"], "name": w.app["name"]})
        self.assertEqual(data["provider_org"]["id"], w.prov["id"])
        self.assertEqual(data["status"], "red")
        self.assertEqual(data["reason"], SCRIPT_REASON)
        self.assertEqual(data["actor"]["email"], w.padmin.email)
        self.assertNotIn(hook["secret"], rows[0]["body"])
        # the provider's webhooks hear of the activation request
        phook = self.ok(201, self.call("POST", "/api/v1/orgs/%s/webhooks" % w.prov["id"],
                                       {"url": "http://127.0.0.1:9/p"}, as_=w.padmin))
        n = "%d-%d" % (os.getpid(), next(_seq))
        api2 = self.ok(201, self.call("POST", "/api/v1/orgs/%s/apis" % w.prov["id"], {
            "name": "Second API %s" % n, "service": "svc2-%s" % n,
            "path_prefixes": ["/q-%s" % n]}, as_=w.padmin))
        plan2 = self.ok(201, self.call("POST", "/api/v1/apis/%s/plans" % api2["id"],
                                       {"name": "Silver"}, as_=w.padmin))
        sub = self.ok(201, self.call("POST", "/api/v1/apps/%s/subscriptions" % w.app["id"],
                                     {"api": api2["id"], "plan": plan2["id"]}, as_=w.owner))
        rows = self.rows("subscription.activation_requested", w.prov["id"], channel="webhook")
        mine = [json.loads(r["body"])["data"] for r in rows if r["recipient"] == phook["id"]]
        self.assertEqual([d["subscription"]["id"] for d in mine], [sub["id"]])
        self.assertEqual(mine[0]["status"], "activation-requested")
        self.assertEqual(mine[0]["reason"], None)
        self.assertNotIn("access_token", json.dumps(mine[0]))

    def test_account_mails_keep_working_with_html(self):
        addr = self.register(self.unique_email("acct"), name="Ann & O'Neil")
        msg = self.wait_mail(addr)
        text, html = self.parts(msg)
        self.assertIn("Hello Ann & O'Neil", text)
        self.assertIn("Hello Ann &amp; O&#39;Neil", html)
        token = self.mail_token(msg)
        self.assertIn(token, html)
        self.ok(200, self.call("POST", "/api/v1/verify-email", {"token": token}))


class OverrideTest(NotifyBase):
    """--mail-templates DIR replaces single templates."""

    @classmethod
    def setUpClass(cls):
        cls.tpl_dir = tempfile.mkdtemp(prefix="gh-tpl-")
        with open(os.path.join(cls.tpl_dir, "app.access_status.red.subject"), "w") as f:
            f.write("[{{product}}] {{app_name}} blocked by {{provider_name}}\n")
        with open(os.path.join(cls.tpl_dir, "app.access_status.red.html"), "w") as f:
            f.write("<p class=\"custom\">Why: {{reason}}</p>\n")
        with open(os.path.join(cls.tpl_dir, "README"), "w") as f:
            f.write("ignored\n")
        cls.server_args = ["--mail-templates", cls.tpl_dir]
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.tpl_dir, ignore_errors=True)

    def test_overrides_are_used_and_the_rest_stays(self):
        w = self.world()
        self.subscribe(w)
        self.set_access(w, "red", SCRIPT_REASON)
        msg = self.wait_eml(w.qadmin.email, "blocked by")
        self.assertEqual(str(msg["Subject"]), "[gatehouse] %s blocked by %s" % (
            w.app["name"], w.prov["name"]))
        text, html = self.parts(msg)
        self.assertEqual(html.strip(), "<p class=\"custom\">Why: %s</p>" % ESCAPED_REASON)
        self.assertIn("Reason given by the provider", text)  # the built-in text part
        self.assertIn(SCRIPT_REASON, text)


class BadTemplateTest(unittest.TestCase):
    """A template that cannot be used stops start-up: exit 2, a clear message."""

    def start_with(self, files):
        d = tempfile.mkdtemp(prefix="gh-tpl-")
        self.addCleanup(shutil.rmtree, d, True)
        for name, content in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(content)
        tmp = tempfile.mkdtemp(prefix="gh-it-")
        self.addCleanup(shutil.rmtree, tmp, True)
        p = harness.run_cli(["serve", "--listen", "127.0.0.1:0", "--db",
                             os.path.join(tmp, "gh.db"), "--mail-templates", d], cwd=tmp)
        return p

    def test_unknown_placeholder_event_and_missing_dir(self):
        p = self.start_with({"app.access_status.red.txt": "Hi {{secret}}\n"})
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("app.access_status.red.txt", p.stderr)
        self.assertIn("unknown placeholder {{secret}}", p.stderr)
        p = self.start_with({"app.access_status.purple.subject": "x\n"})
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("unknown event 'app.access_status.purple'", p.stderr)
        p = self.start_with({"user.verify_email.subject": "two\nlines\n"})
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("one non-empty line", p.stderr)
        p = harness.run_cli(["serve", "--listen", "127.0.0.1:0", "--mail-templates",
                             "/nonexistent/gh-templates"], cwd=tempfile.gettempdir())
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("/nonexistent/gh-templates", p.stderr)


class ExpiringKeyTest(NotifyBase):
    """The scan runs on the serve loop's first tick and then every minute;
    restarting the server (same database and mail directory) makes it run
    again at once."""

    @classmethod
    def setUpClass(cls):
        cls.shared_mail = tempfile.mkdtemp(prefix="gh-mail-")
        cls.server_args = ["--mail-dir", cls.shared_mail]
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.shared_mail, ignore_errors=True)

    @property
    def mail_dir(self):
        return self.shared_mail

    def restart(self):
        old = type(self).server
        self.addClassCleanup(old.cleanup)  # its tmpdir holds the database
        self.assertEqual(old.stop(), 0)
        new = harness.Server(args=self.server_args, db=old.db)
        try:
            new.start()
        except BaseException:
            new.cleanup()
            raise
        type(self).server = new

    def expiring_mails(self, address):
        return [m for m in self.mails_to(address) if "API key expires" in str(m["Subject"])]

    def test_keys_expiring_within_a_week_are_announced_once(self):
        w = self.world()
        soon = self.ok(201, self.call("POST", "/api/v1/apps/%s/api-keys" % w.app["id"],
                                      {"name": "soon-key", "expires_in_days": 3}, as_=w.owner))
        self.ok(201, self.call("POST", "/api/v1/apps/%s/api-keys" % w.app["id"],
                               {"name": "late-key", "expires_in_days": 30}, as_=w.owner))
        self.restart()
        msg = self.wait_eml(w.owner2.email, "API key expires", timeout=15)
        self.assertEqual(str(msg["Subject"]), "API key expires in 3 days: soon-key of app %s"
                         % w.app["name"])
        text, html = self.parts(msg)
        self.assertIn(soon["id"], text)
        self.assertIn("soon-key", text)
        self.assertNotIn("late-key", text)
        self.assertEqual(self.recipients("app.api_key.expiring", w.part["id"]),
                         {w.owner.email, w.owner2.email})
        self.assertEqual(len(self.expiring_mails(w.owner.email)), 1)
        # a restart scans again at once: nothing new is announced
        self.restart()
        time.sleep(7)  # past the first tick (5 s) of the new server's loop
        self.assertEqual(len(self.rows("app.api_key.expiring", w.part["id"])), 2)
        self.assertEqual(len(self.expiring_mails(w.owner.email)), 1)
        self.assertEqual(self.expiring_mails(w.dev.email), [])
