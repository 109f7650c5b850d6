using ImageCore.Coadd;

namespace ImageCore.Tests.Coadd;

/// <summary>The warps' clipped mean: every vectorised pass against its scalar reference, and the fast clipped mean
/// against the reference clipped mean, bit for bit.</summary>
public class MeanClipTests
{
    /// <summary>Variance-like values: a sky level with a gradient and 10% noise, a few bright stars, some exact ties.</summary>
    private static float[] Variances(int n, Random rng)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            v[i] = (float)((120 + 30.0 * i / n) * (1 + 0.1 * g));
            if (rng.Next(200) == 0) v[i] += (float)(5000 * rng.NextDouble());
            if (rng.Next(50) == 0) v[i] = 117.25f;
        }
        return v;
    }

    /// <summary>Kinds of data: variance-like, spread out, whole numbers (many ties), sorted, reversed, constant, a wide
    /// dynamic range, and (kind 7) some NaN, +-inf and signed zeros.</summary>
    private static float[] Values(int n, int kind, Random rng)
    {
        if (kind == 0) return Variances(n, rng);
        var v = new float[n];
        for (int i = 0; i < n; i++)
            v[i] = kind switch
            {
                1 => (float)(rng.NextDouble() * 2000 - 1000),
                2 => rng.Next(-3, 4),
                3 => i * 0.5f,
                4 => n - i,
                5 => 7.5f,
                6 => (float)Math.Exp(rng.NextDouble() * 30 - 10),
                _ => rng.Next(8) switch { 0 => float.NaN, 1 => float.PositiveInfinity, 2 => float.NegativeInfinity, 3 => -0f, 4 => 0f, _ => (float)rng.NextDouble() },
            };
        return v;
    }

    public static TheoryData<int> Lengths => [.. Enumerable.Range(0, 34), 63, 64, 65, 255, 256, 257, 4099];

    /// <summary>An unaligned copy: the values start <paramref name="offset"/> floats into a longer array.</summary>
    private static ReadOnlySpan<float> At(float[] values, int offset)
    {
        var a = new float[values.Length + offset];
        values.CopyTo(a, offset);
        return a.AsSpan(offset);
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Window_passes_match_their_scalar_references_bit_for_bit(int n)
    {
        var rng = new Random(100 + n);
        for (int kind = 0; kind < 8; kind++)
            for (int offset = 0; offset < 3; offset++)
            {
                var x = At(Values(n, kind, rng), offset);
                foreach (var (lo, hi) in new[] { (double.NegativeInfinity, double.PositiveInfinity), (100.0, 140.0), (-0.5, 0.5), (0.2, 0.2), (1.0, -1.0), (double.NaN, 5.0), (-1e30, 1e-3) })
                {
                    var expected = MeanClipKernels.WindowSumsReference(x, lo, hi);
                    var actual = MeanClipKernels.WindowSums(x, lo, hi);
                    Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Sum), BitConverter.DoubleToInt64Bits(actual.Sum));
                    Assert.Equal(expected.Count, actual.Count);
                    var inside = x.ToArray().Where(v => v >= lo && v <= hi).Select(v => Math.Abs((double)v)).ToArray();
                    Assert.Equal(inside.Length, actual.Count);
                    Assert.Equal((inside.Where(a => a != 0).DefaultIfEmpty(double.PositiveInfinity).Min(), inside.DefaultIfEmpty(0).Max()),
                                 MeanClipKernels.WindowMagnitudes(x, lo, hi));
                    foreach (double mean in new[] { 0.0, 123.4, double.NaN })
                        Assert.Equal(BitConverter.DoubleToInt64Bits(MeanClipKernels.WindowSquaresReference(x, lo, hi, mean)),
                                     BitConverter.DoubleToInt64Bits(MeanClipKernels.WindowSquares(x, lo, hi, mean)));
                }
                foreach (var (a1, a2, b1, b2) in new[] { (100f, 120f, 130f, 140f), (-1f, 0f, 0f, 1f), (float.NegativeInfinity, 0f, 0.5f, float.PositiveInfinity), (2f, 2f, 3f, 3f) })
                    Assert.Equal(MeanClipKernels.CountInZonesReference(x, a1, a2, b1, b2), MeanClipKernels.CountInZones(x, a1, a2, b1, b2));
            }
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Bracket_pass_matches_its_scalar_reference(int n)
    {
        var rng = new Random(200 + n);
        for (int kind = 0; kind < 8; kind++)
            for (int offset = 0; offset < 3; offset++)
            {
                var x = At(Values(n, kind, rng), offset);
                var sorted = x.ToArray().Where(float.IsFinite).Order().ToArray();
                float Pick(double q) => sorted.Length == 0 ? 0 : sorted[(int)(q * (sorted.Length - 1))];
                foreach (int cap in new[] { n, n / 3, 2 })
                {
                    MeanClipKernels.Bracket[] expected =
                    [
                        new() { Lower = float.NegativeInfinity, Upper = Pick(0.3) },
                        new() { Lower = Pick(0.4), Upper = Pick(0.6) },
                        new() { Lower = Pick(0.7), Upper = Pick(0.7) },
                    ];
                    var actual = expected.ToArray();
                    float[][] eb = [new float[cap], new float[cap], new float[cap]], ab = [new float[cap], new float[cap], new float[cap]];
                    bool ok = MeanClipKernels.BracketsReference(x, expected, eb[0], eb[1], eb[2]);
                    Assert.Equal(ok, MeanClipKernels.Brackets(x, actual, ab[0], ab[1], ab[2]));
                    Assert.Equal(ok, kind != 7 || n == 0 || x.ToArray().All(float.IsFinite) ? ok : false);
                    if (!ok) continue;
                    Assert.Equal(expected, actual);
                    for (int j = 0; j < 3; j++)
                    {
                        Assert.Equal(eb[j][..expected[j].Filled], ab[j][..actual[j].Filled]);
                        Assert.Equal(x.ToArray().Count(v => v < expected[j].Lower), actual[j].Below);
                        Assert.Equal(x.ToArray().Count(v => v <= expected[j].Upper), actual[j].AtOrBelowUpper);
                    }
                }
            }
    }

    public static TheoryData<int> ClipLengths => [.. Enumerable.Range(1, 40), 255, 1000, 4099, 20000, 100003];

    [Theory, MemberData(nameof(ClipLengths))]
    public void Fast_clipped_mean_is_the_reference_bit_for_bit_or_declines(int n)
    {
        var rng = new Random(300 + n);
        for (int kind = 0; kind < 8; kind++)
            foreach (var (sigma, iterations) in new[] { (3.0, 3), (2.0, 1), (1.5, 5) })
            {
                var values = Values(n, kind, rng);
                var original = values.ToArray();
                bool fast = StackStatistics.TryMeanClipFast(values, sigma, iterations, out double mean);
                Assert.Equal(original, values);   // the fast path reads only
                double expected = StackStatistics.MeanClipReference(values.ToArray(), sigma, iterations);
                if (fast) Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(mean));
                // It must take the fast path where the data allow: finite values of a moderate range, no window edge on a
                // value (whole numbers can meet an edge exactly, a wide range can make a sum round); it declines NaN, inf.
                if (kind is 0 or 5) Assert.True(fast, $"kind {kind} declined");
                if (kind == 7 && original.Any(v => !float.IsFinite(v))) Assert.False(fast);
                if (kind != 7)
                    Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(StackStatistics.MeanClip(values.ToArray(), sigma, iterations)));
            }
    }

    [Fact]
    public void A_large_variance_plane_takes_the_fast_path_and_matches()
    {
        var rng = new Random(7);
        var values = Variances(1 << 20, rng);
        Assert.True(StackStatistics.TryMeanClipFast(values, 3, 3, out double mean));
        double expected = StackStatistics.MeanClipReference(values.ToArray(), 3, 3);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(mean));
        Assert.InRange(mean, 120, 150);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-1e-40)]
    [InlineData(3.4e38)]
    [InlineData(-3.5e38)]
    [InlineData(1e300)]
    [InlineData(0.1)]
    public void Float_rounding_of_window_edges_keeps_the_comparisons(double d)
    {
        float up = StackStatistics.CeilToFloat(d), down = StackStatistics.FloorToFloat(d);
        foreach (float v in new[] { up, down, MathF.BitIncrement(up), MathF.BitDecrement(up), MathF.BitIncrement(down), MathF.BitDecrement(down), float.MaxValue, float.MinValue })
        {
            Assert.Equal(v >= d, v >= up);
            Assert.Equal(v <= d, v <= down);
        }
    }
}
