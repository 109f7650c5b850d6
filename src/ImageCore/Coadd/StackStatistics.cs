namespace ImageCore.Coadd;

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
internal static partial class StackStatistics
{
    /// <summary>True when a sample takes part.</summary>
    public static bool IsGood(float x, float v, int m, StackRules rules) =>
        float.IsFinite(x) && (!rules.UseInputVariance || float.IsFinite(v)) && (m & rules.BadBits) == 0;

    /// <summary>REJECTED / SENSOR_EDGE / CLIPPED for the bad bits of rejected samples (afw's maskMap: EDGE to
    /// SENSOR_EDGE, CLIPPED to itself when it is a bad plane, as in CompareWarp's final MEAN, any other bad plane but
    /// NO_DATA to REJECTED).</summary>
    public static int PropagatedBits(int rejectedBits, StackRules rules)
    {
        int bad = rejectedBits & rules.BadBits, bits = 0;
        if ((bad & rules.Edge) != 0) bits |= rules.SensorEdge;
        if ((bad & rules.Clipped) != 0) bits |= rules.Clipped;
        if ((bad & ~(rules.Edge | rules.NoData | rules.Clipped)) != 0) bits |= rules.Rejected;
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
}
