using System.Text.Json;
using System.Text.Json.Nodes;
using CommunityToolkit.HighPerformance;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Isr;

/// <summary>Issue 17 for ISR: no crash and no silent wrong result on any configuration or calibration. Every failure is a
/// typed exception naming the setting or the file; every output that is made has no pixel outside BAD, SAT, NO_DATA and
/// UNMASKEDNAN with a non-finite image or variance or a negative variance.</summary>
public class IsrHardeningTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Detector = "R22_S11";

    private static SimulationResult Simulate(TempDir dir, string detectors = Detector) =>
        Simulator.Run(dir.Path, new SimulationConfig { Detectors = detectors, Scale = 8, Seed = 17 });

    private static string Calib(TempDir dir) => Path.Combine(dir.Path, "calib");

    private static string FlatPath(TempDir dir) => Path.Combine(Calib(dir), "flat", "r", Detector + ".fits");

    private static Exposure Isr(string raw, string calib, IsrConfig config, int threads = 1, bool fused = true)
    {
        using var file = FitsFile.Open(raw);
        return IsrTask.Run(file, CameraModel.LsstCam, new CalibrationDirectory(calib), config, threads, allowFused: fused);
    }

    /// <summary>The issue's invariant: no pixel that is neither BAD, SAT, NO_DATA nor UNMASKEDNAN has a non-finite image,
    /// a non-finite variance or a negative variance. Returns how many pixels are BAD.</summary>
    internal static long AssertInvariant(Exposure exposure, string where)
    {
        var mi = exposure.MaskedImage;
        int bad = mi.Mask.GetBitMask("BAD");
        int masked = mi.Mask.GetBitMask("BAD", "SAT", "NO_DATA") | (mi.Mask.Planes.ContainsKey("UNMASKEDNAN") ? mi.Mask.GetBitMask("UNMASKEDNAN") : 0);
        long badCount = 0;
        for (int y = 0; y < mi.BBox.Height; y++)
        {
            var img = mi.Image.Pixels.GetRowSpan(y);
            var var = mi.Variance.Pixels.GetRowSpan(y);
            var m = mi.Mask.Image.Pixels.GetRowSpan(y);
            for (int x = 0; x < img.Length; x++)
            {
                if ((m[x] & bad) != 0) badCount++;
                if ((m[x] & masked) != 0) continue;
                if (!float.IsFinite(img[x]) || !float.IsFinite(var[x]) || var[x] < 0)
                    Assert.Fail($"{where}: unmasked pixel ({x}, {y}) has image {img[x]}, variance {var[x]}, mask {m[x]}");
            }
        }
        return badCount;
    }

    /// <summary>Rewrites a calibration exposure with <paramref name="spoil"/> applied to it.</summary>
    private static void Spoil(string path, Action<MaskedImage> spoil)
    {
        using var e = ExposureFits.Read(path);
        spoil(e.MaskedImage);
        ExposureFits.Write(path, e);
    }

    private static void Fill(Image<float> plane, Box2I box, float value)
    {
        var view = plane.View(box);
        for (int y = 0; y < view.Height; y++) view.GetRowSpan(y).Fill(value);
    }

    // ---- configuration ----

    /// <summary>The names of the sections (nested records) of an ISR configuration, as a configuration file spells them.</summary>
    private static IEnumerable<string> Sections() =>
        typeof(IsrConfig).GetProperties().Where(p => p.PropertyType.IsClass && p.PropertyType != typeof(string)).Select(p => p.Name);

    [Fact]
    public void A_null_section_is_named_for_every_section_from_a_file_and_from_code()
    {
        var sections = Sections().ToList();
        Assert.Equal(15, sections.Count);
        foreach (string section in sections)
        {
            var e = Assert.Throws<ConfigException>(() => IsrConfigJson.Read($"{{\"{section}\": null}}"));
            Assert.Equal("IsrConfig." + section, e.Setting);
            Assert.Equal($"IsrConfig.{section} is null; it must be a section (leave it out for the defaults)", e.Message);
            // In lower case too (names match in any case).
            Assert.Equal("IsrConfig." + section, Assert.Throws<ConfigException>(() => IsrConfigJson.Read($"{{\"{section.ToLowerInvariant()}\": null}}")).Setting);
        }
        Assert.Equal("IsrConfig.ParallelOverscan.Overscan",
                     Assert.Throws<ConfigException>(() => IsrConfigJson.Read("{\"ParallelOverscan\": {\"Overscan\": null}}")).Setting);
        // Built in code with a null section: Validate and IsrTask.Run name it, before any work.
        var config = new IsrConfig { Flat = null! };
        Assert.Equal("IsrConfig.Flat", Assert.Throws<ConfigException>(config.Validate).Setting);
        using var dir = new TempDir();
        var sim = Simulate(dir);
        using var raw = FitsFile.Open(sim.Raws[0]);
        Assert.Equal("IsrConfig.Saturation", Assert.Throws<ConfigException>(() =>
            IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Calib(dir)), new IsrConfig { Saturation = null! }, 2)).Setting);
    }

    public static TheoryData<string, string, string> OutOfRange => new()
    {
        { "{\"Overscan\": {\"TrailingToSkip\": 2147483647}}", "IsrConfig.Overscan.TrailingToSkip", "must be 0..4096" },
        { "{\"Overscan\": {\"LeadingToSkip\": -1}}", "IsrConfig.Overscan.LeadingToSkip", "must be 0..4096" },
        { "{\"ParallelOverscan\": {\"Overscan\": {\"LeadingToSkip\": 2147483647}}}", "IsrConfig.ParallelOverscan.Overscan.LeadingToSkip", "must be 0..4096" },
        { "{\"ParallelOverscan\": {\"ColumnSmoothingKernel\": 2147483647}}", "IsrConfig.ParallelOverscan.ColumnSmoothingKernel", "must be odd and 1..1001" },
        { "{\"ParallelOverscan\": {\"ColumnSmoothingKernel\": 10000001}}", "IsrConfig.ParallelOverscan.ColumnSmoothingKernel", "must be odd and 1..1001" },
        { "{\"ParallelOverscan\": {\"ColumnSmoothingKernel\": 4}}", "IsrConfig.ParallelOverscan.ColumnSmoothingKernel", "must be odd" },
        { "{\"ParallelOverscan\": {\"ColumnSmoothingKernel\": -3}}", "IsrConfig.ParallelOverscan.ColumnSmoothingKernel", "must be odd" },
        { "{\"ParallelOverscan\": {\"SaturationGrow\": 2147483647}}", "IsrConfig.ParallelOverscan.SaturationGrow", "must be 0..1000" },
        { "{\"ParallelOverscan\": {\"ColumnRejectGrow\": -1}}", "IsrConfig.ParallelOverscan.ColumnRejectGrow", "must be 0..1000" },
        { "{\"ParallelOverscan\": {\"ColumnRejectThreshold\": 0}}", "IsrConfig.ParallelOverscan.ColumnRejectThreshold", "must be finite, > 0" },
        { "{\"ParallelOverscan\": {\"SaturationFraction\": 1e300}}", "IsrConfig.ParallelOverscan.SaturationFraction", "<= 10" },
        { "{\"ParallelOverscan\": {\"SkipImageMedian\": -1}}", "IsrConfig.ParallelOverscan.SkipImageMedian", "must be finite and in [0, 1E+30]" },
        { "{\"ParallelOverscan\": {\"Overscan\": {\"FitType\": \"Mean\"}}}", "IsrConfig.ParallelOverscan.Overscan.FitType", "MedianPerRow or MeanPerRow" },
        { "{\"Overscan\": {\"NumSigmaClip\": 1e31}}", "IsrConfig.Overscan.NumSigmaClip", "must be finite, > 0 and <= 1E+30" },
        { "{\"Overscan\": {\"MaxDeviation\": -5}}", "IsrConfig.Overscan.MaxDeviation", "must be finite, > 0" },
        { "{\"Overscan\": {\"PolynomialOrder\": 11}}", "IsrConfig.Overscan.PolynomialOrder", "must be 0..10" },
        { "{\"Overscan\": {\"FitType\": 99}}", "IsrConfig.Overscan.FitType", "must be one of Mean, Median, MeanPerRow, MedianPerRow, Polynomial" },
        { "{\"AmplifierParameters\": 7}", "IsrConfig.AmplifierParameters", "must be one of Calibration, Camera" },
        { "{\"Suspect\": {\"FractionOfSaturation\": 0}}", "IsrConfig.Suspect.FractionOfSaturation", "must be finite, > 0 and <= 1" },
        { "{\"CalibrationChecks\": {\"MinFlat\": 0}}", "IsrConfig.CalibrationChecks.MinFlat", "must be finite and in [1E-09, 0.5]" },
        { "{\"CalibrationChecks\": {\"MaxUnusableFraction\": 1.5}}", "IsrConfig.CalibrationChecks.MaxUnusableFraction", "must be finite and in [0, 1]" },
        { "{\"Gain\": {\"Enabled\": false}}", "IsrConfig.Gain.Enabled", "must be true when bias, dark or variance run" },
    };

    [Theory, MemberData(nameof(OutOfRange))]
    public void A_value_out_of_range_is_named_with_its_allowed_range(string json, string setting, string rule)
    {
        var e = Assert.Throws<ConfigException>(() => IsrConfigJson.Read(json));
        Assert.Equal(setting, e.Setting);
        Assert.StartsWith(setting + " ", e.Message);
        Assert.Contains(rule, e.Message);
        Assert.Contains("(is ", e.Message);
    }

    [Fact]
    public void Overflowing_or_oversized_skips_and_kernels_fail_before_any_work_never_as_AggregateException_or_a_stack_overflow()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir);
        // Validation refuses the overflowing value before any thread starts, on one thread or several.
        foreach (int threads in new[] { 1, 2 })
        {
            var e = Assert.Throws<ConfigException>(() => Isr(sim.Raws[0], Calib(dir), new IsrConfig { Overscan = new OverscanConfig { TrailingToSkip = int.MaxValue } }, threads));
            Assert.Equal("IsrConfig.Overscan.TrailingToSkip", e.Setting);
            var k = Assert.Throws<ConfigException>(() => Isr(sim.Raws[0], Calib(dir), new IsrConfig { ParallelOverscan = new ParallelOverscanConfig { ColumnSmoothingKernel = 10_000_001 } }, threads));
            Assert.Equal("IsrConfig.ParallelOverscan.ColumnSmoothingKernel", k.Setting);
        }
        // Valid values that do not fit this detector's overscan (64 serial columns, 48 parallel rows at full size): named
        // with the detector and amplifier when ISR runs.
        var serial = Assert.Throws<ConfigException>(() => Isr(sim.Raws[0], Calib(dir), new IsrConfig { Overscan = new OverscanConfig { LeadingToSkip = 4000, TrailingToSkip = 4000 } }, 2));
        Assert.Contains("IsrConfig.Overscan.LeadingToSkip + TrailingToSkip", serial.Message);
        Assert.Contains($"serial overscan columns of {Detector} amplifier C10", serial.Message);
        Assert.Contains("(is 4000 + 4000)", serial.Message);
        var parallel = Assert.Throws<ConfigException>(() => Isr(sim.Raws[0], Calib(dir),
            new IsrConfig { ParallelOverscan = new ParallelOverscanConfig { Overscan = new OverscanConfig { MaxDeviation = 100, MaxDeviationPositiveOnly = true, TrailingToSkip = 100 } } }, 2));
        Assert.Contains("parallel overscan rows", parallel.Message);
        // The widest kernel allowed runs (on the heap) and the output holds the invariant.
        using var wide = Isr(sim.Raws[0], Calib(dir), new IsrConfig { ParallelOverscan = new ParallelOverscanConfig { ColumnSmoothingKernel = ParallelOverscanConfig.MaxColumnSmoothingKernel } }, 2);
        AssertInvariant(wide, "kernel 1001");
    }

    // ---- calibration contents ----

    /// <summary>Spoilt calibrations that ISR must survive: the pixels are flagged BAD, the output holds the invariant, and
    /// the fused pass (frames read in bands, and read whole) gives the pixels of the one-step-per-pass form.</summary>
    public static TheoryData<string> Spoilt => new()
    {
        "flat zero block", "flat 1e-38 block", "flat denormal block", "flat negative block", "flat NaN rows", "flat NaN columns", "flat +inf block",
        "flat variance negative", "flat variance NaN", "flat variance +inf", "bias NaN block", "bias variance negative", "dark NaN column", "dark +inf rows",
    };

    private static void SpoilFor(string what, TempDir dir)
    {
        string flat = FlatPath(dir), bias = Path.Combine(Calib(dir), "bias", Detector + ".fits"), dark = Path.Combine(Calib(dir), "dark", Detector + ".fits");
        var block = new Box2I(100, 120, 60, 40);
        switch (what)
        {
            case "flat zero block": Spoil(flat, mi => Fill(mi.Image, block, 0)); break;
            case "flat 1e-38 block": Spoil(flat, mi => Fill(mi.Image, block, 1e-38f)); break;
            case "flat denormal block": Spoil(flat, mi => Fill(mi.Image, block, float.Epsilon)); break;
            case "flat negative block": Spoil(flat, mi => Fill(mi.Image, block, -0.8f)); break;
            case "flat NaN rows": Spoil(flat, mi => Fill(mi.Image, new Box2I(0, 200, mi.BBox.Width, 3), float.NaN)); break;
            case "flat NaN columns": Spoil(flat, mi => Fill(mi.Image, new Box2I(37, 0, 2, mi.BBox.Height), float.NaN)); break;
            case "flat +inf block": Spoil(flat, mi => Fill(mi.Image, block, float.PositiveInfinity)); break;
            case "flat variance negative": Spoil(flat, mi => Fill(mi.Variance, block, -1e-3f)); break;
            case "flat variance NaN": Spoil(flat, mi => Fill(mi.Variance, block, float.NaN)); break;
            case "flat variance +inf": Spoil(flat, mi => Fill(mi.Variance, block, float.PositiveInfinity)); break;
            case "bias NaN block": Spoil(bias, mi => Fill(mi.Image, block, float.NaN)); break;
            case "bias variance negative": Spoil(bias, mi => Fill(mi.Variance, block, -4)); break;
            case "dark NaN column": Spoil(dark, mi => Fill(mi.Image, new Box2I(300, 0, 1, mi.BBox.Height), float.NaN)); break;
            case "dark +inf rows": Spoil(dark, mi => Fill(mi.Image, new Box2I(0, 7, mi.BBox.Width, 2), float.PositiveInfinity)); break;
            default: throw new ArgumentException(what);
        }
    }

    [Theory, MemberData(nameof(Spoilt))]
    public void A_spoilt_calibration_pixel_is_flagged_BAD_and_no_unmasked_pixel_is_non_finite(string what)
    {
        using var dir = new TempDir();
        var sim = Simulate(dir);
        long badBefore;
        using (var clean = Isr(sim.Raws[0], Calib(dir), new IsrConfig(), 2)) badBefore = AssertInvariant(clean, "clean");
        SpoilFor(what, dir);
        using var banded = Isr(sim.Raws[0], Calib(dir), new IsrConfig(), 2);
        long bad = AssertInvariant(banded, what);
        Assert.True(bad > badBefore, $"{what}: {bad} BAD pixels, {badBefore} before");
        using var stepwise = Isr(sim.Raws[0], Calib(dir), new IsrConfig(), 1, fused: false);
        IsrTaskTests.AssertSamePixels(stepwise.MaskedImage, banded.MaskedImage, what + " (stepwise vs fused)");
        // Whatever else is off, the invariant holds: without NaN masking, without interpolation.
        foreach (var config in new[]
                 {
                     new IsrConfig { NanMasking = new IsrStepConfig { Enabled = false } },
                     new IsrConfig { Interpolation = new IsrStepConfig { Enabled = false } },
                     new IsrConfig { NanMasking = new IsrStepConfig { Enabled = false }, Interpolation = new IsrStepConfig { Enabled = false }, Dark = new DarkConfig { Enabled = false } },
                 })
        {
            using var e = Isr(sim.Raws[0], Calib(dir), config, 1);
            AssertInvariant(e, $"{what}, {config.NanMasking.Enabled} {config.Interpolation.Enabled}");
        }
        output.WriteLine($"{what}: {bad - badBefore} more BAD pixels");
    }

    [Theory]
    [InlineData("flat", 0f)]
    [InlineData("flat", 1e-38f)]
    [InlineData("flat", float.NaN)]
    [InlineData("bias", float.NaN)]
    [InlineData("dark", float.PositiveInfinity)]
    public void A_calibration_mostly_unusable_fails_ISR_naming_the_frame_and_the_fraction(string kind, float value)
    {
        using var dir = new TempDir();
        var sim = Simulate(dir);
        string path = kind == "flat" ? FlatPath(dir) : Path.Combine(Calib(dir), kind, Detector + ".fits");
        Spoil(path, mi => Fill(mi.Image, mi.BBox with { MinX = 0, MinY = 0 }, value));
        foreach (bool fused in new[] { true, false })
        {
            var e = Assert.Throws<CalibrationException>(() => Isr(sim.Raws[0], Calib(dir), new IsrConfig(), 2, fused));
            Assert.Equal(kind, e.Calibration);
            Assert.Equal(path, e.Path);
            Assert.Contains("(100.0%) are unusable", e.Message);
            Assert.Contains("MaxUnusableFraction", e.Message);
        }
        // Allowing every pixel to be unusable: ISR runs, everything is BAD, nothing unmasked is non-finite.
        using var all = Isr(sim.Raws[0], Calib(dir), new IsrConfig { CalibrationChecks = new CalibrationCheckConfig { MaxUnusableFraction = 1 } }, 2);
        Assert.Equal((long)all.BBox.Width * all.BBox.Height, AssertInvariant(all, "all unusable"));
    }

    [Fact]
    public void A_spoilt_flat_fails_its_isr_quantum_in_a_pipeline_run()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), run = dir.File("run");
        Simulator.Run(data, new SimulationConfig { Detectors = Detector, Scale = 8, Seed = 17 });
        string flat = Path.Combine(data, "calib", "flat", "r", Detector + ".fits");
        Spoil(flat, mi => Fill(mi.Image, mi.BBox with { MinX = 0, MinY = 0 }, 0));
        var report = ImageCore.Execution.Pipeline.Run(data, run, new ImageCore.Execution.PipelineConfig { Threads = 1, Until = ImageCore.Execution.PipelineStep.Isr });
        var isr = report.Steps.Single(s => s.Name == "isr");
        Assert.Equal((1, 0, 1), (isr.Quanta, isr.Succeeded, isr.Failed));
        var failure = Assert.Single(report.Failures, f => f.Step == "isr");
        Assert.Contains("flat", failure.Message);
        Assert.Contains("unusable", failure.Message);
    }

    /// <summary>A source whose amplifier table, crosstalk or linearity carry a value no pixel can stand in for.</summary>
    private sealed class SpoiltCoefficients(ICalibrationSource inner, string what) : ICalibrationSource
    {
        public CalibrationLease<Exposure> GetBias(Detector detector) => inner.GetBias(detector);
        public CalibrationLease<Exposure> GetDark(Detector detector) => inner.GetDark(detector);
        public CalibrationLease<Exposure> GetFlat(Detector detector, string band) => inner.GetFlat(detector, band);
        public CalibrationLease<IReadOnlyList<Box2I>> GetDefects(Detector detector) => inner.GetDefects(detector);

        public CalibrationLease<double[,]> GetCrosstalk(Detector detector)
        {
            using var c = inner.GetCrosstalk(detector);
            var copy = (double[,])c.Value.Clone();
            if (what == "crosstalk") copy[3, 5] = double.NaN;
            return CalibrationLease.Borrowing(copy);
        }

        public CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector detector)
        {
            using var k = inner.GetLinearity(detector);
            var copy = k.Value.ToArray();
            if (what == "linearity") copy[2] = double.PositiveInfinity;
            return CalibrationLease.Borrowing<IReadOnlyList<double>>(copy);
        }

        public CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector detector)
        {
            using var a = inner.GetAmplifiers(detector);
            var copy = a.Value.ToArray();
            copy[4] = what switch
            {
                "gain" => copy[4] with { Gain = double.NaN },
                "huge gain" => copy[4] with { Gain = 1e300 },
                "read noise" => copy[4] with { ReadNoise = -1 },
                "saturation" => copy[4] with { Saturation = double.PositiveInfinity },
                _ => copy[4],
            };
            return CalibrationLease.Borrowing<IReadOnlyList<AmplifierCalibration>>(copy);
        }
    }

    [Theory]
    [InlineData("gain", "amps", "gain NaN")]
    [InlineData("huge gain", "amps", "in single precision")]
    [InlineData("read noise", "amps", "read noise -1")]
    [InlineData("saturation", "amps", "saturation")]
    [InlineData("crosstalk", "crosstalk", "is NaN, must be finite")]
    [InlineData("linearity", "linearity", "must be finite and >= 0")]
    public void Amplifier_values_and_coefficients_that_cannot_be_applied_are_named(string what, string kind, string message)
    {
        using var dir = new TempDir();
        var sim = Simulate(dir);
        using var raw = FitsFile.Open(sim.Raws[0]);
        var e = Assert.Throws<CalibrationException>(() =>
            IsrTask.Run(raw, CameraModel.LsstCam, new SpoiltCoefficients(new CalibrationDirectory(Calib(dir)), what), new IsrConfig(), 2));
        Assert.Equal(kind, e.Calibration);
        Assert.Contains(Detector, e.Message);
        Assert.Contains(message, e.Message);
        // From the files: the amps table with a negative gain, linearity with a negative k, named with the file.
        string amps = Path.Combine(Calib(dir), "amps", Detector + ".json");
        var node = JsonNode.Parse(File.ReadAllText(amps))!;
        node["amplifiers"]![4]!["gain"] = -1.5;
        File.WriteAllText(amps, node.ToJsonString());
        var fromFile = Assert.Throws<CalibrationException>(() => IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Calib(dir)), new IsrConfig(), 1));
        Assert.Equal(amps, fromFile.Path);
        Assert.Contains("gain -1.5", fromFile.Message);
        string linearity = Path.Combine(Calib(dir), "linearity", Detector + ".json");
        var k = JsonNode.Parse(File.ReadAllText(linearity))!;
        k["k"]![0] = -1e-6;
        File.WriteAllText(linearity, k.ToJsonString());
        var fromLinearity = Assert.Throws<CalibrationException>(() =>
            IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Calib(dir)), new IsrConfig { AmplifierParameters = AmplifierParameterSource.Camera }, 1));
        Assert.Equal(linearity, fromLinearity.Path);
    }

    // ---- files ----

    [Fact]
    public void A_defects_file_that_is_a_directory_unreadable_or_not_json_is_named()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir);
        string defects = Path.Combine(Calib(dir), "defects", Detector + ".json");
        File.Delete(defects);
        Directory.CreateDirectory(defects);
        foreach (bool fused in new[] { true, false })
        {
            var e = Assert.Throws<CalibrationException>(() => Isr(sim.Raws[0], Calib(dir), new IsrConfig(), 1, fused));
            Assert.Equal("defects", e.Calibration);
            Assert.Equal(defects, e.Path);
            Assert.Contains("is a directory", e.Message);
        }
        Directory.Delete(defects);
        foreach (string json in new[] { "{not json", "[[1, 2, 3]]", "[[10, 10, -5, 4]]", "[[2147483000, 0, 1000, 1]]", "{\"a\": 1}" })
        {
            File.WriteAllText(defects, json);
            var e = Assert.Throws<CalibrationException>(() => Isr(sim.Raws[0], Calib(dir), new IsrConfig(), 1));
            Assert.Equal("defects", e.Calibration);
            Assert.Equal(defects, e.Path);
        }
        // No defects file at all is no defects (it is optional); a bias that is a directory is named too.
        File.Delete(defects);
        using (var ok = Isr(sim.Raws[0], Calib(dir), new IsrConfig(), 1)) AssertInvariant(ok, "no defects");
        string bias = Path.Combine(Calib(dir), "bias", Detector + ".fits");
        File.Delete(bias);
        Directory.CreateDirectory(bias);
        Assert.Contains("is a directory", Assert.Throws<CalibrationException>(() => Isr(sim.Raws[0], Calib(dir), new IsrConfig(), 1)).Message);
    }

    /// <summary>A copy of <paramref name="raw"/> with segment HDU <paramref name="extName"/> cut to
    /// <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    private static void CopyWithSegment(string raw, string copy, string extName, int width, int height)
    {
        using var file = FitsFile.Open(raw);
        using var w = FitsWriter.Create(copy);
        w.WriteEmpty(file[0].Header.Clone());
        for (int i = 1; i < file.Hdus.Count; i++)
        {
            var hdu = file[i];
            using var pixels = file.ReadImage<int>(hdu);
            var span = pixels.AsSpan2D();
            if (hdu.Header.GetString("EXTNAME", null) == extName) span = span.Slice(0, 0, Math.Min(height, span.Height), Math.Min(width, span.Width));
            w.WriteImage(hdu.Header.Clone(), (ReadOnlySpan2D<int>)span);
        }
        w.Commit();
    }

    [Fact]
    public void A_segment_of_another_size_than_the_amplifiers_is_named_before_any_calibration_is_compared()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir);
        string copy = dir.File("short.fits");
        // R22_S11 at 1/8 scale: 72 x 256 px segments.
        (string ExtName, int Width, int Height, string Expected)[] cases =
        [
            ("Segment05", 36, 256, "Segment05 (amplifier C05) is 36x256 px"),
            ("Segment12", 72, 200, "Segment12 (amplifier C12) is 72x200 px"),
            ("Segment10", 36, 256, "is 36 px wide"),   // the first segment: no known scale
        ];
        foreach (var (ext, width, height, expected) in cases)
        {
            CopyWithSegment(sim.Raws[0], copy, ext, width, height);
            foreach (bool fused in new[] { true, false })
            {
                var e = Assert.Throws<FitsFormatException>(() => Isr(copy, Calib(dir), new IsrConfig(), 2, fused));
                Assert.Contains(copy, e.Message);
                Assert.Contains(expected, e.Message);
                if (ext != "Segment10") Assert.Contains("are 72x256 px", e.Message);
                Assert.DoesNotContain("bias", e.Message);
            }
        }
        // The CLI says the same.
        var (code, _, stderr) = ImageCore.Tests.Cli.InfoCommandTests.Imagecore($"isr --raw \"{copy}\" --calibs \"{Calib(dir)}\" --out \"{dir.File("post.fits")}\"");
        Assert.Equal(1, code);
        Assert.Contains("Segment10", stderr);
    }

    // ---- fuzz ----

    private static readonly string[] FuzzSettings =
    [
        "AmplifierParameters", "Overscan.Enabled", "Overscan.FitType", "Overscan.LeadingToSkip", "Overscan.TrailingToSkip", "Overscan.NumSigmaClip",
        "Overscan.MaxDeviation", "Overscan.MaxDeviationPositiveOnly", "Overscan.PolynomialOrder", "Saturation.Enabled", "Suspect.Enabled",
        "Suspect.FractionOfSaturation", "Crosstalk.Enabled", "ParallelOverscan.Enabled", "ParallelOverscan.Overscan.LeadingToSkip",
        "ParallelOverscan.Overscan.TrailingToSkip", "ParallelOverscan.Overscan.FitType", "ParallelOverscan.Overscan.MaxDeviation",
        "ParallelOverscan.SaturationFraction", "ParallelOverscan.SaturationGrow", "ParallelOverscan.ColumnSmoothingKernel",
        "ParallelOverscan.ColumnRejectThreshold", "ParallelOverscan.ColumnRejectGrow", "ParallelOverscan.SkipOverscanToImageRatio",
        "ParallelOverscan.SkipImageMedian", "Linearity.Enabled", "Gain.Enabled", "Bias.Enabled", "Dark.Enabled", "Dark.ScaleByDarkTime",
        "Defects.Enabled", "NanMasking.Enabled", "Variance.Enabled", "Flat.Enabled", "Interpolation.Enabled", "CalibrationChecks.MinFlat",
        "CalibrationChecks.MaxUnusableFraction",
        // whole sections
        "Overscan", "Saturation", "Suspect", "ParallelOverscan", "ParallelOverscan.Overscan", "Flat", "Dark", "CalibrationChecks", "NoSuchSection",
    ];

    private static readonly string[] FuzzSections = ["Overscan", "Saturation", "Suspect", "ParallelOverscan", "ParallelOverscan.Overscan", "Flat", "Dark", "CalibrationChecks", "NoSuchSection"];

    /// <summary>Anything at all: nulls, extremes, wrong types.</summary>
    private static JsonNode? WildValue(Random rng) => rng.Next(18) switch
    {
        0 => null,
        1 => int.MaxValue,
        2 => int.MinValue,
        3 => -1,
        4 => 0,
        5 => 1e300,
        6 => -1e-300,
        7 => 1e-38,
        8 => "NaN",
        9 => "Infinity",
        10 => true,
        11 => "MedianPerRow",
        12 => "Bogus",
        13 => new JsonArray(1, 2),
        14 => new JsonObject(),
        15 => JsonNode.Parse("2147483648"),
        16 => JsonNode.Parse("1e999"),
        _ => rng.Next(-10, 80),
    };

    /// <summary>A value of the setting's own type, often at or beyond an end of its range.</summary>
    private static JsonNode? TypedValue(Random rng, string setting)
    {
        string leaf = setting.Split('.')[^1];
        if (leaf == "Enabled" || leaf.StartsWith("MaxDeviationPositive", StringComparison.Ordinal) || leaf == "ScaleByDarkTime") return rng.Next(2) == 0;
        if (leaf == "FitType") return new[] { "Mean", "Median", "MeanPerRow", "MedianPerRow", "Polynomial", "meanperrow" }[rng.Next(6)];
        if (leaf == "AmplifierParameters") return rng.Next(2) == 0 ? "Camera" : "Calibration";
        if (leaf.EndsWith("Skip", StringComparison.Ordinal) || leaf.EndsWith("Grow", StringComparison.Ordinal) || leaf.EndsWith("Kernel", StringComparison.Ordinal) || leaf == "PolynomialOrder")
            return new[] { int.MaxValue, int.MinValue, -1, 0, 1, 2, 3, 4, 5, 7, 10, 11, 40, 1000, 1001, 1003, 4096, 4097, 10_000_001 }[rng.Next(19)];
        if (Array.IndexOf(FuzzSections, setting) >= 0) return rng.Next(3) == 0 ? null : new JsonObject();
        return new[] { 0, -1, 1e-38, 1e-9, 1e-4, 0.3, 0.5, 0.9, 1, 1.5, 2, 5, 10, 11, 100, 1e4, 1e30, 1e31, 1e300 }[rng.Next(19)];
    }

    /// <summary>A deterministic random configuration file: a few settings (or whole sections) with values from the
    /// extremes, wrong types, nulls and plausible values; sometimes a name in lower case or given twice.</summary>
    internal static string FuzzConfig(Random rng)
    {
        var root = new JsonObject();
        int n = 1 + rng.Next(3);
        for (int i = 0; i < n; i++)
        {
            string setting = FuzzSettings[rng.Next(FuzzSettings.Length)];
            string[] path = setting.Split('.');
            if (rng.Next(8) == 0) path = path.Select(p => p.ToLowerInvariant()).ToArray();
            var node = root;
            foreach (string part in path[..^1])
            {
                if (node[part] is not JsonObject inner) node[part] = inner = new JsonObject();
                node = inner;
            }
            node[path[^1]] = rng.Next(4) == 0 ? WildValue(rng) : TypedValue(rng, setting);
        }
        string json = root.ToJsonString();
        return rng.Next(20) == 0 ? json.Insert(1, "\"Flat\": {}, ") : json;   // sometimes a section named twice
    }

    [Fact]
    public void Config_fuzz_every_file_either_runs_with_the_invariant_or_fails_naming_the_setting()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir);
        var calibs = new CalibrationDirectory(Calib(dir));
        using var raw = FitsFile.Open(sim.Raws[0]);
        var rng = new Random(1717);
        int ran = 0, refusedJson = 0, refusedConfig = 0, refusedCalibration = 0;
        for (int i = 0; i < 300; i++)
        {
            string json = FuzzConfig(rng);
            try
            {
                var config = IsrConfigJson.Read(json) ?? throw new InvalidOperationException("a fuzzed object read as null");
                using var e = IsrTask.Run(raw, CameraModel.LsstCam, calibs, config, 1 + i % 2);
                AssertInvariant(e, json);
                ran++;
            }
            catch (JsonException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message), json);
                refusedJson++;
            }
            catch (ConfigException e)
            {
                Assert.StartsWith("IsrConfig.", e.Setting);
                Assert.StartsWith(e.Setting, e.Message);
                // The setting named is one the file gives (or, for the gain rule and the overscan fit, the one it conflicts with).
                string leaf = e.Setting.Split('.', ' ')[1];
                Assert.True(json.Contains(leaf, StringComparison.OrdinalIgnoreCase) || e.Setting.StartsWith("IsrConfig.Gain", StringComparison.Ordinal), $"{json}: {e.Message}");
                refusedConfig++;
            }
            catch (CalibrationException e)
            {
                // A configuration that makes a calibration unusable as a whole (the flat floor, say): named.
                Assert.False(string.IsNullOrEmpty(e.Path), json);
                refusedCalibration++;
            }
            catch (Exception e)
            {
                Assert.Fail($"config {i} {json}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        output.WriteLine($"300 configurations: {ran} ran, {refusedJson} refused as JSON, {refusedConfig} as a setting, {refusedCalibration} as a calibration");
        Assert.True(ran >= 30 && refusedJson >= 30 && refusedConfig >= 30, $"{ran} / {refusedJson} / {refusedConfig}");
    }

    private static readonly float[] FuzzPixels = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, -1f, 1e-38f, float.Epsilon, 1e30f, -1e30f, float.MaxValue, 1e-5f];

    [Fact]
    public void Calibration_content_fuzz_every_spoilt_frame_either_runs_with_the_invariant_or_fails_naming_it()
    {
        using var dir = new TempDir();
        var sim = Simulate(dir);
        string clean = dir.File("clean");
        CopyDirectory(Calib(dir), clean);
        var rng = new Random(4242);
        int ran = 0, refused = 0;
        for (int i = 0; i < 40; i++)
        {
            using var work = new TempDir();
            CopyDirectory(clean, work.Path);
            var spoilt = new List<string>();
            for (int j = 1 + rng.Next(3); j > 0; j--)
            {
                string kind = new[] { "bias", "dark", "flat" }[rng.Next(3)];
                string path = kind == "flat" ? Path.Combine(work.Path, "flat", "r", Detector + ".fits") : Path.Combine(work.Path, kind, Detector + ".fits");
                bool variance = rng.Next(3) == 0;
                float value = FuzzPixels[rng.Next(FuzzPixels.Length)];
                int pattern = rng.Next(5);
                spoilt.Add($"{kind} {(variance ? "variance" : "image")} {value} pattern {pattern}");
                Spoil(path, mi =>
                {
                    var plane = variance ? mi.Variance : mi.Image;
                    int w = mi.BBox.Width, h = mi.BBox.Height;
                    var p = plane.Pixels;
                    switch (pattern)
                    {
                        case 0: for (int k = 0; k < 500; k++) p[rng.Next(h), rng.Next(w)] = value; break;   // scattered pixels
                        case 1: p.Slice(rng.Next(h), 0, 1, w).Fill(value); break;                              // a row
                        case 2: p.Slice(0, rng.Next(w), h, 1).Fill(value); break;                              // a column
                        case 3: p.Slice(rng.Next(h / 2), rng.Next(w / 2), h / 4, w / 4).Fill(value); break;     // a block
                        default: p.Fill(value); break;                                                          // the whole plane
                    }
                });
            }
            string what = string.Join("; ", spoilt);
            try
            {
                using var e = Isr(sim.Raws[0], work.Path, new IsrConfig(), 1 + i % 2);
                AssertInvariant(e, what);
                if (i % 4 == 0)
                {
                    using var stepwise = Isr(sim.Raws[0], work.Path, new IsrConfig(), 1, fused: false);
                    IsrTaskTests.AssertSamePixels(stepwise.MaskedImage, e.MaskedImage, what);
                }
                ran++;
            }
            catch (CalibrationException e)
            {
                Assert.Contains(e.Calibration, what);
                Assert.Contains("unusable", e.Message);
                Assert.StartsWith(work.Path, e.Path);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{what}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        output.WriteLine($"40 spoilt calibration sets: {ran} ran, {refused} refused");
        Assert.True(ran >= 10 && refused >= 1, $"{ran} ran, {refused} refused");
    }

    private static readonly string[] NastyJson = ["null", "-1", "0", "1e999", "\"NaN\"", "[]", "{}", "true", "2147483648", "-1e-300", "1e38", "\"C10\""];

    [Fact]
    public void Calibration_file_mutations_raise_only_CalibrationException_or_give_the_invariant()
    {
        // Seeded faults in the calibration files themselves: bytes flipped in a FITS frame (header or pixels), a frame cut
        // short, JSON values replaced by nasty ones or the file cut short. ISR either runs (and its output holds the
        // invariant) or fails with a CalibrationException naming the file; never another exception.
        using var dir = new TempDir();
        var sim = Simulate(dir);
        string clean = dir.File("clean");
        CopyDirectory(Calib(dir), clean);
        string[] files =
        [
            Path.Combine("bias", Detector + ".fits"), Path.Combine("dark", Detector + ".fits"), Path.Combine("flat", "r", Detector + ".fits"),
            Path.Combine("amps", Detector + ".json"), Path.Combine("crosstalk", Detector + ".json"), Path.Combine("linearity", Detector + ".json"),
            Path.Combine("defects", Detector + ".json"),
        ];
        var rng = new Random(1700);
        int ran = 0, refused = 0;
        for (int i = 0; i < 80; i++)
        {
            using var work = new TempDir();
            CopyDirectory(clean, work.Path);
            string file = Path.Combine(work.Path, files[rng.Next(files.Length)]);
            byte[] bytes = File.ReadAllBytes(file);
            string what;
            int mode = rng.Next(3);
            if (mode == 0)
            {
                bytes = bytes[..rng.Next(bytes.Length)];
                what = $"{file} cut to {bytes.Length} bytes";
            }
            else if (file.EndsWith(".json", StringComparison.Ordinal))
            {
                // Replace one number of the JSON text by a nasty token.
                string text = System.Text.Encoding.UTF8.GetString(bytes);
                var numbers = System.Text.RegularExpressions.Regex.Matches(text, @"-?\d+(\.\d+)?([eE][-+]?\d+)?");
                var m = numbers[rng.Next(numbers.Count)];
                string nasty = NastyJson[rng.Next(NastyJson.Length)];
                text = text[..m.Index] + nasty + text[(m.Index + m.Length)..];
                bytes = System.Text.Encoding.UTF8.GetBytes(text);
                what = $"{file}: {m.Value} at {m.Index} -> {nasty}";
            }
            else
            {
                // Flip a few bytes: in the headers (first 2880 bytes of an HDU) or anywhere in the data.
                var flips = new List<int>();
                for (int k = 1 + rng.Next(6); k > 0; k--)
                {
                    int at = rng.Next(2) == 0 ? 2880 * rng.Next(bytes.Length / 2880) + rng.Next(2880) : rng.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << rng.Next(8));
                    flips.Add(at);
                }
                what = $"{file}: bytes {string.Join(", ", flips)} flipped";
            }
            File.WriteAllBytes(file, bytes);
            try
            {
                using var e = Isr(sim.Raws[0], work.Path, new IsrConfig(), 1 + i % 2, fused: i % 3 != 0);
                AssertInvariant(e, what);
                ran++;
            }
            catch (CalibrationException e)
            {
                Assert.True(e.Path == file, $"{what}: {e.Message}");
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{what}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        output.WriteLine($"80 mutated calibration files: {ran} ran, {refused} refused");
        Assert.True(ran >= 5 && refused >= 20, $"{ran} ran, {refused} refused");
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to, StringComparison.Ordinal));
        foreach (string f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to, StringComparison.Ordinal), overwrite: true);
    }
}
