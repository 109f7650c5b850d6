using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ImageCore.Warp;

/// <summary>Values in the machine's order.</summary>
internal readonly unsafe struct NativeImage : IImageLoad
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(float* p) => *p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Mask(int stored) => stored;
}
