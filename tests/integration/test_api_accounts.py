"""Accounts (/api/v1): registration with a verified email, password reset,
and the platform admins' developer list (src/portal/accounts.c).

Mails are read from the server's mail directory (api.ApiTestCase helpers).
"""

import email
import email.policy
import glob
import json
import os
import re
import time
import urllib.parse

import api

REGISTERED = {"status": "verification mail sent"}
RESET_SENT = {"status": "reset mail sent if the address is registered"}
NEW_PASSWORD = "a brand new passphrase 7"
TOKEN_RE = r"token=(gh[vr]_[A-Za-z0-9_-]{43})\b"


class AccountsCase(api.ApiTestCase):
    def post(self, path, body, **kw):
        return self.call("POST", path, body, **kw)

    def mail_files(self):
        return set(glob.glob(os.path.join(self.mail_dir, "*.eml")))

    def next_mail(self, addr, before, timeout=5.0):
        """The one mail to addr that arrived since the snapshot before
        (mail_files()).  File names sort by the second a mail was queued,
        then by random id, so "the newest" is not reliable within a second."""
        deadline = time.monotonic() + timeout
        while True:
            new = []
            for path in sorted(self.mail_files() - before):
                with open(path, "rb") as f:
                    msg = email.message_from_binary_file(f, policy=email.policy.default)
                if addr.lower() in str(msg["To"]).lower():
                    new.append(msg)
            if new:
                self.assertEqual(len(new), 1, [m["Subject"] for m in new])
                return new[0]
            if time.monotonic() > deadline:
                self.fail("no new mail to %s within %.0fs" % (addr, timeout))
            time.sleep(0.02)

    def register_expect_mail(self, addr, name="Dana Developer", password=api.PASSWORD):
        """Registers (202) and returns the mail it caused."""
        before = self.mail_files()
        r = self.post("/api/v1/register", {"email": addr, "password": password, "name": name})
        self.assertEqual(self.ok(202, r), REGISTERED)
        return self.next_mail(addr, before)

    def user_by_email(self, addr):
        """The developers matching addr exactly (as the admin sees them)."""
        r = self.call("GET", "/api/v1/developers?q=" + urllib.parse.quote(addr), as_=self.admin)
        items = self.ok(200, r)["items"]
        return [u for u in items if u["email"] == addr.lower()]

    def link_token(self, msg, path):
        """The token of the link to path in msg (asserting the link's form)."""
        text = self.mail_text(msg)
        m = re.search(r"(https?://\S+)" + re.escape(path) + r"\?" + TOKEN_RE, text)
        self.assertIsNotNone(m, "no %s link in mail:\n%s" % (path, text))
        return m.group(2)

    def request_reset(self, addr):
        """Asks for a reset of addr; returns the link's token and the mail."""
        before = self.mail_files()
        r = self.post("/api/v1/password-reset", {"email": addr})
        self.assertEqual(self.ok(202, r), RESET_SENT)
        msg = self.next_mail(addr, before)
        self.assertIn("password", msg["Subject"].lower())
        return self.link_token(msg, "/password-reset"), msg

    def audit_actions(self, object_id):
        r = self.call("GET", "/api/v1/audit?object=" + object_id + "&per_page=100", as_=self.admin)
        return self.ok(200, r)["items"]


