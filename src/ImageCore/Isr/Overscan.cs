using System.Buffers;
using System.Numerics.Tensors;
using CommunityToolkit.HighPerformance;
using ImageCore.Images;

namespace ImageCore.Isr;

/// <summary>
/// Serial overscan measurement and subtraction (ISR step 4), following ip_isr's
/// <c>SerialOverscanCorrectionTask</c>: skip columns next to the data and at the far end; mask pixels
/// further than MaxDeviation from the overscan median; per row, clip at NumSigmaClip robust sigma
/// (0.74 x IQR, with sigmas above twice their median replaced by the median) around the row median;
/// take the median (or mean) of what is left; fill fully masked rows from up to five good neighbours
/// on each side, else the overscan median. NaN pixels count as masked. All pixels masked gives 0.
/// </summary>
public static class Overscan
{
    private const double IqrToSigma = 0.74;

    /// <summary>Measures the overscan level of every row of <paramref name="overscan"/>.</summary>
    /// <param name="overscan">The serial overscan pixels, rows as in the image, ADU.</param>
    /// <param name="dataOnLeft">True when the imaging pixels lie at lower x than the overscan (the
    /// leading columns are then the first ones); false when they lie at higher x.</param>
    /// <param name="config">Fit type, skips, clipping.</param>
    /// <param name="rowLevels">Output: one level per row, ADU.</param>
    /// <exception cref="ArgumentException">Bad config, no columns left after the skips, or a length mismatch.</exception>
    public static void MeasureRows(ReadOnlySpan2D<float> overscan, bool dataOnLeft, OverscanConfig config, Span<float> rowLevels)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        int rows = overscan.Height;
        if (rowLevels.Length != rows) throw new ArgumentException($"{rowLevels.Length} row levels for {rows} overscan rows", nameof(rowLevels));
        int skipLeft = dataOnLeft ? config.LeadingToSkip : config.TrailingToSkip;
        int skipRight = dataOnLeft ? config.TrailingToSkip : config.LeadingToSkip;
        int cols = overscan.Width - skipLeft - skipRight;
        if (cols <= 0)
            throw new ArgumentException($"the overscan is {overscan.Width} columns wide; skipping {skipLeft}+{skipRight} leaves none", nameof(overscan));
        if (rows == 0) return;

