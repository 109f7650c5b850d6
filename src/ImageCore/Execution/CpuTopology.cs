namespace ImageCore.Execution;

/// <summary>
/// What a machine offers the execution engine: online CPUs, the CPUs this process may use, NUMA nodes, L3
/// domains, cores with their SMT siblings and cache sizes, each with the source it came from (the
/// <c>...Source</c> properties: "sysfs ...", "cgroup v2 ...", "sched_getaffinity", "cpuid (...)", "none (...)").
/// Made by <see cref="Discover(string)"/>.
/// </summary>
public sealed class CpuTopology
{
    /// <summary>The directory that played the role of <c>/sys</c>.</summary>
    public required string SysfsRoot { get; init; }

    /// <summary>True when <see cref="SysfsRoot"/> is the real <c>/sys</c> (process affinity and <c>/proc/self/cgroup</c> were used).</summary>
    public required bool IsLiveSystem { get; init; }

    /// <summary>Online CPUs (<c>devices/system/cpu/online</c>).</summary>
    public required CpuSet Online { get; init; }

    /// <summary>Where <see cref="Online"/> came from.</summary>
    public required string OnlineSource { get; init; }

    /// <summary>The cgroup's <c>cpuset.cpus.effective</c> (v2; <c>cpuset.effective_cpus</c> for v1), or null when there is none.</summary>
    public CpuSet? CgroupCpus { get; init; }

    /// <summary>The cgroup file read, or "none (...)".</summary>
    public required string CgroupSource { get; init; }

    /// <summary>The calling thread's <c>sched_getaffinity</c> mask at discovery (live system only), or null.</summary>
    public CpuSet? ProcessAffinity { get; init; }

    /// <summary>"sched_getaffinity", or why it was not used (a fixture root, not Linux, refused).</summary>
    public required string AffinitySource { get; init; }

    /// <summary>The CPUs this process may use: online ∩ cgroup (when present) ∩ affinity (live system only).</summary>
    public required CpuSet Allowed { get; init; }

    /// <summary>Which sets were intersected to give <see cref="Allowed"/>.</summary>
    public required string AllowedSource { get; init; }

    /// <summary>NUMA nodes with online CPUs, by id.</summary>
    public required IReadOnlyList<NumaNode> NumaNodes { get; init; }

    /// <summary>Where <see cref="NumaNodes"/> came from.</summary>
    public required string NumaSource { get; init; }

    /// <summary>L3 domains, ordered by their lowest CPU.</summary>
    public required IReadOnlyList<L3Domain> L3Domains { get; init; }

    /// <summary>Where <see cref="L3Domains"/> came from (sysfs <c>index3/shared_cpu_list</c>, CPUID's sharing count, or one per NUMA node).</summary>
    public required string L3Source { get; init; }

    /// <summary>Physical cores, ordered by their first thread.</summary>
    public required IReadOnlyList<CpuCore> Cores { get; init; }

    /// <summary>Where <see cref="Cores"/> came from.</summary>
    public required string CoreSource { get; init; }

    /// <summary>Cache levels as seen from the lowest online CPU, by level then type.</summary>
    public required IReadOnlyList<CacheLevel> Caches { get; init; }

    /// <summary>Where <see cref="Caches"/> came from ("sysfs", "cpuid (vendor, leaf)" or "none (...)").</summary>
    public required string CacheSource { get; init; }

    /// <summary>The NUMA node id holding <paramref name="cpu"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The CPU is not online.</exception>
    public int NodeOf(int cpu)
    {
        foreach (var n in NumaNodes) if (n.Cpus.Contains(cpu)) return n.Id;
        throw new ArgumentOutOfRangeException(nameof(cpu), cpu, $"CPU {cpu} is not online (online: {Online})");
    }

    /// <summary>The L3 domain holding <paramref name="cpu"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The CPU is not online.</exception>
    public L3Domain L3Of(int cpu)
    {
        foreach (var d in L3Domains) if (d.Cpus.Contains(cpu)) return d;
        throw new ArgumentOutOfRangeException(nameof(cpu), cpu, $"CPU {cpu} is not online (online: {Online})");
    }

    /// <summary>
    /// Reads the topology under <paramref name="sysfsRoot"/>, which plays the role of <c>/sys</c>
    /// (<c>devices/system/cpu</c>, <c>devices/system/node</c>, <c>fs/cgroup</c>). For the real <c>/sys</c> the process's
    /// cgroup comes from <c>/proc/self/cgroup</c> and the allowed set also intersects <c>sched_getaffinity</c>; for any
    /// other root (a fixture) the cgroup is the root cgroup's <c>fs/cgroup/cpuset.cpus.effective</c> and the allowed
    /// set is that ∩ online (the process affinity is not part of a fixture). Where sysfs has no cache entries the
    /// caches come from this machine's CPUID (x86 only).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The root has no <c>devices/system/cpu</c>.</exception>
    /// <exception cref="FormatException">A sysfs or cgroup file does not parse; the message names the file and its text.</exception>
    public static CpuTopology Discover(string sysfsRoot = "/sys") => TopologyReader.Read(sysfsRoot, CpuidCaches.Host);
}
