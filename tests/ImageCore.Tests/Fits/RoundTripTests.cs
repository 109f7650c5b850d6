using System.Numerics;
using System.Runtime.InteropServices;
using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Fits;

/// <summary>Every BITPIX through ImageCore and back, checked by ImageCore, fitsverify and astropy.</summary>
public class RoundTripTests
{
    private const int W = 37, H = 23;   // odd sizes: ragged rows and vector tails

    private static T[] Data<T>(int seed) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var rng = new Random(seed);
        var data = new T[W * H];
        byte[] bytes = MemoryMarshal.AsBytes(data.AsSpan()).ToArray();
        rng.NextBytes(bytes);
        bytes.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
        data[0] = T.MinValue;
        data[1] = T.MaxValue;
        data[2] = T.Zero;
        data[3] = T.One;
        if (typeof(T) == typeof(float))
        {
            var f = MemoryMarshal.Cast<T, float>(data.AsSpan());
            for (int i = 0; i < f.Length; i++) if (!float.IsFinite(f[i])) f[i] = i;   // random NaN payloads aside
            f[4] = float.NaN; f[5] = float.PositiveInfinity; f[6] = float.NegativeInfinity; f[7] = -0f; f[8] = float.Epsilon;
        }
        if (typeof(T) == typeof(double))
        {
            var d = MemoryMarshal.Cast<T, double>(data.AsSpan());
            for (int i = 0; i < d.Length; i++) if (!double.IsFinite(d[i])) d[i] = i;
            d[4] = double.NaN; d[5] = double.PositiveInfinity; d[6] = double.NegativeInfinity; d[7] = -0.0; d[8] = double.Epsilon;
        }
        return data;
    }

    private static string Write<T>(TempDir dir, T[] data, FitsImageOptions? options = null) where T : unmanaged, INumber<T>
    {
        string path = dir.File($"{typeof(T).Name}.fits");
        using var w = FitsWriter.Create(path);
        var h = new FitsHeader();
        h.Set("OBJECT", "round trip");
        w.WriteEmpty(h);
        var ext = new FitsHeader();
        ext.Set("EXTNAME", "PIXELS");
        w.WriteImage(ext, new ReadOnlySpan2D<T>(data, H, W), options);
        w.Commit();
        return path;
    }

    private static T[] ReadBack<T>(string path, bool scaled = true) where T : unmanaged, INumber<T>
    {
        using var f = FitsFile.Open(path);
        var hdu = f.GetHdu("PIXELS");
        Assert.Equal(new long[] { W, H }, hdu.Axes);
        foreach (var h in f.Hdus) Assert.True(f.VerifyChecksum(h) is { Checksum: true, Datasum: true }, $"checksum of HDU {h.Index}");
        using var plane = f.ReadImage<T>(hdu, scaled);
        var result = new T[W * H];
        plane.AsSpan2D().CopyTo(result);
        return result;
    }

    private static void RoundTrip<T>(int bitpix, double? bzero) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        using var dir = new TempDir();
        T[] data = Data<T>(bitpix * 17 + 3);
        string path = Write(dir, data);
        T[] back = ReadBack<T>(path);
        Assert.Equal(MemoryMarshal.AsBytes(data.AsSpan()).ToArray(), MemoryMarshal.AsBytes(back.AsSpan()).ToArray());
        using (var f = FitsFile.Open(path))
        {
            var hdu = f[1];
            Assert.Equal(bitpix, hdu.Bitpix);
            Assert.Equal(bzero ?? 0, hdu.BZero);
            Assert.Equal(bzero is null, !hdu.Header.Contains("BZERO"));
        }
        Peers.AssertFitsverifyClean(path);
        var dump = AstropyDump.Of(path, dir.File("dump"));
        dump.AssertChecksumsOk();
        var (dtype, shape, bytes) = dump.Data(1, "physical");
        Assert.Equal(new long[] { H, W }, shape);
        Assert.Equal(NumpyDtype<T>(), dtype);
        Assert.Equal(MemoryMarshal.AsBytes(data.AsSpan()).ToArray(), bytes);
        Assert.Equal("round trip", dump.Hdu(0).GetProperty("cards").EnumerateArray().First(c => c.GetProperty("keyword").GetString() == "OBJECT").GetProperty("value").GetString());
    }

    internal static string NumpyDtype<T>() =>
        typeof(T) == typeof(byte) ? "|u1" : typeof(T) == typeof(sbyte) ? "|i1" :
        typeof(T) == typeof(short) ? "<i2" : typeof(T) == typeof(ushort) ? "<u2" :
        typeof(T) == typeof(int) ? "<i4" : typeof(T) == typeof(uint) ? "<u4" :
        typeof(T) == typeof(long) ? "<i8" : typeof(T) == typeof(ulong) ? "<u8" :
        typeof(T) == typeof(float) ? "<f4" : "<f8";

    [SkippableFact] public void Bitpix_8_unsigned_bytes() => RoundTrip<byte>(8, null);
    [SkippableFact] public void Bitpix_8_signed_bytes_via_bzero() => RoundTrip<sbyte>(8, -128);
    [SkippableFact] public void Bitpix_16() => RoundTrip<short>(16, null);
    [SkippableFact] public void Bitpix_16_unsigned_convention() => RoundTrip<ushort>(16, 32768);
    [SkippableFact] public void Bitpix_32() => RoundTrip<int>(32, null);
    [SkippableFact] public void Bitpix_32_unsigned_convention() => RoundTrip<uint>(32, 2147483648.0);
    [SkippableFact] public void Bitpix_64() => RoundTrip<long>(64, null);
    [SkippableFact] public void Bitpix_64_unsigned_convention() => RoundTrip<ulong>(64, 9223372036854775808.0);
    [SkippableFact] public void Bitpix_minus_32_with_nan_inf_and_negative_zero() => RoundTrip<float>(-32, null);
    [SkippableFact] public void Bitpix_minus_64_with_nan_inf_and_negative_zero() => RoundTrip<double>(-64, null);

    [SkippableFact]
    public void Scaled_int16_reads_stored_and_physical_values_exactly()
    {
        using var dir = new TempDir();
        short[] data = Data<short>(99);
        string path = Write(dir, data, new FitsImageOptions { BScale = 2.5, BZero = -100 });
        Assert.Equal(data, ReadBack<short>(path, scaled: false));
        double[] physical = ReadBack<double>(path);
        for (int i = 0; i < data.Length; i++) Assert.Equal(data[i] * 2.5 + -100, physical[i]);
        float[] physicalF = ReadBack<float>(path);
        Peers.AssertFitsverifyClean(path);
        var dump = AstropyDump.Of(path, dir.File("dump"));
        dump.AssertChecksumsOk();
        Assert.Equal(MemoryMarshal.AsBytes(data.AsSpan()).ToArray(), dump.Data(1, "stored").Bytes);
        var (dtype, _, bytes) = dump.Data(1, "physical");
        Assert.Equal("<f4", dtype);   // astropy scales 16-bit integers into float32
        Assert.Equal(MemoryMarshal.AsBytes(physicalF.AsSpan()).ToArray(), bytes);
    }

    [SkippableFact]
    public void Int32_with_blank_reads_nan_for_blank_pixels()
    {
        using var dir = new TempDir();
        int[] data = Data<int>(5);
        data[10] = data[20] = -999;
        string path = Write(dir, data, new FitsImageOptions { Blank = -999, BScale = 1.5, BZero = 3 });
        Assert.Equal(data, ReadBack<int>(path, scaled: false));
        double[] physical = ReadBack<double>(path);
        for (int i = 0; i < data.Length; i++)
            if (data[i] == -999) Assert.True(double.IsNaN(physical[i]));
            else Assert.Equal(data[i] * 1.5 + 3, physical[i]);
        Peers.AssertFitsverifyClean(path);
        var dump = AstropyDump.Of(path, dir.File("dump"));
        var (dtype, _, bytes) = dump.Data(1, "physical");
        Assert.Equal("<f8", dtype);
        double[] astropy = MemoryMarshal.Cast<byte, double>(bytes.AsSpan()).ToArray();
        Assert.Equal(physical, astropy);   // NaN equals NaN here; the NaN payloads differ (numpy +NaN, .NET -NaN)
    }

    [Fact]
    public void Unsigned_file_read_as_other_types_gives_physical_values()
    {
        using var dir = new TempDir();
        ushort[] data = Data<ushort>(11);
        string path = Write(dir, data);
        Assert.Equal(data.Select(v => (int)v), ReadBack<int>(path));
        Assert.Equal(data.Select(v => (double)v), ReadBack<double>(path));
        Assert.Equal(data.Select(v => (short)(v - 32768)), ReadBack<short>(path, scaled: false));
        Assert.Throws<NotSupportedException>(() => ReadBack<short>(path));   // 65535 does not fit
    }

    [Fact]
    public void Cube_and_one_dimensional_axes_round_trip()
    {
        using var dir = new TempDir();
        string path = dir.File("cube.fits");
        float[] cube = Enumerable.Range(0, 5 * 4 * 3).Select(i => (float)i).ToArray();
        using (var w = FitsWriter.Create(path))
        {
            w.WriteImage(null, new ReadOnlySpan2D<float>(cube, 12, 5), new FitsImageOptions { Axes = [5, 4, 3] });
            w.WriteImage(null, new ReadOnlySpan2D<float>(cube, 1, 60), new FitsImageOptions { OneDimensional = true });
            w.Commit();
        }
        using var f = FitsFile.Open(path);
        Assert.Equal(new long[] { 5, 4, 3 }, f[0].Axes);
        Assert.Equal(12, f[0].Height);
        Assert.Equal(new long[] { 60 }, f[1].Axes);
        using var p = f.ReadImage<float>(f[1]);
        Assert.Equal(cube, p.GetRowSpan(0).ToArray());
    }

    [Fact]
    public void A_failed_write_leaves_no_file_under_the_final_name()
    {
        using var dir = new TempDir();
        string path = dir.File("never.fits");
        using (var w = FitsWriter.Create(path))
        {
            w.WriteEmpty(null);
            Assert.Throws<ArgumentException>(() => w.WriteImage(null, new ReadOnlySpan2D<float>(new float[6], 2, 3), new FitsImageOptions { BScale = 2 }));
        }   // disposed without Commit
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [SkippableFact]
    public void Every_header_card_form_ImageCore_writes_reads_identically_in_astropy()
    {
        using var dir = new TempDir();
        string path = dir.File("header.fits");
        var h = new FitsHeader();
        h.Set("QUOTED", "it's 'quoted'", "embedded quotes");
        h.Set("EMPTY", "");
        h.Set("LONGSTR", string.Concat(Enumerable.Repeat("0123456789'", 25)), "a long string over CONTINUE cards");
        h.Set("LOGT", true);
        h.Set("LOGF", false, "false");
        h.Set("BIGINT", 9007199254740993L);
        h.Set("NEGINT", -42);
        h.Set("REAL1", 0.1);
        h.Set("REAL2", -1.5e-300);
        h.Set("REAL3", 6.02214076e23);
        h.Set("CPLX", new FitsComplex(1.5, -2));
        h.AddCommentary("COMMENT", "a comment card");
        h.AddCommentary("HISTORY", "a history card");
        h.AddCommentary("", "blank keyword commentary");
        h.Set("ESO DET CHIP NAME", "chip one");
        h.Set("LSST ISR UNITS", "electron", "units");
        using (var w = FitsWriter.Create(path))
        {
            w.WriteEmpty(h);
            w.Commit();
        }
        using (var f = FitsFile.Open(path))
        {
            var back = f[0].Header;
            foreach (var card in h)
            {
                var got = card.Kind == FitsValueKind.Commentary
                    ? back.First(c => c.Keyword == card.Keyword && c.Kind == FitsValueKind.Commentary)
                    : back.Find(card.Keyword)!;
                Assert.Equal(card.Value, got.Value);
                Assert.Equal(card.Comment, got.Comment);
            }
        }
        Peers.AssertFitsverifyClean(path);
        var dump = AstropyDump.Of(path, dir.File("dump"));
        dump.AssertChecksumsOk();
        ImageCore.Tests.Interop.PeerWrittenFilesTests.CompareFile(path, dump);
        using var f2 = FitsFile.Open(path);
        Assert.Equal("OGIP 1.0", f2[0].Header.GetString("LONGSTRN"));   // announced before the first CONTINUE
        Assert.True(f2[0].Header.IndexOf("LONGSTRN") < f2[0].Header.IndexOf("LONGSTR"));
    }

    [SkippableFact]
    public void An_undefined_value_is_written_as_astropy_reads_it()
    {
        // fitsverify warns about any keyword without a value ("has a null value") although FITS allows it,
        // so this file is checked for errors only.
        using var dir = new TempDir();
        string path = dir.File("undef.fits");
        var h = new FitsHeader();
        h.Set("UNDEF", null, "no value");
        using (var w = FitsWriter.Create(path))
        {
            w.WriteEmpty(h);
            w.Commit();
        }
        var (errors, warnings, report) = Peers.Fitsverify(path);
        Assert.True(errors == 0 && warnings == 1 && report.Contains("UNDEF has a null value"), report);
        var dump = AstropyDump.Of(path, dir.File("dump"));
        dump.AssertChecksumsOk();
        ImageCore.Tests.Interop.PeerWrittenFilesTests.CompareFile(path, dump);
    }
}
