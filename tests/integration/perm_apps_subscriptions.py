"""The subscriptions and access-status area's requests for the permission
matrix, part 2 (test_permissions_apps.py).  Reads use the fixture's t.sub;
every POST works on a fresh API and plan of t.provider with a fresh
subscription of t.app brought (by the platform admin) into the status the
action starts from, so cells stay independent.  PUT access-status sets
t.provider's status for t.app to green, which changes nothing another row
depends on."""

import itertools
import os

_seq = itertools.count(1)

# the action and the statuses its fresh subscription is brought through
TRANSITIONS = {
    "POST /api/v1/subscriptions/{id}/activate": ("activate", []),
    "POST /api/v1/subscriptions/{id}/request-deactivation": ("request-deactivation",
                                                             ["activate"]),
    "POST /api/v1/subscriptions/{id}/deactivate": ("deactivate", []),
    "POST /api/v1/subscriptions/{id}/request-activation": ("request-activation",
                                                           ["deactivate"]),
}

ROUTES = (
    "POST /api/v1/apps/{app}/subscriptions",
    "GET /api/v1/apps/{app}/subscriptions",
    "GET /api/v1/apis/{api}/subscriptions",
    "GET /api/v1/subscriptions/{id}",
    "GET /api/v1/subscriptions/{id}/history",
    "GET /api/v1/apps/{app}/access-status",
    "PUT /api/v1/apps/{app}/access-status",
) + tuple(TRANSITIONS)


def fresh_api_and_plan(t):
    api = t.new_api(t.provider["id"], as_=t.admin,
                    name="Perm Sub API %d-%d" % (os.getpid(), next(_seq)))
    return api, t.new_plan(api["id"], as_=t.admin)


def fresh_subscription(t, steps):
    api, plan = fresh_api_and_plan(t)
    sub = t.new_subscription(t.app["id"], api["id"], plan["id"], as_=t.admin)
    for action in steps:
        t.ok(200, t.call("POST", "/api/v1/subscriptions/%s/%s" % (sub["id"], action),
                         as_=t.admin))
    return sub


def request(t, route, kind):
    if route not in ROUTES:
        return None
    who = t.caller(kind)
    app_base = "/api/v1/apps/%s" % t.app["id"]
    if route == "POST /api/v1/apps/{app}/subscriptions":
        api, plan = fresh_api_and_plan(t)
        return ("POST", app_base + "/subscriptions", {"api": api["id"], "plan": plan["id"]}, who)
    if route == "GET /api/v1/apps/{app}/subscriptions":
        return ("GET", app_base + "/subscriptions", None, who)
    if route == "GET /api/v1/apis/{api}/subscriptions":
        return ("GET", "/api/v1/apis/%s/subscriptions" % t.api["id"], None, who)
    if route == "GET /api/v1/subscriptions/{id}":
        return ("GET", "/api/v1/subscriptions/%s" % t.sub["id"], None, who)
    if route == "GET /api/v1/subscriptions/{id}/history":
        return ("GET", "/api/v1/subscriptions/%s/history" % t.sub["id"], None, who)
    if route == "GET /api/v1/apps/{app}/access-status":
        return ("GET", app_base + "/access-status", None, who)
    if route == "PUT /api/v1/apps/{app}/access-status":
        return ("PUT", app_base + "/access-status",
                {"provider_org": t.provider["id"], "status": "green"}, who)
    action, steps = TRANSITIONS[route]
    # anonymous and outsiders are refused before anything is looked at
    sub = t.sub if kind in ("anonymous", "outsider") else fresh_subscription(t, steps)
    return ("POST", "/api/v1/subscriptions/%s/%s" % (sub["id"], action),
            {"reason": "permission matrix"}, who)
