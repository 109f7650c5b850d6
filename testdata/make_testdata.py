#!/usr/bin/python3
"""Makes the small committed FITS fixtures in this folder with astropy (Debian's python3-astropy).

Run from the repository root:  /usr/bin/python3 testdata/make_testdata.py
Deterministic pixels and cards (fixed numpy seed); only the CHECKSUM comments carry the time of writing.
"""
import os
import numpy as np
from astropy.io import fits

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261122)

# sample-mef.fits: what `imagecore info` is demonstrated on in the README.
primary = fits.PrimaryHDU()
primary.header["OBJECT"] = ("ImageCore sample", "what this file is")
primary.header["TELESCOP"] = "Simonyi Survey Telescope"
primary.header["EXPTIME"] = (30.0, "seconds")
primary.header["HIERARCH LSST ISR UNITS"] = "adu"
primary.header["LONGSTR"] = "a long string that astropy continues over CONTINUE cards " * 3
primary.header["COMMENT"] = "made by testdata/make_testdata.py"

sky = rng.normal(1000.0, 10.0, size=(48, 64)).astype(np.float32)
sky[5, 7] = np.nan
sky[10, 11] = np.inf
img = fits.ImageHDU(sky, name="SCIENCE")

raw = rng.integers(0, 65535, size=(20, 30)).astype(np.uint16)   # unsigned convention: BZERO 32768
amp = fits.ImageHDU(raw, name="SEGMENT10")

table = fits.BinTableHDU.from_columns([
    fits.Column(name="ID", format="J", array=np.arange(5, dtype=np.int32)),
    fits.Column(name="FLUX", format="E", array=rng.normal(size=5).astype(np.float32)),
], name="CATALOG")

blanked = rng.integers(-1000, 1000, size=(7, 9)).astype(np.int32)
blanked[3, 4] = -999999
bh = fits.ImageHDU(blanked, name="BLANKED")
bh.header["BLANK"] = -999999
bh.header["BSCALE"] = 0.5
bh.header["BZERO"] = 10.0

hdul = fits.HDUList([primary, img, amp, table, bh])
hdul.writeto(os.path.join(here, "sample-mef.fits"), overwrite=True, checksum=True)
print("wrote testdata/sample-mef.fits")
