using ImageCore.Execution;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

/// <summary>One campaign of 8 visits x 9 detectors (raft R22 at 1/8 scale), shared by the tests of this class.</summary>
public sealed class CampaignFixture : IDisposable
{
    public CampaignFixture()
    {
        Simulator.Run(Data, new SimulationConfig { Visits = 8, Detectors = "R22", Scale = 8, Seed = 2, SeeingFwhmArcsec = 6.4 });
    }

    private readonly TempDir _dir = new();

    public string Data => _dir.File("data");

    public string File(string name) => _dir.File(name);

    /// <summary>Bytes of every calibration file ISR reads for the campaign's nine detectors in band r, counted from the disk.</summary>
    public long CalibrationBytesOnDisk()
    {
        string calib = Path.Combine(Data, "calib");
        var files = new List<string>();
        foreach (string det in Directory.GetFiles(Path.Combine(calib, "bias"), "*.fits").Select(Path.GetFileNameWithoutExtension).OfType<string>())
        {
            files.AddRange([Path.Combine(calib, "bias", det + ".fits"), Path.Combine(calib, "dark", det + ".fits"), Path.Combine(calib, "flat", "r", det + ".fits"),
                            Path.Combine(calib, "crosstalk", det + ".json"), Path.Combine(calib, "linearity", det + ".json"), Path.Combine(calib, "amps", det + ".json")]);
            string defects = Path.Combine(calib, "defects", det + ".json");
            if (System.IO.File.Exists(defects)) files.Add(defects);
        }
        Assert.Equal(9, files.Count(f => f.Contains($"{Path.DirectorySeparatorChar}bias{Path.DirectorySeparatorChar}", StringComparison.Ordinal)));
        return files.Sum(f => new FileInfo(f).Length);
    }

    public void Dispose() => _dir.Dispose();
}

public class PipelineExecutionTests(CampaignFixture campaign) : IClassFixture<CampaignFixture>
{
    private PipelineReport Isr(string name, string order, string cache, string affinity = "none", string? sysfs = null) =>
        Pipeline.Run(campaign.Data, campaign.File(name), new PipelineConfig
        {
            Threads = 2,
            Until = PipelineStep.Isr,
            Order = QuantumOrder.Parse(order),
            Cache = CachePolicy.Parse(cache),
            Placement = PlacementPolicy.Parse(affinity),
            SysfsRoot = sysfs ?? "/sys",
        });

    [Fact]
    public void Visit_order_with_a_small_cache_rereads_calibrations()
    {
        var report = Isr("visit", "visit", "datasets:20");
        Assert.Equal(["isr"], report.Steps.Select(s => s.Name));
        Assert.Equal(72, report.Steps[0].Succeeded);
        var c = report.Calibrations;
        // 72 quanta x 7 calibrations; a working set of 63 datasets through a 20-dataset FIFO: every request misses.
        Assert.Equal(504, c.Hits + c.Misses);
        Assert.True(c.StoreReads > 63, $"{c.StoreReads} store reads");
        Assert.True(c.Evictions > 0);
        Assert.Equal(c.Misses, c.StoreReads);
        Assert.Equal(c.StoreBytesRead, c.BytesReadThroughCache);
        Assert.True(c.StoreBytesRead > campaign.CalibrationBytesOnDisk());
        Assert.Equal("visit", report.Order);
    }

    [Fact]
    public void Detector_order_with_a_large_cache_reads_each_calibration_once()
    {
        var report = Isr("detector", "detector", "bytes:1TB");
        var c = report.Calibrations;
        Assert.Equal(63, c.StoreReads);
        Assert.Equal(63, c.Misses);
        Assert.Equal(504 - 63, c.Hits);
        Assert.Equal(0, c.Evictions);
        Assert.Equal(campaign.CalibrationBytesOnDisk(), c.StoreBytesRead);
        Assert.Equal(c.StoreBytesRead, c.BytesReadThroughCache);
    }

    [Fact]
    public void Visit_groups_read_each_detector_once_per_group()
    {
        // lru-datasets:21 holds three detectors' calibrations (a third of the working set; two workers are on at most
        // two detectors at once): detector-clustered groups read each detector once per group.
        var report = Isr("groups", "groups:2", "lru-datasets:21");
        Assert.Equal(2 * 63, report.Calibrations.StoreReads);
        Assert.Equal("groups:2", report.Order);
    }

