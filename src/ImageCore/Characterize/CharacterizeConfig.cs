namespace ImageCore.Characterize;

/// <summary>
/// What <see cref="CharacterizeTask"/> does to a post-ISR exposure, one section per step in the order they run (Rubin's
/// calibrateImage core): background, cosmic rays, detection of PSF stars with a first-guess Gaussian PSF, the PSF model,
/// and the final detection with the measured PSF. Pixel sizes are of the image given: a pipeline on scaled simulations
/// scales them (<see cref="ForScale"/>).
/// </summary>
public sealed record CharacterizeConfig
{
    /// <summary>FWHM, pixels, of the Gaussian PSF assumed before one is measured (calibrateImage installs 4 px).</summary>
    public double InitialPsfFwhm { get; init; } = 4.0;

    /// <summary>The sky background: measured on a mesh of bins and subtracted.</summary>
    public BackgroundConfig Background { get; init; } = new();

    /// <summary>Cosmic rays: found, masked (CR) and repaired (INTRP).</summary>
    public CosmicRayConfig CosmicRays { get; init; } = new();

    /// <summary>Detection of the PSF candidates, with the initial PSF: bright sources only (calibrateImage's
    /// psf_detection uses 10 sigma).</summary>
    public DetectionConfig PsfDetection { get; init; } = new() { Threshold = 10 };

    /// <summary>The PSF model: star selection among the candidates and the fit.</summary>
    public PsfDeterminerConfig Psf { get; init; } = new();

    /// <summary>The final detection with the measured PSF, which sets DETECTED (5 sigma).</summary>
    public DetectionConfig Detection { get; init; } = new();

    /// <summary>This configuration for data simulated at 1/<paramref name="scale"/> size (pixels <paramref name="scale"/>
    /// times larger): the background bin size divided by the scale, but not below <see cref="MinScaledBinSize"/>. The PSF
    /// settings are not scaled: they follow the data's seeing, which a scaled simulation scales with its pixels (a PSF of
    /// about 4 px FWHM at every scale), so bins much smaller than 32 px would follow the wings of its bright stars.</summary>
    public CharacterizeConfig ForScale(int scale)
    {
        if (scale < 1) throw new ConfigException("scale", scale, "must be >= 1");
        return scale == 1 ? this : this with { Background = Background with { BinSize = Math.Max(Math.Min(MinScaledBinSize, Background.BinSize), Background.BinSize / scale) } };
    }

    /// <summary>The smallest background bin <see cref="ForScale"/> makes, pixels (8 FWHM of a 4 px PSF).</summary>
    public const int MinScaledBinSize = 32;

    /// <summary>Throws <see cref="ConfigException"/> naming the setting (<c>CharacterizeConfig.Background.BinSize</c>) when one is
    /// out of range or a section is null.</summary>
    public void Validate()
    {
        const string p = nameof(CharacterizeConfig) + ".";
        if (!(InitialPsfFwhm > 0) || double.IsInfinity(InitialPsfFwhm))
            throw new ConfigException(p + nameof(InitialPsfFwhm), InitialPsfFwhm, "must be a finite number of pixels > 0");
        ConfigChecks.NotNull(Background, p + nameof(Background)).Validate(p + nameof(Background));
        ConfigChecks.NotNull(CosmicRays, p + nameof(CosmicRays)).Validate(p + nameof(CosmicRays));
        ConfigChecks.NotNull(PsfDetection, p + nameof(PsfDetection)).Validate(p + nameof(PsfDetection));
        ConfigChecks.NotNull(Psf, p + nameof(Psf)).Validate(p + nameof(Psf));
        ConfigChecks.NotNull(Detection, p + nameof(Detection)).Validate(p + nameof(Detection));
    }
}
