using ImageCore.Execution;

namespace ImageCore.Tests.Execution;

public class PlacementTests
{
    private static readonly CpuTopology Epyc = TopologyTests.Fixture("epyc7763-2s-smt");
    private static readonly CpuTopology Milan = TopologyTests.Fixture("milan7713-2s-120");
    private static readonly CpuTopology Xeon = TopologyTests.Fixture("xeon6130-2s-smt");

    private static int[] Cpus(PlacementPlan plan) => plan.Cpus.Select(c => c!.Value).ToArray();

    [Theory]
    [InlineData("none", PlacementKind.None, 0)]
    [InlineData("compact", PlacementKind.Compact, 0)]
    [InlineData(" Spread\n", PlacementKind.Spread, 0)]
    [InlineData("l3:2", PlacementKind.L3, 2)]
    [InlineData("L3:16", PlacementKind.L3, 16)]
    public void Policies_parse(string text, PlacementKind kind, int k)
    {
        var p = PlacementPolicy.Parse(text);
        Assert.Equal(new PlacementPolicy(kind, k), p);
        Assert.Equal(p, PlacementPolicy.Parse(p.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("packed")]
    [InlineData("l3:")]
    [InlineData("l3:0")]
    [InlineData("l3:-1")]
    [InlineData("l3:two")]
    public void Bad_policies_name_the_text(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => PlacementPolicy.Parse(text));
        Assert.Contains($"\"{text}\"", e.Message);
    }

    [Fact]
    public void None_leaves_every_worker_to_the_os()
    {
        var plan = Placement.Plan(Epyc, PlacementPolicy.None, 300);
        Assert.Equal(300, plan.Count);
        Assert.All(plan.Cpus, c => Assert.Null(c));
        Assert.All(plan.NumaNodes, n => Assert.Null(n));
        Assert.Equal(int.MaxValue, Placement.Capacity(Epyc, PlacementPolicy.None));
    }

    [Fact]
    public void Compact_fills_the_cores_of_one_l3_domain_then_its_siblings_then_the_next_domain()
    {
        int[] expected = [.. Enumerable.Range(0, 8), .. Enumerable.Range(128, 8), .. Enumerable.Range(8, 4)];
        Assert.Equal(expected, Cpus(Placement.Plan(Epyc, PlacementPolicy.Compact, 20)));
        var all = Cpus(Placement.Plan(Epyc, PlacementPolicy.Compact, 256));
        Assert.Equal(256, all.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (i / 16) * 8 + i % 8 + (i % 16 >= 8 ? 128 : 0)), all);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0], Placement.Plan(Epyc, PlacementPolicy.Compact, 8).NumaNodes.Select(n => n!.Value));
    }

    [Fact]
    public void Spread_deals_one_worker_per_l3_domain_interleaving_numa_nodes()
    {
        // Domains in dealing order: node 0's 0-7 and node 1's 64-71, then 8-15 and 72-79, ...
        int[] round1 = [0, 64, 8, 72, 16, 80, 24, 88, 32, 96, 40, 104, 48, 112, 56, 120];
        var plan = Placement.Plan(Epyc, PlacementPolicy.Spread, 20);
        Assert.Equal([.. round1, 1, 65, 9, 73], Cpus(plan));
        Assert.Equal([0, 1, 0, 1], plan.NumaNodes.Take(4).Select(n => n!.Value));

        // SMT siblings only after all 128 physical cores have a worker.
        var all = Cpus(Placement.Plan(Epyc, PlacementPolicy.Spread, 256));
        Assert.Equal(Enumerable.Range(0, 128), all.Take(128).Order());
        Assert.Equal(Enumerable.Range(128, 128), all.Skip(128).Order());
        Assert.Equal(round1.Select(c => c + 128), all.Skip(128).Take(16));
    }

    [Fact]
    public void L3_k_is_spread_capped_at_k_workers_per_domain()
    {
        var spread = Cpus(Placement.Plan(Epyc, PlacementPolicy.Spread, 32));
        Assert.Equal(spread, Cpus(Placement.Plan(Epyc, PlacementPolicy.L3(2), 32)));
        Assert.Equal(32, Placement.Capacity(Epyc, PlacementPolicy.L3(2)));
        var e = Assert.Throws<ArgumentException>(() => Placement.Plan(Epyc, PlacementPolicy.L3(2), 33));
        Assert.Contains("33 workers", e.Message);
        Assert.Contains("at most 32", e.Message);
        Assert.Contains("16 domains", e.Message);

        // K above the cores of a domain moves on to its SMT siblings before any domain exceeds K.
        var twelve = Placement.Plan(Epyc, PlacementPolicy.L3(12), 16 * 12);
        Assert.All(twelve.Cpus.GroupBy(c => Epyc.L3Of(c!.Value).Index), g => Assert.Equal(12, g.Count()));
        Assert.Equal(128, twelve.Cpus.Count(c => c < 128));
    }

    [Fact]
    public void Only_allowed_cpus_are_used_on_the_120_cpu_milan_node()
    {
        var allowed = Milan.Allowed;
        foreach (var policy in new[] { PlacementPolicy.Compact, PlacementPolicy.Spread })
        {
            var all = Cpus(Placement.Plan(Milan, policy, 120));
            Assert.Equal(allowed, CpuSet.Of(all));
            Assert.Equal(120, all.Distinct().Count());
            var e = Assert.Throws<ArgumentException>(() => Placement.Plan(Milan, policy, 121));
            Assert.Contains("121 workers", e.Message);
            Assert.Contains("0-59,64-123", e.Message);
        }
        // Domains 7 and 15 have 4 allowed CPUs: l3:6 places 14 x 6 + 2 x 4.
        Assert.Equal(14 * 6 + 2 * 4, Placement.Capacity(Milan, PlacementPolicy.L3(6)));
        // Compact moves to domain 8 after the 4 allowed CPUs of domain 7.
        Assert.Equal([56, 57, 58, 59, 64, 65], Cpus(Placement.Plan(Milan, PlacementPolicy.Compact, 62)).Skip(56));
        // Spread: from the 5th round on, domains 7 and 15 are exhausted and are skipped.
        var spread = Cpus(Placement.Plan(Milan, PlacementPolicy.Spread, 16 * 5));
        Assert.Equal([0, 64, 8, 72, 16, 80, 24, 88, 32, 96, 40, 104, 48, 112, 56, 120], spread.Take(16));
        Assert.Equal([4, 68, 12, 76, 20, 84, 28, 92, 36, 100, 44, 108, 52, 116, 5, 69], spread.Skip(64).Take(16));
    }

    [Fact]
    public void Xeon_spread_alternates_sockets_and_compact_fills_one_socket()
    {
        Assert.Equal([0, 16, 1, 17, 2, 18], Cpus(Placement.Plan(Xeon, PlacementPolicy.Spread, 6)));
        Assert.Equal([.. Enumerable.Range(0, 16), .. Enumerable.Range(32, 16), 16], Cpus(Placement.Plan(Xeon, PlacementPolicy.Compact, 33)));
        Assert.Equal([0, 16, 1, 17], Cpus(Placement.Plan(Xeon, PlacementPolicy.L3(2), 4)));
        Assert.Throws<ArgumentException>(() => Placement.Plan(Xeon, PlacementPolicy.L3(2), 5));
    }

    [Fact]
    public void Worker_counts_below_one_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Placement.Plan(Epyc, PlacementPolicy.Spread, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PlacementPolicy.L3(0));
    }
}
