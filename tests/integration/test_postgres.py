"""Users in PostgreSQL (store.users = postgres://...), with sessions in SQLite: register and login,
CLI changes reaching the running server, PostgreSQL going down and coming back.
One PostgreSQL 15 server for the whole file (tests/support/postgres_server.py)."""
import itertools
import re
import unittest

from cloakroom_server import CloakroomServer, eventually, run_cli
from postgres_server import PASSWORD, PostgresServer

pg = None
_names = itertools.count(1)


def setUpModule():
    global pg
    pg = PostgresServer().start()


def tearDownModule():
    pg.destroy()


def fresh_database():
    name = f"it_{next(_names)}"
    return name, pg.create_database(name)


def sid_from(headers):
    m = re.match(r"__Host-sid=([^;]*)", headers.get("set-cookie", ""))
    return m.group(1) if m else None


def verify(srv, sid):
    return srv.request("GET", "/auth/verify", headers={"Cookie": "__Host-sid=" + sid})[0]


class PostgresUsersTest(unittest.TestCase):
    def setUp(self):
        self.db, self.url = fresh_database()
        self.env = {"CLOAKROOM_STORE_USERS": self.url}
        self.srv = CloakroomServer(env=self.env).start()

    def tearDown(self):
        pg.start()  # in case a test stopped it
        self.srv.__exit__(None, None, None)
        self.assertNotIn(PASSWORD, "\n".join(self.srv.log_lines))  # never logged

    def cli(self, *args, stdin=None):
        return run_cli(list(args), self.srv.data_dir, stdin=stdin, env=self.env)

    def test_register_login_and_users_live_in_postgres(self):
        """Register and login work; the user is a row in PostgreSQL, not in the SQLite file."""
        self.assertEqual(self.srv.register("alice", "correct horse")[0], 201)
        self.assertEqual(self.srv.register("Alice", "correct horse")[0], 409)
        status, headers, body = self.srv.login("alice", "correct horse")
        self.assertEqual(status, 200, body)
        self.assertEqual(verify(self.srv, sid_from(headers)), 200)
        self.assertEqual(self.srv.login("alice", "wrong password")[0], 401)
        self.assertEqual(pg.sql("SELECT username FROM cloakroom_users", self.db), "alice")

    def test_cli_disable_reaches_the_running_server_at_once(self):
        """`user disable` against the same PostgreSQL (and SQLite sessions) is in force on the
        server when the CLI returns: it waits for the server's acknowledgement."""
        self.srv.register("alice", "correct horse")
        _, headers, _ = self.srv.login("alice", "correct horse")
        sid = sid_from(headers)
        self.assertEqual(verify(self.srv, sid), 200)
        r = self.cli("user", "disable", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("in force on 1 of 1 serving process", r.stdout)
        self.assertEqual(verify(self.srv, sid), 401)  # at once, no polling
        self.assertEqual(self.srv.login("alice", "correct horse")[0], 403)
        self.assertEqual(pg.sql("SELECT disabled FROM cloakroom_users", self.db), "t")
        r = self.cli("user", "enable", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(verify(self.srv, sid), 200)

    def test_cli_roles_passwd_and_list(self):
        """user roles / passwd / list / add act on PostgreSQL; the server sees them."""
        self.srv.register("alice", "correct horse")
        _, headers, _ = self.srv.login("alice", "correct horse")
        sid = sid_from(headers)
        self.assertEqual(self.cli("user", "roles", "alice", "--set", "ops,audit").returncode, 0)
        self.assertEqual(self.srv.request("GET", "/auth/verify", headers={"Cookie": "__Host-sid=" + sid})[1]
                         .get("x-auth-roles"), "ops,audit")
        self.assertEqual(pg.sql("SELECT array_to_string(roles, ',') FROM cloakroom_users", self.db), "ops,audit")
        r = self.cli("user", "add", "bob", "--password-stdin", stdin="battery staple\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.srv.login("bob", "battery staple")[0], 200)
        r = self.cli("user", "passwd", "alice", "--password-stdin", stdin="new password\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(verify(self.srv, sid), 401)  # a password reset ends every session
        self.assertEqual(self.srv.login("alice", "correct horse")[0], 401)
        self.assertEqual(self.srv.login("alice", "new password")[0], 200)
        listing = self.cli("user", "list")
        self.assertIn("alice", listing.stdout)
        self.assertIn("bob", listing.stdout)

    def test_postgres_down_then_back(self):
        """PostgreSQL stopped: logins answer 503 + Retry-After, an existing session still verifies
        (sessions are in SQLite). PostgreSQL back: logins work again, no restart of cloakroom."""
        self.srv.register("alice", "correct horse")
        _, headers, _ = self.srv.login("alice", "correct horse")
        sid = sid_from(headers)
        _, _, tokens = self.srv.login("alice", "correct horse", mode="token", transport="body")
        pg.stop()
        status, headers, body = self.srv.login("alice", "correct horse")
        self.assertEqual(status, 503, body)
        self.assertEqual(body["error"], "store_unavailable")
        self.assertIn("retry-after", headers)
        self.assertEqual(self.srv.register("bob", "battery staple")[0], 503)
        self.assertEqual(verify(self.srv, sid), 200)
        status, _, body = self.srv.request("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        self.assertEqual(status, 200, body)  # token state is in SQLite too
        self.assertEqual(self.cli("user", "disable", "alice").returncode, 1)
        self.assertTrue(self.srv.logs("postgres_unreachable"))
        pg.start()
        self.assertTrue(eventually(lambda: self.srv.login("alice", "correct horse")[0] == 200, timeout=10))
        self.assertEqual(verify(self.srv, sid), 200)
        self.assertTrue(self.srv.logs("postgres_reachable"))

    def test_bad_password_is_never_shown(self):
        """A URL PostgreSQL refuses stops serve with one sentence showing the password as ***."""
        bad = pg.url(self.db, password="Not-The-Pw-123")
        r = run_cli(["serve", "--listen", "127.0.0.1:0"], self.srv.data_dir, env={"CLOAKROOM_STORE_USERS": bad})
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"postgres://cloakroom:***@127.0.0.1:{pg.port}/{self.db}", r.stderr)
        self.assertNotIn("Not-The-Pw-123", r.stderr + r.stdout)


if __name__ == "__main__":
    unittest.main()
