#!/usr/bin/env bash
# Sets everything up, builds, and runs the whole test suite: first a release
# build with warnings as errors, then the same tests under ASan+UBSan.
#   scripts/test.sh            both passes
#   scripts/test.sh --fast     release pass only
#   FUZZ_SECONDS=0 scripts/test.sh   skip the fuzz step (default: 20 s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== format check"
bash scripts/format.sh --check

jobs=$(nproc)
run_pass() {  # run_pass PRESET
  local preset=$1
  echo "== $preset: configure and build"
  cmake --preset "$preset" -DPROBEROWS_WERROR=ON >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: tests"
  ctest --test-dir "build/$preset" -j "$jobs" --output-on-failure --timeout 900
}

run_pass release
if [ "${1:-}" != "--fast" ]; then
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_pass asan-ubsan
fi
export FUZZ_SECONDS=${FUZZ_SECONDS:-20}
if [ "${1:-}" != "--fast" ] && [ "$FUZZ_SECONDS" != 0 ]; then
  bash scripts/fuzz.sh
fi
echo "== all tests passed"
