using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Warp;

/// <summary>The source planes of a warp as raw pointers (rows <see cref="ImageStride"/> etc. apart), its size and
/// xy0, and <see cref="LoadLimit"/>: a vector load of 8 elements starting at column x stays inside every plane's row
/// when x + 8 &lt;= LoadLimit (the smallest stride). An image alone (<see cref="ImageOnly"/>: no variance or mask)
/// warps as an image with zero variance and an empty mask would, without reading them: good pixels get variance 0 and
/// no mask bits.</summary>
internal readonly unsafe struct WarpSource
{
    public readonly float* Image;
    public readonly float* Variance;
    public readonly int* Mask;
    public readonly long ImageStride, VarianceStride, MaskStride;
    public readonly int Width, Height, X0, Y0, LoadLimit;

    public WarpSource(MaskedImage source)
    {
        Image = source.Image.Plane.Pointer;
        Variance = source.Variance.Plane.Pointer;
        Mask = source.Mask.Image.Plane.Pointer;
        ImageStride = source.Image.Plane.Stride;
        VarianceStride = source.Variance.Plane.Stride;
        MaskStride = source.Mask.Image.Plane.Stride;
        (Width, Height, X0, Y0) = (source.BBox.Width, source.BBox.Height, source.BBox.MinX, source.BBox.MinY);
        LoadLimit = (int)Math.Min(ImageStride, Math.Min(VarianceStride, MaskStride));
    }

    public WarpSource(Image<float> image)
    {
        Image = image.Plane.Pointer;
        ImageStride = image.Plane.Stride;
        (Width, Height, X0, Y0) = (image.BBox.Width, image.BBox.Height, image.BBox.MinX, image.BBox.MinY);
        LoadLimit = (int)ImageStride;
    }

    /// <summary>Planes big-endian as a FITS file stores them (a mapped file's data, rows <paramref name="width"/> values
    /// apart, box at <paramref name="xy0"/>): every value is byte-swapped as it is loaded. Without
    /// <paramref name="variance"/> and <paramref name="mask"/> (both null), an image alone.</summary>
    public WarpSource(float* image, float* variance, int* mask, int width, int height, Point2I xy0)
    {
        if ((variance == null) != (mask == null)) throw new ArgumentException("variance and mask come together, or neither");
        Image = image;
        Variance = variance;
        Mask = mask;
        ImageStride = width;
        VarianceStride = MaskStride = variance == null ? 0 : width;
        (Width, Height, X0, Y0) = (width, height, xy0.X, xy0.Y);
        LoadLimit = width;
        BigEndian = true;
    }

    /// <summary>No variance or mask plane: only the image is read.</summary>
    public bool ImageOnly => Variance == null;

    /// <summary>The planes' values are big-endian (see the constructor for mapped files).</summary>
    public readonly bool BigEndian;

    /// <summary>For each row y, how many rows before it hold a mask bit of <see cref="WarpKernels.GrowBits"/> (Height + 1
    /// entries), or null when not known. A footprint over rows with none needs no OR of the mask under it, where a
    /// mask kernel gives the narrow mask: <see cref="WithGrowRows"/>.</summary>
    public readonly int* GrowRowsBefore;

    private WarpSource(in WarpSource planes, int* growRowsBefore)
    {
        this = planes;
        GrowRowsBefore = growRowsBefore;
    }

    /// <summary>These planes with <see cref="GrowRowsBefore"/> (pinned, alive as long as the planes are used).</summary>
    public WarpSource WithGrowRows(int* growRowsBefore) => new(this, growRowsBefore);

    /// <summary>Fills <paramref name="rowsBefore"/> (Height + 1 entries) for <see cref="GrowRowsBefore"/>: a scan of the
    /// mask for <paramref name="growBits"/> (as stored: swapped for big-endian planes).</summary>
    public void CountGrowRows(int growBits, Span<int> rowsBefore)
    {
        int bits = BigEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(growBits) : growBits;
        rowsBefore[0] = 0;
        for (int y = 0; y < Height; y++)
        {
            var row = new ReadOnlySpan<int>(Mask + y * MaskStride, Width);
            int x = 0, any = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var acc = Vector256<int>.Zero;
                for (; x + 8 <= row.Length; x += 8) acc |= Vector256.Create(row.Slice(x, 8));
                any = Vector256.EqualsAll(acc & Vector256.Create(bits), Vector256<int>.Zero) ? 0 : 1;
            }
            for (; x < row.Length && any == 0; x++) if ((row[x] & bits) != 0) any = 1;
            rowsBefore[y + 1] = rowsBefore[y] + any;
        }
    }
}

/// <summary>How the warp loads source image values: as they are in memory, or big-endian as a mapped FITS file holds
/// them. The loop is generic over it, so each form is compiled on its own with nothing decided per pixel.</summary>
internal unsafe interface IImageLoad
{
    /// <summary>One value.</summary>
    static abstract float Load(float* p);

    /// <summary>Eight consecutive values.</summary>
    static abstract Vector256<float> Load8(float* p);

    /// <summary>A mask word as stored (or an OR of such words: OR commutes with swapping bytes) in the machine's order.</summary>
    static abstract int Mask(int stored);
}

/// <summary>Values in the machine's order.</summary>
internal readonly unsafe struct NativeImage : IImageLoad
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(float* p) => *p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Mask(int stored) => stored;
}

