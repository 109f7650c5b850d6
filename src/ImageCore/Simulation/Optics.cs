using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ImageCore.Astrometry;
using ImageCore.Camera;

namespace ImageCore.Simulation;

/// <summary>Where a visit points: the boresight (degrees) and the rotator position angle ROTPA (degrees,
/// the angle from North through East of the focal plane's +y axis).</summary>
internal readonly record struct Pointing(double Ra, double Dec, double RotPa);

/// <summary>
/// The simulator's telescope: focal plane (mm) to sky through the camera's plate scale, a mild radial
/// distortion <c>r_sky = r (1 + k r^2)</c> about the boresight, the rotator angle, and the gnomonic
/// projection at the boresight. At ROTPA 0 the focal plane's +y points North and +x West (East to the
/// left, as on the sky). From it each detector gets a fitted TAN-SIP <see cref="SkyWcs"/> (order 3), as
/// a camera-geometry pipeline would give; <see cref="WcsFitError"/> says how well it reproduces the model.
/// </summary>
internal static class Optics
{
    /// <summary>Radial distortion coefficient k, 1/mm^2: about 0.1 mm (10 pixels) at the 320 mm edge of the field.</summary>
    public const double DistortionPerMm2 = 3e-9;

    /// <summary>SIP order of the fitted detector WCS.</summary>
    public const int SipOrder = 3;

    private const double Deg = Math.PI / 180;

    /// <summary>(RA, Dec), degrees, of focal-plane position (x, y), mm.</summary>
    public static (double Ra, double Dec) FocalPlaneToSky(Pointing pointing, CameraModel camera, double x, double y)
    {
        ArgumentNullException.ThrowIfNull(camera);
        return FocalPlaneToSky(Boresight(pointing), Math.SinCos(pointing.RotPa * Deg), camera, x, y);
    }

    /// <summary><see cref="FocalPlaneToSky(Pointing, CameraModel, double, double)"/> with the boresight's tangent plane and
    /// the rotator's (sin, cos) made once for many points.</summary>
    private static (double Ra, double Dec) FocalPlaneToSky(SkyWcs boresight, (double Sin, double Cos) rotator, CameraModel camera, double x, double y)
    {
        double scaleDegPerMm = camera.PlateScaleArcsecPerMm / 3600;
        double r2 = x * x + y * y, stretch = 1 + DistortionPerMm2 * r2;
        var (s, c) = rotator;
        double xr = c * x - s * y, yr = s * x + c * y;
        double xi = -xr * stretch * scaleDegPerMm, eta = yr * stretch * scaleDegPerMm;   // degrees on the tangent plane
        return boresight.PixelToSky(xi, eta);
    }

