using System.Text.RegularExpressions;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;

namespace ImageCore.Isr;

/// <summary>
/// Runs instrument signature removal on one raw detector file: per amplifier serial overscan,
/// saturation masking, crosstalk, linearity and gain on the assembled untrimmed image; then trim, bias, dark, defects, NaN
/// masking, variance, flat and interpolation on the detector image. Returns the post-ISR exposure in electrons.
/// </summary>
public static class IsrTask
{
    private static readonly Regex RawOnly = new(@"^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|CHECKSUM|DATASUM)$", RegexOptions.CultureInvariant);

    /// <summary>ISR of <paramref name="raw"/>. The detector comes from DETNAME; a scaled simulation is
    /// recognised from the segment width.</summary>
    /// <exception cref="FitsFormatException">The raw file is malformed or does not fit the camera.</exception>
    /// <exception cref="CalibrationException">A calibration is missing or does not fit.</exception>
    /// <exception cref="ArgumentException">An invalid configuration.</exception>
    public static Exposure Run(FitsFile raw, CameraModel camera, ICalibrationSource calibrations, IsrConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var primary = raw[0].Header;
        var detector = FindDetector(raw, camera);
        var layout = detector.Layout;

        using var untrimmed = RawAssembly.ReadUntrimmed(raw, detector);
        using var untrimmedVariance = new Image<float>(detector.RawBBox);
        using var untrimmedMask = new Mask(new Image<int>(detector.RawBBox));
        int sat = untrimmedMask.GetBitMask("SAT");
        var history = new List<string>();
        foreach (var amp in detector.Amplifiers)
        {
            if (config.Overscan.Enabled)
            {
                var levels = new float[amp.RawSerialOverscanBBox.Height];
                Overscan.MeasureRows(untrimmed.View(amp.RawSerialOverscanBBox), dataOnLeft: !amp.FlipX, ScaleSkips(config.Overscan, layout), levels);
                Overscan.SubtractRows(untrimmed.View(amp.RawDataBBox with { MinX = amp.RawBBox.MinX, Width = amp.RawBBox.Width }), levels);
            }
            if (config.Saturation.Enabled)
                PixelSteps.MaskAtOrAbove(untrimmed.View(amp.RawDataBBox), untrimmedMask.Image.View(amp.RawDataBBox), (float)amp.Saturation, sat);
        }
        if (config.Crosstalk.Enabled) Crosstalk.Subtract(untrimmed, detector, calibrations.GetCrosstalk(detector));
        if (config.Linearity.Enabled)
        {
            var k = calibrations.GetLinearity(detector);
            for (int a = 0; a < detector.Amplifiers.Count; a++) Linearity.Correct(untrimmed.View(detector.Amplifiers[a].RawBBox), k[a]);
        }
        if (config.Gain.Enabled)
            foreach (var amp in detector.Amplifiers)
                PixelSteps.ApplyGain(untrimmed.View(amp.RawBBox), untrimmedVariance.View(amp.RawBBox), amp.Gain);
        history.AddRange(Steps(config));

        var science = new MaskedImage(RawAssembly.Trim(untrimmed, detector), new Mask(RawAssembly.Trim(untrimmedMask.Image, detector)), RawAssembly.Trim(untrimmedVariance, detector));
        try
        {
            string band = primary.GetString("BAND", null) ?? throw new FitsFormatException(raw.Name, 0, -1, "BAND", "the raw has no BAND: the flat cannot be chosen");
            if (config.Bias.Enabled)
                using (var bias = calibrations.GetBias(detector)) CalibrationSteps.SubtractBias(science, bias.MaskedImage);
            if (config.Dark.Enabled)
                using (var dark = calibrations.GetDark(detector))
                {
                    double scienceTime = config.Dark.ScaleByDarkTime ? RequireTime(primary, raw.Name) : 1;
                    double darkTime = config.Dark.ScaleByDarkTime ? dark.Metadata.GetDouble("DARKTIME", 1) : 1;
                    CalibrationSteps.SubtractDark(science, dark.MaskedImage, scienceTime, darkTime);
                }
            if (config.Defects.Enabled)
                PixelSteps.MaskDefects(science.Mask, calibrations.GetDefects(detector), science.Mask.GetBitMask("BAD"));
            if (config.NanMasking.Enabled)
                PixelSteps.MaskNonFinite(science, 1 << science.Mask.AddPlane("UNMASKEDNAN"));
            if (config.Variance.Enabled)
                foreach (var amp in detector.Amplifiers)
                    PixelSteps.AddVariance(science.Image.View(amp.BBox), science.Variance.View(amp.BBox), science.Mask.Image.View(amp.BBox),
                                           amp.ReadNoise, science.Mask.GetBitMask("BAD"));
            if (config.Flat.Enabled)
                using (var flat = calibrations.GetFlat(detector, band)) CalibrationSteps.DivideFlat(science, flat.MaskedImage);
            if (config.Interpolation.Enabled)
                Interpolation.OverDefects(science, science.Mask.GetBitMask("SAT", "BAD") |
                                                   (science.Mask.Planes.ContainsKey("UNMASKEDNAN") ? science.Mask.GetBitMask("UNMASKEDNAN") : 0));

            var metadata = new FitsHeader(raw.Name, 0);
            foreach (var c in primary)
                if (c.Kind == FitsValueKind.Commentary || !RawOnly.IsMatch(c.Keyword)) metadata.Add(c);
            metadata.Set("LSST ISR UNITS", config.Gain.Enabled ? "electron" : "adu", "units of the post-ISR image");
            foreach (var h in history) metadata.AddCommentary("HISTORY", h);
            return new Exposure(science, metadata);
        }
        catch
        {
            science.Dispose();
            throw;
        }
    }

