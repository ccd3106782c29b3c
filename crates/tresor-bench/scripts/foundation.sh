#!/usr/bin/env bash
# The foundation's figures in one run: a fresh server, seeded; the hello-world reference and GET /me at 64
# connections (same driver, same run); the raw Argon2id rate and logins at 8 connections; server memory
# throughout. Usage: crates/tresor-bench/scripts/foundation.sh [release bin dir] [rounds]
set -euo pipefail
source "$(dirname "$0")/signin-limit.sh"
bin=${1:-target/release}
rounds=${2:-2}
T=$bin/tresor
B=$bin/tresor-bench
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

wait_for() { for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; cat "$1"; exit 1; }

$T server --data-dir "$work/data" --seats 10000 --listen 127.0.0.1:18716 >"$work/server.out" 2>"$work/server.err" &
SP=$!; pids+=("$SP")
wait_for "$work/server.out" "One-time password"
FP=$(awk '/fingerprint/ {print $NF}' "$work/server.out")
PW=$(awk '/One-time password/ {print $NF}' "$work/server.out")
URL=https://127.0.0.1:18716
$B hello --listen 127.0.0.1:0 >"$work/hello.out" 2>&1 &
HP=$!; pids+=("$HP")
wait_for "$work/hello.out" "fingerprint"
HURL=$(grep -o 'https://[0-9.:]*' "$work/hello.out" | head -n1)
HFP=$(awk '/fingerprint/ {print $NF}' "$work/hello.out")

echo "### idle server RSS after first start: $(awk '/VmRSS/ {print $2, $3}' /proc/$SP/status)"
$B seed --url $URL --trust-fingerprint "$FP" --admin-password "$PW" --new-admin-password bench-admin-password-1 \
  --users 100 --groups 10 --members-per-group 10
# Seeding used this address's login budget: lift it for the 64 logins of each run.
lift_login_limit "$URL"
for r in $(seq 1 "$rounds"); do
  echo "### round $r: hello (reference)"
  $B run --url "$HURL" --trust-fingerprint "$HFP" --scenario hello --concurrency 64 --duration 10s --warmup 2s --server-pid "$HP"
  echo "### round $r: GET /api/v1/me"
  $B run --url $URL --trust-fingerprint "$FP" --scenario me --concurrency 64 --duration 10s --warmup 2s --server-pid "$SP"
  echo "### round $r: raw Argon2id"
  $B argon2 --seconds 5 --threads 2
  echo "### round $r: login"
  $B run --url $URL --trust-fingerprint "$FP" --scenario login --concurrency 8 --duration 10s --warmup 2s --server-pid "$SP"
done
echo "### server RSS once the load has stopped: $(awk '/VmRSS/ {print $2, $3}' /proc/$SP/status)"
