using System.Buffers;
using System.Runtime.Intrinsics;
using ImageCore.Images;

namespace ImageCore.Coadd;

// The unit-weight clipped mean of many values in linear time (the warps' weights): the fast path, which never reorders
// the values and proves its result bit-identical to the reference, and the reference it falls back to.
internal static partial class StackStatistics
{
    /// <summary>Shortest input for which <see cref="MeanClip"/> takes the vectorised path (shorter ones are cheap).</summary>
    internal const int MeanClipFastMinimum = 1 << 14;

    /// <summary>The clipped mean (<see cref="CoaddStatistic.MeanClip"/> rules, unit weights) of many values, in linear
    /// time, bit-identical to <see cref="MeanClipReference"/>: through <see cref="TryMeanClipFast"/> where it can prove
    /// that (it reads the values without reordering them), else the reference itself (which reorders them).</summary>
    public static double MeanClip(Span<float> values, double sigma, int iterations) =>
        values.Length >= MeanClipFastMinimum && Vector256.IsHardwareAccelerated && TryMeanClipFast(values, sigma, iterations, out double mean)
            ? mean
            : MeanClipReference(values, sigma, iterations);

    /// <summary>The reference clipped mean, in linear time (quantiles by selection, not sorting): the window starts at
    /// the median +- sigma x 0.7413 x the interquartile range, then each iteration takes the mean and sample variance
    /// of the values inside (summed one at a time in the order the selections left them) and centres the next window
    /// on that mean, +- sigma standard deviations; an empty window keeps the previous one. <paramref name="values"/> is
    /// reordered.</summary>
    public static double MeanClipReference(Span<float> values, double sigma, int iterations)
    {
        int n = values.Length;
        if (n == 0) return double.NaN;
        double q25 = OrderStatistics.SelectQuantile(values, 0.25), q50 = OrderStatistics.SelectQuantile(values, 0.5),
               q75 = OrderStatistics.SelectQuantile(values, 0.75);
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

    /// <summary>
    /// <see cref="MeanClipReference"/>'s result without reordering <paramref name="values"/> (true), or false where it
    /// cannot prove its result bit-identical: a value not finite, quartile brackets that missed, a window sum that may
    /// round, or a window edge within the rounding of a reordered variance sum of a value.
    /// <para>Quartiles: the order statistics are values, so any exact selection finds the reference's; one
    /// <see cref="MeanClipKernels.Brackets"/> pass ranks three brackets picked from a sorted sample and copies the few
    /// values inside them, which are then selected. Means: all values in a window are whole multiples of
    /// Q = 2^(e - 23), e the binary exponent of the smallest nonzero |value| among them, so where count x max |value|
    /// &lt;= 2^52 Q every partial sum, in any order, is a double and the sum is exact, as the reference's is.
    /// Variances: both sums add the same rounded terms, so they differ by at most 2 gamma_n of the total (gamma_n =
    /// n u / (1 - n u), u = 2^-53); the window from either end of that interval (sqrt, *, +- are monotone) bounds the
    /// reference's, and where no value lies between the two ends (usually no float does at all) the two windows hold
    /// the same values.</para>
    /// </summary>
    internal static bool TryMeanClipFast(ReadOnlySpan<float> values, double sigma, int iterations, out double mean)
    {
        mean = double.NaN;
        int n = values.Length;
        if (n == 0) return true;
        if (!TryQuartiles(values, out double q25, out double q50, out double q75)) return false;
        double centre = q50, half = sigma * 0.7413 * (q75 - q25), halfA = half, halfB = half;
        double lo = double.NegativeInfinity, hi = double.PositiveInfinity;
        for (int it = 0; it < iterations; it++)
        {
            double nlo = centre - half, nhi = centre + half;
            if (!SameWindow(values, centre - halfA, centre - halfB, centre + halfA, centre + halfB)) return false;
            bool last = it == iterations - 1;
            var r = Window(values, nlo, nhi, last, out mean, out double ss, out long count);
            if (r == WindowResult.Empty) r = Window(values, lo, hi, last, out mean, out ss, out count);
            else (lo, hi) = (nlo, nhi);
            if (r == WindowResult.Inexact) return false;
            if (last) break;
            // The reference's sum of squares lies within ss (1 +- delta); its variance, hence its half-width, between
            // those of the two ends.
            double delta = 2.5 * n * Math.ScaleB(1.0, -53);
            double ssLo = Math.Max(0, Math.BitDecrement(ss - ss * delta)), ssHi = Math.BitIncrement(ss + ss * delta);
            double variance = count > 1 ? ss / (count - 1) : 0, varLo = count > 1 ? ssLo / (count - 1) : 0, varHi = count > 1 ? ssHi / (count - 1) : 0;
            centre = mean;
            half = sigma * Math.Sqrt(variance);
            (halfA, halfB) = (sigma * Math.Sqrt(varLo), sigma * Math.Sqrt(varHi));
        }
        return true;
    }

    private enum WindowResult { Exact, Empty, Inexact }

    /// <summary>Mean (exact or <see cref="WindowResult.Inexact"/>) and, unless <paramref name="meanOnly"/>, the sum of
    /// squared deviations of the values in [lo, hi].</summary>
    private static WindowResult Window(ReadOnlySpan<float> values, double lo, double hi, bool meanOnly, out double mean, out double ss, out long count)
    {
        (mean, ss) = (double.NaN, double.NaN);
        (double sum, count) = MeanClipKernels.WindowSums(values, lo, hi);
        if (count == 0) return WindowResult.Empty;
        // The window's values lie in [CeilToFloat(lo), FloorToFloat(hi)]: where that is positive and finite its ends bound
        // their magnitudes, else the values are looked at.
        float first = CeilToFloat(lo), last = FloorToFloat(hi);
        (double min, double max) = first > 0 && float.IsFinite(last) ? (first, last) : MeanClipKernels.WindowMagnitudes(values, lo, hi);
        if (max > 0)
        {
            int e = Math.Max(Math.ILogB(min) - 23, -149);
            if (!double.IsFinite(max) || !((double)count * max <= Math.ScaleB(1.0, 52 + e))) return WindowResult.Inexact;
        }
        mean = sum / count;
        if (!meanOnly) ss = MeanClipKernels.WindowSquares(values, lo, hi, mean);
        return WindowResult.Exact;
    }

    /// <summary>Whether every window with its lower edge between <paramref name="loA"/> and <paramref name="loB"/> and its
    /// upper edge between <paramref name="hiA"/> and <paramref name="hiB"/> holds the same values.</summary>
    private static bool SameWindow(ReadOnlySpan<float> values, double loA, double loB, double hiA, double hiB)
    {
        if (double.IsNaN(loA) || double.IsNaN(loB) || double.IsNaN(hiA) || double.IsNaN(hiB))
            return double.IsNaN(loA) && double.IsNaN(loB) && double.IsNaN(hiA) && double.IsNaN(hiB);
        // For a float v: v >= d exactly when v >= CeilToFloat(d), v <= d exactly when v <= FloorToFloat(d).
        float a1 = CeilToFloat(Math.Min(loA, loB)), a2 = CeilToFloat(Math.Max(loA, loB));
        float b1 = FloorToFloat(Math.Min(hiA, hiB)), b2 = FloorToFloat(Math.Max(hiA, hiB));
        return (a1 == a2 && b1 == b2) || MeanClipKernels.CountInZones(values, a1, a2, b1, b2) == 0;
    }

    /// <summary>The smallest float &gt;= <paramref name="d"/> (not NaN).</summary>
    internal static float CeilToFloat(double d)
    {
        float f = (float)d;
        return f < d ? MathF.BitIncrement(f) : f;
    }

    /// <summary>The largest float &lt;= <paramref name="d"/> (not NaN).</summary>
    internal static float FloorToFloat(double d)
    {
        float f = (float)d;
        return f > d ? MathF.BitDecrement(f) : f;
    }

    /// <summary>Values in the sorted sample that pick the quartile brackets.</summary>
    private const int QuartileSample = 1 << 16;

    /// <summary>The 25th, 50th and 75th percentiles exactly as <see cref="OrderStatistics.SelectQuantile"/> gives them,
    /// without reordering <paramref name="values"/>: one bracket per quartile around its place in a sorted strided
    /// sample, +- 4 standard deviations of a sample quantile; false when a bracket misses its ranks, overflows its
    /// buffer, or a value is not finite.</summary>
    internal static bool TryQuartiles(ReadOnlySpan<float> values, out double q25, out double q50, out double q75)
    {
        (q25, q50, q75) = (double.NaN, double.NaN, double.NaN);
        int n = values.Length;
        int s = Math.Clamp(n / 16, Math.Min(n, 64), QuartileSample), margin = (int)(2 * Math.Sqrt(s)) + 1;
        Span<double> q = [0.25, 0.5, 0.75];
        Span<int> caps = stackalloc int[3];
        Span<MeanClipKernels.Bracket> brackets = stackalloc MeanClipKernels.Bracket[3];
        Span<int> first = stackalloc int[3], last = stackalloc int[3];
        for (int j = 0; j < 3; j++)
        {
            double t = q[j] * (s - 1);
            int il = (int)Math.Floor(t) - margin, iu = (int)Math.Ceiling(t) + 1 + margin;
            (first[j], last[j]) = (il, iu);
            caps[j] = (int)Math.Min(n, 2L * (iu - il + 1) * (n / s + 1) + 64);
        }
        float[] scratch = ArrayPool<float>.Shared.Rent(s + caps[0] + caps[1] + caps[2]);
        try
        {
            var sample = scratch.AsSpan(0, s);
            for (int k = 0; k < s; k++) sample[k] = values[(int)((long)k * n / s)];
            foreach (float v in sample)
                if (!float.IsFinite(v)) return false;
            sample.Sort();
            for (int j = 0; j < 3; j++)
            {
                int il = first[j], iu = last[j];
                brackets[j].Lower = il < 0 ? float.NegativeInfinity : sample[il];
                brackets[j].Upper = iu >= s ? float.PositiveInfinity : sample[iu];
            }
            Span<float> buf0 = scratch.AsSpan(s, caps[0]), buf1 = scratch.AsSpan(s + caps[0], caps[1]), buf2 = scratch.AsSpan(s + caps[0] + caps[1], caps[2]);
            if (!MeanClipKernels.Brackets(values, brackets, buf0, buf1, buf2)) return false;
            return BracketQuantile(n, 0.25, brackets[0], buf0, out q25) && BracketQuantile(n, 0.5, brackets[1], buf1, out q50)
                   && BracketQuantile(n, 0.75, brackets[2], buf2, out q75);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary><see cref="OrderStatistics.SelectQuantile"/>'s q-quantile from the bracket around it.</summary>
    private static bool BracketQuantile(int n, double q, in MeanClipKernels.Bracket b, Span<float> buf, out double value)
    {
        value = double.NaN;
        double pos = q * (n - 1);
        int lo = (int)Math.Floor(pos);
        double f = pos - lo;
        if (!OrderStatistic(lo, b, buf, out float a)) return false;
        if (f == 0 || lo + 1 >= n)
        {
            value = a;
            return true;
        }
        float next;
        long k = lo - b.AtOrBelow;
        if (b.Lower < b.Upper && k >= 0 && k + 1 < b.Filled)
        {
            // Both inner: the selection left the larger inner values right of a, the next is their smallest.
            next = float.PositiveInfinity;
            foreach (float v in buf[(int)(k + 1)..b.Filled]) next = Math.Min(next, v);
        }
        else if (!OrderStatistic(lo + 1, b, buf, out next)) return false;
        value = a + (next - (double)a) * f;
        return true;
    }

    /// <summary>The rank-th smallest value (0-based) if the bracket holds that rank.</summary>
    private static bool OrderStatistic(long rank, in MeanClipKernels.Bracket b, Span<float> buf, out float value)
    {
        value = float.NaN;
        // Ranks [0, Below) lie below the bracket, [Below, AtOrBelow) equal Lower, then the inner values, then those equal Upper.
        long inner = b.Lower < b.Upper ? b.AtOrBelow + b.Filled : b.Below;
        if (rank < b.Below) return false;
        if (rank < b.AtOrBelow) value = b.Lower;
        else if (rank < inner) value = OrderStatistics.Select(buf[..b.Filled], (int)(rank - b.AtOrBelow));
        else if (rank < b.AtOrBelowUpper) value = b.Upper;
        else return false;
        return true;
    }
}
