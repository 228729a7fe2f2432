#!/usr/bin/env python3
"""Rewrites the generated reference tables in docs/ and packaging/cloakroom.toml from
the code's own lists.

Runs the Docs unit tests, which print the expected table when a doc is out of
date, and splices each printed table over the old one. Usage:
    scripts/update-doc-tables.py [build-dir]
"""
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else root / "build")
out = subprocess.run([str(build / "tests/unit_tests"), "--gtest_filter=Docs.*"], capture_output=True, text=True).stdout
for doc, table in re.findall(r"Regenerate the table in docs/(\S+):\n((?:\|.*\n)+)", out):
    path = root / "docs" / doc
    text = path.read_text()
    header = table.splitlines()[0]
    start = text.index(header)
    end = start
    lines = text[start:].splitlines(keepends=True)
    for line in lines:
        if not line.startswith("|"):
            break
        end += len(line)
    path.write_text(text[:start] + table + text[end:])
    print(f"updated {path.relative_to(root)}")

example = subprocess.run([str(build / "cloakroom"), "config", "example"], capture_output=True, text=True, check=True).stdout
path = root / "packaging" / "cloakroom.toml"
if not path.exists() or path.read_text() != example:
    path.parent.mkdir(exist_ok=True)
    path.write_text(example)
    print(f"updated {path.relative_to(root)}")
