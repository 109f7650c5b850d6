using CommunityToolkit.HighPerformance;

namespace ImageCore.Psf;

/// <summary>
/// A point-spread function model of one exposure (afw's Psf): at any position of the exposure, the image a point
/// source centred on a pixel makes, and that image's second moments and FWHM. Positions are parent pixel coordinates
/// (0-based, pixel centres at integers), as the exposure's <c>BBox</c>. Implementations are immutable and may be used
/// from several threads at once. Stored with an exposure as its <c>PSF</c> extension (<see cref="PsfFits"/>).
/// </summary>
public interface IPsf
{
    /// <summary>Width and height of the kernel images, pixels: odd, so that the point source sits on the centre pixel
    /// (<c>KernelSize / 2</c>, <c>KernelSize / 2</c>).</summary>
    int KernelSize { get; }

    /// <summary>Writes the kernel image at (<paramref name="x"/>, <paramref name="y"/>) into
    /// <paramref name="destination"/>: the PSF centred on the centre pixel, summing to 1 (afw's computeKernelImage).</summary>
    /// <param name="x">Column, parent pixels.</param>
    /// <param name="y">Row, parent pixels.</param>
    /// <param name="destination"><see cref="KernelSize"/> x <see cref="KernelSize"/>; every pixel is written.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <see cref="KernelSize"/> square.</exception>
    void ComputeKernelImage(double x, double y, Span2D<float> destination);

    /// <summary>The second moments of the PSF at (<paramref name="x"/>, <paramref name="y"/>), pixels^2: adaptive moments
    /// of the kernel image (as afw's computeShape), or the exact moments where the model has them.</summary>
    PsfMoments ComputeMoments(double x, double y);

    /// <summary>The FWHM of the PSF at (<paramref name="x"/>, <paramref name="y"/>), pixels, of the profile before the
    /// pixels integrate it: a star imaged through a round Gaussian of sigma s has FWHM 2 sqrt(2 ln 2) s = 2.3548 s, although
    /// its pixels' moments are s^2 + 1/12. A model whose kernel is such a pixelised image (<see cref="PixelBasisPsf"/>)
    /// removes the pixel's 1/12 pixel^2 from its moments first (<see cref="PsfMoments.WithoutPixel"/>); one whose kernel
    /// samples a profile at the pixel centres (<see cref="GaussianPsf"/>, <see cref="DoubleGaussianPsf"/>) gives the
    /// profile's.</summary>
    double ComputeFwhm(double x, double y);
}

/// <summary>What every <see cref="IPsf"/> gives from its kernel image.</summary>
public static class PsfExtensions
{
    /// <summary>The kernel image at (<paramref name="x"/>, <paramref name="y"/>) as a new array, [row, column].</summary>
    public static float[,] ComputeKernelImage(this IPsf psf, double x, double y)
    {
        ArgumentNullException.ThrowIfNull(psf);
        var kernel = new float[psf.KernelSize, psf.KernelSize];
        psf.ComputeKernelImage(x, y, new Span2D<float>(kernel));
        return kernel;
    }

    /// <summary>The adaptive moments of <paramref name="psf"/>'s kernel image at (<paramref name="x"/>, <paramref name="y"/>)
    /// (<see cref="KernelImageMoments(ReadOnlySpan2D{float})"/>), the image in a rented buffer.</summary>
    internal static PsfMoments KernelImageMoments(IPsf psf, double x, double y)
    {
        int k = psf.KernelSize;
        float[] rented = System.Buffers.ArrayPool<float>.Shared.Rent(k * k);
        try
        {
            var kernel = new Span2D<float>(rented, 0, k, k, 0);
            psf.ComputeKernelImage(x, y, kernel);
            return KernelImageMoments(kernel);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>The adaptive moments of a kernel image (<see cref="IPsf.ComputeMoments"/> for models without exact
    /// moments): started at the centre pixel with the width of the image's unweighted moments.</summary>
    /// <exception cref="InvalidOperationException">The kernel image has no positive moments.</exception>
    public static PsfMoments KernelImageMoments(ReadOnlySpan2D<float> kernel)
    {
        double sum = 0, sxx = 0, syy = 0;
        int c = kernel.Width / 2, r = kernel.Height / 2;
        for (int y = 0; y < kernel.Height; y++)
        {
            var row = kernel.GetRowSpan(y);
            for (int x = 0; x < kernel.Width; x++)
            {
                sum += row[x];
                sxx += row[x] * (double)(x - c) * (x - c);
                syy += row[x] * (double)(y - r) * (y - r);
            }
        }
        double start = sum > 0 && sxx + syy > 0 ? Math.Sqrt(0.5 * (sxx + syy) / sum) : 1;
        // The unweighted moments' width first; a kernel whose wings (slightly negative in a fitted model) mislead it can
        // send the iteration astray (it then ends unconverged, on a point), so other starting widths are tried in turn.
        double widest = Math.Max(1, kernel.Width / 2.0);
        foreach (double sigma in (ReadOnlySpan<double>)[start, 1.5, 3, 0.8, 6])
        {
            var m = AdaptiveMoments.Measure(kernel, c, r, Math.Clamp(sigma, 0.3, widest));
            if (m.Converged && m.Moments.Ixx > 0 && m.Moments.Iyy > 0) return m.Moments;
        }
        throw new InvalidOperationException("the kernel image's adaptive moments do not converge from any starting width");
    }

    /// <summary>Throws unless <paramref name="destination"/> is <paramref name="size"/> square.</summary>
    internal static void CheckKernelSize(Span2D<float> destination, int size)
    {
        if (destination.Width != size || destination.Height != size)
            throw new ArgumentException($"a kernel image is {size}x{size} pixels, not {destination.Width}x{destination.Height}", nameof(destination));
    }
}
