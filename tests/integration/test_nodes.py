"""Several gatehouse nodes on one PostgreSQL (issue 8), through HTTP.

Two nodes, A and B, share a throwaway cluster (pg_world.Cluster; a machine
without PostgreSQL fails here, it does not skip).  What one node commits
reaches the other's in-memory snapshot through LISTEN/NOTIFY:

- an app created on A gets a token on B, which passes the check on A; the
  app set red on A is refused by B;
- a token issued by A is introspected and revoked on B and then refused by
  the check on A (JWT: jti deny-list; opaque: the row);
- a signing key rotated with `gatehouse keys rotate --db postgres://…` is
  published by both nodes and signs tokens both accept; the old key retired
  with `keys retire` leaves both JWKS and its tokens are refused by both;
- propagation delay over 120 changes (access status flipped on A, B's check
  polled every millisecond or so): the distribution is printed, p99 <= 100 ms;
- PostgreSQL restarted while both serve: checks keep being answered from
  the snapshot, /readyz says not ready, both recover by themselves and apply
  changes made afterwards on either node;
- a change written behind gatehouse's back (no notification) is applied by
  the periodic re-read (--snapshot-refresh);
- a node cut off from the database (a proxy between them, --max-staleness
  2) answers from its snapshot, then refuses hot paths with 503 past the
  limit, and once the database is back catches up with what the other node
  changed meanwhile.
"""

import base64
import itertools
import json
import sys
import threading
import time
import unittest
import urllib.parse

import harness
import pg_world

# Nodes behind one load balancer share the issuer (tokens of one are the
# other's): by default each would name itself after its own listen address.
NODE_ARGS = ["--log-level", "warn", "--threads", "2", "--issuer", "https://gatehouse.test"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


_seq = itertools.count(1)


def tag():
    return "%x%04x" % (int(time.time() * 1000) % 0xFFFFFF, next(_seq))


class Node:
    """HTTP to one node over a kept-alive connection (reopened after an error)."""

    def __init__(self, server, admin):
        self.server = server
        self.admin = admin
        self.client = None

    def request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            if self.client is None:
                self.client = harness.Client(self.server.port)
            try:
                return self.client.request(method, path, body=body, headers=headers)
            except (OSError, harness.http.client.HTTPException):
                self.client.close()
                self.client = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.client:
            self.client.close()
            self.client = None

    def mgmt(self, method, path, body=None):
        h = {"Authorization": "Bearer " + self.admin, "Content-Type": "application/json"}
        return self.request(method, path, json.dumps(body).encode() if body is not None else None,
                            h)

    def form(self, path, fields):
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(), FORM)

    def token(self, app, audience):
        return self.form("/connect/token", {
            "grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "resource": audience,
            "acr_values": "tenant:%s" % app["tenant"]})

    def check(self, prefix, token):
        return self.request("GET", "/authz/check", headers={
            "X-Original-URI": prefix + "/items", "X-Original-Method": "GET",
            "Authorization": "Bearer " + token})


def jwt_kid(token):
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


