#!/usr/bin/env bash
# The native RIPE Atlas JSON path beside Parquet (docs/BENCHMARKS.md, "Native
# RIPE Atlas JSON"): the same measurements generated as Parquet (the
# end-to-end benchmark's dataset) and as RIPE Atlas' native ping results
# (`generate --format ripe-atlas-ping-json`), then, interleaved run by run:
#   parquet       proberows build -i PARQUET            (flat columns, as bench.sh)
#   json-preset   proberows build -i JSON --preset ripe-atlas-ping
#   json-native   the same with --json-reader native (simdjson, source/native_ping.h)
#   json-floor    DuckDB reading every field the preset reads (read_json with
#                 the preset's column types, every value touched): the floor
#                 of parsing the JSON
# Prints one markdown table of medians (wall time, measurements/s, peak RSS).
#
#   scripts/bench_native_json.sh [--size 5m] [--runs 3] [--memory-limit 1GB] [--workers 2]
#                                [--build-dir DIR]
# Datasets are cached in $PROBEROWS_BENCH_DIR (default bench/data).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size=5m runs=3 limit=1GB workers=2 build_dir=""
while (($#)); do
  case "$1" in
    --size) size=$2; shift ;;
    --runs) runs=$2; shift ;;
    --memory-limit) limit=$2; shift ;;
    --workers) workers=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench_native_json.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done
case "$size" in
  smoke) n=5000 probes=189 files=2 ;;
  500k) n=500000 probes=18928 files=1 ;;
  5m) n=5000000 probes=189280 files=4 ;;
  20m) n=20000000 probes=757120 files=16 ;;
  *) echo "bench_native_json.sh: unknown size $size (smoke, 500k, 5m, 20m)" >&2; exit 2 ;;
esac
if [[ -z "$build_dir" ]]; then
  bash "$root/scripts/build.sh"
  build_dir=$root/build/release
fi
bin=$build_dir/proberows sql=$build_dir/duckdb_sql
data=${PROBEROWS_BENCH_DIR:-$root/bench/data}
work=$root/bench/work/native-json
mkdir -p "$data" "$work"

# The datasets: Parquet as bench.sh makes it (shared cache), JSON beside it.
gen() {  # gen FOLDER FORMAT
  local folder=$1 format=$2 want="$n $probes $files"
  [[ -f "$folder/.params" && "$(cat "$folder/.params")" == "$want" ]] && return
  echo "generating $folder ($format, $n measurements)" >&2
  mkdir -p "$folder"
  "$bin" generate -o "$folder" -n "$n" -p "$probes" --files "$files" --format "$format" --memory-limit "$limit" \
    --overwrite >&2
  echo "$want" > "$folder/.params"
}
parquet=$data/$size json=$data/$size-ripe-ping-json
gen "$parquet" parquet
gen "$json" ripe-atlas-ping-json
json_bytes=$(du -cb "$json"/*.jsonl | tail -1 | cut -f1)
parquet_bytes=$(du -cb "$parquet"/*.parquet | tail -1 | cut -f1)

# The floor: every field the preset reads, with the preset's types.
floor_sql="SELECT count(*), sum(fw), sum(prb_id), sum(msm_id), sum(\"timestamp\"), sum(af), sum(length(mode)),
  sum(length(dst_addr)), sum(length(addr)), sum(length(dst_name)), sum(length(name)), sum(length(src_addr)),
  sum(length(srcaddr)), sum(length(\"from\")), sum(size), sum(lts), sum(ttl), sum(sent), sum(rcvd), sum(dup),
  sum(\"min\"), sum(avg), sum(\"max\"), sum(len(result)), sum(list_sum(list_transform(result, e -> e.rtt)))
  FROM read_json('$json/*.jsonl', columns = {'fw': 'DOUBLE', 'prb_id': 'DOUBLE', 'msm_id': 'DOUBLE',
  'timestamp': 'DOUBLE', 'af': 'DOUBLE', 'mode': 'VARCHAR', 'proto': 'VARCHAR', 'dst_addr': 'VARCHAR',
  'addr': 'VARCHAR', 'dst_name': 'VARCHAR', 'name': 'VARCHAR', 'src_addr': 'VARCHAR', 'srcaddr': 'VARCHAR',
  'from': 'VARCHAR', 'size': 'DOUBLE', 'lts': 'DOUBLE', 'ttl': 'DOUBLE', 'sent': 'DOUBLE', 'rcvd': 'DOUBLE',
  'dup': 'DOUBLE', 'min': 'DOUBLE', 'avg': 'DOUBLE', 'max': 'DOUBLE',
  'result': 'STRUCT(rtt DOUBLE, x VARCHAR, dup DOUBLE, error VARCHAR)[]'})"

declare -A times rss
run() {  # run NAME CMD...
  local name=$1; shift
  rm -rf "$work/out" "$work/tmp"; mkdir -p "$work/tmp"
  local t
  t=$( { /usr/bin/time -f '%e %M' "$@" > "$work/stdout" 2> "$work/stderr"; } 2>&1 ) || {
    echo "bench_native_json.sh: $name failed: $(tail -2 "$work/stderr")" >&2; exit 1; }
  t=$(tail -1 "$work/stderr")
  times[$name]+="${t% *} " rss[$name]+="${t#* } "
  echo "$name: ${t% *} s, peak RSS $((${t#* } / 1024)) MiB" >&2
}
for ((r = 1; r <= runs; ++r)); do
  run parquet "$bin" build -i "$parquet/*.parquet" -o "$work/out" --workers "$workers" --memory-limit "$limit" \
    --temp-dir "$work/tmp" --no-progress
  run json-preset "$bin" build -i "$json" -o "$work/out" --preset ripe-atlas-ping --workers "$workers" \
    --memory-limit "$limit" --temp-dir "$work/tmp" --no-progress
  run json-native "$bin" build -i "$json" -o "$work/out" --preset ripe-atlas-ping --json-reader native \
    --workers "$workers" --memory-limit "$limit" --temp-dir "$work/tmp" --no-progress
  run json-floor "$sql" --memory-limit "$limit" --threads "$workers" --temp-dir "$work/tmp" --print-rows 0 "$floor_sql"
done
rm -rf "$work"

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "| input ($size: $n measurements, $probes probes) | command | wall s (median of $runs) | runs (s) | measurements/s | peak RSS (median) |"
echo "|---|---|---:|---|---:|---:|"
for name in parquet json-preset json-native json-floor; do
  m=$(echo "${times[$name]}" | median) k=$(echo "${rss[$name]}" | median)
  case $name in
    parquet) what="Parquet, $((parquet_bytes / 1000000)) MB" cmd="\`build -i 'DIR/*.parquet'\`" ;;
    json-preset) what="native JSON, $((json_bytes / 1000000)) MB" cmd="\`build -i DIR --preset ripe-atlas-ping\`" ;;
    json-native) what="native JSON, $((json_bytes / 1000000)) MB"
      cmd="\`build -i DIR --preset ripe-atlas-ping --json-reader native\`" ;;
    json-floor) what="native JSON, $((json_bytes / 1000000)) MB" cmd="DuckDB reads every field the preset reads (floor)" ;;
  esac
  printf '| %s | %s | %.1f | %s | %.0f | %d MiB |\n' "$what" "$cmd" "$m" "${times[$name]% }" \
    "$(echo "$n / $m" | bc -l)" "$((${k%.*} / 1024))"
done
