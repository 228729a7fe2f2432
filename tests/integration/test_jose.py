"""JWTs end to end: the keys file, JWKS, bearer tokens at /auth/verify, rotation, and interop both ways
with two independent implementations (Node's jose, Python's PyJWT + cryptography)."""
import json
import os
import stat
import subprocess
import tempfile
import unittest

from cloakroom_server import CloakroomServer, eventually, run_cli
from stores import embedded_store_only, private_keys

# Why skipped in scaleout mode: with the users in PostgreSQL the key set is sealed there and no
# keys file is written (test_shared_keys covers that store's own rules).
KEYS_FILE = "the keys file in the data dir is the embedded store's"

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(HERE, "..", "interop")
ALGS = ["HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "EdDSA"]
ISSUER = "http://127.0.0.1:8080"  # the default issuer (fixed while public_url is not set)
AUDIENCE = "cloakroom"


class JoseServerTest(unittest.TestCase):
    def setUp(self):
        self.srv = CloakroomServer().start()
        self.srv.register("alice", "correct horse")
        run_cli(["user", "roles", "alice", "--set", "admin,ops"], self.srv.data_dir)

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def mint(self, *extra):
        r = run_cli(["token", "mint", "--sub", "alice"] + list(extra), self.srv.data_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def verify(self, token, scheme="Bearer"):
        return self.srv.request("GET", "/auth/verify", headers={"Authorization": f"{scheme} {token}"})

    def test_first_start_makes_one_es256_private_key(self):
        """First start makes one ES256 key, with its private member, where the store keeps keys."""
        keys = private_keys(self.srv.data_dir)
        self.assertEqual(len(keys), 1)
        self.assertEqual((keys[0]["kty"], keys[0]["crv"], keys[0]["alg"]), ("EC", "P-256", "ES256"))
        self.assertIn("d", keys[0])

    @embedded_store_only(KEYS_FILE)
    def test_keys_file_is_private(self):
        """The keys file is created mode 0600."""
        path = os.path.join(self.srv.data_dir, "keys.jwks.json")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    @embedded_store_only(KEYS_FILE)
    def test_a_lost_keys_file_is_logged_at_restart(self):
        """A first start is quiet; a start that must generate keys while users exist logs a keys_created warning."""
        self.assertEqual(self.srv.logs("keys_created"), [])
        token = self.mint()
        os.remove(os.path.join(self.srv.data_dir, "keys.jwks.json"))
        self.srv.restart()
        warnings = self.srv.logs("keys_created")
        self.assertEqual(len(warnings), 1, self.srv.log_lines)
        self.assertEqual(warnings[0]["level"], "warn")
        self.assertIn("tokens signed before no longer verify", warnings[0]["detail"])
        self.assertEqual(self.verify(token)[0], 401)  # what the warning is about

    def test_jwks_endpoint_publishes_public_members_only(self):
        """/.well-known/jwks.json lists public keys, cacheable, never private members or HMAC keys."""
        run_cli(["key", "generate", "--alg", "HS256"], self.srv.data_dir)
        run_cli(["key", "generate", "--alg", "RS256"], self.srv.data_dir)

        def published():
            status, headers, body = self.srv.request("GET", "/.well-known/jwks.json")
            return (status, headers, json.loads(body)) if len(json.loads(body)["keys"]) == 2 else None

        result = eventually(published)
        self.assertIsNotNone(result, "the server did not reload the keys file")
        status, headers, jwks = result
        self.assertEqual(status, 200)
        self.assertIn("max-age=", headers["cache-control"])
        for k in jwks["keys"]:
            for private in ("d", "p", "q", "dp", "dq", "qi", "k"):
                self.assertNotIn(private, k)
        self.assertEqual(sorted(k["alg"] for k in jwks["keys"]), ["ES256", "RS256"])

    def test_bearer_token_at_verify_and_me(self):
        """A minted token authenticates /auth/verify (scheme case-insensitive) and /auth/me (mode token)."""
        token = self.mint()
        for scheme in ["Bearer", "bearer", "BEARER"]:
            status, headers, _ = self.verify(token, scheme)
            self.assertEqual(status, 200, scheme)
            self.assertEqual(headers["x-auth-user"], "alice")
            self.assertEqual(headers["x-auth-roles"], "admin,ops")
        status, _, me = self.srv.request("GET", "/auth/me", headers={"Authorization": "Bearer " + token})
        self.assertEqual(status, 200)
        self.assertEqual(me["auth"]["mode"], "token")
        self.assertNotIn("session_id", me["auth"])

    def test_bad_tokens_are_401_and_never_read_from_the_query(self):
        """Tampered, garbage and query-string tokens get 401; a 64 KiB token gets 431 and a clean close."""
        token = self.mint()
        self.assertEqual(self.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))[0], 401)
        self.assertEqual(self.verify("garbage")[0], 401)
        self.assertEqual(self.srv.request("GET", "/auth/verify?access_token=" + token)[0], 401)
        out = self.srv.raw(b"GET /auth/verify HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + b"a" * 65536 + b"\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 431"), out[:100])
        big = "a" * 5000 + "." + "b" * 100 + "." + "c" * 100
        self.assertEqual(self.verify(big)[0], 401)

    def test_rotation_and_retirement_reach_the_running_server(self):
        """After `key rotate` old and new tokens verify; after `key retire` too (its grace is the
        access-token lifetime); after `key retire --now`, the old key's tokens fail."""
        old_token = self.mint()
        old_kid = json.loads(run_cli(["token", "inspect", old_token], self.srv.data_dir).stdout.split("header: ", 1)[1]
                             .split("\npayload:")[0])["kid"]
        self.assertEqual(run_cli(["key", "rotate"], self.srv.data_dir).returncode, 0)
        new_token = self.mint()
        self.assertTrue(eventually(lambda: self.verify(new_token)[0] == 200))
        self.assertEqual(self.verify(old_token)[0], 200)
        self.assertEqual(run_cli(["key", "retire", old_kid], self.srv.data_dir).returncode, 0)
        self.assertEqual(self.verify(old_token)[0], 200)
        self.assertEqual(run_cli(["key", "retire", old_kid, "--now"], self.srv.data_dir).returncode, 0)
        self.assertEqual(self.verify(old_token)[0], 401)  # the CLI returned once the server had dropped it
        self.assertEqual(self.verify(new_token)[0], 200)
        r = run_cli(["key", "retire", json.loads(self.srv.request("GET", "/.well-known/jwks.json")[2])["keys"][0]["kid"]],
                    self.srv.data_dir)
        self.assertEqual(r.returncode, 1, "the active key cannot be retired")

    def test_disabling_a_user_fails_their_access_tokens_at_once(self):
        """`user disable` makes the user's bearer tokens fail within a second; `enable` restores them."""
        token = self.mint()
        self.assertEqual(self.verify(token)[0], 200)
        self.assertEqual(run_cli(["user", "disable", "alice"], self.srv.data_dir).returncode, 0)
        self.assertTrue(eventually(lambda: self.verify(token)[0] == 401))
        self.assertEqual(run_cli(["user", "enable", "alice"], self.srv.data_dir).returncode, 0)
        self.assertTrue(eventually(lambda: self.verify(token)[0] == 200))

    def test_cli_token_commands(self):
        """inspect says the payload is readable by anyone; verify exits 0 or 1 with the reason."""
        token = self.mint("--ttl", "1m", "--claim", "team=blue")
        inspect = run_cli(["token", "inspect", token], self.srv.data_dir)
        self.assertEqual(inspect.returncode, 0)
        self.assertIn("NOT VERIFIED", inspect.stdout)
        self.assertIn("anyone", inspect.stdout)
        self.assertIn('"team": "blue"', inspect.stdout)
        self.assertEqual(run_cli(["token", "verify", token], self.srv.data_dir).returncode, 0)
        bad = run_cli(["token", "verify", token[:-4] + "AAAA"], self.srv.data_dir)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("signature", bad.stderr)
        self.assertEqual(run_cli(["token", "mint", "--sub", "nobody"], self.srv.data_dir).returncode, 1)
        self.assertEqual(run_cli(["token", "mint", "--sub", "alice", "--claim", "sub=root"], self.srv.data_dir).returncode, 2)
        stdin = run_cli(["token", "verify", "-"], self.srv.data_dir, stdin=token + "\n")
        self.assertEqual(stdin.returncode, 0, stdin.stderr)


class InteropTest(unittest.TestCase):
    """Tokens we mint verify in Node's jose and PyJWT; tokens they mint with our keys verify here."""

    @classmethod
    def setUpClass(cls):
        node_dir = os.path.join(INTEROP, "node")
        if not os.path.isdir(os.path.join(node_dir, "node_modules", "jose")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=node_dir, check=True, timeout=240)
        cls.srv = CloakroomServer().start()
        cls.srv.register("alice", "correct horse")
        data = cls.srv.data_dir
        cls.tokens = {}
        for alg in ALGS:  # one signing key per algorithm; older ones stay for verification
            r = run_cli(["key", "generate", "--alg", alg, "--activate"], data)
            assert r.returncode == 0, r.stderr
            r = run_cli(["token", "mint", "--sub", "alice"], data)
            assert r.returncode == 0, r.stderr
            cls.tokens[alg] = r.stdout.strip()
        # The server reloads the keys within a second; wait until it publishes every key.
        expected = 1 + sum(1 for a in ALGS if not a.startswith("HS"))
        assert eventually(lambda: len(json.loads(cls.srv.request("GET", "/.well-known/jwks.json")[2])["keys"]) == expected)
        cls.keys = [k for k in private_keys(data) if k["alg"] in ALGS]
        # The peers' key files, in a directory of their own: a server on shared stores makes no data dir.
        cls.peer_dir = tempfile.TemporaryDirectory(prefix="cloakroom-interop-")
        # Verification keys for the peers: public members for asymmetric keys, the secret for HMAC keys.
        cls.verify_jwks = os.path.join(cls.peer_dir.name, "peer-verify.json")
        public = []
        for k in cls.keys:
            if k["kty"] == "oct":
                public.append(k)
            else:
                public.append({m: v for m, v in k.items() if m not in ("d", "p", "q", "dp", "dq", "qi")})
        with open(cls.verify_jwks, "w") as f:
            json.dump({"keys": public}, f)
        os.chmod(cls.verify_jwks, 0o600)
        cls.sign_jwks = os.path.join(cls.peer_dir.name, "peer-sign.json")
        seen, signers = set(), []
        for k in cls.keys:  # one key per algorithm for the peers to sign with
            if k["alg"] not in seen:
                seen.add(k["alg"])
                signers.append(k)
        with open(cls.sign_jwks, "w") as f:
            json.dump({"keys": signers}, f)
        os.chmod(cls.sign_jwks, 0o600)

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)
        cls.peer_dir.cleanup()

    def peer(self, argv):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip().splitlines()

    def node(self, *args):
        return self.peer(["node", os.path.join(INTEROP, "node", "interop.mjs")] + list(args))

    def python(self, *args):
        return self.peer(["/usr/bin/python3", os.path.join(INTEROP, "python_interop.py")] + list(args))

    def check_ours_verify_there(self, peer):
        tokens = [self.tokens[a] for a in ALGS]
        lines = peer("verify", self.verify_jwks, ISSUER, AUDIENCE, *tokens)
        self.assertEqual(lines, [f"ok {a}" for a in ALGS])

    def check_theirs_verify_here(self, peer):
        lines = peer("sign", self.sign_jwks, ISSUER, AUDIENCE, "peer-user")
        algs = set()
        for line in lines:
            alg, token = line.split(" ", 1)
            algs.add(alg)
            r = run_cli(["token", "verify", token], self.srv.data_dir)
            self.assertEqual(r.returncode, 0, f"{alg}: {r.stderr}")
            status, headers, _ = self.srv.request("GET", "/auth/verify", headers={"Authorization": "Bearer " + token})
            self.assertEqual(status, 200, alg)
            self.assertEqual(headers["x-auth-user"], "interop")
        self.assertEqual(algs, set(ALGS))

    def test_node_jose_verifies_our_tokens(self):
        """Node's jose verifies a token we minted with each algorithm."""
        self.check_ours_verify_there(self.node)

    def test_our_server_verifies_node_jose_tokens(self):
        """Tokens Node's jose signs with our keys (every algorithm) verify in cloakroom."""
        self.check_theirs_verify_here(self.node)

    def test_pyjwt_verifies_our_tokens(self):
        """PyJWT (with cryptography) verifies a token we minted with each algorithm."""
        self.check_ours_verify_there(self.python)

    def test_our_server_verifies_pyjwt_tokens(self):
        """Tokens PyJWT signs with our keys (every algorithm) verify in cloakroom."""
        self.check_theirs_verify_here(self.python)


