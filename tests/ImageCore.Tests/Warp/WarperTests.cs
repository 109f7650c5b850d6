using ImageCore.Astrometry;
using ImageCore.Camera;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Simulation;
using ImageCore.Warp;

namespace ImageCore.Tests.Warp;

public class WarperTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static SkyWcs DetectorWcs(string name, int scale, double rotPa = 30) =>
        Optics.DetectorWcs(new Pointing(150.1, 2.2, rotPa), CameraModel.LsstCam.Scaled(scale), CameraModel.LsstCam.Scaled(scale)[name]);

    private static MaskedImage Scene(int w, int h, int seed)
    {
        var mi = new MaskedImage(w, h);
        var rng = new Random(seed);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                mi.Image[x, y] = (float)(100 + 20 * Math.Sin(x / 7.0) * Math.Cos(y / 5.0) + rng.NextDouble());
                mi.Variance[x, y] = (float)(100 + rng.NextDouble());
            }
        return mi;
    }

    private static SkyWcs Shifted(SkyWcs w, double dx, double dy) => w.WithPixelOrigin(-dx, -dy);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(17)]
    public unsafe void Vectorised_grid_rows_equal_the_plain_loop(int interpLength)
    {
        var source = DetectorWcs("R22_S11", 16, rotPa: 78);
        var dest = Shifted(DetectorWcs("R22_S11", 16, rotPa: 70), 3.3, -2.1);
        var box = new Box2I(-5, 7, 211, 93);
        var grid = new Warper.SourceGrid(source, dest, box, interpLength);
        var rng = new Random(interpLength);
        double* x1 = stackalloc double[box.Width + 1], y1 = stackalloc double[box.Width + 1];
        double* x2 = stackalloc double[box.Width + 1], y2 = stackalloc double[box.Width + 1];
        for (int trial = 0; trial < 300; trial++)
        {
            int r = rng.Next(-1, box.Height), c0 = rng.Next(box.Width), n = rng.Next(1, box.Width - c0 + 1);
            grid.RowSegment(r, c0, n, x1, y1, vectorized: false);
            grid.RowSegment(r, c0, n, x2, y2, vectorized: true);
            for (int i = 0; i <= n; i++)
            {
                Assert.True(BitConverter.DoubleToInt64Bits(x1[i]) == BitConverter.DoubleToInt64Bits(x2[i]), $"x: row {r} columns from {c0 - 1}, column {c0 - 1 + i}: {x1[i]} vs {x2[i]}");
                Assert.True(BitConverter.DoubleToInt64Bits(y1[i]) == BitConverter.DoubleToInt64Bits(y2[i]), $"y: row {r} columns from {c0 - 1}, column {c0 - 1 + i}: {y1[i]} vs {y2[i]}");
            }
        }
    }

    [Fact]
    public void Lanczos_taps_are_afws()
    {
        var k = WarpingKernel.Lanczos3;
        Assert.Equal((6, 2), (k.Size, k.Center));
        Span<double> taps = stackalloc double[6];
        Assert.Equal(1.0, k.Taps(0, taps), 12);
        Assert.Equal([0, 0, 1, 0, 0, 0], taps.ToArray().Select(t => Math.Round(t, 12)).ToArray());
        for (double f = 0; f < 1; f += 0.01)
            Assert.InRange(k.Taps(f, taps), 0.9942, 1.0000001);   // renormalised later by the warper
        Assert.Equal(WarpingKernel.Lanczos(4).Name, WarpingKernel.Parse("lanczos4").Name);
        Assert.Throws<ArgumentException>(() => WarpingKernel.Parse("cubic"));
        Span<double> two = stackalloc double[2];
        WarpingKernel.Bilinear.Taps(0.25, two);
        Assert.Equal([0.75, 0.25], two.ToArray());
        WarpingKernel.Nearest.Taps(0.7, two);
        Assert.Equal([0.0, 1.0], two.ToArray());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Lanczos_taps_by_recurrence_equal_the_direct_formula(int n)
    {
        var k = WarpingKernel.Lanczos(n);
        Span<double> taps = stackalloc double[k.Size];
        var rng = new Random(n);
        foreach (double f in new[] { 0.0, 1e-9, 0.5, 1 - 1e-12 }.Concat(Enumerable.Range(0, 200).Select(_ => rng.NextDouble())))
        {
            k.Taps(f, taps);
            for (int i = 0; i < k.Size; i++)
                Assert.True(Math.Abs(taps[i] - WarpingKernel.LanczosValue(i - k.Center - f, n)) < 1e-12, $"n={n} f={f} tap {i}");
        }
    }

    [Theory]
    [InlineData(3, 4096, 3e-7)]
    [InlineData(4, 4096, 5e-7)]
    [InlineData(3, 256, 5e-5)]
    public void Tabulated_taps_are_close_to_exact_and_exact_at_bin_edges(int n, int bins, double tolerance)
    {
        var k = WarpingKernel.Lanczos(n);
        Span<double> exact = stackalloc double[k.Size], table = stackalloc double[k.Size];
        var rng = new Random(n + bins);
        double worst = 0;
        foreach (double f in new[] { 0.0, 0.5, 1 - 1e-15 }.Concat(Enumerable.Range(0, 5000).Select(_ => rng.NextDouble())))
        {
            double se = k.Taps(f, exact), st = k.TapsTabulated(f, table, bins);
            for (int i = 0; i < k.Size; i++) worst = Math.Max(worst, Math.Abs(exact[i] - table[i]));
            Assert.True(Math.Abs(se - st) < 2 * tolerance);
        }
        Assert.True(worst < tolerance, $"lanczos{n}, {bins} bins: {worst}");
        k.Taps(0, exact);
        k.TapsTabulated(0, table, bins);
        Assert.Equal(exact.ToArray(), table.ToArray());
    }

    [Theory]
    [InlineData("lanczos3")]
    [InlineData("lanczos4")]
    [InlineData("bilinear")]
    public void Null_warp_reproduces_the_interior(string kernel)
    {
        var wcs = DetectorWcs("R01_S00", 8);
        using var src = Scene(509, 500, 1);
        var (warped, good) = Warper.Warp(src, wcs, wcs, src.BBox, new WarpConfig { Kernel = kernel });
        using (warped)
        {
            double worst = 0;
            for (int y = 4; y < 496; y++)
                for (int x = 4; x < 505; x++)
                {
                    worst = Math.Max(worst, Math.Abs(warped.Image[x, y] - src.Image[x, y]));
                    Assert.True(Math.Abs(warped.Variance[x, y] - src.Variance[x, y]) < 1e-3);
                }
            output.WriteLine($"{kernel}: largest difference {worst:E2} over the interior; {good} good pixels");
            Assert.True(worst <= 1e-5 * 150, $"{kernel}: {worst}");
        }
    }

    [Fact]
    public void Integer_shift_is_exact()
    {
        var wcs = DetectorWcs("R22_S11", 8);
        var dest = Shifted(wcs, 3, -2);   // destination pixel (x, y) is source pixel (x - 3, y + 2)
        using var src = Scene(509, 500, 2);
        var box = new Box2I(10, 10, 400, 400);
        var (warped, _) = Warper.Warp(src, wcs, dest, box, new WarpConfig());
        using (warped)
            for (int y = box.MinY; y <= box.MaxY; y++)
                for (int x = box.MinX; x <= box.MaxX; x++)
                {
                    Assert.Equal(src.Image[x - 3, y + 2], warped.Image[x, y]);
                    Assert.Equal(src.Variance[x - 3, y + 2], warped.Variance[x, y]);
                }
    }

    [Fact]
    public void Variance_takes_squared_taps_and_masks_spread_by_their_kernels()
    {
        var wcs = DetectorWcs("R22_S11", 8);
        var dest = Shifted(wcs, 0.5, 0.25);   // source position = destination - (0.5, 0.25)
        using var src = new MaskedImage(60, 60);
        src.Image[30, 30] = 1;
        src.Variance[30, 30] = 1;
        src.Mask.Image[30, 30] = src.Mask.GetBitMask("BAD");
        src.Mask.Image[40, 40] = src.Mask.GetBitMask("EDGE");
        var (warped, _) = Warper.Warp(src, wcs, dest, new Box2I(0, 0, 60, 60), new WarpConfig());
        using (warped)
        {
            // Output (31, 31) reads source (30.5, 30.75): the hot pixel has tap index ctr = 2 in x (f = 0.5) and y (f = 0.75).
            Span<double> kx = stackalloc double[6], ky = stackalloc double[6];
            double sx = WarpingKernel.Lanczos3.Taps(0.5, kx), sy = WarpingKernel.Lanczos3.Taps(0.75, ky);
            double w = kx[2] * ky[2] / (sx * sy);
            Assert.Equal(w, warped.Image[31, 31], 5);
            Assert.Equal(w * w, warped.Variance[31, 31], 5);
            int bad = warped.Mask.GetBitMask("BAD"), edge = warped.Mask.GetBitMask("EDGE");
            int badCount = 0, edgeCount = 0;
            for (int y = 0; y < 60; y++)
                for (int x = 0; x < 60; x++)
                {
                    if ((warped.Mask.Image[x, y] & bad) != 0) badCount++;
                    if ((warped.Mask.Image[x, y] & edge) != 0) edgeCount++;
                }
            Assert.Equal(4, badCount);     // bilinear mask kernel: 2 x 2
            Assert.Equal(36, edgeCount);   // EDGE grows over the full lanczos3 footprint: 6 x 6
        }
    }

    [Fact]
    public void Pixels_whose_kernel_leaves_the_source_are_no_data()
    {
        var wcs = DetectorWcs("R22_S11", 8);
        using var src = Scene(100, 80, 3);
        var (warped, good) = Warper.Warp(src, wcs, wcs, new Box2I(-10, -10, 120, 100), new WarpConfig());
        using (warped)
        {
            int noData = warped.Mask.GetBitMask("NO_DATA");
            Assert.True(float.IsNaN(warped.Image[-10, -10]) && float.IsPositiveInfinity(warped.Variance[-10, -10]) && warped.Mask.Image[-10, -10] == noData);
            // The footprint of lanczos3 is floor(x) - 2 .. floor(x) + 3; a position a hair below an integer
            // floors one lower, so only columns and rows at least one pixel clear are certain.
            Assert.True(float.IsNaN(warped.Image[1, 40]));          // needs source column -1 at least
            Assert.False(float.IsNaN(warped.Image[3, 40]));
            Assert.False(float.IsNaN(warped.Image[96, 40]));
            Assert.True(float.IsNaN(warped.Image[98, 40]));         // needs column 100 at least
            Assert.InRange(good, 94L * 74, 97L * 77);
        }
    }

    [Fact]
    public void Interpolated_transform_is_within_a_hundredth_of_a_pixel_for_simulator_wcs_pairs()
    {
        var map = new RingsSkyMap();
        foreach (string name in new[] { "R22_S11", "R01_S00" })
        {
            var det = CameraModel.LsstCam.Scaled(4)[name];
            var wcs = DetectorWcs(name, 4, rotPa: 63);
            var (ra, dec) = wcs.PixelToSky(wcs.CrPix.X, wcs.CrPix.Y);
            var tract = map.FindTract(ra, dec);
            var box = Warper.WarpedBBox(det.BBox, wcs, tract.Wcs);
            double err = Warper.InterpolationError(wcs, tract.Wcs, box, 10);
            output.WriteLine($"{name} (1/4 scale) onto tract {tract.Id}, {box.Width} x {box.Height}: interpolation error {err:E2} pixel");
            Assert.True(err < 0.01, $"{name}: {err}");
        }
    }
}
