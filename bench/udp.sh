#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/udp.sh - vmdnsd against knotd and nsd over UDP, on the same zone, in one run.
#
# Issue 2's target: vmdnsd's saturated qps >= the best of knotd and nsd, and
# its CPU per query <= the best of them. To compare like with like, every
# server gets one worker and CPU 0 (taskset), dnsperf gets CPU 1, the zone
# is the same 10,000 `vm-XXXXXX` A names, and the servers take turns
# (ROUNDS rounds of: each server saturated, then each at a fixed rate), so
# drift on the machine hits all three alike.
#
# Two figures per server:
#   saturated qps   dnsperf with no rate limit (the best of the rounds);
#   CPU us/query    the server's user+sys time (/proc/PID/stat, all its
#                   threads and child processes) over a run at RATE qps,
#                   divided by the queries completed (the best of the rounds).
#
# Usage: bench/udp.sh            (or scripts/bench, which builds first)
# Env:   VMDNSD=path  ROUNDS=3  SECONDS_PER_RUN=10  RATE=50000  NAMES=10000
#        SERVERS="vmdnsd knotd nsd"  CLIENTS=4
#        VMDNSD_BASE=path   another vmdnsd binary (e.g. a build of the last
#                           release) run as a fourth server, "vmdnsd-base",
#                           so a change is compared before/after in one run
# Every process it starts is stopped on exit, also on Ctrl-C or error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VMDNSD=${VMDNSD:-$ROOT/build/src/vmdnsd}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
RATE=${RATE:-50000}
NAMES=${NAMES:-10000}
CLIENTS=${CLIENTS:-4}
SERVERS=${SERVERS:-"vmdnsd knotd nsd"}
VMDNSD_BASE=${VMDNSD_BASE:-}
if [ -n "$VMDNSD_BASE" ]; then
  [ -x "$VMDNSD_BASE" ] || { echo "udp.sh: VMDNSD_BASE=$VMDNSD_BASE is not executable" >&2; exit 1; }
  SERVERS="$SERVERS vmdnsd-base"
fi
ORIGIN=vm.example.com.
LIB="/usr/bin/python3 $ROOT/bench/benchlib.py"
HZ=$(getconf CLK_TCK)

for tool in taskset dnsperf knotd nsd dig; do
  command -v "$tool" >/dev/null || { echo "udp.sh: $tool not found (run scripts/setup)" >&2; exit 1; }
done
[ -x "$VMDNSD" ] || { echo "udp.sh: $VMDNSD not built (run scripts/bench)" >&2; exit 1; }
if [ "$(nproc)" -lt 2 ]; then
  echo "udp.sh: needs 2 CPUs (server on CPU 0, dnsperf on CPU 1)" >&2
  exit 1
fi

TMP=$(mktemp -d /tmp/vmdns-bench.XXXXXX)
declare -A PID PORT SAT CPU
STARTED=()

# ours PID: is PID still a child of this script (not a reused PID)?
ours() { [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }

cleanup() {
  local p
  for p in "${STARTED[@]}"; do
    if ours "$p"; then kill -TERM "$p" 2>/dev/null || true; fi
  done
  for p in "${STARTED[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    if ours "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bench: zone of $NAMES names in $TMP"
FIRST=$($LIB zone "$NAMES" "$ORIGIN" "$TMP/vm.zone" "$TMP/queries.txt")
read -r PORT[vmdnsd] PORT[knotd] PORT[nsd] PORT[vmdnsd-base] <<<"$($LIB ports 4)"

# --- configs ----------------------------------------------------------------
cat >"$TMP/vmdns.yaml" <<CONF
listen: ["127.0.0.1:${PORT[vmdnsd]}"]
workers: 1
zones:
  - origin: $ORIGIN
    file: $TMP/vm.zone
CONF
sed "s/:${PORT[vmdnsd]}\"/:${PORT[vmdnsd-base]}\"/" "$TMP/vmdns.yaml" >"$TMP/vmdns-base.yaml"

mkdir -p "$TMP/knot"
cat >"$TMP/knot/knot.conf" <<CONF
server:
    rundir: $TMP/knot
    listen: 127.0.0.1@${PORT[knotd]}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: $TMP/knot
template:
  - id: default
    storage: $TMP/knot
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $ORIGIN
    file: $TMP/vm.zone
CONF

mkdir -p "$TMP/nsd"
cat >"$TMP/nsd/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@${PORT[nsd]}
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$TMP/nsd"
    database: ""
    pidfile: "$TMP/nsd/nsd.pid"
    xfrdfile: "$TMP/nsd/xfrd.state"
    xfrdir: "$TMP/nsd"
    zonelistfile: "$TMP/nsd/zone.list"
    logfile: "$TMP/nsd/nsd.log"
    verbosity: 0
    hide-version: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "$ORIGIN"
    zonefile: "$TMP/vm.zone"
CONF

# --- servers ----------------------------------------------------------------
start() {
  local name=$1
  shift
  taskset -c 0 "$@" >"$TMP/$name.log" 2>&1 &
  PID[$name]=$!
  STARTED+=("$!")
  local want ans
  want=$(awk -v n="$FIRST" '$1 == n { print $4 }' "$TMP/vm.zone")
  for _ in $(seq 100); do
    ans=$(dig @127.0.0.1 -p "${PORT[$name]}" +short +norec +time=1 +tries=1 "$FIRST.${ORIGIN%.}" A 2>/dev/null || true)
    if [ "$ans" = "$want" ]; then
      echo "bench: $name up on 127.0.0.1:${PORT[$name]} (pid ${PID[$name]})"
      return 0
    fi
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "bench: $name did not answer $FIRST correctly (got '$ans', want '$want'):" >&2
  tail -20 "$TMP/$name.log" >&2
  exit 1
}

for s in $SERVERS; do
  case $s in
    vmdnsd) start vmdnsd "$VMDNSD" --config "$TMP/vmdns.yaml" ;;
    vmdnsd-base) start vmdnsd-base "$VMDNSD_BASE" --config "$TMP/vmdns-base.yaml" ;;
    knotd) start knotd knotd -c "$TMP/knot/knot.conf" ;;
    nsd) start nsd nsd -d -c "$TMP/nsd/nsd.conf" ;;
    *) echo "bench: unknown server $s" >&2; exit 1 ;;
  esac
