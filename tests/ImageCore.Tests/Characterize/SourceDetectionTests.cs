using ImageCore.Characterize;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Tests.Characterize;

public class SourceDetectionTests
{
    private const double Sigma = 1.7;   // the demo's PSF: ~4 px FWHM

    /// <summary>A grid of 25 Gaussians of S/N 15-40 (matched filter) on a sky of 0 with noise 10, 40 px apart.</summary>
    private static (MaskedImage Image, List<(double X, double Y)> Sources) Field(int seed, Point2I xy0 = default)
    {
        var mi = Synthetic.Image(240, 240, (_, _) => 0, 10, seed, xy0);
        var rng = new Random(seed + 1);
        var sources = new List<(double, double)>();
        // Matched-filter S/N of a Gaussian of flux F: F / (noise sqrt(4 pi sigma^2)).
        double unit = 10 * Math.Sqrt(4 * Math.PI) * Sigma;
        for (int j = 0; j < 5; j++)
            for (int i = 0; i < 5; i++)
            {
                double x = 40 + 40 * i + rng.NextDouble() - 0.5, y = 40 + 40 * j + rng.NextDouble() - 0.5;
                Synthetic.AddGaussian(mi, x, y, Sigma, (15 + rng.NextDouble() * 25) * unit);
                sources.Add((x, y));
            }
        return (mi, sources);
    }

    [Fact]
    public void Every_Gaussian_is_found_once_with_its_peak_at_the_centre()
    {
        var (mi, sources) = Field(11, new Point2I(1000, -50));
        using (mi)
        {
            var result = SourceDetection.Detect(mi, Sigma, new DetectionConfig());
            Assert.Equal(25, result.Footprints.Count);
            Assert.Equal(6, result.KernelHalfWidth);    // int(7 x 1.7 + 0.5) / 2: a 13-tap kernel, as afw
            Assert.Equal(4, result.GrowRadius);         // int(2.4 x 1.7 + 0.5)
            foreach (var (x, y) in sources)
            {
                int px = 1000 + (int)Math.Round(x), py = -50 + (int)Math.Round(y);
                var f = Assert.Single(result.Footprints, f => f.Contains(px, py));
                var peak = f.Peaks[0];
                Assert.InRange(peak.X - (1000 + x), -1, 1);
                Assert.InRange(peak.Y - (-50 + y), -1, 1);
                Assert.True(peak.Significance >= 10, $"significance {peak.Significance}");
                Assert.Equal(mi.Image[peak.X, peak.Y], peak.Value);
            }
            // Ordered by first pixel; DETECTED exactly on the footprints.
            for (int i = 1; i < result.Footprints.Count; i++)
            {
                var a = result.Footprints[i - 1].Spans[0];
                var b = result.Footprints[i].Spans[0];
                Assert.True(a.Y < b.Y || (a.Y == b.Y && a.X0 < b.X0));
            }
            Assert.Equal(result.DetectedPixels, mi.Mask.Count("DETECTED"));
            Assert.Equal(result.Footprints.Sum(f => f.Area), result.DetectedPixels);
        }
    }

    [Fact]
    public void Pure_noise_gives_the_Gaussian_tail_expected_of_the_smoothed_noise()
    {
        // With the variance smoothed by the squared kernel, smoothed / noise is N(0, 1) per pixel: the fraction of
        // pixels at or above t is the Gaussian tail Q(t). (Had the raw variance been used, the "noise" would be
        // sqrt(4 pi) sigma ~ 6 times too large and nothing would pass.)
        using var mi = Synthetic.Image(600, 600, (_, _) => 0, 7, 12);
        var config = new DetectionConfig { Threshold = 2.5, GrowSigmas = 0 };
        var r = SourceDetection.Detect(mi, 1.0, config);
        int h = r.KernelHalfWidth;
        double inner = (600.0 - 2 * h) * (600 - 2 * h), q = 0.00620966532577613;   // Q(2.5)
        double fraction = r.DetectedPixels / inner;
        // Correlation area 4 pi sigma^2 ~ 12.6 px: about 28,000 independent values, so the count is good to ~10%.
        Assert.InRange(fraction / q, 0.75, 1.25);
        // At 5 sigma: Q(5) = 2.9e-7 per pixel, 0.1 pixel expected over the image: no footprint (Poisson P(>=2) < 0.5%).
        var five = SourceDetection.Detect(mi, 1.0, new DetectionConfig());
        Assert.InRange(five.Footprints.Count, 0, 1);
        // Negative detections see the other tail.
        var both = SourceDetection.Detect(mi, 1.0, config with { IncludeNegative = true });
        long negativePixels = both.NegativeFootprints.Sum(f => f.Area);
        Assert.InRange(negativePixels / inner / q, 0.75, 1.25);
        Assert.Equal(negativePixels, mi.Mask.Count("DETECTED_NEGATIVE"));
    }

