#!/usr/bin/python3
"""Independent numpy solve of the model-PSF-matching kernel (the spec of ImageCore.Warp.ModelPsfMatch, section 2 of
the warp/PSF/coadd reference), for ModelPsfMatchSolveTests.

Small case: a sub-box of 300 x 260 px at (100, 50), grown by 128 px into 128 x 128 cells (4 x 4 = 16 candidates);
the science PSF is a round Gaussian (25 x 25 kernel, sampled at pixel centres, sum 1, stored as float32) whose sigma
varies linearly over the sub-box: sigma = 1.2 + 0.6 (x - 100) / 300 + 0.3 (y - 50) / 260 px. The model is the
GaussianPsfFactory double Gaussian of FWHM 9 px (27 x 27, wing sigma x2.5, amplitude 0.1, float32). Alard-Lupton
basis of 41 px, sigmas 1, 2, 4.5 px, degrees 4, 2, 2 in kernel coordinates u = i / 20; Chebyshev order 2 over the
grown box (as a Box2D: edges at min - 0.5 and max + 0.5); stamps 59 px; the fit uses the 19 x 19 pixels of each
stamp where the 41 x 41 kernel fits. Solved with numpy.linalg.lstsq on the full design matrix (not the normal
equations). Writes psfmatch_reference.json next to this script.

Run: /usr/bin/python3 testdata/psfmatch/make_psfmatch_reference.py
"""
import json
import os
import numpy as np

FWHM_PER_SIGMA = 2.3548200450309493
K = 41
H = K // 2
SIGMAS = [1.0, 2.0, 4.5]
DEGREES = [4, 2, 2]
STAMP = 59
CELL = 128
SUB = (100, 50, 300, 260)  # x0, y0, width, height


def gaussian_image(size, profile):
    c = size // 2
    y, x = np.mgrid[0:size, 0:size]
    r2 = (x - c) ** 2 + (y - c) ** 2
    v = profile(r2.astype(np.float64))
    return (v / v.sum()).astype(np.float32)


def science_sigma(x, y):
    return 1.2 + 0.6 * (x - 100) / 300 + 0.3 * (y - 50) / 260


def basis():
    idx = np.arange(-H, H + 1, dtype=np.float64)
    u = idx / H
    out = []
    for sig, deg in zip(SIGMAS, DEGREES):
        g = np.exp(-0.5 * idx ** 2 / sig ** 2)
        g2 = np.outer(g, g)
        g2 /= g2.sum()
        for d in range(deg + 1):
            for py in range(d + 1):
                px = d - py
                # rows are v (y), columns are u (x)
                out.append(g2 * np.outer(u ** py, u ** px))
    b0 = out[0] / out[0].sum()
    res = [b0]
    eps = np.finfo(np.float32).eps
    for k in out[1:]:
        k = k.copy()
        s = k.sum()
        if abs(s) > eps:
            k = k / s - b0
        k = k / np.sqrt((k * k).sum())
        res.append(k)
    return res


def place(img, size):
    out = np.zeros((size, size), dtype=np.float64)
    n = img.shape[0]
    if n <= size:
        o = (size - n) // 2
        out[o:o + n, o:o + n] = img
    else:
        o = (n - size) // 2
        out[:, :] = img[o:o + size, o:o + size]
    return out


def correlate_valid(stamp, kern):
    n = stamp.shape[0] - K + 1
    out = np.zeros((n, n))
    for j in range(K):
        for i in range(K):
            out += kern[j, i] * stamp[j:j + n, i:i + n]
    return out


def cheb(xn, yn):
    return np.array([1.0, xn, yn, 2 * xn * xn - 1, xn * yn, 2 * yn * yn - 1])


def main():
    x0, y0, w, h = SUB
    gx0, gy0, gw, gh = x0 - CELL, y0 - CELL, w + 2 * CELL, h + 2 * CELL
    cx, cy = gx0 + (gw - 1) / 2.0, gy0 + (gh - 1) / 2.0
    msig = 9.0 / FWHM_PER_SIGMA
    model = gaussian_image(27, lambda r2: np.exp(-r2 / (2 * msig * msig)) + 0.1 * np.exp(-r2 / (2 * (2.5 * msig) ** 2)))
    model_stamp = place(model, STAMP)
    target = model_stamp[H:STAMP - H, H:STAMP - H].ravel()
    B = basis()
    nb = len(B)
    rows, rhs, cands = [], [], []
    for row in range(gh // CELL):
        py = CELL * row + CELL // 2 + gy0
        for col in range(gw // CELL):
            px = CELL * col + CELL // 2 + gx0
            s = science_sigma(px, py)
            sci = place(gaussian_image(25, lambda r2: np.exp(-r2 / (2 * s * s))).astype(np.float64), STAMP)
            conv = np.stack([correlate_valid(sci, b).ravel() for b in B], axis=1)  # (361, 27)
            t = cheb((px - cx) / (gw / 2.0), (py - cy) / (gh / 2.0))
            design = np.zeros((conv.shape[0], 1 + (nb - 1) * 6))
            design[:, 0] = conv[:, 0]
            for b in range(1, nb):
                for k in range(6):
                    design[:, 1 + (b - 1) * 6 + k] = conv[:, b] * t[k]
            rows.append(design)
            rhs.append(target)
            cands.append([px, py, s])
    A = np.vstack(rows)
    y = np.concatenate(rhs)
    coef, res, rank, sv = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    out = {
        "made_by": "testdata/psfmatch/make_psfmatch_reference.py (numpy %s, lstsq on the design matrix)" % np.__version__,
        "sub_box": list(SUB),
        "candidates": cands,
        "rank": int(rank),
        "condition_number_design": float(sv[0] / sv[-1]),
        "residual_rms": float(np.sqrt(np.mean(resid ** 2))),
        "basis_sums": [float(b.sum()) for b in B],
        "basis_center_values": [float(b[H, H]) for b in B],
        "basis_probe": [float(b[H - 3, H + 5]) for b in B],
        "coefficients": [float(c) for c in coef],
    }
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "psfmatch_reference.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("rank", rank, "cond", sv[0] / sv[-1], "rms", out["residual_rms"], "c0", coef[0])


if __name__ == "__main__":
    main()
