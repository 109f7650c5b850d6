using System.Text.Json;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Simulation;

/// <summary><see cref="SimulationConfig.Transients"/>: trails, the asteroid and the variable star are in the raws and
/// the expected images where <c>truth/transients.json</c> puts them, read through each file's own WCS.</summary>
public sealed class TransientSimulationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly SimulationConfig Config = new()
    {
        Visits = 3, Detectors = "R22_S11", Scale = 8, Seed = 21, DitherDegrees = 0.01, Transients = new TransientConfig { TrailProbability = 1 },
    };

    [Fact]
    public void Transients_land_where_the_truth_says()
    {
        var sim = Simulator.Run(_dir.Path, Config);
        string truthPath = Path.Combine(_dir.Path, "truth", "transients.json");
        Assert.Contains(truthPath, sim.Truth);
        using var doc = JsonDocument.Parse(File.ReadAllText(truthPath));
        var visits = doc.RootElement.GetProperty("visits").EnumerateArray().ToArray();
        Assert.Equal(Config.Visits, visits.Length);

        // The same run without transients: the other draws use streams of their own, so the difference of the two
        // expected images is the transients alone.
        using var plain = new TempDir();
        Simulator.Run(plain.Path, Config with { Transients = null });
        var calib = new CalibrationDirectory(Path.Combine(_dir.Path, "calib"));
        var images = new Exposure[Config.Visits];
        var expected = new Exposure[Config.Visits];
        var without = new Exposure[Config.Visits];   // the expected (noise-free) images, with their WCS
        try
        {
            for (int v = 0; v < Config.Visits; v++)
            {
                using var raw = FitsFile.Open(InputLayout.Raw(_dir.Path, v, "R22_S11"));
                images[v] = IsrTask.Run(raw, CameraModel.LsstCam, calib, new IsrConfig(), maxDegreeOfParallelism: 2);
                expected[v] = ReadPlain(Path.Combine(_dir.Path, "truth", InputLayout.VisitName(v), "R22_S11.fits"));
                without[v] = ReadPlain(Path.Combine(plain.Path, "truth", InputLayout.VisitName(v), "R22_S11.fits"));
            }
            double sky = Config.SkyElectrons * Config.Scale * Config.Scale, noise = Math.Sqrt(sky);
            int checkedSources = 0;
            for (int v = 0; v < Config.Visits; v++)
            {
                // The trail: bright along its great circle in this visit's raw (after ISR), not in the others'.
                var trail = visits[v].GetProperty("trails")[0];
                double ra0 = trail.GetProperty("ra0").GetDouble(), dec0 = trail.GetProperty("dec0").GetDouble();
                double ra1 = trail.GetProperty("ra1").GetDouble(), dec1 = trail.GetProperty("dec1").GetDouble();
                for (int u = 0; u < Config.Visits; u++)
                {
                    double median = MedianAlong(images[u], ra0, dec0, ra1, dec1, out int samples) - sky;
                    Assert.True(samples > 200, $"trail of visit {v}: {samples} samples on the detector in visit {u}");
                    if (u == v) Assert.True(median > 10 * noise, $"trail of visit {v}: {median / noise:F1} sigma above the sky in its own raw");
                    else Assert.True(Math.Abs(median) < 3 * noise, $"trail of visit {v}: {median / noise:F1} sigma in the raw of visit {u}");
                }
                var landed = visits[v].GetProperty("detectors").GetProperty("R22_S11");
                var (x0, y0) = images[v].Wcs!.SkyToPixel(ra0, dec0);
                Assert.Equal(x0, landed.GetProperty("trails")[0].GetProperty("x0").GetDouble(), 2);
                Assert.Equal(y0, landed.GetProperty("trails")[0].GetProperty("y0").GetDouble(), 2);

                // The asteroid: its flux at its position in this visit only; the variable star: the flux the truth gives.
                foreach (string name in new[] { "asteroid", "variable" })
                {
                    var source = visits[v].GetProperty(name);
                    double flux = source.GetProperty("fluxElectrons").GetDouble();
                    var (x, y) = expected[v].Wcs!.SkyToPixel(source.GetProperty("ra").GetDouble(), source.GetProperty("dec").GetDouble());
                    Assert.Equal(x, landed.GetProperty(name).GetProperty("x").GetDouble(), 2);
                    if (TrailNear(landed, x, y)) continue;   // the visit's own trail crosses the aperture
                    checkedSources++;
                    double here = Aperture(expected[v], x, y) - Aperture(without[v], x, y);
                    Assert.True(Math.Abs(here / flux - 1) < 0.01, $"{name} in visit {v}: {here} e- against {flux}");
                    if (name == "asteroid")
                        for (int u = 0; u < Config.Visits; u++)
                        {
                            if (u == v) continue;
                            var (xu, yu) = expected[u].Wcs!.SkyToPixel(source.GetProperty("ra").GetDouble(), source.GetProperty("dec").GetDouble());
                            if (TrailNear(visits[u].GetProperty("detectors").GetProperty("R22_S11"), xu, yu)) continue;
                            double there = Aperture(expected[u], xu, yu) - Aperture(without[u], xu, yu);
                            Assert.True(Math.Abs(there / flux) < 0.01, $"asteroid of visit {v} seen in visit {u}: {there / flux:P1} of it");
                        }
                }
            }
            Assert.True(checkedSources >= 3, $"{checkedSources} point sources clear of trails");
            var fluxes = visits.Select(v => v.GetProperty("variable").GetProperty("fluxElectrons").GetDouble()).ToArray();
            Assert.True(fluxes.Max() > 1.3 * fluxes.Min(), $"the variable star varies: {string.Join(", ", fluxes)}");
        }
        finally
        {
            foreach (var e in images.Concat(expected).Concat(without)) e?.Dispose();
        }
    }

    [Fact]
    public void Transients_are_seeded_and_off_by_default()
    {
        using var other = new TempDir();
        using var plain = new TempDir();
        var config = Config with { Visits = 2 };
        var a = Simulator.Run(_dir.Path, config);
        Simulator.Run(other.Path, config);
        foreach (string f in a.Truth.Concat(a.Raws))
            Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(other.Path, Path.GetRelativePath(_dir.Path, f))));
        var without = Simulator.Run(plain.Path, config with { Transients = null });
        Assert.False(File.Exists(Path.Combine(plain.Path, "truth", "transients.json")));
        Assert.NotEqual(File.ReadAllBytes(a.Raws[0]), File.ReadAllBytes(without.Raws[0]));
        var e = Assert.Throws<ConfigException>(() => Simulator.Run(plain.Path, config with { Transients = new TransientConfig { TrailProbability = 2 } }));
        Assert.Equal("SimulationConfig.Transients.TrailProbability", e.Setting);
    }

    /// <summary>The median image value at 2000 points along the line from (ra0, dec0) to (ra1, dec1) that fall at
    /// least 8 px inside the image (nearest pixel).</summary>
    private static double MedianAlong(Exposure image, double ra0, double dec0, double ra1, double dec1, out int samples)
    {
        var values = new List<double>();
        var wcs = image.Wcs!;
        int w = image.BBox.Width, h = image.BBox.Height;
        for (int i = 0; i <= 2000; i++)
        {
            double t = i / 2000.0;
            var (x, y) = wcs.SkyToPixel(ra0 + t * (ra1 - ra0), dec0 + t * (dec1 - dec0));
            int px = (int)Math.Round(x), py = (int)Math.Round(y);
            if (px < 8 || py < 8 || px >= w - 8 || py >= h - 8) continue;
            values.Add(image.Image.Pixels[py, px]);
        }
        samples = values.Count;
        values.Sort();
        return values.Count == 0 ? double.NaN : values[values.Count / 2];
    }

    /// <summary>A plain single-image FITS file (the simulator's expected image) as an exposure with the file's WCS.</summary>
    private static Exposure ReadPlain(string path)
    {
        using var input = ImageCore.Coadd.CoaddInput.Open(path);
        var mi = new MaskedImage(input.Width, input.Height);
        input.ReadRows(0, mi.Image.Pixels, mi.Mask.Image.Pixels, mi.Variance.Pixels, mi.Mask.GetPlane("NO_DATA"));
        return new Exposure(mi, wcs: input.Wcs);
    }

    private const double ApertureRadius = 12;

    /// <summary>Whether a trail the truth lists for this detector passes within reach (aperture + 6 sigma) of (x, y).</summary>
    private static bool TrailNear(JsonElement landed, double x, double y)
    {
        if (!landed.TryGetProperty("trails", out var trails)) return false;
        foreach (var t in trails.EnumerateArray())
        {
            double x0 = t.GetProperty("x0").GetDouble(), y0 = t.GetProperty("y0").GetDouble(), dx = t.GetProperty("x1").GetDouble() - x0, dy = t.GetProperty("y1").GetDouble() - y0;
            double d = Math.Abs((x - x0) * dy - (y - y0) * dx) / Math.Sqrt(dx * dx + dy * dy);
            if (d < ApertureRadius + 6 * t.GetProperty("sigmaPixels").GetDouble()) return true;
        }
        return false;
    }

    private static double Aperture(Exposure image, double cx, double cy)
    {
        double sum = 0;
        for (int y = (int)(cy - ApertureRadius); y <= (int)(cy + ApertureRadius) + 1; y++)
            for (int x = (int)(cx - ApertureRadius); x <= (int)(cx + ApertureRadius) + 1; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= ApertureRadius * ApertureRadius) sum += image.Image.Pixels[y, x];
        return sum;
    }
}
