"""Operations endpoints: /healthz, /readyz, /metrics, request ids, the JSON log."""

import json
import re
import time
import unittest
import uuid

import harness

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse_metrics(text):
    """Prometheus text format -> (types {family: type}, samples [(name, labels, value)]).
    Raises ValueError on a line that is neither a comment nor a valid sample."""
    types, samples = {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3].strip()
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError("not a Prometheus sample line: %r" % line)
        labels = {}
        if m.group(2):
            pos, raw = 0, m.group(2)
            while pos < len(raw):
                lm = LABEL.match(raw, pos)
                if not lm or lm.end() == pos:
                    raise ValueError("bad labels in %r" % line)
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        samples.append((m.group(1), labels, float(m.group(3))))
    return types, samples


class OpsTest(harness.ServerTestCase):

    def metrics(self):
        r = self.get("/metrics")
        self.assertEqual(r.status, 200, r)
        return parse_metrics(r.body.decode("utf-8"))

    def requests_total(self, samples, status, route_part=None):
        return sum(v for name, labels, v in samples
                   if name == "gatehouse_http_requests_total"
                   and labels.get("status") == str(status)
                   and (route_part is None or route_part in labels.get("route", "")))

    # --- health -------------------------------------------------------------

    def test_healthz_answers_ok_json(self):
        r = self.get("/healthz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0], "application/json", r)
        self.assertEqual(r.json(), {"status": "ok"})

    def test_healthz_head_has_no_body(self):
        c = harness.RawConnection(self.server.port)
        try:
            c.send(b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            r = c.read_response(head=True)
            self.assertEqual(r.status, 200, r)
            # Nothing may follow the head: the next bytes belong to the next answer.
            c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            r2 = c.read_response()
            self.assertEqual(r2.status, 200, r2)
            self.assertEqual(r2.json(), {"status": "ok"})
        finally:
            c.close()

    def test_readyz_ready_on_fresh_database(self):
        # serve creates and migrates its database, so the store is reachable
        # and migrations are current.
        r = self.get("/readyz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0], "application/json", r)
        self.assertIsInstance(r.json(), dict)

    # --- metrics ------------------------------------------------------------

    def test_metrics_is_prometheus_text_with_required_families(self):
        self.get("/healthz")
        r = self.get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertTrue((r.header("Content-Type") or "").startswith("text/plain"), r)
        types, samples = parse_metrics(r.body.decode("utf-8"))
        self.assertEqual(types.get("gatehouse_http_requests_total"), "counter")
        self.assertEqual(types.get("gatehouse_http_request_duration_seconds"), "histogram")
        self.assertEqual(types.get("gatehouse_store_errors_total"), "counter")
        self.assertEqual(types.get("gatehouse_snapshot_age_seconds"), "gauge")
        names = {s[0] for s in samples}
        for name in ("gatehouse_http_requests_total", "gatehouse_store_errors_total",
                     "gatehouse_snapshot_age_seconds",
                     "gatehouse_http_request_duration_seconds_bucket",
                     "gatehouse_http_request_duration_seconds_sum",
                     "gatehouse_http_request_duration_seconds_count"):
            self.assertIn(name, names)
        for name, labels, _ in samples:
            if name == "gatehouse_http_requests_total":
                self.assertIn("route", labels)
                self.assertRegex(labels.get("status", ""), r"^[1-5]\d\d$")
        age = [v for n, _, v in samples if n == "gatehouse_snapshot_age_seconds"]
        self.assertTrue(all(v >= 0 for v in age), age)

    def test_metrics_duration_histogram_is_cumulative(self):
        self.get("/healthz")
        _, samples = self.metrics()
        series = {}
        for name, labels, v in samples:
            if name.startswith("gatehouse_http_request_duration_seconds"):
                key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
                series.setdefault(key, {"buckets": [], "count": None})
                if name.endswith("_bucket"):
                    le = labels["le"]
                    series[key]["buckets"].append((float("inf") if le == "+Inf" else float(le), v))
                elif name.endswith("_count"):
                    series[key]["count"] = v
        self.assertTrue(series)
        for key, s in series.items():
            buckets = sorted(s["buckets"])
            self.assertTrue(buckets, key)
            self.assertEqual(buckets[-1][0], float("inf"), key)
            counts = [c for _, c in buckets]
            self.assertEqual(counts, sorted(counts), "buckets not cumulative for %r" % (key,))
            self.assertEqual(buckets[-1][1], s["count"], "+Inf bucket != _count for %r" % (key,))

    def test_metrics_count_each_request(self):
        _, before = self.metrics()
        ok_before = self.requests_total(before, 200, "healthz")
        nf_before = self.requests_total(before, 404)
        dur_before = sum(v for n, _, v in before
                         if n == "gatehouse_http_request_duration_seconds_count")
        c = self.client()
        for _ in range(5):
            self.assertEqual(c.request("GET", "/healthz").status, 200)
        for _ in range(3):
            self.assertEqual(c.request("GET", "/no-such-route-%s" % uuid.uuid4().hex).status, 404)
        deadline = time.monotonic() + 3
        while True:
            _, after = self.metrics()
            ok = self.requests_total(after, 200, "healthz") - ok_before
            nf = self.requests_total(after, 404) - nf_before
            if (ok >= 5 and nf >= 3) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(ok, 5, "healthz 200 counter moved by %s, expected 5" % ok)
        self.assertEqual(nf, 3, "404 counter moved by %s, expected 3" % nf)
        dur_after = sum(v for n, _, v in after
                        if n == "gatehouse_http_request_duration_seconds_count")
        self.assertGreaterEqual(dur_after - dur_before, 8)

    # --- request ids ----------------------------------------------------------

    def test_request_id_generated_and_unique(self):
        ids = []
        for _ in range(3):
            r = self.get("/healthz")
            rid = r.header("X-Request-Id")
            self.assertIsNotNone(rid, r)
            self.assertRegex(rid, harness.SANE_REQUEST_ID)
            ids.append(rid)
        self.assertEqual(len(set(ids)), 3, ids)

    def test_request_id_echoed_on_success_and_refusal(self):
        for path, status in (("/healthz", 200), ("/no-such-route", 404)):
            rid = "it-echo-" + uuid.uuid4().hex
            r = self.get(path, headers={"X-Request-Id": rid})
            self.assertEqual(r.status, status, r)
            self.assertEqual(r.header("X-Request-Id"), rid, r)

    def test_request_id_not_echoed_when_insane(self):
        for bad in (b"a" * 300, b"caf\xc3\xa9-\xff\xfe"):
            r = harness.raw_exchange(self.server.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n"
                                     b"X-Request-Id: " + bad + b"\r\nConnection: close\r\n\r\n")
            self.assertEqual(r.status, 200, r)
            rid = r.header("X-Request-Id")
            self.assertIsNotNone(rid, r)
            self.assertNotEqual(rid.encode("latin-1"), bad, r)
            self.assertRegex(rid, harness.SANE_REQUEST_ID)

    # --- log ----------------------------------------------------------------

    def test_access_log_line_is_json(self):
        rid = "it-log-" + uuid.uuid4().hex
        r = self.get("/healthz?probe=1", headers={"X-Request-Id": rid})
        self.assertEqual(r.status, 200, r)
        rec = self.server.wait_for_log(
            lambda rec: rec.get("msg") == "http.request" and rid in rec.values())
        self.assertIsNotNone(rec, "no http.request log line carrying request id %s" % rid)
        values = list(rec.values())
        self.assertIn(200, values, rec)
        self.assertIn("GET", values, rec)
        self.assertTrue(any(isinstance(v, str) and v.startswith("/healthz") for v in values), rec)
        self.assertIn(rec.get("level"), ("debug", "info", "warn", "error"), rec)

    def test_every_log_line_is_one_json_object(self):
        self.get("/healthz")
        self.get("/no-such-route")
        lines = self.server.log_lines()
        self.assertTrue(lines)
        for line in lines:
            try:
                obj = json.loads(line)
            except ValueError:
                self.fail("log line is not JSON: %r" % line)
            self.assertIsInstance(obj, dict, line)
            self.assertIsInstance(obj.get("msg"), str, line)
            self.assertIsInstance(obj.get("level"), str, line)
        listening = [json.loads(x) for x in lines
                     if '"server.listening"' in x]
        self.assertEqual(len(listening), 1, listening)
        self.assertEqual(listening[0]["port"], self.server.port)


if __name__ == "__main__":
    unittest.main()
