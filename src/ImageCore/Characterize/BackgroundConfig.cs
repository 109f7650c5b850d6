namespace ImageCore.Characterize;

/// <summary>The statistic of a background bin (afw's <c>statisticsProperty</c>).</summary>
public enum BackgroundStatistic
{
    /// <summary>afw's MEANCLIP: start from the median and 0.741 x the interquartile range, then
    /// <see cref="BackgroundConfig.ClipIterations"/> times take the mean and standard deviation of the values within
    /// <see cref="BackgroundConfig.ClipSigma"/> standard deviations of the current centre (the LSST default).</summary>
    MeanClip,

    /// <summary>The median of the bin's good pixels.</summary>
    Median,
}

/// <summary>How the background model goes from bin centres to every pixel.</summary>
public enum BackgroundInterpolation
{
    /// <summary>Akima's (1970) local cubic spline through the bin centres, first along y for each column of bins, then
    /// along x for each row of pixels (afw's <c>AKIMA_SPLINE</c>, its choice when <c>useApprox</c> is off). C1, exact for
    /// a plane, and local: one odd bin moves the model only within two bins of it, with no overshoot ringing. Beyond
    /// the outermost centres it continues linearly with the end tangent. Grids of two bins in a direction are linear
    /// in it, one bin is constant.</summary>
    Akima,

    /// <summary>Linear between bin centres, first along y then along x (bilinear), continued linearly beyond the
    /// outermost centres.</summary>
    Linear,
}

/// <summary>
/// Sky background measurement (meas_algorithms' <c>SubtractBackgroundConfig</c>): the image is cut into a grid of
/// bins, each bin's good pixels give one value (<see cref="Statistic"/>), and a smooth surface through the bin centres
/// (<see cref="Interpolation"/>) is the model subtracted from every pixel.
/// </summary>
public sealed record BackgroundConfig
{
    /// <summary>The nominal bin size, in pixels of the image measured. The image is cut into
    /// ceil(width / BinSize) x ceil(height / BinSize) bins of nearly equal size (bin i spans columns
    /// floor(i W / nx) to floor((i + 1) W / nx) - 1), so no bin is a sliver. LSST's 128 is for full-scale detectors:
    /// a caller working on images scaled down by a factor s (the simulator's <c>Scale</c>) passes 128 / s.</summary>
    public int BinSize { get; init; } = 128;

    /// <summary>The bin statistic.</summary>
    public BackgroundStatistic Statistic { get; init; } = BackgroundStatistic.MeanClip;

    /// <summary>Clipping threshold of <see cref="BackgroundStatistic.MeanClip"/>, in standard deviations (afw: 3).</summary>
    public double ClipSigma { get; init; } = 3;

    /// <summary>Clipping iterations of <see cref="BackgroundStatistic.MeanClip"/> (afw: 3).</summary>
    public int ClipIterations { get; init; } = 3;

    /// <summary>Mask planes whose pixels never enter a bin. The default is afw's set (BAD, EDGE, DETECTED,
    /// DETECTED_NEGATIVE, NO_DATA) plus SAT and CR (the issue: they must never bias a bin), SUSPECT (pixels near
    /// saturation: star cores) and INTRP (values ISR made up, not measured). Pixels whose value is not finite are left
    /// out whatever their mask.</summary>
    public IReadOnlyList<string> IgnoredPlanes { get; init; } =
        ["BAD", "SAT", "INTRP", "CR", "EDGE", "DETECTED", "DETECTED_NEGATIVE", "SUSPECT", "NO_DATA"];

    /// <summary>The interpolation between bin centres.</summary>
    public BackgroundInterpolation Interpolation { get; init; } = BackgroundInterpolation.Akima;

    /// <summary>A bin needs at least this fraction of its pixels good (and at least one) to have a value of its own;
    /// otherwise it is filled from its neighbours (see <see cref="BackgroundModel.Measure(Images.MaskedImage, BackgroundConfig, int, CancellationToken)"/>).
    /// The floor keeps a bin almost covered by a large masked galaxy from being measured on the galaxy's wings.</summary>
    public double MinGoodFraction { get; init; } = 0.1;

    /// <summary>The largest <see cref="BinSize"/>.</summary>
    public const int MaxBinSize = 1 << 20;

    /// <summary>Throws <see cref="ConfigException"/> naming the setting (<c>BackgroundConfig.BinSize</c>) for any
    /// value outside its range.</summary>
    public void Validate() => Validate(nameof(BackgroundConfig));

    /// <summary><see cref="Validate()"/> with the settings named under <paramref name="path"/>.</summary>
    internal void Validate(string path)
    {
        ConfigChecks.InRange(BinSize, 1, MaxBinSize, path + "." + nameof(BinSize));
        ConfigChecks.Defined(Statistic, path + "." + nameof(Statistic));
        ConfigChecks.Defined(Interpolation, path + "." + nameof(Interpolation));
        ConfigChecks.FinitePositive(ClipSigma, 1e6, path + "." + nameof(ClipSigma));
        ConfigChecks.InRange(ClipIterations, 1, 100, path + "." + nameof(ClipIterations));
        if (!(MinGoodFraction > 0 && MinGoodFraction <= 1))
            throw new ConfigException(path + "." + nameof(MinGoodFraction), MinGoodFraction, "must be in (0, 1]");
        var planes = ConfigChecks.NotNull(IgnoredPlanes, path + "." + nameof(IgnoredPlanes));
        for (int i = 0; i < planes.Count; i++)
            if (string.IsNullOrWhiteSpace(planes[i]))
                throw new ConfigException($"{path}.{nameof(IgnoredPlanes)}[{i}]", planes[i] ?? "null", "must name a mask plane");
    }
}
