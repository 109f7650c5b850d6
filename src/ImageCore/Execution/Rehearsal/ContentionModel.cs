using System.Globalization;

namespace ImageCore.Execution.Rehearsal;

/// <summary>The model's figures for one workload, placement and number of jobs on one machine.</summary>
/// <param name="Workload">Workload name.</param>
/// <param name="Machine">Machine name.</param>
/// <param name="Placement">Placement (text form; <c>none</c> is modelled as the OS spreading jobs over L3 domains).</param>
/// <param name="Jobs">Jobs running at once.</param>
/// <param name="SecondsPerQuantum">Mean time per quantum over the jobs.</param>
/// <param name="QuantaPerSecond">Node throughput.</param>
/// <param name="Slowdown">Time per quantum over the time of one job alone on the same machine.</param>
/// <param name="BoundBy">What limits the slowest job: compute, core bandwidth, L3 domain link, socket memory.</param>
/// <param name="MaxJobsPerDomain">The most jobs sharing one L3 domain.</param>
public sealed record ModelPrediction(string Workload, string Machine, string Placement, int Jobs, double SecondsPerQuantum, double QuantaPerSecond, double Slowdown,
                                     string BoundBy, int MaxJobsPerDomain);

/// <summary>A measured configuration beside the model's prediction of it.</summary>
/// <param name="Workload">Workload name.</param>
/// <param name="Placement">Placement.</param>
/// <param name="Workers">Workers.</param>
/// <param name="MeasuredSeconds">Measured median time per quantum.</param>
/// <param name="PredictedSeconds">Predicted time per quantum.</param>
/// <param name="Error">(predicted - measured) / measured.</param>
/// <param name="MeasuredOnCpuSeconds">The measured median times the workers' mean CPU over busy time, or null: the time a
/// quantum was on a CPU (computing or stalled on memory), without the time other processes of a shared machine took its core.</param>
/// <param name="OnCpuError">(predicted - on-CPU) / on-CPU, or null.</param>
public sealed record ModelCheck(string Workload, string Placement, int Workers, double MeasuredSeconds, double PredictedSeconds, double Error,
                                double? MeasuredOnCpuSeconds, double? OnCpuError);

/// <summary>The model against a sweep's measurements on the machine it ran on.</summary>
/// <param name="Machine">The measured machine profile used.</param>
/// <param name="Checks">Every measured configuration.</param>
/// <param name="MeanAbsoluteError">Mean |error| over the checks of configurations with more than one worker, by workload.</param>
/// <param name="MeanAbsoluteOnCpuError">The same against the on-CPU times.</param>
public sealed record ModelValidation(MachineProfile Machine, IReadOnlyList<ModelCheck> Checks, IReadOnlyDictionary<string, double> MeanAbsoluteError,
                                     IReadOnlyDictionary<string, double> MeanAbsoluteOnCpuError);

/// <summary>The model's OR5 figures: every workload on the Milan node under each scenario, and what it recommends.</summary>
/// <param name="Machine">The Milan profile.</param>
/// <param name="Topology">The topology tree used (its sysfs root).</param>
/// <param name="ProfiledOn">The machine the workloads' profiles were measured on.</param>
/// <param name="Profiles">Those profiles.</param>
/// <param name="Predictions">Per workload and scenario.</param>
/// <param name="Recommendations">Per workload, one line: the 8-job compact and fully packed slowdowns against OR5's 2-3x, and the placement and packing with the best node throughput.</param>
public sealed record Or5Prediction(MachineProfile Machine, string Topology, string ProfiledOn, IReadOnlyList<WorkloadProfile> Profiles,
                                   IReadOnlyList<ModelPrediction> Predictions, IReadOnlyList<string> Recommendations);

/// <summary>
/// A roofline-style model of memory contention (docs/rehearsal.md, "The model"). A workload measured alone takes t1
/// seconds and moves B bytes; on the profiled machine one job alone draws bw1 = min(core, domain, socket bandwidth), so
/// its compute time is c = max(0, t1 - B / bw1) (compute and memory time added: no overlap assumed). On a target machine
/// with compute speed s, a job sharing its L3 domain with k jobs and its socket with n jobs gets the bandwidth
/// share = min(core, domain / k, socket / n) and takes t = c / s + B' / share, where B' = B (1 + alpha (f(k) - f(1))) adds
/// the re-reads of working set W that no longer fits the domain's L3 of size L when k jobs share it: f(k) = max(0, 1 - L / (k W)).
/// Jobs are placed by the engine's own <see cref="Placement"/>; unpinned jobs (<c>none</c>) are modelled as the OS
/// spreading them over domains (the <c>spread</c> plan).
/// </summary>
public static class ContentionModel
{
    /// <summary>Each byte of the working set that no longer fits the L3 is read once more from memory (alpha).</summary>
    public const double DefaultSpillRereads = 1.0;

