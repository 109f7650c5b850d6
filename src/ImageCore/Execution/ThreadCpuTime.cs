using System.Runtime.InteropServices;

namespace ImageCore.Execution;

/// <summary>The calling thread's CPU time (<c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, Linux), the one reading of it
/// that the pipeline's per-worker meter and the pinned worker pool's statistics share.</summary>
internal static unsafe partial class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3;

    /// <summary>CPU time consumed so far by the calling thread, or null where it cannot be read (not Linux, no libc
    /// entry point, or the clock refused).</summary>
    public static TimeSpan? Current()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            Timespec ts;
            if (clock_gettime(ClockThreadCpuTimeId, &ts) != 0) return null;
            return TimeSpan.FromTicks(ts.Seconds * TimeSpan.TicksPerSecond + ts.Nanoseconds / 100);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;       // time_t on 64-bit Linux
        public long Nanoseconds;   // long
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int clock_gettime(int clockId, Timespec* tp);
}
