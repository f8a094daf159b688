"""Mail delivery through SMTP (src/portal/smtp.c, src/portal/mailer.c).

A real SMTP server on loopback (aiosmtpd, Debian's python3-aiosmtpd) records
every envelope it accepts; gatehouse runs with --smtp-url pointing at it and
--mail-retry-base 1.  Checked: the red-access-status mail reaches the
partner's responsible person with the right envelope, headers (Date, a
Message-ID built from the outbox id, an RFC 2047 subject) and the reason in
the body; mail queued while the SMTP server is down goes out, once, when it
is back on the same port; a recipient the server refuses (550) ends failed
after --mail-max-attempts 2 with the server's reply as last error, while
other mail flows; a URL that is not smtp:// or smtps:// stops start-up;
a SIGKILL of gatehouse while the SMTP server holds a message's DATA loses
nothing: after a restart on the same database the message goes out again,
with the same Message-ID, and ends sent.
"""

import asyncio
import email
import email.policy
import email.utils
import itertools
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import unittest

try:
    from aiosmtpd.controller import Controller
except ImportError:
    # Debian's python3-aiosmtpd lives in the system interpreter's
    # dist-packages; a python3 of another installation (pyenv, venv) of the
    # same version can use it from there.
    sys.path.append("/usr/lib/python3/dist-packages")
    from aiosmtpd.controller import Controller

import api
import harness

_seq = itertools.count(1)
MAIL_FROM = "noreply@gatehouse.test"


def tag():
    return "%d-%d" % (os.getpid(), next(_seq))


class Recorder:
    """aiosmtpd handler: refuses the addresses in refused with 550 at RCPT
    and records every accepted message as (mail_from, rcpt_tos, bytes).
    For a message to an address in slow (address -> seconds) it records the
    message, sets in_flight and only then waits that long before answering
    the DATA: a client that dies meanwhile has delivered without knowing."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.refused = set()
        self.rcpt_seen = []
        self.slow = {}
        self.in_flight = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_seen.append(address)
            if address.lower() in self.refused:
                return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  bytes(envelope.original_content or envelope.content)))
            delay = max([self.slow.get(r.lower(), 0) for r in envelope.rcpt_tos] + [0])
        if delay:
            self.in_flight.set()
            await asyncio.sleep(delay)
        return "250 Message accepted for delivery"

    def received(self, rcpt):
        """Parsed messages whose envelope recipient is rcpt, oldest first."""
        with self.lock:
            got = [m for m in self.messages if rcpt.lower() in (r.lower() for r in m[1])]
        return [(frm, tos, raw, email.message_from_bytes(raw, policy=email.policy.default))
                for frm, tos, raw in got]


class SmtpCase(api.ApiTestCase):
    """Starts the SMTP server before gatehouse, on a fixed loopback port."""

    extra_args = []

    @classmethod
    def setUpClass(cls):
        cls.recorder = Recorder()
        cls.smtp_port = harness.free_port()
        cls.smtp = None
        cls.start_smtp()
        cls.server_args = ["--smtp-url", "smtp://127.0.0.1:%d" % cls.smtp_port,
                           "--mail-from", MAIL_FROM, "--mail-retry-base", "1"] + cls.extra_args
        try:
            super().setUpClass()
        except BaseException:
            cls.stop_smtp()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.stop_smtp()

    @classmethod
    def start_smtp(cls):
        cls.smtp = Controller(cls.recorder, hostname="127.0.0.1", port=cls.smtp_port)
        cls.smtp.start()

    @classmethod
    def stop_smtp(cls):
        if cls.smtp is not None:
            cls.smtp.stop()
            cls.smtp = None

    # --- the world: provider, API with an auto plan, partner, subscribed app ---

    def mgmt(self, method, path, body=None, status=200):
        return self.ok(status, self.call(method, path, body, as_=self.admin))

    def provider(self):
        t = tag()
        org = self.mgmt("POST", "/api/v1/orgs", {"name": "Provider %s" % t, "provider": True}, 201)
        a = self.mgmt("POST", "/api/v1/orgs/%s/apis" % org["id"],
                      {"name": "API %s" % t, "service": "svc-%s" % t,
                       "path_prefixes": ["/p-%s" % t]}, 201)
        plan = self.mgmt("POST", "/api/v1/apis/%s/plans" % a["id"],
                         {"name": "Auto %s" % t, "approval": "auto"}, 201)
        return org, a, plan

    def subscribed_app(self, provider, responsible, app_name=None):
        org, a, plan = provider
        t = tag()
        partner = self.mgmt("POST", "/api/v1/orgs",
                            {"name": "Partner %s" % t, "partner": True, "tenant": "pt-%s" % t,
                             "responsible_email": responsible}, 201)
        app = self.mgmt("POST", "/api/v1/orgs/%s/apps" % partner["id"],
                        {"name": app_name or "App %s" % t}, 201)
        self.mgmt("POST", "/api/v1/apps/%s/subscriptions" % app["id"],
                  {"api": a["id"], "plan": plan["id"]}, 201)
        return app

    def set_access(self, provider, app, status, reason=None):
        body = {"provider_org": provider[0]["id"], "status": status}
        if reason is not None:
            body["reason"] = reason
        return self.mgmt("PUT", "/api/v1/apps/%s/access-status" % app["id"], body)

    # --- waiting ----------------------------------------------------------------

    def wait_smtp(self, rcpt, subject_part, count=1, timeout=8.0):
        """The mails to rcpt whose subject contains subject_part, once there
        are at least count of them."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.recorder.received(rcpt) if subject_part in str(m[3]["Subject"])]
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                self.fail("no SMTP mail #%d to %s about %r within %.0fs (have %d)"
                          % (count, rcpt, subject_part, timeout, len(got)))
            time.sleep(0.02)

    def wait_log(self, predicate, timeout=8.0, what="log record"):
        rec = self.server.wait_for_log(predicate, timeout=timeout)
        self.assertIsNotNone(rec, "no %s within %.0fs" % (what, timeout))
        return rec

    def outbox_row(self, msg_id):
        db = sqlite3.connect("file:%s?mode=ro" % self.server.db, uri=True, timeout=5)
        try:
            row = db.execute("SELECT state, attempts, last_error FROM outbox WHERE id = ?",
                             (msg_id,)).fetchone()
        finally:
            db.close()
        self.assertIsNotNone(row, "no outbox row %s" % msg_id)
        return row


