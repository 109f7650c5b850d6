using BenchmarkDotNet.Attributes;
using ImageCore.Coadd;
using ImageCore.Images;
using ImageCore.Psf;

namespace ImageCore.Benchmarks.Coadd;

/// <summary>
/// The CompareWarp coadd against the coadds it replaces, on one thread: 12 visits of 1024 x 1024 px held in memory,
/// each a direct warp (400 Gaussian stars of sigma 1.2..1.75 px, unit noise) and a PSF-matched warp (the same stars
/// through a double-Gaussian model PSF of FWHM 6 px), with a satellite trail in visits 3 and 8 and a moving point
/// source. CompareWarp (the static sky model, twelve differences searched, the final MEAN) is timed against the
/// clipped mean (MEANCLIP, the baseline) and the plain MEAN of the direct warps.
/// </summary>
[MemoryDiagnoser]
public class CompareWarpBenchmarks
{
    private const int Visits = 12, Size = 1024;
    private Exposure[] _direct = [], _matched = [];

    /// <summary>Makes the warps.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        var stars = Enumerable.Range(0, 400).Select(_ => (X: 10 + rng.Next(Size - 20), Y: 10 + rng.Next(Size - 20), Flux: 500 + 5000 * rng.NextDouble())).ToArray();
        var model = new GaussianPsfFactory { DefaultFwhm = 6 }.Apply();
        var kernel = model.ComputeKernelImage(0, 0);
        _direct = new Exposure[Visits];
        _matched = new Exposure[Visits];
        for (int k = 0; k < Visits; k++)
        {
            double seeing = 1.2 + 0.05 * k;
            var d = new MaskedImage(Size, Size);
            var m = new MaskedImage(Size, Size);
            Fill(d, rng);
            Fill(m, rng);
            foreach (var s in stars)
            {
                Stamp(d, s.X, s.Y, (i, j) => s.Flux / (2 * Math.PI * seeing * seeing) * Math.Exp(-(i * i + j * j) / (2 * seeing * seeing)), 8);
                Stamp(m, s.X, s.Y, (i, j) => s.Flux * kernel[j + kernel.GetLength(0) / 2, i + kernel.GetLength(0) / 2], kernel.GetLength(0) / 2);
            }
            int ax = 100 + 70 * k, ay = 300 + 20 * k;
            Stamp(d, ax, ay, (i, j) => 3000 / (2 * Math.PI * seeing * seeing) * Math.Exp(-(i * i + j * j) / (2 * seeing * seeing)), 8);
            Stamp(m, ax, ay, (i, j) => 3000 * kernel[j + kernel.GetLength(0) / 2, i + kernel.GetLength(0) / 2], kernel.GetLength(0) / 2);
            if (k is 3 or 8)
                for (int y = 0; y < Size; y++)
                {
                    int x0 = k == 3 ? y : Size - 1 - y;
                    for (int x = Math.Max(0, x0 - 8); x <= Math.Min(Size - 1, x0 + 8); x++)
                    {
                        double r = (x - x0) / Math.Sqrt(2);
                        d.Image.Pixels[y, x] += (float)(40 * Math.Exp(-r * r / 2));
                        m.Image.Pixels[y, x] += (float)(15 * Math.Exp(-r * r / (2 * 7.5)));
                    }
                }
            var wcs = new ImageCore.Astrometry.SkyWcs((Size / 2.0, Size / 2.0), (150.0, 2.0), new[,] { { -0.2 / 3600, 0 }, { 0, 0.2 / 3600 } });
            _direct[k] = new Exposure(d, wcs: wcs);
            _matched[k] = new Exposure(m, wcs: wcs) { Psf = model };
        }
    }

    private static void Fill(MaskedImage mi, Random rng)
    {
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                mi.Image.Pixels[y, x] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
                mi.Variance.Pixels[y, x] = 1;
            }
    }

    private static void Stamp(MaskedImage mi, int cx, int cy, Func<int, int, double> value, int half)
    {
        for (int j = -half; j <= half; j++)
            for (int i = -half; i <= half; i++)
                if (cx + i >= 0 && cy + j >= 0 && cx + i < Size && cy + j < Size) mi.Image.Pixels[cy + j, cx + i] += (float)value(i, j);
    }

    /// <summary>Frees the warps.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var e in _direct.Concat(_matched)) e.Dispose();
    }

    private static List<CoaddInput> Inputs(Exposure[] warps) => warps.Select((e, k) => CoaddInput.FromExposure(e, $"visit {k}")).ToList();

    /// <summary>The clipped mean of the direct warps (the coadd CompareWarp replaces).</summary>
    [Benchmark(Baseline = true)]
    public long MeanClip()
    {
        var (coadd, _) = Coadder.Assemble(Inputs(_direct), new CoaddConfig { Statistic = CoaddStatistic.MeanClip });
        using (coadd) return coadd.BBox.Width;
    }

    /// <summary>The plain weighted mean of the direct warps.</summary>
    [Benchmark]
    public long Mean()
    {
        var (coadd, _) = Coadder.Assemble(Inputs(_direct), new CoaddConfig { Statistic = CoaddStatistic.Mean });
        using (coadd) return coadd.BBox.Width;
    }

    /// <summary>The CompareWarp coadd.</summary>
    [Benchmark]
    public long CompareWarp()
    {
        var (coadd, result) = CompareWarpCoadd.Assemble(Inputs(_direct), Inputs(_matched), new CompareWarpConfig());
        using (coadd) return coadd.BBox.Width + result.Visits.Sum(v => v.ArtifactPixels);
    }
}
