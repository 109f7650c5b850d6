#!/usr/bin/python3
"""fuzz_cli.py [--imagecore PATH] [--cases N] [--seed S] [--workers W] [--work DIR] [--keep] [--json FILE]

Bad-input fuzzing of the `imagecore` command as an outside tester would do it: thousands of mutated inputs through
`info --json --stats`, `isr` (mutated raws, calibration contents and --config files), `warp` and `coadd`, each in a
fresh process with a time limit. Every case is judged on what the command must never do:

  crash        killed by a signal, or an exit code other than 0, 1 and 2 (70, imagecore's own "internal error", is
               counted apart as a bug);
  stack trace  a .NET stack trace or "Unhandled exception" / "Fatal error" on stderr;
  hang         still running at the time limit (--timeout, default 120 s);
  bad pixel    an exit-0 output exposure with a pixel whose image or variance is not finite, or whose variance is
               negative, and whose mask has none of the bad planes (BAD, SAT, NO_DATA, EDGE, SUSPECT, CR, UNMASKEDNAN);
  left behind  a temporary file in the output directory, or an output file after a failure (outputs are written to a
               temporary name and renamed);
  not one line a failure whose stderr is not exactly one line.

The seed data are made once with the same command (`simulate --scale 8`: two visits of an e2v and an ITL detector,
their calibrations, ISR outputs and warps onto one grid). Mutations are drawn from --seed and the case number, so a
run is reproducible; each failing case's directory is kept under WORK/failures/ with the command line.

--imagecore PATH: the command under test; by default the JIT build's app host (dotnet build -c Release). The native
build (dotnet publish src/ImageCore.Cli -c Release -r linux-x64 -p:PublishAot=true -o DIR) starts 5x faster: DIR/imagecore.
Needs python3-numpy and python3-astropy (Debian).
"""
import argparse
import collections
import concurrent.futures
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
from astropy.io import fits

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BAD_PLANES = ("BAD", "SAT", "NO_DATA", "EDGE", "SUSPECT", "CR", "UNMASKEDNAN")
DETECTORS = ("R22_S11", "R01_S00")
BLOCK = 2880


# ---------------------------------------------------------------------------------------------------------------- FITS
def walk(data):
    """(header_start, header_end, data_start, data_bytes, cards) per HDU of a FITS byte string, as far as it parses."""
    hdus, pos = [], 0
    while pos + BLOCK <= len(data):
        cards, start, end_found = [], pos, False
        while pos + BLOCK <= len(data) and not end_found:
            block = data[pos:pos + BLOCK]
            for i in range(36):
                card = block[i * 80:(i + 1) * 80]
                cards.append((pos + i * 80, card))
                if card[:8] == b"END     ":
                    end_found = True
                    break
            pos += BLOCK
        if not end_found:
            break
        values = {}
        for _, c in cards:
            k = c[:8].decode("ascii", "replace").strip()
            if c[8:10] == b"= " and k not in values:
                v = c[10:].split(b"/")[0].strip()
                try:
                    values[k] = int(v)
                except ValueError:
                    values[k] = v
        try:
            naxis = values.get("NAXIS", 0)
            n = 1 if naxis else 0
            for a in range(1, naxis + 1):
                n *= values["NAXIS%d" % a]
            nbytes = abs(values["BITPIX"]) // 8 * values.get("GCOUNT", 1) * (values.get("PCOUNT", 0) + n)
        except (KeyError, TypeError):
            nbytes = 0
        hdus.append((start, pos, pos, nbytes, cards))
        pos += (nbytes + BLOCK - 1) // BLOCK * BLOCK
        if nbytes < 0 or pos > len(data) + BLOCK * 1000:
            break
    return hdus


def card(keyword, value):
    text = "%-8s= %20s" % (keyword[:8], value) if keyword else ""
    return text.ljust(80)[:80].encode("ascii", "replace")


def set_card(data, offset, text):
    data[offset:offset + 80] = text if isinstance(text, bytes) else card(*text)


def find_card(hdus, keyword, hdu=None):
    found = []
    for i, (_, _, _, _, cards) in enumerate(hdus):
        if hdu is not None and i != hdu:
            continue
        for off, c in cards:
            if c[:8].decode("ascii", "replace").strip() == keyword:
                found.append(off)
    return found


