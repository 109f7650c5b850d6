using System.Numerics;
using System.Runtime.Intrinsics;

namespace ImageCore.Images;

/// <summary>
/// The last word on an output's pixels: a pixel with none of the given mask bits whose image or variance is not
/// finite, or whose variance is negative, gets the BAD bit. ISR's output (bits BAD, SAT, NO_DATA, UNMASKEDNAN) and
/// every warped segment (bit NO_DATA) end with it, so that no unusable value is left looking like good data; pixels of
/// good inputs are never touched, so their outputs are unchanged bit for bit.
/// </summary>
internal static class UnusablePixels
{
    /// <summary>Marks the unusable pixels of a row with <paramref name="bad"/> (vectorised, or the scalar reference) and
    /// returns how many it marked.</summary>
    /// <param name="image">The row's image values.</param>
    /// <param name="variance">Its variances (as long as the image).</param>
    /// <param name="mask">Its mask words (as long as the image).</param>
    /// <param name="masked">Bits that already mark a pixel as not to be used: such pixels are left alone.</param>
    /// <param name="bad">The bit to set.</param>
    /// <param name="vectorized">False runs the scalar reference.</param>
    public static long Mark(ReadOnlySpan<float> image, ReadOnlySpan<float> variance, Span<int> mask, int masked, int bad, bool vectorized = true)
    {
        int count = image.Length;
        if (variance.Length != count || mask.Length != count) throw new ArgumentException("image, variance and mask rows differ in length");
        long marked = 0;
        int i = 0;
        if (vectorized && Vector256.IsHardwareAccelerated)
        {
            var zero = Vector256<float>.Zero;
            var maskedBits = Vector256.Create(masked);
            var badBits = Vector256.Create(bad);
            for (; i + Vector256<float>.Count <= count; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(image[i..]);
                var s = Vector256.Create(variance[i..]);
                var m = Vector256.Create((ReadOnlySpan<int>)mask[i..]);
                // x - x is 0 for a finite x and NaN for NaN and +-inf; NaN compares false.
                var usable = Vector256.Equals(v - v, zero) & Vector256.Equals(s - s, zero) & Vector256.GreaterThanOrEqual(s, zero);
                var unusable = ~usable.AsInt32() & Vector256.Equals(m & maskedBits, Vector256<int>.Zero);
                if (unusable == Vector256<int>.Zero) continue;
                (m | (unusable & badBits)).CopyTo(mask[i..]);
                marked += BitOperations.PopCount(unusable.ExtractMostSignificantBits());
            }
        }
        for (; i < count; i++)
            if ((mask[i] & masked) == 0 && !(float.IsFinite(image[i]) && float.IsFinite(variance[i]) && variance[i] >= 0))
            {
                mask[i] |= bad;
                marked++;
            }
        return marked;
    }
}
