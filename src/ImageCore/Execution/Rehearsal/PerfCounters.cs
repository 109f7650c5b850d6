using System.Runtime.InteropServices;

namespace ImageCore.Execution.Rehearsal;

/// <summary>Hardware counts of one thread over an interval: cycles, instructions and last-level-cache misses (user space only).</summary>
/// <param name="Cycles">CPU cycles.</param>
/// <param name="Instructions">Instructions retired.</param>
/// <param name="LlcMisses">Last-level cache misses (<c>PERF_COUNT_HW_CACHE_MISSES</c>).</param>
internal readonly record struct CounterSample(long Cycles, long Instructions, long LlcMisses)
{
    /// <summary>The counts between two readings.</summary>
    public static CounterSample operator -(CounterSample a, CounterSample b) => new(a.Cycles - b.Cycles, a.Instructions - b.Instructions, a.LlcMisses - b.LlcMisses);

    /// <summary>The sum of two intervals.</summary>
    public static CounterSample operator +(CounterSample a, CounterSample b) => new(a.Cycles + b.Cycles, a.Instructions + b.Instructions, a.LlcMisses + b.LlcMisses);
}

/// <summary>
/// The calling thread's hardware counters through Linux <c>perf_event_open</c> (syscall 298 on x86-64, 241 on arm64): three
/// counting events (cycles, instructions, cache misses) on this thread, user space only, so that
/// <c>perf_event_paranoid</c> up to 2 allows them. Where the kernel refuses, as many VMs do (no PMU exposed: ENOENT), or the
/// OS is not Linux, <see cref="TryOpen"/> says why. Not thread-safe: open, read and dispose it on one thread.
/// </summary>
internal sealed unsafe partial class PerfCounters : IDisposable
{
    private const int AttrSize = 112;   // PERF_ATTR_SIZE_VER5
    private readonly int[] _fds;

    private PerfCounters(int[] fds) => _fds = fds;

    /// <summary>Opens the three counters on the calling thread, or returns null with <paramref name="unavailable"/> saying why
    /// ("unavailable: ENOENT (no such hardware event: this machine exposes no PMU, as in many VMs)").</summary>
    public static PerfCounters? TryOpen(out string? unavailable)
    {
        long number = RuntimeInformation.ProcessArchitecture switch { Architecture.X64 => 298, Architecture.Arm64 => 241, _ => -1 };
        if (!OperatingSystem.IsLinux() || number < 0)
        {
            unavailable = $"unavailable: perf_event_open needs Linux on x86-64 or arm64 (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})";
            return null;
        }
        var fds = new List<int>(3);
        byte* attr = stackalloc byte[AttrSize];
        foreach (ulong config in new ulong[] { 0 /* CPU_CYCLES */, 1 /* INSTRUCTIONS */, 3 /* CACHE_MISSES */ })
        {
            new Span<byte>(attr, AttrSize).Clear();
            *(uint*)attr = 0;                        // PERF_TYPE_HARDWARE
            *(uint*)(attr + 4) = AttrSize;
            *(ulong*)(attr + 8) = config;
            *(ulong*)(attr + 40) = (1UL << 5) | (1UL << 6);   // exclude_kernel, exclude_hv
            int fd;
            try
            {
                fd = (int)syscall(number, attr, 0, -1, -1, 0);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                unavailable = $"unavailable: {e.Message}";
                return null;
            }
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                foreach (int f in fds) close(f);
                unavailable = "unavailable: " + Reason(errno);
                return null;
            }
            fds.Add(fd);
        }
        unavailable = null;
        return new PerfCounters([.. fds]);
    }

    /// <summary>The counts since the counters were opened.</summary>
    /// <exception cref="IOException">A counter could not be read.</exception>
    public CounterSample Read()
    {
        Span<long> v = stackalloc long[3];
        for (int i = 0; i < 3; i++)
        {
            long value;
            if (read(_fds[i], &value, 8) != 8) throw new IOException($"perf counter {i}: read failed ({LinuxAffinity.ErrnoName(Marshal.GetLastPInvokeError())})");
            v[i] = value;
        }
        return new CounterSample(v[0], v[1], v[2]);
    }

    /// <summary>Closes the counters.</summary>
    public void Dispose()
    {
        foreach (int fd in _fds) close(fd);
    }

    /// <summary>The errno of a refused <c>perf_event_open</c> with what it usually means.</summary>
    public static string Reason(int errno) => errno switch
    {
        1 => "EPERM (perf_event_paranoid or a seccomp filter forbids perf_event_open)",
        2 => "ENOENT (no such hardware event: this machine exposes no PMU, as in many VMs)",
        13 => "EACCES (perf_event_paranoid forbids counting; try sysctl kernel.perf_event_paranoid=2)",
        19 => "ENODEV (no PMU for this event)",
        38 => "ENOSYS (perf_event_open is not in this kernel)",
        95 => "EOPNOTSUPP (the PMU cannot count this event)",
        _ => $"errno {errno}",
    };

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, byte* attr, int pid, int cpu, int groupFd, ulong flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, long* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
