namespace ImageCore.Coadd;

/// <summary>How the warps of a pixel are combined (afw's Stack statistics).</summary>
public enum CoaddStatistic
{
    /// <summary>Weighted mean of the good samples.</summary>
    Mean,

    /// <summary>LSST's clipped mean: a window of <see cref="CoaddConfig.SigmaClip"/> x 0.7413 x IQR around the median,
    /// then windows of SigmaClip standard deviations around the previous clipped weighted mean.</summary>
    MeanClip,

    /// <summary>Median of the good samples (unweighted).</summary>
    Median,

    /// <summary>Rubin's CompareWarp coadd: a weighted MEAN of the direct warps after artifacts found by comparing each
    /// PSF-matched warp with a clipped-mean static sky model are masked (<see cref="CompareWarpCoadd"/>, settings in
    /// <see cref="CompareWarpConfig"/>). It needs the PSF-matched warps, so <see cref="Coadder"/> refuses it; the pipeline's coadd step
    /// runs <see cref="CompareWarpCoadd"/> for it.</summary>
    CompareWarp,
}

/// <summary>Coadd assembly settings, with the defaults of Rubin's AssembleCoaddConfig for LSSTCam.</summary>
public sealed record CoaddConfig
{
    /// <summary>The per-pixel statistic.</summary>
    public CoaddStatistic Statistic { get; init; } = CoaddStatistic.MeanClip;

    /// <summary>Clipping window half-width in standard deviations (MEANCLIP).</summary>
    public double SigmaClip { get; init; } = 3.0;

    /// <summary>Clipping iterations (MEANCLIP): the first centred on the median, each later one on the previous clipped mean.</summary>
    public int ClipIterations { get; init; } = 2;

    /// <summary>A sample whose mask has any of these planes set is left out (and counted as rejected).</summary>
    public IReadOnlyList<string> BadMaskPlanes { get; init; } = ["NO_DATA", "BAD", "SAT", "EDGE", "SUSPECT"];

    /// <summary>A bad plane is set in the coadd when the weight of the samples rejected with it, as a fraction of every
    /// input's weight, exceeds its threshold here (planes not listed: 1.0, never).</summary>
    public IReadOnlyDictionary<string, double> MaskPropagationThresholds { get; init; } = new Dictionary<string, double> { ["SAT"] = 0.1 };

    /// <summary>MEAN reads one warp at a time into running sums (band by band; memory independent of the number of
    /// warps) instead of stacking sub-regions; the two give the same result.</summary>
    public bool StreamingMean { get; init; } = true;

    /// <summary>Rows per stacked sub-region and per streamed MEAN band (full width); 0 chooses them: sub-regions from
    /// <see cref="StackMemoryBytes"/>, bands so that their running sums stay in a core's cache.</summary>
    public int SubregionRows { get; init; }

    /// <summary>Bytes the stacked sub-regions of all threads may hold together (used when <see cref="SubregionRows"/> is 0).</summary>
    public long StackMemoryBytes { get; init; } = 64L << 20;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field for invalid settings.</summary>
    public void Validate()
    {
        if (!(SigmaClip > 0) || double.IsInfinity(SigmaClip)) throw new ArgumentException($"CoaddConfig.SigmaClip must be finite and > 0 (is {SigmaClip})");
        if (!Enum.IsDefined(Statistic)) throw new ArgumentException($"CoaddConfig.Statistic {Statistic} is not a statistic");
        if (ClipIterations < 1) throw new ArgumentException($"CoaddConfig.ClipIterations must be >= 1 (is {ClipIterations})");
        if (SubregionRows < 0) throw new ArgumentException($"CoaddConfig.SubregionRows must be >= 0 (is {SubregionRows})");
        if (StackMemoryBytes < 1 << 20) throw new ArgumentException($"CoaddConfig.StackMemoryBytes must be at least 1 MiB (is {StackMemoryBytes})");
        foreach (var (plane, t) in MaskPropagationThresholds)
            if (!(t >= 0)) throw new ArgumentException($"CoaddConfig.MaskPropagationThresholds[{plane}] must be >= 0 (is {t})");
    }
}
