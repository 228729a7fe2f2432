#!/usr/bin/env bash
# cloakroom beside what users would pick instead, on the same semantics:
# GET with a credential -> 200 JSON with the user; an invalid one -> 401.
# Every server is started first, all pinned to CPU 1 (idle ones cost nothing),
# then the runs go round-robin — scenario 1, 2, …, N, then again, RUNS times —
# so the VM's drift in speed hits every scenario alike; wrk on CPU 0, the same
# connections, the median of each scenario's runs kept; any non-2xx response
# voids the run. nginx `return 200` is the ceiling. Writes TSV rows to $1
# (default: stdout):
#   id  label  group  req/s  p50_ms  p99_ms
# group: ceiling | session | hs256 | es256 (who is compared with whom).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
out=${1:-/dev/stdout}
peers_dir=$(cd "$(dirname "$0")/peers" && pwd)

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

[[ -d $peers_dir/node_modules ]] || (cd "$peers_dir" && npm ci --no-audit --no-fund --silent)

: >"$out"
result() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(tr ' ' '\t' <<<"$4" | cut -f1-3)" >>"$out"; }

# expect_status STATUS URL [curl args]: the semantics check before measuring.
expect_status() {
  local want=$1 url=$2; shift 2
  local got
  got=$(curl -s -o "$tmp/body" -w '%{http_code}' "$url" "$@")
  if [[ $got != "$want" ]] || { [[ $want == 200 ]] && ! grep -q '"user"' "$tmp/body"; }; then
    echo "compare: $url answered $got ($(head -c 200 "$tmp/body")), expected $want" >&2
    exit 1
  fi
}

# scenario ID LABEL GROUP URL HEADER: the semantics check now, the runs later.
ids=() labels=() groups=() urls=() headers=()
scenario() {
  expect_status 200 "$4" -H "$5"
  ids+=("$1") labels+=("$2") groups+=("$3") urls+=("$4") headers+=("$5")
}

# --- the ceiling ---------------------------------------------------------
start_nginx "$tmp" '{"user":{}}'
scenario nginx "nginx \`return 200\` (ceiling)" ceiling "http://127.0.0.1:$port/" "Accept: */*"

# --- cloakroom -----------------------------------------------------------
data=$tmp/cloakroom
echo "correct horse battery staple" | "$BUILD_DIR/cloakroom" user add bench --role admin --password-stdin --data-dir "$data" >/dev/null
"$BUILD_DIR/cloakroom" key generate --alg HS256 --activate --data-dir "$data" >/dev/null
hs256=$("$BUILD_DIR/cloakroom" token mint --sub bench --ttl 1h --data-dir "$data")
"$BUILD_DIR/cloakroom" key generate --alg ES256 --activate --data-dir "$data" >/dev/null
es256=$("$BUILD_DIR/cloakroom" token mint --sub bench --ttl 1h --data-dir "$data")
port=$(free_port)
CLOAKROOM_HTTP_ACCESS_LOG=false taskset -c "$SERVER_CPU" \
  "$BUILD_DIR/cloakroom" serve --listen "127.0.0.1:$port" --data-dir "$data" >/dev/null 2>&1 &
pids+=($!)
wait_port "$port"
cookie=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"correct horse battery staple"}' | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p')
expect_status 401 "http://127.0.0.1:$port/auth/me" -H "Cookie: __Host-sid=AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
expect_status 401 "http://127.0.0.1:$port/auth/me" -H "Authorization: Bearer ${hs256%?}x"
scenario cloakroom-session "cloakroom, session cookie" session "http://127.0.0.1:$port/auth/me" "Cookie: $cookie"
scenario cloakroom-hs256 "cloakroom, HS256 bearer" hs256 "http://127.0.0.1:$port/auth/me" "Authorization: Bearer $hs256"
scenario cloakroom-es256 "cloakroom, ES256 bearer" es256 "http://127.0.0.1:$port/auth/me" "Authorization: Bearer $es256"

# --- the peers (Node.js, one process = one core, like cloakroom above) ----
start_peer() {  # script args...
  port=$(free_port)
  taskset -c "$SERVER_CPU" node "$peers_dir/$1" "$port" "${@:2}" >/dev/null 2>"$tmp/peer.log" &
  pids+=($!)
  wait_port "$port"
}
login_cookie() { curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$port/login" | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p'; }
login_token() { curl -s -X POST "http://127.0.0.1:$port/login" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'; }

start_peer session.mjs memory
expect_status 401 "http://127.0.0.1:$port/me" -H "Cookie: connect.sid=s%3Anope.nope"
scenario express-session "express-session (MemoryStore)" session "http://127.0.0.1:$port/me" "Cookie: $(login_cookie)"

redis_port=$(free_port)
taskset -c "$CLIENT_CPU" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$tmp" >/dev/null &
pids+=($!)
wait_port "$redis_port"
start_peer session.mjs redis "redis://127.0.0.1:$redis_port"
scenario express-session-redis "express-session + connect-redis" session "http://127.0.0.1:$port/me" "Cookie: $(login_cookie)"

start_peer express-jwt.mjs
expect_status 401 "http://127.0.0.1:$port/me" -H "Authorization: Bearer nope"
scenario express-jsonwebtoken "express + jsonwebtoken (HS256)" hs256 "http://127.0.0.1:$port/me" "Authorization: Bearer $(login_token)"

start_peer fastify-jwt.mjs
expect_status 401 "http://127.0.0.1:$port/me" -H "Authorization: Bearer nope"
scenario fastify-jwt "fastify + @fastify/jwt (HS256)" hs256 "http://127.0.0.1:$port/me" "Authorization: Bearer $(login_token)"

start_peer jose-es256.mjs
expect_status 401 "http://127.0.0.1:$port/me" -H "Authorization: Bearer nope"
scenario jose-es256 "node:http + jose (ES256)" es256 "http://127.0.0.1:$port/me" "Authorization: Bearer $(login_token)"

# --- the runs, round-robin ------------------------------------------------
for i in "${!ids[@]}"; do  # a discarded warm-up each: the Node peers' JIT (and every cache) gets it alike
  WRK_DURATION=2s wrk_run "${urls[$i]}" -H "${headers[$i]}" >/dev/null
done
declare -A lines
for run in $(seq "$RUNS"); do
  for i in "${!ids[@]}"; do
    echo "compare: run $run/$RUNS: ${labels[$i]}" >&2
    line=$(wrk_run "${urls[$i]}" -H "${headers[$i]}")
    if [[ $(awk '{print $4}' <<<"$line") != 0 ]]; then
      echo "compare: ${labels[$i]} answered non-2xx responses; the run is worthless" >&2
      exit 1
    fi
    lines[$i]+="$line"$'\n'
  done
done
for i in "${!ids[@]}"; do
  result "${ids[$i]}" "${labels[$i]}" "${groups[$i]}" "$(printf '%s' "${lines[$i]}" | median_line)"
done
