using ImageCore.Images;

namespace ImageCore.Characterize;

/// <summary>
/// No PSF model could be measured for an exposure: too few PSF stars (the counts say which cut removed the others), stars
/// that do not constrain the spatial polynomial, or a model that came out unusable. The exposure gets no PSF (never a
/// NaN-filled one); in a pipeline the quantum fails with this message and its dependents are skipped.
/// </summary>
public sealed class PsfMeasurementException : Exception
{
    /// <summary>A failure for <paramref name="exposure"/> (its name for the message, e.g. "R22_S11 visit 12").</summary>
    public PsfMeasurementException(string exposure, string problem, PsfStarSelectionCounts? counts = null)
        : base($"{exposure}: {problem}" + (counts is null ? "" : $" ({counts})"))
    {
        Exposure = exposure;
        Problem = problem;
        Counts = counts;
    }

    /// <summary>Which exposure (detector and visit where the metadata give them).</summary>
    public string Exposure { get; }

    /// <summary>What went wrong.</summary>
    public string Problem { get; }

    /// <summary>The star selection's counts, when it ran.</summary>
    public PsfStarSelectionCounts? Counts { get; }

    /// <summary>"R22_S11 visit 12" from the exposure's DETNAME and VISIT cards, as far as it has them ("exposure" without).</summary>
    public static string Describe(Exposure exposure)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        string? detector = exposure.Metadata.Contains("DETNAME") ? exposure.Metadata.Find("DETNAME")?.Value?.ToString()?.Trim() : null;
        string? visit = exposure.Metadata.Contains("VISIT") ? exposure.Metadata.Find("VISIT")?.Value?.ToString()?.Trim() : null;
        return (detector, visit) switch
        {
            (null, null) => "exposure",
            (_, null) => detector!,
            (null, _) => $"visit {visit}",
            _ => $"{detector} visit {visit}",
        };
    }
}
