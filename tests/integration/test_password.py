"""Change password (POST /auth/password) and operator reset links (`user reset-link`, POST /auth/password/reset)."""
import os
import re
import sqlite3
import unittest

from cloakroom_server import CloakroomServer, run_cli
from totp_codes import Codes


def sid_from(headers):
    return re.search(r"__Host-sid=([^;]+)", headers["set-cookie"]).group(1)


class PasswordTestCase(unittest.TestCase):
    ENV = {}
    PUBLIC_URL = "https://auth.example.com"  # the reset link's

    def setUp(self):
        self.srv = CloakroomServer(env=self.ENV).start()
        self.assertEqual(self.srv.register("alice", "correct horse")[0], 201)

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def session(self, password="correct horse"):
        status, headers, body = self.srv.login("alice", password)
        self.assertEqual(status, 200, body)
        return sid_from(headers)

    def tokens(self):
        status, _, body = self.srv.login("alice", "correct horse", mode="token", transport="body")
        self.assertEqual(status, 200, body)
        return body

    def me_cookie(self, sid):
        return self.srv.request("GET", "/auth/me", headers={"Cookie": "__Host-sid=" + sid})[0]

    def me_bearer(self, jwt):
        return self.srv.request("GET", "/auth/me", headers={"Authorization": "Bearer " + jwt})[0]

    def change(self, sid, current, new, origin=True):
        h = {"Cookie": "__Host-sid=" + sid}
        if origin:
            h["Origin"] = self.srv.public_url
        return self.srv.request("POST", "/auth/password", {"current_password": current, "new_password": new}, headers=h)

    def link(self, *extra):
        """The CLI's link, on the configured public_url (the server's own address is not the CLI's business)."""
        done = run_cli(["user", "reset-link", "alice", *extra], self.srv.data_dir,
                       env={"CLOAKROOM_PUBLIC_URL": self.PUBLIC_URL})
        self.assertEqual(done.returncode, 0, done.stderr)
        url = done.stdout.strip()
        self.assertRegex(url, "^" + re.escape(self.PUBLIC_URL) + r"/reset\?token=[A-Za-z0-9_-]{43}$")
        self.assertNotIn(url.split("token=", 1)[1], done.stderr)
        return url.split("token=", 1)[1]

    def reset(self, token, new="battery staple"):
        return self.srv.request("POST", "/auth/password/reset", {"token": token, "new_password": new})



