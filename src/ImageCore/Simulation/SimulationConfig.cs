namespace ImageCore.Simulation;

/// <summary>What <see cref="Simulator"/> makes (the options of <c>imagecore simulate</c>).</summary>
public sealed record SimulationConfig
{
    /// <summary>Number of visits.</summary>
    public int Visits { get; init; } = 1;

    /// <summary>Detectors: "all", a raft ("R22"), or detector names ("R22_S11,R01_S00").</summary>
    public string Detectors { get; init; } = "R22_S11";

    /// <summary>Shrink every amplifier dimension by this factor (1, 2, 4 or 8); 1 is full size.</summary>
    public int Scale { get; init; } = 8;

    /// <summary>Seed of every random draw: the same seed gives the same files.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Filter band (u, g, r, i, z, y).</summary>
    public string Band { get; init; } = "r";

    /// <summary>Exposure time, s.</summary>
    public double ExposureTime { get; init; } = 30;

    /// <summary>Dark time (exposure plus readout), s.</summary>
    public double DarkTime { get; init; } = 31;

    /// <summary>Sky level of a full-size pixel in one exposure, e- (scaled pixels collect scale^2 times more).</summary>
    public double SkyElectrons { get; init; } = 1000;

    /// <summary>Dark current, e-/s per full-size pixel.</summary>
    public double DarkCurrent { get; init; } = 0.02;

    /// <summary>Stars per full-size detector (a detector at 1/scale size gets this divided by the scale).</summary>
    public int StarsPerDetector { get; init; } = 2000;

    /// <summary>Galaxies per full-size detector.</summary>
    public int GalaxiesPerDetector { get; init; } = 1000;

    /// <summary>The field's centre (RA, Dec), degrees: every visit points within <see cref="DitherDegrees"/> of it.</summary>
    public (double Ra, double Dec) Field { get; init; } = (150.1, 2.2);

    /// <summary>Largest offset of a visit's boresight from <see cref="Field"/> in RA and in Dec, degrees
    /// (uniform; each visit also draws its rotator angle ROTPA in [0, 360)).</summary>
    public double DitherDegrees { get; init; } = 0.2;

    /// <summary>The camera's typical seeing, 0.8" FWHM: about 4 pixels of 0.2".</summary>
    public const double TypicalSeeingFwhmArcsec = 0.8;

    /// <summary>Median seeing FWHM, arcsec (each visit draws its own around it); null (the default) for
    /// <see cref="TypicalSeeingFwhmArcsec"/> times <see cref="Scale"/>, so that a scaled simulation's PSF is sampled as on
    /// the camera (about 4 pixels FWHM) and characterization can measure it, as <see cref="MedianSeeingFwhmArcsec"/> says.</summary>
    public double? SeeingFwhmArcsec { get; init; }

    /// <summary>The median seeing FWHM in effect, arcsec: <see cref="SeeingFwhmArcsec"/>, or 0.8" times the scale.</summary>
    public double MedianSeeingFwhmArcsec => SeeingFwhmArcsec ?? TypicalSeeingFwhmArcsec * Scale;

    /// <summary>A spatially varying PSF: the fractional change of the seeing FWHM per 320 mm of focal plane (its
    /// radius), along a direction each visit draws (<c>SeeingField</c>); 0..0.9. With the default 0 the PSF is the same
    /// everywhere; 0.5 makes it about 6.6% wider on one side of a detector than on the other.</summary>
    public double SeeingGradient { get; init; }

    /// <summary>Satellite trails, an asteroid and a variable star (<see cref="TransientConfig"/>), with their truth in
    /// <c>truth/transients.json</c>; null (the default) adds none, and the files are those of a simulation without them.</summary>
    public TransientConfig? Transients { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the option for out-of-range values.</summary>
    public void Validate()
    {
        if (Visits < 1) throw new ArgumentException($"--visits must be at least 1 (is {Visits})");
        if (Scale is not (1 or 2 or 4 or 8)) throw new ArgumentException($"--scale must be 1, 2, 4 or 8 (is {Scale})");
        if (!"ugrizy".Contains(Band) || Band.Length != 1) throw new ArgumentException($"--band must be one of u, g, r, i, z, y (is '{Band}')");
        if (!(MedianSeeingFwhmArcsec > 0) || !double.IsFinite(MedianSeeingFwhmArcsec)) throw new ArgumentException($"--seeing must be a finite FWHM > 0 arcsec (is {MedianSeeingFwhmArcsec})");
        if (!(SeeingGradient >= 0 && SeeingGradient <= 0.9)) throw new ArgumentException($"--seeing-gradient must be 0..0.9 (is {SeeingGradient})");
        if (!(ExposureTime > 0) || !(DarkTime >= ExposureTime)) throw new ArgumentException("exposure time must be > 0 and dark time at least the exposure time");
        Transients?.Validate(nameof(SimulationConfig) + "." + nameof(Transients));
    }
}
