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

    /// <summary>Throws <see cref="ArgumentException"/> naming the field for inconsistent settings.</summary>
    public void Validate()
    {
        Overscan.Validate();
        ParallelOverscan.Validate();
        if (!Enum.IsDefined(AmplifierParameters)) throw new ArgumentException($"IsrConfig.AmplifierParameters {(int)AmplifierParameters} is not Calibration or Camera");
        if (!(Suspect.FractionOfSaturation > 0)) throw new ArgumentException($"IsrConfig.Suspect.FractionOfSaturation must be > 0 (is {Suspect.FractionOfSaturation})");
        if ((Bias.Enabled || Dark.Enabled || Variance.Enabled) && !Gain.Enabled)
            throw new ArgumentException("IsrConfig.Gain.Enabled must be true when bias, dark or variance run: the calibrations are in electrons");
    }
}
