#!/usr/bin/env bash
# A one-node Slurm on this machine for tests: Debian's slurmctld + slurmd + munge, configured for localhost with
# the machine's CPUs, everything (config, state, logs) in one directory. Runs as root (CI does).
#
#   .ci/slurm-local.sh start DIR   installs slurmctld slurmd slurm-client munge with apt if absent, writes
#                                  DIR/slurm.conf, starts munged, slurmctld and slurmd, waits until the node is
#                                  idle; prints the SLURM_CONF to export for sbatch/squeue
#   .ci/slurm-local.sh stop DIR    stops the three daemons it started (by the pid files in DIR)
set -euo pipefail

cmd="${1:-}"; dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
log() { echo "== slurm-local: $*" >&2; }

stop() {
  # Only the daemons this script started, by the pids they wrote; slurmd first so no job is left half-run.
  for p in slurmd slurmctld munged; do
    f="$dir/$p.pid"
    if [[ -s "$f" ]]; then
      pid="$(cat "$f")"
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && { log "$p ($pid) did not stop on TERM: KILL"; kill -9 "$pid" 2>/dev/null || true; }
      fi
      rm -f "$f"
    fi
  done
  if [[ -s "$dir/munge-dir" ]]; then rm -rf "$(cat "$dir/munge-dir")"; rm -f "$dir/munge-dir"; fi
}

if [[ "$cmd" == stop ]]; then stop; exit 0; fi
[[ "$cmd" == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
(( EUID == 0 )) || { log "must run as root (slurmd runs jobs as their user; munged needs its key)"; exit 2; }

need=()
for b in /usr/sbin/slurmctld:slurmctld /usr/sbin/slurmd:slurmd /usr/bin/sbatch:slurm-client /usr/sbin/munged:munge; do
  [[ -x "${b%%:*}" ]] || need+=("${b##*:}")
done
if (( ${#need[@]} )); then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

mkdir -p "$dir"/state "$dir"/spool
dir="$(cd "$dir" && pwd)"
host="$(hostname -s)"
cpus="$(nproc)"
mem_mb="$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)"

# munge: the key the package made (or a new one), a socket directory of its own so a system munged is left alone.
[[ -s /etc/munge/munge.key ]] || { /usr/sbin/mungekey --create --force 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null; }
chown munge:munge /etc/munge/munge.key; chmod 600 /etc/munge/munge.key
# munged runs as the munge user, which cannot enter a root-only DIR (mktemp -d): its files go to a directory of
# their own under /tmp, named in DIR/munge-dir so stop removes it.
mdir="$(mktemp -d /tmp/ringlab-munge.XXXXXX)"
echo "$mdir" > "$dir/munge-dir"
chown munge:munge "$mdir"; chmod 755 "$mdir"
sock="$mdir/munge.socket"
runuser -u munge -- /usr/sbin/munged --socket="$sock" --pid-file="$mdir/munged.pid" --log-file="$mdir/munged.log" \
  --seed-file="$mdir/munged.seed"
cp "$mdir/munged.pid" "$dir/munged.pid"

cat > "$dir/slurm.conf" <<CONF
# One-node Slurm for ringlab's tests (written by .ci/slurm-local.sh).
ClusterName=ringlab-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# FIFO, scheduled on every job end: backfill would start the later array tasks only at its next pass (bf_interval, 30 s)
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

/usr/sbin/slurmctld -f "$SLURM_CONF" -i
/usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 1 150); do
  state="$(sinfo -h -n "$host" -o %T 2>/dev/null || true)"
  [[ "$state" == idle ]] && break
  sleep 0.2
done
if [[ "$state" != idle ]]; then
  log "the node is '${state:-unreachable}', not idle, after 30 s; logs: $dir/slurmctld.log $dir/slurmd.log"
  tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
  stop; exit 1
fi
log "up: node $host ($cpus CPUs) idle; export SLURM_CONF=$SLURM_CONF"
echo "$SLURM_CONF"
