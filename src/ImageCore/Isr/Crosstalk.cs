using ImageCore.Camera;
using ImageCore.Images;

namespace ImageCore.Isr;

/// <summary>
/// Intra-detector crosstalk removal (ISR step 7, linear terms): every target amplifier loses
/// c[source, target] times the source amplifier's pixel that was read out at the same moment, i.e. at
/// the same position in the segments' file orientation. Runs on the assembled untrimmed image over
/// whole segments, with the sources taken from a copy so the order of correction does not matter.
/// ImageCore applies it in ADU after the overscan and before the gain, so the coefficients are ADU
/// per ADU (ip_isr works in electrons and converts with the gains on a unit mismatch).
/// </summary>
public static class Crosstalk
{
    /// <summary>In place on <paramref name="untrimmed"/> (the detector's RawBBox).</summary>
    /// <exception cref="ArgumentException">Coefficients not n x n for n amplifiers, or an image of another size.</exception>
    public static void Subtract(Image<float> untrimmed, Detector detector, double[,] coefficients)
    {
        int n = detector.Amplifiers.Count;
        if (coefficients.GetLength(0) != n || coefficients.GetLength(1) != n)
            throw new ArgumentException($"{detector.Name}: crosstalk is {coefficients.GetLength(0)}x{coefficients.GetLength(1)}, needs {n}x{n}");
        if (untrimmed.BBox != detector.RawBBox)
            throw new ArgumentException($"{detector.Name}: untrimmed image is {untrimmed.BBox}, expected {detector.RawBBox}");
        using var source = untrimmed.Clone();
        var layout = detector.Layout;
        for (int t = 0; t < n; t++)
        {
            var target = detector.Amplifiers[t];
            for (int s = 0; s < n; s++)
            {
                double c = coefficients[s, t];
                if (s == t || c == 0 || !double.IsFinite(c)) continue;
                var from = detector.Amplifiers[s];
                for (int fy = 0; fy < layout.RawHeight; fy++)
                {
                    var toRow = untrimmed.Pixels.GetRowSpan(Row(target, fy, layout) - untrimmed.Xy0.Y);
                    var fromRow = source.Pixels.GetRowSpan(Row(from, fy, layout) - untrimmed.Xy0.Y);
                    for (int fx = 0; fx < layout.RawWidth; fx++)
                        toRow[Column(target, fx, layout)] -= (float)(c * fromRow[Column(from, fx, layout)]);
                }
            }
        }
    }

    private static int Row(Amplifier a, int fy, AmplifierLayout l) => a.RawXYOffset.Y + (a.FlipY ? l.RawHeight - 1 - fy : fy);

    private static int Column(Amplifier a, int fx, AmplifierLayout l) => a.RawXYOffset.X + (a.FlipX ? l.RawWidth - 1 - fx : fx);
}
