#!/usr/bin/python3
"""compare_runs.py RUNS BEFORE AFTER DATA: `imagecore run --threads 2` of two builds on the same repository, alternating,
RUNS times each; prints every run's total and per-step wall and CPU seconds (from report.json) and their medians.

    git worktree add /tmp/before <commit> && (cd /tmp/before && dotnet build -c Release src/ImageCore.Cli)
    /usr/bin/python3 benchmarks/rehearsal/compare_runs.py 3 /tmp/before/src/ImageCore.Cli/bin/Release/net10.0/imagecore \
        src/ImageCore.Cli/bin/Release/net10.0/imagecore /tmp/full
"""
import json, shutil, statistics as st, subprocess, sys, tempfile

runs, before, after, data = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
bins = {"before": before, "after": after}
res = {k: [] for k in bins}
out = tempfile.mkdtemp()
for i in range(runs):
    for k, b in bins.items():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([b, "run", "--data", data, "--out", out, "--threads", "2"], check=True, capture_output=True)
        r = json.load(open(out + "/report.json"))
        s = {x["name"]: (x["wallSeconds"], x["cpuSeconds"]) for x in r["steps"]}
        res[k].append((r["wallSeconds"], *s["isr"], *s["warp"], *s["coadd"]))
        print(k, " ".join(f"{v:.2f}" for v in res[k][-1]), flush=True)
shutil.rmtree(out, ignore_errors=True)
for k, v in res.items():
    print(k, "medians: total %.2f | isr wall %.2f cpu %.2f | warp wall %.2f cpu %.2f | coadd wall %.2f cpu %.2f"
          % tuple(st.median(x[i] for x in v) for i in range(7)))
