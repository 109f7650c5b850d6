using ImageCore.Fits;
using ImageCore.Images;

namespace ImageCore.Tests.Support;

/// <summary>(ISR output - truth) / sqrt(variance) over the good pixels of a post-ISR exposure: not SAT or
/// BAD, and not hit by a cosmic ray (the simulator's truth marks those; they are not ISR's job).</summary>
/// <remarks><see cref="ExpectedMean"/> is the mean of -1 / (2 sqrt(V)) with V = variance x flat^2 the pixel's
/// detected-electron variance: the bias of z that comes from taking the variance from the measured image, as
/// ip_isr does (the noise n enters both numerator and denominator: E[n / sqrt(V + n)] = -1 / (2 sqrt(V))).</remarks>
internal sealed record Residuals(double Mean, double Std, long Good, long Masked, long NonFiniteInGood, long Outliers, double ExpectedMean)
{
    /// <summary>Reads the truth of the exposure's DETNAME from a simulated repository.</summary>
    public static Residuals Against(string repository, string visit, Exposure exposure)
    {
        string name = exposure.Metadata.GetString("DETNAME");
        using var truthFile = FitsFile.Open(Path.Combine(repository, "truth", visit, name + ".fits"));
        using var truth = truthFile.ReadImage<float>(truthFile[0]);
        using var cosmicsFile = FitsFile.Open(Path.Combine(repository, "truth", visit, name + ".cosmics.fits"));
        using var cosmics = cosmicsFile.ReadImage<byte>(cosmicsFile[0]);
        using var flatExposure = ExposureFits.Read(Path.Combine(repository, "calib", "flat", exposure.Metadata.GetString("BAND"), name + ".fits"));
        var flat = flatExposure.MaskedImage.Image;
        var mi = exposure.MaskedImage;
        int masked = mi.Mask.GetBitMask("SAT", "BAD");
        double sum = 0, sum2 = 0, expected = 0;
        long n = 0, maskedCount = 0, nonFinite = 0, outliers = 0;
        for (int y = 0; y < mi.BBox.Height; y++)
        {
            var image = mi.Image.Pixels.GetRowSpan(y);
            var variance = mi.Variance.Pixels.GetRowSpan(y);
            var mask = mi.Mask.Image.Pixels.GetRowSpan(y);
            var t = truth.AsSpan2D().GetRowSpan(y);
            var c = cosmics.AsSpan2D().GetRowSpan(y);
            var f = flat.Pixels.GetRowSpan(y);
            for (int x = 0; x < image.Length; x++)
            {
                if ((mask[x] & masked) != 0) { maskedCount++; continue; }
                if (c[x] != 0) continue;
                if (!float.IsFinite(image[x]) || !float.IsFinite(variance[x])) { nonFinite++; continue; }
                double z = (image[x] - t[x]) / Math.Sqrt(variance[x]);
                if (Math.Abs(z) > 10) outliers++;
                expected += -0.5 / Math.Sqrt(variance[x] * (double)f[x] * f[x]);
                sum += z;
                sum2 += z * z;
                n++;
            }
        }
        double mean = sum / n;
        return new Residuals(mean, Math.Sqrt(sum2 / n - mean * mean), n, maskedCount, nonFinite, outliers, expected / n);
    }
}