    [Fact]
    public void A_hole_is_a_negative_footprint_with_its_minimum_as_peak()
    {
        using var mi = Synthetic.Image(100, 100, (_, _) => 0, 10, 13);
        Synthetic.AddGaussian(mi, 50, 40, Sigma, -30 * 10 * Math.Sqrt(4 * Math.PI) * Sigma);
        var result = SourceDetection.Detect(mi, Sigma, new DetectionConfig { IncludeNegative = true });
        Assert.Empty(result.Footprints);
        var f = Assert.Single(result.NegativeFootprints);
        Assert.InRange(f.Peaks[0].X, 49, 51);
        Assert.InRange(f.Peaks[0].Y, 39, 41);
        Assert.True(f.Peaks[0].Significance > 20 && f.Peaks[0].Value < 0);
        Assert.Equal(0, mi.Mask.Count("DETECTED"));
        Assert.Equal(f.Area, mi.Mask.Count("DETECTED_NEGATIVE"));
        Assert.Empty(SourceDetection.Detect(mi, Sigma, new DetectionConfig()).NegativeFootprints);
        Assert.Equal(0, mi.Mask.Count("DETECTED_NEGATIVE"));   // cleared by the next detection
    }

    [Fact]
    public void The_mask_is_cleared_first_and_the_border_the_kernel_cannot_reach_is_EDGE()
    {
        var (mi, _) = Field(14);
        using (mi)
        {
            int detected = mi.Mask.GetBitMask("DETECTED"), sat = mi.Mask.GetBitMask("SAT");
            for (int x = 0; x < 240; x++) mi.Mask.Image.Plane[x, 20] = detected | sat;   // stale DETECTED on a row without sources
            var result = SourceDetection.Detect(mi, Sigma, new DetectionConfig());
            int h = result.KernelHalfWidth;
            for (int y = 0; y < 240; y++)
                for (int x = 0; x < 240; x++)
                {
                    int m = mi.Mask.Image.Plane[x, y];
                    bool border = x < h || y < h || x >= 240 - h || y >= 240 - h;
                    Assert.Equal(border, (m & mi.Mask.GetBitMask("EDGE")) != 0);
                    if (y == 20) Assert.Equal(sat, m & sat);   // other planes kept
                    Assert.Equal(result.Footprints.Any(f => f.Contains(x, y)), (m & detected) != 0);
                }
        }
    }

    [Fact]
    public void Results_do_not_depend_on_threads_or_on_the_vector_kernels()
    {
        using var mi = Synthetic.Image(300, 700, (_, _) => 0, 10, 15);   // 11 bands of 64 rows
        var rng = new Random(16);
        for (int i = 0; i < 60; i++) Synthetic.AddGaussian(mi, rng.Next(300), rng.Next(700), Sigma, rng.Next(300, 3000));
        var config = new DetectionConfig { IncludeNegative = true, Threshold = 3 };
        var one = SourceDetection.Detect(mi, Sigma, config, 1, vector: true, CancellationToken.None);
        var maskOne = mi.Mask.Image.Plane.GetRowSpan(350).ToArray();
        var four = SourceDetection.Detect(mi, Sigma, config, 4, vector: true, CancellationToken.None);
        var scalar = SourceDetection.Detect(mi, Sigma, config, 3, vector: false, CancellationToken.None);
        Assert.True(one.Footprints.Count > 20);
        foreach (var other in new[] { four, scalar })
        {
            Assert.Equal(Describe(one), Describe(other));
            Assert.Equal(maskOne, mi.Mask.Image.Plane.GetRowSpan(350).ToArray());
        }
    }

