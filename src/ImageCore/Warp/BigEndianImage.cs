using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ImageCore.Warp;

/// <summary>Big-endian values, byte-swapped on loading (one byte shuffle per vector); mask words are ORed as stored
/// and swapped once.</summary>
internal readonly unsafe struct BigEndianImage : IImageLoad
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Mask(int stored) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(stored);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(float* p) => BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(*(int*)p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(float* p)
    {
        var bytes = Vector256.Load((byte*)p);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            return System.Runtime.Intrinsics.X86.Avx2.Shuffle(bytes, Vector256.Create((byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                                                                                        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12)).AsSingle();
        return Vector256.Shuffle(bytes, Vector256.Create((byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                                                         19, 18, 17, 16, 23, 22, 21, 20, 27, 26, 25, 24, 31, 30, 29, 28)).AsSingle();
    }
}
