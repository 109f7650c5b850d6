namespace ImageCore.Psf;

/// <summary>
/// The second moments of a PSF (or a star), pixels squared, in afw's quadrupole convention: <see cref="Ixx"/> =
/// &lt;dx^2&gt;, <see cref="Iyy"/> = &lt;dy^2&gt;, <see cref="Ixy"/> = &lt;dx dy&gt;. A Gaussian of width sigma has
/// Ixx = Iyy = sigma^2 and Ixy = 0.
/// </summary>
/// <param name="Ixx">&lt;dx^2&gt;, pixels^2.</param>
/// <param name="Iyy">&lt;dy^2&gt;, pixels^2.</param>
/// <param name="Ixy">&lt;dx dy&gt;, pixels^2.</param>
public readonly record struct PsfMoments(double Ixx, double Iyy, double Ixy)
{
    /// <summary>FWHM over sigma of a Gaussian, 2 sqrt(2 ln 2).</summary>
    public const double FwhmPerSigma = 2.3548200450309493;

    /// <summary>(Ixx Iyy - Ixy^2)^(1/4), pixels: the sigma of a round Gaussian of the same area (afw's determinant
    /// radius); NaN when the moments are not positive definite.</summary>
    public double DeterminantRadius
    {
        get
        {
            double det = Ixx * Iyy - Ixy * Ixy;
            return det > 0 && Ixx > 0 ? Math.Pow(det, 0.25) : double.NaN;
        }
    }

    /// <summary>sqrt((Ixx + Iyy) / 2), pixels (afw's trace radius; the width the star selector clusters).</summary>
    public double TraceRadius => Math.Sqrt(0.5 * (Ixx + Iyy));

    /// <summary>FWHM, pixels: <see cref="FwhmPerSigma"/> times <see cref="DeterminantRadius"/> (exact for a Gaussian).</summary>
    public double Fwhm => FwhmPerSigma * DeterminantRadius;

    /// <summary>Ellipticity (distortion) e1 = (Ixx - Iyy) / (Ixx + Iyy); 0 for a round PSF.</summary>
    public double E1 => (Ixx - Iyy) / (Ixx + Iyy);

    /// <summary>Ellipticity (distortion) e2 = 2 Ixy / (Ixx + Iyy); 0 for a round PSF.</summary>
    public double E2 => 2 * Ixy / (Ixx + Iyy);

    /// <summary>|e| = sqrt(e1^2 + e2^2) = (a^2 - b^2) / (a^2 + b^2) for axes a, b.</summary>
    public double Ellipticity => Math.Sqrt(E1 * E1 + E2 * E2);

    /// <summary>The moments of a pixelised image with the pixel's own removed: Ixx and Iyy less 1/12 pixel^2 (the variance
    /// of a uniform pixel), so that a Gaussian of sigma s integrated over pixels gives s^2 again.</summary>
    public PsfMoments WithoutPixel() => new(Ixx - 1 / 12.0, Iyy - 1 / 12.0, Ixy);
}
