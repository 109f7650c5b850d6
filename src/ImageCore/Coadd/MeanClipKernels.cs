using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageCore.Coadd;

/// <summary>
/// The full-length passes of the warps' unit-weight clipped mean (<see cref="StackStatistics.MeanClip"/>), each a
/// hand-written <see cref="Vector256{T}"/> loop beside its bit-identical scalar reference (which it also runs where
/// Vector256 is not accelerated): <see cref="Brackets"/> (the ranks of three value brackets and the values inside them,
/// for the quartiles), <see cref="WindowSums"/> and <see cref="WindowSquares"/> (sum, count and sum of squared
/// deviations of the values inside a clip window, branch-free) and <see cref="CountInZones"/>. Sums keep eight double
/// lanes (the low and high halves of each eight floats), added as ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)),
/// then the tail in index order.
/// </summary>
internal static class MeanClipKernels
{
    /// <summary>A value bracket (<see cref="Lower"/>, <see cref="Upper"/>) and what <see cref="Brackets"/> counted of it.</summary>
    internal struct Bracket
    {
        /// <summary>The bracket's lower end (may be -inf).</summary>
        public float Lower;
        /// <summary>The bracket's upper end (may be +inf), &gt;= <see cref="Lower"/>.</summary>
        public float Upper;
        /// <summary>Values &lt; <see cref="Lower"/>.</summary>
        public long Below;
        /// <summary>Values &lt;= <see cref="Lower"/>.</summary>
        public long AtOrBelow;
        /// <summary>Values &lt;= <see cref="Upper"/>.</summary>
        public long AtOrBelowUpper;
        /// <summary>Values strictly inside (Lower, Upper), copied to the bracket's buffer in index order.</summary>
        public int Filled;
    }

