using System.Buffers;
using System.Numerics.Tensors;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Warp;

/// <summary>
/// The spatially varying convolution of <see cref="PsfMatchingKernel.Convolve"/>, in tiles of
/// <see cref="TileRows"/> x <see cref="TileColumns"/> output pixels, row bands of tiles on threads.
/// <para>Image (exact up to float rounding): every basis kernel is a sum of separable raw kernels
/// G_g(i) u^p G_g(j) v^q, so K(x, y) = sum_r d_r(x, y) R_r with d_r linear in the Chebyshev terms. One horizontal pass
/// per Gaussian and power of u (11), one vertical pass per raw kernel (27), each weighted per pixel by d_r(x, y) (a
/// quadratic in x along a row) and summed; the sum of the kernel as applied, s(x, y), divides it (doNormalize). Taps
/// where a 1-D factor is below 2^-24 of its largest value are dropped (for sigma 1 px those beyond 6 px; for 4.5 px
/// none), consistently in the sum s.</para>
/// <para>Variance (K^2 is not separable): K(x, y)^2 is projected on its leading horizontal singular vectors f_a (found
/// from K^2 at a 5 x 5 grid of positions over the pixels convolved; as many as make the projection's L1 error at most 1e-4 of the sum of K^2,
/// at most 16): var_out = sum_a w_a(x, y) (x)vertical (f_a (x)horizontal var), with the vertical taps
/// w_a(j) = sum_i K^2(j, i) f_a(i) exact in y (a polynomial per row) and evaluated at the edges of each group of
/// <see cref="VarianceGroup"/> columns, the two results interpolated linearly across the group (as afw interpolates
/// kernel images over at most 10 px). The error against the direct per-pixel sum is measured by the tests.</para>
/// <para>Mask: OR over the 41 x 41 footprint as a horizontal then a vertical running OR (doubling).</para>
/// </summary>
internal static class PsfMatchConvolution
{
    /// <summary>Output rows per tile.</summary>
    public const int TileRows = 128;

    /// <summary>Output columns per tile.</summary>
    public const int TileColumns = 128;

    /// <summary>Columns that share one set of variance taps.</summary>
    public const int VarianceGroup = 16;

    /// <summary>Largest horizontal rank of the variance kernel.</summary>
    public const int MaxVarianceRank = 16;

    /// <summary>Relative L1 error allowed in the projected K^2.</summary>
    public const double VarianceProjectionTolerance = 1e-4;

    /// <summary>Checks the public arguments.</summary>
    public static void CheckArguments(MaskedImage source, Box2I subBox, MaskedImage destination, int maxDegreeOfParallelism)
    {
        if (subBox.IsEmpty) throw new ArgumentException($"the sub-box {subBox} is empty", nameof(subBox));
        if (!source.BBox.Contains(subBox)) throw new ArgumentException($"the sub-box {subBox} is not inside the source {source.BBox}", nameof(subBox));
        if (!destination.BBox.Contains(subBox)) throw new ArgumentException($"the sub-box {subBox} is not inside the destination {destination.BBox}", nameof(destination));
        if (ReferenceEquals(source, destination) || ReferenceEquals(source.Image, destination.Image))
            throw new ArgumentException("the destination must not be the source", nameof(destination));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
    }

