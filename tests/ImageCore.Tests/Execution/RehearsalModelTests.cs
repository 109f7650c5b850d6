using System.Text.Json;
using ImageCore.Execution;
using ImageCore.Execution.Rehearsal;
using ImageCore.Tests.Cli;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

public class RehearsalModelTests
{
    private static readonly CpuTopology Milan = TopologyTests.Fixture("milan7713-2s-120");
    private static readonly CpuTopology Epyc = TopologyTests.Fixture("epyc7763-2s-smt");
    private static readonly MachineProfile Profiled = new("profiled", 10e9, 10e9, 10e9, 1, "test");
    private static readonly MachineProfile Target = MachineProfile.Milan(coreBandwidth: 20e9, sustainedFraction: 0.8);

    /// <summary>A pure stream: 1 GB per quantum, 0.1 s alone at 10 GB/s, so no compute; no L3 term (working set 0).</summary>
    private static readonly WorkloadProfile Stream = new("stream", "", 0.1, 1_000_000_000, "test", 0);

    /// <summary>Pure compute: no bytes.</summary>
    private static readonly WorkloadProfile Compute = new("compute", "", 1.0, 0, "test", 0);

    [Fact]
    public void Documented_Milan_figures_are_the_peaks_times_the_sustained_fraction()
    {
        Assert.Equal(204.8e9 * 0.8, Target.SocketBandwidth, 3);
        Assert.Equal(51.2e9 * 0.8, Target.DomainBandwidth, 3);
    }

    [Fact]
    public void Eight_pinned_memory_jobs_in_one_L3_share_its_link_while_spread_ones_run_as_alone()
    {
        var compact = ContentionModel.Predict(Stream, Profiled, Target, Milan, PlacementPolicy.Compact, 8);
        var spread = ContentionModel.Predict(Stream, Profiled, Target, Milan, PlacementPolicy.Spread, 8);
        var unpinned = ContentionModel.Predict(Stream, Profiled, Target, Milan, PlacementPolicy.None, 8);
        Assert.Equal(8, compact.MaxJobsPerDomain);
        Assert.Equal(20e9 / (51.2e9 * 0.8 / 8), compact.Slowdown, 6);   // core alone vs an eighth of the CCD link
        Assert.Equal("L3 domain link", compact.BoundBy);
        Assert.Equal(1.0, spread.Slowdown, 6);
        Assert.Equal(spread.SecondsPerQuantum, unpinned.SecondsPerQuantum, 9);   // the OS spreads unpinned jobs
    }

    [Fact]
    public void A_fully_packed_node_is_as_slow_unpinned_as_pinned_and_bound_by_the_sockets()
    {
        var compact = ContentionModel.Predict(Stream, Profiled, Target, Milan, PlacementPolicy.Compact, 120);
        var unpinned = ContentionModel.Predict(Stream, Profiled, Target, Milan, PlacementPolicy.None, 120);
        Assert.Equal(compact.SecondsPerQuantum, unpinned.SecondsPerQuantum, 9);
        Assert.Equal("socket memory", compact.BoundBy);
        Assert.Equal(20e9 / (204.8e9 * 0.8 / 60), compact.Slowdown, 6);
    }

    [Fact]
    public void Compute_bound_work_does_not_slow_down_and_throughput_scales_with_jobs()
    {
        foreach (var p in new[] { PlacementPolicy.Compact, PlacementPolicy.Spread, PlacementPolicy.None })
        {
            var m = ContentionModel.Predict(Compute, Profiled, Target, Epyc, p, 64);
            Assert.Equal(1.0, m.Slowdown, 9);
            Assert.Equal(64, m.QuantaPerSecond, 9);
            Assert.Equal("compute", m.BoundBy);
        }
    }

    [Fact]
    public void Working_sets_that_no_longer_fit_the_shared_L3_add_traffic()
    {
        Assert.Equal(0, ContentionModel.Spill(8L << 20, 32L << 20, 4));
        Assert.Equal(0.5, ContentionModel.Spill(8L << 20, 32L << 20, 8), 9);
        Assert.Equal(0, ContentionModel.Spill(8L << 20, null, 8));
        var small = Stream with { WorkingSetBytes = 8L << 20 };
        var packed = ContentionModel.Predict(small, Profiled, Target, Milan, PlacementPolicy.Compact, 8);
        var noSpill = ContentionModel.Predict(small with { WorkingSetBytes = 1L << 20 }, Profiled, Target, Milan, PlacementPolicy.Compact, 8);
        Assert.Equal(1.5, packed.SecondsPerQuantum / noSpill.SecondsPerQuantum, 6);
    }

