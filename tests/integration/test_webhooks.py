"""Organizations' webhooks (src/portal/webhooks.c, webhook_send.c, the
webhook channel of mailer.c) and the per-org deliveries view (outbox.c).

A loopback HTTP receiver thread (http.server) records every POST and checks
its Standard Webhooks signature independently: HMAC-SHA256 with the
base64-decoded part of the whsec_ secret over "<webhook-id>.<webhook-
timestamp>.<body>", base64, compared in constant time with the v1 entries
of webhook-signature, and the timestamp within five minutes of now.  Paths
choose its answer: /ok 200, /flaky 500 then 200, /redirect 302 (to a path
that counts if anything follows it) until switched to 200.  gatehouse runs
with --mail-retry-base 1 and --mail-max-attempts 3 so retries are quick.

Checked: creation answers the secret once (never in GET, list, audit or
logs); setting an app red delivers one correctly signed JSON event with the
reason to the partner org's webhook (and nothing to a webhook that did not
ask for that event); 500 then 200 delivers twice with the same webhook-id
and ends sent; a 302 is not followed and ends failed with "HTTP 302:
redirect not followed", and the retry endpoint makes it pending again and
delivers it; invalid URLs and events are 400 naming the field; deleting
works (204, then 404); org ADMINs and platform admins may, DEVELOPERs get
403, other orgs' ADMINs and strangers 404, anonymous 401 (and every cell of
the docs/permissions.md webhooks table); the webhook counters of /metrics;
a SIGKILL of gatehouse while the receiver holds a delivery loses nothing:
after a restart the same webhook-id arrives again and ends sent.
"""

import base64
import hashlib
import hmac
import http.server
import itertools
import json
import os
import re
import sqlite3
import threading
import time

import api
import harness

_seq = itertools.count(1)
TOLERANCE = 300  # seconds, as the Standard Webhooks reference libraries
SLOW_SECS = 6
LEASE_SECS = 300  # GH_STORE_OUTBOX_LEASE_SECS


def tag():
    return "%d-%d" % (os.getpid(), next(_seq))


def verify(secret, headers, body):
    """Whether the Standard Webhooks signature of a request is valid."""
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sig = headers.get("webhook-signature")
    if not (msg_id and ts and sig and secret.startswith("whsec_")):
        return False
    try:
        ts_i = int(ts)
    except ValueError:
        return False
    if abs(time.time() - ts_i) > TOLERANCE:
        return False
    key = base64.b64decode(secret[len("whsec_"):])
    expected = base64.b64encode(
        hmac.new(key, ("%s.%s." % (msg_id, ts)).encode() + body, hashlib.sha256).digest())
    for part in sig.split(" "):
        version, _, value = part.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return True
    return False


