#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tests/check_hardening.sh ELF... - check that built programs and libraries
# carry the hardening of cmake/hardening.cmake (ctest `hardening`, release
# builds only). For every file, from its ELF headers (readelf, binutils):
#   PIE             executables (those with an interpreter) are of type DYN
#   RELRO           a GNU_RELRO segment
#   BIND_NOW        the dynamic section asks for immediate binding
#   stack protector it imports __stack_chk_fail
#   FORTIFY_SOURCE  it imports at least one checked glibc function (__*_chk)
# Prints one line per file and check; exits 1 if any check failed.
set -u
rc=0
ok() { printf 'ok   %s: %s\n' "$1" "$2"; }
bad() { printf 'FAIL %s: %s\n' "$1" "$2"; rc=1; }

for f in "$@"; do
  name=$(basename "$f")
  if ! header=$(readelf -h "$f" 2>&1); then
    bad "$name" "not an ELF file ($header)"
    continue
  fi
  segments=$(readelf -lW "$f")
  dynamic=$(readelf -dW "$f")
  dynsyms=$(readelf --dyn-syms -W "$f")
  if printf '%s\n' "$segments" | grep -q 'INTERP'; then
    if printf '%s\n' "$header" | grep -Eq 'Type: +DYN'; then
      ok "$name" "PIE"
    else
      bad "$name" "not PIE ($(printf '%s\n' "$header" | grep 'Type:'))"
    fi
  fi
  if printf '%s\n' "$segments" | grep -q 'GNU_RELRO'; then
    ok "$name" "RELRO"
  else
    bad "$name" "no GNU_RELRO segment"
  fi
  if printf '%s\n' "$dynamic" | grep -Eq '\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW'; then
    ok "$name" "BIND_NOW"
  else
    bad "$name" "no BIND_NOW (lazy binding: link with -z now)"
  fi
  if printf '%s\n' "$dynsyms" | grep -q ' __stack_chk_fail'; then
    ok "$name" "stack protector"
  else
    bad "$name" "no __stack_chk_fail (compile with -fstack-protector-strong)"
  fi
  if printf '%s\n' "$dynsyms" | grep -Eq ' __[a-z0-9_]+_chk(@|$)'; then
    ok "$name" "FORTIFY_SOURCE"
  else
    bad "$name" "no __*_chk function (compile with -O2 -D_FORTIFY_SOURCE=2)"
  fi
done
exit $rc
