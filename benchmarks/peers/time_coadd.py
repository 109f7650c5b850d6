#!/usr/bin/python3
"""time_coadd.py DIR [--warps N] [--size S] [--runs R] [--imagecore PATH]: wall-clock time of `imagecore coadd
--threads 1` and of `SWarp -RESAMPLE N -COMBINE_TYPE ... -NTHREADS 1` on the same N aligned S x S float32 warps
(default 16 of 4000 x 4000), for MEAN (SWarp AVERAGE), MEANCLIP (CLIPPED) and MEDIAN, run alternately R times
(default 1) in fresh processes. Prints every run, the medians and their ratio (SWarp / ImageCore).

The warps are written once into DIR (reused when present): single-image files with one TAN WCS, each a noisy
copy of one scene with a few outliers; ImageCore weights them equally (no variance planes) and SWarp gets no
weight maps.
"""
import argparse
import os
import tempfile

import numpy as np
from astropy.io import fits

from peer_timing import alternate

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def tan_header(size):
    """The warps' grid: one TAN WCS of 0.2"/pixel centred on the size x size image."""
    header = fits.Header()
    header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
    header["CRVAL1"], header["CRVAL2"] = 150.0, 2.2
    header["CRPIX1"], header["CRPIX2"] = size / 2 + 0.5, size / 2 + 0.5
    header["CD1_1"], header["CD1_2"], header["CD2_1"], header["CD2_2"] = -0.2 / 3600, 0.0, 0.0, 0.2 / 3600
    header["RADESYS"] = "ICRS"
    return header


def make_warps(directory, n, size):
    os.makedirs(directory, exist_ok=True)
    paths = [os.path.join(directory, f"warp{k:02d}.fits") for k in range(n)]
    if all(os.path.exists(p) for p in paths):
        return paths
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:size, 0:size]
    scene = (100 + 20 * np.sin(x / 37.0) * np.cos(y / 23.0)).astype(np.float32)
    header = tan_header(size)
    for k, p in enumerate(paths):
        data = scene + rng.normal(0, 5, scene.shape).astype(np.float32)
        hits = rng.integers(0, size, (2, size * 4))
        data[hits[0], hits[1]] += 1000   # cosmic rays
        fits.PrimaryHDU(data, header).writeto(p, overwrite=True)
    return paths


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir")
    p.add_argument("--warps", type=int, default=16)
    p.add_argument("--size", type=int, default=4000)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--imagecore", default=os.path.join(ROOT, "src", "ImageCore.Cli", "bin", "Release", "net10.0", "imagecore"))
    a = p.parse_args()
    warps = make_warps(a.dir, a.warps, a.size)
    with tempfile.TemporaryDirectory() as tmp:
        for ours_stat, swarp_stat in (("mean", "AVERAGE"), ("meanclip", "CLIPPED"), ("median", "MEDIAN")):
            print(f"{ours_stat} / {swarp_stat}:", flush=True)
            ours = [a.imagecore, "coadd", "--out", os.path.join(tmp, "imagecore.fits"), "--statistic", ours_stat, "--threads", "1", *warps]
            theirs = ["SWarp", *warps, "-IMAGEOUT_NAME", os.path.join(tmp, "swarp.fits"), "-WEIGHTOUT_NAME", os.path.join(tmp, "swarp.weight.fits"),
                      "-RESAMPLE", "N", "-COMBINE_TYPE", swarp_stat, "-SUBTRACT_BACK", "N", "-NTHREADS", "1", "-WRITE_XML", "N",
                      "-VERBOSE_TYPE", "QUIET", "-FSCALASTRO_TYPE", "NONE", "-RESAMPLE_DIR", tmp]
            alternate(ours, theirs, "SWarp", a.runs, peer_cwd=tmp, ratio_digits=2)


if __name__ == "__main__":
    main()
