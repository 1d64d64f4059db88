#!/usr/bin/env bash
# A real single-node Slurm on this machine, for testing the Slurm workflow
# (docs/distributed.md): munged, slurmctld and slurmd started directly (no
# systemd), as root, with every file (key, config, state, logs, sockets) in
# one folder, on free ports, so that it disturbs no other Slurm or munge.
#
#   distributed/slurm/local_cluster.sh start [DIR]   start; prints `export SLURM_CONF=DIR/slurm.conf`
#   distributed/slurm/local_cluster.sh stop [DIR]    stop the daemons started in DIR, remove DIR
#   distributed/slurm/local_cluster.sh status [DIR]  sinfo of the cluster
#
# DIR defaults to $PROBEROWS_SLURM_DIR or /tmp/proberows-slurm. The node has
# this machine's cores and memory, one partition `local`; process tracking is
# proctrack/linuxproc and task/none (no cgroups needed). Clients (sbatch,
# squeue, scontrol) find the cluster through SLURM_CONF, and munge through
# the config's AuthInfo socket. Needs Debian's slurm-wlm and munge
# (scripts/setup.sh).
set -euo pipefail

cmd=${1:-}
dir=${2:-${PROBEROWS_SLURM_DIR:-/tmp/proberows-slurm}}

die() { echo "local_cluster: $*" >&2; exit 1; }

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a daemon in the foreground in its own session; remembers its pid.
daemon() {  # daemon NAME COMMAND...
  local name=$1
  shift
  setsid "$@" </dev/null >"$dir/$name.out" 2>&1 &
  echo $! >"$dir/$name.pid"
}

alive() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

stop() {
  [ -d "$dir" ] || return 0
  # Jobs first (their steps belong to slurmd), then the daemons, newest first.
  if alive slurmctld && [ -f "$dir/slurm.conf" ]; then
    SLURM_CONF="$dir/slurm.conf" timeout 10 scancel --quiet --full --user=root 2>/dev/null || true
  fi
  for name in slurmd slurmctld munged; do
    [ -f "$dir/$name.pid" ] || continue
    local pid
    pid=$(cat "$dir/$name.pid")
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    # Whatever the daemon left in its session (job steps, scripts).
    pkill -KILL -s "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

start() {
  for tool in munged munge slurmctld slurmd sbatch; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
      die "$tool is missing: install slurm-wlm and munge (scripts/setup.sh)"
  done
  [ "$(id -u)" = 0 ] || die "must run as root (slurmd starts jobs as their user)"
  if [ -d "$dir" ]; then
    alive slurmctld && die "a cluster is already running in $dir (stop it first)"
    stop
  fi
  mkdir -p "$dir"/{state,spool,jobs}
  chmod 0755 "$dir"  # munged wants its socket's folder readable by everyone
  dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
  chmod 0400 "$dir/munge.key"
  daemon munged /usr/sbin/munged --foreground --socket="$dir/munge.socket" --key-file="$dir/munge.key" \
    --pid-file="$dir/munged.pidfile" --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"
  for _ in $(seq 100); do
    [ -S "$dir/munge.socket" ] && break
    alive munged || die "munged did not start: $(tail -1 "$dir/munged.log" 2>/dev/null)"
    sleep 0.1
  done

  local node cpus mem ctld_port slurmd_port
  node=$(hostname -s)
  cpus=$(nproc)
  mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512))
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  cat >"$dir/slurm.conf" <<EOF
# Written by distributed/slurm/local_cluster.sh: one node, this machine.
ClusterName=proberows-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pidfile
SlurmdPidFile=$dir/slurmd.pidfile
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=300
DefMemPerCPU=1024
SchedulerParameters=sched_min_interval=100000,batch_sched_delay=0
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  daemon slurmctld /usr/sbin/slurmctld -D -i -f "$SLURM_CONF"
  daemon slurmd /usr/sbin/slurmd -D -f "$SLURM_CONF" -N "$node"
  # Ready when the node takes jobs.
  local state=""
  for _ in $(seq 300); do
    alive slurmctld || die "slurmctld exited: $(tail -3 "$dir/slurmctld.log" "$dir/slurmctld.out" 2>/dev/null)"
    alive slurmd || die "slurmd exited: $(tail -3 "$dir/slurmd.log" "$dir/slurmd.out" 2>/dev/null)"
    state=$(sinfo -h -N -o %t 2>/dev/null | head -1)
    case "$state" in idle | mix | alloc) break ;; esac
    sleep 0.2
  done
  case "$state" in
    idle | mix | alloc) ;;
    *) die "the node did not come up (state '${state:-none}'); logs in $dir" ;;
  esac
  echo "export SLURM_CONF=$SLURM_CONF"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status)
    [ -f "$dir/slurm.conf" ] || die "no cluster in $dir"
    SLURM_CONF="$dir/slurm.conf" sinfo
    ;;
  *) die "usage: local_cluster.sh start|stop|status [DIR]" ;;
esac
