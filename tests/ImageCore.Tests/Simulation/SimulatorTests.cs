using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Simulation;

public class SimulatorTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly SimulationConfig Small = new() { Detectors = "R22_S11,R10_S02", Scale = 8, Visits = 2, Seed = 11 };

    [SkippableFact]
    public void Every_file_passes_fitsverify_and_raw_sections_agree_with_the_camera()
    {
        using var dir = new TempDir();
        var result = Simulator.Run(dir.Path, Small);
        Assert.Equal(4, result.Raws.Count);
        Assert.Equal(8, result.Calibrations.Count);
        foreach (string f in result.Raws.Concat(result.Calibrations).Concat(result.Truth).Where(p => p.EndsWith(".fits")))
            Peers.AssertFitsverifyClean(f);
        var cam = CameraModel.LsstCam.Scaled(8);
        foreach (string raw in result.Raws)
        {
            using var f = FitsFile.Open(raw);
            var det = cam[f[0].Header.GetString("DETNAME")];
            Assert.Equal(det.Id, f[0].Header.GetInt32("DETECTOR"));
            foreach (string key in new[] { "EXPTIME", "DARKTIME", "MJD-OBS", "RA", "DEC", "ROTPA" }) Assert.True(f[0].Header.Contains(key), key);
            Assert.Equal("r", f[0].Header.GetString("BAND"));
            using var untrimmed = RawAssembly.ReadUntrimmed(f, det);   // checks DATASEC and BIASSEC against the camera
            for (int i = 0; i < 16; i++)
            {
                var detsec = IrafSection.Parse(f[i + 1].Header.GetString("DETSEC"));
                Assert.Equal((det.Amplifiers[i].BBox, det.Amplifiers[i].FlipX, det.Amplifiers[i].FlipY), (detsec.Box, detsec.FlipX, detsec.FlipY));
            }
        }
    }

    [Fact]
    public void The_same_seed_writes_the_same_files()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        var config = Small with { Visits = 1, Detectors = "R22_S11" };
        var ra = Simulator.Run(a.Path, config);
        Simulator.Run(b.Path, config);
        Simulator.Run(c.Path, config with { Seed = 12 });
        foreach (string f in ra.Raws.Concat(ra.Calibrations).Concat(ra.Truth))
        {
            string rel = Path.GetRelativePath(a.Path, f);
            Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(b.Path, rel)));
        }
        string raw = Path.GetRelativePath(a.Path, ra.Raws[0]);
        Assert.NotEqual(File.ReadAllBytes(ra.Raws[0]), File.ReadAllBytes(Path.Combine(c.Path, raw)));
    }

    [Fact]
    public void Bad_options_are_named()
    {
        using var dir = new TempDir();
        Assert.Contains("--scale", Assert.Throws<ArgumentException>(() => Simulator.Run(dir.Path, Small with { Scale = 3 })).Message);
        Assert.Contains("R99", Assert.Throws<ArgumentException>(() => Simulator.Run(dir.Path, Small with { Detectors = "R99" })).Message);
        Assert.Contains("--band", Assert.Throws<ArgumentException>(() => Simulator.Run(dir.Path, Small with { Band = "q" })).Message);
        Assert.Equal(9, Simulator.SelectDetectors(CameraModel.LsstCam, "R22").Count);
        Assert.Equal(189, Simulator.SelectDetectors(CameraModel.LsstCam, "all").Count);
    }

    [Fact]
    public void Hand_chained_isr_with_the_simulated_calibrations_recovers_the_truth()
    {
        using var dir = new TempDir();
        var config = Small with { Visits = 1 };
        var result = Simulator.Run(dir.Path, config);
        var cam = CameraModel.LsstCam.Scaled(8);
        foreach (string raw in result.Raws)
        {
            using var f = FitsFile.Open(raw);
            var det = cam[f[0].Header.GetString("DETNAME")];
            string visitDir = Path.GetFileName(Path.GetDirectoryName(raw)!);
            using var untrimmed = RawAssembly.ReadUntrimmed(f, det);
            using var untrimmedVar = new Image<float>(det.RawBBox);
            using var untrimmedMask = new Mask(new Image<int>(det.RawBBox));
            int sat = untrimmedMask.GetBitMask("SAT");
            foreach (var amp in det.Amplifiers)
            {
                var levels = new float[amp.RawSerialOverscanBBox.Height];
                Overscan.MeasureRows(untrimmed.View(amp.RawSerialOverscanBBox), !amp.FlipX, new OverscanConfig { LeadingToSkip = 1, TrailingToSkip = 1 }, levels);
                Overscan.SubtractRows(untrimmed.View(amp.RawDataBBox with { MinX = amp.RawBBox.MinX, Width = amp.RawBBox.Width }), levels);
                // Saturated: within the bias level of the ADC ceiling (the simulator clips raw ADU there).
                PixelSteps.MaskAtOrAbove(untrimmed.View(amp.RawDataBBox), untrimmedMask.Image.View(amp.RawDataBBox), (float)(amp.Saturation - 25000), sat);
                PixelSteps.ApplyGain(untrimmed.View(amp.RawBBox), untrimmedVar.View(amp.RawBBox), amp.Gain);
                PixelSteps.AddVariance(untrimmed.View(amp.RawDataBBox), untrimmedVar.View(amp.RawDataBBox), untrimmedMask.Image.View(amp.RawDataBBox), amp.ReadNoise, 1);
            }
            using var image = RawAssembly.Trim(untrimmed, det);
            using var variance = RawAssembly.Trim(untrimmedVar, det);
            var maskTrim = new Image<int>(det.BBox);
            foreach (var amp in det.Amplifiers) untrimmedMask.Image.View(amp.RawDataBBox).CopyTo(maskTrim.View(amp.BBox));
            using var science = new MaskedImage(image.Clone(), new Mask(maskTrim), variance.Clone());
            using var bias = ExposureFits.Read(Path.Combine(dir.Path, "calib", "bias", det.Name + ".fits"));
            using var dark = ExposureFits.Read(Path.Combine(dir.Path, "calib", "dark", det.Name + ".fits"));
            using var flat = ExposureFits.Read(Path.Combine(dir.Path, "calib", "flat", "r", det.Name + ".fits"));
            CalibrationSteps.SubtractBias(science, bias.MaskedImage);
            CalibrationSteps.SubtractDark(science, dark.MaskedImage, f[0].Header.GetDouble("DARKTIME"), dark.Metadata.GetDouble("DARKTIME"));
            CalibrationSteps.DivideFlat(science, flat.MaskedImage);

            using var truthFile = FitsFile.Open(Path.Combine(dir.Path, "truth", visitDir, det.Name + ".fits"));
            using var truth = truthFile.ReadImage<float>(truthFile[0]);
            double sum = 0, sum2 = 0;
            long n = 0, masked = 0;
            for (int y = 0; y < det.BBox.Height; y++)
                for (int x = 0; x < det.BBox.Width; x++)
                {
                    if ((science.Mask.Image[x, y] & sat) != 0) { masked++; continue; }
                    double z = (science.Image[x, y] - truth[x, y]) / Math.Sqrt(science.Variance[x, y]);
                    sum += z; sum2 += z * z; n++;
                }
            double mean = sum / n, std = Math.Sqrt(sum2 / n - mean * mean);
            output.WriteLine($"{det.Name}: z over {n} pixels ({masked} saturated left out): mean {mean:F4}, std {std:F4}");
            Assert.InRange(mean, -0.02, 0.02);
            Assert.InRange(std, 0.95, 1.05);
        }
    }
}
