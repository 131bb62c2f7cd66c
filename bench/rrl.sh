#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/rrl.sh - response rate limiting: vmdnsd against knotd (mod-rrl) and
# nsd (rrl-ratelimit) under a spoofed reflection flood, in one run.
#
# Issue 12 point 2's targets, with every server on the same zone, the same
# limits (10 responses per second per account, slip 2, IPv4 /24) and one
# worker on CPU 0, and the clients on CPU 1:
#   amplification   a flood of one large question (TXT, ~1 KB answer, EDNS
#                   1232) from 64 addresses of one /24 (127.0.1.1-64: the
#                   spoofed victim), FLOOD_RATE qps for SECONDS_PER_RUN:
#                   bytes the victim gets back / bytes "it" sent; <= 1
#                   (bench/rrl_flood.py);
#   legitimate      meanwhile a client on another /24 (127.0.2.1) asks for
#                   the zone's names at 100 qps: the share answered (NOERROR,
#                   TC=0, within 1 s); >= 95%;
#   CPU per query   dnsperf at RATE qps over the 10,000 names from
#                   127.0.0.1 (2 queries per name per second: below the
#                   limit, every query answered), server user+sys time per
#                   query, best of ROUNDS rounds, for vmdnsd with rrl and
#                   without (and knotd/nsd with theirs); rrl on <= 1.1x off.
# vmdnsd without rrl is flooded too, for the figure without a defence.
#
# Usage: bench/rrl.sh   (after building build/)
# Env:   VMDNSD=path ROUNDS=3 SECONDS_PER_RUN=5 RATE=20000 FLOOD_RATE=20000
#        NAMES=10000 SERVERS="vmdnsd vmdnsd-norrl knotd nsd"
#        SKIP_FLOOD=1 (only the CPU rounds)
# Every process it starts is stopped on exit, also on Ctrl-C or error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VMDNSD=${VMDNSD:-$ROOT/build/src/vmdnsd}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
RATE=${RATE:-20000}
FLOOD_RATE=${FLOOD_RATE:-20000}
NAMES=${NAMES:-10000}
SERVERS=${SERVERS:-"vmdnsd vmdnsd-norrl knotd nsd"}
ORIGIN=vm.example.com.
LIB="/usr/bin/python3 $ROOT/bench/benchlib.py"
HZ=$(getconf CLK_TCK)

for tool in taskset dnsperf knotd nsd dig; do
  command -v "$tool" >/dev/null || { echo "rrl.sh: $tool not found (run scripts/setup)" >&2; exit 1; }
done
[ -x "$VMDNSD" ] || { echo "rrl.sh: $VMDNSD not built" >&2; exit 1; }
if [ "$(nproc)" -lt 2 ]; then
  echo "rrl.sh: needs 2 CPUs (servers on CPU 0, clients on CPU 1)" >&2
  exit 1
fi

TMP=$(mktemp -d /tmp/vmdns-rrl-bench.XXXXXX)
declare -A PID PORT CPU FLOOD US
RATIOS=()
STARTED=()

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

echo "bench: zone of $NAMES names + big.$ORIGIN TXT in $TMP"
FIRST=$($LIB zone "$NAMES" "$ORIGIN" "$TMP/vm.zone" "$TMP/queries.txt")
# The reflector's favourite: one name with a ~1 KB answer.
TXT=$(printf 'x%.0s' $(seq 240))
for i in 1 2 3 4; do echo "big 30 IN TXT \"$i$TXT\"" >>"$TMP/vm.zone"; done
read -r PORT[vmdnsd] PORT[vmdnsd-norrl] PORT[knotd] PORT[nsd] <<<"$($LIB ports 4)"

# --- configs: 10 responses/s per account, slip 2, /24 ------------------------
vmdns_conf() {
  cat <<CONF
listen: ["127.0.0.1:$1"]
workers: 1
zones:
  - origin: $ORIGIN
    file: $TMP/vm.zone
CONF
}
vmdns_conf "${PORT[vmdnsd]}" >"$TMP/vmdns.yaml"
cat >>"$TMP/vmdns.yaml" <<CONF
rrl:
  responses-per-second: 10
  slip-ratio: 2
  ipv4-prefix-length: 24
CONF
vmdns_conf "${PORT[vmdnsd-norrl]}" >"$TMP/vmdns-norrl.yaml"

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
mod-rrl:
  - id: default
    rate-limit: 10
    slip: 2
template:
  - id: default
    storage: $TMP/knot
    zonefile-sync: -1
    journal-content: none
    global-module: mod-rrl/default
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
    rrl-ratelimit: 10
    rrl-slip: 2
    rrl-ipv4-prefix-length: 24
    rrl-whitelist-ratelimit: 10
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
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: $name did not answer $FIRST correctly (got '$ans', want '$want'):" >&2
  tail -20 "$TMP/$name.log" >&2
  exit 1
}

