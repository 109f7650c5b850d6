using System.Runtime.InteropServices;

namespace ImageCore.Execution;

/// <summary>
/// The Linux calls behind pinning: <c>sched_setaffinity</c>/<c>sched_getaffinity</c> on the calling thread
/// (pid 0) with a 1024-bit mask (the thread's CPU clock is <see cref="ThreadCpuTime"/>). The runtime's own affinity APIs cannot
/// pin one thread on Linux (<c>Process.ProcessorAffinity</c> pins the main thread only, 64 bits at most;
/// <c>ProcessThread.ProcessorAffinity</c> is Windows-only).
/// </summary>
internal static unsafe partial class LinuxAffinity
{
    private const int Einval = 22;

    /// <summary>Pins the calling thread to <paramref name="cpus"/>; returns 0 or the errno (EPERM 1, EINVAL 22, ...).</summary>
    public static int SetCurrentThread(CpuSet cpus)
    {
        int bytes = CpuSet.KernelMaskBytes;
        while (!cpus.IsEmpty && cpus.Max >= bytes * 8) bytes *= 2;
        byte* mask = stackalloc byte[bytes];
        cpus.WriteKernelMask(new Span<byte>(mask, bytes));
        return sched_setaffinity(0, (nuint)bytes, mask) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The calling thread's affinity mask; null (and the errno) when the kernel refuses.</summary>
    public static CpuSet? GetCurrentThread(out int errno)
    {
        errno = Einval;
        // The kernel answers EINVAL when the mask is shorter than its nr_cpu_ids bits: grow and ask again.
        for (int bytes = CpuSet.KernelMaskBytes; bytes <= CpuSet.MaxCpus / 8; bytes *= 2)
        {
            var mask = new byte[bytes];
            int rc;
            fixed (byte* p = mask) rc = sched_getaffinity(0, (nuint)bytes, p);
            if (rc == 0)
            {
                errno = 0;
                return CpuSet.FromKernelMask(mask);
            }
            errno = Marshal.GetLastPInvokeError();
            if (errno != Einval) return null;
        }
        return null;
    }

    /// <summary>The errno's name for messages.</summary>
    public static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM",
        3 => "ESRCH",
        14 => "EFAULT",
        22 => "EINVAL",
        38 => "ENOSYS",
        _ => $"errno {errno}",
    };

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nuint cpusetsize, byte* mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getaffinity(int pid, nuint cpusetsize, byte* mask);
}
