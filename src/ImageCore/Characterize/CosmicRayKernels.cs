using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ImageCore.Simd;

namespace ImageCore.Characterize;

/// <summary>
/// The row kernels of L.A.Cosmic (<see cref="CosmicRays"/>): the 2x-subsampled Laplacian in closed form, separable
/// median filters, the candidate test and the mask dilation. Each has a scalar reference (<c>*Scalar</c>) that is
/// also its tail; the vector paths are one code generic over the width and equal the reference bit for bit (no fused
/// multiply-add; min and max with IEEE semantics on every path).
/// </summary>
internal static class CosmicRayKernels
{
    // ---- Laplacian ------------------------------------------------------------------------------------------------

    /// <summary>
    /// L.A.Cosmic's significance image for one row: the image subsampled 2x, convolved with the Laplacian
    /// (4c minus the four neighbours), clipped at 0 and block-averaged back equals, on the original pixels,
    /// <c>L = 1/4 * sum over h in {left, right}, v in {up, down} of max(0, 2c - h - v)</c>; the result is
    /// <c>s = L / (2 noise) = sum * 0.125 / noise</c>.
    /// </summary>
    /// <param name="up">The row above, n pixels.</param>
    /// <param name="mid">The row itself with one extra pixel each side, n + 2 pixels.</param>
    /// <param name="down">The row below, n pixels.</param>
    /// <param name="noise">The noise (sigma) of each pixel, n pixels.</param>
    /// <param name="s">Output, n pixels.</param>
    public static void Laplacian(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> down, ReadOnlySpan<float> noise, Span<float> s)
    {
        Debug.Assert(up.Length == s.Length && down.Length == s.Length && noise.Length == s.Length && mid.Length == s.Length + 2);
        nuint i = 0;
        if (Width512.IsAccelerated) i = Laplacian<Width512, Vector512<float>, MinMax512>(up, mid, down, noise, s);
        else if (Width256.IsAccelerated) i = Laplacian<Width256, Vector256<float>, MinMax256>(up, mid, down, noise, s);
        else if (Width128.IsAccelerated) i = Laplacian<Width128, Vector128<float>, MinMax128>(up, mid, down, noise, s);
        int k = (int)i;
        LaplacianScalar(up[k..], mid[k..], down[k..], noise[k..], s[k..]);
    }

