#!/usr/bin/env bash
# Time from a fresh data directory to a healthy /healthz (key, certificates, database and admin account created),
# then the server's resident memory once idle. Repeats N times (default 5) and prints one line per run.
# Usage: crates/tresor-bench/scripts/startup.sh [target/release/tresor] [runs]
set -euo pipefail
bin=${1:-target/release/tresor}
runs=${2:-5}
port=18715
for i in $(seq 1 "$runs"); do
  dir=$(mktemp -d)
  start=$(date +%s%N)
  "$bin" server --data-dir "$dir/data" --listen "127.0.0.1:$port" >"$dir/out" 2>"$dir/err" &
  pid=$!
  until [ -f "$dir/data/tls/ca.crt" ] && curl -fsS --cacert "$dir/data/tls/ca.crt" "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$dir/err"; exit 1; }
    sleep 0.005
  done
  ready=$(date +%s%N)
  sleep 2  # let start-up work settle before reading idle memory
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf 'run %d: fresh start to healthy /healthz %d ms, idle RSS %.1f MiB\n' "$i" $(((ready - start) / 1000000)) "$(awk -v k="$rss" 'BEGIN {print k / 1024}')"
  rm -rf "$dir"
done
