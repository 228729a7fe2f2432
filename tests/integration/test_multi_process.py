"""Several `cloakroom serve` processes on one data dir (one SQLite file; in scaleout mode one
PostgreSQL database and one Redis prefix, tests/README.md): a credential
minted on one is good on the others, a revocation on one reaches the others through
the change feed, a revoking CLI command returns only when every live process applied
it, a killed process stops counting once its heartbeat expired, and a process that
cannot read the feed (store locked or file replaced) fails closed with 503."""
import fcntl
import itertools
import os
import re
import sqlite3
import tempfile
import time
import unittest

from cloakroom_server import CloakroomServer, eventually, run_cli
from stores import embedded_store_only

PASSWORD = "correct horse"
HEARTBEAT_EXPIRY = 1.5  # FeedFollower::kHeartbeatExpiry
FEED_BOUND = 1.0        # how long an HTTP revocation may take to reach another process here
FAST_STALENESS = '[feed]\nmax_staleness = "1s"\n'
STALENESS = 1.0
# Byte offsets in the -shm file of SQLite's WAL read-mark locks WAL_READ_LOCK(0..4):
# WALINDEX_LOCK_OFFSET (120) + 3 + i (see sqlite3.c, "wal-index lock" comments).
WAL_READ_LOCKS = (123, 5)

_request_ids = itertools.count()


def session_header(token):
    return {"X-Session-ID": token}


def bearer(access_token):
    return {"Authorization": "Bearer " + access_token}


def check(srv, headers):
    """GET /auth/verify on `srv`; returns (status, headers, the access log's reason or None)."""
    rid = f"mp-{os.getpid()}-{next(_request_ids)}"
    status, h, _ = srv.request("GET", "/auth/verify", headers=dict(headers, **{"X-Request-ID": rid}))
    line = eventually(lambda: [l for l in srv.logs("request") if l.get("request_id") == rid], timeout=2)
    return status, h, (line[0].get("reason") if line else None)


def poll_until_refused(srv, headers, bound=FEED_BOUND):
    """Checks `srv` every ~2 ms until it refuses `headers` or `bound` passes; returns
    (status, reason, seconds waited). Only bounded: the time is printed, never asserted."""
    started = time.monotonic()
    while True:
        status, _, _ = srv.request("GET", "/auth/verify", headers=headers)
        waited = time.monotonic() - started
        if status != 200 or waited > bound:
            break
        time.sleep(0.002)
    status, _, reason = check(srv, headers)  # once more, for the reason in the access log
    return status, reason, waited


NODE_ROW = re.compile(r"^(\S+)\s+(\d+)\s+(live|gone)\s+([\d.]+ s ago)\s+(\d+)\s+(\d+)\s+(\d+(?: refused)?)\s+(\S+)$")


class Cluster:
    """`serve` processes on one data dir, each on its own free port; stopped by pid."""

    def __init__(self, config_text=None):
        self._tmp = tempfile.TemporaryDirectory(prefix="cloakroom-mp-")
        self.scratch = self._tmp.name  # beside the data dir, for files moved out of it
        self.data_dir = os.path.join(self.scratch, "data")
        self.config_text = config_text
        self.servers = []

    def start(self, listen="127.0.0.1:0", env=None):
        return self.start_with(self.config_text, listen, env)

    def start_with(self, config_text, listen="127.0.0.1:0", env=None):
        srv = CloakroomServer(data_dir=self.data_dir, config_text=config_text, listen=listen, env=env)
        self.servers.append(srv)
        return srv.start()

    def restart_on_same_port(self, srv):
        srv.listen = f"127.0.0.1:{srv.port}"
        srv.log_lines = []
        return srv.start()

    def cli(self, *args, env=None):
        extra = []
        if self.config_text is not None:
            path = os.path.join(self.scratch, "cli.toml")
            with open(path, "w") as f:
                f.write(self.config_text)
            extra = ["--config", path]
        return run_cli(list(args) + extra, self.data_dir, env=env)

    def nodes(self):
        """`node list` as {port: (id, pid, status, heartbeat, applied, lag, keys)}; keys: "3", "2 refused"."""
        r = self.cli("node", "list")
        assert r.returncode == 0, r.stderr
        rows = {}
        for line in r.stdout.splitlines()[1:]:
            m = NODE_ROW.match(line.strip())
            if m:
                node_id, pid, status, beat, applied, lag, keys, _ = m.groups()
                rows[int(node_id.rsplit(":", 1)[1])] = (node_id, int(pid), status, beat, int(applied), int(lag), keys)
        return rows

    @property
    def db(self):
        return os.path.join(self.data_dir, "cloakroom.db")

    def close(self):
        for srv in self.servers:
            srv.__exit__(None, None, None)
        self._tmp.cleanup()


