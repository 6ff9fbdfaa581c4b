#!/usr/bin/env bash
# local-cluster.sh: a one-node SLURM cluster (munged, slurmctld, slurmd) on this machine, for
# trying the sbatch scripts and for CI. Run as root (Debian 12; needs no systemd).
#
#   slurm/local-cluster.sh start    install slurm-wlm and munge if missing, write /etc/slurm/slurm.conf,
#                                   start munged, slurmctld and slurmd, wait until the node is idle
#                                   (does nothing if the cluster already runs)
#   slurm/local-cluster.sh stop     cancel every job, then stop slurmd, slurmctld and munged
#                                   (does nothing if nothing runs); the job state is kept
#   slurm/local-cluster.sh status   show the daemons and sinfo; exit 0 if the cluster is up, 1 if not
#   slurm/local-cluster.sh clean    stop, then remove /var/tmp/local-slurm and the slurm.conf written here
#
# State, spool, logs and pid files are under /var/tmp/local-slurm (logs: log/slurmctld.log,
# log/slurmd.log). The conf sits at the default path, so sbatch/srun/squeue need no SLURM_CONF.
# Partition "debug" (the default) holds the node; the node's CPUs and topology are taken from
# `slurmd -C`, and its memory is MemTotal less 1 GiB.
#
# Scheduling facts that jobs rely on (measured here with slurm 22.05.8):
# - Time limits are whole minutes: --time=0:50 is accepted but becomes 1 minute, 1:30 becomes 2.
# - slurmctld tests time limits and --signal warnings every 30 s (compiled in; no slurm.conf
#   setting changes it). --signal=USR1@N is sent at the first test that finds at most N+30 s left,
#   so it comes 0-30 s before "N s before the limit"; the steps' tasks get it, the batch shell
#   does not (B:USR1@N: only the batch shell). A job is killed 0-30 s after its limit
#   (OverTimeLimit=0): SIGTERM, then SIGKILL KillWait=10 s later.
# - JobRequeue=1. `scontrol requeue $SLURM_JOB_ID` in a batch script kills that run at once
#   (SIGTERM); the job may start again cred_expire+1 s later (AuthInfo, lowered from 120 s to
#   REQUEUE_DELAY below) at the next scheduler pass (sched_interval=5): about 12-16 s in all.
# - DependencyParameters=kill_invalid_depend: a job whose afterok dependency failed is cancelled
#   (reason DependencyNeverSatisfied) instead of pending forever.
# - EnforcePartLimits=ALL: sbatch rejects --ntasks above the node's CPUs ("More processors
#   requested than permitted") instead of queueing a job that can never run.
set -euo pipefail

readonly BASE=/var/tmp/local-slurm
readonly CONF=/etc/slurm/slurm.conf
readonly MARK="# Written by local-cluster.sh; removed by its 'clean'."
readonly CTLD_PID=$BASE/slurmctld.pid
readonly SLURMD_PID=$BASE/slurmd.pid
readonly MUNGE_PID=/run/munge/munged.pid
readonly MUNGE_KEY=/etc/munge/munge.key
readonly START_TIMEOUT=60
# Seconds a requeued job waits before it may run again (slurm's AuthInfo cred_expire).
readonly REQUEUE_DELAY=10

msg() { echo "local-cluster: $*"; }
die() { echo "local-cluster: error: $*" >&2; exit 1; }

