"""Sessions delivered by cookies or headers: login, me, list, revoke, logout, CSRF, CLI, expiry, kill -9."""
import re
import time
import unittest

from cloakroom_server import CloakroomServer, ServerTestCase, eventually, run_cli
from stores import session_records, stored_bytes

SAME_ORIGIN = object()  # post(): the server's own public_url as Origin


def sid_from(headers):
    m = re.match(r"__Host-sid=([^;]*)", headers.get("set-cookie", ""))
    return m.group(1) if m else None


class SessionTestCase(ServerTestCase):

    def login(self, username="alice", password="correct horse", **extra):
        status, headers, body = self.srv.login(username, password, **extra)
        self.assertEqual(status, 200, body)
        return headers, body

    def cookie_login(self, username="alice", password="correct horse", **extra):
        headers, body = self.login(username, password, **extra)
        return sid_from(headers), body

    def me(self, cookie=None, header=None):
        h = {}
        if cookie is not None:
            h["Cookie"] = "__Host-sid=" + cookie
        if header is not None:
            h["X-Session-ID"] = header
        return self.srv.request("GET", "/auth/me", headers=h)

    def post(self, path, cookie, origin=SAME_ORIGIN, extra=None):
        h = {"Cookie": "__Host-sid=" + cookie}
        if origin is SAME_ORIGIN:
            origin = self.srv.public_url
        if origin:
            h["Origin"] = origin
        h.update(extra or {})
        return self.srv.request("POST", path, headers=h)


