using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace ImageCore.Simd;

/// <summary>
/// The float operations of one vector width, so that a kernel with many inputs (the fused ISR pass)
/// is written once, generic over the width, and instantiated at 512, 256 and 128 bits; the JIT
/// specialises each instantiation to plain vector instructions. Int32 mask planes travel as float
/// bit patterns (<see cref="LoadBits"/>): only bitwise operations ever touch them.
/// </summary>
/// <typeparam name="TV">The vector type.</typeparam>
internal interface ISimdWidth<TV> where TV : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Whether the hardware runs this width natively (a JIT constant).</summary>
    static abstract bool IsAccelerated { get; }

    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TV Splat(float value);

    /// <summary>Every lane the bit pattern of <paramref name="bits"/>.</summary>
    static abstract TV SplatBits(int bits);

    /// <summary>Loads <see cref="Count"/> floats at <paramref name="source"/> + <paramref name="index"/>.</summary>
    static abstract TV Load(ref float source, nuint index);

    /// <summary>Loads <see cref="Count"/> int32 values as float bit patterns.</summary>
    static abstract TV LoadBits(ref int source, nuint index);

    /// <summary>Stores <see cref="Count"/> floats.</summary>
    static abstract void Store(TV value, ref float destination, nuint index);

    /// <summary>Stores <see cref="Count"/> float bit patterns as int32 values.</summary>
    static abstract void StoreBits(TV value, ref int destination, nuint index);

    /// <summary>Whether <see cref="StoreNonTemporal"/> exists at this width (only the 512-bit path streams:
    /// its driver peels to alignment).</summary>
    static abstract bool SupportsNonTemporal { get; }

    /// <summary>Whether <paramref name="address"/> is on a vector-size boundary.</summary>
    static abstract bool IsAligned(ref float address);

    /// <summary>Stores past the caches at an aligned, pinned address (only where <see cref="SupportsNonTemporal"/>).</summary>
    static abstract void StoreNonTemporal(TV value, ref float destination, nuint index);

    /// <summary>Orders earlier non-temporal stores before later stores (sfence).</summary>
    static abstract void StoreFence();

    /// <summary>a + b.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>a - b.</summary>
    static abstract TV Subtract(TV a, TV b);

    /// <summary>a * b (not fused with a neighbouring add).</summary>
    static abstract TV Multiply(TV a, TV b);

    /// <summary>a / b (IEEE).</summary>
    static abstract TV Divide(TV a, TV b);

    /// <summary>Correctly rounded square root (as <see cref="MathF.Sqrt"/>).</summary>
    static abstract TV Sqrt(TV a);

    /// <summary>All ones where a &gt;= b (false for NaN), else zero.</summary>
    static abstract TV GreaterThanOrEqual(TV a, TV b);

    /// <summary>All ones where a &gt; b (false for NaN), else zero.</summary>
    static abstract TV GreaterThan(TV a, TV b);

    /// <summary>All ones where a is finite (a - a == 0), else zero.</summary>
    static abstract TV IsFinite(TV a);

    /// <summary>All ones where the lane's bit pattern is zero (an int32 mask lane with none of the tested bits set;
    /// compared as integers, so no bit pattern reads as a float), else zero.</summary>
    static abstract TV IsZeroBits(TV a);

    /// <summary>Per lane, <paramref name="condition"/> (all ones or zero) ? a : b.</summary>
    static abstract TV Select(TV condition, TV a, TV b);

    /// <summary>a | b, bitwise.</summary>
    static abstract TV Or(TV a, TV b);

    /// <summary>a &amp; b, bitwise.</summary>
    static abstract TV And(TV a, TV b);

    /// <summary>a &amp; ~b, bitwise.</summary>
    static abstract TV AndNot(TV a, TV b);
}

