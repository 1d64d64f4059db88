#!/usr/bin/env bash
# Installs everything proberows needs on a fresh Debian 12 machine:
#   * Debian packages (compilers, libraries, test tools, and the Dask and
#     Slurm engines the distributed-build tests start: distributed/),
#   * DuckDB 1.4.4 (libduckdb.so + matching duckdb.h) from the npm registry,
#     pinned by version and sha256, unpacked into third_party/duckdb,
#   * Chart.js (inlined into `proberows report` pages at build time) and
#     playwright-core (drives Debian's chromium in the report's browser test),
#     from the npm registry, pinned by version and sha256, into
#     third_party/chartjs and third_party/node_modules.
# Idempotent: a second run checks and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ccache  # ccache: pip_install_test's CMake tree reuses the release objects
  clang libclang-rt-14-dev clang-format
  libzstd-dev libsnappy-dev libbrotli-dev libhighwayhash-dev libxxhash-dev
  libabsl-dev libprotobuf-dev protobuf-compiler
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev python3-numpy python3-pytest python3-tqdm python3-protobuf
  nodejs
  python3-distributed slurm-wlm munge
  zstd bzip2 lbzip2  # tests compress inputs (tests/input_formats_test.cc)
  libsimdjson-dev libbz2-dev liblz4-dev zlib1g-dev
  chromium fonts-dejavu-core  # the report's browser test (tests/report_browser_test.mjs)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm fetches DuckDB; Debian's npm only when no npm is on the PATH already
# (a NodeSource nodejs ships its own npm and conflicts with Debian's).
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
fi

# DuckDB, pinned. The library comes from the official Node bindings package,
# the header from the matching duckdb package source tarball.
DUCKDB_VERSION=1.4.4
LIB_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
LIB_TGZ="duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz"
LIB_SHA256="732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b"
HDR_PKG="duckdb@1.4.4"
HDR_TGZ="duckdb-1.4.4.tgz"
HDR_SHA256="5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed"

DEST=third_party/duckdb
STAMP="$DEST/.installed-$DUCKDB_VERSION-$LIB_SHA256"
if [ ! -f "$STAMP" ]; then
  echo "setup: fetching DuckDB $DUCKDB_VERSION from the npm registry"
  dl=third_party/.download
  mkdir -p "$dl"
  fetch() {  # fetch PKG TGZ SHA256
    if [ ! -f "$dl/$2" ] || ! echo "$3  $dl/$2" | sha256sum -c --status; then
      rm -f "$dl/$2"
      (cd "$dl" && npm pack --silent "$1" >/dev/null)
    fi
    if ! echo "$3  $dl/$2" | sha256sum -c --status; then
      echo "setup: checksum mismatch for $2 (expected sha256 $3)" >&2
      exit 1
    fi
  }
  fetch "$LIB_PKG" "$LIB_TGZ" "$LIB_SHA256"
  fetch "$HDR_PKG" "$HDR_TGZ" "$HDR_SHA256"
  rm -rf "$DEST"
  mkdir -p "$DEST/lib" "$DEST/include"
  tar -xzf "$dl/$LIB_TGZ" -C "$DEST/lib" --strip-components=1 package/libduckdb.so
  tar -xzf "$dl/$HDR_TGZ" -C "$DEST/include" --strip-components=5 package/src/duckdb/src/include/duckdb.h
  touch "$STAMP"
fi
# Chart.js for `proberows report` (CMake embeds dist/chart.umd.min.js and
# checks its sha256 too) and playwright-core for its browser test. Both are
# single packages without dependencies.
npm_fetch() {  # npm_fetch PKG TGZ SHA256 DEST: unpack the package into DEST
  local dl=third_party/.download stamp="$4/.installed-$3"
  [ -f "$stamp" ] && return 0
  mkdir -p "$dl"
  if [ ! -f "$dl/$2" ] || ! echo "$3  $dl/$2" | sha256sum -c --status; then
    rm -f "$dl/$2"
    echo "setup: fetching $1 from the npm registry"
    (cd "$dl" && npm pack --silent "$1" >/dev/null)
  fi
  if ! echo "$3  $dl/$2" | sha256sum -c --status; then
    echo "setup: checksum mismatch for $2 (expected sha256 $3)" >&2
    exit 1
  fi
  rm -rf "$4"
  mkdir -p "$4"
  tar -xzf "$dl/$2" -C "$4" --strip-components=1
  touch "$stamp"
}
npm_fetch chart.js@4.6.1 chart.js-4.6.1.tgz 9345dacdf4bb4c5d40321f4b9aafab6fe676d37a534fc0bc2d17c4c4e29c4f00 \
  third_party/chartjs
npm_fetch playwright-core@1.64.1 playwright-core-1.64.1.tgz \
  3af03703c967c95037454f2283f709d53ce804a4776d4219d319f5bbcc2a0185 third_party/node_modules/playwright-core

echo "setup: ok (DuckDB $DUCKDB_VERSION in $DEST, Chart.js 4.6.1, playwright-core 1.64.1)"