KEYWORD_VALUES = {
    "NAXIS": ["0", "1", "3", "-1", "999", "2.5", "'2'"],
    "NAXIS1": ["0", "1", "-5", "36", "2147483648", "500000000", "99999999999999999999", "1.5", "T"],
    "NAXIS2": ["0", "1", "-5", "3", "2147483648", "400000000", "1.5"],
    "BITPIX": ["8", "16", "32", "64", "-32", "-64", "0", "7", "-16", "99", "'-32'"],
    "BSCALE": ["0", "-1", "1E300", "1E-300", "NaN", "'x'"],
    "BZERO": ["1E300", "-2147483648", "32768", "NaN", "'x'"],
    "BLANK": ["0", "-1", "'x'", "2147483647"],
    "PCOUNT": ["-1", "1000000000", "5"],
    "GCOUNT": ["0", "2", "-1"],
    "EXTNAME": ["'IMAGE'", "'MASK'", "'VARIANCE'", "'Segment10'", "''", "'SEGMENT10'", "5"],
    "XTENSION": ["'BINTABLE'", "'TABLE'", "'FOO'", "'IMAGE   '", "T"],
    "SIMPLE": ["F", "'T'", "1"],
    "CTYPE1": ["'RA---SIN'", "'RA---TAN'", "'GLON-TAN'", "''", "'RA---TAN-SIP'", "5"],
    "CTYPE2": ["'DEC--SIN'", "'GLAT-TAN'", "''", "'DEC--TAN-SIP'"],
    "CRPIX1": ["1E300", "-1E300", "0", "NaN", "'x'", "12345.678"],
    "CRVAL1": ["1E10", "-400", "720", "NaN"],
    "CRVAL2": ["91", "-90", "90", "1E10"],
    "CD1_1": ["1E10", "0", "-1E-15", "1E-12", "NaN", "10", "0.5"],
    "CD2_2": ["1E10", "0", "1E-20", "NaN", "-1"],
    "CD1_2": ["1E10", "1", "-0.0001"],
    "LTV1": ["0.5", "-1E12", "100", "'x'"],
    "LTV2": ["0.5", "-3", "1E12"],
    "DATASEC": ["'[1:0,1:1]'", "'[0:0,0:0]'", "'[1:100000,1:2]'", "'garbage'", "'[3:36,1:250]'", "''", "'[1:4,1:4'"],
    "BIASSEC": ["'[1:0,1:1]'", "'[1:1,1:1]'", "'[1:100000,1:2]'", "'x'"],
    "DETSEC": ["'[1:1,1:1]'", "'[100000:1,1:2]'", "'x'", "'[1:64,1:250]'"],
    "DARKTIME": ["-1", "0", "NaN", "1E300", "'x'"],
    "EXPTIME": ["-1", "0", "NaN", "1E300"],
    "VISIT": ["-1", "'x'", "99999999999"],
    "DETNAME": ["'R99_S99'", "''", "5", "'R22_S12'"],
    "DETECTOR": ["-1", "999", "'x'"],
    "SIMSCALE": ["0", "-8", "3", "100", "'x'"],
    "FILTER": ["'g'", "''", "5"],
    "BAND": ["'g'", "''", "5"],
    "BUNIT": ["'adu'", "''", "'electron'"],
    "MP_NO_DATA": ["31", "-1", "40", "0"],
    "MP_BAD": ["31", "-1", "99", "8"],
    "A_ORDER": ["-1", "100", "'x'"],
    "A_1_1": ["1E300", "NaN"],
    "DATASUM": ["'1'", "'x'", "'99999999999'"],
    "CHECKSUM": ["'0000000000000000'", "'x'"],
}


