using ImageCore.Characterize;
using ImageCore.Execution;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Characterize;

/// <summary>CosmicRays.FindAndRepair on synthetic frames with known hits, stars and saturated stars, against its
/// naive reference, and on a scale-8 simulated detector against the simulator's truth.</summary>
public class CosmicRayTests
{
    private const float Sky = 1000f;

    /// <summary>A frame of expected signal (sky plus whatever <paramref name="draw"/> adds, e-) with Poisson-like
    /// noise; variance = signal + 25 (read noise 5 e-), as ISR writes it.</summary>
    private static MaskedImage Frame(int w, int h, int seed, Action<float[,]> draw, Action<float[,]>? hits = null)
    {
        var expected = new float[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) expected[y, x] = Sky;
        draw(expected);
        var signal = (float[,])expected.Clone();
        hits?.Invoke(signal);
        var rng = new Random(seed);
        var mi = new MaskedImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double sigma = Math.Sqrt(Math.Max(signal[y, x], 0) + 25);
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                float v = (float)(signal[y, x] + sigma * g);
                mi.Image.Pixels[y, x] = v;
                mi.Variance.Pixels[y, x] = Math.Max(v, 0) + 25;
            }
        return mi;
    }

    private static void Star(float[,] e, double x0, double y0, double peak, double fwhm, float cap = float.PositiveInfinity)
    {
        double s = fwhm / 2.3548;
        int r = (int)Math.Ceiling(5 * s) + 1;
        for (int y = Math.Max(0, (int)y0 - r); y <= Math.Min(e.GetLength(0) - 1, (int)y0 + r); y++)
            for (int x = Math.Max(0, (int)x0 - r); x <= Math.Min(e.GetLength(1) - 1, (int)x0 + r); x++)
                e[y, x] = Math.Min(cap, e[y, x] + (float)(peak * Math.Exp(-((x - x0) * (x - x0) + (y - y0) * (y - y0)) / (2 * s * s))));
    }

    /// <summary>A straight track of <paramref name="length"/> pixels of <paramref name="deposit"/> e- each (as the
    /// simulator draws them); returns its pixels.</summary>
    private static List<(int X, int Y)> Track(float[,] e, double x, double y, double angle, int length, float deposit)
    {
        var pixels = new List<(int, int)>();
        for (int s = 0; s < length; s++)
        {
            int px = (int)(x + s * Math.Cos(angle)), py = (int)(y + s * Math.Sin(angle));
            if (pixels.Contains((px, py))) continue;
            e[py, px] += deposit;
            pixels.Add((px, py));
        }
        return pixels;
    }

    private static bool IsCr(MaskedImage mi, int x, int y) => (mi.Mask.Image.Pixels[y, x] & mi.Mask.GetBitMask("CR")) != 0;

    private static List<(int X, int Y)> Flagged(MaskedImage mi)
    {
        var list = new List<(int, int)>();
        for (int y = 0; y < mi.BBox.Height; y++)
            for (int x = 0; x < mi.BBox.Width; x++)
                if (IsCr(mi, x, y)) list.Add((x, y));
        return list;
    }

    private static CosmicRayResult Run(MaskedImage mi, CosmicRayConfig? config = null, int threads = 1) =>
        CosmicRays.FindAndRepair(mi, config ?? new CosmicRayConfig(), threads, CancellationToken.None);

    [Fact]
    public void Single_pixels_and_tracks_on_the_sky_are_found_and_replaced()
    {
        var hits = new List<(int X, int Y)>();
        var deposits = new[] { 600f, 900f, 1500f, 3000f, 8000f, 20000f };
        using var mi = Frame(200, 180, 1, _ => { }, e =>
        {
            for (int i = 0; i < 12; i++) hits.AddRange(Track(e, 12 + 15 * i, 20 + (i % 3) * 7, 0, 1, deposits[i % deposits.Length]));
            for (int i = 0; i < 10; i++) hits.AddRange(Track(e, 15 + 17 * i, 90 + (i % 2) * 30, 0.3 + i * 0.6, 2 + i % 7, deposits[i % deposits.Length]));
        });
        var result = Run(mi);
        foreach (var (x, y) in hits) Assert.True(IsCr(mi, x, y), $"hit pixel ({x}, {y}) not flagged");
        var extra = Flagged(mi).Where(p => !hits.Any(q => Math.Abs(q.X - p.X) <= 1 && Math.Abs(q.Y - p.Y) <= 1)).ToList();
        Assert.True(extra.Count <= 1, $"{extra.Count} flagged pixels away from any hit: {string.Join(" ", extra)}");
        Assert.Equal(Flagged(mi).Count, result.Pixels);
        Assert.Equal(22, result.Hits - (extra.Count > 0 ? 1 : 0));
        int intrp = mi.Mask.GetBitMask("INTRP");
        foreach (var (x, y) in Flagged(mi))
        {
            Assert.NotEqual(0, mi.Mask.Image.Pixels[y, x] & intrp);
            Assert.InRange(mi.Image.Pixels[y, x], Sky - 5 * 32, Sky + 5 * 32);   // the sky, within noise of a few pixels' mean
            Assert.InRange(mi.Variance.Pixels[y, x], (Sky + 25) * 0.8f, (Sky + 25) * 1.2f);
        }
        Assert.Equal(result.Pixels, result.Replaced);
    }

    public static TheoryData<double> Fwhms => [2.5, 3.0, 4.0, 5.0];

    [Theory, MemberData(nameof(Fwhms))]
    public void Stars_are_not_flagged(double fwhm) => StarsAreNotFlagged(fwhm, new CosmicRayConfig());

    [Theory]
    [InlineData(1.6)]
    [InlineData(2.0)]
    public void Undersampled_stars_are_not_flagged_when_the_PSF_is_given(double fwhm) => StarsAreNotFlagged(fwhm, new CosmicRayConfig { PsfFwhm = fwhm });

    [Fact]
    public void Hits_are_still_found_when_the_PSF_is_given()
    {
        var hits = new List<(int X, int Y)>();
        using var mi = Frame(120, 100, 4, e => Star(e, 60.2, 50.7, 40_000, 2.0), e =>
        {
            for (int i = 0; i < 6; i++) hits.AddRange(Track(e, 10 + 17 * i, 20, 0.4 * i, 1 + i, 700 + 3000 * i));
            hits.AddRange(Track(e, 64, 50, 0, 1, 3000));   // beside the undersampled star
        });
        Run(mi, new CosmicRayConfig { PsfFwhm = 2.0 });
        foreach (var (x, y) in hits) Assert.True(IsCr(mi, x, y), $"hit pixel ({x}, {y}) not flagged");
    }

    private static void StarsAreNotFlagged(double fwhm, CosmicRayConfig config)
    {
        var centres = new List<(double X, double Y)>();
        double[] peaks = [2e3, 1e4, 3e4, 8e4];
        using var mi = Frame(160, 160, 2, e =>
        {
            for (int i = 0; i < 16; i++)
            {
                double x = 20 + 40 * (i % 4) + 0.37 * (i % 3), y = 20 + 40 * (i / 4) + 0.21 * (i % 5);
                Star(e, x, y, peaks[i % 4], fwhm);
                centres.Add((x, y));
            }
        });
        Run(mi, config);
        var flagged = Flagged(mi);
        var onStars = flagged.Where(p => centres.Any(c => Math.Abs(c.X - p.X) <= 2 * fwhm && Math.Abs(c.Y - p.Y) <= 2 * fwhm)).ToList();
        Assert.True(onStars.Count == 0, $"FWHM {fwhm}: {onStars.Count} star pixels flagged: {string.Join(" ", onStars)}");
        Assert.True(flagged.Count <= 2, $"{flagged.Count} pixels flagged on a frame without hits");
    }

    [Fact]
    public void Hits_next_to_a_bright_star_and_on_a_saturated_wing_are_found_and_the_cores_survive()
    {
        const float saturation = 150_000f;
        var hits = new List<(int X, int Y)>();
        using var mi = Frame(140, 100, 3, e =>
        {
            Star(e, 35.3, 50.6, 60_000, 4.0);
            Star(e, 100.4, 50.2, 3_000_000, 4.0, cap: saturation);
        }, e =>
        {
            hits.AddRange(Track(e, 43, 50, 0, 1, 2500));              // 8 px from the bright star's centre
            hits.AddRange(Track(e, 35, 41, 0.5, 3, 4000));            // above it
            hits.AddRange(Track(e, 112, 47, Math.PI / 2, 4, 5000));   // on the saturated star's wing
            hits.AddRange(Track(e, 92, 60, 0, 1, 8000));              // below left of it
        });
        // As ISR: SAT where the signal reached saturation, grown and interpolated along rows.
        int sat = mi.Mask.GetBitMask("SAT");
        for (int y = 0; y < 100; y++)
            for (int x = 0; x < 140; x++)
                if (mi.Image.Pixels[y, x] >= saturation - 3000) mi.Mask.Image.Pixels[y, x] |= sat;
        Assert.True(mi.Mask.Count("SAT") > 20);
        Interpolation.OverDefects(mi, sat);
        using var before = mi.Image.Clone();
        var result = Run(mi);
        foreach (var (x, y) in hits) Assert.True(IsCr(mi, x, y), $"hit pixel ({x}, {y}) not flagged ({result.Pixels} flagged)");
        foreach (var (x, y) in Flagged(mi))
        {
            Assert.Equal(0, mi.Mask.Image.Pixels[y, x] & sat);
            Assert.True(hits.Any(q => Math.Abs(q.X - x) <= 1 && Math.Abs(q.Y - y) <= 1), $"({x}, {y}) flagged but no hit there");
        }
        // The cores keep their values.
        for (int y = 44; y <= 57; y++)
            for (int x = 29; x <= 41; x++)
                if (!hits.Any(q => Math.Abs(q.X - x) <= 1 && Math.Abs(q.Y - y) <= 1))
                    Assert.Equal(before.Pixels[y, x], mi.Image.Pixels[y, x]);
        for (int y = 0; y < 100; y++)
            for (int x = 0; x < 140; x++)
                if ((mi.Mask.Image.Pixels[y, x] & sat) != 0) Assert.Equal(before.Pixels[y, x], mi.Image.Pixels[y, x]);
    }

    /// <summary>A frame with everything: stars, hits, a saturated star, a bad column, a NaN and a pixel already CR.</summary>
    private static MaskedImage Busy(int seed, int w = 150, int h = 130)
    {
        var rng = new Random(seed);
        var mi = Frame(w, h, seed, e =>
        {
            for (int i = 0; i < 12; i++) Star(e, rng.NextDouble() * w, rng.NextDouble() * h, 500 + rng.NextDouble() * 60000, 2.5 + rng.NextDouble() * 2.5);
            Star(e, w * 0.7, h * 0.4, 2_000_000, 4.0, cap: 150_000);
        }, e =>
        {
            for (int i = 0; i < 25; i++)
                Track(e, 9 + rng.NextDouble() * (w - 18), 9 + rng.NextDouble() * (h - 18), rng.NextDouble() * 2 * Math.PI, 1 + rng.Next(8), 500 + (float)rng.NextDouble() * 19500);
            Track(e, 0, 5, 0, 3, 5000);   // on the image edge
            Track(e, w - 1, h - 1, 0, 1, 5000);
        });
        int sat = mi.Mask.GetBitMask("SAT"), bad = mi.Mask.GetBitMask("BAD");
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (mi.Image.Pixels[y, x] >= 147_000) mi.Mask.Image.Pixels[y, x] |= sat;
        for (int y = 0; y < h; y++) mi.Mask.Image.Pixels[y, 40] |= bad;
        Interpolation.OverDefects(mi, sat | bad);
        mi.Image.Pixels[7, 90] = float.NaN;
        mi.Mask.Image.Pixels[3, 3] |= mi.Mask.GetBitMask("CR");
        return mi;
    }

    public static TheoryData<int, bool, double> ReferenceCases => new() { { 11, true, 0 }, { 12, false, 0 }, { 13, true, 3.0 } };

    [Theory, MemberData(nameof(ReferenceCases))]
    public void Tiles_vector_kernels_and_threads_equal_the_naive_reference(int seed, bool seedTest, double psfFwhm)
    {
        var config = new CosmicRayConfig { MinSeedSignificance = seedTest ? 4.5 : 0, GrowSaturated = seedTest ? 2 : 1, PsfFwhm = psfFwhm };
        using var mi = Busy(seed);
        var (flagged, clean, iterations) = CosmicRayReference.Find(mi, config);
        using var two = Busy(seed);
        var result = Run(mi, config);
        var result2 = Run(two, config, threads: 2);
        Assert.Equal(iterations, result.Iterations);
        Assert.Equal(result, result2);
        long n = 0;
        for (int y = 0; y < 130; y++)
            for (int x = 0; x < 150; x++)
            {
                Assert.True(flagged[y, x] == IsCr(mi, x, y), $"({x}, {y}): reference {flagged[y, x]}, FindAndRepair {IsCr(mi, x, y)}");
                if (!flagged[y, x]) continue;
                n++;
                Assert.Equal(clean[y, x], mi.Image.Pixels[y, x]);
                Assert.Equal(mi.Image.Pixels[y, x], two.Image.Pixels[y, x]);
                Assert.Equal(mi.Variance.Pixels[y, x], two.Variance.Pixels[y, x]);
            }
        Assert.Equal(n, result.Pixels);
        Assert.True(n > 40, $"only {n} pixels flagged");
        Assert.True(result.Iterations >= 2);
    }

    [Fact]
    public void A_background_subtracted_frame_gives_the_same_hits()
    {
        using var a = Busy(21);
        using var b = Busy(21);
        for (int y = 0; y < 130; y++)
            foreach (ref float v in b.Image.Pixels.GetRowSpan(y)) v -= Sky;
        var ra = Run(a);
        var rb = Run(b);
        var fa = Flagged(a);
        var fb = Flagged(b);
        int common = fa.Intersect(fb).Count();
        Assert.True(common >= 0.98 * Math.Max(fa.Count, fb.Count), $"{fa.Count} and {fb.Count} flagged, {common} in common");
        Assert.Equal(ra.Hits, rb.Hits);
        foreach (var (x, y) in fa.Intersect(fb)) Assert.Equal(a.Image.Pixels[y, x] - Sky, b.Image.Pixels[y, x], 0.05f);
    }

    [Fact]
    public void The_CR_plane_is_cleared_first_and_keep_leaves_the_values()
    {
        using var mi = Busy(31);
        using var before = mi.Image.Clone();
        using var varBefore = mi.Variance.Clone();
        var result = Run(mi, new CosmicRayConfig { Replace = false });
        Assert.False(IsCr(mi, 3, 3));   // set before the call, no hit there
        Assert.True(result.Pixels > 0);
        Assert.Equal(0, result.Replaced);
        for (int y = 0; y < 130; y++)
            for (int x = 0; x < 150; x++)
            {
                Assert.Equal(before.Pixels[y, x], mi.Image.Pixels[y, x]);
                Assert.Equal(varBefore.Pixels[y, x], mi.Variance.Pixels[y, x]);
            }
    }

    [Fact]
    public void Too_many_pixels_fail_with_the_count_and_leave_the_exposure_unchanged()
    {
        using var mi = Busy(41);
        using var before = mi.Image.Clone();
        using var maskBefore = mi.Mask.Image.Clone();
        var e = Assert.Throws<TooManyCosmicRaysException>(() => Run(mi, new CosmicRayConfig { MaxPixels = 5 }));
        Assert.True(e.Pixels > 5);
        Assert.Equal(5, e.Limit);
        Assert.Contains(e.Pixels.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        for (int y = 0; y < 130; y++)
            for (int x = 0; x < 150; x++)
            {
                Assert.Equal(before.Pixels[y, x], mi.Image.Pixels[y, x]);
                Assert.Equal(maskBefore.Pixels[y, x], mi.Mask.Image.Pixels[y, x]);
            }
    }

    [Fact]
    public void Bad_configs_are_refused_by_name()
    {
        using var mi = new MaskedImage(10, 10);
        Assert.Equal("CosmicRayConfig.SigmaClip", Assert.Throws<ConfigException>(() => Run(mi, new CosmicRayConfig { SigmaClip = 0 })).Setting);
        Assert.Equal("CosmicRayConfig.SigmaFraction", Assert.Throws<ConfigException>(() => Run(mi, new CosmicRayConfig { SigmaFraction = 1.5 })).Setting);
        Assert.Equal("CosmicRayConfig.ObjectLimit", Assert.Throws<ConfigException>(() => Run(mi, new CosmicRayConfig { ObjectLimit = double.NaN })).Setting);
        Assert.Equal("CosmicRayConfig.MinSeedSignificance", Assert.Throws<ConfigException>(() => Run(mi, new CosmicRayConfig { MinSeedSignificance = -1 })).Setting);
        Assert.Equal("CosmicRayConfig.PsfFwhm", Assert.Throws<ConfigException>(() => Run(mi, new CosmicRayConfig { PsfFwhm = -2 })).Setting);
        Assert.Equal("CosmicRayConfig.MaxIterations", Assert.Throws<ConfigException>(() => Run(mi, new CosmicRayConfig { MaxIterations = 0 })).Setting);
        Assert.Equal("CosmicRayConfig.GrowSaturated", Assert.Throws<ConfigException>(() => Run(mi, new CosmicRayConfig { GrowSaturated = 9 })).Setting);
        Assert.Equal("CosmicRayConfig.BadMaskPlanes", Assert.Throws<ConfigException>(() => Run(mi, new CosmicRayConfig { BadMaskPlanes = ["NOPE"] })).Setting);
        Assert.Throws<ArgumentOutOfRangeException>(() => CosmicRays.FindAndRepair(mi, new CosmicRayConfig(), 0, CancellationToken.None));
    }

    public static TheoryData<int, int> TinySizes => new() { { 1, 1 }, { 2, 3 }, { 7, 5 }, { 17, 1 }, { 1, 23 } };

    [Theory, MemberData(nameof(TinySizes))]
    public void Tiny_images_match_the_reference(int w, int h)
    {
        using var mi = Frame(w, h, w * 31 + h, _ => { }, e => e[h / 2, w / 2] += 5000);
        var (flagged, clean, _) = CosmicRayReference.Find(mi, new CosmicRayConfig());
        Run(mi);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                Assert.Equal(flagged[y, x], IsCr(mi, x, y));
                if (flagged[y, x]) Assert.Equal(clean[y, x], mi.Image.Pixels[y, x]);
            }
    }

    [Fact]
    public void A_scale_8_simulated_detector_is_scored_against_its_truth()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("run");
        Simulator.Run(data, new SimulationConfig { Visits = 1, Detectors = "R22_S11", Scale = 8, Seed = 5, SeeingFwhmArcsec = 6.4 });
        Pipeline.Run(data, output, new PipelineConfig { Threads = 1, Until = PipelineStep.Isr });
        using var exposure = ExposureFits.Read(Path.Combine(output, "postisr", "000000", "R22_S11.fits"));
        var mi = exposure.MaskedImage;
        int w = mi.BBox.Width, h = mi.BBox.Height;
        using var truthHits = ImageFits.Read<float>(Path.Combine(data, "truth", "000000", "R22_S11.cosmics.fits"));
        using var truthImage = ImageFits.Read<float>(Path.Combine(data, "truth", "000000", "R22_S11.fits"));
        // The hits a detector can see: excess over the truth above 10 sigma somewhere in the group.
        using var observed = mi.Image.Clone();
        using var variance = mi.Variance.Clone();
        var result = Run(mi);
        var truth = new bool[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) truth[y, x] = truthHits.Pixels[y, x] > 0;
        var groups = Groups(truth);
        Assert.NotEmpty(groups);
        int visible = 0, found = 0;
        foreach (var g in groups)
        {
            bool strong = g.Any(p => observed.Pixels[p.Y, p.X] - truthImage.Pixels[p.Y, p.X] > 10 * MathF.Sqrt(variance.Pixels[p.Y, p.X]));
            if (!strong) continue;
            visible++;
            if (g.Any(p => IsCr(mi, p.X, p.Y))) found++;
        }
        Assert.True(visible > 0);
        Assert.Equal(visible, found);
        var flagged = new bool[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) flagged[y, x] = IsCr(mi, x, y);
        int falseHits = Groups(flagged).Count(g => !g.Any(p => truth[p.Y, p.X]));
        Assert.True(falseHits <= 2, $"{falseHits} flagged groups touch no truth hit ({result.Hits} hits flagged, {groups.Count} true)");
    }

    private static List<List<(int X, int Y)>> Groups(bool[,] m)
    {
        int h = m.GetLength(0), w = m.GetLength(1);
        var seen = new bool[h, w];
        var groups = new List<List<(int X, int Y)>>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (!m[y, x] || seen[y, x]) continue;
                var g = new List<(int X, int Y)>();
                var stack = new Stack<(int X, int Y)>();
                stack.Push((x, y));
                seen[y, x] = true;
                while (stack.Count > 0)
                {
                    var p = stack.Pop();
                    g.Add(p);
                    for (int yy = Math.Max(0, p.Y - 1); yy <= Math.Min(h - 1, p.Y + 1); yy++)
                        for (int xx = Math.Max(0, p.X - 1); xx <= Math.Min(w - 1, p.X + 1); xx++)
                            if (m[yy, xx] && !seen[yy, xx])
                            {
                                seen[yy, xx] = true;
                                stack.Push((xx, yy));
                            }
                }
                groups.Add(g);
            }
        return groups;
    }
}