class ChangePasswordTest(PasswordTestCase):
    ENV = {"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "3", "CLOAKROOM_THROTTLE_WINDOW": "1h"}

    def test_change_keeps_this_session_and_ends_everything_else(self):
        """200; another session and refresh family end, the old access JWT is 401, this session stays;
        the old password is refused and the new one works."""
        mine, other = self.session(), self.session()
        toks = self.tokens()
        self.assertEqual(self.me_bearer(toks["access_token"]), 200)
        status, _, body = self.change(mine, "correct horse", "battery staple")
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"status": "password_changed", "sessions_ended": 1, "refresh_families_ended": 1})
        self.assertEqual(self.me_cookie(mine), 200)
        self.assertEqual(self.me_cookie(other), 401)
        self.assertEqual(self.me_bearer(toks["access_token"]), 401)
        status, _, body = self.srv.request("POST", "/auth/refresh", {"refresh_token": toks["refresh_token"]})
        self.assertEqual((status, body["error"]), (401, "invalid_refresh_token"))
        status, _, body = self.srv.login("alice", "correct horse")
        self.assertEqual((status, body["error"]), (401, "invalid_credentials"))
        self.assertEqual(self.srv.login("alice", "battery staple")[0], 200)

    def test_token_mode_keeps_this_family_with_a_fresh_access_token(self):
        """With a bearer JWT: the caller's family survives; its old JWT dies with the epoch, the answer carries a
        new one that works, and the family's refresh token still refreshes."""
        toks, other = self.tokens(), self.tokens()
        status, _, body = self.srv.request(
            "POST", "/auth/password", {"current_password": "correct horse", "new_password": "battery staple"},
            headers={"Authorization": "Bearer " + toks["access_token"]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["refresh_families_ended"], 1)
        self.assertEqual(self.me_bearer(toks["access_token"]), 401)
        self.assertEqual(self.me_bearer(other["access_token"]), 401)
        self.assertEqual(self.me_bearer(body["access_token"]), 200)
        status, _, refreshed = self.srv.request("POST", "/auth/refresh", {"refresh_token": toks["refresh_token"]})
        self.assertEqual(status, 200, refreshed)
        self.assertEqual(self.me_bearer(refreshed["access_token"]), 200)
        status, _, _ = self.srv.request("POST", "/auth/refresh", {"refresh_token": other["refresh_token"]})
        self.assertEqual(status, 401)

    def test_wrong_current_password_is_401_then_429(self):
        """A wrong current password is 401 invalid_credentials and changes nothing; past the login throttle's
        per-account limit it is 429 with Retry-After, even with the right password."""
        mine = self.session()
        for _ in range(3):
            status, _, body = self.change(mine, "wrong horse", "battery staple")
            self.assertEqual((status, body["error"]), (401, "invalid_credentials"))
        status, headers, body = self.change(mine, "correct horse", "battery staple")
        self.assertEqual((status, body["error"]), (429, "too_many_attempts"))
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertEqual(self.me_cookie(mine), 200)

    def test_new_password_policy_is_registers(self):
        """A new password under auth.password_min (8) or over 1024 bytes is 400 invalid_field naming new_password."""
        mine = self.session()
        for new in ["short", "x" * 1025]:
            status, _, body = self.change(mine, "correct horse", new)
            self.assertEqual((status, body["error"]), (400, "invalid_field"))
            self.assertIn("new_password", body["message"])

    def test_cookie_change_without_origin_is_csrf_rejected(self):
        """The cookie-authenticated change without Origin is 403 csrf_rejected, and the password stays."""
        mine = self.session()
        status, _, body = self.change(mine, "correct horse", "battery staple", origin=False)
        self.assertEqual((status, body["error"]), (403, "csrf_rejected"))
        self.assertEqual(self.srv.login("alice", "correct horse")[0], 200)

    def test_unauthenticated_is_401(self):
        status, _, body = self.srv.request("POST", "/auth/password",
                                           {"current_password": "correct horse", "new_password": "battery staple"})
        self.assertEqual((status, body["error"]), (401, "unauthenticated"))


class ResetLinkTest(PasswordTestCase):
    def test_reset_link_end_to_end(self):
        """The CLI prints the URL on stdout (and logs nothing of it); the page sends no-referrer; a POST with the
        token sets the password and ends every session, family and access token; a second use is refused."""
        sid = self.session()
        toks = self.tokens()
        token = self.link()
        status, headers, page = self.srv.request("GET", "/reset?token=" + token)
        self.assertEqual(status, 200)
        self.assertEqual(headers["referrer-policy"], "no-referrer")
        self.assertNotIn(token, page)
        self.assertIn("/auth/assets/reset.js", page)
        status, _, body = self.reset(token)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"status": "password_reset", "sessions_ended": 1, "refresh_families_ended": 1})
        self.assertEqual(self.me_cookie(sid), 401)
        self.assertEqual(self.me_bearer(toks["access_token"]), 401)
        self.assertEqual(self.srv.login("alice", "correct horse")[0], 401)
        self.assertEqual(self.srv.login("alice", "battery staple")[0], 200)
        status, _, body = self.reset(token, "another password")
        self.assertEqual((status, body["error"]), (400, "invalid_reset_token"))
        self.assertEqual(self.srv.login("alice", "battery staple")[0], 200)
        self.assertFalse([line for line in self.srv.log_lines if token in line])

    def test_unknown_malformed_and_expired_tokens_answer_alike(self):
        """A made-up token, a malformed one and an expired link get the same 400 invalid_reset_token."""
        token = self.link("--ttl", "1m")
        answers = [self.reset("A" * 43), self.reset("not a token")]
        # Expire it in the store: the server's clock cannot be moved, the row can.
        db = os.path.join(self.srv.data_dir, "cloakroom.db")
        if os.path.exists(db):  # the default stores; with CLOAKROOM_TEST_STORES=scaleout the users are elsewhere
            with sqlite3.connect(db) as c:
                self.assertEqual(c.execute("UPDATE password_resets SET expires_ms = 1").rowcount, 1)
            answers.append(self.reset(token))
        for status, _, body in answers:
            self.assertEqual((status, body), (400, answers[0][2]))
            self.assertEqual(body["error"], "invalid_reset_token")
        if len(answers) < 3:
            self.skipTest("the expired case needs the embedded SQLite users store")

    def test_ttl_is_bounded(self):
        """--ttl outside 1m..7d is a usage error (exit 2) and prints no link."""
        for ttl in ["30s", "8d", "soon"]:
            done = run_cli(["user", "reset-link", "alice", "--ttl", ttl], self.srv.data_dir)
            self.assertEqual(done.returncode, 2, (ttl, done.stderr))
            self.assertEqual(done.stdout, "")
        done = run_cli(["user", "reset-link", "nobody"], self.srv.data_dir)
        self.assertEqual(done.returncode, 1)


