using ImageCore.Characterize;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Warp;

namespace ImageCore.Tests.Warp;

public class PsfMatchConvolutionTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>A kernel fitted over a 1100 px region (as a detector's, its variation per pixel is realistic) to a PSF
    /// whose width changes by 40% across it.</summary>
    private static readonly Lazy<PsfMatchingKernel> Fitted = new(() =>
        ModelPsfMatch.Solve(new Box2I(-500, -500, 1100, 1100), new VaryingGaussianPsf(25, 1.6, 0.6, 0.3, new Box2I(-500, -500, 1100, 1100)), new ModelPsfMatchConfig()).Kernel);

    private static PsfMatchingKernel Kernel(Box2I box) => Fitted.Value;

    private static MaskedImage Noise(Box2I box, int seed, bool specials)
    {
        var mi = new MaskedImage(box.Width, box.Height, box.Min);
        var rng = new Random(seed);
        int noData = mi.Mask.GetBitMask("NO_DATA"), bad = mi.Mask.GetBitMask("BAD");
        for (int y = box.MinY; y <= box.MaxY; y++)
            for (int x = box.MinX; x <= box.MaxX; x++)
            {
                mi.Image[x, y] = (float)(100 + 50 * rng.NextDouble() + 30 * Math.Sin(x * 0.3) * Math.Cos(y * 0.2));
                mi.Variance[x, y] = (float)(20 + 10 * rng.NextDouble());
                if (rng.NextDouble() < 0.002) mi.Mask.Image[x, y] = 1 << rng.Next(0, 8);
            }
        if (specials)
        {
            // NO_DATA holes as a warp has them (NaN, +inf), and an unflagged NaN and infinity.
            mi.Image[box.MinX + 50, box.MinY + 60] = float.NaN;
            mi.Variance[box.MinX + 50, box.MinY + 60] = float.PositiveInfinity;
            mi.Mask.Image[box.MinX + 50, box.MinY + 60] = noData;
            mi.Image[box.MinX + 90, box.MinY + 45] = float.PositiveInfinity;
            mi.Mask.Image[box.MinX + 90, box.MinY + 45] = bad;
            mi.Variance[box.MinX + 30, box.MinY + 95] = float.NaN;
        }
        return mi;
    }

    [Theory]
    [InlineData(0, 0, 131, 117, false)]
    [InlineData(3, 5, 97, 121, true)]
    [InlineData(1, 2, 43, 45, false)]
    [InlineData(0, 0, 40, 60, false)]
    public void Fast_route_matches_the_direct_reference(int dx, int dy, int w, int h, bool specials)
    {
        var full = new Box2I(-7, 11, 140, 130);
        using var src = Noise(full, w * 31 + h, specials);
        var sub = new Box2I(full.MinX + dx, full.MinY + dy, w, h);
        var kernel = Kernel(sub);
        using var fast = new MaskedImage(full.Width, full.Height, full.Min);
        using var reference = new MaskedImage(full.Width, full.Height, full.Min);
        for (int y = full.MinY; y <= full.MaxY; y++)
            for (int x = full.MinX; x <= full.MaxX; x++) { fast.Image[x, y] = 12345; fast.Mask.Image[x, y] = 1 << 20; }
        kernel.Convolve(src, sub, fast, maxDegreeOfParallelism: 2);
        PsfMatchConvolutionReference.Run(kernel, src, sub, reference);
        int noData = fast.Mask.GetBitMask("NO_DATA");
        double worstImage = 0, worstVar = 0;
        for (int y = full.MinY; y <= full.MaxY; y++)
            for (int x = full.MinX; x <= full.MaxX; x++)
            {
                if (!sub.Contains(new Point2I(x, y)))
                {
                    Assert.Equal(12345f, fast.Image[x, y]);
                    continue;
                }
                Assert.Equal(reference.Mask.Image[x, y], fast.Mask.Image[x, y]);
                float fi = fast.Image[x, y], ri = reference.Image[x, y], fv = fast.Variance[x, y], rv = reference.Variance[x, y];
                Assert.Equal(float.IsFinite(ri), float.IsFinite(fi));
                Assert.Equal(float.IsFinite(rv), float.IsFinite(fv));
                if (!float.IsFinite(fi) || !float.IsFinite(fv)) Assert.NotEqual(0, fast.Mask.Image[x, y] & noData);
                if (float.IsFinite(ri)) worstImage = Math.Max(worstImage, Math.Abs(fi - ri) / 200.0);
                if (float.IsFinite(rv)) worstVar = Math.Max(worstVar, Math.Abs(fv - rv) / rv);
            }
        output.WriteLine($"{sub}: largest image difference {worstImage:E2} of the data's range, variance {worstVar:E2} relative");
        Assert.True(worstImage < 1e-5, $"image {worstImage:E3}");
        Assert.True(worstVar < 3e-4, $"variance {worstVar:E3}");
    }

    [Fact]
    public void Border_is_no_data_and_no_data_grows_by_half_the_kernel()
    {
        var box = new Box2I(0, 0, 120, 110);
        using var src = Noise(box, 5, false);
        for (int y = 0; y < 110; y++) for (int x = 0; x < 120; x++) src.Mask.Image[x, y] = 0;
        int noData = src.Mask.GetBitMask("NO_DATA");
        src.Image[60, 55] = float.NaN;
        src.Variance[60, 55] = float.PositiveInfinity;
        src.Mask.Image[60, 55] = noData;
        using var dst = new MaskedImage(120, 110);
        Kernel(box).Convolve(src, box, dst);
        for (int y = 0; y < 110; y++)
            for (int x = 0; x < 120; x++)
            {
                bool border = x < 20 || y < 20 || x >= 100 || y >= 90;
                bool near = Math.Abs(x - 60) <= 20 && Math.Abs(y - 55) <= 20;
                if (border)
                {
                    Assert.True(float.IsNaN(dst.Image[x, y]));
                    Assert.Equal(float.PositiveInfinity, dst.Variance[x, y]);
                    Assert.Equal(noData, dst.Mask.Image[x, y]);
                }
                else if (near) Assert.Equal(noData, dst.Mask.Image[x, y]);
                else
                {
                    Assert.Equal(0, dst.Mask.Image[x, y]);
                    Assert.True(float.IsFinite(dst.Image[x, y]) && float.IsFinite(dst.Variance[x, y]));
                }
            }
    }

    [Fact]
    public void Variance_row_taps_from_their_polynomials_match_the_pixel_by_pixel_square()
    {
        var plan = new PsfMatchConvolution.Plan(Fitted.Value, new Box2I(-480, -480, 1060, 1060));
        int n = Fitted.Value.KernelSize, m = plan.Projection.Length;
        var fast = new float[5 * m * n];
        var reference = new float[5 * m * n];
        double worst = 0;
        foreach (double y in new[] { -520.0, -480, -3.5, 0, 17, 311, 579, 620 })
        {
            plan.VarianceRowTaps(y, fast);
            plan.VarianceRowTapsReference(y, new double[3 * n * n], new double[5 * n * n], reference);
            double scale = reference.Max(v => Math.Abs(v));
            for (int i = 0; i < fast.Length; i++) worst = Math.Max(worst, Math.Abs(fast[i] - reference[i]) / scale);
        }
        output.WriteLine($"largest difference {worst:E2} of the largest tap");
        Assert.True(worst < 1e-6, $"{worst:E3}");
    }

    [Fact]
    public void Cancellation_stops_it()
    {
        var box = new Box2I(0, 0, 300, 300);
        using var src = Noise(box, 1, false);
        using var dst = new MaskedImage(300, 300);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Kernel(box).Convolve(src, box, dst, 1, cts.Token));
        Assert.Throws<ArgumentException>(() => Kernel(box).Convolve(src, box, src));
        Assert.Throws<ArgumentException>(() => Kernel(box).Convolve(src, box.Grow(1), dst));
    }

    public static TheoryData<int> Lengths => [.. Enumerable.Range(0, 40), 63, 64, 65, 127, 128, 255, 257];

    [Theory, MemberData(nameof(Lengths))]
    public void Kernels_match_their_scalar_references(int n)
    {
        var rng = new Random(n + 7);
        float Next() => (float)(rng.NextDouble() - 0.5);
        float[] Values(int count, bool edges)
        {
            var v = Enumerable.Range(0, count).Select(_ => Next()).ToArray();
            if (edges && count > 40) { v[17] = float.NaN; v[31] = float.PositiveInfinity; v[38] = float.NegativeInfinity; }
            return v;
        }
        // Unaligned starts: everything at offset 1 of its array.
        float[] xn = Values(n + 1, false).Select(v => 2 * v).ToArray();
        foreach (int nt in new[] { 1, 3, 4, 5, 11, 13, 41 })
            foreach (int rows in new[] { 1, PsfMatchKernels.BlockRows })
            {
                int stride = n + 9;
                float[] plane = Values(1 + stride * (rows + nt), true), taps = Values(nt + 1, false);
                float[] a = Values(rows, false), b = Values(rows, false), c = Values(rows, false);
                float[] expected = Values(1 + rows * stride, false), actual = (float[])expected.Clone();
                PsfMatchKernels.WeightedColumnsScalar(ref plane[1], stride, taps.AsSpan(1), xn.AsSpan(1), a, b, c, expected.AsSpan(1), stride, rows, n);
                PsfMatchKernels.WeightedColumns(ref plane[1], stride, taps.AsSpan(1), xn.AsSpan(1), a, b, c, actual.AsSpan(1), stride, rows, n);
                Assert.Equal(expected, actual);
            }
        foreach (int nt in new[] { 1, 2, 5, 13, 41 })
        {
            float[] row = Values(n + nt, true), taps = Values(1 + 3 * nt, false);
            float[][] expected = [new float[n + 1], new float[n + 1], new float[n + 1]], actual = [new float[n + 1], new float[n + 1], new float[n + 1]];
            PsfMatchKernels.RowPasses3Scalar(row.AsSpan(1), taps.AsSpan(1), nt, expected[0].AsSpan(1), expected[1].AsSpan(1), expected[2].AsSpan(1));
            PsfMatchKernels.RowPasses3(row.AsSpan(1), taps.AsSpan(1), nt, actual[0].AsSpan(1), actual[1].AsSpan(1), actual[2].AsSpan(1));
            for (int f = 0; f < 3; f++) Assert.Equal(expected[f], actual[f]);
            // Each filter as the single-filter row pass sums it.
            var single = new float[n];
            GaussianSmoothing.RowPassScalar(row.AsSpan(1), taps.AsSpan(1 + nt, nt), single);
            Assert.Equal(single, actual[1][1..]);
        }
        foreach (int group in new[] { 1, 4, 16, 32 })
            foreach (int rows in new[] { 1, PsfMatchKernels.BlockRows })
                foreach (var (m, nt) in new[] { (1, 4), (3, 7), (9, 41) })
                {
                    int edges = (n + group - 1) / group + 1, stride = n + 7, planeStride = stride * (rows + nt) + 3;
                    float[] plane = Values(1 + m * planeStride, true), taps = Values(1 + rows * edges * m * nt, false);
                    float[] expected = new float[1 + rows * stride], actual = new float[expected.Length];
                    PsfMatchKernels.VarianceColumnsScalar(ref plane[1], planeStride, stride, m, nt, taps.AsSpan(1), edges, group, expected.AsSpan(1), stride, rows, n);
                    PsfMatchKernels.VarianceColumns(ref plane[1], planeStride, stride, m, nt, taps.AsSpan(1), edges, group, actual.AsSpan(1), stride, rows, n);
                    Assert.Equal(expected, actual);
                }
        {
            float[] coefficients = Values(1 + 5 * n, true), expected = new float[n + 1], actual = new float[n + 1];
            PsfMatchKernels.QuarticScalar(coefficients.AsSpan(1), 0.37f, expected.AsSpan(1));
            PsfMatchKernels.Quartic(coefficients.AsSpan(1), 0.37f, actual.AsSpan(1));
            Assert.Equal(expected, actual);
        }
        {
            float[] sum = Values(n + 1, true), variance = Values(n + 1, true).Select(Math.Abs).ToArray();
            if (n > 8) { sum[5] = 0; variance[6] = 0; xn[7] = float.NaN; }
            int[] mask1 = Enumerable.Range(0, n + 1).Select(_ => rng.Next(0, 4)).ToArray(), mask2 = (int[])mask1.Clone();
            float[] i1 = new float[n + 1], i2 = new float[n + 1], v1 = new float[n + 1], v2 = new float[n + 1];
            // sb = 0.25 sa makes s = 0 at xn = -4 out of range; sa = 0 in the second pass gives 0/0 and x/0 at xn = 0.
            foreach (float sa in new[] { 1.01f, 0f })
            {
                PsfMatchKernels.NormaliseScalar(sum.AsSpan(1), variance.AsSpan(1), xn.AsSpan(1), sa, 0.25f * sa, -0.1f, i1.AsSpan(1), v1.AsSpan(1), mask1.AsSpan(1), 64);
                PsfMatchKernels.Normalise(sum.AsSpan(1), variance.AsSpan(1), xn.AsSpan(1), sa, 0.25f * sa, -0.1f, i2.AsSpan(1), v2.AsSpan(1), mask2.AsSpan(1), 64);
                Assert.Equal(i1, i2);
                Assert.Equal(v1, v2);
                Assert.Equal(mask1, mask2);
            }
        }

        int width = 41;
        int[] bits = Enumerable.Range(0, n + width).Select(_ => rng.NextDouble() < 0.05 ? 1 << rng.Next(0, 31) : 0).ToArray();
        int[] d1 = new int[n], d2 = new int[n];
        MaskOr.Window(bits, width, d1, new int[bits.Length]);
        MaskOr.WindowScalar(bits, width, d2);
        Assert.Equal(d2, d1);
        int maskStride = n + 5;
        int[] maskRows = Enumerable.Range(0, maskStride * width).Select(_ => rng.NextDouble() < 0.02 ? 1 << rng.Next(0, 31) : 0).ToArray();
        MaskOr.Column(maskRows, maskStride, width, d1);
        MaskOr.ColumnScalar(maskRows, maskStride, width, d2);
        Assert.Equal(d2, d1);
    }
}
