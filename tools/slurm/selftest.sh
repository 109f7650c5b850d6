#!/usr/bin/env bash
# selftest.sh — prove the local Slurm cluster (tools/slurm/local-slurm.sh)
# does what the ImageCore Slurm backend will need:
#   1. job arrays run, one CPU per task, bound by task/affinity (batch step
#      and an `srun --cpu-bind=cores` step), outputs per task
#   2. --dependency=afterok: between arrays, and aftercorr: (task i of B waits
#      for task i of A; a failed task leaves its partner DependencyNeverSatisfied)
#   3. scancel JOBID_INDEX of one running and one pending array task, then
#      resubmitting just those indexes
#   4. per-array-task state: squeue -r -t all / scontrol while slurmctld
#      remembers the job (MinJobAge), jobcomp/filetxt (sacct -c) afterwards;
#      plain sacct fails without slurmdbd
#
#   tools/slurm/selftest.sh [--dir DIR] [--keep-running]
#
# If the cluster is not running it is started, and stopped again at the end
# (the directory is removed too if this script created it and all passed).
# Exits non-zero on the first failed check; always cancels its own jobs.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LS="$HERE/local-slurm.sh"
DIR="${IMAGECORE_SLURM_DIR:-/tmp/imagecore-slurm}"
KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) DIR="$2"; shift 2 ;;
        --dir=*) DIR="${1#--dir=}"; shift ;;
        --keep-running) KEEP=1; shift ;;
        *) echo "usage: $0 [--dir DIR] [--keep-running]" >&2; exit 2 ;;
    esac
