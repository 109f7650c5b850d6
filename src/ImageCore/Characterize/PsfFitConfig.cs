namespace ImageCore.Characterize;

/// <summary>
/// How the measured PSF (<see cref="ImageCore.Psf.PixelBasisPsf"/>) is fitted to the PSF stars, as PSFEx does it:
/// each star's stamp re-centred on its centroid by a sub-pixel Lanczos shift, divided by its flux, and every kernel
/// pixel fitted as a polynomial of order <see cref="SpatialOrder"/> in the position by weighted least squares; star
/// fluxes re-measured with the model, pixels and stars that do not fit rejected, <see cref="Iterations"/> times.
/// </summary>
public sealed record PsfFitConfig
{
    /// <summary>Order of the polynomial in position (PSFEx's PSFVAR_DEGREES; LSSTCam's 2).</summary>
    public int SpatialOrder { get; init; } = 2;

    /// <summary>With fewer than <see cref="StarsPerTerm"/> stars per polynomial term, fit the highest order they support
    /// (down to 0, a constant PSF) instead of failing (PSFEx does so too).</summary>
    public bool ReduceOrderWhenFewStars { get; init; } = true;

    /// <summary>Stars needed per polynomial term: order 2 (6 terms) needs 18, order 0 needs this many.</summary>
    public int StarsPerTerm { get; init; } = 3;

    /// <summary>For a spatial order above 0 the stars must spread over at least this fraction of the detector's width
    /// and of its height (their extreme positions that far apart); a polynomial fitted to a strip of stars would
    /// extrapolate across the rest. Below it the order drops to 0 (with <see cref="ReduceOrderWhenFewStars"/>) or the
    /// fit fails.</summary>
    public double MinSpatialCoverage { get; init; } = 0.25;

    /// <summary>Lanczos order of the sub-pixel re-centring (at most the selection's border).</summary>
    public int LanczosOrder { get; init; } = 5;

    /// <summary>Fit, re-measure and reject this many times.</summary>
    public int Iterations { get; init; } = 4;

    /// <summary>A stamp pixel whose residual exceeds this many sigma is left out of the next fit (a cosmic ray, a faint
    /// neighbour).</summary>
    public double PixelClipSigma { get; init; } = 5;

    /// <summary>A star whose chi-square per pixel exceeds the median by this many robust sigma (1.4826 MAD) is rejected
    /// (PIFF's nsigma 4).</summary>
    public double StarClipSigma { get; init; } = 4;

    /// <summary>At most this fraction of the stars is rejected per iteration (PIFF's max_remove 0.05 per iteration).</summary>
    public double MaxRejectedFraction { get; init; } = 0.05;

    /// <summary>Checks every value, naming it under <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">A value out of range.</exception>
    public void Validate(string path = nameof(PsfFitConfig))
    {
        string p = path + ".";
        ConfigChecks.InRange(SpatialOrder, 0, 10, p + nameof(SpatialOrder));
        ConfigChecks.InRange(StarsPerTerm, 1, 1000, p + nameof(StarsPerTerm));
        ConfigChecks.FiniteInRange(MinSpatialCoverage, 0, 1, p + nameof(MinSpatialCoverage));
        ConfigChecks.InRange(LanczosOrder, 1, 10, p + nameof(LanczosOrder));
        ConfigChecks.InRange(Iterations, 1, 100, p + nameof(Iterations));
        ConfigChecks.FinitePositive(PixelClipSigma, 1e6, p + nameof(PixelClipSigma));
        ConfigChecks.FinitePositive(StarClipSigma, 1e6, p + nameof(StarClipSigma));
        ConfigChecks.FiniteInRange(MaxRejectedFraction, 0, 1, p + nameof(MaxRejectedFraction));
    }

    /// <summary>Stars needed for a polynomial of order <paramref name="order"/>.</summary>
    public int StarsNeeded(int order) => StarsPerTerm * ImageCore.Psf.PixelBasisPsf.TermCount(order);
}
