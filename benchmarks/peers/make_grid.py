#!/usr/bin/python3
"""make_grid.py EXPOSURE OUT [--size N] [--scale ARCSEC] [--rotation DEG]: writes OUT, an N x N float32 FITS image
(zeros, default 4000 x 4000) whose header is a TAN grid centred on the centre of EXPOSURE's IMAGE plane, with
ARCSEC pixels (default 0.2) and north up, east left, rotated by DEG (default 0). The output grid that
time_warp.py takes: `imagecore warp --like OUT` and SWarp's .head file both read it.
"""
import argparse
import math

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("exposure")
    p.add_argument("out")
    p.add_argument("--size", type=int, default=4000)
    p.add_argument("--scale", type=float, default=0.2)
    p.add_argument("--rotation", type=float, default=0.0)
    a = p.parse_args()
    h = fits.open(a.exposure)["IMAGE"].header
    ny, nx = h["NAXIS2"], h["NAXIS1"]
    ra, dec = WCS(h).all_pix2world([[(nx - 1) / 2, (ny - 1) / 2]], 0)[0]
    s, t = a.scale / 3600, math.radians(a.rotation)
    g = fits.Header()
    g["CTYPE1"], g["CTYPE2"] = "RA---TAN", "DEC--TAN"
    g["CRVAL1"], g["CRVAL2"] = float(ra), float(dec)
    g["CRPIX1"] = g["CRPIX2"] = (a.size + 1) / 2
    g["CD1_1"], g["CD1_2"] = -s * math.cos(t), s * math.sin(t)
    g["CD2_1"], g["CD2_2"] = s * math.sin(t), s * math.cos(t)
    g["RADESYS"] = "ICRS"
    fits.PrimaryHDU(np.zeros((a.size, a.size), np.float32), g).writeto(a.out, overwrite=True)


if __name__ == "__main__":
    main()
