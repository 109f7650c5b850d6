using ImageCore.Camera;
using ImageCore.Fits;

namespace ImageCore.Isr;

// Which detector a raw is, and whether its segments fit it.
public static partial class IsrTask
{
    /// <summary>The camera's detector named by the raw's DETNAME, at the scale its segments have (1, 2, 4 or 8, from the
    /// first segment's width). Only the headers up to the first segment are read (the pipeline plans footprints with
    /// this); <see cref="Run(FitsFile, CameraModel, ICalibrationSource, IsrConfig, int)"/> then checks every segment.</summary>
    /// <exception cref="FitsFormatException">No DETNAME, an unknown detector, or a first segment of no known scale.</exception>
    public static Detector FindDetector(FitsFile raw, CameraModel camera)
    {
        string name = raw[0].Header.GetString("DETNAME");
        Detector full;
        try { full = camera[name]; }
        catch (KeyNotFoundException) { throw new FitsFormatException(raw.Name, 0, -1, "DETNAME", $"{camera.Name} has no detector '{name}'"); }
        var first = raw.FindHdu(full.Amplifiers[0].ExtName)
                    ?? throw new FitsFormatException(raw.Name, -1, -1, "EXTNAME", $"no {full.Amplifiers[0].ExtName} HDU");
        int rawWidth = full.Layout.RawWidth;
        if (first.Width <= 0 || rawWidth % first.Width != 0 || (rawWidth / first.Width) is not (1 or 2 or 4 or 8))
            throw new FitsFormatException(raw.Name, first.Index, -1, "NAXIS1", $"{full.Amplifiers[0].ExtName} is {first.Width} px wide; {name} segments are {rawWidth} px (or that divided by 2, 4 or 8)");
        int scale = (int)(rawWidth / first.Width);
        try { return camera.Scaled(scale)[name]; }
        catch (ArgumentException e) { throw new FitsFormatException(raw.Name, first.Index, -1, "NAXIS1", e.Message); }
    }

    /// <summary>Every segment HDU of <paramref name="raw"/> is there with the amplifier's raw size (headers only), so
    /// that a segment of another size is named as such before any calibration is compared with the detector.</summary>
    /// <exception cref="FitsFormatException">A segment missing or of another size (file, HDU, EXTNAME and both sizes named).</exception>
    internal static void CheckSegments(FitsFile raw, Detector detector)
    {
        var layout = detector.Layout;
        int scale = (layout.FullSize ?? layout).RawWidth / layout.RawWidth;
        foreach (var amp in detector.Amplifiers)
        {
            var hdu = raw.FindHdu(amp.ExtName)
                      ?? throw new FitsFormatException(raw.Name, -1, -1, "EXTNAME", $"no {amp.ExtName} HDU for amplifier {amp.Name} of {detector.Name}");
            if (hdu.Width != layout.RawWidth || hdu.Height != layout.RawHeight)
                throw new FitsFormatException(raw.Name, hdu.Index, -1, hdu.Width != layout.RawWidth ? "NAXIS1" : "NAXIS2",
                    $"{amp.ExtName} (amplifier {amp.Name}) is {hdu.Width}x{hdu.Height} px; {detector.Name}'s {detector.Vendor} segments"
                    + (scale == 1 ? "" : $" at 1/{scale} scale (from {detector.Amplifiers[0].ExtName}'s width)") + $" are {layout.RawWidth}x{layout.RawHeight} px");
        }
    }
}
