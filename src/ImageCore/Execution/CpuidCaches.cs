using System.Runtime.Intrinsics.X86;
using System.Text;

namespace ImageCore.Execution;

/// <summary>One CPUID query: (eax, ebx, ecx, edx) for a leaf and sub-leaf.</summary>
internal delegate (int Eax, int Ebx, int Ecx, int Edx) CpuidFunction(int leaf, int subleaf);

/// <summary>
/// Cache levels from CPUID, for machines whose sysfs has no <c>cache/index*</c> entries (many VMs): the
/// deterministic cache parameters of leaf 4 (Intel and others) or leaf 0x8000001D (AMD, Hygon; needs the
/// TopologyExtensions bit, CPUID 0x80000001 ECX[22]). Both leaves share one layout: EAX[4:0] type
/// (1 data, 2 instruction, 3 unified, 0 = no more), EAX[7:5] level, EAX[25:14] + 1 = logical CPUs sharing the
/// cache (an upper bound: addressable IDs), EBX ways/partitions/line size − 1, ECX sets − 1. AMD guests whose hypervisor
/// hides the topology extensions (or leaves 0x8000001D empty) fall back to the legacy leaves 0x80000005/0x80000006,
/// which give sizes but not sharing.
/// </summary>
internal static class CpuidCaches
{
    /// <summary>The runtime's <see cref="X86Base.CpuId"/> on x86/x64, null elsewhere (no CPUID).</summary>
    public static CpuidFunction? Host => X86Base.IsSupported ? (leaf, sub) => X86Base.CpuId(leaf, sub) : null;

    /// <summary>The vendor string of leaf 0 ("GenuineIntel", "AuthenticAMD", ...).</summary>
    public static string Vendor(CpuidFunction cpuid)
    {
        var (_, ebx, ecx, edx) = cpuid(0, 0);
        Span<byte> b = stackalloc byte[12];
        BitConverter.TryWriteBytes(b, ebx);
        BitConverter.TryWriteBytes(b[4..], edx);
        BitConverter.TryWriteBytes(b[8..], ecx);
        return Encoding.ASCII.GetString(b).TrimEnd('\0');
    }

    /// <summary>The cache levels CPUID describes, with the leaf used; an empty list and the reason when none.</summary>
    public static (IReadOnlyList<CacheLevel> Levels, string Source) Read(CpuidFunction cpuid)
    {
        string vendor = Vendor(cpuid);
        int maxLeaf = cpuid(0, 0).Eax;
        int leaf;
        if (vendor is "AuthenticAMD" or "HygonGenuine")
        {
            uint maxExt = (uint)cpuid(unchecked((int)0x80000000), 0).Eax;
            bool topologyExtensions = maxExt >= 0x80000001 && (cpuid(unchecked((int)0x80000001), 0).Ecx & (1 << 22)) != 0;
            if (maxExt < 0x8000001D || !topologyExtensions)
                return maxExt >= 0x80000006
                    ? Legacy(cpuid, vendor)
                    : ([], $"none (CPUID vendor {vendor} without leaf 0x8000001D or the legacy cache leaves 0x80000005/6)");
            leaf = unchecked((int)0x8000001D);
        }
        else
        {
            if (maxLeaf < 4) return ([], $"none (CPUID vendor {vendor}: highest leaf {maxLeaf} has no leaf 4)");
            leaf = 4;
        }
        var levels = new List<CacheLevel>();
        for (int sub = 0; sub < 32; sub++)
        {
            var (eax, ebx, ecx, _) = cpuid(leaf, sub);
            int type = eax & 0x1F;
            if (type == 0) break;
            int level = (eax >> 5) & 0x7;
            int sharing = ((eax >> 14) & 0xFFF) + 1;
            long ways = ((ebx >> 22) & 0x3FF) + 1, partitions = ((ebx >> 12) & 0x3FF) + 1, line = (ebx & 0xFFF) + 1, sets = (uint)ecx + 1L;
            string typeName = type switch { 1 => "Data", 2 => "Instruction", 3 => "Unified", _ => $"type {type}" };
            levels.Add(new CacheLevel(level, typeName, ways * partitions * line * sets, sharing, null));
        }
        string leafName = leaf == 4 ? "leaf 4" : "leaf 0x8000001D";
        if (levels.Count == 0 && leaf != 4 && (uint)cpuid(unchecked((int)0x80000000), 0).Eax >= 0x80000006) return Legacy(cpuid, vendor);
        return levels.Count == 0 ? ([], $"none (CPUID {leafName} lists no caches)") : (levels, $"cpuid ({vendor}, {leafName})");
    }

    /// <summary>
    /// AMD's legacy cache leaves, for hypervisors that hide the topology extensions: 0x80000005 ECX/EDX give the L1
    /// data/instruction size in KB (bits 31:24), 0x80000006 ECX the L2 size in KB (bits 31:16) and EDX the L3 size in
    /// 512 KB units (bits 31:18; 0 = no L3). These leaves do not say which CPUs share a cache, so
    /// <see cref="CacheLevel.SharedByCpus"/> is null.
    /// </summary>
    private static (IReadOnlyList<CacheLevel> Levels, string Source) Legacy(CpuidFunction cpuid, string vendor)
    {
        var l1 = cpuid(unchecked((int)0x80000005), 0);
        var l23 = cpuid(unchecked((int)0x80000006), 0);
        var levels = new List<CacheLevel>();
        void Add(int level, string type, long bytes) { if (bytes > 0) levels.Add(new CacheLevel(level, type, bytes, null, null)); }
        Add(1, "Data", (long)((uint)l1.Ecx >> 24) << 10);
        Add(1, "Instruction", (long)((uint)l1.Edx >> 24) << 10);
        Add(2, "Unified", (long)((uint)l23.Ecx >> 16) << 10);
        Add(3, "Unified", (long)((uint)l23.Edx >> 18) << 19);
        return levels.Count == 0
            ? ([], $"none (CPUID vendor {vendor}: no leaf 0x8000001D and the legacy leaves 0x80000005/6 list no caches)")
            : (levels, $"cpuid ({vendor}, legacy leaves 0x80000005/6: sizes only, no sharing)");
    }
}
