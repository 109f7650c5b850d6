using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Memory;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Fits;

// Inside ImageCore.* the name Fits is the namespace; an alias in this namespace reaches the class, as a user's
// `using ImageCore.Fits;` does.
#pragma warning disable IDE0065 // the alias must be inside the namespace, where Fits would otherwise name ImageCore.Tests.Fits or ImageCore.Fits
using Fits = ImageCore.Fits.Fits;
#pragma warning restore IDE0065

/// <summary>The one-call reads and writes of <see cref="Fits"/> (astropy's getdata, getheader, writeto).</summary>
[Collection(ProcessWideCountersCollection.Name)]
public class FitsOneLinerTests
{
    private static string Sample => TestData.File("sample-mef.fits");

    private static float[] Ramp(int n, float scale = 1) => Enumerable.Range(0, n).Select(i => i * scale - 7).ToArray();

    [Fact]
    public void ReadImage_without_an_hdu_takes_the_primary_or_hdu_1_when_the_primary_is_empty()
    {
        using (var plane = Fits.ReadImage<float>(Sample))
        using (var file = FitsFile.Open(Sample))
        using (var expected = file.ReadImage<float>(file[1]))
        {
            Assert.Equal((64, 48), (plane.Width, plane.Height));
            AssertSame(expected, plane);
        }

        using var dir = new TempDir();
        string path = dir.File("primary.fits");
        float[] data = Ramp(6 * 4);
        Fits.WriteImage(path, new ReadOnlySpan2D<float>(data, 4, 6));
        using var primary = Fits.ReadImage<float>(path);
        Assert.Equal(data, Flatten(primary));
    }

    [Fact]
    public void ReadImage_by_index_and_by_name_give_physical_values()
    {
        using var file = FitsFile.Open(Sample);
        using var byIndex = Fits.ReadImage<float>(Sample, 2);
        using var byName = Fits.ReadImage<float>(Sample, "segment10");
        using var unsigned = Fits.ReadImage<ushort>(Sample, "SEGMENT10");
        using var expected = file.ReadImage<float>(file[2]);
        AssertSame(expected, byIndex);
        AssertSame(expected, byName);
        for (int y = 0; y < unsigned.Height; y++)
            for (int x = 0; x < unsigned.Width; x++) Assert.Equal(expected[x, y], (float)unsigned[x, y]);
    }

    [Fact]
    public void ReadHeader_is_getheader()
    {
        var primary = Fits.ReadHeader(Sample);
        Assert.Equal("ImageCore sample", primary.GetString("OBJECT"));
        Assert.True(primary.GetBoolean("SIMPLE"));   // structural keywords included, as astropy's getheader has them
        Assert.Equal(Sample, primary.Source);
        var segment = Fits.ReadHeader(Sample, 2);
        Assert.Equal("SEGMENT10", segment.GetString("EXTNAME"));
        Assert.Equal(2, segment.HduIndex);
        Assert.Equal(segment.Count, Fits.ReadHeader(Sample, "Segment10").Count);
    }

    [Fact]
    public void WriteImage_round_trips_pixels_and_header_and_accepts_planes_and_writable_views()
    {
        using var dir = new TempDir();
        var header = new FitsHeader();
        header.Set("OBJECT", "M31", "target");
        header.AddCommentary("HISTORY", "made by a test");
        short[] data = [1, -2, 3, short.MinValue, short.MaxValue, 0];
        Fits.WriteImage(dir.File("a.fits"), new Span2D<short>(data, 2, 3), header);
        using (var plane = Fits.ReadImage<short>(dir.File("a.fits")))
            Assert.Equal(data, Flatten(plane));
        var h = Fits.ReadHeader(dir.File("a.fits"));
        Assert.Equal(16, h.GetInt32("BITPIX"));
        Assert.Equal("M31", h.GetString("OBJECT"));
        Assert.Equal(["made by a test"], h.Commentary("HISTORY"));

        using var source = new Plane<double>(5, 3);
        source[4, 2] = Math.PI;
        Fits.WriteImage(dir.File("b.fits"), source);
        using var back = Fits.ReadImage<double>(dir.File("b.fits"));
        Assert.Equal(Math.PI, back[4, 2]);
        Assert.Equal(-64, Fits.ReadHeader(dir.File("b.fits")).GetInt32("BITPIX"));
        Assert.Equal(["a.fits", "b.fits"], Directory.GetFileSystemEntries(dir.Path).Select(p => Path.GetFileName(p)).Order().ToArray());
    }

