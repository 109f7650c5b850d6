using BenchmarkDotNet.Attributes;
using ImageCore.Coadd;
using ImageCore.Fits;

namespace ImageCore.Benchmarks.Coadd;

/// <summary>
/// The coadd's per-pixel statistics, one thread: 16 plain 1000 x 1000 float32 warps (a smooth scene, Gaussian noise
/// of sigma 5, 0.1% outliers of +1000, as <c>benchmarks/peers/time_coadd.py</c> makes them) held as FITS bytes in
/// memory, so each operation decodes them and assembles the coadd; 1,000,000 output pixels per operation. MEANCLIP
/// and MEDIAN run through the vectorised statistics (<c>StackVector</c>, four pixels per Vector256) and through
/// their scalar reference (<c>StackStatistics.Pixel</c>, the same bits).
/// </summary>
[MemoryDiagnoser]
public class CoaddBenchmarks
{
    private const int Warps = 16, Size = 1000;
    private byte[][] _files = [];

    /// <summary>Statistic.</summary>
    [Params(CoaddStatistic.MeanClip, CoaddStatistic.Median)]
    public CoaddStatistic Statistic { get; set; }

    /// <summary>Writes the warps into memory.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(5);
        var pixels = new float[Size, Size];
        _files = new byte[Warps][];
        for (int k = 0; k < Warps; k++)
        {
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                {
                    double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
                    double noise = 5 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                    pixels[y, x] = (float)(100 + 20 * Math.Sin(x / 37.0) * Math.Cos(y / 23.0) + noise + (rng.Next(1000) == 0 ? 1000 : 0));
                }
            using var stream = new MemoryStream();
            using (var writer = new FitsWriter(stream, $"warp{k}"))
            {
                var header = new FitsHeader();   // one TAN grid for every warp: coadd inputs must share it
                new ImageCore.Astrometry.SkyWcs((Size / 2.0, Size / 2.0), (150.0, 2.0), new[,] { { -0.2 / 3600, 0 }, { 0, 0.2 / 3600 } }).WriteTo(header);
                writer.WriteImage<float>(header, new CommunityToolkit.HighPerformance.ReadOnlySpan2D<float>(pixels));
                writer.Commit();
            }
            _files[k] = stream.ToArray();
        }
    }

    private long Assemble(bool vectorized)
    {
        var inputs = _files.Select((bytes, k) => CoaddInput.Open(new MemoryStream(bytes, writable: false), $"warp{k}")).ToList();
        try
        {
            var (coadd, _) = Coadder.Assemble(inputs, new CoaddConfig { Statistic = Statistic }, 1, vectorized);
            using (coadd) return coadd.BBox.Width;
        }
        finally
        {
            foreach (var input in inputs) input.Dispose();
        }
    }

    /// <summary>Vectorised statistics.</summary>
    [Benchmark(Baseline = true)]
    public long Vector() => Assemble(vectorized: true);

    /// <summary>Their scalar reference.</summary>
    [Benchmark]
    public long Scalar() => Assemble(vectorized: false);
}
