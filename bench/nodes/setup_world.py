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

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import world  # noqa: E402  (bench/world.py)


def main(base, admin):
    _, app, tenant, tok = world.gateway_world(world.Gatehouse(base, admin), "Bench nodes client")
    world.print_shell({"TENANT": tenant, "CLIENT_ID": app["client_id"],
                       "CLIENT_SECRET": app["client_secret"], "TOKEN": tok["access_token"]})


if __name__ == "__main__":
    world.run(main)
