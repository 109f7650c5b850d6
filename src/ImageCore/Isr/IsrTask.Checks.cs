using ImageCore.Camera;
using ImageCore.Images;

namespace ImageCore.Isr;

// Checks of calibration values and the last guarantee of the output.
public static partial class IsrTask
{
    /// <summary>Fails ISR when more than the allowed fraction of a frame's pixels could not be applied.</summary>
    private static void CheckUnusable(string kind, string path, long unusable, long pixels, CalibrationCheckConfig checks)
    {
        if (pixels > 0 && unusable > checks.MaxUnusableFraction * pixels)
            throw new CalibrationException(kind, path,
                FormattableString.Invariant($"{unusable} of {pixels} pixels ({100.0 * unusable / pixels:F1}%) are unusable (a value or variance that is not finite, a negative variance")
                + (kind == "flat" ? FormattableString.Invariant($", or a flat below {checks.MinFlat:R}") : "")
                + FormattableString.Invariant($"); at most {100 * checks.MaxUnusableFraction:F1}% may be (IsrConfig.CalibrationChecks.MaxUnusableFraction)"));
    }

    /// <summary>Gain, read noise and saturation of every amplifier, from the amps calibration or the camera model.</summary>
    private static void CheckAmplifiers(IReadOnlyList<AmplifierCalibration> amps, Detector detector, string kind)
    {
        if (amps.Count != detector.Amplifiers.Count)
            throw new CalibrationException(kind, detector.Name, $"has {amps.Count} amplifiers, {detector.Name} has {detector.Amplifiers.Count}");
        foreach (var a in amps)
        {
            // The pixel passes work in single precision: each value must stay finite (and the gain non-zero) as a float.
            if (!((float)a.Gain > 0) || !float.IsFinite((float)a.Gain))
                throw new CalibrationException(kind, detector.Name, $"{a.Amplifier}: gain {a.Gain} e-/ADU must be finite and > 0 in single precision");
            if (!(a.ReadNoise >= 0) || !float.IsFinite((float)(a.ReadNoise * a.ReadNoise)))
                throw new CalibrationException(kind, detector.Name, $"{a.Amplifier}: read noise {a.ReadNoise} e- must be finite and >= 0 (its square finite in single precision)");
            if (!((float)a.Saturation > 0) || !float.IsFinite((float)a.Saturation))
                throw new CalibrationException(kind, detector.Name, $"{a.Amplifier}: saturation {a.Saturation} ADU must be finite and > 0 in single precision");
        }
    }

    /// <summary>Every crosstalk coefficient finite, and the matrix the amplifiers' size.</summary>
    private static void CheckCrosstalk(double[,] c, Detector detector)
    {
        int n = detector.Amplifiers.Count;
        if (c.GetLength(0) != n || c.GetLength(1) != n)
            throw new CalibrationException("crosstalk", detector.Name, $"is {c.GetLength(0)}x{c.GetLength(1)}, {detector.Name} has {n} amplifiers");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (!double.IsFinite(c[i, j]))
                    throw new CalibrationException("crosstalk", detector.Name, $"coefficient [{detector.Amplifiers[i].Name} -> {detector.Amplifiers[j].Name}] is {c[i, j]}, must be finite");
    }

    /// <summary>Every linearity coefficient finite and &gt;= 0 (and one per amplifier).</summary>
    private static void CheckLinearity(IReadOnlyList<double> k, Detector detector)
    {
        if (k.Count != detector.Amplifiers.Count)
            throw new CalibrationException("linearity", detector.Name, $"has {k.Count} coefficients, {detector.Name} has {detector.Amplifiers.Count} amplifiers");
        for (int a = 0; a < k.Count; a++)
            if (!(k[a] >= 0) || !double.IsFinite(k[a]) || float.IsInfinity((float)k[a]))
                throw new CalibrationException("linearity", detector.Name, $"{detector.Amplifiers[a].Name}: k {k[a]} 1/ADU must be finite and >= 0");
    }

    /// <summary>The last guarantee of ISR's output: a pixel that is neither BAD, SAT, NO_DATA nor UNMASKEDNAN and still
    /// has a non-finite image or variance, or a negative variance, gets BAD (so interpolation replaces it): the check every
    /// warped segment ends with too (<see cref="UnusablePixels"/>). Returns how many pixels were flagged (0 for good inputs).</summary>
    internal static long MaskNonFiniteOrNegativeVariance(MaskedImage science)
    {
        var mask = science.Mask;
        int bad = mask.GetBitMask("BAD");
        int masked = bad | mask.GetBitMask("SAT") | mask.GetBitMask("NO_DATA") | (mask.Planes.ContainsKey("UNMASKEDNAN") ? mask.GetBitMask("UNMASKEDNAN") : 0);
        long flagged = 0;
        for (int y = 0; y < science.BBox.Height; y++)
            flagged += UnusablePixels.Mark(science.Image.Pixels.GetRowSpan(y), science.Variance.Pixels.GetRowSpan(y), mask.Image.Pixels.GetRowSpan(y), masked, bad);
        return flagged;
    }
}
