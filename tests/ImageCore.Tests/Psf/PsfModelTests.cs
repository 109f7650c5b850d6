using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;
using ImageCore.Psf;

namespace ImageCore.Tests.Psf;

public class PsfModelTests
{
    private static float[,] Kernel(IPsf psf, double x = 0, double y = 0)
    {
        var k = new float[psf.KernelSize, psf.KernelSize];
        psf.ComputeKernelImage(x, y, new Span2D<float>(k));
        return k;
    }

    private static double Sum(float[,] k) => k.Cast<float>().Sum(v => (double)v);

    [Theory]
    [InlineData(21, 1.5)]
    [InlineData(11, 0.8)]
    [InlineData(41, 4.0)]
    public void A_gaussian_psf_is_centred_sums_to_one_and_has_its_sigma(int size, double sigma)
    {
        var psf = new GaussianPsf(size, sigma);
        var k = Kernel(psf);
        int c = size / 2;
        Assert.Equal(1, Sum(k), 5);
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++)
            {
                Assert.True(k[j, i] <= k[c, c]);
                Assert.Equal(k[j, i], k[size - 1 - j, i]);
                Assert.Equal(k[j, i], k[j, size - 1 - i]);
                Assert.Equal(k[j, i], k[i, j]);
            }
        Assert.Equal(Math.Exp(-1 / (2 * sigma * sigma)), k[c, c + 1] / k[c, c], 5);
        Assert.Equal(new PsfMoments(sigma * sigma, sigma * sigma, 0), psf.ComputeMoments(100, 200));
        Assert.Equal(2.3548200450309493 * sigma, psf.ComputeFwhm(5, 5), 12);
        // The kernel image's own adaptive moments agree with the exact ones for a well-sampled Gaussian.
        if (sigma >= 1.5) Assert.Equal(sigma, PsfExtensions.KernelImageMoments(new ReadOnlySpan2D<float>(k)).DeterminantRadius, 3);
    }

    [Fact]
    public void Bad_sizes_and_widths_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianPsf(10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianPsf(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianPsf(11, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianPsf(11, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DoubleGaussianPsf(11, 1, 2, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DoubleGaussianPsf(11, 1, 0, 0.1));
        Assert.Throws<ArgumentException>(() => new GaussianPsf(11, 1).ComputeKernelImage(0, 0, new Span2D<float>(new float[9, 11])));
    }

    [Fact]
    public void A_double_gaussian_is_the_sum_of_its_two_profiles()
    {
        var psf = new DoubleGaussianPsf(31, 1.5, 3.75, 0.1);
        var k = Kernel(psf);
        Assert.Equal(1, Sum(k), 5);
        double Profile(int dx, int dy) => Math.Exp(-(dx * dx + dy * dy) / (2 * 1.5 * 1.5)) + 0.1 * Math.Exp(-(dx * dx + dy * dy) / (2 * 3.75 * 3.75));
        foreach (var (dx, dy) in new[] { (1, 0), (3, 2), (6, 6), (0, 9) })
            Assert.Equal(Profile(dx, dy) / Profile(0, 0), k[15 + dy, 15 + dx] / k[15, 15], 5);
        var shape = psf.ComputeMoments(0, 0);
        Assert.InRange(shape.DeterminantRadius, 1.5, 3.75);
        Assert.Equal(0, shape.E1, 6);
        Assert.Equal(0, shape.E2, 6);
        // b = 0 and sigma2 = 0 is afw's single Gaussian.
        Assert.Equal(Kernel(new GaussianPsf(31, 1.5)), Kernel(new DoubleGaussianPsf(31, 1.5, 0, 0)));
    }

    [Theory]
    [InlineData(1.0, 5)]    // 3 -> 3, below MinSize 5
    [InlineData(3.0, 9)]
    [InlineData(5.0, 15)]
    [InlineData(10.0, 31)]
    public void The_factory_sizes_kernels_as_meas_algorithms_does(double fwhm, int size)
    {
        var factory = new GaussianPsfFactory();
        Assert.Equal((size, fwhm / 2.3548200450309493), factory.ComputeSizeAndSigma(fwhm));
        var psf = Assert.IsType<DoubleGaussianPsf>(factory.Apply(fwhm));
        Assert.Equal((size, fwhm / 2.3548200450309493, 2.5 * fwhm / 2.3548200450309493, 0.1), (psf.KernelSize, psf.Sigma1, psf.Sigma2, psf.B));
        Assert.IsType<GaussianPsf>((factory with { AddWing = false }).Apply(fwhm));
        Assert.Equal(7, (factory with { Size = 7 }).Apply(fwhm).KernelSize);
        Assert.Equal(11, (factory with { MaxSize = 11 }).ComputeSizeAndSigma(10).Size);
        Assert.Equal(9, factory.Apply().KernelSize);   // the default FWHM, 3 pixels
    }

    [Fact]
    public void Factory_settings_out_of_range_are_named()
    {
        Assert.Contains("GaussianPsfFactory.Size", Assert.Throws<ConfigException>(() => new GaussianPsfFactory { Size = 6 }.Apply(3)).Message);
        Assert.Contains("Model.MinSize", Assert.Throws<ConfigException>(() => new GaussianPsfFactory { MinSize = 15, MaxSize = 9 }.Validate("Model")).Message);
        Assert.Contains("GaussianPsfFactory.WingAmplitude", Assert.Throws<ConfigException>(() => new GaussianPsfFactory { WingAmplitude = 0 }.Apply(3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianPsfFactory().Apply(-1));
    }

    [Fact]
    public void Polynomial_terms_run_by_degree()
    {
        Assert.Equal([(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (3, 0), (2, 1)], Enumerable.Range(0, 8).Select(PixelBasisPsf.Term));
        Assert.Equal([1, 3, 6, 10], new[] { 0, 1, 2, 3 }.Select(PixelBasisPsf.TermCount));
        Span<double> t = stackalloc double[6];
        PixelBasisPsf.EvaluateTerms(2, 0.5, -2, t);
        Assert.Equal([1, 0.5, -2, 0.25, -1, 4], t.ToArray());
    }

    /// <summary>A model whose constant term is a Gaussian of sigma 2 and whose u term makes the kernel wider to the right.</summary>
    private static (PixelBasisPsf Psf, float[] G2, float[] G3) Varying()
    {
        int k = 25;
        var g2 = Kernel(new GaussianPsf(k, 2)).Cast<float>().ToArray();
        var g3 = Kernel(new GaussianPsf(k, 3)).Cast<float>().ToArray();
        var basis = new float[3 * k * k];
        for (int i = 0; i < k * k; i++)
        {
            basis[i] = 0.5f * (g2[i] + g3[i]);            // u = 0: the mean of the two
            basis[k * k + i] = 0.5f * (g3[i] - g2[i]);    // u = +1: g3; u = -1: g2
        }
        return (new PixelBasisPsf(k, 1, new Box2I(100, 50, 2001, 1001), basis), g2, g3);
    }

    [Fact]
    public void A_pixel_polynomial_psf_follows_its_polynomial_and_clamps_outside_its_region()
    {
        var (psf, g2, g3) = Varying();
        Assert.Equal((-1.0, -1.0), psf.Normalize(100, 50));
        Assert.Equal((1.0, 1.0), psf.Normalize(2100, 1050));
        Assert.Equal((0.0, 0.0), psf.Normalize(1100, 550));
        Assert.Equal((1.0, -1.0), psf.Normalize(1e9, -1e9));
        var left = Kernel(psf, 100, 300).Cast<float>().ToArray();
        var right = Kernel(psf, 2100, 300).Cast<float>().ToArray();
        var beyond = Kernel(psf, 5000, 300).Cast<float>().ToArray();
        for (int i = 0; i < left.Length; i++)
        {
            Assert.Equal(g2[i], left[i], 6);
            Assert.Equal(g3[i], right[i], 6);
        }
        Assert.Equal(right, beyond);
        Assert.Equal(2.0, psf.ComputeMoments(100, 300).DeterminantRadius, 3);
        Assert.Equal(3.0, psf.ComputeMoments(2100, 700).DeterminantRadius, 3);
        Assert.Equal(1, Sum(Kernel(psf, 1500, 700)), 5);
    }

    [Fact]
    public void A_pixel_polynomial_psf_refuses_a_basis_that_does_not_fit()
    {
        Assert.Throws<ArgumentException>(() => new PixelBasisPsf(5, 2, new Box2I(0, 0, 10, 10), new float[5 * 25]));
        Assert.Throws<ArgumentException>(() => new PixelBasisPsf(5, 0, new Box2I(0, 0, 0, 10), new float[25]));
        var nan = new float[25];
        nan[3] = float.NaN;
        Assert.Throws<ArgumentException>(() => new PixelBasisPsf(5, 0, new Box2I(0, 0, 10, 10), nan));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PixelBasisPsf(4, 0, new Box2I(0, 0, 10, 10), new float[16]));
        // A basis that sums to zero has no kernel.
        Assert.Throws<InvalidOperationException>(() => new PixelBasisPsf(5, 0, new Box2I(0, 0, 10, 10), new float[25]).ComputeKernelImage(1, 1));
    }
}
