using ImageCore.Astrometry;
using ImageCore.Geometry;

namespace ImageCore.Tests.Astrometry;

public class RingsSkyMapTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly RingsSkyMap Map = new();

    [Fact]
    public void Lsst_cells_v1_has_the_published_geometry()
    {
        Assert.Equal(18_938, Map.TractCount);
        Assert.Equal(180.0 / 121, Map.RingSizeDegrees, 12);
        // An equatorial tract: 30000 x 30000 pixels of 0.2", 10 x 10 patches of 3000 (outer 3400).
        var t = Map.FindTract(150.1, 2.2);
        output.WriteLine($"tract {t.Id} at ({t.Center.Ra}, {t.Center.Dec}): {t.BBox.Width} x {t.BBox.Height}, {t.PatchesX} x {t.PatchesY} patches");
        Assert.Equal((30000, 30000), (t.BBox.Width, t.BBox.Height));
        Assert.Equal((10, 10), (t.PatchesX, t.PatchesY));
        var p = t.Patch(0, 0);
        Assert.Equal(new Box2I(0, 0, 3000, 3000), p.Inner);
        Assert.Equal(new Box2I(-200, -200, 3400, 3400), p.Outer);
        Assert.Equal(-0.2 / 3600, t.Wcs.Cd[0, 0], 15);   // +x is West
        Assert.Equal(0.2 / 3600, t.Wcs.Cd[1, 1], 15);
    }

    [Fact]
    public void Tract_ids_run_from_the_south_cap_through_the_rings_to_the_north_cap()
    {
        Assert.Equal(-90, Map[0].Center.Dec);
        Assert.Equal(90, Map[Map.TractCount - 1].Center.Dec);
        Assert.Equal(0, Map[1].Center.Ra);   // the first tract of a ring is at RaStart
        Assert.True(Map[1].Center.Dec < Map[Map.TractCount - 2].Center.Dec);
        Assert.Same(Map[0], Map.FindTract(12, -89.9));
        Assert.Same(Map[Map.TractCount - 1], Map.FindTract(12, 89.9));
        Assert.Throws<ArgumentOutOfRangeException>(() => Map[Map.TractCount]);
    }

    [Fact]
    public void Every_sky_position_lies_in_the_tract_and_patch_found_for_it()
    {
        var rng = new Random(17);
        for (int i = 0; i < 3000; i++)
        {
            double ra = 360 * rng.NextDouble(), dec = Math.Asin(2 * rng.NextDouble() - 1) * 180 / Math.PI;
            var tract = Map.FindTract(ra, dec);
            Assert.True(tract.Contains(ra, dec), $"({ra}, {dec}) is not in tract {tract.Id}");
            var patch = tract.FindPatch(ra, dec);
            Assert.NotNull(patch);
            var (x, y) = tract.Wcs.SkyToPixel(ra, dec);
            Assert.True(patch!.Inner.Contains(new Point2I((int)Math.Floor(x + 0.5), (int)Math.Floor(y + 0.5))));
            Assert.Contains(tract, Map.FindAllTracts(ra, dec));
        }
    }

    [Fact]
    public void Patch_inners_tile_the_tract_and_outers_overlap_by_the_border()
    {
        var t = Map.FindTract(53.1, -27.8);
        long area = 0;
        for (int y = 0; y < t.PatchesY; y++)
            for (int x = 0; x < t.PatchesX; x++)
            {
                var p = t.Patch(x, y);
                area += p.Inner.Area;
                Assert.True(t.BBox.Contains(p.Inner));
                Assert.Equal(p.Inner.Grow(200), p.Outer);
            }
        Assert.Equal((long)t.BBox.Width * t.BBox.Height, area);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Patch(t.PatchesX, 0));
    }

    [Fact]
    public void A_detector_footprint_finds_the_patches_it_touches()
    {
        var t = Map.FindTract(150.1, 2.2);
        var centre = t.Patch(4, 5);
        // A small square of sky in the middle of patch (4, 5), then one straddling the corner of four patches.
        (double, double) Sky(double x, double y) => t.Wcs.PixelToSky(x, y);
        var inside = t.FindPatches([Sky(13_400, 16_400), Sky(13_600, 16_400), Sky(13_600, 16_600), Sky(13_400, 16_600)]);
        Assert.Equal([centre], inside);
        var corner = t.FindPatches([Sky(14_900, 14_900), Sky(15_100, 14_900), Sky(15_100, 15_100), Sky(14_900, 15_100)]);
        Assert.Equal(4, corner.Count);
    }

    [Fact]
    public void Patch_header_puts_the_outer_box_origin_at_the_file_origin()
    {
        var t = Map.FindTract(150.1, 2.2);
        var p = t.Patch(2, 3);
        var h = t.PatchHeader(p);
        Assert.Equal(3400, h.GetInt64("NAXIS1"));
        Assert.Equal(-p.Outer.MinX, h.GetDouble("LTV1"));
        var w = SkyWcs.FromHeader(h);
        var (ra, dec) = t.Wcs.PixelToSky(p.Outer.MinX, p.Outer.MinY);
        var (x, y) = w.SkyToPixel(ra, dec);
        Assert.Equal(0, x, 6);
        Assert.Equal(0, y, 6);
    }

    private static SkyWcs WcsOfScale(double arcsec) => new((0, 0), (150.0, 2.0), new[,] { { -arcsec / 3600, 0 }, { 0, arcsec / 3600 } });

    [Theory]
    [InlineData(0.2, 1)]     // full-size LSSTCam
    [InlineData(1.6, 8)]     // the simulator's 1/8 scale
    [InlineData(0.168, 1)]   // finer than the map: never upsampled
    [InlineData(0.8, 4)]
    public void The_sky_map_for_data_follows_the_data_pixel_scale(double arcsec, int scale)
    {
        var config = new SkyMapConfig().ForData([WcsOfScale(arcsec), WcsOfScale(arcsec * 1.01)]);
        Assert.Equal(new SkyMapConfig().ForScale(scale), config);
    }

    [Fact]
    public void Data_whose_pixel_scales_differ_by_more_than_2x_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new SkyMapConfig().ForData([WcsOfScale(0.2), WcsOfScale(1.6)]));
        Assert.Contains("more than 2x", e.Message);
        Assert.Contains("0.2", e.Message);
        Assert.Contains("1.6", e.Message);
        Assert.Throws<ArgumentException>(() => new SkyMapConfig().ForData([]));
    }
}