    /// <summary>The TAN-SIP WCS of <paramref name="detector"/>'s trimmed image for <paramref name="pointing"/>:
    /// reference pixel at the image centre, CRVAL its sky position, CD and SIP A/B (orders 2 to 3) fitted by least
    /// squares to the optical model on a 17 x 17 grid over the image, and AP/BP fitted the other way.</summary>
    public static SkyWcs DetectorWcs(Pointing pointing, CameraModel camera, Detector detector)
    {
        ArgumentNullException.ThrowIfNull(detector);
        var grid = FitGrid.Of(camera, detector);
        var crval = FocalPlaneToSky(pointing, camera, detector.CenterMm.X, detector.CenterMm.Y);
        var tangent = new SkyWcs((0, 0), crval, new double[,] { { 1, 0 }, { 0, 1 } });   // sky -> degrees on the detector's tangent plane
        var boresight = Boresight(pointing);
        var rotator = Math.SinCos(pointing.RotPa * Deg);
        var xi = new double[grid.Count];
        var eta = new double[grid.Count];
        for (int k = 0; k < grid.Count; k++)
        {
            var (ra, dec) = FocalPlaneToSky(boresight, rotator, camera, grid.FocalX[k], grid.FocalY[k]);
            (xi[k], eta[k]) = tangent.SkyToPixel(ra, dec);
        }
        var (cd, sipA, sipB) = FitForward(grid, xi, eta);
        // AP/BP: from the undistorted offsets back to the pixel offsets.
        double[] u = grid.U, v = grid.V;
        var up = new double[u.Length];
        var vp = new double[u.Length];
        var du = new double[u.Length];
        var dv = new double[u.Length];
        for (int k = 0; k < u.Length; k++)
        {
            up[k] = u[k] + sipA.Evaluate(u[k], v[k]);
            vp[k] = v[k] + sipB.Evaluate(u[k], v[k]);
            (du[k], dv[k]) = (u[k] - up[k], v[k] - vp[k]);
        }
        var inverseTerms = Terms(1, SipOrder);
        var inverse = LeastSquares(up, vp, [du, dv], inverseTerms);
        double[] cap = inverse[0], cbp = inverse[1];
        var ap = new double[SipOrder + 1, SipOrder + 1];
        var bp = new double[SipOrder + 1, SipOrder + 1];
        for (int t = 0; t < inverseTerms.Length; t++)
        {
            var (p, q) = inverseTerms[t];
            ap[p, q] = cap[t];
            bp[p, q] = cbp[t];
        }
        return new SkyWcs(grid.CrPix, crval, cd, sipA, sipB, new SipPolynomial(SipOrder, ap), new SipPolynomial(SipOrder, bp));
    }

    /// <summary>
    /// The pixel-to-sky half of <see cref="DetectorWcs"/> (CRPIX, CRVAL, CD, SIP A/B; no AP/BP, so its
    /// <see cref="SkyWcs.SkyToPixel(double, double)"/> inverts A/B by iteration), made for planning many visits: the
    /// grid's focal-plane positions come from <paramref name="grid"/> (made once per detector), and each point's position
    /// on the detector's tangent plane is found from its position on the boresight's by the rotation that takes one
    /// tangent point to the other (a gnomonic projection maps to another by a projective transformation of the plane),
    /// not by deprojecting to (RA, Dec) and projecting again: no trigonometry per point. Mathematically the same
    /// positions; numerically they differ from <see cref="DetectorWcs"/>'s in the last bits (about 1e-15 relative), and
    /// so do the fitted coefficients.
    /// </summary>
    public static SkyWcs DetectorWcsForward(Pointing pointing, CameraModel camera, FitGrid grid) => DetectorWcsForward(VisitFrame.Of(pointing, camera), grid);

