#!/usr/bin/python3
"""Agreement of `imagecore verify` with cfitsio's fitsverify on a seeded corpus of mutated FITS files.

Seeds: files written by astropy (with and without CHECKSUM/DATASUM; images, a binary table), by ImageCore
(`imagecore simulate`: an LSSTCam raw of 17 HDUs and a truth mask), and testdata/sample-mef.fits. Mutations are
those an outside tester would make: byte changes in headers and data, truncations at many offsets (inside headers,
data and the final padding), duplicated, removed and reordered mandatory keywords, stale checksums, non-printable
bytes in END and other cards, bad values, changed NAXISn/BITPIX, junk in the header fill, extra trailing bytes.

Each mutant is checked by `fitsverify` (timeout per file; a hang is counted apart and left out of the agreement)
and by `imagecore verify --json` (files in batches). The verdict compared is error vs no error: fitsverify's
error count (a file it cannot open at all counts as an error), ImageCore's "ok". Prints the confusion table and
every disagreement; --out writes them as JSON.

  /usr/bin/python3 tests/fuzz/verify_agreement.py --imagecore src/ImageCore.Cli/bin/Release/net10.0/imagecore \
      --count 1200 --seed 17 [--out results.json]
"""
import argparse, json, os, random, re, shutil, subprocess, sys, tempfile, time

import numpy as np
from astropy.io import fits

