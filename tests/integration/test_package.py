"""`make package`, for real: CPack builds the .deb from this build, and the test opens it the
way dpkg would (control fields, conffiles, maintainer scripts, files), unpacks it into a temp
root, and runs the packaged binary: --version, and `config check` on the packaged config.
The systemd unit is checked by systemd-analyze where it is installed."""
import os
import shutil
import subprocess
import tempfile
import unittest

BIN = os.environ.get("CLOAKROOM_BIN", os.path.join(os.path.dirname(__file__), "../../build/cloakroom"))
BUILD = os.path.dirname(os.path.abspath(BIN))


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


class DebianPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cloakroom-deb-")
        out = os.path.join(cls.tmp.name, "out")
        made = run("cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out)
        assert made.returncode == 0, made.stdout + made.stderr
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        cls.deb = os.path.join(out, debs[0])
        cls.root = os.path.join(cls.tmp.name, "root")
        unpacked = run("dpkg-deb", "-x", cls.deb, cls.root)
        assert unpacked.returncode == 0, unpacked.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def field(self, name):
        return run("dpkg-deb", "-f", self.deb, name).stdout.strip()

    def test_control_fields(self):
        """Named and versioned like the binary; its library dependencies found by dpkg-shlibdeps."""
        self.assertEqual(self.field("Package"), "cloakroom")
        self.assertRegex(self.deb, r"cloakroom_\d+\.\d+\.\d+_amd64\.deb$")
        depends = self.field("Depends")
        for lib in ("adduser", "libssl3", "libsodium23", "libsqlite3-0", "libpq5", "libhiredis0.14"):
            self.assertIn(lib, depends)

    def test_files_config_and_scripts(self):
        """The binary, the unit, the config (a conffile, so upgrades keep local edits), the docs and
        licence; postinst creates the service user."""
        listing = run("dpkg-deb", "-c", self.deb).stdout
        for path in ("./usr/bin/cloakroom", "./usr/lib/systemd/system/cloakroom.service",
                     "./etc/cloakroom/cloakroom.toml", "./usr/share/doc/cloakroom/copyright",
                     "./usr/share/doc/cloakroom/README.md", "./usr/share/doc/cloakroom/docs/deploy-nginx.md"):
            self.assertIn(path, listing)
        control = os.path.join(self.tmp.name, "control")
        self.assertEqual(run("dpkg-deb", "-e", self.deb, control).returncode, 0)
        with open(os.path.join(control, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/cloakroom/cloakroom.toml"])
        with open(os.path.join(control, "postinst")) as f:
            self.assertIn("adduser --system", f.read())
        self.assertTrue(os.access(os.path.join(control, "postinst"), os.X_OK))

    def test_maintainer_scripts_manage_the_service_and_secrets(self):
        """prerm stops the service on remove only; postinst try-restarts it on upgrade only, and creates
        /etc/cloakroom/environment (0600, root) when missing, leaving an existing one untouched."""
        control = os.path.join(self.tmp.name, "control-scripts")
        self.assertEqual(run("dpkg-deb", "-e", self.deb, control).returncode, 0)
        with open(os.path.join(control, "prerm")) as f:
            prerm = f.read()
        self.assertIn('if [ "$1" = remove ]', prerm)
        self.assertIn("systemctl stop cloakroom.service", prerm)
        self.assertTrue(os.access(os.path.join(control, "prerm"), os.X_OK))
        with open(os.path.join(control, "postinst")) as f:
            postinst = f.read()
        self.assertIn('if [ -n "$2" ]; then\n      systemctl try-restart cloakroom.service', postinst)
        # Run postinst against a scratch root (DPKG_ROOT, as dpkg --root sets it), with a getent
        # that finds the user, so the test machine's users stay as they are.
        stubs, target = os.path.join(self.tmp.name, "stubs"), os.path.join(self.tmp.name, "target")
        os.makedirs(stubs, exist_ok=True)
        with open(os.path.join(stubs, "getent"), "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(os.path.join(stubs, "getent"), 0o755)
        env = {"PATH": stubs + ":" + os.environ["PATH"], "DPKG_ROOT": target}
        script = os.path.join(control, "postinst")
        done = run("sh", script, "configure", "", env=env)
        self.assertEqual(done.returncode, 0, done.stderr)
        env_file = os.path.join(target, "etc/cloakroom/environment")
        st = os.stat(env_file)
        self.assertEqual((oct(st.st_mode & 0o777), st.st_uid), ("0o600", 0))
        with open(env_file) as f:
            self.assertIn("#CLOAKROOM_JWT_KEY_ENCRYPTION_KEY=", f.read())
        with open(env_file, "w") as f:
            f.write("CLOAKROOM_JWT_KEY_ENCRYPTION_KEY=mine\n")
        done = run("sh", script, "configure", "0.1.0", env=env)  # an upgrade
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(env_file) as f:
            self.assertEqual(f.read(), "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY=mine\n")

    def test_packaged_binary_runs(self):
        """The unpacked binary answers --version and accepts the packaged config as it ships."""
        binary = os.path.join(self.root, "usr/bin/cloakroom")
        version = run(binary, "version")
        self.assertEqual(version.returncode, 0, version.stderr)
        self.assertRegex(version.stdout, r"^cloakroom \d+\.\d+\.\d+\n$")
        config = os.path.join(self.root, "etc/cloakroom/cloakroom.toml")
        env = {"PATH": os.environ["PATH"]}
        check = run(binary, "config", "check", "--config", config, env=env)
        self.assertEqual(check.returncode, 0, check.stderr)
        self.assertIn('listen = "127.0.0.1:8080"', check.stdout)
        # The same file with one key set wrongly is refused with one sentence, exit 2.
        broken = os.path.join(self.tmp.name, "broken.toml")
        with open(config) as f, open(broken, "w") as out:
            out.write(f.read().replace('#listen = "127.0.0.1:8080"', 'listen = "nowhere"'))
        check = run(binary, "config", "check", "--config", broken, env=env)
        self.assertEqual(check.returncode, 2)
        self.assertIn("listen", check.stderr)
        self.assertEqual(len(check.stderr.strip().splitlines()), 1, check.stderr)

    def test_service_unit_is_hardened(self):
        """Its own user and state directory, and the sandbox a network service needs, nothing more."""
        with open(os.path.join(self.root, "usr/lib/systemd/system/cloakroom.service")) as f:
            unit = f.read()
        for line in ("User=cloakroom", "StateDirectory=cloakroom", "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=", "SystemCallFilter=@system-service",
                     "ExecStart=/usr/bin/cloakroom serve --config /etc/cloakroom/cloakroom.toml --data-dir /var/lib/cloakroom"):
            self.assertIn(line + "\n", unit)

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
    def test_systemd_accepts_the_unit(self):
        """systemd-analyze verify: no unknown directive, the ExecStart binary exists (in the unpacked root)."""
        unit = os.path.join(self.tmp.name, "cloakroom.service")
        with open(os.path.join(self.root, "usr/lib/systemd/system/cloakroom.service")) as f:
            text = f.read().replace("/usr/bin/cloakroom", os.path.join(self.root, "usr/bin/cloakroom"))
        with open(unit, "w") as f:
            f.write(text)
        verify = run("systemd-analyze", "verify", unit)
        # Outside a booted systemd (containers, CI) verify can only complain about its own
        # environment; anything it says about our unit's directives fails the test.
        problems = [line for line in verify.stderr.splitlines() if "cloakroom.service" in line]
        self.assertEqual(problems, [], verify.stderr)


if __name__ == "__main__":
    unittest.main()
