/* make_cfitsio.c: FITS files written by cfitsio itself, for ImageCore's interop tests.
 *
 *   gcc -O1 -o make_cfitsio make_cfitsio.c -lcfitsio && ./make_cfitsio OUTDIR
 *
 * OUTDIR/cfitsio_mef.fits: a primary header with every card form cfitsio writes (long string with
 * CONTINUE and LONGSTRN, quotes, logical, 64-bit integer, double, complex, COMMENT/HISTORY, HIERARCH)
 * and one image extension per BITPIX (8, 16, unsigned 16, 32, unsigned 32, 64, -32 with NaN, -64),
 * a binary table in the middle, and CHECKSUM/DATASUM on every HDU.
 * OUTDIR/cfitsio_mef.LONGSTR.txt: LONGSTR as cfitsio's fits_read_key_longstr reads it back.
 * OUTDIR/cfitsio_tiled.fits: a RICE tile-compressed int16 image followed by a plain image.
 * Pixel values come from a fixed linear congruential generator and the checksum comments are fixed
 * text, so the files are byte-for-byte the same on every run.
 */
#include <fitsio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long lcg_state = 20261122ULL;
static unsigned long long lcg(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lcg_state >> 11;
}

static void check(int status, const char *what) {
    if (status) {
        fprintf(stderr, "cfitsio failed at %s: ", what);
        fits_report_error(stderr, status);
        exit(1);
    }
}

/* CHECKSUM/DATASUM by fits_write_chksum, whose comments carry the time of writing; those are then
   set to a fixed text and CHECKSUM recomputed (cfitsio's fits_get_chksum/fits_encode_chksum), so
   the file is the same on every run. */
static void checksum(fitsfile *f, const char *what) {
    int status = 0;
    unsigned long datasum, hdusum;
    char ascii[FLEN_VALUE];
    fits_write_chksum(f, &status);
    fits_modify_comment(f, "DATASUM", "data unit checksum for ImageCore interop tests", &status);
    fits_modify_comment(f, "CHECKSUM", "HDU checksum for ImageCore interop tests", &status);
    fits_modify_key_str(f, "CHECKSUM", "0000000000000000", "&", &status);
    fits_get_chksum(f, &datasum, &hdusum, &status);
    fits_encode_chksum(hdusum, 1, ascii);
    fits_modify_key_str(f, "CHECKSUM", ascii, "&", &status);
    check(status, what);
}

