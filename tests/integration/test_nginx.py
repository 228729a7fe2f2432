"""docs/deploy-nginx.md, for real: Debian's nginx with auth_request in front of a tiny upstream,
cloakroom deciding 401 / 403 / 200 and passing identity headers the client cannot spoof, and
judging rules only on what nginx says about the request, never on headers the client wrote."""
import http.client
import json
import os
import re
import unittest

from browser import run_browser_script
from cloakroom_server import CloakroomServer, eventually
from forward_auth_checks import ForwardAuthChecks
from ports import free_port
from proxies import Nginx

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "deploy-nginx.md")


WRITE_RULE = '[[access.rule]]\nprefix = "/api"\nmethods = ["POST", "PUT", "PATCH", "DELETE"]\nroles = ["writer"]\n'


class NginxForwardAuthTest(ForwardAuthChecks, unittest.TestCase):
    path_trick_statuses = (400, 403, 404)

    @classmethod
    def setUpClass(cls):
        with open(DOC) as f:
            doc = f.read()
        cls.port = free_port()  # nginx's, so cloakroom's public_url can name it
        cls.origin = f"http://127.0.0.1:{cls.port}"
        cls.start_cloakroom(re.search(r"```toml\n(.*?)```", doc, re.S).group(1).replace("https://app.example.com",
                                                                                       cls.origin))
        cls.sign_in(cls.cookie)
        block = re.search(r"```nginx\n(.*?)```", doc, re.S).group(1)
        cls.proxy = cls.nginx = Nginx(block.replace("listen 80;", "listen 127.0.0.1:{port};")
                                           .replace("127.0.0.1:8080", f"127.0.0.1:{cls.relay.port}")
                                           .replace("127.0.0.1:3000", f"127.0.0.1:{cls.upstream.port}"),
                                      worker_connections=256, port=cls.port)

    @classmethod
    def cookie(cls, user, password):
        _, headers, _ = cls.srv.login(user, password)
        return re.match(r"(__Host-sid=[^;]+)", headers["set-cookie"]).group(1)

    def test_no_credential_is_401(self):
        """Without a session the proxy answers 401 and the upstream is never reached."""
        self.assertEqual(self.get("/app")[0], 401)

    def test_a_browser_goes_to_the_login_page_and_back(self):
        """An HTML request without a session: nginx redirects to the login page cloakroom named,
        the original URL percent-encoded whole as rd (a raw $request_uri would be cut at its first
        '&'); signed in, the same URL gets through. An API client gets the plain 401."""
        target = "/app/report?month=2026-11&q=a%20b%2Fc&next=%2Fx"
        self.assert_login_redirect(target)
        status, body = self.get(target, self.bob, {"Accept": "text/html"})
        self.assertEqual((status, json.loads(body)["path"]), (200, target))
        self.assertEqual(self.get(target, headers={"Accept": "application/json"})[0], 401)

    def test_signed_in_user_reaches_upstream_with_identity(self):
        """A signed-in user passes; the upstream receives X-Auth-User/-User-Id/-Roles from cloakroom."""
        status, body = self.get("/app/page?x=1", self.bob)
        self.assertEqual(status, 200, body)
        seen = json.loads(body)
        self.assertEqual(seen["path"], "/app/page?x=1")
        self.assertEqual(seen["headers"]["x-auth-user"], "bob")
        self.assertTrue(seen["headers"]["x-auth-user-id"])
        self.assertNotIn("x-auth-roles", seen["headers"])  # bob has no roles: nginx sends no empty header

    def test_identity_headers_cannot_be_spoofed(self):
        """Client-sent X-Auth-* headers are replaced by cloakroom's answer."""
        status, body = self.get("/app", self.bob, {"X-Auth-User": "alice", "X-Auth-Roles": "admin"})
        self.assertEqual(status, 200)
        seen = json.loads(body)["headers"]
        self.assertEqual(seen["x-auth-user"], "bob")
        self.assertNotIn("x-auth-roles", seen)

    def test_pages_through_the_proxy(self):
        """/login, /account, /reset and their assets are served on the app's origin; /account needs a session."""
        status, body = self.get("/login")
        self.assertEqual(status, 200)
        self.assertIn("<title>Sign in", body)
        status, body = self.get("/reset")
        self.assertEqual(status, 200)
        self.assertIn("<title>Set a new password", body)
        for asset in ["/auth/assets/style.css", "/auth/assets/login.js", "/auth/assets/account.js",
                      "/auth/assets/reset.js"]:
            self.assertEqual(self.get(asset)[0], 200, asset)
        self.assertEqual(self.get("/account")[0], 302)
        status, body = self.get("/account", cookie=self.alice)
        self.assertEqual(status, 200)
        self.assertIn("<title>Your account", body)

    def test_login_through_the_proxy(self):
        """cloakroom's own /auth/ endpoints work on the app's origin."""
        conn = http.client.HTTPConnection("127.0.0.1", self.nginx.port, timeout=10)
        conn.request("POST", "/auth/login", body=json.dumps({"username": "bob", "password": "battery staple"}),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(resp.status, 200)
        self.assertIn("__Host-sid=", resp.getheader("Set-Cookie"))
        conn.close()

    def test_fragment_in_the_request_target_is_refused(self):
        """A raw '#' (which browsers never send) cannot make the check see a different path."""
        for path in ["/public#/../admin/users", "/api/x#"]:
            status, _ = self.get(path, self.bob, method="POST")
            self.assertIn(status, (400, 403), path)

    def test_a_person_steps_up_in_chromium(self):
        """The /billing rule (second_factor = true) in Chromium through this nginx: signed in with the password
        on /login, TOTP turned on at /account, the person opens /billing/invoices?a=1&b=2, lands on /login with
        step_up=1 and the notice, types the password and a computed code, and is back on that exact URL, where
        the upstream sees X-Auth-User; no CSP violation (tests/browser/step_up_nginx.mjs)."""
        user, password = "erin", "erin's passphrase"  # her own user: dave's TOTP belongs to the HTTP-level check
        self.assertEqual(self.srv.register(user, password)[0], 201)
        # Why 240 s: as test_totp allows, Chromium and a dozen page loads on a busy shared machine.
        result = run_browser_script(self, "step_up_nginx.mjs", timeout=240, BASE_URL=self.origin,
                                    STEP_UP_USER=user, STEP_UP_PASSWORD=password)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("step-up through nginx passed", result.stdout)

    def test_subrequest_carries_only_nginx_values(self):
        """The auth subrequest has each header cloakroom reads exactly once, with nginx's value: the
        client's copies never reach cloakroom, so neither the rules nor a login `rd` can use them."""
        origin = f"127.0.0.1:{self.nginx.port}"
        self.assert_auth_request_headers("GET", {
            "x-original-uri": "/app/page?x=1", "x-forwarded-uri": "/app/page?x=1",
            "x-original-method": "GET", "x-forwarded-method": "GET",
            "x-original-url": f"http://{origin}/app/page?x=1",
            "x-forwarded-host": origin, "x-forwarded-proto": "http"})

class LoginRedirectTest(unittest.TestCase):
    def test_browsers_are_redirected_with_a_safe_rd_only(self):
        """forward_auth.login_redirect: an HTML request without a session gets 302 to /login?rd=<original>,
        rd only for our origin or allowed domains; API clients still get 401."""
        env = {"CLOAKROOM_FORWARD_AUTH_LOGIN_REDIRECT": "true",
               "CLOAKROOM_FORWARD_AUTH_ALLOWED_REDIRECT_DOMAINS": "app.example.com",
               "CLOAKROOM_PUBLIC_URL": "https://auth.example.com"}
        with CloakroomServer(env=env) as srv:
            html = {"Accept": "text/html,application/xhtml+xml"}
            status, headers, _ = srv.request("GET", "/auth/verify", headers=dict(html, **{
                "X-Original-URL": "https://app.example.com/dashboard?tab=1"}))
            self.assertEqual(status, 302)
            self.assertEqual(headers["location"],
                             "https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2Fdashboard%3Ftab%3D1")
            # Traefik's headers work too.
            status, headers, _ = srv.request("GET", "/auth/verify", headers=dict(html, **{
                "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/x"}))
            self.assertEqual(headers["location"], "https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2Fx")
            for evil in ["https://evil.com/", "//evil.com", "https://app.example.com@evil.com/", "https:evil.com",
                         "https://app.example.com.evil.com/"]:
                status, headers, _ = srv.request("GET", "/auth/verify", headers=dict(html, **{"X-Original-URL": evil}))
                self.assertEqual(status, 302, evil)
                self.assertEqual(headers["location"], "https://auth.example.com/login", evil)
            self.assertEqual(srv.request("GET", "/auth/verify", headers={"Accept": "application/json"})[0], 401)

    def test_without_login_redirect_a_browser_401_names_the_login_page(self):
        """forward_auth.login_redirect off (nginx): the 401 to an HTML request carries X-Auth-Login-URL,
        rd percent-encoded and only for a safe target; other clients' 401 carries none."""
        env = {"CLOAKROOM_FORWARD_AUTH_ALLOWED_REDIRECT_DOMAINS": "app.example.com",
               "CLOAKROOM_PUBLIC_URL": "https://auth.example.com"}
        with CloakroomServer(env=env) as srv:
            html = {"Accept": "text/html"}
            status, headers, _ = srv.request("GET", "/auth/verify", headers=dict(html, **{
                "X-Original-URL": "https://app.example.com/a?x=1&y=%2F"}))
            self.assertEqual(status, 401)
            self.assertEqual(headers["x-auth-login-url"],
                             "https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2Fa%3Fx%3D1%26y%3D%252F")
            status, headers, _ = srv.request("GET", "/auth/verify", headers=dict(html, **{
                "X-Original-URL": "https://evil.example/"}))
            self.assertEqual((status, headers["x-auth-login-url"]), (401, "https://auth.example.com/login"))
            status, headers, _ = srv.request("GET", "/auth/verify", headers={
                "Accept": "application/json", "X-Original-URL": "https://app.example.com/a"})
            self.assertEqual(status, 401)
            self.assertNotIn("x-auth-login-url", headers)

    def test_disagreeing_proxy_headers_give_no_rd(self):
        """A client's X-Original-URL or a second X-Forwarded-Host next to the proxy's headers (a proxy
        that passes them through) is never used for rd: the browser still goes to /login, without it."""
        env = {"CLOAKROOM_FORWARD_AUTH_LOGIN_REDIRECT": "true",
               "CLOAKROOM_FORWARD_AUTH_ALLOWED_REDIRECT_DOMAINS": "app.example.com,.example.net",
               "CLOAKROOM_PUBLIC_URL": "https://auth.example.com"}
        proxy = [("Accept", "text/html"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "app.example.com"),
                 ("X-Forwarded-Uri", "/x")]
        with CloakroomServer(env=env) as srv:
            for extra in [[("X-Original-URL", "https://evil.example.net/")],
                          [("X-Forwarded-Host", "evil.example.net")],
                          [("X-Original-URI", "/elsewhere")],
                          [("X-Forwarded-Uri", "/x")]]:
                conn = srv.connection()
                conn.putrequest("GET", "/auth/verify", skip_accept_encoding=True)
                for name, value in extra + proxy:
                    conn.putheader(name, value)
                conn.endheaders()
                resp = conn.getresponse()
                resp.read()
                conn.close()
                self.assertEqual(resp.status, 302, extra)
                self.assertEqual(resp.getheader("Location"), "https://auth.example.com/login", extra)
            # The log line reaches srv.log_lines through a reader thread: wait for it, bounded.
            self.assertTrue(eventually(lambda: srv.logs("forward_auth_refused")))


class VerifyRefusalTest(unittest.TestCase):
    def test_disagreement_is_a_generic_403_and_logged(self):
        """Straight at /auth/verify (as a proxy that lets client headers through would call it): two
        different URIs or methods are 403 access_denied with the generic message, both values in the
        log; a '#' is refused; a lower-case method meets the write rule; rules are not needed for this."""
        with CloakroomServer(config_text=WRITE_RULE) as srv:
            srv.register("bob", "battery staple")
            sid = re.match(r"__Host-sid=([^;]+)", srv.login("bob", "battery staple")[1]["set-cookie"]).group(1)
            cookie = {"Cookie": "__Host-sid=" + sid}
            cases = [({"X-Forwarded-Uri": "/public", "X-Original-URI": "/api/x"}, "uri_conflict", "/public", "/api/x"),
                     ({"X-Original-URI": "/api/x", "X-Forwarded-Method": "GET", "X-Original-Method": "POST"},
                      "method_conflict", "GET", "POST"),
                     ({"X-Original-URI": "/public#/../api/x"}, "uri_fragment", "/public#/../api/x", "")]
            for headers, reason, seen, other in cases:
                status, _, body = srv.request("GET", "/auth/verify", headers=dict(cookie, **headers))
                self.assertEqual(status, 403, headers)
                self.assertEqual(body, {"error": "access_denied",
                                        "message": "You are signed in but not allowed to access this resource."})
                self.assertTrue(eventually(lambda: any(
                    e["reason"] == reason and e["seen"] == seen and e["other"] == other
                    for e in srv.logs("forward_auth_refused"))), reason)
            for method in ["post", "Post", "POST"]:
                status, _, _ = srv.request("GET", "/auth/verify", headers=dict(
                    cookie, **{"X-Original-URI": "/api/x", "X-Original-Method": method}))
                self.assertEqual(status, 403, method)
            status, _, _ = srv.request("GET", "/auth/verify", headers=dict(
                cookie, **{"X-Original-URI": "/api/x", "X-Original-Method": "GET"}))
            self.assertEqual(status, 200)
        with CloakroomServer() as srv:  # no rules at all: a disagreement is still refused
            srv.register("bob", "battery staple")
            sid = re.match(r"__Host-sid=([^;]+)", srv.login("bob", "battery staple")[1]["set-cookie"]).group(1)
            status, _, _ = srv.request("GET", "/auth/verify", headers={
                "Cookie": "__Host-sid=" + sid, "X-Forwarded-Uri": "/a", "X-Original-URI": "/b"})
            self.assertEqual(status, 403)


if __name__ == "__main__":
    unittest.main()
