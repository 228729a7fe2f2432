"""docs/deploy-nginx.md, for real: Debian's nginx with auth_request in front of a tiny upstream,
cloakroom deciding 401 / 403 / 200 and passing identity headers the client cannot spoof."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from cloakroom_server import CloakroomServer, run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "deploy-nginx.md")
ECHO = os.path.join(HERE, "..", "support", "echo_upstream.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class NginxForwardAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cloakroom-nginx-")
        cls.srv = CloakroomServer(config_text='[[access.rule]]\nprefix = "/admin"\nroles = ["admin"]\n').start()
        cls.srv.register("alice", "correct horse")
        cls.srv.register("bob", "battery staple")
        run_cli(["user", "roles", "alice", "--set", "admin"], cls.srv.data_dir)
        cls.alice = cls.cookie("alice", "correct horse")
        cls.bob = cls.cookie("bob", "battery staple")

        upstream_port = free_port()
        cls.upstream = subprocess.Popen([sys.executable, ECHO, str(upstream_port)], stdout=subprocess.PIPE, text=True)
        cls.upstream.stdout.readline()

        with open(DOC) as f:
            block = re.search(r"```nginx\n(.*?)```", f.read(), re.S).group(1)
        cls.nginx_port = free_port()
        block = (block.replace("listen 80;", f"listen 127.0.0.1:{cls.nginx_port};")
                      .replace("127.0.0.1:8080", f"127.0.0.1:{cls.srv.port}")
                      .replace("127.0.0.1:3000", f"127.0.0.1:{upstream_port}"))
        t = cls.tmp.name
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = (f"{user}worker_processes 1;\ndaemon off;\npid {t}/nginx.pid;\nerror_log {t}/error.log;\n"
                f"events {{ worker_connections 256; }}\nhttp {{\n access_log off;\n"
                f" client_body_temp_path {t}/body; proxy_temp_path {t}/proxy;\n"
                f" fastcgi_temp_path {t}/fcgi; uwsgi_temp_path {t}/uwsgi; scgi_temp_path {t}/scgi;\n"
                f"{block}}}\n")
        with open(os.path.join(t, "nginx.conf"), "w") as f:
            f.write(conf)
        cls.nginx = subprocess.Popen(["nginx", "-c", os.path.join(t, "nginx.conf"), "-p", t],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_port(cls.nginx_port)

    @classmethod
    def tearDownClass(cls):
        for proc in (cls.nginx, cls.upstream):
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        cls.nginx.stderr.close()
        cls.upstream.stdout.close()
        cls.srv.__exit__(None, None, None)
        cls.tmp.cleanup()

    @classmethod
    def cookie(cls, user, password):
        _, headers, _ = cls.srv.login(user, password)
        return re.match(r"(__Host-sid=[^;]+)", headers["set-cookie"]).group(1)

    def get(self, path, cookie=None, headers=None, method="GET"):
        conn = http.client.HTTPConnection("127.0.0.1", self.nginx_port, timeout=10)
        h = dict(headers or {})
        if cookie:
            h["Cookie"] = cookie
        conn.request(method, path, headers=h)
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
        conn.close()
        return resp.status, body

    def test_no_credential_is_401(self):
        """Without a session the proxy answers 401 and the upstream is never reached."""
        self.assertEqual(self.get("/app")[0], 401)

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

    def test_rule_denies_with_403_and_allows_the_role(self):
        """/admin needs the admin role: bob gets 403, alice gets through."""
        self.assertEqual(self.get("/admin/users", self.bob)[0], 403)
        status, body = self.get("/admin/users", self.alice)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["headers"]["x-auth-roles"], "admin")

    def test_path_tricks_do_not_bypass_the_rule(self):
        """The usual encodings of /admin never let bob through."""
        for path in ["//admin", "/admin/../admin", "/x/../admin", "/%61dmin", "/admin;x=1", "/ADMIN", "/./admin",
                     "/admin%2f", "/x/..%2fadmin", "/%2e%2e/admin"]:
            status, _ = self.get(path, self.bob)
            self.assertIn(status, (400, 403, 404), path)
            self.assertNotEqual(status, 200, path)

    def test_pages_through_the_proxy(self):
        """/login, /account and their assets are served on the app's origin; /account needs a session."""
        status, body = self.get("/login")
        self.assertEqual(status, 200)
        self.assertIn("<title>Sign in", body)
        for asset in ["/auth/assets/style.css", "/auth/assets/login.js", "/auth/assets/account.js"]:
            self.assertEqual(self.get(asset)[0], 200, asset)
        self.assertEqual(self.get("/account")[0], 302)
        status, body = self.get("/account", cookie=self.alice)
        self.assertEqual(status, 200)
        self.assertIn("<title>Your account", body)

    def test_login_through_the_proxy(self):
        """cloakroom's own /auth/ endpoints work on the app's origin."""
        conn = http.client.HTTPConnection("127.0.0.1", self.nginx_port, timeout=10)
        conn.request("POST", "/auth/login", body=json.dumps({"username": "bob", "password": "battery staple"}),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(resp.status, 200)
        self.assertIn("__Host-sid=", resp.getheader("Set-Cookie"))
        conn.close()


if __name__ == "__main__":
    unittest.main()


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
