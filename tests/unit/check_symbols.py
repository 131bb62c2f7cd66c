#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""check_symbols.py - a vmdns library exports its public API and nothing else.

A host agent links libvmdns next to its own code and, soon, next to
libvmssh: a generic internal name (addr_parse, conn_init) would collide
with the agent's or the other library's. So:

  - the .so exports exactly the functions declared VMDNS_API in the
    library's public headers (it is built with hidden visibility);
  - every global symbol of the .a starts with `vmdns_` (a static archive
    cannot hide its internals, so they carry the prefix);
  - every function declared in a public header is marked VMDNS_API.

The headers are given one by one, so libvmdns and a library beside it
(libvmssh, include/vmdns/ssh.h) are each checked against their own.

Usage: check_symbols.py NM LIB.so LIB.a HEADER...
"""
import re
import subprocess
import sys


def public_api(headers):
    """Names of the functions declared in the public headers; fails on a
    declaration without VMDNS_API."""
    names, problems = set(), []
    for path in headers:
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        text = re.sub(r"^\s*#[^\n]*(\\\n[^\n]*)*", " ", text, flags=re.M)
        # Top-level statements: split at ';' and '{' '}' outside parentheses.
        for stmt in re.split(r"[;{}]", text):
            stmt = " ".join(stmt.split())
            if not stmt or stmt.startswith(("typedef", "extern \"C\"")):
                continue
            m = re.search(r"\b(vmdns_\w+)\s*\(", stmt)
            if not m or "(*" in stmt[: m.start()]:
                continue
            if not stmt.startswith("VMDNS_API "):
                problems.append("%s: %s declared without VMDNS_API" % (path, m.group(1)))
            names.add(m.group(1))
    return names, problems


def nm(tool, *args):
    out = subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms.append((parts[1], parts[2]))
    return syms


def main():
    tool, so, ar, headers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    api, problems = public_api(headers)
    if not api:
        problems.append("no VMDNS_API function found in %s" % " ".join(headers))

    exported = nm(tool, "-D", "--defined-only", so)
    so_funcs = {n for t, n in exported if t in "TtWw"}
    for t, n in exported:
        if not n.startswith("vmdns_"):
            problems.append("%s exports %s (%s) without the vmdns_ prefix" % (so, n, t))
    for n in sorted(so_funcs - api):
        problems.append("%s exports %s, which no public header declares" % (so, n))
    for n in sorted(api - so_funcs):
        problems.append("%s does not export %s, declared in a public header" % (so, n))

    for t, n in nm(tool, "--defined-only", "-g", ar):
        if not n.startswith("vmdns_"):
            problems.append("%s defines global %s (%s) without the vmdns_ prefix" % (ar, n, t))

    for p in problems:
        print(p)
    print("%d public functions, %d problems" % (len(api), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
