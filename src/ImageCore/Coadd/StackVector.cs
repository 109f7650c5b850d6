using System.Runtime.Intrinsics;

namespace ImageCore.Coadd;

/// <summary>
/// MEANCLIP and MEDIAN vectorised across pixels: four adjacent output pixels at a time, one <see cref="Vector256{T}"/>
/// of doubles per sample, each lane doing exactly what <see cref="StackStatistics.Pixel"/> (the scalar reference)
/// does for its pixel, in the same order of operations, so the two agree bit for bit (tests compare them). Bad
/// samples become +inf and the stack is sorted with Batcher's odd-even merge network (min/max per lane); quantiles
/// pick their order statistics per lane; the clipping windows, sums and masks run over the samples in warp order
/// with per-lane selection. Columns left over (fewer than four) go through the scalar reference.
/// </summary>
internal static unsafe class StackVector
{
    /// <summary>Whether this machine runs the vector path (otherwise callers use the scalar reference).</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <summary>Per-worker scratch for stacks of <see cref="Count"/> samples.</summary>
    public sealed class Scratch
    {
        public Scratch(int count)
        {
            Count = count;
            X = new Vector256<double>[count];
            V = new Vector256<double>[count];
            M = new Vector256<long>[count];
            Good = new Vector256<double>[count];
            Sorted = new Vector256<double>[count];
            Network = SortingNetwork(count);
            Rows = new nint[3 * count];
        }

        public int Count { get; }
        public Vector256<double>[] X, V, Good, Sorted;
        public Vector256<long>[] M;
        public (int, int)[] Network;
        /// <summary>Row addresses of each sample's image, variance and mask planes (set per output row).</summary>
        public nint[] Rows;
    }

    /// <summary>
    /// Output pixels [<paramref name="column"/>, <paramref name="column"/> + <paramref name="count"/>) of one row. Sample k's
    /// pixel c is at <c>((float*)rows[k])[c]</c>, its variance at <c>((float*)rows[n + k])[c]</c> and its mask at
    /// <c>((int*)rows[2n + k])[c]</c>, with <c>rows = scratch.Rows</c>; <paramref name="weights"/> are the samples' weights.
    /// </summary>
    public static void Row(Scratch scratch, ReadOnlySpan<double> weights, StackRules rules, int column, int count,
                           Span<float> image, Span<float> variance, Span<int> mask, ScalarScratch fallback)
    {
        int n = scratch.Count;
        int c = column, end = column + count;
        for (; c + 4 <= end; c += 4)
            Four(scratch, weights, rules, c, image.Slice(c - column, 4), variance.Slice(c - column, 4), mask.Slice(c - column, 4));
        for (; c < end; c++)
        {
            for (int k = 0; k < n; k++)
            {
                fallback.X[k] = ((float*)scratch.Rows[k])[c];
                fallback.V[k] = rules.UseInputVariance ? ((float*)scratch.Rows[n + k])[c] : 0;
                fallback.M[k] = ((int*)scratch.Rows[2 * n + k])[c];
            }
            StackStatistics.Pixel(fallback.X, fallback.V, fallback.M, weights, rules, fallback.Sx, fallback.Sw, fallback.Sv, fallback.Sm, fallback.Sorted,
                                  out image[c - column], out variance[c - column], out mask[c - column]);
        }
    }

    /// <summary>Scratch of the scalar reference for the leftover columns.</summary>
    public sealed class ScalarScratch(int n)
    {
        public readonly float[] X = new float[n], V = new float[n];
        public readonly int[] M = new int[n], Sm = new int[n];
        public readonly double[] Sx = new double[n], Sw = new double[n], Sv = new double[n], Sorted = new double[n];
    }

