#!/usr/bin/env bash
# local-slurm.sh — bring up / tear down a private single-node Slurm cluster
# (munged + slurmctld + slurmd from the Debian packages) whose config, state,
# spool, logs, pid files and munge key all live under one directory.
#
#   tools/slurm/local-slurm.sh start  [--dir DIR]
#   tools/slurm/local-slurm.sh stop   [--dir DIR] [--purge]
#   tools/slurm/local-slurm.sh status [--dir DIR]
#   tools/slurm/local-slurm.sh env    [--dir DIR]   # print the export line(s)
#
# DIR defaults to $IMAGECORE_SLURM_DIR or /tmp/imagecore-slurm.
# Clients find the cluster through SLURM_CONF: `start` prints the export line
# and writes it to DIR/env (so: `. DIR/env`).
#
# Tunables (environment):
#   IMAGECORE_SLURM_CTLD_PORT   slurmctld port          (default 16817)
#   IMAGECORE_SLURM_SLURMD_PORT slurmd port             (default 16818)
#   IMAGECORE_SLURM_MEM_MARGIN_MB  MB of MemTotal kept back from RealMemory
#                               (default 1024, or 1/4 of MemTotal if < 4 GiB)
#   IMAGECORE_SLURM_TIMEOUT     seconds to wait for each daemon (default 20)
#
# Needs root (slurmd must be able to start jobs; munged/slurm run as root).
set -euo pipefail

usage() {
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

die() { echo "local-slurm: ERROR: $*" >&2; exit 1; }
say() { echo "local-slurm: $*"; }

CMD="${1:-}"; [ -n "$CMD" ] || usage; shift
DIR="${IMAGECORE_SLURM_DIR:-/tmp/imagecore-slurm}"
PURGE=0
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) [ $# -ge 2 ] || die "--dir needs a value"; DIR="$2"; shift 2 ;;
        --dir=*) DIR="${1#--dir=}"; shift ;;
        --purge) PURGE=1; shift ;;
        -h|--help) usage ;;
        *) die "unknown argument: $1" ;;
    esac
done
case "$DIR" in /*) ;; *) DIR="$(pwd)/$DIR" ;; esac
DIR="${DIR%/}"

CTLD_PORT="${IMAGECORE_SLURM_CTLD_PORT:-16817}"
SLURMD_PORT="${IMAGECORE_SLURM_SLURMD_PORT:-16818}"
TIMEOUT="${IMAGECORE_SLURM_TIMEOUT:-20}"

CONF="$DIR/etc/slurm.conf"
ENVFILE="$DIR/env"
MUNGE_DIR="$DIR/munge"
MUNGE_SOCK="$MUNGE_DIR/munged.socket"
MUNGE_KEY="$MUNGE_DIR/munge.key"
MUNGE_PID="$DIR/run/munged.pid"
MUNGE_LOG="$DIR/log/munged.log"
MUNGE_SEED="$MUNGE_DIR/munged.seed"
CTLD_PID="$DIR/run/slurmctld.pid"
CTLD_LOG="$DIR/log/slurmctld.log"
SLURMD_PID="$DIR/run/slurmd.pid"
SLURMD_LOG="$DIR/log/slurmd.log"
JOBCOMP_LOG="$DIR/log/jobcomp.txt"
NODE="$(hostname -s)"

# ---------------------------------------------------------------- helpers --

# pid_of NAME PIDFILE -> prints pid if the pid file names a live process whose
# executable is NAME and whose command line references DIR (i.e. one that this
# script started for this DIR); returns 1 otherwise.
pid_of() {
    local name="$1" pidfile="$2" pid comm cmdline
    [ -s "$pidfile" ] || return 1
    pid="$(tr -dc '0-9' <"$pidfile")"
    [ -n "$pid" ] || return 1
    [ -r "/proc/$pid/comm" ] || return 1
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    [ "$comm" = "$name" ] || return 1
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    case "$cmdline" in *"$DIR/"*) ;; *) return 1 ;; esac
    echo "$pid"
}

log_tail() {
    local f="$1"
    echo "----- last 30 lines of $f -----" >&2
    if [ -f "$f" ]; then tail -n 30 "$f" >&2; else echo "(no log file)" >&2; fi
    echo "-------------------------------" >&2
}

# port_busy PORT: true if something listens on / holds PORT.  (ss/netstat are
# not reliable in sandboxes such as gVisor, so probe directly.)
port_busy() {
    if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; then return 0; fi
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$1" <<'PY' 2>/dev/null && return 1 || return 0
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
PY
    fi
    return 1
}

export_line() { echo "export SLURM_CONF=$CONF"; }

write_env() {
    {
        echo "# source this file to talk to the local Slurm cluster in $DIR"
        export_line
    } >"$ENVFILE"
}

# ------------------------------------------------------------ generation --

gen_conf() {
    local ncpu memkb memmb margin realmem defmem topo=""
    ncpu="$(nproc)"
    memkb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
    memmb=$(( memkb / 1024 ))
    if [ -n "${IMAGECORE_SLURM_MEM_MARGIN_MB:-}" ]; then
        margin="$IMAGECORE_SLURM_MEM_MARGIN_MB"
    elif [ "$memmb" -lt 4096 ]; then
        margin=$(( memmb / 4 ))
    else
        margin=1024
    fi
    realmem=$(( memmb - margin ))
    [ "$realmem" -gt 0 ] || die "computed RealMemory <= 0 (MemTotal ${memmb} MB, margin ${margin} MB)"
    defmem=$(( realmem / ncpu ))

    # Use slurmd's own view of the socket/core/thread layout when it agrees
    # with nproc, so task/affinity's core binding matches the hardware.
    local c sockets cores threads boards
    c="$(slurmd -C 2>/dev/null | head -n1 || true)"
    if [ -n "$c" ]; then
        local ccpus
        ccpus="$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$c")"
        boards="$(sed -n 's/.* Boards=\([0-9]*\).*/\1/p' <<<"$c")"
        sockets="$(sed -n 's/.* SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$c")"
        cores="$(sed -n 's/.* CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$c")"
        threads="$(sed -n 's/.* ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$c")"
        if [ "$ccpus" = "$ncpu" ] && [ -n "$sockets" ] && [ -n "$cores" ] && [ -n "$threads" ] \
            && [ $(( ${boards:-1} * sockets * cores * threads )) -eq "$ncpu" ]; then
            topo=" Boards=${boards:-1} SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads"
        fi
    fi

    mkdir -p "$DIR/etc"
    cat >"$CONF" <<EOF
