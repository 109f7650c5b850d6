namespace ImageCore.Execution.Rehearsal;

/// <summary>One configuration of a validation: a quantum order and a cache policy.</summary>
/// <param name="Order">The order.</param>
/// <param name="Cache">The cache policy.</param>
public sealed record CampaignCase(QuantumOrder Order, CachePolicy Cache)
{
    /// <summary><c>order / cache</c>.</summary>
    public override string ToString() => $"{Order} / {Cache}";
}

/// <summary>
/// How <see cref="CampaignValidation"/> checks the simulator against real <c>imagecore run</c> campaigns: the data (a scaled
/// simulation), the workers, the throttled store and the cases. After a discarded warm-up run, two more calibrate the simulation: detector
/// order with an unbounded cache and no cache, whose ISR CPU seconds give the CPU per quantum and the cost of reading a byte.
/// </summary>
public sealed record CampaignValidationConfig
{
    /// <summary>Workers of each real run (and cores of the simulated node).</summary>
    public int Threads { get; init; } = 2;

    /// <summary>The store's throttle, the same for the real runs and the simulation.</summary>
    public ThrottledStoreConfig Store { get; init; } = new() { Latency = TimeSpan.FromMilliseconds(20), BandwidthBytesPerSecond = 200e6 };

    /// <summary>The cases compared. Default: visit, detector and groups:2 orders with a cache of 10 datasets, and visit order with 1 TB.</summary>
    public IReadOnlyList<CampaignCase> Cases { get; init; } =
    [
        new(QuantumOrder.VisitMajor, CachePolicy.Parse("datasets:10")),
        new(QuantumOrder.Parse("detector"), CachePolicy.Parse("datasets:10")),
        new(QuantumOrder.Parse("groups:2"), CachePolicy.Parse("datasets:10")),
        new(QuantumOrder.VisitMajor, CachePolicy.Parse("bytes:1TB")),
    ];

    /// <summary>Throws <see cref="ArgumentException"/> naming the field when a value is out of range.</summary>
    public void Validate()
    {
        if (Threads < 1) throw new ArgumentException($"CampaignValidationConfig.Threads {Threads} must be >= 1");
        ArgumentNullException.ThrowIfNull(Store);
        ArgumentNullException.ThrowIfNull(Cases);
        Store.Validate();
        if (Cases.Count == 0) throw new ArgumentException("CampaignValidationConfig.Cases is empty");
    }
}

/// <summary>One case of a validation: the real run's report figures beside the simulation's.</summary>
/// <param name="Order">The order.</param>
/// <param name="Cache">The cache policy.</param>
/// <param name="RealStoreReads">Files the real store read (its own count).</param>
/// <param name="SimulatedStoreReads">Files the simulation read.</param>
/// <param name="RealStoreBytes">Bytes the real store read.</param>
/// <param name="SimulatedStoreBytes">Bytes the simulation read.</param>
/// <param name="RealHits">The real cache's hits.</param>
/// <param name="SimulatedHits">The simulated cache's hits.</param>
/// <param name="RealEvictions">The real cache's evictions.</param>
/// <param name="SimulatedEvictions">The simulated cache's evictions.</param>
/// <param name="RealWallSeconds">The real ISR step's wall time.</param>
/// <param name="SimulatedWallSeconds">The simulated makespan.</param>
public sealed record CampaignValidationRow(string Order, string Cache, long RealStoreReads, long SimulatedStoreReads, long RealStoreBytes, long SimulatedStoreBytes,
                                           long RealHits, long SimulatedHits, long RealEvictions, long SimulatedEvictions, double RealWallSeconds, double SimulatedWallSeconds)
{
    /// <summary>True when the store's files and bytes are the same in both.</summary>
    public bool ReadsMatch => RealStoreReads == SimulatedStoreReads && RealStoreBytes == SimulatedStoreBytes;

    /// <summary>(simulated - real) / real wall time.</summary>
    public double WallError => (SimulatedWallSeconds - RealWallSeconds) / RealWallSeconds;
}

/// <summary>A validation's outcome: the calibration it derived and one row per case.</summary>
/// <param name="Data">The data directory.</param>
/// <param name="Visits">Visits in it.</param>
/// <param name="Detectors">Detectors per visit.</param>
/// <param name="Threads">Workers.</param>
/// <param name="Store">The throttle, as text.</param>
/// <param name="IsrCpuSeconds">CPU seconds per ISR quantum (without calibration reads), from the calibration runs.</param>
/// <param name="ReadBytesPerSecond">Bytes per CPU second of reading calibrations, from the calibration runs (infinity when not measurable).</param>
/// <param name="Rows">One per case.</param>
public sealed record CampaignValidationResult(string Data, int Visits, int Detectors, int Threads, string Store, double IsrCpuSeconds, double ReadBytesPerSecond,
                                              IReadOnlyList<CampaignValidationRow> Rows);
