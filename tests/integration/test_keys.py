"""Signing keys across serve processes on one data dir: a rotation is publish-then-activate (no
process ever signs with a key another process cannot verify yet, counted under load), a rotation
whose publication is not acknowledged stops before activating, and a retired key keeps verifying
for jwt.access_ttl + jwt.leeway and is then dropped by every process without another command
(--now at once)."""
import base64
import json
import os
import signal
import threading
import time
import unittest

from cloakroom_server import eventually
from test_multi_process import PASSWORD, Cluster, ClusterTestCase, bearer, check

# Why 100 ms: each process applies a feed entry at its own next poll, so a key
# change reaches the two processes up to an interval apart. A wide interval
# makes the window in which one process signs with a key the other has not
# loaded (what publish-then-activate closes) large enough to be hit under load.
SLOW_POLL = '[feed]\npoll_interval = "100ms"\n'
# A short token lifetime, so a retired key's grace (access_ttl + leeway) passes within the test.
SHORT_TOKENS = '[jwt]\naccess_ttl = "5s"\nleeway = "0s"\n'
MAX_ROUNDS = 20000  # per load thread: the loop is bounded even if the stop flag never comes


def kid_of(token):
    header = token.split(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def published_kids(srv):
    status, _, body = srv.request("GET", "/.well-known/jwks.json")
    assert status == 200, body
    return {k["kid"] for k in json.loads(body)["keys"]}


def key_list(cluster):
    """`key list` as {kid: status text}."""
    r = cluster.cli("key", "list")
    assert r.returncode == 0, r.stderr
    rows = {}
    for line in r.stdout.splitlines()[1:]:
        kid, _, status = line.split(None, 2)
        rows[kid] = status
    return rows


class Load:
    """One thread per (minting, checking) pair: logs in (token mode) on the minting process,
    then refreshes there over and over, checking each new access token on the other process.
    Records (kid, status) per token; any refresh that fails is recorded as well."""

    def __init__(self, pairs):
        self.stop = threading.Event()
        self.seen = {pair: [] for pair in pairs}
        self.errors = []
        self.connections = []
        self.threads = [threading.Thread(target=self.run, args=(pair,), daemon=True) for pair in pairs]

    def run(self, pair):
        minting, checking, user = pair
        try:
            status, _, body = minting.login(user, PASSWORD, mode="token", transport="body")
            if status != 200:
                self.errors.append(("login", minting.port, status, body))
                return
            refresh = body["refresh_token"]
            mint_conn, check_conn = minting.connection(), checking.connection()
            self.connections += [mint_conn, check_conn]
            for _ in range(MAX_ROUNDS):
                if self.stop.is_set():
                    break
                status, _, body = minting.request("POST", "/auth/refresh", {"refresh_token": refresh}, conn=mint_conn)
                if status != 200:
                    self.errors.append(("refresh", minting.port, status, body))
                    return
                refresh, token = body["refresh_token"], body["access_token"]
                status, _, _ = checking.request("GET", "/auth/verify", headers=bearer(token), conn=check_conn)
                self.seen[pair].append((kid_of(token), status, token))
        except Exception as e:  # noqa: BLE001 - reported by the test, not lost in a thread
            self.errors.append(("exception", repr(e)))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)
        for c in self.connections:
            c.close()

    def rounds(self):
        return min(len(v) for v in self.seen.values())


