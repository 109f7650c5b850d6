using BenchmarkDotNet.Attributes;
using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Geometry;
using ImageCore.Psf;

namespace ImageCore.Benchmarks.Psf;

/// <summary>
/// One kernel image at a point of a patch, as PSF matching asks once per 128 x 128 cell: a detector's measured model
/// alone (a 25 x 25 PixelBasisPsf of spatial order 2; the baseline), that model warped (<see cref="WarpedPsf"/>: five
/// WCS round trips, Lanczos-3 resampling), a direct warp's <see cref="CoaddPsf"/> (4 detectors, one covering the point)
/// and a coadd's (30 visits of 2 detectors, 30 covering the point). The detectors' WCSs are rotated 30 degrees against
/// the patch's and carry SIP distortion without an inverse (the sky -> pixel step iterates).
/// </summary>
[MemoryDiagnoser]
public class CoaddPsfBenchmarks
{
    private const double Scale = 0.2 / 3600;
    private PixelBasisPsf _model = null!;
    private WarpedPsf _warped = null!;
    private CoaddPsf _warp = null!, _coadd = null!;
    private float[] _out = null!;
    private readonly (double X, double Y) _at = (1700.3, 1650.8);

    /// <summary>Builds the models.</summary>
    [GlobalSetup]
    public void Setup()
    {
        int k = 25, terms = PixelBasisPsf.TermCount(2);
        var g = new float[k * k];
        new GaussianPsf(k, 1.7).ComputeKernelImage(0, 0, new Span2D<float>(g, k, k));
        var basis = new float[terms * k * k];
        var rng = new Random(3);
        for (int t = 0; t < terms; t++)
            for (int i = 0; i < k * k; i++) basis[t * k * k + i] = t == 0 ? g[i] : (float)(0.05 * (rng.NextDouble() - 0.5) * g[i]);
        var region = new Box2I(0, 0, 4072, 4000);
        _model = new PixelBasisPsf(k, 2, region, basis);
        var patch = new SkyWcs((1700, 1700), (150, 2), new double[,] { { -Scale, 0 }, { 0, Scale } });
        var (s, c) = Math.SinCos(30 * Math.PI / 180);
        var sipA = new SipPolynomial(2, new double[,] { { 0, 0, 2e-7 }, { 0, 1e-7, 0 }, { -1e-7, 0, 0 } });
        var sipB = new SipPolynomial(2, new double[,] { { 0, 0, 1e-7 }, { 0, -2e-7, 0 }, { 1.5e-7, 0, 0 } });
        SkyWcs Detector(double dx, double dy) =>
            new((2036 - dx, 2000 - dy), (150, 2), new double[,] { { -Scale * c, Scale * s }, { Scale * s, Scale * c } }, sipA, sipB);
        _warped = new WarpedPsf(_model, Detector(0, 0), patch, region);
        _warp = new CoaddPsf(
            [.. new[] { (0, 0), (4100, 0), (0, 4100), (4100, 4100) }.Select((d, i) => new CoaddPsfComponent(_model, Detector(d.Item1, d.Item2), region, 1, 1, $"S{i}"))],
            patch);
        _coadd = new CoaddPsf(
            [.. Enumerable.Range(0, 60).Select(i => new CoaddPsfComponent(_model, Detector(i % 2 * 4100 + i * 3, i * 2), region, 1 + i % 7, 100 + i / 2, $"S{i % 2}"))],
            patch);
        _out = new float[_coadd.KernelSize * _coadd.KernelSize];
    }

    /// <summary>The detector's model alone.</summary>
    [Benchmark(Baseline = true)]
    public float DetectorModel() => Run(_model);

    /// <summary>The model warped to the patch.</summary>
    [Benchmark]
    public float Warped() => Run(_warped);

    /// <summary>A direct warp's PSF: 4 detectors, 1 covering.</summary>
    [Benchmark]
    public float DirectWarp4() => Run(_warp);

    /// <summary>A coadd's PSF: 60 detectors of 30 visits, 30 covering.</summary>
    [Benchmark]
    public float Coadd30Visits() => Run(_coadd);

    private float Run(IPsf psf)
    {
        var kernel = new Span2D<float>(_out, 0, psf.KernelSize, psf.KernelSize, 0);
        psf.ComputeKernelImage(_at.X, _at.Y, kernel);
        return kernel[psf.KernelSize / 2, psf.KernelSize / 2];
    }
}