done
case "$DIR" in /*) ;; *) DIR="$(pwd)/$DIR" ;; esac
DIR="${DIR%/}"

T0=$SECONDS
JOBS=()
STARTED=0
CREATED=0
PASSED=0
WORK=""

log()  { printf '[selftest %3ds] %s\n' "$((SECONDS - T0))" "$*"; }
fail() { printf '[selftest %3ds] FAIL: %s\n' "$((SECONDS - T0))" "$*" >&2; exit 1; }
ok()   { log "ok: $*"; }

cleanup() {
    local rc=$?
    if [ "${#JOBS[@]}" -gt 0 ] && [ -n "${SLURM_CONF:-}" ]; then
        scancel "${JOBS[@]}" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ] && [ -n "$WORK" ]; then
        echo "selftest: failed; work dir kept: $WORK; logs: $DIR/log" >&2
        [ -f "$DIR/log/slurmctld.log" ] && { echo "--- slurmctld.log tail ---" >&2; tail -n 15 "$DIR/log/slurmctld.log" >&2; }
    fi
    if [ "$STARTED" -eq 1 ] && [ "$KEEP" -eq 0 ]; then
        if [ "$rc" -eq 0 ] && [ "$CREATED" -eq 1 ]; then
            "$LS" stop --dir "$DIR" --purge
        else
            "$LS" stop --dir "$DIR"
        fi
    elif [ "$rc" -eq 0 ] && [ -n "$WORK" ]; then
        rm -rf -- "$WORK"
    fi
    if [ "$rc" -eq 0 ] && [ "$PASSED" -eq 1 ]; then
        log "ALL PASSED"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ cluster up --
[ -d "$DIR" ] || CREATED=1
if ! "$LS" status --dir "$DIR" >/dev/null 2>&1; then
    log "cluster not running in $DIR; starting it"
    STARTED=1
    "$LS" start --dir "$DIR" || fail "local-slurm.sh start failed"
else
    log "using running cluster in $DIR"
fi
# shellcheck disable=SC1091
. "$DIR/env"
export SLURM_CONF
NCPU="$(sinfo -h -o '%c' | head -n1)"
log "SLURM_CONF=$SLURM_CONF, node CPUs=$NCPU"
WORK="$(mktemp -d "$DIR/selftest.XXXXXX")"
JOBCOMP="$(scontrol show config | awk -F' = ' '/^JobCompLoc/ {print $2}')"

# ---------------------------------------------------------------- helpers --

submit() {  # submit SBATCH_ARGS... -> prints job id, records it for cleanup
    local out id
    out="$(sbatch --parsable "$@" 2>&1)" || fail "sbatch $* : $out"
    id="${out%%;*}"
    [[ "$id" =~ ^[0-9]+$ ]] || fail "sbatch $* printed '$out'"
    JOBS+=("$id")
    echo "$id"
}

# per-array-task state as "INDEX STATE REASON START END", one line per task,
# sorted by index.  -r expands arrays (one line per task, even pending ones),
# -t all includes finished tasks (kept for MinJobAge seconds).
task_table() {
    squeue -h -r -t all -j "$1" -o '%K %T %r %S %e' 2>/dev/null | sort -n
}
task_state() {  # task_state JOBID INDEX
    task_table "$1" | awk -v i="$2" '$1 == i {print $2}'
}

# wait until no task of JOBID is in a non-final state (or only tasks that are
# PENDING with DependencyNeverSatisfied remain)
wait_final() {
    local id="$1" limit="${2:-90}" deadline=$(( SECONDS + ${2:-90} )) live
    while :; do
        live="$(task_table "$id" | awk '$2 ~ /^(PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|SIGNALING|STAGE_OUT)$/ && $3 != "DependencyNeverSatisfied"' | wc -l)"
        [ "$live" -eq 0 ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || { task_table "$id" >&2; fail "job $id not finished after ${limit}s"; }
        sleep 0.5
    done
}

wait_task_state() {  # wait_task_state JOBID INDEX STATE [timeout]
    local deadline=$(( SECONDS + ${4:-30} ))
    while [ "$(task_state "$1" "$2")" != "$3" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { task_table "$1" >&2; fail "task $1_$2 never reached $3"; }
        sleep 0.3
    done
}

expect_states() {  # expect_states JOBID "0:COMPLETED 1:COMPLETED ..."
    local id="$1" pair got
    for pair in $2; do
        got="$(task_state "$id" "${pair%%:*}")"
        [ "$got" = "${pair#*:}" ] || { task_table "$id" >&2; fail "task ${id}_${pair%%:*}: state '$got', expected '${pair#*:}'"; }
    done
}

# jobcomp/filetxt line for array task JOBID_INDEX -> its JobState
jobcomp_state() {
    [ -f "$JOBCOMP" ] || return 0
    grep -E "(^| )ArrayJobId=$1 ArrayTaskId=$2( |$)" "$JOBCOMP" | tail -n1 \
        | sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p'
}
expect_jobcomp() {  # expect_jobcomp JOBID "0:COMPLETED ..." (the record may lag a little)
    local id="$1" pair got deadline
    for pair in $2; do
        deadline=$(( SECONDS + 10 ))
        while got="$(jobcomp_state "$id" "${pair%%:*}")"; [ "$got" != "${pair#*:}" ]; do
            [ "$SECONDS" -lt "$deadline" ] || fail "jobcomp record for ${id}_${pair%%:*}: '$got', expected '${pair#*:}'"
            sleep 0.5
        done
    done
}

cpu_count() {  # number of CPUs in a list like 0-1,3
    local n=0 part
    IFS=, read -ra parts <<<"$1"
    for part in "${parts[@]}"; do
        if [[ "$part" == *-* ]]; then n=$(( n + ${part#*-} - ${part%-*} + 1 )); else n=$(( n + 1 )); fi
    done
    echo "$n"
}

# ------------------------------------------------------------ job scripts --
cat >"$WORK/affinity.sh" <<'EOF'
#!/bin/bash
echo "TASK=$SLURM_ARRAY_TASK_ID ARRAY_JOB=$SLURM_ARRAY_JOB_ID JOB=$SLURM_JOB_ID"
echo "BATCH_CPUS=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status)"
echo "TASKSET=$(taskset -p $$)"
echo "STEP_CPUS=$(srun --cpu-bind=cores awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status)"
sleep "${SLEEP:-2}"
echo DONE
EOF
cat >"$WORK/work.sh" <<'EOF'
#!/bin/bash
echo "TASK=$SLURM_ARRAY_TASK_ID JOB=$SLURM_ARRAY_JOB_ID START=$(date +%s.%N)"
sleep "${SLEEP:-1}"
if [ "${FAIL_INDEX:-none}" = "$SLURM_ARRAY_TASK_ID" ]; then echo "failing on purpose"; exit 3; fi
echo "DONE END=$(date +%s.%N)"
EOF
chmod +x "$WORK"/*.sh

# ===================================================== 1. array + affinity --
log "1. array 0-3, --cpus-per-task=1, srun --cpu-bind=cores inside"
if out="$(sbatch --parsable --cpu-bind=cores --wrap=true 2>/dev/null)"; then
    JOBS+=("${out%%;*}")
    log "note: this sbatch accepts --cpu-bind"
else
    log "note: sbatch $(sbatch --version | awk '{print $2}') rejects --cpu-bind (srun-only); the batch step is bound by task/affinity anyway"
fi
A1="$(submit --array=0-3 --cpus-per-task=1 --job-name=st-affinity -o "$WORK/aff_%A_%a.out" --export=ALL,SLEEP=2 "$WORK/affinity.sh")"
sleep 1
snap="$(task_table "$A1")"
log "squeue -r -t all -j $A1 while running:"; while IFS= read -r l; do echo "    $l"; done <<<"$snap"
[ "$(wc -l <<<"$snap")" -eq 4 ] || fail "expected 4 task lines for $A1"
running="$(awk '$2 == "RUNNING"' <<<"$snap" | wc -l)"
[ "$running" -le "$NCPU" ] || fail "$running tasks running on $NCPU CPUs"
wait_final "$A1" 60
expect_states "$A1" "0:COMPLETED 1:COMPLETED 2:COMPLETED 3:COMPLETED"
for i in 0 1 2 3; do
    f="$WORK/aff_${A1}_${i}.out"
    [ -f "$f" ] || fail "missing output $f"
    grep -qx "TASK=$i ARRAY_JOB=$A1 JOB=[0-9]*" "$f" || fail "$f: wrong task id: $(head -n1 "$f")"
    grep -qx DONE "$f" || fail "$f: no DONE"
    b="$(sed -n 's/^BATCH_CPUS=//p' "$f")"; s="$(sed -n 's/^STEP_CPUS=//p' "$f")"
    [ "$(cpu_count "$b")" -eq 1 ] || fail "task $i batch step bound to '$b', expected one CPU"
    [ "$(cpu_count "$s")" -eq 1 ] || fail "task $i srun step bound to '$s', expected one CPU"
    [ "$b" -lt "$NCPU" ] || fail "task $i bound to CPU $b outside 0..$((NCPU-1))"
    log "   task $i: batch CPUs=$b, srun --cpu-bind=cores CPUs=$s, $(sed -n 's/^TASKSET=//p' "$f")"
done
if [ "$NCPU" -ge 2 ]; then
    # the first two tasks ran concurrently (2 CPUs free): they must differ
    b0="$(sed -n 's/^BATCH_CPUS=//p' "$WORK/aff_${A1}_0.out")"; b1="$(sed -n 's/^BATCH_CPUS=//p' "$WORK/aff_${A1}_1.out")"
    [ "$b0" != "$b1" ] || fail "concurrent tasks 0 and 1 both bound to CPU $b0"
fi
ok "4 tasks completed, each bound to a single CPU"
expect_jobcomp "$A1" "0:COMPLETED 1:COMPLETED 2:COMPLETED 3:COMPLETED"
ok "jobcomp/filetxt has a COMPLETED record per array task (ArrayJobId/ArrayTaskId)"
if sacct -j "$A1" >/dev/null 2>&1; then
    log "note: plain sacct -j works here"
else
    log "note: plain 'sacct -j $A1' fails: $(sacct -j "$A1" 2>&1 | head -n1)"
fi
sacct -c -o jobid,jobname,state,end >/dev/null 2>&1 || fail "sacct -c (jobcomp/filetxt) failed"
ok "sacct -c reads the jobcomp file"

# ======================================================== 2. dependencies --
log "2. afterok / aftercorr between arrays"
DA="$(submit --array=0-3 --cpus-per-task=1 --job-name=st-depA -o "$WORK/A_%a.out" --export=ALL,SLEEP=1 "$WORK/work.sh")"
DB="$(submit --array=0-3 --cpus-per-task=1 --job-name=st-depB -o "$WORK/B_%a.out" --export=ALL,SLEEP=1,FAIL_INDEX=2 --dependency="afterok:$DA" "$WORK/work.sh")"
DC="$(submit --array=0-3 --cpus-per-task=1 --job-name=st-depC -o "$WORK/C_%a.out" --export=ALL,SLEEP=1 --dependency="aftercorr:$DB" "$WORK/work.sh")"
DD="$(submit --array=0-1 --cpus-per-task=1 --job-name=st-depD -o "$WORK/D_%a.out" --export=ALL,SLEEP=1 --dependency="afterok:$DB" "$WORK/work.sh")"
# right after submission the reason is "None" until the scheduler has looked
deadline=$(( SECONDS + 15 ))
while r="$(task_table "$DB" | awk '{print $2"/"$3}' | sort -u | tr '\n' ' ')"; [ "$r" != "PENDING/Dependency " ]; do
    if [ "$SECONDS" -ge "$deadline" ] || [ "$r" != "PENDING/None " ]; then
        task_table "$DB" >&2; fail "B tasks should all be PENDING (Dependency) while A runs; got: $r"
    fi
    sleep 0.3
done
ok "B (afterok:$DA) pending with reason Dependency while A runs"
wait_final "$DA" 60
wait_final "$DB" 60
wait_final "$DC" 60
expect_states "$DA" "0:COMPLETED 1:COMPLETED 2:COMPLETED 3:COMPLETED"
expect_states "$DB" "0:COMPLETED 1:COMPLETED 2:FAILED 3:COMPLETED"
a_end="$(task_table "$DA" | awk '{print $5}' | sort | tail -n1)"
b_start="$(task_table "$DB" | awk '{print $4}' | sort | head -n1)"
[[ "$b_start" > "$a_end" || "$b_start" == "$a_end" ]] || fail "B started $b_start before A ended $a_end"
ok "afterok: B tasks started at $b_start >= last A end $a_end; B_2 FAILED on purpose"
expect_states "$DC" "0:COMPLETED 1:COMPLETED 3:COMPLETED 2:PENDING"
for i in 0 1 3; do
    be="$(task_table "$DB" | awk -v i=$i '$1==i {print $5}')"; cs="$(task_table "$DC" | awk -v i=$i '$1==i {print $4}')"
    [[ "$cs" > "$be" || "$cs" == "$be" ]] || fail "C_$i started $cs before B_$i ended $be"
done
rc2="$(task_table "$DC" | awk '$1==2 {print $3}')"
[ "$rc2" = "DependencyNeverSatisfied" ] || fail "C_2 reason '$rc2', expected DependencyNeverSatisfied"
ok "aftercorr: C_i started after B_i; C_2 PENDING (DependencyNeverSatisfied) because B_2 failed"
dd="$(task_table "$DD" | awk '{print $2"/"$3}' | sort -u | tr '\n' ' ')"
[ "$dd" = "PENDING/DependencyNeverSatisfied " ] || fail "D (afterok on B with a failed task): $dd"
ok "afterok on an array with a failed task: dependants PENDING (DependencyNeverSatisfied), never run"
scancel "${DC}_2" "$DD" || fail "scancel ${DC}_2 $DD"
wait_task_state "$DC" 2 CANCELLED 15
wait_task_state "$DD" 0 CANCELLED 15
ok "cancelled the never-satisfiable dependants"
expect_jobcomp "$DB" "2:FAILED"
expect_jobcomp "$DC" "2:CANCELLED"
grep -q "ExitCode=3:0" <(grep -E "ArrayJobId=$DB ArrayTaskId=2( |$)" "$JOBCOMP") || fail "jobcomp ExitCode for ${DB}_2 is not 3:0"
ok "jobcomp records FAILED (ExitCode=3:0) and CANCELLED-while-pending tasks"

# ================================================= 3. scancel + resubmit --
log "3. scancel one running and one pending array task, resubmit those indexes"
# %2 throttles the array to 2 concurrent tasks, so 2 and 3 are pending in the
# array's meta record whatever the CPU count.
E="$(submit --array=0-3%2 --cpus-per-task=1 --job-name=st-cancel -o "$WORK/E_%A_%a.out" --export=ALL,SLEEP=4 "$WORK/work.sh")"
wait_task_state "$E" 1 RUNNING 20
expect_states "$E" "2:PENDING 3:PENDING"
scancel "${E}_1" "${E}_3" || fail "scancel ${E}_1 ${E}_3"
wait_final "$E" 60
expect_states "$E" "0:COMPLETED 1:CANCELLED 2:COMPLETED"
grep -qs DONE "$WORK/E_${E}_1.out" && fail "cancelled running task ${E}_1 still finished"
[ -e "$WORK/E_${E}_3.out" ] && fail "cancelled pending task ${E}_3 produced output"
ok "scancel ${E}_1 (running) -> CANCELLED; 0 and 2 COMPLETED"
# A task cancelled while still pending inside the meta record (other indexes
# pending with it) is just dropped from the array: no squeue/scontrol line,
# no jobcomp record.  Consumers must read "index missing" as cancelled.
[ -z "$(task_state "$E" 3)" ] || fail "expected pending-cancelled ${E}_3 to vanish from squeue, got '$(task_state "$E" 3)'"
expect_jobcomp "$E" "0:COMPLETED 1:CANCELLED 2:COMPLETED"
[ -z "$(jobcomp_state "$E" 3)" ] || fail "unexpected jobcomp record for ${E}_3"
ok "${E}_3 (cancelled while pending) left no record in squeue or jobcomp: 'missing index' == cancelled"
R="$(submit --array=1,3 --cpus-per-task=1 --job-name=st-cancel -o "$WORK/E_%A_%a.out" --export=ALL,SLEEP=1 "$WORK/work.sh")"
wait_final "$R" 60
expect_states "$R" "1:COMPLETED 3:COMPLETED"
[ "$(task_table "$R" | wc -l)" -eq 2 ] || fail "resubmitted array $R should have exactly tasks 1 and 3"
for i in 1 3; do grep -q DONE "$WORK/E_${R}_${i}.out" || fail "resubmitted ${R}_$i has no DONE"; done
ok "resubmitted --array=1,3 as job $R: both COMPLETED, same SLURM_ARRAY_TASK_ID values"

# whole array cancelled while pending: squeue -r still lists every index as
# CANCELLED; jobcomp gets ONE line "JobId=<array id>" without ArrayTaskId.
G="$(submit --array=0-3 --hold --job-name=st-held -o /dev/null --wrap=true)"
scancel "$G" || fail "scancel $G"
wait_task_state "$G" 3 CANCELLED 15
expect_states "$G" "0:CANCELLED 1:CANCELLED 2:CANCELLED 3:CANCELLED"
deadline=$(( SECONDS + 10 ))
until grep -qE "^JobId=$G .*JobState=CANCELLED" "$JOBCOMP"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "no jobcomp meta record for cancelled pending array $G"; sleep 0.5
done
grep -E "^JobId=$G " "$JOBCOMP" | grep -q ArrayTaskId= && fail "meta record of $G unexpectedly has ArrayTaskId"
ok "cancelled pending array $G: squeue -r shows 4 CANCELLED tasks; jobcomp has one meta line (JobId=$G, no ArrayTaskId)"

# ===================================================== 4. state queries --
log "4. per-array-task state queries (for the record)"
log "   squeue -h -r -t all -j $A1 -o '%K %T %r':"
squeue -h -r -t all -j "$A1" -o '%K %T %r' | sort -n | sed 's/^/      /'
n="$(scontrol -o show job "$A1" | wc -l)"
[ "$n" -eq 4 ] || fail "scontrol -o show job $A1 gave $n lines, expected 4"
log "   scontrol -o show job $A1: $n lines, e.g. $(scontrol -o show job "$A1" | grep -o 'ArrayTaskId=[^ ]* .*JobState=[^ ]*' | head -n1 | sed 's/ .*JobState=/ JobState=/')"
ok "scontrol -o show job ARRAYID gives one line per task"

PASSED=1
log "checks finished in $((SECONDS - T0))s"