    private static void Four(Scratch s, ReadOnlySpan<double> w, StackRules rules, int c, Span<float> image, Span<float> variance, Span<int> mask)
    {
        int n = s.Count;
        var zero = Vector256<double>.Zero;
        var inf = Vector256.Create(double.PositiveInfinity);
        var one = Vector256.Create(1.0);
        var badBits = Vector256.Create((long)rules.BadBits);
        var rejected = Vector256<long>.Zero;
        var goodCount = zero;
        var thresholds = rules.Thresholds;
        Span<Vector256<double>> thresholdW = stackalloc Vector256<double>[thresholds.Length];
        double totalW = 0;
        for (int k = 0; k < n; k++)
        {
            totalW += w[k];
            var x = Vector256.WidenLower(Vector256.Create(Vector128.Load((float*)s.Rows[k] + c), Vector128<float>.Zero));
            var m = Vector256.WidenLower(Vector256.Create(Vector128.Load((int*)s.Rows[2 * n + k] + c), Vector128<int>.Zero));
            var good = Vector256.Equals(x - x, zero) & Vector256.Equals(m & badBits, Vector256<long>.Zero).AsDouble();
            if (rules.UseInputVariance)
            {
                var v = Vector256.WidenLower(Vector256.Create(Vector128.Load((float*)s.Rows[n + k] + c), Vector128<float>.Zero));
                good &= Vector256.Equals(v - v, zero);
                s.V[k] = v;
            }
            s.X[k] = x;
            s.M[k] = m;
            s.Good[k] = good;
            s.Sorted[k] = Vector256.ConditionalSelect(good, x, inf);
            var bad = ~good.AsInt64();
            rejected |= m & bad;
            goodCount += one & good;
            for (int t = 0; t < thresholds.Length; t++)
            {
                var hit = bad & ~Vector256.Equals(m & Vector256.Create((long)thresholds[t].Bit), Vector256<long>.Zero);
                thresholdW[t] += Vector256.Create(w[k]) & hit.AsDouble();
            }
        }
        if (Vector256.EqualsAll(goodCount, zero))
        {
            for (int lane = 0; lane < 4; lane++)
                Finish(rules, lane, rejected, thresholdW, totalW, 0, 0, 0, 0, false, image, variance, mask);
            return;
        }

        var sorted = s.Sorted;
        foreach (var (i, j) in s.Network)
        {
            var a = sorted[i];
            var b = sorted[j];
            sorted[i] = Vector256.Min(a, b);
            sorted[j] = Vector256.Max(a, b);
        }

        bool full = Vector256.EqualsAll(goodCount, Vector256.Create((double)n));
        Vector256<double> value, var, lo, hi;
        Vector256<long> accepted;
        Vector256<double> kept;
        if (rules.Statistic == CoaddStatistic.Median)
        {
            value = Quantile(sorted, goodCount, 0.5, full, n);
            lo = Vector256.Create(double.NegativeInfinity);
            hi = inf;
            (kept, accepted) = Kept(s, lo, hi);
            var = Vector256.Create(Math.PI / 2) * MeanVariance(s, w, rules, lo, hi);
        }
        else
        {
            var centre = Quantile(sorted, goodCount, 0.5, full, n);
            var half = Vector256.Create(rules.Sigma * 0.7413) * (Quantile(sorted, goodCount, 0.75, full, n) - Quantile(sorted, goodCount, 0.25, full, n));
            lo = Vector256.Create(double.NegativeInfinity);
            hi = inf;
            var mean = zero;
            var scatter = zero;
            var sigma = Vector256.Create(rules.Sigma);
            for (int it = 0; it < rules.Iterations; it++)
            {
                var nlo = centre - half;
                var nhi = centre + half;
                var ok = Stats(s, w, nlo, nhi, out mean, out scatter);
                if (!Vector256.EqualsAll(ok.AsInt64(), Vector256<long>.AllBitsSet))
                {
                    Stats(s, w, lo, hi, out var keepMean, out var keepScatter);
                    mean = Vector256.ConditionalSelect(ok, mean, keepMean);
                    scatter = Vector256.ConditionalSelect(ok, scatter, keepScatter);
                }
                lo = Vector256.ConditionalSelect(ok, nlo, lo);
                hi = Vector256.ConditionalSelect(ok, nhi, hi);
                centre = mean;
                half = sigma * Vector256.Sqrt(scatter);
            }
            value = mean;
            (kept, accepted) = Kept(s, lo, hi);
            var = MeanVariance(s, w, rules, lo, hi);
        }
        for (int lane = 0; lane < 4; lane++)
        {
            int good = (int)goodCount.GetElement(lane);
            int clipped = rules.Statistic == CoaddStatistic.MeanClip && kept.GetElement(lane) < good ? rules.Clipped : 0;
            Finish(rules, lane, rejected, thresholdW, totalW, good, value.GetElement(lane), var.GetElement(lane),
                   (int)accepted.GetElement(lane) | clipped, true, image, variance, mask);
        }
    }

