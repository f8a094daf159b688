"""Bad input at the HTTP edge, as data: each case is a request and the answer
it must get.  Every refusal has the project's JSON error shape, and the server
keeps serving after each one.  Also: keep-alive, pipelining, concurrency.

The server runs with --max-body 4096, so the size cases know the limit, and
with --conn-timeout 2, so that a connection whose bytes never form a request
(the server is still waiting for a request line) is closed after 2 s; the
malformed cases require an answer or a close within the client's timeout.
"""

import threading
import time
import unittest

import harness

MAX_BODY = 4096
CONN_TIMEOUT = 2


def req(method, target, headers=(), body=b""):
    """Raw HTTP/1.1 request bytes; Host and Connection: close are added."""
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: gatehouse.test"]
    lines += ["%s: %s" % h for h in headers]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# name, raw request, expected status, extra checks
REFUSALS = [
    ("unknown_route", req("GET", "/no/such/route"), 404, {}),
    ("unknown_route_under_api", req("GET", "/api/v1/no-such-thing"), 404, {}),
    ("unknown_route_with_query", req("GET", "/nope?a=1"), 404, {}),
    ("post_to_get_route", req("POST", "/healthz", [("Content-Length", "0")]), 405,
     {"allow": "GET", "not_allowed": "POST"}),
    ("delete_metrics", req("DELETE", "/metrics"), 405, {"allow": "GET", "not_allowed": "DELETE"}),
    ("put_readyz", req("PUT", "/readyz", [("Content-Length", "2")], b"{}"), 405,
     {"allow": "GET", "not_allowed": "PUT"}),
    ("patch_healthz", req("PATCH", "/healthz", [("Content-Length", "0")]), 405,
     {"allow": "GET", "not_allowed": "PATCH"}),
    ("unknown_method", req("BREW", "/healthz"), 405, {"allow": "GET", "not_allowed": "BREW"}),
    ("body_one_byte_over_limit_by_content_length",
     req("POST", "/healthz", [("Content-Type", "application/json"),
                              ("Content-Length", str(MAX_BODY + 1))]), 413, {}),
    ("body_huge_by_content_length",
     req("POST", "/healthz", [("Content-Length", str(10 ** 15))]), 413, {}),
    # the default --max-header-size is 16 KiB; up to about twice that the
    # server measures the headers itself and answers with its JSON error
    ("one_header_of_20k", req("GET", "/healthz", [("X-Big", "a" * 20000)]), 431, {}),
    ("many_headers_17k", req("GET", "/healthz",
                             [("X-Many-%d" % i, "b" * 64) for i in range(220)]), 431, {}),
    ("bad_percent_zz", req("GET", "/healthz?x=%zz"), 400, {}),
    ("bad_percent_truncated", req("GET", "/healthz?x=%4"), 400, {}),
    ("bad_percent_lone", req("GET", "/healthz?x=%"), 400, {}),
    ("bad_percent_in_name", req("GET", "/healthz?%G1=1"), 400, {}),
    ("bad_percent_second_param", req("GET", "/healthz?a=1&b=%2x"), 400, {}),
]

# Requests that are not refusals but sit next to them: the limit is inclusive,
# valid percent-encoding passes.
ACCEPTED = [
    ("body_exactly_at_limit_is_not_413",
     req("POST", "/healthz", [("Content-Length", str(MAX_BODY))], b"x" * MAX_BODY), 405),
    ("good_percent_encoding", req("GET", "/healthz?x=%41%e2%82%ac&y=a+b"), 200),
    ("empty_query", req("GET", "/healthz?"), 200),
]

