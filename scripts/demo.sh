#!/usr/bin/env bash
# One command from a fresh machine to a converted dataset: installs what is
# missing, builds, generates the default sample (500,000 measurements of
# 18,928 probes), converts it with the default (streaming) strategy and prints
# the build summary and the dataset summary.
#   scripts/demo.sh [DIR]     (default DIR: demo/)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-demo}
bash scripts/build.sh
bin=build/release/proberows
$bin generate --output "$dir/input" --overwrite
$bin build --input "$dir/input/*.parquet" --output "$dir/output" --overwrite \
  --static-columns prb_lat,prb_lon,prb_asn,prb_country
$bin inspect "$dir/output"
echo
echo "first row of the test split (proberows cat):"
first=$(ls "$dir"/output/*-test.array_record-* | head -1)
$bin cat "$first" --limit 1 | cut -c1-400
echo "..."
echo
echo "the binary: $bin (install it anywhere: cmake --install build/release --prefix PREFIX)"
if [ -d build/release/python/proberows ]; then
  echo "Python: PYTHONPATH=build/release/python python3 -c 'import proberows; print(len(proberows.open(\"$dir/output\")))'"
fi
