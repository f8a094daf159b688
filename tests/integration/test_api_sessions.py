"""Sessions and personal tokens: POST/DELETE /api/v1/session, GET /api/v1/me,
GET/POST /api/v1/me/tokens, DELETE /api/v1/me/tokens/{id}.

Every failed login counts against the client address (127.0.0.1 for all
tests) as well as the account, so the throttling tests run in classes of
their own, each with its own server, and SessionTest keeps its failures well
under the per-address budget."""

import calendar
import json
import re
import sqlite3
import time

import api

TOKEN_RE = re.compile(r"^ghpt_[A-Za-z0-9_-]{43}$")
TOKEN_FIELDS = {"id", "name", "created_at", "expires_at", "last_used_at"}
USER_FIELDS = {"id", "email", "name", "email_verified", "platform_admin", "created_at",
               "updated_at"}


def rfc3339(s):
    """Seconds since the epoch of an RFC 3339 UTC string as the API writes them."""
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def session_cookies(r):
    """The Set-Cookie values for gh_session, each split into (value, {attr: value})."""
    out = []
    for header in r.header_all("Set-Cookie"):
        parts = [p.strip() for p in header.split(";")]
        name, _, value = parts[0].partition("=")
        if name != "gh_session":
            continue
        attrs = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            attrs[k.lower()] = v
        out.append((value, attrs))
    return out


