using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageCore.Simd;

/// <summary>
/// The 32-bit ones' complement sum of big-endian words that FITS CHECKSUM and DATASUM are built on
/// (Seaman, Pence and Rots, "FITS Checksum Proposal"). Accumulate with <see cref="Add"/> over
/// consecutive pieces whose lengths are multiples of 4 (the last may be ragged: it is zero-padded,
/// as the FITS block padding is), then <see cref="Fold"/>.
/// </summary>
internal static class OnesComplementSum
{
    /// <summary>Adds the big-endian 32-bit words of <paramref name="bytes"/> to a 64-bit accumulator.
    /// A ragged tail (length not a multiple of 4) counts as a word padded with zero bytes.</summary>
    /// <param name="accumulator">The running sum (unfolded).</param>
    /// <param name="bytes">Data; up to 4 GiB per call keeps the accumulator from overflowing.</param>
    public static ulong Add(ulong accumulator, ReadOnlySpan<byte> bytes)
    {
        ref byte s = ref MemoryMarshal.GetReference(bytes);
        nuint n = (nuint)bytes.Length, i = 0;
        if (Avx2.IsSupported && n >= 32)
        {
            var mask = Vector256.Create(Vector128.Create((byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
            Vector256<ulong> a0 = Vector256<ulong>.Zero, a1 = Vector256<ulong>.Zero;
            for (; i <= n - 32; i += 32)
            {
                var w = Avx2.Shuffle(Vector256.LoadUnsafe(ref s, i), mask).AsUInt32();
                var (lo, hi) = Vector256.Widen(w);
                a0 += lo;
                a1 += hi;
            }
            accumulator += Vector256.Sum(a0 + a1);
        }
        return AddScalar(accumulator, ref Unsafe.Add(ref s, i), n - i);
    }

    /// <summary>Folds the carries of a 64-bit accumulator into a 32-bit ones' complement sum.</summary>
    public static uint Fold(ulong accumulator)
    {
        while (accumulator >> 32 != 0) accumulator = (accumulator & 0xFFFFFFFFUL) + (accumulator >> 32);
        return (uint)accumulator;
    }

    /// <summary>Ones' complement addition of two folded sums.</summary>
    public static uint Combine(uint a, uint b) => Fold((ulong)a + b);

    /// <summary>The scalar reference of <see cref="Add"/>.</summary>
    public static ulong AddReference(ulong accumulator, ReadOnlySpan<byte> bytes) =>
        AddScalar(accumulator, ref MemoryMarshal.GetReference(bytes), (nuint)bytes.Length);

    private static ulong AddScalar(ulong acc, ref byte s, nuint n)
    {
        nuint i = 0;
        for (; i + 4 <= n; i += 4) acc += BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref s, i)));
        if (i < n)
        {
            uint w = 0;
            for (int k = 0; i < n; i++, k++) w |= (uint)Unsafe.Add(ref s, i) << (24 - 8 * k);
            acc += w;
        }
        return acc;
    }
}
