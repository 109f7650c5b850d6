using System.Buffers;
using CommunityToolkit.HighPerformance;

namespace ImageCore.Isr;

/// <summary>
/// Parallel overscan measurement (ISR step 9, ip_isr's <c>ParallelOverscanCorrectionTask</c>): one level
/// per imaging column from the rows read after the imaging rows, once the serial overscan is gone.
/// See <see cref="ParallelOverscanConfig"/> for the rules; the levels are subtracted from the imaging
/// pixels only (by the fused pass, or <see cref="SubtractColumns"/>).
/// </summary>
public static class ParallelOverscan
{
    /// <summary>Measures the level of every column of <paramref name="overscan"/>.</summary>
    /// <param name="overscan">The amplifier's parallel overscan (assembled orientation), ADU, serial overscan removed.</param>
    /// <param name="overscanMask">Its mask: SAT is set here on bright pixels (grown), and those pixels are left out.</param>
    /// <param name="data">The amplifier's imaging pixels, for the bright-amplifier skip test (sampled every 8th row and column).</param>
    /// <param name="dataBelow">True when the imaging rows lie below the overscan (lower y), so its first rows lead.</param>
    /// <param name="saturation">The amplifier's saturation, ADU.</param>
    /// <param name="saturatedBit">The SAT bit.</param>
    /// <param name="config">Rules; skips must leave at least one row (the caller shrinks them for scaled layouts).</param>
    /// <param name="columnLevels">Output: one level per column, ADU (all 0 when the amplifier is skipped).</param>
    /// <returns>False when the amplifier was skipped as too bright.</returns>
    /// <exception cref="ArgumentException">Sizes disagree, or the skips leave no rows.</exception>
    public static bool MeasureColumns(ReadOnlySpan2D<float> overscan, Span2D<int> overscanMask, ReadOnlySpan2D<float> data, bool dataBelow,
                                      double saturation, int saturatedBit, ParallelOverscanConfig config, Span<float> columnLevels)
    {
        ArgumentNullException.ThrowIfNull(config);
        int rows = overscan.Height, cols = overscan.Width;
        if (overscanMask.Width != cols || overscanMask.Height != rows) throw new ArgumentException("the parallel overscan and its mask differ in size", nameof(overscanMask));
        if (columnLevels.Length != cols) throw new ArgumentException($"{columnLevels.Length} column levels for {cols} columns", nameof(columnLevels));
        if (data.Width != cols) throw new ArgumentException($"the imaging box is {data.Width} columns wide, the parallel overscan {cols}", nameof(data));
        FlagSaturated(overscan, overscanMask, (float)(config.SaturationFraction * saturation), config.SaturationGrow, saturatedBit);

        float[] transposed = ArrayPool<float>.Shared.Rent(rows * cols), scratch = ArrayPool<float>.Shared.Rent(Math.Max(rows * cols, 2 * cols + 16));
        bool[] good = ArrayPool<bool>.Shared.Rent(cols);
        try
        {
            var t = transposed.AsSpan(0, rows * cols);
            for (int y = 0; y < rows; y++)
            {
                var v = overscan.GetRowSpan(y);
                var m = overscanMask.GetRowSpan(y);
                for (int x = 0; x < cols; x++) t[x * rows + y] = (m[x] & saturatedBit) != 0 ? float.NaN : v[x];
            }

            float overscanMedian = Overscan.NanMedian(t, scratch);
            float imageMedian = SampledMedian(data, scratch);
            if (overscanMedian / imageMedian > config.SkipOverscanToImageRatio && imageMedian > config.SkipImageMedian)
            {
                columnLevels.Clear();
                return false;
            }

            Overscan.MeasureRows(new ReadOnlySpan2D<float>(transposed, 0, cols, rows, 0), dataOnLeft: dataBelow, config.Overscan, columnLevels);
            RejectByRunningMedian(columnLevels, config, good.AsSpan(0, cols), scratch);
            return true;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(transposed);
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<bool>.Shared.Return(good);
        }
    }

