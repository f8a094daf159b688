"""The credentials area's requests for the permission matrix, part 2
(test_permissions_apps.py): an app's API keys and TLS client certificates.
Every POST sends something new (a fresh key name, a freshly made
certificate, so no 409 for a thumbprint already taken) and every DELETE
removes a key or certificate the platform admin has just added to t.app, so
that cells stay independent.  Certificates are made with the openssl
command."""

import atexit
import itertools
import os
import shutil
import subprocess
import tempfile

_seq = itertools.count(1)
_dir = None

ROUTES = (
    "GET /api/v1/apps/{app}/api-keys",
    "POST /api/v1/apps/{app}/api-keys",
    "DELETE /api/v1/apps/{app}/api-keys/{key}",
    "GET /api/v1/apps/{app}/certificates",
    "POST /api/v1/apps/{app}/certificates",
    "DELETE /api/v1/apps/{app}/certificates/{cert}",
)


def new_certificate_pem():
    """A self-signed EC certificate, valid for 30 days, in PEM form."""
    global _dir
    if _dir is None:
        _dir = tempfile.mkdtemp(prefix="gh-perm-certs-")
        atexit.register(shutil.rmtree, _dir, True)
    n = next(_seq)
    out = os.path.join(_dir, "c%d.pem" % n)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", os.path.join(_dir, "k.pem"),
                    "-out", out, "-subj", "/CN=matrix-%d-%d.partner.test" % (os.getpid(), n),
                    "-days", "30"], check=True, capture_output=True, stdin=subprocess.DEVNULL,
                   timeout=30)
    with open(out) as f:
        return f.read()


def request(t, route, kind):
    if route not in ROUTES:
        return None
    who = t.caller(kind)
    base = "/api/v1/apps/%s" % t.app["id"]
    if route == "GET /api/v1/apps/{app}/api-keys":
        return ("GET", base + "/api-keys", None, who)
    if route == "POST /api/v1/apps/{app}/api-keys":
        return ("POST", base + "/api-keys", {"name": "matrix key %d" % next(_seq)}, who)
    if route == "DELETE /api/v1/apps/{app}/api-keys/{key}":
        key = t.ok(201, t.call("POST", base + "/api-keys", {"name": "matrix doomed key"},
                               as_=t.admin))
        return ("DELETE", base + "/api-keys/" + key["id"], None, who)
    if route == "GET /api/v1/apps/{app}/certificates":
        return ("GET", base + "/certificates", None, who)
    if route == "POST /api/v1/apps/{app}/certificates":
        return ("POST", base + "/certificates", {"pem": new_certificate_pem()}, who)
    cert = t.ok(201, t.call("POST", base + "/certificates", {"pem": new_certificate_pem()},
                            as_=t.admin))
    return ("DELETE", base + "/certificates/" + cert["id"], None, who)
