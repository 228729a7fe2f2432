#!/usr/bin/env bash
# HTTP scenarios under wrk beside nginx's `return 200` (the ceiling) on the
# same core with the same wrk settings. Prints a markdown table and the goals
# line. cloakroom runs with its default thread counts, which it sizes from the
# CPUs taskset leaves it (SERVER_CPU); one row adds the old default, one I/O
# thread per host core, on that same core for contrast. Only one server is up
# on the core at a time. The goal rows (nginx, session `/auth/verify` with the
# access log on, the old default) run rotated, each run starting, warming and
# stopping its server, so the VM's drift hits all three alike; the bearer rows
# (empty and full denylist) alternate the same way; the others run one after
# another.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# Sets $port. (Not a $(...) function: the server would inherit its pipe.)
# Stderr is kept only with the access log off: on, it is a line per request.
start_cloakroom() {  # $1 = access log true/false, $2 = data dir (default $tmp/data), $3 = http.threads (default: its own)
  port=$(free_port)
  local log=/dev/null; [[ $1 == false ]] && log=$tmp/serve.log
  local threads=(); [[ -n ${3:-} ]] && threads=("CLOAKROOM_HTTP_THREADS=$3")
  env "${threads[@]}" CLOAKROOM_HTTP_ACCESS_LOG=$1 CLOAKROOM_THROTTLE_PER_IP=1000000 taskset -c "$SERVER_CPU" \
    "$BUILD_DIR/cloakroom" serve --listen "127.0.0.1:$port" --data-dir "${2:-$tmp/data}" >/dev/null 2>"$log" &
  pids+=($!)
  wait_port "$port"
}
# Also forgets the pid, so the exit trap never signals a pid the system reused.
stop() {
  kill "$1"; wait "$1" 2>/dev/null || true
  local p kept=()
  for p in "${pids[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
  pids=("${kept[@]}")
}

# row LABEL "rps p50 p99 ..." -> a table row into $tmp/rows; req/s and p99 also
# as multiples of nginx's (set before the first row).
row() {
  awk -v label="$1" -v n_rps="$nginx_rps" -v n_p99="$nginx_p99" \
    '{printf "| %s | %.0f | %s | %s | %.0f%% | %.1f× |\n", label, $1, $2, $3, 100 * $1 / n_rps, $3 / n_p99}' \
    <<<"$2" >>"$tmp/rows"
}

echo "correct horse battery staple" | "$BUILD_DIR/cloakroom" user add bench --role admin --password-stdin --data-dir "$tmp/data" >/dev/null

# The one server rotated_servers measures (bench/lib.sh): sets $url and $target_pid.
start_target() {
  case $1 in
    nginx) start_nginx "$tmp" '{"status":"ok"}'; url="http://127.0.0.1:$port/" ;;
    session) start_cloakroom true; url="http://127.0.0.1:$port/auth/verify" ;;
    session-old-threads) start_cloakroom true "$tmp/data" "$host_cores"; url="http://127.0.0.1:$port/auth/verify" ;;
    bearer) start_cloakroom true; url="http://127.0.0.1:$port/auth/verify" ;;
    bearer-denylist) start_cloakroom true "$tmp/data-denylist"; url="http://127.0.0.1:$port/auth/verify" ;;
  esac
  target_pid=${pids[-1]}
}

# The session cookie, from a login; sessions live in the data dir, so it
# stays valid for every server started on it.
start_cloakroom true
cookie=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"correct horse battery staple"}' | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p')
[[ -n $cookie ]] || { echo "bench: login failed" >&2; exit 1; }
stop "${pids[-1]}"
host_cores=$(nproc --all)

