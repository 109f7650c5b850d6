using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageCore.Coadd;

/// <summary>The mask rules of a coadd, as bit masks in the coadd's mask planes.</summary>
internal sealed class StackRules
{
    public required CoaddStatistic Statistic { get; init; }
    public required double Sigma { get; init; }
    public required int Iterations { get; init; }
    /// <summary>Samples with any of these bits are rejected.</summary>
    public required int BadBits { get; init; }
    public required int NoData { get; init; }
    public required int Edge { get; init; }
    public required int Clipped { get; init; }
    public required int Rejected { get; init; }
    public required int SensorEdge { get; init; }
    public required int InexactPsf { get; init; }
    /// <summary>Bad bits with a propagation threshold below 1, and the thresholds.</summary>
    public required (int Bit, double Threshold)[] Thresholds { get; init; }
    /// <summary>Output variance from the inputs' variances (else from the scatter of the samples).</summary>
    public required bool UseInputVariance { get; init; }
}

/// <summary>
/// The per-pixel statistics of a coadd (afw's statisticsStack, with Rubin's AssembleCoadd rules). A sample (x, v, m)
/// of warp k with weight w_k is good when x is finite, v is finite (with input variances) and m has no bad bit; the
/// others are rejected. MEAN: sum w x / sum w over the good samples, variance sum w^2 v / (sum w)^2 (without input
/// variances: the debiased weighted sample variance times sum w^2 / (sum w)^2). MEANCLIP: window centre the median
/// and half-width sigma x 0.7413 x IQR (quartiles interpolated linearly at q (n - 1) of the sorted values), then for
/// each further iteration the weighted mean and sigma x sqrt(debiased weighted variance) of the samples inside the
/// previous window; every window re-selects from all good samples, an empty window keeps the previous selection; the
/// result is the weighted mean of the last selection, its variance as MEAN's over that selection. MEDIAN: the
/// median of the good samples, variance pi/2 times MEAN's. Mask: the OR of the accepted samples' masks; a bad bit
/// with a threshold when the weight rejected with it exceeds that fraction of all inputs' weight; CLIPPED when
/// MEANCLIP dropped a good sample; REJECTED for rejected samples' bad bits other than EDGE and NO_DATA, SENSOR_EDGE
/// for EDGE; INEXACT_PSF with any of those three. No good sample: NaN, +inf, NO_DATA. A variance that is not
/// positive becomes +inf (0 also sets NO_DATA, as setCoaddEdgeBits).
/// </summary>
internal static class StackStatistics
{
    /// <summary>MEAN's running sums for a block of output pixels, one warp added at a time (in warp order, so the
    /// streaming and the stacked paths give the same bits): per pixel sum w, sum w x, sum w^2 v (or, without input
    /// variances, sum w x^2 and sum w^2), the count and the OR of accepted and of rejected masks, and the weight
    /// rejected with each thresholded plane. <see cref="TotalWeight"/> is every added warp's weight.</summary>
    public sealed class MeanSums
    {
        private readonly StackRules _rules;
        private readonly int _width;
        private readonly double[] _sumW, _sumWX, _sumW2V, _sumWX2, _sumW2;
        private readonly int[] _count, _accepted, _rejected;
        private readonly float[][] _thresholdW;

        private readonly bool _vectorized;

        /// <summary>Sums for <paramref name="width"/> x <paramref name="height"/> pixels; <paramref name="vectorized"/> adds rows
        /// four pixels at a time (<see cref="AddRowVector"/>, the same bits as the scalar <see cref="AddRowScalar"/>).</summary>
        public MeanSums(int width, int height, StackRules rules, bool vectorized = true)
        {
            (_rules, _width) = (rules, width);
            _vectorized = vectorized && Vector256.IsHardwareAccelerated;
            long n = (long)width * height;
            (_sumW, _sumWX) = (new double[n], new double[n]);
            _sumW2V = rules.UseInputVariance ? new double[n] : [];
            (_sumWX2, _sumW2) = rules.UseInputVariance ? ([], []) : (new double[n], new double[n]);
            (_count, _accepted, _rejected) = (new int[n], new int[n], new int[n]);
            _thresholdW = rules.Thresholds.Select(_ => new float[n]).ToArray();
        }

        /// <summary>Sum of the weights of the warps added.</summary>
        public double TotalWeight { get; private set; }

