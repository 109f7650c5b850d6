using System.Diagnostics;
using ImageCore.Execution;

namespace ImageCore.Tests.Execution;

public class ThreadCpuTimeTests
{
    [Fact]
    public void The_calling_threads_cpu_time_grows_with_work_and_not_with_sleep()
    {
        var t0 = ThreadCpuTime.Current();
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(t0);
            return;
        }
        Assert.NotNull(t0);
        var spin = Stopwatch.StartNew();
        double x = 0;
        while (spin.ElapsedMilliseconds < 50) x += Math.Sqrt(spin.ElapsedTicks);
        var t1 = ThreadCpuTime.Current();
        Assert.True(x > 0);
        Assert.True(t1 > t0, $"{t1} after {t0}");
        Thread.Sleep(200);
        var slept = ThreadCpuTime.Current() - t1;
        Assert.True(slept < TimeSpan.FromMilliseconds(100), $"{slept} of CPU time while asleep");
    }
}