class RotationUnderLoadTest(ClusterTestCase):
    """Two processes mint and check each other's tokens while the CLI rotates."""

    def setUp(self):
        self.cluster = Cluster(config_text=SLOW_POLL)
        self.addCleanup(self.cluster.close)
        self.a = self.cluster.start()
        self.b = self.cluster.start()
        self.register(self.a, "ann", "bob")

    def test_no_process_signs_with_a_key_another_cannot_verify(self):
        """Three `key rotate` and one `key generate --alg EdDSA --activate` under load: every access
        token minted on A verifies on B and every one minted on B verifies on A (zero 401s), and
        each new key signed on both."""
        pairs = [(self.a, self.b, "ann"), (self.b, self.a, "bob")]
        new_kids = []
        with Load(pairs) as load:
            self.assertTrue(eventually(lambda: load.rounds() >= 20 or load.errors, timeout=20), "load did not start")
            for command in (["key", "rotate"],) * 3 + (["key", "generate", "--alg", "EdDSA", "--activate"],):
                r = self.cluster.cli(*command, "--wait", "10s")  # slack for CI load; the bound is not under test
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertEqual(r.stdout.count("in force on 2 of 2 serving processes"), 2, r.stdout)
                new_kids.append(r.stdout.split("now signing with ", 1)[1].split()[0])
                before = load.rounds()
                # Let both threads mint a few tokens with the new key before the next rotation.
                self.assertTrue(eventually(lambda: load.rounds() >= before + 10 or load.errors, timeout=20))
        self.assertEqual(load.errors, [])
        for (minting, checking, _), seen in load.seen.items():
            refused = [(kid, status) for kid, status, _ in seen if status != 200]
            print(f"\n  minted on {minting.port}, checked on {checking.port}: {len(seen)} tokens, "
                  f"{len(refused)} refused", flush=True)
            self.assertEqual(len(refused), 0, f"{len(refused)} of {len(seen)} tokens minted on {minting.port} "
                                              f"refused on {checking.port}, for example {refused[:3]}")
            signed_with = {kid for kid, _, _ in seen}
            for kid in new_kids:
                self.assertIn(kid, signed_with, f"{minting.port} never signed with {kid}")

    def test_an_unacknowledged_publication_is_not_activated(self):
        """With B stopped (SIGSTOP, its heartbeat still fresh), `key rotate --wait 200ms` publishes
        the key, is not acknowledged by B, exits 1 naming B and saying the key was not activated:
        A keeps signing with the old key, which B (resumed) still verifies."""
        old_kid = kid_of(self.tokens(self.a, "ann")["access_token"])
        os.kill(self.b.proc.pid, signal.SIGSTOP)
        try:
            r = self.cluster.cli("key", "rotate", "--wait", "200ms")
        finally:
            os.kill(self.b.proc.pid, signal.SIGCONT)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"(pid {self.b.proc.pid}", r.stderr)
        self.assertIn("was not activated: it stays a verification key and nothing signs with it", r.stderr)
        new_kid = r.stdout.split("new verification key ", 1)[1].split()[0]
        self.assertNotIn("now signing", r.stdout)
        self.assertEqual(key_list(self.cluster), {old_kid: "active (signs and verifies)", new_kid: "verifies only"})
        token = self.tokens(self.a, "ann")["access_token"]
        self.assertEqual(kid_of(token), old_kid)
        self.assertEqual(check(self.b, bearer(token))[0], 200)
        # Once B is back, the same key can be activated; tokens then carry it and verify on both.
        r = self.cluster.cli("key", "activate", new_kid)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("in force on 2 of 2 serving processes"), 2, r.stdout)
        token = self.tokens(self.a, "ann")["access_token"]
        self.assertEqual(kid_of(token), new_kid)
        self.assertEqual(check(self.b, bearer(token))[:3:2], (200, None))
        self.assertIn(new_kid, published_kids(self.b))

    def test_no_wait_is_refused_where_a_key_would_be_activated(self):
        """rotate, activate and generate --activate never skip the publication wait: exit 2."""
        for command in (["key", "rotate"], ["key", "generate", "--alg", "ES256", "--activate"]):
            r = self.cluster.cli(*command, "--no-wait")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("--no-wait cannot be used here", r.stderr)
        self.assertEqual(len(key_list(self.cluster)), 1)


