using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Isr;

/// <summary>
/// The ISR pieces built so far, chained by hand on a simulated 1/8-scale detector: raw file, assembly,
/// serial overscan, gain, variance, trim, dark and flat. Not the ISR pipeline (that is issue 3's
/// remaining work), but the evidence that its steps compose to the truth within the noise.
/// </summary>
public class MiniIsrChainTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData("R22_S11")]   // e2v
    [InlineData("R10_S02")]   // ITL
    public void Simulated_raw_through_the_steps_recovers_the_truth_within_the_noise(string name)
    {
        var det = CameraModel.LsstCam.Scaled(8)[name];
        int w = det.BBox.Width, h = det.BBox.Height;
        var truth = new float[h, w];
        var flat = new float[h, w];
        var dark = new float[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                truth[y, x] = 800 + 400f * x / w;                                      // sky gradient, e-
                flat[y, x] = (float)(1 - 0.15 * (Math.Pow((x - w / 2.0) / w, 2) + Math.Pow((y - h / 2.0) / h, 2)));   // vignetting
                dark[y, x] = 0.02f;                                                     // e-/s
            }
        var config = new SignatureConfig { DarkTime = 30 };
        using var dir = new TempDir();
        string path = dir.File("raw.fits");
        var segments = InstrumentSignature.MakeRawSegments(det, new(truth), new(flat), new(dark), new(new float[h, w]), config, new Noise(42));
        try { RawFile.Write(path, det, new FitsHeader(), segments); }
        finally { segments.ForEach(s => s.Dispose()); }

        using var file = FitsFile.Open(path);
        using var untrimmed = RawAssembly.ReadUntrimmed(file, det);
        using var untrimmedVar = new Image<float>(det.RawBBox);
        using var untrimmedMask = new Image<int>(det.RawBBox);
        foreach (var amp in det.Amplifiers)
        {
            // Serial overscan: in the assembled frame the overscan lies left of the data when x is flipped.
            var rows = amp.RawSerialOverscanBBox;
            var levels = new float[rows.Height];
            Overscan.MeasureRows(untrimmed.View(rows), dataOnLeft: !amp.FlipX, new OverscanConfig { LeadingToSkip = 1, TrailingToSkip = 1 }, levels);
            var dataRows = amp.RawDataBBox with { MinX = amp.RawBBox.MinX, Width = amp.RawBBox.Width };
            Overscan.SubtractRows(untrimmed.View(dataRows), levels);
            PixelSteps.ApplyGain(untrimmed.View(amp.RawBBox), untrimmedVar.View(amp.RawBBox), amp.Gain);
            PixelSteps.AddVariance(untrimmed.View(amp.RawDataBBox), untrimmedVar.View(amp.RawDataBBox), untrimmedMask.View(amp.RawDataBBox), amp.ReadNoise, badBit: 1);
        }
        using var image = RawAssembly.Trim(untrimmed, det);
        using var variance = RawAssembly.Trim(untrimmedVar, det);
        using var science = new MaskedImage(image, new Mask(w, h), variance.Clone());
        using var darkFrame = new MaskedImage(w, h);
        using var flatFrame = new MaskedImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) { darkFrame.Image[x, y] = dark[y, x]; flatFrame.Image[x, y] = flat[y, x]; }
        CalibrationSteps.SubtractDark(science, darkFrame, config.DarkTime, 1);
        CalibrationSteps.DivideFlat(science, flatFrame);

        double sum = 0, sum2 = 0;
        int n = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double z = (science.Image[x, y] - truth[y, x]) / Math.Sqrt(science.Variance[x, y]);
                sum += z;
                sum2 += z * z;
                n++;
            }
        double mean = sum / n, std = Math.Sqrt(sum2 / n - mean * mean);
        output.WriteLine($"{name}: (ISR - truth) / sqrt(variance) over {n} pixels: mean {mean:F4}, std {std:F4}");
        // 256,000 pixels: the mean of z is known to ~0.002. It is not 0: ip_isr's variance comes from the
        // measured image, which correlates with the residual, so E[z] = -1 / (2 sqrt(signal)), -0.016 at
        // ~1000 e- (measured: -0.016 on both vendors). The bounds, 0.02 and 0.05, hold here.
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(std, 0.95, 1.05);
    }
}
