using System.Buffers;
using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Images;
using ImageCore.Memory;

namespace ImageCore.Coadd;

/// <summary>What a coadd used: each input's weight (0 when skipped) and why inputs were skipped.</summary>
/// <param name="Inputs">Input names in order.</param>
/// <param name="Weights">Weight per input: 1 / clipped mean of its variance plane (1 for plain images); 0 when skipped.</param>
/// <param name="Skipped">Messages for skipped inputs (all NaN, or a weight that is not finite and positive).</param>
public sealed record CoaddInputs(IReadOnlyList<string> Inputs, IReadOnlyList<double> Weights, IReadOnlyList<string> Skipped);

/// <summary>
/// Assembles a coadd from warps on one grid, as Rubin's AssembleCoadd does (<see cref="StackStatistics"/> holds the
/// per-pixel rules). Each warp's weight is 1 / MEANCLIP of its variance over its good pixels. MEAN streams: band
/// by band, one warp at a time is read into the band's per-pixel running sums, so memory does not grow with the
/// number of warps. MEANCLIP
/// and MEDIAN (and MEAN when <see cref="CoaddConfig.StreamingMean"/> is off) stack full-width sub-regions of
/// <see cref="CoaddConfig.SubregionRows"/> rows from every warp, sub-regions in parallel. Any failed or short read
/// fails the whole coadd with a <see cref="CoaddInputException"/> naming the input and rows.
/// </summary>
public static class Coadder
{
    /// <summary>Mask planes the coadd adds to the inputs' planes.</summary>
    public static IReadOnlyList<string> CoaddMaskPlanes { get; } = ["CLIPPED", "REJECTED", "SENSOR_EDGE", "INEXACT_PSF"];

    /// <summary>Coadds warps held in memory (afw/Rubin's assembleCoadd on exposures): all on one grid (the same box, mask
    /// planes and WCS within <see cref="SkyWcs.AgreementTolerance"/> pixels). The coadd has the warps' box and WCS, and
    /// metadata as <see cref="CoaddTask"/> writes them (the first warp's, the statistic, each input's name and
    /// weight: a warp is named by its visit, <c>visit V</c>, else <c>input k</c>).</summary>
    /// <example><code>
    /// using var coadd = Coadder.Assemble([warp1, warp2], new CoaddConfig { Statistic = CoaddStatistic.MeanClip });
    /// long holes = coadd.Mask.Count("NO_DATA");
    /// </code></example>
    /// <exception cref="CoaddInputException">A warp is off the first one's grid (the message names it).</exception>
    /// <exception cref="ArgumentException">No warps, every warp was skipped, or an invalid configuration.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between row bands).</exception>
    public static Exposure Assemble(IReadOnlyList<Exposure> warps, CoaddConfig config, int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(warps);
        var inputs = new List<CoaddInput>(warps.Count);
        for (int k = 0; k < warps.Count; k++)
        {
            var warp = warps[k] ?? throw new ArgumentException($"warp {k} is null", nameof(warps));
            inputs.Add(CoaddInput.FromExposure(warp, warp.VisitInfo?.Visit is long visit ? $"visit {visit}" : $"input {k}"));
        }
        var (coadd, used) = Assemble(inputs, config, maxDegreeOfParallelism, vectorized: true, cancel);
        coadd.Xy0 = inputs[0].BBox.Min;
        return new Exposure(coadd, CoaddTask.Metadata(inputs, used, config, "<memory>"), inputs[0].Wcs);
    }

    /// <summary>Coadds <paramref name="inputs"/> (opened warps, all the same size with the same mask planes).</summary>
    /// <exception cref="CoaddInputException">An input has another size or other mask planes, or a read failed.</exception>
    /// <exception cref="ArgumentException">No inputs, or an invalid configuration.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between row bands).</exception>
    public static (MaskedImage Coadd, CoaddInputs Used) Assemble(IReadOnlyList<CoaddInput> inputs, CoaddConfig config, int maxDegreeOfParallelism = 1,
                                                                 CancellationToken cancel = default) =>
        Assemble(inputs, config, maxDegreeOfParallelism, vectorized: true, cancel);

