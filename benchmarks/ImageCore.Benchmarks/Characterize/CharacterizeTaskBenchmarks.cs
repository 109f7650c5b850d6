using BenchmarkDotNet.Attributes;
using ImageCore.Camera;
using ImageCore.Characterize;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;

namespace ImageCore.Benchmarks.Characterize;

/// <summary>
/// A full-size detector (e2v R22_S11, 4072 x 4000 after trimming, the simulator's 0.8" seeing, 2000 stars, 1000
/// galaxies, 300 cosmic rays) through <see cref="CharacterizeTask"/> on one thread: background, cosmic rays, detection
/// of the PSF candidates, the PSF model, the final detection. Each invocation gets a fresh copy of the post-ISR
/// exposure (made in the iteration setup, not timed). The figure to set beside Rubin's calibrateImage, 79.0 s CPU
/// per detector (RTN-109, figure 1b, DM-52836).
/// </summary>
[MemoryDiagnoser]
public class CharacterizeTaskBenchmarks
{
    private Exposure _postIsr = null!;
    private Exposure? _work;
    private readonly CharacterizeConfig _config = new();

    /// <summary>Simulates the detector and runs ISR once (the simulated files are deleted at once).</summary>
    [GlobalSetup]
    public void Setup()
    {
        string dir = Path.Combine(Path.GetTempPath(), "imagecore-bench-characterize-" + Environment.ProcessId);
        try
        {
            var sim = Simulator.Run(dir, new SimulationConfig { Detectors = "R22_S11", Scale = 1, Seed = 9 });
            using var raw = FitsFile.Open(sim.Raws[0]);
            _postIsr = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Path.Combine(dir, "calib")), new IsrConfig(), 1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A fresh copy of the post-ISR exposure for the next invocation.</summary>
    [IterationSetup]
    public void Copy() => _work = new Exposure(_postIsr.MaskedImage.Clone(), _postIsr.Metadata.Clone());

    /// <summary>Frees the copy.</summary>
    [IterationCleanup]
    public void Free() => _work?.Dispose();

    /// <summary>Background, cosmic rays, detection and the PSF model of one full-size detector, one thread.</summary>
    [Benchmark]
    public int Characterize() => CharacterizeTask.Run(_work!, _config, 1).Detections.Footprints.Count;

    /// <summary>Releases the post-ISR exposure.</summary>
    [GlobalCleanup]
    public void Cleanup() => _postIsr.Dispose();
}
