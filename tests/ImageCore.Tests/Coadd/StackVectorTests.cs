using ImageCore.Coadd;
using ImageCore.Images;
using ImageCore.Memory;

namespace ImageCore.Tests.Coadd;

public class StackVectorTests
{
    [Fact]
    public void The_sorting_network_sorts_every_size_up_to_80()
    {
        var rng = new Random(1);
        for (int n = 1; n <= 80; n++)
        {
            var network = StackVector.SortingNetwork(n);
            for (int trial = 0; trial < 50; trial++)
            {
                var a = Enumerable.Range(0, n).Select(_ => (double)rng.Next(-5, 6)).ToArray();
                var expected = a.Order().ToArray();
                foreach (var (i, j) in network)
                {
                    Assert.True(i < j && j < n);
                    if (a[i] > a[j]) (a[i], a[j]) = (a[j], a[i]);
                }
                Assert.Equal(expected, a);
            }
        }
    }

    public static TheoryData<CoaddStatistic, bool, int> Cases()
    {
        var data = new TheoryData<CoaddStatistic, bool, int>();
        foreach (var statistic in new[] { CoaddStatistic.MeanClip, CoaddStatistic.Median })
            foreach (bool variance in new[] { true, false })
                foreach (int n in new[] { 1, 2, 3, 5, 8, 16, 17, 33 })
                    data.Add(statistic, variance, n);
        return data;
    }

    /// <summary>The vector path equals the scalar reference bit for bit on random stacks with NaN, infinities, zero and NaN
    /// variances, masked samples of every kind, outliers, ties, and widths that leave 1 to 3 columns for the scalar tail.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void Vector_rows_equal_the_scalar_reference(CoaddStatistic statistic, bool useVariance, int n)
    {
        var mask = new Mask(1, 1);
        foreach (string plane in Coadder.CoaddMaskPlanes) mask.AddPlane(plane);
        var rules = Coadder.Rules(new CoaddConfig { Statistic = statistic }, mask, useVariance);
        int[] bits = [0, 0, 0, 0, 0, mask.GetBitMask("BAD"), mask.GetBitMask("SAT"), mask.GetBitMask("EDGE"), mask.GetBitMask("NO_DATA"),
                      mask.GetBitMask("DETECTED"), mask.GetBitMask("SUSPECT") | mask.GetBitMask("CR"), unchecked((int)0x80000000)];
        var rng = new Random(n * 31 + (int)statistic * 7 + (useVariance ? 1 : 0));
        foreach (int width in new[] { 4, 37, 130 })
        {
            var x = new Plane<float>[n];
            var v = new Plane<float>[n];
            var m = new Plane<int>[n];
            try
            {
                var scratch = new StackVector.Scratch(n);
                var fallback = new StackVector.ScalarScratch(n);
                var weights = Enumerable.Range(0, n).Select(_ => 0.5 + rng.NextDouble()).ToArray();
                for (int k = 0; k < n; k++)
                {
                    (x[k], v[k], m[k]) = (new Plane<float>(width, 1), new Plane<float>(width, 1), new Plane<int>(width, 1));
                    for (int c = 0; c < width; c++)
                    {
                        double u = rng.NextDouble();
                        x[k][c, 0] = u switch
                        {
                            < 0.05 => float.NaN,
                            < 0.07 => float.PositiveInfinity,
                            < 0.09 => float.NegativeInfinity,
                            < 0.15 => 100 + 50 * (float)rng.NextDouble(),             // outliers
                            < 0.25 => 3,                                              // ties
                            _ => (float)(10 + 2 * NextGaussian(rng)),
                        };
                        double uv = rng.NextDouble();
                        v[k][c, 0] = uv < 0.03 ? float.NaN : uv < 0.05 ? 0 : uv < 0.06 ? float.PositiveInfinity : (float)(1 + rng.NextDouble());
                        m[k][c, 0] = bits[rng.Next(bits.Length)] | (rng.NextDouble() < 0.1 ? bits[rng.Next(bits.Length)] : 0);
                    }
                    scratch.Rows[k] = (nint)x[k].Pointer;
                    scratch.Rows[n + k] = (nint)v[k].Pointer;
                    scratch.Rows[2 * n + k] = (nint)m[k].Pointer;
                }
                var image = new float[width];
                var variance = new float[width];
                var outMask = new int[width];
                StackVector.Row(scratch, weights, rules, 0, width, image, variance, outMask, fallback);
                var sx = new float[n];
                var sv = new float[n];
                var sm = new int[n];
                for (int c = 0; c < width; c++)
                {
                    for (int k = 0; k < n; k++) (sx[k], sv[k], sm[k]) = (x[k][c, 0], useVariance ? v[k][c, 0] : 0, m[k][c, 0]);
                    StackStatistics.Pixel(sx, sv, sm, weights, rules, new double[n], new double[n], new double[n], new int[n], new double[n],
                                          out float ei, out float ev, out int em);
                    Assert.True(BitConverter.SingleToInt32Bits(ei) == BitConverter.SingleToInt32Bits(image[c]) || (ei == 0 && image[c] == 0),
                                $"n {n} width {width} column {c}: image {image[c]:R} vs scalar {ei:R}");
                    Assert.True(BitConverter.SingleToInt32Bits(ev) == BitConverter.SingleToInt32Bits(variance[c]) || (ev == 0 && variance[c] == 0),
                                $"n {n} width {width} column {c}: variance {variance[c]:R} vs scalar {ev:R}");
                    Assert.True(em == outMask[c], $"n {n} width {width} column {c}: mask {outMask[c]:X} vs scalar {em:X}");
                }
            }
            finally
            {
                foreach (var p in x) p?.Dispose();
                foreach (var p in v) p?.Dispose();
                foreach (var p in m) p?.Dispose();
            }
        }
    }

