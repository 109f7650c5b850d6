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
/// cache (an upper bound: addressable IDs), EBX ways/partitions/line size − 1, ECX sets − 1.
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
                return ([], $"none (CPUID vendor {vendor} without leaf 0x8000001D / topology extensions)");
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
        return levels.Count == 0 ? ([], $"none (CPUID {leafName} lists no caches)") : (levels, $"cpuid ({vendor}, {leafName})");
    }
}
