using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ImageCore.Characterize;

/// <summary>Minimum and maximum of one lane type with IEEE 754-2019 semantics (NaN wins, -0 &lt; +0), so that the
/// scalar and every vector width agree bit for bit.</summary>
/// <typeparam name="T">float or a float vector.</typeparam>
internal interface IMinMax<T>
{
    /// <summary>The smaller of <paramref name="a"/> and <paramref name="b"/> per lane.</summary>
    static abstract T Min(T a, T b);

    /// <summary>The larger of <paramref name="a"/> and <paramref name="b"/> per lane.</summary>
    static abstract T Max(T a, T b);
}

/// <summary><see cref="MathF.Min"/> and <see cref="MathF.Max"/>: the reference lanes.</summary>
internal readonly struct ScalarMinMax : IMinMax<float>
{
    /// <inheritdoc/>
    public static float Min(float a, float b) => MathF.Min(a, b);

    /// <inheritdoc/>
    public static float Max(float a, float b) => MathF.Max(a, b);
}

/// <summary>128-bit lanes.</summary>
internal readonly struct MinMax128 : IMinMax<Vector128<float>>
{
    /// <inheritdoc/>
    public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);

    /// <inheritdoc/>
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
}

/// <summary>256-bit lanes.</summary>
internal readonly struct MinMax256 : IMinMax<Vector256<float>>
{
    /// <inheritdoc/>
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);

    /// <inheritdoc/>
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
}

/// <summary>512-bit lanes.</summary>
internal readonly struct MinMax512 : IMinMax<Vector512<float>>
{
    /// <inheritdoc/>
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);

    /// <inheritdoc/>
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
}

/// <summary>
/// Median-selection networks of 3, 5, 7 and 9 values built only from min and max, so one network serves the scalar
/// reference and every vector width. Each larger network drops one value that cannot be the median from each end
/// and hands the rest to the next smaller one: among n values (n odd) sorted in pairs, the smallest pair minimum is
/// below the median and the largest pair maximum above it, so removing both keeps the median in the middle.
/// For finite inputs the result is the exact median; a NaN input may or may not reach the output (the same way on
/// every width).
/// </summary>
internal static class MedianNetworks
{
    /// <summary>The median of three.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Median3<TM, T>(T a, T b, T c) where TM : struct, IMinMax<T> =>
        TM.Max(TM.Min(a, b), TM.Min(TM.Max(a, b), c));

    /// <summary>The median of five: pairs (a,b), (c,d); the larger pair minimum and the smaller pair maximum remain
    /// with e.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Median5<TM, T>(T a, T b, T c, T d, T e) where TM : struct, IMinMax<T>
    {
        T lo1 = TM.Min(a, b), hi1 = TM.Max(a, b), lo2 = TM.Min(c, d), hi2 = TM.Max(c, d);
        return Median3<TM, T>(TM.Max(lo1, lo2), TM.Min(hi1, hi2), e);
    }

    /// <summary>The median of seven: pairs (a,b), (c,d), (e,f) and g; the smallest pair minimum and the largest
    /// pair maximum go, the other five reach <see cref="Median5{TM, T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Median7<TM, T>(T a, T b, T c, T d, T e, T f, T g) where TM : struct, IMinMax<T>
    {
        T lo1 = TM.Min(a, b), hi1 = TM.Max(a, b), lo2 = TM.Min(c, d), hi2 = TM.Max(c, d), lo3 = TM.Min(e, f), hi3 = TM.Max(e, f);
        // minima: keep the two larger of lo1, lo2, lo3
        T m12 = TM.Min(lo1, lo2), x12 = TM.Max(lo1, lo2);
        T keepLo = TM.Max(m12, lo3);
        // maxima: keep the two smaller of hi1, hi2, hi3
        T n12 = TM.Max(hi1, hi2), y12 = TM.Min(hi1, hi2);
        T keepHi = TM.Min(n12, hi3);
        return Median5<TM, T>(x12, keepLo, y12, keepHi, g);
    }

    /// <summary>The median of nine: pairs (a,b), (c,d), (e,f), (g,h) and i; the smallest pair minimum and the
    /// largest pair maximum go, the other seven reach <see cref="Median7{TM, T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Median9<TM, T>(T a, T b, T c, T d, T e, T f, T g, T h, T i) where TM : struct, IMinMax<T>
    {
        T lo1 = TM.Min(a, b), hi1 = TM.Max(a, b), lo2 = TM.Min(c, d), hi2 = TM.Max(c, d);
        T lo3 = TM.Min(e, f), hi3 = TM.Max(e, f), lo4 = TM.Min(g, h), hi4 = TM.Max(g, h);
        // minima: drop the smallest of four, keep three
        T m12 = TM.Min(lo1, lo2), x12 = TM.Max(lo1, lo2), m34 = TM.Min(lo3, lo4), x34 = TM.Max(lo3, lo4);
        T keepLo = TM.Max(m12, m34);
        // maxima: drop the largest of four, keep three
        T n12 = TM.Max(hi1, hi2), y12 = TM.Min(hi1, hi2), n34 = TM.Max(hi3, hi4), y34 = TM.Min(hi3, hi4);
        T keepHi = TM.Min(n12, n34);
        return Median7<TM, T>(x12, x34, keepLo, y12, y34, keepHi, i);
    }
}
