#!/usr/bin/env bash
# RIPE Atlas data as it ships, side by side (docs/BENCHMARKS.md, "RIPE Atlas
# dumps"; issue 16 item 4). One RIPE-realistic dataset (`generate --shape
# ripe-atlas`: 12,000 probes, 50 measurement ids, a result every 240 s, one
# file per hour named like RIPE's dumps) in four forms:
#   json     ping-*.jsonl                  (RIPE's native result JSON)
#   zst      ping-*.jsonl.zst              (zstd -3)
#   bz2      ping-*.bz2                    (lbzip2 -9, as RIPE's daily dumps)
#   parquet  the same results' fields as Parquet (DuckDB COPY, one file per hour)
# then, interleaved run by run:
#   parquet       build -i 'PARQUET/*.parquet'
#   json-duckdb   build -i JSON --preset ripe-atlas-ping
#   json-native   build -i JSON --preset ripe-atlas-ping --json-reader native
#   zst-native    the same on the .jsonl.zst files
#   bz2-native    the same on the .bz2 dumps
#   bz2-duckdb    build -i BZ2 --preset ripe-atlas-ping (the DuckDB path)
#   zstd-d        zstd -d of the .zst files alone (the floor of zst-native)
#   lbzip2-d      lbzip2 -d -n WORKERS of the .bz2 files alone (the floor of bz2-*)
# Prints one markdown table of medians (wall s, measurements/s, peak RSS).
#
#   scripts/bench_ripe_dumps.sh [--size 5m] [--runs 3] [--memory-limit 1GB] [--workers 2]
#                               [--build-dir DIR] [--skip NAME,...]
# Datasets are cached in $PROBEROWS_BENCH_DIR (default bench/data).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size=5m runs=3 limit=1GB workers=2 build_dir="" skip=""
while (($#)); do
  case "$1" in
    --size) size=$2; shift ;;
    --runs) runs=$2; shift ;;
    --memory-limit) limit=$2; shift ;;
    --workers) workers=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --skip) skip=",$2,"; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "bench_ripe_dumps.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done
case "$size" in
  smoke) n=50000 ;;
  500k) n=500000 ;;
  5m) n=5000000 ;;
  20m) n=20000000 ;;
  *) echo "bench_ripe_dumps.sh: unknown size $size (smoke, 500k, 5m, 20m)" >&2; exit 2 ;;
esac
for tool in zstd lbzip2; do
  command -v $tool > /dev/null || { echo "bench_ripe_dumps.sh: needs $tool (scripts/setup.sh installs it)" >&2; exit 2; }
done
if [[ -z "$build_dir" ]]; then
  bash "$root/scripts/build.sh"
  build_dir=$root/build/release
fi
bin=$build_dir/proberows sql=$build_dir/duckdb_sql
data=${PROBEROWS_BENCH_DIR:-$root/bench/data}/ripe-$size
work=$root/bench/work/ripe-dumps
mkdir -p "$work"

