namespace ImageCore.Execution.Rehearsal;

/// <summary>One configuration of the sweep: a workload on N workers under one placement.</summary>
/// <param name="Workload">Workload name.</param>
/// <param name="Placement">Placement policy (text form).</param>
/// <param name="Workers">Workers running at once.</param>
/// <param name="Cpus">The planned CPU of each worker ("-" unpinned).</param>
/// <param name="Pinned">True when every planned pin held.</param>
/// <param name="Quanta">Measured quanta.</param>
/// <param name="MedianSeconds">Median time per quantum.</param>
/// <param name="MinSeconds">Fastest quantum.</param>
/// <param name="MaxSeconds">Slowest quantum.</param>
/// <param name="WallSeconds">Wall time of the measured batch.</param>
/// <param name="QuantaPerSecond">Node throughput: quanta / wall seconds.</param>
/// <param name="Slowdown">Median time over the workload's median with one worker alone.</param>
/// <param name="CpuOverBusy">CPU seconds over busy wall seconds, mean over workers (below 1: the worker waited or lost its core).</param>
/// <param name="CpuOverBusyPerWorker">The same per worker.</param>
/// <param name="CpuOverWallPerWorker">Per worker, CPU seconds over the batch's wall seconds: the share of its core it used (OR5's
/// monitoring gap: actual core use against what was allocated).</param>
/// <param name="Cycles">Cycles summed over the measured quanta, or null when counters are unavailable.</param>
/// <param name="Instructions">Instructions, likewise.</param>
/// <param name="LlcMisses">Last-level cache misses, likewise.</param>
public sealed record ContentionPoint(string Workload, string Placement, int Workers, string Cpus, bool Pinned, int Quanta, double MedianSeconds, double MinSeconds,
                                     double MaxSeconds, double WallSeconds, double QuantaPerSecond, double Slowdown, double? CpuOverBusy,
                                     IReadOnlyList<double?> CpuOverBusyPerWorker, IReadOnlyList<double?> CpuOverWallPerWorker, long? Cycles, long? Instructions, long? LlcMisses);

/// <summary>A workload measured alone: what the model starts from.</summary>
/// <param name="Name">Workload name.</param>
/// <param name="Description">What a quantum does.</param>
/// <param name="SecondsAlone">Median time per quantum with one worker.</param>
/// <param name="BytesPerQuantum">Bytes to and from memory per quantum (the kernels' own count, or LLC misses x 64 when counted and larger).</param>
/// <param name="BytesSource">"counted from the planes" or "LLC misses x 64".</param>
/// <param name="WorkingSetBytes">Bytes live while a quantum runs.</param>
public sealed record WorkloadProfile(string Name, string Description, double SecondsAlone, long BytesPerQuantum, string BytesSource, long WorkingSetBytes);

/// <summary>The machine the sweep ran on.</summary>
/// <param name="Cpu">The processor's model name (from /proc/cpuinfo), or "unknown".</param>
/// <param name="AllowedCpus">CPUs the process may use.</param>
/// <param name="Sockets">NUMA nodes with allowed CPUs.</param>
/// <param name="L3Domains">L3 domains with allowed CPUs.</param>
/// <param name="L3Bytes">Size of one L3, or null.</param>
/// <param name="L3Source">Where the L3 domains came from.</param>
/// <param name="LoadAverageBefore">/proc/loadavg's 1-minute figure when the sweep started (others' work on a shared machine).</param>
/// <param name="LoadAverageAfter">The same when it ended.</param>
public sealed record MachineSummary(string Cpu, int AllowedCpus, int Sockets, int L3Domains, long? L3Bytes, string L3Source, double? LoadAverageBefore, double? LoadAverageAfter);

/// <summary>What <c>imagecore rehearse contention</c> writes: the machine, the counters' availability, each workload's
/// profile alone, every configuration, and the model's predictions for this machine against the measurements.</summary>
/// <param name="Started">UTC start, ISO 8601.</param>
/// <param name="Machine">The machine.</param>
/// <param name="Counters">"available" or "unavailable: reason".</param>
/// <param name="Scale">Simulation scale of the ISR, warp and coadd inputs (1: full LSSTCam detectors).</param>
/// <param name="Profiles">Per workload, alone.</param>
/// <param name="Points">Every configuration measured.</param>
/// <param name="Validation">The model's prediction of each measured configuration (null when not computed).</param>
public sealed record ContentionReport(string Started, MachineSummary Machine, string Counters, int Scale, IReadOnlyList<WorkloadProfile> Profiles,
                                      IReadOnlyList<ContentionPoint> Points, ModelValidation? Validation);
