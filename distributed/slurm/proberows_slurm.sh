#!/usr/bin/env bash
# Runs a distributed `proberows build` on a Slurm cluster as job arrays
# chained by dependencies (docs/distributed.md):
#
#   plan (here) -> map array 0..N-1 -> split -> reduce array 0..M-1 -> finalize
#
#   proberows_slurm.sh --work /shared/work --map-tasks 32 --reduce-tasks 16 \
#       [--binary /shared/bin/proberows] [--memory-limit 4GB] [--workers 2] \
#       [--partition P] [--account A] [--time 2:00:00] [--sbatch-arg ARG]... \
#       [--max-running K] [--logs DIR] [--keep-work] [--no-verify] [--replace] [--wait] \
#       -- -i '/shared/atlas/*.parquet' -o /shared/out --train-shards 144 --test-shards 16
#
# `plan` runs here (its errors show at once; this machine must see the
# input, the work folder and the output at the paths the nodes use), then
# the tasks that `proberows status` does not show done are submitted with
# sbatch: each array task runs `proberows map|reduce -w WORK auto` (the
# index comes from SLURM_ARRAY_TASK_ID), asks for --workers CPUs and
# --memory-limit plus 10% of memory, and logs to LOGS/STAGE-INDEX-JOBID.out.
# Each job waits for the previous stage with --dependency=afterok and is
# cancelled if that stage fails (--kill-on-invalid-dep=yes). Running the
# same command again after a failure resubmits only the unfinished tasks.
#
# With --wait it blocks until finalize ends, prints its summary, and on a
# failure prints `proberows status` and the error lines of the failed tasks.
# Exit codes: 0 submitted (or, with --wait, published), 1 failed, 2 usage.
set -euo pipefail

usage() {
  sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "proberows_slurm: $*" >&2
  exit 1
}

work="" maps="" reduces="" binary=proberows memory=2GB workers=1 logs="" wait=0
plan_flags=() finalize_flags=() sbatch_args=() max_running=""
while (($#)); do
  case "$1" in
    --work | -w) work=$2; shift 2 ;;
    --map-tasks) maps=$2; shift 2 ;;
    --reduce-tasks) reduces=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --memory-limit | -m) memory=$2; shift 2 ;;
    --workers | -j) workers=$2; shift 2 ;;
    --partition | -p) sbatch_args+=("--partition=$2"); shift 2 ;;
    --account | -A) sbatch_args+=("--account=$2"); shift 2 ;;
    --time | -t) sbatch_args+=("--time=$2"); shift 2 ;;
    --sbatch-arg) sbatch_args+=("$2"); shift 2 ;;
    --max-running) max_running=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    --keep-work) finalize_flags+=(--keep-work); shift ;;
    --no-verify) finalize_flags+=(--no-verify); shift ;;
    --replace) plan_flags+=(--replace); shift ;;
    --wait) wait=1; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    *) echo "proberows_slurm: unknown option '$1' (build options go after --)" >&2; usage ;;
  esac
