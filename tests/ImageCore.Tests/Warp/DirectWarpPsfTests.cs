using ImageCore.Astrometry;
using ImageCore.Coadd;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;
using ImageCore.Tests.Psf;
using ImageCore.Tests.Support;
using ImageCore.Warp;
using Xunit.Abstractions;

namespace ImageCore.Tests.Warp;

/// <summary>
/// Issue 21's check: a noiseless star made with a detector's PSF, warped onto a patch grid rotated, stretched and sheared
/// against the detector (whose WCS has its own tangent point, so the map is not affine), has the shape the warp's
/// CoaddPsf predicts at its position, to 1% of the peak; and so does the star of a coadd of two such warps.
/// </summary>
public class DirectWarpPsfTests(ITestOutputHelper output)
{
    private const double Scale = WarpedPsfTests.Scale;
    private const int Width = 160, Height = 150;

    /// <summary>The patch grid: 140 x 120 pixels of 0.2", north up, (150, 2) at pixel (70, 60).</summary>
    private static WarpTarget Target() => new(140, 120, new SkyWcs((70, 60), (150, 2), WarpedPsfTests.Cd(Scale, 0)), "psf test grid");

    /// <summary>The star's pixel in the warp: off-centre, an integer pixel so that its warped centre is a pixel centre.</summary>
    private const int StarX = 66, StarY = 57;

    /// <summary>A detector of pixels 2% larger than the grid's, rotated by 35 degrees, stretched and sheared, its tangent
    /// point 0.02 deg east and 0.01 deg north of the grid's, its pixel (80, 75) at (150, 2), its pixel 0 shifted to column
    /// <paramref name="shiftX"/> of an unshifted one.</summary>
    private static SkyWcs DetectorWcs(int shiftX)
    {
        var cd = WarpedPsfTests.Cd(Scale * 1.02, 35, 1.08, 0.93, 0.12);
        var first = new SkyWcs((0, 0), (150.02, 2.01), cd);
        var (px, py) = first.SkyToPixel(150, 2);
        return new SkyWcs((80 - px - shiftX, 75 - py), (150.02, 2.01), cd);
    }

    /// <summary>An elliptical Gaussian profile of covariance [[cxx, cxy], [cxy, cyy]], detector pixels.</summary>
    private static Func<double, double, double> Profile(double cxx, double cyy, double cxy)
    {
        double det = cxx * cyy - cxy * cxy;
        return (dx, dy) => Math.Exp(-0.5 * (cyy * dx * dx - 2 * cxy * dx * dy + cxx * dy * dy) / det);
    }