        float[] values = ArrayPool<float>.Shared.Rent(rows * cols);
        float[] scratch = ArrayPool<float>.Shared.Rent(Math.Max(rows * cols, rows));
        float[] sigmas = ArrayPool<float>.Shared.Rent(rows);
        bool[] good = ArrayPool<bool>.Shared.Rent(rows);
        int[] counts = ArrayPool<int>.Shared.Rent(rows);
        int[] histogram = ArrayPool<int>.Shared.Rent(CountingSortRange);
        try
        {
            var v = values.AsSpan(0, rows * cols);
            for (int y = 0; y < rows; y++) overscan.GetRowSpan(y).Slice(skipLeft, cols).CopyTo(v.Slice(y * cols, cols));

            // (a) nothing usable, (b) gross outliers become NaN (masked).
            float globalMedian = NanMedian(v, scratch);
            if (float.IsNaN(globalMedian))
            {
                rowLevels.Clear();
                return;
            }
            foreach (ref float p in v)
                if ((config.MaxDeviationPositiveOnly ? p - globalMedian : Math.Abs(p - globalMedian)) > config.MaxDeviation) p = float.NaN;

            if (config.FitType is OverscanFitType.Mean or OverscanFitType.Median)
            {
                float level = config.FitType == OverscanFitType.Median ? NanMedian(v, scratch) : ClippedMean(v, scratch, config.NumSigmaClip);
                rowLevels.Fill(float.IsNaN(level) ? 0f : level);
                return;
            }

            // (c) per-row robust sigma, capped at twice the median sigma. Each row's usable values are sorted
            // once (in place in `values`, NaNs dropped, count in `counts`); the clipped set is then a
            // contiguous run of the sorted row, so its median and mean need no second sort.
            var sig = sigmas.AsSpan(0, rows);
            var count = counts.AsSpan(0, rows);
            for (int y = 0; y < rows; y++)
            {
                var row = v.Slice(y * cols, cols);
                int n = 0;
                foreach (float x in row) if (!float.IsNaN(x)) row[n++] = x;
                var sorted = row[..n];
                SortRow(sorted, histogram);
                count[y] = n;
                sig[y] = n < 2 ? float.NaN : (float)(IqrToSigma * (Quantile(sorted, 0.75) - Quantile(sorted, 0.25)));
            }
            float medianSigma = NanMedian(sig, scratch);
            for (int y = 0; y < rows; y++)
                if (!(sig[y] <= 2 * medianSigma)) sig[y] = medianSigma;

            var ok = good.AsSpan(0, rows);
            for (int y = 0; y < rows; y++)
            {
                var sorted = v.Slice(y * cols, count[y]);
                float median = MedianOfSorted(sorted);
                if (!float.IsNaN(median) && sig[y] > 0)
                {
                    float limit = (float)(config.NumSigmaClip * sig[y]);
                    int lo = 0, hi = sorted.Length;
                    while (lo < hi && Math.Abs(sorted[lo] - median) > limit) lo++;
                    while (hi > lo && Math.Abs(sorted[hi - 1] - median) > limit) hi--;
                    sorted = sorted[lo..hi];
                }
                // (d) the row's value.
                float level = config.FitType == OverscanFitType.MeanPerRow ? NanMean(sorted) : MedianOfSorted(sorted);
                rowLevels[y] = level;
                ok[y] = !float.IsNaN(level);
            }

            // (e) rows with nothing left: median of up to five good neighbours each side, else the overscan median.
            FillFromNeighbours(rowLevels, ok, globalMedian, scratch, sigmas);

            if (config.FitType == OverscanFitType.Polynomial) FitPolynomial(rowLevels, config.PolynomialOrder);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<float>.Shared.Return(sigmas);
            ArrayPool<bool>.Shared.Return(good);
            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<int>.Shared.Return(histogram);
        }
    }

    /// <summary>Levels that are not <paramref name="ok"/> become the median of up to five good neighbours on
    /// each side, else <paramref name="fallback"/>.</summary>
    internal static void FillFromNeighbours(Span<float> levels, ReadOnlySpan<bool> ok, float fallback, Span<float> scratch, Span<float> scratch2)
    {
        int rows = levels.Length;
        for (int y = 0; y < rows; y++)
        {
            if (ok[y]) continue;
            int n = 0;
            for (int k = Math.Max(0, y - 5); k <= Math.Min(rows - 1, y + 5); k++)
                if (k != y && ok[k]) scratch[n++] = levels[k];
            levels[y] = n > 0 ? NanMedian(scratch[..n], scratch2) : fallback;
        }
    }

    /// <summary>In place: subtracts <paramref name="rowLevels"/>[y] from every pixel of row y of <paramref name="region"/>.</summary>
    /// <exception cref="ArgumentException">Row count mismatch.</exception>
    public static void SubtractRows(Span2D<float> region, ReadOnlySpan<float> rowLevels)
    {
        if (rowLevels.Length != region.Height) throw new ArgumentException($"{rowLevels.Length} levels for {region.Height} rows", nameof(rowLevels));
        for (int y = 0; y < region.Height; y++)
        {
            var row = region.GetRowSpan(y);
            TensorPrimitives.Subtract(row, rowLevels[y], row);
        }
    }

    /// <summary>Median of the non-NaN values (NaN when there are none); <paramref name="values"/> is untouched.</summary>
    internal static float NanMedian(ReadOnlySpan<float> values, Span<float> scratch)
    {
        int n = 0;
        foreach (float x in values) if (!float.IsNaN(x)) scratch[n++] = x;
        if (n == 0) return float.NaN;
        var s = scratch[..n];
        if (n <= 64)
        {
            s.Sort();
            return MedianOfSorted(s);
        }
        if (TryCountingMedian(s, out float median)) return median;
        float upper = OrderStatistics.Select(s, n / 2);   // leaves every smaller value before n / 2
        if ((n & 1) == 1) return upper;
        float lower = s[0];
        foreach (float x in s[..(n / 2)]) if (x > lower) lower = x;
        return (float)(0.5 * ((double)lower + upper));
    }

    /// <summary>Widest value range (max - min + 1) that <see cref="SortRow"/> counts rather than compares.</summary>
    internal const int CountingSortRange = 1024;

    /// <summary>Sorts a row of non-NaN values ascending. Raw overscan pixels are whole ADU spread over a few
    /// tens of ADU, so when every value is an integer within <see cref="CountingSortRange"/> of the smallest a
    /// counting sort does it in linear time (the same result as a comparison sort); otherwise
    /// a comparison sort. <paramref name="histogram"/> needs
    /// <see cref="CountingSortRange"/> entries.</summary>
    internal static void SortRow(Span<float> values, Span<int> histogram)
    {
        if (values.Length < 2) return;
        float min = values[0], max = values[0];
        bool integral = true;
        foreach (float v in values)
        {
            if (v < min) min = v;
            if (v > max) max = v;
            integral &= v == MathF.Round(v);
        }
        // Integers of magnitude below 2^24 are exact in float; -0 and +0 would collapse, so zero spans fall back too.
        if (!integral || !(max - min < CountingSortRange) || Math.Abs(min) >= 1 << 24 || Math.Abs(max) >= 1 << 24 || (min <= 0 && max >= 0))
        {
            values.Sort();
            return;
        }
        int range = (int)(max - min) + 1;
        var h = histogram[..range];
        h.Clear();
        foreach (float v in values) h[(int)(v - min)]++;
        int o = 0;
        for (int i = 0; i < range; i++)
            for (int c = h[i]; c > 0; c--) values[o++] = min + i;
    }

    /// <summary>The median of non-NaN <paramref name="s"/> by a histogram, when every value is a whole number
    /// (as raw ADU are) within 65,536 of the smallest; false otherwise.</summary>
    private static bool TryCountingMedian(ReadOnlySpan<float> s, out float median)
    {
        median = float.NaN;
        float min = s[0], max = s[0];
        foreach (float v in s)
        {
            if (v < min) min = v;
            if (v > max) max = v;
            if (v != MathF.Round(v)) return false;
        }
        if (!(max - min < 65_536) || Math.Abs(min) >= 1 << 24 || Math.Abs(max) >= 1 << 24) return false;
        int range = (int)(max - min) + 1, n = s.Length;
        int[] histogram = ArrayPool<int>.Shared.Rent(range);
        try
        {
            var h = histogram.AsSpan(0, range);
            h.Clear();
            foreach (float v in s) h[(int)(v - min)]++;
            // The values of rank n/2 - 1 and n/2 (0-based).
            int lowRank = (n & 1) == 1 ? n / 2 : n / 2 - 1, highRank = n / 2, seen = 0;
            float low = float.NaN;
            for (int i = 0; i < range; i++)
            {
                if (h[i] == 0) continue;
                int next = seen + h[i];
                if (float.IsNaN(low) && lowRank < next) low = min + i;
                if (highRank < next)
                {
                    float high = min + i;
                    median = (n & 1) == 1 ? high : (float)(0.5 * ((double)low + high));
                    return true;
                }
                seen = next;
            }
            return false;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(histogram);
        }
    }

    /// <summary>Median of sorted values (NaN for none; the mean of the middle two for an even count).</summary>
    private static float MedianOfSorted(ReadOnlySpan<float> s)
    {
        int n = s.Length;
        if (n == 0) return float.NaN;
        return (n & 1) == 1 ? s[n / 2] : (float)(0.5 * ((double)s[n / 2 - 1] + s[n / 2]));
    }

    private static double NanIqr(ReadOnlySpan<float> values, Span<float> scratch)
    {
        int n = 0;
        foreach (float x in values) if (!float.IsNaN(x)) scratch[n++] = x;
        if (n < 2) return double.NaN;
        var s = scratch[..n];
        s.Sort();
        return Quantile(s, 0.75) - Quantile(s, 0.25);
    }

    /// <summary>Linear-interpolated quantile of sorted values (numpy's default).</summary>
    private static double Quantile(ReadOnlySpan<float> sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * ((double)sorted[hi] - sorted[lo]);
    }

    private static float NanMean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        int n = 0;
        foreach (float x in values)
            if (!float.IsNaN(x)) { sum += x; n++; }
        return n == 0 ? float.NaN : (float)(sum / n);
    }

    private static float ClippedMean(Span<float> values, Span<float> scratch, double nSigma)
    {
        float median = NanMedian(values, scratch);
        double sigma = IqrToSigma * NanIqr(values, scratch);
        if (sigma > 0)
            foreach (ref float p in values)
                if (Math.Abs(p - median) > nSigma * sigma) p = float.NaN;
        return NanMean(values);
    }

    /// <summary>Replaces <paramref name="levels"/> by its least-squares polynomial in x = 2 y / (n - 1) - 1
    /// (normal equations in double; orders are small).</summary>
    private static void FitPolynomial(Span<float> levels, int order)
    {
        int n = levels.Length, m = Math.Min(order, n - 1) + 1;
        var a = new double[m, m];
        var b = new double[m];
        Span<double> powers = stackalloc double[2 * m];
        for (int y = 0; y < n; y++)
        {
            double x = n == 1 ? 0 : 2.0 * y / (n - 1) - 1, p = 1;
            for (int k = 0; k < 2 * m; k++) { powers[k] = p; p *= x; }
            for (int i = 0; i < m; i++)
            {
                b[i] += powers[i] * levels[y];
                for (int j = 0; j < m; j++) a[i, j] += powers[i + j];
            }
        }
        // Gaussian elimination with partial pivoting.
        for (int c = 0; c < m; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < m; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            for (int k = 0; k < m; k++) (a[c, k], a[pivot, k]) = (a[pivot, k], a[c, k]);
            (b[c], b[pivot]) = (b[pivot], b[c]);
            for (int r = c + 1; r < m; r++)
            {
                double f = a[r, c] / a[c, c];
                for (int k = c; k < m; k++) a[r, k] -= f * a[c, k];
                b[r] -= f * b[c];
            }
        }
        var coef = new double[m];
        for (int c = m - 1; c >= 0; c--)
        {
            double s = b[c];
            for (int k = c + 1; k < m; k++) s -= a[c, k] * coef[k];
            coef[c] = s / a[c, c];
        }
        for (int y = 0; y < n; y++)
        {
            double x = n == 1 ? 0 : 2.0 * y / (n - 1) - 1, v = 0;
            for (int k = m - 1; k >= 0; k--) v = v * x + coef[k];
            levels[y] = (float)v;
        }
    }
}
