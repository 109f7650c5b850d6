using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ImageCore.Characterize;
using ImageCore.Images;

namespace ImageCore.Benchmarks.Characterize;

/// <summary>
/// Cosmic rays on a full-size detector-like frame (4096 x 4004, e2v's trimmed size), one thread: sky of 1000 e-
/// with Poisson-like noise, 2000 stars of 3.5 px FWHM (a few saturated, SAT-masked), 300 hits of 1-8 pixels of
/// 500-20,000 e- as the simulator draws them. <see cref="FindAndRepair"/> is the whole call on a fresh copy of the
/// frame (the copy is made in the iteration setup). The kernel group compares the separable 7 x 7 median of a
/// full frame (the noise map's and every iteration's filter) vectorized against its scalar reference.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CosmicRayBenchmarks
{
    private const int W = 4096, H = 4004;
    private MaskedImage _pristine = null!, _work = null!;
    private float[] _plane = [], _rows = [], _out = [];
    private readonly CosmicRayConfig _config = new();

    /// <summary>Draws the frame.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(20);
        var signal = new float[H, W];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) signal[y, x] = 1000f;
        double sigma = 3.5 / 2.3548;
        for (int i = 0; i < 2000; i++)
        {
            double x0 = rng.NextDouble() * W, y0 = rng.NextDouble() * H, peak = Math.Exp(rng.NextDouble() * Math.Log(2e6 / 200)) * 200;
            for (int y = Math.Max(0, (int)y0 - 12); y < Math.Min(H, (int)y0 + 13); y++)
                for (int x = Math.Max(0, (int)x0 - 12); x < Math.Min(W, (int)x0 + 13); x++)
                    signal[y, x] = Math.Min(150_000f, signal[y, x] + (float)(peak * Math.Exp(-((x - x0) * (x - x0) + (y - y0) * (y - y0)) / (2 * sigma * sigma))));
        }
        for (int i = 0; i < 300; i++)
        {
            double x = rng.NextDouble() * W, y = rng.NextDouble() * H, angle = rng.NextDouble() * 2 * Math.PI;
            int length = 1 + rng.Next(8);
            float deposit = 500 + (float)rng.NextDouble() * 19500;
            for (int s = 0; s < length; s++)
            {
                int px = (int)(x + s * Math.Cos(angle)), py = (int)(y + s * Math.Sin(angle));
                if (px < 0 || py < 0 || px >= W || py >= H) break;
                signal[py, px] += deposit;
            }
        }
        _pristine = new MaskedImage(W, H);
        int sat = _pristine.Mask.GetBitMask("SAT");
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                float v = (float)(signal[y, x] + Math.Sqrt(signal[y, x] + 25) * g);
                _pristine.Image.Pixels[y, x] = v;
                _pristine.Variance.Pixels[y, x] = Math.Max(v, 0) + 25;
                if (signal[y, x] >= 150_000f) _pristine.Mask.Image.Pixels[y, x] = sat;
            }
        _work = new MaskedImage(W, H);
        _plane = new float[W * H];
        for (int y = 0; y < H; y++) _pristine.Image.Pixels.GetRowSpan(y).CopyTo(_plane.AsSpan(y * W, W));
        _rows = new float[W * H];
        _out = new float[W * H];
    }

    /// <summary>A fresh copy of the frame before each FindAndRepair.</summary>
    [IterationSetup(Target = nameof(FindAndRepair))]
    public void Restore()
    {
        _pristine.Image.Pixels.CopyTo(_work.Image.Pixels);
        _pristine.Mask.Image.Pixels.CopyTo(_work.Mask.Image.Pixels);
        _pristine.Variance.Pixels.CopyTo(_work.Variance.Pixels);
    }

    /// <summary>The whole detection and repair, one thread.</summary>
    [Benchmark, BenchmarkCategory("Whole")]
    public long FindAndRepair() => CosmicRays.FindAndRepair(_work, _config, 1, CancellationToken.None).Pixels;

    /// <summary>Separable 7 x 7 median of the frame (interior), scalar reference.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Median7")]
    public void SeparableMedian7Scalar()
    {
        for (int y = 0; y < H; y++) CosmicRayKernels.RowMedianScalar(_plane.AsSpan(y * W, W), 7, _rows.AsSpan(y * W + 3, W - 6));
        for (int y = 3; y < H - 3; y++) CosmicRayKernels.ColumnMedianScalar(_rows.AsSpan((y - 3) * W), W, 7, _out.AsSpan(y * W, W));
    }

    /// <summary>Separable 7 x 7 median of the frame (interior), vectorized.</summary>
    [Benchmark, BenchmarkCategory("Median7")]
    public void SeparableMedian7()
    {
        for (int y = 0; y < H; y++) CosmicRayKernels.RowMedian(_plane.AsSpan(y * W, W), 7, _rows.AsSpan(y * W + 3, W - 6));
        for (int y = 3; y < H - 3; y++) CosmicRayKernels.ColumnMedian(_rows.AsSpan((y - 3) * W), W, 7, _out.AsSpan(y * W, W));
    }

    /// <summary>Returns the planes.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _pristine.Dispose();
        _work.Dispose();
    }
}
