#!/usr/bin/env bash
# Installs the Debian packages cloakroom needs: to build and serve (`make run`,
# `make build`), and with --test also what the tests and benchmarks start or
# drive (`make test`, `make bench`): real PostgreSQL, Redis, nginx, Caddy,
# Chromium, Node, clang for the fuzzers, wrk.
# Idempotent: when every package is already installed it only runs dpkg-query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates procps python3
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev libsodium-dev libsqlite3-dev sqlite3 libtomlplusplus-dev libicu-dev
  libpq-dev libhiredis-dev libcbor-dev libqrencode-dev
  googletest libgtest-dev libbenchmark-dev
)
if [[ ${1:-} == --test ]]; then
  # postgresql-15: its binaries run the tests' own throwaway servers (tests/support/postgres_server.*).
  packages+=(
    postgresql-15 redis-server nginx-light caddy
    python3-jwt python3-cryptography python3-yaml nodejs wrk clang-14 libclang-rt-14-dev
    chromium fonts-dejavu-core gnuplot-nox
  )
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The tests start their own nginx, Caddy, Redis and PostgreSQL on free ports. A service
  # that a package installed just now enables would hold ports 80, 6379 or 5432 for
  # nothing: stop it (one that was installed before is left alone).
  if [[ -d /run/systemd/system ]]; then
    for p in "${missing[@]}"; do
      case $p in
        caddy) unit=caddy ;; nginx-light) unit=nginx ;; redis-server) unit=redis-server ;;
        postgresql-15) unit=postgresql ;; *) continue ;;
      esac
      $sudo systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
fi

# npm ships inside some nodejs builds and separately in Debian's; add it only if absent.
if [[ ${1:-} == --test ]] && ! command -v npm >/dev/null; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