    /// <summary>In place: subtracts <paramref name="columnLevels"/>[x] from column x of every row of <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">Column count mismatch.</exception>
    public static void SubtractColumns(Span2D<float> data, ReadOnlySpan<float> columnLevels)
    {
        if (columnLevels.Length != data.Width) throw new ArgumentException($"{columnLevels.Length} levels for {data.Width} columns", nameof(columnLevels));
        for (int y = 0; y < data.Height; y++)
        {
            var row = data.GetRowSpan(y);
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, columnLevels, row);
        }
    }

    private static void FlagSaturated(ReadOnlySpan2D<float> overscan, Span2D<int> mask, float threshold, int grow, int bit)
    {
        int rows = overscan.Height, cols = overscan.Width;
        for (int y = 0; y < rows; y++)
        {
            var v = overscan.GetRowSpan(y);
            for (int x = 0; x < cols; x++)
            {
                if (!(v[x] >= threshold)) continue;
                for (int yy = Math.Max(0, y - grow); yy <= Math.Min(rows - 1, y + grow); yy++)
                    foreach (ref int m in mask.GetRowSpan(yy)[Math.Max(0, x - grow)..(Math.Min(cols - 1, x + grow) + 1)]) m |= bit;
            }
        }
    }

    /// <summary>Median of every 8th pixel of every 8th row (NaN when there are none).</summary>
    private static float SampledMedian(ReadOnlySpan2D<float> data, float[] scratch)
    {
        int n = 0, capacity = scratch.Length;
        for (int y = 0; y < data.Height; y += 8)
        {
            var row = data.GetRowSpan(y);
            for (int x = 0; x < row.Length && n < capacity / 2; x += 8) scratch[n++] = row[x];
        }
        return Overscan.NanMedian(scratch.AsSpan(0, n), scratch.AsSpan(n));
    }

    /// <summary>Rejects levels further than the threshold from their running median, grows the rejection,
    /// and refills those levels from their good neighbours.</summary>
    private static void RejectByRunningMedian(Span<float> levels, ParallelOverscanConfig config, Span<bool> good, float[] scratch)
    {
        int cols = levels.Length, half = config.ColumnSmoothingKernel / 2;
        // The window never holds more than the kernel or the columns; rented, as the kernel is a configuration value.
        int span = Math.Max(1, Math.Min(config.ColumnSmoothingKernel, cols));
        float[] windows = ArrayPool<float>.Shared.Rent(2 * span);
        try
        {
            RejectByRunningMedian(levels, config, good, scratch, windows.AsSpan(0, span), windows.AsSpan(span, span), half);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(windows);
        }
    }

    private static void RejectByRunningMedian(Span<float> levels, ParallelOverscanConfig config, Span<bool> good, float[] scratch,
                                              Span<float> window, Span<float> windowScratch, int half)
    {
        int cols = levels.Length;
        good.Fill(true);
        bool anyRejected = false;
        for (int x = 0; x < cols; x++)
        {
            int lo = Math.Max(0, x - half), hi = Math.Min(cols - 1, x + half);
            levels[lo..(hi + 1)].CopyTo(window);
            float smooth = Overscan.NanMedian(window[..(hi - lo + 1)], windowScratch);
            if (Math.Abs(levels[x] - smooth) <= config.ColumnRejectThreshold) continue;
            anyRejected = true;
            for (int g = Math.Max(0, x - config.ColumnRejectGrow); g <= Math.Min(cols - 1, x + config.ColumnRejectGrow); g++) good[g] = false;
        }
        if (!anyRejected) return;
        int nGood = 0;
        for (int x = 0; x < cols; x++) if (good[x]) scratch[nGood++] = levels[x];
        float fallback = nGood > 0 ? Overscan.NanMedian(scratch.AsSpan(0, nGood), scratch.AsSpan(nGood)) : 0f;
        Overscan.FillFromNeighbours(levels, good, fallback, scratch, scratch.AsSpan(scratch.Length / 2));
    }
}