# The goal rows. nginx ignores the cookie; every target gets the same wrk arguments.
rotated_servers nginx session session-old-threads -- -H "Cookie: $cookie"
[[ ${#medians[@]} == 3 ]] || exit 1
goal=("${medians[@]}")
nginx_rps=$(awk '{print $1}' <<<"${goal[0]}")
nginx_p99=$(awk '{print $3}' <<<"${goal[0]}")
session_verify=${goal[1]}
row "nginx \`return 200\` (1 worker, access_log off)" "${goal[0]}"
row "cloakroom \`/auth/verify\`, session cookie (access log on)" "$session_verify"
row "cloakroom \`/auth/verify\`, session cookie (access log on), http.threads = $host_cores (one per host core, the old default)" "${goal[2]}"

start_cloakroom true
row "cloakroom \`GET /healthz\` (access log on)" "$(median_of_runs "http://127.0.0.1:$port/healthz")"
row "cloakroom \`GET /auth/me\`, session cookie (access log on)" "$(median_of_runs "http://127.0.0.1:$port/auth/me" -H "Cookie: $cookie")"
stop "${pids[-1]}"

start_cloakroom false
# The I/O threads the server chose itself (its "threads" log line; none from a build before it had one).
io_threads=$(sed -n 's/.*"event":"threads".*"http_threads":"\([0-9]*\)".*/\1/p' "$tmp/serve.log")
io_threads=${io_threads:-"default (not logged)"}
row "cloakroom \`GET /healthz\` (access log off)" "$(median_of_runs "http://127.0.0.1:$port/healthz")"
row "cloakroom \`/auth/verify\`, session cookie (access log off)" "$(median_of_runs "http://127.0.0.1:$port/auth/verify" -H "Cookie: $cookie")"
stop "${pids[-1]}"

# Bearer JWTs: one HS256 and one ES256 token, minted by the CLI with the data dir's keys.
"$BUILD_DIR/cloakroom" key generate --alg HS256 --activate --data-dir "$tmp/data" >/dev/null
hs256=$("$BUILD_DIR/cloakroom" token mint --sub bench --ttl 1h --data-dir "$tmp/data")
"$BUILD_DIR/cloakroom" key generate --alg ES256 --activate --data-dir "$tmp/data" >/dev/null
es256=$("$BUILD_DIR/cloakroom" token mint --sub bench --ttl 1h --data-dir "$tmp/data")
# The same tokens against a server with an empty denylist and one with
# 100,000 denylisted access tokens and families (loaded at start), runs
# alternated: the denylist must not cost measurable throughput.
cp -r "$tmp/data" "$tmp/data-denylist"
sqlite3 "$tmp/data-denylist/cloakroom.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
  INSERT INTO denylist (kind, id, until_ms) SELECT CASE i % 2 WHEN 0 THEN 'jti' ELSE 'sid' END, 'bench-' || i, 9999999999999 FROM n;"
for alg in HS256 ES256; do
  token=$hs256; [[ $alg == ES256 ]] && token=$es256
  rotated_servers bearer bearer-denylist -- -H "Authorization: Bearer $token"
  [[ ${#medians[@]} == 2 ]] || exit 1
  row "cloakroom \`/auth/verify\`, $alg bearer (access log on)" "${medians[0]}"
  row "cloakroom \`/auth/verify\`, $alg bearer, 100,000 denylisted (access log on)" "${medians[1]}"
done

echo "| scenario (CPU $SERVER_CPU, I/O threads: $io_threads, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, median of $RUNS) | req/s | p50 ms | p99 ms | req/s vs nginx | p99 ÷ nginx p99 |"
echo "|---|---|---|---|---|---|"
cat "$tmp/rows"
echo
awk -v n_rps="$nginx_rps" -v n_p99="$nginx_p99" '{printf "Against the goals (the first three rows run rotated, one server at a time): session `/auth/verify` with the access log on at %.2f× nginx'"'"'s req/s (goal ≥ 0.8×), its p99 %.1f× nginx'"'"'s (goal ≤ 2×).\n", $1 / n_rps, $3 / n_p99}' <<<"$session_verify"