    /// <summary><see cref="DetectorWcsForward(Pointing, CameraModel, FitGrid)"/> with what it takes from the visit alone
    /// (<paramref name="visit"/>, made once per visit): the same operations on the same numbers, so the same WCS.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first raw: no slow tier 0 while the JIT catches up
    public static SkyWcs DetectorWcsForward(VisitFrame visit, FitGrid grid)
    {
        ArgumentNullException.ThrowIfNull(visit);
        ArgumentNullException.ThrowIfNull(grid);
        var crval = FocalPlaneToSky(visit.Boresight, visit.Rotator, visit.Camera, grid.CenterMm.X, grid.CenterMm.Y);
        // Unit vectors (east, north, radial) of both tangent points; m = the detector's basis in rows times the
        // boresight's in columns takes a point's (xi, eta, 1) on the boresight's plane to the detector's frame.
        Span<double> d = stackalloc double[9], m = stackalloc double[9];
        ReadOnlySpan<double> b = visit.Basis;
        TangentBasis(crval.Ra, crval.Dec, d);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) m[r * 3 + c] = d[r * 3] * b[c * 3] + d[r * 3 + 1] * b[c * 3 + 1] + d[r * 3 + 2] * b[c * 3 + 2];
        double scaleDegPerMm = visit.Camera.PlateScaleArcsecPerMm / 3600;
        var (s, c0) = visit.Rotator;
        // The grid's positions on the stack (289 of each): a planned night fits 151,200 WCSs.
        Span<double> xi = grid.Count <= 1024 ? stackalloc double[grid.Count] : new double[grid.Count];
        Span<double> eta = grid.Count <= 1024 ? stackalloc double[grid.Count] : new double[grid.Count];
        double[] focalX = grid.FocalX, focalY = grid.FocalY;
        for (int k = 0; k < xi.Length; k++)
        {
            double x = focalX[k], y = focalY[k];
            double r2 = x * x + y * y, stretch = 1 + DistortionPerMm2 * r2;
            double xr = c0 * x - s * y, yr = s * x + c0 * y;
            double px = -xr * stretch * scaleDegPerMm * Deg, py = yr * stretch * scaleDegPerMm * Deg;   // radians on the boresight's plane
            double ex = m[0] * px + m[1] * py + m[2], ny = m[3] * px + m[4] * py + m[5], rz = m[6] * px + m[7] * py + m[8];
            (xi[k], eta[k]) = (ex / rz / Deg, ny / rz / Deg);
        }
        Span<double> cx = stackalloc double[ForwardTerms.Length], cy = stackalloc double[ForwardTerms.Length];
        grid.Factor.Solve(xi, eta, cx, cy);
        var (cd, sipA, sipB) = ForwardWcsParts(cx, cy);
        return new SkyWcs(grid.CrPix, crval, cd, sipA, sipB);
    }

    /// <summary>What <see cref="DetectorWcsForward(VisitFrame, FitGrid)"/> takes from the visit alone: the pointing's
    /// boresight tangent plane, the rotator's (sin, cos) and the boresight's tangent basis (<see cref="TangentBasis"/>).</summary>
    internal sealed class VisitFrame
    {
        private readonly double[] _basis = new double[9];

        private VisitFrame(Pointing pointing, CameraModel camera)
        {
            Camera = camera;
            Boresight = Optics.Boresight(pointing);
            Rotator = Math.SinCos(pointing.RotPa * Deg);
            TangentBasis(pointing.Ra, pointing.Dec, _basis);
        }

        /// <summary>The camera.</summary>
        public CameraModel Camera { get; }

        /// <summary>The boresight's tangent plane as a WCS whose "pixels" are degrees.</summary>
        public SkyWcs Boresight { get; }

        /// <summary>(sin, cos) of the rotator angle.</summary>
        public (double Sin, double Cos) Rotator { get; }

        /// <summary>The boresight's rows east, north and radial.</summary>
        public ReadOnlySpan<double> Basis => _basis;

        /// <summary>The frame of <paramref name="pointing"/> for <paramref name="camera"/>.</summary>
        public static VisitFrame Of(Pointing pointing, CameraModel camera)
        {
            ArgumentNullException.ThrowIfNull(camera);
            return new VisitFrame(pointing, camera);
        }
    }

    /// <summary>Rows east, north and radial (unit vectors, equatorial frame) of the tangent plane at (RA, Dec), degrees:
    /// the frame <see cref="SkyWcs"/>'s TAN projection (LONPOLE 180) measures xi and eta in.</summary>
    internal static void TangentBasis(double ra, double dec, Span<double> basis)
    {
        var (sa, ca) = Math.SinCos(ra * Deg);
        var (sd, cd) = Math.SinCos(dec * Deg);
        (basis[0], basis[1], basis[2]) = (-sa, ca, 0);
        (basis[3], basis[4], basis[5]) = (-sd * ca, -sd * sa, cd);
        (basis[6], basis[7], basis[8]) = (cd * ca, cd * sa, sd);
    }

    [ThreadStatic]
    private static double[,]? _forwardCd, _forwardA, _forwardB;

    /// <summary>The monomials of the forward fit: orders 1 to <see cref="SipOrder"/>.</summary>
    private static readonly (int P, int Q)[] ForwardTerms = Terms(1, SipOrder);

    /// <summary>CD and SIP A/B fitted to the grid's positions (<paramref name="xi"/>, <paramref name="eta"/>: degrees on
    /// the detector's tangent plane): the linear part fitted together with the distortion, so that SIP holds only orders
    /// 2 and 3.</summary>
    private static (double[,] Cd, SipPolynomial A, SipPolynomial B) FitForward(FitGrid grid, double[] xi, double[] eta)
    {
        var fit = NormalFactor.OfGrid(grid.Width, grid.Height, grid.U, grid.V, ForwardTerms).Solve([xi, eta]);   // the grid's design matrix, shared by every fit of this size
        return ForwardWcsParts(fit[0], fit[1]);
    }

    /// <summary>CD and SIP A/B from the forward fit's coefficients <paramref name="cx"/> and <paramref name="cy"/> (of
    /// <see cref="ForwardTerms"/>): SIP A/B are the higher terms mapped back to pixels through CD^-1. The CD returned is
    /// the thread's scratch, overwritten by its next fit: a <see cref="SkyWcs"/> made from it keeps a copy.</summary>
    private static (double[,] Cd, SipPolynomial A, SipPolynomial B) ForwardWcsParts(ReadOnlySpan<double> cx, ReadOnlySpan<double> cy)
    {
        var terms = ForwardTerms;
        // The arrays are the thread's own, reused fit to fit: SkyWcs and SipPolynomial copy what they are given.
        var cd = _forwardCd ??= new double[2, 2];
        (cd[0, 0], cd[0, 1], cd[1, 0], cd[1, 1]) = (cx[0], cx[1], cy[0], cy[1]);
        double det = cd[0, 0] * cd[1, 1] - cd[0, 1] * cd[1, 0];
        var a = _forwardA ??= new double[SipOrder + 1, SipOrder + 1];
        var b = _forwardB ??= new double[SipOrder + 1, SipOrder + 1];
        Array.Clear(a);
        Array.Clear(b);
        for (int t = 2; t < terms.Length; t++)
        {
            var (p, q) = terms[t];
            a[p, q] = (cd[1, 1] * cx[t] - cd[0, 1] * cy[t]) / det;
            b[p, q] = (-cd[1, 0] * cx[t] + cd[0, 0] * cy[t]) / det;
        }
        return (cd, new SipPolynomial(SipOrder, a), new SipPolynomial(SipOrder, b));
    }

    /// <summary>
    /// What <see cref="DetectorWcs"/>'s fit takes from the detector alone, whatever the visit: the 17 x 17 grid over the
    /// trimmed image, its offsets from the reference pixel (the image centre) and its focal-plane positions (mm).
    /// </summary>
    internal sealed class FitGrid
    {
        private const int N = 17;
        private NormalFactor? _factor;

        private FitGrid(Detector detector, double[] u, double[] v, double[] focalX, double[] focalY)
        {
            (Width, Height, CenterMm) = (detector.BBox.Width, detector.BBox.Height, detector.CenterMm);
            CrPix = ((Width - 1) / 2.0, (Height - 1) / 2.0);
            (U, V, FocalX, FocalY) = (u, v, focalX, focalY);
        }

        /// <summary>The trimmed image's width, pixels.</summary>
        public int Width { get; }

        /// <summary>The trimmed image's height, pixels.</summary>
        public int Height { get; }

        /// <summary>The detector's centre on the focal plane, mm.</summary>
        public (double X, double Y) CenterMm { get; }

        /// <summary>The reference pixel: the image centre.</summary>
        public (double X, double Y) CrPix { get; }

        /// <summary>The grid's points.</summary>
        public int Count => U.Length;

        /// <summary>The forward fit's design-matrix part for this grid (<see cref="NormalFactor.OfGrid"/>, shared by every
        /// grid of this size), looked up once per detector rather than once per fit.</summary>
        internal NormalFactor Factor => _factor ??= NormalFactor.OfGrid(Width, Height, U, V, ForwardTerms);

        /// <summary>Each point's x offset from the reference pixel.</summary>
        public double[] U { get; }

        /// <summary>Each point's y offset from the reference pixel.</summary>
        public double[] V { get; }

        /// <summary>Each point's focal-plane x, mm.</summary>
        public double[] FocalX { get; }

        /// <summary>Each point's focal-plane y, mm.</summary>
        public double[] FocalY { get; }

        /// <summary>The grid of <paramref name="detector"/> of <paramref name="camera"/>.</summary>
        public static FitGrid Of(CameraModel camera, Detector detector)
        {
            ArgumentNullException.ThrowIfNull(camera);
            ArgumentNullException.ThrowIfNull(detector);
            int w = detector.BBox.Width, h = detector.BBox.Height;
            (double X, double Y) crpix = ((w - 1) / 2.0, (h - 1) / 2.0);
            var u = new double[N * N];
            var v = new double[N * N];
            var fx = new double[N * N];
            var fy = new double[N * N];
            for (int j = 0, k = 0; j < N; j++)
                for (int i = 0; i < N; i++, k++)
                {
                    double x = (w - 1) * i / (double)(N - 1), y = (h - 1) * j / (double)(N - 1);
                    (fx[k], fy[k]) = camera.PixelToFocalPlane(detector, x, y);
                    (u[k], v[k]) = (x - crpix.X, y - crpix.Y);
                }
            return new FitGrid(detector, u, v, fx, fy);
        }
    }

    /// <summary>The largest distance, in pixels, between where <paramref name="wcs"/> and the optical model put the
    /// pixels of a 33 x 33 grid over the detector (measured on the sky, divided by the pixel scale).</summary>
    public static double WcsFitError(Pointing pointing, CameraModel camera, Detector detector, SkyWcs wcs)
    {
        ArgumentNullException.ThrowIfNull(wcs);
        int w = detector.BBox.Width, h = detector.BBox.Height;
        double worst = 0;
        for (int j = 0; j <= 32; j++)
            for (int i = 0; i <= 32; i++)
            {
                double x = (w - 1) * i / 32.0, y = (h - 1) * j / 32.0;
                var fp = camera.PixelToFocalPlane(detector, x, y);
                var (ra, dec) = FocalPlaneToSky(pointing, camera, fp.X, fp.Y);
                var (px, py) = wcs.SkyToPixel(ra, dec);
                worst = Math.Max(worst, Math.Max(Math.Abs(px - x), Math.Abs(py - y)));
            }
        return worst;
    }

    /// <summary>The boresight's tangent plane as a WCS whose "pixels" are degrees (CD = identity).</summary>
    private static SkyWcs Boresight(Pointing pointing) => new((0, 0), (pointing.Ra, pointing.Dec), new double[,] { { 1, 0 }, { 0, 1 } });

    /// <summary>The monomials u^p v^q with lowest &lt;= p + q &lt;= highest, by total degree.</summary>
    private static (int P, int Q)[] Terms(int lowest, int highest)
    {
        var list = new List<(int, int)>();
        for (int d = lowest; d <= highest; d++)
            for (int q = 0; q <= d; q++) list.Add((d - q, q));
        return [.. list];
    }

    /// <summary>Least-squares coefficients of <paramref name="terms"/> for each z of <paramref name="zs"/>, z ~ sum c u^p v^q
    /// (normal equations in u and v scaled to [-1, 1], Gaussian elimination with partial pivoting; the systems are at most
    /// 9 x 9).</summary>
    private static double[][] LeastSquares(double[] u, double[] v, double[][] zs, (int P, int Q)[] terms) =>
        NormalFactor.Of(u, v, terms).Solve(zs);

    /// <summary>The design matrix's part of a least-squares fit, by detector size: the first fit's grid offsets depend only
    /// on the detector's size, so every visit's fit of a detector (and every detector of that size) shares it.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int W, int H), NormalFactor> GridFactors = new();

    /// <summary>
    /// The normal equations of a fit with the right-hand sides left out: each point's term values, and the elimination's
    /// pivots and multipliers (they come from the matrix part only). <see cref="Solve(double[][])"/> replays on a right-hand side
    /// exactly the operations the elimination of the augmented matrix did on its last column, so a fit through a shared
    /// factor is bit for bit the fit of the augmented matrix.
    /// </summary>
    internal sealed class NormalFactor
    {
        private readonly double _scale;
        private readonly (int P, int Q)[] _terms;
        private readonly double[][] _rows;
        private readonly int[] _pivots;
        private readonly double[,] _multipliers;
        private readonly double[] _diagonal;
        private readonly double[] _flatRows;   // _rows end to end: point k's term t at k * terms + t
        private readonly double[] _scalePowers;   // Math.Pow(_scale, P + Q) of each term: the divisor of its coefficient

        private NormalFactor(double scale, (int P, int Q)[] terms, double[][] rows, int[] pivots, double[,] multipliers, double[] diagonal)
        {
            (_scale, _terms, _rows, _pivots, _multipliers, _diagonal) = (scale, terms, rows, pivots, multipliers, diagonal);
            _flatRows = new double[rows.Length * terms.Length];
            for (int k = 0; k < rows.Length; k++) rows[k].CopyTo(_flatRows, k * terms.Length);
            _scalePowers = new double[terms.Length];
            for (int i = 0; i < terms.Length; i++) _scalePowers[i] = Math.Pow(scale, terms[i].P + terms[i].Q);
        }

        public static NormalFactor Of(double[] u, double[] v, (int P, int Q)[] terms)
        {
            double scale = 0;
            for (int k = 0; k < u.Length; k++) scale = Math.Max(scale, Math.Max(Math.Abs(u[k]), Math.Abs(v[k])));
            if (scale == 0) scale = 1;
            int m = terms.Length, order = 0;
            foreach (var (p, q) in terms) order = Math.Max(order, Math.Max(p, q));
            var a = new double[m, m];
            var rows = new double[u.Length][];
            // The powers of each point, computed once for all terms: the same Math.Pow values (pow(x, 0) = 1 and
            // pow(x, 1) = x exactly), so the fit is bit for bit what a Math.Pow per term gave, at a fraction of the calls.
            Span<double> pu = stackalloc double[order + 1], pv = stackalloc double[order + 1];
            for (int k = 0; k < u.Length; k++)
            {
                double su = u[k] / scale, sv = v[k] / scale;
                for (int e = 0; e <= order; e++)
                    (pu[e], pv[e]) = e switch { 0 => (1.0, 1.0), 1 => (su, sv), _ => (Math.Pow(su, e), Math.Pow(sv, e)) };
                var row = rows[k] = new double[m];
                for (int t = 0; t < m; t++) row[t] = pu[terms[t].P] * pv[terms[t].Q];
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < m; j++) a[i, j] += row[i] * row[j];
            }
            var pivots = new int[m];
            var multipliers = new double[m, m];
            for (int c = 0; c < m; c++)
            {
                int pivot = c;
                for (int r = c + 1; r < m; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
                pivots[c] = pivot;
                for (int k = 0; k < m; k++) (a[c, k], a[pivot, k]) = (a[pivot, k], a[c, k]);
                for (int r = 0; r < m; r++)
                {
                    if (r == c) continue;
                    double f = multipliers[c, r] = a[r, c] / a[c, c];
                    for (int k = c; k < m; k++) a[r, k] -= f * a[c, k];
                }
            }
            var diagonal = new double[m];
            for (int i = 0; i < m; i++) diagonal[i] = a[i, i];
            return new NormalFactor(scale, terms, rows, pivots, multipliers, diagonal);
        }

        public static NormalFactor OfGrid(int width, int height, double[] u, double[] v, (int P, int Q)[] terms) =>
            GridFactors.GetOrAdd((width, height), _ => Of(u, v, terms));

        public double[][] Solve(double[][] zs)
        {
            int m = _terms.Length;
            var x = new double[zs.Length][];
            var b = new double[m];
            for (int r = 0; r < zs.Length; r++)
            {
                var z = zs[r];
                Array.Clear(b);
                for (int k = 0; k < _rows.Length; k++)
                {
                    var row = _rows[k];
                    for (int i = 0; i < m; i++) b[i] += row[i] * z[k];
                }
                for (int c = 0; c < m; c++)
                {
                    (b[c], b[_pivots[c]]) = (b[_pivots[c]], b[c]);
                    for (int i = 0; i < m; i++) if (i != c) b[i] -= _multipliers[c, i] * b[c];
                }
                x[r] = new double[m];
                for (int i = 0; i < m; i++) x[r][i] = b[i] / _diagonal[i] / _scalePowers[i];
            }
            return x;
        }

        /// <summary><see cref="Solve(double[][])"/> of the two right-hand sides <paramref name="z0"/> and <paramref name="z1"/>
        /// into <paramref name="x0"/> and <paramref name="x1"/>, without allocating: each sum taken over the points in the
        /// same order and the same elimination replayed, so the same coefficients to the bit.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first raw: no slow tier 0 while the JIT catches up
        public void Solve(ReadOnlySpan<double> z0, ReadOnlySpan<double> z1, Span<double> x0, Span<double> x1)
        {
            int m = _terms.Length, n = _rows.Length;
            if (z0.Length != n || z1.Length != n || x0.Length != m || x1.Length != m)
                throw new ArgumentException($"a fit of {n} points and {m} terms, given {z0.Length} and {z1.Length} values and {x0.Length} and {x1.Length} coefficients");
            Span<double> b0 = stackalloc double[m], b1 = stackalloc double[m];
            ReadOnlySpan<double> rows = _flatRows;
            int vectorTerms = Vector256.IsHardwareAccelerated ? m / 8 * 8 : 0;   // terms summed four at a time
            if (vectorTerms == 8)
            {
                // Each lane is one term's sum, over the points in order, a separate multiply and add as the scalar loop's
                // (Solve(double[][]), which the tests compare with): the same sums to the bit.
                Vector256<double> sum0Low = Vector256<double>.Zero, sum0High = Vector256<double>.Zero;
                Vector256<double> sum1Low = Vector256<double>.Zero, sum1High = Vector256<double>.Zero;
                for (int k = 0; k < n; k++)
                {
                    var row = rows.Slice(k * m, m);
                    Vector256<double> low = Vector256.Create(row[..4]), high = Vector256.Create(row.Slice(4, 4));
                    Vector256<double> w0 = Vector256.Create(z0[k]), w1 = Vector256.Create(z1[k]);
                    sum0Low += low * w0;
                    sum0High += high * w0;
                    sum1Low += low * w1;
                    sum1High += high * w1;
                }
                sum0Low.CopyTo(b0);
                sum0High.CopyTo(b0[4..]);
                sum1Low.CopyTo(b1);
                sum1High.CopyTo(b1[4..]);
            }
            else vectorTerms = 0;
            for (int k = 0; k < n && vectorTerms < m; k++)
            {
                var row = rows.Slice(k * m, m);
                double w0 = z0[k], w1 = z1[k];
                for (int i = vectorTerms; i < row.Length; i++)
                {
                    b0[i] += row[i] * w0;
                    b1[i] += row[i] * w1;
                }
            }
            Eliminate(b0);
            Eliminate(b1);
            for (int i = 0; i < m; i++)
            {
                x0[i] = b0[i] / _diagonal[i] / _scalePowers[i];
                x1[i] = b1[i] / _diagonal[i] / _scalePowers[i];
            }
        }

        /// <summary>The elimination's operations on the right-hand side <paramref name="b"/>, as in <see cref="Solve(double[][])"/>.</summary>
        private void Eliminate(Span<double> b)
        {
            int m = b.Length;
            for (int c = 0; c < m; c++)
            {
                (b[c], b[_pivots[c]]) = (b[_pivots[c]], b[c]);
                for (int i = 0; i < m; i++) if (i != c) b[i] -= _multipliers[c, i] * b[c];
            }
        }
    }
}
