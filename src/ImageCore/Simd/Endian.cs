using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageCore.Simd;

/// <summary>
/// Big-endian (FITS) to native byte order and back, for 2-, 4- and 8-byte elements, with an
/// optional XOR applied to each element in native order (the sign-bit flip of FITS's unsigned
/// integer convention). The same transform converts in either direction, and may run in place.
/// </summary>
/// <remarks>Vector512/256/128 paths with a scalar tail; <see cref="EndianReference"/> is the scalar
/// reference the tests compare against.</remarks>
internal static class Endian
{
    /// <summary>Reverses the byte order of each <paramref name="elementSize"/>-byte element of
    /// <paramref name="source"/> into <paramref name="destination"/>, then XORs each element with
    /// <paramref name="xor"/> (native order; only the low <paramref name="elementSize"/> bytes are used).</summary>
    /// <param name="source">Whole elements; its length must be a multiple of <paramref name="elementSize"/>.</param>
    /// <param name="destination">At least as long as <paramref name="source"/>; may be the same memory, not a partial overlap.</param>
    /// <param name="elementSize">1, 2, 4 or 8. For 1 the bytes are copied (and XORed).</param>
    /// <param name="xor">XOR mask per element, e.g. 0x8000 for unsigned 16-bit.</param>
    /// <exception cref="ArgumentException">Bad element size, ragged or too-short spans, or partial overlap.</exception>
    public static void Swap(ReadOnlySpan<byte> source, Span<byte> destination, int elementSize, ulong xor = 0)
    {
        if (elementSize is not (1 or 2 or 4 or 8)) throw new ArgumentException($"element size {elementSize} is not 1, 2, 4 or 8", nameof(elementSize));
        if (source.Length % elementSize != 0) throw new ArgumentException($"{source.Length} bytes is not a whole number of {elementSize}-byte elements", nameof(source));
        if (destination.Length < source.Length) throw new ArgumentException($"destination holds {destination.Length} bytes, source {source.Length}", nameof(destination));
        if (source.Overlaps(destination, out int offset) && offset != 0) throw new ArgumentException("source and destination partially overlap", nameof(destination));
        switch (elementSize)
        {
            case 1: Swap1(source, destination, (byte)xor); break;
            case 2: SwapVectors(source, destination, ShuffleMask2, (ushort)xor, 2); break;
            case 4: SwapVectors(source, destination, ShuffleMask4, (uint)xor, 4); break;
            default: SwapVectors(source, destination, ShuffleMask8, xor, 8); break;
        }
    }

    // pshufb masks: within each 16-byte lane, reverse every 2/4/8-byte group.
    private static ReadOnlySpan<byte> ShuffleMask2 => [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14];
    private static ReadOnlySpan<byte> ShuffleMask4 => [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];
    private static ReadOnlySpan<byte> ShuffleMask8 => [7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8];

    private static void Swap1(ReadOnlySpan<byte> source, Span<byte> destination, byte xor)
    {
        if (xor == 0)
        {
            if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination)))
                source.CopyTo(destination);
            return;
        }
        ref byte s = ref MemoryMarshal.GetReference(source);
        ref byte d = ref MemoryMarshal.GetReference(destination);
        nuint n = (nuint)source.Length, i = 0;
        if (Vector256.IsHardwareAccelerated && n >= 32)
        {
            var x = Vector256.Create(xor);
            for (; i <= n - 32; i += 32) (Vector256.LoadUnsafe(ref s, i) ^ x).StoreUnsafe(ref d, i);
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = (byte)(Unsafe.Add(ref s, i) ^ xor);
    }

    private static void SwapVectors(ReadOnlySpan<byte> source, Span<byte> destination, ReadOnlySpan<byte> mask16, ulong xor, int size)
    {
        ref byte s = ref MemoryMarshal.GetReference(source);
        ref byte d = ref MemoryMarshal.GetReference(destination);
        nuint n = (nuint)source.Length, i = 0;
        var m128 = Vector128.Create(mask16);
        if (Avx512BW.IsSupported && n >= 64)
        {
            var m256 = Vector256.Create(m128, m128);
            var m = Vector512.Create(m256, m256);
            var x = XorVector512(xor, size);
            for (; i <= n - 64; i += 64)
                (Avx512BW.Shuffle(Vector512.LoadUnsafe(ref s, i), m) ^ x).StoreUnsafe(ref d, i);
        }
        else if (Avx2.IsSupported && n >= 32)
        {
            var m = Vector256.Create(m128, m128);
            var x = XorVector512(xor, size).GetLower();
            for (; i <= n - 32; i += 32)
                (Avx2.Shuffle(Vector256.LoadUnsafe(ref s, i), m) ^ x).StoreUnsafe(ref d, i);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 16)
        {
            var x = XorVector512(xor, size).GetLower().GetLower();
            for (; i <= n - 16; i += 16)
                (Vector128.Shuffle(Vector128.LoadUnsafe(ref s, i), m128) ^ x).StoreUnsafe(ref d, i);
        }
        for (; i < n; i += (nuint)size) EndianReference.SwapOne(ref Unsafe.Add(ref s, i), ref Unsafe.Add(ref d, i), size, xor);
    }

    private static Vector512<byte> XorVector512(ulong xor, int size) => size switch
    {
        2 => Vector512.Create((ushort)xor).AsByte(),
        4 => Vector512.Create((uint)xor).AsByte(),
        _ => Vector512.Create(xor).AsByte(),
    };
}

/// <summary>The scalar reference for <see cref="Endian"/>: one element at a time.</summary>
internal static class EndianReference
{
    /// <summary>Same contract as <see cref="Endian.Swap"/>, element by element.</summary>
    public static void Swap(ReadOnlySpan<byte> source, Span<byte> destination, int elementSize, ulong xor = 0)
    {
        if (elementSize is not (1 or 2 or 4 or 8)) throw new ArgumentException($"element size {elementSize} is not 1, 2, 4 or 8", nameof(elementSize));
        if (source.Length % elementSize != 0 || destination.Length < source.Length) throw new ArgumentException("bad span lengths");
        for (int i = 0; i < source.Length; i += elementSize)
            SwapOne(ref Unsafe.AsRef(in source[i]), ref destination[i], elementSize, xor);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SwapOne(ref byte s, ref byte d, int size, ulong xor)
    {
        switch (size)
        {
            case 1: d = (byte)(s ^ (byte)xor); break;
            case 2: Unsafe.WriteUnaligned(ref d, (ushort)(BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref s)) ^ (ushort)xor)); break;
            case 4: Unsafe.WriteUnaligned(ref d, BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref s)) ^ (uint)xor); break;
            default: Unsafe.WriteUnaligned(ref d, BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref s)) ^ xor); break;
        }
    }
}
