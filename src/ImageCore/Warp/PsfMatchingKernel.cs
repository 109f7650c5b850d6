using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Warp;

/// <summary>
/// A spatially varying PSF-matching kernel (ip_diffim's solution of ModelPsfMatchTask, an afw LinearCombinationKernel):
/// K(x, y) = sum_b c_b(x, y) B_b over the Alard-Lupton basis B_b, where c_0 is constant and every other c_b is a
/// Chebyshev polynomial (afw's Chebyshev1Function2 order and terms: T0, T1(x), T1(y), T2(x), T1(x) T1(y), T2(y)) of the
/// position scaled to [-1, 1] over <see cref="Region"/> taken as afw's Box2D (edges at min - 0.5 and max + 0.5). As
/// ModelPsfMatchTask applies it, the kernel-sum coefficient c_0 may be forced to 1 (every later basis kernel sums to 0;
/// <see cref="ForceKernelSum"/>), and each kernel image is normalised to sum 1. Immutable; usable from several threads at once.
/// </summary>
public sealed class PsfMatchingKernel
{
    private readonly double[] _coefficients;

    internal PsfMatchingKernel(AlardLuptonBasis basis, int spatialOrder, Box2I region, double[] coefficients, bool forceKernelSum)
    {
        ForceKernelSum = forceKernelSum;
        Basis = basis;
        SpatialOrder = spatialOrder;
        Region = region;
        SpatialTermCount = (spatialOrder + 1) * (spatialOrder + 2) / 2;
        if (coefficients.Length != 1 + (basis.Count - 1) * SpatialTermCount)
            throw new ArgumentException($"{coefficients.Length} coefficients, expected {1 + (basis.Count - 1) * SpatialTermCount}", nameof(coefficients));
        _coefficients = coefficients;
    }

    internal AlardLuptonBasis Basis { get; }

    /// <summary>Width and height of the kernel images, pixels (odd).</summary>
    public int KernelSize => Basis.Size;

    /// <summary>Number of basis kernels (27 for Rubin's settings).</summary>
    public int BasisCount => Basis.Count;

    /// <summary>Order of the Chebyshev polynomials (0..2).</summary>
    public int SpatialOrder { get; }

    /// <summary>Number of Chebyshev terms: (order + 1)(order + 2) / 2.</summary>
    public int SpatialTermCount { get; }

    /// <summary>The box (parent pixels) the Chebyshev polynomials' [-1, 1] spans: the matched region grown by one cell.</summary>
    public Box2I Region { get; }

    /// <summary>The fitted coefficients: [0] the constant weight of B_0 (the kernel sum as fitted, before it is forced to
    /// 1), then for b = 1..<see cref="BasisCount"/> - 1 the <see cref="SpatialTermCount"/> Chebyshev coefficients of c_b,
    /// at index 1 + (b - 1) * SpatialTermCount + t. 157 for Rubin's settings.</summary>
    public IReadOnlyList<double> Coefficients => _coefficients;

    /// <summary>The fitted kernel-sum coefficient (<see cref="Coefficients"/>[0]).</summary>
    public double FittedKernelSum => _coefficients[0];

    /// <summary>As <see cref="ModelPsfMatchConfig.ForceKernelSum"/>: c_0 is set to 1 before the kernel is normalised
    /// (Rubin's), else the fitted kernel is normalised as it is (its shape kept).</summary>
    public bool ForceKernelSum { get; }

    /// <summary>The c_0 the kernel is applied with, before normalisation: 1 or <see cref="FittedKernelSum"/>.</summary>
    public double AppliedKernelSum => ForceKernelSum ? 1.0 : _coefficients[0];

    /// <summary>The Chebyshev terms at parent pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    internal void Terms(double x, double y, Span<double> terms)
    {
        var (xn, yn) = Scaled(x, y);
        terms[0] = 1;
        if (SpatialOrder >= 1) { terms[1] = xn; terms[2] = yn; }
        if (SpatialOrder >= 2) { terms[3] = 2 * xn * xn - 1; terms[4] = xn * yn; terms[5] = 2 * yn * yn - 1; }
    }

    /// <summary>The position scaled to [-1, 1] over <see cref="Region"/> as a Box2D.</summary>
    internal (double Xn, double Yn) Scaled(double x, double y) =>
        ((x - (Region.MinX + (Region.Width - 1) * 0.5)) / (Region.Width * 0.5),
         (y - (Region.MinY + (Region.Height - 1) * 0.5)) / (Region.Height * 0.5));

