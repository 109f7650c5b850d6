using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Isr;

public class IsrTaskTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static SimulationResult Simulate(TempDir dir, string detectors = "R22_S11,R10_S02") =>
        Simulator.Run(dir.Path, new SimulationConfig { Detectors = detectors, Scale = 8, Seed = 5 });

    /// <summary>`imagecore isr` on the simulation's first raw with a configuration file: exit code, stdout, stderr.</summary>
    private static (int Code, string Stdout, string Stderr) IsrCli(SimulationResult sim, TempDir dir, string post, string config) =>
        ImageCore.Tests.Cli.InfoCommandTests.Imagecore($"isr --raw \"{sim.Raws[0]}\" --calibs \"{Path.Combine(dir.Path, "calib")}\" --out \"{post}\" --config \"{config}\"");

    /// <summary>The same box, mask planes and pixels (image, variance, mask), row by row.</summary>
    internal static void AssertSamePixels(MaskedImage expected, MaskedImage actual, string where)
    {
        Assert.Equal(expected.BBox, actual.BBox);
        Assert.Equal(expected.Mask.Planes, actual.Mask.Planes);
        for (int y = 0; y < actual.BBox.Height; y++)
        {
            Assert.True(expected.Image.Pixels.GetRowSpan(y).SequenceEqual(actual.Image.Pixels.GetRowSpan(y)), $"{where}: image row {y}");
            Assert.True(expected.Variance.Pixels.GetRowSpan(y).SequenceEqual(actual.Variance.Pixels.GetRowSpan(y)), $"{where}: variance row {y}");
            Assert.True(expected.Mask.Image.Pixels.GetRowSpan(y).SequenceEqual(actual.Mask.Image.Pixels.GetRowSpan(y)), $"{where}: mask row {y}");
        }
    }

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
            AssertSamePixels(stepwise.MaskedImage, fused.MaskedImage, rawPath);
        }
    }

    [Fact]
    public void Cli_isr_configuration_names_match_in_any_case_over_the_defaults_and_bad_values_are_named()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir, "R01_S00");
        string post = dir.File("post.fits"), config = dir.File("isr.json");
        (string Json, string Expected)[] cases =
        [
            // Lower-case names reach the property (its check names it), the other overscan values keep their defaults.
            ("{ \"overscan\": { \"numsigmaclip\": -1 } }", "IsrConfig.Overscan.NumSigmaClip must be finite, > 0 and <= 1E+30 (is -1)"),
            ("{ \"Overscan\": { \"FitType\": \"NoSuchFit\" } }", "FitType"),
            ("{ \"Overscan\": { \"LeadingToSkip\": \"three\" } }", "LeadingToSkip"),
            ("[1, 2]", "JSON object"),
            ("null", "empty configuration"),
            // Issue 17: null sections and values that overflowed or blew the stack are named, without a stack trace.
            ("{\"Flat\": null}", "IsrConfig.Flat is null"),
            ("{\"NanMasking\": null}", "IsrConfig.NanMasking is null"),
            ("{\"Overscan\": {\"TrailingToSkip\": 2147483647}}", "IsrConfig.Overscan.TrailingToSkip must be 0..4096 (is 2147483647)"),
            ("{\"ParallelOverscan\": {\"ColumnSmoothingKernel\": 2147483647}}", "IsrConfig.ParallelOverscan.ColumnSmoothingKernel must be odd and 1..1001 (is 2147483647)"),
        ];
        foreach (var (json, expected) in cases)
        {
            File.WriteAllText(config, json);
            var (code, _, stderr) = IsrCli(sim, dir, post, config);
            Assert.True(code == 1, $"{json}: exit {code}, {stderr}");
            Assert.Contains(expected, stderr);
            Assert.DoesNotContain("Exception", stderr);
            Assert.DoesNotContain("   at ", stderr);
            Assert.False(File.Exists(post), json);
        }
        // One value given in lower case: it applies, and every value left out keeps its default (0 would fail checks).
        File.WriteAllText(config, "{ \"overscan\": { \"fittype\": \"MeanPerRow\" } }");
        var (ok, _, err) = IsrCli(sim, dir, post, config);
        Assert.True(ok == 0, err);
        using var e = ExposureFits.Read(post);
        Assert.Contains("ImageCore ISR step: overscan MeanPerRow", e.Metadata.Commentary("HISTORY"));
    }

    [SkippableFact]
    public void Cli_isr_writes_an_exposure_that_fitsverify_accepts()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir, "R01_S00");
        string post = dir.File("post.fits");
        string config = dir.File("isr.json");
        File.WriteAllText(config, """{ "Dark": { "Enabled": false }, "Overscan": { "FitType": "MeanPerRow" } }""");
        var (code, _, stderr) = IsrCli(sim, dir, post, config);
        Assert.True(code == 0, stderr);
        Peers.AssertFitsverifyClean(post);
        using var e = ExposureFits.Read(post);
        Assert.Contains("ImageCore ISR step: overscan MeanPerRow", e.Metadata.Commentary("HISTORY"));
        Assert.DoesNotContain("ImageCore ISR step: dark", e.Metadata.Commentary("HISTORY"));
        File.WriteAllText(config, """{ "Dark": { "Enable": false } }""");
        var (code2, _, stderr2) = IsrCli(sim, dir, post, config);
        Assert.NotEqual(0, code2);
        Assert.Contains("Enable", stderr2);
        Assert.Contains("ImageCore ISR amplifier gain, read noise, saturation: amps calibration", e.Metadata.Commentary("HISTORY"));

        // Without the amps calibration the default fails naming it; the camera model's values need none.
        File.Delete(Path.Combine(dir.Path, "calib", "amps", "R01_S00.json"));
        File.Delete(post);
        File.WriteAllText(config, "{}");
        var (code3, _, stderr3) = IsrCli(sim, dir, post, config);
        Assert.NotEqual(0, code3);
        Assert.Contains("amps", stderr3);
        Assert.False(File.Exists(post));
        File.WriteAllText(config, """{ "AmplifierParameters": "Camera" }""");
        var (code4, _, stderr4) = IsrCli(sim, dir, post, config);
        Assert.True(code4 == 0, stderr4);
        using var fromCamera = ExposureFits.Read(post);
        Assert.Contains("ImageCore ISR amplifier gain, read noise, saturation: camera model", fromCamera.Metadata.Commentary("HISTORY"));
    }

    /// <summary>A source that hides <see cref="CalibrationDirectory"/>'s band reads: ISR then reads the frames whole.</summary>
    private sealed class WholeFrames(ICalibrationSource inner) : ICalibrationSource
    {
        public CalibrationLease<Exposure> GetBias(Detector detector) => inner.GetBias(detector);
        public CalibrationLease<Exposure> GetDark(Detector detector) => inner.GetDark(detector);
        public CalibrationLease<Exposure> GetFlat(Detector detector, string band) => inner.GetFlat(detector, band);
        public CalibrationLease<IReadOnlyList<Box2I>> GetDefects(Detector detector) => inner.GetDefects(detector);
        public CalibrationLease<double[,]> GetCrosstalk(Detector detector) => inner.GetCrosstalk(detector);
        public CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector detector) => inner.GetLinearity(detector);
        public CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector detector) => inner.GetAmplifiers(detector);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Frames_read_in_row_bands_from_their_files_give_the_pixels_of_frames_read_whole(int threads)
    {
        using var dir = new TempDir();
        var sim = Simulate(dir, "R22_S11,R01_S00");
        var calibs = new CalibrationDirectory(Path.Combine(dir.Path, "calib"));
        foreach (string rawPath in sim.Raws)
        {
            using var raw = FitsFile.Open(rawPath);
            var (reads, bytes) = (calibs.Reads, calibs.BytesRead);
            using var banded = IsrTask.Run(raw, CameraModel.LsstCam, calibs, new IsrConfig(), threads);
            var (bandedReads, bandedBytes) = (calibs.Reads - reads, calibs.BytesRead - bytes);
            using var whole = IsrTask.Run(raw, CameraModel.LsstCam, new WholeFrames(calibs), new IsrConfig(), threads);
            Assert.Equal(bandedReads, calibs.Reads - reads - bandedReads);   // each frame counted once, as its whole file, either way
            Assert.Equal(bandedBytes, calibs.BytesRead - bytes - bandedBytes);
            AssertSamePixels(whole.MaskedImage, banded.MaskedImage, rawPath);
        }
    }

    [Fact]
    public void A_frame_file_cut_short_while_it_is_read_in_bands_fails_ISR_naming_the_frame()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir, "R22_S11");
        string calib = Path.Combine(dir.Path, "calib"), dark = Path.Combine(calib, "dark", "R22_S11.fits");
        using var raw = FitsFile.Open(sim.Raws[0]);
        var detector = IsrTask.FindDetector(raw, CameraModel.LsstCam);
        using var lease = ((IStreamedCalibrationSource)new CalibrationDirectory(calib)).OpenDark(detector);   // headers read and checked
        var frame = CalibrationFrame.Streamed("dark", lease.Value);
        using var buffer = frame.NewBuffer(frame.BandRows);
        int last = detector.BBox.Height - frame.BandRows;
        frame.Read(last, frame.BandRows, buffer);   // whole: fine
        using (var f = new FileStream(dark, FileMode.Open, FileAccess.Write)) f.SetLength(f.Length - 2880 * 4);   // the variance plane's last rows gone
        var e = Assert.Throws<CalibrationException>(() => frame.Read(last, frame.BandRows, buffer));
        Assert.Equal("dark", e.Calibration);
        Assert.Equal(dark, e.Path);
        Assert.Contains("truncated", e.Message);
        // Through ISR, with the file already short: named too.
        var fromIsr = Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig(), 2));
        Assert.Equal("dark", fromIsr.Calibration);
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
        File.Copy(Path.Combine(calib, "dark", "R22_S12.fits"), Path.Combine(calib, "dark", "R22_S11.fits"));
        var wrongBanded = Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig()));   // fused: read in bands
        Assert.Equal("bias", wrongBanded.Calibration);
        Assert.Contains("R22_S12", wrongBanded.Message);
        File.Delete(Path.Combine(calib, "dark", "R22_S11.fits"));
        // A flat of another band.
        Directory.CreateDirectory(Path.Combine(calib, "flat", "g"));
        var cfg = new IsrConfig { Dark = new DarkConfig { Enabled = false }, Bias = new IsrStepConfig { Enabled = false } };
        File.Move(Path.Combine(calib, "flat", "r", "R22_S11.fits"), Path.Combine(calib, "flat", "g", "x.fits"));
        Assert.Equal("flat", Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), cfg)).Calibration);
        Assert.Throws<ConfigException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), cfg with { Gain = new IsrStepConfig { Enabled = false } }));
    }

    [Fact]
    public void Amplifier_gain_read_noise_and_saturation_come_from_the_amps_calibration()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir, "R22_S11");
        string calib = Path.Combine(dir.Path, "calib"), ampsPath = Path.Combine(calib, "amps", "R22_S11.json");
        using var raw = FitsFile.Open(sim.Raws[0]);
        var detector = IsrTask.FindDetector(raw, CameraModel.LsstCam);
        // The simulator writes the camera's values: the table reads back as them, and ISR gives the same bits either way.
        using (var lease = new CalibrationDirectory(calib).GetAmplifiers(detector))
            Assert.Equal(detector.Amplifiers.Select(a => new AmplifierCalibration(a.Name, a.Gain, a.ReadNoise, a.Saturation)), lease.Value);
        var camera = new IsrConfig { AmplifierParameters = AmplifierParameterSource.Camera };
        using var nominal = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), camera);
        using (var same = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig()))
        {
            Assert.Equal(nominal.MaskedImage.Image.Pixels.ToArray(), same.MaskedImage.Image.Pixels.ToArray());
            Assert.Equal(nominal.MaskedImage.Variance.Pixels.ToArray(), same.MaskedImage.Variance.Pixels.ToArray());
        }

        // Amplifier C10 measured with 10% more gain and four times the read noise, C11 saturating at 1000 ADU.
        var table = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(ampsPath))!;
        var c10 = table["amplifiers"]!.AsArray().First(a => (string?)a!["name"] == "C10")!;
        var c11 = table["amplifiers"]!.AsArray().First(a => (string?)a!["name"] == "C11")!;
        c10["gain"] = 1.1 * (double)c10["gain"]!;
        c10["readNoise"] = 4 * (double)c10["readNoise"]!;
        c11["saturation"] = 1000.0;
        File.WriteAllText(ampsPath, table.ToJsonString());
        using var measured = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig());
        var (n, m) = (nominal.MaskedImage, measured.MaskedImage);
        double Median(Box2I box, Func<int, int, double> f)
        {
            var v = new List<double>();
            for (int y = box.MinY + 2; y <= box.MaxY - 2; y++)
                for (int x = box.MinX + 2; x <= box.MaxX - 2; x++) v.Add(f(x, y));
            v.Sort();
            return v[v.Count / 2];
        }
        Box2I AmpBox(string name) => detector[name].BBox;
        Assert.InRange(Median(AmpBox("C10"), (x, y) => m.Image[x, y] / n.Image[x, y]), 1.09, 1.11);
        Assert.InRange(Median(AmpBox("C10"), (x, y) => m.Variance[x, y] - n.Variance[x, y]), 0, double.PositiveInfinity);
        Assert.Equal(1.0, Median(AmpBox("C12"), (x, y) => m.Image[x, y] / n.Image[x, y]));
        int sat = m.Mask.GetBitMask("SAT");
        Assert.True(Median(AmpBox("C11"), (x, y) => m.Mask.Image[x, y] & sat) == sat, "C11's sky is above its 1000 ADU saturation");
        Assert.Equal(0, Median(AmpBox("C11"), (x, y) => n.Mask.Image[x, y] & sat));

        // A table that does not fit the detector, or none, is an error naming the amps calibration.
        c11["name"] = "C99";
        File.WriteAllText(ampsPath, table.ToJsonString());
        var wrongName = Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig()));
        Assert.Equal("amps", wrongName.Calibration);
        Assert.Contains("C99", wrongName.Message);
        c11["name"] = "C11";
        c10["gain"] = -1.0;
        File.WriteAllText(ampsPath, table.ToJsonString());
        Assert.Contains("gain -1", Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig())).Message);
        c10["gain"] = 1.5;
        table["detector"] = "R22_S12";
        File.WriteAllText(ampsPath, table.ToJsonString());
        Assert.Contains("R22_S12", Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig())).Message);
        File.Delete(ampsPath);
        var missing = Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), new IsrConfig()));
        Assert.Equal("amps", missing.Calibration);
        Assert.Contains("R22_S11", missing.Message);
        using var fromCamera = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(calib), camera);   // the camera's values need no table
        Assert.Equal(nominal.MaskedImage.Image.Pixels.ToArray(), fromCamera.MaskedImage.Image.Pixels.ToArray());
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
