#!/usr/bin/python3
"""time_comparewarp.py DIR [--visits N] [--size S] [--runs R] [--imagecore PATH] [--keep]: wall-clock time of
`imagecore coadd --statistic comparewarp --threads 1` (N direct warps + their N PSF-matched warps) and of
`SWarp -RESAMPLE N -COMBINE_TYPE CLIPPED -NTHREADS 1` (the N direct warps' image planes with their inverse variance
as weight maps), default 16 visits of 4000 x 4000, run alternately R times (default 1) in fresh processes. Prints
every run (wall and CPU seconds), the medians and their ratio (SWarp / ImageCore), then how each coadd treated the
transients.

The inputs are written into DIR (reused when complete; deleted at the end unless --keep), per visit:
- direct/visitNN.fits: an exposure (IMAGE, MASK, VARIANCE; one TAN grid of 0.2"/pixel; no PSF extension): stars
  (the same static scene every visit) through a Gaussian PSF whose FWHM differs per visit (3 to 6 px), a faint smooth
  background, Gaussian noise of sky sigma 4 to 6 ADU plus the stars' Poisson noise (gain 1), the variance plane
  holding the noise's variance;
- matched/visitNN.fits: its PSF-matched warp, what PSF matching makes of it: the same noisy image convolved with the
  Gaussian kernel that takes the visit's PSF to a 9 px FWHM Gaussian (CompareWarpConfig.PsfFwhmWhenAbsent, so the
  missing PSF extension gives CompareWarp the right width), variance convolved with the kernel squared (afw's rule);
- swarp/visitNN.fits and visitNN.weight.fits: the direct warp's IMAGE plane as a single-image file, and 1 / VARIANCE;
- truth/visitNN.npy: the direct warp's noise-free, transient-free image (for the check below).
Transients: a satellite trail (centre line 20 sky sigma) across the whole of one visit, and a moving point source
(an asteroid of 5000 ADU crossing 0.7 of the image's width over the visits: 191 px a visit for 16 of 4000), both in the direct warps and so in the PSF-matched ones.
The check: residuals (coadd - the expected transient-free coadd from truth/, in each coadd's own noise sigma) on
the trail's centre line, on its wings, far from it, and at the asteroid's positions.
"""
import argparse
import json
import os
import shutil
import tempfile

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from scipy import ndimage

from peer_timing import alternate
from time_coadd import tan_header

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))
MATCHED_FWHM = 9.0          # px: CompareWarpConfig.PsfFwhmWhenAbsent, LSSTCam's model PSF
TRAIL_VISIT = 5
TRAIL_PEAK_SIGMAS = 20.0    # the trail's centre line, in its visit's sky sigma
ASTEROID_FLUX = 5000.0      # ADU


