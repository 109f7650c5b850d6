using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

public class TopologyCommandTests
{
    private static JsonElement Json(string args)
    {
        var (code, stdout, stderr) = InfoCommandTests.Imagecore(args);
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }

    [Theory]
    [InlineData("epyc7763-2s-smt", "0-255", 2, 16, "0-7,128-135", "0-7,128-135")]
    [InlineData("milan7713-2s-120", "0-59,64-123", 2, 16, "120-127", "120-123")]
    [InlineData("xeon6130-2s-smt", "0-63", 2, 2, "16-31,48-63", "16-31,48-63")]
    public void Json_for_each_fixture_tree_gives_nodes_domains_and_the_allowed_set(string tree, string allowed, int nodes, int domains,
                                                                                   string someDomain, string itsAllowed)
    {
        using var fixture = TopologyTree.Write(tree);
        var j = Json($"topology --json --sysfs-root \"{fixture.Root}\"");
        Assert.Equal(["sysfsRoot", "liveSystem", "online", "cgroup", "affinity", "allowed", "cores", "caches", "numaNodes", "l3Domains", "placement"],
                     j.EnumerateObject().Select(p => p.Name));
        Assert.False(j.GetProperty("liveSystem").GetBoolean());
        Assert.Equal(allowed, j.GetProperty("allowed").GetProperty("cpus").GetString());
        Assert.Equal(nodes, j.GetProperty("numaNodes").GetProperty("nodes").GetArrayLength());
        var ds = j.GetProperty("l3Domains").GetProperty("domains").EnumerateArray().ToList();
        Assert.Equal(domains, ds.Count);
        var d = ds.Single(x => x.GetProperty("cpus").GetString() == someDomain);
        Assert.Equal(itsAllowed, d.GetProperty("allowedCpus").GetString());
        Assert.StartsWith("sysfs", j.GetProperty("l3Domains").GetProperty("source").GetString());
        Assert.StartsWith("sysfs", j.GetProperty("caches").GetProperty("source").GetString());
        Assert.StartsWith("not used", j.GetProperty("affinity").GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, j.GetProperty("placement").ValueKind);
    }

    [Fact]
    public void Text_output_lists_nodes_domains_allowed_set_and_sources()
    {
        using var tree = TopologyTree.Write("milan7713-2s-120");
        var (code, stdout, stderr) = InfoCommandTests.Imagecore($"topology --sysfs-root \"{tree.Root}\"");
        Assert.True(code == 0, stderr);
        Assert.Contains("allowed: 0-59,64-123 (120 CPUs)  [online ∩ cgroup]", stdout);
        Assert.Contains("  node 1: 64-127 (64 CPUs)", stdout);
        Assert.Contains("l3 domains: 16  [sysfs cpuN/cache/index3/shared_cpu_list]", stdout);
        Assert.Contains("  l3 7: node 0, cpus 56-63, allowed 56-59 (4/8), 32 MiB", stdout);
        Assert.Contains("cgroup: 0-59,64-123 (120 CPUs)  [cgroup v2 ", stdout);
    }

    [Fact]
    public void The_vm_tree_without_cache_entries_reports_the_cpuid_source_on_x86()
    {
        using var tree = TopologyTree.Write("vm-2vcpu");
        var j = Json($"topology --json --sysfs-root \"{tree.Root}\"");
        string source = j.GetProperty("caches").GetProperty("source").GetString()!;
        if (X86Base.IsSupported)
        {
            Assert.StartsWith("cpuid (", source);
            Assert.Contains(j.GetProperty("caches").GetProperty("levels").EnumerateArray(), l => l.GetProperty("level").GetInt32() == 3);
        }
        else Assert.StartsWith("none (no sysfs cache entries, and no CPUID", source);
        Assert.Equal("0-1", j.GetProperty("allowed").GetProperty("cpus").GetString());
        Assert.Equal(JsonValueKind.Null, j.GetProperty("cgroup").GetProperty("cpus").ValueKind);
    }

    [Fact]
    public void Placement_plans_print_one_cpu_per_worker_and_the_live_check_reads_masks_back()
    {
        using var tree = TopologyTree.Write("epyc7763-2s-smt");
        var j = Json($"topology --json --sysfs-root \"{tree.Root}\" --placement l3:1 --workers 4");
        var p = j.GetProperty("placement");
        Assert.Equal("l3:1", p.GetProperty("policy").GetString());
        Assert.Equal([0, 64, 8, 72], p.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("cpu").GetInt32()));
        Assert.Equal([0, 1, 0, 1], p.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("numaNode").GetInt32()));

        var live = Json("topology --json --placement compact --check-pinning");
        Assert.True(live.GetProperty("liveSystem").GetBoolean());
        foreach (var w in live.GetProperty("placement").GetProperty("workers").EnumerateArray())
        {
            if (!OperatingSystem.IsLinux()) continue;
            Assert.True(w.GetProperty("pinned").GetBoolean());
            Assert.Equal(w.GetProperty("cpu").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), w.GetProperty("readBackMask").GetString());
        }
    }

    [Fact]
    public void Bad_roots_policies_and_worker_counts_are_errors_on_stderr()
    {
        var (code, _, stderr) = InfoCommandTests.Imagecore("topology --sysfs-root /nonexistent-imagecore-root");
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent-imagecore-root/devices/system/cpu", stderr);
        using var tree = TopologyTree.Write("xeon6130-2s-smt");
        var (code2, _, stderr2) = InfoCommandTests.Imagecore($"topology --sysfs-root \"{tree.Root}\" --placement sideways");
        Assert.Equal(1, code2);
        Assert.Contains("\"sideways\"", stderr2);
        var (code3, _, stderr3) = InfoCommandTests.Imagecore($"topology --sysfs-root \"{tree.Root}\" --placement l3:2 --workers 5");
        Assert.Equal(1, code3);
        Assert.Contains("5 workers requested but l3:2 places at most 4", stderr3);
        var (code4, _, stderr4) = InfoCommandTests.Imagecore($"topology --sysfs-root \"{tree.Root}\" --placement compact --check-pinning");
        Assert.Equal(1, code4);
        Assert.Contains("needs the live /sys", stderr4);
    }
}