    /// <summary>Runs the convolution (arguments checked). Where <paramref name="needed"/> is given, a tile of output
    /// pixels for which it is false is not convolved but written as (NaN, NO_DATA, +inf), as the border is (a detector's
    /// tiles outside its valid region in a warp, whose outputs would be marked NO_DATA anyway).</summary>
    public static void Run(PsfMatchingKernel kernel, MaskedImage source, Box2I subBox, MaskedImage destination, int maxDegreeOfParallelism, CancellationToken cancel,
                           Func<Box2I, bool>? needed = null)
    {
        var plan = new Plan(kernel, subBox.Grow(-kernel.KernelSize / 2).IsEmpty ? subBox : subBox.Grow(-kernel.KernelSize / 2));
        int h = plan.Half;
        int noData = destination.Mask.GetBitMask("NO_DATA");
        var inner = subBox.Grow(-h);
        WriteBorder(destination, subBox, inner, noData);
        if (inner.IsEmpty) return;
        int tileRows = (inner.Height + TileRows - 1) / TileRows;
        Parallel.For(0, tileRows, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancel }, () => new Scratch(plan),
            (tr, state, scratch) =>
            {
                int y0 = inner.MinY + tr * TileRows, y1 = Math.Min(inner.MaxY + 1, y0 + TileRows);
                bool taps = false;
                for (int x0 = inner.MinX; x0 <= inner.MaxX; x0 += TileColumns)
                {
                    cancel.ThrowIfCancellationRequested();
                    int x1 = Math.Min(inner.MaxX + 1, x0 + TileColumns);
                    var tile = new Box2I(x0, y0, x1 - x0, y1 - y0);
                    if (needed is not null && !needed(tile))
                    {
                        WriteBorder(destination, tile, default, noData);
                        continue;
                    }
                    if (!taps)
                    {
                        for (int y = y0; y < y1; y++)
                        {
                            plan.VarianceRowTaps(y, scratch.VarTaps);
                            scratch.VarTaps.CopyTo(scratch.BandVarTaps, (y - y0) * scratch.VarTaps.Length);
                        }
                        taps = true;
                    }
                    Tile(plan, scratch, source, destination, x0, x1, y0, y1, noData);
                }
                return scratch;
            }, scratch => scratch.Dispose());
    }

    /// <summary>Writes (NaN, NO_DATA, +inf) to the pixels of <paramref name="box"/> outside <paramref name="inner"/>
    /// (all of them where <paramref name="inner"/> is empty).</summary>
    private static void WriteBorder(MaskedImage d, Box2I box, Box2I inner, int noData)
    {
        void Fill(int y, int x0, int x1)
        {
            if (x1 <= x0) return;
            int row = y - d.BBox.MinY, col = x0 - d.BBox.MinX, n = x1 - x0;
            d.Image.Plane.GetRowSpan(row).Slice(col, n).Fill(float.NaN);
            d.Mask.Image.Plane.GetRowSpan(row).Slice(col, n).Fill(noData);
            d.Variance.Plane.GetRowSpan(row).Slice(col, n).Fill(float.PositiveInfinity);
        }
        for (int y = box.MinY; y <= box.MaxY; y++)
        {
            if (inner.IsEmpty || y < inner.MinY || y > inner.MaxY)
            {
                Fill(y, box.MinX, box.MaxX + 1);
                continue;
            }
            Fill(y, box.MinX, inner.MinX);
            Fill(y, inner.MaxX + 1, box.MaxX + 1);
        }
    }

    /// <summary>What every tile needs: float taps, per-term weights and the variance projection.</summary>
    internal sealed class Plan
    {
        public Plan(PsfMatchingKernel kernel, Box2I sampled)
        {
            Sampled = sampled;
            var basis = kernel.Basis;
            Kernel = kernel;
            Half = basis.Half;
            int nb = basis.Count, nt = kernel.SpatialTermCount;
            // Unique horizontal factors (Gaussian, power of u).
            var keys = new List<(int, int)>();
            HorizontalOf = new int[nb];
            for (int b = 0; b < nb; b++)
            {
                var key = (basis.Gaussian[b], basis.PowerU[b]);
                int k = keys.IndexOf(key);
                if (k < 0) { k = keys.Count; keys.Add(key); }
                HorizontalOf[b] = k;
            }
            HorizontalTaps = new float[keys.Count][];
            for (int k = 0; k < keys.Count; k++) HorizontalTaps[k] = Truncate(basis.Horizontal[Array.IndexOf(HorizontalOf, k)]);
            VerticalTaps = new float[nb][];
            TapSums = new double[nb];
            for (int b = 0; b < nb; b++)
            {
                VerticalTaps[b] = Truncate(basis.Vertical[b]);
                double sh = 0, sv = 0;
                foreach (float v in HorizontalTaps[HorizontalOf[b]]) sh += v;
                foreach (float v in VerticalTaps[b]) sv += v;
                TapSums[b] = sh * sv;
            }
            // d_r = sum_t D[r, t] T_t with c_0 = 1 held constant.
            var c = kernel.Coefficients;
            D = new double[nb * 6];
            D[0] = basis.Weight[0] * kernel.AppliedKernelSum;
            for (int b = 1; b < nb; b++)
                for (int t = 0; t < nt; t++)
                {
                    double a = c[1 + (b - 1) * nt + t];
                    D[b * 6 + t] += a * basis.Weight[b];
                    D[0 * 6 + t] += a * basis.Weight0[b];
                }
            // Full (untruncated) images A_t = sum_r D[r, t] R_r for the variance.
            int n = basis.Size;
            A = new double[6][];
            for (int t = 0; t < 6; t++)
            {
                var at = new double[n * n];
                for (int b = 0; b < nb; b++)
                {
                    double w = D[b * 6 + t];
                    if (w == 0) continue;
                    for (int j = 0; j < n; j++)
                        for (int i = 0; i < n; i++) at[j * n + i] += w * basis.Vertical[b][j] * basis.Horizontal[b][i];
                }
                A[t] = at;
            }
            Projection = VarianceProjection(out ProjectionError);
            VarianceTapPolynomials = TapPolynomials();
            // Row passes three filters at a time: the image's factors by Gaussian (taps zero-padded to the longest of
            // the three), the variance's projection vectors in order; a missing third filter repeats the second.
            var imageGroups = new List<RowGroup>();
            foreach (var family in Enumerable.Range(0, HorizontalTaps.Length).GroupBy(k => keys[k].Item1))
                imageGroups.AddRange(Groups(family.Select(k => (k, HorizontalTaps[k])).ToList()));
            ImageRowGroups = [.. imageGroups];
            VarianceRowGroups = [.. Groups(Projection.Select((f, a) => (a, f)).ToList())];
        }

        /// <summary>Up to three filters applied together (<see cref="PsfMatchKernels.RowPasses3"/>) into planes
        /// <see cref="Planes"/>, their taps (each <see cref="Length"/> long, centred) concatenated.</summary>
        internal sealed record RowGroup(int[] Planes, float[] Taps, int Length);

        private static IEnumerable<RowGroup> Groups(List<(int Plane, float[] Taps)> filters)
        {
            for (int g = 0; g < filters.Count; g += 3)
            {
                var chunk = filters.Skip(g).Take(3).ToList();
                while (chunk.Count < 3) chunk.Add(chunk[^1]);
                int len = chunk.Max(f => f.Taps.Length);
                var taps = new float[3 * len];
                for (int f = 0; f < 3; f++)
                {
                    int off = (len - chunk[f].Taps.Length) / 2;
                    chunk[f].Taps.CopyTo(taps, f * len + off);
                }
                yield return new RowGroup(chunk.Select(f => f.Plane).ToArray(), taps, len);
            }
        }

        /// <summary>The image's row passes, grouped.</summary>
        public RowGroup[] ImageRowGroups { get; }

        /// <summary>The variance's row passes, grouped.</summary>
        public RowGroup[] VarianceRowGroups { get; }

        public PsfMatchingKernel Kernel { get; }

        /// <summary>The box over which K^2 is sampled for the variance projection (the pixels to be convolved).</summary>
        public Box2I Sampled { get; }
        public int Half { get; }
        public int[] HorizontalOf { get; }
        public float[][] HorizontalTaps { get; }
        public float[][] VerticalTaps { get; }
        public double[] TapSums { get; }
        public double[] D { get; }
        public double[][] A { get; }

        /// <summary>Horizontal vectors f_a (row-major [a][i]).</summary>
        public float[][] Projection { get; }

        /// <summary>Largest relative L1 error of the projected K^2 at the sample positions.</summary>
        public readonly double ProjectionError;

        /// <summary>The Chebyshev terms along row y as quadratics in xn: terms[t] = p0 + p1 xn + p2 xn^2.</summary>
        public void RowTerms(double y, Span<double> p0, Span<double> p1, Span<double> p2)
        {
            var (_, yn) = Kernel.Scaled(0, y);
            p0.Clear(); p1.Clear(); p2.Clear();
            p0[0] = 1;
            if (Kernel.SpatialOrder >= 1) { p1[1] = 1; p0[2] = yn; }
            if (Kernel.SpatialOrder >= 2) { p2[3] = 2; p0[3] = -1; p1[4] = yn; p0[5] = 2 * yn * yn - 1; }
        }

        private static float[] Truncate(double[] f)
        {
            int h = f.Length / 2;
            double max = 0;
            foreach (double v in f) max = Math.Max(max, Math.Abs(v));
            int t = h;
            while (t > 0 && Math.Abs(f[h + t]) < max * 5.9604644775390625e-8 && Math.Abs(f[h - t]) < max * 5.9604644775390625e-8) t--;
            var taps = new float[2 * t + 1];
            for (int k = -t; k <= t; k++) taps[k + t] = (float)f[h + k];
            return taps;
        }

        private float[][] VarianceProjection(out double error)
        {
            int n = 2 * Half + 1;
            var samples = new List<double[]>();
            var r = Sampled;
            for (int sy = 0; sy < 5; sy++)
                for (int sx = 0; sx < 5; sx++)
                {
                    var k = Kernel.KernelImage(r.MinX + (r.Width - 1) * sx / 4.0, r.MinY + (r.Height - 1) * sy / 4.0);
                    for (int i = 0; i < k.Length; i++) k[i] *= k[i];
                    samples.Add(k);
                }
            var gram = new double[n * n];
            foreach (var k in samples)
                for (int j = 0; j < n; j++)
                    for (int a = 0; a < n; a++)
                        for (int b = 0; b < n; b++) gram[a * n + b] += k[j * n + a] * k[j * n + b];
            var (_, vectors) = SymmetricSolver.Eigen(gram, n);
            int m = 1;
            Span<double> coef = stackalloc double[MaxVarianceRank];
            for (; ; m++)
            {
                error = 0;
                foreach (var k in samples)
                {
                    double sum = 0, diff = 0;
                    for (int j = 0; j < n; j++)
                    {
                        for (int a = 0; a < m; a++)
                        {
                            double s = 0;
                            for (int i = 0; i < n; i++) s += k[j * n + i] * vectors[i * n + a];
                            coef[a] = s;
                        }
                        for (int i = 0; i < n; i++)
                        {
                            double p = 0;
                            for (int a = 0; a < m; a++) p += coef[a] * vectors[i * n + a];
                            diff += Math.Abs(p - k[j * n + i]);
                            sum += k[j * n + i];
                        }
                    }
                    error = Math.Max(error, diff / sum);
                }
                if (error <= VarianceProjectionTolerance || m >= MaxVarianceRank) break;
            }
            var f = new float[m][];
            for (int a = 0; a < m; a++)
            {
                f[a] = new float[n];
                for (int i = 0; i < n; i++) f[a][i] = (float)vectors[i * n + a];
            }
            return f;
        }

        /// <summary>Vertical variance taps along row y as quartics in xn: w[k][a][j], k = 0..4, from
        /// <see cref="VarianceTapPolynomials"/> (each a polynomial in yn of degree at most 4 - k).</summary>
        public void VarianceRowTaps(double y, float[] w)
        {
            int mn = Projection.Length * (2 * Half + 1);
            double yn = Kernel.Scaled(0, y).Yn;
            var c = VarianceTapPolynomials;
            for (int k = 0; k <= 4; k++)
                for (int i = 0; i < mn; i++)
                {
                    double v = 0;
                    for (int l = 4 - k; l >= 0; l--) v = v * yn + c[(k * 5 + l) * mn + i];
                    w[k * mn + i] = (float)v;
                }
        }

        /// <summary>The variance taps' coefficients: [(k * 5 + l) * m n + a n + j] multiplies xn^k yn^l (k + l &lt;= 4).
        /// K = sum_{p+q &lt;= 2} xn^p yn^q B_pq with B_pq from the Chebyshev terms' images A_t, so K^2 = sum xn^k yn^l Q_kl with
        /// Q_kl = sum over p + p' = k, q + q' = l of B_pq B_p'q' (pixel by pixel); each Q_kl row j is projected on the vectors
        /// f_a.</summary>
        public double[] VarianceTapPolynomials { get; private set; } = [];

        private double[] TapPolynomials()
        {
            int n = 2 * Half + 1, nn = n * n, m = Projection.Length;
            var b = new Dictionary<(int P, int Q), double[]>
            {
                [(0, 0)] = new double[nn], [(1, 0)] = A[1], [(0, 1)] = A[2], [(2, 0)] = new double[nn], [(1, 1)] = A[4], [(0, 2)] = new double[nn],
            };
            for (int i = 0; i < nn; i++)
            {
                b[(0, 0)][i] = A[0][i] - A[3][i] - A[5][i];
                b[(2, 0)][i] = 2 * A[3][i];
                b[(0, 2)][i] = 2 * A[5][i];
            }
            var c = new double[25 * m * n];
            var q = new double[nn];
            for (int k = 0; k <= 4; k++)
                for (int l = 0; k + l <= 4; l++)
                {
                    Array.Clear(q);
                    foreach (var ((p1, q1), b1) in b)
                        foreach (var ((p2, q2), b2) in b)
                            if (p1 + p2 == k && q1 + q2 == l)
                                for (int i = 0; i < nn; i++) q[i] += b1[i] * b2[i];
                    for (int a = 0; a < m; a++)
                    {
                        var fa = Projection[a];
                        for (int j = 0; j < n; j++)
                        {
                            double sum = 0;
                            for (int i = 0; i < n; i++) sum += q[j * n + i] * fa[i];
                            c[(k * 5 + l) * m * n + a * n + j] = sum;
                        }
                    }
                }
            return c;
        }

        /// <summary>The reference of <see cref="VarianceRowTaps"/>: K's quadratic in xn along the row squared and projected,
        /// pixel by pixel, for every row.</summary>
        public void VarianceRowTapsReference(double y, double[] p, double[] kk, float[] w)
        {
            int n = 2 * Half + 1, m = Projection.Length;
            Span<double> p0 = stackalloc double[6], p1 = stackalloc double[6], p2 = stackalloc double[6];
            RowTerms(y, p0, p1, p2);
            // K = P0 + P1 xn + P2 xn^2 (p: 3 images), K^2 = sum_k Q_k xn^k (kk: 5 images).
            Array.Clear(p);
            for (int t = 0; t < 6; t++)
            {
                var at = A[t];
                double a0 = p0[t], a1 = p1[t], a2 = p2[t];
                if (a0 == 0 && a1 == 0 && a2 == 0) continue;
                for (int i = 0; i < n * n; i++)
                {
                    p[i] += a0 * at[i];
                    p[n * n + i] += a1 * at[i];
                    p[2 * n * n + i] += a2 * at[i];
                }
            }
            int nn = n * n;
            for (int i = 0; i < nn; i++)
            {
                double q0 = p[i], q1 = p[nn + i], q2 = p[2 * nn + i];
                kk[i] = q0 * q0;
                kk[nn + i] = 2 * q0 * q1;
                kk[2 * nn + i] = q1 * q1 + 2 * q0 * q2;
                kk[3 * nn + i] = 2 * q1 * q2;
                kk[4 * nn + i] = q2 * q2;
            }
            for (int k = 0; k < 5; k++)
                for (int a = 0; a < m; a++)
                {
                    var fa = Projection[a];
                    for (int j = 0; j < n; j++)
                    {
                        double s = 0;
                        int row = k * nn + j * n;
                        for (int i = 0; i < n; i++) s += kk[row + i] * fa[i];
                        w[(k * m + a) * n + j] = (float)s;
                    }
                }
        }
    }

    /// <summary>Per-thread buffers, rented once per band.</summary>
    internal sealed class Scratch : IDisposable
    {
        public Scratch(Plan plan)
        {
            int n = 2 * plan.Half + 1, rows = TileRows + n - 1, m = plan.Projection.Length, nb = plan.VerticalTaps.Length;
            int block = PsfMatchKernels.BlockRows;
            Horizontal = ArrayPool<float>.Shared.Rent(plan.HorizontalTaps.Length * rows * TileColumns);
            VarianceHorizontal = ArrayPool<float>.Shared.Rent(m * rows * TileColumns);
            Image = ArrayPool<float>.Shared.Rent(block * TileColumns);
            Variance = ArrayPool<float>.Shared.Rent(block * TileColumns);
            Xn = ArrayPool<float>.Shared.Rent(TileColumns);
            MaskRows = ArrayPool<int>.Shared.Rent(rows * TileColumns);
            MaskTmp = ArrayPool<int>.Shared.Rent(TileColumns + 2 * n);
            VarTaps = new float[5 * m * n];
            EdgeTaps = new float[block * (TileColumns / VarianceGroup + 1) * m * n];
            BandVarTaps = new float[TileRows * VarTaps.Length];
            WeightA = new float[nb * block];
            WeightB = new float[nb * block];
            WeightC = new float[nb * block];
        }

        /// <summary>The variance row taps of every row of the band.</summary>
        public float[] BandVarTaps { get; }

        public float[] Horizontal { get; }
        public float[] VarianceHorizontal { get; }
        public float[] Image { get; }
        public float[] Variance { get; }
        public float[] Xn { get; }
        public int[] MaskRows { get; }
        public int[] MaskTmp { get; }
        public float[] VarTaps { get; }

        /// <summary>Variance taps at each group edge of the tile, per row of a block: [row][edge][a][j].</summary>
        public float[] EdgeTaps { get; }

        /// <summary>Per basis kernel and row of a block, the weight d_b = A + B xn + C xn^2: [b * BlockRows + k].</summary>
        public float[] WeightA { get; }
        public float[] WeightB { get; }
        public float[] WeightC { get; }

        public void Dispose()
        {
            ArrayPool<float>.Shared.Return(Horizontal);
            ArrayPool<float>.Shared.Return(VarianceHorizontal);
            ArrayPool<float>.Shared.Return(Image);
            ArrayPool<float>.Shared.Return(Variance);
            ArrayPool<float>.Shared.Return(Xn);
            ArrayPool<int>.Shared.Return(MaskRows);
            ArrayPool<int>.Shared.Return(MaskTmp);
        }
    }

    /// <summary>Row r of the tile's horizontally convolved planes (each rows x TileColumns in <paramref name="planes"/>),
    /// from the source row around column <paramref name="x0"/>; columns tw..width are zero.</summary>
    private static void RowGroups(Plan.RowGroup[] groups, ReadOnlySpan<float> row, int x0, int tw, float[] planes, int rows, int r, int width)
    {
        foreach (var g in groups)
        {
            int t = g.Length / 2;
            Span<float> d0 = planes.AsSpan((g.Planes[0] * rows + r) * TileColumns, width), d1 = planes.AsSpan((g.Planes[1] * rows + r) * TileColumns, width),
                        d2 = planes.AsSpan((g.Planes[2] * rows + r) * TileColumns, width);
            PsfMatchKernels.RowPasses3(row.Slice(x0 - t, tw + 2 * t), g.Taps, g.Length, d0[..tw], d1[..tw], d2[..tw]);
            d0[tw..].Clear();
            d1[tw..].Clear();
            d2[tw..].Clear();
        }
    }

    private static void Tile(Plan plan, Scratch s, MaskedImage src, MaskedImage dst, int x0, int x1, int y0, int y1, int noData)
    {
        int h = plan.Half, n = 2 * h + 1, tw = x1 - x0, rows = y1 - y0 + n - 1, m = plan.Projection.Length;
        // Columns are computed in whole groups (the padding columns read zeros and are not written out).
        int width = (tw + VarianceGroup - 1) / VarianceGroup * VarianceGroup, edges = width / VarianceGroup + 1;
        int sx0 = src.BBox.MinX, sy0 = src.BBox.MinY, dx0 = dst.BBox.MinX, dy0 = dst.BBox.MinY;
        var sImage = src.Image.Plane;
        var sVar = src.Variance.Plane;
        var sMask = src.Mask.Image.Plane;
        // Horizontal passes: image (one per Gaussian and power of u), variance (one per projection vector), mask.
        for (int r = 0; r < rows; r++)
        {
            int yy = y0 - h + r - sy0;
            var irow = sImage.GetRowSpan(yy);
            RowGroups(plan.ImageRowGroups, irow, x0 - sx0, tw, s.Horizontal, rows, r, width);
            RowGroups(plan.VarianceRowGroups, sVar.GetRowSpan(yy), x0 - sx0, tw, s.VarianceHorizontal, rows, r, width);
            MaskOr.Window(sMask.GetRowSpan(yy).Slice(x0 - h - sx0, tw + 2 * h), n, s.MaskRows.AsSpan(r * TileColumns, tw), s.MaskTmp);
        }
        // Vertical OR over n rows: row r becomes the OR of rows r .. r + span - 1 (doubling), then two overlapping windows.
        int span = 1;
        for (; 2 * span <= n; span *= 2)
            for (int r = 0; r + span < rows; r++)
            {
                var row = s.MaskRows.AsSpan(r * TileColumns, tw);
                TensorPrimitives.BitwiseOr(row, s.MaskRows.AsSpan((r + span) * TileColumns, tw), row);
            }
        int shift = n - span;
        var region = plan.Kernel.Region;
        double xc = region.MinX + (region.Width - 1) * 0.5, xh = region.Width * 0.5;
        for (int i = 0; i < width; i++) s.Xn[i] = (float)((x0 + i - xc) / xh);
        int nb = plan.VerticalTaps.Length, mn = m * n;
        Span<double> p0 = stackalloc double[6], p1 = stackalloc double[6], p2 = stackalloc double[6];
        Span<float> sums = stackalloc float[3 * PsfMatchKernels.BlockRows];
        for (int y = y0; y < y1;)
        {
            int block = y1 - y >= PsfMatchKernels.BlockRows ? PsfMatchKernels.BlockRows : 1;
            int r0 = y - y0;   // first horizontal row of the block's first output
            // Per row of the block: each basis kernel's weight as a quadratic in xn, and the kernel's sum likewise.
            for (int k = 0; k < block; k++)
            {
                plan.RowTerms(y + k, p0, p1, p2);
                double sa = 0, sb = 0, sc = 0;
                for (int b = 0; b < nb; b++)
                {
                    double a = 0, bb = 0, c = 0;
                    for (int t = 0; t < 6; t++)
                    {
                        double dv = plan.D[b * 6 + t];
                        a += dv * p0[t]; bb += dv * p1[t]; c += dv * p2[t];
                    }
                    sa += a * plan.TapSums[b]; sb += bb * plan.TapSums[b]; sc += c * plan.TapSums[b];
                    s.WeightA[b * PsfMatchKernels.BlockRows + k] = (float)a;
                    s.WeightB[b * PsfMatchKernels.BlockRows + k] = (float)bb;
                    s.WeightC[b * PsfMatchKernels.BlockRows + k] = (float)c;
                }
                sums[3 * k] = (float)sa; sums[3 * k + 1] = (float)sb; sums[3 * k + 2] = (float)sc;
                // Variance taps at the group edges x0 - 0.5 + g G (parent pixels) from the row's quartics in xn; each column's
                // sum is interpolated linearly between its group's two edges (afw interpolates kernel images likewise, over <= 10 px).
                var rowTaps = s.BandVarTaps.AsSpan((r0 + k) * s.VarTaps.Length, s.VarTaps.Length);
                for (int g = 0; g < edges; g++)
                    PsfMatchKernels.Quartic(rowTaps, (float)((x0 - 0.5 + g * VarianceGroup - xc) / xh), s.EdgeTaps.AsSpan((k * edges + g) * mn, mn));
            }
            var acc = s.Image.AsSpan(0, PsfMatchKernels.BlockRows * TileColumns);
            acc.Clear();
            for (int b = 0; b < nb; b++)
            {
                var taps = plan.VerticalTaps[b];
                int t2 = taps.Length / 2;
                int k = plan.HorizontalOf[b];
                ref float first = ref s.Horizontal[(k * rows + r0 + h - t2) * TileColumns];
                PsfMatchKernels.WeightedColumns(ref first, TileColumns, taps, s.Xn.AsSpan(0, width),
                    s.WeightA.AsSpan(b * PsfMatchKernels.BlockRows, block), s.WeightB.AsSpan(b * PsfMatchKernels.BlockRows, block),
                    s.WeightC.AsSpan(b * PsfMatchKernels.BlockRows, block), acc, TileColumns, block, width);
            }
            var vacc = s.Variance.AsSpan(0, PsfMatchKernels.BlockRows * TileColumns);
            PsfMatchKernels.VarianceColumns(ref s.VarianceHorizontal[r0 * TileColumns], rows * TileColumns, TileColumns, m, n, s.EdgeTaps,
                edges, VarianceGroup, vacc, TileColumns, block, width);
            for (int k = 0; k < block; k++)
            {
                int yk = y + k - dy0;
                var dmask = dst.Mask.Image.Plane.GetRowSpan(yk).Slice(x0 - dx0, tw);
                TensorPrimitives.BitwiseOr(s.MaskRows.AsSpan((r0 + k) * TileColumns, tw), s.MaskRows.AsSpan((r0 + k + shift) * TileColumns, tw), dmask);
                PsfMatchKernels.Normalise(acc.Slice(k * TileColumns, tw), vacc.Slice(k * TileColumns, tw), s.Xn.AsSpan(0, tw),
                    sums[3 * k], sums[3 * k + 1], sums[3 * k + 2], dst.Image.Plane.GetRowSpan(yk).Slice(x0 - dx0, tw),
                    dst.Variance.Plane.GetRowSpan(yk).Slice(x0 - dx0, tw), dmask, noData);
            }
            y += block;
        }
    }
}
