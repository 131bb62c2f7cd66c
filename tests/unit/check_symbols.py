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
(libvmssh, include/vmdns/ssh.h) are each checked against their own. A
library other than libvmdns names its prefix with --prefix (libvmssh:
--prefix vmssh_, whose functions are marked VMSSH_API).

Usage: check_symbols.py [--prefix P] NM LIB.so LIB.a HEADER...
"""
import re
import subprocess
import sys


PREFIX = "vmdns_"


def public_api(headers):
    """Names of the functions declared in the public headers; fails on a
    declaration without the API macro (VMDNS_API for vmdns_)."""
    macro = PREFIX.upper() + "API"
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
            m = re.search(r"\b(" + PREFIX + r"\w+)\s*\(", stmt)
            if not m or "(*" in stmt[: m.start()]:
                continue
            if not stmt.startswith(macro + " "):
                problems.append("%s: %s declared without %s" % (path, m.group(1), macro))
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
    global PREFIX
    args = sys.argv[1:]
    if args[:1] == ["--prefix"]:
        PREFIX, args = args[1], args[2:]
    tool, so, ar, headers = args[0], args[1], args[2], args[3:]
    api, problems = public_api(headers)
    if not api:
        problems.append("no API function found in %s" % " ".join(headers))

    exported = nm(tool, "-D", "--defined-only", so)
    so_funcs = {n for t, n in exported if t in "TtWw"}
    for t, n in exported:
        if not n.startswith(PREFIX):
            problems.append("%s exports %s (%s) without the %s prefix" % (so, n, t, PREFIX))
    for n in sorted(so_funcs - api):
        problems.append("%s exports %s, which no public header declares" % (so, n))
    for n in sorted(api - so_funcs):
        problems.append("%s does not export %s, declared in a public header" % (so, n))

    for t, n in nm(tool, "--defined-only", "-g", ar):
        if not n.startswith(PREFIX):
            problems.append("%s defines global %s (%s) without the %s prefix" % (ar, n, t, PREFIX))

    for p in problems:
        print(p)
    print("%d public functions, %d problems" % (len(api), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
