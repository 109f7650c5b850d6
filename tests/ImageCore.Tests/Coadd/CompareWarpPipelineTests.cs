using System.Globalization;
using System.Text.Json;
using ImageCore.Coadd;
using ImageCore.Execution;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Simulation;
using ImageCore.Tests.Support;
using Xunit.Abstractions;

namespace ImageCore.Tests.Coadd;

/// <summary>
/// Issue 21's rejection figures on simulated truth, through the whole pipeline: eight visits of one detector (1/8
/// scale) with the simulator's transients (satellite trails in about half the visits, an asteroid moving 30" a visit, a
/// variable star) run as <c>imagecore run</c> does (ISR, characterize, direct and PSF-matched warps, CompareWarp
/// coadds), beside the same simulation without transients (the other draws, noise included, are the same). Along every
/// trail of <c>truth/transients.json</c> the CompareWarp coadd minus the transient-free one averages below 1 sigma of the
/// coadd's noise, and at the asteroid's positions its median is below 1 sigma, while a MEAN coadd of the same direct
/// warps shows them at many sigma; the bright static stars' fluxes in the CompareWarp coadd are within 0.1% of the MEAN
/// coadd's. An asteroid position next to a static source can be kept: its difference footprint joins the residual
/// footprint of the static source, which every epoch has, so the joined footprint is no transient (at least two thirds
/// of the positions must be rejected; each is printed).
/// </summary>
public class CompareWarpPipelineTests(ITestOutputHelper output)
{
    private static readonly SimulationConfig Config = new()
    {
        Visits = 8, Detectors = "R22_S11", Scale = 8, Seed = 21, DitherDegrees = 0.01,
        Transients = new TransientConfig { TrailProbability = 0.5 },
    };

