using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageCore.Execution;

/// <summary>One step of a run (isr, warp, coadd): how many quanta, how they ended, and the time spent.</summary>
/// <param name="Name">Step name.</param>
/// <param name="Quanta">Quanta planned.</param>
/// <param name="Succeeded">Quanta that wrote their output.</param>
/// <param name="Failed">Quanta that threw (listed in <see cref="PipelineReport.Failures"/>).</param>
/// <param name="Skipped">Quanta not run because an input they need failed upstream (also listed).</param>
/// <param name="Empty">Quanta that ran and had nothing to write (a warp with no good pixel inside its patch).</param>
/// <param name="WallSeconds">Wall-clock time of the step.</param>
/// <param name="CpuSeconds">Process CPU time (user + system) spent during the step.</param>
public sealed record PipelineStepReport(string Name, int Quanta, int Succeeded, int Failed, int Skipped, int Empty, double WallSeconds, double CpuSeconds);

/// <summary>A quantum that failed, or was skipped because of an upstream failure.</summary>
/// <param name="Step">isr, warp or coadd.</param>
/// <param name="Quantum">Which one, e.g. "visit 3 detector R22_S11" or "tract 9813 patch 45 visit 3".</param>
/// <param name="Inputs">Its input files.</param>
/// <param name="Message">The error, or which upstream failure blocked it.</param>
/// <param name="Skipped">True when it was not run because an input failed upstream.</param>
public sealed record PipelineFailure(string Step, string Quantum, IReadOnlyList<string> Inputs, string Message, bool Skipped);

/// <summary>What the calibration cache and the calibration store did during a run.</summary>
/// <param name="Cache">The cache policy (<see cref="CachePolicy"/>'s text form).</param>
/// <param name="Store">The store: its directory, and its latency and bandwidth when throttled.</param>
/// <param name="Hits">Requests served from the cache (or by joining a read already under way).</param>
/// <param name="Misses">Requests that read the store.</param>
/// <param name="Evictions">Entries the policy dropped.</param>
/// <param name="BytesHeldAtEnd">Bytes (as stored) the cache held when ISR ended.</param>
/// <param name="EntriesHeldAtEnd">Datasets the cache held when ISR ended.</param>
/// <param name="BytesReadThroughCache">Bytes the cache read from the store (the sum of its misses' sizes).</param>
/// <param name="StoreReads">Files the store read, by its own count.</param>
/// <param name="StoreBytesRead">Bytes the store read, by its own count (file sizes).</param>
public sealed record CalibrationReport(string Cache, string Store, long Hits, long Misses, long Evictions, long BytesHeldAtEnd, int EntriesHeldAtEnd,
                                       long BytesReadThroughCache, long StoreReads, long StoreBytesRead);

/// <summary>The machine as the run saw it (<see cref="CpuTopology"/>), each fact with its source.</summary>
/// <param name="Allowed">CPUs the run may use (a CPU list).</param>
/// <param name="AllowedSource">Where that came from (online CPUs, cgroup cpuset, sched_getaffinity).</param>
/// <param name="NumaNodes">NUMA nodes as "node N: CPUs".</param>
/// <param name="NumaSource">Where the NUMA nodes came from.</param>
/// <param name="L3Domains">L3 domains as "L3 i (node N, SIZE): CPUs".</param>
/// <param name="L3Source">Where the L3 domains came from (sysfs, CPUID, or one per NUMA node).</param>
/// <param name="CacheSource">Where the cache sizes came from.</param>
public sealed record TopologyReport(string Allowed, string AllowedSource, IReadOnlyList<string> NumaNodes, string NumaSource,
                                    IReadOnlyList<string> L3Domains, string L3Source, string CacheSource)
{
    /// <summary>The report of <paramref name="t"/>.</summary>
    public static TopologyReport Of(CpuTopology t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new(t.Allowed.ToString(), t.AllowedSource, t.NumaNodes.Select(n => $"node {n.Id}: {n.Cpus}").ToList(), t.NumaSource,
                   t.L3Domains.Select(d => $"L3 {d.Index} (node {d.NumaNode}{(d.SizeBytes is long b ? $", {b >> 20} MiB" : "")}): {d.Cpus}").ToList(),
                   t.L3Source, t.CacheSource);
    }
}

