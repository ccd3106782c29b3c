#!/usr/bin/env bash
# Is the KDF the whole cost of a login? Compares, interleaved, the CPU time of one raw Argon2id verification
# (tresor-bench argon2, 2 threads) with the server's CPU time per login (8 clients), and the wall-clock rates.
# CPU time per operation is robust to a shared machine's steal and frequency changes; wall-clock rates are not.
# Usage: crates/tresor-bench/scripts/login-cost.sh [release bin dir] [rounds]
set -euo pipefail
bin=${1:-target/release}
rounds=${2:-3}
T=$bin/tresor; B=$bin/tresor-bench
work=$(mktemp -d)
$T server --data-dir "$work/data" --seats 10000 --listen 127.0.0.1:18720 --log-level warn >"$work/out" 2>"$work/err" &
SP=$!
trap 'kill $SP 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do grep -q "One-time" "$work/out" 2>/dev/null && break; sleep 0.05; done
FP=$(awk '/fingerprint/ {print $NF}' "$work/out"); PW=$(awk '/One-time password/ {print $NF}' "$work/out")
$B seed --url https://127.0.0.1:18720 --trust-fingerprint "$FP" --admin-password "$PW" \
  --new-admin-password bench-admin-password-1 --users 100 --groups 0 >/dev/null 2>&1
ticks=$(getconf CLK_TCK)
for r in $(seq 1 "$rounds"); do
  raw=$(/usr/bin/time -f "%U %S" -o "$work/time" $B argon2 --seconds 5 --threads 2 --json)
  n=$(echo "$raw" | jq .verifications); rate=$(echo "$raw" | jq .verifications_per_second)
  raw_cpu_ms=$(awk -v n="$n" '{printf "%.2f", ($1 + $2) * 1000 / n}' "$work/time")
  read -r u1 s1 < <(awk '{print $14, $15}' /proc/$SP/stat)
  login=$($B run --url https://127.0.0.1:18720 --trust-fingerprint "$FP" --scenario login --concurrency 8 \
    --duration 10s --warmup 0s --json)
  read -r u2 s2 < <(awk '{print $14, $15}' /proc/$SP/stat)
  ok=$(echo "$login" | jq ".requests - .errors"); lrate=$(echo "$login" | jq .requests_per_second)
  login_cpu_ms=$(awk -v t=$((u2 - u1 + s2 - s1)) -v k="$ticks" -v n="$ok" 'BEGIN {printf "%.2f", t * 1000 / k / n}')
  awk -v r="$r" -v a="$raw_cpu_ms" -v b="$login_cpu_ms" -v x="$rate" -v y="$lrate" 'BEGIN {
    printf "round %d: CPU per raw verification %s ms, server CPU per login %s ms (KDF share %.0f%%); rate raw %.1f/s, logins %.1f/s (%.0f%%)\n",
      r, a, b, 100 * a / b, x, y, 100 * y / x }'
done
