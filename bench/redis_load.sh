#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/redis_load.sh - how fast vmdnsd loads 1M names from four Redis
# backends, and in how much memory, against knotd loading the same names
# from a zone file, in one run.
#
# Issue 3's target: load time <= 1.5x knotd's, RSS <= knotd's.
#
# Four redis-servers each hold 250,000 names of one zone (vm.example.com.,
# one A record each, the schema's JSON); knotd gets the same 1,000,000
# names as an RFC 1035 zone file. Each server is started cold and timed
# until it answers names from every backend (vmdnsd: until each backend
# logged the end of its first load, then checked with a query per backend;
# knotd: until the last name of the file answers). RSS is VmRSS from
# /proc once loaded.
#
# Usage: bench/redis_load.sh       (build vmdnsd first: scripts/bench or cmake)
# Env:   VMDNSD=path  PER_BACKEND=250000  BACKENDS=4  WORKERS=1
#        VMDNSD_BASE=path  another vmdnsd binary (e.g. the last release's),
#                          timed the same way after vmdnsd, for a before/after
#                          comparison in one run
# Every process it starts is stopped on exit, also on Ctrl-C or error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VMDNSD=${VMDNSD:-$ROOT/build/src/vmdnsd}
PER_BACKEND=${PER_BACKEND:-250000}
BACKENDS=${BACKENDS:-4}
WORKERS=${WORKERS:-1}
VMDNSD_BASE=${VMDNSD_BASE:-}
ORIGIN=vm.example.com.
PY=/usr/bin/python3

for tool in redis-server redis-cli knotd dig; do
  command -v "$tool" >/dev/null || { echo "redis_load.sh: $tool not found (run scripts/setup)" >&2; exit 1; }
done
[ -x "$VMDNSD" ] || { echo "redis_load.sh: $VMDNSD not built" >&2; exit 1; }

TMP=$(mktemp -d /tmp/vmdns-redis-load.XXXXXX)
STARTED=()
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${STARTED[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_ports N: N free loopback ports (UDP and TCP).
free_ports() {
  $PY - "$1" <<'PY'
import socket, sys
out = []
while len(out) < int(sys.argv[1]):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p)); u.close()
    except OSError:
        continue
    if p not in out:
        out.append(p)
print(" ".join(map(str, out)))
PY
}

now() { date +%s.%N; }
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
# cpu_s PID: user+system CPU seconds of the process (all threads)
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# name K I: the I-th name of backend K
name() { printf 'vm-%d-%06d' "$1" "$2"; }
addr() { echo "10.$1.$(($2 / 256 % 256)).$(($2 % 256))"; }

read -r -a PORTS <<<"$(free_ports $((BACKENDS + 2)))"
VPORT=${PORTS[$BACKENDS]}
KPORT=${PORTS[$((BACKENDS + 1))]}

# --- data -------------------------------------------------------------------
echo "redis_load: $BACKENDS backends x $PER_BACKEND names in $TMP"
{
  printf '$ORIGIN %s\n$TTL 300\n' "$ORIGIN"
  printf '@ SOA ns1.%s hostmaster.%s 1 3600 600 86400 30\n@ NS ns1.%s\n' "$ORIGIN" "$ORIGIN" "$ORIGIN"
} >"$TMP/vm.zone"
for k in $(seq 0 $((BACKENDS - 1))); do
  port=${PORTS[$k]}
  mkdir -p "$TMP/redis$k"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP/redis$k" \
    >"$TMP/redis$k.log" 2>&1 &
  STARTED+=("$!")
  for _ in $(seq 100); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.05; done
  # HSET commands of 1000 fields each, as the Redis protocol, through --pipe.
  awk -v k="$k" -v n="$PER_BACKEND" -v zone="$ORIGIN" -v zf="$TMP/vm.zone" 'BEGIN {
    for (i = 0; i < n; i += 1000) {
      m = (n - i < 1000) ? n - i : 1000
      printf "*%d\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n", 2 + 2 * m, length(zone), zone
      for (j = i; j < i + m; j++) {
        f = sprintf("vm-%d-%06d", k, j)
        ip = sprintf("10.%d.%d.%d", k, int(j / 256) % 256, j % 256)
        v = sprintf("{\"a\":[{\"ip\":\"%s\",\"ttl\":300}]}", ip)
        printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(f), f, length(v), v
        printf "%s A %s\n", f, ip >> zf
      }
    }
  }' | redis-cli -p "$port" --pipe >"$TMP/fill$k.log"
  echo "redis_load: backend $k on 127.0.0.1:$port: $(redis-cli -p "$port" HLEN "$ORIGIN") names"
done

# --- knotd ------------------------------------------------------------------
mkdir -p "$TMP/knot"
cat >"$TMP/knot/knot.conf" <<CONF
server:
    rundir: $TMP/knot
    listen: 127.0.0.1@$KPORT
    udp-workers: $WORKERS
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
    semantic-checks: off
zone:
  - domain: $ORIGIN
    file: $TMP/vm.zone
CONF