    /// <summary><see cref="Assemble(IReadOnlyList{CoaddInput}, CoaddConfig, int, CancellationToken)"/> with MEANCLIP and MEDIAN through the vectorised
    /// per-pixel statistics (<see cref="StackVector"/>; MEAN's sums four pixels at a time) or through their scalar reference (tests and benchmarks compare the two).</summary>
    internal static (MaskedImage Coadd, CoaddInputs Used) Assemble(IReadOnlyList<CoaddInput> inputs, CoaddConfig config, int maxDegreeOfParallelism, bool vectorized,
                                                                   CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (config.Statistic == CoaddStatistic.CompareWarp)
            throw new ArgumentException("CoaddConfig.Statistic CompareWarp needs each direct warp's PSF-matched warp: assemble it with CompareWarpCoadd");
        if (inputs.Count == 0) throw new ArgumentException("a coadd needs at least one input");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        CheckSameGrid(inputs);
        var first = inputs[0];
        var result = new MaskedImage(first.Width, first.Height);
        try
        {
            result.Mask.ClearPlanes();
            foreach (var (name, bit) in first.MaskPlanes) result.Mask.SetPlane(name, bit);
            foreach (string plane in CoaddMaskPlanes)
                if (!result.Mask.Planes.ContainsKey(plane)) result.Mask.AddPlane(plane);
            var rules = Rules(config, result.Mask, inputs.All(i => i.HasVariance));
            var (weights, skipped) = Weights(inputs, rules, config, cancel);
            if (weights.All(w => w == 0)) throw new ArgumentException("every input was skipped: " + string.Join("; ", skipped));
            if (config.Statistic == CoaddStatistic.Mean && config.StreamingMean) StreamMean(inputs, weights, rules, config, result, maxDegreeOfParallelism, vectorized, cancel);
            else Stack(inputs, weights, rules, config, result, maxDegreeOfParallelism, vectorized, cancel);
            return (result, new CoaddInputs(inputs.Select(i => i.Name).ToList(), weights, skipped));
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Refuses inputs that are not on one grid: another size or xy0, no WCS (with two inputs or more: then
    /// nothing says they share the sky), a WCS that puts the first input's pixels more than
    /// <see cref="SkyWcs.AgreementTolerance"/> pixels elsewhere, or other mask planes. The message names the input.</summary>
    /// <exception cref="CoaddInputException">An input off the first input's grid.</exception>
    internal static void CheckSameGrid(IReadOnlyList<CoaddInput> inputs)
    {
        var first = inputs[0];
        foreach (var input in inputs)
        {
            if (input.Width != first.Width || input.Height != first.Height)
                throw new CoaddInputException(input.Name, $"is {input.Width}x{input.Height}, but {first.Name} is {first.Width}x{first.Height}: inputs must share one grid");
            if (input.BBox != first.BBox)
                throw new CoaddInputException(input.Name, $"covers {input.BBox} of its parent (LTV1/LTV2), but {first.Name} covers {first.BBox}: inputs must share one grid");
            if (!SamePlanes(input.MaskPlanes, first.MaskPlanes))
                throw new CoaddInputException(input.Name, $"its mask planes differ from {first.Name}'s");
            if (inputs.Count < 2) continue;
            if (input.Wcs is null)
                throw new CoaddInputException(input.Name, "has no celestial WCS (CTYPE1 ...), so nothing says it lies on the other inputs' grid");
            if (ReferenceEquals(input, first)) continue;
            double apart = first.Wcs!.MaxPixelDifference(input.Wcs, first.BBox);
            if (!(apart <= SkyWcs.AgreementTolerance))
                throw new CoaddInputException(input.Name, $"its WCS puts {first.Name}'s pixels up to {apart:G3} pixels away (more than {SkyWcs.AgreementTolerance}): "
                                                          + "inputs must share one grid (warp them onto the same patch)");
        }
    }

    private static bool SamePlanes(IReadOnlyDictionary<string, int> a, IReadOnlyDictionary<string, int> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out int bit) && bit == p.Value);

    internal static StackRules Rules(CoaddConfig config, Mask mask, bool useInputVariance)
    {
        int Bit(string plane) => mask.Planes.TryGetValue(plane, out int b) ? 1 << b : 0;
        int bad = mask.DefinedBits(config.BadMaskPlanes);
        var thresholds = config.MaskPropagationThresholds
            .Where(t => t.Value < 1 && (Bit(t.Key) & bad) != 0)
            .Select(t => (Bit(t.Key), t.Value)).ToArray();
        if (thresholds.Length > 4) throw new ArgumentException("CoaddConfig.MaskPropagationThresholds: at most 4 planes below 1.0");
        return new StackRules
        {
            Statistic = config.Statistic,
            Sigma = config.SigmaClip,
            Iterations = config.ClipIterations,
            BadBits = bad,
            NoData = Bit("NO_DATA"),
            Edge = Bit("EDGE"),
            Clipped = Bit("CLIPPED"),
            Rejected = Bit("REJECTED"),
            SensorEdge = Bit("SENSOR_EDGE"),
            InexactPsf = Bit("INEXACT_PSF"),
            Thresholds = thresholds,
            UseInputVariance = useInputVariance,
        };
    }

    private static int NoDataPlane(StackRules rules) => System.Numerics.BitOperations.TrailingZeroCount(rules.NoData);

    /// <summary>Each input's weight: 1 / MEANCLIP of its variance over good pixels (read in row bands), or 1 without variances
    /// (read only up to the first band with a good pixel).</summary>
    private static (double[] Weights, List<string> Skipped) Weights(IReadOnlyList<CoaddInput> inputs, StackRules rules, CoaddConfig config, CancellationToken cancel)
    {
        var weights = new double[inputs.Count];
        var skipped = new List<string>();
        int w = inputs[0].Width, h = inputs[0].Height;
        const int Band = 256;
        using var image = new Plane<float>(w, Math.Min(Band, h), clear: false);
        using var mask = new Plane<int>(w, Math.Min(Band, h), clear: false);
        using var variance = new Plane<float>(w, Math.Min(Band, h), clear: false);
        // The good variances of one input, for their clipped mean: a pooled array, so that a run of many coadds does not
        // allocate (and the kernel zero) one of the coadd's size per coadd.
        float[] good = rules.UseInputVariance ? ArrayPool<float>.Shared.Rent(checked(w * h)) : [];
        try
        {
            for (int k = 0; k < inputs.Count; k++)
            {
                long n = 0;
                // Without input variances the weight is 1 for any input with a good pixel: the first band that has one ends the pass.
                for (int y0 = 0; y0 < h && !(n > 0 && !rules.UseInputVariance); y0 += Band)
                {
                    cancel.ThrowIfCancellationRequested();
                    int rows = Math.Min(Band, h - y0);
                    Span2D<float> iv = image.AsSpan2D()[..rows, ..], vv = variance.AsSpan2D()[..rows, ..];
                    Span2D<int> mv = mask.AsSpan2D()[..rows, ..];
                    inputs[k].ReadRows(y0, iv, mv, vv, NoDataPlane(rules));
                    for (int y = 0; y < rows; y++)
                    {
                        Span<float> ir = iv.GetRowSpan(y), vr = vv.GetRowSpan(y);
                        Span<int> mr = mv.GetRowSpan(y);
                        for (int x = 0; x < ir.Length; x++)
                            if (StackStatistics.IsGood(ir[x], vr[x], mr[x], rules))
                            {
                                if (rules.UseInputVariance) good[n] = vr[x];
                                n++;
                            }
                    }
                }
                double weight = n == 0 ? double.NaN : rules.UseInputVariance ? 1 / StackStatistics.MeanClip(good.AsSpan(0, (int)n), config.SigmaClip, config.ClipIterations) : 1;
                if (!(weight > 0) || double.IsInfinity(weight))
                {
                    skipped.Add(n == 0 ? $"{inputs[k].Name}: no good pixel" : $"{inputs[k].Name}: weight {weight} (variance clipped mean {1 / weight})");
                    weight = 0;
                }
                weights[k] = weight;
            }
        }
        finally
        {
            if (rules.UseInputVariance) ArrayPool<float>.Shared.Return(good);
        }
        return (weights, skipped);
    }

    /// <summary>MEAN band by band: for each band of rows (sized so that its running sums stay in cache), one warp at a
    /// time is read into one band buffer and added to the sums, so memory depends on neither the number of warps nor
    /// the coadd's height. Bands (<see cref="CoaddConfig.SubregionRows"/> rows when set) run in parallel.</summary>
    private static void StreamMean(IReadOnlyList<CoaddInput> inputs, double[] weights, StackRules rules, CoaddConfig config, MaskedImage result, int threads,
                                   bool vectorized, CancellationToken cancel)
    {
        int w = result.BBox.Width, h = result.BBox.Height;
        int rows = Math.Min(config.SubregionRows > 0 ? config.SubregionRows : Math.Max(1, StreamBandPixels / Math.Max(1, w)), h);
        int bands = (h + rows - 1) / rows;
        var locks = inputs.Select(_ => new object()).ToArray();
        RunBands(bands, threads, cancel, () => new StreamBuffers(w, rows, rules, vectorized), (band, b) =>
        {
            int y0 = band * rows, count = Math.Min(rows, h - y0);
            b.Sums.Clear();
            Span2D<float> iv = b.Image.AsSpan2D()[..count, ..], vv = b.Variance.AsSpan2D()[..count, ..];
            Span2D<int> mv = b.Mask.AsSpan2D()[..count, ..];
            for (int k = 0; k < inputs.Count; k++)
            {
                if (weights[k] == 0) continue;
                b.Sums.AddWeight(weights[k]);
                lock (locks[k]) inputs[k].ReadRows(y0, iv, mv, vv, NoDataPlane(rules));
                for (int y = 0; y < count; y++) b.Sums.AddRow(y, iv.GetRowSpan(y), vv.GetRowSpan(y), mv.GetRowSpan(y), weights[k]);
            }
            for (int y = 0; y < count; y++)
                b.Sums.FinishRow(y, result.Image.Pixels.GetRowSpan(y0 + y), result.Variance.Pixels.GetRowSpan(y0 + y), result.Mask.Image.Pixels.GetRowSpan(y0 + y));
        });
    }

    /// <summary>Output pixels per streamed MEAN band: its running sums (44 bytes a pixel) stay within a core's L2.</summary>
    private const int StreamBandPixels = 32 * 1024;

    /// <summary>Runs <paramref name="body"/> over bands on up to <paramref name="threads"/> threads, each with its own
    /// buffers; the first <see cref="CoaddInputException"/> is rethrown as itself.</summary>
    private static void RunBands<TBuffers>(int bands, int threads, CancellationToken cancel, Func<TBuffers> buffers, Action<int, TBuffers> body) where TBuffers : IDisposable
    {
        try
        {
            Parallel.For(0, bands, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancel }, buffers, (band, _, b) =>
            {
                body(band, b);
                return b;
            }, b => b.Dispose());
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is CoaddInputException) is { } failed)
        {
            throw (CoaddInputException)failed;
        }
    }

