#!/bin/bash
# The native reader on compressed RIPE Atlas ping JSON against the DuckDB
# path and the decompressors alone (docs/BENCHMARKS.md, issue 16 item 2).
# usage: scripts/bench_native_compressed.sh DATA_DIR [ROUNDS] [BINARY]
# Commands run interleaved, round by round; each line: name, exit code,
# wall s, task-clock ms and instructions:u (perf stat), load, the phases.
# DATA_DIR holds (made once):
#   proberows generate --format ripe-atlas-ping-json -n 500000 -p 12000 -o g1
#   ping.jsonl (g1's file); lbzip2 -n 2 -c ping.jsonl > ping-2024-05-01T0000.bz2;
#   zstd -T2 -c ping.jsonl > ping.jsonl.zst; four_bz2/: ping.jsonl cut in 4
#   (split -n l/4), each lbzip2'd as ping-2024-05-01T0H00.bz2.
# ONLY=N skips the first N commands; PAIRS=1, BASE=BINARY: see below.
set -u
D=${1:?usage: $0 DATA_DIR [ROUNDS] [BINARY]}
ROUNDS=${2:-3}
B=${3:-build/release/proberows}
cmds=(
 "native-plain|$B build --no-progress --preset ripe-atlas-ping --json-reader native -j 2 -i $D/ping.jsonl -o $D/out"
 "duckdb-plain|$B build --no-progress --preset ripe-atlas-ping -j 2 -i $D/ping.jsonl -o $D/out"
 "native-bz2|$B build --no-progress --preset ripe-atlas-ping --json-reader native -j 2 -i $D/ping-2024-05-01T0000.bz2 -o $D/out"
 "duckdb-bz2|$B build --no-progress --preset ripe-atlas-ping -j 2 -i $D/ping-2024-05-01T0000.bz2 -o $D/out"
 "native-zst|$B build --no-progress --preset ripe-atlas-ping --json-reader native -j 2 -i $D/ping.jsonl.zst -o $D/out"
 "duckdb-zst|$B build --no-progress --preset ripe-atlas-ping -j 2 -i $D/ping.jsonl.zst -o $D/out"
 "lbzip2-d-n2|lbzip2 -d -n 2 -c $D/ping-2024-05-01T0000.bz2"
 "zstd-d|zstd -d -q -c $D/ping.jsonl.zst"
 "native-bz2x4|$B build --no-progress --preset ripe-atlas-ping --json-reader native -j 2 -i $D/four_bz2 -o $D/out"
 "lbzip2-d-n2-x4|lbzip2 -d -n 2 -c $D/four_bz2/*.bz2"
)
[ -n "${ONLY:-}" ] && cmds=("${cmds[@]:$ONLY}")
# PAIRS=1: only the .bz2 builds and lbzip2, one file and four, in pairs.
[ -n "${PAIRS:-}" ] && cmds=("${cmds[2]}" "${cmds[6]}" "${cmds[8]}" "${cmds[9]}")
# BASE=BINARY (before/after): each round starts with the one-file native
# .bz2 build by BINARY (e.g. main's), then runs the commands chosen above.
[ -n "${BASE:-}" ] && cmds=("native-bz2-base|$BASE build --no-progress --preset ripe-atlas-ping --json-reader native -j 2 -i $D/ping-2024-05-01T0000.bz2 -o $D/out" "${cmds[@]}")
for r in $(seq 1 "$ROUNDS"); do
  for c in "${cmds[@]}"; do
    name=${c%%|*}; cmd=${c#*|}
    rm -rf $D/out
    load=$(cut -d' ' -f1 /proc/loadavg)
    s=$(date +%s.%N)
    if [[ $name == lbzip2* || $name == zstd* ]]; then
      perf stat -x, -e task-clock,instructions:u -o $D/perf.txt $cmd > /dev/null 2>$D/err.txt
    else
      perf stat -x, -e task-clock,instructions:u -o $D/perf.txt $cmd > $D/err.txt 2>&1
    fi
    rc=$?
    e=$(date +%s.%N)
    tc=$(grep task-clock $D/perf.txt | cut -d, -f1); ins=$(grep instructions $D/perf.txt | cut -d, -f1)
    phases=$(grep phases $D/err.txt 2>/dev/null | sed 's/ *phases: //')
    printf "%s round%d rc=%d wall=%.2f task-clock-ms=%.0f instr-u=%s load=%s %s\n" $name $r $rc $(echo "$e - $s" | bc) "$tc" "${ins// /_}" "$load" "$phases"
  done
done
