#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/registrar.sh - registrations per second through one libvmdns handle,
# and the time from vmdns_register_vm() to vmdnsd answering the name.
#
# Starts a throw-away redis-server (and, if built, a vmdnsd reading it) on
# free loopback ports, compiles bench/registrar.c against the build's
# static libvmdns, and prints:
#   batched: ... registrations/s   (vmdns_register_vms, pipelined; target >= 20,000/s)
#   single:  ... registrations/s   (one vmdns_register_vm call per VM)
#   visible: p50/p99 ...           (call -> answered over DNS; target p99 < 1 ms)
#
# Usage: bench/registrar.sh
# Env:   BUILD=build  N=200000  BATCH=1000  SINGLE=5000  VISIBLE_N=1000
#        VMDNSD=$BUILD/src/vmdnsd (set VMDNSD= to skip the visibility run)
# Every process it starts is stopped on exit, also on Ctrl-C or error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
N=${N:-200000}
BATCH=${BATCH:-1000}
SINGLE=${SINGLE:-5000}
VISIBLE_N=${VISIBLE_N:-1000}
VMDNSD=${VMDNSD-$BUILD/src/vmdnsd}
LIB=$BUILD/src/libvmdns/libvmdns.a
TMP=$(mktemp -d /tmp/vmdns-bench-registrar.XXXXXX)
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

if [ ! -f "$LIB" ]; then
  echo "building libvmdns in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" >/dev/null && cmake --build "$BUILD" --target vmdns_static vmdnsd -j "$(nproc)" >/dev/null
fi
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" "$ROOT/bench/registrar.c" "$LIB" \
  $(pkg-config --libs jansson ldns hiredis) -lpthread -o "$TMP/registrar"

RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
  --loglevel warning >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$RPORT" PING >/dev/null 2>&1 && break; sleep 0.05; done

ARGS=(--redis "127.0.0.1:$RPORT" -n "$N" --batch "$BATCH" --single "$SINGLE")
if [ -n "$VMDNSD" ] && [ -x "$VMDNSD" ]; then
  DPORT=$(free_port)
  # vmdnsd must see the zone at startup: create it first.
  redis-cli -p "$RPORT" HSET bench.vm.example.com. @ \
    '{"soa":{"ttl":300,"ns":"ns1.example.com.","mbox":"hostmaster.example.com.","refresh":3600,"retry":600,"expire":86400,"minttl":30}}' >/dev/null
  cat >"$TMP/vmdns.yaml" <<CONF
listen: ["127.0.0.1:$DPORT"]
workers: 1
redis:
  backends:
    - name: bench
      addresses: ["127.0.0.1:$RPORT"]
CONF
  "$VMDNSD" --config "$TMP/vmdns.yaml" >"$TMP/vmdnsd.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do
    dig @127.0.0.1 -p "$DPORT" +time=1 +tries=1 bench.vm.example.com SOA 2>/dev/null | grep -q 'status: NOERROR' && break
    sleep 0.05
  done
  ARGS+=(--visible "127.0.0.1:$DPORT" --visible-n "$VISIBLE_N")
else
  echo "(no vmdnsd at '$VMDNSD': skipping the register -> answered latency run)"
fi
echo "libvmdns registrar bench: redis-server 127.0.0.1:$RPORT, $(nproc) CPUs"
"$TMP/registrar" "${ARGS[@]}"
