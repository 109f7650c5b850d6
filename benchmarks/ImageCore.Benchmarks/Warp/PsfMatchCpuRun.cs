using System.Globalization;
using ImageCore.Execution;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Warp;

namespace ImageCore.Benchmarks.Warp;

/// <summary>The thread CPU seconds of one detector-sized PSF match (the kernel solve and the convolution of a
/// 4072 x 4000 region) and of the direct reference on a 296 x 296 sub-box, one thread: on a loaded shared machine the
/// CPU time is the steadier figure where BenchmarkDotNet's wall times inflate with the load.</summary>
internal static class PsfMatchCpuRun
{
    /// <summary>Prints one line per measurement.</summary>
    public static int Run()
    {
        using var source = PsfMatchScene.Image(4072, 4000);
        using var dest = new MaskedImage(4072, 4000);
        var psf = PsfMatchScene.SciencePsf();
        var config = new ModelPsfMatchConfig();
        ModelPsfMatch.Solve(new Box2I(0, 0, 600, 600), psf, config);   // JIT warm-up
        var t0 = ThreadCpuTime.Current()!.Value;
        var kernel = ModelPsfMatch.Solve(PsfMatchScene.Detector, psf, config).Kernel;
        var t1 = ThreadCpuTime.Current()!.Value;
        kernel.Convolve(source, new Box2I(100, 100, 300, 300), dest);   // warm-up
        var t2 = ThreadCpuTime.Current()!.Value;
        kernel.Convolve(source, PsfMatchScene.Detector, dest);
        var t3 = ThreadCpuTime.Current()!.Value;
        var small = new Box2I(1800, 1800, 296, 296);
        kernel.Convolve(source, small, dest);
        var t4 = ThreadCpuTime.Current()!.Value;
        PsfMatchConvolutionReference.Run(kernel, source, small, dest);
        var t5 = ThreadCpuTime.Current()!.Value;
        double mpx = 4032.0 * 3960 / 1e6, smallMpx = 256.0 * 256 / 1e6;
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Format(c, "solve 4072x4000 (1089 candidates): {0:F3} s CPU", (t1 - t0).TotalSeconds));
        Console.WriteLine(string.Format(c, "convolve 4072x4000 ({0:F2} Mpx): {1:F3} s CPU, {2:F3} s/Mpx", mpx, (t3 - t2).TotalSeconds, (t3 - t2).TotalSeconds / mpx));
        Console.WriteLine(string.Format(c, "296x296 sub-box: fast {0:F4} s/Mpx, reference {1:F3} s/Mpx, ratio {2:F1}",
            (t4 - t3).TotalSeconds / smallMpx, (t5 - t4).TotalSeconds / smallMpx, (t5 - t4).TotalSeconds / (t4 - t3).TotalSeconds));
        Console.WriteLine(string.Format(c, "17.6 Mpx PSF-matched warp (4 solves + 17.6 Mpx): {0:F2} s CPU",
            4 * (t1 - t0).TotalSeconds + 17.6 * (t3 - t2).TotalSeconds / mpx));
        return 0;
    }
}
