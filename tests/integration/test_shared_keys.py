"""Signing keys shared by every node: three serve processes, each with a data dir of its own, on one
PostgreSQL (users, and the signing key set sealed under the key-encryption key) and one Redis
(sessions, node registry). A token minted on any node verifies on every other and JWKS is
byte-identical; a rotation under load is never refused anywhere; a node without the key-encryption
key, or with another one, refuses to start and makes no key set of its own; and the database holds
no private key material in the clear (a pg_dump, scanned for every private member of every key,
which the test reads by opening the sealed set itself with libsodium and the key-encryption key).
A rotation of the key-encryption key itself (new key as current, old as previous, `key rewrap`, old key
dropped) keeps every token and TOTP login working.
One PostgreSQL 15 server for the whole file (tests/support/postgres_server.py)."""
import itertools
import json
import os
import re
import tempfile
import threading
import unittest

from cloakroom_server import CloakroomServer, eventually, run_cli
from postgres_server import PostgresServer
from redis_server import RedisServer
from stores import TEST_KEK, b64url_decode, open_sealed
from test_keys import Load, kid_of
from test_multi_process import PASSWORD, bearer
from totp_codes import Codes

KEK_TEXT = TEST_KEK
OTHER_KEK_TEXT = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
THIRD_KEK_TEXT = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc"
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")

pg = None
_names = itertools.count(1)


def setUpModule():
    global pg
    pg = PostgresServer().start()


def tearDownModule():
    pg.destroy()


