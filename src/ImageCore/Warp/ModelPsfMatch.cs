using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;

namespace ImageCore.Warp;

/// <summary>
/// PSF matching of a region to a model PSF (ip_diffim's ModelPsfMatchTask as MakePsfMatchedWarpTask runs it per
/// detector in the warped frame): <see cref="Solve"/> fits the kernel K with science (x) K ~= model from PSF images
/// alone, <see cref="Match"/> also convolves the region with it.
/// </summary>
/// <remarks>
/// The fit: the region is grown by <see cref="ModelPsfMatchConfig.CellSize"/> and cut into whole cells of that size
/// (floor of size / cell per axis); at each cell centre (cell min + cell / 2) the science PSF image and the model PSF
/// image are placed, centred, on stamps of <see cref="ModelPsfMatchConfig.StampSize"/> pixels (59 for a 41 px kernel;
/// a larger science image is cropped). Each basis kernel is correlated with the science stamp over the
/// (stamp - kernel + 1)^2 pixels where the whole kernel lies on the stamp (19 x 19), and the unknowns (c_0 constant, the
/// Chebyshev coefficients of c_1..c_26: 157) are fitted to the model stamp there by least squares with equal weights
/// and no clipping, in double precision: normal equations, equilibrated, Cholesky, or the eigen-decomposition's
/// pseudo-inverse when they are singular (<see cref="ModelPsfMatchResult.UsedCholesky"/>).
/// </remarks>
public static class ModelPsfMatch
{
    /// <summary>Fits the matching kernel of <paramref name="region"/>.</summary>
    /// <param name="region">The region that will be matched, parent pixels (a detector's part of a warp).</param>
    /// <param name="sciencePsf">The PSF of the region (in the warped frame).</param>
    /// <param name="config">The settings; validated here.</param>
    /// <param name="maxDegreeOfParallelism">Threads over candidates, at least 1.</param>
    /// <param name="cancel">Stops between candidates.</param>
    /// <exception cref="ConfigException">A setting out of range, or a kernel larger than the stamp less one pixel.</exception>
    /// <exception cref="ArgumentException">An empty region or a parallelism below 1.</exception>
    public static ModelPsfMatchResult Solve(Box2I region, IPsf sciencePsf, ModelPsfMatchConfig config, int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(sciencePsf);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (region.IsEmpty) throw new ArgumentException($"the region {region} is empty", nameof(region));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        var model = config.ModelPsf.Apply();
        int stamp = config.StampSize(model.KernelSize);
        if (config.KernelSize > stamp - 1)
            throw new ConfigException(nameof(ModelPsfMatchConfig) + "." + nameof(ModelPsfMatchConfig.KernelSize), config.KernelSize,
                $"must be at most the PSF stamp size less one ({stamp - 1}); set AutoPadPsf or a smaller kernel");
        var basis = new AlardLuptonBasis(config.KernelSize, config.BasisSigmas, config.BasisDegrees);
        var grown = region.Grow(config.CellSize);
        int cell = config.CellSize, nx = grown.Width / cell, ny = grown.Height / cell;
        var candidates = new List<(double X, double Y)>();
        for (int row = 0; row < ny; row++)
            for (int col = 0; col < nx; col++)
                candidates.Add((grown.MinX + cell * col + cell / 2, grown.MinY + cell * row + cell / 2));

        int nt = (config.SpatialOrder + 1) * (config.SpatialOrder + 2) / 2;
        var shape = new PsfMatchingKernel(basis, config.SpatialOrder, grown, new double[1 + (basis.Count - 1) * nt], config.ForceKernelSum);
        var modelStamp = Stamp(model, 0, 0, stamp);
        int fit = stamp - config.KernelSize + 1, h = config.KernelSize / 2;
        var target = new double[fit * fit];
        double modelPeak = 0;
        for (int y = 0; y < fit; y++)
            for (int x = 0; x < fit; x++) target[y * fit + x] = modelStamp[(y + h) * stamp + x + h];
        foreach (double v in modelStamp) modelPeak = Math.Max(modelPeak, v);
        double targetSq = 0;
        foreach (double v in target) targetSq += v * v;

        int nb = basis.Count, nu = 1 + (nb - 1) * nt;
        var perCandidate = new CandidateSystem[candidates.Count];
        var fwhm = new double[candidates.Count];
        var paddedTarget = CorrelationScratch.PadTarget(target, fit);
        Parallel.For(0, candidates.Count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancel },
            () => new CorrelationScratch(basis, stamp, fit),
            (c, _, scratch) =>
            {
                var (px, py) = candidates[c];
                perCandidate[c] = scratch.System(scratch.Stamp(sciencePsf, px, py), paddedTarget);
                fwhm[c] = ScienceFwhm(sciencePsf, px, py);
                return scratch;
            }, _ => { });
        cancel.ThrowIfCancellationRequested();

