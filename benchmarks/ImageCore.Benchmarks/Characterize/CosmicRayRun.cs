using System.Diagnostics;
using System.Globalization;
using ImageCore.Characterize;
using ImageCore.Execution;
using ImageCore.Images;

namespace ImageCore.Benchmarks.Characterize;

/// <summary>Runs <see cref="CosmicRays.FindAndRepair"/> on one post-ISR exposure on one thread and writes the
/// result, for the side-by-side comparison with astroscrappy (benchmarks/peers/cosmic_rays.py).</summary>
internal static class CosmicRayRun
{
    /// <summary><c>IN.fits OUT.fits [REPEATS]</c>: prints one line per run with the seconds, pixels and hits; the
    /// exposure of the last run is written.</summary>
    public static int Run(string[] args)
    {
        if (args.Length is < 2 or > 3)
        {
            Console.Error.WriteLine("usage: cosmic-rays IN.fits OUT.fits [REPEATS]");
            return 2;
        }
        int repeats = args.Length == 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        Exposure? exposure = null;
        try
        {
            for (int r = 0; r < repeats; r++)
            {
                exposure?.Dispose();
                exposure = ExposureFits.Read(args[0]);
                var cpu0 = ThreadCpuTime.Current();
                var watch = Stopwatch.StartNew();
                var result = CosmicRays.FindAndRepair(exposure.MaskedImage, new CosmicRayConfig(), 1, CancellationToken.None);
                watch.Stop();
                var cpu1 = ThreadCpuTime.Current();
                double cpu = cpu0 is { } a && cpu1 is { } b ? (b - a).TotalSeconds : double.NaN;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"imagecore_seconds {watch.Elapsed.TotalSeconds:F3} cpu_seconds {cpu:F3} pixels {result.Pixels} hits {result.Hits} iterations {result.Iterations} size {exposure.BBox.Width}x{exposure.BBox.Height}"));
            }
            ExposureFits.Write(args[1], exposure!);
        }
        finally
        {
            exposure?.Dispose();
        }
        return 0;
    }
}