/// <summary>512-bit vectors (16 floats).</summary>
internal readonly struct Width512 : ISimdWidth<Vector512<float>>
{
    /// <inheritdoc/>
    public static int Count => Vector512<float>.Count;
    /// <inheritdoc/>
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;
    /// <inheritdoc/>
    public static Vector512<float> Splat(float value) => Vector512.Create(value);
    /// <inheritdoc/>
    public static Vector512<float> SplatBits(int bits) => Vector512.Create(bits).AsSingle();
    /// <inheritdoc/>
    public static Vector512<float> Load(ref float source, nuint index) => Vector512.LoadUnsafe(ref source, index);
    /// <inheritdoc/>
    public static Vector512<float> LoadBits(ref int source, nuint index) => Vector512.LoadUnsafe(ref source, index).AsSingle();
    /// <inheritdoc/>
    public static void Store(Vector512<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    /// <inheritdoc/>
    public static void StoreBits(Vector512<float> value, ref int destination, nuint index) => value.AsInt32().StoreUnsafe(ref destination, index);
    /// <inheritdoc/>
    public static bool SupportsNonTemporal => Avx512F.IsSupported;
    /// <inheritdoc/>
    public static unsafe bool IsAligned(ref float address) => ((nuint)Unsafe.AsPointer(ref address) & 63) == 0;
    /// <inheritdoc/>
    public static unsafe void StoreNonTemporal(Vector512<float> value, ref float destination, nuint index) =>
        Vector512.StoreAlignedNonTemporal(value, (float*)Unsafe.AsPointer(ref Unsafe.Add(ref destination, index)));
    /// <inheritdoc/>
    public static void StoreFence() { if (Sse.IsSupported) Sse.StoreFence(); }
    /// <inheritdoc/>
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    /// <inheritdoc/>
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    /// <inheritdoc/>
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    /// <inheritdoc/>
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    /// <inheritdoc/>
    public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);
    /// <inheritdoc/>
    public static Vector512<float> GreaterThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b);
    /// <inheritdoc/>
    public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);
    /// <inheritdoc/>
    public static Vector512<float> IsFinite(Vector512<float> a) => Vector512.Equals(a - a, Vector512<float>.Zero);
    /// <inheritdoc/>
    public static Vector512<float> IsZeroBits(Vector512<float> a) => Vector512.Equals(a.AsInt32(), Vector512<int>.Zero).AsSingle();
    /// <inheritdoc/>
    public static Vector512<float> Select(Vector512<float> condition, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(condition, a, b);
    /// <inheritdoc/>
    public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;
    /// <inheritdoc/>
    public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;
    /// <inheritdoc/>
    public static Vector512<float> AndNot(Vector512<float> a, Vector512<float> b) => Vector512.AndNot(a, b);
}

