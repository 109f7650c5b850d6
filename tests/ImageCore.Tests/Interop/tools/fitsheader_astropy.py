#!/usr/bin/python3
"""fitsheader_astropy.py make OUTDIR | print FILE [EXT]

make: writes OUTDIR/astropy_mef.fits with astropy (an empty primary with HISTORY, COMMENT, blank cards, a long string
continued over CONTINUE cards, a HIERARCH keyword; an IMAGE extension named 'Segment10' in mixed case; a BINTABLE),
for ImageCore's header command and EXTNAME look-up tests.
print: prints FILE's headers with astropy's own fitsheader script (all HDUs, or extension EXT, a number or a name).
"""
import sys

import numpy as np
from astropy.io import fits
from astropy.io.fits.scripts import fitsheader

sys.dont_write_bytecode = True   # no __pycache__ in the source tree


def make(outdir):
    p = fits.PrimaryHDU()
    h = p.header
    h["OBSERVER"] = ("Vera Rubin", "who")
    h["LONGSTRN"] = ("OGIP 1.0", "CONTINUE convention used")
    h["LONGSTR"] = ("a string long enough to need CONTINUE cards, " * 4, "and a comment")
    h["HIERARCH LSST CAMERA NAME"] = "LSSTCam"
    h["HISTORY"] = "first step"
    h["HISTORY"] = "second step"
    h["COMMENT"] = "a comment card"
    h.append(fits.Card("", "a blank-keyword card"), useblanks=False)
    img = fits.ImageHDU(np.arange(12, dtype=np.int16).reshape(3, 4))
    img.header["EXTNAME"] = "Segment10"   # mixed case kept as written (name= would upper-case it)
    img.header["HISTORY"] = "segment history"
    cols = [fits.Column(name="ID", format="J", array=np.arange(3, dtype=np.int32))]
    table = fits.BinTableHDU.from_columns(cols, name="CATALOG")
    fits.HDUList([p, img, table]).writeto(f"{outdir}/astropy_mef.fits", overwrite=True)


def main(argv):
    if len(argv) == 2 and argv[0] == "make":
        make(argv[1])
    elif len(argv) in (2, 3) and argv[0] == "print":
        fitsheader.main(([] if len(argv) == 2 else ["-e", argv[2]]) + [argv[1]])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
