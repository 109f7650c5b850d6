#!/usr/bin/env bash
# make_cfitsio.sh OUTDIR: build make_cfitsio.c against the system cfitsio, write its files into
# OUTDIR, and dump each with astropy into OUTDIR/<name>/ for the C# comparison.
set -euo pipefail
out=${1:?usage: make_cfitsio.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
gcc -O1 -Wall -o "$out/make_cfitsio" "$here/make_cfitsio.c" -lcfitsio -lm
"$out/make_cfitsio" "$out"
for name in cfitsio_mef cfitsio_tiled; do
  /usr/bin/python3 "$here/dump_astropy.py" "$out/$name.fits" "$out/$name"
done
