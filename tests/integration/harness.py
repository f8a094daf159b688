"""Integration-test harness: runs the real gatehouse binary and talks HTTP to it.

Python 3 standard library only.  The binary is $GATEHOUSE_BIN (default
build/gatehouse in the repository).  Each Server gets its own temporary
directory (its cwd, holding the SQLite database and the captured stdout and
stderr), listens on a free loopback port chosen by the kernel
(--listen 127.0.0.1:0) and is found through its "server.listening" log line.

    class MyTest(harness.ServerTestCase):
        server_args = ["--max-body", "4096"]

        def test_something(self):
            r = self.get("/healthz")
            self.assertEqual(r.status, 200)

ServerTestCase starts one server per test class and stops it at the end with
SIGTERM, asserting exit status 0 (under AddressSanitizer that is also the leak
check).  When a test fails, the server's stderr written during that test is
printed, so a failure shows what the server said.
"""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("GATEHOUSE_BIN", os.path.join(REPO, "build", "gatehouse")))
# Generous: sanitizer builds start slower.  Tests with their own budget (start
# time under 1 s) measure it themselves.
START_TIMEOUT = float(os.environ.get("GATEHOUSE_START_TIMEOUT", "15"))
HTTP_TIMEOUT = float(os.environ.get("GATEHOUSE_HTTP_TIMEOUT", "10"))
STOP_TIMEOUT = float(os.environ.get("GATEHOUSE_STOP_TIMEOUT", "15"))
KEEP_TMP = os.environ.get("GATEHOUSE_KEEP_TMP") == "1"

_live = set()  # servers still running, killed at exit whatever happened


@atexit.register
def _kill_leftovers():
    for srv in list(_live):
        srv.kill()