done

# run NAME OUT [-Q rate]: one dnsperf run against NAME; prints "completed qps".
run() {
  local name=$1 out=$2
  shift 2
  taskset -c 1 dnsperf -s 127.0.0.1 -p "${PORT[$name]}" -d "$TMP/queries.txt" \
    -l "$SECONDS_PER_RUN" -c "$CLIENTS" -q 500 "$@" >"$out" 2>&1 || true
  if ! grep -qE "NOERROR +[0-9]+ \(100\.00%\)" "$out"; then
    echo "bench: $name: not every reply was NOERROR:" >&2
    grep -A4 "Response codes" "$out" >&2 || tail -5 "$out" >&2
  fi
  $LIB dnsperf "$out"
}

best_max() { [ -z "${1:-}" ] && echo "$2" || awk -v a="$1" -v b="$2" 'BEGIN { print (b > a) ? b : a }'; }
best_min() { [ -z "${1:-}" ] && echo "$2" || awk -v a="$1" -v b="$2" 'BEGIN { print (b < a) ? b : a }'; }

for round in $(seq "$ROUNDS"); do
  for s in $SERVERS; do
    before=$($LIB cpu "${PID[$s]}")
    read -r done qps <<<"$(run "$s" "$TMP/sat-$s-$round.txt")"
    after=$($LIB cpu "${PID[$s]}")
    # Server CPU busy: near 100% means the server is the bottleneck, less
    # means dnsperf (one core) is.
    busy=$(awk -v t=$((after - before)) -v hz="$HZ" -v s="$SECONDS_PER_RUN" 'BEGIN { printf "%.0f", t * 100 / hz / s }')
    printf 'round %d  %-11s saturated: %10.0f qps (%d queries, server CPU %s%%)\n' "$round" "$s" "$qps" "$done" "$busy"
    SAT[$s]=$(best_max "${SAT[$s]:-}" "$qps")
  done
  for s in $SERVERS; do
    before=$($LIB cpu "${PID[$s]}")
    read -r done qps <<<"$(run "$s" "$TMP/rate-$s-$round.txt" -Q "$RATE")"
    after=$($LIB cpu "${PID[$s]}")
    if [ "$done" -gt 0 ]; then
      us=$(awk -v t=$((after - before)) -v hz="$HZ" -v n="$done" 'BEGIN { printf "%.3f", t * 1e6 / hz / n }')
    else
      us=inf
    fi
    printf 'round %d  %-11s at %d qps: %10.0f qps, %6s us CPU/query\n' "$round" "$s" "$RATE" "$qps" "$us"
    [ "$us" != inf ] && CPU[$s]=$(best_min "${CPU[$s]:-}" "$us")
  done
done

echo
echo "vmdns UDP benchmark: $NAMES names, 1 worker on CPU 0, dnsperf -c $CLIENTS on CPU 1, ${SECONDS_PER_RUN}s runs, best of $ROUNDS rounds"
printf '%-11s %16s %22s\n' server "saturated qps" "CPU us/query @${RATE}"
for s in $SERVERS; do
  printf '%-11s %16.0f %22s\n' "$s" "${SAT[$s]:-0}" "${CPU[$s]:-n/a}"
done
