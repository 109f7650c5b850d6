namespace ImageCore.Characterize;

/// <summary>
/// How PSF stars are chosen from the detections (meas_algorithms' objectSizeStarSelector and the candidate cuts of
/// measurePsf): isolated, unsaturated, unmasked, bright, round sources whose width lies in the stellar locus, found by
/// k-means over the widths (<see cref="LocusClusters"/> clusters seeded at the 10th percentile width w, w apart by
/// <see cref="LocusSeedStep"/> w) and refined by clipping the smallest cluster at <see cref="LocusClipSigma"/> about its
/// median (sigma the smaller of the standard deviation and 0.741 IQR).
/// </summary>
public sealed record PsfStarSelectorConfig
{
    /// <summary>A footprint with more peaks than this is a blend, not a PSF star.</summary>
    public int MaxPeaks { get; init; } = 1;

    /// <summary>Smallest signal-to-noise of the Gaussian-weighted flux (objectSizeStarSelector cuts at 50).</summary>
    public double MinSignalToNoise { get; init; } = 50;

    /// <summary>Smallest width sqrt((Ixx + Iyy) / 2), pixels: narrower sources are cosmic rays or hot pixels. Rubin's 0.9
    /// assumes LSSTCam's full-size pixels; 0.5 also admits the PSF of a scaled-down simulation (about 0.9).</summary>
    public double MinWidth { get; init; } = 0.5;

    /// <summary>Largest width, pixels.</summary>
    public double MaxWidth { get; init; } = 10;

    /// <summary>Largest ellipticity (a^2 - b^2) / (a^2 + b^2) (PSFEx's SAMPLE_MAXELLIP).</summary>
    public double MaxEllipticity { get; init; } = 0.3;

    /// <summary>The adaptive moments' starting width, pixels, when the exposure has no PSF yet.</summary>
    public double InitialSigma { get; init; } = 2.0;

    /// <summary>Clusters of the width k-means.</summary>
    public int LocusClusters { get; init; } = 4;

    /// <summary>Spacing of the k-means seeds, in units of the 10th percentile width (objectSizeStarSelector: 2 x 0.15).</summary>
    public double LocusSeedStep { get; init; } = 0.3;

    /// <summary>Clip of the stellar cluster, in sigma about its median.</summary>
    public double LocusClipSigma { get; init; } = 2.0;

    /// <summary>Kernel (and stamp) size, pixels, odd; 0 sizes it from the stellar locus:
    /// 2 ceil(<see cref="KernelRadiusInWidths"/> w) + 1 within <see cref="MinKernelSize"/>..<see cref="MaxKernelSize"/>.</summary>
    public int KernelSize { get; init; }

    /// <summary>Kernel radius in units of the locus width when <see cref="KernelSize"/> is 0.</summary>
    public double KernelRadiusInWidths { get; init; } = 6;

    /// <summary>Smallest automatic kernel size, odd.</summary>
    public int MinKernelSize { get; init; } = 11;

    /// <summary>Largest automatic kernel size, odd.</summary>
    public int MaxKernelSize { get; init; } = 41;

    /// <summary>Pixels around the kernel box that must also be inside the image, clean and free of other sources: the
    /// sub-pixel re-centring reads that far (at least the fit's Lanczos order).</summary>
    public int Border { get; init; } = 5;

    /// <summary>Mask planes that disqualify a star when any stamp pixel has them (planes the mask does not define are
    /// ignored).</summary>
    public IReadOnlyList<string> BadMaskPlanes { get; init; } = ["BAD", "SAT", "CR", "INTRP", "NO_DATA", "EDGE", "SUSPECT"];

    /// <summary>At most this many candidates, the brightest.</summary>
    public int MaxCandidates { get; init; } = 500;

    /// <summary>Checks every value, naming it under <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">A value out of range.</exception>
    public void Validate(string path = nameof(PsfStarSelectorConfig))
    {
        string p = path + ".";
        ConfigChecks.InRange(MaxPeaks, 1, 1000, p + nameof(MaxPeaks));
        ConfigChecks.NonNegative(MinSignalToNoise, p + nameof(MinSignalToNoise));
        ConfigChecks.FinitePositive(MinWidth, 100, p + nameof(MinWidth));
        ConfigChecks.FinitePositive(MaxWidth, 100, p + nameof(MaxWidth));
        if (MinWidth >= MaxWidth) throw new ConfigException(p + nameof(MinWidth), MinWidth, $"must be < {p}{nameof(MaxWidth)} ({MaxWidth})");
        ConfigChecks.FiniteInRange(MaxEllipticity, 0, 1, p + nameof(MaxEllipticity));
        ConfigChecks.FinitePositive(InitialSigma, 50, p + nameof(InitialSigma));
        ConfigChecks.InRange(LocusClusters, 1, 20, p + nameof(LocusClusters));
        ConfigChecks.FinitePositive(LocusSeedStep, 10, p + nameof(LocusSeedStep));
        ConfigChecks.FinitePositive(LocusClipSigma, 100, p + nameof(LocusClipSigma));
        if (KernelSize != 0) ConfigChecks.OddInRange(KernelSize, 3, 201, p + nameof(KernelSize));
        ConfigChecks.FinitePositive(KernelRadiusInWidths, 100, p + nameof(KernelRadiusInWidths));
        ConfigChecks.OddInRange(MinKernelSize, 3, 201, p + nameof(MinKernelSize));
        ConfigChecks.OddInRange(MaxKernelSize, 3, 201, p + nameof(MaxKernelSize));
        if (MinKernelSize > MaxKernelSize) throw new ConfigException(p + nameof(MinKernelSize), MinKernelSize, $"must be <= {p}{nameof(MaxKernelSize)} ({MaxKernelSize})");
        ConfigChecks.InRange(Border, 0, 50, p + nameof(Border));
        ConfigChecks.NotNull(BadMaskPlanes, p + nameof(BadMaskPlanes));
        foreach (string plane in BadMaskPlanes)
            if (string.IsNullOrWhiteSpace(plane)) throw new ConfigException(p + nameof(BadMaskPlanes), plane ?? "null", "must name mask planes");
        ConfigChecks.InRange(MaxCandidates, 1, 100_000, p + nameof(MaxCandidates));
    }

    /// <summary>The kernel size for stars of locus width <paramref name="width"/>.</summary>
    public int KernelSizeFor(double width) =>
        KernelSize != 0 ? KernelSize : Math.Clamp(2 * (int)Math.Ceiling(KernelRadiusInWidths * width) + 1, MinKernelSize, MaxKernelSize);
}
