#!/usr/bin/env bash
# /healthz under wrk, beside nginx's `return 200` on the same core with the
# same wrk settings. Prints a markdown table.
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

run_cloakroom() {  # $1 = access log on/off
  local port; port=$(free_port)
  CLOAKROOM_HTTP_THREADS=1 CLOAKROOM_HTTP_ACCESS_LOG=$1 taskset -c "$SERVER_CPU" \
    "$BUILD_DIR/cloakroom" serve --listen "127.0.0.1:$port" --data-dir "$tmp/data" 2>/dev/null &
  local pid=$!
  pids+=($pid)
  wait_port "$port"
  median_of_runs "http://127.0.0.1:$port/healthz"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
quiet=$(run_cloakroom false)
logged=$(run_cloakroom true)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f%%", 100 * a / b}'; }
nginx_rps=$(awk '{print $1}' <<<"$nginx")
echo "| server (1 core, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, median of $RUNS) | req/s | p50 ms | p99 ms | vs nginx |"
echo "|---|---|---|---|---|"
echo "| nginx \`return 200\` (access_log off) | $(awk '{printf "%.0f | %s | %s", $1, $2, $3}' <<<"$nginx") | 100% |"
echo "| cloakroom /healthz (access log off) | $(awk '{printf "%.0f | %s | %s", $1, $2, $3}' <<<"$quiet") | $(ratio "$(awk '{print $1}' <<<"$quiet")" "$nginx_rps") |"
echo "| cloakroom /healthz (access log to /dev/null) | $(awk '{printf "%.0f | %s | %s", $1, $2, $3}' <<<"$logged") | $(ratio "$(awk '{print $1}' <<<"$logged")" "$nginx_rps") |"