    [Fact]
    public void Pinned_workers_report_their_read_back_masks()
    {
        var report = Isr("compact", "visit", "bytes:1GB", "compact");
        var x = report.Execution;
        Assert.StartsWith("compact", x.Placement, StringComparison.Ordinal);
        Assert.Equal(2, x.Workers.Count);
        Assert.Equal(72, x.Workers.Sum(w => w.Quanta));
        foreach (var w in x.Workers)
        {
            Assert.NotNull(w.PlannedCpu);
            if (x.PinningWarning is null)
                Assert.Equal(w.PlannedCpu.ToString(), w.AffinityMask);   // this machine allows pinning: the read-back mask is the plan
            else
                Assert.False(w.Pinned);
            Assert.True(w.BusySeconds > 0);
            if (w.CpuSeconds is double cpu) Assert.True(cpu > 0 && w.CpuOverWall > 0 && w.CpuOverWall <= 1.05, $"worker {w.Index}: CPU/wall {w.CpuOverWall}");
        }
        Assert.False(string.IsNullOrEmpty(x.Topology.Allowed));
        Assert.NotEmpty(x.Topology.L3Domains);
    }

    [Fact]
    public void A_placement_this_machine_refuses_runs_unpinned_and_says_so_once()
    {
        // Planned on a 2 x 64-core EPYC tree, spread puts the second worker on another L3 domain's CPU, which this machine lacks.
        using var tree = TopologyTree.Write("epyc7763-2s-smt");
        var report = Isr("refused", "visit", "bytes:1GB", "spread", tree.Root);
        var x = report.Execution;
        Assert.Equal(72, report.Steps[0].Succeeded);
        Assert.NotNull(x.PinningWarning);
        Assert.Contains(x.Workers, w => !w.Pinned && w.PinError is not null);
        Assert.Contains("node", string.Join(" ", x.Topology.NumaNodes), StringComparison.Ordinal);
        Assert.Equal(16, x.Topology.L3Domains.Count);
    }

    [Fact]
    public void Cancelling_starts_no_new_quantum_and_leaves_no_partial_file()
    {
        using var cts = new CancellationTokenSource();
        int finishedAfterCancel = 0;
        var progress = new SyncProgress(p =>
        {
            if (p.Step != "isr" || p.Done == 0) return;
            if (cts.IsCancellationRequested) Interlocked.Increment(ref finishedAfterCancel);
            else if (p.Done == 10) cts.Cancel();
        });
        string output = campaign.File("cancelled");
        Assert.ThrowsAny<OperationCanceledException>(() => Pipeline.Run(campaign.Data, output,
            new PipelineConfig { Threads = 2, Until = PipelineStep.Isr }, progress, cts.Token));
        // Only the quantum the other worker had already started may finish after the cancel.
        Assert.InRange(finishedAfterCancel, 0, 1);
        Assert.Empty(Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(output, "report.json")));
        int written = Directory.GetFiles(Path.Combine(output, "postisr"), "*.fits", SearchOption.AllDirectories).Length;
        Assert.InRange(written, 10, 11);
    }

    [Fact]
    public void Cancelling_cuts_short_the_wait_of_a_throttled_calibration_read()
    {
        // Each calibration read waits a minute; the run is cancelled once it has started, while both workers wait.
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Step == "isr" && p.Done == 0) cts.CancelAfter(TimeSpan.FromMilliseconds(300));
        });
        string output = campaign.File("cancelled-throttled");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => Pipeline.Run(campaign.Data, output,
            new PipelineConfig { Threads = 2, Until = PipelineStep.Isr, CalibrationStore = new ThrottledStoreConfig { Latency = TimeSpan.FromMinutes(1) } },
            progress, cts.Token));
        // Liveness, not speed: without the early wake-up this takes at least the minute of the first read.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the cancelled run took {clock.Elapsed}");
        Assert.Empty(Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.Exists(Path.Combine(output, "postisr")) ? Directory.GetFiles(Path.Combine(output, "postisr"), "*.fits", SearchOption.AllDirectories) : []);
    }

    private sealed class SyncProgress(Action<PipelineProgress> report) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => report(value);
    }
}
