using CommunityToolkit.HighPerformance;
using ImageCore.Characterize;
using ImageCore.Images;
using ImageCore.Psf;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Characterize;

public class PsfFitterTests
{
    private const int Size = 1000;

    /// <summary>The PSF width of the synthetic field: 1.5 pixels on the left edge, 1.7 on the right, 0.05 more at the top
    /// (more than a real PSF varies across a detector, within what the width clustering keeps in one locus).</summary>
    private static double SigmaAt(double x, double y) => 1.5 + 0.2 * x / (Size - 1) + 0.05 * (y / (Size - 1)) * (y / (Size - 1));

    /// <summary>Stars on a jittered 16 x 16 grid, 4e4 to 4e5 electrons, with the spatially varying width.</summary>
    private static List<SimulatedSource> Stars(int columns = 16, int rows = 16, bool onOneRow = false)
    {
        var rng = new Random(7);
        var list = new List<SimulatedSource>();
        for (int j = 0; j < rows; j++)
            for (int i = 0; i < columns; i++)
            {
                double x = 20 + (Size - 40) * (i + 0.5) / columns + 10 * (rng.NextDouble() - 0.5);
                double y = onOneRow ? 500 : 20 + (Size - 40) * (j + 0.5) / rows + 10 * (rng.NextDouble() - 0.5);
                list.Add(new SimulatedSource(x, y, 4e4 * Math.Pow(10, rng.NextDouble()), SigmaAt(x, y), false));
            }
        return list;
    }

    private static PsfStarSelection Select(Exposure e) =>
        PsfStarSelector.Select(e, ThresholdDetection.SubtractBackgroundAndDetect(e), new PsfStarSelectorConfig());

    /// <summary>The largest difference between the model's kernel and the truth's at (x, y), over the truth's peak.</summary>
    private static double KernelError(IPsf psf, double x, double y)
    {
        int k = psf.KernelSize;
        var truth = PsfAccuracyTests.TruthKernel(k, SigmaAt(x, y));
        var model = new float[k, k];
        psf.ComputeKernelImage(x, y, new Span2D<float>(model));
        double worst = 0, peak = 0;
        for (int j = 0; j < k; j++)
            for (int i = 0; i < k; i++)
            {
                worst = Math.Max(worst, Math.Abs(model[j, i] - truth[j, i]));
                peak = Math.Max(peak, truth[j, i]);
            }
        return worst / peak;
    }

    private static readonly (double X, double Y)[] Corners = [(0, 0), (Size - 1, 0), (0, Size - 1), (Size - 1, Size - 1), (Size / 2.0, Size / 2.0)];

    [Fact]
    public void A_spatially_varying_psf_is_followed_to_the_corners()
    {
        using var e = SyntheticField.Make(Size, Size, Stars());
        var result = PsfDeterminer.Measure(e, ThresholdDetection.SubtractBackgroundAndDetect(e), new PsfDeterminerConfig());
        Assert.Equal(2, result.Fit.SpatialOrder);
        Assert.True(result.Fit.StarsUsed >= 200, $"{result.Fit.StarsUsed} stars used; {result.Selection.Counts}");
        Assert.InRange(result.Fit.MedianChiSquare, 0.5, 1.5);
        foreach (var (x, y) in Corners)
        {
            Assert.True(KernelError(result.Psf, x, y) < 0.01, $"kernel error {KernelError(result.Psf, x, y):P2} at ({x}, {y}); {result.Fit.StarsUsed} stars used; {result.Selection.Counts}");
            Assert.Equal(1, result.Psf.ComputeFwhm(x, y) / (PsfMoments.FwhmPerSigma * SigmaAt(x, y)), 2);
        }
        // A constant model cannot follow it: the same stars with order 0 miss the corners by more.
        var constant = PsfDeterminer.Measure(e, ThresholdDetection.SubtractBackgroundAndDetect(e), new PsfDeterminerConfig { Fit = new() { SpatialOrder = 0 } });
        Assert.True(KernelError(constant.Psf, 0, 0) > 0.03, $"order 0 at (0, 0): {KernelError(constant.Psf, 0, 0):P2}");
    }

