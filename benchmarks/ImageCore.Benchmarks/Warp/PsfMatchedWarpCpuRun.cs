using System.Diagnostics;
using System.Globalization;
using ImageCore.Execution;
using ImageCore.Warp;

namespace ImageCore.Benchmarks.Warp;

/// <summary>The CPU seconds of one full-size PSF-matched warp quantum (<see cref="PsfMatchedWarpBenchmarks"/>'s), one
/// thread: the thread's CPU time and the process's (which adds the garbage collector's and the kernel's work for it),
/// beside the wall time; a warm-up run first, then <c>runs</c> measured runs.</summary>
internal static class PsfMatchedWarpCpuRun
{
    /// <summary>Prints one line per run and the medians.</summary>
    public static int Run(string[] args)
    {
        int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        string warp = PsfMatchedWarpScene.DirectWarp(), output = Path.Combine(PsfMatchedWarpScene.Root, "psfmatched.fits");
        var config = new ModelPsfMatchConfig();
        var first = PsfMatchedWarp.Run(warp, output, config, 1);
        Console.WriteLine($"{warp}: {first.Detectors.Count} detectors, {first.GoodPixels} good pixels out; sub-boxes "
                          + string.Join(", ", first.Detectors.Select(d => $"{d.Detector} {d.SubBox.Width}x{d.SubBox.Height} ({d.Match.CandidateCount} candidates)")));
        var thread = new List<double>();
        var process = new List<double>();
        var wall = new List<double>();
        using var self = Process.GetCurrentProcess();
        for (int r = 0; r < runs; r++)
        {
            GC.Collect();
            self.Refresh();
            var p0 = self.TotalProcessorTime;
            var t0 = ThreadCpuTime.Current()!.Value;
            long w0 = Stopwatch.GetTimestamp();
            PsfMatchedWarp.Run(warp, output, config, 1);
            double w = Stopwatch.GetElapsedTime(w0).TotalSeconds;
            var t1 = ThreadCpuTime.Current()!.Value;
            self.Refresh();
            var p1 = self.TotalProcessorTime;
            thread.Add((t1 - t0).TotalSeconds);
            process.Add((p1 - p0).TotalSeconds);
            wall.Add(w);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "run {0}: thread CPU {1:F3} s, process CPU {2:F3} s, wall {3:F3} s",
                r + 1, thread[^1], process[^1], wall[^1]));
        }
        static double Median(List<double> v) { var s = v.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : 0.5 * (s[s.Count / 2 - 1] + s[s.Count / 2]); }
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "median: thread CPU {0:F3} s, process CPU {1:F3} s, wall {2:F3} s; Rubin's makePsfMatchedWarp 36.8 s CPU: {3:F1}x (process CPU)",
            Median(thread), Median(process), Median(wall), 36.8 / Median(process)));
        return 0;
    }
}
