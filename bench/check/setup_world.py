"""bench/check: creates, through the management API with a platform-admin
token, what a gateway check needs: a provider with an oauth2 API (service
"ola", audience "connectapi", path prefix "/ola", the customer number in the
query parameter "customerId") and an auto-approved plan without a rate limit,
a partner with a tenant and customer numbers, and a confidential app issuing
ES256 JWTs subscribed to the API; then asks /connect/token for the app's
token (seed 003's request).  Prints shell assignments (API_ID, TENANT,
CUSTOMER, TOKEN) for run.sh to eval.

    python3 setup_world.py BASE_URL ADMIN_TOKEN
"""

import json
import os
import shlex
import sys
import urllib.error
import urllib.parse
import urllib.request


def main(base, admin):
    def send(method, path, data, headers):
        req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            sys.exit("setup_world: %s %s -> %d %s" % (method, path, e.code, e.read()[:300]))

    def call(method, path, body):
        return send(method, path, json.dumps(body).encode(),
                    {"Authorization": "Bearer " + admin, "Content-Type": "application/json"})

    tag = str(os.getpid())
    prov = call("POST", "/api/v1/orgs", {"name": "Bench Provider", "provider": True})
    api = call("POST", "/api/v1/orgs/%s/apis" % prov["id"],
               {"name": "Open Lending", "service": "ola", "audience": "connectapi",
                "path_prefixes": ["/ola"], "auth_method": "oauth2",
                "subscription_required": True,
                "customer_number": {"in": "query", "name": "customerId"}})
    plan = call("POST", "/api/v1/apis/%s/plans" % api["id"], {"name": "Gold", "approval": "auto"})
    tenant = "bench-" + tag
    partner = call("POST", "/api/v1/orgs", {"name": "Bench Partner", "partner": True,
                                            "tenant": tenant})
    call("PUT", "/api/v1/orgs/%s/customer-numbers" % partner["id"],
         {"customer_numbers": ["12345", "A-77"]})
    app = call("POST", "/api/v1/orgs/%s/apps" % partner["id"],
               {"name": "Bench gateway client", "token_type": "jwt"})
    sub = call("POST", "/api/v1/apps/%s/subscriptions" % app["id"],
               {"api": api["id"], "plan": plan["id"]})
    if sub.get("status") != "active":
        sys.exit("setup_world: the subscription is %s, not active" % sub.get("status"))
    form = urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": "profile", "resource": "connectapi",
        "acr_values": "tenant:%s" % tenant}).encode()
    tok = send("POST", "/connect/token", form,
               {"Content-Type": "application/x-www-form-urlencoded"})
    out = {"API_ID": api["id"], "TENANT": tenant, "CUSTOMER": "12345",
           "TOKEN": tok["access_token"], "TOKEN_SECS": str(tok.get("expires_in", 0))}
    for k, v in out.items():
        print("%s=%s" % (k, shlex.quote(v)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: setup_world.py BASE_URL ADMIN_TOKEN")
    main(sys.argv[1], sys.argv[2])