    /// <summary>Predicts <paramref name="jobs"/> jobs of <paramref name="profile"/> placed by <paramref name="policy"/> on <paramref name="topology"/>.</summary>
    /// <param name="profile">The workload alone, as measured on <paramref name="profiledOn"/>.</param>
    /// <param name="profiledOn">The machine the profile was measured on.</param>
    /// <param name="target">The machine predicted.</param>
    /// <param name="topology">The target's topology (domains, L3 sizes, NUMA nodes, allowed CPUs).</param>
    /// <param name="policy">The placement.</param>
    /// <param name="jobs">Jobs at once.</param>
    /// <param name="spillRereads">alpha.</param>
    /// <exception cref="ArgumentException">The placement cannot place that many jobs.</exception>
    public static ModelPrediction Predict(WorkloadProfile profile, MachineProfile profiledOn, MachineProfile target, CpuTopology topology, PlacementPolicy policy,
                                          int jobs, double spillRereads = DefaultSpillRereads)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(profiledOn);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(policy);
        var plan = Placement.Plan(topology, policy.Kind == PlacementKind.None ? PlacementPolicy.Spread : policy, jobs);
        var domainOf = plan.Cpus.Select(c => topology.L3Of(c!.Value)).ToList();
        var perDomain = domainOf.GroupBy(d => d.Index).ToDictionary(g => g.Key, g => g.Count());
        var perNode = plan.NumaNodes.GroupBy(n => n!.Value).ToDictionary(g => g.Key, g => g.Count());
        double compute = Compute(profile, profiledOn) / target.CoreSpeed;
        double alone = compute + profile.BytesPerQuantum / Math.Min(target.CoreBandwidth, Math.Min(target.DomainBandwidth, target.SocketBandwidth));
        double sum = 0, throughput = 0, worst = 0;
        string bound = "compute";
        for (int j = 0; j < jobs; j++)
        {
            int k = perDomain[domainOf[j].Index], n = perNode[plan.NumaNodes[j]!.Value];
            double core = target.CoreBandwidth, domain = target.DomainBandwidth / k, socket = target.SocketBandwidth / n;
            double share = Math.Min(core, Math.Min(domain, socket));
            double bytes = profile.BytesPerQuantum * (1 + spillRereads * (Spill(profile.WorkingSetBytes, domainOf[j].SizeBytes, k) - Spill(profile.WorkingSetBytes, domainOf[j].SizeBytes, 1)));
            double memory = bytes / share, t = compute + memory;
            sum += t;
            throughput += 1 / t;
            if (t > worst)
            {
                worst = t;
                bound = memory < compute ? "compute" : share == core ? "core bandwidth" : share == domain ? "L3 domain link" : "socket memory";
            }
        }
        double mean = sum / jobs;
        return new ModelPrediction(profile.Name, target.Name, policy.ToString(), jobs, mean, throughput, mean / alone, bound, perDomain.Values.Max());
    }

    /// <summary>How a slowdown compares with OR5's 2-3x: below, within, or above it.</summary>
    public static string Verdict(double slowdown) => slowdown < 2 ? "below OR5's 2-3x" : slowdown <= 3 ? "within OR5's 2-3x" : "above OR5's 2-3x";

    /// <summary>Compute seconds of a profile: t1 - B / min(core, domain, socket) of the profiled machine, at least 0.</summary>
    public static double Compute(WorkloadProfile profile, MachineProfile profiledOn)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(profiledOn);
        double bw = Math.Min(profiledOn.CoreBandwidth, Math.Min(profiledOn.DomainBandwidth, profiledOn.SocketBandwidth));
        return Math.Max(0, profile.SecondsAlone - profile.BytesPerQuantum / bw);
    }

    /// <summary>The share of the working set that does not fit the L3 when <paramref name="sharers"/> jobs share it (0 when the size is unknown).</summary>
    public static double Spill(long workingSet, long? l3Bytes, int sharers) =>
        l3Bytes is long l && workingSet > 0 ? Math.Max(0, 1 - l / ((double)sharers * workingSet)) : 0;

    /// <summary>The model's prediction of every measured configuration of a sweep on its own machine, and the errors.</summary>
    public static ModelValidation Validate(IReadOnlyList<WorkloadProfile> profiles, IReadOnlyList<ContentionPoint> points, MachineProfile measured, CpuTopology topology)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(points);
        var checks = new List<ModelCheck>();
        foreach (var p in points)
        {
            var profile = profiles.First(x => x.Name == p.Workload);
            var predicted = Predict(profile, measured, measured, topology, PlacementPolicy.Parse(p.Placement), p.Workers);
            double? onCpu = p.CpuOverBusy is double u ? p.MedianSeconds * Math.Min(1, u) : null;
            checks.Add(new ModelCheck(p.Workload, p.Placement, p.Workers, p.MedianSeconds, predicted.SecondsPerQuantum,
                                      (predicted.SecondsPerQuantum - p.MedianSeconds) / p.MedianSeconds, onCpu, (predicted.SecondsPerQuantum - onCpu) / onCpu));
        }
        var multi = checks.Where(c => c.Workers > 1).GroupBy(c => c.Workload).ToList();
        var errors = multi.ToDictionary(g => g.Key, g => g.Average(c => Math.Abs(c.Error)));
        var cpuErrors = multi.Where(g => g.All(c => c.OnCpuError is not null)).ToDictionary(g => g.Key, g => g.Average(c => Math.Abs(c.OnCpuError!.Value)));
        return new ModelValidation(measured, checks, errors, cpuErrors);
    }

    /// <summary>
    /// OR5's node: every profile on <paramref name="topology"/> (a 120-core Milan tree) with <paramref name="milan"/>'s
    /// bandwidths: 8 jobs compact (PanDA's 8-job pilot pinned into one L3), unpinned and spread; 60, 90 and the node's full
    /// packing, compact, unpinned and spread; and l3:K for K = 1 .. 8 fully used. The recommendation is the scenario with the
    /// highest node throughput (ties within 2% go to fewer jobs per domain, then fewer jobs, then unpinned before spread,
    /// l3:K and compact).
    /// </summary>
    public static Or5Prediction PredictOr5(IReadOnlyList<WorkloadProfile> profiles, MachineProfile profiledOn, MachineProfile milan, CpuTopology topology)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(topology);
        int full = topology.Allowed.Count;
        var scenarios = new List<(PlacementPolicy, int)> { (PlacementPolicy.Compact, 8), (PlacementPolicy.None, 8), (PlacementPolicy.Spread, 8) };
        foreach (int jobs in new[] { 60, 90, full }.Where(j => j <= full).Distinct())
            foreach (var p in new[] { PlacementPolicy.Compact, PlacementPolicy.None, PlacementPolicy.Spread }) scenarios.Add((p, jobs));
        for (int k = 1; k <= 8; k++)
        {
            var policy = PlacementPolicy.L3(k);
            int cap = Math.Min(full, Placement.Capacity(topology, policy));
            if (!scenarios.Contains((policy, cap))) scenarios.Add((policy, cap));
        }
        var predictions = new List<ModelPrediction>();
        var recommendations = new List<string>();
        var inv = CultureInfo.InvariantCulture;
        foreach (var profile in profiles)
        {
            var mine = scenarios.Select(s => Predict(profile, profiledOn, milan, topology, s.Item1, s.Item2)).ToList();
            predictions.AddRange(mine);
            double best = mine.Max(m => m.QuantaPerSecond);
            var pick = mine.Where(m => m.QuantaPerSecond >= 0.98 * best).OrderBy(m => m.MaxJobsPerDomain).ThenBy(m => m.Jobs)
                .ThenBy(m => m.Placement switch { "none" => 0, "spread" => 1, "compact" => 3, _ => 2 }).First();
            var packed8 = mine[0];
            var full0 = mine.First(m => m.Placement == "none" && m.Jobs == full);
            recommendations.Add(string.Create(inv,
                $"{profile.Name}: 8 jobs pinned compact {packed8.Slowdown:F2}x slower than alone ({Verdict(packed8.Slowdown)}), fully packed unpinned {full0.Slowdown:F2}x ({Verdict(full0.Slowdown)}); best node throughput {pick.QuantaPerSecond:F2} quanta/s with {pick.Placement} x{pick.Jobs} ({pick.Slowdown:F2}x per quantum, bound by {pick.BoundBy})"));
        }
        return new Or5Prediction(milan, topology.SysfsRoot, profiledOn.Name, profiles, predictions, recommendations);
    }
}