def gaussian_kernel1d(sigma):
    """scipy.ndimage.gaussian_filter's kernel (radius int(4 sigma + 0.5)), normalised to sum 1."""
    r = int(4.0 * sigma + 0.5)
    x = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def deposit(grid, x, y, flux):
    """Adds point fluxes at (x, y) (pixel centres at integers) into grid, each shared bilinearly by four pixels."""
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = x - x0, y - y0
    h, w = grid.shape
    for dy, dx, f in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)), (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
        xi, yi = x0 + dx, y0 + dy
        ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        np.add.at(grid, (yi[ok], xi[ok]), (flux * f)[ok])


def trail_line(size):
    """The trail's centre line through its visit: y = a + b x, across the whole image."""
    return 0.125 * size, 0.7


def asteroid_positions(n, size):
    """The asteroid's (x, y) in each visit: from (0.15, 0.45) to (0.85, 0.6) of the image in equal steps."""
    return [(size * (0.15 + 0.7 * k / (n - 1)), size * (0.45 + 0.15 * k / (n - 1))) for k in range(n)]


def paths(directory, n):
    return {
        "direct": [os.path.join(directory, "direct", f"visit{k:02d}.fits") for k in range(n)],
        "matched": [os.path.join(directory, "matched", f"visit{k:02d}.fits") for k in range(n)],
        "swarp": [os.path.join(directory, "swarp", f"visit{k:02d}.fits") for k in range(n)],
        "weight": [os.path.join(directory, "swarp", f"visit{k:02d}.weight.fits") for k in range(n)],
        "truth": [os.path.join(directory, "truth", f"visit{k:02d}.npy") for k in range(n)],
        "meta": os.path.join(directory, "meta.json"),
    }


def write_exposure(path, image, variance, header):
    hdus = [fits.PrimaryHDU(),
            fits.ImageHDU(image, header, name="IMAGE"),
            fits.ImageHDU(np.zeros(image.shape, np.int32), name="MASK"),
            fits.ImageHDU(variance, name="VARIANCE")]
    fits.HDUList(hdus).writeto(path, overwrite=True)


def make_inputs(directory, n, size):
    """Writes every visit's files (see the module's summary) unless they are all there; returns paths() and the meta."""
    p = paths(directory, n)
    if os.path.exists(p["meta"]):
        with open(p["meta"]) as f:
            meta = json.load(f)
        if meta["visits"] == n and meta["size"] == size:
            return p, meta
    for d in ("direct", "matched", "swarp", "truth"):
        os.makedirs(os.path.join(directory, d), exist_ok=True)
    rng = np.random.default_rng(21)
    header = tan_header(size)
    # the static scene: stars (a power law of fluxes, 300 to 2e5 ADU) and a faint smooth background
    nstars = max(1, int(4000 * (size / 4000) ** 2))
    sx, sy = rng.uniform(-10, size + 10, nstars), rng.uniform(-10, size + 10, nstars)
    sflux = np.minimum(300.0 * rng.uniform(0, 1, nstars) ** -1.5, 2e5)
    stars = np.zeros((size, size))
    deposit(stars, sx, sy, sflux)
    yy, xx = np.mgrid[0:size, 0:size]
    background = 2.0 * np.sin(xx / 517.0) * np.cos(yy / 311.0)
    del yy, xx
    fwhm = rng.uniform(3.0, 6.0, n)
    sky_sigma = rng.uniform(4.0, 6.0, n)
    ta, tb = trail_line(size)
    for k in range(n):
        s = fwhm[k] / FWHM_PER_SIGMA
        truth = ndimage.gaussian_filter(stars, s, mode="constant") + background
        np.save(p["truth"][k], truth.astype(np.float32))
        transients = np.zeros((size, size))
        ax, ay = asteroid_positions(n, size)[k]
        deposit(transients, np.array([ax]), np.array([ay]), np.array([ASTEROID_FLUX]))
        if k == TRAIL_VISIT:
            # flux per pixel of length so that the PSF-convolved centre line peaks at TRAIL_PEAK_SIGMAS sky sigma
            per_length = TRAIL_PEAK_SIGMAS * sky_sigma[k] * np.sqrt(2 * np.pi) * s
            step = 0.25
            t = np.arange(-50, size + 50, step / np.sqrt(1 + tb * tb))
            deposit(transients, t, ta + tb * t, np.full(t.shape, per_length * step))
        signal = truth + ndimage.gaussian_filter(transients, s, mode="constant")
        del transients
        variance = sky_sigma[k] ** 2 + np.maximum(signal - background, 0.0)
        image = signal + rng.standard_normal((size, size)) * np.sqrt(variance)
        del signal
        write_exposure(p["direct"][k], image.astype(np.float32), variance.astype(np.float32), header)
        fits.PrimaryHDU(image.astype(np.float32), header).writeto(p["swarp"][k], overwrite=True)
        fits.PrimaryHDU((1.0 / variance).astype(np.float32), header).writeto(p["weight"][k], overwrite=True)
        # PSF matching: the kernel that takes this visit's Gaussian PSF to a MATCHED_FWHM Gaussian
        kern = gaussian_kernel1d(np.sqrt((MATCHED_FWHM / FWHM_PER_SIGMA) ** 2 - s * s))
        m_image = ndimage.correlate1d(ndimage.correlate1d(image, kern, axis=0, mode="nearest"), kern, axis=1, mode="nearest")
        k2 = kern * kern
        m_var = ndimage.correlate1d(ndimage.correlate1d(variance, k2, axis=0, mode="nearest"), k2, axis=1, mode="nearest")
        write_exposure(p["matched"][k], m_image.astype(np.float32), m_var.astype(np.float32), header)
        del image, variance, m_image, m_var
        print(f"visit {k}: PSF FWHM {fwhm[k]:.2f} px, sky sigma {sky_sigma[k]:.2f}{', satellite trail' if k == TRAIL_VISIT else ''}", flush=True)
    meta = {"visits": n, "size": size, "fwhm": fwhm.tolist(), "sky_sigma": sky_sigma.tolist(),
            "trail": {"visit": TRAIL_VISIT, "a": ta, "b": tb, "sigma": fwhm[TRAIL_VISIT] / FWHM_PER_SIGMA},
            "asteroid": asteroid_positions(n, size)}
    with open(p["meta"], "w") as f:
        json.dump(meta, f)
    return p, meta


def regions(meta):
    """Pixel sets (ys, xs) for the check: the trail's centre line (distance <= 1 px), its wings (1.5 to 3 PSF sigma
    from it: below SWarp's clipping threshold), and a control band 200 to 300 px from it; none within 40 px of the
    asteroid's path."""
    size, tr = meta["size"], meta["trail"]
    yy, xx = np.mgrid[0:size, 0:size]
    d = np.abs(yy - (tr["a"] + tr["b"] * xx)) / np.sqrt(1 + tr["b"] ** 2)
    (x0, y0), (x1, y1) = meta["asteroid"][0], meta["asteroid"][-1]
    ux, uy = x1 - x0, y1 - y0
    u = np.clip(((xx - x0) * ux + (yy - y0) * uy) / (ux * ux + uy * uy), 0, 1)
    far = np.hypot(xx - (x0 + u * ux), yy - (y0 + u * uy)) > 40
    s = tr["sigma"]
    out = {"trail centre (<= 1 px)": np.nonzero((d <= 1.0) & far),
           f"trail wings (1.5-3 PSF sigma = {1.5 * s:.1f}-{3 * s:.1f} px)": np.nonzero((d > 1.5 * s) & (d <= 3 * s) & far),
           "control (200-300 px away)": np.nonzero((d > 200) & (d <= 300) & far)}
    return out


def check(p, meta, ours, theirs):
    """Prints the residuals of both coadds (see the module's summary) and the artifacts CompareWarp found."""
    n = meta["visits"]
    with fits.open(ours, memmap=True) as f:
        primary = f[0].header
        weights = np.array([primary[f"WEIGHT{k:03d}"] for k in range(n)])
        nart = [primary.get(f"NART{k:03d}", 0) for k in range(n)]
        ic_image, ic_var = np.asarray(f["IMAGE"].data, np.float64), np.asarray(f["VARIANCE"].data, np.float64)
        clipped = (np.asarray(f["MASK"].data) & (1 << f["MASK"].header["MP_CLIPPED"])) != 0
    with fits.open(theirs, memmap=True) as f:
        sw_full = np.asarray(f[0].data, np.float64)
        sw_wcs = WCS(f[0].header)
    in_wcs = WCS(tan_header(meta["size"]))
    ox, oy = sw_wcs.world_to_pixel(in_wcs.pixel_to_world(0, 0))
    dx, dy = int(round(float(ox))), int(round(float(oy)))
    if abs(ox - dx) > 1e-3 or abs(oy - dy) > 1e-3:
        raise SystemExit(f"SWarp's output grid is off the inputs' by a fraction of a pixel ({ox}, {oy})")
    print(f"artifact pixels rejected per visit (NARTnnn): {nart}; visit {meta['trail']['visit']} has the trail")
    size, tr = meta["size"], meta["trail"]
    yy, xx = np.mgrid[0:size, 0:size]
    near_trail = np.abs(yy - (tr["a"] + tr["b"] * xx)) / np.sqrt(1 + tr["b"] ** 2) <= 30
    near_asteroid = np.zeros((size, size), bool)
    for ax, ay in meta["asteroid"]:
        near_asteroid |= np.hypot(xx - ax, yy - ay) <= 30
    del yy, xx
    print(f"coadd pixels flagged CLIPPED: {int(clipped.sum())}: within 30 px of the trail {int((clipped & near_trail).sum())}, "
          f"of an asteroid position {int((clipped & near_asteroid & ~near_trail).sum())}, elsewhere {int((clipped & ~near_trail & ~near_asteroid).sum())}")
    print(f"ImageCore weights: {', '.join(f'{w:.4f}' for w in weights)}")
    truths = [np.load(t, mmap_mode="r") for t in p["truth"]]
    variances = [fits.open(d, memmap=True)["VARIANCE"].data for d in p["direct"]]

    def residuals(ys, xs):
        t = np.array([tk[ys, xs] for tk in truths], np.float64)
        v = np.array([vk[ys, xs] for vk in variances], np.float64)
        exp_ic = (weights[:, None] * t).sum(0) / weights.sum()
        exp_sw = (t / v).sum(0) / (1 / v).sum(0)
        r_ic = (ic_image[ys, xs] - exp_ic) / np.sqrt(ic_var[ys, xs])
        r_sw = (sw_full[ys + dy, xs + dx] - exp_sw) / np.sqrt(1 / (1 / v).sum(0))
        return r_ic, r_sw

    print(f"{'pixels':48s} {'n':>7s}  {'CompareWarp mean / median':>26s}  {'SWarp CLIPPED mean / median':>28s}   (sigma of each coadd)")
    for name, (ys, xs) in regions(meta).items():
        r_ic, r_sw = residuals(ys, xs)
        print(f"{name:48s} {len(ys):7d}  {r_ic.mean():12.3f} / {np.median(r_ic):8.3f}   {r_sw.mean():13.3f} / {np.median(r_sw):8.3f}")
    pos = np.array(meta["asteroid"])
    ys, xs = np.rint(pos[:, 1]).astype(int), np.rint(pos[:, 0]).astype(int)
    r_ic, r_sw = residuals(ys, xs)
    print(f"{'asteroid (nearest pixel of each position)':48s} {len(ys):7d}  {r_ic.mean():12.3f} / {np.median(r_ic):8.3f}   {r_sw.mean():13.3f} / {np.median(r_sw):8.3f}")
    print("asteroid, per visit: CompareWarp " + ", ".join(f"{r:.2f}" for r in r_ic) + "; SWarp CLIPPED " + ", ".join(f"{r:.2f}" for r in r_sw))
    print(f"asteroid positions below 1 sigma: CompareWarp {int((np.abs(r_ic) < 1).sum())} of {n}, SWarp CLIPPED {int((np.abs(r_sw) < 1).sum())} of {n}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir")
    p.add_argument("--visits", type=int, default=16)
    p.add_argument("--size", type=int, default=4000)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="keep DIR's inputs (deleted at the end otherwise)")
    p.add_argument("--imagecore", default=os.path.join(ROOT, "src", "ImageCore.Cli", "bin", "Release", "net10.0", "imagecore"))
    a = p.parse_args()
    if a.visits <= TRAIL_VISIT:
        raise SystemExit(f"--visits must be more than {TRAIL_VISIT} (visit {TRAIL_VISIT} has the trail)")
    files, meta = make_inputs(a.dir, a.visits, a.size)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out_ic, out_sw = os.path.join(tmp, "imagecore.fits"), os.path.join(tmp, "swarp.fits")
            ours = [a.imagecore, "coadd", "--out", out_ic, "--statistic", "comparewarp", "--threads", "1", *files["direct"],
                    "--psf-matched", *files["matched"]]
            theirs = ["SWarp", *files["swarp"], "-IMAGEOUT_NAME", out_sw, "-WEIGHTOUT_NAME", os.path.join(tmp, "swarp.weight.fits"),
                      "-WEIGHT_TYPE", "MAP_WEIGHT", "-WEIGHT_IMAGE", ",".join(files["weight"]),
                      "-RESAMPLE", "N", "-COMBINE_TYPE", "CLIPPED", "-SUBTRACT_BACK", "N", "-NTHREADS", "1", "-WRITE_XML", "N",
                      "-VERBOSE_TYPE", "QUIET", "-FSCALASTRO_TYPE", "NONE", "-RESAMPLE_DIR", tmp]
            print(f"comparewarp ({a.visits} direct + {a.visits} PSF-matched warps) / CLIPPED ({a.visits} direct warps with weight maps), {a.size} x {a.size}:", flush=True)
            alternate(ours, theirs, "SWarp", a.runs, peer_cwd=tmp, ratio_digits=2, cpu=True)
            check(files, meta, out_ic, out_sw)
    finally:
        if not a.keep:
            shutil.rmtree(a.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