        // Unknown (b, k) has design column t_k(x, y) C_b (b = 0: k = 0 only; t_0 = 1), so the normal matrix's block of terms
        // (k, k') is sum over candidates of t_k t_k' N_c, and the right-hand side's sum of t_k r_c: accumulated per term
        // pair (vectorised over the nb x nb system of each candidate), then spread into the nu x nu matrix.
        var blocks = new double[nt * nt][];
        var rhsBlocks = new double[nt][];
        for (int k = 0; k < nt; k++)
        {
            rhsBlocks[k] = new double[nb];
            for (int k2 = k; k2 < nt; k2++) blocks[k * nt + k2] = new double[nb * nb];
        }
        Span<double> t = stackalloc double[6];
        for (int c = 0; c < candidates.Count; c++)
        {
            shape.Terms(candidates[c].X, candidates[c].Y, t);
            var sys = perCandidate[c];
            for (int k = 0; k < nt; k++)
            {
                AddScaled(rhsBlocks[k], sys.Rhs, t[k]);
                for (int k2 = k; k2 < nt; k2++) AddScaled(blocks[k * nt + k2], sys.Normal, t[k] * t[k2]);
            }
        }
        var normal = new double[nu * nu];
        var rhs = new double[nu];
        int Unknown(int b, int k) => b == 0 ? 0 : 1 + (b - 1) * nt + k;
        for (int b = 0; b < nb; b++)
            for (int k = 0; k < (b == 0 ? 1 : nt); k++)
            {
                int u = Unknown(b, k);
                rhs[u] = rhsBlocks[k][b];
                for (int b2 = 0; b2 < nb; b2++)
                    for (int k2 = 0; k2 < (b2 == 0 ? 1 : nt); k2++)
                        normal[u * nu + Unknown(b2, k2)] = blocks[Math.Min(k, k2) * nt + Math.Max(k, k2)][b * nb + b2];
            }
        var (coefficients, cholesky) = SymmetricSolver.Solve(normal, rhs, nu);
        var kernel = new PsfMatchingKernel(basis, config.SpatialOrder, grown, coefficients, config.ForceKernelSum);

