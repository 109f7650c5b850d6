using System.Text.Json;
using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;
using ImageCore.Tests.Support;
using ImageCore.Warp;

namespace ImageCore.Tests.Warp;

/// <summary>A round Gaussian PSF whose sigma varies linearly with the position (the science PSF of
/// testdata/psfmatch/make_psfmatch_reference.py): sigma = s0 + sx (x - x0) / w + sy (y - y0) / h.</summary>
internal sealed class VaryingGaussianPsf(int size, double s0, double sx, double sy, Box2I box) : IPsf
{
    public int KernelSize => size;

    public double Sigma(double x, double y) => s0 + sx * (x - box.MinX) / box.Width + sy * (y - box.MinY) / box.Height;

    public void ComputeKernelImage(double x, double y, Span2D<float> destination) =>
        new GaussianPsf(size, Sigma(x, y)).ComputeKernelImage(x, y, destination);

    public PsfMoments ComputeMoments(double x, double y) => new GaussianPsf(size, Sigma(x, y)).ComputeMoments(x, y);

    public double ComputeFwhm(double x, double y) => PsfMoments.FwhmPerSigma * Sigma(x, y);
}

public class ModelPsfMatchTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly Box2I ReferenceBox = new(100, 50, 300, 260);

    private static VaryingGaussianPsf ReferencePsf() => new(25, 1.2, 0.6, 0.3, ReferenceBox);

    [Fact]
    public void Config_defaults_are_lsstcams_and_validate_names_the_setting()
    {
        var c = new ModelPsfMatchConfig();
        c.Validate();
        Assert.Equal(9.0, c.ModelPsf.DefaultFwhm);
        Assert.Equal(27, c.ModelPsf.Apply().KernelSize);
        Assert.Equal(59, c.StampSize(27));
        Assert.Equal(41, c.KernelSize);
        var e = Assert.Throws<ConfigException>(() => (c with { BasisDegrees = [4, 2] }).Validate());
        Assert.Equal("ModelPsfMatchConfig.BasisDegrees", e.Setting);
        e = Assert.Throws<ConfigException>(() => (c with { KernelSize = 40 }).Validate());
        Assert.Equal("ModelPsfMatchConfig.KernelSize", e.Setting);
        // A kernel as large as the stamp cannot be fitted.
        e = Assert.Throws<ConfigException>(() => ModelPsfMatch.Solve(ReferenceBox, ReferencePsf(), c with { AutoPadPsf = false }));
        Assert.Equal("ModelPsfMatchConfig.KernelSize", e.Setting);
    }

    [Fact]
    public void Basis_matches_the_independent_numpy_basis()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.File("psfmatch/psfmatch_reference.json")));
        var basis = new AlardLuptonBasis(41, [1.0, 2.0, 4.5], [4, 2, 2]);
        Assert.Equal(27, basis.Count);
        var sums = doc.RootElement.GetProperty("basis_sums").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var centre = doc.RootElement.GetProperty("basis_center_values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var probe = doc.RootElement.GetProperty("basis_probe").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int b = 0; b < 27; b++)
        {
            var img = basis.Images[b];
            Assert.Equal(sums[b], img.Sum(), 1e-12);
            Assert.Equal(centre[b], img[20 * 41 + 20], 1e-12);
            Assert.Equal(probe[b], img[17 * 41 + 25], 1e-12);
            if (b > 0) Assert.Equal(1.0, img.Sum(v => v * v), 1e-12);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(456)]
    [InlineData(4096)]
    public void The_candidates_dot_product_sums_the_same_way_at_every_vector_width(int n)
    {
        var rng = new Random(n);
        double[] a = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray(), b = Enumerable.Range(0, n).Select(_ => 1e3 * (rng.NextDouble() - 0.5)).ToArray();
        var p = new double[8];
        for (int i = 0; i < n; i++) p[i % 8] += a[i] * b[i];
        double expected = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(ModelPsfMatch.CorrelationScratch.Dot(a, b)));
        Assert.Throws<ArgumentException>(() => ModelPsfMatch.CorrelationScratch.Dot(new double[5], new double[5]));
    }

    [Theory]
    [InlineData(25, 0)]
    [InlineData(41, 0)]
    [InlineData(57, 3)]
    [InlineData(13, 7)]
    public void Vectorised_candidate_systems_match_the_scalar_reference(int psfSize, int offset)
    {
        var config = new ModelPsfMatchConfig();
        var basis = new AlardLuptonBasis(config.KernelSize, config.BasisSigmas, config.BasisDegrees);
        int stamp = 59, fit = stamp - config.KernelSize + 1;
        var rng = new Random(psfSize + offset);
        // A PSF-like stamp (a Gaussian with noise and a NaN-free negative wing), not centred, with zero rows and columns around it.
        var s = new double[stamp * stamp];
        int c = (stamp - psfSize) / 2 + offset;
        for (int y = 0; y < psfSize; y++)
            for (int x = 0; x < psfSize; x++)
            {
                double dx = x - psfSize / 2.0, dy = y - psfSize / 2.0;
                if (c + y < stamp && c + x < stamp) s[(c + y) * stamp + c + x] = Math.Exp(-(dx * dx + dy * dy) / 18) - 0.01 + 1e-3 * rng.NextDouble();
            }
        var target = Enumerable.Range(0, fit * fit).Select(_ => rng.NextDouble()).ToArray();
        var expected = ModelPsfMatch.CandidateSystem.Make(ModelPsfMatch.CorrelateBasisReference(basis, s, stamp, fit), target, basis.Count, fit * fit);
        var actual = new ModelPsfMatch.CorrelationScratch(basis, stamp, fit).System(s, ModelPsfMatch.CorrelationScratch.PadTarget(target, fit));
        double scale = expected.Normal.Max(Math.Abs), rscale = expected.Rhs.Max(Math.Abs), worst = 0;
        for (int i = 0; i < expected.Normal.Length; i++) worst = Math.Max(worst, Math.Abs(actual.Normal[i] - expected.Normal[i]) / scale);
        for (int i = 0; i < expected.Rhs.Length; i++) worst = Math.Max(worst, Math.Abs(actual.Rhs[i] - expected.Rhs[i]) / rscale);
        output.WriteLine($"largest difference {worst:E2} of the largest element");
        Assert.True(worst < 1e-13, $"{worst:E3}");
    }

    [Fact]
    public void Solution_matches_numpy_lstsq_to_1e6()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.File("psfmatch/psfmatch_reference.json")));
        var expected = doc.RootElement.GetProperty("coefficients").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var result = ModelPsfMatch.Solve(ReferenceBox, ReferencePsf(), new ModelPsfMatchConfig());
        var got = result.Kernel.Coefficients;
        Assert.Equal(157, got.Count);
        Assert.Equal(16, result.CandidateCount);
        Assert.True(result.UsedCholesky);
        double worst = 0, scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            double rel = Math.Abs(got[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), 1e-3 * scale);
            worst = Math.Max(worst, rel);
        }
        output.WriteLine($"worst relative coefficient difference {worst:E3}; c0 {got[0]:R}; residual rms {result.ResidualRms:E4} (numpy {doc.RootElement.GetProperty("residual_rms").GetDouble():E4})");
        Assert.True(worst < 1e-6, $"worst relative difference {worst:E3}");
        Assert.Equal(doc.RootElement.GetProperty("residual_rms").GetDouble(), result.ResidualRms, 1e-9);
        Assert.False(result.ScienceWiderThanModel);
    }

    [Fact]
    public void A_science_psf_wider_than_the_model_is_reported()
    {
        var box = new Box2I(0, 0, 200, 200);
        var result = ModelPsfMatch.Solve(box, new GaussianPsf(41, 11.0 / PsfMoments.FwhmPerSigma), new ModelPsfMatchConfig());
        Assert.True(result.ScienceWiderThanModel);
        Assert.Equal(11.0, result.MaxScienceFwhm, 1e-9);
        var narrow = ModelPsfMatch.Solve(box, new GaussianPsf(25, 5.0 / PsfMoments.FwhmPerSigma), new ModelPsfMatchConfig());
        Assert.False(narrow.ScienceWiderThanModel);
        output.WriteLine($"residual rms / model peak: wider {result.ResidualRms / result.ModelPeak:E3}, narrower {narrow.ResidualRms / narrow.ModelPeak:E3}");
    }

    [Theory]
    [InlineData(3.0, false)]
    [InlineData(5.0, false)]
    [InlineData(8.0, false)]
    [InlineData(4.0, true)]
    public void Matched_stars_have_the_models_fwhm_and_keep_their_flux(double fwhm, bool doubleGaussian)
    {
        double sigma = fwhm / PsfMoments.FwhmPerSigma;
        int size = Math.Max(25, (int)(8 * sigma) / 2 * 2 + 1);
        IPsf psf = doubleGaussian ? new DoubleGaussianPsf(size, sigma, 2 * sigma, 0.1) : new GaussianPsf(size, sigma);
        const int w = 240;
        using var image = new MaskedImage(w, w, new Point2I(1000, 2000));
        var star = psf.ComputeKernelImage(0, 0);
        int[] centres = [90, 150];
        foreach (int cy in centres)
            foreach (int cx in centres)
                for (int j = 0; j < size; j++)
                    for (int i = 0; i < size; i++) image.Image[1000 + cx + i - size / 2, 2000 + cy + j - size / 2] += 1000 * star[j, i];
        for (int y = 0; y < w; y++)
            for (int x = 0; x < w; x++) image.Variance[1000 + x, 2000 + y] = 1;
        using var matched = new MaskedImage(w, w, new Point2I(1000, 2000));
        var config = new ModelPsfMatchConfig();
        var result = ModelPsfMatch.Match(image, image.BBox, psf, config, matched);
        var modelImage = config.ModelPsf.Apply().ComputeKernelImage(0, 0);
        double modelFwhm = HalfMaximumWidth((i, j) => modelImage[13 + j, 13 + i]);
        double modelMoments = config.ModelPsf.Apply().ComputeFwhm(0, 0);
        foreach (int cy in centres)
            foreach (int cx in centres)
            {
                var stamp = new float[27, 27];
                double flux = 0, before = 0;
                for (int j = -30; j <= 30; j++)
                    for (int i = -30; i <= 30; i++)
                    {
                        flux += matched.Image[1000 + cx + i, 2000 + cy + j];
                        before += image.Image[1000 + cx + i, 2000 + cy + j];
                        if (Math.Abs(i) <= 13 && Math.Abs(j) <= 13) stamp[j + 13, i + 13] = matched.Image[1000 + cx + i, 2000 + cy + j];
                    }
                double got = HalfMaximumWidth((i, j) => matched.Image[1000 + cx + i, 2000 + cy + j]);
                double moments = PsfExtensions.KernelImageMoments(new ReadOnlySpan2D<float>(stamp)).Fwhm;
                output.WriteLine($"seeing {fwhm} px ({(doubleGaussian ? "double" : "single")} Gaussian): matched FWHM {got:F4} vs model {modelFwhm:F4} ({(got / modelFwhm - 1) * 100:+0.000;-0.000}%), adaptive-moment FWHM {moments:F4} vs {modelMoments:F4} ({(moments / modelMoments - 1) * 100:+0.00;-0.00}%), flux ratio {flux / before:F6}");
                Assert.True(Math.Abs(got / modelFwhm - 1) < 0.01, $"FWHM {got} vs {modelFwhm}");
                Assert.True(Math.Abs(flux / before - 1) < 0.005, $"flux {flux} vs {before}");
            }
        Assert.False(result.ScienceWiderThanModel);
    }

    /// <summary>The full width at half maximum of a profile centred on pixel (0, 0): where it falls to half its centre
    /// value along the 8 axis and diagonal directions (linear between pixels), averaged, times 2.</summary>
    private static double HalfMaximumWidth(Func<int, int, double> value)
    {
        double half = value(0, 0) / 2, sum = 0;
        (int, int)[] directions = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)];
        foreach (var (dx, dy) in directions)
        {
            double prev = value(0, 0);
            int k = 1;
            for (; k < 13; k++)
            {
                double v = value(k * dx, k * dy);
                if (v < half) { sum += Math.Sqrt(dx * dx + dy * dy) * (k - 1 + (prev - half) / (prev - v)); break; }
                prev = v;
            }
            Assert.True(k < 13, "no half maximum within 13 px");
        }
        return 2 * sum / directions.Length;
    }
}
