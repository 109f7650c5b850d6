using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Fits;

/// <summary>Image HDUs written a band of rows at a time (<see cref="FitsWriter.BeginImage{T}"/>) against the same HDUs
/// written whole: the same bytes, checksums included, whatever the order and threads of the bands.</summary>
public class BandWriterTests
{
    private static T[] Random<T>(int n, Random rng, Func<Random, T> next) => Enumerable.Range(0, n).Select(_ => next(rng)).ToArray();

    [Theory]
    [InlineData(1000, 301, 1)]
    [InlineData(37, 29, 4)]
    [InlineData(64, 1, 2)]
    public void Bands_in_any_order_give_the_bytes_of_whole_images(int width, int height, int threads)
    {
        var rng = new Random(width + height);
        var floats = Random(width * height, rng, r => (float)(r.NextDouble() * 1e4 - 10));
        var ints = Random(width * height, rng, r => r.Next());
        var doubles = Random(width * height, rng, r => r.NextDouble());
        var header = new FitsHeader();
        header.Set("EXTNAME", "X");
        using var whole = new MemoryStream();
        using (var w = new FitsWriter(whole, "whole"))
        {
            w.WriteEmpty(header);
            w.WriteImage(header, new ReadOnlySpan2D<float>(floats, height, width));
            w.WriteImage(header, new ReadOnlySpan2D<int>(ints, height, width));
            w.WriteImage(header, new ReadOnlySpan2D<double>(doubles, height, width));
            w.Commit();
        }
        using var dir = new TempDir();
        string path = dir.File("bands.fits");
        using (var w = FitsWriter.Create(path))
        {
            w.WriteEmpty(header);
            var f = w.BeginImage<float>(header, width, height);
            var i = w.BeginImage<int>(header, width, height);
            var d = w.BeginImage<double>(header, width, height);
            // Bands of 1..20 rows, shuffled, written from several threads.
            var bands = new List<(int First, int Rows)>();
            for (int y = 0; y < height;)
            {
                int n = Math.Min(height - y, 1 + rng.Next(20));
                bands.Add((y, n));
                y += n;
            }
            var order = bands.OrderBy(_ => rng.Next()).ToArray();
            Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = threads }, b =>
            {
                f.Write(b.First, new ReadOnlySpan2D<float>(floats, b.First * width, b.Rows, width, 0));
                i.Write(b.First, new ReadOnlySpan2D<int>(ints, b.First * width, b.Rows, width, 0));
                d.Write(b.First, new ReadOnlySpan2D<double>(doubles, b.First * width, b.Rows, width, 0));
            });
            w.Commit();
        }
        Assert.Equal(whole.ToArray(), File.ReadAllBytes(path));
        using var read = FitsFile.Open(path);
        foreach (var hdu in read.Hdus) Assert.True(read.VerifyChecksum(hdu).IsValid);
    }

    [Fact]
    public void A_row_missing_or_written_twice_is_refused_and_leaves_no_file()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.fits");
        var rows = new float[10 * 4];
        using (var w = FitsWriter.Create(path))
        {
            w.WriteEmpty(null);
            var f = w.BeginImage<float>(null, 10, 4);
            f.Write(0, new ReadOnlySpan2D<float>(rows, 2, 10));
            Assert.Throws<ArgumentException>(() => f.Write(1, new ReadOnlySpan2D<float>(rows, 2, 10)));   // row 1 again
            Assert.Throws<ArgumentException>(() => f.Write(3, new ReadOnlySpan2D<float>(rows, 2, 10)));   // past the last row
            Assert.Throws<ArgumentException>(() => f.Write(2, new ReadOnlySpan2D<float>(rows, 1, 9)));    // too narrow
            Assert.Contains("of the 4 rows", Assert.Throws<InvalidOperationException>(() => w.Commit()).Message);
        }
        Assert.Empty(Directory.GetFiles(dir.Path));
        using var w2 = FitsWriter.Create(path);
        Assert.Throws<NotSupportedException>(() => w2.BeginImage<short>(null, 10, 4));
    }

    [Fact]
    public void An_exposure_written_band_by_band_has_the_bytes_of_one_written_whole()
    {
        var rng = new Random(3);
        using var mi = new MaskedImage(301, 77, new Point2I(-5, 12));
        mi.Mask.AddPlane("EXTRA");
        for (int y = 0; y < 77; y++)
            for (int x = 0; x < 301; x++)
                (mi.Image.Pixels[y, x], mi.Variance.Pixels[y, x], mi.Mask.Image.Pixels[y, x]) = ((float)rng.NextDouble(), (float)rng.NextDouble(), rng.Next(1 << 10));
        var metadata = new FitsHeader();
        metadata.Set("DETNAME", "R22_S11");
        metadata.Set("CTYPE1", "RA---TAN");
        metadata.Set("CRPIX1", 10.5);
        using var dir = new TempDir();
        var exposure = new Exposure(mi, metadata);
        ExposureFits.Write(dir.File("whole.fits"), exposure);
        using (var w = ExposureBandWriter.Create(dir.File("bands.fits"), metadata, mi.BBox, mi.Mask.Planes))
        {
            foreach (int y in new[] { 40, 0, 20, 60 })
            {
                int n = Math.Min(20, 77 - y);
                w.WriteBand(y, mi.Image.Pixels.Slice(y, 0, n, 301), mi.Mask.Image.Pixels.Slice(y, 0, n, 301), mi.Variance.Pixels.Slice(y, 0, n, 301));
            }
            w.Commit();
        }
        Assert.Equal(File.ReadAllBytes(dir.File("whole.fits")), File.ReadAllBytes(dir.File("bands.fits")));
    }
}
