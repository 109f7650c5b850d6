using ImageCore.Images;

namespace ImageCore.Characterize;

/// <summary>
/// Measures the PSF of a background-subtracted exposure from its detections (pipe_tasks' measurePsf, PSFEx-like):
/// <see cref="PsfStarSelector"/>, then <see cref="PsfFitter"/>. The exposure is not changed; the caller sets
/// <c>exposure.Psf = result.Psf</c>.
/// </summary>
public static class PsfDeterminer
{
    /// <summary>The PSF model of <paramref name="exposure"/>.</summary>
    /// <param name="exposure">Background subtracted, with variance (electrons, as after ISR) and mask (cosmic rays
    /// marked, so that stars they hit are passed over).</param>
    /// <param name="footprints">Its detections, parent coordinates.</param>
    /// <param name="config">Checked first.</param>
    /// <param name="initialSigma">Starting width for the stars' adaptive moments, pixels; null for the exposure's current
    /// PSF, else <see cref="PsfStarSelectorConfig.InitialSigma"/>.</param>
    /// <param name="cancel">Checked between footprints and between fit iterations.</param>
    /// <exception cref="ConfigException">A configuration value out of range.</exception>
    /// <exception cref="PsfMeasurementException">Too few PSF stars (with the count each cut removed) or an unusable fit;
    /// the message starts with the exposure's detector and visit.</exception>
    public static PsfDeterminerResult Measure(Exposure exposure, IReadOnlyList<Footprint> footprints, PsfDeterminerConfig config,
                                       double? initialSigma = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        ArgumentNullException.ThrowIfNull(footprints);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var selection = PsfStarSelector.Select(exposure, footprints, config.StarSelection, initialSigma, cancel);
        var fit = PsfFitter.Fit(exposure, selection, config.Fit, cancel);
        return new PsfDeterminerResult(fit.Psf, selection, fit);
    }
}