for s in $SERVERS; do
  case $s in
    vmdnsd) start vmdnsd "$VMDNSD" --config "$TMP/vmdns.yaml" ;;
    vmdnsd-norrl) start vmdnsd-norrl "$VMDNSD" --config "$TMP/vmdns-norrl.yaml" ;;
    knotd) start knotd knotd -c "$TMP/knot/knot.conf" ;;
    nsd) start nsd nsd -d -c "$TMP/nsd/nsd.conf" ;;
    *) echo "bench: unknown server $s" >&2; exit 1 ;;
  esac
done

# cpu NAME: server CPU ticks so far.
cpu() { $LIB cpu "${PID[$1]}"; }
best_min() { [ -z "${1:-}" ] && echo "$2" || awk -v a="$1" -v b="$2" 'BEGIN { print (b < a) ? b : a }'; }

# --- the flood ----------------------------------------------------------------
for s in $SERVERS; do
  [ "${SKIP_FLOOD:-0}" = 1 ] && break
  before=$(cpu "$s")
  FLOOD[$s]=$(taskset -c 1 /usr/bin/python3 "$ROOT/bench/rrl_flood.py" "${PORT[$s]}" "$TMP/queries.txt" \
    --rate "$FLOOD_RATE" --seconds "$SECONDS_PER_RUN" --qname "big.$ORIGIN")
  after=$(cpu "$s")
  echo "flood  $s: ${FLOOD[$s]} server_cpu_ticks=$((after - before))"
done

# --- CPU per query at RATE, below the limits ----------------------------------
for round in $(seq "$ROUNDS"); do
  for s in $SERVERS; do
    before=$(cpu "$s")
    taskset -c 1 dnsperf -s 127.0.0.1 -p "${PORT[$s]}" -d "$TMP/queries.txt" \
      -l "$SECONDS_PER_RUN" -c 4 -q 500 -Q "$RATE" >"$TMP/rate-$s-$round.txt" 2>&1 || true
    after=$(cpu "$s")
    read -r done qps <<<"$($LIB dnsperf "$TMP/rate-$s-$round.txt")"
    if ! grep -qE "NOERROR +[0-9]+ \(100\.00%\)" "$TMP/rate-$s-$round.txt"; then
      echo "bench: $s: not every reply was NOERROR" >&2
    fi
    lost=$(awk '/Queries lost:/ { print $3 }' "$TMP/rate-$s-$round.txt")
    if [ "$done" -gt 0 ]; then
      us=$(awk -v t=$((after - before)) -v hz="$HZ" -v n="$done" 'BEGIN { printf "%.3f", t * 1e6 / hz / n }')
    else
      us=inf
    fi
    printf 'round %d  %-13s at %d qps: %8.0f qps completed (%s lost), %6s us CPU/query\n' \
      "$round" "$s" "$RATE" "$qps" "${lost:-?}" "$us"
    [ "$us" != inf ] && CPU[$s]=$(best_min "${CPU[$s]:-}" "$us")
    US[$s]=$us
  done
  # The two vmdnsd run back to back: the ratio of one round's pair sees the
  # same machine load (the best-of figures may come from different moments).
  if [ -n "${US[vmdnsd]:-}" ] && [ -n "${US[vmdnsd-norrl]:-}" ] && [ "${US[vmdnsd]}" != inf ] &&
    [ "${US[vmdnsd-norrl]}" != inf ]; then
    RATIOS+=("$(awk -v a="${US[vmdnsd]}" -v b="${US[vmdnsd-norrl]}" 'BEGIN { printf "%.3f", a / b }')")
  fi
done

field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }
echo
echo "RRL benchmark: 10 responses/s per account, slip 2, /24; 1 server worker on CPU 0, clients on CPU 1"
echo "flood: big.$ORIGIN TXT (EDNS 1232) from 127.0.1.1-64 at $FLOOD_RATE qps for ${SECONDS_PER_RUN}s; legitimate client 127.0.2.1 at 100 qps"
printf '%-13s %12s %14s %14s %14s %12s %18s\n' server "flood qps" "bytes sent" "bytes back" "amplification" "legit ans." "CPU us/q @$RATE"
for s in $SERVERS; do
  f=${FLOOD[$s]:-}
  printf '%-13s %12s %14s %14s %14s %11s%% %18s\n' "$s" "$(field "$f" flood_qps)" "$(field "$f" flood_bytes_sent)" \
    "$(field "$f" bytes_received)" "$(field "$f" amplification)" "$(field "$f" legit_rate)" "${CPU[$s]:-n/a}"
done
if [ -n "${CPU[vmdnsd]:-}" ] && [ -n "${CPU[vmdnsd-norrl]:-}" ]; then
  awk -v a="${CPU[vmdnsd]}" -v b="${CPU[vmdnsd-norrl]}" 'BEGIN { printf "vmdnsd CPU per query, rrl on / off: %.3f (best of each)", a / b }'
  if [ "${#RATIOS[@]}" -gt 0 ]; then
    printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{ r[NR] = $1 } END { printf ", median of the rounds'"'"' pairs %.3f (%s)\n", r[int((NR + 1) / 2)], NR " rounds" }'
  else
    echo
  fi
fi