    /// <summary>One lane's output, as the end of <see cref="StackStatistics.Pixel"/>.</summary>
    private static void Finish(StackRules rules, int lane, Vector256<long> rejected, ReadOnlySpan<Vector256<double>> thresholdW, double totalW,
                               int good, double value, double var, int acceptedAndClipped, bool any, Span<float> image, Span<float> variance, Span<int> mask)
    {
        int bits = StackStatistics.PropagatedBits((int)rejected.GetElement(lane), rules);
        for (int t = 0; t < rules.Thresholds.Length; t++)
            if (thresholdW[t].GetElement(lane) > rules.Thresholds[t].Threshold * totalW) bits |= rules.Thresholds[t].Bit;
        if (!any || good == 0)
        {
            StackStatistics.NoGoodSample(rules, ref bits, out image[lane], out variance[lane]);
            mask[lane] = bits;
            return;
        }
        bits |= acceptedAndClipped;
        image[lane] = (float)value;
        variance[lane] = StackStatistics.FinishVariance(var, rules, ref bits);
        if ((bits & (rules.SensorEdge | rules.Rejected | rules.Clipped)) != 0) bits |= rules.InexactPsf;
        mask[lane] = bits;
    }

    /// <summary>The q-quantile of each lane's <paramref name="count"/> sorted good values, as <see cref="StackStatistics.Quantile"/>.</summary>
    private static Vector256<double> Quantile(Vector256<double>[] sorted, Vector256<double> count, double q, bool full, int n)
    {
        if (full)
        {
            double p = q * (n - 1);
            int l = (int)Math.Floor(p);
            if (l >= n - 1) return sorted[n - 1];
            double f = p - l;
            return f == 0 ? sorted[l] : sorted[l] + (sorted[l + 1] - sorted[l]) * Vector256.Create(f);
        }
        var last = count - Vector256.Create(1.0);
        var pos = Vector256.Create(q) * last;
        var lo = Vector256.Floor(pos);
        var frac = pos - lo;
        var next = Vector256.Min(lo + Vector256.Create(1.0), last);
        Vector256<double> a = Vector256<double>.Zero, b = Vector256<double>.Zero, z = Vector256<double>.Zero;
        for (int k = 0; k < sorted.Length; k++)
        {
            var kk = Vector256.Create((double)k);
            a = Vector256.ConditionalSelect(Vector256.Equals(lo, kk), sorted[k], a);
            b = Vector256.ConditionalSelect(Vector256.Equals(next, kk), sorted[k], b);
            z = Vector256.ConditionalSelect(Vector256.Equals(last, kk), sorted[k], z);
        }
        var interpolated = Vector256.ConditionalSelect(Vector256.Equals(frac, Vector256<double>.Zero), a, a + (b - a) * frac);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(lo, last), z, interpolated);
    }

    /// <summary>Lanes' weighted mean and debiased weighted variance over good samples in [lo, hi]; the returned mask is
    /// set where a lane had at least one such sample (<c>Stats</c> of the scalar reference).</summary>
    private static Vector256<double> Stats(Scratch s, ReadOnlySpan<double> w, Vector256<double> lo, Vector256<double> hi,
                                           out Vector256<double> mean, out Vector256<double> variance)
    {
        var sw = Vector256<double>.Zero;
        var swx = Vector256<double>.Zero;
        var count = Vector256<double>.Zero;
        var one = Vector256.Create(1.0);
        int n = s.Count;
        for (int k = 0; k < n; k++)
        {
            var x = s.X[k];
            var inside = s.Good[k] & Vector256.GreaterThanOrEqual(x, lo) & Vector256.LessThanOrEqual(x, hi);
            var wk = Vector256.Create(w[k]);
            sw += wk & inside;
            swx += (wk * x) & inside;
            count += one & inside;
        }
        mean = swx / sw;
        var sum = Vector256<double>.Zero;
        for (int k = 0; k < n; k++)
        {
            var x = s.X[k];
            var inside = s.Good[k] & Vector256.GreaterThanOrEqual(x, lo) & Vector256.LessThanOrEqual(x, hi);
            var d = x - mean;
            sum += (Vector256.Create(w[k]) * d * d) & inside;
        }
        variance = Vector256.ConditionalSelect(Vector256.GreaterThan(count, one), sum / sw * count / (count - one), Vector256<double>.Zero);
        return Vector256.GreaterThan(count, Vector256<double>.Zero);
    }

    /// <summary>Per lane: how many good samples lie in [lo, hi], and the OR of their masks.</summary>
    private static (Vector256<double> Kept, Vector256<long> Accepted) Kept(Scratch s, Vector256<double> lo, Vector256<double> hi)
    {
        var kept = Vector256<double>.Zero;
        var accepted = Vector256<long>.Zero;
        var one = Vector256.Create(1.0);
        for (int k = 0; k < s.Count; k++)
        {
            var x = s.X[k];
            var inside = s.Good[k] & Vector256.GreaterThanOrEqual(x, lo) & Vector256.LessThanOrEqual(x, hi);
            kept += one & inside;
            accepted |= s.M[k] & inside.AsInt64();
        }
        return (kept, accepted);
    }

    /// <summary>MEAN's variance over the good samples in [lo, hi] (<c>MeanVariance</c> of the scalar reference).</summary>
    private static Vector256<double> MeanVariance(Scratch s, ReadOnlySpan<double> w, StackRules rules, Vector256<double> lo, Vector256<double> hi)
    {
        var sw = Vector256<double>.Zero;
        var sw2 = Vector256<double>.Zero;
        var sw2v = Vector256<double>.Zero;
        var swx = Vector256<double>.Zero;
        var count = Vector256<double>.Zero;
        var one = Vector256.Create(1.0);
        int n = s.Count;
        for (int k = 0; k < n; k++)
        {
            var x = s.X[k];
            var inside = s.Good[k] & Vector256.GreaterThanOrEqual(x, lo) & Vector256.LessThanOrEqual(x, hi);
            var wk = Vector256.Create(w[k]);
            sw += wk & inside;
            sw2 += (wk * wk) & inside;
            if (rules.UseInputVariance) sw2v += (wk * wk * s.V[k]) & inside;
            else swx += (wk * x) & inside;
            count += one & inside;
        }
        if (rules.UseInputVariance) return sw2v / (sw * sw);
        var wm = swx / sw;
        var sum = Vector256<double>.Zero;
        for (int k = 0; k < n; k++)
        {
            var x = s.X[k];
            var inside = s.Good[k] & Vector256.GreaterThanOrEqual(x, lo) & Vector256.LessThanOrEqual(x, hi);
            var d = x - wm;
            sum += (Vector256.Create(w[k]) * d * d) & inside;
        }
        var result = sum / sw * count / (count - one) * sw2 / (sw * sw);
        return Vector256.ConditionalSelect(Vector256.LessThan(count, Vector256.Create(2.0)), Vector256.Create(double.PositiveInfinity), result);
    }

    /// <summary>Batcher's odd-even merge sort for <paramref name="n"/> elements: the network for the next power of two with
    /// the comparators that touch padding (+inf, which never moves) left out.</summary>
    internal static (int, int)[] SortingNetwork(int n)
    {
        int size = 1;
        while (size < n) size <<= 1;
        var pairs = new List<(int, int)>();
        for (int p = 1; p < size; p <<= 1)
            for (int k = p; k >= 1; k >>= 1)
                for (int j = k % p; j + k < size; j += 2 * k)
                    for (int i = 0; i < Math.Min(k, size - j - k); i++)
                        if ((i + j) / (2 * p) == (i + j + k) / (2 * p) && i + j + k < n)
                            pairs.Add((i + j, i + j + k));
        return [.. pairs];
    }
}
