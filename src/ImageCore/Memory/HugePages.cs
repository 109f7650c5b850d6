using System.Runtime.InteropServices;

namespace ImageCore.Memory;

/// <summary>
/// Transparent huge pages for large planes on Linux: a plane's first touch costs one page fault per
/// 4 KiB page (16,000 for a 64 MiB detector plane; measured at 17 us each on this project's VM, 282 ms
/// per plane), and one per 2 MiB with <c>madvise(MADV_HUGEPAGE)</c> (16 ms). The buffer is then populated with
/// one <c>madvise(MADV_POPULATE_WRITE)</c> call, which on a later Intel VM faulted 256 MB in a steady 30 ms where
/// touching it page by page took 40-780 ms. Elsewhere, or when the kernel refuses, planes simply use normal pages.
/// </summary>
internal static unsafe partial class HugePages
{
    /// <summary>The huge page size on x86-64 and arm64 Linux.</summary>
    public const nuint Size = 2u << 20;

    private const int MadvHugePage = 14;
    private const int MadvPopulateWrite = 23;   // Linux 5.14+; older kernels answer EINVAL and the pages fault in on first touch
    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Buffers at least this large are allocated on huge-page boundaries and advised.</summary>
    public static bool Worthwhile(nuint bytes) => !_unavailable && bytes >= Size;

    /// <summary>Asks the kernel to back <paramref name="bytes"/> at <paramref name="p"/> (huge-page aligned) with huge pages.</summary>
    public static void Advise(void* p, nuint bytes)
    {
        if (_unavailable) return;
        try
        {
            nuint length = (bytes + Size - 1) & ~(Size - 1);
            _ = madvise((nint)p, length, MadvHugePage);        // a refusal just leaves normal pages
            _ = madvise((nint)p, length, MadvPopulateWrite);   // fault the whole buffer in with one call
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);
}
