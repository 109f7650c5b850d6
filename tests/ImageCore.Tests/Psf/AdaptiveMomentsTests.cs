using CommunityToolkit.HighPerformance;
using ImageCore.Psf;

namespace ImageCore.Tests.Psf;

public class AdaptiveMomentsTests
{
    /// <summary>An elliptical Gaussian of total flux <paramref name="flux"/> sampled at the pixel centres.</summary>
    private static float[,] Gaussian(int w, int h, double xc, double yc, double ixx, double iyy, double ixy, double flux)
    {
        var image = new float[h, w];
        double det = ixx * iyy - ixy * ixy, norm = flux / (2 * Math.PI * Math.Sqrt(det));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double dx = x - xc, dy = y - yc;
                image[y, x] = (float)(norm * Math.Exp(-0.5 * (dx * dx * iyy - 2 * dx * dy * ixy + dy * dy * ixx) / det));
            }
        return image;
    }

    [Theory]
    [InlineData(2.25, 2.25, 0.0, 20.0, 20.0, 2.0)]
    [InlineData(4.0, 2.25, 0.8, 20.3, 19.6, 1.0)]
    [InlineData(1.5, 3.0, -1.0, 19.5, 21.2, 5.0)]
    public void A_gaussian_gives_its_own_centre_moments_and_flux(double ixx, double iyy, double ixy, double xc, double yc, double start)
    {
        var image = Gaussian(41, 43, xc, yc, ixx, iyy, ixy, 1e4);
        var variance = new float[43, 41];
        foreach (ref float v in variance.AsSpan()) v = 4;
        var m = AdaptiveMoments.Measure(new ReadOnlySpan2D<float>(image), 20, 20, start, new ReadOnlySpan2D<float>(variance));
        Assert.True(m.Converged);
        Assert.Equal(xc, m.X, 4);
        Assert.Equal(yc, m.Y, 4);
        Assert.Equal(ixx, m.Moments.Ixx, 3);
        Assert.Equal(iyy, m.Moments.Iyy, 3);
        Assert.Equal(ixy, m.Moments.Ixy, 3);
        Assert.Equal(1e4, m.Flux, 0);
        // Sum of w^2 over the weight is pi sqrt(det M) for a unit-height Gaussian weight w; its variance 4 x 4 x that.
        double expected = 4 * 4 * Math.PI * Math.Sqrt(ixx * iyy - ixy * ixy);
        Assert.Equal(1, m.FluxVariance / expected, 2);
        Assert.Equal(m.Flux / Math.Sqrt(m.FluxVariance), m.SignalToNoise);
    }

    [Fact]
    public void Nothing_to_measure_is_not_converged()
    {
        var empty = new float[21, 21];
        var m = AdaptiveMoments.Measure(new ReadOnlySpan2D<float>(empty), 10, 10, 2);
        Assert.False(m.Converged);
        Assert.True(double.IsNaN(m.FluxVariance));
        Assert.Throws<ArgumentOutOfRangeException>(() => AdaptiveMoments.Measure(new ReadOnlySpan2D<float>(empty), 10, 10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => AdaptiveMoments.Measure(new ReadOnlySpan2D<float>(empty), 10, 10, 1, new ReadOnlySpan2D<float>(new float[5, 5])));
    }

    [Fact]
    public void Shape_quantities_follow_their_definitions()
    {
        var s = new PsfMoments(5, 3, 1);
        Assert.Equal(Math.Pow(14, 0.25), s.DeterminantRadius, 12);
        Assert.Equal(2, s.TraceRadius, 12);
        Assert.Equal(0.25, s.E1, 12);
        Assert.Equal(0.25, s.E2, 12);
        Assert.Equal(Math.Sqrt(0.125), s.Ellipticity, 12);
        Assert.Equal(2.3548200450309493 * Math.Pow(14, 0.25), s.Fwhm, 12);
        Assert.True(double.IsNaN(new PsfMoments(1, 1, 2).DeterminantRadius));
    }
}
