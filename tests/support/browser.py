"""Runs one of tests/browser/*.mjs (playwright-core driving Debian's Chromium) against a server the
test started, for test_pages, test_totp and test_passkeys.

    port = free_port()                   # from ports.py: the browser must see the origin public_url names
    with CloakroomServer(env={"CLOAKROOM_PUBLIC_URL": base}, listen=f"127.0.0.1:{port}") as srv:
        result = run_browser_script(self, "totp.mjs", BASE_URL=base)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

Screenshots and traces go to ARTIFACTS (build/test-artifacts unless CLOAKROOM_ARTIFACTS says).
"""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER_DIR = os.path.join(HERE, "..", "browser")
ARTIFACTS = os.path.abspath(
    os.environ.get("CLOAKROOM_ARTIFACTS", os.path.join(HERE, "..", "..", "build", "test-artifacts")))
CHROMIUM = "/usr/bin/chromium"


def run_browser_script(test, script, timeout=240, **env):
    """node <script> in tests/browser with `env` added; fails the test (never skips) without Chromium:
    `make test` installs it (scripts/bootstrap.sh --test), so a missing one is a broken set-up."""
    test.assertTrue(os.path.exists(CHROMIUM), "scripts/bootstrap.sh --test (make test) installs Debian's chromium")
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=BROWSER_DIR, check=True, timeout=300)
    os.makedirs(ARTIFACTS, exist_ok=True)
    return subprocess.run(["node", script], cwd=BROWSER_DIR, env=dict(os.environ, ARTIFACTS=ARTIFACTS, **env),
                          capture_output=True, text=True, timeout=timeout)