# Generated by tools/slurm/local-slurm.sh on $(date -Is) — do not edit,
# it is rewritten on every cold start.
ClusterName=imagecore-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root

# munge with a private key and socket (see $MUNGE_DIR)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCK

# everything under $DIR
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd-%n
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$CTLD_LOG
SlurmdLogFile=$SLURMD_LOG
SlurmctldDebug=info
SlurmdDebug=info

ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$defmem
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
SchedulerType=sched/backfill
ReturnToService=2

# No slurmdbd: no accounting database.  Per-job completion records go to a
# text file that 'sacct -c' (or 'sacct --completion') can read.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
JobCompType=jobcomp/filetxt
JobCompLoc=$JOBCOMP_LOG
# keep finished jobs (and array tasks) visible to squeue/scontrol for 1 h
MinJobAge=3600
MaxArraySize=100001
MaxJobCount=200000

# one node, one partition
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$ncpu$topo RealMemory=$realmem State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

gen_munge_key() {
    mkdir -p "$MUNGE_DIR"
    chmod 0755 "$MUNGE_DIR"   # munged requires the socket dir to be o+x
    if [ ! -s "$MUNGE_KEY" ]; then
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile="$MUNGE_KEY" >/dev/null
        else
            dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
        fi
    fi
    chmod 0400 "$MUNGE_KEY"
}

# ---------------------------------------------------------------- waiting --

# wait_for DESCRIPTION LOGFILE NAME PIDFILE CMD... : run CMD until it succeeds
# or TIMEOUT; give up early if the daemon NAME (per PIDFILE) has died.
wait_for() {
    local what="$1" log="$2" name="$3" pidfile="$4"; shift 4
    local deadline=$(( SECONDS + TIMEOUT )) pid=""
    while :; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        [ -n "$pid" ] || pid="$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)"
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            echo "local-slurm: ERROR: $name (pid $pid) exited during start-up" >&2
            log_tail "$log"
            return 1
        fi
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep 0.5
    done
    echo "local-slurm: ERROR: $what did not come up within ${TIMEOUT}s" >&2
    log_tail "$log"
    return 1
}

munge_ok() {
    [ -S "$MUNGE_SOCK" ] && munge -n -S "$MUNGE_SOCK" | unmunge -S "$MUNGE_SOCK" >/dev/null
}
ctld_ok() {
    SLURM_CONF="$CONF" scontrol ping 2>/dev/null | grep -q 'is UP'
}
node_idle() {
    local st
    st="$(SLURM_CONF="$CONF" sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n1)"
    # idle, or mixed/allocated if jobs survived a restart; never down/drain/unknown
    case "$st" in idle|mixed|allocated|completing) return 0 ;; *) return 1 ;; esac
}

