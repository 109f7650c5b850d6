using ImageCore.Characterize;
using ImageCore.Memory;
using ImageCore.Simd;
using ImageCore.Simd.Ops;

namespace ImageCore.Tests.Characterize;

public class GaussianSmoothingTests
{
    private static float[] Noise(Random rng, int n, bool specials)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2000 - 1000);
        if (specials)
        {
            float[] s = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, 3e38f];
            for (int i = 0; i < n; i += 5) a[i] = s[rng.Next(s.Length)];
        }
        return a;
    }

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        foreach (int taps in new[] { 1, 3, 5, 7, 13, 25, 31 })
            foreach (int outputs in new[] { 0, 1, 2, 7, 15, 16, 17, 31, 33, 64, 100, 257 })
                data.Add(taps, outputs);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Row_pass_matches_its_scalar_reference(int taps, int outputs)
    {
        foreach (bool specials in new[] { false, true })
            foreach (int offset in new[] { 0, 1, 3 })
            {
                var rng = new Random(taps * 1000 + outputs * 7 + offset);
                float[] source = Noise(rng, outputs + taps - 1 + offset, specials);
                float[] kernel = GaussianSmoothing.Taps(1 + rng.NextDouble() * 3, taps / 2, squared: specials);
                float[] expected = new float[outputs], actual = new float[outputs + offset];
                GaussianSmoothing.RowPassScalar(source.AsSpan(offset), kernel, expected);
                GaussianSmoothing.RowPass(source.AsSpan(offset), kernel, actual.AsSpan(offset));
                Assert.Equal(expected, actual[offset..]);   // bit-exact; NaN equals NaN
            }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Column_pass_matches_its_scalar_reference(int taps, int outputs)
    {
        foreach (bool specials in new[] { false, true })
        {
            var rng = new Random(taps * 999 + outputs);
            using var rows = new Plane<float>(Math.Max(outputs, 1), taps);
            for (int r = 0; r < taps; r++) Noise(rng, rows.Width, specials).CopyTo(rows.GetRowSpan(r));
            float[] kernel = GaussianSmoothing.Taps(0.5 + rng.NextDouble() * 3, taps / 2, squared: false);
            float[] expected = new float[outputs], actual = new float[outputs];
            GaussianSmoothing.ColumnPassScalar(ref rows.GetRowSpan(0)[0], rows.Stride, kernel, expected);
            GaussianSmoothing.ColumnPass(ref rows.GetRowSpan(0)[0], rows.Stride, kernel, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Taps_are_a_normalised_Gaussian_and_smooth_a_delta_into_themselves()
    {
        float[] taps = GaussianSmoothing.Taps(2, 14, squared: false), squares = GaussianSmoothing.Taps(2, 14, squared: true);
        Assert.Equal(29, taps.Length);
        Assert.Equal(1.0, taps.Sum(t => (double)t), 6);
        for (int k = 0; k < 14; k++) Assert.Equal(taps[k], taps[28 - k]);
        Assert.Equal(1 / (2 * Math.Sqrt(Math.PI) * 2), squares.Sum(t => (double)t), 4);   // sum g^2 = 1 / (2 sqrt(pi) sigma)
        float[] delta = new float[29 + 28];
        delta[28] = 1;
        float[] smoothed = new float[29];
        GaussianSmoothing.RowPass(delta, taps, smoothed);
        for (int i = 0; i < 29; i++) Assert.Equal(taps[28 - i], smoothed[i]);
        // NaN and infinity reach exactly the outputs whose window holds them.
        float[] row = new float[40];
        row[20] = float.NaN;
        float[] out5 = new float[36];
        GaussianSmoothing.RowPass(row, GaussianSmoothing.Taps(1, 2, false), out5);
        for (int i = 0; i < 36; i++) Assert.Equal(i >= 16 && i <= 20, float.IsNaN(out5[i]));
        Assert.Throws<ArgumentException>(() => GaussianSmoothing.RowPass(new float[4], taps, new float[1]));
    }

    [Theory]
    [InlineData(0), InlineData(1), InlineData(7), InlineData(16), InlineData(33), InlineData(4099)]
    public void Significance_op_matches_its_scalar_reference(int n)
    {
        var rng = new Random(n);
        float[] x = Noise(rng, n, true), y = Noise(rng, n, true).Select(Math.Abs).ToArray(), expected = new float[n], actual = new float[n];
        if (n > 2) y[2] = 0;   // a zero variance: +-infinity or NaN, the same on both paths
        for (int i = 0; i < n; i++) expected[i] = DivideBySqrt.Invoke(x[i], y[i], 0);
        PixelDriver.Run<DivideBySqrt>(x, y, 0, actual);
        Assert.Equal(expected, actual);
    }
}

public class SkySubstituteTests
{
    [Theory]
    [InlineData(0), InlineData(1), InlineData(7), InlineData(8), InlineData(15), InlineData(16), InlineData(17), InlineData(40), InlineData(257)]
    public void The_vector_loops_match_the_scalar_reference(int n)
    {
        var rng = new Random(n + 77);
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 1e38f];
        float[] image = new float[n], variance = new float[n];
        int[] mask = new int[n];
        for (int i = 0; i < n; i++)
        {
            image[i] = rng.Next(8) == 0 ? special[rng.Next(special.Length)] : (float)rng.NextDouble() * 100;
            variance[i] = rng.Next(8) == 0 ? special[rng.Next(special.Length)] : (float)rng.NextDouble() * 10;
            mask[i] = rng.Next(4) == 0 ? 1 << rng.Next(31) : 0;
        }
        int excluded = (1 << 8) | 1 | (1 << 30);
        float[] ei = new float[n], ev = new float[n], ai = new float[n], av = new float[n];
        SourceDetection.SkySubstitute(image, variance, mask, excluded, 4.5f, ei, ev, vector: false);
        SourceDetection.SkySubstitute(image, variance, mask, excluded, 4.5f, ai, av, vector: true);
        Assert.Equal(ei, ai);
        Assert.Equal(ev, av);
        for (int i = 0; i < n; i++)
        {
            bool sky = (mask[i] & excluded) != 0 || !float.IsFinite(image[i]) || !float.IsFinite(variance[i]);
            Assert.Equal(sky ? 0f : image[i], ei[i]);
            Assert.Equal(sky ? 4.5f : variance[i], ev[i]);
        }
    }
}