    /// <summary>One streaming worker's band of running sums and its one-warp band buffer.</summary>
    private sealed class StreamBuffers(int width, int rows, StackRules rules, bool vectorized) : IDisposable
    {
        public readonly StackStatistics.MeanSums Sums = new(width, rows, rules, vectorized);
        public readonly Plane<float> Image = new(width, rows, clear: false), Variance = new(width, rows, clear: true);
        public readonly Plane<int> Mask = new(width, rows, clear: false);

        public void Dispose()
        {
            Image.Dispose();
            Variance.Dispose();
            Mask.Dispose();
        }
    }

    /// <summary>Sub-regions of full rows from every warp, stacked and reduced per pixel, sub-regions in parallel.</summary>
    private static void Stack(IReadOnlyList<CoaddInput> inputs, double[] weights, StackRules rules, CoaddConfig config, MaskedImage result, int threads,
                              bool vectorized, CancellationToken cancel)
    {
        int w = result.BBox.Width, h = result.BBox.Height;
        int[] used = Enumerable.Range(0, inputs.Count).Where(k => weights[k] != 0).ToArray();
        int n = used.Length;
        int rows = config.SubregionRows > 0 ? config.SubregionRows
                 : (int)Math.Clamp(config.StackMemoryBytes / threads / Math.Max(1L, 12L * w * n), 1, h);
        rows = Math.Min(rows, h);
        int regions = (h + rows - 1) / rows;
        // Each input is one stream: one sub-region reads it at a time.
        var locks = inputs.Select(_ => new object()).ToArray();
        RunBands(regions, threads, cancel, () => new StackBuffers(n, w, rows), (region, b) =>
        {
            int y0 = region * rows, count = Math.Min(rows, h - y0);
            for (int j = 0; j < n; j++)
                lock (locks[used[j]])
                    inputs[used[j]].ReadRows(y0, b.Image[j].AsSpan2D()[..count, ..], b.Mask[j].AsSpan2D()[..count, ..],
                                             b.Variance[j].AsSpan2D()[..count, ..], NoDataPlane(rules));
            if (rules.Statistic == CoaddStatistic.Mean)
            {
                var sums = new StackStatistics.MeanSums(w, count, rules, vectorized);
                for (int j = 0; j < n; j++)
                {
                    double wk = weights[used[j]];
                    sums.AddWeight(wk);
                    for (int y = 0; y < count; y++) sums.AddRow(y, b.Image[j].GetRowSpan(y), b.Variance[j].GetRowSpan(y), b.Mask[j].GetRowSpan(y), wk);
                }
                for (int y = 0; y < count; y++)
                    sums.FinishRow(y, result.Image.Pixels.GetRowSpan(y0 + y), result.Variance.Pixels.GetRowSpan(y0 + y), result.Mask.Image.Pixels.GetRowSpan(y0 + y));
                return;
            }
            for (int j = 0; j < n; j++) b.Weight[j] = weights[used[j]];
            for (int y = 0; y < count; y++)
            {
                Span<float> ir = result.Image.Pixels.GetRowSpan(y0 + y), vr = result.Variance.Pixels.GetRowSpan(y0 + y);
                Span<int> mr = result.Mask.Image.Pixels.GetRowSpan(y0 + y);
                if (vectorized && StackVector.IsSupported)
                {
                    b.SetRows(y);
                    StackVector.Row(b.Vector, b.Weight, rules, 0, w, ir, vr, mr, b.Fallback);
                    continue;
                }
                for (int c = 0; c < w; c++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        b.SampleX[j] = b.Image[j].GetRowSpan(y)[c];
                        b.SampleV[j] = b.Variance[j].GetRowSpan(y)[c];
                        b.SampleM[j] = b.Mask[j].GetRowSpan(y)[c];
                    }
                    StackStatistics.Pixel(b.SampleX, b.SampleV, b.SampleM, b.Weight, rules, b.X, b.W, b.V, b.M, b.Sorted, out ir[c], out vr[c], out mr[c]);
                }
            }
        });
    }

    /// <summary>One worker's sub-region planes (one set per warp) and per-pixel scratch.</summary>
    private sealed class StackBuffers : IDisposable
    {
        public readonly Plane<float>[] Image, Variance;
        public readonly Plane<int>[] Mask;
        public readonly double[] X, W, V, Sorted, Weight;
        public readonly int[] M, SampleM;
        public readonly float[] SampleX, SampleV;

        public StackBuffers(int n, int width, int rows)
        {
            Image = new Plane<float>[n];
            Variance = new Plane<float>[n];
            Mask = new Plane<int>[n];
            for (int k = 0; k < n; k++)
            {
                Image[k] = new Plane<float>(width, rows, clear: false);
                Variance[k] = new Plane<float>(width, rows, clear: true);
                Mask[k] = new Plane<int>(width, rows, clear: false);
            }
            (X, W, V, Sorted, Weight, M) = (new double[n], new double[n], new double[n], new double[n], new double[n], new int[n]);
            (SampleX, SampleV, SampleM) = (new float[n], new float[n], new int[n]);
            Vector = new StackVector.Scratch(n);
            Fallback = new StackVector.ScalarScratch(n);
        }

        public readonly StackVector.Scratch Vector;
        public readonly StackVector.ScalarScratch Fallback;

        /// <summary>Points the vector scratch at row <paramref name="y"/> of every sample's planes.</summary>
        public unsafe void SetRows(int y)
        {
            int n = Image.Length;
            for (int k = 0; k < n; k++)
            {
                Vector.Rows[k] = (nint)(Image[k].Pointer + (long)y * Image[k].Stride);
                Vector.Rows[n + k] = (nint)(Variance[k].Pointer + (long)y * Variance[k].Stride);
                Vector.Rows[2 * n + k] = (nint)(Mask[k].Pointer + (long)y * Mask[k].Stride);
            }
        }

        public void Dispose()
        {
            foreach (var p in Image) p.Dispose();
            foreach (var p in Variance) p.Dispose();
            foreach (var p in Mask) p.Dispose();
        }
    }
}
