#!/usr/bin/env bash
# The Slurm workflow (distributed/slurm/proberows_slurm.sh) on a real
# single-node Slurm started here (distributed/slurm/local_cluster.sh) and
# stopped at the end whatever happens:
#   1. a 3 map x 2 reduce build with --wait: output byte-identical to
#      `proberows build` with the same options;
#   2. a build whose map task 1 is cancelled (scancel) while it runs: the
#      jobs that depend on it are cancelled, --wait exits 1 with the tasks'
#      state, and the output folder does not exist;
#   3. the same command again: it resubmits only the unfinished tasks and the
#      output is byte-identical to build's.
#
#   scripts/slurm_test.sh [--binary build/release/proberows]
#
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm and
# munge (scripts/setup.sh). Exits 77 (skipped) when not root. Registered in
# ctest as slurm_workflow (about 30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
binary=build/release/proberows
[ "${1:-}" = --binary ] && binary=$2
binary=$(realpath "$binary")
[ -x "$binary" ] || { echo "slurm_test: no proberows binary at $binary (build first)" >&2; exit 1; }
if [ "$(id -u)" != 0 ]; then
  echo "slurm_test: skipped: needs root to start slurmd"
  exit 77
fi

tmp=$(mktemp -d /tmp/proberows-slurm-test.XXXXXX)
chmod 0755 "$tmp"  # munged wants every folder above its socket searchable by all
cluster=$tmp/cluster
cleanup() {
  bash "$root/distributed/slurm/local_cluster.sh" stop "$cluster" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "slurm_test: FAILED: $*" >&2
  for f in "$cluster"/slurmctld.log "$cluster"/slurmd.log; do
    [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }
  done
  exit 1
}

started=$(bash distributed/slurm/local_cluster.sh start "$cluster") || fail "the local Slurm did not start"
eval "$started"
echo "slurm_test: cluster up ($SLURM_CONF)"

# shellcheck disable=SC2054  # commas inside one value
options=(--static-columns prb_lat,prb_lon,prb_asn,prb_country --train-shards 4 --test-shards 2 --seed 3)
"$binary" generate -o "$tmp/data" -n 120000 -p 3000 --files 4 --seed 5 >/dev/null
"$binary" build -i "$tmp/data" -o "$tmp/ref" -j 1 -m 256MB --no-progress "${options[@]}" >/dev/null
slurm_build() {  # slurm_build NAME BINARY EXTRA...
  local name=$1 bin=$2
  shift 2
  bash distributed/slurm/proberows_slurm.sh --work "$tmp/work-$name" --map-tasks 3 --reduce-tasks 2 \
    -m 256MB -j 1 --binary "$bin" "$@" -- -i "$tmp/data" -o "$tmp/out-$name" "${options[@]}"
}
same_as_build() {  # same_as_build DIR
  diff <(cd "$tmp/ref" && ls) <(cd "$1" && ls) >&2 || fail "$1 has other files than build's output"
  for f in "$tmp/ref"/*; do
    cmp "$f" "$1/$(basename "$f")" || fail "$1/$(basename "$f") differs from build's"
  done
}

# 1. A plain run.
out=$(slurm_build plain "$binary" --wait) || fail "plain run: $out"
echo "$out"
same_as_build "$tmp/out-plain"
grep -q "^proberows build: 120000 measurements -> 3000 rows" <<<"$out" || fail "no finalize summary"
for i in 0 1 2; do grep -q "^proberows map $i/3: " "$tmp/work-plain/logs/map-$i-"*.out || fail "map $i log"; done
echo "slurm_test: 1. output byte-identical to build"

# 2. Map task 1 cancelled while it runs (its first attempt sleeps first).
cat >"$tmp/slow-proberows" <<EOF
#!/bin/sh
if [ "\$1" = map ] && [ "\$SLURM_ARRAY_TASK_ID" = 1 ] && mkdir "$tmp/map1-started" 2>/dev/null; then
  echo "\$SLURM_ARRAY_JOB_ID" > "$tmp/map1-started/job"
  sleep 120
fi
exec "$binary" "\$@"
EOF
chmod +x "$tmp/slow-proberows"
slurm_build kill "$tmp/slow-proberows" --wait >"$tmp/kill.out" 2>"$tmp/kill.err" &
waiter=$!
for _ in $(seq 600); do
  [ -s "$tmp/map1-started/job" ] && break
  kill -0 "$waiter" 2>/dev/null || fail "the run ended before map task 1 started: $(cat "$tmp/kill.out" "$tmp/kill.err")"
  sleep 0.1
done
[ -s "$tmp/map1-started/job" ] || fail "map task 1 never started"
scancel "$(cat "$tmp/map1-started/job")_1"
rc=0
wait "$waiter" || rc=$?
[ "$rc" = 1 ] || fail "the cancelled run exited $rc, not 1: $(cat "$tmp/kill.out" "$tmp/kill.err")"
grep -Eq "^  map 1/3 +not done" "$tmp/kill.err" || fail "status does not show map 1 not done: $(cat "$tmp/kill.err")"
grep -Eq "^  map 0/3 +done" "$tmp/kill.err" || fail "map 0 should be done: $(cat "$tmp/kill.err")"
grep -q "run the same command again" "$tmp/kill.err" || fail "no resume hint"
[ ! -e "$tmp/out-kill" ] || fail "an output folder appeared"
grep -q "map-1-.*CANCELLED" "$tmp/kill.err" || fail "the cancelled task's log line is not shown: $(cat "$tmp/kill.err")"
echo "slurm_test: 2. cancelled map task -> dependent jobs cancelled, no output"

# 3. The same command again resumes.
out=$(slurm_build kill "$binary" --wait) || fail "resumed run: $out"
echo "$out"
grep -q "resuming: 2 task(s) already done are skipped" <<<"$out" || fail "the resumed run did not skip maps 0 and 2"
grep -q "map tasks 1: job" <<<"$out" || fail "the resumed run did not resubmit map task 1 alone"
same_as_build "$tmp/out-kill"
echo "slurm_test: 3. resumed, output byte-identical to build"
echo "slurm_test: 3 passed, 0 failed"
