#!/usr/bin/python3
"""Calibration-cache campaign for issue 6: one simulated repository, ISR only, a slow calibration store, and each
(order, cache) configuration run --reps times in fresh `imagecore run` processes, alternating. Prints a markdown table
of the report's cache counters and the ISR step's wall time, and the calibration files' total size on disk.

    dotnet build -c Release
    /usr/bin/python3 benchmarks/rehearsal/campaign.py /tmp/camp --reps 2
"""
import argparse, json, os, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "src", "ImageCore.Cli", "bin", "Release", "net10.0", "imagecore")
CONFIGS = [("visit", "datasets:20"), ("detector", "datasets:20"), ("groups:2", "lru-datasets:21"),
           ("detector", "bytes:1TB"), ("visit", "bytes:1TB")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--visits", type=int, default=8)
    ap.add_argument("--detectors", default="R22")
    ap.add_argument("--scale", default="8")
    ap.add_argument("--threads", default="2")
    ap.add_argument("--latency", default="20", help="calibration store latency per read, ms")
    ap.add_argument("--bandwidth", default="200", help="calibration store bandwidth, MB/s")
    a = ap.parse_args()
    data = os.path.join(a.work, "data")
    shutil.rmtree(a.work, ignore_errors=True)
    subprocess.run([CLI, "simulate", "--out", data, "--visits", str(a.visits), "--detectors", a.detectors,
                    "--scale", a.scale, "--seed", "2"], check=True, stdout=subprocess.DEVNULL)
    calib = os.path.join(data, "calib")
    sizes = [os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(calib) for f in fs]
    rows = {c: [] for c in CONFIGS}
    for rep in range(a.reps):
        for order, cache in CONFIGS:
            out = os.path.join(a.work, "run")
            shutil.rmtree(out, ignore_errors=True)
            p = subprocess.run([CLI, "run", "--data", data, "--out", out, "--threads", a.threads, "--order", order,
                                "--cache", cache, "--until", "isr", "--calib-latency", a.latency,
                                "--calib-bandwidth", a.bandwidth], capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"run --order {order} --cache {cache} failed ({p.returncode}): {p.stderr}")
            with open(os.path.join(out, "report.json")) as f:
                r = json.load(f)
            c = r["calibrations"]
            isr = next(s for s in r["steps"] if s["name"] == "isr")
            if c["storeBytesRead"] != c["bytesReadThroughCache"]:
                sys.exit(f"report's bytes {c['bytesReadThroughCache']} != store's own count {c['storeBytesRead']}")
            rows[(order, cache)].append((c["hits"], c["misses"], c["evictions"], c["storeReads"], c["storeBytesRead"],
                                         isr["quanta"], isr["wallSeconds"]))
    print(f"calibration files on disk: {len(sizes)} files, {sum(sizes):,} B\n")
    print("| --order | --cache | ISR quanta | hits | misses | evictions | store reads | store bytes | ISR wall s (each run) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for (order, cache), rs in rows.items():
        h, m, e, sr, sb, q, _ = rs[0]
        same = all(x[:6] == rs[0][:6] for x in rs)
        walls = ", ".join(f"{x[6]:.2f}" for x in rs)
        print(f"| {order} | {cache} | {q} | {h} | {m} | {e} | {sr} | {sb:,}{'' if same else ' (varies)'} | {walls} |")


if __name__ == "__main__":
    main()
