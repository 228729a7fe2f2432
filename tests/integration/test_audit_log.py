"""The audit log (docs/operations.md#audit-log): each security event as one JSON line with its exact fields,
from the API and the CLI, to log.audit's file; never a password, token, cookie or hash."""
import json
import os
import re
import stat
import unittest

from cloakroom_server import CloakroomServer, eventually, run_cli

UA = "audit-test/1"
COMMON_API = {"ts", "log", "level", "event", "outcome", "actor", "ip", "user_agent", "request_id"}
COMMON_CLI = {"ts", "log", "level", "event", "outcome", "actor"}
SECRETS = ["correct horse", "battery staple", "wrong guess", "new password 1"]


class AuditLogTest(unittest.TestCase):

    def setUp(self):
        self.srv = CloakroomServer(env={"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "2", "CLOAKROOM_JWT_REFRESH_GRACE": "0s"})
        self.audit_path = os.path.join(self.srv._tmp.name, "audit.log")
        self.env = {"CLOAKROOM_LOG_AUDIT": self.audit_path, "CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "2",
                    "CLOAKROOM_JWT_REFRESH_GRACE": "0s"}
        self.srv.env.update(self.env)
        self.srv.start()
        self.n = 0
        self.seen = []  # every secret value the test handled, checked against every line at the end
        for name, pw in (("alice", "correct horse"), ("bob", "battery staple")):
            status, _, body = self.call("POST", "/auth/register", {"username": name, "password": pw})
            self.assertEqual(status, 201, body)
            setattr(self, name, body["user"]["id"])

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def call(self, method, path, body=None, headers=None):
        """A request with our User-Agent and a fresh X-Request-ID (self.rid)."""
        self.n += 1
        self.rid = "audit-%d" % self.n
        h = {"User-Agent": UA, "X-Request-ID": self.rid}
        h.update(headers or {})
        return self.srv.request(method, path, body, headers=h)

    def lines(self):
        if not os.path.exists(self.audit_path):
            return []
        with open(self.audit_path) as f:
            return [json.loads(line) for line in f]

    def event(self, name, **match):
        """The one audit line of event `name` whose fields include `match` (waits: lines follow responses)."""
        found = eventually(lambda: [l for l in self.lines()
                                    if l["event"] == name and all(l.get(k) == v for k, v in match.items())])
        self.assertEqual(len(found), 1, (name, match, self.lines()))
        return found[0]

    def assert_api(self, line, own, user_id=None, level="info", outcome="success"):
        """An API event's exact field set and common values; `own` its own fields and their values."""
        expected = set(COMMON_API) | set(own) | ({"user_id"} if user_id else set())
        self.assertEqual(set(line), expected, line)
        self.assertEqual((line["log"], line["level"], line["outcome"], line["actor"], line["ip"], line["user_agent"]),
                         ("audit", level, outcome, "api", "127.0.0.1", UA))
        self.assertRegex(line["request_id"], r"^audit-\d+$")
        if user_id:
            self.assertEqual(line["user_id"], user_id)
        for k, v in own.items():
            if v is not None:
                self.assertEqual(line[k], v, line)

    def assert_cli(self, line, own, user_id=None):
        expected = set(COMMON_CLI) | set(own) | ({"user_id"} if user_id else set())
        self.assertEqual(set(line), expected, line)
        self.assertEqual((line["log"], line["actor"]), ("audit", "cli"))
        if user_id:
            self.assertEqual(line["user_id"], user_id)
        for k, v in own.items():
            self.assertEqual(line[k], v, line)

    def test_api_events_carry_their_exact_fields_and_no_credential(self):
        """Login ok/failed/throttled, CSRF refused, session revoke, logout, logout-all, refresh reuse: one line each."""
        # login_succeeded (cookie session)
        status, headers, body = self.call("POST", "/auth/login", {"username": "alice", "password": "correct horse"})
        self.assertEqual(status, 200, body)
        cookie = re.match(r"__Host-sid=([^;]*)", headers["set-cookie"]).group(1)
        self.seen.append(cookie)
        sid = body["session"]["id"]
        line = self.event("login_succeeded", credential_id=sid)
        self.assert_api(line, {"mode": "session", "credential_id": sid}, self.alice)
        self.assertEqual(line["request_id"], self.rid)

        # login_failed: a wrong password (user known), an unknown name (no user_id)
        self.assertEqual(self.call("POST", "/auth/login", {"username": "alice", "password": "wrong guess"})[0], 401)
        self.assert_api(self.event("login_failed", reason="wrong_password"),
                        {"username": "alice", "reason": "wrong_password"}, self.alice, "warn", "failure")
        for _ in range(2):
            self.assertEqual(self.call("POST", "/auth/login", {"username": "carol", "password": "wrong guess"})[0], 401)
        # An unknown name is left out: it is often a password typed into the wrong field.
        unknown = lambda: [l for l in self.lines() if l.get("reason") == "unknown_user"]
        failed = eventually(lambda: len(unknown()) == 2 and unknown())
        for line in failed:
            self.assert_api(line, {"reason": "unknown_user"}, None, "warn", "failure")
        # login_throttled: the third try of (carol, this address) with throttle.per_account_ip = 2
        status, _, _ = self.call("POST", "/auth/login", {"username": "carol", "password": "wrong guess"})
        self.assertEqual(status, 429)
        line = self.event("login_throttled", username="carol")
        self.assert_api(line, {"username": "carol", "retry_after": None}, None, "warn", "refused")
        self.assertGreater(int(line["retry_after"]), 0)

        # csrf_refused: a cookie-authenticated logout from another origin
        status, _, _ = self.call("POST", "/auth/logout",
                                 headers={"Cookie": "__Host-sid=" + cookie, "Origin": "https://evil.example"})
        self.assertEqual(status, 403)
        self.assert_api(self.event("csrf_refused"),
                        {"reason": "origin_foreign", "origin": "https://evil.example", "sec_fetch_site": "",
                         "expected": self.srv.public_url}, None, "warn", "refused")

        # session_revoked: DELETE /auth/sessions/{id} of another of alice's sessions
        status, _, second = self.call("POST", "/auth/login",
                                      {"username": "alice", "password": "correct horse", "transport": "body"})
        token = second["session_token"]
        self.seen.append(token)
        status, _, _ = self.call("DELETE", "/auth/sessions/" + second["session"]["id"], headers={"X-Session-ID": token})
        self.assertEqual(status, 200)
        self.assert_api(self.event("session_revoked", session_id=second["session"]["id"]),
                        {"session_id": second["session"]["id"], "reason": "user_request"}, self.alice)

        # logout, then logout-all (of bob)
        self.assertEqual(self.call("POST", "/auth/logout",
                                   headers={"Cookie": "__Host-sid=" + cookie, "Origin": self.srv.public_url})[0], 200)
        self.assert_api(self.event("logout"), {"mode": "session", "credential_id": sid}, self.alice)
        _, _, b = self.call("POST", "/auth/login", {"username": "bob", "password": "battery staple", "transport": "body"})
        self.seen.append(b["session_token"])
        self.assertEqual(self.call("POST", "/auth/logout-all", headers={"X-Session-ID": b["session_token"]})[0], 200)
        self.assert_api(self.event("logout_all"), {"sessions": "1", "families": "0"}, self.bob)

        # refresh_token_reused: a spent refresh token (jwt.refresh_grace = 0s)
        _, _, t0 = self.call("POST", "/auth/login", {"username": "alice", "password": "correct horse",
                                                     "mode": "token", "transport": "body"})
        _, _, t1 = self.call("POST", "/auth/refresh", {"refresh_token": t0["refresh_token"]})
        self.seen += [t0["refresh_token"], t0["access_token"], t1["refresh_token"], t1["access_token"]]
        status, _, body = self.call("POST", "/auth/refresh", {"refresh_token": t0["refresh_token"]})
        self.assertEqual((status, body["error"]), (401, "refresh_token_reused"))
        fid = t0["session"]["id"]
        self.assert_api(self.event("refresh_token_reused"), {"family_id": fid, "reason": "spent_token"},
                        self.alice, "warn", "refused")
        self.assert_api(self.event("login_succeeded", credential_id=fid), {"mode": "token", "credential_id": fid},
                        self.alice)

        # A successful /auth/verify writes none.
        before = len(self.lines())
        _, _, s = self.call("POST", "/auth/login", {"username": "bob", "password": "battery staple", "transport": "body"})
        self.seen.append(s["session_token"])
        self.assertEqual(self.call("GET", "/auth/verify", headers={"X-Session-ID": s["session_token"]})[0], 200)
        self.assertEqual([l["event"] for l in eventually(lambda: self.lines()[before:])], ["login_succeeded"])
        self.assert_no_secrets()

    def test_cli_events_say_cli_and_carry_no_address(self):
        """user disable/enable/roles/passwd, session revoke --user and key rotate/retire from the CLI: actor cli."""
        d = self.srv.data_dir
        for args, event, own in ((["user", "disable", "bob"], "user_disabled", {"username": "bob"}),
                                 (["user", "enable", "bob"], "user_enabled", {"username": "bob"}),
                                 (["user", "roles", "bob", "--set", "admin,ops"], "user_roles_changed",
                                  {"username": "bob", "roles": "admin,ops"})):
            r = run_cli(args, d, env=self.env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assert_cli(self.event(event), own, self.bob)
        r = run_cli(["user", "passwd", "bob", "--password-stdin"], d, stdin="new password 1\n", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_cli(self.event("user_password_changed"), {"username": "bob", "via": "cli"}, self.bob)
        self.assert_cli(self.event("logout_all"), {"sessions": "0", "families": "0"}, self.bob)
        r = run_cli(["user", "add", "dave", "--password-stdin"], d, stdin="correct horse\n", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        line = self.event("user_created", actor="cli")
        self.assert_cli(line, {"username": "dave"}, line["user_id"])
        # An API-created user says api.
        self.assert_api(self.event("user_created", username="alice"), {"username": "alice"}, self.alice)

        _, _, s = self.call("POST", "/auth/login", {"username": "alice", "password": "correct horse", "transport": "body"})
        self.seen.append(s["session_token"])
        r = run_cli(["session", "revoke", s["session"]["id"]], d, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_cli(self.event("session_revoked", actor="cli"),
                        {"session_id": s["session"]["id"], "reason": "operator"}, self.alice)

        r = run_cli(["key", "list"], d, env=self.env)  # the keys file, or the key set in PostgreSQL
        self.assertEqual(r.returncode, 0, r.stderr)
        old = r.stdout.splitlines()[1].split()[0]  # under the KID ALG STATUS header: the one key so far
        r = run_cli(["key", "rotate"], d, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        new = self.event("key_rotated")["kid"]
        self.assertNotEqual(new, old)
        self.assert_cli(self.event("key_rotated"), {"kid": new})
        r = run_cli(["key", "retire", old], d, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_cli(self.event("key_retired"), {"kid": old})

        self.assertEqual(stat.S_IMODE(os.stat(self.audit_path).st_mode), 0o600)
        self.assert_no_secrets()

    def test_password_events_change_refused_and_reset_link(self):
        """POST /auth/password (wrong, then right), user reset-link and the link's use: one line each, no secret."""
        _, _, s = self.call("POST", "/auth/login", {"username": "alice", "password": "correct horse", "transport": "body"})
        self.seen.append(s["session_token"])
        h = {"X-Session-ID": s["session_token"]}
        status, _, _ = self.call("POST", "/auth/password", {"current_password": "wrong guess",
                                                            "new_password": "new password 1"}, headers=h)
        self.assertEqual(status, 401)
        self.assert_api(self.event("password_change_refused"), {"username": "alice"}, self.alice, "warn", "failure")
        status, _, body = self.call("POST", "/auth/password", {"current_password": "correct horse",
                                                               "new_password": "new password 1"}, headers=h)
        self.assertEqual(status, 200, body)
        self.assert_api(self.event("user_password_changed", via="password_change"),
                        {"username": "alice", "via": "password_change"}, self.alice)
        self.assert_api(self.event("logout_all", actor="api"), {"sessions": "0", "families": "0"}, self.alice)

        r = run_cli(["user", "reset-link", "bob"], self.srv.data_dir, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        url = r.stdout.strip()
        token = url.split("/reset?token=", 1)[1]
        self.seen += [url, token]
        line = self.event("password_reset_link_created")
        self.assert_cli(line, {"username": "bob", "expires_at": line["expires_at"]}, self.bob)
        self.assertRegex(line["expires_at"], r"^\d{4}-\d\d-\d\dT")
        status, _, body = self.call("POST", "/auth/password/reset", {"token": token, "new_password": "battery staple 2"},
                                    headers={"Origin": self.srv.public_url})
        self.assertEqual(status, 200, body)
        self.assert_api(self.event("user_password_changed", via="reset_link"),
                        {"username": "bob", "via": "reset_link"}, self.bob)
        self.assert_no_secrets()

    def assert_no_secrets(self):
        with open(self.audit_path) as f:
            text = f.read()
        for secret in SECRETS + self.seen:
            self.assertNotIn(secret, text)
        # Nor the secret half of any token, nor a hash.
        for value in self.seen:
            self.assertNotIn(value.rsplit(".", 1)[-1], text)
        self.assertNotIn("$argon2", text)
        # The file holds audit lines only; stderr got none of them.
        self.assertTrue(all(l["log"] == "audit" for l in self.lines()))
        self.assertEqual([l for l in self.srv.logs() if l.get("log") == "audit"], [])


class AuditLogLevelTest(unittest.TestCase):
    def test_default_goes_to_stderr_tagged_and_log_level_filters(self):
        """log.audit unset: audit lines go to stderr tagged "log":"audit"; log.level never drops them.
        (Through the CLI: a server at warn drops its own "listening" line, which the test harness waits for.)"""
        import tempfile
        with tempfile.TemporaryDirectory(prefix="cloakroom-it-") as tmp:
            d = os.path.join(tmp, "data")
            r = run_cli(["user", "add", "alice", "--password-stdin"], d, stdin="correct horse\n")
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = [json.loads(l) for l in r.stderr.splitlines() if l.startswith("{")]
            created = [l for l in lines if l.get("event") == "user_created"]
            self.assertEqual([(l["log"], l["actor"], l["username"]) for l in created], [("audit", "cli", "alice")])
            r = run_cli(["user", "disable", "alice"], d, env={"CLOAKROOM_LOG_LEVEL": "WARN"})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("user_disabled", r.stderr)  # quietening the operational log keeps the record
            r = run_cli(["user", "enable", "alice"], d, env={"CLOAKROOM_LOG_LEVEL": "loud"})
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("log.level", r.stderr)


if __name__ == "__main__":
    unittest.main()
