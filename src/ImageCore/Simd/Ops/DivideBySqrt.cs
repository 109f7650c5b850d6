using System.Runtime.Intrinsics;

namespace ImageCore.Simd.Ops;

/// <summary><c>x / sqrt(y)</c> (s unused): a signal over its noise, y being its variance (detection's significance
/// image). Both the square root and the division are correctly rounded at every width, so the vector paths equal the
/// scalar bit for bit; y = 0 gives ±infinity (or NaN for x = 0), y &lt; 0 gives NaN.</summary>
internal readonly struct DivideBySqrt : IPixelOp2
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y, float s) => x / MathF.Sqrt(y);

    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> s) => x / Vector128.Sqrt(y);

    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s) => x / Vector256.Sqrt(y);

    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s) => x / Vector512.Sqrt(y);
}
