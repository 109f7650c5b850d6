namespace ImageCore.Coadd;

/// <summary>
/// Settings of the CompareWarp coadd (<see cref="CompareWarpCoadd"/>), with the values of Rubin's
/// CompareWarpAssembleCoaddConfig as LSSTCam's deep coadd uses them (<c>maxFractionEpochsHigh</c> 0.2 from obs_lsst;
/// drp_tasks' own default is 0.03). One nested section per step, in the order they run.
/// </summary>
public sealed record CompareWarpConfig
{
    /// <summary>Step 1, the static sky model: a clipped mean of the PSF-matched warps (sigma 2.5, 3 iterations, only
    /// NO_DATA bad, error from the input variances).</summary>
    public CoaddConfig StaticSkyModel { get; init; } = new()
    {
        Statistic = CoaddStatistic.MeanClip,
        SigmaClip = 2.5,
        ClipIterations = 3,
        BadMaskPlanes = ["NO_DATA"],
    };

    /// <summary>Step 2: a difference pixel is detected where |warp - model| / sqrt(warp variance + model variance) is at
    /// least this many sigma (pixel_stdev, no smoothing), positive and negative.</summary>
    public double DetectionThreshold { get; init; } = 7.5;

    /// <summary>Step 2: candidates with fewer detected pixels (before growing) are dropped.</summary>
    public int DetectionMinPixels { get; init; } = 4;

    /// <summary>Step 2: candidates grow isotropically by int(GrowSigmas x PSF sigma + 0.5) pixels (<c>nSigmaToGrow</c>),
    /// the sigma being the PSF-matched warp's PSF's determinant radius at the warp's centre.</summary>
    public double GrowSigmas { get; init; } = 0.4;

    /// <summary>The PSF FWHM (pixels) used for a PSF-matched warp that stores no PSF: LSSTCam's model PSF, 9 px.</summary>
    public double PsfFwhmWhenAbsent { get; init; } = 9.0;

    /// <summary>Step 2 (<c>prefilterArtifactsMaskPlanes</c>): pixels with these planes are not good for
    /// <see cref="PrefilterGoodFraction"/>.</summary>
    public IReadOnlyList<string> PrefilterMaskPlanes { get; init; } = ["NO_DATA", "BAD", "SUSPECT"];

    /// <summary>Step 2 (<c>prefilterArtifactsRatio</c>): a candidate is dropped, before it counts in the epoch count,
    /// unless more than this fraction of its pixels is good.</summary>
    public double PrefilterGoodFraction { get; init; } = 0.05;

    /// <summary>Step 3 (<c>maxNumEpochs</c>): a candidate is an artifact when more than <see cref="SpatialThreshold"/> of
    /// its pixels were detected in 1..M epochs, M = int(min(<see cref="MaxFractionEpochsLow"/> N, MaxNumEpochs +
    /// <see cref="MaxFractionEpochsHigh"/> N)), N the mean number of epochs with data over the candidate.</summary>
    public int MaxNumEpochs { get; init; } = 2;

    /// <summary>Step 3 (<c>maxFractionEpochsLow</c>): see <see cref="MaxNumEpochs"/>.</summary>
    public double MaxFractionEpochsLow { get; init; } = 0.4;

    /// <summary>Step 3 (<c>maxFractionEpochsHigh</c>): see <see cref="MaxNumEpochs"/>; 0.2 for LSSTCam.</summary>
    public double MaxFractionEpochsHigh { get; init; } = 0.2;

    /// <summary>Step 3: the fraction of a candidate's pixels that must be transient (see <see cref="MaxNumEpochs"/>);
    /// 0 keeps every candidate, 1 none.</summary>
    public double SpatialThreshold { get; init; } = 0.5;

    /// <summary>Step 3 (<c>doPreserveContainedBySource</c>): spare candidates lying wholly inside one footprint detected
    /// on the static sky model at <see cref="TemplateDetectionThreshold"/> (bright stars subtract imperfectly).</summary>
    public bool PreserveContainedBySource { get; init; } = true;

    /// <summary>Step 3: the template detection's threshold, sigma of the PSF-smoothed model (pixel_stdev).</summary>
    public double TemplateDetectionThreshold { get; init; } = 300;

    /// <summary>Step 3: the template footprints grow by int(TemplateGrowSigmas x PSF sigma + 0.5) pixels.</summary>
    public double TemplateGrowSigmas { get; init; } = 2.4;

    /// <summary>Step 5, the final coadd: its statistic must be <see cref="CoaddStatistic.Mean"/>; EDGE is left out of its
    /// bad planes (the PSF-matched warps' EDGE becomes the coadd's SENSOR_EDGE) and CLIPPED is added to them.</summary>
    public CoaddConfig Coadd { get; init; } = new() { Statistic = CoaddStatistic.Mean };

    /// <summary>Throws <see cref="ConfigException"/> naming the setting (<c>CompareWarpConfig.SpatialThreshold</c>) for a
    /// value outside its range; the nested coadd settings throw <see cref="ArgumentException"/> naming theirs.</summary>
    public void Validate(string path = nameof(CompareWarpConfig))
    {
        ConfigChecks.NotNull(StaticSkyModel, path + "." + nameof(StaticSkyModel)).Validate();
        var coadd = ConfigChecks.NotNull(Coadd, path + "." + nameof(Coadd));
        coadd.Validate();
        if (coadd.Statistic != CoaddStatistic.Mean)
            throw new ConfigException(path + "." + nameof(Coadd) + "." + nameof(CoaddConfig.Statistic), coadd.Statistic, "must be Mean (CompareWarp's final coadd is a weighted mean)");
        ConfigChecks.FinitePositive(DetectionThreshold, 1e6, path + "." + nameof(DetectionThreshold));
        ConfigChecks.InRange(DetectionMinPixels, 1, int.MaxValue, path + "." + nameof(DetectionMinPixels));
        ConfigChecks.FiniteInRange(GrowSigmas, 0, 100, path + "." + nameof(GrowSigmas));
        ConfigChecks.FinitePositive(PsfFwhmWhenAbsent, 1000, path + "." + nameof(PsfFwhmWhenAbsent));
        ConfigChecks.NotNull(PrefilterMaskPlanes, path + "." + nameof(PrefilterMaskPlanes));
        ConfigChecks.FiniteInRange(PrefilterGoodFraction, 0, 1, path + "." + nameof(PrefilterGoodFraction));
        ConfigChecks.InRange(MaxNumEpochs, 0, ushort.MaxValue, path + "." + nameof(MaxNumEpochs));
        ConfigChecks.FiniteInRange(MaxFractionEpochsLow, 0, 1, path + "." + nameof(MaxFractionEpochsLow));
        ConfigChecks.FiniteInRange(MaxFractionEpochsHigh, 0, 1, path + "." + nameof(MaxFractionEpochsHigh));
        ConfigChecks.FiniteInRange(SpatialThreshold, 0, 1, path + "." + nameof(SpatialThreshold));
        ConfigChecks.FinitePositive(TemplateDetectionThreshold, 1e9, path + "." + nameof(TemplateDetectionThreshold));
        ConfigChecks.FiniteInRange(TemplateGrowSigmas, 0, 100, path + "." + nameof(TemplateGrowSigmas));
    }
}