    /// <summary>One pass over finite values for three brackets: each bracket's counts, and its inner values appended to
    /// its buffer in index order. False when a value is not finite or a buffer is too small (the counts are then
    /// meaningless).</summary>
    public static bool Brackets(ReadOnlySpan<float> x, Span<Bracket> b, Span<float> buf0, Span<float> buf1, Span<float> buf2)
    {
        if (!Vector256.IsHardwareAccelerated) return BracketsReference(x, b, buf0, buf1, buf2);
        Debug.Assert(b.Length == 3);
        ref float xr = ref MemoryMarshal.GetReference(x);
        nuint n = (uint)x.Length, i = 0;
        float l0 = b[0].Lower, h0 = b[0].Upper, l1 = b[1].Lower, h1 = b[1].Upper, l2 = b[2].Lower, h2 = b[2].Upper;
        long a0 = 0, e0 = 0, u0 = 0, a1 = 0, e1 = 0, u1 = 0, a2 = 0, e2 = 0, u2 = 0;
        int f0 = 0, f1 = 0, f2 = 0;
        if (n >= (uint)Vector256<float>.Count)
        {
            Vector256<float> vl0 = Vector256.Create(l0), vh0 = Vector256.Create(h0), vl1 = Vector256.Create(l1), vh1 = Vector256.Create(h1),
                             vl2 = Vector256.Create(l2), vh2 = Vector256.Create(h2), big = Vector256.Create(float.MaxValue);
            Vector256<int> ca0 = default, ce0 = default, cu0 = default, ca1 = default, ce1 = default, cu1 = default,
                           ca2 = default, ce2 = default, cu2 = default;
            var finite = Vector256<float>.AllBitsSet;
            for (; i <= n - (uint)Vector256<float>.Count; i += (uint)Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xr, i);
                finite &= Vector256.LessThanOrEqual(Vector256.Abs(v), big);
                ca0 -= Vector256.LessThan(v, vl0).AsInt32();
                var le0 = Vector256.LessThanOrEqual(v, vl0);
                ce0 -= le0.AsInt32();
                cu0 -= Vector256.LessThanOrEqual(v, vh0).AsInt32();
                ca1 -= Vector256.LessThan(v, vl1).AsInt32();
                var le1 = Vector256.LessThanOrEqual(v, vl1);
                ce1 -= le1.AsInt32();
                cu1 -= Vector256.LessThanOrEqual(v, vh1).AsInt32();
                ca2 -= Vector256.LessThan(v, vl2).AsInt32();
                var le2 = Vector256.LessThanOrEqual(v, vl2);
                ce2 -= le2.AsInt32();
                cu2 -= Vector256.LessThanOrEqual(v, vh2).AsInt32();
                var m0 = Vector256.AndNot(Vector256.LessThan(v, vh0), le0);   // lower < v < upper
                var m1 = Vector256.AndNot(Vector256.LessThan(v, vh1), le1);
                var m2 = Vector256.AndNot(Vector256.LessThan(v, vh2), le2);
                if ((m0 | m1 | m2).ExtractMostSignificantBits() != 0
                    && !(Append(m0.ExtractMostSignificantBits(), ref xr, i, buf0, ref f0)
                         && Append(m1.ExtractMostSignificantBits(), ref xr, i, buf1, ref f1)
                         && Append(m2.ExtractMostSignificantBits(), ref xr, i, buf2, ref f2)))
                    return false;
            }
            if (finite.ExtractMostSignificantBits() != 0xFFu) return false;
            (a0, e0, u0) = (Vector256.Sum(ca0), Vector256.Sum(ce0), Vector256.Sum(cu0));
            (a1, e1, u1) = (Vector256.Sum(ca1), Vector256.Sum(ce1), Vector256.Sum(cu1));
            (a2, e2, u2) = (Vector256.Sum(ca2), Vector256.Sum(ce2), Vector256.Sum(cu2));
        }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            if (!float.IsFinite(v)
                || !(Count(v, l0, h0, ref a0, ref e0, ref u0, buf0, ref f0) && Count(v, l1, h1, ref a1, ref e1, ref u1, buf1, ref f1)
                     && Count(v, l2, h2, ref a2, ref e2, ref u2, buf2, ref f2)))
                return false;
        }
        (b[0].Below, b[0].AtOrBelow, b[0].AtOrBelowUpper, b[0].Filled) = (a0, e0, u0, f0);
        (b[1].Below, b[1].AtOrBelow, b[1].AtOrBelowUpper, b[1].Filled) = (a1, e1, u1, f1);
        (b[2].Below, b[2].AtOrBelow, b[2].AtOrBelowUpper, b[2].Filled) = (a2, e2, u2, f2);
        return true;
    }

    /// <summary>The scalar reference of <see cref="Brackets"/>: one value at a time.</summary>
    public static bool BracketsReference(ReadOnlySpan<float> x, Span<Bracket> b, Span<float> buf0, Span<float> buf1, Span<float> buf2)
    {
        long a0 = 0, e0 = 0, u0 = 0, a1 = 0, e1 = 0, u1 = 0, a2 = 0, e2 = 0, u2 = 0;
        int f0 = 0, f1 = 0, f2 = 0;
        foreach (float v in x)
            if (!float.IsFinite(v)
                || !(Count(v, b[0].Lower, b[0].Upper, ref a0, ref e0, ref u0, buf0, ref f0)
                     && Count(v, b[1].Lower, b[1].Upper, ref a1, ref e1, ref u1, buf1, ref f1)
                     && Count(v, b[2].Lower, b[2].Upper, ref a2, ref e2, ref u2, buf2, ref f2)))
                return false;
        (b[0].Below, b[0].AtOrBelow, b[0].AtOrBelowUpper, b[0].Filled) = (a0, e0, u0, f0);
        (b[1].Below, b[1].AtOrBelow, b[1].AtOrBelowUpper, b[1].Filled) = (a1, e1, u1, f1);
        (b[2].Below, b[2].AtOrBelow, b[2].AtOrBelowUpper, b[2].Filled) = (a2, e2, u2, f2);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Count(float v, float lower, float upper, ref long below, ref long atOrBelow, ref long atOrBelowUpper, Span<float> buf, ref int filled)
    {
        if (v < lower) below++;
        if (v <= lower) atOrBelow++;
        if (v <= upper) atOrBelowUpper++;
        if (lower < v && v < upper)
        {
            if (filled >= buf.Length) return false;
            buf[filled++] = v;
        }
        return true;
    }

    /// <summary>Appends the lanes of <paramref name="bits"/> (values at <paramref name="xr"/> + <paramref name="i"/>) to
    /// <paramref name="buf"/>; false, appending nothing, when they do not all fit (exactly the reference's condition).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Append(uint bits, ref float xr, nuint i, Span<float> buf, ref int filled)
    {
        if (bits == 0) return true;
        if (filled + BitOperations.PopCount(bits) > buf.Length) return false;
        ref float br = ref MemoryMarshal.GetReference(buf);
        do
        {
            Unsafe.Add(ref br, filled++) = Unsafe.Add(ref xr, i + (nuint)BitOperations.TrailingZeroCount(bits));
            bits &= bits - 1;
        }
        while (bits != 0);
        return true;
    }

    /// <summary>Over the values v with lo &lt;= v &lt;= hi (compared in double): their sum and count; branch-free.</summary>
    public static (double Sum, long Count) WindowSums(ReadOnlySpan<float> x, double lo, double hi)
    {
        if (!Vector256.IsHardwareAccelerated) return WindowSumsReference(x, lo, hi);
        ref float xr = ref MemoryMarshal.GetReference(x);
        nuint n = (uint)x.Length, i = 0;
        double sum = 0;
        long count = 0;
        if (n >= (uint)Vector256<float>.Count)
        {
            Vector256<double> vlo = Vector256.Create(lo), vhi = Vector256.Create(hi), s0 = default, s1 = default;
            Vector256<long> c = default;
            for (; i <= n - (uint)Vector256<float>.Count; i += (uint)Vector256<float>.Count)
            {
                var (d0, d1) = Vector256.Widen(Vector256.LoadUnsafe(ref xr, i));
                var m0 = Vector256.GreaterThanOrEqual(d0, vlo) & Vector256.LessThanOrEqual(d0, vhi);
                var m1 = Vector256.GreaterThanOrEqual(d1, vlo) & Vector256.LessThanOrEqual(d1, vhi);
                s0 += d0 & m0;
                s1 += d1 & m1;
                c -= m0.AsInt64() + m1.AsInt64();
            }
            sum = LaneSum(s0, s1);
            count = Vector256.Sum(c);
        }
        for (; i < n; i++)
        {
            double v = Unsafe.Add(ref xr, i);
            if (v >= lo && v <= hi)
            {
                sum += v;
                count++;
            }
        }
        return (sum, count);
    }

    /// <summary>The scalar reference of <see cref="WindowSums"/>: the same eight lanes, one value at a time.</summary>
    public static (double Sum, long Count) WindowSumsReference(ReadOnlySpan<float> x, double lo, double hi)
    {
        Span<double> lanes = stackalloc double[8];
        lanes.Clear();
        double sum = 0;
        long count = 0;
        int i = 0;
        if (x.Length >= 8)
        {
            for (; i <= x.Length - 8; i += 8)
                for (int k = 0; k < 8; k++)
                {
                    double v = x[i + k];
                    bool inside = v >= lo && v <= hi;
                    lanes[k] += inside ? v : 0;
                    if (inside) count++;
                }
            sum = LaneSum(lanes);
        }
        for (; i < x.Length; i++)
        {
            double v = x[i];
            if (v >= lo && v <= hi)
            {
                sum += v;
                count++;
            }
        }
        return (sum, count);
    }

    /// <summary>The smallest nonzero |v| (+inf for none) and the largest |v| (0 for none) over the values v with
    /// lo &lt;= v &lt;= hi: for windows whose ends do not bound them (rare, so scalar).</summary>
    public static (double MinNonzeroAbs, double MaxAbs) WindowMagnitudes(ReadOnlySpan<float> x, double lo, double hi)
    {
        double min = double.PositiveInfinity, max = 0;
        foreach (float f in x)
        {
            double v = f;
            if (!(v >= lo && v <= hi)) continue;
            double a = Math.Abs(v);
            if (a != 0) min = Math.Min(min, a);
            max = Math.Max(max, a);
        }
        return (min, max);
    }

    /// <summary>The sum of (v - mean)^2 (double, not fused) over the values v with lo &lt;= v &lt;= hi; branch-free.</summary>
    public static double WindowSquares(ReadOnlySpan<float> x, double lo, double hi, double mean)
    {
        if (!Vector256.IsHardwareAccelerated) return WindowSquaresReference(x, lo, hi, mean);
        ref float xr = ref MemoryMarshal.GetReference(x);
        nuint n = (uint)x.Length, i = 0;
        double sum = 0;
        if (n >= (uint)Vector256<float>.Count)
        {
            Vector256<double> vlo = Vector256.Create(lo), vhi = Vector256.Create(hi), vm = Vector256.Create(mean), s0 = default, s1 = default;
            for (; i <= n - (uint)Vector256<float>.Count; i += (uint)Vector256<float>.Count)
            {
                var (d0, d1) = Vector256.Widen(Vector256.LoadUnsafe(ref xr, i));
                var m0 = Vector256.GreaterThanOrEqual(d0, vlo) & Vector256.LessThanOrEqual(d0, vhi);
                var m1 = Vector256.GreaterThanOrEqual(d1, vlo) & Vector256.LessThanOrEqual(d1, vhi);
                Vector256<double> t0 = d0 - vm, t1 = d1 - vm;
                s0 += (t0 * t0) & m0;
                s1 += (t1 * t1) & m1;
            }
            sum = LaneSum(s0, s1);
        }
        for (; i < n; i++)
        {
            double v = Unsafe.Add(ref xr, i);
            if (v >= lo && v <= hi) sum += (v - mean) * (v - mean);
        }
        return sum;
    }

    /// <summary>The scalar reference of <see cref="WindowSquares"/>: the same eight lanes, one value at a time.</summary>
    public static double WindowSquaresReference(ReadOnlySpan<float> x, double lo, double hi, double mean)
    {
        Span<double> lanes = stackalloc double[8];
        lanes.Clear();
        double sum = 0;
        int i = 0;
        if (x.Length >= 8)
        {
            for (; i <= x.Length - 8; i += 8)
                for (int k = 0; k < 8; k++)
                {
                    double v = x[i + k];
                    lanes[k] += v >= lo && v <= hi ? (v - mean) * (v - mean) : 0;
                }
            sum = LaneSum(lanes);
        }
        for (; i < x.Length; i++)
        {
            double v = x[i];
            if (v >= lo && v <= hi) sum += (v - mean) * (v - mean);
        }
        return sum;
    }

    private static double LaneSum(Vector256<double> s0, Vector256<double> s1)
    {
        var s = s0 + s1;
        return (s.GetElement(0) + s.GetElement(1)) + (s.GetElement(2) + s.GetElement(3));
    }

    private static double LaneSum(ReadOnlySpan<double> lanes) =>
        ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));

    /// <summary>How many values lie in [<paramref name="a1"/>, <paramref name="a2"/>) or (<paramref name="b1"/>,
    /// <paramref name="b2"/>].</summary>
    public static long CountInZones(ReadOnlySpan<float> x, float a1, float a2, float b1, float b2)
    {
        if (!Vector256.IsHardwareAccelerated) return CountInZonesReference(x, a1, a2, b1, b2);
        ref float xr = ref MemoryMarshal.GetReference(x);
        nuint n = (uint)x.Length, i = 0;
        long count = 0;
        if (n >= (uint)Vector256<float>.Count)
        {
            Vector256<float> va1 = Vector256.Create(a1), va2 = Vector256.Create(a2), vb1 = Vector256.Create(b1), vb2 = Vector256.Create(b2);
            Vector256<int> c = default;
            for (; i <= n - (uint)Vector256<float>.Count; i += (uint)Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xr, i);
                c -= ((Vector256.GreaterThanOrEqual(v, va1) & Vector256.LessThan(v, va2))
                      | (Vector256.GreaterThan(v, vb1) & Vector256.LessThanOrEqual(v, vb2))).AsInt32();
            }
            count = Vector256.Sum(Vector256.WidenLower(c) + Vector256.WidenUpper(c));
        }
        for (; i < n; i++)
            if (InZones(Unsafe.Add(ref xr, i), a1, a2, b1, b2)) count++;
        return count;
    }

    /// <summary>The scalar reference of <see cref="CountInZones"/>.</summary>
    public static long CountInZonesReference(ReadOnlySpan<float> x, float a1, float a2, float b1, float b2)
    {
        long count = 0;
        foreach (float v in x)
            if (InZones(v, a1, a2, b1, b2)) count++;
        return count;
    }

    private static bool InZones(float v, float a1, float a2, float b1, float b2) => (v >= a1 && v < a2) || (v > b1 && v <= b2);
}
