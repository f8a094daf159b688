"""Helpers for management-API tests (/api/v1): a server with an admin token,
JSON requests with any of the three credentials, the mail directory, and
the register -> verify -> login flow a new developer goes through.

    class OrgTest(api.ApiTestCase):
        def test_x(self):
            alice = self.new_person()                 # registered, verified, logged in
            r = self.call("POST", "/api/v1/orgs", {...}, as_=alice)
            r = self.call("GET", "/api/v1/orgs", as_=self.admin)
"""

import email
import email.policy
import glob
import itertools
import json
import os
import re
import time

import harness

PASSWORD = "correct horse battery staple 42"
_seq = itertools.count(1)


class Person:
    """A logged-in person: the user object and the session's cookie and CSRF token."""

    def __init__(self, user, cookie, csrf, password):
        self.user = user
        self.cookie = cookie
        self.csrf = csrf
        self.password = password

    @property
    def id(self):
        return self.user["id"]

    @property
    def email(self):
        return self.user["email"]


class Admin:
    """A platform-admin bearer token."""

    def __init__(self, token):
        self.token = token


class Bearer:
    """Any bearer token (e.g. a personal API token)."""

    def __init__(self, token):
        self.token = token


class ApiTestCase(harness.ServerTestCase):
    admin = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        p = harness.run_cli(["admin-token", "create", "--db", cls.server.db, "--name", "it"],
                            cwd=cls.server.tmpdir)
        if p.returncode != 0:
            raise AssertionError("admin-token create failed: %r" % (p,))
        cls.admin = Admin(p.stdout.strip())

    @property
    def mail_dir(self):
        return os.path.join(self.server.tmpdir, "mail")

    # --- requests -----------------------------------------------------------

    def call(self, method, path, body=None, as_=None, headers=None, csrf=True, raw=None):
        """One JSON request.  as_: None (anonymous), a Person (session cookie,
        plus X-CSRF-Token unless csrf=False), an Admin or a Bearer."""
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        if isinstance(as_, Person):
            h["Cookie"] = "gh_session=" + as_.cookie
            if csrf:
                h["X-CSRF-Token"] = as_.csrf
        elif isinstance(as_, (Admin, Bearer)):
            h["Authorization"] = "Bearer " + as_.token
        return self.request(method, path, body=data, headers=h)

    def ok(self, status, r):
        """Asserts the status and returns the decoded JSON body (None if empty)."""
        self.assertEqual(r.status, status, r)
        return r.json() if r.body else None

    def refused(self, status, r, field=None):
        """Asserts the project's error shape with this status (and field)."""
        harness.check_error_shape(self, r, status)
        if field is not None:
            fields = [e.get("field") for e in r.json()["errors"]]
            self.assertIn(field, fields, r)
        return r.json()

    # --- mail -----------------------------------------------------------------

    def mails_to(self, address):
        out = []
        # oldest first by write time: names sort by second only
        paths = glob.glob(os.path.join(self.mail_dir, "*.eml"))
        for path in sorted(paths, key=lambda p: os.stat(p).st_mtime_ns):
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            if address.lower() in str(msg["To"]).lower():
                out.append(msg)
        return out

    def wait_mail(self, address, count=1, timeout=5.0):
        """Waits until at least count mails to address exist; returns the newest."""
        deadline = time.monotonic() + timeout
        while True:
            mails = self.mails_to(address)
            if len(mails) >= count:
                return mails[-1]
            if time.monotonic() > deadline:
                self.fail("no mail #%d to %s in %s within %.0fs (have %d)" % (
                    count, address, self.mail_dir, timeout, len(mails)))
            time.sleep(0.02)

    @staticmethod
    def mail_text(msg):
        return msg.get_body(preferencelist=("plain",)).get_content()

    def mail_token(self, msg):
        m = re.search(r"token=([A-Za-z0-9_-]+)", self.mail_text(msg))
        self.assertIsNotNone(m, "no token link in mail:\n%s" % self.mail_text(msg))
        return m.group(1)

    # --- people -----------------------------------------------------------------

    def unique_email(self, stem="dev"):
        return "%s-%d-%d@example.test" % (stem, os.getpid(), next(_seq))

    def register(self, email_addr=None, password=PASSWORD, name="Dana Developer"):
        email_addr = email_addr or self.unique_email()
        r = self.call("POST", "/api/v1/register",
                      {"email": email_addr, "password": password, "name": name})
        self.assertEqual(r.status, 202, r)
        return email_addr

    def verify(self, email_addr, count=1):
        token = self.mail_token(self.wait_mail(email_addr, count))
        return self.ok(200, self.call("POST", "/api/v1/verify-email", {"token": token}))

    def login(self, email_addr, password=PASSWORD):
        r = self.call("POST", "/api/v1/session", {"email": email_addr, "password": password})
        body = self.ok(200, r)
        cookie = None
        for value in r.header_all("Set-Cookie"):
            m = re.match(r"gh_session=([^;]*)", value)
            if m:
                cookie = m.group(1)
        self.assertTrue(cookie, "no gh_session cookie in %r" % r)
        return Person(body["user"], cookie, body["csrf_token"], password)

    def new_person(self, stem="dev", name="Dana Developer"):
        """Registers, verifies and logs in a new person."""
        addr = self.register(self.unique_email(stem), name=name)
        self.verify(addr)
        return self.login(addr)

    def new_partner_org(self, owner, name=None, tenant=None):
        """A partner org created by owner (who becomes its ADMIN)."""
        n = next(_seq)
        body = {"name": name or "Partner %d" % n, "partner": True, "provider": False,
                "tenant": tenant or "partner-%d-%d" % (os.getpid(), n),
                "responsible_email": owner.email}
        return self.ok(201, self.call("POST", "/api/v1/orgs", body, as_=owner))
