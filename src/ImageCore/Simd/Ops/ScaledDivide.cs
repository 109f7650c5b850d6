using System.Runtime.Intrinsics;

namespace ImageCore.Simd.Ops;

/// <summary><c>x / (s*y)</c>: flat-field division (y the flat, s its normalisation, 1 for a
/// pre-normalised flat). IEEE division throughout: a zero flat gives ±inf or NaN, which callers mask.</summary>
internal readonly struct ScaledDivide : IPixelOp2
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y, float s) => x / (s * y);

    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> s) => x / (s * y);

    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s) => x / (s * y);

    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s) => x / (s * y);
}
