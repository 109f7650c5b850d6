#!/usr/bin/python3
"""psf_kernel_astropy.py FILE X Y [X Y ...]: the kernel images of the PSF extension of FILE, computed by astropy
and numpy from the convention alone (docs/psf.md), for ImageCore's interop test.

Prints one JSON object: {"type": PSFTYPE, "size": NAXIS1, "kernels": [[row, row, ...], ...]}, one kernel per (X, Y),
each normalised to sum 1. Only PSFTYPE = 'PIXELBASIS' is evaluated from its cube; for GAUSSIAN and DOUBLEGAUSSIAN the
profile is evaluated from the keywords at the pixel centres.
"""
import json
import sys

import numpy as np
from astropy.io import fits


def main():
    path, coords = sys.argv[1], [float(v) for v in sys.argv[2:]]
    with fits.open(path) as hdul:
        hdu = hdul["PSF"]
        h, cube = hdu.header, hdu.data.astype(np.float64)
        size = h["NAXIS1"]
        c = size // 2
        yy, xx = np.mgrid[0:size, 0:size]
        r2 = (xx - c) ** 2 + (yy - c) ** 2
        kernels = []
        for x, y in zip(coords[0::2], coords[1::2]):
            if h["PSFTYPE"] == "PIXELBASIS":
                hx = max((h["REGMAXX"] - h["REGMINX"]) / 2.0, 0.5)
                hy = max((h["REGMAXY"] - h["REGMINY"]) / 2.0, 0.5)
                u = np.clip((x - (h["REGMINX"] + h["REGMAXX"]) / 2.0) / hx, -1, 1)
                v = np.clip((y - (h["REGMINY"] + h["REGMAXY"]) / 2.0) / hy, -1, 1)
                k = sum(u ** h[f"XPOW{n + 1}"] * v ** h[f"YPOW{n + 1}"] * cube[n] for n in range(cube.shape[0]))
            elif h["PSFTYPE"] == "GAUSSIAN":
                k = np.exp(-r2 / (2 * h["SIGMA"] ** 2))
            else:
                k = np.exp(-r2 / (2 * h["SIGMA1"] ** 2)) + h["B"] * np.exp(-r2 / (2 * h["SIGMA2"] ** 2))
            kernels.append((k / k.sum()).tolist())
        print(json.dumps({"type": h["PSFTYPE"], "size": int(size), "shape": list(cube.shape), "kernels": kernels}))


if __name__ == "__main__":
    main()
