using CommunityToolkit.HighPerformance;

namespace ImageCore.Psf;

/// <summary>
/// Two concentric round Gaussians, the same everywhere (meas_algorithms' DoubleGaussianPsf, the shape
/// <see cref="GaussianPsfFactory"/> makes for model PSFs): the kernel is
/// exp(-r^2 / (2 sigma1^2)) + b exp(-r^2 / (2 sigma2^2)) sampled at the pixel centres and normalised to sum 1, so
/// <see cref="B"/> is the outer Gaussian's amplitude at the centre relative to the inner one's.
/// </summary>
public sealed class DoubleGaussianPsf : IPsf
{
    /// <summary>A double Gaussian in kernels of <paramref name="kernelSize"/> pixels. As in afw, b = 0 with sigma2 = 0
    /// means a single Gaussian (sigma2 is then taken as 1).</summary>
    /// <param name="kernelSize">Odd, 1 to 1001.</param>
    /// <param name="sigma1">Inner sigma, pixels, &gt; 0.</param>
    /// <param name="sigma2">Outer sigma, pixels, &gt; 0.</param>
    /// <param name="b">Outer amplitude at the centre over the inner one's, finite and &gt;= 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, sigma or b out of range.</exception>
    public DoubleGaussianPsf(int kernelSize, double sigma1, double sigma2, double b)
    {
        GaussianPsf.CheckSize(kernelSize);
        if (b == 0 && sigma2 == 0) sigma2 = 1;
        if (!(sigma1 > 0) || !double.IsFinite(sigma1)) throw new ArgumentOutOfRangeException(nameof(sigma1), $"sigma1 {sigma1} must be finite and > 0");
        if (!(sigma2 > 0) || !double.IsFinite(sigma2)) throw new ArgumentOutOfRangeException(nameof(sigma2), $"sigma2 {sigma2} must be finite and > 0");
        if (!(b >= 0) || !double.IsFinite(b)) throw new ArgumentOutOfRangeException(nameof(b), $"b {b} must be finite and >= 0");
        (KernelSize, Sigma1, Sigma2, B) = (kernelSize, sigma1, sigma2, b);
    }

    /// <inheritdoc/>
    public int KernelSize { get; }

    /// <summary>The inner Gaussian's sigma, pixels.</summary>
    public double Sigma1 { get; }

    /// <summary>The outer Gaussian's sigma, pixels.</summary>
    public double Sigma2 { get; }

    /// <summary>The outer Gaussian's amplitude at the centre relative to the inner one's.</summary>
    public double B { get; }

    /// <inheritdoc/>
    public void ComputeKernelImage(double x, double y, Span2D<float> destination)
    {
        PsfExtensions.CheckKernelSize(destination, KernelSize);
        GaussianPsf.Fill(destination, r2 => Math.Exp(-r2 / (2 * Sigma1 * Sigma1)) + B * Math.Exp(-r2 / (2 * Sigma2 * Sigma2)));
    }

    /// <inheritdoc/>
    /// <remarks>Adaptive moments of the kernel image, as afw's DoubleGaussianPsf (through ImagePsf).</remarks>
    public PsfMoments ComputeMoments(double x, double y)
    {
        return PsfExtensions.KernelImageMoments(new ReadOnlySpan2D<float>(this.ComputeKernelImage(x, y)));
    }

    /// <inheritdoc/>
    /// <remarks>2 sqrt(2 ln 2) times the determinant radius of <see cref="ComputeMoments"/> (the kernel samples the
    /// profile, so no pixel is removed).</remarks>
    public double ComputeFwhm(double x, double y) => ComputeMoments(x, y).Fwhm;

    /// <inheritdoc/>
    public override string ToString() => $"DoubleGaussianPsf({KernelSize}x{KernelSize}, sigma1 {Sigma1:G6}, sigma2 {Sigma2:G6}, b {B:G6})";
}
