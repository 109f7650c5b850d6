#!/usr/bin/python3
"""dump_astropy.py FILE OUTDIR: what astropy sees in a FITS file, for ImageCore's interop tests.

Writes OUTDIR/dump.json and, per image HDU with data, OUTDIR/hdu<i>.stored.bin (raw stored values,
no BZERO/BSCALE) and OUTDIR/hdu<i>.physical.bin (astropy's default scaled view: uint=True, BLANK as NaN
in scaled images), both little-endian C order. Header cards come from the file's own headers (tile
compression disabled, so a compressed image shows its BINTABLE header); CONTINUE cards are one card,
HIERARCH keywords appear without the prefix, END is left out.
"""
import json
import os
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.io.fits.card import Undefined


def card_entry(card):
    kw = card.keyword
    value = card.value
    entry = {"keyword": kw, "comment": card.comment}
    if kw in ("COMMENT", "HISTORY", ""):
        entry.update(kind="commentary", value=str(value))
    elif isinstance(value, Undefined) or value is None:   # astropy's UNDEFINED sentinel
        entry.update(kind="undefined", value=None)
    elif isinstance(value, (bool, np.bool_)):
        entry.update(kind="bool", value=bool(value))
    elif isinstance(value, (int, np.integer)):
        entry.update(kind="int", value=int(value))
    elif isinstance(value, (float, np.floating)):
        entry.update(kind="float", value=float(value), text=repr(float(value)))
    elif isinstance(value, (complex, np.complexfloating)):
        entry.update(kind="complex", value=[float(value.real), float(value.imag)])
    elif isinstance(value, str):
        entry.update(kind="str", value=value)
    else:
        raise SystemExit(f"unexpected value type {type(value)} for {kw}")
    return entry


def verdict(code):
    return {0: "bad", 1: "ok", 2: "absent"}[code]


def save(outdir, name, arr):
    arr = np.ascontiguousarray(arr)
    le = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    le.tofile(os.path.join(outdir, name))
    return {"dtype": le.dtype.str, "shape": list(arr.shape), "file": name}


def dump(path, outdir):
    os.makedirs(outdir, exist_ok=True)
    hdus = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # judging the file is verify_astropy.py's job, not this one's
        # raw: the headers as stored (a compressed image's BINTABLE header); stored: pixels without
        # BZERO/BSCALE; physical: astropy's default view (uint=True, BLANK -> NaN when scaled).
        raw = fits.open(path, disable_image_compression=True, do_not_scale_image_data=True, uint=False)
        stored = fits.open(path, do_not_scale_image_data=True, uint=False)
        physical = fits.open(path)
        for i, (r, s, p) in enumerate(zip(raw, stored, physical)):
            entry = {
                "index": i,
                "class": type(s).__name__,
                "extname": r.header.get("EXTNAME"),
                "checksum": verdict(r.verify_checksum()),
                "datasum": verdict(r.verify_datasum()),
                "cards": [card_entry(c) for c in r.header.cards],
                "data": None,
            }
            is_image = isinstance(s, (fits.PrimaryHDU, fits.ImageHDU)) and not isinstance(s, fits.GroupsHDU)
            if is_image and s.data is not None:
                entry["data"] = {
                    "stored": save(outdir, f"hdu{i}.stored.bin", s.data),
                    "physical": save(outdir, f"hdu{i}.physical.bin", p.data),
                }
            hdus.append(entry)
        for hdul in (raw, stored, physical):
            hdul.close()
    with open(os.path.join(outdir, "dump.json"), "w") as f:
        json.dump({"file": path, "hdus": hdus}, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    dump(sys.argv[1], sys.argv[2])
