#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang, ASan+UBSan) and
# runs each for a bounded time. Fails if any target finds a crash, a leak, a
# timeout or an out-of-memory. Part of scripts/test.sh (CI).
#   scripts/fuzz.sh                 every fuzz/*_fuzzer.cc, FUZZ_SECONDS each (default 45)
#   FUZZ_SECONDS=300 scripts/fuzz.sh array_record_reader_fuzzer
# Corpora persist in build/fuzz/corpus/<target>/ between runs (seeded from
# testdata/arrayrecord); crash inputs land in build/fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-45}
jobs=${JOBS:-$(nproc)}
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/*_fuzzer.cc; do targets+=("$(basename "$f" .cc)"); done
fi

duckdb_root_arg=()
[ -d third_party/duckdb ] && duckdb_root_arg=(-DDUCKDB_ROOT="$PWD/third_party/duckdb")
[ -n "${DUCKDB_ROOT:-}" ] && duckdb_root_arg=(-DDUCKDB_ROOT="$DUCKDB_ROOT")
echo "== fuzz: configure and build ${targets[*]}"
cmake --preset fuzz "${duckdb_root_arg[@]}" >/dev/null
cmake --build --preset fuzz -j "$jobs" --target "${targets[@]}"

mkdir -p build/fuzz/crashes
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$t
  mkdir -p "$corpus"
  seeds=()
  if [ "$t" = array_record_reader_fuzzer ] && [ -d testdata/arrayrecord ]; then
    seeds+=(testdata/arrayrecord)
  fi
  [ -d "fuzz/corpus/$t" ] && seeds+=("fuzz/corpus/$t")
  echo "== fuzz: $t for ${seconds}s (corpus $corpus ${seeds[*]:-})"
  # -timeout: one input may take at most 10 s; -rss_limit_mb: 2 GB per input.
  if ! "build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/crashes/$t-" "$corpus" "${seeds[@]}" >"build/fuzz/$t.log" 2>&1; then
    tail -n 60 "build/fuzz/$t.log"
    echo "== fuzz: $t FAILED (input saved under build/fuzz/crashes/)"
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE" "build/fuzz/$t.log" | tr '\n' ' '
  echo
done
echo "== fuzz: all targets ran ${seconds}s without finding anything"
