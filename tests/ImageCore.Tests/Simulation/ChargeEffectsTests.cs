using ImageCore.Simulation;

namespace ImageCore.Tests.Simulation;

public class ChargeEffectsTests
{
    [Fact]
    public void Bleeding_keeps_the_charge_and_caps_every_pixel_at_full_well()
    {
        var e = new float[40, 3];
        e[20, 1] = 10_000;   // ten full wells in one pixel
        long touched = ChargeEffects.Bleed(e, 1000);
        double total = 0;
        foreach (float v in e) { total += v; Assert.True(v <= 1000.5f); }
        Assert.Equal(10_000, total, 1);
        Assert.Equal(10, touched);   // 4,500 e- each way: four full wells and one half-filled pixel
        Assert.Equal(1000f, e[16, 1]);
        Assert.Equal(1000f, e[24, 1]);
        Assert.Equal(0f, e[20, 0]);   // along the column only
    }

    [Fact]
    public void Cosmic_rays_mark_every_pixel_they_hit()
    {
        var e = new float[50, 60];
        var hits = new bool[50, 60];
        ChargeEffects.CosmicRays(e, hits, 20, new Noise(3));
        for (int y = 0; y < 50; y++)
            for (int x = 0; x < 60; x++) Assert.Equal(hits[y, x], e[y, x] > 0);
        Assert.Contains(true, hits.Cast<bool>());
    }
}
