using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Images;

#pragma warning disable IDE0065 // the alias must be inside the namespace, where Fits would otherwise name ImageCore.Tests.Fits or ImageCore.Fits
using Fits = ImageCore.Fits.Fits;
#pragma warning restore IDE0065

/// <summary>Single images through FITS with their xy0 (<see cref="ImageFits"/>), and
/// <c>writer.WriteImage(header, image)</c> with its type argument inferred.</summary>
public class ImageFitsTests
{
    private static Image<T> Filled<T>(int width, int height, Point2I xy0, Func<int, int, T> value) where T : unmanaged
    {
        var image = new Image<T>(width, height, xy0);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) image.Pixels[y, x] = value(x, y);
        return image;
    }

    private static void AssertSamePixels<T>(Image<T> expected, Image<T> actual) where T : unmanaged, IEquatable<T>
    {
        Assert.Equal(expected.BBox, actual.BBox);
        for (int y = 0; y < expected.Height; y++)
            Assert.True(expected.Pixels.GetRowSpan(y).SequenceEqual(actual.Pixels.GetRowSpan(y)), $"row {y} differs");
    }

    [Fact]
    public void An_image_round_trips_with_its_xy0_and_header()
    {
        using var dir = new TempDir();
        string path = dir.File("image.fits");
        using var image = Filled(7, 5, new Point2I(100, -20), (x, y) => x + 10f * y);
        var header = new FitsHeader();
        header.Set("OBJECT", "field 7");
        header.Set("LTV1", 999);   // stale: the image's xy0 wins
        ImageFits.Write(path, image, header);
        Assert.Equal(999, header.GetInt64("LTV1"));   // the caller's header is not changed

        using var back = ImageFits.Read<float>(path);
        AssertSamePixels(image, back);
        Assert.Equal(new Point2I(100, -20), back.Xy0);
        var h = Fits.ReadHeader(path);
        Assert.Equal("field 7", h.GetString("OBJECT"));
        Assert.Equal((-100L, 20L), (h.GetInt64("LTV1"), h.GetInt64("LTV2")));

        using var byIndex = ImageFits.Read<double>(path, 0);
        Assert.Equal(new Point2I(100, -20), byIndex.Xy0);
        Assert.Equal(16.0, byIndex[106, -19]);
    }

    [Fact]
    public void Xy0_at_the_origin_writes_no_ltv_and_a_file_without_ltv_reads_at_the_origin()
    {
        using var dir = new TempDir();
        string path = dir.File("origin.fits");
        using var image = Filled(3, 2, default, (x, y) => (short)(x - y));
        var header = new FitsHeader();
        header.Set("LTV1", -5);
        header.Set("LTV2", -6);
        ImageFits.Write(path, image, header);
        Assert.False(Fits.ReadHeader(path).Contains("LTV1"));
        using var back = ImageFits.Read<short>(path);
        Assert.Equal(default, back.Xy0);
        AssertSamePixels(image, back);
    }

    [Fact]
    public void WriteImage_infers_the_type_of_float_int_short_and_double_images()
    {
        using var dir = new TempDir();
        string path = dir.File("types.fits");
        using var f32 = Filled(4, 3, new Point2I(1, 2), (x, y) => x * 0.5f + y);
        using var i32 = Filled(4, 3, new Point2I(-3, 4), (x, y) => x * 1000 + y);
        using var i16 = Filled(4, 3, default, (x, y) => (short)(x - 2 * y));
        using var f64 = Filled(4, 3, new Point2I(5, 5), (x, y) => Math.Sqrt(x + y));
        FitsWriter.Write(path, writer =>
        {
            writer.WriteEmpty(null);
            var header = new FitsHeader();
            header.Set("EXTNAME", "Float");
            writer.WriteImage(header, f32);   // no <float>: inferred from Image<float>
            header.Set("EXTNAME", "Int");
            writer.WriteImage(header, i32);
            header.Set("EXTNAME", "Short");
            writer.WriteImage(header, i16);
            header.Set("EXTNAME", "Double");
            writer.WriteImage(header, f64);
        });

        using var file = FitsFile.Open(path);
        Assert.Equal([8, -32, 32, 16, -64], file.Hdus.Select(h => h.Bitpix));
        using (var back = ImageFits.Read<float>(path, "FLOAT")) AssertSamePixels(f32, back);
        using (var back = ImageFits.Read<int>(path, "int")) AssertSamePixels(i32, back);
        using (var back = ImageFits.Read<short>(path, 3)) AssertSamePixels(i16, back);
        using (var back = ImageFits.Read<double>(file, file["Double"])) AssertSamePixels(f64, back);
        using (var first = ImageFits.Read<float>(path)) AssertSamePixels(f32, first);   // empty primary: HDU 1
    }

    [Fact]
    public void Bad_inputs_name_the_file_and_what_was_asked()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.fits");
        using var image = Filled(2, 2, default, (x, y) => (float)x);
        ImageFits.Write(path, image);
        Assert.Contains(path, Assert.Throws<IOException>(() => ImageFits.Write(path, image)).Message);
        ImageFits.Write(path, image, overwrite: true);

        Assert.Contains("nope.fits", Assert.Throws<FileNotFoundException>(() => ImageFits.Read<float>(dir.File("nope.fits"))).Message);
        Assert.Contains("no HDU 1", Assert.Throws<ArgumentOutOfRangeException>(() => ImageFits.Read<float>(path, 1)).Message);
        var name = Assert.Throws<KeyNotFoundException>(() => ImageFits.Read<float>(path, "SCI"));
        Assert.Contains(path, name.Message);
        Assert.Contains("'SCI'", name.Message);
        Assert.Throws<NotSupportedException>(() => ImageFits.Read<int>(path));

        string fractional = dir.File("fractional.fits");
        var header = new FitsHeader();
        header.Set("LTV1", 0.5);
        Fits.WriteImage(fractional, image.Pixels, header);
        var e = Assert.Throws<FitsFormatException>(() => ImageFits.Read<float>(fractional));
        Assert.Equal((fractional, "LTV1"), (e.File, e.Keyword));

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ImageFits.Write(dir.File("cancelled.fits"), image, cancel: cts.Token));
        Assert.False(File.Exists(dir.File("cancelled.fits")));
        Assert.ThrowsAny<OperationCanceledException>(() => ImageFits.Read<float>(path, cts.Token));
    }
}
