"""bench/token: creates, through the management API with a platform-admin
token, a provider with an API (audience "connectapi", service "ola") and an
auto-approved plan, a partner with a tenant and customer numbers, and two
confidential apps subscribed to the API: one issuing ES256 JWTs, one opaque
tokens.  Prints shell assignments (TENANT, JWT_ID, JWT_SECRET, OPAQUE_ID,
OPAQUE_SECRET) for run.sh to eval.

    python3 setup_world.py BASE_URL ADMIN_TOKEN
"""

import json
import os
import shlex
import sys
import urllib.error
import urllib.request


def main(base, token):
    def call(method, path, body):
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Authorization": "Bearer " + token,
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            sys.exit("setup_world: %s %s -> %d %s" % (method, path, e.code, e.read()[:300]))

    tag = str(os.getpid())
    prov = call("POST", "/api/v1/orgs", {"name": "Bench Provider", "provider": True})
    api = call("POST", "/api/v1/orgs/%s/apis" % prov["id"],
               {"name": "Open Lending", "service": "ola", "audience": "connectapi",
                "path_prefixes": ["/ola"]})
    plan = call("POST", "/api/v1/apis/%s/plans" % api["id"], {"name": "Gold", "approval": "auto"})
    tenant = "bench-" + tag
    partner = call("POST", "/api/v1/orgs", {"name": "Bench Partner", "partner": True,
                                            "tenant": tenant})
    call("PUT", "/api/v1/orgs/%s/customer-numbers" % partner["id"],
         {"customer_numbers": ["12345", "A-77"]})
    out = {"TENANT": tenant}
    for var, token_type in (("JWT", "jwt"), ("OPAQUE", "uuid")):
        app = call("POST", "/api/v1/orgs/%s/apps" % partner["id"],
                   {"name": "Bench %s" % token_type, "token_type": token_type})
        call("POST", "/api/v1/apps/%s/subscriptions" % app["id"],
             {"api": api["id"], "plan": plan["id"]})
        out[var + "_ID"] = app["client_id"]
        out[var + "_SECRET"] = app["client_secret"]
    for k, v in out.items():
        print("%s=%s" % (k, shlex.quote(v)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: setup_world.py BASE_URL ADMIN_TOKEN")
    main(sys.argv[1], sys.argv[2])
