"""bench/token: creates, through the management API with a platform-admin
token, a provider with an API (audience "connectapi", service "ola") and an
auto-approved plan, a partner with a tenant and customer numbers, and two
confidential apps subscribed to the API: one issuing ES256 JWTs, one opaque
tokens.  Prints shell assignments (TENANT, JWT_ID, JWT_SECRET, OPAQUE_ID,
OPAQUE_SECRET) for run.sh to eval.

    python3 setup_world.py BASE_URL ADMIN_TOKEN
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import world  # noqa: E402  (bench/world.py)


def main(base, admin):
    gh = world.Gatehouse(base, admin)
    api, plan, partner, tenant = world.provider_and_partner(gh, {})
    out = {"TENANT": tenant}
    for var, token_type in (("JWT", "jwt"), ("OPAQUE", "uuid")):
        app = gh.call("POST", "/api/v1/orgs/%s/apps" % partner["id"],
                      {"name": "Bench %s" % token_type, "token_type": token_type})
        gh.call("POST", "/api/v1/apps/%s/subscriptions" % app["id"],
                {"api": api["id"], "plan": plan["id"]})
        out[var + "_ID"] = app["client_id"]
        out[var + "_SECRET"] = app["client_secret"]
    world.print_shell(out)


if __name__ == "__main__":
    world.run(main)
