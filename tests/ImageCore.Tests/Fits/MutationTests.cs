using System.Diagnostics;
using System.Text;
using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Fits;

/// <summary>
/// Seeded mutations of valid FITS files (header cards and raw bytes): reading the result must either
/// succeed or raise <see cref="FitsFormatException"/>; never another exception type, a hang, or a
/// large allocation.
/// </summary>
public class MutationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] NastyValues =
    [
        "-1", "0", "999999999999999999999", "9223372036854775807", "2147483648", "-2147483649", "1E300", "'text'", "T", "",
        "(1, 2)", "1.5", "'", "''''", "-0", "64", "-33", "3", "1000", "99999", "7.0D0", "/", "= =", "'unterminated",
    ];

    private static readonly string[] Keywords =
    [
        "SIMPLE", "XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "PCOUNT", "GCOUNT", "EXTEND", "BZERO", "BSCALE",
        "BLANK", "EXTNAME", "EXTVER", "END", "GROUPS", "ZIMAGE", "CONTINUE", "HIERARCH", "CHECKSUM", "DATASUM", "COMMENT",
    ];

    /// <summary>Valid fixture files: ImageCore-written MEFs of every BITPIX and an exposure-like layout.</summary>
    private static List<byte[]> Fixtures()
    {
        var list = new List<byte[]>();
        var rng = new Random(42);
        byte[] Make(Action<FitsWriter> body)
        {
            using var ms = new MemoryStream();
            using (var w = new FitsWriter(ms, "fixture")) { body(w); w.Commit(); }
            return ms.ToArray();
        }
        var h = new FitsHeader();
        h.Set("OBJECT", "mutation fixture");
        h.Set("LONGSTR", new string('x', 150));
        h.Set("ESO DET CHIP NAME", "hierarch");
        h.Set("CPLX", new FitsComplex(1, 2));
        h.AddCommentary("HISTORY", "made for the mutation test");
        list.Add(Make(w =>
        {
            w.WriteEmpty(h);
            w.WriteImage(Named("B"), new ReadOnlySpan2D<byte>(Fill<byte>(rng, 30), 5, 6));
            w.WriteImage(Named("S"), new ReadOnlySpan2D<short>(Fill<short>(rng, 28), 4, 7), new FitsImageOptions { BScale = 2, BZero = 5, Blank = 0 });
            w.WriteImage(Named("U"), new ReadOnlySpan2D<ushort>(Fill<ushort>(rng, 9), 3, 3));
            w.WriteImage(Named("I"), new ReadOnlySpan2D<int>(Fill<int>(rng, 40), 8, 5));
            w.WriteImage(Named("L"), new ReadOnlySpan2D<long>(Fill<long>(rng, 6), 2, 3));
            w.WriteImage(Named("F"), new ReadOnlySpan2D<float>(Fill<float>(rng, 77), 7, 11));
            w.WriteImage(Named("D"), new ReadOnlySpan2D<double>(Fill<double>(rng, 12), 3, 4), new FitsImageOptions { Axes = [2, 3, 2] });
        }));
        list.Add(Make(w => w.WriteImage(h, new ReadOnlySpan2D<float>(Fill<float>(rng, 1000), 40, 25))));
        foreach (string f in Directory.Exists(TestData.Dir) ? Directory.GetFiles(TestData.Dir, "*.fits") : [])
            list.Add(File.ReadAllBytes(f));
        return list;
    }

    private static FitsHeader Named(string name)
    {
        var h = new FitsHeader();
        h.Set("EXTNAME", name);
        return h;
    }

    private static T[] Fill<T>(Random rng, int n) where T : unmanaged
    {
        var a = new T[n];
        rng.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
        return a;
    }

    /// <summary>Reads everything in the file: every header, every image's pixels, every checksum.</summary>
    private static void ReadAll(byte[] bytes)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        using var f = new FitsFile(ms, "mutant.fits");
        foreach (var hdu in f.Hdus)
        {
            f.VerifyChecksum(hdu);
            if (hdu.Type == FitsHduType.Image && hdu.PixelCount > 0)
            {
                using var p = f.ReadImage<float>(hdu);
                using var d = f.ReadImage<double>(hdu, scaled: false);
            }
        }
    }

    private static byte[] MutateHeader(byte[] src, Random rng)
    {
        byte[] b = (byte[])src.Clone();
        // Find the card starts of all headers (cards that begin with a keyword before END).
        int cards = b.Length / 80;
        for (int k = 0, edits = rng.Next(1, 4); k < edits; k++)
        {
            int card = rng.Next(Math.Min(cards, 200));
            string kw = rng.Next(3) == 0 ? Encoding.ASCII.GetString(b, card * 80, 8).TrimEnd() : Keywords[rng.Next(Keywords.Length)];
            string text = rng.Next(4) switch
            {
                0 => $"{kw,-8}= {NastyValues[rng.Next(NastyValues.Length)],20}",
                1 => $"{kw,-8}= {NastyValues[rng.Next(NastyValues.Length)]}",
                2 => $"{kw,-8}{NastyValues[rng.Next(NastyValues.Length)]}",
                _ => Encoding.ASCII.GetString(b, card * 80, 80)[..rng.Next(1, 80)],
            };
            byte[] t = Encoding.ASCII.GetBytes(text.PadRight(80)[..80]);
            t.CopyTo(b, card * 80);
        }
        return b;
    }

    private static byte[] MutateBytes(byte[] src, Random rng)
    {
        var b = new List<byte>(src);
        switch (rng.Next(5))
        {
            case 0:   // flip bytes anywhere
                for (int k = rng.Next(1, 8); k > 0; k--) b[rng.Next(b.Count)] ^= (byte)(1 << rng.Next(8));
                break;
            case 1:   // truncate
                return b.GetRange(0, rng.Next(b.Count)).ToArray();
            case 2:   // insert random bytes
                {
                    int at = rng.Next(b.Count), n = rng.Next(1, 200);
                    var junk = new byte[n];
                    rng.NextBytes(junk);
                    b.InsertRange(at, junk);
                    break;
                }
            case 3:   // delete a range
                {
                    int at = rng.Next(b.Count), n = Math.Min(rng.Next(1, 3000), b.Count - at);
                    b.RemoveRange(at, n);
                    break;
                }
            default:  // random byte values in the headers
                for (int k = rng.Next(1, 5); k > 0; k--) b[rng.Next(Math.Min(b.Count, 8640))] = (byte)rng.Next(256);
                break;
        }
        return b.ToArray();
    }

    [Fact]
    public void Verifier_reports_and_never_throws_on_mutants()
    {
        var fixtures = Fixtures();
        foreach (var f in fixtures) Assert.True(FitsVerifier.Verify(new MemoryStream(f), "fixture.fits").Conforms);
        var rng = new Random(20261204);
        int conforming = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 6_000; i++)
        {
            byte[] src = fixtures[rng.Next(fixtures.Count)];
            byte[] mutant = i % 2 == 0 ? MutateHeader(src, rng) : MutateBytes(src, rng);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var report = FitsVerifier.Verify(new MemoryStream(mutant, writable: false), "mutant.fits");
            if (report.Conforms) conforming++;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 32L << 20, $"mutation {i} allocated {allocated} bytes");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "verifier is hanging");
        }
        output.WriteLine($"6000 mutants verified in {clock.Elapsed.TotalSeconds:F2} s: {conforming} conform");
        Assert.True(conforming < 3000, $"{conforming} of 6000 mutants conform: the verifier should reject most");
    }

    [Fact]
    public void Ten_thousand_mutations_raise_only_FitsFormatException()
    {
        var fixtures = Fixtures();
        foreach (var f in fixtures) ReadAll(f);   // the unmutated fixtures are valid
        var rng = new Random(20261122);
        int ok = 0, rejected = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 12_000; i++)
        {
            byte[] src = fixtures[rng.Next(fixtures.Count)];
            byte[] mutant = i % 2 == 0 ? MutateHeader(src, rng) : MutateBytes(src, rng);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                ReadAll(mutant);
                ok++;
            }
            catch (FitsFormatException e)
            {
                Assert.False(string.IsNullOrEmpty(e.File));
                rejected++;
            }
            catch (Exception e)
            {
                File.WriteAllBytes(Path.Combine(Path.GetTempPath(), $"imagecore-mutant-{i}.fits"), mutant);
                Assert.Fail($"mutation {i} raised {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 32L << 20, $"mutation {i} allocated {allocated} bytes");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "mutation test is hanging");
        }
        output.WriteLine($"{ok + rejected} mutants in {clock.Elapsed.TotalSeconds:F2} s: {ok} read fine, {rejected} raised FitsFormatException");
        Assert.True(rejected > 1000 && ok > 100, $"{ok} read fine, {rejected} rejected: the mutations should exercise both");
    }
}
