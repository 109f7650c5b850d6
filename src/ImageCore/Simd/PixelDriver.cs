using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageCore.Simd;

/// <summary>
/// The one vector driver for <see cref="IPixelOp2"/> kernels: picks the widest accelerated vector
/// (512, 256, 128 bits), runs the kernel over whole vectors and finishes the tail with the scalar
/// <c>Invoke</c>. With no acceleration the scalar loop does everything.
/// </summary>
internal static class PixelDriver
{
    /// <summary><c>d[i] = TOp(x[i], y[i], s)</c> for every i.</summary>
    /// <param name="x">First operand.</param>
    /// <param name="y">Second operand, as long as <paramref name="x"/>.</param>
    /// <param name="s">Scalar operand.</param>
    /// <param name="d">Destination, as long as <paramref name="x"/>; may be <paramref name="x"/> or
    /// <paramref name="y"/> itself (in place), but not partly overlap either.</param>
    /// <exception cref="ArgumentException">Lengths differ or the destination partly overlaps an input.</exception>
    public static void Run<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, float s, Span<float> d) where TOp : struct, IPixelOp2
    {
        if (y.Length != x.Length || d.Length != x.Length) ThrowLengthMismatch(x.Length, y.Length, d.Length);
        if (PartlyOverlaps(x, d) || PartlyOverlaps(y, d)) ThrowOverlap();
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float dr = ref MemoryMarshal.GetReference(d);
        nuint n = (uint)x.Length, i = 0;

        if (Vector512.IsHardwareAccelerated && n >= (uint)Vector512<float>.Count)
        {
            var sv = Vector512.Create(s);
            for (; i <= n - (uint)Vector512<float>.Count; i += (uint)Vector512<float>.Count)
                TOp.Invoke(Vector512.LoadUnsafe(ref xr, i), Vector512.LoadUnsafe(ref yr, i), sv).StoreUnsafe(ref dr, i);
        }
        else if (Vector256.IsHardwareAccelerated && n >= (uint)Vector256<float>.Count)
        {
            var sv = Vector256.Create(s);
            for (; i <= n - (uint)Vector256<float>.Count; i += (uint)Vector256<float>.Count)
                TOp.Invoke(Vector256.LoadUnsafe(ref xr, i), Vector256.LoadUnsafe(ref yr, i), sv).StoreUnsafe(ref dr, i);
        }
        else if (Vector128.IsHardwareAccelerated && n >= (uint)Vector128<float>.Count)
        {
            var sv = Vector128.Create(s);
            for (; i <= n - (uint)Vector128<float>.Count; i += (uint)Vector128<float>.Count)
                TOp.Invoke(Vector128.LoadUnsafe(ref xr, i), Vector128.LoadUnsafe(ref yr, i), sv).StoreUnsafe(ref dr, i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = TOp.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i), s);
    }

    private static bool PartlyOverlaps(ReadOnlySpan<float> a, Span<float> d) => a.Overlaps(d, out int offset) && offset != 0;

    [DoesNotReturn]
    private static void ThrowLengthMismatch(int x, int y, int d) =>
        throw new ArgumentException($"operand lengths differ: x {x}, y {y}, destination {d}");

    [DoesNotReturn]
    private static void ThrowOverlap() =>
        throw new ArgumentException("the destination partly overlaps an input; use the same span for in-place work");
}
