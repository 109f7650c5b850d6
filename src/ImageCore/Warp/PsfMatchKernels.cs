using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ImageCore.Simd;

namespace ImageCore.Warp;

/// <summary>
/// The inner kernels of <see cref="PsfMatchConvolution"/>, each with its plain scalar reference beside it (which also
/// does the tails). No fused multiply-add and the same order of operations per output, so the vector and scalar paths
/// agree bit for bit. The vertical kernels take four output rows at once: each input row is loaded once for the four
/// sums it enters (with a different tap in each), which quarters the reads of the horizontally convolved rows and gives
/// four independent chains of additions.
/// </summary>
internal static class PsfMatchKernels
{
    /// <summary>Output rows per call of the blocked vertical kernels.</summary>
    public const int BlockRows = 4;

    /// <summary>d[i] = (((c4 x + c3) x + c2) x + c1) x + c0, with c_k = coefficients[k * d.Length + i].</summary>
    public static void Quartic(ReadOnlySpan<float> coefficients, float x, Span<float> d)
    {
        if (coefficients.Length < 5 * d.Length) throw new ArgumentException("five coefficients per output are needed", nameof(coefficients));
        int done = 0;
        if (Width512.IsAccelerated) done = (int)QuarticVectors<Width512, Vector512<float>>(coefficients, x, d);
        else if (Width256.IsAccelerated) done = (int)QuarticVectors<Width256, Vector256<float>>(coefficients, x, d);
        else if (Width128.IsAccelerated) done = (int)QuarticVectors<Width128, Vector128<float>>(coefficients, x, d);
        QuarticScalar(coefficients, x, d, done);
    }

    /// <summary>The scalar reference of <see cref="Quartic"/>.</summary>
    public static void QuarticScalar(ReadOnlySpan<float> coefficients, float x, Span<float> d, int from = 0)
    {
        int n = d.Length;
        for (int i = from; i < n; i++)
            d[i] = (((coefficients[4 * n + i] * x + coefficients[3 * n + i]) * x + coefficients[2 * n + i]) * x + coefficients[n + i]) * x + coefficients[i];
    }

    /// <summary>Three row correlations sharing their input loads: <c>d_f[i] = sum_k taps[f * nt + k] s[i + k]</c> for
    /// f = 0, 1, 2 and i &lt; d0.Length (each sum from <c>taps[f * nt] s[i]</c>, then k = 1, 2, ... in order, as
    /// <see cref="Characterize.GaussianSmoothing.RowPass"/> sums); s has d0.Length + nt - 1 values. d1 and d2 may be the
    /// same span (the same filter given twice).</summary>
    public static void RowPasses3(ReadOnlySpan<float> s, ReadOnlySpan<float> taps, int nt, Span<float> d0, Span<float> d1, Span<float> d2)
    {
        int n = d0.Length;
        if (nt < 1 || taps.Length < 3 * nt || d1.Length < n || d2.Length < n || (n > 0 && s.Length < n + nt - 1))
            throw new ArgumentException($"a row of {s.Length} px cannot give {n} outputs of three {nt}-tap filters");
        int done = 0;
        if (Width512.IsAccelerated) done = (int)RowPasses3Vectors<Width512, Vector512<float>>(s, taps, nt, d0, d1, d2);
        else if (Width256.IsAccelerated) done = (int)RowPasses3Vectors<Width256, Vector256<float>>(s, taps, nt, d0, d1, d2);
        else if (Width128.IsAccelerated) done = (int)RowPasses3Vectors<Width128, Vector128<float>>(s, taps, nt, d0, d1, d2);
        RowPasses3Scalar(s, taps, nt, d0, d1, d2, done);
    }