    private static string Describe(DetectionResult r) => string.Join("\n",
        r.Footprints.Concat(r.NegativeFootprints).Select(f => string.Join(" ", f.Spans) + " | " + string.Join(" ", f.Peaks)));

    [Fact]
    public void Footprints_grow_by_a_disc_and_merge_when_they_touch()
    {
        // Two single bright pixels 9 px apart with sigma 1: each footprint is a small blob; grown by 4 px
        // (GrowSigmas 4) they touch and merge into one footprint with both peaks.
        using var mi = Synthetic.Image(80, 60, (_, _) => 0, 1, 17);
        mi.Image.Plane[30, 30] += 200;
        mi.Image.Plane[39, 30] += 150;
        var apart = SourceDetection.Detect(mi, 1.0, new DetectionConfig { GrowSigmas = 0 });
        Assert.Equal(2, apart.Footprints.Count);
        var merged = SourceDetection.Detect(mi, 1.0, new DetectionConfig { GrowSigmas = 4 });
        var f = Assert.Single(merged.Footprints);
        Assert.Equal(2, f.Peaks.Count);
        Assert.Equal((30, 30), (f.Peaks[0].X, f.Peaks[0].Y));   // the brighter first
        Assert.Equal((39, 30), (f.Peaks[1].X, f.Peaks[1].Y));
        // Every pixel within 4 px (Euclidean) of an original footprint pixel is in the grown one, and no other.
        for (int y = 0; y < 60; y++)
            for (int x = 0; x < 80; x++)
            {
                bool near = false;
                foreach (var o in apart.Footprints)
                    foreach (var s in o.Spans)
                        for (int xx = s.X0; xx <= s.X1; xx++)
                            near |= (xx - x) * (xx - x) + (s.Y - y) * (s.Y - y) <= 16;
                Assert.Equal(near, f.Contains(x, y));
            }
    }

    [Fact]
    public void Runs_join_8_connected_and_no_further()
    {
        FootprintSpan[] runs =
        [
            new(0, 0, 2), new(0, 6, 6),
            new(1, 3, 3),            // touches (0, 2) diagonally: joined
            new(1, 8, 9),            // (0, 6) to (1, 8): a gap of one column, not joined
            new(2, 7, 7),            // joins (1, 8) diagonally
            new(3, 20, 20),
        ];
        int[] label = FootprintSets.Label(runs, out int count);
        Assert.Equal(4, count);
        Assert.Equal(new[] { 0, 1, 0, 2, 2, 3 }, label);
        // A U shape joins at the bottom; its label is that of its first run.
        FootprintSpan[] u = [new(0, 0, 0), new(0, 4, 4), new(1, 0, 0), new(1, 4, 4), new(2, 0, 4)];
        Assert.Equal(new[] { 0, 0, 0, 0, 0 }, FootprintSets.Label(u, out int one));
        Assert.Equal(1, one);
    }

    [Fact]
    public void No_data_and_bad_pixels_make_no_source_and_saturated_stars_are_found()
    {
        using var mi = Synthetic.Image(200, 120, (_, _) => 0, 10, 18);
        int noData = mi.Mask.GetBitMask("NO_DATA"), bad = mi.Mask.GetBitMask("BAD"), sat = mi.Mask.GetBitMask("SAT");
        for (int y = 0; y < 120; y++)
            for (int x = 0; x < 60; x++) { mi.Image.Plane[x, y] = 1e6f; mi.Mask.Image.Plane[x, y] = noData; }
        for (int y = 0; y < 120; y++) { mi.Image.Plane[100, y] = 5000; mi.Mask.Image.Plane[100, y] = bad; }   // a hot column
        mi.Image.Plane[130, 30] = float.NaN;
        mi.Variance.Plane[131, 31] = float.PositiveInfinity;
        Synthetic.AddGaussian(mi, 150, 80, Sigma, 3e6);
        for (int y = 76; y <= 84; y++) for (int x = 146; x <= 154; x++) { mi.Image.Plane[x, y] = Math.Min(mi.Image.Plane[x, y], 50000); if (mi.Image.Plane[x, y] >= 50000) mi.Mask.Image.Plane[x, y] |= sat; }
        var result = SourceDetection.Detect(mi, Sigma, new DetectionConfig());
        var f = Assert.Single(result.Footprints);
        Assert.True(f.Contains(150, 80));
        Assert.Equal(150, f.Peaks[0].X, 1.0);
        Assert.InRange(f.Peaks[0].Y, 79, 81);
    }