# The datasets, made once (.params records what they hold).
if [[ ! -f "$data/.params" || "$(cat "$data/.params")" != "$n" ]]; then
  echo "generating $data ($n RIPE-realistic ping results)" >&2
  rm -rf "$data"
  mkdir -p "$data/json" "$data/zst" "$data/bz2"
  "$bin" generate -o "$data/json" -n "$n" --shape ripe-atlas --format ripe-atlas-ping-json --memory-limit "$limit" \
    >&2
  for f in "$data"/json/*.jsonl; do
    base=$(basename "$f" .jsonl)
    zstd -q -3 -T"$workers" -c "$f" > "$data/zst/$base.jsonl.zst"
    lbzip2 -9 -n "$workers" -c "$f" > "$data/bz2/$base.bz2"
  done
  echo "$n" > "$data/.params"
fi
# The same results' fields as Parquet, with the preset's fills (-1 for a
# missing count, NaN for a lost reply, [] for no replies), so that the
# default build reads them as they are.
if [[ ! -f "$data/parquet/.done-2" ]]; then
  rm -rf "$data/parquet"; mkdir -p "$data/parquet"
  for f in "$data"/json/*.jsonl; do
    base=$(basename "$f" .jsonl)
    int() { echo "COALESCE(CAST($1 AS BIGINT), -1) AS $1"; }
    "$sql" --memory-limit "$limit" --threads "$workers" --print-rows 0 "COPY (SELECT CAST(prb_id AS BIGINT) AS prb_id,
      CAST(\"timestamp\" AS BIGINT) AS \"timestamp\", $(int msm_id), $(int af), COALESCE(dst_addr, '') AS dst_addr,
      COALESCE(dst_name, '') AS dst_name, COALESCE(src_addr, '') AS src_addr, COALESCE(\"from\", '') AS \"from\",
      COALESCE(proto, '') AS proto, $(int size), $(int ttl), $(int sent), $(int rcvd), $(int dup), \"min\", avg,
      \"max\", list_transform(COALESCE(result, []), e -> COALESCE(e.rtt, 'NaN'::DOUBLE)) AS rtt
      FROM read_json('$f', columns = {'prb_id': 'DOUBLE', 'timestamp': 'DOUBLE', 'msm_id': 'DOUBLE',
      'af': 'DOUBLE', 'dst_addr': 'VARCHAR', 'dst_name': 'VARCHAR', 'src_addr': 'VARCHAR', 'from': 'VARCHAR',
      'proto': 'VARCHAR', 'size': 'DOUBLE', 'ttl': 'DOUBLE', 'sent': 'DOUBLE', 'rcvd': 'DOUBLE', 'dup': 'DOUBLE',
      'min': 'DOUBLE', 'avg': 'DOUBLE', 'max': 'DOUBLE', 'result': 'STRUCT(rtt DOUBLE)[]'}))
      TO '$data/parquet/$base.parquet' (FORMAT parquet)" > /dev/null
  done
  touch "$data/parquet/.done-2"
fi
bytes() { du -cb "$@" | tail -1 | cut -f1; }
declare -A mb=([json]=$(bytes "$data"/json/*) [zst]=$(bytes "$data"/zst/*) [bz2]=$(bytes "$data"/bz2/*)
  [parquet]=$(bytes "$data"/parquet/*))
files=$(ls "$data"/json | wc -l)

native=(--preset ripe-atlas-ping --json-reader native)
common=(-o "$work/out" --workers "$workers" --memory-limit "$limit" --temp-dir "$work/tmp" --no-progress)
declare -A cmd=(
  [parquet]="$bin build -i $data/parquet/*.parquet ${common[*]}"
  [json-duckdb]="$bin build -i $data/json --preset ripe-atlas-ping ${common[*]}"
  [json-native]="$bin build -i $data/json ${native[*]} ${common[*]}"
  [zst-native]="$bin build -i $data/zst ${native[*]} ${common[*]}"
  [bz2-native]="$bin build -i $data/bz2 ${native[*]} ${common[*]}"
  [bz2-duckdb]="$bin build -i $data/bz2 --preset ripe-atlas-ping ${common[*]}"
  [zstd-d]="zstd -d -q -c $data/zst/*.zst"
  [lbzip2-d]="lbzip2 -d -n $workers -c $data/bz2/*.bz2"
)
order=(parquet json-duckdb json-native zst-native zstd-d bz2-native bz2-duckdb lbzip2-d)
declare -A times rss failed
for ((r = 1; r <= runs; ++r)); do
  for name in "${order[@]}"; do
    [[ "$skip" == *",$name,"* ]] && continue
    rm -rf "$work/out" "$work/tmp"; mkdir -p "$work/tmp"
    # Globs in the commands are expanded here (the builds take the quoted
    # ones too); the decompressors' output is thrown away.
    /usr/bin/time -f '%x %e %M' -o "$work/time" timeout "${BENCH_TIMEOUT:-900}" bash -c "${cmd[$name]} > /dev/null" 2> "$work/stderr" || true
    read -r status t <<< "$(tail -1 "$work/time")"
    if [[ "$status" != 0 ]]; then
      echo "bench_ripe_dumps.sh: $name failed: $(grep -v '^Command exited' "$work/stderr" | tail -1)" >&2
      failed[$name]=$(grep -v '^Command exited' "$work/stderr" | tail -1 | cut -c1-120)
      continue
    fi
    times[$name]+="${t% *} " rss[$name]+="${t#* } "
    echo "$name: ${t% *} s, peak RSS $((${t#* } / 1024)) MiB" >&2
  done
done
rm -rf "$work"

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "| input ($size: $n results, $files hourly files) | command | wall s (median of $runs) | runs (s) | results/s | peak RSS (median) |"
echo "|---|---|---:|---|---:|---:|"
for name in "${order[@]}"; do
  if [[ -n "${failed[$name]:-}" ]]; then
    printf '| %s | `%s` | failed | %s | | |\n' "${name%%-*}" "$name" "${failed[$name]//|/\\|}"
    continue
  fi
  [[ -n "${times[$name]:-}" ]] || continue
  m=$(echo "${times[$name]}" | median) k=$(echo "${rss[$name]}" | median)
  case $name in zstd-d) form=zst ;; lbzip2-d) form=bz2 ;; *) form=${name%%-*} ;; esac
  printf '| %s, %d MB | `%s` | %.1f | %s | %.0f | %d MiB |\n' "$form" "$((${mb[$form]} / 1000000))" \
    "${name}" "$m" "${times[$name]% }" "$(echo "$n / $m" | bc -l)" "$((${k%.*} / 1024))"
done
