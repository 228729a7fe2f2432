#!/usr/bin/env bash
# Same-run A/B of the check path: `GET /auth/verify` with a session cookie and
# with an ES256 bearer token, on two cloakroom binaries (before/after a
# change), beside nginx's `return 200` as the ceiling. Runs rotate nginx, A, B
# so the VM's drift hits all three alike. Prints a markdown table of medians.
#   bench/ab.sh OLD_BINARY NEW_BINARY
#   ACCESS_LOG=true bench/ab.sh OLD NEW   # with the access log on (to /dev/null), as `serve` runs by default
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ $# -eq 2 ]] || { echo "usage: bench/ab.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
bins=("$1" "$2")

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

start_nginx "$tmp" '{"status":"ok"}'
urls=("http://127.0.0.1:$port/")
cookies=("")
tokens=("")
for i in 0 1; do
  bin=${bins[$i]} data=$tmp/data$i
  echo "correct horse battery staple" | "$bin" user add bench --password-stdin --data-dir "$data" >/dev/null
  "$bin" key generate --alg ES256 --activate --data-dir "$data" >/dev/null
  tokens+=("$("$bin" token mint --sub bench --ttl 1h --data-dir "$data")")
  port=$(free_port)
  # Threads set explicitly: a build from before thread counts followed
  # taskset would start one per host core and lose on that alone.
  CLOAKROOM_HTTP_THREADS=1 CLOAKROOM_HTTP_ACCESS_LOG="${ACCESS_LOG:-false}" taskset -c "$SERVER_CPU" \
    "$bin" serve --listen "127.0.0.1:$port" --data-dir "$data" >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$port"
  urls+=("http://127.0.0.1:$port/auth/verify")
  cookies+=("$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"correct horse battery staple"}' | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p')")
  [[ -n ${cookies[-1]} ]] || { echo "bench: login failed on $bin" >&2; exit 1; }
done

declare -A lines
for r in $(seq "$RUNS"); do
  for k in 0 1 2; do
    i=$(( (k + r) % 3 ))
    if (( i == 0 )); then
      lines[nginx]+="$(wrk_run "${urls[0]}")"$'\n'
    else
      lines[session$i]+="$(wrk_run "${urls[$i]}" -H "Cookie: ${cookies[$i]}")"$'\n'
      lines[bearer$i]+="$(wrk_run "${urls[$i]}" -H "Authorization: Bearer ${tokens[$i]}")"$'\n'
    fi
  done
done
med() { printf '%s' "${lines[$1]}" | grep -v '^$' | median_line; }
nginx_rps=$(med nginx | awk '{print $1}')
echo "| scenario (1 core, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, median of $RUNS, rotated) | req/s | p50 ms | p99 ms | vs nginx |"
echo "|---|---|---|---|---|"
row() { awk -v name="$1" -v n="$nginx_rps" '{printf "| %s | %.0f | %s | %s | %.0f%% |\n", name, $1, $2, $3, 100 * $1 / n}' <<<"$2"; }
row "nginx \`return 200\`" "$(med nginx)"
row "A \`/auth/verify\` session cookie" "$(med session1)"
row "B \`/auth/verify\` session cookie" "$(med session2)"
row "A \`/auth/verify\` ES256 bearer" "$(med bearer1)"
row "B \`/auth/verify\` ES256 bearer" "$(med bearer2)"
