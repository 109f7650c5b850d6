using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ImageCore.Warp;

// RowTabulated8 and its passes: the common case of RowVector (tabulated kernels of up to 8 taps on AVX2).
internal static unsafe partial class WarpPixels
{
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
}
