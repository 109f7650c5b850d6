using System.Diagnostics;
using System.Globalization;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// The contention sweep (<c>imagecore rehearse contention</c>): every workload on 1 .. N dedicated workers
/// (<see cref="PinnedWorkerPool"/>) under every placement this machine allows (<see cref="Placement.Capacity"/>), each
/// configuration a warm-up then <see cref="ContentionConfig.QuantaPerWorker"/> measured quanta per worker taken from one
/// queue. Per configuration: time per quantum (median, min, max), node throughput, slowdown against one worker alone, CPU
/// over busy time per worker, and hardware counters where the kernel gives them. The model (<see cref="ContentionModel"/>)
/// is then fitted to the single-worker profiles and this machine's measured bandwidths, and its predictions for every
/// measured configuration are reported beside the measurements.
/// </summary>
public static class ContentionSweep
{
    /// <summary>Runs the sweep.</summary>
    /// <param name="config">What to measure.</param>
    /// <param name="workDir">Scratch space for the simulated inputs (the caller deletes it).</param>
    /// <param name="log">Receives a line per configuration.</param>
    /// <param name="cancel">Checked between measurements, cases or HDUs.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static ContentionReport Run(ContentionConfig config, string workDir, Action<string>? log = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var topology = CpuTopology.Discover(config.SysfsRoot);
        double? loadBefore = LoadAverage();
        string started = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        string counters = "not requested";
        if (config.HardwareCounters)
        {
            using var probe = PerfCounters.TryOpen(out string? why);
            counters = probe is null ? why! : "available";
        }
        int maxWorkers = config.MaxWorkers > 0 ? config.MaxWorkers : topology.Allowed.Count;
        var points = new List<ContentionPoint>();
        var profiles = new List<WorkloadProfile>();
        var workloads = ContentionInputs.Create(config, workDir, log);
        try
        {
            foreach (var workload in workloads)
            {
                var mine = new List<ContentionPoint>();
                foreach (var policy in config.Placements)
                {
                    int cap = Math.Min(maxWorkers, Placement.Capacity(topology, policy));
                    foreach (int n in Counts(config.WorkerCounts, cap))
                    {
                        cancel.ThrowIfCancellationRequested();
                        var plan = policy.Kind == PlacementKind.None ? PlacementPlan.Unpinned(n) : Placement.Plan(topology, policy, n);
                        var point = Measure(workload, plan, config, counters == "available");
                        mine.Add(point);
                        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                            $"{workload.Name} {policy} x{n}: median {point.MedianSeconds:F3} s, {point.QuantaPerSecond:F2} quanta/s, CPU/busy {point.CpuOverBusy:F2}"));
                    }
                }
                // alone: every single-worker configuration's median, pooled
                double alone = Median(mine.Where(p => p.Workers == 1).Select(p => p.MedianSeconds).ToList());
                mine = mine.Select(p => p with { Slowdown = p.MedianSeconds / alone }).ToList();
                points.AddRange(mine);
                long bytes = workload.BytesPerQuantum;
                string source = "counted from the planes";
                var single = mine.Where(p => p.Workers == 1 && p.LlcMisses is not null).ToList();
                if (single.Count > 0)
                {
                    long measured = single.Sum(p => p.LlcMisses!.Value) / single.Sum(p => p.Quanta) * 64;
                    if (measured > bytes) (bytes, source) = (measured, "LLC misses x 64");
                }
                profiles.Add(new WorkloadProfile(workload.Name, workload.Description, alone, bytes, source, workload.WorkingSetBytes));
            }
        }
        finally
        {
            foreach (var w in workloads) w.Dispose();
        }
        var machine = new MachineSummary(CpuModel(), topology.Allowed.Count, topology.NumaNodes.Count(n => !n.Cpus.Intersect(topology.Allowed).IsEmpty),
                                         topology.L3Domains.Count(d => !d.AllowedCpus.IsEmpty), topology.L3Domains.FirstOrDefault()?.SizeBytes, topology.L3Source,
                                         loadBefore, LoadAverage());
        ModelValidation? validation = null;
        if (profiles.Any(p => p.Name == "stream"))
        {
            var measuredMachine = MachineProfile.Measured(topology, profiles.First(p => p.Name == "stream"), points.Where(p => p.Workload == "stream").ToList());
            validation = ContentionModel.Validate(profiles, points, measuredMachine, topology);
        }
        return new ContentionReport(started, machine, counters, config.Scale, profiles, points, validation);
    }

    private static ContentionPoint Measure(IContentionWorkload workload, PlacementPlan plan, ContentionConfig config, bool counters)
    {
        using var pool = new PinnedWorkerPool(plan);
        var perWorker = new PerfCounters?[plan.Count];
        try
        {
            void Body(int item, WorkerContext context, double[]? times, CounterSample[]? samples)
            {
                if (counters && perWorker[context.Index] is null) perWorker[context.Index] = PerfCounters.TryOpen(out _);
                var pc = perWorker[context.Index];
                var c0 = pc?.Read() ?? default;
                long t0 = Stopwatch.GetTimestamp();
                workload.Run();
                if (times is not null) times[item] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                if (samples is not null && pc is not null) samples[item] = pc.Read() - c0;
            }
            int n = plan.Count;
            if (config.WarmupQuantaPerWorker > 0)
                Check(pool.Run(Enumerable.Range(0, n * config.WarmupQuantaPerWorker).ToArray(), (i, c) => Body(i, c, null, null)));
            int items = n * config.QuantaPerWorker;
            var times = new double[items];
            var samples = new CounterSample[items];
            var clock = Stopwatch.StartNew();
            var run = Check(pool.Run(Enumerable.Range(0, items).ToArray(), (i, c) => Body(i, c, times, samples)));
            double wall = clock.Elapsed.TotalSeconds;
            var sorted = times.Order().ToList();
            var cpu = run.Workers.OrderBy(w => w.Index).Select(w => w.CpuPerBusy).ToList();
            var cpuOverWall = run.Workers.OrderBy(w => w.Index).Select(w => w.CpuTime is TimeSpan c ? c.TotalSeconds / wall : (double?)null).ToList();
            bool counted = counters && perWorker.All(p => p is not null);
            var total = samples.Aggregate(default(CounterSample), (a, b) => a + b);
            return new ContentionPoint(workload.Name, plan.Policy.ToString(), n, string.Join(",", plan.Cpus.Select(c => c?.ToString(CultureInfo.InvariantCulture) ?? "-")),
                                       plan.Policy.Kind != PlacementKind.None && pool.PinningWarning is null, items, Median(sorted), sorted[0], sorted[^1], wall, items / wall, 1,
                                       cpu.All(c => c is not null) ? cpu.Average(c => c!.Value) : null, cpu, cpuOverWall,
                                       counted ? total.Cycles : null, counted ? total.Instructions : null, counted ? total.LlcMisses : null);
        }
        finally
        {
            foreach (var p in perWorker) p?.Dispose();
        }
    }

    /// <summary>The worker counts measured under a placement that can place <paramref name="cap"/>: the listed ones up to
    /// it, or 1, 2, 4, ... below it and <paramref name="cap"/> itself.</summary>
    public static IReadOnlyList<int> Counts(IReadOnlyList<int>? listed, int cap)
    {
        if (listed is not null) return listed.Where(n => n <= cap).Distinct().Order().ToList();
        var counts = new List<int>();
        for (int n = 1; n < cap; n *= 2) counts.Add(n);
        counts.Add(cap);
        return counts;
    }

    private static WorkerPoolRun Check(WorkerPoolRun run)
    {
        if (run.Failures.Count > 0) throw new InvalidOperationException($"a quantum failed on worker {run.Failures[0].Worker}: {run.Failures[0].Exception.Message}", run.Failures[0].Exception);
        return run;
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("the median of nothing");
        return Images.OrderStatistics.Median(values);
    }

    private static double? LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static string CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return "unknown";
    }
}