def mutate_fits(data, rng, family):
    """One or a few mutations of a FITS byte string; returns (bytes, description)."""
    data = bytearray(data)
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if not data:
            break
        hdus = walk(bytes(data))   # again after each mutation: an earlier one may have cut or moved the HDUs
        kind = rng.choice(family)
        if kind == "keyword" and hdus:
            key = rng.choice(sorted(KEYWORD_VALUES))
            offs = find_card(hdus, key)
            if offs:
                off = rng.choice(offs)
                value = rng.choice(KEYWORD_VALUES[key])
                set_card(data, off, (key, value))
                done.append("%s=%s@%d" % (key, value, off))
        elif kind == "remove" and hdus:
            _, _, _, _, cards = rng.choice(hdus)
            off, c = rng.choice(cards[:-1] or cards)
            data[off:off + 80] = b" " * 80
            done.append("removed %s@%d" % (c[:8].decode("ascii", "replace").strip(), off))
        elif kind == "duplicate" and hdus:
            _, _, _, _, cards = rng.choice(hdus)
            src_off, c = rng.choice(cards[:min(len(cards), 8)])
            blanks = [o for o, cc in cards if cc == b" " * 80]
            dst = rng.choice(blanks) if blanks else rng.choice(cards[1:-1] or cards)[0]
            data[dst:dst + 80] = c
            done.append("duplicated %s@%d" % (c[:8].decode("ascii", "replace").strip(), dst))
        elif kind == "nonprintable" and hdus:
            _, _, _, _, cards = rng.choice(hdus)
            off, _ = rng.choice(cards)
            pos = min(off + rng.randrange(80), len(data) - 1)
            data[pos] = rng.choice((0, 9, 10, 13, 27, 127, 200, 255))
            done.append("byte %d at %d" % (data[pos], pos))
        elif kind == "flip":
            region = rng.random()
            if hdus and region < 0.6:
                start, end, _, _, _ = rng.choice(hdus)
                pos = rng.randrange(start, min(end, len(data)))
            else:
                pos = rng.randrange(len(data))
            for k in range(rng.choice((1, 1, 2, 8))):
                if pos + k < len(data):
                    data[pos + k] ^= 1 << rng.randrange(8)
            done.append("flip@%d" % pos)
        elif kind == "truncate":
            choices = [rng.randrange(len(data))]
            if hdus:
                start, end, dstart, nbytes, _ = rng.choice(hdus)
                choices += [end, dstart + nbytes, dstart + nbytes + rng.randrange(1, BLOCK), start + 80 * rng.randrange(36), len(data) - rng.randrange(1, BLOCK)]
            cut = max(0, min(len(data), rng.choice(choices)))
            del data[cut:]
            done.append("truncated to %d" % cut)
        elif kind == "append":
            n = rng.choice((1, 79, 80, 2880, 5000))
            data += bytes(rng.randrange(256) for _ in range(n)) if rng.random() < 0.5 else b"\0" * n
            done.append("appended %d" % n)
        elif kind == "values" and hdus:
            cand = [h for h in hdus if h[3] > 0]
            if cand:
                _, _, dstart, nbytes, _ = rng.choice(cand)
                value = rng.choice((b"\x7f\xc0\x00\x00", b"\x7f\x80\x00\x00", b"\xff\x80\x00\x00", b"\x00\x00\x00\x01", b"\x7f\x7f\xff\xff",
                                    b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x80\x00\x00\x00"))
                n = rng.choice((1, 10, 1000, nbytes // 4))
                start = dstart + 4 * rng.randrange(max(1, nbytes // 4))
                for k in range(n):
                    p = start + 4 * k
                    if p + 4 > dstart + nbytes or p + 4 > len(data):
                        break
                    data[p:p + 4] = value
                done.append("values %s x%d" % (value.hex(), n))
        elif kind == "endcard" and hdus:
            offs = find_card(hdus, "END")
            if offs:
                off = rng.choice(offs)
                data[off:off + 80] = rng.choice((b"END" + b"\0" * 77, b"END     x".ljust(80), b" " * 80, b"ENDX".ljust(80)))
                done.append("END@%d" % off)
    return bytes(data), "; ".join(done) or "unchanged"


# ------------------------------------------------------------------------------------------------------- calibrations
def plane_corruptions(rng):
    return rng.choice([
        ("all", 0.0), ("all", 1e-38), ("all", float("nan")), ("all", float("inf")), ("all", -1.0),
        ("rows", float("nan")), ("columns", float("nan")), ("rows", 0.0), ("columns", float("inf")),
        ("block", 1e-38), ("block", -5.0), ("block", float("-inf")), ("pixels", float("nan")), ("pixels", 0.0),
        ("pixels", 1e38), ("pixels", -1e38), ("pixels", 5e-324),
    ])


def corrupt_exposure(path, out, rng, hdu_names):
    with fits.open(path) as f:
        name = rng.choice([n for n in hdu_names if n in f])
        data = f[name].data.astype(f[name].data.dtype)
        where, value = plane_corruptions(rng)
        if data.dtype.kind == "i":
            value = rng.choice((-1, 0, 2**31 - 1, -2**31))
        h, w = data.shape
        if where == "all":
            data[:] = value
        elif where == "rows":
            data[rng.randrange(h):][:rng.randrange(1, 4)] = value
        elif where == "columns":
            c = rng.randrange(w)
            data[:, c:c + rng.randrange(1, 4)] = value
        elif where == "block":
            y, x = rng.randrange(h), rng.randrange(w)
            data[y:y + rng.randrange(1, h), x:x + rng.randrange(1, w)] = value
        else:
            for _ in range(rng.randrange(1, 50)):
                data[rng.randrange(h), rng.randrange(w)] = value
        f[name].data = data
        f.writeto(out, output_verify="silentfix", checksum=False)
    return "%s %s %s" % (name, where, value)


def mutate_json(text, rng):
    doc = json.loads(text)
    def paths(node, prefix=()):
        yield prefix
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, prefix + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from paths(v, prefix + (i,))
    choice = rng.random()
    if choice < 0.1:
        return rng.choice(["", "{", "[", "null", "42", "\"x\"", "{}", "[]", "\xff\xfe", "{" * 5000 + "}" * 5000]), "garbage"
    all_paths = [p for p in paths(doc) if p]
    p = rng.choice(all_paths)
    node = doc
    for k in p[:-1]:
        node = node[k]
    value = rng.choice([None, 0, -1, 1e300, -1e300, "NaN", "x", [], {}, True, 2**31, 2**63, 1e-320, 0.5, [[1, 2, 3, 4]], [-5, -5, 100000, 100000]])
    if rng.random() < 0.2 and isinstance(node, (dict, list)):
        if isinstance(node, dict):
            del node[p[-1]]
        else:
            node.pop(p[-1])
        return json.dumps(doc), "removed %s" % "/".join(map(str, p))
    node[p[-1]] = value
    return json.dumps(doc), "%s=%r" % ("/".join(map(str, p)), value)


ISR_CONFIG = {
    "AmplifierParameters": ["Calibration", "Camera", "x", 5, None],
    "Overscan": {"Enabled": [True, False, None, 1], "FitType": ["MEDIAN_PER_ROW", "MEAN", "MEDIAN", "MEAN_PER_ROW", "POLY", "Poly", "CHEB", "x", 3, None],
                 "LeadingToSkip": [0, 1, 5, 100, 10000, -1, 2**31 - 1, -2**31, 1.5, "3", None],
                 "TrailingToSkip": [0, 2, 100, 10000, -1, 2**31 - 1, None],
                 "NumSigmaClip": [0, 3, -1, 1e300, "NaN", "Infinity", None], "MaxDeviation": [0, 1000, -5, "NaN", "-Infinity", None],
                 "MaxDeviationPositiveOnly": [True, False, "yes"], "PolynomialOrder": [0, 1, 3, 30, 1000, -1, 2**31 - 1, None]},
    "ParallelOverscan": {"Enabled": [True, False], "SaturationFraction": [0, 0.5, 1, 2, -1, "NaN", 1e300],
                         "SaturationGrow": [0, 1, 100, 100000, -1, 2**31 - 1], "ColumnSmoothingKernel": [1, 3, 4, 0, -1, 101, 10000001, 2**31 - 1],
                         "ColumnRejectThreshold": [0, 3, -1, "NaN", "Infinity"], "ColumnRejectGrow": [0, 2, -1, 2**31 - 1],
                         "SkipOverscanToImageRatio": [0, 1, -1, "NaN"], "SkipImageMedian": [0, 1e5, -1, "NaN"], "Overscan": [None, {}, 5]},
    "Saturation": {"Enabled": [True, False, None]}, "Suspect": {"Enabled": [True, False], "FractionOfSaturation": [0, 0.5, 1, 2, -1, "NaN", 1e300, None]},
    "Crosstalk": {"Enabled": [True, False]}, "Linearity": {"Enabled": [True, False]}, "Gain": {"Enabled": [True, False]},
    "Bias": {"Enabled": [True, False]}, "Dark": {"Enabled": [True, False], "ScaleByDarkTime": [True, False, "x"]},
    "Defects": {"Enabled": [True, False]}, "NanMasking": {"Enabled": [True, False]}, "Variance": {"Enabled": [True, False]},
    "Flat": {"Enabled": [True, False]}, "Interpolation": {"Enabled": [True, False]},
}


def random_config(rng):
    if rng.random() < 0.08:
        return rng.choice(["", "{", "null", "[]", "5", "{\"Flat\": null}", "{\"flat\": {\"enabled\": false}}", "{\"Unknown\": 1}",
                           "{\"Overscan\": {\"FitType\": \"MEDIAN_PER_ROW\", \"Extra\": 1}}", "\x00\x01", "{" * 100 + "}" * 100])
    cfg = {}
    for _ in range(rng.choice((1, 1, 2, 3, 5))):
        section = rng.choice(sorted(ISR_CONFIG))
        spec = ISR_CONFIG[section]
        if isinstance(spec, list):
            cfg[section] = rng.choice(spec)
            continue
        if rng.random() < 0.12:
            cfg[section] = rng.choice([None, 5, "x", [], True])
            continue
        sub = cfg.setdefault(section, {})
        if not isinstance(sub, dict):
            continue
        key = rng.choice(sorted(spec))
        sub[key if rng.random() < 0.9 else key.lower()] = rng.choice(spec[key])
    return json.dumps(cfg)


# ------------------------------------------------------------------------------------------------------------ running
class Harness:
    def __init__(self, args):
        self.imagecore = args.imagecore
        self.work = args.work
        self.timeout = args.timeout
        self.seed = args.seed
        self.keep = args.keep
        self.data = os.path.join(self.work, "seed")

    def run(self, argv, cwd=None):
        start = time.monotonic()
        try:
            p = subprocess.run([self.imagecore] + argv, capture_output=True, timeout=self.timeout, cwd=cwd)
            return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), time.monotonic() - start
        except subprocess.TimeoutExpired:
            return None, "", "", time.monotonic() - start

    def prepare(self):
        """The seed data: raws and calibrations, post-ISR exposures, warps on one grid, plain images."""
        if os.path.exists(os.path.join(self.data, "ready")):
            return
        shutil.rmtree(self.data, ignore_errors=True)
        os.makedirs(self.data)
        sim = os.path.join(self.data, "sim")
        self.must(["simulate", "--out", sim, "--detectors", ",".join(DETECTORS), "--scale", "8", "--visits", "2", "--seed", "3"])
        for v in ("000000", "000001"):
            for d in DETECTORS:
                self.must(["isr", "--raw", os.path.join(sim, "raw", v, d + ".fits"), "--calibs", os.path.join(sim, "calib"),
                           "--out", os.path.join(self.data, "post_%s_%s.fits" % (v, d))])
        grid = os.path.join(self.data, "post_000000_R22_S11.fits")
        for v in ("000000", "000001"):
            self.must(["warp", "--in", os.path.join(self.data, "post_%s_R22_S11.fits" % v), "--out", os.path.join(self.data, "warp_%s.fits" % v),
                       "--like", grid, "--threads", "1"])
        with fits.open(grid) as f:
            hdr = fits.Header()
            for k in ("CTYPE1", "CTYPE2", "CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2", "CD1_1", "CD1_2", "CD2_1", "CD2_2", "RADESYS"):
                if k in f["IMAGE"].header:
                    hdr[k] = f["IMAGE"].header[k]
            fits.PrimaryHDU(f["IMAGE"].data.astype(np.float32), hdr).writeto(os.path.join(self.data, "plain.fits"))
            fits.PrimaryHDU((f["IMAGE"].data * 4).astype(np.int16), hdr).writeto(os.path.join(self.data, "plain16.fits"))
        open(os.path.join(self.data, "ready"), "w").close()

    def must(self, argv):
        code, out, err, _ = self.run(argv)
        if code != 0:
            sys.exit("seed step failed: imagecore %s\n%s%s" % (" ".join(argv), out, err))

    def seed_file(self, name):
        return os.path.join(self.data, name)

    # ------------------------------------------------------------------------------------------------- the cases
    def case(self, index, family):
        rng = random.Random("%d/%d" % (self.seed, index))
        cdir = os.path.join(self.work, "cases", "%05d" % index)
        os.makedirs(cdir)
        try:
            try:
                result = getattr(self, "case_" + family)(rng, cdir)
            except Exception as e:   # a bug of this script, not of imagecore: counted apart, the run goes on
                import traceback
                result = {"argv": [], "code": None, "stderr": traceback.format_exc()[-400:], "what": repr(e), "seconds": 0, "verdicts": ["harness error"]}
            result.update(index=index, family=family)
            if result["verdicts"] and self.keep:
                dest = os.path.join(self.work, "failures", "%05d" % index)
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(cdir, dest, symlinks=True)
                with open(os.path.join(dest, "case.json"), "w") as f:
                    json.dump(result, f, indent=1)
            return result
        finally:
            shutil.rmtree(cdir, ignore_errors=True)

    def judge(self, argv, cdir, outputs, what):
        code, out, err, seconds = self.run(argv)
        verdicts = []
        if code is None:
            verdicts.append("hang")
        elif code < 0 or code not in (0, 1, 2, 70):
            verdicts.append("crash")
        elif code == 70:
            verdicts.append("internal error")
        if "   at " in err or "Unhandled exception" in err or "Fatal error" in err or "Stack overflow" in err or "Exception:" in err and "imagecore: " not in err:
            verdicts.append("stack trace")
        if code not in (0, None) and len([l for l in err.splitlines() if l.strip()]) != 1 and "stack trace" not in verdicts:
            verdicts.append("not one line")
        left = [n for n in os.listdir(cdir) if ".tmp" in n or n.startswith(".")]
        if left:
            verdicts.append("left behind")
        if code not in (0, None):
            if any(os.path.exists(o) for o in outputs):
                verdicts.append("left behind")
        elif code == 0:
            for o in outputs:
                bad = unmasked_bad_pixels(o)
                if bad:
                    verdicts.append("bad pixel")
                    what += " [%s]" % bad
        return {"argv": argv, "code": code, "stderr": err.strip()[:400], "what": what, "seconds": round(seconds, 3), "verdicts": sorted(set(verdicts))}

    def case_info(self, rng, cdir):
        src = rng.choice(["post_000000_R22_S11.fits", "warp_000000.fits", "plain.fits", "plain16.fits", "sim/raw/000000/R01_S00.fits",
                          "sim/calib/flat/r/R22_S11.fits", "sim/truth/000000/R22_S11.cosmics.fits"])
        with open(self.seed_file(src), "rb") as f:
            data, what = mutate_fits(f.read(), rng, ["keyword"] * 5 + ["remove", "duplicate", "nonprintable", "flip", "flip", "truncate", "append", "values", "endcard"])
        path = os.path.join(cdir, "in.fits")
        with open(path, "wb") as f:
            f.write(data)
        r = self.judge(["info", path, "--json", "--stats"], cdir, [], src + ": " + what)
        if r["code"] == 0:
            try:
                json.loads(self.run(["info", path, "--json"])[1])
            except ValueError:
                r["verdicts"].append("invalid json")
        return r

    def calib_dir(self, cdir):
        """A calibration directory of links to the seed's files (a mutation replaces one link with a file)."""
        src = os.path.join(self.data, "sim", "calib")
        dst = os.path.join(cdir, "calib")
        for root, dirs, files in os.walk(src):
            rel = os.path.relpath(root, src)
            os.makedirs(os.path.join(dst, rel), exist_ok=True)
            for name in files:
                os.symlink(os.path.join(root, name), os.path.join(dst, rel, name))
        return dst

    def isr_argv(self, raw, calib, out, config=None):
        argv = ["isr", "--raw", raw, "--calibs", calib, "--out", out, "--threads", "1"]
        return argv + (["--config", config] if config else [])

    def case_isr_config(self, rng, cdir):
        det = rng.choice(DETECTORS)
        text = random_config(rng)
        cfg = os.path.join(cdir, "config.json")
        with open(cfg, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
        out = os.path.join(cdir, "post.fits")
        return self.judge(self.isr_argv(self.seed_file("sim/raw/000000/%s.fits" % det), os.path.join(self.data, "sim", "calib"), out, cfg), cdir, [out], det + " " + text[:200])

    def case_isr_raw(self, rng, cdir):
        det = rng.choice(DETECTORS)
        with open(self.seed_file("sim/raw/000001/%s.fits" % det), "rb") as f:
            data, what = mutate_fits(f.read(), rng, ["keyword"] * 8 + ["remove", "duplicate", "flip", "truncate", "values", "values", "endcard", "append"])
        raw = os.path.join(cdir, "raw.fits")
        with open(raw, "wb") as f:
            f.write(data)
        out = os.path.join(cdir, "post.fits")
        return self.judge(self.isr_argv(raw, os.path.join(self.data, "sim", "calib"), out), cdir, [out], det + " raw: " + what)

    def case_isr_calib(self, rng, cdir):
        det = rng.choice(DETECTORS)
        calib = self.calib_dir(cdir)
        kind = rng.choice(["bias", "dark", "flat/r", "flat/r", "flat/r", "amps", "defects", "crosstalk", "linearity", "fitsbytes", "missing"])
        if kind in ("bias", "dark", "flat/r"):
            target = os.path.join(calib, kind, det + ".fits")
            src = os.readlink(target)
            os.unlink(target)
            what = corrupt_exposure(src, target, rng, ["IMAGE", "IMAGE", "VARIANCE", "MASK"])
        elif kind == "fitsbytes":
            sub = rng.choice(["bias", "dark", "flat/r"])
            target = os.path.join(calib, sub, det + ".fits")
            src = os.readlink(target)
            os.unlink(target)
            with open(src, "rb") as f:
                data, what = mutate_fits(f.read(), rng, ["keyword"] * 4 + ["remove", "flip", "truncate", "values", "duplicate"])
            with open(target, "wb") as f:
                f.write(data)
            what = sub + ": " + what
        elif kind == "missing":
            sub = rng.choice(["bias", "dark", "flat/r", "amps", "crosstalk", "linearity", "defects"])
            target = [os.path.join(calib, sub, n) for n in os.listdir(os.path.join(calib, sub)) if n.startswith(det)][0]
            os.unlink(target)
            if rng.random() < 0.3:
                os.makedirs(target)   # a directory where the file should be
                what = sub + " is a directory"
            else:
                what = sub + " missing"
        else:
            target = os.path.join(calib, kind, det + ".json")
            src = os.readlink(target)
            os.unlink(target)
            with open(src) as f:
                text, what = mutate_json(f.read(), rng)
            with open(target, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            what = kind + ": " + what
        out = os.path.join(cdir, "post.fits")
        return self.judge(self.isr_argv(self.seed_file("sim/raw/000000/%s.fits" % det), calib, out), cdir, [out], det + " " + what)

    def case_warp(self, rng, cdir):
        src = rng.choice(["post_000001_R22_S11.fits", "post_000000_R01_S00.fits", "plain.fits", "plain16.fits"])
        with open(self.seed_file(src), "rb") as f:
            data, what = mutate_fits(f.read(), rng, ["keyword"] * 8 + ["remove", "duplicate", "flip", "truncate", "values", "values"])
        path = os.path.join(cdir, "in.fits")
        with open(path, "wb") as f:
            f.write(data)
        out = os.path.join(cdir, "warp.fits")
        argv = ["warp", "--in", path, "--out", out, "--threads", str(rng.choice((1, 2)))]
        if rng.random() < 0.7:
            argv += ["--like", self.seed_file("post_000000_R22_S11.fits") if rng.random() < 0.9 else path]
        else:
            argv += ["--tract", str(rng.choice((0, 9000, 18937, 18938, -1, 4000))), "--patch", str(rng.choice((0, 44, 99, 100, -1)))]
        if rng.random() < 0.3:
            argv += ["--kernel", rng.choice(["lanczos1", "lanczos5", "lanczos0", "lanczos99", "bilinear", "nearest", "cubic", ""])]
        if rng.random() < 0.2:
            argv += ["--interp-length", str(rng.choice((1, 0, -1, 3, 100000, 2**31 - 1)))]
        return self.judge(argv, cdir, [out], src + ": " + what + " " + " ".join(argv[6:]))

    def case_coadd(self, rng, cdir):
        names = ["warp_000000.fits", "warp_000001.fits"]
        inputs = []
        what = []
        victim = rng.randrange(len(names) + 1)
        for k, name in enumerate(names + [rng.choice(names)]):
            path = os.path.join(cdir, "w%d.fits" % k)
            if k == victim:
                with open(self.seed_file(name), "rb") as f:
                    data, w = mutate_fits(f.read(), rng, ["keyword"] * 8 + ["remove", "flip", "truncate", "values", "values", "values"])
                with open(path, "wb") as f:
                    f.write(data)
                what.append("w%d: %s" % (k, w))
            else:
                os.symlink(self.seed_file(name), path)
            inputs.append(path)
        out = os.path.join(cdir, "coadd.fits")
        statistic = rng.choice(["mean", "meanclip", "median", "mean", "bogus"])
        argv = ["coadd", "--out", out, "--statistic", statistic, "--threads", str(rng.choice((1, 2)))] + inputs
        return self.judge(argv, cdir, [out], "; ".join(what) + " " + statistic)


def unmasked_bad_pixels(path):
    """How many pixels of an output exposure are not finite (image or variance) or have a negative variance without a
    bad mask plane; '' when none, 'not an exposure' (a failure too) when a plane is missing."""
    with fits.open(path, memmap=False) as f:
        if "IMAGE" not in f or "MASK" not in f or "VARIANCE" not in f:
            return "not an exposure"
        image, mask, variance = f["IMAGE"].data, f["MASK"].data, f["VARIANCE"].data
        bits = 0
        for k, v in f["MASK"].header.items():
            if k.startswith("MP_") and k[3:] in BAD_PLANES:
                bits |= 1 << int(v)
        with np.errstate(invalid="ignore"):
            bad = (~np.isfinite(image) | ~np.isfinite(variance) | (variance < 0)) & ((mask & bits) == 0)
        n = int(bad.sum())
        return "%d unmasked non-finite or negative-variance pixels" % n if n else ""


FAMILIES = {"info": 0.28, "isr_config": 0.16, "isr_raw": 0.14, "isr_calib": 0.18, "warp": 0.14, "coadd": 0.10}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--imagecore", default=os.path.join(ROOT, "src", "ImageCore.Cli", "bin", "Release", "net10.0", "imagecore"))
    p.add_argument("--cases", type=int, default=5000)
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--work", default=None, help="working directory (default: a temporary one, deleted at the end)")
    p.add_argument("--keep", action="store_true", help="keep failing cases under WORK/failures/")
    p.add_argument("--json", default=None, help="write the summary and every failing case here")
    a = p.parse_args()
    temp = None
    if a.work is None:
        temp = tempfile.mkdtemp(prefix="imagecore-fuzz-")
        a.work = temp
    try:
        h = Harness(a)
        h.prepare()
        shutil.rmtree(os.path.join(a.work, "cases"), ignore_errors=True)
        plan = []
        for family, share in FAMILIES.items():
            plan += [family] * round(a.cases * share)
        plan = plan[:a.cases] + ["info"] * max(0, a.cases - len(plan))
        random.Random(a.seed).shuffle(plan)
        counts = collections.Counter()
        by_family = collections.defaultdict(collections.Counter)
        failures, results = [], []
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(a.workers) as pool:
            for n, r in enumerate(pool.map(lambda t: h.case(*t), enumerate(plan)), 1):
                results.append(r)
                fam = by_family[r["family"]]
                fam["cases"] += 1
                fam["exit %s" % r["code"]] += 1
                for v in r["verdicts"]:
                    counts[v] += 1
                    fam[v] += 1
                if r["verdicts"]:
                    failures.append(r)
                    print("FAIL %05d %s %s: %s\n    %s" % (r["index"], r["family"], r["verdicts"], r["what"][:300], r["stderr"][:300]), flush=True)
                if n % 500 == 0:
                    print("... %d cases, %d failing, %.0f s" % (n, len(failures), time.monotonic() - start), flush=True)
        elapsed = time.monotonic() - start
        verdict_names = ["crash", "stack trace", "hang", "internal error", "bad pixel", "left behind", "not one line", "invalid json", "harness error"]
        print("\n%d cases in %.0f s (%d workers, seed %d, %s)" % (len(plan), elapsed, a.workers, a.seed, a.imagecore))
        print("| command | cases | exit 0 | exit 1 | exit 2 | " + " | ".join(verdict_names) + " |")
        print("|---|" + "---:|" * (4 + len(verdict_names)))
        for family in FAMILIES:
            f = by_family[family]
            print("| %s | %d | %d | %d | %d | %s |" % (family, f["cases"], f["exit 0"], f["exit 1"], f["exit 2"], " | ".join(str(f[v]) for v in verdict_names)))
        print("| all | %d | %d | %d | %d | %s |" % (len(plan), sum(f["exit 0"] for f in by_family.values()), sum(f["exit 1"] for f in by_family.values()),
                                                    sum(f["exit 2"] for f in by_family.values()), " | ".join(str(counts[v]) for v in verdict_names)))
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"cases": len(plan), "seconds": elapsed, "seed": a.seed, "counts": counts, "by_family": by_family, "failures": failures,
                           "results": sorted(results, key=lambda r: r["index"])}, f, indent=1)
        return 1 if failures else 0
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
