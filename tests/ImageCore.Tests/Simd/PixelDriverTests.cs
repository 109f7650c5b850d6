using ImageCore.Simd;
using ImageCore.Simd.Ops;

namespace ImageCore.Tests.Simd;

public class PixelDriverTests
{
    public static TheoryData<int> Lengths => [.. Enumerable.Range(0, 34), 63, 64, 65, 255, 256, 257, 4099];

    private static float[] Noise(Random rng, int n, bool edges)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2000 - 1000);
        if (edges)
        {
            float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, float.MaxValue];
            for (int i = 0; i < n; i += 3) a[i] = special[rng.Next(special.Length)];
        }
        return a;
    }

    private static void Check<TOp>(int n, float s) where TOp : struct, IPixelOp2
    {
        foreach (bool edges in new[] { false, true })
            foreach (int offset in new[] { 0, 1, 3 })   // unaligned starts
            {
                var rng = new Random(n * 7 + offset + (edges ? 1000 : 0));
                float[] x = Noise(rng, n + offset, edges), y = Noise(rng, n + offset, edges);
                float[] expected = new float[n], actual = new float[n + offset];
                for (int i = 0; i < n; i++) expected[i] = TOp.Invoke(x[i + offset], y[i + offset], s);
                PixelDriver.Run<TOp>(x.AsSpan(offset), y.AsSpan(offset), s, actual.AsSpan(offset));
                Assert.Equal(expected, actual[offset..]);   // bit-exact (NaN compares equal to NaN)
                // In place on x.
                PixelDriver.Run<TOp>(x.AsSpan(offset), y.AsSpan(offset), s, x.AsSpan(offset));
                Assert.Equal(expected, x[offset..]);
            }
    }

    [Theory, MemberData(nameof(Lengths))]
    public void ScaledSubtract_matches_its_scalar_reference(int n) => Check<ScaledSubtract>(n, 0.37f);

    [Theory, MemberData(nameof(Lengths))]
    public void ScaledDivide_matches_its_scalar_reference(int n) => Check<ScaledDivide>(n, 1.25f);

    [Theory, MemberData(nameof(Lengths))]
    public void ScaledAdd_matches_its_scalar_reference(int n) => Check<ScaledAdd>(n, 0.1369f);

    [Fact]
    public void Bias_of_one_from_ten_leaves_nine()
    {
        float[] science = Enumerable.Repeat(10f, 100).ToArray(), bias = Enumerable.Repeat(1f, 100).ToArray();
        PixelDriver.Run<ScaledSubtract>(science, bias, 1f, science);
        Assert.All(science, v => Assert.Equal(9f, v));
    }

    [Fact]
    public void Mismatched_lengths_and_partial_overlap_are_rejected()
    {
        float[] a = new float[20];
        Assert.Throws<ArgumentException>(() => PixelDriver.Run<ScaledSubtract>(a.AsSpan(0, 10), a.AsSpan(0, 9), 1, a.AsSpan(0, 10)));
        Assert.Throws<ArgumentException>(() => PixelDriver.Run<ScaledSubtract>(a.AsSpan(0, 10), a.AsSpan(0, 10), 1, a.AsSpan(5, 10)));
    }
}
