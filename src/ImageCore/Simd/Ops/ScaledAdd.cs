using System.Runtime.Intrinsics;

namespace ImageCore.Simd.Ops;

/// <summary><c>x + s*y</c>: variance propagation of a scaled subtraction (y a calibration's variance,
/// s the square of its scale). Not fused, like <see cref="ScaledSubtract"/>.</summary>
internal readonly struct ScaledAdd : IPixelOp2
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y, float s) => x + s * y;

    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> s) => x + s * y;

    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s) => x + s * y;

    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s) => x + s * y;
}
