"""The permission matrix: docs/permissions.md lists every /api/v1 route and,
for each kind of caller, the status a well-formed request gets.  This test
parses that table and walks all of it against the real server, and checks
that the table and the OpenAPI document name the same routes."""

import itertools
import os
import re
import time

import api

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "permissions.md")
KINDS = ["anonymous", "person", "DEVELOPER", "ADMIN", "platform admin"]
PERSON_KINDS = ("person", "DEVELOPER", "ADMIN")
_tenants = itertools.count(1)


def parse_matrix(path=DOC, kinds=KINDS):
    """[(route, {kind: status})] from the '| route | …' table whose caller
    columns are kinds (the document has one table per part of the API)."""
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f]
    start = None
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("|") and cells[0] == "route" and cells[1:] == kinds:
            start = i
            break
    if start is None:
        raise AssertionError("no '| route | %s |' table in %s" % (" | ".join(kinds), path))
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != len(header):
            raise AssertionError("matrix row has %d cells, not %d: %s" % (len(cells), len(header), line))
        statuses = {}
        for kind, cell in zip(kinds, cells[1:]):
            m = re.match(r"(\d{3})\b", cell)
            if not m:
                raise AssertionError("cell %r of %r is not a status" % (cell, cells[0]))
            statuses[kind] = int(m.group(1))
        rows.append((cells[0], statuses))
    return rows


def all_routes(path=DOC):
    """The first column of every '| route | …' table of the document."""
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f]
    routes = []
    in_table = False
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")] if line.startswith("|") else None
        if cells and cells[0] == "route":
            in_table = True
        elif in_table and cells and not set(cells[0]) <= set("-: "):
            routes.append(cells[0])
        elif not cells:
            in_table = False
    return routes


def route_key(route):
    """'GET /api/v1/audit?org={org}' -> ('GET', '/api/v1/audit')."""
    method, target = route.split(" ", 1)
    return method, target.split("?", 1)[0]


