#!/usr/bin/python3
"""make_wcs_reference.py [OUT.json]: reference pixel <-> sky values from astropy.wcs (wcslib) for
ImageCore's WCS tests. Run with Debian's python3-astropy (5.2); writes testdata/wcs/wcs_reference.json.

Headers: hand-written TAN headers (CD; PC + CDELT; CDELT + CROTA2; near the pole; across RA 0; LONPOLE)
and the real TAN-SIP headers that ship with astropy's tests (irac_sip.hdr, siponly.hdr, sip.fits,
sip2.fits). Each header is stored as its 80-character cards, so the tests need neither astropy nor its
data files. For every header: a grid of 0-based pixels over (and a little beyond) the image, their
all_pix2world(origin=0) positions, and all_world2pix(origin=0) of those positions (astropy's iterative
SIP inverse, tolerance 1e-12).
"""
import json
import os
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
import astropy

DATA = os.path.join(os.path.dirname(astropy.__file__), "wcs", "tests", "data")


def card_header(text):
    return fits.Header.fromstring(text, sep="\n")


def tan(name, naxis, cards):
    lines = ["SIMPLE  = T", "BITPIX  = -32", "NAXIS   = 2", f"NAXIS1  = {naxis[0]}", f"NAXIS2  = {naxis[1]}"] + cards
    return name, card_header("\n".join(lines))


def headers():
    yield tan("tan_cd", (4072, 4000), ["CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CRPIX1  = 2036.5", "CRPIX2  = 2000.5",
                                       "CRVAL1  = 53.1", "CRVAL2  = -27.8", "CD1_1   = -5.5555555555556E-05", "CD1_2   = 1.2E-06",
                                       "CD2_1   = 1.1E-06", "CD2_2   = 5.5555555555556E-05", "RADESYS = 'ICRS'"])
    yield tan("tan_pc_cdelt", (2048, 2048), ["CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CRPIX1  = 1000.0", "CRPIX2  = 1100.0",
                                             "CRVAL1  = 210.5", "CRVAL2  = 54.3", "CDELT1  = -0.0002", "CDELT2  = 0.0002",
                                             "PC1_1   = 0.866025403784", "PC1_2   = -0.5", "PC2_1   = 0.5", "PC2_2   = 0.866025403784",
                                             "RADESYS = 'FK5'", "EQUINOX = 2000.0"])
    yield tan("tan_crota2", (1024, 1024), ["CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CRPIX1  = 512.5", "CRPIX2  = 512.5",
                                           "CRVAL1  = 83.63", "CRVAL2  = 22.01", "CDELT1  = -0.00028", "CDELT2  = 0.00028", "CROTA2  = 37.0"])
    yield tan("tan_near_pole", (4000, 4000), ["CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CRPIX1  = 2000.5", "CRPIX2  = 2000.5",
                                              "CRVAL1  = 10.0", "CRVAL2  = 89.7", "CD1_1   = -5.5555555555556E-05", "CD1_2   = 0.0",
                                              "CD2_1   = 0.0", "CD2_2   = 5.5555555555556E-05", "RADESYS = 'ICRS'"])
    yield tan("tan_ra_wrap", (4000, 4000), ["CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CRPIX1  = 2000.5", "CRPIX2  = 2000.5",
                                            "CRVAL1  = 359.95", "CRVAL2  = 1.5", "CD1_1   = -5.5555555555556E-05", "CD1_2   = 0.0",
                                            "CD2_1   = 0.0", "CD2_2   = 5.5555555555556E-05"])
    yield tan("tan_lonpole", (2000, 2000), ["CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CRPIX1  = 1000.5", "CRPIX2  = 1000.5",
                                            "CRVAL1  = 150.0", "CRVAL2  = 2.2", "CD1_1   = -5.5555555555556E-05", "CD1_2   = 0.0",
                                            "CD2_1   = 0.0", "CD2_2   = 5.5555555555556E-05", "LONPOLE = 150.0", "RADESYS = 'ICRS'"])
    for name in ["irac_sip.hdr", "siponly.hdr"]:
        with open(os.path.join(DATA, name), "rb") as f:
            yield name, fits.Header.fromstring(f.read().decode("ascii"))
    for name in ["sip.fits", "sip2.fits"]:
        yield name, fits.getheader(os.path.join(DATA, name))


def main(out):
    cases = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, h in headers():
            w = WCS(h)
            # Header-only files (NAXIS = 0) get an image twice the reference pixel's offset.
            nx = int(h.get("NAXIS1") or 0) or int(round(2 * h["CRPIX1"]))
            ny = int(h.get("NAXIS2") or 0) or int(round(2 * h["CRPIX2"]))
            xs = np.linspace(-0.1 * nx, 1.1 * nx, 13)
            ys = np.linspace(-0.1 * ny, 1.1 * ny, 11)
            px = np.array([(x, y) for y in ys for x in xs])
            sky = w.all_pix2world(px, 0)
            back = w.all_world2pix(sky, 0, tolerance=1e-12, maxiter=100, quiet=True)   # best solution even where it diverges
            cards = [c.image for c in h.cards if c.keyword not in ("COMMENT", "HISTORY", "")]
            cases.append({"name": name, "cards": cards, "pixels": px.tolist(), "sky": sky.tolist(), "back": back.tolist()})
    with open(out, "w") as f:
        json.dump({"astropy": astropy.__version__, "cases": cases}, f, indent=0)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "wcs_reference.json"))
