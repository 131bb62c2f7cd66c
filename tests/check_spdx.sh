#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tests/check_spdx.sh SOURCE_DIR - every source file of the project says its
# license in its first lines ("SPDX-License-Identifier: BSD-2-Clause"), so a
# file copied out of the tree still carries it (ctest `spdx`). Source files:
# C, Python, shell and CMake files that git tracks (or, outside a git
# checkout, that are in the tree), fuzz corpora excepted.
# Prints each file that lacks it; exits 1 if any does.
set -u
src=${1:?usage: check_spdx.sh SOURCE_DIR}
cd "$src" || exit 1
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files)
else
  files=$(find . -type f ! -path './build*' ! -path './.git/*' | sed 's|^\./||')
fi
rc=0
n=0
for f in $files; do
  case $f in
    tests/fuzz/corpus*) continue ;;
    *.c | *.h | *.py | *.sh | *.cmake | CMakeLists.txt | */CMakeLists.txt | scripts/* | .ci/*) ;;
    *) continue ;;
  esac
  [ -f "$f" ] || continue
  n=$((n + 1))
  if ! head -n 5 "$f" | grep -q 'SPDX-License-Identifier: BSD-2-Clause'; then
    echo "no SPDX line: $f"
    rc=1
  fi
done
echo "checked $n source files"
exit $rc
