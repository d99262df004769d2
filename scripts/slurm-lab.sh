#!/usr/bin/env bash
# slurm-lab.sh — a real Slurm cluster on this machine for nacc's tests and demos.
#
# Debian 12 slurm-wlm (22.05): slurmctld, one slurmd per fake node (typed fake GPUs), slurmrestd
# with JWT on loopback TCP, and optionally slurmdbd for accounting. Everything it starts lives in
# one directory (config, state, logs, PID files, a private munged); it never touches a system
# munge or Slurm. Ports are far from Slurm's defaults (6817-6820) so a developer's own Slurm
# keeps running.
#
#   scripts/slurm-lab.sh install        apt-get the packages that are missing (needs root)
#   scripts/slurm-lab.sh up   [DIR]     write configs in DIR (default .slurm-lab) and start
#   scripts/slurm-lab.sh down [DIR]     stop what `up` started there, by PID file
#   scripts/slurm-lab.sh purge [DIR]    down, then delete DIR (and the lab's accounting database)
#   scripts/slurm-lab.sh ctld-down [DIR]  stop slurmctld only (an outage; `up` starts it again)
#   scripts/slurm-lab.sh status [DIR]
#   scripts/slurm-lab.sh env  [DIR]     print `export ...` lines (SLURM_CONF, the REST URL)
#
# Settings (environment): SLURM_LAB_PORT (base, default 26817: ctld = base, dbd = base+2,
# REST = base+3, slurmd = base+4...), SLURM_LAB_NODES (2), SLURM_LAB_GPUS (8 per node), SLURM_LAB_CPUS (16 per node),
# SLURM_LAB_GPU_TYPE (h100), SLURM_LAB_PARTITION (gpu), SLURM_LAB_DBD (0; 1 = slurmdbd on the
# MariaDB at SLURM_LAB_MYSQL=127.0.0.1:3306, root without password, database slurm_lab_<port>).
set -euo pipefail

CMD=${1:-}
DIR=$(realpath -m "${2:-${SLURM_LAB_DIR:-.slurm-lab}}")
BASE=${SLURM_LAB_PORT:-26817}
NODES=${SLURM_LAB_NODES:-2}
GPUS=${SLURM_LAB_GPUS:-8}
CPUS=${SLURM_LAB_CPUS:-16}
GPU_TYPE=${SLURM_LAB_GPU_TYPE:-h100}
PARTITION=${SLURM_LAB_PARTITION:-gpu}
DBD=${SLURM_LAB_DBD:-0}
MYSQL=${SLURM_LAB_MYSQL:-127.0.0.1:3306}
REST_USER=${SLURM_LAB_REST_USER:-nacc-slurmrest}
CTLD_PORT=$BASE DBD_PORT=$((BASE + 2)) REST_PORT=$((BASE + 3)) SLURMD_PORT=$((BASE + 4))
ETC=$DIR/etc RUN=$DIR/run LOG=$DIR/log
export SLURM_CONF=$ETC/slurm.conf

