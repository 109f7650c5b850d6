namespace ImageCore.Isr;

/// <summary>A step that can be switched off.</summary>
public sealed record IsrStepConfig
{
    /// <summary>Run the step.</summary>
    public bool Enabled { get; init; } = true;
}

/// <summary>Dark subtraction (step 15).</summary>
public sealed record DarkConfig
{
    /// <summary>Subtract the dark.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Scale the dark by DARKTIME(science) / DARKTIME(dark) first (combined darks carry 1 s).</summary>
    public bool ScaleByDarkTime { get; init; } = true;
}

/// <summary>SUSPECT masking (step 5).</summary>
public sealed record SuspectConfig
{
    /// <summary>Flag SUSPECT pixels.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Threshold as a fraction of the amplifier's saturation. ip_isr takes the PTC turnoff, which
    /// ImageCore does not have; 0.9 of saturation stands in for it.</summary>
    public double FractionOfSaturation { get; init; } = 0.9;
}

/// <summary>
/// How ISR checks the contents of the bias, dark and flat where it applies them. A pixel whose bias or dark value or
/// variance is not finite, whose bias or dark variance is negative, or whose flat value is not finite or below
/// <see cref="MinFlat"/> (zero, negative, denormal) or whose flat variance is negative or not finite is unusable: it is
/// flagged BAD and that calibration is not applied there (bias and dark taken as 0, the flat as 1, their variances as
/// 0), so its output stays finite and interpolation replaces it as any BAD pixel. When more than
/// <see cref="MaxUnusableFraction"/> of a frame's pixels are unusable, ISR fails with a
/// <see cref="CalibrationException"/> naming the frame and the fraction.
/// </summary>
public sealed record CalibrationCheckConfig
{
    /// <summary>The smallest usable flat value. Master flats are normalised to a median of 1 (cp_pipe), so 1e-4 is a
    /// response 10,000 times below the detector's typical one; dividing by less would amplify the pixel beyond any
    /// meaning and, below about 1e-9, overflow the variance (f^4 leaves single precision). A flat that is not
    /// normalised falls below it wholesale and fails by <see cref="MaxUnusableFraction"/>.</summary>
    public double MinFlat { get; init; } = 1e-4;

    /// <summary>The largest fraction of a frame's pixels (bias, dark or flat) that may be unusable before ISR fails
    /// rather than mask them; 0..1.</summary>
    public double MaxUnusableFraction { get; init; } = 0.5;
}

/// <summary>Where ISR takes each amplifier's gain, read noise and saturation from.</summary>
public enum AmplifierParameterSource
{
    /// <summary>The <c>amps</c> calibration of the detector (<see cref="ICalibrationSource.GetAmplifiers"/>), as
    /// IsrTaskLSST takes them from the PTC by default; a missing or mismatched table is an error.</summary>
    Calibration,
    /// <summary>The camera model's nominal values (<see cref="ImageCore.Camera.Amplifier"/>).</summary>
    Camera,
}

/// <summary>
/// Instrument signature removal, the steps ImageCore has so far in IsrTaskLSST's order; each can be
/// switched off. Gain, read noise and saturation (ADU, overscan-subtracted) come per amplifier from the
/// <c>amps</c> calibration by default (<see cref="AmplifierParameters"/>); the PTC turnoff that ip_isr
/// uses for SUSPECT is not in it (see <see cref="SuspectConfig"/>). Not available: crosstalk's quadratic terms, the other
/// linearizer types (lookup table, spline), dithering, deferred charge, brighter-fatter, vendor masks.
/// </summary>
public sealed record IsrConfig
{
    /// <summary>Step 0: where gain, read noise and saturation come from; the <c>amps</c> calibration by default.</summary>
    public AmplifierParameterSource AmplifierParameters { get; init; } = AmplifierParameterSource.Calibration;

    /// <summary>Step 4: serial overscan, per amplifier.</summary>
    public OverscanConfig Overscan { get; init; } = new();

    /// <summary>Step 5: SAT where the overscan-subtracted pixel is at or above the amplifier's saturation.</summary>
    public IsrStepConfig Saturation { get; init; } = new();

    /// <summary>Step 5: SUSPECT where the overscan-subtracted pixel is at or above a fraction of saturation.</summary>
    public SuspectConfig Suspect { get; init; } = new();

    /// <summary>Step 7 (linear terms, applied in ADU before the gain): intra-detector crosstalk.</summary>
    public IsrStepConfig Crosstalk { get; init; } = new();