class RetireTest(ClusterTestCase):
    """A retired key verifies for jwt.access_ttl + jwt.leeway (5 s here), then every process drops it."""

    def setUp(self):
        self.cluster = Cluster(config_text=SHORT_TOKENS)
        self.addCleanup(self.cluster.close)
        self.a = self.cluster.start()
        self.b = self.cluster.start()
        self.register(self.a, "ann")

    def rotate(self):
        old = self.tokens(self.a, "ann")["access_token"]
        r = self.cluster.cli("key", "rotate")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return kid_of(old)

    def test_retired_key_verifies_through_its_grace_then_every_process_drops_it(self):
        """`key retire` (exit 0, acknowledged by both): the old key's token still verifies on A and B
        and both still publish the key; within a bounded wait after the grace, with no further
        command, both refuse a token it signed and stop publishing it."""
        old_kid = self.rotate()
        # Signed with the old key after it stopped signing, as a stand-in for a token minted just
        # before the rotation: `token mint --ttl` lets it outlive the grace, so its refusal after
        # the grace shows the key was dropped rather than the token expiring.
        token = self.mint_with(old_kid)
        r = self.cluster.cli("key", "retire", old_kid)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("in force on 2 of 2 serving processes", r.stdout)
        self.assertIn("verify until", r.stdout)
        self.assertTrue(key_list(self.cluster)[old_kid].startswith("retired "))
        for srv in (self.a, self.b):
            self.assertEqual(check(srv, bearer(token))[:3:2], (200, None), srv.port)
            self.assertIn(old_kid, published_kids(srv))
        for srv in (self.a, self.b):
            self.assertTrue(eventually(lambda: old_kid not in published_kids(srv), timeout=10),
                            f"{srv.port} still publishes {old_kid}")
            status, _, reason = check(srv, bearer(token))
            self.assertEqual((status, reason), (401, "kid_unknown"), srv.port)
            self.assertEqual(len(srv.logs("key_dropped")), 1, srv.log_lines)
        self.assertIn("no longer verifies", key_list(self.cluster)[old_kid])  # listed until the next change
        # The next key change removes it from the file.
        self.assertEqual(self.cluster.cli("key", "generate", "--alg", "EdDSA").returncode, 0)
        self.assertNotIn(old_kid, key_list(self.cluster))

    def test_retire_now_drops_the_key_everywhere_when_it_returns(self):
        """`key retire KID --now`: when the command returns, A and B refuse the key's tokens."""
        old_kid = self.rotate()
        token = self.mint_with(old_kid)
        self.assertEqual(check(self.b, bearer(token))[0], 200)
        r = self.cluster.cli("key", "retire", old_kid, "--now")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("in force on 2 of 2 serving processes", r.stdout)
        for srv in (self.a, self.b):
            status, _, reason = check(srv, bearer(token))
            self.assertEqual((status, reason), (401, "kid_unknown"), srv.port)
            self.assertNotIn(old_kid, published_kids(srv))
        self.assertNotIn(old_kid, key_list(self.cluster))

    def test_the_active_key_cannot_be_retired(self):
        """Retiring the signing key is refused (exit 1), with or without --now; nothing changes."""
        active = kid_of(self.tokens(self.a, "ann")["access_token"])
        for extra in ([], ["--now"]):
            r = self.cluster.cli("key", "retire", active, *extra)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("is the active signing key; rotate before retiring it", r.stderr)
        self.assertEqual(key_list(self.cluster), {active: "active (signs and verifies)"})

    def mint_with(self, kid):
        """A 10-minute token for ann signed with `kid` (made the signer for one `token mint` via
        jwt.signing_kid), so it outlives the grace."""
        r = self.cluster.cli("token", "mint", "--sub", "ann", "--ttl", "10m", env={"CLOAKROOM_JWT_SIGNING_KID": kid})
        self.assertEqual(r.returncode, 0, r.stderr)
        token = r.stdout.strip()
        self.assertEqual(kid_of(token), kid)
        return token


