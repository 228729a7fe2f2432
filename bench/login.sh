#!/usr/bin/env bash
# POST /auth/login under wrk at OWASP Argon2id parameters: shows that a login
# costs one hash and little else (compare p50 with BM_PasswordVerify).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
pid=""
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
port=$(free_port)
echo "correct horse battery staple" | "$BUILD_DIR/cloakroom" user add bench --password-stdin --data-dir "$tmp/data" >/dev/null
CLOAKROOM_THROTTLE_PER_IP=1000000 CLOAKROOM_HTTP_ACCESS_LOG=false \
  taskset -c "$SERVER_CPU" "$BUILD_DIR/cloakroom" serve --listen "127.0.0.1:$port" --data-dir "$tmp/data" 2>/dev/null &
pid=$!
wait_port "$port"
read -r rps p50 p99 non2xx < <(WRK_CONNECTIONS=1 wrk_run "http://127.0.0.1:$port/auth/login" -s "$(dirname "$0")/login.lua")
echo "| POST /auth/login, 1 connection, 1 hashing worker | $rps logins/s | p50 $p50 ms | p99 $p99 ms | non-2xx $non2xx |"