    [Fact]
    public void Trails_and_the_asteroid_are_rejected_and_static_fluxes_kept()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), plainData = dir.File("plain");
        Simulator.Run(data, Config);
        Simulator.Run(plainData, Config with { Transients = null });
        var config = new PipelineConfig { Threads = 2 };
        var report = Pipeline.Run(data, dir.File("run"), config);
        var plain = Pipeline.Run(plainData, dir.File("runplain"), config);
        Assert.Empty(report.Failures);
        Assert.Equal(report.Coadds, plain.Coadds);
        using var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "truth", "transients.json")));
        var visits = truth.RootElement.GetProperty("visits").EnumerateArray().ToArray();

        var trailPoints = new List<(double Ra, double Dec)>();
        var asteroid = new List<(double Ra, double Dec)>();
        foreach (var v in visits)
        {
            foreach (var t in v.GetProperty("trails").EnumerateArray())
                trailPoints.AddRange(GreatCircle(t.GetProperty("ra0").GetDouble(), t.GetProperty("dec0").GetDouble(),
                                                 t.GetProperty("ra1").GetDouble(), t.GetProperty("dec1").GetDouble(), 20000));
            var a = v.GetProperty("asteroid");
            asteroid.Add((a.GetProperty("ra").GetDouble(), a.GetProperty("dec").GetDouble()));
        }

        var compareWarpTrail = new List<double>();
        var meanTrail = new List<double>();
        var compareWarpAsteroid = new List<double>();
        var meanAsteroid = new List<double>();
        var fluxRatios = new List<double>();
        int border = config.WarpBorder / Config.Scale;
        foreach (string coaddPath in report.Coadds)
        {
            using var compareWarp = ExposureFits.Read(Path.Combine(dir.File("run"), coaddPath));
            using var clean = ExposureFits.Read(Path.Combine(dir.File("runplain"), coaddPath));
            // The MEAN coadd of the same direct warps, on the same region of their grid as the pipeline's coadd.
            var warps = report.Warps.Where(w => Path.GetDirectoryName(w) == Path.Combine(DataRepository.WarpDirectoryName, Path.GetDirectoryName(coaddPath)!["coadd/".Length..],
                                                                                          Path.GetFileNameWithoutExtension(coaddPath)))
                              .Select(w => Path.Combine(dir.File("run"), w)).ToList();
            Assert.NotEmpty(warps);
            var box = compareWarp.MaskedImage.BBox;
            string meanPath = dir.File("mean-" + coaddPath.Replace('/', '-'));
            CoaddTask.Run(warps, meanPath, new CoaddConfig { Statistic = CoaddStatistic.Mean }, 2, new Box2I(border, border, box.Width, box.Height));
            using var mean = ExposureFits.Read(meanPath);

            var wcs = compareWarp.Wcs!;
            int noData = compareWarp.MaskedImage.Mask.GetBitMask("NO_DATA");
            bool Inside(double ra, double dec, out int x, out int y)
            {
                var (px, py) = wcs.SkyToPixel(ra, dec);
                x = (int)Math.Round(px);
                y = (int)Math.Round(py);
                return x >= 3 && y >= 3 && x < box.Width - 3 && y < box.Height - 3
                       && (compareWarp.MaskedImage.Mask.Image.Pixels[y, x] & noData) == 0 && (mean.MaskedImage.Mask.Image.Pixels[y, x] & noData) == 0;
            }
            double Residual(Exposure coadd, int x, int y) =>
                (coadd.MaskedImage.Image.Pixels[y, x] - clean.MaskedImage.Image.Pixels[y, x]) / Math.Sqrt(coadd.MaskedImage.Variance.Pixels[y, x]);

            var seen = new HashSet<(int, int)>();
            foreach (var (ra, dec) in trailPoints)
                if (Inside(ra, dec, out int x, out int y) && seen.Add((x, y)))
                {
                    compareWarpTrail.Add(Residual(compareWarp, x, y));
                    meanTrail.Add(Residual(mean, x, y));
                }
            foreach (var (ra, dec) in asteroid)
                if (Inside(ra, dec, out int x, out int y))
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"asteroid at {coaddPath} ({x}, {y}): {Residual(compareWarp, x, y):F2} sigma (MEAN {Residual(mean, x, y):F2})"));
                    compareWarpAsteroid.Add(Residual(compareWarp, x, y));
                    meanAsteroid.Add(Residual(mean, x, y));
                }

            // Static stars: bright, isolated peaks of the transient-free coadd, away from every trail and asteroid pixel.
            var near = new HashSet<(int, int)>();
            foreach (var (ra, dec) in trailPoints.Concat(asteroid))
            {
                var (px, py) = wcs.SkyToPixel(ra, dec);
                if (px > -20 && py > -20 && px < box.Width + 20 && py < box.Height + 20) near.Add(((int)Math.Round(px) / 16, (int)Math.Round(py) / 16));
            }
            foreach (var (x, y) in BrightPeaks(clean.MaskedImage, 12))
            {
                bool close = false;
                for (int dy = -1; dy <= 1 && !close; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        if (near.Contains((x / 16 + dx, y / 16 + dy))) { close = true; break; }
                if (close) continue;
                fluxRatios.Add(Flux(compareWarp.MaskedImage, x, y, 8) / Flux(mean.MaskedImage, x, y, 8));
            }
        }
        Assert.True(compareWarpTrail.Count > 100, $"only {compareWarpTrail.Count} trail pixels in the coadds");
        Assert.NotEmpty(compareWarpAsteroid);
        Assert.True(fluxRatios.Count >= 5, $"only {fluxRatios.Count} bright static stars");
        double cwTrail = compareWarpTrail.Average(), mTrail = meanTrail.Average();
        double cwAsteroid = OrderStatistics.Median(compareWarpAsteroid), mAsteroid = OrderStatistics.Median(meanAsteroid);
        double fluxError = OrderStatistics.Median(fluxRatios) - 1, worstFlux = fluxRatios.Max(r => Math.Abs(r - 1));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trails: {compareWarpTrail.Count} coadd pixels, mean residual {cwTrail:F3} sigma (CompareWarp) vs {mTrail:F3} sigma (MEAN)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"asteroid: {compareWarpAsteroid.Count} positions, {compareWarpAsteroid.Count(r => Math.Abs(r) < 1)} below 1 sigma; median residual {cwAsteroid:F3} sigma (CompareWarp) vs {mAsteroid:F3} sigma (MEAN)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"static stars: {fluxRatios.Count}, CompareWarp / MEAN flux median {100 * fluxError:+0.0000;-0.0000}%, worst {100 * worstFlux:F4}%"));
        Assert.True(mTrail > 3 && mAsteroid > 3, "the MEAN coadd must show the transients (else this test could not fail)");
        Assert.True(Math.Abs(cwTrail) < 1, $"trails leave {cwTrail:F2} sigma in the CompareWarp coadd");
        Assert.True(Math.Abs(cwAsteroid) < 1, $"the asteroid leaves {cwAsteroid:F2} sigma in the CompareWarp coadd (median over its positions)");
        Assert.True(compareWarpAsteroid.Count(r => Math.Abs(r) < 1) * 3 >= compareWarpAsteroid.Count * 2, "the asteroid is kept at more than a third of its positions");
        Assert.True(Math.Abs(fluxError) < 0.001, $"static fluxes {100 * fluxError:F4}% from the MEAN coadd's");
    }

    /// <summary><paramref name="n"/> points along the great circle from (ra0, dec0) to (ra1, dec1), degrees.</summary>
    private static IEnumerable<(double Ra, double Dec)> GreatCircle(double ra0, double dec0, double ra1, double dec1, int n)
    {
        static (double X, double Y, double Z) Vector(double ra, double dec)
        {
            double a = ra * Math.PI / 180, d = dec * Math.PI / 180;
            return (Math.Cos(d) * Math.Cos(a), Math.Cos(d) * Math.Sin(a), Math.Sin(d));
        }
        var p = Vector(ra0, dec0);
        var q = Vector(ra1, dec1);
        for (int k = 0; k <= n; k++)
        {
            double t = (double)k / n;
            double x = p.X + t * (q.X - p.X), y = p.Y + t * (q.Y - p.Y), z = p.Z + t * (q.Z - p.Z), r = Math.Sqrt(x * x + y * y + z * z);
            double ra = Math.Atan2(y, x) * 180 / Math.PI;
            yield return (ra < 0 ? ra + 360 : ra, Math.Asin(z / r) * 180 / Math.PI);
        }
    }

    /// <summary>Local maxima above 100 sigma with no other such peak within 20 px and <paramref name="margin"/> px from the
    /// edges, every pixel around them good.</summary>
    private static List<(int X, int Y)> BrightPeaks(MaskedImage image, int margin)
    {
        var pixels = image.Image.Pixels;
        var variance = image.Variance.Pixels;
        var mask = image.Mask.Image.Pixels;
        int bad = image.Mask.DefinedBits(["NO_DATA", "BAD", "SAT", "CR", "EDGE", "SUSPECT", "CLIPPED", "REJECTED", "SENSOR_EDGE"]);
        var peaks = new List<(int X, int Y)>();
        for (int y = margin; y < image.BBox.Height - margin; y++)
            for (int x = margin; x < image.BBox.Width - margin; x++)
            {
                float v = pixels[y, x];
                if (!(v > 100 * Math.Sqrt(variance[y, x])) || (mask[y, x] & bad) != 0) continue;
                bool max = true;
                for (int dy = -2; dy <= 2 && max; dy++)
                    for (int dx = -2; dx <= 2; dx++)
                        if ((dx != 0 || dy != 0) && pixels[y + dy, x + dx] >= v) { max = false; break; }
                if (!max) continue;
                bool clean = true;
                for (int dy = -margin; dy <= margin && clean; dy++)
                    for (int dx = -margin; dx <= margin; dx++)
                        if ((mask[y + dy, x + dx] & bad) != 0) { clean = false; break; }
                if (clean) peaks.Add((x, y));
            }
        return peaks.Where(p => !peaks.Exists(q => q != p && Math.Abs(q.X - p.X) < 20 && Math.Abs(q.Y - p.Y) < 20)).ToList();
    }

    private static double Flux(MaskedImage image, int x, int y, int radius)
    {
        double sum = 0;
        for (int dy = -radius; dy <= radius; dy++)
            for (int dx = -radius; dx <= radius; dx++)
                if (dx * dx + dy * dy <= radius * radius) sum += image.Image.Pixels[y + dy, x + dx];
        return sum;
    }
}
