using System.Globalization;

namespace ImageCore.Memory;

/// <summary>
/// Refuses, before allocating, a buffer that this machine cannot hold: on Linux a too-large allocation usually
/// "succeeds" and the process is killed by the kernel's OOM killer when the pages are touched, with no message. A
/// buffer larger than the memory available now (<c>MemAvailable</c> of <c>/proc/meminfo</c>: free memory plus what the
/// kernel can reclaim) or than the process's limit (a container's, or physical memory) is an
/// <see cref="InsufficientMemoryException"/> saying how much was asked and how much there is.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>Buffers below this size are not checked (reading /proc/meminfo costs more than they risk).</summary>
    public const long CheckedFrom = 256L << 20;

    /// <summary>Throws when <paramref name="bytes"/> cannot fit.</summary>
    /// <exception cref="InsufficientMemoryException">More than the memory available or the process's limit.</exception>
    public static void EnsureAvailable(ulong bytes, string what)
    {
        if (bytes < CheckedFrom) return;
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long available = AvailableNow();
        long room = available > 0 ? Math.Min(available, limit) : limit;
        if (limit > 0 && bytes > (ulong)room)
            throw new InsufficientMemoryException(string.Create(CultureInfo.InvariantCulture,
                $"{what} needs {Mib(bytes)} MiB, but only {Mib((ulong)room)} MiB of memory are available ({Mib((ulong)limit)} MiB in all)"));
    }

    private static string Mib(ulong bytes) => (bytes >> 20).ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>MemAvailable in bytes, or -1 where it cannot be read.</summary>
    private static long AvailableNow()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long kib) ? kib * 1024 : -1;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
        }
        return -1;
    }
}
