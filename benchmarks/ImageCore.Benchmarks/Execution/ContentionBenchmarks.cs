using BenchmarkDotNet.Attributes;
using ImageCore.Execution;
using ImageCore.Execution.Rehearsal;

namespace ImageCore.Benchmarks.Execution;

/// <summary>
/// The contention sweep of <c>imagecore rehearse contention</c> as a BenchmarkDotNet suite, for people who run BDN on
/// Milan hardware: one invocation runs one quantum of <see cref="Workload"/> on each of <see cref="Workers"/> dedicated
/// workers placed by <see cref="Placement"/> (the engine's <see cref="PinnedWorkerPool"/>) and waits for all of them, so
/// the mean is the time per quantum under that contention and Workers / mean is the node's throughput. Combinations this
/// machine cannot place (compact x8 on a 2-CPU VM) fail in the setup with the reason. Inputs are simulated once per
/// workload at <see cref="Scale"/> (set it to 1 for full LSSTCam detectors on a real node).
/// <c>dotnet run -c Release --project benchmarks/ImageCore.Benchmarks -- --filter '*ContentionBenchmarks*' --job short</c>
/// </summary>
public class ContentionBenchmarks
{
    private string _dir = "";
    private IContentionWorkload _workload = null!;
    private PinnedWorkerPool _pool = null!;
    private int[] _items = [];

    /// <summary>The quantum: isr, warp, coadd or the stream control.</summary>
    [Params("isr", "warp", "coadd", "stream")]
    public string Workload { get; set; } = "stream";

    /// <summary>Workers running one quantum each at once.</summary>
    [Params(1, 2, 8)]
    public int Workers { get; set; } = 1;

    /// <summary>none, compact, spread or l3:1.</summary>
    [Params("none", "compact", "spread", "l3:1")]
    public string Placement { get; set; } = "none";

    /// <summary>Simulation scale of the ISR, warp and coadd inputs.</summary>
    [Params(8)]
    public int Scale { get; set; } = 8;

    [GlobalSetup]
    public void Setup()
    {
        var topology = CpuTopology.Discover();
        var policy = PlacementPolicy.Parse(Placement);
        int capacity = ImageCore.Execution.Placement.Capacity(topology, policy);
        if (Workers > capacity) throw new NotSupportedException($"{Placement} places at most {capacity} workers on this machine, not {Workers}");
        var plan = policy.Kind == PlacementKind.None ? PlacementPlan.Unpinned(Workers) : ImageCore.Execution.Placement.Plan(topology, policy, Workers);
        _dir = Path.Combine(Path.GetTempPath(), "imagecore-bdn-contention-" + Guid.NewGuid().ToString("N")[..8]);
        _workload = ContentionInputs.Create(new ContentionConfig { Workloads = [Workload], Scale = Scale, StreamArrayBytes = 64L << 20, StreamRepeats = 2 }, _dir)[0];
        _pool = new PinnedWorkerPool(plan);
        _items = Enumerable.Range(0, Workers).ToArray();
    }

    /// <summary>One quantum per worker, all at once.</summary>
    [Benchmark]
    public void QuantumPerWorker()
    {
        var run = _pool.Run(_items, (_, _) => _workload.Run());
        if (run.Failures.Count > 0) throw run.Failures[0].Exception;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool?.Dispose();
        _workload?.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
