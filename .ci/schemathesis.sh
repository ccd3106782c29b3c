#!/usr/bin/env bash
# API conformance: start a real server, log in as the super administrator, and let schemathesis fuzz every
# operation of the served OpenAPI document. Fails on any 5xx and on any response the document does not describe.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${TRESOR_BIN:-${CARGO_TARGET_DIR:-target}/debug/tresor}
port=${SCHEMATHESIS_PORT:-18714}
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" server --data-dir "$work/data" --listen "127.0.0.1:$port" --seats 1000 >"$work/out" 2>"$work/err" &
server_pid=$!
base="https://127.0.0.1:$port"
ca="$work/data/tls/ca.crt"
for _ in $(seq 1 100); do
  if [ -f "$ca" ] && curl -fsS --cacert "$ca" "$base/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS --cacert "$ca" "$base/healthz" >/dev/null || { cat "$work/err"; echo "server did not start"; exit 1; }

otp=$(sed -n 's/^One-time password: *//p' "$work/out")
[ -n "$otp" ] || { echo "no one-time password in the banner"; exit 1; }
new_password="schemathesis-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
token=$(curl -fsS --cacert "$ca" -H 'content-type: application/json' \
  -d "{\"account\":\"admin\",\"password\":\"$otp\",\"client\":\"api\"}" "$base/api/v1/auth/login" | jq -r .token)
curl -fsS --cacert "$ca" -X PUT -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"current_password\":\"$otp\",\"new_password\":\"$new_password\"}" "$base/api/v1/me/password"

# Logging out or disconnecting sessions would end the session the run depends on.
echo "-- as the super administrator: every route"
schemathesis run "$base/api/v1/openapi.json" \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --tls-verify "$ca" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
  --exclude-path /api/v1/auth/logout \
  --exclude-path-regex '^/api/v1/admin/sessions/' \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" \
  --seed 1 \
  --no-color

# The vault's user routes refuse the super administrator (it cannot open databases), so they are fuzzed again as a
# user who may do everything in one database, with that database's id in the paths.
api() { curl -fsS --cacert "$ca" -H "authorization: Bearer $1" -H 'content-type: application/json' "${@:2}"; }
# The first run may have disabled permissions in the server policy, paused the server and changed the sign-in
# settings (two-factor authentication, clients, limits, password policy); the user's run starts from the defaults.
api "$token" -X POST "$base/api/v1/admin/policy/restore" >/dev/null
api "$token" -X POST "$base/api/v1/admin/continue" >/dev/null
# …and may have sent the log to a random folder or remote receiver: back to the defaults.
api "$token" -X PUT -d '{"files": true, "folder": null, "max_file_kb": 10240, "new_file": "daily", "keep_days": 90,
  "remote": null}' "$base/api/v1/admin/log-settings" >/dev/null
api "$token" -X PATCH -d '{
  "connections": {"credentials": true, "clients": ["cli", "web", "api"], "new_connection": "allow_multiple",
    "idle_minutes": 30},
  "protection": {"failed_login_limit": 0, "attempts_per_minute": 6000, "attempt_burst": 1000},
  "two_factor": {"mode": "off", "remember_device_days": 0, "email_code_minutes": 10},
  "password_policy": {"min_length": 8, "require_lowercase": false, "require_uppercase": false,
    "require_digits": false, "require_symbols": false, "min_strength": 1, "history": 0, "max_age_days": 0,
    "min_age_days": 0}}' "$base/api/v1/admin/signin-settings" >/dev/null
user_password="fuzz-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
api "$token" -d "{\"account\":\"fuzz\",\"password\":\"$user_password\",\"options\":{\"must_change_password\":false}}" \
  "$base/api/v1/admin/users" >/dev/null
db=$(api "$token" -d '{"name":"Fuzz"}' "$base/api/v1/admin/databases" | jq -r .id)
grants=$(jq -nc '[ "access","read","modify","add","delete","share","seal" ] | map({object: {kind: "database"},
  subject: {kind: "user", name: "fuzz"}, permission: ., setting: "allow"}) | {grants: .}')
api "$token" -X PUT -d "$grants" "$base/api/v1/admin/databases/$db/grants" >/dev/null
user_token=$(api "$token" -d "{\"account\":\"fuzz\",\"password\":\"$user_password\"}" "$base/api/v1/auth/login" | jq -r .token)
entry=$(api "$user_token" -d '{"title":"seed","password":"seed-password"}' "$base/api/v1/vault/databases/$db/entries" \
  | jq -r .id)
cat >"$work/vault.toml" <<EOF
[parameters]
"path.db" = "$db"
"path.entry" = "$entry"
EOF
echo "-- as a user with every right on one database: the vault's routes"
schemathesis --config-file "$work/vault.toml" run "$base/api/v1/openapi.json" \
  --url "$base" \
  --header "Authorization: Bearer $user_token" \
  --tls-verify "$ca" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
  --include-path-regex '^/api/v1/vault/' \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" \
  --seed 1 \
  --no-color
