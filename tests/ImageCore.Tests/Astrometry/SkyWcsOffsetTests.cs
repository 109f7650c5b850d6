using ImageCore.Astrometry;

namespace ImageCore.Tests.Astrometry;

/// <summary><see cref="SkyWcs.SkyToOffset"/>: what <see cref="SkyWcs.SkyToPixel(double, double)"/> adds the reference
/// pixel to, shared by every grid that differs only in its reference pixel (a tract's patches), to the bit.</summary>
public class SkyWcsOffsetTests
{
    private static readonly SkyWcs Tract = new((1234.5, -987.25), (53.2, -28.1), new double[,] { { -0.2 / 3600, 1e-9 }, { 2e-9, 0.2 / 3600 } });

    [Fact]
    public void An_offset_plus_a_patchs_reference_pixel_is_the_patchs_pixel_to_the_bit()
    {
        var patch = Tract.WithPixelOrigin(4000, 8000.5);
        Assert.True(Tract.DiffersOnlyInCrPix(patch));
        var random = new Random(4);
        for (int i = 0; i < 1000; i++)
        {
            double ra = 53.2 + (random.NextDouble() - 0.5) * 4, dec = -28.1 + (random.NextDouble() - 0.5) * 4;
            var (u, v) = Tract.SkyToOffset(ra, dec);
            Assert.Equal(patch.SkyToPixel(ra, dec), (u + patch.CrPix.X, v + patch.CrPix.Y));
            Assert.Equal(Tract.SkyToPixel(ra, dec), (u + Tract.CrPix.X, v + Tract.CrPix.Y));
        }
        var (farU, farV) = Tract.SkyToOffset(53.2 + 180, 28.1);   // the other hemisphere
        Assert.True(double.IsNaN(farU) && double.IsNaN(farV));
        Assert.True(double.IsNaN(patch.SkyToPixel(53.2 + 180, 28.1).X));
    }

    [Fact]
    public void Only_a_grid_with_the_same_projection_and_no_sip_differs_only_in_its_reference_pixel()
    {
        Assert.False(Tract.DiffersOnlyInCrPix(new SkyWcs(Tract.CrPix, (53.2, -28.0), Tract.Cd)));
        Assert.False(Tract.DiffersOnlyInCrPix(new SkyWcs(Tract.CrPix, Tract.CrVal, new double[,] { { -0.2 / 3600, 0 }, { 2e-9, 0.2 / 3600 } })));
        Assert.False(Tract.DiffersOnlyInCrPix(new SkyWcs(Tract.CrPix, Tract.CrVal, Tract.Cd, lonPole: 170)));
        var sip = new SipPolynomial(2, new double[3, 3] { { 0, 0, 1e-7 }, { 0, 0, 0 }, { 0, 0, 0 } });
        var distorted = new SkyWcs(Tract.CrPix, Tract.CrVal, Tract.Cd, sip, sip);
        Assert.False(Tract.DiffersOnlyInCrPix(distorted));
        Assert.False(distorted.DiffersOnlyInCrPix(distorted.WithPixelOrigin(1, 1)));
        Assert.True(Tract.DiffersOnlyInCrPix(new SkyWcs((0, 0), Tract.CrVal, Tract.Cd)));
    }
}
