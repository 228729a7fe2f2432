#!/usr/bin/env bash
# `make bench`: micro-benchmarks (Google Benchmark) and HTTP benchmarks (wrk).
# Results are printed; docs/PERFORMANCE.md records them with the date.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

echo "## Micro-benchmarks ($(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
taskset -c "$SERVER_CPU" "$BUILD_DIR/bench/micro_bench" --benchmark_min_time=1 2>/dev/null
echo
echo "## HTTP"
bench/http.sh
bench/login.sh
