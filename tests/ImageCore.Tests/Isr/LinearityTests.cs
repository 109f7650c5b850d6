using CommunityToolkit.HighPerformance;
using ImageCore.Isr;

namespace ImageCore.Tests.Isr;

public class LinearityTests
{
    [Fact]
    public void Correction_inverts_the_quadratic_response()
    {
        const double k = 1.2e-7;
        double[] truth = [0, 1, 100, 5000, 50_000, 120_000, -30];
        var pixels = truth.Select(t => (float)Linearity.Apply(t, k)).ToArray();
        Linearity.Correct(new Span2D<float>(pixels, 1, pixels.Length), k);
        for (int i = 0; i < truth.Length; i++) Assert.Equal(truth[i], pixels[i], Math.Max(1e-3, Math.Abs(truth[i]) * 2e-7));
        var linear = new float[] { 123.5f };
        Linearity.Correct(new Span2D<float>(linear, 1, 1), 0);
        Assert.Equal(123.5f, linear[0]);
        Assert.Throws<ArgumentException>(() => Linearity.Correct(new Span2D<float>(linear, 1, 1), -1));
        var beyond = new float[] { (float)(2 / (4 * k)) };
        Linearity.Correct(new Span2D<float>(beyond, 1, 1), k);
        Assert.Equal(1 / (2 * k), beyond[0], 1.0);   // clamped at the turning point (float: ulp 0.5 here)
    }
}
