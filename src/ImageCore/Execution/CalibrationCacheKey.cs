using ImageCore.Isr;

namespace ImageCore.Execution;

/// <summary>What identifies one calibration dataset in the <see cref="CalibrationCache"/>.</summary>
/// <param name="Type">Bias, dark, flat, defects, crosstalk or linearity.</param>
/// <param name="Detector">The detector's name (e.g. <c>R22_S11</c>).</param>
/// <param name="Band">The band for flats; null for the other types.</param>
/// <param name="Validity">The dataset's validity range, as the store reports it.</param>
public readonly record struct CalibrationCacheKey(CalibrationType Type, string Detector, string? Band, CalibrationValidity Validity)
{
    /// <summary><c>flat R22_S11 r unbounded</c>: type, detector, band when there is one, validity.</summary>
    public override string ToString() => $"{Type.ToString().ToLowerInvariant()} {Detector}{(Band is null ? "" : " " + Band)} {Validity}";
}