class ClusterTestCase(unittest.TestCase):
    def register(self, srv, *names):
        for name in names:
            status, _, body = srv.register(name, PASSWORD)
            self.assertEqual(status, 201, body)

    def session(self, srv, user):
        """A header session (transport body) minted on `srv`; returns (id, token)."""
        status, _, body = srv.login(user, PASSWORD, transport="body")
        self.assertEqual(status, 200, body)
        return body["session"]["id"], body["session_token"]

    def tokens(self, srv, user):
        """Token mode, body transport: {"access_token", "refresh_token", "session": {"id"}, ...}."""
        status, _, body = srv.login(user, PASSWORD, mode="token", transport="body")
        self.assertEqual(status, 200, body)
        return body

    def assert_check(self, srv, headers, status, reason, what=""):
        got, h, got_reason = check(srv, headers)
        self.assertEqual((got, got_reason), (status, reason), f"{what} on port {srv.port}")
        return h

    def assert_in_force(self, result, processes):
        self.assertEqual(result.returncode, 0, result.stderr)
        noun = "process" if processes == 1 else "processes"
        self.assertIn(f"in force on {processes} of {processes} serving {noun}", result.stdout)


class SharedClusterTest(ClusterTestCase):
    """Three processes A, B, C for the whole class; each test has its own users.

    Sessions in `early` were minted on A before B and C started, so every process
    loaded them at startup: the revocation tests do not depend on a process
    reading an unknown session from the store. Sessions minted after start do
    (the session near-cache); the tests check them too, as a precondition."""
    USERS = ("ada", "bea", "cy", "dee", "eve", "fay", "gus")

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster()
        try:
            cls.a = cls.cluster.start()
            for name in cls.USERS:
                status, _, body = cls.a.register(name, PASSWORD)
                assert status == 201, body
            cls.early = {}
            for name in cls.USERS:
                status, _, body = cls.a.login(name, PASSWORD, transport="body")
                assert status == 200, body
                cls.early[name] = (body["session"]["id"], body["session_token"])
            cls.b = cls.cluster.start()
            cls.c = cls.cluster.start()
        except Exception:
            cls.cluster.close()
            raise
        cls.all = (cls.a, cls.b, cls.c)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def sessions_known_everywhere(self, user):
        """The user's early session and a fresh one minted on A, as (label, id, token);
        checks (as a sub-test per session) that every process accepts both."""
        fresh = self.session(self.a, user)
        out = [("loaded at startup",) + self.early[user], ("minted on A after startup",) + fresh]
        for label, _, token in out:
            with self.subTest(precondition=label):
                for srv in self.all:
                    self.assert_check(srv, session_header(token), 200, None, f"{user}'s session {label}")
        return out

    # 1 -------------------------------------------------------------------

    def test_session_minted_on_one_process_is_valid_on_the_others_at_once(self):
        """A login on A (header and cookie transport) is accepted by B and C right away."""
        _, token = self.session(self.a, "ada")
        for srv in (self.b, self.c):
            h = self.assert_check(srv, session_header(token), 200, None, "header session from A")
            self.assertEqual(h.get("x-auth-user"), "ada")
        status, headers, _ = self.a.login("ada", PASSWORD)
        self.assertEqual(status, 200)
        cookie = headers["set-cookie"].split(";", 1)[0]
        self.assert_check(self.b, {"Cookie": cookie}, 200, None, "cookie session from A")

    def test_token_minted_on_one_process_works_on_the_others_and_refreshes_there(self):
        """A's access token is good on B and C; a refresh on B works and its token is good on A and C."""
        t = self.tokens(self.a, "ada")
        for srv in (self.b, self.c):
            self.assert_check(srv, bearer(t["access_token"]), 200, None, "access token from A")
        status, _, refreshed = self.b.request("POST", "/auth/refresh", {"refresh_token": t["refresh_token"]})
        self.assertEqual(status, 200, refreshed)
        for srv in (self.a, self.c):
            self.assert_check(srv, bearer(refreshed["access_token"]), 200, None, "access token refreshed on B")

    # 2 -------------------------------------------------------------------

    def test_logout_on_one_process_is_refused_on_every_process_within_the_bound(self):
        """POST /auth/logout on A: A, B and C each refuse that session (401 session_unknown) within a bounded poll."""
        for label, _, token in self.sessions_known_everywhere("bea"):
            status, _, body = self.a.request("POST", "/auth/logout", headers=session_header(token))
            self.assertEqual(status, 200, body)
            for name, srv in zip("ABC", self.all):
                with self.subTest(session=label, process=name):
                    status, reason, waited = poll_until_refused(srv, session_header(token))
                    print(f"\n  logout on A ({label}) refused on {name} after {waited * 1000:.1f} ms", flush=True)
                    self.assertEqual((status, reason), (401, "session_unknown"))

    def test_token_logout_on_one_process_is_refused_on_every_process_within_the_bound(self):
        """POST /auth/logout with an access token on A: A, B and C each refuse that token (401 revoked);
        its family is ended (a refresh on B or C is refused)."""
        t = self.tokens(self.a, "bea")
        for srv in self.all:
            self.assert_check(srv, bearer(t["access_token"]), 200, None, "precondition")
        status, _, body = self.a.request("POST", "/auth/logout", headers=bearer(t["access_token"]))
        self.assertEqual(status, 200, body)
        for name, srv in zip("ABC", self.all):
            with self.subTest(process=name):
                status, reason, waited = poll_until_refused(srv, bearer(t["access_token"]))
                print(f"\n  token logout on A refused on {name} after {waited * 1000:.1f} ms", flush=True)
                self.assertEqual((status, reason), (401, "revoked"))
        for name, srv in (("B", self.b), ("C", self.c)):
            with self.subTest(refresh_on=name):
                status, _, body = srv.request("POST", "/auth/refresh", {"refresh_token": t["refresh_token"]})
                self.assertEqual((status, body.get("error")), (401, "invalid_refresh_token"))

    # 3 -------------------------------------------------------------------

    def test_logout_all_on_b_refuses_the_users_credentials_on_a_and_c(self):
        """logout-all on B ends A's sessions and access tokens of that user on A and C."""
        sessions = self.sessions_known_everywhere("cy")
        t = self.tokens(self.a, "cy")
        for srv in self.all:
            self.assert_check(srv, bearer(t["access_token"]), 200, None, "precondition: token")
        _, own = self.session(self.b, "cy")
        status, _, body = self.b.request("POST", "/auth/logout-all", headers=session_header(own))
        self.assertEqual(status, 200, body)
        self.assertEqual((body["sessions_revoked"], body["refresh_families_revoked"]), (len(sessions) + 1, 1))
        for srv in (self.a, self.c):
            for label, _, token in sessions:
                with self.subTest(session=label, port=srv.port):
                    self.assertEqual(poll_until_refused(srv, session_header(token))[:2], (401, "session_unknown"))
            with self.subTest(token="access", port=srv.port):
                self.assertEqual(poll_until_refused(srv, bearer(t["access_token"]))[:2], (401, "revoked"))

    # 4 -------------------------------------------------------------------
    # No polling: the command returned once every live process applied the change.

    def test_cli_session_revoke_is_in_force_everywhere_when_it_returns(self):
        """`session revoke ID`: once it exits, every process refuses that session."""
        for label, sid, token in self.sessions_known_everywhere("dee"):
            with self.subTest(session=label):
                r = self.cluster.cli("session", "revoke", sid)
                self.assert_in_force(r, 3)
                for srv in self.all:
                    self.assert_check(srv, session_header(token), 401, "session_unknown", label)

    def test_cli_user_disable_is_in_force_everywhere_when_it_returns(self):
        """`user disable NAME`: once it exits, every process refuses the user's sessions and access tokens."""
        sessions = self.sessions_known_everywhere("eve")
        t = self.tokens(self.a, "eve")
        r = self.cluster.cli("user", "disable", "eve")
        self.assert_in_force(r, 3)
        for srv in self.all:
            for label, _, token in sessions:
                self.assert_check(srv, session_header(token), 401, "account_disabled", label)
            self.assert_check(srv, bearer(t["access_token"]), 401, "account_disabled", "access token")

    def test_cli_session_revoke_user_is_in_force_everywhere_when_it_returns(self):
        """`session revoke --user NAME`: once it exits, every process refuses the user's sessions and tokens."""
        sessions = self.sessions_known_everywhere("fay")
        t = self.tokens(self.a, "fay")
        r = self.cluster.cli("session", "revoke", "--user", "fay")
        self.assert_in_force(r, 3)
        for srv in self.all:
            for label, _, token in sessions:
                self.assert_check(srv, session_header(token), 401, "session_unknown", label)
            self.assert_check(srv, bearer(t["access_token"]), 401, "revoked", "access token")

    # 9 (live part) ---------------------------------------------------------

    def test_node_list_shows_every_process_live_and_caught_up_after_a_revocation(self):
        """After a revocation, `node list` lists A, B and C as live with LAG 0 and their pids."""
        sid, _ = self.session(self.a, "gus")
        self.assert_in_force(self.cluster.cli("session", "revoke", sid), 3)
        nodes = self.cluster.nodes()
        for srv in self.all:
            self.assertIn(srv.port, nodes)
            node_id, pid, status, _, applied, lag, _ = nodes[srv.port]
            self.assertEqual((pid, status, lag), (srv.proc.pid, "live", 0), node_id)
            self.assertGreater(applied, 0)