    /// <summary>The scalar reference of <see cref="RowPasses3"/> (outputs from <paramref name="from"/>).</summary>
    public static void RowPasses3Scalar(ReadOnlySpan<float> s, ReadOnlySpan<float> taps, int nt, Span<float> d0, Span<float> d1, Span<float> d2, int from = 0)
    {
        for (int i = from; i < d0.Length; i++)
        {
            float a0 = taps[0] * s[i], a1 = taps[nt] * s[i], a2 = taps[2 * nt] * s[i];
            for (int k = 1; k < nt; k++)
            {
                a0 += taps[k] * s[i + k];
                a1 += taps[nt + k] * s[i + k];
                a2 += taps[2 * nt + k] * s[i + k];
            }
            d0[i] = a0;
            d1[i] = a1;
            d2[i] = a2;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint RowPasses3Vectors<TW, TV>(ReadOnlySpan<float> source, ReadOnlySpan<float> taps, int nt, Span<float> d0, Span<float> d1, Span<float> d2)
        where TW : struct, ISimdWidth<TV> where TV : struct
    {
        nuint n = (uint)d0.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        ref float s = ref MemoryMarshal.GetReference(source);
        ref float t0 = ref MemoryMarshal.GetReference(taps);
        ref float t1 = ref Unsafe.Add(ref t0, nt);
        ref float t2 = ref Unsafe.Add(ref t0, 2 * nt);
        ref float e0 = ref MemoryMarshal.GetReference(d0);
        ref float e1 = ref MemoryMarshal.GetReference(d1);
        ref float e2 = ref MemoryMarshal.GetReference(d2);
        for (; i + 2 * step <= n; i += 2 * step)
        {
            TV u = TW.Load(ref s, i), v = TW.Load(ref s, i + step);
            TV b0 = TW.Splat(t0), b1 = TW.Splat(t1), b2 = TW.Splat(t2);
            TV a0 = TW.Multiply(b0, u), a1 = TW.Multiply(b1, u), a2 = TW.Multiply(b2, u);
            TV c0 = TW.Multiply(b0, v), c1 = TW.Multiply(b1, v), c2 = TW.Multiply(b2, v);
            for (nint k = 1; k < nt; k++)
            {
                u = TW.Load(ref s, i + (nuint)k);
                v = TW.Load(ref s, i + step + (nuint)k);
                b0 = TW.Splat(Unsafe.Add(ref t0, k));
                a0 = TW.Add(a0, TW.Multiply(b0, u));
                c0 = TW.Add(c0, TW.Multiply(b0, v));
                b1 = TW.Splat(Unsafe.Add(ref t1, k));
                a1 = TW.Add(a1, TW.Multiply(b1, u));
                c1 = TW.Add(c1, TW.Multiply(b1, v));
                b2 = TW.Splat(Unsafe.Add(ref t2, k));
                a2 = TW.Add(a2, TW.Multiply(b2, u));
                c2 = TW.Add(c2, TW.Multiply(b2, v));
            }
            TW.Store(a0, ref e0, i);
            TW.Store(c0, ref e0, i + step);
            TW.Store(a1, ref e1, i);
            TW.Store(c1, ref e1, i + step);
            TW.Store(a2, ref e2, i);
            TW.Store(c2, ref e2, i + step);
        }
        for (; i + step <= n; i += step)
        {
            TV u = TW.Load(ref s, i);
            TV a0 = TW.Multiply(TW.Splat(t0), u), a1 = TW.Multiply(TW.Splat(t1), u), a2 = TW.Multiply(TW.Splat(t2), u);
            for (nint k = 1; k < nt; k++)
            {
                u = TW.Load(ref s, i + (nuint)k);
                a0 = TW.Add(a0, TW.Multiply(TW.Splat(Unsafe.Add(ref t0, k)), u));
                a1 = TW.Add(a1, TW.Multiply(TW.Splat(Unsafe.Add(ref t1, k)), u));
                a2 = TW.Add(a2, TW.Multiply(TW.Splat(Unsafe.Add(ref t2, k)), u));
            }
            TW.Store(a0, ref e0, i);
            TW.Store(a1, ref e1, i);
            TW.Store(a2, ref e2, i);
        }
        return i;
    }

    /// <summary>
    /// The weighted vertical sums of one basis kernel for <paramref name="rows"/> output rows:
    /// <c>dest[k * destStride + x] += (a[k] + xn[x] (b[k] + c[k] xn[x])) * sum_j taps[j] plane[(k + j) * stride + x]</c>
    /// for k &lt; rows, x &lt; width; each sum starts from 0 and runs j = 0, 1, ....
    /// </summary>
    public static void WeightedColumns(ref float plane, nint stride, ReadOnlySpan<float> taps, ReadOnlySpan<float> xn,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> dest, int destStride, int rows, int width)
    {
        int done = 0;
        if (rows == BlockRows && taps.Length >= BlockRows)
        {
            if (Width512.IsAccelerated) done = (int)WeightedColumnVectors<Width512, Vector512<float>>(ref plane, stride, taps, xn, a, b, c, dest, destStride, width);
            else if (Width256.IsAccelerated) done = (int)WeightedColumnVectors<Width256, Vector256<float>>(ref plane, stride, taps, xn, a, b, c, dest, destStride, width);
            else if (Width128.IsAccelerated) done = (int)WeightedColumnVectors<Width128, Vector128<float>>(ref plane, stride, taps, xn, a, b, c, dest, destStride, width);
        }
        WeightedColumnsScalar(ref plane, stride, taps, xn, a, b, c, dest, destStride, rows, width, done);
    }

    /// <summary>The scalar reference of <see cref="WeightedColumns"/> (columns from <paramref name="from"/>).</summary>
    public static void WeightedColumnsScalar(ref float plane, nint stride, ReadOnlySpan<float> taps, ReadOnlySpan<float> xn,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> dest, int destStride, int rows, int width, int from = 0)
    {
        for (int k = 0; k < rows; k++)
            for (int x = from; x < width; x++)
            {
                float col = 0;
                for (int j = 0; j < taps.Length; j++) col += taps[j] * Unsafe.Add(ref plane, (k + j) * stride + x);
                dest[k * destStride + x] += (a[k] + xn[x] * (b[k] + c[k] * xn[x])) * col;
            }
    }

    /// <summary>
    /// The variance's vertical sums for <paramref name="rows"/> output rows, interpolated across groups of
    /// <paramref name="group"/> columns. For k &lt; rows and x &lt; width, with g = x / group and t = (x % group + 0.5) / group:
    /// <c>L = sum_{a &lt; m} sum_{j &lt; n} edgeTaps[((k * edges + g) * m + a) * n + j] * plane[a * planeStride + (k + j) * stride + x]</c>,
    /// R the same with the taps of edge g + 1, and <c>dest[k * destStride + x] = (1 - t) L + t R</c>. Each sum starts from
    /// 0 and runs a = 0, 1, ..., j = 0, 1, ... within a.
    /// </summary>
    public static void VarianceColumns(ref float plane, nint planeStride, nint stride, int m, int n, ReadOnlySpan<float> edgeTaps, int edges,
        int group, Span<float> dest, int destStride, int rows, int width)
    {
        if (edgeTaps.Length < rows * edges * m * n || width > (edges - 1) * group)
            throw new ArgumentException("too few edge taps for the columns", nameof(edgeTaps));
        if (group < 1 || group > 1024) throw new ArgumentOutOfRangeException(nameof(group), group, "a group is 1 to 1024 columns");
        int done = 0;
        if (rows == BlockRows && n >= BlockRows)
        {
            if (Width512.IsAccelerated && group % Width512.Count == 0)
                done = (int)VarianceColumnVectors<Width512, Vector512<float>>(ref plane, planeStride, stride, m, n, edgeTaps, edges, group, dest, destStride, width);
            else if (Width256.IsAccelerated && group % Width256.Count == 0)
                done = (int)VarianceColumnVectors<Width256, Vector256<float>>(ref plane, planeStride, stride, m, n, edgeTaps, edges, group, dest, destStride, width);
            else if (Width128.IsAccelerated && group % Width128.Count == 0)
                done = (int)VarianceColumnVectors<Width128, Vector128<float>>(ref plane, planeStride, stride, m, n, edgeTaps, edges, group, dest, destStride, width);
        }
        VarianceColumnsScalar(ref plane, planeStride, stride, m, n, edgeTaps, edges, group, dest, destStride, rows, width, done);
    }

    /// <summary>The scalar reference of <see cref="VarianceColumns"/> (columns from <paramref name="from"/>).</summary>
    public static void VarianceColumnsScalar(ref float plane, nint planeStride, nint stride, int m, int n, ReadOnlySpan<float> edgeTaps, int edges,
        int group, Span<float> dest, int destStride, int rows, int width, int from = 0)
    {
        for (int k = 0; k < rows; k++)
            for (int x = from; x < width; x++)
            {
                int g = x / group;
                float left = 0, right = 0;
                for (int a = 0; a < m; a++)
                {
                    int l = ((k * edges + g) * m + a) * n, r = l + m * n;
                    for (int j = 0; j < n; j++)
                    {
                        float v = Unsafe.Add(ref plane, a * planeStride + (k + j) * stride + x);
                        left += edgeTaps[l + j] * v;
                        right += edgeTaps[r + j] * v;
                    }
                }
                float t = (x % group + 0.5f) / group;
                dest[k * destStride + x] = (1 - t) * left + t * right;
            }
    }

    /// <summary>The last step of a row: with s = sa + xn[x] (sb + sc xn[x]) (the kernel's sum as applied),
    /// <c>image[x] = sum[x] / s</c> and <c>variance[x] = varianceSum[x] / (s s)</c>, and <c>mask[x] |= noData</c> where
    /// either is not finite.</summary>
    public static void Normalise(ReadOnlySpan<float> sum, ReadOnlySpan<float> varianceSum, ReadOnlySpan<float> xn, float sa, float sb, float sc,
        Span<float> image, Span<float> variance, Span<int> mask, int noData)
    {
        int n = image.Length;
        if (sum.Length < n || varianceSum.Length < n || xn.Length < n || variance.Length < n || mask.Length < n)
            throw new ArgumentException("every span must hold the row");
        int done = 0;
        if (Width512.IsAccelerated) done = (int)NormaliseVectors<Width512, Vector512<float>>(sum, varianceSum, xn, sa, sb, sc, image, variance, mask, noData);
        else if (Width256.IsAccelerated) done = (int)NormaliseVectors<Width256, Vector256<float>>(sum, varianceSum, xn, sa, sb, sc, image, variance, mask, noData);
        else if (Width128.IsAccelerated) done = (int)NormaliseVectors<Width128, Vector128<float>>(sum, varianceSum, xn, sa, sb, sc, image, variance, mask, noData);
        NormaliseScalar(sum, varianceSum, xn, sa, sb, sc, image, variance, mask, noData, done);
    }

    /// <summary>The scalar reference of <see cref="Normalise"/>.</summary>
    public static void NormaliseScalar(ReadOnlySpan<float> sum, ReadOnlySpan<float> varianceSum, ReadOnlySpan<float> xn, float sa, float sb, float sc,
        Span<float> image, Span<float> variance, Span<int> mask, int noData, int from = 0)
    {
        for (int x = from; x < image.Length; x++)
        {
            float s = sa + xn[x] * (sb + sc * xn[x]);
            float v = sum[x] / s, w = varianceSum[x] / (s * s);
            image[x] = v;
            variance[x] = w;
            if (!float.IsFinite(v) || !float.IsFinite(w)) mask[x] |= noData;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint NormaliseVectors<TW, TV>(ReadOnlySpan<float> sum, ReadOnlySpan<float> varianceSum, ReadOnlySpan<float> xn, float sa, float sb, float sc,
        Span<float> image, Span<float> variance, Span<int> mask, int noData)
        where TW : struct, ISimdWidth<TV> where TV : struct
    {
        nuint n = (uint)image.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        ref float sr = ref MemoryMarshal.GetReference(sum);
        ref float vr = ref MemoryMarshal.GetReference(varianceSum);
        ref float xr = ref MemoryMarshal.GetReference(xn);
        ref float ir = ref MemoryMarshal.GetReference(image);
        ref float wr = ref MemoryMarshal.GetReference(variance);
        ref int mr = ref MemoryMarshal.GetReference(mask);
        TV a = TW.Splat(sa), b = TW.Splat(sb), c = TW.Splat(sc), bits = TW.SplatBits(noData);
        for (; i <= n - step; i += step)
        {
            TV xv = TW.Load(ref xr, i);
            TV s = TW.Add(a, TW.Multiply(xv, TW.Add(b, TW.Multiply(c, xv))));
            TV v = TW.Divide(TW.Load(ref sr, i), s), w = TW.Divide(TW.Load(ref vr, i), TW.Multiply(s, s));
            TW.Store(v, ref ir, i);
            TW.Store(w, ref wr, i);
            TV bad = TW.AndNot(bits, TW.And(TW.IsFinite(v), TW.IsFinite(w)));
            TW.StoreBits(TW.Or(TW.LoadBits(ref mr, i), bad), ref mr, i);
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint QuarticVectors<TW, TV>(ReadOnlySpan<float> coefficients, float x, Span<float> d)
        where TW : struct, ISimdWidth<TV> where TV : struct
    {
        nuint n = (uint)d.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        ref float cr = ref MemoryMarshal.GetReference(coefficients);
        ref float dr = ref MemoryMarshal.GetReference(d);
        TV xv = TW.Splat(x);
        for (; i <= n - step; i += step)
        {
            TV v = TW.Load(ref cr, 4 * n + i);
            v = TW.Add(TW.Multiply(v, xv), TW.Load(ref cr, 3 * n + i));
            v = TW.Add(TW.Multiply(v, xv), TW.Load(ref cr, 2 * n + i));
            v = TW.Add(TW.Multiply(v, xv), TW.Load(ref cr, n + i));
            v = TW.Add(TW.Multiply(v, xv), TW.Load(ref cr, i));
            TW.Store(v, ref dr, i);
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint WeightedColumnVectors<TW, TV>(ref float plane, nint stride, ReadOnlySpan<float> taps, ReadOnlySpan<float> xn,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> dest, int destStride, int width)
        where TW : struct, ISimdWidth<TV> where TV : struct
    {
        nuint step = (uint)TW.Count, x = 0, w = (uint)width;
        if (w < step) return 0;
        ref float t = ref MemoryMarshal.GetReference(taps);
        ref float xr = ref MemoryMarshal.GetReference(xn);
        ref float d = ref MemoryMarshal.GetReference(dest);
        int n = taps.Length;
        nuint ds = (uint)destStride;
        TV a0 = TW.Splat(a[0]), a1 = TW.Splat(a[1]), a2 = TW.Splat(a[2]), a3 = TW.Splat(a[3]);
        TV b0 = TW.Splat(b[0]), b1 = TW.Splat(b[1]), b2 = TW.Splat(b[2]), b3 = TW.Splat(b[3]);
        TV c0 = TW.Splat(c[0]), c1 = TW.Splat(c[1]), c2 = TW.Splat(c[2]), c3 = TW.Splat(c[3]);
        for (; x <= w - step; x += step)
        {
            // Input row i enters output row k with tap i - k.
            ref float row = ref Unsafe.Add(ref plane, (nint)x);
            TV r = TW.Load(ref row, 0);
            TV s0 = TW.Add(default, TW.Multiply(TW.Splat(t), r)), s1, s2, s3;
            row = ref Unsafe.Add(ref row, stride);
            r = TW.Load(ref row, 0);
            s0 = TW.Add(s0, TW.Multiply(TW.Splat(Unsafe.Add(ref t, 1)), r));
            s1 = TW.Add(default, TW.Multiply(TW.Splat(t), r));
            row = ref Unsafe.Add(ref row, stride);
            r = TW.Load(ref row, 0);
            s0 = TW.Add(s0, TW.Multiply(TW.Splat(Unsafe.Add(ref t, 2)), r));
            s1 = TW.Add(s1, TW.Multiply(TW.Splat(Unsafe.Add(ref t, 1)), r));
            s2 = TW.Add(default, TW.Multiply(TW.Splat(t), r));
            row = ref Unsafe.Add(ref row, stride);
            r = TW.Load(ref row, 0);
            s0 = TW.Add(s0, TW.Multiply(TW.Splat(Unsafe.Add(ref t, 3)), r));
            s1 = TW.Add(s1, TW.Multiply(TW.Splat(Unsafe.Add(ref t, 2)), r));
            s2 = TW.Add(s2, TW.Multiply(TW.Splat(Unsafe.Add(ref t, 1)), r));
            s3 = TW.Add(default, TW.Multiply(TW.Splat(t), r));
            for (int i = 4; i < n; i++)
            {
                row = ref Unsafe.Add(ref row, stride);
                r = TW.Load(ref row, 0);
                s0 = TW.Add(s0, TW.Multiply(TW.Splat(Unsafe.Add(ref t, i)), r));
                s1 = TW.Add(s1, TW.Multiply(TW.Splat(Unsafe.Add(ref t, i - 1)), r));
                s2 = TW.Add(s2, TW.Multiply(TW.Splat(Unsafe.Add(ref t, i - 2)), r));
                s3 = TW.Add(s3, TW.Multiply(TW.Splat(Unsafe.Add(ref t, i - 3)), r));
            }
            row = ref Unsafe.Add(ref row, stride);
            r = TW.Load(ref row, 0);
            s1 = TW.Add(s1, TW.Multiply(TW.Splat(Unsafe.Add(ref t, n - 1)), r));
            s2 = TW.Add(s2, TW.Multiply(TW.Splat(Unsafe.Add(ref t, n - 2)), r));
            s3 = TW.Add(s3, TW.Multiply(TW.Splat(Unsafe.Add(ref t, n - 3)), r));
            row = ref Unsafe.Add(ref row, stride);
            r = TW.Load(ref row, 0);
            s2 = TW.Add(s2, TW.Multiply(TW.Splat(Unsafe.Add(ref t, n - 1)), r));
            s3 = TW.Add(s3, TW.Multiply(TW.Splat(Unsafe.Add(ref t, n - 2)), r));
            row = ref Unsafe.Add(ref row, stride);
            r = TW.Load(ref row, 0);
            s3 = TW.Add(s3, TW.Multiply(TW.Splat(Unsafe.Add(ref t, n - 1)), r));

            TV xv = TW.Load(ref xr, x);
            TW.Store(TW.Add(TW.Load(ref d, x), TW.Multiply(TW.Add(a0, TW.Multiply(xv, TW.Add(b0, TW.Multiply(c0, xv)))), s0)), ref d, x);
            TW.Store(TW.Add(TW.Load(ref d, ds + x), TW.Multiply(TW.Add(a1, TW.Multiply(xv, TW.Add(b1, TW.Multiply(c1, xv)))), s1)), ref d, ds + x);
            TW.Store(TW.Add(TW.Load(ref d, 2 * ds + x), TW.Multiply(TW.Add(a2, TW.Multiply(xv, TW.Add(b2, TW.Multiply(c2, xv)))), s2)), ref d, 2 * ds + x);
            TW.Store(TW.Add(TW.Load(ref d, 3 * ds + x), TW.Multiply(TW.Add(a3, TW.Multiply(xv, TW.Add(b3, TW.Multiply(c3, xv)))), s3)), ref d, 3 * ds + x);
        }
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint VarianceColumnVectors<TW, TV>(ref float plane, nint planeStride, nint stride, int m, int n, ReadOnlySpan<float> edgeTaps,
        int edges, int group, Span<float> dest, int destStride, int width)
        where TW : struct, ISimdWidth<TV> where TV : struct
    {
        nuint step = (uint)TW.Count, x = 0, w = (uint)width;
        if (w < step) return 0;
        ref float e = ref MemoryMarshal.GetReference(edgeTaps);
        ref float d = ref MemoryMarshal.GetReference(dest);
        nuint ds = (uint)destStride;
        int mn = m * n, rowTaps = edges * mn;
        TV one = TW.Splat(1f);
        // t = (x % group + 0.5) / group per column, as the scalar reference computes it.
        Span<float> tl = stackalloc float[group];
        for (int i = 0; i < group; i++) tl[i] = (i + 0.5f) / group;
        ref float tr = ref MemoryMarshal.GetReference(tl);
        for (; x <= w - step; x += step)
        {
            int g = (int)x / group;
            TV l0 = default, l1 = default, l2 = default, l3 = default, r0 = default, r1 = default, r2 = default, r3 = default;
            for (int a = 0; a < m; a++)
            {
                ref float row = ref Unsafe.Add(ref plane, a * planeStride + (nint)x);
                // Taps of output row k at edge g: e + k * rowTaps + g * mn + a * n; at edge g + 1: + mn.
                ref float e0 = ref Unsafe.Add(ref e, g * mn + a * n);
                ref float e1 = ref Unsafe.Add(ref e0, rowTaps);
                ref float e2 = ref Unsafe.Add(ref e1, rowTaps);
                ref float e3 = ref Unsafe.Add(ref e2, rowTaps);
                TV v = TW.Load(ref row, 0);
                l0 = TW.Add(l0, TW.Multiply(TW.Splat(e0), v));
                r0 = TW.Add(r0, TW.Multiply(TW.Splat(Unsafe.Add(ref e0, mn)), v));
                row = ref Unsafe.Add(ref row, stride);
                v = TW.Load(ref row, 0);
                l0 = TW.Add(l0, TW.Multiply(TW.Splat(Unsafe.Add(ref e0, 1)), v));
                r0 = TW.Add(r0, TW.Multiply(TW.Splat(Unsafe.Add(ref e0, mn + 1)), v));
                l1 = TW.Add(l1, TW.Multiply(TW.Splat(e1), v));
                r1 = TW.Add(r1, TW.Multiply(TW.Splat(Unsafe.Add(ref e1, mn)), v));
                row = ref Unsafe.Add(ref row, stride);
                v = TW.Load(ref row, 0);
                l0 = TW.Add(l0, TW.Multiply(TW.Splat(Unsafe.Add(ref e0, 2)), v));
                r0 = TW.Add(r0, TW.Multiply(TW.Splat(Unsafe.Add(ref e0, mn + 2)), v));
                l1 = TW.Add(l1, TW.Multiply(TW.Splat(Unsafe.Add(ref e1, 1)), v));
                r1 = TW.Add(r1, TW.Multiply(TW.Splat(Unsafe.Add(ref e1, mn + 1)), v));
                l2 = TW.Add(l2, TW.Multiply(TW.Splat(e2), v));
                r2 = TW.Add(r2, TW.Multiply(TW.Splat(Unsafe.Add(ref e2, mn)), v));
                for (int i = 3; i < n; i++)
                {
                    row = ref Unsafe.Add(ref row, stride);
                    v = TW.Load(ref row, 0);
                    l0 = TW.Add(l0, TW.Multiply(TW.Splat(Unsafe.Add(ref e0, i)), v));
                    r0 = TW.Add(r0, TW.Multiply(TW.Splat(Unsafe.Add(ref e0, mn + i)), v));
                    l1 = TW.Add(l1, TW.Multiply(TW.Splat(Unsafe.Add(ref e1, i - 1)), v));
                    r1 = TW.Add(r1, TW.Multiply(TW.Splat(Unsafe.Add(ref e1, mn + i - 1)), v));
                    l2 = TW.Add(l2, TW.Multiply(TW.Splat(Unsafe.Add(ref e2, i - 2)), v));
                    r2 = TW.Add(r2, TW.Multiply(TW.Splat(Unsafe.Add(ref e2, mn + i - 2)), v));
                    l3 = TW.Add(l3, TW.Multiply(TW.Splat(Unsafe.Add(ref e3, i - 3)), v));
                    r3 = TW.Add(r3, TW.Multiply(TW.Splat(Unsafe.Add(ref e3, mn + i - 3)), v));
                }
                row = ref Unsafe.Add(ref row, stride);
                v = TW.Load(ref row, 0);
                l1 = TW.Add(l1, TW.Multiply(TW.Splat(Unsafe.Add(ref e1, n - 1)), v));
                r1 = TW.Add(r1, TW.Multiply(TW.Splat(Unsafe.Add(ref e1, mn + n - 1)), v));
                l2 = TW.Add(l2, TW.Multiply(TW.Splat(Unsafe.Add(ref e2, n - 2)), v));
                r2 = TW.Add(r2, TW.Multiply(TW.Splat(Unsafe.Add(ref e2, mn + n - 2)), v));
                l3 = TW.Add(l3, TW.Multiply(TW.Splat(Unsafe.Add(ref e3, n - 3)), v));
                r3 = TW.Add(r3, TW.Multiply(TW.Splat(Unsafe.Add(ref e3, mn + n - 3)), v));
                row = ref Unsafe.Add(ref row, stride);
                v = TW.Load(ref row, 0);
                l2 = TW.Add(l2, TW.Multiply(TW.Splat(Unsafe.Add(ref e2, n - 1)), v));
                r2 = TW.Add(r2, TW.Multiply(TW.Splat(Unsafe.Add(ref e2, mn + n - 1)), v));
                l3 = TW.Add(l3, TW.Multiply(TW.Splat(Unsafe.Add(ref e3, n - 2)), v));
                r3 = TW.Add(r3, TW.Multiply(TW.Splat(Unsafe.Add(ref e3, mn + n - 2)), v));
                row = ref Unsafe.Add(ref row, stride);
                v = TW.Load(ref row, 0);
                l3 = TW.Add(l3, TW.Multiply(TW.Splat(Unsafe.Add(ref e3, n - 1)), v));
                r3 = TW.Add(r3, TW.Multiply(TW.Splat(Unsafe.Add(ref e3, mn + n - 1)), v));
            }
            TV tv = TW.Load(ref tr, (uint)((int)x % group)), u = TW.Subtract(one, tv);
            TW.Store(TW.Add(TW.Multiply(u, l0), TW.Multiply(tv, r0)), ref d, x);
            TW.Store(TW.Add(TW.Multiply(u, l1), TW.Multiply(tv, r1)), ref d, ds + x);
            TW.Store(TW.Add(TW.Multiply(u, l2), TW.Multiply(tv, r2)), ref d, 2 * ds + x);
            TW.Store(TW.Add(TW.Multiply(u, l3), TW.Multiply(tv, r3)), ref d, 3 * ds + x);
        }
        return x;
    }
}