    [Fact]
    public void An_unmasked_cosmic_ray_on_a_star_is_clipped()
    {
        using var e = SyntheticField.Make(Size, Size, Stars());
        var selection = Select(e);
        // A hit the selection did not see (it lands after it), 4 pixels from a star's centre, inside its stamp.
        var hit = selection.Candidates[10];
        e.Image[(int)Math.Round(hit.X) + 3, (int)Math.Round(hit.Y) - 2] += 20000;
        var fit = PsfFitter.Fit(e, selection, new PsfFitConfig());
        var star = fit.Stars[10];
        Assert.Same(hit, star.Candidate);
        Assert.True(star.ClippedPixels >= 1 || !star.Used, $"{star.ClippedPixels} clipped pixels, used {star.Used}");
        Assert.True(fit.Stars.Where((s, i) => i != 10).All(s => s.ClippedPixels <= 2), "clean stars lose at most noise peaks");
        foreach (var (x, y) in Corners) Assert.True(KernelError(fit.Psf, x, y) < 0.01, $"kernel error {KernelError(fit.Psf, x, y):P2} at ({x}, {y})");
        Assert.All(fit.Stars.Where(s => s.Used), s => Assert.InRange(s.Flux / s.Candidate.Flux, 0.95, 1.05));
    }

    [Fact]
    public void Few_stars_lower_the_spatial_order_and_too_few_are_a_named_error()
    {
        using var e = SyntheticField.Make(Size, Size, Stars());
        var selection = Select(e);
        PsfStarSelection Take(int n) => selection with { Candidates = selection.Candidates.Take(n).ToList() };
        Assert.Equal(1, PsfFitter.Fit(e, Take(10), new PsfFitConfig()).SpatialOrder);
        Assert.Equal(0, PsfFitter.Fit(e, Take(5), new PsfFitConfig()).SpatialOrder);
        var none = Assert.Throws<PsfMeasurementException>(() => PsfFitter.Fit(e, Take(2), new PsfFitConfig()));
        Assert.StartsWith("SYNTH: 2 PSF stars where a spatial order 0 model needs at least 3", none.Message);
        Assert.Equal(selection.Counts, none.Counts);
        Assert.Contains("footprints:", none.Message);
        var strict = Assert.Throws<PsfMeasurementException>(() => PsfFitter.Fit(e, Take(10), new PsfFitConfig { ReduceOrderWhenFewStars = false }));
        Assert.Contains("10 PSF stars where a spatial order 2 model needs at least 18", strict.Message);
        Assert.Throws<ArgumentException>(() => PsfFitter.Fit(e, selection with { Border = 2 }, new PsfFitConfig()));
    }

    [Fact]
    public void An_exposure_without_stars_fails_by_name_and_gets_no_model()
    {
        using var e = SyntheticField.Make(300, 200, []);
        e.Metadata.Set("VISIT", 12);
        var error = Assert.Throws<PsfMeasurementException>(() => PsfDeterminer.Measure(e, ThresholdDetection.SubtractBackgroundAndDetect(e), new PsfDeterminerConfig()));
        Assert.StartsWith("SYNTH visit 12: 0 PSF stars", error.Message);
        Assert.Equal("SYNTH visit 12", error.Exposure);
        Assert.Null(e.Psf);
    }

    [Fact]
    public void Stars_on_one_row_give_a_constant_psf_or_a_named_error()
    {
        using var e = SyntheticField.Make(Size, Size, Stars(columns: 20, rows: 1, onOneRow: true));
        var footprints = ThresholdDetection.SubtractBackgroundAndDetect(e);
        Assert.Equal(0, PsfDeterminer.Measure(e, footprints, new PsfDeterminerConfig()).Fit.SpatialOrder);
        var error = Assert.Throws<PsfMeasurementException>(() => PsfDeterminer.Measure(e, footprints, new PsfDeterminerConfig { Fit = new() { ReduceOrderWhenFewStars = false } }));
        Assert.Contains("of the height; a spatial order 2 model needs 25% of each", error.Message);
    }

    [Fact]
    public void Cholesky_solves_and_refuses_what_is_not_positive_definite()
    {
        double[] a = [4, 0, 0, 2, 3, 0, 1, 0.5, 2];   // lower triangle of [[4,2,1],[2,3,0.5],[1,0.5,2]]
        double[] b = [1, 2, 3];
        Assert.True(DenseCholesky.Solve(a, b, 3, 1e-9));
        double[,] m = { { 4, 2, 1 }, { 2, 3, 0.5 }, { 1, 0.5, 2 } };
        for (int i = 0; i < 3; i++) Assert.Equal(i + 1, m[i, 0] * b[0] + m[i, 1] * b[1] + m[i, 2] * b[2], 12);
        Assert.False(DenseCholesky.Solve([1, 0, 1, 1], [1, 1], 2, 1e-9));
    }
}