    [Fact]
    public void An_image_smaller_than_the_kernel_is_all_EDGE_and_bad_arguments_are_refused()
    {
        using var mi = Synthetic.Image(20, 30, (_, _) => 0, 1, 19);
        mi.Image.Plane[10, 15] = 1000;
        var result = SourceDetection.Detect(mi, 3, new DetectionConfig());   // h = int(21.5) / 2 = 10: nothing inside 20 px
        Assert.Empty(result.Footprints);
        Assert.Equal(600, mi.Mask.Count("EDGE"));
        Assert.Throws<ArgumentOutOfRangeException>(() => SourceDetection.Detect(mi, 0, new DetectionConfig()));
        Assert.Throws<ArgumentOutOfRangeException>(() => SourceDetection.Detect(mi, double.NaN, new DetectionConfig()));
        Assert.Throws<ArgumentOutOfRangeException>(() => SourceDetection.Detect(mi, 1, new DetectionConfig(), 0));
        Assert.Equal("DetectionConfig.Threshold", Assert.Throws<ConfigException>(() => SourceDetection.Detect(mi, 1, new DetectionConfig { Threshold = -1 })).Setting);
        Assert.Equal("DetectionConfig.MinPixels", Assert.Throws<ConfigException>(() => new DetectionConfig { MinPixels = 0 }.Validate()).Setting);
        Assert.Equal("DetectionConfig.GrowSigmas", Assert.Throws<ConfigException>(() => new DetectionConfig { GrowSigmas = -1 }.Validate()).Setting);
        Assert.Equal("DetectionConfig.NSigmaForKernel", Assert.Throws<ConfigException>(() => new DetectionConfig { NSigmaForKernel = 0 }.Validate()).Setting);
        Assert.Equal("DetectionConfig.ExcludedPlanes", Assert.Throws<ConfigException>(() => new DetectionConfig { ExcludedPlanes = null! }.Validate()).Setting);
    }

    [Fact]
    public void MinPixels_drops_small_footprints()
    {
        using var mi = Synthetic.Image(100, 100, (_, _) => 0, 1, 20);
        mi.Image.Plane[50, 50] = 12;   // a faint single pixel: a small footprint after smoothing with sigma 0.5
        var all = SourceDetection.Detect(mi, 0.5, new DetectionConfig { GrowSigmas = 0 });
        var f = Assert.Single(all.Footprints);
        var none = SourceDetection.Detect(mi, 0.5, new DetectionConfig { GrowSigmas = 0, MinPixels = (int)f.Area + 1 });
        Assert.Empty(none.Footprints);
    }
}

public class FootprintMergeTests
{
    [Fact]
    public void Grown_spans_merge_into_sorted_disjoint_runs_however_they_are_packed()
    {
        var rng = new Random(5);
        foreach (int limit in new[] { 200, 3_000_000 })   // under and over 2^21: packed keys and the struct sort
        {
            var spans = new List<FootprintSpan>();
            for (int i = 0; i < 500; i++)
            {
                int y = rng.Next(20) * (limit / 200), x0 = rng.Next(limit - 10);
                spans.Add(new FootprintSpan(y, x0, x0 + rng.Next(10)));
            }
            var merged = FootprintSets.MergeRows(spans);
            for (int i = 1; i < merged.Count; i++)
                Assert.True(merged[i].Y > merged[i - 1].Y || merged[i].X0 > merged[i - 1].X1 + 1, $"runs {merged[i - 1]} and {merged[i]}");
            var expected = spans.SelectMany(s => Enumerable.Range(s.X0, s.Length).Select(x => ((long)s.Y << 32) | (uint)x)).Distinct().Order().ToList();
            var actual = merged.SelectMany(s => Enumerable.Range(s.X0, s.Length).Select(x => ((long)s.Y << 32) | (uint)x)).ToList();
            Assert.Equal(expected, actual);
        }
    }
}
