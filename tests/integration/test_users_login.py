"""Registration and password login: Argon2id, identical failures, throttling, load shedding, disabled users."""
import concurrent.futures
import threading
import time
import unittest

from cloakroom_server import CloakroomServer, run_cli
from stores import password_hash


class RegisterAndLoginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = CloakroomServer(env={"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "1000", "CLOAKROOM_THROTTLE_PER_ACCOUNT": "1000",
                                       "CLOAKROOM_THROTTLE_PER_IP": "1000"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def test_register_then_login(self):
        """Register answers 201 with the public user; login with the same password answers 200 with that user."""
        status, headers, body = self.srv.register("reg-alice", "correct horse")
        self.assertEqual(status, 201, body)
        self.assertEqual(set(body["user"]), {"id", "username", "roles"})
        self.assertEqual(body["user"]["username"], "reg-alice")
        self.assertEqual(headers["cache-control"], "no-store")
        status, _, login = self.srv.login("reg-alice", "correct horse")
        self.assertEqual(status, 200, login)
        self.assertEqual(login["user"], body["user"])
        status, _, login = self.srv.login("REG-ALICE", "correct horse")
        self.assertEqual(status, 200, "usernames ignore ASCII case")

    def test_taken_username_is_409(self):
        """A second registration of a name, in any case, is 409."""
        self.assertEqual(self.srv.register("dup", "password1")[0], 201)
        status, _, body = self.srv.register("DUP", "password2")
        self.assertEqual(status, 409)
        self.assertEqual(body["error"], "username_taken")

    def test_unknown_user_and_wrong_password_answer_identically(self):
        """Both failures are 401 invalid_credentials with the same body."""
        self.srv.register("ident", "correct horse")
        a = self.srv.login("ident", "wrong horse")
        b = self.srv.login("no-such-user", "wrong horse")
        self.assertEqual(a[0], 401)
        self.assertEqual(a[0], b[0])
        self.assertEqual(a[2], b[2])
        self.assertEqual(a[2]["error"], "invalid_credentials")

    def test_bad_usernames_and_passwords_are_400(self):
        """Empty or too-long names and passwords are refused with a sentence."""
        cases = [("", "password1"), ("x" * 129, "password1"), (" lead", "password1"), ("ctl\x01", "password1"),
                 ("shortpw", "1234567"), ("longpw", "x" * 1025)]
        for username, password in cases:
            with self.subTest(username=username[:10], password=len(password)):
                status, _, body = self.srv.register(username, password)
                self.assertEqual(status, 400)
                self.assertEqual(body["error"], "invalid_field")
        for username, password in [("", "x"), ("x" * 129, "x"), ("a", ""), ("a", "x" * 1025)]:
            status, _, body = self.srv.login(username, password)
            self.assertEqual(status, 400, (username[:5], len(password)))
            self.assertEqual(body["error"], "invalid_field")

    def test_username_profile(self):
        """NFC and NFD spellings are one account, stored in NFC; look-alike names are 400 naming the rule."""
        status, _, body = self.srv.register("cafe\u0301", "correct horse")
        self.assertEqual(status, 201, body)
        self.assertEqual(body["user"]["username"], "caf\u00e9")
        status, _, taken = self.srv.register("caf\u00e9", "correct horse")
        self.assertEqual((status, taken["error"]), (409, "username_taken"))
        status, _, login = self.srv.login("cafe\u0301", "correct horse")
        self.assertEqual(status, 200, login)
        self.assertEqual(login["user"], body["user"])
        self.assertEqual(self.srv.login("caf\u00e9", "correct horse")[0], 200)
        cases = [("\u0430lice", "must not mix scripts that look alike"),
                 ("alice\u00a0", "spaces other than U+0020 (U+00A0)"),
                 ("ali\u200bce", "invisible or formatting characters (U+200B)"),
                 ("\u202eecila", "bidirectional controls (U+202E)")]
        for username, rule in cases:
            with self.subTest(username=ascii(username)):
                status, _, refused = self.srv.register(username, "correct horse")
                self.assertEqual((status, refused["error"]), (400, "invalid_field"), refused)
                self.assertIn(rule, refused["message"])

    def test_mode_and_transport_are_validated(self):
        """mode and transport accept only the SPEC's values."""
        self.srv.register("modes", "correct horse")
        self.assertEqual(self.srv.login("modes", "correct horse", mode="session", transport="body")[0], 200)
        status, _, body = self.srv.login("modes", "correct horse", mode="cookie")
        self.assertEqual((status, body["error"]), (400, "invalid_field"))
        status, _, body = self.srv.login("modes", "correct horse", transport="header")
        self.assertEqual((status, body["error"]), (400, "invalid_field"))

    def test_responses_never_contain_password_or_hash(self):
        """No response body or log line carries the password or its hash."""
        _, _, body = self.srv.register("secretive", "hunter2-very-secret")
        _, _, login = self.srv.login("secretive", "hunter2-very-secret")
        for text in [str(body), str(login)] + self.srv.log_lines:
            self.assertNotIn("hunter2-very-secret", text)
            self.assertNotIn("$argon2id$", text)

    def test_access_log_has_one_json_line_per_request(self):
        """Each request logs method, path, status, duration and request id."""
        self.srv.request("GET", "/healthz?token=should-not-be-logged", headers={"X-Request-ID": "log-check-1"})
        deadline = time.time() + 2
        while time.time() < deadline:
            lines = [l for l in self.srv.logs("request") if l.get("request_id") == "log-check-1"]
            if lines:
                break
            time.sleep(0.05)
        self.assertEqual(len(lines), 1)
        line = lines[0]
        self.assertEqual((line["method"], line["path"], line["status"]), ("GET", "/healthz", 200))
        self.assertIsInstance(line["duration_ms"], float)
        self.assertNotIn("should-not-be-logged", str(self.srv.log_lines))

    def test_login_metrics(self):
        """Login outcomes are counted by outcome."""
        before = self.srv.metric('cloakroom_logins_total{outcome="invalid_credentials"}') or 0
        self.srv.login("nobody-metrics", "x")
        after = self.srv.metric('cloakroom_logins_total{outcome="invalid_credentials"}')
        self.assertEqual(after, before + 1)
        self.assertIsNotNone(self.srv.metric("cloakroom_hash_queue_depth"))


class RegistrationClosedTest(unittest.TestCase):
    def test_registration_can_be_closed(self):
        """With auth.registration = false, register is 403 registration_closed."""
        with CloakroomServer(env={"CLOAKROOM_AUTH_REGISTRATION": "false"}) as srv:
            status, _, body = srv.register("x", "password1")
            self.assertEqual((status, body["error"]), (403, "registration_closed"))


class TimingTest(unittest.TestCase):
    def test_unknown_user_costs_a_hash_like_a_wrong_password(self):
        """At OWASP parameters an unknown user takes about as long as a wrong password (dummy hash).
        Without the dummy hash the ratio would be about 100x, so the margin (3x either way) is wide
        enough for a loaded machine and still catches a missing hash."""
        with CloakroomServer(fast_hashing=False, env={"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "1000",
                                                      "CLOAKROOM_THROTTLE_PER_ACCOUNT": "1000",
                                                      "CLOAKROOM_THROTTLE_PER_IP": "1000"}) as srv:
            srv.register("timed", "correct horse")

            def timed(username):
                start = time.perf_counter()
                status, _, _ = srv.login(username, "wrong password")
                self.assertEqual(status, 401)
                return time.perf_counter() - start

            # Interleaved, so a burst of load from tests running beside this one hits both alike.
            samples = {"timed": [], "no-such-user": []}
            for _ in range(9):
                for username in samples:
                    samples[username].append(timed(username))
            # The fastest of each: load only ever adds time, so the minimum is the cost itself
            # (a median still failed once under a parallel ctest: 51 ms against 200 ms).
            known, unknown = (min(samples[u]) for u in ("timed", "no-such-user"))
            self.assertGreater(unknown, known / 3, (known, unknown))
            self.assertLess(unknown, known * 3, (known, unknown))


class ThrottleTest(unittest.TestCase):
    def test_account_throttle(self):
        """After per_account_ip failures from one address the account gets 429 + Retry-After there, even with the
        right password."""
        with CloakroomServer(env={"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "3", "CLOAKROOM_THROTTLE_WINDOW": "1h"}) as srv:
            srv.register("victim", "correct horse")
            for _ in range(3):
                self.assertEqual(srv.login("victim", "guess")[0], 401)
            status, headers, body = srv.login("victim", "correct horse")
            self.assertEqual((status, body["error"]), (429, "too_many_attempts"))
            self.assertGreaterEqual(int(headers["retry-after"]), 1)
            # Unknown accounts are throttled the same way (no enumeration by throttling).
            for _ in range(3):
                srv.login("ghost", "guess")
            self.assertEqual(srv.login("ghost", "guess")[0], 429)
            # Other accounts are unaffected.
            srv.register("bystander", "correct horse")
            self.assertEqual(srv.login("bystander", "correct horse")[0], 200)

    def test_ip_throttle(self):
        """Failures across many usernames from one address trip the per-address limit."""
        with CloakroomServer(env={"CLOAKROOM_THROTTLE_PER_IP": "4", "CLOAKROOM_THROTTLE_WINDOW": "1h"}) as srv:
            for i in range(4):
                self.assertEqual(srv.login(f"spray{i}", "guess")[0], 401)
            status, headers, body = srv.login("spray-next", "guess")
            self.assertEqual(status, 429)
            self.assertIn("retry-after", headers)
            self.assertEqual(srv.metric('cloakroom_logins_total{outcome="throttled"}'), 1)

    def test_success_resets_account_failures(self):
        """A successful login clears the account's failure count from that address."""
        with CloakroomServer(env={"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "2", "CLOAKROOM_THROTTLE_WINDOW": "1h"}) as srv:
            srv.register("forgetful", "correct horse")
            self.assertEqual(srv.login("forgetful", "oops")[0], 401)
            self.assertEqual(srv.login("forgetful", "correct horse")[0], 200)
            self.assertEqual(srv.login("forgetful", "oops")[0], 401)
            self.assertEqual(srv.login("forgetful", "correct horse")[0], 200)


def burst(srv, bodies):
    """POST /auth/login with every body at once: one open connection each, released by a barrier."""
    conns = [srv.connection(timeout=60) for _ in bodies]
    for c in conns:
        c.connect()
    gate = threading.Barrier(len(bodies))

    def one(i):
        gate.wait()
        return srv.request("POST", "/auth/login", bodies[i], conn=conns[i])[0]

    with concurrent.futures.ThreadPoolExecutor(len(bodies)) as pool:
        statuses = list(pool.map(one, range(len(bodies))))
    for c in conns:
        c.close()
    return statuses


class ParallelGuessTest(unittest.TestCase):
    """An attempt pays before its hash starts, so a burst of parallel guesses checks no more passwords than the
    budget. At OWASP parameters the hashes overlap, as in the review, where checking first and charging after
    the hash let all 60 through."""
    BURST = 60

    def test_parallel_guesses_at_one_account(self):
        """60 simultaneous guesses at one account from one address: per_account_ip (5) passwords checked, 55 x 429."""
        env = {"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "5", "CLOAKROOM_THROTTLE_PER_IP": "1000",
               "CLOAKROOM_THROTTLE_WINDOW": "1h", "CLOAKROOM_PASSWORD_QUEUE": "1000"}
        with CloakroomServer(env=env, fast_hashing=False) as srv:
            srv.register("victim", "correct horse")
            statuses = burst(srv, [{"username": "victim", "password": f"guess{i}"} for i in range(self.BURST)])
            self.assertEqual(srv.metric("cloakroom_password_checks_total"), 5)
            self.assertEqual(sorted(statuses), [401] * 5 + [429] * (self.BURST - 5))
            self.assertEqual(srv.metric('cloakroom_logins_total{outcome="throttled"}'), self.BURST - 5)

    def test_parallel_guesses_across_accounts_from_one_address(self):
        """60 simultaneous guesses at 60 usernames from one address: per_ip (5) passwords checked."""
        env = {"CLOAKROOM_THROTTLE_PER_IP": "5", "CLOAKROOM_THROTTLE_WINDOW": "1h", "CLOAKROOM_PASSWORD_QUEUE": "1000"}
        with CloakroomServer(env=env, fast_hashing=False) as srv:
            statuses = burst(srv, [{"username": f"spray{i}", "password": "guess"} for i in range(self.BURST)])
            self.assertEqual(srv.metric("cloakroom_password_checks_total"), 5)
            self.assertEqual(sorted(statuses), [401] * 5 + [429] * (self.BURST - 5))


class LockoutTest(unittest.TestCase):
    """OWASP: a strict bucket per (account, address), a loose one per account. Two client addresses are
    simulated through http.trusted_proxies and X-Forwarded-For."""
    ATTACKER = {"X-Forwarded-For": "198.51.100.7"}
    OWNER = {"X-Forwarded-For": "203.0.113.5"}

    def login(self, srv, password, headers):
        return srv.request("POST", "/auth/login", {"username": "owner", "password": password}, headers=headers)

    def test_an_attacker_cannot_lock_the_owner_out(self):
        """Once an attacker's address has used up per_account_ip (5), it gets 429 even with the right password;
        the owner at another address still logs in."""
        env = {"CLOAKROOM_HTTP_TRUSTED_PROXIES": "127.0.0.1", "CLOAKROOM_THROTTLE_WINDOW": "1h"}
        with CloakroomServer(env=env) as srv:
            srv.register("owner", "correct horse")
            for _ in range(5):
                self.assertEqual(self.login(srv, "guess", self.ATTACKER)[0], 401)
            status, headers, body = self.login(srv, "correct horse", self.ATTACKER)
            self.assertEqual((status, body["error"]), (429, "too_many_attempts"))
            self.assertIn(int(headers["retry-after"]), range(660, 721))  # about 1 h / 5 attempts
            status, _, body = self.login(srv, "correct horse", self.OWNER)
            self.assertEqual(status, 200, body)
            self.assertEqual(self.login(srv, "guess", self.ATTACKER)[0], 429)

    def test_an_ipv6_slash64_is_one_address(self):
        """Addresses of one IPv6 /64 share the per-address buckets: one host cannot pick a fresh address for
        every guess (an outside review sprayed 30 addresses of one /64 past per_account_ip = 5)."""
        env = {"CLOAKROOM_HTTP_TRUSTED_PROXIES": "127.0.0.1", "CLOAKROOM_THROTTLE_WINDOW": "1h"}
        with CloakroomServer(env=env) as srv:
            srv.register("owner", "correct horse")
            statuses = [self.login(srv, "guess", {"X-Forwarded-For": f"2001:db8:1:2::{i:x}"})[0] for i in range(1, 9)]
            self.assertEqual(statuses, [401] * 5 + [429] * 3)
            other = {"X-Forwarded-For": "2001:db8:1:3::1"}  # the next /64 is another client
            self.assertEqual(self.login(srv, "correct horse", other)[0], 200)

    def test_guesses_from_many_addresses_meet_the_account_bucket(self):
        """per_account counts all addresses together; reaching it locks the account everywhere (the trade-off,
        which is why its default is 100)."""
        env = {"CLOAKROOM_HTTP_TRUSTED_PROXIES": "127.0.0.1", "CLOAKROOM_THROTTLE_PER_ACCOUNT": "4",
               "CLOAKROOM_THROTTLE_WINDOW": "1h"}
        with CloakroomServer(env=env) as srv:
            srv.register("owner", "correct horse")
            for i in range(4):
                self.assertEqual(self.login(srv, "guess", {"X-Forwarded-For": f"198.51.100.{i}"})[0], 401)
            status, headers, body = self.login(srv, "correct horse", self.OWNER)
            self.assertEqual((status, body["error"]), (429, "too_many_attempts"))
            self.assertIn(int(headers["retry-after"]), range(840, 901))  # about 1 h / 4 attempts


class LoadSheddingTest(unittest.TestCase):
    def test_full_hash_queue_answers_503_and_server_stays_up(self):
        """With one hashing worker and no queue, a burst of logins gets some 503 + Retry-After, never a crash."""
        env = {"CLOAKROOM_PASSWORD_WORKERS": "1", "CLOAKROOM_PASSWORD_QUEUE": "0",
               "CLOAKROOM_PASSWORD_MEMORY_KIB": "19456", "CLOAKROOM_PASSWORD_ITERATIONS": "2",
               "CLOAKROOM_THROTTLE_PER_IP": "1000", "CLOAKROOM_THROTTLE_PER_ACCOUNT": "1000"}
        with CloakroomServer(env=env, fast_hashing=False) as srv:
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                results = list(pool.map(lambda i: srv.login(f"burst{i}", "password"), range(32)))
            statuses = [r[0] for r in results]
            self.assertIn(503, statuses)
            self.assertIn(401, statuses)
            for status, headers, body in results:
                if status == 503:
                    self.assertEqual(body["error"], "overloaded")
                    self.assertEqual(headers["retry-after"], "1")
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
            self.assertGreater(srv.metric('cloakroom_logins_total{outcome="overloaded"}'), 0)


class DisabledAndRehashTest(unittest.TestCase):
    def test_disabled_user_cannot_log_in(self):
        """`user disable` stops logins at once (403 account_disabled); `user enable` restores them."""
        with CloakroomServer() as srv:
            srv.register("carol", "correct horse")
            self.assertEqual(run_cli(["user", "disable", "carol"], srv.data_dir).returncode, 0)
            status, _, body = srv.login("carol", "correct horse")
            self.assertEqual((status, body["error"]), (403, "account_disabled"))
            # A wrong password still says only invalid_credentials.
            self.assertEqual(srv.login("carol", "wrong")[2]["error"], "invalid_credentials")
            self.assertEqual(run_cli(["user", "enable", "carol"], srv.data_dir).returncode, 0)
            self.assertEqual(srv.login("carol", "correct horse")[0], 200)

    def test_hash_is_upgraded_at_login_when_parameters_change(self):
        """A hash made with old parameters is replaced by one with the current parameters at the next login."""
        srv = CloakroomServer(env={"CLOAKROOM_PASSWORD_MEMORY_KIB": "64", "CLOAKROOM_PASSWORD_ITERATIONS": "1"})
        with srv:
            srv.register("dave", "correct horse")

            def stored_hash():
                return password_hash(srv.data_dir, "dave")

            self.assertIn("$m=64,t=1,p=1$", stored_hash())
            srv.stop()
            srv.env["CLOAKROOM_PASSWORD_ITERATIONS"] = "2"
            srv.env["CLOAKROOM_PASSWORD_MEMORY_KIB"] = "128"
            srv.start()
            self.assertEqual(srv.login("dave", "correct horse")[0], 200)
            self.assertIn("$m=128,t=2,p=1$", stored_hash())
            self.assertEqual(srv.metric("cloakroom_password_rehashes_total"), 1)
            self.assertEqual(srv.login("dave", "correct horse")[0], 200)
            self.assertEqual(srv.metric("cloakroom_password_rehashes_total"), 1)


if __name__ == "__main__":
    unittest.main()