STARTED=()   # "name:pidfile" entries started by this invocation

abort_start() {
    say "stopping the daemons this start launched"
    local i e
    for (( i=${#STARTED[@]}-1; i>=0; i-- )); do e="${STARTED[$i]}"; stop_one "${e%%:*}" "${e#*:}" || true; done
    exit 1
}

# ---------------------------------------------------------------- actions --

do_start() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd launches jobs, munged/slurm run as root)"
    local b
    for b in munged munge unmunge slurmctld slurmd scontrol sinfo; do
        command -v "$b" >/dev/null 2>&1 || die "$b not found: apt-get install -y slurm-wlm munge"
    done

    local mpid cpid dpid
    mpid="$(pid_of munged "$MUNGE_PID" || true)"
    cpid="$(pid_of slurmctld "$CTLD_PID" || true)"
    dpid="$(pid_of slurmd "$SLURMD_PID" || true)"
    if [ -n "$mpid" ] && [ -n "$cpid" ] && [ -n "$dpid" ]; then
        say "already running in $DIR (munged $mpid, slurmctld $cpid, slurmd $dpid)"
        write_env
        export_line
        return 0
    fi

    mkdir -p "$DIR" "$DIR/etc" "$DIR/run" "$DIR/log" "$DIR/state" "$DIR/spool/slurmd-$NODE"
    chmod 0755 "$DIR"
    if [ -z "$mpid" ] && [ -z "$cpid" ] && [ -z "$dpid" ]; then
        # cold start: (re)generate config; keep an existing munge key
        for b in "$CTLD_PORT" "$SLURMD_PORT"; do
            port_busy "$b" && die "port $b is already in use (set IMAGECORE_SLURM_CTLD_PORT / IMAGECORE_SLURM_SLURMD_PORT)"
        done
        gen_conf
    else
        say "partially running (munged='${mpid}' slurmctld='${cpid}' slurmd='${dpid}'); starting the rest"
        [ -f "$CONF" ] || die "no $CONF although some daemons run; run '$0 stop --dir $DIR' first"
    fi
    gen_munge_key
    write_env

    local t0=$SECONDS
    if [ -z "$mpid" ]; then
        rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
        munged --socket="$MUNGE_SOCK" --key-file="$MUNGE_KEY" --pid-file="$MUNGE_PID" \
               --log-file="$MUNGE_LOG" --seed-file="$MUNGE_SEED" \
            || { log_tail "$MUNGE_LOG"; die "munged failed to start"; }
        STARTED+=("munged:$MUNGE_PID")
        wait_for munged "$MUNGE_LOG" munged "$MUNGE_PID" munge_ok || abort_start
        say "munged up (pid $(cat "$MUNGE_PID"))"
    fi
    if [ -z "$cpid" ]; then
        slurmctld -f "$CONF" >>"$DIR/log/slurmctld.stdout" 2>&1 \
            || { log_tail "$CTLD_LOG"; log_tail "$DIR/log/slurmctld.stdout"; abort_start; }
        STARTED+=("slurmctld:$CTLD_PID")
        wait_for slurmctld "$CTLD_LOG" slurmctld "$CTLD_PID" ctld_ok || abort_start
        say "slurmctld up (pid $(cat "$CTLD_PID"), port $CTLD_PORT)"
    fi
    if [ -z "$dpid" ]; then
        slurmd -f "$CONF" >>"$DIR/log/slurmd.stdout" 2>&1 \
            || { log_tail "$SLURMD_LOG"; log_tail "$DIR/log/slurmd.stdout"; abort_start; }
        STARTED+=("slurmd:$SLURMD_PID")
        wait_for "slurmd (node $NODE idle in sinfo)" "$SLURMD_LOG" slurmd "$SLURMD_PID" node_idle || {
            SLURM_CONF="$CONF" sinfo -N -l >&2 || true
            log_tail "$CTLD_LOG"
            abort_start
        }
        say "slurmd up (pid $(cat "$SLURMD_PID"), port $SLURMD_PORT), node $NODE idle"
    fi
    say "cluster ready in $((SECONDS - t0))s; env file: $ENVFILE"
    export_line
}

# stop_one NAME PIDFILE: SIGTERM the daemon named by PIDFILE (only if it is ours)
# and wait up to 20 s for it to exit, then SIGKILL.
stop_one() {
    local name="$1" pidfile="$2" pid i
    pid="$(pid_of "$name" "$pidfile" || true)"
    if [ -z "$pid" ]; then
        [ -e "$pidfile" ] && rm -f "$pidfile"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 40); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "local-slurm: WARNING: $name (pid $pid) ignored SIGTERM for 20s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$pidfile"
    say "stopped $name (pid $pid)"
}

