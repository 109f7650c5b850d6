#!/usr/bin/python3
"""verify_astropy.py FILE: does astropy accept a FITS file (e.g. one ImageCore wrote) without complaint?

Opens FILE with checksum verification, reads the data of every HDU, runs hdul.verify('exception'),
and checks that every CHECKSUM and DATASUM keyword present verifies. Any astropy warning (VerifyWarning,
AstropyUserWarning, ...) counts as a failure. Prints "OK" and exits 0, or prints the problems to stderr
and exits 1.
"""
import sys
import warnings

from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning


def problems(path):
    found = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with fits.open(path, checksum=True) as hdul:
                # verify before reading: once a scaled image is read, astropy sees float data and
                # would call its BLANK keyword invalid.
                hdul.verify("exception")
                for hdu in hdul:
                    _ = hdu.data   # decodes images (compressed ones too), tables and random groups
            # The stored headers and bytes, as CHECKSUM/DATASUM were computed over them.
            with fits.open(path, disable_image_compression=True, do_not_scale_image_data=True) as raw:
                for i, hdu in enumerate(raw):
                    if "CHECKSUM" in hdu.header and hdu.verify_checksum() != 1:
                        found.append(f"HDU {i}: CHECKSUM does not verify")
                    if "DATASUM" in hdu.header and hdu.verify_datasum() != 1:
                        found.append(f"HDU {i}: DATASUM does not verify")
        except Exception as e:   # noqa: BLE001 - any failure to read is the answer
            found.append(f"{type(e).__name__}: {e}")
    for w in caught:
        if issubclass(w.category, (AstropyWarning, UserWarning)):
            found.append(f"{w.category.__name__}: {w.message}")
    return found


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    trouble = problems(sys.argv[1])
    if trouble:
        print("\n".join(trouble), file=sys.stderr)
        sys.exit(1)
    print("OK")