if __name__ == "__main__":
    unittest.main()


class IdentityTokenTest(unittest.TestCase):
    def test_verify_returns_an_identity_token_upstreams_can_check_offline(self):
        """With forward_auth.identity_token, /auth/verify adds X-Auth-Token: a JWT for aud "upstream"
        that PyJWT verifies against our JWKS, and that cloakroom itself refuses as an access token."""
        with CloakroomServer(env={"CLOAKROOM_FORWARD_AUTH_IDENTITY_TOKEN": "true"}) as srv:
            srv.register("alice", "correct horse")
            _, body = srv.login("alice", "correct horse", transport="body")[1:]
            session = {"X-Session-ID": body["session_token"]}
            status, headers, _ = srv.request("GET", "/auth/verify", headers=session)
            self.assertEqual(status, 200)
            token = headers["x-auth-token"]
            # Reused while fresh: a busy user does not cost a signature per request.
            self.assertEqual(srv.request("GET", "/auth/verify", headers=session)[1]["x-auth-token"], token)
            with tempfile.TemporaryDirectory(prefix="cloakroom-interop-") as scratch:
                jwks = os.path.join(scratch, "published.json")
                with open(jwks, "w") as f:
                    f.write(srv.request("GET", "/.well-known/jwks.json")[2])
                r = subprocess.run(["/usr/bin/python3", os.path.join(INTEROP, "python_interop.py"), "verify", jwks,
                                    ISSUER, "upstream", token], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.stdout.strip(), "ok ES256", r.stderr)
            status, _, _ = srv.request("GET", "/auth/verify", headers={"Authorization": "Bearer " + token})
            self.assertEqual(status, 401)

    def test_identity_audience_must_differ_from_access_audience(self):
        """An identity audience equal to jwt.audience would make identity tokens access tokens: refused."""
        with tempfile.TemporaryDirectory() as data:
            r = run_cli(["serve"], data, env={"CLOAKROOM_FORWARD_AUTH_IDENTITY_AUDIENCE": "cloakroom"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("forward_auth.identity_audience", r.stderr)
