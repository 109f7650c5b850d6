namespace ImageCore.Characterize;

/// <summary>PSF measurement (pipe_tasks' measurePsf): star selection, then the fit.</summary>
public sealed record PsfDeterminerConfig
{
    /// <summary>Which detections become PSF stars.</summary>
    public PsfStarSelectorConfig StarSelection { get; init; } = new();

    /// <summary>How the model is fitted to them.</summary>
    public PsfFitConfig Fit { get; init; } = new();

    /// <summary>Checks every value, naming it under <paramref name="path"/> (e.g. <c>CharacterizeConfig.Psf</c>).</summary>
    /// <exception cref="ConfigException">A missing section or a value out of range.</exception>
    public void Validate(string path = nameof(PsfDeterminerConfig))
    {
        string p = path + ".";
        ConfigChecks.NotNull(StarSelection, p + nameof(StarSelection)).Validate(p + nameof(StarSelection));
        ConfigChecks.NotNull(Fit, p + nameof(Fit)).Validate(p + nameof(Fit));
        if (Fit.LanczosOrder > StarSelection.Border)
            throw new ConfigException(p + "Fit.LanczosOrder", Fit.LanczosOrder, $"must be <= {p}StarSelection.Border ({StarSelection.Border}): the re-centring reads that far beyond the kernel");
    }
}