    /// <summary>MEAN's sums added four pixels at a time equal the scalar reference bit for bit (through the finished pixels),
    /// with and without input variances, thresholded planes, NaN and infinities, odd widths and unaligned row starts.</summary>
    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 7)]
    [InlineData(false, 1)]
    [InlineData(false, 16)]
    public void Vector_mean_sums_equal_the_scalar_reference(bool useVariance, int n)
    {
        var mask = new Mask(1, 1);
        foreach (string plane in Coadder.CoaddMaskPlanes) mask.AddPlane(plane);
        var config = new CoaddConfig { Statistic = CoaddStatistic.Mean, MaskPropagationThresholds = new Dictionary<string, double> { ["SAT"] = 0.1, ["EDGE"] = 0.3 } };
        var rules = Coadder.Rules(config, mask, useVariance);
        Assert.Equal(2, rules.Thresholds.Length);
        int[] bits = [0, 0, 0, 0, mask.GetBitMask("BAD"), mask.GetBitMask("SAT"), mask.GetBitMask("EDGE"), mask.GetBitMask("NO_DATA"), mask.GetBitMask("DETECTED")];
        var rng = new Random(n * 7 + (useVariance ? 1 : 0));
        foreach (int width in new[] { 1, 2, 3, 4, 5, 9, 37, 130 })
        {
            const int Rows = 3, Offset = 1;   // row starts one element past the arrays' starts
            var vector = new StackStatistics.MeanSums(width, Rows, rules, vectorized: true);
            var scalar = new StackStatistics.MeanSums(width, Rows, rules, vectorized: false);
            var x = new float[width + Offset];
            var v = new float[width + Offset];
            var m = new int[width + Offset];
            for (int k = 0; k < n; k++)
            {
                double w = 0.5 + rng.NextDouble();
                vector.AddWeight(w);
                scalar.AddWeight(w);
                for (int y = 0; y < Rows; y++)
                {
                    for (int c = Offset; c < x.Length; c++)
                    {
                        double u = rng.NextDouble();
                        x[c] = u < 0.05 ? float.NaN : u < 0.07 ? float.PositiveInfinity : u < 0.09 ? float.NegativeInfinity : u < 0.12 ? -0f
                             : (float)(10 + 3 * NextGaussian(rng));
                        double uv = rng.NextDouble();
                        v[c] = uv < 0.03 ? float.NaN : uv < 0.05 ? 0 : uv < 0.06 ? float.PositiveInfinity : (float)(1 + rng.NextDouble());
                        m[c] = bits[rng.Next(bits.Length)];
                    }
                    vector.AddRow(y, x.AsSpan(Offset), v.AsSpan(Offset), m.AsSpan(Offset), w);
                    scalar.AddRow(y, x.AsSpan(Offset), v.AsSpan(Offset), m.AsSpan(Offset), w);
                }
            }
            for (int y = 0; y < Rows; y++)
            {
                float[] vi = new float[width], vv = new float[width], si = new float[width], sv = new float[width];
                int[] vm = new int[width], sm = new int[width];
                vector.FinishRow(y, vi, vv, vm);
                scalar.FinishRow(y, si, sv, sm);
                for (int c = 0; c < width; c++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(si[c]) == BitConverter.SingleToInt32Bits(vi[c]), $"n {n} width {width} ({c}, {y}): image {vi[c]:R} vs scalar {si[c]:R}");
                    Assert.True(BitConverter.SingleToInt32Bits(sv[c]) == BitConverter.SingleToInt32Bits(vv[c]), $"n {n} width {width} ({c}, {y}): variance {vv[c]:R} vs scalar {sv[c]:R}");
                    Assert.True(sm[c] == vm[c], $"n {n} width {width} ({c}, {y}): mask {vm[c]:X} vs scalar {sm[c]:X}");
                }
            }
        }
    }

    private static double NextGaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
