"""Token mode: access JWTs, rotating refresh tokens, reuse detection, grace-window repeats,
logout / logout-all across both modes, family listing and revocation, CLI, kill -9 durability."""
import base64
import json
import re
import threading
import time
import unittest

from cloakroom_server import ServerTestCase, eventually, run_cli
from stores import refresh_generations, stored_bytes

REFRESH_RE = r"[A-Za-z0-9_-]{22}\.(0|[1-9][0-9]*)\.[A-Za-z0-9_-]{43}"


def b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def cookies(headers):
    """name -> (value, full Set-Cookie line) for every Set-Cookie of a response."""
    out = {}
    for line in headers.get("set-cookie", "").split("\n"):
        m = re.match(r"([^=]+)=([^;]*)", line)
        if m:
            out[m.group(1)] = (m.group(2), line)
    return out


class TokenTestCase(ServerTestCase):

    def token_login(self, username="alice", password="correct horse", **extra):
        status, headers, body = self.srv.login(username, password, mode="token", transport="body", **extra)
        self.assertEqual(status, 200, body)
        return body

    def refresh(self, token):
        return self.srv.request("POST", "/auth/refresh", {"refresh_token": token})

    def me(self, bearer=None, headers=None):
        h = dict(headers or {})
        if bearer is not None:
            h["Authorization"] = "Bearer " + bearer
        return self.srv.request("GET", "/auth/me", headers=h)

    def ok(self, bearer):
        return self.me(bearer)[0] == 200


class TokenLoginTest(TokenTestCase):
    def test_body_transport_returns_the_spec_fields_and_a_valid_access_token(self):
        """token+body: access_token, token_type, expires_in, refresh_token, user; the JWT has the SPEC's header and claims."""
        status, headers, body = self.srv.login("alice", "correct horse", mode="token", transport="body")
        self.assertEqual(status, 200)
        self.assertNotIn("set-cookie", headers)
        self.assertEqual(headers.get("cache-control"), "no-store")
        self.assertTrue({"access_token", "token_type", "expires_in", "refresh_token", "user"} <= set(body))
        self.assertEqual((body["token_type"], body["expires_in"]), ("Bearer", 900))
        self.assertRegex(body["refresh_token"], "^" + REFRESH_RE + "$")
        self.assertGreaterEqual(len(body["refresh_token"].rsplit(".", 1)[1]), 43)  # >= 256 bits
        header, claims = (b64json(p) for p in body["access_token"].split(".")[:2])
        self.assertEqual(header["typ"], "at+jwt")
        self.assertEqual(header["alg"], "ES256")
        self.assertIn("kid", header)
        for claim in ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "username", "roles", "sid"]:
            self.assertIn(claim, claims)
        self.assertEqual(claims["sub"], body["user"]["id"])
        self.assertEqual(claims["exp"] - claims["iat"], 900)
        self.assertEqual(claims["sid"], body["session"]["id"])
        self.assertTrue(body["refresh_token"].startswith(claims["sid"] + ".0."))
        status, _, me = self.me(body["access_token"])
        self.assertEqual(status, 200)
        self.assertEqual(me["auth"]["mode"], "token")
        self.assertEqual(me["auth"]["session_id"], body["session"]["id"])
        self.assertEqual(me["user"]["username"], "alice")

    def test_cookie_transport_sets_access_and_refresh_cookies_with_spec_attributes(self):
        """token+cookie: __Host-at (Path=/, Lax) and __Secure-rt (Path=/auth/refresh, Strict), no tokens in the body."""
        status, headers, body = self.srv.login("alice", "correct horse", mode="token")
        self.assertEqual(status, 200, body)
        c = cookies(headers)
        self.assertRegex(c["__Host-at"][1], r"^__Host-at=[A-Za-z0-9_.-]+; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax$")
        self.assertRegex(c["__Secure-rt"][1],
                         r"^__Secure-rt=" + REFRESH_RE + r"; Path=/auth/refresh; HttpOnly; Secure; SameSite=Strict$")
        self.assertNotIn("access_token", body)
        self.assertNotIn("refresh_token", body)
        status, _, me = self.me(headers={"Cookie": "__Host-at=" + c["__Host-at"][0]})
        self.assertEqual((status, me["auth"]["mode"]), (200, "token"))
        # remember: the refresh cookie outlives the browser session.
        _, headers, _ = self.srv.login("alice", "correct horse", mode="token", remember=True)
        self.assertIn("; Max-Age=2592000;", cookies(headers)["__Secure-rt"][1])

    def test_a_new_login_ends_the_family_the_request_carried(self):
        """One login, one id: logging in again with the old access cookie ends the old family."""
        _, headers, old = self.srv.login("alice", "correct horse", mode="token")
        c = cookies(headers)
        status, _, new = self.srv.request("POST", "/auth/login",
                                          {"username": "alice", "password": "correct horse", "mode": "token"},
                                          headers={"Cookie": "__Host-at=" + c["__Host-at"][0]})
        self.assertEqual(status, 200, new)
        self.assertNotEqual(new["session"]["id"], old["session"]["id"])
        s, _, body = self.srv.request("POST", "/auth/refresh", {"refresh_token": c["__Secure-rt"][0]})
        self.assertEqual((s, body["error"]), (401, "invalid_refresh_token"))

    def test_roles_changed_by_the_cli_arrive_with_the_next_refresh(self):
        t = self.token_login()
        self.assertEqual(run_cli(["user", "roles", "alice", "--set", "admin"], self.srv.data_dir).returncode, 0)

        def refreshed_roles():
            nonlocal t
            _, _, nxt = self.refresh(t["refresh_token"])
            t = nxt
            return b64json(nxt["access_token"].split(".")[1])["roles"] == ["admin"]
        self.assertTrue(eventually(refreshed_roles))

    def test_wrong_password_in_token_mode_is_invalid_credentials(self):
        status, headers, body = self.srv.login("alice", "wrong password", mode="token")
        self.assertEqual((status, body["error"]), (401, "invalid_credentials"))
        self.assertNotIn("set-cookie", headers)

    def test_forward_auth_accepts_the_bearer_token(self):
        body = self.token_login()
        status, headers, _ = self.srv.request("GET", "/auth/verify", headers={"Authorization": "Bearer " + body["access_token"]})
        self.assertEqual((status, headers["x-auth-user"]), (200, "alice"))


