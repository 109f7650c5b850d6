using ImageCore.Images;
using ImageCore.Psf;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Coadd;

/// <summary>
/// A synthetic patch for CompareWarp tests, 128 x 128 px, 12 visits, each with a direct warp (Gaussian stars of the
/// visit's seeing, sigma 1.2..1.75 px) and a PSF-matched warp (the same sources through the model PSF, a double
/// Gaussian of FWHM 6 px stored as the warp's PSF; a 3 px NaN / NO_DATA border, as the matching kernel leaves), both
/// with unit-variance Gaussian noise. Transients: a satellite trail in visits 3 and 8, an asteroid at a different place
/// in every visit, a source absent from visits 0, 5 and 10, a variable star (flux 1000 and 3000 in turn). Every visit is
/// also made without its transients (same noise), whose plain MEAN coadd is the truth the tests compare with.
/// </summary>
internal sealed class CompareWarpField : IDisposable
{
    public const int Size = 128, Visits = 12, Border = 3;
    public const double StarFlux = 2000, AsteroidFlux = 1500, TrailAmplitude = 40, TrailSigma = 1.0;

    /// <summary>Static stars (same flux in every visit).</summary>
    public static readonly (int X, int Y)[] Stars = [(20, 40), (64, 64), (100, 100), (40, 100), (95, 45), (15, 75)];

    /// <summary>The source missing from <see cref="AbsentVisits"/>.</summary>
    public static readonly (int X, int Y) MostVisits = (64, 20);
    public static readonly int[] AbsentVisits = [0, 5, 10];

    /// <summary>The variable star (flux 1000 in even visits, 3000 in odd ones).</summary>
    public static readonly (int X, int Y) Variable = (110, 30);

    /// <summary>Trails: visit, start and end (pixels; the line runs through the whole patch).</summary>
    public static readonly (int Visit, double X0, double Y0, double X1, double Y1)[] Trails = [(3, 0, 118, 127, 110), (8, 127, 90, 0, 10)];

    /// <summary>The asteroid's position in visit k.</summary>
    public static (int X, int Y) Asteroid(int k) => (12 + 9 * k, 90 - 2 * k);

    public static readonly IPsf ModelPsf = new GaussianPsfFactory { DefaultFwhm = 6 }.Apply();

    public Exposure[] Direct { get; } = new Exposure[Visits];
    public Exposure[] Matched { get; } = new Exposure[Visits];
    public Exposure[] CleanDirect { get; } = new Exposure[Visits];

    public CompareWarpField(int seed = 7, int edgeVisit = 1, int edgeColumn = 50)
    {
        var rng = new Random(seed);
        var kernel = ModelPsf.ComputeKernelImage(0, 0);
        for (int k = 0; k < Visits; k++)
        {
            double seeing = 1.2 + 0.05 * k;
            float[,] noiseD = Noise(rng), noiseM = Noise(rng);
            var staticD = new double[Size, Size];
            var staticM = new double[Size, Size];
            var transD = new double[Size, Size];
            var transM = new double[Size, Size];
            foreach (var (x, y) in Stars) { Gaussian(staticD, x, y, StarFlux, seeing); Stamp(staticM, x, y, StarFlux, kernel); }
            double variable = k % 2 == 0 ? 1000 : 3000;
            Gaussian(staticD, Variable.X, Variable.Y, variable, seeing);
            Stamp(staticM, Variable.X, Variable.Y, variable, kernel);
            if (!AbsentVisits.Contains(k)) { Gaussian(staticD, MostVisits.X, MostVisits.Y, StarFlux, seeing); Stamp(staticM, MostVisits.X, MostVisits.Y, StarFlux, kernel); }
            var (ax, ay) = Asteroid(k);
            Gaussian(transD, ax, ay, AsteroidFlux, seeing);
            Stamp(transM, ax, ay, AsteroidFlux, kernel);
            double matchedTrailSigma = Math.Sqrt(TrailSigma * TrailSigma + Math.Pow(ModelPsf.ComputeMoments(0, 0).DeterminantRadius, 2));
            foreach (var t in Trails.Where(t => t.Visit == k))
            {
                Trail(transD, t, TrailAmplitude, TrailSigma);
                Trail(transM, t, TrailAmplitude * TrailSigma / matchedTrailSigma, matchedTrailSigma);
            }
            bool edge = k == edgeVisit;
            Direct[k] = Make(staticD, transD, noiseD, k, border: 0, edge ? edgeColumn : -1, null);
            CleanDirect[k] = Make(staticD, null, noiseD, k, border: 0, edge ? edgeColumn : -1, null);
            Matched[k] = Make(staticM, transM, noiseM, k, Border, edge ? edgeColumn : -1, ModelPsf);
        }
    }

