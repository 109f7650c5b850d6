namespace ImageCore.Execution.Rehearsal;

/// <summary>How the simulated batch system turns ordered quanta into jobs (one job runs on one core, its quanta one after another).</summary>
public enum CampaignClustering
{
    /// <summary><c>visit</c> order: every quantum its own job; <c>detector</c> and <c>groups:G</c>: <see cref="Clusters"/>.</summary>
    Auto,

    /// <summary>Every quantum is its own job, taken in order by whichever core is free first (what <c>imagecore run</c>'s
    /// worker queue does, and an unclustered batch submission).</summary>
    Quanta,

    /// <summary>One job per cluster: the consecutive quanta of one detector within one visit group (BPS's detector
    /// clustering; under <c>visit</c> order one job per visit).</summary>
    Clusters,
}

/// <summary>A step whose quanta are per visit (OR5's finalizeCharacterization): it can never run more than
/// <see cref="CampaignConfig.Visits"/> jobs at once, unless made per detector.</summary>
public sealed record VisitStepConfig
{
    /// <summary>The step's name, as the tables show it.</summary>
    public string Name { get; init; } = "finalizeCharacterization";

    /// <summary>CPU seconds of one visit's quantum (the whole focal plane's work).</summary>
    public double CpuSecondsPerVisit { get; init; } = 1200;

    /// <summary>False: one quantum per visit (the concurrency cap OR5 hit). True: one quantum per (visit, detector),
    /// each <see cref="CpuSecondsPerVisit"/> / detectors (OR5's fix).</summary>
    public bool PerDetector { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Name);
        if (!(CpuSecondsPerVisit > 0) || double.IsInfinity(CpuSecondsPerVisit))
            throw new ArgumentException($"VisitStepConfig.CpuSecondsPerVisit {CpuSecondsPerVisit} must be finite and > 0");
    }
}

/// <summary>
/// One simulated night of ISR (and optionally a visit-level step) over <see cref="Nodes"/> x <see cref="CoresPerNode"/>
/// cores: the quanta of <see cref="Visits"/> x <see cref="Detectors"/>, ordered by <see cref="Order"/> (the engine's
/// <see cref="QuantumOrder"/>), grouped into jobs by <see cref="Clustering"/>, each node with its own calibration cache
/// (<see cref="Cache"/>, the engine's <see cref="CalibrationCache"/>) in front of one shared store (<see cref="Store"/>).
/// The defaults are OR5's night: 800 visits x 189 detectors on 72 nodes of 120 cores, a 500-dataset cache, 53 groups.
/// </summary>
public sealed record CampaignConfig
{
    /// <summary>Batch nodes.</summary>
    public int Nodes { get; init; } = 72;

    /// <summary>Cores (job slots) per node.</summary>
    public int CoresPerNode { get; init; } = 120;

    /// <summary>Visits of the night (0 .. Visits - 1).</summary>
    public int Visits { get; init; } = 800;

    /// <summary>Detectors per visit: the first N science detectors of LSSTCam, by id (at most 189).</summary>
    public int Detectors { get; init; } = 189;

    /// <summary>The detectors by name (null: the first <see cref="Detectors"/> by id); when given, <see cref="Detectors"/> is ignored.</summary>
    public IReadOnlyList<string>? DetectorNames { get; init; }

    /// <summary>The filter band of every visit (picks the flat).</summary>
    public string Band { get; init; } = "r";

    /// <summary>Each node's calibration cache (<c>datasets:500</c> as the Butler's default; <c>bytes:1TB</c> as OR5's fix).</summary>
    public CachePolicy Cache { get; init; } = new() { Mode = CacheMode.Datasets, Limit = 500 };

    /// <summary>The order quanta are taken in.</summary>
    public QuantumOrder Order { get; init; } = new(QuantumOrderKind.Groups, 53);

    /// <summary>How ordered quanta become jobs.</summary>
    public CampaignClustering Clustering { get; init; } = CampaignClustering.Auto;

    /// <summary>The shared store: a latency per read and one bandwidth shared by every node (the reservation link of
    /// <see cref="ThrottledCalibrationStore"/>). Defaults: 20 ms, 2.5 GB/s (an assumption, see docs/rehearsal.md).</summary>
    public ThrottledStoreConfig Store { get; init; } = new() { Latency = TimeSpan.FromMilliseconds(20), BandwidthBytesPerSecond = 2.5e9 };

    /// <summary>Bytes per second at which a node reads and decodes a calibration file before the store's throttle
    /// applies (<c>imagecore run</c>'s own read: page cache plus FITS decoding); infinity for none.</summary>
    public double ReadBytesPerSecond { get; init; } = double.PositiveInfinity;

    /// <summary>CPU seconds of one ISR quantum once its calibrations are at hand (measure it: <c>imagecore rehearse
    /// contention</c> or a run report's ISR CPU seconds per quantum).</summary>
    public double IsrCpuSeconds { get; init; } = 60;

    /// <summary>An optional visit-level step run after ISR (null: none).</summary>
    public VisitStepConfig? VisitStep { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field when a value is out of range.</summary>
    public void Validate()
    {
        if (Nodes < 1) throw new ArgumentException($"CampaignConfig.Nodes {Nodes} must be >= 1");
        if (CoresPerNode < 1) throw new ArgumentException($"CampaignConfig.CoresPerNode {CoresPerNode} must be >= 1");
        if (Visits < 1) throw new ArgumentException($"CampaignConfig.Visits {Visits} must be >= 1");
        if (Detectors < 1) throw new ArgumentException($"CampaignConfig.Detectors {Detectors} must be >= 1");
        ArgumentNullException.ThrowIfNull(Band);
        ArgumentNullException.ThrowIfNull(Cache);
        ArgumentNullException.ThrowIfNull(Order);
        ArgumentNullException.ThrowIfNull(Store);
        Cache.Validate();
        Store.Validate();
        if (!Enum.IsDefined(Clustering)) throw new ArgumentException($"CampaignConfig.Clustering {(int)Clustering} is not defined");
        if (!(ReadBytesPerSecond > 0)) throw new ArgumentException($"CampaignConfig.ReadBytesPerSecond {ReadBytesPerSecond} must be > 0");
        if (!(IsrCpuSeconds >= 0) || double.IsInfinity(IsrCpuSeconds)) throw new ArgumentException($"CampaignConfig.IsrCpuSeconds {IsrCpuSeconds} must be finite and >= 0");
        VisitStep?.Validate();
    }
}
