"""Users in PostgreSQL (store.users = postgres://...), with sessions in SQLite: register and login,
CLI changes reaching the running server, PostgreSQL going down and coming back, and
`store migrate` from a populated SQLite store without logging anyone out.
One PostgreSQL 15 server for the whole file (tests/support/postgres_server.py)."""
import collections
import http.client
import itertools
import json
import os
import re
import tempfile
import threading
import time
import unittest

from cloakroom_server import CloakroomServer, eventually, run_cli
from ports import free_port
from postgres_server import PASSWORD, PostgresServer
from redis_server import RedisServer
from stores import TEST_KEK
from test_passkeys import SoftAuthenticator
from totp_codes import Codes

pg = None
_names = itertools.count(1)
# The key-encryption key every cloakroom on PostgreSQL users needs (the signing keys are kept there, sealed).
KEK = {"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY": TEST_KEK}


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


class CredentialPoller(threading.Thread):
    """GET /auth/verify with every credential on every server in `servers` (a list the test may
    grow) every ~5 ms, until stop(); counts statuses per (credential, port). A connection
    refused (a server stopped, a restart gap) is counted apart: it is not a logout."""
    MAX_ROUNDS = 30000  # bounded: ~150 s at 5 ms

    def __init__(self, servers, credentials):
        super().__init__(daemon=True)
        self.servers = servers
        self.credentials = credentials  # {label: headers}
        self.statuses = collections.defaultdict(collections.Counter)  # (label, port) -> {status: n}
        self.unreachable = 0
        self._stop_event = threading.Event()

    def run(self):
        for _ in range(self.MAX_ROUNDS):
            for srv in list(self.servers):
                for label, headers in self.credentials.items():
                    try:
                        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
                        conn.request("GET", "/auth/verify", headers=headers)
                        status = conn.getresponse().status
                        conn.close()
                    except OSError:
                        self.unreachable += 1
                        continue
                    self.statuses[(label, srv.port)][status] += 1
            if self._stop_event.wait(0.005):
                return

    def stop(self):
        self._stop_event.set()
        self.join()

    def refused(self):
        """{(label, port): how many 401s}: every logout the poller saw."""
        return {k: c[401] for k, c in self.statuses.items() if c[401]}

    def summary(self):
        total = sum(sum(c.values()) for c in self.statuses.values())
        counts = collections.Counter()
        for c in self.statuses.values():
            counts.update(c)
        return f"{total} checks {dict(counts)}, {self.unreachable} connections refused"


