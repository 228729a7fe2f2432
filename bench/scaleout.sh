#!/usr/bin/env bash
# Issue 15's scale-out benchmarks in one run, printed as one markdown table:
#  (a) GET /auth/verify with a session cookie on one core: a node with its
#      sessions in Redis, a node on SQLite, nginx `return 200` (the ceiling);
#  (b) beside them the per-request-lookup design of Authelia and oauth2-proxy:
#      the same binary with session.cache_entries = 0, one store read per check
#      (on Redis, and on SQLite for reference);
#  (c) cross-node revocation latency over 1000 logouts between two Redis-backed
#      nodes (bench/feed_latency.py --redis);
#  (d) Redis memory per session and per refresh family (bench/redis_memory.py);
#  (e) login and refresh throughput, Redis store beside SQLite.
# Servers on SERVER_CPU, which gives them one HTTP thread and one hashing
# worker by default (they size from the CPUs taskset leaves them); wrk and
# redis-server on CLIENT_CPU. (a)/(b) rotate the five targets run by run, (e)
# alternates the two stores, so the VM's drift hits all alike. Env as lib.sh,
# and LOGOUTS (1000) for (c), MEMORY_N (10000) for (d).
#   bench/scaleout.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
bin=$BUILD_DIR/cloakroom
PASSWORD="correct horse battery staple"  # login.lua's
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

redis_port=$(free_port)
# Persisted as docs/scale-out.md advises (append-only file, Redis's default fsync every second).
taskset -c "$CLIENT_CPU" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec \
  --dir "$tmp" --logfile "$tmp/redis.log" --daemonize no &
pids+=($!)
redis_pid=$!
wait_port "$redis_port"

# CPU time a process (all its threads) has used, in µs: throughput on this
# shared VM drifts with the neighbours' load, CPU per request much less.
cpu_us() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($14 + $15) * 1e6 / hz}' "/proc/$1/stat"; }
seconds=${WRK_DURATION%s}

# start_node NAME SESSIONS_STORE CACHE_ENTRIES: user "bench" in its own data dir
# ($tmp/NAME, users in SQLite there), then `serve`. Sets $port. (Not a $(...)
# function: the server would inherit its pipe.) Its pid goes to node_pid[NAME].
start_node() {
  local name=$1 sessions=$2 cache=$3 data=$tmp/$1
  case $sessions in
    sqlite) sessions="sqlite://$data/cloakroom.db" ;;
    redis) sessions="redis://127.0.0.1:$redis_port/0?prefix=$name:" ;;
  esac
  echo "$PASSWORD" | CLOAKROOM_STORE_SESSIONS=$sessions "$bin" user add bench --password-stdin --data-dir "$data" >/dev/null
  port=$(free_port)
  CLOAKROOM_STORE_SESSIONS=$sessions CLOAKROOM_SESSION_CACHE_ENTRIES=$cache \
    CLOAKROOM_HTTP_ACCESS_LOG=false CLOAKROOM_THROTTLE_PER_IP=1000000 \
    taskset -c "$SERVER_CPU" "$bin" serve --listen "127.0.0.1:$port" --data-dir "$data" >/dev/null 2>"$tmp/$name.log" &
  pids+=($!)
  node_pid[$name]=$!
  wait_port "$port"
}

# login PORT [json extra] -> the answer's headers and body, for sed
login() {
  curl -s -D - "http://127.0.0.1:$1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$PASSWORD\"${2:-}}"
}

