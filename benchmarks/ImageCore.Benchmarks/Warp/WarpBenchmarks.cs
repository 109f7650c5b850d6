using BenchmarkDotNet.Attributes;
using ImageCore.Astrometry;
using ImageCore.Camera;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Simulation;
using ImageCore.Warp;

namespace ImageCore.Benchmarks.Warp;

/// <summary>
/// The warp kernel, one thread: a 1/4-scale detector (R22_S11, 1018 x 1000 pixels of 0.8", TAN-SIP from the
/// simulator's optics, rotator at 63 degrees) onto 0.8" TAN pixels at its centre, rotated and distorted against
/// it; 1,018,000 output pixels per operation (Mpixel/s = 1018 / mean in ms). No file I/O.
/// </summary>
[MemoryDiagnoser]
public class WarpBenchmarks
{
    private MaskedImage _source = null!, _dest = null!;
    private SkyWcs _sourceWcs = null!, _destWcs = null!;
    private Box2I _box;

    /// <summary>Image kernel.</summary>
    [Params("lanczos3", "bilinear")]
    public string Kernel { get; set; } = "lanczos3";

    /// <summary>A smooth random scene and the two WCSs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var cam = CameraModel.LsstCam.Scaled(4);
        var det = cam["R22_S11"];
        _sourceWcs = Optics.DetectorWcs(new Pointing(150.1, 2.2, 63), cam, det);
        var centre = _sourceWcs.PixelToSky(_sourceWcs.CrPix.X, _sourceWcs.CrPix.Y);
        double scale = 0.8 / 3600;
        _destWcs = new SkyWcs(_sourceWcs.CrPix, centre, new[,] { { -scale, 0 }, { 0, scale } });
        _box = det.BBox;
        _source = new MaskedImage(det.BBox.Width, det.BBox.Height);
        var rng = new Random(5);
        for (int y = 0; y < _box.Height; y++)
            for (int x = 0; x < _box.Width; x++)
            {
                _source.Image[x, y] = (float)(1000 + 50 * Math.Sin(x / 9.0) * Math.Cos(y / 7.0) + rng.NextDouble());
                _source.Variance[x, y] = 1000;
            }
        _dest = new MaskedImage(_box.Width, _box.Height);
    }

    /// <summary>Frees the planes.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _dest.Dispose();
    }

    /// <summary>Warp into a preallocated destination (transform grid included), vectorised inner loop.</summary>
    [Benchmark(Baseline = true)]
    public long Warp() => Warper.WarpInto(_source, _sourceWcs, _destWcs, _dest, _box, new WarpConfig { Kernel = Kernel }, 1, vectorized: true);

    /// <summary>The same through the inner loop's scalar reference.</summary>
    [Benchmark]
    public long WarpScalar() => Warper.WarpInto(_source, _sourceWcs, _destWcs, _dest, _box, new WarpConfig { Kernel = Kernel }, 1, vectorized: false);

    /// <summary>The image alone (a plain FITS image: no variance or mask read or warped), vectorised.</summary>
    [Benchmark]
    public long WarpImageOnly() => Warper.WarpImageInto(_source.Image, _sourceWcs, _destWcs, _dest, _box, new WarpConfig { Kernel = Kernel }, 1, vectorized: true);

    /// <summary>The image alone through the scalar reference.</summary>
    [Benchmark]
    public long WarpImageOnlyScalar() => Warper.WarpImageInto(_source.Image, _sourceWcs, _destWcs, _dest, _box, new WarpConfig { Kernel = Kernel }, 1, vectorized: false);
}
