# Sourced by the bench scripts that run against a fresh server: they set T and B (the `tresor` and `tresor-bench`
# binaries), `work` (a scratch directory) and `pids` (what their cleanup kills).
# `start_fresh_server PORT` starts `tresor server` on a new data directory (SQLite) in `work`, waits for its first
# start to print the administrator's one-time password, and sets SP (its pid, also added to `pids`), FP (its
# certificate's fingerprint), PW (that password) and URL.
# `seed_fresh_server SEED-ARGS…` seeds it with `tresor-bench seed` (the administrator's password becomes
# bench-admin-password-1), then lifts the sign-in limit the seeding used up (`signin-limit.sh`), which leaves the
# administrator's token in `token`.
source "$(dirname "${BASH_SOURCE[0]}")/signin-limit.sh"

start_fresh_server() {
  local port=$1
  $T server --data-dir "$work/data" --seats 10000 --listen "127.0.0.1:$port" --log-level warn >"$work/out" 2>"$work/err" &
  SP=$!; pids+=("$SP")
  for _ in $(seq 1 200); do grep -q "One-time" "$work/out" 2>/dev/null && break; sleep 0.05; done
  FP=$(awk '/fingerprint/ {print $NF}' "$work/out"); PW=$(awk '/One-time password/ {print $NF}' "$work/out")
  URL=https://127.0.0.1:$port
}

seed_fresh_server() {
  $B seed --url "$URL" --trust-fingerprint "$FP" --admin-password "$PW" --new-admin-password bench-admin-password-1 \
    "$@" >/dev/null
  lift_login_limit "$URL"
}