        /// <summary>Zeroes every sum, for the next block of pixels.</summary>
        public void Clear()
        {
            Array.Clear(_sumW);
            Array.Clear(_sumWX);
            Array.Clear(_sumW2V);
            Array.Clear(_sumWX2);
            Array.Clear(_sumW2);
            Array.Clear(_count);
            Array.Clear(_accepted);
            Array.Clear(_rejected);
            foreach (var a in _thresholdW) Array.Clear(a);
            TotalWeight = 0;
        }

        /// <summary>Counts a warp's weight once (call once per warp, before or after its rows).</summary>
        public void AddWeight(double w) => TotalWeight += w;

        /// <summary>Adds row <paramref name="y"/> of one warp with weight <paramref name="w"/>.</summary>
        public void AddRow(int y, ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<int> m, double w)
        {
            if (_vectorized) AddRowVector(y, x, v, m, w);
            else AddRowScalar(y, x, v, m, w, 0);
        }

        /// <summary>The vector path: four pixels per step (each lane as the scalar reference does it, in the same order
        /// of operations; a rejected sample adds +0, which leaves every sum's bits unchanged), then the scalar tail.</summary>
        internal void AddRowVector(int y, ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<int> m, double w)
        {
            int o = y * _width, i = 0;
            var rules = _rules;
            var bad = Vector128.Create(rules.BadBits);
            var wv = Vector256.Create(w);
            var ww = Vector256.Create(w * w);
            var wf = Vector128.Create((float)w);
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float vr = ref MemoryMarshal.GetReference(v);
            ref int mr = ref MemoryMarshal.GetReference(m);
            for (; i + 4 <= _width; i += 4)
            {
                int p = o + i;
                var xf = Vector128.LoadUnsafe(ref xr, (nuint)i);
                var mi = Vector128.LoadUnsafe(ref mr, (nuint)i);
                var good = Vector128.Equals(xf - xf, Vector128<float>.Zero).AsInt32() & Vector128.Equals(mi & bad, Vector128<int>.Zero);
                Vector128<float> vf = default;
                if (rules.UseInputVariance)
                {
                    vf = Vector128.LoadUnsafe(ref vr, (nuint)i);
                    good &= Vector128.Equals(vf - vf, Vector128<float>.Zero).AsInt32();
                }
                ref int rejected = ref _rejected[p];
                (Vector128.AndNot(mi, good) | Vector128.LoadUnsafe(ref rejected)).StoreUnsafe(ref rejected);
                for (int t = 0; t < _thresholdW.Length; t++)
                {
                    var hit = Vector128.AndNot(~Vector128.Equals(mi & Vector128.Create(rules.Thresholds[t].Bit), Vector128<int>.Zero), good);
                    ref float tw = ref _thresholdW[t][p];
                    (Vector128.LoadUnsafe(ref tw) + (wf & hit.AsSingle())).StoreUnsafe(ref tw);
                }
                ref int count = ref _count[p];
                (Vector128.LoadUnsafe(ref count) - good).StoreUnsafe(ref count);
                ref int accepted = ref _accepted[p];
                ((mi & good) | Vector128.LoadUnsafe(ref accepted)).StoreUnsafe(ref accepted);
                var g = Vector256.Create(Vector128.WidenLower(good), Vector128.WidenUpper(good)).AsDouble();
                var xd = Vector256.Create(Vector128.WidenLower(xf), Vector128.WidenUpper(xf));
                ref double sw = ref _sumW[p];
                (Vector256.LoadUnsafe(ref sw) + (wv & g)).StoreUnsafe(ref sw);
                var wx = wv * xd;
                ref double swx = ref _sumWX[p];
                (Vector256.LoadUnsafe(ref swx) + (wx & g)).StoreUnsafe(ref swx);
                if (rules.UseInputVariance)
                {
                    var vd = Vector256.Create(Vector128.WidenLower(vf), Vector128.WidenUpper(vf));
                    ref double sv = ref _sumW2V[p];
                    (Vector256.LoadUnsafe(ref sv) + ((ww * vd) & g)).StoreUnsafe(ref sv);
                }
                else
                {
                    ref double sx2 = ref _sumWX2[p];
                    (Vector256.LoadUnsafe(ref sx2) + ((wx * xd) & g)).StoreUnsafe(ref sx2);
                    ref double sw2 = ref _sumW2[p];
                    (Vector256.LoadUnsafe(ref sw2) + (ww & g)).StoreUnsafe(ref sw2);
                }
            }
            AddRowScalar(y, x, v, m, w, i);
        }

