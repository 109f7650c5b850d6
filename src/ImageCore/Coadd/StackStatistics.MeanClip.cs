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
