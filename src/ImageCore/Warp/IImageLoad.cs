using System.Runtime.Intrinsics;

namespace ImageCore.Warp;

/// <summary>How the warp loads source image values: as they are in memory, or big-endian as a mapped FITS file holds
/// them. The loop is generic over it, so each form is compiled on its own with nothing decided per pixel.</summary>
internal unsafe interface IImageLoad
{
    /// <summary>One value.</summary>
    static abstract float Load(float* p);

    /// <summary>Eight consecutive values.</summary>
    static abstract Vector256<float> Load8(float* p);

    /// <summary>A mask word as stored (or an OR of such words: OR commutes with swapping bytes) in the machine's order.</summary>
    static abstract int Mask(int stored);
}
