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

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import world  # noqa: E402  (bench/world.py)


def main(base, admin):
    api, _, tenant, tok = world.gateway_world(world.Gatehouse(base, admin),
                                              "Bench gateway client")
    world.print_shell({"API_ID": api["id"], "TENANT": tenant, "CUSTOMER": "12345",
                       "TOKEN": tok["access_token"], "TOKEN_SECS": str(tok.get("expires_in", 0))})


if __name__ == "__main__":
    world.run(main)
