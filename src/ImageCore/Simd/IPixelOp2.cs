using System.Runtime.Intrinsics;

namespace ImageCore.Simd;

/// <summary>
/// A per-pixel operation of two images and a scalar, <c>d = f(x, y, s)</c>, at every vector width.
/// The scalar <see cref="Invoke(float, float, float)"/> is both the reference the vector paths are
/// tested against and the tail <see cref="PixelDriver"/> runs, so the two cannot diverge.
/// </summary>
internal interface IPixelOp2
{
    /// <summary>One pixel.</summary>
    static abstract float Invoke(float x, float y, float s);

    /// <summary>Four pixels.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> s);

    /// <summary>Eight pixels.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s);

    /// <summary>Sixteen pixels.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s);
}