class PostgresUsersTest(unittest.TestCase):
    def setUp(self):
        self.db, self.url = fresh_database()
        self.env = dict(KEK, CLOAKROOM_STORE_USERS=self.url)
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

    def test_cli_on_another_users_store_says_so(self):
        """A CLI run against a users store the servers do not read (another database: a typo in the
        URL, or step 2 of a move before the servers switched) must not claim "in force": it says the
        servers will never apply the change and exits 1."""
        _, other_url = fresh_database()
        env = {"CLOAKROOM_STORE_USERS": other_url}
        added = run_cli(["user", "add", "carol", "--password-stdin"], self.srv.data_dir, stdin="correct horse\n", env=env)
        self.assertEqual(added.returncode, 0, added.stderr)
        r = run_cli(["user", "disable", "carol"], self.srv.data_dir, env=env)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertNotIn("in force", r.stdout)
        self.assertIn("does not read that store", r.stderr)
        self.assertEqual(run_cli(["user", "enable", "carol", "--no-wait"], self.srv.data_dir, env=env).returncode, 0)

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

    def restart_cloakroom(self, **env):
        self.srv.__exit__(None, None, None)
        self.srv = CloakroomServer(env=dict(self.env, **env)).start()

    def test_postgres_down_then_back(self):
        """PostgreSQL stopped: logins answer 503 + Retry-After, an existing session and a bearer
        access token still verify and a refresh token still refreshes (both in SQLite) past feed.max_staleness, because a users'
        feed on its own backend has feed.users_max_staleness (5 min by default); /readyz stays ready
        (checks work). PostgreSQL back: logins work again, no restart."""
        self.srv.register("alice", "correct horse")
        _, headers, _ = self.srv.login("alice", "correct horse")
        sid = sid_from(headers)
        _, _, tokens = self.srv.login("alice", "correct horse", mode="token", transport="body")
        bearer = {"Authorization": "Bearer " + tokens["access_token"]}
        pg.stop()
        status, headers, body = self.srv.login("alice", "correct horse")
        self.assertEqual(status, 503, body)
        self.assertEqual(body["error"], "store_unavailable")
        self.assertIn("retry-after", headers)
        self.assertNotIn("set-cookie", headers)
        self.assertEqual(self.srv.register("bob", "battery staple")[0], 503)
        time.sleep(2.5)  # past feed.max_staleness (2 s)
        self.assertEqual(verify(self.srv, sid), 200)
        self.assertEqual(self.srv.request("GET", "/auth/verify", headers=bearer)[0], 200)
        self.assertEqual(self.srv.request("GET", "/readyz")[0], 200)
        status, _, body = self.srv.request("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.cli("user", "disable", "alice").returncode, 1)
        self.assertTrue(self.srv.logs("postgres_unreachable"))
        pg.start()
        self.assertTrue(eventually(lambda: self.srv.login("alice", "correct horse")[0] == 200, timeout=10))
        self.assertEqual(verify(self.srv, sid), 200)
        self.assertEqual(self.srv.request("GET", "/auth/verify", headers=bearer)[0], 200)
        self.assertTrue(self.srv.logs("postgres_reachable"))

    def test_postgres_hung_does_not_stall_checks(self):
        """PostgreSQL hung (postmaster and backends SIGSTOPped: connections accepted, nothing
        answers), not down: every PostgreSQL call waits out its deadline. For ~3 x feed.max_staleness
        an existing session and a bearer token (SQLite sessions, keys in memory) must verify 200 on
        every check: the users' feed poll and the key reload that hang must not delay the sessions'
        feed, which is healthy. A login answers 503 + Retry-After within its deadline, not never.
        Resumed: logins work again."""
        self.srv.register("alice", "correct horse")
        _, headers, _ = self.srv.login("alice", "correct horse")
        sid = sid_from(headers)
        _, _, tokens = self.srv.login("alice", "correct horse", mode="token", transport="body")
        credentials = {"session": {"Cookie": "__Host-sid=" + sid},
                       "bearer": {"Authorization": "Bearer " + tokens["access_token"]}}
        poller = CredentialPoller([self.srv], credentials)
        pg.pause()
        try:
            poller.start()
            conn = self.srv.connection(timeout=20)  # a hang would raise socket.timeout, not wait forever
            started = time.monotonic()
            status, headers, body = self.srv.request("POST", "/auth/login",
                                                     {"username": "alice", "password": "correct horse"}, conn=conn)
            conn.close()
            print(f"\nlogin while PostgreSQL hung: {status} after {time.monotonic() - started:.1f} s")
            self.assertEqual(status, 503, body)
            self.assertEqual(body["error"], "store_unavailable")
            self.assertIn("retry-after", headers)
            self.assertNotIn("set-cookie", headers)
            time.sleep(6)  # 3 x feed.max_staleness (2 s)
        finally:
            poller.stop()
            pg.resume()
        counts = {label: dict(c) for (label, _), c in poller.statuses.items()}
        print(f"while PostgreSQL hung: {poller.summary()}: {counts}")
        for label in credentials:
            self.assertGreater(counts[label][200], 0, counts)
            self.assertEqual(set(counts[label]), {200}, counts)  # no 503 feed_stale, no 401
        self.assertEqual(poller.unreachable, 0)
        self.assertTrue(eventually(lambda: self.srv.login("alice", "correct horse")[0] == 200, timeout=10))
        self.assertEqual(verify(self.srv, sid), 200)

    def test_checks_fail_closed_once_the_users_feed_is_stale(self):
        """With feed.users_max_staleness at 2 s, a session check answers 503 + Retry-After once the
        PostgreSQL feed has been unreadable that long (never 401, cookie untouched), and 200 again
        once PostgreSQL is back: a cut-off node does not honour users disabled elsewhere forever."""
        self.restart_cloakroom(CLOAKROOM_FEED_USERS_MAX_STALENESS="2s")
        self.srv.register("alice", "correct horse")
        _, headers, _ = self.srv.login("alice", "correct horse")
        sid = sid_from(headers)
        pg.stop()
        seen = []

        def stale():
            status, headers, _ = self.srv.request("GET", "/auth/verify", headers={"Cookie": "__Host-sid=" + sid})
            seen.append(status)
            return status == 503 and "retry-after" in headers and "set-cookie" not in headers

        self.assertTrue(eventually(stale, timeout=10))
        self.assertEqual(set(seen) - {200, 503}, set())
        pg.start()
        self.assertTrue(eventually(lambda: verify(self.srv, sid) == 200, timeout=10))
        self.assertEqual(self.srv.login("alice", "correct horse")[0], 200)

    def test_store_users_as_a_flag(self):
        """--store-users URL does what CLOAKROOM_STORE_USERS does, for the CLI and serve alike: a user
        added with the flag is a row in that database and signs in on a server given the same flag
        (and no variable); `config check` says the flag set it, its password masked."""
        db, url = fresh_database()
        with tempfile.TemporaryDirectory(prefix="cloakroom-it-") as tmp:
            data = os.path.join(tmp, "data")
            added = run_cli(["user", "add", "dora", "--password-stdin", "--store-users", url], data,
                            stdin="correct horse\n", env=KEK)
            self.assertEqual(added.returncode, 0, added.stderr)
            self.assertEqual(pg.sql("SELECT username FROM cloakroom_users", db), "dora")
            check = run_cli(["config", "check", "--store-users", url], data, env=KEK)
            self.assertEqual(check.returncode, 0, check.stderr)
            self.assertIn(f'users = "postgres://cloakroom:***@127.0.0.1:{pg.port}/{db}"  # from flag --store-users\n',
                          check.stdout)
            self.assertNotIn(PASSWORD, check.stdout + check.stderr + added.stdout + added.stderr)
            with CloakroomServer(env=KEK, args=["--store-users", url], data_dir=data) as srv:
                status, headers, body = srv.login("dora", "correct horse")
                self.assertEqual(status, 200, body)
                self.assertEqual(verify(srv, sid_from(headers)), 200)
                self.assertEqual(srv.login("dora", "wrong password")[0], 401)
            self.assertNotIn(PASSWORD, "\n".join(srv.log_lines))

    def test_bad_password_is_never_shown(self):
        """A URL PostgreSQL refuses stops serve with one sentence showing the password as ***."""
        bad = pg.url(self.db, password="Not-The-Pw-123")
        r = run_cli(["serve", "--listen", "127.0.0.1:0"], self.srv.data_dir, env=dict(KEK, CLOAKROOM_STORE_USERS=bad))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"postgres://cloakroom:***@127.0.0.1:{pg.port}/{self.db}", r.stderr)
        self.assertNotIn("Not-The-Pw-123", r.stderr + r.stdout)


