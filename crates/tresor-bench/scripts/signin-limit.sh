# Sourced by the bench scripts. The driver logs in every connection from one address, which the sign-in limiter
# refuses past a few attempts a minute. After seeding (which spends this address's budget), `lift_login_limit URL`
# waits until the administrator can log in again, raises the limit through the sign-in settings, and waits for the
# server to read them (every 5 s). It leaves the administrator's token in `token`.
lift_login_limit() {
  local url=$1
  token=
  for _ in $(seq 1 60); do
    token=$(curl -sk -X POST "$url/api/v1/auth/login" -H 'content-type: application/json' \
      -d '{"account":"admin","password":"bench-admin-password-1"}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    [ -n "$token" ] && break; sleep 2
  done
  [ -n "$token" ] || { echo "the administrator could not log in to lift the sign-in limit" >&2; return 1; }
  curl -skf -X PATCH "$url/api/v1/admin/signin-settings" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' \
    -d '{"protection": {"failed_login_limit": 10, "attempts_per_minute": 6000, "attempt_burst": 1000}}' >/dev/null
  sleep 6
}
