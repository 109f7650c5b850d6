using System.Globalization;
using System.Text.Json;
using ImageCore.Astrometry;
using ImageCore.Execution;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Psf;
using ImageCore.Simulation;
using ImageCore.Tests.Support;
using Xunit.Abstractions;

namespace ImageCore.Tests.Execution;

/// <summary>One simulated dataset (six visits of raft R22 at 1/8 scale, seeing scaled with the pixels) run through the
/// whole pipeline once, shared by the tests that check what came out.</summary>
public sealed class PipelineRunFixture : IDisposable
{
    public PipelineRunFixture()
    {
        Data = System.IO.Path.Combine(Dir.Path, "data");
        Out = System.IO.Path.Combine(Dir.Path, "run");
        Simulation = new SimulationConfig { Visits = 6, Detectors = "R22", Scale = 8, Seed = 3, SeeingFwhmArcsec = 6.4 };
        Simulator.Run(Data, Simulation);
        Report = Pipeline.Run(Data, Out, new PipelineConfig { Threads = 2 });
    }

    internal TempDir Dir { get; } = new();

    public string Data { get; }

    public string Out { get; }

    public SimulationConfig Simulation { get; }

    public PipelineReport Report { get; }

    public void Dispose() => Dir.Dispose();
}

public sealed class PipelineTests(PipelineRunFixture run, ITestOutputHelper output) : IClassFixture<PipelineRunFixture>
{
    [Fact]
    public void Every_quantum_runs_and_the_layout_and_report_are_as_documented()
    {
        var report = run.Report;
        Assert.Empty(report.Failures);
        Assert.Equal(["isr", "characterize", "warp", "psfmatch", "coadd"], report.Steps.Select(s => s.Name));
        var isr = report.Steps[0];
        Assert.Equal(6 * 9, isr.Quanta);
        Assert.Equal(54, isr.Succeeded);
        Assert.All(report.Steps, s => Assert.Equal(s.Quanta, s.Succeeded + s.Failed + s.Skipped + s.Empty));
        Assert.All(report.Steps, s => Assert.True(s.WallSeconds > 0 && s.CpuSeconds >= 0));
        Assert.Equal(54, report.PostIsr.Count);
        Assert.All(report.PostIsr, p => Assert.Matches(@"^postisr/\d{6}/R22_S\d\d\.fits$", p));
        Assert.All(report.Warps, p => Assert.Matches(@"^warp/\d{5}/\d{3}/\d{6}\.fits$", p));
        Assert.All(report.PsfMatchedWarps, p => Assert.Matches(@"^psfmatchedwarp/\d{5}/\d{3}/\d{6}\.fits$", p));
        Assert.All(report.Coadds, p => Assert.Matches(@"^coadd/\d{5}/\d{3}\.fits$", p));
        Assert.Equal(54, report.Steps[1].Succeeded);
        Assert.Equal(54, report.Calexps.Count);
        Assert.All(report.Calexps, p => Assert.Matches(@"^calexp/\d{6}/R22_S\d\d\.fits$", p));
        Assert.Equal(report.Steps[2].Succeeded, report.Warps.Count);
        Assert.Equal(report.Steps[3].Succeeded, report.PsfMatchedWarps.Count);
        Assert.Equal(report.Steps[4].Succeeded, report.Coadds.Count);
        Assert.True(report.Coadds.Count >= 4);
        foreach (string p in report.PostIsr.Concat(report.Calexps).Concat(report.Warps).Concat(report.Coadds)) Assert.True(File.Exists(Path.Combine(run.Out, p)), p);
        Assert.Empty(Directory.GetFiles(run.Out, "*.tmp", SearchOption.AllDirectories));
        // The default coadd is CompareWarp's, carrying the CoaddPsf of its visits' detectors; a PSF-matched warp carries
        // the model PSF.
        using (var coadd = ExposureFits.Read(Path.Combine(run.Out, report.Coadds[0])))
        {
            Assert.Equal("COMPAREWARP", coadd.Metadata.GetString("COADDSTA"));
            Assert.IsType<CoaddPsf>(coadd.Psf);
        }
        using (var matched = ExposureFits.Read(Path.Combine(run.Out, report.PsfMatchedWarps[0])))
        {
            Assert.IsType<DoubleGaussianPsf>(matched.Psf);
            Assert.True(matched.Metadata.GetInt64("PMNDET") >= 1);
        }

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Out, "report.json")));
        var root = json.RootElement;
        Assert.Equal(5, root.GetProperty("steps").GetArrayLength());
        Assert.Equal("isr", root.GetProperty("steps")[0].GetProperty("name").GetString());
        Assert.Equal(54, root.GetProperty("steps")[0].GetProperty("succeeded").GetInt32());
        Assert.Equal(report.Coadds.Count, root.GetProperty("coadds").GetArrayLength());
    }

    [Fact]
    public void Direct_warps_record_their_visit_detectors_and_weights()
    {
        string warp = run.Report.Warps[0];
        using var file = FitsFile.Open(Path.Combine(run.Out, warp));
        var h = file[0].Header;
        string[] parts = warp.Split('/');
        Assert.Equal(int.Parse(parts[1], CultureInfo.InvariantCulture), h.GetInt64("TRACT"));
        Assert.Equal(int.Parse(parts[2], CultureInfo.InvariantCulture), h.GetInt64("PATCH"));
        Assert.Equal(int.Parse(parts[3][..6], CultureInfo.InvariantCulture), h.GetInt64("VISIT"));
        long n = h.GetInt64("NINDET");
        Assert.InRange(n, 1, 9);
        for (int k = 0; k < n; k++)
        {
            Assert.Matches(@"^R22_S\d\d$", h.GetString($"INDET{k:D3}"));
            Assert.True(h.GetInt64($"INGPX{k:D3}") > 0);
            Assert.True(h.GetDouble($"INWGT{k:D3}") > 0);
        }
        Assert.False(h.Contains("DETNAME"));
        // The grid is the patch's outer box grown by 256 / 8 pixels: 3400 / 8 + 2 * 32.
        var image = file.GetHdu("IMAGE");
        Assert.Equal(425 + 64, image.Width);
        Assert.Equal(425 + 64, image.Height);
        using var coaddFile = FitsFile.Open(Path.Combine(run.Out, run.Report.Coadds[0]));
        Assert.Equal(425, coaddFile.GetHdu("IMAGE").Width);
    }

    /// <summary>Acceptance: the coadd's noise in empty sky matches its variance plane within 5%, and star fluxes
    /// measured in the coadd agree with the truth catalogue.</summary>
    [Fact]
    public void Coadd_noise_matches_its_variance_and_star_fluxes_match_the_truth()
    {
        var sky = File.ReadAllLines(Path.Combine(run.Data, "truth", "catalog.csv")).Skip(1).Select(line =>
        {
            var f = line.Split(',');
            double P(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            return new SkySource(P(0), P(1), P(2), P(3), f[4] == "1");
        }).ToList();
        double psfSigma = run.Simulation.MedianSeeingFwhmArcsec * 1.2 / 2.3548 / 1.6;   // the widest visit's, pixels
        var noiseRatios = new List<double>();
        var fluxRatios = new List<double>();
        var pulls = new List<double>();
        int crowded = 0, flagged = 0, faint = 0;
        foreach (string coadd in run.Report.Coadds)
        {
            using var exposure = ExposureFits.Read(Path.Combine(run.Out, coadd));
            if (exposure.Metadata.GetInt64("NINPUTS") < 3) continue;
            var mi = exposure.MaskedImage;
            var wcs = SkyWcs.FromHeader(exposure.Metadata);
            int w = mi.BBox.Width, h = mi.BBox.Height;
            int bad = mi.Mask.GetBitMask("NO_DATA") | mi.Mask.GetBitMask("SAT") | mi.Mask.GetBitMask("BAD") | mi.Mask.GetBitMask("INTRP")
                      | mi.Mask.GetBitMask("REJECTED") | mi.Mask.GetBitMask("SENSOR_EDGE") | mi.Mask.GetBitMask("CR");
            var sources = SkyScene.Project(sky, wcs, w, h, 1.6, psfSigma, 40);
            // Empty sky: good pixels farther than 6 sigma (plus 3 pixels) from every source.
            var nearSource = new bool[h, w];
            foreach (var s in sources)
            {
                int r = (int)Math.Ceiling(6 * s.SigmaPixels) + 3;
                for (int y = Math.Max(0, (int)s.Y - r); y <= Math.Min(h - 1, (int)s.Y + r); y++)
                    for (int x = Math.Max(0, (int)s.X - r); x <= Math.Min(w - 1, (int)s.X + r); x++) nearSource[y, x] = true;
            }
            // The sky level (the median of empty sky), then each pixel's deviation in units of its own predicted sigma;
            // 5-sigma outliers (cosmic rays where too few visits overlap to clip them) are left out.
            var values = new List<double>();
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    if (nearSource[y, x] || (mi.Mask.Image.Pixels[y, x] & bad) != 0) continue;
                    float v = mi.Image.Pixels[y, x];
                    Assert.False(float.IsNaN(v), $"{coadd}: NaN in a good pixel ({x}, {y})");
                    values.Add(v);
                }
            if (values.Count < 2000) continue;
            var sorted = values.Order().ToList();
            double mean = sorted[sorted.Count / 2];
            var pullsSky = new List<double>();
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    if (nearSource[y, x] || (mi.Mask.Image.Pixels[y, x] & bad) != 0) continue;
                    double z = (mi.Image.Pixels[y, x] - mean) / Math.Sqrt(mi.Variance.Pixels[y, x]);
                    if (Math.Abs(z) < 5) pullsSky.Add(z);
                }
            double zMean = pullsSky.Average();
            noiseRatios.Add(Math.Sqrt(pullsSky.Sum(z => (z - zMean) * (z - zMean)) / (pullsSky.Count - 1)));
            // Star fluxes: aperture sums (radius 4 sigma) of isolated, unsaturated stars detected at 20 sigma.
            foreach (var s in sources.Where(s => !s.IsGalaxy && s.FluxElectrons < 2e5))
            {
                double radius = 4 * psfSigma;
                int r = (int)Math.Ceiling(radius) + 1;
                if (s.X < r || s.Y < r || s.X > w - 1 - r || s.Y > h - 1 - r) continue;
                // Isolated: no neighbour that can put more than 0.5% of the star's flux into its aperture (its flux times the
                // Gaussian at the aperture's edge, an upper bound; the scaled simulations have many faint stars).
                if (sources.Any(o => o != s && Leak(o, s, radius) > 0.005 * s.FluxElectrons)) { crowded++; continue; }
                double sum = 0, variance = 0;
                int pixels = 0;
                bool clean = true;
                for (int y = (int)s.Y - r; y <= (int)s.Y + r && clean; y++)
                    for (int x = (int)s.X - r; x <= (int)s.X + r; x++)
                    {
                        if ((x - s.X) * (x - s.X) + (y - s.Y) * (y - s.Y) > radius * radius) continue;
                        if ((mi.Mask.Image.Pixels[y, x] & bad) != 0) { clean = false; break; }
                        sum += mi.Image.Pixels[y, x] - mean;
                        variance += mi.Variance.Pixels[y, x];
                        pixels++;
                    }
                if (!clean) { flagged++; continue; }
                if (s.FluxElectrons < 20 * Math.Sqrt(variance)) { faint++; continue; }
                fluxRatios.Add(sum / s.FluxElectrons);
                pulls.Add(Math.Abs(sum - s.FluxElectrons) / Math.Sqrt(variance));   // the variance plane holds the star's own shot noise
            }
        }
        output.WriteLine($"noise / predicted per coadd: {string.Join(", ", noiseRatios.Select(r => r.ToString("F4", CultureInfo.InvariantCulture)))}");
        fluxRatios.Sort();
        static double Leak(SimulatedSource o, SimulatedSource s, double radius)
        {
            double gap = Math.Max(0, Math.Sqrt((o.X - s.X) * (o.X - s.X) + (o.Y - s.Y) * (o.Y - s.Y)) - radius);
            return o.FluxElectrons * Math.Exp(-gap * gap / (2 * o.SigmaPixels * o.SigmaPixels));
        }
        output.WriteLine($"stars left out: {crowded} crowded, {flagged} on flagged pixels, {faint} below 20 sigma");
        output.WriteLine($"stars: {fluxRatios.Count}, flux ratio median {fluxRatios[fluxRatios.Count / 2]:F4}, min {fluxRatios[0]:F4}, max {fluxRatios[^1]:F4}");
        pulls.Sort();
        output.WriteLine($"|flux - truth| / sigma: median {pulls[pulls.Count / 2]:F3} (0.674 for pure noise), 90th percentile {pulls[(int)(0.9 * pulls.Count)]:F3}");
        Assert.True(noiseRatios.Count >= 3, $"only {noiseRatios.Count} coadds with enough empty sky");
        Assert.All(noiseRatios, r => Assert.InRange(r, 0.95, 1.05));
        Assert.True(fluxRatios.Count >= 20, $"only {fluxRatios.Count} stars measured");
        Assert.InRange(fluxRatios[fluxRatios.Count / 2], 0.98, 1.02);
        Assert.InRange(fluxRatios[(int)(0.1 * fluxRatios.Count)], 0.9, 1.0);
        Assert.InRange(fluxRatios[(int)(0.9 * fluxRatios.Count)], 1.0, 1.1);
        Assert.InRange(pulls[pulls.Count / 2], 0, 1.5);
    }
}
