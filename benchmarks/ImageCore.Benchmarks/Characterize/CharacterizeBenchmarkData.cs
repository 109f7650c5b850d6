using ImageCore.Images;

namespace ImageCore.Benchmarks.Characterize;

/// <summary>The 4096 x 4096 plane the Characterize benchmarks run on: a sky of <c>sky</c> e- with its Poisson noise as
/// Gaussian noise (variance plane = sky), and 4000 Gaussian stars of sigma 1.7 px (the demo's PSF) with fluxes from
/// 5 to 500 sigma, seeded.</summary>
internal static class CharacterizeBenchmarkData
{
    public const int Size = 4096;
    public const double PsfSigma = 1.7;

    public static MaskedImage Field(double sky, int seed)
    {
        var rng = new Random(seed);
        var mi = new MaskedImage(Size, Size);
        double noise = Math.Sqrt(1000.0);
        var img = mi.Image.Plane;
        var variance = mi.Variance.Plane;
        for (int y = 0; y < Size; y++)
        {
            var row = img.GetRowSpan(y);
            var v = variance.GetRowSpan(y);
            for (int x = 0; x < Size; x++)
            {
                row[x] = (float)(sky + noise * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
                v[x] = 1000;
            }
        }
        double unit = noise * Math.Sqrt(4 * Math.PI) * PsfSigma;
        for (int i = 0; i < 4000; i++)
        {
            double cx = rng.NextDouble() * Size, cy = rng.NextDouble() * Size, flux = unit * 5 * Math.Pow(100, rng.NextDouble());
            double norm = flux / (2 * Math.PI * PsfSigma * PsfSigma);
            for (int y = Math.Max(0, (int)cy - 12); y <= Math.Min(Size - 1, (int)cy + 12); y++)
                for (int x = Math.Max(0, (int)cx - 12); x <= Math.Min(Size - 1, (int)cx + 12); x++)
                    img[x, y] += (float)(norm * Math.Exp(-0.5 * ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (PsfSigma * PsfSigma)));
        }
        return mi;
    }
}