    /// <summary>The weights c_b at (<paramref name="x"/>, <paramref name="y"/>), with c_0 = <paramref name="kernelSum"/>.</summary>
    internal void Weights(double x, double y, double kernelSum, Span<double> weights)
    {
        Span<double> t = stackalloc double[6];
        Terms(x, y, t);
        weights[0] = kernelSum;
        for (int b = 1; b < Basis.Count; b++)
        {
            double s = 0;
            for (int k = 0; k < SpatialTermCount; k++) s += _coefficients[1 + (b - 1) * SpatialTermCount + k] * t[k];
            weights[b] = s;
        }
    }

    /// <summary>Writes the kernel image at parent pixel (<paramref name="x"/>, <paramref name="y"/>) as it is applied:
    /// c_0 = <see cref="AppliedKernelSum"/>, normalised to sum 1; [row, column] with the kernel centre at the centre pixel. The image at
    /// (x, y) weights source pixel (x + i - h, y + j - h) by destination[j, i] (h = <see cref="KernelSize"/> / 2): the
    /// correlation form, used alike by the fit and by <see cref="Convolve"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <see cref="KernelSize"/> square.</exception>
    public void ComputeKernelImage(double x, double y, Span2D<double> destination)
    {
        int n = KernelSize;
        if (destination.Width != n || destination.Height != n)
            throw new ArgumentException($"a kernel image is {n}x{n} pixels, not {destination.Width}x{destination.Height}", nameof(destination));
        var image = KernelImage(x, y);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) destination[j, i] = image[j * n + i];
    }

    /// <summary>The kernel image at (x, y) as applied (c_0 = <see cref="AppliedKernelSum"/>), row-major, normalised to
    /// sum 1.</summary>
    internal double[] KernelImage(double x, double y)
    {
        double kernelSum = AppliedKernelSum;
        int n = KernelSize;
        Span<double> w = stackalloc double[Basis.Count];
        Weights(x, y, kernelSum, w);
        var image = new double[n * n];
        for (int b = 0; b < Basis.Count; b++)
        {
            var bi = Basis.Images[b];
            for (int k = 0; k < image.Length; k++) image[k] += w[b] * bi[k];
        }
        double sum = 0;
        foreach (double v in image) sum += v;
        for (int k = 0; k < image.Length; k++) image[k] /= sum;
        return image;
    }

    /// <summary>
    /// Convolves <paramref name="subBox"/> of <paramref name="source"/> with the kernel into the same pixels of
    /// <paramref name="destination"/> (afw's convolve with doNormalize): image with K(x, y) (sum 1), variance with
    /// K(x, y)^2, mask the OR of the source bits over the kernel's footprint (every tap, 41 x 41: so NO_DATA grows by
    /// half the kernel). Pixels of the sub-box within half the kernel of its edge become (NaN, NO_DATA, +inf). A
    /// non-finite image or variance value reaching an output pixel marks it NO_DATA as well, so no good output pixel is
    /// NaN. Only pixels of the sub-box are read and written. See <see cref="PsfMatchConvolution"/> for the method and
    /// its accuracy.
    /// </summary>
    /// <param name="source">The warp (or any masked image) holding <paramref name="subBox"/>.</param>
    /// <param name="subBox">The region to match, parent pixels.</param>
    /// <param name="destination">Holds <paramref name="subBox"/>; not <paramref name="source"/>. Its mask must define NO_DATA.</param>
    /// <param name="maxDegreeOfParallelism">Threads over row bands, at least 1.</param>
    /// <param name="cancel">Stops the work between tiles.</param>
    /// <exception cref="ArgumentException">A box outside an image, the same image twice, or a parallelism below 1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was signalled.</exception>
    public void Convolve(MaskedImage source, Box2I subBox, MaskedImage destination, int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        PsfMatchConvolution.CheckArguments(source, subBox, destination, maxDegreeOfParallelism);
        PsfMatchConvolution.Run(this, source, subBox, destination, maxDegreeOfParallelism, cancel);
    }

    /// <summary>As <see cref="Convolve"/>, but tiles of output pixels for which <paramref name="needed"/> is false are
    /// written as (NaN, NO_DATA, +inf) without being convolved.</summary>
    internal void ConvolveTiles(MaskedImage source, Box2I subBox, MaskedImage destination, int maxDegreeOfParallelism, Func<Box2I, bool> needed, CancellationToken cancel)
    {
        PsfMatchConvolution.CheckArguments(source, subBox, destination, maxDegreeOfParallelism);
        PsfMatchConvolution.Run(this, source, subBox, destination, maxDegreeOfParallelism, cancel, needed);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"PsfMatchingKernel({KernelSize}x{KernelSize}, {BasisCount} basis kernels, Chebyshev order {SpatialOrder} over {Region}, fitted sum {FittedKernelSum:G6}, applied c0 {AppliedKernelSum:G6})";
}
