using System.Buffers;
using System.Numerics.Tensors;
using CommunityToolkit.HighPerformance;

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
                if (Math.Abs(p - globalMedian) > config.MaxDeviation) p = float.NaN;

            if (config.FitType is OverscanFitType.Mean or OverscanFitType.Median)
            {
                float level = config.FitType == OverscanFitType.Median ? NanMedian(v, scratch) : ClippedMean(v, scratch, config.NumSigmaClip);
                rowLevels.Fill(float.IsNaN(level) ? 0f : level);
                return;
            }

            // (c) per-row robust sigma, capped at twice the median sigma.
            var sig = sigmas.AsSpan(0, rows);
            for (int y = 0; y < rows; y++) sig[y] = (float)(IqrToSigma * NanIqr(v.Slice(y * cols, cols), scratch));
            float medianSigma = NanMedian(sig, scratch);
            for (int y = 0; y < rows; y++)
                if (!(sig[y] <= 2 * medianSigma)) sig[y] = medianSigma;

            var ok = good.AsSpan(0, rows);
            for (int y = 0; y < rows; y++)
            {
                var row = v.Slice(y * cols, cols);
                float median = NanMedian(row, scratch);
                if (!float.IsNaN(median) && sig[y] > 0)
                {
                    float limit = (float)(config.NumSigmaClip * sig[y]);
                    foreach (ref float p in row)
                        if (Math.Abs(p - median) > limit) p = float.NaN;
                }
                // (d) the row's value.
                float level = config.FitType == OverscanFitType.MeanPerRow ? NanMean(row) : NanMedian(row, scratch);
                rowLevels[y] = level;
                ok[y] = !float.IsNaN(level);
            }

            // (e) rows with nothing left: median of up to five good neighbours each side, else the overscan median.
            for (int y = 0; y < rows; y++)
            {
                if (ok[y]) continue;
                int n = 0;
                for (int k = Math.Max(0, y - 5); k <= Math.Min(rows - 1, y + 5); k++)
                    if (k != y && ok[k]) scratch[n++] = rowLevels[k];
                rowLevels[y] = n > 0 ? NanMedian(scratch.AsSpan(0, n), sigmas.AsSpan(0, n)) : globalMedian;
            }

            if (config.FitType == OverscanFitType.Polynomial) FitPolynomial(rowLevels, config.PolynomialOrder);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<float>.Shared.Return(sigmas);
            ArrayPool<bool>.Shared.Return(good);
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
        s.Sort();
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
