using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Isr;

public class IsrTaskTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static SimulationResult Simulate(TempDir dir, string detectors = "R22_S11,R10_S02") =>
        Simulator.Run(dir.Path, new SimulationConfig { Detectors = detectors, Scale = 8, Seed = 5 });

    [Fact]
    public void Isr_of_simulated_raws_recovers_the_truth_within_the_noise()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir);
        foreach (string rawPath in sim.Raws)
        {
            using var raw = FitsFile.Open(rawPath);
            using var exposure = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Path.Combine(dir.Path, "calib")), new IsrConfig());
            string name = exposure.Metadata.GetString("DETNAME");
            Assert.Equal("electron", exposure.Metadata.GetString("LSST ISR UNITS"));
            var z = Residuals.Against(dir.Path, "000000", exposure);
            double mean = z.Mean, std = z.Std;
            long n = z.Good, saturated = z.Masked, nanInGood = z.NonFiniteInGood;
            var mi = exposure.MaskedImage;
            using var defectsLease = new CalibrationDirectory(Path.Combine(dir.Path, "calib")).GetDefects(IsrTask.FindDetector(raw, CameraModel.LsstCam));
            var defects = defectsLease.Value;
            Assert.NotEmpty(defects);
            foreach (var d in defects)
                for (int y = d.MinY; y <= d.MaxY; y++)
                    Assert.Equal(mi.Mask.GetBitMask("BAD", "INTRP"), mi.Mask.Image[d.MinX, y] & mi.Mask.GetBitMask("BAD", "INTRP"));
            output.WriteLine($"{name}: z over {n} good pixels ({saturated} SAT or BAD): mean {mean:F4}, std {std:F4}");
            Assert.Equal(0, nanInGood);
            Assert.True(saturated > 0, "the brightest stars saturate and are masked");
            // E[z] is not exactly 0: ip_isr's variance comes from the measured image, which correlates with
            // the residual, giving E[z] = -1 / (2 sqrt(signal)): -0.016 at 1000 e-, -0.002 at this 1/8-scale
            // sky of 64,000 e-. Fainter skies at full scale will need that in mind.
            Assert.InRange(mean, -0.02, 0.02);
            Assert.InRange(std, 0.95, 1.05);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_fused_pass_gives_the_pixels_of_the_one_step_per_pass_form(int threads)
    {
        using var dir = new TempDir();
        var sim = Simulate(dir, "R22_S11,R01_S00");
        var calibs = new CalibrationDirectory(Path.Combine(dir.Path, "calib"));
        foreach (string rawPath in sim.Raws)
        {
            using var raw = FitsFile.Open(rawPath);
            using var fused = IsrTask.Run(raw, CameraModel.LsstCam, calibs, new IsrConfig(), threads);
            using var stepwise = IsrTask.Run(raw, CameraModel.LsstCam, calibs, new IsrConfig(), 1, allowFused: false);
            var (f, s) = (fused.MaskedImage, stepwise.MaskedImage);
            Assert.Equal(s.BBox, f.BBox);
            Assert.Equal(s.Mask.Planes, f.Mask.Planes);
            for (int y = 0; y < f.BBox.Height; y++)
            {
                Assert.Equal(s.Image.Pixels.GetRowSpan(y).ToArray(), f.Image.Pixels.GetRowSpan(y).ToArray());
                Assert.Equal(s.Variance.Pixels.GetRowSpan(y).ToArray(), f.Variance.Pixels.GetRowSpan(y).ToArray());
                Assert.Equal(s.Mask.Image.Pixels.GetRowSpan(y).ToArray(), f.Mask.Image.Pixels.GetRowSpan(y).ToArray());
            }
        }
    }

    [SkippableFact]
    public void Cli_isr_writes_an_exposure_that_fitsverify_accepts()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir, "R01_S00");
        string post = dir.File("post.fits");
        string config = dir.File("isr.json");
        File.WriteAllText(config, """{ "Dark": { "Enabled": false }, "Overscan": { "FitType": "MeanPerRow" } }""");
        var (code, _, stderr) = ImageCore.Tests.Cli.InfoCommandTests.Imagecore($"isr --raw \"{sim.Raws[0]}\" --calibs \"{Path.Combine(dir.Path, "calib")}\" --out \"{post}\" --config \"{config}\"");
        Assert.True(code == 0, stderr);
        Peers.AssertFitsverifyClean(post);
        using var e = ExposureFits.Read(post);
        Assert.Contains("ImageCore ISR step: overscan MeanPerRow", e.Metadata.Commentary("HISTORY"));
        Assert.DoesNotContain("ImageCore ISR step: dark", e.Metadata.Commentary("HISTORY"));
        File.WriteAllText(config, """{ "Dark": { "Enable": false } }""");
        var (code2, _, stderr2) = ImageCore.Tests.Cli.InfoCommandTests.Imagecore($"isr --raw \"{sim.Raws[0]}\" --calibs \"{Path.Combine(dir.Path, "calib")}\" --out \"{post}\" --config \"{config}\"");
        Assert.NotEqual(0, code2);
        Assert.Contains("Enable", stderr2);
    }

    [Fact]
    public void Missing_or_mismatched_calibrations_are_named()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir, "R22_S11,R22_S12");
        string calib = Path.Combine(dir.Path, "calib");
        using var raw = FitsFile.Open(sim.Raws[0]);   // R22_S11
        File.Delete(Path.Combine(calib, "dark", "R22_S11.fits"));
        var missing = Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig()));
        Assert.Equal("dark", missing.Calibration);
        Assert.Contains("R22_S11", missing.Message);
        File.Copy(Path.Combine(calib, "bias", "R22_S12.fits"), Path.Combine(calib, "bias", "R22_S11.fits"), overwrite: true);
        var wrong = Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig { Dark = new DarkConfig { Enabled = false } }));
        Assert.Equal("bias", wrong.Calibration);
        Assert.Contains("R22_S12", wrong.Message);
        // A flat of another band.
        Directory.CreateDirectory(Path.Combine(calib, "flat", "g"));
        var cfg = new IsrConfig { Dark = new DarkConfig { Enabled = false }, Bias = new IsrStepConfig { Enabled = false } };
        File.Move(Path.Combine(calib, "flat", "r", "R22_S11.fits"), Path.Combine(calib, "flat", "g", "x.fits"));
        Assert.Equal("flat", Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), cfg)).Calibration);
        Assert.Throws<ArgumentException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), cfg with { Gain = new IsrStepConfig { Enabled = false } }));
    }

    [Fact]
    public void Each_instrument_effect_shows_when_its_step_is_switched_off()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir, "R22_S11");
        string calib = Path.Combine(dir.Path, "calib");
        using var truthFile = FitsFile.Open(Path.Combine(dir.Path, "truth", "000000", "R22_S11.fits"));
        using var truth = truthFile.ReadImage<float>(truthFile[0]);
        double MeanZ(IsrConfig config)
        {
            using var raw = FitsFile.Open(sim.Raws[0]);
            using var e = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), config);
            var mi = e.MaskedImage;
            int skip = mi.Mask.GetBitMask("SAT", "BAD");
            double sum = 0;
            long n = 0;
            for (int y = 0; y < mi.BBox.Height; y++)
                for (int x = 0; x < mi.BBox.Width; x++)
                    if ((mi.Mask.Image[x, y] & skip) == 0) { sum += (mi.Image[x, y] - truth[x, y]) / Math.Sqrt(mi.Variance[x, y]); n++; }
            return sum / n;
        }
        Assert.InRange(MeanZ(new IsrConfig()), -0.02, 0.02);
        Assert.True(MeanZ(new IsrConfig { Linearity = new IsrStepConfig { Enabled = false } }) < -0.1, "uncorrected non-linearity reads low");
        Assert.True(MeanZ(new IsrConfig { Dark = new DarkConfig { Enabled = false } }) > 0.001, "an unsubtracted dark reads high");
        Assert.True(Math.Abs(MeanZ(new IsrConfig { Flat = new IsrStepConfig { Enabled = false } })) > 0.1, "an undivided flat is off");
    }
}
