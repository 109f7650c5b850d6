using ImageCore.Images;

namespace ImageCore.Coadd;

// The unit-weight clipped mean of many values in linear time, by selection (the warps' weights).
internal static partial class StackStatistics
{
    /// <summary>The clipped mean (<see cref="CoaddStatistic.MeanClip"/> rules, unit weights) of many values, in linear
    /// time (quantiles by selection, not sorting); <paramref name="values"/> is reordered.</summary>
    public static double MeanClip(Span<float> values, double sigma, int iterations)
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
}