class PendingSecondStepTest(PasswordTestCase):
    """A login's second step begun with the old password cannot be finished once the password changed: whoever
    knew the old password and holds alice's TOTP (or a recovery code) must not sign in after she changed it."""
    ENV = {"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "100", "CLOAKROOM_THROTTLE_PER_IP": "100",
           "CLOAKROOM_PASSWORD_MEMORY_KIB": "64", "CLOAKROOM_PASSWORD_ITERATIONS": "1"}

    def setUp(self):
        super().setUp()
        self.sid = self.session()
        h = {"Cookie": "__Host-sid=" + self.sid, "Origin": self.srv.public_url}
        status, _, enrol = self.srv.request("POST", "/auth/totp/enroll", headers=h)
        self.assertEqual(status, 200, enrol)
        self.codes = Codes(enrol["secret"])
        status, _, body = self.srv.request("POST", "/auth/totp/confirm", {"code": self.codes.next()}, headers=h)
        self.assertEqual(status, 200, body)

    def challenge(self, password):
        status, _, body = self.srv.request("POST", "/auth/login", {"username": "alice", "password": password})
        self.assertEqual((status, body["error"]), (401, "second_factor_required"), body)
        return body["challenge"]

    def second(self, challenge):
        return self.srv.request("POST", "/auth/login/second-factor", {"challenge": challenge, "code": self.codes.next()})

    def assert_void_then_new_password_works(self, old, new_password):
        status, headers, body = self.second(old)
        self.assertEqual((status, body.get("error")), (401, "invalid_challenge"), body)
        self.assertNotIn("set-cookie", headers)
        status, _, body = self.second(self.challenge(new_password))
        self.assertEqual(status, 200, body)

    def test_a_password_change_voids_the_pending_second_step(self):
        old = self.challenge("correct horse")
        status, _, body = self.change(self.sid, "correct horse", "battery staple")
        self.assertEqual(status, 200, body)
        self.assert_void_then_new_password_works(old, "battery staple")

    def test_a_reset_link_voids_the_pending_second_step(self):
        old = self.challenge("correct horse")
        status, _, body = self.reset(self.link())
        self.assertEqual(status, 200, body)
        self.assert_void_then_new_password_works(old, "battery staple")

    def test_a_rehash_in_the_first_step_is_no_password_change(self):
        """New hashing parameters: the first step stores a new hash (a new salt) of the same password; its own
        second step still finishes."""
        self.srv.stop()
        self.srv.env.update({"CLOAKROOM_PASSWORD_MEMORY_KIB": "128", "CLOAKROOM_PASSWORD_ITERATIONS": "2"})
        self.srv.start()
        status, _, body = self.second(self.challenge("correct horse"))
        self.assertEqual(status, 200, body)
        self.assertEqual(self.srv.metric("cloakroom_password_rehashes_total"), 1)


if __name__ == "__main__":
    unittest.main()