class SharedKeysTest(unittest.TestCase):
    def setUp(self):
        self.db = f"keys_{next(_names)}"
        url = pg.create_database(self.db)
        self.redis = RedisServer().start()
        self.addCleanup(self.redis.__exit__, None, None, None)
        self.scratch = tempfile.TemporaryDirectory(prefix="cloakroom-keys-")
        self.addCleanup(self.scratch.cleanup)
        # The 100 ms poll widens the moment at which each node applies a key change (see test_keys.py).
        self.env = {"CLOAKROOM_STORE_USERS": url, "CLOAKROOM_STORE_SESSIONS": self.redis.url("it:"),
                    "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY": KEK_TEXT, "CLOAKROOM_FEED_POLL_INTERVAL": "100ms"}

    def node(self, **env):
        """A serve process with a data dir of its own (nothing shared on disk), not started."""
        srv = CloakroomServer(env=dict(self.env, **env))
        self.addCleanup(srv.__exit__, None, None, None)
        return srv

    def start_nodes(self, n):
        """n nodes started at once: they race to make the first key set."""
        nodes = [self.node() for _ in range(n)]
        errors = []

        def start(srv):
            try:
                srv.start()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=start, args=(srv,)) for srv in nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        return nodes

    def cli(self, *args, **env):
        """The CLI from a data dir of its own too: it reaches the keys through PostgreSQL only."""
        return run_cli(list(args), os.path.join(self.scratch.name, "cli"), env=dict(self.env, **env))

    def jwks(self, srv):
        status, _, body = srv.request("GET", "/.well-known/jwks.json")
        self.assertEqual(status, 200)
        return body if isinstance(body, str) else json.dumps(body)

    def stored(self):
        """(version, sealed bytes) of the key set row."""
        row = pg.sql("SELECT version || ' ' || encode(sealed, 'hex') FROM cloakroom_signing_keys", self.db)
        version, hexed = row.split()
        return int(version), bytes.fromhex(hexed)

    def test_tokens_minted_on_each_node_verify_on_every_other_and_jwks_is_identical(self):
        """Three nodes started at once agree on one key set (one row, version 1, none of them keeps a
        keys file); JWKS is byte-identical on all three; an access token minted on each verifies on
        every node."""
        nodes = self.start_nodes(3)
        self.assertEqual(pg.sql("SELECT count(*) FROM cloakroom_signing_keys", self.db), "1")
        self.assertEqual(self.stored()[0], 1)
        for srv in nodes:
            self.assertFalse(os.path.exists(os.path.join(srv.data_dir, "keys.jwks.json")))
        published = {self.jwks(srv) for srv in nodes}
        self.assertEqual(len(published), 1, published)
        self.assertEqual(nodes[0].register("ann", PASSWORD)[0], 201)
        for minting in nodes:
            status, _, body = minting.login("ann", PASSWORD, mode="token", transport="body")
            self.assertEqual(status, 200, body)
            for checking in nodes:
                status, _, _ = checking.request("GET", "/auth/verify", headers=bearer(body["access_token"]))
                self.assertEqual(status, 200, f"minted on {minting.port}, checked on {checking.port}")

    def test_rotation_under_load_is_never_refused_on_another_node(self):
        """Each node mints tokens (login, then refresh after refresh) and the next node checks them,
        while the CLI rotates twice and activates a new EdDSA key: zero refusals, each new key signed on
        every node, JWKS identical again afterwards. Then `key retire --now` of the first key: every
        node refuses a token it signed when the command returns."""
        a, b, c = self.start_nodes(3)
        for name in ("ann", "bob", "cy"):
            self.assertEqual(a.register(name, PASSWORD)[0], 201)
        first = a.login("ann", PASSWORD, mode="token", transport="body")[2]["access_token"]
        pairs = [(a, b, "ann"), (b, c, "bob"), (c, a, "cy")]
        new_kids = []
        with Load(pairs) as load:
            self.assertTrue(eventually(lambda: load.rounds() >= 10 or load.errors, timeout=20), "load did not start")
            # --wait 10s: the 2 s default is a production bound; under CI load a PostgreSQL round
            # trip can take longer, and this test is about zero refusals, not the bound.
            for command in (["key", "rotate"], ["key", "rotate"], ["key", "generate", "--alg", "EdDSA", "--activate"]):
                r = self.cli(*command, "--wait", "10s")
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertEqual(r.stdout.count("in force on 3 of 3 serving processes"), 2, r.stdout)
                new_kids.append(r.stdout.split("now signing with ", 1)[1].split()[0])
                before = load.rounds()
                self.assertTrue(eventually(lambda: load.rounds() >= before + 5 or load.errors, timeout=20))
        self.assertEqual(load.errors, [])
        for (minting, checking, _), seen in load.seen.items():
            refused = [(kid, status) for kid, status, _ in seen if status != 200]
            print(f"\n  minted on {minting.port}, checked on {checking.port}: {len(seen)} tokens, "
                  f"{len(refused)} refused", flush=True)
            self.assertEqual(len(refused), 0, f"{refused[:3]}")
            signed_with = {kid for kid, _, _ in seen}
            for kid in new_kids:
                self.assertIn(kid, signed_with, f"{minting.port} never signed with {kid}")
        self.assertEqual(len({self.jwks(srv) for srv in (a, b, c)}), 1)
        self.assertEqual(self.stored()[0], 1 + 2 * 3)  # each rotation: publish, then activate

        r = self.cli("key", "retire", kid_of(first), "--now", "--wait", "10s")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("in force on 3 of 3 serving processes", r.stdout)
        for srv in (a, b, c):
            self.assertEqual(srv.request("GET", "/auth/verify", headers=bearer(first))[0], 401)
        self.assertNotIn(kid_of(first), key_list_of(self.cli("key", "list")))

    def test_a_node_without_or_with_another_kek_refuses_to_start(self):
        """Once a key set is stored, a node without the key-encryption key, or with another one,
        exits 2 with one sentence like any configuration error (and like `key list`), and the stored
        set is untouched (no set of its own)."""
        (a,) = self.start_nodes(1)
        before = self.stored()
        data = os.path.join(self.scratch.name, "late")
        env = {k: v for k, v in self.env.items() if k != "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY"}
        name = pg.url(self.db).split("@", 1)[1]
        host_port, db = name.split("/", 1)
        where = f"postgres:{host_port}/{db}"
        for kek, sentence in (
                (None, f"cloakroom: The signing keys in {where} are kept encrypted for every node, so this node needs "
                       "the key-encryption key: set jwt.key_encryption_key_file or CLOAKROOM_JWT_KEY_ENCRYPTION_KEY, "
                       "the same on every node."),
                (OTHER_KEK_TEXT, f"cloakroom: The key set in {where} was sealed under another key-encryption key "
                                 "than this node's; give every node the same one (jwt.key_encryption_key_file or "
                                 "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY).")):
            with self.subTest(kek="none" if kek is None else "another"):
                run_env = dict(env, **({"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY": kek} if kek else {}))
                r = run_cli(["serve", "--listen", "127.0.0.1:0"], data, env=run_env)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stderr.strip().splitlines()[-1], sentence)
                self.assertNotIn(KEK_TEXT, r.stderr)
                self.assertEqual(self.stored(), before)
        r = run_cli(["key", "list"], data, env=env)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(self.stored(), before)
        self.assertEqual(a.request("GET", "/healthz")[0], 200)

    def test_the_database_holds_no_private_key_in_the_clear(self):
        """After keys of every kind were made and rotated (ES256, RS256, EdDSA, HS256), a pg_dump of
        the database contains none of their private members, as base64url text or as hex bytes. The
        sealed row does open with the key-encryption key (libsodium, outside cloakroom) and holds
        exactly the keys the nodes publish, so the scan looked for the real thing."""
        (a,) = self.start_nodes(1)
        self.assertEqual(a.register("ann", PASSWORD)[0], 201)
        for command in (["key", "generate", "--alg", "RS256"], ["key", "generate", "--alg", "HS256"],
                        ["key", "generate", "--alg", "EdDSA", "--activate"], ["key", "rotate"]):
            r = self.cli(*command)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        dump = pg.dump(self.db)
        self.assertIn("cloakroom_signing_keys", dump)
        self.assertIn("ann", dump)  # the dump has the data, not just the schema
        _, sealed = self.stored()
        keys = open_sealed(sealed, KEK_TEXT)["keys"]
        self.assertEqual(sorted(k["alg"] for k in keys), ["ES256", "EdDSA", "EdDSA", "HS256", "RS256"])
        published = {k["kid"] for k in json.loads(self.jwks(a))["keys"]}
        self.assertEqual(published, {k["kid"] for k in keys if k["kty"] != "oct"})
        secrets = [k[m] for k in keys for m in PRIVATE_MEMBERS if m in k and (m != "k" or k["kty"] == "oct")]
        self.assertGreaterEqual(len(secrets), 4 + 6)  # d of ES256 and two EdDSA, RSA's six, HS256's k
        lowered = dump.lower()
        for secret in secrets:
            self.assertNotIn(secret, dump)
            self.assertNotIn(secret.encode().hex(), lowered)
            self.assertNotIn(b64url_decode(secret).hex(), lowered)
        # Nor does anything else in the database open with another key.
        with self.assertRaises(AssertionError):
            open_sealed(sealed, OTHER_KEK_TEXT)

    def test_rotating_the_kek_keeps_tokens_and_totp_logins_working(self):
        """Users enrolled in TOTP and the key set sealed under KEK1; a node given KEK2 alone refuses to
        start (one sentence). Both nodes restarted, one after the other, with KEK2 as current and KEK1 as
        previous: the earlier access token and TOTP logins still work. `key rewrap` reseals the key set
        (through its update: a new version, which opens with KEK2 only) and both TOTP secrets; run again,
        it has nothing to do. Restarted with KEK2 only: still working. A rewrap with a key that opens
        nothing exits 1 naming what, and changes nothing."""
        a, b = self.start_nodes(2)
        for name in ("ann", "bob", "cid"):
            self.assertEqual(a.register(name, PASSWORD)[0], 201)
        codes = {name: enrol_totp(a, name) for name in ("ann", "bob")}
        status, _, body = b.login("cid", PASSWORD, mode="token", transport="body")
        self.assertEqual(status, 200, body)
        token = body["access_token"]
        before = self.stored()

        env = {k: v for k, v in self.env.items() if k != "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY"}
        r = run_cli(["serve", "--listen", "127.0.0.1:0"], os.path.join(self.scratch.name, "early"),
                    env=dict(env, CLOAKROOM_JWT_KEY_ENCRYPTION_KEY=OTHER_KEK_TEXT))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr.strip().splitlines()[-1],
                         r"^cloakroom: The key set in postgres:\S+ was sealed under another key-encryption key than "
                         r"this node's; give every node the same one \(jwt.key_encryption_key_file or "
                         r"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY\)\.$")

        rotating = {"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY": OTHER_KEK_TEXT,
                    "CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY": KEK_TEXT}
        for srv in (a, b):  # a rolling restart
            srv.env.update(rotating)
            srv.restart()
        self.assertEqual(self.stored(), before)  # starting reseals nothing
        for srv in (a, b):
            self.assertEqual(srv.request("GET", "/auth/verify", headers=bearer(token))[0], 200)
        self.assertEqual(totp_login(a, "ann", codes["ann"])[0], 200)
        self.assertEqual(totp_login(b, "bob", codes["bob"])[0], 200)

        r = self.cli("key", "rewrap", **rotating)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "resealed 1 key set and 2 TOTP secrets; 0 left under the previous key")
        version, sealed = self.stored()
        self.assertEqual(version, before[0] + 1)
        self.assertEqual(open_sealed(sealed, OTHER_KEK_TEXT), open_sealed(before[1], KEK_TEXT))
        with self.assertRaises(AssertionError):
            open_sealed(sealed, KEK_TEXT)
        r = self.cli("key", "rewrap", **rotating)
        self.assertEqual((r.returncode, r.stdout.splitlines()[0]),
                         (0, "resealed 0 key sets and 0 TOTP secrets; 0 left under the previous key"), r.stderr)
        self.assertEqual(self.stored()[0], version)

        for srv in (a, b):
            del srv.env["CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY"]
            srv.restart()
            self.assertEqual(srv.request("GET", "/auth/verify", headers=bearer(token))[0], 200)
        self.assertEqual(totp_login(b, "ann", codes["ann"])[0], 200)
        self.assertEqual(totp_login(a, "bob", codes["bob"])[0], 200)

        r = self.cli("key", "rewrap", CLOAKROOM_JWT_KEY_ENCRYPTION_KEY=THIRD_KEK_TEXT,
                     CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY=KEK_TEXT)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = [line for line in r.stderr.splitlines() if not line.startswith("{")]  # the audit line aside
        self.assertEqual(len(lines), 2, r.stderr)
        self.assertRegex(lines[0], r"^cloakroom: The key set in postgres:\S+ was sealed under another key-encryption key")
        self.assertRegex(lines[1], r"^cloakroom: The TOTP secret of 2 users \(id \S+, \S+\) opens under neither the "
                                   r"current nor the previous key-encryption key, so it was left as it is")
        self.assertEqual(self.stored()[0], version)
        for text in (KEK_TEXT, OTHER_KEK_TEXT, THIRD_KEK_TEXT):
            self.assertNotIn(text, r.stdout + r.stderr)


def enrol_totp(srv, username):
    """TOTP on for `username` (password PASSWORD); returns its Codes."""
    status, headers, body = srv.login(username, PASSWORD)
    assert status == 200, body
    h = {"Cookie": "__Host-sid=" + re.search(r"__Host-sid=([^;]+)", headers["set-cookie"]).group(1),
         "Origin": srv.public_url}
    status, _, body = srv.request("POST", "/auth/totp/enroll", headers=h)
    assert status == 200, body
    codes = Codes(body["secret"])
    status, _, body = srv.request("POST", "/auth/totp/confirm", {"code": codes.next()}, headers=h)
    assert status == 200, body
    return codes


def totp_login(srv, username, codes):
    """Password, then the next code: (status, body) of the second step."""
    status, _, answer = srv.request("POST", "/auth/login", {"username": username, "password": PASSWORD})
    assert (status, answer.get("error")) == (401, "second_factor_required"), answer
    status, _, body = srv.request("POST", "/auth/login/second-factor",
                                  {"challenge": answer["challenge"], "code": codes.next()})
    return status, body


def key_list_of(result):
    assert result.returncode == 0, result.stderr
    return {line.split()[0] for line in result.stdout.splitlines()[1:]}


if __name__ == "__main__":
    unittest.main()