    /// <summary>The scalar reference of <see cref="Laplacian"/>, and its tail.</summary>
    internal static void LaplacianScalar(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> down, ReadOnlySpan<float> noise, Span<float> s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            float c2 = mid[i + 1] + mid[i + 1], l = mid[i], r = mid[i + 2], u = up[i], d = down[i];
            float sum = MathF.Max(0f, c2 - l - u) + MathF.Max(0f, c2 - r - u) + MathF.Max(0f, c2 - l - d) + MathF.Max(0f, c2 - r - d);
            s[i] = sum * 0.125f / noise[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static nuint Laplacian<TW, TV, TM>(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> down, ReadOnlySpan<float> noise, Span<float> s)
        where TW : struct, ISimdWidth<TV> where TV : struct where TM : struct, IMinMax<TV>
    {
        ref float u = ref MemoryMarshal.GetReference(up);
        ref float m = ref MemoryMarshal.GetReference(mid);
        ref float d = ref MemoryMarshal.GetReference(down);
        ref float nz = ref MemoryMarshal.GetReference(noise);
        ref float o = ref MemoryMarshal.GetReference(s);
        nuint n = (uint)s.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        TV zero = TW.Splat(0f), eighth = TW.Splat(0.125f);
        for (; i <= n - step; i += step)
        {
            TV c = TW.Load(ref m, i + 1), l = TW.Load(ref m, i), r = TW.Load(ref m, i + 2), uu = TW.Load(ref u, i), dd = TW.Load(ref d, i);
            TV c2 = TW.Add(c, c);
            TV sum = TW.Add(TW.Add(TW.Add(
                TM.Max(zero, TW.Subtract(TW.Subtract(c2, l), uu)),
                TM.Max(zero, TW.Subtract(TW.Subtract(c2, r), uu))),
                TM.Max(zero, TW.Subtract(TW.Subtract(c2, l), dd))),
                TM.Max(zero, TW.Subtract(TW.Subtract(c2, r), dd)));
            TW.Store(TW.Divide(TW.Multiply(sum, eighth), TW.Load(ref nz, i)), ref o, i);
        }
        return i;
    }

    // ---- Separable medians ----------------------------------------------------------------------------------------

    /// <summary>Median along a row: <c>output[i] = median(input[i .. i + width - 1])</c>.</summary>
    /// <param name="input">n + width - 1 pixels.</param>
    /// <param name="width">3, 5, 7 or 9.</param>
    /// <param name="output">n pixels; must not overlap the input.</param>
    public static void RowMedian(ReadOnlySpan<float> input, int width, Span<float> output)
    {
        Debug.Assert(width is 3 or 5 or 7 or 9 && input.Length == output.Length + width - 1);
        nuint i = 0;
        if (Width512.IsAccelerated) i = RowMedian<Width512, Vector512<float>, MinMax512>(input, width, output);
        else if (Width256.IsAccelerated) i = RowMedian<Width256, Vector256<float>, MinMax256>(input, width, output);
        else if (Width128.IsAccelerated) i = RowMedian<Width128, Vector128<float>, MinMax128>(input, width, output);
        RowMedianScalar(input[(int)i..], width, output[(int)i..]);
    }

    /// <summary>The scalar reference of <see cref="RowMedian"/>, and its tail.</summary>
    internal static void RowMedianScalar(ReadOnlySpan<float> input, int width, Span<float> output)
    {
        for (int i = 0; i < output.Length; i++)
            output[i] = Median<ScalarMinMax, float>(width, input[i], input[i + 1], input[i + 2],
                width > 3 ? input[i + 3] : 0f, width > 3 ? input[i + 4] : 0f, width > 5 ? input[i + 5] : 0f,
                width > 5 ? input[i + 6] : 0f, width > 7 ? input[i + 7] : 0f, width > 7 ? input[i + 8] : 0f);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static nuint RowMedian<TW, TV, TM>(ReadOnlySpan<float> input, int width, Span<float> output)
        where TW : struct, ISimdWidth<TV> where TV : struct where TM : struct, IMinMax<TV>
    {
        ref float a = ref MemoryMarshal.GetReference(input);
        ref float o = ref MemoryMarshal.GetReference(output);
        nuint n = (uint)output.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        switch (width)
        {
            case 3:
                for (; i <= n - step; i += step)
                    TW.Store(MedianNetworks.Median3<TM, TV>(TW.Load(ref a, i), TW.Load(ref a, i + 1), TW.Load(ref a, i + 2)), ref o, i);
                break;
            case 5:
                for (; i <= n - step; i += step)
                    TW.Store(MedianNetworks.Median5<TM, TV>(TW.Load(ref a, i), TW.Load(ref a, i + 1), TW.Load(ref a, i + 2),
                        TW.Load(ref a, i + 3), TW.Load(ref a, i + 4)), ref o, i);
                break;
            case 7:
                for (; i <= n - step; i += step)
                    TW.Store(MedianNetworks.Median7<TM, TV>(TW.Load(ref a, i), TW.Load(ref a, i + 1), TW.Load(ref a, i + 2),
                        TW.Load(ref a, i + 3), TW.Load(ref a, i + 4), TW.Load(ref a, i + 5), TW.Load(ref a, i + 6)), ref o, i);
                break;
            default:
                for (; i <= n - step; i += step)
                    TW.Store(MedianNetworks.Median9<TM, TV>(TW.Load(ref a, i), TW.Load(ref a, i + 1), TW.Load(ref a, i + 2),
                        TW.Load(ref a, i + 3), TW.Load(ref a, i + 4), TW.Load(ref a, i + 5), TW.Load(ref a, i + 6),
                        TW.Load(ref a, i + 7), TW.Load(ref a, i + 8)), ref o, i);
                break;
        }
        return i;
    }

    /// <summary>Median down the columns: <c>output[i] = median(input[i + j * stride])</c> for j = 0 .. width - 1.</summary>
    /// <param name="input">Starts at the first row; holds (width - 1) * stride + n pixels at least.</param>
    /// <param name="stride">Elements from one row start to the next.</param>
    /// <param name="width">3, 5, 7 or 9.</param>
    /// <param name="output">n pixels; must not overlap the input.</param>
    public static void ColumnMedian(ReadOnlySpan<float> input, int stride, int width, Span<float> output)
    {
        Debug.Assert(width is 3 or 5 or 7 or 9 && input.Length >= (width - 1) * stride + output.Length);
        nuint i = 0;
        if (Width512.IsAccelerated) i = ColumnMedian<Width512, Vector512<float>, MinMax512>(input, stride, width, output);
        else if (Width256.IsAccelerated) i = ColumnMedian<Width256, Vector256<float>, MinMax256>(input, stride, width, output);
        else if (Width128.IsAccelerated) i = ColumnMedian<Width128, Vector128<float>, MinMax128>(input, stride, width, output);
        ColumnMedianScalar(input[(int)i..], stride, width, output[(int)i..]);
    }

    /// <summary>The scalar reference of <see cref="ColumnMedian"/>, and its tail.</summary>
    internal static void ColumnMedianScalar(ReadOnlySpan<float> input, int stride, int width, Span<float> output)
    {
        Span<float> v = stackalloc float[9];
        for (int i = 0; i < output.Length; i++)
        {
            v.Clear();
            for (int j = 0; j < width; j++) v[j] = input[i + j * stride];
            output[i] = Median<ScalarMinMax, float>(width, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static nuint ColumnMedian<TW, TV, TM>(ReadOnlySpan<float> input, int stride, int width, Span<float> output)
        where TW : struct, ISimdWidth<TV> where TV : struct where TM : struct, IMinMax<TV>
    {
        ref float a = ref MemoryMarshal.GetReference(input);
        ref float o = ref MemoryMarshal.GetReference(output);
        nuint n = (uint)output.Length, step = (uint)TW.Count, i = 0, st = (uint)stride;
        if (n < step) return 0;
        switch (width)
        {
            case 3:
                for (; i <= n - step; i += step)
                    TW.Store(MedianNetworks.Median3<TM, TV>(TW.Load(ref a, i), TW.Load(ref a, i + st), TW.Load(ref a, i + 2 * st)), ref o, i);
                break;
            case 5:
                for (; i <= n - step; i += step)
                    TW.Store(MedianNetworks.Median5<TM, TV>(TW.Load(ref a, i), TW.Load(ref a, i + st), TW.Load(ref a, i + 2 * st),
                        TW.Load(ref a, i + 3 * st), TW.Load(ref a, i + 4 * st)), ref o, i);
                break;
            case 7:
                for (; i <= n - step; i += step)
                    TW.Store(MedianNetworks.Median7<TM, TV>(TW.Load(ref a, i), TW.Load(ref a, i + st), TW.Load(ref a, i + 2 * st),
                        TW.Load(ref a, i + 3 * st), TW.Load(ref a, i + 4 * st), TW.Load(ref a, i + 5 * st), TW.Load(ref a, i + 6 * st)), ref o, i);
                break;
            default:
                for (; i <= n - step; i += step)
                    TW.Store(MedianNetworks.Median9<TM, TV>(TW.Load(ref a, i), TW.Load(ref a, i + st), TW.Load(ref a, i + 2 * st),
                        TW.Load(ref a, i + 3 * st), TW.Load(ref a, i + 4 * st), TW.Load(ref a, i + 5 * st), TW.Load(ref a, i + 6 * st),
                        TW.Load(ref a, i + 7 * st), TW.Load(ref a, i + 8 * st)), ref o, i);
                break;
        }
        return i;
    }

    /// <summary>The median of the first <paramref name="width"/> (3, 5, 7 or 9) arguments.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Median<TM, T>(int width, T a, T b, T c, T d, T e, T f, T g, T h, T i) where TM : struct, IMinMax<T> => width switch
    {
        3 => MedianNetworks.Median3<TM, T>(a, b, c),
        5 => MedianNetworks.Median5<TM, T>(a, b, c, d, e),
        7 => MedianNetworks.Median7<TM, T>(a, b, c, d, e, f, g),
        _ => MedianNetworks.Median9<TM, T>(a, b, c, d, e, f, g, h, i),
    };

    // ---- Candidate test -------------------------------------------------------------------------------------------

    /// <summary>
    /// The candidate test: L.A.Cosmic's <c>sp &gt; sigclip and sp &gt; objlim * F</c> with the fine-structure
    /// contrast <c>F = max((m5 - m9) / noise, 0.01)</c>, and the seed's excess over its median,
    /// <c>c - m5 &gt; seed * noise</c>; 1 where all pass, else 0 (NaN fails).
    /// </summary>
    /// <param name="c">The image, n pixels.</param>
    /// <param name="sp">Laplacian significance less its median, n pixels.</param>
    /// <param name="m5">The 5 x 5 separable median of the image.</param>
    /// <param name="m9">The 9 x 9 separable median of <paramref name="m5"/>.</param>
    /// <param name="noise">Noise (sigma).</param>
    /// <param name="sigclip">The detection limit.</param>
    /// <param name="objlim">The contrast limit.</param>
    /// <param name="seed">The excess a candidate needs over <paramref name="m5"/>, in noise units (-infinity: none).</param>
    /// <param name="cand">Output, n pixels of 1 or 0.</param>
    public static void Candidates(ReadOnlySpan<float> c, ReadOnlySpan<float> sp, ReadOnlySpan<float> m5, ReadOnlySpan<float> m9, ReadOnlySpan<float> noise, float sigclip, float objlim, float seed, Span<float> cand)
    {
        Debug.Assert(c.Length == cand.Length && sp.Length == cand.Length && m5.Length == cand.Length && m9.Length == cand.Length && noise.Length == cand.Length);
        nuint i = 0;
        if (Width512.IsAccelerated) i = Candidates<Width512, Vector512<float>, MinMax512>(c, sp, m5, m9, noise, sigclip, objlim, seed, cand);
        else if (Width256.IsAccelerated) i = Candidates<Width256, Vector256<float>, MinMax256>(c, sp, m5, m9, noise, sigclip, objlim, seed, cand);
        else if (Width128.IsAccelerated) i = Candidates<Width128, Vector128<float>, MinMax128>(c, sp, m5, m9, noise, sigclip, objlim, seed, cand);
        int k = (int)i;
        CandidatesScalar(c[k..], sp[k..], m5[k..], m9[k..], noise[k..], sigclip, objlim, seed, cand[k..]);
    }

    /// <summary>The scalar reference of <see cref="Candidates"/>, and its tail.</summary>
    internal static void CandidatesScalar(ReadOnlySpan<float> c, ReadOnlySpan<float> sp, ReadOnlySpan<float> m5, ReadOnlySpan<float> m9, ReadOnlySpan<float> noise, float sigclip, float objlim, float seed, Span<float> cand)
    {
        for (int i = 0; i < cand.Length; i++)
        {
            float f = MathF.Max((m5[i] - m9[i]) / noise[i], 0.01f);
            cand[i] = sp[i] > sigclip && sp[i] > objlim * f && c[i] - m5[i] > seed * noise[i] ? 1f : 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static nuint Candidates<TW, TV, TM>(ReadOnlySpan<float> c, ReadOnlySpan<float> sp, ReadOnlySpan<float> m5, ReadOnlySpan<float> m9, ReadOnlySpan<float> noise, float sigclip, float objlim, float seed, Span<float> cand)
        where TW : struct, ISimdWidth<TV> where TV : struct where TM : struct, IMinMax<TV>
    {
        ref float cc = ref MemoryMarshal.GetReference(c);
        ref float s = ref MemoryMarshal.GetReference(sp);
        ref float a = ref MemoryMarshal.GetReference(m5);
        ref float b = ref MemoryMarshal.GetReference(m9);
        ref float nz = ref MemoryMarshal.GetReference(noise);
        ref float o = ref MemoryMarshal.GetReference(cand);
        nuint n = (uint)cand.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        TV floor = TW.Splat(0.01f), clip = TW.Splat(sigclip), lim = TW.Splat(objlim), sd = TW.Splat(seed), one = TW.Splat(1f);
        for (; i <= n - step; i += step)
        {
            TV med = TW.Load(ref a, i), nn = TW.Load(ref nz, i);
            TV f = TM.Max(TW.Divide(TW.Subtract(med, TW.Load(ref b, i)), nn), floor);
            TV v = TW.Load(ref s, i);
            TV excess = TW.GreaterThan(TW.Subtract(TW.Load(ref cc, i), med), TW.Multiply(sd, nn));
            TW.Store(TW.And(TW.And(TW.And(TW.GreaterThan(v, clip), TW.GreaterThan(v, TW.Multiply(lim, f))), excess), one), ref o, i);
        }
        return i;
    }

    // ---- Dilation -------------------------------------------------------------------------------------------------

    /// <summary>The largest of three neighbours along a row: <c>output[i] = max(input[i], input[i+1], input[i+2])</c>.</summary>
    /// <param name="input">n + 2 pixels.</param>
    /// <param name="output">n pixels; must not overlap the input.</param>
    public static void RowMax3(ReadOnlySpan<float> input, Span<float> output)
    {
        Debug.Assert(input.Length == output.Length + 2);
        nuint i = 0;
        if (Width512.IsAccelerated) i = RowMax3<Width512, Vector512<float>, MinMax512>(input, output);
        else if (Width256.IsAccelerated) i = RowMax3<Width256, Vector256<float>, MinMax256>(input, output);
        else if (Width128.IsAccelerated) i = RowMax3<Width128, Vector128<float>, MinMax128>(input, output);
        RowMax3Scalar(input[(int)i..], output[(int)i..]);
    }

    /// <summary>The scalar reference of <see cref="RowMax3"/>, and its tail.</summary>
    internal static void RowMax3Scalar(ReadOnlySpan<float> input, Span<float> output)
    {
        for (int i = 0; i < output.Length; i++) output[i] = MathF.Max(MathF.Max(input[i], input[i + 1]), input[i + 2]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static nuint RowMax3<TW, TV, TM>(ReadOnlySpan<float> input, Span<float> output)
        where TW : struct, ISimdWidth<TV> where TV : struct where TM : struct, IMinMax<TV>
    {
        ref float a = ref MemoryMarshal.GetReference(input);
        ref float o = ref MemoryMarshal.GetReference(output);
        nuint n = (uint)output.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        for (; i <= n - step; i += step)
            TW.Store(TM.Max(TM.Max(TW.Load(ref a, i), TW.Load(ref a, i + 1)), TW.Load(ref a, i + 2)), ref o, i);
        return i;
    }

    /// <summary>The column step of a 3 x 3 dilation, gated: <c>output[i] = 1</c> where
    /// <c>max(r0[i], r1[i], r2[i]) &gt; 0</c> and <c>sp[i] &gt; threshold</c>, else 0.</summary>
    /// <param name="r0">Row above (row maxima of the mask), n pixels.</param>
    /// <param name="r1">The row itself.</param>
    /// <param name="r2">The row below.</param>
    /// <param name="sp">Laplacian significance less its median.</param>
    /// <param name="threshold">The significance a grown pixel needs.</param>
    /// <param name="output">n pixels of 1 or 0.</param>
    public static void ColumnMax3Gate(ReadOnlySpan<float> r0, ReadOnlySpan<float> r1, ReadOnlySpan<float> r2, ReadOnlySpan<float> sp, float threshold, Span<float> output)
    {
        Debug.Assert(r0.Length == output.Length && r1.Length == output.Length && r2.Length == output.Length && sp.Length == output.Length);
        nuint i = 0;
        if (Width512.IsAccelerated) i = ColumnMax3Gate<Width512, Vector512<float>, MinMax512>(r0, r1, r2, sp, threshold, output);
        else if (Width256.IsAccelerated) i = ColumnMax3Gate<Width256, Vector256<float>, MinMax256>(r0, r1, r2, sp, threshold, output);
        else if (Width128.IsAccelerated) i = ColumnMax3Gate<Width128, Vector128<float>, MinMax128>(r0, r1, r2, sp, threshold, output);
        int k = (int)i;
        ColumnMax3GateScalar(r0[k..], r1[k..], r2[k..], sp[k..], threshold, output[k..]);
    }

    /// <summary>The scalar reference of <see cref="ColumnMax3Gate"/>, and its tail.</summary>
    internal static void ColumnMax3GateScalar(ReadOnlySpan<float> r0, ReadOnlySpan<float> r1, ReadOnlySpan<float> r2, ReadOnlySpan<float> sp, float threshold, Span<float> output)
    {
        for (int i = 0; i < output.Length; i++)
            output[i] = MathF.Max(MathF.Max(r0[i], r1[i]), r2[i]) > 0f && sp[i] > threshold ? 1f : 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static nuint ColumnMax3Gate<TW, TV, TM>(ReadOnlySpan<float> r0, ReadOnlySpan<float> r1, ReadOnlySpan<float> r2, ReadOnlySpan<float> sp, float threshold, Span<float> output)
        where TW : struct, ISimdWidth<TV> where TV : struct where TM : struct, IMinMax<TV>
    {
        ref float a = ref MemoryMarshal.GetReference(r0);
        ref float b = ref MemoryMarshal.GetReference(r1);
        ref float c = ref MemoryMarshal.GetReference(r2);
        ref float s = ref MemoryMarshal.GetReference(sp);
        ref float o = ref MemoryMarshal.GetReference(output);
        nuint n = (uint)output.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        TV zero = TW.Splat(0f), thr = TW.Splat(threshold), one = TW.Splat(1f);
        for (; i <= n - step; i += step)
        {
            TV m = TM.Max(TM.Max(TW.Load(ref a, i), TW.Load(ref b, i)), TW.Load(ref c, i));
            TW.Store(TW.And(TW.And(TW.GreaterThan(m, zero), TW.GreaterThan(TW.Load(ref s, i), thr)), one), ref o, i);
        }
        return i;
    }

    // ---- Noise ----------------------------------------------------------------------------------------------------

    /// <summary>In place: <c>v = sqrt(max(v, 1e-5))</c>, the noise from a (median-filtered) variance.</summary>
    public static void NoiseFromVariance(Span<float> values)
    {
        nuint i = 0;
        if (Width512.IsAccelerated) i = NoiseFromVariance<Width512, Vector512<float>, MinMax512>(values);
        else if (Width256.IsAccelerated) i = NoiseFromVariance<Width256, Vector256<float>, MinMax256>(values);
        else if (Width128.IsAccelerated) i = NoiseFromVariance<Width128, Vector128<float>, MinMax128>(values);
        NoiseFromVarianceScalar(values[(int)i..]);
    }

    /// <summary>The scalar reference of <see cref="NoiseFromVariance"/>, and its tail.</summary>
    internal static void NoiseFromVarianceScalar(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = MathF.Sqrt(MathF.Max(values[i], 1e-5f));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static nuint NoiseFromVariance<TW, TV, TM>(Span<float> values)
        where TW : struct, ISimdWidth<TV> where TV : struct where TM : struct, IMinMax<TV>
    {
        ref float a = ref MemoryMarshal.GetReference(values);
        nuint n = (uint)values.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        TV floor = TW.Splat(1e-5f);
        for (; i <= n - step; i += step) TW.Store(TW.Sqrt(TM.Max(TW.Load(ref a, i), floor)), ref a, i);
        return i;
    }
}
