#!/usr/bin/env bash
# The vault's figures in one run: a fresh server (SQLite) seeded with 100 users and DBS databases of ENTRIES
# entries each in 20 folders; GET of one entry at 64 connections; the open of a whole database (one streamed
# request; PAGE_SIZE=1000 for pages) at 1 and at 10 connections; server memory throughout.
# Usage: crates/tresor-bench/scripts/vault.sh [release bin dir] [rounds] [databases] [entries per database]
set -euo pipefail
source "$(dirname "$0")/signin-limit.sh"
bin=${1:-target/release}
rounds=${2:-2}
dbs=${3:-10}
entries=${4:-10000}
T=$bin/tresor
B=$bin/tresor-bench
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

wait_for() { for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; cat "$1"; exit 1; }
rss() { awk '/VmRSS/ {print $2, $3}' "/proc/$1/status"; }

$T server --data-dir "$work/data" --seats 10000 --listen 127.0.0.1:18717 >"$work/server.out" 2>"$work/server.err" &
SP=$!; pids+=("$SP")
wait_for "$work/server.out" "One-time password"
FP=$(awk '/fingerprint/ {print $NF}' "$work/server.out")
PW=$(awk '/One-time password/ {print $NF}' "$work/server.out")
URL=https://127.0.0.1:18717
echo "### idle server RSS after first start: $(rss $SP)"
/usr/bin/time -f "### seeding: %e s elapsed" \
  $B seed --url $URL --trust-fingerprint "$FP" --admin-password "$PW" --new-admin-password bench-admin-password-1 \
  --users 100 --databases "$dbs" --folders 20 --entries-per-database "$entries" --concurrency 8
echo "### server RSS after seeding $((dbs * entries)) entries: $(rss $SP); database file: $(du -sh "$work/data" | cut -f1)"
# Seeding used this address's login budget: lift it for the 64 logins of each run.
lift_login_limit "$URL"
for r in $(seq 1 "$rounds"); do
  echo "### round $r: get-entry, 64 connections"
  $B run --url $URL --trust-fingerprint "$FP" --scenario get-entry --concurrency 64 --duration ${DURATION:-10s} --warmup 2s --server-pid "$SP"
  echo "### round $r: open-database ($entries entries), 1 connection"
  $B run --url $URL --trust-fingerprint "$FP" --scenario open-database --page-size ${PAGE_SIZE:-100000} --concurrency 1 --duration ${DURATION:-10s} --warmup 2s --server-pid "$SP"
  echo "### round $r: open-database ($entries entries), 10 users at once"
  $B run --url $URL --trust-fingerprint "$FP" --scenario open-database --page-size ${PAGE_SIZE:-100000} --concurrency 10 --duration ${DURATION:-10s} --warmup 2s --server-pid "$SP"
done
echo "### server RSS once the load has stopped: $(rss $SP)"
