#!/usr/bin/env bash
# Working together, on a fresh server (SQLite) seeded with USERS users (50) and one database of 100 entries; every
# user may modify.
# 1. Locks under contention: LOCKERS connections (32) edit the same entry under its lock (take, save, release).
#    lock-cycle: one timed step is one attempt, a completed cycle or a refusal (423) because another held the lock;
#    lock-cycle-wait: one timed step asks again until the lock is granted, then saves and releases.
#    Each twice: a refused worker asks again at once, and after BACKOFF (50ms), as a client that is refused waits.
# 2. Live events: LISTENERS WebSockets (1000) on the users' sessions; one writer changes an entry CHANGES times (200),
#    one change every INTERVAL (50ms); how long after its acknowledgement each listener hears of each change.
# Usage: [USERS=50] [LOCKERS=32] [LISTENERS=1000] [RUN=10s] [ROUNDS=2] crates/tresor-bench/scripts/together.sh [bin dir]
set -euo pipefail
source "$(dirname "$0")/fresh-server.sh"
bin=${1:-target/release}
T=$bin/tresor; B=$bin/tresor-bench
users=${USERS:-50}
lockers=${LOCKERS:-32}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start_fresh_server 18734
seed_fresh_server --users "$users" --databases 1 --folders 1 --entries-per-database 100 --concurrency 8
grants=$(for u in $(seq 1 "$users"); do
  printf '{"object":{"kind":"database"},"subject":{"kind":"user","name":"bench-user-%s"},"permission":"modify","setting":"allow"},' "$u"
done)
curl -skf -X PUT "$URL/api/v1/admin/databases/bench-db-1/grants" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d "{\"grants\": [${grants%,}]}" >/dev/null
for r in $(seq 1 "${ROUNDS:-2}"); do
  for backoff in 0 ${BACKOFF:-50ms}; do
    for scenario in lock-cycle lock-cycle-wait; do
      echo "### round $r: $scenario, $lockers connections on one entry, a refused worker waits $backoff"
      $B run --url $URL --trust-fingerprint "$FP" --scenario $scenario --users "$lockers" --concurrency "$lockers" \
        --lock-backoff "$backoff" --duration ${RUN:-10s} --warmup 2s --server-pid "$SP"
    done
  done
  echo "### round $r: live events, ${LISTENERS:-1000} listeners, ${CHANGES:-200} changes every ${INTERVAL:-50ms}"
  echo "### server RSS before: $(awk '/VmRSS/ {print $2, $3}' /proc/$SP/status)"
  $B listen --url $URL --trust-fingerprint "$FP" --users "$users" --listeners "${LISTENERS:-1000}" \
    --changes "${CHANGES:-200}" --interval "${INTERVAL:-50ms}"
  echo "### server RSS after: $(awk '/VmRSS/ {print $2, $3}' /proc/$SP/status)"
done
