using CommunityToolkit.HighPerformance;
using ImageCore.Characterize;
using ImageCore.Simulation;

namespace ImageCore.Tests.Characterize;

public class StampShiftTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.3, -0.4)]
    [InlineData(-0.5, 0.5)]
    [InlineData(0.17, 0.02)]
    public void A_shifted_star_comes_out_centred(double dx, double dy)
    {
        const double sigma = 1.5;
        var image = new float[41, 41];
        var sources = new[] { new SimulatedSource(20 + dx, 20 + dy, 1, sigma, false) };
        SkyScene.Render(new Span2D<float>(image), 0, sources);
        var stamp = new double[21 * 21];
        StampShift.Recentre(new ReadOnlySpan2D<float>(image), 20, 20, dx, dy, 10, 5, stamp);
        var truth = PsfAccuracyTests.TruthKernel(21, sigma);
        double peak = truth[10, 10], worst = 0;
        for (int j = 0; j < 21; j++)
            for (int i = 0; i < 21; i++) worst = Math.Max(worst, Math.Abs(stamp[j * 21 + i] - truth[j, i]));
        Assert.True(worst < 0.003 * peak, $"worst {worst / peak:P3} of the peak");
        if (dx == 0 && dy == 0)
            for (int j = 0; j < 21; j++)
                for (int i = 0; i < 21; i++) Assert.Equal(image[j + 10, i + 10], stamp[j * 21 + i], 7);
    }

    [Fact]
    public void Taps_sum_to_one_and_vanish_beyond_the_order()
    {
        Span<double> taps = stackalloc double[11];
        StampShift.Taps(0.37, 5, taps);
        double sum = 0;
        foreach (double t in taps) sum += t;
        Assert.Equal(1, sum, 12);
        Assert.Equal(0, StampShift.Lanczos(5, 5));
        Assert.Equal(1, StampShift.Lanczos(0, 5));
        Assert.Equal(0, StampShift.Lanczos(2, 5), 12);
    }
}
