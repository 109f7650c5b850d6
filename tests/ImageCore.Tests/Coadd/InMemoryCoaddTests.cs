using ImageCore.Coadd;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Coadd;

/// <summary><see cref="Coadder.Assemble(IReadOnlyList{Exposure}, CoaddConfig, int, CancellationToken)"/>: warps held in
/// memory give the coadd that <see cref="CoaddTask"/> writes from the same warps on disk, pixel for pixel, with the
/// warps' box and WCS.</summary>
public sealed class InMemoryCoaddTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Exposure Warp(int seed, long visit, Point2I xy0 = default)
    {
        var rng = new Random(seed);
        var mi = new MaskedImage(40, 24, xy0);
        int noData = mi.Mask.GetBitMask("NO_DATA");
        for (int y = 0; y < 24; y++)
            for (int x = 0; x < 40; x++)
            {
                mi.Image.Pixels[y, x] = (float)(100 + rng.NextDouble() * 10);
                mi.Variance.Pixels[y, x] = (float)(1 + rng.NextDouble());
                if (rng.Next(10) == 0) (mi.Image.Pixels[y, x], mi.Mask.Image.Pixels[y, x], mi.Variance.Pixels[y, x]) = (float.NaN, noData, float.PositiveInfinity);
            }
        var e = new Exposure(mi, wcs: TestWcs.Tan(20 - xy0.X, 12 - xy0.Y));
        e.VisitInfo = new VisitInfo { Visit = visit };
        e.Band = "r";
        return e;
    }

    [Theory]
    [InlineData(CoaddStatistic.Mean)]
    [InlineData(CoaddStatistic.MeanClip)]
    [InlineData(CoaddStatistic.Median)]
    public void Warps_in_memory_coadd_as_the_same_warps_on_disk(CoaddStatistic statistic)
    {
        var warps = new[] { Warp(1, 11), Warp(2, 12), Warp(3, 13) };
        try
        {
            var paths = warps.Select((w, k) => { string p = _dir.File($"w{k}.fits"); ExposureFits.Write(p, w); return p; }).ToList();
            var config = new CoaddConfig { Statistic = statistic };
            CoaddTask.Run(paths, _dir.File("coadd.fits"), config);
            using var onDisk = ExposureFits.Read(_dir.File("coadd.fits"));
            using var inMemory = Coadder.Assemble(warps, config, maxDegreeOfParallelism: 2);
            Assert.Equal(onDisk.BBox, inMemory.BBox);
            for (int y = 0; y < onDisk.BBox.Height; y++)
            {
                Assert.True(onDisk.Image.Pixels.GetRowSpan(y).SequenceEqual(inMemory.Image.Pixels.GetRowSpan(y)), $"image row {y}");
                Assert.True(onDisk.Mask.Image.Pixels.GetRowSpan(y).SequenceEqual(inMemory.Mask.Image.Pixels.GetRowSpan(y)), $"mask row {y}");
                Assert.True(onDisk.Variance.Pixels.GetRowSpan(y).SequenceEqual(inMemory.Variance.Pixels.GetRowSpan(y)), $"variance row {y}");
            }
            Assert.Equal(onDisk.Mask.Planes.OrderBy(p => p.Value), inMemory.Mask.Planes.OrderBy(p => p.Value));
            Assert.Equal(0, inMemory.Wcs!.MaxPixelDifference(TestWcs.Tan(20, 12), inMemory.BBox), 9);
            Assert.Equal("visit 12", inMemory.Metadata.GetString("INPUT001"));
            Assert.Equal(statistic.ToString().ToUpperInvariant(), inMemory.Metadata.GetString("COADDSTA"));
            Assert.Equal("r", inMemory.Band);
        }
        finally
        {
            foreach (var w in warps) w.Dispose();
        }
    }

    [Fact]
    public void The_coadd_keeps_the_warps_parent_box()
    {
        using var a = Warp(1, 1, new Point2I(500, 300));
        using var b = Warp(2, 2, new Point2I(500, 300));
        using var coadd = Coadder.Assemble([a, b], new CoaddConfig());
        Assert.Equal(new Box2I(500, 300, 40, 24), coadd.BBox);
        Assert.Equal(0, coadd.Wcs!.MaxPixelDifference(a.Wcs!, coadd.BBox), 9);
    }

    [Fact]
    public void A_warp_off_the_grid_is_refused_by_name()
    {
        using var a = Warp(1, 1);
        using var b = Warp(2, 2);
        b.Wcs = TestWcs.Tan(25, 12);
        var e = Assert.Throws<CoaddInputException>(() => Coadder.Assemble([a, b], new CoaddConfig()));
        Assert.Equal("visit 2", e.Input);
    }

    [Fact]
    public void A_cancelled_coadd_stops()
    {
        using var a = Warp(1, 1);
        using var b = Warp(2, 2);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Coadder.Assemble([a, b], new CoaddConfig(), 1, cancelled.Token));
    }
}