class RefusedKeySetTest(ClusterTestCase):
    """A process that refuses a reloaded key set keeps verifying with the set it had, so it does not
    count as holding the new one. B is started pinned to the first key (jwt.signing_kid, as an
    operator might leave one node's configuration after an incident). Once that key is retired in
    the kept set, B refuses every later set ("names a retired key (...) as the signing key") and
    keeps the keys it holds; A and the CLI, without the pin, accept them."""

    def setUp(self):
        self.cluster = Cluster()
        self.addCleanup(self.cluster.close)
        self.a = self.cluster.start()
        self.register(self.a, "ann")
        self.first = kid_of(self.tokens(self.a, "ann")["access_token"])
        self.b = self.cluster.start(env={"CLOAKROOM_JWT_SIGNING_KID": self.first})
        r = self.cluster.cli("key", "rotate")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)  # B takes this set: its pinned key is in it
        self.second = r.stdout.split("now signing with ", 1)[1].split()[0]

    def test_a_key_a_process_refused_is_never_activated(self):
        """`key retire FIRST` is stored but B refuses the set (exit 1, names B, says it refused); the
        next `key rotate` publishes a third key B never loads: it exits 1 naming B, the key stays
        verify-only, A keeps signing with the second key, and B verifies A's new tokens (on main
        the rotation activated the third key and B answered 401 kid_unknown to A's tokens)."""
        retire = self.cluster.cli("key", "retire", self.first)
        rotate = self.cluster.cli("key", "rotate", "--wait", "10s")  # refusal ends the wait at once
        token = self.tokens(self.a, "ann")["access_token"]
        self.assertEqual(check(self.b, bearer(token))[::2], (200, None),
                         f"B refused A's token signed with {kid_of(token)}; rotate said: {rotate.stdout + rotate.stderr}")
        self.assertEqual(kid_of(token), self.second)
        refused = f"(pid {self.b.proc.pid}, "
        why = "refused the new key set (see its log: keys_reload_failed) and still verifies with the keys it had"
        self.assertEqual(retire.returncode, 1, retire.stdout + retire.stderr)
        self.assertIn(refused, retire.stderr)
        self.assertIn(why, retire.stderr)
        self.assertNotIn(f"(pid {self.a.proc.pid}, ", retire.stderr)
        self.assertEqual(rotate.returncode, 1, rotate.stdout + rotate.stderr)
        self.assertIn(refused, rotate.stderr)
        self.assertIn(why, rotate.stderr)
        self.assertIn("was not activated: it stays a verification key and nothing signs with it", rotate.stderr)
        third = rotate.stdout.split("new verification key ", 1)[1].split()[0]
        self.assertNotIn("now signing", rotate.stdout)
        self.assertEqual(key_list(self.cluster)[third], "verifies only")
        self.assertNotIn(third, published_kids(self.b))
        # `key activate` applies the same check later.
        r = self.cluster.cli("key", "activate", third)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(refused, r.stderr)
        self.assertEqual(kid_of(self.tokens(self.a, "ann")["access_token"]), self.second)
        # Seen by an operator: B holds fewer keys and says it refused; its metrics agree.
        self.assertEqual(self.cluster.nodes()[self.b.port][6], "2 refused")
        self.assertEqual(self.cluster.nodes()[self.a.port][6], "3")
        self.assertEqual(self.b.metric("cloakroom_keys_reload_refused"), 1)
        self.assertEqual(self.b.metric("cloakroom_keys_held"), 2)
        self.assertEqual(self.a.metric("cloakroom_keys_reload_refused"), 0)
        # Once per change B refused: the retirement, the rotation's publication, the activate's (an unchanged set, rewritten).
        self.assertEqual(len(self.b.logs("keys_reload_failed")), 3, self.b.log_lines)

    def test_retire_now_is_not_in_force_while_a_process_still_holds_the_key(self):
        """`key retire FIRST --now`: B refuses the set without its pinned key and still verifies (and
        signs) with FIRST, so the command exits 1 naming B instead of reporting it in force."""
        r = self.cluster.cli("key", "retire", self.first, "--now")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("in force on", r.stdout)
        self.assertIn(f"(pid {self.b.proc.pid}, ", r.stderr)
        self.assertIn("refused the new key set (see its log: keys_reload_failed) and still verifies with the keys it "
                      f"had, {self.first} among them", r.stderr)
        self.assertNotIn(f"(pid {self.a.proc.pid}, ", r.stderr)
        self.assertIn(self.first, published_kids(self.b))
        self.assertNotIn(self.first, published_kids(self.a))


if __name__ == "__main__":
    unittest.main()