class SmtpDeliveryTest(SmtpCase):
    def test_red_status_mail_reaches_the_responsible_person(self):
        who = "resp-%s@partner.test" % tag()
        p = self.provider()
        app = self.subscribed_app(p, who, app_name="Bestellübersicht %s" % tag())
        reason = "Rechnung 2026-117 ist überfällig; bitte begleichen"
        self.set_access(p, app, "red", reason)

        frm, tos, raw, msg = self.wait_smtp(who, "Access blocked")[0]
        self.assertEqual(frm, MAIL_FROM)
        self.assertEqual(tos, [who])
        self.assertIn(who, str(msg["To"]))
        self.assertEqual(str(msg["Subject"]), "Access blocked: app %s is blocked by %s"
                         % (app["name"], p[0]["name"]))
        # the non-ASCII subject travels as RFC 2047 encoded-words
        raw_subject = re.search(rb"^Subject:(.*(?:\r\n[ \t].*)*)", raw, re.M).group(1)
        self.assertIn(b"=?UTF-8?B?", raw_subject)
        text = msg.get_body(preferencelist=("plain",)).get_content()
        self.assertIn(reason, text)
        self.assertIn(app["id"], text)
        m = re.fullmatch(r"<(msg_[A-Za-z0-9_-]+)@gatehouse\.test>", str(msg["Message-ID"]))
        self.assertIsNotNone(m, msg["Message-ID"])
        sent_at = email.utils.parsedate_to_datetime(str(msg["Date"]))
        self.assertLess(abs(time.time() - sent_at.timestamp()), 120)

        # the log names the message, never the recipient
        rec = self.wait_log(lambda r: r.get("msg") == "mail.sent" and
                            r.get("msg_id") == m.group(1), what="mail.sent")
        self.assertEqual(rec.get("transport"), "smtp")
        self.assertEqual(rec.get("event"), "app.access_status.red")
        self.assertNotIn(who, self.server.stderr_text())
        self.assertEqual(self.outbox_row(m.group(1))[0], "sent")

    def test_mail_queued_while_smtp_is_down_goes_out_when_it_is_back(self):
        who = "down-%s@partner.test" % tag()
        p = self.provider()
        app = self.subscribed_app(p, who)
        type(self).stop_smtp()
        try:
            self.set_access(p, app, "red", "contract ended")
            rec = self.wait_log(lambda r: r.get("msg") == "mail.attempt_failed" and
                                r.get("event") == "app.access_status.red" and
                                not r.get("final"), what="mail.attempt_failed")
            self.assertIn("smtp:", rec.get("error", ""))
            self.assertEqual(self.recorder.received(who), [])
            self.assertEqual(self.outbox_row(rec["msg_id"])[0], "pending")
        finally:
            type(self).start_smtp()
        got = self.wait_smtp(who, "Access blocked", timeout=10)
        self.assertIn("contract ended", got[0][3].get_body(("plain",)).get_content())
        self.wait_log(lambda r: r.get("msg") == "mail.sent" and r.get("msg_id") == rec["msg_id"],
                      what="mail.sent after the SMTP server came back")
        self.assertEqual(self.outbox_row(rec["msg_id"])[0], "sent")
        # delivered once: no second copy a moment later
        time.sleep(1.5)
        self.assertEqual(len(self.recorder.received(who)), 1)


