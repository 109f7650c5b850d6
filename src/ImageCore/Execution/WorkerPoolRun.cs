namespace ImageCore.Execution;

/// <summary>What a work item sees of the worker running it.</summary>
/// <param name="Index">The worker's index in the pool (0-based).</param>
/// <param name="Cpu">The CPU it is pinned to, or null when unpinned.</param>
/// <param name="NumaNode">That CPU's NUMA node, or null: planes the item allocates itself are first-touched there.</param>
/// <param name="CancellationToken">The run's token.</param>
public sealed record WorkerContext(int Index, int? Cpu, int? NumaNode, CancellationToken CancellationToken);

/// <summary>One worker thread after it started: what it was asked for and what the kernel says it got.</summary>
/// <param name="Index">The worker's index.</param>
/// <param name="PlannedCpu">The CPU from the plan, or null for unpinned.</param>
/// <param name="NumaNode">The plan's NUMA node for it, or null.</param>
/// <param name="Pinned">True when <c>sched_setaffinity</c> succeeded and the read-back mask is exactly the planned CPU.</param>
/// <param name="AffinityMask">The thread's mask read back with <c>sched_getaffinity</c>, or null where that is unavailable.</param>
/// <param name="PinError">Why pinning failed ("EPERM", "EINVAL", "not supported ..."), or null.</param>
public sealed record WorkerInfo(int Index, int? PlannedCpu, int? NumaNode, bool Pinned, CpuSet? AffinityMask, string? PinError);

/// <summary>One worker's share of a run.</summary>
/// <param name="Index">The worker's index.</param>
/// <param name="Cpu">The CPU it was pinned to, or null.</param>
/// <param name="Items">Work items it ran (failed ones included).</param>
/// <param name="BusyTime">Wall time spent inside work items.</param>
/// <param name="CpuTime">The thread's CPU time during the run (<c>CLOCK_THREAD_CPUTIME_ID</c>), or null where unavailable.</param>
public sealed record WorkerRunStats(int Index, int? Cpu, int Items, TimeSpan BusyTime, TimeSpan? CpuTime)
{
    /// <summary>CPU time / busy wall time (near 1 for a worker that had its core to itself), or null.</summary>
    public double? CpuPerBusy => CpuTime is TimeSpan c && BusyTime > TimeSpan.Zero ? c / BusyTime : null;
}

/// <summary>A work item that threw; the worker caught it and went on.</summary>
/// <param name="ItemIndex">The item's position in the list given to <see cref="PinnedWorkerPool.Run{T}"/>.</param>
/// <param name="Worker">The worker that ran it.</param>
/// <param name="Exception">What it threw.</param>
public sealed record WorkItemFailure(int ItemIndex, int Worker, Exception Exception);

/// <summary>The outcome of <see cref="PinnedWorkerPool.Run{T}"/>.</summary>
/// <param name="Items">Items given.</param>
/// <param name="Succeeded">Items that returned normally.</param>
/// <param name="Failures">Items that threw, by item index.</param>
/// <param name="NotStarted">Items never taken because the run was cancelled.</param>
/// <param name="Cancelled">True when cancellation was requested before every item was taken.</param>
/// <param name="Workers">Per worker: items, busy time, CPU time.</param>
public sealed record WorkerPoolRun(int Items, int Succeeded, IReadOnlyList<WorkItemFailure> Failures, int NotStarted, bool Cancelled,
                                   IReadOnlyList<WorkerRunStats> Workers);
