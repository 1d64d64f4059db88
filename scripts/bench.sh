#!/usr/bin/env bash
# End-to-end benchmark: proberows build (sequential, in-memory, streaming; 1
# and 2 workers) against DuckDB baselines F (scan floor), S (sort to Parquet)
# and G (GROUP BY + list(... ORDER BY) to Parquet), and Polars (P: group_by +
# sort_by, collect only; bench/tools/setup_polars.sh), same memory limit, same
# session. Builds release, generates (and caches) the datasets, runs, writes
# bench/results/results.{json,csv,md} + bench_results.svg and regenerates the
# results section of docs/BENCHMARKS.md. See docs/BENCHMARKS.md.
#
#   scripts/bench.sh [--sizes 500k,5m,20m] [--runs 3] [--memory-limit 1GB]
#                    [--workers 1,2] [--large-workers 2] [--sequential-runs 1]
#                    [--with-200m] [--large-runs N] [--verify] [--no-doc] [--no-uncompressed] [--no-polars]
#   scripts/bench.sh --smoke     # tiny data, one run, every code path (ctest)
#
# Other flags: --timeout S (kill one command after S seconds, default 900,
# recorded as a timeout), --large-runs N (runs of the 200M configurations,
# default --runs), --build-dir DIR (use these binaries, do not build),
# --work-dir DIR (outputs + spill, default bench/work), --results-dir DIR.
# Datasets are cached in $PROBEROWS_BENCH_DIR (default bench/data).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=500k,5m,20m runs=3 limit=1GB workers=1,2 smoke=0 with200=0 verify=0 doc=1 nounc=0 polars=1
build_dir="" work_dir="" results_dir="" large_workers="" seq_runs=1 timeout=900 large_runs=
while (($#)); do
  case "$1" in
    --smoke) smoke=1 ;;
    --sizes) sizes=$2; shift ;;
    --runs) runs=$2; shift ;;
    --memory-limit) limit=$2; shift ;;
    --workers) workers=$2; shift ;;
    --large-workers) large_workers=$2; shift ;;
    --sequential-runs) seq_runs=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --with-200m) with200=1 ;;
    --large-runs) large_runs=$2; shift ;;
    --verify) verify=1 ;;
    --no-doc) doc=0 ;;
    --no-uncompressed) nounc=1 ;;
    --no-polars) polars=0 ;;
    --build-dir) build_dir=$2; shift ;;
    --work-dir) work_dir=$2; shift ;;
    --results-dir) results_dir=$2; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done
((with200)) && sizes="$sizes,200m"
data_dir=${PROBEROWS_BENCH_DIR:-$root/bench/data}
if ((smoke)); then
  # Everything tiny and throw-away: one run, results and data under the work dir.
  sizes=smoke runs=1 doc=0 verify=1 polars=0
  work_dir=${work_dir:-$root/bench/work-smoke}
  data_dir=$work_dir/data
  results_dir=${results_dir:-$work_dir/results}
fi
work_dir=${work_dir:-$root/bench/work}
results_dir=${results_dir:-$root/bench/results}
if [[ -z "$build_dir" ]]; then
  bash "$root/scripts/build.sh"
  build_dir=$root/build/release
fi
for b in proberows duckdb_sql; do
  [[ -x "$build_dir/$b" ]] || { echo "bench.sh: $build_dir/$b missing (build with PROBEROWS_BUILD_BENCH=ON)" >&2; exit 1; }
done
args=(--build-dir "$build_dir" --data-dir "$data_dir" --work-dir "$work_dir" --results-dir "$results_dir"
      --timeout "$timeout" --sizes "$sizes" --runs "$runs" --workers "$workers" --memory-limit "$limit"
      --command "scripts/bench.sh --sizes $sizes --runs $runs --memory-limit $limit --workers $workers${large_workers:+ --large-workers $large_workers}${seq_runs:+ --sequential-runs $seq_runs}${large_runs:+ --large-runs $large_runs}")
[[ -n "$large_workers" ]] && args+=(--large-workers "$large_workers")
[[ -n "$seq_runs" ]] && args+=(--sequential-runs "$seq_runs")
[[ -n "$large_runs" ]] && args+=(--large-runs "$large_runs")
((verify)) && args+=(--verify)
((nounc)) && args+=(--no-uncompressed)
((doc)) && args+=(--update-doc "$root/docs/BENCHMARKS.md")
# Polars beside S and F (installed from npm, pinned; skipped with --no-polars
# or where node is missing).
if ((polars)) && command -v node >/dev/null && bash "$root/bench/tools/setup_polars.sh" "$root/bench/polars"; then
  args+=(--polars-modules "$root/bench/polars/node_modules")
fi
python3 "$root/bench/run_bench.py" "${args[@]}"
