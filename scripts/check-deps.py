#!/usr/bin/env python3
"""Checks that src/ folders include each other only in the allowed directions.

    python3 scripts/check-deps.py            # checks src/ of this repository
    python3 scripts/check-deps.py DIR        # checks another tree laid out the same way

Reads every `#include "dir/..."` line under the source tree. Exits 1 and
prints one line per include that breaks a rule in RULES (file, line, the rule,
the include); exits 0 otherwise. It also prints, as information only, the
cycles between top-level folders that are still there, so they can be
worked down (they do not fail the check).
"""
import os
import re
import sys

# The rules, one row per folder. "only": it may include these folders (and
# itself) and nothing else. "never": it must not include these folders.
RULES = [
    ("core", "only", []),                  # the base everything else builds on
    ("jose", "only", ["core"]),            # a leaf library: no I/O, no app types
    ("password", "only", ["core"]),        # a leaf library
    ("webauthn", "only", ["core", "jose"]),  # a leaf library (jose for base64url): no I/O, no store
    # Read by every layer above the stores; asks store/store_url_check.h which
    # URL schemes this build opens, so store/ must never include config/.
    ("config", "only", ["core", "store"]),
    ("store", "never", ["config", "auth", "session", "token", "api", "http", "cli", "identity"]),
    # Who a user is (Principal, UserDirectory, the credentials policy,
    # CredentialInfo), shared by auth/, session/, token/, api/ and cli/, so
    # below all of them. From store/: user_store.h (User, UserStore,
    # canonical_username), and the session and family records CredentialInfo
    # is made from; from config/ only kPasswordMax.
    ("identity", "only", ["core", "config", "store"]),
    # The two state models sit below auth/, which picks between them.
    ("session", "never", ["auth"]),
    ("token", "never", ["auth"]),
    # Follows the stores' change feeds for App; knows nothing of what it applies.
    ("feed", "only", ["core", "store"]),
]

SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".cc", ".inc")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"/]+)/[^"]*"')


def scan(src):
    """Yields (path relative to src, line number, including folder, included folder, include text)."""
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            parts = rel.split(os.sep)
            if len(parts) < 2:
                continue  # main.cpp and friends sit above every folder
            with open(path, encoding="utf-8", errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if m:
                        yield rel, number, parts[0], m.group(1), line.strip()


def violations(includes):
    rules = {}
    for folder, kind, targets in RULES:
        rules.setdefault(folder, []).append((kind, set(targets)))
    for rel, number, src_dir, dst_dir, text in includes:
        if dst_dir == src_dir:
            continue
        for kind, targets in rules.get(src_dir, []):
            if kind == "only" and dst_dir not in targets:
                allowed = ", ".join(f"{t}/" for t in sorted(targets | {src_dir}))
                yield f"src/{rel}:{number}: {src_dir}/ may include only {allowed}: {text}"
            elif kind == "never" and dst_dir in targets:
                yield f"src/{rel}:{number}: {src_dir}/ must not include {dst_dir}/: {text}"


def simple_cycles(graph):
    """Every elementary cycle, each once, starting at its smallest folder."""
    cycles = []
    for start in sorted(graph):
        # Only folders after `start` may appear inside, so each cycle is found once.
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ()), reverse=True):
                if nxt == start:
                    cycles.append(path + [start])
                elif nxt > start and nxt not in path:
                    stack.append((nxt, path + [nxt]))
    return sorted(cycles, key=lambda c: (len(c), c))


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    src = argv[1] if len(argv) > 1 else os.path.join(here, "..", "src")
    if not os.path.isdir(src):
        print(f"check-deps: no such directory: {src}", file=sys.stderr)
        return 2
    includes = list(scan(src))
    bad = list(violations(includes))
    for line in bad:
        print(line)

    graph, example = {}, {}
    for rel, number, src_dir, dst_dir, _ in includes:
        if src_dir != dst_dir:
            graph.setdefault(src_dir, set()).add(dst_dir)
            example.setdefault((src_dir, dst_dir), f"src/{rel}:{number}")
    cycles = simple_cycles(graph)
    if cycles:
        print(f"info: {len(cycles)} include cycle(s) between top-level folders (not failing the check):")
        for c in cycles:
            print("info:   " + " -> ".join(c))
        edges = sorted({(a, b) for c in cycles for a, b in zip(c, c[1:])})
        print("info: edges on a cycle (first include of each):")
        for a, b in edges:
            print(f"info:   {a} -> {b}: {example[(a, b)]}")
    if bad:
        print(f"check-deps: {len(bad)} forbidden include(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