# Malformed at the protocol level: the server may answer 4xx/5xx or close,
# but must never crash or hang, and must keep serving.
MALFORMED = [
    ("garbage_request_line", b"GARBAGE\r\n\r\n"),
    ("binary_junk", b"\x00\x01\x02\xff\xfe\r\n\r\n"),
    ("bad_content_length", b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n"),
    ("negative_content_length", b"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"),
    ("header_without_colon", b"GET /healthz HTTP/1.1\r\nHost: t\r\nbroken header\r\n\r\n"),
    ("bad_chunk_size", b"POST /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"zz\r\nabc\r\n0\r\n\r\n"),
    ("missing_host_http11", b"GET /healthz HTTP/1.1\r\n\r\n"),
    ("unsupported_version", b"GET /healthz HTTP/7.0\r\nHost: t\r\n\r\n"),
    ("overlong_uri", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: t\r\n\r\n"),
    ("nul_in_path", b"GET /heal\x00thz HTTP/1.1\r\nHost: t\r\n\r\n"),
]


class EdgeTest(harness.ServerTestCase):
    server_args = ["--max-body", str(MAX_BODY), "--conn-timeout", str(CONN_TIMEOUT)]

    def check_refusal(self, raw, status, extra):
        r = harness.raw_exchange(self.server.port, raw)
        self.assertIsNotNone(r, "connection closed without an answer")
        harness.check_error_shape(self, r, status)
        if "allow" in extra:
            allow = {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}
            self.assertIn(extra["allow"], allow, r)
            self.assertNotIn(extra["not_allowed"], allow, r)
        self.assert_still_serving("after a %d" % status)

    def check_accepted(self, raw, status):
        r = harness.raw_exchange(self.server.port, raw)
        self.assertIsNotNone(r, "connection closed without an answer")
        self.assertEqual(r.status, status, r)
        self.assert_still_serving()

    def test_headers_far_over_the_limit_are_refused(self):
        # Beyond libmicrohttpd's per-connection memory (2x --max-header-size)
        # the library itself answers 431 and closes; README "Limits" says so.
        for raw in (req("GET", "/healthz", [("X-Big", "a" * 65536)]),
                    req("GET", "/healthz", [("X-Many-%d" % i, "b" * 64) for i in range(1200)])):
            r = harness.raw_exchange(self.server.port, raw)
            self.assertIsNotNone(r, "connection closed without an answer")
            self.assertEqual(r.status, 431, r)
            self.assert_still_serving("after far oversized headers")

    def check_malformed(self, raw):
        c = harness.RawConnection(self.server.port)
        try:
            try:
                c.send(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                r = c.read_response()
            except (EOFError, ValueError):
                r = None  # closed mid-answer or non-HTTP bytes: refused either way
        finally:
            c.close()
        if r is not None:
            self.assertTrue(400 <= r.status < 600, r)
        self.assert_still_serving()

    # --- keep-alive, pipelining, concurrency ------------------------------------

    def test_many_requests_on_one_keepalive_connection(self):
        c = self.client()
        r = c.request("GET", "/healthz")
        self.assertEqual(r.status, 200, r)
        sock = c.sock
        for i in range(500):
            r = c.request("GET", "/healthz")
            self.assertEqual(r.status, 200, "request %d: %r" % (i, r))
            self.assertNotEqual((r.header("Connection") or "").lower(), "close", r)
            self.assertIs(c.sock, sock, "connection was not kept alive at request %d" % i)

    def test_keepalive_survives_refusals(self):
        c = self.client()
        self.assertEqual(c.request("GET", "/healthz").status, 200)
        sock = c.sock
        for method, path, status in (("GET", "/no-such-route", 404),
                                     ("DELETE", "/healthz", 405),
                                     ("GET", "/healthz?x=%zz", 400),
                                     ("GET", "/healthz", 200)):
            r = c.request(method, path)
            self.assertEqual(r.status, status, r)
            self.assertIs(c.sock, sock, "connection closed after %s %s -> %d"
                          % (method, path, status))

    def test_pipelined_requests_answered_in_order(self):
        c = harness.RawConnection(self.server.port)
        try:
            ids = ["pipe-%02d" % i for i in range(20)]
            c.send(b"".join(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: "
                            + i.encode() + b"\r\n\r\n" for i in ids))
            for rid in ids:
                r = c.read_response()
                self.assertIsNotNone(r, "connection closed before the answer to %s" % rid)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("X-Request-Id"), rid, r)
        finally:
            c.close()

    def test_concurrent_connections(self):
        errors = []

        def worker():
            try:
                c = harness.Client(self.server.port)
                try:
                    for _ in range(25):
                        r = c.request("GET", "/healthz")
                        if r.status != 200:
                            errors.append(r)
                finally:
                    c.close()
            except Exception as e:  # reported below, in the test's thread
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "requests hung")
        self.assertEqual(errors, [])

    def test_idle_connections_closed_after_conn_timeout(self):
        silent = harness.RawConnection(self.server.port)
        idle = harness.RawConnection(self.server.port)
        partial = harness.RawConnection(self.server.port)
        try:
            idle.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            r = idle.read_response()
            self.assertEqual(r.status, 200, r)
            partial.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
            t0 = time.monotonic()
            for name, c in (("silent", silent), ("idle keep-alive", idle),
                            ("partial request", partial)):
                self.assertTrue(c.closed_by_peer(CONN_TIMEOUT + 5),
                                "%s connection still open after %.1fs"
                                % (name, time.monotonic() - t0))
        finally:
            for c in (silent, idle, partial):
                c.close()
        self.assert_still_serving("after closing idle connections")

    def test_client_closing_mid_request(self):
        for partial in (b"GET /healthz HTTP/1.1\r\nHos", b"POST /healthz HTTP/1.1\r\nHost: t\r\n"
                        b"Content-Length: 100\r\n\r\nonly-part-of-the-body"):
            c = harness.RawConnection(self.server.port)
            c.send(partial)
            c.close()
        self.assert_still_serving("after clients vanished mid-request")


def _add_cases():
    def refusal(raw, status, extra):
        return lambda self: self.check_refusal(raw, status, extra)

    def accepted(raw, status):
        return lambda self: self.check_accepted(raw, status)

    def malformed(raw):
        return lambda self: self.check_malformed(raw)

    for name, raw, status, extra in REFUSALS:
        setattr(EdgeTest, "test_refuse_%d_%s" % (status, name), refusal(raw, status, extra))
    for name, raw, status in ACCEPTED:
        setattr(EdgeTest, "test_accept_%s" % name, accepted(raw, status))
    for name, raw in MALFORMED:
        setattr(EdgeTest, "test_malformed_%s" % name, malformed(raw))


_add_cases()

if __name__ == "__main__":
    unittest.main()
