namespace ImageCore.Characterize;

/// <summary>What <see cref="SourceDetection.Detect(Images.MaskedImage, double, DetectionConfig, int, CancellationToken)"/> found.</summary>
/// <param name="Footprints">The positive footprints (grown and merged), ordered by their first pixel (row, then
/// column); each one's peaks are local maxima of the smoothed image, most significant first.</param>
/// <param name="NegativeFootprints">The negative footprints (empty unless <see cref="DetectionConfig.IncludeNegative"/>),
/// ordered likewise; their peaks are local minima, <see cref="FootprintPeak.Significance"/> being the magnitude
/// (-smoothed / noise) so that the deepest comes first.</param>
/// <param name="Threshold">The threshold used, in sigma of the smoothed image.</param>
/// <param name="PsfSigma">The Gaussian sigma of the smoothing, pixels.</param>
/// <param name="KernelHalfWidth">The smoothing kernel's reach either side of its centre, pixels (the EDGE border width).</param>
/// <param name="GrowRadius">The radius footprints were grown by, pixels.</param>
/// <param name="DetectedPixels">Pixels in the positive footprints (the DETECTED plane's count).</param>
public sealed record DetectionResult(IReadOnlyList<Footprint> Footprints, IReadOnlyList<Footprint> NegativeFootprints,
                                     double Threshold, double PsfSigma, int KernelHalfWidth, int GrowRadius, long DetectedPixels)
{
    /// <summary>The number of peaks over the positive footprints.</summary>
    public int PeakCount => Footprints.Sum(f => f.Peaks.Count);
}
