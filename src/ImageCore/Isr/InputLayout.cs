using System.Globalization;

namespace ImageCore.Isr;

/// <summary>
/// Where a data repository keeps ISR's inputs: <c>raw/VVVVVV/DET.fits</c> (the visit zero-padded to six digits, the
/// detector by name) and the calibrations under <c>calib/</c>: <c>bias/DET.fits</c>, <c>dark/DET.fits</c>,
/// <c>flat/BAND/DET.fits</c>, and <c>defects/</c>, <c>crosstalk/</c>, <c>linearity/</c>, <c>amps/</c> with
/// <c>DET.json</c> each. The one statement of this part of the layout: the simulator writes by it,
/// <see cref="CalibrationDirectory"/> reads by it, and <c>ImageCore.Execution.DataRepository</c> adds the pipeline's
/// outputs to it. It lives here, beside the calibration reader, because the simulator, which sits below the execution
/// engine, must reach it too.
/// </summary>
public static class InputLayout
{
    /// <summary>The raws' directory under a repository's root.</summary>
    public const string RawDirectoryName = "raw";

    /// <summary>The calibrations' directory under a repository's root.</summary>
    public const string CalibrationDirectoryName = "calib";

    /// <summary><paramref name="root"/><c>/raw</c>.</summary>
    public static string RawRoot(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return Path.Combine(root, RawDirectoryName);
    }

    /// <summary><paramref name="root"/><c>/calib</c>, the directory a <see cref="CalibrationDirectory"/> reads.</summary>
    public static string CalibrationRoot(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return Path.Combine(root, CalibrationDirectoryName);
    }

    /// <summary>A visit's directory name: the visit zero-padded to six digits (<c>000042</c>).</summary>
    public static string VisitName(int visit) => visit.ToString("000000", CultureInfo.InvariantCulture);

    /// <summary>The visit a directory name gives (digits only), or false.</summary>
    public static bool TryParseVisit(string name, out int visit) =>
        int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out visit);

    /// <summary><paramref name="root"/><c>/raw/VVVVVV/DET.fits</c>.</summary>
    public static string Raw(string root, int visit, string detector)
    {
        ArgumentNullException.ThrowIfNull(detector);
        return Path.Combine(RawRoot(root), VisitName(visit), detector + ".fits");
    }

    /// <summary>A calibration's file under a calibration directory (<paramref name="calibRoot"/>, not the repository's
    /// root): <c>bias/DET.fits</c>, <c>dark/DET.fits</c>, <c>flat/BAND/DET.fits</c>, <c>defects/DET.json</c>,
    /// <c>crosstalk/DET.json</c>, <c>linearity/DET.json</c> or <c>amps/DET.json</c>.</summary>
    /// <exception cref="ArgumentException">A flat without a band, or an undefined type.</exception>
    public static string Calibration(string calibRoot, CalibrationType type, string detector, string? band = null)
    {
        ArgumentNullException.ThrowIfNull(calibRoot);
        ArgumentNullException.ThrowIfNull(detector);
        return type switch
        {
            CalibrationType.Bias => Path.Combine(calibRoot, "bias", detector + ".fits"),
            CalibrationType.Dark => Path.Combine(calibRoot, "dark", detector + ".fits"),
            CalibrationType.Flat => Path.Combine(calibRoot, "flat", band ?? throw new ArgumentException("a flat's file depends on its band", nameof(band)),
                                                 detector + ".fits"),
            CalibrationType.Defects => Path.Combine(calibRoot, "defects", detector + ".json"),
            CalibrationType.Crosstalk => Path.Combine(calibRoot, "crosstalk", detector + ".json"),
            CalibrationType.Linearity => Path.Combine(calibRoot, "linearity", detector + ".json"),
            CalibrationType.Amplifiers => Path.Combine(calibRoot, "amps", detector + ".json"),
            _ => throw new ArgumentException($"calibration type {(int)type} is not defined", nameof(type)),
        };
    }
}
