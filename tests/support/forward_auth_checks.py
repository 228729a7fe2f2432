"""The checks every reverse proxy guide must pass, written once for test_nginx.py and test_caddy.py.

    class NginxForwardAuthTest(ForwardAuthChecks, unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            cls.start_cloakroom(config_toml)   # cls.srv, cls.relay, cls.upstream; three users and dave
            cls.proxy = Nginx(...)             # forwards /auth/verify to cls.relay, the rest to cls.upstream
            cls.sign_in(cls.proxy_login)       # cls.alice (admin), cls.bob (no roles), cls.carol (writer)

The config has the rules of the guides: /admin needs the admin role, writes under /api the writer role,
/billing a second factor (STEP_UP_RULE). dave is for the step-up check: he turns TOTP on in it.

A mixin, not a TestCase, so it never runs on its own. A class sets `proxy` (a proxies._Proxy) and
may set `path_trick_statuses` (the refusals it expects beside "not 200") and `underscored_forgeries`.
"""
import json
import re
import urllib.parse
import uuid

from cloakroom_server import CloakroomServer, run_cli
from proxies import FORGED, EchoUpstream, RecordingRelay, forgeries
from totp_codes import Codes

USERS = [("alice", "correct horse", "admin"), ("bob", "battery staple", None), ("carol", "carol's secret", "writer")]
TOTP_USER = ("dave", "dave's passphrase")
STEP_UP_RULE = '[[access.rule]]\nprefix = "/billing"\nsecond_factor = true\n'
HTML = {"Accept": "text/html,application/xhtml+xml"}


def sid_cookie(headers):
    """The `__Host-sid=...` pair of a login's Set-Cookie."""
    return re.search(r"(__Host-sid=[^;]+)", headers["set-cookie"]).group(1)


