#!/usr/bin/env bash
# Installs Polars for Node.js (nodejs-polars 0.25.2 and its linux-x64-gnu
# native module), pinned by version and sha256 like DuckDB in
# scripts/setup.sh, into bench/polars/node_modules (ignored by git). The
# end-to-end benchmark runs it as a side-by-side row: what a dataframe user
# would write instead (bench/tools/polars_group.js). Needs node and npm
# (Debian nodejs/npm). Idempotent.
#
#   bench/tools/setup_polars.sh [DEST]    # default bench/polars
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$root/bench/polars}
VERSION=0.25.2
PKGS=(
  "nodejs-polars@$VERSION nodejs-polars-$VERSION.tgz d7e50e706ce5cced576ae4b2b41821de96df9877f847bf9bdb678cbb0e0e972a nodejs-polars"
  "nodejs-polars-linux-x64-gnu@$VERSION nodejs-polars-linux-x64-gnu-$VERSION.tgz baa5c5534d0de39f01a88630e61b5894636803b2f82bdf90b7807bda65dca92a nodejs-polars-linux-x64-gnu"
)
stamp=$dest/.installed-$VERSION
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null || { echo "setup_polars: npm is missing (apt-get install npm)" >&2; exit 1; }
dl=$dest/.download
mkdir -p "$dl" "$dest/node_modules"
for entry in "${PKGS[@]}"; do
  read -r pkg tgz sha dir <<<"$entry"
  if [ ! -f "$dl/$tgz" ] || ! echo "$sha  $dl/$tgz" | sha256sum -c --status; then
    rm -f "$dl/$tgz"
    (cd "$dl" && npm pack --silent "$pkg" >/dev/null)
  fi
  if ! echo "$sha  $dl/$tgz" | sha256sum -c --status; then
    echo "setup_polars: checksum mismatch for $tgz (expected sha256 $sha)" >&2
    exit 1
  fi
  rm -rf "$dest/node_modules/$dir"
  mkdir -p "$dest/node_modules/$dir"
  tar -xzf "$dl/$tgz" -C "$dest/node_modules/$dir" --strip-components=1
done
touch "$stamp"
echo "setup_polars: nodejs-polars $VERSION in $dest/node_modules"
