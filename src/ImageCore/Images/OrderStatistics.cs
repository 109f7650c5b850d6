namespace ImageCore.Images;

/// <summary>Order statistics of float values by selection (no sort): the k-th smallest and linearly interpolated
/// quantiles. The one home of quickselect: ISR's overscan medians and the coadd's clipped means use it.</summary>
internal static class OrderStatistics
{
    /// <summary>The k-th smallest of <paramref name="values"/> (0-based, 0 &lt;= k &lt; n, none NaN) in expected linear time: Hoare's
    /// quickselect with a median-of-three pivot. <paramref name="values"/> is reordered so that values[..k] &lt;= values[k]
    /// &lt;= values[(k + 1)..], values[k] holding the result.</summary>
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

    /// <summary>The q-quantile of <paramref name="values"/> (non-empty, none NaN), interpolated linearly at pos = q (n - 1)
    /// of the sorted values s (numpy's default): s[lo] + (s[lo + 1] - s[lo]) (pos - lo) in double precision, lo = floor(pos),
    /// and s[lo] itself where pos is whole; by selection rather than sorting. <paramref name="values"/> is reordered.</summary>
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

    /// <summary>The median of a few doubles (the mean of the middle two for an even count; NaN for none), by sorting a
    /// copy: for short lists (star widths, per-worker timings), not for pixels.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
