"""What bench/token/setup_world.py and bench/check/setup_world.py share: JSON
calls to gatehouse's management API with a platform-admin token, the
provider/API/plan/partner part of the world both make, and printing the
result as shell assignments for run.sh to eval.  Any HTTP error ends the
script with "setup_world: METHOD PATH -> STATUS BODY".
"""

import json
import os
import shlex
import sys
import urllib.parse
import urllib.error
import urllib.request


class Gatehouse:
    """The management API at BASE (e.g. http://127.0.0.1:8080), as ADMIN."""

    def __init__(self, base, admin):
        self.base = base
        self.admin = admin

    def send(self, method, path, data, headers):
        """One request with a raw body; the answer's JSON, or exits."""
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            sys.exit("setup_world: %s %s -> %d %s" % (method, path, e.code, e.read()[:300]))

    def call(self, method, path, body):
        """One management API call with a JSON body, as the admin."""
        return self.send(method, path, json.dumps(body).encode(),
                         {"Authorization": "Bearer " + self.admin,
                          "Content-Type": "application/json"})


def provider_and_partner(gh, api_fields):
    """A provider with an API "Open Lending" (service "ola", audience
    "connectapi", path prefix "/ola", plus API_FIELDS) and an auto-approved
    plan "Gold"; a partner with tenant "bench-<pid>" and customer numbers
    12345 and A-77.  Returns (api, plan, partner, tenant)."""
    prov = gh.call("POST", "/api/v1/orgs", {"name": "Bench Provider", "provider": True})
    api = gh.call("POST", "/api/v1/orgs/%s/apis" % prov["id"],
                  dict({"name": "Open Lending", "service": "ola", "audience": "connectapi",
                        "path_prefixes": ["/ola"]}, **api_fields))
    plan = gh.call("POST", "/api/v1/apis/%s/plans" % api["id"],
                   {"name": "Gold", "approval": "auto"})
    tenant = "bench-" + str(os.getpid())
    partner = gh.call("POST", "/api/v1/orgs", {"name": "Bench Partner", "partner": True,
                                               "tenant": tenant})
    gh.call("PUT", "/api/v1/orgs/%s/customer-numbers" % partner["id"],
            {"customer_numbers": ["12345", "A-77"]})
    return api, plan, partner, tenant


def gateway_world(gh, app_name):
    """bench/check's world: provider_and_partner with an oauth2 API taking
    the customer number from the query parameter "customerId", a
    confidential app APP_NAME issuing ES256 JWTs, subscribed (active), and
    one token for it from /connect/token (seed 003's request).  Returns
    (api, app, tenant, token_answer)."""
    api, plan, partner, tenant = provider_and_partner(
        gh, {"auth_method": "oauth2", "subscription_required": True,
             "customer_number": {"in": "query", "name": "customerId"}})
    app = gh.call("POST", "/api/v1/orgs/%s/apps" % partner["id"],
                  {"name": app_name, "token_type": "jwt"})
    sub = gh.call("POST", "/api/v1/apps/%s/subscriptions" % app["id"],
                  {"api": api["id"], "plan": plan["id"]})
    if sub.get("status") != "active":
        sys.exit("setup_world: the subscription is %s, not active" % sub.get("status"))
    form = urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": "profile", "resource": "connectapi",
        "acr_values": "tenant:%s" % tenant}).encode()
    tok = gh.send("POST", "/connect/token", form,
                  {"Content-Type": "application/x-www-form-urlencoded"})
    return api, app, tenant, tok


def print_shell(out):
    """Prints OUT's items as NAME=value lines, quoted for the shell."""
    for k, v in out.items():
        print("%s=%s" % (k, shlex.quote(v)))


def run(main):
    """Calls main(BASE_URL, ADMIN_TOKEN) from the command line."""
    if len(sys.argv) != 3:
        sys.exit("usage: setup_world.py BASE_URL ADMIN_TOKEN")
    main(sys.argv[1], sys.argv[2])
