using CommunityToolkit.HighPerformance;
using ImageCore.Simulation;

namespace ImageCore.Tests.Simulation;

public class SkySceneTests
{
    [Theory]
    [InlineData(0.0, 0.0), InlineData(0.5, 0.5204998778), InlineData(1.0, 0.8427007929), InlineData(-2.0, -0.9953222650)]
    public void Erf_matches_tabulated_values(double x, double expected) => Assert.Equal(expected, SkyScene.Erf(x), 6);

    [Fact]
    public void A_gaussian_source_keeps_its_flux_and_centroid()
    {
        var img = new float[64, 80];
        var src = new SimulatedSource(40.3, 30.7, 1e5, 2.0, false);
        SkyScene.Render(new Span2D<float>(img), sky: 0, [src]);
        double sum = 0, sx = 0, sy = 0;
        for (int y = 0; y < 64; y++) for (int x = 0; x < 80; x++) { sum += img[y, x]; sx += x * img[y, x]; sy += y * img[y, x]; }
        Assert.Equal(1e5, sum, 1e5 * 1e-5);
        Assert.Equal(40.3, sx / sum, 3);
        Assert.Equal(30.7, sy / sum, 3);
        // Second moment: sigma^2 plus 1/12 from pixel integration.
        double vx = 0;
        for (int y = 0; y < 64; y++) for (int x = 0; x < 80; x++) vx += Math.Pow(x - 40.3, 2) * img[y, x];
        Assert.Equal(4 + 1.0 / 12, vx / sum, 2);
    }

    [Fact]
    public void Catalogs_are_deterministic_for_a_seed()
    {
        var a = SkyScene.Catalog(500, 400, 50, 10, 1.7, new Noise(7));
        var b = SkyScene.Catalog(500, 400, 50, 10, 1.7, new Noise(7));
        Assert.Equal(a, b);
        Assert.Equal(10, a.Count(s => s.IsGalaxy));
        Assert.All(a, s => Assert.InRange(s.FluxElectrons, 1e3, 1e7));
        Assert.NotEqual(a, SkyScene.Catalog(500, 400, 50, 10, 1.7, new Noise(8)));
    }
}