class RegistrationTest(AccountsCase):
    def test_register_verify_login(self):
        addr = self.unique_email("flow")
        r = self.post("/api/v1/register",
                      {"email": addr, "password": api.PASSWORD, "name": "Dana Developer"})
        self.assertEqual(self.ok(202, r), REGISTERED)

        msg = self.wait_mail(addr)
        self.assertTrue(msg["From"] and "@" in str(msg["From"]), msg["From"])
        self.assertIn("gatehouse", msg["Subject"].lower())
        text = self.mail_text(msg)
        self.assertIn("Dana Developer", text)
        self.assertIn("expires in", text)
        token = self.link_token(msg, "/verify-email")
        self.assertTrue(token.startswith("ghv_"))

        # not verified yet: the right password does not log in
        r = self.post("/api/v1/session", {"email": addr, "password": api.PASSWORD})
        self.refused(403, r)

        user = self.ok(200, self.post("/api/v1/verify-email", {"token": token}))
        self.assertEqual(user["email"], addr)
        self.assertEqual(user["name"], "Dana Developer")
        self.assertTrue(user["email_verified"])
        self.assertFalse(user["platform_admin"])
        self.assertRegex(user["id"], r"^usr_[a-z2-7]{26}$")
        self.assertEqual(set(user), {"id", "email", "name", "email_verified", "platform_admin",
                                     "created_at", "updated_at"})

        person = self.login(addr)
        self.assertEqual(person.id, user["id"])

        events = self.audit_actions(user["id"])
        actions = [e["action"] for e in events]
        self.assertIn("user.register", actions)
        self.assertIn("user.verify_email", actions)
        dump = json.dumps(events)
        self.assertNotIn(api.PASSWORD, dump)
        self.assertNotIn(token, dump)
        self.assertNotIn("argon2", dump)

    def test_stale_cookie_does_not_block_anonymous_routes(self):
        # someone who forgot their password still holds an ended session's cookie
        stale = {"Cookie": "gh_session=ended-long-ago"}
        addr = self.unique_email("stale")
        r = self.call("POST", "/api/v1/register",
                      {"email": addr, "password": api.PASSWORD, "name": "S Tale"}, headers=stale)
        self.assertEqual(self.ok(202, r), REGISTERED)
        token = self.mail_token(self.wait_mail(addr))
        r = self.call("POST", "/api/v1/verify-email", {"token": token}, headers=stale)
        self.ok(200, r)
        before = self.mail_files()
        r = self.call("POST", "/api/v1/password-reset", {"email": addr}, headers=stale)
        self.assertEqual(self.ok(202, r), RESET_SENT)
        token = self.link_token(self.next_mail(addr, before), "/password-reset")
        r = self.call("POST", "/api/v1/password-reset/confirm",
                      {"token": token, "password": NEW_PASSWORD}, headers=stale)
        self.ok(200, r)
        self.login(addr, NEW_PASSWORD)

    def test_token_is_single_use(self):
        addr = self.register()
        token = self.mail_token(self.wait_mail(addr))
        self.ok(200, self.post("/api/v1/verify-email", {"token": token}))
        r = self.post("/api/v1/verify-email", {"token": token})
        doc = self.refused(400, r, "token")
        self.assertEqual(doc["errors"][0]["message"], "invalid or expired token")

    def test_unknown_and_malformed_tokens(self):
        for token in ["ghv_" + "A" * 43, "", "not-a-token", "x" * 500]:
            r = self.post("/api/v1/verify-email", {"token": token})
            self.refused(400, r, "token")
        self.refused(422, self.post("/api/v1/verify-email", {}), "token")
        self.refused(422, self.post("/api/v1/verify-email", {"token": 7}), "token")
        self.refused(400, self.post("/api/v1/verify-email", {"token": "x", "email": "a@b.cd"}),
                     "email")

    def test_email_is_trimmed_and_lower_cased(self):
        stem = self.unique_email("MiXed")
        r = self.post("/api/v1/register", {"email": "  " + stem.upper() + " ",
                                           "password": api.PASSWORD, "name": " Kim Q "})
        self.assertEqual(self.ok(202, r), REGISTERED)
        user = self.verify(stem.lower())
        self.assertEqual(user["email"], stem.lower())
        self.assertEqual(user["name"], "Kim Q")

    def test_duplicate_registration_reveals_nothing(self):
        addr = self.unique_email("dup")
        first = self.post("/api/v1/register",
                          {"email": addr, "password": api.PASSWORD, "name": "First Owner"})
        self.assertEqual(first.status, 202)
        self.verify(addr)

        other = "another passphrase 9876"
        before = self.mail_files()
        again = self.post("/api/v1/register",
                          {"email": addr.upper(), "password": other, "name": "Mallory Intruder"})
        self.assertEqual(again.status, first.status)
        self.assertEqual(again.body, first.body)

        msg = self.next_mail(addr, before)
        text = self.mail_text(msg)
        self.assertIn("already", text)
        self.assertRegex(text, r"https?://\S+/password-reset\b")
        self.assertIsNone(re.search(TOKEN_RE, text), text)
        self.assertIn("First Owner", text)
        self.assertNotIn("Mallory", text)

        self.assertEqual(len(self.user_by_email(addr)), 1)
        self.assertEqual(self.user_by_email(addr)[0]["name"], "First Owner")
        # the second password was not applied
        self.refused(401, self.post("/api/v1/session", {"email": addr, "password": other}))
        self.login(addr)

    def test_duplicate_of_unverified_account_points_to_reset(self):
        addr = self.unique_email("dupunv")
        first = self.register_expect_mail(addr)
        text = self.mail_text(self.register_expect_mail(addr))
        self.assertIn("already", text)
        self.assertIn("not confirmed", text)
        self.assertIsNone(re.search(TOKEN_RE, text), text)
        self.assertEqual(len(self.user_by_email(addr)), 1)
        # the first link still works
        user = self.ok(200, self.post("/api/v1/verify-email", {"token": self.mail_token(first)}))
        self.assertTrue(user["email_verified"])
        self.assertEqual(len(self.mails_to(addr)), 2)

    def test_weak_passwords(self):
        addr = self.unique_email("weak")
        local = addr.split("@")[0]
        for pw in ["short", "aaaaaaaaaaaa", "0123456789", "password1234", local, addr, ""]:
            r = self.post("/api/v1/register", {"email": addr, "password": pw, "name": "W Eak"})
            self.refused(422, r, "password")
        self.assertEqual(self.user_by_email(addr), [])
        self.assertEqual(self.mails_to(addr), [])

    def test_invalid_email_and_name(self):
        for bad in ["", "no-at-sign", "a@b", "two@@example.test", "x@-bad-.test", "a" * 300 + "@x.test"]:
            r = self.post("/api/v1/register", {"email": bad, "password": api.PASSWORD, "name": "N"})
            self.refused(422, r, "email")
        addr = self.unique_email("badname")
        for bad in ["", "   ", "<script>", "12345", "x" * 201]:
            r = self.post("/api/v1/register", {"email": addr, "password": api.PASSWORD, "name": bad})
            self.refused(422, r, "name")
        self.assertEqual(self.mails_to(addr), [])

    def test_missing_and_mistyped_fields(self):
        addr = self.unique_email("fields")
        full = {"email": addr, "password": api.PASSWORD, "name": "F Ield"}
        for missing in full:
            body = {k: v for k, v in full.items() if k != missing}
            self.refused(422, self.post("/api/v1/register", body), missing)
        for field in full:
            body = dict(full, **{field: 12})
            self.refused(422, self.post("/api/v1/register", body), field)
        self.refused(422, self.post("/api/v1/register", dict(full, name=None)), "name")

    def test_unknown_field_malformed_json_content_type(self):
        body = {"email": self.unique_email("unk"), "password": api.PASSWORD, "name": "U Nknown",
                "platform_admin": True}
        doc = self.refused(400, self.post("/api/v1/register", body), "platform_admin")
        self.assertIn("unknown field", doc["errors"][0]["message"])
        self.refused(400, self.call("POST", "/api/v1/register", raw=b"{\"email\":"))
        self.refused(400, self.call("POST", "/api/v1/register", raw=b"[1,2]"))
        r = self.call("POST", "/api/v1/register", raw=json.dumps(body).encode(),
                      headers={"Content-Type": "text/plain"})
        self.refused(415, r)
        r = self.call("POST", "/api/v1/verify-email", raw=b"token=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.refused(415, r)
        self.assertEqual(self.call("GET", "/api/v1/register").status, 405)


class PasswordResetTest(AccountsCase):
    def test_reset_flow(self):
        alice = self.new_person("reset")
        other_session = self.login(alice.email)
        r = self.call("POST", "/api/v1/me/tokens", {"name": "script"}, as_=alice)
        personal = self.ok(201, r)["token"]

        token, msg = self.request_reset(alice.email.upper())
        self.assertTrue(token.startswith("ghr_"))
        self.assertIn("expires in", self.mail_text(msg))
        # asking did not change anything yet
        self.ok(200, self.call("GET", "/api/v1/me", as_=alice))

        r = self.post("/api/v1/password-reset/confirm", {"token": token, "password": NEW_PASSWORD})
        user = self.ok(200, r)
        self.assertEqual(user["id"], alice.id)
        self.assertTrue(user["email_verified"])

        # every session ended; the personal token still works
        self.refused(401, self.call("GET", "/api/v1/me", as_=alice))
        self.refused(401, self.call("GET", "/api/v1/me", as_=other_session))
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=api.Bearer(personal)))
        self.assertEqual(me["user"]["id"], alice.id)

        # the old password is gone, the new one works
        r = self.post("/api/v1/session", {"email": alice.email, "password": api.PASSWORD})
        self.refused(401, r)
        self.login(alice.email, NEW_PASSWORD)

        # single use
        r = self.post("/api/v1/password-reset/confirm",
                      {"token": token, "password": "yet another passphrase 3"})
        self.refused(400, r, "token")

        events = self.audit_actions(alice.id)
        reset = [e for e in events if e["action"] == "user.password_reset"]
        self.assertEqual(len(reset), 1, events)
        dump = json.dumps(events)
        self.assertNotIn(NEW_PASSWORD, dump)
        self.assertNotIn(token, dump)
        self.assertNotIn("argon2", dump)

    def test_unknown_email_gets_same_answer_and_no_mail(self):
        nobody = self.unique_email("nobody")
        started = time.monotonic()
        r1 = self.post("/api/v1/password-reset", {"email": nobody})
        took_unknown = time.monotonic() - started
        known = self.register()
        self.wait_mail(known)
        started = time.monotonic()
        r2 = self.post("/api/v1/password-reset", {"email": known})
        took_known = time.monotonic() - started
        # both answers wait for the same floor (0.1 s), so the writes only
        # a registered address causes do not show in the timing
        self.assertGreaterEqual(took_unknown, 0.1)
        self.assertGreaterEqual(took_known, 0.1)
        self.assertEqual(r1.status, 202)
        self.assertEqual(r1.status, r2.status)
        self.assertEqual(r1.body, r2.body)
        self.assertEqual(r1.json(), RESET_SENT)
        # the mailer delivers in order: once the later mail is there, the
        # earlier request would have been delivered too
        self.wait_mail(known, count=2)
        self.assertEqual(self.mails_to(nobody), [])
        self.assertEqual(self.user_by_email(nobody), [])

    def test_weak_password_keeps_the_link(self):
        addr = self.register()
        self.wait_mail(addr)
        token, _ = self.request_reset(addr)
        local = addr.split("@")[0]
        for pw in ["short", "qwertyuiop", local, addr]:
            r = self.post("/api/v1/password-reset/confirm", {"token": token, "password": pw})
            self.refused(422, r, "password")
        r = self.post("/api/v1/password-reset/confirm", {"token": token, "password": NEW_PASSWORD})
        user = self.ok(200, r)
        # the link proved the mailbox: the address counts as verified now
        self.assertTrue(user["email_verified"])
        self.login(addr, NEW_PASSWORD)

    def test_tokens_do_not_cross_purposes(self):
        addr = self.register()
        verify_token = self.mail_token(self.wait_mail(addr))
        reset_token, _ = self.request_reset(addr)
        r = self.post("/api/v1/password-reset/confirm",
                      {"token": verify_token, "password": NEW_PASSWORD})
        self.refused(400, r, "token")
        self.refused(400, self.post("/api/v1/verify-email", {"token": reset_token}), "token")
        # both still work for what they are for
        self.ok(200, self.post("/api/v1/verify-email", {"token": verify_token}))
        self.ok(200, self.post("/api/v1/password-reset/confirm",
                               {"token": reset_token, "password": NEW_PASSWORD}))

    def test_every_outstanding_link_works_once(self):
        addr = self.register()
        self.wait_mail(addr)
        first, _ = self.request_reset(addr)
        second, _ = self.request_reset(addr)
        self.assertNotEqual(first, second)
        self.ok(200, self.post("/api/v1/password-reset/confirm",
                               {"token": second, "password": NEW_PASSWORD}))
        self.login(addr, NEW_PASSWORD)
        self.ok(200, self.post("/api/v1/password-reset/confirm",
                               {"token": first, "password": "third passphrase 314"}))
        self.login(addr, "third passphrase 314")

    def test_refusals(self):
        self.refused(422, self.post("/api/v1/password-reset", {"email": "not-an-address"}), "email")
        self.refused(422, self.post("/api/v1/password-reset", {}), "email")
        self.refused(400, self.post("/api/v1/password-reset", {"email": "a@b.cd", "x": 1}), "x")
        r = self.call("POST", "/api/v1/password-reset", raw=b"email=a@b.cd",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.refused(415, r)
        r = self.post("/api/v1/password-reset/confirm",
                      {"token": "ghr_" + "B" * 43, "password": NEW_PASSWORD})
        self.refused(400, r, "token")
        self.refused(422, self.post("/api/v1/password-reset/confirm", {"token": "x"}), "password")
        self.refused(400, self.post("/api/v1/password-reset/confirm",
                                    {"token": "x", "password": NEW_PASSWORD, "email": "a@b.cd"}),
                     "email")
        r = self.call("POST", "/api/v1/password-reset/confirm", raw=b"{", headers={})
        self.refused(400, r)


class ExpiryTest(AccountsCase):
    server_args = ["--verify-ttl", "1", "--reset-ttl", "1"]

    def test_expired_verification_link(self):
        addr = self.register()
        msg = self.wait_mail(addr)
        self.assertIn("1 second", self.mail_text(msg))
        token = self.mail_token(msg)
        time.sleep(1.5)
        r = self.post("/api/v1/verify-email", {"token": token})
        doc = self.refused(400, r, "token")
        self.assertEqual(doc["errors"][0]["message"], "invalid or expired token")
        self.refused(403, self.post("/api/v1/session", {"email": addr, "password": api.PASSWORD}))

    def test_expired_reset_link(self):
        addr = self.register()
        self.wait_mail(addr)
        token, msg = self.request_reset(addr)
        self.assertIn("1 second", self.mail_text(msg))
        time.sleep(1.5)
        r = self.post("/api/v1/password-reset/confirm", {"token": token, "password": NEW_PASSWORD})
        self.refused(400, r, "token")


class DevelopersTest(AccountsCase):
    def test_who_may_list(self):
        r = self.call("GET", "/api/v1/developers")
        self.refused(401, r)
        self.assertTrue(r.header("WWW-Authenticate"), r)
        dev = self.new_person("lister")
        self.refused(403, self.call("GET", "/api/v1/developers", as_=dev))
        r = self.call("POST", "/api/v1/me/tokens", {"name": "cli"}, as_=dev)
        personal = self.ok(201, r)["token"]
        self.refused(403, self.call("GET", "/api/v1/developers", as_=api.Bearer(personal)))
        self.refused(401, self.call("GET", "/api/v1/developers", as_=api.Bearer("ghadm_" + "C" * 43)))
        body = self.ok(200, self.call("GET", "/api/v1/developers", as_=self.admin))
        self.assertEqual(set(body), {"items", "page", "per_page", "total"})
        self.assertEqual((body["page"], body["per_page"]), (1, 20))
        self.assertGreaterEqual(body["total"], 1)
        self.assertEqual([u["id"] for u in self.user_by_email(dev.email)], [dev.id])

    def test_search_and_paging(self):
        stem = "srch%dx" % os.getpid()
        addrs = [self.register(self.unique_email(stem)) for _ in range(3)]
        named = self.register(self.unique_email("plain"), name="Zed %s Named" % stem)

        r = self.call("GET", "/api/v1/developers?q=%s&per_page=2" % stem.upper(), as_=self.admin)
        page1 = self.ok(200, r)
        self.assertEqual(page1["total"], 4)
        self.assertEqual((page1["page"], page1["per_page"]), (1, 2))
        self.assertEqual(len(page1["items"]), 2)
        link = r.header("Link")
        self.assertIsNotNone(link, r)
        m = re.match(r"<([^>]+)>; rel=\"next\"", link)
        self.assertIsNotNone(m, link)
        self.assertIn("q=" + stem.upper(), m.group(1))
        self.assertIn("page=2", m.group(1))
        self.assertIn("per_page=2", m.group(1))

        r2 = self.call("GET", m.group(1), as_=self.admin)
        page2 = self.ok(200, r2)
        self.assertEqual(page2["page"], 2)
        self.assertEqual(len(page2["items"]), 2)
        self.assertIsNone(r2.header("Link"), r2)
        seen = [u["email"] for u in page1["items"] + page2["items"]]
        self.assertEqual(sorted(seen), sorted(addrs + [named]))
        for u in page1["items"]:
            self.assertNotIn("password_hash", u)

        r = self.call("GET", "/api/v1/developers?q=%s&page=3&per_page=2" % stem, as_=self.admin)
        self.assertEqual(self.ok(200, r)["items"], [])

        by_name = self.ok(200, self.call("GET", "/api/v1/developers?q=zed%%20%s" % stem,
                                         as_=self.admin))
        self.assertEqual([u["email"] for u in by_name["items"]], [named])
        nothing = self.ok(200, self.call("GET", "/api/v1/developers?q=no-such-%s" % stem,
                                         as_=self.admin))
        self.assertEqual((nothing["total"], nothing["items"]), (0, []))

    def test_query_refusals(self):
        for q in ["per_page=101", "per_page=0", "page=0", "page=x"]:
            r = self.call("GET", "/api/v1/developers?" + q, as_=self.admin)
            self.refused(422, r, q.split("=")[0])
        r = self.call("GET", "/api/v1/developers?q=" + "a" * 300, as_=self.admin)
        self.refused(422, r, "q")
        r = self.call("GET", "/api/v1/developers?q=a&q=b", as_=self.admin)
        self.refused(400, r, "q")

    def test_get(self):
        dev = self.new_person("getme")
        u = self.ok(200, self.call("GET", "/api/v1/developers/" + dev.id, as_=self.admin))
        for key in ("id", "email", "name", "platform_admin", "created_at"):
            self.assertEqual(u[key], dev.user[key], key)
        self.assertTrue(u["email_verified"])
        self.refused(404, self.call("GET", "/api/v1/developers/usr_" + "a" * 26, as_=self.admin))
        self.refused(404, self.call("GET", "/api/v1/developers/nonsense", as_=self.admin))
        self.refused(404, self.call("GET", "/api/v1/developers/org_" + "a" * 26, as_=self.admin))
        self.refused(403, self.call("GET", "/api/v1/developers/" + dev.id, as_=dev))
        self.refused(401, self.call("GET", "/api/v1/developers/" + dev.id))

    def test_delete(self):
        dev = self.new_person("gone")
        other = self.new_person("stays")
        self.refused(403, self.call("DELETE", "/api/v1/developers/" + dev.id, as_=other))
        self.refused(403, self.call("DELETE", "/api/v1/developers/" + other.id, as_=other))
        self.refused(401, self.call("DELETE", "/api/v1/developers/" + dev.id))

        r = self.call("DELETE", "/api/v1/developers/" + dev.id, as_=self.admin)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.refused(404, self.call("GET", "/api/v1/developers/" + dev.id, as_=self.admin))
        self.refused(404, self.call("DELETE", "/api/v1/developers/" + dev.id, as_=self.admin))
        # their session ended and they cannot log in
        self.refused(401, self.call("GET", "/api/v1/me", as_=dev))
        self.refused(401, self.post("/api/v1/session", {"email": dev.email, "password": api.PASSWORD}))
        # the address is free again
        msg = self.register_expect_mail(dev.email)
        self.ok(200, self.post("/api/v1/verify-email", {"token": self.mail_token(msg)}))

        events = self.audit_actions(dev.id)
        deleted = [e for e in events if e["action"] == "user.delete"]
        self.assertEqual(len(deleted), 1, events)
        self.assertEqual(deleted[0]["object"], {"type": "user", "id": dev.id})
        self.refused(404, self.call("DELETE", "/api/v1/developers/bogus", as_=self.admin))

    def test_delete_last_admin_of_an_org_is_refused(self):
        owner = self.new_person("owner")
        org = self.new_partner_org(owner, name="Lonely Partner %d" % os.getpid())
        r = self.call("DELETE", "/api/v1/developers/" + owner.id, as_=self.admin)
        doc = self.refused(409, r)
        message = doc["errors"][0]["message"]
        self.assertIn("last ADMIN", message)
        self.assertIn(org["name"], message)
        self.ok(200, self.call("GET", "/api/v1/developers/" + owner.id, as_=self.admin))

        # with a second ADMIN the first may go
        second = self.new_person("second")
        r = self.call("POST", "/api/v1/orgs/%s/members" % org["id"],
                      {"email": second.email, "role": "ADMIN"}, as_=owner)
        self.ok(201, r)
        r = self.call("DELETE", "/api/v1/developers/" + owner.id, as_=self.admin)
        self.assertEqual(r.status, 204, r)
        members = self.ok(200, self.call("GET", "/api/v1/orgs/%s/members" % org["id"],
                                         as_=self.admin))
        self.assertEqual([m["user_id"] for m in members["items"]], [second.id])
