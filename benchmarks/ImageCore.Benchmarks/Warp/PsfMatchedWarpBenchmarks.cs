using BenchmarkDotNet.Attributes;
using ImageCore.Execution;
using ImageCore.Images;
using ImageCore.Simulation;
using ImageCore.Warp;

namespace ImageCore.Benchmarks.Warp;

/// <summary>A full-size direct warp for the PSF-matching benchmarks, made once through the pipeline: one simulated visit
/// of the nine detectors of raft R22 at full size, ISR, characterize (the per-detector PSF models the warp carries) and
/// direct warps; the warp of the patch with the most good pixels is kept (the simulation, about 16 GB, is deleted). Kept
/// as <c>$TMPDIR/imagecore-psfmatched-warp/directwarp.fits</c> (184 MB) between runs; delete the folder when done.</summary>
internal static class PsfMatchedWarpScene
{
    /// <summary>Where the simulation and its pipeline run live.</summary>
    public static string Root => Path.Combine(Path.GetTempPath(), "imagecore-psfmatched-warp");

    /// <summary>The path of the direct warp, made on first use; prints what it chose.</summary>
    public static string DirectWarp()
    {
        string data = Path.Combine(Root, "data"), run = Path.Combine(Root, "run"), chosen = Path.Combine(Root, "directwarp.fits");
        if (File.Exists(chosen)) return chosen;
        if (Directory.Exists(Root)) Directory.Delete(Root, true);
        Simulator.Run(data, new SimulationConfig { Detectors = "R22", Visits = 1, Scale = 1, Seed = 36 });
        var report = Pipeline.Run(data, run, new PipelineConfig { Threads = Environment.ProcessorCount, Until = PipelineStep.Warp });
        if (report.Failures.Count > 0) throw new InvalidOperationException(string.Join("; ", report.Failures.Select(f => f.Quantum + ": " + f.Message)));
        string best = "";
        long bestGood = -1;
        foreach (string relative in report.Warps)
        {
            string path = Path.Combine(run, relative);
            using var warp = ExposureFits.Read(path);
            int noData = warp.MaskedImage.Mask.GetBitMask("NO_DATA");
            long good = 0;
            var mask = warp.MaskedImage.Mask.Image.Plane;
            for (int y = 0; y < mask.Height; y++)
                foreach (int m in mask.GetRowSpan(y)) if ((m & noData) == 0) good++;
            Console.WriteLine($"// {relative}: {warp.MaskedImage.BBox.Width} x {warp.MaskedImage.BBox.Height}, {good} good pixels, {((ImageCore.Psf.CoaddPsf)warp.Psf!).Components.Count} detectors");
            if (good > bestGood) (best, bestGood) = (path, good);
        }
        Console.WriteLine($"// kept {Path.GetRelativePath(run, best)} as {chosen}");
        File.Move(best, chosen);
        Directory.Delete(data, true);
        Directory.Delete(run, true);
        return chosen;
    }
}

/// <summary>
/// Issue 21's speed figure: one full-size (patch, visit) PSF-matched warp, the whole quantum as the pipeline's psfmatch
/// step runs it (read the direct warp, fit and apply each detector's kernel, write the PSF-matched warp), on one thread.
/// Rubin's makePsfMatchedWarp takes 36.8 s of CPU per quantum (RTN-109). On a shared machine the wall time includes the
/// time other work holds the core, so each iteration's process CPU time (user + system, every thread: the collector and
/// the JIT as well) is recorded too, and the median over the iterations is printed at the end (<c>// CPU per
/// quantum</c> in the log).
/// </summary>
[MemoryDiagnoser]
public class PsfMatchedWarpBenchmarks
{
    private string _warp = "", _output = "";
    private readonly List<double> _cpu = [];
    private TimeSpan _start;

    /// <summary>Makes (or finds) the direct warp.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _warp = PsfMatchedWarpScene.DirectWarp();
        _output = Path.Combine(PsfMatchedWarpScene.Root, "psfmatched.fits");
    }

    /// <summary>Notes the process CPU time before an iteration.</summary>
    [IterationSetup]
    public void Before() => _start = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>Records the iteration's process CPU time.</summary>
    [IterationCleanup]
    public void After() => _cpu.Add((System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - _start).TotalSeconds);

    /// <summary>Prints the median CPU time per quantum (warm-up iterations included in the count, not in the median's
    /// half that matters: they are the first few of many).</summary>
    [GlobalCleanup]
    public void Report()
    {
        if (_cpu.Count == 0) return;
        var sorted = _cpu.Order().ToList();
        double median = sorted[sorted.Count / 2];
        Console.WriteLine(FormattableString.Invariant(
            $"// CPU per quantum: median {median:F3} s over {sorted.Count} iterations (min {sorted[0]:F3} s, max {sorted[^1]:F3} s); Rubin's 36.8 s is {36.8 / median:F1}x"));
    }

    /// <summary>The quantum, one thread.</summary>
    [Benchmark]
    public long PsfMatchedWarpQuantum() => PsfMatchedWarp.Run(_warp, _output, new ModelPsfMatchConfig(), 1).GoodPixels;
}