/// <summary>256-bit vectors (8 floats).</summary>
internal readonly struct Width256 : ISimdWidth<Vector256<float>>
{
    /// <inheritdoc/>
    public static int Count => Vector256<float>.Count;
    /// <inheritdoc/>
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;
    /// <inheritdoc/>
    public static Vector256<float> Splat(float value) => Vector256.Create(value);
    /// <inheritdoc/>
    public static Vector256<float> SplatBits(int bits) => Vector256.Create(bits).AsSingle();
    /// <inheritdoc/>
    public static Vector256<float> Load(ref float source, nuint index) => Vector256.LoadUnsafe(ref source, index);
    /// <inheritdoc/>
    public static Vector256<float> LoadBits(ref int source, nuint index) => Vector256.LoadUnsafe(ref source, index).AsSingle();
    /// <inheritdoc/>
    public static void Store(Vector256<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    /// <inheritdoc/>
    public static void StoreBits(Vector256<float> value, ref int destination, nuint index) => value.AsInt32().StoreUnsafe(ref destination, index);
    /// <inheritdoc/>
    public static bool SupportsNonTemporal => false;
    /// <inheritdoc/>
    public static unsafe bool IsAligned(ref float address) => ((nuint)Unsafe.AsPointer(ref address) & (32 - 1)) == 0;
    /// <inheritdoc/>
    public static void StoreNonTemporal(Vector256<float> value, ref float destination, nuint index) => throw new NotSupportedException("only the 512-bit path streams");
    /// <inheritdoc/>
    public static void StoreFence() { if (Sse.IsSupported) Sse.StoreFence(); }
    /// <inheritdoc/>
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    /// <inheritdoc/>
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    /// <inheritdoc/>
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    /// <inheritdoc/>
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    /// <inheritdoc/>
    public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    /// <inheritdoc/>
    public static Vector256<float> GreaterThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b);
    /// <inheritdoc/>
    public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    /// <inheritdoc/>
    public static Vector256<float> IsFinite(Vector256<float> a) => Vector256.Equals(a - a, Vector256<float>.Zero);
    /// <inheritdoc/>
    public static Vector256<float> IsZeroBits(Vector256<float> a) => Vector256.Equals(a.AsInt32(), Vector256<int>.Zero).AsSingle();
    /// <inheritdoc/>
    public static Vector256<float> Select(Vector256<float> condition, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(condition, a, b);
    /// <inheritdoc/>
    public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;
    /// <inheritdoc/>
    public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;
    /// <inheritdoc/>
    public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Vector256.AndNot(a, b);
}

/// <summary>128-bit vectors (4 floats).</summary>
internal readonly struct Width128 : ISimdWidth<Vector128<float>>
{
    /// <inheritdoc/>
    public static int Count => Vector128<float>.Count;
    /// <inheritdoc/>
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated;
    /// <inheritdoc/>
    public static Vector128<float> Splat(float value) => Vector128.Create(value);
    /// <inheritdoc/>
    public static Vector128<float> SplatBits(int bits) => Vector128.Create(bits).AsSingle();
    /// <inheritdoc/>
    public static Vector128<float> Load(ref float source, nuint index) => Vector128.LoadUnsafe(ref source, index);
    /// <inheritdoc/>
    public static Vector128<float> LoadBits(ref int source, nuint index) => Vector128.LoadUnsafe(ref source, index).AsSingle();
    /// <inheritdoc/>
    public static void Store(Vector128<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
    /// <inheritdoc/>
    public static void StoreBits(Vector128<float> value, ref int destination, nuint index) => value.AsInt32().StoreUnsafe(ref destination, index);
    /// <inheritdoc/>
    public static bool SupportsNonTemporal => false;
    /// <inheritdoc/>
    public static unsafe bool IsAligned(ref float address) => ((nuint)Unsafe.AsPointer(ref address) & (16 - 1)) == 0;
    /// <inheritdoc/>
    public static void StoreNonTemporal(Vector128<float> value, ref float destination, nuint index) => throw new NotSupportedException("only the 512-bit path streams");
    /// <inheritdoc/>
    public static void StoreFence() { if (Sse.IsSupported) Sse.StoreFence(); }
    /// <inheritdoc/>
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    /// <inheritdoc/>
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    /// <inheritdoc/>
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    /// <inheritdoc/>
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    /// <inheritdoc/>
    public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);
    /// <inheritdoc/>
    public static Vector128<float> GreaterThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanOrEqual(a, b);
    /// <inheritdoc/>
    public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);
    /// <inheritdoc/>
    public static Vector128<float> IsFinite(Vector128<float> a) => Vector128.Equals(a - a, Vector128<float>.Zero);
    /// <inheritdoc/>
    public static Vector128<float> IsZeroBits(Vector128<float> a) => Vector128.Equals(a.AsInt32(), Vector128<int>.Zero).AsSingle();
    /// <inheritdoc/>
    public static Vector128<float> Select(Vector128<float> condition, Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(condition, a, b);
    /// <inheritdoc/>
    public static Vector128<float> Or(Vector128<float> a, Vector128<float> b) => a | b;
    /// <inheritdoc/>
    public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;
    /// <inheritdoc/>
    public static Vector128<float> AndNot(Vector128<float> a, Vector128<float> b) => Vector128.AndNot(a, b);
}
