"""The command line: user management on the server's data, exit codes 0/1/2, one clear sentence on stderr."""
import os
import re
import tempfile
import unittest

import stores
from cloakroom_server import CloakroomServer, run_cli

SOURCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


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
        # A help word eaten as an option's value asks for no help: the line is checked in full
        # and nothing changes (this once ran `user roles` without --set and cleared the roles).
        self.cli("user", "add", "erin", "--role", "admin", "--password-stdin", stdin="correct horse\n")
        self.assert_one_sentence(self.cli("user", "roles", "erin", "--wait", "-h"), 2)
        self.assertRegex(self.cli("user", "list").stdout, r"erin\s+active\s+\S+\s+admin")
        # A bad --wait is refused before the change is written, not after.
        self.assert_one_sentence(self.cli("user", "roles", "erin", "--set", "viewer", "--wait", "soon"), 2)
        self.assertRegex(self.cli("user", "list").stdout, r"erin\s+active\s+\S+\s+admin")
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

    def test_a_clamped_timeout_is_one_warning_line(self):
        """A timeout another key bounds (remember_idle_timeout under idle_timeout) is not clamped
        silently: `config check` prints one warning line on stderr and still exits 0, `serve` logs
        config_value_clamped with the key, the value given and the value used."""
        env = {"CLOAKROOM_SESSION_REMEMBER_IDLE_TIMEOUT": "10m"}
        r = self.cli("config", "check", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, 'cloakroom: warning: session.remember_idle_timeout = "10m" is used as "30m": '
                                   'it is shorter than session.idle_timeout (a remembered session never ends sooner '
                                   'than another).\n')
        self.assertIn('remember_idle_timeout = "10m"', r.stdout)  # the settings as given
        self.assertEqual(self.cli("config", "check").stderr, "")
        with CloakroomServer(env=env) as srv:
            warned = srv.logs("config_value_clamped")
            self.assertEqual([(w["level"], w["key"], w["given"], w["used"]) for w in warned],
                             [("warn", "session.remember_idle_timeout", "10m", "30m")])

    def test_audit_file_rules_are_the_same_for_config_check_serve_and_the_cli(self):
        """log.audit naming a symbolic link, a directory or another user's file: config check (which used to
        accept them), serve and a CLI command all refuse it with the same sentence and exit 2."""
        target = os.path.join(self._tmp.name, "target.log")
        with open(target, "w"):
            pass
        link = os.path.join(self._tmp.name, "audit-link.log")
        os.symlink(target, link)
        cases = [(link, f"log.audit: {link} is a symbolic link; name the file itself."),
                 (self._tmp.name, f"log.audit: {self._tmp.name} is not a regular file.")]
        shared = os.path.join(self._tmp.name, "shared.log")
        with open(shared, "w"):
            pass
        os.chmod(shared, 0o666)  # anyone could forge or erase the record
        cases.append((shared, f"log.audit: {shared} can be written by other users (mode 666); chmod go-w it or "
                              "name another file."))
        if os.geteuid() == 0:
            theirs = os.path.join(self._tmp.name, "theirs.log")
            with open(theirs, "w"):
                pass
            os.chown(theirs, 65534, 65534)
            cases.append((theirs, f"log.audit: {theirs} belongs to uid 65534, not to uid 0 that cloakroom writes it "
                                  "as; give it to that user or name another file."))
        for path, sentence in cases:
            for args in (["config", "check"], ["serve", "--listen", "127.0.0.1:0"], ["user", "list"]):
                with self.subTest(path=path, command=args[0]):
                    r = self.cli(*args, env={"CLOAKROOM_LOG_AUDIT": path})
                    self.assert_one_sentence(r, 2)
                    # The last line: on Redis + PostgreSQL, serve logs its stores before it opens the file.
                    self.assertEqual(r.stderr.strip().splitlines()[-1], "cloakroom: " + sentence)
        self.assertEqual(os.path.getsize(target), 0)

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_root_cli_gives_a_new_audit_file_to_the_data_dir_owner(self):
        """The CLI run as root on a data dir the service user owns creates log.audit owned by that user, so
        the service can still append to it (it used to be root's, and the service could not)."""
        os.makedirs(self.data, 0o700)
        os.chown(self.data, 65534, 65534)
        path = os.path.join(self._tmp.name, "audit.log")
        env = {"CLOAKROOM_LOG_AUDIT": path}
        r = self.cli("user", "add", "alice", "--password-stdin", stdin="correct horse\n", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        st = os.stat(path)
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o777), (65534, 65534, 0o600))
        self.assertEqual(self.cli("config", "check", env=env).returncode, 0)
        r = self.cli("user", "disable", "alice", env=env)  # root appends to the service user's file
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path) as f:
            self.assertEqual([l.count('"event":"user_') for l in f], [1, 1])

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
        self.assertIn('Config key public_url = "auth.example.com" (flag --public-url) must be an http:// or https:// URL',
                      r.stderr)
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
        self.assertRegex(r.stdout, r"measured on this machine: \d+(\.\d\d)? ms per hash")
        self.assertNotIn(": 0 ms per hash", r.stdout)
        # 1 MiB is far below OWASP's minimum whatever the iterations: said so, with what to use.
        self.assertIn("# Below OWASP's minimum for Argon2id (memory_kib = 19456 with iterations = 2", r.stdout)
        self.assert_one_sentence(run_cli(["password", "calibrate", "--target", "soon"], None), 2)

    def test_help_and_version(self):
        """--help, -h and help exit 0 with the same list of commands; --version and version print
        `cloakroom <the CMake project version>`."""
        r = run_cli(["--help"], None)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("user add NAME", r.stdout)
        self.assertIn("Exit status: 0 success, 1 the answer is no", r.stdout)
        self.assertEqual(run_cli(["-h"], None).stdout, r.stdout)
        self.assertEqual(run_cli(["help"], None).stdout, r.stdout)
        with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
            version = re.search(r"project\(cloakroom VERSION (\S+)", f.read()).group(1)
        for words in (["--version"], ["version"], ["user", "list", "--version"]):
            v = run_cli(words, None)
            self.assertEqual((v.returncode, v.stdout, v.stderr), (0, f"cloakroom {version}\n", ""), words)

    def test_every_command_has_its_own_help(self):
        """Each command listed by --help answers --help with its own usage line, options and
        examples (not the global text); `help COMMAND` says the same; a group lists its commands."""
        overview = run_cli(["--help"], None).stdout
        listing = overview.split("commands:\n", 1)[1].split("\n\n", 1)[0]
        commands = [re.split(r"\s{2,}", line.strip())[0] for line in listing.splitlines()]
        paths = [" ".join(w for w in c.split() if w.islower()) for c in commands]  # "user add NAME" -> "user add"
        self.assertIn("user add", paths)
        self.assertIn("store migrate", paths)
        seen = set()
        for path in paths:
            with self.subTest(path=path):
                r = run_cli(path.split() + ["--help"], None)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(r.stdout.startswith(f"usage: cloakroom {path}"), r.stdout)
                self.assertIn("\nexamples:\n  ", r.stdout)
                self.assertNotEqual(r.stdout, overview)
                self.assertEqual(run_cli(["help"] + path.split(), None).stdout, r.stdout)
                seen.add(r.stdout)
        self.assertEqual(len(seen), len(paths))  # no two commands share one text
        add = run_cli(["user", "add", "--help"], None).stdout
        self.assertIn("usage: cloakroom user add NAME [--role ROLE]... [--password-stdin]", add)
        self.assertIn("--password-stdin  read the password from the first line of stdin", add)
        self.assertIn("  echo 'a long admin password' | cloakroom user add root --role admin --password-stdin\n", add)
        group = run_cli(["user", "-h"], None)
        self.assertEqual(group.returncode, 0)
        self.assertTrue(group.stdout.startswith("usage: cloakroom user COMMAND"), group.stdout)
        self.assertIn("  user passwd NAME", group.stdout)
        self.assertNotIn("session list", group.stdout)
        # Help is shown for what was named even when the rest of the line is incomplete.
        self.assertTrue(run_cli(["user", "roles", "--help"], None).stdout.startswith(
            "usage: cloakroom user roles NAME --set ROLES"))

    def assert_usage_error(self, words, sentence):
        r = run_cli(words, self.data)
        self.assert_one_sentence(r, 2)
        self.assertEqual(r.stderr, f"cloakroom: {sentence}\n")
        self.assertEqual(r.stdout, "")

    def test_unknown_commands_and_options_say_what_was_meant(self):
        """A misspelt command or option exits 2 naming the word and what was probably meant; a
        made-up verb lists the real ones instead of a usage line for it."""
        self.assert_usage_error(["user", "frobnicate"], 'unknown command "user frobnicate"; the user commands are '
                                "add, list, disable, enable, passwd, reset-2fa, reset-link and roles.")
        self.assert_usage_error(["usr", "list"], 'unknown command "usr" (did you mean "user"?); '
                                "cloakroom --help lists the commands.")
        self.assert_usage_error(["user", "lsit"], 'unknown command "user lsit" (did you mean "user list"?); '
                                "cloakroom user --help lists the user commands.")
        self.assert_usage_error(["serve", "-l", "x"], 'unknown option -l for "serve" (did you mean --listen?); '
                                "cloakroom serve --help lists its options.")
        self.assert_usage_error(["user", "add", "bob", "--pasword-stdin"],
                                'unknown option --pasword-stdin for "user add" (did you mean --password-stdin?); '
                                "cloakroom user add --help lists its options.")
        self.assert_usage_error(["session", "revoke", "--user", "bob", "--no-wiat"],
                                'unknown option --no-wiat for "session revoke" (did you mean --no-wait?); '
                                "cloakroom session revoke --help lists its options.")
        self.assert_usage_error(["serve", "x"], 'unexpected argument "x" for "serve", which takes none; '
                                "usage: cloakroom serve [--listen HOST:PORT] [--public-url URL].")
        self.assert_usage_error(["user", "roles", "bob"], '"user roles" needs --set ROLES; '
                                "usage: cloakroom user roles NAME --set ROLES [--wait DURATION] [--no-wait].")
        self.assertFalse(os.path.exists(self.data))  # a refused line creates nothing

    def cli_in(self, cwd, *args, env=None):
        """The CLI run in `cwd` without --data-dir: the default ./cloakroom-data."""
        return run_cli(list(args), None, env=env, cwd=cwd)

    def test_commands_on_existing_data_refuse_a_missing_data_dir(self):
        """Run where there is no data dir, every command that reads or changes data exits 1 with one
        sentence naming the path it looked at, and creates nothing (no ./cloakroom-data, no empty
        database); the same for a data dir without its database."""
        cwd = os.path.realpath(self._tmp.name)
        missing = os.path.join(cwd, "cloakroom-data")
        sentence = (f"cloakroom: no data directory at {missing}: run this where the data is, or pass --data-dir DIR; "
                    "only cloakroom user add and cloakroom serve create one.\n")
        for words in (["user", "list"], ["user", "disable", "bob"], ["user", "roles", "bob", "--set", "x"],
                      ["user", "passwd", "bob", "--password-stdin"], ["session", "list"],
                      ["session", "revoke", "--user", "bob"], ["node", "list"], ["key", "list"],
                      ["key", "generate", "--alg", "ES256"], ["token", "mint", "--sub", "bob"],
                      ["token", "verify", "a.b.c"], ["store", "migrate", "--to-users", "memory://"]):
            with self.subTest(words=words):
                r = self.cli_in(cwd, *words)
                self.assertEqual((r.returncode, r.stderr), (1, sentence))
                self.assertFalse(os.path.exists(missing))
        if stores.STORES == "sqlite":  # with users in PostgreSQL the data dir holds no database
            empty = os.path.join(cwd, "empty")
            os.mkdir(empty)
            r = run_cli(["user", "list"], empty)
            self.assertEqual((r.returncode, r.stderr), (1, f"cloakroom: no database at {empty}/cloakroom.db (store.users); "
                                                          "only cloakroom user add and cloakroom serve create one.\n"))
            self.assertEqual(os.listdir(empty), [])
        # Commands that touch no data run anywhere.
        self.assertEqual(self.cli_in(cwd, "password", "calibrate", "--target", "10ms", "--memory-kib", "8").returncode, 0)
        self.assertFalse(os.path.exists(missing))

    def test_stores_elsewhere_need_no_data_dir(self):
        """With both stores named by URL (memory:// here, PostgreSQL or Redis in production) the
        users and sessions are not in the data dir, so its absence is no refusal; nothing is created."""
        cwd = os.path.realpath(self._tmp.name)
        env = {"CLOAKROOM_STORE_USERS": "memory://", "CLOAKROOM_STORE_SESSIONS": "memory://"}
        for words in (["user", "list"], ["session", "list"], ["node", "list"]):
            r = self.cli_in(cwd, *words, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
        # The keys file is still in the data dir: key commands refuse its absence.
        r = self.cli_in(cwd, "key", "list", env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"no data directory at {cwd}/cloakroom-data", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(cwd, "cloakroom-data")))

    def test_user_add_and_serve_create_the_data_dir_and_say_where(self):
        """user add creates a missing data dir (0700) and says where, once; serve logs where it made one."""
        cwd = os.path.realpath(self._tmp.name)
        made = os.path.join(cwd, "cloakroom-data")
        r = run_cli(["user", "add", "alice", "--password-stdin"], None, stdin="correct horse\n", cwd=cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], f"created the data directory {made}")
        self.assertEqual(os.stat(made).st_mode & 0o777, 0o700)
        again = run_cli(["user", "add", "bob", "--password-stdin"], None, stdin="correct horse\n", cwd=cwd)
        self.assertTrue(again.stdout.startswith("created user bob"), again.stdout)
        self.assertIn("alice", self.cli_in(cwd, "user", "list").stdout)
        if stores.STORES == "sqlite":  # on Redis + PostgreSQL serve keeps nothing in a data dir
            with CloakroomServer(data_dir=self.data) as srv:
                self.assertEqual([e["path"] for e in srv.logs("data_dir_created")], [self.data])
            with CloakroomServer(data_dir=self.data) as srv:
                self.assertEqual(srv.logs("data_dir_created"), [])


if __name__ == "__main__":
    unittest.main()
