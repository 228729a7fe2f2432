"""GET /login and /account: headers, redirects and assets over HTTP, then the whole flow in Chromium
(tests/browser/pages.mjs, driven by playwright-core)."""
import http.server
import os
import re
import threading
import unittest
from urllib.parse import quote

from browser import ARTIFACTS, run_browser_script
from cloakroom_server import CloakroomServer, eventually
from ports import free_port


class PagesTestCase(unittest.TestCase):
    def setUp(self):
        # The browser must see the origin public_url names (Origin checks), so the port is chosen here.
        port = free_port()
        self.base = "http://127.0.0.1:%d" % port
        self.srv = CloakroomServer(env={"CLOAKROOM_PUBLIC_URL": self.base, "CLOAKROOM_THROTTLE_PER_ACCOUNT": "3"},
                                   listen="127.0.0.1:%d" % port).start()
        self.srv.register("alice", "correct horse battery")

    def tearDown(self):
        self.srv.__exit__(None, None, None)


class PageHttpTest(PagesTestCase):
    def test_pages_have_strict_headers(self):
        for path in ["/login", "/account"]:
            status, headers, _ = self.srv.request("GET", path)
            self.assertIn(status, (200, 302), path)
            csp = headers["content-security-policy"]
            self.assertNotIn("unsafe-inline", csp)
            self.assertIn("frame-ancestors 'none'", csp)
            self.assertIn("script-src 'self'", csp)
            self.assertEqual(headers["referrer-policy"], "no-referrer")
            self.assertEqual(headers["cache-control"], "no-store")
            self.assertEqual(headers["x-frame-options"], "DENY")
            self.assertEqual(headers["x-content-type-options"], "nosniff")

    def test_login_page_has_no_inline_script_or_style(self):
        status, headers, body = self.srv.request("GET", "/login")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertNotRegex(body, r"<script(?![^>]*\bsrc=)")
        self.assertNotIn("<style", body)
        self.assertNotIn(" style=", body)
        self.assertIn('<meta name="cloakroom-rd" content="">', body)

    def test_rd_is_kept_only_when_safe_and_escaped(self):
        cases = {
            "/account": "/account",
            self.base + "/x?a=1&b=2": self.base + "/x?a=1&amp;b=2",
            "https://evil.example/": "",
            "//evil.example/": "",
            "javascript:alert(1)": "",
            '/x"><script>': "/x&quot;&gt;&lt;script&gt;",  # our own path, but escaped
        }
        for rd, shown in cases.items():
            _, _, body = self.srv.request("GET", "/login?rd=" + quote(rd, safe=""))
            self.assertIn('<meta name="cloakroom-rd" content="%s">' % shown, body, rd)
        _, _, body = self.srv.request("GET", "/login?rd=%zz")
        self.assertIn('<meta name="cloakroom-rd" content="">', body)

    def test_account_needs_a_session_and_login_skips_when_signed_in(self):
        status, headers, _ = self.srv.request("GET", "/account")
        self.assertEqual(status, 302)
        self.assertEqual(headers["location"], self.base + "/login?rd=" + re.sub(
            r"[:/]", lambda m: "%%%02X" % ord(m.group(0)), self.base + "/account"))
        _, h, _ = self.srv.login("alice", "correct horse battery")
        cookie = h["set-cookie"].split(";")[0]
        status, _, body = self.srv.request("GET", "/account", headers={"Cookie": cookie})
        self.assertEqual(status, 200)
        self.assertIn("<title>Your account", body)
        status, headers, _ = self.srv.request("GET", "/login?rd=%2Fdocs", headers={"Cookie": cookie})
        self.assertEqual((status, headers["location"]), (302, "/docs"))
        status, headers, _ = self.srv.request("GET", "/login", headers={"Cookie": cookie})
        self.assertEqual((status, headers["location"]), (302, self.base + "/account"))

    def test_assets_are_served_and_nothing_else(self):
        for name, ctype in [("style.css", "text/css"), ("login.js", "text/javascript"),
                            ("account.js", "text/javascript"), ("favicon.svg", "image/svg+xml")]:
            status, headers, _ = self.srv.request("GET", "/auth/assets/" + name)
            self.assertEqual(status, 200, name)
            self.assertTrue(headers["content-type"].startswith(ctype), name)
            self.assertEqual(headers["x-content-type-options"], "nosniff")
        for name in ["login.html", "nope.js", "..%2Fcloakroom.db", ""]:
            status, _, _ = self.srv.request("GET", "/auth/assets/" + name)
            self.assertEqual(status, 404, name)


