#!/usr/bin/env bash
# HTTP scenarios under wrk beside nginx's `return 200` (the ceiling) on the
# same core with the same wrk settings. Prints a markdown table and the goals
# line. cloakroom runs with its default thread counts, which it sizes from the
# CPUs taskset leaves it (SERVER_CPU); one row adds the old default, one I/O
# thread per host core, on that same core for contrast.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

start_nginx "$tmp" '{"status":"ok"}'
nginx_port=$port
nginx=$(median_of_runs "http://127.0.0.1:$nginx_port/")
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
nginx_rps=$(awk '{print $1}' <<<"$nginx")
nginx_p99=$(awk '{print $3}' <<<"$nginx")

# row LABEL "rps p50 p99 ..." -> a table row; req/s and p99 also as multiples of nginx's.
row() {
  awk -v label="$1" -v n_rps="$nginx_rps" -v n_p99="$nginx_p99" \
    '{printf "| %s | %.0f | %s | %s | %.0f%% | %.1f× |\n", label, $1, $2, $3, 100 * $1 / n_rps, $3 / n_p99}' <<<"$2"
}

# Sets $port. (Not a $(...) function: the server would inherit its pipe.)
# Stderr is kept only with the access log off: on, it is a line per request.
start_cloakroom() {  # $1 = access log true/false, $2 = data dir (default $tmp/data)
  port=$(free_port)
  local log=/dev/null; [[ $1 == false ]] && log=$tmp/serve.log
  CLOAKROOM_HTTP_ACCESS_LOG=$1 CLOAKROOM_THROTTLE_PER_IP=1000000 taskset -c "$SERVER_CPU" \
    "$BUILD_DIR/cloakroom" serve --listen "127.0.0.1:$port" --data-dir "${2:-$tmp/data}" >/dev/null 2>"$log" &
  pids+=($!)
  wait_port "$port"
}
stop_cloakroom() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; }

echo "correct horse battery staple" | "$BUILD_DIR/cloakroom" user add bench --role admin --password-stdin --data-dir "$tmp/data" >/dev/null

start_cloakroom false
# The I/O threads the server chose itself (its "threads" log line; none from a build before it had one).
io_threads=$(sed -n 's/.*"event":"threads".*"http_threads":"\([0-9]*\)".*/\1/p' "$tmp/serve.log")
io_threads=${io_threads:-"default (not logged)"}
echo "| scenario (CPU $SERVER_CPU, I/O threads: $io_threads, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, median of $RUNS) | req/s | p50 ms | p99 ms | req/s vs nginx | p99 ÷ nginx p99 |"
echo "|---|---|---|---|---|---|"
row "nginx \`return 200\` (1 worker, access_log off)" "$nginx"
row "cloakroom \`GET /healthz\` (access log off)" "$(median_of_runs "http://127.0.0.1:$port/healthz")"
stop_cloakroom

start_cloakroom true
row "cloakroom \`GET /healthz\` (access log on)" "$(median_of_runs "http://127.0.0.1:$port/healthz")"
cookie=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"correct horse battery staple"}' | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p')
[[ -n $cookie ]] || { echo "bench: login failed" >&2; exit 1; }
session_verify=$(median_of_runs "http://127.0.0.1:$port/auth/verify" -H "Cookie: $cookie")
row "cloakroom \`/auth/verify\`, session cookie (access log on)" "$session_verify"
row "cloakroom \`GET /auth/me\`, session cookie (access log on)" "$(median_of_runs "http://127.0.0.1:$port/auth/me" -H "Cookie: $cookie")"
stop_cloakroom

# The old default on the same core: one I/O thread per host core, taking turns.
host_cores=$(nproc --all)
port=$(free_port)
CLOAKROOM_HTTP_THREADS=$host_cores CLOAKROOM_HTTP_ACCESS_LOG=true CLOAKROOM_THROTTLE_PER_IP=1000000 taskset -c "$SERVER_CPU" \
  "$BUILD_DIR/cloakroom" serve --listen "127.0.0.1:$port" --data-dir "$tmp/data" >/dev/null 2>&1 &
pids+=($!)
wait_port "$port"
row "cloakroom \`/auth/verify\`, session cookie (access log on), http.threads = $host_cores (one per host core, the old default)" \
  "$(median_of_runs "http://127.0.0.1:$port/auth/verify" -H "Cookie: $cookie")"
stop_cloakroom

start_cloakroom false
row "cloakroom \`/auth/verify\`, session cookie (access log off)" "$(median_of_runs "http://127.0.0.1:$port/auth/verify" -H "Cookie: $cookie")"
stop_cloakroom

# Bearer JWTs: one HS256 and one ES256 token, minted by the CLI with the data dir's keys.
"$BUILD_DIR/cloakroom" key generate --alg HS256 --activate --data-dir "$tmp/data" >/dev/null
hs256=$("$BUILD_DIR/cloakroom" token mint --sub bench --ttl 1h --data-dir "$tmp/data")
"$BUILD_DIR/cloakroom" key generate --alg ES256 --activate --data-dir "$tmp/data" >/dev/null
es256=$("$BUILD_DIR/cloakroom" token mint --sub bench --ttl 1h --data-dir "$tmp/data")
# The same tokens against a server with an empty denylist and one with
# 100,000 denylisted access tokens and families (loaded at start), runs
# interleaved: the denylist must not cost measurable throughput.
cp -r "$tmp/data" "$tmp/data-denylist"
sqlite3 "$tmp/data-denylist/cloakroom.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
  INSERT INTO denylist (kind, id, until_ms) SELECT CASE i % 2 WHEN 0 THEN 'jti' ELSE 'sid' END, 'bench-' || i, 9999999999999 FROM n;"
start_cloakroom true
plain_port=$port
start_cloakroom true "$tmp/data-denylist"
for alg in HS256 ES256; do
  token=$hs256; [[ $alg == ES256 ]] && token=$es256
  mapfile -t both < <(interleaved_medians "http://127.0.0.1:$plain_port/auth/verify" "http://127.0.0.1:$port/auth/verify" \
    -H "Authorization: Bearer $token")
  [[ ${#both[@]} == 2 ]] || exit 1
  row "cloakroom \`/auth/verify\`, $alg bearer (access log on)" "${both[0]}"
  row "cloakroom \`/auth/verify\`, $alg bearer, 100,000 denylisted (access log on)" "${both[1]}"
done

echo
awk -v n_rps="$nginx_rps" -v n_p99="$nginx_p99" '{printf "Against the goals: session `/auth/verify` with the access log on at %.2f× nginx'"'"'s req/s (goal ≥ 0.8×), its p99 %.1f× nginx'"'"'s (goal ≤ 2×).\n", $1 / n_rps, $3 / n_p99}' <<<"$session_verify"
