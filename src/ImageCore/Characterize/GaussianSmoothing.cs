using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ImageCore.Simd;

namespace ImageCore.Characterize;

/// <summary>
/// The separable Gaussian smoothing of detection, as "valid" correlations (no padding: an output needs all its
/// inputs): rows first (<see cref="RowPass"/>: <c>d[i] = sum_k taps[k] s[i + k]</c>), then columns
/// (<see cref="ColumnPass"/>: <c>d[x] = sum_k taps[k] row_k[x]</c>). Each sum runs k = 0, 1, ... in single precision
/// with no fused multiply-add, in the scalar references and in the vector loops alike, so the two agree bit for bit.
/// A NaN or infinity in an input reaches exactly the outputs whose sums include it.
/// </summary>
internal static class GaussianSmoothing
{
    /// <summary>The normalised Gaussian of <paramref name="sigma"/> on -halfWidth..halfWidth (sum 1 in double before
    /// rounding to single), or its square (the kernel of the variance of the smoothed image).</summary>
    public static float[] Taps(double sigma, int halfWidth, bool squared)
    {
        var g = new double[2 * halfWidth + 1];
        double sum = 0;
        for (int k = -halfWidth; k <= halfWidth; k++) sum += g[k + halfWidth] = Math.Exp(-0.5 * k * k / (sigma * sigma));
        var taps = new float[g.Length];
        for (int i = 0; i < g.Length; i++) taps[i] = (float)(squared ? g[i] / sum * (g[i] / sum) : g[i] / sum);
        return taps;
    }

    /// <summary><c>d[i] = sum_k taps[k] s[i + k]</c> for i in 0..d.Length - 1; needs
    /// <c>s.Length &gt;= d.Length + taps.Length - 1</c>.</summary>
    public static void RowPass(ReadOnlySpan<float> source, ReadOnlySpan<float> taps, Span<float> destination)
    {
        Check(source.Length, taps.Length, destination.Length);
        int done = 0;
        if (Width512.IsAccelerated) done = (int)RowVectors<Width512, Vector512<float>>(source, taps, destination);
        else if (Width256.IsAccelerated) done = (int)RowVectors<Width256, Vector256<float>>(source, taps, destination);
        else if (Width128.IsAccelerated) done = (int)RowVectors<Width128, Vector128<float>>(source, taps, destination);
        RowScalar(source, taps, destination, done);
    }

    /// <summary>The scalar reference of <see cref="RowPass"/>.</summary>
    public static void RowPassScalar(ReadOnlySpan<float> source, ReadOnlySpan<float> taps, Span<float> destination)
    {
        Check(source.Length, taps.Length, destination.Length);
        RowScalar(source, taps, destination, 0);
    }

    /// <summary><c>d[x] = sum_k taps[k] rows[k][x]</c>, rows[k] starting <paramref name="stride"/> floats after rows[k - 1]
    /// at <paramref name="firstRow"/>, each at least d.Length long.</summary>
    public static void ColumnPass(ref float firstRow, nint stride, ReadOnlySpan<float> taps, Span<float> destination)
    {
        int done = 0;
        if (Width512.IsAccelerated) done = (int)ColumnVectors<Width512, Vector512<float>>(ref firstRow, stride, taps, destination);
        else if (Width256.IsAccelerated) done = (int)ColumnVectors<Width256, Vector256<float>>(ref firstRow, stride, taps, destination);
        else if (Width128.IsAccelerated) done = (int)ColumnVectors<Width128, Vector128<float>>(ref firstRow, stride, taps, destination);
        ColumnScalar(ref firstRow, stride, taps, destination, done);
    }

    /// <summary>The scalar reference of <see cref="ColumnPass"/>.</summary>
    public static void ColumnPassScalar(ref float firstRow, nint stride, ReadOnlySpan<float> taps, Span<float> destination) =>
        ColumnScalar(ref firstRow, stride, taps, destination, 0);

    private static void Check(int source, int taps, int destination)
    {
        if (taps < 1 || (destination > 0 && source < destination + taps - 1))
            throw new ArgumentException($"a row of {source} px cannot give {destination} outputs of a {taps}-tap kernel");
    }

    private static void RowScalar(ReadOnlySpan<float> s, ReadOnlySpan<float> taps, Span<float> d, int from)
    {
        for (int i = from; i < d.Length; i++)
        {
            float acc = taps[0] * s[i];
            for (int k = 1; k < taps.Length; k++) acc += taps[k] * s[i + k];
            d[i] = acc;
        }
    }

    private static void ColumnScalar(ref float first, nint stride, ReadOnlySpan<float> taps, Span<float> d, int from)
    {
        for (int x = from; x < d.Length; x++)
        {
            float acc = taps[0] * Unsafe.Add(ref first, x);
            for (int k = 1; k < taps.Length; k++) acc += taps[k] * Unsafe.Add(ref first, k * stride + x);
            d[x] = acc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint RowVectors<TW, TV>(ReadOnlySpan<float> source, ReadOnlySpan<float> taps, Span<float> destination)
        where TW : struct, ISimdWidth<TV> where TV : struct
    {
        nuint n = (uint)destination.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        ref float s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        ref float t = ref MemoryMarshal.GetReference(taps);
        nuint nt = (uint)taps.Length;
        for (; i <= n - step; i += step)
        {
            TV acc = TW.Multiply(TW.Splat(t), TW.Load(ref s, i));
            for (nuint k = 1; k < nt; k++) acc = TW.Add(acc, TW.Multiply(TW.Splat(Unsafe.Add(ref t, k)), TW.Load(ref s, i + k)));
            TW.Store(acc, ref d, i);
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint ColumnVectors<TW, TV>(ref float first, nint stride, ReadOnlySpan<float> taps, Span<float> destination)
        where TW : struct, ISimdWidth<TV> where TV : struct
    {
        nuint n = (uint)destination.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        ref float d = ref MemoryMarshal.GetReference(destination);
        ref float t = ref MemoryMarshal.GetReference(taps);
        int nt = taps.Length;
        for (; i <= n - step; i += step)
        {
            TV acc = TW.Multiply(TW.Splat(t), TW.Load(ref first, i));
            ref float row = ref first;
            for (int k = 1; k < nt; k++)
            {
                row = ref Unsafe.Add(ref row, stride);
                acc = TW.Add(acc, TW.Multiply(TW.Splat(Unsafe.Add(ref t, k)), TW.Load(ref row, i)));
            }
            TW.Store(acc, ref d, i);
        }
        return i;
    }
}
