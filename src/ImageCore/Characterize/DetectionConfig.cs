namespace ImageCore.Characterize;

/// <summary>
/// Source detection (meas_algorithms' <c>SourceDetectionConfig</c> with <c>thresholdType = "pixel_stdev"</c>): the
/// background-subtracted image is smoothed with a Gaussian of the PSF's width and a pixel is detected where the
/// smoothed image is at least <see cref="Threshold"/> times its own noise.
/// </summary>
public sealed record DetectionConfig
{
    /// <summary>The detection threshold, in standard deviations of the smoothed image (from the variance plane
    /// smoothed with the squared kernel).</summary>
    public double Threshold { get; init; } = 5;

    /// <summary>Footprints with fewer pixels (before growing) are dropped.</summary>
    public int MinPixels { get; init; } = 1;

    /// <summary>Footprints are grown by int(GrowSigmas x sigma + 0.5) pixels (afw's <c>nSigmaToGrow</c>), with a disc.</summary>
    public double GrowSigmas { get; init; } = 2.4;

    /// <summary>The full width of the smoothing kernel in sigma (afw's <c>nSigmaForKernel</c>): its odd width is
    /// 2h + 1 with h = int(NSigmaForKernel x sigma + 0.5) / 2 (integer division, afw's <c>calculateKernelSize</c>), so 7
    /// reaches 3.5 sigma either side; the border of h pixels it cannot reach is marked EDGE and not searched.</summary>
    public double NSigmaForKernel { get; init; } = 7;

    /// <summary>Also find negative footprints (smoothed image at or below -Threshold sigma), marked DETECTED_NEGATIVE
    /// (afw's <c>thresholdPolarity = "both"</c>).</summary>
    public bool IncludeNegative { get; init; }

    /// <summary>Smooth with the PSF before thresholding (meas_algorithms' <c>doSmooth</c>). False thresholds each pixel's
    /// own significance, value / sqrt(variance), with no EDGE border; the PSF sigma then only sets the growth
    /// (CompareWarp's detection on warp differences).</summary>
    public bool Smooth { get; init; } = true;

    /// <summary>Mask planes of pixels that carry no measurement: before smoothing their value is replaced by the sky
    /// (0, the image being background-subtracted) and their variance by the image's median variance, so that they
    /// neither make nor hide a source; pixels with a non-finite value or variance are treated the same. SAT is not
    /// here: saturated stars must be detected.</summary>
    public IReadOnlyList<string> ExcludedPlanes { get; init; } = ["NO_DATA", "BAD"];

    /// <summary>Throws <see cref="ConfigException"/> naming the setting (<c>DetectionConfig.Threshold</c>) for any
    /// value outside its range.</summary>
    public void Validate() => Validate(nameof(DetectionConfig));

    /// <summary><see cref="Validate()"/> with the settings named under <paramref name="path"/>.</summary>
    internal void Validate(string path)
    {
        ConfigChecks.FinitePositive(Threshold, 1e6, path + "." + nameof(Threshold));
        ConfigChecks.InRange(MinPixels, 1, int.MaxValue, path + "." + nameof(MinPixels));
        ConfigChecks.FiniteInRange(GrowSigmas, 0, 100, path + "." + nameof(GrowSigmas));
        ConfigChecks.FiniteInRange(NSigmaForKernel, 1, 20, path + "." + nameof(NSigmaForKernel));
        var planes = ConfigChecks.NotNull(ExcludedPlanes, path + "." + nameof(ExcludedPlanes));
        for (int i = 0; i < planes.Count; i++)
            if (string.IsNullOrWhiteSpace(planes[i]))
                throw new ConfigException($"{path}.{nameof(ExcludedPlanes)}[{i}]", planes[i] ?? "null", "must name a mask plane");
    }
}
