using System.Buffers;
using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Geometry;

namespace ImageCore.Psf;

/// <summary>
/// A detector's PSF seen in a warped frame (meas_algorithms' WarpedPsf): the source PSF, defined in the source's pixels
/// (a detector), mapped into the destination's pixels (a warp or coadd) through the two WCSs, destination pixel ->
/// sky -> source pixel.
/// <para>At a destination point p the kernel image is made as afw makes it: the destination -> source transform is
/// linearised at p to a matrix B (central differences, one pixel apart); the source PSF's kernel image is computed at the
/// source position of p rounded to the nearest pixel; that image is resampled through the affine map, each destination
/// kernel pixel d (relative to the centre pixel) taking the source image at B d by Lanczos-3 interpolation (taps
/// normalised to sum 1 per axis, zero outside the source kernel), and the result is normalised to sum 1.</para>
/// <para><see cref="KernelSize"/> is fixed per instance: the smallest odd size that holds the source kernel's box mapped
/// by B^-1, taken at the corners and centre of <see cref="SourceRegion"/> (the transform varies little across a
/// detector; a point whose mapped kernel is larger loses only the outermost source pixels).</para>
/// Immutable and thread-safe; evaluation rents its scratch from <see cref="ArrayPool{T}.Shared"/> and allocates nothing else.
/// </summary>
public sealed class WarpedPsf : IPsf
{
    /// <summary>The largest kernel size a warped PSF may need.</summary>
    public const int MaxKernelSize = 1001;

    /// <summary>The PSF <paramref name="sourcePsf"/> of an image with WCS <paramref name="sourceWcs"/>, seen in the pixels
    /// of <paramref name="destinationWcs"/>.</summary>
    /// <param name="sourcePsf">The source's PSF, source pixels.</param>
    /// <param name="sourceWcs">The source's WCS (parent pixels, as the PSF's).</param>
    /// <param name="destinationWcs">The warped frame's WCS.</param>
    /// <param name="sourceRegion">Where the source PSF is used (the detector's box), source pixels; sets <see cref="KernelSize"/>.</param>
    /// <exception cref="ArgumentException">The region is empty, a point of it has no position in the destination (more
    /// than 90 degrees from its tangent point), the transform is singular there, or the mapped kernel exceeds
    /// <see cref="MaxKernelSize"/>.</exception>
    public WarpedPsf(IPsf sourcePsf, SkyWcs sourceWcs, SkyWcs destinationWcs, Box2I sourceRegion)
    {
        ArgumentNullException.ThrowIfNull(sourcePsf);
        ArgumentNullException.ThrowIfNull(sourceWcs);
        ArgumentNullException.ThrowIfNull(destinationWcs);
        if (sourceRegion.IsEmpty) throw new ArgumentException($"the source region {sourceRegion} is empty", nameof(sourceRegion));
        (SourcePsf, SourceWcs, DestinationWcs, SourceRegion) = (sourcePsf, sourceWcs, destinationWcs, sourceRegion);
        int hs = sourcePsf.KernelSize / 2;
        double extent = 0;
        ReadOnlySpan<(double X, double Y)> points =
        [
            (sourceRegion.MinX, sourceRegion.MinY), (sourceRegion.MaxX, sourceRegion.MinY), (sourceRegion.MinX, sourceRegion.MaxY),
            (sourceRegion.MaxX, sourceRegion.MaxY), ((sourceRegion.MinX + sourceRegion.MaxX) / 2.0, (sourceRegion.MinY + sourceRegion.MaxY) / 2.0),
        ];
        foreach (var (sx, sy) in points)
        {
            var (dx, dy) = ToDestination(sx, sy);
            var b = LinearizeToSource(dx, dy);
            if (!double.IsFinite(dx) || !double.IsFinite(dy) || !b.IsInvertible)
                throw new ArgumentException($"source pixel ({sx}, {sy}) has no usable position in the destination frame (at ({dx}, {dy}))", nameof(sourceRegion));
            var a = b.Inverse();
            foreach (var (cx, cy) in (ReadOnlySpan<(int, int)>)[(hs, hs), (hs, -hs)])
                extent = Math.Max(extent, Math.Max(Math.Abs(a.XX * cx + a.XY * cy), Math.Abs(a.YX * cx + a.YY * cy)));
        }
        int half = (int)Math.Ceiling(extent - 1e-3);   // 1e-3: the Jacobian's rounding must not add two pixels
        if (2L * half + 1 > MaxKernelSize)
            throw new ArgumentException($"the warped kernel would be {2L * half + 1} pixels wide (at most {MaxKernelSize}): the destination's pixels are far smaller than the source's");
        KernelSize = 2 * half + 1;
    }

    /// <summary>The PSF in the source's pixels.</summary>
    public IPsf SourcePsf { get; }

    /// <summary>The source's WCS.</summary>
    public SkyWcs SourceWcs { get; }

    /// <summary>The destination (warped frame) WCS, in whose pixels this PSF is evaluated.</summary>
    public SkyWcs DestinationWcs { get; }

    /// <summary>The source region the kernel size was chosen for, source pixels.</summary>
    public Box2I SourceRegion { get; }

    /// <inheritdoc/>
    public int KernelSize { get; }

    /// <summary>The source pixel of destination pixel (<paramref name="x"/>, <paramref name="y"/>); NaN where it has none.</summary>
    public (double X, double Y) ToSource(double x, double y)
    {
        var (ra, dec) = DestinationWcs.PixelToSky(x, y);
        return SourceWcs.SkyToPixel(ra, dec);
    }

