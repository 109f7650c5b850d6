using System.Text.Json;
using ImageCore.Camera;
using ImageCore.Characterize;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Characterize;

/// <summary><see cref="CharacterizeTask"/> end to end on a simulated post-ISR detector (scale 8, the demo's seeing:
/// ~4 px FWHM), its file (PSF and BACKGROUND HDUs) and its configuration file.</summary>
public sealed class CharacterizeTaskTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Exposure PostIsr(out double truthFwhm, out byte[,] truthCosmics, out float[,] truthImage)
    {
        var config = new SimulationConfig { Visits = 1, Detectors = "R22_S11", Scale = 8, Seed = 11, SeeingFwhmArcsec = 6.4 };
        var sim = Simulator.Run(Path.Combine(_dir.Path, "data"), config);
        string truthDir = Path.Combine(_dir.Path, "data", "truth", "000000");
        using (var visit = JsonDocument.Parse(File.ReadAllText(Path.Combine(truthDir, "visit.json"))))
            truthFwhm = visit.RootElement.GetProperty("psfSigmaPixels").GetDouble() * CharacterizeTask.FwhmPerSigma;
        using (var plane = ImageCore.Fits.Fits.ReadImage<byte>(Path.Combine(truthDir, "R22_S11.cosmics.fits")))
        {
            truthCosmics = new byte[plane.Height, plane.Width];
            for (int y = 0; y < plane.Height; y++)
                for (int x = 0; x < plane.Width; x++) truthCosmics[y, x] = plane[x, y];
        }
        using (var plane = ImageCore.Fits.Fits.ReadImage<float>(Path.Combine(truthDir, "R22_S11.fits")))
        {
            truthImage = new float[plane.Height, plane.Width];
            for (int y = 0; y < plane.Height; y++)
                for (int x = 0; x < plane.Width; x++) truthImage[y, x] = plane[x, y];
        }
        using var raw = FitsFile.Open(sim.Raws[0]);
        return IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Path.Combine(_dir.Path, "data", "calib")), new IsrConfig());
    }

    [Fact]
    public void A_detector_is_background_subtracted_repaired_detected_and_gets_its_psf_and_the_file_keeps_them()
    {
        using var exposure = PostIsr(out double truthFwhm, out var truthCosmics, out var truthImage);
        var config = new CharacterizeConfig().ForScale(8);
        // How far each pixel stands above the noise-free sky before characterization: a ray's deposit (500-20,000 e-) is
        // often below the 253 e- noise of these big pixels, so completeness is judged on the rays' 10-sigma pixels.
        var before = exposure.MaskedImage;
        var significance = new double[before.BBox.Height, before.BBox.Width];
        for (int y = 0; y < before.BBox.Height; y++)
            for (int x = 0; x < before.BBox.Width; x++)
                significance[y, x] = (before.Image.Pixels[y, x] - truthImage[y, x]) / Math.Sqrt(before.Variance.Pixels[y, x]);
        Assert.Equal(32, config.Background.BinSize);
        var result = CharacterizeTask.Run(exposure, config, 2);
        var mi = exposure.MaskedImage;
        output.WriteLine($"PSF FWHM {result.PsfFwhm:F3} (truth {truthFwhm:F3}) from {result.Psf.Fit.StarsUsed} stars; {result.CosmicRays.Hits} CRs, " +
                         $"{result.CosmicRays.Pixels} px; {result.Detections.Footprints.Count} sources; background {CharacterizeTask.MeanOf(result.Background):F1}");

        // The PSF: set on the exposure, the truth's width within 3% at this scale (pixels 8x the camera's).
        Assert.NotNull(exposure.Psf);
        Assert.InRange(result.PsfFwhm / truthFwhm, 0.97, 1.03);
        Assert.True(result.Psf.Fit.StarsUsed >= 5);

        // The sky: about 64000 e- before, zero after, in pixels no source or flag touches.
        Assert.InRange(CharacterizeTask.MeanOf(result.Background), 60000, 68000);
        int masked = mi.Mask.GetBitMask("DETECTED", "SAT", "BAD", "CR", "INTRP", "EDGE", "NO_DATA", "SUSPECT");
        var sky = new List<float>();
        for (int y = 0; y < mi.BBox.Height; y++)
            for (int x = 0; x < mi.BBox.Width; x++)
                if ((mi.Mask.Image.Pixels[y, x] & masked) == 0) sky.Add(mi.Image.Pixels[y, x]);
        sky.Sort();
        Assert.InRange(sky[sky.Count / 2], -15f, 15f);   // the noise is 253 e- a pixel; a median of 10^5 pixels is good to ~1 e-

        // Cosmic rays: most truth pixels flagged CR, few CR pixels where no ray fell (stars' cores among them).
        int cr = mi.Mask.GetBitMask("CR"), good = mi.Mask.GetBitMask("SAT", "BAD", "NO_DATA");
        int truthPixels = 0, found = 0, flagged = 0, wrong = 0;
        for (int y = 0; y < mi.BBox.Height; y++)
            for (int x = 0; x < mi.BBox.Width; x++)
            {
                int m = mi.Mask.Image.Pixels[y, x];
                if ((m & good) != 0) continue;
                bool isRay = truthCosmics[y, x] != 0, isFlagged = (m & cr) != 0, bright = isRay && significance[y, x] > 10;
                truthPixels += bright ? 1 : 0;
                found += bright && isFlagged ? 1 : 0;
                flagged += isFlagged ? 1 : 0;
                wrong += isFlagged && !isRay ? 1 : 0;
            }
        output.WriteLine($"CR pixels: {found} of {truthPixels} over 10 sigma found, {wrong} of {flagged} flagged without a ray");
        Assert.True(truthPixels > 0);
        Assert.True(found >= 0.9 * truthPixels, $"{found} of {truthPixels} cosmic-ray pixels over 10 sigma found");
        Assert.True(wrong <= Math.Max(5, flagged / 4), $"{wrong} of {flagged} CR pixels without a ray");

        // Detection: DETECTED set on the sources, none of the image or variance non-finite where unflagged.
        Assert.True(mi.Mask.Count("DETECTED") > 0);
        Assert.True(result.Detections.Footprints.Count > 20);
        int unusable = mi.Mask.GetBitMask("NO_DATA", "BAD", "SAT");
        for (int y = 0; y < mi.BBox.Height; y++)
            for (int x = 0; x < mi.BBox.Width; x++)
                if ((mi.Mask.Image.Pixels[y, x] & unusable) == 0)
                    Assert.True(float.IsFinite(mi.Image.Pixels[y, x]) && float.IsFinite(mi.Variance.Pixels[y, x]), $"pixel ({x}, {y})");

        // The summary keywords.
        var h = exposure.Metadata;
        Assert.Equal(result.CosmicRays.Hits, h.GetInt64("NCRHITS"));
        Assert.Equal(result.Psf.Fit.StarsUsed, h.GetInt64("NPSFSTAR"));
        Assert.Equal(result.PsfFwhm, h.GetDouble("PSFFWHM"), 1e-9);

        // The file: the exposure's HDUs, its PSF and the background; read back, the PSF and the sky are the same.
        string path = Path.Combine(_dir.Path, "calexp.fits");
        CharacterizeTask.Write(path, exposure, result.Background);
        using (var file = FitsFile.Open(path))
        {
            Assert.NotNull(file.FindHdu("PSF"));
            Assert.NotNull(file.FindHdu("BACKGROUND"));
        }
        using var back = ExposureFits.Read(path);
        Assert.NotNull(back.Psf);
        double cx = (mi.BBox.Width - 1) / 2.0, cy = (mi.BBox.Height - 1) / 2.0;
        Assert.Equal(exposure.Psf!.ComputeFwhm(cx, cy), back.Psf!.ComputeFwhm(cx, cy), 1e-6);
        var restored = BackgroundFits.Read(path);
        Assert.Equal(result.Background.GetBinValues(), restored.GetBinValues());
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    [Fact]
    public void An_exposure_without_stars_fails_with_a_named_error_and_no_model()
    {
        // Pure sky noise: a background, nothing to detect, so no PSF star.
        var mi = new MaskedImage(200, 150);
        var rng = new Random(7);
        for (int y = 0; y < 150; y++)
            for (int x = 0; x < 200; x++)
            {
                mi.Image.Pixels[y, x] = 1000 + (float)(31.6 * Gaussian(rng));
                mi.Variance.Pixels[y, x] = 1000;
            }
        var metadata = new FitsHeader();
        metadata.Set("DETNAME", "R22_S11");
        metadata.Set("VISIT", 42);
        using var exposure = new Exposure(mi, metadata);
        var e = Assert.Throws<PsfMeasurementException>(() => CharacterizeTask.Run(exposure, new CharacterizeConfig { Background = new BackgroundConfig { BinSize = 32 } }));
        output.WriteLine(e.Message);
        Assert.Contains("R22_S11", e.Message);
        Assert.Null(exposure.Psf);
    }

    [Fact]
    public void The_configuration_file_merges_over_the_defaults_and_names_what_it_refuses()
    {
        var config = CharacterizeConfigJson.Read("""{"background": {"binSize": 256}, "CosmicRays": {"SigmaClip": 5}}""")!;
        Assert.Equal(256, config.Background.BinSize);
        Assert.Equal(5, config.CosmicRays.SigmaClip);
        Assert.Equal(new CharacterizeConfig().Detection.Threshold, config.Detection.Threshold);
        Assert.Equal(10, config.PsfDetection.Threshold);
        Assert.Equal(128, new CharacterizeConfig().Background.BinSize);
        Assert.Equal(32, CharacterizeConfigJson.Read(CharacterizeConfigJson.Write(new CharacterizeConfig().ForScale(4)))!.Background.BinSize);
        Assert.Equal(64, new CharacterizeConfig { Background = new BackgroundConfig { BinSize = 256 } }.ForScale(4).Background.BinSize);
        Assert.Equal(20, new CharacterizeConfig { Background = new BackgroundConfig { BinSize = 20 } }.ForScale(8).Background.BinSize);

        Assert.Contains("Bakground", Assert.Throws<JsonException>(() => CharacterizeConfigJson.Read("""{"Bakground": {}}""")).Message);
        Assert.Equal("CharacterizeConfig.Detection", Assert.Throws<ConfigException>(() => CharacterizeConfigJson.Read("""{"Detection": null}""")).Setting);
        Assert.Equal("CharacterizeConfig.Background.BinSize", Assert.Throws<ConfigException>(() => CharacterizeConfigJson.Read("""{"Background": {"BinSize": 0}}""")).Setting);
        Assert.Equal("CharacterizeConfig.CosmicRays.SigmaClip", Assert.Throws<ConfigException>(() => CharacterizeConfigJson.Read("""{"CosmicRays": {"SigmaClip": -1}}""")).Setting);
        Assert.Equal("CharacterizeConfig.InitialPsfFwhm", Assert.Throws<ConfigException>(() => new CharacterizeConfig { InitialPsfFwhm = double.NaN }.Validate()).Setting);
        Assert.Throws<ConfigException>(() => new CharacterizeConfig().ForScale(0));
        Assert.Null(CharacterizeConfigJson.Read("null"));
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
