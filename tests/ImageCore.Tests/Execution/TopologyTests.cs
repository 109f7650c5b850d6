using System.Runtime.Intrinsics.X86;
using ImageCore.Execution;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

public class TopologyTests
{
    internal static CpuTopology Fixture(string name, CpuidFunction? cpuid = null) => TopologyTree.Read(name, cpuid);

    private static CpuSet L(string list) => CpuSet.Parse(list);

    // ---- CpuSet ----

    [Theory]
    [InlineData("0-7,64-71", "0-7,64-71", 16)]
    [InlineData(" 3\n", "3", 1)]
    [InlineData("", "", 0)]
    [InlineData("\n", "", 0)]
    [InlineData("5,0-2,1,7-7", "0-2,5,7", 5)]
    [InlineData("0-1023", "0-1023", 1024)]
    [InlineData("1023,8191", "1023,8191", 2)]
    public void Cpu_lists_parse_and_print_in_the_kernel_form(string text, string printed, int count)
    {
        var set = CpuSet.Parse(text);
        Assert.Equal(printed, set.ToString());
        Assert.Equal(count, set.Count);
        Assert.Equal(set, CpuSet.Parse(set.ToString()));
    }

    [Theory]
    [InlineData("0-")]
    [InlineData("a")]
    [InlineData("7-3")]
    [InlineData("1,,2")]
    [InlineData("-1")]
    [InlineData("8192")]
    [InlineData("0-63:2")]
    public void Bad_cpu_lists_name_the_file_and_the_text(string text)
    {
        var e = Assert.Throws<FormatException>(() => CpuSet.Parse(text, "/x/online"));
        Assert.Contains("/x/online", e.Message);
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void Kernel_masks_have_bit_c_mod_8_of_byte_c_div_8()
    {
        var set = L("0,9,64,1023");
        byte[] mask = set.ToKernelMask();
        Assert.Equal(128, mask.Length);
        Assert.Equal(0x01, mask[0]);
        Assert.Equal(0x02, mask[1]);
        Assert.Equal(0x01, mask[8]);
        Assert.Equal(0x80, mask[127]);
        Assert.Equal(4, mask.Sum(b => System.Numerics.BitOperations.PopCount(b)));
        Assert.Equal(set, CpuSet.FromKernelMask(mask));
        Assert.Throws<ArgumentException>(() => L("1024").ToKernelMask());
        Assert.Equal(L("64-71"), L("0-7,64-71").Except(L("0-7")));
        Assert.Equal(L("4-7"), L("0-7").Intersect(L("4-200")));
        Assert.Equal(L("0-7,200"), L("0-7").Union(L("200")));
        Assert.Equal((0, 200), (L("0-7,200").Min, L("0-7,200").Max));
        Assert.Throws<InvalidOperationException>(() => CpuSet.Empty.Min);
    }

    // ---- Fixture trees ----

    [Fact]
    public void Epyc_7763_two_sockets_smt_nps1_has_16_l3_domains_of_8_cores()
    {
        var t = Fixture("epyc7763-2s-smt");
        Assert.False(t.IsLiveSystem);
        Assert.Equal(L("0-255"), t.Online);
        Assert.Equal(L("0-255"), t.CgroupCpus);
        Assert.Equal(L("0-255"), t.Allowed);
        Assert.Equal("online ∩ cgroup", t.AllowedSource);
        Assert.Null(t.ProcessAffinity);
        Assert.Equal([(0, "0-63,128-191"), (1, "64-127,192-255")], t.NumaNodes.Select(n => (n.Id, n.Cpus.ToString())));
        Assert.Equal(16, t.L3Domains.Count);
        for (int k = 0; k < 16; k++)
        {
            var d = t.L3Domains[k];
            Assert.Equal(CpuSet.Range(8 * k, 8 * k + 7).Union(CpuSet.Range(128 + 8 * k, 128 + 8 * k + 7)), d.Cpus);
            Assert.Equal(d.Cpus, d.AllowedCpus);
            Assert.Equal(k < 8 ? 0 : 1, d.NumaNode);
            Assert.Equal(32L << 20, d.SizeBytes);
        }
        Assert.StartsWith("sysfs", t.L3Source);
        Assert.StartsWith("sysfs", t.CacheSource);
        Assert.Equal(128, t.Cores.Count);
        Assert.All(t.Cores, c => Assert.Equal(CpuSet.Of(c.Threads.Min, c.Threads.Min + 128), c.Threads));
        Assert.Equal([(1, "Data", 32L << 10, 2, 128), (1, "Instruction", 32L << 10, 2, 128), (2, "Unified", 512L << 10, 2, 128), (3, "Unified", 32L << 20, 16, 16)],
                     t.Caches.Select(c => (c.Level, c.Type, c.SizeBytes, c.SharedByCpus, c.Instances!.Value)));
        Assert.Equal(1, t.NodeOf(200));
        Assert.Equal(9, t.L3Of(200).Index);
    }

    [Fact]
    public void Or5_like_milan_node_grants_120_of_128_cpus_and_two_domains_are_half_outside()
    {
        var t = Fixture("milan7713-2s-120");
        Assert.Equal(L("0-127"), t.Online);
        Assert.Equal(L("0-59,64-123"), t.Allowed);
        Assert.Equal(120, t.Allowed.Count);
        Assert.StartsWith("cgroup v2 ", t.CgroupSource);
        Assert.EndsWith(Path.Combine("fs", "cgroup", "cpuset.cpus.effective"), t.CgroupSource);
        Assert.Equal([(0, "0-63"), (1, "64-127")], t.NumaNodes.Select(n => (n.Id, n.Cpus.ToString())));
        Assert.Equal(16, t.L3Domains.Count);
        Assert.Equal(Enumerable.Range(0, 16).Select(k => CpuSet.Range(8 * k, 8 * k + 7)), t.L3Domains.Select(d => d.Cpus));
        Assert.Equal(L("56-59"), t.L3Domains[7].AllowedCpus);
        Assert.Equal(L("120-123"), t.L3Domains[15].AllowedCpus);
        Assert.Equal(14, t.L3Domains.Count(d => d.AllowedCpus.Count == 8));
        Assert.Equal(128, t.Cores.Count);
        Assert.All(t.Cores, c => Assert.Single(c.Threads));
    }

    [Fact]
    public void Two_socket_xeon_has_one_l3_per_socket_gapped_core_ids_and_no_cgroup()
    {
        var t = Fixture("xeon6130-2s-smt");
        Assert.Null(t.CgroupCpus);
        Assert.StartsWith("none", t.CgroupSource);
        Assert.Equal(L("0-63"), t.Allowed);
        Assert.Equal("online", t.AllowedSource);
        Assert.Equal([(0, "0-15,32-47"), (1, "16-31,48-63")], t.NumaNodes.Select(n => (n.Id, n.Cpus.ToString())));
        Assert.Equal(["0-15,32-47", "16-31,48-63"], t.L3Domains.Select(d => d.Cpus.ToString()));
        Assert.Equal([0, 1], t.L3Domains.Select(d => d.NumaNode));
        Assert.Equal(22528L << 10, t.L3Domains[0].SizeBytes);
        Assert.Equal(32, t.Cores.Count);   // thread_siblings_list pairs n with n + 32 despite core ids 0-6, 8-12, 16-19
        Assert.All(t.Cores, c => Assert.Equal(CpuSet.Of(c.Threads.Min, c.Threads.Min + 32), c.Threads));
        Assert.Contains(t.Cores, c => c.CoreId == 19 && c.Package == 1);
    }

    // ---- CPUID fallback (the VM tree has no cache entries) ----

    private static readonly (int Ebx, int Ecx, int Edx) Intel = (0x756e6547, 0x6c65746e, 0x49656e69);   // "Genu" "ntel" "ineI": ebx, ecx, edx
    private static readonly (int Ebx, int Ecx, int Edx) Amd = (0x68747541, 0x444d4163, 0x69746e65);     // "Auth" "cAMD" "enti"

    private static (int, int, int, int) Cache(int type, int level, int sharing, int ways, int line, int sets) =>
        (type | level << 5 | (sharing - 1) << 14, (ways - 1) << 22 | (line - 1), sets - 1, 0);

    /// <summary>A CPUID table: leaf 0 gives the vendor, the cache leaf lists the caches, everything else is zero.</summary>
    internal static CpuidFunction FakeCpuid((int Ebx, int Ecx, int Edx) vendor, int cacheLeaf, params (int, int, int, int)[] caches) => (leaf, sub) =>
    {
        if (leaf == 0) return (cacheLeaf == 4 ? 0x16 : 0x10, vendor.Ebx, vendor.Ecx, vendor.Edx);
        if (leaf == unchecked((int)0x80000000)) return (unchecked((int)0x80000028), 0, 0, 0);
        if (leaf == unchecked((int)0x80000001)) return (0, 0, 1 << 22, 0);   // TopologyExtensions
        if (leaf == cacheLeaf && sub < caches.Length) return caches[sub];
        return (0, 0, 0, 0);
    };

    /// <summary>This project's Intel VM: 48K L1d, 32K L1i, 2M L2, 260M L3 shared by 2.</summary>
    internal static CpuidFunction IntelVm => FakeCpuid(Intel, 4, Cache(1, 1, 1, 12, 64, 64), Cache(2, 1, 1, 8, 64, 64), Cache(3, 2, 1, 16, 64, 2048), Cache(3, 3, 2, 20, 64, 212992));

    [Fact]
    public void Vm_without_cache_entries_takes_caches_and_the_l3_domain_from_cpuid()
    {
        var t = Fixture("vm-2vcpu", IntelVm);
        Assert.Equal("cpuid (GenuineIntel, leaf 4) of this machine's CPU", t.CacheSource);
        Assert.Equal([(1, "Data", 48L << 10, 1), (1, "Instruction", 32L << 10, 1), (2, "Unified", 2L << 20, 1), (3, "Unified", 260L << 20, 2)],
                     t.Caches.Select(c => (c.Level, c.Type, c.SizeBytes, c.SharedByCpus)));
        Assert.All(t.Caches, c => Assert.Null(c.Instances));
        Assert.Single(t.L3Domains);
        Assert.Equal(L("0-1"), t.L3Domains[0].Cpus);
        Assert.StartsWith("cpuid (L3 shared by up to 2 logical CPUs", t.L3Source);
        Assert.Equal(L("0-1"), t.Allowed);
        Assert.Equal([(0, "0-1")], t.NumaNodes.Select(n => (n.Id, n.Cpus.ToString())));
    }

    [Fact]
    public void Amd_cpuid_uses_leaf_8000001d_and_a_sharing_count_below_a_package_falls_back_to_numa_nodes()
    {
        var milanLike = FakeCpuid(Amd, unchecked((int)0x8000001D), Cache(1, 1, 2, 8, 64, 64), Cache(2, 1, 2, 8, 64, 64), Cache(3, 2, 2, 8, 64, 1024), Cache(3, 3, 16, 16, 64, 32768));
        var t = Fixture("vm-2vcpu", milanLike);
        Assert.StartsWith("cpuid (AuthenticAMD, leaf 0x8000001D)", t.CacheSource);
        Assert.Equal(32L << 20, t.Caches.Single(c => c.Level == 3).SizeBytes);
        Assert.StartsWith("cpuid", t.L3Source);

        var tiny = FakeCpuid(Intel, 4, Cache(3, 3, 1, 16, 64, 1024));   // L3 "shared by 1": a package has 2 CPUs
        var t2 = Fixture("vm-2vcpu", tiny);
        Assert.StartsWith("numa nodes (cpuid: L3 shared by up to 1", t2.L3Source);
        Assert.Equal(L("0-1"), t2.L3Domains.Single().Cpus);
    }

    /// <summary>
    /// The registers of this project's AMD EPYC (family 26) guest, read with a C program calling __cpuid_count: no
    /// TopologyExtensions bit (0x80000001 ECX = 0x440001F1), leaf 0x8000001D all zero, legacy leaves filled in.
    /// </summary>
    internal static CpuidFunction AmdGuestWithoutTopologyExtensions => (leaf, sub) => unchecked((uint)leaf) switch
    {
        0u => (0x0D, Amd.Ebx, Amd.Ecx, Amd.Edx),
        0x80000000u => (unchecked((int)0x80000021), Amd.Ebx, Amd.Ecx, Amd.Edx),
        0x80000001u => (0x00B00F21, 0x40000000, 0x440001F1, 0x25D3FBFF),
        0x80000005u => (unchecked((int)0xFF60FF40), unchecked((int)0xFF60FF40), 0x300C0140, 0x20080140),
        0x80000006u => (0x40802040, 0x60804040, 0x04006140, 0x0FE09140),
        _ => (0, 0, 0, 0),
    };

    [Fact]
    public void Amd_guest_without_topology_extensions_takes_sizes_from_the_legacy_leaves_and_one_l3_domain_per_package()
    {
        var t = Fixture("vm-2vcpu", AmdGuestWithoutTopologyExtensions);
        Assert.Equal("cpuid (AuthenticAMD, legacy leaves 0x80000005/6: sizes only, no sharing) of this machine's CPU", t.CacheSource);
        Assert.Equal([(1, "Data", 48L << 10), (1, "Instruction", 32L << 10), (2, "Unified", 1L << 20), (3, "Unified", 1016L * 512 << 10)],
                     t.Caches.Select(c => (c.Level, c.Type, c.SizeBytes)));
        Assert.All(t.Caches, c => Assert.Null(c.SharedByCpus));
        Assert.Equal("cpuid (L3 size only, which CPUs share it not given: one domain per package)", t.L3Source);
        Assert.Equal(L("0-1"), t.L3Domains.Single().Cpus);
        Assert.Equal(1016L * 512 << 10, t.L3Domains.Single().SizeBytes);

        // Topology extensions claimed but leaf 0x8000001D empty: the legacy leaves still answer.
        CpuidFunction emptyLeaf = (leaf, sub) => unchecked((uint)leaf) == 0x80000001u ? (0, 0, 1 << 22, 0) : AmdGuestWithoutTopologyExtensions(leaf, sub);
        Assert.StartsWith("cpuid (AuthenticAMD, legacy leaves", CpuidCaches.Read(emptyLeaf).Source);

        // Neither: no caches, said so.
        CpuidFunction old = (leaf, sub) => unchecked((uint)leaf) == 0x80000000u ? (unchecked((int)0x80000004), 0, 0, 0) : AmdGuestWithoutTopologyExtensions(leaf, sub);
        var (levels, source) = CpuidCaches.Read(old);
        Assert.Empty(levels);
        Assert.StartsWith("none (CPUID vendor AuthenticAMD without leaf 0x8000001D or the legacy", source);
    }

    [Fact]
    public void Without_cpuid_caches_are_none_and_l3_domains_are_numa_nodes()
    {
        var t = Fixture("vm-2vcpu", cpuid: null);
        Assert.StartsWith("none (no sysfs cache entries, and no CPUID", t.CacheSource);
        Assert.Empty(t.Caches);
        Assert.StartsWith("numa nodes (no L3 information", t.L3Source);
        Assert.Null(t.L3Domains.Single().SizeBytes);
    }

    [Fact]
    public void Host_cpuid_is_there_exactly_on_x86()
    {
        Assert.Equal(X86Base.IsSupported, CpuidCaches.Host is not null);
        if (CpuidCaches.Host is { } cpuid)
        {
            var (levels, source) = CpuidCaches.Read(cpuid);
            Assert.StartsWith(levels.Count > 0 ? "cpuid (" : "none (", source);
        }
    }

    // ---- The live machine ----

    [Fact]
    public void Live_system_intersects_cgroup_and_the_process_affinity()
    {
        var t = CpuTopology.Discover();
        Assert.True(t.IsLiveSystem);
        Assert.False(t.Allowed.IsEmpty);
        Assert.Equal(t.Allowed, t.Allowed.Intersect(t.Online));
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal("sched_getaffinity", t.AffinitySource);
            Assert.Equal(t.Allowed, t.Allowed.Intersect(t.ProcessAffinity!));
            Assert.Contains("sched_getaffinity", t.AllowedSource);
        }
        Assert.True(t.Allowed.Count >= Environment.ProcessorCount);   // ProcessorCount also applies a CPU quota
        Assert.Equal(t.Online, t.L3Domains.Aggregate(CpuSet.Empty, (s, d) => s.Union(d.Cpus)));
        Assert.Equal(t.Online, t.Cores.Aggregate(CpuSet.Empty, (s, c) => s.Union(c.Threads)));
    }