    /// <summary>The destination pixel of source pixel (<paramref name="x"/>, <paramref name="y"/>); NaN where it has none.</summary>
    public (double X, double Y) ToDestination(double x, double y)
    {
        var (ra, dec) = SourceWcs.PixelToSky(x, y);
        return DestinationWcs.SkyToPixel(ra, dec);
    }

    /// <summary>The destination -> source Jacobian at destination pixel (x, y), by central differences a pixel apart.</summary>
    internal Linear2 LinearizeToSource(double x, double y)
    {
        var (x1, y1) = ToSource(x + 0.5, y);
        var (x0, y0) = ToSource(x - 0.5, y);
        var (x3, y3) = ToSource(x, y + 0.5);
        var (x2, y2) = ToSource(x, y - 0.5);
        return new Linear2(x1 - x0, x3 - x2, y1 - y0, y3 - y2);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The point has no source position (more than 90 degrees away).</exception>
    /// <exception cref="InvalidOperationException">The resampled kernel does not sum to a positive finite value.</exception>
    public void ComputeKernelImage(double x, double y, Span2D<float> destination)
    {
        PsfExtensions.CheckKernelSize(destination, KernelSize);
        var b = LinearizeToSource(x, y);
        var (sx, sy) = ToSource(Math.Round(x), Math.Round(y));
        if (!b.IsInvertible || !double.IsFinite(sx) || !double.IsFinite(sy))
            throw new ArgumentOutOfRangeException(nameof(x), $"destination pixel ({x}, {y}) has no position in the source frame");
        int ks = SourcePsf.KernelSize;
        float[] rented = ArrayPool<float>.Shared.Rent(ks * ks);
        try
        {
            var source = new Span2D<float>(rented, 0, ks, ks, 0);
            SourcePsf.ComputeKernelImage(sx, sy, source);
            Resample(source, b, destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>destination(d) = source(c_s + B d) by separable Lanczos-3 taps (normalised to sum 1 per axis; zero outside
    /// the source), d relative to the destination's centre pixel; then normalised to sum 1.</summary>
    internal static void Resample(ReadOnlySpan2D<float> source, Linear2 b, Span2D<float> destination)
    {
        int ks = source.Width, cs = ks / 2, cd = destination.Width / 2;
        Span<double> tx = stackalloc double[Lanczos3.Size], ty = stackalloc double[Lanczos3.Size];
        double total = 0;
        for (int j = 0; j < destination.Height; j++)
        {
            var row = destination.GetRowSpan(j);
            double dy = j - cd;
            for (int i = 0; i < row.Length; i++)
            {
                double dx = i - cd;
                double u = cs + b.XX * dx + b.XY * dy, v = cs + b.YX * dx + b.YY * dy;
                if (!(u > -3 && u < ks + 2 && v > -3 && v < ks + 2)) { row[i] = 0; continue; }
                int iu = (int)Math.Floor(u), iv = (int)Math.Floor(v);
                Lanczos3.Taps(u - iu, tx);
                Lanczos3.Taps(v - iv, ty);
                double nx = 0, ny = 0;
                for (int k = 0; k < Lanczos3.Size; k++) { nx += tx[k]; ny += ty[k]; }
                double sum = 0;
                for (int n = 0; n < Lanczos3.Size; n++)
                {
                    int sr = iv - 2 + n;
                    if ((uint)sr >= (uint)ks || ty[n] == 0) continue;
                    var srow = source.GetRowSpan(sr);
                    double rowSum = 0;
                    for (int m = 0; m < Lanczos3.Size; m++)
                    {
                        int sc = iu - 2 + m;
                        if ((uint)sc < (uint)ks) rowSum += tx[m] * srow[sc];
                    }
                    sum += ty[n] * rowSum;
                }
                double value = sum / (nx * ny);
                row[i] = (float)value;
                total += value;
            }
        }
        if (!(total > 0) || !double.IsFinite(total))
            throw new InvalidOperationException($"the warped kernel sums to {total}, not a positive finite value");
        float scale = (float)(1 / total);
        for (int j = 0; j < destination.Height; j++)
            foreach (ref float p in destination.GetRowSpan(j)) p *= scale;
    }

    /// <inheritdoc/>
    /// <remarks>Adaptive moments of the kernel image (<see cref="PsfExtensions.KernelImageMoments(ReadOnlySpan2D{float})"/>).</remarks>
    public PsfMoments ComputeMoments(double x, double y) => PsfExtensions.KernelImageMoments(this, x, y);

    /// <inheritdoc/>
    /// <remarks>The source PSF's FWHM at the source position times sqrt|det A|, A the source -> destination Jacobian: the
    /// determinant radius (FWHM's measure) of moments M mapped to A M A^T scales by that factor.</remarks>
    public double ComputeFwhm(double x, double y)
    {
        var b = LinearizeToSource(x, y);
        var (sx, sy) = ToSource(x, y);
        return SourcePsf.ComputeFwhm(sx, sy) / Math.Sqrt(Math.Abs(b.Determinant));
    }

    /// <inheritdoc/>
    public override string ToString() => $"WarpedPsf({KernelSize}x{KernelSize} of {SourcePsf})";
}

/// <summary>A 2 x 2 matrix [[XX, XY], [YX, YY]]: (x, y) -> (XX x + XY y, YX x + YY y).</summary>
internal readonly record struct Linear2(double XX, double XY, double YX, double YY)
{
    /// <summary>XX YY - XY YX.</summary>
    public double Determinant => XX * YY - XY * YX;

    /// <summary>Finite and not singular.</summary>
    public bool IsInvertible => double.IsFinite(Determinant) && Math.Abs(Determinant) > 1e-12;

    /// <summary>The inverse matrix.</summary>
    public Linear2 Inverse()
    {
        double d = Determinant;
        return new Linear2(YY / d, -XY / d, -YX / d, XX / d);
    }
}