        /// <summary>The scalar reference, from column <paramref name="start"/> (the vector path's tail).</summary>
        internal void AddRowScalar(int y, ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<int> m, double w, int start)
        {
            int o = y * _width;
            var rules = _rules;
            for (int i = start; i < _width; i++)
            {
                int p = o + i;
                if (!IsGood(x[i], v[i], m[i], rules))
                {
                    _rejected[p] |= m[i];
                    for (int t = 0; t < _thresholdW.Length; t++)
                        if ((m[i] & rules.Thresholds[t].Bit) != 0) _thresholdW[t][p] += (float)w;
                    continue;
                }
                _count[p]++;
                _accepted[p] |= m[i];
                _sumW[p] += w;
                _sumWX[p] += w * x[i];
                if (rules.UseInputVariance) _sumW2V[p] += w * w * v[i];
                else
                {
                    _sumWX2[p] += w * x[i] * x[i];
                    _sumW2[p] += w * w;
                }
            }
        }

        /// <summary>The output pixels of row <paramref name="y"/>.</summary>
        public void FinishRow(int y, Span<float> image, Span<float> variance, Span<int> mask)
        {
            int o = y * _width;
            var rules = _rules;
            for (int i = 0; i < _width; i++)
            {
                int p = o + i;
                int bits = _accepted[p] | PropagatedBits(_rejected[p], rules);
                for (int t = 0; t < _thresholdW.Length; t++)
                    if (_thresholdW[t][p] > rules.Thresholds[t].Threshold * TotalWeight) bits |= rules.Thresholds[t].Bit;
                int n = _count[p];
                if (n == 0)
                {
                    NoGoodSample(rules, ref bits, out image[i], out variance[i]);
                    mask[i] = bits;
                    continue;
                }
                double sw = _sumW[p], mean = _sumWX[p] / sw;
                double var = rules.UseInputVariance ? _sumW2V[p] / (sw * sw)
                           : n > 1 ? Math.Max(0, _sumWX2[p] / sw - mean * mean) * n / (n - 1) * _sumW2[p] / (sw * sw) : double.PositiveInfinity;
                image[i] = (float)mean;
                variance[i] = FinishVariance(var, rules, ref bits);
                if ((bits & (rules.SensorEdge | rules.Rejected | rules.Clipped)) != 0) bits |= rules.InexactPsf;
                mask[i] = bits;
            }
        }
    }

    /// <summary>True when a sample takes part.</summary>
    public static bool IsGood(float x, float v, int m, StackRules rules) =>
        float.IsFinite(x) && (!rules.UseInputVariance || float.IsFinite(v)) && (m & rules.BadBits) == 0;

    /// <summary>REJECTED / SENSOR_EDGE for the bad bits of rejected samples.</summary>
    public static int PropagatedBits(int rejectedBits, StackRules rules)
    {
        int bad = rejectedBits & rules.BadBits, bits = 0;
        if ((bad & rules.Edge) != 0) bits |= rules.SensorEdge;
        if ((bad & ~(rules.Edge | rules.NoData)) != 0) bits |= rules.Rejected;
        return bits;
    }

    internal static void NoGoodSample(StackRules rules, ref int mask, out float image, out float variance)
    {
        image = float.NaN;
        variance = float.PositiveInfinity;
        mask |= rules.NoData;
        if ((mask & (rules.SensorEdge | rules.Rejected | rules.Clipped)) != 0) mask |= rules.InexactPsf;
    }

    internal static float FinishVariance(double var, StackRules rules, ref int mask)
    {
        if (var == 0) mask |= rules.NoData;
        return var > 0 && !double.IsNaN(var) ? (float)var : float.PositiveInfinity;
    }

