#!/usr/bin/env bash
# Startup with many stored sessions: the time from `cloakroom serve` to the
# first answer of GET /healthz, and the server's resident memory then.
#
#   bench/startup.sh                                  # build/cloakroom, 1,000,000 sessions, 3 runs
#   SESSIONS=100000 RUNS=5 bench/startup.sh OLD_BIN NEW_BIN   # runs alternate between the binaries
#
# Each binary gets its own data dir (its own CLI creates the schema and one
# user); the sessions go in with one SQL transaction through the sqlite3 CLI,
# all live (last seen now, 1 day to go). Prints one TSV line per run:
# binary, run, seconds until /healthz answered, RSS in MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS=${SESSIONS:-1000000}
RUNS=${RUNS:-3}
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(build/cloakroom)
work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export CLOAKROOM_PASSWORD_MEMORY_KIB=64 CLOAKROOM_PASSWORD_ITERATIONS=1

seed() {  # seed DATA_DIR BIN
  echo "correct horse battery" | "$2" user add alice --password-stdin --data-dir "$1" >/dev/null
  local uid now
  uid=$(sqlite3 "$1/cloakroom.db" "SELECT id FROM users")
  now=$(($(date +%s%N) / 1000000))
  sqlite3 "$1/cloakroom.db" <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $SESSIONS)
INSERT INTO sessions (id, secret_hash, user_id, created_ms, last_seen_ms, expires_ms, ip, user_agent, remember)
SELECT printf('%022d', i), randomblob(32), '$uid', $now, $now, $now + 86400000, '127.0.0.1', 'Mozilla/5.0', 0 FROM n;
COMMIT;
SQL
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for i in "${!bins[@]}"; do
  mkdir -p "$work/$i"
  chmod 700 "$work/$i"
  seed "$work/$i/data" "${bins[$i]}"
done
printf 'binary\trun\tseconds_to_healthz\trss_mib\n'
for run in $(seq 1 "$RUNS"); do
  for i in "${!bins[@]}"; do
    port=$(free_port)
    start=$(date +%s%N)
    "${bins[$i]}" serve --listen "127.0.0.1:$port" --data-dir "$work/$i/data" 2>/dev/null &
    server=$!
    until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
      kill -0 "$server" 2>/dev/null || { echo "server exited" >&2; exit 1; }
      sleep 0.005
    done
    end=$(date +%s%N)
    rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server/status")
    printf '%s\t%s\t%.3f\t%s\n' "${bins[$i]}" "$run" "$(echo "($end - $start) / 1000000000" | bc -l)" "$rss"
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
  done
done