class StoreMigrateTest(unittest.TestCase):
    """From the embedded SQLite store to PostgreSQL users (and another sessions store)."""

    def setUp(self):
        self.old = CloakroomServer().start()
        self.data = self.old.data_dir
        self.new = None

    def tearDown(self):
        for srv in (self.old, self.new):
            if srv:
                srv.__exit__(None, None, None)

    def migrate(self, *args):
        return run_cli(["store", "migrate"] + list(args), self.data, env=KEK)

    def populate(self):
        """4 users, 3 sessions, 2 refresh families, 1 denylist entry, 1 raised epoch."""
        for name in ("alice", "bob", "carol", "dave"):
            self.assertEqual(self.old.register(name, "correct horse")[0], 201)
        _, headers, _ = self.old.login("alice", "correct horse")
        self.alice_sid = sid_from(headers)
        self.header_sessions = {}
        for name in ("alice", "bob"):  # header transport: the token in X-Session-ID
            status, _, body = self.old.login(name, "correct horse", transport="body")
            self.assertEqual(status, 200, body)
            self.header_sessions[name] = body["session_token"]
        _, _, self.bob = self.old.login("bob", "correct horse", mode="token", transport="body")
        _, _, carol_old = self.old.login("carol", "correct horse", mode="token", transport="body")
        _, _, self.carol = self.old.login("carol", "correct horse", mode="token", transport="body")
        self.assertEqual(run_cli(["session", "revoke", carol_old["session"]["id"]], self.data).returncode, 0)
        self.carol_old = carol_old
        _, _, self.dave = self.old.login("dave", "correct horse", mode="token", transport="body")
        self.assertEqual(run_cli(["session", "revoke", "--user", "dave"], self.data).returncode, 0)

    def test_migrate_is_idempotent_verified_and_logs_nobody_out(self):
        """Everything is copied and verified; a second run copies nothing and says so; a server on
        the new stores accepts every credential the old one did and refuses what it refused."""
        self.migrate_everything("sqlite://" + self.data + "/sessions.db")

    def test_migrate_to_postgres_and_redis(self):
        """The same move with the sessions to Redis: the stores of a deployment on several machines."""
        with RedisServer() as redis:
            self.migrate_everything(redis.url("it:"))

    def test_rerun_after_revocations_on_the_target_is_refused(self):
        """After the switch, a session and a refresh family revoked on the targets (the CLI), then
        `store migrate` again: refused with one sentence and exit 1 before writing anything (it would
        copy the revoked ones back); both stay refused. The same after `session revoke --user`.
        Deleting migrated.json (the documented override) makes it copy again."""
        for name in ("alice", "bob"):
            self.assertEqual(self.old.register(name, "correct horse")[0], 201)
        _, headers, _ = self.old.login("alice", "correct horse")
        alice = sid_from(headers)
        _, _, bob = self.old.login("bob", "correct horse", mode="token", transport="body")
        with RedisServer() as redis:
            db, url = fresh_database()
            sessions = redis.url("it:")
            first = self.migrate("--to-users", url, "--to-sessions", sessions)
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertEqual(os.stat(os.path.join(self.data, "migrated.json")).st_mode & 0o777, 0o600)
            with open(os.path.join(self.data, "migrated.json")) as marker:
                self.assertNotIn(PASSWORD, marker.read())
            self.old.stop()
            env = dict(KEK, CLOAKROOM_STORE_USERS=url, CLOAKROOM_STORE_SESSIONS=sessions)
            self.new = CloakroomServer(data_dir=self.data, env=env).start()
            self.assertEqual(verify(self.new, alice), 200)
            for revoke in (["session", "revoke", alice.split(".")[0]], ["session", "revoke", bob["session"]["id"]]):
                r = run_cli(revoke, self.data, env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
            eventually(lambda: verify(self.new, alice) == 401, timeout=5)

            again = self.migrate("--to-users", url, "--to-sessions", sessions)
            self.assertEqual((again.returncode, again.stdout), (1, ""), again.stderr)
            self.assertIn("has changed since the last copy (revocations or changes made there by serving processes): "
                          "copying again would bring back what was revoked or removed there, so nothing was copied; "
                          "the last copy already holds everything from before the switch (to copy anyway, delete "
                          + os.path.join(self.data, "migrated.json") + ")", again.stderr)
            self.assertEqual(verify(self.new, alice), 401)
            self.assertEqual(self.new.request("POST", "/auth/refresh", {"refresh_token": bob["refresh_token"]})[0], 401)

            # Every session of a user, revoked there: the same refusal.
            _, headers, _ = self.new.login("bob", "correct horse")
            self.assertEqual(run_cli(["session", "revoke", "--user", "bob"], self.data, env=env).returncode, 0)
            again = self.migrate("--to-users", url, "--to-sessions", sessions)
            self.assertEqual((again.returncode, again.stdout), (1, ""), again.stderr)
            self.assertEqual(verify(self.new, alice), 401)

            # The override: without the record, a run copies as a first one (and writes a new record).
            os.remove(os.path.join(self.data, "migrated.json"))
            forced = self.migrate("--to-users", url, "--to-sessions", sessions)
            self.assertEqual(forced.returncode, 0, forced.stderr)
            self.assertIn("sessions: 1 copied", forced.stdout)
            self.assertEqual(self.migrate("--to-users", url, "--to-sessions", sessions).returncode, 0)

    def start_polling(self):
        """A CredentialPoller on the old server over every credential a client holds (two cookie-less
        header sessions, the cookie session, two bearer access tokens); the test adds the new server."""
        credentials = {"alice cookie session": {"Cookie": "__Host-sid=" + self.alice_sid},
                       "bob bearer token": {"Authorization": "Bearer " + self.bob["access_token"]},
                       "carol bearer token": {"Authorization": "Bearer " + self.carol["access_token"]}}
        for name, token in self.header_sessions.items():
            credentials[f"{name} header session"] = {"X-Session-ID": token}
        poller = CredentialPoller([self.old], credentials)
        poller.start()
        self.addCleanup(poller.stop)
        eventually(lambda: len(poller.statuses) == len(credentials), timeout=5)
        return poller

    def cut_over(self, poller, **env):
        """The switch, as scale-out.md says (a zero-downtime restart): a new process on the new stores
        beside the old one, both polled, then the old one stops; polling goes on for a moment after."""
        self.new = CloakroomServer(data_dir=self.data, env=dict(KEK, **env)).start()
        poller.servers.append(self.new)
        eventually(lambda: any(port == self.new.port for _, port in poller.statuses), timeout=5)
        self.old.stop()
        time.sleep(0.3)
        poller.stop()
        print(f"\n  while migrating and cutting over: {poller.summary()}", flush=True)
        self.assertEqual(poller.refused(), {}, "401s seen: somebody was logged out")
        for label, headers in poller.credentials.items():
            for srv in (self.old, self.new):
                with self.subTest(credential=label, port=srv.port):
                    self.assertGreater(poller.statuses[(label, srv.port)][200], 0)
            with self.subTest(credential=label, after=True):
                self.assertEqual(self.new.request("GET", "/auth/verify", headers=headers)[0], 200)

    def migrate_everything(self, sessions):
        self.populate()
        poller = self.start_polling()
        db, url = fresh_database()
        r = self.migrate("--to-users", url, "--to-sessions", sessions)
        self.assertEqual(r.returncode, 0, r.stderr)
        for line in ("users: 4 copied, 0 already in the target",
                     "TOTP second factors: 0 copied, 0 already in the target",
                     "passkeys: 0 copied, 0 already in the target", "sessions: 3 copied, 0 already in the target",
                     "refresh token families: 2 copied, 0 already in the target",
                     "denylist entries: 1 copied, 0 already in the target",
                     "token epochs: 1 copied, 0 already in the target",
                     "signing keys: 1 copied, 0 already in the target",
                     "verified: the target holds all 4 users, 0 TOTP second factors, 0 passkeys, 3 sessions, "
                     "2 refresh token families, "
                     "1 denylist entry, 1 token epoch and 1 signing key of the source"):
            self.assertIn(line, r.stdout)
        self.assertEqual(pg.sql("SELECT count(*) FROM cloakroom_users", db), "4")

        again = self.migrate("--to-users", url, "--to-sessions", sessions)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("users: 0 copied, 4 already in the target", again.stdout)
        self.assertIn("token epochs: 0 copied, 1 already in the target", again.stdout)
        self.assertIn("signing keys: 0 copied, 1 already in the target", again.stdout)
        self.assertIn("nothing to copy: the target already holds all 4 users", again.stdout)
        self.assertEqual(pg.sql("SELECT count(*) FROM cloakroom_users", db), "4")

        # The switch: a new process on the new stores (the signing keys moved with them), then the old one goes.
        self.cut_over(poller, CLOAKROOM_STORE_USERS=url, CLOAKROOM_STORE_SESSIONS=sessions)
        self.assertEqual(verify(self.new, self.alice_sid), 200)
        status, _, _ = self.new.request("POST", "/auth/refresh", {"refresh_token": self.bob["refresh_token"]})
        self.assertEqual(status, 200)
        bearer = {"Authorization": "Bearer " + self.carol["access_token"]}
        self.assertEqual(self.new.request("GET", "/auth/verify", headers=bearer)[0], 200)
        # What was refused stays refused: carol's revoked family, dave's tokens from before his epoch.
        old_carol = {"Authorization": "Bearer " + self.carol_old["access_token"]}
        self.assertEqual(self.new.request("GET", "/auth/verify", headers=old_carol)[0], 401)
        self.assertEqual(self.new.request("POST", "/auth/refresh",
                                          {"refresh_token": self.carol_old["refresh_token"]})[0], 401)
        old_dave = {"Authorization": "Bearer " + self.dave["access_token"]}
        self.assertEqual(self.new.request("GET", "/auth/verify", headers=old_dave)[0], 401)
        self.assertEqual(self.new.login("dave", "correct horse")[0], 200)

    def test_users_only_and_sessions_stay(self):
        """--to-users alone: the sessions stay in the SQLite file and keep working on a server
        whose users are in PostgreSQL (same ids)."""
        self.populate()
        db, url = fresh_database()
        r = self.migrate("--to-users", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip().splitlines(),
                         ["users: 4 copied, 0 already in the target",
                          "TOTP second factors: 0 copied, 0 already in the target",
                          "passkeys: 0 copied, 0 already in the target",
                          "signing keys: 1 copied, 0 already in the target",
                          "verified: the target holds all 4 users, 0 TOTP second factors, 0 passkeys and 1 signing "
                          "key of the source"])
        self.new = CloakroomServer(data_dir=self.data, env=dict(KEK, CLOAKROOM_STORE_USERS=url)).start()
        self.assertEqual(verify(self.new, self.alice_sid), 200)
        self.assertEqual(verify(self.old, self.alice_sid), 200)
        # A user registered on the old server meanwhile is picked up by a second run; one
        # changed there since the first is not overwritten, but named.
        self.assertEqual(self.old.register("erin", "correct horse")[0], 201)
        self.assertEqual(run_cli(["user", "disable", "bob"], self.data).returncode, 0)
        r = self.migrate("--to-users", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("users: 1 copied, 4 already in the target", r.stdout)
        self.assertIn("note: 1 user(s) changed in the source since they were copied (disabled, roles or password), "
                      "and the target keeps its own state: bob;", r.stdout)
        self.assertEqual(self.new.login("erin", "correct horse")[0], 200)

    def test_refuses_a_different_user_with_the_same_name(self):
        """A target holding another "alice" (another id): exit 1, one sentence, nothing written."""
        self.assertEqual(self.old.register("alice", "correct horse")[0], 201)
        self.assertEqual(self.old.register("bob", "correct horse")[0], 201)
        db, url = fresh_database()
        other = run_cli(["user", "add", "ALICE", "--password-stdin"], self.data + "-other", stdin="other horse\n",
                        env=dict(KEK, CLOAKROOM_STORE_USERS=url))
        self.assertEqual(other.returncode, 0, other.stderr)
        r = self.migrate("--to-users", url)
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertRegex(lines[0], r'^cloakroom: the target already has a different user named "alice" \(id .+, '
                                   r'here id .+\); nothing was written\.$')
        self.assertEqual(r.stdout, "")
        self.assertEqual(pg.sql("SELECT username FROM cloakroom_users", db), "ALICE")

    def test_signing_keys_need_the_kek_and_a_target_with_other_keys_is_refused(self):
        """Without the key-encryption key the move is refused (exit 2); a target that already keeps
        another key set (a server started on it first) is refused (exit 1) before anything is
        written; the keys file's key then verifies nowhere but here."""
        self.assertEqual(self.old.register("alice", "correct horse")[0], 201)
        db, url = fresh_database()
        r = run_cli(["store", "migrate", "--to-users", url], self.data)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("are kept encrypted for every node, so this node needs the key-encryption key", r.stderr)
        self.assertEqual(pg.sql("SELECT count(*) FROM cloakroom_users", db), "0")
        early = CloakroomServer(env=dict(KEK, CLOAKROOM_STORE_USERS=url)).start()
        early.__exit__(None, None, None)
        with open(os.path.join(self.data, "keys.jwks.json")) as f:
            kid = json.load(f)["keys"][0]["kid"]
        r = self.migrate("--to-users", url)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.strip(), f"cloakroom: the target keeps another signing key set, without key {kid} of "
                                           "this one (did a server start on it before the move?); nothing was written.")
        self.assertEqual(pg.sql("SELECT count(*) FROM cloakroom_users", db), "0")
        self.assertEqual(pg.sql("SELECT version FROM cloakroom_signing_keys", db), "1")

    def test_usage_errors(self):
        """A missing or unusable target is refused with one sentence (exit 2), the password never shown."""
        self.assertEqual(self.migrate().returncode, 2)
        same = self.migrate("--to-users", "sqlite://" + self.data + "/cloakroom.db")
        self.assertEqual(same.returncode, 2)
        self.assertIn("names the store the users are in already", same.stderr)
        _, url = fresh_database()
        pg_sessions = self.migrate("--to-users", url, "--to-sessions", url)
        self.assertEqual(pg_sessions.returncode, 2)
        self.assertIn("--to-sessions names a backend that cannot hold sessions", pg_sessions.stderr)
        refused = self.migrate("--to-users", pg.url("postgres", password="Not-The-Pw-123"))
        self.assertEqual(refused.returncode, 1)
        self.assertIn("postgres://cloakroom:***@", refused.stderr)
        self.assertNotIn("Not-The-Pw-123", refused.stderr + refused.stdout)


class StoreMigrateSecondFactorsTest(unittest.TestCase):
    """TOTP and passkeys move with their users (issue 14 item 5 after issue 17): nobody who turned on
    a second factor signs in with a password alone after the move, or loses a passkey."""
    ENV = {"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "100", "CLOAKROOM_THROTTLE_PER_IP": "100"}

    def setUp(self):
        # WebAuthn needs a host name: reached at 127.0.0.1, public_url says localhost (one port for both servers).
        self.port = free_port()
        self.base = "http://localhost:%d" % self.port
        self.env = dict(self.ENV, CLOAKROOM_PUBLIC_URL=self.base)
        self.old = CloakroomServer(env=self.env, listen="127.0.0.1:%d" % self.port).start()  # no KEK: totp.key
        self.addCleanup(self.old.__exit__, None, None, None)
        self.srv = self.old

    def call(self, method, path, body=None, cookie=None):
        headers = {"Origin": self.base}
        if cookie:
            headers["Cookie"] = cookie
        return self.srv.request(method, path, body, headers=headers)

    def cookie(self, name, password):
        status, headers, body = self.srv.login(name, password)
        self.assertEqual(status, 200, body)
        return headers["set-cookie"].split(";")[0]

    def challenge(self):
        status, _, body = self.srv.request("POST", "/auth/login", {"username": "alice", "password": "correct horse"})
        self.assertEqual((status, body.get("error")), (401, "second_factor_required"), body)
        return body["challenge"]

    def second(self, **proof):
        return self.srv.request("POST", "/auth/login/second-factor", dict(challenge=self.challenge(), **proof))

    def passkey_login(self, auth, count):
        status, _, options = self.call("POST", "/auth/passkeys/login/options")
        self.assertEqual(status, 200, options)
        return self.call("POST", "/auth/passkeys/login", {"credential": auth.get(options, count=count)})

    def test_totp_and_passkeys_move_and_keep_working(self):
        """alice has TOTP on (a code and a recovery code used), bob a passkey (used once), carol neither.
        After the move, a node on PostgreSQL with a data dir of its own (no totp.key: the KEK alone) asks
        alice for her second factor and takes a computed code, not the used recovery code or step; bob signs
        in with the same authenticator, its counter going on; their sessions (--to-sessions) keep their amr;
        a second run copies nothing; once bob removed his passkey on the target, a third is refused."""
        for name, pw in (("alice", "correct horse"), ("bob", "battery staple"), ("carol", "correct horse")):
            self.assertEqual(self.old.register(name, pw)[0], 201)
        alice = self.cookie("alice", "correct horse")
        status, _, enrol = self.call("POST", "/auth/totp/enroll", cookie=alice)
        self.assertEqual(status, 200, enrol)
        codes = Codes(enrol["secret"])
        status, _, confirmed = self.call("POST", "/auth/totp/confirm", {"code": codes.next()}, cookie=alice)
        self.assertEqual(status, 200, confirmed)
        recovery = confirmed["recovery_codes"]
        status, headers, _ = self.second(code=codes.next())
        self.assertEqual(status, 200)
        alice_2fa = headers["set-cookie"].split(";")[0]
        self.assertEqual(self.second(recovery_code=recovery[0])[0], 200)
        bob = self.cookie("bob", "battery staple")
        auth = SoftAuthenticator("localhost", self.base)
        status, _, options = self.call("POST", "/auth/passkeys/register/options", cookie=bob)
        self.assertEqual(status, 200, options)
        status, _, added = self.call("POST", "/auth/passkeys/register",
                                     {"credential": auth.create(options), "name": "laptop"}, cookie=bob)
        self.assertEqual(status, 201, added)
        status, headers, _ = self.passkey_login(auth, 1)
        self.assertEqual(status, 200)
        bob_passkey = headers["set-cookie"].split(";")[0]

        db, url = fresh_database()
        new_data = tempfile.TemporaryDirectory(prefix="cloakroom-it-")
        self.addCleanup(new_data.cleanup)
        sessions = "sqlite://" + new_data.name + "/sessions.db"
        migrate = ["store", "migrate", "--to-users", url, "--to-sessions", sessions]
        first = run_cli(migrate, self.old.data_dir, env=dict(KEK, **self.env))
        self.assertEqual(first.returncode, 0, first.stderr)
        self.old.stop()
        self.srv = self.new = CloakroomServer(env=dict(KEK, CLOAKROOM_STORE_USERS=url, CLOAKROOM_STORE_SESSIONS=sessions,
                                                       **self.env),
                                              listen="127.0.0.1:%d" % self.port, data_dir=new_data.name).start()
        self.addCleanup(self.new.__exit__, None, None, None)
        self.assertFalse(os.path.exists(os.path.join(new_data.name, "totp.key")))

        # Sessions keep how their users signed in: two factors each.
        for cookie, amr in ((alice_2fa, ["pwd", "otp", "mfa"]), (bob_passkey, ["hwk", "user", "mfa"])):
            status, _, me = self.call("GET", "/auth/me", cookie=cookie)
            self.assertEqual((status, me["auth"]["amr"]), (200, amr), me)

        # alice: a password alone is not enough; the used step and recovery code stay used; a new code works.
        status, _, body = self.new.login("alice", "correct horse")
        self.assertEqual((status, body.get("error")), (401, "second_factor_required"), body)
        self.assertEqual(body["methods"], ["totp", "recovery_code"])
        self.assertEqual(pg.sql("SELECT last_step FROM cloakroom_totp", db), str(codes.next_step - 1))
        status, _, body = self.second(recovery_code=recovery[0])
        self.assertEqual((status, body["error"]), (401, "invalid_code"))
        status, headers, body = self.second(code=codes.next())
        self.assertEqual(status, 200, body)
        status, _, me = self.call("GET", "/auth/me", cookie=headers["set-cookie"].split(";")[0])
        self.assertEqual(me["auth"]["amr"], ["pwd", "otp", "mfa"])
        self.assertEqual(self.second(recovery_code=recovery[1])[0], 200)
        # bob: the same authenticator; the counter went on from 1, so 1 again is a clone's and refused.
        self.assertEqual(pg.sql("SELECT sign_count FROM cloakroom_passkeys", db), "1")
        status, _, body = self.passkey_login(auth, 2)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["user"]["username"], "bob")
        status, _, body = self.passkey_login(auth, 2)
        self.assertEqual((status, body["error"]), (401, "passkey_refused"))
        self.assertEqual(self.new.login("carol", "correct horse")[0], 200)

        self.assertEqual(first.stdout.strip().splitlines()[:4],
                         ["users: 3 copied, 0 already in the target",
                          "TOTP second factors: 1 copied, 0 already in the target",
                          "passkeys: 1 copied, 0 already in the target",
                          "  (1 TOTP secret sealed again under the key-encryption key, which every node of "
                          "the target has)"])
        self.assertRegex(first.stdout, r"verified: the target holds all 3 users, 1 TOTP second factor, 1 passkey, "
                                       r"\d+ sessions?, .* and 1 signing key of the source\n$")
        self.assertEqual(pg.sql("SELECT count(*) FROM cloakroom_recovery_codes", db), "9")  # 10, less the used one
        again = run_cli(["store", "migrate", "--to-users", url], self.old.data_dir, env=dict(KEK, **self.env))
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(again.stdout.strip().splitlines(),
                         ["users: 0 copied, 3 already in the target",
                          "TOTP second factors: 0 copied, 1 already in the target",
                          "passkeys: 0 copied, 1 already in the target",
                          "signing keys: 0 copied, 1 already in the target",
                          "nothing to copy: the target already holds all 3 users, 1 TOTP second factor, 1 passkey "
                          "and 1 signing key of the source"])

        # bob removes his passkey on the target: a rerun would copy it back, and is refused instead.
        status, headers, body = self.passkey_login(auth, 3)
        self.assertEqual(status, 200, body)
        bob_now = headers["set-cookie"].split(";")[0]
        status, _, listed = self.call("GET", "/auth/passkeys", cookie=bob_now)
        self.assertEqual(status, 200, listed)
        status, _, body = self.call("DELETE", "/auth/passkeys/" + listed["passkeys"][0]["id"], cookie=bob_now)
        self.assertEqual((status, body), (200, {"status": "removed"}))
        refused = run_cli(["store", "migrate", "--to-users", url], self.old.data_dir, env=dict(KEK, **self.env))
        self.assertEqual((refused.returncode, refused.stdout), (1, ""), refused.stderr)
        self.assertIn("has changed since the last copy (TOTP or passkeys added or removed there): copying again "
                      "would bring back what was revoked or removed there, so nothing was copied", refused.stderr)
        self.assertEqual(pg.sql("SELECT count(*) FROM cloakroom_passkeys", db), "0")


if __name__ == "__main__":
    unittest.main()
