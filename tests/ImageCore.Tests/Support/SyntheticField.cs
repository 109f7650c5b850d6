using CommunityToolkit.HighPerformance;
using ImageCore.Images;
using ImageCore.Simulation;

namespace ImageCore.Tests.Support;

/// <summary>Background-subtracted exposures of given sources for the PSF tests: the simulator's pixel-integrated
/// Gaussians on a flat sky, Gaussian noise of the Poisson and read-noise variance (electrons), the sky subtracted, the
/// variance plane holding the expected variance, metadata DETNAME = SYNTH.</summary>
internal static class SyntheticField
{
    public static Exposure Make(int width, int height, IEnumerable<SimulatedSource> sources, double sky = 1000, double readNoise = 5, int seed = 1)
    {
        var truth = new float[height, width];
        SkyScene.Render(new Span2D<float>(truth), sky, sources);
        var noise = new Noise(seed);
        var exposure = new Exposure(new MaskedImage(width, height));
        exposure.Metadata.Set("DETNAME", "SYNTH");
        var image = exposure.Image.Pixels;
        var variance = exposure.Variance.Pixels;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double v = truth[y, x] + readNoise * readNoise;
                image[y, x] = (float)(truth[y, x] + Math.Sqrt(v) * noise.Gaussian() - sky);
                variance[y, x] = (float)v;
            }
        return exposure;
    }
}
