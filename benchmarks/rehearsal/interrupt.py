#!/usr/bin/python3
"""How fast `imagecore run` stops on Ctrl-C (SIGINT) and SIGTERM, for issue 6: a full-size repository (2 visits x 2
detectors, scale 1), two workers, the signal sent at each --delays second of the run, from this script (so SIGINT is
not inherited as ignored, as it is for a background job of a non-interactive shell). Prints a markdown table: exit
code, seconds from the signal to the exit, files kept, temporary files left, and whether every kept FITS file passes
fitsverify (when it is installed).

    dotnet build -c Release
    /usr/bin/python3 benchmarks/rehearsal/interrupt.py /tmp/interrupt
"""
import argparse, os, shutil, signal, subprocess, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "src", "ImageCore.Cli", "bin", "Release", "net10.0", "imagecore")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--delays", default="1.5,4,8,14,20")
    ap.add_argument("--threads", default="2")
    a = ap.parse_args()
    data = os.path.join(a.work, "data")
    if not os.path.isdir(os.path.join(data, "raw")):
        subprocess.run([CLI, "simulate", "--out", data, "--visits", "2", "--detectors", "R22_S11,R22_S12", "--scale", "1",
                        "--seed", "3"], check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(a.work, "run")
    shutil.rmtree(out, ignore_errors=True)
    t = time.monotonic()
    subprocess.run([CLI, "run", "--data", data, "--out", out, "--threads", a.threads], check=True, stdout=subprocess.DEVNULL)
    print(f"uninterrupted run: {time.monotonic() - t:.1f} s\n")
    fitsverify = shutil.which("fitsverify")
    print("| signal | sent after s | exit code | exit after s | files kept | temporary files | kept FITS pass fitsverify |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for delay in [float(d) for d in a.delays.split(",")]:
        for sig in (signal.SIGINT, signal.SIGTERM):
            shutil.rmtree(out, ignore_errors=True)
            p = subprocess.Popen([CLI, "run", "--data", data, "--out", out, "--threads", a.threads],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            if p.poll() is not None:
                print(f"| {sig.name} | {delay} | finished before the signal | | | | |")
                continue
            t0 = time.monotonic()
            p.send_signal(sig)
            p.wait()
            took = time.monotonic() - t0
            files = [os.path.join(r, f) for r, _, fs in os.walk(out) for f in fs]
            tmp = [f for f in files if f.endswith(".tmp")]
            fits = [f for f in files if f.endswith(".fits")]
            ok = "not installed" if fitsverify is None else \
                ("yes" if all(subprocess.run([fitsverify, "-q", "-e", f], capture_output=True).returncode == 0 for f in fits) else "NO")
            print(f"| {sig.name} | {delay} | {p.returncode} | {took:.2f} | {len(files)} | {len(tmp)} | {ok} |")


if __name__ == "__main__":
    main()
