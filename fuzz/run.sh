#!/usr/bin/env bash
# Builds a libFuzzer target with clang (ASan + UBSan) and runs it for a
# bounded time on a copy of its seed corpus. Usage: fuzz/run.sh TARGET SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1
seconds=${2:-20}
out=${BUILD_DIR:-build}/fuzz
mkdir -p "$out"
sources=(src/core/json.cpp src/core/error.cpp)
if [[ ! -x $out/$target || -n $(find fuzz/"$target".cpp "${sources[@]}" src/core/*.h -newer "$out/$target" 2>/dev/null) ]]; then
  clang++-14 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc \
    fuzz/"$target".cpp "${sources[@]}" -o "$out/$target"
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp fuzz/corpus/"${target%_fuzz}"/* "$corpus"/
"$out/$target" -max_total_time="$seconds" -max_len=4096 -timeout=5 -print_final_stats=1 -artifact_prefix="$out/" "$corpus" 2>&1 | tail -n 12