class RefreshTest(TokenTestCase):
    def test_refresh_rotates_and_both_tokens_work(self):
        """Each refresh returns a new refresh token (next generation) and a new access token."""
        first = self.token_login()
        status, _, second = self.refresh(first["refresh_token"])
        self.assertEqual(status, 200, second)
        self.assertNotEqual(second["refresh_token"], first["refresh_token"])
        self.assertTrue(second["refresh_token"].startswith(first["session"]["id"] + ".1."))
        self.assertNotEqual(second["access_token"], first["access_token"])
        self.assertEqual(second["session"]["id"], first["session"]["id"])
        self.assertTrue(self.ok(second["access_token"]))
        status, _, third = self.refresh(second["refresh_token"])
        self.assertEqual(status, 200, third)
        self.assertTrue(third["refresh_token"].startswith(first["session"]["id"] + ".2."))

    def test_reuse_of_an_older_token_revokes_the_family_and_its_access_tokens(self):
        """RFC 9700 §4.14: an already-rotated token comes back → 401 refresh_token_reused, the whole family ends."""
        r0 = self.token_login()
        _, _, r1 = self.refresh(r0["refresh_token"])
        _, _, r2 = self.refresh(r1["refresh_token"])
        self.assertTrue(self.ok(r2["access_token"]))
        status, _, body = self.refresh(r0["refresh_token"])
        self.assertEqual((status, body["error"]), (401, "refresh_token_reused"))
        # The legitimate holder's newest tokens are dead too, at once.
        self.assertEqual(self.refresh(r2["refresh_token"])[2]["error"], "invalid_refresh_token")
        self.assertEqual(self.me(r2["access_token"])[0], 401)
        self.assertEqual(self.me(r0["access_token"])[0], 401)
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="reuse_detected"}'), 1)
        self.assertTrue(self.srv.logs("refresh_token_reused"))

    def test_repeat_within_grace_window_returns_the_same_new_token(self):
        """The same refresh again (a retry, a second tab) within the grace window: same refresh token, fresh access token."""
        r0 = self.token_login()
        _, _, a = self.refresh(r0["refresh_token"])
        status, _, b = self.refresh(r0["refresh_token"])
        self.assertEqual(status, 200, b)
        self.assertEqual(b["refresh_token"], a["refresh_token"])
        self.assertNotEqual(b["access_token"], a["access_token"])
        self.assertTrue(self.ok(a["access_token"]) and self.ok(b["access_token"]))
        status, _, c = self.refresh(a["refresh_token"])  # the family goes on
        self.assertEqual(status, 200, c)
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="repeated_in_grace"}'), 1)
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="reuse_detected"}'), 0)

    def test_repeats_within_grace_are_bounded_and_logged(self):
        """A spent token replayed inside the grace window (a thief looks like a retry): jwt.refresh_repeats (3)
        repeats are answered, each logged with family, user, address and user agent; the next is reuse and
        ends the family."""
        r0 = self.token_login()
        fid, uid = r0["session"]["id"], r0["user"]["id"]
        _, _, r1 = self.refresh(r0["refresh_token"])
        thief = {"User-Agent": "thief/1.0"}
        for _ in range(3):
            status, _, body = self.srv.request("POST", "/auth/refresh", {"refresh_token": r0["refresh_token"]},
                                               headers=thief)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["refresh_token"], r1["refresh_token"])
        status, _, body = self.srv.request("POST", "/auth/refresh", {"refresh_token": r0["refresh_token"]},
                                           headers=thief)
        self.assertEqual((status, body.get("error")), (401, "refresh_token_reused"))
        self.assertEqual(self.refresh(r1["refresh_token"])[2]["error"], "invalid_refresh_token")
        self.assertEqual(self.me(r1["access_token"])[0], 401)
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="repeated_in_grace"}'), 3)
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="reuse_detected"}'), 1)
        repeats = eventually(lambda: len(self.srv.logs("refresh_repeated")) == 4 and self.srv.logs("refresh_repeated"))
        self.assertTrue(repeats, self.srv.log_lines[-10:])
        for n, line in enumerate(repeats, start=1):
            self.assertEqual((line["family_id"], line["user_id"], line["ip"], line["user_agent"], line["repeat"]),
                             (fid, uid, "127.0.0.1", "thief/1.0", str(n)))
            # Each repeat is info; the one past the bound is followed by refresh_token_reused (warn).
            self.assertEqual((line["level"], line["log"]), ("info", "audit"))
        reused = eventually(lambda: self.srv.logs("refresh_token_reused"))
        self.assertEqual((reused[0]["reason"], reused[0]["level"]), ("too_many_repeats", "warn"))
        self.assertEqual(reused[0]["family_id"], fid)

    def test_forged_or_malformed_refresh_tokens_are_refused_without_harming_the_family(self):
        """Made-up secrets and generations are invalid (401), never 'reuse': a guess cannot end someone's login."""
        r0 = self.token_login()
        fid = r0["session"]["id"]
        secret = r0["refresh_token"].rsplit(".", 1)[1]
        bad = [
            fid + ".0." + "A" * 43,            # right family, wrong secret
            fid + ".5." + secret,              # generation from the future
            fid + ".00." + secret,             # leading zero
            fid + ".-1." + secret,
            fid + "." + secret,                # no generation
            "A" * 22 + ".0." + secret,         # unknown family
            r0["refresh_token"] + "x",
            r0["refresh_token"][:-1] + ("B" if r0["refresh_token"][-1] != "B" else "C"),
            "", "garbage", "x" * 5000,
        ]
        _, _, r1 = self.refresh(r0["refresh_token"])
        bad.append(fid + ".0." + "B" * 43)  # an "older" token that is not an ancestor
        for token in bad:
            status, _, body = self.refresh(token)
            self.assertEqual(status, 401, (token[:40], body))
            self.assertEqual(body["error"], "invalid_refresh_token", token[:40])
        self.assertEqual(self.refresh(r1["refresh_token"])[0], 200)
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="reuse_detected"}'), 0)

    def test_bad_refresh_requests_get_clear_errors(self):
        cases = [
            ({"refresh_token": 5}, 400, "invalid_field"),
            ({"refresh": "x"}, 400, "unknown_field"),
        ]
        for body, status, code in cases:
            s, _, b = self.srv.request("POST", "/auth/refresh", body)
            self.assertEqual((s, b["error"]), (status, code))
        s, _, b = self.srv.request("POST", "/auth/refresh")
        self.assertEqual((s, b["error"]), (401, "invalid_refresh_token"))
        self.assertIn("refresh_token", b["message"])
        s, _, b = self.srv.request("POST", "/auth/refresh", raw_body=b"{", headers={"Content-Type": "application/json"})
        self.assertEqual((s, b["error"]), (400, "malformed_json"))
        s, _, b = self.srv.request("GET", "/auth/refresh")
        self.assertEqual(s, 405)

    def test_cookie_refresh_rotates_cookies_and_needs_same_origin(self):
        """__Secure-rt refresh: same-origin only (CSRF); the answer rotates both cookies; a refused token clears them."""
        _, headers, _ = self.srv.login("alice", "correct horse", mode="token")
        rt = cookies(headers)["__Secure-rt"][0]
        for origin in [None, "https://evil.example"]:
            h = {"Cookie": "__Secure-rt=" + rt}
            if origin:
                h["Origin"] = origin
            s, _, b = self.srv.request("POST", "/auth/refresh", headers=h)
            self.assertEqual((s, b["error"]), (403, "csrf_rejected"))
        s, headers, body = self.srv.request("POST", "/auth/refresh", headers={"Cookie": "__Secure-rt=" + rt, "Origin": self.srv.public_url})
        self.assertEqual(s, 200, body)
        c = cookies(headers)
        self.assertNotEqual(c["__Secure-rt"][0], rt)
        self.assertNotIn("refresh_token", body)
        self.assertEqual(self.me(headers={"Cookie": "__Host-at=" + c["__Host-at"][0]})[0], 200)
        # Sec-Fetch-Site: same-origin also passes (browsers that omit Origin).
        s, _, _ = self.srv.request("POST", "/auth/refresh",
                                   headers={"Cookie": "__Secure-rt=" + c["__Secure-rt"][0], "Sec-Fetch-Site": "same-origin"})
        self.assertEqual(s, 200)
        s, headers, body = self.srv.request("POST", "/auth/refresh",
                                            headers={"Cookie": "__Secure-rt=" + "A" * 22 + ".0." + "B" * 43, "Origin": self.srv.public_url})
        self.assertEqual((s, body["error"]), (401, "invalid_refresh_token"))
        self.assertIn("__Secure-rt=; Path=/auth/refresh; Max-Age=0", headers["set-cookie"])
        self.assertIn("__Host-at=; Path=/; Max-Age=0", headers["set-cookie"])

    def test_disabled_user_cannot_refresh_and_tokens_fail_at_once(self):
        r0 = self.token_login()
        result = run_cli(["user", "disable", "alice"], self.srv.data_dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(eventually(lambda: self.me(r0["access_token"])[0] == 401))
        status, _, body = self.refresh(r0["refresh_token"])
        self.assertEqual((status, body["error"]), (403, "account_disabled"))
        run_cli(["user", "enable", "alice"], self.srv.data_dir)
        self.assertTrue(eventually(lambda: self.refresh(r0["refresh_token"])[0] == 200))


class ParallelRefreshTest(TokenTestCase):
    # Every loser of the race is a repeat: allow them all.
    env = {"CLOAKROOM_JWT_REFRESH_REPEATS": "11"}

    def test_parallel_refreshes_of_one_token_all_get_the_same_new_token(self):
        """Race-free: many concurrent uses of one refresh token rotate it once; every caller gets the same successor."""
        r0 = self.token_login()
        results = []
        lock = threading.Lock()
        start = threading.Barrier(12)

        def worker():
            conn = self.srv.connection()
            start.wait()
            status, _, body = self.srv.request("POST", "/auth/refresh", {"refresh_token": r0["refresh_token"]}, conn=conn)
            conn.close()
            with lock:
                results.append((status, body))

        threads = [threading.Thread(target=worker) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([s for s, _ in results], [200] * 12, results)
        self.assertEqual(len({b["refresh_token"] for _, b in results}), 1)
        self.assertTrue(results[0][1]["refresh_token"].startswith(r0["session"]["id"] + ".1."))
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="rotated"}'), 1)
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="repeated_in_grace"}'), 11)
        self.assertEqual(self.refresh(results[0][1]["refresh_token"])[0], 200)


