"""bench/check: creates, through the management API with a platform-admin
token, what a gateway check needs: a provider with an oauth2 API (service
"ola", audience "connectapi", path prefix "/ola", the customer number in the
query parameter "customerId") and an auto-approved plan without a rate limit,
a partner with a tenant and customer numbers, and a confidential app issuing
ES256 JWTs subscribed to the API; then asks /connect/token for the app's
token (seed 003's request).  Prints shell assignments (API_ID, TENANT,
CUSTOMER, TOKEN, TOKEN_SECS) for run.sh to eval.

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
                  {"name": "Bench gateway client", "token_type": "jwt"})
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
    world.print_shell({"API_ID": api["id"], "TENANT": tenant, "CUSTOMER": "12345",
                       "TOKEN": tok["access_token"], "TOKEN_SECS": str(tok.get("expires_in", 0))})


if __name__ == "__main__":
    world.run(main)