    /// <summary>Step 9 (measured and applied in ADU, after crosstalk): parallel overscan, per amplifier.</summary>
    public ParallelOverscanConfig ParallelOverscan { get; init; } = new();

    /// <summary>Step 10 (applied in ADU before the gain): quadratic non-linearity, exact inverse.</summary>
    public IsrStepConfig Linearity { get; init; } = new();

    /// <summary>Step 6: ADU to electrons with the amplifier gains.</summary>
    public IsrStepConfig Gain { get; init; } = new();

    /// <summary>Step 14: master bias (electrons).</summary>
    public IsrStepConfig Bias { get; init; } = new();

    /// <summary>Step 15: master dark (electrons per second of dark time).</summary>
    public DarkConfig Dark { get; init; } = new();

    /// <summary>Step 16: BAD over the defect boxes of the calibrations.</summary>
    public IsrStepConfig Defects { get; init; } = new();

    /// <summary>Step 17: UNMASKEDNAN where image or variance is not finite.</summary>
    public IsrStepConfig NanMasking { get; init; } = new();

    /// <summary>Step 19: variance += image + read noise^2 (electrons), per amplifier.</summary>
    public IsrStepConfig Variance { get; init; } = new();

    /// <summary>Step 20: divide by the master flat of the exposure's band.</summary>
    public IsrStepConfig Flat { get; init; } = new();

    /// <summary>Step 22: grow SAT by one pixel, interpolate over SAT, BAD and UNMASKEDNAN along rows, set INTRP.</summary>
    public IsrStepConfig Interpolation { get; init; } = new();

    /// <summary>Checks on the bias, dark and flat contents where they are applied.</summary>
    public CalibrationCheckConfig CalibrationChecks { get; init; } = new();

    /// <summary>Checks every value: no section may be null, each number must be in its range and each enumeration a
    /// defined member. <see cref="IsrTask.Run(ImageCore.Fits.FitsFile, ImageCore.Camera.CameraModel, ICalibrationSource, IsrConfig, int)"/>
    /// calls it before any work.</summary>
    /// <exception cref="ConfigException">A null section or a value out of range; the message names the value by its
    /// full path (<c>IsrConfig.Overscan.TrailingToSkip</c>) and gives the allowed range.</exception>
    public void Validate()
    {
        const string p = nameof(IsrConfig) + ".";
        ConfigChecks.Defined(AmplifierParameters, p + nameof(AmplifierParameters));
        ConfigChecks.NotNull(Overscan, p + nameof(Overscan)).Validate(p + nameof(Overscan));
        ConfigChecks.NotNull(Saturation, p + nameof(Saturation));
        ConfigChecks.NotNull(Suspect, p + nameof(Suspect));
        ConfigChecks.FinitePositive(Suspect.FractionOfSaturation, 1, p + "Suspect.FractionOfSaturation");
        ConfigChecks.NotNull(Crosstalk, p + nameof(Crosstalk));
        ConfigChecks.NotNull(ParallelOverscan, p + nameof(ParallelOverscan)).Validate(p + nameof(ParallelOverscan));
        ConfigChecks.NotNull(Linearity, p + nameof(Linearity));
        ConfigChecks.NotNull(Gain, p + nameof(Gain));
        ConfigChecks.NotNull(Bias, p + nameof(Bias));
        ConfigChecks.NotNull(Dark, p + nameof(Dark));
        ConfigChecks.NotNull(Defects, p + nameof(Defects));
        ConfigChecks.NotNull(NanMasking, p + nameof(NanMasking));
        ConfigChecks.NotNull(Variance, p + nameof(Variance));
        ConfigChecks.NotNull(Flat, p + nameof(Flat));
        ConfigChecks.NotNull(Interpolation, p + nameof(Interpolation));
        ConfigChecks.NotNull(CalibrationChecks, p + nameof(CalibrationChecks));
        ConfigChecks.FiniteInRange(CalibrationChecks.MinFlat, 1e-9, 0.5, p + "CalibrationChecks.MinFlat");
        ConfigChecks.FiniteInRange(CalibrationChecks.MaxUnusableFraction, 0, 1, p + "CalibrationChecks.MaxUnusableFraction");
        if ((Bias.Enabled || Dark.Enabled || Variance.Enabled) && !Gain.Enabled)
            throw new ConfigException(p + "Gain.Enabled", false, "must be true when bias, dark or variance run: the calibrations are in electrons");
    }
}
