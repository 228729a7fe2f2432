# Shared helpers for the benchmark scripts (sourced, not run).
# Server on CPU 1, wrk on CPU 0, loopback only, every process stopped by pid.

BUILD_DIR=${BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)  # absolute: helpers run from other directories
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
RUNS=${RUNS:-3}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
  local port=$1
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench: nothing listens on 127.0.0.1:$port" >&2
  return 1
}

# wrk_run URL [extra wrk args...] -> prints "req_per_sec p50_ms p99_ms non2xx"
wrk_run() {
  local url=$1; shift
  local out
  out=$(taskset -c "$CLIENT_CPU" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency "$@" "$url")
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${non2xx:-0}"
}

to_ms() {
  local v=$1
  case $v in
    *us) awk -v x="${v%us}" 'BEGIN {printf "%.3f", x / 1000}' ;;
    *ms) awk -v x="${v%ms}" 'BEGIN {printf "%.3f", x}' ;;
    *s) awk -v x="${v%s}" 'BEGIN {printf "%.3f", x * 1000}' ;;
    *) echo "$v" ;;
  esac
}

# median_of_runs URL [wrk args] -> median line of RUNS runs (by req/s); fails on non-2xx
median_of_runs() {
  local lines=()
  for _ in $(seq "$RUNS"); do
    local line
    line=$(wrk_run "$@")
    if [[ $(awk '{print $4}' <<<"$line") != 0 ]]; then
      echo "bench: $1 answered non-2xx responses; the run is worthless" >&2
      return 1
    fi
    lines+=("$line")
  done
  printf '%s\n' "${lines[@]}" | median_line
}

# median_line: the median line (by req/s) of the lines on stdin
median_line() { sort -n -k1 | sed -n "$(((RUNS + 1) / 2))p"; }

# rotated_medians URL... -- [wrk args] -> one median line per URL, in order.
# Run r starts at the r-th URL and goes round (A B C, B C A, C A B, ...), so
# drift in the machine's speed hits all alike: for comparisons where the
# ratio is the point (the denylist's cost, a goal against nginx).
rotated_medians() {
  local urls=()
  while [[ $# -gt 0 && $1 != -- ]]; do urls+=("$1"); shift; done
  if [[ $# -gt 0 ]]; then shift; fi
  local n=${#urls[@]} lines=() r k i line
  for ((r = 0; r < RUNS; r++)); do
    for ((k = 0; k < n; k++)); do
      i=$(((r + k) % n))
      line=$(wrk_run "${urls[$i]}" "$@")
      if [[ $(awk '{print $4}' <<<"$line") != 0 ]]; then
        echo "bench: ${urls[$i]} answered non-2xx responses; the run is worthless" >&2
        return 1
      fi
      lines[i]+="$line"$'\n'
    done
  done
  for ((i = 0; i < n; i++)); do printf '%s' "${lines[i]}" | median_line; done
}

# rotated_servers NAME... -- [wrk args]: rotated like rotated_medians, but
# with one server up at a time. For each run and NAME in turn, the caller's
# `start_target NAME` starts it in this shell (setting $url and $target_pid),
# a WARMUP-long wrk run warms it (caches, the session near-cache), one wrk run
# measures it, and the caller's `stop PID` stops it. An idle server is not free (cloakroom's
# change feed polls SQLite every few ms), so none shares SERVER_CPU with the
# one being measured. Sets the array `medians`: one median line per NAME.
WARMUP=${WARMUP:-2s}
rotated_servers() {
  local names=()
  while [[ $# -gt 0 && $1 != -- ]]; do names+=("$1"); shift; done
  if [[ $# -gt 0 ]]; then shift; fi
  local n=${#names[@]} lines=() r k i line
  for ((r = 0; r < RUNS; r++)); do
    for ((k = 0; k < n; k++)); do
      i=$(((r + k) % n))
      start_target "${names[$i]}"
      WRK_DURATION=$WARMUP wrk_run "$url" "$@" >/dev/null
      line=$(wrk_run "$url" "$@")
      stop "$target_pid"
      if [[ $(awk '{print $4}' <<<"$line") != 0 ]]; then
        echo "bench: ${names[$i]} ($url) answered non-2xx responses; the run is worthless" >&2
        return 1
      fi
      lines[i]+="$line"$'\n'
    done
  done
  medians=()
  for ((i = 0; i < n; i++)); do medians+=("$(printf '%s' "${lines[i]}" | median_line)"); done
}

# interleaved_medians URL_A URL_B [wrk args] -> two median lines, A then B (A B, B A, ...).
interleaved_medians() { rotated_medians "$1" "$2" -- "${@:3}"; }

# start_nginx DIR BODY: the ceiling, nginx `return 200 BODY` with one worker
# on SERVER_CPU and no access log. Sets $port; adds its pid to the caller's
# `pids` array (not a $(...) function: nginx would inherit its pipe).
start_nginx() {
  local dir=$1 body=$2
  port=$(free_port)
  cat >"$dir/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$port; location / { default_type application/json; return 200 '$body'; } }
}
NGINX
  taskset -c "$SERVER_CPU" nginx -c "$dir/nginx.conf" -p "$dir" &
  pids+=($!)
  wait_port "$port"
}