    /// <summary>One MEANCLIP or MEDIAN output pixel from its stacked samples (one per warp, in warp order).
    /// <paramref name="sx"/>, <paramref name="sw"/>, <paramref name="sv"/>, <paramref name="sm"/> and
    /// <paramref name="sorted"/> are scratch of at least the number of warps.</summary>
    public static void Pixel(ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<int> m, ReadOnlySpan<double> w, StackRules rules,
                             Span<double> sx, Span<double> sw, Span<double> sv, Span<int> sm, Span<double> sorted,
                             out float image, out float variance, out int mask)
    {
        if (rules.Statistic == CoaddStatistic.Mean) throw new ArgumentException("MEAN goes through MeanSums", nameof(rules));
        int n = 0, rejectedBits = 0;
        double totalW = 0;
        Span<double> thresholdW = stackalloc double[rules.Thresholds.Length];
        for (int k = 0; k < x.Length; k++)
        {
            totalW += w[k];
            if (!IsGood(x[k], v[k], m[k], rules))
            {
                rejectedBits |= m[k];
                for (int t = 0; t < rules.Thresholds.Length; t++)
                    if ((m[k] & rules.Thresholds[t].Bit) != 0) thresholdW[t] += w[k];
                continue;
            }
            (sx[n], sw[n], sv[n], sm[n]) = (x[k], w[k], v[k], m[k]);
            n++;
        }
        mask = PropagatedBits(rejectedBits, rules);
        for (int t = 0; t < rules.Thresholds.Length; t++)
            if (thresholdW[t] > rules.Thresholds[t].Threshold * totalW) mask |= rules.Thresholds[t].Bit;
        if (n == 0)
        {
            NoGoodSample(rules, ref mask, out image, out variance);
            return;
        }
        var xs = sx[..n];
        xs.CopyTo(sorted);
        var order = sorted[..n];
        order.Sort();
        double value, var;
        int accepted = 0;
        if (rules.Statistic == CoaddStatistic.Median)
        {
            value = Quantile(order, 0.5);
            for (int i = 0; i < n; i++) accepted |= sm[i];
            var = Math.PI / 2 * MeanVariance(xs, sw[..n], sv[..n], value, rules, all: true, 0, 0);
        }
        else
        {
            double centre = Quantile(order, 0.5);
            double half = rules.Sigma * 0.7413 * (Quantile(order, 0.75) - Quantile(order, 0.25));
            double lo = double.NegativeInfinity, hi = double.PositiveInfinity;   // the selection in force: all good samples
            double mean = 0, scatter = 0;
            for (int it = 0; it < rules.Iterations; it++)
            {
                double nlo = centre - half, nhi = centre + half;
                if (!Stats(xs, sw[..n], nlo, nhi, out mean, out scatter)) Stats(xs, sw[..n], lo, hi, out mean, out scatter);   // empty: keep the previous
                else (lo, hi) = (nlo, nhi);
                centre = mean;
                half = rules.Sigma * Math.Sqrt(scatter);
            }
            value = mean;
            int kept = 0;
            for (int i = 0; i < n; i++)
                if (xs[i] >= lo && xs[i] <= hi)
                {
                    accepted |= sm[i];
                    kept++;
                }
            if (kept < n) mask |= rules.Clipped;
            var = MeanVariance(xs, sw[..n], sv[..n], value, rules, all: false, lo, hi);
        }
        mask |= accepted;
        image = (float)value;
        variance = FinishVariance(var, rules, ref mask);
        if ((mask & (rules.SensorEdge | rules.Rejected | rules.Clipped)) != 0) mask |= rules.InexactPsf;
    }

    /// <summary>Weighted mean and debiased weighted variance of the samples in [lo, hi]; false when none are.</summary>
    private static bool Stats(ReadOnlySpan<double> x, ReadOnlySpan<double> w, double lo, double hi, out double mean, out double variance)
    {
        double sw = 0, swx = 0;
        int count = 0;
        for (int i = 0; i < x.Length; i++)
            if (x[i] >= lo && x[i] <= hi)
            {
                sw += w[i];
                swx += w[i] * x[i];
                count++;
            }
        if (count == 0)
        {
            (mean, variance) = (double.NaN, double.NaN);
            return false;
        }
        mean = swx / sw;
        double s = 0;
        for (int i = 0; i < x.Length; i++)
            if (x[i] >= lo && x[i] <= hi) s += w[i] * (x[i] - mean) * (x[i] - mean);
        variance = count > 1 ? s / sw * count / (count - 1) : 0;
        return true;
    }