LAST_K=$((BACKENDS - 1))
LAST_I=$((PER_BACKEND - 1))
# wait_answer PORT NAME ADDR PID: poll until NAME answers ADDR.
wait_answer() {
  local ans
  for _ in $(seq 30000); do
    ans=$(dig @127.0.0.1 -p "$1" +short +norec +time=1 +tries=1 "$2.${ORIGIN%.}" A 2>/dev/null || true)
    [ "$ans" = "$3" ] && return 0
    kill -0 "$4" 2>/dev/null || { echo "redis_load: server died" >&2; return 1; }
    sleep 0.01
  done
  return 1
}

t0=$(now)
knotd -c "$TMP/knot/knot.conf" >"$TMP/knotd.log" 2>&1 &
KPID=$!
STARTED+=("$KPID")
wait_answer "$KPORT" "$(name "$LAST_K" "$LAST_I")" "$(addr "$LAST_K" "$LAST_I")" "$KPID"
t1=$(now)
KNOT_CPU=$(cpu_s "$KPID")
sleep 1
KNOT_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
KNOT_RSS=$(rss_mb "$KPID")
echo "redis_load: knotd answered all $((BACKENDS * PER_BACKEND)) names after ${KNOT_S}s, RSS ${KNOT_RSS} MB"
kill -TERM "$KPID"
wait "$KPID" 2>/dev/null || true

# --- vmdnsd -----------------------------------------------------------------
{
  echo "listen: [\"127.0.0.1:$VPORT\"]"
  echo "workers: $WORKERS"
  echo "redis:"
  echo "  backends:"
  for k in $(seq 0 $((BACKENDS - 1))); do
    echo "    - {name: b$k, addresses: [\"127.0.0.1:${PORTS[$k]}\"]}"
  done
  echo "  defaults: {soa: {mbox: hostmaster.$ORIGIN}, ns: [ns1.$ORIGIN]}"
} >"$TMP/vmdns.yaml"

# run_vmdnsd LABEL BINARY: start it cold, time it until every backend is
# loaded and answers, check a sample of names, stop it. Sets LOAD_S, LOAD_CPU,
# LOAD_RSS; returns 1 if a sampled name answered wrong.
run_vmdnsd() {
  local label=$1 bin=$2 t0 t1 pid log="$TMP/$1.log" k i ans bad=0
  t0=$(now)
  "$bin" --config "$TMP/vmdns.yaml" >"$log" 2>&1 &
  pid=$!
  STARTED+=("$pid")
  for _ in $(seq 60000); do
    [ "$(grep -c 'redis: backend b[0-9]*: loaded' "$log" || true)" -ge "$BACKENDS" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "redis_load: $label died:" >&2; tail "$log" >&2; exit 1; }
    sleep 0.005
  done
  for k in $(seq 0 $((BACKENDS - 1))); do
    wait_answer "$VPORT" "$(name "$k" "$LAST_I")" "$(addr "$k" "$LAST_I")" "$pid"
  done
  t1=$(now)
  LOAD_CPU=$(cpu_s "$pid")
  sleep 1
  LOAD_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  LOAD_RSS=$(rss_mb "$pid")
  grep 'redis: backend' "$log" | sed 's/^/  /'
  echo "redis_load: $label answered names from all $BACKENDS backends after ${LOAD_S}s, RSS ${LOAD_RSS} MB"
  # a sample of names from every backend must answer right
  for k in $(seq 0 $((BACKENDS - 1))); do
    for i in 0 $((PER_BACKEND / 3)) $((PER_BACKEND / 2)) "$LAST_I"; do
      ans=$(dig @127.0.0.1 -p "$VPORT" +short +norec "$(name "$k" "$i").${ORIGIN%.}" A)
      [ "$ans" = "$(addr "$k" "$i")" ] || { echo "redis_load: $label: $(name "$k" "$i") answered '$ans'" >&2; bad=1; }
    done
  done
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  return "$bad"
}

bad=0
run_vmdnsd vmdnsd "$VMDNSD" || bad=1
VM_S=$LOAD_S VM_CPU=$LOAD_CPU VM_RSS=$LOAD_RSS
if [ -n "$VMDNSD_BASE" ]; then
  run_vmdnsd vmdnsd-base "$VMDNSD_BASE" || bad=1
  BASE_S=$LOAD_S BASE_CPU=$LOAD_CPU BASE_RSS=$LOAD_RSS
fi

echo
printf '%-8s %10s %10s %10s\n' server "load (s)" "CPU (s)" "RSS (MB)"
printf '%-8s %10s %10s %10s\n' knotd "$KNOT_S" "$KNOT_CPU" "$KNOT_RSS"
printf '%-8s %10s %10s %10s\n' vmdnsd "$VM_S" "$VM_CPU" "$VM_RSS"
[ -n "$VMDNSD_BASE" ] && printf '%-8s %10s %10s %10s   (VMDNSD_BASE)\n' base "$BASE_S" "$BASE_CPU" "$BASE_RSS"
echo "(the machine has $(nproc) CPUs; the redis-servers' own CPU for HSCAN is not in vmdnsd's figure)"
awk -v v="$VM_S" -v k="$KNOT_S" -v vr="$VM_RSS" -v kr="$KNOT_RSS" 'BEGIN {
  printf "load time ratio vmdnsd/knotd: %.2f (target <= 1.5); RSS ratio: %.2f (target <= 1.0)\n", v / k, vr / kr }'
exit "$bad"
