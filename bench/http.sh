#!/usr/bin/env bash
# HTTP scenarios under wrk beside nginx's `return 200` (the ceiling) on the
# same core with the same wrk settings. Prints a markdown table.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

nginx_port=$(free_port)
cat >"$tmp/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$nginx_port; location / { default_type application/json; return 200 '{"status":"ok"}'; } }
}
NGINX
taskset -c "$SERVER_CPU" nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids+=($!)
wait_port "$nginx_port"
nginx=$(median_of_runs "http://127.0.0.1:$nginx_port/")
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
nginx_rps=$(awk '{print $1}' <<<"$nginx")

echo "| scenario (1 core, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, median of $RUNS) | req/s | p50 ms | p99 ms | vs nginx |"
echo "|---|---|---|---|---|"
row() { echo "| $1 | $(awk '{printf "%.0f | %s | %s", $1, $2, $3}' <<<"$2") | $(awk -v a="$(awk '{print $1}' <<<"$2")" -v b="$nginx_rps" 'BEGIN {printf "%.0f%%", 100 * a / b}') |"; }
row "nginx \`return 200\` (1 worker, access_log off)" "$nginx"

# Sets $port. (Not a $(...) function: the server would inherit its pipe.)
start_cloakroom() {  # $1 = access log true/false
  port=$(free_port)
  CLOAKROOM_HTTP_THREADS=1 CLOAKROOM_HTTP_ACCESS_LOG=$1 CLOAKROOM_THROTTLE_PER_IP=1000000 taskset -c "$SERVER_CPU" \
    "$BUILD_DIR/cloakroom" serve --listen "127.0.0.1:$port" --data-dir "$tmp/data" >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$port"
}
stop_cloakroom() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; }

echo "correct horse battery staple" | "$BUILD_DIR/cloakroom" user add bench --role admin --password-stdin --data-dir "$tmp/data" >/dev/null

start_cloakroom false
row "cloakroom \`GET /healthz\` (access log off)" "$(median_of_runs "http://127.0.0.1:$port/healthz")"
stop_cloakroom

start_cloakroom true
row "cloakroom \`GET /healthz\` (access log on)" "$(median_of_runs "http://127.0.0.1:$port/healthz")"
cookie=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"correct horse battery staple"}' | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p')
[[ -n $cookie ]] || { echo "bench: login failed" >&2; exit 1; }
row "cloakroom \`/auth/verify\`, session cookie (access log on)" "$(median_of_runs "http://127.0.0.1:$port/auth/verify" -H "Cookie: $cookie")"
row "cloakroom \`GET /auth/me\`, session cookie (access log on)" "$(median_of_runs "http://127.0.0.1:$port/auth/me" -H "Cookie: $cookie")"
stop_cloakroom

start_cloakroom false
row "cloakroom \`/auth/verify\`, session cookie (access log off)" "$(median_of_runs "http://127.0.0.1:$port/auth/verify" -H "Cookie: $cookie")"
stop_cloakroom

# Bearer JWTs: one HS256 and one ES256 token, minted by the CLI with the data dir's keys.
"$BUILD_DIR/cloakroom" key generate --alg HS256 --activate --data-dir "$tmp/data" >/dev/null
hs256=$("$BUILD_DIR/cloakroom" token mint --sub bench --ttl 1h --data-dir "$tmp/data")
"$BUILD_DIR/cloakroom" key generate --alg ES256 --activate --data-dir "$tmp/data" >/dev/null
es256=$("$BUILD_DIR/cloakroom" token mint --sub bench --ttl 1h --data-dir "$tmp/data")
start_cloakroom true
row "cloakroom \`/auth/verify\`, HS256 bearer (access log on)" "$(median_of_runs "http://127.0.0.1:$port/auth/verify" -H "Authorization: Bearer $hs256")"
row "cloakroom \`/auth/verify\`, ES256 bearer (access log on)" "$(median_of_runs "http://127.0.0.1:$port/auth/verify" -H "Authorization: Bearer $es256")"
stop_cloakroom