# (a) and (b) ------------------------------------------------------------------
echo "bench: verify throughput" >&2
start_nginx "$tmp" '{"status":"ok"}'
names=(nginx sqlite redis redis_nocache sqlite_nocache)
declare -A url cookie lines node_pid
url[nginx]="http://127.0.0.1:$port/"
for spec in "sqlite sqlite 1000000" "redis redis 1000000" "redis_nocache redis 0" "sqlite_nocache sqlite 0"; do
  read -r name store cache <<<"$spec"
  start_node "$name" "$store" "$cache"
  url[$name]="http://127.0.0.1:$port"
  cookie[$name]=$(login "$port" | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p')
  [[ -n ${cookie[$name]} ]] || { echo "bench: login failed on $name" >&2; exit 1; }
done
n=${#names[@]}
for r in $(seq "$RUNS"); do
  for k in $(seq 0 $((n - 1))); do
    name=${names[$(( (k + r) % n ))]}
    if [[ $name == nginx ]]; then
      line="$(wrk_run "${url[nginx]}") 0 0"
    else
      # µs of CPU per check: the node's, and Redis's (idle but for the feed, unless the node has no cache).
      node0=$(cpu_us "${node_pid[$name]}") redis0=$(cpu_us "$redis_pid")
      line=$(wrk_run "${url[$name]}/auth/verify" -H "Cookie: ${cookie[$name]}")
      line+=" $(awk -v n0="$node0" -v n1="$(cpu_us "${node_pid[$name]}")" -v r0="$redis0" -v r1="$(cpu_us "$redis_pid")" \
        -v s="$seconds" '{printf "%.1f %.1f", (n1 - n0) / ($1 * s), (r1 - r0) / ($1 * s)}' <<<"$line")"
    fi
    [[ $(awk '{print $4}' <<<"$line") == 0 ]] || { echo "bench: $name answered non-2xx: $line" >&2; exit 1; }
    lines[$name]+="$line"$'\n'
  done
done
med() { printf '%s' "${lines[$1]}" | grep -v '^$' | median_line; }
nginx_rps=$(med nginx | awk '{print $1}')
sqlite_rps=$(med sqlite | awk '{print $1}')

echo "| measurement | result | p50 ms | p99 ms | relative |"
echo "|---|---|---|---|---|"
# verify_row LABEL NAME: req/s, latencies, share of nginx and of the SQLite node, CPU per check
verify_row() {
  awk -v name="$1" -v n="$nginx_rps" -v s="$sqlite_rps" -v redis="$([[ $2 == redis* ]] && echo 1)" '{
    cpu = $5 > 0 ? sprintf("; CPU per check: node %.1f µs", $5) : ""
    if (redis) cpu = cpu sprintf(", Redis %.1f µs", $6)
    printf "| %s | %.0f req/s | %s | %s | %.0f%% of nginx, %.2f× the SQLite node%s |\n", name, $1, $2, $3, 100 * $1 / n, $1 / s, cpu
  }' <<<"$(med "$2")"
}
verify_row "(a) nginx \`return 200\` (1 worker)" nginx
verify_row "(a) \`/auth/verify\` session cookie, SQLite node" sqlite
verify_row "(a) \`/auth/verify\` session cookie, Redis node (near-cache)" redis
verify_row "(b) \`/auth/verify\`, Redis node, no cache: one Redis read per check" redis_nocache
verify_row "(b) \`/auth/verify\`, SQLite node, no cache: one SQLite read per check" sqlite_nocache

# (e) login and refresh: Redis beside SQLite ---------------------------------------
echo "bench: login and refresh throughput" >&2
mapfile -t logins < <(WRK_CONNECTIONS=4 interleaved_medians "${url[sqlite]}/auth/login" "${url[redis]}/auth/login" \
  -s "$here/login.lua")
[[ ${#logins[@]} == 2 ]] || exit 1
for i in 0 1; do
  store=SQLite; [[ $i == 1 ]] && store=Redis
  awk -v name="(e) \`POST /auth/login\`, $store sessions, Argon2id at the defaults (19 MiB, 2 passes), 4 connections" \
    -v base="$(awk '{print $1}' <<<"${logins[0]}")" \
    '{printf "| %s | %.1f logins/s | %s | %s | %.2f× SQLite |\n", name, $1, $2, $3, $1 / base}' <<<"${logins[$i]}"
done

# Each run gets fresh families: a token is good for one rotation (a second use is a repeat).
FAMILIES=32
REFRESH_CONNECTIONS=16
mint_families() {  # PORT FILE
  : >"$2"
  local answer
  for _ in $(seq "$FAMILIES"); do
    answer=$(login "$1" ',"mode":"token","transport":"body"')
    sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' <<<"$answer" | grep . >>"$2" ||
      { echo "bench: a token login failed on port $1: $answer" >&2; exit 1; }
  done
}
declare -A refresh
for r in $(seq "$RUNS"); do
  order="sqlite redis"; (( r % 2 == 0 )) && order="redis sqlite"
  for name in $order; do
    mint_families "${url[$name]##*:}" "$tmp/tokens"
    line=$(REFRESH_TOKENS=$tmp/tokens WRK_CONNECTIONS=$REFRESH_CONNECTIONS wrk_run "${url[$name]}/auth/refresh" \
      -s "$here/refresh.lua")
    [[ $(awk '{print $4}' <<<"$line") == 0 ]] || { echo "bench: refresh on $name answered non-2xx: $line" >&2; exit 1; }
    refresh[$name]+="$line"$'\n'
  done
done
refresh_base=$(printf '%s' "${refresh[sqlite]}" | grep -v '^$' | median_line | awk '{print $1}')
for name in sqlite redis; do
  store=SQLite; [[ $name == redis ]] && store=Redis
  printf '%s' "${refresh[$name]}" | grep -v '^$' | median_line | awk -v base="$refresh_base" \
    -v label="(e) \`POST /auth/refresh\` (each rotates its family), $store, $REFRESH_CONNECTIONS connections" \
    '{printf "| %s | %.0f refreshes/s | %s | %s | %.2f× SQLite |\n", label, $1, $2, $3, $1 / base}'
done

# (c) and (d): the Python helpers start their own processes --------------------------
echo "bench: cross-node revocation latency" >&2
CLOAKROOM_BIN=$bin python3 "$here/feed_latency.py" --redis --runs "${LOGOUTS:-1000}" --token-runs 200 --cli-runs 0 >"$tmp/latency.md"
awk -F'|' '/→ B refuses/ {gsub(/^ +| +$/, "", $2); gsub(/ /, "", $8); printf "| (c) %s, two Redis-backed nodes (%d runs) | p50 %s ms, p99 %s ms | %s | %s | p90 %s ms, max %s ms; refused at B'"'"'s first check %s |\n", $2, $3, $4 + 0, $6 + 0, $4 + 0, $6 + 0, $5 + 0, $7 + 0, $8}' \
  "$tmp/latency.md"
echo "bench: Redis memory" >&2
CLOAKROOM_BIN=$bin python3 "$here/redis_memory.py" --n "${MEMORY_N:-10000}"
