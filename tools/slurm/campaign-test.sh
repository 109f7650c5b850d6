#!/usr/bin/env bash
# A small campaign on a real, private, single-node Slurm (local-slurm.sh): simulate, plan, submit as job arrays, wait,
# and check the outputs against a single-process `imagecore run` of the same data; then the fault case: one running
# array task cancelled (scancel JOB_INDEX), the later steps cancelled by Slurm (afterok, --kill-on-invalid-dep),
# `slurm status` says so, `slurm resubmit` submits the rest, `slurm cancel` stops it, `slurm resubmit` again, and the
# campaign completes with outputs identical to the single run's and no partial file. `report merge` at the end.
#
#   tools/slurm/campaign-test.sh [--imagecore PATH] [--keep]
#
# Needs root, Debian's slurm-wlm and munge (apt-get install slurm-wlm munge) and the .NET SDK (to build imagecore when
# --imagecore is not given). Work files go to a fresh /tmp/slurm-campaign.XXXXXX (removed unless --keep or a failure);
# the Slurm daemons run under WORK/slurm and are stopped by their pid files on every exit (trap).
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGECORE=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --imagecore) IMAGECORE="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--imagecore PATH] [--keep]" >&2; exit 2 ;;
  esac
done

for c in sbatch squeue scancel slurmctld slurmd munged; do
  command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || { echo "campaign-test: $c not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done

t0=$(date +%s)
WORK=$(mktemp -d /tmp/slurm-campaign.XXXXXX)
chmod 755 "$WORK"   # munged wants o+x on every directory above its socket
export IMAGECORE_SLURM_DIR="$WORK/slurm"
export IMAGECORE_SLURM_CTLD_PORT="${IMAGECORE_SLURM_CTLD_PORT:-16837}" IMAGECORE_SLURM_SLURMD_PORT="${IMAGECORE_SLURM_SLURMD_PORT:-16838}"
ok=0
finish() {
  set +e
  [ -n "${SLURM_CONF:-}" ] && [ -f "$WORK/plan/slurm/jobs.json" ] && "$IMAGECORE" slurm cancel --plan "$WORK/plan" >/dev/null 2>&1
  tools/slurm/local-slurm.sh stop --dir "$IMAGECORE_SLURM_DIR" >/dev/null 2>&1 || echo "campaign-test: stopping Slurm failed" >&2
  if [ "$ok" = 1 ] && [ "$KEEP" = 0 ]; then rm -rf "$WORK"; else echo "campaign-test: work files kept in $WORK"; fi
}
trap finish EXIT
fail() {
  echo "campaign-test: FAILED: $*" >&2
  for f in "$WORK"/plan*/slurm/logs/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -n 5 "$f"; }; done >&2
  tail -n 20 "$IMAGECORE_SLURM_DIR/log/slurmctld.log" >&2 2>/dev/null
  exit 1
}
step() { echo "== $(( $(date +%s) - t0 )) s: $*"; }

if [ -z "$IMAGECORE" ]; then
  step "build imagecore"
  dotnet build src/ImageCore.Cli -c Release -o "$WORK/bin" -v q -nologo > "$WORK/build.log" 2>&1 || { tail -n 20 "$WORK/build.log"; fail "build"; }
  IMAGECORE="$WORK/bin/ImageCore.Cli"
fi
IMAGECORE=$(readlink -f "$IMAGECORE")

step "start Slurm in $IMAGECORE_SLURM_DIR"
tools/slurm/local-slurm.sh start --dir "$IMAGECORE_SLURM_DIR" > "$WORK/slurm-start.log" 2>&1 || { cat "$WORK/slurm-start.log"; fail "local-slurm.sh start"; }
. "$IMAGECORE_SLURM_DIR/env"
export SLURM_CONF

step "simulate 3 visits x 3 detectors at scale 8; the single-process run"
"$IMAGECORE" simulate --out "$WORK/data" --visits 3 --detectors R22_S11,R22_S12,R22_S21 --scale 8 --seed 5 > /dev/null
"$IMAGECORE" run --data "$WORK/data" --out "$WORK/ref" --threads 2 > "$WORK/ref.log" 2>&1 || { tail "$WORK/ref.log"; fail "imagecore run"; }
ls "$WORK"/ref/coadd/*/*.fits > /dev/null 2>&1 || fail "the single run wrote no coadd"

# The files a campaign must reproduce: every FITS output and empty marker, by content.
sums() { (cd "$1" && find postisr calexp warp psfmatchedwarp coadd -type f \( -name '*.fits' -o -name '*.empty' \) | sort | xargs md5sum); }
same_as_ref() {
  sums "$WORK/ref" > "$WORK/ref.sums"
  sums "$1" > "$WORK/out.sums"
  diff "$WORK/ref.sums" "$WORK/out.sums" > "$WORK/sums.diff" || { head -n 20 "$WORK/sums.diff"; fail "$1: outputs differ from the single run's"; }
  ls "$1"/coadd/*/*.fits > /dev/null 2>&1 || fail "$1: no coadd"
  [ -z "$(find "$1" -name '*.tmp')" ] || { find "$1" -name '*.tmp'; fail "$1: partial (temporary) files left"; }
  echo "   $(wc -l < "$WORK/out.sums") output files identical to the single run's ($(ls "$1"/coadd/*/*.fits | wc -l) coadds)"
}
# status: 0 all done, 3 pending or running, 2 not done; waits while 3.
wait_campaign() {
  local plan=$1 deadline=$(( $(date +%s) + ${2:-300} )) code
  while :; do
    code=0; "$IMAGECORE" slurm status --plan "$plan" > "$WORK/status.txt" 2>&1 || code=$?
    [ "$code" = 3 ] || break
    [ "$(date +%s)" -lt "$deadline" ] || { cat "$WORK/status.txt"; fail "campaign still running after ${2:-300} s"; }
    sleep 2
  done
  cat "$WORK/status.txt"
  return "$code"
}
count() {   # count PLAN STEP STATE: clusters of STEP in STATE (slurm status --json)
  "$IMAGECORE" slurm status --plan "$1" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print(sum(1 for c in s['clusters'] if c['step']=='$2' and c['state']=='$3'))" || true
}