class RefreshThrottleTest(TokenTestCase):
    env = {"CLOAKROOM_THROTTLE_PER_IP": "3"}

    def test_refused_refreshes_from_one_address_are_throttled(self):
        good = self.token_login()
        for _ in range(3):
            self.assertEqual(self.refresh("A" * 22 + ".0." + "B" * 43)[0], 401)
        status, headers, body = self.refresh(good["refresh_token"])
        self.assertEqual((status, body["error"]), (429, "too_many_attempts"))
        self.assertGreater(int(headers["retry-after"]), 0)
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="throttled"}'), 1)
        # Logins have their own buckets: a broken refresher does not lock its address out of signing in.
        self.assertEqual(self.srv.login("alice", "correct horse", mode="token", transport="body")[0], 200)


class ReuseWithoutGraceTest(TokenTestCase):
    env = {"CLOAKROOM_JWT_REFRESH_GRACE": "0s"}

    def test_the_previous_token_is_reuse_when_grace_is_off(self):
        r0 = self.token_login()
        _, _, r1 = self.refresh(r0["refresh_token"])
        time.sleep(0.01)
        status, _, body = self.refresh(r0["refresh_token"])
        self.assertEqual((status, body["error"]), (401, "refresh_token_reused"))
        self.assertEqual(self.me(r1["access_token"])[0], 401)


