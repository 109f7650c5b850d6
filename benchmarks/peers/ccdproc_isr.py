#!/usr/bin/python3
"""ccdproc_isr.py RAW CALIBDIR OUT [--time]: the ISR subset astropy's ccdproc can do, for comparison with ImageCore.

Per amplifier segment (in file orientation): overscan subtraction with ccdproc.subtract_overscan
(median per row over BIASSEC), trim to DATASEC, gain (ccdproc.gain_correct, e-/ADU from the
simulator's calib/amps/DET.json); the segment is then flipped as its DETSEC says and placed in the
detector image. Per detector: ccdproc.subtract_bias, ccdproc.subtract_dark scaled by DARKTIME (the
master dark is per second), ccdproc.flat_correct with norm_value=1 (the master flat is already
normalised). Writes the image (float32, electrons) to OUT. With --time, prints the seconds spent in
ccdproc (file reading included, writing excluded).
"""
import json
import os
import sys
import time
import warnings

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.nddata import CCDData
import ccdproc


def section(text):
    """IRAF [x1:x2,y1:y2] -> numpy slices (rows, cols) and flips."""
    xs, ys = text.strip()[1:-1].split(",")
    x1, x2 = (int(v) for v in xs.split(":"))
    y1, y2 = (int(v) for v in ys.split(":"))
    return (slice(min(y1, y2) - 1, max(y1, y2)), slice(min(x1, x2) - 1, max(x1, x2))), x1 > x2, y1 > y2


def master(path):
    with fits.open(path) as h:
        return CCDData(h["IMAGE"].data.astype(np.float64), unit=u.electron), h[0].header


def main(raw, calibdir, out, timing):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fits.open(raw) as hdul:
            primary = hdul[0].header
            det = primary["DETNAME"]
            amps = {a["name"]: a for a in json.load(open(os.path.join(calibdir, "amps", det + ".json")))["amplifiers"]}
            placed = []
            for hdu in hdul[1:]:
                name = "C" + hdu.header["EXTNAME"][-2:]
                ccd = CCDData(hdu.data.astype(np.float64), unit=u.adu)
                # BIASSEC's columns over every row: ccdproc subtracts one value per row of the whole segment.
                bias_cols = hdu.header["BIASSEC"].strip()[1:-1].split(",")[0]
                ccd = ccdproc.subtract_overscan(ccd, fits_section=f"[{bias_cols},1:{hdu.data.shape[0]}]", overscan_axis=1, median=True)
                ccd = ccdproc.trim_image(ccd, fits_section=hdu.header["DATASEC"])
                ccd = ccdproc.gain_correct(ccd, amps[name]["gain"] * u.electron / u.adu)
                (rows, cols), flip_x, flip_y = section(hdu.header["DETSEC"])
                data = ccd.data
                if flip_x:
                    data = data[:, ::-1]
                if flip_y:
                    data = data[::-1, :]
                placed.append((rows, cols, data))
            height = max(r.stop for r, _, _ in placed)
            width = max(c.stop for _, c, _ in placed)
            image = np.zeros((height, width))
            for rows, cols, data in placed:
                image[rows, cols] = data
            ccd = CCDData(image, unit=u.electron)
            bias, _ = master(os.path.join(calibdir, "bias", det + ".fits"))
            dark, dark_header = master(os.path.join(calibdir, "dark", det + ".fits"))
            flat, _ = master(os.path.join(calibdir, "flat", primary["BAND"], det + ".fits"))
            flat.unit = u.dimensionless_unscaled
            ccd = ccdproc.subtract_bias(ccd, bias)
            ccd = ccdproc.subtract_dark(ccd, dark, dark_exposure=dark_header.get("DARKTIME", 1.0) * u.s,
                                        data_exposure=primary["DARKTIME"] * u.s, scale=True)
            ccd = ccdproc.flat_correct(ccd, flat, norm_value=1.0)
    elapsed = time.perf_counter() - start
    fits.PrimaryHDU(ccd.data.astype(np.float32)).writeto(out, overwrite=True)
    if timing:
        print(f"{elapsed:.3f}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--time"]
    if len(args) != 3:
        raise SystemExit(__doc__)
    main(*args, timing="--time" in sys.argv)
