#!/usr/bin/env bash
# The server log's figures in one run.
# 1. Events: 5,000 events/s for DURATION (default 60s) through the real log (group commit into SQLite), its RFC 5424
#    files and a remote syslog receiver over TCP: first the bench's own receiver (which checks every record number
#    arrives), then a real rsyslogd (whose output lines are counted against the log's head). Memory every 10 s.
# 2. Read-entry throughput with "monitor all accesses" off and on: a fresh server seeded with one database of 2,000
#    entries; GET of one entry with its secrets at 64 connections, alternating off and on for ROUNDS rounds, so that
#    each access with monitoring on is durably recorded (305) before its secret is sent.
# SKIP_EVENTS=1 runs the second part only.
# CONC=n sets the connections of the second part (64).
# Usage: [DURATION=60s] [ROUNDS=3] [SKIP_EVENTS=1] [CONC=64] crates/tresor-bench/scripts/audit.sh [release bin dir]
set -euo pipefail
source "$(dirname "$0")/fresh-server.sh"
bin=${1:-target/release}
T=$bin/tresor; B=$bin/tresor-bench
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if [ "${SKIP_EVENTS:-0}" != 1 ]; then
echo "### events: ${RATE:-5000}/s for ${DURATION:-60s} to files and the bench's own TCP receiver"
$B events --rate "${RATE:-5000}" --duration "${DURATION:-60s}"

if command -v rsyslogd >/dev/null; then
  mkdir -p "$work/rsyslog"
  cat >"$work/rsyslog/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog")
module(load="imtcp" MaxSessions="16")
input(type="imtcp" port="18730" address="127.0.0.1")
template(name="seq" type="string" string="%structured-data%\n")
action(type="omfile" file="$work/rsyslog/received.log" template="seq" asyncWriting="on" ioBufferSize="256k")
CONF
  rsyslogd -n -f "$work/rsyslog/rsyslog.conf" -i "$work/rsyslog/pid" &
  pids+=("$!")
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/18730) 2>/dev/null && break; sleep 0.05; done
  echo "### events: ${RATE:-5000}/s for ${DURATION:-60s} to files and rsyslogd over TCP"
  $B events --rate "${RATE:-5000}" --duration "${DURATION:-60s}" --receiver 127.0.0.1:18730 --dir "$work/events"
  head=$(sqlite3 "$work/events/tresor.db" "SELECT seq FROM audit_head" 2>/dev/null || echo "?")
  # rsyslog writes asynchronously: wait until its file stops growing.
  prev=-1; for _ in $(seq 1 100); do n=$(wc -l <"$work/rsyslog/received.log"); [ "$n" = "$prev" ] && break; prev=$n; sleep 0.2; done
  distinct=$(grep -o 'seq="[0-9]*"' "$work/rsyslog/received.log" | sort -u | wc -l)
  echo "### rsyslogd received $(wc -l <"$work/rsyslog/received.log") lines, $distinct distinct records; the log's head is $head"
fi
fi

start_fresh_server 18731
seed_fresh_server --users 100 --databases 1 --folders 20 --entries-per-database 2000 --concurrency 8
monitor() {
  curl -skf -X PATCH "$URL/api/v1/admin/databases/bench-db-1" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' -d "{\"monitor_accesses\": $1}" >/dev/null
}
for r in $(seq 1 "${ROUNDS:-3}"); do
  for m in false true; do
    monitor $m
    echo "### round $r: get-entry, ${CONC:-64} connections, monitor all accesses: $m"
    $B run --url $URL --trust-fingerprint "$FP" --scenario get-entry --concurrency ${CONC:-64} --duration ${RUN:-10s} --warmup 2s --server-pid "$SP"
  done
done
