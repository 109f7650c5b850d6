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
/// The measured PSF against the simulator's truth on full-size detectors (issue 20's acceptance 2): raw -> ISR ->
/// a constant background and a threshold detection (<see cref="ThresholdDetection"/>) -> <see cref="MeasurePsfTask"/>;
/// at the centre and the four corners, the FWHM within 2% of the truth's, |e1|, |e2| below 0.01, and the kernel image
/// within 1% of the truth's peak. The truth at a position is the simulator's pixel-integrated round Gaussian
/// (<see cref="SeeingField"/>) centred on the kernel's centre pixel, and its FWHM is measured the same way as the
/// model's (adaptive moments of the kernel image, which include the pixel's own 1/12 pixel^2).
/// </summary>
public class PsfAccuracyTests(ITestOutputHelper output)
{
    /// <summary>One row of the accuracy table.</summary>
    internal sealed record Row(string Case, string Where, double TruthFwhm, double ModelFwhm, double E1, double E2, double KernelError)
    {
        public double FwhmError => ModelFwhm / TruthFwhm - 1;
    }

    public static TheoryData<string, double> Cases => new()
    {
        { "R22_S11", 0.0 },   // e2v, the focal plane's centre, uniform seeing
        { "R01_S11", 0.0 },   // ITL, uniform seeing
        { "R22_S11", 0.5 },   // e2v, seeing gradient 0.5 per 320 mm
        { "R01_S11", 0.5 },   // ITL near the edge of the field: the gradient varies the PSF most there
    };

    [Theory, MemberData(nameof(Cases))]
    public void The_model_matches_the_simulated_psf_at_the_centre_and_corners(string detector, double gradient)
    {
        var rows = Measure(detector, gradient, seed: 5, out var result);
        foreach (var r in rows)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Case} | {r.Where} | {r.TruthFwhm:F3} | {r.ModelFwhm:F3} | {100 * r.FwhmError:+0.00;-0.00}% | {r.E1:+0.0000;-0.0000;0.0000} | {r.E2:+0.0000;-0.0000;0.0000} | {100 * r.KernelError:F2}% |"));
        var seeing = Simulator.VisitConditions(new SimulationConfig { Seed = 5, SeeingGradient = gradient }, 0).Seeing;
        output.WriteLine($"visit seeing {seeing.FwhmArcsec:F3}\" at the boresight, gradient {gradient} towards {seeing.AngleDegrees:F1} deg; kernel {result.Psf.KernelSize} px");
        output.WriteLine($"stars: {result.Selection.Counts}; order {result.Fit.SpatialOrder}, {result.Fit.StarsUsed} used, median chi2 {result.Fit.MedianChiSquare:F2}");
        Assert.Equal(2, result.Fit.SpatialOrder);
        foreach (var r in rows)
        {
            Assert.True(Math.Abs(r.FwhmError) < 0.02, $"{r.Case} {r.Where}: FWHM {r.ModelFwhm:F3} vs truth {r.TruthFwhm:F3}");
            Assert.True(Math.Abs(r.E1) < 0.01 && Math.Abs(r.E2) < 0.01, $"{r.Case} {r.Where}: e1 {r.E1:F4}, e2 {r.E2:F4}");
            Assert.True(r.KernelError < 0.01, $"{r.Case} {r.Where}: kernel differs from the truth by {100 * r.KernelError:F2}% of its peak");
        }
    }

    /// <summary>Simulates <paramref name="detector"/> at full size, runs ISR, detection and the PSF measurement, and
    /// compares the model with the truth at the centre and corners.</summary>
    internal static List<Row> Measure(string detector, double gradient, int seed, out MeasurePsfResult result)
    {
        using var dir = new TempDir();
        var config = new SimulationConfig { Visits = 1, Detectors = detector, Scale = 1, Seed = seed, SeeingGradient = gradient };
        var sim = Simulator.Run(dir.Path, config);
        var cam = CameraModel.LsstCam;
        var det = cam[detector];
        var seeing = Simulator.VisitConditions(config, 0).Seeing;
        using var raw = FitsFile.Open(sim.Raws[0]);
        using var exposure = IsrTask.Run(raw, cam, new CalibrationDirectory(Path.Combine(dir.Path, "calib")), new IsrConfig());
        var footprints = ThresholdDetection.SubtractBackgroundAndDetect(exposure);
        result = MeasurePsfTask.Run(exposure, footprints, new MeasurePsfConfig());
        var psf = result.Psf;
        int w = det.BBox.Width, h = det.BBox.Height, k = psf.KernelSize;
        var rows = new List<Row>();
        string name = $"{detector} ({det.Vendor}) gradient {gradient}";
        foreach (var (where, x, y) in new[] { ("centre", (w - 1) / 2.0, (h - 1) / 2.0), ("(0, 0)", 0.0, 0.0), ("(W, 0)", w - 1.0, 0.0), ("(0, H)", 0.0, h - 1.0), ("(W, H)", w - 1.0, h - 1.0) })
        {
            var truth = TruthKernel(k, seeing.SigmaPixels(cam, det, x, y));
            var model = new float[k, k];
            psf.ComputeKernelImage(x, y, new Span2D<float>(model));
            double peak = 0, worst = 0;
            for (int j = 0; j < k; j++)
                for (int i = 0; i < k; i++)
                {
                    peak = Math.Max(peak, truth[j, i]);
                    worst = Math.Max(worst, Math.Abs(model[j, i] - truth[j, i]));
                }
            var shape = psf.ComputeShape(x, y);
            rows.Add(new Row(name, where, PsfExtensions.KernelImageShape(new ReadOnlySpan2D<float>(truth)).Fwhm, shape.Fwhm, shape.E1, shape.E2, worst / peak));
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
