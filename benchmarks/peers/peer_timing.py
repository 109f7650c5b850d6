"""Shared by the time_*.py scripts: alternating wall-clock runs of ImageCore and a peer in fresh processes."""
import os
import statistics
import subprocess
import time


def wall(cmd, cwd=None):
    """Seconds one command takes, its output discarded; a failing command raises."""
    return timed(cmd, cwd)[0]


def timed(cmd, cwd=None):
    """(wall seconds, CPU seconds: user + system of the process and its children) of one command, its output
    discarded; a failing command raises."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return elapsed, usage.ru_utime + usage.ru_stime


def alternate(ours, peer, peer_name, runs, peer_cwd=None, ratio_digits=2, cpu=False):
    """One warm-up of each, then `runs` alternating timings; prints each run, the medians and peer / ImageCore (with
    cpu, each command's CPU seconds too, and their medians' ratio). Returns the wall times (ours, peer's)."""
    wall(ours)
    wall(peer, cwd=peer_cwd)   # warm-up: page cache, interpreter caches
    t_ours, t_peer, c_ours, c_peer = [], [], [], []
    for i in range(runs):
        for cmd, cwd, t, c in ((ours, None, t_ours, c_ours), (peer, peer_cwd, t_peer, c_peer)):
            seconds, cpu_seconds = timed(cmd, cwd)
            t.append(seconds)
            c.append(cpu_seconds)
        if cpu:
            print(f"run {i + 1}: imagecore {t_ours[-1]:.3f} s ({c_ours[-1]:.3f} s CPU), {peer_name} {t_peer[-1]:.3f} s ({c_peer[-1]:.3f} s CPU)", flush=True)
        else:
            print(f"run {i + 1}: imagecore {t_ours[-1]:.3f} s, {peer_name} {t_peer[-1]:.3f} s", flush=True)
    mo, mp = statistics.median(t_ours), statistics.median(t_peer)
    print(f"median: imagecore {mo:.3f} s, {peer_name} {mp:.3f} s, ratio {mp / mo:.{ratio_digits}f}x")
    if cpu:
        co, cp = statistics.median(c_ours), statistics.median(c_peer)
        print(f"median CPU: imagecore {co:.3f} s, {peer_name} {cp:.3f} s, ratio {cp / co:.{ratio_digits}f}x")
    return t_ours, t_peer