class RevocationTest(TokenTestCase):
    def test_logout_with_bearer_denies_the_token_and_ends_its_family(self):
        """Logout: the access token's jti is denied until exp, the refresh family is revoked; other logins live on."""
        one = self.token_login()
        other = self.token_login()
        status, headers, body = self.srv.request("POST", "/auth/logout", headers={"Authorization": "Bearer " + one["access_token"]})
        self.assertEqual((status, body["status"]), (200, "logged_out"))
        self.assertEqual(self.me(one["access_token"])[0], 401)
        self.assertEqual(self.me(one["access_token"])[2]["message"], "The access token has been revoked; log in again.")
        s, _, _ = self.srv.request("GET", "/auth/verify", headers={"Authorization": "Bearer " + one["access_token"]})
        self.assertEqual(s, 401)
        self.assertEqual(self.refresh(one["refresh_token"])[2]["error"], "invalid_refresh_token")
        self.assertTrue(self.ok(other["access_token"]))
        self.assertEqual(self.refresh(other["refresh_token"])[0], 200)
        self.assertEqual(self.srv.metric('cloakroom_token_revocations_total{what="access_token"}'), 1)
        self.assertEqual(self.srv.metric("cloakroom_denylist_entries"), 2)  # the jti and the family
        # No log line carries a whole token.
        for line in self.srv.log_lines:
            self.assertNotIn(one["access_token"], line)
            self.assertNotIn(one["refresh_token"].rsplit(".", 1)[1], line)

    def test_logout_with_the_access_cookie_needs_same_origin_and_clears_token_cookies(self):
        _, headers, _ = self.srv.login("alice", "correct horse", mode="token")
        at = cookies(headers)["__Host-at"][0]
        s, _, b = self.srv.request("POST", "/auth/logout", headers={"Cookie": "__Host-at=" + at})
        self.assertEqual((s, b["error"]), (403, "csrf_rejected"))
        s, headers, _ = self.srv.request("POST", "/auth/logout", headers={"Cookie": "__Host-at=" + at, "Origin": self.srv.public_url})
        self.assertEqual(s, 200)
        c = cookies(headers)
        self.assertEqual(set(c), {"__Host-at", "__Secure-rt"})
        self.assertIn("Max-Age=0", c["__Host-at"][1])
        self.assertIn("Path=/auth/refresh; Max-Age=0", c["__Secure-rt"][1])
        self.assertEqual(self.me(headers={"Cookie": "__Host-at=" + at})[0], 401)

    def test_logout_all_ends_sessions_families_and_every_access_token_across_modes(self):
        """logout-all from a token client ends the user's sessions, families and outstanding access tokens; not bob's."""
        _, sh, _ = self.srv.login("alice", "correct horse")  # session + cookie
        sid = re.match(r"__Host-sid=([^;]+)", sh["set-cookie"]).group(1)
        _, sbody = self.srv.login("alice", "correct horse", transport="body")[1:]
        token_a = self.token_login()
        token_b = self.token_login()
        _, ch, _ = self.srv.login("alice", "correct horse", mode="token")
        at_cookie = cookies(ch)["__Host-at"][0]
        bob = self.token_login("bob", "battery staple")
        status, headers, body = self.srv.request("POST", "/auth/logout-all", headers={"Authorization": "Bearer " + token_a["access_token"]})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["sessions_revoked"], body["refresh_families_revoked"]), (2, 3))
        self.assertEqual(self.me(headers={"Cookie": "__Host-sid=" + sid})[0], 401)
        self.assertEqual(self.me(headers={"X-Session-ID": sbody["session_token"]})[0], 401)
        self.assertEqual(self.me(token_a["access_token"])[0], 401)
        self.assertEqual(self.me(token_b["access_token"])[0], 401)
        self.assertEqual(self.me(headers={"Cookie": "__Host-at=" + at_cookie})[0], 401)
        self.assertEqual(self.refresh(token_b["refresh_token"])[2]["error"], "invalid_refresh_token")
        self.assertTrue(self.ok(bob["access_token"]))
        # A login right after is not caught by the epoch.
        fresh = self.token_login()
        self.assertTrue(self.ok(fresh["access_token"]))
        self.assertEqual(self.refresh(fresh["refresh_token"])[0], 200)

    def test_logout_all_from_a_session_also_ends_access_tokens(self):
        token = self.token_login()
        _, _, body = self.srv.login("alice", "correct horse", transport="body")
        status, _, _ = self.srv.request("POST", "/auth/logout-all", headers={"X-Session-ID": body["session_token"]})
        self.assertEqual(status, 200)
        self.assertEqual(self.me(token["access_token"])[0], 401)
        self.assertEqual(self.refresh(token["refresh_token"])[0], 401)

    def test_sessions_list_shows_families_beside_sessions_and_delete_ends_either(self):
        self.srv.login("alice", "correct horse", transport="body")
        token = self.token_login(remember=True)
        other = self.token_login()
        status, _, listed = self.srv.request("GET", "/auth/sessions", headers={"Authorization": "Bearer " + token["access_token"]})
        self.assertEqual(status, 200)
        self.assertEqual([e["mode"] for e in listed], ["session", "token", "token"])
        common = {"id", "mode", "created_at", "last_seen_at", "expires_at", "ip", "user_agent", "current", "remember"}
        for e in listed:  # a session also says its idle bound; a family slides on jwt.refresh_ttl
            self.assertEqual(set(e), common | ({"idle_timeout_seconds"} if e["mode"] == "session" else set()))
        self.assertEqual([e["remember"] for e in listed], [False, True, False])
        current = [e["id"] for e in listed if e["current"]]
        self.assertEqual(current, [token["session"]["id"]])
        # DELETE the other family: its access token fails at once, its refresh token is dead.
        status, _, _ = self.srv.request("DELETE", "/auth/sessions/" + other["session"]["id"],
                                        headers={"Authorization": "Bearer " + token["access_token"]})
        self.assertEqual(status, 200)
        self.assertEqual(self.me(other["access_token"])[0], 401)
        self.assertEqual(self.refresh(other["refresh_token"])[0], 401)
        # DELETE the session from the token client.
        session_id = listed[0]["id"]
        status, _, _ = self.srv.request("DELETE", "/auth/sessions/" + session_id, headers={"Authorization": "Bearer " + token["access_token"]})
        self.assertEqual(status, 200)
        _, _, listed = self.srv.request("GET", "/auth/sessions", headers={"Authorization": "Bearer " + token["access_token"]})
        self.assertEqual([e["id"] for e in listed], [token["session"]["id"]])
        # Someone else's family: 404, and it lives on.
        bob = self.token_login("bob", "battery staple")
        status, _, body = self.srv.request("DELETE", "/auth/sessions/" + bob["session"]["id"],
                                           headers={"Authorization": "Bearer " + token["access_token"]})
        self.assertEqual((status, body["error"]), (404, "not_found"))
        self.assertTrue(self.ok(bob["access_token"]))

    def test_cli_lists_and_revokes_families(self):
        token = self.token_login()
        result = run_cli(["session", "list", "--user", "alice"], self.srv.data_dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, re.escape(token["session"]["id"]) + r"\s+token\s+alice")
        result = run_cli(["session", "revoke", token["session"]["id"]], self.srv.data_dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("refresh token family", result.stdout)
        self.assertTrue(eventually(lambda: self.me(token["access_token"])[0] == 401))
        self.assertEqual(self.refresh(token["refresh_token"])[0], 401)
        result = run_cli(["session", "revoke", token["session"]["id"]], self.srv.data_dir)
        self.assertEqual(result.returncode, 1)
        # revoke --user ends every access token through the epoch.
        again = self.token_login()
        result = run_cli(["session", "revoke", "--user", "alice"], self.srv.data_dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(eventually(lambda: self.me(again["access_token"])[0] == 401))
        self.assertEqual(self.refresh(again["refresh_token"])[0], 401)
        self.assertTrue(self.ok(self.token_login()["access_token"]))

    def test_cli_token_verify_knows_the_denylist(self):
        token = self.token_login()
        result = run_cli(["token", "verify", token["access_token"]], self.srv.data_dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.srv.request("POST", "/auth/logout", headers={"Authorization": "Bearer " + token["access_token"]})
        result = run_cli(["token", "verify", token["access_token"]], self.srv.data_dir)
        self.assertEqual(result.returncode, 1)
        self.assertIn("revoked", result.stderr)

    def test_password_change_ends_tokens(self):
        token = self.token_login()
        result = run_cli(["user", "passwd", "alice", "--password-stdin"], self.srv.data_dir, stdin="a new password\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(eventually(lambda: self.me(token["access_token"])[0] == 401))
        self.assertEqual(self.refresh(token["refresh_token"])[0], 401)

    def test_metrics_count_issues_refreshes_and_revocations(self):
        t = self.token_login()
        self.refresh(t["refresh_token"])
        self.srv.request("POST", "/auth/logout-all", headers={"Authorization": "Bearer " + t["access_token"]})
        self.assertEqual(self.srv.metric("cloakroom_access_tokens_issued_total"), 2)
        self.assertEqual(self.srv.metric('cloakroom_refreshes_total{outcome="rotated"}'), 1)
        self.assertEqual(self.srv.metric('cloakroom_token_revocations_total{what="user_epoch"}'), 1)
        self.assertEqual(self.srv.metric('cloakroom_token_revocations_total{what="refresh_family"}'), 1)


class DurabilityTest(TokenTestCase):
    def test_families_denylist_and_epochs_survive_kill_9(self):
        """Everything a token-mode answer promised is on disk before the answer: kill -9 changes nothing."""
        a0 = self.token_login()
        _, _, a1 = self.refresh(a0["refresh_token"])           # family A at generation 1
        b = self.token_login()
        self.srv.request("POST", "/auth/logout", headers={"Authorization": "Bearer " + b["access_token"]})  # denylist
        bob = self.token_login("bob", "battery staple")
        self.srv.request("POST", "/auth/logout-all", headers={"Authorization": "Bearer " + bob["access_token"]})  # epoch
        self.srv.kill9()
        self.srv.start()
        self.assertEqual(self.me(b["access_token"])[0], 401)
        self.assertEqual(self.me(bob["access_token"])[0], 401)
        self.assertTrue(self.ok(a1["access_token"]))
        self.assertTrue(self.ok(self.token_login("bob", "battery staple")["access_token"]))
        status, _, a2 = self.refresh(a1["refresh_token"])
        self.assertEqual(status, 200, a2)
        self.assertTrue(a2["refresh_token"].startswith(a0["session"]["id"] + ".2."))
        self.assertEqual(self.refresh(a0["refresh_token"])[2]["error"], "refresh_token_reused")
        self.assertEqual(self.me(a2["access_token"])[0], 401)

    def test_no_refresh_secret_is_stored(self):
        t = self.token_login()
        _, _, t2 = self.refresh(t["refresh_token"])
        self.srv.stop()
        raw = stored_bytes(self.srv.data_dir)
        self.assertIn(t["session"]["id"].encode(), raw)  # the store's copy was read: the family id is in it
        for token in [t["refresh_token"], t2["refresh_token"]]:
            secret = token.rsplit(".", 1)[1]
            self.assertNotIn(secret.encode(), raw)
            self.assertNotIn(base64.urlsafe_b64decode(secret + "="), raw)
        self.assertEqual(refresh_generations(self.srv.data_dir), [1])


if __name__ == "__main__":
    unittest.main()
