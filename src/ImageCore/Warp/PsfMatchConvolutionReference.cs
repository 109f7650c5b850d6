using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Warp;

/// <summary>
/// The plain reference of <see cref="PsfMatchConvolution"/> (afw's refConvolve in spirit): for every output pixel the
/// kernel image K(x, y) is built from the basis in double precision (c_0 as applied, normalised to sum 1), and the image is
/// sum K in, the variance sum K^2 var, the mask the OR of every tap's source bits (all taps: a tap is never exactly 0),
/// in double precision over all 41 x 41 taps. Same border and non-finite rules as the fast route. Slow: for tests and
/// the benchmark's baseline.
/// </summary>
internal static class PsfMatchConvolutionReference
{
    /// <summary>Convolves <paramref name="subBox"/> of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    public static void Run(PsfMatchingKernel kernel, MaskedImage source, Box2I subBox, MaskedImage destination)
    {
        PsfMatchConvolution.CheckArguments(source, subBox, destination, 1);
        int n = kernel.KernelSize, h = n / 2;
        int noData = destination.Mask.GetBitMask("NO_DATA");
        var inner = subBox.Grow(-h);
        var a = new PsfMatchConvolution.Plan(kernel, subBox).A;
        var k = new double[n * n];
        Span<double> t = stackalloc double[6];
        for (int y = subBox.MinY; y <= subBox.MaxY; y++)
            for (int x = subBox.MinX; x <= subBox.MaxX; x++)
            {
                if (inner.IsEmpty || !inner.Contains(new Point2I(x, y)))
                {
                    destination.Image[x, y] = float.NaN;
                    destination.Mask.Image[x, y] = noData;
                    destination.Variance[x, y] = float.PositiveInfinity;
                    continue;
                }
                kernel.Terms(x, y, t);
                Array.Clear(k);
                for (int q = 0; q < kernel.SpatialTermCount; q++)
                    for (int i = 0; i < k.Length; i++) k[i] += t[q] * a[q][i];
                double sum = 0;
                foreach (double v in k) sum += v;
                double img = 0, vr = 0;
                int mask = 0;
                for (int j = 0; j < n; j++)
                    for (int i = 0; i < n; i++)
                    {
                        double w = k[j * n + i] / sum;
                        int sx = x + i - h, sy = y + j - h;
                        img += w * source.Image[sx, sy];
                        vr += w * w * source.Variance[sx, sy];
                        if (w != 0) mask |= source.Mask.Image[sx, sy];
                    }
                float fi = (float)img, fv = (float)vr;
                if (!float.IsFinite(fi) || !float.IsFinite(fv)) mask |= noData;
                destination.Image[x, y] = fi;
                destination.Variance[x, y] = fv;
                destination.Mask.Image[x, y] = mask;
            }
    }
}
