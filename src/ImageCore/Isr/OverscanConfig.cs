namespace ImageCore.Isr;

/// <summary>How the serial overscan level is modelled (ip_isr's <c>fitType</c>).</summary>
public enum OverscanFitType
{
    /// <summary>One value: the mean of the (clipped) overscan pixels.</summary>
    Mean,
    /// <summary>One value: the median of the overscan pixels.</summary>
    Median,
    /// <summary>One value per row: the mean of the row's unmasked pixels.</summary>
    MeanPerRow,
    /// <summary>One value per row: the median of the row's unmasked pixels (the LSSTCam default).</summary>
    MedianPerRow,
    /// <summary>A least-squares polynomial in the row index (scaled to [-1, 1]) through the per-row medians.</summary>
    Polynomial,
}

/// <summary>Serial overscan correction (ISR step 4), defaults as IsrTaskLSST's for LSSTCam.</summary>
public sealed record OverscanConfig
{
    /// <summary>Subtract the serial overscan.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The model of the overscan level.</summary>
    public OverscanFitType FitType { get; init; } = OverscanFitType.MedianPerRow;

    /// <summary>Overscan columns skipped next to the imaging pixels (charge trailing from the data).</summary>
    public int LeadingToSkip { get; init; } = 3;

    /// <summary>Overscan columns skipped at the far end.</summary>
    public int TrailingToSkip { get; init; } = 3;

    /// <summary>Per-row clipping threshold, in robust sigma (0.74 x IQR).</summary>
    public double NumSigmaClip { get; init; } = 3;

    /// <summary>Pixels further than this from the overscan median are masked first, ADU.</summary>
    public double MaxDeviation { get; init; } = 1000;

    /// <summary>Mask only pixels above the overscan median by more than <see cref="MaxDeviation"/> (the parallel
    /// overscan's one-sided test); false masks both sides.</summary>
    public bool MaxDeviationPositiveOnly { get; init; }

    /// <summary>Polynomial order for <see cref="OverscanFitType.Polynomial"/>.</summary>
    public int PolynomialOrder { get; init; } = 1;

    /// <summary>The most columns (or rows) either skip may be: more than any overscan of the camera, and small
    /// enough that no sum of skips overflows. Whether the skips leave a column of a detector's overscan is checked when
    /// ISR runs (the message names the detector and amplifier).</summary>
    public const int MaxSkip = 4096;

    /// <summary>The largest threshold (<see cref="NumSigmaClip"/>, <see cref="MaxDeviation"/>): effectively no clipping.</summary>
    public const double MaxThreshold = 1e30;

    /// <summary>Throws <see cref="ConfigException"/> naming the value (<c>OverscanConfig.TrailingToSkip</c>) and its
    /// allowed range for any value outside it.</summary>
    public void Validate() => Validate(nameof(OverscanConfig));

    /// <summary><see cref="Validate()"/> with the settings named under <paramref name="path"/>
    /// (<c>IsrConfig.ParallelOverscan.Overscan</c>).</summary>
    internal void Validate(string path)
    {
        ConfigChecks.Defined(FitType, path + "." + nameof(FitType));
        ConfigChecks.InRange(LeadingToSkip, 0, MaxSkip, path + "." + nameof(LeadingToSkip));
        ConfigChecks.InRange(TrailingToSkip, 0, MaxSkip, path + "." + nameof(TrailingToSkip));
        ConfigChecks.FinitePositive(NumSigmaClip, MaxThreshold, path + "." + nameof(NumSigmaClip));
        ConfigChecks.FinitePositive(MaxDeviation, MaxThreshold, path + "." + nameof(MaxDeviation));
        ConfigChecks.InRange(PolynomialOrder, 0, 10, path + "." + nameof(PolynomialOrder));
    }
}

