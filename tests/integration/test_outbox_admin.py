"""The platform admins' outbox (src/portal/outbox.c): GET /api/v1/outbox and
POST /api/v1/outbox/{id}/retry.

gatehouse runs with --smtp-url pointing at a loopback SMTP server (aiosmtpd,
Debian's python3-aiosmtpd) that refuses chosen recipients with 550, and with
--mail-max-attempts 1, so a verification mail to a refused address ends
failed at once.  Checked: the failure is listed (newest first, filtered by
state and channel) with its last error and without recipient or body; a
retry makes it pending with no attempts and the mail worker delivers it once
the server accepts the address (a sent message then refuses a retry: 409);
a retry of a mail still refused fails again with its attempts counted
afresh; the audit log records retries; bad filters are 400 naming the
parameter; and the docs/permissions.md outbox table holds for every caller.
"""

import email
import email.policy
import itertools
import os
import re
import sqlite3
import sys
import threading
import time

try:
    from aiosmtpd.controller import Controller
except ImportError:
    # Debian's python3-aiosmtpd lives in the system interpreter's
    # dist-packages (see test_smtp.py).
    sys.path.append("/usr/lib/python3/dist-packages")
    from aiosmtpd.controller import Controller

import api
import harness
from test_permissions import parse_matrix

KINDS = ["anonymous", "person", "org ADMIN", "platform admin"]
ITEM_KEYS = {"id", "channel", "event", "state", "attempts", "last_error", "created_at",
             "next_attempt_at", "sent_at", "webhook_id"}
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
_seq = itertools.count(1)


