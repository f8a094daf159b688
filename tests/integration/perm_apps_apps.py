"""The apps area's requests for the permission matrix, part 2
(test_permissions_apps.py): apps, their client secret and credentials, and
their members.  Rows that change or remove an app act on a fresh app of the
partner org (OWNER t.owner, with t.developer as DEVELOPER and t.read_only as
READ_ONLY), so that cells stay independent and the shared t.app keeps its
secret."""

import itertools
import os

_seq = itertools.count(1)


def _fresh_app(t, extra_member=False):
    app = t.new_app()
    t.add_app_member(app["id"], t.developer, "DEVELOPER")
    t.add_app_member(app["id"], t.read_only, "READ_ONLY")
    if extra_member:
        t.add_app_member(app["id"], t.partner_admin, "READ_ONLY")
    return app


def request(t, route, kind):
    who = t.caller(kind)
    org = t.partner["id"]
    app = t.app["id"]
    if route == "POST /api/v1/orgs/{org}/apps":
        return ("POST", "/api/v1/orgs/%s/apps" % org, {"name": "Matrix New App"}, who)
    if route == "GET /api/v1/orgs/{org}/apps":
        return ("GET", "/api/v1/orgs/%s/apps" % org, None, who)
    if route == "GET /api/v1/apps/{app}":
        return ("GET", "/api/v1/apps/%s" % app, None, who)
    if route == "PATCH /api/v1/apps/{app}":
        return ("PATCH", "/api/v1/apps/%s" % app, {"description": "Edited by the matrix"}, who)
    if route == "PATCH /api/v1/apps/{app}?field=redirect_uris":
        return ("PATCH", "/api/v1/apps/%s" % app,
                {"redirect_uris": ["https://matrix.example/cb"]}, who)
    if route == "DELETE /api/v1/apps/{app}":
        return ("DELETE", "/api/v1/apps/%s" % _fresh_app(t)["id"], None, who)
    if route == "POST /api/v1/apps/{app}/client-secret":
        return ("POST", "/api/v1/apps/%s/client-secret" % _fresh_app(t)["id"],
                {"grace_seconds": 60}, who)
    if route == "PUT /api/v1/apps/{app}/client-credentials":
        cid = "mx-client-%d-%d" % (os.getpid(), next(_seq))
        return ("PUT", "/api/v1/apps/%s/client-credentials" % _fresh_app(t)["id"],
                {"client_id": cid}, who)
    if route == "GET /api/v1/apps/{app}/members":
        return ("GET", "/api/v1/apps/%s/members" % app, None, who)
    if route == "POST /api/v1/apps/{app}/members":
        return ("POST", "/api/v1/apps/%s/members" % _fresh_app(t)["id"],
                {"email": t.partner_admin.email, "role": "READ_ONLY"}, who)
    if route == "PATCH /api/v1/apps/{app}/members/{user}":
        return ("PATCH", "/api/v1/apps/%s/members/%s" % (_fresh_app(t)["id"], t.read_only.id),
                {"role": "DEVELOPER"}, who)
    if route == "DELETE /api/v1/apps/{app}/members/{user}":
        fresh = _fresh_app(t, extra_member=True)
        return ("DELETE", "/api/v1/apps/%s/members/%s" % (fresh["id"], t.partner_admin.id),
                None, who)
    return None
