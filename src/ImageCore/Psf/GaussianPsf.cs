using CommunityToolkit.HighPerformance;

namespace ImageCore.Psf;

/// <summary>
/// A round Gaussian PSF, the same everywhere (meas_algorithms' SingleGaussianPsf): the kernel is
/// exp(-r^2 / (2 sigma^2)) sampled at the pixel centres and normalised to sum 1. Its moments are exactly sigma^2.
/// </summary>
public sealed class GaussianPsf : IPsf
{
    /// <summary>A Gaussian PSF of width <paramref name="sigma"/> in kernels of <paramref name="kernelSize"/> pixels.</summary>
    /// <param name="kernelSize">Odd, 1 to 1001.</param>
    /// <param name="sigma">Pixels, finite and &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An even or out-of-range size, or a sigma not &gt; 0.</exception>
    public GaussianPsf(int kernelSize, double sigma)
    {
        CheckSize(kernelSize);
        if (!(sigma > 0) || !double.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), $"sigma {sigma} must be finite and > 0");
        KernelSize = kernelSize;
        Sigma = sigma;
    }

    /// <inheritdoc/>
    public int KernelSize { get; }

    /// <summary>The Gaussian's sigma, pixels.</summary>
    public double Sigma { get; }

    /// <inheritdoc/>
    public void ComputeKernelImage(double x, double y, Span2D<float> destination)
    {
        PsfExtensions.CheckKernelSize(destination, KernelSize);
        Fill(destination, r2 => Math.Exp(-r2 / (2 * Sigma * Sigma)));
    }

    /// <inheritdoc/>
    /// <remarks>Exact: (sigma^2, sigma^2, 0), as afw's SingleGaussianPsf.</remarks>
    public PsfMoments ComputeMoments(double x, double y) => new(Sigma * Sigma, Sigma * Sigma, 0);

    /// <inheritdoc/>
    /// <remarks>2 sqrt(2 ln 2) sigma.</remarks>
    public double ComputeFwhm(double x, double y) => PsfMoments.FwhmPerSigma * Sigma;

    /// <inheritdoc/>
    public override string ToString() => $"GaussianPsf({KernelSize}x{KernelSize}, sigma {Sigma:G6})";

    /// <summary>Fills a square kernel with f(r^2) about its centre pixel, normalised to sum 1.</summary>
    internal static void Fill(Span2D<float> destination, Func<double, double> profile)
    {
        int c = destination.Width / 2;
        double sum = 0;
        for (int y = 0; y < destination.Height; y++)
            for (int x = 0; x < destination.Width; x++)
                sum += profile((double)(x - c) * (x - c) + (double)(y - c) * (y - c));
        for (int y = 0; y < destination.Height; y++)
        {
            var row = destination.GetRowSpan(y);
            for (int x = 0; x < destination.Width; x++)
                row[x] = (float)(profile((double)(x - c) * (x - c) + (double)(y - c) * (y - c)) / sum);
        }
    }

    /// <summary>Throws unless <paramref name="kernelSize"/> is odd and 1..1001.</summary>
    internal static void CheckSize(int kernelSize)
    {
        if (kernelSize < 1 || kernelSize > 1001 || kernelSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"kernel size {kernelSize} must be odd and 1..1001");
    }
}
