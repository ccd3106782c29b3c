#!/usr/bin/env bash
# A password-guessing flood: 10,000 wrong passwords against one account from one address while four other users log
# in and out from 127.0.0.2. Reports the Argon2id computations the flood cost (the dashboard's counter) against what
# the sign-in settings allow, and the other users' login latency before and during the flood.
# Each round floods from its own address (127.0.0.1x): the address of an earlier round is still limited, and the
# administrator's own login from it would be refused too. RATE=500 paces the flood at 500 attempts/s.
# PIN=1 runs the server on CPU 1 and the driver on CPU 0, so that the driver's own work (TLS for thousands of
# requests a second) does not take the server's CPU, as it would not when the flood comes from another machine.
# Usage: [RATE=n] [PIN=1] crates/tresor-bench/scripts/guess.sh [release bin dir] [rounds]
set -euo pipefail
bin=${1:-target/release}
rounds=${2:-1}
T=$bin/tresor; B=$bin/tresor-bench
work=$(mktemp -d)
server_cpu=(); driver_cpu=()
if [ "${PIN:-0}" = 1 ]; then server_cpu=(taskset -c 1); driver_cpu=(taskset -c 0); fi
"${server_cpu[@]}" $T server --data-dir "$work/data" --seats 10000 --listen 127.0.0.1:18721 --log-level warn >"$work/out" 2>"$work/err" &
SP=$!
trap 'kill $SP 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do grep -q "One-time" "$work/out" 2>/dev/null && break; sleep 0.05; done
FP=$(awk '/fingerprint/ {print $NF}' "$work/out"); PW=$(awk '/One-time password/ {print $NF}' "$work/out")
$B seed --url https://127.0.0.1:18721 --trust-fingerprint "$FP" --admin-password "$PW" \
  --new-admin-password bench-admin-password-1 --users 20 --groups 0 >/dev/null 2>&1
for r in $(seq 1 "$rounds"); do
  echo "round $r (victim bench-user-$((10 + r)))"
  "${driver_cpu[@]}" $B guess --url https://127.0.0.1:18721 --trust-fingerprint "$FP" --admin-password bench-admin-password-1 \
    --victim "bench-user-$((10 + r))" --attempts 10000 --attackers ${ATTACKERS:-200} --quiet 15s --attack-from "127.0.0.$((10 + r))" ${RATE:+--rate $RATE}
done
