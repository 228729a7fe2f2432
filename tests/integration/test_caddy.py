"""docs/deploy-caddy.md, for real: Debian's Caddy with forward_auth in front of a tiny upstream,
cloakroom deciding 401 / 403 / 200 (and 302 to the login page for browsers), passing identity
headers the client cannot spoof, and judging rules only on what Caddy says about the request."""
import json
import os
import re
import unittest
import urllib.parse

from forward_auth_checks import HTML, STEP_UP_RULE, ForwardAuthChecks
from ports import free_port
from proxies import Caddy

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "deploy-caddy.md")


def doc_block(fence):
    with open(DOC) as f:
        return re.search(rf"```{fence}\n(.*?)```", f.read(), re.S).group(1)


class CaddyForwardAuthTest(ForwardAuthChecks, unittest.TestCase):
    underscored_forgeries = [("X_Auth_User", "alice"), ("X-Auth_User", "alice"), ("X_Auth-User", "alice"),
                             ("X_Auth_User_Id", "1"), ("X_Auth_Roles", "admin"), ("x_auth_roles", "admin"),
                             ("X_Forwarded_Uri", "/public")]

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()  # Caddy's, so cloakroom's public_url can name it
        cls.origin = f"http://127.0.0.1:{cls.port}"
        cls.start_cloakroom(doc_block("toml").replace("https://app.example.com", cls.origin)
                            + '\n[[access.rule]]\nprefix = "/api"\nmethods = ["POST", "PUT", "PATCH", "DELETE"]\n'
                              'roles = ["writer"]\n\n' + STEP_UP_RULE)
        block = (doc_block("caddyfile").replace("app.example.com {", "http://127.0.0.1:{port} {")
                 .replace("127.0.0.1:8080", f"127.0.0.1:{cls.relay.port}")
                 .replace("127.0.0.1:3000", f"127.0.0.1:{cls.upstream.port}"))
        cls.proxy = cls.caddy = Caddy(block, port=cls.port)
        cls.sign_in(cls.login)

    @classmethod
    def login(cls, user, password):
        """POST /auth/login through Caddy; the session cookie it set."""
        status, headers, body = cls.caddy.request("POST", "/auth/login", {"username": user, "password": password})
        assert status == 200, (status, body)
        return re.match(r"(__Host-sid=[^;]+)", headers["set-cookie"]).group(1)

    def test_no_credential_is_401_for_an_api_client(self):
        """Without a session an API client gets 401 and the upstream is never reached."""
        status, body = self.get("/app", headers={"Accept": "application/json"})
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["error"], "unauthenticated")

    def test_signed_in_user_reaches_upstream_with_identity(self):
        """A signed-in user passes with the original method and path; the upstream receives
        X-Auth-User/-User-Id from cloakroom, and no X-Auth-Roles for a user without roles."""
        status, body = self.get("/app/page?x=1&y=a%2Fb", self.bob)
        self.assertEqual(status, 200, body)
        seen = json.loads(body)
        self.assertEqual(seen["path"], "/app/page?x=1&y=a%2Fb")
        self.assertEqual(seen["headers"]["x-auth-user"], "bob")
        self.assertTrue(seen["headers"]["x-auth-user-id"])
        self.assertFalse(seen["headers"].get("x-auth-roles"))

    def test_identity_headers_cannot_be_spoofed(self):
        """Client-sent X-Auth-* headers never reach the app: cloakroom's answer or nothing."""
        forged = {"X-Auth-User": "alice", "X-Auth-User-Id": "1", "X-Auth-Roles": "admin"}
        status, body = self.get("/app", self.bob, forged)
        self.assertEqual(status, 200)
        seen = json.loads(body)["headers"]
        self.assertEqual(seen["x-auth-user"], "bob")
        self.assertNotEqual(seen["x-auth-user-id"], "1")
        self.assertNotIn("admin", seen.get("x-auth-roles", ""))

    def test_auth_request_carries_only_caddys_values(self):
        """The request cloakroom gets has each header about the original request once, with Caddy's
        value, and none of the names Caddy does not set: the client's copies never reach it."""
        self.assert_auth_request_headers("PUT", {
            "x-forwarded-uri": "/app/page?x=1", "x-forwarded-method": "PUT",
            "x-forwarded-host": f"127.0.0.1:{self.port}", "x-forwarded-proto": "http"},
            absent=("x-original-uri", "x-original-method", "x-original-url"))

    def test_a_browser_goes_to_the_login_page_and_back(self):
        """An HTML request without a session: Caddy relays cloakroom's 302 to /login with the
        original URL, percent-encoded, as rd; after signing in there the same URL gets through."""
        target = "/app/report?month=2026-11&q=a%20b%2Fc&next=%2Fx"
        self.assertEqual(self.assert_login_redirect(target).scheme, "http")
        status, body = self.get(target, self.bob, HTML)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["path"], target)
        # A foreign rd is never offered: the login page ignores it.
        status, headers, _ = self.caddy.request("GET", "/login?rd=" + urllib.parse.quote("https://evil.example/"),
                                                headers=HTML)
        self.assertEqual(status, 200)
        self.assertNotIn("evil.example", headers.get("location", ""))

    def test_pages_and_endpoints_on_the_apps_origin(self):
        """/login, /account, /reset and their assets, JWKS and the /auth/ API are cloakroom's, through Caddy;
        /account needs a session."""
        status, _, body = self.caddy.request("GET", "/login", headers=HTML)
        self.assertEqual(status, 200)
        self.assertIn("<title>Sign in", body)
        status, _, body = self.caddy.request("GET", "/reset", headers=HTML)
        self.assertEqual(status, 200)
        self.assertIn("<title>Set a new password", body)
        for asset in ["/auth/assets/style.css", "/auth/assets/login.js", "/auth/assets/account.js",
                      "/auth/assets/reset.js"]:
            self.assertEqual(self.caddy.request("GET", asset)[0], 200, asset)
        self.assertEqual(self.caddy.request("GET", "/account", headers=HTML)[0], 302)
        status, _, body = self.caddy.request("GET", "/account", headers=dict(HTML, Cookie=self.alice))
        self.assertEqual(status, 200)
        self.assertIn("<title>Your account", body)
        status, body = self.get("/.well-known/jwks.json")
        self.assertEqual(status, 200)
        self.assertTrue(json.loads(body)["keys"])
        status, _, body = self.caddy.request("GET", "/auth/me", headers={"Cookie": self.bob})
        self.assertEqual((status, body["user"]["username"]), (200, "bob"))


if __name__ == "__main__":
    unittest.main()