def free_port():
    """A loopback port that was free a moment ago (for tests that must name one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(args, cwd=None, env=None, timeout=30):
    """Runs `gatehouse ARGS...` to completion; returns CompletedProcess (text)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([BIN] + list(args), cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


class ServerError(Exception):
    """The server did not start or misbehaved; the message includes its log."""


class Server:
    """One `gatehouse serve` process in its own temporary directory.

    args are extra flags after `serve`; env entries are added to the
    environment.  listen/db default to a kernel-chosen port and tmpdir/gh.db;
    a db with "://" (postgres://…) is passed as it is, so several Servers
    can be nodes of one database (give them one GATEHOUSE_MASTER_KEY in env);
    pass db=None to give no --db at all (the server then uses its default
    relative to its cwd, the tmpdir), listen=None likewise (then say which
    port it will use, e.g. from GATEHOUSE_LISTEN).  With a fixed port,
    start() waits for /healthz instead of the listening line.
    """

    def __init__(self, args=(), env=None, listen="127.0.0.1:0", db="gh.db", port=None):
        self.args = list(args)
        self.env = dict(env or {})
        self.listen = listen
        self.db_name = db
        self.tmpdir = None
        self.proc = None
        self.port = port
        self.returncode = None
        self.started_at = None

    @property
    def db(self):
        if self.db_name and "://" in self.db_name:
            return self.db_name  # a database server's URL (PostgreSQL), shared by nodes
        return os.path.join(self.tmpdir, self.db_name) if self.db_name else None

    @property
    def stderr_path(self):
        return os.path.join(self.tmpdir, "stderr.log")

    @property
    def stdout_path(self):
        return os.path.join(self.tmpdir, "stdout.log")

    def argv(self):
        argv = [BIN, "serve"]
        if self.listen is not None:
            argv += ["--listen", self.listen]
        if self.db_name is not None:
            argv += ["--db", self.db]
        return argv + self.args

    def start(self):
        self.tmpdir = tempfile.mkdtemp(prefix="gh-it-")
        env = dict(os.environ)
        env.update(self.env)
        out = open(self.stdout_path, "wb")
        err = open(self.stderr_path, "wb")
        try:
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen(self.argv(), cwd=self.tmpdir, env=env,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        finally:
            out.close()
            err.close()
        _live.add(self)
        try:
            if self.listen is not None and self.listen.endswith(":0"):
                self.port = self._wait_listening()
            else:
                if self.listen is not None:
                    self.port = int(self.listen.rsplit(":", 1)[1])
                elif self.port is None:
                    self.port = 8080
                self._wait_healthz()
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for rec in self.log_records():
                if rec.get("msg") == "server.listening":
                    port = rec.get("port")
                    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
                        raise ServerError("server.listening has no integer port: %r\n%s"
                                          % (rec, self.describe()))
                    return port
            if self.proc.poll() is not None:
                raise ServerError("server exited with status %s before listening\n%s"
                                  % (self.proc.returncode, self.describe()))
            time.sleep(0.01)
        raise ServerError("no server.listening log line within %.0fs\n%s"
                          % (START_TIMEOUT, self.describe()))

    def _wait_healthz(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("server exited with status %s during start\n%s"
                                  % (self.proc.returncode, self.describe()))
            try:
                c = Client(self.port, timeout=1)
                try:
                    if c.request("GET", "/healthz").status == 200:
                        return
                finally:
                    c.close()
            except OSError:
                pass
            time.sleep(0.02)
        raise ServerError("/healthz not answering within %.0fs\n%s"
                          % (START_TIMEOUT, self.describe()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends sig to the server's PID and waits; returns its exit status
        (negative: killed by that signal).  A server that does not exit in
        time is killed and ServerError raised.  Removes the temp dir."""
        if self.proc is None:
            return self.returncode
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    raise ServerError("server did not exit within %.0fs of signal %d\n%s"
                                      % (timeout, sig, self.describe()))
            self.returncode = self.proc.returncode
            return self.returncode
        finally:
            _live.discard(self)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.returncode = self.proc.returncode
        _live.discard(self)

    def cleanup(self):
        self.kill()
        if self.tmpdir and not KEEP_TMP:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    # --- the server's log -------------------------------------------------

    def stderr_bytes(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()
        except OSError:
            return b""

    def stderr_text(self, start=0):
        return self.stderr_bytes()[start:].decode("utf-8", "replace")

    def log_lines(self):
        """Complete lines of stderr so far (a line still being written is left out)."""
        data = self.stderr_bytes()
        return data[:data.rfind(b"\n") + 1].decode("utf-8", "replace").splitlines()

    def log_records(self):
        """The stderr lines that parse as JSON objects."""
        recs = []
        for line in self.log_lines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                recs.append(obj)
        return recs

    def wait_for_log(self, predicate, timeout=5.0):
        """First log record satisfying predicate, polling until timeout; None if none."""
        deadline = time.monotonic() + timeout
        while True:
            for rec in self.log_records():
                if predicate(rec):
                    return rec
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)

    def describe(self, start=0):
        text = self.stderr_text(start)
        lines = text.splitlines()
        if len(lines) > 200:
            lines = ["... (%d earlier lines)" % (len(lines) - 200)] + lines[-200:]
        return "--- command: %s\n--- server stderr%s:\n%s\n--- end of server stderr" % (
            " ".join(self.argv()), " (from byte %d)" % start if start else "",
            "\n".join(lines) if lines else "(empty)")


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) in order received
        self.body = body

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        body = self.body[:300]
        return "<HTTP %s %s headers=%r body=%r>" % (self.status, self.reason, self.headers, body)


class Client:
    """A keep-alive HTTP/1.1 client (http.client) bound to one connection."""

    def __init__(self, port, host="127.0.0.1", timeout=HTTP_TIMEOUT):
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        data = r.read()
        return Response(r.status, r.reason, r.getheaders(), data)

    @property
    def sock(self):
        """The underlying socket (the same object while the connection is kept alive)."""
        return self.conn.sock

    def close(self):
        self.conn.close()


class RawConnection:
    """A plain TCP connection for requests http.client will not send
    (malformed, oversized, pipelined) and for reading answers byte-exactly."""

    def __init__(self, port, host="127.0.0.1", timeout=HTTP_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        if self.eof:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def _take_line(self):
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise EOFError("connection closed inside a header line")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise EOFError("connection closed inside a body")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head=False):
        """Next response, or None when the server closed without sending one.
        head=True: the request was HEAD, so no body follows."""
        while not self.buf:
            if not self._fill():
                return None
        status_line = self._take_line().decode("latin-1")
        m = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)$", status_line)
        if not m:
            raise ValueError("bad status line %r" % status_line)
        status, reason = int(m.group(1)), m.group(2)
        headers = []
        while True:
            line = self._take_line()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        r = Response(status, reason, headers, b"")
        if head or status in (204, 304) or 100 <= status < 200:
            return r
        te = (r.header("Transfer-Encoding") or "").lower()
        cl = r.header("Content-Length")
        if "chunked" in te:
            body = b""
            while True:
                size = int(self._take_line().split(b";")[0], 16)
                if size == 0:
                    while self._take_line():
                        pass
                    break
                body += self._take(size)
                self._take(2)
            r.body = body
        elif cl is not None:
            r.body = self._take(int(cl))
        else:
            while self._fill():
                pass
            r.body, self.buf = self.buf, b""
        return r

    def closed_by_peer(self, timeout=2.0):
        """True if the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            while self._fill():
                pass
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def raw_exchange(port, data, head=False):
    """Sends data on a new connection and returns the first response (or None)."""
    c = RawConnection(port)
    try:
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        return c.read_response(head=head)
    finally:
        c.close()


# --- assertions shared by the suites ----------------------------------------

SANE_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,64}$")


def check_error_shape(test, r, status):
    """The project's one refusal shape (seed 001):
    {"code":N,"errors":[{"message":"...","field":"..."}]}, JSON content type,
    an X-Request-Id, code equal to the HTTP status."""
    test.assertEqual(r.status, status, r)
    ctype = (r.header("Content-Type") or "").split(";")[0].strip().lower()
    test.assertEqual(ctype, "application/json", r)
    try:
        doc = r.json()
    except ValueError as e:
        test.fail("refusal body is not JSON (%s): %r" % (e, r))
    test.assertIsInstance(doc, dict, r)
    test.assertEqual(set(doc), {"code", "errors"}, r)
    test.assertEqual(doc["code"], status, r)
    test.assertIsInstance(doc["errors"], list, r)
    test.assertGreater(len(doc["errors"]), 0, r)
    for item in doc["errors"]:
        test.assertIsInstance(item, dict, r)
        test.assertTrue(set(item) <= {"message", "field"}, r)
        test.assertIsInstance(item.get("message"), str, r)
        test.assertTrue(item["message"].strip(), r)
        if "field" in item:
            test.assertIsInstance(item["field"], str, r)
    test.assertRegex(r.header("X-Request-Id") or "", SANE_REQUEST_ID, r)
    return doc


class ServerTestCase(unittest.TestCase):
    """One server per test class; see the module docstring."""

    server_args = []
    server_env = {}
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(args=cls.server_args, env=cls.server_env)
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        srv = cls.server
        try:
            was_running = srv.running()
            rc = srv.stop()
            if not was_running or rc != 0:
                sys.stderr.write("\n%s: server %s\n%s\n" % (
                    cls.__name__, "had already exited" if not was_running else "stopped",
                    srv.describe()))
            if not was_running:
                raise AssertionError("server died during the tests (exit status %s)" % rc)
            if rc != 0:
                raise AssertionError("server exit status after SIGTERM is %s, not 0" % rc)
        finally:
            srv.cleanup()

    def run(self, result=None):
        # Show what the server logged during a failing test.
        start = len(self.server.stderr_bytes()) if self.server else 0
        before = len(result.failures) + len(result.errors) if result is not None else 0
        result = super().run(result)
        if result is not None and self.server is not None and \
                len(result.failures) + len(result.errors) > before:
            sys.stderr.write("\n%s failed; server stderr during the test:\n%s\n" % (
                self.id(), self.server.describe(start)))
        return result

    # convenience

    def client(self):
        c = Client(self.server.port)
        self.addCleanup(c.close)
        return c

    def request(self, method, path, body=None, headers=None):
        """One request on a fresh connection."""
        c = Client(self.server.port)
        try:
            return c.request(method, path, body=body, headers=headers)
        finally:
            c.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def assert_still_serving(self, context=""):
        r = self.get("/healthz")
        self.assertEqual(r.status, 200, "server stopped serving %s: %r" % (context, r))
        self.assertTrue(self.server.running(), "server exited %s" % context)