    /// <summary>The profile sampled at the kernel's pixel centres as a constant PixelBasisPsf (a measured model's form).</summary>
    private static PixelBasisPsf Model(Func<double, double, double> profile, int size = 25)
    {
        var basis = new float[size * size];
        int c = size / 2;
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++) basis[j * size + i] = (float)profile(i - c, j - c);
        return new PixelBasisPsf(size, 0, new Box2I(0, 0, Width, Height), basis);
    }

    /// <summary>A calexp-like exposure (variance <paramref name="variance"/>, PSF <paramref name="psf"/>) holding, when
    /// <paramref name="star"/>, a noiseless star of 1e5 electrons drawn with the PSF's profile at the detector position
    /// of warp pixel (StarX, StarY).</summary>
    private static string Calexp(TempDir dir, string name, int visit, SkyWcs wcs, Func<double, double, double> profile, IPsf psf, float variance, bool star)
    {
        var mi = new MaskedImage(Width, Height);
        mi.Variance.Pixels.Fill(variance);
        if (star)
        {
            var target = Target();
            var (ra, dec) = target.Wcs.PixelToSky(StarX, StarY);
            var (sx, sy) = wcs.SkyToPixel(ra, dec);
            double sum = 0;
            for (int j = -30; j <= 30; j++) for (int i = -30; i <= 30; i++) sum += profile(i, j);
            for (int y = 0; y < Height; y++)
                for (int x = 0; x < Width; x++) mi.Image.Pixels[y, x] = (float)(1e5 * profile(x - sx, y - sy) / sum);
        }
        var md = new FitsHeader();
        md.Set("DETNAME", name);
        md.Set("VISIT", (long)visit);
        wcs.WriteTo(md);
        string path = dir.File($"{visit}-{name}.fits");
        using var exposure = new Exposure(mi, md) { Psf = psf };
        ExposureFits.Write(path, exposure);
        return path;
    }

    /// <summary>The stamp of <paramref name="image"/> about (x, y), the PSF's kernel size, divided by its sum.</summary>
    private static double[,] Stamp(Image<float> image, int x, int y, int size)
    {
        var s = new double[size, size];
        double sum = 0;
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++) sum += s[j, i] = image.Pixels[y - size / 2 + j, x - size / 2 + i];
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++) s[j, i] /= sum;
        return s;
    }

    /// <summary>max |stamp - kernel| over the kernel's peak.</summary>
    private static double Misfit(double[,] stamp, float[,] kernel)
    {
        double worst = 0, peak = 0;
        for (int j = 0; j < kernel.GetLength(0); j++)
            for (int i = 0; i < kernel.GetLength(1); i++)
            {
                worst = Math.Max(worst, Math.Abs(stamp[j, i] - kernel[j, i]));
                peak = Math.Max(peak, kernel[j, i]);
            }
        return worst / peak;
    }

    /// <summary>The profile seen at warp pixel (StarX, StarY): profile(J d) at each kernel offset d, J the warp -> detector
    /// Jacobian there (central differences of the WCS pair), normalised to sum 1.</summary>
    private static double[,] Transformed(Func<double, double, double> profile, WarpedPsf warped, int size)
    {
        var (x1, y1) = warped.ToSource(StarX + 1e-3, StarY);
        var (x0, y0) = warped.ToSource(StarX - 1e-3, StarY);
        var (x3, y3) = warped.ToSource(StarX, StarY + 1e-3);
        var (x2, y2) = warped.ToSource(StarX, StarY - 1e-3);
        double jxx = (x1 - x0) / 2e-3, jxy = (x3 - x2) / 2e-3, jyx = (y1 - y0) / 2e-3, jyy = (y3 - y2) / 2e-3;
        var t = new double[size, size];
        double sum = 0;
        int c = size / 2;
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++) sum += t[j, i] = profile(jxx * (i - c) + jxy * (j - c), jyx * (i - c) + jyy * (j - c));
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++) t[j, i] /= sum;
        return t;
    }

    [Fact]
    public void A_warped_star_has_the_shape_the_warps_coadd_psf_predicts_and_so_does_the_coadds()
    {
        using var dir = new TempDir();
        var narrow = Profile(4.0, 2.6, 1.0);
        var wide = Profile(5.5, 5.0, -0.6);
        string w1 = dir.File("warp-1.fits"), w2 = dir.File("warp-2.fits");
        var r1 = DirectWarp.Run(1, 0, 0, [Calexp(dir, "R22_S11", 1, DetectorWcs(0), narrow, Model(narrow), 1, star: true),
                                         Calexp(dir, "R22_S12", 1, DetectorWcs(110), narrow, Model(narrow), 1, star: false)],
                                Target(), new WarpConfig(), w1);
        DirectWarp.Run(2, 0, 0, [Calexp(dir, "R22_S11", 2, DetectorWcs(0), wide, Model(wide, 27), 4, star: true)], Target(), new WarpConfig(), w2);

        using (var warp = ExposureFits.Read(w1))
        {
            var psf = Assert.IsType<CoaddPsf>(warp.Psf);
            Assert.Equal(r1.Detectors.Count, psf.Components.Count);
            Assert.Equal(["R22_S11", "R22_S12"], psf.Components.Select(c => c.Detector));
            Assert.All(psf.Components, c => Assert.Equal((1, 1.0), (c.Visit, c.Weight)));
            Assert.True(psf.Covers(0, StarX, StarY) && !psf.Covers(1, StarX, StarY));
            var kernel = psf.ComputeKernelImage(StarX, StarY);
            var stamp = Stamp(warp.MaskedImage.Image, StarX, StarY, psf.KernelSize);
            double misfit = Misfit(stamp, kernel);
            output.WriteLine($"direct warp: kernel {psf.KernelSize}x{psf.KernelSize}, max |star - CoaddPsf| = {misfit:P3} of the peak");
            Assert.True(misfit <= 0.01, $"the warped star differs from the CoaddPsf by {misfit:P3} of the peak");
            // The kernel against analytic truth: the profile through the local linear map, sampled at the warp's pixel
            // centres. Lanczos-3 interpolation of a profile this narrow is good to about 0.4% of the peak.
            double truthMisfit = Misfit(Transformed(narrow, psf.GetWarpedPsf(0), psf.KernelSize), kernel);
            output.WriteLine($"direct warp: max |analytic - CoaddPsf| = {truthMisfit:P3} of the peak");
            Assert.True(truthMisfit <= 0.006, $"the CoaddPsf differs from the transformed profile by {truthMisfit:P3} of the peak");
            // The test can fail: the detector's own (unwarped) kernel is far from the warped star.
            var unwarped = new float[psf.KernelSize, psf.KernelSize];
            var own = Model(narrow).ComputeKernelImage(0, 0);
            int o = (psf.KernelSize - 25) / 2;
            for (int j = 0; j < 25; j++) for (int i = 0; i < 25; i++) unwarped[j + o, i + o] = own[j, i];
            Assert.True(Misfit(stamp, unwarped) > 0.05, $"unwarped misfit {Misfit(stamp, unwarped):P3}");
        }

        var crop = new Box2I(10, 8, 120, 100);
        string coaddPath = dir.File("coadd.fits");
        var used = CoaddTask.Run([w1, w2], coaddPath, new CoaddConfig { Statistic = CoaddStatistic.Mean }, 1, crop);
        using var coadd = ExposureFits.Read(coaddPath);
        var coaddPsf = Assert.IsType<CoaddPsf>(coadd.Psf);
        Assert.Equal([used.Weights[0], used.Weights[0], used.Weights[1]], coaddPsf.Components.Select(c => c.Weight));
        Assert.True(used.Weights[0] > 3 * used.Weights[1]);
        int cx = StarX - crop.MinX, cy = StarY - crop.MinY;
        var coaddKernel = coaddPsf.ComputeKernelImage(cx, cy);
        double coaddMisfit = Misfit(Stamp(coadd.MaskedImage.Image, cx, cy, coaddPsf.KernelSize), coaddKernel);
        output.WriteLine($"cropped coadd: kernel {coaddPsf.KernelSize}x{coaddPsf.KernelSize}, max |star - CoaddPsf| = {coaddMisfit:P3} of the peak");
        Assert.True(coaddMisfit <= 0.01, $"the coadd's star differs from its CoaddPsf by {coaddMisfit:P3} of the peak");
    }

    [Fact]
    public void Detectors_with_and_without_psfs_are_refused_and_without_any_the_warp_has_none()
    {
        using var dir = new TempDir();
        var p = Profile(3, 3, 0);
        string with = Calexp(dir, "R22_S11", 1, DetectorWcs(0), p, Model(p), 1, star: false);
        string without = dir.File("postisr.fits");
        using (var e = ExposureFits.Read(with)) { e.Psf = null; ExposureFits.Write(without, e); }
        var ex = Assert.Throws<ArgumentException>(() => DirectWarp.Run(1, 0, 0, [with, without], Target(), new WarpConfig(), dir.File("w.fits")));
        Assert.Contains("postisr.fits", ex.Message);
        Assert.False(File.Exists(dir.File("w.fits")));
        DirectWarp.Run(1, 0, 0, [without], Target(), new WarpConfig(), dir.File("w.fits"));
        using var f = FitsFile.Open(dir.File("w.fits"));
        Assert.Null(f.FindHdu(PsfFits.ExtName));
        Assert.Equal(4, f.Hdus.Count);
    }
}