class Receiver:
    """A loopback webhook receiver; secrets[path] verifies each POST."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []  # dicts: path, headers, body, valid
        self.secrets = {}
        self.flaky_seen = set()
        self.redirect_ok = set()
        self.slow_seen = set()
        self.in_flight = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                path = self.path
                headers = {k.lower(): v for k, v in self.headers.items()}
                with outer.lock:
                    secret = outer.secrets.get(path.split("?")[0], "")
                    outer.requests.append({"path": path, "headers": headers, "body": body,
                                           "valid": verify(secret, headers, body)})
                    status = 200
                    if path.startswith("/flaky") and path not in outer.flaky_seen:
                        outer.flaky_seen.add(path)
                        status = 500
                    elif path.startswith("/redirect") and path not in outer.redirect_ok:
                        status = 302
                    slow = path.startswith("/slow") and path not in outer.slow_seen
                    if slow:
                        outer.slow_seen.add(path)
                if slow:
                    # received, but the answer comes too late for a sender
                    # that is killed meanwhile
                    outer.in_flight.set()
                    time.sleep(SLOW_SECS)
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "/followed")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

            def handle(self):
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender was killed mid-request

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def got(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def wait(self, path, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.got(path)
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError("%d request(s) to %s within %.0fs, wanted %d"
                                     % (len(got), path, timeout, count))
            time.sleep(0.02)


class ReceiverCase(api.ApiTestCase):
    """A server and a loopback receiver, and the helpers of the tests."""

    server_args = ["--mail-retry-base", "1", "--mail-max-attempts", "3",
                   "--webhook-connect-timeout", "2", "--webhook-timeout", "10"]

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        try:
            super().setUpClass()
        except BaseException:
            cls.receiver.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.receiver.stop()

    # --- helpers --------------------------------------------------------------

    def mgmt(self, method, path, body=None, status=200):
        return self.ok(status, self.call(method, path, body, as_=self.admin))

    def world(self):
        """(provider tuple, partner org, subscribed app)."""
        t = tag()
        prov = self.mgmt("POST", "/api/v1/orgs", {"name": "Provider %s" % t, "provider": True},
                         201)
        a = self.mgmt("POST", "/api/v1/orgs/%s/apis" % prov["id"],
                      {"name": "API %s" % t, "service": "svc-%s" % t,
                       "path_prefixes": ["/p-%s" % t]}, 201)
        plan = self.mgmt("POST", "/api/v1/apis/%s/plans" % a["id"],
                         {"name": "Auto %s" % t, "approval": "auto"}, 201)
        partner = self.mgmt("POST", "/api/v1/orgs",
                            {"name": "Partner %s" % t, "partner": True, "tenant": "pt-%s" % t,
                             "responsible_email": "resp-%s@partner.test" % t}, 201)
        app = self.mgmt("POST", "/api/v1/orgs/%s/apps" % partner["id"],
                        {"name": "App %s" % t}, 201)
        self.mgmt("POST", "/api/v1/apps/%s/subscriptions" % app["id"],
                  {"api": a["id"], "plan": plan["id"]}, 201)
        return prov, partner, app

    def set_access(self, prov, app, status, reason):
        return self.mgmt("PUT", "/api/v1/apps/%s/access-status" % app["id"],
                         {"provider_org": prov["id"], "status": status, "reason": reason})

    def hook(self, org, path, events=None, as_=None):
        body = {"url": self.receiver.url(path), "description": "test %s" % path}
        if events is not None:
            body["events"] = events
        w = self.ok(201, self.call("POST", "/api/v1/orgs/%s/webhooks" % org["id"], body,
                                   as_=as_ or self.admin))
        with self.receiver.lock:
            self.receiver.secrets[path] = w["secret"]
        return w

    def deliveries(self, org, query="", as_=None):
        return self.ok(200, self.call("GET", "/api/v1/orgs/%s/deliveries?per_page=100%s"
                                      % (org["id"], query), as_=as_ or self.admin))["items"]

    def wait_delivery(self, org, webhook_id, pred, timeout=15.0):
        deadline = time.monotonic() + timeout
        while True:
            items = [d for d in self.deliveries(org) if d["webhook_id"] == webhook_id]
            if items and pred(items[0]):
                return items[0]
            if time.monotonic() > deadline:
                self.fail("delivery of %s never matched; last %r" % (webhook_id, items))
            time.sleep(0.05)


class WebhooksTest(ReceiverCase):

    def test_secret_shown_once(self):
        _, partner, _ = self.world()
        w = self.hook(partner, "/once-%s" % tag(), events=["app.access_status.red"])
        self.assertRegex(w["secret"], r"^whsec_[A-Za-z0-9+/]{43}=$")
        self.assertEqual(len(base64.b64decode(w["secret"][6:])), 32)
        self.assertRegex(w["id"], r"^wh_[a-z2-7]{26}$")
        self.assertEqual(w["org_id"], partner["id"])
        self.assertEqual(w["events"], ["app.access_status.red"])
        self.assertTrue(w["enabled"])
        got = self.mgmt("GET", "/api/v1/orgs/%s/webhooks/%s" % (partner["id"], w["id"]))
        self.assertNotIn("secret", got)
        self.assertEqual(got["url"], w["url"])
        listed = self.mgmt("GET", "/api/v1/orgs/%s/webhooks" % partner["id"])
        self.assertEqual([x["id"] for x in listed["items"]], [w["id"]])
        self.assertEqual(listed["total"], 1)
        self.assertNotIn("secret", listed["items"][0])
        secret_b64 = w["secret"][6:]
        db = sqlite3.connect("file:%s?mode=ro" % self.server.db, uri=True, timeout=5)
        try:
            audit = db.execute("SELECT action, changes_json FROM audit_events WHERE object_id = ?",
                               (w["id"],)).fetchall()
            stored = db.execute("SELECT secret_enc FROM webhooks WHERE id = ?",
                                (w["id"],)).fetchone()[0]
        finally:
            db.close()
        self.assertEqual([a for a, _ in audit], ["webhook.create"])
        self.assertNotIn(secret_b64, audit[0][1])
        self.assertNotIn(secret_b64, stored)
        self.assertNotIn(secret_b64, self.server.stderr_text())

    def test_red_status_delivers_a_signed_event_with_the_reason(self):
        prov, partner, app = self.world()
        path = "/red-%s" % tag()
        w = self.hook(partner, path, events=["app.access_status.red"])
        other = self.hook(partner, "/green-only-%s" % tag(), events=["app.access_status.green"])
        reason = "Rechnung 2026-117 ist überfällig"
        self.set_access(prov, app, "red", reason)
        req = self.receiver.wait(path, 1)[0]
        self.assertTrue(req["valid"], req)
        self.assertEqual(req["headers"]["content-type"], "application/json")
        self.assertEqual(req["headers"]["user-agent"], "gatehouse")
        self.assertRegex(req["headers"]["webhook-id"], r"^msg_[a-z2-7]{26}$")
        event = json.loads(req["body"])
        self.assertEqual(event["type"], "app.access_status.red")
        self.assertRegex(event["timestamp"], r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
        self.assertIn(reason, json.dumps(event["data"], ensure_ascii=False))
        self.assertIn(app["id"], json.dumps(event["data"]))
        d = self.wait_delivery(partner, w["id"], lambda d: d["state"] == "sent")
        self.assertEqual(d["id"], req["headers"]["webhook-id"])
        self.assertEqual(d["channel"], "webhook")
        self.assertEqual(d["event"], "app.access_status.red")
        self.assertEqual(d["attempts"], 1)
        self.assertIsNone(d["last_error"])
        self.assertNotIn("body", d)
        self.assertNotIn("recipient", d)
        # delivered once, and not to the webhook that asked for green only
        time.sleep(0.5)
        self.assertEqual(len(self.receiver.got(path)), 1)
        self.assertEqual(self.receiver.got(other["url"][len(self.receiver.url("")):]), [])
        self.assertEqual([x for x in self.deliveries(partner) if x["webhook_id"] == other["id"]],
                         [])
        # the filters of the list
        self.assertEqual([x["id"] for x in self.deliveries(
            partner, "&state=sent&event=app.access_status.red&channel=webhook")
            if x["webhook_id"] == w["id"]], [d["id"]])
        self.assertEqual(self.deliveries(partner, "&event=app.access_status.green"), [])
        self.refused(400, self.call("GET", "/api/v1/orgs/%s/deliveries?state=done"
                                    % partner["id"], as_=self.admin), field="state")

    def test_500_then_200_is_retried_with_the_same_id(self):
        prov, partner, app = self.world()
        path = "/flaky-%s" % tag()
        w = self.hook(partner, path)
        self.set_access(prov, app, "red", "flaky reason")
        got = self.receiver.wait(path, 2)
        self.assertEqual(got[0]["headers"]["webhook-id"], got[1]["headers"]["webhook-id"])
        self.assertTrue(all(r["valid"] for r in got), got)
        self.assertEqual(got[0]["body"], got[1]["body"])
        d = self.wait_delivery(partner, w["id"], lambda d: d["state"] == "sent")
        self.assertEqual(d["attempts"], 2)
        self.assertIsNone(d["last_error"])
        r = self.get("/metrics")
        self.assertEqual(r.status, 200, r)
        m = {}
        for line in r.body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                m[name] = float(value)
        self.assertGreaterEqual(m["gatehouse_webhook_sent_total"], 1, m)
        self.assertGreaterEqual(m["gatehouse_webhook_attempt_failures_total"], 1, m)
        self.assertIn("gatehouse_webhook_failed_total", m)
        rec = self.server.wait_for_log(
            lambda r: r.get("msg") == "webhook.attempt_failed" and r.get("msg_id") == d["id"],
            timeout=2.0)
        self.assertIsNotNone(rec, "no webhook.attempt_failed log record")
        self.assertEqual(rec.get("error"), "HTTP 500")
        self.assertEqual(rec.get("webhook_id"), w["id"])
        self.assertIs(rec.get("final"), False)
        with self.receiver.lock:
            secret = self.receiver.secrets[path]
        self.assertNotIn(secret[6:], self.server.stderr_text())

    def test_redirect_is_not_followed_and_retry_delivers(self):
        prov, partner, app = self.world()
        path = "/redirect-%s" % tag()
        w = self.hook(partner, path, events=["app.access_status.red"])
        self.set_access(prov, app, "red", "redirect reason")
        d = self.wait_delivery(partner, w["id"], lambda d: d["state"] == "failed")
        self.assertEqual(d["attempts"], 3)
        self.assertEqual(d["last_error"], "HTTP 302: redirect not followed")
        self.assertIsNone(d["next_attempt_at"])
        self.assertEqual(len(self.receiver.got(path)), 3)
        self.assertEqual(self.receiver.got("/followed"), [])
        failed = self.deliveries(partner, "&state=failed")
        self.assertIn(d["id"], [x["id"] for x in failed])
        # the receiver is fixed; the org's ADMIN retries
        with self.receiver.lock:
            self.receiver.redirect_ok.add(path)
        r = self.mgmt("POST", "/api/v1/orgs/%s/deliveries/%s/retry" % (partner["id"], d["id"]))
        self.assertEqual(r["state"], "pending")
        self.assertEqual(r["attempts"], 0)
        got = self.receiver.wait(path, 4)
        self.assertEqual(got[3]["headers"]["webhook-id"], d["id"])
        self.assertTrue(got[3]["valid"])
        d = self.wait_delivery(partner, w["id"], lambda d: d["state"] == "sent")
        self.assertEqual(d["attempts"], 1)
        # a sent delivery is not sent again; another org's id is unknown here
        self.refused(409, self.call("POST", "/api/v1/orgs/%s/deliveries/%s/retry"
                                    % (partner["id"], d["id"]), as_=self.admin))
        _, other, _ = self.world()
        self.refused(404, self.call("POST", "/api/v1/orgs/%s/deliveries/%s/retry"
                                    % (other["id"], d["id"]), as_=self.admin))

    def test_invalid_urls_and_events_are_refused(self):
        _, partner, _ = self.world()
        base = "/api/v1/orgs/%s/webhooks" % partner["id"]
        for url in ["ftp://127.0.0.1/x", "http://user:pw@127.0.0.1/x", "/relative",
                    "http://", "https://exa mple.test/", "javascript:alert(1)",
                    "http://127.0.0.1:99999/", "http://x.test/" + "a" * 2048]:
            self.refused(400, self.call("POST", base, {"url": url}, as_=self.admin), field="url")
        self.refused(400, self.call("POST", base, {"description": "no url"}, as_=self.admin),
                     field="url")
        self.refused(400, self.call("POST", base, {"url": "https://ok.test/",
                                                   "events": ["app.nope"]}, as_=self.admin),
                     field="events")
        self.refused(400, self.call("POST", base, {"url": "https://ok.test/",
                                                   "events": "app.access_status.red"},
                                    as_=self.admin), field="events")
        self.refused(400, self.call("POST", base, {"url": "https://ok.test/", "secret": "mine"},
                                    as_=self.admin))
        self.assertEqual(self.mgmt("GET", base)["total"], 0)

    def test_delete(self):
        _, partner, _ = self.world()
        w = self.hook(partner, "/del-%s" % tag())
        path = "/api/v1/orgs/%s/webhooks/%s" % (partner["id"], w["id"])
        self.ok(204, self.call("DELETE", path, as_=self.admin))
        self.refused(404, self.call("GET", path, as_=self.admin))
        self.refused(404, self.call("DELETE", path, as_=self.admin))
        self.assertEqual(self.mgmt("GET", "/api/v1/orgs/%s/webhooks" % partner["id"])["total"], 0)

    def test_who_may(self):
        owner = self.new_person("owner")
        org_a = self.new_partner_org(owner)
        dev = self.new_person("dev")
        self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % org_a["id"],
                               {"email": dev.email, "role": "DEVELOPER"}, as_=owner))
        other_admin = self.new_person("other")
        org_b = self.new_partner_org(other_admin)
        # the org's ADMIN may
        w = self.hook(org_a, "/perm-%s" % tag(), as_=owner)
        hooks = "/api/v1/orgs/%s/webhooks" % org_a["id"]
        one = "%s/%s" % (hooks, w["id"])
        dels = "/api/v1/orgs/%s/deliveries" % org_a["id"]
        self.assertEqual(self.ok(200, self.call("GET", hooks, as_=owner))["total"], 1)
        self.ok(200, self.call("GET", one, as_=owner))
        self.ok(200, self.call("GET", dels, as_=owner))
        # a DEVELOPER of the org: 403
        for method, path, body in [("GET", hooks, None), ("GET", one, None), ("GET", dels, None),
                                   ("POST", hooks, {"url": "https://x.test/"}),
                                   ("DELETE", one, None)]:
            self.refused(403, self.call(method, path, body, as_=dev))
        # another org's ADMIN and a stranger: 404, as if org A did not exist
        stranger = self.new_person("stranger")
        for who in (other_admin, stranger):
            for method, path, body in [("GET", hooks, None), ("GET", one, None),
                                       ("GET", dels, None),
                                       ("POST", hooks, {"url": "https://x.test/"}),
                                       ("DELETE", one, None)]:
                self.refused(404, self.call(method, path, body, as_=who))
        # org B's ADMIN sees only org B's (none), and cannot reach A's webhook through B
        self.assertEqual(self.ok(200, self.call("GET", "/api/v1/orgs/%s/webhooks" % org_b["id"],
                                                as_=other_admin))["total"], 0)
        self.refused(404, self.call("GET", "/api/v1/orgs/%s/webhooks/%s"
                                    % (org_b["id"], w["id"]), as_=other_admin))
        # anonymous
        self.refused(401, self.call("GET", hooks))
        # still there, untouched by the refused deletes
        self.ok(200, self.call("GET", one, as_=owner))


MATRIX_KINDS = ["anonymous", "outsider", "member DEVELOPER", "member ADMIN", "platform admin"]


class WebhooksPermissionTest(api.ApiTestCase):
    """Every cell of the docs/permissions.md webhooks table."""

    server_args = ["--mail-retry-base", "1", "--mail-max-attempts", "3"]

    def mgmt(self, method, path, body=None, status=200):
        return self.ok(status, self.call(method, path, body, as_=self.admin))

    def test_every_cell_of_the_webhooks_permission_table(self):
        from test_permissions import parse_matrix
        rows = parse_matrix(kinds=MATRIX_KINDS)
        self.assertEqual(len(rows), 7)
        t = tag()
        prov = self.mgmt("POST", "/api/v1/orgs", {"name": "Provider %s" % t, "provider": True},
                         201)
        a = self.mgmt("POST", "/api/v1/orgs/%s/apis" % prov["id"],
                      {"name": "API %s" % t, "service": "svc-%s" % t,
                       "path_prefixes": ["/p-%s" % t]}, 201)
        plan = self.mgmt("POST", "/api/v1/apis/%s/plans" % a["id"],
                         {"name": "Auto %s" % t, "approval": "auto"}, 201)
        admin_p = self.new_person("wh-admin")
        dev_p = self.new_person("wh-dev")
        outsider = self.new_person("wh-out")
        org = self.new_partner_org(admin_p)
        self.mgmt("POST", "/api/v1/orgs/%s/members" % org["id"],
                  {"email": dev_p.email, "role": "DEVELOPER"}, 201)
        app = self.mgmt("POST", "/api/v1/orgs/%s/apps" % org["id"], {"name": "App %s" % t}, 201)
        self.mgmt("POST", "/api/v1/apps/%s/subscriptions" % app["id"],
                  {"api": a["id"], "plan": plan["id"]}, 201)
        dead = "http://127.0.0.1:%d/dead" % harness.free_port()
        hook = self.mgmt("POST", "/api/v1/orgs/%s/webhooks" % org["id"], {"url": dead}, 201)
        self.mgmt("PUT", "/api/v1/apps/%s/access-status" % app["id"],
                  {"provider_org": prov["id"], "status": "red", "reason": "matrix"})
        items = self.mgmt("GET", "/api/v1/orgs/%s/deliveries" % org["id"])["items"]
        delivery = [d for d in items if d["webhook_id"] == hook["id"]][0]
        callers = {"anonymous": None, "outsider": outsider, "member DEVELOPER": dev_p,
                   "member ADMIN": admin_p, "platform admin": self.admin}
        base = "/api/v1/orgs/%s" % org["id"]
        for route, statuses in rows:
            for kind, want in statuses.items():
                who = callers[kind]
                body = None
                if route == "GET /api/v1/orgs/{org}/webhooks":
                    method, path = "GET", base + "/webhooks"
                elif route == "POST /api/v1/orgs/{org}/webhooks":
                    method, path, body = "POST", base + "/webhooks", {"url": "https://x.test/"}
                elif route == "GET /api/v1/orgs/{org}/webhooks/{id}":
                    method, path = "GET", "%s/webhooks/%s" % (base, hook["id"])
                elif route == "DELETE /api/v1/orgs/{org}/webhooks/{id}":
                    fresh = self.mgmt("POST", base + "/webhooks", {"url": "https://x.test/"}, 201)
                    method, path = "DELETE", "%s/webhooks/%s" % (base, fresh["id"])
                elif route == "GET /api/v1/orgs/{org}/deliveries":
                    method, path = "GET", base + "/deliveries"
                elif route == "GET /api/v1/orgs/{org}/deliveries?state=failed":
                    method, path = "GET", base + "/deliveries?state=failed"
                elif route == "POST /api/v1/orgs/{org}/deliveries/{id}/retry":
                    method, path = "POST", "%s/deliveries/%s/retry" % (base, delivery["id"])
                else:
                    self.fail("docs/permissions.md lists %r, which this test has no request for"
                              % route)
                r = self.call(method, path, body, as_=who)
                self.assertEqual(r.status, want, "%s as %s: %r" % (route, kind, r))
                if want == 201:
                    self.assertIn("secret", r.json())
                if want >= 400:
                    harness.check_error_shape(self, r, want)


class WebhooksKillTest(ReceiverCase):
    """SIGKILL of gatehouse while the receiver holds a delivery's answer,
    then a restart on the same database with the same flags.  As in
    test_smtp.SmtpKillTest, the claim's lease (300 s, no option shortens it)
    is moved back while gatehouse is down, which is what waiting it out
    would do."""

    def test_sigkill_mid_delivery_loses_nothing(self):
        prov, partner, app = self.world()
        path = "/slow-%s" % tag()
        w = self.hook(partner, path)
        self.set_access(prov, app, "red", "kill reason")
        self.assertTrue(self.receiver.in_flight.wait(10), "no delivery in flight")
        first = self.receiver.got(path)
        self.assertEqual(len(first), 1)
        msg_id = first[0]["headers"]["webhook-id"]

        old = type(self).server
        self.addClassCleanup(old.cleanup)
        started = time.monotonic()
        old.kill()
        self.assertLess(time.monotonic() - started, SLOW_SECS - 1,
                        "the kill did not land while the delivery was in flight")
        db = sqlite3.connect(old.db, timeout=5)
        try:
            with db:
                row = db.execute("SELECT state, attempts FROM outbox WHERE id = ?",
                                 (msg_id,)).fetchone()
                self.assertEqual(row, ("pending", 0))
                db.execute("UPDATE outbox SET next_attempt_at = next_attempt_at - ? "
                           "WHERE id = ?", (LEASE_SECS, msg_id))
        finally:
            db.close()

        new = harness.Server(args=self.server_args, db=old.db)
        try:
            new.start()
        except BaseException:
            new.cleanup()
            raise
        type(self).server = new
        got = self.receiver.wait(path, 2, timeout=15)
        self.assertEqual(got[1]["headers"]["webhook-id"], msg_id)
        self.assertEqual(got[1]["body"], got[0]["body"])
        self.assertTrue(got[0]["valid"] and got[1]["valid"], got)
        d = self.wait_delivery(partner, w["id"], lambda d: d["state"] == "sent")
        self.assertEqual((d["id"], d["attempts"]), (msg_id, 1))