# pid_of NAME PIDFILE: print the pid if PIDFILE names a live process called NAME.
pid_of() {
  local pid
  [[ -r $2 ]] || return 1
  pid=$(tr -dc '0-9' <"$2")
  [[ -n $pid ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$1" ]] || return 1
  echo "$pid"
}

munge_works() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }

node_state() { sinfo -h -o %T 2>/dev/null | head -n 1; }

log_tail() {
  local f
  for f in "$BASE/log/slurmctld.log" "$BASE/log/slurmd.log" /var/log/munge/munged.log; do
    [[ -r $f ]] || continue
    echo "---- tail of $f" >&2
    tail -n 15 "$f" >&2
  done
}

install_packages() {
  local missing=0 b
  for b in slurmctld slurmd munged sinfo; do
    command -v "$b" >/dev/null 2>&1 || [[ -x /usr/sbin/$b ]] || missing=1
  done
  ((missing)) || return 0
  msg "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=600)
  if [[ $(apt-cache policy slurm-wlm munge 2>/dev/null | grep -c 'Candidate: [0-9]') -lt 2 ]]; then
    "${apt[@]}" update -q
  fi
  if ! "${apt[@]}" install -y -q --no-install-recommends slurm-wlm munge; then
    msg "install failed; retrying after apt-get update"
    "${apt[@]}" update -q
    "${apt[@]}" install -y -q --no-install-recommends slurm-wlm munge
  fi
}

start_munge() {
  if [[ ! -s $MUNGE_KEY ]]; then
    msg "creating $MUNGE_KEY"
    install -d -o munge -g munge -m 0700 /etc/munge
    if command -v mungekey >/dev/null 2>&1; then
      mungekey --create --keyfile="$MUNGE_KEY" --force
    else
      dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
    fi
    chown munge:munge "$MUNGE_KEY"
    chmod 0400 "$MUNGE_KEY"
  fi
  if munge_works; then
    msg "munged already running"
    return 0
  fi
  # No systemd here, so nothing creates the runtime directory for us.
  mkdir -p /run/munge
  chown munge:munge /run/munge
  chmod 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  local i
  for ((i = 0; i < 50; i++)); do
    munge_works && return 0
    sleep 0.2
  done
  log_tail
  die "munged did not come up"
}

conf_text() {
  local host topo mem_kib real_mem
  host=$(hostname -s)
  # e.g. "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
  topo=$(slurmd -C | head -n 1 | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
  [[ $topo == *CPUs=* ]] || die "could not read the node topology from 'slurmd -C'"
  mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  real_mem=$((mem_kib / 1024 - 1024))
  cat <<EOF
$MARK
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A requeued job may start again cred_expire+1 s after the requeue (default 120).
AuthInfo=cred_expire=$REQUEUE_DELAY
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Nothing wakes the scheduler when a requeued job's begin time passes: its periodic pass
# (default every 60 s) starts it, so run that pass every 5 s.
SchedulerParameters=sched_interval=5
MpiDefault=pmix
MailProg=/bin/true
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# Finished jobs stay visible to squeue/scontrol for 5 minutes (there is no sacct).
MinJobAge=300
# Batch jobs may be requeued (scontrol requeue, --requeue).
JobRequeue=1
# SIGTERM at the time limit, SIGKILL 10 s later; no grace beyond the limit. slurmctld tests time
# limits and --signal warnings every 30 s (compiled in), so both may come up to 30 s late/early.
KillWait=10
OverTimeLimit=0
# A job whose dependency can never be met is cancelled instead of pending forever (CI would hang).
DependencyParameters=kill_invalid_depend
# Reject at submission a job that can never run here (e.g. --ntasks above the node's CPUs), which
# would otherwise pend forever with reason PartitionConfig.
EnforcePartLimits=ALL
NodeName=$host NodeAddr=127.0.0.1 ${topo}RealMemory=$real_mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

write_conf() {
  if [[ -e $CONF ]] && ! grep -qxF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; move it away first"
  fi
  local text
  text=$(conf_text)
  if [[ -e $CONF ]] && [[ $(cat "$CONF") == "$text" ]]; then
    return 0
  fi
  mkdir -p "$(dirname "$CONF")"
  printf '%s\n' "$text" >"$CONF.tmp.$$"
  chmod 0644 "$CONF.tmp.$$"
  mv -f "$CONF.tmp.$$" "$CONF"
  msg "wrote $CONF"
}

wait_idle() {
  local deadline=$((SECONDS + START_TIMEOUT)) st=""
  while ((SECONDS < deadline)); do
    st=$(node_state || true)
    case $st in
      idle | mixed | allocated) msg "up: node ${st}"; return 0 ;;
    esac
    sleep 0.2
  done
  echo "local-cluster: error: node not idle after ${START_TIMEOUT} s (state: '${st:-no answer}')" >&2
  sinfo -R >&2 2>/dev/null || true
  log_tail
  exit 1
}

cmd_start() {
  [[ $EUID -eq 0 ]] || die "must run as root"
  install_packages
  if munge_works && pid_of slurmctld "$CTLD_PID" >/dev/null && pid_of slurmd "$SLURMD_PID" >/dev/null; then
    msg "already running (node $(node_state || echo '?'))"
    return 0
  fi
  write_conf
  mkdir -p "$BASE/state" "$BASE/spool" "$BASE/log"
  start_munge
  if pid_of slurmctld "$CTLD_PID" >/dev/null; then
    msg "slurmctld already running"
  else
    # -i: ignore unreadable state files (first start, or after a version change)
    slurmctld -i || { log_tail; die "slurmctld failed to start"; }
  fi
  if pid_of slurmd "$SLURMD_PID" >/dev/null; then
    msg "slurmd already running"
  else
    slurmd || { log_tail; die "slurmd failed to start"; }
  fi
  wait_idle
}

# stop_pid NAME PIDFILE: TERM, wait up to 10 s, then KILL. Returns 1 if it was not running.
stop_pid() {
  local pid i
  pid=$(pid_of "$1" "$2") || { rm -f "$2"; return 1; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    msg "$1 ignored SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$2"
  msg "stopped $1 (pid $pid)"
}

cmd_stop() {
  [[ $EUID -eq 0 ]] || die "must run as root"
  local any=0 jobs i pids
  if pid_of slurmctld "$CTLD_PID" >/dev/null; then
    # Stopping the daemons under a running job leaves slurmstepd and srun behind: cancel first.
    jobs=$(squeue -h -o %F 2>/dev/null | sort -u | paste -sd ' ' || true)
    if [[ -n $jobs ]]; then
      msg "cancelling jobs: $jobs"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 75; i++)); do
        [[ -z $(squeue -h -o %i 2>/dev/null || true) ]] && break
        sleep 0.2
      done
    fi
  fi
  stop_pid slurmd "$SLURMD_PID" && any=1
  stop_pid slurmctld "$CTLD_PID" && any=1
  pids=$(pgrep -x slurmstepd || true)
  if [[ -n $pids ]]; then
    msg "killing stray slurmstepd: $pids"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    any=1
  fi
  stop_pid munged "$MUNGE_PID" && any=1
  ((any)) || msg "not running"
  return 0
}

cmd_status() {
  local up=1 name file pid st
  for name in munged slurmctld slurmd; do
    case $name in
      munged) file=$MUNGE_PID ;;
      slurmctld) file=$CTLD_PID ;;
      slurmd) file=$SLURMD_PID ;;
    esac
    if pid=$(pid_of "$name" "$file"); then
      msg "$name running (pid $pid)"
    else
      msg "$name not running"
      up=0
    fi
  done
  if pid_of slurmctld "$CTLD_PID" >/dev/null; then
    sinfo 2>&1 || true
    st=$(node_state || true)
    case $st in idle | mixed | allocated) ;; *) up=0 ;; esac
  fi
  if ((up)); then
    msg "cluster is up"
    return 0
  fi
  msg "cluster is not up"
  return 1
}

cmd_clean() {
  cmd_stop
  if [[ -e $BASE ]]; then
    rm -rf "$BASE"
    msg "removed $BASE"
  fi
  if [[ -e $CONF ]] && grep -qxF "$MARK" "$CONF"; then
    rm -f "$CONF"
    msg "removed $CONF"
  fi
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  *)
    echo "usage: $0 start|stop|status|clean" >&2
    exit 2
    ;;
esac