class KilledProcessTest(ClusterTestCase):
    """kill -9 of one process: the CLI names it until its heartbeat expired, then stops waiting for it (5, 9)."""

    def setUp(self):
        self.cluster = Cluster()
        self.addCleanup(self.cluster.close)
        self.a = self.cluster.start()
        self.register(self.a, "ann")
        self.first = self.session(self.a, "ann")
        self.second = self.session(self.a, "ann")
        self.b = self.cluster.start()

    def test_revoke_after_kill_waits_out_the_dead_heartbeat(self):
        b_port, b_pid = self.b.port, self.b.proc.pid
        self.b.kill9()
        # Right after the kill B still looks live: a short wait names it and exits 1.
        r = self.cluster.cli("session", "revoke", self.first[0], "--wait", "100ms")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"127.0.0.1:{b_port} (pid {b_pid}", r.stderr)
        self.assertIn("in force on 1 of 2 serving processes", r.stderr)
        # The default bound (2 s) outlasts B's heartbeat (1.5 s): exit 0, counting only A.
        r = self.cluster.cli("session", "revoke", self.second[0])
        self.assert_in_force(r, 1)
        for _, token in (self.first, self.second):
            self.assert_check(self.a, session_header(token), 401, "session_unknown")
        nodes = self.cluster.nodes()
        self.assertEqual(nodes[b_port][1:3], (b_pid, "gone"))
        self.assertEqual(nodes[self.a.port][2::3], ("live", 0))


