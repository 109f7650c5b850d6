using BenchmarkDotNet.Attributes;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;
using ImageCore.Warp;

namespace ImageCore.Benchmarks.Warp;

/// <summary>Scene and kernel shared by the PSF-matching benchmarks: a noisy image with a NO_DATA hole, and the kernel
/// fitted over a detector-sized region to a science PSF whose FWHM goes from 3.8 to 5.9 px across it.</summary>
internal static class PsfMatchScene
{
    public static readonly Box2I Detector = new(0, 0, 4072, 4000);

    public static IPsf SciencePsf() => new VaryingPsf();

    public static MaskedImage Image(int width, int height)
    {
        var mi = new MaskedImage(width, height);
        var rng = new Random(7);
        for (int y = 0; y < height; y++)
        {
            var row = mi.Image.Plane.GetRowSpan(y);
            var vr = mi.Variance.Plane.GetRowSpan(y);
            for (int x = 0; x < width; x++) { row[x] = (float)(1000 + 30 * rng.NextDouble()); vr[x] = 1000; }
        }
        int noData = mi.Mask.GetBitMask("NO_DATA");
        for (int y = height / 3; y < height / 3 + 10; y++)
            for (int x = width / 4; x < width / 4 + 10; x++) { mi.Image[x, y] = float.NaN; mi.Variance[x, y] = float.PositiveInfinity; mi.Mask.Image[x, y] = noData; }
        return mi;
    }

    /// <summary>A round Gaussian whose sigma goes from 1.6 to 2.5 px over the detector.</summary>
    private sealed class VaryingPsf : IPsf
    {
        public int KernelSize => 25;

        private static double Sigma(double x, double y) => 1.6 + 0.6 * x / 4072 + 0.3 * y / 4000;

        public void ComputeKernelImage(double x, double y, CommunityToolkit.HighPerformance.Span2D<float> destination) =>
            new GaussianPsf(25, Sigma(x, y)).ComputeKernelImage(x, y, destination);

        public PsfMoments ComputeMoments(double x, double y) => new GaussianPsf(25, Sigma(x, y)).ComputeMoments(x, y);

        public double ComputeFwhm(double x, double y) => PsfMoments.FwhmPerSigma * Sigma(x, y);
    }
}

/// <summary>
/// The PSF-matching convolution (image + variance + mask), one thread, against the direct per-pixel reference on the
/// same 296 x 296 sub-box (65,536 convolved pixels: Mpixel/s = 65.536 / mean in ms). The kernel was fitted over a
/// full detector.
/// </summary>
[MemoryDiagnoser]
public class PsfMatchConvolutionBenchmarks
{
    private MaskedImage _source = null!, _dest = null!;
    private PsfMatchingKernel _kernel = null!;
    private readonly Box2I _box = new(1800, 1800, 296, 296);

    /// <summary>Scene and kernel.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _source = PsfMatchScene.Image(4072, 4000);
        _dest = new MaskedImage(4072, 4000);
        _kernel = ModelPsfMatch.Solve(PsfMatchScene.Detector, PsfMatchScene.SciencePsf(), new ModelPsfMatchConfig(), 2).Kernel;
    }

    /// <summary>Frees the planes.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _dest.Dispose();
    }

    /// <summary>Direct per-pixel reference (kernel image per pixel, 41 x 41 taps, double).</summary>
    [Benchmark(Baseline = true)]
    public void Reference() => PsfMatchConvolutionReference.Run(_kernel, _source, _box, _dest);

    /// <summary>Separable vectorized route.</summary>
    [Benchmark]
    public void Fast() => _kernel.Convolve(_source, _box, _dest);
}

/// <summary>
/// A full detector-sized region (4072 x 4000, one of the ~4 sub-boxes of a patch's 17.6 Mpx PSF-matched warp): the
/// kernel solve (1,089 candidates) and the convolution of its 4032 x 3960 = 15.97 Mpx interior, one thread.
/// </summary>
[MemoryDiagnoser]
public class PsfMatchDetectorBenchmarks
{
    private MaskedImage _source = null!, _dest = null!;
    private PsfMatchingKernel _kernel = null!;
    private IPsf _psf = null!;

    /// <summary>Scene and kernel.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _source = PsfMatchScene.Image(4072, 4000);
        _dest = new MaskedImage(4072, 4000);
        _psf = PsfMatchScene.SciencePsf();
        _kernel = ModelPsfMatch.Solve(PsfMatchScene.Detector, _psf, new ModelPsfMatchConfig(), 2).Kernel;
    }

    /// <summary>Frees the planes.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _dest.Dispose();
    }

    /// <summary>The kernel solve of one detector-sized region.</summary>
    [Benchmark]
    public PsfMatchingKernel Solve() => ModelPsfMatch.Solve(PsfMatchScene.Detector, _psf, new ModelPsfMatchConfig()).Kernel;

    /// <summary>The convolution of one detector-sized region.</summary>
    [Benchmark]
    public void Convolve() => _kernel.Convolve(_source, PsfMatchScene.Detector, _dest);
}
