#!/usr/bin/env bash
# The seeds' trade-off rows that are not throughput: what each credential
# weighs on the wire, and how long a revocation takes to bite in each mode.
# Prints TSV rows "key<TAB>value<TAB>unit" to $1 (default: stdout).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
out=${1:-/dev/stdout}
tmp=$(mktemp -d)
pid=""
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
: >"$out"
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$out"; }

data=$tmp/data
echo "correct horse battery staple" | "$BUILD_DIR/cloakroom" user add bench --role admin --password-stdin --data-dir "$data" >/dev/null
port=$(free_port)
CLOAKROOM_HTTP_ACCESS_LOG=false "$BUILD_DIR/cloakroom" serve --listen "127.0.0.1:$port" --data-dir "$data" 2>/dev/null &
pid=$!
wait_port "$port"
base=http://127.0.0.1:$port
login() { curl -s -D "$tmp/headers" "$base/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench\",\"password\":\"correct horse battery staple\"$1}"; }

login "" >/dev/null
session_cookie=$(sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p' "$tmp/headers")
row session_cookie_bytes "${#session_cookie}" "bytes (Cookie: header value, __Host-sid=…)"
body=$(login ',"mode":"token","transport":"body"')
access=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$body")
refresh=$(sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' <<<"$body")
row es256_access_token_bytes "${#access}" "bytes (ES256 JWT with sid, epoch, username, one role)"
row refresh_token_bytes "${#refresh}" "bytes"
login ',"mode":"token"' >/dev/null
at_cookie=$(grep -o '__Host-at=[^;]*' "$tmp/headers")
row access_cookie_bytes "${#at_cookie}" "bytes (Cookie: header value, __Host-at=…)"

# Revocation latency. On the server that revoked: how many requests were
# still accepted after the revoking call returned (0 = the very next one is
# refused). From the CLI: ms from the command's return to the first refused
# request (polling every 2 ms; curl's start-up is the floor).
ms_now() { date +%s%3N; }
until_refused() {  # START curl-args: prints ms until the credential is refused
  local start=$1; shift
  while [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/auth/me" "$@") == 200 ]]; do sleep 0.002; done
  echo $(( $(ms_now) - start ))
}
accepted_after() {  # curl-args: prints how many requests pass before the first 401
  local n=0
  while [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/auth/me" "$@") == 200 ]]; do n=$((n + 1)); done
  echo "$n"
}
login "" >/dev/null
c=$(sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p' "$tmp/headers")
curl -s -o /dev/null -X POST "$base/auth/logout" -H "Cookie: $c" -H "Origin: $base"  # public_url follows --listen
row revoke_session_logout_accepted "$(accepted_after -H "Cookie: $c")" "requests accepted after session logout returned"
body=$(login ',"mode":"token","transport":"body"')
a=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$body")
curl -s -o /dev/null "$base/auth/me" -H "Authorization: Bearer $a"  # now in the verified-token cache
curl -s -o /dev/null -X POST "$base/auth/logout" -H "Authorization: Bearer $a"
row revoke_token_logout_accepted "$(accepted_after -H "Authorization: Bearer $a")" "requests accepted after access-token logout returned (token was cached)"
# One CLI revoke per credential, each timed from its own exit (one shared start
# would add the first poll's time to the second).
login "" >/dev/null
c=$(sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p' "$tmp/headers")
"$BUILD_DIR/cloakroom" session revoke --user bench --data-dir "$data" >/dev/null
row revoke_cli_session_ms "$(until_refused "$(ms_now)" -H "Cookie: $c")" "ms from the exit of CLI revoke --user (it returns once every server applied it), session"
body=$(login ',"mode":"token","transport":"body"')
a=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$body")
curl -s -o /dev/null "$base/auth/me" -H "Authorization: Bearer $a"
"$BUILD_DIR/cloakroom" session revoke --user bench --data-dir "$data" >/dev/null
row revoke_cli_token_ms "$(until_refused "$(ms_now)" -H "Authorization: Bearer $a")" "ms (CLI revoke --user, access token)"
