namespace ImageCore.Warp;

/// <summary>
/// Solves the symmetric positive semi-definite normal equations of a least-squares fit in double precision: the matrix
/// is first equilibrated (scaled to a unit diagonal), then factored by Cholesky; a pivot below 1e-13 (a rank-deficient
/// or nearly so system) falls back to the eigen-decomposition (cyclic Jacobi) and the pseudo-inverse, dropping
/// eigenvalues below 1e-12 of the largest, which gives the minimum-norm solution as numpy's lstsq would.
/// </summary>
internal static class SymmetricSolver
{
    /// <summary>Solves A x = b (A n x n row-major, symmetric; neither is changed). Returns x and whether Cholesky held.</summary>
    public static (double[] X, bool Cholesky) Solve(double[] a, double[] b, int n)
    {
        var scale = new double[n];
        for (int i = 0; i < n; i++) scale[i] = a[i * n + i] > 0 ? 1 / Math.Sqrt(a[i * n + i]) : 1;
        var m = new double[n * n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = b[i] * scale[i];
            for (int j = 0; j < n; j++) m[i * n + j] = a[i * n + j] * scale[i] * scale[j];
        }
        var x = (double[])y.Clone();
        bool chol = DenseCholesky.Solve((double[])m.Clone(), x, n, 1e-13);   // unit diagonal: the pivot floor is absolute
        if (!chol) x = PseudoInverseSolve(m, y, n, 1e-12);
        for (int i = 0; i < n; i++) x[i] *= scale[i];
        return (x, chol);
    }

    private static double[] PseudoInverseSolve(double[] a, double[] b, int n, double rcond)
    {
        var (values, vectors) = Eigen(a, n);
        double max = 0;
        foreach (double v in values) max = Math.Max(max, Math.Abs(v));
        var x = new double[n];
        for (int k = 0; k < n; k++)
        {
            if (!(values[k] > rcond * max)) continue;
            double dot = 0;
            for (int i = 0; i < n; i++) dot += vectors[i * n + k] * b[i];
            dot /= values[k];
            for (int i = 0; i < n; i++) x[i] += dot * vectors[i * n + k];
        }
        return x;
    }

    /// <summary>Eigenvalues and eigenvectors (columns of the row-major n x n result) of a symmetric matrix by cyclic Jacobi
    /// rotations, sorted by decreasing eigenvalue.</summary>
    public static (double[] Values, double[] Vectors) Eigen(double[] matrix, int n)
    {
        var a = (double[])matrix.Clone();
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++)
            {
                diag += a[i * n + i] * a[i * n + i];
                for (int j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
            }
            if (off <= 1e-30 * diag || off == 0) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    if (apq == 0) continue;
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
        }
        var order = Enumerable.Range(0, n).OrderByDescending(i => a[i * n + i]).ToArray();
        var values = new double[n];
        var vectors = new double[n * n];
        for (int k = 0; k < n; k++)
        {
            values[k] = a[order[k] * n + order[k]];
            for (int i = 0; i < n; i++) vectors[i * n + k] = v[i * n + order[k]];
        }
        return (values, vectors);
    }
}