    [Fact]
    public void The_OR5_prediction_covers_8_jobs_the_packings_and_l3_K_and_recommends_one()
    {
        var or5 = ContentionModel.PredictOr5([Stream, Compute], Profiled, Target, Milan);
        foreach (string w in new[] { "stream", "compute" })
        {
            var mine = or5.Predictions.Where(p => p.Workload == w).ToList();
            foreach (int jobs in new[] { 8, 60, 90, 120 })
                foreach (string placement in new[] { "compact", "none", "spread" })
                    Assert.Contains(mine, p => p.Jobs == jobs && p.Placement == placement);
            Assert.Contains(mine, p => p.Placement == "l3:1" && p.Jobs == 16);
        }
        Assert.Equal(2, or5.Recommendations.Count);
        Assert.Contains("8 jobs pinned compact 3.91x slower than alone (above OR5's 2-3x)", or5.Recommendations[0]);
        Assert.Contains("(below OR5's 2-3x)", or5.Recommendations[1]);
        Assert.Equal("within OR5's 2-3x", ContentionModel.Verdict(2.5));
    }

    [Fact]
    public void Perf_counters_count_or_say_why_not()
    {
        using var counters = PerfCounters.TryOpen(out string? why);
        if (counters is null)
        {
            Assert.StartsWith("unavailable: ", why);
            return;
        }
        var a = counters.Read();
        double x = 0;
        for (int i = 0; i < 1_000_000; i++) x += Math.Sqrt(i);
        var b = counters.Read();
        Assert.True(x > 0);
        Assert.True((b - a).Instructions > 1_000_000);
    }

    [Fact]
    public void The_characterize_workload_runs_in_the_contention_sweep()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        var (code, stdout, stderr) = InfoCommandTests.Imagecore($"rehearse contention --quick --workloads characterize --out \"{output}\"");
        Assert.True(code == 0, stderr + stdout);
        var report = RehearsalJson.ReadContention(File.ReadAllText(Path.Combine(output, "contention.json")));
        var profile = Assert.Single(report.Profiles);
        Assert.Equal("characterize", profile.Name);
        Assert.Contains(report.Points, p => p.Workload == "characterize" && p.Workers == 1 && p.Slowdown > 0);
    }

    [Fact]
    public void Quick_runs_write_json_markdown_and_svg()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        var (code, stdout, stderr) = InfoCommandTests.Imagecore($"rehearse contention --quick --out \"{output}\"");
        Assert.True(code == 0, stderr + stdout);
        var report = RehearsalJson.ReadContention(File.ReadAllText(Path.Combine(output, "contention.json")));
        Assert.Equal(["isr", "warp", "coadd", "stream"], report.Profiles.Select(p => p.Name));
        Assert.Contains(report.Points, p => p.Workers == 1 && p.Placement == "none");
        Assert.All(report.Points.Where(p => p.Workers == 1), p => Assert.True(p.Slowdown > 0));
        Assert.True(report.Counters == "available" || report.Counters.StartsWith("unavailable: ", StringComparison.Ordinal));
        Assert.NotNull(report.Validation);
        Assert.Contains("| workload | placement | workers |", File.ReadAllText(Path.Combine(output, "contention.md")));
        foreach (string w in new[] { "isr", "warp", "coadd", "stream" })
            Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(output, $"slowdown-{w}.svg")));

        using (var tree = TopologyTree.Write("milan7713-2s-120"))
            (code, stdout, stderr) = InfoCommandTests.Imagecore($"rehearse model --profile \"{Path.Combine(output, "contention.json")}\" --sysfs-root \"{tree.Root}\" --out \"{output}\"");
        Assert.True(code == 0, stderr + stdout);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "or5.json"))))
            Assert.Equal(4, json.RootElement.GetProperty("recommendations").GetArrayLength());
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(output, "or5-slowdown-isr.svg")));

        (code, stdout, stderr) = InfoCommandTests.Imagecore($"rehearse campaign --quick --out \"{output}\"");
        Assert.True(code == 0, stderr + stdout);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "campaign.json"))))
            Assert.Equal(6, json.RootElement.GetProperty("campaigns").GetArrayLength());
        Assert.Contains("| datasets:500 | detector | 189 (clusters)", File.ReadAllText(Path.Combine(output, "campaign.md")));
    }
}
