#!/usr/bin/env bash
# Builds a libFuzzer target with clang (ASan + UBSan) and runs it for a
# bounded time on a copy of its seed corpus. Usage: fuzz/run.sh TARGET SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1
seconds=${2:-20}
out=${BUILD_DIR:-build}/fuzz
mkdir -p "$out"
# The library sources each target needs (built with clang and sanitizers).
libs=()
flags=()
max_len=4096
case $target in
  json_fuzz) sources=(src/core/json.cpp src/core/error.cpp) ;;
  jws_fuzz) sources=(src/core/json.cpp src/core/error.cpp src/core/digest.cpp src/core/random.cpp src/core/private_file.cpp src/jose/*.cpp)
            libs=(-lcrypto -lsodium) ;;
  # Inputs up to the largest header limit (65535) plus a body, so a seed can reach every limit.
  # A throw or failed assert inside Beast aborts (the target defines the handlers).
  http_request_fuzz) sources=(src/http/request_reader.cpp src/core/error.cpp)
                     flags=(-DBOOST_NO_EXCEPTIONS -DBOOST_ENABLE_ASSERT_HANDLER) max_len=70000 ;;
  webauthn_fuzz) sources=(src/webauthn/*.cpp src/core/json.cpp src/core/error.cpp src/core/digest.cpp src/core/random.cpp src/jose/base64url.cpp)
                 libs=(-lcbor -lcrypto -lsodium) max_len=20000 ;;
  *) echo "fuzz/run.sh: unknown target $target" >&2; exit 2 ;;
esac
if [[ ! -x $out/$target || -n $(find fuzz/"$target".cpp "${sources[@]}" src/*/*.h -newer "$out/$target" 2>/dev/null) ]]; then
  clang++-14 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all "${flags[@]}" -Isrc \
    fuzz/"$target".cpp "${sources[@]}" "${libs[@]}" -o "$out/$target"
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp fuzz/corpus/"${target%_fuzz}"/* "$corpus"/
"$out/$target" -max_total_time="$seconds" -max_len="$max_len" -timeout=5 -print_final_stats=1 -artifact_prefix="$out/" "$corpus" 2>&1 | tail -n 12
