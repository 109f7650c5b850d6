using System.Globalization;
using CommunityToolkit.HighPerformance;
using ImageCore.Camera;
using ImageCore.Characterize;
using ImageCore.Fits;
using ImageCore.Isr;
using ImageCore.Psf;
using ImageCore.Simulation;
using ImageCore.Tests.Support;
using Xunit.Abstractions;

namespace ImageCore.Tests.Characterize;

/// <summary>
/// The measured PSF against the simulator's truth (issue 20's acceptance 2): raw -> ISR -> <see cref="CharacterizeTask"/>
/// (background, cosmic rays, detection, <see cref="PsfDeterminer"/>), as the pipeline runs it; at the centre and the four
/// corners, the FWHM within 2% of the truth's, |e1|, |e2| below 0.01, and the kernel image within 1% of the truth's
/// peak. The truth at a position is the simulator's round Gaussian of the width there (<see cref="SeeingField"/>): its
/// FWHM 2.3548 sigma, its kernel the Gaussian integrated over each pixel, centred on the kernel's centre pixel. The
/// quick case (a 1/4-scale detector whose seeing is scaled with its pixels) runs always; the full-size e2v and ITL
/// detectors, with and without the seeing gradient, take about 15 s each and run with IMAGECORE_PSF_FULLSIZE=1 (the
/// figures in docs/benchmarks.md).
/// </summary>
public class PsfAccuracyTests(ITestOutputHelper output)
{
    /// <summary>One row of the accuracy table.</summary>
    internal sealed record Row(string Case, string Where, double TruthFwhm, double ModelFwhm, double E1, double E2, double KernelError)
    {
        public double FwhmError => ModelFwhm / TruthFwhm - 1;
    }

    public static TheoryData<string, double> FullSizeCases => new()
    {
        { "R22_S11", 0.0 },   // e2v, the focal plane's centre, uniform seeing
        { "R01_S11", 0.0 },   // ITL, uniform seeing
        { "R22_S11", 0.5 },   // e2v, seeing gradient 0.5 per 320 mm
        { "R01_S11", 0.5 },   // ITL near the edge of the field: the gradient varies the PSF most there
    };