/// <summary>Big-endian values, byte-swapped on loading (one byte shuffle per vector); mask words are ORed as stored
/// and swapped once.</summary>
internal readonly unsafe struct BigEndianImage : IImageLoad
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Mask(int stored) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(stored);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(float* p) => BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(*(int*)p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(float* p)
    {
        var bytes = Vector256.Load((byte*)p);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            return System.Runtime.Intrinsics.X86.Avx2.Shuffle(bytes, Vector256.Create((byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                                                                                        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12)).AsSingle();
        return Vector256.Shuffle(bytes, Vector256.Create((byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                                                         19, 18, 17, 16, 23, 22, 21, 20, 27, 26, 25, 24, 31, 30, 29, 28)).AsSingle();
    }
}

/// <summary>Where one segment of a destination row goes: <see cref="Count"/> pixels of image, variance and mask.</summary>
internal readonly unsafe struct WarpOutput(float* image, float* variance, int* mask, int count)
{
    public readonly float* Image = image;
    public readonly float* Variance = variance;
    public readonly int* Mask = mask;
    public readonly int Count = count;
}

/// <summary>Which planes the tabulated loop warps: a generic argument, so that each form is compiled on its own.</summary>
internal interface IWarpPlanes
{
    /// <summary>Variance and mask besides the image.</summary>
    static abstract bool VarianceAndMask { get; }
}

/// <summary>Image, variance and mask.</summary>
internal readonly struct AllPlanes : IWarpPlanes
{
    public static bool VarianceAndMask => true;
}

/// <summary>The image alone (<see cref="WarpSource.ImageOnly"/>): variance 0 and no mask bits on good pixels, the bits
/// the same warp of zero variance and mask planes gives, without reading them.</summary>
internal readonly struct ImageAlone : IWarpPlanes
{
    public static bool VarianceAndMask => false;
}

/// <summary>The kernels and mask rules of one warp.</summary>
internal sealed class WarpKernels(WarpingKernel kernel, int tableBins, WarpingKernel? maskKernel, int growBits, int noData)
{
    public readonly WarpingKernel Kernel = kernel;
    public readonly int TableBins = tableBins;
    /// <summary>The kernel's renormalised single-precision tap table when it has one (<see cref="WarpingKernel.NormalizedTable"/>).</summary>
    public readonly float[]? Table = tableBins > 0 && kernel.IsTabulated ? kernel.NormalizedTable(tableBins) : null;
    public readonly WarpingKernel? MaskKernel = maskKernel;
    public readonly int GrowBits = growBits;
    public readonly int NoData = noData;
}

/// <summary>
/// The warp's inner loop: one destination row segment from the source positions of its pixels. Per pixel, in
/// single precision: the separable taps (renormalised, <see cref="WarpingKernel.NormalizedTaps"/>); for every
/// lane i of a tap row, acc_i = sum over rows j (in order, fused) of ky_j * source(j, i), and for variance
/// ky_j^2 * variance(j, i); the pixel is then the sum over lanes of acc_i * kx_i (variance: acc_i * kx_i^2), lanes
/// with kx_i = 0 and rows with ky_j = 0 left out (so a NaN under a zero tap does not leak), summed in the order
/// of <see cref="Sum8(float*)"/>; times the relative area (variance: its square). <see cref="RowScalar"/> is the plain
/// reference; <see cref="RowVector"/> does the same arithmetic with one Vector256 per tap row (kernels of up to
/// 8 taps) and gives the same bits.
/// </summary>
internal static unsafe class WarpPixels
{
    /// <summary>The reference: every pixel through <see cref="PixelScalar"/>.</summary>
    public static long RowScalar(in WarpSource src, WarpKernels k, double* sx, double* sy, double* px, double* py, in WarpOutput output) =>
        src.BigEndian ? Row<BigEndianImage>(src, k, sx, sy, px, py, output, vector: false) : Row<NativeImage>(src, k, sx, sy, px, py, output, vector: false);

    /// <summary>Pixels whose footprint can be loaded as vectors through <see cref="PixelVector"/>, the rest (wide
    /// kernels, the right edge of a plane without row padding) through <see cref="PixelScalar"/>.</summary>
    public static long RowVector(in WarpSource src, WarpKernels k, double* sx, double* sy, double* px, double* py, in WarpOutput output) =>
        !Vector256.IsHardwareAccelerated ? RowScalar(src, k, sx, sy, px, py, output)
        : IsTabulatedUpTo8(k) && src.BigEndian ? (src.ImageOnly ? RowTabulated8<BigEndianImage, ImageAlone>(src, k, sx, sy, px, py, output)
                                                                : RowTabulated8<BigEndianImage, AllPlanes>(src, k, sx, sy, px, py, output))
        : IsTabulatedUpTo8(k) ? (src.ImageOnly ? RowTabulated8<NativeImage, ImageAlone>(src, k, sx, sy, px, py, output)
                                               : RowTabulated8<NativeImage, AllPlanes>(src, k, sx, sy, px, py, output))
        : src.BigEndian ? Row<BigEndianImage>(src, k, sx, sy, px, py, output, vector: true)
        : Row<NativeImage>(src, k, sx, sy, px, py, output, vector: true);

    /// <summary>The kernels <see cref="RowTabulated8"/> takes: a tap table of stride 8 (kernels of up to 8 taps:
    /// lanczos1-4) and no mask kernel or the bilinear one, on a processor with AVX2 (<see cref="Sum8x8"/>).</summary>
    private static bool IsTabulatedUpTo8(WarpKernels k) =>
        k.Table is not null && k.Kernel.TapStride == 8 && (k.MaskKernel is null || k.MaskKernel == WarpingKernel.Bilinear)
        && System.Runtime.Intrinsics.X86.Avx2.IsSupported;

    /// <summary>Where a pixel's footprint starts, in <see cref="RowTabulated8"/>'s table of columns: outside the source.</summary>
    private const int Outside = -1;

    /// <summary>... or at the right edge of a plane without row padding: the pixel goes through <see cref="Row"/> alone.</summary>
    private const int AtEdge = -2;

    /// <summary>
    /// <see cref="Row"/> for the common case (<see cref="IsTabulatedUpTo8"/>), in three passes over the segment, so that
    /// each is a short loop the processor can overlap from pixel to pixel:
    /// <list type="number">
    /// <item>where each footprint starts and its table bins, four pixels at a time (<see cref="Footprints"/>), then the
    /// taps of every pixel (<see cref="TapRows"/>);</item>
    /// <item>per pixel, the footprint's rows into the accumulators (the rows unrolled with constant offsets, each row's
    /// tap broadcast from memory), and the lane products acc_i * kx_i stored;</item>
    /// <item>the lane sums of eight pixels at once (<see cref="Sum8x8"/>), times their areas, with the outside pixels
    /// set to NaN / +inf / NO_DATA.</item>
    /// </list>
    /// The arithmetic is that of <see cref="Row"/> with <see cref="PixelVector"/> operation for operation, so the bits
    /// are the same (the tests compare against <see cref="RowScalar"/>). Pixels whose footprint cannot be loaded as
    /// vectors (the right edge of a plane without row padding) go through <see cref="Row"/> one at a time.
    /// <typeparamref name="TImage"/>: how values are loaded; <typeparamref name="TPlanes"/>: all three planes, or the
    /// image alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]   // the per-pixel tables are written before use (pass 3 also reads, and discards, outside pixels' sums)
    private static long RowTabulated8<TImage, TPlanes>(in WarpSource src, WarpKernels k, double* sx, double* sy, double* px, double* py, in WarpOutput output)
        where TImage : struct, IImageLoad where TPlanes : struct, IWarpPlanes
    {
        int count = output.Count;
        if (count > MaxSegment) return InPieces(src, k, sx, sy, px, py, output);
        var kernel = k.Kernel;
        int size = kernel.Size, ctr = kernel.Center, noData = k.NoData, growBits = k.GrowBits;
        bool bilinearMask = k.MaskKernel is not null;
        int maskShift = ctr;   // the bilinear mask kernel's centre is 0
        float* outImage = output.Image, outVariance = output.Variance;
        int* outMask = output.Mask, mask = src.Mask;
        float* image = src.Image, variance = src.Variance;
        long imageStride = src.ImageStride, varianceStride = src.VarianceStride, maskStride = src.MaskStride;
        // With the bilinear mask kernel, the OR under the whole footprint only matters for the grow bits: a footprint
        // over rows that hold none skips it (the same bits: that OR's grow bits are 0 there).
        int* growRows = bilinearMask ? src.GrowRowsBefore : null;
        bool all = TPlanes.VarianceAndMask;   // a constant in each compiled form

        // Pass 1: footprints and taps.
        int* startX = stackalloc int[MaxSegment], startY = stackalloc int[MaxSegment], binX = stackalloc int[MaxSegment], binY = stackalloc int[MaxSegment];
        float* tX = stackalloc float[MaxSegment], tY = stackalloc float[MaxSegment], areas = stackalloc float[MaxSegment];
        double* fxs = stackalloc double[MaxSegment], fys = stackalloc double[MaxSegment];
        float* kxs = stackalloc float[MaxSegment * 8], kys = stackalloc float[MaxSegment * 8];
        float* sumsI = stackalloc float[MaxSegment * 8], sumsV = stackalloc float[MaxSegment * 8];
        byte* zeroRowTap = stackalloc byte[MaxSegment];
        var frame = new FootprintFrame(src, kernel, k.TableBins);
        Footprints(frame, sx, sy, count, startX, startY, fxs, fys, binX, binY, tX, tY);
        Areas(sx, sy, px, py, areas, count);
        long good = 0;
        fixed (float* table = k.Table) TapRows(table, binX, tX, binY, tY, count, size, kxs, kys, zeroRowTap);

        // Pass 2: the footprints.
        for (int c = 0; c < count; c++)
        {
            int x0 = startX[c], y0 = startY[c];
            if (x0 < 0)
            {
                if (x0 == AtEdge)
                    good += Row<TImage>(src, k, sx + c, sy + c, px + c, py + c, new WarpOutput(outImage + c, outVariance + c, outMask + c, 1), vector: true);
                continue;
            }
            float* ky = kys + c * 8;
            float* ir = image + y0 * imageStride + x0, vr = all ? variance + y0 * varianceStride + x0 : null;
            int* mr = all ? mask + y0 * maskStride + x0 : null;
            var accI = Vector256<float>.Zero;
            var accV = Vector256<float>.Zero;
            var fullV = Vector256<int>.Zero;
            bool withMask = all && (growRows == null || growRows[y0 + size] != growRows[y0]);
            // Rows in order, a row whose tap is 0 left out (as PixelVector). Most pixels have none: their rows go in
            // without a test per row.
            if (zeroRowTap[c] != 0) AddRows<TImage, TPlanes>(ky, ir, vr, mr, imageStride, varianceStride, maskStride, size, withMask, true, ref accI, ref accV, ref fullV);
            else AddRows<TImage, TPlanes>(ky, ir, vr, mr, imageStride, varianceStride, maskStride, size, withMask, false, ref accI, ref accV, ref fullV);
            var kx = Vector256.Load(kxs + c * 8);
            var used = ~Vector256.Equals(kx, Vector256<float>.Zero);
            Vector256.ConditionalSelect(used, accI * kx, Vector256<float>.Zero).Store(sumsI + c * 8);
            if (all)
            {
                Vector256.ConditionalSelect(used, accV * (kx * kx), Vector256<float>.Zero).Store(sumsV + c * 8);
                int full = withMask ? TImage.Mask(Or8(fullV & used.AsInt32())) : 0, bits = full;
                if (bilinearMask) bits = (full & growBits) | TImage.Mask(BilinearMask(mask + (y0 + maskShift) * maskStride + x0 + maskShift, maskStride, fxs[c], fys[c]));
                outMask[c] = bits;
            }
            good++;
        }

        // Pass 3: lane sums times areas; an image alone has variance 0 (times the area squared: NaN where the area is)
        // and no mask bits. Pixels at the edge keep what Row wrote.
        int p = 0;
        var nan = Vector256.Create(float.NaN);
        var infinity = Vector256.Create(float.PositiveInfinity);
        var noDataV = Vector256.Create(noData);
        for (; p + 8 <= count; p += 8)
        {
            var where = Vector256.Load(startX + p);
            var outside = Vector256.Equals(where, Vector256.Create(Outside));
            var edge = Vector256.Equals(where, Vector256.Create(AtEdge));
            var area = Vector256.Load(areas + p);
            var sumV = all ? Sum8x8(sumsV + p * 8) : Vector256<float>.Zero;
            var imageOut = Vector256.ConditionalSelect(outside.AsSingle(), nan, Sum8x8(sumsI + p * 8) * area);
            var varianceOut = Vector256.ConditionalSelect(outside.AsSingle(), infinity, sumV * (area * area));
            var maskOut = Vector256.ConditionalSelect(outside, noDataV, all ? Vector256.Load(outMask + p) : Vector256<int>.Zero);
            if (edge != Vector256<int>.Zero)
            {
                imageOut = Vector256.ConditionalSelect(edge.AsSingle(), Vector256.Load(outImage + p), imageOut);
                varianceOut = Vector256.ConditionalSelect(edge.AsSingle(), Vector256.Load(outVariance + p), varianceOut);
                maskOut = Vector256.ConditionalSelect(edge, Vector256.Load(outMask + p), maskOut);
            }
            imageOut.Store(outImage + p);
            varianceOut.Store(outVariance + p);
            maskOut.Store(outMask + p);
        }
        for (; p < count; p++)
        {
            if (startX[p] == AtEdge) continue;
            if (startX[p] == Outside)
            {
                outImage[p] = float.NaN;
                outVariance[p] = float.PositiveInfinity;
                outMask[p] = noData;
                continue;
            }
            float area = areas[p];
            outImage[p] = Sum8(sumsI + p * 8) * area;
            outVariance[p] = (all ? Sum8(sumsV + p * 8) : 0f) * (area * area);
            if (!all) outMask[p] = 0;
        }
        return good;
    }

    /// <summary>The rest of pass 1 of <see cref="RowTabulated8"/>: each pixel's taps (8 per axis) from the table rows at
    /// its bins (inside the table for every pixel, outside ones too, so this needs no test), and whether one of its row
    /// taps within the kernel's <paramref name="size"/> is 0 (those rows are then tested one by one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first segment: no tier-0 pass
    private static void TapRows(float* table, int* binX, float* tX, int* binY, float* tY, int count, int size, float* kxs, float* kys, byte* zeroRowTap)
    {
        uint kernelRows = (1u << size) - 1;
        for (int c = 0; c < count; c++)
        {
            float* rowX = table + binX[c] * 8, rowY = table + binY[c] * 8;
            WarpingKernel.Lerp8(rowX, rowX + 8, Vector256.Create(tX[c])).Store(kxs + c * 8);
            var ky = WarpingKernel.Lerp8(rowY, rowY + 8, Vector256.Create(tY[c]));
            ky.Store(kys + c * 8);
            zeroRowTap[c] = (byte)((Vector256.Equals(ky, Vector256<float>.Zero).ExtractMostSignificantBits() & kernelRows) != 0 ? 1 : 0);
        }
    }

    /// <summary>What <see cref="Footprints"/> needs of a warp: the source's size and origin, the kernel's size and
    /// centre, the tap table's bins and where vector loads must stop.</summary>
    private readonly struct FootprintFrame(in WarpSource src, WarpingKernel kernel, int bins)
    {
        /// <summary>Subtracted from a source position: the footprint then starts at its integer part.</summary>
        public readonly double OffsetX = src.X0 + kernel.Center, OffsetY = src.Y0 + kernel.Center;
        /// <summary>A footprint is inside when 0 &lt;= position &lt; limit (after the offset).</summary>
        public readonly double LimitX = src.Width - kernel.Size + 1, LimitY = src.Height - kernel.Size + 1;
        /// <summary>The last start column whose footprint rows load as vectors of 8.</summary>
        public readonly int LastVectorX = Math.Min(src.Width - kernel.Size, src.LoadLimit - 8);
        public readonly double Bins = bins;
        public readonly int LastBin = bins - 1;
    }

    /// <summary>Pass 1 of <see cref="RowTabulated8"/>: for each pixel of the segment, where its footprint starts
    /// (<paramref name="startX"/> is <see cref="Outside"/> or <see cref="AtEdge"/> instead of a column for such
    /// pixels), its fractional position, and its tap table bins and the fractions between them (as
    /// <see cref="WarpingKernel.TableRow(float*, int, double, int, double, out float)"/>); four pixels at a time with the
    /// same operations as the scalar tail, so the same values. Bins are kept inside the table for every pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first segment: no tier-0 pass
    private static void Footprints(in FootprintFrame f, double* sx, double* sy, int count, int* startX, int* startY, double* fxs, double* fys,
                                   int* binX, int* binY, float* tX, float* tY)
    {
        int c = 0;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            var offsetX = Vector256.Create(f.OffsetX);
            var offsetY = Vector256.Create(f.OffsetY);
            var limitX = Vector256.Create(f.LimitX);
            var limitY = Vector256.Create(f.LimitY);
            var bins = Vector256.Create(f.Bins);
            var lastBin = Vector128.Create(f.LastBin);
            var lastVectorX = Vector128.Create(f.LastVectorX);
            for (; c + 4 <= count; c += 4)
            {
                var x = Vector256.Load(sx + c + 1) - offsetX;
                var y = Vector256.Load(sy + c + 1) - offsetY;
                var inside = Vector256.GreaterThanOrEqual(x, Vector256<double>.Zero) & Vector256.GreaterThanOrEqual(y, Vector256<double>.Zero)
                             & Vector256.LessThan(x, limitX) & Vector256.LessThan(y, limitY);
                var ix = System.Runtime.Intrinsics.X86.Avx.ConvertToVector128Int32WithTruncation(x);
                var iy = System.Runtime.Intrinsics.X86.Avx.ConvertToVector128Int32WithTruncation(y);
                var fx = x - System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Double(ix);
                var fy = y - System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Double(iy);
                fx.Store(fxs + c);
                fy.Store(fys + c);
                var posX = fx * bins;
                var posY = fy * bins;
                var bx = Vector128.Min(Vector128.Max(System.Runtime.Intrinsics.X86.Avx.ConvertToVector128Int32WithTruncation(posX), Vector128<int>.Zero), lastBin);
                var by = Vector128.Min(Vector128.Max(System.Runtime.Intrinsics.X86.Avx.ConvertToVector128Int32WithTruncation(posY), Vector128<int>.Zero), lastBin);
                bx.Store(binX + c);
                by.Store(binY + c);
                System.Runtime.Intrinsics.X86.Avx.ConvertToVector128Single(posX - System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Double(bx)).Store(tX + c);
                System.Runtime.Intrinsics.X86.Avx.ConvertToVector128Single(posY - System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Double(by)).Store(tY + c);
                var insideLanes = Vector256.Narrow(inside.AsInt64(), inside.AsInt64()).GetLower();
                var column = Vector128.ConditionalSelect(Vector128.GreaterThan(ix, lastVectorX), Vector128.Create(AtEdge), ix);
                Vector128.ConditionalSelect(insideLanes, column, Vector128.Create(Outside)).Store(startX + c);
                Vector128.ConditionalSelect(insideLanes, iy, Vector128<int>.Zero).Store(startY + c);
            }
        }
        for (; c < count; c++)
        {
            double x = sx[c + 1] - f.OffsetX, y = sy[c + 1] - f.OffsetY;
            bool inside = x >= 0 && y >= 0 && x < f.LimitX && y < f.LimitY;   // false for NaN
            int ix = inside ? double.ConvertToIntegerNative<int>(x) : 0, iy = inside ? double.ConvertToIntegerNative<int>(y) : 0;
            double fx = x - ix, fy = y - iy;
            fxs[c] = fx;
            fys[c] = fy;
            double posX = fx * f.Bins, posY = fy * f.Bins;
            int bx = inside ? Math.Clamp(double.ConvertToIntegerNative<int>(posX), 0, f.LastBin) : 0;
            int by = inside ? Math.Clamp(double.ConvertToIntegerNative<int>(posY), 0, f.LastBin) : 0;
            (binX[c], binY[c]) = (bx, by);
            (tX[c], tY[c]) = ((float)(posX - bx), (float)(posY - by));
            startX[c] = !inside ? Outside : ix > f.LastVectorX ? AtEdge : ix;
            startY[c] = iy;
        }
    }

    /// <summary>The lane sums of eight pixels' vectors (<paramref name="v"/>: eight rows of 8 floats), each in the order
    /// of <see cref="Sum8(float*)"/>: ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)), the same additions done
    /// across pixels with lane shuffles. Needs AVX2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Sum8x8(float* v)
    {
        // a_i = v_i + v_{i+4}: pixel pairs (0, 1), (2, 3), (4, 5), (6, 7), one pixel in each half.
        var a01 = HalfSums(Vector256.Load(v), Vector256.Load(v + 8));
        var a23 = HalfSums(Vector256.Load(v + 16), Vector256.Load(v + 24));
        var a45 = HalfSums(Vector256.Load(v + 32), Vector256.Load(v + 40));
        var a67 = HalfSums(Vector256.Load(v + 48), Vector256.Load(v + 56));
        // b = (a0 + a2, a1 + a3) for pixels 0, 2 | 1, 3 and 4, 6 | 5, 7.
        var b0123 = System.Runtime.Intrinsics.X86.Avx.Shuffle(a01, a23, 0x44) + System.Runtime.Intrinsics.X86.Avx.Shuffle(a01, a23, 0xEE);
        var b4567 = System.Runtime.Intrinsics.X86.Avx.Shuffle(a45, a67, 0x44) + System.Runtime.Intrinsics.X86.Avx.Shuffle(a45, a67, 0xEE);
        // b0 + b1: pixels 0, 2, 4, 6 | 1, 3, 5, 7, put in order.
        var s = System.Runtime.Intrinsics.X86.Avx.Shuffle(b0123, b4567, 0x88) + System.Runtime.Intrinsics.X86.Avx.Shuffle(b0123, b4567, 0xDD);
        return System.Runtime.Intrinsics.X86.Avx2.PermuteVar8x32(s, Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7));
    }

    /// <summary>Lower plus upper half of two vectors: (p_lo + p_hi | q_lo + q_hi).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfSums(Vector256<float> p, Vector256<float> q) =>
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(p, q, 0x20) + System.Runtime.Intrinsics.X86.Avx.Permute2x128(p, q, 0x31);

    /// <summary>The OR of the mask under the bilinear kernel's non-zero taps at <paramref name="m"/>: taps (1 - f, f),
    /// so the second column or row counts only when its f != 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BilinearMask(int* m, long stride, double fx, double fy)
    {
        int narrow = m[0];
        if (fx != 0) narrow |= m[1];
        if (fy != 0)
        {
            narrow |= m[stride];
            if (fx != 0) narrow |= m[stride + 1];
        }
        return narrow;
    }

    /// <summary>The most pixels <see cref="RowTabulated8"/> takes at once (its per-pixel tables are on the stack, about 20 KB); longer segments
    /// go through in pieces.</summary>
    private const int MaxSegment = 128;

    /// <summary>A long segment through <see cref="RowVector"/> in pieces of <see cref="MaxSegment"/> pixels.</summary>
    private static long InPieces(in WarpSource src, WarpKernels k, double* sx, double* sy, double* px, double* py, in WarpOutput output)
    {
        long good = 0;
        for (int c0 = 0; c0 < output.Count; c0 += MaxSegment)
            good += RowVector(src, k, sx + c0, sy + c0, px + c0, py + c0,
                              new WarpOutput(output.Image + c0, output.Variance + c0, output.Mask + c0, Math.Min(MaxSegment, output.Count - c0)));
        return good;
    }

    /// <summary>The relative area of every pixel of a segment, as <see cref="Row{TImage}"/> computes it per pixel:
    /// |a x b| in double precision for the steps a to the left neighbour and b to the one below, then rounded to
    /// single; four pixels at a time, the same operations, so the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first segment: no tier-0 pass
    internal static void Areas(double* sx, double* sy, double* px, double* py, float* area, int count)
    {
        int c = 0;
        if (Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx.IsSupported)
            for (; c + 4 <= count; c += 4)
            {
                var x1 = Vector256.Load(sx + c + 1);
                var y1 = Vector256.Load(sy + c + 1);
                var ax = x1 - Vector256.Load(sx + c);
                var ay = y1 - Vector256.Load(sy + c);
                var bx = x1 - Vector256.Load(px + c + 1);
                var by = y1 - Vector256.Load(py + c + 1);
                System.Runtime.Intrinsics.X86.Avx.ConvertToVector128Single(Vector256.Abs(ax * by - ay * bx)).Store(area + c);
            }
        for (; c < count; c++)
        {
            double ax = sx[c + 1] - sx[c], ay = sy[c + 1] - sy[c], bx = sx[c + 1] - px[c + 1], by = sy[c + 1] - py[c + 1];
            area[c] = (float)Math.Abs(ax * by - ay * bx);
        }
    }

    /// <summary>The <paramref name="size"/> rows of a footprint into the accumulators (<see cref="AddRow"/>), unrolled with
    /// constant tap indices; <paramref name="testTaps"/> (a constant at each call) leaves out rows whose tap is 0, and
    /// without it every row goes in (the same bits when no tap is 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRows<TImage, TPlanes>(float* ky, float* ir, float* vr, int* mr, long imageStride, long varianceStride, long maskStride, int size,
                                                 bool withMask, bool testTaps, ref Vector256<float> accI, ref Vector256<float> accV, ref Vector256<int> fullV)
        where TImage : struct, IImageLoad where TPlanes : struct, IWarpPlanes
    {
        AddRow<TImage, TPlanes>(ky[0], ir, vr, mr, withMask, testTaps, ref accI, ref accV, ref fullV);
        AddRow<TImage, TPlanes>(ky[1], ir + imageStride, vr + varianceStride, mr + maskStride, withMask, testTaps, ref accI, ref accV, ref fullV);
        if (size <= 2) return;
        AddRow<TImage, TPlanes>(ky[2], ir + 2 * imageStride, vr + 2 * varianceStride, mr + 2 * maskStride, withMask, testTaps, ref accI, ref accV, ref fullV);
        AddRow<TImage, TPlanes>(ky[3], ir + 3 * imageStride, vr + 3 * varianceStride, mr + 3 * maskStride, withMask, testTaps, ref accI, ref accV, ref fullV);
        if (size <= 4) return;
        AddRow<TImage, TPlanes>(ky[4], ir + 4 * imageStride, vr + 4 * varianceStride, mr + 4 * maskStride, withMask, testTaps, ref accI, ref accV, ref fullV);
        AddRow<TImage, TPlanes>(ky[5], ir + 5 * imageStride, vr + 5 * varianceStride, mr + 5 * maskStride, withMask, testTaps, ref accI, ref accV, ref fullV);
        if (size <= 6) return;
        AddRow<TImage, TPlanes>(ky[6], ir + 6 * imageStride, vr + 6 * varianceStride, mr + 6 * maskStride, withMask, testTaps, ref accI, ref accV, ref fullV);
        AddRow<TImage, TPlanes>(ky[7], ir + 7 * imageStride, vr + 7 * varianceStride, mr + 7 * maskStride, withMask, testTaps, ref accI, ref accV, ref fullV);
    }

    /// <summary>One footprint row into the accumulators, as <see cref="PixelVector"/>'s loop body (nothing when the tap is 0
    /// and <paramref name="testTap"/>; the mask only <paramref name="withMask"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow<TImage, TPlanes>(float w, float* ir, float* vr, int* mr, bool withMask, bool testTap, ref Vector256<float> accI, ref Vector256<float> accV, ref Vector256<int> fullV)
        where TImage : struct, IImageLoad where TPlanes : struct, IWarpPlanes
    {
        if (testTap && w == 0) return;
        accI = Vector256.FusedMultiplyAdd(Vector256.Create(w), TImage.Load8(ir), accI);
        if (!TPlanes.VarianceAndMask) return;
        accV = Vector256.FusedMultiplyAdd(Vector256.Create(w * w), TImage.Load8(vr), accV);
        if (withMask) fullV |= Vector256.Load(mr);
    }

    /// <summary><paramref name="sx"/>/<paramref name="sy"/>: source positions (parent coordinates) of the segment's
    /// columns -1..Count-1; <paramref name="px"/>/<paramref name="py"/>: those of the same columns one row below.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first row: no tier-0 pass
    private static long Row<TImage>(in WarpSource src, WarpKernels k, double* sx, double* sy, double* px, double* py, in WarpOutput output, bool vector)
        where TImage : struct, IImageLoad
    {
        var kernel = k.Kernel;
        int size = kernel.Size, ctr = kernel.Center, stride = kernel.TapStride;
        var maskKernel = k.MaskKernel;
        int maskCtr = maskKernel?.Center ?? 0, noData = k.NoData, growBits = k.GrowBits;
        bool bilinearMask = maskKernel == WarpingKernel.Bilinear;
        float* kx = stackalloc float[stride];
        float* ky = stackalloc float[stride];
        float[]? table = k.Table;
        int bins = k.TableBins, count = output.Count;
        float* outImage = output.Image, outVariance = output.Variance;
        int* outMask = output.Mask, mask = src.Mask;
        float* image = src.Image, variance = src.Variance;
        long imageStride = src.ImageStride, varianceStride = src.VarianceStride, maskStride = src.MaskStride;
        // A footprint starting at column startX is inside the source when 0 <= startX <= lastX (rows likewise), and
        // can be loaded as one vector per row when also startX <= lastVectorX.
        int lastX = src.Width - size, lastY = src.Height - size;
        int lastVectorX = vector && size <= 8 ? Math.Min(lastX, src.LoadLimit - 8) : -1;
        // Source positions relative to the first source pixel, shifted by the kernel centre, so that the footprint
        // starts at floor(position) and positions below 0 (including -0.5) are outside.
        double offsetX = src.X0 + ctr, offsetY = src.Y0 + ctr;
        long good = 0;
        fixed (float* tableStart = table)
        {
            for (int c = 0; c < count; c++)
            {
                double x = sx[c + 1] - offsetX, y = sy[c + 1] - offsetY;
                // Also false for NaN; below 0 the floor would be negative, so no truncation issue for the (int) casts.
                if (!(x >= 0 && y >= 0 && x < lastX + 1 && y < lastY + 1))
                {
                    outImage[c] = float.NaN;
                    outVariance[c] = float.PositiveInfinity;
                    outMask[c] = noData;
                    continue;
                }
                int startX = double.ConvertToIntegerNative<int>(x), startY = double.ConvertToIntegerNative<int>(y);   // 0 <= x, y < limit: in range
                double fx = x - startX, fy = y - startY;
                if (tableStart == null)
                {
                    kernel.NormalizedTaps(fx, kx, bins);
                    kernel.NormalizedTaps(fy, ky, bins);
                }
                else
                {
                    WarpingKernel.Interpolate(tableStart, stride, bins, fx, kx);
                    WarpingKernel.Interpolate(tableStart, stride, bins, fy, ky);
                }
                // Relative area: the parallelogram of the source steps to the left and the lower neighbour.
                double ax = sx[c + 1] - sx[c], ay = sy[c + 1] - sy[c], bx = sx[c + 1] - px[c + 1], by = sy[c + 1] - py[c + 1];
                float area = (float)Math.Abs(ax * by - ay * bx);
                float sumI, sumV;
                int full;
                float* ir = image + startY * imageStride + startX, vr = variance == null ? null : variance + startY * varianceStride + startX;
                int* mr0 = mask == null ? null : mask + startY * maskStride + startX;
                if (startX <= lastVectorX) PixelVector<TImage>(ir, vr, mr0, imageStride, varianceStride, maskStride, size, kx, ky, out sumI, out sumV, out full);
                else PixelScalar<TImage>(ir, vr, mr0, imageStride, varianceStride, maskStride, size, kx, ky, out sumI, out sumV, out full);
                int bits = full = TImage.Mask(full);   // as stored until here (an OR)
                if (maskKernel is not null && mask != null)
                {
                    int ix = startX + ctr - maskCtr, iy = startY + ctr - maskCtr, narrow = 0;
                    if (bilinearMask) narrow = BilinearMask(mask + iy * maskStride + ix, maskStride, fx, fy);
                    else
                    {
                        int supportX = maskKernel.Support(fx), supportY = maskKernel.Support(fy);
                        for (int j = 0; j < maskKernel.Size; j++)
                        {
                            if ((supportY >> j & 1) == 0) continue;
                            int* mr = mask + (iy + j) * maskStride + ix;
                            for (int i = 0; i < maskKernel.Size; i++)
                                if ((supportX >> i & 1) != 0) narrow |= mr[i];
                        }
                    }
                    bits = (full & growBits) | TImage.Mask(narrow);
                }
                outImage[c] = sumI * area;
                outVariance[c] = sumV * (area * area);
                outMask[c] = bits;
                good++;
            }
        }
        return good;
    }

    /// <summary>The reference for one pixel whose footprint's first pixel is at <paramref name="image"/> (and
    /// <paramref name="variance"/>, <paramref name="mask"/>), rows the given strides apart:
    /// weighted sums of image and variance before the area factor, and the OR of the mask (as stored) under non-zero taps.
    /// With <paramref name="variance"/> null (an image alone) the variance sum and mask are 0 and neither is read.</summary>
    internal static void PixelScalar<TImage>(float* image, float* variance, int* mask, long imageStride, long varianceStride, long maskStride,
                                             int size, float* kx, float* ky, out float imageSum, out float varianceSum, out int fullMask)
        where TImage : struct, IImageLoad
    {
        int lanes = Math.Max(8, size);
        float* accI = stackalloc float[lanes];
        float* accV = stackalloc float[lanes];
        for (int i = 0; i < lanes; i++) accI[i] = accV[i] = 0;
        int full = 0;
        for (int j = 0; j < size; j++)
        {
            float w = ky[j];
            if (w == 0) continue;
            float w2 = w * w;
            float* ir = image + j * imageStride;
            for (int i = 0; i < size; i++)
                if (kx[i] != 0) accI[i] = MathF.FusedMultiplyAdd(w, TImage.Load(ir + i), accI[i]);
            if (variance == null) continue;   // an image alone: variance and mask stay 0
            float* vr = variance + j * varianceStride;
            int* mr = mask + j * maskStride;
            for (int i = 0; i < size; i++)
            {
                if (kx[i] == 0) continue;
                accV[i] = MathF.FusedMultiplyAdd(w2, TImage.Load(vr + i), accV[i]);
                full |= mr[i];
            }
        }
        for (int i = 0; i < size; i++)
        {
            accI[i] = kx[i] != 0 ? accI[i] * kx[i] : 0;
            accV[i] = kx[i] != 0 ? accV[i] * (kx[i] * kx[i]) : 0;
        }
        fullMask = full;
        if (lanes == 8)
        {
            imageSum = Sum8(accI);
            varianceSum = Sum8(accV);
            return;
        }
        float si = 0, sv = 0;
        for (int i = 0; i < size; i++)
        {
            si += accI[i];
            sv += accV[i];
        }
        (imageSum, varianceSum) = (si, sv);
    }

    /// <summary>Lane sum in a fixed order: ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)), as <see cref="Sum8(Vector256{float})"/>.</summary>
    internal static float Sum8(float* v)
    {
        float a0 = v[0] + v[4], a1 = v[1] + v[5], a2 = v[2] + v[6], a3 = v[3] + v[7];
        return (a0 + a2) + (a1 + a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum8(Vector256<float> v)
    {
        var h = v.GetLower() + v.GetUpper();
        h += Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1));
        h += Vector128.Shuffle(h, Vector128.Create(1, 0, 3, 2));
        return h.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Or8(Vector256<int> v)
    {
        var h = v.GetLower() | v.GetUpper();
        h |= Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1));
        h |= Vector128.Shuffle(h, Vector128.Create(1, 0, 3, 2));
        return h.ToScalar();
    }

    /// <summary><see cref="PixelScalar"/> with one Vector256 per tap row (size at most 8, the 8 loaded columns inside
    /// every plane's row); lanes beyond the kernel have kx = 0 and drop out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PixelVector<TImage>(float* image, float* variance, int* mask, long imageStride, long varianceStride, long maskStride,
                                             int size, float* kx, float* ky, out float imageSum, out float varianceSum, out int fullMask)
        where TImage : struct, IImageLoad
    {
        var accI = Vector256<float>.Zero;
        var accV = Vector256<float>.Zero;
        var fullV = Vector256<int>.Zero;
        float* ir = image, vr = variance;
        int* mr = mask;
        for (int j = 0; j < size; j++, ir += imageStride, vr += varianceStride, mr += maskStride)
        {
            float w = ky[j];
            if (w == 0) continue;
            accI = Vector256.FusedMultiplyAdd(Vector256.Create(w), TImage.Load8(ir), accI);
            if (variance == null) continue;   // an image alone: variance and mask stay 0
            accV = Vector256.FusedMultiplyAdd(Vector256.Create(w * w), TImage.Load8(vr), accV);
            fullV |= Vector256.Load(mr);
        }
        var kxv = Vector256.Load(kx);
        var used = ~Vector256.Equals(kxv, Vector256<float>.Zero);
        var pI = Vector256.ConditionalSelect(used, accI * kxv, Vector256<float>.Zero);
        var pV = Vector256.ConditionalSelect(used, accV * (kxv * kxv), Vector256<float>.Zero);
        imageSum = Sum8(pI);
        varianceSum = Sum8(pV);
        fullMask = Or8(fullV & used.AsInt32());
    }
}