    // ---- Bad trees ----

    private static string WriteTree(TempDir dir, params (string Path, string Text)[] files)
    {
        foreach (var (path, text) in files)
        {
            string full = Path.Combine(dir.Path, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
        return dir.Path;
    }

    [Fact]
    public void Bad_files_are_format_errors_naming_the_file_and_text()
    {
        using var dir = new TempDir();
        string root = WriteTree(dir, ("devices/system/cpu/online", "0-3x\n"));
        var e = Assert.Throws<FormatException>(() => TopologyReader.Read(root, null));
        Assert.Contains(Path.Combine("devices", "system", "cpu", "online"), e.Message);
        Assert.Contains("0-3x", e.Message);

        using var dir2 = new TempDir();
        string root2 = WriteTree(dir2, ("devices/system/cpu/online", "0\n"), ("devices/system/cpu/cpu0/cache/index3/level", "3\n"),
                                 ("devices/system/cpu/cpu0/cache/index3/size", "lots\n"), ("devices/system/cpu/cpu0/cache/index3/shared_cpu_list", "0\n"));
        var e2 = Assert.Throws<FormatException>(() => TopologyReader.Read(root2, null));
        Assert.Contains("index3", e2.Message);
        Assert.Contains("\"lots\"", e2.Message);

        using var dir3 = new TempDir();
        string root3 = WriteTree(dir3, ("devices/system/cpu/online", "0-1\n"), ("devices/system/node/node0/cpulist", "0\n"));
        Assert.Contains("online CPUs 1 belong to no node", Assert.Throws<FormatException>(() => TopologyReader.Read(root3, null)).Message);

        var e4 = Assert.Throws<DirectoryNotFoundException>(() => CpuTopology.Discover(Path.Combine(dir3.Path, "nothing")));
        Assert.Contains("nothing", e4.Message);
    }

    [Fact]
    public void A_bare_tree_assumes_one_node_and_one_core_per_cpu_and_says_so()
    {
        using var dir = new TempDir();
        string root = WriteTree(dir, ("devices/system/cpu/online", "0-3\n"), ("fs/cgroup/cpuset.cpus.effective", "1-2,7\n"));
        var t = TopologyReader.Read(root, null);
        Assert.Equal(L("1-2"), t.Allowed);
        Assert.StartsWith("none (no node directories", t.NumaSource);
        Assert.StartsWith("none (no cpuN/topology", t.CoreSource);
        Assert.Equal(4, t.Cores.Count);
        Assert.Equal(L("0-3"), t.L3Domains.Single().Cpus);
        Assert.Equal(L("1-2"), t.L3Domains.Single().AllowedCpus);
    }
}