class Recorder:
    """aiosmtpd handler: 550 at RCPT for the addresses in refused; keeps
    every accepted message as (rcpt_tos, bytes)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.refused = set()

    def refuse(self, address, yes=True):
        with self.lock:
            (self.refused.add if yes else self.refused.discard)(address.lower())

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if address.lower() in self.refused:
                return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos),
                                  bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted for delivery"

    def received(self, rcpt):
        with self.lock:
            got = [raw for tos, raw in self.messages if rcpt.lower() in (r.lower() for r in tos)]
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in got]


class OutboxAdminTest(api.ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.recorder = Recorder()
        cls.smtp = Controller(cls.recorder, hostname="127.0.0.1", port=harness.free_port())
        cls.smtp.start()
        cls.server_args = ["--smtp-url", "smtp://127.0.0.1:%d" % cls.smtp.port,
                           "--mail-from", "noreply@gatehouse.test",
                           "--mail-max-attempts", "1", "--mail-retry-base", "1"]
        try:
            super().setUpClass()
        except BaseException:
            cls.smtp.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.smtp.stop()

    # Mail arrives at the SMTP server, not in the mail directory: the
    # register -> verify -> login helpers of api.py read it from there.
    def mails_to(self, address):
        return self.recorder.received(address)

    # --- helpers --------------------------------------------------------------

    def outbox(self, query="", as_=None):
        sep = "&" if query else ""
        return self.ok(200, self.call("GET", "/api/v1/outbox?%s%sper_page=100" % (query, sep),
                                      as_=as_ or self.admin))

    def msg_id_to(self, address, timeout=5.0):
        """The id of the newest outbox message to address (read from the
        database: the API never shows recipients)."""
        deadline = time.monotonic() + timeout
        while True:
            db = sqlite3.connect("file:%s?mode=ro" % self.server.db, uri=True, timeout=5)
            try:
                row = db.execute("SELECT id FROM outbox WHERE lower(recipient) = lower(?) "
                                 "ORDER BY created_at DESC, id DESC", (address,)).fetchone()
            finally:
                db.close()
            if row:
                return row[0]
            if time.monotonic() > deadline:
                self.fail("no outbox message to %s" % address)
            time.sleep(0.02)

    def wait_state(self, msg_id, state, timeout=8.0):
        """The message's list item once GET /outbox?state=state shows it."""
        deadline = time.monotonic() + timeout
        while True:
            for item in self.outbox("state=%s" % state)["items"]:
                if item["id"] == msg_id:
                    return item
            if time.monotonic() > deadline:
                self.fail("outbox message %s not %s within %.0fs" % (msg_id, state, timeout))
            time.sleep(0.05)

    def failed_message(self):
        """A verification mail the SMTP server refused, failed: (id, address)."""
        addr = "refused-%d-%d@example.test" % (os.getpid(), next(_seq))
        self.recorder.refuse(addr)
        self.register(addr)
        msg_id = self.msg_id_to(addr)
        self.wait_state(msg_id, "failed")
        return msg_id, addr

    def retry(self, msg_id, as_=None):
        return self.call("POST", "/api/v1/outbox/%s/retry" % msg_id, as_=as_ or self.admin)

    # --- the list -------------------------------------------------------------

    def test_failure_listed_with_last_error_without_recipient_or_body(self):
        msg_id, addr = self.failed_message()
        r = self.call("GET", "/api/v1/outbox?state=failed&channel=email&per_page=100",
                      as_=self.admin)
        body = self.ok(200, r)
        item = [i for i in body["items"] if i["id"] == msg_id][0]
        self.assertEqual(set(item), ITEM_KEYS)
        self.assertEqual(item["channel"], "email")
        self.assertEqual(item["event"], "user.verify_email")
        self.assertEqual(item["state"], "failed")
        self.assertEqual(item["attempts"], 1)
        self.assertIn("550", item["last_error"])
        self.assertRegex(item["created_at"], RFC3339)
        self.assertIsNone(item["next_attempt_at"])
        self.assertIsNone(item["sent_at"])
        # neither the address nor the mail's verification link leaks
        self.assertNotIn(addr.encode(), r.body)
        self.assertNotIn(b"token=", r.body)
        self.assertEqual(body["total"], len(body["items"]))
        self.assertTrue(all(i["state"] == "failed" and i["channel"] == "email"
                            for i in body["items"]))

        # other filters leave it out; no webhooks were queued
        self.assertNotIn(msg_id, [i["id"] for i in self.outbox("state=sent")["items"]])
        self.assertNotIn(msg_id, [i["id"] for i in self.outbox("state=pending")["items"]])
        hooks = self.outbox("channel=webhook")
        self.assertEqual((hooks["items"], hooks["total"]), ([], 0))

    def test_newest_first_and_paged(self):
        first, _ = self.failed_message()
        time.sleep(1.1)  # created_at has second resolution
        second, _ = self.failed_message()
        items = self.outbox("state=failed")["items"]
        ids = [i["id"] for i in items]
        self.assertLess(ids.index(second), ids.index(first))
        stamps = [i["created_at"] for i in items]
        self.assertEqual(stamps, sorted(stamps, reverse=True))

        r = self.call("GET", "/api/v1/outbox?state=failed&per_page=1", as_=self.admin)
        page = self.ok(200, r)
        self.assertEqual((page["page"], page["per_page"]), (1, 1))
        self.assertEqual(len(page["items"]), 1)
        self.assertEqual(page["items"][0]["id"], ids[0])
        self.assertGreaterEqual(page["total"], 2)
        link = r.header("Link") or ""
        self.assertIn('rel="next"', link)
        self.assertIn("state=failed", link)
        self.assertIn("page=2", link)

    def test_sent_mail_is_listed_as_sent(self):
        person = self.new_person("obx-sent")
        msg_id = self.msg_id_to(person.email)
        item = self.wait_state(msg_id, "sent")
        self.assertEqual(item["attempts"], 1)
        self.assertIsNone(item["last_error"])
        self.assertRegex(item["sent_at"], RFC3339)
        self.assertIsNone(item["next_attempt_at"])

    # --- retry ----------------------------------------------------------------

    def test_retry_delivers_once_the_server_accepts_and_then_is_409(self):
        msg_id, addr = self.failed_message()
        self.assertEqual(self.mails_to(addr), [])
        self.recorder.refuse(addr, False)  # the mailbox exists now

        after = self.ok(200, self.retry(msg_id))
        self.assertEqual(set(after), ITEM_KEYS)
        self.assertEqual(after["id"], msg_id)
        self.assertEqual(after["state"], "pending")
        self.assertEqual(after["attempts"], 0)
        self.assertRegex(after["next_attempt_at"], RFC3339)
        self.assertIn("550", after["last_error"])  # kept until the next attempt

        sent = self.wait_state(msg_id, "sent")
        self.assertEqual(sent["attempts"], 1)
        self.assertIsNone(sent["last_error"])
        self.assertRegex(sent["sent_at"], RFC3339)
        self.wait_mail(addr)
        # the delivered mail is the original one: its link verifies the address
        self.verify(addr)
        self.assertEqual(len(self.mails_to(addr)), 1)

        doc = self.refused(409, self.retry(msg_id))
        self.assertIn("sent already", doc["errors"][0]["message"])
        time.sleep(1.2)  # a worker round: nothing goes out again
        self.assertEqual(len(self.mails_to(addr)), 1)

        events = self.ok(200, self.call("GET", "/api/v1/audit?object=%s" % msg_id,
                                        as_=self.admin))["items"]
        self.assertEqual([e["action"] for e in events], ["outbox.retry"])
        ev = events[0]
        self.assertEqual(ev["object"], {"type": "outbox_message", "id": msg_id})
        self.assertEqual(ev["actor"]["kind"], "admin_token")
        self.assertEqual(ev["changes"]["state"], {"old": "failed", "new": "pending"})
        self.assertEqual(ev["changes"]["attempts"], {"old": 1, "new": 0})
        self.assertEqual(ev["changes"]["event"], "user.verify_email")

    def test_retry_still_refused_fails_again_with_attempts_counted_afresh(self):
        msg_id, _ = self.failed_message()
        self.assertEqual(self.ok(200, self.retry(msg_id))["attempts"], 0)
        item = self.wait_state(msg_id, "failed")  # the worker's new attempt settled it
        self.assertEqual(item["attempts"], 1)
        self.assertIn("550", item["last_error"])
        # a second retry is allowed too: the message failed again
        self.assertEqual(self.ok(200, self.retry(msg_id))["state"], "pending")

    def test_refusals(self):
        msg_id, _ = self.failed_message()
        self.refused(400, self.call("GET", "/api/v1/outbox?state=bogus", as_=self.admin),
                     field="state")
        self.refused(400, self.call("GET", "/api/v1/outbox?channel=sms", as_=self.admin),
                     field="channel")
        self.refused(400, self.call("GET", "/api/v1/outbox?state=", as_=self.admin),
                     field="state")
        self.refused(404, self.retry("msg_" + "b" * 26))
        self.refused(404, self.retry("not-an-id"))
        for method, path in (("GET", "/api/v1/outbox"),
                             ("POST", "/api/v1/outbox/%s/retry" % msg_id)):
            r = self.call(method, path)
            self.refused(401, r)
            self.assertTrue(r.header("WWW-Authenticate"), r)
        person = self.new_person("obx-person")
        self.refused(403, self.call("GET", "/api/v1/outbox", as_=person))
        # 403 comes before the filters are looked at
        self.refused(403, self.call("GET", "/api/v1/outbox?state=bogus", as_=person))
        self.refused(403, self.retry(msg_id, as_=person))
        # the refused retry changed nothing
        self.assertEqual(self.wait_state(msg_id, "failed")["attempts"], 1)

    # --- the permission table -------------------------------------------------

    def test_every_cell_of_the_outbox_permission_table(self):
        rows = parse_matrix(kinds=KINDS)
        self.assertEqual([r for r, _ in rows], ["GET /api/v1/outbox",
                                                "GET /api/v1/outbox?state=failed",
                                                "POST /api/v1/outbox/{id}/retry"])
        person = self.new_person("obx-mx-person")
        org_admin = self.new_person("obx-mx-admin")
        self.new_partner_org(org_admin)
        callers = {"anonymous": None, "person": person, "org ADMIN": org_admin,
                   "platform admin": self.admin}
        some_failed, _ = self.failed_message()
        mismatches = []
        for route, expected in rows:
            for kind in KINDS:
                method, target = route.split(" ", 1)
                if "{id}" in target:
                    msg_id = self.failed_message()[0] if kind == "platform admin" else some_failed
                    target = target.replace("{id}", msg_id)
                r = self.call(method, target, as_=callers[kind])
                if r.status != expected[kind]:
                    mismatches.append("%s as %s: expected %d, got %d %s" % (
                        route, kind, expected[kind], r.status, r.body[:200]))
                elif r.status >= 400:
                    harness.check_error_shape(self, r, r.status)
        self.assertEqual(mismatches, [], "\n".join(mismatches))