step "campaign A: plan, submit, wait"
"$IMAGECORE" plan --data "$WORK/data" --out "$WORK/outA" --plan "$WORK/planA" | tail -n 4
"$IMAGECORE" slurm submit --plan "$WORK/planA" --data "$WORK/data" --out "$WORK/outA" --imagecore "$IMAGECORE"
code=0; wait_campaign "$WORK/planA" || code=$?
[ "$code" = 0 ] || fail "campaign A: slurm status exit $code, not 0"
same_as_ref "$WORK/outA"
"$IMAGECORE" report merge --plan "$WORK/planA" --out "$WORK/mergedA.json"
python3 - "$WORK/mergedA.json" <<'EOF' || fail "campaign A: merged report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["failures"] == [], r["failures"]
assert r["coadds"], "no coadd in the merged report"
for s in r["steps"]:
    assert s["failed"] == 0 and s["skipped"] == 0, s
    assert s["succeeded"] + s["empty"] == s["quanta"], s
EOF

step "campaign B: submit, cancel one running warp task (scancel JOB_1)"
"$IMAGECORE" plan --data "$WORK/data" --out "$WORK/outB" --plan "$WORK/planB" > /dev/null
"$IMAGECORE" slurm submit --plan "$WORK/planB" --data "$WORK/data" --out "$WORK/outB" --imagecore "$IMAGECORE"
warp=$(python3 -c "import json; print([j['jobId'] for j in json.load(open('$WORK/planB/slurm/jobs.json'))['jobs'] if j['step']=='warp'][0])")
deadline=$(( $(date +%s) + 120 ))
until squeue -h -r -j "$warp" -t RUNNING -o '%K' | grep -qx 1; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "warp task ${warp}_1 never ran"
  sleep 0.1
done
scancel "${warp}_1"
echo "   scancel ${warp}_1 while it ran"
code=0; wait_campaign "$WORK/planB" || code=$?
[ "$code" = 2 ] || fail "campaign B after the scancel: slurm status exit $code, not 2"
[ "$(count "$WORK/planB" warp Cancelled)" = 1 ] || fail "campaign B: warp cluster 1 not reported cancelled"
[ "$(count "$WORK/planB" coadd Done)" = 0 ] || fail "campaign B: coadds done although warp cluster 1 was cancelled"
[ "$(count "$WORK/planB" coadd Cancelled)" -gt 0 ] || fail "campaign B: Slurm did not cancel the coadds (--kill-on-invalid-dep)"

step "campaign B: resubmit, then slurm cancel stops it"
"$IMAGECORE" slurm resubmit --plan "$WORK/planB"
"$IMAGECORE" slurm cancel --plan "$WORK/planB" | tee "$WORK/cancel.txt"
grep -q '^cancelled job' "$WORK/cancel.txt" || fail "slurm cancel cancelled nothing"
code=0; wait_campaign "$WORK/planB" 60 || code=$?
[ "$code" = 2 ] || fail "campaign B after slurm cancel: status exit $code, not 2"

step "campaign B: resubmit again, wait"
"$IMAGECORE" slurm resubmit --plan "$WORK/planB"
code=0; wait_campaign "$WORK/planB" || code=$?
[ "$code" = 0 ] || fail "campaign B: slurm status exit $code after the last resubmission"
python3 -c "import json; j=json.load(open('$WORK/planB/slurm/jobs.json'))['jobs']; s=sorted({x['submission'] for x in j}); assert s==[0,1,2], s" \
  || fail "jobs.json does not keep the three submissions"
same_as_ref "$WORK/outB"
"$IMAGECORE" report merge --plan "$WORK/planB" > /dev/null
"$IMAGECORE" slurm resubmit --plan "$WORK/planB" | grep -q 'nothing to resubmit' || fail "resubmit of a finished campaign submitted something"

ok=1
step "campaign test passed"
