"""scripts/check-deps.py: a forbidden include fails with a line naming it; cycles are information only."""
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "check-deps.py")


def run(tree):
    """Writes `tree` ({relative path: text}) to a temporary src/ and runs the check on it."""
    with tempfile.TemporaryDirectory() as src:
        for rel, text in tree.items():
            path = os.path.join(src, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        p = subprocess.run([sys.executable, SCRIPT, src], capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout


class CheckDeps(unittest.TestCase):
    # Allowed edges (jose/ -> core/, a higher folder -> anything) pass.
    def test_allowed_includes_pass(self):
        code, out = run({
            "core/a.h": '#include "core/b.h"\n',
            "jose/j.cpp": '#include "jose/j.h"\n#include "core/a.h"\n',
            "api/x.cpp": '#include "jose/j.h"\n#include "http/h.h"\n',
        })
        self.assertEqual(code, 0, out)
        self.assertNotIn("info:", out)

    # Each forbidden include is one line naming the file, the line and the include.
    def test_each_violation_is_named(self):
        code, out = run({
            "jose/j.cpp": '#include "jose/j.h"\n#include "http/h.h"\n',
            "config/c.cpp": '  #  include "http/client_address.h"\n',
            "core/a.h": '// #include "auth/x.h" (a comment, not an include)\n#include "config/c.h"\n',
        })
        self.assertEqual(code, 1)
        lines = [l for l in out.splitlines() if not l.startswith("info:")]
        self.assertEqual(lines, [
            'src/config/c.cpp:1: config/ may include only config/, core/, store/: #  include "http/client_address.h"',
            'src/core/a.h:2: core/ may include only core/: #include "config/c.h"',
            'src/jose/j.cpp:2: jose/ may include only core/, jose/: #include "http/h.h"',
        ])

    # A "never" rule names the folder it forbids.
    def test_never_rule_is_named(self):
        code, out = run({
            "auth/a.h": '#include "session/s.h"\n',
            "session/s.h": '#include "auth/a.h"\n',
        })
        self.assertEqual(code, 1)
        lines = [l for l in out.splitlines() if not l.startswith("info:")]
        self.assertEqual(lines, ['src/session/s.h:1: session/ must not include auth/: #include "auth/a.h"'])

    # A cycle between folders is printed but does not fail the check.
    # (Folders no rule governs: auth/ <-> session/ is now forbidden outright.)
    def test_cycles_are_information(self):
        code, out = run({
            "lower/a.h": '#include "upper/u.h"\n',
            "upper/u.h": '#include "lower/a.h"\n',
        })
        self.assertEqual(code, 0, out)
        self.assertIn("info:   lower -> upper -> lower", out)
        self.assertIn("info:   upper -> lower: src/upper/u.h:1", out)


if __name__ == "__main__":
    unittest.main()
