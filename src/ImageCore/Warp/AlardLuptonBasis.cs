namespace ImageCore.Warp;

/// <summary>
/// The Alard-Lupton basis of PSF-matching kernels (ip_diffim's makeAlardLuptonBasisList and renormalizeKernelList),
/// kept in separable form. For each Gaussian g (sigma s_g, degree n_g) and each term u^p v^q with p + q &lt;= n_g, in
/// afw's PolynomialFunction2 order (by total degree, then by the power of v: 1, u, v, u^2, u v, v^2, ...), the raw
/// kernel is R(i, j) = G_g(i) u_i^p G_g(j) v_j^q, where G_g is the Gaussian sampled at the pixel centres and normalised to
/// sum 1 over the kernel, i, j = -h..h (h = size / 2) and u_i = i / h, v_j = j / h span [-1, 1]. The basis is then
/// renormalised: B_0 = R_0 / sum R_0; every later kernel is divided by its sum (when that exceeds float epsilon in
/// magnitude), has B_0 subtracted (so its sum is 0), and is scaled to unit L2 norm. Every B_b is therefore
/// <c>Weight[b] R_b + Weight0[b] R_0</c>, a sum of two separable kernels.
/// </summary>
internal sealed class AlardLuptonBasis
{
    /// <summary>Single-precision machine epsilon (2^-23): ip_diffim leaves a kernel whose sum is below it unnormalised.</summary>
    private const double FloatEpsilon = 1.1920928955078125e-7;

    /// <summary>Builds the basis.</summary>
    public AlardLuptonBasis(int size, IReadOnlyList<double> sigmas, IReadOnlyList<int> degrees)
    {
        Size = size;
        Half = size / 2;
        int h = Half;
        var gaussians = new double[sigmas.Count][];
        for (int g = 0; g < sigmas.Count; g++)
        {
            var gv = new double[size];
            double sum = 0;
            for (int i = -h; i <= h; i++) sum += gv[i + h] = Math.Exp(-0.5 * i * i / (sigmas[g] * sigmas[g]));
            for (int i = 0; i < size; i++) gv[i] /= sum;
            gaussians[g] = gv;
        }
        var terms = new List<(int G, int P, int Q)>();
        for (int g = 0; g < sigmas.Count; g++)
            for (int d = 0; d <= degrees[g]; d++)
                for (int q = 0; q <= d; q++) terms.Add((g, d - q, q));
        Count = terms.Count;
        Gaussian = new int[Count];
        PowerU = new int[Count];
        PowerV = new int[Count];
        Weight = new double[Count];
        Weight0 = new double[Count];
        Horizontal = new double[Count][];
        Vertical = new double[Count][];
        for (int b = 0; b < Count; b++)
        {
            var (g, p, q) = terms[b];
            (Gaussian[b], PowerU[b], PowerV[b]) = (g, p, q);
            Horizontal[b] = Factor(gaussians[g], p, h);
            Vertical[b] = Factor(gaussians[g], q, h);
        }
        // B_0 = R_0 / sum(R_0).
        double s0 = Horizontal[0].Sum() * Vertical[0].Sum();
        Weight[0] = 1 / s0;
        Images = new double[Count][];
        Images[0] = RawImage(0, Weight[0], 0);
        for (int b = 1; b < Count; b++)
        {
            double s = Horizontal[b].Sum() * Vertical[b].Sum();
            double w = 1, w0 = 0;
            if (Math.Abs(s) > FloatEpsilon) { w = 1 / s; w0 = -Weight[0]; }
            var img = RawImage(b, w, w0);
            double norm = 0;
            foreach (double v in img) norm += v * v;
            double scale = 1 / Math.Sqrt(norm);
            Weight[b] = w * scale;
            Weight0[b] = w0 * scale;
            for (int k = 0; k < img.Length; k++) img[k] *= scale;
            Images[b] = img;
        }
    }

    /// <summary>Kernel width and height, pixels.</summary>
    public int Size { get; }

    /// <summary>Size / 2.</summary>
    public int Half { get; }

    /// <summary>Number of basis kernels.</summary>
    public int Count { get; }

    /// <summary>The Gaussian of each basis kernel.</summary>
    public int[] Gaussian { get; }

    /// <summary>The power of u (columns) of each basis kernel.</summary>
    public int[] PowerU { get; }

    /// <summary>The power of v (rows) of each basis kernel.</summary>
    public int[] PowerV { get; }

    /// <summary>Horizontal factor G_g(i) u_i^p of raw kernel b, i = -h..h.</summary>
    public double[][] Horizontal { get; }

    /// <summary>Vertical factor G_g(j) v_j^q of raw kernel b.</summary>
    public double[][] Vertical { get; }

    /// <summary>Weight of raw kernel b in B_b.</summary>
    public double[] Weight { get; }

    /// <summary>Weight of raw kernel 0 in B_b (0 for b = 0).</summary>
    public double[] Weight0 { get; }

    /// <summary>The basis kernels as images, row-major Size x Size (index [j * Size + i], row j).</summary>
    public double[][] Images { get; }

    private static double[] Factor(double[] gaussian, int power, int h)
    {
        var f = new double[gaussian.Length];
        for (int i = -h; i <= h; i++) f[i + h] = gaussian[i + h] * Math.Pow((double)i / h, power);
        return f;
    }

    private double[] RawImage(int b, double w, double w0)
    {
        var img = new double[Size * Size];
        for (int j = 0; j < Size; j++)
            for (int i = 0; i < Size; i++)
                img[j * Size + i] = w * Vertical[b][j] * Horizontal[b][i] + w0 * Vertical[0][j] * Horizontal[0][i];
        return img;
    }
}
