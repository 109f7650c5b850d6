using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ImageCore.Simd;

namespace ImageCore.Characterize;

/// <summary>One stretch of a background row: pixels <see cref="Start"/> to <see cref="End"/> - 1 take
/// <c>((D t + C) t + B) t + A</c> with <c>t = T0 + (x - Start)</c>, single precision, never fused (T0 is a whole or
/// half number, so every t is exact).</summary>
internal readonly record struct RowPiece(int Start, int End, float T0, float A, float B, float C, float D);

/// <summary>What a background row does to the pixels under it.</summary>
internal interface IBackgroundApply
{
    /// <summary>The new pixel from the old one and the background there.</summary>
    static abstract float Apply(float pixel, float background);

    /// <summary>The same, per lane.</summary>
    static abstract TV Apply<TW, TV>(TV pixel, TV background) where TW : struct, ISimdWidth<TV> where TV : struct;
}

/// <summary>Writes the background (evaluation).</summary>
internal readonly struct WriteBackground : IBackgroundApply
{
    /// <inheritdoc/>
    public static float Apply(float pixel, float background) => background;

    /// <inheritdoc/>
    public static TV Apply<TW, TV>(TV pixel, TV background) where TW : struct, ISimdWidth<TV> where TV : struct => background;
}

/// <summary>pixel - background.</summary>
internal readonly struct SubtractBackground : IBackgroundApply
{
    /// <inheritdoc/>
    public static float Apply(float pixel, float background) => pixel - background;

    /// <inheritdoc/>
    public static TV Apply<TW, TV>(TV pixel, TV background) where TW : struct, ISimdWidth<TV> where TV : struct => TW.Subtract(pixel, background);
}

/// <summary>pixel + background.</summary>
internal readonly struct AddBackground : IBackgroundApply
{
    /// <inheritdoc/>
    public static float Apply(float pixel, float background) => pixel + background;

    /// <inheritdoc/>
    public static TV Apply<TW, TV>(TV pixel, TV background) where TW : struct, ISimdWidth<TV> where TV : struct => TW.Add(pixel, background);
}

/// <summary>
/// The per-pixel kernel of the background model: one row's pieces evaluated by Horner's rule and written, subtracted
/// or added. The scalar loop is the reference and the tail; the vector loops (512, 256, 128 bits) compute the same
/// single-precision operations in the same order, so both agree bit for bit.
/// </summary>
internal static class BackgroundRow
{
    /// <summary>0, 1, 2, ...: the lane offsets of t.</summary>
    private static readonly float[] Lanes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    /// <summary>Applies every piece of <paramref name="pieces"/> to <paramref name="row"/> (the pieces tile it).</summary>
    public static void Run<TMode>(Span<float> row, ReadOnlySpan<RowPiece> pieces) where TMode : struct, IBackgroundApply
    {
        foreach (var p in pieces)
        {
            if (p.End <= p.Start) continue;
            var part = row[p.Start..p.End];
            int done = 0;
            if (Width512.IsAccelerated) done = (int)Vector<Width512, System.Runtime.Intrinsics.Vector512<float>, TMode>(part, p);
            else if (Width256.IsAccelerated) done = (int)Vector<Width256, System.Runtime.Intrinsics.Vector256<float>, TMode>(part, p);
            else if (Width128.IsAccelerated) done = (int)Vector<Width128, System.Runtime.Intrinsics.Vector128<float>, TMode>(part, p);
            Scalar<TMode>(part, p, done);
        }
    }

    /// <summary>The scalar reference over the whole row.</summary>
    public static void RunScalar<TMode>(Span<float> row, ReadOnlySpan<RowPiece> pieces) where TMode : struct, IBackgroundApply
    {
        foreach (var p in pieces)
            if (p.End > p.Start) Scalar<TMode>(row[p.Start..p.End], p, 0);
    }

    /// <summary>Pixels <paramref name="from"/>.. of one piece, one at a time.</summary>
    private static void Scalar<TMode>(Span<float> part, in RowPiece p, int from) where TMode : struct, IBackgroundApply
    {
        float a = p.A, b = p.B, c = p.C, d = p.D, t0 = p.T0;
        for (int i = from; i < part.Length; i++)
        {
            float t = t0 + i;
            part[i] = TMode.Apply(part[i], ((d * t + c) * t + b) * t + a);
        }
    }

    /// <summary>The whole vectors of one piece; returns how many pixels were done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nuint Vector<TW, TV, TMode>(Span<float> part, in RowPiece p)
        where TW : struct, ISimdWidth<TV> where TV : struct where TMode : struct, IBackgroundApply
    {
        nuint n = (uint)part.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        ref float r = ref MemoryMarshal.GetReference(part);
        TV lanes = TW.Load(ref MemoryMarshal.GetArrayDataReference(Lanes), 0);
        TV a = TW.Splat(p.A), b = TW.Splat(p.B), c = TW.Splat(p.C), d = TW.Splat(p.D);
        float t0 = p.T0;
        for (; i <= n - step; i += step)
        {
            TV t = TW.Add(TW.Splat(t0 + i), lanes);
            TV bg = TW.Add(TW.Multiply(TW.Add(TW.Multiply(TW.Add(TW.Multiply(d, t), c), t), b), t), a);
            TW.Store(TMode.Apply<TW, TV>(TW.Load(ref r, i), bg), ref r, i);
        }
        return i;
    }
}