        // Residuals from each candidate's own system: |m|^2 - 2 w.q + w.Q w with w the weights at its centre.
        double total = 0, worst = 0;
        Span<double> w = stackalloc double[nb];
        for (int c = 0; c < candidates.Count; c++)
        {
            kernel.Weights(candidates[c].X, candidates[c].Y, coefficients[0], w);
            var sys = perCandidate[c];
            double ss = targetSq;
            for (int p = 0; p < nb; p++)
            {
                ss -= 2 * w[p] * sys.Rhs[p];
                for (int q = 0; q < nb; q++) ss += w[p] * sys.Normal[p * nb + q] * w[q];
            }
            ss = Math.Max(ss, 0);
            total += ss;
            worst = Math.Max(worst, Math.Sqrt(ss / (fit * fit)));
        }
        double rms = Math.Sqrt(total / ((double)fit * fit * candidates.Count));
        var measured = fwhm.Where(double.IsFinite).ToList();
        return new ModelPsfMatchResult(kernel, candidates.Count, rms, worst, modelPeak, model.ComputeFwhm(0, 0),
            measured.Count > 0 ? measured.Min() : double.NaN, measured.Count > 0 ? measured.Max() : double.NaN, cholesky);
    }

    /// <summary><c>acc[i] += w * v[i]</c>, rounded as written (no fused multiply-add), at any vector width.</summary>
    private static void AddScaled(double[] acc, double[] v, double w)
    {
        int i = 0, step = Vector<double>.Count;
        for (; i + step <= acc.Length; i += step)
            (new Vector<double>(acc, i) + new Vector<double>(v, i) * w).CopyTo(acc, i);
        for (; i < acc.Length; i++) acc[i] += v[i] * w;
    }

    /// <summary>Fits the kernel of <paramref name="subBox"/> (<see cref="Solve"/>) and convolves that part of
    /// <paramref name="source"/> with it into <paramref name="destination"/> (<see cref="PsfMatchingKernel.Convolve"/>).</summary>
    /// <param name="source">The warp holding <paramref name="subBox"/>.</param>
    /// <param name="subBox">The detector's part of the warp, parent pixels.</param>
    /// <param name="sciencePsf">Its PSF in the warped frame.</param>
    /// <param name="config">The settings.</param>
    /// <param name="destination">Holds <paramref name="subBox"/>; only its pixels are written.</param>
    /// <param name="maxDegreeOfParallelism">Threads, at least 1.</param>
    /// <param name="cancel">Stops the work.</param>
    /// <returns>The kernel and the fit's figures.</returns>
    /// <exception cref="ConfigException">A setting out of range.</exception>
    /// <exception cref="ArgumentException">Boxes outside the images, the same image twice, a parallelism below 1.</exception>
    public static ModelPsfMatchResult Match(MaskedImage source, Box2I subBox, IPsf sciencePsf, ModelPsfMatchConfig config,
        MaskedImage destination, int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        PsfMatchConvolution.CheckArguments(source, subBox, destination, maxDegreeOfParallelism);
        var result = Solve(subBox, sciencePsf, config, maxDegreeOfParallelism, cancel);
        result.Kernel.Convolve(source, subBox, destination, maxDegreeOfParallelism, cancel);
        return result;
    }

    /// <summary>The science PSF's FWHM at a candidate, for the report only: NaN where its kernel image has no adaptive
    /// moments (a fitted model's kernel with strong negative wings at a detector's corner), which must not fail the match.</summary>
    private static double ScienceFwhm(IPsf psf, double x, double y)
    {
        try
        {
            return psf.ComputeFwhm(x, y);
        }
        catch (InvalidOperationException)
        {
            return double.NaN;
        }
    }

    /// <summary>The PSF image at (x, y) centred on a stamp x stamp array (zero around it; cropped if larger).</summary>
    internal static double[] Stamp(IPsf psf, double x, double y, int stamp)
    {
        var s = new double[stamp * stamp];
        FillStamp(psf, x, y, stamp, new float[psf.KernelSize * psf.KernelSize], s);
        return s;
    }

    /// <summary><see cref="Stamp"/> into <paramref name="destination"/> (stamp x stamp, cleared first), the kernel image made in
    /// <paramref name="kernel"/> (at least the PSF's kernel size squared): nothing allocated.</summary>
    private static void FillStamp(IPsf psf, double x, double y, int stamp, float[] kernel, double[] destination)
    {
        int n = psf.KernelSize;
        var k = new Span2D<float>(kernel, n, n);
        psf.ComputeKernelImage(x, y, k);
        Array.Clear(destination);
        int off = (stamp - n) / 2;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
            {
                int sy = j + off, sx = i + off;
                if ((uint)sy < (uint)stamp && (uint)sx < (uint)stamp) destination[sy * stamp + sx] = k[j, i];
            }
    }

    /// <summary>The scalar reference of <see cref="CorrelationScratch.System"/>'s correlations: each basis kernel
    /// correlated with the stamp over the fit x fit valid pixels: [b][pixel]. Separable: the raw kernels' horizontal
    /// factors first (once per Gaussian and power of u), then the vertical ones; rows and columns outside the stamp's
    /// nonzero box are skipped (their terms are zero).</summary>
    internal static double[][] CorrelateBasisReference(AlardLuptonBasis basis, double[] s, int stamp, int fit)
    {
        int n = basis.Size;
        int r0 = stamp, r1 = -1, c0 = stamp, c1 = -1;
        for (int y = 0; y < stamp; y++)
            for (int x = 0; x < stamp; x++)
                if (s[y * stamp + x] != 0) { r0 = Math.Min(r0, y); r1 = Math.Max(r1, y); c0 = Math.Min(c0, x); c1 = Math.Max(c1, x); }
        var raw = new double[basis.Count][];
        var horizontal = new Dictionary<(int, int), double[]>();
        for (int b = 0; b < basis.Count; b++)
        {
            var key = (basis.Gaussian[b], basis.PowerU[b]);
            if (!horizontal.TryGetValue(key, out var hb))
            {
                hb = new double[stamp * fit];
                var f = basis.Horizontal[b];
                for (int y = r0; y <= r1; y++)
                    for (int x = 0; x < fit; x++)
                    {
                        int i0 = Math.Max(0, c0 - x), i1 = Math.Min(n - 1, c1 - x);
                        double acc = 0;
                        for (int i = i0; i <= i1; i++) acc += f[i] * s[y * stamp + x + i];
                        hb[y * fit + x] = acc;
                    }
                horizontal[key] = hb;
            }
            var v = basis.Vertical[b];
            var rb = new double[fit * fit];
            for (int y = 0; y < fit; y++)
            {
                int j0 = Math.Max(0, r0 - y), j1 = Math.Min(n - 1, r1 - y);
                for (int x = 0; x < fit; x++)
                {
                    double acc = 0;
                    for (int j = j0; j <= j1; j++) acc += v[j] * hb[(y + j) * fit + x];
                    rb[y * fit + x] = acc;
                }
            }
            raw[b] = rb;
        }
        var conv = new double[basis.Count][];
        for (int b = 0; b < basis.Count; b++)
        {
            var cb = new double[fit * fit];
            for (int k = 0; k < cb.Length; k++) cb[k] = basis.Weight[b] * raw[b][k] + basis.Weight0[b] * raw[0][k];
            conv[b] = cb;
        }
        return conv;
    }

    /// <summary>One candidate's basis-by-basis normal matrix (nb x nb) and right-hand side.</summary>
    internal sealed record CandidateSystem(double[] Normal, double[] Rhs)
    {
        /// <summary>The scalar reference of <see cref="CorrelationScratch.System"/>.</summary>
        public static CandidateSystem Make(double[][] conv, double[] target, int nb, int pixels)
        {
            var normal = new double[nb * nb];
            var rhs = new double[nb];
            for (int p = 0; p < nb; p++)
            {
                var cp = conv[p];
                double r = 0;
                for (int k = 0; k < pixels; k++) r += cp[k] * target[k];
                rhs[p] = r;
                for (int q = 0; q <= p; q++)
                {
                    var cq = conv[q];
                    double a = 0;
                    for (int k = 0; k < pixels; k++) a += cp[k] * cq[k];
                    normal[p * nb + q] = normal[q * nb + p] = a;
                }
            }
            return new CandidateSystem(normal, rhs);
        }
    }

    /// <summary>One thread's buffers for the candidates' systems, and the vectorised correlations: rows of the stamp
    /// padded to a whole number of vectors of outputs (<see cref="Vector{T}"/> of double), the padding columns' outputs
    /// set to zero before the sums; each output's sum runs over the taps in order, as the scalar reference's does, but
    /// over all 41 taps where the reference skips the stamp's zero columns.</summary>
    internal sealed class CorrelationScratch
    {
        private readonly AlardLuptonBasis _basis;
        private readonly int _stamp, _fit, _width, _stampWidth, _keys;
        private readonly int[] _keyOf;
        private readonly bool[] _done;
        private readonly double[] _padded, _horizontal, _raw, _conv, _stampBuffer;
        private float[] _kernel = [];

        public CorrelationScratch(AlardLuptonBasis basis, int stamp, int fit)
        {
            _basis = basis;
            (_stamp, _fit) = (stamp, fit);
            _width = Width(fit);
            _stampWidth = _width + basis.Size - 1;
            var keys = new List<(int, int)>();
            _keyOf = new int[basis.Count];
            for (int b = 0; b < basis.Count; b++)
            {
                var key = (basis.Gaussian[b], basis.PowerU[b]);
                int k = keys.IndexOf(key);
                if (k < 0) { k = keys.Count; keys.Add(key); }
                _keyOf[b] = k;
            }
            _keys = keys.Count;
            _done = new bool[_keys];
            _padded = new double[stamp * _stampWidth];
            _horizontal = new double[_keys * stamp * _width];
            _raw = new double[basis.Count * fit * _width];
            _conv = new double[basis.Count * fit * _width];
            _stampBuffer = new double[stamp * stamp];
        }

        /// <summary>Outputs per row: the fit width rounded up to a multiple of 8 (whole vectors at every width: the layout,
        /// and so every sum, is the same whatever the hardware's vectors).</summary>
        public static int Width(int fit) => (fit + 7) / 8 * 8;

        /// <summary><c>d[x] = sum_k taps[k] s[x + k * stride]</c> for x &lt; d.Length (a whole number of vectors), each sum
        /// from 0 in k order: a row correlation (stride 1) or a column one (stride = the row length).</summary>
        private static void Correlate(ReadOnlySpan<double> s, int stride, ReadOnlySpan<double> taps, Span<double> d)
        {
            ref double s0 = ref MemoryMarshal.GetReference(s);
            ref double d0 = ref MemoryMarshal.GetReference(d);
            int nt = taps.Length, w = d.Length;
            if (nt > 0 && s.Length < (nt - 1) * stride + w) throw new ArgumentException("the source is too short");
            if (Vector512.IsHardwareAccelerated)
            {
                int x = 0;
                for (; x + 16 <= w; x += 16)
                {
                    Vector512<double> a = Vector512<double>.Zero, b = Vector512<double>.Zero;
                    for (int k = 0; k < nt; k++)
                    {
                        var t = Vector512.Create(taps[k]);
                        a += t * Vector512.LoadUnsafe(ref s0, (nuint)(x + k * stride));
                        b += t * Vector512.LoadUnsafe(ref s0, (nuint)(x + 8 + k * stride));
                    }
                    a.StoreUnsafe(ref d0, (nuint)x);
                    b.StoreUnsafe(ref d0, (nuint)(x + 8));
                }
                for (; x < w; x += 8)
                {
                    var a = Vector512<double>.Zero;
                    for (int k = 0; k < nt; k++) a += Vector512.Create(taps[k]) * Vector512.LoadUnsafe(ref s0, (nuint)(x + k * stride));
                    a.StoreUnsafe(ref d0, (nuint)x);
                }
                return;
            }
            int step = Vector<double>.Count;
            for (int x = 0; x < w; x += step)
            {
                var acc = Vector<double>.Zero;
                for (int k = 0; k < nt; k++) acc += taps[k] * new Vector<double>(s.Slice(x + k * stride, step));
                acc.CopyTo(d.Slice(x, step));
            }
        }

        /// <summary>The target (fit x fit) on rows of <see cref="Width"/>, zero in the padding.</summary>
        public static double[] PadTarget(double[] target, int fit)
        {
            int w = Width(fit);
            var padded = new double[fit * w];
            for (int y = 0; y < fit; y++) Array.Copy(target, y * fit, padded, y * w, fit);
            return padded;
        }

        /// <summary>The candidate's system from its science stamp (stamp x stamp) and the padded target.</summary>
        /// <summary><see cref="ModelPsfMatch.Stamp"/> of <paramref name="psf"/> at (x, y) in this scratch's stamp buffer
        /// (valid until the next call): a candidate's stamp allocates nothing.</summary>
        public double[] Stamp(IPsf psf, double x, double y)
        {
            int n = psf.KernelSize;
            if (_kernel.Length < n * n) _kernel = new float[n * n];
            FillStamp(psf, x, y, _stamp, _kernel, _stampBuffer);
            return _stampBuffer;
        }

        public CandidateSystem System(double[] s, double[] paddedTarget)
        {
            int n = _basis.Size, nb = _basis.Count, w = _width, sw = _stampWidth;
            int r0 = _stamp, r1 = -1;
            Array.Clear(_padded);
            for (int y = 0; y < _stamp; y++)
            {
                var row = s.AsSpan(y * _stamp, _stamp);
                if (row.IndexOfAnyExcept(0.0) < 0) continue;
                r0 = Math.Min(r0, y);
                r1 = y;
                row.CopyTo(_padded.AsSpan(y * sw, _stamp));
            }
            // Horizontal factors over the stamp's nonzero rows.
            var done = _done;
            Array.Clear(done);
            for (int b = 0; b < nb; b++)
            {
                int k = _keyOf[b];
                if (done[k]) continue;
                done[k] = true;
                var f = _basis.Horizontal[b];
                for (int y = r0; y <= r1; y++)
                    Correlate(_padded.AsSpan(y * sw), 1, f, _horizontal.AsSpan((k * _stamp + y) * w, w));
            }
            // Vertical factors: rows of the stamp outside r0..r1 are zero and skipped.
            for (int b = 0; b < nb; b++)
            {
                var v = _basis.Vertical[b];
                var hk = _horizontal.AsSpan(_keyOf[b] * _stamp * w, _stamp * w);
                for (int y = 0; y < _fit; y++)
                {
                    int j0 = Math.Max(0, r0 - y), j1 = Math.Min(n - 1, r1 - y);
                    var dst = _raw.AsSpan((b * _fit + y) * w, w);
                    if (j1 < j0) dst.Clear();
                    else Correlate(hk[((y + j0) * w)..], w, v.AsSpan(j0, j1 - j0 + 1), dst);
                }
            }
            int pixels = _fit * w;
            var raw0 = _raw.AsSpan(0, pixels);
            for (int b = 0; b < nb; b++)
            {
                var cb = _conv.AsSpan(b * pixels, pixels);
                var rb = _raw.AsSpan(b * pixels, pixels);
                double wb = _basis.Weight[b], w0 = _basis.Weight0[b];
                // w_b r_b + w0_b r_0 per pixel, rounded as the scalar reference rounds it (no fused multiply-add).
                for (int i = 0; i < pixels; i += Vector<double>.Count)
                    Store(Load(rb, i) * wb + Load(raw0, i) * w0, cb, i);
                for (int y = 0; y < _fit; y++) cb.Slice(y * w + _fit, w - _fit).Clear();
            }
            var normal = new double[nb * nb];
            var rhs = new double[nb];
            for (int p = 0; p < nb; p++)
            {
                var cp = _conv.AsSpan(p * pixels, pixels);
                rhs[p] = Dot(cp, paddedTarget);
                for (int q = 0; q <= p; q++) normal[p * nb + q] = normal[q * nb + p] = Dot(cp, _conv.AsSpan(q * pixels, pixels));
            }
            return new CandidateSystem(normal, rhs);
        }

        /// <summary>The dot product of two spans whose length is a multiple of 8, summed the same way at every vector width:
        /// eight partial sums (element i into sum i mod 8, in order), then added pairwise.</summary>
        internal static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
        {
            if (a.Length % 8 != 0 || b.Length < a.Length) throw new ArgumentException("the dot product takes whole groups of 8");
            ref double ar = ref MemoryMarshal.GetReference(a);
            ref double br = ref MemoryMarshal.GetReference(b);
            Span<double> p = stackalloc double[8];
            if (Vector512.IsHardwareAccelerated)
            {
                var s = Vector512<double>.Zero;
                for (int i = 0; i < a.Length; i += 8) s += Vector512.LoadUnsafe(ref ar, (nuint)i) * Vector512.LoadUnsafe(ref br, (nuint)i);
                s.CopyTo(p);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<double> lo = Vector256<double>.Zero, hi = Vector256<double>.Zero;
                for (int i = 0; i < a.Length; i += 8)
                {
                    lo += Vector256.LoadUnsafe(ref ar, (nuint)i) * Vector256.LoadUnsafe(ref br, (nuint)i);
                    hi += Vector256.LoadUnsafe(ref ar, (nuint)(i + 4)) * Vector256.LoadUnsafe(ref br, (nuint)(i + 4));
                }
                lo.CopyTo(p);
                hi.CopyTo(p[4..]);
            }
            else
            {
                p.Clear();
                for (int i = 0; i < a.Length; i += 8)
                    for (int k = 0; k < 8; k++) p[k] += a[i + k] * b[i + k];
            }
            return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
        }

        private static Vector<double> Load(ReadOnlySpan<double> s, int i) => new(s.Slice(i, Vector<double>.Count));

        private static void Store(Vector<double> v, Span<double> d, int i) => v.CopyTo(d.Slice(i, Vector<double>.Count));
    }
}