/// <summary>One worker of a run: where it was meant to run, where it ran, and how much CPU it used.</summary>
/// <param name="Index">Worker number.</param>
/// <param name="PlannedCpu">The CPU the placement gave it (null: unpinned).</param>
/// <param name="NumaNode">That CPU's NUMA node.</param>
/// <param name="Pinned">True when it pinned itself and read the same mask back.</param>
/// <param name="AffinityMask">The mask it read back (a CPU list), when it could.</param>
/// <param name="PinError">Why it runs unpinned although a CPU was planned.</param>
/// <param name="Quanta">Quanta it ran, all steps.</param>
/// <param name="BusySeconds">Wall time it spent inside quanta.</param>
/// <param name="CpuSeconds">CPU time of its thread (user + system), when the platform gives it.</param>
/// <param name="CpuOverWall">CPU seconds over the run's wall seconds: the share of its allocated core it used
/// (the monitoring gap OR5 named: actual core use against what was allocated).</param>
/// <param name="CpuOverBusy">CPU seconds over busy seconds: below 1 means it waited (I/O, the throttled store, memory) while working.</param>
public sealed record WorkerReport(int Index, int? PlannedCpu, int? NumaNode, bool Pinned, string? AffinityMask, string? PinError, int Quanta,
                                  double BusySeconds, double? CpuSeconds, double? CpuOverWall, double? CpuOverBusy);

/// <summary>How the run was executed: the topology, the placement and each worker.</summary>
/// <param name="Topology">The machine.</param>
/// <param name="Placement">The placement policy and the planned CPU per worker ("-" unpinned).</param>
/// <param name="PinningWarning">Said once when pinning was refused (the workers then ran unpinned); null otherwise.</param>
/// <param name="Workers">Per worker.</param>
public sealed record ExecutionReport(TopologyReport Topology, string Placement, string? PinningWarning, IReadOnlyList<WorkerReport> Workers);

/// <summary>What <c>imagecore run</c> did: written as <c>report.json</c> in the output directory.</summary>
/// <param name="Data">The data directory.</param>
/// <param name="Output">The output directory.</param>
/// <param name="Threads">Concurrent quanta allowed.</param>
/// <param name="Started">When the run started (UTC, ISO 8601).</param>
/// <param name="WallSeconds">Wall-clock time of the whole run.</param>
/// <param name="CpuSeconds">Process CPU time of the whole run.</param>
/// <param name="SkyMap">The sky map used (lsst_cells_v1, scaled to the data's pixel scale where the data are a scaled simulation).</param>
/// <param name="Steps">One entry per step, in order.</param>
/// <param name="Failures">Every failed or skipped quantum.</param>
/// <param name="PostIsr">Post-ISR exposures written.</param>
/// <param name="Calexps">Characterized exposures written.</param>
/// <param name="Warps">Direct warps written.</param>
/// <param name="PsfMatchedWarps">PSF-matched warps written.</param>
/// <param name="Coadds">Coadds written.</param>
/// <param name="Order">The quantum order (<see cref="QuantumOrder"/>'s text form).</param>
/// <param name="Calibrations">The calibration cache's and store's counters.</param>
/// <param name="Execution">Topology, placement and workers.</param>
public sealed record PipelineReport(string Data, string Output, int Threads, string Started, double WallSeconds, double CpuSeconds, string SkyMap,
    IReadOnlyList<PipelineStepReport> Steps, IReadOnlyList<PipelineFailure> Failures,
    IReadOnlyList<string> PostIsr, IReadOnlyList<string> Calexps, IReadOnlyList<string> Warps, IReadOnlyList<string> PsfMatchedWarps, IReadOnlyList<string> Coadds, string Order, CalibrationReport Calibrations, ExecutionReport Execution)
{
    /// <summary>The options the report is written and read with (camelCase names, indented), with source-generated
    /// metadata for the report's types (no reflection: usable in a native AOT build).</summary>
    public static JsonSerializerOptions JsonOptions => ReportJsonContext.Default.Options;

    /// <summary>The report as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ReportJsonContext.Default.PipelineReport);
}

/// <summary>Source-generated JSON metadata for the run report: camelCase names, indented, nothing left out.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PipelineReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;

/// <summary>Progress of a run: a quantum of <paramref name="Step"/> finished (or the step started, with Done 0).</summary>
/// <param name="Step">isr, warp or coadd.</param>
/// <param name="Done">Quanta of the step finished so far (succeeded, failed or skipped).</param>
/// <param name="Total">Quanta of the step.</param>
/// <param name="Message">What just finished, or the error of a failed quantum; empty when a step starts.</param>
/// <param name="Failed">True when the quantum that just finished failed.</param>
public readonly record struct PipelineProgress(string Step, int Done, int Total, string Message, bool Failed);