class SessionTest(api.ApiTestCase):

    def login_raw(self, email_addr, password=api.PASSWORD, headers=None):
        return self.call("POST", "/api/v1/session", {"email": email_addr, "password": password},
                         headers=headers)

    def verified_email(self):
        addr = self.register()
        self.verify(addr)
        return addr

    def new_token(self, person, name="ci", **extra):
        body = dict(name=name, **extra)
        return self.ok(201, self.call("POST", "/api/v1/me/tokens", body, as_=person))

    # --- login ------------------------------------------------------------------

    def test_login_sets_session_cookie_and_answers_csrf_token(self):
        addr = self.verified_email()
        before = time.time()
        r = self.login_raw(addr)
        body = self.ok(200, r)
        self.assertEqual(set(body), {"csrf_token", "expires_at", "user"})
        self.assertEqual(set(body["user"]), USER_FIELDS)
        self.assertEqual(body["user"]["email"], addr.lower())
        self.assertTrue(body["user"]["email_verified"])
        self.assertFalse(body["user"]["platform_admin"])
        self.assertTrue(body["csrf_token"])
        self.assertGreater(rfc3339(body["expires_at"]), before + 60)
        self.assertEqual(r.header("Cache-Control"), "no-store", r)

        cookies = session_cookies(r)
        self.assertEqual(len(cookies), 1, r)
        value, attrs = cookies[0]
        self.assertRegex(value, r"^ghs_[A-Za-z0-9_-]{43}$")
        self.assertEqual(attrs.get("path"), "/")
        self.assertIn("httponly", attrs)
        self.assertEqual(attrs.get("samesite"), "Lax")
        self.assertNotIn("secure", attrs)  # plain HTTP here
        self.assertNotIn("max-age", attrs)
        self.assertNotEqual(value, body["csrf_token"])

        me = self.ok(200, self.call("GET", "/api/v1/me", headers={"Cookie": "gh_session=" + value}))
        self.assertEqual(me["user"]["id"], body["user"]["id"])

    def test_each_login_is_a_new_session(self):
        addr = self.verified_email()
        a, b = self.login(addr), self.login(addr)
        self.assertNotEqual(a.cookie, b.cookie)
        self.assertNotEqual(a.csrf, b.csrf)
        # A CSRF token belongs to its own session only.
        mixed = api.Person(a.user, a.cookie, b.csrf, a.password)
        self.refused(403, self.call("POST", "/api/v1/me/tokens", {"name": "x"}, as_=mixed))

    def test_login_email_is_case_insensitive(self):
        addr = self.verified_email()
        body = self.ok(200, self.login_raw(addr.upper()))
        self.assertEqual(body["user"]["email"], addr.lower())

    def test_wrong_password_and_unknown_email_get_the_same_answer(self):
        addr = self.verified_email()
        wrong = self.login_raw(addr, "not the password at all 1")
        unknown = self.login_raw(self.unique_email("nobody"), api.PASSWORD)
        for r in (wrong, unknown):
            doc = self.refused(401, r)
            self.assertEqual(doc["errors"], [{"message": "email or password is wrong"}], r)
            self.assertTrue((r.header("WWW-Authenticate") or "").startswith("Bearer"), r)
            self.assertEqual(session_cookies(r), [], r)
        self.assertEqual(wrong.body, unknown.body)

    def test_unknown_email_costs_the_same_password_work(self):
        # Without the argon2 work an unknown email would answer in about a
        # millisecond; a registered one takes the hash's tens of milliseconds.
        addr = self.verified_email()

        def fastest(email_addr):
            best = None
            for _ in range(3):
                start = time.monotonic()
                self.refused(401, self.login_raw(email_addr, "wrong password, surely"))
                took = time.monotonic() - start
                best = took if best is None else min(best, took)
            return best

        known = fastest(addr)
        unknown = fastest(self.unique_email("nobody"))
        self.assertGreater(unknown, known * 0.5, (known, unknown))

    def test_unverified_email_is_refused_403_only_with_the_right_password(self):
        addr = self.register()
        r = self.login_raw(addr)
        self.refused(403, r)
        self.assertIn("verified", r.json()["errors"][0]["message"])
        self.assertEqual(session_cookies(r), [], r)
        doc = self.refused(401, self.login_raw(addr, "some other password 99"))
        self.assertEqual(doc["errors"][0]["message"], "email or password is wrong")
        # After verification the same password logs in.
        self.verify(addr)
        self.ok(200, self.login_raw(addr))

    def test_login_refuses_bad_requests(self):
        addr = self.verified_email()
        r = self.call("POST", "/api/v1/session", raw=b'{"email":"a@b.cd","password":"x"}',
                      headers={"Content-Type": "text/plain"})
        self.refused(415, r)
        self.refused(400, self.call("POST", "/api/v1/session", raw=b'{"email":'))
        self.refused(400, self.call("POST", "/api/v1/session", raw=b'["x"]'))
        self.refused(400, self.call("POST", "/api/v1/session",
                                    {"email": addr, "password": api.PASSWORD, "remember": True}),
                     "remember")
        self.refused(422, self.call("POST", "/api/v1/session", {"password": api.PASSWORD}), "email")
        self.refused(422, self.call("POST", "/api/v1/session", {"email": addr}), "password")
        self.refused(422, self.call("POST", "/api/v1/session",
                                    {"email": addr, "password": ""}), "password")
        self.refused(422, self.call("POST", "/api/v1/session",
                                    {"email": addr, "password": 12345678901}), "password")
        self.refused(422, self.call("POST", "/api/v1/session",
                                    {"email": "not-an-address", "password": api.PASSWORD}), "email")
        self.refused(422, self.call("POST", "/api/v1/session",
                                    {"email": ["x"], "password": api.PASSWORD}), "email")

    def test_login_works_whatever_old_credentials_the_client_still_sends(self):
        addr = self.verified_email()
        old = self.login(addr)
        self.ok(204, self.call("DELETE", "/api/v1/session", as_=old))
        # The browser still holds the ended session's cookie (and no CSRF token).
        r = self.login_raw(addr, headers={"Cookie": "gh_session=" + old.cookie})
        self.ok(200, r)
        r = self.login_raw(addr, headers={"Cookie": "gh_session=ghs_made-up; other=1"})
        self.ok(200, r)
        # A live session's cookie without its CSRF token does not block a login either.
        live = self.login(addr)
        self.ok(200, self.login_raw(addr, headers={"Cookie": "gh_session=" + live.cookie}))

    # --- CSRF ----------------------------------------------------------------------

    def test_cookie_writes_need_the_csrf_token(self):
        alice = self.new_person()
        for csrf in (None, "", "ghcsrf_wrong", alice.csrf + "x"):
            headers = {} if csrf is None else {"X-CSRF-Token": csrf}
            r = self.call("POST", "/api/v1/me/tokens", {"name": "nope"}, as_=alice, csrf=False,
                          headers=headers)
            self.refused(403, r)
            r = self.call("DELETE", "/api/v1/session", as_=alice, csrf=False, headers=headers)
            self.refused(403, r)
        # Nothing happened: no token was made and the session still works.
        listing = self.ok(200, self.call("GET", "/api/v1/me/tokens", as_=alice, csrf=False))
        self.assertEqual(listing["total"], 0)
        self.ok(200, self.call("GET", "/api/v1/me", as_=alice, csrf=False))
        # With the token the same write goes through.
        self.new_token(alice, "with-csrf")

    def test_personal_token_needs_no_csrf_token(self):
        alice = self.new_person()
        tok = api.Bearer(self.new_token(alice)["token"])
        body = self.ok(201, self.call("POST", "/api/v1/me/tokens", {"name": "from-script"},
                                      as_=tok))
        self.assertRegex(body["token"], TOKEN_RE)
        self.ok(204, self.call("DELETE", "/api/v1/me/tokens/" + body["id"], as_=tok))

    # --- logout ---------------------------------------------------------------------

    def test_logout_clears_the_cookie_and_ends_the_session(self):
        alice = self.new_person()
        r = self.call("DELETE", "/api/v1/session", as_=alice)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        cookies = session_cookies(r)
        self.assertEqual(len(cookies), 1, r)
        value, attrs = cookies[0]
        self.assertEqual(value, "")
        self.assertEqual(attrs.get("max-age"), "0")
        self.assertEqual(attrs.get("path"), "/")
        self.assertIn("httponly", attrs)
        # The old cookie is useless now, for reads and writes.
        r = self.call("GET", "/api/v1/me", as_=alice)
        self.refused(401, r)
        self.assertTrue((r.header("WWW-Authenticate") or "").startswith("Bearer"), r)
        self.refused(401, self.call("GET", "/api/v1/me/tokens", as_=alice))
        self.refused(401, self.call("POST", "/api/v1/me/tokens", {"name": "late"}, as_=alice))
        self.refused(401, self.call("DELETE", "/api/v1/session", as_=alice))

    def test_logout_ends_only_that_session(self):
        addr = self.verified_email()
        a, b = self.login(addr), self.login(addr)
        self.ok(204, self.call("DELETE", "/api/v1/session", as_=a))
        self.refused(401, self.call("GET", "/api/v1/me", as_=a))
        self.ok(200, self.call("GET", "/api/v1/me", as_=b))

    def test_logout_needs_a_session(self):
        self.refused(401, self.call("DELETE", "/api/v1/session"))
        self.refused(403, self.call("DELETE", "/api/v1/session", as_=self.admin))
        alice = self.new_person()
        tok = api.Bearer(self.new_token(alice)["token"])
        self.refused(403, self.call("DELETE", "/api/v1/session", as_=tok))
        # The token and the session both still work.
        self.ok(200, self.call("GET", "/api/v1/me", as_=tok))
        self.ok(200, self.call("GET", "/api/v1/me", as_=alice))

    # --- me ---------------------------------------------------------------------------

    def test_me_shows_the_person_and_their_orgs_with_roles(self):
        alice = self.new_person(name="Alice Example")
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=alice))
        self.assertEqual(set(me), {"user", "orgs"})
        self.assertEqual(me["user"]["id"], alice.id)
        self.assertEqual(me["user"]["name"], "Alice Example")
        self.assertEqual(set(me["user"]), USER_FIELDS)
        self.assertEqual(me["orgs"], [])

        org = self.new_partner_org(alice)
        bob = self.new_person()
        self.ok(201, self.call("POST", "/api/v1/orgs/%s/members" % org["id"],
                               {"email": bob.email, "role": "DEVELOPER"}, as_=alice))
        expect = {"id": org["id"], "name": org["name"], "provider": False, "partner": True}
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=alice))
        self.assertEqual(me["orgs"], [dict(expect, role="ADMIN")])
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=bob))
        self.assertEqual(me["orgs"], [dict(expect, role="DEVELOPER")])

    def test_me_refusals(self):
        self.refused(401, self.call("GET", "/api/v1/me"))
        self.refused(401, self.call("GET", "/api/v1/me", as_=api.Bearer("ghpt_" + "A" * 43)))
        self.refused(401, self.call("GET", "/api/v1/me",
                                    headers={"Cookie": "gh_session=ghs_" + "A" * 43}))
        self.refused(403, self.call("GET", "/api/v1/me", as_=self.admin))

    # --- personal tokens ---------------------------------------------------------------

    def test_tokens_create_list_use_delete(self):
        alice = self.new_person()
        before = time.time()
        created = self.new_token(alice, "deploy-bot")
        self.assertEqual(set(created), TOKEN_FIELDS | {"token"})
        self.assertRegex(created["id"], r"^tok_[a-z2-7]{26}$")
        self.assertRegex(created["token"], TOKEN_RE)
        self.assertEqual(created["name"], "deploy-bot")
        self.assertIsNone(created["last_used_at"])
        self.assertLessEqual(abs(rfc3339(created["created_at"]) - before), 5)

        listing = self.ok(200, self.call("GET", "/api/v1/me/tokens", as_=alice))
        self.assertEqual(listing["total"], 1)
        self.assertEqual(listing["page"], 1)
        self.assertEqual(listing["per_page"], 20)
        self.assertEqual(len(listing["items"]), 1)
        item = listing["items"][0]
        self.assertEqual(set(item), TOKEN_FIELDS)  # never the secret or its hash
        self.assertEqual({k: created[k] for k in TOKEN_FIELDS if k != "last_used_at"},
                         {k: item[k] for k in TOKEN_FIELDS if k != "last_used_at"})
        self.assertNotIn(created["token"], json.dumps(listing))

        tok = api.Bearer(created["token"])
        me = self.ok(200, self.call("GET", "/api/v1/me", as_=tok))
        self.assertEqual(me["user"]["id"], alice.id)
        listing = self.ok(200, self.call("GET", "/api/v1/me/tokens", as_=tok))
        self.assertIsNotNone(listing["items"][0]["last_used_at"])

        r = self.call("DELETE", "/api/v1/me/tokens/" + created["id"], as_=alice)
        self.assertEqual(r.status, 204, r)
        r = self.call("GET", "/api/v1/me", as_=tok)
        self.refused(401, r)
        self.assertTrue((r.header("WWW-Authenticate") or "").startswith("Bearer"), r)
        self.assertEqual(self.ok(200, self.call("GET", "/api/v1/me/tokens", as_=alice))["total"], 0)
        self.refused(404, self.call("DELETE", "/api/v1/me/tokens/" + created["id"], as_=alice))

    def test_tokens_of_another_person_are_invisible(self):
        alice, bob = self.new_person(), self.new_person()
        mine = self.new_token(alice, "alices")
        self.new_token(bob, "bobs")
        listing = self.ok(200, self.call("GET", "/api/v1/me/tokens", as_=bob))
        self.assertEqual([t["name"] for t in listing["items"]], ["bobs"])
        self.assertEqual(listing["total"], 1)
        self.refused(404, self.call("DELETE", "/api/v1/me/tokens/" + mine["id"], as_=bob))
        bob_tok = api.Bearer(self.new_token(bob, "bobs-script")["token"])
        self.refused(404, self.call("DELETE", "/api/v1/me/tokens/" + mine["id"], as_=bob_tok))
        # Still there and still working for alice.
        self.ok(200, self.call("GET", "/api/v1/me", as_=api.Bearer(mine["token"])))
        listing = self.ok(200, self.call("GET", "/api/v1/me/tokens", as_=alice))
        self.assertEqual([t["id"] for t in listing["items"]], [mine["id"]])

    def test_token_routes_are_for_people(self):
        self.refused(401, self.call("GET", "/api/v1/me/tokens"))
        self.refused(401, self.call("POST", "/api/v1/me/tokens", {"name": "x"}))
        self.refused(401, self.call("DELETE", "/api/v1/me/tokens/tok_" + "a" * 26))
        self.refused(403, self.call("GET", "/api/v1/me/tokens", as_=self.admin))
        self.refused(403, self.call("POST", "/api/v1/me/tokens", {"name": "x"}, as_=self.admin))
        self.refused(403, self.call("DELETE", "/api/v1/me/tokens/tok_" + "a" * 26, as_=self.admin))

    def test_token_create_validation(self):
        alice = self.new_person()
        post = lambda body, **kw: self.call("POST", "/api/v1/me/tokens", body, as_=alice, **kw)
        self.refused(422, post({}), "name")
        self.refused(422, post({"name": ""}), "name")
        self.refused(422, post({"name": "has space"}), "name")
        self.refused(422, post({"name": "-leading-dash"}), "name")
        self.refused(422, post({"name": "n" * 65}), "name")
        self.refused(422, post({"name": 7}), "name")
        self.refused(422, post({"name": "ok", "expires_in_days": 0}), "expires_in_days")
        self.refused(422, post({"name": "ok", "expires_in_days": -3}), "expires_in_days")
        self.refused(422, post({"name": "ok", "expires_in_days": 1.5}), "expires_in_days")
        self.refused(422, post({"name": "ok", "expires_in_days": "7"}), "expires_in_days")
        self.refused(422, post({"name": "ok", "expires_in_days": 10 ** 9}), "expires_in_days")
        self.refused(400, post({"name": "ok", "scopes": ["all"]}), "scopes")
        self.refused(400, post(None, raw=b"{nope"))
        self.refused(415, post(None, raw=b'{"name":"ok"}', headers={"Content-Type": "text/plain"}))
        self.ok(201, post({"name": "n" * 64}))
        listing = self.ok(200, self.call("GET", "/api/v1/me/tokens", as_=alice))
        self.assertEqual(listing["total"], 1)

    def test_token_expiry_within_the_servers_limit(self):
        # The server's default limit is 365 days (--max-token-days); a token
        # without expires_in_days gets the longest lifetime allowed.
        alice = self.new_person()
        now = time.time()
        t = self.new_token(alice, "short", expires_in_days=2)
        self.assertLessEqual(abs(rfc3339(t["expires_at"]) - (now + 2 * 86400)), 10, t)
        self.ok(200, self.call("GET", "/api/v1/me", as_=api.Bearer(t["token"])))
        t = self.new_token(alice, "longest", expires_in_days=365)
        self.assertLessEqual(abs(rfc3339(t["expires_at"]) - (now + 365 * 86400)), 10, t)
        t = self.new_token(alice, "default")
        self.assertLessEqual(abs(rfc3339(t["expires_at"]) - (now + 365 * 86400)), 10, t)
        r = self.call("POST", "/api/v1/me/tokens", {"name": "too-long", "expires_in_days": 366},
                      as_=alice)
        doc = self.refused(422, r, "expires_in_days")
        self.assertIn("365", doc["errors"][0]["message"])

    def test_token_delete_of_malformed_or_unknown_id_is_404(self):
        alice = self.new_person()
        for tid in ("nope", "tok_" + "a" * 26, "usr_" + "a" * 26, alice.id):
            self.refused(404, self.call("DELETE", "/api/v1/me/tokens/" + tid, as_=alice))

    def test_tokens_list_pages(self):
        alice = self.new_person()
        ids = [self.new_token(alice, "t%d" % i)["id"] for i in range(3)]
        r = self.call("GET", "/api/v1/me/tokens?per_page=2", as_=alice)
        first = self.ok(200, r)
        self.assertEqual((first["page"], first["per_page"], first["total"]), (1, 2, 3))
        self.assertEqual(len(first["items"]), 2)
        self.assertEqual(r.header("Link"), '</api/v1/me/tokens?page=2&per_page=2>; rel="next"')
        r = self.call("GET", "/api/v1/me/tokens?page=2&per_page=2", as_=alice)
        second = self.ok(200, r)
        self.assertEqual(len(second["items"]), 1)
        self.assertIsNone(r.header("Link"))
        self.assertEqual(sorted(t["id"] for t in first["items"] + second["items"]), sorted(ids))
        self.assertEqual(self.ok(200, self.call("GET", "/api/v1/me/tokens?page=3&per_page=2",
                                                as_=alice))["items"], [])
        self.refused(422, self.call("GET", "/api/v1/me/tokens?per_page=101", as_=alice), "per_page")
        self.refused(422, self.call("GET", "/api/v1/me/tokens?page=0", as_=alice), "page")

    # --- audit -----------------------------------------------------------------------------

    def audit(self, **query):
        qs = "&".join("%s=%s" % kv for kv in sorted(query.items()))
        return self.ok(200, self.call("GET", "/api/v1/audit?" + qs, as_=self.admin))["items"]

    def test_changes_are_audited_without_secrets(self):
        alice = self.new_person()
        created = self.new_token(alice, "audited")
        self.ok(204, self.call("DELETE", "/api/v1/me/tokens/" + created["id"], as_=alice))
        self.ok(204, self.call("DELETE", "/api/v1/session", as_=alice))

        events = self.audit(object=created["id"])
        self.assertEqual(sorted(e["action"] for e in events),
                         ["personal_token.create", "personal_token.delete"])
        for e in events:
            self.assertEqual(e["object"], {"type": "personal_token", "id": created["id"]})
            self.assertEqual(e["actor"]["id"], alice.id)
            self.assertEqual(e["changes"].get("name"), "audited")
        text = json.dumps(events)
        self.assertNotIn(created["token"], text)
        self.assertNotIn(created["token"][5:], text)

        events = self.audit(object=alice.id)
        actions = [e["action"] for e in events]
        self.assertIn("session.create", actions)
        self.assertIn("session.delete", actions)
        login = [e for e in events if e["action"] == "session.create"][0]
        self.assertEqual(login["actor"], {"id": alice.id, "kind": "user"})
        self.assertEqual(login["client_addr"], "127.0.0.1")
        text = json.dumps(events)
        self.assertNotIn(alice.cookie, text)
        self.assertNotIn(alice.csrf, text)
        self.assertNotIn(api.PASSWORD, text)


