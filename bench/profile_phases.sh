#!/usr/bin/env bash
# Where the CPU time of each phase goes. Runs one build as its stages (plan,
# map, split, reduce, finalize: the same code `build` runs in one process),
# each stage a process of its own under `perf record -e cpu-clock` (Debian
# linux-perf; software clock, so it works in VMs without PMU counters), and
# writes for each phase its wall time, its CPU time and the shares of CPU by
# library (DSO) and by symbol.
#
#   bench/profile_phases.sh [--size 20m] [--workers 2] [--memory-limit 1GB]
#                           [--array-record-options group_size:1,zstd:3]
#                           [--results-dir bench/results/profile]
#
# The input is the cached benchmark dataset of that size (scripts/bench.sh
# makes it). Results: RESULTS/<phase>.{dso,sym}.txt and RESULTS/summary.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size=20m workers=2 limit=1GB ar=group_size:1,zstd:3 results=$root/bench/results/profile
while (($#)); do
  case "$1" in
    --size) size=$2; shift ;;
    --workers) workers=$2; shift ;;
    --memory-limit) limit=$2; shift ;;
    --array-record-options) ar=$2; shift ;;
    --results-dir) results=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "profile_phases.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done
bin=$root/build/release/proberows
data=${PROBEROWS_BENCH_DIR:-$root/bench/data}/$size
[ -x "$bin" ] || { echo "profile_phases.sh: build first (cmake --build --preset release)" >&2; exit 1; }
[ -d "$data" ] || { echo "profile_phases.sh: no dataset $data (scripts/bench.sh --sizes $size makes it)" >&2; exit 1; }
command -v perf >/dev/null || { echo "profile_phases.sh: perf is missing (apt-get install linux-perf)" >&2; exit 1; }

work=$(mktemp -d "$root/bench/work/profile.XXXXXX" 2>/dev/null || { mkdir -p "$root/bench/work"; mktemp -d "$root/bench/work/profile.XXXXXX"; })
trap 'rm -rf "$work"' EXIT
mkdir -p "$results"
summary=$results/summary.md
{
  echo "Profile of \`bench/profile_phases.sh --size $size --workers $workers --memory-limit $limit" \
    "--array-record-options $ar\` ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD))."
  echo
  echo "| phase | wall s | CPU s | top libraries (share of the phase's CPU samples) | top symbols |"
  echo "|---|---:|---:|---|---|"
} >"$summary"

run_phase() {  # run_phase NAME ARGS...
  local name=$1; shift
  local data_file=$work/$name.perf
  local t0 t1
  t0=$(date +%s.%N)
  perf record -q -e cpu-clock -F 999 -o "$data_file" -- "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
    { cat "$work/$name.err" >&2; exit 1; }
  t1=$(date +%s.%N)
  perf report -i "$data_file" --stdio --sort dso --percent-limit 0.5 2>/dev/null | grep -v '^#' | sed '/^$/d' \
    >"$results/$name.dso.txt"
  perf report -i "$data_file" --stdio --sort dso,sym --percent-limit 0.7 2>/dev/null | grep -v '^#' | sed '/^$/d' \
    >"$results/$name.sym.txt"
  local samples cpu wall dsos syms
  samples=$(perf report -i "$data_file" --stdio --sort dso 2>/dev/null | sed -n 's/^# Samples: \([0-9.]*\)\([KM]\?\).*/\1 \2/p' |
    awk '{m = ($2 == "K") ? 1e3 : ($2 == "M") ? 1e6 : 1; print $1 * m}')
  cpu=$(awk -v s="$samples" 'BEGIN { printf "%.1f", s / 999 }')
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  dsos=$(head -n 5 "$results/$name.dso.txt" | awk '{printf "%s%s %s", (NR > 1 ? "; " : ""), $2, $1}')
  # Symbols without a name (stripped libraries such as libzstd) are counted
  # in the library column; templates are cut at their first '<'.
  syms=$(awk '$4 !~ /^0x/ {s = $4; for (i = 5; i <= NF; ++i) s = s " " $i; sub(/<.*/, "", s);
    if (n++ < 6) printf "%s`%s` %s", (n > 1 ? "; " : ""), s, $1}' "$results/$name.sym.txt")
  echo "| $name | $wall | $cpu | $dsos | $syms |" >>"$summary"
  echo "profile: $name wall ${wall}s cpu ${cpu}s"
}

common=(-j "$workers" -m "$limit" --temp-dir "$work/tmp")
mkdir -p "$work/tmp"
run_phase plan plan -w "$work/w" -i "$data/*.parquet" -o "$work/out" --array-record-options "$ar" -j "$workers" -m "$limit" \
  --map-tasks 1 --reduce-tasks 1
run_phase map map -w "$work/w" 0 "${common[@]}"
run_phase split split -w "$work/w" -j "$workers" -m "$limit"
run_phase reduce reduce -w "$work/w" 0 "${common[@]}"
run_phase finalize finalize -w "$work/w" -m "$limit"
echo >>"$summary"
echo "Full listings: \`bench/results/profile/<phase>.{dso,sym}.txt\`." >>"$summary"
cat "$summary"
