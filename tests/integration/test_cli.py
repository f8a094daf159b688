"""The command line: help texts, bad values, version, migrate, admin-token,
configuration precedence, signals and start-up time."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

import api
import harness


class TempDirTestCase(unittest.TestCase):
    def setUp(self):
        td = tempfile.TemporaryDirectory(prefix="gh-cli-")
        self.addCleanup(td.cleanup)
        self.tmp = td.name

    def cli(self, *args, env=None, timeout=30):
        return harness.run_cli(args, cwd=self.tmp, env=env, timeout=timeout)

    def start_server(self, **kw):
        srv = harness.Server(**kw)
        self.addCleanup(srv.cleanup)
        try:
            srv.start()
        except harness.ServerError as e:
            raise self.failureException(str(e)) from None
        return srv

    def assert_stopped_cleanly(self, srv, sig=signal.SIGTERM):
        rc = srv.stop(sig)
        self.assertEqual(rc, 0, "exit status %s after signal %d\n%s" % (rc, sig, srv.describe()))


class HelpAndVersionTest(TempDirTestCase):

    def test_help_lists_commands(self):
        p = self.cli("--help")
        self.assertEqual(p.returncode, 0, p)
        for cmd in ("serve", "migrate", "admin-token", "version"):
            self.assertIn(cmd, p.stdout, "gatehouse --help does not mention %s" % cmd)

    def test_serve_help_documents_flags_envs_and_defaults(self):
        p = self.cli("serve", "--help")
        self.assertEqual(p.returncode, 0, p)
        for word in ("--listen", "--db", "--threads", "--log-level", "--max-body",
                     "GATEHOUSE_LISTEN", "GATEHOUSE_DB", "GATEHOUSE_THREADS",
                     "GATEHOUSE_LOG_LEVEL", "GATEHOUSE_MAX_BODY",
                     "127.0.0.1:8080", "gatehouse.db"):
            self.assertIn(word, p.stdout, "serve --help does not mention %s" % word)

    def test_command_help_documents_db(self):
        for cmd in (["migrate"], ["admin-token", "create"]):
            p = self.cli(*cmd, "--help")
            self.assertEqual(p.returncode, 0, (cmd, p))
            self.assertIn("--db", p.stdout, cmd)
            self.assertIn("GATEHOUSE_DB", p.stdout, cmd)
        p = self.cli("admin-token", "create", "--help")
        self.assertIn("--name", p.stdout)

    def test_version_names_release_and_schema(self):
        p = self.cli("version")
        self.assertEqual(p.returncode, 0, p)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 2, p.stdout)
        self.assertRegex(lines[0], r"^gatehouse \d+\.\d+\.\d+ ")
        self.assertRegex(lines[1], r"^schema version [1-9]\d*$")

    def test_version_reads_a_database_without_changing_it(self):
        db = os.path.join(self.tmp, "v.db")
        p = self.cli("version", "--db", db)
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("does not exist", p.stdout)
        self.assertFalse(os.path.exists(db), "version created the database")
        self.assertEqual(self.cli("migrate", "--db", db).returncode, 0)
        latest = self.cli("version").stdout.splitlines()[1].split()[-1]
        p = self.cli("version", "--db", db)
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("database %s: schema version %s" % (db, latest), p.stdout)


# args, extra environment, a word the one-line message must contain
BAD_VALUES = [
    ("threads_not_a_number", ["serve", "--threads", "abc"], {}, "threads"),
    ("threads_negative", ["serve", "--threads", "-3"], {}, "threads"),
    ("threads_overflow", ["serve", "--threads", "99999999999999999999"], {}, "threads"),
    ("threads_trailing_junk", ["serve", "--threads", "4x"], {}, "threads"),
    ("threads_missing_value", ["serve", "--threads"], {}, "threads"),
    ("listen_no_port", ["serve", "--listen", "nonsense"], {}, "listen"),
    ("listen_port_too_big", ["serve", "--listen", "127.0.0.1:70000"], {}, "listen"),
    ("listen_empty_port", ["serve", "--listen", "127.0.0.1:"], {}, "listen"),
    ("log_level_unknown", ["serve", "--log-level", "loud"], {}, "log"),
    ("max_body_not_a_number", ["serve", "--max-body", "lots"], {}, "max"),
    ("max_body_negative", ["serve", "--max-body", "-1"], {}, "max"),
    ("unknown_flag", ["serve", "--no-such-flag"], {}, "no-such-flag"),
    ("unknown_command", ["frobnicate"], {}, "frobnicate"),
    ("env_threads", ["serve"], {"GATEHOUSE_THREADS": "abc"}, "threads"),
    ("env_log_level", ["serve"], {"GATEHOUSE_LOG_LEVEL": "loud"}, "log"),
    ("env_listen", ["serve"], {"GATEHOUSE_LISTEN": "nonsense"}, "listen"),
    ("env_max_body", ["serve"], {"GATEHOUSE_MAX_BODY": "lots"}, "max"),
    ("migrate_unknown_flag", ["migrate", "--bogus"], {}, "bogus"),
]


class BadValueTest(TempDirTestCase):
    """A bad value: exit status 2, exactly one line on stderr naming what was
    wrong, nothing on stdout, and no server left running."""

    def check_bad_value(self, args, env, word):
        full_env = {"GATEHOUSE_LISTEN": "127.0.0.1:0",
                    "GATEHOUSE_DB": os.path.join(self.tmp, "gh.db")}
        full_env.update(env)
        try:
            p = self.cli(*args, env=full_env, timeout=10)
        except subprocess.TimeoutExpired:
            self.fail("gatehouse %s with %s did not exit: the bad value was accepted"
                      % (" ".join(args), env))
        self.assertEqual(p.returncode, 2, p)
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, "stderr must be one line, got %r" % p.stderr)
        self.assertIn(word.lower(), lines[0].lower(), lines)
        self.assertEqual(p.stdout, "", p)


def _add_bad_value_cases():
    def case(args, env, word):
        return lambda self: self.check_bad_value(args, env, word)

    for name, args, env, word in BAD_VALUES:
        setattr(BadValueTest, "test_exit_2_" + name, case(args, env, word))


_add_bad_value_cases()


def schema_of(path):
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                           "ORDER BY type, name").fetchall()
        version = con.execute("PRAGMA user_version").fetchone()[0]
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        return rows, version, mode
    finally:
        con.close()


def db_files_bytes(directory, name):
    """The database and its -wal / -journal / -shm companions, concatenated."""
    data = b""
    for f in sorted(os.listdir(directory)):
        if f.startswith(name):
            with open(os.path.join(directory, f), "rb") as fh:
                data += fh.read()
    return data


class DatabaseCommandTest(TempDirTestCase):

    def test_migrate_twice_is_idempotent(self):
        db = os.path.join(self.tmp, "m.db")
        p1 = self.cli("migrate", "--db", db)
        self.assertEqual(p1.returncode, 0, p1)
        self.assertTrue(os.path.exists(db))
        rows1, version1, mode = schema_of(db)
        tables = [r for r in rows1 if r[0] == "table" and not r[1].startswith("sqlite_")]
        self.assertGreaterEqual(len(tables), 10, "schema has only %r" % [t[1] for t in tables])
        self.assertEqual(mode.lower(), "wal")
        p2 = self.cli("migrate", "--db", db)
        self.assertEqual(p2.returncode, 0, p2)
        rows2, version2, _ = schema_of(db)
        self.assertEqual(rows1, rows2, "second migrate changed the schema")
        self.assertEqual(version1, version2)

    def test_admin_token_create_prints_one_token_stored_hashed(self):
        db = os.path.join(self.tmp, "t.db")
        self.assertEqual(self.cli("migrate", "--db", db).returncode, 0)
        tokens = []
        for name in ("ci-bot-7f3a", "ops-2b9c"):
            p = self.cli("admin-token", "create", "--db", db, "--name", name)
            self.assertEqual(p.returncode, 0, p)
            lines = p.stdout.splitlines()
            self.assertEqual(len(lines), 1, "stdout must be the token alone: %r" % p.stdout)
            token = lines[0]
            self.assertRegex(token, r"^[A-Za-z0-9._~+/=-]{32,}$")
            self.assertNotIn(token, p.stderr, "the token was logged")
            tokens.append((name, token))
        self.assertNotEqual(tokens[0][1], tokens[1][1])
        stored = db_files_bytes(self.tmp, "t.db")
        for name, token in tokens:
            self.assertNotIn(token.encode(), stored, "token stored in clear")
            self.assertIn(name.encode(), stored, "token name %s not stored" % name)

    def test_master_key_from_environment_replaces_the_key_file(self):
        db = os.path.join(self.tmp, "mk.db")
        env = {"GATEHOUSE_MASTER_KEY": "ab" * 32}
        p = self.cli("admin-token", "create", "--db", db, env=env)
        self.assertEqual(p.returncode, 0, p)
        self.assertFalse(os.path.exists(db + ".key"), "a key file was created despite the variable")
        for bad in ("ab" * 31, "zz" * 32, "ab" * 33):
            p = self.cli("admin-token", "create", "--db", db, env={"GATEHOUSE_MASTER_KEY": bad})
            self.assertEqual(p.returncode, 1, p)
            self.assertIn("GATEHOUSE_MASTER_KEY", p.stderr)
            self.assertEqual(p.stdout, "", "a token was printed despite the bad key")

    def test_admin_token_create_default_db_in_cwd(self):
        p = self.cli("migrate")
        self.assertEqual(p.returncode, 0, p)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "gatehouse.db")))
        p = self.cli("admin-token", "create")
        self.assertEqual(p.returncode, 0, p)
        self.assertEqual(len(p.stdout.splitlines()), 1, p.stdout)


# Log lines written at "info" even when the level is higher.
LIFECYCLE = {"server.listening", "server.stopping", "server.stopped"}


class ServeProcessTest(TempDirTestCase):

    def test_sigterm_exits_zero(self):
        srv = self.start_server()
        self.assertEqual(harness.Client(srv.port).request("GET", "/healthz").status, 200)
        self.assert_stopped_cleanly(srv, signal.SIGTERM)

    def test_sigint_exits_zero(self):
        srv = self.start_server()
        self.assertEqual(harness.Client(srv.port).request("GET", "/healthz").status, 200)
        self.assert_stopped_cleanly(srv, signal.SIGINT)

    def test_sigterm_with_idle_keepalive_connection_exits_promptly(self):
        srv = self.start_server()
        c = harness.Client(srv.port)
        self.addCleanup(c.close)
        self.assertEqual(c.request("GET", "/healthz").status, 200)
        t0 = time.monotonic()
        rc = srv.stop(signal.SIGTERM, timeout=10)
        self.assertEqual(rc, 0, srv.describe())
        self.assertLess(time.monotonic() - t0, 5.0, "shutdown waited on an idle connection")

    def test_start_to_healthz_under_one_second(self):
        srv = self.start_server()
        # started_at is taken just before the process is spawned.
        r = harness.Client(srv.port).request("GET", "/healthz")
        elapsed = time.monotonic() - srv.started_at
        self.assertEqual(r.status, 200, r)
        self.assertLess(elapsed, 1.0, "start to first /healthz took %.3fs" % elapsed)
        self.assert_stopped_cleanly(srv)

    def test_serve_creates_default_db_and_reads_env_listen(self):
        port = harness.free_port()
        srv = self.start_server(listen=None, db=None, port=port,
                                env={"GATEHOUSE_LISTEN": "127.0.0.1:%d" % port})
        self.assertTrue(os.path.exists(os.path.join(srv.tmpdir, "gatehouse.db")),
                        os.listdir(srv.tmpdir))
        self.assert_stopped_cleanly(srv)

    def test_flag_overrides_env(self):
        flag_db = os.path.join(self.tmp, "flag.db")
        env_db = os.path.join(self.tmp, "env.db")
        srv = self.start_server(db=None, args=["--db", flag_db], env={"GATEHOUSE_DB": env_db})
        self.assert_stopped_cleanly(srv)
        self.assertTrue(os.path.exists(flag_db))
        self.assertFalse(os.path.exists(env_db))

    def test_log_level_warn_silences_info_lines(self):
        # A fixed port: at level warn the server.listening line (info) is
        # not logged, so the harness finds the server through /healthz.
        for how in ("flag", "env"):
            port = harness.free_port()
            if how == "flag":
                srv = self.start_server(listen="127.0.0.1:%d" % port, args=["--log-level", "warn"])
            else:
                srv = self.start_server(listen="127.0.0.1:%d" % port,
                                        env={"GATEHOUSE_LOG_LEVEL": "warn"})
            c = harness.Client(srv.port)
            for _ in range(3):
                self.assertEqual(c.request("GET", "/healthz").status, 200)
            self.assertEqual(c.request("GET", "/no-such-route").status, 404)
            c.close()
            self.assert_stopped_cleanly(srv)
            for line in srv.log_lines():
                rec = json.loads(line)
                self.assertNotEqual(rec.get("msg"), "http.request",
                                    "%s: access log line at level warn: %s" % (how, line))
                # Lifecycle lines are written whatever the level (core/log.h),
                # so that operators and scripts always see them.
                if rec.get("msg") in LIFECYCLE:
                    continue
                self.assertIn(rec.get("level"), ("warn", "error"),
                              "%s: line below warn: %s" % (how, line))

    def test_threads_flag_serves(self):
        srv = self.start_server(args=["--threads", "3"])
        c = harness.Client(srv.port)
        for _ in range(10):
            self.assertEqual(c.request("GET", "/healthz").status, 200)
        c.close()
        self.assert_stopped_cleanly(srv)

    def test_second_server_on_same_db_and_port_conflict(self):
        srv = self.start_server()
        # The port is taken: a second server must fail fast with a clear
        # message instead of hanging, and the first keeps serving.
        p = harness.run_cli(["serve", "--listen", "127.0.0.1:%d" % srv.port,
                             "--db", os.path.join(self.tmp, "other.db")], timeout=10)
        self.assertNotEqual(p.returncode, 0, p)
        self.assertTrue(p.stderr.strip(), "no message when the port is taken")
        self.assertEqual(harness.Client(srv.port).request("GET", "/healthz").status, 200)
        self.assert_stopped_cleanly(srv)


if __name__ == "__main__":
    unittest.main()


class PlatformAdminCommandTest(api.ApiTestCase):
    """`gatehouse platform-admin grant|revoke|list` against a running server:
    the change takes effect on the person's next request and is audited."""

    def cli(self, *args):
        return harness.run_cli(["platform-admin", *args, "--db", self.server.db],
                               cwd=self.server.tmpdir)

    def test_grant_list_revoke_change_what_the_person_may_do(self):
        person = self.new_person("pa", name="Pat Admin")
        self.refused(403, self.call("GET", "/api/v1/developers", as_=person))

        p = self.cli("grant", person.email.upper())
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("is now a platform admin", p.stderr)
        self.ok(200, self.call("GET", "/api/v1/developers", as_=person))
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=person))
        self.assertTrue(me["user"]["platform_admin"], me)

        p = self.cli("list")
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("%s\tPat Admin\t%s" % (person.email, person.id), p.stdout.splitlines())

        again = self.cli("grant", person.email)
        self.assertEqual(again.returncode, 0, again)
        self.assertIn("nothing changed", again.stderr)

        p = self.cli("revoke", person.email)
        self.assertEqual(p.returncode, 0, p)
        self.refused(403, self.call("GET", "/api/v1/developers", as_=person))
        self.assertNotIn(person.email, self.cli("list").stdout)

        events = self.ok(200, self.call("GET", "/api/v1/audit?object=" + person.id,
                                        as_=self.admin))["items"]
        actions = [e["action"] for e in events]
        self.assertIn("user.platform_admin.grant", actions)
        self.assertIn("user.platform_admin.revoke", actions)

    def test_unknown_and_unverified_addresses_are_refused(self):
        p = self.cli("grant", "nobody-%d@example.test" % os.getpid())
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("nobody has registered", p.stderr)

        addr = self.register(self.unique_email("unverified"))
        p = self.cli("grant", addr)
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("not verified", p.stderr)
        self.assertNotIn(addr, self.cli("list").stdout)

    def test_usage_errors(self):
        p = harness.run_cli(["platform-admin", "promote", "x@example.test"],
                            cwd=self.server.tmpdir)
        self.assertEqual(p.returncode, 2, p)
        p = self.cli("grant")
        self.assertEqual(p.returncode, 2, p)
        p = harness.run_cli(["platform-admin", "--help"], cwd=self.server.tmpdir)
        self.assertEqual(p.returncode, 0, p)
        for word in ("grant", "revoke", "list", "verified"):
            self.assertIn(word, p.stdout)