class SmtpRefusedTest(SmtpCase):
    extra_args = ["--mail-max-attempts", "2"]

    def test_refused_recipient_ends_failed_and_other_mail_flows(self):
        refused = "gone-%s@partner.test" % tag()
        fine = "fine-%s@partner.test" % tag()
        self.recorder.refused.add(refused)
        p = self.provider()
        app_refused = self.subscribed_app(p, refused)
        app_fine = self.subscribed_app(p, fine)
        self.set_access(p, app_refused, "red", "refused reason")
        self.set_access(p, app_fine, "red", "fine reason")

        got = self.wait_smtp(fine, "Access blocked")
        self.assertIn("fine reason", got[0][3].get_body(("plain",)).get_content())

        final = self.wait_log(lambda r: r.get("msg") == "mail.attempt_failed" and
                              r.get("final") is True, what="final mail.attempt_failed")
        self.assertEqual(final.get("attempts"), 2)
        self.assertIn("550", final.get("error", ""))
        first = [r for r in self.server.log_records() if r.get("msg") == "mail.attempt_failed" and
                 r.get("msg_id") == final["msg_id"]]
        self.assertEqual([r.get("final") for r in first], [False, True])
        state, attempts, last_error = self.outbox_row(final["msg_id"])
        self.assertEqual((state, attempts), ("failed", 2))
        self.assertIn("550", last_error)
        self.assertNotIn(refused, last_error)
        self.assertEqual(self.recorder.received(refused), [])
        self.assertEqual(self.recorder.rcpt_seen.count(refused), 2)

        # no more attempts after the last one
        time.sleep(2.5)
        self.assertEqual(self.recorder.rcpt_seen.count(refused), 2)
        self.assertNotIn(refused, self.server.stderr_text())

        # /metrics: the outbox by state and the worker's counters
        m = self.metrics()
        self.assertGreaterEqual(m['gatehouse_outbox_messages{state="failed"}'], 1, m)
        self.assertGreaterEqual(m['gatehouse_outbox_messages{state="sent"}'], 1, m)
        self.assertGreaterEqual(m["gatehouse_mail_failed_total"], 1, m)
        self.assertGreaterEqual(m["gatehouse_mail_attempt_failures_total"], 2, m)
        self.assertGreaterEqual(m["gatehouse_mail_sent_total"], 1, m)

    def metrics(self):
        r = self.get("/metrics")
        self.assertEqual(r.status, 200, r)
        out = {}
        for line in r.body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out


