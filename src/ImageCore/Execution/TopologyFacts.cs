namespace ImageCore.Execution;

/// <summary>A NUMA node and its online CPUs (<c>devices/system/node/nodeN/cpulist</c>).</summary>
/// <param name="Id">The node number N.</param>
/// <param name="Cpus">Its online CPUs.</param>
public sealed record NumaNode(int Id, CpuSet Cpus);

/// <summary>CPUs sharing one L3 cache (on AMD Milan one CCD: 8 cores, 32 MB).</summary>
/// <param name="Index">Position in <see cref="CpuTopology.L3Domains"/> (domains are ordered by their lowest CPU).</param>
/// <param name="Cpus">Its online CPUs.</param>
/// <param name="AllowedCpus">Those of <paramref name="Cpus"/> this process may run on.</param>
/// <param name="NumaNode">The NUMA node holding the domain's lowest CPU.</param>
/// <param name="SizeBytes">L3 size in bytes, or null when unknown.</param>
public sealed record L3Domain(int Index, CpuSet Cpus, CpuSet AllowedCpus, int NumaNode, long? SizeBytes);

/// <summary>A physical core and its SMT threads (<c>topology/core_id</c>, <c>physical_package_id</c>, <c>core_cpus_list</c>).</summary>
/// <param name="Package">Socket (physical package) id.</param>
/// <param name="CoreId">Core id within the package (not necessarily contiguous: Intel leaves gaps).</param>
/// <param name="Threads">Its online logical CPUs; the lowest is the core's first SMT thread.</param>
public sealed record CpuCore(int Package, int CoreId, CpuSet Threads);

/// <summary>One cache level as seen from a CPU.</summary>
/// <param name="Level">1, 2, 3, ...</param>
/// <param name="Type">"Data", "Instruction" or "Unified".</param>
/// <param name="SizeBytes">Size of one instance in bytes.</param>
/// <param name="SharedByCpus">Logical CPUs sharing one instance (from sysfs: the online CPUs of <c>shared_cpu_list</c>;
/// from CPUID leaf 4 or 0x8000001D: the maximum addressable count, an upper bound; null where CPUID does not say, as in
/// AMD's legacy leaves 0x80000005/0x80000006).</param>
/// <param name="Instances">Distinct instances among the online CPUs (sysfs only; null from CPUID).</param>
public sealed record CacheLevel(int Level, string Type, long SizeBytes, int? SharedByCpus, int? Instances);
