using System.Collections.Concurrent;
using System.Diagnostics;

namespace ImageCore.Execution;

/// <summary>
/// Dedicated worker threads (background <see cref="Thread"/>s, one per plan entry), each pinning itself at its own
/// start with <c>sched_setaffinity(0, 128, mask)</c> to the plan's CPU and reading the mask back with
/// <c>sched_getaffinity</c> (<see cref="Workers"/>). Runtime-created threads take the process mask, not their
/// creator's, so pinning must happen on the worker itself. Where the kernel refuses (EPERM in a container, EINVAL
/// for a CPU outside the cpuset) or the OS is not Linux, that worker runs unpinned and <see cref="PinningWarning"/>
/// says so once for the pool. <see cref="Run{T}"/> hands out items from a shared queue in list order.
/// </summary>
public sealed class PinnedWorkerPool : IDisposable
{
    private readonly PlacementPlan _plan;
    private readonly Thread[] _threads;
    private readonly WorkerInfo[] _workers;
    private readonly object _gate = new();
    private Batch? _batch;
    private int _generation;
    private bool _disposed, _running;

    /// <summary>Starts one thread per entry of <paramref name="plan"/> and waits until each has pinned itself (or failed to).</summary>
    /// <exception cref="ArgumentException">The plan has no workers, or its lists differ in length.</exception>
    public PinnedWorkerPool(PlacementPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Count < 1 || plan.NumaNodes.Count != plan.Count)
            throw new ArgumentException($"a worker pool needs at least one worker and one NUMA entry per CPU entry (plan has {plan.Count} CPUs, {plan.NumaNodes.Count} nodes)", nameof(plan));
        _plan = plan;
        _workers = new WorkerInfo[plan.Count];
        _threads = new Thread[plan.Count];
        using var ready = new CountdownEvent(plan.Count);
        for (int i = 0; i < plan.Count; i++)
        {
            int index = i;
            _threads[i] = new Thread(() => Main(index, ready)) { IsBackground = true, Name = $"imagecore-worker-{i}" };
            _threads[i].Start();
        }
        ready.Wait();
        var refused = _workers.Where(w => w.PinError is not null).ToList();
        if (refused.Count > 0)
            PinningWarning = $"pinning refused for {refused.Count} of {plan.Count} workers (worker {refused[0].Index}, CPU {refused[0].PlannedCpu}: {refused[0].PinError}): they run unpinned";
    }

    /// <summary>Per worker: planned CPU, whether pinning held, and the read-back mask (for run reports).</summary>
    public IReadOnlyList<WorkerInfo> Workers => _workers;

    /// <summary>One line saying which workers could not be pinned and why, or null when every planned pin held.</summary>
    public string? PinningWarning { get; }

    /// <summary>Number of workers.</summary>
    public int Count => _threads.Length;

    /// <summary>
    /// Runs <paramref name="body"/> on every item, items taken in list order by whichever worker is free, and
    /// returns when all taken items are done. An exception in an item is caught and reported in
    /// <see cref="WorkerPoolRun.Failures"/>; the worker goes on. After <paramref name="cancellationToken"/> is
    /// cancelled no new item is taken (running ones finish; they see the token in <see cref="WorkerContext"/>).
    /// One run at a time.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another run is in progress.</exception>
    /// <exception cref="ObjectDisposedException">The pool is disposed.</exception>
    public WorkerPoolRun Run<T>(IReadOnlyList<T> items, Action<T, WorkerContext> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(body);
        var batch = new Batch<T>(items, body, cancellationToken, _threads.Length);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_running) throw new InvalidOperationException("the worker pool is already running a batch");
            _running = true;
            _batch = batch;
            _generation++;
            Monitor.PulseAll(_gate);
        }
        try
        {
            batch.Done.Wait(CancellationToken.None);
        }
        finally
        {
            lock (_gate)
            {
                _batch = null;
                _running = false;
            }
            batch.Done.Dispose();
        }
        var failures = batch.Failures.OrderBy(f => f.ItemIndex).ToList();
        int started = Math.Min(items.Count, batch.Taken);
        return new WorkerPoolRun(items.Count, started - failures.Count, failures, items.Count - started,
                                 cancellationToken.IsCancellationRequested && started < items.Count, batch.Stats);
    }

    /// <summary>Stops the workers (after any running batch) and waits for them to exit.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var t in _threads) t.Join();
    }

    private void Main(int index, CountdownEvent ready)
    {
        int? cpu = _plan.Cpus[index];
        try
        {
            _workers[index] = Pin(index, cpu, _plan.NumaNodes[index]);
        }
        catch (Exception e)   // never let a bad plan entry kill the process from a background thread
        {
            _workers[index] = new WorkerInfo(index, cpu, _plan.NumaNodes[index], false, null, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            ready.Signal();
        }
        bool pinned = _workers[index].Pinned;
        var context = (Cpu: pinned ? cpu : null, Node: pinned ? _plan.NumaNodes[index] : null);
        int seen = 0;
        while (true)
        {
            Batch batch;
            lock (_gate)
            {
                while (!_disposed && _generation == seen) Monitor.Wait(_gate);
                if (_disposed) return;
                seen = _generation;
                batch = _batch!;
            }
            batch.Work(index, context.Cpu, context.Node);
        }
    }

    private static WorkerInfo Pin(int index, int? cpu, int? node)
    {
        if (!OperatingSystem.IsLinux())
            return new WorkerInfo(index, cpu, node, false, null, cpu is null ? null : $"pinning is not supported on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        try
        {
            string? error = null;
            if (cpu is int c)
            {
                int errno = LinuxAffinity.SetCurrentThread(CpuSet.Of(c));
                if (errno != 0) error = $"sched_setaffinity refused: {LinuxAffinity.ErrnoName(errno)}";
            }
            var mask = LinuxAffinity.GetCurrentThread(out int getErrno);
            if (cpu is int want && error is null)
            {
                if (mask is null) error = $"sched_getaffinity refused: {LinuxAffinity.ErrnoName(getErrno)}";
                else if (!mask.Equals(CpuSet.Of(want))) error = $"read-back mask {mask} is not CPU {want}";
            }
            return new WorkerInfo(index, cpu, node, cpu is not null && error is null, mask, error);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return new WorkerInfo(index, cpu, node, false, null, cpu is null ? null : $"pinning is not supported here ({e.Message})");
        }
    }

    private abstract class Batch
    {
        public CountdownEvent Done { get; }
        public ConcurrentBag<WorkItemFailure> Failures { get; } = [];
        public WorkerRunStats[] Stats { get; }
        protected int _next;

        protected Batch(int workers)
        {
            Done = new CountdownEvent(workers);
            Stats = new WorkerRunStats[workers];
        }

        public int Taken => Volatile.Read(ref _next);

        public abstract void Work(int worker, int? cpu, int? node);
    }

    private sealed class Batch<T>(IReadOnlyList<T> items, Action<T, WorkerContext> body, CancellationToken token, int workers) : Batch(workers)
    {
        public override void Work(int worker, int? cpu, int? node)
        {
            var context = new WorkerContext(worker, cpu, node, token);
            TimeSpan? cpu0 = ThreadCpuTime.Current();
            long busy = 0;
            int count = 0;
            try
            {
                while (!token.IsCancellationRequested)
                {
                    int i = Interlocked.Increment(ref _next) - 1;
                    if (i >= items.Count) break;
                    long t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        body(items[i], context);
                    }
                    catch (Exception e)
                    {
                        Failures.Add(new WorkItemFailure(i, worker, e));
                    }
                    busy += Stopwatch.GetTimestamp() - t0;
                    count++;
                }
            }
            finally
            {
                TimeSpan? cpu1 = ThreadCpuTime.Current();
                Stats[worker] = new WorkerRunStats(worker, cpu, count, Stopwatch.GetElapsedTime(0, busy), cpu1 - cpu0);
                Done.Signal();
            }
        }
    }
}
