using ImageCore.Psf;

namespace ImageCore.Characterize;

/// <summary>A star chosen to model the PSF from: where it is, how bright, and its adaptive moments.</summary>
/// <param name="X">Centroid column (adaptive moments), parent pixels.</param>
/// <param name="Y">Centroid row, parent pixels.</param>
/// <param name="Flux">Gaussian-weighted flux (exact for a Gaussian star), image units (electrons after ISR).</param>
/// <param name="SignalToNoise">That flux over its standard deviation, from the variance plane.</param>
/// <param name="Moments">Adaptive second moments, pixels^2.</param>
/// <param name="Footprint">The detection it came from.</param>
public sealed record PsfCandidate(double X, double Y, double Flux, double SignalToNoise, PsfMoments Moments, Footprint Footprint)
{
    /// <summary>sqrt((Ixx + Iyy) / 2), pixels: the width the star selector clusters.</summary>
    public double Width => Moments.TraceRadius;
}
