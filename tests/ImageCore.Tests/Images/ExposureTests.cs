using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Images;

public class ExposureTests
{
    private static Exposure MakeExposure(int width, int height, Point2I xy0, int seed)
    {
        var rng = new Random(seed);
        var mi = new MaskedImage(width, height, xy0);
        for (int y = 0; y < height; y++)
        {
            var img = mi.Image.Pixels.GetRowSpan(y);
            var msk = mi.Mask.Image.Pixels.GetRowSpan(y);
            var var = mi.Variance.Pixels.GetRowSpan(y);
            for (int x = 0; x < width; x++)
            {
                img[x] = (float)(rng.NextDouble() * 1000 - 100);
                msk[x] = rng.Next(0, 1 << 12);
                var[x] = (float)(rng.NextDouble() * 50);
            }
        }
        mi.Image.Pixels[0, 0] = float.NaN;
        int crosstalk = mi.Mask.AddPlane("CROSSTALK");
        Assert.Equal(11, crosstalk);   // the next free bit after afw's defaults
        Assert.Equal(12, mi.Mask.AddPlane("UNMASKEDNAN"));
        var md = new FitsHeader();
        md.Set("EXPTIME", 30.0, "exposure time (s)");
        md.Set("DETNAME", "R22_S11");
        md.Set("LSST ISR UNITS", "electron");
        return new Exposure(mi, md);
    }

    [Fact]
    public void Default_mask_planes_follow_afw()
    {
        using var m = new Mask(2, 2);
        string[] names = ["BAD", "SAT", "INTRP", "CR", "EDGE", "DETECTED", "DETECTED_NEGATIVE", "SUSPECT", "NO_DATA"];
        for (int i = 0; i < names.Length; i++) Assert.Equal(i, m.GetPlane(names[i]));
        Assert.Equal(3, m.GetBitMask("BAD", "SAT"));
        Assert.Throws<KeyNotFoundException>(() => m.GetPlane("NOPE"));
    }

    [Fact]
    public void Views_are_windows_on_the_parent_not_copies()
    {
        using var img = new Image<float>(10, 8, new Point2I(100, 200));
        var view = img.View(new Box2I(103, 202, 4, 3));
        view[1, 2] = 7f;   // row 1, column 2 of the view
        Assert.Equal(7f, img[105, 203]);
        Assert.Throws<ArgumentOutOfRangeException>(() => img.View(new Box2I(99, 200, 2, 2)));
    }

    [SkippableFact]
    public void Exposure_round_trip_is_exact_and_astropy_sees_the_afw_layout()
    {
        using var dir = new TempDir();
        string path = dir.File("exposure.fits");
        using var original = MakeExposure(53, 41, new Point2I(-7, 4096), 3);
        ExposureFits.Write(path, original);

        using (var back = ExposureFits.Read(path))
        {
            Assert.Equal(original.BBox, back.BBox);
            Assert.Equal(new Point2I(-7, 4096), back.MaskedImage.Xy0);
            Assert.Equal(original.MaskedImage.Image.Pixels.ToArray(), back.MaskedImage.Image.Pixels.ToArray());
            Assert.Equal(original.MaskedImage.Mask.Image.Pixels.ToArray(), back.MaskedImage.Mask.Image.Pixels.ToArray());
            Assert.Equal(original.MaskedImage.Variance.Pixels.ToArray(), back.MaskedImage.Variance.Pixels.ToArray());
            Assert.Equal(original.MaskedImage.Mask.Planes.OrderBy(p => p.Value), back.MaskedImage.Mask.Planes.OrderBy(p => p.Value));
            Assert.Equal(30.0, back.Metadata.GetDouble("EXPTIME"));
            Assert.Equal("R22_S11", back.Metadata.GetString("DETNAME"));
            Assert.Equal("electron", back.Metadata.GetString("LSST ISR UNITS"));
        }

        Peers.AssertFitsverifyClean(path);
        var dump = AstropyDump.Of(path, dir.File("dump"));
        dump.AssertChecksumsOk();
        Assert.Equal(4, dump.HduCount);
        string[] names = ["IMAGE", "MASK", "VARIANCE"];
        string[] dtypes = ["<f4", "<i4", "<f4"];
        for (int i = 0; i < 3; i++)
        {
            var hdu = dump.Hdu(i + 1);
            Assert.Equal("ImageHDU", hdu.GetProperty("class").GetString());
            Assert.Equal(names[i], hdu.GetProperty("extname").GetString());
            var cards = hdu.GetProperty("cards").EnumerateArray().ToDictionary(c => c.GetProperty("keyword").GetString()!, c => c, StringComparer.Ordinal);
            Assert.Equal(names[i], cards["EXTTYPE"].GetProperty("value").GetString());
            Assert.Equal(7, cards["LTV1"].GetProperty("value").GetInt64());
            Assert.Equal(-4096, cards["LTV2"].GetProperty("value").GetInt64());
            var (dtype, shape, _) = dump.Data(i + 1, "physical");
            Assert.Equal(dtypes[i], dtype);
            Assert.Equal(new long[] { 41, 53 }, shape);
            if (i == 1) Assert.Equal(12, cards["MP_UNMASKEDNAN"].GetProperty("value").GetInt64());
        }
        var img = dump.Data(1, "physical").Bytes;
        float[] flat = new float[53 * 41];
        original.MaskedImage.Image.Pixels.CopyTo(flat);
        Assert.Equal(System.Runtime.InteropServices.MemoryMarshal.AsBytes(flat.AsSpan()).ToArray(), img);
    }

    [Fact]
    public void Reading_a_file_without_the_planes_names_what_is_missing()
    {
        using var dir = new TempDir();
        string path = dir.File("plain.fits");
        using (var w = FitsWriter.Create(path))
        {
            w.WriteImage(null, new CommunityToolkit.HighPerformance.ReadOnlySpan2D<float>(new float[4], 2, 2));
            w.Commit();
        }
        var e = Assert.Throws<FitsFormatException>(() => ExposureFits.Read(path));
        Assert.Contains("IMAGE", e.Message);
        Assert.Contains(path, e.Message);
    }
}
