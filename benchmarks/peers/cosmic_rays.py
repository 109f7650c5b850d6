#!/usr/bin/python3
"""Cosmic rays: ImageCore (CosmicRays.FindAndRepair) against astroscrappy on the same post-ISR exposures,
scored against the simulator's truth cosmic-ray masks.

For each detector DET of a visit:
  post-ISR exposure  OUT/postisr/VVVVVV/DET.fits   (IMAGE, MASK, VARIANCE; electrons)
  truth hits         DATA/truth/VVVVVV/DET.cosmics.fits  (1 where the simulator deposited cosmic-ray charge)
  truth image        DATA/truth/VVVVVV/DET.fits    (noise-free expected image, e-)
  amplifiers         DATA/calib/amps/DET.json      (gain, saturation in ADU)

ImageCore runs through the benchmarks program (`ImageCore.Benchmarks cosmic-rays IN OUT`, one thread), which
prints its own time; its mask is the CR bit (plane number from MP_CR) of the exposure it writes. astroscrappy
(detect_cosmics, its defaults: sigclip 4.5, sigfrac 0.3, objlim 5, niter 4, sepmed, meanmask, fsmode median) runs
here on one OpenMP thread with gain=1 (the data are electrons), invar=VARIANCE (the same noise ImageCore uses, so
readnoise is unused), inmask = BAD|SAT|NO_DATA and satlevel = the smallest amplifier saturation in electrons.

One good-pixel definition for both: not BAD, SAT, NO_DATA or EDGE in the post-ISR mask, and true signal below the
smallest amplifier saturation (gain x saturation). Scores over good pixels: pixel completeness (truth pixels
flagged / truth pixels), false pixels (flagged, not truth) and their rate per good pixel; hits = 8-connected
groups of truth pixels, found if any pixel is flagged; false hits = 8-connected flagged groups touching no truth
pixel.

usage: cosmic_rays.py --data DATA --postisr OUT/postisr --visit 0 --detectors R22_S11,R01_S00
                      --benchmarks PATH/ImageCore.Benchmarks.dll [--work /tmp/cr-work] [--repeats 1]
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/astroscrappy load their OpenMP runtime

import argparse
import json
import re
import subprocess
import time

import astroscrappy
import numpy as np
from astropy.io import fits
from scipy import ndimage

EIGHT = np.ones((3, 3), dtype=bool)


def plane_bits(header):
    return {k[3:]: int(header[k]) for k in header if k.startswith("MP_")}


def score(flagged, truth, good):
    """Completeness and false positives of `flagged` against `truth`, both restricted to `good`."""
    f = flagged & good
    t = truth & good
    true_pixels = int(t.sum())
    found_pixels = int((f & t).sum())
    false_pixels = int((f & ~t).sum())
    labels, n_truth = ndimage.label(t, structure=EIGHT)
    hits_found = len(np.unique(labels[f & t])) if n_truth else 0
    flabels, n_flag = ndimage.label(f, structure=EIGHT)
    touching = np.unique(flabels[f & t])
    false_hits = n_flag - len(touching)
    return {
        "truth_pixels": true_pixels,
        "pixel_completeness": found_pixels / true_pixels if true_pixels else float("nan"),
        "false_pixels": false_pixels,
        "false_pixel_rate": false_pixels / int(good.sum()),
        "truth_hits": int(n_truth),
        "hit_completeness": hits_found / n_truth if n_truth else float("nan"),
        "flagged_hits": int(n_flag),
        "false_hits": int(false_hits),
    }


def run_imagecore(dll, src, dst, repeats):
    out = subprocess.run(["dotnet", dll, "cosmic-rays", src, dst, str(repeats)], check=True, capture_output=True, text=True).stdout
    times = [float(m.group(1)) for m in re.finditer(r"imagecore_seconds ([0-9.]+)", out)]
    cpu = [float(m.group(1)) for m in re.finditer(r"cpu_seconds ([0-9.]+)", out)]
    return min(times), (min(cpu) if cpu else float("nan")), out.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="the simulated repository (truth/, calib/)")
    ap.add_argument("--postisr", required=True, help="the post-ISR directory (VVVVVV/DET.fits)")
    ap.add_argument("--visit", type=int, default=0)
    ap.add_argument("--detectors", required=True)
    ap.add_argument("--benchmarks", required=True, help="ImageCore.Benchmarks.dll (Release)")
    ap.add_argument("--work", default="/tmp/cr-work")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each tool; the fastest counts")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    vdir = "%06d" % a.visit
    rows = []
    for det in a.detectors.split(","):
        src = os.path.join(a.postisr, vdir, det + ".fits")
        amps = json.load(open(os.path.join(a.data, "calib", "amps", det + ".json")))
        sat_e = min(amp["saturation"] * amp["gain"] for amp in amps["amplifiers"])
        with fits.open(src) as f:
            img = f["IMAGE"].data.astype(np.float32)
            var = f["VARIANCE"].data.astype(np.float32)
            mask = f["MASK"].data.astype(np.int64)
            bits = plane_bits(f["MASK"].header)
        truth = fits.getdata(os.path.join(a.data, "truth", vdir, det + ".cosmics.fits")).astype(bool)
        true_image = fits.getdata(os.path.join(a.data, "truth", vdir, det + ".fits"))
        unusable = sum(1 << bits[p] for p in ("BAD", "SAT", "NO_DATA"))
        excluded = unusable | (1 << bits["EDGE"])
        good = ((mask & excluded) == 0) & (true_image < sat_e)

        dst = os.path.join(a.work, det + ".imagecore.fits")
        ic_seconds, ic_cpu, ic_line = run_imagecore(a.benchmarks, src, dst, a.repeats)
        with fits.open(dst) as f:
            cr_bit = 1 << plane_bits(f["MASK"].header)["CR"]
            ic_mask = (f["MASK"].data.astype(np.int64) & cr_bit) != 0

        inmask = (mask & unusable) != 0
        as_seconds, as_cpu = float("inf"), float("inf")
        for _ in range(a.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            as_mask, _ = astroscrappy.detect_cosmics(img, inmask=inmask, invar=var, gain=1.0, satlevel=sat_e)
            as_seconds = min(as_seconds, time.perf_counter() - t0)
            as_cpu = min(as_cpu, time.process_time() - c0)
        rows.append((det, amps["vendor"], img.shape, "ImageCore", score(ic_mask, truth, good), ic_seconds, ic_cpu))
        rows.append((det, amps["vendor"], img.shape, "astroscrappy", score(as_mask.astype(bool), truth, good), as_seconds, as_cpu))
        print(ic_line, flush=True)

    hdr = ("detector", "vendor", "tool", "truth px", "px compl.", "false px", "false px rate", "truth hits",
           "hit compl.", "false hits", "wall s", "CPU s")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for det, vendor, shape, tool, s, secs, cpu in rows:
        print("| %s | %s %dx%d | %s | %d | %.4f | %d | %.2e | %d | %.4f | %d | %.3f | %.3f |" % (
            det, vendor, shape[1], shape[0], tool, s["truth_pixels"], s["pixel_completeness"], s["false_pixels"],
            s["false_pixel_rate"], s["truth_hits"], s["hit_completeness"], s["false_hits"], secs, cpu))
    for i in range(0, len(rows), 2):
        ic, sc = rows[i], rows[i + 1]
        print("%s: astroscrappy / ImageCore wall %.1fx, CPU %.1fx" % (ic[0], sc[5] / ic[5], sc[6] / ic[6] if ic[6] == ic[6] else float("nan")))


if __name__ == "__main__":
    main()
