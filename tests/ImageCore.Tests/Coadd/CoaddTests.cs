using ImageCore.Coadd;
using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Coadd;

public sealed class CoaddTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imagecore-coadd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const int Bad = 1 << 0, Sat = 1 << 1, Edge = 1 << 4, Detected = 1 << 5, NoData = 1 << 8;

    /// <summary>Random warps: noise around a common scene with outliers, NaNs and masked pixels, each warp its own noise level.</summary>
    private List<string> RandomWarps(int count, int w, int h, int seed)
    {
        var rng = new Random(seed);
        var paths = new List<string>();
        for (int k = 0; k < count; k++)
        {
            using var mi = new MaskedImage(w, h);
            double sigma = 1 + rng.NextDouble() * 3;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float value = (float)(10 * Math.Sin(x / 3.0) + y + sigma * Gauss(rng));
                    float variance = (float)(sigma * sigma * (0.8 + 0.4 * rng.NextDouble()));
                    int mask = 0;
                    switch (rng.Next(40))
                    {
                        case 0: value += 500; break;                             // outlier (cosmic ray)
                        case 1: value = float.NaN; break;
                        case 2: mask = Bad; break;
                        case 3: mask = Sat; break;
                        case 4: mask = Edge; break;
                        case 5: mask = NoData; value = float.NaN; variance = float.PositiveInfinity; break;
                        case 6: mask = Detected; break;
                        case 7: variance = float.PositiveInfinity; break;
                    }
                    mi.Image.Pixels[y, x] = value;
                    mi.Variance.Pixels[y, x] = variance;
                    mi.Mask.Image.Pixels[y, x] = mask;
                }
            string path = Path.Combine(_dir, $"warp{seed}_{k}.fits");
            ExposureFits.Write(path, new Exposure(mi, TestWcs.Header()));
            paths.Add(path);
        }
        return paths;
    }

    private static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    // ---- A straightforward reference, written from the rules in StackStatistics' summary ----

    private static double Quantile(List<double> sorted, double q)
    {
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos);
        if (lo + 1 >= sorted.Count) return sorted[^1];
        return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - lo);
    }

    /// <summary>Clipped (weighted) mean; returns the mean and the indices kept.</summary>
    private static (double Mean, List<int> Kept) MeanClip(IReadOnlyList<double> x, IReadOnlyList<double> w, double sigma = 3, int iterations = 2)
    {
        var sorted = x.OrderBy(v => v).ToList();
        double centre = Quantile(sorted, 0.5), half = sigma * 0.7413 * (Quantile(sorted, 0.75) - Quantile(sorted, 0.25));
        var kept = Enumerable.Range(0, x.Count).ToList();
        double mean = double.NaN;
        for (int it = 0; it < iterations; it++)
        {
            var window = Enumerable.Range(0, x.Count).Where(i => Math.Abs(x[i] - centre) <= half).ToList();
            if (window.Count > 0) kept = window;
            double sw = kept.Sum(i => w[i]);
            mean = kept.Sum(i => w[i] * x[i]) / sw;
            double var = kept.Count > 1 ? kept.Sum(i => w[i] * (x[i] - mean) * (x[i] - mean)) / sw * kept.Count / (kept.Count - 1) : 0;
            centre = mean;
            half = sigma * Math.Sqrt(var);
        }
        return (mean, kept);
    }

    private static (float[] Image, float[] Variance, int[] Mask) Reference(List<string> paths, CoaddStatistic statistic)
    {
        var warps = paths.Select(ExposureFits.Read).ToList();
        try
        {
            int w = warps[0].BBox.Width, h = warps[0].BBox.Height;
            const int badBits = NoData | Bad | Sat | Edge | (1 << 7);
            bool Good(Exposure e, int x, int y) =>
                float.IsFinite(e.MaskedImage.Image.Pixels[y, x]) && float.IsFinite(e.MaskedImage.Variance.Pixels[y, x])
                && (e.MaskedImage.Mask.Image.Pixels[y, x] & badBits) == 0;
            var weights = warps.Select(e =>
            {
                var v = new List<double>();
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        if (Good(e, x, y)) v.Add(e.MaskedImage.Variance.Pixels[y, x]);
                return 1 / MeanClip(v, Enumerable.Repeat(1.0, v.Count).ToList()).Mean;
            }).ToList();
            double total = weights.Sum();
            var mask = warps[0].MaskedImage.Mask;
            int clipped = 1 << mask.Planes.Count, rejectedBit = clipped << 1, sensorEdge = clipped << 2, inexact = clipped << 3;
            var image = new float[w * h];
            var variance = new float[w * h];
            var bits = new int[w * h];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    var good = Enumerable.Range(0, warps.Count).Where(k => Good(warps[k], x, y)).ToList();
                    var rejected = Enumerable.Range(0, warps.Count).Except(good).ToList();
                    int m = 0;
                    foreach (int k in rejected)
                    {
                        int mk = warps[k].MaskedImage.Mask.Image.Pixels[y, x] & badBits;
                        if ((mk & Edge) != 0) m |= sensorEdge;
                        if ((mk & ~(Edge | NoData)) != 0) m |= rejectedBit;
                    }
                    if (rejected.Where(k => (warps[k].MaskedImage.Mask.Image.Pixels[y, x] & Sat) != 0).Sum(k => weights[k]) > 0.1 * total) m |= Sat;
                    int p = y * w + x;
                    if (good.Count == 0)
                    {
                        (image[p], variance[p]) = (float.NaN, float.PositiveInfinity);
                        m |= NoData;
                    }
                    else
                    {
                        var xs = good.Select(k => (double)warps[k].MaskedImage.Image.Pixels[y, x]).ToList();
                        var ws = good.Select(k => weights[k]).ToList();
                        var vs = good.Select(k => (double)warps[k].MaskedImage.Variance.Pixels[y, x]).ToList();
                        List<int> kept = Enumerable.Range(0, good.Count).ToList();
                        double value;
                        if (statistic == CoaddStatistic.Mean) value = kept.Sum(i => ws[i] * xs[i]) / kept.Sum(i => ws[i]);
                        else if (statistic == CoaddStatistic.Median) value = Quantile(xs.OrderBy(v => v).ToList(), 0.5);
                        else
                        {
                            (value, kept) = MeanClip(xs, ws);
                            if (kept.Count < good.Count) m |= clipped;
                        }
                        double sw = kept.Sum(i => ws[i]);
                        double var = kept.Sum(i => ws[i] * ws[i] * vs[i]) / (sw * sw);
                        if (statistic == CoaddStatistic.Median) var *= Math.PI / 2;
                        foreach (int i in kept) m |= warps[good[i]].MaskedImage.Mask.Image.Pixels[y, x];
                        (image[p], variance[p]) = ((float)value, (float)var);
                    }
                    if ((m & (sensorEdge | rejectedBit | clipped)) != 0) m |= inexact;
                    bits[p] = m;
                }
            return (image, variance, bits);
        }
        finally
        {
            foreach (var e in warps) e.Dispose();
        }
    }

    private static void AssertMatches((float[] Image, float[] Variance, int[] Mask) expected, Exposure actual, string what, double tolerance)
    {
        int w = actual.BBox.Width;
        for (int p = 0; p < expected.Image.Length; p++)
        {
            int x = p % w, y = p / w;
            float image = actual.MaskedImage.Image.Pixels[y, x], variance = actual.MaskedImage.Variance.Pixels[y, x];
            int mask = actual.MaskedImage.Mask.Image.Pixels[y, x];
            Assert.True(expected.Mask[p] == mask, $"{what} pixel ({x},{y}): mask {mask:X} expected {expected.Mask[p]:X}");
            Assert.True(Close(expected.Image[p], image, tolerance), $"{what} pixel ({x},{y}): image {image} expected {expected.Image[p]}");
            Assert.True(Close(expected.Variance[p], variance, tolerance), $"{what} pixel ({x},{y}): variance {variance} expected {expected.Variance[p]}");
        }
    }

    private static bool Close(double a, double b, double tolerance) =>
        (double.IsNaN(a) && double.IsNaN(b)) || a == b || Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(a));

    [Theory]
    [InlineData(CoaddStatistic.Mean, false)]
    [InlineData(CoaddStatistic.Mean, true)]
    [InlineData(CoaddStatistic.MeanClip, false)]
    [InlineData(CoaddStatistic.Median, false)]
    public void Statistics_equal_a_straightforward_reference(CoaddStatistic statistic, bool streaming)
    {
        foreach (var (n, seed) in new[] { (7, 1), (16, 2), (2, 3), (1, 4) })
        {
            var warps = RandomWarps(n, 23, 17, seed * 10 + (int)statistic);
            string output = Path.Combine(_dir, $"coadd{seed}.fits");
            CoaddTask.Run(warps, output, new CoaddConfig { Statistic = statistic, StreamingMean = streaming, SubregionRows = 5 }, maxDegreeOfParallelism: 2);
            using var coadd = ExposureFits.Read(output);
            AssertMatches(Reference(warps, statistic), coadd, $"{statistic} n={n} seed={seed}", 2e-6);
        }
    }

    [Fact]
    public void Streaming_mean_equals_the_stacked_mean()
    {
        var warps = RandomWarps(12, 40, 31, 99);
        string a = Path.Combine(_dir, "stream.fits"), b = Path.Combine(_dir, "stack.fits");
        CoaddTask.Run(warps, a, new CoaddConfig { Statistic = CoaddStatistic.Mean, StreamingMean = true });
        CoaddTask.Run(warps, b, new CoaddConfig { Statistic = CoaddStatistic.Mean, StreamingMean = false, SubregionRows = 4 }, 2);
        using var s = ExposureFits.Read(a);
        using var t = ExposureFits.Read(b);
        for (int y = 0; y < 31; y++)
            for (int x = 0; x < 40; x++)
            {
                Assert.True(Close(s.MaskedImage.Image.Pixels[y, x], t.MaskedImage.Image.Pixels[y, x], 1e-6));
                Assert.True(Close(s.MaskedImage.Variance.Pixels[y, x], t.MaskedImage.Variance.Pixels[y, x], 1e-6));
                Assert.Equal(s.MaskedImage.Mask.Image.Pixels[y, x], t.MaskedImage.Mask.Image.Pixels[y, x]);
            }
    }

    /// <summary>Fails (IOException) or ends early once <paramref name="faultAt"/> bytes have been read past; or, with no
    /// fault, returns at most a few bytes per call.</summary>
    private sealed class FaultyStream(Stream inner, long faultAt, int mode, Random rng) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long pos = inner.Position;
            if (mode == 2) return inner.Read(buffer[..Math.Min(buffer.Length, 1 + rng.Next(3000))]);   // partial reads only
            if (pos + buffer.Length > faultAt)
            {
                if (pos >= faultAt)
                {
                    if (mode == 0) throw new IOException($"injected failure at byte {faultAt}");
                    return 0;   // the input ends early
                }
                return inner.Read(buffer[..(int)(faultAt - pos)]);
            }
            return inner.Read(buffer);
        }

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact]
    public void A_failed_or_short_read_anywhere_fails_the_coadd_and_leaves_no_file()
    {
        var warps = RandomWarps(5, 30, 20, 7);
        for (int trial = 0; trial < 210; trial++)
        {
            var rng = new Random(trial);
            int victim = rng.Next(warps.Count), mode = rng.Next(2);
            var statistic = (CoaddStatistic)rng.Next(3);
            long length = new FileInfo(warps[victim]).Length;
            long faultAt = (long)(rng.NextDouble() * (length - 2880));   // the last block may be padding that nobody reads
            string output = Path.Combine(_dir, $"faulty{trial}.fits");
            var e = Assert.ThrowsAny<IOException>(() => CoaddTask.Run(warps, output, new CoaddConfig { Statistic = statistic, SubregionRows = 3 }, 2,
                path => path == warps[victim] ? new FaultyStream(File.OpenRead(path), faultAt, mode, rng) : File.OpenRead(path)));
            Assert.Contains(Path.GetFileName(warps[victim]), e.Message);
            Assert.False(File.Exists(output), $"trial {trial}: {output} was left behind");
        }
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(_dir, ".*")));
    }

    [Fact]
    public void Partial_reads_give_the_same_coadd()
    {
        var warps = RandomWarps(4, 30, 20, 8);
        string clean = Path.Combine(_dir, "clean.fits"), partial = Path.Combine(_dir, "partial.fits");
        CoaddTask.Run(warps, clean, new CoaddConfig { SubregionRows = 3 });
        var rng = new Random(1);
        CoaddTask.Run(warps, partial, new CoaddConfig { SubregionRows = 3 }, 1, path => new FaultyStream(File.OpenRead(path), long.MaxValue, 2, rng));
        using var a = ExposureFits.Read(clean);
        using var b = ExposureFits.Read(partial);
        Assert.Equal(a.MaskedImage.Image.Pixels.ToArray(), b.MaskedImage.Image.Pixels.ToArray());
        Assert.Equal(a.MaskedImage.Mask.Image.Pixels.ToArray(), b.MaskedImage.Mask.Image.Pixels.ToArray());
    }

    [Fact]
    public void Inputs_on_other_grids_are_refused_by_name()
    {
        var a = RandomWarps(2, 20, 10, 11);
        var b = RandomWarps(1, 21, 10, 12);
        string output = Path.Combine(_dir, "mixed.fits");
        var e = Assert.Throws<CoaddInputException>(() => CoaddTask.Run([.. a, .. b], output, new CoaddConfig()));
        Assert.Contains(Path.GetFileName(b[0]), e.Message);
        Assert.False(File.Exists(output));
    }
}