/// <summary>
/// Parallel overscan correction (ISR step 9), defaults as IsrTaskLSST's for LSSTCam: the rows read after
/// the imaging rows give one level per column (<see cref="OverscanFitType.MedianPerRow"/> on the
/// transposed box, 3 rows skipped at each end, pixels more than 100 ADU above the median masked), after
/// the pixels at or above 0.75 x saturation (grown by 7) are flagged SAT and left out. Column levels
/// further than 5 ADU from their 5-column running median are rejected, grown by 2, and refilled from
/// their good neighbours. ImageCore measures and subtracts it in ADU (before linearity and gain), so the
/// ADU thresholds apply as they are; ip_isr works in electrons and scales them by the gain.
/// </summary>
public sealed record ParallelOverscanConfig
{
    /// <summary>Subtract the parallel overscan.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The per-column measurement (leading rows are those next to the imaging pixels).</summary>
    public OverscanConfig Overscan { get; init; } = new() { MaxDeviation = 100, MaxDeviationPositiveOnly = true };

    /// <summary>Parallel-overscan pixels at or above this fraction of the amplifier's saturation are SAT.</summary>
    public double SaturationFraction { get; init; } = 0.75;

    /// <summary>Pixels by which those SAT pixels are grown (square), within the parallel overscan.</summary>
    public int SaturationGrow { get; init; } = 7;

    /// <summary>Width of the running median the column levels are compared with (odd).</summary>
    public int ColumnSmoothingKernel { get; init; } = 5;

    /// <summary>Column levels further than this from the running median are rejected, ADU.</summary>
    public double ColumnRejectThreshold { get; init; } = 5;

    /// <summary>Columns by which each rejected column is grown on each side.</summary>
    public int ColumnRejectGrow { get; init; } = 2;

    /// <summary>The step is skipped for an amplifier whose overscan median exceeds this fraction of its image
    /// median while that image median is above <see cref="SkipImageMedian"/> (a bright, bleeding amplifier).</summary>
    public double SkipOverscanToImageRatio { get; init; } = 0.5;

    /// <summary>See <see cref="SkipOverscanToImageRatio"/>, ADU.</summary>
    public double SkipImageMedian { get; init; } = 10_000;

    /// <summary>The widest <see cref="ColumnSmoothingKernel"/>.</summary>
    public const int MaxColumnSmoothingKernel = 1001;

    /// <summary>The most pixels or columns <see cref="SaturationGrow"/> and <see cref="ColumnRejectGrow"/> may be.</summary>
    public const int MaxGrow = 1000;

    /// <summary>Throws <see cref="ConfigException"/> naming the value (<c>ParallelOverscanConfig.ColumnSmoothingKernel</c>)
    /// and its allowed range for any value outside it.</summary>
    public void Validate() => Validate(nameof(ParallelOverscanConfig));

    /// <summary><see cref="Validate()"/> with the settings named under <paramref name="path"/> (<c>IsrConfig.ParallelOverscan</c>).</summary>
    internal void Validate(string path)
    {
        ConfigChecks.NotNull(Overscan, path + "." + nameof(Overscan)).Validate(path + "." + nameof(Overscan));
        if (Overscan.FitType is not (OverscanFitType.MedianPerRow or OverscanFitType.MeanPerRow))
            throw new ConfigException(path + ".Overscan.FitType", Overscan.FitType, "must be MedianPerRow or MeanPerRow");
        ConfigChecks.FinitePositive(SaturationFraction, 10, path + "." + nameof(SaturationFraction));
        ConfigChecks.InRange(SaturationGrow, 0, MaxGrow, path + "." + nameof(SaturationGrow));
        ConfigChecks.OddInRange(ColumnSmoothingKernel, 1, MaxColumnSmoothingKernel, path + "." + nameof(ColumnSmoothingKernel));
        ConfigChecks.FinitePositive(ColumnRejectThreshold, OverscanConfig.MaxThreshold, path + "." + nameof(ColumnRejectThreshold));
        ConfigChecks.InRange(ColumnRejectGrow, 0, MaxGrow, path + "." + nameof(ColumnRejectGrow));
        ConfigChecks.FiniteInRange(SkipOverscanToImageRatio, 0, OverscanConfig.MaxThreshold, path + "." + nameof(SkipOverscanToImageRatio));
        ConfigChecks.FiniteInRange(SkipImageMedian, 0, OverscanConfig.MaxThreshold, path + "." + nameof(SkipImageMedian));
    }
}
