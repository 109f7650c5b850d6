using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Warp;

namespace ImageCore.Tests.Warp;

/// <summary>The vectorised warp inner loop against its scalar reference: the same bits for every output pixel. Where
/// Vector256 is not accelerated (no AVX2, or <c>DOTNET_EnableAVX2=0</c>) <see cref="WarpPixels.RowVector"/> is
/// <see cref="WarpPixels.RowScalar"/>: the tests then compare only the scalar forms that differ from the reference
/// (big-endian planes, an image alone) and end skipped, saying the vector loop was not checked.</summary>
public unsafe class WarpPixelsTests
{
    private const string NoVectors = "Vector256 is not accelerated here (no AVX2, or DOTNET_EnableAVX2=0), so RowVector is RowScalar: "
                                     + "only the scalar forms (big-endian planes, an image alone) were compared with the reference";

    private static bool Vectors => Vector256.IsHardwareAccelerated;
    private static MaskedImage RandomSource(int w, int h, Random rng, bool edges)
    {
        var mi = new MaskedImage(w, h, new Point2I(-3, 5));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                mi.Image.Pixels[y, x] = (float)(rng.NextDouble() * 2000 - 500);
                mi.Variance.Pixels[y, x] = (float)(rng.NextDouble() * 50);
                mi.Mask.Image.Pixels[y, x] = rng.Next(8) == 0 ? 1 << rng.Next(9) : 0;
            }
        if (edges)
            for (int i = 0; i < w * h / 50; i++)
            {
                int x = rng.Next(w), y = rng.Next(h);
                float v = rng.Next(4) switch { 0 => float.NaN, 1 => float.PositiveInfinity, 2 => float.NegativeInfinity, _ => 1e30f };
                if (rng.Next(2) == 0) mi.Image.Pixels[y, x] = v;
                else mi.Variance.Pixels[y, x] = v;
            }
        return mi;
    }

    private static void Compare(string kernelName, string maskKernel, int tableBins, int width, int height, int seed, bool edges, int n = 97)
    {
        var rng = new Random(seed);
        using var source = RandomSource(width, height, rng, edges);
        var kernel = WarpingKernel.Parse(kernelName);
        var kernels = new WarpKernels(kernel, tableBins, maskKernel.Length > 0 ? WarpingKernel.Parse(maskKernel) : null, 1 << 4, 1 << 8);
        // Two rows in three cleared of the grow bit (1 << 4), so that footprints over rows without it occur.
        for (int y = 0; y < height; y++)
            if (y % 3 != 0)
                for (int x = 0; x < width; x++) source.Mask.Image.Pixels[y, x] &= ~(1 << 4);
        var src = new WarpSource(source);
        // The same planes big-endian, rows back to back, as a mapped FITS file holds them.
        var (swappedImage, swappedVariance, swappedMask) = (BigEndian(source.Image), BigEndian(source.Variance), BigEndian(source.Mask.Image));
        using var pinImage = new Memory<float>(swappedImage).Pin();
        using var pinVariance = new Memory<float>(swappedVariance).Pin();
        using var pinMask = new Memory<int>(swappedMask).Pin();
        var bigEndian = new WarpSource((float*)pinImage.Pointer, (float*)pinVariance.Pointer, (int*)pinMask.Pointer, width, height, source.BBox.Min);
        // Both with the rows that hold a grow bit counted: the loop then skips the whole-footprint OR over the others.
        var growNative = new int[height + 1];
        var growSwapped = new int[height + 1];
        src.CountGrowRows(1 << 4, growNative);
        bigEndian.CountGrowRows(1 << 4, growSwapped);
        Assert.Equal(growNative, growSwapped);
        Assert.InRange(growNative[height], 1, height / 3 + 1);
        using var pinGrowN = new Memory<int>(growNative).Pin();
        using var pinGrowS = new Memory<int>(growSwapped).Pin();
        var nativeGrow = src.WithGrowRows((int*)pinGrowN.Pointer);
        var bigGrow = bigEndian.WithGrowRows((int*)pinGrowS.Pointer);
        // n odd by default: no multiple of any vector width
        double* sx = stackalloc double[n + 1], sy = stackalloc double[n + 1], px = stackalloc double[n + 1], py = stackalloc double[n + 1];
        float* i1 = stackalloc float[n], v1 = stackalloc float[n], i2 = stackalloc float[n], v2 = stackalloc float[n];
        int* m1 = stackalloc int[n], m2 = stackalloc int[n];
        for (int trial = 0; trial < 40; trial++)
        {
            RandomPositions(rng, width, height, sx, sy, px, py, n);
            long good1 = WarpPixels.RowScalar(src, kernels, sx, sy, px, py, new WarpOutput(i1, v1, m1, n));
            var forms = new[] { (src, false, "vector"), (bigEndian, true, "big-endian scalar"), (bigEndian, false, "big-endian vector"),
                                (nativeGrow, false, "grow rows counted"), (bigGrow, false, "big-endian, grow rows counted"), (bigGrow, true, "big-endian scalar, grow rows counted") };
            // Without vectors RowVector is RowScalar: comparing it with the reference would check nothing.
            foreach (var (planes, scalar, form) in forms.Where(f => f.Item2 || Vectors))
            {
                long good2 = scalar ? WarpPixels.RowScalar(planes, kernels, sx, sy, px, py, new WarpOutput(i2, v2, m2, n))
                                    : WarpPixels.RowVector(planes, kernels, sx, sy, px, py, new WarpOutput(i2, v2, m2, n));
                Assert.Equal(good1, good2);
                for (int c = 0; c < n; c++)
                {
                    string where = $"{form}: {kernelName}/{maskKernel} bins {tableBins} {width}x{height} seed {seed} trial {trial} pixel {c} at ({sx[c + 1]}, {sy[c + 1]})";
                    Assert.True(Same(i1[c], i2[c]), $"image {i1[c]} vs {i2[c]}: {where}");
                    Assert.True(Same(v1[c], v2[c]), $"variance {v1[c]} vs {v2[c]}: {where}");
                    Assert.True(m1[c] == m2[c], $"mask {m1[c]} vs {m2[c]}: {where}");
                }
            }
        }
    }

    /// <summary>An image alone (no variance or mask), in memory or big-endian: the vector loop equals the scalar
    /// reference, and both equal the warp of the same image with zero variance and an empty mask.</summary>
    private static void CompareImageOnly(string kernelName, int tableBins, int width, int height, int seed, bool edges)
    {
        var rng = new Random(seed);
        using var source = RandomSource(width, height, rng, edges);
        source.Variance.Pixels.Clear();
        source.Mask.Image.Pixels.Clear();
        var kernels = new WarpKernels(WarpingKernel.Parse(kernelName), tableBins, WarpingKernel.Bilinear, 1 << 4, 1 << 8);
        var full = new WarpSource(source);
        var native = new WarpSource(source.Image);
        Assert.True(native.ImageOnly);
        // The image's rows back to back, each value byte-swapped: a mapped FITS file's data.
        var swapped = new float[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                swapped[y * width + x] = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(source.Image.Pixels[y, x])));
        using var pin = new Memory<float>(swapped).Pin();
        var bigEndian = new WarpSource((float*)pin.Pointer, null, null, width, height, source.BBox.Min);
        Assert.True(bigEndian.ImageOnly && bigEndian.BigEndian);
        const int N = 97;
        double* sx = stackalloc double[N + 1], sy = stackalloc double[N + 1], px = stackalloc double[N + 1], py = stackalloc double[N + 1];
        float* i0 = stackalloc float[N], v0 = stackalloc float[N], i1 = stackalloc float[N], v1 = stackalloc float[N], i2 = stackalloc float[N], v2 = stackalloc float[N];
        int* m0 = stackalloc int[N], m1 = stackalloc int[N], m2 = stackalloc int[N];
        for (int trial = 0; trial < 40; trial++)
        {
            RandomPositions(rng, width, height, sx, sy, px, py, N);
            long good0 = WarpPixels.RowScalar(full, kernels, sx, sy, px, py, new WarpOutput(i0, v0, m0, N));
            // The image alone, as in memory and big-endian as a mapped file holds it, each through both loops.
            foreach (var (alone, form) in new[] { (native, "native"), (bigEndian, "big-endian") })
            {
                long good1 = WarpPixels.RowScalar(alone, kernels, sx, sy, px, py, new WarpOutput(i1, v1, m1, N));
                Assert.Equal(good0, good1);
                if (Vectors)   // else RowVector is RowScalar: the second comparison would repeat the first
                {
                    long good2 = WarpPixels.RowVector(alone, kernels, sx, sy, px, py, new WarpOutput(i2, v2, m2, N));
                    Assert.Equal(good0, good2);
                }
                for (int c = 0; c < N; c++)
                {
                    string where = $"{form} {kernelName} bins {tableBins} {width}x{height} seed {seed} trial {trial} pixel {c} at ({sx[c + 1]}, {sy[c + 1]})";
                    Assert.True(Same(i0[c], i1[c]) && (!Vectors || Same(i0[c], i2[c])), $"image {i0[c]} / {i1[c]} / {i2[c]}: {where}");
                    Assert.True(Same(v0[c], v1[c]) && (!Vectors || Same(v0[c], v2[c])), $"variance {v0[c]} / {v1[c]} / {v2[c]}: {where}");
                    Assert.True(m0[c] == m1[c] && (!Vectors || m0[c] == m2[c]), $"mask {m0[c]} / {m1[c]} / {m2[c]}: {where}");
                }
            }
        }
    }

    [SkippableTheory]
    [InlineData("lanczos3", 4096)]
    [InlineData("lanczos3", 0)]
    [InlineData("lanczos2", 256)]
    [InlineData("lanczos5", 4096)]   // 10 taps: the generic path
    [InlineData("bilinear", 4096)]
    public void An_image_alone_warps_as_with_zero_variance_and_an_empty_mask(string kernel, int tableBins)
    {
        foreach (var (w, h) in new[] { (64, 40), (37, 29), (101, 53), (48, 17) })
        {
            CompareImageOnly(kernel, tableBins, w, h, seed: w * 5 + h, edges: false);
            CompareImageOnly(kernel, tableBins, w, h, seed: w * 13 + h, edges: true);
        }
        Skip.IfNot(Vectors, NoVectors);
    }

    /// <summary>A plane's values byte-swapped, rows back to back.</summary>
    private static T[] BigEndian<T>(Image<T> plane) where T : unmanaged
    {
        var values = new T[plane.Width * plane.Height];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        for (int y = 0; y < plane.Height; y++)
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(plane.Pixels.GetRowSpan(y)).CopyTo(bytes[(y * plane.Width * sizeof(int))..]);
        for (int i = 0; i < bytes.Length; i += 4) bytes.Slice(i, 4).Reverse();
        return values;
    }

    /// <summary>A rotated, scaled row of n + 1 source positions over a source of this size (xy0 (-3, 5)) and a little
    /// beyond (edges, NaN positions), with exact integers and half-integers mixed in; px/py one row below.</summary>
    private static void RandomPositions(Random rng, int width, int height, double* sx, double* sy, double* px, double* py, int n)
    {
        double x0 = rng.NextDouble() * (width + 8) - 6 - 3, y0 = rng.NextDouble() * (height + 8) - 6 + 5;
        double angle = rng.NextDouble() * 2 * Math.PI, step = 0.3 + rng.NextDouble();
        for (int c = 0; c <= n; c++)
        {
            sx[c] = x0 + c * step * Math.Cos(angle);
            sy[c] = y0 + c * step * Math.Sin(angle);
            if (rng.Next(10) == 0) (sx[c], sy[c]) = (Math.Round(sx[c]), Math.Round(sy[c] * 2) / 2);
            if (rng.Next(60) == 0) sx[c] = double.NaN;
            px[c] = sx[c] + 0.1 * rng.NextDouble();
            py[c] = sy[c] - 1;
        }
    }

    private static bool Same(float a, float b) => (float.IsNaN(a) && float.IsNaN(b)) || BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);

    [SkippableTheory]
    [InlineData("lanczos3", "bilinear", 4096)]
    [InlineData("lanczos3", "bilinear", 0)]
    [InlineData("lanczos1", "bilinear", 4096)]   // exact zero taps at integer positions: the rows under them are left out
    [InlineData("lanczos1", "", 256)]
    [InlineData("lanczos3", "", 4096)]
    [InlineData("lanczos4", "lanczos2", 4096)]
    [InlineData("lanczos2", "nearest", 256)]
    [InlineData("lanczos5", "bilinear", 4096)]   // 10 taps: the scalar path inside RowVector too
    [InlineData("bilinear", "bilinear", 4096)]
    [InlineData("nearest", "", 0)]
    public void Vector_row_equals_the_scalar_reference(string kernel, string maskKernel, int tableBins)
    {
        // Widths with and without row padding (16 floats per 64 bytes): 64 and 48 have none, so the right edge takes
        // the scalar path; 37 and 101 are padded.
        foreach (var (w, h) in new[] { (64, 40), (37, 29), (101, 53), (48, 17) })
        {
            Compare(kernel, maskKernel, tableBins, w, h, seed: w * 7 + h, edges: false);
            Compare(kernel, maskKernel, tableBins, w, h, seed: w * 11 + h, edges: true);
        }
        Skip.IfNot(Vectors, NoVectors);
    }

    [SkippableFact]
    public void A_segment_longer_than_the_loop_takes_at_once_goes_through_in_pieces()
    {
        Skip.IfNot(Vectors, "Vector256 is not accelerated here (no AVX2, or DOTNET_EnableAVX2=0): RowVector does not cut segments in pieces");
        Compare("lanczos3", "bilinear", 4096, 101, 53, seed: 17, edges: true, n: 1301);
        Compare("lanczos3", "", 4096, 64, 40, seed: 19, edges: false, n: 1024);
    }

    [Fact]
    public void Sum8_orders_the_lanes_as_the_vector_reduction()
    {
        float* v = stackalloc float[8];
        float[] values = [1e8f, 1, -1e8f, 1, 3, 5, 7, 0.5f];
        for (int i = 0; i < 8; i++) v[i] = values[i];
        float a0 = values[0] + values[4], a1 = values[1] + values[5], a2 = values[2] + values[6], a3 = values[3] + values[7];
        Assert.Equal((a0 + a2) + (a1 + a3), WarpPixels.Sum8(v));
    }

    [SkippableFact]
    public void Sum8x8_gives_each_pixel_the_bits_of_Sum8()
    {
        Skip.IfNot(Avx2.IsSupported, "Sum8x8 needs AVX2, which this processor lacks or DOTNET_EnableAVX2=0 turned off (so does the loop that uses it)");
        var rng = new Random(23);
        float* v = stackalloc float[64];
        float* sums = stackalloc float[8];
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 1e-45f, float.MaxValue, -float.MaxValue];
        for (int trial = 0; trial < 2000; trial++)
        {
            for (int i = 0; i < 64; i++)
                v[i] = rng.Next(20) == 0 ? specials[rng.Next(specials.Length)] : (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 9)));
            Vector256.Store(WarpPixels.Sum8x8(v), sums);
            for (int p = 0; p < 8; p++)
                Assert.True(Same(WarpPixels.Sum8(v + 8 * p), sums[p]), $"trial {trial} pixel {p}: {WarpPixels.Sum8(v + 8 * p)} vs {sums[p]}");
        }
    }

    [Theory]
    [InlineData(3, 4096)]
    [InlineData(4, 4096)]
    [InlineData(5, 1024)]
    public void Single_precision_taps_sum_to_one_and_follow_the_exact_kernel(int order, int bins)
    {
        var k = WarpingKernel.Lanczos(order);
        float* taps = stackalloc float[k.TapStride];
        Span<double> exact = stackalloc double[k.Size];
        var rng = new Random(order);
        foreach (double f in new[] { 0.0, 0.5, 1 - 1e-12 }.Concat(Enumerable.Range(0, 2000).Select(_ => rng.NextDouble())))
        {
            k.NormalizedTaps(f, taps, bins);
            double sum = k.Taps(f, exact), total = 0;
            for (int i = 0; i < k.Size; i++)
            {
                total += taps[i];
                Assert.True(Math.Abs(taps[i] - exact[i] / sum) < 1e-6, $"order {order} f {f} tap {i}: {taps[i]} vs {exact[i] / sum}");
            }
            for (int i = k.Size; i < k.TapStride; i++) Assert.Equal(0f, taps[i]);
            Assert.True(Math.Abs(total - 1) < 1e-6, $"order {order} f {f}: taps sum to {total}");
        }
    }
}
