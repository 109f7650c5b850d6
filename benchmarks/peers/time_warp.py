#!/usr/bin/python3
"""time_warp.py EXPOSURE GRID [--runs N] [--imagecore PATH] [--mode same|exposure|both]: wall-clock time of
`imagecore warp --threads 1` and of `SWarp -NTHREADS 1 -RESAMPLING_TYPE LANCZOS3` onto the same output grid, run
alternately N times (default 3) in fresh processes. Prints every run, the medians and their ratio (SWarp / ImageCore).

EXPOSURE is an ImageCore exposure with a celestial WCS (a post-ISR detector). SWarp gets its IMAGE plane with the
TAN part of that WCS (SWarp reads no SIP) as a single-image file. With --mode same (the issue's "same input"),
ImageCore warps that same single-image file (the image alone; its output still has IMAGE, MASK and VARIANCE, the
mask marking NO_DATA). With --mode exposure, ImageCore warps the exposure itself (image, mask and variance, TAN-SIP):
more work than SWarp's. --mode both (the default) times both against SWarp. GRID is a FITS image whose header gives
the output grid (NAXIS1/2 and a TAN WCS); SWarp takes it from a .head file next to its output. Both write their
results to a temporary directory; SWarp writes its resampled image and weight map there (COMBINE N).

--imagecore PATH: the command to time; by default the JIT build's app host (dotnet build -c Release). Batch nodes
run the native build the README publishes (dotnet publish src/ImageCore.Cli -c Release -r linux-x64
-p:PublishAot=true -o DIR): pass DIR/imagecore.
"""
import argparse
import os
import tempfile

from astropy.io import fits

from peer_timing import alternate

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("exposure")
    p.add_argument("grid")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--mode", choices=["same", "exposure", "both"], default="both")
    p.add_argument("--imagecore", default=os.path.join(ROOT, "src", "ImageCore.Cli", "bin", "Release", "net10.0", "imagecore"))
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        image = fits.open(a.exposure)["IMAGE"]
        header = fits.Header()
        for k in ("CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2", "CD1_1", "CD1_2", "CD2_1", "CD2_2", "RADESYS"):
            header[k] = image.header[k]
        header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
        swarp_in = os.path.join(tmp, "input.fits")
        fits.PrimaryHDU(image.data, header).writeto(swarp_in)
        grid = fits.getheader(a.grid)
        with open(os.path.join(tmp, "swarp.head"), "w") as f:
            for card in grid.cards:
                if card.keyword not in ("SIMPLE", "BITPIX", "EXTEND", "CHECKSUM", "DATASUM"):
                    f.write(str(card) + "\n")
            f.write("END\n")
        theirs = ["SWarp", swarp_in, "-IMAGEOUT_NAME", os.path.join(tmp, "swarp.fits"), "-WEIGHTOUT_NAME", os.path.join(tmp, "swarp.weight.fits"),
                  "-RESAMPLING_TYPE", "LANCZOS3", "-COMBINE", "N", "-SUBTRACT_BACK", "N", "-NTHREADS", "1", "-WRITE_XML", "N",
                  "-VERBOSE_TYPE", "QUIET", "-FSCALASTRO_TYPE", "NONE", "-RESAMPLE_DIR", tmp]
        inputs = {"same": swarp_in, "exposure": a.exposure}
        for mode in (["same", "exposure"] if a.mode == "both" else [a.mode]):
            print(f"-- imagecore warp --in {'the same single-image file as SWarp' if mode == 'same' else 'the exposure (image, mask, variance; TAN-SIP)'}", flush=True)
            ours = [a.imagecore, "warp", "--in", inputs[mode], "--out", os.path.join(tmp, "imagecore.fits"), "--like", a.grid, "--threads", "1"]
            alternate(ours, theirs, "SWarp", a.runs, peer_cwd=tmp, ratio_digits=2)
        resamp = os.path.join(tmp, "input.resamp.fits")
        if not os.path.exists(resamp) or (fits.getdata(resamp) != 0).mean() < 0.5:
            raise SystemExit("SWarp's resampled image is missing or mostly empty: the grids do not overlap as expected")


if __name__ == "__main__":
    main()
