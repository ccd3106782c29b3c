#!/usr/bin/env bash
# Entry locks under contention: a fresh server (SQLite) seeded with USERS users (32) and one database of 100 entries;
# every user may modify. All connections edit the same entry under its lock (take, save, release):
# 1. lock-cycle: one timed step is one attempt, a completed cycle or a refusal (423) because another held the lock;
# 2. lock-cycle-wait: one timed step asks again at once until the lock is granted, then saves and releases.
# Usage: [USERS=32] [RUN=10s] [ROUNDS=2] crates/tresor-bench/scripts/locks.sh [release bin dir]
set -euo pipefail
source "$(dirname "$0")/signin-limit.sh"
bin=${1:-target/release}
T=$bin/tresor; B=$bin/tresor-bench
users=${USERS:-32}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

$T server --data-dir "$work/data" --seats 10000 --listen 127.0.0.1:18733 --log-level warn >"$work/out" 2>"$work/err" &
SP=$!; pids+=("$SP")
for _ in $(seq 1 200); do grep -q "One-time" "$work/out" 2>/dev/null && break; sleep 0.05; done
FP=$(awk '/fingerprint/ {print $NF}' "$work/out"); PW=$(awk '/One-time password/ {print $NF}' "$work/out")
URL=https://127.0.0.1:18733
$B seed --url $URL --trust-fingerprint "$FP" --admin-password "$PW" --new-admin-password bench-admin-password-1 \
  --users "$users" --databases 1 --folders 1 --entries-per-database 100 --concurrency 8 >/dev/null
lift_login_limit "$URL"
grants=$(for u in $(seq 1 "$users"); do
  printf '{"object":{"kind":"database"},"subject":{"kind":"user","name":"bench-user-%s"},"permission":"modify","setting":"allow"},' "$u"
done)
curl -skf -X PUT "$URL/api/v1/admin/databases/bench-db-1/grants" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d "{\"grants\": [${grants%,}]}" >/dev/null
for r in $(seq 1 "${ROUNDS:-2}"); do
  for scenario in lock-cycle lock-cycle-wait; do
    echo "### round $r: $scenario, $users connections on one entry"
    $B run --url $URL --trust-fingerprint "$FP" --scenario $scenario --users "$users" --concurrency "$users" \
      --duration ${RUN:-10s} --warmup 2s --server-pid "$SP"
  done
done
