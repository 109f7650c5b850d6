using BenchmarkDotNet.Attributes;
using ImageCore.Characterize;
using ImageCore.Images;

namespace ImageCore.Benchmarks.Characterize;

/// <summary>
/// Source detection on a 4096 x 4096 background-subtracted plane (noise 31.6 e-, 4000 stars of sigma 1.7 px), one
/// thread, at the defaults (5 sigma, a 13-tap kernel as afw sizes it, grow 4 px): the whole of <see cref="SourceDetection.Detect(MaskedImage, double, DetectionConfig, int, CancellationToken)"/>
/// with the smoothing's scalar references as the baseline against its vector kernels. Each call clears and
/// rewrites the DETECTED plane, so every call does the same work.
/// </summary>
[MemoryDiagnoser]
public class DetectionBenchmarks
{
    private MaskedImage _image = null!;
    private readonly DetectionConfig _config = new();

    /// <summary>Makes the plane.</summary>
    [GlobalSetup]
    public void Setup() => _image = CharacterizeBenchmarkData.Field(0, 6);

    /// <summary>Frees the plane.</summary>
    [GlobalCleanup]
    public void Cleanup() => _image.Dispose();

    /// <summary>Detection with the scalar smoothing.</summary>
    [Benchmark(Baseline = true)]
    public DetectionResult DetectScalar() => SourceDetection.Detect(_image, CharacterizeBenchmarkData.PsfSigma, _config, 1, vector: false, CancellationToken.None);

    /// <summary>Detection with the vector smoothing.</summary>
    [Benchmark]
    public DetectionResult DetectSimd() => SourceDetection.Detect(_image, CharacterizeBenchmarkData.PsfSigma, _config, 1, vector: true, CancellationToken.None);
}
