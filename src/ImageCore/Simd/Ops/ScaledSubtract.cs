using System.Runtime.Intrinsics;

namespace ImageCore.Simd.Ops;

/// <summary><c>x - s*y</c>: bias subtraction (s = 1) and scaled-dark subtraction (s = dark-time ratio).
/// Not fused: the product is rounded before the subtraction on every path.</summary>
internal readonly struct ScaledSubtract : IPixelOp2
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y, float s) => x - s * y;

    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> s) => x - s * y;

    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s) => x - s * y;

    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s) => x - s * y;
}
