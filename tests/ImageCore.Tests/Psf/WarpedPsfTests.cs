using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Geometry;
using ImageCore.Psf;

namespace ImageCore.Tests.Psf;

public class WarpedPsfTests
{
    internal const double Scale = 0.2 / 3600;

    /// <summary>A CD matrix: <paramref name="scale"/> degrees per pixel, RA increasing to the left, rotated by
    /// <paramref name="rotationDeg"/>, stretched by (sx, sy) and sheared by <paramref name="shear"/>.</summary>
    internal static double[,] Cd(double scale, double rotationDeg, double sx = 1, double sy = 1, double shear = 0)
    {
        var (s, c) = Math.SinCos(rotationDeg * Math.PI / 180);
        // R(rot) * [[sx, shear], [0, sy]], then RA flipped.
        double a = c * sx, b = c * shear - s * sy, d = s * sx, e = s * shear + c * sy;
        return new double[,] { { -scale * a, -scale * b }, { scale * d, scale * e } };
    }

    private static double[,] Times(double[,] m, double[,] n) => new double[,]
    {
        { m[0, 0] * n[0, 0] + m[0, 1] * n[1, 0], m[0, 0] * n[0, 1] + m[0, 1] * n[1, 1] },
        { m[1, 0] * n[0, 0] + m[1, 1] * n[1, 0], m[1, 0] * n[0, 1] + m[1, 1] * n[1, 1] },
    };

