using System.Buffers;
using ImageCore.Camera;
using ImageCore.Images;
using ImageCore.Simd;
using ImageCore.Simd.Ops;

namespace ImageCore.Isr;

/// <summary>
/// Intra-detector crosstalk removal (ISR step 7, linear terms): every target amplifier loses
/// c[source, target] times the source amplifier's pixel that was read out at the same moment, i.e. at
/// the same position in the segments' file orientation. Runs on the assembled untrimmed image over
/// whole segments; each readout row of every segment is gathered before any target changes, so the order
/// of correction does not matter.
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
        var layout = detector.Layout;
        int w = layout.RawWidth;
        // For each readout moment (row fy in file orientation) every segment's row is gathered in readout
        // order, so sources are the uncorrected values whatever the order of targets, and the work stays in L1/L2.
        float[] rows = ArrayPool<float>.Shared.Rent(n * w), target = ArrayPool<float>.Shared.Rent(w);
        try
        {
            var acc = target.AsSpan(0, w);
            for (int fy = 0; fy < layout.RawHeight; fy++)
            {
                for (int a = 0; a < n; a++)
                {
                    var amp = detector.Amplifiers[a];
                    var assembled = untrimmed.Pixels.GetRowSpan(Row(amp, fy, layout) - untrimmed.Xy0.Y).Slice(amp.RawXYOffset.X - untrimmed.Xy0.X, w);
                    var readout = rows.AsSpan(a * w, w);
                    assembled.CopyTo(readout);
                    if (amp.FlipX) readout.Reverse();
                }
                for (int t = 0; t < n; t++)
                {
                    bool any = false;
                    rows.AsSpan(t * w, w).CopyTo(acc);
                    for (int s = 0; s < n; s++)
                    {
                        double c = coefficients[s, t];
                        if (s == t || c == 0 || !double.IsFinite(c)) continue;
                        PixelDriver.Run<ScaledSubtract>(acc, rows.AsSpan(s * w, w), (float)c, acc);
                        any = true;
                    }
                    if (!any) continue;
                    var amp = detector.Amplifiers[t];
                    if (amp.FlipX) acc.Reverse();
                    acc.CopyTo(untrimmed.Pixels.GetRowSpan(Row(amp, fy, layout) - untrimmed.Xy0.Y).Slice(amp.RawXYOffset.X - untrimmed.Xy0.X, w));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
            ArrayPool<float>.Shared.Return(target);
        }
    }

    private static int Row(Amplifier a, int fy, AmplifierLayout l) => a.RawXYOffset.Y + (a.FlipY ? l.RawHeight - 1 - fy : fy);

}