    /// <summary>The camera's detector named by the raw's DETNAME, at the scale its segments have.</summary>
    /// <exception cref="FitsFormatException">No DETNAME, an unknown detector, or segments of no known scale.</exception>
    public static Detector FindDetector(FitsFile raw, CameraModel camera)
    {
        string name = raw[0].Header.GetString("DETNAME");
        Detector full;
        try { full = camera[name]; }
        catch (KeyNotFoundException) { throw new FitsFormatException(raw.Name, 0, -1, "DETNAME", $"{camera.Name} has no detector '{name}'"); }
        var first = raw.FindHdu(full.Amplifiers[0].ExtName)
                    ?? throw new FitsFormatException(raw.Name, -1, -1, "EXTNAME", $"no {full.Amplifiers[0].ExtName} HDU");
        if (first.Width <= 0 || full.Layout.RawWidth % first.Width != 0)
            throw new FitsFormatException(raw.Name, first.Index, -1, "NAXIS1", $"segments are {first.Width} px wide; {name} segments are {full.Layout.RawWidth} px (or that divided by 2, 4 or 8)");
        int scale = (int)(full.Layout.RawWidth / first.Width);
        try { return camera.Scaled(scale)[name]; }
        catch (ArgumentException e) { throw new FitsFormatException(raw.Name, first.Index, -1, "NAXIS1", e.Message); }
    }

    /// <summary>The skips of a scaled layout shrink with it (at least one column each, if any were asked).</summary>
    private static OverscanConfig ScaleSkips(OverscanConfig c, AmplifierLayout layout)
    {
        int available = layout.SerialOverscan.Width;
        int lead = c.LeadingToSkip, trail = c.TrailingToSkip;
        while (lead + trail >= available && (lead > 0 || trail > 0))
        {
            if (lead >= trail && lead > 0) lead--; else trail--;
        }
        return c with { LeadingToSkip = lead, TrailingToSkip = trail };
    }

    private static double RequireTime(FitsHeader primary, string file)
    {
        double t = primary.GetDouble("DARKTIME", double.NaN);
        if (!(t >= 0)) throw new FitsFormatException(file, 0, -1, "DARKTIME", "the raw has no usable DARKTIME: the dark cannot be scaled");
        return t;
    }

    private static IEnumerable<string> Steps(IsrConfig c) =>
        new (bool On, string Name)[]
        {
            (c.Overscan.Enabled, $"overscan {c.Overscan.FitType}"), (c.Saturation.Enabled, "saturation"), (c.Crosstalk.Enabled, "crosstalk"), (c.Linearity.Enabled, "linearity"), (c.Gain.Enabled, "gain"),
            (c.Bias.Enabled, "bias"), (c.Dark.Enabled, "dark"), (c.Defects.Enabled, "defects"), (c.NanMasking.Enabled, "nan"),
            (c.Variance.Enabled, "variance"), (c.Flat.Enabled, "flat"), (c.Interpolation.Enabled, "interpolation"),
        }.Where(s => s.On).Select(s => "ImageCore ISR step: " + s.Name);
}
