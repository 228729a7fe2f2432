"""The user docs (README.md, docs/*.md) stand alone: every relative link and anchor resolves inside
the repository, and none points at, or names, project-internal material (issue numbers, SPEC,
../shared) a reader of the repository cannot open. Needs no server."""
import glob
import os
import re
import unittest

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
# [text](target "title") and ![alt](target); the target may be wrapped in <…>.
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']*)["']""", re.I)
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$", re.M)
# Words a user doc must not use: they point at the project's tracker or its private notes.
FORBIDDEN = [
    (re.compile(r"\bissues?\s*#?\d+", re.I), "an issue number"),
    (re.compile(r"\bSPEC\b"), "SPEC"),
    (re.compile(r"\.\./shared\b"), "../shared"),
]


def blank(m):
    return re.sub(r"[^\n]", " ", m.group(0))  # newlines kept, so line numbers hold


def without_code(text):
    """The text with fenced blocks and code spans blanked: a link inside code is an example."""
    return CODE_SPAN.sub(blank, FENCE.sub(blank, text))


def github_slug(heading):
    """The anchor GitHub gives a heading: rendered text, lower-cased, punctuation other than
    '-' and '_' dropped, each space a '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    """Every anchor of a Markdown file; a repeated heading gets -1, -2, … as on GitHub."""
    with open(path, encoding="utf-8") as f:
        text = FENCE.sub(blank, f.read().replace("\r", ""))  # a code span in a heading is text
    seen, out = {}, set()
    for m in HEADING.finditer(text):
        slug = github_slug(m.group(2))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    out.update(re.findall(r"""<a\s+(?:name|id)\s*=\s*["']([^"']+)["']""", text))
    return out


def links(path):
    """(line number, target) of every link in a Markdown file, outside code."""
    with open(path, encoding="utf-8") as f:
        text = without_code(f.read())
    for pattern in (INLINE_LINK, REFERENCE_LINK, HTML_LINK):
        for m in pattern.finditer(text):
            yield text.count("\n", 0, m.start()) + 1, m.group(1)


class DocsStandAloneTest(unittest.TestCase):
    def test_the_docs_exist(self):
        """The glob found the docs (a moved folder must not turn this file into a silent pass)."""
        self.assertIn(os.path.join(ROOT, "docs", "api.md"), DOCS)
        self.assertGreater(len(DOCS), 5)

    def test_every_relative_link_and_anchor_resolves_inside_the_repository(self):
        """A relative link names a file of the repository (never above its root) and, with
        #anchor, a heading of that file; external links (scheme:…) are not followed."""
        broken = []
        for doc in DOCS:
            for line, target in links(doc):
                where = f"{os.path.relpath(doc, ROOT)}:{line}: {target}"
                if not target or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
                    continue
                path, _, anchor = target.partition("#")
                path = path.split("?", 1)[0]
                if path.startswith("/"):
                    resolved = os.path.join(ROOT, path.lstrip("/"))  # GitHub: from the repository root
                else:
                    resolved = os.path.join(os.path.dirname(doc), path) if path else doc
                resolved = os.path.realpath(resolved)
                if os.path.commonpath([resolved, ROOT]) != ROOT:
                    broken.append(f"{where} (leaves the repository)")
                elif not os.path.exists(resolved):
                    broken.append(f"{where} (no such file)")
                elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
                    broken.append(f"{where} (no heading #{anchor} in {os.path.relpath(resolved, ROOT)})")
        if broken:
            self.fail("broken links:\n" + "\n".join(broken))

    def test_no_user_doc_names_issues_spec_or_shared(self):
        """A reader has the repository only: no issue numbers, no SPEC, no ../shared."""
        found = []
        for doc in DOCS:
            with open(doc, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    for pattern, what in FORBIDDEN:
                        if pattern.search(line):
                            found.append(f"{os.path.relpath(doc, ROOT)}:{number}: {what}: {line.strip()}")
        if found:
            self.fail("names what a reader of the repository cannot open:\n" + "\n".join(found))


class SlugTest(unittest.TestCase):
    def test_github_slugs(self):
        """The slug rules on headings the docs really have."""
        self.assertEqual(github_slug("Fail closed: never log anyone out for our failure"),
                         "fail-closed-never-log-anyone-out-for-our-failure")
        self.assertEqual(github_slug("Waiting for replicas (`WAIT`)"), "waiting-for-replicas-wait")
        self.assertEqual(github_slug("Scale-out: nodes on Redis, checks in-process"),
                         "scale-out-nodes-on-redis-checks-in-process")
        self.assertEqual(github_slug("`jwt.refresh_repeats` and a [link](x.md)"), "jwtrefresh_repeats-and-a-link")


if __name__ == "__main__":
    unittest.main()
