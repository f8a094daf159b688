"""The APIs-and-plans area's requests for the permission matrix, part 2
(test_permissions_apps.py).  Reads use the fixture's t.api (no required
roles: in every authenticated caller's catalog) and t.plan; every write
works on a fresh API or plan of t.provider, created by the platform admin,
so cells stay independent.  The rows marked ?required_roles=gold use a
fresh API requiring a role no partner holds: outside the catalog of all but
the provider and platform admins, so 404 instead of 403."""

import itertools
import os

_seq = itertools.count(1)

GATED = "?required_roles=gold"
ROUTES = (
    "POST /api/v1/orgs/{org}/apis",
    "GET /api/v1/apis",
    "GET /api/v1/apis/{api}",
    "GET /api/v1/apis/{api}" + GATED,
    "PATCH /api/v1/apis/{api}",
    "PATCH /api/v1/apis/{api}" + GATED,
    "DELETE /api/v1/apis/{api}",
    "GET /api/v1/apis/{api}/plans",
    "POST /api/v1/apis/{api}/plans",
    "PATCH /api/v1/apis/{api}/plans/{plan}",
    "DELETE /api/v1/apis/{api}/plans/{plan}",
)


def seq():
    return "%d-%d" % (os.getpid(), next(_seq))


def api_body():
    n = seq()
    return {"name": "Perm API %s" % n, "service": "perm-%s" % n,
            "path_prefixes": ["/perm-apis-%s" % n]}


def fresh_api(t, **fields):
    return t.new_api(t.provider["id"], as_=t.admin, **fields)


def request(t, route, kind):
    if route not in ROUTES:
        return None
    who = t.caller(kind)
    api_path = "/api/v1/apis/%s" % t.api["id"]
    if route == "POST /api/v1/orgs/{org}/apis":
        return ("POST", "/api/v1/orgs/%s/apis" % t.provider["id"], api_body(), who)
    if route == "GET /api/v1/apis":
        return ("GET", "/api/v1/apis", None, who)
    if route == "GET /api/v1/apis/{api}":
        return ("GET", api_path, None, who)
    if route.endswith(GATED):
        gated = fresh_api(t, required_roles=["gold-%s" % seq()])
        method = route.split(" ", 1)[0]
        body = {"description": "changed"} if method == "PATCH" else None
        return (method, "/api/v1/apis/%s" % gated["id"], body, who)
    if route == "PATCH /api/v1/apis/{api}":
        return ("PATCH", "/api/v1/apis/%s" % fresh_api(t)["id"], {"description": "changed"}, who)
    if route == "DELETE /api/v1/apis/{api}":
        return ("DELETE", "/api/v1/apis/%s" % fresh_api(t)["id"], None, who)
    if route == "GET /api/v1/apis/{api}/plans":
        return ("GET", api_path + "/plans", None, who)
    if route == "POST /api/v1/apis/{api}/plans":
        return ("POST", api_path + "/plans", {"name": "Perm Plan %s" % seq(),
                                              "rate_limit": {"requests": 10, "window_secs": 60}},
                who)
    plan = t.new_plan(t.api["id"], as_=t.admin)
    plan_path = "%s/plans/%s" % (api_path, plan["id"])
    if route == "PATCH /api/v1/apis/{api}/plans/{plan}":
        return ("PATCH", plan_path, {"quota": {"requests": 1000, "period": "day"}}, who)
    return ("DELETE", plan_path, None, who)