class ForwardAuthChecks:
    path_trick_statuses = None  # None: any answer but 200
    underscored_forgeries = [("X_Auth_User", "alice"), ("X-Auth_User", "alice"), ("X_Auth_User_Id", "1"),
                             ("X_Auth_Roles", "admin"), ("X_Forwarded_Uri", "/public")]

    @classmethod
    def start_cloakroom(cls, config):
        """cloakroom with `config`, its three users and roles, a relay recording what reaches it, an upstream."""
        cls.srv = CloakroomServer(config_text=config).start()
        for user, password, _ in USERS + [TOTP_USER + (None,)]:
            cls.srv.register(user, password)
        for user, _, role in USERS:
            if role:
                run_cli(["user", "roles", user, "--set", role], cls.srv.data_dir)
        cls.relay = RecordingRelay(cls.srv.port)
        cls.upstream = EchoUpstream()

    @classmethod
    def sign_in(cls, login):
        """cls.alice, cls.bob, cls.carol: each user's session cookie, as `login(user, password)` gets it."""
        for user, password, _ in USERS:
            setattr(cls, user, login(user, password))

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.upstream.stop()
        cls.relay.close()
        cls.srv.__exit__(None, None, None)

    def get(self, path, cookie=None, headers=None, method="GET"):
        return self.proxy.send(path, cookie, headers, method)

    def assert_login_redirect(self, target, cookie=None):
        """An HTML request for `target` (without a session, or with a one-factor `cookie` where a rule wants two)
        is 302 to our /login, rd the original URL whole; the parsed Location."""
        conn = self.proxy.connection()
        conn.request("GET", target, headers=dict(HTML, Cookie=cookie) if cookie else HTML)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        self.assertEqual(resp.status, 302)
        location = urllib.parse.urlsplit(resp.getheader("Location"))
        self.assertEqual((location.netloc, location.path), (f"127.0.0.1:{self.port}", "/login"))
        self.assertEqual(urllib.parse.parse_qs(location.query)["rd"], [self.origin + target])
        return location

    def assert_auth_request_headers(self, method, expected, absent=()):
        """The request cloakroom gets for `method` /app/page?x=1 (with every forgery sent twice) has each
        `expected` header once with the proxy's value, none of `absent`, one X-Forwarded-For."""
        marker = str(uuid.uuid4())
        forged = [(n, v) for n, v in FORGED for _ in range(2)] + [("X-Test-Id", marker)]
        status, _ = self.get("/app/page?x=1", self.bob, forged, method=method)
        self.assertEqual(status, 200)
        fields = self.relay.head_with(marker)
        for name, value in expected.items():
            self.assertEqual([v for n, v in fields if n == name], [value], name)
        for name in absent:
            self.assertEqual([v for n, v in fields if n == name], [], name)
        xff = [v for n, v in fields if n == "x-forwarded-for"]
        self.assertEqual(len(xff), 1)
        self.assertTrue(xff[0].endswith("127.0.0.1"), xff)  # the proxy's own hop is the last: read from the right

    def test_underscored_identity_headers_never_reach_the_app(self):
        """X_Auth_User and its mixed spellings (which WSGI/PHP/CGI read as X-Auth-User) are dropped:
        no header with an underscore reaches the upstream, and the identity is still cloakroom's."""
        status, body = self.get("/app", self.bob, self.underscored_forgeries)
        self.assertEqual(status, 200, body)
        seen = json.loads(body)["headers"]
        self.assertEqual([name for name in seen if "_" in name], [])
        self.assertEqual(seen["x-auth-user"], "bob")
        self.assertNotIn("admin", seen.get("x-auth-roles", ""))

    def test_rule_denies_with_403_and_allows_the_role(self):
        """/admin needs the admin role: bob gets 403, alice gets through with her roles."""
        self.assertEqual(self.get("/admin/users", self.bob)[0], 403)
        status, body = self.get("/admin/users", self.alice)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["headers"]["x-auth-roles"], "admin")

    def test_path_tricks_do_not_bypass_the_rule(self):
        """The usual encodings of /admin never let bob through."""
        for path in ["//admin", "/admin/../admin", "/x/../admin", "/%61dmin", "/admin;x=1", "/ADMIN", "/./admin",
                     "/admin%2f", "/x/..%2fadmin", "/%2e%2e/admin"]:
            status, _ = self.get(path, self.bob)
            if self.path_trick_statuses:
                self.assertIn(status, self.path_trick_statuses, path)
            self.assertNotEqual(status, 200, path)

    def test_forged_original_headers_do_not_bypass_the_admin_rule(self):
        """Whatever bob writes about the "original" request, /admin/users is judged as /admin/users."""
        for forged in forgeries():
            self.assertEqual(self.get("/admin/users", self.bob, forged)[0], 403, forged)
        self.assertEqual(self.get("/admin/users", self.alice, FORGED)[0], 200)

    def test_forged_method_does_not_bypass_the_write_rule(self):
        """POST /api/x needs the writer role however bob relabels the method; GET needs none."""
        for method in ["POST", "PUT", "PATCH", "DELETE"]:
            for forged in forgeries():
                self.assertEqual(self.get("/api/x", self.bob, forged, method=method)[0], 403, (method, forged))
        status, body = self.get("/api/x", self.carol, FORGED, method="POST")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["method"], "POST")
        self.assertEqual(self.get("/api/x", self.bob, FORGED)[0], 200)

    def test_second_factor_rule_steps_a_password_session_up(self):
        """/billing has second_factor = true. dave signed in with his password, then turned TOTP on (the API, a
        computed RFC 6238 code): his session is one-factor. A browser asking for /billing is sent to /login with
        step_up=1 and rd the original URL whole; an API client gets 403; paths outside the rule let him through,
        and the /admin rule's 403 stays a 403. Signed in with password and code, he reaches /billing as dave."""
        user, password = TOTP_USER
        status, headers, body = self.proxy.request("POST", "/auth/login", {"username": user, "password": password})
        self.assertEqual(status, 200, body)
        one_factor = sid_cookie(headers)
        signed_in = {"Cookie": one_factor, "Origin": self.origin}
        status, _, enrol = self.proxy.request("POST", "/auth/totp/enroll", headers=signed_in)
        self.assertEqual(status, 200, enrol)
        codes = Codes(enrol["secret"])
        status, _, body = self.proxy.request("POST", "/auth/totp/confirm", {"code": codes.next()}, headers=signed_in)
        self.assertEqual(status, 200, body)

        target = "/billing/invoices?month=2026-11&q=a%20b%2Fc"
        location = self.assert_login_redirect(target, one_factor)
        self.assertEqual(urllib.parse.parse_qs(location.query)["step_up"], ["1"])
        self.assertEqual(self.get(target, one_factor, {"Accept": "application/json"})[0], 403)
        status, body = self.get("/app/x", one_factor, HTML)
        self.assertEqual((status, json.loads(body)["headers"]["x-auth-user"]), (200, user))
        self.assertEqual(self.get("/admin/users", one_factor, HTML)[0], 403)

        status, _, first = self.proxy.request("POST", "/auth/login", {"username": user, "password": password})
        self.assertEqual((status, first["error"]), (401, "second_factor_required"), first)
        status, headers, body = self.proxy.request("POST", "/auth/login/second-factor",
                                                   {"challenge": first["challenge"], "code": codes.next()})
        self.assertEqual(status, 200, body)
        status, body = self.get(target, sid_cookie(headers), HTML)
        self.assertEqual(status, 200, body)
        seen = json.loads(body)
        self.assertEqual((seen["path"], seen["headers"]["x-auth-user"]), (target, user))
