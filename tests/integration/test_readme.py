"""README.md's "Five-minute tour", run as a user would paste it, so that it stays true.

The tour is every ```sh block between the heading "## Five-minute tour" and the next "## "
heading, run in order as one `bash -euo pipefail` script. A command is a line that is neither
blank nor a comment, with the lines it continues onto (a trailing backslash). A comment
"# → TEXT", on the command's line or below it, is a line the command prints: `…` and `<name>`
match any text, a run of spaces any run of whitespace, and a command's "# →" lines must match
its output lines in order (others may come between).

The script runs against a fresh server in a fresh directory laid out as the user's checkout:
./build/cloakroom is a link to the binary under test and ./cloakroom-data, the default data dir,
is the server's, so the tour's CLI lines reach the same data as its curl lines. Only the port
changes: the tour's 8080 (and localhost, which may resolve to ::1 first) becomes the test
server's 127.0.0.1 port.
"""
import os
import re
import subprocess
import tempfile
import unittest

from cloakroom_server import BIN, CloakroomServer
from ports import free_port

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
HEADING = "## Five-minute tour"
EXPECT = re.compile(r"(?:^|\s)# → (.*)$")
MARK = "\x1e"  # printed on its own line before each command, with the command's README line


def tour_commands(readme_text):
    """[(README line number, command text, [expected output lines])] of the tour, in order."""
    lines = readme_text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    commands, in_block, i = [], False, start + 1
    while i < end:
        line = lines[i]
        if line.startswith("```"):
            in_block = line.strip() == "```sh" if not in_block else False
            i += 1
            continue
        if not in_block or not line.strip():
            i += 1
            continue
        expected = EXPECT.search(line)
        if line.lstrip().startswith("#"):
            if expected:
                if not commands:
                    raise ValueError(f"README.md:{i + 1}: expected output before any command")
                commands[-1][2].append(expected.group(1))
            i += 1
            continue
        first, text = i, [line]
        while text[-1].endswith("\\") and i + 1 < end:
            i += 1
            text.append(lines[i])
        commands.append((first + 1, "\n".join(text), []))
        expected = EXPECT.search(text[-1])
        if expected:
            commands[-1][2].append(expected.group(1))
        i += 1
    return commands


def expectation(text):
    """A regex for one "# →" line: literal text but for the wildcards the module doc lists."""
    parts = re.split(r"(…|<[a-z_]+>|\s+)", text.strip())
    out = []
    for part in parts:
        if part == "…" or re.fullmatch(r"<[a-z_]+>", part or "-"):
            out.append(".*?")
        elif part and part.isspace():
            out.append(r"\s+")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def unmatched(expected, output):
    """The first expected line the output lacks (in order), or None."""
    got = [line.strip() for line in output.replace("\r", "").split("\n")]
    at = 0
    for text in expected:
        pattern = expectation(text)
        while at < len(got) and not pattern.fullmatch(got[at]):
            at += 1
        if at == len(got):
            return text
        at += 1
    return None


class ReadmeTourTest(unittest.TestCase):
    def test_the_tour_runs_as_written(self):
        """Every tour command succeeds and prints what its "# →" comments say."""
        with open(README, encoding="utf-8") as f:
            commands = tour_commands(f.read())
        # A renamed heading or a lost fence must not leave an empty, passing tour.
        self.assertGreater(len(commands), 30)
        self.assertGreater(sum(len(c[2]) for c in commands), 20)

        port = free_port()
        here = f"127.0.0.1:{port}"
        script = ["set -euo pipefail"]
        for line, text, _ in commands:
            text = text.replace("localhost:8080", here).replace("127.0.0.1:8080", here)
            self.assertNotIn("8080", text, f"README.md:{line}: a spelling of the port the test does not replace")
            script += [f"printf '\\n{MARK}%d\\n' {line}", text]

        with tempfile.TemporaryDirectory(prefix="cloakroom-readme-") as home:
            os.mkdir(os.path.join(home, "build"))
            os.symlink(os.path.abspath(BIN), os.path.join(home, "build", "cloakroom"))
            # public_url names the port too (Origin checks, the issuer the CLI mints with).
            env = {"CLOAKROOM_PUBLIC_URL": "http://" + here}
            with CloakroomServer(env=env, listen=here, cwd=home,
                                 data_dir=os.path.join(home, "cloakroom-data")) as srv:
                shell_env = {k: v for k, v in srv.env.items() if not k.lower().endswith("_proxy")}
                run = subprocess.run(["bash", "-c", "\n".join(script)], cwd=home, env=shell_env,
                                     capture_output=True, text=True, timeout=120)

        outputs = {}  # README line → what its command printed
        for chunk in run.stdout.split("\n" + MARK)[1:]:
            line, _, output = chunk.partition("\n")
            outputs[int(line)] = output
        by_line = {line: (text, expected) for line, text, expected in commands}
        if run.returncode != 0:
            last = max(outputs) if outputs else commands[0][0]
            self.fail(f"README.md:{last}: the tour stopped here (exit {run.returncode}):\n{by_line[last][0]}\n"
                      f"--- its output:\n{outputs.get(last, '')}\n--- stderr:\n{run.stderr}")
        self.assertEqual(sorted(outputs), sorted(by_line), "not every tour command ran")
        for line, (text, expected) in by_line.items():
            missing = unmatched(expected, outputs[line])
            if missing is not None:
                self.fail(f"README.md:{line}: the output lacks '# → {missing}':\n{text}\n"
                          f"--- its output:\n{outputs[line]}")


class TourParserTest(unittest.TestCase):
    def test_commands_continuations_and_expectations(self):
        """Continued lines make one command; "# →" lines attach to the command above; blocks
        other than sh and sections other than the tour are not the tour."""
        text = "\n".join([
            "```sh", "not(the tour)", "```", HEADING, "prose", "```sh",
            "curl -s a \\", "  -d 'x'   # → {\"a\":1}", "# prose", "# → b  c", "",
            "```", "```toml", "key = 1", "```", "```sh", "echo '# not a comment → x'", "```",
            "## Next", "```sh", "after", "```"])
        self.assertEqual(tour_commands(text), [
            (7, "curl -s a \\\n  -d 'x'   # → {\"a\":1}", ['{"a":1}', "b  c"]),
            (17, "echo '# not a comment → x'", [])])

    def test_wildcards(self):
        """… and <name> match any text, spaces any whitespace, the rest literally."""
        self.assertIsNone(unmatched(["<id>  root  active  …  admin"],
                                    "ID USERNAME\nXy_-1  root      active    2026-01-01T00:00:00Z  admin\n"))
        self.assertIsNone(unmatched(['{"user":{…},"n":1} 401'], '{"user":{"id":"x"},"n":1} 401'))
        self.assertEqual(unmatched(['{"n":1}'], '{"n":12}'), '{"n":1}')  # whole lines only
        self.assertEqual(unmatched(["b", "a"], "a\nb\n"), "a")  # in order


if __name__ == "__main__":
    unittest.main()
