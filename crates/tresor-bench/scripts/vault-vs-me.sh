#!/usr/bin/env bash
# get-entry beside GET /me in one run, on one database of 10,000 entries, 64 connections: throughput, server CPU per
# request and the server's context switches per request (all its threads, from /proc).
# Usage: crates/tresor-bench/scripts/vault-vs-me.sh [release bin dir]
set -euo pipefail
source "$(dirname "$0")/signin-limit.sh"
bin=${1:-target/release}
B=$bin
work=$(mktemp -d)
$B/tresor server --data-dir "$work/data" --seats 10000 --listen 127.0.0.1:18719 >"$work/server.out" 2>"$work/server.err" &
SP=$!
trap 'kill $SP 2>/dev/null || true; wait $SP 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do grep -q "One-time password" "$work/server.out" 2>/dev/null && break; sleep 0.05; done
FP=$(awk '/fingerprint/ {print $NF}' "$work/server.out"); PW=$(awk '/One-time password/ {print $NF}' "$work/server.out")
URL=https://127.0.0.1:18719
$B/tresor-bench seed --url $URL --trust-fingerprint "$FP" --admin-password "$PW" --new-admin-password bench-admin-password-1 --users 64 --databases 1 --entries-per-database 10000 >/dev/null 2>&1
# Seeding used this address's login budget: lift it for the 64 logins of each run.
lift_login_limit "$URL"
ctx() { cat /proc/$SP/task/*/status | awk '/ctxt_switches/ {s+=$2} END {print s}'; }
echo "server threads: $(ls /proc/$SP/task | wc -l)"
for sc in me get-entry me get-entry; do
  before=$(ctx)
  out=$($B/tresor-bench run --url $URL --trust-fingerprint "$FP" --scenario $sc --users 64 --concurrency 64 --duration 8s --warmup 0s --server-pid $SP)
  after=$(ctx)
  n=$(echo "$out" | awk '/throughput/ {gsub(/\(/,"",$4); print $4}')
  echo "$sc: $(echo "$out" | grep -E 'throughput|CPU' | tr -s ' ' | tr '\n' ' ')"
  echo "  context switches per request (server, all threads, incl. login warm-up): $(( (after - before) / n ))"
done
