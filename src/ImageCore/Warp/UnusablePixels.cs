using System.Runtime.Intrinsics;

namespace ImageCore.Warp;

/// <summary>
/// The last step of every warped segment: a pixel that has data (no NO_DATA) but whose image or variance is not finite,
/// or whose variance is negative, gets the BAD bit. Such values come from bad source pixels that their own mask did not
/// mark (a NaN or infinity in a file from elsewhere, a negative variance); a warp spreads each over its kernel's
/// footprint, so they are marked where they land rather than left looking like good data. Pixels of a good source are
/// never touched, so outputs of good sources are unchanged bit for bit.
/// </summary>
internal static unsafe class UnusablePixels
{
    /// <summary>Marks the segment's unusable pixels with <paramref name="bad"/> (vectorised, or the scalar reference).</summary>
    public static void Mark(in WarpOutput output, int noData, int bad, bool vectorized = true)
    {
        if (output.Variance == null) return;
        int i = 0;
        if (vectorized && Vector256.IsHardwareAccelerated)
        {
            var zero = Vector256<float>.Zero;
            var noDataBits = Vector256.Create(noData);
            var badBits = Vector256.Create(bad);
            for (; i + Vector256<float>.Count <= output.Count; i += Vector256<float>.Count)
            {
                var image = Vector256.Load(output.Image + i);
                var variance = Vector256.Load(output.Variance + i);
                var mask = Vector256.Load(output.Mask + i);
                // x - x is 0 for a finite x and NaN for NaN and +-inf; NaN compares false.
                var usable = Vector256.Equals(image - image, zero) & Vector256.Equals(variance - variance, zero) & Vector256.GreaterThanOrEqual(variance, zero);
                var unusable = ~usable.AsInt32() & Vector256.Equals(mask & noDataBits, Vector256<int>.Zero);
                if (unusable != Vector256<int>.Zero) Vector256.Store(mask | (unusable & badBits), output.Mask + i);
            }
        }
        for (; i < output.Count; i++)
            if ((output.Mask[i] & noData) == 0 && !(float.IsFinite(output.Image[i]) && float.IsFinite(output.Variance[i]) && output.Variance[i] >= 0))
                output.Mask[i] |= bad;
    }
}