    [Fact]
    public void WriteImage_refuses_an_existing_file_unless_overwrite_is_true()
    {
        using var dir = new TempDir();
        string path = dir.File("exists.fits");
        File.WriteAllText(path, "precious");
        var e = Assert.Throws<IOException>(() => Fits.WriteImage(path, new ReadOnlySpan2D<float>(Ramp(4), 2, 2)));
        Assert.Contains(path, e.Message);
        Assert.Contains("overwrite", e.Message);
        Assert.Equal("precious", File.ReadAllText(path));

        Fits.WriteImage(path, new ReadOnlySpan2D<float>(Ramp(4), 2, 2), overwrite: true);
        using var plane = Fits.ReadImage<float>(path);
        Assert.Equal(Ramp(4), Flatten(plane));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));   // no temporary file left
    }

    [Fact]
    public void A_cancelled_write_leaves_nothing_and_a_cancelled_read_returns_its_plane()
    {
        using var dir = new TempDir();
        string path = dir.File("cancelled.fits");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Fits.WriteImage(path, new ReadOnlySpan2D<float>(Ramp(4), 2, 2), cancel: cts.Token));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));

        long outstanding = PlanePool.Shared.Outstanding;
        Assert.ThrowsAny<OperationCanceledException>(() => Fits.ReadImage<float>(Sample, 1, cts.Token));
        Assert.Equal(outstanding, PlanePool.Shared.Outstanding);
    }

    [Fact]
    public void Bad_inputs_are_typed_exceptions_that_name_the_file_and_what_was_asked()
    {
        using var dir = new TempDir();
        string missing = dir.File("missing.fits");
        Assert.Contains("missing.fits", Assert.Throws<FileNotFoundException>(() => Fits.ReadImage<float>(missing)).Message);
        Assert.Contains("missing.fits", Assert.Throws<FileNotFoundException>(() => Fits.ReadHeader(missing)).Message);

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Fits.ReadImage<float>(Sample, 9));
        Assert.Contains(Sample, range.Message);
        Assert.Contains("no HDU 9", range.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Fits.ReadHeader(Sample, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fits.ReadImage<float>(Sample, -1));

        var name = Assert.Throws<KeyNotFoundException>(() => Fits.ReadImage<float>(Sample, "NOSUCH"));
        Assert.Contains(Sample, name.Message);
        Assert.Contains("'NOSUCH'", name.Message);
        Assert.Contains("'NOSUCH'", Assert.Throws<KeyNotFoundException>(() => Fits.ReadHeader(Sample, "NOSUCH")).Message);

        var table = Assert.Throws<FitsFormatException>(() => Fits.ReadImage<float>(Sample, 3));   // a BINTABLE
        Assert.Equal((Sample, 3, "XTENSION"), (table.File, table.HduIndex, table.Keyword));
        var empty = Assert.Throws<FitsFormatException>(() => Fits.ReadImage<float>(Sample, 0));   // asked for by number
        Assert.Equal((0, "NAXIS"), (empty.HduIndex, empty.Keyword));
        Assert.Contains("holds no pixels", empty.Message);
        Assert.Throws<NotSupportedException>(() => Fits.ReadImage<short>(Sample, "SCIENCE"));   // float data into shorts

        string notFits = dir.File("not.fits");
        File.WriteAllText(notFits, new string('x', 2880));
        Assert.Contains("not.fits", Assert.Throws<FitsFormatException>(() => Fits.ReadImage<float>(notFits)).Message);
    }

    internal static void AssertSame<T>(Plane<T> expected, Plane<T> actual) where T : unmanaged, IEquatable<T>
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (int y = 0; y < expected.Height; y++)
            Assert.True(expected.GetRowSpan(y).SequenceEqual(actual.GetRowSpan(y)), $"row {y} differs");
    }

    internal static T[] Flatten<T>(Plane<T> plane) where T : unmanaged
    {
        var all = new T[plane.Width * plane.Height];
        plane.AsSpan2D().CopyTo(all);
        return all;
    }
}
