#!/usr/bin/python3
"""swarp_compare.py [--imagecore PATH] [--size N] [--keep DIR]: accuracy of ImageCore's lanczos3 warp against
SWarp's LANCZOS3 on a band-limited analytic scene, both measured against the analytic truth.

The source grid is N x N pixels (default 1000) of 0.2", TAN at (150, 2), rotated by 30 degrees, with a cubic
SIP distortion of a few pixels at the corners; SWarp reads the same distortion as TPV (PV1_*, PV2_*), fitted
exactly (it is a cubic in the intermediate coordinates too) and checked against the SIP header with astropy.
The destination grid is N x N unrotated TAN pixels of 0.2" at the same point. The scene is a sum of cosines
in source pixel coordinates with periods of 4 pixels and more (band-limited well inside Nyquist), sampled at
the source pixel centres. The truth at a destination pixel is the scene at its exact source position
(astropy all_world2pix); for ImageCore, which scales by the relative pixel area as afw does, times the
Jacobian of the transform there; SWarp runs with FSCALASTRO_TYPE NONE. Prints both RMS errors over the
pixels at least 10 pixels inside both grids, and their ratio.
"""
import argparse
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCALE = 0.2 / 3600
CENTER = (150.0, 2.0)


def source_header(n):
    rot = np.radians(30.0)
    cd = SCALE * np.array([[-np.cos(rot), np.sin(rot)], [np.sin(rot), np.cos(rot)]])
    h = fits.Header()
    h["CTYPE1"], h["CTYPE2"] = "RA---TAN-SIP", "DEC--TAN-SIP"
    h["CRPIX1"], h["CRPIX2"] = (n + 1) / 2, (n + 1) / 2
    h["CRVAL1"], h["CRVAL2"] = CENTER
    h["CD1_1"], h["CD1_2"], h["CD2_1"], h["CD2_2"] = cd[0, 0], cd[0, 1], cd[1, 0], cd[1, 1]
    h["RADESYS"] = "ICRS"
    # About 2-3 pixels at the corners of a 1000-pixel grid.
    h["A_ORDER"], h["B_ORDER"] = 3, 3
    h["A_2_0"], h["A_1_1"], h["A_0_2"], h["A_3_0"], h["A_1_2"] = 2e-6, -1e-6, 1.5e-6, 4e-9, 2e-9
    h["B_2_0"], h["B_1_1"], h["B_0_2"], h["B_0_3"], h["B_2_1"] = -1e-6, 2e-6, 1e-6, 3e-9, -2e-9
    return h


def tpv_header(sip_header, n):
    """The same transform as TAN + PV (TPV) for SWarp: fit xi' = f(xi, eta), eta' = g(eta, xi) in degrees."""
    w = WCS(sip_header)
    u, v = np.meshgrid(np.linspace(-n / 2, n / 2, 41), np.linspace(-n / 2, n / 2, 41))
    u, v = u.ravel(), v.ravel()
    cd = w.wcs.cd
    xi0 = cd[0, 0] * u + cd[0, 1] * v
    eta0 = cd[1, 0] * u + cd[1, 1] * v
    a = w.sip.a
    b = w.sip.b
    du = sum(a[p, q] * u**p * v**q for p in range(4) for q in range(4) if p + q <= 3)
    dv = sum(b[p, q] * u**p * v**q for p in range(4) for q in range(4) if p + q <= 3)
    xi = cd[0, 0] * (u + du) + cd[0, 1] * (v + dv)
    eta = cd[1, 0] * (u + du) + cd[1, 1] * (v + dv)
    # TPV terms up to order 3 (PV index: 0 1, 1 x, 2 y, 3 r, 4 x2, 5 xy, 6 y2, 7 x3, 8 x2y, 9 xy2, 10 y3).
    def terms(x, y):
        return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y, x**3, x * x * y, x * y * y, y**3], axis=1)
    idx = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10]
    c1 = np.linalg.lstsq(terms(xi0, eta0), xi, rcond=None)[0]
    c2 = np.linalg.lstsq(terms(eta0, xi0), eta, rcond=None)[0]
    h = fits.Header()
    for k in ("CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2", "CD1_1", "CD1_2", "CD2_1", "CD2_2", "RADESYS"):
        h[k] = sip_header[k]
    h["CTYPE1"], h["CTYPE2"] = "RA---TPV", "DEC--TPV"
    for k, c in zip(idx, c1):
        h[f"PV1_{k}"] = c
    for k, c in zip(idx, c2):
        h[f"PV2_{k}"] = c
    return h


