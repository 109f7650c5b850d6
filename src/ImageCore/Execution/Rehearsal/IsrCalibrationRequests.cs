using ImageCore.Isr;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// The calibrations one ISR quantum asks its <see cref="ICalibrationSource"/> for, in the order <see cref="IsrTask"/>
/// asks with the default <see cref="IsrConfig"/> on one thread (as <c>imagecore run</c>'s quanta do): the amplifier
/// parameters, then crosstalk, linearity, bias, dark, flat and defects. Each is one dataset, one cache request.
/// </summary>
internal static class IsrCalibrationRequests
{
    /// <summary>The request sequence of one quantum.</summary>
    public static IReadOnlyList<CalibrationType> Default { get; } =
    [
        CalibrationType.Amplifiers, CalibrationType.Crosstalk, CalibrationType.Linearity,
        CalibrationType.Bias, CalibrationType.Dark, CalibrationType.Flat, CalibrationType.Defects,
    ];
}
