using BenchmarkDotNet.Attributes;
using ImageCore.Simd;
using ImageCore.Simd.Ops;

namespace ImageCore.Benchmarks.Simd;

/// <summary>
/// The vector driver against the plain scalar loop of the same operator (the baseline), for a
/// tail-only length, a cache-resident row, a ragged row and an out-of-cache plane (2^22 floats = 16 MiB
/// per operand).
/// </summary>
[MemoryDiagnoser]
public class PixelDriverBenchmarks
{
    /// <summary>Pixels per operand.</summary>
    [Params(33, 4096, 4099, 1 << 22)]
    public int N { get; set; }

    private float[] _x = [], _y = [], _d = [];

    /// <summary>Seeded operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        _x = Enumerable.Range(0, N).Select(_ => (float)rng.NextDouble() * 1000).ToArray();
        _y = Enumerable.Range(0, N).Select(_ => (float)rng.NextDouble() * 10).ToArray();
        _d = new float[N];
    }

    /// <summary>The scalar reference: <see cref="ScaledSubtract.Invoke(float, float, float)"/> per pixel.</summary>
    [Benchmark(Baseline = true)]
    public void Scalar()
    {
        for (int i = 0; i < N; i++) _d[i] = ScaledSubtract.Invoke(_x[i], _y[i], 0.37f);
    }

    /// <summary>The vector driver.</summary>
    [Benchmark]
    public void Simd() => PixelDriver.Run<ScaledSubtract>(_x, _y, 0.37f, _d);
}