class RestartTest(ClusterTestCase):
    """A process that was down while something was revoked refuses it once it is back (8)."""

    def setUp(self):
        self.cluster = Cluster()
        self.addCleanup(self.cluster.close)
        self.a = self.cluster.start()
        self.register(self.a, "ben")
        self.b = self.cluster.start()

    def revoke_while_b_is_down(self, stop):
        # One change applied first, so B's saved position is past the start of the feed.
        self.assert_in_force(self.cluster.cli("session", "revoke", self.session(self.a, "ben")[0]), 2)
        sid, token = self.session(self.a, "ben")
        t = self.tokens(self.a, "ben")
        self.assert_check(self.b, bearer(t["access_token"]), 200, None, "precondition: token")
        stop()
        for what in (sid, t["session"]["id"]):
            r = self.cluster.cli("session", "revoke", what, "--no-wait")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("in force", r.stdout)
        self.cluster.restart_on_same_port(self.b)
        self.assert_check(self.b, bearer(t["access_token"]), 401, "revoked", "access token of a revoked family")
        self.assert_check(self.b, session_header(token), 401, "session_unknown", "revoked session")
        # B registered (and beat) before it listened, with the feed's end as its position.
        node_id, pid, status, _, _, lag, _ = self.cluster.nodes()[self.b.port]
        self.assertEqual((pid, status, lag), (self.b.proc.pid, "live", 0), node_id)
        return self.b.logs("feed_resumed")

    def test_revocation_while_stopped_is_in_force_after_restart(self):
        """SIGTERM B, revoke with --no-wait, start B on the same port: B refuses, `node list` shows it live, lag 0."""
        self.revoke_while_b_is_down(self.b.stop)

    def test_restart_after_kill_resumes_from_the_saved_position(self):
        """kill -9 B (its registry row stays), revoke, restart: B replays from the position it saved."""
        resumed = self.revoke_while_b_is_down(self.b.kill9)
        self.assertEqual(len(resumed), 1, self.b.log_lines)
        self.assertGreaterEqual(int(resumed[0]["entries"]), 2)


