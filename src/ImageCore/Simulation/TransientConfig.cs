namespace ImageCore.Simulation;

/// <summary>
/// Transients the simulator adds when <see cref="SimulationConfig.Transients"/> is set (<c>imagecore simulate
/// --transients</c>): satellite trails, a variable star and an asteroid, all defined on the sky so that every detector
/// and visit sees them consistently; <c>truth/transients.json</c> says where they are. Brightnesses are electrons
/// collected in one exposure, as the catalogue's.
/// </summary>
public sealed record TransientConfig
{
    /// <summary>The chance that a visit has a satellite trail (each visit draws it from its own seed); 1 gives every
    /// visit one.</summary>
    public double TrailProbability { get; init; } = 0.5;

    /// <summary>A trail's length on the sky, degrees (longer than a detector, so it crosses the one it aims at).</summary>
    public double TrailLengthDegrees { get; init; } = 1.0;

    /// <summary>The satellite's own width (FWHM across the trail, arcsec) before the PSF widens it.</summary>
    public double TrailWidthArcsec { get; init; } = 1.0;

    /// <summary>A trail's brightness: electrons per arcsec of its length (integrated across it); the default is
    /// about 20 sky-noise sigma at the trail's centre line for the default sky and seeing, at any scale.</summary>
    public double TrailElectronsPerArcsec { get; init; } = 15000;

    /// <summary>The asteroid's flux, e-.</summary>
    public double AsteroidElectrons { get; init; } = 2e5;

    /// <summary>How far the asteroid moves between consecutive visits, arcsec (in a seeded direction).</summary>
    public double AsteroidArcsecPerVisit { get; init; } = 30;

    /// <summary>The variable star's mean flux, e-.</summary>
    public double VariableMeanElectrons { get; init; } = 2e5;

    /// <summary>The variable star's flux is mean x (1 + amplitude x sin(2 pi visit / period + phase)), phase seeded.</summary>
    public double VariableAmplitude { get; init; } = 0.5;

    /// <summary>The variable star's period, visits.</summary>
    public double VariablePeriodVisits { get; init; } = 3;

    /// <summary>Throws <see cref="ConfigException"/> naming the setting (<c>TransientConfig.TrailProbability</c>) for a value out of range.</summary>
    public void Validate(string path = nameof(TransientConfig))
    {
        ConfigChecks.FiniteInRange(TrailProbability, 0, 1, path + "." + nameof(TrailProbability));
        ConfigChecks.FinitePositive(TrailLengthDegrees, 10, path + "." + nameof(TrailLengthDegrees));
        ConfigChecks.FiniteInRange(TrailWidthArcsec, 0, 100, path + "." + nameof(TrailWidthArcsec));
        ConfigChecks.NonNegative(TrailElectronsPerArcsec, path + "." + nameof(TrailElectronsPerArcsec));
        ConfigChecks.NonNegative(AsteroidElectrons, path + "." + nameof(AsteroidElectrons));
        ConfigChecks.FiniteInRange(AsteroidArcsecPerVisit, 0, 3600, path + "." + nameof(AsteroidArcsecPerVisit));
        ConfigChecks.NonNegative(VariableMeanElectrons, path + "." + nameof(VariableMeanElectrons));
        ConfigChecks.FiniteInRange(VariableAmplitude, 0, 1, path + "." + nameof(VariableAmplitude));
        ConfigChecks.FinitePositive(VariablePeriodVisits, 1e6, path + "." + nameof(VariablePeriodVisits));
    }
}
