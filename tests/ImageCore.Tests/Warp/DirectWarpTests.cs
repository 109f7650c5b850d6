using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Tests.Support;
using ImageCore.Warp;

namespace ImageCore.Tests.Warp;

public class DirectWarpTests
{
    private const double Scale = 1.0 / 3600;

    /// <summary>A constant-valued detector exposure whose pixel (0, 0) sits <paramref name="offsetX"/> pixels east of
    /// the target grid's pixel (0, 0) (same pixel scale and orientation as the target).</summary>
    private static string Detector(TempDir dir, string name, float value, float variance, double offsetX, int width = 40, int height = 30)
    {
        var mi = new MaskedImage(width, height);
        mi.Image.Pixels.Fill(value);
        mi.Variance.Pixels.Fill(variance);
        var md = new FitsHeader();
        md.Set("DETNAME", name);
        md.Set("VISIT", 7L);
        new SkyWcs((-offsetX, 0), (10, 0), new double[,] { { -Scale, 0 }, { 0, Scale } }).WriteTo(md);
        string path = dir.File(name + ".fits");
        using var exposure = new Exposure(mi, md);
        ExposureFits.Write(path, exposure);
        return path;
    }

    private static WarpTarget Grid() => new(100, 30, new SkyWcs((0, 0), (10, 0), new double[,] { { -Scale, 0 }, { 0, Scale } }), "test grid");

    [Fact]
    public void Later_detectors_overwrite_earlier_ones_and_the_inputs_are_recorded()
    {
        using var dir = new TempDir();
        string a = Detector(dir, "R22_S00", 10, 1, 0), b = Detector(dir, "R22_S01", 20, 4, 30);
        string output = dir.File("warp.fits");
        var result = DirectWarp.Run(7, 9813, 45, [a, b], Grid(), new WarpConfig(), output);
        using var warp = ExposureFits.Read(output);
        var mi = warp.MaskedImage;
        int noData = mi.Mask.GetBitMask("NO_DATA");
        // Interior of A only, the overlap (B wins), interior of B only, and beyond both.
        Assert.Equal(10f, mi.Image.Pixels[15, 10], 4);
        Assert.Equal(20f, mi.Image.Pixels[15, 35], 4);
        Assert.Equal(4f, mi.Variance.Pixels[15, 35], 3);
        Assert.Equal(20f, mi.Image.Pixels[15, 60], 4);
        Assert.True(float.IsNaN(mi.Image.Pixels[15, 90]));
        Assert.Equal(noData, mi.Mask.Image.Pixels[15, 90] & noData);
        Assert.True(float.IsPositiveInfinity(mi.Variance.Pixels[15, 90]));
        Assert.Equal(["R22_S00", "R22_S01"], result.Detectors.Select(d => d.Detector));
        Assert.Equal(1.0, result.Detectors[0].Weight, 3);
        Assert.Equal(0.25, result.Detectors[1].Weight, 3);
        var h = warp.Metadata;
        Assert.Equal(7, h.GetInt64("VISIT"));
        Assert.Equal(9813, h.GetInt64("TRACT"));
        Assert.Equal(45, h.GetInt64("PATCH"));
        Assert.Equal(2, h.GetInt64("NINDET"));
        Assert.Equal("R22_S01", h.GetString("INDET001"));
        Assert.Equal(result.Detectors[1].GoodPixels, h.GetInt64("INGPX001"));
        Assert.False(h.Contains("DETNAME"));
        long good = 0;
        for (int y = 0; y < 30; y++) for (int x = 0; x < 100; x++) if ((mi.Mask.Image.Pixels[y, x] & noData) == 0) good++;
        Assert.Equal(good, result.GoodPixels);
    }

    [Fact]
    public void Nothing_is_written_when_no_good_pixel_lands_in_the_useful_region()
    {
        using var dir = new TempDir();
        string a = Detector(dir, "R22_S00", 10, 1, 0);
        string output = dir.File("warp.fits");
        var result = DirectWarp.Run(7, 1, 2, [a], Grid(), new WarpConfig(), output, usefulRegion: new Box2I(60, 0, 40, 30));
        Assert.Equal(0, result.GoodPixels);
        Assert.False(File.Exists(output));
        Assert.Throws<ArgumentException>(() => DirectWarp.Run(7, 1, 2, [Detector(dir, "R22_S02", 1, 1, 500)], Grid(), new WarpConfig(), output));
    }

    [Fact]
    public void An_input_without_a_wcs_is_an_error_naming_the_file()
    {
        using var dir = new TempDir();
        string path = dir.File("nowcs.fits");
        using (var exposure = new Exposure(new MaskedImage(10, 10))) ExposureFits.Write(path, exposure);
        var e = Assert.Throws<FitsFormatException>(() => DirectWarp.Run(7, 1, 2, [path], Grid(), new WarpConfig(), dir.File("w.fits")));
        Assert.Contains("nowcs.fits", e.Message);
        Assert.False(File.Exists(dir.File("w.fits")));
    }
}
