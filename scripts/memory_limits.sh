#!/usr/bin/env bash
# Opt-in: streaming builds of 5M measurements (the bench's 5m dataset, made
# if missing) under small and large --memory-limit values and worker counts.
# Fails unless every build's whole-process peak RSS (/usr/bin/time %M) stays
# under its limit and every output is byte-identical to the first one.
# ~3 min on 2 cores (release).
#   [BUILD_DIR=build/release] [PROBEROWS_BENCH_DIR=bench/data] scripts/memory_limits.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD_DIR:-build/release}/proberows
data=${PROBEROWS_BENCH_DIR:-bench/data}/5m
work=$(mktemp -d "${TMPDIR:-/tmp}/proberows-memlimits.XXXXXX")
trap 'rm -rf "$work"' EXIT
[[ -x "$bin" ]] || { echo "memory_limits.sh: $bin missing (bash scripts/build.sh)" >&2; exit 1; }
if [[ "$(cat "$data/.params" 2>/dev/null)" != "5000000 189280 4" ]]; then
  mkdir -p "$data"
  "$bin" generate --output "$data" -n 5000000 -p 189280 --files 4 --memory-limit 1GB --overwrite >/dev/null
  echo "5000000 189280 4" >"$data/.params"
fi
mib() { echo $(( $1 >> 20 )); }
status=0 ref=""
printf '%-10s %-8s %-10s %-12s %s\n' limit workers "peak RSS" result "(summary)"
for run in "128MiB 1 134217728" "128MiB 2 134217728" "128MiB 4 134217728" "256MiB 2 268435456" \
           "256MiB 4 268435456" "1GB 2 1000000000"; do
  read -r limit workers bytes <<<"$run"
  out=$work/out-$limit-$workers
  if ! /usr/bin/time -f '%M' -o "$work/rss" "$bin" build --input "$data/*.parquet" --output "$out" \
      --workers "$workers" --memory-limit "$limit" --temp-dir "$work" --no-progress >"$work/log" 2>&1; then
    echo "$limit $workers: build failed: $(tail -1 "$work/log")"; status=1; continue
  fi
  rss=$(( $(tail -1 "$work/rss") * 1024 ))
  result=ok
  (( rss < bytes )) || { result="OVER LIMIT"; status=1; }
  if [[ -z "$ref" ]]; then
    ref=$out
  elif ! diff -rq "$ref" "$out" >/dev/null; then
    result="$result, BYTES DIFFER"; status=1
  fi
  printf '%-10s %-8s %-10s %-12s %s\n' "$limit" "$workers" "$(mib "$rss") MiB" "$result" \
    "$(grep -o 'strategy.*' "$work/log" | head -1)"
  [[ "$out" == "$ref" ]] || rm -rf "$out"
done
exit $status