class TokenNoLimitTest(api.ApiTestCase):
    """--max-token-days 0: tokens may live for good."""
    server_args = ["--max-token-days", "0"]

    def test_tokens_without_expiry_never_expire(self):
        alice = self.new_person()
        now = time.time()
        t = self.ok(201, self.call("POST", "/api/v1/me/tokens", {"name": "forever"}, as_=alice))
        self.assertIsNone(t["expires_at"])
        self.ok(200, self.call("GET", "/api/v1/me", as_=api.Bearer(t["token"])))
        t = self.ok(201, self.call("POST", "/api/v1/me/tokens",
                                   {"name": "decade", "expires_in_days": 3650}, as_=alice))
        self.assertLessEqual(abs(rfc3339(t["expires_at"]) - (now + 3650 * 86400)), 10, t)
        self.refused(422, self.call("POST", "/api/v1/me/tokens",
                                    {"name": "x", "expires_in_days": 10 ** 9}, as_=alice),
                     "expires_in_days")


class SessionIdleTest(api.ApiTestCase):
    """A session unused for --session-idle seconds ends; tokens do not."""
    server_args = ["--session-idle", "1"]

    def test_idle_session_ends(self):
        alice = self.new_person()
        tok = api.Bearer(self.ok(201, self.call("POST", "/api/v1/me/tokens", {"name": "keep"},
                                                as_=alice))["token"])
        self.ok(200, self.call("GET", "/api/v1/me", as_=alice))
        time.sleep(2.2)
        self.refused(401, self.call("GET", "/api/v1/me", as_=alice))
        self.refused(401, self.call("POST", "/api/v1/me/tokens", {"name": "late"}, as_=alice))
        self.ok(200, self.call("GET", "/api/v1/me", as_=tok))
        # Logging in again gives a working session.
        again = self.login(alice.email)
        self.ok(200, self.call("GET", "/api/v1/me", as_=again))


