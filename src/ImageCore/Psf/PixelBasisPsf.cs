using System.Buffers;
using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;

namespace ImageCore.Psf;

/// <summary>
/// A measured PSF as PSFEx models one: a basis of kernel images whose weights are a polynomial in the position. The
/// kernel at (x, y) is sum_t u^p_t v^q_t B_t, normalised to sum 1, where B_t is the t-th basis image and
/// u = (x - xc) / hx, v = (y - yc) / hy scale the <see cref="Region"/> (usually the detector) to [-1, 1] about its
/// centre (xc, yc) with half-widths (hx, hy); positions outside the region are taken at its nearest edge, so the model
/// never extrapolates. The terms run by total degree, then by the power of v: 1, u, v, u^2, u v, v^2, ...
/// (<see cref="Term"/>); <see cref="SpatialOrder"/> 0 is a constant PSF.
/// </summary>
public sealed class PixelBasisPsf : IPsf
{
    private readonly float[] _basis;

    /// <summary>A model from its basis.</summary>
    /// <param name="kernelSize">Odd, 1 to 1001.</param>
    /// <param name="spatialOrder">Polynomial order in (u, v), 0 to 10.</param>
    /// <param name="region">The box (parent pixels) that the polynomial's [-1, 1] spans; not empty.</param>
    /// <param name="basis"><see cref="TermCount(int)"/> kernel images of kernelSize^2 pixels, one after the other, each
    /// row by row (the layout of the FITS cube); copied.</param>
    /// <exception cref="ArgumentException">Sizes that do not agree, an empty region, or a value that is not finite.</exception>
    public PixelBasisPsf(int kernelSize, int spatialOrder, Box2I region, ReadOnlySpan<float> basis)
    {
        GaussianPsf.CheckSize(kernelSize);
        if (spatialOrder is < 0 or > 10) throw new ArgumentOutOfRangeException(nameof(spatialOrder), $"spatial order {spatialOrder} must be 0..10");
        if (region.IsEmpty) throw new ArgumentException($"the region {region} is empty", nameof(region));
        int terms = TermCount(spatialOrder);
        if (basis.Length != (long)terms * kernelSize * kernelSize)
            throw new ArgumentException($"spatial order {spatialOrder} has {terms} terms of {kernelSize}x{kernelSize} pixels ({terms * kernelSize * kernelSize} values), not {basis.Length}", nameof(basis));
        foreach (float value in basis)
            if (!float.IsFinite(value)) throw new ArgumentException("the basis holds a value that is not finite", nameof(basis));
        (KernelSize, SpatialOrder, Region) = (kernelSize, spatialOrder, region);
        _basis = basis.ToArray();
    }

    /// <inheritdoc/>
    public int KernelSize { get; }

    /// <summary>The polynomial's order in (u, v).</summary>
    public int SpatialOrder { get; }

    /// <summary>The box (parent pixels) whose centre is u = v = 0 and whose edges are u, v = -1 and 1.</summary>
    public Box2I Region { get; }

    /// <summary>The number of terms, (order + 1)(order + 2) / 2.</summary>
    public int Terms => TermCount(SpatialOrder);

    /// <summary>The number of terms of a polynomial of order <paramref name="spatialOrder"/> in two variables.</summary>
    public static int TermCount(int spatialOrder) => (spatialOrder + 1) * (spatialOrder + 2) / 2;

    /// <summary>The powers of u and v of term <paramref name="index"/>: by total degree d, then q = 0..d, p = d - q.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative index.</exception>
    public static (int P, int Q) Term(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        int d = 0;
        while (TermCount(d) <= index) d++;
        int q = index - TermCount(d - 1);
        return (d - q, q);
    }

