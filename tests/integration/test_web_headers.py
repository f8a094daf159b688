"""The web portal and console as plain HTTP sees them (src/portal/web.c):
pages and embedded files with their security and caching headers, ETags and
304, HEAD, 404 for what is not embedded (path traversal included), and the
CSP report endpoint (POST /csp-report) with its counter in /metrics."""

import json
import os
import re
import unittest

import harness

REPO = harness.REPO
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
       "report-uri /csp-report")
IMMUTABLE = "public, max-age=31536000, immutable"


def web_files():
    """Every file under web/ the build embeds (hidden files and *~ skipped)."""
    out = []
    root = os.path.join(REPO, "web")
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for f in files:
            if not f.startswith(".") and not f.endswith("~"):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


class WebServingTest(harness.ServerTestCase):

    def assert_security_headers(self, r):
        self.assertEqual(r.header("Content-Security-Policy"), CSP, r)
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff", r)
        self.assertEqual(r.header("Referrer-Policy"), "no-referrer", r)
        self.assertEqual(r.header("X-Frame-Options"), "DENY", r)

    def static_prefix(self):
        r = self.get("/")
        self.assertEqual(r.status, 200, r)
        m = re.search(rb'src="(/static/[0-9a-f]{16})/portal/[^"]+\.js"', r.body)
        self.assertIsNotNone(m, r.body[:500])
        return m.group(1).decode()

    def csp_violations(self):
        body = self.get("/metrics").body.decode()
        m = re.search(r"^gatehouse_csp_violations_total (\d+)$", body, re.M)
        self.assertIsNotNone(m, "no gatehouse_csp_violations_total in /metrics")
        return int(m.group(1))

    # --- pages ----------------------------------------------------------------

    def test_pages_are_the_two_index_files(self):
        portal = open(os.path.join(REPO, "web/portal/index.html"), "rb").read()
        console = open(os.path.join(REPO, "web/console/index.html"), "rb").read()
        prefix = self.static_prefix().encode()
        for path, src in (("/", portal), ("/verify-email?token=abc", portal),
                          ("/password-reset?token=abc", portal), ("/console/", console),
                          ("/console", console)):
            r = self.get(path)
            self.assertEqual(r.status, 200, (path, r))
            self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
            self.assertEqual(r.header("Cache-Control"), "no-cache")
            self.assertRegex(r.header("ETag"), r'^"[0-9a-f]{64}"$')
            self.assert_security_headers(r)
            # the placeholder became the versioned prefix, nothing else changed
            self.assertEqual(r.body, src.replace(b"{{static}}", prefix), path)
            self.assertNotIn(b"{{static}}", r.body)

    def test_no_other_page_below_console(self):
        r = self.get("/console/apps")
        harness.check_error_shape(self, r, 404)
        self.assert_security_headers(r)

    def test_if_none_match_answers_304_without_body(self):
        r = self.get("/")
        etag = r.header("ETag")
        for inm in (etag, 'W/' + etag, '"nope", ' + etag, "*"):
            r2 = self.get("/", headers={"If-None-Match": inm})
            self.assertEqual(r2.status, 304, (inm, r2))
            self.assertEqual(r2.body, b"")
            self.assertEqual(r2.header("ETag"), etag)
            self.assertEqual(r2.header("Cache-Control"), "no-cache")
            self.assert_security_headers(r2)
        for inm in ('"nope"', etag[1:-1], "garbage"):
            r3 = self.get("/", headers={"If-None-Match": inm})
            self.assertEqual(r3.status, 200, (inm, r3))
            self.assertTrue(r3.body.startswith(b"<!doctype html>"), r3.body[:40])

    def test_head_has_the_headers_and_no_body(self):
        get = self.get("/console/")
        head = self.request("HEAD", "/console/")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.header("ETag"), get.header("ETag"))
        self.assertEqual(head.header("Content-Length"), str(len(get.body)))
        self.assert_security_headers(head)

    def test_pages_refuse_writes(self):
        r = self.request("POST", "/", body=b"x", headers={"Content-Type": "text/plain"})
        harness.check_error_shape(self, r, 405)
        self.assertIn("GET", r.header("Allow"))

    # --- embedded files -----------------------------------------------------

    def test_every_web_file_is_served_under_the_prefix(self):
        prefix = self.static_prefix()
        files = web_files()
        self.assertIn("portal/index.html", files)
        self.assertIn("console/index.html", files)
        types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml",
                 ".png": "image/png", ".json": "application/json"}
        etags = set()
        for f in files:
            r = self.get("%s/%s" % (prefix, f))
            self.assertEqual(r.status, 200, (f, r))
            self.assertEqual(r.header("Cache-Control"), IMMUTABLE, f)
            self.assert_security_headers(r)
            ext = os.path.splitext(f)[1]
            if ext in types:
                self.assertEqual(r.header("Content-Type"), types[ext], f)
            src = open(os.path.join(REPO, "web", f), "rb").read()
            if ext == ".html":
                src = src.replace(b"{{static}}", prefix.encode())
            self.assertEqual(r.body, src, f)
            etags.add(r.header("ETag"))
            r2 = self.get("%s/%s" % (prefix, f), headers={"If-None-Match": r.header("ETag")})
            self.assertEqual(r2.status, 304, f)
        self.assertEqual(len(etags), len(set(open(os.path.join(REPO, "web", f), "rb").read()
                                             for f in files)), "one ETag per distinct content")

    def test_another_hash_gets_the_file_but_no_long_caching(self):
        r = self.get("/static/0123456789abcdef/portal/index.html")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        self.assert_security_headers(r)

    def test_unknown_and_traversing_paths_are_404(self):
        prefix = self.static_prefix()
        for path in ("%s/nope.js" % prefix, "%s/" % prefix, "%s/portal" % prefix,
                     "%s/portal/" % prefix, "%s/../src/main.c" % prefix,
                     "%s/portal/../lib/api.js" % prefix, "%s/%%2e%%2e/src/main.c" % prefix,
                     "%s/portal/%%2e%%2e%%2flib/api.js" % prefix, "%s/./lib/api.js" % prefix,
                     "%s//lib/api.js" % prefix, "%s/.hidden" % prefix,
                     "%s/lib/api.js/" % prefix):
            r = self.get(path)
            harness.check_error_shape(self, r, 404)
            self.assertNotIn(b"#include", r.body)
            self.assert_security_headers(r)
        # a NUL byte never reaches the lookup: the server refuses %00 in paths
        harness.check_error_shape(self, self.get("%s/lib/api.js%%00" % prefix), 400)

    def test_unknown_paths_outside_the_web_routes_stay_api_404s(self):
        r = self.get("/nope.html")
        harness.check_error_shape(self, r, 404)

    # --- CSP reports --------------------------------------------------------

    def post_report(self, body, ctype="application/csp-report"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.request("POST", "/csp-report", body=data, headers={"Content-Type": ctype})

    def test_csp_report_is_counted_and_logged_without_query(self):
        before = self.csp_violations()
        mark = len(self.server.stderr_bytes())
        r = self.post_report({"csp-report": {
            "document-uri": "http://127.0.0.1/verify-email?token=SECRET-TOKEN#x",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "blocked-uri": "https://evil.example/x.js?k=SECRET-KEY",
            "original-policy": CSP}})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assertEqual(self.csp_violations(), before + 1)
        rec = self.server.wait_for_log(lambda x: x.get("msg") == "web.csp_violation"
                                       and x.get("blocked_uri") == "https://evil.example/x.js")
        self.assertIsNotNone(rec, self.server.describe(mark))
        self.assertEqual(rec["directive"], "script-src-elem")
        self.assertEqual(rec["document_uri"], "http://127.0.0.1/verify-email")
        self.assertNotIn(b"SECRET", self.server.stderr_bytes()[mark:])

    def test_long_report_fields_are_cut_on_a_character_boundary(self):
        # 19 ASCII bytes, then 2-byte characters: byte 200 is inside one
        blocked = "https://x.example/a" + "\u00e9" * 150
        r = self.post_report({"csp-report": {"effective-directive": "img-src",
                                             "blocked-uri": blocked, "document-uri": "http://d/"}})
        self.assertEqual(r.status, 204, r)
        rec = self.server.wait_for_log(lambda x: x.get("msg") == "web.csp_violation"
                                       and x.get("blocked_uri", "").startswith("https://x.example/"))
        self.assertIsNotNone(rec)
        kept = rec["blocked_uri"]
        self.assertTrue(blocked.startswith(kept), kept)
        self.assertEqual(len(kept.encode()), 199)

    def test_reporting_api_batch_counts_its_csp_reports(self):
        before = self.csp_violations()
        batch = [
            {"type": "csp-violation", "url": "http://127.0.0.1/",
             "body": {"documentURL": "http://127.0.0.1/", "effectiveDirective": "style-src-attr",
                      "blockedURL": "inline", "disposition": "enforce"}},
            {"type": "deprecation", "body": {"id": "x"}},
            {"type": "csp-violation",
             "body": {"documentURL": "http://127.0.0.1/console/",
                      "effectiveDirective": "img-src", "blockedURL": "http://x/y.png"}},
        ]
        r = self.post_report(batch, "application/reports+json")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.csp_violations(), before + 2)

    def test_bad_reports_are_refused_and_not_counted(self):
        before = self.csp_violations()
        harness.check_error_shape(self, self.post_report({"csp-report": {}}, "application/json"), 415)
        harness.check_error_shape(self, self.post_report(b"{not json"), 400)
        harness.check_error_shape(self, self.post_report({"other": 1}), 400)
        harness.check_error_shape(self, self.post_report({"csp-report": "x"}), 400)
        big = {"csp-report": {"effective-directive": "img-src", "blocked-uri": "x" * 17000}}
        harness.check_error_shape(self, self.post_report(big), 413)
        harness.check_error_shape(self, self.request("GET", "/csp-report"), 405)
        self.assertEqual(self.csp_violations(), before)


if __name__ == "__main__":
    unittest.main()
