#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then the prefix is moved (copied
# elsewhere) and used from another working folder: the binary and the Python
# module must find everything (libduckdb.so through their relative RPATH),
# nothing in the build tree or the checkout.
#   tests/install_test.sh BUILD_DIR [PYTHON]   (PYTHON empty: no Python module)
set -euo pipefail
build=$(cd "$1" && pwd)
python=${2:-}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/proberows-install-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "install_test: FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cp -a "$work/prefix" "$work/moved"
rm -rf "$work/prefix"
p=$work/moved
mkdir "$work/elsewhere"
cd "$work/elsewhere"

[ -x "$p/bin/proberows" ] || fail "no bin/proberows"
[ -f "$p/lib/libduckdb.so" ] || fail "no lib/libduckdb.so"
runpath=$(readelf -d "$p/bin/proberows" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[ "$runpath" = '$ORIGIN/../lib' ] || fail "bin/proberows RUNPATH is '$runpath', expected '\$ORIGIN/../lib'"
resolved=$(ldd "$p/bin/proberows" | awk '/libduckdb/ {print $3}')
[ "$resolved" = "$p/bin/../lib/libduckdb.so" ] || fail "bin/proberows loads libduckdb from '$resolved'"
if ldd "$p/bin/proberows" | grep -e "$src" -e "$build"; then fail "bin/proberows loads a library from the checkout"; fi

version=$(env -u LD_LIBRARY_PATH "$p/bin/proberows" --version)
[ "$version" = "proberows 0.1.0" ] || fail "--version printed '$version'"
"$p/bin/proberows" generate -o data -n 200 -p 20 >/dev/null
"$p/bin/proberows" build -i 'data/*.parquet' -o out --no-progress >/dev/null
"$p/bin/proberows" verify out -i 'data/*.parquet' | grep -qx OK || fail "verify of the installed binary's output"

if [ -n "$python" ]; then
  pkg=$(ls -d "$p"/lib/python3*/dist-packages/proberows)
  module=$(ls "$pkg"/_proberows*.so)
  resolved=$(ldd "$module" | awk '/libduckdb/ {print $3}')
  [ "$(realpath "$resolved")" = "$p/lib/libduckdb.so" ] || fail "the module loads libduckdb from '$resolved'"
  if ldd "$module" | grep -e "$src" -e "$build"; then fail "the module loads a library from the checkout"; fi
  out=$(env -u LD_LIBRARY_PATH PYTHONPATH="$(dirname "$pkg")" "$python" -c '
import proberows
ds = proberows.open("out")
print(proberows.__file__)
print(len(ds), int(ds[0]["prb_id"][0]) > 0)')
  [ "$out" = "$pkg/__init__.py
$("$python" -c 'import json; print(json.load(open("out/proberows.json"))["splits"]["train"]["rows"])') True" ] ||
    fail "the installed module printed: $out"
fi
echo "install_test: ok ($p)"
