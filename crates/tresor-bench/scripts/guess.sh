#!/usr/bin/env bash
# A password-guessing flood: 10,000 wrong passwords against one account from 127.0.0.1 while four other users log
# in and out from 127.0.0.2. Reports the Argon2id computations the flood cost (the dashboard's counter) against what
# the sign-in settings allow, and the other users' login latency before and during the flood.
# Each round floods from its own address (127.0.0.1x): the address of an earlier round is still limited, and the
# administrator's own login from it would be refused too. RATE=500 paces the flood at 500 attempts/s.
# Usage: [RATE=n] crates/tresor-bench/scripts/guess.sh [release bin dir] [rounds]
set -euo pipefail
bin=${1:-target/release}
rounds=${2:-1}
T=$bin/tresor; B=$bin/tresor-bench
work=$(mktemp -d)
$T server --data-dir "$work/data" --seats 10000 --listen 127.0.0.1:18721 --log-level warn >"$work/out" 2>"$work/err" &
SP=$!
trap 'kill $SP 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do grep -q "One-time" "$work/out" 2>/dev/null && break; sleep 0.05; done
FP=$(awk '/fingerprint/ {print $NF}' "$work/out"); PW=$(awk '/One-time password/ {print $NF}' "$work/out")
$B seed --url https://127.0.0.1:18721 --trust-fingerprint "$FP" --admin-password "$PW" \
  --new-admin-password bench-admin-password-1 --users 10 --groups 0 >/dev/null 2>&1
for r in $(seq 1 "$rounds"); do
  echo "round $r (victim bench-user-$r)"
  $B guess --url https://127.0.0.1:18721 --trust-fingerprint "$FP" --admin-password bench-admin-password-1 \
    --victim "bench-user-$r" --attempts 10000 --quiet 15s --attack-from "127.0.0.$((10 + r))" ${RATE:+--rate $RATE}
done