class CookieSessionTest(SessionTestCase):
    def test_session_cookie_has_exactly_the_spec_attributes(self):
        """Login sets __Host-sid; Path=/; HttpOnly; Secure; SameSite=Lax and no Max-Age unless remember."""
        headers, body = self.login()
        cookie = headers["set-cookie"]
        self.assertRegex(cookie, r"^__Host-sid=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; Path=/; HttpOnly; Secure; SameSite=Lax$")
        self.assertEqual(set(body), {"user", "session"})
        self.assertEqual(set(body["session"]), {"id", "expires_at"})
        self.assertNotIn("session_token", body)
        self.assertTrue(sid_from(headers).startswith(body["session"]["id"] + "."))
        headers, _ = self.login(remember=True)
        self.assertIn("; Max-Age=604800;", headers["set-cookie"])

    def test_cookie_authenticates_me(self):
        """/auth/me with the cookie names the user and the session."""
        sid, body = self.cookie_login()
        status, _, me = self.me(cookie=sid)
        self.assertEqual(status, 200)
        self.assertEqual(me["user"]["username"], "alice")
        self.assertEqual(me["auth"]["mode"], "session")
        self.assertEqual(me["auth"]["session_id"], body["session"]["id"])
        self.assertRegex(me["auth"]["expires_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_unauthenticated_is_401_with_www_authenticate(self):
        """No credential, a made-up one or a malformed one: 401 with WWW-Authenticate."""
        for cookie in [None, "x" * 22 + "." + "y" * 43, "garbage", ""]:
            status, headers, body = self.me(cookie=cookie)
            self.assertEqual(status, 401)
            self.assertEqual(body["error"], "unauthenticated")
            self.assertIn("Bearer", headers["www-authenticate"])

    def test_every_login_mints_a_new_token_and_ends_the_old_one(self):
        """A second login from the same client gets a new id; the session it presented ends."""
        first, _ = self.cookie_login()
        status, headers, _ = self.srv.request(
            "POST", "/auth/login", {"username": "alice", "password": "correct horse"},
            headers={"Cookie": "__Host-sid=" + first})
        self.assertEqual(status, 200)
        second = sid_from(headers)
        self.assertNotEqual(first.split(".")[0], second.split(".")[0])
        self.assertEqual(self.me(cookie=first)[0], 401)
        self.assertEqual(self.me(cookie=second)[0], 200)

    def test_made_up_session_is_never_adopted(self):
        """A token the client invented stays invalid, also after it was sent to login."""
        made_up = "A" * 22 + "." + "B" * 43
        status, headers, _ = self.srv.request(
            "POST", "/auth/login", {"username": "alice", "password": "correct horse"},
            headers={"Cookie": "__Host-sid=" + made_up})
        self.assertEqual(status, 200)
        self.assertNotEqual(sid_from(headers), made_up)
        self.assertEqual(self.me(cookie=made_up)[0], 401)

    def test_logout_ends_the_session_and_clears_the_cookie(self):
        """POST /auth/logout deletes the session and expires the cookie."""
        sid, _ = self.cookie_login()
        status, headers, body = self.post("/auth/logout", sid)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["set-cookie"], "__Host-sid=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
        self.assertEqual(self.me(cookie=sid)[0], 401)
        self.assertEqual(self.post("/auth/logout", sid)[0], 401)

    def test_logout_all_ends_every_session_of_the_user_only(self):
        """logout-all ends cookie and header sessions of the user; other users keep theirs."""
        a1, _ = self.cookie_login()
        _, body = self.login(transport="body")
        a2 = body["session_token"]
        b1, _ = self.cookie_login("bob", "battery staple")
        status, _, result = self.post("/auth/logout-all", a1)
        self.assertEqual(status, 200)
        self.assertEqual(result["sessions_revoked"], 2)
        self.assertEqual(self.me(cookie=a1)[0], 401)
        self.assertEqual(self.me(header=a2)[0], 401)
        self.assertEqual(self.me(cookie=b1)[0], 200)

    def test_sessions_list_and_delete(self):
        """GET /auth/sessions lists the user's sessions with SPEC fields; DELETE revokes one of them."""
        a1, _ = self.cookie_login()
        _, body = self.login(transport="body")
        a2_id = body["session"]["id"]
        b1, b_body = self.cookie_login("bob", "battery staple")
        status, headers, sessions = self.srv.request(
            "GET", "/auth/sessions", headers={"Cookie": "__Host-sid=" + a1, "User-Agent": "TestAgent/1"})
        self.assertEqual(status, 200)
        self.assertIsInstance(sessions, list)
        self.assertEqual(len(sessions), 2)
        for s in sessions:
            self.assertEqual(set(s), {"id", "mode", "created_at", "last_seen_at", "expires_at", "ip", "user_agent", "current",
                                  "remember", "idle_timeout_seconds"})
            self.assertEqual(s["mode"], "session")
            self.assertEqual(s["ip"], "127.0.0.1")
        current = [s for s in sessions if s["current"]]
        self.assertEqual(len(current), 1)
        self.assertTrue(a1.startswith(current[0]["id"]))
        self.assertNotIn(a1.split(".")[1], str(sessions))  # the secret is never listed
        # Someone else's session and unknown ids are 404.
        self.assertEqual(self.srv.request("DELETE", "/auth/sessions/" + b_body["session"]["id"],
                                          headers={"Cookie": "__Host-sid=" + a1, "Origin": self.srv.public_url})[0], 404)
        self.assertEqual(self.srv.request("DELETE", "/auth/sessions/nope",
                                          headers={"Cookie": "__Host-sid=" + a1, "Origin": self.srv.public_url})[0], 404)
        self.assertEqual(self.me(cookie=b1)[0], 200)
        status, _, _ = self.srv.request("DELETE", "/auth/sessions/" + a2_id,
                                        headers={"Cookie": "__Host-sid=" + a1, "Origin": self.srv.public_url})
        self.assertEqual(status, 200)
        self.assertEqual(len(self.srv.request("GET", "/auth/sessions", headers={"Cookie": "__Host-sid=" + a1})[2]), 1)

    def test_delete_current_session_clears_cookie(self):
        """Deleting the session in use also expires the cookie."""
        sid, body = self.cookie_login()
        status, headers, _ = self.srv.request("DELETE", "/auth/sessions/" + body["session"]["id"],
                                              headers={"Cookie": "__Host-sid=" + sid, "Origin": self.srv.public_url})
        self.assertEqual(status, 200)
        self.assertIn("Max-Age=0", headers["set-cookie"])
        self.assertEqual(self.me(cookie=sid)[0], 401)


class BodyTransportTest(SessionTestCase):
    def test_session_body_transport(self):
        """transport=body returns session_token and no cookie; X-Session-ID authenticates."""
        headers, body = self.login(transport="body")
        self.assertNotIn("set-cookie", headers)
        token = body["session_token"]
        self.assertTrue(token.startswith(body["session"]["id"] + "."))
        status, _, me = self.me(header=token)
        self.assertEqual(status, 200)
        self.assertEqual(me["auth"]["session_id"], body["session"]["id"])

    def test_header_authenticated_requests_skip_csrf(self):
        """X-Session-ID requests need no Origin (a browser cannot add the header cross-site)."""
        _, body = self.login(transport="body")
        status, _, _ = self.srv.request("POST", "/auth/logout", headers={"X-Session-ID": body["session_token"]})
        self.assertEqual(status, 200)
        self.assertEqual(self.me(header=body["session_token"])[0], 401)


class CsrfTest(SessionTestCase):
    def test_cookie_post_without_origin_is_refused_and_session_survives(self):
        """A cookie-authenticated POST with no Origin, or a foreign one, is 403 csrf_rejected."""
        sid, _ = self.cookie_login()
        for origin in [None, "https://evil.example", "http://127.0.0.1:9999", "null"]:
            status, _, body = self.post("/auth/logout", sid, origin=origin)
            self.assertEqual((status, body["error"]), (403, "csrf_rejected"), origin)
        self.assertEqual(self.me(cookie=sid)[0], 200)
        self.assertEqual(self.srv.metric("cloakroom_csrf_rejected_total"), 4)

    def test_same_origin_is_accepted(self):
        """Origin equal to public_url, or Sec-Fetch-Site: same-origin, passes."""
        sid, _ = self.cookie_login()
        status, _, _ = self.post("/auth/logout", sid, origin=None, extra={"Sec-Fetch-Site": "same-origin"})
        self.assertEqual(status, 200)
        sid, _ = self.cookie_login()
        self.assertEqual(self.post("/auth/logout", sid, origin=self.srv.public_url)[0], 200)

    def test_login_from_a_foreign_origin_is_refused(self):
        """Login CSRF: a browser login posted from another origin is refused."""
        status, _, body = self.srv.request("POST", "/auth/login", {"username": "alice", "password": "correct horse"},
                                           headers={"Origin": "https://evil.example"})
        self.assertEqual((status, body["error"]), (403, "csrf_rejected"))


class VerifyTest(SessionTestCase):
    def test_verify_any_method(self):
        """/auth/verify answers any method: 200 with identity headers, 401 with WWW-Authenticate."""
        run_cli(["user", "roles", "alice", "--set", "admin,ops"], self.srv.data_dir)
        sid, body = self.cookie_login()
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]:
            status, headers, _ = self.srv.request(method, "/auth/verify", headers={"Cookie": "__Host-sid=" + sid})
            self.assertEqual(status, 200, method)
            self.assertEqual(headers["x-auth-user"], "alice")
            self.assertEqual(headers["x-auth-user-id"], body["user"]["id"])
            self.assertEqual(headers["x-auth-roles"], "admin,ops")
        status, headers, _ = self.srv.request("GET", "/auth/verify")
        self.assertEqual(status, 401)
        self.assertIn("Bearer", headers["www-authenticate"])

    def test_query_string_credentials_are_never_read(self):
        """A session token in the query string authenticates nothing."""
        _, body = self.login(transport="body")
        status, _, _ = self.srv.request("GET", "/auth/verify?session=" + body["session_token"])
        self.assertEqual(status, 401)


class CliAndUserChangesTest(SessionTestCase):
    def test_cli_session_list_and_revoke(self):
        """`session list` shows sessions; `session revoke ID` ends one on the running server."""
        sid, body = self.cookie_login()
        listing = run_cli(["session", "list", "--user", "alice"], self.srv.data_dir)
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertIn(body["session"]["id"], listing.stdout)
        self.assertIn(body["session"]["id"], run_cli(["session", "list"], self.srv.data_dir).stdout)
        r = run_cli(["session", "revoke", body["session"]["id"]], self.srv.data_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(eventually(lambda: self.me(cookie=sid)[0] == 401))
        r = run_cli(["session", "revoke", body["session"]["id"]], self.srv.data_dir)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(run_cli(["session", "revoke"], self.srv.data_dir).returncode, 2)
        self.assertEqual(run_cli(["session", "list", "--user", "nobody"], self.srv.data_dir).returncode, 1)

    def test_cli_revoke_user(self):
        """`session revoke --user NAME` ends all of that user's sessions."""
        s1, _ = self.cookie_login()
        s2, _ = self.cookie_login()
        b, _ = self.cookie_login("bob", "battery staple")
        r = run_cli(["session", "revoke", "--user", "alice"], self.srv.data_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("revoked 2 session", r.stdout)
        self.assertTrue(eventually(lambda: self.me(cookie=s1)[0] == 401 and self.me(cookie=s2)[0] == 401))
        self.assertEqual(self.me(cookie=b)[0], 200)

    def test_disable_fails_sessions_and_enable_restores(self):
        """`user disable` makes the user's sessions fail within a second; `enable` brings them back."""
        sid, _ = self.cookie_login()
        self.assertEqual(run_cli(["user", "disable", "alice"], self.srv.data_dir).returncode, 0)
        self.assertTrue(eventually(lambda: self.me(cookie=sid)[0] == 401))
        self.assertEqual(self.srv.request("GET", "/auth/verify", headers={"Cookie": "__Host-sid=" + sid})[0], 401)
        self.assertEqual(run_cli(["user", "enable", "alice"], self.srv.data_dir).returncode, 0)
        self.assertTrue(eventually(lambda: self.me(cookie=sid)[0] == 200))

    def test_role_change_reaches_verify(self):
        """`user roles` changes X-Auth-Roles of live sessions."""
        sid, _ = self.cookie_login()
        run_cli(["user", "roles", "alice", "--set", "auditor"], self.srv.data_dir)
        self.assertTrue(eventually(lambda: self.srv.request("GET", "/auth/verify", headers={
            "Cookie": "__Host-sid=" + sid})[1].get("x-auth-roles") == "auditor"))

    def test_password_reset_ends_sessions(self):
        """`user passwd` ends every session of the user."""
        sid, _ = self.cookie_login()
        r = run_cli(["user", "passwd", "alice", "--password-stdin"], self.srv.data_dir, stdin="a new password\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(eventually(lambda: self.me(cookie=sid)[0] == 401))
        self.assertEqual(self.srv.login("alice", "a new password")[0], 200)


class MaxPerUserTest(SessionTestCase):
    env = {"CLOAKROOM_SESSION_MAX_PER_USER": "2"}

    def test_oldest_session_is_evicted(self):
        """With max_per_user = 2 the third login evicts the first session."""
        first, _ = self.cookie_login()
        time.sleep(0.01)
        second, _ = self.cookie_login()
        time.sleep(0.01)
        third, _ = self.cookie_login()
        self.assertEqual(self.me(cookie=first)[0], 401)
        self.assertEqual(self.me(cookie=second)[0], 200)
        self.assertEqual(self.me(cookie=third)[0], 200)

    def test_sessions_and_refresh_families_count_together(self):
        """The cap holds across modes: token logins evict old sessions, session logins evict old families."""
        def token_login():
            _, body = self.login(mode="token", transport="body")
            return body

        def refresh_status(family):
            return self.srv.request("POST", "/auth/refresh", {"refresh_token": family["refresh_token"]})[0]

        session, _ = self.cookie_login()
        time.sleep(0.01)
        family1 = token_login()
        time.sleep(0.01)
        family2 = token_login()  # third credential: the session (oldest) ends
        self.assertEqual(self.me(cookie=session)[0], 401)
        time.sleep(0.01)
        self.cookie_login()      # fourth: family1 (now oldest) ends
        self.assertEqual(refresh_status(family1), 401)
        self.assertEqual(refresh_status(family2), 200)
        _, _, listed = self.srv.request("GET", "/auth/sessions",
                                        headers={"Authorization": "Bearer " + family2["access_token"]})
        self.assertEqual(len(listed), 2)


class ExpiryTest(SessionTestCase):
    env = {"CLOAKROOM_SESSION_IDLE_TIMEOUT": "2s", "CLOAKROOM_SESSION_ABSOLUTE_TIMEOUT": "5s"}

    def test_idle_expiry_slides_with_use_until_the_absolute_limit(self):
        """Used every 0.8 s a 2 s idle session lives on; unused it ends; 5 s absolute ends it anyway."""
        used, _ = self.cookie_login()
        idle, _ = self.cookie_login()
        for _ in range(4):
            time.sleep(0.8)
            self.assertEqual(self.me(cookie=used)[0], 200)
        self.assertEqual(self.me(cookie=idle)[0], 401)  # 3.2 s unused
        # Still used every 0.8 s, it must end at the 5 s absolute limit (login was ~3.2 s ago).
        deadline = time.time() + 4
        while True:
            status = self.me(cookie=used)[0]
            if status != 200 or time.time() > deadline:
                break
            time.sleep(0.8)
        self.assertEqual(status, 401)

    def test_expired_sessions_are_purged_from_the_database(self):
        """Expired sessions leave the database in the background."""
        self.cookie_login()
        self.assertEqual(session_records(self.srv.data_dir), 1)
        self.assertTrue(eventually(lambda: session_records(self.srv.data_dir) == 0, timeout=8))
        self.assertGreaterEqual(self.srv.metric("cloakroom_sessions_expired_total"), 1)


class RememberedIdleTest(SessionTestCase):
    env = {"CLOAKROOM_SESSION_IDLE_TIMEOUT": "1s", "CLOAKROOM_SESSION_REMEMBER_IDLE_TIMEOUT": "4s",
           "CLOAKROOM_SESSION_ABSOLUTE_TIMEOUT": "1h"}

    def test_keep_me_signed_in_has_its_own_idle_bound(self):
        """A remembered session outlives session.idle_timeout unused and ends at
        session.remember_idle_timeout; /auth/sessions says which bound each has."""
        kept, kept_body = self.cookie_login(remember=True)
        plain, _ = self.cookie_login()
        status, _, listed = self.srv.request("GET", "/auth/sessions", headers={"Cookie": "__Host-sid=" + kept})
        self.assertEqual(status, 200)
        by_id = {e["id"]: e for e in listed}
        mine = by_id[kept_body["session"]["id"]]
        self.assertEqual((mine["remember"], mine["idle_timeout_seconds"]), (True, 4))
        other = next(e for e in listed if e["id"] != mine["id"])
        self.assertEqual((other["remember"], other["idle_timeout_seconds"]), (False, 1))
        time.sleep(2)  # both unused for 2 s
        self.assertEqual(self.me(cookie=plain)[0], 401)
        self.assertEqual(self.me(cookie=kept)[0], 200)
        time.sleep(4.5)  # now unused for longer than its own bound
        self.assertEqual(self.me(cookie=kept)[0], 401)


class DurabilityTest(SessionTestCase):
    def test_login_survives_kill_9(self):
        """A session whose login answered 200 is valid after kill -9 and restart."""
        sid, _ = self.cookie_login()
        self.srv.kill9()
        self.srv.log_lines = []
        self.srv.start()
        self.assertEqual(self.me(cookie=sid)[0], 200)

    def test_logout_survives_kill_9(self):
        """A session whose logout answered 200 never comes back after kill -9."""
        sid, _ = self.cookie_login()
        keep, _ = self.cookie_login("bob", "battery staple")
        self.assertEqual(self.post("/auth/logout", sid)[0], 200)
        self.srv.kill9()
        self.srv.log_lines = []
        self.srv.start()
        self.assertEqual(self.me(cookie=sid)[0], 401)
        self.assertEqual(self.me(cookie=keep)[0], 200)

    def test_revocations_survive_kill_9(self):
        """DELETE /auth/sessions/{id}, logout-all and the CLI's revoke all hold after kill -9."""
        a, a_body = self.cookie_login()
        a2, _ = self.cookie_login()
        b, _ = self.cookie_login("bob", "battery staple")
        b2, b2_body = self.cookie_login("bob", "battery staple")
        self.assertEqual(self.srv.request("DELETE", "/auth/sessions/" + a_body["session"]["id"],
                                          headers={"Cookie": "__Host-sid=" + a2, "Origin": self.srv.public_url})[0], 200)
        self.assertEqual(self.post("/auth/logout-all", a2)[0], 200)
        self.assertEqual(run_cli(["session", "revoke", b2_body["session"]["id"]], self.srv.data_dir).returncode, 0)
        self.srv.kill9()
        self.srv.log_lines = []
        self.srv.start()
        for sid in [a, a2, b2]:
            self.assertEqual(self.me(cookie=sid)[0], 401)
        self.assertEqual(self.me(cookie=b)[0], 200)

    def test_database_holds_only_hashes(self):
        """The sessions table holds no token or secret: a leaked database yields nothing usable."""
        sid, _ = self.cookie_login()
        secret = sid.split(".")[1]
        raw = stored_bytes(self.srv.data_dir)
        self.assertIn(sid.split(".")[0].encode(), raw)  # the store's copy was read: the public id is in it
        self.assertNotIn(secret.encode(), raw)
        self.assertNotIn(sid.encode(), raw)


class MetricsTest(SessionTestCase):
    def test_session_metrics(self):
        """The cache gauge and created/revoked counters follow logins and logouts; checks count as cache hits."""
        sid, _ = self.cookie_login()
        self.cookie_login("bob", "battery staple")
        self.assertEqual(self.srv.metric("cloakroom_session_cache_entries"), 2)
        self.assertEqual(self.srv.metric("cloakroom_sessions_created_total"), 2)
        self.assertEqual(self.me(cookie=sid)[0], 200)
        self.assertEqual(self.srv.metric("cloakroom_session_cache_hits_total"), 1)
        self.assertEqual(self.srv.metric("cloakroom_session_cache_misses_total"), 0)
        applied = self.srv.metric("cloakroom_feed_applied_position")
        self.post("/auth/logout", sid)
        self.assertEqual(self.srv.metric("cloakroom_session_cache_entries"), 1)
        self.assertEqual(self.srv.metric("cloakroom_sessions_revoked_total"), 1)
        # The logout's own feed entry evicts the id here too (negative entries included): wait
        # for it, so it cannot land between the two checks below.
        self.assertTrue(eventually(lambda: self.srv.metric("cloakroom_feed_applied_position") > applied))
        # The logged-out id: one store read, then the negative cache answers.
        self.assertEqual(self.me(cookie=sid)[0], 401)
        self.assertEqual(self.me(cookie=sid)[0], 401)
        self.assertEqual(self.srv.metric("cloakroom_session_cache_misses_total"), 1)
        self.assertEqual(self.srv.metric("cloakroom_session_cache_negative_hits_total"), 1)


class SharedStoreTest(unittest.TestCase):
    """Two server processes over one data directory: each caches what it uses."""

    def test_a_session_made_by_one_process_is_valid_in_the_other_at_once(self):
        """A login on A authenticates on B on the very next request; a logout on B ends it on A."""
        with CloakroomServer() as a:
            with CloakroomServer(data_dir=a.data_dir) as b:
                self.assertEqual(a.register("alice", "correct horse")[0], 201)
                status, headers, _ = a.login("alice", "correct horse")
                self.assertEqual(status, 200)
                sid = sid_from(headers)
                cookie = {"Cookie": "__Host-sid=" + sid}
                status, _, me = b.request("GET", "/auth/me", headers=cookie)
                self.assertEqual(status, 200, me)
                self.assertEqual(me["user"]["username"], "alice")
                self.assertEqual(b.metric("cloakroom_session_cache_misses_total"), 1)
                self.assertEqual(b.request("GET", "/auth/me", headers=cookie)[0], 200)
                self.assertEqual(b.metric("cloakroom_session_cache_hits_total"), 1)
                self.assertEqual(b.request("POST", "/auth/logout", headers=dict(cookie, Origin=b.public_url))[0], 200)
                self.assertTrue(eventually(lambda: a.request("GET", "/auth/me", headers=cookie)[0] == 401))


class TrustedProxyTest(unittest.TestCase):
    def test_client_address_comes_from_trusted_proxies_only(self):
        """With http.trusted_proxies the session ip is X-Forwarded-For's client; without, the TCP peer."""
        xff = {"X-Forwarded-For": "203.0.113.9"}
        for trusted, expected in [("127.0.0.1", "203.0.113.9"), (None, "127.0.0.1")]:
            env = {"CLOAKROOM_HTTP_TRUSTED_PROXIES": trusted} if trusted else {}
            with CloakroomServer(env=env) as srv:
                srv.register("alice", "correct horse")
                status, _, body = srv.request("POST", "/auth/login", {"username": "alice", "password": "correct horse",
                                                                      "transport": "body"}, headers=xff)
                self.assertEqual(status, 200)
                _, _, sessions = srv.request("GET", "/auth/sessions", headers={"X-Session-ID": body["session_token"]})
                self.assertEqual(sessions[0]["ip"], expected, trusted)


class InsecureCookieTest(SessionTestCase):
    env = {"CLOAKROOM_COOKIE_SECURE": "false"}

    def test_plain_http_cookie_drops_prefix_and_secure(self):
        """cookie.secure = false: the cookie is sid, without Secure, and it authenticates."""
        headers, _ = self.login()
        cookie = headers["set-cookie"]
        self.assertRegex(cookie, r"^sid=[^;]+; Path=/; HttpOnly; SameSite=Lax$")
        token = cookie.split(";")[0].split("=", 1)[1]
        status, _, _ = self.srv.request("GET", "/auth/me", headers={"Cookie": "sid=" + token})
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