class SmtpKillTest(SmtpCase):
    """SIGKILL of gatehouse while a delivery is in flight, then a restart on
    the same database (and so the same key file beside it) with the same
    flags.

    The mailer leases a claimed message for GH_STORE_OUTBOX_LEASE_SECS
    (300 s, src/store/entities.h) and no option shortens that; so, while
    gatehouse is down, the test moves the lease's end (next_attempt_at) 300 s
    back, which is what waiting out the lease would do."""

    LEASE_SECS = 300
    SLOW_SECS = 6

    def test_sigkill_mid_delivery_loses_nothing(self):
        who = "kill-%s@partner.test" % tag()
        self.recorder.slow[who.lower()] = self.SLOW_SECS
        p = self.provider()
        app = self.subscribed_app(p, who)
        self.set_access(p, app, "red", "key leaked in a public repository")

        # the SMTP server has the message and sits on its answer to DATA
        self.assertTrue(self.recorder.in_flight.wait(10), "no delivery to %s in flight" % who)
        first = self.recorder.received(who)
        self.assertEqual(len(first), 1)
        m = re.fullmatch(r"<(msg_[A-Za-z0-9_-]+)@gatehouse\.test>", str(first[0][3]["Message-ID"]))
        self.assertIsNotNone(m, first[0][3]["Message-ID"])
        msg_id = m.group(1)

        old = type(self).server
        # its temp dir holds the database: removed only after the new server
        self.addClassCleanup(old.cleanup)
        kill_started = time.monotonic()
        old.kill()
        self.assertEqual(old.returncode, -signal.SIGKILL)
        self.assertLess(time.monotonic() - kill_started, self.SLOW_SECS - 1,
                        "the kill did not land while the delivery was in flight")

        # unsettled, not lost: still pending and leased to the dead process
        state, attempts, next_at = self.outbox_state(old.db, msg_id)
        self.assertEqual((state, attempts), ("pending", 0))
        self.assertGreater(next_at, time.time() + self.LEASE_SECS - 60)
        self.expire_lease(old.db, msg_id)

        self.recorder.slow.clear()
        new = harness.Server(args=self.server_args, db=old.db)
        try:
            new.start()
        except BaseException:
            new.cleanup()
            raise
        type(self).server = new

        # delivered again (at least once more), the same message every time
        got = self.wait_smtp(who, "Access blocked", count=2, timeout=10)
        for frm, tos, raw, msg in got:
            self.assertEqual(tos, [who])
            self.assertEqual(str(msg["Message-ID"]), "<%s@gatehouse.test>" % msg_id)
            self.assertIn("key leaked in a public repository",
                          msg.get_body(("plain",)).get_content())
        self.assertEqual(got[1][2], got[0][2])  # byte for byte the stored message
        self.wait_log(lambda r: r.get("msg") == "mail.sent" and r.get("msg_id") == msg_id,
                      what="mail.sent after the restart")
        deadline = time.monotonic() + 5
        while self.outbox_state(new.db, msg_id)[0] != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
        state, attempts, _ = self.outbox_state(new.db, msg_id)
        self.assertEqual((state, attempts), ("sent", 1))

    @staticmethod
    def outbox_state(db_path, msg_id):
        db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=5)
        try:
            row = db.execute("SELECT state, attempts, next_attempt_at FROM outbox WHERE id = ?",
                             (msg_id,)).fetchone()
        finally:
            db.close()
        if row is None:
            raise AssertionError("no outbox row %s" % msg_id)
        return row

    def expire_lease(self, db_path, msg_id):
        db = sqlite3.connect(db_path, timeout=5)
        try:
            with db:
                n = db.execute("UPDATE outbox SET next_attempt_at = next_attempt_at - ? "
                               "WHERE id = ? AND state = 'pending'",
                               (self.LEASE_SECS, msg_id)).rowcount
        finally:
            db.close()
        self.assertEqual(n, 1)


class SmtpStartupTest(unittest.TestCase):
    def test_only_smtp_and_smtps_urls_are_accepted(self):
        for url in ("http://127.0.0.1:25", "smtp:/127.0.0.1", "127.0.0.1:25", "smtp://"):
            p = harness.run_cli(["serve", "--listen", "127.0.0.1:0", "--db", ":memory:",
                                 "--smtp-url", url])
            self.assertEqual(p.returncode, 2, (url, p))
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, (url, p.stderr))
            self.assertIn("--smtp-url", lines[0])
        p = harness.run_cli(["serve", "--listen", "127.0.0.1:0", "--smtp-url",
                             "smtp://mailer:hunter2@127.0.0.1:25"])
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("GATEHOUSE_SMTP_PASSWORD", p.stderr)
        self.assertNotIn("hunter2", p.stderr)
