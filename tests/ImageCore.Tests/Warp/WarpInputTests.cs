using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Tests.Cli;
using ImageCore.Tests.Support;
using ImageCore.Warp;

namespace ImageCore.Tests.Warp;

/// <summary>What a warp takes from its input file: the WCS where afw writes it (conflicts and absurd scales refused),
/// and data that stay valid when the file changes under the running command.</summary>
public class WarpInputTests
{
    /// <summary>An exposure at xy0 (5, 7) whose metadata hold <see cref="TestWcs.Tan"/>; <paramref name="imageCrpixShift"/>
    /// moves the IMAGE HDU's own CRPIX1 (0: the two agree, as ExposureFits writes them).</summary>
    private static string Exposure(TempDir dir, string name, double imageCrpixShift, bool wcsInPrimary = true)
    {
        string path = dir.File(name);
        using var mi = new MaskedImage(64, 48, new Point2I(5, 7));
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++) { mi.Image.Pixels[y, x] = 100 + x; mi.Variance.Pixels[y, x] = 4; }
        var metadata = TestWcs.Header(30, 20);
        var (image, mask, variance) = ExposureFits.PlaneHeaders(metadata, mi.Xy0, mi.Mask.Planes);
        if (imageCrpixShift != 0) image.Set("CRPIX1", image.GetDouble("CRPIX1") + imageCrpixShift);
        var primary = wcsInPrimary ? metadata : new FitsHeader();
        using var w = FitsWriter.Create(path);
        w.WriteEmpty(primary);
        w.WriteImage(image, (ReadOnlySpan2D<float>)mi.Image.Pixels);
        w.WriteImage(mask, (ReadOnlySpan2D<int>)mi.Mask.Image.Pixels);
        w.WriteImage(variance, (ReadOnlySpan2D<float>)mi.Variance.Pixels);
        w.Commit();
        return path;
    }

    [Fact]
    public void The_wcs_is_read_from_the_image_hdu_in_the_parent_frame()
    {
        using var dir = new TempDir();
        using var both = WarpInput.Read(Exposure(dir, "both.fits", 0));
        using var imageOnly = WarpInput.Read(Exposure(dir, "image-only.fits", 0, wcsInPrimary: false));
        var expected = TestWcs.Tan(30, 20);
        Assert.True(expected.MaxPixelDifference(both.Wcs!, both.BBox) < 1e-9);
        Assert.True(expected.MaxPixelDifference(imageOnly.Wcs!, imageOnly.BBox) < 1e-9);
    }

    [Fact]
    public void An_image_hdu_wcs_that_disagrees_with_the_primary_is_refused()
    {
        using var dir = new TempDir();
        string path = Exposure(dir, "conflict.fits", 1.0);
        var e = Assert.Throws<FitsFormatException>(() => WarpInput.Read(path).Dispose());
        Assert.Equal(1, e.HduIndex);
        Assert.Contains("disagree by 1 pixels", e.Message);
        using var tiny = WarpInput.Read(Exposure(dir, "rounding.fits", 1e-6));   // rounding, not a conflict
        Assert.NotNull(tiny.Wcs);
    }

    [Theory]
    [InlineData(1e10)]
    [InlineData(1e-12)]
    public void An_absurd_pixel_scale_is_refused(double cd)
    {
        using var dir = new TempDir();
        string path = dir.File("absurd.fits");
        var h = new FitsHeader();
        foreach (var (k, v) in new (string, object)[] { ("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"), ("CRPIX1", 1.0), ("CRPIX2", 1.0), ("CRVAL1", 10.0),
                                                        ("CRVAL2", 5.0), ("CD1_1", cd), ("CD1_2", 0.0), ("CD2_1", 0.0), ("CD2_2", cd) })
            h.Set(k, v);
        using (var w = FitsWriter.Create(path))
        {
            w.WriteImage(h, new ReadOnlySpan2D<float>(new float[16, 16]));
            w.Commit();
        }
        var e = Assert.Throws<FitsFormatException>(() => WarpInput.Read(path).Dispose());
        Assert.Equal("CD1_1", e.Keyword);
        Assert.Contains("degrees per pixel", e.Message);
    }

    [Fact]
    public void The_command_fails_cleanly_on_an_input_cut_short_and_leaves_nothing()
    {
        using var dir = new TempDir();
        string input = Exposure(dir, "cut.fits", 0), output = dir.File("out.fits");
        long length = new FileInfo(input).Length;
        using (var fs = new FileStream(input, FileMode.Open, FileAccess.Write)) fs.SetLength(length - 2 * 2880);
        var (code, _, stderr) = InfoCommandTests.Imagecore($"warp --in \"{input}\" --out \"{output}\" --like \"{input}\" --threads 1");
        Assert.Equal(1, code);
        Assert.Contains("truncated", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal(["cut.fits"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [SkippableFact]
    public void A_mapped_input_that_another_process_starts_to_rewrite_stops_the_warp_cleanly()
    {
        using var dir = new TempDir();
        string path = Exposure(dir, "leased.fits", 0);
        var input = WarpInput.Read(path);
        try
        {
            Skip.IfNot(input.IsMapped, "no read lease can be had here (not Linux, or a file system without leases): the input is read");
            input.ThrowIfChanged();   // nobody else has touched it
            var target = new WarpTarget(64, 48, TestWcs.Tan(30, 20).WithPixelOrigin(5, 7), "the input's own grid");
            var (before, _) = Warper.Warp(input.Planes, input.MaskPlanes!, input.Wcs!, target.Wcs, new Box2I(0, 0, 64, 48), new WarpConfig(), 1);
            before.Dispose();
            // Another process truncates the file: the kernel holds it back and breaks the lease, so the warp stops
            // before it could touch a page that is no longer there, and lets the writer go on.
            using var writer = System.Diagnostics.Process.Start("/bin/sh", $"-c \": > '{path}'\"")!;
            var stopped = Assert.Throws<FitsFormatException>(() =>
            {
                for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(20); Thread.Sleep(10)) input.ThrowIfChanged();
            });
            Assert.Contains("another process opened the file for writing", stopped.Message);
            Assert.False(writer.HasExited);   // still held back by the lease
            input.Dispose();
            Assert.True(writer.WaitForExit(20_000));
            Assert.Equal(0, new FileInfo(path).Length);
        }
        finally
        {
            input.Dispose();
        }
    }

    [Fact]
    public void An_exposure_cut_after_its_image_is_not_taken_for_a_plain_image()
    {
        using var dir = new TempDir();
        string path = Exposure(dir, "cut.fits", 0);
        long maskStart;
        using (var file = FitsFile.Open(path)) maskStart = file.FindHdu("MASK")!.HeaderOffset;
        using (var cut = new FileStream(path, FileMode.Open, FileAccess.Write)) cut.SetLength(maskStart);   // primary and IMAGE: a valid FITS file
        var e = Assert.Throws<FitsFormatException>(() => WarpInput.Read(path).Dispose());
        Assert.Contains("no MASK extension", e.Message);
    }
}
