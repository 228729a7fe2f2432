"""Two serving processes share one Redis (store.sessions) and one SQLite users file: a login on
one works on the other, a logout or CLI revocation on one is refused on the other within a
bounded poll, password guesses spread over both meet one throttle, and while Redis is gone
checks fail closed (503, never 401, no cookie cleared) and come back by themselves when it
returns. With store.redis_wait_replicas, a revocation waits for a real replica."""
import os
import tempfile
import unittest

from cloakroom_server import CloakroomServer, eventually, run_cli
from redis_server import RedisServer

STALENESS = "1s"


class RedisScaleOutTest(unittest.TestCase):
    def setUp(self):
        # Cleanups are registered as things start, so a failing setUp leaves no process behind.
        tmp = tempfile.TemporaryDirectory(prefix="cloakroom-redis-it-")
        self.addCleanup(tmp.cleanup)
        self.data = os.path.join(tmp.name, "data")
        # Persisted, so stopping and starting it is a restart that keeps its data.
        self.redis = RedisServer(persist=True).start()
        self.addCleanup(self.redis.__exit__, None, None, None)
        self.env = {"CLOAKROOM_STORE_SESSIONS": self.redis.url("it:"),
                    "CLOAKROOM_FEED_MAX_STALENESS": STALENESS}
        self.a = self.serve()
        self.b = self.serve()
        self.assertEqual(self.a.register("alice", "correct horse")[0], 201)

    def serve(self):
        srv = CloakroomServer(env=self.env, data_dir=self.data)
        self.addCleanup(srv.__exit__, None, None, None)
        return srv.start()

    def cookie(self, srv):
        status, headers, body = srv.login("alice", "correct horse")
        self.assertEqual(status, 200, body)
        return headers["set-cookie"].split(";", 1)[0]

    def verify(self, srv, cookie):
        return srv.request("GET", "/auth/verify", headers={"Cookie": cookie})

    def test_a_login_on_one_node_is_valid_on_the_other_until_it_logs_out(self):
        """Login on A is valid on B (a near-cache miss reads Redis); logout on A is refused on B
        within a bounded poll (the feed entry written by the same script)."""
        cookie = self.cookie(self.a)
        self.assertEqual(self.verify(self.b, cookie)[0], 200)
        status, _, _ = self.a.request("POST", "/auth/logout", headers={"Cookie": cookie, "Origin": self.a.public_url})
        self.assertEqual(status, 200)
        self.assertTrue(eventually(lambda: self.verify(self.b, cookie)[0] == 401, timeout=2.0))
        self.assertEqual(self.verify(self.a, cookie)[0], 401)

    def test_an_access_token_revoked_on_one_node_is_refused_on_the_other(self):
        """Token mode: the access token works on B; after logout on A (family revoked, token
        denied, both in the Redis feed) B refuses it within a bounded poll."""
        status, _, tokens = self.a.login("alice", "correct horse", mode="token", transport="body")
        self.assertEqual(status, 200, tokens)
        bearer = {"Authorization": "Bearer " + tokens["access_token"]}
        self.assertEqual(self.b.request("GET", "/auth/me", headers=bearer)[0], 200)
        self.assertEqual(self.a.request("POST", "/auth/logout", headers=bearer)[0], 200)
        self.assertTrue(eventually(lambda: self.b.request("GET", "/auth/me", headers=bearer)[0] == 401, timeout=2.0))
        # The refresh token of the revoked family is refused on B too (it reads Redis).
        status, _, body = self.b.request("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        self.assertEqual((status, body["error"]), (401, "invalid_refresh_token"))

    def test_password_guesses_spread_over_both_nodes_meet_one_throttle(self):
        """throttle.per_account_ip = 5 (the default) holds across nodes: five wrong guesses from one
        address, alternating between A and B, spend the one (username, address) bucket in Redis;
        the sixth is 429 + Retry-After on either node, even with the right password. The bucket is
        a key with a TTL of the window (15 min)."""
        for i in range(5):
            status, _, body = (self.a, self.b)[i % 2].login("alice", "wrong guess %d" % i)
            self.assertEqual((status, body["error"]), (401, "invalid_credentials"), i)
        for srv in (self.b, self.a):
            status, headers, body = srv.login("alice", "correct horse")
            self.assertEqual((status, body["error"], headers.get("retry-after")), (429, "too_many_attempts", "180"))
        pair = "it:t:account_ip:{127.0.0.1 alice}"
        self.assertLess(float(self.redis.cli("HGET", pair, "tokens")), 1)  # 5 spent (plus a few ms of refill)
        self.assertTrue(890_000 < int(self.redis.cli("PTTL", pair)) <= 900_000)
        # Guessing another account from the address still works: only the pair is spent.
        self.assertEqual(self.b.login("bob", "anything")[0], 401)

    def test_cli_revocation_is_acknowledged_by_both_nodes(self):
        """`session revoke` returns once both serving processes applied it; both refuse at once."""
        cookie = self.cookie(self.a)
        self.assertEqual(self.verify(self.b, cookie)[0], 200)
        sid = cookie.split("=", 1)[1].split(".", 1)[0]
        r = run_cli(["session", "revoke", sid, "--wait", "5s"], self.data, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("in force on 2 of 2 serving processes", r.stdout)
        self.assertEqual(self.verify(self.a, cookie)[0], 401)
        self.assertEqual(self.verify(self.b, cookie)[0], 401)

    def test_a_redis_outage_fails_closed_and_recovers_without_a_restart(self):
        """Redis stopped: once the feed is stale past feed.max_staleness, checks answer 503 with
        Retry-After (never 401, never a Set-Cookie) and /readyz is 503 on both nodes, logins 503;
        Redis back with its data: the same cookie works again on both, no cloakroom restart."""
        cookie = self.cookie(self.a)
        for srv in (self.a, self.b):
            self.assertEqual(self.verify(srv, cookie)[0], 200)
        self.redis.stop()

        seen = set()

        def refused(srv):
            status, headers, _ = self.verify(srv, cookie)
            seen.add(status)
            self.assertNotIn("set-cookie", headers)  # an outage never clears a cookie
            return status == 503 and headers.get("retry-after") == "1"

        for srv in (self.a, self.b):
            self.assertTrue(eventually(lambda: refused(srv), timeout=6.0), seen)
            status, headers, _ = srv.request("GET", "/readyz")
            self.assertEqual((status, headers.get("retry-after")), (503, "1"))
        self.assertLessEqual(seen, {200, 503})  # from memory while fresh, then unavailable: never a 401
        status, headers, body = self.b.login("alice", "correct horse")
        self.assertEqual((status, body["error"], headers.get("retry-after")), (503, "store_unavailable", "1"))
        self.assertNotIn("set-cookie", headers)

        self.redis.start()
        for srv in (self.a, self.b):
            self.assertTrue(eventually(lambda: self.verify(srv, cookie)[0] == 200, timeout=10.0))
            self.assertEqual(srv.request("GET", "/readyz")[0], 200)
        self.assertEqual(self.b.login("alice", "correct horse")[0], 200)
        # Each client that noticed logged the outage once, and its end once (not once per call).
        # (The feed's waiting connection logs its way back with its first reply, up to ~0.2 s after the rest.)
        down = self.a.logs("redis_unavailable")
        self.assertGreaterEqual(len(down), 1)
        self.assertTrue(eventually(lambda: len(self.a.logs("redis_available")) == len(down), timeout=2.0),
                        (down, self.a.logs("redis_available")))


class RedisReplicaWaitTest(unittest.TestCase):
    """store.redis_wait_replicas = 1 with a real replica (a second redis-server with --replicaof):
    a logout answers once the replica holds the revocation; with the replica gone, logouts still
    succeed and are refused on the other node, each counted and the shortfall logged once."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="cloakroom-redis-wait-it-")
        self.addCleanup(tmp.cleanup)
        self.data = os.path.join(tmp.name, "data")
        self.redis = RedisServer().start()
        self.addCleanup(self.redis.__exit__, None, None, None)
        self.replica = RedisServer(replica_of=self.redis).start()
        self.addCleanup(self.replica.__exit__, None, None, None)
        env = {"CLOAKROOM_STORE_SESSIONS": self.redis.url("it:"), "CLOAKROOM_STORE_REDIS_WAIT_REPLICAS": "1",
               "CLOAKROOM_STORE_REDIS_WAIT_TIMEOUT": "1s"}
        self.a, self.b = (CloakroomServer(env=env, data_dir=self.data) for _ in range(2))
        for srv in (self.a, self.b):
            self.addCleanup(srv.__exit__, None, None, None)
            srv.start()
        self.assertEqual(self.a.register("alice", "correct horse")[0], 201)

    def login_and_logout(self):
        """Logs in on A, logs out on A; returns (session id, cookie)."""
        status, headers, body = self.a.login("alice", "correct horse")
        self.assertEqual(status, 200, body)
        cookie = headers["set-cookie"].split(";", 1)[0]
        status, _, _ = self.a.request("POST", "/auth/logout", headers={"Cookie": cookie, "Origin": self.a.public_url})
        self.assertEqual(status, 200)
        return cookie.split("=", 1)[1].split(".", 1)[0], cookie

    def short(self):
        return self.a.metric("cloakroom_revocations_short_of_replicas_total")

    def test_a_revocation_waits_for_the_replica_and_stands_without_it(self):
        sid, _ = self.login_and_logout()
        # WAIT returned 1: the replica applied the revoking script before A answered.
        self.assertEqual(self.replica.cli("EXISTS", "it:s:" + sid), "0")
        self.assertEqual(self.short(), 0)
        self.assertEqual(self.a.logs("redis_wait_short"), [])

        self.replica.stop()
        for n in (1, 2):
            _, cookie = self.login_and_logout()  # 200 after the 1 s timeout: the revocation stands
            self.assertTrue(eventually(lambda: self.b.request("GET", "/auth/verify",
                                                              headers={"Cookie": cookie})[0] == 401, timeout=2.0))
            self.assertTrue(eventually(lambda: self.short() == n, timeout=2.0), self.short())
        warned = self.a.logs("redis_wait_short")
        self.assertEqual(len(warned), 1)  # when it starts falling short, not once per revocation
        self.assertEqual((warned[0]["replicas"], warned[0]["wanted"]), ("0", "1"))


class RedisRequirementsTest(unittest.TestCase):
    """A Redis that may evict keys (any maxmemory-policy but noeviction) could silently drop a
    denylist entry or an epoch, and a revoked credential would work again: serve and the CLI refuse
    it with one sentence (exit 2, a configuration error). A Redis that hides CONFIG (managed
    services) is used, with a warning saying what could not be checked."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="cloakroom-redis-req-it-")
        self.addCleanup(tmp.cleanup)
        self.data = os.path.join(tmp.name, "data")

    def redis(self, *args):
        redis = RedisServer(args=args).start()
        self.addCleanup(redis.__exit__, None, None, None)
        return redis

    def test_serve_and_the_cli_refuse_a_redis_that_may_evict_keys(self):
        redis = self.redis("--maxmemory-policy", "volatile-lru")
        env = {"CLOAKROOM_STORE_SESSIONS": redis.url("it:")}
        sentence = (f"cloakroom: Redis at {redis.url('it:')} may evict keys when its memory is full "
                    "(maxmemory-policy volatile-lru), which would silently drop revocations and make revoked "
                    "sessions and tokens work again; set maxmemory-policy noeviction (CONFIG SET "
                    "maxmemory-policy noeviction, and the same in redis.conf or your provider's parameter group).")
        for command in (["serve", "--listen", "127.0.0.1:0"], ["session", "list"]):
            with self.subTest(command=command[0]):
                r = run_cli(command, self.data, env=env)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stderr.strip().splitlines()[-1], sentence)
        self.assertEqual(redis.cli("CONFIG", "SET", "maxmemory-policy", "noeviction"), "OK")
        r = run_cli(["session", "list"], self.data, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_redis_that_hides_config_is_used_with_a_warning(self):
        redis = self.redis("--rename-command", "CONFIG", "")
        srv = CloakroomServer(env={"CLOAKROOM_STORE_SESSIONS": redis.url("it:")}, data_dir=self.data)
        self.addCleanup(srv.__exit__, None, None, None)
        srv.start()
        self.assertEqual(srv.register("alice", "correct horse")[0], 201)
        warned = srv.logs("redis_eviction_unchecked")
        self.assertEqual(len(warned), 1, warned)
        self.assertIn("make sure it is noeviction", warned[0]["effect"])


if __name__ == "__main__":
    unittest.main()
