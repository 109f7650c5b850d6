using System.Runtime.Intrinsics;
using ImageCore.Characterize;
using ImageCore.Simd;

namespace ImageCore.Tests.Characterize;

/// <summary>Every vector kernel of the cosmic-ray finder against its scalar reference, at every width, on random
/// data with and without NaN, infinities and signed zeros, at lengths around each vector size; the median networks
/// against sorting.</summary>
public class CosmicRayKernelTests
{
    public static TheoryData<int> Lengths => [.. Enumerable.Range(0, 35), 63, 64, 65, 255, 257];

    private static float[] Data(Random rng, int n, bool special)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2000 - 500);
        if (special)
        {
            float[] odd = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, 1e-6f];
            for (int i = 0; i < n; i += 3) a[i] = odd[rng.Next(odd.Length)];
        }
        return a;
    }

    private static IEnumerable<(bool Special, Random Rng)> Cases(int n)
    {
        yield return (false, new Random(n));
        yield return (true, new Random(n + 5000));
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Laplacian_matches_its_scalar_reference(int n)
    {
        foreach (var (special, rng) in Cases(n))
        {
            float[] up = Data(rng, n, special), mid = Data(rng, n + 2, special), down = Data(rng, n, special), noise = Data(rng, n, special);
            var expected = new float[n];
            CosmicRayKernels.LaplacianScalar(up, mid, down, noise, expected);
            var actual = new float[n];
            CosmicRayKernels.Laplacian(up, mid, down, noise, actual);
            Assert.Equal(expected, actual);
            AssertWidths(expected, o => CosmicRayKernels.Laplacian<Width128, Vector128<float>, MinMax128>(up, mid, down, noise, o),
                o => CosmicRayKernels.Laplacian<Width256, Vector256<float>, MinMax256>(up, mid, down, noise, o),
                o => CosmicRayKernels.Laplacian<Width512, Vector512<float>, MinMax512>(up, mid, down, noise, o));
        }
    }

    [Fact]
    public void Laplacian_is_the_subsampled_clipped_laplacian_averaged_back()
    {
        // Direct construction: subsample 3x3 pixels 2x, convolve with [[0,-1,0],[-1,4,-1],[0,-1,0]], clip, average the
        // centre pixel's 2x2 block, divide by 2 noise.
        var rng = new Random(11);
        for (int trial = 0; trial < 200; trial++)
        {
            var p = new float[3, 3];
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++) p[y, x] = (float)(rng.NextDouble() * 100);
            float noise = 2.5f;
            double sum = 0;
            for (int b = 0; b < 2; b++)
                for (int a = 0; a < 2; a++)
                {
                    int sy = 2 + b, sx = 2 + a;   // subsampled coordinates of the centre pixel's block (origin at pixel 0)
                    float Sub(int yy, int xx) => p[yy / 2, xx / 2];
                    double lap = 4.0 * Sub(sy, sx) - Sub(sy - 1, sx) - Sub(sy + 1, sx) - Sub(sy, sx - 1) - Sub(sy, sx + 1);
                    sum += Math.Max(0, lap);
                }
            double expected = sum / 4 / (2 * noise);
            var s = new float[1];
            CosmicRayKernels.LaplacianScalar([p[0, 1]], [p[1, 0], p[1, 1], p[1, 2]], [p[2, 1]], [noise], s);
            Assert.Equal(expected, s[0], 1e-3);
        }
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Row_and_column_medians_match_their_scalar_references(int n)
    {
        foreach (int width in new[] { 3, 5, 7, 9 })
            foreach (var (special, rng) in Cases(n * 10 + width))
            {
                float[] row = Data(rng, n + width - 1, special);
                var expected = new float[n];
                CosmicRayKernels.RowMedianScalar(row, width, expected);
                var actual = new float[n];
                CosmicRayKernels.RowMedian(row, width, actual);
                Assert.Equal(expected, actual);
                AssertWidths(expected, o => CosmicRayKernels.RowMedian<Width128, Vector128<float>, MinMax128>(row, width, o),
                    o => CosmicRayKernels.RowMedian<Width256, Vector256<float>, MinMax256>(row, width, o),
                    o => CosmicRayKernels.RowMedian<Width512, Vector512<float>, MinMax512>(row, width, o));

                if (!special)
                    for (int i = 0; i < n; i++)
                    {
                        var window = row.AsSpan(i, width).ToArray();
                        Array.Sort(window);
                        Assert.Equal(window[width / 2], expected[i]);
                    }

                int stride = n + 3;
                float[] block = Data(rng, (width - 1) * stride + n, special);
                CosmicRayKernels.ColumnMedianScalar(block, stride, width, expected);
                CosmicRayKernels.ColumnMedian(block, stride, width, actual);
                Assert.Equal(expected, actual);
                AssertWidths(expected, o => CosmicRayKernels.ColumnMedian<Width128, Vector128<float>, MinMax128>(block, stride, width, o),
                    o => CosmicRayKernels.ColumnMedian<Width256, Vector256<float>, MinMax256>(block, stride, width, o),
                    o => CosmicRayKernels.ColumnMedian<Width512, Vector512<float>, MinMax512>(block, stride, width, o));
            }
    }

    [Fact]
    public void Median_networks_are_exact_on_every_zero_one_input_and_on_random_ties()
    {
        // The 0-1 principle: a min/max network selects the median of every input iff it does so for all 0-1 inputs.
        foreach (int width in new[] { 3, 5, 7, 9 })
        {
            for (int bits = 0; bits < 1 << width; bits++)
            {
                var v = new float[9];
                int ones = 0;
                for (int k = 0; k < width; k++)
                {
                    v[k] = (bits >> k) & 1;
                    ones += (bits >> k) & 1;
                }
                float expected = ones > width / 2 ? 1f : 0f;
                Assert.Equal(expected, CosmicRayKernels.Median<ScalarMinMax, float>(width, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]));
            }
            var rng = new Random(width);
            for (int trial = 0; trial < 2000; trial++)
            {
                var v = new float[9];
                for (int k = 0; k < width; k++) v[k] = rng.Next(4);   // many ties
                var sorted = v[..width];
                Array.Sort(sorted);
                Assert.Equal(sorted[width / 2], CosmicRayKernels.Median<ScalarMinMax, float>(width, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]));
            }
        }
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Candidates_match_their_scalar_reference(int n)
    {
        foreach (float seed in new[] { 4.5f, float.NegativeInfinity })
            foreach (var (special, rng) in Cases(n + (seed > 0 ? 0 : 777)))
            {
                float[] c = Data(rng, n, special), sp = Data(rng, n, special), m5 = Data(rng, n, special), m9 = Data(rng, n, special), nz = Data(rng, n, special);
                for (int i = 0; i < n; i++) sp[i] *= 0.02f;   // around the limits
                var expected = new float[n];
                CosmicRayKernels.CandidatesScalar(c, sp, m5, m9, nz, 4.5f, 5f, seed, expected);
                var actual = new float[n];
                CosmicRayKernels.Candidates(c, sp, m5, m9, nz, 4.5f, 5f, seed, actual);
                Assert.Equal(expected, actual);
                AssertWidths(expected, o => CosmicRayKernels.Candidates<Width128, Vector128<float>, MinMax128>(c, sp, m5, m9, nz, 4.5f, 5f, seed, o),
                    o => CosmicRayKernels.Candidates<Width256, Vector256<float>, MinMax256>(c, sp, m5, m9, nz, 4.5f, 5f, seed, o),
                    o => CosmicRayKernels.Candidates<Width512, Vector512<float>, MinMax512>(c, sp, m5, m9, nz, 4.5f, 5f, seed, o));
                Assert.All(expected, v => Assert.True(v is 0f or 1f));
            }
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Dilation_steps_and_noise_match_their_scalar_references(int n)
    {
        foreach (var (special, rng) in Cases(n + 99))
        {
            float[] row = Data(rng, n + 2, special);
            var expected = new float[n];
            CosmicRayKernels.RowMax3Scalar(row, expected);
            var actual = new float[n];
            CosmicRayKernels.RowMax3(row, actual);
            Assert.Equal(expected, actual);
            AssertWidths(expected, o => CosmicRayKernels.RowMax3<Width128, Vector128<float>, MinMax128>(row, o),
                o => CosmicRayKernels.RowMax3<Width256, Vector256<float>, MinMax256>(row, o),
                o => CosmicRayKernels.RowMax3<Width512, Vector512<float>, MinMax512>(row, o));

            float[] r0 = Mask(rng, n), r1 = Mask(rng, n), r2 = Mask(rng, n), sp = Data(rng, n, special);
            CosmicRayKernels.ColumnMax3GateScalar(r0, r1, r2, sp, 100f, expected);
            CosmicRayKernels.ColumnMax3Gate(r0, r1, r2, sp, 100f, actual);
            Assert.Equal(expected, actual);
            AssertWidths(expected, o => CosmicRayKernels.ColumnMax3Gate<Width128, Vector128<float>, MinMax128>(r0, r1, r2, sp, 100f, o),
                o => CosmicRayKernels.ColumnMax3Gate<Width256, Vector256<float>, MinMax256>(r0, r1, r2, sp, 100f, o),
                o => CosmicRayKernels.ColumnMax3Gate<Width512, Vector512<float>, MinMax512>(r0, r1, r2, sp, 100f, o));

            float[] v = Data(rng, n, special);
            for (int i = 0; i < n; i += 4) v[i] = -v[i];
            float[] e = (float[])v.Clone(), a = (float[])v.Clone();
            CosmicRayKernels.NoiseFromVarianceScalar(e);
            CosmicRayKernels.NoiseFromVariance(a);
            Assert.Equal(e, a);
            foreach (var run in new Func<float[], nuint>[]
            {
                o => CosmicRayKernels.NoiseFromVariance<Width128, Vector128<float>, MinMax128>(o),
                o => CosmicRayKernels.NoiseFromVariance<Width256, Vector256<float>, MinMax256>(o),
                o => CosmicRayKernels.NoiseFromVariance<Width512, Vector512<float>, MinMax512>(o),
            })
            {
                float[] w = (float[])v.Clone();
                int done = (int)run(w);
                CosmicRayKernels.NoiseFromVarianceScalar(w.AsSpan(done));
                Assert.Equal(e, w);
            }
        }
    }

    private static float[] Mask(Random rng, int n)
    {
        var m = new float[n];
        for (int i = 0; i < n; i++) m[i] = rng.Next(5) == 0 ? 1f : 0f;
        return m;
    }

    /// <summary>Runs each width's vector part on a fresh output, finishes with the reference's values for the tail,
    /// and compares with the reference.</summary>
    private static void AssertWidths(float[] expected, params Func<float[], nuint>[] widths)
    {
        foreach (var run in widths)
        {
            var o = Enumerable.Repeat(-12345f, expected.Length).ToArray();
            int done = (int)run(o);
            Assert.InRange(done, 0, expected.Length);
            Assert.True(expected.Length - done < 16, $"a vector path left {expected.Length - done} of {expected.Length} to the tail");
            Assert.Equal(expected[..done], o[..done]);
        }
    }
}