    private static double[,] Inverse(double[,] m)
    {
        double det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0];
        return new double[,] { { m[1, 1] / det, -m[0, 1] / det }, { -m[1, 0] / det, m[0, 0] / det } };
    }

    [Fact]
    public void Lanczos_taps_from_three_sines_match_the_formula()
    {
        var rng = new Random(5);
        Span<double> taps = stackalloc double[6];
        double[] fs = [0, 1e-7, 0.5, 1 - 1e-12, 0.25, .. Enumerable.Range(0, 200).Select(_ => rng.NextDouble())];
        foreach (double f in fs)
        {
            Lanczos3.Taps(f, taps);
            for (int k = 0; k < 6; k++) Assert.Equal(Lanczos3.Value(f + 2 - k), taps[k], 12);
        }
        Assert.Equal(1, Lanczos3.Value(0));
        Assert.Equal(0, Lanczos3.Value(3));
        Assert.Equal(0, Lanczos3.Value(-4.5));
        Assert.Equal(0, Lanczos3.Value(2), 15);
    }

    public static TheoryData<double, double, double, double, double> Maps => new()
    {
        // rotation (deg), stretch x, stretch y, shear, destination pixel scale over the source's
        { 0, 1, 1, 0, 1 },
        { 30, 1.1, 0.9, 0.15, 1 },
        { -70, 1, 1, 0.3, 1.25 },
        { 123, 0.95, 1.2, -0.2, 0.8 },
    };

    /// <summary>Both WCSs are TAN about one tangent point without distortion, so detector -> warp is exactly the affine map
    /// A = CD_dest^-1 CD_src, and a Gaussian of covariance sigma^2 I becomes one of covariance A sigma^2 A^T.</summary>
    [Theory, MemberData(nameof(Maps))]
    public void A_gaussian_through_an_affine_map_has_the_transformed_covariance(double rotation, double sx, double sy, double shear, double destScale)
    {
        const double sigma = 2.5;
        var cdSrc = Cd(Scale, rotation, sx, sy, shear);
        var cdDst = Cd(Scale * destScale, 0);
        var src = new SkyWcs((1000, 1000), (150, 2), cdSrc);
        var dst = new SkyWcs((500, 400), (150, 2), cdDst);
        var psf = new WarpedPsf(new GaussianPsf(31, sigma), src, dst, new Box2I(0, 0, 2000, 2000));
        var a = Times(Inverse(cdDst), cdSrc);
        double ixx = sigma * sigma * (a[0, 0] * a[0, 0] + a[0, 1] * a[0, 1]);
        double iyy = sigma * sigma * (a[1, 0] * a[1, 0] + a[1, 1] * a[1, 1]);
        double ixy = sigma * sigma * (a[0, 0] * a[1, 0] + a[0, 1] * a[1, 1]);
        Assert.Equal(1, psf.KernelSize % 2);
        foreach (var (x, y) in new[] { (500.0, 400.0), (123.4, 800.6), (-300.0, 100.0) })
        {
            var m = psf.ComputeMoments(x, y);
            double tol = 0.01 * (ixx + iyy);
            Assert.True(Math.Abs(m.Ixx - ixx) < tol && Math.Abs(m.Iyy - iyy) < tol && Math.Abs(m.Ixy - ixy) < tol,
                        $"at ({x}, {y}): ({m.Ixx:F4}, {m.Iyy:F4}, {m.Ixy:F4}), expected ({ixx:F4}, {iyy:F4}, {ixy:F4})");
            var k = psf.ComputeKernelImage(x, y);
            double sum = 0;
            foreach (float v in k) sum += v;
            Assert.Equal(1, sum, 5);
            // The kernel holds the mapped Gaussian: its edge is negligible.
            double edge = 0;
            for (int i = 0; i < psf.KernelSize; i++) edge = Math.Max(edge, Math.Max(Math.Max(Math.Abs(k[0, i]), Math.Abs(k[i, 0])), Math.Max(Math.Abs(k[psf.KernelSize - 1, i]), Math.Abs(k[i, psf.KernelSize - 1]))));
            Assert.True(edge < 1e-4 * k[psf.KernelSize / 2, psf.KernelSize / 2], $"edge {edge}");
            double det = Math.Abs(a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]);
            Assert.Equal(PsfMoments.FwhmPerSigma * sigma * Math.Sqrt(det), psf.ComputeFwhm(x, y), 6);
        }
    }

    [Fact]
    public void The_same_frame_gives_back_the_source_kernel()
    {
        var wcs = new SkyWcs((100, 100), (30, -40), Cd(Scale, 20));
        var source = new DoubleGaussianPsf(21, 1.6, 4.0, 0.1);
        var psf = new WarpedPsf(source, wcs, wcs, new Box2I(0, 0, 200, 200));
        Assert.Equal(21, psf.KernelSize);
        var expected = source.ComputeKernelImage(50, 60);
        var actual = psf.ComputeKernelImage(50, 60);
        for (int j = 0; j < 21; j++)
            for (int i = 0; i < 21; i++) Assert.Equal(expected[j, i], actual[j, i], 6);
    }

    [Fact]
    public void The_source_psf_is_evaluated_at_the_source_position_of_the_rounded_point()
    {
        // A spatially varying model and a shifted frame: the warped kernel at destination (x, y) is the source kernel at
        // the source position of (round x, round y).
        var model = PsfFitsTests.Polynomial();
        var src = new SkyWcs((2000, 2000), (10, 0), Cd(Scale, 0));
        var dst = new SkyWcs((1000, 1500), (10, 0), Cd(Scale, 0));
        var psf = new WarpedPsf(model, src, dst, model.Region);
        var (sx, sy) = psf.ToSource(1300, 1700);
        Assert.Equal(2300, sx, 6);
        Assert.Equal(2200, sy, 6);
        var expected = model.ComputeKernelImage(2300, 2200);
        var actual = psf.ComputeKernelImage(1299.7, 1700.4);
        for (int j = 0; j < model.KernelSize; j++)
            for (int i = 0; i < model.KernelSize; i++) Assert.Equal(expected[j, i], actual[j, i], 6);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var wcs = new SkyWcs((100, 100), (30, -40), Cd(Scale, 20));
        var g = new GaussianPsf(11, 1.5);
        Assert.Throws<ArgumentException>(() => new WarpedPsf(g, wcs, wcs, new Box2I(0, 0, 0, 10)));
        // Destination pixels 1000 times smaller: the kernel would not fit.
        Assert.Throws<ArgumentException>(() => new WarpedPsf(g, wcs, new SkyWcs((0, 0), (30, -40), Cd(Scale / 1000, 0)), new Box2I(0, 0, 10, 10)));
        var psf = new WarpedPsf(g, wcs, wcs, new Box2I(0, 0, 10, 10));
        Assert.Throws<ArgumentException>(() => psf.ComputeKernelImage(0, 0, new Span2D<float>(new float[9, 9])));
    }
}
