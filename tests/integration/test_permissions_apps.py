"""The permission matrix, part 2 (APIs, plans, apps, credentials,
subscriptions, access status): walks the second table of
docs/permissions.md against the real server.

Each area supplies the representative request of its rows in a module
tests/integration/perm_apps_<area>.py:

    def request(t, route, kind):
        '''(method, path, body, as_) for route as kind, or None if not mine.'''

t is this test: the fixture (t.provider, t.api, t.plan, t.partner, t.app,
t.sub) and helpers (t.caller(kind), t.call, t.ok, t.new_person, …).  Rows
with side effects must build fresh objects so that cells stay independent.
"""

import glob
import importlib
import itertools
import os

import api
from test_permissions import parse_matrix

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ["anonymous", "outsider", "READ_ONLY", "DEVELOPER", "OWNER", "partner ADMIN",
         "provider ADMIN", "platform admin"]
_seq = itertools.count(1)


def area_modules():
    mods = []
    for path in sorted(glob.glob(os.path.join(HERE, "perm_apps_*.py"))):
        mods.append(importlib.import_module(os.path.basename(path)[:-3]))
    return mods


class AppPermissionMatrixTest(api.ApiTestCase):

    # --- the shared fixture -------------------------------------------------

    def seq(self):
        return "%d-%d" % (os.getpid(), next(_seq))

    def add_org_member(self, org_id, person, role):
        return self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % org_id,
                                      {"email": person.email, "role": role}, as_=self.admin))

    def add_app_member(self, app_id, person, role, as_=None):
        return self.ok(201, self.call("POST", "/api/v1/apps/%s/members" % app_id,
                                      {"email": person.email, "role": role},
                                      as_=as_ or self.owner))

    def new_provider(self, admin_person):
        """A provider org whose ADMIN is admin_person."""
        org = self.ok(201, self.call("POST", "/api/v1/orgs", {
            "name": "Provider %s" % self.seq(), "provider": True, "partner": False,
            "responsible_email": admin_person.email}, as_=self.admin))
        self.add_org_member(org["id"], admin_person, "ADMIN")
        return org

    def new_api(self, provider_id, as_=None, **fields):
        n = self.seq()
        body = {"name": "Matrix API %s" % n, "service": "mx-%s" % n,
                "path_prefixes": ["/mx-%s" % n]}
        body.update(fields)
        return self.ok(201, self.call("POST", "/api/v1/orgs/%s/apis" % provider_id, body,
                                      as_=as_ or self.provider_admin))

    def new_plan(self, api_id, as_=None, **fields):
        body = {"name": "Plan %s" % self.seq()}
        body.update(fields)
        return self.ok(201, self.call("POST", "/api/v1/apis/%s/plans" % api_id, body,
                                      as_=as_ or self.provider_admin))

    def new_app(self, as_=None, **fields):
        body = {"name": "Matrix App %s" % self.seq()}
        body.update(fields)
        return self.ok(201, self.call("POST", "/api/v1/orgs/%s/apps" % self.partner["id"], body,
                                      as_=as_ or self.owner))

    def new_subscription(self, app_id, api_id, plan_id, as_=None):
        return self.ok(201, self.call("POST", "/api/v1/apps/%s/subscriptions" % app_id,
                                      {"api": api_id, "plan": plan_id}, as_=as_ or self.owner))

    def make_fixture(self):
        self.outsider = self.new_person("mx4-out", name="Otto Outsider")
        self.provider_admin = self.new_person("mx4-padmin", name="Paula Provider")
        self.partner_admin = self.new_person("mx4-qadmin", name="Quinn Partner")
        self.owner = self.new_person("mx4-owner", name="Olga Owner")
        self.developer = self.new_person("mx4-dev", name="Dev Eloper")
        self.read_only = self.new_person("mx4-ro", name="Rudi Reader")
        self.provider = self.new_provider(self.provider_admin)
        self.api = self.new_api(self.provider["id"])
        self.plan = self.new_plan(self.api["id"])
        self.partner = self.new_partner_org(self.partner_admin)
        for person in (self.owner, self.developer, self.read_only):
            self.add_org_member(self.partner["id"], person, "DEVELOPER")
        self.app = self.new_app()
        self.add_app_member(self.app["id"], self.developer, "DEVELOPER")
        self.add_app_member(self.app["id"], self.read_only, "READ_ONLY")
        self.sub = self.new_subscription(self.app["id"], self.api["id"], self.plan["id"])

    def caller(self, kind):
        return {"anonymous": None, "outsider": self.outsider, "READ_ONLY": self.read_only,
                "DEVELOPER": self.developer, "OWNER": self.owner,
                "partner ADMIN": self.partner_admin, "provider ADMIN": self.provider_admin,
                "platform admin": self.admin}[kind]

    # --- the walk -----------------------------------------------------------

    def test_every_cell_of_the_matrix(self):
        rows = parse_matrix(kinds=KINDS)
        self.assertTrue(rows, "part 2 of docs/permissions.md has no rows")
        modules = area_modules()
        self.make_fixture()
        mismatches = []
        for route, expected in rows:
            for kind in KINDS:
                req = None
                for mod in modules:
                    req = mod.request(self, route, kind)
                    if req is not None:
                        break
                if req is None:
                    self.fail("docs/permissions.md lists %r, for which no perm_apps_*.py "
                              "module has a request" % route)
                method, path, body, who = req
                r = self.call(method, path, body, as_=who)
                if r.status != expected[kind]:
                    mismatches.append("%s as %s: expected %d, got %d %s" % (
                        route, kind, expected[kind], r.status, r.body[:200]))
                elif r.status >= 400:
                    api.harness.check_error_shape(self, r, r.status)
        self.assertEqual(mismatches, [], "\n".join(mismatches))
