"""bench/nodes: the world of bench/check made on one gatehouse (a provider
with an oauth2 API at "/ola" taking the customer number from the query, an
auto-approved plan, a partner with a tenant and customer numbers, a
confidential app issuing ES256 JWTs subscribed to the API), then one token
from /connect/token.  Prints shell assignments (TENANT, CLIENT_ID,
CLIENT_SECRET, TOKEN) for run.sh to eval.

    python3 setup_world.py BASE_URL ADMIN_TOKEN
"""

import os
import sys
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import world  # noqa: E402  (bench/world.py)


def main(base, admin):
    gh = world.Gatehouse(base, admin)
    api, plan, partner, tenant = world.provider_and_partner(
        gh, {"auth_method": "oauth2", "subscription_required": True,
             "customer_number": {"in": "query", "name": "customerId"}})
    app = gh.call("POST", "/api/v1/orgs/%s/apps" % partner["id"],
                  {"name": "Bench nodes client", "token_type": "jwt"})
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
    world.print_shell({"TENANT": tenant, "CLIENT_ID": app["client_id"],
                       "CLIENT_SECRET": app["client_secret"], "TOKEN": tok["access_token"]})


if __name__ == "__main__":
    world.run(main)
