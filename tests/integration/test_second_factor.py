"""Assurance in every credential: amr and auth_time on /auth/me, and [[access.rule]] second_factor through
/auth/verify for sessions and bearer tokens (a password-only login is refused; a multi-factor token passes)."""
import unittest

from cloakroom_server import CloakroomServer, eventually, run_cli

CONFIG = """
public_url = "https://auth.example.com"

[forward_auth]
allowed_redirect_domains = ["app.example.com"]

[[access.rule]]
prefix = "/admin"
second_factor = true

[[access.rule]]
prefix = "/ops"
roles = ["ops"]

[[access.rule]]
prefix = "/"
"""


class SecondFactorTest(unittest.TestCase):
    login_redirect = False

    def setUp(self):
        config = CONFIG.replace("[forward_auth]", "[forward_auth]\nlogin_redirect = %s"
                                % ("true" if self.login_redirect else "false"))
        self.srv = CloakroomServer(config_text=config).start()
        self.config = self.srv.args[self.srv.args.index("--config") + 1]  # the CLI signs as the server does
        self.assertEqual(self.srv.register("alice", "correct horse")[0], 201)

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def session(self, mode=None):
        extra = {"mode": mode, "transport": "body"} if mode else {"transport": "body"}
        status, _, body = self.srv.login("alice", "correct horse", **extra)
        self.assertEqual(status, 200, body)
        return body

    def verify(self, headers, uri, request_id=None, accept=None):
        h = dict(headers, **{"X-Forwarded-Uri": uri, "X-Forwarded-Method": "GET"})
        if request_id:
            h["X-Request-ID"] = request_id
        if accept:
            h["Accept"] = accept
        return self.srv.request("GET", "/auth/verify", headers=h)

    def mint(self, *extra):
        r = run_cli(["token", "mint", "--config", self.config, "--sub", "alice"] + list(extra), self.srv.data_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()


class RuleTest(SecondFactorTest):
    def test_password_session_is_refused_with_second_factor_required_and_logged(self):
        """A password-only session passes rules without second_factor and gets 403 second_factor_required
        on one with it; the access log names the reason."""
        sid = {"X-Session-ID": self.session()["session_token"]}
        self.assertEqual(self.verify(sid, "/app")[0], 200)
        status, _, body = self.verify(sid, "/admin/users", request_id="sf-1")
        self.assertEqual((status, body["error"]), (403, "second_factor_required"))
        access = eventually(lambda: [l for l in self.srv.logs("request") if l.get("request_id") == "sf-1"])
        self.assertEqual(len(access), 1, self.srv.log_lines)
        self.assertEqual((access[0]["status"], access[0]["reason"]), (403, "second_factor_required"))

    def test_password_access_token_is_refused(self):
        """A token-mode login's access token carries amr ["pwd"]: refused the same way."""
        bearer = {"Authorization": "Bearer " + self.session("token")["access_token"]}
        self.assertEqual(self.verify(bearer, "/app")[0], 200)
        status, _, body = self.verify(bearer, "/admin")
        self.assertEqual((status, body["error"]), (403, "second_factor_required"))

    def test_multi_factor_token_passes_and_one_factor_or_none_does_not(self):
        """A bearer minted with --amr pwd,otp passes; --amr pwd, a claimed factor that is not two kinds
        (otp,hwk) and a token without amr do not."""
        self.assertEqual(self.verify({"Authorization": "Bearer " + self.mint("--amr", "pwd,otp")}, "/admin")[0], 200)
        self.assertEqual(self.verify({"Authorization": "Bearer " + self.mint("--amr", "hwk,user")}, "/admin")[0], 200)
        for extra in (["--amr", "pwd"], ["--amr", "otp,hwk"], []):
            status, _, body = self.verify({"Authorization": "Bearer " + self.mint(*extra)}, "/admin")
            self.assertEqual((status, body["error"]), (403, "second_factor_required"), extra)

    def test_mint_refuses_unknown_and_derived_names(self):
        """--amr takes only the recorded methods: mfa is derived, and a typo must not pass."""
        for bad in ("mfa", "pwd,sms", "", "pwd,,otp"):
            r = run_cli(["token", "mint", "--config", self.config, "--sub", "alice", "--amr", bad], self.srv.data_dir)
            self.assertEqual(r.returncode, 2, (bad, r.stderr))
            self.assertIn("--amr", r.stderr)

    def test_browser_without_login_redirect_gets_the_403_naming_the_step_up_page(self):
        """nginx relays only 401/403: with login_redirect off a browser gets the 403, and X-Auth-Login-URL names
        /login?rd=<original>&step_up=1 for nginx to send it to. An API client's 403 names nothing, and neither
        does a rule_denied 403 (no sign-in helps there)."""
        sid = {"X-Session-ID": self.session()["session_token"],
               "X-Original-URL": "https://app.example.com/admin/users?a=1&b=%2F"}
        status, headers, body = self.verify(sid, "/admin/users?a=1&b=%2F", accept="text/html,application/xhtml+xml")
        self.assertEqual((status, body["error"]), (403, "second_factor_required"))
        self.assertEqual(headers["x-auth-login-url"], "https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com"
                                                      "%2Fadmin%2Fusers%3Fa%3D1%26b%3D%252F&step_up=1")
        status, headers, body = self.verify(sid, "/admin/users?a=1&b=%2F", accept="application/json")
        self.assertEqual((status, body["error"]), (403, "second_factor_required"))
        self.assertNotIn("x-auth-login-url", headers)
        sid["X-Original-URL"] = "https://app.example.com/ops/x"
        status, headers, body = self.verify(sid, "/ops/x", accept="text/html")
        self.assertEqual((status, body["error"]), (403, "access_denied"))
        self.assertNotIn("x-auth-login-url", headers)


class MeTest(SecondFactorTest):
    def test_me_reports_amr_and_auth_time_for_sessions_and_tokens(self):
        """/auth/me shows amr ["pwd"] and the login's time for a session and a token-mode login; a refresh
        keeps both; a token minted with --amr shows mfa."""
        sid = {"X-Session-ID": self.session()["session_token"]}
        status, _, me = self.srv.request("GET", "/auth/me", headers=sid)
        self.assertEqual(status, 200)
        self.assertEqual(me["auth"]["amr"], ["pwd"])
        auth_time = me["auth"]["auth_time"]
        self.assertRegex(auth_time, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        tokens = self.session("token")
        status, _, me = self.srv.request("GET", "/auth/me", headers={"Authorization": "Bearer " + tokens["access_token"]})
        self.assertEqual((status, me["auth"]["amr"]), (200, ["pwd"]))
        first = me["auth"]["auth_time"]
        status, _, refreshed = self.srv.request("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        self.assertEqual(status, 200, refreshed)
        status, _, me = self.srv.request("GET", "/auth/me",
                                         headers={"Authorization": "Bearer " + refreshed["access_token"]})
        self.assertEqual((status, me["auth"]["amr"], me["auth"]["auth_time"]), (200, ["pwd"], first))
        status, _, me = self.srv.request("GET", "/auth/me",
                                         headers={"Authorization": "Bearer " + self.mint("--amr", "pwd,otp")})
        self.assertEqual((status, me["auth"]["amr"]), (200, ["pwd", "otp", "mfa"]))
        status, _, me = self.srv.request("GET", "/auth/me", headers={"Authorization": "Bearer " + self.mint()})
        self.assertEqual((status, me["auth"]["amr"]), (200, []))
        self.assertNotIn("auth_time", me["auth"])


class StepUpRedirectTest(SecondFactorTest):
    login_redirect = True

    def test_browser_is_sent_to_login_with_step_up_and_api_clients_get_403(self):
        """With login_redirect a browser on a second_factor rule gets 302 to /login?rd=<original>&step_up=1,
        logged with the reason; an API client still gets the 403."""
        sid = {"X-Session-ID": self.session()["session_token"],
               "X-Original-URL": "https://app.example.com/admin/users"}
        status, headers, _ = self.verify(sid, "/admin/users", request_id="sf-302", accept="text/html")
        self.assertEqual(status, 302)
        self.assertEqual(headers["location"], "https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com"
                                              "%2Fadmin%2Fusers&step_up=1")
        access = eventually(lambda: [l for l in self.srv.logs("request") if l.get("request_id") == "sf-302"])
        self.assertEqual((access[0]["status"], access[0]["reason"]), (302, "second_factor_required"))
        status, _, body = self.verify(sid, "/admin/users", accept="application/json")
        self.assertEqual((status, body["error"]), (403, "second_factor_required"))
        self.assertEqual(self.verify(sid, "/app", accept="text/html")[0], 200)

    def test_login_page_with_step_up_stays_for_a_one_factor_sign_in(self):
        """/login?step_up=1 does not send a password-only session straight back (that would loop with the
        rule); without step_up a signed-in visitor still goes straight on."""
        sid = {"X-Session-ID": self.session()["session_token"]}
        status, _, _ = self.srv.request("GET", "/login?step_up=1", headers=sid)
        self.assertEqual(status, 200)
        self.assertIn(self.srv.request("GET", "/login", headers=sid)[0], (302, 303))


if __name__ == "__main__":
    unittest.main()
