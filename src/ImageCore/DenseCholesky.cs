namespace ImageCore;

/// <summary>Cholesky solution of a small dense symmetric positive-definite system in double precision (the normal
/// equations of the PSF fit and of the PSF-matching kernel).</summary>
internal static class DenseCholesky
{
    /// <summary>Solves A x = b in place: <paramref name="a"/> (n x n, row-major, symmetric) is overwritten by its factor
    /// and <paramref name="b"/> by x. Returns false, leaving both partly overwritten, when a pivot falls to
    /// <paramref name="relativePivot"/> times its diagonal entry or below (a singular or nearly singular matrix).</summary>
    public static bool Solve(double[] a, double[] b, int n, double relativePivot)
    {
        for (int j = 0; j < n; j++)
        {
            double d = a[j * n + j];
            for (int q = 0; q < j; q++) d -= a[j * n + q] * a[j * n + q];
            if (!(d > relativePivot * a[j * n + j])) return false;
            double l = Math.Sqrt(d);
            a[j * n + j] = l;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int q = 0; q < j; q++) s -= a[i * n + q] * a[j * n + q];
                a[i * n + j] = s / l;
            }
        }
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int q = 0; q < i; q++) s -= a[i * n + q] * b[q];
            b[i] = s / a[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int q = i + 1; q < n; q++) s -= a[q * n + i] * b[q];
            b[i] = s / a[i * n + i];
        }
        return true;
    }
}
