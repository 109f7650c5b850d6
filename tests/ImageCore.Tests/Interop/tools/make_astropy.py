#!/usr/bin/python3
"""make_astropy.py OUTDIR: FITS files written by astropy for ImageCore's interop tests.

Each OUTDIR/<name>.fits is followed by astropy's own dump of it in OUTDIR/<name>/ (dump_astropy.py),
which the C# tests compare ImageCore's reading against. Seeded, and checksums carry a fixed comment
instead of a time stamp, so the files are byte-for-byte the same on every run.
"""
import os
import sys
import warnings

import numpy as np
from astropy.io import fits

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dump_astropy import dump  # noqa: E402

rng = np.random.default_rng(12345)


def image(name, data, **keys):
    h = fits.ImageHDU(data, name=name)
    for k, v in keys.items():
        h.header[k] = v
    return h


def mef():
    p = fits.PrimaryHDU()
    h = p.header
    h["QUOTED"] = ("it's", "embedded quote")
    h["EMPTY"] = ""
    h["LONGSTRN"] = ("OGIP 1.0", "CONTINUE convention used")   # fitsverify warns without it
    # No blank before a chunk boundary: astropy 5.2 reads a chunk ending in "'' &" without the blank
    # before the '&', which the standard keeps (ImageCore keeps it; see HeaderTests).
    h["LONGSTR"] = ("x" * 40 + "'quoted'" + "y" * 150, "a long comment too")
    h["LOGT"] = True
    h["LOGF"] = (False, "false")
    h["BIGINT"] = 9007199254740993
    h["NEGINT"] = -42
    h["REAL1"] = 0.1
    h["REAL2"] = -1.5e-300
    h["REAL3"] = 6.02214076e23
    h["CPLX"] = complex(1.5, -2.0)
    h.append(fits.Card("UNDEF", fits.card.UNDEFINED, "no value"))
    h["COMMENT"] = "a comment card"
    h["HISTORY"] = "a history card"
    h.append(fits.Card("", "blank keyword commentary"))
    h["HIERARCH ESO DET CHIP NAME"] = "chip one"
    h["HIERARCH LSST ISR UNITS"] = ("electron", "units")
    hdus = [p,
            image("U8", rng.integers(0, 256, size=(7, 13)).astype(np.uint8)),
            image("I16", rng.integers(-32768, 32767, size=(17, 33)).astype(np.int16)),
            image("U16", rng.integers(0, 65535, size=(9, 11)).astype(np.uint16)),
            image("I32", rng.integers(-2**31, 2**31 - 1, size=(5, 7)).astype(np.int32))]
    hdus.append(fits.BinTableHDU.from_columns([
        fits.Column(name="N", format="J", array=np.arange(4, dtype=np.int32)),
        fits.Column(name="X", format="D", array=np.linspace(0, 1, 4)),
        fits.Column(name="S", format="8A", array=np.array(["a", "bb", "ccc", "dddd"])),
    ], name="TABLE"))
    hdus.append(image("U32", rng.integers(0, 2**32 - 1, size=(3, 5), dtype=np.uint64).astype(np.uint32)))
    hdus.append(image("I64", rng.integers(-2**62, 2**62, size=(4, 3)).astype(np.int64)))
    f32 = rng.normal(size=(37, 101)).astype(np.float32)
    f32[0, 0], f32[1, 1], f32[2, 2], f32[3, 3] = np.nan, np.inf, -np.inf, -0.0
    hdus.append(image("F32", f32))
    hdus.append(image("F64", rng.normal(size=(6, 8))))
    scaled = fits.ImageHDU(rng.integers(-1000, 1000, size=(5, 6)).astype(np.int16), name="SCALED",
                           do_not_scale_image_data=True)
    scaled.header["BSCALE"] = 2.5
    scaled.header["BZERO"] = -100.0
    hdus.append(scaled)
    blanked = rng.integers(-500, 500, size=(4, 9)).astype(np.int32)
    blanked[1, 2] = blanked[0, 0] = blanked[3, 8] = -999
    bh = fits.ImageHDU(blanked, name="BLANKED", do_not_scale_image_data=True)
    bh.header["BLANK"] = -999
    bh.header["BSCALE"] = 0.5
    bh.header["BZERO"] = 3.0
    hdus.append(bh)
    hdus.append(image("CUBE", rng.normal(size=(3, 4, 5)).astype(np.float32)))
    hdus.append(image("I8", rng.integers(-128, 127, size=(3, 3)).astype(np.int8)))
    hdus.append(image("DUP", np.ones((2, 2), np.float32), EXTVER=1))
    hdus.append(image("DUP", np.full((2, 2), 2, np.float32), EXTVER=2))
    return fits.HDUList(hdus)


def checksummed():
    return fits.HDUList([fits.PrimaryHDU(), image("SCI", rng.normal(size=(10, 12)).astype(np.float32))])


def groups():
    data = fits.GroupData(rng.normal(size=(3, 1, 2, 2)).astype(np.float32), parnames=["P1", "P2"],
                          pardata=[np.arange(3, dtype=np.float32), np.ones(3, np.float32)], bitpix=-32)
    return fits.HDUList([fits.GroupsHDU(data), image("AFTER", np.arange(6, dtype=np.int16).reshape(2, 3))])


def compressed():
    return fits.HDUList([fits.PrimaryHDU(),
                         fits.CompImageHDU(rng.integers(0, 1000, size=(32, 40)).astype(np.int16), name="COMP",
                                           compression_type="RICE_1"),
                         image("AFTER", np.arange(12, dtype=np.float32).reshape(3, 4))])


def ascii_table():
    t = fits.TableHDU.from_columns([fits.Column(name="A", format="I6", array=np.arange(3)),
                                    fits.Column(name="B", format="E12.4", array=np.linspace(1, 2, 3))], name="ASCII")
    return fits.HDUList([fits.PrimaryHDU(), t, image("AFTER", np.arange(4, dtype=np.int32).reshape(2, 2))])


def add_checksums(path):
    """CHECKSUM/DATASUM by astropy on every HDU, as writeto(checksum=True) makes them but with a fixed
    comment in place of the time stamp, so that the file is the same on every run."""
    with fits.open(path, mode="update") as hdul:
        for hdu in hdul:
            hdu.add_checksum(when="checksum for ImageCore interop tests")


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    makers = {"mef": mef, "checksummed": checksummed, "groups": groups, "compressed": compressed,
              "ascii_table": ascii_table}
    for name, make in makers.items():
        path = os.path.join(outdir, name + ".fits")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make().writeto(path, overwrite=True)
        if name == "checksummed":
            add_checksums(path)
        dump(path, os.path.join(outdir, name))
        print("wrote", path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
