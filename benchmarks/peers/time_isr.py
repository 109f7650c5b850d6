#!/usr/bin/python3
"""time_isr.py RAW CALIBDIR [--runs N] [--imagecore PATH]: wall-clock time of `imagecore isr` and of
ccdproc_isr.py on the same raw, run alternately N times (default 7) in fresh processes, each writing its
output to a temporary directory. Prints every run, the medians and their ratio (ccdproc / imagecore).

Both times are whole processes as an operator would see them: interpreter or runtime start-up, reading
the raw and the master calibrations, ISR, and writing the result (ImageCore writes image, mask and
variance; the ccdproc script writes the image only). The files are read once before timing so that
both find them in the page cache.
"""
import argparse
import os
import sys
import tempfile

from peer_timing import alternate

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("raw")
    p.add_argument("calibdir")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--imagecore", default=os.path.join(ROOT, "src", "ImageCore.Cli", "bin", "Release", "net10.0", "imagecore"))
    a = p.parse_args()
    for root, _, files in os.walk(a.calibdir):
        for f in files:
            with open(os.path.join(root, f), "rb") as h:
                while h.read(1 << 24):
                    pass
    with tempfile.TemporaryDirectory() as tmp:
        ours = [a.imagecore, "isr", "--raw", a.raw, "--calibs", a.calibdir, "--out", os.path.join(tmp, "imagecore.fits")]
        theirs = [sys.executable, os.path.join(HERE, "ccdproc_isr.py"), a.raw, a.calibdir, os.path.join(tmp, "ccdproc.fits")]
        alternate(ours, theirs, "ccdproc", a.runs, peer_cwd=None, ratio_digits=1)


if __name__ == "__main__":
    main()