BLOCK, CARD = 2880, 80
MANDATORY = ["SIMPLE", "XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "PCOUNT", "GCOUNT", "EXTEND", "TFIELDS", "TFORM1"]
NASTY = ["-1", "0", "999999999999999999999", "2147483648", "1E300", "'text'", "T", "F", "", "(1, 2)", "1.5", "'",
         "''''", "-0", "64", "-33", "3", "1000", "7.0D0", "1.0e5", "ABC", "'unterminated", "12 junk", "+8", "16.0"]


# ---------------------------------------------------------------------------------------------- seeds
def seeds(workdir, imagecore, repo):
    out = []
    rng = np.random.default_rng(5)
    def astropy_mef(checksum):
        p = os.path.join(workdir, f"astropy_mef_{int(checksum)}.fits")
        prim = fits.PrimaryHDU()
        prim.header["OBJECT"] = "mutation seed"
        prim.header["EXPTIME"] = 30.0
        sci = fits.ImageHDU(rng.normal(100, 10, (40, 50)).astype(np.float32), name="SCI")
        sci.header["BUNIT"] = "adu"
        seg = fits.ImageHDU(rng.integers(0, 60000, (20, 30)).astype(np.uint16), name="SEG")
        fits.HDUList([prim, sci, seg]).writeto(p, overwrite=True, checksum=checksum)
        out.append(p)
    def astropy_table(checksum):
        p = os.path.join(workdir, f"astropy_table_{int(checksum)}.fits")
        cols = [fits.Column("ID", "J", array=np.arange(30, dtype=np.int32)),
                fits.Column("FLUX", "E", array=rng.normal(size=30).astype(np.float32)),
                fits.Column("RA", "D", array=rng.uniform(0, 360, 30)),
                fits.Column("FLAGS", "I", array=np.arange(30, dtype=np.int16)),
                fits.Column("BIG", "K", array=np.arange(30, dtype=np.int64))]
        tab = fits.BinTableHDU.from_columns(cols, name="CAT")
        img = fits.ImageHDU(rng.integers(-1000, 1000, (7, 9)).astype(np.int32), name="BLANKED")
        img.header["BLANK"] = -999999
        fits.HDUList([fits.PrimaryHDU(), tab, img]).writeto(p, overwrite=True, checksum=checksum)
        out.append(p)
    for c in (True, False):
        astropy_mef(c)
        astropy_table(c)
    out.append(os.path.join(repo, "testdata", "sample-mef.fits"))
    sim = os.path.join(workdir, "sim")
    subprocess.run([imagecore, "simulate", "--out", sim, "--detectors", "R22_S11", "--scale", "8", "--seed", "1"],
                   check=True, capture_output=True)
    out.append(os.path.join(sim, "raw", "000000", "R22_S11.fits"))
    out.append(os.path.join(sim, "truth", "000000", "R22_S11.cosmics.fits"))
    return out


# ---------------------------------------------------------------------------------------------- layout of a valid seed
def hdus(b):
    """[(header_offset, cards (list of 80-byte bytes, END excluded), data_offset, padded_data_length)]"""
    res, pos = [], 0
    while pos < len(b):
        cards, p = [], pos
        while True:
            card = bytes(b[p:p + CARD]); p += CARD
            if card[:8] == b"END     ": break
            cards.append(card)
        data = (p - pos + BLOCK - 1) // BLOCK * BLOCK + pos
        kv = {c[:8].decode().strip(): c[10:].split(b"/")[0].strip().decode() for c in cards if c[8:10] == b"= "}
        naxis = int(kv["NAXIS"])
        n = 1 if naxis else 0
        for i in range(naxis): n *= int(kv[f"NAXIS{i + 1}"])
        size = abs(int(kv["BITPIX"])) // 8 * int(kv.get("GCOUNT", 1)) * (int(kv.get("PCOUNT", 0)) + n) if naxis else 0
        padded = (size + BLOCK - 1) // BLOCK * BLOCK
        res.append((pos, cards, data, padded, size))
        pos = data + padded
    return res


def rebuild(b, layout, index, cards):
    """The file with HDU `index`'s header replaced by `cards` (+ END, blank-padded to whole blocks)."""
    h0, _, d0, _, _ = layout[index]
    head = b"".join(cards) + b"END".ljust(CARD)
    head += b" " * ((-len(head)) % BLOCK)
    return bytes(b[:h0]) + head + bytes(b[d0:])


def card(text):
    return text.ljust(CARD).encode("latin1")[:CARD]


def fixed(key, value):
    return card(f"{key:<8}= {value:>20}")


# ---------------------------------------------------------------------------------------------- mutations
def mutate(rng, b):
    """One mutant of the bytes `b`: (label, bytes)."""
    lay = hdus(b)
    i = rng.randrange(len(lay))
    h0, cards, d0, padded, size = lay[i]
    kind = rng.choices(
        ["header_byte", "header_printable", "header_bitflip", "data_byte", "truncate", "truncate_padding",
         "dup_mandatory", "remove_mandatory", "swap_cards", "stale_checksum", "nonprint_end", "nonprint_card",
         "bad_value", "extra_bytes", "naxisn", "bitpix", "fill_junk", "lowercase_key", "unjustify", "data_padding"],
        weights=[6, 8, 6, 6, 6, 5, 6, 4, 4, 5, 4, 4, 8, 4, 5, 3, 3, 2, 3, 3])[0]
    b = bytearray(b)
    if kind in ("header_byte", "header_printable", "header_bitflip"):
        at = h0 + rng.randrange((len(cards) + 1) * CARD)
        old = b[at]
        b[at] = rng.randrange(256) if kind == "header_byte" else rng.randrange(32, 127) if kind == "header_printable" else old ^ (1 << rng.randrange(8))
        return f"{kind} HDU {i} byte {at} 0x{old:02X}->0x{b[at]:02X}", bytes(b)
    if kind == "data_byte":
        if size == 0: return mutate(rng, bytes(b))
        at = d0 + rng.randrange(size)
        b[at] ^= 1 << rng.randrange(8)
        return f"data_byte HDU {i} byte {at}", bytes(b)
    if kind == "data_padding":
        if padded == size: return mutate(rng, bytes(b))
        at = d0 + size + rng.randrange(padded - size)
        b[at] = rng.choice([1, 32, 255])
        return f"data_padding HDU {i} byte {at} = 0x{b[at]:02X}", bytes(b)
    if kind == "truncate":
        n = rng.randrange(1, len(b))
        return f"truncate at {n} of {len(b)}", bytes(b[:n])
    if kind == "truncate_padding":
        last = lay[-1]
        if last[3] == last[4]:
            n = rng.choice([len(b) - BLOCK, len(b) - 1, len(b) - CARD])
        else:
            n = last[2] + last[4] + rng.randrange(last[3] - last[4])
        return f"truncate_padding at {n} of {len(b)}", bytes(b[:n])
    if kind == "dup_mandatory":
        mand = [c for c in cards if c[:8].decode().strip() in MANDATORY]
        c = rng.choice(mand)
        new = list(cards)
        new.insert(rng.randrange(len(mand), len(new) + 1), c if rng.random() < 0.7 else fixed(c[:8].decode().strip(), rng.choice(["0", "1", "2", "T", "8"])))
        return f"dup_mandatory HDU {i} {c[:8].decode().strip()}", rebuild(b, lay, i, new)
    if kind == "remove_mandatory":
        idx = [k for k, c in enumerate(cards) if c[:8].decode().strip() in MANDATORY and k > 0]
        k = rng.choice(idx)
        new = cards[:k] + cards[k + 1:]
        return f"remove_mandatory HDU {i} {cards[k][:8].decode().strip()}", rebuild(b, lay, i, new)
    if kind == "swap_cards":
        k = rng.randrange(min(len(cards), 10) - 1)
        j = k + 1 if rng.random() < 0.6 else rng.randrange(len(cards))
        new = list(cards)
        new[k], new[j] = new[j], new[k]
        return f"swap_cards HDU {i} cards {k + 1},{j + 1}", rebuild(b, lay, i, new)
    if kind == "stale_checksum":
        new = list(cards)
        new.insert(len(new), card("STALE   = 'added after the checksum'"))
        return f"stale_checksum HDU {i}", rebuild(b, lay, i, new)
    if kind == "nonprint_end":
        at = h0 + len(cards) * CARD + rng.randrange(3, CARD)
        b[at] = rng.choice([0, 1, 9, 10, 127, 200])
        return f"nonprint_end HDU {i} column {at - h0 - len(cards) * CARD + 1} = 0x{b[at]:02X}", bytes(b)
    if kind == "nonprint_card":
        k = rng.randrange(len(cards))
        at = h0 + k * CARD + rng.randrange(CARD)
        b[at] = rng.choice([0, 1, 9, 10, 13, 127, 128, 233, 255])
        return f"nonprint_card HDU {i} card {k + 1} byte {at} = 0x{b[at]:02X}", bytes(b)
    if kind == "bad_value":
        k = rng.randrange(min(len(cards), 12))
        key = cards[k][:8].decode().strip()
        if not key or cards[k][8:10] != b"= ": return mutate(rng, bytes(b))
        v = rng.choice(NASTY)
        new = list(cards)
        new[k] = fixed(key, v) if rng.random() < 0.6 else card(f"{key:<8}= {v}")
        return f"bad_value HDU {i} {key} = {v}", rebuild(b, lay, i, new)
    if kind == "extra_bytes":
        n = rng.choice([1, 79, 80, 2879, 2880, 5760])
        fill = rng.choice([b"\0", b" ", b"X"])
        return f"extra_bytes {n} x {fill!r}", bytes(b) + fill * n
    if kind == "naxisn":
        idx = [k for k, c in enumerate(cards) if re.fullmatch(r"NAXIS\d+", c[:8].decode().strip())]
        if not idx: return mutate(rng, bytes(b))
        k = rng.choice(idx)
        old = int(cards[k][10:30])
        v = rng.choice([old + 1, old - 1, old + 10, 0, old * 2, 1, 10 ** 9])
        new = list(cards)
        new[k] = fixed(cards[k][:8].decode().strip(), str(max(v, 0)))
        return f"naxisn HDU {i} {cards[k][:8].decode().strip()} {old}->{v}", rebuild(b, lay, i, new)
    if kind == "bitpix":
        v = rng.choice(["8", "16", "32", "64", "-32", "-64", "24", "0"])
        new = list(cards)
        new[1] = fixed("BITPIX", v)
        return f"bitpix HDU {i} {v}", rebuild(b, lay, i, new)
    if kind == "fill_junk":
        free = (BLOCK - ((len(cards) + 1) * CARD) % BLOCK) % BLOCK
        if free == 0: return mutate(rng, bytes(b))
        at = h0 + (len(cards) + 1) * CARD + rng.randrange(free)
        b[at] = rng.choice([0, ord("X"), ord("="), 10])
        return f"fill_junk HDU {i} byte {at}", bytes(b)
    if kind == "lowercase_key":
        k = rng.randrange(len(cards))
        at = h0 + k * CARD + rng.randrange(8)
        if not (65 <= b[at] <= 90): return mutate(rng, bytes(b))
        b[at] += 32
        return f"lowercase_key HDU {i} card {k + 1}", bytes(b)
    if kind == "unjustify":
        k = rng.randrange(min(len(cards), 9))
        c = cards[k]
        if c[8:10] != b"= ": return mutate(rng, bytes(b))
        val = c[10:].split(b"/")[0].strip().decode()
        new = list(cards)
        new[k] = card(f"{c[:8].decode()}= {val}")
        return f"unjustify HDU {i} {c[:8].decode().strip()}", rebuild(b, lay, i, new)
    raise AssertionError(kind)


# ---------------------------------------------------------------------------------------------- the two tools
def fitsverify(path, timeout):
    try:
        r = subprocess.run(["fitsverify", path], capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang", []
    out = r.stdout + r.stderr
    errors = [l.strip() for l in out.splitlines() if l.startswith("*** Error")]
    m = re.search(r"found (\d+) warning\(s\) and (\d+) error\(s\)", out)
    if m is None: return "error", errors or ["(no summary: fitsverify could not open the file)"]
    return ("error" if int(m.group(2)) > 0 else "ok"), errors


def imagecore_verify(imagecore, paths):
    r = subprocess.run([imagecore, "verify", "--json", *paths], capture_output=True, text=True, timeout=600)
    if r.returncode not in (0, 2): raise RuntimeError(f"imagecore verify exited {r.returncode}: {r.stderr}")
    return {o["file"]: o for o in json.loads(r.stdout)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--imagecore", default=os.path.join(repo, "src/ImageCore.Cli/bin/Debug/net10.0/imagecore"))
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per file for fitsverify")
    ap.add_argument("--batch", type=int, default=60)
    ap.add_argument("--out", help="write the results (confusion table, disagreements, hangs) as JSON")
    ap.add_argument("--keep", help="copy disagreeing mutants into this directory")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="verify-agreement-", dir="/tmp")
    try:
        seed_files = seeds(work, args.imagecore, repo)
        seed_bytes = [open(p, "rb").read() for p in seed_files]
        rng = random.Random(args.seed)
        table = {("error", "error"): 0, ("error", "ok"): 0, ("ok", "error"): 0, ("ok", "ok"): 0}
        disagreements, hangs, t_fv, t_ic = [], [], 0.0, 0.0
        corpus = os.path.join(work, "corpus")
        done = 0
        while done < args.count:
            os.makedirs(corpus, exist_ok=True)
            batch = []
            for j in range(min(args.batch, args.count - done)):
                s = rng.randrange(len(seed_bytes))
                label, data = mutate(rng, seed_bytes[s])
                p = os.path.join(corpus, f"m{done + j:05d}.fits")
                open(p, "wb").write(data)
                batch.append((p, f"{os.path.basename(seed_files[s])}: {label}"))
            t = time.perf_counter()
            ic = imagecore_verify(args.imagecore, [p for p, _ in batch])
            t_ic += time.perf_counter() - t
            for p, label in batch:
                t = time.perf_counter()
                fv, fv_errors = fitsverify(p, args.timeout)
                t_fv += time.perf_counter() - t
                if fv == "hang":
                    hangs.append(label)
                    continue
                mine = "ok" if ic[p]["ok"] else "error"
                table[(fv, mine)] += 1
                if fv != mine:
                    disagreements.append({"mutant": os.path.basename(p), "mutation": label, "fitsverify": fv,
                                          "fitsverify_errors": fv_errors[:4],
                                          "imagecore_errors": [f["message"] for f in ic[p]["findings"] if f["severity"] == "error"][:4]})
                    if args.keep:
                        os.makedirs(args.keep, exist_ok=True)
                        shutil.copy(p, args.keep)
            done += len(batch)
            shutil.rmtree(corpus)
        judged = sum(table.values())
        agree = table[("error", "error")] + table[("ok", "ok")]
        print(f"corpus: {done} mutants of {len(seed_files)} seeds, --seed {args.seed}")
        print(f"fitsverify hung (> {args.timeout:g} s) on {len(hangs)}; judged {judged}")
        print(f"                       imagecore error   imagecore ok")
        print(f"  fitsverify error     {table[('error', 'error')]:>15}   {table[('error', 'ok')]:>12}")
        print(f"  fitsverify ok        {table[('ok', 'error')]:>15}   {table[('ok', 'ok')]:>12}")
        print(f"agreement: {agree}/{judged} = {100.0 * agree / max(judged, 1):.2f}%")
        print(f"time: fitsverify {t_fv:.1f} s, imagecore verify {t_ic:.1f} s")
        for d in disagreements:
            print(f"- {d['mutant']} {d['mutation']}: fitsverify {d['fitsverify']} {d['fitsverify_errors']}; imagecore {d['imagecore_errors']}")
        for h in hangs: print(f"- fitsverify hung: {h}")
        if args.out:
            with open(args.out, "w") as f:
                json.dump({"count": done, "seed": args.seed, "seeds": [os.path.basename(p) for p in seed_files],
                           "confusion": {f"fitsverify_{a}/imagecore_{b}": n for (a, b), n in table.items()},
                           "agreement": agree / max(judged, 1), "hangs": hangs, "disagreements": disagreements}, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