class SessionMaxTest(api.ApiTestCase):
    """Every session ends --session-max seconds after login, even in use."""
    server_args = ["--session-max", "2"]

    def test_session_ends_at_its_absolute_limit(self):
        addr = self.register()
        self.verify(addr)
        before = time.time()
        r = self.call("POST", "/api/v1/session", {"email": addr, "password": api.PASSWORD})
        body = self.ok(200, r)
        self.assertLessEqual(abs(rfc3339(body["expires_at"]) - (before + 2)), 1.5, body)
        cookie = session_cookies(r)[0][0]
        headers = {"Cookie": "gh_session=" + cookie}
        self.ok(200, self.call("GET", "/api/v1/me", headers=headers))
        deadline = time.monotonic() + 6
        while True:  # kept busy, so only the absolute limit can end it
            r = self.call("GET", "/api/v1/me", headers=headers)
            if r.status != 200:
                break
            self.assertLess(time.monotonic(), deadline, "the session outlived its limit")
            time.sleep(0.25)
        self.refused(401, r)
        self.assertGreaterEqual(time.time(), rfc3339(body["expires_at"]))

    def test_ended_sessions_are_swept_from_the_database(self):
        addr = self.register()
        self.verify(addr)
        self.login(addr)
        # the server sweeps expired rows on its first 5 s tick, then every minute
        swept = self.server.wait_for_log(
            lambda rec: rec.get("msg") == "store.swept" and rec.get("sessions", 0) >= 1, timeout=12)
        self.assertTrue(swept, "no store.swept line with sessions")
        db = sqlite3.connect(self.server.db)
        try:
            left = db.execute("SELECT COUNT(*) FROM sessions WHERE expires_at <= ?",
                              (int(time.time()),)).fetchone()[0]
        finally:
            db.close()
        self.assertEqual(left, 0)


