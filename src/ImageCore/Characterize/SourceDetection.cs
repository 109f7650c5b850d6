using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ImageCore.Images;
using ImageCore.Memory;
using ImageCore.Simd;
using ImageCore.Simd.Ops;

namespace ImageCore.Characterize;

/// <summary>
/// Source detection (meas_algorithms' <c>SourceDetectionTask</c> with a pixel_stdev threshold, afw's
/// <c>FootprintSet</c>): smooth, threshold, connect, find peaks, grow, mask.
/// </summary>
public static class SourceDetection
{
    /// <summary>Output rows per band of the smoothing (fixed, so the result never depends on the thread count).</summary>
    internal const int BandRows = 64;

    /// <summary>
    /// Detects sources on a background-subtracted image. (1) Pixels of <see cref="DetectionConfig.ExcludedPlanes"/>, or
    /// with a non-finite value or variance, count as sky: value 0, the median variance. (2) The image is smoothed with a
    /// normalised Gaussian of <paramref name="psfSigma"/> of odd width 2h + 1, h = int(NSigmaForKernel sigma + 0.5) / 2
    /// (afw's <c>calculateKernelSize</c>: 7 sigma wide in all, 3.5 sigma each way), rows then columns, the variance with the squared kernel, so the smoothed image's noise is known per pixel; the
    /// border of h px the kernel cannot fill is marked EDGE and not searched. (3) A pixel is detected where
    /// smoothed / sqrt(smoothed variance) &gt;= <see cref="DetectionConfig.Threshold"/> (&lt;= -Threshold for negative
    /// detections); with <see cref="DetectionConfig.Smooth"/> off the kernel is the single tap 1 (h = 0: no smoothing,
    /// no border). (4) Detected pixels form 8-connected footprints (runs of a row, joined by union-find); those with
    /// fewer than <see cref="DetectionConfig.MinPixels"/> pixels are dropped. (5) Peaks are the footprint's local
    /// maxima of the smoothed image over its 8 neighbours (ties go to the first in row order; excluded pixels are
    /// never peaks; a footprint without one gets its most significant pixel). (6) Footprints grow by
    /// r = int(GrowSigmas sigma + 0.5) px with a disc (every pixel within r of the footprint, Euclidean, clipped to
    /// the image), and footprints that then overlap or touch are merged, keeping all their peaks. (7) The DETECTED
    /// and DETECTED_NEGATIVE planes are cleared and set on the grown footprints; EDGE is added on the border.
    /// </summary>
    /// <param name="image">The background-subtracted image (sky level 0), with its variance; only its mask changes.</param>
    /// <param name="psfSigma">The Gaussian sigma of the current PSF, pixels (FWHM / 2.3548).</param>
    /// <param name="config">The settings (validated here).</param>
    /// <param name="maxDegreeOfParallelism">Row bands of the smoothing run on up to this many threads; the result does
    /// not depend on it.</param>
    /// <param name="cancel">Checked between row bands.</param>
    /// <returns>The footprints in a fixed order (see <see cref="DetectionResult"/>), parent coordinates.</returns>
    /// <exception cref="ConfigException">An invalid setting.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="psfSigma"/> is not finite and in (0, 1000], or
    /// <paramref name="maxDegreeOfParallelism"/> is below 1.</exception>
    /// <exception cref="KeyNotFoundException">An excluded plane is not defined in the image's mask.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static DetectionResult Detect(MaskedImage image, double psfSigma, DetectionConfig config, int maxDegreeOfParallelism = 1,
                                         CancellationToken cancel = default) =>
        Detect(image, psfSigma, config, maxDegreeOfParallelism, vector: true, cancel);

    /// <summary><see cref="Detect(MaskedImage, double, DetectionConfig, int, CancellationToken)"/> with the smoothing's
    /// vector kernels or their scalar references (the benchmark's baseline; the results are identical).</summary>
    internal static DetectionResult Detect(MaskedImage image, double psfSigma, DetectionConfig config, int maxDegreeOfParallelism,
                                           bool vector, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (!(psfSigma > 0 && psfSigma <= 1000))
            throw new ArgumentOutOfRangeException(nameof(psfSigma), psfSigma, "the PSF sigma must be finite and in (0, 1000] pixels");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        cancel.ThrowIfCancellationRequested();
        var mask = image.Mask;
        int excluded = mask.GetBitMask([.. config.ExcludedPlanes]);
        int detected = mask.GetBitMask("DETECTED"), negative = mask.GetBitMask("DETECTED_NEGATIVE"), edge = mask.GetBitMask("EDGE");
        int width = image.BBox.Width, height = image.BBox.Height;
        // Neither reach needs to exceed the image: a larger one changes nothing but the cost.
        // afw's calculateKernelSize: an odd full width (int(n sigma + 0.5) // 2) 2 + 1, i.e. n sigma / 2 each way.
        // Without smoothing the kernel is the single tap 1 (h = 0): the significance is the pixel's own.
        int h = config.Smooth ? (int)Math.Min(config.NSigmaForKernel * psfSigma + 0.5, 2.0 * Math.Max(width, height)) / 2 : 0;
        int grow = (int)Math.Min(config.GrowSigmas * psfSigma + 0.5, width + height);
        float threshold = (float)config.Threshold;

        var positive = new List<FootprintSpan>();
        var negativeRuns = new List<FootprintSpan>();
        Plane<float>? smoothed = null, significance = null;
        try
        {
            if (width > 2 * h && height > 2 * h)
            {
                smoothed = new Plane<float>(width - 2 * h, height - 2 * h, clear: false);
                significance = new Plane<float>(width - 2 * h, height - 2 * h, clear: false);
                Smooth(image, excluded, psfSigma, h, threshold, config.IncludeNegative, smoothed, significance, positive, negativeRuns,
                       maxDegreeOfParallelism, vector, cancel);
            }
            var planes = new DetectionPlanes(image, excluded, h, smoothed, significance);
            var footprints = FootprintSets.Build(positive, config.MinPixels, grow, width, height, planes, sign: 1);
            var negatives = config.IncludeNegative
                ? FootprintSets.Build(negativeRuns, config.MinPixels, grow, width, height, planes, sign: -1)
                : [];
            long detectedPixels = footprints.Sum(f => f.Area);
            MarkMask(mask, footprints, negatives, detected, negative, edge, h);
            return new DetectionResult(footprints, negatives, config.Threshold, psfSigma, h, grow, detectedPixels);
        }
        finally
        {
            smoothed?.Dispose();
            significance?.Dispose();
        }
    }

    /// <summary>The image, mask and smoothed planes that peak finding reads.</summary>
    internal sealed class DetectionPlanes(MaskedImage image, int excludedBits, int halfWidth, Plane<float>? smoothed, Plane<float>? significance)
    {
        public MaskedImage Image { get; } = image;
        public int HalfWidth { get; } = halfWidth;
        public Plane<float>? Smoothed { get; } = smoothed;
        public Plane<float>? Significance { get; } = significance;

        /// <summary>Whether local pixel (x, y) counts as sky (excluded plane, or non-finite value or variance).</summary>
        public bool IsExcluded(int x, int y) =>
            (Image.Mask.Image.Plane[x, y] & excludedBits) != 0 || !float.IsFinite(Image.Image.Plane[x, y]) || !float.IsFinite(Image.Variance.Plane[x, y]);
    }

    /// <summary>Smooths image and variance in row bands into the interior planes (local pixel (h + i, h + j) is
    /// element (i, j)) and collects the runs above and below the threshold, local coordinates, row by row.</summary>
    internal static void Smooth(MaskedImage image, int excludedBits, double sigma, int h, float threshold, bool negatives,
                                Plane<float> smoothed, Plane<float> significance, List<FootprintSpan> positive, List<FootprintSpan> negative,
                                int maxDegreeOfParallelism, bool vector, CancellationToken cancel)
    {
        float[] taps = GaussianSmoothing.Taps(sigma, h, squared: false), taps2 = GaussianSmoothing.Taps(sigma, h, squared: true);
        int width = image.BBox.Width, height = image.BBox.Height, innerWidth = width - 2 * h, innerHeight = height - 2 * h;
        float skyVariance = MedianVariance(image, excludedBits);
        int bands = (innerHeight + BandRows - 1) / BandRows;
        var bandRuns = new List<FootprintSpan>[bands];
        var bandNegatives = new List<FootprintSpan>[bands];
        Parallel.For(0, bands, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancel }, b =>
        {
            int first = b * BandRows, last = Math.Min(innerHeight, first + BandRows);   // interior rows [first, last)
            int inputRows = last - first + 2 * h;
            using var rowsImage = new Plane<float>(innerWidth, inputRows, clear: false);
            using var rowsVariance = new Plane<float>(innerWidth, inputRows, clear: false);
            var lineImage = new float[width];
            var lineVariance = new float[width];
            var smoothedVariance = new float[innerWidth];
            for (int r = 0; r < inputRows; r++)
            {
                int y = first + r;   // local row of the image: interior row first - h + r is image row first + r
                SkySubstitute(image.Image.Plane.GetRowSpan(y), image.Variance.Plane.GetRowSpan(y), image.Mask.Image.Plane.GetRowSpan(y),
                              excludedBits, skyVariance, lineImage, lineVariance, vector);
                if (vector)
                {
                    GaussianSmoothing.RowPass(lineImage, taps, rowsImage.GetRowSpan(r));
                    GaussianSmoothing.RowPass(lineVariance, taps2, rowsVariance.GetRowSpan(r));
                }
                else
                {
                    GaussianSmoothing.RowPassScalar(lineImage, taps, rowsImage.GetRowSpan(r));
                    GaussianSmoothing.RowPassScalar(lineVariance, taps2, rowsVariance.GetRowSpan(r));
                }
            }
            var runs = new List<FootprintSpan>();
            var below = new List<FootprintSpan>();
            for (int j = first; j < last; j++)
            {
                var s = smoothed.GetRowSpan(j);
                var z = significance.GetRowSpan(j);
                int r = j - first;
                if (vector)
                {
                    GaussianSmoothing.ColumnPass(ref rowsImage.GetRowSpan(r)[0], rowsImage.Stride, taps, s);
                    GaussianSmoothing.ColumnPass(ref rowsVariance.GetRowSpan(r)[0], rowsVariance.Stride, taps2, smoothedVariance);
                    PixelDriver.Run<DivideBySqrt>(s, smoothedVariance, 0, z);
                }
                else
                {
                    GaussianSmoothing.ColumnPassScalar(ref rowsImage.GetRowSpan(r)[0], rowsImage.Stride, taps, s);
                    GaussianSmoothing.ColumnPassScalar(ref rowsVariance.GetRowSpan(r)[0], rowsVariance.Stride, taps2, smoothedVariance);
                    for (int i = 0; i < z.Length; i++) z[i] = DivideBySqrt.Invoke(s[i], smoothedVariance[i], 0);
                }
                CollectRuns(z, threshold, j + h, h, runs, below, negatives);
            }
            bandRuns[b] = runs;
            bandNegatives[b] = below;
        });
        foreach (var r in bandRuns) positive.AddRange(r);
        foreach (var r in bandNegatives) negative.AddRange(r);
    }

    /// <summary>One input row with excluded pixels replaced by the sky: value 0, variance <paramref name="skyVariance"/>;
    /// the vector loop at the widest accelerated width, then the scalar reference, which is also the tail.</summary>
    internal static void SkySubstitute(ReadOnlySpan<float> image, ReadOnlySpan<float> variance, ReadOnlySpan<int> mask, int excludedBits,
                                       float skyVariance, Span<float> outImage, Span<float> outVariance, bool vector = true)
    {
        int n = image.Length, x = 0;
        if (vector)
        {
            ref float img = ref MemoryMarshal.GetReference(image);
            ref float var = ref MemoryMarshal.GetReference(variance);
            ref int msk = ref MemoryMarshal.GetReference(mask);
            ref float oi = ref MemoryMarshal.GetReference(outImage);
            ref float ov = ref MemoryMarshal.GetReference(outVariance);
            if (Width512.IsAccelerated) x = SkySubstitute<Width512, Vector512<float>>(ref img, ref var, ref msk, n, excludedBits, skyVariance, ref oi, ref ov);
            else if (Width256.IsAccelerated) x = SkySubstitute<Width256, Vector256<float>>(ref img, ref var, ref msk, n, excludedBits, skyVariance, ref oi, ref ov);
            else if (Width128.IsAccelerated) x = SkySubstitute<Width128, Vector128<float>>(ref img, ref var, ref msk, n, excludedBits, skyVariance, ref oi, ref ov);
        }
        for (; x < n; x++)
        {
            float v = image[x], w = variance[x];
            bool skyPixel = (mask[x] & excludedBits) != 0 || !float.IsFinite(v) || !float.IsFinite(w);
            outImage[x] = skyPixel ? 0 : v;
            outVariance[x] = skyPixel ? skyVariance : w;
        }
    }

    /// <summary><see cref="SkySubstitute(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, float, Span{float}, Span{float}, bool)"/>'s
    /// vector loop at one width; returns how many pixels it did (whole vectors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SkySubstitute<TW, TV>(ref float image, ref float variance, ref int mask, int n, int excludedBits, float skyVariance,
                                             ref float outImage, ref float outVariance)
        where TW : struct, ISimdWidth<TV> where TV : struct
    {
        int x = 0;
        TV bits = TW.SplatBits(excludedBits), sky = TW.Splat(skyVariance), zero = TW.Splat(0f);
        for (; x <= n - TW.Count; x += TW.Count)
        {
            TV v = TW.Load(ref image, (nuint)x), w = TW.Load(ref variance, (nuint)x);
            TV good = TW.And(TW.And(TW.IsZeroBits(TW.And(TW.LoadBits(ref mask, (nuint)x), bits)), TW.IsFinite(v)), TW.IsFinite(w));
            TW.Store(TW.Select(good, v, zero), ref outImage, (nuint)x);
            TW.Store(TW.Select(good, w, sky), ref outVariance, (nuint)x);
        }
        return x;
    }

    /// <summary>Runs of one significance row (interior columns; local row <paramref name="y"/>) at or above the
    /// threshold, and at or below minus it when <paramref name="negatives"/>. Stretches of 16 pixels with none of
    /// either are skipped by one vector test.</summary>
    private static void CollectRuns(ReadOnlySpan<float> z, float threshold, int y, int x0, List<FootprintSpan> above, List<FootprintSpan> below, bool negatives)
    {
        ref float zr = ref MemoryMarshal.GetReference(z);
        var high = Vector512.Create(threshold);
        var low = Vector512.Create(negatives ? -threshold : float.NegativeInfinity);
        for (int i = 0; i < z.Length; i++)
        {
            if (Vector512.IsHardwareAccelerated && (i & 15) == 0 && i + 16 <= z.Length)
            {
                var v = Vector512.LoadUnsafe(ref zr, (nuint)i);
                if (!Vector512.GreaterThanOrEqualAny(v, high) && !Vector512.LessThanOrEqualAny(v, low)) { i += 15; continue; }
            }
            if (z[i] >= threshold)
            {
                int start = i;
                while (i + 1 < z.Length && z[i + 1] >= threshold) i++;
                above.Add(new FootprintSpan(y, x0 + start, x0 + i));
            }
            else if (negatives && z[i] <= -threshold)
            {
                int start = i;
                while (i + 1 < z.Length && z[i + 1] <= -threshold) i++;
                below.Add(new FootprintSpan(y, x0 + start, x0 + i));
            }
        }
    }

    /// <summary>The median variance of the pixels that are not excluded, from at most about 100,000 of them taken at a
    /// fixed stride (1 when none is usable: then nothing is detected anyway).</summary>
    internal static float MedianVariance(MaskedImage image, int excludedBits)
    {
        int width = image.BBox.Width, height = image.BBox.Height;
        long total = (long)width * height, step = Math.Max(1, total / 100_000);
        var sample = new List<float>((int)Math.Min(total, 100_001));
        var img = image.Image.Plane;
        var var = image.Variance.Plane;
        var msk = image.Mask.Image.Plane;
        for (long i = 0; i < total; i += step)
        {
            int x = (int)(i % width), y = (int)(i / width);
            float v = var[x, y];
            if ((msk[x, y] & excludedBits) == 0 && float.IsFinite(img[x, y]) && float.IsFinite(v)) sample.Add(v);
        }
        if (sample.Count == 0) return 1;
        var values = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sample);
        return (float)OrderStatistics.SelectQuantile(values, 0.5);
    }

    /// <summary>Clears DETECTED and DETECTED_NEGATIVE, sets them on the footprints and adds EDGE on the border.</summary>
    private static void MarkMask(Mask mask, IReadOnlyList<Footprint> positive, IReadOnlyList<Footprint> negative, int detected, int negativeBit, int edge, int h)
    {
        var plane = mask.Image.Plane;
        int clear = ~(detected | negativeBit), x0 = mask.Image.Xy0.X, y0 = mask.Image.Xy0.Y;
        for (int y = 0; y < plane.Height; y++)
        {
            var row = plane.GetRowSpan(y);
            TensorPrimitives.BitwiseAnd(row, clear, row);
            if (y < h || y >= plane.Height - h) TensorPrimitives.BitwiseOr(row, edge, row);
            else
            {
                int side = Math.Min(h, row.Length);
                row[..side].Or(edge);
                row[Math.Max(side, row.Length - h)..].Or(edge);
            }
        }
        foreach (var f in positive)
            foreach (var s in f.Spans) plane.GetRowSpan(s.Y - y0)[(s.X0 - x0)..(s.X1 - x0 + 1)].Or(detected);
        foreach (var f in negative)
            foreach (var s in f.Spans) plane.GetRowSpan(s.Y - y0)[(s.X0 - x0)..(s.X1 - x0 + 1)].Or(negativeBit);
    }

    private static void Or(this Span<int> span, int bits)
    {
        for (int i = 0; i < span.Length; i++) span[i] |= bits;
    }
}