    [SkippableTheory, MemberData(nameof(FullSizeCases))]
    public void The_model_matches_the_simulated_psf_on_full_size_detectors(string detector, double gradient)
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("IMAGECORE_PSF_FULLSIZE") == "1", "full-size detectors (about 15 s each) run with IMAGECORE_PSF_FULLSIZE=1");
        Check(detector, gradient, scale: 1, seeing: 0.8, seed: 5);
    }

    [Fact]
    public void The_model_follows_a_seeing_gradient_on_a_quarter_scale_detector() =>
        // 1/4 scale with the seeing scaled by 4, so that the PSF is sampled as at full size (about 4.7 pixels FWHM), and
        // twice the stars per detector (4,000 / 4 = 1,000 on the detector: stars thin out by the scale). A 1/16-size detector still gives only about 90 PSF
        // stars, so the kernel is held to 1% of the peak at the centre only (1.2% at the worst corner here); the full-size
        // cases hold it at the corners too.
        Check("R22_S11", 0.5, scale: 4, seeing: 3.2, seed: 5, starsPerDetector: 4000, kernelAtCorners: false);

    private void Check(string detector, double gradient, int scale, double seeing, int seed, int starsPerDetector = 2000, bool kernelAtCorners = true)
    {
        var rows = Measure(detector, gradient, scale, seeing, seed, out var result, starsPerDetector);
        foreach (var r in rows)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Case} | {r.Where} | {r.TruthFwhm:F3} | {r.ModelFwhm:F3} | {100 * r.FwhmError:+0.00;-0.00}% | {r.E1:+0.0000;-0.0000;0.0000} | {r.E2:+0.0000;-0.0000;0.0000} | {100 * r.KernelError:F2}% |"));
        var field = Simulator.VisitConditions(new SimulationConfig { Seed = seed, SeeingGradient = gradient, SeeingFwhmArcsec = seeing }, 0).Seeing;
        output.WriteLine($"visit seeing {field.FwhmArcsec:F3}\" at the boresight, gradient {gradient} towards {field.AngleDegrees:F1} deg; kernel {result.Psf.KernelSize} px");
        output.WriteLine($"stars: {result.Selection.Counts}; order {result.Fit.SpatialOrder}, {result.Fit.StarsUsed} used, median chi2 {result.Fit.MedianChiSquare:F2}");
        Assert.Equal(2, result.Fit.SpatialOrder);
        foreach (var r in rows)
        {
            Assert.True(Math.Abs(r.FwhmError) < 0.02, $"{r.Case} {r.Where}: FWHM {r.ModelFwhm:F3} vs truth {r.TruthFwhm:F3}");
            Assert.True(Math.Abs(r.E1) < 0.01 && Math.Abs(r.E2) < 0.01, $"{r.Case} {r.Where}: e1 {r.E1:F4}, e2 {r.E2:F4}");
            if (kernelAtCorners || r.Where == "centre")
                Assert.True(r.KernelError < 0.01, $"{r.Case} {r.Where}: kernel differs from the truth by {100 * r.KernelError:F2}% of its peak");
        }
    }

    /// <summary>Simulates <paramref name="detector"/>, runs ISR and the characterize task, and
    /// compares the model with the truth at the centre and corners.</summary>
    internal static List<Row> Measure(string detector, double gradient, int scale, double seeing, int seed, out PsfDeterminerResult result,
                                      int starsPerDetector = 2000)
    {
        using var dir = new TempDir();
        var config = new SimulationConfig
        {
            Visits = 1, Detectors = detector, Scale = scale, Seed = seed, SeeingGradient = gradient, SeeingFwhmArcsec = seeing,
            StarsPerDetector = starsPerDetector,
        };
        var sim = Simulator.Run(dir.Path, config);
        var cam = CameraModel.LsstCam.Scaled(scale);
        var det = cam[detector];
        var field = Simulator.VisitConditions(config, 0).Seeing;
        using var raw = FitsFile.Open(sim.Raws[0]);
        using var exposure = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Path.Combine(dir.Path, "calib")), new IsrConfig());
        // The whole characterize task as the pipeline runs it: background, cosmic rays, detection, the PSF model.
        result = CharacterizeTask.Run(exposure, new CharacterizeConfig().ForScale(scale), 2).Psf;
        var psf = result.Psf;
        int w = det.BBox.Width, h = det.BBox.Height, k = psf.KernelSize;
        var rows = new List<Row>();
        string name = $"{detector} ({det.Vendor}) 1/{scale} gradient {gradient}";
        foreach (var (where, x, y) in new[] { ("centre", (w - 1) / 2.0, (h - 1) / 2.0), ("(0, 0)", 0.0, 0.0), ("(W, 0)", w - 1.0, 0.0), ("(0, H)", 0.0, h - 1.0), ("(W, H)", w - 1.0, h - 1.0) })
        {
            double sigma = field.SigmaPixels(cam, det, x, y);
            var truth = TruthKernel(k, sigma);
            var model = new float[k, k];
            psf.ComputeKernelImage(x, y, new Span2D<float>(model));
            double peak = 0, worst = 0;
            for (int j = 0; j < k; j++)
                for (int i = 0; i < k; i++)
                {
                    peak = Math.Max(peak, truth[j, i]);
                    worst = Math.Max(worst, Math.Abs(model[j, i] - truth[j, i]));
                }
            var moments = psf.ComputeMoments(x, y);
            rows.Add(new Row(name, where, PsfMoments.FwhmPerSigma * sigma, psf.ComputeFwhm(x, y), moments.E1, moments.E2, worst / peak));
        }
        return rows;
    }

    /// <summary>The simulator's PSF at a position: a round Gaussian of width <paramref name="sigma"/> integrated over
    /// each pixel (as <see cref="SkyScene"/> renders it), centred on the centre pixel of a k x k kernel, sum 1.</summary>
    internal static float[,] TruthKernel(int k, double sigma)
    {
        var kernel = new float[k, k];
        int c = k / 2;
        double sum = 0;
        for (int j = 0; j < k; j++)
            for (int i = 0; i < k; i++) sum += SkyScene.PixelFraction(i, c, sigma) * SkyScene.PixelFraction(j, c, sigma);
        for (int j = 0; j < k; j++)
            for (int i = 0; i < k; i++) kernel[j, i] = (float)(SkyScene.PixelFraction(i, c, sigma) * SkyScene.PixelFraction(j, c, sigma) / sum);
        return kernel;
    }
}