class LoginThrottleAccountTest(api.ApiTestCase):
    """Repeated wrong passwords for one account: 429 with Retry-After."""

    def test_account_is_throttled_after_repeated_failures(self):
        victim = self.register(self.unique_email("throttled"))
        self.verify(victim)
        other = self.register(self.unique_email("bystander"))
        self.verify(other)
        statuses = []
        throttled = None
        for _ in range(15):
            r = self.call("POST", "/api/v1/session", {"email": victim, "password": "wrong guess 1234"})
            statuses.append(r.status)
            if r.status == 429:
                throttled = r
                break
            self.refused(401, r)
        self.assertIsNotNone(throttled, statuses)
        self.assertGreaterEqual(statuses.count(401), 5, statuses)
        self.refused(429, throttled)
        retry = throttled.header("Retry-After")
        self.assertRegex(retry or "", r"^[1-9][0-9]*$", throttled)

        # Throttled means refused before the password is looked at: even the
        # right one, and with a differently spelled address.
        r = self.call("POST", "/api/v1/session", {"email": victim.upper(), "password": api.PASSWORD})
        self.refused(429, r)
        self.assertRegex(r.header("Retry-After") or "", r"^[1-9][0-9]*$", r)
        # Another account from the same address is not affected.
        self.login(other)
        # Once the wait is over the right password works (and clears the count).
        time.sleep(int(r.header("Retry-After")) + 0.2)
        self.login(victim)
        self.refused(401, self.call("POST", "/api/v1/session",
                                    {"email": victim, "password": "wrong again 12345"}))


class LoginThrottleAddressTest(api.ApiTestCase):
    """Failures for many accounts from one client address throttle the address."""

    def test_address_is_throttled_after_many_failures(self):
        statuses = []
        throttled = None
        for _ in range(40):
            r = self.call("POST", "/api/v1/session",
                          {"email": self.unique_email("spray"), "password": "password spray 1"})
            statuses.append(r.status)
            if r.status == 429:
                throttled = r
                break
            self.refused(401, r)
        self.assertIsNotNone(throttled, statuses)
        self.assertGreaterEqual(statuses.count(401), 10, statuses)
        self.assertRegex(throttled.header("Retry-After") or "", r"^[1-9][0-9]*$", throttled)
        # A fresh address in the same spray is refused too: it is the address that waits.
        r = self.call("POST", "/api/v1/session",
                      {"email": self.unique_email("fresh"), "password": "password spray 2"})
        self.refused(429, r)
