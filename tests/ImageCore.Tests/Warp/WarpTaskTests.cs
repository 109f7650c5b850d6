using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;
using ImageCore.Warp;

namespace ImageCore.Tests.Warp;

/// <summary><see cref="WarpTask"/> makes and writes its output a band of rows at a time: the file must hold what one
/// warp of the whole covered region into a whole output gives, bit for bit.</summary>
public class WarpTaskTests
{
    /// <summary>A post-ISR exposure and, beside it, its image alone as a plain FITS image with the same WCS.</summary>
    private static (string Exposure, string Image) Inputs(TempDir dir)
    {
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Detectors = "R22_S11", Scale = 8, Seed = 6 });
        string post = dir.File("post.fits"), plain = dir.File("plain.fits");
        using var raw = FitsFile.Open(sim.Raws[0]);
        using var e = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Path.Combine(dir.Path, "calib")), new IsrConfig());
        ExposureFits.Write(post, e);
        var header = new FitsHeader();
        SkyWcs.FromHeader(e.Metadata).WriteTo(header);
        using var w = FitsWriter.Create(plain);
        w.WriteImage(header, (ReadOnlySpan2D<float>)e.MaskedImage.Image.Pixels);
        w.Commit();
        return (post, plain);
    }

    /// <summary>A 0.2" TAN grid of 1100 x 900 whose centre is the detector's corner: partly covered, partly NO_DATA.</summary>
    private static WarpTarget Target(string exposure)
    {
        using var e = ExposureFits.Read(exposure);
        var wcs = SkyWcs.FromHeader(e.Metadata);
        var (ra, dec) = wcs.PixelToSky(e.BBox.MinX, e.BBox.MinY);
        var tract = new RingsSkyMap().FindTract(ra, dec);
        var (x, y) = tract.Wcs.SkyToPixel(ra, dec);
        return new WarpTarget(1100, 900, tract.Wcs.WithPixelOrigin((int)x - 550, (int)y - 450), "test grid");
    }

    private static MaskedImage WholeWarp(MaskedImage source, SkyWcs wcs, WarpTarget target, WarpConfig config)
    {
        var whole = new MaskedImage(target.Width, target.Height);
        foreach (var (name, _) in source.Mask.Planes.OrderBy(p => p.Value)) whole.Mask.AddPlane(name);
        whole.Image.Pixels.Fill(float.NaN);
        whole.Variance.Pixels.Fill(float.PositiveInfinity);
        whole.Mask.Image.Pixels.Fill(whole.Mask.GetBitMask("NO_DATA"));
        var covered = Warper.WarpedBBox(source.BBox, wcs, target.Wcs).Intersect(whole.BBox);
        Warper.WarpInto(source, wcs, target.Wcs, whole, covered, config);
        return whole;
    }

    private static void AssertSame(MaskedImage expected, MaskedImage actual)
    {
        Assert.Equal(expected.BBox, actual.BBox);
        Assert.Equal(expected.Mask.Planes.OrderBy(p => p.Value), actual.Mask.Planes.OrderBy(p => p.Value));
        for (int y = 0; y < expected.Image.Height; y++)
        {
            Assert.True(expected.Image.Pixels.GetRowSpan(y).SequenceEqual(actual.Image.Pixels.GetRowSpan(y)), $"image row {y}");
            Assert.True(expected.Variance.Pixels.GetRowSpan(y).SequenceEqual(actual.Variance.Pixels.GetRowSpan(y)), $"variance row {y}");
            Assert.True(expected.Mask.Image.Pixels.GetRowSpan(y).SequenceEqual(actual.Mask.Image.Pixels.GetRowSpan(y)), $"mask row {y}");
        }
        int noData = expected.Mask.GetBitMask("NO_DATA");
        long empty = 0, total = (long)expected.Image.Width * expected.Image.Height;
        for (int y = 0; y < expected.Image.Height; y++)
            foreach (int m in expected.Mask.Image.Pixels.GetRowSpan(y)) if ((m & noData) != 0) empty++;
        Assert.InRange(empty, total / 10, total * 9 / 10);   // the grid is partly covered
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void An_exposure_warped_band_by_band_equals_one_warp_of_the_whole_region(int threads)
    {
        using var dir = new TempDir();
        var (post, _) = Inputs(dir);
        var target = Target(post);
        var config = new WarpConfig();
        long good = WarpTask.Run(post, dir.File("warp.fits"), target, config, threads);
        using var source = ExposureFits.Read(post);
        using var whole = WholeWarp(source.MaskedImage, SkyWcs.FromHeader(source.Metadata), target, config);
        using var written = ExposureFits.Read(dir.File("warp.fits"));
        AssertSame(whole, written.MaskedImage);
        Assert.True(good > 0);
        Peers.AssertFitsverifyClean(dir.File("warp.fits"));
    }

    [Theory]
    [InlineData(false)]   // float32: mapped from the file, big-endian values swapped as loaded
    [InlineData(true)]    // float64: read into memory
    public void A_plain_image_warps_as_the_image_with_zero_variance_and_an_empty_mask(bool asDouble)
    {
        using var dir = new TempDir();
        var (post, plain) = Inputs(dir);
        if (asDouble)
        {
            using (var f = FitsFile.Open(plain))
            using (var data = f.ReadImage<double>(f[0]))
            using (var w = FitsWriter.Create(dir.File("plain64.fits")))
            {
                w.WriteImage(f[0].Header, (ReadOnlySpan2D<double>)data.AsSpan2D());
                w.Commit();
            }
            plain = dir.File("plain64.fits");
        }
        var target = Target(post);
        var config = new WarpConfig();
        WarpTask.Run(plain, dir.File("warp.fits"), target, config);
        using var file = FitsFile.Open(plain);
        var wcs = SkyWcs.FromHeader(file[0].Header);
        using var image = new Image<float>(file.ReadImage<float>(file[0]));   // float64 values that were float32: the same
        using var source = new MaskedImage(image.Width, image.Height);
        image.Pixels.CopyTo(source.Image.Pixels);
        using var whole = WholeWarp(source, wcs, target, config);
        using var written = ExposureFits.Read(dir.File("warp.fits"));
        AssertSame(whole, written.MaskedImage);
    }

    [Fact]
    public void The_in_memory_warp_is_the_exposure_run_writes_byte_for_byte()
    {
        using var dir = new TempDir();
        var (post, _) = Inputs(dir);
        var target = Target(post);
        var config = new WarpConfig();
        WarpTask.Run(post, dir.File("warp.fits"), target, config, 2);
        using var source = ExposureFits.Read(post);
        using (var warp = WarpTask.Warp(source, target, config, 2))
        {
            Assert.Same(target.Wcs, warp.Wcs);
            Assert.Equal(new ImageCore.Geometry.Box2I(0, 0, target.Width, target.Height), warp.BBox);
            Assert.Contains(warp.Metadata.Commentary("HISTORY"), h => h.Contains("lanczos3", StringComparison.Ordinal));
            Assert.Equal(source.VisitInfo, warp.VisitInfo);
            Assert.Equal(source.Band, warp.Band);
            ExposureFits.Write(dir.File("memory.fits"), warp);
        }
        Assert.Equal(File.ReadAllBytes(dir.File("warp.fits")), File.ReadAllBytes(dir.File("memory.fits")));
    }

    [Fact]
    public void A_cancelled_warp_stops_and_writes_nothing()
    {
        using var dir = new TempDir();
        var (post, _) = Inputs(dir);
        var target = Target(post);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        using var source = ExposureFits.Read(post);
        Assert.ThrowsAny<OperationCanceledException>(() => WarpTask.Warp(source, target, new WarpConfig(), 2, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => WarpTask.Run(post, dir.File("warp.fits"), target, new WarpConfig(), 2, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => ExposureFits.Read(post, cancelled.Token));
        Assert.DoesNotContain(Directory.GetFiles(dir.Path), f => Path.GetFileName(f).Contains("warp", StringComparison.Ordinal));   // nor a temporary
    }

    [Fact]
    public void Warping_an_exposure_without_a_wcs_is_refused()
    {
        using var e = new Exposure(new MaskedImage(10, 10));
        var ex = Assert.Throws<ArgumentException>(() => Warper.Warp(e, Support.TestWcs.Tan(), new ImageCore.Geometry.Box2I(0, 0, 5, 5), new WarpConfig()));
        Assert.Contains("no WCS", ex.Message);
    }
}