    /// <summary>MEAN's variance over the samples in [lo, hi] (or all): from the input variances, or from the scatter.</summary>
    private static double MeanVariance(ReadOnlySpan<double> x, ReadOnlySpan<double> w, ReadOnlySpan<double> v, double mean, StackRules rules,
                                       bool all, double lo, double hi)
    {
        double sw = 0, sw2 = 0, sw2v = 0, s = 0;
        int count = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (!all && !(x[i] >= lo && x[i] <= hi)) continue;
            sw += w[i];
            sw2 += w[i] * w[i];
            sw2v += w[i] * w[i] * v[i];
            count++;
        }
        if (rules.UseInputVariance) return sw2v / (sw * sw);
        if (count < 2) return double.PositiveInfinity;
        double wm = 0;
        for (int i = 0; i < x.Length; i++)
            if (all || (x[i] >= lo && x[i] <= hi)) wm += w[i] * x[i];
        wm /= sw;
        for (int i = 0; i < x.Length; i++)
            if (all || (x[i] >= lo && x[i] <= hi)) s += w[i] * (x[i] - wm) * (x[i] - wm);
        return s / sw * count / (count - 1) * sw2 / (sw * sw);
    }

    /// <summary>The q-quantile of sorted values, interpolated linearly at q (n - 1).</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        if (lo >= sorted.Length - 1) return sorted[^1];
        double f = pos - lo;
        return f == 0 ? sorted[lo] : sorted[lo] + (sorted[lo + 1] - sorted[lo]) * f;
    }

    /// <summary>The clipped mean (<see cref="CoaddStatistic.MeanClip"/> rules, unit weights) of many values, in linear
    /// time (quantiles by selection, not sorting); <paramref name="values"/> is reordered.</summary>
    public static double MeanClip(Span<float> values, double sigma, int iterations)
    {
        int n = values.Length;
        if (n == 0) return double.NaN;
        double q25 = SelectQuantile(values, 0.25), q50 = SelectQuantile(values, 0.5), q75 = SelectQuantile(values, 0.75);
        double centre = q50, half = sigma * 0.7413 * (q75 - q25);
        double lo = double.NegativeInfinity, hi = double.PositiveInfinity, mean = double.NaN;
        for (int it = 0; it < iterations; it++)
        {
            double nlo = centre - half, nhi = centre + half;
            if (!PlainStats(values, nlo, nhi, out mean, out double variance)) PlainStats(values, lo, hi, out mean, out variance);
            else (lo, hi) = (nlo, nhi);
            centre = mean;
            half = sigma * Math.Sqrt(variance);
        }
        return mean;
    }

    private static bool PlainStats(ReadOnlySpan<float> x, double lo, double hi, out double mean, out double variance)
    {
        double s = 0;
        long count = 0;
        foreach (float v in x)
            if (v >= lo && v <= hi)
            {
                s += v;
                count++;
            }
        if (count == 0)
        {
            (mean, variance) = (double.NaN, double.NaN);
            return false;
        }
        mean = s / count;
        double ss = 0;
        foreach (float v in x)
            if (v >= lo && v <= hi) ss += (v - mean) * (v - mean);
        variance = count > 1 ? ss / (count - 1) : 0;
        return true;
    }

    /// <summary>The q-quantile (as <see cref="Quantile"/>) by selection; reorders <paramref name="values"/>.</summary>
    public static double SelectQuantile(Span<float> values, double q)
    {
        double pos = q * (values.Length - 1);
        int lo = (int)Math.Floor(pos);
        double f = pos - lo;
        float a = Select(values, lo);
        if (f == 0 || lo + 1 >= values.Length) return a;
        // The next order statistic is the smallest value right of the selected one.
        float b = float.PositiveInfinity;
        foreach (float v in values[(lo + 1)..]) b = Math.Min(b, v);
        return a + (b - (double)a) * f;
    }

    /// <summary>The k-th smallest value (0-based); afterwards values[k] holds it, smaller ones are left of it and larger
    /// ones right (Hoare's selection with a median-of-three pivot).</summary>
    public static float Select(Span<float> values, int k)
    {
        int left = 0, right = values.Length - 1;
        while (right > left)
        {
            int mid = left + (right - left) / 2;
            if (values[mid] < values[left]) (values[mid], values[left]) = (values[left], values[mid]);
            if (values[right] < values[left]) (values[right], values[left]) = (values[left], values[right]);
            if (values[right] < values[mid]) (values[right], values[mid]) = (values[mid], values[right]);
            float pivot = values[mid];
            int i = left, j = right;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) right = j;
            else if (k >= i) left = i;
            else break;
        }
        return values[k];
    }
}
