#!/usr/bin/env bash
# Installs every Debian 12 package that leadpipe's build, tests, demo and benchmarks need.
# Idempotent: does nothing when everything is already installed. Runs as root or through sudo.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev            # Asio, Beast, unordered_flat_set, system::result (header-only)
  libsimdjson-dev             # JSON parsing (responses, fixtures, caches)
  libfccp-dev                 # fast-cpp-csv-parser (benchmarked against our reader)
  libssl-dev                  # TLS (OpenSSL 3)
  zlib1g-dev                  # gzip input
  libicu-dev                  # encodings, NFC, Unicode categories
  libidn2-dev                 # IDNA2008 / UTS #46 domains
  libpsl-dev publicsuffix     # public suffix list (TLD check)
  libxxhash-dev               # 128-bit fingerprints
  libcli11-dev libfmt-dev     # command line, formatting
  doctest-dev                 # tests
  clang libclang-rt-14-dev    # libFuzzer and sanitizer runtimes (fuzz targets)
  wrk hyperfine               # benchmarks
  python3 procps time         # scripts: JSON checks, memory measurement
  nginx-light openssl curl    # reverse-proxy check (scripts/proxy_check.sh, ctest proxy_check)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
