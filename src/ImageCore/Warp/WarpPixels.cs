using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ImageCore.Warp;

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
internal static unsafe partial class WarpPixels
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