@embedded_store_only("it locks and replaces the SQLite file; test_redis and test_cluster (Redis stopped) and "
                     "test_postgres (PostgreSQL stopped) are the outages of the scale-out stores")
class FailClosedTest(ClusterTestCase):
    """A process that cannot read the change feed stops vouching for credentials (6, 7)."""

    def setUp(self):
        self.cluster = Cluster(config_text=FAST_STALENESS)
        self.addCleanup(self.cluster.close)
        self.a = self.cluster.start()
        self.register(self.a, "cat")
        _, self.token = self.session(self.a, "cat")
        self.b = self.cluster.start()  # loads the session at startup
        for srv in (self.a, self.b):
            self.assert_check(srv, session_header(self.token), 200, None, "precondition")

    def assert_fails_closed(self, srv):
        """/readyz and a check with a valid session: 503 feed_stale + Retry-After, no cookie cleared."""
        rid = f"mp-{os.getpid()}-{next(_request_ids)}"
        with self.subTest(endpoint="/readyz", port=srv.port):
            status, h, body = srv.request("GET", "/readyz", headers={"X-Request-ID": rid})
            self.assertEqual(status, 503, body)
            self.assertIn("retry-after", h)
            line = eventually(lambda: [l for l in srv.logs("request") if l.get("request_id") == rid], timeout=2)
            self.assertEqual(line[0].get("reason") if line else None, "feed_stale")
        with self.subTest(endpoint="/auth/verify", port=srv.port):
            h = self.assert_check(srv, session_header(self.token), 503, "feed_stale", "valid session, stale feed")
            self.assertIn("retry-after", h)
            self.assertNotIn("set-cookie", h)

    def assert_recovers(self):
        for srv in (self.a, self.b):
            self.assertTrue(eventually(lambda: srv.request("GET", "/readyz")[0] == 200, timeout=5),
                            f"/readyz on port {srv.port} did not recover")
            self.assert_check(srv, session_header(self.token), 200, None, "after recovery")

    def test_feed_unreadable_fails_closed_and_recovers(self):
        """Another process holds every WAL read lock: after feed.max_staleness checks answer 503, then recover."""
        # SQLite's `PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE` cannot do this while the
        # servers are connected (each WAL connection holds a shared lock on the file, so it gets
        # "database is locked"); holding the read-mark locks in the -shm file blocks every reader.
        fd = os.open(self.cluster.db + "-shm", os.O_RDWR)
        self.addCleanup(os.close, fd)
        deadline = time.monotonic() + 5
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, *WAL_READ_LOCKS)
                break
            except OSError:
                self.assertLess(time.monotonic(), deadline, "could not take the WAL read locks")
                time.sleep(0.001)
        try:
            # Ask only once the bound has passed: a store query that meets the lock spins in
            # SQLite for ~10 s (not bounded by the busy timeout), which a fresh /readyz would make.
            time.sleep(STALENESS + 0.3)
            for srv in (self.a, self.b):
                self.assert_fails_closed(srv)
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, *WAL_READ_LOCKS)
        self.assert_recovers()

    def test_a_held_write_lock_delays_housekeeping_but_never_the_feed(self):
        """Another process holds SQLite's write lock for over four staleness bounds (a long purge, a VACUUM, a
        sqlite3 shell): the feed stays readable, so checks keep answering 200 though the last-seen flush
        waits out its store wait each second. Both used to run on one thread: the flush held the feed's
        poll, and checks answered 503 feed_stale."""
        srv = self.cluster.start_with(FAST_STALENESS + '[session]\nidle_timeout = "10s"\n')  # a touch a second
        _, token = self.session(srv, "cat")
        held = sqlite3.connect(self.cluster.db, isolation_level=None, timeout=5)
        self.addCleanup(held.close)
        held.execute("BEGIN IMMEDIATE")
        statuses = []
        try:
            deadline = time.monotonic() + 3 * STALENESS + 1.5
            while time.monotonic() < deadline:  # each check after a second queues a last-seen touch
                statuses.append(srv.request("GET", "/auth/verify", headers=session_header(token))[0])
                time.sleep(0.05)
        finally:
            held.execute("ROLLBACK")
        self.assertEqual({s: statuses.count(s) for s in set(statuses)}, {200: len(statuses)})
        self.assertTrue(srv.logs("session_touch_failed"), "precondition: the flush met the held lock")

    def test_database_file_replaced_fails_closed_and_recovers_when_put_back(self):
        """The file (with its -wal and -shm) moved away and another SQLite file put in its place:
        the processes' open connections still read the old file, so they must notice and answer 503."""
        aside = os.path.join(self.cluster.scratch, "aside")
        os.mkdir(aside)
        files = [os.path.basename(self.cluster.db) + s for s in ("", "-wal", "-shm")]
        for name in files:
            os.rename(os.path.join(self.cluster.data_dir, name), os.path.join(aside, name))
        try:
            other = sqlite3.connect(self.cluster.db)
            other.execute("CREATE TABLE unrelated (x)")
            other.commit()
            other.close()
            # Store calls fail at once (the inode changed); the feed goes stale after its bound.
            time.sleep(STALENESS + 0.3)
            for srv in (self.a, self.b):
                self.assert_fails_closed(srv)
        finally:
            for name in os.listdir(self.cluster.data_dir):
                if name.startswith(os.path.basename(self.cluster.db)):
                    os.remove(os.path.join(self.cluster.data_dir, name))
            for name in files:
                os.rename(os.path.join(aside, name), os.path.join(self.cluster.data_dir, name))
        self.assert_recovers()


if __name__ == "__main__":
    unittest.main()