# descendants PID -> all (transitive) child pids, one per line
descendants() {
    local kids k
    kids="$(pgrep -P "$1" 2>/dev/null || true)"
    for k in $kids; do echo "$k"; descendants "$k"; done
}

do_stop() {
    # slurmd first (its running jobs' slurmstepds keep going until killed by
    # their own step end; with no controller they'd be orphaned, so cancel
    # everything while slurmctld is still up).
    if pid_of slurmctld "$CTLD_PID" >/dev/null && [ -f "$CONF" ]; then
        local n
        n="$(SLURM_CONF="$CONF" squeue -h -t PENDING,RUNNING,SUSPENDED,CONFIGURING,COMPLETING -o '%i' 2>/dev/null | wc -l || true)"
        if [ "${n:-0}" -gt 0 ]; then
            say "cancelling $n queued/running job(s)"
            # shellcheck disable=SC2046
            SLURM_CONF="$CONF" scancel $(SLURM_CONF="$CONF" squeue -h -o '%F' 2>/dev/null | sort -u) 2>/dev/null || true
            local i
            for i in $(seq 1 20); do
                n="$(SLURM_CONF="$CONF" squeue -h -t PENDING,RUNNING,SUSPENDED,CONFIGURING,COMPLETING -o '%i' 2>/dev/null | wc -l || true)"
                [ "${n:-0}" -eq 0 ] && break
                sleep 0.5
            done
        fi
    fi
    stop_one slurmd "$SLURMD_PID"
    stop_one slurmctld "$CTLD_PID"
    stop_one munged "$MUNGE_PID"
    # leftover slurmstepd processes of this cluster (normally none: jobs were
    # cancelled above).  Ours have slurmd.log of DIR open (and cwd DIR/log).
    local p kids fd ours
    for p in $(pgrep -x slurmstepd 2>/dev/null || true); do
        ours=0
        for fd in "/proc/$p/fd/"*; do
            [ "$(readlink "$fd" 2>/dev/null)" = "$SLURMD_LOG" ] && { ours=1; break; }
        done
        if [ "$ours" -eq 1 ]; then
            kids="$(descendants "$p")"
            # shellcheck disable=SC2086
            kill -KILL "$p" $kids 2>/dev/null || true
            say "killed leftover slurmstepd $p${kids:+ and its job processes$(echo " $kids" | tr '\n' ' ')}"
        fi
    done
    rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
    if [ "$PURGE" -eq 1 ]; then
        case "$DIR" in
            /|/tmp|/root|/home|/work|"") die "refusing to purge '$DIR'" ;;
        esac
        rm -rf -- "$DIR"
        say "removed $DIR"
    fi
    say "stopped"
}

do_status() {
    local rc=0 name pidfile pid
    echo "dir: $DIR"
    for e in "munged:$MUNGE_PID" "slurmctld:$CTLD_PID" "slurmd:$SLURMD_PID"; do
        name="${e%%:*}"; pidfile="${e#*:}"
        if pid="$(pid_of "$name" "$pidfile")"; then
            printf '%-10s running (pid %s)\n' "$name" "$pid"
        else
            printf '%-10s not running\n' "$name"; rc=3
        fi
    done
    if [ -f "$CONF" ] && pid_of slurmctld "$CTLD_PID" >/dev/null; then
        SLURM_CONF="$CONF" scontrol ping 2>&1 | sed 's/^/  /' || true
        SLURM_CONF="$CONF" sinfo -N -o '  %N %T cpus=%c mem=%m partition=%P' 2>&1 || true
        echo "  jobs: $(SLURM_CONF="$CONF" squeue -h -r -t PENDING,RUNNING -o %i 2>/dev/null | wc -l) pending/running (array tasks counted singly)"
    fi
    [ -f "$CONF" ] && export_line
    return $rc
}

case "$CMD" in
    start)  do_start ;;
    stop)   do_stop ;;
    status) do_status ;;
    env)    [ -f "$CONF" ] || die "no config in $DIR (not started?)"; export_line ;;
    *) usage ;;
esac