    /// <summary>Basis image <paramref name="term"/>, kernelSize^2 values row by row.</summary>
    public ReadOnlySpan<float> Basis(int term)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(term);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(term, Terms);
        int n = KernelSize * KernelSize;
        return _basis.AsSpan(term * n, n);
    }

    /// <summary>The whole basis, the terms one after the other (the FITS cube's order).</summary>
    public ReadOnlySpan<float> BasisCube => _basis;

    /// <summary>(u, v) of parent position (<paramref name="x"/>, <paramref name="y"/>), each clamped to [-1, 1].</summary>
    public (double U, double V) Normalize(double x, double y) => Normalize(Region, x, y);

    /// <summary>(u, v) of parent position (<paramref name="x"/>, <paramref name="y"/>) for <paramref name="region"/>:
    /// u = (x - xc) / hx with xc = MinX + (Width - 1) / 2 and hx = (Width - 1) / 2 (at least 0.5), v likewise; each
    /// clamped to [-1, 1].</summary>
    public static (double U, double V) Normalize(Box2I region, double x, double y)
    {
        double hx = Math.Max(0.5, (region.Width - 1) / 2.0), hy = Math.Max(0.5, (region.Height - 1) / 2.0);
        double u = (x - (region.MinX + (region.Width - 1) / 2.0)) / hx, v = (y - (region.MinY + (region.Height - 1) / 2.0)) / hy;
        return (Math.Clamp(double.IsNaN(u) ? 0 : u, -1, 1), Math.Clamp(double.IsNaN(v) ? 0 : v, -1, 1));
    }

    /// <summary>The terms' values u^p v^q at (<paramref name="u"/>, <paramref name="v"/>), in term order.</summary>
    public static void EvaluateTerms(int spatialOrder, double u, double v, Span<double> terms)
    {
        int t = 0;
        for (int d = 0; d <= spatialOrder; d++)
            for (int q = 0; q <= d; q++)
                terms[t++] = Math.Pow(u, d - q) * Math.Pow(v, q);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The kernel sums to zero or less there (not possible for a model that
    /// <c>PsfFitter</c> accepted).</exception>
    public void ComputeKernelImage(double x, double y, Span2D<float> destination)
    {
        PsfExtensions.CheckKernelSize(destination, KernelSize);
        int n = KernelSize * KernelSize, terms = Terms;
        Span<double> weights = stackalloc double[terms];
        var (u, v) = Normalize(x, y);
        EvaluateTerms(SpatialOrder, u, v, weights);
        double[] rented = ArrayPool<double>.Shared.Rent(n);   // a candidate of PSF matching asks for thousands of these
        try
        {
            var sums = rented.AsSpan(0, n);
            sums.Clear();
            for (int t = 0; t < terms; t++)
            {
                var b = _basis.AsSpan(t * n, n);
                double w = weights[t];
                for (int i = 0; i < n; i++) sums[i] += w * b[i];
            }
            double total = 0;
            foreach (double s in sums) total += s;
            if (!(total > 0) || !double.IsFinite(total))
                throw new InvalidOperationException($"the PSF model's kernel at ({x}, {y}) sums to {total}");
            for (int row = 0, i = 0; row < KernelSize; row++)
            {
                var r = destination.GetRowSpan(row);
                for (int col = 0; col < KernelSize; col++, i++) r[col] = (float)(sums[i] / total);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Adaptive moments of the kernel image.</remarks>
    public PsfMoments ComputeMoments(double x, double y)
    {
        return PsfExtensions.KernelImageMoments(new ReadOnlySpan2D<float>(this.ComputeKernelImage(x, y)));
    }

    /// <inheritdoc/>
    /// <remarks>The kernel is a pixelised image (fitted to stars), so the pixel is removed from its moments first:
    /// <c>ComputeMoments(x, y).WithoutPixel().Fwhm</c>.</remarks>
    public double ComputeFwhm(double x, double y) => ComputeMoments(x, y).WithoutPixel().Fwhm;

    /// <inheritdoc/>
    public override string ToString() => $"PixelBasisPsf({KernelSize}x{KernelSize}, order {SpatialOrder}, region {Region})";
}
