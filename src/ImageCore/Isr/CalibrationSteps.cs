using System.Diagnostics.CodeAnalysis;
using ImageCore.Geometry;
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
    /// <summary>In place: <c>image -= bias</c>, <c>variance += var(bias)</c>, <c>mask |= mask(bias)</c> (step 14). A bias
    /// pixel with a non-finite value or a negative or non-finite variance is not applied and the pixel gets BAD
    /// (<see cref="CalibrationCheckConfig"/>); returns how many there were.</summary>
    /// <exception cref="ArgumentException">The boxes differ (both are named).</exception>
    public static long SubtractBias(MaskedImage science, MaskedImage bias) => SubtractScaled(science, bias, 1f, "bias");

    /// <summary>In place: <c>image -= s * dark</c> with s = <paramref name="scienceDarkTime"/> /
    /// <paramref name="calibDarkTime"/>, <c>variance += s^2 var(dark)</c>, mask ORed (step 15). Unusable dark pixels as
    /// for <see cref="SubtractBias"/>; returns how many there were.</summary>
    /// <exception cref="ArgumentException">The boxes differ, or a dark time is not finite and positive.</exception>
    public static long SubtractDark(MaskedImage science, MaskedImage dark, double scienceDarkTime, double calibDarkTime)
    {
        if (!(scienceDarkTime >= 0) || !(calibDarkTime > 0) || double.IsInfinity(scienceDarkTime) || double.IsInfinity(calibDarkTime))
            throw new ArgumentException($"dark times must be finite, >= 0 (science, {scienceDarkTime} s) and > 0 (dark, {calibDarkTime} s)");
        return SubtractScaled(science, dark, (float)(scienceDarkTime / calibDarkTime), "dark");
    }

    /// <summary>In place: <c>image /= flat</c>, <c>variance = (I^2 var(f) + f^2 var(I)) / f^4</c>, mask ORed (step 20).
    /// A flat pixel that is not finite or below <paramref name="minFlat"/>, or whose variance is negative or not finite,
    /// is not applied (divided by 1, variance 0) and the pixel gets BAD; returns how many there were.</summary>
    /// <exception cref="ArgumentException">The boxes differ.</exception>
    public static long DivideFlat(MaskedImage science, MaskedImage flat, float minFlat = 1e-4f)
    {
        CheckBoxes(science, flat, "flat");
        int bad = science.Mask.GetBitMask("BAD");
        long unusable = 0;
        for (int y = 0; y < science.BBox.Height; y++)
        {
            var img = science.Image.Pixels.GetRowSpan(y);
            var var = science.Variance.Pixels.GetRowSpan(y);
            var f = flat.Image.Pixels.GetRowSpan(y);
            var vf = flat.Variance.Pixels.GetRowSpan(y);
            OrMask(science, flat, y);
            if (AllUsable(f, vf, minFlat, flat: true))
            {
                for (int x = 0; x < img.Length; x++) var[x] = FlatVariance(img[x], var[x], f[x], vf[x]);
                PixelDriver.Run<ScaledDivide>(img, f, 1f, img);
                continue;
            }
            var m = science.Mask.Image.Pixels.GetRowSpan(y);
            for (int x = 0; x < img.Length; x++)
            {
                float fx = f[x], vx = vf[x];
                if (!IsrPixelPass.UsableFlat(fx, vx, minFlat))
                {
                    (fx, vx) = (1f, 0f);
                    m[x] |= bad;
                    unusable++;
                }
                var[x] = FlatVariance(img[x], var[x], fx, vx);
                img[x] = ScaledDivide.Invoke(img[x], fx, 1f);
            }
        }
        return unusable;
    }

    /// <summary>The variance of I / f: (I^2 v_f + f^2 v_I) / f^4 (afw's MaskedImage division).</summary>
    internal static float FlatVariance(float image, float variance, float flat, float flatVariance)
    {
        float f2 = flat * flat;
        return (image * image * flatVariance + f2 * variance) / (f2 * f2);
    }

    private static long SubtractScaled(MaskedImage science, MaskedImage calib, float scale, string what)
    {
        CheckBoxes(science, calib, what);
        int bad = science.Mask.GetBitMask("BAD");
        long unusable = 0;
        for (int y = 0; y < science.BBox.Height; y++)
        {
            var img = science.Image.Pixels.GetRowSpan(y);
            var var = science.Variance.Pixels.GetRowSpan(y);
            var c = calib.Image.Pixels.GetRowSpan(y);
            var cv = calib.Variance.Pixels.GetRowSpan(y);
            OrMask(science, calib, y);
            if (AllUsable(c, cv, 0, flat: false))
            {
                PixelDriver.Run<ScaledSubtract>(img, c, scale, img);
                PixelDriver.Run<ScaledAdd>(var, cv, scale * scale, var);
                continue;
            }
            var m = science.Mask.Image.Pixels.GetRowSpan(y);
            for (int x = 0; x < img.Length; x++)
            {
                float cx = c[x], vx = cv[x];
                if (!IsrPixelPass.UsableOffset(cx, vx))
                {
                    (cx, vx) = (0f, 0f);
                    m[x] |= bad;
                    unusable++;
                }
                img[x] = ScaledSubtract.Invoke(img[x], cx, scale);
                var[x] = ScaledAdd.Invoke(var[x], vx, scale * scale);
            }
        }
        return unusable;
    }

    /// <summary>Whether every pixel of a calibration row can be applied (see <see cref="IsrPixelPass.UsableOffset"/> and
    /// <see cref="IsrPixelPass.UsableFlat"/>).</summary>
    private static bool AllUsable(ReadOnlySpan<float> value, ReadOnlySpan<float> variance, float minFlat, bool flat)
    {
        for (int x = 0; x < value.Length; x++)
            if (flat ? !IsrPixelPass.UsableFlat(value[x], variance[x], minFlat) : !IsrPixelPass.UsableOffset(value[x], variance[x])) return false;
        return true;
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
