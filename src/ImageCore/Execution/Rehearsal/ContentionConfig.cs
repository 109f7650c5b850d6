namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// What <see cref="ContentionSweep"/> measures: which workloads, on 1 .. <see cref="MaxWorkers"/> pinned workers under each
/// placement the machine allows, how many quanta per worker, and the size of the inputs (made once by the simulator).
/// </summary>
public sealed record ContentionConfig
{
    /// <summary>Workloads by name: <c>isr</c>, <c>characterize</c>, <c>warp</c>, <c>coadd</c>, <c>stream</c>; characterize (OR5's
    /// memory-heavy calibrateImage) is left out of the default sweep, whose figures were recorded before it existed.</summary>
    public IReadOnlyList<string> Workloads { get; init; } = ["isr", "warp", "coadd", "stream"];

    /// <summary>Placements to sweep; each up to the workers it can place on this machine.</summary>
    public IReadOnlyList<PlacementPolicy> Placements { get; init; } = [PlacementPolicy.None, PlacementPolicy.Compact, PlacementPolicy.Spread, PlacementPolicy.L3(1)];

    /// <summary>The most workers (0: every allowed CPU).</summary>
    public int MaxWorkers { get; init; }

    /// <summary>Worker counts to measure (each up to what a placement can place); null: 1, 2, 4, ... up to the most a
    /// placement can place, and that most (on 2 CPUs: 1 and 2; on a 120-CPU node: 1, 2, 4, ..., 64 and 120).</summary>
    public IReadOnlyList<int>? WorkerCounts { get; init; }

    /// <summary>Measured quanta per worker in each configuration.</summary>
    public int QuantaPerWorker { get; init; } = 3;

    /// <summary>Unmeasured quanta per worker before the measured ones.</summary>
    public int WarmupQuantaPerWorker { get; init; } = 1;

    /// <summary>Simulation scale of the ISR, warp and coadd inputs (1: a full LSSTCam detector; 2, 4, 8 smaller).</summary>
    public int Scale { get; init; } = 1;

    /// <summary>Warps per coadd.</summary>
    public int CoaddInputs { get; init; } = 6;

    /// <summary>Bytes of each of the stream control's three arrays.</summary>
    public long StreamArrayBytes { get; init; } = 64L << 20;

    /// <summary>Triads per stream quantum.</summary>
    public int StreamRepeats { get; init; } = 10;

    /// <summary>Read hardware counters per worker thread (perf_event_open) when the kernel allows.</summary>
    public bool HardwareCounters { get; init; } = true;

    /// <summary>The root playing <c>/sys</c> (the live one: workers are pinned on this machine).</summary>
    public string SysfsRoot { get; init; } = "/sys";

    /// <summary>Throws <see cref="ArgumentException"/> naming the field when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Workloads);
        ArgumentNullException.ThrowIfNull(Placements);
        ArgumentNullException.ThrowIfNull(SysfsRoot);
        if (Workloads.Count == 0) throw new ArgumentException("ContentionConfig.Workloads is empty");
        foreach (string w in Workloads)
            if (w is not ("isr" or "characterize" or "warp" or "coadd" or "stream"))
                throw new ArgumentException($"ContentionConfig.Workloads: unknown workload '{w}' (isr, characterize, warp, coadd, stream)");
        if (Placements.Count == 0) throw new ArgumentException("ContentionConfig.Placements is empty");
        if (WorkerCounts is not null && (WorkerCounts.Count == 0 || WorkerCounts.Any(n => n < 1)))
            throw new ArgumentException($"ContentionConfig.WorkerCounts must list counts >= 1 (is {string.Join(",", WorkerCounts)})");
        if (MaxWorkers < 0) throw new ArgumentException($"ContentionConfig.MaxWorkers {MaxWorkers} must be >= 0");
        if (QuantaPerWorker < 1) throw new ArgumentException($"ContentionConfig.QuantaPerWorker {QuantaPerWorker} must be >= 1");
        if (WarmupQuantaPerWorker < 0) throw new ArgumentException($"ContentionConfig.WarmupQuantaPerWorker {WarmupQuantaPerWorker} must be >= 0");
        if (Scale is not (1 or 2 or 4 or 8)) throw new ArgumentException($"ContentionConfig.Scale {Scale} must be 1, 2, 4 or 8");
        if (CoaddInputs < 1) throw new ArgumentException($"ContentionConfig.CoaddInputs {CoaddInputs} must be >= 1");
        if (StreamArrayBytes < 4096) throw new ArgumentException($"ContentionConfig.StreamArrayBytes {StreamArrayBytes} must be >= 4096");
        if (StreamRepeats < 1) throw new ArgumentException($"ContentionConfig.StreamRepeats {StreamRepeats} must be >= 1");
    }
}
