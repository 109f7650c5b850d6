namespace ImageCore.Psf;

/// <summary>
/// The Lanczos-3 interpolation kernel, L(t) = 3 sin(pi t) sin(pi t / 3) / (pi t)^2 for |t| &lt; 3 (1 at t = 0, 0 beyond),
/// as afw's lanczos3 warping kernel, for resampling PSF kernel images (<see cref="WarpedPsf"/>). A pure function here
/// because the PSF layer sits below the warp's own kernels.
/// </summary>
internal static class Lanczos3
{
    /// <summary>Taps per axis.</summary>
    public const int Size = 6;

    // cos(pi j / 3) and sin(pi j / 3) for j = 2 - k, k = 0..5 (j = 2, 1, 0, -1, -2, -3).
    private static readonly double[] CosJ = [-0.5, 0.5, 1, 0.5, -0.5, -1];
    private static readonly double[] SinJ = [0.8660254037844386, 0.8660254037844386, 0, -0.8660254037844386, -0.8660254037844386, 0];

    /// <summary>L(t), the reference: the formula evaluated directly.</summary>
    public static double Value(double t)
    {
        if (Math.Abs(t) >= 3) return 0;
        double pt = Math.PI * t;
        if (Math.Abs(pt) < 1e-5) return 1;
        return 3 * Math.Sin(pt) * Math.Sin(pt / 3) / (pt * pt);
    }

    /// <summary>The six taps of a sample at <c>i + f</c> (integer i, 0 &lt;= <paramref name="f"/> &lt; 1) on the samples
    /// i - 2 .. i + 3: <c>taps[k] = L(f + 2 - k)</c>, from three trigonometric evaluations (sin(pi (f + j)) = (-1)^j
    /// sin(pi f) and the angle-sum formula for the third) instead of twelve. Not normalised.</summary>
    public static void Taps(double f, Span<double> taps)
    {
        double sinPf = Math.Sin(Math.PI * f);
        var (s3, c3) = Math.SinCos(Math.PI * f / 3);
        for (int k = 0; k < Size; k++)
        {
            double t = f + 2 - k;
            double pt = Math.PI * t;
            if (Math.Abs(pt) < 1e-5) { taps[k] = 1; continue; }
            if (t <= -3 || t >= 3) { taps[k] = 0; continue; }
            double sinPt = (k & 1) == 0 ? sinPf : -sinPf;
            double sinPt3 = s3 * CosJ[k] + c3 * SinJ[k];
            taps[k] = 3 * sinPt * sinPt3 / (pt * pt);
        }
    }
}
