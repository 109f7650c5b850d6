using CommunityToolkit.HighPerformance;

namespace ImageCore.Characterize;

/// <summary>
/// Sub-pixel re-centring of a star's stamp (PSFEx resamples its stars the same way): the image is interpolated with a
/// separable Lanczos kernel of order a, taps normalised to sum 1, at the positions (cx + dx + i, cy + dy + j) for
/// i, j = -half..half, so that a star centred at (cx + dx, cy + dy) comes out centred on the stamp's centre pixel.
/// </summary>
internal static class StampShift
{
    /// <summary>Lanczos kernel of order <paramref name="a"/>: sinc(x) sinc(x / a) for |x| &lt; a, else 0.</summary>
    public static double Lanczos(double x, int a)
    {
        if (x == 0) return 1;
        if (Math.Abs(x) >= a) return 0;
        double px = Math.PI * x;
        return a * Math.Sin(px) * Math.Sin(px / a) / (px * px);
    }

    /// <summary>The normalised taps for an offset <paramref name="d"/> (|d| &lt;= 0.5): taps[m + a] weights pixel m.</summary>
    public static void Taps(double d, int a, Span<double> taps)
    {
        double sum = 0;
        for (int m = -a; m <= a; m++) sum += taps[m + a] = Lanczos(d - m, a);
        for (int m = 0; m < taps.Length; m++) taps[m] /= sum;
    }

    /// <summary>Writes the (2 half + 1)^2 re-centred stamp into <paramref name="stamp"/>, row by row.</summary>
    /// <param name="image">The image (local coordinates); pixels cx - half - a .. cx + half + a (and likewise in y) must
    /// lie inside it.</param>
    /// <param name="cx">Integer column nearest the centroid.</param>
    /// <param name="cy">Integer row nearest the centroid.</param>
    /// <param name="dx">Centroid column minus <paramref name="cx"/>, in [-0.5, 0.5].</param>
    /// <param name="dy">Centroid row minus <paramref name="cy"/>.</param>
    /// <param name="half">Half the stamp size.</param>
    /// <param name="a">Lanczos order.</param>
    /// <param name="stamp">(2 half + 1)^2 values.</param>
    public static void Recentre(ReadOnlySpan2D<float> image, int cx, int cy, double dx, double dy, int half, int a, Span<double> stamp)
    {
        int size = 2 * half + 1, rows = size + 2 * a;
        Span<double> tx = stackalloc double[2 * a + 1];
        Span<double> ty = stackalloc double[2 * a + 1];
        Taps(dx, a, tx);
        Taps(dy, a, ty);
        var horizontal = new double[rows * size];   // rows cy - half - a .. cy + half + a, each interpolated along x
        for (int r = 0; r < rows; r++)
        {
            var row = image.GetRowSpan(cy - half - a + r);
            for (int i = 0; i < size; i++)
            {
                int x = cx - half + i;
                double sum = 0;
                for (int m = -a; m <= a; m++) sum += tx[m + a] * row[x + m];
                horizontal[r * size + i] = sum;
            }
        }
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++)
            {
                double sum = 0;
                for (int m = -a; m <= a; m++) sum += ty[m + a] * horizontal[(j + a + m) * size + i];
                stamp[j * size + i] = sum;
            }
    }
}