class ZeroConfigSignInTest(unittest.TestCase):
    """Issue 16: with public_url left unset, sign-in works wherever a browser on this machine
    points: the server derives public_url from the port it bound, and a loopback public_url
    accepts localhost, 127.0.0.1 and [::1] at that port. Nothing is loosened for a public_url
    elsewhere, and every refusal is logged with its reason and the origin expected."""

    def sign_in_through_the_form(self, srv, origin):
        """What login.js does from a page at `origin`: GET /login, then POST /auth/login (the browser
        adds Origin), then the account page with the cookie, then logout (cookie-authenticated)."""
        status, _, body = srv.request("GET", "/login")
        self.assertEqual(status, 200)
        self.assertIn("login.js", body)
        status, headers, body = srv.request("POST", "/auth/login",
                                            {"username": "alice", "password": "correct horse battery"},
                                            headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"})
        self.assertEqual(status, 200, (origin, body))
        cookie = headers["set-cookie"].split(";")[0]
        self.assertEqual(srv.request("GET", "/account", headers={"Cookie": cookie})[0], 200)
        status, _, body = srv.request("POST", "/auth/logout", headers={"Cookie": cookie, "Origin": origin})
        self.assertEqual(status, 200, (origin, body))

    def test_unset_public_url_signs_in_from_every_loopback_name(self):
        with CloakroomServer(listen="127.0.0.1:0") as srv:
            self.assertEqual(srv.register("alice", "correct horse battery")[0], 201)
            self.assertEqual(srv.public_url, "http://127.0.0.1:%d" % srv.port)  # the bound port, not 8080
            for host in ["localhost", "127.0.0.1", "[::1]"]:
                with self.subTest(host=host):
                    self.sign_in_through_the_form(srv, "http://%s:%d" % (host, srv.port))
            self.assertEqual(srv.logs("csrf_refused"), [])
            self.assertEqual(srv.logs("public_url_mismatch"), [])
            # Another port or scheme on this machine is still another site.
            for origin in ["http://localhost:%d" % (srv.port + 1), "https://localhost:%d" % srv.port]:
                status, _, body = srv.request("POST", "/auth/login",
                                              {"username": "alice", "password": "correct horse battery"},
                                              headers={"Origin": origin})
                self.assertEqual((status, body["error"]), (403, "csrf_rejected"), origin)

    def test_non_loopback_public_url_refuses_localhost_and_logs_why(self):
        with CloakroomServer(env={"CLOAKROOM_PUBLIC_URL": "https://auth.example.com"}) as srv:
            self.assertEqual(srv.register("alice", "correct horse battery")[0], 201)
            origin = "http://localhost:%d" % srv.port
            status, _, body = srv.request("POST", "/auth/login",
                                          {"username": "alice", "password": "correct horse battery"},
                                          headers={"Origin": origin, "X-Request-ID": "csrf-loopback-1"})
            self.assertEqual((status, body["error"]), (403, "csrf_rejected"))
            # The lines reach the test through a pipe: wait for them (bounded), never assume.
            refused = eventually(lambda: [l for l in srv.logs("csrf_refused") if l.get("request_id") == "csrf-loopback-1"])
            self.assertEqual(len(refused), 1, srv.log_lines)
            self.assertEqual((refused[0]["reason"], refused[0]["origin"], refused[0]["expected"]),
                             ("origin_foreign", origin, "https://auth.example.com"))
            access = eventually(lambda: [l for l in srv.logs("request") if l.get("request_id") == "csrf-loopback-1"])
            self.assertEqual(len(access), 1, srv.log_lines)
            self.assertEqual((access[0]["status"], access[0]["reason"]), (403, "origin_foreign"))

    def test_public_url_flag_is_normalised_and_a_mismatch_is_warned_about(self):
        """--public-url takes a trailing "/"; naming this machine at another port than the one served
        is said once at startup, with the address that would work."""
        with CloakroomServer(args=["--public-url", "http://127.0.0.1:1/"]) as srv:
            self.assertEqual(srv.public_url, "http://127.0.0.1:1")
            warned = srv.logs("public_url_mismatch")  # logged before "listening", which start() waited for
            self.assertEqual(len(warned), 1, srv.log_lines)
            self.assertEqual(warned[0]["level"], "warn")
            here = "http://127.0.0.1:%d" % srv.port
            self.assertEqual(warned[0]["detail"],
                             "public_url http://127.0.0.1:1 names this listener's host with port 1, but cloakroom "
                             "serves plain HTTP on 127.0.0.1:%d: browsers that open %s have sign-in refused. Unless "
                             "a proxy or port mapping serves public_url, set public_url to %s." % (srv.port, here, here))

    def test_the_bare_address_leads_a_browser_to_the_account_page(self):
        """GET / is a 303 to /account (relative: the browser keeps the host it used), not a JSON 404."""
        with CloakroomServer() as srv:
            status, headers, _ = srv.request("GET", "/", headers={"Accept": "text/html"})
            self.assertEqual((status, headers["location"]), (303, "/account"))
            self.assertEqual(headers["cache-control"], "no-store")
            status, headers, body = srv.request("GET", "/nope")
            self.assertEqual((status, body["error"]), (404, "not_found"))


class EvilSite(http.server.BaseHTTPRequestHandler):
    """A page on another origin that auto-submits a form to cloakroom's /auth/logout."""
    target = ""

    def do_GET(self):
        body = ("<!doctype html><form id=f method=POST action='%s/auth/logout'></form>"
                "<script>document.getElementById('f').submit()</script>" % self.target).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class BrowserTest(PagesTestCase):
    def test_pages_in_chromium(self):
        evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Evil", (EvilSite,), {"target": self.base}))
        threading.Thread(target=evil.serve_forever, daemon=True).start()
        try:
            result = run_browser_script(self, "pages.mjs", timeout=240, BASE_URL=self.base,
                                        EVIL_URL="http://127.0.0.1:%d" % evil.server_address[1])
        finally:
            evil.shutdown()
            evil.server_close()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("browser tests passed", result.stdout)
        for shot in ["login.png", "account.png"]:
            self.assertGreater(os.path.getsize(os.path.join(ARTIFACTS, shot)), 1000)


if __name__ == "__main__":
    unittest.main()