    /// <summary>Distance of pixel (x, y) from trail <paramref name="t"/>'s line.</summary>
    public static double TrailDistance((int Visit, double X0, double Y0, double X1, double Y1) t, double x, double y)
    {
        double dx = t.X1 - t.X0, dy = t.Y1 - t.Y0, length = Math.Sqrt(dx * dx + dy * dy);
        return Math.Abs((x - t.X0) * dy - (y - t.Y0) * dx) / length;
    }

    private static Exposure Make(double[,] sky, double[,]? transients, float[,] noise, int visit, int border, int edgeColumn, IPsf? psf)
    {
        var mi = new MaskedImage(Size, Size);
        int noData = mi.Mask.GetBitMask("NO_DATA"), edge = mi.Mask.GetBitMask("EDGE");
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                bool outside = x < border || y < border || x >= Size - border || y >= Size - border;
                if (outside)
                {
                    (mi.Image.Pixels[y, x], mi.Variance.Pixels[y, x], mi.Mask.Image.Pixels[y, x]) = (float.NaN, float.PositiveInfinity, noData);
                    continue;
                }
                mi.Image.Pixels[y, x] = (float)(sky[y, x] + (transients?[y, x] ?? 0) + noise[y, x]);
                mi.Variance.Pixels[y, x] = 1;
                if (x == edgeColumn || x == edgeColumn + 1) mi.Mask.Image.Pixels[y, x] = edge;
            }
        var e = new Exposure(mi, wcs: TestWcs.Tan(64, 64)) { Psf = psf };
        e.VisitInfo = new VisitInfo { Visit = 100 + visit };
        return e;
    }

    private static float[,] Noise(Random rng)
    {
        var n = new float[Size, Size];
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
                n[y, x] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return n;
    }

    private static void Gaussian(double[,] image, int cx, int cy, double flux, double sigma)
    {
        for (int y = Math.Max(0, cy - 12); y <= Math.Min(Size - 1, cy + 12); y++)
            for (int x = Math.Max(0, cx - 12); x <= Math.Min(Size - 1, cx + 12); x++)
                image[y, x] += flux / (2 * Math.PI * sigma * sigma) * Math.Exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma));
    }

    private static void Stamp(double[,] image, int cx, int cy, double flux, float[,] kernel)
    {
        int half = kernel.GetLength(0) / 2;
        for (int j = 0; j < kernel.GetLength(0); j++)
            for (int i = 0; i < kernel.GetLength(1); i++)
            {
                int x = cx - half + i, y = cy - half + j;
                if (x >= 0 && y >= 0 && x < Size && y < Size) image[y, x] += flux * kernel[j, i];
            }
    }

    private static void Trail(double[,] image, (int Visit, double X0, double Y0, double X1, double Y1) t, double amplitude, double sigma)
    {
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                double d = TrailDistance(t, x, y);
                if (d < 6 * sigma) image[y, x] += amplitude * Math.Exp(-d * d / (2 * sigma * sigma));
            }
    }

    public void Dispose()
    {
        foreach (var e in Direct.Concat(Matched).Concat(CleanDirect)) e.Dispose();
    }
}