say() { printf 'slurm-lab: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
running() { # PIDFILE: the process it names runs (a zombie does not count)
  [[ -s $1 ]] || return 1
  local st; st=$(ps -o stat= -p "$(cat "$1" 2>/dev/null)" 2>/dev/null) || return 1
  [[ -n $st && $st != Z* ]]; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
within() { # SECONDS WHAT CMD...: run CMD until it succeeds, or fail naming WHAT and its log
  local until=$((SECONDS + $1)) what=$2; shift 2
  while ! "$@" >/dev/null 2>&1; do
    ((SECONDS < until)) || die "$what did not come up within the time allowed; see $LOG"
    sleep 0.2
  done; }

free_port() { # PIDFILE PORT NAME: PORT is ours (PIDFILE's daemon runs) or nobody's
  running "$1" && return 0
  listening "$2" || return 0
  die "port $2 (for $3) is taken by another program (another Slurm lab?); choose other ports" \
      "with SLURM_LAB_PORT=N (uses N..N+$((4 + NODES)))"; }

PACKAGES=(munge slurmctld slurmd slurm-client slurmrestd slurm-wlm-jwt-plugin)
missing() {
  local p out=() want=("${PACKAGES[@]}")
  [[ $DBD == 1 ]] && want+=(slurmdbd mariadb-client)
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
  done
  echo "${out[@]:-}"; }

cmd_install() {
  local need; need=$(missing)
  [[ -z $need ]] && { say "packages present"; return 0; }
  [[ $(id -u) == 0 ]] || die "missing packages ($need) and not root: apt-get install -y $need"
  command -v apt-get >/dev/null || die "missing packages ($need) and no apt-get on this machine"
  say "installing $need"
  # policy-rc.d on these machines keeps the packaged services from starting; the lab runs its own
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -q --no-install-recommends $need >/dev/null; } \
    || die "apt-get install $need failed"
}

write_config() {
  mkdir -p "$ETC" "$RUN" "$LOG" "$DIR/state" "$DIR/dev" "$DIR/jobs"
  chmod 755 "$DIR" "$ETC" "$RUN" "$LOG"; chmod 1777 "$DIR/jobs"
  local i last=$((SLURMD_PORT + NODES - 1))
  [[ -s $ETC/munge.key ]] || { head -c 1024 /dev/urandom > "$ETC/munge.key"; }
  [[ -s $ETC/jwt.key ]] || { head -c 32 /dev/urandom > "$ETC/jwt.key"; }
  chmod 400 "$ETC/munge.key"; chmod 600 "$ETC/jwt.key"
  # Slurm drops GPUs without a device file, and leaves CUDA_VISIBLE_DEVICES empty for plain
  # files: a character device (NVIDIA's major 195) or a link to /dev/null works.
  for ((i = 0; i < GPUS; i++)); do
    [[ -e $DIR/dev/gpu$i ]] || mknod "$DIR/dev/gpu$i" c 195 "$i" 2>/dev/null \
      || ln -sf /dev/null "$DIR/dev/gpu$i"
  done
  {
    echo "ClusterName=nacclab$BASE"
    echo "SlurmctldHost=localhost"
    echo "SlurmUser=root"
    echo "SlurmdUser=root"
    echo "AuthType=auth/munge"
    echo "CredType=cred/munge"
    echo "AuthInfo=socket=$RUN/munge.sock"
    echo "AuthAltTypes=auth/jwt"
    echo "AuthAltParameters=jwt_key=$ETC/jwt.key"
    echo "SlurmctldPort=$CTLD_PORT"
    echo "StateSaveLocation=$DIR/state"
    echo "SlurmdSpoolDir=$DIR/spool/%n"
    echo "SlurmctldPidFile=$RUN/slurmctld.pid"
    echo "SlurmdPidFile=$RUN/slurmd-%n.pid"
    echo "SlurmctldLogFile=$LOG/slurmctld.log"
    echo "SlurmdLogFile=$LOG/slurmd-%n.log"
    echo "MailProg=/bin/true"
    echo "ProctrackType=proctrack/linuxproc"
    echo "TaskPlugin=task/none"
    echo "MpiDefault=none"
    echo "SchedulerType=sched/backfill"
    # no batching delay (default 3 s), and limits checked every 5 s (default 30 s)
    echo "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0"
    echo "InactiveLimit=0"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_Core_Memory"
    echo "DefMemPerCPU=100"
    echo "GresTypes=gpu"
    echo "SlurmdParameters=config_overrides"
    echo "ReturnToService=2"
    echo "KillWait=2"
    echo "OverTimeLimit=0"
    echo "MinJobAge=3600"
    if [[ $DBD == 1 ]]; then
      echo "AccountingStorageType=accounting_storage/slurmdbd"
      echo "AccountingStorageHost=localhost"
      echo "AccountingStoragePort=$DBD_PORT"
      echo "AccountingStorageTRES=gres/gpu"
      echo "AccountingStoreFlags=job_comment"  # nacc finds its jobs in accounting by comment
      # associations and their limits are enforced (nacc pushes awards as GrpTRESMins);
      # safe: a job starts only if it can run to its time limit within the limit
      echo "AccountingStorageEnforce=associations,limits,safe"
      echo "PriorityType=priority/multifactor"
      echo "AccountingStoragePass=$RUN/munge.sock"
      echo "JobAcctGatherType=jobacct_gather/linux"
    else
      echo "AccountingStorageType=accounting_storage/none"
      echo "JobAcctGatherType=jobacct_gather/none"
    fi
    echo "NodeName=n[1-$NODES] NodeHostname=localhost NodeAddr=127.0.0.1" \
         "Port=[$SLURMD_PORT-$last] CPUs=$CPUS RealMemory=$((CPUS * 4000)) Gres=gpu:$GPU_TYPE:$GPUS State=UNKNOWN"
    echo "PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
  } > "$ETC/slurm.conf.new"
  mv "$ETC/slurm.conf.new" "$ETC/slurm.conf"
  printf 'AutoDetect=off\nNodeName=n[1-%s] Name=gpu Type=%s File=%s/dev/gpu[0-%s]\n' \
    "$NODES" "$GPU_TYPE" "$DIR" "$((GPUS - 1))" > "$ETC/gres.conf"
  if [[ $DBD == 1 ]]; then
    local host=${MYSQL%:*} port=${MYSQL##*:}
    umask 077
    printf '%s\n' "AuthType=auth/munge" "AuthInfo=socket=$RUN/munge.sock" \
      "AuthAltTypes=auth/jwt" "AuthAltParameters=jwt_key=$ETC/jwt.key" \
      "DbdHost=localhost" "DbdPort=$DBD_PORT" "SlurmUser=root" \
      "LogFile=$LOG/slurmdbd.log" "PidFile=$RUN/slurmdbd.pid" \
      "StorageType=accounting_storage/mysql" "StorageHost=$host" "StoragePort=$port" \
      "StorageLoc=slurm_lab_$BASE" "StorageUser=root" > "$ETC/slurmdbd.conf"
    umask 022
  fi
  {
    echo "export SLURM_CONF=$ETC/slurm.conf"
    echo "export NACC_SLURM_URL=slurm://127.0.0.1:$REST_PORT"
  } > "$DIR/env.sh"
}

cmd_up() {
  local t0=$SECONDS n
  [[ -z $(missing) ]] || die "packages missing: $(missing) (run: $0 install)"
  write_config
  free_port "$RUN/slurmctld.pid" "$CTLD_PORT" slurmctld
  free_port "$RUN/slurmrestd.pid" "$REST_PORT" slurmrestd
  for ((n = 1; n <= NODES; n++)); do free_port "$RUN/slurmd-n$n.pid" $((SLURMD_PORT + n - 1)) slurmd; done
  [[ $DBD == 1 ]] && free_port "$RUN/slurmdbd.pid" "$DBD_PORT" slurmdbd
  if ! running "$RUN/munged.pid"; then
    munged --socket="$RUN/munge.sock" --key-file="$ETC/munge.key" --pid-file="$RUN/munged.pid" \
      --log-file="$LOG/munged.log" --seed-file="$RUN/munged.seed" --force
  fi
  within 10 munged bash -c "munge -S '$RUN/munge.sock' -n | unmunge -S '$RUN/munge.sock'"
  if [[ $DBD == 1 ]]; then
    mariadb --no-defaults -h"${MYSQL%:*}" -P"${MYSQL##*:}" -uroot \
      -e "CREATE DATABASE IF NOT EXISTS slurm_lab_$BASE" || die "MariaDB at $MYSQL: cannot create the database"
    running "$RUN/slurmdbd.pid" || slurmdbd  # reads slurmdbd.conf beside $SLURM_CONF
    within 30 slurmdbd listening "$DBD_PORT"
  fi
  running "$RUN/slurmctld.pid" || slurmctld
  within 30 slurmctld scontrol ping
  for ((n = 1; n <= NODES; n++)); do
    mkdir -p "$DIR/spool/n$n"
    running "$RUN/slurmd-n$n.pid" || slurmd -N "n$n"
  done
  within 60 "$NODES idle nodes" bash -c "[[ \$(sinfo -h -t idle,mix,alloc -o '%D') == $NODES ]]"
  if [[ $DBD == 1 ]]; then  # associations are enforced: root (sbatch, slurmrestd) needs one
    sacctmgr -i -Q add account lab Description=slurm-lab >/dev/null 2>&1 || true
    sacctmgr -i -Q add user root DefaultAccount=lab >/dev/null 2>&1 || true
    within 20 "root's association" bash -c "sacctmgr -n -P show assoc user=root account=lab | grep -q lab"
  fi
  id "$REST_USER" >/dev/null 2>&1 \
    || useradd --system --no-create-home --shell /usr/sbin/nologin "$REST_USER"
  if ! running "$RUN/slurmrestd.pid"; then
    local plugins=openapi/v0.0.38; [[ $DBD == 1 ]] && plugins+=,openapi/dbv0.0.38
    # SLURM_JWT=daemon: slurmrestd authenticates callers by their JWT (else it rejects tokens)
    SLURM_JWT=daemon setsid slurmrestd -u "$REST_USER" -a rest_auth/jwt -s "$plugins" \
      "127.0.0.1:$REST_PORT" > "$LOG/slurmrestd.log" 2>&1 < /dev/null &
    echo $! > "$RUN/slurmrestd.pid"
  fi
  within 20 slurmrestd listening "$REST_PORT"
  say "up in $((SECONDS - t0)) s: $NODES nodes x gpu:$GPU_TYPE:$GPUS, partition $PARTITION," \
      "REST slurm://127.0.0.1:$REST_PORT, SLURM_CONF=$SLURM_CONF"
}

stop() { # PIDFILE NAME
  running "$1" || { rm -f "$1"; return 0; }
  local pid; pid=$(cat "$1" 2>/dev/null) || return 0; kill "$pid" 2>/dev/null || true
  local until=$((SECONDS + 15))
  while running "$1" && ((SECONDS < until)); do sleep 0.1; done
  running "$1" && kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"; say "stopped $2 ($pid)"; }

reap_jobs() { # the lab's job steps outlive slurmd: kill every process whose SLURM_CONF is ours
  local p n=0
  for p in /proc/[0-9]*; do
    [[ $p == /proc/$$ ]] && continue
    { tr '\0' '\n' < "$p/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF" || continue
    kill -9 "${p#/proc/}" 2>/dev/null && n=$((n + 1))
  done
  ((n == 0)) || say "killed $n job process(es) left by the lab"; }

cmd_down() {
  [[ -d $RUN ]] || { say "nothing runs in $DIR"; return 0; }
  local f
  running "$RUN/slurmctld.pid" && scancel --full --user=root >/dev/null 2>&1 || true
  stop "$RUN/slurmrestd.pid" slurmrestd
  for f in "$RUN"/slurmd-*.pid; do [[ -e $f ]] && stop "$f" "$(basename "$f" .pid)"; done
  stop "$RUN/slurmctld.pid" slurmctld
  stop "$RUN/slurmdbd.pid" slurmdbd
  stop "$RUN/munged.pid" munged
  reap_jobs
  return 0
}

cmd_purge() {
  cmd_down
  if [[ -f $ETC/slurmdbd.conf ]]; then
    mariadb --no-defaults -h"${MYSQL%:*}" -P"${MYSQL##*:}" -uroot \
      -e "DROP DATABASE IF EXISTS slurm_lab_$BASE" || say "could not drop slurm_lab_$BASE at $MYSQL"
  fi
  rm -rf "$DIR"; say "removed $DIR"
}

cmd_status() {
  local f
  for f in "$RUN"/*.pid; do
    [[ -e $f ]] || continue
    if running "$f"; then echo "up   $(basename "$f" .pid) $(cat "$f")"; else echo "down $(basename "$f" .pid)"; fi
  done
  sinfo -N -o '%N %T %G' 2>&1 || true
}

case $CMD in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  ctld-down) stop "$RUN/slurmctld.pid" slurmctld ;;
  purge) cmd_purge ;;
  status) cmd_status ;;
  env) cat "$DIR/env.sh" ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