class PermissionMatrixTest(api.ApiTestCase):

    def test_table_parses_and_names_distinct_rows(self):
        rows = parse_matrix()
        routes = all_routes()
        self.assertEqual(len(routes), len(set(routes)), "a route is listed twice")
        self.assertGreaterEqual(len(rows), 25)

    def test_table_covers_every_route_of_the_openapi_document(self):
        doc = self.ok(200, self.call("GET", "/api/v1/openapi.json"))
        documented = set()
        for path, item in doc["paths"].items():
            if not path.startswith("/api/v1/"):
                continue
            for method in item:
                if method in ("get", "post", "put", "patch", "delete"):
                    documented.add((method.upper(), path))
        listed = {route_key(r) for r in all_routes()}
        self.assertEqual(documented - listed, set(), "routes missing from docs/permissions.md")
        self.assertEqual(listed - documented, set(), "routes in docs/permissions.md the API lacks")

    # --- the walk -----------------------------------------------------------

    def make_fixture(self):
        self.org_admin = self.new_person("mx-admin", name="Ada Admin")
        self.org_dev = self.new_person("mx-dev", name="Dev Eloper")
        self.outsider = self.new_person("mx-out", name="Otto Outsider")
        self.org = self.new_partner_org(self.org_admin)
        self.add_member(self.org["id"], self.org_dev.email, "DEVELOPER")

    def add_member(self, org_id, email_addr, role):
        return self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % org_id,
                                      {"email": email_addr, "role": role}, as_=self.admin))

    def caller(self, kind):
        return {"anonymous": None, "person": self.outsider, "DEVELOPER": self.org_dev,
                "ADMIN": self.org_admin, "platform admin": self.admin}[kind]

    def verified(self, stem):
        """A registered, verified person who is not logged in: (email, user)."""
        addr = self.register(self.unique_email(stem))
        return addr, self.verify(addr)

    def reset_token(self, addr, timeout=5.0):
        """The token of the password-reset mail to addr.  (Mail files of one
        second sort by message id, so "the newest" cannot be told by name.)"""
        deadline = time.monotonic() + timeout
        while True:
            for msg in self.mails_to(addr):
                m = re.search(r"/password-reset\?token=([A-Za-z0-9_-]+)", self.mail_text(msg))
                if m:
                    return m.group(1)
            if time.monotonic() > deadline:
                self.fail("no password-reset mail to %s" % addr)
            time.sleep(0.02)

    def fresh_member(self):
        addr, user = self.verified("mx-member")
        self.add_member(self.org["id"], addr, "DEVELOPER")
        return user["id"]

    def request_for(self, route, kind):
        """(method, path, body, as_) of the representative request of a row."""
        who = self.caller(kind)
        org = self.org["id"]
        body = None
        method, _ = route.split(" ", 1)
        if route == "GET /api/v1/openapi.json":
            path = "/api/v1/openapi.json"
        elif route == "POST /api/v1/register":
            path = "/api/v1/register"
            body = {"email": self.unique_email("mx-reg"), "password": api.PASSWORD,
                    "name": "Rita Register"}
        elif route == "POST /api/v1/verify-email":
            addr = self.register(self.unique_email("mx-verify"))
            path, body = "/api/v1/verify-email", {"token": self.mail_token(self.wait_mail(addr))}
        elif route == "POST /api/v1/password-reset":
            addr, _ = self.verified("mx-reset")
            path, body = "/api/v1/password-reset", {"email": addr}
        elif route == "POST /api/v1/password-reset/confirm":
            addr, _ = self.verified("mx-confirm")
            self.assertEqual(self.call("POST", "/api/v1/password-reset", {"email": addr}).status, 202)
            token = self.reset_token(addr)
            path = "/api/v1/password-reset/confirm"
            body = {"token": token, "password": "another fine passphrase 77"}
        elif route == "POST /api/v1/session":
            path, body = "/api/v1/session", {"email": self.outsider.email, "password": api.PASSWORD}
        elif route == "DELETE /api/v1/session":
            path = "/api/v1/session"
            if kind in PERSON_KINDS:
                who = self.login(who.email)  # its own fresh session: the row ends it
        elif route in ("GET /api/v1/me", "GET /api/v1/me/tokens"):
            path = route.split(" ", 1)[1]
        elif route == "POST /api/v1/me/tokens":
            path, body = "/api/v1/me/tokens", {"name": "matrix-token"}
        elif route == "DELETE /api/v1/me/tokens/{id}":
            owner = who if kind in PERSON_KINDS else self.outsider
            tok = self.ok(201, self.call("POST", "/api/v1/me/tokens", {"name": "to-delete"}, as_=owner))
            path = "/api/v1/me/tokens/%s" % tok["id"]
        elif route == "GET /api/v1/developers":
            path = "/api/v1/developers"
        elif route == "GET /api/v1/developers/{id}":
            path = "/api/v1/developers/%s" % self.outsider.id
        elif route == "DELETE /api/v1/developers/{id}":
            _, user = self.verified("mx-gone")
            path = "/api/v1/developers/%s" % user["id"]
        elif route == "POST /api/v1/orgs":
            path = "/api/v1/orgs"
            body = {"name": "Matrix partner", "partner": True,
                    "tenant": "mx-%d-%d" % (os.getpid(), next(_tenants))}
        elif route == "GET /api/v1/orgs":
            path = "/api/v1/orgs"
        elif route == "GET /api/v1/orgs/{org}":
            path = "/api/v1/orgs/%s" % org
        elif route == "PATCH /api/v1/orgs/{org}":
            path, body = "/api/v1/orgs/%s" % org, {"description": "changed by %s" % kind}
        elif route == "DELETE /api/v1/orgs/{org}":
            fresh = self.new_partner_org(self.org_admin)
            self.add_member(fresh["id"], self.org_dev.email, "DEVELOPER")
            path = "/api/v1/orgs/%s" % fresh["id"]
        elif route == "PUT /api/v1/orgs/{org}/customer-numbers":
            path, body = "/api/v1/orgs/%s/customer-numbers" % org, {"customer_numbers": ["10001"]}
        elif route == "PUT /api/v1/orgs/{org}/roles":
            path, body = "/api/v1/orgs/%s/roles" % org, {"roles": ["gold"]}
        elif route == "GET /api/v1/orgs/{org}/members":
            path = "/api/v1/orgs/%s/members" % org
        elif route == "POST /api/v1/orgs/{org}/members":
            addr, _ = self.verified("mx-new")
            path, body = "/api/v1/orgs/%s/members" % org, {"email": addr, "role": "DEVELOPER"}
        elif route == "PATCH /api/v1/orgs/{org}/members/{user}":
            path = "/api/v1/orgs/%s/members/%s" % (org, self.fresh_member())
            body = {"role": "ADMIN"}
        elif route == "DELETE /api/v1/orgs/{org}/members/{user}":
            path = "/api/v1/orgs/%s/members/%s" % (org, self.fresh_member())
        elif route == "GET /api/v1/audit":
            path = "/api/v1/audit"
        elif route == "GET /api/v1/audit?org={org}":
            path = "/api/v1/audit?org=%s" % org
        else:
            self.fail("docs/permissions.md lists %r, which this test has no request for" % route)
        return method, path, body, who

    def test_every_cell_of_the_matrix(self):
        rows = parse_matrix()
        self.make_fixture()
        mismatches = []
        cells = 0
        for route, expected in rows:
            for kind in KINDS:
                method, path, body, who = self.request_for(route, kind)
                r = self.call(method, path, body, as_=who)
                cells += 1
                if r.status != expected[kind]:
                    mismatches.append("%s as %s: expected %d, got %d %s" % (
                        route, kind, expected[kind], r.status, r.body[:200]))
                elif r.status >= 400:
                    api.harness.check_error_shape(self, r, r.status)
                if r.status == 401:
                    self.assertTrue(r.header("WWW-Authenticate"), r)
        self.assertEqual(cells, len(rows) * len(KINDS))
        self.assertEqual(mismatches, [], "\n".join(mismatches))
        # The org survived every row (only fresh orgs were deleted).
        self.ok(200, self.call("GET", "/api/v1/orgs/%s" % self.org["id"], as_=self.admin))
