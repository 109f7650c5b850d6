namespace ImageCore.Characterize;

/// <summary>
/// Cosmic-ray detection and repair (<see cref="CosmicRays.FindAndRepair"/>) by L.A.Cosmic (van Dokkum 2001, PASP 113,
/// 1420) in astroscrappy's fast form: separable medians, the median fine-structure image and a 5 x 5 masked-mean
/// cleaning between iterations. The defaults are astroscrappy's (<c>sigclip</c> 4.5, <c>sigfrac</c> 0.3,
/// <c>objlim</c> 5, <c>niter</c> 4); the pixel limit is meas_algorithms' <c>nCrPixelMax</c>. Noise comes from the
/// exposure's variance plane (astroscrappy's <c>invar</c>), so the image must be in electrons with a matching variance,
/// with or without its background subtracted.
/// </summary>
public sealed record CosmicRayConfig
{
    /// <summary>Detection limit (astroscrappy <c>sigclip</c>): a candidate's Laplacian significance, after its 7 x 7
    /// separable median is subtracted, must exceed this many sigma.</summary>
    public double SigmaClip { get; init; } = 4.5;

    /// <summary>Growth limit as a fraction of <see cref="SigmaClip"/> (astroscrappy <c>sigfrac</c>): neighbours of a
    /// hit join it when their significance exceeds <c>SigmaFraction * SigmaClip</c>.</summary>
    public double SigmaFraction { get; init; } = 0.3;

    /// <summary>Minimum contrast between the Laplacian significance and the fine-structure image (astroscrappy
    /// <c>objlim</c>); larger values spare more of the stars' cores and miss more faint hits on them.</summary>
    public double ObjectLimit { get; init; } = 5.0;

    /// <summary>A candidate's excess over its 5 x 5 median, in noise units, must exceed this: an addition to L.A.Cosmic
    /// in the spirit of meas_algorithms' condition 2 (the pixel itself must stand out, not only its Laplacian). A noise
    /// peak next to low neighbours has a large Laplacian but a modest excess; a hit has both. 0 turns the test off
    /// (plain L.A.Cosmic).</summary>
    public double MinSeedSignificance { get; init; } = 4.5;

    /// <summary>FWHM of the PSF in pixels, or 0 (the default) when unknown. When set, a candidate must also be sharper
    /// than this Gaussian PSF allows in at least one direction, as in meas_algorithms' condition 3: with c the
    /// pixel, b its 9 x 9 median background and m the mean of its two neighbours along a row, column or diagonal,
    /// <c>0.35 r (c - b - 2N) &gt; (m - b) + sqrt(2) N</c> for some direction, r the PSF's neighbour-to-centre ratio
    /// there. This protects the cores of undersampled stars (FWHM of 2 pixels and less), which L.A.Cosmic's
    /// fine-structure test alone does not.</summary>
    public double PsfFwhm { get; init; }

    /// <summary>Detect-and-clean iterations at most (astroscrappy <c>niter</c>); the loop stops early when an
    /// iteration finds no new pixel.</summary>
    public int MaxIterations { get; init; } = 4;

    /// <summary>More flagged pixels than this fail the call with <see cref="TooManyCosmicRaysException"/>
    /// (meas_algorithms <c>nCrPixelMax</c>).</summary>
    public long MaxPixels { get; init; } = 1_000_000;

    /// <summary>Mask planes whose pixels are never candidates nor sources for the replacement values.</summary>
    public IReadOnlyList<string> BadMaskPlanes { get; init; } = ["BAD", "SAT", "NO_DATA"];

    /// <summary>Pixels within this many pixels (Chebyshev distance) of a <see cref="BadMaskPlanes"/> pixel are not
    /// candidates either (astroscrappy dilates its input mask by one pixel the same way).</summary>
    public int GrowBadMask { get; init; } = 1;

    /// <summary>Pixels within this many pixels of a SAT pixel are not candidates (when the mask has a SAT plane).
    /// ISR grows SAT by one pixel and interpolates across it along rows, which leaves the real pixels just outside
    /// a saturated core, and the partly filled pixel at the end of a bleed trail, sharper than the PSF; 2 keeps them
    /// out while hits farther out on the wings are still found.</summary>
    public int GrowSaturated { get; init; } = 2;

    /// <summary>Replace the flagged pixels' values and variances and set INTRP; when false only the CR plane is set
    /// and the pixels keep their values (meas_algorithms' <c>keepCRs</c>).</summary>
    public bool Replace { get; init; } = true;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ConfigException">A field is out of range; the message names it.</exception>
    public void Validate() => Validate(nameof(CosmicRayConfig));

    /// <summary><see cref="Validate()"/> with the settings named under <paramref name="path"/>
    /// (<c>CharacterizeConfig.CosmicRays</c>).</summary>
    internal void Validate(string path)
    {
        if (!(SigmaClip > 0) || double.IsInfinity(SigmaClip))
            throw new ConfigException(path + ".SigmaClip", SigmaClip, "must be finite and > 0");
        if (!(SigmaFraction > 0 && SigmaFraction <= 1))
            throw new ConfigException(path + ".SigmaFraction", SigmaFraction, "must be in (0, 1]");
        if (!(ObjectLimit > 0) || double.IsInfinity(ObjectLimit))
            throw new ConfigException(path + ".ObjectLimit", ObjectLimit, "must be finite and > 0");
        if (!(MinSeedSignificance >= 0) || double.IsInfinity(MinSeedSignificance))
            throw new ConfigException(path + ".MinSeedSignificance", MinSeedSignificance, "must be finite and >= 0");
        if (!(PsfFwhm >= 0) || double.IsInfinity(PsfFwhm))
            throw new ConfigException(path + ".PsfFwhm", PsfFwhm, "must be finite and >= 0 (0: unknown)");
        if (MaxIterations is < 1 or > 100)
            throw new ConfigException(path + ".MaxIterations", MaxIterations, "must be 1..100");
        if (MaxPixels < 0)
            throw new ConfigException(path + ".MaxPixels", MaxPixels, "must be >= 0");
        if (BadMaskPlanes is null)
            throw new ConfigException(path + ".BadMaskPlanes", null, "must not be null");
        foreach (string plane in BadMaskPlanes)
            if (string.IsNullOrWhiteSpace(plane))
                throw new ConfigException(path + ".BadMaskPlanes", string.Join(",", BadMaskPlanes), "must not hold an empty plane name");
        if (GrowBadMask is < 0 or > 8)
            throw new ConfigException(path + ".GrowBadMask", GrowBadMask, "must be 0..8");
        if (GrowSaturated is < 0 or > 8)
            throw new ConfigException(path + ".GrowSaturated", GrowSaturated, "must be 0..8");
    }
}
