#!/usr/bin/env bash
# `pip install .` into fresh venvs, offline (--no-index: nothing is fetched):
#  1. a venv of PYTHON with its system packages (NumPy from Debian's
#     python3-numpy): the package, the `proberows` console script and
#     libduckdb.so are installed inside the venv; from another folder, the
#     command builds a dataset that the package reads; nothing is loaded from
#     the checkout or the build tree;
#  2. `pip wheel .`: a wheel whose RECORD matches its files;
#  3. a venv without system packages (no NumPy): pip refuses, naming numpy,
#     and the package copied into it anyway fails to import with an
#     ImportError naming the interpreter it was built for, NumPy as missing,
#     and the fix.
#   tests/pip_install_test.sh PYTHON BUILD_DIR [CMAKE_ARGS]
# BUILD_DIR is the CMake folder the backend builds in; it is kept, so a rerun
# only rebuilds what changed, and with the release tree's flags (CMAKE_ARGS)
# ccache serves the objects the release build compiled.
set -euo pipefail
python=$1
build=$2
cmake_args=${3:-}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/proberows-pip-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "pip_install_test: FAIL: $*" >&2; exit 1; }
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1

# 1. A venv with the system's packages.
"$python" -m venv --system-site-packages "$work/venv"
v=$work/venv
(cd "$src" && "$v/bin/pip" install --config-settings "build-dir=$build" --config-settings "cmake-args=$cmake_args" . \
  >"$work/pip.log" 2>&1) || { cat "$work/pip.log" >&2; fail "pip install . into a venv with system packages"; }
site=$("$v/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
pkg=$site/proberows
for f in __init__.py _cli.py _loader.py _build_info.py bin/proberows lib/libduckdb.so; do
  [ -e "$pkg/$f" ] || fail "the installed package lacks $f"
done
[ -x "$v/bin/proberows" ] || fail "no proberows console script in the venv"
module=$(ls "$pkg"/_proberows*.so)
resolved=$(ldd "$module" | awk '/libduckdb/ {print $3}')
[ "$(realpath "$resolved")" = "$pkg/lib/libduckdb.so" ] || fail "the module loads libduckdb from '$resolved'"
resolved=$(ldd "$pkg/bin/proberows" | awk '/libduckdb/ {print $3}')
[ "$(realpath "$resolved")" = "$pkg/lib/libduckdb.so" ] || fail "the binary loads libduckdb from '$resolved'"
if ldd "$module" "$pkg/bin/proberows" | grep -e "$src" -e "$build"; then fail "a library is loaded from the checkout"; fi

mkdir "$work/elsewhere"
cd "$work/elsewhere"
[ "$(env -u LD_LIBRARY_PATH -u PYTHONPATH "$v/bin/proberows" --version)" = "proberows 0.1.0" ] || fail "proberows --version"
env -u PYTHONPATH "$v/bin/proberows" generate -o data -n 300 -p 30 >/dev/null
out=$(env -u LD_LIBRARY_PATH -u PYTHONPATH "$v/bin/python" -c '
import json, proberows
print(proberows.__file__)
summary = proberows.build("data", "out", progress=False, workers=1, memory_limit="256MB")
ds = proberows.open("out")
rows = json.load(open("out/proberows.json"))["splits"]["train"]["rows"]
print(summary["keys"], len(ds) == rows == summary["train"]["rows"], int(ds[0]["prb_id"][0]) > 0)')
[ "$out" = "$pkg/__init__.py
30 True True" ] || fail "the installed package printed: $out"
env -u PYTHONPATH "$v/bin/proberows" verify out -i data | grep -qx OK || fail "verify of the pip-installed build"

# 2. pip wheel: the files and their RECORD.
(cd "$src" && "$v/bin/pip" wheel --no-deps -w "$work/wheels" --config-settings "build-dir=$build" \
  --config-settings "cmake-args=$cmake_args" . >"$work/wheel.log" 2>&1) || { cat "$work/wheel.log" >&2; fail "pip wheel ."; }
"$v/bin/python" - "$work"/wheels/proberows-0.1.0-cp3*-linux_x86_64.whl <<'PY' || fail "the wheel's RECORD"
import base64, hashlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = set(z.namelist())
record = z.read("proberows-0.1.0.dist-info/RECORD").decode().splitlines()
listed = {line.split(",")[0] for line in record}
assert listed == names, (listed ^ names)
for line in record:
    path, digest, size = line.split(",")
    if path.endswith("RECORD"):
        continue
    data = z.read(path)
    assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode(), path
    assert int(size) == len(data), path
for f in ("proberows/bin/proberows", "proberows/lib/libduckdb.so", "proberows-0.1.0.dist-info/entry_points.txt"):
    assert f in names, f
assert z.getinfo("proberows/bin/proberows").external_attr >> 16 & 0o111, "bin/proberows is not executable"
meta = z.read("proberows-0.1.0.dist-info/METADATA").decode()
assert "Requires-Dist: numpy>=" in meta, meta[:400]
PY

# 3. Without NumPy: pip says so, and so does the import.
"$python" -m venv "$work/bare"
b=$work/bare
if "$b/bin/python" -c 'import numpy' 2>/dev/null; then fail "a venv without system packages has NumPy"; fi
if (cd "$src" && "$b/bin/pip" install --config-settings "build-dir=$build" . >"$work/bare.log" 2>&1); then
  fail "pip install . into a venv without NumPy succeeded"
fi
grep -q "requirement numpy" "$work/bare.log" || { cat "$work/bare.log" >&2; fail "pip's refusal does not name numpy"; }
cp -a "$pkg" "$work/copy"
mv "$work/copy" "$work/proberows"
err=$(cd "$work/elsewhere" && PYTHONPATH="$work" "$b/bin/python" -c 'import proberows' 2>&1) && fail "imported without NumPy"
for want in "ImportError: proberows cannot load its C++ extension into $b/bin/python" "NumPy is missing" \
            "It was built for $v/bin/python3 (Python 3" "Fix: install NumPy into this environment"; do
  case $err in *"$want"*) ;; *) fail "the ImportError lacks '$want': $err" ;; esac
done
echo "pip_install_test: ok"
