"""The command line: user management on the server's data, exit codes 0/1/2, one clear sentence on stderr."""
import os
import re
import tempfile
import unittest

import stores
from cloakroom_server import CloakroomServer, run_cli


class CliTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="cloakroom-cli-")
        self.data = os.path.join(self._tmp.name, "data")

    def tearDown(self):
        self._tmp.cleanup()

    def cli(self, *args, stdin=None, env=None):
        return run_cli(list(args), self.data, stdin=stdin, env=env)

    def assert_one_sentence(self, result, code):
        self.assertEqual(result.returncode, code, result.stderr)
        # The one log line a command may add: a fresh PostgreSQL database (scaleout mode) is migrated,
        # and logged, by whichever process opens it first.
        lines = [line for line in result.stderr.strip().splitlines() if '"event":"postgres_migrated"' not in line]
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("cloakroom: "), lines[0])
        self.assertTrue(lines[0].endswith("."), lines[0])

    def test_user_lifecycle(self):
        """add, list, roles, disable, enable and passwd act on the same data the server uses."""
        r = self.cli("user", "add", "alice", "--role", "admin", "--role", "ops", "--password-stdin", stdin="correct horse\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("created user alice", r.stdout)
        listing = self.cli("user", "list")
        self.assertEqual(listing.returncode, 0)
        self.assertIn("alice", listing.stdout)
        self.assertIn("admin,ops", listing.stdout)
        self.assertIn("active", listing.stdout)
        self.assertEqual(self.cli("user", "roles", "alice", "--set", "viewer").returncode, 0)
        self.assertEqual(self.cli("user", "disable", "alice").returncode, 0)
        listing = self.cli("user", "list").stdout
        self.assertIn("disabled", listing)
        self.assertIn("viewer", listing)
        self.assertNotIn("admin", listing)
        self.assertEqual(self.cli("user", "enable", "alice").returncode, 0)
        self.assertEqual(self.cli("user", "passwd", "alice", "--password-stdin", stdin="new password\n").returncode, 0)
        with CloakroomServer(data_dir=self.data) as srv:
            self.assertEqual(srv.login("alice", "correct horse")[0], 401)
            status, _, body = srv.login("alice", "new password")
            self.assertEqual(status, 200)
            self.assertEqual(body["user"]["roles"], ["viewer"])

    def test_global_flags_before_or_after(self):
        """--data-dir works before and after the subcommand."""
        self.cli("user", "add", "bob", "--password-stdin", stdin="correct horse\n")
        before = run_cli(["--data-dir", self.data, "user", "list"], None)
        after = self.cli("user", "list")
        self.assertEqual(before.returncode, 0)
        self.assertEqual(before.stdout, after.stdout)

    def test_answers_that_are_no_exit_1(self):
        """Unknown users and taken names exit 1 with one sentence."""
        self.assert_one_sentence(self.cli("user", "disable", "nobody"), 1)
        self.cli("user", "add", "carol", "--password-stdin", stdin="correct horse\n")
        self.assert_one_sentence(self.cli("user", "add", "carol", "--password-stdin", stdin="correct horse\n"), 1)

    def test_usage_errors_exit_2(self):
        """Bad commands, options and values exit 2 with one sentence."""
        self.assert_one_sentence(self.cli("frobnicate"), 2)
        self.assert_one_sentence(self.cli("user"), 2)
        self.assert_one_sentence(self.cli("user", "list", "--bogus", "x"), 2)
        self.assert_one_sentence(self.cli("user", "add", "dave", "--password-stdin", stdin="short\n"), 2)
        self.assert_one_sentence(self.cli("user", "add", "", "--password-stdin", stdin="correct horse\n"), 2)
        self.assert_one_sentence(self.cli("user", "add", "eve", "--role", "bad role", "--password-stdin",
                                          stdin="correct horse\n"), 2)
        self.assert_one_sentence(self.cli("user", "add", "frank"), 2)  # stdin is not a terminal
        self.assert_one_sentence(self.cli("serve", "--listen"), 2)
        unknown = self.cli("user", "frobnicate", "x")
        self.assert_one_sentence(unknown, 2)
        self.assertIn('unknown command "user frobnicate"', unknown.stderr)  # not a usage line for a made-up verb

    def test_config_errors_name_the_key_and_exit_2(self):
        """An unknown key, a bad value or an unknown CLOAKROOM_ variable stops startup naming it."""
        cfg = os.path.join(self._tmp.name, "bad.toml")
        with open(cfg, "w") as f:
            f.write("[session]\nidle_timout = \"5m\"\n")
        r = self.cli("serve", "--config", cfg)
        self.assert_one_sentence(r, 2)
        self.assertIn("session.idle_timout", r.stderr)
        with open(cfg, "w") as f:
            f.write("[http]\nmax_body_bytes = \"big\"\n")
        r = self.cli("serve", "--config", cfg)
        self.assert_one_sentence(r, 2)
        self.assertIn("http.max_body_bytes", r.stderr)
        r = self.cli("serve", env={"CLOAKROOM_SESION_IDLE_TIMEOUT": "5m"})
        self.assert_one_sentence(r, 2)
        self.assertIn("CLOAKROOM_SESION_IDLE_TIMEOUT", r.stderr)
        r = self.cli("serve", env={"CLOAKROOM_LISTEN": "nowhere"})
        self.assert_one_sentence(r, 2)
        self.assertIn("listen", r.stderr)
        self.assert_one_sentence(self.cli("serve", "--config", "/nonexistent.toml"), 2)

    def test_a_signing_kid_naming_no_key_is_a_config_error(self):
        """jwt.signing_kid naming no key stops serve and token mint with exit 2 and one sentence, like
        every other config error (serve used to exit 1)."""
        self.cli("user", "add", "alice", "--password-stdin", stdin="correct horse\n")
        self.assertEqual(self.cli("key", "list").returncode, 0)  # creates the keys file
        keys = os.path.join(self.data, "keys.jwks.json")
        for args in (["serve", "--listen", "127.0.0.1:0"], ["token", "mint", "--sub", "alice"]):
            with self.subTest(command=args[0]):
                r = self.cli(*args, env={"CLOAKROOM_JWT_SIGNING_KID": "nope"})
                self.assert_one_sentence(r, 2)
                # The keys file, or the key set in PostgreSQL when the users live there.
                where = f"The keys file {keys}" if stores.STORES == "sqlite" else "The key set in postgres:"
                self.assertRegex(r.stderr.strip(),
                                 "^cloakroom: " + re.escape(where) + r'.* has no key with kid "nope" \(jwt\.signing_kid\)\.$')

    def test_public_url_flag_is_checked_like_the_key(self):
        """--public-url is serve's; a value that is no origin exits 2 naming the flag."""
        r = self.cli("serve", "--public-url", "auth.example.com")
        self.assert_one_sentence(r, 2)
        self.assertIn("Config key public_url (flag --public-url) must be an http:// or https:// URL", r.stderr)
        self.assert_one_sentence(self.cli("user", "list", "--public-url", "https://x"), 2)  # not a user option

    def test_port_in_use_is_one_sentence(self):
        """A port another server already listens on exits 1 with one sentence (no silent port sharing)."""
        with CloakroomServer() as srv:
            r = self.cli("serve", "--listen", f"127.0.0.1:{srv.port}")
            self.assert_one_sentence(r, 1)
            self.assertIn("in use", r.stderr)
        self.assert_one_sentence(self.cli("serve", "--listen", "127.0.0.1:99999"), 2)

    def test_password_calibrate(self):
        """calibrate prints a [password] section with the iterations for the target time."""
        r = run_cli(["password", "calibrate", "--target", "30ms", "--memory-kib", "1024"], None)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[password]", r.stdout)
        self.assertIn("memory_kib = 1024", r.stdout)
        self.assertRegex(r.stdout, r"iterations = \d+")
        self.assert_one_sentence(run_cli(["password", "calibrate", "--target", "soon"], None), 2)

    def test_help_and_version(self):
        """--help exits 0 and lists the commands."""
        r = run_cli(["--help"], None)
        self.assertEqual(r.returncode, 0)
        self.assertIn("user add", r.stdout)
        self.assertEqual(run_cli(["version"], None).returncode, 0)


if __name__ == "__main__":
    unittest.main()
