using System.Diagnostics.CodeAnalysis;
using CommunityToolkit.HighPerformance;
using ImageCore.Images;
using ImageCore.Simd;
using ImageCore.Simd.Ops;

namespace ImageCore.Isr;

/// <summary>
/// Bias, dark and flat corrections of a <see cref="MaskedImage"/>, one operation per pass, as ip_isr
/// applies them (afw MaskedImage arithmetic: variance propagated, the calibration's mask ORed in).
/// These are the plain, step-by-step forms; the fused ISR pass is checked against them.
/// </summary>
public static class CalibrationSteps
{
    /// <summary>In place: <c>image -= bias</c>, <c>variance += var(bias)</c>, <c>mask |= mask(bias)</c> (step 14).</summary>
    /// <exception cref="ArgumentException">The boxes differ (both are named).</exception>
    public static void SubtractBias(MaskedImage science, MaskedImage bias) => SubtractScaled(science, bias, 1f, "bias");

    /// <summary>In place: <c>image -= s * dark</c> with s = <paramref name="scienceDarkTime"/> /
    /// <paramref name="calibDarkTime"/>, <c>variance += s^2 var(dark)</c>, mask ORed (step 15).</summary>
    /// <exception cref="ArgumentException">The boxes differ, or a dark time is not positive.</exception>
    public static void SubtractDark(MaskedImage science, MaskedImage dark, double scienceDarkTime, double calibDarkTime)
    {
        if (!(scienceDarkTime >= 0) || !(calibDarkTime > 0))
            throw new ArgumentException($"dark times must be >= 0 (science, {scienceDarkTime} s) and > 0 (dark, {calibDarkTime} s)");
        SubtractScaled(science, dark, (float)(scienceDarkTime / calibDarkTime), "dark");
    }

    /// <summary>In place: <c>image /= flat</c>, <c>variance = (I^2 var(f) + f^2 var(I)) / f^4</c>, mask ORed (step 20).</summary>
    /// <exception cref="ArgumentException">The boxes differ.</exception>
    public static void DivideFlat(MaskedImage science, MaskedImage flat)
    {
        CheckBoxes(science, flat, "flat");
        for (int y = 0; y < science.BBox.Height; y++)
        {
            var img = science.Image.Pixels.GetRowSpan(y);
            var var = science.Variance.Pixels.GetRowSpan(y);
            var f = flat.Image.Pixels.GetRowSpan(y);
            var vf = flat.Variance.Pixels.GetRowSpan(y);
            for (int x = 0; x < img.Length; x++) var[x] = FlatVariance(img[x], var[x], f[x], vf[x]);
            PixelDriver.Run<ScaledDivide>(img, f, 1f, img);
            OrMask(science, flat, y);
        }
    }

    /// <summary>The variance of I / f: (I^2 v_f + f^2 v_I) / f^4 (afw's MaskedImage division).</summary>
    internal static float FlatVariance(float image, float variance, float flat, float flatVariance)
    {
        float f2 = flat * flat;
        return (image * image * flatVariance + f2 * variance) / (f2 * f2);
    }

    private static void SubtractScaled(MaskedImage science, MaskedImage calib, float scale, string what)
    {
        CheckBoxes(science, calib, what);
        for (int y = 0; y < science.BBox.Height; y++)
        {
            var img = science.Image.Pixels.GetRowSpan(y);
            PixelDriver.Run<ScaledSubtract>(img, calib.Image.Pixels.GetRowSpan(y), scale, img);
            var var = science.Variance.Pixels.GetRowSpan(y);
            PixelDriver.Run<ScaledAdd>(var, calib.Variance.Pixels.GetRowSpan(y), scale * scale, var);
            OrMask(science, calib, y);
        }
    }

    private static void OrMask(MaskedImage science, MaskedImage calib, int y)
    {
        var m = science.Mask.Image.Pixels.GetRowSpan(y);
        var c = calib.Mask.Image.Pixels.GetRowSpan(y);
        for (int x = 0; x < m.Length; x++) m[x] |= c[x];
    }

    private static void CheckBoxes(MaskedImage science, MaskedImage calib, string what)
    {
        if (science.BBox != calib.BBox) ThrowBoxes(science.BBox, calib.BBox, what);
    }

    [DoesNotReturn]
    private static void ThrowBoxes(Box2I science, Box2I calib, string what) =>
        throw new ArgumentException($"science is {science.Width}x{science.Height} px at ({science.MinX},{science.MinY}) but {what} is {calib.Width}x{calib.Height} px at ({calib.MinX},{calib.MinY})");
}
