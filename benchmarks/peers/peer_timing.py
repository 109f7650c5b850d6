"""Shared by the time_*.py scripts: alternating wall-clock runs of ImageCore and a peer in fresh processes."""
import statistics
import subprocess
import time


def wall(cmd, cwd=None):
    """Seconds one command takes, its output discarded; a failing command raises."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - start


def alternate(ours, peer, peer_name, runs, peer_cwd=None, ratio_digits=2):
    """One warm-up of each, then `runs` alternating timings; prints each run, the medians and peer / ImageCore."""
    wall(ours)
    wall(peer, cwd=peer_cwd)   # warm-up: page cache, interpreter caches
    t_ours, t_peer = [], []
    for i in range(runs):
        t_ours.append(wall(ours))
        t_peer.append(wall(peer, cwd=peer_cwd))
        print(f"run {i + 1}: imagecore {t_ours[-1]:.3f} s, {peer_name} {t_peer[-1]:.3f} s", flush=True)
    mo, mp = statistics.median(t_ours), statistics.median(t_peer)
    print(f"median: imagecore {mo:.3f} s, {peer_name} {mp:.3f} s, ratio {mp / mo:.{ratio_digits}f}x")
