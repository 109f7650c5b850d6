using CommunityToolkit.HighPerformance;

namespace ImageCore.Isr;

/// <summary>
/// Non-linearity correction (ISR step 10) for the quadratic response <c>measured = true (1 - k true)</c>
/// of an amplifier, in ADU above the bias: <c>true = (1 - sqrt(1 - 4 k measured)) / (2 k)</c>, exact
/// rather than ip_isr's first-order "Squared" form. ImageCore applies it in ADU after crosstalk and
/// before the gain. Pixels beyond the curve's turning point (measured at or above 1 / (4k)) take the
/// turning point's value; they are saturated anyway.
/// </summary>
public static class Linearity
{
    /// <summary>In place over <paramref name="pixels"/> with coefficient <paramref name="k"/> (1/ADU; 0 is linear).</summary>
    /// <exception cref="ArgumentException">A negative or non-finite coefficient.</exception>
    public static void Correct(Span2D<float> pixels, double k)
    {
        if (!(k >= 0) || double.IsInfinity(k)) throw new ArgumentException($"linearity coefficient {k} must be finite and >= 0", nameof(k));
        if (k == 0) return;
        float k4 = (float)(4 * k), turn = 1 / k4;
        for (int y = 0; y < pixels.Height; y++)
            foreach (ref float v in pixels.GetRowSpan(y)) v = Invert(v, k4, turn);
    }

    /// <summary>One pixel, in float: <c>2 m / (1 + sqrt(1 - k4 m))</c> with m capped at <paramref name="turn"/> = 1 / k4
    /// (the same root as <c>(1 - sqrt(1 - 4 k m)) / (2 k)</c>, without its cancellation for small k m).
    /// The fused pass runs exactly this arithmetic.</summary>
    internal static float Invert(float measured, float k4, float turn)
    {
        float m = measured > turn ? turn : measured;
        return 2f * m / (1f + MathF.Sqrt(1f - k4 * m));
    }

    /// <summary>The forward model the simulator uses: <c>true (1 - k true)</c>.</summary>
    public static double Apply(double trueAdu, double k) => trueAdu * (1 - k * trueAdu);
}