class NodesTestBase(unittest.TestCase):
    cluster = None
    nodes = ()

    @classmethod
    def setUpClass(cls):
        cls.cluster = pg_world.Cluster().start()
        try:
            cls.a_srv = cls.cluster.node(NODE_ARGS)
            cls.admin = cls.cluster.admin_token()
            cls.b_srv = cls.cluster.node(NODE_ARGS)
            cls.a = Node(cls.a_srv, cls.admin)
            cls.b = Node(cls.b_srv, cls.admin)
            cls.make_world()
        except BaseException:
            cls.cluster.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for n in (cls.a, cls.b):
                n.close()
            for srv in cls.cluster.nodes:
                was_running = srv.running()
                rc = srv.stop()
                if not was_running or rc != 0:
                    sys.stderr.write("\nnode %s\n" % srv.describe())
                if not was_running:
                    raise AssertionError("a node died during the tests (exit status %s)" % rc)
                if rc != 0:
                    raise AssertionError("a node's exit status after SIGTERM is %s, not 0" % rc)
        finally:
            cls.cluster.stop()

    def run(self, result=None):
        # on failure, show what every node logged during the test
        starts = [(s, len(s.stderr_bytes())) for s in (self.cluster.nodes if self.cluster else [])]
        before = len(result.failures) + len(result.errors) if result is not None else 0
        result = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            for srv, start in starts:
                sys.stderr.write("\n%s failed; node on port %s:\n%s\n" % (
                    self.id(), srv.port, srv.describe(start)))
        return result

    @classmethod
    def make_world(cls):
        t = tag()
        ok = cls.ok_cls
        cls.provider = ok(cls.a.mgmt("POST", "/api/v1/orgs",
                                     {"name": "Provider %s" % t, "provider": True}), 201)
        cls.tenant = "nodes-%s" % t
        cls.partner = ok(cls.a.mgmt("POST", "/api/v1/orgs", {"name": "Partner %s" % t,
                                                             "partner": True,
                                                             "tenant": cls.tenant}), 201)
        cls.prefix = "/nodes-%s" % t
        cls.audience = "aud-nodes-%s" % t
        cls.api = ok(cls.a.mgmt("POST", "/api/v1/orgs/%s/apis" % cls.provider["id"], {
            "name": "Nodes %s" % t, "service": "svc-%s" % t, "audience": cls.audience,
            "path_prefixes": [cls.prefix], "auth_method": "oauth2",
            "subscription_required": True}), 201)
        cls.plan = ok(cls.a.mgmt("POST", "/api/v1/apis/%s/plans" % cls.api["id"],
                                 {"name": "Auto", "approval": "auto"}), 201)

    @staticmethod
    def ok_cls(r, status):
        if r.status != status:
            raise AssertionError("expected %d, got %r" % (status, r))
        return r.json()

    def ok(self, r, status=200):
        self.assertEqual(r.status, status, r)
        return r.json() if r.body else None

    def new_app(self, node, **fields):
        """An app of the partner subscribed to the API, both made on node."""
        body = {"name": "App %s" % tag()}
        body.update(fields)
        app = self.ok(node.mgmt("POST", "/api/v1/orgs/%s/apps" % self.partner["id"], body), 201)
        sub = self.ok(node.mgmt("POST", "/api/v1/apps/%s/subscriptions" % app["id"],
                                {"api": self.api["id"], "plan": self.plan["id"]}), 201)
        self.assertEqual(sub["status"], "active", sub)
        app["tenant"] = self.tenant
        return app

    def set_access(self, node, app, status):
        self.ok(node.mgmt("PUT", "/api/v1/apps/%s/access-status" % app["id"],
                          dict({"provider_org": self.provider["id"], "status": status},
                               **({"reason": "nodes test"} if status == "red" else {}))))

    def token_on(self, node, app):
        r = node.token(app, self.audience)
        self.assertEqual(r.status, 200, r)
        return r.json()["access_token"]

    def fresh_token(self, node, app, timeout=2.0):
        """A token of node for an app just made (maybe on another node): the
        first one node's own check accepts, i.e. once the app and its
        subscription have reached node (a token carries the services its
        node knew of)."""
        def attempt():
            r = node.token(app, self.audience)
            if r.status != 200:
                return None
            t = r.json()["access_token"]
            return t if node.check(self.prefix, t).status == 200 else None
        return self.wait_for("a token of :%d that its check accepts" % node.server.port, attempt,
                             timeout)

    def metric(self, node, name):
        r = node.request("GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        for line in r.body.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        self.fail("no %s in /metrics of :%d" % (name, node.server.port))

    def wait_for(self, what, fn, timeout=3.0, interval=0.005):
        """Polls fn() until it returns a true value; fails with what after timeout."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = fn()
            if last:
                return last
            time.sleep(interval)
        self.fail("%s: not within %.1fs (last: %r)" % (what, timeout, last))

    def check_now(self, node, token, want):
        """node's check answers want at once."""
        r = node.check(self.prefix, token)
        self.assertEqual(r.status, want, r)
        return r

    def check_status(self, node, token, want, timeout=3.0):
        """Polls node's check until it answers want; returns that answer."""
        box = []

        def probe():
            r = node.check(self.prefix, token)
            box[:] = [r]
            return r.status == want
        self.wait_for("check on :%d answering %d" % (node.server.port, want), probe, timeout)
        return box[0]


class CrossNodeTest(NodesTestBase):

    def test_app_made_on_a_gets_token_on_b_check_on_a_red_on_a_refused_by_b(self):
        app = self.new_app(self.a)
        # B has it without a restart: its token endpoint knows the new client
        token = self.fresh_token(self.b, app)
        self.check_now(self.a, token, 200)
        self.check_now(self.b, token, 200)
        self.set_access(self.a, app, "red")
        refused = self.check_status(self.b, token, 403, timeout=1.0)
        harness.check_error_shape(self, refused, 403)
        self.check_now(self.a, token, 403)
        # and back: green on B is applied by A
        self.set_access(self.b, app, "green")
        self.check_status(self.a, token, 200, timeout=1.0)

    def introspect(self, node, app, token):
        return self.ok(node.form("/oauth2/introspect", {
            "token": token, "client_id": app["client_id"],
            "client_secret": app["client_secret"]}))

    def revoke_on_b_refused_on_a(self, app):
        token = self.fresh_token(self.a, app)  # and cached by A's check
        doc = self.introspect(self.b, app, token)
        self.assertIs(doc.get("active"), True, doc)
        self.assertEqual(doc.get("client_id"), app["client_id"], doc)
        r = self.b.form("/oauth2/revoke", {"token": token, "client_id": app["client_id"],
                                           "client_secret": app["client_secret"]})
        self.assertEqual(r.status, 200, r)
        refused = self.check_status(self.a, token, 401, timeout=1.0)
        harness.check_error_shape(self, refused, 401)
        self.assertIn("revoked", refused.json()["errors"][0]["message"])
        self.assertEqual(self.introspect(self.a, app, token), {"active": False})
        return token

    def test_jwt_issued_on_a_introspected_and_revoked_on_b_refused_on_a(self):
        token = self.revoke_on_b_refused_on_a(self.new_app(self.b, token_type="jwt"))
        self.assertEqual(token.count("."), 2, token)

    def test_opaque_token_issued_on_a_introspected_and_revoked_on_b_refused_on_a(self):
        token = self.revoke_on_b_refused_on_a(self.new_app(self.b, token_type="uuid"))
        self.assertNotIn(".", token)

    def jwks_kids(self, node):
        return [k["kid"] for k in self.ok(node.request("GET", "/jwks.json"))["keys"]]

    def test_key_rotated_and_retired_by_cli_both_nodes_follow(self):
        app = self.new_app(self.a)
        old_token = self.fresh_token(self.a, app)
        old_kid = jwt_kid(old_token)
        self.check_status(self.b, old_token, 200)  # once the app has reached B
        p = self.cluster.cli("keys", "rotate", "--lead", "5")
        self.assertEqual(p.returncode, 0, p)
        kid = p.stdout.strip()
        self.assertTrue(kid, p)
        for node in (self.a, self.b):
            self.wait_for("kid %s in JWKS of :%d" % (kid, node.server.port),
                          lambda: kid in self.jwks_kids(node), timeout=2.0)
        # after the lead time a node's key tick makes it the signing key
        # (every node may do it; the first commit wins and the others follow)
        for issuer, checker in ((self.a, self.b), (self.b, self.a)):
            token = self.wait_for(
                "a token of :%d signed by %s" % (issuer.server.port, kid),
                lambda: (lambda t: t if jwt_kid(t) == kid else None)(self.token_on(issuer, app)),
                timeout=20.0, interval=0.2)
            self.check_now(checker, token, 200)
            self.check_now(issuer, token, 200)
        # the old key retired (as if compromised): gone from both JWKS, and
        # what it signed is refused by both checks
        p = self.cluster.cli("keys", "retire", old_kid)
        self.assertEqual(p.returncode, 0, p)
        for node in (self.a, self.b):
            self.wait_for("kid %s gone from JWKS of :%d" % (old_kid, node.server.port),
                          lambda: old_kid not in self.jwks_kids(node), timeout=2.0)
            refused = self.check_status(node, old_token, 401, timeout=2.0)
            harness.check_error_shape(self, refused, 401)


class PropagationTest(NodesTestBase):
    CHANGES = 120

    def test_access_status_changes_on_a_reach_b_p99_under_100ms(self):
        app = self.new_app(self.a)
        token = self.fresh_token(self.a, app)
        self.check_status(self.b, token, 200)
        delays = []
        for i in range(self.CHANGES):
            red = i % 2 == 0
            want = 403 if red else 200
            t0 = time.monotonic()  # before the change is sent: an upper bound
            self.set_access(self.a, app, "red" if red else "green")
            while True:
                r = self.b.check(self.prefix, token)
                now = time.monotonic()
                if r.status == want:
                    break
                self.assertIn(r.status, (200, 403), r)
                self.assertLess(now - t0, 5.0, "change %d not on B after 5 s" % i)
                time.sleep(0.001)
            delays.append((now - t0) * 1000.0)
        delays.sort()

        def pct(p):
            return delays[min(len(delays) - 1, int(round(p / 100.0 * len(delays) + 0.5)) - 1)]
        line = ("propagation A -> B over %d changes (ms, from sending the change to B's check "
                "answering it): min %.1f  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f" % (
                    len(delays), delays[0], pct(50), pct(90), pct(99), delays[-1]))
        sys.stderr.write("\n" + line + "\n")
        self.assertLessEqual(pct(99), 100.0, line)
        self.assertEqual(self.metric(self.b, "gatehouse_change_feed_up"), 1)
        self.assertGreaterEqual(self.metric(self.b, "gatehouse_change_notifications_total"),
                                self.CHANGES)


class OutageTest(NodesTestBase):

    def readyz(self, node):
        r = node.request("GET", "/readyz")
        return r.status, (r.json() if r.body else {})

    def test_postgres_restart_nodes_serve_from_snapshot_and_recover(self):
        app = self.new_app(self.a)
        token = self.fresh_token(self.b, app)
        for node in (self.a, self.b):
            self.check_now(node, token, 200)
            self.assertEqual(self.readyz(node)[0], 200)
        done = threading.Event()
        failure = []

        def restart():
            try:
                self.cluster.restart()
            except BaseException as e:  # reported by the main thread
                failure.append(e)
            finally:
                done.set()
        th = threading.Thread(target=restart)
        th.start()
        seen_down = {self.a: [], self.b: []}
        checks = []
        deadline = time.monotonic() + 90
        try:
            while time.monotonic() < deadline:
                for node in (self.a, self.b):
                    checks.append(node.check(self.prefix, token).status)
                    status, doc = self.readyz(node)
                    if status != 200:
                        seen_down[node].append((status, doc))
                if done.is_set() and all(self.readyz(n)[0] == 200 for n in (self.a, self.b)) \
                        and all(seen_down.values()):
                    break
                time.sleep(0.005)
        finally:
            th.join()
        self.assertFalse(failure, failure)
        # the check never stopped answering from the snapshot
        self.assertTrue(checks)
        self.assertEqual(set(checks), {200}, "check answers during the outage: %r"
                         % sorted(set(checks)))
        for node in (self.a, self.b):
            self.assertTrue(seen_down[node], "/readyz of :%d never said not ready"
                            % node.server.port)
            for status, doc in seen_down[node]:
                self.assertEqual(status, 503, doc)
                self.assertEqual(doc.get("status"), "not ready", doc)
            # (a probe may first meet a dead pool connection; the change
            # feed's own reason follows within milliseconds)
            self.assertTrue([d for _, d in seen_down[node]
                             if "database unreachable since" in d.get("reason", "")],
                            seen_down[node][:5])
            # ready again by itself
            self.wait_for("/readyz of :%d ready again" % node.server.port,
                          lambda: self.readyz(node)[0] == 200, timeout=15.0, interval=0.05)
            self.assertGreaterEqual(self.metric(node, "gatehouse_change_feed_reconnects_total"), 1)
        # changes after recovery are applied, whichever node makes them
        self.set_access(self.a, app, "red")
        self.check_status(self.b, token, 403, timeout=2.0)
        self.set_access(self.b, app, "green")
        self.check_status(self.a, token, 200, timeout=2.0)
        # and both still issue tokens that the other accepts
        self.check_now(self.a, self.token_on(self.b, app), 200)


class SafetyNetTest(NodesTestBase):

    def test_periodic_reread_applies_a_change_nobody_announced(self):
        d_srv = self.cluster.node(NODE_ARGS + ["--snapshot-refresh", "1"])
        d = Node(d_srv, self.admin)
        self.addCleanup(d.close)
        app = self.new_app(self.a)
        token = self.fresh_token(d, app)
        self.check_status(self.a, token, 200)
        # written behind gatehouse's back: no NOTIFY
        self.cluster.sql("INSERT INTO access_statuses (app_id, provider_org_id, status, reason, "
                         "set_at) VALUES ('%s', '%s', 'red', 'by hand', 1)"
                         % (app["id"], self.provider["id"]))
        self.check_now(self.a, token, 200)  # A re-reads every 30 s: not yet
        # D re-reads every second
        refused = self.check_status(d, token, 403, timeout=3.0)
        harness.check_error_shape(self, refused, 403)


class StalenessTest(NodesTestBase):
    """Node C reaches the database through a proxy that the test cuts."""

    MAX_STALENESS = 2

    def test_cut_off_node_answers_then_refuses_then_catches_up(self):
        port = int(self.cluster.url.rsplit(":", 1)[1].split("/")[0])
        proxy = pg_world.Proxy(port).open()
        self.addCleanup(lambda: proxy.up and proxy.cut())
        c_srv = self.cluster.node(NODE_ARGS + ["--max-staleness", str(self.MAX_STALENESS)],
                                  url=proxy.url_for(self.cluster.url))
        c = Node(c_srv, self.admin)
        self.addCleanup(c.close)
        app = self.new_app(self.a)
        token = self.fresh_token(c, app)
        self.wait_for("C ready", lambda: c.request("GET", "/readyz").status == 200)

        proxy.cut()
        cut_at = time.monotonic()
        # (a probe may first meet a dead pool connection; the feed's own
        # message follows within milliseconds)
        r = self.wait_for("C not ready after the cut, feed down",
                          lambda: (lambda r: r if r.status == 503 and "database unreachable since"
                                   in r.json().get("reason", "") else None)(
                              c.request("GET", "/readyz")), timeout=5.0)
        self.assertEqual(r.json()["status"], "not ready", r)
        # within the limit: answered from the snapshot
        if time.monotonic() - cut_at < self.MAX_STALENESS - 0.5:
            self.check_now(c, token, 200)
        # the other node changes something meanwhile
        self.set_access(self.a, app, "red")
        self.check_status(self.b, token, 403, timeout=1.0)

        # past the limit: hot paths refuse rather than answer from old data
        refused = self.check_status(c, token, 503, timeout=self.MAX_STALENESS + 5.0)
        doc = harness.check_error_shape(self, refused, 503)
        self.assertIn("unreachable", doc["errors"][0]["message"])
        self.assertGreaterEqual(time.monotonic() - cut_at, self.MAX_STALENESS - 0.5)
        r = c.token(app, self.audience)
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["error"], "temporarily_unavailable", r)
        r = c.form("/oauth2/introspect", {"token": token, "client_id": app["client_id"],
                                          "client_secret": app["client_secret"]})
        self.assertEqual(r.status, 503, r)
        self.assertEqual(c.request("GET", "/readyz").status, 503)

        # the database is back: C recovers by itself and has the change made meanwhile
        proxy.open()
        self.wait_for("C ready again", lambda: c.request("GET", "/readyz").status == 200,
                      timeout=15.0, interval=0.05)
        self.check_now(c, token, 403)
        self.set_access(self.b, app, "green")
        self.check_status(c, token, 200, timeout=1.0)


if __name__ == "__main__":
    unittest.main()
