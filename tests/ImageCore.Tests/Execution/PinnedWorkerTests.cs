using System.Collections.Concurrent;
using ImageCore.Execution;

namespace ImageCore.Tests.Execution;

public class PinnedWorkerTests
{
    [Fact]
    public void On_this_machine_every_pinned_workers_read_back_mask_equals_its_plan()
    {
        var topology = CpuTopology.Discover();
        foreach (var policy in new[] { PlacementPolicy.Compact, PlacementPolicy.Spread, PlacementPolicy.L3(1) })
        {
            var plan = Placement.Plan(topology, policy, Placement.Capacity(topology, policy));
            using var pool = new PinnedWorkerPool(plan);
            Assert.Equal(plan.Count, pool.Workers.Count);
            var seen = new ConcurrentDictionary<int, CpuSet?>();
            var run = pool.Run(Enumerable.Range(0, 4 * plan.Count).ToList(), (_, ctx) => seen[ctx.Index] = LinuxAffinity.GetCurrentThread(out _));
            Assert.Equal(4 * plan.Count, run.Succeeded);
            for (int i = 0; i < plan.Count; i++)
            {
                var w = pool.Workers[i];
                Assert.Equal(plan.Cpus[i], w.PlannedCpu);
                if (!OperatingSystem.IsLinux())
                {
                    Assert.False(w.Pinned);
                    Assert.Contains("not supported", w.PinError);
                    continue;
                }
                // Pinning one's own thread to an allowed CPU is never refused on Linux.
                Assert.True(w.Pinned, w.PinError);
                Assert.Equal(CpuSet.Of(plan.Cpus[i]!.Value), w.AffinityMask);
                if (seen.TryGetValue(i, out var inside)) Assert.Equal(w.AffinityMask, inside);   // still pinned while running items
            }
            if (OperatingSystem.IsLinux()) Assert.Null(pool.PinningWarning);
        }
    }

    [Fact]
    public void A_refused_pin_runs_unpinned_with_one_warning()
    {
        // CPU 1023 exists on no test machine: sched_setaffinity answers EINVAL.
        var plan = new PlacementPlan(PlacementPolicy.Compact, [1023, 1023, null, 9000], [0, 0, null, 0]);   // 9000: beyond any CPU set
        using var pool = new PinnedWorkerPool(plan);
        Assert.All(pool.Workers, w => Assert.False(w.Pinned));
        Assert.NotNull(pool.PinningWarning);
        Assert.Contains("3 of 4 workers", pool.PinningWarning);
        Assert.Contains("CPU 1023", pool.PinningWarning);
        Assert.Null(pool.Workers[2].PinError);   // unpinned by plan: nothing refused
        Assert.Contains("9000", pool.Workers[3].PinError);
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains("EINVAL", pool.Workers[0].PinError);
            var process = LinuxAffinity.GetCurrentThread(out _);
            Assert.All(pool.Workers.Take(3), w => Assert.Equal(process, w.AffinityMask));   // untouched: the process mask
        }
        var contexts = new ConcurrentBag<WorkerContext>();
        var run = pool.Run(Enumerable.Range(0, 30).ToList(), (_, ctx) => contexts.Add(ctx));
        Assert.Equal(30, run.Succeeded);
        Assert.All(contexts, c => Assert.Null(c.Cpu));
        Assert.All(contexts, c => Assert.Null(c.NumaNode));
    }

    [Fact]
    public void Failing_items_are_reported_per_item_and_every_item_runs_once()
    {
        using var pool = new PinnedWorkerPool(PlacementPlan.Unpinned(3));
        var ran = new ConcurrentDictionary<int, int>();
        for (int repeat = 0; repeat < 2; repeat++)   // the same workers serve a second run
        {
            ran.Clear();
            var run = pool.Run(Enumerable.Range(0, 100).ToList(), (i, _) =>
            {
                ran.AddOrUpdate(i, 1, (_, n) => n + 1);
                if (i % 7 == 3) throw new InvalidDataException($"item {i} is bad");
            });
            Assert.Equal(100, ran.Count);
            Assert.All(ran.Values, n => Assert.Equal(1, n));
            Assert.Equal(Enumerable.Range(0, 100).Where(i => i % 7 == 3), run.Failures.Select(f => f.ItemIndex));
            Assert.All(run.Failures, f => Assert.Equal($"item {f.ItemIndex} is bad", f.Exception.Message));
            Assert.Equal(100 - run.Failures.Count, run.Succeeded);
            Assert.Equal(0, run.NotStarted);
            Assert.False(run.Cancelled);
            Assert.Equal(100, run.Workers.Sum(w => w.Items));
            Assert.Equal([0, 1, 2], run.Workers.Select(w => w.Index));
        }
    }

    [Fact]
    public void One_worker_takes_items_in_list_order_and_cancellation_stops_taking_new_ones()
    {
        using var pool = new PinnedWorkerPool(PlacementPlan.Unpinned(1));
        using var cts = new CancellationTokenSource();
        var order = new List<int>();
        var run = pool.Run(Enumerable.Range(0, 50).ToList(), (i, ctx) =>
        {
            order.Add(i);
            if (i == 9) cts.Cancel();
            Assert.Equal(cts.Token, ctx.CancellationToken);
        }, cts.Token);
        Assert.Equal(Enumerable.Range(0, 10), order);
        Assert.True(run.Cancelled);
        Assert.Equal(40, run.NotStarted);
        Assert.Equal(10, run.Succeeded);
    }

    [Fact]
    public void Each_worker_reports_its_own_cpu_time_and_busy_time()
    {
        using var pool = new PinnedWorkerPool(PlacementPlan.Unpinned(2));
        double sink = 0;
        var run = pool.Run(Enumerable.Range(0, 8).ToList(), (i, _) =>
        {
            double s = 0;
            for (int k = 1; k < 2_000_000; k++) s += 1.0 / k;   // real work: the thread's CPU clock must move
            Interlocked.Exchange(ref sink, s);
        });
        Assert.True(sink > 0);
        foreach (var w in run.Workers.Where(w => w.Items > 0))
        {
            Assert.True(w.BusyTime > TimeSpan.Zero);
            if (OperatingSystem.IsLinux())
            {
                Assert.NotNull(w.CpuTime);
                Assert.True(w.CpuTime > TimeSpan.Zero);
                Assert.NotNull(w.CpuPerBusy);
            }
        }
    }

    [Fact]
    public void Bad_plans_and_concurrent_or_late_runs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new PinnedWorkerPool(new PlacementPlan(PlacementPolicy.None, [], [])));
        Assert.Throws<ArgumentException>(() => new PinnedWorkerPool(new PlacementPlan(PlacementPolicy.Compact, [0, 1], [0])));
        var pool = new PinnedWorkerPool(PlacementPlan.Unpinned(2));
        Exception? nested = null;
        pool.Run([1], (_, _) => nested = Record.Exception(() => pool.Run([2], (_, _) => { })));
        Assert.IsType<InvalidOperationException>(nested);
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Run([1], (_, _) => { }));
    }
}