done
build_options=("$@")
if [ -z "$work" ] || [ -z "$maps" ] || [ -z "$reduces" ]; then usage; fi
((${#build_options[@]})) || die "no build options for \`proberows plan\` after -- (e.g. -- -i INPUT -o OUTPUT)"
[[ "$maps" =~ ^[1-9][0-9]*$ && "$reduces" =~ ^[1-9][0-9]*$ ]] || die "--map-tasks and --reduce-tasks must be at least 1"
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "--workers $workers must be at least 1"
command -v sbatch >/dev/null || die "sbatch is missing (is this a Slurm login node? Debian: slurm-client)"

# Tasks run elsewhere and from other folders: absolute paths.
case "$binary" in */*) binary=$(realpath -m "$binary") ;; esac
work=$(realpath -m "$work")
logs=$(realpath -m "${logs:-$work/logs}")

# --mem for a task: its proberows --memory-limit plus 10% (in MiB), the
# limit parsed like proberows does (k/M/G/T, powers of 1024 with i or
# alone, of 1000 with B).
mem_mib() {
  local s=$1 n unit mult
  [[ "$s" =~ ^([0-9]+)([kKmMgGtT]?)(i?)([bB]?)$ ]] || die "--memory-limit '$s': expected e.g. 2GB, 2GiB or 512m"
  n=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2],,}
  if [ -n "${BASH_REMATCH[4]}" ] && [ -z "${BASH_REMATCH[3]}" ] && [ -n "$unit" ]; then mult=1000; else mult=1024; fi
  local bytes=$n
  case "$unit" in
    k) bytes=$((n * mult)) ;;
    m) bytes=$((n * mult * mult)) ;;
    g) bytes=$((n * mult * mult * mult)) ;;
    t) bytes=$((n * mult * mult * mult * mult)) ;;
  esac
  echo $(((bytes + bytes / 10 + (1 << 20) - 1) >> 20))
}
mem=$(mem_mib "$memory")

# 1. The plan, here. The same plan again keeps the finished tasks.
"$binary" plan -w "$work" --map-tasks "$maps" --reduce-tasks "$reduces" --reduce-memory-limit "$memory" \
  --reduce-workers "$workers" -m "$memory" "${plan_flags[@]}" "${build_options[@]}" ||
  die "plan failed (above)"
mkdir -p "$logs"

# 2. What is left to do (proberows status: one line per task).
status=$("$binary" status -w "$work")
task_done() { grep -Eq "^  $1 +done" <<<"$status"; }
if task_done finalize; then
  echo "proberows_slurm: the output of this plan is already published (proberows status -w $work)"
  exit 0
fi
todo() {  # todo STAGE COUNT: comma-separated indices not done
  local stage=$1 n=$2 i out=""
  for ((i = 0; i < n; i++)); do
    task_done "$stage $i/$n" || out+="${out:+,}$i"
  done
  echo "$out"
}
reduce_todo=$(todo reduce "$reduces")
split_todo=1
task_done split && split_todo=0
map_todo=""
# The split and the reduces read the maps' files.
if ((split_todo)) || [ -n "$reduce_todo" ]; then map_todo=$(todo map "$maps"); fi

# 3. The jobs. Each runs one proberows command; `exec` so that Slurm's
# signals (scancel, time limit) reach proberows, which stops cleanly.
q() { printf '%q ' "$@"; }
common=(--parsable --kill-on-invalid-dep=yes --nodes=1 --ntasks=1 --cpus-per-task="$workers" --mem="$mem")
task_flags=(-j "$workers" -m "$memory" --no-progress)
submit() {  # submit NAME DEPENDENCY [ARRAY] -- COMMAND...: prints the job id
  local name=$1 dep=$2 array=$3 args=()
  shift 4
  args=("${common[@]}" "${sbatch_args[@]}" --job-name="proberows-$name")
  [ -n "$dep" ] && args+=(--dependency="afterok:$dep")
  if [ -n "$array" ]; then
    args+=(--array="$array${max_running:+%$max_running}" --output="$logs/$name-%a-%A.out")
  else
    args+=(--output="$logs/$name-%j.out")
  fi
  sbatch "${args[@]}" --wrap="exec $(q "$@")" || die "sbatch failed for the $name stage"
}
skipped=$((maps - $(tr ',' '\n' <<<"$map_todo" | grep -c .) + 1 - split_todo + reduces -
  $(tr ',' '\n' <<<"$reduce_todo" | grep -c .)))
((skipped)) && echo "proberows_slurm: resuming: $skipped task(s) already done are skipped"

last=""
if [ -n "$map_todo" ]; then
  last=$(submit map "" "$map_todo" -- "$binary" map -w "$work" auto "${task_flags[@]}")
  echo "proberows_slurm: map tasks $map_todo: job $last"
fi
if ((split_todo)); then
  last=$(submit split "$last" "" -- "$binary" split -w "$work" "${task_flags[@]}")
  echo "proberows_slurm: split: job $last"
fi
if [ -n "$reduce_todo" ]; then
  last=$(submit reduce "$last" "$reduce_todo" -- "$binary" reduce -w "$work" auto "${task_flags[@]}")
  echo "proberows_slurm: reduce tasks $reduce_todo: job $last"
fi
final=$(submit finalize "$last" "" -- "$binary" finalize -w "$work" "${task_flags[@]}" "${finalize_flags[@]}")
echo "proberows_slurm: finalize: job $final (logs in $logs; progress: proberows status -w $work)"
((wait)) || exit 0

# 4. --wait: until finalize has ended (done, failed, or cancelled because a
# task it depends on failed).
while [ -n "$(squeue -h -j "$final" -t PD,CF,R,CG,S,RQ,RS -o %i 2>/dev/null)" ]; do sleep 1; done
if "$binary" status -w "$work" | grep -Eq '^  finalize +done'; then
  cat "$logs/finalize-$final.out"
  exit 0
fi
echo "proberows_slurm: the build did not finish; the tasks' state:" >&2
"$binary" status -w "$work" >&2 || true
# The tasks' own error lines, and Slurm's (cancelled, time limit, node failure, out of memory).
grep -H -E "proberows: error:|^slurmstepd[^:]*: error: " "$logs"/*.out >&2 || true
echo "proberows_slurm: run the same command again to resubmit the unfinished tasks" >&2
exit 1