static void image(fitsfile *f, int bitpix, int datatype, const char *name, long nx, long ny, void *data) {
    int status = 0;
    long naxes[2] = {nx, ny};
    fits_create_img(f, bitpix, 2, naxes, &status);
    fits_write_key(f, TSTRING, "EXTNAME", (void *)name, "extension name", &status);
    fits_write_img(f, datatype, 1, nx * ny, data, &status);
    check(status, name);
    checksum(f, name);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: make_cfitsio OUTDIR\n"); return 2; }
    char path[4096];
    int status = 0;
    fitsfile *f;

    snprintf(path, sizeof path, "!%s/cfitsio_mef.fits", argv[1]);
    fits_create_file(&f, path, &status);
    fits_create_img(f, BYTE_IMG, 0, NULL, &status);
    int t = 1, fl = 0;
    LONGLONG big = 9007199254740993LL;
    double real = 6.02214076e23, small = -1.5e-300;
    double cplx[2] = {1.5, -2.0};
    fits_write_key(f, TSTRING, "QUOTED", "it's", "embedded quote", &status);
    fits_write_key(f, TLOGICAL, "LOGT", &t, "true", &status);
    fits_write_key(f, TLOGICAL, "LOGF", &fl, NULL, &status);
    fits_write_key(f, TLONGLONG, "BIGINT", &big, "beyond 2^53", &status);
    fits_write_key(f, TDOUBLE, "REAL", &real, "Avogadro", &status);
    fits_write_key(f, TDOUBLE, "SMALL", &small, NULL, &status);
    fits_write_key(f, TDBLCOMPLEX, "CPLX", cplx, "complex", &status);
    fits_write_key_longwarn(f, &status);   /* LONGSTRN: fitsverify warns without it */
    fits_write_key_longstr(f, "LONGSTR",
        "A long string value written by cfitsio with the CONTINUE convention: it is much longer than the "
        "sixty-eight characters that fit on one card, and contains 'quotes' too.", "long string", &status);
    fits_write_comment(f, "a comment card written by cfitsio", &status);
    fits_write_history(f, "a history card written by cfitsio", &status);
    fits_write_key(f, TSTRING, "HIERARCH MY LONG KEYWORD NAME", "hierarch value", "hierarch", &status);
    check(status, "primary");
    checksum(f, "primary");

    enum { NX = 29, NY = 13, N = NX * NY };
    static unsigned char u8[N]; static short i16[N]; static unsigned short u16[N];
    static int i32[N]; static unsigned int u32[N]; static LONGLONG i64[N];
    static float f32[N]; static double f64[N];
    for (int i = 0; i < N; i++) {
        unsigned long long r = lcg();
        u8[i] = (unsigned char)r; i16[i] = (short)r; u16[i] = (unsigned short)(r >> 7);
        i32[i] = (int)r; u32[i] = (unsigned int)(r >> 3); i64[i] = (LONGLONG)(r * 2654435761ULL);
        f32[i] = (float)((double)(r % 2000003) / 1000.0 - 1000.0); f64[i] = (double)(r % 1000003) * 1e-7;
    }
    i16[0] = -32768; u16[0] = 65535; i32[0] = -2147483647 - 1; u32[0] = 4294967295U;
    f32[1] = NAN; f32[2] = INFINITY; f32[3] = -INFINITY; f64[1] = NAN;

    image(f, BYTE_IMG, TBYTE, "U8", NX, NY, u8);
    image(f, SHORT_IMG, TSHORT, "I16", NX, NY, i16);
    image(f, USHORT_IMG, TUSHORT, "U16", NX, NY, u16);
    image(f, LONG_IMG, TINT, "I32", NX, NY, i32);

    char *ttype[] = {"ID", "FLUX", "NAME"}, *tform[] = {"J", "D", "10A"}, *tunit[] = {"", "Jy", ""};
    fits_create_tbl(f, BINARY_TBL, 3, 3, ttype, tform, tunit, "CATALOG", &status);
    int ids[3] = {1, 2, 3}; double flux[3] = {0.5, 1.5, 2.5}; char *names[3] = {"alpha", "beta", "gamma"};
    fits_write_col(f, TINT, 1, 1, 1, 3, ids, &status);
    fits_write_col(f, TDOUBLE, 2, 1, 1, 3, flux, &status);
    fits_write_col(f, TSTRING, 3, 1, 1, 3, names, &status);
    check(status, "table");
    checksum(f, "table");

    image(f, ULONG_IMG, TUINT, "U32", NX, NY, u32);
    image(f, LONGLONG_IMG, TLONGLONG, "I64", NX, NY, i64);
    image(f, FLOAT_IMG, TFLOAT, "F32", NX, NY, f32);
    image(f, DOUBLE_IMG, TDOUBLE, "F64", NX, NY, f64);
    fits_close_file(f, &status);
    check(status, "close mef");

    /* cfitsio's own reading of the long string, for the test to compare with (astropy 5.2 cuts a
       CONTINUEd string short when a doubled quote falls in a continuation card). */
    snprintf(path, sizeof path, "%s/cfitsio_mef.fits", argv[1]);
    fits_open_file(&f, path, READONLY, &status);
    char *longstr = NULL, comment[FLEN_COMMENT];
    fits_read_key_longstr(f, "LONGSTR", &longstr, comment, &status);
    check(status, "read back LONGSTR");
    snprintf(path, sizeof path, "%s/cfitsio_mef.LONGSTR.txt", argv[1]);
    FILE *txt = fopen(path, "w");
    if (!txt) { perror(path); return 1; }
    fputs(longstr, txt);
    fclose(txt);
    fits_free_memory(longstr, &status);
    fits_close_file(f, &status);
    check(status, "close read-back");

    snprintf(path, sizeof path, "!%s/cfitsio_tiled.fits", argv[1]);
    fits_create_file(&f, path, &status);
    fits_create_img(f, BYTE_IMG, 0, NULL, &status);
    check(status, "tiled primary");
    checksum(f, "tiled primary");
    fits_set_compression_type(f, RICE_1, &status);
    image(f, SHORT_IMG, TSHORT, "COMP", NX, NY, i16);
    fits_set_compression_type(f, 0, &status);
    image(f, FLOAT_IMG, TFLOAT, "AFTER", NX, NY, f32);
    fits_close_file(f, &status);
    check(status, "close tiled");
    return 0;
}
