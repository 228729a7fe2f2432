#!/usr/bin/env bash
# `make bench`: micro-benchmarks (Google Benchmark), HTTP benchmarks (wrk)
# against nginx and the Node peers, then docs/PERFORMANCE.md and
# docs/performance.svg rewritten from this run (bench/report.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(. /etc/os-release; echo "$PRETTY_NAME"), \
$(gcc -dumpfullversion) -O3, $(openssl version | cut -d' ' -f1-2), nginx $(nginx -v 2>&1 | cut -d/ -f2), \
node $(node --version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); run $(date -u +'%F %H:%M UTC')." >"$results/machine.txt"

echo "bench: micro-benchmarks" >&2
taskset -c "$SERVER_CPU" "$BUILD_DIR/bench/micro_bench" --benchmark_min_time=1 \
  --benchmark_out="$results/micro.json" --benchmark_out_format=json >&2
echo "bench: openssl speed ecdsap256 (the reference for ES256 verify)" >&2
taskset -c "$SERVER_CPU" openssl speed -seconds 3 ecdsap256 2>/dev/null >"$results/openssl.txt"
echo "bench: side by side with the peers" >&2
bench/compare.sh "$results/compare.tsv"
echo "bench: HTTP scenarios" >&2
bench/http.sh >"$results/http.md"
echo "bench: login" >&2
bench/login.sh >"$results/login.md"
echo "bench: sizes and revocation latency" >&2
bench/tradeoffs.sh "$results/tradeoffs.tsv"
echo "bench: scale-out (Redis)" >&2
bench/scaleout.sh >"$results/scaleout.md"
python3 bench/report.py "$results"
