using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ImageCore.Characterize;
using ImageCore.Images;

namespace ImageCore.Benchmarks.Characterize;

/// <summary>
/// The sky background of a 4096 x 4096 plane (sky 1000 e- with noise and 4000 stars), one thread. "Evaluate":
/// subtracting the model (Akima, 32 x 32 bins of 128 px) from every pixel, the scalar reference as the baseline
/// against the vector kernel (each call subtracts once more; the cost does not depend on the values). "Measure":
/// the bins' clipped means (gathering the good pixels and three quickselects per bin).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class BackgroundBenchmarks
{
    private MaskedImage _image = null!;
    private BackgroundModel _model = null!;

    /// <summary>Makes the plane and measures its model once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _image = CharacterizeBenchmarkData.Field(1000, 5);
        _model = BackgroundModel.Measure(_image, new BackgroundConfig());
    }

    /// <summary>Frees the plane.</summary>
    [GlobalCleanup]
    public void Cleanup() => _image.Dispose();

    /// <summary>Subtraction by the scalar reference.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Evaluate")]
    public void SubtractScalar() => _model.Apply<SubtractBackground>(_image.Image.Plane, 1, vector: false);

    /// <summary>Subtraction by the vector kernel.</summary>
    [Benchmark, BenchmarkCategory("Evaluate")]
    public void SubtractSimd() => _model.Apply<SubtractBackground>(_image.Image.Plane, 1, vector: true);

    /// <summary>Measuring the model (MEANCLIP, 128 px bins).</summary>
    [Benchmark, BenchmarkCategory("Measure")]
    public BackgroundModel Measure() => BackgroundModel.Measure(_image, new BackgroundConfig());
}
