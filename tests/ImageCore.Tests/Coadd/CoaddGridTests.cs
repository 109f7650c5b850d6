using ImageCore.Coadd;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Tests.Cli;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Coadd;

/// <summary>A coadd stacks only warps on one grid: another patch, a WCS moved by a pixel, another xy0 or no WCS at all
/// is refused, naming the input; the same grid written with rounding differences is accepted.</summary>
public sealed class CoaddGridTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Warp(string name, FitsHeader? metadata, Point2I xy0 = default)
    {
        using var mi = new MaskedImage(20, 16, xy0);
        mi.Image.Pixels.Fill(10);
        mi.Variance.Pixels.Fill(1);
        string path = _dir.File(name);
        ExposureFits.Write(path, new Exposure(mi, metadata));
        return path;
    }

    private CoaddInputException Refused(params string[] paths)
    {
        var e = Assert.Throws<CoaddInputException>(() => CoaddTask.Run(paths, _dir.File("coadd.fits"), new CoaddConfig()));
        Assert.False(File.Exists(_dir.File("coadd.fits")));
        return e;
    }

    [Fact]
    public void A_warp_of_another_patch_is_refused()
    {
        string a = Warp("a.fits", TestWcs.Header(10, 8));
        var other = TestWcs.Header(10, 8);
        other.Set("CRVAL1", 150.5);
        string b = Warp("b.fits", other);
        var e = Refused(a, b);
        Assert.Equal(b, e.Input);
        Assert.Contains("must share one grid", e.Message);
    }

    [Fact]
    public void A_wcs_moved_by_one_pixel_is_refused()
    {
        string a = Warp("a.fits", TestWcs.Header(10, 8)), b = Warp("b.fits", TestWcs.Header(11, 8));
        var e = Refused(a, b);
        Assert.Equal(b, e.Input);
        Assert.Contains("up to 1 pixels away", e.Message);
    }

    [Fact]
    public void Another_xy0_is_refused()
    {
        string a = Warp("a.fits", TestWcs.Header(10, 8)), b = Warp("b.fits", TestWcs.Header(10, 8), new Point2I(1, 0));
        var e = Refused(a, b);
        Assert.Equal(b, e.Input);
        Assert.Contains("LTV1/LTV2", e.Message);
    }

    [Fact]
    public void A_warp_without_a_wcs_is_refused()
    {
        string a = Warp("a.fits", TestWcs.Header(10, 8)), b = Warp("b.fits", null);
        Assert.Equal(b, Refused(a, b).Input);
        Assert.Equal(b, Refused(b, a).Input);
        Assert.Contains("no celestial WCS", Refused(a, b).Message);
    }

    [Fact]
    public void The_same_grid_with_rounding_differences_is_accepted()
    {
        string a = Warp("a.fits", TestWcs.Header(10, 8)), b = Warp("b.fits", TestWcs.Header(10 + 1e-7, 8 - 1e-7));
        var used = CoaddTask.Run([a, b], _dir.File("coadd.fits"), new CoaddConfig());
        Assert.Equal(2, used.Weights.Count(w => w > 0));
    }

    [Fact]
    public void The_command_names_the_offending_warp()
    {
        string a = Warp("a.fits", TestWcs.Header(10, 8)), b = Warp("b.fits", TestWcs.Header(11, 8));
        var (code, _, stderr) = InfoCommandTests.Imagecore($"coadd --out \"{_dir.File("c.fits")}\" \"{a}\" \"{b}\"");
        Assert.Equal(1, code);
        Assert.Contains(b, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(_dir.File("c.fits")));
    }

    [Fact]
    public void An_input_cut_short_while_the_coadd_runs_fails_it_quoting_the_length_now()
    {
        string a = Warp("a.fits", TestWcs.Header(10, 8)), b = Warp("b.fits", TestWcs.Header(10, 8));
        long full = new FileInfo(b).Length;
        using var inputA = CoaddInput.Open(a);
        using var inputB = CoaddInput.Open(b);
        // b is cut after it has been opened and its headers walked: the coadd's reads of its planes come up short.
        using (var cut = new FileStream(b, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) cut.SetLength(2880 * 3);
        var e = Assert.Throws<CoaddInputException>(() => Coadder.Assemble([inputA, inputB], new CoaddConfig()).Coadd.Dispose());
        Assert.Equal(b, e.Input);
        Assert.Contains($"now ends at {2880 * 3}", e.Message);
        Assert.Contains($"it had {full} bytes when opened", e.Message);
    }

    [Fact]
    public void An_exposure_cut_after_its_image_is_not_taken_for_a_plain_image()
    {
        string a = Warp("a.fits", TestWcs.Header(10, 8)), b = Warp("b.fits", TestWcs.Header(10, 8));
        using (var cut = new FileStream(b, FileMode.Open, FileAccess.Write)) cut.SetLength(2880 * 3);   // primary, IMAGE header and data
        var e = Refused(a, b);
        Assert.Equal(b, e.Input);
        Assert.Contains("no MASK", e.Message);
    }
}
