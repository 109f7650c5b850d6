using System.Numerics.Tensors;
using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Isr;

/// <summary>
/// The per-pixel ISR steps other than the calibration frames, one operation per pass: saturation and
/// suspect masking (step 5), gain (step 6), defects (step 16), NaN masking (step 17) and the variance
/// plane (step 19). These are the plain forms the fused pass is checked against.
/// </summary>
public static class PixelSteps
{
    /// <summary>Sets <paramref name="bit"/> in <paramref name="mask"/> where <paramref name="image"/> is at or
    /// above <paramref name="threshold"/> (ADU, overscan-subtracted); returns how many pixels were flagged.</summary>
    /// <exception cref="ArgumentException">The views differ in size.</exception>
    public static long MaskAtOrAbove(ReadOnlySpan2D<float> image, Span2D<int> mask, float threshold, int bit)
    {
        CheckSame(image.Width, image.Height, mask.Width, mask.Height);
        long n = 0;
        for (int y = 0; y < image.Height; y++)
        {
            var img = image.GetRowSpan(y);
            var m = mask.GetRowSpan(y);
            for (int x = 0; x < img.Length; x++)
                if (img[x] >= threshold) { m[x] |= bit; n++; }
        }
        return n;
    }

    /// <summary>In place: ADU to electrons, <c>image *= gain</c> and <c>variance *= gain^2</c> (the whole raw
    /// amplifier box, as ip_isr's applyGains).</summary>
    /// <exception cref="ArgumentException">A gain that is not finite and positive, or views of different sizes.</exception>
    public static void ApplyGain(Span2D<float> image, Span2D<float> variance, double gain)
    {
        if (!(gain > 0) || double.IsInfinity(gain)) throw new ArgumentException($"gain {gain} e-/ADU must be finite and > 0", nameof(gain));
        CheckSame(image.Width, image.Height, variance.Width, variance.Height);
        float g = (float)gain, g2 = (float)(gain * gain);
        for (int y = 0; y < image.Height; y++)
        {
            TensorPrimitives.Multiply(image.GetRowSpan(y), g, image.GetRowSpan(y));
            TensorPrimitives.Multiply(variance.GetRowSpan(y), g2, variance.GetRowSpan(y));
        }
    }

    /// <summary>Sets <paramref name="bit"/> over each defect box (parent coordinates), clipped to the mask.</summary>
    public static void MaskDefects(Mask mask, IEnumerable<Box2I> defects, int bit)
    {
        foreach (var d in defects)
        {
            var box = d.Intersect(mask.Image.BBox);
            if (box.IsEmpty) continue;
            var view = mask.Image.View(box);
            for (int y = 0; y < view.Height; y++)
                foreach (ref int m in view.GetRowSpan(y)) m |= bit;
        }
    }

    /// <summary>Sets <paramref name="bit"/> where the image or the variance is not finite (ip_isr's maskNans);
    /// returns how many pixels were flagged.</summary>
    public static long MaskNonFinite(MaskedImage mi, int bit)
    {
        long n = 0;
        for (int y = 0; y < mi.BBox.Height; y++)
        {
            var img = mi.Image.Pixels.GetRowSpan(y);
            var var = mi.Variance.Pixels.GetRowSpan(y);
            var m = mi.Mask.Image.Pixels.GetRowSpan(y);
            for (int x = 0; x < img.Length; x++)
                if (!float.IsFinite(img[x]) || !float.IsFinite(var[x])) { m[x] |= bit; n++; }
        }
        return n;
    }

    /// <summary>Adds the Poisson and read-noise variance of an amplifier in electrons:
    /// <c>variance += image + readNoise^2</c> (ip_isr's updateVariance with gain 1 after applyGains).
    /// Pixels whose variance ends up not positive get <paramref name="badBit"/>, as in ip_isr.</summary>
    /// <exception cref="ArgumentException">A negative or non-finite read noise, or views of different sizes.</exception>
    public static void AddVariance(ReadOnlySpan2D<float> image, Span2D<float> variance, Span2D<int> mask, double readNoise, int badBit)
    {
        if (!(readNoise >= 0) || double.IsInfinity(readNoise)) throw new ArgumentException($"read noise {readNoise} e- must be finite and >= 0", nameof(readNoise));
        CheckSame(image.Width, image.Height, variance.Width, variance.Height);
        CheckSame(image.Width, image.Height, mask.Width, mask.Height);
        float rn2 = (float)(readNoise * readNoise);
        for (int y = 0; y < image.Height; y++)
        {
            var img = image.GetRowSpan(y);
            var var = variance.GetRowSpan(y);
            var m = mask.GetRowSpan(y);
            for (int x = 0; x < img.Length; x++)
            {
                var[x] += img[x] + rn2;
                if (!(var[x] > 0)) m[x] |= badBit;
            }
        }
    }

    private static void CheckSame(int w1, int h1, int w2, int h2)
    {
        if (w1 != w2 || h1 != h2) throw new ArgumentException($"planes differ in size: {w1}x{h1} and {w2}x{h2}");
    }
}
