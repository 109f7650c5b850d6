using System.Runtime.Intrinsics;
using ImageCore.Isr;
using ImageCore.Simd;

namespace ImageCore.Tests.Isr;

/// <summary>The fused ISR kernels at every vector width against their scalar references, bit for bit.</summary>
public class IsrPixelPassTests
{
    public static TheoryData<int> Lengths => [.. Enumerable.Range(0, 40), 63, 64, 65, 255, 256, 257, 509, 4099];

    private static readonly float[] Special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, float.MaxValue, -1e30f];

    private static float[] Values(Random rng, int n, double lo, double hi, bool edges)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(lo + rng.NextDouble() * (hi - lo));
        if (edges) for (int i = rng.Next(3); i < n; i += 5) a[i] = Special[rng.Next(Special.Length)];
        return a;
    }

    private static int[] Bits(Random rng, int n)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = rng.Next(8) == 0 ? 1 << rng.Next(12) : 0;
        return a;
    }

    private static void AssertBitsEqual(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: scalar {expected[i]:R} vs vector {actual[i]:R}");
    }

    /// <summary>The inputs of one row and three sets of outputs.</summary>
    private sealed class RowData
    {
        public readonly float[] Raw, Column, Bias, BiasVar, Dark, DarkVar, Flat, FlatVar;
        public readonly int[] RawMask, BiasMask, DarkMask, FlatMask;
        public RowData(int n, int seed, bool edges)
        {
            var rng = new Random(seed);
            Raw = Values(rng, n, -200, 160_000, edges);
            Column = Values(rng, n, -5, 5, edges && seed % 2 == 0);
            Bias = Values(rng, n, -20, 20, edges);
            BiasVar = Values(rng, n, -1, 4, edges);
            Dark = Values(rng, n, 0, 0.5, edges);
            DarkVar = Values(rng, n, 0, 0.01, edges);
            Flat = Values(rng, n, -0.1, 1.3, edges);
            FlatVar = Values(rng, n, 0, 1e-4, edges);
            RawMask = Bits(rng, n); BiasMask = Bits(rng, n); DarkMask = Bits(rng, n); FlatMask = Bits(rng, n);
        }

        public IsrPixelRow Row(int offset, float[] image, float[] variance, int[] mask) => new()
        {
            Raw = Raw.AsSpan(offset), RawMask = RawMask.AsSpan(offset), ColumnLevel = Column.AsSpan(offset),
            Bias = Bias.AsSpan(offset), BiasVariance = BiasVar.AsSpan(offset), BiasMask = BiasMask.AsSpan(offset),
            Dark = Dark.AsSpan(offset), DarkVariance = DarkVar.AsSpan(offset), DarkMask = DarkMask.AsSpan(offset),
            Flat = Flat.AsSpan(offset), FlatVariance = FlatVar.AsSpan(offset), FlatMask = FlatMask.AsSpan(offset),
            Image = image.AsSpan(offset), Variance = variance.AsSpan(offset), Mask = mask.AsSpan(offset),
        };
    }

    private delegate nuint Width(ref IsrPixelRow row, in IsrAmplifierScalars c, ref IsrUnusablePixels unusable);

    private static readonly (string Name, Width Run)[] Widths =
    [
        ("512", (ref IsrPixelRow r, in IsrAmplifierScalars c, ref IsrUnusablePixels u) => IsrPixelPass.Calibrate<Width512, Vector512<float>>(ref r, c, ref u)),
        ("256", (ref IsrPixelRow r, in IsrAmplifierScalars c, ref IsrUnusablePixels u) => IsrPixelPass.Calibrate<Width256, Vector256<float>>(ref r, c, ref u)),
        ("128", (ref IsrPixelRow r, in IsrAmplifierScalars c, ref IsrUnusablePixels u) => IsrPixelPass.Calibrate<Width128, Vector128<float>>(ref r, c, ref u)),
        ("dispatch", (ref IsrPixelRow r, in IsrAmplifierScalars c, ref IsrUnusablePixels u) => { u += IsrPixelPass.Calibrate(ref r, c); return (nuint)r.Raw.Length; }),
    ];

    [Theory, MemberData(nameof(Lengths))]
    public void Calibrate_matches_its_scalar_reference_at_every_width(int n)
    {
        // k = 0 (linear), realistic, and large enough that bright pixels pass the turning point.
        foreach (float k in new[] { 0f, 1e-7f, 2e-5f })
            foreach (bool edges in new[] { false, true })
                foreach (int offset in new[] { 0, 1, 3 })
                {
                    var d = new RowData(n + offset, n * 31 + offset + (edges ? 7 : 0), edges);
                    var c = new IsrAmplifierScalars(k, 1.47f, 30.5f, 38.4f, 1 << 12, 1);
                    float[] image = new float[n + offset], variance = new float[n + offset];
                    int[] mask = new int[n + offset];
                    var reference = d.Row(offset, image, variance, mask);
                    var expectedUnusable = IsrPixelPass.CalibrateScalar(ref reference, c);
                    foreach (var (name, run) in Widths)
                    {
                        float[] vi = Enumerable.Repeat(-7f, n + offset).ToArray(), vv = Enumerable.Repeat(-7f, n + offset).ToArray();
                        int[] vm = Enumerable.Repeat(-7, n + offset).ToArray();
                        var row = d.Row(offset, vi, vv, vm);
                        var unusable = default(IsrUnusablePixels);
                        int done = (int)run(ref row, c, ref unusable);
                        if (done < n)
                        {
                            var tail = IsrPixelPass.Slice(ref row, done);
                            unusable += IsrPixelPass.CalibrateScalar(ref tail, c);
                        }
                        string what = $"{name} k={k} edges={edges} offset={offset}";
                        Assert.True(expectedUnusable == unusable, $"{what}: unusable {unusable} vs scalar {expectedUnusable}");
                        AssertBitsEqual(image[offset..], vi[offset..], what + " image");
                        AssertBitsEqual(variance[offset..], vv[offset..], what + " variance");
                        Assert.Equal(mask[offset..], vm[offset..]);
                    }
                }
    }

    [Theory, MemberData(nameof(Lengths))]
    public void SubtractOverscanAndFlag_matches_its_scalar_reference_at_every_width(int n)
    {
        foreach (bool edges in new[] { false, true })
            foreach (int offset in new[] { 0, 1, 3 })
            {
                var rng = new Random(n * 13 + offset + (edges ? 5 : 0));
                float[] raw = Values(rng, n + offset, 14_000, 170_000, edges);
                float level = 15_012.5f, sat = 120_000f, suspect = 108_000f;
                float[] expected = (float[])raw.Clone();
                int[] expectedMask = new int[n + offset];
                IsrPixelPass.SubtractOverscanAndFlagScalar(expected.AsSpan(offset), level, expectedMask.AsSpan(offset), sat, 2, suspect, 128);
                foreach (string width in new[] { "512", "256", "128", "dispatch" })
                {
                    float[] actual = (float[])raw.Clone();
                    int[] mask = Enumerable.Repeat(-1, n + offset).ToArray();
                    Span<float> a = actual.AsSpan(offset);
                    Span<int> m = mask.AsSpan(offset);
                    nuint done = width switch
                    {
                        "512" => IsrPixelPass.SubtractOverscanAndFlag<Width512, Vector512<float>>(a, level, m, sat, 2, suspect, 128),
                        "256" => IsrPixelPass.SubtractOverscanAndFlag<Width256, Vector256<float>>(a, level, m, sat, 2, suspect, 128),
                        "128" => IsrPixelPass.SubtractOverscanAndFlag<Width128, Vector128<float>>(a, level, m, sat, 2, suspect, 128),
                        _ => 0,
                    };
                    if (width == "dispatch") IsrPixelPass.SubtractOverscanAndFlag(a, level, m, sat, 2, suspect, 128);
                    else IsrPixelPass.SubtractOverscanAndFlagScalar(a[(int)done..], level, m[(int)done..], sat, 2, suspect, 128);
                    AssertBitsEqual(expected[offset..], actual[offset..], width);
                    Assert.Equal(expectedMask[offset..], mask[offset..]);
                }
            }
    }

    [Theory]
    [InlineData(0, 509)]
    [InlineData(3, 509)]
    [InlineData(13, 4072)]
    [InlineData(15, 70)]
    public void Calibrate_into_aligned_planes_streams_and_still_matches(int offset, int n)
    {
        // Outputs in 64-byte-aligned planes at the same offset, as the post-ISR planes are: the dispatcher peels
        // to the boundary and the 512-bit path stores past the cache.
        var d = new RowData(n, 99 + offset, edges: true);
        var c = new IsrAmplifierScalars(1e-7f, 1.6f, 15f, 40f, 1 << 12, 1);
        float[] image = new float[n], variance = new float[n];
        int[] mask = new int[n];
        var reference = d.Row(0, image, variance, mask);
        IsrPixelPass.CalibrateScalar(ref reference, c);
        using var pi = new ImageCore.Memory.Plane<float>(offset + n, 1, clear: true);
        using var pv = new ImageCore.Memory.Plane<float>(offset + n, 1, clear: true);
        using var pm = new ImageCore.Memory.Plane<int>(offset + n, 1, clear: true);
        var row = d.Row(0, image, variance, mask);
        row.Image = pi.AsSpan2D().GetRowSpan(0)[offset..];
        row.Variance = pv.AsSpan2D().GetRowSpan(0)[offset..];
        row.Mask = pm.AsSpan2D().GetRowSpan(0)[offset..];
        IsrPixelPass.Calibrate(ref row, c);
        AssertBitsEqual(image, row.Image.ToArray(), "image");
        AssertBitsEqual(variance, row.Variance.ToArray(), "variance");
        Assert.Equal(mask, row.Mask.ToArray());
    }

    [Fact]
    public void Calibrate_follows_the_formulas_on_one_pixel()
    {
        // raw 1010 ADU, parallel overscan 10 -> 1000 ADU; linear; gain 2 -> 2000 e-; bias 100 (var 4);
        // dark 1 e-/s x 50 s (var 0.01 -> 25); read noise^2 9. Variance before the flat: 4 + 25 + (1850 + 9) = 1888.
        // Flat 0.5 (var 0.0001): image 3700, variance (1850^2 1e-4 + 0.25 1888) / 0.0625 = 13028.
        var d = new RowData(1, 1, false);
        d.Raw[0] = 1010; d.Column[0] = 10; d.Bias[0] = 100; d.BiasVar[0] = 4; d.Dark[0] = 1; d.DarkVar[0] = 0.01f;
        d.Flat[0] = 0.5f; d.FlatVar[0] = 1e-4f; d.RawMask[0] = 2; d.BiasMask[0] = 0; d.DarkMask[0] = 16; d.FlatMask[0] = 0;
        float[] image = new float[1], variance = new float[1];
        int[] mask = new int[1];
        var row = d.Row(0, image, variance, mask);
        IsrPixelPass.Calibrate(ref row, new IsrAmplifierScalars(0, 2, 50, 9, 1 << 12, 1));
        Assert.Equal(3700f, image[0]);
        Assert.Equal(13028.0, variance[0], 0.05);
        Assert.Equal(2 | 16, mask[0]);
    }

    [Fact]
    public void Non_finite_and_non_positive_variance_are_flagged()
    {
        var d = new RowData(3, 2, false);
        d.Raw[0] = float.NaN;                      // UNMASKEDNAN (and BAD: NaN variance is not > 0)
        d.Raw[1] = -5000; d.Column[1] = 0;         // a deep negative pixel: variance <= 0 -> BAD
        d.Raw[2] = 1000; d.Column[2] = 0; d.Flat[2] = 1; d.BiasVar[2] = 1; d.FlatVar[2] = 0;
        float[] image = new float[3], variance = new float[3];
        int[] mask = new int[3];
        Array.Clear(d.RawMask); Array.Clear(d.BiasMask); Array.Clear(d.DarkMask); Array.Clear(d.FlatMask);
        var row = d.Row(0, image, variance, mask);
        IsrPixelPass.Calibrate(ref row, new IsrAmplifierScalars(0, 1, 1, 1, 1 << 12, 1));
        Assert.Equal((1 << 12) | 1, mask[0]);
        Assert.Equal(1, mask[1]);
        Assert.Equal(0, mask[2]);
    }

    [Fact]
    public void Mismatched_row_lengths_are_rejected()
    {
        var d = new RowData(8, 3, false);
        float[] image = new float[8], variance = new float[7];
        int[] mask = new int[8];
        Assert.Throws<ArgumentException>(() =>
        {
            var row = d.Row(0, image, variance, mask);
            IsrPixelPass.Calibrate(ref row, new IsrAmplifierScalars(0, 1, 1, 1, 0, 1));
        });
    }

    [Fact]
    public void Unusable_calibration_pixels_are_flagged_BAD_not_applied_and_counted()
    {
        // Pixel by pixel: a good row, then each kind of unusable bias, dark and flat value. Every output stays finite
        // with a variance >= 0, and only the unusable pixels are BAD (bit 1).
        (string What, Action<RowData, int> Spoil, int Bias, int Dark, int Flat)[] cases =
        [
            ("good", (_, _) => { }, 0, 0, 0),
            ("bias NaN", (d, i) => d.Bias[i] = float.NaN, 1, 0, 0),
            ("bias +inf", (d, i) => d.Bias[i] = float.PositiveInfinity, 1, 0, 0),
            ("bias variance -1", (d, i) => d.BiasVar[i] = -1, 1, 0, 0),
            ("bias variance NaN", (d, i) => d.BiasVar[i] = float.NaN, 1, 0, 0),
            ("dark -inf", (d, i) => d.Dark[i] = float.NegativeInfinity, 0, 1, 0),
            ("dark variance +inf", (d, i) => d.DarkVar[i] = float.PositiveInfinity, 0, 1, 0),
            ("flat 0", (d, i) => d.Flat[i] = 0, 0, 0, 1),
            ("flat 1e-38", (d, i) => d.Flat[i] = 1e-38f, 0, 0, 1),
            ("flat denormal", (d, i) => d.Flat[i] = float.Epsilon, 0, 0, 1),
            ("flat -0.5", (d, i) => d.Flat[i] = -0.5f, 0, 0, 1),
            ("flat NaN", (d, i) => d.Flat[i] = float.NaN, 0, 0, 1),
            ("flat +inf", (d, i) => d.Flat[i] = float.PositiveInfinity, 0, 0, 1),
            ("flat variance -1e-3", (d, i) => d.FlatVar[i] = -1e-3f, 0, 0, 1),
            ("flat variance NaN", (d, i) => d.FlatVar[i] = float.NaN, 0, 0, 1),
        ];
        foreach (int n in new[] { 1, 7, 16, 33, 509 })
            foreach (var (what, spoil, nb, nd, nf) in cases)
            {
                var d = new RowData(n, n + 17, false);
                for (int i = 0; i < n; i++)
                {
                    d.Raw[i] = 20_000 + i; d.Column[i] = 3; d.Bias[i] = 5; d.BiasVar[i] = 2; d.Dark[i] = 0.1f; d.DarkVar[i] = 0.01f;
                    d.Flat[i] = 0.9f; d.FlatVar[i] = 1e-5f;
                }
                Array.Clear(d.RawMask); Array.Clear(d.BiasMask); Array.Clear(d.DarkMask); Array.Clear(d.FlatMask);
                int spoilt = n / 2;
                spoil(d, spoilt);
                var c = new IsrAmplifierScalars(1e-7f, 1.5f, 30f, 30f, 1 << 12, 1);
                float[] si = new float[n], sv = new float[n], vi = new float[n], vv = new float[n];
                int[] sm = new int[n], vm = new int[n];
                var reference = d.Row(0, si, sv, sm);
                var expected = IsrPixelPass.CalibrateScalar(ref reference, c);
                var row = d.Row(0, vi, vv, vm);
                var actual = IsrPixelPass.Calibrate(ref row, c);
                Assert.Equal(new IsrUnusablePixels(nb, nd, nf), expected);
                Assert.Equal(expected, actual);
                AssertBitsEqual(si, vi, what + " image");
                AssertBitsEqual(sv, vv, what + " variance");
                Assert.Equal(sm, vm);
                for (int i = 0; i < n; i++)
                {
                    Assert.True(float.IsFinite(vi[i]) && float.IsFinite(vv[i]) && vv[i] >= 0, $"{what} n={n} pixel {i}: {vi[i]}, variance {vv[i]}");
                    Assert.Equal(i == spoilt && nb + nd + nf > 0 ? 1 : 0, vm[i]);
                }
            }
    }
}