def dest_header(n):
    h = fits.Header()
    h["CTYPE1"], h["CTYPE2"] = "RA---TAN", "DEC--TAN"
    h["CRPIX1"], h["CRPIX2"] = (n + 1) / 2, (n + 1) / 2
    h["CRVAL1"], h["CRVAL2"] = CENTER
    h["CD1_1"], h["CD1_2"], h["CD2_1"], h["CD2_2"] = -SCALE, 0.0, 0.0, SCALE
    h["RADESYS"] = "ICRS"
    return h


def scene(x, y):
    rng = np.random.default_rng(7)
    out = np.full(np.shape(x), 100.0)
    for _ in range(12):
        period = rng.uniform(4.0, 20.0)
        theta = rng.uniform(0, np.pi)
        phase = rng.uniform(0, 2 * np.pi)
        out += rng.uniform(2, 10) * np.cos(2 * np.pi * (x * np.cos(theta) + y * np.sin(theta)) / period + phase)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--imagecore", default=os.path.join(ROOT, "src", "ImageCore.Cli", "bin", "Release", "net10.0", "imagecore"))
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--keep")
    a = p.parse_args()
    n = a.size
    warnings.simplefilter("ignore")
    tmp = a.keep or tempfile.mkdtemp()
    if not a.keep:
        atexit.register(shutil.rmtree, tmp, True)   # the working files go, however the script ends
    os.makedirs(tmp, exist_ok=True)
    sip = source_header(n)
    tpv = tpv_header(sip, n)
    ys, xs = np.mgrid[0:n, 0:n]
    data = scene(xs, ys).astype(np.float32)
    fits.PrimaryHDU(data, sip).writeto(os.path.join(tmp, "src_sip.fits"), overwrite=True)
    fits.PrimaryHDU(data, tpv).writeto(os.path.join(tmp, "src_tpv.fits"), overwrite=True)
    dh = dest_header(n)
    fits.PrimaryHDU(np.zeros((n, n), np.float32), dh).writeto(os.path.join(tmp, "grid.fits"), overwrite=True)

    # The two source headers describe one transform (astropy reads both).
    probe = np.array([[0, 0], [n - 1, 0], [0, n - 1], [n - 1, n - 1], [n / 3, 2 * n / 3]], float)
    d = np.abs(WCS(sip).all_pix2world(probe, 0) - WCS(tpv).all_pix2world(probe, 0)).max() * 3600 / 0.2
    plain = sip.copy()
    plain["CTYPE1"], plain["CTYPE2"] = "RA---TAN", "DEC--TAN"
    for k in [k for k in plain if k[:2] in ("A_", "B_")]:
        del plain[k]
    dist = np.abs(WCS(sip).all_pix2world(probe, 0) - WCS(plain).all_pix2world(probe, 0)).max() * 3600 / 0.2
    print(f"source distortion up to {dist:.2f} pixel; TPV and SIP source headers {d:.2e} pixel apart")

    # Truth on the destination grid.
    wd, ws = WCS(dh), WCS(sip)
    dx, dy = np.meshgrid(np.arange(n, dtype=float), np.arange(n, dtype=float))
    def src(x, y):
        sky = wd.all_pix2world(np.stack([x.ravel(), y.ravel()], 1), 0)
        s = ws.all_world2pix(sky, 0, tolerance=1e-10, maxiter=50, quiet=True)
        return s[:, 0].reshape(x.shape), s[:, 1].reshape(x.shape)
    sx, sy = src(dx, dy)
    h = 0.5
    ax, ay = src(dx + h, dy)
    bx, by = src(dx - h, dy)
    cx, cy = src(dx, dy + h)
    ex, ey = src(dx, dy - h)
    jac = np.abs((ax - bx) * (cy - ey) - (ay - by) * (cx - ex)) / (2 * h) ** 2
    truth = scene(sx, sy)
    inside = (sx >= 10) & (sx <= n - 11) & (sy >= 10) & (sy <= n - 11) & (dx >= 10) & (dx <= n - 11) & (dy >= 10) & (dy <= n - 11)

    # ImageCore.
    out_ic = os.path.join(tmp, "imagecore.fits")
    subprocess.run([a.imagecore, "warp", "--in", os.path.join(tmp, "src_sip.fits"), "--out", out_ic, "--like", os.path.join(tmp, "grid.fits"),
                    "--kernel", "lanczos3", "--threads", "1"], check=True, stdout=subprocess.DEVNULL)
    ic = fits.getdata(out_ic, "IMAGE").astype(float)
    # SWarp: the output grid from a .head file next to the output.
    out_sw = os.path.join(tmp, "swarp.fits")
    head = dh.copy()
    head["NAXIS"], head["NAXIS1"], head["NAXIS2"] = 2, n, n
    with open(os.path.join(tmp, "swarp.head"), "w") as f:
        for card in head.cards:
            f.write(str(card) + "\n")
        f.write("END\n")
    subprocess.run(["SWarp", os.path.join(tmp, "src_tpv.fits"), "-IMAGEOUT_NAME", out_sw, "-WEIGHTOUT_NAME", os.path.join(tmp, "swarp.weight.fits"),
                    "-RESAMPLING_TYPE", "LANCZOS3", "-COMBINE", "N", "-SUBTRACT_BACK", "N", "-FSCALASTRO_TYPE", "NONE", "-FSCALE_KEYWORD", "NONE",
                    "-FSCALE_DEFAULT", "1", "-NTHREADS", "1", "-WRITE_XML", "N", "-VERBOSE_TYPE", "QUIET", "-OVERSAMPLING", "1",
                    "-RESAMPLE_DIR", tmp, "-CENTER_TYPE", "MANUAL", "-CENTER", f"{CENTER[0]},{CENTER[1]}", "-PIXELSCALE_TYPE", "MANUAL",
                    "-PIXEL_SCALE", "0.2", "-IMAGE_SIZE", f"{n},{n}", "-PROJECTION_TYPE", "TAN"],
                   check=True, cwd=tmp, stdout=subprocess.DEVNULL)
    # With COMBINE N SWarp leaves the resampled image (the part of the output frame the input covers) in RESAMPLE_DIR.
    resamp = os.path.join(tmp, "src_tpv.resamp.fits")
    part = fits.getdata(resamp).astype(float)
    wp = WCS(fits.getheader(resamp))
    ox, oy = wd.all_world2pix(wp.all_pix2world([[0, 0]], 0), 0)[0]
    grid_offset = max(abs(ox - round(ox)), abs(oy - round(oy)))
    ox, oy = int(round(ox)), int(round(oy))
    sw = np.full((n, n), np.nan)
    ph, pw = part.shape
    y0, x0 = max(0, oy), max(0, ox)
    y1, x1 = min(n, oy + ph), min(n, ox + pw)
    sw[y0:y1, x0:x1] = part[y0 - oy:y1 - oy, x0 - ox:x1 - ox]
    good = inside & np.isfinite(ic) & np.isfinite(sw) & (sw != 0)
    rms_ic = np.sqrt(np.mean((ic - truth * jac)[good] ** 2))
    rms_sw = np.sqrt(np.mean((sw - truth)[good] ** 2))
    print(f"SWarp's resampled grid sits {grid_offset:.2e} pixel off the destination grid's pixels; {good.sum()} pixels compared")
    print(f"RMS error against the analytic truth: ImageCore lanczos3 {rms_ic:.5f}, SWarp LANCZOS3 {rms_sw:.5f} (scene rms {np.std(truth[good]):.2f}); ratio {rms_ic / rms_sw:.3f}")


if __name__ == "__main__":
    main()
