"""bench/check: mints the HAProxy anchor's test tokens, as
../shared/anchors/gateway/mkjwt.mjs does (same header and claims), with the
openssl command line instead of node, so the benchmark needs no node.

    python3 mkjwt.py ALG PRIVATE_KEY_PEM [EXP_OFFSET_SECONDS] [SCOPE]

ALG is ES256 (the DER signature openssl prints is turned into JWS's raw
r || s, RFC 7518 section 3.4) or RS256 (PKCS#1 v1.5, as openssl prints it).
Prints one compact JWS.
"""

import base64
import json
import os
import subprocess
import sys
import time


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_to_raw(der, size=32):
    """ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } -> r || s."""
    if der[0] != 0x30:
        sys.exit("mkjwt: not a DER ECDSA signature")
    pos = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        if der[pos] != 0x02:
            sys.exit("mkjwt: not a DER ECDSA signature")
        n = der[pos + 1]
        value = der[pos + 2:pos + 2 + n].lstrip(b"\x00")
        if len(value) > size:
            sys.exit("mkjwt: ECDSA integer longer than the curve")
        out += value.rjust(size, b"\x00")
        pos += 2 + n
    return out


def main(alg, key_file, exp_off="86400", scope="api.read"):
    if alg not in ("ES256", "RS256"):
        sys.exit("mkjwt: ALG must be ES256 or RS256")
    now = int(time.time())
    header = {"alg": alg, "typ": "at+jwt", "kid": "k1"}
    payload = {"iss": "http://127.0.0.1:3000", "sub": "bench-client", "client_id": "bench-client",
               "aud": "urn:bench:api", "scope": scope, "iat": now, "exp": now + int(exp_off),
               "jti": os.urandom(16).hex()}
    signing_input = "%s.%s" % (b64u(json.dumps(header, separators=(",", ":")).encode()),
                               b64u(json.dumps(payload, separators=(",", ":")).encode()))
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_file],
                         input=signing_input.encode(), capture_output=True, check=True).stdout
    if alg == "ES256":
        sig = der_to_raw(sig)
    print("%s.%s" % (signing_input, b64u(sig)))


if __name__ == "__main__":
    if not 3 <= len(sys.argv) <= 5:
        sys.exit("usage: mkjwt.py ES256|RS256 PRIVATE_KEY_PEM [EXP_OFFSET_SECONDS] [SCOPE]")
    main(*sys.argv[1:])
